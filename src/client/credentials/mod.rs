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

mod cache;
mod replay;
mod token;
mod transport;

use cache::Shared;
use replay::{Prepared, prepare};
pub use token::{AccessToken, FetchError};
use token::{Backoff, Current, refresh_at};
pub use transport::InsecureTransport;
use transport::check_transport;

pub use crate::BoxError;

/// Where tokens come from: an OAuth client-credentials or refresh-token
/// exchange, a metadata server, a file a sidecar rotates.
pub trait TokenSource: Send + Sync + 'static {
    /// A fresh token (called at first use, ahead of expiry, and after the
    /// server said the current one expired).
    fn fetch(&self) -> impl Future<Output = Result<AccessToken, BoxError>> + Send;
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

impl<T> CredentialsLayer<T> {
    /// The default bound on a request body kept to be replayed once.
    pub const DEFAULT_MAX_BYTES: usize = 64 * 1024;
}

impl<T: TokenSource> CredentialsLayer<T> {
    /// A layer fetching tokens from `source`. Defaults: fetch 60 s ahead of
    /// expiry, replay request bodies up to
    /// [`DEFAULT_MAX_BYTES`](Self::DEFAULT_MAX_BYTES), back off 1 s doubling
    /// to 60 s after failed fetches, retry only on a rich `TOKEN_EXPIRED`.
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
                max_replay: Self::DEFAULT_MAX_BYTES,
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

    /// Request bodies up to `bytes`, complete when the call is made (every
    /// unary call), are kept to be replayed once; larger or still streaming
    /// bodies pass through and are never replayed. Default
    /// [`DEFAULT_MAX_BYTES`](Self::DEFAULT_MAX_BYTES).
    #[must_use]
    pub fn with_max_bytes(mut self, bytes: usize) -> Self {
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

impl<S, T: TokenSource> Credentials<S, T> {
    /// `inner` with tokens from `source`, at the defaults of
    /// [`CredentialsLayer::new`].
    pub fn new(inner: S, source: T) -> Self {
        CredentialsLayer::new(source).layer(inner)
    }
}

// On `()` so that `Credentials::layer(source)` needs no type annotation.
impl<T: TokenSource> Credentials<(), T> {
    /// The layer of this service (tower-http's `X::layer(..)`).
    pub fn layer(source: T) -> CredentialsLayer<T> {
        CredentialsLayer::new(source)
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

/// A trailers-only response that asks for new credentials: the status, and
/// the token it refused.
fn asks_for_refresh(headers: &mut HeaderMap, options: &Options) -> Option<tonic::Status> {
    headers.get("grpc-status")?;
    // The header guard's repair first: tonic panics on invalid base64.
    crate::guard::sanitize(
        headers,
        crate::guard::StatusDetailsGuardLayer::DEFAULT_MAX_BYTES,
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
