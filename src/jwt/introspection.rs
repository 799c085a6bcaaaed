//! Opaque access tokens, checked by the provider's RFC 7662 introspection
//! endpoint ([`IntrospectionVerifier`]), and [`JwtOrIntrospection`] for
//! providers that issue both kinds.
//!
//! The cache never skips a check: it holds the provider's answer, keyed by
//! a keyed hash of the token (the token itself is never kept), and every
//! request — hit or miss — goes through the answer's time checks, the
//! verifier's checks and the layer's route rules (scopes, step-up).

use std::collections::HashMap;
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use base64::Engine as _;
use serde_json::Value;

use crate::oidc::client;
use crate::oidc::discovery::{DiscoveryDocument, Endpoint};
use crate::server::{Rejection, TokenVerifier, Verified};
use crate::{AuthError, AuthErrorCode, BoxError};

use super::{JwtVerifier, ProviderError};

type Check = Arc<
    dyn Fn(&Value) -> Pin<Box<dyn Future<Output = Result<(), AuthError>> + Send>> + Send + Sync,
>;

/// The keyed hash of a token (SipHash-2-4, 128 bits, under a random key
/// per verifier): the only form in which the cache holds it.
///
/// Decision: a keyed hash rather than SHA-256. What the key must give is
/// that no two tokens share an entry and that an entry does not give its
/// token back. Under a 128-bit key no client knows, SipHash-2-4 (a
/// pseudorandom function, the one std's `HashMap` uses against flooding,
/// here with its 128-bit output) makes a token that lands on another's
/// entry a 2^-128 guess per request, and a memory dump holds no token.
/// On a cache hit the hash is most of what the verifier does, and SHA-256
/// alone cost about what the whole hit may (figures in
/// `docs/performance.md`, "Opaque tokens").
type Digest = [u8; 16];

/// A random key: 128 bits of the operating system's randomness drawn by
/// std's [`RandomState`](std::hash::RandomState) (the same source as every
/// std `HashMap`, with no error path), read out through its keyed SipHash.
fn random_key() -> [u8; 16] {
    use std::hash::BuildHasher;
    let state = std::hash::RandomState::new();
    let mut key = [0u8; 16];
    for (i, chunk) in key.chunks_exact_mut(8).enumerate() {
        chunk.copy_from_slice(&state.hash_one(i).to_le_bytes());
    }
    key
}

/// Hashes a [`Digest`] for the cache's maps: its bytes folded as they are
/// (a keyed hash already, unpredictable to a client), instead of SipHash
/// over them again.
#[derive(Default)]
struct DigestHasher(u64);

impl std::hash::Hasher for DigestHasher {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        for chunk in bytes.chunks(8) {
            let mut word = [0u8; 8];
            word[..chunk.len()].copy_from_slice(chunk);
            self.0 = self.0.rotate_left(23) ^ u64::from_le_bytes(word);
        }
    }

    /// The length prefix of a digest (always 16 bytes), which says nothing.
    fn write_usize(&mut self, _: usize) {}
}

type DigestMap<V> = HashMap<Digest, V, std::hash::BuildHasherDefault<DigestHasher>>;

/// What the provider said of a token, as kept.
#[derive(Clone)]
enum Answer {
    /// `active: true`, decided as far as time allows.
    Active(Arc<Active>),
    /// `active: false`.
    Inactive,
}

/// An active answer: what does not depend on the time decided once (the
/// issuer and the audience, the scopes and step-up claims), the times kept
/// to check on every request.
struct Active {
    decided: Result<Verified<Value>, AuthError>,
    exp: Option<SystemTime>,
    nbf: Option<SystemTime>,
    jti: Option<String>,
}

struct Entry {
    answer: Answer,
    until: Instant,
}

/// The answers held: active ones and inactive ones, each bounded.
struct Cache {
    capacity: usize,
    negative_capacity: usize,
    active: DigestMap<Entry>,
    inactive: DigestMap<Entry>,
}

impl Cache {
    fn get(&mut self, key: &Digest, now: Instant) -> Option<Answer> {
        for map in [&mut self.active, &mut self.inactive] {
            if let Some(entry) = map.get(key) {
                if entry.until > now {
                    return Some(entry.answer.clone());
                }
                map.remove(key);
            }
        }
        None
    }

    fn insert(&mut self, key: Digest, answer: Answer, until: Instant) {
        let (map, capacity) = match answer {
            Answer::Active(_) => (&mut self.active, self.capacity),
            Answer::Inactive => (&mut self.inactive, self.negative_capacity),
        };
        if capacity == 0 {
            return;
        }
        if map.len() >= capacity && !map.contains_key(&key) {
            // Expired entries first; otherwise an arbitrary one (bounded
            // memory, no bookkeeping).
            let now = Instant::now();
            map.retain(|_, e| e.until > now);
            if map.len() >= capacity
                && let Some(victim) = map.keys().next().copied()
            {
                map.remove(&victim);
                crate::observe::cache_eviction(crate::observe::Cache::Introspection);
            }
        }
        map.insert(key, Entry { answer, until });
    }
}

type Flight = Arc<tokio::sync::OnceCell<Result<Answer, Arc<ProviderError>>>>;

/// A [`TokenVerifier`] for opaque access tokens (feature `oidc`): each token
/// is checked by the provider's introspection endpoint (RFC 7662, the
/// client authenticating with `client_secret_basic`), with a cache of its
/// answers.
///
/// # Reasons
///
/// | the provider's answer | the refusal |
/// |---|---|
/// | `active: false` | `AUTH_FAILED_INVALID_BEARER_TOKEN` (the provider says no more: no guess why) |
/// | `active: true`, `exp` now or past | `TOKEN_EXPIRED` |
/// | `active: true`, `nbf` in the future | `TOKEN_NOT_ACTIVE` |
/// | `iss` not [`with_issuer`](Self::with_issuer)'s | `AUTH_FAILED_INVALID_ISSUER` |
/// | no `aud` in [`with_audience`](Self::with_audience)'s | `AUTH_FAILED_INVALID_AUDIENCE` (`MISSING_REQUIRED_CLAIMS` without `aud`) |
/// | a scope a route requires, missing | `INVALID_SCOPE`, by the layer's own rules |
/// | endpoint down, slow, non-200, not an introspection response | `UNAVAILABLE` / 503 with `Retry-After`, no reason; the body is never echoed |
///
/// `scope` is read as RFC 7662 writes it (one string, split on U+0020);
/// `acr` and `auth_time` are passed on, so step-up rules apply unchanged.
///
/// # The cache
///
/// Keyed by a keyed hash of the token (SipHash-2-4 with a 128-bit output,
/// under a random key drawn when the verifier is made); the token itself is
/// never kept. An
/// active answer is held until `min(exp, now + cache_max_age)` (60 s by
/// default: the longest a revoked token is still served), an inactive one
/// for 5 s ([`with_negative_cache_max_age`](Self::with_negative_cache_max_age)),
/// each kind with its own ceiling (full: expired entries go first, then an
/// arbitrary one). A provider error is never cached. Concurrent requests
/// with the same token cause one introspection request. Every request, hit
/// or miss, is checked again: `exp` and `nbf` against the clock, the
/// [`add_check`](Self::add_check) checks, and the layer's route rules. A hit
/// on a verifier without `add_check` is answered at once
/// ([`TokenVerifier::verify_now`]): the layer serves it without allocating
/// a future for the verification.
///
/// ```
/// use auth_error::jwt::IntrospectionVerifier;
/// use auth_error::server::BearerAuthLayer;
/// let verifier = IntrospectionVerifier::new(
///     "https://id.example.com/oauth2/introspect",
///     "orders-api",
///     "its-secret",
/// )?
/// .with_audience(["orders-api"])
/// .with_cache(10_000);
/// let layer = BearerAuthLayer::builder(verifier)
///     .add_required_scopes("orders.v1.Orders", ["orders.read"])
///     .build()?;
/// # drop(layer);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub struct IntrospectionVerifier {
    endpoint: Endpoint,
    client_id: String,
    client_secret: String,
    http: client::Client,
    audiences: Option<Vec<String>>,
    issuer: Option<String>,
    cache: Mutex<Cache>,
    cache_max_age: Duration,
    negative_max_age: Duration,
    timeout: Duration,
    in_flight: Mutex<DigestMap<Flight>>,
    /// SipHash-2-4 under this verifier's random key (see [`Digest`]).
    digest_key: siphasher::sip128::SipHasher24,
    checks: Vec<Check>,
}

impl std::fmt::Debug for IntrospectionVerifier {
    /// The endpoint and the client id; never the secret.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("IntrospectionVerifier")
            .field("endpoint", &self.endpoint)
            .field("client_id", &self.client_id)
            .field("audiences", &self.audiences)
            .field("issuer", &self.issuer)
            .field("cache_max_age", &self.cache_max_age)
            .finish_non_exhaustive()
    }
}

impl IntrospectionVerifier {
    /// Introspection at `endpoint` (`https`, or `http` to loopback), as the
    /// client `client_id` with `client_secret` (`client_secret_basic`).
    /// Touches no network.
    pub fn new(
        endpoint: &str,
        client_id: impl Into<String>,
        client_secret: impl Into<String>,
    ) -> Result<Self, ProviderError> {
        Self::with_endpoint(
            Endpoint::fixed(endpoint)?,
            client_id.into(),
            client_secret.into(),
        )
    }

    /// Introspection at the `introspection_endpoint` of `issuer`'s discovery
    /// document (fetched at the first verification), whose `iss` is then
    /// also required of active tokens that carry one. Touches no network.
    pub fn from_issuer(
        issuer: &str,
        client_id: impl Into<String>,
        client_secret: impl Into<String>,
    ) -> Result<Self, ProviderError> {
        let endpoint = Endpoint::discover(issuer)?;
        let mut verifier = Self::with_endpoint(endpoint, client_id.into(), client_secret.into())?;
        verifier.issuer = Some(issuer.to_owned());
        Ok(verifier)
    }

    fn with_endpoint(
        endpoint: Endpoint,
        client_id: String,
        client_secret: String,
    ) -> Result<Self, ProviderError> {
        Ok(IntrospectionVerifier {
            endpoint,
            client_id,
            client_secret,
            http: client::Client::new()?,
            audiences: None,
            issuer: None,
            cache: Mutex::new(Cache {
                capacity: 0,
                negative_capacity: 0,
                active: DigestMap::default(),
                inactive: DigestMap::default(),
            }),
            cache_max_age: Duration::from_secs(60),
            negative_max_age: Duration::from_secs(5),
            timeout: Duration::from_secs(5),
            in_flight: Mutex::new(DigestMap::default()),
            digest_key: siphasher::sip128::SipHasher24::new_with_key(&random_key()),
            checks: Vec::new(),
        })
    }

    /// Active tokens must name one of `audiences` in `aud`.
    #[must_use]
    pub fn with_audience<I, S>(mut self, audiences: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.audiences = Some(audiences.into_iter().map(Into::into).collect());
        self
    }

    /// Active tokens that carry `iss` must carry this one.
    #[must_use]
    pub fn with_issuer(mut self, issuer: impl Into<String>) -> Self {
        self.issuer = Some(issuer.into());
        self
    }

    /// Holds up to `capacity` active answers and, apart, up to `capacity`
    /// inactive ones (0, the default: no cache, one request per call).
    #[must_use]
    pub fn with_cache(self, capacity: usize) -> Self {
        if let Ok(mut cache) = self.cache.lock() {
            cache.capacity = capacity;
            cache.negative_capacity = capacity;
        }
        self
    }

    /// How long an active answer is held at most (default 60 s; never past
    /// the token's `exp`): the longest a revoked token is still served.
    #[must_use]
    pub fn with_cache_max_age(mut self, max_age: Duration) -> Self {
        self.cache_max_age = max_age;
        self
    }

    /// How long an inactive answer is held (default 5 s): a flood of
    /// garbage tokens costs at most one request per distinct token per
    /// window, and a token the provider did not know yet is asked again
    /// soon.
    #[must_use]
    pub fn with_negative_cache_max_age(mut self, max_age: Duration) -> Self {
        self.negative_max_age = max_age;
        self
    }

    /// The longest an introspection request may take (default 5 s); past
    /// it the call is `UNAVAILABLE`.
    #[must_use]
    pub fn with_timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// Adds an async check on the active token's claims (the introspection
    /// response), run on every request, cached or not; as
    /// [`JwtVerifier::add_check`].
    #[must_use]
    pub fn add_check<F, Fut>(mut self, check: F) -> Self
    where
        F: Fn(&Value) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Result<(), AuthError>> + Send + 'static,
    {
        self.checks
            .push(Arc::new(move |claims| Box::pin(check(claims))));
        self
    }

    /// One introspection request: the provider's answer, or why there is
    /// none (never the body).
    async fn introspect(&self, token: &str) -> Result<Answer, ProviderError> {
        let url = self
            .endpoint
            .url(&self.http, DiscoveryDocument::introspection_endpoint)
            .await?;
        // RFC 6749 §2.3.1: the id and secret form-encoded, then Basic.
        let encode =
            |s: &str| url::form_urlencoded::byte_serialize(s.as_bytes()).collect::<String>();
        let credentials = base64::engine::general_purpose::STANDARD.encode(format!(
            "{}:{}",
            encode(&self.client_id),
            encode(&self.client_secret)
        ));
        let body = url::form_urlencoded::Serializer::new(String::new())
            .append_pair("token", token)
            .append_pair("token_type_hint", "access_token")
            .finish();
        let mut authorization = ::http::HeaderValue::from_str(&format!("Basic {credentials}"))
            .map_err(|_| ProviderError::InvalidDocument {
                what: "the client id or secret cannot be sent in a header".into(),
            })?;
        authorization.set_sensitive(true);
        let request = ::http::Request::post(url.as_str())
            .header(::http::header::AUTHORIZATION, authorization)
            .header(
                ::http::header::CONTENT_TYPE,
                "application/x-www-form-urlencoded",
            )
            .header(::http::header::ACCEPT, "application/json")
            .body(body.into_bytes())
            .map_err(|_| ProviderError::InvalidUrl {
                url: url.to_string(),
            })?;
        let response = match tokio::time::timeout(self.timeout, self.http.send(request)).await {
            Ok(response) => response?,
            Err(_) => return Err(crate::oidc::RequestError::timeout().into()),
        };
        if !response.status.is_success() {
            return Err(ProviderError::Status {
                status: response.status.as_u16(),
            });
        }
        let not_an_answer = || ProviderError::InvalidDocument {
            what: "not an introspection response (an object with a boolean `active`)".into(),
        };
        let answer: Value = serde_json::from_slice(&response.body).map_err(|_| not_an_answer())?;
        match answer.get("active").and_then(Value::as_bool) {
            Some(true) if answer.is_object() => Ok(Answer::Active(Arc::new(prepare(
                answer,
                self.issuer.as_deref(),
                self.audiences.as_deref(),
            )))),
            Some(false) => Ok(Answer::Inactive),
            _ => Err(not_an_answer()),
        }
    }

    /// The answer for `token`: held, or asked once however many requests
    /// wait for it.
    /// The cache's key for `token`.
    fn digest(&self, token: &str) -> Digest {
        self.digest_key.hash(token.as_bytes()).as_bytes()
    }

    /// The cached answer for the token of digest `key`, if one is held and
    /// still fresh.
    #[inline]
    fn held(&self, key: &Digest) -> Option<Answer> {
        self.cache
            .lock()
            .ok()
            .and_then(|mut c| c.get(key, Instant::now()))
    }
    async fn answer(&self, token: &str) -> Result<Answer, Rejection> {
        let key = self.digest(token);
        let held = self.held(&key);
        crate::observe::cache(crate::observe::Cache::Introspection, held.is_some());
        if let Some(answer) = held {
            return Ok(answer);
        }
        let flight: Flight = {
            let mut in_flight = self.in_flight.lock().unwrap_or_else(|p| p.into_inner());
            in_flight.entry(key).or_default().clone()
        };
        let result = flight
            .get_or_init(|| async {
                let result = self.introspect(token).await.map_err(Arc::new);
                if let Ok(answer) = &result {
                    self.remember(key, answer.clone());
                }
                result
            })
            .await
            .clone();
        // The flight is over: the next request reads the cache (or asks
        // again after an error, which is never cached).
        if let Ok(mut in_flight) = self.in_flight.lock()
            && in_flight.get(&key).is_some_and(|f| Arc::ptr_eq(f, &flight))
        {
            in_flight.remove(&key);
        }
        result.map_err(|err| {
            tracing::warn!(error = %err, "auth-error: token introspection failed; the call is answered UNAVAILABLE");
            Rejection::unavailable_for(SharedError(err), Duration::from_secs(1))
        })
    }

    fn remember(&self, key: Digest, answer: Answer) {
        let now = Instant::now();
        let max_age = match &answer {
            Answer::Inactive => self.negative_max_age,
            Answer::Active(active) => {
                let left = active
                    .exp
                    .map(|exp| exp.duration_since(SystemTime::now()).unwrap_or_default());
                left.map_or(self.cache_max_age, |left| left.min(self.cache_max_age))
            }
        };
        let until = now.checked_add(max_age).unwrap_or(now);
        if let Ok(mut cache) = self.cache.lock() {
            cache.insert(key, answer, until);
        }
    }
}

/// A provider error shared by every request of one flight.
#[derive(Debug)]
struct SharedError(Arc<ProviderError>);

impl std::fmt::Display for SharedError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        std::fmt::Display::fmt(&self.0, f)
    }
}

impl std::error::Error for SharedError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        Some(self.0.as_ref())
    }
}

/// A NumericDate (seconds since the epoch, finite) as a time, once per
/// answer: negative is the epoch, and beyond 2^40 s (some 34,000 years) is
/// 2^40 s, so a huge `nbf` stays ahead and a huge `exp` never comes.
fn time_of(secs: f64) -> SystemTime {
    const FAR: Duration = Duration::from_secs(1 << 40);
    let since = Duration::try_from_secs_f64(secs.max(0.0)).map_or(FAR, |d| d.min(FAR));
    UNIX_EPOCH.checked_add(since).unwrap_or(UNIX_EPOCH)
}

/// An active answer decided as far as time allows: the issuer and the
/// audience (refused for good), the scopes (one string, split on U+0020,
/// RFC 7662), `acr` and `auth_time` passed on; `exp` and `nbf` kept.
fn prepare(claims: Value, issuer: Option<&str>, audiences: Option<&[String]>) -> Active {
    use AuthErrorCode as C;
    let number = |name: &str| {
        claims
            .get(name)
            .and_then(Value::as_f64)
            .filter(|n| n.is_finite())
    };
    let (exp, nbf) = (number("exp").map(time_of), number("nbf").map(time_of));
    let jti = claims.get("jti").and_then(Value::as_str).map(str::to_owned);
    let refused = |err: AuthError| Active {
        decided: Err(err),
        exp,
        nbf,
        jti: jti.clone(),
    };
    if let Some(expected) = issuer
        && let Some(iss) = claims.get("iss")
        && iss.as_str() != Some(expected)
    {
        return refused(AuthError::new(C::AuthFailedInvalidIssuer).with_issuer(expected));
    }
    if let Some(accepted) = audiences {
        let fits = |aud: &Value| {
            aud.as_str()
                .is_some_and(|a| accepted.iter().any(|x| x == a))
        };
        match claims.get("aud") {
            None | Some(Value::Null) => {
                return refused(
                    AuthError::new(C::MissingRequiredClaims).with_missing_claims(["aud"]),
                );
            }
            Some(Value::Array(items)) if items.iter().any(fits) => {}
            Some(one) if fits(one) => {}
            Some(_) => {
                let mut shown: Vec<&str> = accepted.iter().map(String::as_str).collect();
                shown.sort_unstable();
                return refused(AuthError::new(C::AuthFailedInvalidAudience).with_audiences(shown));
            }
        }
    }
    let scopes = claims
        .get("scope")
        .and_then(Value::as_str)
        .map(|s| {
            s.split(' ')
                .filter(|scope| !scope.is_empty())
                .map(str::to_owned)
                .collect()
        })
        .unwrap_or_default();
    let acr = claims.get("acr").and_then(Value::as_str).map(str::to_owned);
    // RFC 7662 §2.2 passes `cnf` through (RFC 8705 §3.2, RFC 9449 §6.2):
    // the layer checks the binding on every request, hit or miss.
    let confirmation = claims
        .get("cnf")
        .map(crate::server::Confirmation::from_json);
    let auth_time = number("auth_time")
        .and_then(|secs| Duration::try_from_secs_f64(secs).ok())
        .and_then(|since| UNIX_EPOCH.checked_add(since));
    let mut verified = Verified::new(claims, scopes);
    if let Some(acr) = acr {
        verified = verified.with_acr(acr);
    }
    if let Some(at) = auth_time {
        verified = verified.with_auth_time(at);
    }
    if let Some(jti) = &jti {
        verified = verified.with_token_id(jti.as_str());
    }
    if let Some(confirmation) = confirmation {
        verified = verified.with_confirmation(confirmation);
    }
    Active {
        decided: Ok(verified),
        exp,
        nbf,
        jti,
    }
}

/// The verified token of an active answer at `now`, or its refusal: the
/// times first (`exp` now or past, `nbf` ahead), then what was decided.
fn at(active: &Active, now: SystemTime) -> Result<Verified<Value>, Rejection> {
    use AuthErrorCode as C;
    if let Some(exp) = active.exp
        && exp <= now
    {
        let mut err = AuthError::new(C::TokenExpired).with_token_expiry(exp);
        if let Some(jti) = &active.jti {
            err = err.with_token_id(jti.as_str());
        }
        return Err(err.into());
    }
    if active.nbf.is_some_and(|nbf| nbf > now) {
        return Err(AuthError::new(C::TokenNotActive).into());
    }
    active.decided.clone().map_err(Rejection::Auth)
}

/// The verdict of an answer now, before the verifier's own checks.
#[inline]
fn verdict(answer: Answer) -> Result<Verified<Value>, Rejection> {
    match answer {
        Answer::Inactive => Err(AuthError::new(AuthErrorCode::AuthFailedInvalidBearerToken)
            .with_message("the identity provider says the token is not active")
            .into()),
        Answer::Active(active) => at(&active, SystemTime::now()),
    }
}

impl TokenVerifier for IntrospectionVerifier {
    type Claims = Value;

    async fn verify(&self, token: &str) -> Result<Verified<Value>, Rejection> {
        let verified = verdict(self.answer(token).await?)?;
        for check in &self.checks {
            check(verified.claims()).await?;
        }
        Ok(verified)
    }

    /// A cache hit, when the verifier has no [`add_check`](IntrospectionVerifier::add_check)
    /// (those are asynchronous): the same verdict as [`verify`](TokenVerifier::verify),
    /// the time checks made now.
    fn verify_now(&self, token: &str) -> Option<Result<Verified<Value>, Rejection>> {
        if !self.checks.is_empty() {
            return None;
        }
        let answer = self.held(&self.digest(token))?;
        crate::observe::cache(crate::observe::Cache::Introspection, true);
        Some(verdict(answer))
    }
}

/// One [`TokenVerifier`] for a provider that issues both JWT and opaque
/// access tokens: a token shaped like a compact JWS (three base64url
/// segments, the first a JSON object with `alg`) goes to the
/// [`JwtVerifier`], any other to the [`IntrospectionVerifier`].
///
/// ```
/// use auth_error::jwt::{IntrospectionVerifier, JwtOrIntrospection, JwtVerifier};
/// use jsonwebtoken::{Algorithm, Validation};
/// let jwt = JwtVerifier::from_issuer("https://id.example.com", Validation::new(Algorithm::RS256))?;
/// let opaque = IntrospectionVerifier::from_issuer("https://id.example.com", "api", "secret")?;
/// let verifier = JwtOrIntrospection::new(jwt, opaque);
/// # drop(verifier);
/// # Ok::<(), auth_error::oidc::ProviderError>(())
/// ```
#[derive(Debug)]
pub struct JwtOrIntrospection {
    jwt: JwtVerifier,
    introspection: IntrospectionVerifier,
}

impl JwtOrIntrospection {
    /// JWTs to `jwt`, other tokens to `introspection`.
    pub fn new(jwt: JwtVerifier, introspection: IntrospectionVerifier) -> Self {
        JwtOrIntrospection { jwt, introspection }
    }
}

/// Whether `token` is shaped like a compact JWS: three segments, the first
/// base64url of a JSON object with an `alg`.
fn is_jws(token: &str) -> bool {
    let mut segments = token.split('.');
    let (Some(header), Some(_), Some(_), None) = (
        segments.next(),
        segments.next(),
        segments.next(),
        segments.next(),
    ) else {
        return false;
    };
    base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(header)
        .ok()
        .and_then(|json| serde_json::from_slice::<Value>(&json).ok())
        .is_some_and(|h| h.get("alg").is_some())
}

impl TokenVerifier for JwtOrIntrospection {
    type Claims = Value;

    async fn verify(&self, token: &str) -> Result<Verified<Value>, Rejection> {
        match is_jws(token) {
            true => self.jwt.verify(token).await,
            false => self.introspection.verify(token).await,
        }
    }

    fn verify_now(&self, token: &str) -> Option<Result<Verified<Value>, Rejection>> {
        match is_jws(token) {
            true => self.jwt.verify_now(token),
            false => self.introspection.verify_now(token),
        }
    }

    fn check(&self) -> Result<(), BoxError> {
        self.jwt.check()
    }

    fn token_issuer(&self, token: &str) -> Option<String> {
        is_jws(token)
            .then(|| self.jwt.token_issuer(token))
            .flatten()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn code(result: Result<Verified<Value>, Rejection>) -> Option<AuthErrorCode> {
        match result {
            Err(Rejection::Auth(err)) => Some(err.code()),
            Ok(_) => None,
            Err(other) => panic!("{other:?}"),
        }
    }

    #[test]
    fn an_active_answer_is_refused_for_the_reasons_of_its_claims() {
        let now = 1_900_000_000.0;
        let aud = ["api".to_owned()];
        let decide = |claims: Value| {
            at(
                &prepare(claims, Some("https://id"), Some(&aud)),
                time_of(now),
            )
        };
        let good = json!({ "active": true, "iss": "https://id", "aud": "api", "exp": now + 60.0, "scope": "a b" });
        let verified = decide(good.clone()).unwrap();
        assert_eq!(verified.scopes(), ["a", "b"]);
        let with = |name: &str, value: Value| {
            let mut c = good.clone();
            c[name] = value;
            c
        };
        assert_eq!(
            code(decide(with("exp", json!(now)))),
            Some(AuthErrorCode::TokenExpired)
        );
        assert_eq!(
            code(decide(with("exp", json!(now - 0.5)))),
            Some(AuthErrorCode::TokenExpired)
        );
        assert_eq!(
            code(decide(with("nbf", json!(now + 1.0)))),
            Some(AuthErrorCode::TokenNotActive)
        );
        assert_eq!(
            code(decide(with("iss", json!("https://other")))),
            Some(AuthErrorCode::AuthFailedInvalidIssuer)
        );
        assert_eq!(
            code(decide(with("aud", json!("other")))),
            Some(AuthErrorCode::AuthFailedInvalidAudience)
        );
        assert_eq!(code(decide(with("aud", json!(["other", "api"])))), None);
        assert_eq!(
            code(decide(with("aud", Value::Null))),
            Some(AuthErrorCode::MissingRequiredClaims)
        );
        // RFC 7662 `scope`: one string, split on spaces only.
        let odd = decide(with("scope", json!("read\u{a0}admin"))).unwrap();
        assert_eq!(odd.scopes(), ["read\u{a0}admin"]);
        // Step-up claims pass through.
        let stepped = decide(with("acr", json!("urn:mfa"))).unwrap();
        assert_eq!(stepped.acr(), Some("urn:mfa"));
    }

    /// The documented defaults: active answers held 60 s at most, inactive
    /// ones 5 s, a 5 s timeout, no cache until `with_cache`.
    #[test]
    fn the_documented_introspection_defaults() {
        let verifier =
            IntrospectionVerifier::new("https://id.example.com/introspect", "c", "s").unwrap();
        assert_eq!(verifier.cache_max_age, Duration::from_secs(60));
        assert_eq!(verifier.negative_max_age, Duration::from_secs(5));
        assert_eq!(verifier.timeout, Duration::from_secs(5));
        let cache = verifier.cache.lock().unwrap();
        assert_eq!((cache.capacity, cache.negative_capacity), (0, 0));
    }

    #[test]
    fn jws_shaped_tokens_are_told_from_opaque_ones() {
        assert!(is_jws("eyJhbGciOiJFUzI1NiJ9.e30.c2ln"));
        assert!(!is_jws("eyJ0eXAiOiJKV1QifQ.e30.c2ln"), "no alg");
        assert!(!is_jws("opaque-token-value"));
        assert!(!is_jws("a.b.c.d.e"));
    }

    #[test]
    fn the_cache_bounds_each_kind_and_drops_expired_entries_first() {
        let mut cache = Cache {
            capacity: 2,
            negative_capacity: 1,
            active: DigestMap::default(),
            inactive: DigestMap::default(),
        };
        let now = Instant::now();
        let later = now + Duration::from_secs(60);
        let active = || Answer::Active(Arc::new(prepare(json!({ "active": true }), None, None)));
        cache.insert([1; 16], active(), now);
        cache.insert([2; 16], active(), later);
        cache.insert([3; 16], active(), later);
        assert_eq!(cache.active.len(), 2);
        assert!(
            !cache.active.contains_key(&[1; 16]),
            "the expired one went first"
        );
        cache.insert([4; 16], Answer::Inactive, later);
        cache.insert([5; 16], Answer::Inactive, later);
        assert_eq!(cache.inactive.len(), 1);
        assert_eq!(
            cache.active.len(),
            2,
            "inactive answers never evict active ones"
        );
        assert!(cache.get(&[9; 16], now).is_none());
    }
}
