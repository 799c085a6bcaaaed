//! Wire rules: the bytes in `grpc-status-details-bin` are exactly what
//! Google's richer error model and prost produce, and each rule holds.

use std::collections::BTreeMap;

use auth_error::{AuthError, AuthErrorCode, DOMAIN};
use prost::Message;
use tonic::Status;
use tonic_types::{ErrorDetails, StatusExt};

/// `google.rpc.ErrorInfo` with an ordered map: prost's generic encoding of
/// the same message, deterministic.
#[derive(Clone, PartialEq, prost::Message)]
struct ErrorInfo {
    #[prost(string, tag = "1")]
    reason: String,
    #[prost(string, tag = "2")]
    domain: String,
    #[prost(btree_map = "string, string", tag = "3")]
    metadata: BTreeMap<String, String>,
}

fn generic_encoding(
    code: AuthErrorCode,
    message: &str,
    domain: &str,
    md: &BTreeMap<String, String>,
    extra: &[prost_types::Any],
) -> Vec<u8> {
    let info = ErrorInfo {
        reason: code.as_str_name().into(),
        domain: domain.into(),
        metadata: md.clone(),
    };
    let mut details = vec![prost_types::Any {
        type_url: "type.googleapis.com/google.rpc.ErrorInfo".into(),
        value: info.encode_to_vec(),
    }];
    details.extend_from_slice(extra);
    tonic_types::pb::Status {
        code: code.grpc_code() as i32,
        message: message.into(),
        details,
    }
    .encode_to_vec()
}

#[test]
fn bytes_equal_prost_for_every_code_with_metadata_and_companions() {
    let md: BTreeMap<String, String> = [("zeta", "1"), ("alpha", ""), ("mid-key_x", "ünïcödé")]
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .collect();
    let extra = prost_types::Any {
        type_url: "type.example.com/x.Y".into(),
        value: vec![1, 2, 3],
    };
    for code in AuthErrorCode::ALL.into_iter().filter(|c| c.is_error()) {
        for message in ["", "token expired", "Jeton expiré — 東京"] {
            let mut err = AuthError::new(code)
                .with_message(message)
                .add_detail(extra.clone());
            for (k, v) in &md {
                err = err.with_metadata(k.clone(), v);
            }
            let status = err.try_into_status().unwrap();
            assert_eq!(
                status.details(),
                generic_encoding(code, message, DOMAIN, &md, std::slice::from_ref(&extra))
                    .as_slice(),
                "{code} {message:?}"
            );
        }
    }
}

#[test]
fn bytes_equal_tonic_types_without_metadata_for_every_code() {
    for code in AuthErrorCode::ALL.into_iter().filter(|c| c.is_error()) {
        let ours: Status = AuthError::new(code).with_message("msg").into();
        let theirs = Status::with_error_details(
            code.grpc_code(),
            "msg",
            ErrorDetails::with_error_info(
                code.as_str_name(),
                DOMAIN,
                std::collections::HashMap::new(),
            ),
        );
        assert_eq!(ours.details(), theirs.details(), "{code}");
        assert_eq!(ours.code(), theirs.code());
        assert_eq!(ours.message(), theirs.message());
    }
}

#[test]
fn tonic_types_reads_what_we_write() {
    let status: Status = AuthError::new(AuthErrorCode::InvalidScope)
        .with_message("need orders.write")
        .with_metadata("requiredScopes", "orders.write")
        .with_retry_after(std::time::Duration::from_secs(3))
        .into();
    let details = status
        .check_error_details()
        .expect("tonic-types decodes it");
    let info = details.error_info().unwrap();
    assert_eq!(info.reason, "INVALID_SCOPE");
    assert_eq!(info.domain, DOMAIN);
    assert_eq!(info.metadata["requiredScopes"], "orders.write");
    assert_eq!(
        details.retry_info().unwrap().retry_delay,
        Some(std::time::Duration::from_secs(3))
    );
}

#[test]
fn embedded_status_carries_same_code_and_message_and_one_error_info() {
    for code in AuthErrorCode::ALL.into_iter().filter(|c| c.is_error()) {
        let status: Status = AuthError::new(code)
            .with_message("m")
            .add_help_link("d", "https://x")
            .into();
        let rpc = tonic_types::pb::Status::decode(status.details()).unwrap();
        assert_eq!(rpc.code, status.code() as i32);
        assert_eq!(rpc.code, code.grpc_code() as i32);
        assert_eq!(rpc.message, status.message());
        let infos = rpc
            .details
            .iter()
            .filter(|d| d.type_url == "type.googleapis.com/google.rpc.ErrorInfo")
            .count();
        assert_eq!(infos, 1);
        assert_eq!(
            rpc.details[0].type_url,
            "type.googleapis.com/google.rpc.ErrorInfo"
        );
    }
}

#[test]
fn encoding_is_deterministic_whatever_the_insertion_order() {
    let a: Status = AuthError::new(AuthErrorCode::SessionExpired)
        .with_metadata("b", "2")
        .with_metadata("a", "1")
        .with_metadata("c", "3")
        .into();
    let b: Status = AuthError::new(AuthErrorCode::SessionExpired)
        .with_metadata("c", "3")
        .with_metadata("a", "1")
        .with_metadata("b", "2")
        .into();
    assert_eq!(a.details(), b.details());
    let again: Status = AuthError::new(AuthErrorCode::SessionExpired)
        .with_metadata("a", "1")
        .with_metadata("b", "2")
        .with_metadata("c", "3")
        .into();
    assert_eq!(a.details(), again.details());
}

#[test]
fn reason_is_the_value_name_and_domain_defaults_to_domain() {
    for code in AuthErrorCode::ALL.into_iter().filter(|c| c.is_error()) {
        let status: Status = AuthError::new(code).into();
        let info = status.get_details_error_info().unwrap();
        assert_eq!(info.reason, code.as_str_name());
        assert_eq!(info.domain, "auth.error.v1");
        // The default message is the description.
        assert_eq!(status.message(), code.description());
    }
    let custom: Status = AuthError::new(AuthErrorCode::TokenExpired)
        .with_domain("billing.example.com")
        .into();
    assert_eq!(
        custom.get_details_error_info().unwrap().domain,
        "billing.example.com"
    );
}

#[test]
fn encode_details_matches_the_attached_bytes() {
    let err = AuthError::new(AuthErrorCode::TokenRevoked).with_metadata("tokenId", "t-1");
    let bytes = err.encode_details().unwrap();
    let status = err.try_into_status().unwrap();
    assert_eq!(status.details(), bytes.as_slice());
}
