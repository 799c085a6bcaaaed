//! The differential oracle, shared by `tests/it/wire/differential.rs` (proptest) and
//! the `differential` fuzz target: for any details bytes, this crate's readers
//! succeed only where prost decodes the same `google.rpc.Status` (and its
//! ErrorInfo), and then read the same code, reason, domain, metadata and
//! details.

use std::collections::BTreeMap;

use auth_error::{AuthError, AuthErrorCode, AuthStatusExt};
use prost::Message;
use tonic::Status;
use tonic_types::pb;

const ERROR_INFO: &str = "type.googleapis.com/google.rpc.ErrorInfo";

/// What prost reads from `bytes` for `domain`, leniently: the first ErrorInfo
/// of the domain that decodes, with a known error reason, and every other
/// detail. `None` where prost refuses the Status.
pub(crate) fn prost_reference(status: &Status, domain: &str) -> Option<AuthError> {
    let decoded = pb::Status::decode(status.details()).ok()?;
    let (index, info) = decoded.details.iter().enumerate().find_map(|(i, any)| {
        let info = (any.type_url == ERROR_INFO)
            .then(|| pb::ErrorInfo::decode(any.value.as_slice()).ok())
            .flatten()?;
        (info.domain == domain).then_some((i, info))
    })?;
    let code = AuthErrorCode::from_str_name(&info.reason).filter(|c| c.is_error())?;
    let mut err = AuthError::new(code).with_message(status.message().to_owned());
    if domain != auth_error::DOMAIN {
        err = err.with_domain(domain);
    }
    let metadata: BTreeMap<String, String> = info.metadata.into_iter().collect();
    for (k, v) in metadata {
        err = err.with_metadata(k, v);
    }
    for (i, any) in decoded.details.into_iter().enumerate() {
        if i != index {
            err = err.add_detail(any);
        }
    }
    Some(err)
}

/// What the strict reader must answer, computed with prost alone: the kind
/// of refusal (and the detail index it names), or the error.
#[derive(Debug, PartialEq)]
pub(crate) enum Strict {
    Read(Option<AuthError>),
    Malformed,
    CodeMismatch,
    MessageMismatch,
    InvalidErrorInfo(usize),
    ExtraErrorInfo(usize),
    UnknownReason(String),
    NoAuthError,
}

/// The strict reader's rules, applied to what prost decodes: details that
/// decode, whose code and message equal the status', no undecodable
/// ErrorInfo before the domain's, exactly one ErrorInfo of the domain, and a
/// known error reason.
pub(crate) fn prost_strict(status: &Status, domain: &str) -> Strict {
    if status.details().is_empty() {
        return Strict::Read(None);
    }
    let Ok(decoded) = pb::Status::decode(status.details()) else {
        return Strict::Malformed;
    };
    if decoded.code != status.code() as i32 {
        return Strict::CodeMismatch;
    }
    if decoded.message != status.message() {
        return Strict::MessageMismatch;
    }
    let infos: Vec<(usize, Option<pb::ErrorInfo>)> = decoded
        .details
        .iter()
        .enumerate()
        .filter(|(_, any)| any.type_url == ERROR_INFO)
        .map(|(i, any)| (i, pb::ErrorInfo::decode(any.value.as_slice()).ok()))
        .collect();
    let mut ours = infos.iter().filter_map(|(i, info)| {
        info.as_ref()
            .filter(|info| info.domain == domain)
            .map(|_| *i)
    });
    let found = ours.next();
    let garbled = infos
        .iter()
        .find(|(_, info)| info.is_none())
        .map(|(i, _)| *i);
    if let Some(index) = garbled
        && found.is_none_or(|found| index < found)
    {
        return Strict::InvalidErrorInfo(index);
    }
    let Some(found) = found else {
        return Strict::Read(None);
    };
    if let Some(second) = ours.next() {
        return Strict::ExtraErrorInfo(second);
    }
    let reason = infos
        .iter()
        .find(|(i, _)| *i == found)
        .and_then(|(_, info)| info.as_ref())
        .map(|info| info.reason.clone())
        .unwrap_or_default();
    match AuthErrorCode::from_str_name(&reason) {
        Some(AuthErrorCode::NoAuthError) => Strict::NoAuthError,
        Some(_) => Strict::Read(prost_reference(status, domain)),
        // The crate keeps a peer's text to 256 characters (and withholds
        // one that looks like a credential, which these inputs never are).
        None => Strict::UnknownReason(match reason.char_indices().nth(256) {
            Some((cut, _)) => format!("{}…", &reason[..cut]),
            None => reason,
        }),
    }
}

/// What this crate's strict reader answered, in the same terms.
fn ours_strict(status: &Status, domain: &str) -> Strict {
    use auth_error::ExtractError as E;
    match status.check_auth_error_in(domain) {
        Ok(read) => Strict::Read(read),
        Err(E::Malformed { .. }) => Strict::Malformed,
        Err(E::CodeMismatch { .. }) => Strict::CodeMismatch,
        Err(E::MessageMismatch { .. }) => Strict::MessageMismatch,
        Err(E::InvalidErrorInfo { index, .. }) => Strict::InvalidErrorInfo(index),
        Err(E::ExtraErrorInfo { index, .. }) => Strict::ExtraErrorInfo(index),
        Err(E::UnknownReason { reason, .. }) => Strict::UnknownReason(reason),
        Err(E::NoAuthError) => Strict::NoAuthError,
        Err(other) => panic!("an ExtractError the oracle does not know: {other:?}"),
    }
}

/// The status a peer would send with `bytes`: for an even selector, the code
/// and message the details embed (when prost decodes them), so the strict
/// reader goes past its consistency checks; for an odd one, a code from the
/// selector and message `m`, so the mismatch paths run too.
pub(crate) fn status_for(selector: u8, bytes: &[u8]) -> Status {
    let embedded = pb::Status::decode(bytes)
        .ok()
        .filter(|_| selector.is_multiple_of(2));
    let (code, message) = match embedded {
        Some(decoded) => (tonic::Code::from_i32(decoded.code), decoded.message),
        None => (
            tonic::Code::from_i32(i32::from(selector % 17)),
            "m".to_owned(),
        ),
    };
    Status::with_details(code, message, bytes.to_vec().into())
}

/// Checks every reader against prost on one input; panics on disagreement.
pub(crate) fn check(selector: u8, bytes: &[u8]) {
    let status = status_for(selector, bytes);
    for domain in [auth_error::DOMAIN, "other.example.com"] {
        let reference = prost_reference(&status, domain);
        let lenient = status.auth_error_in(domain);
        assert_eq!(
            lenient, reference,
            "lenient reader vs prost, domain {domain}"
        );
        if domain == auth_error::DOMAIN {
            assert_eq!(
                status.auth_error_code(),
                reference.as_ref().map(AuthError::code),
                "auth_error_code vs prost"
            );
        }
        assert_eq!(
            ours_strict(&status, domain),
            prost_strict(&status, domain),
            "strict reader vs prost, domain {domain}"
        );
    }
}
