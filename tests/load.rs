//! Under load nothing is lost or mixed up: many concurrent clients on
//! loopback, every call asking for its own code, every answer checked.
//!
//! Short version (runs in the test command). The longer run and the figures
//! without `DrainRejectedLayer` come from
//! `cargo run --release --example loadtest` (see the README).

mod common;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_calls_each_get_exactly_their_own_code() {
    let server = common::start(true).await;
    let calls = 20_000;
    let report = tokio::time::timeout(
        std::time::Duration::from_secs(120),
        common::load(server.addr, 4, 64, calls, false),
    )
    .await
    .expect("the load run finishes within its time bound");
    server.shutdown().await;
    println!("{report:?}");
    assert_eq!(report.calls, calls, "as many answers as requests");
    assert_eq!(report.lost, 0, "{report:?}");
    assert_eq!(report.mixed_up, 0, "{report:?}");
    assert_eq!(report.correct, calls, "{report:?}");
}
