//! Where a token may be sent: TLS, or plaintext to loopback when allowed.

use std::fmt;

use super::options::Options;

/// Why [`CredentialsLayer`](crate::client::CredentialsLayer) did not send a token: the connection would not
/// protect it. The source of the `FAILED_PRECONDITION` status the call
/// returns.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum InsecureTransport {
    /// The request URI has no scheme (a tonic `Channel`) and no endpoint
    /// was declared with [`CredentialsLayer::with_endpoint`](crate::client::CredentialsLayer::with_endpoint).
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
    /// The request URI names an origin (scheme, host, port) other than the
    /// endpoint declared with
    /// [`CredentialsLayer::with_endpoint`](crate::client::CredentialsLayer::with_endpoint): a token
    /// for the endpoint is never sent elsewhere. The other origin is not
    /// printed (it is the refused value).
    OtherOrigin,
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
            InsecureTransport::OtherOrigin => f.write_str(
                "bearer token not sent: the request names an origin other than the endpoint \
                 declared with CredentialsLayer::with_endpoint",
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

/// The origin of `uri` (RFC 6454): scheme and host in lower case, and the
/// port, explicit or the scheme's default.
fn origin(uri: &http::Uri) -> (String, String, Option<u16>) {
    let scheme = uri.scheme_str().unwrap_or_default().to_ascii_lowercase();
    let port = uri.port_u16().or(match scheme.as_str() {
        "https" => Some(443),
        "http" => Some(80),
        _ => None,
    });
    let host = uri.host().unwrap_or_default().to_ascii_lowercase();
    (scheme, host, port)
}

/// Whether a token may go where `uri` (or, for a path-only URI, the declared
/// endpoint) points: with a declared endpoint, only to its origin; without
/// one, to the origin an absolute request URI names. Either way over TLS, or
/// plaintext to loopback (or anywhere with `with_plaintext_allowed`).
pub(super) fn check_transport(uri: &http::Uri, options: &Options) -> Result<(), InsecureTransport> {
    let target = match (uri.scheme(), &options.endpoint) {
        (Some(_), Some(endpoint)) if origin(uri) != origin(endpoint) => {
            return Err(InsecureTransport::OtherOrigin);
        }
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

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;
    use crate::client::CredentialsLayer;

    fn options(endpoint: &str) -> Options {
        Options {
            endpoint: Some(endpoint.parse().unwrap()),
            allow_plaintext: false,
            margin: Duration::from_secs(60),
            max_replay: 0,
            bare_unauthenticated: false,
            backoff_min: Duration::from_secs(1),
            backoff_max: Duration::from_secs(60),
            #[cfg(feature = "sender-constrained")]
            dpop: None,
        }
    }

    #[test]
    fn a_token_goes_only_to_the_declared_endpoints_origin() {
        let options = options("https://orders.example.com");
        for same in [
            "/pkg.Svc/M",
            "https://orders.example.com/pkg.Svc/M",
            "HTTPS://Orders.Example.com:443/pkg.Svc/M",
        ] {
            assert_eq!(
                check_transport(&same.parse().unwrap(), &options),
                Ok(()),
                "{same}"
            );
        }
        for other in [
            "https://evil.example.net/pkg.Svc/M",
            "https://orders.example.com:8443/pkg.Svc/M",
            "https://orders.example.com.evil.net/pkg.Svc/M",
            "http://orders.example.com/pkg.Svc/M",
        ] {
            assert_eq!(
                check_transport(&other.parse().unwrap(), &options),
                Err(InsecureTransport::OtherOrigin),
                "{other}"
            );
        }
        assert!(!InsecureTransport::OtherOrigin.to_string().contains("evil"));
    }

    /// The documented defaults of `CredentialsLayer`: refresh 60 s before
    /// expiry, back-off from 1 s doubling to 60 s, bodies up to 64 KiB
    /// kept for one replay.
    #[test]
    fn the_documented_credentials_defaults() {
        struct Never;
        impl super::super::TokenSource for Never {
            async fn fetch(&self) -> Result<super::super::AccessToken, crate::BoxError> {
                Err("never".into())
            }
        }
        let layer = CredentialsLayer::new(Never);
        let options = &layer.options;
        assert_eq!(options.margin, Duration::from_secs(60));
        assert_eq!(options.backoff_min, Duration::from_secs(1));
        assert_eq!(options.backoff_max, Duration::from_secs(60));
        assert_eq!(options.max_replay, 64 * 1024);
        assert!(options.endpoint.is_none() && !options.allow_plaintext);
    }
}
