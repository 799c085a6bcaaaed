//! Where a token may be sent: TLS, or plaintext to loopback when allowed.

use super::*;

/// Why [`CredentialsLayer`] did not send a token: the connection would not
/// protect it. The source of the `FAILED_PRECONDITION` status the call
/// returns.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum InsecureTransport {
    /// The request URI has no scheme (a tonic `Channel`) and no endpoint
    /// was declared with [`CredentialsLayer::with_endpoint`].
    UnknownEndpoint,
    /// The endpoint is plaintext (`http://`, or a scheme other than
    /// `https`) and not a loopback address.
    #[non_exhaustive]
    Plaintext {
        /// The endpoint's scheme.
        scheme: String,
        /// The endpoint's host.
        host: String,
    },
}

impl fmt::Display for InsecureTransport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            InsecureTransport::UnknownEndpoint => f.write_str(
                "bearer token not sent: the layer does not know where the call goes; \
                 declare the channel's endpoint with CredentialsLayer::with_endpoint",
            ),
            InsecureTransport::Plaintext { scheme, host } => write!(
                f,
                "bearer token not sent over plaintext {}:// to {}: use https, or opt in with CredentialsLayer::with_plaintext_allowed",
                scheme.escape_debug(),
                host.escape_debug()
            ),
        }
    }
}

impl std::error::Error for InsecureTransport {}

/// Whether `host` (as in a URI, IPv6 in brackets) is a loopback address.
pub(super) fn is_loopback(host: &str) -> bool {
    let host = host.trim_start_matches('[').trim_end_matches(']');
    host.eq_ignore_ascii_case("localhost")
        || host
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback())
}

/// Whether a token may go where `uri` (or, for a path-only URI, the declared
/// endpoint) points.
pub(super) fn check_transport(uri: &http::Uri, options: &Options) -> Result<(), InsecureTransport> {
    let target = match (uri.scheme(), &options.endpoint) {
        (Some(_), _) => uri,
        (None, Some(endpoint)) => endpoint,
        (None, None) if options.allow_plaintext => return Ok(()),
        (None, None) => return Err(InsecureTransport::UnknownEndpoint),
    };
    let scheme = target.scheme_str().unwrap_or_default();
    let host = target.host().unwrap_or_default();
    if scheme.eq_ignore_ascii_case("https")
        || options.allow_plaintext
        || (scheme.eq_ignore_ascii_case("http") && is_loopback(host))
    {
        return Ok(());
    }
    Err(InsecureTransport::Plaintext {
        scheme: scheme.to_owned(),
        host: host.to_owned(),
    })
}
