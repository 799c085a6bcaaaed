//! [`BearerAuth`], the service, and its future.

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use bytes::Bytes;
use http::header;
use http_body::Body;
use tower_service::Service;

use super::answer::respond;
use super::config::Config;
use super::decide::{Now, decide, decide_now, is_public, record_route, refused};
use super::protocol::{DPOP_NONCE, Protocol};
use crate::server::{BearerAuthBody, Rejection, TokenVerifier};
use crate::{AuthErrorCode, BoxError};

/// The service of [`BearerAuthLayer`](crate::server::BearerAuthLayer). The request body reaches the wrapped
/// service untouched; a refused request's body is drained here, within the
/// bounds of [`BearerAuthBuilder::with_drain`](crate::server::BearerAuthBuilder::with_drain).
pub struct BearerAuth<S, V> {
    pub(super) inner: S,
    pub(super) config: Arc<Config<V>>,
}

service_impls! { BearerAuth<S, V> { config } }

impl<S: fmt::Debug, V> fmt::Debug for BearerAuth<S, V> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("BearerAuth")
            .field("inner", &self.inner)
            .finish_non_exhaustive()
    }
}

/// Generic over the request body: the body is passed through untouched (a
/// refused request's body is drained, bounded), so tonic's, axum's, hyper's
/// or any other body works.
impl<S, V, ReqBody, ResBody> Service<http::Request<ReqBody>> for BearerAuth<S, V>
where
    S: Service<http::Request<ReqBody>, Response = http::Response<ResBody>> + Clone + Send + 'static,
    S::Future: Send + 'static,
    V: TokenVerifier,
    ReqBody: Body<Data = Bytes> + Send + Unpin + 'static,
    ResBody: Body<Data = Bytes> + Send + 'static,
    ResBody::Error: Into<BoxError>,
{
    type Response = http::Response<BearerAuthBody<ResBody>>;
    type Error = S::Error;
    type Future = BearerAuthFuture<S::Future, Self::Response, S::Error>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, mut req: http::Request<ReqBody>) -> Self::Future {
        // Whatever the method or headers (a CORS preflight included: a CORS
        // layer outside this one answers it first), only a public route or a
        // valid token reaches the wrapped service.
        let config = &self.config;
        if is_public(config, req.method(), req.uri().path()) {
            return BearerAuthFuture::inner(self.inner.call(req));
        }
        // No credentials at all: the canned answer, with no allocation for a
        // future.
        let authorization = req.headers().get_all(header::AUTHORIZATION);
        if authorization.iter().next().is_none() {
            refused(
                &config.metrics,
                AuthErrorCode::BearerTokenMissing,
                req.method(),
                req.uri().path(),
                || None,
            );
            let response = config.missing.for_protocol(Protocol::of(&req)).response();
            config.drain.drain_unread(req.into_body());
            return BearerAuthFuture::ready(response.map(BearerAuthBody::refused));
        }
        // One span per verified request, its outcome and reason recorded
        // when known (OpenTelemetry-style names; never the token).
        // Made only when a `tracing` subscriber takes INFO: with none (or
        // with the `log` crate alone), the span is not made at all, so it
        // sends no lifecycle records to `log` either.
        let span = if tracing::level_enabled!(tracing::Level::INFO) {
            tracing::info_span!(
                "auth",
                auth.outcome = tracing::field::Empty,
                auth.reason = tracing::field::Empty,
                auth.route = tracing::field::Empty,
                auth.token_id_hash = tracing::field::Empty
            )
        } else {
            tracing::Span::none()
        };
        // Decided at once (a verifier's cache hit, a malformed header): the
        // request is served or refused with no future allocated. A span no
        // subscriber records is neither entered nor kept.
        let traced = !span.is_disabled();
        let now = {
            let _entered = traced.then(|| span.enter());
            decide_now(
                config,
                authorization,
                req.method(),
                req.uri(),
                req.extensions(),
            )
        };
        let later = match now {
            Now::Later(scheme, start) => (scheme, start),
            Now::Decided(decision) => {
                if let Some(refusal) = settle(config, &span, &mut req, decision) {
                    config.drain.drain_unread(req.into_body());
                    return BearerAuthFuture::ready(refusal.map(BearerAuthBody::refused));
                }
                let nonce = config.dpop_nonce_for(req.headers());
                if !traced {
                    return BearerAuthFuture::served(self.inner.call(req), nonce, None);
                }
                let future = {
                    let _entered = span.enter();
                    self.inner.call(req)
                };
                return BearerAuthFuture::served(future, nonce, Some(span));
            }
        };
        // The clone that was driven to readiness serves this request.
        let clone = self.inner.clone();
        let mut inner = std::mem::replace(&mut self.inner, clone);
        let config = config.clone();
        // The span itself, not `Span::current()`: with no subscriber it is
        // `Span::none()`, and the current span would be another's.
        let recorded = span.clone();
        BearerAuthFuture::verifying(Box::pin(tracing::Instrument::instrument(
            async move {
                let decision = decide(
                    &config,
                    req.headers(),
                    req.method(),
                    req.uri(),
                    req.extensions(),
                    later,
                )
                .await;
                if let Some(refusal) = settle(&config, &recorded, &mut req, decision) {
                    config.drain.drain_unread(req.into_body());
                    return Ok(refusal.map(BearerAuthBody::refused));
                }
                // RFC 9449 §8.2: a served DPoP request learns the nonce for
                // its next proof (only when the layer issues nonces).
                let nonce = config.dpop_nonce_for(req.headers());
                let mut response = inner.call(req).await?;
                if let Some(nonce) = nonce {
                    response.headers_mut().insert(DPOP_NONCE, nonce);
                }
                Ok(response.map(BearerAuthBody::inner))
            },
            span,
        )))
    }
}

/// `decision` applied to `req`: recorded ([`record`]); accepted, its
/// `Verified` put in the request's extensions; refused, the answer to send
/// (the caller drains the request's body).
#[inline(always)]
fn settle<V: TokenVerifier, B>(
    config: &Config<V>,
    span: &tracing::Span,
    req: &mut http::Request<B>,
    decision: Result<crate::server::Verified<V::Claims>, Rejection>,
) -> Option<http::Response<Bytes>> {
    record(config, span, req.method(), req.uri(), &decision);
    match decision {
        Ok(verified) => {
            req.extensions_mut().insert(verified);
            None
        }
        Err(rejection) => Some(respond(config, rejection, Protocol::of(req))),
    }
}

/// The decision in the `auth` span (its outcome, reason, route and token
/// id hash; the route and hash only when the span is recorded) and in the
/// layer's metrics.
#[inline]
fn record<V: TokenVerifier>(
    config: &Config<V>,
    span: &tracing::Span,
    method: &http::Method,
    uri: &http::Uri,
    decision: &Result<crate::server::Verified<V::Claims>, Rejection>,
) {
    match decision {
        Ok(verified) => {
            config.metrics.request(crate::observe::Outcome::Accepted);
            if span.is_disabled() {
                return;
            }
            span.record("auth.outcome", "accepted");
            record_route(config, span, method, uri.path());
            if let Some(id) = verified.token_id() {
                span.record("auth.token_id_hash", token_id_hash(id).as_str());
            }
        }
        Err(Rejection::Auth(err)) => {
            if span.is_disabled() {
                return;
            }
            span.record("auth.outcome", "refused");
            span.record("auth.reason", err.code().as_str_name());
            record_route(config, span, method, uri.path());
            if let Some(id) = err.token_id() {
                span.record("auth.token_id_hash", token_id_hash(id).as_str());
            }
        }
        Err(Rejection::Unavailable(_)) => {
            span.record("auth.outcome", "unavailable");
        }
        Err(Rejection::Fault(_)) => {
            span.record("auth.outcome", "fault");
        }
    }
}

pin_project_lite::pin_project! {
    /// The response future of [`BearerAuth`]: the wrapped service's own
    /// future on a public route, a ready answer to a request without
    /// credentials, or the verification (boxed: it awaits the verifier).
    pub struct BearerAuthFuture<F, R, E> {
        #[pin]
        state: FutureState<F, R, E>,
    }
}

pub(super) type Verifying<R, E> = Pin<Box<dyn Future<Output = Result<R, E>> + Send>>;

pin_project_lite::pin_project! {
    #[project = FutureStateProj]
    enum FutureState<F, R, E> {
        Inner { #[pin] future: F, span: Option<tracing::Span>, nonce: Option<http::HeaderValue> },
        Ready { response: Option<R> },
        Verifying { future: Verifying<R, E> },
    }
}

impl<F, R, E> BearerAuthFuture<F, R, E> {
    /// The wrapped service's future, on a public route.
    pub(super) fn inner(future: F) -> Self {
        BearerAuthFuture {
            state: FutureState::Inner {
                future,
                span: None,
                nonce: None,
            },
        }
    }

    /// The wrapped service's future, for a request decided at once: polled
    /// inside the request's `auth` span, its response given `nonce` (a
    /// `DPoP-Nonce`).
    pub(super) fn served(
        future: F,
        nonce: Option<http::HeaderValue>,
        span: Option<tracing::Span>,
    ) -> Self {
        BearerAuthFuture {
            state: FutureState::Inner {
                future,
                span,
                nonce,
            },
        }
    }

    pub(super) fn ready(response: R) -> Self {
        BearerAuthFuture {
            state: FutureState::Ready {
                response: Some(response),
            },
        }
    }

    pub(super) fn verifying(future: Verifying<R, E>) -> Self {
        BearerAuthFuture {
            state: FutureState::Verifying { future },
        }
    }
}

impl<F, R, E> fmt::Debug for BearerAuthFuture<F, R, E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("BearerAuthFuture").finish_non_exhaustive()
    }
}

impl<F, B, E> Future for BearerAuthFuture<F, http::Response<BearerAuthBody<B>>, E>
where
    F: Future<Output = Result<http::Response<B>, E>>,
{
    type Output = Result<http::Response<BearerAuthBody<B>>, E>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        match self.project().state.project() {
            FutureStateProj::Inner {
                future,
                span,
                nonce,
            } => {
                let _entered = span.as_ref().map(tracing::Span::enter);
                future.poll(cx).map(|result| {
                    result.map(|mut response| {
                        if let Some(nonce) = nonce.take() {
                            response.headers_mut().insert(DPOP_NONCE, nonce);
                        }
                        response.map(BearerAuthBody::inner)
                    })
                })
            }
            // Polled again after it answered: a contract violation of the
            // caller's; answer pending rather than panic.
            FutureStateProj::Ready { response } => match response.take() {
                Some(response) => Poll::Ready(Ok(response)),
                None => Poll::Pending,
            },
            FutureStateProj::Verifying { future } => future.as_mut().poll(cx),
        }
    }
}

/// A short hash of a token id for the `auth` span: 8 hex digits of a
/// SipHash with fixed keys (stable for one build), enough to find one
/// token's requests in traces, never the id itself.
fn token_id_hash(id: &str) -> String {
    use std::hash::{Hash, Hasher};
    let mut hasher = std::hash::DefaultHasher::new();
    id.hash(&mut hasher);
    format!("{:08x}", hasher.finish() >> 32)
}
