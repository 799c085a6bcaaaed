//! `CredentialsLayer` on a real tonic client and server on 127.0.0.1: the
//! server (behind `BearerAuthLayer`) accepts only the newest token
//! generation, so the layer's refresh, single flight, replay bounds and
//! backoff are all observable.
#![cfg(any(feature = "jwt-aws-lc", feature = "jwt-rust-crypto"))]

use crate::support::jwt_server;

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

/// The client side: a token source that counts its fetches and answers from
/// a script (fetch number → result), after a short delay so concurrent
/// refusals overlap with the fetch.
#[derive(Clone)]
struct Scripted {
    fetches: Arc<AtomicUsize>,
    script: Arc<dyn Fn(usize) -> Result<AccessToken, BoxError> + Send + Sync>,
    /// Fetches after the first wait until this holds (generous deadline).
    gate: Option<Arc<dyn Fn() -> bool + Send + Sync>>,
}

impl Scripted {
    fn new(
        script: impl Fn(usize) -> Result<AccessToken, BoxError> + Send + Sync + 'static,
    ) -> Self {
        Scripted {
            fetches: Arc::new(AtomicUsize::new(0)),
            script: Arc::new(script),
            gate: None,
        }
    }

    fn gated(mut self, gate: impl Fn() -> bool + Send + Sync + 'static) -> Self {
        self.gate = Some(Arc::new(gate));
        self
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
        if let (Some(gate), true) = (&self.gate, n > 1) {
            let deadline = Instant::now() + Duration::from_secs(30);
            while !gate() {
                assert!(Instant::now() < deadline, "gate never opened");
                tokio::time::sleep(Duration::from_millis(5)).await;
            }
        }
        (self.script)(n)
    }
}

type Client = HealthClient<auth_error::client::Credentials<Channel, Scripted>>;

async fn setup(source: &Scripted, current: u64) -> (jwt_server::Server, Generations, Client) {
    setup_with(source, current, |layer| layer).await
}

async fn setup_with(
    source: &Scripted,
    current: u64,
    configure: impl FnOnce(CredentialsLayer<Scripted>) -> CredentialsLayer<Scripted>,
) -> (jwt_server::Server, Generations, Client) {
    let verifier = Generations::default();
    verifier.current.store(current, Ordering::SeqCst);
    let server = jwt_server::start(Some(
        BearerAuthLayer::builder(verifier.clone()).build().unwrap(),
    ))
    .await;
    let channel = server.channel().await;
    let client = HealthClient::new(
        ServiceBuilder::new()
            .layer(configure(
                CredentialsLayer::new(source.clone()).with_endpoint(server.uri()),
            ))
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
    // The refresh completes only once all 64 calls were refused, so each of
    // them really met the stale token, however the machine schedules them.
    let refused = Arc::new(AtomicUsize::new(0));
    let seen = refused.clone();
    let source = Scripted::generations().gated(move || seen.load(Ordering::SeqCst) >= 64);
    let (server, verifier, mut client) = setup(&source, 1).await;
    let verifier_refusals = verifier.refusals.clone();
    assert_eq!(check(&mut client).await.unwrap(), "gen-1");
    assert_eq!(source.fetches(), 1);
    // The server moves on: gen-1 is now stale.
    verifier.current.store(2, Ordering::SeqCst);
    let counter = tokio::spawn(async move {
        loop {
            refused.store(verifier_refusals.load(Ordering::SeqCst), Ordering::SeqCst);
            tokio::time::sleep(Duration::from_millis(2)).await;
        }
    });
    let calls = (0..64).map(|_| {
        let mut client = client.clone();
        tokio::spawn(async move { check(&mut client).await })
    });
    let mut ok = 0;
    for call in calls.collect::<Vec<_>>() {
        assert_eq!(call.await.unwrap().unwrap(), "gen-2");
        ok += 1;
    }
    counter.abort();
    assert_eq!(ok, 64);
    assert_eq!(source.fetches(), 2, "exactly one refresh for 64 refusals");
    assert_eq!(
        verifier.refusals.load(Ordering::SeqCst),
        64,
        "every call was refused once"
    );
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
async fn oversized_bodies_and_client_streams_are_not_replayed() {
    let source = Scripted::generations();
    let verifier = Generations::default();
    verifier.current.store(1, Ordering::SeqCst);
    let server = jwt_server::start(Some(
        BearerAuthLayer::builder(verifier.clone()).build().unwrap(),
    ))
    .await;
    // One layer (one token cache) for both clients.
    let layer = CredentialsLayer::new(source.clone()).with_endpoint(server.uri());
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
    let status = tokio::time::timeout(Duration::from_secs(30), client.check(big))
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
        Duration::from_secs(30),
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
            .layer(
                CredentialsLayer::new(source.clone())
                    .with_endpoint(format!("http://{addr}").parse().unwrap()),
            )
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
    // A backoff no stall of the machine can outlast.
    let (server, _verifier, mut client) = setup_with(&source, 2, |layer| {
        layer.with_fetch_backoff(Duration::from_secs(3600), Duration::from_secs(3600))
    })
    .await;
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
    let token = AccessToken::new("s3cr3t-token-value").with_expires_in(Duration::from_secs(60));
    assert!(!format!("{token:?}").contains("s3cr3t"));
    let layer = CredentialsLayer::new(Scripted::new(|_| Ok(AccessToken::new("s3cr3t"))));
    assert!(!format!("{layer:?}").contains("s3cr3t"));
}

/// The layer around an in-process service (no network), so tokio's clock
/// can be paused and advanced: every timing rule is checked exactly.
mod in_process {
    use super::*;
    use auth_error::client::InsecureTransport;
    use std::convert::Infallible;
    use std::sync::Mutex;
    use tower::ServiceExt;

    /// Records the `authorization` header of every request it serves, and
    /// answers gRPC OK.
    #[derive(Clone, Default)]
    struct Recorder(Arc<Mutex<Vec<String>>>);

    impl std::fmt::Debug for Recorder {
        /// The count only: what it recorded holds tokens.
        fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            write!(f, "Recorder({} requests)", self.0.lock().unwrap().len())
        }
    }

    impl Recorder {
        fn seen(&self) -> Vec<String> {
            self.0.lock().unwrap().clone()
        }

        fn service(&self) -> Recorder {
            self.clone()
        }
    }

    impl tower::Service<http::Request<tonic::body::Body>> for Recorder {
        type Response = http::Response<tonic::body::Body>;
        type Error = Infallible;
        type Future = std::future::Ready<Result<Self::Response, Infallible>>;

        fn poll_ready(
            &mut self,
            _: &mut std::task::Context<'_>,
        ) -> std::task::Poll<Result<(), Infallible>> {
            std::task::Poll::Ready(Ok(()))
        }

        fn call(&mut self, req: http::Request<tonic::body::Body>) -> Self::Future {
            let auth = req
                .headers()
                .get("authorization")
                .map(|v| v.to_str().unwrap().to_owned())
                .unwrap_or_default();
            self.0.lock().unwrap().push(auth);
            std::future::ready(Ok(http::Response::builder()
                .header("grpc-status", "0")
                .body(tonic::body::Body::empty())
                .unwrap()))
        }
    }

    fn request(uri: &str) -> http::Request<tonic::body::Body> {
        http::Request::post(uri)
            .header("content-type", "application/grpc")
            .body(tonic::body::Body::empty())
            .unwrap()
    }

    async fn call(
        layer: &CredentialsLayer<Scripted>,
        inner: &Recorder,
    ) -> Result<http::Response<tonic::body::Body>, BoxError> {
        tower::Layer::layer(layer, inner.service())
            .oneshot(request("/grpc.health.v1.Health/Check"))
            .await
    }

    fn loopback(source: &Scripted) -> CredentialsLayer<Scripted> {
        CredentialsLayer::new(source.clone())
            .with_endpoint("http://127.0.0.1:50051".parse().unwrap())
    }

    /// Step-up refusals need the user: the layer never refetches or retries.
    #[tokio::test]
    async fn step_up_refusals_are_never_retried() {
        for refusal in [
            AuthError::new(AuthErrorCode::MultiFactorRequired).with_acr_values(["urn:example:mfa"]),
            AuthError::new(AuthErrorCode::SessionExpired).with_max_age(Duration::from_secs(300)),
        ] {
            let source = Scripted::new(|n| Ok(AccessToken::new(format!("gen-{n}"))));
            let calls = Arc::new(AtomicUsize::new(0));
            let seen = calls.clone();
            let status = tonic::Status::from(refusal.clone());
            let inner = tower::service_fn(move |_req: http::Request<tonic::body::Body>| {
                seen.fetch_add(1, Ordering::SeqCst);
                let status = status.clone();
                async move { Ok::<_, Infallible>(status.into_http::<tonic::body::Body>()) }
            });
            let response = tower::Layer::layer(&loopback(&source), inner)
                .oneshot(request("/grpc.health.v1.Health/Check"))
                .await
                .unwrap();
            let back = tonic::Status::from_header_map(response.headers()).unwrap();
            assert_eq!(back.auth_error().unwrap(), refusal);
            assert_eq!(calls.load(Ordering::SeqCst), 1, "{refusal}: retried");
            assert_eq!(source.fetches(), 1, "{refusal}: refetched");
        }
    }

    /// The `authorization` header is marked sensitive, so HTTP/2's HPACK
    /// never indexes it (a later request on the connection cannot probe it).
    #[tokio::test]
    async fn the_authorization_header_is_sensitive() {
        let source = Scripted::new(|_| Ok(AccessToken::new("s3cr3t-sensitive")));
        let seen = Arc::new(Mutex::new(Vec::new()));
        let record = seen.clone();
        let inner = tower::service_fn(move |req: http::Request<tonic::body::Body>| {
            let value = req.headers().get("authorization").cloned();
            record.lock().unwrap().push(value);
            async {
                Ok::<_, Infallible>(
                    http::Response::builder()
                        .header("grpc-status", "0")
                        .body(tonic::body::Body::empty())
                        .unwrap(),
                )
            }
        });
        tower::Layer::layer(&loopback(&source), inner)
            .oneshot(request("/grpc.health.v1.Health/Check"))
            .await
            .unwrap();
        let seen = seen.lock().unwrap();
        let value = seen[0].as_ref().expect("a token was sent");
        assert_eq!(value, "Bearer s3cr3t-sensitive");
        assert!(value.is_sensitive(), "HPACK may index it");
    }

    /// After a fetch, when the layer and its service hold a token: neither
    /// `Debug` shows it.
    #[tokio::test]
    async fn debug_after_a_fetch_never_shows_the_token() {
        let source = Scripted::new(|_| Ok(AccessToken::new("s3cr3t-after-fetch")));
        let layer = loopback(&source);
        let inner = Recorder::default();
        let service = tower::Layer::layer(&layer, inner.service());
        service
            .clone()
            .oneshot(request("/grpc.health.v1.Health/Check"))
            .await
            .unwrap();
        assert_eq!(inner.seen(), ["Bearer s3cr3t-after-fetch"]);
        assert_eq!(source.fetches(), 1);
        let shown = format!("{layer:?} {service:?} {layer:#?} {service:#?}");
        assert!(!shown.contains("s3cr3t"), "{shown}");
    }

    #[tokio::test(start_paused = true)]
    async fn refreshed_ahead_of_expiry_and_never_sent_expired() {
        // Tokens live 1 s; the margin is 600 ms.
        let issued: Arc<Mutex<Vec<tokio::time::Instant>>> = Arc::default();
        let log = issued.clone();
        let source = Scripted::new(move |n| {
            log.lock().unwrap().push(tokio::time::Instant::now());
            Ok(AccessToken::new(format!("gen-{n}")).with_expires_in(Duration::from_millis(1000)))
        });
        let layer = loopback(&source).with_refresh_margin(Duration::from_millis(600));
        let inner = Recorder::default();
        let mut used = Vec::new();
        for _ in 0..50 {
            call(&layer, &inner).await.unwrap();
            let header = inner.seen().pop().unwrap();
            let n: usize = header.trim_start_matches("Bearer gen-").parse().unwrap();
            let expires = issued.lock().unwrap()[n - 1] + Duration::from_millis(1000);
            assert!(
                tokio::time::Instant::now() < expires,
                "gen-{n} sent expired"
            );
            used.push(n);
            tokio::time::advance(Duration::from_millis(50)).await;
        }
        // 2.5 s of calls: refreshed every ~half second, not per call.
        assert!(
            (4..=6).contains(&source.fetches()),
            "{} fetches",
            source.fetches()
        );
        assert!(used.windows(2).all(|w| w[0] <= w[1]));
    }

    #[tokio::test(start_paused = true)]
    async fn a_token_shorter_than_the_margin_is_not_fetched_per_call() {
        let source = Scripted::new(|n| {
            Ok(AccessToken::new(format!("gen-{n}")).with_expires_in(Duration::from_secs(10)))
        });
        // A 60 s margin on a 10 s token: refreshed at half its life.
        let layer = loopback(&source).with_refresh_margin(Duration::from_secs(60));
        let inner = Recorder::default();
        for _ in 0..100 {
            call(&layer, &inner).await.unwrap();
            tokio::time::advance(Duration::from_millis(40)).await;
        }
        assert_eq!(source.fetches(), 1, "4 s of calls on one 10 s token");
        tokio::time::advance(Duration::from_secs(2)).await;
        call(&layer, &inner).await.unwrap();
        assert_eq!(source.fetches(), 2, "refreshed past half its life");
    }

    #[tokio::test(start_paused = true)]
    async fn a_failed_early_refresh_sends_the_still_valid_token() {
        let source = Scripted::new(|n| match n {
            1 => Ok(AccessToken::new("gen-1").with_expires_in(Duration::from_secs(120))),
            _ => Err("identity provider down".into()),
        });
        let layer = loopback(&source).with_refresh_margin(Duration::from_secs(60));
        let inner = Recorder::default();
        call(&layer, &inner).await.unwrap();
        // Inside the margin: the refresh fails, the call goes out anyway.
        tokio::time::advance(Duration::from_secs(70)).await;
        call(&layer, &inner).await.unwrap();
        assert_eq!(source.fetches(), 2);
        assert_eq!(inner.seen(), ["Bearer gen-1", "Bearer gen-1"]);
        // Past its expiry, there is nothing left to send.
        tokio::time::advance(Duration::from_secs(60)).await;
        let err = call(&layer, &inner).await.unwrap_err();
        let status = err.downcast::<tonic::Status>().unwrap();
        assert_eq!(status.code(), Code::Unauthenticated);
        assert_eq!(inner.seen().len(), 2, "nothing sent without a token");
    }

    #[tokio::test(start_paused = true)]
    async fn a_token_read_with_a_newline_is_trimmed_and_a_bad_one_backed_off() {
        let source = Scripted::new(|_| Ok(AccessToken::new("gen-1\n")));
        let inner = Recorder::default();
        call(&loopback(&source), &inner).await.unwrap();
        assert_eq!(inner.seen(), ["Bearer gen-1"]);

        let bad = Scripted::new(|_| Ok(AccessToken::new("not a token")));
        let layer = loopback(&bad);
        for _ in 0..5 {
            let err = call(&layer, &inner).await.unwrap_err();
            let status = err.downcast::<tonic::Status>().unwrap();
            let why = std::error::Error::source(&*status).unwrap().to_string();
            assert!(why.contains("b64token"), "{why}");
            assert!(
                !why.contains("not a token"),
                "the token is not repeated: {why}"
            );
        }
        assert_eq!(bad.fetches(), 1, "reported once, then backed off");
        assert_eq!(inner.seen().len(), 1);
    }

    #[tokio::test(start_paused = true)]
    async fn huge_durations_saturate_instead_of_panicking() {
        let token = AccessToken::new("gen-1").with_expires_in(Duration::MAX);
        assert!(token.expiry().is_some());
        let source = Scripted::new(|n| match n {
            1 => Err("down".into()),
            _ => Ok(AccessToken::new("gen-2").with_expires_in(Duration::MAX)),
        });
        let layer = loopback(&source)
            .with_fetch_backoff(Duration::MAX, Duration::MAX)
            .with_refresh_margin(Duration::MAX);
        let inner = Recorder::default();
        assert!(call(&layer, &inner).await.is_err());
        assert!(call(&layer, &inner).await.is_err(), "backing off, for ever");
        assert_eq!(source.fetches(), 1);
        let fresh = Scripted::new(|_| Ok(AccessToken::new("gen-1").with_expires_in(Duration::MAX)));
        let layer = loopback(&fresh).with_refresh_margin(Duration::MAX);
        call(&layer, &inner).await.unwrap();
        call(&layer, &inner).await.unwrap();
        assert_eq!(fresh.fetches(), 1);
    }

    #[tokio::test]
    async fn tokens_never_go_over_plaintext_to_another_host() {
        let source = Scripted::generations();
        let inner = Recorder::default();
        for endpoint in ["http://api.example.com", "http://10.0.0.1:50051", "ftp://x"] {
            let layer =
                CredentialsLayer::new(source.clone()).with_endpoint(endpoint.parse().unwrap());
            let err = call(&layer, &inner).await.unwrap_err();
            let status = err.downcast::<tonic::Status>().unwrap();
            assert_eq!(status.code(), Code::FailedPrecondition, "{endpoint}");
            let source = std::error::Error::source(&*status).unwrap();
            assert!(
                matches!(
                    source.downcast_ref::<InsecureTransport>(),
                    Some(InsecureTransport::Plaintext { .. })
                ),
                "{endpoint}: {source}"
            );
        }
        // Nor when the layer cannot know where the call goes.
        let err = call(&CredentialsLayer::new(source.clone()), &inner)
            .await
            .unwrap_err();
        let status = err.downcast::<tonic::Status>().unwrap();
        assert!(
            status.message().contains("with_endpoint"),
            "{}",
            status.message()
        );
        // An absolute request URI speaks for itself.
        let refused = tower::Layer::layer(&CredentialsLayer::new(source.clone()), inner.service())
            .oneshot(request(
                "http://api.example.com/grpc.health.v1.Health/Check",
            ))
            .await;
        let refused = refused.unwrap_err().downcast::<tonic::Status>().unwrap();
        let why = std::error::Error::source(&*refused)
            .and_then(|e| e.downcast_ref::<InsecureTransport>())
            .unwrap_or_else(|| panic!("no InsecureTransport source: {refused:?}"));
        assert!(
            matches!(why, InsecureTransport::Plaintext { scheme, host, .. } if scheme == "http" && host == "api.example.com"),
            "{why:?}"
        );
        assert_eq!(source.fetches(), 0, "no token was even fetched");
        assert!(inner.seen().is_empty(), "nothing was sent");

        for endpoint in [
            "https://api.example.com",
            "http://127.0.0.1:50051",
            "http://127.9.9.9",
            "http://[::1]:50051",
            "http://localhost:50051",
        ] {
            let layer =
                CredentialsLayer::new(source.clone()).with_endpoint(endpoint.parse().unwrap());
            call(&layer, &inner)
                .await
                .unwrap_or_else(|e| panic!("{endpoint}: {e}"));
        }
        let layer = CredentialsLayer::new(source.clone())
            .with_endpoint("http://api.internal".parse().unwrap())
            .with_plaintext_allowed(true);
        call(&layer, &inner).await.unwrap();
        assert_eq!(inner.seen().len(), 6);
    }

    /// The layer takes any request body of `Bytes` (hyper's, axum's,
    /// `Full`), not only tonic's, and hands the same bytes on.
    #[tokio::test]
    async fn any_request_body_is_accepted_and_passed_on() {
        use http_body_util::BodyExt;
        let source = Scripted::generations();
        let inner = tower::service_fn(|req: http::Request<tonic::body::Body>| async move {
            let auth = req.headers()["authorization"].to_str().unwrap().to_owned();
            let body = req.into_body().collect().await.unwrap().to_bytes();
            Ok::<_, Infallible>(http::Response::new(format!("{auth} {}", body.len())))
        });
        let layer = loopback(&source);
        let full = http::Request::post("/pkg.Svc/M")
            .body(http_body_util::Full::new(bytes::Bytes::from_static(
                b"12345",
            )))
            .unwrap();
        let response = tower::Layer::layer(&layer, inner)
            .oneshot(full)
            .await
            .unwrap();
        assert_eq!(response.body(), "Bearer gen-1 5");
        let axum_body = http::Request::post("/pkg.Svc/M")
            .body(axum::body::Body::from("123"))
            .unwrap();
        let response = tower::Layer::layer(&layer, inner)
            .oneshot(axum_body)
            .await
            .unwrap();
        assert_eq!(response.body(), "Bearer gen-1 3");
    }
}
