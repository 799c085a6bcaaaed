//! `IntrospectionVerifier` against the test issuer's RFC 7662 endpoint:
//! opaque tokens served and refused for the provider's reasons, a cache
//! that never skips a route's check, one request per token however many
//! calls (and however concurrent), a bounded cost for garbage tokens,
//! revocation once the cache entry ends, and an outage that is
//! `UNAVAILABLE`, never the client's fault. `JwtOrIntrospection` sends
//! each kind to its verifier.
#![cfg(feature = "testing")]

use std::sync::Arc;
use std::time::Duration;

use auth_error::jwt::{IntrospectionVerifier, JwtOrIntrospection, JwtVerifier};
use auth_error::server::{BearerAuthLayer, Rejection, Route, TokenVerifier};
use auth_error::testing::{Endpoint, TestIssuer};
use auth_error::{AuthErrorCode, AuthStatusExt as _};
use http::header;
use jsonwebtoken::{Algorithm, Validation};
use tower::{Layer, ServiceExt};

const AUDIENCE: &str = "orders-api";

async fn issuer() -> TestIssuer {
    let issuer = TestIssuer::builder()
        .with_audience(AUDIENCE)
        .start()
        .await
        .unwrap();
    issuer.add_client("orders-api", "rs-secret", Vec::<String>::new());
    issuer
}

fn verifier(issuer: &TestIssuer) -> IntrospectionVerifier {
    IntrospectionVerifier::from_issuer(issuer.url(), "orders-api", "rs-secret")
        .unwrap()
        .with_audience([AUDIENCE])
}

fn code(result: Result<impl std::fmt::Debug, Rejection>) -> AuthErrorCode {
    match result {
        Err(Rejection::Auth(err)) => err.code(),
        other => panic!("expected the client's fault, got {other:?}"),
    }
}

#[tokio::test]
async fn an_active_token_is_served_and_an_inactive_one_is_an_invalid_token() {
    let issuer = issuer().await;
    let verifier = verifier(&issuer);
    let token = issuer
        .token()
        .with_subject("alice")
        .with_scopes(["orders.read"])
        .with_acr("urn:mfa")
        .opaque()
        .unwrap();
    let verified = verifier.verify(&token).await.unwrap();
    assert_eq!(verified.claims()["sub"], "alice");
    assert_eq!(verified.scopes(), ["orders.read"]);
    assert_eq!(verified.acr(), Some("urn:mfa"));
    assert_eq!(
        code(verifier.verify("not-a-token-it-issued").await),
        AuthErrorCode::AuthFailedInvalidBearerToken
    );
    // Expired: the provider says inactive, and so do we (no guess why).
    let expired = issuer.token().expired().opaque().unwrap();
    assert_eq!(
        code(verifier.verify(&expired).await),
        AuthErrorCode::AuthFailedInvalidBearerToken
    );
    // Another audience.
    let foreign = issuer
        .token()
        .with_audience("billing-api")
        .opaque()
        .unwrap();
    assert_eq!(
        code(verifier.verify(&foreign).await),
        AuthErrorCode::AuthFailedInvalidAudience
    );
}

#[tokio::test]
async fn a_thousand_calls_with_one_token_ask_the_provider_once() {
    let issuer = issuer().await;
    let verifier = verifier(&issuer).with_cache(1000);
    let token = issuer.token().opaque().unwrap();
    for _ in 0..1000 {
        assert!(verifier.verify(&token).await.is_ok());
    }
    assert_eq!(issuer.requests(Endpoint::Introspection), 1);
}

#[tokio::test]
async fn concurrent_calls_with_one_token_make_one_request() {
    let issuer = issuer().await;
    let verifier = Arc::new(verifier(&issuer).with_cache(100));
    let token = issuer.token().opaque().unwrap();
    // Discovery first, so that only the introspection is slow.
    assert!(
        verifier
            .verify(&issuer.token().opaque().unwrap())
            .await
            .is_ok()
    );
    issuer.delay(Duration::from_millis(200));
    let calls: Vec<_> = (0..50)
        .map(|_| {
            let (verifier, token) = (verifier.clone(), token.clone());
            tokio::spawn(async move { verifier.verify(&token).await.is_ok() })
        })
        .collect();
    for call in calls {
        assert!(call.await.unwrap());
    }
    assert_eq!(issuer.requests(Endpoint::Introspection), 2);
}

#[tokio::test]
async fn garbage_tokens_cost_at_most_one_request_each_per_window() {
    let issuer = issuer().await;
    let verifier = verifier(&issuer)
        .with_cache(10_000)
        .with_negative_cache_max_age(Duration::from_secs(60));
    for round in 0..3 {
        for i in 0..300 {
            let garbage = format!("garbage-{i}");
            assert_eq!(
                code(verifier.verify(&garbage).await),
                AuthErrorCode::AuthFailedInvalidBearerToken,
                "round {round}"
            );
        }
    }
    assert_eq!(issuer.requests(Endpoint::Introspection), 300);
}

#[tokio::test]
async fn a_revoked_token_is_refused_once_its_cache_entry_ends() {
    let issuer = issuer().await;
    let max_age = Duration::from_millis(300);
    let verifier = verifier(&issuer).with_cache(10).with_cache_max_age(max_age);
    let token = issuer.token().opaque().unwrap();
    assert!(verifier.verify(&token).await.is_ok());
    let revoked = reqwest::Client::new()
        .post(issuer.endpoint_url(Endpoint::Revocation))
        .basic_auth("orders-api", Some("rs-secret"))
        .form(&[("token", token.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(revoked.status(), 200);
    // Within the entry's life: still served (the documented latency).
    assert!(verifier.verify(&token).await.is_ok());
    tokio::time::sleep(max_age + Duration::from_millis(100)).await;
    assert_eq!(
        code(verifier.verify(&token).await),
        AuthErrorCode::AuthFailedInvalidBearerToken
    );
}

#[tokio::test]
async fn an_outage_or_an_error_status_is_unavailable_and_never_cached() {
    let issuer = issuer().await;
    let verifier = verifier(&issuer).with_cache(10);
    let token = issuer.token().opaque().unwrap();
    assert!(
        verifier
            .verify(&issuer.token().opaque().unwrap())
            .await
            .is_ok()
    );
    issuer.fail_with(http::StatusCode::INTERNAL_SERVER_ERROR);
    let refused = verifier.verify(&token).await;
    assert!(
        matches!(refused, Err(Rejection::Unavailable(_))),
        "{refused:?}"
    );
    issuer.heal();
    assert!(
        verifier.verify(&token).await.is_ok(),
        "the error was not cached"
    );
    issuer.stop();
    let other = "another-token";
    assert!(matches!(
        verifier.verify(other).await,
        Err(Rejection::Unavailable(_))
    ));
    // Slow: past the verifier's timeout.
    issuer.restart().await.unwrap();
    issuer.delay(Duration::from_millis(500));
    let slow = verifier.with_timeout(Duration::from_millis(100));
    assert!(matches!(
        slow.verify("a-third-token").await,
        Err(Rejection::Unavailable(_))
    ));
}

/// The cache holds the provider's answer, not the route's decision: a
/// token cached on a route it may call is refused on one that needs more.
#[tokio::test]
async fn a_cached_answer_never_skips_a_routes_scope_check() {
    let issuer = issuer().await;
    let layer = BearerAuthLayer::builder(verifier(&issuer).with_cache(10))
        .add_required_scopes(Route::exact("/orders.v1.Orders/List"), ["orders.read"])
        .add_required_scopes(Route::exact("/orders.v1.Orders/Delete"), ["orders.admin"])
        .build()
        .unwrap();
    let ok = tower::service_fn(|_req: http::Request<tonic::body::Body>| async {
        Ok::<_, std::convert::Infallible>(http::Response::new(tonic::body::Body::empty()))
    });
    let service = layer.layer(ok);
    let token = issuer
        .token()
        .with_scopes(["orders.read"])
        .opaque()
        .unwrap();
    let call = |path: &'static str| {
        let service = service.clone();
        let token = token.clone();
        async move {
            let request = http::Request::post(path)
                .header(header::AUTHORIZATION, format!("Bearer {token}"))
                .header(header::CONTENT_TYPE, "application/grpc")
                .body(tonic::body::Body::empty())
                .unwrap();
            let response = service.oneshot(request).await.unwrap();
            tonic::Status::from_header_map(response.headers()).and_then(|s| s.auth_error())
        }
    };
    assert!(call("/orders.v1.Orders/List").await.is_none());
    assert!(call("/orders.v1.Orders/List").await.is_none());
    assert_eq!(
        call("/orders.v1.Orders/Delete").await.map(|e| e.code()),
        Some(AuthErrorCode::InvalidScope)
    );
    assert_eq!(issuer.requests(Endpoint::Introspection), 1);
}

#[tokio::test]
async fn jwts_go_to_the_jwt_verifier_and_opaque_tokens_to_introspection() {
    let issuer = issuer().await;
    let mut validation = Validation::new(Algorithm::ES256);
    validation.set_audience(&[AUDIENCE]);
    let verifier = JwtOrIntrospection::new(
        JwtVerifier::from_issuer(issuer.url(), validation).unwrap(),
        verifier(&issuer),
    );
    let jwt = issuer.token().sign().unwrap();
    let opaque = issuer.token().opaque().unwrap();
    assert!(verifier.verify(&jwt).await.is_ok());
    assert_eq!(issuer.requests(Endpoint::Introspection), 0);
    assert!(verifier.verify(&opaque).await.is_ok());
    assert_eq!(issuer.requests(Endpoint::Introspection), 1);
    let expired = issuer.token().expired().sign().unwrap();
    assert_eq!(
        code(verifier.verify(&expired).await),
        AuthErrorCode::TokenExpired
    );
}
