//! Rich context as ErrorInfo metadata, and what a client should do.

use std::time::{Duration, UNIX_EPOCH};

use auth_error::{AuthError, AuthErrorCode, AuthStatusExt, ClientAction, keys, split_list};
use tonic::Status;

#[test]
fn every_typed_context_entry_round_trips_through_a_status() {
    let expiry = UNIX_EPOCH + Duration::from_secs(1_764_072_000);
    let err = AuthError::new(AuthErrorCode::InvalidScope)
        .with_required_scopes(["orders.read", "orders.write"])
        .with_provided_scopes(["profile"])
        .with_missing_permissions(["orders.delete"])
        .with_tenant_id("acme")
        .with_token_id("jti-1")
        .with_token_type("access")
        .with_token_expiry(expiry)
        .with_issuer("https://id.example.com/")
        .with_audiences(["api://orders", "api://billing"])
        .with_session_id("s-1")
        .with_session_last_active(expiry)
        .with_device_id("d-1")
        .with_mfa_methods(["totp", "webauthn"])
        .with_mfa_failure_reason("code reused")
        .with_missing_claims(["sub"])
        .with_invalid_claims(["exp", "nbf"])
        .with_acr_values(["urn:example:mfa", "urn:example:hwk"])
        .with_max_age(Duration::from_secs(300));
    let status = err.clone().try_into_status().unwrap();
    let back = status.check_auth_error().unwrap().unwrap();
    assert_eq!(back, err);
    assert_eq!(back.required_scopes(), ["orders.read", "orders.write"]);
    assert_eq!(back.provided_scopes(), ["profile"]);
    assert_eq!(back.missing_permissions(), ["orders.delete"]);
    assert_eq!(back.tenant_id(), Some("acme"));
    assert_eq!(back.token_id(), Some("jti-1"));
    assert_eq!(back.token_type(), Some("access"));
    assert_eq!(back.token_expiry(), Some(expiry));
    assert_eq!(
        back.metadata().get(keys::TOKEN_EXPIRY).unwrap(),
        "2025-11-25T12:00:00Z"
    );
    assert_eq!(back.issuer(), Some("https://id.example.com/"));
    assert_eq!(back.audiences(), ["api://orders", "api://billing"]);
    assert_eq!(back.session_id(), Some("s-1"));
    assert_eq!(back.session_last_active(), Some(expiry));
    assert_eq!(back.device_id(), Some("d-1"));
    assert_eq!(back.mfa_methods(), ["totp", "webauthn"]);
    assert_eq!(back.mfa_failure_reason(), Some("code reused"));
    assert_eq!(back.missing_claims(), ["sub"]);
    assert_eq!(back.invalid_claims(), ["exp", "nbf"]);
    assert_eq!(back.acr_values(), ["urn:example:mfa", "urn:example:hwk"]);
    assert_eq!(back.max_age(), Some(Duration::from_secs(300)));
    assert_eq!(
        back.metadata().len(),
        keys::ALL.len(),
        "every documented key used once"
    );
}

#[test]
fn documented_keys_are_valid_lower_camel_case_and_not_secret() {
    for key in keys::ALL {
        assert!(key.chars().next().unwrap().is_ascii_lowercase(), "{key}");
        assert!(key.chars().all(|c| c.is_ascii_alphanumeric()), "{key}");
        let attached = AuthError::new(AuthErrorCode::Unauthenticated)
            .with_metadata(key, "v")
            .try_into_status();
        assert!(attached.is_ok(), "{key}");
    }
}

#[test]
fn lists_split_the_same_in_every_language() {
    assert_eq!(split_list("a b  c "), ["a", "b", "c"]);
    let err =
        AuthError::new(AuthErrorCode::InvalidScope).with_required_scopes(Vec::<String>::new());
    assert_eq!(err.metadata().get(keys::REQUIRED_SCOPES).unwrap(), "");
    assert!(err.required_scopes().is_empty());
    let refused = AuthError::new(AuthErrorCode::InvalidScope)
        .with_required_scopes(["orders.read", ""])
        .try_into_status();
    assert!(
        matches!(
            &refused,
            Err(auth_error::AttachError::InvalidListItem { key, index: 1, .. }) if key == keys::REQUIRED_SCOPES
        ),
        "{refused:?}"
    );
}

#[test]
fn companions_read_back_from_a_decoded_error() {
    let status: Status = AuthError::new(AuthErrorCode::AccountLocked)
        .with_retry_after(Duration::from_secs(900))
        .add_help_link("unlock", "https://id.example.com/unlock")
        .add_help_link("contact", "mailto:it@example.com")
        .add_localized_message("fr", "Compte verrouillé")
        .into();
    let err = status.auth_error().unwrap();
    assert_eq!(err.retry_after(), Some(Duration::from_secs(900)));
    let links = err.help_links();
    assert_eq!(links.len(), 2);
    assert_eq!(links[1].url, "mailto:it@example.com");
    assert_eq!(err.localized_message().unwrap().locale, "fr");
    assert_eq!(err.client_action(), ClientAction::RetryLater);
    assert_eq!(
        AuthError::new(AuthErrorCode::AccountLocked).client_action(),
        ClientAction::ContactAdministrator
    );
    // Other codes ignore the delay for the action.
    let disabled =
        AuthError::new(AuthErrorCode::AccountDisabled).with_retry_after(Duration::from_secs(1));
    assert_eq!(disabled.client_action(), ClientAction::ContactAdministrator);
}
