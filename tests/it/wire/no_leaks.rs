//! Nothing secret leaves by any exit: gRPC strict and lenient, the JSON body,
//! axum, and every error's `Display` and `Debug` (issue: "Nothing secret
//! leaves by any exit").

use auth_error::{AttachError, AuthError, AuthErrorCode, AuthStatusExt, TextField};
use proptest::prelude::*;
use tonic::Status;

#[cfg(feature = "json")]
use crate::support::http_json;
#[cfg(feature = "json")]
use http_json::HttpJsonValue;

const JWT: &str = "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U";
const UNSECURED_JWT: &str = "eyJhbGciOiJub25lIn0.eyJzdWIiOiIxMjM0NTY3ODkwIn0.";

/// Every way a secret was seen to get out, as (key, value, secret text).
/// The refusal of a credential in the metadata entry `note`.
fn credential_in_note(refused: &AttachError) -> bool {
    matches!(refused, AttachError::CredentialInMetadata { key, .. } if key == "note")
}

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
        // A credential of symbols and digits only (no letters to look like
        // base64 of text): still the scheme and a credential-shaped word.
        (
            "note".into(),
            "token=Bearer +/=_-.~12345678".into(),
            "+/=_-.~12345678".into(),
        ),
    ];
    cases.push(("tokenId".into(), format!("Bearer {JWT}"), JWT.into()));
    // The `x` prefix in AIP-193 spellings, and a dotted one.
    for key in ["xApiKey", "xAuthToken", "xAccessToken", "X.Api.Key"] {
        cases.push((key.into(), "opaque-4242".into(), "opaque-4242".into()));
    }
    // A token inside a longer dotted run, or glued to a word.
    for shape in [
        format!("bad token {JWT}..."),
        format!("bad token {JWT}.."),
        format!("a.b.{JWT}"),
        format!("id_{JWT}"),
    ] {
        cases.push(("note".into(), shape, JWT.into()));
    }
    cases
}

#[test]
fn strict_grpc_refuses_and_names_only_the_key() {
    for (key, value, secret) in leaky() {
        let err = AuthError::new(AuthErrorCode::TokenExpired).with_metadata(key.clone(), &value);
        assert!(!format!("{err:?}").contains(&secret), "Debug of {key}");
        let refused = err.try_into_status().unwrap_err();
        // The exact refusal, naming this entry's key: a secret key name is
        // refused as such, any other key for its credential-shaped value.
        // docs/codes.md's rule, restated: normalized, then whole or after `x`.
        let normalized = key.to_ascii_lowercase().replace(['-', '_', '.'], "");
        let secret_key = [Some(normalized.as_str()), normalized.strip_prefix('x')]
            .into_iter()
            .flatten()
            .any(|name| auth_error::SECRET_METADATA_KEYS.contains(&name));
        match &refused {
            AttachError::SecretMetadataKey { key: named, .. } => {
                assert!(secret_key, "{key}: refused as a secret key name");
                assert_eq!(named, &key);
            }
            AttachError::CredentialInMetadata { key: named, .. } => {
                assert!(
                    !secret_key,
                    "{key}: a secret key name refused for its value"
                );
                assert_eq!(named, &key);
            }
            other => panic!("{key}: {other:?}"),
        }
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
            .with_metadata(key.clone(), &value)
            .into();
        let err = status.auth_error().unwrap();
        assert!(!err.metadata().contains_key(&key), "{key}");
        assert_eq!(err.tenant_id(), Some("acme"));
        let raw = String::from_utf8_lossy(status.details()).into_owned();
        assert!(!raw.contains(&secret), "{key}");
    }
}

/// Texts a verifier might write carelessly: each carries a credential.
fn leaky_texts() -> Vec<(String, &'static str)> {
    vec![
        (format!("bad token {JWT}"), JWT),
        (format!("token={UNSECURED_JWT}"), UNSECURED_JWT),
        // More dots after it, a dotted run before it, glued by `_`.
        (format!("bad token {JWT}..."), JWT),
        (format!("bad token {JWT}.."), JWT),
        (format!("ids a.b.{JWT}"), JWT),
        (format!("id_{JWT}."), JWT),
        ("got Authorization: Bearer s3cr3t-1".into(), "s3cr3t-1"),
        ("token=Basic YWxhZGRpbjpvcGVu".into(), "YWxhZGRpbjpvcGVu"),
        // A JWS whose header JSON starts with whitespace (`{\n  "alg": ...`).
        (
            "see ewogICJhbGciOiAiSFMyNTYiCn0.eyJzdWIiOiIxIn0.c2ln".into(),
            "ewogICJhbGciOiAiSFMyNTYiCn0",
        ),
    ]
}

#[test]
fn the_message_goes_through_the_rules_on_every_exit() {
    for (text, secret) in leaky_texts() {
        let err = AuthError::new(AuthErrorCode::TokenExpired).with_message(text.clone());
        for shown in [err.to_string(), format!("{err:?}")] {
            assert!(!shown.contains(secret), "{text}: {shown}");
        }
        let refused = err.clone().try_into_status().unwrap_err();
        assert!(
            matches!(
                refused,
                AttachError::CredentialInText {
                    field: TextField::Message,
                    ..
                }
            ),
            "{text}: {refused:?}"
        );
        assert!(!refused.to_string().contains(secret));
        // Lenient: the code's description instead, in the status message and
        // in the details alike.
        let status: Status = err.clone().into();
        assert_eq!(status.message(), AuthErrorCode::TokenExpired.description());
        assert!(!String::from_utf8_lossy(status.details()).contains(secret));
        assert_eq!(
            status.check_auth_error().unwrap().unwrap().message(),
            AuthErrorCode::TokenExpired.description()
        );
        #[cfg(feature = "json")]
        {
            let body = String::from_utf8(err.to_http_json()).unwrap();
            assert!(!body.contains(secret), "{body}");
            assert!(body.contains(AuthErrorCode::TokenExpired.description()));
        }
    }
}

#[test]
fn ordinary_messages_are_kept() {
    for text in [
        "token expired at 12:00",
        "the bearer token has expired; see https://docs.example.com/auth/errors.html#token.expired",
        "scope orders.read is required by orders.v1.Orders.Get",
        "Basic authentication is disabled",
    ] {
        let status = AuthError::new(AuthErrorCode::TokenExpired)
            .with_message(text)
            .try_into_status()
            .unwrap_or_else(|e| panic!("{text}: {e}"));
        assert_eq!(status.message(), text);
    }
}

#[test]
fn companion_texts_go_through_the_rules() {
    for (text, secret) in leaky_texts() {
        let cases = [
            (
                AuthError::new(AuthErrorCode::TokenExpired).add_localized_message("en-US", &text),
                TextField::LocalizedMessage,
            ),
            (
                AuthError::new(AuthErrorCode::TokenExpired)
                    .add_help_link(&text, "https://docs.example.com"),
                TextField::HelpLink,
            ),
        ];
        for (err, field) in cases {
            let refused = err.clone().try_into_status().unwrap_err();
            assert!(
                matches!(refused, AttachError::CredentialInText { field: f, .. } if f == field),
                "{text}: {refused:?}"
            );
            let status: Status = err
                .with_retry_after(std::time::Duration::from_secs(1))
                .into();
            assert!(!String::from_utf8_lossy(status.details()).contains(secret));
            // The offending extra detail is left out, the others kept.
            let back = status.auth_error().unwrap();
            assert_eq!(back.details().len(), 1, "{text}");
            assert!(back.retry_after().is_some());
        }
    }
    // A URL that carries a token.
    for token in [JWT, UNSECURED_JWT] {
        let refused = AuthError::new(AuthErrorCode::TokenExpired)
            .add_help_link(
                "docs",
                format!("https://docs.example.com/?access_token={token}"),
            )
            .try_into_status()
            .unwrap_err();
        assert!(
            matches!(
                refused,
                AttachError::CredentialInText {
                    field: TextField::HelpLink,
                    ..
                }
            ),
            "{refused:?}"
        );
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
            .with_metadata(key.clone(), &value)
            .http_json_value()
            .to_string();
        assert!(!body.contains(&secret), "{key}: {body}");
    }
    // NO_AUTH_ERROR fails closed: never a 200, never the reason.
    let body = AuthError::new(AuthErrorCode::NoAuthError).http_json_value();
    assert_eq!(body["error"]["code"], 500);
    assert!(!body.to_string().contains("NO_AUTH_ERROR"));
    // The size bound holds on JSON as on gRPC.
    let mut err = AuthError::new(AuthErrorCode::TokenExpired);
    for i in 0..200 {
        err = err.with_metadata(format!("k{i}"), "v".repeat(100));
    }
    let back = AuthError::from_http_json(&err.to_http_json()).unwrap();
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
            .with_metadata(key.clone(), &value)
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
        // Around the token: more dots, a dotted run, a word glued by `-`/`_`.
        before in "([a-z]{1,6}[._-]|[.]{1,3}|[a-z]{1,4}\\.[a-z]{1,4}\\.)?",
        after in "([.]{1,4}[a-z]{0,6}|[-_][a-z]{1,6}|[.][a-z]{1,4}[.][a-z]{1,4})?",
    ) {
        let jwt = format!("{prefix}{before}eyJ{header}.{payload}.{sig}{after}");
        let err = AuthError::new(AuthErrorCode::TokenExpired).with_metadata("note", jwt.clone());
        prop_assert!(credential_in_note(&err.try_into_status().unwrap_err()), "{}", jwt);
        let auth = format!("{prefix}{scheme}{ws}{cred}");
        let err = AuthError::new(AuthErrorCode::TokenExpired).with_metadata("note", auth.clone());
        prop_assert!(credential_in_note(&err.try_into_status().unwrap_err()), "{:?}", auth);
    }

    #[test]
    fn letters_only_credentials_and_spaced_headers_are_refused(
        prefix in "([a-z]{1,8}[=,;:] ?)",
        scheme in prop::sample::select(vec!["Bearer", "Basic", "basic", "DPoP"]),
        // Base64 of letters: mixed case, no digit, no symbol.
        cred in "[A-Za-z]{1,6}[A-Z][a-z][A-Za-z]{5,20}",
        ws in prop::sample::select(vec![" ", "\n", "\n  ", "\t", "\r\n "]),
        alg in prop::sample::select(vec!["HS256", "ES256", "RS256", "none"]),
        sub in "[a-z0-9]{1,12}",
    ) {
        use base64::Engine as _;
        let embedded = format!("{prefix}{scheme} {cred}");
        let err = AuthError::new(AuthErrorCode::TokenExpired).with_metadata("note", embedded.clone());
        prop_assert!(credential_in_note(&err.try_into_status().unwrap_err()), "{:?}", embedded);
        // A JWS whose header is pretty-printed JSON.
        let b64 = base64::engine::general_purpose::URL_SAFE_NO_PAD;
        let header = b64.encode(format!("{{{ws}\"alg\":{ws}\"{alg}\"{ws}}}"));
        let payload = b64.encode(format!("{{\"sub\":\"{sub}\"}}"));
        let jws = format!("{prefix}{header}.{payload}.c2ln");
        let err = AuthError::new(AuthErrorCode::TokenExpired).with_metadata("note", jws.clone());
        prop_assert!(credential_in_note(&err.try_into_status().unwrap_err()), "{}", jws);
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
        // The secret-key rule itself refuses it, dots and capitals included.
        let refused = err.try_into_status().unwrap_err();
        prop_assert!(
            matches!(&refused, AttachError::SecretMetadataKey { key: k, .. } if *k == key),
            "{:?}", refused
        );
        // Behind `x`: a header prefix, an AIP-193 camelCase one (`xApiKey`),
        // a dotted one (`X.Api.Key`).
        let mut camel = key.clone();
        camel[..1].make_ascii_uppercase();
        for prefixed in [format!("x-{key}"), format!("x{camel}"), format!("X.{camel}")] {
            let err = AuthError::new(AuthErrorCode::TokenExpired).with_metadata(prefixed.clone(), "v");
            let refused = err.try_into_status().unwrap_err();
            prop_assert!(
                matches!(&refused, AttachError::SecretMetadataKey { key: k, .. } if *k == prefixed),
                "{:?}", refused
            );
        }
    }
}

/// A peer's texts that an extraction error holds (an unknown reason, a
/// mismatched message) go through the same text rule as the crate's own: a
/// credential-looking one is withheld, never stored, so neither `Display`
/// nor `Debug` prints it; and each is bounded.
#[test]
fn a_peers_texts_in_extraction_errors_are_withheld_and_bounded() {
    use prost::Message;
    fn status(code: tonic::Code, message: &str, inner: &str, reason: &str) -> Status {
        let info = tonic_types::pb::ErrorInfo {
            reason: reason.into(),
            domain: auth_error::DOMAIN.into(),
            metadata: Default::default(),
        };
        let rpc = tonic_types::pb::Status {
            code: code as i32,
            message: inner.into(),
            details: vec![prost_types::Any {
                type_url: "type.googleapis.com/google.rpc.ErrorInfo".into(),
                value: info.encode_to_vec(),
            }],
        };
        Status::with_details(code, message, rpc.encode_to_vec().into())
    }
    let bearer = format!("Bearer {JWT}");
    let cases = [
        // A token as the reason.
        status(tonic::Code::Unauthenticated, "m", "m", JWT),
        // A token in the embedded message, and in the status message.
        status(tonic::Code::Unauthenticated, "m", &bearer, "TOKEN_EXPIRED"),
        status(tonic::Code::Unauthenticated, &bearer, "m", "TOKEN_EXPIRED"),
        // A token followed by more dots, in either message (a mismatch).
        status(
            tonic::Code::Unauthenticated,
            &format!("bad token {JWT}..."),
            "m",
            "TOKEN_EXPIRED",
        ),
        status(
            tonic::Code::Unauthenticated,
            "m",
            &format!("bad token {JWT}.."),
            "TOKEN_EXPIRED",
        ),
    ];
    for status in cases {
        let err = status.check_auth_error().unwrap_err();
        for shown in [err.to_string(), format!("{err:?}")] {
            assert!(!shown.contains(JWT), "{shown}");
            assert!(shown.contains("withheld"), "{shown}");
        }
    }
    // A 100,000-character reason is kept to 256 characters and a mark.
    let long = "NOT_A_CODE_".repeat(10_000);
    let err = status(tonic::Code::Unauthenticated, "m", "m", &long)
        .check_auth_error()
        .unwrap_err();
    assert!(err.to_string().len() < 400, "{}", err.to_string().len());
    assert!(err.to_string().contains('…'));
    // The JSON reader holds the same rule.
    #[cfg(feature = "json")]
    {
        let body = format!(
            r#"{{"error":{{"code":401,"message":"m","status":"UNAUTHENTICATED","details":[{{"@type":"type.googleapis.com/google.rpc.ErrorInfo","reason":"{JWT}","domain":"auth.error.v1"}}]}}}}"#
        );
        let err = AuthError::from_http_json(body.as_bytes()).unwrap_err();
        for shown in [err.to_string(), format!("{err:?}")] {
            assert!(!shown.contains(JWT), "{shown}");
        }
    }
}

/// `NO_AUTH_ERROR` is not an error: every HTTP exit fails closed (500,
/// `UNKNOWN`), and its message goes through the text rule like any other.
#[cfg(feature = "json")]
#[test]
fn the_fail_closed_http_answer_withholds_a_credential_shaped_message() {
    let token = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.c2lnbmF0dXJlLWxlYWs";
    let err = auth_error::AuthError::new(auth_error::AuthErrorCode::NoAuthError)
        .with_message(format!("token {token}"));
    let body = err.to_http_json();
    let text = String::from_utf8_lossy(&body);
    assert!(!text.contains("c2lnbmF0dXJl"), "{text}");
    assert!(text.contains("UNKNOWN"), "{text}");
    #[cfg(feature = "axum")]
    {
        use axum::response::IntoResponse;
        let response = err.into_response();
        assert_eq!(response.status(), 500);
        let runtime = tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap();
        let bytes = runtime
            .block_on(http_body_util::BodyExt::collect(response.into_body()))
            .unwrap()
            .to_bytes();
        assert!(!String::from_utf8_lossy(&bytes).contains("c2lnbmF0dXJl"));
    }
}

/// `Debug` shows what the lenient exit sends, no more: an invalid key, an
/// invalid domain, a secret key in an AIP-193 spelling and a credential are
/// left out of it as they are left out of the status.
#[test]
fn debug_shows_what_the_lenient_exit_sends() {
    let err = AuthError::new(AuthErrorCode::TokenExpired)
        .with_domain("bad domain\u{7}")
        .with_metadata("Bad Key", "visible-1")
        .with_metadata("xApiKey", "visible-2")
        .with_metadata("note", format!("see {JWT}..."))
        .with_metadata("tenantId", "acme");
    let debug = format!("{err:?}");
    for hidden in [
        "Bad Key",
        "visible-1",
        "xApiKey",
        "visible-2",
        JWT,
        "bad domain",
    ] {
        assert!(!debug.contains(hidden), "{hidden}: {debug}");
    }
    assert!(debug.contains("\"tenantId\": \"acme\""), "{debug}");
    assert!(debug.contains("redacted_metadata: 3"), "{debug}");
    assert!(debug.contains(auth_error::DOMAIN), "{debug}");
    let sent = Status::from(err).auth_error().unwrap();
    assert_eq!(sent.metadata().keys().collect::<Vec<_>>(), ["tenantId"]);
}

/// Any key or value, ordinary or credential, valid or not.
fn any_entry() -> impl Strategy<Value = (String, String)> {
    let key = prop_oneof![
        "[a-z][a-zA-Z0-9_-]{0,10}",
        "[a-zA-Z .-]{1,10}",
        prop::sample::select(vec![
            "xApiKey",
            "X.Api.Key",
            "x-auth-token",
            "tokenId",
            "xTokenId",
            "Bad Key",
        ])
        .prop_map(str::to_owned),
    ];
    let value = prop_oneof![
        ordinary_value(),
        Just(format!("bad token {JWT}..")),
        Just("Bearer s3cr3t-1".to_owned()),
    ];
    (key, value)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    /// For any entries and domain, the keys `Debug` prints are exactly the
    /// keys the lenient exit sends.
    #[test]
    fn debug_prints_exactly_the_entries_the_lenient_exit_sends(
        entries in prop::collection::vec(any_entry(), 0..6),
        domain in prop::sample::select(vec!["auth.error.v1", "example.com", "bad domain", ""]),
    ) {
        let err = entries.iter().fold(
            AuthError::new(AuthErrorCode::TokenExpired).with_domain(domain),
            |e, (k, v)| e.with_metadata(k.clone(), v),
        );
        let debug = format!("{err:?}");
        let status = Status::from(err.clone());
        let sent_domain = status
            .auth_error_in(domain)
            .map(|_| domain)
            .unwrap_or(auth_error::DOMAIN);
        let sent = status.auth_error_in(sent_domain).unwrap();
        for key in err.metadata().keys() {
            let printed = debug.contains(&format!("{key:?}: "));
            prop_assert_eq!(printed, sent.metadata().contains_key(key), "{}: {}", key, debug);
        }
        let domain_shown = format!("domain: {sent_domain:?}");
        prop_assert!(debug.contains(&domain_shown), "{}", debug);
    }
}
