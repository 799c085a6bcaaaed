//! The Bearer challenge a code answers with over HTTP (the enum; the header
//! itself is written in `http::challenge`).

use crate::AuthErrorCode;

/// The RFC 6750 (and RFC 9470) error code of the Bearer challenge for a
/// code, if the code has a challenge (a column of the code table).
///
/// | codes | challenge |
/// |---|---|
/// | `BEARER_TOKEN_MISSING` | `Bearer` without an error attribute (RFC 6750 §3.1: the request lacked authentication) |
/// | token, claim and session errors, `UNAUTHENTICATED`, `UNRECOGNIZED_DEVICE` (401) | `invalid_token` |
/// | `MULTI_FACTOR_REQUIRED`, `MULTI_FACTOR_FAILED` (401) | `insufficient_user_authentication` (RFC 9470) |
/// | `INVALID_SCOPE` (403) | `insufficient_scope`, with the required scopes |
/// | `INVALID_PERMISSIONS`, `ACCOUNT_*`, `PASSWORD_*`, `NO_AUTH_ERROR` | no challenge: a new token would not help |
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum BearerChallenge {
    /// `Bearer` with no `error` attribute.
    Missing,
    /// `error="invalid_token"`.
    InvalidToken,
    /// `error="insufficient_scope"`.
    InsufficientScope,
    /// `error="insufficient_user_authentication"` (RFC 9470).
    InsufficientUserAuthentication,
}

impl BearerChallenge {
    /// The challenge for `code`, if any (see the table on [`BearerChallenge`]);
    /// the same as [`AuthErrorCode::bearer_challenge`].
    ///
    /// ```
    /// use auth_error::{AuthErrorCode, BearerChallenge};
    /// assert_eq!(BearerChallenge::for_code(AuthErrorCode::TokenExpired), Some(BearerChallenge::InvalidToken));
    /// ```
    pub const fn for_code(code: AuthErrorCode) -> Option<Self> {
        code.bearer_challenge()
    }

    /// The `error` attribute value, if any.
    ///
    /// ```
    /// use auth_error::BearerChallenge;
    /// assert_eq!(BearerChallenge::InsufficientScope.error(), Some("insufficient_scope"));
    /// assert_eq!(BearerChallenge::Missing.error(), None);
    /// ```
    pub const fn error(self) -> Option<&'static str> {
        match self {
            BearerChallenge::Missing => None,
            BearerChallenge::InvalidToken => Some("invalid_token"),
            BearerChallenge::InsufficientScope => Some("insufficient_scope"),
            BearerChallenge::InsufficientUserAuthentication => {
                Some("insufficient_user_authentication")
            }
        }
    }
}
