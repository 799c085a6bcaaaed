//! [`BearerAuthLayer`](crate::server::BearerAuthLayer) and its builder: the rules, checked once at build
//! time ([`ConfigError`]).

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use tower_layer::Layer;

use super::answer::refusal;
use super::config::{Canned, Config};
use super::protocol::Protocol;
use crate::server::{BearerAuth, DrainRejectedLayer, Route, TokenVerifier};
use crate::{AuthError, AuthErrorCode, BoxError};

/// Why [`BearerAuthBuilder::build`](crate::server::BearerAuthBuilder::build) refused a configuration: each can only
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
    /// A step-up rule ([`BearerAuthBuilder::add_required_acr`](crate::server::BearerAuthBuilder::add_required_acr),
    /// [`BearerAuthBuilder::add_max_auth_age`](crate::server::BearerAuthBuilder::add_max_auth_age)) on a route that a public
    /// route covers entirely: it would never be checked.
    #[non_exhaustive]
    StepUpNeverChecked {
        /// The route of the step-up rule.
        rule: Route,
        /// The public route that covers it.
        public: Route,
    },
    /// [`BearerAuthBuilder::add_required_acr`](crate::server::BearerAuthBuilder::add_required_acr) with no value, or a value
    /// that cannot travel in a challenge (empty, whitespace, `"` or `\`).
    #[non_exhaustive]
    InvalidAcrValues {
        /// The route of the rule.
        route: Route,
    },
    /// [`BearerAuthBuilder::with_resource_metadata`](crate::server::BearerAuthBuilder::with_resource_metadata) with something other
    /// than an absolute `https` URL of visible ASCII without `"` and `\`.
    InvalidResourceMetadata,
    /// The verifier's own check ([`TokenVerifier::check`]) failed.
    Verifier(BoxError),
    /// [`BearerAuthBuilder::with_dpop`](crate::server::BearerAuthBuilder::with_dpop) with a setting that can only be a
    /// mistake: no algorithm, an algorithm that is not asymmetric or not
    /// known, a proof age of zero or over an hour, a public URL that is not
    /// an absolute http(s) URL, a nonce secret under 32 bytes.
    #[cfg(feature = "sender-constrained")]
    #[non_exhaustive]
    Dpop {
        /// What is wrong.
        why: &'static str,
    },
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
            #[cfg(feature = "sender-constrained")]
            ConfigError::Dpop { why } => write!(f, "the DPoP configuration is refused: {why}"),
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

/// A tower layer that verifies the bearer token of every request, for tonic
/// servers (`Server::builder().layer(..)`) and axum routers
/// (`Router::layer(..)`). Built by [`BearerAuthLayer::builder`](crate::server::BearerAuthLayer::builder). See the
/// [module docs](crate::server).
pub struct BearerAuthLayer<V> {
    pub(super) config: Arc<Config<V>>,
}

impl<V> Clone for BearerAuthLayer<V> {
    fn clone(&self) -> Self {
        BearerAuthLayer {
            config: self.config.clone(),
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
                drain: DrainRejectedLayer::default(),
                metrics: crate::observe::LayerMetrics::unregistered(),
                #[cfg(feature = "sender-constrained")]
                dpop: None,
            },
            #[cfg(feature = "sender-constrained")]
            dpop: None,
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
    ) -> crate::server::ProtectedResourceMetadata {
        let mut scopes: Vec<&str> = self
            .config
            .scopes
            .iter()
            .flat_map(|(_, scopes)| scopes.iter().map(String::as_str))
            .collect();
        scopes.sort_unstable();
        scopes.dedup();
        crate::server::ProtectedResourceMetadata::new(resource).with_scopes_supported(scopes)
    }
}

/// Builds a [`BearerAuthLayer`](crate::server::BearerAuthLayer); [`build`](Self::build) refuses rules that
/// can only be mistakes.
///
/// # Rules and paths
///
/// Rules match the request's path as the layer sees it. On a tonic server
/// that is `/package.Service/Method`. In axum, a layer on a router given to
/// `Router::nest("/api", router)` sees the path with `/api` stripped; put
/// the layer on the outer router to write rules with full paths.
pub struct BearerAuthBuilder<V> {
    pub(super) config: Config<V>,
    #[cfg(feature = "sender-constrained")]
    dpop: Option<crate::server::Dpop>,
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
    /// claim is one of `values` (see [`Verified::acr`](crate::server::Verified::acr)). Otherwise they are
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
    /// # let verifier = auth_error::jwt::JwtVerifier::new(jsonwebtoken::DecodingKey::from_secret(b"an-hs256-secret-of-at-least-32-bytes"), jsonwebtoken::Validation::default());
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
    /// `auth_time` claim (see [`Verified::auth_time`](crate::server::Verified::auth_time)) is at most `max_age`
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

    /// Sender-constrained tokens (RFC 9449 DPoP): see [`Dpop`] for what is
    /// checked and answered. Without it, a bound token (`cnf`) is still
    /// never served as a plain bearer token (`TOKEN_BINDING_MISMATCH`), and
    /// the `DPoP` scheme is not accepted.
    ///
    /// [`Dpop`]: crate::server::Dpop
    #[cfg(feature = "sender-constrained")]
    #[must_use]
    pub fn with_dpop(mut self, dpop: crate::server::Dpop) -> Self {
        self.dpop = Some(dpop);
        self
    }

    /// The bounds of the built-in drain of rejected request bodies (see
    /// [`DrainRejectedLayer`]).
    #[must_use]
    pub fn with_drain(mut self, drain: DrainRejectedLayer) -> Self {
        self.config.drain = drain;
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
        #[cfg(feature = "sender-constrained")]
        if let Some(dpop) = self.dpop {
            config.dpop = Some(dpop.prepare().map_err(|why| ConfigError::Dpop { why })?);
        }
        // Registered with the recorder in place now: install yours before
        // building the layer (feature `metrics`).
        config.metrics = crate::observe::LayerMetrics::register();
        config.missing = Canned {
            by_protocol: [
                Protocol::Grpc,
                Protocol::GrpcWeb { text: false },
                Protocol::GrpcWeb { text: true },
                Protocol::Http,
            ]
            .map(|protocol| {
                let missing = AuthError::new(AuthErrorCode::BearerTokenMissing);
                let (mut parts, body) = refusal(&config, missing, protocol).into_parts();
                // Its length, once: a server or router that would compute
                // it per response (axum does) finds it set.
                if !body.is_empty() {
                    parts
                        .headers
                        .insert(http::header::CONTENT_LENGTH, body.len().into());
                }
                // RFC 9449 §7.1: a DPoP resource also challenges with the
                // DPoP scheme and its algorithms.
                #[cfg(feature = "sender-constrained")]
                if protocol == Protocol::Http
                    && let Some(dpop) = &config.dpop
                    && let Ok(value) = http::HeaderValue::try_from(format!(
                        "DPoP algs=\"{}\"",
                        dpop.algs_challenge
                    ))
                {
                    parts.headers.append(http::header::WWW_AUTHENTICATE, value);
                }
                (parts.status, parts.headers, body)
            }),
        };
        Ok(BearerAuthLayer {
            config: Arc::new(config),
        })
    }
}

impl<S, V> Layer<S> for BearerAuthLayer<V> {
    type Service = BearerAuth<S, V>;

    fn layer(&self, inner: S) -> Self::Service {
        BearerAuth {
            inner,
            config: self.config.clone(),
        }
    }
}

/// An absolute `https` URL that can be quoted in a header (visible ASCII
/// without `"` and `\`).
pub(super) fn is_https_url(url: &str) -> bool {
    url.chars()
        .all(|c| c.is_ascii_graphic() && c != '"' && c != '\\')
        && url.parse::<http::Uri>().is_ok_and(|uri| {
            uri.scheme_str() == Some("https") && uri.host().is_some_and(|h| !h.is_empty())
        })
}
