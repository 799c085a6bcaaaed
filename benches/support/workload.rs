//! The operations compared by `benches/attach_extract.rs` (time) and
//! `scripts/perf/cost.rs` (instructions), defined once so both measure the same
//! code.

use std::collections::HashMap;
use std::hint::black_box;

use auth_error::{AuthError, AuthErrorCode, AuthStatusExt, DOMAIN};
use tonic::{Code, Status};
use tonic_types::{ErrorDetails, StatusExt};

pub const MESSAGE: &str = "the access token expired at 12:00 UTC";
pub const CODE: AuthErrorCode = AuthErrorCode::TokenExpired;
pub const METADATA: [(&str, &str); 3] = [
    ("tenantId", "acme"),
    ("tokenId", "jti-0001"),
    ("tokenType", "access"),
];

/// Three entries with literal keys that are not documented context keys
/// (`with_metadata("userId", "42")`).
pub const LITERAL_METADATA: [(&str, &str); 3] =
    [("orgId", "acme"), ("region", "eu-west-1"), ("userId", "42")];

/// A named operation.
pub type Op<'a> = (&'static str, Box<dyn Fn() + 'a>);

fn with_metadata(err: AuthError) -> AuthError {
    with_entries(err, METADATA)
}

fn with_entries(err: AuthError, entries: [(&'static str, &'static str); 3]) -> AuthError {
    black_box(entries)
        .into_iter()
        .fold(err, |e, (k, v)| e.with_metadata(k, v))
}

fn tt_attach(entries: [(&'static str, &'static str); 3]) {
    let metadata: HashMap<String, String> = black_box(entries)
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .collect();
    drop(black_box(Status::with_error_details(
        black_box(CODE).grpc_code(),
        black_box(MESSAGE),
        ErrorDetails::with_error_info(CODE.as_str_name(), DOMAIN, metadata),
    )))
}

/// The inputs the operations read: a status with details and 3 metadata
/// entries, and the details bytes of one without metadata.
pub struct Inputs {
    pub status: Status,
    pub details: Vec<u8>,
}

impl Inputs {
    pub fn new() -> Self {
        // Also warms the one-time table of per-code ErrorInfo encodings.
        let details = Status::from(AuthError::new(CODE).with_message(MESSAGE))
            .details()
            .to_vec();
        Inputs {
            status: with_metadata(AuthError::new(CODE).with_message(MESSAGE)).into(),
            details,
        }
    }

    /// Every operation, by name. `floor*` are the plain-`Status` floors,
    /// `tt_*` the tonic-types paths producing or reading the same bytes.
    pub fn ops(&self) -> Vec<Op<'_>> {
        let status = &self.status;
        let details = self.details.as_slice();
        vec![
            (
                "floor",
                Box::new(|| {
                    drop(black_box(Status::new(
                        black_box(Code::Unauthenticated),
                        black_box(MESSAGE),
                    )))
                }),
            ),
            (
                "floor_fresh",
                Box::new(move || {
                    drop(black_box(Status::with_details(
                        black_box(Code::Unauthenticated),
                        black_box(MESSAGE),
                        black_box(details).to_vec().into(),
                    )))
                }),
            ),
            (
                "attach0",
                Box::new(|| {
                    drop(black_box(Status::from(
                        AuthError::new(black_box(CODE)).with_message(black_box(MESSAGE)),
                    )))
                }),
            ),
            (
                "tt_attach0",
                Box::new(|| {
                    drop(black_box(Status::with_error_details(
                        black_box(CODE).grpc_code(),
                        black_box(MESSAGE),
                        ErrorDetails::with_error_info(CODE.as_str_name(), DOMAIN, HashMap::new()),
                    )))
                }),
            ),
            (
                "attach3",
                Box::new(|| {
                    drop(black_box(Status::from(with_metadata(
                        AuthError::new(black_box(CODE)).with_message(black_box(MESSAGE)),
                    ))))
                }),
            ),
            ("tt_attach3", Box::new(|| tt_attach(METADATA))),
            (
                "attach3_literal",
                Box::new(|| {
                    drop(black_box(Status::from(with_entries(
                        AuthError::new(black_box(CODE)).with_message(black_box(MESSAGE)),
                        LITERAL_METADATA,
                    ))))
                }),
            ),
            (
                "tt_attach3_literal",
                Box::new(|| tt_attach(LITERAL_METADATA)),
            ),
            (
                "code",
                Box::new(move || {
                    black_box(black_box(status).auth_error_code());
                }),
            ),
            (
                "tt_code",
                Box::new(move || {
                    black_box(
                        black_box(status)
                            .get_details_error_info()
                            .filter(|i| i.domain == DOMAIN)
                            .and_then(|i| AuthErrorCode::from_str_name(&i.reason)),
                    );
                }),
            ),
            (
                "full",
                Box::new(move || drop(black_box(black_box(status).auth_error()))),
            ),
            (
                "tt_full",
                Box::new(move || {
                    drop(black_box(
                        black_box(status)
                            .get_details_error_info()
                            .filter(|i| i.domain == DOMAIN)
                            .and_then(|i| AuthErrorCode::from_str_name(&i.reason).map(|c| (c, i))),
                    ))
                }),
            ),
        ]
    }
}
