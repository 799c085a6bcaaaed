//! In front of a real identity provider: node `oidc-provider` 8.8.1 on
//! 127.0.0.1 (see `support/oidc_provider.rs`), end to end through tonic.
//! Discovery, tokens fetched by `ClientCredentials` accepted by
//! `from_issuer`, refresh of an expired token, key rotation, forged `kid`s,
//! foreign issuers, the provider down, a wrong client secret, two issuers.
//!
//! The tests that need the provider (node and the npm package, installed by
//! `npm ci`) are `#[ignore]`d, so a plain `cargo test` reports them as
//! ignored; `bash scripts/test.sh` installs both and runs them (by hand:
//! `cargo test --features oidc --test it jwt::oidc -- --include-ignored`). Run
//! without node or the package, they fail saying what to install.
#![cfg(all(
    feature = "oidc",
    any(feature = "jwt-aws-lc", feature = "jwt-rust-crypto")
))]

use crate::support::jwt_server;
use crate::support::oidc_provider;

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use auth_error::client::{AccessToken, BoxError, CredentialsLayer, TokenSource};
use auth_error::jwt::{Issuers, JwtVerifier};
use auth_error::oauth::{ClientCredentials, TokenEndpointError};
use auth_error::server::BearerAuthLayer;
use auth_error::{AuthErrorCode, AuthStatusExt};
use jsonwebtoken::{Algorithm, Validation};
use jwt_server::{Server, check, forged, start};
use oidc_provider::{Provider, RESOURCE};
use serde_json::json;
use tonic::Code;

fn validation() -> Validation {
    let mut v = Validation::new(Algorithm::ES256);
    v.set_audience(&[RESOURCE]);
    v.leeway = 0;
    v
}

async fn serve(
    verifier: impl auth_error::server::TokenVerifier<Claims = serde_json::Value>,
) -> Server {
    start(Some(BearerAuthLayer::builder(verifier).build().unwrap())).await
}

async fn call(server: &Server, token: &str) -> Result<String, tonic::Status> {
    check(server.channel().await, Some(&format!("Bearer {token}"))).await
}

fn reason(status: &tonic::Status) -> Option<AuthErrorCode> {
    status.auth_error_code()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs node and the npm package oidc-provider; run bash scripts/test.sh"]
async fn a_token_from_client_credentials_is_accepted_by_from_issuer() {
    oidc_provider::require_installed();
    let provider = Provider::start("k1", 300, 0);
    let server = serve(JwtVerifier::from_issuer(&provider.issuer, validation()).unwrap()).await;
    let source = ClientCredentials::from_issuer(&provider.issuer, "svc-a", "secret-a")
        .unwrap()
        .with_scopes(["orders.read"])
        .with_resource(RESOURCE);
    let mut client = tonic_health::pb::health_client::HealthClient::new(
        tower::ServiceBuilder::new()
            .layer(CredentialsLayer::new(source).with_endpoint(server.uri()))
            .service(server.channel().await),
    );
    for _ in 0..3 {
        let response = client
            .check(tonic_health::pb::HealthCheckRequest::default())
            .await
            .expect("served");
        assert_eq!(response.metadata().get("x-subject").unwrap(), "svc-a");
    }
    let (jwks, token) = provider.counts().await;
    assert_eq!((jwks, token), (1, 1), "one key set fetch, one token");
    server.shutdown().await;
}

/// Hands out one stale token first, then fresh ones from the provider.
struct StaleFirst {
    stale: String,
    inner: ClientCredentials,
    fetches: Arc<AtomicUsize>,
}

impl TokenSource for StaleFirst {
    async fn fetch(&self) -> Result<AccessToken, BoxError> {
        match self.fetches.fetch_add(1, Ordering::SeqCst) {
            0 => Ok(AccessToken::new(self.stale.clone())),
            _ => self.inner.fetch().await,
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs node and the npm package oidc-provider; run bash scripts/test.sh"]
async fn an_expired_token_is_refused_then_refreshed_from_the_provider() {
    oidc_provider::require_installed();
    let provider = Provider::start("k1", 1, 0);
    let server = serve(JwtVerifier::from_issuer(&provider.issuer, validation()).unwrap()).await;
    let stale = provider.token(("svc-a", "secret-a"), "orders.read").await;
    // Wait (polling the clock) until it has expired for jsonwebtoken too.
    let claims: serde_json::Value =
        jsonwebtoken::dangerous::insecure_decode_claims(&stale).unwrap();
    let exp = claims["exp"].as_u64().unwrap();
    while jwt_server::now() <= exp + 1 {
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let status = call(&server, &stale).await.unwrap_err();
    assert_eq!(reason(&status), Some(AuthErrorCode::TokenExpired));

    let fetches = Arc::new(AtomicUsize::new(0));
    let source = StaleFirst {
        stale,
        inner: ClientCredentials::new(&format!("{}/token", provider.issuer), "svc-a", "secret-a")
            .unwrap()
            .with_scopes(["orders.read"])
            .with_resource(RESOURCE),
        fetches: fetches.clone(),
    };
    let mut client = tonic_health::pb::health_client::HealthClient::new(
        tower::ServiceBuilder::new()
            .layer(CredentialsLayer::new(source).with_endpoint(server.uri()))
            .service(server.channel().await),
    );
    client
        .check(tonic_health::pb::HealthCheckRequest::default())
        .await
        .expect("refreshed and served");
    assert_eq!(
        fetches.load(Ordering::SeqCst),
        2,
        "the stale token, then one refresh"
    );
    server.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs node and the npm package oidc-provider; run bash scripts/test.sh"]
async fn a_rotated_key_is_fetched_once_for_many_concurrent_calls() {
    oidc_provider::require_installed();
    let provider = Provider::start("k1", 300, 0);
    let verifier = JwtVerifier::from_issuer(&provider.issuer, validation())
        .unwrap()
        .with_jwks_cooldown(Duration::ZERO);
    let server = serve(verifier).await;
    let old = provider.token(("svc-a", "secret-a"), "orders.read").await;
    call(&server, &old).await.expect("served with k1");

    let provider = provider.rotate("k2", 300);
    let new = provider.token(("svc-a", "secret-a"), "orders.read").await;
    let channel = server.channel().await;
    let calls: Vec<_> = (0..32)
        .map(|_| {
            let (channel, new) = (channel.clone(), new.clone());
            tokio::spawn(async move { check(channel, Some(&format!("Bearer {new}"))).await })
        })
        .collect();
    for call in calls {
        assert_eq!(call.await.unwrap().expect("served with k2"), "svc-a");
    }
    let (jwks, _) = provider.counts().await;
    assert_eq!(
        jwks, 1,
        "32 concurrent calls with a new kid: one key set fetch"
    );
    server.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs node and the npm package oidc-provider; run bash scripts/test.sh"]
async fn forged_kids_and_foreign_issuers_cause_at_most_one_fetch() {
    oidc_provider::require_installed();
    let provider = Provider::start("k1", 300, 0);
    let server = serve(JwtVerifier::from_issuer(&provider.issuer, validation()).unwrap()).await;
    let good = provider.token(("svc-a", "secret-a"), "orders.read").await;
    call(&server, &good).await.expect("served");
    let claims: serde_json::Value = jsonwebtoken::dangerous::insecure_decode_claims(&good).unwrap();
    let channel = server.channel().await;
    for i in 0..200 {
        let token = forged(
            &json!({"alg": "ES256", "kid": format!("forged-{i}")}),
            &claims,
        );
        let status = check(channel.clone(), Some(&format!("Bearer {token}")))
            .await
            .unwrap_err();
        // Inside the cooldown an unknown kid cannot be looked up: retry
        // later, no reason blaming the token (`tests/it/jwt/key_set.rs`).
        assert_eq!(status.code(), Code::Unavailable, "{i}");
        assert_eq!(reason(&status), None, "{i}");
    }
    let mut foreign = claims.clone();
    foreign["iss"] = json!("https://evil.example");
    for i in 0..50 {
        let token = forged(
            &json!({"alg": "ES256", "kid": format!("evil-{i}")}),
            &foreign,
        );
        let status = check(channel.clone(), Some(&format!("Bearer {token}")))
            .await
            .unwrap_err();
        assert_eq!(
            reason(&status),
            Some(AuthErrorCode::AuthFailedInvalidIssuer),
            "{i}"
        );
    }
    let (jwks, _) = provider.counts().await;
    assert!(jwks <= 2, "{jwks} key set fetches for 250 forged tokens");
    server.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs node and the npm package oidc-provider; run bash scripts/test.sh"]
async fn with_the_provider_down_cached_keys_serve_and_no_keys_is_unavailable() {
    oidc_provider::require_installed();
    let provider = Provider::start("k1", 300, 0);
    let issuer = provider.issuer.clone();
    let warm = serve(JwtVerifier::from_issuer(&issuer, validation()).unwrap()).await;
    let faults = Arc::new(AtomicUsize::new(0));
    let seen = faults.clone();
    let cold = start(Some(
        BearerAuthLayer::builder(JwtVerifier::from_issuer(&issuer, validation()).unwrap())
            .with_fault_hook(move |_| {
                seen.fetch_add(1, Ordering::SeqCst);
            })
            .build()
            .unwrap(),
    ))
    .await;
    let token = provider.token(("svc-a", "secret-a"), "orders.read").await;
    call(&warm, &token).await.expect("keys fetched");
    drop(provider);

    // The warm verifier keeps serving from the keys it holds.
    for _ in 0..3 {
        assert_eq!(call(&warm, &token).await.expect("cached keys"), "svc-a");
    }
    // The cold one cannot check anything: UNAVAILABLE, no reason, a fault.
    let status = call(&cold, &token).await.unwrap_err();
    assert_eq!(status.code(), Code::Unavailable, "{status:?}");
    assert_eq!(status.auth_error(), None);
    assert!(faults.load(Ordering::SeqCst) >= 1);
    warm.shutdown().await;
    cold.shutdown().await;
}

#[tokio::test]
async fn unavailable_over_http_is_503_with_retry_after() {
    // No provider at all: nothing listens on this port.
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let issuer = format!("http://{}", listener.local_addr().unwrap());
    drop(listener);
    let layer = BearerAuthLayer::builder(JwtVerifier::from_issuer(&issuer, validation()).unwrap())
        .build()
        .unwrap();
    let svc = tower::Layer::layer(
        &layer,
        tower::service_fn(|_req: http::Request<tonic::body::Body>| async {
            Ok::<_, std::convert::Infallible>(http::Response::new(tonic::body::Body::empty()))
        }),
    );
    let token = forged(
        &json!({"alg": "ES256", "kid": "k1"}),
        &json!({"iss": issuer, "aud": RESOURCE, "exp": jwt_server::now() + 60}),
    );
    let req = http::Request::get("/orders")
        .header("authorization", format!("Bearer {token}"))
        .body(tonic::body::Body::empty())
        .unwrap();
    let response = tower::ServiceExt::oneshot(svc, req).await.unwrap();
    assert_eq!(response.status(), 503);
    // The back-off after the failed fetch: the default cooldown.
    assert_eq!(response.headers()["retry-after"], "30");
    assert!(response.headers().get("www-authenticate").is_none());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs node and the npm package oidc-provider; run bash scripts/test.sh"]
async fn a_wrong_client_secret_names_invalid_client_and_is_not_asked_again() {
    oidc_provider::require_installed();
    let provider = Provider::start("k1", 300, 0);
    let server = serve(JwtVerifier::from_issuer(&provider.issuer, validation()).unwrap()).await;
    let source = ClientCredentials::from_issuer(&provider.issuer, "svc-a", "wrong-secret").unwrap();
    let mut client = tonic_health::pb::health_client::HealthClient::new(
        tower::ServiceBuilder::new()
            .layer(
                CredentialsLayer::new(source)
                    .with_endpoint(server.uri())
                    // No backoff: only the remembered refusal bounds the requests.
                    .with_fetch_backoff(Duration::ZERO, Duration::ZERO),
            )
            .service(server.channel().await),
    );
    for _ in 0..10 {
        let status = client
            .check(tonic_health::pb::HealthCheckRequest::default())
            .await
            .unwrap_err();
        let mut chain: Vec<String> = Vec::new();
        let mut source: Option<&(dyn std::error::Error + 'static)> = Some(&status);
        let mut endpoint_error = None;
        while let Some(err) = source {
            chain.push(err.to_string());
            endpoint_error = endpoint_error.or(err.downcast_ref::<TokenEndpointError>().cloned());
            source = err.source();
        }
        let endpoint_error = endpoint_error.unwrap_or_else(|| panic!("{chain:#?}"));
        assert_eq!(endpoint_error.code(), "invalid_client");
        assert!(
            chain.iter().any(|e| e.contains("invalid_client")),
            "{chain:#?}"
        );
    }
    let (_, token) = provider.counts().await;
    assert_eq!(token, 1, "the token endpoint was asked once for 10 calls");
    server.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs node and the npm package oidc-provider; run bash scripts/test.sh"]
async fn two_issuers_through_issuers() {
    oidc_provider::require_installed();
    let a = Provider::start("ka", 300, 0);
    let b = Provider::start("kb", 300, 0);
    let stranger = Provider::start("kc", 300, 0);
    let server = serve(Issuers::new([
        JwtVerifier::from_issuer(&a.issuer, validation()).unwrap(),
        JwtVerifier::from_issuer(&b.issuer, validation()).unwrap(),
    ]))
    .await;
    assert_eq!(
        call(
            &server,
            &a.token(("svc-a", "secret-a"), "orders.read").await
        )
        .await
        .unwrap(),
        "svc-a"
    );
    assert_eq!(
        call(
            &server,
            &b.token(("svc-b", "secret-b"), "orders.read").await
        )
        .await
        .unwrap(),
        "svc-b"
    );
    let status = call(
        &server,
        &stranger.token(("svc-a", "secret-a"), "orders.read").await,
    )
    .await
    .unwrap_err();
    assert_eq!(
        reason(&status),
        Some(AuthErrorCode::AuthFailedInvalidIssuer)
    );
    assert_eq!(
        stranger.counts().await.0,
        0,
        "the stranger's keys were never fetched"
    );
    server.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs node and the npm package oidc-provider; run bash scripts/test.sh"]
async fn past_max_age_keys_refresh_in_the_background_and_survive_an_outage() {
    oidc_provider::require_installed();
    let provider = Provider::start("k1", 300, 0);
    let max_age = Duration::from_millis(500);
    let verifier = JwtVerifier::from_issuer(&provider.issuer, validation())
        .unwrap()
        .with_jwks_cooldown(Duration::from_millis(100))
        .with_jwks_max_age(max_age);
    let server = serve(verifier).await;
    let token = provider.token(("svc-a", "secret-a"), "orders.read").await;
    call(&server, &token).await.expect("served");
    assert_eq!(provider.counts().await.0, 1);
    // Past the maximum age, a call is served at once and triggers a refresh.
    tokio::time::sleep(max_age * 2).await;
    call(&server, &token)
        .await
        .expect("served while refreshing");
    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    while provider.counts().await.0 < 2 {
        assert!(
            tokio::time::Instant::now() < deadline,
            "no background refresh"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    // The provider goes away: refreshes fail, the keys held keep serving.
    drop(provider);
    for _ in 0..5 {
        tokio::time::sleep(max_age).await;
        assert_eq!(
            call(&server, &token).await.expect("last good keys"),
            "svc-a"
        );
    }
    server.shutdown().await;
}

/// RFC 9470 step-up and the RFC 9068 profile against node oidc-provider:
/// its `at+jwt` access tokens pass the profile, the weaker and older login
/// (svc-a: password, an hour ago) is refused with the exact challenge and
/// metadata, the stronger and fresh one (svc-b: second factor, seconds ago)
/// is served.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs node and the npm package oidc-provider; run bash scripts/test.sh"]
async fn step_up_against_a_real_provider() {
    oidc_provider::require_installed();
    let provider = Provider::start("k1", 300, 0);
    let layer = || {
        BearerAuthLayer::builder(
            JwtVerifier::from_issuer(&provider.issuer, validation())
                .unwrap()
                .with_access_token_profile(true),
        )
        .add_required_acr(jwt_server::CHECK, ["urn:example:mfa"])
        .add_max_auth_age(jwt_server::CHECK, Duration::from_secs(600))
        .with_resource_metadata("https://api.example.test/.well-known/oauth-protected-resource")
        .build()
        .unwrap()
    };
    let weak = provider.token(("svc-a", "secret-a"), "orders.read").await;
    let strong = provider.token(("svc-b", "secret-b"), "orders.read").await;
    let header = jsonwebtoken::decode_header(&weak).unwrap();
    assert_eq!(
        header.typ.as_deref(),
        Some("at+jwt"),
        "oidc-provider issues RFC 9068 tokens"
    );

    // gRPC: the reason and its metadata say what to ask for.
    let server = start(Some(layer())).await;
    let status = call(&server, &weak).await.unwrap_err();
    let err = status.check_auth_error().unwrap().unwrap();
    assert_eq!(err.code(), AuthErrorCode::MultiFactorRequired);
    assert_eq!(err.acr_values(), ["urn:example:mfa"]);
    assert_eq!(err.max_age(), Some(Duration::from_secs(600)));
    assert_eq!(call(&server, &strong).await.unwrap(), "svc-b");
    server.shutdown().await;

    // HTTP: the RFC 9470 challenge, as a browser or a REST client reads it.
    let svc = tower::Layer::layer(
        &layer(),
        tower::service_fn(|_req: http::Request<tonic::body::Body>| async {
            Ok::<_, std::convert::Infallible>(http::Response::new(tonic::body::Body::empty()))
        }),
    );
    let req = |token: &str| {
        http::Request::post(jwt_server::CHECK)
            .header("authorization", format!("Bearer {token}"))
            .body(tonic::body::Body::empty())
            .unwrap()
    };
    let refused = tower::ServiceExt::oneshot(svc.clone(), req(&weak))
        .await
        .unwrap();
    assert_eq!(refused.status(), 401);
    assert_eq!(
        refused.headers()["www-authenticate"],
        "Bearer error=\"insufficient_user_authentication\", error_description=\"multi-factor authentication is required\", acr_values=\"urn:example:mfa\", max_age=600, resource_metadata=\"https://api.example.test/.well-known/oauth-protected-resource\""
    );
    let served = tower::ServiceExt::oneshot(svc, req(&strong)).await.unwrap();
    assert_eq!(served.status(), 200);
}

/// Opaque access tokens from a real provider (oidc-provider with
/// `accessTokenFormat: 'opaque'`), checked at its RFC 7662 endpoint: the
/// Rust client gets one by client credentials and is served; a thousand
/// calls ask the provider once; a revoked token is refused once its cache
/// entry ends; the provider stopped is `UNAVAILABLE`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs node and the npm package oidc-provider; run bash scripts/test.sh"]
async fn opaque_tokens_are_introspected_at_a_real_provider() {
    use auth_error::jwt::IntrospectionVerifier;
    oidc_provider::require_installed();
    let provider = Provider::start_opaque(300);
    let verifier = |max_age: Duration| {
        IntrospectionVerifier::from_issuer(&provider.issuer, "svc-b", "secret-b")
            .unwrap()
            .with_audience([RESOURCE])
            .with_cache(100)
            .with_cache_max_age(max_age)
    };
    let server = serve(verifier(Duration::from_secs(60))).await;
    let source = ClientCredentials::from_issuer(&provider.issuer, "svc-a", "secret-a")
        .unwrap()
        .with_scopes(["orders.read"])
        .with_resource(RESOURCE);
    let token = source.fetch().await.unwrap();
    let token = token.secret().to_owned();
    assert_eq!(token.split('.').count(), 1, "an opaque token: {token}");
    // Served (a client-credentials token has no `sub`: the handler sees
    // the introspection response's claims, `client_id` among them).
    for _ in 0..1000 {
        call(&server, &token).await.expect("served");
    }
    assert_eq!(provider.introspections().await, 1, "one introspection");
    server.shutdown().await;
    // Revoked: served until the entry ends, then refused.
    let max_age = Duration::from_millis(300);
    let server = serve(verifier(max_age)).await;
    call(&server, &token).await.expect("served");
    provider.revoke(("svc-a", "secret-a"), &token).await;
    call(&server, &token).await.expect("served from the cache");
    tokio::time::sleep(max_age + Duration::from_millis(200)).await;
    let refused = call(&server, &token).await.unwrap_err();
    assert_eq!(
        reason(&refused),
        Some(AuthErrorCode::AuthFailedInvalidBearerToken)
    );
    // A garbage token: refused, one request.
    let before = provider.introspections().await;
    for _ in 0..20 {
        let refused = call(&server, "not-a-token-of-this-provider")
            .await
            .unwrap_err();
        assert_eq!(
            reason(&refused),
            Some(AuthErrorCode::AuthFailedInvalidBearerToken)
        );
    }
    assert_eq!(provider.introspections().await, before + 1);
    // The provider down: UNAVAILABLE, never the client's fault.
    let fresh = source.fetch().await;
    drop(provider);
    if let Ok(fresh) = fresh {
        let refused = call(&server, fresh.secret()).await.unwrap_err();
        assert_eq!(refused.code(), Code::Unavailable, "{refused:?}");
        assert_eq!(reason(&refused), None);
    }
    server.shutdown().await;
}

/// DPoP-bound tokens from a real provider (oidc-provider 8 with `dPoP`
/// enabled and its nonce required at the token endpoint): the Rust client
/// (client credentials with a DPoP key, behind `CredentialsLayer` with the
/// same key) gets a bound token and is served by a Rust server that
/// requires DPoP and its own nonces, over gRPC; the same token stolen is
/// refused with its reason over gRPC, and over gRPC-Web and HTTP to an
/// axum router behind the same layer: without a proof,
/// with a copied proof, with the thief's own key, under `Bearer`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs node and the npm package oidc-provider; run bash scripts/test.sh"]
async fn dpop_bound_tokens_from_a_real_provider() {
    use auth_error::client::DpopKey;
    use auth_error::server::Dpop;
    oidc_provider::require_installed();
    let provider = Provider::start_dpop(true);
    let layer = || {
        BearerAuthLayer::builder(JwtVerifier::from_issuer(&provider.issuer, validation()).unwrap())
            .with_dpop(Dpop::required().with_nonces())
            .build()
            .unwrap()
    };
    let server = start(Some(layer())).await;
    let key = DpopKey::generate_es256().unwrap();
    let source = ClientCredentials::from_issuer(&provider.issuer, "svc-a", "secret-a")
        .unwrap()
        .with_scopes(["orders.read"])
        .with_resource(RESOURCE)
        .with_dpop(key.clone());
    // The provider's own answer: a DPoP-bound token (its nonce retried once).
    let token = source.fetch().await.unwrap().secret().to_owned();
    let payload: serde_json::Value = serde_json::from_slice(
        &base64::Engine::decode(
            &base64::engine::general_purpose::URL_SAFE_NO_PAD,
            token.split('.').nth(1).unwrap(),
        )
        .unwrap(),
    )
    .unwrap();
    assert_eq!(payload["cnf"]["jkt"], key.thumbprint(), "{payload}");
    let mut client = tonic_health::pb::health_client::HealthClient::new(
        tower::ServiceBuilder::new()
            .layer(
                CredentialsLayer::new(source)
                    .with_endpoint(server.uri())
                    .with_dpop(key.clone()),
            )
            .service(server.channel().await),
    );
    for _ in 0..3 {
        client
            .check(tonic_health::pb::HealthCheckRequest::default())
            .await
            .expect("a DPoP client with its bound token is served");
    }
    // Stolen: under Bearer, under DPoP without a proof, with the thief's key.
    let refused = call(&server, &token).await.unwrap_err();
    assert_eq!(reason(&refused), Some(AuthErrorCode::TokenBindingMismatch));
    let refused = check(server.channel().await, Some(&format!("DPoP {token}")))
        .await
        .unwrap_err();
    assert_eq!(reason(&refused), Some(AuthErrorCode::DpopProofInvalid));
    // Over HTTP and gRPC-Web, through the same layer: a copied proof (the
    // first use served), the thief's key, and Bearer.
    let http_layer = layer();
    let url = "http://api.test/orders";
    let nonce = {
        let first = key.proof("GET", url, Some(&token), None).unwrap();
        let answer = send_http(&http_layer, &token, "DPoP", Some(&first), false).await;
        assert_eq!(answer.status(), 401);
        answer.headers()["dpop-nonce"].to_str().unwrap().to_owned()
    };
    let proof = key.proof("GET", url, Some(&token), Some(&nonce)).unwrap();
    let served = send_http(&http_layer, &token, "DPoP", Some(&proof), false).await;
    assert_eq!(served.status(), 200);
    let copied = send_http(&http_layer, &token, "DPoP", Some(&proof), false).await;
    assert_eq!(copied.status(), 401);
    assert!(
        copied.headers()["www-authenticate"]
            .to_str()
            .unwrap()
            .starts_with("DPoP algs=")
    );
    let thief = DpopKey::generate_es256().unwrap();
    let thiefs = thief.proof("GET", url, Some(&token), Some(&nonce)).unwrap();
    for (scheme, proof, grpc_web, expected) in [
        (
            "DPoP",
            Some(thiefs.as_str()),
            false,
            "TOKEN_BINDING_MISMATCH",
        ),
        ("Bearer", None, false, "TOKEN_BINDING_MISMATCH"),
        ("Bearer", None, true, "TOKEN_BINDING_MISMATCH"),
        ("DPoP", Some(proof.as_str()), true, "DPOP_PROOF_INVALID"),
    ] {
        let answer = send_http(&http_layer, &token, scheme, proof, grpc_web).await;
        let (parts, body) = answer.into_parts();
        let body = http_body_util::BodyExt::collect(body)
            .await
            .unwrap()
            .to_bytes();
        if grpc_web {
            let status = tonic::Status::from_header_map(&parts.headers).expect("a gRPC-Web status");
            assert_eq!(
                status.auth_error_code().map(|c| c.as_str_name()),
                Some(expected),
                "{scheme} over gRPC-Web"
            );
        } else {
            assert_eq!(parts.status, 401);
            let text = String::from_utf8_lossy(&body);
            assert!(
                text.contains(&format!("\"reason\":\"{expected}\"")),
                "{scheme}: {text}"
            );
        }
    }
    server.shutdown().await;
}

/// One request to an axum router behind `layer` (an HTTP GET, or a
/// gRPC-Web POST) with `scheme token` and an optional DPoP proof.
async fn send_http(
    layer: &BearerAuthLayer<JwtVerifier>,
    token: &str,
    scheme: &str,
    proof: Option<&str>,
    grpc_web: bool,
) -> http::Response<axum::body::Body> {
    let app = axum::Router::new()
        .route(
            "/orders",
            axum::routing::get(|| async { "served" }).post(|| async { "served" }),
        )
        .layer(layer.clone());
    let mut req = http::Request::builder()
        .method(if grpc_web { "POST" } else { "GET" })
        .uri("http://api.test/orders")
        .header("authorization", format!("{scheme} {token}"));
    if grpc_web {
        req = req.header("content-type", "application/grpc-web+proto");
    }
    if let Some(proof) = proof {
        req = req.header("dpop", proof);
    }
    let req = req.body(axum::body::Body::empty()).unwrap();
    tower::ServiceExt::oneshot(app, req).await.unwrap()
}
