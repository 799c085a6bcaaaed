//! What an operator sees: the metrics `BearerAuthLayer` and `JwtVerifier`
//! report (feature `metrics`), counted exactly, with label values from
//! closed sets only (never a path, subject or token from the request); and
//! the `tracing` events docs/observability.md promises (an info event per refusal with
//! the reason, method, path and claimed issuer, never the token; a warning
//! when credentials cannot be verified; an error on a server fault).
#![cfg(any(feature = "jwt-aws-lc", feature = "jwt-rust-crypto"))]

#[path = "it/support/jwt_server.rs"]
mod jwt_server;

use std::sync::{Arc, Mutex};

use auth_error::jwt::JwtVerifier;
use auth_error::server::{BearerAuthLayer, Rejection, Route, TokenVerifier, Verified};
use http::header;
use jsonwebtoken::{Algorithm, DecodingKey};
use jwt_server::*;
use serde_json::{Value, json};
use tower::{Layer, ServiceExt};

const SECRET_TOKEN_TEXT: &str = "SECRETTOKENTEXT";

fn layer<V: TokenVerifier<Claims = Value>>(verifier: V) -> BearerAuthLayer<V> {
    BearerAuthLayer::builder(verifier)
        .add_required_scopes(Route::exact("/admin.v1.Admin/Wipe"), ["admin"])
        .build()
        .unwrap()
}

/// Sends one request through `layer` (gRPC), `authorization` as given.
async fn send<V>(layer: &BearerAuthLayer<V>, path: &str, authorization: Option<&str>)
where
    V: TokenVerifier<Claims = Value>,
{
    let ok = tower::service_fn(|_req: http::Request<tonic::body::Body>| async {
        Ok::<_, std::convert::Infallible>(http::Response::new(tonic::body::Body::empty()))
    });
    let mut request = http::Request::post(path).header(header::CONTENT_TYPE, "application/grpc");
    if let Some(value) = authorization {
        request = request.header(header::AUTHORIZATION, value);
    }
    let _ = layer
        .layer(ok)
        .oneshot(request.body(tonic::body::Body::empty()).unwrap())
        .await
        .unwrap();
}

/// The tests of this file take turns: `tracing` caches each callsite's
/// interest process-wide, and a subscriber registered or dropped by a test
/// on another thread while a span's callsite is first hit can leave the
/// `auth` span disabled for the rest of a test (seen once in CI).
static SERIAL: Mutex<()> = Mutex::new(());

fn serial() -> std::sync::MutexGuard<'static, ()> {
    SERIAL
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
}

#[cfg(feature = "metrics")]
#[test]
fn refusals_are_counted_by_reason_with_closed_label_sets_only() {
    let _serial = serial();
    use auth_error::AuthErrorCode;
    use metrics_util::debugging::{DebugValue, DebuggingRecorder};
    let recorder = DebuggingRecorder::new();
    let snapshotter = recorder.snapshotter();
    let verifier = JwtVerifier::new(
        DecodingKey::from_secret(SECRET),
        validation(Algorithm::HS256),
    )
    .with_cache(16);
    let mut mallory = good_claims();
    mallory["sub"] = json!("mallory-subject");
    let good = format!("Bearer {}", hs256(&mallory));
    let mut expired = good_claims();
    expired["exp"] = json!(now() - 3600);
    let expired = format!("Bearer {}", hs256(&expired));
    metrics::with_local_recorder(&recorder, || {
        runtime().block_on(async {
            let layer = layer(verifier);
            for _ in 0..2 {
                send(&layer, "/orders.v1.Orders/mallory-path-1", Some(&good)).await;
            }
            for _ in 0..3 {
                send(&layer, "/orders.v1.Orders/List", Some(&expired)).await;
            }
            send(&layer, "/orders.v1.Orders/List", None).await;
            send(&layer, "/admin.v1.Admin/Wipe", Some(&good)).await;
            let forged = format!("Bearer x.{SECRET_TOKEN_TEXT}.y");
            send(&layer, "/orders.v1.Orders/List", Some(&forged)).await;
        })
    });
    let mut counters = std::collections::HashMap::new();
    let mut histogram_samples = 0;
    let reasons: Vec<&str> = AuthErrorCode::ALL.iter().map(|c| c.as_str_name()).collect();
    for (key, _, _, value) in snapshotter.snapshot().into_vec() {
        let key = key.key();
        for label in key.labels() {
            let allowed = match label.key() {
                "outcome" => [
                    "accepted",
                    "refused",
                    "unavailable",
                    "fault",
                    "success",
                    "failure",
                    "drained",
                    "abandoned",
                ]
                .contains(&label.value()),
                "reason" => reasons.contains(&label.value()),
                "cache" => ["verified_tokens", "introspection"].contains(&label.value()),
                "result" => ["hit", "miss"].contains(&label.value()),
                "cause" => ["ahead_of_expiry", "token_expired"].contains(&label.value()),
                other => panic!("a label no table names: {other}"),
            };
            assert!(
                allowed,
                "{}={} is not from a closed set",
                label.key(),
                label.value()
            );
            for from_request in ["mallory", SECRET_TOKEN_TEXT, "alice", "jti-good"] {
                assert!(!label.value().contains(from_request), "{}", label.value());
            }
        }
        let labels: Vec<String> = key
            .labels()
            .map(|l| format!("{}={}", l.key(), l.value()))
            .collect();
        match value {
            DebugValue::Counter(n) => {
                counters.insert(format!("{}{{{}}}", key.name(), labels.join(",")), n);
            }
            DebugValue::Histogram(samples) => {
                assert_eq!(key.name(), "auth_verification_seconds");
                histogram_samples += samples.len();
            }
            DebugValue::Gauge(_) => {}
        }
    }
    let count = |name: &str| counters.get(name).copied().unwrap_or(0);
    assert_eq!(
        count("auth_requests_total{outcome=accepted}"),
        2,
        "{counters:?}"
    );
    assert_eq!(
        count("auth_requests_total{outcome=refused}"),
        6,
        "{counters:?}"
    );
    assert_eq!(count("auth_refusals_total{reason=TOKEN_EXPIRED}"), 3);
    assert_eq!(count("auth_refusals_total{reason=BEARER_TOKEN_MISSING}"), 1);
    assert_eq!(count("auth_refusals_total{reason=INVALID_SCOPE}"), 1);
    assert_eq!(
        count("auth_refusals_total{reason=AUTH_FAILED_INVALID_BEARER_TOKEN}"),
        1
    );
    // The good token verified once, then served from the cache (twice more:
    // the second accepted call and the refused admin call).
    assert_eq!(
        count("auth_cache_requests_total{cache=verified_tokens,result=hit}"),
        2
    );
    // Every call that reached the verifier was timed (not the one without a
    // token).
    assert_eq!(histogram_samples, 7);
}

/// A `tracing` writer into a shared buffer.
#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl std::io::Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl<'a> tracing_subscriber::fmt::MakeWriter<'a> for Captured {
    type Writer = Captured;
    fn make_writer(&'a self) -> Self::Writer {
        self.clone()
    }
}

/// A verifier that answers as told.
struct Answers(fn() -> Rejection);

impl TokenVerifier for Answers {
    type Claims = Value;
    async fn verify(&self, _token: &str) -> Result<Verified<Value>, Rejection> {
        Err((self.0)())
    }
}

#[test]
fn refusals_unavailability_and_faults_are_logged_as_the_readme_says() {
    let _serial = serial();
    let captured = Captured::default();
    let subscriber = tracing_subscriber::fmt()
        .with_writer(captured.clone())
        .with_ansi(false)
        .with_max_level(tracing::Level::INFO)
        .finish();
    let mut expired = good_claims();
    expired["exp"] = json!(now() - 3600);
    expired["jti"] = json!(SECRET_TOKEN_TEXT);
    let expired = hs256(&expired);
    tracing::subscriber::with_default(subscriber, || {
        runtime().block_on(async {
            let verifier = JwtVerifier::new(
                DecodingKey::from_secret(SECRET),
                validation(Algorithm::HS256),
            );
            send(
                &layer(verifier),
                "/orders.v1.Orders/List",
                Some(&format!("Bearer {expired}")),
            )
            .await;
            let unavailable = Answers(|| {
                Rejection::unavailable_for(
                    "the provider is down",
                    std::time::Duration::from_secs(2),
                )
            });
            send(
                &layer(unavailable),
                "/orders.v1.Orders/List",
                Some("Bearer abc"),
            )
            .await;
            let fault = Answers(|| Rejection::Fault("the key store is broken".into()));
            send(&layer(fault), "/orders.v1.Orders/List", Some("Bearer abc")).await;
        })
    });
    let out = String::from_utf8(captured.0.lock().unwrap().clone()).unwrap();
    let refusal = out
        .lines()
        .find(|l| l.contains("request refused"))
        .unwrap_or_else(|| panic!("no refusal event in:\n{out}"));
    assert!(refusal.contains("INFO"), "{refusal}");
    assert!(refusal.contains("reason=\"TOKEN_EXPIRED\""), "{refusal}");
    assert!(refusal.contains("method=POST"), "{refusal}");
    assert!(
        refusal.contains("path=\"/orders.v1.Orders/List\""),
        "{refusal}"
    );
    assert!(refusal.contains(ISSUER), "the claimed issuer: {refusal}");
    assert!(!out.contains(&expired), "the token is never logged:\n{out}");
    assert!(
        !out.contains(SECRET_TOKEN_TEXT),
        "nothing of the token's claims but the issuer:\n{out}"
    );
    let warn = out
        .lines()
        .find(|l| l.contains("cannot be verified right now"))
        .unwrap_or_else(|| panic!("no unavailable event in:\n{out}"));
    assert!(
        warn.contains("WARN") && warn.contains("the provider is down"),
        "{warn}"
    );
    let error = out
        .lines()
        .find(|l| l.contains("server fault"))
        .unwrap_or_else(|| panic!("no fault event in:\n{out}"));
    assert!(
        error.contains("ERROR") && error.contains("the key store is broken"),
        "{error}"
    );
}

/// What `f` logs at INFO, spans' closes included (with their fields).
fn spans_of(f: impl FnOnce()) -> String {
    let captured = Captured::default();
    let subscriber = tracing_subscriber::fmt()
        .with_writer(captured.clone())
        .with_ansi(false)
        .with_span_events(tracing_subscriber::fmt::format::FmtSpan::CLOSE)
        .with_max_level(tracing::Level::INFO)
        .finish();
    tracing::subscriber::with_default(subscriber, f);
    String::from_utf8(captured.0.lock().unwrap().clone()).unwrap()
}

/// One span per verified request, `auth.outcome` and `auth.reason`
/// recorded (what `tracing-opentelemetry` exports as span attributes).
#[test]
fn each_verified_request_has_a_span_with_its_outcome_and_reason() {
    let _serial = serial();
    let mut expired = good_claims();
    expired["exp"] = json!(now() - 3600);
    let expired = format!("Bearer {}", hs256(&expired));
    let good = format!("Bearer {}", hs256(&good_claims()));
    let out = spans_of(|| {
        runtime().block_on(async {
            let verifier = JwtVerifier::new(
                DecodingKey::from_secret(SECRET),
                validation(Algorithm::HS256),
            );
            let layer = layer(verifier);
            send(&layer, "/orders.v1.Orders/List", Some(&expired)).await;
            send(&layer, "/orders.v1.Orders/List", Some(&good)).await;
            send(&layer, "/admin.v1.Admin/Wipe", Some(&good)).await;
        })
    });
    let closes: Vec<&str> = out.lines().filter(|l| l.contains("close")).collect();
    assert_eq!(closes.len(), 3, "{out}");
    // The configured route pattern and a hash of the token id, never the
    // id (`jti-good`) nor the subject.
    assert!(
        closes[2].contains("auth.reason=\"INVALID_SCOPE\"")
            && closes[2].contains("auth.route=\"/admin.v1.Admin/Wipe\""),
        "{}",
        closes[2]
    );
    // Accepted, and an expired token's refusal (which names its `jti`).
    assert!(closes[1].contains("auth.token_id_hash="), "{}", closes[1]);
    assert!(closes[0].contains("auth.token_id_hash="), "{}", closes[0]);
    assert!(!out.contains("jti-good") && !out.contains("alice"), "{out}");
    assert!(
        closes[0].contains("auth.outcome=\"refused\"")
            && closes[0].contains("auth.reason=\"TOKEN_EXPIRED\""),
        "{}",
        closes[0]
    );
    assert!(
        closes[1].contains("auth.outcome=\"accepted\""),
        "{}",
        closes[1]
    );
    assert!(
        !out.contains(expired.trim_start_matches("Bearer ")),
        "{out}"
    );
}

/// Answers at once (`verify_now`), as an introspection cache hit does.
struct AtOnce;

impl TokenVerifier for AtOnce {
    type Claims = Value;
    async fn verify(&self, _token: &str) -> Result<Verified<Value>, Rejection> {
        Err(Rejection::Fault("verify was asked".into()))
    }
    fn verify_now(&self, token: &str) -> Option<Result<Verified<Value>, Rejection>> {
        Some(match token {
            "good" => Ok(Verified::new(json!({}), vec![]).with_token_id("jti-at-once")),
            _ => Err(auth_error::AuthError::new(auth_error::AuthErrorCode::TokenExpired).into()),
        })
    }
}

/// A request decided at once has the same span as one that waited for its
/// verifier: outcome, reason, route, the token id's hash.
#[test]
fn a_request_decided_at_once_has_the_same_span() {
    let _serial = serial();
    let out = spans_of(|| {
        runtime().block_on(async {
            let layer = layer(AtOnce);
            send(&layer, "/orders.v1.Orders/List", Some("Bearer expired")).await;
            send(&layer, "/orders.v1.Orders/List", Some("Bearer good")).await;
            send(&layer, "/admin.v1.Admin/Wipe", Some("Bearer good")).await;
        })
    });
    let closes: Vec<&str> = out.lines().filter(|l| l.contains("close")).collect();
    assert_eq!(closes.len(), 3, "{out}");
    assert!(
        closes[0].contains("auth.outcome=\"refused\"")
            && closes[0].contains("auth.reason=\"TOKEN_EXPIRED\""),
        "{}",
        closes[0]
    );
    assert!(
        closes[1].contains("auth.outcome=\"accepted\"")
            && closes[1].contains("auth.token_id_hash="),
        "{}",
        closes[1]
    );
    assert!(
        closes[2].contains("auth.reason=\"INVALID_SCOPE\"")
            && closes[2].contains("auth.route=\"/admin.v1.Admin/Wipe\""),
        "{}",
        closes[2]
    );
    assert!(!out.contains("jti-at-once"), "{out}");
}
