//! The key-set cache of `JwtVerifier::from_issuer` / `from_jwks_url`, each
//! promise of docs/identity-providers.md's key-set table proven deterministically against a
//! provider the test controls (`support/key_server.rs`): one fetch for many
//! concurrent callers, no fetch for a foreign issuer, the cooldown before and
//! after it ends, failures backing off, the background refresh, an unknown
//! `kid` inside the cooldown, cached tokens dropped with their key, and no
//! duration that can panic.
#![cfg(all(
    feature = "oidc",
    any(feature = "jwt-aws-lc", feature = "jwt-rust-crypto")
))]

use crate::support::jwt_server;
use crate::support::key_server;

use std::time::Duration;

use auth_error::AuthErrorCode;
use auth_error::jwt::{Issuers, JwtVerifier};
use auth_error::server::{Rejection, TokenVerifier};
use jsonwebtoken::{Algorithm, Validation};
use jwt_server::{es256, forged, now};
use key_server::{KEY_A, KEY_B, KeyServer, public_jwk};
use serde_json::{Value, json};

const AUDIENCE: &str = "orders-api";

fn validation() -> Validation {
    let mut v = Validation::new(Algorithm::ES256);
    v.set_audience(&[AUDIENCE]);
    v.leeway = 0;
    v
}

fn claims(issuer: &str) -> Value {
    json!({"iss": issuer, "aud": AUDIENCE, "sub": "svc", "exp": now() + 3600})
}

fn verifier(server: &KeyServer) -> JwtVerifier {
    JwtVerifier::from_issuer(&server.issuer, validation()).unwrap()
}

/// What a verification gave: the reason, `UNAVAILABLE` with its retry
/// delay, a fault, or success.
#[derive(Debug, PartialEq)]
enum Outcome {
    Ok,
    Refused(AuthErrorCode),
    Unavailable(Option<Duration>),
    Fault,
}

async fn outcome(verifier: &impl TokenVerifier, token: &str) -> Outcome {
    match verifier.verify(token).await {
        Ok(_) => Outcome::Ok,
        Err(rejection @ Rejection::Unavailable(_)) => Outcome::Unavailable(rejection.retry_after()),
        Err(Rejection::Auth(err)) => Outcome::Refused(err.code()),
        Err(_) => Outcome::Fault,
    }
}

#[tokio::test]
async fn concurrent_calls_for_a_new_kid_wait_on_exactly_one_fetch() {
    let server = KeyServer::start(vec![public_jwk(KEY_A, "a")]).await;
    let verifier = verifier(&server).with_jwks_cooldown(Duration::ZERO);
    let old = es256(&claims(&server.issuer), KEY_A, "a");
    assert_eq!(outcome(&verifier, &old).await, Outcome::Ok);
    assert_eq!(server.jwks_fetches(), 1);

    // Rotation: the new key is published, and the fetch is held while every
    // caller arrives. `join!` polls all eight in this task, so each reaches
    // the cache before the first fetch can answer.
    server.set_keys(vec![public_jwk(KEY_B, "b")]);
    server.hold();
    let new = es256(&claims(&server.issuer), KEY_B, "b");
    let release = async {
        server.wait_for_jwks(2).await;
        tokio::time::sleep(Duration::from_millis(50)).await;
        server.release();
    };
    let v = &verifier;
    let (_, a, b, c, d, e, f, g, h) = tokio::join!(
        release,
        outcome(v, &new),
        outcome(v, &new),
        outcome(v, &new),
        outcome(v, &new),
        outcome(v, &new),
        outcome(v, &new),
        outcome(v, &new),
        outcome(v, &new),
    );
    for result in [a, b, c, d, e, f, g, h] {
        assert_eq!(result, Outcome::Ok);
    }
    assert_eq!(server.jwks_fetches(), 2, "eight callers, one fetch");
}

#[tokio::test]
async fn foreign_issuers_cause_no_fetch_even_with_no_cooldown() {
    let server = KeyServer::start(vec![public_jwk(KEY_A, "a")]).await;
    let verifier = verifier(&server).with_jwks_cooldown(Duration::ZERO);
    let good = es256(&claims(&server.issuer), KEY_A, "a");
    assert_eq!(outcome(&verifier, &good).await, Outcome::Ok);
    let fetches = server.counts();
    for i in 0..20 {
        let mut foreign = claims("https://evil.example");
        if i % 2 == 0 {
            foreign.as_object_mut().unwrap().remove("iss");
        }
        let token = forged(
            &json!({"alg": "ES256", "kid": format!("evil-{i}")}),
            &foreign,
        );
        let want = match i % 2 {
            0 => AuthErrorCode::MissingRequiredClaims,
            _ => AuthErrorCode::AuthFailedInvalidIssuer,
        };
        assert_eq!(
            outcome(&verifier, &token).await,
            Outcome::Refused(want),
            "{i}"
        );
    }
    assert_eq!(
        server.counts(),
        fetches,
        "no discovery and no key set fetch"
    );
}

#[tokio::test]
async fn an_unknown_kid_inside_the_cooldown_is_unavailable_and_refetched_after_it() {
    let cooldown = Duration::from_secs(1);
    let server = KeyServer::start(vec![public_jwk(KEY_A, "a")]).await;
    let verifier = verifier(&server).with_jwks_cooldown(cooldown);
    let good = es256(&claims(&server.issuer), KEY_A, "a");
    assert_eq!(outcome(&verifier, &good).await, Outcome::Ok);
    let started = tokio::time::Instant::now();

    // The provider rotates at once: inside the cooldown, the new kid cannot
    // be looked up; the client is told to retry, not to log in again.
    server.set_keys(vec![public_jwk(KEY_A, "a"), public_jwk(KEY_B, "b")]);
    let new = es256(&claims(&server.issuer), KEY_B, "b");
    assert_eq!(
        outcome(&verifier, &new).await,
        Outcome::Unavailable(Some(Duration::from_secs(1)))
    );
    assert_eq!(server.jwks_fetches(), 1);

    // After the cooldown: fetched, found.
    tokio::time::sleep_until(started + cooldown + Duration::from_millis(50)).await;
    assert_eq!(outcome(&verifier, &new).await, Outcome::Ok);
    assert_eq!(server.jwks_fetches(), 2);

    // A kid still unknown right after a fetch is the token's fault.
    tokio::time::sleep(cooldown + Duration::from_millis(50)).await;
    let forged_kid = forged(
        &json!({"alg": "ES256", "kid": "nobody"}),
        &claims(&server.issuer),
    );
    assert_eq!(
        outcome(&verifier, &forged_kid).await,
        Outcome::Refused(AuthErrorCode::AuthFailedInvalidBearerToken)
    );
    assert_eq!(server.jwks_fetches(), 3);
}

#[tokio::test]
async fn past_max_age_the_refresh_runs_in_the_background() {
    let server = KeyServer::start(vec![public_jwk(KEY_A, "a")]).await;
    let verifier = verifier(&server)
        .with_jwks_cooldown(Duration::ZERO)
        .with_jwks_max_age(Duration::from_millis(200));
    let good = es256(&claims(&server.issuer), KEY_A, "a");
    assert_eq!(outcome(&verifier, &good).await, Outcome::Ok);
    tokio::time::sleep(Duration::from_millis(300)).await;

    // The refresh is held until the call has returned: a refresh inside
    // the call would not return before the provider client's own 10 s
    // timeout (this one, shorter, fails the test).
    server.hold();
    let call = tokio::time::timeout(Duration::from_secs(3), outcome(&verifier, &good)).await;
    assert_eq!(call.expect("the call waited for the refresh"), Outcome::Ok);
    server.wait_for_jwks(2).await;
    server.release();
}

#[tokio::test]
async fn a_failing_or_uncacheable_key_set_is_fetched_at_most_once_per_cooldown() {
    let cooldown = Duration::from_secs(1);
    let server = KeyServer::start(vec![public_jwk(KEY_A, "a")]).await;
    // The provider says the keys must not be cached at all.
    server.set_max_age(Some(0));
    let verifier = verifier(&server)
        .with_jwks_cooldown(cooldown)
        .with_jwks_max_age(Duration::from_millis(1));
    let good = es256(&claims(&server.issuer), KEY_A, "a");
    // A forged signature with the published kid drives nothing either.
    let forged_sig = forged(
        &json!({"alg": "ES256", "kid": "a"}),
        &claims(&server.issuer),
    );
    let started = tokio::time::Instant::now();
    let mut calls = 0;
    while started.elapsed() < Duration::from_millis(800) {
        assert_eq!(outcome(&verifier, &good).await, Outcome::Ok);
        assert_eq!(
            outcome(&verifier, &forged_sig).await,
            Outcome::Refused(AuthErrorCode::AuthFailedInvalidBearerToken)
        );
        calls += 2;
        tokio::task::yield_now().await;
    }
    assert!(calls > 50, "{calls}");
    assert_eq!(server.jwks_fetches(), 1, "max-age 0 counts as the cooldown");

    // Then the provider fails: the keys held keep serving, and failed
    // refreshes back off (the cooldown, then twice it).
    server.set_status(503);
    tokio::time::sleep_until(started + cooldown + Duration::from_millis(50)).await;
    let failing = tokio::time::Instant::now();
    while failing.elapsed() < Duration::from_millis(1500) {
        assert_eq!(outcome(&verifier, &good).await, Outcome::Ok);
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    let fetches = server.jwks_fetches();
    assert!(
        (2..=3).contains(&fetches),
        "{fetches} fetches in 1.5 s of a failing provider with a 1 s cooldown"
    );
}

#[tokio::test]
async fn a_cached_token_is_refused_once_its_key_left_the_set() {
    let server = KeyServer::start(vec![public_jwk(KEY_A, "a"), public_jwk(KEY_B, "b")]).await;
    let verifier = verifier(&server)
        .with_jwks_cooldown(Duration::ZERO)
        .with_cache(16);
    let stolen = es256(&claims(&server.issuer), KEY_A, "a");
    assert_eq!(outcome(&verifier, &stolen).await, Outcome::Ok);
    assert_eq!(outcome(&verifier, &stolen).await, Outcome::Ok, "cached");

    // The stolen key is rotated out; a token with an unknown kid makes the
    // verifier fetch the new set.
    server.set_keys(vec![public_jwk(KEY_B, "b")]);
    let probe = forged(
        &json!({"alg": "ES256", "kid": "c"}),
        &claims(&server.issuer),
    );
    assert_eq!(
        outcome(&verifier, &probe).await,
        Outcome::Refused(AuthErrorCode::AuthFailedInvalidBearerToken)
    );
    assert_eq!(
        outcome(&verifier, &stolen).await,
        Outcome::Refused(AuthErrorCode::AuthFailedInvalidBearerToken),
        "the cache vouched for a token whose key is gone"
    );
    let fine = es256(&claims(&server.issuer), KEY_B, "b");
    assert_eq!(outcome(&verifier, &fine).await, Outcome::Ok);
}

#[tokio::test]
async fn huge_durations_saturate_instead_of_panicking() {
    let server = KeyServer::start(vec![public_jwk(KEY_A, "a")]).await;
    let verifier = verifier(&server)
        .with_jwks_max_age(Duration::MAX)
        .with_jwks_cooldown(Duration::MAX);
    let good = es256(&claims(&server.issuer), KEY_A, "a");
    for _ in 0..3 {
        assert_eq!(outcome(&verifier, &good).await, Outcome::Ok);
    }
    let unknown = forged(
        &json!({"alg": "ES256", "kid": "z"}),
        &claims(&server.issuer),
    );
    assert!(matches!(
        outcome(&verifier, &unknown).await,
        Outcome::Unavailable(Some(_))
    ));
    assert_eq!(
        outcome(&verifier, &good).await,
        Outcome::Ok,
        "still serving"
    );
}

#[tokio::test]
async fn a_key_with_an_encryption_alg_is_never_used_to_verify() {
    // The same P-256 key, published for key agreement (`ECDH-ES`) without
    // `use`: an ES256 token signed with it is not accepted.
    let mut ecdh = public_jwk(KEY_A, "a");
    ecdh.as_object_mut().unwrap().remove("use");
    ecdh["alg"] = json!("ECDH-ES");
    let server = KeyServer::start(vec![ecdh.clone()]).await;
    let verifier = JwtVerifier::from_jwks_url(&format!("{}/jwks", server.issuer), validation())
        .unwrap()
        .with_jwks_cooldown(Duration::ZERO);
    let token = es256(&claims(&server.issuer), KEY_A, "a");
    assert_eq!(
        outcome(&verifier, &token).await,
        Outcome::Refused(AuthErrorCode::AuthFailedInvalidBearerToken)
    );
    // `from_jwks` refuses such a set outright; keys for encryption are
    // left out of it.
    let set: jsonwebtoken::jwk::JwkSet = serde_json::from_value(json!({"keys": [ecdh]})).unwrap();
    assert!(JwtVerifier::from_jwks(&set, validation()).is_err());
    let mut enc = public_jwk(KEY_A, "a");
    enc["use"] = json!("enc");
    let set: jsonwebtoken::jwk::JwkSet = serde_json::from_value(json!({"keys": [enc]})).unwrap();
    let verifier = JwtVerifier::from_jwks(&set, validation()).unwrap();
    assert_eq!(
        outcome(&verifier, &token).await,
        Outcome::Refused(AuthErrorCode::AuthFailedInvalidBearerToken)
    );
}

#[tokio::test]
async fn a_multi_issuer_refusal_names_no_configured_issuer() {
    let tenants = Issuers::new([
        JwtVerifier::from_issuer("https://id.tenant-a.example", validation()).unwrap(),
        JwtVerifier::from_issuer("https://id.tenant-b.example", validation()).unwrap(),
    ]);
    let token = forged(
        &json!({"alg": "ES256", "kid": "k"}),
        &claims("https://evil.example"),
    );
    let Err(Rejection::Auth(err)) = tenants.verify(&token).await else {
        panic!("refused")
    };
    assert_eq!(err.code(), AuthErrorCode::AuthFailedInvalidIssuer);
    let shown = format!("{err:?} {err}");
    assert!(!shown.contains("tenant"), "{shown}");
    assert_eq!(err.metadata().get("issuer"), None);
    // A single verifier may name its one issuer.
    let single = JwtVerifier::from_issuer("https://id.tenant-a.example", validation()).unwrap();
    let Err(Rejection::Auth(err)) = single.verify(&token).await else {
        panic!("refused")
    };
    assert_eq!(
        err.metadata().get("issuer"),
        Some("https://id.tenant-a.example")
    );
}

#[tokio::test]
async fn a_cached_token_of_a_held_key_is_not_verified_again() {
    use std::sync::atomic::{AtomicUsize, Ordering};
    static DESERIALIZED: AtomicUsize = AtomicUsize::new(0);
    #[derive(Clone, Debug)]
    struct Counted;
    impl<'de> serde::Deserialize<'de> for Counted {
        fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
            DESERIALIZED.fetch_add(1, Ordering::SeqCst);
            serde::de::IgnoredAny::deserialize(d)?;
            Ok(Counted)
        }
    }
    let server = KeyServer::start(vec![public_jwk(KEY_A, "a")]).await;
    let verifier = verifier(&server).with_cache(16).with_claims::<Counted>();
    let token = es256(&claims(&server.issuer), KEY_A, "a");
    for _ in 0..3 {
        assert!(verifier.verify(&token).await.is_ok());
    }
    assert_eq!(
        DESERIALIZED.load(Ordering::SeqCst),
        1,
        "verified once, then served from the cache while its key is held"
    );
}
