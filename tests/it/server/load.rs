//! Under load nothing is lost or mixed up: many concurrent clients on
//! loopback, every call asking for its own code, every answer checked.
//!
//! Short version (runs in the test command). The longer run and the figures
//! without `DrainRejectedLayer` come from
//! `cargo run --release --example loadtest` (see docs/performance.md).

use crate::support::common;
#[cfg(any(feature = "jwt-aws-lc", feature = "jwt-rust-crypto"))]
use crate::support::jwt_server;

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

/// The same through `BearerAuthLayer` + `JwtVerifier` (HS256): 64 concurrent
/// calls, one in four with an expired token, each call's answer checked
/// against its own token (the subject echoed by the handler, or the `jti` in
/// the rejection).
#[cfg(any(feature = "jwt-aws-lc", feature = "jwt-rust-crypto"))]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn through_the_bearer_layer_nothing_is_lost_or_mixed_up() {
    use auth_error::jwt::JwtVerifier;
    use auth_error::server::BearerAuthLayer;
    use auth_error::{AuthErrorCode, AuthStatusExt};
    use jsonwebtoken::{Algorithm, DecodingKey};
    use jwt_server::*;
    use std::sync::Arc;
    use std::sync::atomic::{AtomicUsize, Ordering};

    let layer = BearerAuthLayer::builder(JwtVerifier::new(
        DecodingKey::from_secret(SECRET),
        validation(Algorithm::HS256),
    ))
    .build()
    .unwrap();
    let server = start(Some(layer)).await;
    let channel = server.channel().await;
    let calls = 8_000usize;
    let (next, correct, wrong) = (
        Arc::new(AtomicUsize::new(0)),
        Arc::new(AtomicUsize::new(0)),
        Arc::new(AtomicUsize::new(0)),
    );
    let workers = (0..64).map(|_| {
        let (channel, next, correct, wrong) = (
            channel.clone(),
            next.clone(),
            correct.clone(),
            wrong.clone(),
        );
        tokio::spawn(async move {
            loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                if i >= calls {
                    return;
                }
                let mut claims = good_claims();
                claims["sub"] = format!("user-{i}").into();
                claims["jti"] = format!("jti-{i}").into();
                let expired = i % 4 == 0;
                if expired {
                    claims["exp"] = (now() - 60).into();
                }
                let result =
                    check(channel.clone(), Some(&format!("Bearer {}", hs256(&claims)))).await;
                let right = match (expired, result) {
                    (false, Ok(subject)) => subject == format!("user-{i}"),
                    (true, Err(status)) => status.auth_error().is_some_and(|e| {
                        e.code() == AuthErrorCode::TokenExpired
                            && e.token_id() == Some(format!("jti-{i}").as_str())
                    }),
                    _ => false,
                };
                if right { &correct } else { &wrong }.fetch_add(1, Ordering::Relaxed);
            }
        })
    });
    let run = futures_join(workers.collect());
    tokio::time::timeout(std::time::Duration::from_secs(120), run)
        .await
        .expect("the load run finishes within its time bound");
    server.shutdown().await;
    assert_eq!(wrong.load(Ordering::Relaxed), 0, "answers lost or mixed up");
    assert_eq!(correct.load(Ordering::Relaxed), calls);
}

#[cfg(any(feature = "jwt-aws-lc", feature = "jwt-rust-crypto"))]
async fn futures_join(handles: Vec<tokio::task::JoinHandle<()>>) {
    for handle in handles {
        handle.await.unwrap();
    }
}
