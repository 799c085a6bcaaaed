//! `BearerAuthLayer` + `JwtVerifier` on a real tonic server and client on
//! 127.0.0.1, with tokens signed by jsonwebtoken (HS256, and ES256 through a
//! JWKS of two keys): every row of the mapping table, each scope case,
//! public routes, claims in the handler, unknown `kid`, `alg: none`,
//! server faults. Also the same layer in front of an axum router.
#![cfg(any(feature = "jwt-aws-lc", feature = "jwt-rust-crypto"))]

use crate::support::jwt_server;

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, UNIX_EPOCH};

use auth_error::jwt::JwtVerifier;
use auth_error::server::{BearerAuthLayer, Rejection, TokenVerifier, Verified};
use auth_error::{AuthError, AuthErrorCode, AuthStatusExt};
use jsonwebtoken::jwk::{Jwk, JwkSet};
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey};
use jwt_server::*;
use serde_json::{Value, json};
use tonic::Code;

const ES_A: &[u8] = include_bytes!(concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/tests/data/keys/es256-a.pem"
));
const ES_B: &[u8] = include_bytes!(concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/tests/data/keys/es256-b.pem"
));

fn hs_layer() -> BearerAuthLayer<JwtVerifier> {
    let verifier = JwtVerifier::new(DecodingKey::from_secret(SECRET), {
        let mut v = validation(Algorithm::HS256);
        v.sub = Some("alice".into());
        v
    })
    .add_check(|claims: &Value| {
        let revoked = claims["jti"] == "jti-revoked";
        async move {
            match revoked {
                true => Err(AuthError::new(AuthErrorCode::TokenRevoked)),
                false => Ok(()),
            }
        }
    });
    BearerAuthLayer::builder(verifier)
        .add_required_scopes(CHECK, ["orders.read"])
        .add_public_route("/grpc.health.v1.Health/Watch")
        .build()
        .unwrap()
}

fn with(claims: Value, f: impl FnOnce(&mut serde_json::Map<String, Value>)) -> Value {
    let mut claims = claims;
    f(claims.as_object_mut().unwrap());
    claims
}

async fn refused(
    channel: &tonic::transport::Channel,
    authorization: Option<&str>,
) -> (Code, AuthError) {
    let status = check(channel.clone(), authorization).await.unwrap_err();
    let err = status
        .check_auth_error()
        .unwrap_or_else(|e| panic!("strict reader: {e}"))
        .unwrap_or_else(|| panic!("no auth error in {status:?}"));
    assert_eq!(status.code(), err.grpc_code());
    (status.code(), err)
}

#[tokio::test]
async fn every_row_of_the_mapping_table_over_grpc() {
    let server = start(Some(hs_layer())).await;
    let ch = server.channel().await;
    let good = good_claims();

    // A good token: the handler sees the verified claims.
    let bearer = |t: String| format!("Bearer {t}");
    assert_eq!(
        check(ch.clone(), Some(&bearer(hs256(&good))))
            .await
            .unwrap(),
        "alice"
    );
    // Scheme case-insensitive, extra spaces allowed.
    assert_eq!(
        check(ch.clone(), Some(&format!("bEaReR   {}", hs256(&good))))
            .await
            .unwrap(),
        "alice"
    );

    let (_, err) = refused(&ch, None).await;
    assert_eq!(err.code(), AuthErrorCode::BearerTokenMissing);
    for bad in [
        "Basic dXNlcjpwYXNz",
        "Bearer",
        "Bearer not a token",
        "Bearer a.b.c",
    ] {
        let (_, err) = refused(&ch, Some(bad)).await;
        assert_eq!(
            err.code(),
            AuthErrorCode::AuthFailedInvalidBearerToken,
            "{bad}"
        );
    }
    // Bad signature: the same claims signed with another secret.
    backend();
    let forged = jsonwebtoken::encode(
        &jsonwebtoken::Header::new(Algorithm::HS256),
        &good,
        &EncodingKey::from_secret(b"another-hs256-secret-of-at-least-32-bytes"),
    )
    .unwrap();
    let (_, err) = refused(&ch, Some(&bearer(forged))).await;
    assert_eq!(err.code(), AuthErrorCode::AuthFailedInvalidBearerToken);

    // Expired: tokenExpiry and tokenId, nothing else from the token.
    let exp = now() - 120;
    let expired = with(good.clone(), |c| {
        c.insert("exp".into(), json!(exp));
        c.insert("jti".into(), json!("jti-expired"));
    });
    let (code, err) = refused(&ch, Some(&bearer(hs256(&expired)))).await;
    assert_eq!(
        (code, err.code()),
        (Code::Unauthenticated, AuthErrorCode::TokenExpired)
    );
    assert_eq!(
        err.token_expiry(),
        Some(UNIX_EPOCH + Duration::from_secs(exp))
    );
    assert_eq!(err.token_id(), Some("jti-expired"));
    assert_eq!(err.metadata().len(), 2, "{:?}", err.metadata());

    let immature = with(good.clone(), |c| {
        c.insert("nbf".into(), json!(now() + 600));
    });
    let (_, err) = refused(&ch, Some(&bearer(hs256(&immature)))).await;
    assert_eq!(err.code(), AuthErrorCode::TokenNotActive);

    let wrong_aud = with(good.clone(), |c| {
        c.insert("aud".into(), json!("billing-api"));
    });
    let (_, err) = refused(&ch, Some(&bearer(hs256(&wrong_aud)))).await;
    assert_eq!(err.code(), AuthErrorCode::AuthFailedInvalidAudience);
    assert_eq!(err.audiences(), [AUDIENCE]);

    let wrong_iss = with(good.clone(), |c| {
        c.insert("iss".into(), json!("https://evil.example.com/"));
    });
    let (_, err) = refused(&ch, Some(&bearer(hs256(&wrong_iss)))).await;
    assert_eq!(err.code(), AuthErrorCode::AuthFailedInvalidIssuer);
    assert_eq!(err.issuer(), Some(ISSUER));

    let wrong_sub = with(good.clone(), |c| {
        c.insert("sub".into(), json!("mallory"));
    });
    let (_, err) = refused(&ch, Some(&bearer(hs256(&wrong_sub)))).await;
    assert_eq!(err.code(), AuthErrorCode::AuthFailedInvalidSubject);
    assert!(err.metadata().is_empty(), "no subject echoed");

    let no_iss = with(good.clone(), |c| {
        c.remove("iss");
    });
    let (_, err) = refused(&ch, Some(&bearer(hs256(&no_iss)))).await;
    assert_eq!(err.code(), AuthErrorCode::MissingRequiredClaims);
    assert_eq!(err.missing_claims(), ["iss"]);

    // A malformed required claim counts as missing (jsonwebtoken); a
    // malformed optional one as invalid.
    let bad_nbf = with(good.clone(), |c| {
        c.insert("nbf".into(), json!("tomorrow"));
    });
    let (_, err) = refused(&ch, Some(&bearer(hs256(&bad_nbf)))).await;
    assert_eq!(err.code(), AuthErrorCode::InvalidClaims);
    assert_eq!(err.invalid_claims(), ["nbf"]);

    // Revoked, through `add_check`.
    let revoked = with(good.clone(), |c| {
        c.insert("jti".into(), json!("jti-revoked"));
    });
    let (_, err) = refused(&ch, Some(&bearer(hs256(&revoked)))).await;
    assert_eq!(err.code(), AuthErrorCode::TokenRevoked);

    // alg: none is refused.
    let unsecured = format!(
        "eyJhbGciOiJub25lIiwidHlwIjoiSldUIn0.{}.",
        base64_url(&good.to_string())
    );
    let (_, err) = refused(&ch, Some(&bearer(unsecured))).await;
    assert_eq!(err.code(), AuthErrorCode::AuthFailedInvalidBearerToken);

    // An unknown kid is an invalid token.
    let mut header = jsonwebtoken::Header::new(Algorithm::HS256);
    header.kid = Some("nope".into());
    backend();
    let with_kid = jsonwebtoken::encode(&header, &good, &EncodingKey::from_secret(SECRET)).unwrap();
    let (_, err) = refused(&ch, Some(&bearer(with_kid))).await;
    assert_eq!(err.code(), AuthErrorCode::AuthFailedInvalidBearerToken);

    server.shutdown().await;
}

fn base64_url(text: &str) -> String {
    use base64::Engine as _;
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(text)
}

#[tokio::test]
async fn scopes_and_public_paths() {
    let server = start(Some(hs_layer())).await;
    let ch = server.channel().await;
    let bearer = |c: &Value| format!("Bearer {}", hs256(c));

    // `scope` (space-separated) lacking the required one.
    let no_scope = with(good_claims(), |c| {
        c.insert("scope".into(), json!("profile email"));
    });
    let (code, err) = refused(&ch, Some(&bearer(&no_scope))).await;
    assert_eq!(
        (code, err.code()),
        (Code::PermissionDenied, AuthErrorCode::InvalidScope)
    );
    assert_eq!(err.required_scopes(), ["orders.read"]);
    assert_eq!(err.provided_scopes(), ["profile", "email"]);

    // `scp` as an array, and as a string, grant it.
    for scp in [json!(["orders.read", "x"]), json!("x orders.read")] {
        let claims = with(good_claims(), |c| {
            c.remove("scope");
            c.insert("scp".into(), scp.clone());
        });
        assert_eq!(
            check(ch.clone(), Some(&bearer(&claims))).await.unwrap(),
            "alice",
            "{scp}"
        );
    }
    // No scope claim at all.
    let none = with(good_claims(), |c| {
        c.remove("scope");
    });
    let (_, err) = refused(&ch, Some(&bearer(&none))).await;
    assert!(err.provided_scopes().is_empty());

    // A public path is served without a token (the handler answers
    // UNIMPLEMENTED, not the layer UNAUTHENTICATED).
    let mut client = tonic_health::pb::health_client::HealthClient::new(ch.clone());
    let status = client
        .watch(tonic_health::pb::HealthCheckRequest::default())
        .await
        .unwrap_err();
    assert_eq!(status.code(), Code::Unimplemented);
    server.shutdown().await;
}

#[tokio::test]
async fn jwks_with_two_es256_keys() {
    let jwk = |pem: &[u8], kid: &str| {
        backend();
        let mut jwk =
            Jwk::from_encoding_key(&EncodingKey::from_ec_pem(pem).unwrap(), Algorithm::ES256)
                .unwrap();
        jwk.common.key_id = Some(kid.into());
        jwk
    };
    // The JWKS document as a service would fetch it (public keys only).
    let text = serde_json::to_string(&JwkSet {
        keys: vec![jwk(ES_A, "a"), jwk(ES_B, "b")],
    })
    .unwrap();
    assert!(
        !text.contains("\"d\""),
        "no private key material in the JWKS"
    );
    let jwks: JwkSet = serde_json::from_str(&text).unwrap();
    let verifier = JwtVerifier::from_jwks(&jwks, validation(Algorithm::ES256)).unwrap();
    let server = start(Some(BearerAuthLayer::builder(verifier).build().unwrap())).await;
    let ch = server.channel().await;
    let good = good_claims();
    for (pem, kid) in [(ES_A, "a"), (ES_B, "b")] {
        let token = es256(&good, pem, kid);
        assert_eq!(
            check(ch.clone(), Some(&format!("Bearer {token}")))
                .await
                .unwrap(),
            "alice"
        );
    }
    // Key b's token presented as key a's, and an unknown kid.
    for (pem, kid) in [(ES_B, "a"), (ES_A, "c")] {
        let token = es256(&good, pem, kid);
        let (_, err) = refused(&ch, Some(&format!("Bearer {token}"))).await;
        assert_eq!(
            err.code(),
            AuthErrorCode::AuthFailedInvalidBearerToken,
            "{kid}"
        );
    }
    server.shutdown().await;
}

/// A verifier whose store is down: every call is a server fault.
struct Down;

impl TokenVerifier for Down {
    type Claims = Value;
    async fn verify(&self, _token: &str) -> Result<Verified<Value>, Rejection> {
        Err(Rejection::Fault("session store unreachable".into()))
    }
}

#[tokio::test]
async fn a_server_fault_is_internal_with_no_auth_reason() {
    let faults = Arc::new(AtomicUsize::new(0));
    let seen = faults.clone();
    let layer = BearerAuthLayer::builder(Down)
        .with_fault_hook(move |e| {
            assert!(e.to_string().contains("unreachable"));
            seen.fetch_add(1, Ordering::SeqCst);
        })
        .build()
        .unwrap();
    let server = start(Some(layer)).await;
    let status = check(server.channel().await, Some("Bearer abc"))
        .await
        .unwrap_err();
    assert_eq!(status.code(), Code::Internal);
    assert_eq!(status.auth_error(), None);
    assert!(status.details().is_empty());
    assert_eq!(faults.load(Ordering::SeqCst), 1);

    // A misconfigured key (an EC public key for HS256) is refused when the
    // layer is built (tests/it/jwt/jwt_verifier.rs has the verifier's side).
    let verifier = JwtVerifier::new(
        DecodingKey::from_ec_pem(include_bytes!(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/tests/data/keys/es256-a.pub.pem"
        )))
        .unwrap(),
        validation(Algorithm::HS256),
    );
    let err = BearerAuthLayer::builder(verifier).build().unwrap_err();
    assert!(
        matches!(err, auth_error::server::ConfigError::Verifier(_)),
        "{err:?}"
    );
    server.shutdown().await;
}

#[cfg(feature = "axum")]
#[tokio::test]
async fn the_same_layer_in_front_of_an_axum_router() {
    use axum::routing::get;
    use http_body_util::BodyExt;
    use tower::ServiceExt;

    let app = axum::Router::new()
        .route("/orders", get(|| async { "orders" }))
        .route("/health", get(|| async { "ok" }))
        .layer(
            BearerAuthLayer::builder(JwtVerifier::new(
                DecodingKey::from_secret(SECRET),
                validation(Algorithm::HS256),
            ))
            .add_required_scopes("/orders", ["orders.write"])
            .add_public_route("/health")
            .with_realm("orders")
            .build()
            .unwrap(),
        );
    let get = |path: &str, auth: Option<String>| {
        let mut req = http::Request::get(path);
        if let Some(auth) = auth {
            req = req.header("authorization", auth);
        }
        req.body(axum::body::Body::empty()).unwrap()
    };

    let response = app.clone().oneshot(get("/health", None)).await.unwrap();
    assert_eq!(response.status(), 200);

    let response = app.clone().oneshot(get("/orders", None)).await.unwrap();
    assert_eq!(response.status(), 401);
    assert_eq!(
        response.headers()["www-authenticate"],
        r#"Bearer realm="orders""#
    );
    let body = response.into_body().collect().await.unwrap().to_bytes();
    let err = AuthError::from_http_json(&body).unwrap();
    assert_eq!(err.code(), AuthErrorCode::BearerTokenMissing);

    let token = hs256(&good_claims());
    let response = app
        .clone()
        .oneshot(get("/orders", Some(format!("Bearer {token}"))))
        .await
        .unwrap();
    assert_eq!(response.status(), 403);
    let challenge = response.headers()["www-authenticate"]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(
        challenge.contains(r#"error="insufficient_scope""#),
        "{challenge}"
    );
    assert!(challenge.contains(r#"scope="orders.write""#), "{challenge}");
    let body = response.into_body().collect().await.unwrap().to_bytes();
    let err = AuthError::from_http_json(&body).unwrap();
    assert_eq!(err.code(), AuthErrorCode::InvalidScope);
    assert_eq!(err.provided_scopes(), ["orders.read", "profile"]);

    let expired = with(good_claims(), |c| {
        c.insert("exp".into(), json!(now() - 100));
    });
    let response = app
        .clone()
        .oneshot(get("/orders", Some(format!("Bearer {}", hs256(&expired)))))
        .await
        .unwrap();
    assert_eq!(response.status(), 401);
    assert!(
        response.headers()["www-authenticate"]
            .to_str()
            .unwrap()
            .contains("invalid_token")
    );
    let body = response.into_body().collect().await.unwrap().to_bytes();
    assert_eq!(
        AuthError::from_http_json(&body).unwrap().code(),
        AuthErrorCode::TokenExpired
    );
}

#[test]
fn classify_covers_every_error_kind() {
    use auth_error::jwt::classify;
    use jsonwebtoken::errors::ErrorKind as K;
    let auth = |kind: K| match classify(&kind.into()) {
        Rejection::Auth(err) => Some(err.code()),
        Rejection::Fault(_) => None,
        other => panic!("{other:?}"),
    };
    use AuthErrorCode as C;
    let json_error = serde_json::from_str::<Value>("{").unwrap_err();
    let utf8_error = String::from_utf8(vec![0xff]).unwrap_err();
    let b64_error = base64::DecodeError::InvalidLength(1);
    for (kind, expected) in [
        (K::ExpiredSignature, Some(C::TokenExpired)),
        (K::ImmatureSignature, Some(C::TokenNotActive)),
        (K::InvalidAudience, Some(C::AuthFailedInvalidAudience)),
        (K::InvalidIssuer, Some(C::AuthFailedInvalidIssuer)),
        (K::InvalidSubject, Some(C::AuthFailedInvalidSubject)),
        (
            K::MissingRequiredClaim("sub".into()),
            Some(C::MissingRequiredClaims),
        ),
        (K::InvalidClaimFormat("nbf".into()), Some(C::InvalidClaims)),
        (K::InvalidToken, Some(C::AuthFailedInvalidBearerToken)),
        (K::InvalidSignature, Some(C::AuthFailedInvalidBearerToken)),
        (K::InvalidAlgorithm, Some(C::AuthFailedInvalidBearerToken)),
        (K::Base64(b64_error), Some(C::AuthFailedInvalidBearerToken)),
        (
            K::Json(Arc::new(json_error)),
            Some(C::AuthFailedInvalidBearerToken),
        ),
        (K::Utf8(utf8_error), Some(C::AuthFailedInvalidBearerToken)),
        (K::InvalidEcdsaKey, None),
        (K::InvalidEddsaKey, None),
        (K::InvalidRsaKey("x".into()), None),
        (K::RsaFailedSigning, None),
        (K::Signing("x".into()), None),
        (K::InvalidAlgorithmName, None),
        (K::UnsupportedAlgorithm, None),
        (K::InvalidKeyFormat, None),
        (K::MissingAlgorithm, None),
        (K::Provider("x".into()), None),
    ] {
        let name = format!("{kind:?}");
        assert_eq!(auth(kind), expected, "{name}");
    }
    // The claim names go into the documented context keys.
    let Rejection::Auth(err) = classify(&K::MissingRequiredClaim("sub".into()).into()) else {
        panic!()
    };
    assert_eq!(err.missing_claims(), ["sub"]);
}

#[tokio::test]
async fn the_verified_token_cache_rechecks_time_and_always_runs_checks() {
    let checks = Arc::new(AtomicUsize::new(0));
    let counted = checks.clone();
    let verifier = JwtVerifier::new(
        DecodingKey::from_secret(SECRET),
        validation(Algorithm::HS256),
    )
    .with_cache(16)
    .add_check(move |_claims: &Value| {
        counted.fetch_add(1, Ordering::SeqCst);
        async { Ok(()) }
    });
    let server = start(Some(BearerAuthLayer::builder(verifier).build().unwrap())).await;
    let ch = server.channel().await;
    // Long enough that three calls on a loaded machine still come before it.
    let short = with(good_claims(), |c| {
        c.insert("exp".into(), json!(now() + 10));
        c.insert("jti".into(), json!("jti-short"));
    });
    let authorization = format!("Bearer {}", hs256(&short));
    for _ in 0..3 {
        assert_eq!(
            check(ch.clone(), Some(&authorization)).await.unwrap(),
            "alice"
        );
    }
    assert_eq!(
        checks.load(Ordering::SeqCst),
        3,
        "checks run on every call, cached or not"
    );
    // Once expired, the cached token is refused with the full context (the
    // clock is polled, not slept on: a loaded machine only waits longer).
    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    while now() <= short["exp"].as_u64().unwrap() {
        assert!(tokio::time::Instant::now() < deadline, "clock stuck");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let (_, err) = refused(&ch, Some(&authorization)).await;
    assert_eq!(err.code(), AuthErrorCode::TokenExpired);
    assert_eq!(err.token_id(), Some("jti-short"));
    // A forged token with the same claims is not a cache hit.
    backend();
    let forged = jsonwebtoken::encode(
        &jsonwebtoken::Header::new(Algorithm::HS256),
        &good_claims(),
        &EncodingKey::from_secret(b"another-hs256-secret-of-at-least-32-bytes"),
    )
    .unwrap();
    assert_eq!(
        check(
            ch.clone(),
            Some(&format!("Bearer {}", hs256(&good_claims())))
        )
        .await
        .unwrap(),
        "alice"
    );
    let (_, err) = refused(&ch, Some(&format!("Bearer {forged}"))).await;
    assert_eq!(err.code(), AuthErrorCode::AuthFailedInvalidBearerToken);
    server.shutdown().await;
}

/// An accepted request's response body is the wrapped service's own, passed
/// through (the type says so: `BearerAuthBody<String>`), not re-boxed; a
/// refused one is the layer's answer, in the same body type.
#[tokio::test]
async fn the_wrapped_services_body_is_passed_through() {
    use auth_error::server::BearerAuthBody;
    use http_body::Body as _;
    use http_body_util::BodyExt;
    use tower::ServiceExt;

    let layer = hs_layer();
    let inner = tower::service_fn(|_: http::Request<tonic::body::Body>| async {
        Ok::<_, std::convert::Infallible>(http::Response::new(String::from("twelve bytes")))
    });
    let service = tower::Layer::layer(&layer, inner);
    let request = |token: Option<String>| {
        let mut builder = http::Request::get("/orders");
        if let Some(token) = token {
            builder = builder.header("authorization", format!("Bearer {token}"));
        }
        builder.body(tonic::body::Body::empty()).unwrap()
    };
    let accepted: http::Response<BearerAuthBody<String>> = service
        .clone()
        .oneshot(request(Some(hs256(&good_claims()))))
        .await
        .unwrap();
    assert_eq!(accepted.status(), http::StatusCode::OK);
    assert_eq!(accepted.body().size_hint().exact(), Some(12));
    let bytes = accepted.into_body().collect().await.unwrap().to_bytes();
    assert_eq!(&bytes[..], b"twelve bytes");

    let refused = service.oneshot(request(None)).await.unwrap();
    assert_eq!(refused.status(), http::StatusCode::UNAUTHORIZED);
    assert!(
        refused.headers().contains_key("www-authenticate"),
        "{:?}",
        refused.headers()
    );
    let body = refused.into_body().collect().await.unwrap().to_bytes();
    // The AIP-193 body needs feature `json`; without it the status and the
    // challenge carry the refusal, and the body is empty.
    #[cfg(feature = "json")]
    {
        let body: Value = serde_json::from_slice(&body).unwrap();
        assert_eq!(
            body["error"]["details"][0]["reason"],
            "BEARER_TOKEN_MISSING"
        );
    }
    #[cfg(not(feature = "json"))]
    assert!(body.is_empty(), "{body:?}");
}
