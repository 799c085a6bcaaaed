//! `auth_error::testing::TestIssuer` as a user's integration test uses it:
//! the public API only, a tonic server with the layer on loopback, tokens
//! minted by the issuer. A valid token served, an expired one refused with
//! its reason, a rotation picked up, an outage answered `UNAVAILABLE`, a
//! client-credentials client served; the introspection and revocation
//! endpoints; no key material in `Debug`.
#![cfg(feature = "testing")]

use std::time::Duration;

use auth_error::client::CredentialsLayer;
use auth_error::jwt::JwtVerifier;
use auth_error::oauth::ClientCredentials;
use auth_error::server::{BearerAuthLayer, Rejection, TokenVerifier};
use auth_error::testing::{Endpoint, TestIssuer};
use auth_error::{AuthErrorCode, AuthStatusExt as _};
use jsonwebtoken::{Algorithm, Validation};
use tonic_health::pb::HealthCheckRequest;
use tonic_health::pb::health_client::HealthClient;

const AUDIENCE: &str = "orders-api";
const SCOPE: &str = "health.read";

fn validation() -> Validation {
    let mut validation = Validation::new(Algorithm::ES256);
    validation.set_audience(&[AUDIENCE]);
    validation
}

/// The service under test: tonic's health service behind the layer, on a
/// free loopback port; its endpoint URI.
async fn serve(verifier: JwtVerifier) -> http::Uri {
    let layer = BearerAuthLayer::builder(verifier)
        .add_required_scopes("grpc.health.v1.Health", [SCOPE])
        .build()
        .unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let (_reporter, health) = tonic_health::server::health_reporter();
    tokio::spawn(
        tonic::transport::Server::builder()
            .layer(layer)
            .add_service(health)
            .serve_with_incoming(tokio_stream::wrappers::TcpListenerStream::new(listener)),
    );
    format!("http://{addr}").parse().unwrap()
}

async fn call(uri: &http::Uri, token: &str) -> Result<(), tonic::Status> {
    let channel = tonic::transport::Endpoint::from(uri.clone())
        .connect()
        .await
        .unwrap();
    let mut request = tonic::Request::new(HealthCheckRequest::default());
    request
        .metadata_mut()
        .insert("authorization", format!("Bearer {token}").parse().unwrap());
    HealthClient::new(channel).check(request).await.map(drop)
}

async fn issuer() -> TestIssuer {
    TestIssuer::builder()
        .with_audience(AUDIENCE)
        .start()
        .await
        .unwrap()
}

#[tokio::test]
async fn a_valid_token_is_served_and_an_expired_one_refused_with_its_reason() {
    let issuer = issuer().await;
    let uri = serve(JwtVerifier::from_issuer(issuer.url(), validation()).unwrap()).await;
    let good = issuer.token().with_scopes([SCOPE]).sign().unwrap();
    call(&uri, &good).await.unwrap();
    let expired = issuer
        .token()
        .with_scopes([SCOPE])
        .expired()
        .sign()
        .unwrap();
    let refused = call(&uri, &expired).await.unwrap_err();
    assert_eq!(
        refused.auth_error().map(|e| e.code()),
        Some(AuthErrorCode::TokenExpired)
    );
    let unscoped = issuer.token().sign().unwrap();
    let refused = call(&uri, &unscoped).await.unwrap_err();
    assert_eq!(
        refused.auth_error().map(|e| e.code()),
        Some(AuthErrorCode::InvalidScope)
    );
    assert_eq!(issuer.requests(Endpoint::Discovery), 1);
    assert_eq!(issuer.requests(Endpoint::Jwks), 1);
}

#[tokio::test]
async fn every_algorithm_it_signs_with_verifies() {
    let issuer = issuer().await;
    for alg in [
        Algorithm::ES256,
        Algorithm::ES384,
        Algorithm::RS256,
        Algorithm::PS256,
        Algorithm::EdDSA,
    ] {
        let mut validation = Validation::new(alg);
        validation.set_audience(&[AUDIENCE]);
        let verifier = JwtVerifier::from_issuer(issuer.url(), validation).unwrap();
        let token = issuer.token().with_algorithm(alg).sign().unwrap();
        let verified = verifier.verify(&token).await;
        assert!(verified.is_ok(), "{alg:?}: {verified:?}");
    }
    assert!(matches!(
        issuer.token().with_algorithm(Algorithm::HS256).sign(),
        Err(auth_error::testing::TestIssuerError::UnsupportedAlgorithm(
            Algorithm::HS256
        ))
    ));
}

#[tokio::test]
async fn a_rotation_is_picked_up() {
    let issuer = issuer().await;
    let verifier = JwtVerifier::from_issuer(issuer.url(), validation())
        .unwrap()
        .with_jwks_cooldown(Duration::ZERO);
    let before = issuer.token().sign().unwrap();
    assert!(verifier.verify(&before).await.is_ok());
    issuer.rotate_keys().unwrap();
    let after = issuer.token().sign().unwrap();
    assert!(
        verifier.verify(&after).await.is_ok(),
        "the new kid is fetched"
    );
    // The previous key is still published: tokens signed before still pass.
    assert!(verifier.verify(&before).await.is_ok());
    assert_eq!(issuer.requests(Endpoint::Jwks), 2);
}

#[tokio::test]
async fn an_outage_is_unavailable_and_a_restart_serves_again() {
    let issuer = issuer().await;
    let uri = serve(JwtVerifier::from_issuer(issuer.url(), validation()).unwrap()).await;
    let token = issuer.token().with_scopes([SCOPE]).sign().unwrap();
    issuer.stop();
    let refused = call(&uri, &token).await.unwrap_err();
    assert_eq!(refused.code(), tonic::Code::Unavailable, "{refused:?}");
    assert!(refused.auth_error().is_none(), "never the client's fault");
    issuer.restart().await.unwrap();
    // The failed fetch backs off: a fresh service sees the provider again.
    let uri = serve(JwtVerifier::from_issuer(issuer.url(), validation()).unwrap()).await;
    call(&uri, &token).await.unwrap();
}

#[tokio::test]
async fn an_error_status_and_a_slow_provider_are_unavailable() {
    let issuer = issuer().await;
    let token = issuer.token().sign().unwrap();
    issuer.fail_with(http::StatusCode::SERVICE_UNAVAILABLE);
    let verifier = JwtVerifier::from_issuer(issuer.url(), validation()).unwrap();
    assert!(matches!(
        verifier.verify(&token).await,
        Err(Rejection::Unavailable(_))
    ));
    issuer.heal();
    let verifier = JwtVerifier::from_issuer(issuer.url(), validation()).unwrap();
    assert!(verifier.verify(&token).await.is_ok());
    assert!(issuer.requests(Endpoint::Discovery) >= 2);
}

#[tokio::test]
async fn a_client_credentials_client_is_served() {
    let issuer = issuer().await;
    issuer.add_client("svc-a", "s3cret-a", [SCOPE]);
    let uri = serve(JwtVerifier::from_issuer(issuer.url(), validation()).unwrap()).await;
    let channel = tonic::transport::Endpoint::from(uri.clone())
        .connect()
        .await
        .unwrap();
    let source = ClientCredentials::from_issuer(issuer.url(), "svc-a", "s3cret-a").unwrap();
    let channel = tower::ServiceBuilder::new()
        .layer(CredentialsLayer::new(source).with_endpoint(uri))
        .service(channel);
    HealthClient::new(channel)
        .check(HealthCheckRequest::default())
        .await
        .unwrap();
    assert_eq!(issuer.requests(Endpoint::Token), 1);
    // A wrong secret is the token endpoint's `invalid_client`.
    let wrong = ClientCredentials::from_issuer(issuer.url(), "svc-a", "wrong").unwrap();
    let err = auth_error::client::TokenSource::fetch(&wrong)
        .await
        .unwrap_err();
    let mut chain = Vec::new();
    let mut next: Option<&(dyn std::error::Error + 'static)> = Some(err.as_ref());
    while let Some(e) = next {
        chain.push(e.to_string());
        next = e.source();
    }
    assert!(
        chain.iter().any(|e| e.contains("invalid_client")),
        "{chain:?}"
    );
}

/// RFC 7662 and RFC 7009 on the issuer's own endpoints: an opaque token is
/// active until revoked; only a registered client may ask.
#[tokio::test]
async fn opaque_tokens_introspect_until_revoked() {
    let issuer = issuer().await;
    issuer.add_client("rs", "rs-secret", Vec::<String>::new());
    let opaque = issuer
        .token()
        .with_subject("alice")
        .with_scopes([SCOPE])
        .opaque()
        .unwrap();
    let http = reqwest::Client::new();
    let introspect = |who: (&'static str, &'static str)| {
        http.post(issuer.endpoint_url(Endpoint::Introspection))
            .basic_auth(who.0, Some(who.1))
            .form(&[("token", opaque.as_str())])
            .send()
    };
    let answer: serde_json::Value = introspect(("rs", "rs-secret"))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(answer["active"], true);
    assert_eq!(answer["sub"], "alice");
    assert_eq!(answer["scope"], SCOPE);
    assert_eq!(answer["aud"], AUDIENCE);
    let stranger = introspect(("rs", "wrong")).await.unwrap();
    assert_eq!(stranger.status(), 401);
    let revoked = http
        .post(issuer.endpoint_url(Endpoint::Revocation))
        .basic_auth("rs", Some("rs-secret"))
        .form(&[("token", opaque.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(revoked.status(), 200);
    let answer: serde_json::Value = introspect(("rs", "rs-secret"))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(answer, serde_json::json!({ "active": false }));
    assert_eq!(issuer.requests(Endpoint::Introspection), 3);
}

#[tokio::test]
async fn debug_shows_no_key_material_and_drop_stops_it() {
    let issuer = issuer().await;
    issuer
        .token()
        .with_algorithm(Algorithm::RS256)
        .sign()
        .unwrap();
    let shown = format!("{issuer:?}");
    assert!(
        shown.contains(issuer.url()) && shown.contains("kids"),
        "{shown}"
    );
    // A JWK's private members, or PEM, never appear.
    for secret in ["\"d\"", "BEGIN", "PRIVATE", "pair"] {
        assert!(!shown.contains(secret), "{shown}");
    }
    let url = issuer.jwks_url();
    drop(issuer);
    tokio::time::sleep(Duration::from_millis(50)).await;
    assert!(reqwest::get(&url).await.is_err(), "stopped when dropped");
}
