//! [`Protocol`]: how a request is answered (gRPC, gRPC-Web, plain HTTP).

use bytes::Bytes;
use http::header;

/// RFC 9449's `DPoP` request header (the proof).
#[cfg(feature = "sender-constrained")]
pub(super) const DPOP: http::HeaderName = http::HeaderName::from_static("dpop");

/// RFC 9449 §8's `DPoP-Nonce` header (gRPC response metadata `dpop-nonce`).
pub(super) const DPOP_NONCE: http::HeaderName = http::HeaderName::from_static("dpop-nonce");

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
