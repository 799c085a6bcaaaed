//! What the layer answers a request it refuses: per protocol (gRPC,
//! gRPC-Web, HTTP), canned when constant, in an unboxed body.

use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use bytes::Bytes;
use http::header;
use http_body::Body;

use super::config::Config;
use super::protocol::{DPOP_NONCE, Protocol};
use super::verifier::retry_after_of;
use crate::server::{Rejection, TokenVerifier};
use crate::{AuthError, BoxError};

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

/// The answer to a refused request: gRPC and gRPC-Web get exactly what
/// `try_into_status` produces (an error the rules refuse, such as a
/// verifier's secret metadata, goes out leniently), trailers-only;
/// HTTP the status, the challenge and the body.
pub(super) fn refusal<V: TokenVerifier>(
    config: &Config<V>,
    err: AuthError,
    protocol: Protocol,
) -> http::Response<Bytes> {
    if protocol != Protocol::Http {
        let status = err.clone().try_into_status().unwrap_or_else(|_| err.into());
        return protocol.trailers_only(status);
    }
    crate::http::response::rejection(
        &err,
        config.realm.as_deref(),
        config.resource_metadata.as_deref(),
        config.dpop_algs(),
    )
}

/// The answer to a refused request: the verifier's (or the layer's own)
/// [`Rejection`], in the request's protocol.
pub(super) fn respond<V: TokenVerifier>(
    config: &Config<V>,
    rejection: Rejection,
    protocol: Protocol,
) -> http::Response<Bytes> {
    let grpc = protocol != Protocol::Http;
    match rejection {
        Rejection::Auth(err) => {
            // RFC 9449 §8: the nonce to put in the next proof, as a
            // header (HTTP) or response metadata (gRPC, trailers-only).
            let nonce = (err.code() == crate::AuthErrorCode::DpopNonceRequired)
                .then(|| config.dpop_nonce())
                .flatten();
            let mut response = refusal(config, err, protocol);
            if let Some(nonce) = nonce {
                response.headers_mut().insert(DPOP_NONCE, nonce);
            }
            response
        }
        Rejection::Unavailable(err) => {
            config.metrics.request(crate::observe::Outcome::Unavailable);
            tracing::warn!(error = %err, "auth-error: credentials cannot be verified right now");
            if let Some(hook) = &config.on_fault {
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
            config.metrics.request(crate::observe::Outcome::Fault);
            tracing::error!(error = %fault, "auth-error: server fault while verifying a bearer token");
            if let Some(hook) = &config.on_fault {
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
