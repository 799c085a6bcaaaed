//! The error value: [`AuthError`] and its getters. The builder is in
//! `builder.rs`, the typed context and its keys (`auth_error::keys`) in
//! `keys.rs`, the standard extra details in `extra detail.rs`; its
//! `Debug`, which shows what the lenient exit sends, beside the rules
//! (`rules/shown.rs`).

mod attach_error;
mod builder;
mod extra_detail;
pub(crate) mod keys;
pub(crate) mod views;

use std::borrow::Cow;
use std::fmt;
use std::time::Duration;

use prost_types::Any;

pub use attach_error::{AttachError, TextField};
pub(crate) use extra_detail::ExtraDetail;
pub use views::{Detail, Details, Metadata, MetadataIter};
use views::{EntryMap, Wire};

use crate::wire::encode::Parts;
use crate::{AuthErrorCode, ClientAction, DOMAIN};

/// An authentication or authorization failure: an [`AuthErrorCode`], a
/// message, a domain, metadata, and extra details.
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
/// assert_eq!(err.metadata().get("tokenType").unwrap(), "access");
/// # Ok::<(), auth_error::AttachError>(())
/// ```
///
/// # Strict and lenient conversion
///
/// Every exit (gRPC, JSON, axum, the CLI) applies the same rules (see
/// [`AttachError`]): [`try_into_status`](Self::try_into_status) refuses, with
/// an [`AttachError`], `NO_AUTH_ERROR`; an invalid domain; a metadata key that
/// is not AIP-193 (`[a-z][a-zA-Z0-9-_]*`, at most 64 characters); a key naming
/// a secret or a value that looks like a credential; an extra detail that is
/// another ErrorInfo; details over [`MAX_DETAILS_LEN`](crate::MAX_DETAILS_LEN).
/// `From<AuthError> for Status` never fails and never panics: it leaves out
/// each offending metadata entry or extra detail, falls back to [`DOMAIN`] for an
/// invalid domain, and past the size bound drops extra details (last first), then
/// metadata (last key first), then shortens the message — code, reason and
/// domain always stay. For `NO_AUTH_ERROR` it fails closed: `Code::Unknown`
/// without details, so a rejected call can never look successful.
#[derive(Clone)]
#[allow(clippy::box_collection)] // a thin pointer for the rare custom domain: see `domain`
pub struct AuthError {
    code: AuthErrorCode,
    message: Cow<'static, str>,
    /// `None` exactly when it is [`DOMAIN`] (the builder keeps it so), which
    /// lets the attach fast path test for the default domain without comparing.
    /// (A thin box: a custom domain is rare, and a word keeps `AuthError`
    /// within 120 bytes.)
    domain: Option<Box<String>>,
    /// Metadata built here, in key order; `None` until the first entry, so
    /// an error without metadata (every fast-path rejection) drops no map.
    metadata: Option<EntryMap>,
    /// Extra details built here.
    details: Vec<Any>,
    /// The details of the status this error was read from (one shared copy:
    /// metadata and extra details are borrowed from it until changed).
    wire: Option<Wire>,
    /// Which copy of the message, the metadata and the details is current:
    /// the one read from `wire` (not changed since) or the owned one.
    current: Current,
    /// First invalid input given to a typed builder; reported by
    /// `try_into_status` (the entry itself was not stored).
    pending: Option<Box<AttachError>>,
}

/// Which copy of a part of an error is current.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Held {
    /// The error's own (built here, or changed since it was read).
    Owned,
    /// The one in the status the error was read from.
    Read,
}

/// Which copy is current, for each part an error can read from a status.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Current {
    pub(crate) message: Held,
    pub(crate) metadata: Held,
    pub(crate) details: Held,
}

impl Current {
    /// Every part owned: an error built here.
    pub(crate) const BUILT: Current = Current {
        message: Held::Owned,
        metadata: Held::Owned,
        details: Held::Owned,
    };
}

/// A part as the error holds it: its own copy, or the one read from a
/// status (then reach it through the public views).
pub(crate) enum Stored<'a, T> {
    Owned(&'a T),
    Read,
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
    #[inline]
    pub fn new(code: AuthErrorCode) -> Self {
        AuthError {
            code,
            message: Cow::Borrowed(code.description()),
            domain: None,
            metadata: None,
            details: Vec::new(),
            wire: None,
            current: Current::BUILT,
            pending: None,
        }
    }

    /// An error read from a status: the parts `current` names as read are
    /// borrowed from `wire`, its (checked) encoding; without `wire`, every
    /// part is the owned one.
    #[allow(clippy::box_collection)]
    pub(crate) fn read(
        code: AuthErrorCode,
        message: Cow<'static, str>,
        domain: Option<Box<String>>,
        wire: Option<Wire>,
        current: Current,
    ) -> Self {
        let current = match wire {
            Some(_) => current,
            None => Current::BUILT,
        };
        AuthError {
            code,
            message,
            domain,
            metadata: None,
            details: Vec::new(),
            wire,
            current,
            pending: None,
        }
    }

    /// The code.
    #[inline]
    pub fn code(&self) -> AuthErrorCode {
        self.code
    }

    /// The message.
    #[inline]
    pub fn message(&self) -> &str {
        match (&self.wire, self.current.message) {
            (Some(wire), Held::Read) => wire.message(),
            _ => &self.message,
        }
    }

    /// Replaces the message.
    #[inline]
    pub(crate) fn set_message(&mut self, message: Cow<'static, str>) {
        self.message = message;
        self.current.message = Held::Owned;
    }

    /// Makes the message owned (a read error's message copied, once).
    #[inline]
    fn own_message(&mut self) {
        if let (Some(wire), Held::Read) = (&self.wire, self.current.message) {
            self.message = Cow::Owned(wire.message().to_owned());
            self.current.message = Held::Owned;
        }
    }

    /// The ErrorInfo domain.
    pub fn domain(&self) -> &str {
        self.domain.as_deref().map_or(DOMAIN, String::as_str)
    }

    /// The ErrorInfo metadata: a read-only map in key order (see
    /// [`Metadata`]); for an error read from a `Status`, borrowed from its
    /// details without copying. [`to_btree_map`](Metadata::to_btree_map)
    /// gives an owned copy.
    #[inline]
    pub fn metadata(&self) -> Metadata<'_> {
        match (&self.wire, self.current.metadata) {
            (Some(wire), Held::Read) => wire.metadata(),
            _ => views::owned_metadata(self.metadata.as_ref()),
        }
    }

    /// The metadata as this error holds it: the owned entries (documented
    /// keys borrowed, see `rules`), or the copy read from a status.
    pub(crate) fn stored_metadata(&self) -> Stored<'_, Option<EntryMap>> {
        match self.current.metadata {
            Held::Owned => Stored::Owned(&self.metadata),
            Held::Read => Stored::Read,
        }
    }

    /// Makes the metadata owned (a read error's entries copied, once).
    fn own_metadata(&mut self) {
        if let (Some(wire), Held::Read) = (&self.wire, self.current.metadata) {
            self.metadata = Some(views::to_owned_map(wire.metadata()));
            self.current.metadata = Held::Owned;
        }
    }

    /// Makes the details owned (a read error's details copied, once).
    fn own_details(&mut self) {
        if let (Some(wire), Held::Read) = (&self.wire, self.current.details) {
            self.details = wire.extra_details().to_vec();
            self.current.details = Held::Owned;
        }
    }

    /// The metadata, to add to.
    fn metadata_entries(&mut self) -> &mut EntryMap {
        self.own_metadata();
        self.metadata.get_or_insert_with(EntryMap::default)
    }

    /// The extra details, to add to.
    pub(crate) fn details_mut(&mut self) -> &mut Vec<Any> {
        self.own_details();
        &mut self.details
    }

    /// The extra details, in order, of every type (also types this crate
    /// does not know, and ErrorInfos of other domains when read from a
    /// status); see [`Details`]. [`to_vec`](Details::to_vec) gives owned
    /// `Any`s.
    pub fn details(&self) -> Details<'_> {
        match (&self.wire, self.current.details) {
            (Some(wire), Held::Read) => wire.extra_details(),
            _ => views::owned_details(&self.details),
        }
    }

    /// The extra details as tonic-types [`ErrorDetails`](tonic_types::ErrorDetails)
    /// (standard types only; unknown types stay available in
    /// [`details`](Self::details)).
    pub fn error_details(&self) -> tonic_types::ErrorDetails {
        use prost::Message;
        use tonic_types::StatusExt;
        let status = tonic_types::pb::Status {
            code: 0,
            message: String::new(),
            details: self.details().to_vec(),
        };
        tonic::Status::with_details(tonic::Code::Unknown, "", status.encode_to_vec().into())
            .get_error_details()
    }

    /// The standard extra details, decoded, in order (undecodable ones skipped).
    fn extra_details(&self) -> impl Iterator<Item = ExtraDetail> + '_ {
        self.details()
            .iter()
            .filter_map(|d| ExtraDetail::from_parts(d.type_url(), d.value()))
    }

    /// The retry delay of the first `google.rpc.RetryInfo` extra detail, if any
    /// (negative or out-of-range delays read as none).
    pub fn retry_after(&self) -> Option<Duration> {
        self.extra_details().find_map(|c| match c {
            ExtraDetail::RetryInfo(delay) => Some(delay.and_then(extra_detail::non_negative)),
            _ => None,
        })?
    }

    /// The links of every `google.rpc.Help` extra detail, in order.
    pub fn help_links(&self) -> Vec<tonic_types::HelpLink> {
        self.extra_details()
            .filter_map(|c| match c {
                ExtraDetail::Help(links) => Some(links),
                _ => None,
            })
            .flatten()
            .collect()
    }

    /// The first `google.rpc.LocalizedMessage` extra detail, if any.
    pub fn localized_message(&self) -> Option<tonic_types::LocalizedMessage> {
        self.extra_details().find_map(|c| match c {
            ExtraDetail::LocalizedMessage(msg) => Some(msg),
            _ => None,
        })
    }

    /// What the client should do: the code's
    /// [`client_action`](AuthErrorCode::client_action), or, when the error
    /// carries a retry delay,
    /// [`client_action_with_retry_delay`](AuthErrorCode::client_action_with_retry_delay)
    /// (both columns of the code table).
    ///
    /// ```
    /// use std::time::Duration;
    /// use auth_error::{AuthError, AuthErrorCode, ClientAction};
    /// let locked = AuthError::new(AuthErrorCode::AccountLocked);
    /// assert_eq!(locked.client_action(), ClientAction::ContactAdministrator);
    /// let locked = locked.with_retry_after(Duration::from_secs(900));
    /// assert_eq!(locked.client_action(), ClientAction::RetryLater);
    /// ```
    pub fn client_action(&self) -> ClientAction {
        let (plain, delayed) = (
            self.code.client_action(),
            self.code.client_action_with_retry_delay(),
        );
        match plain != delayed && self.retry_after().is_some() {
            true => delayed,
            false => plain,
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

    /// The first invalid input a typed builder refused, if any.
    pub(crate) fn pending(&self) -> Option<&AttachError> {
        self.pending.as_deref()
    }

    /// The parts the rules may change when they leave out what they refuse.
    pub(crate) fn parts_mut(&mut self) -> PartsMut<'_> {
        self.own_message();
        self.own_metadata();
        self.own_details();
        PartsMut {
            message: &mut self.message,
            domain: &mut self.domain,
            metadata: self.metadata.get_or_insert_with(EntryMap::default),
            details: &mut self.details,
        }
    }

    /// Everything the wire encoder writes, borrowed.
    pub(crate) fn wire_parts(
        &self,
    ) -> Parts<'_, MetadataIter<'_>, impl Iterator<Item = (&str, &[u8])> + Clone + '_> {
        Parts {
            code: self.code.grpc_code() as i32,
            message: self.message(),
            reason: self.code.as_str_name(),
            domain: self.domain(),
            metadata: self.metadata().iter(),
            details: self.details().iter().map(|d| (d.type_url(), d.value())),
        }
    }

    /// Everything the wire encoder writes, from the owned parts (a read
    /// error's parts are copied first, as for [`parts_mut`](Self::parts_mut)):
    /// plain slice iterators, for the lenient exit, which owns every part
    /// once `rules::sanitize` ran.
    pub(crate) fn owned_wire_parts(
        &mut self,
    ) -> Parts<
        '_,
        impl Iterator<Item = (&str, &str)> + Clone + '_,
        impl Iterator<Item = (&str, &[u8])> + Clone + '_,
    > {
        self.own_message();
        self.own_metadata();
        self.own_details();
        Parts {
            code: self.code.grpc_code() as i32,
            message: &self.message,
            reason: self.code.as_str_name(),
            domain: self.domain.as_deref().map_or(DOMAIN, String::as_str),
            metadata: self
                .metadata
                .iter()
                .flat_map(EntryMap::iter)
                .map(|(k, v)| (k.as_ref(), v.as_str())),
            details: self
                .details
                .iter()
                .map(|d| (d.type_url.as_str(), d.value.as_slice())),
        }
    }

    /// The message as this error holds it: owned (a `&'static str`, checked
    /// once per string, see `rules`, or a `String`), or the copy read from a
    /// status.
    #[inline]
    pub(crate) fn stored_message(&self) -> Stored<'_, Cow<'static, str>> {
        match self.current.message {
            Held::Owned => Stored::Owned(&self.message),
            Held::Read => Stored::Read,
        }
    }

    /// The message `Display`, `Debug` and the fail-closed answers show: the
    /// code's description in place of a message the text rule refuses.
    pub(crate) fn shown_message(&self) -> &str {
        match crate::secrets::looks_like_credential(self.message()) {
            false => self.message(),
            true => self.code.description(),
        }
    }

    /// The message of a plain error, the common rejection: built here (not
    /// read from a status), with the default domain, no metadata and no
    /// extra details, so its details are the code's constant ErrorInfo and the
    /// message. Any other error is given back.
    #[inline]
    pub(crate) fn into_plain_message(self) -> Result<Cow<'static, str>, AuthError> {
        let plain = self.wire.is_none()
            && self.domain.is_none()
            && self.metadata.as_ref().is_none_or(EntryMap::is_empty)
            && self.details.is_empty();
        match plain {
            true => Ok(self.message),
            false => Err(self),
        }
    }

    /// Takes the message (the error is consumed by the conversions).
    #[inline]
    pub(crate) fn into_message(mut self) -> Cow<'static, str> {
        self.own_message();
        self.message
    }
}

/// Mutable access to the sendable parts of an [`AuthError`], for the lenient
/// rules (`rules::sanitize`).
#[allow(clippy::box_collection)]
pub(crate) struct PartsMut<'a> {
    pub(crate) message: &'a mut Cow<'static, str>,
    /// `None` for [`DOMAIN`].
    pub(crate) domain: &'a mut Option<Box<String>>,
    pub(crate) metadata: &'a mut EntryMap,
    pub(crate) details: &'a mut Vec<Any>,
}

// `Debug` is written beside the rules (`rules/shown.rs`): it shows what the
// lenient exit sends, through the same code path.

impl fmt::Display for AuthError {
    /// `REASON: message`; a message the rules refuse (it looks like a
    /// credential) is shown as the code's description, as the lenient exits
    /// send it.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.code.as_str_name(), self.shown_message())
    }
}

impl PartialEq for AuthError {
    /// Equal when every part is: code, message, domain, metadata, details and
    /// a refused builder input.
    fn eq(&self, other: &Self) -> bool {
        self.code == other.code
            && self.message() == other.message()
            && self.domain == other.domain
            && self.metadata() == other.metadata()
            && self.details() == other.details()
            && self.pending == other.pending
    }
}

impl std::error::Error for AuthError {}

impl From<AuthErrorCode> for AuthError {
    fn from(code: AuthErrorCode) -> Self {
        AuthError::new(code)
    }
}
