//! [`ProviderError`]: why talking to an identity provider failed.

use std::fmt;

/// Why a request to an identity provider (discovery, key set, token
/// endpoint) failed, or why its URL is refused.
///
/// [`is_transient`](Self::is_transient) tells a failure worth retrying later
/// (the network, a 5xx) from a configuration that will never work.
#[derive(Debug)]
#[non_exhaustive]
pub enum ProviderError {
    /// The URL does not parse, or has no host.
    #[non_exhaustive]
    InvalidUrl {
        /// The URL as given.
        url: String,
    },
    /// The URL is plaintext `http://` to a host other than loopback, or an
    /// endpoint named by a discovery document fetched over `https` is not
    /// `https` itself: keys and tokens must come over TLS.
    #[non_exhaustive]
    InsecureUrl {
        /// The URL as given.
        url: String,
    },
    /// The request failed: connection, TLS, timeout, or a redirect (never
    /// followed).
    Request(RequestError),
    /// The provider answered with an unexpected HTTP status.
    #[non_exhaustive]
    Status {
        /// The status.
        status: u16,
    },
    /// The response body is over the bound (1 MiB).
    #[non_exhaustive]
    TooLarge {
        /// The bound, in bytes.
        max: usize,
    },
    /// The response is not the expected JSON document.
    #[non_exhaustive]
    InvalidDocument {
        /// What is wrong (serde's message: line and column, no input).
        what: String,
    },
    /// The discovery document names another issuer than the URL it was
    /// fetched for (OpenID Connect Discovery §4.3).
    #[non_exhaustive]
    IssuerMismatch {
        /// The issuer configured.
        expected: String,
        /// The issuer the document names.
        found: String,
    },
    /// The discovery document has no such endpoint.
    #[non_exhaustive]
    MissingEndpoint {
        /// The field (`jwks_uri`, `token_endpoint`).
        field: &'static str,
    },
}

impl ProviderError {
    /// Whether trying again later may succeed (the network, a timeout, a
    /// 5xx or 429): otherwise the configuration or the provider's answer
    /// must change first.
    pub fn is_transient(&self) -> bool {
        match self {
            ProviderError::Request(_) => true,
            ProviderError::Status { status } => *status >= 500 || *status == 429,
            _ => false,
        }
    }
}

impl fmt::Display for ProviderError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ProviderError::InvalidUrl { url } => {
                write!(f, "invalid identity provider URL `{}`", url.escape_debug())
            }
            ProviderError::InsecureUrl { url } => write!(
                f,
                "identity provider URL `{}` is plaintext http: use https (http is allowed only to loopback, and never for an endpoint named by an https discovery document)",
                url.escape_debug()
            ),
            ProviderError::Request(err) => write!(f, "identity provider request failed: {err}"),
            ProviderError::Status { status } => {
                write!(f, "identity provider answered with HTTP status {status}")
            }
            ProviderError::TooLarge { max } => {
                write!(f, "identity provider response over {max} bytes")
            }
            ProviderError::InvalidDocument { what } => {
                write!(
                    f,
                    "identity provider response is not the expected document: {what}"
                )
            }
            ProviderError::IssuerMismatch { expected, found } => write!(
                f,
                "discovery document names issuer `{}`, not the configured `{}`",
                found.escape_debug(),
                expected.escape_debug()
            ),
            ProviderError::MissingEndpoint { field } => {
                write!(f, "discovery document has no `{field}`")
            }
        }
    }
}

impl std::error::Error for ProviderError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            ProviderError::Request(err) => Some(err),
            _ => None,
        }
    }
}

/// Why a request to the identity provider did not get an answer (connection,
/// TLS, timeout, a broken HTTP exchange): opaque, so that the HTTP client can
/// change without changing this crate's API. Its
/// [`source`](std::error::Error::source) chain has the details.
pub struct RequestError {
    kind: RequestErrorKind,
    source: Option<Box<dyn std::error::Error + Send + Sync>>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum RequestErrorKind {
    Timeout,
    Connect,
    Tls,
    Protocol,
    Body,
}

impl RequestError {
    fn new(
        kind: RequestErrorKind,
        source: impl Into<Box<dyn std::error::Error + Send + Sync>>,
    ) -> Self {
        RequestError {
            kind,
            source: Some(source.into()),
        }
    }

    pub(crate) fn timeout() -> Self {
        RequestError {
            kind: RequestErrorKind::Timeout,
            source: None,
        }
    }

    pub(crate) fn connect(err: impl Into<Box<dyn std::error::Error + Send + Sync>>) -> Self {
        Self::new(RequestErrorKind::Connect, err)
    }

    pub(crate) fn tls(err: std::io::Error) -> Self {
        Self::new(RequestErrorKind::Tls, err)
    }

    pub(crate) fn protocol(err: hyper::Error) -> Self {
        Self::new(RequestErrorKind::Protocol, err)
    }

    pub(crate) fn body(err: impl Into<Box<dyn std::error::Error + Send + Sync>>) -> Self {
        Self::new(RequestErrorKind::Body, err)
    }

    /// Whether the request timed out.
    pub fn is_timeout(&self) -> bool {
        self.kind == RequestErrorKind::Timeout
    }

    /// Whether the connection could not be made.
    pub fn is_connect(&self) -> bool {
        self.kind == RequestErrorKind::Connect
    }
}

impl From<RequestError> for ProviderError {
    fn from(err: RequestError) -> Self {
        ProviderError::Request(err)
    }
}

impl fmt::Debug for RequestError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RequestError")
            .field("kind", &self.kind)
            .field("source", &self.source)
            .finish()
    }
}

impl fmt::Display for RequestError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self.kind {
            RequestErrorKind::Timeout => "the request to the identity provider timed out",
            RequestErrorKind::Connect => "could not connect to the identity provider",
            RequestErrorKind::Tls => "the TLS handshake with the identity provider failed",
            RequestErrorKind::Protocol => "the HTTP exchange with the identity provider failed",
            RequestErrorKind::Body => "reading the identity provider's answer failed",
        })
    }
}

impl std::error::Error for RequestError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        self.source
            .as_deref()
            .map(|e| e as &(dyn std::error::Error + 'static))
    }
}
