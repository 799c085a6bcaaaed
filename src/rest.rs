//! The same failure over HTTP: canonical gRPC status names and the RFC 6750
//! `WWW-Authenticate` challenge.

use http::HeaderValue;

use crate::{AuthError, AuthErrorCode, keys};

/// The canonical name of a gRPC code (`"UNAUTHENTICATED"`), as
/// `google.rpc.Code` spells it and as AIP-193 puts it in the HTTP error
/// body's `status`.
///
/// ```
/// assert_eq!(auth_error::grpc_status_name(tonic::Code::PermissionDenied), "PERMISSION_DENIED");
/// ```
pub fn grpc_status_name(code: tonic::Code) -> &'static str {
    use tonic::Code;
    match code {
        Code::Ok => "OK",
        Code::Cancelled => "CANCELLED",
        Code::Unknown => "UNKNOWN",
        Code::InvalidArgument => "INVALID_ARGUMENT",
        Code::DeadlineExceeded => "DEADLINE_EXCEEDED",
        Code::NotFound => "NOT_FOUND",
        Code::AlreadyExists => "ALREADY_EXISTS",
        Code::PermissionDenied => "PERMISSION_DENIED",
        Code::ResourceExhausted => "RESOURCE_EXHAUSTED",
        Code::FailedPrecondition => "FAILED_PRECONDITION",
        Code::Aborted => "ABORTED",
        Code::OutOfRange => "OUT_OF_RANGE",
        Code::Unimplemented => "UNIMPLEMENTED",
        Code::Internal => "INTERNAL",
        Code::Unavailable => "UNAVAILABLE",
        Code::DataLoss => "DATA_LOSS",
        Code::Unauthenticated => "UNAUTHENTICATED",
    }
}

/// The RFC 6750 (and RFC 9470) error code of the Bearer challenge for a
/// code, if the code has a challenge.
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
    /// The challenge for `code`, if any (see the table on [`BearerChallenge`]).
    pub fn for_code(code: AuthErrorCode) -> Option<Self> {
        match code {
            AuthErrorCode::BearerTokenMissing => Some(BearerChallenge::Missing),
            AuthErrorCode::AuthFailedInvalidBearerToken
            | AuthErrorCode::AuthFailedInvalidSubject
            | AuthErrorCode::AuthFailedInvalidAudience
            | AuthErrorCode::AuthFailedInvalidIssuer
            | AuthErrorCode::TokenExpired
            | AuthErrorCode::TokenNotActive
            | AuthErrorCode::TokenRevoked
            | AuthErrorCode::InvalidClaims
            | AuthErrorCode::MissingRequiredClaims
            | AuthErrorCode::SessionExpired
            | AuthErrorCode::SessionInvalid
            | AuthErrorCode::SessionRevoked
            | AuthErrorCode::Unauthenticated
            | AuthErrorCode::UnrecognizedDevice => Some(BearerChallenge::InvalidToken),
            AuthErrorCode::MultiFactorRequired | AuthErrorCode::MultiFactorFailed => {
                Some(BearerChallenge::InsufficientUserAuthentication)
            }
            AuthErrorCode::InvalidScope => Some(BearerChallenge::InsufficientScope),
            AuthErrorCode::NoAuthError
            | AuthErrorCode::InvalidPermissions
            | AuthErrorCode::AccountLocked
            | AuthErrorCode::AccountDisabled
            | AuthErrorCode::PasswordExpired
            | AuthErrorCode::PasswordResetRequired => None,
        }
    }

    /// The `error` attribute value, if any.
    pub fn error(self) -> Option<&'static str> {
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

/// RFC 6750 `error_description` and `realm` allow %x20-21 / %x23-5B / %x5D-7E:
/// printable ASCII without `"` and `\`.
fn is_attr_char(c: char) -> bool {
    matches!(c, '\x20'..='\x21' | '\x23'..='\x5b' | '\x5d'..='\x7e')
}

/// RFC 6749 scope-token: %x21 / %x23-5B / %x5D-7E.
fn is_scope_token(s: &str) -> bool {
    !s.is_empty() && s.chars().all(|c| c != ' ' && is_attr_char(c))
}

impl AuthError {
    /// The `WWW-Authenticate` value for this error (RFC 6750 Bearer, RFC 9470
    /// for step-up), or `None` when the code has no challenge.
    ///
    /// Safe quoting: `error_description` is the message when it consists only
    /// of the characters RFC 6750 allows there, otherwise the code's ASCII
    /// [`description`](AuthErrorCode::description); `scope` lists the
    /// [`required_scopes`](AuthError::required_scopes) that are valid scope
    /// tokens; `realm`, if given, keeps only allowed characters. No input can
    /// break out of a quoted string or inject a header line.
    ///
    /// ```
    /// use auth_error::{AuthError, AuthErrorCode};
    /// let err = AuthError::new(AuthErrorCode::InvalidScope).with_required_scopes(["orders.write"]);
    /// assert_eq!(
    ///     err.www_authenticate(Some("api")).unwrap(),
    ///     r#"Bearer realm="api", error="insufficient_scope", error_description="the token lacks a required scope", scope="orders.write""#
    /// );
    /// let missing = AuthError::new(AuthErrorCode::BearerTokenMissing);
    /// assert_eq!(missing.www_authenticate(None).unwrap(), "Bearer");
    /// ```
    pub fn www_authenticate(&self, realm: Option<&str>) -> Option<HeaderValue> {
        let challenge = BearerChallenge::for_code(self.code())?;
        let mut params: Vec<String> = Vec::new();
        if let Some(realm) = realm {
            let realm: String = realm.chars().filter(|c| is_attr_char(*c)).collect();
            params.push(format!("realm=\"{realm}\""));
        }
        if let Some(error) = challenge.error() {
            params.push(format!("error=\"{error}\""));
            let description =
                if !self.message().is_empty() && self.message().chars().all(is_attr_char) {
                    self.message()
                } else {
                    self.code().description()
                };
            params.push(format!("error_description=\"{description}\""));
        }
        if challenge == BearerChallenge::InsufficientScope {
            let scopes: Vec<&str> = self
                .metadata()
                .get(keys::REQUIRED_SCOPES)
                .map(|v| v.split(' ').filter(|s| is_scope_token(s)).collect())
                .unwrap_or_default();
            if !scopes.is_empty() {
                params.push(format!("scope=\"{}\"", scopes.join(" ")));
            }
        }
        let value = if params.is_empty() {
            "Bearer".to_owned()
        } else {
            format!("Bearer {}", params.join(", "))
        };
        // Every character above is visible ASCII or space.
        HeaderValue::from_str(&value).ok()
    }
}
