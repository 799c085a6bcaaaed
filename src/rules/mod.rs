//! Every rule about what may leave the process, written once and applied by
//! every exit (gRPC strict and lenient, the JSON body, axum, the CLI's
//! `encode`, the `WWW-Authenticate` challenge):
//!
//! | rule | strict ([`check`]) | lenient ([`sanitize`]) |
//! |---|---|---|
//! | a typed builder refused an input | its [`AttachError`] | (the input was never stored) |
//! | `NO_AUTH_ERROR` is not an error | [`AttachError::NoAuthError`] | the exit fails closed (`UNKNOWN` / 500, no details) |
//! | domain: non-empty, at most [`MAX_DOMAIN_LEN`] bytes, no whitespace or control characters | [`AttachError::InvalidDomain`] | [`DOMAIN`](crate::DOMAIN) instead |
//! | metadata key: AIP-193 `[a-z][a-zA-Z0-9-_]*`, at most [`MAX_METADATA_KEY_LEN`] | [`AttachError::InvalidMetadataKey`] | entry left out |
//! | metadata key names a secret | [`AttachError::SecretMetadataKey`] | entry left out |
//! | metadata value (or any list item) looks like a credential | [`AttachError::CredentialInMetadata`] | entry left out |
//! | the message looks like a credential | [`AttachError::CredentialInText`] | the code's [`description`](crate::AuthErrorCode::description) instead |
//! | an extra detail's text (`LocalizedMessage`, `Help` descriptions and URLs) looks like a credential | [`AttachError::CredentialInText`] | extra detail left out |
//! | exactly one ErrorInfo: no extra detail is another | [`AttachError::ExtraErrorInfo`] | extra detail left out |
//! | encoded `google.rpc.Status` at most [`MAX_DETAILS_LEN`] bytes | [`AttachError::TooLarge`] | extra details (last first), then metadata (last key first), then the message's tail left out |
//!
//! Strict and lenient are two ways of applying the same list: the first rule
//! broken, or drop what breaks one. A new rule is one function here.

mod shown;

use crate::error::{AttachError, TextField};
use crate::secrets as credentials;

use std::borrow::Cow;

use crate::error::{ExtraDetail, Stored};

use crate::wire::ERROR_INFO_TYPE_URL;
use crate::wire::encode::Lens;
use crate::{AuthError, DOMAIN};

/// Bound on the encoded `google.rpc.Status` (the `grpc-status-details-bin`
/// value before base64), far below the 8 KiB header-list limits of gRPC
/// peers (base64 adds a third, and `grpc-message` travels beside it).
pub const MAX_DETAILS_LEN: usize = 4096;

/// Bound on a metadata key, from AIP-193.
pub const MAX_METADATA_KEY_LEN: usize = 64;

/// Bound on the domain, in bytes (a DNS name's length).
pub const MAX_DOMAIN_LEN: usize = 253;

/// The domain rule.
fn is_valid_domain(domain: &str) -> bool {
    domain == DOMAIN
        || !domain.is_empty()
            && domain.len() <= MAX_DOMAIN_LEN
            && !domain.chars().any(|c| c.is_whitespace() || c.is_control())
}

/// AIP-193 metadata key: `[a-z][a-zA-Z0-9-_]*`, at most 64 characters.
pub(crate) fn is_valid_key(key: &str) -> bool {
    let bytes = key.as_bytes();
    bytes.len() <= MAX_METADATA_KEY_LEN
        && bytes.first().is_some_and(u8::is_ascii_lowercase)
        && bytes[1..]
            .iter()
            .all(|b| b.is_ascii_alphanumeric() || *b == b'-' || *b == b'_')
}

/// The metadata rules, for one entry. The error names the key, never the value.
/// A key that names a secret is reported as such even when it is also not
/// AIP-193 (`client.secret`, `X-Auth-Token`): the more useful reason.
pub(crate) fn check_entry(key: &str, value: &str) -> Result<(), AttachError> {
    check_key(key)?;
    check_value(key, value)
}

/// An entry as an error stores it: a `&'static str` key (a literal, a
/// documented key) cannot change, so its key rules run once per string and
/// are remembered (see [`checked_once`]); an owned key is checked every
/// time. The value is always checked.
#[allow(clippy::ptr_arg)] // whether it is borrowed is the point
fn check_stored_entry(key: &Cow<'static, str>, value: &str) -> Result<(), AttachError> {
    match key {
        Cow::Borrowed(key) => checked_once(&CLEAN_KEYS, key, check_key)?,
        Cow::Owned(key) => check_key(key)?,
    }
    check_value(key, value)
}

fn check_key(key: &str) -> Result<(), AttachError> {
    if credentials::is_secret_metadata_key(key) {
        return Err(AttachError::SecretMetadataKey {
            key: key.to_owned(),
        });
    }
    if !is_valid_key(key) {
        return Err(AttachError::InvalidMetadataKey {
            key: key.to_owned(),
        });
    }
    Ok(())
}

fn check_value(key: &str, value: &str) -> Result<(), AttachError> {
    if credentials::looks_like_credential(value) {
        return Err(AttachError::CredentialInMetadata {
            key: key.to_owned(),
        });
    }
    Ok(())
}

/// The text rule: a text the error carries (its message, an extra detail's
/// text) must not look like a credential. Ordinary sentences, URLs and
/// dotted names pass.
pub(crate) fn check_text(field: TextField, text: &str) -> Result<(), AttachError> {
    if credentials::looks_like_credential(text) {
        return Err(AttachError::CredentialInText { field });
    }
    Ok(())
}

/// The message rule. A `&'static str` message (a code's description, a
/// literal) cannot change, so it is scanned once per string and remembered
/// (a small per-thread cache keyed by address and length); an owned message
/// (`format!`: where a token could slip in) is scanned every time.
#[inline]
#[allow(clippy::ptr_arg)] // whether it is borrowed is the point
pub(crate) fn check_message(message: &Cow<'static, str>) -> Result<(), AttachError> {
    match message {
        Cow::Borrowed(text) => check_static_text(text),
        Cow::Owned(text) => check_text(TextField::Message, text),
    }
}

/// The message rule for `err`'s message, wherever it is stored.
pub(crate) fn check_message_of(err: &AuthError) -> Result<(), AttachError> {
    match err.stored_message() {
        Stored::Owned(message) => check_message(message),
        Stored::Read => check_text(TextField::Message, err.message()),
    }
}

#[inline]
fn check_static_text(text: &'static str) -> Result<(), AttachError> {
    checked_once(&CLEAN_MESSAGES, text, |text| {
        check_text(TextField::Message, text)
    })
}

/// A per-thread memory of `&'static str`s that passed one rule, keyed by
/// address and length (16 slots, a new string replaces the one in its slot).
type Passed = std::thread::LocalKey<[std::cell::Cell<(usize, usize)>; 16]>;

thread_local! {
    /// Messages that passed the text rule.
    static CLEAN_MESSAGES: [std::cell::Cell<(usize, usize)>; 16] =
        const { [const { std::cell::Cell::new((0, 0)) }; 16] };
    /// Keys that passed the key rules.
    static CLEAN_KEYS: [std::cell::Cell<(usize, usize)>; 16] =
        const { [const { std::cell::Cell::new((0, 0)) }; 16] };
}

/// Runs `rule` on a `&'static str` the first time this thread sees it (or
/// after its slot was taken by another), and remembers a pass: a static
/// string cannot change, so the answer cannot either. A failure is never
/// remembered (it is reported every time).
#[inline]
fn checked_once(
    passed: &'static Passed,
    text: &'static str,
    rule: impl FnOnce(&str) -> Result<(), AttachError>,
) -> Result<(), AttachError> {
    if passed_before(passed, text) {
        return Ok(());
    }
    rule(text)?;
    passed.with(|p| p[slot_of(text)].set(key_of(text)));
    Ok(())
}

/// Whether `text` is remembered in `passed`.
#[inline]
fn passed_before(passed: &'static Passed, text: &'static str) -> bool {
    passed.with(|p| p[slot_of(text)].get() == key_of(text))
}

#[inline]
fn key_of(text: &'static str) -> (usize, usize) {
    (text.as_ptr() as usize, text.len())
}

#[inline]
fn slot_of(text: &'static str) -> usize {
    ((text.as_ptr() as usize) >> 3).wrapping_add(text.len()) % 16
}

/// The extra detail rules: exactly one ErrorInfo, the one the exit writes; the
/// text of a standard extra detail passes the text rule. A type this crate does
/// not know is opaque and sent as given.
fn check_detail(type_url: &str, value: &[u8]) -> Result<(), AttachError> {
    if type_url == ERROR_INFO_TYPE_URL {
        return Err(AttachError::ExtraErrorInfo);
    }
    match ExtraDetail::from_parts(type_url, value) {
        Some(ExtraDetail::LocalizedMessage(m)) => {
            check_text(TextField::LocalizedMessage, &m.message)
        }
        Some(ExtraDetail::Help(links)) => links.iter().try_for_each(|l| {
            check_text(TextField::HelpLink, &l.description)?;
            check_text(TextField::HelpLink, &l.url)
        }),
        _ => Ok(()),
    }
}

/// The size rule.
fn check_size(lens: Lens) -> Result<Lens, AttachError> {
    if lens.total > MAX_DETAILS_LEN {
        return Err(AttachError::TooLarge {
            len: lens.total,
            max: MAX_DETAILS_LEN,
        });
    }
    Ok(lens)
}

/// Strict: the first rule `err` breaks, or the encoded lengths.
pub(crate) fn check(err: &AuthError) -> Result<Lens, AttachError> {
    if let Some(pending) = err.pending() {
        return Err(pending.clone());
    }
    if !err.code().is_error() {
        return Err(AttachError::NoAuthError);
    }
    if !is_valid_domain(err.domain()) {
        return Err(AttachError::InvalidDomain {
            len: err.domain().len(),
        });
    }
    check_message_of(err)?;
    match err.stored_metadata() {
        Stored::Owned(map) => {
            for (key, value) in map.iter().flat_map(|m| m.iter()) {
                check_stored_entry(key, value)?;
            }
        }
        Stored::Read => {
            for (key, value) in err.metadata() {
                check_entry(key, value)?;
            }
        }
    }
    for detail in err.details().iter() {
        check_detail(detail.type_url(), detail.value())?;
    }
    check_size(err.wire_parts().lens())
}

/// Lenient: leaves out of `err` what breaks a rule (see the module docs) and
/// returns the encoded lengths. Mutates only what is at fault, so a valid
/// error costs one pass over its metadata. `NO_AUTH_ERROR` is the caller's
/// to fail closed.
pub(crate) fn sanitize(err: &mut AuthError) -> Lens {
    let code = err.code();
    let parts = err.parts_mut();
    if parts.domain.as_deref().is_some_and(|d| !is_valid_domain(d)) {
        *parts.domain = None;
    }
    if check_message(parts.message).is_err() {
        *parts.message = Cow::Borrowed(code.description());
    }
    if parts
        .metadata
        .iter()
        .any(|(k, v)| check_stored_entry(k, v).is_err())
    {
        parts
            .metadata
            .retain(|k, v| check_stored_entry(k, v).is_ok());
    }
    let ok = |d: &prost_types::Any| check_detail(&d.type_url, &d.value).is_ok();
    if !parts.details.iter().all(ok) {
        parts.details.retain(ok);
    }
    loop {
        let lens = err.owned_wire_parts().lens();
        let Err(AttachError::TooLarge { len, max }) = check_size(lens) else {
            return lens;
        };
        let parts = err.parts_mut();
        if parts.details.pop().is_some() || parts.metadata.pop_last().is_some() {
            continue;
        }
        // Only the message is left to shorten; code, reason and a domain of at
        // most MAX_DOMAIN_LEN bytes always fit.
        let message = parts.message.to_mut();
        let mut end = message.len().saturating_sub(len - max);
        while !message.is_char_boundary(end) {
            end -= 1;
        }
        message.truncate(end);
    }
}

#[cfg(test)]
mod tests {
    /// Documented keys pass the key rules, and an owned one is stored as
    /// the documented constant.
    #[test]
    fn documented_keys_pass_the_key_rules() {
        for key in crate::keys::ALL {
            assert!(super::check_entry(key, "v").is_ok(), "{key}");
            assert_eq!(crate::keys::interned(key), Some(key));
        }
        assert_eq!(crate::keys::interned("tenantid"), None);
    }
}
