//! Time per request of every router in every case, side by side in one run:
//! one benchmark group per case, one function per router. As in the main
//! crate's benches, each function is timed interleaved with the others of
//! its group (one timed request, then one untimed request through every
//! other router), so all see the same background load and the ratios of
//! their medians can be taken.
//!
//! Run: `cargo bench --manifest-path peers-bench/Cargo.toml`
//! (`--features aws-lc` for jsonwebtoken 11 on aws-lc-rs).

use std::time::{Duration, Instant};

use criterion::{Criterion, criterion_group, criterion_main};
use peers_bench::{Case, JSONWEBTOKEN_11_BACKEND, Requests, all_routers, call};

fn peers(c: &mut Criterion) {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a runtime");
    let requests = Requests::new();
    // Built once; every router checked against every case first.
    let routers = rt.block_on(all_routers(&requests));
    eprintln!(
        "jsonwebtoken 11 backend (auth-error, tower-oauth2-resource-server): {JSONWEBTOKEN_11_BACKEND}"
    );
    for case in Case::ALL {
        let mut g = c.benchmark_group(case.name());
        for (i, (peer, app)) in routers.iter().enumerate() {
            g.bench_function(peer.name(), |b| {
                b.iter_custom(|iters| {
                    rt.block_on(async {
                        let mut timed = Duration::ZERO;
                        for _ in 0..iters {
                            let request = requests.request(case);
                            let start = Instant::now();
                            std::hint::black_box(call(app, request).await);
                            timed += start.elapsed();
                            for (j, (_, other)) in routers.iter().enumerate() {
                                if j != i {
                                    std::hint::black_box(call(other, requests.request(case)).await);
                                }
                            }
                        }
                        timed
                    })
                })
            });
        }
        g.finish();
    }
}

criterion_group! {
    name = benches;
    config = Criterion::default().sample_size(20).measurement_time(Duration::from_secs(5));
    targets = peers
}
criterion_main!(benches);
