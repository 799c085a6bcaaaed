//! [`DrainRejectedLayer`]: drains request bodies a service dropped unread
//! (published as [`crate::server`], whose docs say why).

use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use bytes::Bytes;
use http_body::{Body, Frame, SizeHint};
use tokio::sync::Semaphore;
use tower_layer::Layer;
use tower_service::Service;

use crate::BoxError;

#[derive(Debug)]
struct Limits {
    max_bytes: usize,
    max_duration: Duration,
    max_concurrent: usize,
    permits: Arc<Semaphore>,
}

/// A tower layer for `tonic::transport::Server::builder().layer(..)` that
/// drains request bodies the service dropped unread (see the [module
/// docs](crate::server)).
///
/// Defaults: at most 64 KiB and 250 ms per body, at most 1,024 bodies drained
/// at once.
#[derive(Clone, Debug)]
pub struct DrainRejectedLayer {
    limits: Arc<Limits>,
}

impl Default for DrainRejectedLayer {
    fn default() -> Self {
        Self::with_limits(
            Self::DEFAULT_MAX_BYTES,
            Self::DEFAULT_MAX_DURATION,
            Self::DEFAULT_MAX_CONCURRENT,
        )
    }
}

impl DrainRejectedLayer {
    /// The default bound on the bytes drained per body.
    pub const DEFAULT_MAX_BYTES: usize = 64 * 1024;
    /// The default bound on the time spent draining one body.
    pub const DEFAULT_MAX_DURATION: Duration = Duration::from_millis(250);
    /// The default bound on the bodies drained at once.
    pub const DEFAULT_MAX_CONCURRENT: usize = 1024;

    /// A layer with the default bounds.
    pub fn new() -> Self {
        Self::default()
    }

    fn with_limits(max_bytes: usize, max_duration: Duration, max_concurrent: usize) -> Self {
        let max_concurrent = max_concurrent.min(Semaphore::MAX_PERMITS);
        DrainRejectedLayer {
            limits: Arc::new(Limits {
                max_bytes,
                max_duration,
                max_concurrent,
                permits: Arc::new(Semaphore::new(max_concurrent)),
            }),
        }
    }

    /// Drains at most `max_bytes` per body (default 64 KiB).
    ///
    /// ```
    /// use std::time::Duration;
    /// let layer = auth_error::server::DrainRejectedLayer::default()
    ///     .with_max_bytes(16 * 1024)
    ///     .with_max_duration(Duration::from_millis(100))
    ///     .with_max_concurrent(256);
    /// # drop(layer);
    /// ```
    #[must_use]
    pub fn with_max_bytes(self, max_bytes: usize) -> Self {
        Self::with_limits(
            max_bytes,
            self.limits.max_duration,
            self.limits.max_concurrent,
        )
    }

    /// Drains each body for at most `max_duration` (default 250 ms).
    #[must_use]
    pub fn with_max_duration(self, max_duration: Duration) -> Self {
        Self::with_limits(
            self.limits.max_bytes,
            max_duration,
            self.limits.max_concurrent,
        )
    }

    /// Drains at most `max_concurrent` bodies at once (default 1,024); past
    /// it a body is dropped as without the layer.
    #[must_use]
    pub fn with_max_concurrent(self, max_concurrent: usize) -> Self {
        Self::with_limits(
            self.limits.max_bytes,
            self.limits.max_duration,
            max_concurrent,
        )
    }

    /// Bodies being drained right now (for metrics and tests).
    pub fn draining(&self) -> usize {
        self.limits.max_concurrent - self.limits.permits.available_permits()
    }
}

impl<S> Layer<S> for DrainRejectedLayer {
    type Service = DrainRejected<S>;

    fn layer(&self, inner: S) -> Self::Service {
        DrainRejected {
            inner,
            limits: self.limits.clone(),
        }
    }
}

/// The service of [`DrainRejectedLayer`].
#[derive(Clone, Debug)]
pub struct DrainRejected<S> {
    inner: S,
    limits: Arc<Limits>,
}

service_impls!(DrainRejected<S>);

impl<S> DrainRejected<S> {
    /// `inner` with the default drain bounds of [`DrainRejectedLayer`].
    pub fn new(inner: S) -> Self {
        DrainRejectedLayer::new().layer(inner)
    }
}

// On `()` so that `DrainRejected::layer()` needs no type annotation.
impl DrainRejected<()> {
    /// The layer of this service (tower-http's `X::layer()`).
    pub fn layer() -> DrainRejectedLayer {
        DrainRejectedLayer::new()
    }
}

impl<S, B> Service<http::Request<B>> for DrainRejected<S>
where
    S: Service<http::Request<tonic::body::Body>>,
    B: Body<Data = Bytes> + Send + Unpin + 'static,
    B::Error: Into<BoxError>,
{
    type Response = S::Response;
    type Error = S::Error;
    type Future = S::Future;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, req: http::Request<B>) -> Self::Future {
        let limits = self.limits.clone();
        self.inner.call(req.map(|body| {
            tonic::body::Body::new(DrainOnDrop {
                inner: Some(body),
                done: false,
                limits,
            })
        }))
    }
}

/// A request body that, dropped before its end, hands the rest to a drain task.
struct DrainOnDrop<B: Body<Data = Bytes> + Send + Unpin + 'static> {
    inner: Option<B>,
    done: bool,
    limits: Arc<Limits>,
}

impl<B> Body for DrainOnDrop<B>
where
    B: Body<Data = Bytes> + Send + Unpin + 'static,
{
    type Data = Bytes;
    type Error = B::Error;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, Self::Error>>> {
        let this = &mut *self;
        let Some(inner) = this.inner.as_mut() else {
            return Poll::Ready(None);
        };
        let polled = Pin::new(inner).poll_frame(cx);
        if matches!(polled, Poll::Ready(None) | Poll::Ready(Some(Err(_)))) {
            this.done = true;
        }
        polled
    }

    fn is_end_stream(&self) -> bool {
        self.inner.as_ref().is_none_or(Body::is_end_stream)
    }

    fn size_hint(&self) -> SizeHint {
        self.inner
            .as_ref()
            .map_or_else(|| SizeHint::with_exact(0), Body::size_hint)
    }
}

impl<B> Drop for DrainOnDrop<B>
where
    B: Body<Data = Bytes> + Send + Unpin + 'static,
{
    fn drop(&mut self) {
        let Some(body) = self.inner.take() else {
            return;
        };
        if !self.done {
            drain_unread(body, &self.limits);
        }
    }
}

impl DrainRejectedLayer {
    /// Drains `body`, a request body about to be dropped unread, within
    /// these bounds (what [`DrainRejected`] does when the service drops it):
    /// for a service that refuses a request itself, without wrapping every
    /// request's body.
    pub(crate) fn drain_unread<B>(&self, body: B)
    where
        B: Body<Data = Bytes> + Send + Unpin + 'static,
    {
        drain_unread(body, &self.limits);
    }
}

fn drain_unread<B>(mut body: B, limits: &Arc<Limits>)
where
    B: Body<Data = Bytes> + Send + Unpin + 'static,
{
    if body.is_end_stream() {
        return;
    }
    use crate::observe::drain as drained;
    // Usually the client has sent the whole (small) body by the time the
    // service rejects it: read what is already buffered right here, and
    // spawn a task only if the body has not ended yet.
    let read = match drain_buffered(&mut body, limits.max_bytes) {
        Buffered::Ended => return drained(true),
        Buffered::TooLarge => return drained(false),
        Buffered::Open(read) => read,
    };
    // Outside a tokio runtime, or past the concurrency cap: drop as usual.
    let Ok(runtime) = tokio::runtime::Handle::try_current() else {
        return drained(false);
    };
    let Ok(permit) = limits.permits.clone().try_acquire_owned() else {
        return drained(false);
    };
    let (left, max_duration) = (limits.max_bytes - read, limits.max_duration);
    runtime.spawn(async move {
        let _permit = permit;
        let done = tokio::time::timeout(max_duration, drain(body, left)).await;
        drained(done == Ok(true));
    });
}

/// What reading the frames a body has ready found.
enum Buffered {
    /// The body ended (or failed): drained.
    Ended,
    /// Past the bound: abandoned.
    TooLarge,
    /// Still open, this many bytes read.
    Open(usize),
}

/// Reads the frames `body` has ready without waiting.
fn drain_buffered<B: Body<Data = Bytes> + Unpin>(body: &mut B, max_bytes: usize) -> Buffered {
    let mut cx = Context::from_waker(std::task::Waker::noop());
    let mut read = 0usize;
    loop {
        match Pin::new(&mut *body).poll_frame(&mut cx) {
            Poll::Ready(Some(Ok(frame))) => {
                read = read.saturating_add(frame.data_ref().map_or(0, Bytes::len));
                if read > max_bytes {
                    return Buffered::TooLarge;
                }
            }
            Poll::Ready(None | Some(Err(_))) => return Buffered::Ended,
            // Polled again with a real waker by the drain task.
            Poll::Pending => return Buffered::Open(read),
        }
    }
}

/// Reads `body` to its end (`true`), or until past `max_bytes` (`false`).
async fn drain<B: Body<Data = Bytes> + Unpin>(mut body: B, max_bytes: usize) -> bool {
    let mut read = 0usize;
    while let Some(Ok(frame)) = std::future::poll_fn(|cx| Pin::new(&mut body).poll_frame(cx)).await
    {
        if let Some(data) = frame.data_ref() {
            read = read.saturating_add(data.len());
            if read > max_bytes {
                return false;
            }
        }
    }
    true
}

#[cfg(test)]
mod defaults {
    use super::*;

    /// The drain defaults docs/connections.md states: 64 KiB, 250 ms, 1,024 bodies at once.
    #[test]
    fn the_documented_drain_defaults() {
        let layer = DrainRejectedLayer::default();
        assert_eq!(layer.limits.max_bytes, 64 * 1024);
        assert_eq!(layer.limits.max_duration, Duration::from_millis(250));
        assert_eq!(layer.limits.max_concurrent, 1024);
    }
}
