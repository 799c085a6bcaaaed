//! Attach and extract, side by side with the plain-`Status` floor and the
//! tonic-types path producing the same bytes, in one run.
//!
//! This machine is shared and noisy, and criterion measures one function
//! after another, so a slow minute would favour whichever ran then. Each
//! function here is therefore timed *interleaved* with the others of its
//! group: chunks of 256 timed calls of the measured function alternate with
//! untimed chunks of every other function, so all of a group see the same
//! background load and their medians can be divided.
//!
//! Run: `python3 scripts/bench_ratios.py` (three runs of
//! `cargo bench --bench attach_extract`, ratios of medians).
#![allow(missing_docs)]

use std::collections::HashMap;
use std::hint::black_box;
use std::time::{Duration, Instant};

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

/// Calls per timed chunk: long enough to warm caches and predictors, short
/// enough that every function sees the same minute of background load.
const CHUNK: u64 = 256;

type Case<'a> = (&'static str, Box<dyn Fn() + 'a>);

/// Benchmarks every case of `cases` interleaved with all the others.
fn group(c: &mut Criterion, name: &str, cases: &[Case<'_>]) {
    let mut g = c.benchmark_group(name);
    for (i, (case, f)) in cases.iter().enumerate() {
        g.bench_function(*case, |b| {
            b.iter_custom(|iters| {
                let mut timed = Duration::ZERO;
                let mut done = 0;
                while done < iters {
                    let n = (iters - done).min(CHUNK);
                    let start = Instant::now();
                    for _ in 0..n {
                        f();
                    }
                    timed += start.elapsed();
                    for (j, (_, other)) in cases.iter().enumerate() {
                        if j != i {
                            for _ in 0..n {
                                other();
                            }
                        }
                    }
                    done += n;
                }
                timed
            })
        });
    }
    g.finish();
}

fn with_metadata(err: AuthError) -> AuthError {
    black_box(METADATA)
        .into_iter()
        .fold(err, |e, (k, v)| e.with_metadata(k, v))
}

fn attach(c: &mut Criterion) {
    let details = Status::from(AuthError::new(CODE).with_message(MESSAGE))
        .details()
        .to_vec();
    let details = details.as_slice();
    group(
        c,
        "attach_no_metadata",
        &[
            (
                "floor_status_new",
                Box::new(|| {
                    drop(black_box(Status::new(
                        black_box(Code::Unauthenticated),
                        black_box(MESSAGE),
                    )))
                }),
            ),
            (
                "floor_status_with_fresh_details",
                Box::new(|| {
                    drop(black_box(Status::with_details(
                        black_box(Code::Unauthenticated),
                        black_box(MESSAGE),
                        Bytes::from(black_box(details).to_vec()),
                    )))
                }),
            ),
            (
                "auth_error",
                Box::new(|| {
                    drop(black_box(Status::from(
                        AuthError::new(black_box(CODE)).with_message(black_box(MESSAGE)),
                    )))
                }),
            ),
            (
                "tonic_types",
                Box::new(|| {
                    let code = black_box(CODE);
                    drop(black_box(Status::with_error_details(
                        code.grpc_code(),
                        black_box(MESSAGE),
                        ErrorDetails::with_error_info(code.reason(), DOMAIN, HashMap::new()),
                    )))
                }),
            ),
        ],
    );
    group(
        c,
        "attach_3_metadata",
        &[
            (
                "floor_status_new",
                Box::new(|| {
                    drop(black_box(Status::new(
                        black_box(Code::Unauthenticated),
                        black_box(MESSAGE),
                    )))
                }),
            ),
            (
                "auth_error",
                Box::new(|| {
                    drop(black_box(Status::from(with_metadata(
                        AuthError::new(black_box(CODE)).with_message(black_box(MESSAGE)),
                    ))))
                }),
            ),
            (
                "tonic_types",
                Box::new(|| {
                    let code = black_box(CODE);
                    let metadata: HashMap<String, String> = black_box(METADATA)
                        .into_iter()
                        .map(|(k, v)| (k.to_owned(), v.to_owned()))
                        .collect();
                    drop(black_box(Status::with_error_details(
                        code.grpc_code(),
                        black_box(MESSAGE),
                        ErrorDetails::with_error_info(code.reason(), DOMAIN, metadata),
                    )))
                }),
            ),
        ],
    );
}

fn extract(c: &mut Criterion) {
    let status: Status = with_metadata(AuthError::new(CODE).with_message(MESSAGE)).into();
    let status = &status;
    group(
        c,
        "extract_code",
        &[
            (
                "auth_error",
                Box::new(|| {
                    black_box(black_box(status).auth_error_code());
                }),
            ),
            (
                "tonic_types",
                Box::new(|| {
                    black_box(
                        black_box(status)
                            .get_details_error_info()
                            .filter(|info| info.domain == DOMAIN)
                            .and_then(|info| AuthErrorCode::from_str_name(&info.reason)),
                    );
                }),
            ),
        ],
    );
    group(
        c,
        "extract_full",
        &[
            (
                "auth_error",
                Box::new(|| drop(black_box(black_box(status).auth_error()))),
            ),
            (
                "tonic_types",
                Box::new(|| {
                    drop(black_box(
                        black_box(status)
                            .get_details_error_info()
                            .filter(|info| info.domain == DOMAIN)
                            .and_then(|info| {
                                AuthErrorCode::from_str_name(&info.reason).map(|c| (c, info))
                            }),
                    ))
                }),
            ),
        ],
    );
}

criterion_group! {
    name = benches;
    config = Criterion::default()
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(3));
    targets = attach, extract
}
criterion_main!(benches);
