//! Runs one attach/extract operation 10,000 times, for counting instructions
//! with callgrind (deterministic, unlike time on a shared machine):
//! `bash scripts/instruction_ratios.sh`. `none` runs the same setup and no
//! operation, so its count is subtracted.
//!
//! Usage: `cost OPERATION` where OPERATION is one of `none`, `floor`,
//! `floor_fresh`, `attach0`, `tt_attach0`, `attach3`, `tt_attach3`, `code`,
//! `tt_code`, `full`, `tt_full`.

use std::collections::HashMap;
use std::hint::black_box;

use auth_error::{AuthError, AuthErrorCode, AuthStatusExt, DOMAIN};
use tonic::{Code, Status};
use tonic_types::{ErrorDetails, StatusExt};

const MESSAGE: &str = "the access token expired at 12:00 UTC";
const CODE: AuthErrorCode = AuthErrorCode::TokenExpired;
const METADATA: [(&str, &str); 3] = [
    ("tenantId", "acme"),
    ("tokenId", "jti-0001"),
    ("tokenType", "access"),
];
const RUNS: usize = 10_000;

fn with_metadata(err: AuthError) -> AuthError {
    black_box(METADATA)
        .into_iter()
        .fold(err, |e, (k, v)| e.with_metadata(k, v))
}

fn main() {
    let op = std::env::args().nth(1).expect("usage: cost OPERATION");
    let status: Status = with_metadata(AuthError::new(CODE).with_message(MESSAGE)).into();
    let details = Status::from(AuthError::new(CODE).with_message(MESSAGE))
        .details()
        .to_vec();
    // Warm up one-time state (the per-code ErrorInfo table) in every variant.
    drop(Status::from(AuthError::new(CODE)));
    let run: Box<dyn Fn()> = match op.as_str() {
        "none" => Box::new(|| {}),
        "floor" => Box::new(|| {
            drop(black_box(Status::new(
                black_box(Code::Unauthenticated),
                black_box(MESSAGE),
            )))
        }),
        "floor_fresh" => Box::new(|| {
            drop(black_box(Status::with_details(
                black_box(Code::Unauthenticated),
                black_box(MESSAGE),
                black_box(details.as_slice()).to_vec().into(),
            )))
        }),
        "attach0" => Box::new(|| {
            drop(black_box(Status::from(
                AuthError::new(black_box(CODE)).with_message(black_box(MESSAGE)),
            )))
        }),
        "tt_attach0" => Box::new(|| {
            drop(black_box(Status::with_error_details(
                black_box(CODE).grpc_code(),
                black_box(MESSAGE),
                ErrorDetails::with_error_info(CODE.reason(), DOMAIN, HashMap::new()),
            )))
        }),
        "attach3" => Box::new(|| {
            drop(black_box(Status::from(with_metadata(
                AuthError::new(black_box(CODE)).with_message(black_box(MESSAGE)),
            ))))
        }),
        "tt_attach3" => Box::new(|| {
            let metadata: HashMap<String, String> = black_box(METADATA)
                .into_iter()
                .map(|(k, v)| (k.to_owned(), v.to_owned()))
                .collect();
            drop(black_box(Status::with_error_details(
                black_box(CODE).grpc_code(),
                black_box(MESSAGE),
                ErrorDetails::with_error_info(CODE.reason(), DOMAIN, metadata),
            )))
        }),
        "code" => Box::new(|| {
            black_box(black_box(&status).auth_error_code());
        }),
        "tt_code" => Box::new(|| {
            black_box(
                black_box(&status)
                    .get_details_error_info()
                    .filter(|i| i.domain == DOMAIN)
                    .and_then(|i| AuthErrorCode::from_str_name(&i.reason)),
            );
        }),
        "full" => Box::new(|| drop(black_box(black_box(&status).auth_error()))),
        "tt_full" => Box::new(|| {
            drop(black_box(
                black_box(&status)
                    .get_details_error_info()
                    .filter(|i| i.domain == DOMAIN)
                    .and_then(|i| AuthErrorCode::from_str_name(&i.reason).map(|c| (c, i))),
            ))
        }),
        other => panic!("unknown operation {other}"),
    };
    for _ in 0..RUNS {
        run();
    }
}
