//! What a client should do about a failure.

use std::fmt;

/// What a client should do when a call fails with a given
/// [`AuthErrorCode`](crate::AuthErrorCode).
///
/// Obtained from [`AuthErrorCode::client_action`](crate::AuthErrorCode::client_action)
/// or, refined by the error's extra details, from
/// [`AuthError::client_action`](crate::AuthError::client_action). Which
/// code calls for which action is the code table's column (docs/codes.md's
/// table, and each variant's documentation line); the variants below say
/// what the action means.
///
/// ```
/// use auth_error::{AuthErrorCode, ClientAction};
/// match AuthErrorCode::TokenExpired.client_action() {
///     ClientAction::RefreshCredentials => { /* refresh the token once, then retry */ }
///     other => panic!("give up: {other}"),
/// }
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(rename_all = "snake_case"))]
pub enum ClientAction {
    /// Nothing to do: `NO_AUTH_ERROR` is not a failure.
    None,
    /// The call carried no credentials: attach them and retry
    /// (`BEARER_TOKEN_MISSING`).
    ProvideCredentials,
    /// The credentials expired: refresh them (e.g. with a refresh token) and
    /// retry once (`TOKEN_EXPIRED`).
    RefreshCredentials,
    /// Retry the same call later, after the attached retry delay if any
    /// (a clock skew, a lock that lifts by itself).
    RetryLater,
    /// The credentials or session cannot be repaired: sign in again from
    /// scratch (invalid or revoked tokens and sessions, bad claims, wrong
    /// subject, audience or issuer, `UNAUTHENTICATED`). A `SESSION_EXPIRED`
    /// that carries [`max_age`](crate::AuthError::max_age) is an RFC 9470
    /// step-up: send the user to the authorization server with that
    /// `max_age` (a fresh login), then retry with the new token.
    Reauthenticate,
    /// Complete or repeat the second factor (`MULTI_FACTOR_REQUIRED`,
    /// `MULTI_FACTOR_FAILED`). With RFC 9470 step-up context, send the user
    /// to the authorization server with the error's
    /// [`acr_values`](crate::AuthError::acr_values) (and
    /// [`max_age`](crate::AuthError::max_age) when present) as the request's
    /// `acr_values` / `max_age`, then retry with the new token. Never
    /// retried automatically: the user must act.
    CompleteMultiFactor,
    /// Verify the device through the out-of-band flow
    /// (`UNRECOGNIZED_DEVICE`).
    VerifyDevice,
    /// Have the user change the password first (`PASSWORD_EXPIRED`,
    /// `PASSWORD_RESET_REQUIRED`).
    ChangePassword,
    /// Ask for the missing scope or permission; retrying as is will fail
    /// (`INVALID_SCOPE`, `INVALID_PERMISSIONS`).
    RequestAccess,
    /// Only an administrator can help.
    ContactAdministrator,
    /// Retry once, at once, with a new DPoP proof carrying the nonce the
    /// server sent (`DPOP_NONCE_REQUIRED`: the `DPoP-Nonce` header, or the
    /// `dpop-nonce` response metadata on gRPC). A new action because none
    /// of the others fits: [`RetryLater`](Self::RetryLater) waits and resends
    /// the same call, [`ProvideCredentials`](Self::ProvideCredentials)
    /// means none were sent; here the credentials are fine and the retry is
    /// immediate but different (RFC 9449 §8).
    RetryWithNonce,
}

impl ClientAction {
    /// The stable `snake_case` name of the action (`"refresh_credentials"`).
    ///
    /// ```
    /// assert_eq!(auth_error::ClientAction::RetryLater.as_str(), "retry_later");
    /// ```
    pub const fn as_str(self) -> &'static str {
        match self {
            ClientAction::None => "none",
            ClientAction::ProvideCredentials => "provide_credentials",
            ClientAction::RefreshCredentials => "refresh_credentials",
            ClientAction::RetryLater => "retry_later",
            ClientAction::Reauthenticate => "reauthenticate",
            ClientAction::CompleteMultiFactor => "complete_multi_factor",
            ClientAction::VerifyDevice => "verify_device",
            ClientAction::ChangePassword => "change_password",
            ClientAction::RequestAccess => "request_access",
            ClientAction::ContactAdministrator => "contact_administrator",
            ClientAction::RetryWithNonce => "retry_with_nonce",
        }
    }
}

impl fmt::Display for ClientAction {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}
