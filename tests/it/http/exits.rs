//! The same error over HTTP: WWW-Authenticate for every code, the AIP-193
//! JSON body (feature `json`), serde (feature `serde`), axum (feature `axum`).

use auth_error::{AuthError, AuthErrorCode, BearerChallenge};

#[cfg(feature = "json")]
use crate::support::http_json;

/// The challenge of every code, written out here (RFC 6750 §3.1, RFC 9470
/// §3), not derived from the table under test: `None` for no
/// `WWW-Authenticate`, `Some("")` for a bare `Bearer`.
const CHALLENGES: &[(&str, Option<&str>)] = &[
    ("NO_AUTH_ERROR", None),
    ("AUTH_FAILED_INVALID_BEARER_TOKEN", Some("invalid_token")),
    ("AUTH_FAILED_INVALID_SUBJECT", Some("invalid_token")),
    ("AUTH_FAILED_INVALID_AUDIENCE", Some("invalid_token")),
    ("AUTH_FAILED_INVALID_ISSUER", Some("invalid_token")),
    ("BEARER_TOKEN_MISSING", Some("")),
    ("TOKEN_EXPIRED", Some("invalid_token")),
    ("TOKEN_NOT_ACTIVE", Some("invalid_token")),
    ("TOKEN_REVOKED", Some("invalid_token")),
    ("INVALID_CLAIMS", Some("invalid_token")),
    ("MISSING_REQUIRED_CLAIMS", Some("invalid_token")),
    ("INVALID_SCOPE", Some("insufficient_scope")),
    ("INVALID_PERMISSIONS", None),
    ("SESSION_EXPIRED", Some("invalid_token")),
    ("SESSION_INVALID", Some("invalid_token")),
    ("SESSION_REVOKED", Some("invalid_token")),
    ("UNAUTHENTICATED", Some("invalid_token")),
    (
        "MULTI_FACTOR_REQUIRED",
        Some("insufficient_user_authentication"),
    ),
    (
        "MULTI_FACTOR_FAILED",
        Some("insufficient_user_authentication"),
    ),
    ("ACCOUNT_LOCKED", None),
    ("ACCOUNT_DISABLED", None),
    ("PASSWORD_EXPIRED", None),
    ("PASSWORD_RESET_REQUIRED", None),
    ("UNRECOGNIZED_DEVICE", Some("invalid_token")),
    // RFC 9449: the DPoP scheme.
    ("DPOP_PROOF_INVALID", Some("invalid_dpop_proof")),
    ("DPOP_NONCE_REQUIRED", Some("use_dpop_nonce")),
    ("TOKEN_BINDING_MISMATCH", Some("invalid_token")),
];

#[test]
fn www_authenticate_for_every_code() {
    assert_eq!(
        CHALLENGES.len(),
        AuthErrorCode::ALL.len(),
        "one row per code"
    );
    for (name, expected) in CHALLENGES {
        let code = AuthErrorCode::from_str_name(name).unwrap_or_else(|| panic!("{name}"));
        let err = AuthError::new(code);
        let challenge = err
            .www_authenticate(None)
            .map(|v| v.to_str().unwrap().to_owned());
        match expected {
            None => assert_eq!(challenge, None, "{name}"),
            Some("") => assert_eq!(challenge.as_deref(), Some("Bearer"), "{name}"),
            Some(error) => assert_eq!(
                challenge.as_deref(),
                Some(
                    format!(
                        "{} error=\"{error}\", error_description=\"{}\"",
                        if error.contains("dpop") {
                            "DPoP"
                        } else {
                            "Bearer"
                        },
                        code.description()
                    )
                    .as_str()
                ),
                "{name}"
            ),
        }
        // The public mapping says the same.
        let kind = BearerChallenge::for_code(code);
        assert_eq!(kind.is_some(), expected.is_some(), "{name}");
        if let Some(kind) = kind {
            assert_eq!(kind.error().unwrap_or(""), expected.unwrap(), "{name}");
        }
    }
    // Two spelled out in full.
    assert_eq!(
        AuthError::new(AuthErrorCode::TokenExpired)
            .www_authenticate(Some("orders"))
            .unwrap(),
        r#"Bearer realm="orders", error="invalid_token", error_description="the bearer token has expired""#
    );
    assert_eq!(
        AuthError::new(AuthErrorCode::InvalidScope)
            .with_required_scopes(["orders.write"])
            .www_authenticate(None)
            .unwrap(),
        r#"Bearer error="insufficient_scope", error_description="the token lacks a required scope", scope="orders.write""#
    );
}

#[test]
fn www_authenticate_quotes_safely() {
    let hostile = AuthError::new(AuthErrorCode::InvalidScope)
        .with_message("bad\" , error=\"x\r\nSet-Cookie: a=b")
        .with_required_scopes(["ok.scope", "bad\"scope", "read:all"]);
    let value = hostile.www_authenticate(Some("r\"ealm\r\n")).unwrap();
    let text = value.to_str().unwrap();
    assert_eq!(
        text,
        "Bearer realm=\"realm\", error=\"insufficient_scope\", error_description=\"the token lacks a required scope\", scope=\"ok.scope read:all\""
    );
    // A message of allowed characters is used as is.
    let plain = AuthError::new(AuthErrorCode::TokenExpired).with_message("expired at 12:00");
    assert!(
        plain
            .www_authenticate(None)
            .unwrap()
            .to_str()
            .unwrap()
            .contains("error_description=\"expired at 12:00\"")
    );
    // Non-ASCII falls back to the description.
    let german =
        AuthError::new(AuthErrorCode::TokenExpired).with_message("abgelaufen – bitte erneuern");
    assert!(
        german
            .www_authenticate(None)
            .unwrap()
            .to_str()
            .unwrap()
            .contains("the bearer token has expired")
    );
}

#[cfg(feature = "json")]
mod json {
    use std::time::Duration;

    use super::http_json::HttpJsonValue;

    use auth_error::rest::JsonError;
    use auth_error::{AuthError, AuthErrorCode};
    use serde_json::json;

    #[test]
    fn every_code_round_trips_through_the_aip_193_body() {
        for code in AuthErrorCode::ALL.into_iter().filter(|c| c.is_error()) {
            let err = AuthError::new(code)
                .with_message("m — ü")
                .with_metadata("tenantId", "acme")
                .with_retry_after(Duration::from_millis(1500))
                .add_help_link("docs", "https://example.com")
                .add_localized_message("de", "Fehler")
                .add_detail(prost_types::Any {
                    type_url: "type.example.com/x.Y".into(),
                    value: vec![1, 2, 3],
                });
            let body = err.http_json_value();
            assert_eq!(body["error"]["code"], code.http_status().as_u16());
            assert_eq!(
                body["error"]["status"],
                auth_error::grpc_status_name(code.grpc_code())
            );
            assert_eq!(
                body["error"]["details"][0]["@type"],
                "type.googleapis.com/google.rpc.ErrorInfo"
            );
            assert_eq!(body["error"]["details"][1]["retryDelay"], "1.5s");
            let back = AuthError::from_http_json(body.to_string().as_bytes()).unwrap();
            assert_eq!(back, err, "{code}");
        }
    }

    /// Every code, plain and with every kind of extra detail, in the bytes of
    /// `tests/data/http_bodies.txt`: the output of the hand-built
    /// `serde_json::json!` implementation, checked identical (`cmp`) when the
    /// typed body replaced it. The typed body, its `Value` and the file agree.
    #[test]
    fn bodies_keep_their_bytes() {
        let mut got = String::new();
        for code in AuthErrorCode::ALL {
            let rich = AuthError::new(code)
                .with_message("Anmeldung — 認証 🔒 \"q\" \\ \u{1}")
                .with_metadata(auth_error::keys::TENANT_ID, "acme")
                .with_metadata("zeta", "z")
                .with_metadata("Alpha", "a")
                .with_required_scopes(["a.b", "c"])
                .with_retry_after(Duration::from_millis(1500))
                .add_help_link("How", "https://e.com")
                .add_localized_message("de-CH", "Bitte")
                .add_detail(any("type.example.com/x.Y", &[8, 1, 0xff]))
                .add_detail(any(
                    "type.googleapis.com/google.rpc.RetryInfo",
                    &[0x0a, 0x05, 0xff],
                ))
                .add_detail(any("type.googleapis.com/google.rpc.RetryInfo", &[]))
                .add_detail(any("type.googleapis.com/google.rpc.Help", &[]))
                .with_domain("custom.example.com");
            for err in [rich, AuthError::new(code)] {
                let typed = serde_json::to_string(&err.to_http_body()).unwrap();
                // The bytes the exits send are the typed body's, and a JSON
                // value (keys sorted) serializes to the same text.
                assert_eq!(typed.as_bytes(), err.to_http_json());
                assert_eq!(typed, err.http_json_value().to_string());
                got.push_str(&typed);
                got.push('\n');
            }
        }
        if std::env::var_os("AUTH_ERROR_UPDATE_BODIES").is_some() {
            std::fs::write(
                concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data/http_bodies.txt"),
                &got,
            )
            .unwrap();
        }
        let want = include_str!(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/tests/data/http_bodies.txt"
        ));
        for (i, (got, want)) in got.lines().zip(want.lines()).enumerate() {
            assert_eq!(got, want, "body {i} changed");
        }
        assert_eq!(got.lines().count(), want.lines().count());
    }

    fn any(type_url: &str, value: &[u8]) -> prost_types::Any {
        prost_types::Any {
            type_url: type_url.into(),
            value: value.to_vec(),
        }
    }

    #[test]
    fn typed_parse_keeps_what_does_not_fit_and_never_quotes_input() {
        use auth_error::rest::{AuthErrorResponse, BodyDetail};
        let body = json!({"error": {"code": 401, "message": "m", "status": "UNAUTHENTICATED",
        "details": [
            {"@type": "type.googleapis.com/google.rpc.ErrorInfo", "reason": "TOKEN_EXPIRED", "domain": "auth.error.v1"},
            {"@type": "type.googleapis.com/google.rpc.RetryInfo", "retryDelay": "soon"},
            {"@type": "type.googleapis.com/google.rpc.ErrorInfo", "reason": "QUOTA", "domain": "q.example.com", "metadata": {"a": "b"}},
            {"@type": "type.googleapis.com/google.rpc.BadRequest", "fieldViolations": [{"field": "x"}]},
            {"@type": "type.googleapis.com/google.rpc.RetryInfo"}
        ]}});
        let typed: AuthErrorResponse = serde_json::from_value(body.clone()).unwrap();
        let details = &typed.error.details;
        assert!(
            matches!(&details[0], BodyDetail::AuthErrorInfo(i) if i.reason == AuthErrorCode::TokenExpired && i.metadata.is_empty())
        );
        assert!(
            matches!(&details[1], BodyDetail::Other(_)),
            "a malformed delay stays as it is"
        );
        assert!(matches!(&details[2], BodyDetail::ErrorInfo(i) if i.reason == "QUOTA"));
        assert!(matches!(&details[3], BodyDetail::Other(_)));
        assert!(matches!(&details[4], BodyDetail::RetryInfo(r) if r.retry_delay.is_none()));
        // Re-serialized, the unknown and malformed details are unchanged.
        let again = serde_json::to_value(&typed).unwrap();
        assert_eq!(again["error"]["details"][1], body["error"]["details"][1]);
        assert_eq!(again["error"]["details"][3], body["error"]["details"][3]);
        // Read as an error: the RetryInfo without delay and the foreign
        // ErrorInfo come back; what has no bytes cannot.
        let err = AuthError::from_http_body(&typed).unwrap();
        assert_eq!(err.details().len(), 2);

        // A refused value is never quoted back.
        let secret = "Bearer eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ4In0.c2ln";
        for hostile in [
            json!({"error": {"code": secret}}),
            json!({"error": {"message": 7, "details": []}}),
            json!({"error": {"details": [secret]}}),
        ] {
            let err = AuthError::from_http_json(hostile.to_string().as_bytes()).unwrap_err();
            assert!(matches!(err, JsonError::Invalid { .. }), "{err}");
            let shown = format!("{err} {err:?}");
            assert!(
                !shown.contains("eyJ") && !shown.contains("Bearer"),
                "{shown}"
            );
            assert!(shown.contains("line 1 column"), "{shown}");
        }
    }

    #[test]
    fn a_gateway_body_is_parsed() {
        let body = json!({"error": {
        "code": 403, "message": "denied", "status": "PERMISSION_DENIED",
        "details": [
            {"@type": "type.googleapis.com/google.rpc.ErrorInfo", "reason": "X", "domain": "other.example.com"},
            {"@type": "type.googleapis.com/google.rpc.ErrorInfo", "reason": "INVALID_SCOPE",
             "domain": "auth.error.v1", "metadata": {"requiredScopes": "a b"}},
            {"@type": "type.googleapis.com/google.rpc.BadRequest", "fieldViolations": []}
        ]}});
        let err = AuthError::from_http_json(body.to_string().as_bytes()).unwrap();
        assert_eq!(err.code(), AuthErrorCode::InvalidScope);
        assert_eq!(err.required_scopes(), ["a", "b"]);
        assert_eq!(err.message(), "denied");
        // The foreign ErrorInfo comes back as an extra detail; BadRequest without bytes cannot.
        assert_eq!(err.details().len(), 1);
    }

    #[test]
    fn bad_bodies_have_clear_errors() {
        type Check = fn(&JsonError) -> bool;
        let cases: [(&[u8], Check); 6] = [
            (b"not json", |e| matches!(e, JsonError::Invalid { .. })),
            (b"{}", |e| matches!(e, JsonError::Invalid { .. })),
            (br#"{"error": {"details": 3}}"#, |e| matches!(e, JsonError::Invalid { .. })),
            (br#"{"error": {"details": []}}"#, |e| *e == JsonError::NoErrorInfo),
            (
                br#"{"error": {"details": [{"@type": "type.googleapis.com/google.rpc.ErrorInfo", "reason": "NEW", "domain": "auth.error.v1"}]}}"#,
                |e| matches!(e, JsonError::UnknownReason { reason, .. } if reason == "NEW"),
            ),
            (
                br#"{"error": {"details": [{"@type": "type.googleapis.com/google.rpc.ErrorInfo", "reason": "TOKEN_EXPIRED", "domain": "auth.error.v1", "metadata": {"k": 1}}]}}"#,
                |e| matches!(e, JsonError::Invalid { .. }),
            ),
        ];
        for (body, check) in cases {
            let err = AuthError::from_http_json(body).unwrap_err();
            assert!(check(&err), "{}: {err}", String::from_utf8_lossy(body));
            assert!(!err.to_string().ends_with('.'));
        }
    }
}

#[cfg(feature = "serde")]
mod serde {
    use auth_error::{AuthErrorCode, ClientAction};

    #[test]
    fn every_code_serializes_as_its_name_and_back() {
        for code in AuthErrorCode::ALL {
            let text = serde_json::to_string(&code).unwrap();
            assert_eq!(text, format!("\"{}\"", code.as_str_name()));
            assert_eq!(serde_json::from_str::<AuthErrorCode>(&text).unwrap(), code);
            assert_eq!(
                serde_json::from_str::<AuthErrorCode>(&i32::from(code).to_string()).unwrap(),
                code
            );
        }
        let err = serde_json::from_str::<AuthErrorCode>("\"TOKEN_EXPIRED \"").unwrap_err();
        assert!(err.to_string().contains("TOKEN_EXPIRED "), "{err}");
        assert!(serde_json::from_str::<AuthErrorCode>("7").is_err());
        assert_eq!(
            serde_json::to_string(&ClientAction::RefreshCredentials).unwrap(),
            "\"refresh_credentials\""
        );
    }
}

#[cfg(feature = "axum")]
mod axum_response {
    use std::time::Duration;

    use auth_error::{AuthError, AuthErrorCode};
    use axum::Router;
    use axum::routing::get;
    use http_body_util::BodyExt;
    use tower::ServiceExt;

    async fn locked() -> Result<&'static str, AuthError> {
        Err(AuthError::new(AuthErrorCode::AccountLocked)
            .with_retry_after(Duration::from_millis(900_500)))
    }

    async fn scope() -> Result<&'static str, AuthError> {
        Err(AuthError::new(AuthErrorCode::InvalidScope).with_required_scopes(["orders.write"]))
    }

    #[tokio::test]
    async fn responses_through_a_real_router() {
        let app = Router::new()
            .route("/locked", get(locked))
            .route("/scope", get(scope));

        let response = app
            .clone()
            .oneshot(
                http::Request::get("/locked")
                    .body(axum::body::Body::empty())
                    .unwrap(),
            )
            .await
            .unwrap();
        assert_eq!(response.status(), 403);
        assert_eq!(response.headers()["retry-after"], "901");
        assert!(response.headers().get("www-authenticate").is_none());
        assert_eq!(response.headers()["content-type"], "application/json");
        let body = response.into_body().collect().await.unwrap().to_bytes();
        let err = AuthError::from_http_json(&body).unwrap();
        assert_eq!(err.code(), AuthErrorCode::AccountLocked);
        assert_eq!(err.client_action(), auth_error::ClientAction::RetryLater);

        let response = app
            .oneshot(
                http::Request::get("/scope")
                    .body(axum::body::Body::empty())
                    .unwrap(),
            )
            .await
            .unwrap();
        assert_eq!(response.status(), 403);
        assert!(
            response.headers()["www-authenticate"]
                .to_str()
                .unwrap()
                .contains("scope=\"orders.write\"")
        );
    }

    #[tokio::test]
    async fn no_auth_error_fails_closed() {
        use axum::response::IntoResponse;
        let response = AuthError::new(AuthErrorCode::NoAuthError).into_response();
        assert_eq!(response.status(), 500);
    }
}

/// Properties of the JSON exit and entry: it agrees with the gRPC exit (the
/// same rules), the typed body is a fixed point, and no input panics.
#[cfg(feature = "json")]
mod json_properties {
    use std::time::Duration;

    use super::http_json::HttpJsonValue;

    use auth_error::rest::AuthErrorResponse;
    use auth_error::{AuthError, AuthErrorCode, AuthStatusExt};
    use proptest::prelude::*;
    use serde_json::{Value, json};

    fn error_code() -> impl Strategy<Value = AuthErrorCode> {
        (1..AuthErrorCode::ALL.len()).prop_map(|i| AuthErrorCode::ALL[i])
    }

    /// Metadata entries the rules must all be asked about: valid AIP-193
    /// keys with arbitrary values (most are kept), secret key names (refused
    /// whatever the value), credential-shaped values under valid keys
    /// (refused), and arbitrary keys (mostly not AIP-193: refused).
    fn metadata_entry() -> impl Strategy<Value = (String, String)> {
        prop_oneof![
            4 => ("[a-z][a-zA-Z0-9_-]{0,15}", any::<String>()),
            1 => (
                prop::sample::select(auth_error::SECRET_METADATA_KEYS.to_vec()).prop_map(str::to_owned),
                any::<String>(),
            ),
            1 => (
                "[a-z][a-zA-Z]{0,10}",
                prop::sample::select(vec![
                    "Bearer s3cr3t-token-1".to_owned(),
                    "token=eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.c2ln".to_owned(),
                    "Basic dXNlcjpwYXNzd29yZA==".to_owned(),
                ]),
            ),
            1 => (any::<String>(), any::<String>()),
        ]
    }

    fn error() -> impl Strategy<Value = AuthError> {
        (
            error_code(),
            ".{0,40}",
            prop::collection::vec(metadata_entry(), 0..5),
            prop::option::of(0u64..10_000_000),
            prop::option::of((".{0,10}", ".{0,20}")),
            prop::option::of(("[a-z]{2}", ".{0,20}")),
            prop::option::of((
                "type\\.example\\.com/[a-zA-Z.]{1,12}",
                prop::collection::vec(any::<u8>(), 0..16),
            )),
        )
            .prop_map(|(code, message, md, retry, help, localized, other)| {
                let mut err = md
                    .into_iter()
                    .fold(AuthError::new(code).with_message(message), |e, (k, v)| {
                        e.with_metadata(k, v)
                    });
                if let Some(ms) = retry {
                    err = err.with_retry_after(Duration::from_millis(ms));
                }
                if let Some((d, u)) = help {
                    err = err.add_help_link(d, u);
                }
                if let Some((l, m)) = localized {
                    err = err.add_localized_message(l, m);
                }
                if let Some((type_url, value)) = other {
                    err = err.add_detail(prost_types::Any { type_url, value });
                }
                err
            })
    }

    /// Arbitrary JSON, a few levels deep.
    fn json_value() -> impl Strategy<Value = Value> {
        let leaf = prop_oneof![
            Just(Value::Null),
            any::<bool>().prop_map(Value::from),
            any::<i64>().prop_map(Value::from),
            ".{0,12}".prop_map(Value::from),
            Just(json!("TOKEN_EXPIRED")),
            Just(json!("auth.error.v1")),
            Just(json!("type.googleapis.com/google.rpc.ErrorInfo")),
            Just(json!("type.googleapis.com/google.rpc.RetryInfo")),
        ];
        leaf.prop_recursive(4, 32, 6, |inner| {
            prop_oneof![
                prop::collection::vec(inner.clone(), 0..4).prop_map(Value::from),
                prop::collection::btree_map(
                    prop_oneof![
                        Just("@type".to_owned()),
                        Just("reason".to_owned()),
                        Just("domain".to_owned()),
                        Just("metadata".to_owned()),
                        Just("retryDelay".to_owned()),
                        Just("value".to_owned()),
                        "[a-z]{1,6}",
                    ],
                    inner,
                    0..5
                )
                .prop_map(|m| Value::Object(m.into_iter().collect())),
            ]
        })
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

        #[test]
        fn json_exit_agrees_with_the_grpc_exit(err in error()) {
            let body = err.http_json_value();
            let from_json = AuthError::from_http_json(body.to_string().as_bytes()).unwrap();
            let from_grpc = tonic::Status::from(err.clone()).auth_error().unwrap();
            prop_assert_eq!(&from_json, &from_grpc);
            prop_assert_eq!(body["error"]["code"].as_u64(), Some(u64::from(err.http_status().as_u16())));
        }

        #[test]
        fn typed_body_is_a_fixed_point(err in error()) {
            let body = err.to_http_body();
            let text = serde_json::to_string(&body).unwrap();
            let back: AuthErrorResponse = serde_json::from_str(&text).unwrap();
            prop_assert_eq!(&back, &body);
            prop_assert_eq!(serde_json::to_string(&back).unwrap(), text);
        }

        #[test]
        fn arbitrary_bodies_never_panic(details in prop::collection::vec(json_value(), 0..4), top in json_value()) {
            for body in [json!({"error": {"details": details, "message": "m"}}), json!({"error": top.clone()}), top] {
                let text = body.to_string();
                if let Ok(err) = AuthError::from_http_json(text.as_bytes()) {
                    prop_assert!(err.code().is_error());
                }
                if let Ok(typed) = serde_json::from_str::<AuthErrorResponse>(&text) {
                    // Whatever was read serializes again.
                    prop_assert!(serde_json::to_string(&typed).is_ok());
                }
            }
        }

        #[test]
        fn arbitrary_bytes_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..256)) {
            let _ = AuthError::from_http_json(&bytes);
        }
    }
}
