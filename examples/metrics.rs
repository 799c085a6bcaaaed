//! Metrics by reason, for Prometheus (`cargo run --example metrics
//! --features metrics,axum`): installs `metrics-exporter-prometheus` on
//! `127.0.0.1:$METRICS_PORT` (`/metrics`), then serves `/orders` behind
//! `BearerAuthLayer` on a free loopback port. It prints `METRICS <url>`,
//! `APP <url>`, and two tokens to try: `VALID <jwt>` and `EXPIRED <jwt>`;
//! then serves until killed.
//!
//! ```sh
//! curl -s -H "authorization: Bearer $EXPIRED" http://127.0.0.1:<app>/orders
//! curl -s http://127.0.0.1:$METRICS_PORT/metrics | grep auth_refusals_total
//! ```

use std::time::{SystemTime, UNIX_EPOCH};

use auth_error::jwt::JwtVerifier;
use auth_error::server::BearerAuthLayer;
use axum::routing::get;
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};

const AUDIENCE: &str = "metrics-example";

/// A key per run: the example's tokens mean nothing elsewhere.
fn secret() -> Vec<u8> {
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default()
        .as_nanos();
    format!("metrics-example-{nanos}-{}-key", std::process::id()).into_bytes()
}

fn token(secret: &[u8], exp: u64) -> Result<String, jsonwebtoken::errors::Error> {
    jsonwebtoken::encode(
        &Header::new(Algorithm::HS256),
        &serde_json::json!({ "sub": "example-user", "aud": AUDIENCE, "exp": exp }),
        &EncodingKey::from_secret(secret),
    )
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let port: u16 = std::env::var("METRICS_PORT")
        .ok()
        .and_then(|p| p.parse().ok())
        .unwrap_or(9000);
    // The recorder first: the layer registers its counters when it is built.
    metrics_exporter_prometheus::PrometheusBuilder::new()
        .with_http_listener(([127, 0, 0, 1], port))
        .install()?;

    let secret = secret();
    let mut validation = Validation::new(Algorithm::HS256);
    validation.set_audience(&[AUDIENCE]);
    let verifier = JwtVerifier::new(DecodingKey::from_secret(&secret), validation);
    let layer = BearerAuthLayer::builder(verifier).build()?;
    let app = axum::Router::new()
        .route("/orders", get(|| async { "orders" }))
        .layer(layer);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let now = SystemTime::now().duration_since(UNIX_EPOCH)?.as_secs();
    println!("METRICS http://127.0.0.1:{port}/metrics");
    println!("APP http://{}", listener.local_addr()?);
    println!("VALID {}", token(&secret, now + 3600)?);
    println!("EXPIRED {}", token(&secret, now.saturating_sub(3600))?);
    axum::serve(listener, app).await?;
    Ok(())
}
