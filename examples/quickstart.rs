//! The main job: a real tonic server that verifies JWT bearer tokens in
//! `BearerAuthLayer` + `JwtVerifier` and rejects with the right reason, and a
//! real client that decodes each rejection and acts on it.
//!
//! Run: `cargo run --example quickstart` (binds 127.0.0.1 on a free port,
//! makes its signing key at start-up, exits 0 on its own).

use std::hash::{BuildHasher, Hasher};
use std::time::{SystemTime, UNIX_EPOCH};

use auth_error::client::{AccessToken, BoxError, CredentialsLayer, TokenSource};
use auth_error::guard::StatusDetailsGuardLayer;
use auth_error::jwt::JwtVerifier;
use auth_error::server::BearerAuthLayer;
use auth_error::{AuthError, AuthErrorCode, AuthStatusExt, ClientAction};
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use serde_json::{Value, json};
use tokio::net::TcpListener;
use tonic::transport::server::TcpIncoming;
use tonic::transport::{Channel, Server};
use tonic::{Request, Status};
use tonic_health::pb::HealthCheckRequest;
use tonic_health::pb::health_client::HealthClient;

const AUDIENCE: &str = "health-api";
const ISSUER: &str = "https://id.example.com/";
const CHECK: &str = "/grpc.health.v1.Health/Check";

/// A 256-bit HS256 secret made at start-up (std's per-process random keys).
fn fresh_secret() -> Vec<u8> {
    (0..4)
        .flat_map(|i: u64| {
            let mut h = std::collections::hash_map::RandomState::new().build_hasher();
            h.write_u64(i);
            h.finish().to_le_bytes()
        })
        .collect()
}

fn now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

/// The identity provider's side: sign claims.
fn sign(secret: &[u8], claims: &Value) -> Result<String, jsonwebtoken::errors::Error> {
    jsonwebtoken::encode(
        &Header::new(Algorithm::HS256),
        claims,
        &EncodingKey::from_secret(secret),
    )
}

fn claims(jti: &str, scope: &str) -> Value {
    json!({
        "sub": "alice", "aud": AUDIENCE, "iss": ISSUER,
        "exp": now() + 600, "jti": jti, "scope": scope,
    })
}

async fn call(channel: Channel, token: Option<String>) -> Result<(), Status> {
    let mut request = Request::new(HealthCheckRequest::default());
    if let Some(token) = token {
        let value = format!("Bearer {token}")
            .parse()
            .map_err(|_| Status::internal("token is not a header value"))?;
        request.metadata_mut().insert("authorization", value);
    }
    HealthClient::new(channel).check(request).await.map(drop)
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
            println!("  action      {}", err.client_action());
        }
        None => println!("  plain status: {:?} {}", status.code(), status.message()),
    }
}

/// The client's token source: a stand-in for an identity provider that
/// first hands out a token that has already expired, then good ones.
struct IdentityProvider {
    secret: Vec<u8>,
    fetches: std::sync::atomic::AtomicUsize,
}

impl TokenSource for IdentityProvider {
    async fn fetch(&self) -> Result<AccessToken, BoxError> {
        let n = self
            .fetches
            .fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        let mut claims = claims(&format!("jti-idp-{n}"), "health.read");
        if n == 0 {
            claims["exp"] = json!(now() - 120);
        }
        println!("  (token source: fetch #{})", n + 1);
        Ok(AccessToken::new(sign(&self.secret, &claims)?))
    }
}

/// A client loop for calls the credentials layer does not replay (a
/// client-streaming body, or one over `with_max_bytes`): refresh once on
/// `refresh_credentials`, give up on the rest.
async fn call_with_refresh(
    channel: Channel,
    mut token: String,
    refresh: impl Fn() -> String,
) -> Result<(), Status> {
    let mut refreshed = false;
    loop {
        match call(channel.clone(), Some(token.clone())).await {
            Ok(()) => return Ok(()),
            Err(status) => match status.auth_error().map(|e| e.client_action()) {
                Some(ClientAction::RefreshCredentials) if !refreshed => {
                    println!("  -> refreshing credentials once and retrying");
                    token = refresh();
                    refreshed = true;
                }
                _ => return Err(status),
            },
        }
    }
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let secret = fresh_secret();

    // --- The server: verify every call in one async layer. ---------------
    let mut validation = Validation::new(Algorithm::HS256);
    validation.set_audience(&[AUDIENCE]);
    validation.set_issuer(&[ISSUER]);
    validation.validate_nbf = true;
    validation.leeway = 5;
    let verifier = JwtVerifier::new(DecodingKey::from_secret(&secret), validation)
        // Where revocation lists, session stores and account checks plug in.
        .add_check(|claims: &Value| {
            let revoked = claims["jti"] == "jti-revoked";
            async move {
                match revoked {
                    true => Err(AuthError::new(AuthErrorCode::TokenRevoked)
                        .with_message("this token was revoked at sign-out")),
                    false => Ok(()),
                }
            }
        });
    let layer = BearerAuthLayer::builder(verifier)
        .add_required_scopes(CHECK, ["health.read"])
        .add_public_route("/grpc.health.v1.Health/Watch")
        .build()?;

    let listener = TcpListener::bind("127.0.0.1:0").await?;
    let addr = listener.local_addr()?;
    let (_reporter, health) = tonic_health::server::health_reporter();
    let (stop_tx, stop_rx) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(
        Server::builder()
            .layer(layer)
            .add_service(health)
            .serve_with_incoming_shutdown(
                TcpIncoming::from(listener).with_nodelay(Some(true)),
                async {
                    stop_rx.await.ok();
                },
            ),
    );
    println!("server listening on {addr}");

    // --- The tokens a client may present. --------------------------------
    let good = sign(&secret, &claims("jti-good", "health.read profile"))?;
    let mut expired = claims("jti-7f3a", "health.read");
    expired["exp"] = json!(now() - 120);
    let mut not_yet = claims("jti-early", "health.read");
    not_yet["nbf"] = json!(now() + 600);
    let mut other_audience = claims("jti-aud", "health.read");
    other_audience["aud"] = json!("billing-api");
    let forged = jsonwebtoken::encode(
        &Header::new(Algorithm::HS256),
        &claims("jti-forged", "health.read"),
        &EncodingKey::from_secret(b"not the server's key, though 32 bytes long"),
    )?;
    let cases = [
        ("no token", None, Some(AuthErrorCode::BearerTokenMissing)),
        (
            "malformed token",
            Some("not-a-jwt".to_owned()),
            Some(AuthErrorCode::AuthFailedInvalidBearerToken),
        ),
        (
            "bad signature",
            Some(forged),
            Some(AuthErrorCode::AuthFailedInvalidBearerToken),
        ),
        (
            "expired token",
            Some(sign(&secret, &expired)?),
            Some(AuthErrorCode::TokenExpired),
        ),
        (
            "token not yet valid",
            Some(sign(&secret, &not_yet)?),
            Some(AuthErrorCode::TokenNotActive),
        ),
        (
            "token for another audience",
            Some(sign(&secret, &other_audience)?),
            Some(AuthErrorCode::AuthFailedInvalidAudience),
        ),
        (
            "token without the scope",
            Some(sign(&secret, &claims("jti-reader", "profile"))?),
            Some(AuthErrorCode::InvalidScope),
        ),
        (
            "revoked token",
            Some(sign(&secret, &claims("jti-revoked", "health.read"))?),
            Some(AuthErrorCode::TokenRevoked),
        ),
        ("good token", Some(good.clone()), None),
    ];

    // --- The client: decode each rejection and act on it. ----------------
    let channel = Channel::from_shared(format!("http://{addr}"))?
        .connect()
        .await?;
    let mut wrong = Vec::new();
    for (label, token, expected) in cases {
        println!("\n== call with {label}");
        let got = match call(channel.clone(), token).await {
            Ok(()) => {
                println!("  OK: serving");
                None
            }
            Err(status) => {
                describe(&status);
                status.auth_error_code()
            }
        };
        if got != expected {
            wrong.push(format!("{label}: got {got:?}, expected {expected:?}"));
        }
    }

    println!("\n== CredentialsLayer: the first token fetched has expired");
    let layered = tower::ServiceBuilder::new()
        .layer(StatusDetailsGuardLayer::default())
        .layer(
            CredentialsLayer::new(IdentityProvider {
                secret: secret.clone(),
                fetches: Default::default(),
            })
            // Where the channel connects: loopback, so plaintext is allowed.
            .with_endpoint(format!("http://{addr}").parse()?),
        )
        .service(channel.clone());
    let layered_result = HealthClient::new(layered)
        .check(HealthCheckRequest::default())
        .await;
    match &layered_result {
        Ok(_) => println!("  OK: refused TOKEN_EXPIRED, refreshed once, retried once, served"),
        Err(status) => describe(status),
    }

    println!(
        "\n== hand-written loop (for calls the layer does not replay) starting with the expired token"
    );
    let refreshed_token = good.clone();
    let looped = call_with_refresh(channel.clone(), sign(&secret, &expired)?, || {
        refreshed_token.clone()
    })
    .await;
    println!(
        "  {}",
        if looped.is_ok() {
            "OK after one refresh"
        } else {
            "gave up"
        }
    );

    stop_tx.send(()).ok();
    server.await??;

    if !wrong.is_empty() || looped.is_err() || layered_result.is_err() {
        return Err(format!("unexpected outcomes: {wrong:?}").into());
    }
    println!("\nall calls decoded as expected");
    Ok(())
}
