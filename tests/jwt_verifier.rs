//! `JwtVerifier` on its own (no server): what the security review found.
//! Each test failed before its fix.
#![cfg(any(feature = "jwt-aws-lc", feature = "jwt-rust-crypto"))]

#[path = "support/jwt_server.rs"]
mod jwt_server;

use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use auth_error::jwt::JwtVerifier;
use auth_error::server::{BearerAuthLayer, ConfigError, Rejection, TokenVerifier};
use auth_error::{AuthError, AuthErrorCode};
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use jwt_server::*;
use serde_json::{Value, json};

const ES_A_PUB: &[u8] = include_bytes!("data/keys/es256-a.pub.pem");
const ES_A: &[u8] = include_bytes!("data/keys/es256-a.pem");

fn code(result: Result<impl std::fmt::Debug, Rejection>) -> AuthErrorCode {
    match result {
        Err(Rejection::Auth(err)) => err.code(),
        other => panic!("expected the client's fault, got {other:?}"),
    }
}

fn now_f64() -> f64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs_f64()
}

/// Waits (polling, generous deadline) until the clock is past `secs`.
async fn wait_until_past(secs: u64) {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    while now() <= secs {
        assert!(tokio::time::Instant::now() < deadline, "clock stuck");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test]
async fn a_cached_token_with_a_fractional_exp_still_expires() {
    let verifier = JwtVerifier::new(
        DecodingKey::from_secret(SECRET),
        validation(Algorithm::HS256),
    )
    .with_cache(16);
    // What `time.time() + 4.5` in Python or `Date.now() / 1000` gives: a
    // fraction, and seconds enough for two calls on a loaded machine.
    let exp = (now_f64() + 4.5).floor() + 0.5;
    let claims = {
        let mut c = good_claims();
        c["exp"] = json!(exp);
        c
    };
    let token = hs256(&claims);
    assert!(verifier.verify(&token).await.is_ok());
    assert!(verifier.verify(&token).await.is_ok());
    wait_until_past(exp as u64 + 1).await;
    assert_eq!(
        code(verifier.verify(&token).await),
        AuthErrorCode::TokenExpired
    );
}

#[tokio::test]
async fn the_cache_serves_a_token_without_deserializing_it_again() {
    static DESERIALIZED: AtomicUsize = AtomicUsize::new(0);
    #[derive(Clone, Debug)]
    struct Counted;
    impl<'de> serde::Deserialize<'de> for Counted {
        fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
            serde::de::IgnoredAny::deserialize(d)?;
            DESERIALIZED.fetch_add(1, Ordering::SeqCst);
            Ok(Counted)
        }
    }
    let verifier = JwtVerifier::new(
        DecodingKey::from_secret(SECRET),
        validation(Algorithm::HS256),
    )
    .with_claims::<Counted>()
    .with_cache(16);
    let token = hs256(&good_claims());
    for _ in 0..5 {
        assert!(verifier.verify(&token).await.is_ok());
    }
    assert_eq!(
        DESERIALIZED.load(Ordering::SeqCst),
        1,
        "one verification, four hits"
    );
}

#[tokio::test]
async fn an_alg_its_key_cannot_verify_is_the_tokens_fault() {
    let mut validation = validation(Algorithm::ES256);
    validation.algorithms = vec![Algorithm::ES256, Algorithm::ES384];
    let verifier = JwtVerifier::new(
        DecodingKey::from_ec_pem(ES_A_PUB).unwrap(),
        validation.clone(),
    )
    .add_key("a", DecodingKey::from_ec_pem(ES_A_PUB).unwrap());
    assert!(verifier.check().is_ok());
    for header in [
        json!({"alg": "ES384", "kid": "a"}),
        json!({"alg": "ES384"}),
        json!({"alg": "RS256", "kid": "a"}),
        json!({"alg": "HS256"}),
    ] {
        let token = forged(&header, &good_claims());
        assert_eq!(
            code(verifier.verify(&token).await),
            AuthErrorCode::AuthFailedInvalidBearerToken,
            "{header}"
        );
    }
    // The key still verifies what it can.
    let mut header = Header::new(Algorithm::ES256);
    header.kid = Some("a".into());
    backend();
    let token = jsonwebtoken::encode(
        &header,
        &good_claims(),
        &EncodingKey::from_ec_pem(ES_A).unwrap(),
    )
    .unwrap();
    assert!(verifier.verify(&token).await.is_ok());
}

#[tokio::test]
async fn a_key_no_allowed_algorithm_can_use_is_refused_at_build_and_a_fault() {
    let rsa = DecodingKey::from_rsa_components(
        "sXchDaQebHnPiGvyDOAT4saGEUetSyo9MKLOoWFsueri23bOdgWp4Dy1WlUzewbgBHod5pcM9H95GQRV3JDXboIRROSBigeC5yjU1hGzHHyXss8UDprecbAYxknTcQkhslANGRUZmdTOQ5qTRsLAt6BTYuyvVRdhS8exSZEy_c4gs_7svlJJQ4H9_NxsiIoLwAEk7-Q3UXERGYw_75IDrGA84-lA_-Ct4eTlXHBIY2EaV7t7LjJaynVJCpkv4LKjTTAumiGUIuQhrNhZLuF_RJLqHpM2kgWFLU7-VTdL1VbC2tejvcI2BlMkEpk1BzBZI0KQB0GaDWFLN-aEAw3vRw",
        "AQAB",
    )
    .unwrap();
    let verifier = JwtVerifier::new(rsa, validation(Algorithm::HS256));
    let check = verifier.check().unwrap_err().to_string();
    assert!(check.contains("Rsa") && check.contains("HS256"), "{check}");
    // The verifier itself answers with a fault, never 401 to the client.
    assert!(matches!(
        verifier.verify(&hs256(&good_claims())).await,
        Err(Rejection::Fault(_))
    ));
    let err = BearerAuthLayer::builder(verifier).build().unwrap_err();
    assert!(matches!(err, ConfigError::Verifier(_)), "{err:?}");

    // The same for `add_key`, for an EC key and an HS256 validation, and for
    // a validation mixing families.
    let verifier = JwtVerifier::new(
        DecodingKey::from_secret(SECRET),
        validation(Algorithm::HS256),
    )
    .add_key("ec", DecodingKey::from_ec_pem(ES_A_PUB).unwrap());
    let refused = BearerAuthLayer::builder(verifier).build();
    assert!(
        matches!(&refused, Err(ConfigError::Verifier(why)) if why.to_string().contains("`ec`")),
        "{refused:?}"
    );
    let mut mixed = validation(Algorithm::HS256);
    mixed.algorithms.push(Algorithm::ES256);
    let verifier = JwtVerifier::new(DecodingKey::from_secret(SECRET), mixed);
    assert!(
        verifier
            .check()
            .unwrap_err()
            .to_string()
            .contains("families")
    );
}

/// A check that refuses with `code` when `refuse` holds.
async fn refuse_if(refuse: bool, code: AuthErrorCode) -> Result<(), AuthError> {
    match refuse {
        true => Err(AuthError::new(code)),
        false => Ok(()),
    }
}

#[tokio::test]
async fn checks_added_before_with_claims_still_run() {
    #[derive(Clone, Debug, serde::Deserialize)]
    struct Claims {
        sub: String,
    }
    let verifier = JwtVerifier::new(
        DecodingKey::from_secret(SECRET),
        validation(Algorithm::HS256),
    )
    .add_check(|claims: &Value| {
        refuse_if(claims["jti"] == "jti-revoked", AuthErrorCode::TokenRevoked)
    })
    .with_claims::<Claims>()
    .add_check(|claims: &Claims| refuse_if(claims.sub == "mallory", AuthErrorCode::AccountLocked))
    .with_cache(4);
    let revoked = {
        let mut c = good_claims();
        c["jti"] = json!("jti-revoked");
        c
    };
    let mallory = {
        let mut c = good_claims();
        c["sub"] = json!("mallory");
        c
    };
    for _ in 0..2 {
        assert_eq!(
            code(verifier.verify(&hs256(&revoked)).await),
            AuthErrorCode::TokenRevoked
        );
        assert_eq!(
            code(verifier.verify(&hs256(&mallory)).await),
            AuthErrorCode::AccountLocked
        );
        let ok = verifier.verify(&hs256(&good_claims())).await.unwrap();
        assert_eq!(ok.claims().sub, "alice");
    }
}

/// The README's validation: an algorithm, an audience and an issuer, and
/// nothing else.
fn readme_validation() -> Validation {
    let mut validation = Validation::new(Algorithm::HS256);
    validation.set_audience(&[AUDIENCE]);
    validation.set_issuer(&[ISSUER]);
    validation
}

#[tokio::test]
async fn the_readme_validation_refuses_tokens_without_aud_or_iss_and_early_tokens() {
    let verifier = JwtVerifier::new(DecodingKey::from_secret(SECRET), readme_validation());
    assert!(verifier.verify(&hs256(&good_claims())).await.is_ok());
    for claim in ["aud", "iss"] {
        let mut claims = good_claims();
        claims.as_object_mut().unwrap().remove(claim);
        match verifier.verify(&hs256(&claims)).await {
            Err(Rejection::Auth(err)) => {
                assert_eq!(err.code(), AuthErrorCode::MissingRequiredClaims, "{claim}");
                assert_eq!(err.missing_claims(), [claim]);
            }
            other => panic!("{claim}: {other:?}"),
        }
    }
    let mut early = good_claims();
    early["nbf"] = json!(now() + 3600);
    assert_eq!(
        code(verifier.verify(&hs256(&early)).await),
        AuthErrorCode::TokenNotActive
    );
}

#[tokio::test]
async fn checks_survive_any_number_of_with_claims() {
    #[derive(Clone, Debug, serde::Deserialize)]
    struct A {
        sub: String,
    }
    #[derive(Clone, Debug, serde::Deserialize)]
    struct B {
        jti: String,
    }
    let verifier = JwtVerifier::new(
        DecodingKey::from_secret(SECRET),
        validation(Algorithm::HS256),
    )
    .add_check(|claims: &Value| {
        refuse_if(claims["jti"] == "jti-revoked", AuthErrorCode::TokenRevoked)
    })
    .with_claims::<Value>()
    .with_claims::<A>()
    .add_check(|claims: &A| refuse_if(claims.sub == "mallory", AuthErrorCode::AccountLocked))
    .with_claims::<B>();
    let with = |key: &str, value: &str| {
        let mut c = good_claims();
        c[key] = json!(value);
        hs256(&c)
    };
    assert_eq!(
        code(verifier.verify(&with("jti", "jti-revoked")).await),
        AuthErrorCode::TokenRevoked
    );
    assert_eq!(
        code(verifier.verify(&with("sub", "mallory")).await),
        AuthErrorCode::AccountLocked
    );
    let ok = verifier.verify(&hs256(&good_claims())).await.unwrap();
    assert_eq!(ok.claims().jti, "jti-good");
}
