//! The code table: every property of an [`AuthErrorCode`], generated from the
//! rows of `table.rs` (one row per code), so the properties, [`ALL`] and the
//! variant docs can never disagree, and a new proto value fails to compile
//! until its row is complete.
//!
//! [`ALL`]: AuthErrorCode::ALL

mod action;
mod challenge;
mod grpc_status;
#[cfg(feature = "serde")]
mod serde;

use std::fmt;
use std::str::FromStr;

pub use action::ClientAction;
pub use challenge::BearerChallenge;
pub use grpc_status::grpc_status_name;

use crate::AuthErrorCode;

/// Expands the rows of `table.rs` into `ALL` and one exhaustive `match` per
/// property. `build.rs` defines its own `code_table!` over the same file to
/// write each variant's rustdoc line.
/// The first of the actions given: a row's refined action if it has one.
macro_rules! first_action {
    ($first:ident $($rest:ident)*) => {
        ClientAction::$first
    };
}

macro_rules! code_table {
    ($(
        $variant:ident => $grpc:ident, $num:literal $http:ident, $action:ident
        $(/ $delayed:ident)?, [$($challenge:ident)?];
    )*) => {
        /// Position of each row, for tables indexed like `ALL`.
        #[allow(dead_code, clippy::enum_variant_names)]
        #[derive(Clone, Copy)]
        enum Row { $($variant),* }

        // The HTTP column states both the number and the constant; they must agree.
        $(const _: () = assert!(http::StatusCode::$http.as_u16() == $num);)*

        impl AuthErrorCode {
            /// Every value, in proto order: the seed's 24 in ascending wire
            /// number, then the codes added since, in the order they were
            /// added (`DPOP_PROOF_INVALID` = 1009 follows `UNRECOGNIZED_DEVICE`
            /// = 1604).
            ///
            /// ```
            /// use auth_error::AuthErrorCode;
            /// assert!(AuthErrorCode::ALL[..24].windows(2).all(|w| (w[0] as i32) < (w[1] as i32)));
            /// assert_eq!(AuthErrorCode::ALL[0], AuthErrorCode::NoAuthError);
            /// assert_eq!(AuthErrorCode::ALL[24], AuthErrorCode::DpopProofInvalid);
            /// ```
            pub const ALL: [AuthErrorCode; [$(stringify!($variant)),*].len()] =
                [$(AuthErrorCode::$variant),*];

            /// This code's position in [`ALL`](Self::ALL).
            #[inline]
            pub(crate) const fn index(self) -> usize {
                match self { $(AuthErrorCode::$variant => Row::$variant as usize,)* }
            }

            /// The gRPC status code a failure of this kind is reported with
            /// (see the crate's code table; `OK` for `NO_AUTH_ERROR`).
            ///
            /// ```
            /// use auth_error::AuthErrorCode;
            /// assert_eq!(AuthErrorCode::InvalidScope.grpc_code(), tonic::Code::PermissionDenied);
            /// ```
            #[inline]
            pub const fn grpc_code(self) -> tonic::Code {
                match self { $(AuthErrorCode::$variant => tonic::Code::$grpc,)* }
            }

            /// The HTTP status of the same failure, following the gRPC ↔ HTTP
            /// mapping of `google.rpc.Code`: `OK` → 200, `UNAUTHENTICATED` →
            /// 401, `PERMISSION_DENIED` → 403, `FAILED_PRECONDITION` → 400.
            ///
            /// ```
            /// use auth_error::AuthErrorCode;
            /// assert_eq!(AuthErrorCode::TokenExpired.http_status(), http::StatusCode::UNAUTHORIZED);
            /// ```
            #[inline]
            pub const fn http_status(self) -> http::StatusCode {
                match self { $(AuthErrorCode::$variant => http::StatusCode::$http,)* }
            }

            /// What a client should do when it receives this code, knowing
            /// nothing else (the code table's column); an error that carries
            /// a retry delay may refine it
            /// ([`client_action_with_retry_delay`](Self::client_action_with_retry_delay),
            /// applied by [`AuthError::client_action`](crate::AuthError::client_action)).
            /// `NO_AUTH_ERROR` yields [`ClientAction::None`].
            ///
            /// ```
            /// use auth_error::{AuthErrorCode, ClientAction};
            /// assert_eq!(AuthErrorCode::TokenExpired.client_action(), ClientAction::RefreshCredentials);
            /// ```
            #[inline]
            pub const fn client_action(self) -> ClientAction {
                match self { $(AuthErrorCode::$variant => ClientAction::$action,)* }
            }

            /// What a client should do when the error also carries a retry
            /// delay (a `google.rpc.RetryInfo`): the code table's refinement
            /// where it has one (a lock that lifts by itself is waited out,
            /// not escalated), [`client_action`](Self::client_action)
            /// otherwise.
            ///
            /// ```
            /// use auth_error::{AuthErrorCode, ClientAction};
            /// let locked = AuthErrorCode::AccountLocked;
            /// assert_eq!(locked.client_action(), ClientAction::ContactAdministrator);
            /// assert_eq!(locked.client_action_with_retry_delay(), ClientAction::RetryLater);
            /// ```
            #[inline]
            pub const fn client_action_with_retry_delay(self) -> ClientAction {
                match self {
                    $(AuthErrorCode::$variant => first_action!($($delayed)? $action),)*
                }
            }

            /// The RFC 6750 / RFC 9470 Bearer challenge of this code, if a new
            /// or better token could help (see [`BearerChallenge`]).
            ///
            /// ```
            /// use auth_error::{AuthErrorCode, BearerChallenge};
            /// assert_eq!(AuthErrorCode::InvalidScope.bearer_challenge(), Some(BearerChallenge::InsufficientScope));
            /// assert_eq!(AuthErrorCode::AccountDisabled.bearer_challenge(), None);
            /// ```
            pub const fn bearer_challenge(self) -> Option<BearerChallenge> {
                match self { $(AuthErrorCode::$variant => challenge!($($challenge)?),)* }
            }
        }
    };
}

macro_rules! challenge {
    () => {
        None
    };
    ($challenge:ident) => {
        Some(BearerChallenge::$challenge)
    };
}

include!("table.rs");

/// `(description, comment, group)` of every value in proto order, written
/// by `build.rs` from the proto's comments (see [`AuthErrorCode::description`]).
const DOCS: [(&str, &str, &str); AuthErrorCode::ALL.len()] =
    include!(concat!(env!("OUT_DIR"), "/auth_error_code_docs.rs"));

impl AuthErrorCode {
    /// A one-line, human-readable meaning, used as the status message when no
    /// message is given: the first sentence of the value's comment in the
    /// proto (the one place a code is described, which other languages'
    /// generated code shows too), first letter in lower case, no final period.
    ///
    /// The reason string and the wire number are prost's
    /// [`as_str_name`](Self::as_str_name) and `i32::from(code)`.
    ///
    /// ```
    /// use auth_error::AuthErrorCode;
    /// assert_eq!(AuthErrorCode::TokenExpired.description(), "the bearer token has expired");
    /// assert_eq!(AuthErrorCode::TokenExpired.as_str_name(), "TOKEN_EXPIRED");
    /// let number = i32::from(AuthErrorCode::TokenExpired);
    /// assert_eq!(AuthErrorCode::try_from(number), Ok(AuthErrorCode::TokenExpired));
    /// ```
    #[inline]
    pub const fn description(self) -> &'static str {
        DOCS[self.index()].0
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

    /// The proto's own words for this value: its whole leading comment, and
    /// the heading of the group it is declared in (`"Session errors"`; empty
    /// for `NO_AUTH_ERROR`), so the OpenAPI document describes each value as
    /// the proto does.
    #[cfg(feature = "utoipa")]
    pub(crate) fn proto_comment(self) -> (&'static str, &'static str) {
        let (_, comment, group) = DOCS[self.index()];
        (comment, group)
    }

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

/// How a reason read from a peer fails to name an error.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum ReasonError {
    /// Not a value name (perhaps a newer peer's).
    Unknown,
    /// `NO_AUTH_ERROR`, which is never reported as an error.
    NotAnError,
}

impl fmt::Display for AuthErrorCode {
    /// Writes the reason (`TOKEN_EXPIRED`).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str_name())
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn index_is_the_position_in_all() {
        for (i, code) in AuthErrorCode::ALL.iter().enumerate() {
            assert_eq!(code.index(), i);
        }
    }
}
