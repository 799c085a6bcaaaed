//! [`BearerAuthLayer`]: verifies the bearer token of every request in one
//! async tower layer and rejects with the right reason.

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::{Duration, SystemTime};

use bytes::Bytes;
use http::{HeaderMap, header};
use http_body::Body;
use tower_layer::Layer;
use tower_service::Service;

use super::drain::{DrainRejected, DrainRejectedLayer};
use crate::{AuthError, AuthErrorCode};

type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// What a [`TokenVerifier`] accepted: the verified claims and the scopes the
/// token grants. [`BearerAuthLayer`] puts it in the request's extensions,
/// where a tonic handler reads it:
/// `request.extensions().get::<Verified<MyClaims>>()`.
#[derive(Clone, Debug)]
pub struct Verified<C> {
    claims: C,
    scopes: Vec<String>,
    acr: Option<String>,
    auth_time: Option<SystemTime>,
}

impl<C> Verified<C> {
    /// Verified `claims` granting `scopes`.
    pub fn new(claims: C, scopes: Vec<String>) -> Self {
        Verified {
            claims,
            scopes,
            acr: None,
            auth_time: None,
        }
    }

    /// With the authentication context class the user authenticated with
    /// (the token's `acr` claim), checked by
    /// [`BearerAuthBuilder::add_required_acr`].
    #[must_use]
    pub fn with_acr(mut self, acr: impl Into<String>) -> Self {
        self.acr = Some(acr.into());
        self
    }

    /// With when the user authenticated (the token's `auth_time` claim),
    /// checked by [`BearerAuthBuilder::add_max_auth_age`].
    #[must_use]
    pub fn with_auth_time(mut self, auth_time: SystemTime) -> Self {
        self.auth_time = Some(auth_time);
        self
    }

    /// The verified claims.
    pub fn claims(&self) -> &C {
        &self.claims
    }

    /// The scopes the token grants.
    pub fn scopes(&self) -> &[String] {
        &self.scopes
    }

    /// Whether the token grants `scope`.
    pub fn has_scope(&self, scope: &str) -> bool {
        self.scopes.iter().any(|s| s == scope)
    }

    /// The token's `acr` (authentication context class reference), if any.
    pub fn acr(&self) -> Option<&str> {
        self.acr.as_deref()
    }

    /// The token's `auth_time` (when the user authenticated), if any.
    pub fn auth_time(&self) -> Option<SystemTime> {
        self.auth_time
    }
}

/// Why a [`TokenVerifier`] did not accept a token.
#[derive(Debug)]
#[non_exhaustive]
pub enum Rejection {
    /// The client's credentials are at fault: sent to the client with its
    /// reason.
    Auth(AuthError),
    /// The server is at fault (bad key configuration, a store that is down):
    /// `INTERNAL` / 500 with no auth reason, and reported to the fault hook.
    Fault(BoxError),
    /// The credentials cannot be checked right now (the identity provider
    /// cannot be reached and no key is held): `UNAVAILABLE` / 503 with
    /// `Retry-After`, no auth reason (the client's token may be fine), and
    /// reported to the fault hook. Clients retry; nobody is sent to log in.
    Unavailable(BoxError),
}

impl Rejection {
    /// [`Rejection::Unavailable`] saying when to try again (`Retry-After`
    /// on HTTP, a `google.rpc.RetryInfo` on gRPC; 5 s without one): the key
    /// set may be newer than the keys held, a provider backs off.
    ///
    /// ```
    /// use auth_error::server::Rejection;
    /// use std::time::Duration;
    /// let r = Rejection::unavailable_for("key set cooling down", Duration::from_secs(12));
    /// assert_eq!(r.retry_after(), Some(Duration::from_secs(12)));
    /// assert!(matches!(r, Rejection::Unavailable(_)));
    /// ```
    pub fn unavailable_for(err: impl Into<BoxError>, retry_after: Duration) -> Self {
        Rejection::Unavailable(Box::new(RetryAfter {
            delay: retry_after,
            source: err.into(),
        }))
    }

    /// The retry delay of a [`Rejection::Unavailable`] made by
    /// [`unavailable_for`](Self::unavailable_for).
    pub fn retry_after(&self) -> Option<Duration> {
        match self {
            Rejection::Unavailable(err) => retry_after_of(err.as_ref()),
            _ => None,
        }
    }
}

/// The cause of [`Rejection::unavailable_for`]: the error, and when to retry.
#[derive(Debug)]
struct RetryAfter {
    delay: Duration,
    source: BoxError,
}

impl fmt::Display for RetryAfter {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} (retry in {} s)", self.source, self.delay.as_secs())
    }
}

impl std::error::Error for RetryAfter {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        Some(self.source.as_ref())
    }
}

fn retry_after_of(err: &(dyn std::error::Error + Send + Sync + 'static)) -> Option<Duration> {
    err.downcast_ref::<RetryAfter>().map(|r| r.delay)
}

impl From<AuthError> for Rejection {
    fn from(err: AuthError) -> Self {
        Rejection::Auth(err)
    }
}

impl fmt::Display for Rejection {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Rejection::Auth(err) => write!(f, "rejected: {err}"),
            Rejection::Fault(err) => write!(f, "server fault while verifying: {err}"),
            Rejection::Unavailable(err) => write!(f, "cannot verify right now: {err}"),
        }
    }
}

impl std::error::Error for Rejection {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Rejection::Auth(err) => Some(err),
            Rejection::Fault(err) | Rejection::Unavailable(err) => Some(err.as_ref()),
        }
    }
}

/// Verifies a bearer token, asynchronously (so a revocation list, a session
/// store or an account lookup can live here, unlike in a tonic interceptor).
///
/// ```
/// use auth_error::server::{Rejection, TokenVerifier, Verified};
/// use auth_error::{AuthError, AuthErrorCode};
///
/// struct Static;
/// impl TokenVerifier for Static {
///     type Claims = String;
///     async fn verify(&self, token: &str) -> Result<Verified<String>, Rejection> {
///         match token {
///             "good" => Ok(Verified::new("alice".into(), vec!["orders.read".into()])),
///             _ => Err(AuthError::new(AuthErrorCode::AuthFailedInvalidBearerToken).into()),
///         }
///     }
/// }
/// ```
pub trait TokenVerifier: Send + Sync + 'static {
    /// The verified claims put in the request's extensions.
    type Claims: Clone + Send + Sync + 'static;

    /// Verifies `token` (the credential after `Bearer `).
    fn verify(
        &self,
        token: &str,
    ) -> impl Future<Output = Result<Verified<Self::Claims>, Rejection>> + Send;

    /// A configuration error that would make every verification a server
    /// fault (a key no allowed algorithm can use): checked once by
    /// [`BearerAuthBuilder::build`], so a broken server refuses to start
    /// instead of answering every client with an error. `Ok` by default.
    fn check(&self) -> Result<(), BoxError> {
        Ok(())
    }

    /// The issuer `token` claims (unverified), for the `tracing` event of a
    /// rejection; `None` by default. Never the token itself.
    fn token_issuer(&self, token: &str) -> Option<String> {
        let _ = token;
        None
    }
}

type FaultHook = Arc<dyn Fn(&(dyn std::error::Error + 'static)) + Send + Sync>;

/// Which requests a rule of [`BearerAuthBuilder`] covers: a path, as a
/// prefix or exact, and optionally one HTTP method.
///
/// A string is a **prefix on segment boundaries**: `"/orders"` covers
/// `/orders` and everything under `/orders/`, never `/orders-archive`. So a
/// gRPC service name covers its methods whichever way it is written
/// (`"pkg.Svc"`, `"/pkg.Svc"`, `"/pkg.Svc/"`), and `"/pkg.Svc/Method"` one
/// method. An exact path is spelled [`Route::exact`].
///
/// ```
/// use auth_error::server::Route;
/// let service = Route::from("orders.v1.Orders");
/// assert!(service.covers(&http::Method::POST, "/orders.v1.Orders/Get"));
/// assert!(!service.covers(&http::Method::POST, "/orders.v1.OrdersAdmin/Get"));
///
/// let delete = Route::from("/orders").with_method(http::Method::DELETE);
/// assert!(delete.covers(&http::Method::DELETE, "/orders/42"));
/// assert!(!delete.covers(&http::Method::GET, "/orders/42"));
///
/// let health = Route::exact("/healthz");
/// assert!(!health.covers(&http::Method::GET, "/healthz/x"));
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Route {
    /// Starts with `/`; a prefix has no trailing `/` (but may be `/`).
    path: String,
    exact: bool,
    method: Option<http::Method>,
}

impl Route {
    /// `path` and everything under it (`path/…`). A leading `/` is added
    /// when missing, a trailing one removed.
    pub fn prefix(path: impl Into<String>) -> Self {
        let mut path = path.into();
        if !path.starts_with('/') {
            path.insert(0, '/');
        }
        while path.len() > 1 && path.ends_with('/') {
            path.pop();
        }
        Route {
            path,
            exact: false,
            method: None,
        }
    }

    /// Exactly `path`, nothing under it.
    pub fn exact(path: impl Into<String>) -> Self {
        Route {
            path: path.into(),
            exact: true,
            method: None,
        }
    }

    /// Only requests with `method` (HTTP rules: GET and DELETE on one path).
    /// A `GET` route covers `HEAD` too: servers answer `HEAD` with the `GET`
    /// handler (axum does), so a `GET` rule it skipped would leak the
    /// handler's headers.
    #[must_use]
    pub fn with_method(mut self, method: http::Method) -> Self {
        self.method = Some(method);
        self
    }

    /// Whether a request with `method` on `path` is covered.
    pub fn covers(&self, method: &http::Method, path: &str) -> bool {
        self.covers_method(method) && self.covers_path(path)
    }

    fn covers_method(&self, method: &http::Method) -> bool {
        self.method.as_ref().is_none_or(|m| {
            m == method || (*m == http::Method::GET && method == http::Method::HEAD)
        })
    }

    fn covers_path(&self, path: &str) -> bool {
        if self.exact || self.path == "/" {
            return if self.exact {
                path == self.path
            } else {
                path.starts_with('/')
            };
        }
        path.strip_prefix(self.path.as_str())
            .is_some_and(|rest| rest.is_empty() || rest.starts_with('/'))
    }

    /// Whether every request this route covers, `outer` covers too.
    fn within(&self, outer: &Route) -> bool {
        let methods = match &self.method {
            None => outer.method.is_none(),
            Some(m) => outer.covers_method(m),
        };
        let paths = if self.exact {
            outer.covers_path(&self.path)
        } else {
            !outer.exact && outer.covers_path(&self.path)
        };
        methods && paths
    }

    /// Why this route can only be a mistake, if it can.
    fn problem(&self) -> Option<&'static str> {
        if !self.path.starts_with('/') {
            return Some("a request path starts with `/`");
        }
        if self.path.contains("//") {
            return Some("an empty path segment (`//`)");
        }
        if self
            .path
            .chars()
            .any(|c| matches!(c, '?' | '#' | '*') || c.is_whitespace() || c.is_control())
        {
            return Some(
                "`?`, `#`, `*`, whitespace or control characters never match a request path (no globs, no queries)",
            );
        }
        None
    }
}

impl From<&str> for Route {
    /// [`Route::prefix`].
    fn from(path: &str) -> Self {
        Route::prefix(path)
    }
}

impl From<String> for Route {
    /// [`Route::prefix`].
    fn from(path: String) -> Self {
        Route::prefix(path)
    }
}

impl fmt::Display for Route {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(method) = &self.method {
            write!(f, "{method} ")?;
        }
        let kind = if self.exact { "exactly" } else { "under" };
        write!(f, "{kind} {}", self.path.escape_debug())
    }
}

/// Why [`BearerAuthBuilder::build`] refused a configuration: each can only
/// be a mistake.
#[derive(Debug)]
#[non_exhaustive]
pub enum ConfigError {
    /// A route that no request path can match.
    #[non_exhaustive]
    InvalidRoute {
        /// The route.
        route: Route,
        /// Why it never matches.
        why: &'static str,
    },
    /// `add_public_route` on every path (`/` as a prefix): the layer
    /// would check nothing.
    EverythingPublic,
    /// Scopes required on a route that an `add_public_route` route
    /// covers entirely: they would never be checked.
    #[non_exhaustive]
    ScopesNeverChecked {
        /// The scoped route.
        scoped: Route,
        /// The public route that covers it.
        public: Route,
    },
    /// A step-up rule ([`BearerAuthBuilder::add_required_acr`],
    /// [`BearerAuthBuilder::add_max_auth_age`]) on a route that a public
    /// route covers entirely: it would never be checked.
    #[non_exhaustive]
    StepUpNeverChecked {
        /// The route of the step-up rule.
        rule: Route,
        /// The public route that covers it.
        public: Route,
    },
    /// [`BearerAuthBuilder::add_required_acr`] with no value, or a value
    /// that cannot travel in a challenge (empty, whitespace, `"` or `\`).
    #[non_exhaustive]
    InvalidAcrValues {
        /// The route of the rule.
        route: Route,
    },
    /// [`BearerAuthBuilder::with_resource_metadata`] with something other
    /// than an absolute `https` URL of visible ASCII without `"` and `\`.
    InvalidResourceMetadata,
    /// The verifier's own check ([`TokenVerifier::check`]) failed.
    Verifier(BoxError),
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ConfigError::InvalidRoute { route, why } => {
                write!(f, "route {route} can never match: {why}")
            }
            ConfigError::EverythingPublic => f.write_str(
                "add_public_route(\"/\") makes every path public; name the public paths instead",
            ),
            ConfigError::ScopesNeverChecked { scoped, public } => write!(
                f,
                "scopes required {scoped} are never checked: a public route covers it ({public})"
            ),
            ConfigError::StepUpNeverChecked { rule, public } => write!(
                f,
                "the step-up rule {rule} is never checked: a public route covers it ({public})"
            ),
            ConfigError::InvalidAcrValues { route } => write!(
                f,
                "the acr rule {route} needs at least one value, each non-empty, without whitespace, `\"` or `\\`"
            ),
            ConfigError::InvalidResourceMetadata => f.write_str(
                "the resource metadata URL must be an absolute https URL of visible ASCII without `\"` or `\\`",
            ),
            ConfigError::Verifier(err) => write!(f, "the token verifier is misconfigured: {err}"),
        }
    }
}

impl std::error::Error for ConfigError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            ConfigError::Verifier(err) => Some(err.as_ref()),
            _ => None,
        }
    }
}

struct Config<V> {
    verifier: Arc<V>,
    scopes: Vec<(Route, Vec<String>)>,
    /// Step-up: the `acr` values any of which satisfies the route.
    acr: Vec<(Route, Vec<String>)>,
    /// Step-up: the longest time since the user authenticated.
    max_auth_age: Vec<(Route, Duration)>,
    public: Vec<Route>,
    realm: Option<String>,
    resource_metadata: Option<String>,
    on_fault: Option<FaultHook>,
    /// The answers to a request without credentials, built by `build`.
    missing: Canned,
}

/// A response built once and sent many times: the answer to a request
/// without credentials is the same for every request of a protocol (the
/// code, its default message, the realm, the metadata URL), so serializing
/// it (the details, their base64, the JSON body, the challenge) per request
/// would be waste. Each request gets a clone (the body's `Bytes` shared).
#[derive(Default)]
struct Canned {
    /// gRPC, gRPC-Web binary, gRPC-Web text, HTTP.
    by_protocol: [(http::StatusCode, HeaderMap, Bytes); 4],
}

impl Canned {
    fn for_protocol(&self, protocol: Protocol) -> CannedResponse<'_> {
        let i = match protocol {
            Protocol::Grpc => 0,
            Protocol::GrpcWeb { text: false } => 1,
            Protocol::GrpcWeb { text: true } => 2,
            Protocol::Http => 3,
        };
        CannedResponse(&self.by_protocol[i])
    }
}

struct CannedResponse<'a>(&'a (http::StatusCode, HeaderMap, Bytes));

impl CannedResponse<'_> {
    fn response(&self) -> http::Response<Bytes> {
        let (status, headers, body) = self.0;
        let mut response = http::Response::new(body.clone());
        *response.status_mut() = *status;
        *response.headers_mut() = headers.clone();
        response
    }
}

impl<V> fmt::Debug for Config<V> {
    /// The rules and the realm; not the verifier (keys) nor the hook.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Config")
            .field("scopes", &self.scopes)
            .field("acr", &self.acr)
            .field("max_auth_age", &self.max_auth_age)
            .field("public", &self.public)
            .field("realm", &self.realm)
            .field("resource_metadata", &self.resource_metadata)
            .finish_non_exhaustive()
    }
}

/// A tower layer that verifies the bearer token of every request, for tonic
/// servers (`Server::builder().layer(..)`) and axum routers
/// (`Router::layer(..)`). Built by [`BearerAuthLayer::builder`]. See the
/// [module docs](crate::server).
pub struct BearerAuthLayer<V> {
    config: Arc<Config<V>>,
    drain: DrainRejectedLayer,
}

impl<V> Clone for BearerAuthLayer<V> {
    fn clone(&self) -> Self {
        BearerAuthLayer {
            config: self.config.clone(),
            drain: self.drain.clone(),
        }
    }
}

impl<V> fmt::Debug for BearerAuthLayer<V> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("BearerAuthLayer")
            .field("config", &self.config)
            .finish_non_exhaustive()
    }
}

impl<V: TokenVerifier> BearerAuthLayer<V> {
    /// A builder for a layer that lets through only requests whose bearer
    /// token `verifier` accepts, with the default drain bounds of
    /// [`DrainRejectedLayer`].
    pub fn builder(verifier: V) -> BearerAuthBuilder<V> {
        BearerAuthBuilder {
            config: Config {
                verifier: Arc::new(verifier),
                scopes: Vec::new(),
                acr: Vec::new(),
                max_auth_age: Vec::new(),
                public: Vec::new(),
                realm: None,
                resource_metadata: None,
                on_fault: None,
                missing: Canned::default(),
            },
            drain: DrainRejectedLayer::default(),
        }
    }
}

#[cfg(feature = "json")]
impl<V> BearerAuthLayer<V> {
    /// The RFC 9728 metadata of `resource` as this layer enforces it:
    /// `scopes_supported` is every scope its rules require (sorted, once
    /// each), bearer tokens in the header; add the authorization servers.
    pub fn resource_metadata(
        &self,
        resource: impl Into<String>,
    ) -> super::resource_metadata::ProtectedResourceMetadata {
        let mut scopes: Vec<&str> = self
            .config
            .scopes
            .iter()
            .flat_map(|(_, scopes)| scopes.iter().map(String::as_str))
            .collect();
        scopes.sort_unstable();
        scopes.dedup();
        super::resource_metadata::ProtectedResourceMetadata::new(resource)
            .with_scopes_supported(scopes)
    }
}

/// Builds a [`BearerAuthLayer`]; [`build`](Self::build) refuses rules that
/// can only be mistakes.
///
/// # Rules and paths
///
/// Rules match the request's path as the layer sees it. On a tonic server
/// that is `/package.Service/Method`. In axum, a layer on a router given to
/// `Router::nest("/api", router)` sees the path with `/api` stripped; put
/// the layer on the outer router to write rules with full paths.
pub struct BearerAuthBuilder<V> {
    config: Config<V>,
    drain: DrainRejectedLayer,
}

impl<V> fmt::Debug for BearerAuthBuilder<V> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("BearerAuthBuilder")
            .field("config", &self.config)
            .finish_non_exhaustive()
    }
}

impl<V: TokenVerifier> BearerAuthBuilder<V> {
    /// Requires `scopes` on `route` (see [`Route`]: a string is a prefix, so
    /// `"orders.v1.Orders"` covers every method of the service). Every rule
    /// that covers a request applies (a service's scopes and a method's add
    /// up). A missing scope is `INVALID_SCOPE` with the required and the
    /// provided scopes.
    #[must_use]
    pub fn add_required_scopes<I, S>(mut self, route: impl Into<Route>, scopes: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        let scopes = scopes.into_iter().map(Into::into).collect();
        self.config.scopes.push((route.into(), scopes));
        self
    }

    /// Lets requests on `route` through without a token: health checks,
    /// reflection (see [`Route`]; `/` as a prefix is refused by
    /// [`build`](Self::build)).
    #[must_use]
    pub fn add_public_route(mut self, route: impl Into<Route>) -> Self {
        self.config.public.push(route.into());
        self
    }

    /// Step-up (RFC 9470): requests on `route` need a token whose `acr`
    /// claim is one of `values` (see [`Verified::acr`]). Otherwise they are
    /// refused `MULTI_FACTOR_REQUIRED` (HTTP 401 with `WWW-Authenticate:
    /// Bearer error="insufficient_user_authentication", acr_values="…"`,
    /// and the values as [`keys::ACR_VALUES`](crate::keys::ACR_VALUES) on
    /// every exit), after the scopes are checked. Every rule that covers a
    /// request must be met. [`build`](Self::build) refuses an empty list, a
    /// value that cannot be sent, and a rule a public route covers.
    ///
    /// ```
    /// # use auth_error::server::{BearerAuthLayer, Route};
    /// # use std::time::Duration;
    /// # let verifier = auth_error::jwt::JwtVerifier::new(jsonwebtoken::DecodingKey::from_secret(b"s"), jsonwebtoken::Validation::default());
    /// let layer = BearerAuthLayer::builder(verifier)
    ///     .add_required_acr("payments.v1.Payments/Transfer", ["urn:example:mfa"])
    ///     .add_max_auth_age("payments.v1.Payments/Transfer", Duration::from_secs(300))
    ///     .build()?;
    /// # drop(layer);
    /// # Ok::<(), auth_error::server::ConfigError>(())
    /// ```
    #[must_use]
    pub fn add_required_acr<I, S>(mut self, route: impl Into<Route>, values: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        let values = values.into_iter().map(Into::into).collect();
        self.config.acr.push((route.into(), values));
        self
    }

    /// Step-up (RFC 9470): requests on `route` need a token whose
    /// `auth_time` claim (see [`Verified::auth_time`]) is at most `max_age`
    /// ago. A token without `auth_time`, or an older one, is refused
    /// `SESSION_EXPIRED` (HTTP 401 with `WWW-Authenticate: Bearer
    /// error="insufficient_user_authentication", max_age=N`, and
    /// [`keys::MAX_AGE`](crate::keys::MAX_AGE) on every exit). The shortest
    /// age of the rules covering a request applies.
    #[must_use]
    pub fn add_max_auth_age(mut self, route: impl Into<Route>, max_age: Duration) -> Self {
        self.config.max_auth_age.push((route.into(), max_age));
        self
    }

    /// RFC 9728: every 401 challenge the layer sends carries
    /// `resource_metadata="<url>"`, the URL of this resource's protected
    /// resource metadata (serve it with `ProtectedResourceMetadata` (feature `json`)), so
    /// a client (an MCP client, for one) can discover the authorization
    /// server. [`build`](Self::build) refuses anything but an absolute
    /// `https` URL that can be quoted in a header.
    #[must_use]
    pub fn with_resource_metadata(mut self, url: impl Into<String>) -> Self {
        self.config.resource_metadata = Some(url.into());
        self
    }

    /// The `realm` of the `WWW-Authenticate` challenge on HTTP rejections.
    #[must_use]
    pub fn with_realm(mut self, realm: impl Into<String>) -> Self {
        self.config.realm = Some(realm.into());
        self
    }

    /// Called with every server fault (besides a `tracing` error event), for
    /// metrics or alerting.
    #[must_use]
    pub fn with_fault_hook<F>(mut self, hook: F) -> Self
    where
        F: Fn(&(dyn std::error::Error + 'static)) + Send + Sync + 'static,
    {
        self.config.on_fault = Some(Arc::new(hook));
        self
    }

    /// The bounds of the built-in drain of rejected request bodies (see
    /// [`DrainRejectedLayer`]).
    #[must_use]
    pub fn with_drain(mut self, drain: DrainRejectedLayer) -> Self {
        self.drain = drain;
        self
    }

    /// The layer, or why its configuration can only be a mistake: a route
    /// that never matches, every path public, scopes on a public route, or
    /// a verifier whose [`check`](TokenVerifier::check) fails.
    pub fn build(self) -> Result<BearerAuthLayer<V>, ConfigError> {
        let config = &self.config;
        let routes = config
            .public
            .iter()
            .chain(config.scopes.iter().map(|(r, _)| r));
        for route in routes {
            if let Some(why) = route.problem() {
                return Err(ConfigError::InvalidRoute {
                    route: route.clone(),
                    why,
                });
            }
        }
        if config.public.iter().any(|r| !r.exact && r.path == "/") {
            return Err(ConfigError::EverythingPublic);
        }
        for (scoped, _) in &config.scopes {
            if let Some(public) = config.public.iter().find(|p| scoped.within(p)) {
                return Err(ConfigError::ScopesNeverChecked {
                    scoped: scoped.clone(),
                    public: public.clone(),
                });
            }
        }
        let step_up = config
            .acr
            .iter()
            .map(|(r, _)| r)
            .chain(config.max_auth_age.iter().map(|(r, _)| r));
        for rule in step_up {
            if let Some(why) = rule.problem() {
                return Err(ConfigError::InvalidRoute {
                    route: rule.clone(),
                    why,
                });
            }
            if let Some(public) = config.public.iter().find(|p| rule.within(p)) {
                return Err(ConfigError::StepUpNeverChecked {
                    rule: rule.clone(),
                    public: public.clone(),
                });
            }
        }
        for (route, values) in &config.acr {
            let sendable = |v: &String| {
                !v.is_empty()
                    && v.chars()
                        .all(|c| c.is_ascii_graphic() && c != '"' && c != '\\')
            };
            if values.is_empty() || !values.iter().all(sendable) {
                return Err(ConfigError::InvalidAcrValues {
                    route: route.clone(),
                });
            }
        }
        if let Some(url) = &config.resource_metadata
            && !is_https_url(url)
        {
            return Err(ConfigError::InvalidResourceMetadata);
        }
        config.verifier.check().map_err(ConfigError::Verifier)?;
        let mut config = self.config;
        config.missing = Canned {
            by_protocol: [
                Protocol::Grpc,
                Protocol::GrpcWeb { text: false },
                Protocol::GrpcWeb { text: true },
                Protocol::Http,
            ]
            .map(|protocol| {
                let missing = AuthError::new(AuthErrorCode::BearerTokenMissing);
                let (parts, body) = config.rejection(missing, protocol).into_parts();
                (parts.status, parts.headers, body)
            }),
        };
        Ok(BearerAuthLayer {
            config: Arc::new(config),
            drain: self.drain,
        })
    }
}

impl<S, V> Layer<S> for BearerAuthLayer<V> {
    type Service = DrainRejected<BearerAuth<S, V>>;

    fn layer(&self, inner: S) -> Self::Service {
        self.drain.layer(BearerAuth {
            inner,
            config: self.config.clone(),
        })
    }
}

/// The service of [`BearerAuthLayer`] (inside the built-in drain).
pub struct BearerAuth<S, V> {
    inner: S,
    config: Arc<Config<V>>,
}

service_impls! { BearerAuth<S, V> { config } }

impl<S: fmt::Debug, V> fmt::Debug for BearerAuth<S, V> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("BearerAuth")
            .field("inner", &self.inner)
            .finish_non_exhaustive()
    }
}

/// What the layer decided about a request.
enum Decision {
    Reject(AuthError),
    Fault(BoxError),
    Unavailable(BoxError),
}

/// `Retry-After` of a 503 while the identity provider cannot be reached.
const UNAVAILABLE_RETRY_AFTER_SECS: u32 = 5;

/// An absolute `https` URL that can be quoted in a header (visible ASCII
/// without `"` and `\`).
fn is_https_url(url: &str) -> bool {
    url.chars()
        .all(|c| c.is_ascii_graphic() && c != '"' && c != '\\')
        && url.parse::<http::Uri>().is_ok_and(|uri| {
            uri.scheme_str() == Some("https") && uri.host().is_some_and(|h| !h.is_empty())
        })
}

/// `UNAVAILABLE` with a `google.rpc.RetryInfo` of `retry` (what a gRPC
/// client's retry policy reads).
fn unavailable_status(message: &str, retry: Duration) -> tonic::Status {
    use tonic_types::{ErrorDetails, StatusExt as _};
    tonic::Status::with_error_details(
        tonic::Code::Unavailable,
        message,
        ErrorDetails::with_retry_info(Some(retry)),
    )
}

/// RFC 6750 §2.1 b64token characters (`=` padding is allowed at the end
/// only, handled apart): one table lookup per byte.
const B64TOKEN: [bool; 256] = {
    let mut table = [false; 256];
    let mut b = 0;
    while b < 256 {
        let c = b as u8;
        table[b] =
            c.is_ascii_alphanumeric() || matches!(c, b'-' | b'.' | b'_' | b'~' | b'+' | b'/');
        b += 1;
    }
    table
};

/// The token of an `authorization: Bearer <token>` header (RFC 6750 §2.1:
/// scheme case-insensitive, then spaces, then a b64token). The caller has
/// answered a request without the header already (canned).
fn bearer_token(headers: &HeaderMap) -> Result<&str, AuthError> {
    let mut values = headers.get_all(header::AUTHORIZATION).iter();
    let Some(value) = values.next() else {
        return Err(AuthError::new(AuthErrorCode::BearerTokenMissing));
    };
    let invalid = |why: &str| {
        AuthError::new(AuthErrorCode::AuthFailedInvalidBearerToken).with_message(format!(
            "the authorization header is not a bearer token: {why}"
        ))
    };
    if values.next().is_some() {
        return Err(invalid("more than one authorization header"));
    }
    let bytes = value.as_bytes();
    let Some(space) = bytes.iter().position(|b| *b == b' ') else {
        return Err(invalid("no credentials"));
    };
    if !bytes[..space].eq_ignore_ascii_case(b"bearer") {
        return Err(invalid("the scheme is not Bearer"));
    }
    let rest = &bytes[space..];
    let token = &rest[rest.iter().take_while(|b| **b == b' ').count()..];
    let padding = token.iter().rev().take_while(|b| **b == b'=').count();
    let b64token = &token[..token.len() - padding];
    if b64token.is_empty() || !b64token.iter().all(|b| B64TOKEN[usize::from(*b)]) {
        return Err(invalid("the token is empty or not a b64token"));
    }
    // Every byte is ASCII (checked above), so this never fails.
    std::str::from_utf8(token).map_err(|_| invalid("the token is empty or not a b64token"))
}

impl<V: TokenVerifier> Config<V> {
    fn is_public(&self, method: &http::Method, path: &str) -> bool {
        self.public.iter().any(|p| p.covers(method, path))
    }

    /// The scopes the request requires that `verified` lacks, as a rejection.
    fn check_scopes(
        &self,
        method: &http::Method,
        path: &str,
        verified: &Verified<V::Claims>,
    ) -> Option<AuthError> {
        let required: Vec<&str> = self
            .scopes
            .iter()
            .filter(|(rule, _)| rule.covers(method, path))
            .flat_map(|(_, scopes)| scopes.iter().map(String::as_str))
            .collect();
        if required.iter().all(|s| verified.has_scope(s)) {
            return None;
        }
        Some(
            AuthError::new(AuthErrorCode::InvalidScope)
                .with_required_scopes(required)
                .with_provided_scopes(verified.scopes.iter().map(String::as_str)),
        )
    }

    /// The step-up rules the request's token does not meet, as a rejection:
    /// an unmet `acr` is `MULTI_FACTOR_REQUIRED` (with `maxAge` too when the
    /// login is also too old), a login too old (or of unknown age)
    /// `SESSION_EXPIRED`.
    fn check_step_up(
        &self,
        method: &http::Method,
        path: &str,
        verified: &Verified<V::Claims>,
    ) -> Option<AuthError> {
        let unmet_acr = self
            .acr
            .iter()
            .filter(|(rule, _)| rule.covers(method, path))
            .map(|(_, values)| values)
            .find(|values| {
                !verified
                    .acr()
                    .is_some_and(|acr| values.iter().any(|v| v == acr))
            });
        let max_age = self
            .max_auth_age
            .iter()
            .filter(|(rule, _)| rule.covers(method, path))
            .map(|(_, age)| *age)
            .min();
        let too_old = max_age.filter(|max| match verified.auth_time() {
            None => true,
            // A time in the future (clock skew) is a fresh login.
            Some(at) => SystemTime::now()
                .duration_since(at)
                .is_ok_and(|age| age > *max),
        });
        match (unmet_acr, too_old) {
            (None, None) => None,
            (Some(values), too_old) => {
                let err = AuthError::new(AuthErrorCode::MultiFactorRequired)
                    .with_acr_values(values.iter().map(String::as_str));
                Some(match too_old {
                    Some(max) => err.with_max_age(max),
                    None => err,
                })
            }
            (None, Some(max)) => {
                Some(AuthError::new(AuthErrorCode::SessionExpired).with_max_age(max))
            }
        }
    }

    async fn decide(
        &self,
        headers: &HeaderMap,
        method: &http::Method,
        path: &str,
    ) -> Result<Verified<V::Claims>, Decision> {
        let token = bearer_token(headers).map_err(|err| {
            refused(err.code(), method, path, || None);
            Decision::Reject(err)
        })?;
        let issuer = || self.verifier.token_issuer(token);
        let verified = match self.verifier.verify(token).await {
            Ok(verified) => verified,
            Err(Rejection::Auth(err)) => {
                refused(err.code(), method, path, issuer);
                return Err(Decision::Reject(err));
            }
            Err(Rejection::Fault(fault)) => return Err(Decision::Fault(fault)),
            Err(Rejection::Unavailable(err)) => return Err(Decision::Unavailable(err)),
        };
        match self
            .check_scopes(method, path, &verified)
            .or_else(|| self.check_step_up(method, path, &verified))
        {
            Some(err) => {
                refused(err.code(), method, path, issuer);
                Err(Decision::Reject(err))
            }
            None => Ok(verified),
        }
    }

    /// The answer to a refused request: gRPC and gRPC-Web get exactly what
    /// `try_into_status` produces (an error the rules refuse, such as a
    /// verifier's secret metadata, goes out leniently), trailers-only;
    /// HTTP the status, the challenge and the body.
    fn rejection(&self, err: AuthError, protocol: Protocol) -> http::Response<Bytes> {
        if protocol != Protocol::Http {
            let status = err.clone().try_into_status().unwrap_or_else(|_| err.into());
            return protocol.trailers_only(status);
        }
        crate::http::response::rejection(
            &err,
            self.realm.as_deref(),
            self.resource_metadata.as_deref(),
        )
    }

    fn respond(&self, decision: Decision, protocol: Protocol) -> http::Response<Bytes> {
        let grpc = protocol != Protocol::Http;
        match decision {
            Decision::Reject(err) => self.rejection(err, protocol),
            Decision::Unavailable(err) => {
                tracing::warn!(error = %err, "auth-error: credentials cannot be verified right now");
                if let Some(hook) = &self.on_fault {
                    hook(err.as_ref());
                }
                const MESSAGE: &str = "credentials cannot be verified right now";
                let retry = retry_after_of(err.as_ref())
                    .unwrap_or(Duration::from_secs(UNAVAILABLE_RETRY_AFTER_SECS.into()));
                if grpc {
                    protocol.trailers_only(unavailable_status(MESSAGE, retry))
                } else {
                    let mut response = crate::http::response::fault(
                        http::StatusCode::SERVICE_UNAVAILABLE,
                        "UNAVAILABLE",
                        MESSAGE,
                    );
                    response.headers_mut().insert(
                        header::RETRY_AFTER,
                        http::HeaderValue::from(retry.as_secs().max(1)),
                    );
                    response
                }
            }
            Decision::Fault(fault) => {
                tracing::error!(error = %fault, "auth-error: server fault while verifying a bearer token");
                if let Some(hook) = &self.on_fault {
                    hook(fault.as_ref());
                }
                const MESSAGE: &str = "internal error while verifying credentials";
                if grpc {
                    protocol.trailers_only(tonic::Status::internal(MESSAGE))
                } else {
                    crate::http::response::fault(
                        http::StatusCode::INTERNAL_SERVER_ERROR,
                        "INTERNAL",
                        MESSAGE,
                    )
                }
            }
        }
    }
}

/// The `tracing` event of every rejection: the reason, where, and the issuer
/// the token claims (escaped, at most 256 bytes; never the token), so
/// operators can count refusals by reason.
/// The issuer is read (a decode of the token's payload) only when the event
/// is enabled.
fn refused(
    code: AuthErrorCode,
    method: &http::Method,
    path: &str,
    issuer: impl FnOnce() -> Option<String>,
) {
    if !tracing::enabled!(tracing::Level::INFO) {
        return;
    }
    let issuer = issuer();
    let issuer = issuer.as_deref().map(|iss| {
        let mut end = iss.len().min(256);
        while !iss.is_char_boundary(end) {
            end -= 1;
        }
        &iss[..end]
    });
    tracing::info!(
        reason = code.as_str_name(),
        method = %method,
        path = ?path,
        issuer = ?issuer,
        "auth-error: request refused"
    );
}

pin_project_lite::pin_project! {
    /// The response body of [`BearerAuth`]: the wrapped service's own body,
    /// passed through untouched (not boxed), or the layer's answer to a
    /// request it refused (a trailers-only gRPC or gRPC-Web response, or an
    /// HTTP error body).
    #[derive(Debug)]
    pub struct BearerAuthBody<B> {
        #[pin]
        kind: Kind<B>,
    }
}

pin_project_lite::pin_project! {
    #[project = KindProj]
    #[derive(Debug)]
    enum Kind<B> {
        Inner { #[pin] body: B },
        // The layer's answer: the whole body at once (none for a
        // trailers-only gRPC answer), not boxed.
        Refused { data: Option<Bytes> },
    }
}

impl<B> BearerAuthBody<B> {
    fn inner(body: B) -> Self {
        BearerAuthBody {
            kind: Kind::Inner { body },
        }
    }

    fn refused(data: Bytes) -> Self {
        BearerAuthBody {
            kind: Kind::Refused {
                data: Some(data).filter(|d| !d.is_empty()),
            },
        }
    }
}

impl<B> Body for BearerAuthBody<B>
where
    B: Body<Data = Bytes>,
    B::Error: Into<BoxError>,
{
    type Data = Bytes;
    type Error = BoxError;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<http_body::Frame<Bytes>, BoxError>>> {
        match self.project().kind.project() {
            KindProj::Inner { body } => body
                .poll_frame(cx)
                .map(|frame| frame.map(|r| r.map_err(Into::into))),
            KindProj::Refused { data } => {
                Poll::Ready(data.take().map(|d| Ok(http_body::Frame::data(d))))
            }
        }
    }

    fn is_end_stream(&self) -> bool {
        match &self.kind {
            Kind::Inner { body } => body.is_end_stream(),
            Kind::Refused { data } => data.is_none(),
        }
    }

    fn size_hint(&self) -> http_body::SizeHint {
        match &self.kind {
            Kind::Inner { body } => body.size_hint(),
            Kind::Refused { data } => {
                http_body::SizeHint::with_exact(data.as_ref().map_or(0, |d| d.len() as u64))
            }
        }
    }
}

/// How a request is answered: gRPC (trailers-only), gRPC-Web (trailers-only
/// in gRPC-Web form, binary or text as the request), or plain HTTP.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Protocol {
    Grpc,
    GrpcWeb { text: bool },
    Http,
}

impl Protocol {
    fn of<B>(req: &http::Request<B>) -> Protocol {
        let Some(content_type) = req.headers().get(header::CONTENT_TYPE) else {
            return Protocol::Http;
        };
        let ct = content_type.as_bytes();
        if ct.starts_with(b"application/grpc-web-text") {
            Protocol::GrpcWeb { text: true }
        } else if ct.starts_with(b"application/grpc-web") {
            Protocol::GrpcWeb { text: false }
        } else if ct.starts_with(b"application/grpc") {
            Protocol::Grpc
        } else {
            Protocol::Http
        }
    }

    /// `status` as this protocol's trailers-only response: gRPC-Web carries
    /// the same `grpc-*` headers, with its own content type (what a page's
    /// gRPC-Web client reads; CORS must expose them).
    fn trailers_only(self, status: tonic::Status) -> http::Response<Bytes> {
        // Trailers-only: the status in the headers, no body at all.
        let mut response = status
            .into_http::<tonic::body::Body>()
            .map(|_| Bytes::new());
        let content_type = match self {
            Protocol::GrpcWeb { text: true } => "application/grpc-web-text+proto",
            Protocol::GrpcWeb { text: false } => "application/grpc-web+proto",
            Protocol::Grpc | Protocol::Http => return response,
        };
        response.headers_mut().insert(
            header::CONTENT_TYPE,
            http::HeaderValue::from_static(content_type),
        );
        response
    }
}

/// Generic over the request body: the body is passed through untouched (a
/// rejected request's body is dropped, which the drain in front of this
/// service reads to the end), so tonic's, axum's or any other body works.
impl<S, V, ReqBody, ResBody> Service<http::Request<ReqBody>> for BearerAuth<S, V>
where
    S: Service<http::Request<ReqBody>, Response = http::Response<ResBody>> + Clone + Send + 'static,
    S::Future: Send + 'static,
    V: TokenVerifier,
    ReqBody: Send + 'static,
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
        if config.is_public(req.method(), req.uri().path()) {
            return BearerAuthFuture::inner(self.inner.call(req));
        }
        // No credentials at all: the canned answer, with no allocation for a
        // future (dropping `req` hands its body to the drain).
        if !req.headers().contains_key(header::AUTHORIZATION) {
            refused(
                AuthErrorCode::BearerTokenMissing,
                req.method(),
                req.uri().path(),
                || None,
            );
            let response = config.missing.for_protocol(Protocol::of(&req)).response();
            return BearerAuthFuture::ready(response.map(BearerAuthBody::refused));
        }
        // The clone that was driven to readiness serves this request.
        let clone = self.inner.clone();
        let mut inner = std::mem::replace(&mut self.inner, clone);
        let config = config.clone();
        BearerAuthFuture::verifying(Box::pin(async move {
            let protocol = Protocol::of(&req);
            match config
                .decide(req.headers(), req.method(), req.uri().path())
                .await
            {
                Ok(verified) => {
                    req.extensions_mut().insert(verified);
                }
                // Dropping `req` hands its body to the drain.
                Err(decision) => {
                    let response = config.respond(decision, protocol);
                    return Ok(response.map(BearerAuthBody::refused));
                }
            }
            let response = inner.call(req).await?;
            Ok(response.map(BearerAuthBody::inner))
        }))
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

type Verifying<R, E> = Pin<Box<dyn Future<Output = Result<R, E>> + Send>>;

pin_project_lite::pin_project! {
    #[project = FutureStateProj]
    enum FutureState<F, R, E> {
        Inner { #[pin] future: F },
        Ready { response: Option<R> },
        Verifying { future: Verifying<R, E> },
    }
}

impl<F, R, E> BearerAuthFuture<F, R, E> {
    fn inner(future: F) -> Self {
        BearerAuthFuture {
            state: FutureState::Inner { future },
        }
    }

    fn ready(response: R) -> Self {
        BearerAuthFuture {
            state: FutureState::Ready {
                response: Some(response),
            },
        }
    }

    fn verifying(future: Verifying<R, E>) -> Self {
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
            FutureStateProj::Inner { future } => future
                .poll(cx)
                .map(|result| result.map(|response| response.map(BearerAuthBody::inner))),
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
