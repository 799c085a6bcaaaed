//! Reading errors back: lenient and strict readers, case by case.

use auth_error::{AuthError, AuthErrorCode, AuthStatusExt, DOMAIN, ExtractError};
use prost::Message;
use tonic::{Code, Status};

const ERROR_INFO: &str = "type.googleapis.com/google.rpc.ErrorInfo";

fn error_info(reason: &str, domain: &str, md: &[(&str, &str)]) -> prost_types::Any {
    let info = tonic_types::pb::ErrorInfo {
        reason: reason.into(),
        domain: domain.into(),
        metadata: md
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect(),
    };
    prost_types::Any {
        type_url: ERROR_INFO.into(),
        value: info.encode_to_vec(),
    }
}

/// The strict reader reports the first detail as an undecodable ErrorInfo.
fn assert_invalid_error_info_at_0(status: &Status) {
    let got = status.check_auth_error();
    assert!(
        matches!(got, Err(ExtractError::InvalidErrorInfo { index: 0, .. })),
        "{got:?}"
    );
}

fn status_with(code: Code, message: &str, details: Vec<prost_types::Any>) -> Status {
    let rpc = tonic_types::pb::Status {
        code: code as i32,
        message: message.into(),
        details,
    };
    Status::with_details(code, message, rpc.encode_to_vec().into())
}

#[test]
fn every_code_round_trips_through_a_status() {
    for code in AuthErrorCode::ALL.into_iter().filter(|c| c.is_error()) {
        let err = AuthError::new(code)
            .with_message(format!("failed: {code} — ünïcode"))
            .with_metadata("tenantId", "acme")
            .with_metadata("empty", "");
        let status = err.clone().try_into_status().unwrap();
        assert_eq!(status.code(), code.grpc_code());
        assert_eq!(status.auth_error_code(), Some(code));
        assert_eq!(status.auth_error(), Some(err.clone()));
        assert_eq!(status.check_auth_error(), Ok(Some(err)));
    }
}

#[test]
fn every_code_round_trips_through_real_headers() {
    for code in AuthErrorCode::ALL.into_iter().filter(|c| c.is_error()) {
        let err = AuthError::new(code)
            .with_message("héllo\nworld %")
            .with_metadata("deviceId", "d-1");
        let status: Status = err.clone().into();
        let mut headers = http::HeaderMap::new();
        status.add_header(&mut headers).unwrap();
        let b64 = headers
            .get("grpc-status-details-bin")
            .unwrap()
            .to_str()
            .unwrap();
        assert!(!b64.ends_with('='), "unpadded base64 on the wire: {b64}");
        let back = Status::from_header_map(&headers).unwrap();
        assert_eq!(back.code(), code.grpc_code());
        assert_eq!(back.message(), "héllo\nworld %");
        assert_eq!(back.check_auth_error(), Ok(Some(err)));
    }
}

#[test]
fn no_details_means_none() {
    let status = Status::unauthenticated("plain");
    assert_eq!(status.auth_error(), None);
    assert_eq!(status.auth_error_code(), None);
    assert_eq!(status.check_auth_error(), Ok(None));
}

#[test]
fn details_without_error_info_mean_none() {
    let retry = prost_types::Any {
        type_url: "type.googleapis.com/google.rpc.RetryInfo".into(),
        value: vec![],
    };
    let status = status_with(Code::Unauthenticated, "m", vec![retry]);
    assert_eq!(status.auth_error(), None);
    assert_eq!(status.check_auth_error(), Ok(None));
}

#[test]
fn another_domain_is_not_ours_but_auth_error_in_reads_it() {
    let status = status_with(
        Code::Unauthenticated,
        "m",
        vec![error_info(
            "TOKEN_EXPIRED",
            "other.example.com",
            &[("k", "v")],
        )],
    );
    assert_eq!(status.auth_error(), None);
    assert_eq!(status.auth_error_code(), None);
    assert_eq!(status.check_auth_error(), Ok(None));
    let theirs = status.auth_error_in("other.example.com").unwrap();
    assert_eq!(theirs.code(), AuthErrorCode::TokenExpired);
    assert_eq!(theirs.domain(), "other.example.com");
    assert_eq!(theirs.metadata().get("k").unwrap(), "v");
    assert!(
        status
            .check_auth_error_in("other.example.com")
            .unwrap()
            .is_some()
    );
}

#[test]
fn first_error_info_of_the_domain_wins_and_others_stay_as_details() {
    let foreign = error_info("QUOTA", "other.example.com", &[]);
    let status = status_with(
        Code::Unauthenticated,
        "m",
        vec![
            foreign.clone(),
            error_info("TOKEN_EXPIRED", DOMAIN, &[("n", "1")]),
            error_info("SESSION_EXPIRED", DOMAIN, &[("n", "2")]),
        ],
    );
    let err = status.auth_error().unwrap();
    assert_eq!(err.code(), AuthErrorCode::TokenExpired);
    assert_eq!(err.metadata().get("n").unwrap(), "1");
    assert_eq!(status.auth_error_code(), Some(AuthErrorCode::TokenExpired));
    assert_eq!(err.details().to_vec()[0], foreign);
    assert_eq!(
        err.details().to_vec()[1],
        error_info("SESSION_EXPIRED", DOMAIN, &[("n", "2")])
    );
    // Re-sending keeps exactly one ErrorInfo: the lenient path drops the others…
    let resent: Status = err.clone().into();
    let rpc = tonic_types::pb::Status::decode(resent.details()).unwrap();
    assert_eq!(
        rpc.details
            .iter()
            .filter(|d| d.type_url == ERROR_INFO)
            .count(),
        1
    );
    // …and the strict path refuses them.
    assert_eq!(
        err.try_into_status().unwrap_err(),
        auth_error::AttachError::ExtraErrorInfo
    );
}

#[test]
fn unknown_reason_in_our_domain() {
    let status = status_with(
        Code::Unauthenticated,
        "m",
        vec![error_info("TOKEN_TOO_SHINY", DOMAIN, &[])],
    );
    assert_eq!(status.auth_error(), None);
    assert_eq!(status.auth_error_code(), None);
    let err = status.check_auth_error().unwrap_err();
    assert!(
        matches!(&err, ExtractError::UnknownReason { reason, .. } if reason == "TOKEN_TOO_SHINY"),
        "{err:?}"
    );
    assert!(err.to_string().contains("TOKEN_TOO_SHINY"));
}

#[test]
fn no_auth_error_is_never_reported() {
    let status = status_with(
        Code::Unauthenticated,
        "m",
        vec![error_info("NO_AUTH_ERROR", DOMAIN, &[])],
    );
    assert_eq!(status.auth_error(), None);
    assert_eq!(status.auth_error_code(), None);
    assert_eq!(status.check_auth_error(), Err(ExtractError::NoAuthError));
}

#[test]
fn bytes_that_are_not_a_status() {
    for garbage in [
        &b"\xff\xff\xff"[..],
        b"\x0b",
        b"\x1a\x05ab",
        b"hello world",
        b"\x12\x02\xff\xfe",
    ] {
        let status = Status::with_details(Code::Unauthenticated, "m", garbage.to_vec().into());
        assert_eq!(status.auth_error(), None, "{garbage:?}");
        assert_eq!(status.auth_error_code(), None);
        assert!(
            matches!(
                status.check_auth_error(),
                Err(ExtractError::Malformed { .. })
            ),
            "{garbage:?}: {:?}",
            status.check_auth_error()
        );
    }
}

#[test]
fn truncated_buffers_never_panic_and_strict_reports_them() {
    let status: Status = AuthError::new(AuthErrorCode::TokenExpired)
        .with_message("m")
        .with_metadata("a", "b")
        .into();
    let full = status.details().to_vec();
    // [code: 2 bytes][message: 3 bytes][ErrorInfo Any…]: cutting exactly after
    // the message leaves a valid Status without details; every other cut
    // splits a field.
    for len in 1..full.len() {
        let cut = Status::with_details(status.code(), "m", full[..len].to_vec().into());
        assert_eq!(cut.auth_error(), None, "len {len}");
        assert_eq!(cut.auth_error_code(), None, "len {len}");
        match len {
            2 => assert!(matches!(
                cut.check_auth_error(),
                Err(ExtractError::MessageMismatch { .. })
            )),
            5 => assert_eq!(cut.check_auth_error(), Ok(None), "len {len}"),
            _ => assert!(
                matches!(cut.check_auth_error(), Err(ExtractError::Malformed { .. })),
                "len {len}: {:?}",
                cut.check_auth_error()
            ),
        }
    }
}

#[test]
fn garbage_error_info_value() {
    let garbage = prost_types::Any {
        type_url: ERROR_INFO.into(),
        value: vec![0x0a, 0x7f, 1],
    };
    let status = status_with(Code::Unauthenticated, "m", vec![garbage.clone()]);
    assert_eq!(status.auth_error(), None);
    assert_invalid_error_info_at_0(&status);
    // A garbled one after ours does not hide ours.
    let status = status_with(
        Code::Unauthenticated,
        "m",
        vec![error_info("TOKEN_EXPIRED", DOMAIN, &[]), garbage.clone()],
    );
    assert_eq!(
        status.check_auth_error().unwrap().unwrap().details(),
        std::slice::from_ref(&garbage)
    );
    // Before ours, the lenient reader skips it; the strict one reports it.
    let status = status_with(
        Code::Unauthenticated,
        "m",
        vec![garbage, error_info("TOKEN_EXPIRED", DOMAIN, &[])],
    );
    assert_eq!(status.auth_error_code(), Some(AuthErrorCode::TokenExpired));
    assert_invalid_error_info_at_0(&status);
}

#[test]
fn embedded_code_or_message_differing_from_the_status() {
    let rpc = tonic_types::pb::Status {
        code: Code::PermissionDenied as i32,
        message: "m".into(),
        details: vec![error_info("TOKEN_EXPIRED", DOMAIN, &[])],
    };
    let status = Status::with_details(Code::Unauthenticated, "m", rpc.encode_to_vec().into());
    assert_eq!(status.auth_error_code(), Some(AuthErrorCode::TokenExpired));
    let err = status.check_auth_error().unwrap_err();
    assert!(
        matches!(err, ExtractError::CodeMismatch { status: Code::Unauthenticated, details, .. }
            if details == Code::PermissionDenied as i32),
        "{err:?}"
    );
    let status = Status::with_details(Code::PermissionDenied, "other", rpc.encode_to_vec().into());
    assert!(matches!(
        status.check_auth_error(),
        Err(ExtractError::MessageMismatch { .. })
    ));
}

#[test]
fn unknown_companion_types_come_back_unchanged() {
    let unknown = prost_types::Any {
        type_url: "type.example.com/acme.Secretless".into(),
        value: vec![0xde, 0xad, 0xbe, 0xef],
    };
    let details =
        tonic_types::ErrorDetails::with_retry_info(Some(std::time::Duration::from_millis(1500)));
    let status: Status = AuthError::new(AuthErrorCode::TokenNotActive)
        .add_detail(unknown.clone())
        .add_error_details(details)
        .add_localized_message("de", "Noch nicht gültig")
        .into();
    let err = status.check_auth_error().unwrap().unwrap();
    assert_eq!(err.details().to_vec()[0], unknown);
    assert_eq!(
        err.retry_after(),
        Some(std::time::Duration::from_millis(1500))
    );
    assert_eq!(
        err.error_details().retry_info().unwrap().retry_delay,
        Some(std::time::Duration::from_millis(1500))
    );
    assert_eq!(
        err.localized_message().unwrap().message,
        "Noch nicht gültig"
    );
    // …and survive being sent again.
    let again = err.clone().try_into_status().unwrap();
    assert_eq!(again.details(), status.details());
}

#[test]
fn lenient_code_reader_agrees_with_the_full_reader() {
    let cases = vec![
        status_with(
            Code::Unauthenticated,
            "m",
            vec![error_info("TOKEN_EXPIRED", DOMAIN, &[])],
        ),
        status_with(
            Code::Unauthenticated,
            "m",
            vec![error_info("NOPE", DOMAIN, &[])],
        ),
        status_with(Code::Unauthenticated, "m", vec![]),
        Status::with_details(Code::Unauthenticated, "m", vec![1, 2, 3].into()),
    ];
    for status in cases {
        assert_eq!(
            status.auth_error_code(),
            status.auth_error().map(|e| e.code())
        );
    }
}
