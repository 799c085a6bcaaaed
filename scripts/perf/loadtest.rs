//! Loopback load: rejections per second, and calls lost, for
//!
//! - a rich `AuthError::new(code)` vs a plain `Status::new(code, same message)`
//!   (end-to-end cost of the details),
//! - with vs without `DrainRejectedLayer` (its overhead, and what it saves).
//!
//! Run: `cargo run --release --example loadtest [-- --calls N --concurrency C --channels K --rounds R]`
//! (defaults: 38,400 calls, 64 concurrent, 1 channel, 5 rounds). Each round
//! runs every configuration once on a fresh server, in rotating order; the
//! figures are medians over rounds. All traffic stays on 127.0.0.1, and the
//! run is bounded by its call count.

#[path = "../../tests/it/support/common.rs"]
mod common;

use std::time::Instant;

use common::{LoadReport, Opts};

#[derive(Clone, Copy)]
struct Config {
    name: &'static str,
    opts: Opts,
}

const CONFIGS: [Config; 3] = [
    Config {
        name: "rich error, DrainRejectedLayer",
        opts: Opts {
            drain: true,
            conn_window: None,
            plain: false,
            minimal: true,
        },
    },
    Config {
        name: "rich error, no layer",
        opts: Opts {
            drain: false,
            conn_window: None,
            plain: false,
            minimal: true,
        },
    },
    Config {
        name: "plain Status, DrainRejectedLayer",
        opts: Opts {
            drain: true,
            conn_window: None,
            plain: true,
            minimal: false,
        },
    },
];

fn arg(name: &str, default: u64) -> u64 {
    let args: Vec<String> = std::env::args().collect();
    args.iter()
        .position(|a| a == name)
        .and_then(|i| args.get(i + 1))
        .map(|v| {
            v.parse()
                .unwrap_or_else(|_| panic!("{name} takes a number"))
        })
        .unwrap_or(default)
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

#[tokio::main]
async fn main() {
    let calls = arg("--calls", 38_400);
    let concurrency = arg("--concurrency", 64) as usize;
    let channels = arg("--channels", 1) as usize;
    let rounds = arg("--rounds", 5) as usize;
    println!(
        "{calls} calls per run, {concurrency} concurrent, {channels} channel(s), {rounds} rounds"
    );

    let mut rates: Vec<Vec<f64>> = vec![Vec::new(); CONFIGS.len()];
    let mut reports: Vec<Vec<LoadReport>> = vec![Vec::new(); CONFIGS.len()];
    for round in 0..rounds {
        for k in 0..CONFIGS.len() {
            let i = (round + k) % CONFIGS.len();
            let config = CONFIGS[i];
            let server = common::start_opts(config.opts).await;
            let started = Instant::now();
            let report =
                common::load(server.addr, channels, concurrency, calls, config.opts.plain).await;
            let secs = started.elapsed().as_secs_f64();
            server.shutdown().await;
            println!(
                "round {round} {:<34} {:>9.0} calls/s  lost {:>3}  mixed up {}",
                config.name,
                report.calls as f64 / secs,
                report.lost,
                report.mixed_up
            );
            rates[i].push(report.calls as f64 / secs);
            reports[i].push(report);
        }
    }

    println!("\nmedian calls/s (15 of 16 calls rejected):");
    let medians: Vec<f64> = rates.iter().map(|r| median(r.clone())).collect();
    for (i, config) in CONFIGS.iter().enumerate() {
        let lost: Vec<u64> = reports[i].iter().map(|r| r.lost).collect();
        let mixed: u64 = reports[i].iter().map(|r| r.mixed_up).sum();
        println!(
            "  {:<34} {:>9.0}   lost per run {lost:?}, mixed up {mixed}",
            config.name, medians[i]
        );
    }
    println!(
        "\nrich / plain (both with the layer):     {:.3}x",
        medians[0] / medians[2]
    );
    println!(
        "with layer / without (both rich):       {:.3}x",
        medians[0] / medians[1]
    );
}
