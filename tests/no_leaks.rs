//! Nothing secret leaves by any exit: gRPC strict and lenient, the JSON body,
//! axum, and every error's `Display` and `Debug` (issue: "Nothing secret
//! leaves by any exit").

use auth_error::{AttachError, AuthError, AuthErrorCode, AuthStatusExt};
use proptest::prelude::*;
use tonic::Status;

const JWT: &str = "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U";
const UNSECURED_JWT: &str = "eyJhbGciOiJub25lIn0.eyJzdWIiOiIxMjM0NTY3ODkwIn0.";

/// Every way a secret was seen to get out, as (key, value, secret text).
fn leaky() -> Vec<(String, String, String)> {
    let mut cases = vec![
        ("password".into(), "hunter2".into(), "hunter2".into()),
        (
            "clientSecret".into(),
            "cs-123456".into(),
            "cs-123456".into(),
        ),
        ("apiKey".into(), "ak-123456".into(), "ak-123456".into()),
        ("idToken".into(), "opaque-1".into(), "opaque-1".into()),
        ("sessionToken".into(), "opaque-2".into(), "opaque-2".into()),
        (
            "r-e-f-r-e-s-h-t-o-k-e-n".into(),
            "opaque-3".into(),
            "opaque-3".into(),
        ),
        ("note".into(), format!("token={JWT}"), JWT.into()),
        ("audiences".into(), format!("api {JWT}"), JWT.into()),
        ("note".into(), UNSECURED_JWT.into(), UNSECURED_JWT.into()),
        (
            "note".into(),
            "Basic dXNlcjpwYXNzd29yZA==".into(),
            "dXNlcjpwYXNzd29yZA==".into(),
        ),
        ("note".into(), "Bearer\ts3cr3t".into(), "s3cr3t".into()),
    ];
    cases.push(("tokenId".into(), format!("Bearer {JWT}"), JWT.into()));
    cases
}

#[test]
fn strict_grpc_refuses_and_names_only_the_key() {
    for (key, value, secret) in leaky() {
        let err = AuthError::new(AuthErrorCode::TokenExpired).with_metadata(&key, &value);
        assert!(!format!("{err:?}").contains(&secret), "Debug of {key}");
        let refused = err.try_into_status().unwrap_err();
        assert!(
            matches!(
                refused,
                AttachError::SecretMetadataKey { .. } | AttachError::CredentialInMetadata { .. }
            ),
            "{key}: {refused:?}"
        );
        for shown in [refused.to_string(), format!("{refused:?}")] {
            assert!(!shown.contains(&secret), "{key}: {shown}");
        }
    }
}

#[test]
fn lenient_grpc_leaves_out() {
    for (key, value, secret) in leaky() {
        let status: Status = AuthError::new(AuthErrorCode::TokenExpired)
            .with_metadata("tenantId", "acme")
            .with_metadata(&key, &value)
            .into();
        let err = status.auth_error().unwrap();
        assert!(!err.metadata().contains_key(&key), "{key}");
        assert_eq!(err.tenant_id(), Some("acme"));
        let raw = String::from_utf8_lossy(status.details()).into_owned();
        assert!(!raw.contains(&secret), "{key}");
    }
}

#[test]
fn refused_list_items_are_never_printed() {
    let err = AuthError::new(AuthErrorCode::InvalidScope).with_audiences(["api", "Bearer s3cr3t"]);
    assert!(!format!("{err:?}").contains("s3cr3t"), "{err:?}");
    let refused = err.try_into_status().unwrap_err();
    assert!(!refused.to_string().contains("s3cr3t"), "{refused}");
    assert!(!format!("{refused:?}").contains("s3cr3t"), "{refused:?}");
}

#[test]
fn an_invalid_domain_is_not_repeated() {
    let refused = AuthError::new(AuthErrorCode::TokenExpired)
        .with_domain("Bearer s3cr3t")
        .try_into_status()
        .unwrap_err();
    assert!(!refused.to_string().contains("s3cr3t"));
    assert!(!format!("{refused:?}").contains("s3cr3t"));
}

#[cfg(feature = "json")]
#[test]
fn json_applies_the_same_rules() {
    for (key, value, secret) in leaky() {
        let body = AuthError::new(AuthErrorCode::TokenExpired)
            .with_metadata(&key, &value)
            .to_http_json()
            .to_string();
        assert!(!body.contains(&secret), "{key}: {body}");
    }
    // NO_AUTH_ERROR fails closed: never a 200, never the reason.
    let body = AuthError::new(AuthErrorCode::NoAuthError).to_http_json();
    assert_eq!(body["error"]["code"], 500);
    assert!(!body.to_string().contains("NO_AUTH_ERROR"));
    // The size bound holds on JSON as on gRPC.
    let mut err = AuthError::new(AuthErrorCode::TokenExpired);
    for i in 0..200 {
        err = err.with_metadata(format!("k{i}"), "v".repeat(100));
    }
    let back = AuthError::from_http_json(err.to_http_json().to_string().as_bytes()).unwrap();
    let status: Status = back.clone().into();
    assert_eq!(status.auth_error().unwrap().metadata(), back.metadata());
    assert!(back.metadata().len() < 200);
}

#[cfg(feature = "axum")]
#[tokio::test]
async fn axum_applies_the_same_rules() {
    use axum::response::IntoResponse;
    use http_body_util::BodyExt;
    for (key, value, secret) in leaky() {
        let response = AuthError::new(AuthErrorCode::TokenExpired)
            .with_metadata(&key, &value)
            .into_response();
        let body = response.into_body().collect().await.unwrap().to_bytes();
        assert!(!String::from_utf8_lossy(&body).contains(&secret), "{key}");
    }
}

#[test]
fn challenge_never_carries_a_credential() {
    let err = AuthError::new(AuthErrorCode::TokenExpired).with_message(format!("token {JWT}"));
    let challenge = err.www_authenticate(None).unwrap();
    assert!(!challenge.to_str().unwrap().contains(JWT), "{challenge:?}");
}

/// Words that must never be mistaken for credentials.
fn ordinary_value() -> impl Strategy<Value = String> {
    prop_oneof![
        "[a-z]{1,10}(\\.[a-z]{1,10}){0,3}", // scopes, hosts
        "https://[a-z]{1,8}\\.example\\.com(/[a-z.]{1,8}){0,3}", // URLs
        "20[0-9]{2}-[01][0-9]-[0-3][0-9]T[0-2][0-9]:[0-5][0-9]:[0-5][0-9]Z",
        "[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}",
        "[A-Za-z]{1,10}( [A-Za-z]{1,10}){0,6}\\.", // sentences
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn ordinary_values_pass(value in ordinary_value()) {
        let err = AuthError::new(AuthErrorCode::TokenExpired).with_metadata("note", value.clone());
        prop_assert!(err.try_into_status().is_ok(), "{value}");
    }

    #[test]
    fn embedded_jwts_and_schemes_are_refused(
        prefix in "([a-z]{0,8}[ =,;:])?",
        header in "[A-Za-z0-9_-]{4,40}",
        payload in "[A-Za-z0-9_-]{1,40}",
        sig in "[A-Za-z0-9_-]{0,40}",
        scheme in prop::sample::select(vec!["Bearer", "bearer", "BASIC", "Digest", "Negotiate"]),
        ws in "[ \t]{1,3}",
        cred in "[A-Za-z0-9+/]{7,20}[0-9]{1,3}=?",
    ) {
        let jwt = format!("{prefix}eyJ{header}.{payload}.{sig}");
        let err = AuthError::new(AuthErrorCode::TokenExpired).with_metadata("note", jwt.clone());
        prop_assert!(err.try_into_status().is_err(), "{jwt}");
        let auth = format!("{prefix}{scheme}{ws}{cred}");
        let err = AuthError::new(AuthErrorCode::TokenExpired).with_metadata("note", auth.clone());
        prop_assert!(err.try_into_status().is_err(), "{auth:?}");
    }

    #[test]
    fn secret_keys_are_refused_in_any_spelling(
        name in prop::sample::select(vec!["accessToken", "refreshToken", "idToken", "clientSecret", "apiKey", "password", "privateKey", "cookie", "authorization"]),
        seps in prop::collection::vec(prop::sample::select(vec!["", "-", "_", "."]), 20),
        upper in any::<bool>(),
    ) {
        // Interleave separators, keep the first character a lowercase letter.
        let mut key = String::new();
        for (i, c) in name.chars().enumerate() {
            if i > 0 { key.push_str(seps[i % seps.len()]); }
            key.push(if upper && i > 0 { c.to_ascii_uppercase() } else { c.to_ascii_lowercase() });
        }
        let err = AuthError::new(AuthErrorCode::TokenExpired).with_metadata(key.clone(), "v");
        prop_assert!(err.try_into_status().is_err(), "{key}");
    }
}
