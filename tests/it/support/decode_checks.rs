//! The `decode` fuzz target's checks, shared with `tests/it/wire/fuzz_regressions.rs`
//! so a replayed input goes through exactly what the fuzzer checks: the
//! readers agree with each other, what the strict reader read can be sent
//! again and reads back the same, and the client guard makes any header
//! value safe for tonic.

use auth_error::{AuthError, AuthStatusExt};
use tonic::{Code, Status};

/// Runs every check on one input (first byte: the code; the rest: the
/// details bytes); panics on a failure.
pub(crate) fn check(data: &[u8]) {
    let Some((&selector, bytes)) = data.split_first() else {
        return;
    };
    let status = Status::with_details(
        Code::from_i32(i32::from(selector % 17)),
        "m",
        bytes.to_vec().into(),
    );

    let lenient = status.auth_error();
    let code = status.auth_error_code();
    assert_eq!(
        code,
        lenient.as_ref().map(AuthError::code),
        "code-only vs lenient"
    );
    match status.check_auth_error() {
        Ok(Some(err)) => {
            assert_eq!(Some(&err), lenient.as_ref(), "strict vs lenient");
            // Whatever was read can be sent again, and reads back the same.
            let again: Status = err.clone().into();
            assert_eq!(again.auth_error_code(), Some(err.code()), "re-sent");
        }
        Ok(None) => assert!(lenient.is_none(), "lenient read what strict did not see"),
        Err(e) => drop(e.to_string()),
    }
    let _ = status.auth_error_in("other.example.com");

    // The same bytes as a header value, through the guard, then tonic.
    if let Ok(value) = http::HeaderValue::from_bytes(bytes) {
        let mut headers = http::HeaderMap::new();
        headers.insert("grpc-status", http::HeaderValue::from_static("16"));
        headers.insert("grpc-status-details-bin", value);
        auth_error::guard::sanitize_details_header(&mut headers, 8 * 1024);
        // Must not panic after the guard.
        let _ = Status::from_header_map(&headers);
    }
}
