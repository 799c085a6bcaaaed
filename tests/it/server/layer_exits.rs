//! `BearerAuthLayer`'s own answers, in-process: the gRPC refusal is exactly
//! what `try_into_status` produces and trailers-only (no body, no
//! trailers), the gRPC-Web refusal too (in gRPC-Web form), a verifier's
//! leaky error goes through the text and metadata rules on every exit
//! (gRPC, gRPC-Web, HTTP), and a rejected request's body is drained.
#![cfg(any(feature = "jwt-aws-lc", feature = "jwt-rust-crypto"))]

use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::task::{Context, Poll};
use std::time::Duration;

use auth_error::server::{BearerAuthLayer, Rejection, TokenVerifier, Verified};
use auth_error::{AuthError, AuthErrorCode};
use bytes::Bytes;
use http_body::{Body, Frame};
use http_body_util::BodyExt;
use tower::{Layer, ServiceExt};

const JWT: &str = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJhbGljZSJ9.c2lnbmF0dXJlLWxlYWtlZA";

/// A verifier that refuses every token with an error that would leak it.
struct Leaky;

impl TokenVerifier for Leaky {
    type Claims = ();

    async fn verify(&self, token: &str) -> Result<Verified<()>, Rejection> {
        Err(AuthError::new(AuthErrorCode::AuthFailedInvalidBearerToken)
            .with_message(format!("bad token {token}"))
            .with_metadata("accessToken", token)
            .with_metadata("tenantId", "acme")
            .into())
    }
}

fn ok_service() -> impl tower::Service<
    http::Request<tonic::body::Body>,
    Response = http::Response<tonic::body::Body>,
    Error = std::convert::Infallible,
    Future = impl Send,
> + Clone
+ Send
+ 'static {
    tower::service_fn(|_req: http::Request<tonic::body::Body>| async {
        Ok(http::Response::new(tonic::body::Body::empty()))
    })
}

fn grpc_request(
    content_type: &str,
    authorization: Option<&str>,
) -> http::Request<tonic::body::Body> {
    let mut builder =
        http::Request::post("/orders.v1.Orders/Get").header("content-type", content_type);
    if let Some(value) = authorization {
        builder = builder.header("authorization", value);
    }
    builder.body(tonic::body::Body::empty()).unwrap()
}

/// The response's headers and its body frames: (data bytes, trailers).
async fn read(
    response: http::Response<impl Body<Data = Bytes, Error = impl std::fmt::Debug>>,
) -> (http::HeaderMap, Vec<u8>, Option<http::HeaderMap>) {
    let (parts, body) = response.into_parts();
    let collected = body.collect().await.unwrap();
    let trailers = collected.trailers().cloned();
    (parts.headers, collected.to_bytes().to_vec(), trailers)
}

#[tokio::test]
async fn the_grpc_refusal_is_exactly_try_into_status_and_trailers_only() {
    let layer = BearerAuthLayer::builder(Leaky).build().unwrap();
    for content_type in [
        "application/grpc",
        "application/grpc-web+proto",
        "application/grpc-web-text",
    ] {
        let response = layer
            .layer(ok_service())
            .oneshot(grpc_request(content_type, None))
            .await
            .unwrap();
        assert_eq!(response.status(), 200);
        let (headers, body, trailers) = read(response).await;
        assert!(
            body.is_empty(),
            "{content_type}: trailers-only has no body: {body:?}"
        );
        assert_eq!(trailers, None, "{content_type}");
        let want = AuthError::new(AuthErrorCode::BearerTokenMissing)
            .try_into_status()
            .unwrap()
            .into_http::<tonic::body::Body>();
        for name in ["grpc-status", "grpc-message", "grpc-status-details-bin"] {
            assert_eq!(
                headers.get(name),
                want.headers().get(name),
                "{content_type}: {name}"
            );
        }
        let expected_type = match content_type {
            "application/grpc" => "application/grpc",
            "application/grpc-web-text" => "application/grpc-web-text+proto",
            _ => "application/grpc-web+proto",
        };
        assert_eq!(headers["content-type"], expected_type);
    }
}

#[tokio::test]
async fn a_verifiers_leaky_error_is_cleaned_on_every_exit() {
    let layer = BearerAuthLayer::builder(Leaky).build().unwrap();
    let bearer = format!("Bearer {JWT}");
    for content_type in [
        "application/grpc",
        "application/grpc-web+proto",
        "application/grpc-web-text",
        "application/json",
    ] {
        let response = layer
            .layer(ok_service())
            .oneshot(grpc_request(content_type, Some(&bearer)))
            .await
            .unwrap();
        let (headers, body, _) = read(response).await;
        let mut everything = format!("{headers:?}");
        for value in headers.values() {
            // The details are base64: decode them to look inside.
            if let Ok(decoded) = base64::Engine::decode(
                &base64::engine::general_purpose::STANDARD_NO_PAD,
                value.as_bytes(),
            ) {
                everything.push_str(&String::from_utf8_lossy(&decoded));
            }
        }
        everything.push_str(&String::from_utf8_lossy(&body));
        assert!(
            !everything.contains("c2lnbmF0dXJl"),
            "{content_type}: {everything}"
        );
        assert!(
            !everything.contains("accessToken"),
            "{content_type}: {everything}"
        );
        assert!(
            everything.contains("AUTH_FAILED_INVALID_BEARER_TOKEN"),
            "{content_type}: {everything}"
        );
        assert!(
            everything.contains("acme"),
            "{content_type}: the clean entry stays: {everything}"
        );
    }
}

/// A request body that records whether it was read to its end.
struct Probe {
    left: usize,
    polled: Arc<AtomicUsize>,
    finished: Arc<AtomicBool>,
}

impl Body for Probe {
    type Data = Bytes;
    type Error = std::convert::Infallible;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        _cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, Self::Error>>> {
        self.polled.fetch_add(1, Ordering::SeqCst);
        if self.left == 0 {
            self.finished.store(true, Ordering::SeqCst);
            return Poll::Ready(None);
        }
        self.left -= 1;
        Poll::Ready(Some(Ok(Frame::data(Bytes::from(vec![0u8; 1024])))))
    }
}

#[tokio::test]
async fn a_rejected_requests_body_is_drained() {
    let layer = BearerAuthLayer::builder(Leaky).build().unwrap();
    // The service sees the request's own body type: the layer wraps nothing.
    let service = tower::service_fn(|_req: http::Request<Probe>| async {
        Ok::<_, std::convert::Infallible>(http::Response::new(tonic::body::Body::empty()))
    });
    // Refused without a token (the canned answer), and refused by the
    // verifier (the verifying future): both drain the body.
    for authorization in [None, Some("Bearer abc")] {
        let (polled, finished) = (
            Arc::new(AtomicUsize::new(0)),
            Arc::new(AtomicBool::new(false)),
        );
        let body = Probe {
            left: 8,
            polled: polled.clone(),
            finished: finished.clone(),
        };
        let mut request =
            http::Request::post("/orders.v1.Orders/Get").header("content-type", "application/grpc");
        if let Some(value) = authorization {
            request = request.header("authorization", value);
        }
        let request = request.body(body).unwrap();
        let response = layer.layer(service).oneshot(request).await.unwrap();
        assert_eq!(
            response.headers()["grpc-status"],
            "16",
            "refused: {authorization:?}"
        );
        let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
        while !finished.load(Ordering::SeqCst) {
            assert!(tokio::time::Instant::now() < deadline, "never drained");
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        assert_eq!(polled.load(Ordering::SeqCst), 9, "8 frames, then the end");
    }
}
