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

use crate::AuthError;
use crate::error::AttachError;

/// Declares each documented key once: its constant, its doc line, and its
/// place in [`keys::ALL`] and in the descriptions the OpenAPI document uses.
macro_rules! context_keys {
    ($($(#[doc = $doc:literal])* $name:ident = $key:literal;)*) => {
        /// The metadata keys of the documented context entries.
        pub mod keys {
            $($(#[doc = $doc])* pub const $name: &str = $key;)*

            /// Every key above, for documentation and tests.
            pub const ALL: [&str; [$($key),*].len()] = [$($name),*];

            /// The documented key equal to `key`, as a `&'static str`: stored
            /// without allocating.
            pub(crate) fn interned(key: &str) -> Option<&'static str> {
                match key {
                    $($key => Some($name),)*
                    _ => None,
                }
            }

            /// Every key with its one-line description, in the order of [`ALL`].
            #[cfg(feature = "utoipa")]
            pub(crate) const DESCRIBED: [(&str, &str); ALL.len()] =
                [$(($name, concat!($($doc),*).trim_ascii())),*];
        }
    };
}

context_keys! {
    /// Scopes the call requires (list).
    REQUIRED_SCOPES = "requiredScopes";
    /// Scopes the presented token had (list).
    PROVIDED_SCOPES = "providedScopes";
    /// Permissions the caller lacks (list).
    MISSING_PERMISSIONS = "missingPermissions";
    /// The tenant the call was made in.
    TENANT_ID = "tenantId";
    /// The identifier (`jti`) of the token, never the token itself.
    TOKEN_ID = "tokenId";
    /// The kind of token (`access`, `refresh`, `id`…).
    TOKEN_TYPE = "tokenType";
    /// When the token expired or expires (RFC 3339).
    TOKEN_EXPIRY = "tokenExpiry";
    /// The issuer concerned, one and never a list: the token's, or, when a
    /// single `JwtVerifier` refuses an issuer (`AUTH_FAILED_INVALID_ISSUER`),
    /// the one it accepts.
    ISSUER = "issuer";
    /// The audiences concerned (list): the token's, or, when `JwtVerifier`
    /// refuses an audience (`AUTH_FAILED_INVALID_AUDIENCE`), the audiences
    /// it accepts.
    AUDIENCES = "audiences";
    /// The session identifier.
    SESSION_ID = "sessionId";
    /// When the session was last active (RFC 3339).
    SESSION_LAST_ACTIVE = "sessionLastActive";
    /// The device identifier.
    DEVICE_ID = "deviceId";
    /// The MFA methods the user may complete (list, e.g. `totp webauthn`).
    MFA_METHODS = "mfaMethods";
    /// Why the second factor failed.
    MFA_FAILURE_REASON = "mfaFailureReason";
    /// Names of required claims the token lacks (list).
    MISSING_CLAIMS = "missingClaims";
    /// Names of claims whose values are invalid (list).
    INVALID_CLAIMS = "invalidClaims";
    /// Step-up (RFC 9470): the authentication context class references
    /// (`acr`) any of which would satisfy the resource (list); the client
    /// sends the user to the authorization server with `acr_values`.
    ACR_VALUES = "acrValues";
    /// Step-up (RFC 9470): the longest time since the user authenticated
    /// (`auth_time`) the resource accepts, in whole seconds; the client sends
    /// the user to the authorization server with `max_age`.
    MAX_AGE = "maxAge";
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
            self.metadata().get($key)
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
    fn with_list<I, S>(mut self, key: &'static str, items: I) -> Self
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
        self.metadata_entries()
            .insert(std::borrow::Cow::Borrowed(key), joined);
        self
    }

    list_context! {
        /// Sets the scopes the call requires ([`keys::REQUIRED_SCOPES`]).
        ///
        /// ```
        /// use auth_error::{AuthError, AuthErrorCode};
        /// let err = AuthError::new(AuthErrorCode::InvalidScope)
        ///     .with_required_scopes(["orders.read", "orders.write"]);
        /// assert_eq!(err.metadata().get("requiredScopes").unwrap(), "orders.read orders.write");
        /// assert_eq!(err.required_scopes(), ["orders.read", "orders.write"]);
        /// ```
        with_required_scopes, required_scopes, keys::REQUIRED_SCOPES;
        /// Sets the scopes the token had ([`keys::PROVIDED_SCOPES`]).
        with_provided_scopes, provided_scopes, keys::PROVIDED_SCOPES;
        /// Sets the permissions the caller lacks ([`keys::MISSING_PERMISSIONS`]).
        with_missing_permissions, missing_permissions, keys::MISSING_PERMISSIONS;
        /// Sets the audiences concerned ([`keys::AUDIENCES`]: the token's, or those accepted).
        with_audiences, audiences, keys::AUDIENCES;
        /// Sets the MFA methods the user may complete ([`keys::MFA_METHODS`]).
        with_mfa_methods, mfa_methods, keys::MFA_METHODS;
        /// Sets the names of required claims the token lacks ([`keys::MISSING_CLAIMS`]).
        with_missing_claims, missing_claims, keys::MISSING_CLAIMS;
        /// Sets the names of claims with invalid values ([`keys::INVALID_CLAIMS`]).
        with_invalid_claims, invalid_claims, keys::INVALID_CLAIMS;
        /// Sets the `acr` values any of which would satisfy the resource
        /// ([`keys::ACR_VALUES`], RFC 9470 step-up).
        ///
        /// ```
        /// use auth_error::{AuthError, AuthErrorCode};
        /// let err = AuthError::new(AuthErrorCode::MultiFactorRequired)
        ///     .with_acr_values(["urn:example:mfa", "urn:example:hwk"]);
        /// assert_eq!(err.acr_values(), ["urn:example:mfa", "urn:example:hwk"]);
        /// assert_eq!(
        ///     err.www_authenticate(None).unwrap(),
        ///     r#"Bearer error="insufficient_user_authentication", error_description="multi-factor authentication is required", acr_values="urn:example:mfa urn:example:hwk""#
        /// );
        /// ```
        with_acr_values, acr_values, keys::ACR_VALUES;
    }

    /// Sets the longest time since the user authenticated that the resource
    /// accepts ([`keys::MAX_AGE`], whole seconds, rounded down; RFC 9470
    /// step-up).
    ///
    /// ```
    /// use std::time::Duration;
    /// use auth_error::{AuthError, AuthErrorCode};
    /// let err = AuthError::new(AuthErrorCode::SessionExpired).with_max_age(Duration::from_secs(300));
    /// assert_eq!(err.metadata().get("maxAge"), Some("300"));
    /// assert_eq!(err.max_age(), Some(Duration::from_secs(300)));
    /// ```
    #[must_use]
    pub fn with_max_age(self, max_age: std::time::Duration) -> Self {
        self.with_metadata(keys::MAX_AGE, max_age.as_secs().to_string())
    }

    /// The duration under [`keys::MAX_AGE`], if present and a number of
    /// seconds.
    pub fn max_age(&self) -> Option<std::time::Duration> {
        let secs = self.metadata().get(keys::MAX_AGE)?;
        if secs.is_empty() || !secs.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        secs.parse().ok().map(std::time::Duration::from_secs)
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
        /// Sets the issuer concerned ([`keys::ISSUER`]: one issuer, never a
        /// list: naming every accepted issuer would tell anyone every tenant).
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
        /// assert_eq!(err.metadata().get("tokenExpiry").unwrap(), "2025-11-25T12:00:00Z");
        /// assert_eq!(err.token_expiry(), Some(at));
        /// ```
        with_token_expiry, token_expiry, keys::TOKEN_EXPIRY;
        /// Sets when the session was last active ([`keys::SESSION_LAST_ACTIVE`]).
        with_session_last_active, session_last_active, keys::SESSION_LAST_ACTIVE;
    }
}
