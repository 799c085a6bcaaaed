//! What the layer answers a request it refuses: per protocol (gRPC,
//! gRPC-Web, HTTP), canned when constant, in an unboxed body.

use std::pin::Pin;

use super::*;
use std::task::{Context, Poll};
use std::time::Duration;

use bytes::Bytes;
use http::{HeaderMap, header};
use http_body::Body;

use crate::AuthError;

/// A response built once and sent many times: the answer to a request
/// without credentials is the same for every request of a protocol (the
/// code, its default message, the realm, the metadata URL), so serializing
/// it (the details, their base64, the JSON body, the challenge) per request
/// would be waste. Each request gets a clone (the body's `Bytes` shared).
#[derive(Default)]
pub(super) struct Canned {
    /// gRPC, gRPC-Web binary, gRPC-Web text, HTTP.
    pub(super) by_protocol: [(http::StatusCode, HeaderMap, Bytes); 4],
}

impl Canned {
    pub(super) fn for_protocol(&self, protocol: Protocol) -> CannedResponse<'_> {
        let i = match protocol {
            Protocol::Grpc => 0,
            Protocol::GrpcWeb { text: false } => 1,
            Protocol::GrpcWeb { text: true } => 2,
            Protocol::Http => 3,
        };
        CannedResponse(&self.by_protocol[i])
    }
}

pub(super) struct CannedResponse<'a>(&'a (http::StatusCode, HeaderMap, Bytes));

impl CannedResponse<'_> {
    #[inline]
    pub(super) fn response(&self) -> http::Response<Bytes> {
        let (status, headers, body) = self.0;
        let mut response = http::Response::new(body.clone());
        *response.status_mut() = *status;
        *response.headers_mut() = headers.clone();
        response
    }
}

/// RFC 9449's `DPoP` request header (the proof).
#[cfg(feature = "sender-constrained")]
pub(super) const DPOP: http::HeaderName = http::HeaderName::from_static("dpop");

/// RFC 9449 §8's `DPoP-Nonce` header (gRPC response metadata `dpop-nonce`).
pub(super) const DPOP_NONCE: http::HeaderName = http::HeaderName::from_static("dpop-nonce");

/// `Retry-After` of a 503 while the identity provider cannot be reached.
pub(super) const UNAVAILABLE_RETRY_AFTER_SECS: u32 = 5;

/// `UNAVAILABLE` with a `google.rpc.RetryInfo` of `retry` (what a gRPC
/// client's retry policy reads).
pub(super) fn unavailable_status(message: &str, retry: Duration) -> tonic::Status {
    use tonic_types::{ErrorDetails, StatusExt as _};
    tonic::Status::with_error_details(
        tonic::Code::Unavailable,
        message,
        ErrorDetails::with_retry_info(Some(retry)),
    )
}

impl<V: TokenVerifier> Config<V> {
    /// The answer to a refused request: gRPC and gRPC-Web get exactly what
    /// `try_into_status` produces (an error the rules refuse, such as a
    /// verifier's secret metadata, goes out leniently), trailers-only;
    /// HTTP the status, the challenge and the body.
    pub(super) fn rejection(&self, err: AuthError, protocol: Protocol) -> http::Response<Bytes> {
        if protocol != Protocol::Http {
            let status = err.clone().try_into_status().unwrap_or_else(|_| err.into());
            return protocol.trailers_only(status);
        }
        crate::http::response::rejection(
            &err,
            self.realm.as_deref(),
            self.resource_metadata.as_deref(),
            self.dpop_algs(),
        )
    }

    /// The `algs` of a DPoP challenge, when the layer checks DPoP.
    fn dpop_algs(&self) -> Option<&str> {
        #[cfg(feature = "sender-constrained")]
        return self.dpop.as_ref().map(|d| d.algs_challenge.as_str());
        #[cfg(not(feature = "sender-constrained"))]
        None
    }

    /// The nonce for the response to a served request: the current one
    /// when the layer issues nonces and the request carried a proof.
    pub(super) fn dpop_nonce_for(&self, headers: &HeaderMap) -> Option<http::HeaderValue> {
        #[cfg(feature = "sender-constrained")]
        if self.dpop.as_ref().is_some_and(|d| d.issues_nonces()) && headers.contains_key(DPOP) {
            return self.dpop_nonce();
        }
        let _ = headers;
        None
    }

    /// The layer's current DPoP nonce, when it issues nonces.
    pub(super) fn dpop_nonce(&self) -> Option<http::HeaderValue> {
        #[cfg(feature = "sender-constrained")]
        return self
            .dpop
            .as_ref()
            .and_then(|d| d.current_nonce(std::time::SystemTime::now()))
            .and_then(|n| http::HeaderValue::try_from(n).ok());
        #[cfg(not(feature = "sender-constrained"))]
        None
    }

    /// The answer to a refused request: the verifier's (or the layer's own)
    /// [`Rejection`], in the request's protocol.
    pub(super) fn respond(
        &self,
        rejection: Rejection,
        protocol: Protocol,
    ) -> http::Response<Bytes> {
        let grpc = protocol != Protocol::Http;
        match rejection {
            Rejection::Auth(err) => {
                // RFC 9449 §8: the nonce to put in the next proof, as a
                // header (HTTP) or response metadata (gRPC, trailers-only).
                let nonce = (err.code() == crate::AuthErrorCode::DpopNonceRequired)
                    .then(|| self.dpop_nonce())
                    .flatten();
                let mut response = self.rejection(err, protocol);
                if let Some(nonce) = nonce {
                    response.headers_mut().insert(DPOP_NONCE, nonce);
                }
                response
            }
            Rejection::Unavailable(err) => {
                self.metrics.request(crate::observe::Outcome::Unavailable);
                tracing::warn!(error = %err, "auth-error: credentials cannot be verified right now");
                if let Some(hook) = &self.on_fault {
                    hook(err.as_ref());
                }
                const MESSAGE: &str = "credentials cannot be verified right now";
                let retry = retry_after_of(err.as_ref())
                    .unwrap_or(Duration::from_secs(UNAVAILABLE_RETRY_AFTER_SECS.into()));
                if grpc {
                    protocol.trailers_only(unavailable_status(MESSAGE, retry))
                } else {
                    let mut response = crate::http::response::fault(
                        http::StatusCode::SERVICE_UNAVAILABLE,
                        "UNAVAILABLE",
                        MESSAGE,
                    );
                    response.headers_mut().insert(
                        header::RETRY_AFTER,
                        http::HeaderValue::from(retry.as_secs().max(1)),
                    );
                    response
                }
            }
            Rejection::Fault(fault) => {
                self.metrics.request(crate::observe::Outcome::Fault);
                tracing::error!(error = %fault, "auth-error: server fault while verifying a bearer token");
                if let Some(hook) = &self.on_fault {
                    hook(fault.as_ref());
                }
                const MESSAGE: &str = "internal error while verifying credentials";
                if grpc {
                    protocol.trailers_only(tonic::Status::internal(MESSAGE))
                } else {
                    crate::http::response::fault(
                        http::StatusCode::INTERNAL_SERVER_ERROR,
                        "INTERNAL",
                        MESSAGE,
                    )
                }
            }
        }
    }
}

pin_project_lite::pin_project! {
    /// The response body of [`BearerAuth`]: the wrapped service's own body,
    /// passed through untouched (not boxed), or the layer's answer to a
    /// request it refused (a trailers-only gRPC or gRPC-Web response, or an
    /// HTTP error body).
    #[derive(Debug)]
    pub struct BearerAuthBody<B> {
        #[pin]
        kind: Kind<B>,
    }
}

pin_project_lite::pin_project! {
    #[project = KindProj]
    #[derive(Debug)]
    enum Kind<B> {
        Inner { #[pin] body: B },
        // The layer's answer: the whole body at once (none for a
        // trailers-only gRPC answer), not boxed.
        Refused { data: Option<Bytes> },
    }
}

impl<B> BearerAuthBody<B> {
    pub(super) fn inner(body: B) -> Self {
        BearerAuthBody {
            kind: Kind::Inner { body },
        }
    }

    pub(super) fn refused(data: Bytes) -> Self {
        BearerAuthBody {
            kind: Kind::Refused {
                data: Some(data).filter(|d| !d.is_empty()),
            },
        }
    }
}

impl<B> Body for BearerAuthBody<B>
where
    B: Body<Data = Bytes>,
    B::Error: Into<BoxError>,
{
    type Data = Bytes;
    type Error = BoxError;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<http_body::Frame<Bytes>, BoxError>>> {
        match self.project().kind.project() {
            KindProj::Inner { body } => body
                .poll_frame(cx)
                .map(|frame| frame.map(|r| r.map_err(Into::into))),
            KindProj::Refused { data } => {
                Poll::Ready(data.take().map(|d| Ok(http_body::Frame::data(d))))
            }
        }
    }

    fn is_end_stream(&self) -> bool {
        match &self.kind {
            Kind::Inner { body } => body.is_end_stream(),
            Kind::Refused { data } => data.is_none(),
        }
    }

    fn size_hint(&self) -> http_body::SizeHint {
        match &self.kind {
            Kind::Inner { body } => body.size_hint(),
            Kind::Refused { data } => {
                http_body::SizeHint::with_exact(data.as_ref().map_or(0, |d| d.len() as u64))
            }
        }
    }
}

/// How a request is answered: gRPC (trailers-only), gRPC-Web (trailers-only
/// in gRPC-Web form, binary or text as the request), or plain HTTP.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Protocol {
    Grpc,
    GrpcWeb { text: bool },
    Http,
}

impl Protocol {
    pub(super) fn of<B>(req: &http::Request<B>) -> Protocol {
        let Some(content_type) = req.headers().get(header::CONTENT_TYPE) else {
            return Protocol::Http;
        };
        let ct = content_type.as_bytes();
        if ct.starts_with(b"application/grpc-web-text") {
            Protocol::GrpcWeb { text: true }
        } else if ct.starts_with(b"application/grpc-web") {
            Protocol::GrpcWeb { text: false }
        } else if ct.starts_with(b"application/grpc") {
            Protocol::Grpc
        } else {
            Protocol::Http
        }
    }

    /// `status` as this protocol's trailers-only response: gRPC-Web carries
    /// the same `grpc-*` headers, with its own content type (what a page's
    /// gRPC-Web client reads; CORS must expose them).
    pub(super) fn trailers_only(self, status: tonic::Status) -> http::Response<Bytes> {
        // Trailers-only: the status in the headers, no body at all.
        let mut response = status
            .into_http::<tonic::body::Body>()
            .map(|_| Bytes::new());
        let content_type = match self {
            Protocol::GrpcWeb { text: true } => "application/grpc-web-text+proto",
            Protocol::GrpcWeb { text: false } => "application/grpc-web+proto",
            Protocol::Grpc | Protocol::Http => return response,
        };
        response.headers_mut().insert(
            header::CONTENT_TYPE,
            http::HeaderValue::from_static(content_type),
        );
        response
    }
}
