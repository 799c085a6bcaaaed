//! Step-up authentication (RFC 9470) end to end, in-process: a route that
//! demands a second factor and a login of at most five minutes, and what a
//! REST client and a gRPC client receive when the token's login is weaker.
//!
//! `cargo run --example step_up --features json`

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use auth_error::AuthStatusExt;
use auth_error::jwt::JwtVerifier;
use auth_error::server::BearerAuthLayer;
use http_body_util::BodyExt;
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use serde_json::json;
use tower::{Layer, ServiceExt};

const KEY: &[u8] = b"example-secret-of-the-step-up-example";
const TRANSFER: &str = "/payments.v1.Payments/Transfer";

fn token(acr: &str, logged_in_secs_ago: u64) -> String {
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs();
    let claims = json!({
        "sub": "alice", "aud": "payments", "exp": now + 600,
        "acr": acr, "auth_time": now - logged_in_secs_ago,
    });
    jsonwebtoken::encode(
        &Header::new(Algorithm::HS256),
        &claims,
        &EncodingKey::from_secret(KEY),
    )
    .unwrap()
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut validation = Validation::new(Algorithm::HS256);
    validation.set_audience(&["payments"]);
    let layer =
        BearerAuthLayer::builder(JwtVerifier::new(DecodingKey::from_secret(KEY), validation))
            .add_required_acr(TRANSFER, ["urn:example:mfa"])
            .add_max_auth_age(TRANSFER, Duration::from_secs(300))
            .with_resource_metadata(
                "https://payments.example.com/.well-known/oauth-protected-resource",
            )
            .build()?;
    let service = layer.layer(tower::service_fn(
        |_req: http::Request<tonic::body::Body>| async {
            Ok::<_, std::convert::Infallible>(http::Response::new(tonic::body::Body::empty()))
        },
    ));

    // A REST client: a password login from an hour ago.
    let weak = token("urn:example:pwd", 3600);
    let request = http::Request::post(TRANSFER)
        .header("authorization", format!("Bearer {weak}"))
        .body(tonic::body::Body::empty())?;
    let response = service.clone().oneshot(request).await?;
    println!("HTTP/1.1 {}", response.status());
    for (name, value) in response.headers() {
        println!("{name}: {}", value.to_str()?);
    }
    let body = response
        .into_body()
        .collect()
        .await
        .map_err(|e| e.to_string())?
        .to_bytes();
    println!("\n{}\n", String::from_utf8_lossy(&body));

    // A gRPC client: the same refusal, read from the reason and its metadata.
    let request = http::Request::post(TRANSFER)
        .header("authorization", format!("Bearer {weak}"))
        .header("content-type", "application/grpc")
        .body(tonic::body::Body::empty())?;
    let response = service.clone().oneshot(request).await?;
    let status = tonic::Status::from_header_map(response.headers()).ok_or("no status")?;
    let err = status.auth_error().ok_or("no auth error")?;
    println!(
        "gRPC {:?}: {} -> {}: send the user to the authorization server with acr_values={:?} max_age={:?}",
        status.code(),
        err.code(),
        err.client_action(),
        err.acr_values().join(" "),
        err.max_age().map(|d| d.as_secs()),
    );

    // After the step-up: a second factor, seconds ago.
    let strong = token("urn:example:mfa", 5);
    let request = http::Request::post(TRANSFER)
        .header("authorization", format!("Bearer {strong}"))
        .body(tonic::body::Body::empty())?;
    println!(
        "after step-up: HTTP {}",
        service.oneshot(request).await?.status()
    );
    Ok(())
}
