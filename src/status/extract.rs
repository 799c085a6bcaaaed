//! Extract: the extension trait that reads an [`AuthError`] back out of a
//! `tonic::Status`, and [`ExtractError`], what its strict reader reports.

use std::fmt;

use tonic::Status;

use crate::code::ReasonError;
use crate::wire::decode::{self, ErrorInfoView, Scan, WireError};
use crate::{AuthError, AuthErrorCode, DOMAIN};

/// Reads the auth error carried by a `tonic::Status`.
///
/// This trait is sealed: it is implemented for `tonic::Status` only and cannot
/// be implemented outside this crate.
///
/// Lenient readers (`auth_error*`) return `None` for anything but a
/// well-formed error of the requested domain; the strict reader
/// ([`check_auth_error`](Self::check_auth_error)) says what is wrong. Neither
/// ever panics, and each reads the details in one bounded pass.
///
/// | details | lenient | strict |
/// |---|---|---|
/// | none, or no ErrorInfo of the domain | `None` | `Ok(None)` |
/// | first ErrorInfo of the domain, known reason | `Some` | `Ok(Some)` |
/// | unknown reason (a newer peer), or `NO_AUTH_ERROR` | `None` | `Err` naming it |
/// | not a `google.rpc.Status`, truncated | `None` | `Err(Malformed)` |
/// | an ErrorInfo `Any` whose value is garbage, before ours | skipped | `Err(InvalidErrorInfo)` |
/// | embedded code or message differs from the status' | ignored | `Err(…Mismatch)` |
///
/// ```
/// use auth_error::{AuthError, AuthErrorCode, AuthStatusExt};
///
/// let status: tonic::Status = AuthError::new(AuthErrorCode::TokenExpired).into();
/// assert_eq!(status.auth_error_code(), Some(AuthErrorCode::TokenExpired));
/// assert!(status.check_auth_error().unwrap().is_some());
///
/// let plain = tonic::Status::unauthenticated("no details");
/// assert_eq!(plain.auth_error(), None);
/// assert_eq!(plain.check_auth_error(), Ok(None));
/// ```
pub trait AuthStatusExt: crate::sealed::Sealed {
    /// The error of domain [`DOMAIN`], leniently.
    fn auth_error(&self) -> Option<AuthError>;

    /// The error of `domain`, leniently.
    fn auth_error_in(&self, domain: &str) -> Option<AuthError>;

    /// Only the code of domain [`DOMAIN`], leniently, without allocating.
    /// Always equal to `self.auth_error().map(|e| e.code())`.
    fn auth_error_code(&self) -> Option<AuthErrorCode>;

    /// The error of domain [`DOMAIN`], strictly.
    fn check_auth_error(&self) -> Result<Option<AuthError>, ExtractError>;

    /// The error of `domain`, strictly.
    fn check_auth_error_in(&self, domain: &str) -> Result<Option<AuthError>, ExtractError>;
}

impl crate::sealed::Sealed for Status {}

/// The code of the found ErrorInfo, if it is a known error reason.
fn known_code(scan: &Scan<'_>) -> Option<AuthErrorCode> {
    let (_, info) = scan.found?;
    let reason = std::str::from_utf8(info.reason).ok()?;
    AuthErrorCode::from_peer_reason(reason).ok()
}

/// Builds the owned error for the ErrorInfo found at `index`, through the
/// public builder. Leniently, a metadata entry or companion that is not
/// well-formed is left out (the peer's fault); strictly, it is an error.
fn build(
    status: &Status,
    (index, info): (usize, ErrorInfoView<'_>),
    code: AuthErrorCode,
    domain: &str,
    strict: bool,
) -> Result<AuthError, ExtractError> {
    let mut err = AuthError::new(code).with_message(status.message());
    if domain != DOMAIN {
        err = err.with_domain(domain);
    }
    for entry in info.metadata() {
        match entry {
            Ok((k, v)) => err = err.with_metadata(k, v),
            Err(_) if strict => return Err(ExtractError::InvalidErrorInfo { index }),
            Err(_) => {}
        }
    }
    for (i, any) in decode::details(status.details()).enumerate() {
        if i == index {
            continue;
        }
        match std::str::from_utf8(any.type_url) {
            Ok(type_url) => {
                err = err.with_detail(prost_types::Any {
                    type_url: type_url.to_owned(),
                    value: any.value.to_vec(),
                })
            }
            Err(_) if strict => {
                return Err(ExtractError::Malformed {
                    what: WireError::Utf8.describe(),
                });
            }
            Err(_) => {}
        }
    }
    Ok(err)
}

impl AuthStatusExt for Status {
    fn auth_error(&self) -> Option<AuthError> {
        self.auth_error_in(DOMAIN)
    }

    fn auth_error_in(&self, domain: &str) -> Option<AuthError> {
        let scan = decode::scan(self.details(), domain).ok()?;
        let code = known_code(&scan)?;
        build(self, scan.found?, code, domain, false).ok()
    }

    fn auth_error_code(&self) -> Option<AuthErrorCode> {
        known_code(&decode::scan(self.details(), DOMAIN).ok()?)
    }

    fn check_auth_error(&self) -> Result<Option<AuthError>, ExtractError> {
        self.check_auth_error_in(DOMAIN)
    }

    fn check_auth_error_in(&self, domain: &str) -> Result<Option<AuthError>, ExtractError> {
        if self.details().is_empty() {
            return Ok(None);
        }
        let scan = decode::scan(self.details(), domain)
            .map_err(|e| ExtractError::Malformed { what: e.describe() })?;
        if std::str::from_utf8(scan.message).is_err() {
            return Err(ExtractError::Malformed {
                what: WireError::Utf8.describe(),
            });
        }
        if scan.code != self.code() as i32 {
            return Err(ExtractError::CodeMismatch {
                status: self.code(),
                details: scan.code,
            });
        }
        // Equal bytes also prove the embedded message is valid UTF-8.
        if scan.message != self.message().as_bytes() {
            return Err(ExtractError::MessageMismatch {
                status: self.message().to_owned(),
                details: String::from_utf8_lossy(scan.message).into_owned(),
            });
        }
        if let Some(index) = scan.garbled_error_info
            && scan.found.is_none_or(|(found, _)| index < found)
        {
            return Err(ExtractError::InvalidErrorInfo { index });
        }
        let Some(found @ (index, info)) = scan.found else {
            return Ok(None);
        };
        let reason = std::str::from_utf8(info.reason)
            .map_err(|_| ExtractError::InvalidErrorInfo { index })?;
        let code = AuthErrorCode::from_peer_reason(reason).map_err(|e| match e {
            ReasonError::NotAnError => ExtractError::NoAuthError,
            ReasonError::Unknown => ExtractError::UnknownReason {
                reason: reason.to_owned(),
            },
        })?;
        build(self, found, code, domain, true).map(Some)
    }
}

/// What [`check_auth_error`](crate::AuthStatusExt::check_auth_error) found
/// wrong with a status' details.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum ExtractError {
    /// The details are not a well-formed `google.rpc.Status`.
    Malformed {
        /// What is wrong, e.g. "a varint is truncated or longer than ten bytes".
        what: &'static str,
    },
    /// The code inside the details differs from the status code (Go turns
    /// this into `INTERNAL`, Python's `rpc_status.from_call` raises).
    CodeMismatch {
        /// The code of the `tonic::Status`.
        status: tonic::Code,
        /// The code inside `google.rpc.Status`.
        details: i32,
    },
    /// The message inside the details differs from the status message.
    MessageMismatch {
        /// The message of the `tonic::Status`.
        status: String,
        /// The message inside `google.rpc.Status`.
        details: String,
    },
    /// A detail typed `google.rpc.ErrorInfo` does not decode as one.
    InvalidErrorInfo {
        /// Its position among the details.
        index: usize,
    },
    /// The ErrorInfo of the domain has a reason this version does not know
    /// (perhaps a newer peer).
    UnknownReason {
        /// The reason as received.
        reason: String,
    },
    /// The ErrorInfo of the domain says `NO_AUTH_ERROR`, which is not an error.
    NoAuthError,
}

impl fmt::Display for ExtractError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ExtractError::Malformed { what } => {
                write!(f, "error details are not a google.rpc.Status: {what}")
            }
            ExtractError::CodeMismatch { status, details } => write!(
                f,
                "code in error details ({details}) differs from the status code ({})",
                *status as i32
            ),
            ExtractError::MessageMismatch { status, details } => write!(
                f,
                "message in error details (`{}`) differs from the status message (`{}`)",
                details.escape_debug(),
                status.escape_debug()
            ),
            ExtractError::InvalidErrorInfo { index } => {
                write!(
                    f,
                    "detail {index} is typed google.rpc.ErrorInfo but does not decode as one"
                )
            }
            ExtractError::UnknownReason { reason } => {
                write!(f, "unknown auth error reason `{}`", reason.escape_debug())
            }
            ExtractError::NoAuthError => {
                f.write_str("error details carry NO_AUTH_ERROR, which is not an error")
            }
        }
    }
}

impl std::error::Error for ExtractError {}
