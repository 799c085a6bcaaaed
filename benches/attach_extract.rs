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
//! Run: `python3 scripts/perf/bench_ratios.py` (three runs of
//! `cargo bench --bench attach_extract`, ratios of medians).
#![allow(missing_docs)]

#[path = "support/workload.rs"]
#[allow(dead_code, unreachable_pub)]
mod workload;

use std::time::{Duration, Instant};

use criterion::{Criterion, criterion_group, criterion_main};

/// Calls per timed chunk: long enough to warm caches and predictors, short
/// enough that every function sees the same minute of background load.
const CHUNK: u64 = 256;

/// Benchmarks every case of `cases` interleaved with all the others.
fn group(c: &mut Criterion, name: &str, cases: &[workload::Op<'_>]) {
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

/// The group's operations, under criterion's names for them.
fn pick<'a>(
    ops: &mut Vec<workload::Op<'a>>,
    names: &[(&'static str, &str)],
) -> Vec<workload::Op<'a>> {
    names
        .iter()
        .map(|(bench_name, op)| {
            let i = ops
                .iter()
                .position(|(n, _)| n == op)
                .expect("known operation");
            (*bench_name, ops.remove(i).1)
        })
        .collect()
}

fn benches(c: &mut Criterion) {
    let inputs = workload::Inputs::new();
    let mut ops = inputs.ops();
    let attach0 = pick(
        &mut ops,
        &[
            ("floor_status_new", "floor"),
            ("floor_status_with_fresh_details", "floor_fresh"),
            ("auth_error", "attach0"),
            ("tonic_types", "tt_attach0"),
        ],
    );
    group(c, "attach_no_metadata", &attach0);
    let mut ops = inputs.ops();
    let attach3 = pick(
        &mut ops,
        &[
            ("floor_status_new", "floor"),
            ("auth_error", "attach3"),
            ("tonic_types", "tt_attach3"),
        ],
    );
    group(c, "attach_3_metadata", &attach3);
    let mut literal_ops = inputs.ops();
    let attach3_literal = pick(
        &mut literal_ops,
        &[
            ("floor_status_new", "floor"),
            ("auth_error", "attach3_literal"),
            ("tonic_types", "tt_attach3_literal"),
        ],
    );
    group(c, "attach_3_literal_keys", &attach3_literal);
    let code = pick(
        &mut ops,
        &[("auth_error", "code"), ("tonic_types", "tt_code")],
    );
    group(c, "extract_code", &code);
    let full = pick(
        &mut ops,
        &[("auth_error", "full"), ("tonic_types", "tt_full")],
    );
    group(c, "extract_full", &full);
}

criterion_group! {
    name = all;
    config = Criterion::default()
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(3));
    targets = benches
}
criterion_main!(all);
