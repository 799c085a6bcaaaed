//! Client side: [`StatusDetailsGuardLayer`], which keeps a peer's malformed
//! `grpc-status-details-bin` from panicking the calling task.
//!
//! tonic 0.14's `Status::from_header_map` calls `.expect(..)` on the base64 of
//! `grpc-status-details-bin`, so a server or proxy that sends an invalid value
//! panics the client task. This layer sits between tonic and the `Channel`,
//! inspects response headers (trailers-only responses) and trailers before
//! tonic parses them, and repairs or drops a malformed value, so the call ends
//! with the plain code and message instead of a panic.
//!
//! | value | what the guard does |
//! |---|---|
//! | valid base64 (padded or not) within the bound | left as is |
//! | several values, or comma-joined values (gRPC HTTP/2 spec), all decoding to the same bytes (empty elements ignored) | keeps one |
//! | several values that differ (ambiguous: which status is real?) | dropped |
//! | invalid base64, not ASCII | dropped |
//! | longer than the bound (default 8 KiB, the usual header limit of gRPC peers; this crate sends at most 5.5 KiB) | dropped |
//!
//! ```no_run
//! use auth_error::guard::StatusDetailsGuardLayer;
//! use tonic_health::pb::health_client::HealthClient;
//! use tower::ServiceBuilder;
//! # async fn run() -> Result<(), Box<dyn std::error::Error>> {
//! let channel = tonic::transport::Channel::from_static("http://127.0.0.1:50051").connect().await?;
//! let guarded = ServiceBuilder::new()
//!     .layer(StatusDetailsGuardLayer::default())
//!     .service(channel);
//! let mut client = HealthClient::new(guarded);
//! # let _ = &mut client; Ok(()) }
//! ```

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll, ready};

use base64::Engine as _;
use base64::engine::{DecodePaddingMode, GeneralPurpose, GeneralPurposeConfig};
use http::{HeaderMap, HeaderValue};
use http_body::{Body, Frame, SizeHint};
use tower_layer::Layer;
use tower_service::Service;

const DETAILS_HEADER: &str = "grpc-status-details-bin";

/// tonic's own decoding rules: standard alphabet, padding optional.
const TONIC_BASE64: GeneralPurpose = GeneralPurpose::new(
    &base64::alphabet::STANDARD,
    GeneralPurposeConfig::new().with_decode_padding_mode(DecodePaddingMode::Indifferent),
);

/// A tower layer for a tonic client `Channel` that repairs or drops malformed
/// `grpc-status-details-bin` values (see the [module docs](crate::guard)).
#[derive(Clone, Copy, Debug)]
pub struct StatusDetailsGuardLayer {
    max_bytes: usize,
}

impl Default for StatusDetailsGuardLayer {
    fn default() -> Self {
        StatusDetailsGuardLayer {
            max_bytes: Self::DEFAULT_MAX_BYTES,
        }
    }
}

impl StatusDetailsGuardLayer {
    /// The default bound on a `grpc-status-details-bin` value, in bytes of
    /// base64 (this crate's own values are at most 5,462 bytes: 4 KiB of
    /// protobuf).
    pub const DEFAULT_MAX_BYTES: usize = 8 * 1024;

    /// A guard with the default bound ([`DEFAULT_MAX_BYTES`](Self::DEFAULT_MAX_BYTES)).
    pub fn new() -> Self {
        Self::default()
    }

    /// Drops values longer than `max_bytes` bytes (default
    /// [`DEFAULT_MAX_BYTES`](Self::DEFAULT_MAX_BYTES)).
    ///
    /// ```
    /// let guard = auth_error::guard::StatusDetailsGuardLayer::new().with_max_bytes(4096);
    /// # drop(guard);
    /// ```
    #[must_use]
    pub fn with_max_bytes(mut self, max_bytes: usize) -> Self {
        self.max_bytes = max_bytes;
        self
    }
}

impl<S> Layer<S> for StatusDetailsGuardLayer {
    type Service = StatusDetailsGuard<S>;

    fn layer(&self, inner: S) -> Self::Service {
        StatusDetailsGuard {
            inner,
            max_bytes: self.max_bytes,
        }
    }
}

/// The service of [`StatusDetailsGuardLayer`].
#[derive(Clone, Debug)]
pub struct StatusDetailsGuard<S> {
    inner: S,
    max_bytes: usize,
}

service_impls!(StatusDetailsGuard<S>);

impl<S> StatusDetailsGuard<S> {
    /// `inner` guarded with the default bound
    /// ([`StatusDetailsGuardLayer::DEFAULT_MAX_BYTES`]).
    pub fn new(inner: S) -> Self {
        StatusDetailsGuardLayer::new().layer(inner)
    }
}

// On `()` so that `StatusDetailsGuard::layer()` needs no type annotation.
impl StatusDetailsGuard<()> {
    /// The layer of this service (tower-http's `X::layer()`).
    pub fn layer() -> StatusDetailsGuardLayer {
        StatusDetailsGuardLayer::new()
    }
}

impl<S, ReqBody, ResBody> Service<http::Request<ReqBody>> for StatusDetailsGuard<S>
where
    S: Service<http::Request<ReqBody>, Response = http::Response<ResBody>>,
{
    type Response = http::Response<GuardedBody<ResBody>>;
    type Error = S::Error;
    type Future = GuardFuture<S::Future>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, req: http::Request<ReqBody>) -> Self::Future {
        GuardFuture {
            inner: self.inner.call(req),
            max_bytes: self.max_bytes,
        }
    }
}

pin_project_lite::pin_project! {
    /// The response future of [`StatusDetailsGuard`].
    #[derive(Debug)]
    pub struct GuardFuture<F> {
        #[pin]
        inner: F,
        max_bytes: usize,
    }
}

impl<F, B, E> Future for GuardFuture<F>
where
    F: Future<Output = Result<http::Response<B>, E>>,
{
    type Output = Result<http::Response<GuardedBody<B>>, E>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.project();
        let max_bytes = *this.max_bytes;
        let mut response = ready!(this.inner.poll(cx))?;
        sanitize(response.headers_mut(), max_bytes);
        Poll::Ready(Ok(response.map(|inner| GuardedBody { inner, max_bytes })))
    }
}

pin_project_lite::pin_project! {
    /// A response body whose trailers are checked by [`sanitize`].
    #[derive(Debug)]
    pub struct GuardedBody<B> {
        #[pin]
        inner: B,
        max_bytes: usize,
    }
}

impl<B: Body> Body for GuardedBody<B> {
    type Data = B::Data;
    type Error = B::Error;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Self::Data>, Self::Error>>> {
        let this = self.project();
        let mut frame = ready!(this.inner.poll_frame(cx));
        if let Some(Ok(frame)) = frame.as_mut()
            && let Some(trailers) = frame.trailers_mut()
        {
            sanitize(trailers, *this.max_bytes);
        }
        Poll::Ready(frame)
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.inner.size_hint()
    }
}

/// What [`sanitize`] did to a header map.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub(crate) enum Sanitized {
    /// No `grpc-status-details-bin`, or a valid one: nothing changed.
    Unchanged,
    /// Several values (repeated or comma-joined) that all decode to the same
    /// bytes: one was kept.
    Repaired,
    /// The value was malformed, ambiguous or over the bound, and was removed.
    Dropped,
}

/// Repairs or removes a malformed `grpc-status-details-bin` in `headers`
/// (response headers or trailers), so that tonic can parse them without
/// panicking.
///
/// Several values — repeated headers, or one value joined with commas as the
/// gRPC HTTP/2 spec allows for `-bin` headers — are kept only if every one
/// decodes to the same bytes (a proxy duplicated them); different values are
/// ambiguous (which status is the real one?) and are dropped, as are invalid
/// base64 and values longer than `max_bytes` bytes. Work is linear in the size
/// of the values, and nothing longer than `max_bytes` is decoded.
///
/// What [`StatusDetailsGuardLayer`] does to every response, for clients
/// that read a `Status` from headers themselves
/// (`tonic::Status::from_header_map`).
///
/// ```
/// let mut headers = http::HeaderMap::new();
/// headers.insert("grpc-status-details-bin", "not base64!".parse().unwrap());
/// auth_error::guard::sanitize_details_header(&mut headers, 16 * 1024);
/// assert!(headers.get("grpc-status-details-bin").is_none());
/// ```
pub fn sanitize_details_header(headers: &mut HeaderMap, max_bytes: usize) {
    sanitize(headers, max_bytes);
}

/// [`sanitize_details_header`], saying what it did.
pub(crate) fn sanitize(headers: &mut HeaderMap, max_bytes: usize) -> Sanitized {
    let mut values = headers.get_all(DETAILS_HEADER).iter();
    let Some(first) = values.next() else {
        return Sanitized::Unchanged;
    };
    let single = values.next().is_none();
    let bytes = first.as_bytes();
    if single
        && bytes.len() <= max_bytes
        && !bytes.contains(&b',')
        && TONIC_BASE64.decode(bytes).is_ok()
    {
        return Sanitized::Unchanged;
    }
    let total: usize = headers
        .get_all(DETAILS_HEADER)
        .iter()
        .map(|v| v.len())
        .sum();
    let mut decoded: Option<Vec<u8>> = None;
    let mut keep: Option<HeaderValue> = None;
    let mut consistent = total <= max_bytes.saturating_mul(4);
    if consistent {
        'all: for value in headers.get_all(DETAILS_HEADER) {
            for element in value.as_bytes().split(|b| *b == b',') {
                let element = element.trim_ascii();
                // An empty element (`"<valid>,"`) carries nothing: skip it.
                if element.is_empty() {
                    continue;
                }
                let Some(bytes) = (element.len() <= max_bytes)
                    .then(|| TONIC_BASE64.decode(element).ok())
                    .flatten()
                else {
                    consistent = false;
                    break 'all;
                };
                match &decoded {
                    None => {
                        decoded = Some(bytes);
                        keep = HeaderValue::from_bytes(element).ok();
                    }
                    Some(first) if *first == bytes => {}
                    Some(_) => {
                        consistent = false;
                        break 'all;
                    }
                }
            }
        }
    }
    headers.remove(DETAILS_HEADER);
    match keep.filter(|_| consistent) {
        Some(value) => {
            headers.insert(DETAILS_HEADER, value);
            Sanitized::Repaired
        }
        None => Sanitized::Dropped,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn with(values: &[&[u8]]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for v in values {
            h.append(DETAILS_HEADER, HeaderValue::from_bytes(v).unwrap());
        }
        h
    }

    #[test]
    fn each_form() {
        let ok = b"CBASAW0";
        assert_eq!(sanitize(&mut with(&[ok]), 100), Sanitized::Unchanged);
        assert_eq!(
            sanitize(&mut with(&[b"CBASAW0="]), 100),
            Sanitized::Unchanged
        );
        assert_eq!(sanitize(&mut HeaderMap::new(), 100), Sanitized::Unchanged);
        let mut h = with(&[b"CBASAW0,CBASAW0="]);
        assert_eq!(sanitize(&mut h, 100), Sanitized::Repaired);
        assert_eq!(h.get(DETAILS_HEADER).unwrap(), "CBASAW0");
        assert_eq!(sanitize(&mut with(&[ok, ok]), 100), Sanitized::Repaired);
        // A valid value with empty comma elements is repaired to the value.
        for joined in [&b"CBASAW0,"[..], b"CBASAW0, ,", b",CBASAW0"] {
            let mut h = with(&[joined]);
            assert_eq!(sanitize(&mut h, 100), Sanitized::Repaired);
            assert_eq!(h.get(DETAILS_HEADER).unwrap(), "CBASAW0");
        }
        assert_eq!(sanitize(&mut with(&[b", ,"]), 100), Sanitized::Dropped);
        assert_eq!(
            sanitize(&mut with(&[b"CBASAW0,CBA"]), 100),
            Sanitized::Dropped
        );
        assert_eq!(sanitize(&mut with(&[ok, b"CAE"]), 100), Sanitized::Dropped);
        assert_eq!(sanitize(&mut with(&[b"!!"]), 100), Sanitized::Dropped);
        assert_eq!(sanitize(&mut with(&[b"\xff\xfe"]), 100), Sanitized::Dropped);
        assert_eq!(sanitize(&mut with(&[ok]), 6), Sanitized::Dropped);
        assert_eq!(sanitize(&mut with(&[ok]), 7), Sanitized::Unchanged);
    }
}
