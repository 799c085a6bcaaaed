//! Extract: the extension trait that reads an [`AuthError`] back out of a
//! `tonic::Status`, and [`ExtractError`], what its strict reader reports.

use std::fmt;

use tonic::Status;

use std::borrow::Cow;

use crate::code::ReasonError;
use crate::error::views::Wire;
use crate::error::{Current, Held};
use crate::wire::decode::{self, ErrorInfoView, Scan};
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
/// | a second ErrorInfo of the domain | the first wins | `Err(ExtraErrorInfo)` |
/// | anything prost (Go, Python) would not decode as a `google.rpc.Status` | `None` | `Err(Malformed)` |
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
    AuthErrorCode::from_peer_reason(info.reason()).ok()
}

/// The error for the ErrorInfo found at `index`. The scan checked every byte
/// already (as prost would): metadata and extra details stay where they are, in
/// the status' details, and are borrowed from them when asked for.
fn build(
    status: &Status,
    (index, info): (usize, ErrorInfoView<'_>),
    code: AuthErrorCode,
    domain: &str,
    details_count: usize,
    embedded_message: &[u8],
) -> AuthError {
    let bytes = status.details();
    let has_metadata = info.has_metadata();
    let has_details = details_count > 1;
    // One copy of the details, shared by metadata and extra details (tonic
    // hands out `&[u8]`, not its `Bytes`); none when neither is there.
    // The message the details embed is the status' own (the strict reader
    // checked it; the lenient one compares): then it is borrowed too.
    let offset = |part: &[u8]| (part.as_ptr() as usize).saturating_sub(bytes.as_ptr() as usize);
    let message_in_details = embedded_message == status.message().as_bytes();
    let message_at = match message_in_details {
        true => offset(embedded_message)..offset(embedded_message) + embedded_message.len(),
        false => 0..0,
    };
    let wire = (has_metadata || has_details || message_in_details)
        .then(|| {
            let start = offset(info.raw());
            Wire::new(bytes, start..start + info.raw().len(), index, message_at)
        })
        .flatten();
    let domain = (domain != DOMAIN).then(|| Box::new(domain.to_owned()));
    let message = match message_in_details && wire.is_some() {
        true => Cow::Borrowed(""),
        false => Cow::Owned(status.message().to_owned()),
    };
    let held = |read: bool| match read {
        true => Held::Read,
        false => Held::Owned,
    };
    AuthError::read(
        code,
        message,
        domain,
        wire,
        Current {
            message: held(message_in_details),
            metadata: held(has_metadata),
            details: held(has_details),
        },
    )
}

impl AuthStatusExt for Status {
    fn auth_error(&self) -> Option<AuthError> {
        self.auth_error_in(DOMAIN)
    }

    fn auth_error_in(&self, domain: &str) -> Option<AuthError> {
        let scan = decode::scan(self.details(), domain).ok()?;
        let code = known_code(&scan)?;
        Some(build(
            self,
            scan.found?,
            code,
            domain,
            scan.details,
            scan.message,
        ))
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
        if scan.code != self.code() as i32 {
            return Err(ExtractError::CodeMismatch {
                status: self.code(),
                details: scan.code,
            });
        }
        // Equal bytes also prove the embedded message is valid UTF-8.
        if scan.message != self.message().as_bytes() {
            return Err(ExtractError::MessageMismatch {
                status: crate::secrets::peer_text(self.message()),
                details: crate::secrets::peer_text(&String::from_utf8_lossy(scan.message)),
            });
        }
        if let Some(index) = scan.garbled_error_info
            && scan.found.is_none_or(|(found, _)| index < found)
        {
            return Err(ExtractError::InvalidErrorInfo { index });
        }
        let Some(found @ (_, info)) = scan.found else {
            return Ok(None);
        };
        if let Some(index) = scan.second {
            return Err(ExtractError::ExtraErrorInfo { index });
        }
        let reason = info.reason();
        let code = AuthErrorCode::from_peer_reason(reason).map_err(|e| match e {
            ReasonError::NotAnError => ExtractError::NoAuthError,
            ReasonError::Unknown => ExtractError::UnknownReason {
                reason: crate::secrets::peer_text(reason),
            },
        })?;
        Ok(Some(build(
            self,
            found,
            code,
            domain,
            scan.details,
            scan.message,
        )))
    }
}

/// What [`check_auth_error`](crate::AuthStatusExt::check_auth_error) found
/// wrong with a status' details.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum ExtractError {
    /// The details are not a well-formed `google.rpc.Status`.
    #[non_exhaustive]
    Malformed {
        /// What is wrong, e.g. "a varint is truncated or longer than ten bytes".
        what: &'static str,
    },
    /// The code inside the details differs from the status code (Go turns
    /// this into `INTERNAL`, Python's `rpc_status.from_call` raises).
    #[non_exhaustive]
    CodeMismatch {
        /// The code of the `tonic::Status`.
        status: tonic::Code,
        /// The code inside `google.rpc.Status`.
        details: i32,
    },
    /// The message inside the details differs from the status message.
    ///
    /// Both are a peer's text, kept through the crate's text rule: one that
    /// looks like a credential is replaced by `[withheld: looks like a
    /// credential]` (never stored, so never printed), and each is cut at 256
    /// characters (marked with `…`).
    #[non_exhaustive]
    MessageMismatch {
        /// The message of the `tonic::Status`.
        status: String,
        /// The message inside `google.rpc.Status`.
        details: String,
    },
    /// A detail typed `google.rpc.ErrorInfo` does not decode as one.
    #[non_exhaustive]
    InvalidErrorInfo {
        /// Its position among the details.
        index: usize,
    },
    /// The ErrorInfo of the domain has a reason this version does not know
    /// (perhaps a newer peer).
    #[non_exhaustive]
    UnknownReason {
        /// The reason as received (a peer's text: withheld when it looks
        /// like a credential, cut at 256 characters).
        reason: String,
    },
    /// The ErrorInfo of the domain says `NO_AUTH_ERROR`, which is not an error.
    NoAuthError,
    /// A second ErrorInfo of the domain: the contract is exactly one, and
    /// which one is meant cannot be told (the lenient readers take the first).
    #[non_exhaustive]
    ExtraErrorInfo {
        /// The position of the second one among the details.
        index: usize,
    },
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
            ExtractError::ExtraErrorInfo { index } => write!(
                f,
                "detail {index} is a second ErrorInfo of the domain, but a status carries exactly one"
            ),
        }
    }
}

impl std::error::Error for ExtractError {}
