//! The code table: every property of an [`AuthErrorCode`], one exhaustive
//! `match` per property, so a new proto value fails to compile until it is
//! mapped.

use std::fmt;
use std::str::FromStr;

use crate::{AuthErrorCode, ClientAction};

impl AuthErrorCode {
    /// Every value, in proto order (ascending wire number).
    ///
    /// ```
    /// use auth_error::AuthErrorCode;
    /// assert_eq!(AuthErrorCode::ALL.len(), 24);
    /// assert_eq!(AuthErrorCode::ALL[0], AuthErrorCode::NoAuthError);
    /// ```
    pub const ALL: [AuthErrorCode; 24] = [
        AuthErrorCode::NoAuthError,
        AuthErrorCode::AuthFailedInvalidBearerToken,
        AuthErrorCode::AuthFailedInvalidSubject,
        AuthErrorCode::AuthFailedInvalidAudience,
        AuthErrorCode::AuthFailedInvalidIssuer,
        AuthErrorCode::BearerTokenMissing,
        AuthErrorCode::TokenExpired,
        AuthErrorCode::TokenNotActive,
        AuthErrorCode::TokenRevoked,
        AuthErrorCode::InvalidClaims,
        AuthErrorCode::MissingRequiredClaims,
        AuthErrorCode::InvalidScope,
        AuthErrorCode::InvalidPermissions,
        AuthErrorCode::SessionExpired,
        AuthErrorCode::SessionInvalid,
        AuthErrorCode::SessionRevoked,
        AuthErrorCode::Unauthenticated,
        AuthErrorCode::MultiFactorRequired,
        AuthErrorCode::MultiFactorFailed,
        AuthErrorCode::AccountLocked,
        AuthErrorCode::AccountDisabled,
        AuthErrorCode::PasswordExpired,
        AuthErrorCode::PasswordResetRequired,
        AuthErrorCode::UnrecognizedDevice,
    ];

    /// The `google.rpc.ErrorInfo.reason` for this code: the proto value name,
    /// exactly (`"TOKEN_EXPIRED"`). Same as [`as_str_name`](Self::as_str_name).
    ///
    /// ```
    /// use auth_error::AuthErrorCode;
    /// assert_eq!(AuthErrorCode::TokenExpired.reason(), "TOKEN_EXPIRED");
    /// ```
    pub fn reason(self) -> &'static str {
        self.as_str_name()
    }

    /// The wire number of this value (fixed forever).
    ///
    /// ```
    /// use auth_error::AuthErrorCode;
    /// assert_eq!(AuthErrorCode::TokenExpired.number(), 1006);
    /// ```
    pub fn number(self) -> i32 {
        self as i32
    }

    /// Whether this value is an error, that is anything but
    /// [`NoAuthError`](AuthErrorCode::NoAuthError).
    ///
    /// ```
    /// use auth_error::AuthErrorCode;
    /// assert!(AuthErrorCode::TokenExpired.is_error());
    /// assert!(!AuthErrorCode::NoAuthError.is_error());
    /// ```
    pub fn is_error(self) -> bool {
        self != AuthErrorCode::NoAuthError
    }

    /// The gRPC status code a failure of this kind is reported with.
    ///
    /// | codes | gRPC code | why |
    /// |---|---|---|
    /// | `NO_AUTH_ERROR` | `OK` | not an error |
    /// | `INVALID_SCOPE`, `INVALID_PERMISSIONS`, `ACCOUNT_LOCKED`, `ACCOUNT_DISABLED` | `PERMISSION_DENIED` | the caller is known, but may not do this |
    /// | `PASSWORD_EXPIRED`, `PASSWORD_RESET_REQUIRED` | `FAILED_PRECONDITION` | retrying is useless until the password changes |
    /// | every other code | `UNAUTHENTICATED` | the caller's identity could not be established |
    ///
    /// ```
    /// use auth_error::AuthErrorCode;
    /// assert_eq!(AuthErrorCode::InvalidScope.grpc_code(), tonic::Code::PermissionDenied);
    /// ```
    pub fn grpc_code(self) -> tonic::Code {
        use tonic::Code;
        match self {
            AuthErrorCode::NoAuthError => Code::Ok,
            AuthErrorCode::InvalidScope
            | AuthErrorCode::InvalidPermissions
            | AuthErrorCode::AccountLocked
            | AuthErrorCode::AccountDisabled => Code::PermissionDenied,
            AuthErrorCode::PasswordExpired | AuthErrorCode::PasswordResetRequired => {
                Code::FailedPrecondition
            }
            AuthErrorCode::AuthFailedInvalidBearerToken
            | AuthErrorCode::AuthFailedInvalidSubject
            | AuthErrorCode::AuthFailedInvalidAudience
            | AuthErrorCode::AuthFailedInvalidIssuer
            | AuthErrorCode::BearerTokenMissing
            | AuthErrorCode::TokenExpired
            | AuthErrorCode::TokenNotActive
            | AuthErrorCode::TokenRevoked
            | AuthErrorCode::InvalidClaims
            | AuthErrorCode::MissingRequiredClaims
            | AuthErrorCode::SessionExpired
            | AuthErrorCode::SessionInvalid
            | AuthErrorCode::SessionRevoked
            | AuthErrorCode::Unauthenticated
            | AuthErrorCode::MultiFactorRequired
            | AuthErrorCode::MultiFactorFailed
            | AuthErrorCode::UnrecognizedDevice => Code::Unauthenticated,
        }
    }

    /// The HTTP status of the same failure, following the gRPC ↔ HTTP mapping
    /// of `google.rpc.Code`: `OK` → 200, `UNAUTHENTICATED` → 401,
    /// `PERMISSION_DENIED` → 403, `FAILED_PRECONDITION` → 400.
    ///
    /// ```
    /// use auth_error::AuthErrorCode;
    /// assert_eq!(AuthErrorCode::TokenExpired.http_status(), http::StatusCode::UNAUTHORIZED);
    /// ```
    pub fn http_status(self) -> http::StatusCode {
        use http::StatusCode;
        match self.grpc_code() {
            tonic::Code::Ok => StatusCode::OK,
            tonic::Code::PermissionDenied => StatusCode::FORBIDDEN,
            tonic::Code::FailedPrecondition => StatusCode::BAD_REQUEST,
            // `grpc_code` yields only the four codes above; UNAUTHENTICATED is
            // the remaining one, and the safe default for anything else.
            _ => StatusCode::UNAUTHORIZED,
        }
    }

    /// A one-line, human-readable meaning, used as the status message when no
    /// message is given.
    ///
    /// ```
    /// use auth_error::AuthErrorCode;
    /// assert_eq!(AuthErrorCode::TokenExpired.description(), "the bearer token has expired");
    /// ```
    pub fn description(self) -> &'static str {
        match self {
            AuthErrorCode::NoAuthError => "no authentication error",
            AuthErrorCode::AuthFailedInvalidBearerToken => "the bearer token is invalid",
            AuthErrorCode::AuthFailedInvalidSubject => "the token subject is not valid",
            AuthErrorCode::AuthFailedInvalidAudience => {
                "the token audience does not include this service"
            }
            AuthErrorCode::AuthFailedInvalidIssuer => "the token issuer is not trusted",
            AuthErrorCode::BearerTokenMissing => "the request carries no bearer token",
            AuthErrorCode::TokenExpired => "the bearer token has expired",
            AuthErrorCode::TokenNotActive => "the bearer token is not valid yet",
            AuthErrorCode::TokenRevoked => "the bearer token has been revoked",
            AuthErrorCode::InvalidClaims => "the token has invalid claims",
            AuthErrorCode::MissingRequiredClaims => "the token lacks required claims",
            AuthErrorCode::InvalidScope => "the token lacks a required scope",
            AuthErrorCode::InvalidPermissions => "the caller lacks a required permission",
            AuthErrorCode::SessionExpired => "the session has expired",
            AuthErrorCode::SessionInvalid => "the session is invalid",
            AuthErrorCode::SessionRevoked => "the session has been revoked",
            AuthErrorCode::Unauthenticated => "authentication failed",
            AuthErrorCode::MultiFactorRequired => "multi-factor authentication is required",
            AuthErrorCode::MultiFactorFailed => "multi-factor authentication failed",
            AuthErrorCode::AccountLocked => {
                "the account is locked after too many failed login attempts"
            }
            AuthErrorCode::AccountDisabled => "the account has been disabled by an administrator",
            AuthErrorCode::PasswordExpired => "the password has expired and must be changed",
            AuthErrorCode::PasswordResetRequired => "a password reset is required",
            AuthErrorCode::UnrecognizedDevice => "the login comes from an unrecognized device",
        }
    }

    /// What a client should do when it receives this code, knowing nothing
    /// else. For `ACCOUNT_LOCKED` this is
    /// [`ContactAdministrator`](ClientAction::ContactAdministrator); an
    /// [`AuthError`](crate::AuthError) that carries a retry delay refines it to
    /// [`RetryLater`](ClientAction::RetryLater) (see
    /// [`AuthError::client_action`](crate::AuthError::client_action)).
    /// `NO_AUTH_ERROR` yields [`ClientAction::None`].
    ///
    /// ```
    /// use auth_error::{AuthErrorCode, ClientAction};
    /// assert_eq!(AuthErrorCode::TokenExpired.client_action(), ClientAction::RefreshCredentials);
    /// ```
    pub fn client_action(self) -> ClientAction {
        match self {
            AuthErrorCode::NoAuthError => ClientAction::None,
            AuthErrorCode::BearerTokenMissing => ClientAction::ProvideCredentials,
            AuthErrorCode::TokenExpired => ClientAction::RefreshCredentials,
            AuthErrorCode::TokenNotActive => ClientAction::RetryLater,
            AuthErrorCode::AuthFailedInvalidBearerToken
            | AuthErrorCode::AuthFailedInvalidSubject
            | AuthErrorCode::AuthFailedInvalidAudience
            | AuthErrorCode::AuthFailedInvalidIssuer
            | AuthErrorCode::TokenRevoked
            | AuthErrorCode::InvalidClaims
            | AuthErrorCode::MissingRequiredClaims
            | AuthErrorCode::SessionExpired
            | AuthErrorCode::SessionInvalid
            | AuthErrorCode::SessionRevoked
            | AuthErrorCode::Unauthenticated => ClientAction::Reauthenticate,
            AuthErrorCode::MultiFactorRequired | AuthErrorCode::MultiFactorFailed => {
                ClientAction::CompleteMultiFactor
            }
            AuthErrorCode::UnrecognizedDevice => ClientAction::VerifyDevice,
            AuthErrorCode::PasswordExpired | AuthErrorCode::PasswordResetRequired => {
                ClientAction::ChangePassword
            }
            AuthErrorCode::InvalidScope | AuthErrorCode::InvalidPermissions => {
                ClientAction::RequestAccess
            }
            AuthErrorCode::AccountDisabled | AuthErrorCode::AccountLocked => {
                ClientAction::ContactAdministrator
            }
        }
    }
}

/// How a reason read from a peer fails to name an error.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum ReasonError {
    /// Not a value name (perhaps a newer peer's).
    Unknown,
    /// `NO_AUTH_ERROR`, which is never reported as an error.
    NotAnError,
}

impl AuthErrorCode {
    /// The error a reason read from a peer names. Every reader (lenient,
    /// strict, JSON) classifies reasons here, so they cannot disagree.
    pub(crate) fn from_peer_reason(reason: &str) -> Result<Self, ReasonError> {
        match AuthErrorCode::from_str_name(reason) {
            Some(AuthErrorCode::NoAuthError) => Err(ReasonError::NotAnError),
            Some(code) => Ok(code),
            None => Err(ReasonError::Unknown),
        }
    }
}

impl fmt::Display for AuthErrorCode {
    /// Writes the reason (`TOKEN_EXPIRED`).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.reason())
    }
}

impl FromStr for AuthErrorCode {
    type Err = ParseAuthErrorCodeError;

    /// Parses an exact reason (`"TOKEN_EXPIRED"`); case and whitespace matter,
    /// as they do on the wire.
    ///
    /// ```
    /// use auth_error::AuthErrorCode;
    /// assert_eq!("TOKEN_EXPIRED".parse::<AuthErrorCode>().unwrap(), AuthErrorCode::TokenExpired);
    /// let err = "token_expired".parse::<AuthErrorCode>().unwrap_err();
    /// assert_eq!(err.to_string(), "unknown auth error code `token_expired`");
    /// ```
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        AuthErrorCode::from_str_name(s).ok_or_else(|| ParseAuthErrorCodeError {
            input: s.to_owned(),
        })
    }
}

/// The error of [`AuthErrorCode::from_str`]: the text is not a value name.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ParseAuthErrorCodeError {
    input: String,
}

impl ParseAuthErrorCodeError {
    /// The text that was not a value name.
    pub fn input(&self) -> &str {
        &self.input
    }
}

impl fmt::Display for ParseAuthErrorCodeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "unknown auth error code `{}`", self.input.escape_debug())
    }
}

impl std::error::Error for ParseAuthErrorCodeError {}
