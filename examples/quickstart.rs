//! The main job: a real tonic server whose interceptor checks bearer tokens
//! and rejects with `AuthError`s, and a real client that decodes them and acts
//! on them.
//!
//! Run: `cargo run --example quickstart` (binds 127.0.0.1 on a free port,
//! exits 0 on its own).

use std::time::{Duration, SystemTime};

use auth_error::server::DrainRejectedLayer;
use auth_error::{AuthError, AuthErrorCode, AuthStatusExt, ClientAction};
use tokio::net::TcpListener;
use tonic::service::interceptor::InterceptedService;
use tonic::transport::server::TcpIncoming;
use tonic::transport::{Channel, Server};
use tonic::{Request, Status};
use tonic_health::pb::HealthCheckRequest;
use tonic_health::pb::health_client::HealthClient;

/// The server's auth check: a toy token table stands in for JWT validation.
#[allow(clippy::result_large_err)] // tonic's interceptor signature
fn check_auth(req: Request<()>) -> Result<Request<()>, Status> {
    let Some(value) = req.metadata().get("authorization") else {
        return Err(AuthError::new(AuthErrorCode::BearerTokenMissing).into());
    };
    let token = value
        .to_str()
        .ok()
        .and_then(|v| v.strip_prefix("Bearer "))
        .unwrap_or_default();
    let rejection = match token {
        "good" => return Ok(req),
        "expired" => AuthError::new(AuthErrorCode::TokenExpired)
            .with_message("the access token expired; refresh it")
            .with_token_id("jti-7f3a")
            .with_token_type("access")
            .with_token_expiry(SystemTime::now() - Duration::from_secs(60)),
        "reader" => AuthError::new(AuthErrorCode::InvalidScope)
            .with_message("Zugriff verweigert: Bereich „health.read“ fehlt")
            .with_required_scopes(["health.read"])
            .with_provided_scopes(["profile", "email"])
            .with_help_link("request access", "https://id.example.com/access"),
        "locked" => AuthError::new(AuthErrorCode::AccountLocked)
            .with_retry_after(Duration::from_secs(900))
            .with_tenant_id("acme"),
        _ => AuthError::new(AuthErrorCode::AuthFailedInvalidBearerToken),
    };
    // Strict conversion: a mistake in the error itself (a secret in the
    // metadata, say) is a bug worth a log line; the lenient `into()` would
    // quietly leave the offending entry out instead.
    Err(rejection.try_into_status().unwrap_or_else(|e| {
        eprintln!("server: refusing to send an unsafe error: {e}");
        Status::unauthenticated("authentication failed")
    }))
}

async fn call(channel: Channel, token: Option<&'static str>) -> Result<(), Status> {
    let mut client = HealthClient::with_interceptor(channel, move |mut req: Request<()>| {
        if let Some(token) = token {
            let value = format!("Bearer {token}").parse().expect("ASCII header");
            req.metadata_mut().insert("authorization", value);
        }
        Ok(req)
    });
    client.check(HealthCheckRequest::default()).await.map(drop)
}

fn describe(status: &Status) {
    match status.auth_error() {
        Some(err) => {
            println!("  reason      {}", err.code());
            println!("  gRPC code   {:?}", status.code());
            println!("  HTTP status {}", err.http_status());
            println!("  message     {}", err.message());
            for (key, value) in err.metadata() {
                println!("  metadata    {key} = {value}");
            }
            if let Some(delay) = err.retry_after() {
                println!("  retry after {delay:?}");
            }
            for link in err.help_links() {
                println!("  help        {} <{}>", link.description, link.url);
            }
            println!("  action      {}", err.client_action());
        }
        None => println!("  plain status: {:?} {}", status.code(), status.message()),
    }
}

/// A client loop: refresh once on RefreshCredentials, give up on the rest.
async fn call_with_refresh(channel: Channel, mut token: &'static str) -> Result<(), Status> {
    let mut refreshed = false;
    loop {
        match call(channel.clone(), Some(token)).await {
            Ok(()) => return Ok(()),
            Err(status) => match status.auth_error().map(|e| e.client_action()) {
                Some(ClientAction::RefreshCredentials) if !refreshed => {
                    println!("  -> refreshing credentials once and retrying");
                    token = "good"; // a real client would use its refresh token here
                    refreshed = true;
                }
                _ => return Err(status),
            },
        }
    }
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let listener = TcpListener::bind("127.0.0.1:0").await?;
    let addr = listener.local_addr()?;
    let (_reporter, health) = tonic_health::server::health_reporter();
    let (stop_tx, stop_rx) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(
        Server::builder()
            // Keeps connections alive when the interceptor rejects under load
            // (see the README, "Rejections must not kill connections").
            .layer(DrainRejectedLayer::default())
            .add_service(InterceptedService::new(health, check_auth))
            .serve_with_incoming_shutdown(
                TcpIncoming::from(listener).with_nodelay(Some(true)),
                async {
                    stop_rx.await.ok();
                },
            ),
    );
    println!("server listening on {addr}");

    let channel = Channel::from_shared(format!("http://{addr}"))?
        .connect()
        .await?;
    let cases: [(&str, Option<&'static str>); 5] = [
        ("no token", None),
        ("expired token", Some("expired")),
        ("token without the scope", Some("reader")),
        ("locked account", Some("locked")),
        ("good token", Some("good")),
    ];
    let mut outcomes = Vec::new();
    for (label, token) in cases {
        println!("\n== call with {label}");
        match call(channel.clone(), token).await {
            Ok(()) => {
                println!("  OK: serving");
                outcomes.push(None);
            }
            Err(status) => {
                describe(&status);
                outcomes.push(status.auth_error_code());
            }
        }
    }

    println!("\n== client loop starting with the expired token");
    let looped = call_with_refresh(channel.clone(), "expired").await;
    println!(
        "  {}",
        if looped.is_ok() {
            "OK after one refresh"
        } else {
            "gave up"
        }
    );
    println!("\n== client loop with a token lacking the scope");
    let gave_up = call_with_refresh(channel, "reader").await;
    match &gave_up {
        Err(status) => println!(
            "  gave up: {}",
            status
                .auth_error()
                .map_or_else(String::new, |e| e.client_action().to_string())
        ),
        Ok(()) => println!("  unexpected success"),
    }

    stop_tx.send(()).ok();
    server.await??;

    let expected = [
        Some(AuthErrorCode::BearerTokenMissing),
        Some(AuthErrorCode::TokenExpired),
        Some(AuthErrorCode::InvalidScope),
        Some(AuthErrorCode::AccountLocked),
        None,
    ];
    if outcomes != expected || looped.is_err() || gave_up.is_ok() {
        return Err(format!("unexpected outcomes: {outcomes:?}").into());
    }
    println!("\nall calls decoded as expected");
    Ok(())
}
