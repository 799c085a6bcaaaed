//! [`AttachError`]: which rule an error broke, named by key, never by value.

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
    #[non_exhaustive]
    InvalidDomain {
        /// The domain's length in bytes (the domain itself is not repeated:
        /// an error never prints a value it refused).
        len: usize,
    },
    /// A metadata key does not match AIP-193's `[a-z][a-zA-Z0-9-_]*`, or is
    /// longer than [`MAX_METADATA_KEY_LEN`](crate::MAX_METADATA_KEY_LEN).
    #[non_exhaustive]
    InvalidMetadataKey {
        /// The offending key.
        key: String,
    },
    /// A metadata key names a secret (`token`, `password`, `authorization`, …):
    /// an auth error must never echo credentials back.
    #[non_exhaustive]
    SecretMetadataKey {
        /// The offending key.
        key: String,
    },
    /// A metadata value looks like a credential (a `Bearer ` value or a JWT).
    /// The value itself is not kept, so that this error cannot leak it.
    #[non_exhaustive]
    CredentialInMetadata {
        /// The key whose value was refused.
        key: String,
    },
    /// A text the error carries (its message, an extra detail's text) looks like
    /// a credential. The text itself is not kept.
    #[non_exhaustive]
    CredentialInText {
        /// Which text.
        field: TextField,
    },
    /// An item of a list-valued context entry is empty or contains
    /// whitespace, so it could not be split back out of the space-separated
    /// encoding.
    #[non_exhaustive]
    InvalidListItem {
        /// The metadata key of the list.
        key: String,
        /// The position of the offending item in the list (the item itself
        /// is not kept: it may be a credential).
        index: usize,
    },
    /// An extra detail is itself a `google.rpc.ErrorInfo`; a status carries
    /// exactly one.
    ExtraErrorInfo,
    /// The encoded `google.rpc.Status` would exceed
    /// [`MAX_DETAILS_LEN`](crate::MAX_DETAILS_LEN) bytes.
    #[non_exhaustive]
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
            AttachError::InvalidDomain { len } => write!(
                f,
                "invalid error domain ({len} bytes): expected 1 to 253 bytes without whitespace or control characters"
            ),
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
            AttachError::CredentialInText { field } => {
                write!(f, "the {field} looks like a credential and is never sent")
            }
            AttachError::InvalidListItem { key, index } => write!(
                f,
                "list item {index} of `{}` is empty or contains whitespace",
                key.escape_debug()
            ),
            AttachError::ExtraErrorInfo => f.write_str(
                "an extra detail is a google.rpc.ErrorInfo, but a status carries exactly one",
            ),
            AttachError::TooLarge { len, max } => write!(
                f,
                "encoded error details are {len} bytes, over the bound of {max} bytes"
            ),
        }
    }
}

impl std::error::Error for AttachError {}

/// A text an [`AuthError`](crate::AuthError) carries besides its metadata,
/// named in [`AttachError::CredentialInText`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum TextField {
    /// The message (the status message, also in the details).
    Message,
    /// A `google.rpc.LocalizedMessage` extra detail's message.
    LocalizedMessage,
    /// A `google.rpc.Help` extra detail's link description or URL.
    HelpLink,
}

impl fmt::Display for TextField {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            TextField::Message => "message",
            TextField::LocalizedMessage => "localized message",
            TextField::HelpLink => "help link",
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn attach_errors_are_lowercase_without_trailing_period() {
        let errors = [
            AttachError::NoAuthError,
            AttachError::InvalidDomain { len: 3 },
            AttachError::InvalidMetadataKey { key: "K".into() },
            AttachError::SecretMetadataKey {
                key: "token".into(),
            },
            AttachError::CredentialInMetadata { key: "k".into() },
            AttachError::InvalidListItem {
                key: "k".into(),
                index: 0,
            },
            AttachError::ExtraErrorInfo,
            AttachError::TooLarge {
                len: 5000,
                max: 4096,
            },
            AttachError::CredentialInText {
                field: TextField::Message,
            },
        ];
        for e in errors {
            let s = e.to_string();
            assert!(!s.ends_with('.'), "{s}");
            let first = s.chars().next().unwrap();
            assert!(
                first.is_lowercase() || s.starts_with("NO_AUTH_ERROR"),
                "{s}"
            );
        }
    }
}
