//! Property tests: round trips for arbitrary valid input, and no panic (and
//! agreement between readers) for arbitrary and mutated bytes.

use auth_error::{AuthError, AuthErrorCode, AuthStatusExt, MAX_DETAILS_LEN};
use proptest::prelude::*;
use tonic::{Code, Status};

fn error_code() -> impl Strategy<Value = AuthErrorCode> {
    (1..AuthErrorCode::ALL.len()).prop_map(|i| AuthErrorCode::ALL[i])
}

/// Values that the credential guard would not refuse.
fn safe_value() -> impl Strategy<Value = String> {
    any::<String>().prop_filter("not credential-like", |v| {
        let t = v.trim_start().to_ascii_lowercase();
        !t.starts_with("bearer ") && !v.trim().starts_with("eyJ")
    })
}

/// AIP-193 keys; starting with `k`, none can be a secret's name.
fn metadata() -> impl Strategy<Value = Vec<(String, String)>> {
    prop::collection::vec(("k[a-zA-Z0-9_-]{0,20}", safe_value()), 0..6)
}

fn build(code: AuthErrorCode, message: &str, md: &[(String, String)]) -> AuthError {
    md.iter().fold(
        AuthError::new(code).with_message(message.to_owned()),
        |e, (k, v)| e.with_metadata(k.clone(), v),
    )
}

/// Every reader, with the invariants that must hold whatever the bytes.
fn read_all(status: &Status) {
    let lenient = status.auth_error();
    let code = status.auth_error_code();
    assert_eq!(code, lenient.as_ref().map(AuthError::code), "readers agree");
    assert_ne!(code, Some(AuthErrorCode::NoAuthError));
    match status.check_auth_error() {
        Ok(Some(err)) => {
            assert_eq!(
                Some(&err),
                lenient.as_ref(),
                "strict success implies lenient success"
            );
            assert!(err.code().is_error());
        }
        Ok(None) => assert!(lenient.is_none()),
        Err(e) => assert!(!e.to_string().is_empty()),
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    #[test]
    fn valid_errors_round_trip_exactly(code in error_code(), message in any::<String>(), md in metadata()) {
        let err = build(code, &message, &md);
        match err.clone().try_into_status() {
            Ok(status) => {
                prop_assert_eq!(status.check_auth_error().unwrap(), Some(err.clone()));
                // …and through real headers.
                let mut headers = http::HeaderMap::new();
                status.add_header(&mut headers).unwrap();
                let back = Status::from_header_map(&headers).unwrap();
                prop_assert_eq!(back.check_auth_error().unwrap(), Some(err));
            }
            Err(auth_error::AttachError::TooLarge { len, max, .. }) => {
                prop_assert!(len > max);
            }
            Err(other) => prop_assert!(false, "unexpected refusal: {other}"),
        }
    }

    #[test]
    fn lenient_conversion_never_panics_and_always_decodes(
        code in error_code(),
        message in ".{0,3000}",
        domain in any::<String>(),
        md in prop::collection::vec((any::<String>(), any::<String>()), 0..8),
    ) {
        let err = md
            .iter()
            .fold(AuthError::new(code).with_message(message).with_domain(domain.clone()), |e, (k, v)| e.with_metadata(k.clone(), v));
        let status: Status = err.into();
        prop_assert!(status.details().len() <= MAX_DETAILS_LEN);
        // The domain is the given one when valid, DOMAIN otherwise.
        let sent = tonic_types::StatusExt::get_details_error_info(&status).unwrap();
        prop_assert!(sent.domain == domain || sent.domain == auth_error::DOMAIN);
        let back = status.check_auth_error_in(&sent.domain).unwrap().unwrap();
        prop_assert_eq!(back.code(), code);
    }

    #[test]
    fn arbitrary_bytes_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..512), code in 0i32..17) {
        let status = Status::with_details(Code::from_i32(code), "m", bytes.into());
        read_all(&status);
    }

    #[test]
    fn mutated_and_truncated_encodings_never_panic(
        code in error_code(),
        md in metadata(),
        at in any::<prop::sample::Index>(),
        byte in any::<u8>(),
        cut in any::<prop::sample::Index>(),
    ) {
        let status: Status = build(code, "message", &md).into();
        let mut bytes = status.details().to_vec();
        let i = at.index(bytes.len());
        bytes[i] = byte;
        read_all(&Status::with_details(status.code(), "message", bytes.clone().into()));
        bytes.truncate(cut.index(bytes.len()));
        read_all(&Status::with_details(status.code(), "message", bytes.into()));
    }
}
