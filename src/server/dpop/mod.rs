//! [`Dpop`]: sender-constrained tokens on [`BearerAuthLayer`] (RFC 9449),
//! given to [`BearerAuthBuilder::with_dpop`]. One concern a file:
//!
//! - `mod.rs`: the configuration and what `build` refuses;
//! - `proof.rs`: the check of one proof (RFC 9449 §4.3);
//! - `nonce.rs`: the layer's own stateless nonces (§8);
//! - `replay.rs`: [`ReplayCache`] and [`MemoryReplayCache`] (§11.1);
//! - `redis.rs`: `RedisReplayCache`, shared by a service's instances
//!   (feature `redis`).
//!
//! [`BearerAuthLayer`]: crate::server::BearerAuthLayer
//! [`BearerAuthBuilder::with_dpop`]: crate::server::BearerAuthBuilder::with_dpop

use std::fmt;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

mod nonce;
mod proof;
#[cfg(feature = "redis")]
mod redis;
mod replay;

pub(crate) use proof::{Checked, ProofError};
#[cfg(feature = "redis")]
pub use redis::RedisReplayCache;
pub use replay::{MemoryReplayCache, ReplayCache, ReplayFuture};

/// DPoP (RFC 9449) on a [`BearerAuthLayer`](crate::server::BearerAuthLayer):
/// which requests must prove they hold the key their token is bound to, and
/// how a proof is checked. Give it to
/// [`BearerAuthBuilder::with_dpop`](crate::server::BearerAuthBuilder::with_dpop).
///
/// ```
/// use auth_error::server::{BearerAuthLayer, Dpop};
/// use std::time::Duration;
/// # let verifier = auth_error::jwt::JwtVerifier::new(jsonwebtoken::DecodingKey::from_secret(b"an-hs256-secret-of-at-least-32-bytes"), jsonwebtoken::Validation::default());
/// let layer = BearerAuthLayer::builder(verifier)
///     .with_dpop(
///         Dpop::required()
///             .with_algorithms(["ES256", "EdDSA"])
///             .with_max_age(Duration::from_secs(30))
///             .with_nonces(),
///     )
///     .build()?;
/// # drop(layer);
/// # Ok::<(), auth_error::server::ConfigError>(())
/// ```
///
/// | the request | answer |
/// |---|---|
/// | `Authorization: DPoP <token>` and a valid `DPoP` proof for a token bound (`cnf.jkt`) to the proof's key | served |
/// | `Authorization: Bearer <token>`, an unbound token, [`Dpop::optional`] | served (checked as a bearer token) |
/// | an unbound token under `Bearer` with [`Dpop::required`] | `DPOP_PROOF_INVALID` (after the token verified) |
/// | a bound token under `Bearer` (with or without `with_dpop`) | `TOKEN_BINDING_MISMATCH` |
/// | an unbound token, or one bound to another key, under `DPoP` | `TOKEN_BINDING_MISMATCH` |
/// | no proof, two proofs, a malformed or wrongly signed proof, a proof for another method, URL or token, too old, from the future, or replayed | `DPOP_PROOF_INVALID` |
/// | with [`with_nonces`](Dpop::with_nonces): a proof without the server's current nonce | `DPOP_NONCE_REQUIRED`, the nonce in `DPoP-Nonce` (HTTP header, gRPC response metadata) |
/// | the replay cache cannot record the proof (full, or its store down) | `UNAVAILABLE` / 503, never served unrecorded |
///
/// Over HTTP the DPoP reasons answer `WWW-Authenticate: DPoP algs="…",
/// error="invalid_dpop_proof" | "use_dpop_nonce", error_description="…"`.
/// The proof is checked before the token is verified (a refused proof costs
/// one signature check, not two) and recorded in the replay cache only after
/// the proof, the token and the binding all verified.
#[derive(Clone)]
pub struct Dpop {
    required: bool,
    algorithms: Vec<String>,
    max_age: Duration,
    public_url: Option<String>,
    nonce_secret: Option<Arc<[u8]>>,
    replay: Arc<dyn ReplayCache>,
}

impl fmt::Debug for Dpop {
    /// The settings; never the nonce secret.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Dpop")
            .field("required", &self.required)
            .field("algorithms", &self.algorithms)
            .field("max_age", &self.max_age)
            .field("public_url", &self.public_url)
            .field("nonces", &self.nonce_secret.is_some())
            .finish_non_exhaustive()
    }
}

impl Dpop {
    /// The default proof age: 60 s.
    pub const DEFAULT_MAX_AGE: Duration = Duration::from_secs(60);

    /// The default proof algorithms: ES256, ES384, EdDSA, RS256, PS256 (every
    /// asymmetric one this crate verifies).
    pub const DEFAULT_ALGORITHMS: &'static [&'static str] = crate::jose::ALGORITHMS;

    fn new(required: bool) -> Self {
        Dpop {
            required,
            algorithms: Self::DEFAULT_ALGORITHMS
                .iter()
                .map(|a| (*a).to_owned())
                .collect(),
            max_age: Self::DEFAULT_MAX_AGE,
            public_url: None,
            nonce_secret: None,
            replay: Arc::new(MemoryReplayCache::default()),
        }
    }

    /// Every request must be `Authorization: DPoP <token>` with a valid
    /// proof, for a token bound to the proof's key.
    pub fn required() -> Self {
        Dpop::new(true)
    }

    /// DPoP requests are checked as [`required`](Self::required) checks
    /// them, and unbound tokens are also served under `Bearer` (a migration
    /// to DPoP); a bound token is never served under `Bearer`.
    pub fn optional() -> Self {
        Dpop::new(false)
    }

    /// The proof algorithms accepted (the `algs` of the challenge). Each
    /// must be one of [`DEFAULT_ALGORITHMS`](Self::DEFAULT_ALGORITHMS):
    /// `build` refuses `none`, HMAC and anything unknown.
    #[must_use]
    pub fn with_algorithms<I, S>(mut self, algorithms: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.algorithms = algorithms.into_iter().map(Into::into).collect();
        self
    }

    /// How old a proof's `iat` may be (default 60 s; at most 1 h, refused
    /// by `build` beyond that or at zero). A proof up to 5 s in the future
    /// is accepted (clock skew).
    #[must_use]
    pub fn with_max_age(mut self, max_age: Duration) -> Self {
        self.max_age = max_age;
        self
    }

    /// The URL clients reach this service at (scheme, authority and an
    /// optional path prefix, such as `https://api.example.com` or
    /// `https://example.com/api`), for a service behind a proxy or load
    /// balancer: a proof's `htu` must be this URL followed by the request's
    /// path. Without it, `htu` is compared with the request's own scheme
    /// and authority (see the table of [`Dpop`]).
    #[must_use]
    pub fn with_public_url(mut self, url: impl Into<String>) -> Self {
        self.public_url = Some(url.into());
        self
    }

    /// Proofs must carry a nonce this layer issued (RFC 9449 §8): one
    /// without it is `DPOP_NONCE_REQUIRED` with the nonce in `DPoP-Nonce`,
    /// and every served DPoP request gets the current one too. Nonces are
    /// stateless (a MAC over a time step of the proof age, accepted for two
    /// steps) under a random secret made here: instances behind one load
    /// balancer need [`with_nonce_secret`](Self::with_nonce_secret) instead.
    #[must_use]
    pub fn with_nonces(mut self) -> Self {
        let mut secret = [0u8; 32];
        // A failing system random source leaves no secret: `build` refuses.
        if aws_lc_rs::rand::fill(&mut secret).is_ok() {
            self.nonce_secret = Some(Arc::from(&secret[..]));
        } else {
            self.nonce_secret = Some(Arc::from(&[][..]));
        }
        self
    }

    /// [`with_nonces`](Self::with_nonces) under `secret` (at least 32 bytes,
    /// checked by `build`), shared by every instance of the service so that
    /// each accepts the others' nonces.
    #[must_use]
    pub fn with_nonce_secret(mut self, secret: impl AsRef<[u8]>) -> Self {
        self.nonce_secret = Some(Arc::from(secret.as_ref()));
        self
    }

    /// Where accepted proofs are recorded (default: a
    /// [`MemoryReplayCache`] of
    /// [`DEFAULT_CAPACITY`](MemoryReplayCache::DEFAULT_CAPACITY)). Instances
    /// behind one load balancer share one store.
    #[must_use]
    pub fn with_replay_cache(mut self, cache: impl ReplayCache) -> Self {
        self.replay = Arc::new(cache);
        self
    }

    /// The configuration, checked: what `BearerAuthBuilder::build` refuses.
    pub(crate) fn prepare(self) -> Result<Prepared, &'static str> {
        if self.algorithms.is_empty() {
            return Err("no proof algorithm is accepted");
        }
        if self
            .algorithms
            .iter()
            .any(|a| !crate::jose::ALGORITHMS.contains(&a.as_str()))
        {
            return Err(
                "a proof algorithm is not one of ES256, ES384, EdDSA, RS256, PS256 (never `none` or HMAC)",
            );
        }
        if self.max_age.is_zero() || self.max_age > Duration::from_secs(3600) {
            return Err("the proof age must be more than zero and at most one hour");
        }
        let public_url = match &self.public_url {
            None => None,
            Some(url) => Some(public_url(url).ok_or(
                "the public URL must be an absolute http or https URL without query or fragment",
            )?),
        };
        let nonces = match &self.nonce_secret {
            None => None,
            Some(secret) if secret.len() < 32 => {
                return Err("the nonce secret must be at least 32 bytes");
            }
            Some(secret) => Some(nonce::Nonces::new(secret, self.max_age)),
        };
        let mut algs = self.algorithms.clone();
        algs.dedup();
        Ok(Prepared {
            required: self.required,
            algs_challenge: algs.join(" "),
            algorithms: algs,
            max_age: self.max_age,
            public_url,
            nonces,
            replay: self.replay,
        })
    }
}

/// `(origin, path prefix)` of a public URL: the origin normalized as a
/// proof's `htu` is, the prefix without its final `/`.
fn public_url(url: &str) -> Option<(String, String)> {
    if url.contains(['?', '#']) {
        return None;
    }
    let uri: http::Uri = url.parse().ok()?;
    let scheme = uri.scheme_str()?;
    if !scheme.eq_ignore_ascii_case("http") && !scheme.eq_ignore_ascii_case("https") {
        return None;
    }
    let authority = uri.authority()?;
    let origin = proof_origin(scheme, authority.as_str())?;
    let prefix = uri.path().trim_end_matches('/').to_owned();
    Some((origin, prefix))
}

fn proof_origin(scheme: &str, authority: &str) -> Option<String> {
    // The normalized URL of `/`, without that `/`.
    let mut url = proof::normalize_url(scheme, authority, "/")?;
    url.pop();
    Some(url)
}

/// A checked [`Dpop`], held by the layer.
pub(crate) struct Prepared {
    pub(crate) required: bool,
    algorithms: Vec<String>,
    /// The algorithms, space-separated, for the challenge's `algs`.
    pub(crate) algs_challenge: String,
    max_age: Duration,
    public_url: Option<(String, String)>,
    nonces: Option<nonce::Nonces>,
    pub(crate) replay: Arc<dyn ReplayCache>,
}

impl Prepared {
    /// Whether the layer issues its own nonces.
    pub(crate) fn issues_nonces(&self) -> bool {
        self.nonces.is_some()
    }

    /// The nonce to send now, when the layer issues nonces.
    pub(crate) fn current_nonce(&self, now: SystemTime) -> Option<String> {
        self.nonces.as_ref().map(|n| n.current(now))
    }
}
