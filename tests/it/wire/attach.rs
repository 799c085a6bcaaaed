//! Attaching: the builder, strict vs lenient conversion, bounds at their
//! edges, and the credential guard.

use auth_error::{
    AttachError, AuthError, AuthErrorCode, AuthStatusExt, DOMAIN, MAX_DETAILS_LEN, MAX_DOMAIN_LEN,
    MAX_METADATA_KEY_LEN,
};
use std::borrow::Cow;

use tonic::{Code, Status};

fn base() -> AuthError {
    AuthError::new(AuthErrorCode::TokenExpired).with_message("m")
}

#[test]
fn builder_getters() {
    let err = AuthError::new(AuthErrorCode::SessionRevoked)
        .with_message(String::from("bye"))
        .with_domain("id.example.com")
        .with_metadata("sessionId", "s-1")
        .with_metadata("sessionId", "s-2");
    assert_eq!(err.code(), AuthErrorCode::SessionRevoked);
    assert_eq!(err.message(), "bye");
    assert_eq!(err.domain(), "id.example.com");
    assert_eq!(
        err.metadata().len(),
        1,
        "a key set twice keeps the last value"
    );
    assert_eq!(err.metadata().get("sessionId").unwrap(), "s-2");
    assert_eq!(err.to_string(), "SESSION_REVOKED: bye");
    let e: &dyn std::error::Error = &err;
    assert!(e.source().is_none());
}

#[test]
fn no_auth_error_is_refused_strictly_and_fails_closed_leniently() {
    let err = AuthError::new(AuthErrorCode::NoAuthError);
    assert_eq!(
        err.clone().try_into_status().unwrap_err(),
        AttachError::NoAuthError
    );
    let status: Status = err.into();
    assert_eq!(status.code(), Code::Unknown);
    assert!(status.details().is_empty());
    assert_eq!(status.auth_error(), None);
}

#[test]
fn metadata_keys_follow_aip_193() {
    for ok in ["a", "tokenId", "x-y_z9", &"k".repeat(MAX_METADATA_KEY_LEN)] {
        assert!(
            base()
                .with_metadata(ok.to_owned(), "v")
                .try_into_status()
                .is_ok(),
            "{ok}"
        );
    }
    for bad in [
        "",
        "Tenant",
        "9a",
        "a b",
        "a.b",
        "ключ",
        &"k".repeat(MAX_METADATA_KEY_LEN + 1),
    ] {
        let err = base()
            .with_metadata(bad.to_owned(), "v")
            .try_into_status()
            .unwrap_err();
        assert!(
            matches!(&err, AttachError::InvalidMetadataKey { key, .. } if key == bad),
            "{bad}: {err:?}"
        );
        // The lenient path leaves the entry out and keeps the rest.
        let status: Status = base()
            .with_metadata(bad.to_owned(), "v")
            .with_metadata("ok", "1")
            .into();
        let back = status.auth_error().unwrap();
        assert!(!back.metadata().contains_key(bad));
        assert_eq!(back.metadata().get("ok").unwrap(), "1");
    }
}

#[test]
fn domain_bounds() {
    let at = "d".repeat(MAX_DOMAIN_LEN);
    assert!(base().with_domain(at.clone()).try_into_status().is_ok());
    for bad in [
        String::new(),
        "d".repeat(MAX_DOMAIN_LEN + 1),
        "a b".into(),
        "a\nb".into(),
    ] {
        let err = base()
            .with_domain(bad.clone())
            .try_into_status()
            .unwrap_err();
        assert!(
            matches!(err, AttachError::InvalidDomain { len, .. } if len == bad.len()),
            "{err:?}"
        );
        // Leniently the default domain is used.
        let status: Status = base().with_domain(bad).into();
        assert_eq!(status.auth_error().unwrap().domain(), DOMAIN);
    }
}

#[test]
fn details_size_bound_exactly_at_and_one_past() {
    // Find the message length whose encoding is exactly MAX_DETAILS_LEN.
    let overhead = base().with_message("").encode_details().unwrap().len();
    // A message of n bytes (n >= 128) adds 1 tag + 2 length bytes + n.
    let n = MAX_DETAILS_LEN - overhead - 3;
    let at = base().with_message("x".repeat(n));
    assert_eq!(at.encode_details().unwrap().len(), MAX_DETAILS_LEN);
    assert!(at.try_into_status().is_ok());
    let past = base().with_message("x".repeat(n + 1));
    let err = past.clone().try_into_status().unwrap_err();
    assert!(
        matches!(err, AttachError::TooLarge { len, max, .. }
            if len == MAX_DETAILS_LEN + 1 && max == MAX_DETAILS_LEN),
        "{err:?}"
    );
    // Leniently: code, reason and domain stay; the message is shortened.
    let status: Status = past.into();
    assert!(status.details().len() <= MAX_DETAILS_LEN);
    let back = status.check_auth_error().unwrap().unwrap();
    assert_eq!(back.code(), AuthErrorCode::TokenExpired);
    assert_eq!(back.message().len(), n);
}

#[test]
fn lenient_conversion_drops_companions_then_metadata_then_shortens() {
    let big = prost_types::Any {
        type_url: "t/x".into(),
        value: vec![7; 3000],
    };
    let err = base()
        .with_metadata("a", "1".repeat(1000))
        .with_metadata("b", "2".repeat(1000))
        .add_detail(big.clone())
        .add_detail(big);
    let status: Status = err.into();
    assert!(status.details().len() <= MAX_DETAILS_LEN);
    let back = status.check_auth_error().unwrap().unwrap();
    assert_eq!(back.details().len(), 0);
    assert_eq!(
        back.metadata().len(),
        2,
        "metadata fits once extra details are gone"
    );

    let huge_message = "é".repeat(10_000);
    let status: Status = AuthError::new(AuthErrorCode::AccountLocked)
        .with_message(huge_message)
        .with_metadata("a", "b")
        .into();
    assert!(status.details().len() <= MAX_DETAILS_LEN);
    let back = status.check_auth_error().unwrap().unwrap();
    assert_eq!(back.code(), AuthErrorCode::AccountLocked);
    assert!(back.metadata().is_empty());
    assert!(
        back.message().chars().all(|c| c == 'é'),
        "cut on a char boundary"
    );
    assert!(back.message().len() > MAX_DETAILS_LEN - 200);
}

#[test]
fn secret_keys_are_refused_and_left_out() {
    for key in [
        "token",
        "accessToken",
        "refreshToken",
        "password",
        "authorization",
        "cookie",
        "secret",
        "PassWord",
        "access_token",
        "client.secret",
        "x-api-key",
        "X-Auth-Token",
        "x-access-token",
    ] {
        let err = base().with_metadata(key, "v");
        let refused = err.clone().try_into_status().unwrap_err();
        // A secret name is the reason given, even when the key is also not
        // AIP-193 (capitals, dots).
        assert!(
            matches!(&refused, AttachError::SecretMetadataKey { key: k, .. } if k == key),
            "{key}: {refused:?}"
        );
        let status: Status = err.with_metadata("tenantId", "acme").into();
        let back = status.auth_error().unwrap();
        assert_eq!(back.metadata().len(), 1, "{key}");
    }
    let err = base()
        .with_metadata("token", "v")
        .try_into_status()
        .unwrap_err();
    assert!(
        matches!(&err, AttachError::SecretMetadataKey { key, .. } if key == "token"),
        "{err:?}"
    );
    // Context keys that merely contain "token" stay allowed.
    for key in ["tokenId", "tokenType", "tokenExpiry"] {
        assert!(
            base().with_metadata(key, "v").try_into_status().is_ok(),
            "{key}"
        );
    }
}

const JWT: &str = "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U";

#[test]
fn credential_values_are_refused_and_left_out() {
    for value in ["Bearer abc.def", "bearer x", JWT] {
        let err = base().with_metadata("hint", value);
        let refused = err.clone().try_into_status().unwrap_err();
        assert!(
            matches!(&refused, AttachError::CredentialInMetadata { key, .. } if key == "hint"),
            "{refused:?}"
        );
        assert!(
            !refused.to_string().contains(value),
            "the error does not leak the value"
        );
        let status: Status = err.into();
        assert!(status.auth_error().unwrap().metadata().is_empty());
        assert!(!String::from_utf8_lossy(status.details()).contains(value));
    }
    for value in ["api.example.com", "1.2.3", "https://issuer.example.com/"] {
        assert!(
            base()
                .with_metadata("issuer", value)
                .try_into_status()
                .is_ok(),
            "{value}"
        );
    }
}

#[test]
fn debug_never_prints_more_than_the_encoded_form() {
    let err = base()
        .with_metadata("password", "hunter2")
        .with_metadata("hint", JWT)
        .with_metadata("tenantId", "acme");
    let debug = format!("{err:?}");
    assert!(!debug.contains("hunter2"), "{debug}");
    assert!(!debug.contains(JWT), "{debug}");
    assert!(debug.contains("acme"), "{debug}");
    assert!(debug.contains("redacted_metadata: 2"), "{debug}");
}

#[test]
fn list_items_with_whitespace_are_refused() {
    let err = base().with_required_scopes(["ok", "not ok"]);
    let refused = err.clone().try_into_status().unwrap_err();
    assert!(
        matches!(&refused, AttachError::InvalidListItem { key, index: 1, .. } if key == "requiredScopes"),
        "{refused:?}"
    );
    let status: Status = err.into();
    assert!(status.auth_error().unwrap().required_scopes().is_empty());
}

/// `with_*` sets or replaces, `add_*` appends (tonic-types' voice): a
/// second retry delay replaces the first; a second help link is a second
/// extra detail.
#[test]
fn with_replaces_and_add_appends() {
    use auth_error::AuthStatusExt;
    let status: tonic::Status = AuthError::new(AuthErrorCode::AccountLocked)
        .with_retry_after(std::time::Duration::from_secs(10))
        .add_help_link("unlock", "https://id.example.com/unlock")
        .with_retry_after(std::time::Duration::from_secs(20))
        .add_help_link("contact", "mailto:it@example.com")
        .into();
    let err = status.auth_error().unwrap();
    assert_eq!(err.retry_after(), Some(std::time::Duration::from_secs(20)));
    let retry_infos = err
        .details()
        .iter()
        .filter(|d| d.type_url() == tonic_types::RetryInfo::TYPE_URL)
        .count();
    assert_eq!(retry_infos, 1);
    assert_eq!(err.help_links().len(), 2);
}

// The rules remember a pass for a `&'static str` (see `rules::checked_once`).

/// A pass is remembered for a static key or message, never a refusal.
#[test]
fn refused_static_texts_are_refused_every_time() {
    for _ in 0..3 {
        let err = AuthError::new(AuthErrorCode::TokenExpired).with_metadata("clientSecret", "v");
        assert!(matches!(
            err.try_into_status(),
            Err(AttachError::SecretMetadataKey { .. })
        ));
        let err = AuthError::new(AuthErrorCode::TokenExpired).with_metadata("Bad Key", "v");
        assert!(matches!(
            err.try_into_status(),
            Err(AttachError::InvalidMetadataKey { .. })
        ));
        let err = AuthError::new(AuthErrorCode::TokenExpired).with_message("Bearer abc.def-1");
        assert!(matches!(
            err.try_into_status(),
            Err(AttachError::CredentialInText { .. })
        ));
        let status = tonic::Status::from(
            AuthError::new(AuthErrorCode::TokenExpired)
                .with_message("Bearer abc.def-1")
                .with_metadata("clientSecret", "v")
                .with_metadata("userId", "42"),
        );
        assert_eq!(status.message(), AuthErrorCode::TokenExpired.description());
        let err = status.auth_error().unwrap();
        assert_eq!(err.message(), AuthErrorCode::TokenExpired.description());
        assert_eq!(err.metadata().keys().collect::<Vec<_>>(), ["userId"]);
        // The plain fast path (no metadata), static and owned messages.
        for message in [
            Cow::Borrowed("Bearer abc.def-1"),
            Cow::Owned(String::from("Bearer abc.def-1")),
        ] {
            let status =
                Status::from(AuthError::new(AuthErrorCode::TokenExpired).with_message(message));
            assert_eq!(status.message(), AuthErrorCode::TokenExpired.description());
            let err = status.auth_error().unwrap();
            assert_eq!(err.message(), AuthErrorCode::TokenExpired.description());
        }
    }
}

/// Two static strings in the same cache slot do not answer for each
/// other: the slot holds the address and the length.
#[test]
fn a_remembered_pass_is_for_that_string_only() {
    let texts: Vec<&'static str> = (0..64)
        .map(|i| &*Box::leak(format!("userId{i}").into_boxed_str()))
        .collect();
    for key in &texts {
        assert!(
            AuthError::new(AuthErrorCode::TokenExpired)
                .with_metadata(*key, "v")
                .try_into_status()
                .is_ok()
        );
    }
    let secret: &'static str = Box::leak(String::from("apiKey").into_boxed_str());
    let err = AuthError::new(AuthErrorCode::TokenExpired).with_metadata(secret, "v");
    assert!(matches!(
        err.try_into_status(),
        Err(AttachError::SecretMetadataKey { .. })
    ));
}
