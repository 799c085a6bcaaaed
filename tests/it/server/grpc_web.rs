//! Browsers without a browser: the CORS preset's headers, `BearerAuthLayer`
//! answering gRPC-Web requests in gRPC-Web form (binary and text), the CORS
//! layer outermost answering preflights before they reach it, the other
//! placement (inside
//! `GrpcWebLayer`). The page's client-action table comes from the
//! TypeScript companion package (`typescript/`, generated from the code
//! table). The real browser is `tests/browser/run.mjs`, run by the test
//! command.
#![cfg(all(
    feature = "grpc-web",
    feature = "axum",
    any(feature = "jwt-aws-lc", feature = "jwt-rust-crypto")
))]

use auth_error::jwt::JwtVerifier;
use auth_error::server::{BearerAuthLayer, GRPC_WEB_CORS_MAX_AGE, Route, grpc_web_cors};
use auth_error::{AuthErrorCode, AuthStatusExt};
use axum::Router;
use http::{HeaderValue, Method, Request, header};
use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use tower::ServiceExt;
use tower_http::cors::AllowOrigin;
use tower_layer::Layer;

const PAGE: &str = "https://app.example.com";

fn auth() -> BearerAuthLayer<JwtVerifier> {
    let mut validation = Validation::new(Algorithm::HS256);
    validation.set_audience(&["api"]);
    validation.set_issuer(&["https://id.example.com"]);
    BearerAuthLayer::builder(JwtVerifier::new(
        DecodingKey::from_secret(b"an-hs256-secret-of-at-least-32-bytes"),
        validation,
    ))
    .add_required_scopes("grpc.health.v1.Health", ["health.read"])
    .build()
    .unwrap()
}

/// The documented layout: CORS, then `BearerAuthLayer`, then the routes,
/// `GrpcWebLayer` on the gRPC routes only.
fn app() -> Router {
    let (_reporter, health) = tonic_health::server::health_reporter();
    Router::new()
        .route_service(
            "/grpc.health.v1.Health/{*method}",
            tonic_web::GrpcWebLayer::new().layer(health),
        )
        .route("/api/orders", axum::routing::get(|| async { "[]" }))
        .layer(auth())
        .layer(grpc_web_cors().allow_origin(AllowOrigin::list([HeaderValue::from_static(PAGE)])))
}

fn preflight(origin: &str) -> Request<axum::body::Body> {
    Request::options("/grpc.health.v1.Health/Check")
        .header(header::ORIGIN, origin)
        .header(header::ACCESS_CONTROL_REQUEST_METHOD, "POST")
        .header(
            header::ACCESS_CONTROL_REQUEST_HEADERS,
            "authorization,content-type,x-grpc-web,x-user-agent",
        )
        .body(axum::body::Body::empty())
        .unwrap()
}

fn list(headers: &http::HeaderMap, name: header::HeaderName) -> Vec<String> {
    headers
        .get_all(name)
        .iter()
        .flat_map(|v| {
            v.to_str()
                .unwrap()
                .split(',')
                .map(|s| s.trim().to_ascii_lowercase())
        })
        .collect()
}

#[tokio::test]
async fn the_preset_allows_the_page_and_exposes_the_reason() {
    let response = app().oneshot(preflight(PAGE)).await.unwrap();
    assert!(
        response.status().is_success(),
        "a preflight never needs a token"
    );
    let headers = response.headers();
    assert_eq!(headers[header::ACCESS_CONTROL_ALLOW_ORIGIN], PAGE);
    assert!(
        headers
            .get(header::ACCESS_CONTROL_ALLOW_CREDENTIALS)
            .is_none()
    );
    let allowed = list(headers, header::ACCESS_CONTROL_ALLOW_HEADERS);
    for name in [
        "authorization",
        "dpop",
        "content-type",
        "x-grpc-web",
        "x-user-agent",
        "grpc-timeout",
    ] {
        assert!(allowed.contains(&name.to_owned()), "{name} in {allowed:?}");
    }
    let methods = list(headers, header::ACCESS_CONTROL_ALLOW_METHODS);
    for method in ["post", "get", "delete"] {
        assert!(
            methods.iter().any(|m| m.eq_ignore_ascii_case(method)),
            "{methods:?}"
        );
    }
    assert_eq!(
        headers[header::ACCESS_CONTROL_MAX_AGE],
        GRPC_WEB_CORS_MAX_AGE.as_secs().to_string().as_str()
    );

    // An origin not allowed gets nothing to go on.
    let response = app()
        .oneshot(preflight("https://evil.example"))
        .await
        .unwrap();
    assert!(
        response
            .headers()
            .get(header::ACCESS_CONTROL_ALLOW_ORIGIN)
            .is_none()
    );

    // A REST rejection, read from the page: status, challenge, body, exposed.
    let request = Request::get("/api/orders")
        .header(header::ORIGIN, PAGE)
        .body(axum::body::Body::empty())
        .unwrap();
    let response = app().oneshot(request).await.unwrap();
    assert_eq!(response.status(), 401);
    let headers = response.headers();
    assert_eq!(headers[header::ACCESS_CONTROL_ALLOW_ORIGIN], PAGE);
    assert_eq!(headers[header::WWW_AUTHENTICATE], "Bearer");
    let exposed = list(headers, header::ACCESS_CONTROL_EXPOSE_HEADERS);
    for name in [
        "grpc-status",
        "grpc-message",
        "grpc-status-details-bin",
        "www-authenticate",
        "retry-after",
        "dpop-nonce",
    ] {
        assert!(exposed.contains(&name.to_owned()), "{name} in {exposed:?}");
    }
}

/// An empty gRPC-Web message (5-byte frame), binary or base64 text.
fn grpc_web_call(text: bool) -> Request<axum::body::Body> {
    let (content_type, body): (&str, &[u8]) = match text {
        true => ("application/grpc-web-text+proto", b"AAAAAAA="),
        false => ("application/grpc-web+proto", &[0, 0, 0, 0, 0]),
    };
    Request::post("/grpc.health.v1.Health/Check")
        .version(http::Version::HTTP_11)
        .header(header::ORIGIN, PAGE)
        .header(header::CONTENT_TYPE, content_type)
        .header("x-grpc-web", "1")
        .body(axum::body::Body::from(body.to_vec()))
        .unwrap()
}

#[tokio::test]
async fn grpc_web_rejections_are_grpc_web_trailers_only() {
    for text in [false, true] {
        let response = app().oneshot(grpc_web_call(text)).await.unwrap();
        assert_eq!(response.status(), 200);
        let headers = response.headers();
        let expected = match text {
            true => "application/grpc-web-text+proto",
            false => "application/grpc-web+proto",
        };
        assert_eq!(headers[header::CONTENT_TYPE], expected);
        assert_eq!(headers[header::ACCESS_CONTROL_ALLOW_ORIGIN], PAGE);
        let status = tonic::Status::from_header_map(headers).expect("grpc-status in the headers");
        assert_eq!(status.code(), tonic::Code::Unauthenticated);
        assert_eq!(
            status.auth_error_code(),
            Some(AuthErrorCode::BearerTokenMissing)
        );
    }
}

#[tokio::test]
async fn inside_grpc_web_layer_works_too() {
    // The other placement: GrpcWebLayer outside, so BearerAuthLayer sees
    // plain gRPC and tonic-web translates its answer.
    let (_reporter, health) = tonic_health::server::health_reporter();
    let svc = tonic_web::GrpcWebLayer::new().layer(auth().layer(health));
    for text in [false, true] {
        let (parts, body) = grpc_web_call(text).into_parts();
        let request = Request::from_parts(parts, tonic::body::Body::new(body));
        let response = svc.clone().oneshot(request).await.unwrap();
        let headers = response.headers();
        assert!(
            headers[header::CONTENT_TYPE]
                .to_str()
                .unwrap()
                .starts_with("application/grpc-web"),
            "{headers:?}"
        );
        let status = tonic::Status::from_header_map(headers).expect("trailers-only");
        assert_eq!(
            status.auth_error_code(),
            Some(AuthErrorCode::BearerTokenMissing)
        );
    }
}

#[tokio::test]
async fn a_public_route_passes_without_a_token_and_a_preflight_does_not() {
    let layer = BearerAuthLayer::builder(JwtVerifier::new(
        DecodingKey::from_secret(b"an-hs256-secret-of-at-least-32-bytes"),
        Validation::new(Algorithm::HS256),
    ))
    .add_public_route(Route::exact("/token").with_method(Method::POST))
    .build()
    .unwrap();
    let app = Router::new()
        .route("/token", axum::routing::post(|| async { "t" }))
        .route("/x", axum::routing::any(|| async { "x" }))
        .layer(layer);
    let post = Request::post("/token")
        .body(axum::body::Body::empty())
        .unwrap();
    assert_eq!(app.clone().oneshot(post).await.unwrap().status(), 200);
    let options = Request::options("/x")
        .header(header::ACCESS_CONTROL_REQUEST_METHOD, "POST")
        .body(axum::body::Body::empty())
        .unwrap();
    // No CORS layer outside: the preflight reaches the layer, which
    // authenticates it like any request (`tests/it/server/bypass.rs` has the rest).
    assert_eq!(app.clone().oneshot(options).await.unwrap().status(), 401);
    // A plain OPTIONS is no preflight: it needs a token like any request.
    let options = Request::options("/x")
        .body(axum::body::Body::empty())
        .unwrap();
    assert_eq!(app.oneshot(options).await.unwrap().status(), 401);
}
