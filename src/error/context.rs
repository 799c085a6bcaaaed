//! Rich context, the standard way: the upstream schema's token, scope,
//! session and MFA context carried as ErrorInfo metadata under documented
//! lowerCamelCase keys, with typed builders and getters on [`AuthError`].
//!
//! List values (scopes, permissions, audiences, MFA methods) are encoded as
//! their items joined by one space, like OAuth's `scope` parameter, so every
//! language splits them with its plain string split. Items therefore may not
//! be empty or contain whitespace; such an item makes
//! [`try_into_status`](AuthError::try_into_status) fail with
//! [`AttachError::InvalidListItem`] (and is left out by the lenient `From`).
//!
//! Times are RFC 3339 in UTC with whole seconds (`2026-11-25T12:00:00Z`).

use std::time::SystemTime;

use crate::{AttachError, AuthError};

/// The metadata keys of the documented context entries.
pub mod keys {
    /// Scopes the call requires (list).
    pub const REQUIRED_SCOPES: &str = "requiredScopes";
    /// Scopes the presented token had (list).
    pub const PROVIDED_SCOPES: &str = "providedScopes";
    /// Permissions the caller lacks (list).
    pub const MISSING_PERMISSIONS: &str = "missingPermissions";
    /// The tenant the call was made in.
    pub const TENANT_ID: &str = "tenantId";
    /// The identifier (`jti`) of the token, never the token itself.
    pub const TOKEN_ID: &str = "tokenId";
    /// The kind of token (`access`, `refresh`, `id`…).
    pub const TOKEN_TYPE: &str = "tokenType";
    /// When the token expired or expires (RFC 3339).
    pub const TOKEN_EXPIRY: &str = "tokenExpiry";
    /// The token's issuer.
    pub const ISSUER: &str = "issuer";
    /// The token's audiences (list).
    pub const AUDIENCES: &str = "audiences";
    /// The session identifier.
    pub const SESSION_ID: &str = "sessionId";
    /// When the session was last active (RFC 3339).
    pub const SESSION_LAST_ACTIVE: &str = "sessionLastActive";
    /// The device identifier.
    pub const DEVICE_ID: &str = "deviceId";
    /// The MFA methods the user may complete (list, e.g. `totp webauthn`).
    pub const MFA_METHODS: &str = "mfaMethods";
    /// Why the second factor failed.
    pub const MFA_FAILURE_REASON: &str = "mfaFailureReason";
    /// Names of required claims the token lacks (list).
    pub const MISSING_CLAIMS: &str = "missingClaims";
    /// Names of claims whose values are invalid (list).
    pub const INVALID_CLAIMS: &str = "invalidClaims";

    /// Every key above, for documentation and tests.
    pub const ALL: [&str; 16] = [
        REQUIRED_SCOPES,
        PROVIDED_SCOPES,
        MISSING_PERMISSIONS,
        TENANT_ID,
        TOKEN_ID,
        TOKEN_TYPE,
        TOKEN_EXPIRY,
        ISSUER,
        AUDIENCES,
        SESSION_ID,
        SESSION_LAST_ACTIVE,
        DEVICE_ID,
        MFA_METHODS,
        MFA_FAILURE_REASON,
        MISSING_CLAIMS,
        INVALID_CLAIMS,
    ];
}

/// Splits a list value as written by the typed builders.
///
/// ```
/// assert_eq!(auth_error::split_list("read write"), vec!["read", "write"]);
/// assert!(auth_error::split_list("").is_empty());
/// ```
pub fn split_list(value: &str) -> Vec<&str> {
    value.split(' ').filter(|s| !s.is_empty()).collect()
}

macro_rules! text_context {
    ($($(#[$doc:meta])* $with:ident, $get:ident, $key:path;)*) => {$(
        $(#[$doc])*
        #[must_use]
        pub fn $with(self, value: impl Into<String>) -> Self {
            self.with_metadata($key, value)
        }

        #[doc = concat!("The value under [`", stringify!($key), "`], if any.")]
        pub fn $get(&self) -> Option<&str> {
            self.metadata().get($key).map(String::as_str)
        }
    )*};
}

macro_rules! list_context {
    ($($(#[$doc:meta])* $with:ident, $get:ident, $key:path;)*) => {$(
        $(#[$doc])*
        #[must_use]
        pub fn $with<I, S>(self, items: I) -> Self
        where
            I: IntoIterator<Item = S>,
            S: Into<String>,
        {
            self.with_list($key, items)
        }

        #[doc = concat!("The items under [`", stringify!($key), "`] (empty if absent).")]
        pub fn $get(&self) -> Vec<&str> {
            self.metadata().get($key).map_or_else(Vec::new, |v| split_list(v))
        }
    )*};
}

macro_rules! time_context {
    ($($(#[$doc:meta])* $with:ident, $get:ident, $key:path;)*) => {$(
        $(#[$doc])*
        #[must_use]
        pub fn $with(self, time: SystemTime) -> Self {
            self.with_metadata($key, humantime::format_rfc3339_seconds(time).to_string())
        }

        #[doc = concat!("The time under [`", stringify!($key), "`], if present and RFC 3339.")]
        pub fn $get(&self) -> Option<SystemTime> {
            humantime::parse_rfc3339_weak(self.metadata().get($key)?).ok()
        }
    )*};
}

impl AuthError {
    fn with_list<I, S>(mut self, key: &str, items: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        let mut joined = String::new();
        for (index, item) in items.into_iter().enumerate() {
            let item = item.into();
            if item.is_empty() || item.chars().any(char::is_whitespace) {
                self.pending
                    .get_or_insert(Box::new(AttachError::InvalidListItem {
                        key: key.to_owned(),
                        index,
                    }));
                return self;
            }
            if !joined.is_empty() {
                joined.push(' ');
            }
            joined.push_str(&item);
        }
        self.metadata_entries().insert(key.to_owned(), joined);
        self
    }

    list_context! {
        /// Sets the scopes the call requires ([`keys::REQUIRED_SCOPES`]).
        ///
        /// ```
        /// use auth_error::{AuthError, AuthErrorCode};
        /// let err = AuthError::new(AuthErrorCode::InvalidScope)
        ///     .with_required_scopes(["orders.read", "orders.write"]);
        /// assert_eq!(err.metadata()["requiredScopes"], "orders.read orders.write");
        /// assert_eq!(err.required_scopes(), ["orders.read", "orders.write"]);
        /// ```
        with_required_scopes, required_scopes, keys::REQUIRED_SCOPES;
        /// Sets the scopes the token had ([`keys::PROVIDED_SCOPES`]).
        with_provided_scopes, provided_scopes, keys::PROVIDED_SCOPES;
        /// Sets the permissions the caller lacks ([`keys::MISSING_PERMISSIONS`]).
        with_missing_permissions, missing_permissions, keys::MISSING_PERMISSIONS;
        /// Sets the token's audiences ([`keys::AUDIENCES`]).
        with_audiences, audiences, keys::AUDIENCES;
        /// Sets the MFA methods the user may complete ([`keys::MFA_METHODS`]).
        with_mfa_methods, mfa_methods, keys::MFA_METHODS;
        /// Sets the names of required claims the token lacks ([`keys::MISSING_CLAIMS`]).
        with_missing_claims, missing_claims, keys::MISSING_CLAIMS;
        /// Sets the names of claims with invalid values ([`keys::INVALID_CLAIMS`]).
        with_invalid_claims, invalid_claims, keys::INVALID_CLAIMS;
    }

    text_context! {
        /// Sets the tenant ([`keys::TENANT_ID`]).
        ///
        /// ```
        /// use auth_error::{AuthError, AuthErrorCode};
        /// let err = AuthError::new(AuthErrorCode::InvalidPermissions).with_tenant_id("acme");
        /// assert_eq!(err.tenant_id(), Some("acme"));
        /// ```
        with_tenant_id, tenant_id, keys::TENANT_ID;
        /// Sets the token identifier, `jti` ([`keys::TOKEN_ID`]). Never the token.
        with_token_id, token_id, keys::TOKEN_ID;
        /// Sets the token kind ([`keys::TOKEN_TYPE`]).
        with_token_type, token_type, keys::TOKEN_TYPE;
        /// Sets the token issuer ([`keys::ISSUER`]).
        with_issuer, issuer, keys::ISSUER;
        /// Sets the session identifier ([`keys::SESSION_ID`]).
        with_session_id, session_id, keys::SESSION_ID;
        /// Sets the device identifier ([`keys::DEVICE_ID`]).
        with_device_id, device_id, keys::DEVICE_ID;
        /// Sets why the second factor failed ([`keys::MFA_FAILURE_REASON`]).
        with_mfa_failure_reason, mfa_failure_reason, keys::MFA_FAILURE_REASON;
    }

    time_context! {
        /// Sets when the token expired ([`keys::TOKEN_EXPIRY`], RFC 3339).
        ///
        /// ```
        /// use std::time::{Duration, UNIX_EPOCH};
        /// use auth_error::{AuthError, AuthErrorCode};
        /// let at = UNIX_EPOCH + Duration::from_secs(1_764_072_000);
        /// let err = AuthError::new(AuthErrorCode::TokenExpired).with_token_expiry(at);
        /// assert_eq!(err.metadata()["tokenExpiry"], "2025-11-25T12:00:00Z");
        /// assert_eq!(err.token_expiry(), Some(at));
        /// ```
        with_token_expiry, token_expiry, keys::TOKEN_EXPIRY;
        /// Sets when the session was last active ([`keys::SESSION_LAST_ACTIVE`]).
        with_session_last_active, session_last_active, keys::SESSION_LAST_ACTIVE;
    }
}
