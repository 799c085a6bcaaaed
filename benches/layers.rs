//! The tower layers end to end on loopback: accepted-call throughput through
//! `BearerAuthLayer` + `JwtVerifier` (HS256, without and with its verified
//! token cache) against a server that verifies nothing, in one run.
//!
//! Each iteration is a batch of 64 concurrent unary calls on one channel
//! (throughput, not latency). As in `attach_extract`, every function is
//! timed interleaved with the others of its group (a timed batch of one,
//! then an untimed batch of each other), so all see the same background load
//! and their medians can be divided.
//!
//! Also accepted calls through `CredentialsLayer` against a channel that
//! sets the header by hand.
//!
//! Run: `python3 scripts/perf/layer_ratios.py` (three runs, ratios of medians).
#![allow(missing_docs)]

#[path = "../tests/it/support/jwt_server.rs"]
mod jwt_server;

use std::time::{Duration, Instant};

use auth_error::jwt::JwtVerifier;
use auth_error::server::{BearerAuthLayer, TokenVerifier};
use criterion::{Criterion, criterion_group, criterion_main};
use jsonwebtoken::{Algorithm, DecodingKey};
use jwt_server::*;
use tonic::transport::Channel;

const BATCH: usize = 64;

async fn batch(channel: &Channel, authorization: &str) {
    let calls = (0..BATCH).map(|_| {
        let (channel, authorization) = (channel.clone(), authorization.to_owned());
        tokio::spawn(async move { check(channel, Some(&authorization)).await })
    });
    for call in calls.collect::<Vec<_>>() {
        assert!(call.await.unwrap().is_ok(), "every call is accepted");
    }
}

fn verifier() -> JwtVerifier {
    JwtVerifier::new(
        DecodingKey::from_secret(SECRET),
        validation(Algorithm::HS256),
    )
}

fn accepted_calls(c: &mut Criterion) {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let servers = rt.block_on(async {
        [
            start::<JwtVerifier>(None).await,
            start(Some(BearerAuthLayer::builder(verifier()).build().unwrap())).await,
            start(Some(
                BearerAuthLayer::builder(verifier().with_cache(1024))
                    .build()
                    .unwrap(),
            ))
            .await,
        ]
    });
    let channels = rt.block_on(async {
        [
            servers[0].channel().await,
            servers[1].channel().await,
            servers[2].channel().await,
        ]
    });
    let authorization = format!("Bearer {}", hs256(&good_claims()));
    let names = ["no_verification", "bearer_hs256", "bearer_hs256_cached"];
    let mut g = c.benchmark_group("accepted_calls_x64");
    for (i, name) in names.iter().enumerate() {
        g.bench_function(*name, |b| {
            b.iter_custom(|iters| {
                rt.block_on(async {
                    let mut timed = Duration::ZERO;
                    for _ in 0..iters {
                        let start = Instant::now();
                        batch(&channels[i], &authorization).await;
                        timed += start.elapsed();
                        for (j, other) in channels.iter().enumerate() {
                            if j != i {
                                batch(other, &authorization).await;
                            }
                        }
                    }
                    timed
                })
            })
        });
    }
    g.finish();

    // Where the layer's time goes: verification alone (HS256 signature,
    // JSON claims, validation), per call.
    let v = verifier();
    let token = hs256(&good_claims());
    c.bench_function("verify_hs256_only", |b| {
        b.iter(|| rt.block_on(v.verify(&token)).unwrap())
    });
    rt.block_on(async {
        for server in servers {
            server.shutdown().await;
        }
    });
}

struct Fixed(String);

impl auth_error::client::TokenSource for Fixed {
    async fn fetch(&self) -> Result<auth_error::client::AccessToken, auth_error::client::BoxError> {
        Ok(auth_error::client::AccessToken::new(self.0.clone()))
    }
}

/// Accepted calls through `CredentialsLayer` against a channel that sets the
/// header by hand (an interceptor), on a server that verifies nothing.
fn client_calls(c: &mut Criterion) {
    use tonic_health::pb::HealthCheckRequest;
    use tonic_health::pb::health_client::HealthClient;
    let rt = tokio::runtime::Runtime::new().unwrap();
    let server = rt.block_on(start::<JwtVerifier>(None));
    let channel = rt.block_on(server.channel());
    let token = hs256(&good_claims());
    let header: tonic::metadata::MetadataValue<_> = format!("Bearer {token}").parse().unwrap();
    let by_hand =
        HealthClient::with_interceptor(channel.clone(), move |mut req: tonic::Request<()>| {
            req.metadata_mut().insert("authorization", header.clone());
            Ok(req)
        });
    let layered = HealthClient::new(
        tower::ServiceBuilder::new()
            .layer(
                auth_error::client::CredentialsLayer::new(Fixed(token))
                    .with_endpoint(format!("http://{}", server.addr).parse().unwrap()),
            )
            .service(channel),
    );
    macro_rules! batch_of {
        ($client:expr) => {{
            let calls = (0..BATCH).map(|_| {
                let mut client = $client.clone();
                tokio::spawn(async move { client.check(HealthCheckRequest::default()).await })
            });
            for call in calls.collect::<Vec<_>>() {
                assert!(call.await.unwrap().is_ok());
            }
        }};
    }
    let mut g = c.benchmark_group("client_calls_x64");
    // Each function timed, the other run untimed right after it.
    for (name, layered_first) in [("header_by_hand", false), ("credentials_layer", true)] {
        g.bench_function(name, |b| {
            b.iter_custom(|iters| {
                rt.block_on(async {
                    let mut timed = Duration::ZERO;
                    for _ in 0..iters {
                        let start = Instant::now();
                        if layered_first {
                            batch_of!(layered);
                            timed += start.elapsed();
                            batch_of!(by_hand);
                        } else {
                            batch_of!(by_hand);
                            timed += start.elapsed();
                            batch_of!(layered);
                        }
                    }
                    timed
                })
            })
        });
    }
    g.finish();
    rt.block_on(server.shutdown());
}

criterion_group! {
    name = benches;
    config = Criterion::default().sample_size(20).measurement_time(Duration::from_secs(8));
    targets = accepted_calls, client_calls
}
criterion_main!(benches);
