//! Inputs the fuzzers (`fuzz/`: `decode` and `differential`) found
//! interesting or crashing, replayed on every test run through both
//! targets' checks. Each file in `fuzz/regressions/` is one input: first byte
//! selects the status code, the rest are the details bytes.

#[path = "support/differential.rs"]
mod differential;

use auth_error::{AuthError, AuthStatusExt};
use tonic::{Code, Status};

#[test]
fn every_regression_input_is_read_without_panic() {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/fuzz/regressions");
    let mut count = 0;
    for entry in std::fs::read_dir(dir).expect("fuzz/regressions exists") {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|e| e == "md") {
            continue;
        }
        let data = std::fs::read(&path).unwrap();
        let Some((&selector, bytes)) = data.split_first() else {
            continue;
        };
        let status = Status::with_details(
            Code::from_i32(i32::from(selector % 17)),
            "m",
            bytes.to_vec().into(),
        );
        // The differential oracle: every reader agrees with prost.
        differential::check(selector, bytes);
        let lenient = status.auth_error();
        assert_eq!(
            status.auth_error_code(),
            lenient.as_ref().map(AuthError::code),
            "{}",
            path.display()
        );
        if let Ok(Some(err)) = status.check_auth_error() {
            assert_eq!(Some(err), lenient, "{}", path.display());
        }
        let mut headers = http::HeaderMap::new();
        if let Ok(value) = http::HeaderValue::from_bytes(bytes) {
            headers.insert("grpc-status", http::HeaderValue::from_static("16"));
            headers.insert("grpc-status-details-bin", value);
            auth_error::__internals::sanitize_details_header(&mut headers, 8 * 1024);
            let _ = Status::from_header_map(&headers);
        }
        count += 1;
    }
    assert!(count > 0, "fuzz/regressions holds at least the seed inputs");
}
