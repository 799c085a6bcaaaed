//! [`CredentialsLayer`]: attaches the bearer token to every call, refreshes
//! it ahead of expiry, and refreshes once and retries once when the server
//! says the token expired (published as [`crate::client`]).

use std::fmt;
use std::future::{Future, poll_fn};
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::{Duration, Instant, SystemTime};

use bytes::{Bytes, BytesMut};
use http::{HeaderMap, HeaderValue, header};
use http_body::{Body, Frame};
use tower_layer::Layer;
use tower_service::Service;

use crate::{AuthStatusExt, ClientAction};

/// The error type of [`TokenSource::fetch`] and of the service.
pub type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// An access token and, if known, when it expires. `Debug` never shows the
/// token.
#[derive(Clone)]
pub struct AccessToken {
    value: String,
    expires_at: Option<SystemTime>,
}

impl AccessToken {
    /// A token (the credential after `Bearer `).
    pub fn new(value: impl Into<String>) -> Self {
        AccessToken {
            value: value.into(),
            expires_at: None,
        }
    }

    /// When the token expires: the layer fetches a new one ahead of it.
    #[must_use]
    pub fn expires_at(mut self, at: SystemTime) -> Self {
        self.expires_at = Some(at);
        self
    }

    /// The token expires `lifetime` from now (an OAuth `expires_in`).
    #[must_use]
    pub fn expires_in(self, lifetime: Duration) -> Self {
        self.expires_at(SystemTime::now() + lifetime)
    }

    /// The token.
    pub fn secret(&self) -> &str {
        &self.value
    }

    /// When it expires, if known.
    pub fn expiry(&self) -> Option<SystemTime> {
        self.expires_at
    }
}

impl fmt::Debug for AccessToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AccessToken")
            .field("value", &"<redacted>")
            .field("expires_at", &self.expires_at)
            .finish()
    }
}

/// Where tokens come from: an OAuth client-credentials or refresh-token
/// exchange, a metadata server, a file a sidecar rotates.
pub trait TokenSource: Send + Sync + 'static {
    /// A fresh token (called at first use, ahead of expiry, and after the
    /// server said the current one expired).
    fn fetch(&self) -> impl Future<Output = Result<AccessToken, BoxError>> + Send;
}

/// The token in use: its header value and its generation (which fetch).
#[derive(Clone)]
struct Current {
    header: HeaderValue,
    /// When to fetch ahead of expiry (expiry minus the margin).
    refresh_at: Option<Instant>,
    generation: u64,
}

#[derive(Default)]
struct Backoff {
    failures: u32,
    until: Option<Instant>,
    last_error: Option<Arc<BoxError>>,
}

/// The token cache, shared by every clone of the layer and its services.
struct Shared<T> {
    source: T,
    current: Mutex<Option<Current>>,
    /// Held while fetching: every caller that needs a new token waits here,
    /// so a burst of refusals causes one fetch.
    fetching: tokio::sync::Mutex<Backoff>,
}

#[derive(Clone, Copy, Debug)]
struct Options {
    margin: Duration,
    max_replay: usize,
    bare_unauthenticated: bool,
    backoff_min: Duration,
    backoff_max: Duration,
}

/// Why a call ended without reaching the server with a token, or why a
/// refresh failed: the source of the returned `Status`.
#[derive(Debug)]
pub struct FetchError {
    error: Arc<BoxError>,
    backing_off: bool,
}

impl fmt::Display for FetchError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.backing_off {
            write!(
                f,
                "token fetch failed recently, backing off: {}",
                self.error
            )
        } else {
            write!(f, "token fetch failed: {}", self.error)
        }
    }
}

impl std::error::Error for FetchError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        Some(self.error.as_ref().as_ref())
    }
}

impl<T: TokenSource> Shared<T> {
    /// The token to send: the current one while it is fresh, else a new one.
    async fn token(&self, options: &Options) -> Result<Current, FetchError> {
        if let Some(current) = self.fresh() {
            return Ok(current);
        }
        let mut backoff = self.fetching.lock().await;
        // Someone may have fetched while we waited.
        if let Some(current) = self.fresh() {
            return Ok(current);
        }
        self.fetch(&mut backoff, options).await
    }

    /// A new token after the server refused generation `stale`; one fetch
    /// for any number of calls refused for the same token.
    async fn refresh(&self, stale: u64, options: &Options) -> Result<Current, FetchError> {
        let mut backoff = self.fetching.lock().await;
        if let Some(current) = self.current()
            && current.generation != stale
        {
            return Ok(current);
        }
        self.fetch(&mut backoff, options).await
    }

    fn current(&self) -> Option<Current> {
        self.current.lock().ok()?.clone()
    }

    fn fresh(&self) -> Option<Current> {
        self.current()
            .filter(|c| c.refresh_at.is_none_or(|at| Instant::now() < at))
    }

    async fn fetch(&self, backoff: &mut Backoff, options: &Options) -> Result<Current, FetchError> {
        if let (Some(until), Some(error)) = (backoff.until, &backoff.last_error)
            && Instant::now() < until
        {
            return Err(FetchError {
                error: error.clone(),
                backing_off: true,
            });
        }
        let fetched = self.source.fetch().await;
        let token = match fetched {
            Ok(token) => token,
            Err(error) => {
                let error = Arc::new(error);
                backoff.failures = backoff.failures.saturating_add(1);
                let factor = 1u32 << backoff.failures.min(16).saturating_sub(1);
                let delay = options
                    .backoff_min
                    .saturating_mul(factor)
                    .min(options.backoff_max);
                backoff.until = Some(Instant::now() + delay);
                backoff.last_error = Some(error.clone());
                return Err(FetchError {
                    error,
                    backing_off: false,
                });
            }
        };
        *backoff = Backoff::default();
        let mut header =
            HeaderValue::try_from(format!("Bearer {}", token.value)).map_err(|_| FetchError {
                error: Arc::new(
                    "the token source returned a token that is not a header value".into(),
                ),
                backing_off: false,
            })?;
        // Never indexed by HPACK (RFC 7541 §7.1.3).
        header.set_sensitive(true);
        let refresh_at = token.expires_at.map(|at| {
            let left = at.duration_since(SystemTime::now()).unwrap_or_default();
            Instant::now() + left.saturating_sub(options.margin)
        });
        let mut current = self.current.lock().map_err(|_| FetchError {
            error: Arc::new("token cache poisoned".into()),
            backing_off: false,
        })?;
        let generation = current.as_ref().map_or(1, |c| c.generation + 1);
        let next = Current {
            header,
            refresh_at,
            generation,
        };
        *current = Some(next.clone());
        Ok(next)
    }
}

/// A tower layer for a tonic `Channel` (or any gRPC HTTP/2 service) that
/// attaches `authorization: Bearer <token>` to every request that has none,
/// and refreshes once and retries once on `TOKEN_EXPIRED`. See the [module
/// docs](crate::client).
pub struct CredentialsLayer<T> {
    shared: Arc<Shared<T>>,
    options: Options,
}

impl<T> Clone for CredentialsLayer<T> {
    fn clone(&self) -> Self {
        CredentialsLayer {
            shared: self.shared.clone(),
            options: self.options,
        }
    }
}

impl<T> fmt::Debug for CredentialsLayer<T> {
    /// Shows the options, never the token.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CredentialsLayer")
            .field("options", &self.options)
            .finish_non_exhaustive()
    }
}

impl<T: TokenSource> CredentialsLayer<T> {
    /// A layer fetching tokens from `source`. Defaults: fetch 60 s ahead of
    /// expiry, replay request bodies up to 64 KiB, back off 1 s doubling to
    /// 60 s after failed fetches, retry only on a rich `TOKEN_EXPIRED`.
    pub fn new(source: T) -> Self {
        CredentialsLayer {
            shared: Arc::new(Shared {
                source,
                current: Mutex::new(None),
                fetching: tokio::sync::Mutex::new(Backoff::default()),
            }),
            options: Options {
                margin: Duration::from_secs(60),
                max_replay: 64 * 1024,
                bare_unauthenticated: false,
                backoff_min: Duration::from_secs(1),
                backoff_max: Duration::from_secs(60),
            },
        }
    }

    /// Fetches a new token this long before the current one expires (when
    /// the token has an expiry).
    #[must_use]
    pub fn refresh_margin(mut self, margin: Duration) -> Self {
        self.options.margin = margin;
        self
    }

    /// Request bodies up to this many bytes, complete when the call is made
    /// (every unary call), are kept to be replayed once; larger or still
    /// streaming bodies pass through and are never replayed.
    #[must_use]
    pub fn max_replay_body(mut self, bytes: usize) -> Self {
        self.options.max_replay = bytes;
        self
    }

    /// Also refresh and retry on a bare `UNAUTHENTICATED` without details,
    /// for peers that do not send the reason. Off by default: without the
    /// reason, a refresh may not help.
    #[must_use]
    pub fn refresh_on_bare_unauthenticated(mut self, enabled: bool) -> Self {
        self.options.bare_unauthenticated = enabled;
        self
    }

    /// After a failed fetch, no new fetch for `min`, doubling per failure up
    /// to `max`, so a down token endpoint is not hammered.
    #[must_use]
    pub fn fetch_backoff(mut self, min: Duration, max: Duration) -> Self {
        self.options.backoff_min = min;
        self.options.backoff_max = max.max(min);
        self
    }
}

impl<S, T> Layer<S> for CredentialsLayer<T> {
    type Service = Credentials<S, T>;

    fn layer(&self, inner: S) -> Self::Service {
        Credentials {
            inner,
            shared: self.shared.clone(),
            options: self.options,
        }
    }
}

/// The service of [`CredentialsLayer`].
pub struct Credentials<S, T> {
    inner: S,
    shared: Arc<Shared<T>>,
    options: Options,
}

impl<S: Clone, T> Clone for Credentials<S, T> {
    fn clone(&self) -> Self {
        Credentials {
            inner: self.inner.clone(),
            shared: self.shared.clone(),
            options: self.options,
        }
    }
}

impl<S: fmt::Debug, T> fmt::Debug for Credentials<S, T> {
    /// Shows the inner service and the options, never the token.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Credentials")
            .field("inner", &self.inner)
            .field("options", &self.options)
            .finish_non_exhaustive()
    }
}

/// The request body, read as far as it was ready when the call was made.
enum Prepared {
    /// Complete and within the bound: can be sent twice.
    Replayable(Bytes),
    /// Streaming or over the bound: the frames read so far, then the rest.
    Streaming(tonic::body::Body),
}

/// Reads the frames `body` has ready now, without waiting.
fn prepare(mut body: tonic::body::Body, max: usize) -> Prepared {
    let mut cx = Context::from_waker(std::task::Waker::noop());
    let mut read = BytesMut::new();
    let mut frames: Vec<Frame<Bytes>> = Vec::new();
    loop {
        if body.is_end_stream() {
            return Prepared::Replayable(read.freeze());
        }
        match Pin::new(&mut body).poll_frame(&mut cx) {
            Poll::Ready(None) => return Prepared::Replayable(read.freeze()),
            Poll::Ready(Some(Ok(frame))) => {
                if let Some(data) = frame.data_ref() {
                    if read.len() + data.len() > max {
                        frames.push(Frame::data(read.split().freeze()));
                        frames.push(frame);
                        return Prepared::Streaming(resume(frames, body));
                    }
                    read.extend_from_slice(data);
                } else {
                    // Request trailers (not used by gRPC): do not replay.
                    frames.push(Frame::data(read.split().freeze()));
                    frames.push(frame);
                    return Prepared::Streaming(resume(frames, body));
                }
            }
            // An error is the body's to report: passed on after what was read.
            Poll::Ready(Some(Err(error))) => {
                frames.push(Frame::data(read.split().freeze()));
                return Prepared::Streaming(tonic::body::Body::new(Resumed {
                    frames: frames.into(),
                    error: Some(error),
                    rest: body,
                }));
            }
            Poll::Pending => {
                frames.push(Frame::data(read.split().freeze()));
                return Prepared::Streaming(resume(frames, body));
            }
        }
    }
}

/// `frames`, then the rest of `body`.
fn resume(frames: Vec<Frame<Bytes>>, body: tonic::body::Body) -> tonic::body::Body {
    tonic::body::Body::new(Resumed {
        frames: frames.into(),
        error: None,
        rest: body,
    })
}

/// A body resumed after `prepare` read its first frames: those frames, then
/// an error it met, if any, then the rest.
struct Resumed {
    frames: std::collections::VecDeque<Frame<Bytes>>,
    error: Option<tonic::Status>,
    rest: tonic::body::Body,
}

impl Body for Resumed {
    type Data = Bytes;
    type Error = tonic::Status;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, Self::Error>>> {
        while let Some(frame) = self.frames.pop_front() {
            if frame.data_ref().is_none_or(|d| !d.is_empty()) {
                return Poll::Ready(Some(Ok(frame)));
            }
        }
        if let Some(error) = self.error.take() {
            return Poll::Ready(Some(Err(error)));
        }
        Pin::new(&mut self.rest).poll_frame(cx)
    }

    fn is_end_stream(&self) -> bool {
        self.frames.is_empty() && self.error.is_none() && self.rest.is_end_stream()
    }
}

/// A trailers-only response that asks for new credentials: the status, and
/// the token it refused.
fn asks_for_refresh(headers: &mut HeaderMap, options: &Options) -> Option<tonic::Status> {
    headers.get("grpc-status")?;
    // The header guard's repair first: tonic panics on invalid base64.
    super::details_guard::sanitize(
        headers,
        super::details_guard::DEFAULT_MAX_DETAILS_HEADER_LEN,
    );
    let status = tonic::Status::from_header_map(headers)?;
    let refresh = match status.auth_error() {
        Some(err) => err.client_action() == ClientAction::RefreshCredentials,
        None => {
            options.bare_unauthenticated
                && status.code() == tonic::Code::Unauthenticated
                && status.details().is_empty()
        }
    };
    refresh.then_some(status)
}

fn rebuild(
    parts: &http::request::Parts,
    token: &Current,
    body: Bytes,
) -> http::Request<tonic::body::Body> {
    let mut req = http::Request::new(tonic::body::Body::new(http_body_util::Full::new(body)));
    *req.method_mut() = parts.method.clone();
    *req.uri_mut() = parts.uri.clone();
    *req.version_mut() = parts.version;
    *req.headers_mut() = parts.headers.clone();
    *req.extensions_mut() = parts.extensions.clone();
    req.headers_mut()
        .insert(header::AUTHORIZATION, token.header.clone());
    req
}

impl<S, T, ResBody> Service<http::Request<tonic::body::Body>> for Credentials<S, T>
where
    S: Service<http::Request<tonic::body::Body>, Response = http::Response<ResBody>>
        + Clone
        + Send
        + 'static,
    S::Future: Send + 'static,
    S::Error: Into<BoxError>,
    T: TokenSource,
    ResBody: Send + 'static,
{
    type Response = http::Response<ResBody>;
    type Error = BoxError;
    type Future = Pin<Box<dyn Future<Output = Result<Self::Response, BoxError>> + Send>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), BoxError>> {
        self.inner.poll_ready(cx).map_err(Into::into)
    }

    fn call(&mut self, req: http::Request<tonic::body::Body>) -> Self::Future {
        // The clone that was driven to readiness serves the first attempt.
        let clone = self.inner.clone();
        let mut inner = std::mem::replace(&mut self.inner, clone);
        let mut spare = self.inner.clone();
        let (shared, options) = (self.shared.clone(), self.options);
        Box::pin(async move {
            // A request that carries its own credentials is left alone.
            if req.headers().contains_key(header::AUTHORIZATION) {
                return inner.call(req).await.map_err(Into::into);
            }
            let token = match shared.token(&options).await {
                Ok(token) => token,
                Err(fetch) => {
                    let mut status =
                        tonic::Status::unauthenticated("no access token could be fetched");
                    status.set_source(Arc::new(fetch));
                    return Err(Box::new(status) as BoxError);
                }
            };
            let (parts, body) = req.into_parts();
            let replay = match prepare(body, options.max_replay) {
                Prepared::Replayable(bytes) => bytes,
                Prepared::Streaming(body) => {
                    let mut req = http::Request::from_parts(parts, body);
                    req.headers_mut()
                        .insert(header::AUTHORIZATION, token.header.clone());
                    return inner.call(req).await.map_err(Into::into);
                }
            };
            let first = rebuild(&parts, &token, replay.clone());
            let mut response = inner.call(first).await.map_err(Into::into)?;
            let Some(refusal) = asks_for_refresh(response.headers_mut(), &options) else {
                return Ok(response);
            };
            let fresh = match shared.refresh(token.generation, &options).await {
                Ok(fresh) => fresh,
                Err(fetch) => {
                    // The server's refusal, with why no retry was made.
                    let mut refusal = refusal;
                    refusal.set_source(Arc::new(fetch));
                    return Err(Box::new(refusal) as BoxError);
                }
            };
            poll_fn(|cx| spare.poll_ready(cx))
                .await
                .map_err(Into::into)?;
            spare
                .call(rebuild(&parts, &fresh, replay))
                .await
                .map_err(Into::into)
        })
    }
}
