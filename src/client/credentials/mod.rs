//! [`CredentialsLayer`]: attaches the bearer token to every call, refreshes
//! it ahead of expiry, and refreshes once and retries once when the server
//! says the token expired (published as [`crate::client`]).

use std::fmt;
use std::future::{Future, poll_fn};
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::Duration;

use bytes::Bytes;
use http::{HeaderMap, header};
use http_body::Body;
use tower_layer::Layer;
use tower_service::Service;

use crate::{AuthStatusExt, ClientAction};

mod cache;
mod options;
mod replay;
mod token;
mod transport;

use cache::TokenCache;
use options::Options;
use replay::{Prepared, prepare};
pub use token::{AccessToken, FetchError};
use token::{Backoff, CurrentToken};
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

/// A tower layer for a tonic `Channel` (or any gRPC HTTP/2 service) that
/// attaches `authorization: Bearer <token>` to every request that has none,
/// and refreshes once and retries once on `TOKEN_EXPIRED`. See the [module
/// docs](crate::client).
pub struct CredentialsLayer<T> {
    shared: Arc<TokenCache<T>>,
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
            shared: Arc::new(TokenCache {
                source,
                current: Mutex::new(None),
                fetching: tokio::sync::Mutex::new(Backoff::default()),
                nonce: Mutex::new(None),
            }),
            options: Arc::new(Options {
                endpoint: None,
                allow_plaintext: false,
                margin: Duration::from_secs(60),
                max_replay: Self::DEFAULT_MAX_BYTES,
                bare_unauthenticated: false,
                backoff_min: Duration::from_secs(1),
                backoff_max: Duration::from_secs(60),
                #[cfg(feature = "sender-constrained")]
                dpop: None,
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

    /// Sender-constrained tokens (RFC 9449): every call carries
    /// `Authorization: DPoP <token>` and a fresh proof signed with `key`
    /// (`htm` the method, `htu` the endpoint and the path, `iat`, a random
    /// `jti`, `ath` the token's hash). On `DPOP_NONCE_REQUIRED` the call is
    /// retried once with the server's nonce, and the nonce a server sends
    /// (`DPoP-Nonce`) goes into the next proofs: this layer talks to one
    /// server, so it keeps one nonce. The token source should issue tokens
    /// bound to `key` (`ClientCredentials::with_dpop`, feature `oidc`).
    /// As with a refresh, a call whose body is still streaming is not
    /// retried: it fails with the server's reason.
    #[cfg(feature = "sender-constrained")]
    #[must_use]
    pub fn with_dpop(mut self, key: crate::client::DpopKey) -> Self {
        self.options_mut().dpop = Some(key);
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
    shared: Arc<TokenCache<T>>,
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

/// What a trailers-only refusal asks the client to do once more.
enum Retry {
    /// Refresh the token and retry (`TOKEN_EXPIRED`): the server's status.
    Refresh(tonic::Status),
    /// Retry with the server's DPoP nonce (`DPOP_NONCE_REQUIRED`).
    Nonce,
}

/// A trailers-only response that asks for new credentials (the status, and
/// the token it refused) or, with DPoP, for a proof with the server's nonce.
fn asks_for_retry(headers: &mut HeaderMap, options: &Options) -> Option<Retry> {
    headers.get("grpc-status")?;
    // The header guard's repair first: tonic panics on invalid base64.
    crate::guard::sanitize(
        headers,
        crate::guard::StatusDetailsGuardLayer::DEFAULT_MAX_BYTES,
    );
    let status = tonic::Status::from_header_map(headers)?;
    let refresh = match status.auth_error() {
        Some(err) if err.client_action() == ClientAction::RetryWithNonce => {
            return options.scheme().eq("DPoP").then_some(Retry::Nonce);
        }
        Some(err) => err.client_action() == ClientAction::RefreshCredentials,
        None => {
            options.bare_unauthenticated
                && status.code() == tonic::Code::Unauthenticated
                && status.details().is_empty()
        }
    };
    refresh.then_some(Retry::Refresh(status))
}

/// With DPoP, the request's proof: for its method and URL (the endpoint's
/// scheme and authority when the URI is a path, as tonic's `Channel`
/// sends it), the token's hash and the server's last nonce; and the nonce
/// a response brings is kept for the next proofs.
#[cfg(feature = "sender-constrained")]
mod proof {
    use http::HeaderValue;

    use super::*;

    pub(super) fn sign<T>(
        req: &mut http::Request<tonic::body::Body>,
        token: &CurrentToken,
        options: &Options,
        shared: &TokenCache<T>,
    ) -> Result<(), BoxError> {
        let Some(key) = &options.dpop else {
            return Ok(());
        };
        let uri = req.uri();
        let base = match (uri.scheme(), uri.authority(), &options.endpoint) {
            (Some(scheme), Some(authority), _) => format!("{scheme}://{authority}"),
            (_, _, Some(endpoint)) => match (endpoint.scheme(), endpoint.authority()) {
                (Some(scheme), Some(authority)) => format!("{scheme}://{authority}"),
                _ => {
                    return Err(
                        "DPoP needs the endpoint's scheme and authority (with_endpoint)".into(),
                    );
                }
            },
            _ => {
                return Err(
                    "DPoP needs the endpoint (with_endpoint) to sign the request's URL".into(),
                );
            }
        };
        let htu = format!("{base}{}", uri.path());
        let nonce = shared.nonce.lock().ok().and_then(|n| n.clone());
        let proof = key
            .proof_with_ath(
                req.method().as_str(),
                &htu,
                token.ath.as_deref(),
                nonce.as_deref(),
            )
            .map_err(|e| -> BoxError { Box::new(e) })?;
        let mut value = HeaderValue::try_from(proof).map_err(|e| -> BoxError { Box::new(e) })?;
        value.set_sensitive(true);
        req.headers_mut().insert("dpop", value);
        Ok(())
    }

    /// Keeps the nonce of a response (RFC 9449 §8.2), if any.
    pub(super) fn learn<T>(headers: &HeaderMap, shared: &TokenCache<T>) {
        if let Some(nonce) = headers.get("dpop-nonce").and_then(|v| v.to_str().ok())
            && nonce.len() <= 1024
            && let Ok(mut kept) = shared.nonce.lock()
        {
            *kept = Some(nonce.to_owned());
        }
    }
}

#[cfg(not(feature = "sender-constrained"))]
mod proof {
    use super::*;

    pub(super) fn sign<T>(
        _: &mut http::Request<tonic::body::Body>,
        _: &CurrentToken,
        _: &Options,
        _: &TokenCache<T>,
    ) -> Result<(), BoxError> {
        Ok(())
    }

    pub(super) fn learn<T>(_: &HeaderMap, _: &TokenCache<T>) {}
}

fn rebuild(
    parts: &http::request::Parts,
    token: &CurrentToken,
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
                    proof::sign(&mut req, &token, &options, &shared)?;
                    let response = inner.call(req).await.map_err(Into::into)?;
                    proof::learn(response.headers(), &shared);
                    return Ok(response);
                }
            };
            let mut first = rebuild(&parts, &token, replay.clone());
            proof::sign(&mut first, &token, &options, &shared)?;
            let mut response = inner.call(first).await.map_err(Into::into)?;
            proof::learn(response.headers(), &shared);
            let retry = match asks_for_retry(response.headers_mut(), &options) {
                None => return Ok(response),
                // The same token, a new proof with the nonce just learnt.
                Some(Retry::Nonce) => token,
                Some(Retry::Refresh(refusal)) => {
                    match shared.refresh(token.generation, &options).await {
                        Ok(fresh) => fresh,
                        Err(fetch) => {
                            // The server's refusal, with why no retry was made.
                            let mut refusal = refusal;
                            refusal.set_source(Arc::new(fetch));
                            return Err(Box::new(refusal) as BoxError);
                        }
                    }
                }
            };
            poll_fn(|cx| spare.poll_ready(cx))
                .await
                .map_err(Into::into)?;
            let mut again = rebuild(&parts, &retry, replay);
            proof::sign(&mut again, &retry, &options, &shared)?;
            let response = spare.call(again).await.map_err(Into::into)?;
            proof::learn(response.headers(), &shared);
            Ok(response)
        })
    }
}
