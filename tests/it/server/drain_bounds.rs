//! `DrainRejectedLayer` honours each of its bounds (bytes, time, concurrent
//! drains): past a bound the body is dropped as without the layer, the
//! service keeps serving, and no more than the bounds is ever held.
//!
//! On tokio's paused clock: the time bound and every wait are exact, however
//! busy the machine is.

use std::convert::Infallible;
use std::time::Duration;

use tokio::time::Instant;

use auth_error::server::DrainRejectedLayer;
use bytes::Bytes;
use http_body::Frame;
use http_body_util::StreamBody;
use tokio::sync::mpsc;
use tokio_stream::wrappers::ReceiverStream;
use tower::{Layer, Service, ServiceExt, service_fn};

type Body = StreamBody<ReceiverStream<Result<Frame<Bytes>, Infallible>>>;
type Sender = mpsc::Sender<Result<Frame<Bytes>, Infallible>>;

/// A service that rejects every request by dropping its body unread, as a
/// tonic interceptor does.
fn rejecting(
    layer: &DrainRejectedLayer,
) -> impl Service<http::Request<Body>, Response = http::Response<()>, Error = Infallible> {
    layer.layer(service_fn(
        |req: http::Request<tonic::body::Body>| async move {
            drop(req);
            Ok::<_, Infallible>(http::Response::new(()))
        },
    ))
}

/// A request whose body has `first` bytes ready and stays open.
async fn open_request(first: usize) -> (http::Request<Body>, Sender) {
    let (tx, rx) = mpsc::channel(8);
    tx.send(Ok(Frame::data(Bytes::from(vec![0u8; first]))))
        .await
        .unwrap();
    (
        http::Request::new(StreamBody::new(ReceiverStream::new(rx))),
        tx,
    )
}

async fn closed_within(tx: &Sender, limit: Duration) -> bool {
    tokio::time::timeout(limit, tx.closed()).await.is_ok()
}

/// Waits until no drain is running (the task ends just after it drops the
/// body); fails after a generous deadline.
async fn no_drain_left(layer: &DrainRejectedLayer) {
    let deadline = Instant::now() + Duration::from_secs(60);
    while layer.draining() > 0 {
        assert!(
            Instant::now() < deadline,
            "{} drains left",
            layer.draining()
        );
        tokio::time::sleep(Duration::from_millis(1)).await;
    }
}

#[tokio::test(start_paused = true)]
async fn a_body_over_the_byte_bound_is_dropped() {
    let layer = DrainRejectedLayer::default()
        .with_max_bytes(1024)
        .with_max_duration(Duration::from_secs(30))
        .with_max_concurrent(4);
    let mut svc = rejecting(&layer);
    let (req, tx) = open_request(100).await;
    svc.ready().await.unwrap().call(req).await.unwrap();
    assert_eq!(layer.draining(), 1, "an open body is drained in a task");
    // Within the bound, the drain keeps reading.
    tx.send(Ok(Frame::data(Bytes::from(vec![0u8; 500]))))
        .await
        .unwrap();
    assert!(!closed_within(&tx, Duration::from_millis(100)).await);
    // Past the bound, it stops and drops the body long before the time bound.
    tx.send(Ok(Frame::data(Bytes::from(vec![0u8; 1000]))))
        .await
        .unwrap();
    assert!(closed_within(&tx, Duration::from_secs(2)).await);
    no_drain_left(&layer).await;
}

#[tokio::test(start_paused = true)]
async fn a_stalled_body_is_dropped_at_the_time_bound() {
    let bound = Duration::from_millis(300);
    let layer = DrainRejectedLayer::default()
        .with_max_bytes(64 * 1024)
        .with_max_duration(bound)
        .with_max_concurrent(4);
    let mut svc = rejecting(&layer);
    let start = Instant::now();
    let (req, tx) = open_request(10).await;
    svc.ready().await.unwrap().call(req).await.unwrap();
    assert_eq!(layer.draining(), 1);
    assert!(closed_within(&tx, Duration::from_secs(5)).await);
    let waited = start.elapsed();
    assert!(
        waited >= bound,
        "dropped after {waited:?}, before the bound"
    );
    no_drain_left(&layer).await;
}

#[tokio::test(start_paused = true)]
async fn drains_past_the_concurrency_bound_are_not_started() {
    let layer = DrainRejectedLayer::default()
        .with_max_bytes(64 * 1024)
        .with_max_duration(Duration::from_millis(500))
        .with_max_concurrent(2);
    let mut svc = rejecting(&layer);
    let mut senders = Vec::new();
    for _ in 0..5 {
        let (req, tx) = open_request(10).await;
        svc.ready().await.unwrap().call(req).await.unwrap();
        senders.push(tx);
    }
    // Two drains at once; the other three bodies were dropped at once.
    assert_eq!(layer.draining(), 2);
    for tx in &senders[2..] {
        assert!(closed_within(tx, Duration::from_millis(50)).await);
    }
    for tx in &senders[..2] {
        assert!(!tx.is_closed());
    }
    // The service kept serving all along, and after the time bound the
    // drains are gone.
    for tx in &senders[..2] {
        assert!(closed_within(tx, Duration::from_secs(5)).await);
    }
    no_drain_left(&layer).await;
    let (req, _tx) = open_request(10).await;
    let response = svc.ready().await.unwrap().call(req).await.unwrap();
    assert_eq!(response.status(), 200);
}
