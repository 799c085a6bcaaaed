//! The differential oracle, shared by `tests/differential.rs` (proptest) and
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
    let mut err = AuthError::new(code).with_message(status.message());
    if domain != auth_error::DOMAIN {
        err = err.with_domain(domain);
    }
    let metadata: BTreeMap<String, String> = info.metadata.into_iter().collect();
    for (k, v) in metadata {
        err = err.with_metadata(k, v);
    }
    for (i, any) in decoded.details.into_iter().enumerate() {
        if i != index {
            err = err.with_detail(any);
        }
    }
    Some(err)
}

/// Checks every reader against prost on one input; panics on disagreement.
pub(crate) fn check(code_selector: u8, bytes: &[u8]) {
    let code = tonic::Code::from_i32(i32::from(code_selector % 17));
    let status = Status::with_details(code, "m", bytes.to_vec().into());
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
        match status.check_auth_error_in(domain) {
            Ok(Some(strict)) => assert_eq!(Some(strict), reference, "strict reader vs prost"),
            Ok(None) => assert!(
                pb::Status::decode(status.details()).is_ok() || status.details().is_empty(),
                "strict reader saw no error in details prost refuses"
            ),
            Err(_) => {}
        }
    }
}
