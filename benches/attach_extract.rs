//! Attach and extract, side by side with the plain-`Status` floor and the
//! tonic-types path producing the same bytes, in one run.
//!
//! Run: `cargo bench --bench attach_extract`, then
//! `python3 scripts/bench_ratios.py` for the ratio table (medians).
#![allow(missing_docs)]

use std::collections::HashMap;
use std::hint::black_box;

use auth_error::{AuthError, AuthErrorCode, AuthStatusExt, DOMAIN};
use bytes::Bytes;
use criterion::{Criterion, criterion_group, criterion_main};
use tonic::{Code, Status};
use tonic_types::{ErrorDetails, StatusExt};

const MESSAGE: &str = "the access token expired at 12:00 UTC";
const CODE: AuthErrorCode = AuthErrorCode::TokenExpired;
const METADATA: [(&str, &str); 3] = [
    ("tenantId", "acme"),
    ("tokenId", "jti-0001"),
    ("tokenType", "access"),
];

fn attach(c: &mut Criterion) {
    let mut g = c.benchmark_group("attach_no_metadata");
    let details = Status::from(AuthError::new(CODE).with_message(MESSAGE))
        .details()
        .to_vec();
    g.bench_function("floor_status_new", |b| {
        b.iter(|| Status::new(black_box(Code::Unauthenticated), black_box(MESSAGE)))
    });
    g.bench_function("floor_status_with_fresh_details", |b| {
        b.iter(|| {
            Status::with_details(
                black_box(Code::Unauthenticated),
                black_box(MESSAGE),
                Bytes::from(black_box(details.as_slice()).to_vec()),
            )
        })
    });
    g.bench_function("auth_error", |b| {
        b.iter(|| Status::from(AuthError::new(black_box(CODE)).with_message(black_box(MESSAGE))))
    });
    g.bench_function("tonic_types", |b| {
        b.iter(|| {
            let code = black_box(CODE);
            Status::with_error_details(
                code.grpc_code(),
                black_box(MESSAGE),
                ErrorDetails::with_error_info(code.reason(), DOMAIN, HashMap::new()),
            )
        })
    });
    g.finish();

    let mut g = c.benchmark_group("attach_3_metadata");
    g.bench_function("floor_status_new", |b| {
        b.iter(|| Status::new(black_box(Code::Unauthenticated), black_box(MESSAGE)))
    });
    g.bench_function("auth_error", |b| {
        b.iter(|| {
            let mut err = AuthError::new(black_box(CODE)).with_message(black_box(MESSAGE));
            for (k, v) in black_box(METADATA) {
                err = err.with_metadata(k, v);
            }
            Status::from(err)
        })
    });
    g.bench_function("tonic_types", |b| {
        b.iter(|| {
            let code = black_box(CODE);
            let metadata: HashMap<String, String> = black_box(METADATA)
                .into_iter()
                .map(|(k, v)| (k.to_owned(), v.to_owned()))
                .collect();
            Status::with_error_details(
                code.grpc_code(),
                black_box(MESSAGE),
                ErrorDetails::with_error_info(code.reason(), DOMAIN, metadata),
            )
        })
    });
    g.finish();
}

fn extract(c: &mut Criterion) {
    let status: Status = METADATA
        .into_iter()
        .fold(AuthError::new(CODE).with_message(MESSAGE), |e, (k, v)| {
            e.with_metadata(k, v)
        })
        .into();

    let mut g = c.benchmark_group("extract_code");
    g.bench_function("auth_error", |b| {
        b.iter(|| black_box(&status).auth_error_code())
    });
    g.bench_function("tonic_types", |b| {
        b.iter(|| {
            black_box(&status)
                .get_details_error_info()
                .filter(|info| info.domain == DOMAIN)
                .and_then(|info| AuthErrorCode::from_str_name(&info.reason))
        })
    });
    g.finish();

    let mut g = c.benchmark_group("extract_full");
    g.bench_function("auth_error", |b| b.iter(|| black_box(&status).auth_error()));
    g.bench_function("tonic_types", |b| {
        b.iter(|| {
            black_box(&status)
                .get_details_error_info()
                .filter(|info| info.domain == DOMAIN)
                .and_then(|info| AuthErrorCode::from_str_name(&info.reason).map(|c| (c, info)))
        })
    });
    g.finish();
}

criterion_group! {
    name = benches;
    config = Criterion::default()
        .warm_up_time(std::time::Duration::from_millis(500))
        .measurement_time(std::time::Duration::from_secs(4));
    targets = attach, extract
}
criterion_main!(benches);
