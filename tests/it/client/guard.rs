//! `StatusDetailsGuardLayer`: a peer's malformed `grpc-status-details-bin`
//! cannot panic a tonic client.
//!
//! A raw HTTP/2 server (the `h2` crate, on 127.0.0.1) answers each call with
//! the form named by its `x-case` header, either trailers-only or as trailers
//! after a response message. Without the layer tonic panics in the calling
//! task; with it every call returns a `Status` with the plain code and
//! message, and no auth error.

use crate::support::common;

use std::net::SocketAddr;

use auth_error::guard::StatusDetailsGuardLayer;
use auth_error::{AuthError, AuthErrorCode, AuthStatusExt};
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD_NO_PAD;
use bytes::Bytes;
use http::{HeaderMap, HeaderValue, Response};
use tokio::net::TcpListener;
use tonic::Code;
use tonic::transport::Channel;
use tonic_health::pb::HealthCheckRequest;
use tonic_health::pb::health_client::HealthClient;
use tower::ServiceBuilder;

fn valid_details() -> String {
    let status: tonic::Status = AuthError::new(AuthErrorCode::TokenExpired)
        .with_message("m")
        .into();
    STANDARD_NO_PAD.encode(status.details())
}

fn other_valid_details() -> String {
    let status: tonic::Status = AuthError::new(AuthErrorCode::SessionExpired)
        .with_message("m")
        .into();
    STANDARD_NO_PAD.encode(status.details())
}

/// The malformed forms, by name.
fn malformed(case: &str) -> Vec<HeaderValue> {
    let v = valid_details();
    match case {
        "invalid-base64" => vec![HeaderValue::from_static("!!!not*base64!!!")],
        "not-ascii" => vec![HeaderValue::from_bytes(b"CBAS\xff\xfe").unwrap()],
        "comma-joined-different" => vec![format!("{v},{}", other_valid_details()).parse().unwrap()],
        "comma-joined-truncated" => vec![format!("{v},{}", &v[..10]).parse().unwrap()],
        "oversized" => vec![
            STANDARD_NO_PAD
                .encode(vec![0x0au8; 7 * 1024])
                .parse()
                .unwrap(),
        ],
        "repeated-different" => vec![v.parse().unwrap(), other_valid_details().parse().unwrap()],
        // Not malformed: duplicates of one value, which the guard repairs.
        "comma-joined-same" => vec![format!("{v},{v}").parse().unwrap()],
        other => panic!("unknown case {other}"),
    }
}

const PANICKING: [&str; 4] = [
    "invalid-base64",
    "not-ascii",
    "comma-joined-different",
    "comma-joined-truncated",
];
const DROPPED: [&str; 6] = [
    "invalid-base64",
    "not-ascii",
    "comma-joined-different",
    "comma-joined-truncated",
    "oversized",
    "repeated-different",
];

fn status_headers(case: &str) -> HeaderMap {
    let mut h = HeaderMap::new();
    h.insert("grpc-status", HeaderValue::from_static("16"));
    h.insert("grpc-message", HeaderValue::from_static("m"));
    for value in malformed(case) {
        h.append("grpc-status-details-bin", value);
    }
    h
}

/// A raw h2 server: `x-case` picks the form, `x-trailers-after-data` the framing.
async fn raw_server() -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        while let Ok((socket, _)) = listener.accept().await {
            tokio::spawn(async move {
                let mut conn = h2::server::handshake(socket).await.unwrap();
                while let Some(Ok((req, mut respond))) = conn.accept().await {
                    let case = req.headers()["x-case"].to_str().unwrap().to_owned();
                    let after_data = req.headers().contains_key("x-trailers-after-data");
                    let mut head = Response::builder()
                        .status(200)
                        .header("content-type", "application/grpc")
                        .body(())
                        .unwrap();
                    if after_data {
                        let mut send = respond.send_response(head, false).unwrap();
                        // One HealthCheckResponse { status: SERVING }.
                        send.send_data(Bytes::from_static(&[0, 0, 0, 0, 2, 0x08, 0x01]), false)
                            .unwrap();
                        send.send_trailers(status_headers(&case)).unwrap();
                    } else {
                        head.headers_mut().extend(status_headers(&case));
                        respond.send_response(head, true).unwrap();
                    }
                }
            });
        }
    });
    addr
}

fn request(case: &str, after_data: bool) -> tonic::Request<HealthCheckRequest> {
    let mut req = tonic::Request::new(HealthCheckRequest::default());
    req.metadata_mut().insert("x-case", case.parse().unwrap());
    if after_data {
        req.metadata_mut()
            .insert("x-trailers-after-data", "1".parse().unwrap());
    }
    req
}

async fn channel(addr: SocketAddr) -> Channel {
    Channel::from_shared(format!("http://{addr}"))
        .unwrap()
        .connect()
        .await
        .unwrap()
}

#[tokio::test]
async fn without_the_layer_malformed_details_panic_the_calling_task() {
    let addr = raw_server().await;
    let channel = channel(addr).await;
    for case in PANICKING {
        for after_data in [false, true] {
            let mut client = HealthClient::new(channel.clone());
            let joined =
                tokio::spawn(async move { client.check(request(case, after_data)).await }).await;
            let err = joined.expect_err(&format!(
                "{case} (after data: {after_data}) should panic tonic"
            ));
            assert!(err.is_panic(), "{case}");
        }
    }
}

#[tokio::test]
async fn with_the_layer_every_call_returns_a_plain_status() {
    let addr = raw_server().await;
    let guarded = ServiceBuilder::new()
        .layer(StatusDetailsGuardLayer::default())
        .service(channel(addr).await);
    for case in DROPPED {
        for after_data in [false, true] {
            let mut client = HealthClient::new(guarded.clone());
            let joined =
                tokio::spawn(async move { client.check(request(case, after_data)).await }).await;
            let status = joined
                .unwrap_or_else(|_| {
                    panic!("{case} (after data: {after_data}) panicked despite the guard")
                })
                .unwrap_err();
            assert_eq!(status.code(), Code::Unauthenticated, "{case}");
            assert_eq!(status.message(), "m", "{case}");
            assert!(status.details().is_empty(), "{case}: dropped");
            assert_eq!(status.auth_error(), None, "{case}");
            assert_eq!(status.auth_error_code(), None, "{case}");
            assert_eq!(status.check_auth_error(), Ok(None), "{case}");
        }
    }
}

#[tokio::test]
async fn with_the_layer_identical_duplicates_are_repaired() {
    let addr = raw_server().await;
    let guarded = ServiceBuilder::new()
        .layer(StatusDetailsGuardLayer::default())
        .service(channel(addr).await);
    for after_data in [false, true] {
        let mut client = HealthClient::new(guarded.clone());
        let status = client
            .check(request("comma-joined-same", after_data))
            .await
            .unwrap_err();
        assert_eq!(status.auth_error_code(), Some(AuthErrorCode::TokenExpired));
    }
}

#[tokio::test]
async fn the_layer_is_transparent_for_valid_details() {
    // A real tonic server, through the guard.
    let server = common::start(true).await;
    let guarded = ServiceBuilder::new()
        .layer(StatusDetailsGuardLayer::default())
        .service(channel(server.addr).await);
    let mut client = HealthClient::new(guarded);
    let mut req = tonic::Request::new(HealthCheckRequest::default());
    req.metadata_mut()
        .insert("x-reject-with", "ACCOUNT_LOCKED".parse().unwrap());
    let status = client.check(req).await.unwrap_err();
    assert_eq!(status.auth_error_code(), Some(AuthErrorCode::AccountLocked));
    assert!(client.check(HealthCheckRequest::default()).await.is_ok());
}

/// Every layer's service gives its inner service back (as tower-http's do).
#[test]
fn layer_services_give_back_their_inner_service() {
    use auth_error::guard::StatusDetailsGuardLayer;
    use auth_error::server::DrainRejectedLayer;
    use tower_layer::Layer;
    let mut guard = StatusDetailsGuardLayer::default().layer(7u8);
    *guard.get_mut() += 1;
    assert_eq!(*guard.get_ref(), 8);
    assert_eq!(guard.into_inner(), 8);
    let drain = DrainRejectedLayer::default().layer("inner");
    assert_eq!(*drain.get_ref(), "inner");
    assert_eq!(drain.into_inner(), "inner");
    // tower-http's shapes: `X::new(inner)` and `X::layer()` on the service.
    use auth_error::guard::StatusDetailsGuard;
    use auth_error::server::DrainRejected;
    assert_eq!(StatusDetailsGuard::new(3u8).into_inner(), 3);
    assert_eq!(StatusDetailsGuard::layer().layer(4u8).into_inner(), 4);
    assert_eq!(DrainRejected::new(5u8).into_inner(), 5);
    assert_eq!(DrainRejected::layer().layer(6u8).into_inner(), 6);
    #[cfg(any(feature = "jwt-aws-lc", feature = "jwt-rust-crypto"))]
    {
        use auth_error::jwt::JwtVerifier;
        use auth_error::server::BearerAuthLayer;
        let verifier = JwtVerifier::new(
            jsonwebtoken::DecodingKey::from_secret(b"an-hs256-secret-of-at-least-32-bytes"),
            jsonwebtoken::Validation::default(),
        );
        let bearer = BearerAuthLayer::builder(verifier)
            .build()
            .unwrap()
            .layer(3u8);
        // The bearer service wraps the inner one directly (it drains a
        // refused request's body itself).
        assert_eq!(*bearer.get_ref(), 3);
        assert_eq!(bearer.into_inner(), 3);
    }
}
