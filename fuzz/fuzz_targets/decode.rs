//! Fuzzes everything that reads bytes from a peer: the details readers (as
//! `grpc-status-details-bin` payload) and the client guard's header sanitizer.
//!
//! Run: `cargo fuzz run decode -- -max_total_time=300` (from the repo root).
#![no_main]

use auth_error::__internals::sanitize_details_header as sanitize;
use auth_error::{AuthError, AuthStatusExt};
use libfuzzer_sys::fuzz_target;
use tonic::{Code, Status};

fuzz_target!(|data: &[u8]| {
    let Some((&selector, bytes)) = data.split_first() else {
        return;
    };
    let status = Status::with_details(Code::from_i32(i32::from(selector % 17)), "m", bytes.to_vec().into());

    let lenient = status.auth_error();
    let code = status.auth_error_code();
    assert_eq!(code, lenient.as_ref().map(AuthError::code));
    match status.check_auth_error() {
        Ok(Some(err)) => {
            assert_eq!(Some(&err), lenient.as_ref());
            // Whatever was read can be sent again, and reads back the same code.
            let again: Status = err.clone().into();
            assert_eq!(again.auth_error_code(), Some(err.code()));
        }
        Ok(None) => assert!(lenient.is_none()),
        Err(e) => drop(e.to_string()),
    }
    let _ = status.auth_error_in("other.example.com");

    // The same bytes as a header value, through the guard, then tonic.
    if let Ok(value) = http::HeaderValue::from_bytes(bytes) {
        let mut headers = http::HeaderMap::new();
        headers.insert("grpc-status", http::HeaderValue::from_static("16"));
        headers.insert("grpc-status-details-bin", value);
        sanitize(&mut headers, 8 * 1024);
        // Must not panic after the guard.
        let _ = Status::from_header_map(&headers);
    }
});
