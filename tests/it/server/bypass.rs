//! What `BearerAuthLayer` is for: a request reaches the wrapped service only
//! on a public route or with a valid token that has the route's scopes,
//! whatever its method (`OPTIONS`, `HEAD`, `CONNECT`, extension methods) or
//! headers (CORS, gRPC, gRPC-Web, content types).
//!
//! The known bypasses each have a test (a CORS preflight over raw HTTP/2 to
//! a tonic server and to every kind of axum route; `HEAD` under a `GET`
//! rule), and one property states the invariant over generated requests,
//! against a tonic router and an axum router.
#![cfg(any(feature = "jwt-aws-lc", feature = "jwt-rust-crypto"))]

use crate::support::jwt_server;

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use auth_error::jwt::JwtVerifier;
use auth_error::server::{BearerAuthLayer, Route};
use bytes::Bytes;
use http::{Method, Request, header};
use jsonwebtoken::{Algorithm, DecodingKey};
use jwt_server::*;
use proptest::prelude::*;
use serde_json::{Value, json};
use tonic_health::pb::health_server::HealthServer;
use tower::{Layer, ServiceExt};

fn layer() -> BearerAuthLayer<JwtVerifier> {
    BearerAuthLayer::builder(JwtVerifier::new(
        DecodingKey::from_secret(SECRET),
        validation(Algorithm::HS256),
    ))
    .add_public_route(Route::exact("/healthz"))
    .add_public_route("grpc.reflection.v1.ServerReflection")
    .add_required_scopes(
        Route::from("/api/orders").with_method(Method::GET),
        ["orders.read"],
    )
    .add_required_scopes("grpc.health.v1.Health", ["health.read"])
    .build()
    .unwrap()
}

/// Counts the requests that reach the wrapped service.
#[derive(Clone)]
struct Counted<S> {
    inner: S,
    calls: Arc<AtomicUsize>,
}

impl<S: tower::Service<R>, R> tower::Service<R> for Counted<S> {
    type Response = S::Response;
    type Error = S::Error;
    type Future = S::Future;

    fn poll_ready(
        &mut self,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Result<(), S::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, req: R) -> S::Future {
        self.calls.fetch_add(1, Ordering::SeqCst);
        self.inner.call(req)
    }
}

struct Calls(Arc<AtomicUsize>);

impl Calls {
    fn get(&self) -> usize {
        self.0.load(Ordering::SeqCst)
    }
}

fn counted<S>(inner: S) -> (Calls, Counted<S>) {
    let calls = Arc::new(AtomicUsize::new(0));
    (Calls(calls.clone()), Counted { inner, calls })
}

fn handler_router() -> axum::Router {
    use axum::routing::{any, get};
    axum::Router::new()
        .route("/api/orders", get(|| async { "[]" }))
        .route("/api/any", any(|| async { "any" }))
        .route_service(
            "/api/service",
            tower::service_fn(|_req: Request<axum::body::Body>| async {
                Ok::<_, std::convert::Infallible>(http::Response::new(axum::body::Body::from(
                    "svc",
                )))
            }),
        )
        .nest_service(
            "/nested",
            tower::service_fn(|_req: Request<axum::body::Body>| async {
                Ok::<_, std::convert::Infallible>(http::Response::new(axum::body::Body::from(
                    "nested",
                )))
            }),
        )
        .route("/healthz", get(|| async { "ok" }))
        .fallback(|| async { "fallback" })
}

fn preflight(path: &str) -> Request<axum::body::Body> {
    Request::options(path)
        .header(header::ORIGIN, "https://app.example.com")
        .header(header::ACCESS_CONTROL_REQUEST_METHOD, "POST")
        .header(
            header::ACCESS_CONTROL_REQUEST_HEADERS,
            "authorization,content-type",
        )
        .body(axum::body::Body::empty())
        .unwrap()
}

#[tokio::test]
async fn a_preflight_without_a_token_reaches_no_axum_route() {
    for path in [
        "/api/orders",
        "/api/any",
        "/api/service",
        "/nested/x",
        "/elsewhere",
    ] {
        let (calls, service) = counted(handler_router());
        let app = layer().layer(service);
        let response = app.oneshot(preflight(path)).await.unwrap();
        assert_eq!(response.status(), 401, "{path}");
        assert_eq!(calls.get(), 0, "{path}: the wrapped service ran");
    }
    // A public route stays public, preflight or not.
    let (calls, service) = counted(handler_router());
    let response = layer()
        .layer(service)
        .oneshot(preflight("/healthz"))
        .await
        .unwrap();
    assert_ne!(response.status(), 401);
    assert_eq!(calls.get(), 1);
}

#[tokio::test]
async fn a_preflight_with_a_token_still_needs_the_routes_scopes() {
    let mut claims = good_claims();
    claims["scope"] = json!("profile");
    let mut request = preflight("/grpc.health.v1.Health/Check");
    request.headers_mut().insert(
        header::AUTHORIZATION,
        format!("Bearer {}", hs256(&claims)).parse().unwrap(),
    );
    let (calls, service) = counted(handler_router());
    let response = layer().layer(service).oneshot(request).await.unwrap();
    assert_eq!(response.status(), 403);
    assert_eq!(calls.get(), 0);
}

/// Over HTTP/2, as a browser never would but an attacker can: `OPTIONS` with
/// the preflight header, a gRPC content type and a gRPC frame, no token.
/// tonic routes by path and ignores the method, so a layer that forwarded
/// it would run the RPC (grpc-status 0).
#[tokio::test]
async fn a_preflight_shaped_grpc_call_over_http2_is_refused_by_a_tonic_server() {
    let server = start(Some(layer())).await;
    let tcp = tokio::net::TcpStream::connect(server.addr).await.unwrap();
    let (client, connection) = h2::client::handshake(tcp).await.unwrap();
    tokio::spawn(connection);
    let mut client = client.ready().await.unwrap();
    let request = Request::builder()
        .method(Method::OPTIONS)
        .uri(format!("http://{}{CHECK}", server.addr))
        .header(header::ACCESS_CONTROL_REQUEST_METHOD, "POST")
        .header(header::ORIGIN, "https://app.example.com")
        .header(header::CONTENT_TYPE, "application/grpc")
        .header("te", "trailers")
        .body(())
        .unwrap();
    let (response, mut body) = client.send_request(request, false).unwrap();
    // An empty HealthCheckRequest: flag 0, length 0.
    body.send_data(Bytes::from_static(&[0, 0, 0, 0, 0]), true)
        .unwrap();
    let response = response.await.unwrap();
    let mut status = response
        .headers()
        .get("grpc-status")
        .map(|v| v.to_str().unwrap().to_owned());
    let mut body = response.into_body();
    while let Some(chunk) = body.data().await {
        chunk.unwrap();
    }
    if let Some(trailers) = body.trailers().await.unwrap() {
        status = status.or_else(|| {
            trailers
                .get("grpc-status")
                .map(|v| v.to_str().unwrap().to_owned())
        });
    }
    assert_eq!(
        status.as_deref(),
        Some("16"),
        "UNAUTHENTICATED, not the RPC's answer"
    );
    server.shutdown().await;
}

#[tokio::test]
async fn head_is_covered_by_a_get_rule() {
    let route = Route::from("/api/orders").with_method(Method::GET);
    assert!(route.covers(&Method::HEAD, "/api/orders"));
    assert!(!route.covers(&Method::POST, "/api/orders"));
    let mut claims = good_claims();
    claims["scope"] = json!("profile");
    let head = Request::head("/api/orders")
        .header(header::AUTHORIZATION, format!("Bearer {}", hs256(&claims)))
        .body(axum::body::Body::empty())
        .unwrap();
    let (calls, service) = counted(handler_router());
    let response = layer().layer(service).oneshot(head).await.unwrap();
    assert_eq!(response.status(), 403);
    assert_eq!(calls.get(), 0, "the GET handler ran for HEAD");
}

// --- The invariant, as a property ------------------------------------------

#[derive(Clone, Copy, Debug)]
enum Token {
    None,
    Malformed,
    WrongSignature,
    Expired,
    /// Valid, with `profile` only.
    NoScope,
    /// Valid, with every scope the rules name.
    AllScopes,
}

fn token(kind: Token) -> Option<String> {
    let mut claims: Value = good_claims();
    claims["scope"] = json!("orders.read health.read profile");
    match kind {
        Token::None => None,
        Token::Malformed => Some("Bearer not a jwt".into()),
        Token::WrongSignature => Some(format!(
            "Bearer {}",
            forged(&json!({"alg": "HS256", "typ": "JWT"}), &claims)
        )),
        Token::Expired => {
            claims["exp"] = json!(now() - 3600);
            Some(format!("Bearer {}", hs256(&claims)))
        }
        Token::NoScope => {
            claims["scope"] = json!("profile");
            Some(format!("Bearer {}", hs256(&claims)))
        }
        Token::AllScopes => Some(format!("Bearer {}", hs256(&claims))),
    }
}

/// The oracle, written from the rules above independently of `Route`.
fn may_pass(method: &Method, path: &str, kind: Token) -> bool {
    let public = path == "/healthz"
        || path == "/grpc.reflection.v1.ServerReflection"
        || path.starts_with("/grpc.reflection.v1.ServerReflection/");
    if public {
        return true;
    }
    let needs_scope = ((method == Method::GET || method == Method::HEAD)
        && (path == "/api/orders" || path.starts_with("/api/orders/")))
        || path == "/grpc.health.v1.Health"
        || path.starts_with("/grpc.health.v1.Health/");
    match kind {
        Token::AllScopes => true,
        Token::NoScope => !needs_scope,
        _ => false,
    }
}

fn methods() -> impl Strategy<Value = Method> {
    prop_oneof![
        Just(Method::GET),
        Just(Method::HEAD),
        Just(Method::POST),
        Just(Method::PUT),
        Just(Method::DELETE),
        Just(Method::OPTIONS),
        Just(Method::CONNECT),
        Just(Method::PATCH),
        Just(Method::TRACE),
        Just(Method::from_bytes(b"PURGE").unwrap()),
    ]
}

fn paths() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("/healthz".to_owned()),
        Just("/healthz/x".to_owned()),
        Just("/api/orders".to_owned()),
        Just("/api/orders/42".to_owned()),
        Just("/api/orders-archive".to_owned()),
        Just("/api/any".to_owned()),
        Just("/nested/x".to_owned()),
        Just(CHECK.to_owned()),
        Just("/grpc.health.v1.Health/Watch".to_owned()),
        Just("/grpc.health.v1.HealthAdmin/Check".to_owned()),
        Just("/grpc.reflection.v1.ServerReflection/ServerReflectionInfo".to_owned()),
        "/[a-z.]{1,12}(/[A-Za-z]{1,8})?",
    ]
}

fn tokens() -> impl Strategy<Value = Token> {
    prop_oneof![
        Just(Token::None),
        Just(Token::Malformed),
        Just(Token::WrongSignature),
        Just(Token::Expired),
        Just(Token::NoScope),
        Just(Token::AllScopes),
    ]
}

#[derive(Clone, Debug)]
struct Headers {
    content_type: Option<&'static str>,
    preflight: bool,
    origin: bool,
    grpc_web: bool,
}

fn headers() -> impl Strategy<Value = Headers> {
    (
        prop::option::of(prop::sample::select(vec![
            "application/grpc",
            "application/grpc+proto",
            "application/grpc-web+proto",
            "application/grpc-web-text",
            "application/json",
            "text/plain",
        ])),
        any::<bool>(),
        any::<bool>(),
        any::<bool>(),
    )
        .prop_map(|(content_type, preflight, origin, grpc_web)| Headers {
            content_type,
            preflight,
            origin,
            grpc_web,
        })
}

fn request(
    method: &Method,
    path: &str,
    headers: &Headers,
    kind: Token,
) -> Request<axum::body::Body> {
    let mut builder = Request::builder().method(method.clone()).uri(path);
    if let Some(ct) = headers.content_type {
        builder = builder.header(header::CONTENT_TYPE, ct);
    }
    if headers.preflight {
        builder = builder
            .header(header::ACCESS_CONTROL_REQUEST_METHOD, "POST")
            .header(header::ACCESS_CONTROL_REQUEST_HEADERS, "authorization");
    }
    if headers.origin {
        builder = builder.header(header::ORIGIN, "https://app.example.com");
    }
    if headers.grpc_web {
        builder = builder.header("x-grpc-web", "1");
    }
    if let Some(value) = token(kind) {
        builder = builder.header(header::AUTHORIZATION, value);
    }
    builder
        .body(axum::body::Body::from(Bytes::from_static(&[0, 0, 0, 0, 0])))
        .unwrap()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn only_a_public_route_or_a_valid_token_with_its_scopes_reaches_the_service(
        method in methods(),
        path in paths(),
        headers in headers(),
        kind in tokens(),
    ) {
        let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
        let expected = may_pass(&method, &path, kind);
        runtime.block_on(async {
            // An axum router with every kind of route.
            let (calls, service) = counted(handler_router());
            let response = layer().layer(service)
                .oneshot(request(&method, &path, &headers, kind))
                .await
                .unwrap();
            prop_assert_eq!(calls.get() == 1, expected, "axum: {} {} {:?} {:?} -> {}", method, path, headers, kind, response.status());
            // A tonic router (gRPC services route by path only).
            let routes = tonic::service::Routes::new(HealthServer::new(WhoAmI));
            let (calls, service) = counted(routes);
            let response = layer().layer(service)
                .oneshot(request(&method, &path, &headers, kind))
                .await
                .unwrap();
            prop_assert_eq!(calls.get() == 1, expected, "tonic: {} {} {:?} {:?} -> {}", method, path, headers, kind, response.status());
            Ok(())
        })?;
    }
}
