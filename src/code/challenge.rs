//! The Bearer challenge a code answers with over HTTP (the enum; the header
//! itself is written in `http::challenge`).

use crate::AuthErrorCode;

/// The RFC 6750 (and RFC 9470) error code of the Bearer challenge for a
/// code, if the code has a challenge. Which code has which is a column of
/// the code table (each variant's documentation line states it); a code
/// without one is a failure a new token would not help with.
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
    /// RFC 9449: the `DPoP` scheme with `error="invalid_dpop_proof"`.
    InvalidDpopProof,
    /// RFC 9449: the `DPoP` scheme with `error="use_dpop_nonce"` (and the
    /// nonce in a `DPoP-Nonce` header).
    UseDpopNonce,
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
            BearerChallenge::InvalidDpopProof => Some("invalid_dpop_proof"),
            BearerChallenge::UseDpopNonce => Some("use_dpop_nonce"),
        }
    }

    /// The authentication scheme of the challenge: `DPoP` for the RFC 9449
    /// errors, `Bearer` for the others.
    ///
    /// ```
    /// use auth_error::BearerChallenge;
    /// assert_eq!(BearerChallenge::UseDpopNonce.scheme(), "DPoP");
    /// assert_eq!(BearerChallenge::InvalidToken.scheme(), "Bearer");
    /// ```
    pub const fn scheme(self) -> &'static str {
        match self {
            BearerChallenge::InvalidDpopProof | BearerChallenge::UseDpopNonce => "DPoP",
            _ => "Bearer",
        }
    }
}
