//! `CredentialsLayer` on a real tonic client and server on 127.0.0.1: the
//! server (behind `BearerAuthLayer`) accepts only the newest token
//! generation, so the layer's refresh, single flight, replay bounds and
//! backoff are all observable.
#![cfg(feature = "jwt-rust-crypto")]

#[path = "support/jwt_server.rs"]
mod jwt_server;

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use auth_error::client::{AccessToken, BoxError, CredentialsLayer, TokenSource};
use auth_error::server::{BearerAuthLayer, Rejection, TokenVerifier, Verified};
use auth_error::{AuthError, AuthErrorCode, AuthStatusExt};
use serde_json::{Value, json};
use tonic::Code;
use tonic::transport::Channel;
use tonic_health::pb::HealthCheckRequest;
use tonic_health::pb::health_client::HealthClient;
use tower::ServiceBuilder;

/// The server side: tokens are `gen-N`; only generation `current` is
/// accepted, older ones are `TOKEN_EXPIRED`. A few fixed tokens refuse with
/// other reasons.
#[derive(Clone, Default)]
struct Generations {
    current: Arc<AtomicU64>,
    refusals: Arc<AtomicUsize>,
}

impl TokenVerifier for Generations {
    type Claims = Value;
    async fn verify(&self, token: &str) -> Result<Verified<Value>, Rejection> {
        let refuse = |code| {
            self.refusals.fetch_add(1, Ordering::SeqCst);
            Err(Rejection::Auth(AuthError::new(code)))
        };
        match token {
            "scope" => return refuse(AuthErrorCode::InvalidScope),
            "locked" => return refuse(AuthErrorCode::AccountLocked),
            "fault" => return Err(Rejection::Fault("store down".into())),
            _ => {}
        }
        if let Some(issued) = token.strip_prefix("t-") {
            // Age-checked tokens: `t-<millis since start of test>`.
            let issued: u64 = issued.parse().unwrap_or(0);
            let now = self.current.load(Ordering::SeqCst);
            return match millis_since(now) < issued + 1000 {
                true => Ok(Verified::new(json!({ "sub": token }), vec![])),
                false => refuse(AuthErrorCode::TokenExpired),
            };
        }
        let n: u64 = token
            .strip_prefix("gen-")
            .and_then(|n| n.parse().ok())
            .unwrap_or(0);
        let current = self.current.load(Ordering::SeqCst);
        if n >= current {
            Ok(Verified::new(json!({ "sub": token }), vec![]))
        } else {
            refuse(AuthErrorCode::TokenExpired)
        }
    }
}

fn epoch() -> Instant {
    static EPOCH: std::sync::OnceLock<Instant> = std::sync::OnceLock::new();
    *EPOCH.get_or_init(Instant::now)
}

fn millis_since(_: u64) -> u64 {
    epoch().elapsed().as_millis() as u64
}

/// The client side: a token source that counts its fetches and answers from
/// a script (fetch number → result), after a short delay so concurrent
/// refusals overlap with the fetch.
#[derive(Clone)]
struct Scripted {
    fetches: Arc<AtomicUsize>,
    script: Arc<dyn Fn(usize) -> Result<AccessToken, BoxError> + Send + Sync>,
}

impl Scripted {
    fn new(
        script: impl Fn(usize) -> Result<AccessToken, BoxError> + Send + Sync + 'static,
    ) -> Self {
        Scripted {
            fetches: Arc::new(AtomicUsize::new(0)),
            script: Arc::new(script),
        }
    }

    fn generations() -> Self {
        Scripted::new(|n| Ok(AccessToken::new(format!("gen-{n}"))))
    }

    fn fetches(&self) -> usize {
        self.fetches.load(Ordering::SeqCst)
    }
}

impl TokenSource for Scripted {
    async fn fetch(&self) -> Result<AccessToken, BoxError> {
        let n = self.fetches.fetch_add(1, Ordering::SeqCst) + 1;
        tokio::time::sleep(Duration::from_millis(30)).await;
        (self.script)(n)
    }
}

type Client = HealthClient<auth_error::client::Credentials<Channel, Scripted>>;

async fn setup(source: &Scripted, current: u64) -> (jwt_server::Server, Generations, Client) {
    let verifier = Generations::default();
    verifier.current.store(current, Ordering::SeqCst);
    let server = jwt_server::start(Some(
        BearerAuthLayer::builder(verifier.clone()).build().unwrap(),
    ))
    .await;
    let channel = server.channel().await;
    let client = HealthClient::new(
        ServiceBuilder::new()
            .layer(CredentialsLayer::new(source.clone()))
            .service(channel),
    );
    (server, verifier, client)
}

async fn check(client: &mut Client) -> Result<String, tonic::Status> {
    let response = client.check(HealthCheckRequest::default()).await?;
    Ok(response
        .metadata()
        .get("x-subject")
        .unwrap()
        .to_str()
        .unwrap()
        .to_owned())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sixty_four_refused_calls_cause_one_fetch() {
    let source = Scripted::generations();
    let (server, verifier, mut client) = setup(&source, 1).await;
    assert_eq!(check(&mut client).await.unwrap(), "gen-1");
    assert_eq!(source.fetches(), 1);
    // The server moves on: gen-1 is now stale.
    verifier.current.store(2, Ordering::SeqCst);
    let calls = (0..64).map(|_| {
        let mut client = client.clone();
        tokio::spawn(async move { check(&mut client).await })
    });
    let mut ok = 0;
    for call in calls.collect::<Vec<_>>() {
        assert_eq!(call.await.unwrap().unwrap(), "gen-2");
        ok += 1;
    }
    assert_eq!(ok, 64);
    assert_eq!(source.fetches(), 2, "exactly one refresh for 64 refusals");
    assert!(verifier.refusals.load(Ordering::SeqCst) >= 1);
    server.shutdown().await;
}

#[tokio::test]
async fn a_second_refusal_is_returned_after_one_fetch() {
    let source = Scripted::generations();
    let (server, _verifier, mut client) = setup(&source, 100).await;
    let status = check(&mut client).await.unwrap_err();
    assert_eq!(status.auth_error_code(), Some(AuthErrorCode::TokenExpired));
    assert_eq!(
        source.fetches(),
        2,
        "the first token and one refresh, no more"
    );
    server.shutdown().await;
}

#[tokio::test]
async fn other_refusals_cause_no_fetch() {
    for (token, code) in [
        ("scope", Some(AuthErrorCode::InvalidScope)),
        ("locked", Some(AuthErrorCode::AccountLocked)),
        ("fault", None),
    ] {
        let source = Scripted::new(move |_| Ok(AccessToken::new(token)));
        let (server, _verifier, mut client) = setup(&source, 1).await;
        let status = check(&mut client).await.unwrap_err();
        assert_eq!(status.auth_error_code(), code, "{token}");
        if code.is_none() {
            assert_eq!(status.code(), Code::Internal);
        }
        assert_eq!(source.fetches(), 1, "{token}: no refresh");
        server.shutdown().await;
    }
}

#[tokio::test]
async fn refresh_ahead_of_expiry_means_no_refusal() {
    let _ = epoch();
    let source = Scripted::new(|_| {
        let issued = epoch().elapsed().as_millis();
        Ok(AccessToken::new(format!("t-{issued}")).expires_in(Duration::from_millis(1000)))
    });
    let verifier = Generations::default();
    let server = jwt_server::start(Some(
        BearerAuthLayer::builder(verifier.clone()).build().unwrap(),
    ))
    .await;
    let layer = CredentialsLayer::new(source.clone()).refresh_margin(Duration::from_millis(600));
    let mut client = HealthClient::new(
        ServiceBuilder::new()
            .layer(layer)
            .service(server.channel().await),
    );
    let start = Instant::now();
    while start.elapsed() < Duration::from_millis(2500) {
        check(&mut client).await.unwrap();
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(
        verifier.refusals.load(Ordering::SeqCst),
        0,
        "the server never refused"
    );
    assert!(
        source.fetches() >= 4,
        "fetched ahead of expiry: {}",
        source.fetches()
    );
    server.shutdown().await;
}

#[tokio::test]
async fn oversized_bodies_and_client_streams_are_not_replayed() {
    let source = Scripted::generations();
    let verifier = Generations::default();
    verifier.current.store(1, Ordering::SeqCst);
    let server = jwt_server::start(Some(
        BearerAuthLayer::builder(verifier.clone()).build().unwrap(),
    ))
    .await;
    // One layer (one token cache) for both clients.
    let layer = CredentialsLayer::new(source.clone());
    let channel = server.channel().await;
    let mut client = HealthClient::new(
        ServiceBuilder::new()
            .layer(layer.clone())
            .service(channel.clone()),
    );
    check(&mut client).await.unwrap();
    verifier.current.store(2, Ordering::SeqCst);

    // A unary request over the 64 KiB bound.
    let big = HealthCheckRequest {
        service: "x".repeat(70 * 1024),
    };
    let status = tokio::time::timeout(Duration::from_secs(5), client.check(big))
        .await
        .expect("the oversized call ends")
        .unwrap_err();
    assert_eq!(status.auth_error_code(), Some(AuthErrorCode::TokenExpired));
    assert_eq!(
        source.fetches(),
        1,
        "no refresh for a body that cannot be replayed"
    );

    // A client stream still open when the call is made.
    let mut grpc = tonic::client::Grpc::new(ServiceBuilder::new().layer(layer).service(channel));
    grpc.ready().await.unwrap();
    let requests = tokio_stream::StreamExt::chain(
        tokio_stream::iter(vec![HealthCheckRequest::default()]),
        tokio_stream::pending(),
    );
    let path = http::uri::PathAndQuery::from_static("/grpc.health.v1.Health/Check");
    let codec = tonic_prost::ProstCodec::<HealthCheckRequest, tonic_health::pb::HealthCheckResponse>::default();
    let status = tokio::time::timeout(
        Duration::from_secs(5),
        grpc.client_streaming(tonic::Request::new(requests), path, codec),
    )
    .await
    .expect("the client-streaming call ends")
    .unwrap_err();
    assert_eq!(status.auth_error_code(), Some(AuthErrorCode::TokenExpired));
    assert_eq!(source.fetches(), 1, "a client stream is never replayed");
    server.shutdown().await;
}

#[tokio::test]
async fn a_server_streaming_call_is_retried() {
    let source = Scripted::generations();
    let verifier = Generations::default();
    verifier.current.store(2, Ordering::SeqCst);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let (reporter, health) = tonic_health::server::health_reporter();
    reporter
        .set_service_status("", tonic_health::ServingStatus::Serving)
        .await;
    let serve = tokio::spawn(
        tonic::transport::Server::builder()
            .layer(BearerAuthLayer::builder(verifier.clone()).build().unwrap())
            .add_service(health)
            .serve_with_incoming(tonic::transport::server::TcpIncoming::from(listener)),
    );
    let channel = Channel::from_shared(format!("http://{addr}"))
        .unwrap()
        .connect()
        .await
        .unwrap();
    let mut client = HealthClient::new(
        ServiceBuilder::new()
            .layer(CredentialsLayer::new(source.clone()))
            .service(channel),
    );
    // gen-1 is refused; the layer fetches gen-2 and opens the stream.
    let mut stream = client
        .watch(HealthCheckRequest::default())
        .await
        .unwrap()
        .into_inner();
    let first = stream.message().await.unwrap().unwrap();
    assert_eq!(first.status, 1);
    assert_eq!(source.fetches(), 2);
    serve.abort();
}

#[tokio::test]
async fn failed_fetches_return_the_refusal_with_the_source_and_back_off() {
    let source = Scripted::new(|n| match n {
        1 => Ok(AccessToken::new("gen-1")),
        _ => Err("identity provider down".into()),
    });
    let (server, _verifier, mut client) = setup(&source, 2).await;
    let status = check(&mut client).await.unwrap_err();
    assert_eq!(
        status.auth_error_code(),
        Some(AuthErrorCode::TokenExpired),
        "the server's refusal"
    );
    let source_text = std::error::Error::source(&status)
        .map(|e| e.to_string())
        .unwrap_or_default();
    assert!(
        source_text.contains("identity provider down"),
        "{source_text}"
    );
    assert_eq!(source.fetches(), 2);
    // Right away again: the refusal, and no fetch during the backoff.
    let status = check(&mut client).await.unwrap_err();
    let source_text = std::error::Error::source(&status)
        .map(|e| e.to_string())
        .unwrap_or_default();
    assert!(source_text.contains("backing off"), "{source_text}");
    assert_eq!(source.fetches(), 2, "backoff holds");
    server.shutdown().await;

    // No token could ever be had.
    let never = Scripted::new(|_| Err("no credentials configured".into()));
    let (server, verifier, mut client) = setup(&never, 1).await;
    let status = check(&mut client).await.unwrap_err();
    assert_eq!(status.code(), Code::Unauthenticated);
    assert!(
        status.message().contains("no access token"),
        "{}",
        status.message()
    );
    assert_eq!(
        verifier.refusals.load(Ordering::SeqCst),
        0,
        "nothing was sent"
    );
    server.shutdown().await;
}

#[test]
fn debug_never_shows_a_token() {
    let token = AccessToken::new("s3cr3t-token-value").expires_in(Duration::from_secs(60));
    assert!(!format!("{token:?}").contains("s3cr3t"));
    let layer = CredentialsLayer::new(Scripted::new(|_| Ok(AccessToken::new("s3cr3t"))));
    assert!(!format!("{layer:?}").contains("s3cr3t"));
}
