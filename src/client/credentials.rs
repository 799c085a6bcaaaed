//! [`CredentialsLayer`]: attaches the bearer token to every call, refreshes
//! it ahead of expiry, and refreshes once and retries once when the server
//! says the token expired (published as [`crate::client`]).

use std::fmt;
use std::future::{Future, poll_fn};
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::{Duration, SystemTime};

// tokio's clock (std's outside tests), so tests can pause and advance it.
use tokio::time::Instant;

use bytes::{Bytes, BytesMut};
use http::{HeaderMap, HeaderValue, header};
use http_body::{Body, Frame};
use tower_layer::Layer;
use tower_service::Service;

use crate::time::saturating_add;
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
    pub fn with_expiry(mut self, at: SystemTime) -> Self {
        self.expires_at = Some(at);
        self
    }

    /// The token expires `lifetime` from now (an OAuth `expires_in`). A
    /// lifetime past what the clock can represent saturates (the token is
    /// then treated as long-lived), never panics.
    #[must_use]
    pub fn with_expires_in(self, lifetime: Duration) -> Self {
        let now = SystemTime::now();
        self.with_expiry(saturating_add(now, lifetime, SystemTime::checked_add))
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
    /// When to fetch ahead of expiry (see [`refresh_at`]).
    refresh_at: Option<Instant>,
    /// When the token expires: until then, a failed early fetch keeps it.
    expires_at: Option<Instant>,
    generation: u64,
}

/// When to fetch ahead of an expiry `left` from `now`: `margin` before it,
/// but never earlier than half of what is left, so a token whose lifetime is
/// shorter than the margin is not fetched again on every call.
fn refresh_at(now: Instant, left: Duration, margin: Duration) -> Instant {
    let ahead = left.saturating_sub(margin).max(left / 2);
    saturating_add(now, ahead, Instant::checked_add)
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

#[derive(Clone, Debug)]
struct Options {
    /// The channel's endpoint, for requests whose URI has no scheme (tonic's
    /// `Channel` adds it below this layer).
    endpoint: Option<http::Uri>,
    allow_plaintext: bool,
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

/// Why [`CredentialsLayer`] did not send a token: the connection would not
/// protect it. The source of the `FAILED_PRECONDITION` status the call
/// returns.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum InsecureTransport {
    /// The request URI has no scheme (a tonic `Channel`) and no endpoint
    /// was declared with [`CredentialsLayer::with_endpoint`].
    UnknownEndpoint,
    /// The endpoint is plaintext (`http://`, or a scheme other than
    /// `https`) and not a loopback address.
    #[non_exhaustive]
    Plaintext {
        /// The endpoint's scheme.
        scheme: String,
        /// The endpoint's host.
        host: String,
    },
}

impl fmt::Display for InsecureTransport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            InsecureTransport::UnknownEndpoint => f.write_str(
                "bearer token not sent: the layer does not know where the call goes; \
                 declare the channel's endpoint with CredentialsLayer::with_endpoint",
            ),
            InsecureTransport::Plaintext { scheme, host } => write!(
                f,
                "bearer token not sent over plaintext {}:// to {}: use https, or opt in with CredentialsLayer::with_plaintext_allowed",
                scheme.escape_debug(),
                host.escape_debug()
            ),
        }
    }
}

impl std::error::Error for InsecureTransport {}

/// Whether `host` (as in a URI, IPv6 in brackets) is a loopback address.
fn is_loopback(host: &str) -> bool {
    let host = host.trim_start_matches('[').trim_end_matches(']');
    host.eq_ignore_ascii_case("localhost")
        || host
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback())
}

/// Whether a token may go where `uri` (or, for a path-only URI, the declared
/// endpoint) points.
fn check_transport(uri: &http::Uri, options: &Options) -> Result<(), InsecureTransport> {
    let target = match (uri.scheme(), &options.endpoint) {
        (Some(_), _) => uri,
        (None, Some(endpoint)) => endpoint,
        (None, None) if options.allow_plaintext => return Ok(()),
        (None, None) => return Err(InsecureTransport::UnknownEndpoint),
    };
    let scheme = target.scheme_str().unwrap_or_default();
    let host = target.host().unwrap_or_default();
    if scheme.eq_ignore_ascii_case("https")
        || options.allow_plaintext
        || (scheme.eq_ignore_ascii_case("http") && is_loopback(host))
    {
        return Ok(());
    }
    Err(InsecureTransport::Plaintext {
        scheme: scheme.to_owned(),
        host: host.to_owned(),
    })
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
        match self.fetch(&mut backoff, options).await {
            Ok(current) => Ok(current),
            // An early refresh failed: the token in hand is still valid, so
            // the call goes out with it (the next call tries again, backoff
            // permitting).
            Err(error) => self.unexpired().ok_or(error),
        }
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

    fn unexpired(&self) -> Option<Current> {
        self.current()
            .filter(|c| c.expires_at.is_none_or(|at| Instant::now() < at))
    }

    fn fresh(&self) -> Option<Current> {
        self.current()
            .filter(|c| c.refresh_at.is_none_or(|at| Instant::now() < at))
    }

    /// Records a failed fetch: the next one waits `backoff_min`, doubling.
    fn failed(&self, backoff: &mut Backoff, options: &Options, error: BoxError) -> FetchError {
        let error = Arc::new(error);
        backoff.failures = backoff.failures.saturating_add(1);
        let factor = 1u32 << backoff.failures.min(16).saturating_sub(1);
        let delay = options
            .backoff_min
            .saturating_mul(factor)
            .min(options.backoff_max);
        backoff.until = Some(saturating_add(Instant::now(), delay, Instant::checked_add));
        backoff.last_error = Some(error.clone());
        FetchError {
            error,
            backing_off: false,
        }
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
        let token = match self.source.fetch().await {
            Ok(token) => token,
            Err(error) => return Err(self.failed(backoff, options, error)),
        };
        // A token read from a file often ends in a newline: trimmed. What is
        // still not a b64token counts as a failed fetch (backed off), so a
        // bad token is reported, not fetched again on every call.
        let value = token.value.trim_matches(|c: char| c.is_ascii_whitespace());
        let header = (!value.is_empty()
            && value.bytes().all(|b| {
                b.is_ascii_alphanumeric()
                    || matches!(b, b'-' | b'.' | b'_' | b'~' | b'+' | b'/' | b'=')
            }))
        .then(|| HeaderValue::try_from(format!("Bearer {value}")).ok())
        .flatten();
        let Some(mut header) = header else {
            let error: BoxError =
                "the token source returned a token that is empty or not a b64token (RFC 6750)"
                    .into();
            return Err(self.failed(backoff, options, error));
        };
        *backoff = Backoff::default();
        // Never indexed by HPACK (RFC 7541 §7.1.3).
        header.set_sensitive(true);
        let now = Instant::now();
        let left = token
            .expires_at
            .map(|at| at.duration_since(SystemTime::now()).unwrap_or_default());
        let refresh_at = left.map(|left| refresh_at(now, left, options.margin));
        let expires_at = left.map(|left| saturating_add(now, left, Instant::checked_add));
        let mut current = self.current.lock().map_err(|_| FetchError {
            error: Arc::new("token cache poisoned".into()),
            backing_off: false,
        })?;
        let generation = current.as_ref().map_or(1, |c| c.generation + 1);
        let next = Current {
            header,
            refresh_at,
            expires_at,
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
    options: Arc<Options>,
}

impl<T> Clone for CredentialsLayer<T> {
    fn clone(&self) -> Self {
        CredentialsLayer {
            shared: self.shared.clone(),
            options: self.options.clone(),
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
            options: Arc::new(Options {
                endpoint: None,
                allow_plaintext: false,
                margin: Duration::from_secs(60),
                max_replay: 64 * 1024,
                bare_unauthenticated: false,
                backoff_min: Duration::from_secs(1),
                backoff_max: Duration::from_secs(60),
            }),
        }
    }

    /// The builder methods change this layer only.
    fn options_mut(&mut self) -> &mut Options {
        Arc::make_mut(&mut self.options)
    }

    /// The endpoint the wrapped channel connects to (`Endpoint::uri()`).
    /// A tonic `Channel` receives path-only request URIs and adds its
    /// endpoint below this layer, so the layer must be told where calls go
    /// to refuse sending a token in plaintext: without it (and without an
    /// absolute request URI) every call fails with `FAILED_PRECONDITION`.
    #[must_use]
    pub fn with_endpoint(mut self, endpoint: http::Uri) -> Self {
        self.options_mut().endpoint = Some(endpoint);
        self
    }

    /// Sends tokens over plaintext `http://` to hosts other than loopback
    /// (a private network you trust, a TLS-terminating sidecar). Off by
    /// default, as grpc-go's `RequireTransportSecurity`: a bearer token on an
    /// unencrypted connection can be read and replayed by anyone on the path.
    #[must_use]
    pub fn with_plaintext_allowed(mut self, allow: bool) -> Self {
        self.options_mut().allow_plaintext = allow;
        self
    }

    /// Fetches a new token this long before the current one expires (when
    /// the token has an expiry).
    #[must_use]
    pub fn with_refresh_margin(mut self, margin: Duration) -> Self {
        self.options_mut().margin = margin;
        self
    }

    /// Request bodies up to this many bytes, complete when the call is made
    /// (every unary call), are kept to be replayed once; larger or still
    /// streaming bodies pass through and are never replayed.
    #[must_use]
    pub fn with_max_replay_body(mut self, bytes: usize) -> Self {
        self.options_mut().max_replay = bytes;
        self
    }

    /// Also refresh and retry on a bare `UNAUTHENTICATED` without details,
    /// for peers that do not send the reason. Off by default: without the
    /// reason, a refresh may not help.
    #[must_use]
    pub fn with_refresh_on_bare_unauthenticated(mut self, enabled: bool) -> Self {
        self.options_mut().bare_unauthenticated = enabled;
        self
    }

    /// After a failed fetch, no new fetch for `min`, doubling per failure up
    /// to `max`, so a down token endpoint is not hammered.
    #[must_use]
    pub fn with_fetch_backoff(mut self, min: Duration, max: Duration) -> Self {
        let options = self.options_mut();
        options.backoff_min = min;
        options.backoff_max = max.max(min);
        self
    }
}

impl<S, T> Layer<S> for CredentialsLayer<T> {
    type Service = Credentials<S, T>;

    fn layer(&self, inner: S) -> Self::Service {
        Credentials {
            inner,
            shared: self.shared.clone(),
            options: self.options.clone(),
        }
    }
}

/// The service of [`CredentialsLayer`].
pub struct Credentials<S, T> {
    inner: S,
    shared: Arc<Shared<T>>,
    options: Arc<Options>,
}

service_impls!(Credentials<S, T> { shared, options });

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
    crate::guard::sanitize(headers, crate::guard::DEFAULT_MAX_DETAILS_HEADER_LEN);
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

/// Generic over the request body: any body of `Bytes` is accepted and handed
/// to the inner service as a [`tonic::body::Body`] (what tonic's `Channel`
/// takes; a tonic body is passed on as it is, not boxed again), so a replay
/// can be rebuilt from the frames read.
impl<S, T, ReqBody, ResBody> Service<http::Request<ReqBody>> for Credentials<S, T>
where
    S: Service<http::Request<tonic::body::Body>, Response = http::Response<ResBody>>
        + Clone
        + Send
        + 'static,
    S::Future: Send + 'static,
    S::Error: Into<BoxError>,
    T: TokenSource,
    ReqBody: Body<Data = Bytes> + Send + 'static,
    ReqBody::Error: Into<BoxError>,
    ResBody: Send + 'static,
{
    type Response = http::Response<ResBody>;
    type Error = BoxError;
    type Future = Pin<Box<dyn Future<Output = Result<Self::Response, BoxError>> + Send>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), BoxError>> {
        self.inner.poll_ready(cx).map_err(Into::into)
    }

    fn call(&mut self, req: http::Request<ReqBody>) -> Self::Future {
        let req = req.map(tonic::body::Body::new);
        // The clone that was driven to readiness serves the first attempt.
        let clone = self.inner.clone();
        let mut inner = std::mem::replace(&mut self.inner, clone);
        let mut spare = self.inner.clone();
        let (shared, options) = (self.shared.clone(), self.options.clone());
        Box::pin(async move {
            // A request that carries its own credentials is left alone.
            if req.headers().contains_key(header::AUTHORIZATION) {
                return inner.call(req).await.map_err(Into::into);
            }
            if let Err(refused) = check_transport(req.uri(), &options) {
                let mut status = tonic::Status::failed_precondition(refused.to_string());
                status.set_source(Arc::new(refused));
                return Err(Box::new(status) as BoxError);
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
