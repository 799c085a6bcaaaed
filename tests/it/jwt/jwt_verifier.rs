//! `JwtVerifier` on its own (no server): what the security review found.
//! Each test failed before its fix.
#![cfg(any(feature = "jwt-aws-lc", feature = "jwt-rust-crypto"))]

use crate::support::jwt_server;

use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use auth_error::jwt::JwtVerifier;
use auth_error::server::{BearerAuthLayer, ConfigError, Rejection, TokenVerifier};
use auth_error::{AuthError, AuthErrorCode};
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use jwt_server::*;
use serde_json::{Value, json};

const ES_A_PUB: &[u8] = include_bytes!(concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/tests/data/keys/es256-a.pub.pem"
));
const ES_A: &[u8] = include_bytes!(concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/tests/data/keys/es256-a.pem"
));

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

/// docs/server.md's validation: an algorithm, an audience and an issuer, and
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

// --- Review round three -------------------------------------------------------

/// A token with `header` (JSON) and `claims`, signed with `SECRET`.
fn signed_with_header(header: &Value, claims: &Value) -> String {
    use base64::Engine as _;
    let b64 = base64::engine::general_purpose::URL_SAFE_NO_PAD;
    backend();
    let message = format!(
        "{}.{}",
        b64.encode(header.to_string()),
        b64.encode(claims.to_string())
    );
    let signature = jsonwebtoken::crypto::sign(
        message.as_bytes(),
        &EncodingKey::from_secret(SECRET),
        Algorithm::HS256,
    )
    .unwrap();
    format!("{message}.{signature}")
}

/// RFC 7518 §3.2: an HMAC key at least as long as the hash output. An
/// empty secret (a variable that defaulted to "") would let anyone mint
/// tokens; it is refused where it is given, naming the rule, never the key.
#[tokio::test]
async fn an_empty_or_short_hmac_key_is_refused_where_it_is_given() {
    for (secret, alg) in [
        (&b""[..], Algorithm::HS256),
        (b"abc", Algorithm::HS256),
        (&[7u8; 31], Algorithm::HS256),
        (&[7u8; 47], Algorithm::HS384),
        (&[7u8; 63], Algorithm::HS512),
    ] {
        let verifier = JwtVerifier::new(DecodingKey::from_secret(secret), validation(alg));
        let why = verifier.check().unwrap_err().to_string();
        assert!(why.contains("RFC 7518"), "{why}");
        assert!(!why.contains("abc"), "the key is never printed: {why}");
        let built = BearerAuthLayer::builder(verifier).build();
        assert!(matches!(built, Err(ConfigError::Verifier(_))), "{alg:?}");
    }
    // A token signed with the empty key is a fault (never served).
    let empty = JwtVerifier::new(DecodingKey::from_secret(b""), validation(Algorithm::HS256));
    let token = {
        backend();
        jsonwebtoken::encode(
            &Header::new(Algorithm::HS256),
            &good_claims(),
            &EncodingKey::from_secret(b""),
        )
        .unwrap()
    };
    assert!(matches!(
        empty.verify(&token).await,
        Err(Rejection::Fault(_))
    ));
    // Long enough: accepted.
    for (len, alg) in [
        (32, Algorithm::HS256),
        (48, Algorithm::HS384),
        (64, Algorithm::HS512),
    ] {
        let verifier = JwtVerifier::new(DecodingKey::from_secret(&vec![7u8; len]), validation(alg));
        assert!(verifier.check().is_ok(), "{len} bytes for {alg:?}");
    }
    // `add_key` and `from_jwks` (`{"kty":"oct","k":""}`) alike.
    let verifier = JwtVerifier::new(
        DecodingKey::from_secret(SECRET),
        validation(Algorithm::HS256),
    )
    .add_key("short", DecodingKey::from_secret(b"abc"));
    let why = verifier.check().unwrap_err().to_string();
    assert!(why.contains("`short`") && why.contains("RFC 7518"), "{why}");
    for k in ["", "YWJj"] {
        let jwks: jsonwebtoken::jwk::JwkSet =
            serde_json::from_value(json!({ "keys": [{ "kty": "oct", "kid": "o", "k": k }] }))
                .unwrap();
        let verifier = JwtVerifier::from_jwks(&jwks, validation(Algorithm::HS256)).unwrap();
        let why = verifier.check().unwrap_err().to_string();
        assert!(why.contains("RFC 7518"), "{why}");
    }
}

/// RFC 7515 §4.1.11: a recipient that does not understand a listed
/// extension must reject the JWS; this verifier understands none.
#[tokio::test]
async fn a_header_with_crit_is_an_invalid_token() {
    let verifier = JwtVerifier::new(
        DecodingKey::from_secret(SECRET),
        validation(Algorithm::HS256),
    );
    let plain = signed_with_header(&json!({ "alg": "HS256", "typ": "JWT" }), &good_claims());
    assert!(
        verifier.verify(&plain).await.is_ok(),
        "the control is served"
    );
    for header in [
        json!({ "alg": "HS256", "crit": ["urn:example:must-understand"], "urn:example:must-understand": 1 }),
        json!({ "alg": "HS256", "crit": ["b64"], "b64": false }),
        json!({ "alg": "HS256", "crit": [] }),
    ] {
        let token = signed_with_header(&header, &good_claims());
        match verifier.verify(&token).await {
            Err(Rejection::Auth(err)) => {
                assert_eq!(
                    err.code(),
                    AuthErrorCode::AuthFailedInvalidBearerToken,
                    "{header}"
                );
                assert!(err.message().contains("crit"), "{}", err.message());
            }
            other => panic!("{header}: {other:?}"),
        }
    }
}

/// A login cannot happen in the future: an `auth_time` past now plus the
/// leeway is an invalid claim (else every max-age rule sees it as fresh).
#[tokio::test]
async fn an_auth_time_in_the_future_is_an_invalid_claim() {
    let mut v = validation(Algorithm::HS256);
    v.leeway = 30;
    let verifier = JwtVerifier::new(DecodingKey::from_secret(SECRET), v);
    for ahead in [31 + 5, 10 * 365 * 24 * 3600] {
        let mut claims = good_claims();
        claims["auth_time"] = json!(now() + ahead);
        match verifier.verify(&hs256(&claims)).await {
            Err(Rejection::Auth(err)) => {
                assert_eq!(err.code(), AuthErrorCode::InvalidClaims);
                assert_eq!(err.invalid_claims(), ["auth_time"]);
            }
            other => panic!("{ahead} s ahead: {other:?}"),
        }
    }
    // Within the leeway (clock skew), and in the past: served.
    for auth_time in [now() + 20, now() - 100] {
        let mut claims = good_claims();
        claims["auth_time"] = json!(auth_time);
        assert!(verifier.verify(&hs256(&claims)).await.is_ok());
    }
}

/// As for `aud` and `iss`: a pinned `sub` makes `sub` required.
#[tokio::test]
async fn a_pinned_subject_requires_a_subject() {
    let mut v = validation(Algorithm::HS256);
    v.sub = Some("alice".into());
    let verifier = JwtVerifier::new(DecodingKey::from_secret(SECRET), v);
    assert!(verifier.verify(&hs256(&good_claims())).await.is_ok());
    for sub in [None, Some(Value::Null)] {
        let mut claims = good_claims();
        claims.as_object_mut().unwrap().remove("sub");
        if let Some(sub) = sub {
            claims["sub"] = sub;
        }
        assert_eq!(
            code(verifier.verify(&hs256(&claims)).await),
            AuthErrorCode::MissingRequiredClaims
        );
    }
    let mut bob = good_claims();
    bob["sub"] = json!("bob");
    assert_eq!(
        code(verifier.verify(&hs256(&bob)).await),
        AuthErrorCode::AuthFailedInvalidSubject
    );
}

/// RFC 9068 requires `iss`, `aud` and `exp` whatever the validation asks
/// for: with no audience or issuer set and no required claims at all, the
/// profile still refuses a token without each of them.
#[tokio::test]
async fn the_access_token_profile_requires_aud_iss_and_exp_on_a_bare_validation() {
    let mut bare = Validation::new(Algorithm::HS256);
    bare.validate_aud = false;
    bare.required_spec_claims.clear();
    let verifier =
        JwtVerifier::new(DecodingKey::from_secret(SECRET), bare).with_access_token_profile(true);
    let header = json!({ "alg": "HS256", "typ": "at+jwt" });
    let mut full = good_claims();
    full["client_id"] = json!("svc-a");
    full["iat"] = json!(now());
    assert!(
        verifier
            .verify(&signed_with_header(&header, &full))
            .await
            .is_ok()
    );
    for claim in ["aud", "iss", "exp", "sub", "client_id", "iat", "jti"] {
        let mut claims = full.clone();
        claims.as_object_mut().unwrap().remove(claim);
        match verifier.verify(&signed_with_header(&header, &claims)).await {
            Err(Rejection::Auth(err)) => {
                assert_eq!(err.code(), AuthErrorCode::AuthFailedInvalidBearerToken);
                assert!(
                    err.message().contains(&format!("`{claim}`")),
                    "{}",
                    err.message()
                );
            }
            other => panic!("without {claim}: {other:?}"),
        }
    }
}

/// A cached verification is a verification, not a pass: the route's own
/// scope rules run on every request, so a token cached on a route it may
/// call is refused on a route that needs more.
#[tokio::test]
async fn a_cached_token_is_still_held_to_each_routes_scopes() {
    const WATCH: &str = "/grpc.health.v1.Health/Watch";
    let verifier = JwtVerifier::new(
        DecodingKey::from_secret(SECRET),
        validation(Algorithm::HS256),
    )
    .with_cache(16);
    let layer = BearerAuthLayer::builder(verifier)
        .add_required_scopes(auth_error::server::Route::exact(CHECK), ["orders.read"])
        .add_required_scopes(auth_error::server::Route::exact(WATCH), ["admin"])
        .build()
        .unwrap();
    let server = start(Some(layer)).await;
    let token = format!("Bearer {}", hs256(&good_claims()));
    for _ in 0..2 {
        assert_eq!(
            check(server.channel().await, Some(&token)).await.unwrap(),
            "alice"
        );
    }
    let mut client = tonic_health::pb::health_client::HealthClient::new(server.channel().await);
    let mut request = tonic::Request::new(tonic_health::pb::HealthCheckRequest::default());
    request
        .metadata_mut()
        .insert("authorization", token.parse().unwrap());
    let refused = client.watch(request).await.unwrap_err();
    use auth_error::AuthStatusExt as _;
    assert_eq!(
        refused.auth_error().map(|e| e.code()),
        Some(AuthErrorCode::InvalidScope),
        "{refused:?}"
    );
    server.shutdown().await;
}

/// Scopes are separated by the space character only (RFC 6749 §3.3): no
/// other whitespace splits one, and an `scp` item is one scope, whole.
#[tokio::test]
async fn scopes_are_split_on_the_space_character_only() {
    let verifier = JwtVerifier::new(
        DecodingKey::from_secret(SECRET),
        validation(Algorithm::HS256),
    );
    for (claim, value) in [
        ("scope", json!("orders.read\u{a0}admin")),
        ("scope", json!("x\u{3000}admin")),
        ("scope", json!("x\u{2028}admin")),
        ("scp", json!(["orders.read admin"])),
    ] {
        let mut claims = good_claims();
        claims.as_object_mut().unwrap().remove("scope");
        claims[claim] = value.clone();
        let verified = verifier.verify(&hs256(&claims)).await.unwrap();
        assert!(
            !verified.scopes().iter().any(|s| s == "admin"),
            "{claim}: {value} grants {:?}",
            verified.scopes()
        );
    }
}
