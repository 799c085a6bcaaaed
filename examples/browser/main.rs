//! The browser example's server (`cargo run --example browser --features
//! grpc-web,axum`): a page on one origin, and on another origin an API serving
//! gRPC-Web (the standard health service) and a REST route behind
//! `BearerAuthLayer`, with the CORS preset outermost. Open the printed URL:
//! the page (examples/browser/src, built with `npm run build:browser`) calls
//! without a token, with an expired one (and refreshes), without the scope,
//! and the REST route, and shows each decoded reason and client action.
//!
//! Layer order on the API (outermost first):
//! `grpc_web_cors()` → `BearerAuthLayer` → routes, with
//! `tonic_web::GrpcWebLayer` on the gRPC routes only.
//!
//! `PAGE_PORT` and `API_PORT` pick the ports (default 0: any free port); the
//! first two lines printed are `PAGE <origin>` and `API <origin>`.

use std::path::PathBuf;
use std::time::{SystemTime, UNIX_EPOCH};

use auth_error::jwt::JwtVerifier;
use auth_error::server::{BearerAuthLayer, Route, grpc_web_cors};
use axum::Router;
use axum::extract::Query;
use axum::response::IntoResponse;
use axum::routing::{get, post};
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use tower_layer::Layer;

const AUDIENCE: &str = "browser-demo";
const ISSUER: &str = "auth-error-example";

fn secret() -> Vec<u8> {
    // A key per run; the example's tokens mean nothing elsewhere.
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default()
        .as_nanos();
    format!("browser-example-{nanos}-{}", std::process::id()).into_bytes()
}

fn now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

#[derive(serde::Deserialize)]
struct Kind {
    kind: String,
}

/// `POST /token?kind=good|expired|noscope`: a token to play with.
async fn token(secret: Vec<u8>, Query(Kind { kind }): Query<Kind>) -> axum::response::Response {
    let (exp, scope) = match kind.as_str() {
        "good" => (now() + 600, "health.read orders.read"),
        "expired" => (now() - 600, "health.read orders.read"),
        "noscope" => (now() + 600, "profile"),
        _ => {
            return (
                http::StatusCode::BAD_REQUEST,
                "kind: good, expired or noscope",
            )
                .into_response();
        }
    };
    let claims = serde_json::json!({
        "sub": "browser-user", "aud": AUDIENCE, "iss": ISSUER, "exp": exp, "scope": scope,
    });
    match jsonwebtoken::encode(
        &Header::new(Algorithm::HS256),
        &claims,
        &EncodingKey::from_secret(&secret),
    ) {
        Ok(token) => axum::Json(serde_json::json!({ "access_token": token })).into_response(),
        Err(_) => http::StatusCode::INTERNAL_SERVER_ERROR.into_response(),
    }
}

/// The page's files, from `examples/browser/dist`.
async fn page(uri: http::Uri) -> axum::response::Response {
    let dist = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("examples/browser/dist");
    let (file, content_type) = match uri.path() {
        "/" | "/index.html" => ("index.html", "text/html; charset=utf-8"),
        "/app.js" => ("app.js", "text/javascript; charset=utf-8"),
        _ => return http::StatusCode::NOT_FOUND.into_response(),
    };
    match tokio::fs::read(dist.join(file)).await {
        Ok(bytes) => ([(http::header::CONTENT_TYPE, content_type)], bytes).into_response(),
        Err(_) => (
            http::StatusCode::NOT_FOUND,
            format!("{file} is missing: run `npm ci && npm run build:browser` first"),
        )
            .into_response(),
    }
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let port = |name: &str| {
        std::env::var(name)
            .ok()
            .and_then(|p| p.parse::<u16>().ok())
            .unwrap_or(0)
    };
    let page_listener = tokio::net::TcpListener::bind(("127.0.0.1", port("PAGE_PORT"))).await?;
    let api_listener = tokio::net::TcpListener::bind(("127.0.0.1", port("API_PORT"))).await?;
    let page_origin = format!("http://{}", page_listener.local_addr()?);
    let api_origin = format!("http://{}", api_listener.local_addr()?);

    let secret = secret();
    let mut validation = Validation::new(Algorithm::HS256);
    validation.set_audience(&[AUDIENCE]);
    validation.set_issuer(&[ISSUER]);
    validation.leeway = 0;
    let verifier = JwtVerifier::new(DecodingKey::from_secret(&secret), validation);
    let auth = BearerAuthLayer::builder(verifier)
        .add_required_scopes("grpc.health.v1.Health", ["health.read"])
        .add_required_scopes(
            Route::from("/api/orders").with_method(http::Method::GET),
            ["orders.read"],
        )
        .add_public_route(Route::exact("/token").with_method(http::Method::POST))
        .with_realm("browser-demo")
        .build()?;
    // A list: an origin not in it gets no Access-Control-Allow-Origin at all.
    let cors = grpc_web_cors().allow_origin(tower_http::cors::AllowOrigin::list([
        http::HeaderValue::from_str(&page_origin)?,
    ]));

    let (_reporter, health) = tonic_health::server::health_reporter();
    let grpc_web = tonic_web::GrpcWebLayer::new().layer(health);
    let api = Router::new()
        .route_service("/grpc.health.v1.Health/{*method}", grpc_web)
        .route(
            "/api/orders",
            get(|| async { axum::Json(serde_json::json!({ "orders": [] })) }),
        )
        .route("/token", post(move |query| token(secret.clone(), query)))
        .layer(auth)
        .layer(cors);
    let page = Router::new().fallback(page);

    println!("PAGE {page_origin}");
    println!("API {api_origin}");
    println!("open {page_origin}/?api={api_origin}");
    let page = axum::serve(page_listener, page);
    let api = axum::serve(api_listener, api);
    tokio::try_join!(async { page.await }, async { api.await })?;
    Ok(())
}
