//! The errors of attaching ([`AttachError`]) and strictly extracting
//! ([`ExtractError`]) an auth error.

use std::fmt;

/// Why [`AuthError::try_into_status`](crate::AuthError::try_into_status)
/// refused to build a `Status`.
///
/// The lenient `From<AuthError> for Status` never fails: it leaves out what
/// this error would name (see [`AuthError`](crate::AuthError)).
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum AttachError {
    /// `NO_AUTH_ERROR` means "no error" and is never sent as a reason.
    NoAuthError,
    /// The domain is empty, longer than [`MAX_DOMAIN_LEN`](crate::MAX_DOMAIN_LEN)
    /// bytes, or contains whitespace or control characters.
    InvalidDomain {
        /// The offending domain.
        domain: String,
    },
    /// A metadata key does not match AIP-193's `[a-z][a-zA-Z0-9-_]*`, or is
    /// longer than [`MAX_METADATA_KEY_LEN`](crate::MAX_METADATA_KEY_LEN).
    InvalidMetadataKey {
        /// The offending key.
        key: String,
    },
    /// A metadata key names a secret (`token`, `password`, `authorization`, …):
    /// an auth error must never echo credentials back.
    SecretMetadataKey {
        /// The offending key.
        key: String,
    },
    /// A metadata value looks like a credential (a `Bearer ` value or a JWT).
    /// The value itself is not kept, so that this error cannot leak it.
    CredentialInMetadata {
        /// The key whose value was refused.
        key: String,
    },
    /// An item of a list-valued context entry is empty or contains
    /// whitespace, so it could not be split back out of the space-separated
    /// encoding.
    InvalidListItem {
        /// The metadata key of the list.
        key: String,
        /// The offending item.
        item: String,
    },
    /// A companion detail is itself a `google.rpc.ErrorInfo`; a status carries
    /// exactly one.
    ExtraErrorInfo,
    /// The encoded `google.rpc.Status` would exceed
    /// [`MAX_DETAILS_LEN`](crate::MAX_DETAILS_LEN) bytes.
    TooLarge {
        /// The encoded length.
        len: usize,
        /// The bound.
        max: usize,
    },
}

impl fmt::Display for AttachError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            AttachError::NoAuthError => {
                f.write_str("NO_AUTH_ERROR is not an error and cannot be attached to a status")
            }
            AttachError::InvalidDomain { domain } => {
                write!(f, "invalid error domain `{}`", domain.escape_debug())
            }
            AttachError::InvalidMetadataKey { key } => write!(
                f,
                "invalid metadata key `{}`: expected [a-z][a-zA-Z0-9-_]* of at most 64 characters",
                key.escape_debug()
            ),
            AttachError::SecretMetadataKey { key } => write!(
                f,
                "metadata key `{}` names a secret and is never sent",
                key.escape_debug()
            ),
            AttachError::CredentialInMetadata { key } => write!(
                f,
                "metadata value of `{}` looks like a credential and is never sent",
                key.escape_debug()
            ),
            AttachError::InvalidListItem { key, item } => write!(
                f,
                "list item `{}` of `{}` is empty or contains whitespace",
                item.escape_debug(),
                key.escape_debug()
            ),
            AttachError::ExtraErrorInfo => f.write_str(
                "a companion detail is a google.rpc.ErrorInfo, but a status carries exactly one",
            ),
            AttachError::TooLarge { len, max } => write!(
                f,
                "encoded error details are {len} bytes, over the bound of {max} bytes"
            ),
        }
    }
}

impl std::error::Error for AttachError {}

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
