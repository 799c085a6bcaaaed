//! Step-up authentication (RFC 9470) and the modern resource-server
//! profile: routes that demand a stronger (`acr`) or fresher (`auth_time`)
//! login, answered with the exact challenge and metadata on every exit;
//! RFC 9728 `resource_metadata` in 401 challenges and the metadata
//! document; the RFC 9068 access-token profile; the rules `build` refuses.
#![cfg(any(feature = "jwt-aws-lc", feature = "jwt-rust-crypto"))]

use crate::support::jwt_server;

use std::time::{Duration, UNIX_EPOCH};

use auth_error::jwt::JwtVerifier;
use auth_error::server::{BearerAuthLayer, ConfigError, Rejection, Route, TokenVerifier};
use auth_error::{AuthError, AuthErrorCode, AuthStatusExt, keys};
use http::{Method, header};
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header};
use jwt_server::*;
use serde_json::{Value, json};
use tower::{Layer, ServiceExt};

const TRANSFER: &str = "/payments.v1.Payments/Transfer";
const MFA: &str = "urn:example:mfa";
const HWK: &str = "urn:example:hwk";
const METADATA_URL: &str = "https://api.example.com/.well-known/oauth-protected-resource";

fn verifier() -> JwtVerifier {
    JwtVerifier::new(
        DecodingKey::from_secret(SECRET),
        validation(Algorithm::HS256),
    )
}

fn layer() -> BearerAuthLayer<JwtVerifier> {
    BearerAuthLayer::builder(verifier())
        .add_required_acr(TRANSFER, [MFA, HWK])
        .add_max_auth_age(TRANSFER, Duration::from_secs(300))
        .with_resource_metadata(METADATA_URL)
        .add_public_route(Route::exact("/healthz"))
        .build()
        .unwrap()
}

fn token(acr: Option<&str>, auth_age: Option<u64>) -> String {
    let mut claims = good_claims();
    if let Some(acr) = acr {
        claims["acr"] = json!(acr);
    }
    if let Some(age) = auth_age {
        claims["auth_time"] = json!(now() - age);
    }
    hs256(&claims)
}

async fn send(
    content_type: Option<&str>,
    path: &str,
    token: &str,
) -> (http::StatusCode, http::HeaderMap, Vec<u8>) {
    use http_body_util::BodyExt;
    let ok = tower::service_fn(|_req: http::Request<tonic::body::Body>| async {
        Ok::<_, std::convert::Infallible>(http::Response::new(tonic::body::Body::empty()))
    });
    let mut request =
        http::Request::post(path).header(header::AUTHORIZATION, format!("Bearer {token}"));
    if let Some(ct) = content_type {
        request = request.header(header::CONTENT_TYPE, ct);
    }
    let response = layer()
        .layer(ok)
        .oneshot(request.body(tonic::body::Body::empty()).unwrap())
        .await
        .unwrap();
    let (parts, body) = response.into_parts();
    let body = body.collect().await.unwrap().to_bytes().to_vec();
    (parts.status, parts.headers, body)
}

#[tokio::test]
async fn a_weaker_login_gets_the_rfc_9470_challenge_over_http() {
    let (status, headers, body) =
        send(None, TRANSFER, &token(Some("urn:example:pwd"), Some(10))).await;
    assert_eq!(status, 401);
    assert_eq!(
        headers[header::WWW_AUTHENTICATE],
        format!(
            r#"Bearer error="insufficient_user_authentication", error_description="multi-factor authentication is required", acr_values="{MFA} {HWK}", resource_metadata="{METADATA_URL}""#
        )
    );
    #[cfg(feature = "json")]
    {
        let body: Value = serde_json::from_slice(&body).unwrap();
        let info = &body["error"]["details"][0];
        assert_eq!(info["reason"], "MULTI_FACTOR_REQUIRED");
        assert_eq!(info["metadata"][keys::ACR_VALUES], format!("{MFA} {HWK}"));
    }
    #[cfg(not(feature = "json"))]
    assert!(body.is_empty());
}

#[tokio::test]
async fn an_old_or_unknown_login_time_gets_max_age() {
    for (age, why) in [(Some(3600), "an hour ago"), (None, "no auth_time")] {
        let (status, headers, _) = send(None, TRANSFER, &token(Some(MFA), age)).await;
        assert_eq!(status, 401, "{why}");
        assert_eq!(
            headers[header::WWW_AUTHENTICATE],
            format!(
                r#"Bearer error="insufficient_user_authentication", error_description="the session has expired", max_age=300, resource_metadata="{METADATA_URL}""#
            ),
            "{why}"
        );
    }
    // Both unmet: the stronger login, and how fresh it must be.
    let (_, headers, _) = send(None, TRANSFER, &token(None, Some(3600))).await;
    let challenge = headers[header::WWW_AUTHENTICATE].to_str().unwrap();
    assert!(
        challenge.contains(&format!(r#"acr_values="{MFA} {HWK}", max_age=300"#)),
        "{challenge}"
    );
}

#[tokio::test]
async fn a_grpc_client_reads_the_step_up_from_the_reason_and_its_metadata() {
    for content_type in ["application/grpc", "application/grpc-web+proto"] {
        let (status, headers, body) =
            send(Some(content_type), TRANSFER, &token(None, Some(3600))).await;
        assert_eq!(status, 200);
        assert!(body.is_empty(), "trailers-only");
        let status = tonic::Status::from_header_map(&headers).unwrap();
        let err = status.check_auth_error().unwrap().unwrap();
        assert_eq!(err.code(), AuthErrorCode::MultiFactorRequired);
        assert_eq!(err.acr_values(), [MFA, HWK]);
        assert_eq!(err.max_age(), Some(Duration::from_secs(300)));
        assert_eq!(
            err.client_action(),
            auth_error::ClientAction::CompleteMultiFactor
        );
    }
    let (_, headers, _) = send(
        Some("application/grpc"),
        TRANSFER,
        &token(Some(HWK), Some(3600)),
    )
    .await;
    let err = tonic::Status::from_header_map(&headers)
        .unwrap()
        .auth_error()
        .unwrap();
    assert_eq!(err.code(), AuthErrorCode::SessionExpired);
    assert_eq!(err.acr_values(), Vec::<&str>::new());
    assert_eq!(err.max_age(), Some(Duration::from_secs(300)));
}

#[tokio::test]
async fn a_strong_fresh_login_passes_and_other_routes_need_no_step_up() {
    for acr in [MFA, HWK] {
        let (status, _, _) = send(None, TRANSFER, &token(Some(acr), Some(10))).await;
        assert_eq!(status, 200, "{acr}");
    }
    let (status, _, _) = send(None, "/payments.v1.Payments/List", &token(None, None)).await;
    assert_eq!(status, 200);
}

#[tokio::test]
async fn every_401_challenge_names_the_resource_metadata() {
    use http_body_util::BodyExt;
    let ok = tower::service_fn(|_req: http::Request<tonic::body::Body>| async {
        Ok::<_, std::convert::Infallible>(http::Response::new(tonic::body::Body::empty()))
    });
    let response = layer()
        .layer(ok)
        .oneshot(
            http::Request::get("/orders")
                .body(tonic::body::Body::empty())
                .unwrap(),
        )
        .await
        .unwrap();
    assert_eq!(response.status(), 401);
    assert_eq!(
        response.headers()[header::WWW_AUTHENTICATE],
        format!(r#"Bearer resource_metadata="{METADATA_URL}""#)
    );
    let _ = response.into_body().collect().await;
}

#[test]
fn the_verifier_exposes_acr_and_auth_time() {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap();
    let auth_time = now() - 42;
    let mut claims = good_claims();
    claims["acr"] = json!(MFA);
    claims["auth_time"] = json!(auth_time);
    let verified = runtime
        .block_on(verifier().verify(&hs256(&claims)))
        .unwrap();
    assert_eq!(verified.acr(), Some(MFA));
    assert_eq!(
        verified.auth_time(),
        Some(UNIX_EPOCH + Duration::from_secs(auth_time))
    );
    let plain = runtime
        .block_on(verifier().verify(&hs256(&good_claims())))
        .unwrap();
    assert_eq!((plain.acr(), plain.auth_time()), (None, None));
}

#[test]
fn build_refuses_step_up_rules_that_can_only_be_mistakes() {
    let refused =
        |builder: auth_error::server::BearerAuthBuilder<JwtVerifier>| builder.build().unwrap_err();
    assert!(matches!(
        refused(
            BearerAuthLayer::builder(verifier()).add_required_acr(TRANSFER, Vec::<String>::new())
        ),
        ConfigError::InvalidAcrValues { .. }
    ));
    assert!(matches!(
        refused(BearerAuthLayer::builder(verifier()).add_required_acr(TRANSFER, ["two words"])),
        ConfigError::InvalidAcrValues { .. }
    ));
    assert!(matches!(
        refused(
            BearerAuthLayer::builder(verifier())
                .add_public_route("payments.v1.Payments")
                .add_required_acr(TRANSFER, [MFA])
        ),
        ConfigError::StepUpNeverChecked { .. }
    ));
    assert!(matches!(
        refused(
            BearerAuthLayer::builder(verifier())
                .add_public_route(Route::from("/files").with_method(Method::GET))
                .add_max_auth_age(
                    Route::from("/files").with_method(Method::HEAD),
                    Duration::from_secs(60)
                )
        ),
        ConfigError::StepUpNeverChecked { .. }
    ));
    for url in [
        "http://api.example.com/meta",
        "/relative",
        "https://api.example.com/\"x",
        "",
    ] {
        let err = refused(BearerAuthLayer::builder(verifier()).with_resource_metadata(url));
        assert!(matches!(err, ConfigError::InvalidResourceMetadata), "{url}");
        if !url.is_empty() {
            assert!(
                !err.to_string().contains(url),
                "the refused value is not echoed"
            );
        }
    }
}

#[cfg(feature = "json")]
#[test]
fn the_resource_metadata_document_lists_the_layers_scopes() {
    let layer = BearerAuthLayer::builder(verifier())
        .add_required_scopes("orders.v1.Orders", ["orders.read"])
        .add_required_scopes(
            Route::from("/orders").with_method(Method::DELETE),
            ["orders.write", "orders.read"],
        )
        .build()
        .unwrap();
    let metadata = layer
        .resource_metadata("https://api.example.com")
        .with_authorization_servers(["https://id.example.com"]);
    assert_eq!(
        serde_json::to_value(&metadata).unwrap(),
        json!({
            "resource": "https://api.example.com",
            "authorization_servers": ["https://id.example.com"],
            "scopes_supported": ["orders.read", "orders.write"],
            "bearer_methods_supported": ["header"],
        })
    );
    assert_eq!(
        auth_error::server::ProtectedResourceMetadata::WELL_KNOWN_PATH,
        "/.well-known/oauth-protected-resource"
    );
}

// --- RFC 9068 -----------------------------------------------------------------

fn access_token(typ: &str, claims: &Value) -> String {
    let mut header = Header::new(Algorithm::HS256);
    header.typ = Some(typ.to_owned());
    backend();
    jsonwebtoken::encode(&header, claims, &EncodingKey::from_secret(SECRET)).unwrap()
}

fn profile_claims() -> Value {
    let mut claims = good_claims();
    claims["client_id"] = json!("svc-a");
    claims["iat"] = json!(now());
    claims
}

async fn profile(token: &str) -> Result<(), String> {
    match verifier()
        .with_access_token_profile(true)
        .verify(token)
        .await
    {
        Ok(_) => Ok(()),
        Err(Rejection::Auth(err)) => {
            assert_eq!(err.code(), AuthErrorCode::AuthFailedInvalidBearerToken);
            Err(err.message().to_owned())
        }
        Err(other) => panic!("{other:?}"),
    }
}

#[tokio::test]
async fn the_access_token_profile_wants_at_jwt_and_its_claims() {
    for typ in [
        "at+jwt",
        "AT+JWT",
        "application/at+jwt",
        "Application/AT+JWT",
    ] {
        assert_eq!(
            profile(&access_token(typ, &profile_claims())).await,
            Ok(()),
            "{typ}"
        );
    }
    for typ in ["JWT", "jwt", "id+jwt", "at+jwt2"] {
        let why = profile(&access_token(typ, &profile_claims()))
            .await
            .unwrap_err();
        assert!(why.contains("`typ`"), "{typ}: {why}");
    }
    let untyped = hs256(&profile_claims());
    assert!(profile(&untyped).await.unwrap_err().contains("`typ`"));
    for claim in ["sub", "client_id", "iat", "jti"] {
        let mut claims = profile_claims();
        claims.as_object_mut().unwrap().remove(claim);
        let why = profile(&access_token("at+jwt", &claims)).await.unwrap_err();
        assert!(why.contains(&format!("`{claim}`")), "{claim}: {why}");
    }
    // Off by default: a plain JWT passes.
    assert!(verifier().verify(&untyped).await.is_ok());
}

#[test]
fn the_step_up_metadata_has_typed_getters_that_refuse_garbage() {
    let err =
        AuthError::new(AuthErrorCode::SessionExpired).with_metadata(keys::MAX_AGE, "5 minutes");
    assert_eq!(err.max_age(), None);
    let err = AuthError::new(AuthErrorCode::SessionExpired).with_metadata(keys::MAX_AGE, "-1");
    assert_eq!(err.max_age(), None);
    let err = AuthError::new(AuthErrorCode::SessionExpired)
        .with_metadata(keys::MAX_AGE, "99999999999999999999999");
    assert_eq!(err.max_age(), None);
    assert_eq!(
        AuthError::new(AuthErrorCode::SessionExpired)
            .with_max_age(Duration::from_millis(1500))
            .max_age(),
        Some(Duration::from_secs(1))
    );
}

#[tokio::test]
async fn the_shortest_age_of_the_covering_rules_applies() {
    let layer = BearerAuthLayer::builder(verifier())
        .add_max_auth_age("payments.v1.Payments", Duration::from_secs(3600))
        .add_max_auth_age(TRANSFER, Duration::from_secs(300))
        .build()
        .unwrap();
    let ok = tower::service_fn(|_req: http::Request<tonic::body::Body>| async {
        Ok::<_, std::convert::Infallible>(http::Response::new(tonic::body::Body::empty()))
    });
    let service = layer.layer(ok);
    let request = |path: &str| {
        http::Request::post(path)
            .header(
                header::AUTHORIZATION,
                format!("Bearer {}", token(None, Some(1000))),
            )
            .header(header::CONTENT_TYPE, "application/grpc")
            .body(tonic::body::Body::empty())
            .unwrap()
    };
    let refused = service.clone().oneshot(request(TRANSFER)).await.unwrap();
    let err = tonic::Status::from_header_map(refused.headers())
        .unwrap()
        .auth_error()
        .unwrap();
    assert_eq!(err.max_age(), Some(Duration::from_secs(300)));
    let served = service
        .oneshot(request("/payments.v1.Payments/List"))
        .await
        .unwrap();
    assert!(
        tonic::Status::from_header_map(served.headers()).is_none(),
        "served"
    );
}

/// A verifier of the user's own that hands the layer a login time from the
/// future: fresh only within the clock allowance (60 s), never for years.
#[tokio::test]
async fn a_login_time_from_the_future_is_not_a_fresh_login() {
    use std::time::SystemTime;
    #[derive(Clone)]
    struct FutureLogin(Duration);
    impl TokenVerifier for FutureLogin {
        type Claims = Value;
        async fn verify(
            &self,
            _token: &str,
        ) -> Result<auth_error::server::Verified<Value>, Rejection> {
            Ok(auth_error::server::Verified::new(json!({}), Vec::new())
                .with_auth_time(SystemTime::now() + self.0))
        }
    }
    let ok = tower::service_fn(|_req: http::Request<tonic::body::Body>| async {
        Ok::<_, std::convert::Infallible>(http::Response::new(tonic::body::Body::empty()))
    });
    for (ahead, served) in [
        (Duration::from_secs(10 * 365 * 24 * 3600), false),
        (Duration::from_secs(600), false),
        (Duration::from_secs(10), true),
    ] {
        let layer = BearerAuthLayer::builder(FutureLogin(ahead))
            .add_max_auth_age(TRANSFER, Duration::from_secs(300))
            .build()
            .unwrap();
        let request = http::Request::post(TRANSFER)
            .header(header::AUTHORIZATION, "Bearer abc")
            .header(header::CONTENT_TYPE, "application/grpc")
            .body(tonic::body::Body::empty())
            .unwrap();
        let response = layer.layer(ok).oneshot(request).await.unwrap();
        let status = tonic::Status::from_header_map(response.headers());
        match served {
            true => assert!(status.is_none(), "{ahead:?} ahead: {status:?}"),
            false => {
                let err = status.and_then(|s| s.auth_error()).expect("refused");
                assert_eq!(err.code(), AuthErrorCode::SessionExpired, "{ahead:?}");
                assert_eq!(err.max_age(), Some(Duration::from_secs(300)));
            }
        }
    }
}
