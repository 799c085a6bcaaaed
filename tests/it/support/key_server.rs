//! An identity provider the tests control completely, in-process on
//! 127.0.0.1 (axum): a discovery document, a key set and a token endpoint
//! whose keys, status, `Cache-Control: max-age` and answers can be changed
//! between calls, that count every request, and that can be held (gated) so
//! a test knows a request is in flight while it checks something else.
//!
//! The node `oidc-provider` tests (`tests/it/jwt/oidc.rs`) prove the crate against
//! a real provider; this one makes the key-set cache's promises
//! deterministic (exactly one fetch, no fetch, a fetch after the cooldown).
#![allow(dead_code, unreachable_pub)]

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::extract::State;
use axum::response::IntoResponse;
use axum::routing::{get, post};
use jsonwebtoken::jwk::Jwk;
use jsonwebtoken::{Algorithm, EncodingKey};
use serde_json::{Value, json};
use tokio::sync::Semaphore;

/// The public JWK of a test key (PEM in `tests/data/keys`), named `kid`.
pub fn public_jwk(pem: &[u8], kid: &str) -> Value {
    #[cfg(feature = "jwt-aws-lc")]
    let _ = jsonwebtoken::crypto::CryptoProvider::install_default(
        &jsonwebtoken::crypto::aws_lc::DEFAULT_PROVIDER,
    );
    let key = EncodingKey::from_ec_pem(pem).unwrap();
    let mut jwk =
        serde_json::to_value(Jwk::from_encoding_key(&key, Algorithm::ES256).unwrap()).unwrap();
    jwk["kid"] = json!(kid);
    jwk["use"] = json!("sig");
    jwk
}

pub const KEY_A: &[u8] = include_bytes!(concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/tests/data/keys/es256-a.pem"
));
pub const KEY_B: &[u8] = include_bytes!(concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/tests/data/keys/es256-b.pem"
));

#[derive(Default)]
struct Inner {
    keys: Vec<Value>,
    status: u16,
    max_age: Option<u64>,
    token_response: Option<Value>,
    discovery: u64,
    jwks: u64,
    token: u64,
    token_forms: Vec<String>,
    /// Key set requests wait for a permit when gated.
    gated: bool,
}

#[derive(Clone)]
pub struct KeyServer {
    pub addr: SocketAddr,
    pub issuer: String,
    inner: Arc<Mutex<Inner>>,
    gate: Arc<Semaphore>,
    task: Arc<tokio::task::JoinHandle<()>>,
}

impl KeyServer {
    /// Serves `keys` (JWKs) with status 200 and no `Cache-Control`.
    pub async fn start(keys: Vec<Value>) -> KeyServer {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let issuer = format!("http://{addr}");
        let inner = Arc::new(Mutex::new(Inner {
            keys,
            status: 200,
            ..Inner::default()
        }));
        let gate = Arc::new(Semaphore::new(0));
        let state = (issuer.clone(), inner.clone(), gate.clone());
        let app = axum::Router::new()
            .route("/.well-known/openid-configuration", get(discovery))
            .route("/jwks", get(jwks))
            .route("/token", post(token))
            .with_state(state);
        let task = tokio::spawn(async move {
            axum::serve(listener, app).await.unwrap();
        });
        KeyServer {
            addr,
            issuer,
            inner,
            gate,
            task: Arc::new(task),
        }
    }

    pub fn set_keys(&self, keys: Vec<Value>) {
        self.inner.lock().unwrap().keys = keys;
    }

    /// The key set's status: 200, or an error such as 503.
    pub fn set_status(&self, status: u16) {
        self.inner.lock().unwrap().status = status;
    }

    pub fn set_max_age(&self, max_age: Option<u64>) {
        self.inner.lock().unwrap().max_age = max_age;
    }

    /// What `/token` answers (200, JSON).
    pub fn set_token_response(&self, response: Value) {
        self.inner.lock().unwrap().token_response = Some(response);
    }

    /// Key set requests wait until [`release`](Self::release) from now on.
    pub fn hold(&self) {
        self.inner.lock().unwrap().gated = true;
    }

    /// Lets held key set requests (and all later ones) through.
    pub fn release(&self) {
        self.inner.lock().unwrap().gated = false;
        self.gate.add_permits(1 << 20);
    }

    /// Requests seen: (discovery, key set, token).
    pub fn counts(&self) -> (u64, u64, u64) {
        let inner = self.inner.lock().unwrap();
        (inner.discovery, inner.jwks, inner.token)
    }

    pub fn jwks_fetches(&self) -> u64 {
        self.counts().1
    }

    /// The form bodies the token endpoint received.
    pub fn token_forms(&self) -> Vec<String> {
        self.inner.lock().unwrap().token_forms.clone()
    }

    /// Waits (polling, up to 20 s) until the key set was asked `n` times.
    pub async fn wait_for_jwks(&self, n: u64) {
        let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
        while self.jwks_fetches() < n {
            assert!(
                tokio::time::Instant::now() < deadline,
                "the key set was asked {} times, expected {n}",
                self.jwks_fetches()
            );
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
    }
}

impl Drop for KeyServer {
    fn drop(&mut self) {
        if Arc::strong_count(&self.task) == 1 {
            self.task.abort();
        }
    }
}

type AppState = (String, Arc<Mutex<Inner>>, Arc<Semaphore>);

async fn discovery(State((issuer, inner, _)): State<AppState>) -> impl IntoResponse {
    inner.lock().unwrap().discovery += 1;
    axum::Json(json!({
        "issuer": issuer,
        "jwks_uri": format!("{issuer}/jwks"),
        "token_endpoint": format!("{issuer}/token"),
    }))
}

async fn jwks(State((_, inner, gate)): State<AppState>) -> axum::response::Response {
    let gated = {
        let mut inner = inner.lock().unwrap();
        inner.jwks += 1;
        inner.gated
    };
    if gated {
        gate.acquire().await.unwrap().forget();
    }
    let (status, keys, max_age) = {
        let inner = inner.lock().unwrap();
        (inner.status, inner.keys.clone(), inner.max_age)
    };
    let mut response = (
        http::StatusCode::from_u16(status).unwrap(),
        axum::Json(json!({ "keys": keys })),
    )
        .into_response();
    if let Some(max_age) = max_age {
        response.headers_mut().insert(
            http::header::CACHE_CONTROL,
            format!("max-age={max_age}").parse().unwrap(),
        );
    }
    response
}

async fn token(State((_, inner, _)): State<AppState>, body: String) -> impl IntoResponse {
    let mut inner = inner.lock().unwrap();
    inner.token += 1;
    inner.token_forms.push(body);
    axum::Json(inner.token_response.clone().unwrap_or_else(
        || json!({"access_token": "t-1", "token_type": "Bearer", "expires_in": 300}),
    ))
}
