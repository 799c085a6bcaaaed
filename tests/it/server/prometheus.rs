//! A real scrape: Debian's `prometheus` on loopback scrapes the metrics
//! example (`examples/metrics.rs`, metrics-exporter-prometheus) while the
//! test sends accepted and refused calls; Prometheus' HTTP API then reports
//! `auth_refusals_total{reason="TOKEN_EXPIRED"}` equal to the number sent.
//!
//! `#[ignore]`d: it needs `/usr/bin/prometheus` (`apt-get install
//! prometheus`) and the example's binary, whose path `bash scripts/test.sh`
//! builds and exports as `AUTH_ERROR_METRICS_EXAMPLE`; run without them, it
//! fails saying what to install.
#![cfg(all(
    feature = "metrics",
    feature = "axum",
    any(feature = "jwt-aws-lc", feature = "jwt-rust-crypto")
))]

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// A child process, killed and waited for when dropped.
struct Running(Child);

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn free_port() -> u16 {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    listener.local_addr().unwrap().port()
}

/// The value of the one series `query` selects, as Prometheus reports it.
async fn query(http: &reqwest::Client, prometheus: &str, query: &str) -> Option<f64> {
    let answer: serde_json::Value = http
        .get(format!("{prometheus}/api/v1/query"))
        .query(&[("query", query)])
        .send()
        .await
        .ok()?
        .json()
        .await
        .ok()?;
    answer["data"]["result"][0]["value"][1]
        .as_str()?
        .parse()
        .ok()
}

#[tokio::test]
#[ignore = "needs Debian's prometheus and the metrics example; run bash scripts/test.sh"]
async fn prometheus_scrapes_refusals_by_reason() {
    let example = std::env::var("AUTH_ERROR_METRICS_EXAMPLE").unwrap_or_else(|_| {
        panic!(
            "AUTH_ERROR_METRICS_EXAMPLE is not set: run `bash scripts/test.sh` (it builds \
             examples/metrics.rs and exports its path)"
        )
    });
    let prometheus_bin = "/usr/bin/prometheus";
    assert!(
        std::path::Path::new(prometheus_bin).exists(),
        "{prometheus_bin} is missing: install Debian's prometheus (apt-get install prometheus), \
         or run `bash scripts/test.sh` as root"
    );

    // The example: its exporter on a free port, its app on another.
    let metrics_port = free_port();
    let mut child = Command::new(&example)
        .env("METRICS_PORT", metrics_port.to_string())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("the metrics example runs");
    let stdout = child.stdout.take().unwrap();
    let _example = Running(child);
    let mut lines = BufReader::new(stdout).lines();
    let mut field = |name: &str| {
        let line = lines.next().expect("a line").expect("utf-8");
        line.strip_prefix(&format!("{name} "))
            .unwrap_or_else(|| panic!("expected {name}, got {line:?}"))
            .to_owned()
    };
    let _metrics = field("METRICS");
    let app = field("APP");
    let valid = field("VALID");
    let expired = field("EXPIRED");

    // Prometheus, scraping the example every second.
    let dir = std::env::temp_dir().join(format!(
        "auth-error-prometheus-{}-{}",
        std::process::id(),
        metrics_port
    ));
    std::fs::create_dir_all(&dir).unwrap();
    let config = dir.join("prometheus.yml");
    std::fs::write(
        &config,
        format!(
            "global:\n  scrape_interval: 1s\nscrape_configs:\n  - job_name: example\n    static_configs:\n      - targets: ['127.0.0.1:{metrics_port}']\n"
        ),
    )
    .unwrap();
    let prometheus_port = free_port();
    let _prometheus = Running(
        Command::new(prometheus_bin)
            .arg(format!("--config.file={}", config.display()))
            .arg(format!(
                "--storage.tsdb.path={}",
                dir.join("data").display()
            ))
            .arg(format!("--web.listen-address=127.0.0.1:{prometheus_port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("prometheus runs"),
    );
    let prometheus = format!("http://127.0.0.1:{prometheus_port}");

    // The calls: 3 accepted, 5 expired, 2 without a token.
    let http = reqwest::Client::new();
    let send = |authorization: Option<String>| {
        let mut request = http.get(format!("{app}/orders"));
        if let Some(value) = authorization {
            request = request.header("authorization", value);
        }
        request.send()
    };
    for _ in 0..3 {
        assert_eq!(
            send(Some(format!("Bearer {valid}")))
                .await
                .unwrap()
                .status(),
            200
        );
    }
    for _ in 0..5 {
        assert_eq!(
            send(Some(format!("Bearer {expired}")))
                .await
                .unwrap()
                .status(),
            401
        );
    }
    for _ in 0..2 {
        assert_eq!(send(None).await.unwrap().status(), 401);
    }

    // Prometheus reports what was sent, once it has scraped it.
    let expectations = [
        (r#"auth_refusals_total{reason="TOKEN_EXPIRED"}"#, 5.0),
        (r#"auth_refusals_total{reason="BEARER_TOKEN_MISSING"}"#, 2.0),
        (r#"auth_requests_total{outcome="accepted"}"#, 3.0),
        (r#"auth_requests_total{outcome="refused"}"#, 7.0),
        (r#"auth_refusals_total{reason="INVALID_SCOPE"}"#, 0.0),
    ];
    let deadline = Instant::now() + Duration::from_secs(60);
    for (series, want) in expectations {
        loop {
            let got = query(&http, &prometheus, series).await;
            if got == Some(want) {
                break;
            }
            assert!(
                Instant::now() < deadline,
                "Prometheus reports {series} = {got:?}, expected {want}"
            );
            tokio::time::sleep(Duration::from_millis(250)).await;
        }
    }
    let _ = std::fs::remove_dir_all(&dir);
}
