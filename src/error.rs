//! The error value: [`AuthError`], its builder and its conversion to a
//! `tonic::Status`.

use std::borrow::Cow;
use std::collections::BTreeMap;
use std::fmt;
use std::time::Duration;

use prost::Message;
use prost_types::Any;
use tonic::Status;

use crate::secret::{is_secret_key, looks_like_credential};
use crate::wire::ERROR_INFO_TYPE_URL;
use crate::wire::encode::{Lens, Parts};
use crate::{AttachError, AuthErrorCode, ClientAction, DOMAIN};

/// Bound on the encoded `google.rpc.Status` (the `grpc-status-details-bin`
/// value before base64), far below the 8 KiB header-list limits of gRPC
/// peers (base64 adds a third, and `grpc-message` travels beside it).
pub const MAX_DETAILS_LEN: usize = 4096;

/// Bound on a metadata key, from AIP-193.
pub const MAX_METADATA_KEY_LEN: usize = 64;

/// Bound on the domain, in bytes (a DNS name's length).
pub const MAX_DOMAIN_LEN: usize = 253;

/// An authentication or authorization failure: an [`AuthErrorCode`], a
/// message, a domain, metadata, and companion details.
///
/// Build one on the server and turn it into a `tonic::Status`, strictly with
/// [`try_into_status`](Self::try_into_status) or leniently with `From`; read
/// one on the client with [`AuthStatusExt`](crate::AuthStatusExt).
///
/// ```
/// use auth_error::{AuthError, AuthErrorCode, AuthStatusExt};
///
/// let status = AuthError::new(AuthErrorCode::TokenExpired)
///     .with_message("token expired at 12:00")
///     .with_metadata("tokenType", "access")
///     .try_into_status()?;
/// assert_eq!(status.code(), tonic::Code::Unauthenticated);
///
/// let err = status.auth_error().expect("an auth error");
/// assert_eq!(err.code(), AuthErrorCode::TokenExpired);
/// assert_eq!(err.metadata()["tokenType"], "access");
/// # Ok::<(), auth_error::AttachError>(())
/// ```
///
/// # Strict and lenient conversion
///
/// [`try_into_status`](Self::try_into_status) refuses, with an [`AttachError`]:
/// `NO_AUTH_ERROR`; an invalid domain; a metadata key that is not AIP-193
/// (`[a-z][a-zA-Z0-9-_]*`, at most 64 characters); a key naming a secret or a
/// value that looks like a credential; a companion that is another ErrorInfo;
/// details over [`MAX_DETAILS_LEN`]. `From<AuthError> for Status` never fails
/// and never panics: it leaves out each offending metadata entry or
/// companion, falls back to [`DOMAIN`] for an invalid domain, and past the
/// size bound drops companions (last first), then metadata (last key first),
/// then shortens the message — code, reason and domain always stay. For
/// `NO_AUTH_ERROR` it fails closed: `Code::Unknown` without details, so a
/// rejected call can never look successful.
#[derive(Clone, PartialEq)]
pub struct AuthError {
    code: AuthErrorCode,
    message: Cow<'static, str>,
    domain: Cow<'static, str>,
    metadata: BTreeMap<String, String>,
    details: Vec<Any>,
    /// First invalid input given to a typed builder; reported by
    /// `try_into_status` (the entry itself was not stored).
    pending: Option<AttachError>,
}

impl AuthError {
    /// A new error for `code`, with the code's
    /// [`description`](AuthErrorCode::description) as message and [`DOMAIN`]
    /// as domain. Allocates nothing.
    ///
    /// ```
    /// use auth_error::{AuthError, AuthErrorCode};
    /// let err = AuthError::new(AuthErrorCode::BearerTokenMissing);
    /// assert_eq!(err.message(), "the request carries no bearer token");
    /// assert_eq!(err.domain(), auth_error::DOMAIN);
    /// ```
    pub fn new(code: AuthErrorCode) -> Self {
        AuthError {
            code,
            message: Cow::Borrowed(code.description()),
            domain: Cow::Borrowed(DOMAIN),
            metadata: BTreeMap::new(),
            details: Vec::new(),
            pending: None,
        }
    }

    /// Sets the human-readable message (the status message, also carried in
    /// the details).
    #[must_use]
    pub fn with_message(mut self, message: impl Into<String>) -> Self {
        self.message = Cow::Owned(message.into());
        self
    }

    /// Sets the ErrorInfo domain (default [`DOMAIN`]). Readers look for their
    /// domain: [`auth_error_in`](crate::AuthStatusExt::auth_error_in).
    #[must_use]
    pub fn with_domain(mut self, domain: impl Into<String>) -> Self {
        let domain = domain.into();
        self.domain = if domain == DOMAIN {
            Cow::Borrowed(DOMAIN)
        } else {
            Cow::Owned(domain)
        };
        self
    }

    /// Adds a metadata entry; a second value for the same key replaces the
    /// first. Keys follow AIP-193 (`[a-z][a-zA-Z0-9-_]*`, lowerCamelCase by
    /// convention); see [`keys`](crate::keys) for the documented context keys.
    #[must_use]
    pub fn with_metadata(mut self, key: impl Into<String>, value: impl Into<String>) -> Self {
        self.metadata.insert(key.into(), value.into());
        self
    }

    /// Adds a companion detail of any type, carried after the ErrorInfo and
    /// returned unchanged by [`details`](Self::details) on the other side.
    ///
    /// ```
    /// use auth_error::{AuthError, AuthErrorCode, AuthStatusExt};
    /// let any = prost_types::Any { type_url: "type.example.com/my.Detail".into(), value: vec![8, 1] };
    /// let status: tonic::Status = AuthError::new(AuthErrorCode::Unauthenticated)
    ///     .with_detail(any.clone())
    ///     .into();
    /// assert_eq!(status.auth_error().unwrap().details(), &[any]);
    /// ```
    #[must_use]
    pub fn with_detail(mut self, detail: Any) -> Self {
        self.details.push(detail);
        self
    }

    /// Adds every standard detail of a tonic-types [`ErrorDetails`] as
    /// companions, in tonic-types' order.
    ///
    /// ```
    /// use auth_error::{AuthError, AuthErrorCode, AuthStatusExt};
    /// use tonic_types::ErrorDetails;
    /// let status: tonic::Status = AuthError::new(AuthErrorCode::InvalidScope)
    ///     .with_error_details(ErrorDetails::with_help_link("scopes", "https://example.com/scopes"))
    ///     .into();
    /// let details = status.auth_error().unwrap().error_details();
    /// assert_eq!(details.help().unwrap().links[0].url, "https://example.com/scopes");
    /// ```
    ///
    /// [`ErrorDetails`]: tonic_types::ErrorDetails
    #[must_use]
    pub fn with_error_details(mut self, details: tonic_types::ErrorDetails) -> Self {
        use tonic_types::StatusExt;
        // tonic-types keeps its Any conversions private; its own encoding is
        // the one source of truth, so decode what it writes.
        let status = Status::with_error_details(tonic::Code::Unknown, "", details);
        if let Ok(decoded) = tonic_types::pb::Status::decode(status.details()) {
            self.details.extend(decoded.details);
        }
        self
    }

    /// Attaches a `google.rpc.RetryInfo` companion: how long the client should
    /// wait before retrying (a lockout's end, a token's not-before time).
    ///
    /// ```
    /// use std::time::Duration;
    /// use auth_error::{AuthError, AuthErrorCode, AuthStatusExt, ClientAction};
    /// let status: tonic::Status = AuthError::new(AuthErrorCode::AccountLocked)
    ///     .with_retry_after(Duration::from_secs(900))
    ///     .into();
    /// let err = status.auth_error().unwrap();
    /// assert_eq!(err.retry_after(), Some(Duration::from_secs(900)));
    /// assert_eq!(err.client_action(), ClientAction::RetryLater);
    /// ```
    #[must_use]
    pub fn with_retry_after(self, delay: Duration) -> Self {
        let delay = prost_types::Duration {
            seconds: i64::try_from(delay.as_secs()).unwrap_or(i64::MAX),
            nanos: delay.subsec_nanos() as i32,
        };
        let info = tonic_types::pb::RetryInfo {
            retry_delay: Some(delay),
        };
        self.with_detail(to_any(tonic_types::RetryInfo::TYPE_URL, &info))
    }

    /// Attaches a `google.rpc.Help` companion with one link (call again to add
    /// more links, each as its own detail).
    ///
    /// ```
    /// use auth_error::{AuthError, AuthErrorCode, AuthStatusExt};
    /// let status: tonic::Status = AuthError::new(AuthErrorCode::PasswordExpired)
    ///     .with_help_link("change your password", "https://id.example.com/password")
    ///     .into();
    /// let links = status.auth_error().unwrap().help_links();
    /// assert_eq!(links[0].url, "https://id.example.com/password");
    /// ```
    #[must_use]
    pub fn with_help_link(self, description: impl Into<String>, url: impl Into<String>) -> Self {
        let help = tonic_types::pb::Help {
            links: vec![tonic_types::pb::help::Link {
                description: description.into(),
                url: url.into(),
            }],
        };
        self.with_detail(to_any(tonic_types::Help::TYPE_URL, &help))
    }

    /// Attaches a `google.rpc.LocalizedMessage` companion: a message for the
    /// end user in `locale` (BCP 47, e.g. `"fr-CH"`).
    ///
    /// ```
    /// use auth_error::{AuthError, AuthErrorCode, AuthStatusExt};
    /// let status: tonic::Status = AuthError::new(AuthErrorCode::SessionExpired)
    ///     .with_localized_message("fr-CH", "Votre session a expiré.")
    ///     .into();
    /// let msg = status.auth_error().unwrap().localized_message().unwrap();
    /// assert_eq!((msg.locale.as_str(), msg.message.as_str()), ("fr-CH", "Votre session a expiré."));
    /// ```
    #[must_use]
    pub fn with_localized_message(
        self,
        locale: impl Into<String>,
        message: impl Into<String>,
    ) -> Self {
        let msg = tonic_types::pb::LocalizedMessage {
            locale: locale.into(),
            message: message.into(),
        };
        self.with_detail(to_any(tonic_types::LocalizedMessage::TYPE_URL, &msg))
    }

    pub(crate) fn set_pending(&mut self, err: AttachError) {
        self.pending.get_or_insert(err);
    }

    pub(crate) fn metadata_mut(&mut self) -> &mut BTreeMap<String, String> {
        &mut self.metadata
    }

    /// Assembles an error read from the wire.
    pub(crate) fn from_parts(
        code: AuthErrorCode,
        message: String,
        domain: &str,
        metadata: BTreeMap<String, String>,
        details: Vec<Any>,
    ) -> Self {
        AuthError {
            code,
            message: Cow::Owned(message),
            domain: if domain == DOMAIN {
                Cow::Borrowed(DOMAIN)
            } else {
                Cow::Owned(domain.to_owned())
            },
            metadata,
            details,
            pending: None,
        }
    }

    /// The code.
    pub fn code(&self) -> AuthErrorCode {
        self.code
    }

    /// The message.
    pub fn message(&self) -> &str {
        &self.message
    }

    /// The ErrorInfo domain.
    pub fn domain(&self) -> &str {
        &self.domain
    }

    /// The ErrorInfo metadata, in key order.
    pub fn metadata(&self) -> &BTreeMap<String, String> {
        &self.metadata
    }

    /// The companion details, in order, of every type (also types this crate
    /// does not know, and ErrorInfos of other domains when read from a status).
    pub fn details(&self) -> &[Any] {
        &self.details
    }

    /// The companions as tonic-types [`ErrorDetails`](tonic_types::ErrorDetails)
    /// (standard types only; unknown types stay available in
    /// [`details`](Self::details)).
    pub fn error_details(&self) -> tonic_types::ErrorDetails {
        use tonic_types::StatusExt;
        let status = tonic_types::pb::Status {
            code: 0,
            message: String::new(),
            details: self.details.clone(),
        };
        Status::with_details(tonic::Code::Unknown, "", status.encode_to_vec().into())
            .get_error_details()
    }

    fn first_detail<T: Message + Default>(&self, type_url: &str) -> Option<T> {
        self.details
            .iter()
            .filter(|any| any.type_url == type_url)
            .find_map(|any| T::decode(any.value.as_slice()).ok())
    }

    /// The retry delay of the first `google.rpc.RetryInfo` companion, if any
    /// (negative delays read as none).
    pub fn retry_after(&self) -> Option<Duration> {
        let info: tonic_types::pb::RetryInfo =
            self.first_detail(tonic_types::RetryInfo::TYPE_URL)?;
        let delay = info.retry_delay?;
        let secs = u64::try_from(delay.seconds).ok()?;
        let nanos = u32::try_from(delay.nanos)
            .ok()
            .filter(|n| *n < 1_000_000_000)?;
        Some(Duration::new(secs, nanos))
    }

    /// The links of every `google.rpc.Help` companion, in order.
    pub fn help_links(&self) -> Vec<tonic_types::HelpLink> {
        self.details
            .iter()
            .filter(|any| any.type_url == tonic_types::Help::TYPE_URL)
            .filter_map(|any| tonic_types::pb::Help::decode(any.value.as_slice()).ok())
            .flat_map(|help| help.links)
            .map(|link| tonic_types::HelpLink::new(link.description, link.url))
            .collect()
    }

    /// The first `google.rpc.LocalizedMessage` companion, if any.
    pub fn localized_message(&self) -> Option<tonic_types::LocalizedMessage> {
        let msg: tonic_types::pb::LocalizedMessage =
            self.first_detail(tonic_types::LocalizedMessage::TYPE_URL)?;
        Some(tonic_types::LocalizedMessage::new(msg.locale, msg.message))
    }

    /// What the client should do: the code's
    /// [`client_action`](AuthErrorCode::client_action), except that
    /// `ACCOUNT_LOCKED` with a retry delay becomes
    /// [`RetryLater`](ClientAction::RetryLater).
    ///
    /// ```
    /// use auth_error::{AuthError, AuthErrorCode, ClientAction};
    /// let locked = AuthError::new(AuthErrorCode::AccountLocked);
    /// assert_eq!(locked.client_action(), ClientAction::ContactAdministrator);
    /// ```
    pub fn client_action(&self) -> ClientAction {
        match self.code {
            AuthErrorCode::AccountLocked if self.retry_after().is_some() => {
                ClientAction::RetryLater
            }
            code => code.client_action(),
        }
    }

    /// The gRPC code of [`code`](Self::code).
    pub fn grpc_code(&self) -> tonic::Code {
        self.code.grpc_code()
    }

    /// The HTTP status of [`code`](Self::code).
    pub fn http_status(&self) -> http::StatusCode {
        self.code.http_status()
    }

    fn parts(&self) -> Parts<'_, std::collections::btree_map::Iter<'_, String, String>> {
        Parts {
            code: self.code.grpc_code() as i32,
            message: &self.message,
            reason: self.code.reason(),
            domain: &self.domain,
            metadata: self.metadata.iter(),
            details: &self.details,
        }
    }

    /// The exact `grpc-status-details-bin` payload (before base64) that
    /// [`try_into_status`](Self::try_into_status) would attach: a
    /// `google.rpc.Status` with this error's gRPC code and message, the
    /// ErrorInfo, then the companions. Deterministic: metadata is in key order.
    ///
    /// Fails for the same reasons as `try_into_status`.
    pub fn encode_details(&self) -> Result<Vec<u8>, AttachError> {
        let lens = self.validate()?;
        Ok(self.parts().encode_with(lens))
    }

    /// Converts into a `Status`, refusing anything that would not be sent
    /// faithfully (see [`AttachError`]).
    ///
    /// ```
    /// use auth_error::{AttachError, AuthError, AuthErrorCode};
    /// let err = AuthError::new(AuthErrorCode::TokenExpired).with_metadata("Bad Key", "x");
    /// assert!(matches!(err.try_into_status(), Err(AttachError::InvalidMetadataKey { .. })));
    /// ```
    pub fn try_into_status(self) -> Result<Status, AttachError> {
        let details = self.encode_details()?;
        Ok(Status::with_details(
            self.code.grpc_code(),
            self.message.into_owned(),
            details.into(),
        ))
    }

    /// Checks everything `try_into_status` refuses; returns the encoded lengths.
    fn validate(&self) -> Result<Lens, AttachError> {
        if let Some(err) = &self.pending {
            return Err(err.clone());
        }
        if !self.code.is_error() {
            return Err(AttachError::NoAuthError);
        }
        if !is_valid_domain(&self.domain) {
            return Err(AttachError::InvalidDomain {
                domain: self.domain.to_string(),
            });
        }
        for (key, value) in &self.metadata {
            check_entry(key, value)?;
        }
        if self
            .details
            .iter()
            .any(|d| d.type_url == ERROR_INFO_TYPE_URL)
        {
            return Err(AttachError::ExtraErrorInfo);
        }
        let lens = self.parts().lens();
        if lens.total > MAX_DETAILS_LEN {
            return Err(AttachError::TooLarge {
                len: lens.total,
                max: MAX_DETAILS_LEN,
            });
        }
        Ok(lens)
    }

    /// Makes the error sendable by leaving out what `validate` would refuse;
    /// returns the encoded lengths. Mutates only what is at fault, so a valid
    /// error costs one pass over its metadata.
    fn sanitize(&mut self) -> Lens {
        if !is_valid_domain(&self.domain) {
            self.domain = Cow::Borrowed(DOMAIN);
        }
        if self
            .metadata
            .iter()
            .any(|(k, v)| check_entry(k, v).is_err())
        {
            self.metadata.retain(|k, v| check_entry(k, v).is_ok());
        }
        if self
            .details
            .iter()
            .any(|d| d.type_url == ERROR_INFO_TYPE_URL)
        {
            self.details.retain(|d| d.type_url != ERROR_INFO_TYPE_URL);
        }
        loop {
            let lens = self.parts().lens();
            if lens.total <= MAX_DETAILS_LEN {
                return lens;
            }
            if self.details.pop().is_some() || self.metadata.pop_last().is_some() {
                continue;
            }
            // Only the message is left to shorten; code, reason and a domain
            // of at most MAX_DOMAIN_LEN bytes always fit.
            let excess = lens.total - MAX_DETAILS_LEN;
            let message = self.message.to_mut();
            let mut end = message.len().saturating_sub(excess);
            while !message.is_char_boundary(end) {
                end -= 1;
            }
            message.truncate(end);
        }
    }
}

fn to_any(type_url: &str, message: &impl Message) -> Any {
    Any {
        type_url: type_url.to_owned(),
        value: message.encode_to_vec(),
    }
}

fn is_valid_domain(domain: &str) -> bool {
    domain == DOMAIN
        || !domain.is_empty()
            && domain.len() <= MAX_DOMAIN_LEN
            && !domain.chars().any(|c| c.is_whitespace() || c.is_control())
}

/// AIP-193 metadata key: `[a-z][a-zA-Z0-9-_]*`, at most 64 characters.
pub(crate) fn is_valid_key(key: &str) -> bool {
    let bytes = key.as_bytes();
    !bytes.is_empty()
        && bytes.len() <= MAX_METADATA_KEY_LEN
        && bytes[0].is_ascii_lowercase()
        && bytes[1..]
            .iter()
            .all(|b| b.is_ascii_alphanumeric() || *b == b'-' || *b == b'_')
}

fn check_entry(key: &str, value: &str) -> Result<(), AttachError> {
    if !is_valid_key(key) {
        return Err(AttachError::InvalidMetadataKey {
            key: key.to_owned(),
        });
    }
    if is_secret_key(key) {
        return Err(AttachError::SecretMetadataKey {
            key: key.to_owned(),
        });
    }
    if looks_like_credential(value) {
        return Err(AttachError::CredentialInMetadata {
            key: key.to_owned(),
        });
    }
    Ok(())
}

impl From<AuthError> for Status {
    /// The lenient conversion: never fails, never panics (see [`AuthError`]).
    fn from(mut err: AuthError) -> Status {
        if !err.code.is_error() {
            return Status::new(tonic::Code::Unknown, err.message.into_owned());
        }
        // Fast path, the common rejection: default domain, no metadata, no
        // companions, a message that fits. Same bytes, precomputed ErrorInfo.
        let details = if err.metadata.is_empty()
            && err.details.is_empty()
            && err.domain == DOMAIN
            && err.message.len() < MAX_DETAILS_LEN - MAX_DOMAIN_LEN - 128
        {
            crate::wire::encode::encode_with_field(
                err.code.grpc_code() as i32,
                &err.message,
                crate::wire::encode::default_error_info_field(err.code),
            )
        } else {
            let lens = err.sanitize();
            err.parts().encode_with(lens)
        };
        Status::with_details(
            err.code.grpc_code(),
            err.message.into_owned(),
            details.into(),
        )
    }
}

impl fmt::Display for AuthError {
    /// `REASON: message`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.code.reason(), self.message)
    }
}

impl fmt::Debug for AuthError {
    /// Never shows more than the encoded form would: metadata entries that
    /// would be refused as secrets or credentials are counted, not printed.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        struct Shown<'a>(&'a BTreeMap<String, String>);
        impl fmt::Debug for Shown<'_> {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.debug_map()
                    .entries(
                        self.0
                            .iter()
                            .filter(|(k, v)| !is_secret_key(k) && !looks_like_credential(v)),
                    )
                    .finish()
            }
        }
        let redacted = self
            .metadata
            .iter()
            .filter(|(k, v)| is_secret_key(k) || looks_like_credential(v))
            .count();
        let mut s = f.debug_struct("AuthError");
        s.field("code", &self.code)
            .field("message", &self.message)
            .field("domain", &self.domain)
            .field("metadata", &Shown(&self.metadata));
        if redacted > 0 {
            s.field("redacted_metadata", &redacted);
        }
        s.field("details", &self.details.len());
        if let Some(pending) = &self.pending {
            s.field("pending", pending);
        }
        s.finish()
    }
}

impl std::error::Error for AuthError {}

impl From<AuthErrorCode> for AuthError {
    fn from(code: AuthErrorCode) -> Self {
        AuthError::new(code)
    }
}
