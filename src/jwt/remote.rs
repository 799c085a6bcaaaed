//! A key set fetched from an identity provider (feature `oidc`): discovery,
//! a cache shared by every request, single-flight refetch on an unknown
//! `kid` at most once per cooldown, refresh in the background past the
//! maximum age, and the last good keys kept when a fetch fails.

use std::collections::{HashMap, HashSet};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, PoisonError, RwLock};
use std::time::Duration;

use jsonwebtoken::jwk::Jwk;
use jsonwebtoken::{DecodingKey, Validation};
use serde_json::Value;
use tokio::time::Instant;

use super::{Key, Unusable, short_hmac_key, signature_algorithm, usable_algorithms};
use crate::oidc::discovery::DiscoveryDocument;
use crate::oidc::{ProviderError, client};
use crate::time::saturating_add;

use crate::BoxError;

/// Keys by `kid`.
type Keys = HashMap<String, Arc<Key>>;

/// What one fetch brought.
struct Fetched {
    uri: url::Url,
    keys: Keys,
    max_age: Option<Duration>,
    /// Kids left out, and why (reported once each).
    skipped: Vec<Skipped>,
}

/// A kid left out of a key set, and why.
type Skipped = (String, &'static str);

/// Where the keys come from.
#[derive(Debug)]
pub(crate) enum Source {
    /// An issuer: its discovery document names the key set.
    Issuer(String),
    /// A key set URL.
    Jwks(url::Url),
}

/// What a lookup found.
pub(crate) enum Lookup {
    Found(Arc<Key>),
    /// A fetch made for this lookup (or while it waited for one) found no
    /// such key.
    Unknown,
    /// Not in the keys held, and no fetch may start before the cooldown
    /// ends (in this long): the keys may simply be older than the token.
    CoolingDown(Duration),
    /// No key can be had: the provider cannot be reached (or never was);
    /// the next attempt is in this long.
    Unavailable(BoxError, Duration),
    /// The provider's configuration is wrong (issuer mismatch, insecure
    /// URL): the server's fault.
    Fault(BoxError),
}

struct State {
    keys: Arc<Keys>,
    /// The last fetch attempt.
    fetched_at: Option<Instant>,
    /// No fetch, foreground or background, before this instant: the
    /// cooldown after a success, a growing back-off after failures.
    next_fetch: Option<Instant>,
    /// When the keys should be refreshed.
    fresh_until: Option<Instant>,
    /// The last attempt's error, if it failed.
    last_error: Option<Arc<ProviderError>>,
    /// Failed attempts in a row.
    failures: u32,
    jwks_uri: Option<url::Url>,
    /// Duplicate kids and unusable keys already reported.
    reported: HashSet<String>,
}

impl State {
    /// Whether a fetch may start at `now`, or how long until one may.
    fn wait(&self, now: Instant) -> Option<Duration> {
        self.next_fetch
            .map(|t| t.saturating_duration_since(now))
            .filter(|d| !d.is_zero())
    }
}

/// The remote key set of one verifier.
pub(crate) struct RemoteKeys {
    source: Source,
    http: client::Client,
    pub(crate) cooldown: Duration,
    pub(crate) max_age: Duration,
    state: RwLock<State>,
    /// Held while fetching: one fetch at a time, whoever asks.
    fetching: tokio::sync::Mutex<()>,
    refreshing: AtomicBool,
}

impl std::fmt::Debug for RemoteKeys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let mut kids: Vec<String> = self.read().keys.keys().cloned().collect();
        kids.sort();
        f.debug_struct("RemoteKeys")
            .field("source", &self.source)
            .field("kids", &kids)
            .field("cooldown", &self.cooldown)
            .field("max_age", &self.max_age)
            .finish_non_exhaustive()
    }
}

/// A wrapper so an `Arc<ProviderError>` is a `BoxError` with its source.
#[derive(Debug)]
struct SharedError(Arc<ProviderError>);

impl std::fmt::Display for SharedError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.0.fmt(f)
    }
}

impl std::error::Error for SharedError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        self.0.source()
    }
}

/// The cooldown or back-off still to wait, as the client's retry delay: at
/// least a second (`Retry-After` counts whole seconds).
fn retry_delay(wait: Option<Duration>) -> Duration {
    let wait = wait.unwrap_or_default();
    let secs = wait
        .as_secs()
        .saturating_add(u64::from(wait.subsec_nanos() > 0));
    Duration::from_secs(secs.max(1))
}

fn failure(err: &Arc<ProviderError>, wait: Option<Duration>) -> Lookup {
    let boxed: BoxError = Box::new(SharedError(err.clone()));
    match err.is_transient() {
        true => Lookup::Unavailable(boxed, retry_delay(wait)),
        false => Lookup::Fault(boxed),
    }
}

/// Back-off after `failures` failed fetches in a row: the cooldown, doubled
/// per further failure, at most 32 cooldowns (and never less than the
/// cooldown).
fn back_off(cooldown: Duration, failures: u32) -> Duration {
    let doublings = failures.saturating_sub(1).min(5);
    cooldown.saturating_mul(1 << doublings)
}

impl RemoteKeys {
    pub(crate) fn new(source: Source) -> Result<Self, ProviderError> {
        Ok(RemoteKeys {
            source,
            http: client::Client::new()?,
            cooldown: Duration::from_secs(30),
            max_age: Duration::from_secs(600),
            state: RwLock::new(State {
                keys: Arc::default(),
                fetched_at: None,
                next_fetch: None,
                fresh_until: None,
                last_error: None,
                failures: 0,
                jwks_uri: None,
                reported: HashSet::new(),
            }),
            fetching: tokio::sync::Mutex::new(()),
            refreshing: AtomicBool::new(false),
        })
    }

    /// The state, read. Every write replaces whole fields, so the state a
    /// panicking writer left behind is still consistent: a poisoned lock is
    /// used as it is, never a permanent failure.
    fn read(&self) -> std::sync::RwLockReadGuard<'_, State> {
        self.state.read().unwrap_or_else(PoisonError::into_inner)
    }

    fn write(&self) -> std::sync::RwLockWriteGuard<'_, State> {
        self.state.write().unwrap_or_else(PoisonError::into_inner)
    }

    /// The key for `kid` if it is held (no fetch; one read of the state),
    /// starting a background refresh when the keys are past their age.
    pub(crate) fn held(self: &Arc<Self>, kid: &str, validation: &Validation) -> Option<Arc<Key>> {
        let now = Instant::now();
        let (key, refresh) = {
            let state = self.read();
            let key = state.keys.get(kid)?.clone();
            let stale = state.fresh_until.is_some_and(|t| now >= t);
            (key, stale && state.wait(now).is_none())
        };
        if refresh {
            self.refresh_in_background(validation.clone());
        }
        Some(key)
    }

    /// Whether `key` is still the key held for `kid` (a key rotated out of
    /// the set no longer vouches for the tokens it verified).
    pub(crate) fn still_holds(&self, kid: &str, key: &Arc<Key>) -> bool {
        self.read()
            .keys
            .get(kid)
            .is_some_and(|held| Arc::ptr_eq(held, key))
    }

    /// The key for `kid`: from the keys held, or after one fetch shared by
    /// every caller. No fetch starts before the cooldown (or the back-off
    /// after failures) has passed: an unknown `kid` inside it is
    /// [`Lookup::CoolingDown`], since the provider may have rotated since.
    pub(crate) async fn key(self: &Arc<Self>, kid: &str, validation: &Validation) -> Lookup {
        // `held` answered for a key already in the set (and started a due
        // refresh); here the key was not held a moment ago.
        let now = Instant::now();
        let (found, fetched_at, wait, recent_error) = {
            let state = self.read();
            (
                state.keys.get(kid).cloned(),
                state.fetched_at,
                state.wait(now),
                state.last_error.clone(),
            )
        };
        if let Some(key) = found {
            return Lookup::Found(key);
        }
        if wait.is_some() {
            return match recent_error {
                Some(err) => failure(&err, wait),
                None => Lookup::CoolingDown(retry_delay(wait)),
            };
        }
        let _one_fetch = self.fetching.lock().await;
        // Someone may have fetched while this call waited: their answer is
        // this call's too.
        {
            let state = self.read();
            if state.fetched_at != fetched_at {
                return match (state.keys.get(kid), &state.last_error) {
                    (Some(key), _) => Lookup::Found(key.clone()),
                    (None, Some(err)) => failure(err, state.wait(Instant::now())),
                    (None, None) => Lookup::Unknown,
                };
            }
        }
        match self.fetch(validation).await {
            Ok(keys) => keys
                .get(kid)
                .cloned()
                .map_or(Lookup::Unknown, Lookup::Found),
            Err(err) => failure(&err, self.read().wait(Instant::now())),
        }
    }

    /// Past the maximum age: a fetch in the background, while requests go
    /// on with the keys held. Subject to the cooldown and back-off like
    /// every fetch.
    fn refresh_in_background(self: &Arc<Self>, validation: Validation) {
        if self.refreshing.swap(true, Ordering::AcqRel) {
            return;
        }
        let Ok(runtime) = tokio::runtime::Handle::try_current() else {
            self.refreshing.store(false, Ordering::Release);
            return;
        };
        let this = self.clone();
        runtime.spawn(async move {
            {
                let _one_fetch = this.fetching.lock().await;
                let due = {
                    let now = Instant::now();
                    let state = this.read();
                    state.fresh_until.is_some_and(|t| now >= t) && state.wait(now).is_none()
                };
                if due {
                    // A failure keeps the keys; it is logged by `fetch`.
                    let _ = this.fetch(&validation).await;
                }
            }
            this.refreshing.store(false, Ordering::Release);
        });
    }

    /// One fetch (discovery first, once), recorded either way: a success
    /// opens the cooldown, a failure the back-off.
    async fn fetch(&self, validation: &Validation) -> Result<Arc<Keys>, Arc<ProviderError>> {
        let result = self.fetch_keys(validation).await;
        let now = Instant::now();
        let mut state = self.write();
        state.fetched_at = Some(now);
        match result {
            Ok(Fetched {
                uri,
                keys,
                max_age,
                skipped,
            }) => {
                for (kid, why) in skipped {
                    if state.reported.insert(kid.clone()) {
                        tracing::error!(kid = %kid.escape_debug(), "auth-error: a key of the key set is not used: {why}");
                    }
                }
                // A provider max-age shorter than the cooldown counts as the
                // cooldown: no fetch starts before `next_fetch` anyway.
                let max_age = max_age.map_or(self.max_age, |m| m.min(self.max_age));
                state.jwks_uri = Some(uri);
                state.keys = Arc::new(keys);
                state.fresh_until = Some(saturating_add(now, max_age, Instant::checked_add));
                state.next_fetch = Some(saturating_add(now, self.cooldown, Instant::checked_add));
                state.last_error = None;
                state.failures = 0;
                crate::observe::jwks_fetch(true, Some(state.keys.len()));
                tracing::info!(keys = state.keys.len(), "auth-error: key set fetched");
                Ok(state.keys.clone())
            }
            Err(err) => {
                tracing::warn!(error = %err, "auth-error: fetching the key set failed; the keys held are kept");
                crate::observe::jwks_fetch(false, None);
                let err = Arc::new(err);
                state.failures = state.failures.saturating_add(1);
                state.next_fetch = Some(saturating_add(
                    now,
                    back_off(self.cooldown, state.failures),
                    Instant::checked_add,
                ));
                state.last_error = Some(err.clone());
                Err(err)
            }
        }
    }

    async fn fetch_keys(&self, validation: &Validation) -> Result<Fetched, ProviderError> {
        let known = self.read().jwks_uri.clone();
        let uri = match (known, &self.source) {
            (Some(uri), _) => uri,
            (None, Source::Jwks(uri)) => uri.clone(),
            (None, Source::Issuer(issuer)) => DiscoveryDocument::fetch(&self.http, issuer)
                .await?
                .jwks_uri()?,
        };
        let (document, response): (Value, _) = self.http.get_json(&uri).await?;
        let (keys, skipped) = parse_key_set(&document, validation)?;
        Ok(Fetched {
            uri,
            keys,
            max_age: response.max_age(),
            skipped,
        })
    }
}

/// The usable keys of a JWKS document, by `kid`, and the kids left out
/// with the reason (to log): a kid that appears more than once (which one
/// is meant cannot be told), or a declared `alg` that is not a signature
/// algorithm this crate verifies. Keys for encryption (`use: enc`, `key_ops`
/// without `verify`), without `kid`, of a type or with parameters
/// jsonwebtoken cannot use, or that no algorithm of the validation fits are
/// skipped quietly; never the whole set.
pub(crate) fn parse_key_set(
    document: &Value,
    validation: &Validation,
) -> Result<(Keys, Vec<Skipped>), ProviderError> {
    let entries = document
        .get("keys")
        .and_then(Value::as_array)
        .ok_or_else(|| ProviderError::InvalidDocument {
            what: "no `keys` array".into(),
        })?;
    let mut keys = HashMap::new();
    let mut seen = HashSet::new();
    let mut skipped = Vec::new();
    let mut duplicates = Vec::new();
    for entry in entries {
        let Some(kid) = entry.get("kid").and_then(Value::as_str) else {
            continue;
        };
        if !seen.insert(kid.to_owned()) {
            duplicates.push(kid.to_owned());
            continue;
        }
        let Ok(jwk) = serde_json::from_value::<Jwk>(entry.clone()) else {
            continue;
        };
        let declared = match signature_algorithm(&jwk) {
            Ok(declared) => declared,
            // A key for encryption is normal in a key set: left out quietly.
            Err(Unusable::Encryption(_)) => continue,
            Err(unusable @ (Unusable::Algorithm | Unusable::Mismatch)) => {
                skipped.push((kid.to_owned(), unusable.why()));
                continue;
            }
        };
        let Ok(key) = DecodingKey::from_jwk(&jwk) else {
            continue;
        };
        if short_hmac_key(&key, &validation.algorithms).is_some() {
            skipped.push((
                kid.to_owned(),
                "it is an HMAC key shorter than RFC 7518 §3.2 requires (32 bytes for HS256, 48 for HS384, 64 for HS512)",
            ));
            continue;
        }
        let algorithms = usable_algorithms(&key, &validation.algorithms, declared);
        if !algorithms.is_empty() {
            keys.insert(kid.to_owned(), Arc::new(Key { key, algorithms }));
        }
    }
    duplicates.sort();
    duplicates.dedup();
    for kid in duplicates {
        keys.remove(&kid);
        skipped.push((kid, "several keys have this kid; none of them is used"));
    }
    Ok((keys, skipped))
}

#[cfg(all(test, any(feature = "jwt-aws-lc", feature = "jwt-rust-crypto")))]
mod tests {
    use super::*;
    use jsonwebtoken::{Algorithm, EncodingKey};
    use serde_json::json;

    /// The public JWK of a test key, as a provider would publish it.
    fn jwk(kid: Option<&str>) -> Value {
        let pem = include_bytes!("../../tests/data/keys/es256-a.pem");
        let key = EncodingKey::from_ec_pem(pem).unwrap();
        let mut jwk =
            serde_json::to_value(Jwk::from_encoding_key(&key, Algorithm::ES256).unwrap()).unwrap();
        let object = jwk.as_object_mut().unwrap();
        object.remove("alg");
        object.remove("kid");
        if let Some(kid) = kid {
            object.insert("kid".into(), json!(kid));
        }
        jwk
    }

    fn with(mut jwk: Value, field: &str, value: Value) -> Value {
        jwk[field] = value;
        jwk
    }

    #[test]
    fn unusable_keys_are_skipped_not_the_whole_set() {
        let mut validation = Validation::new(Algorithm::ES256);
        validation.algorithms = vec![Algorithm::ES256, Algorithm::ES384];
        let document = json!({"keys": [
            jwk(Some("good")),
            jwk(None),
            with(jwk(Some("enc")), "use", json!("enc")),
            json!({"kty": "oct-unknown", "kid": "weird"}),
            json!({"kty": "EC", "kid": "broken", "crv": "P-256", "x": "AA", "y": "AA"}),
            with(jwk(Some("declared")), "alg", json!("ES256")),
            with(jwk(Some("wrong-alg")), "alg", json!("RS256")),
            with(jwk(Some("ecdh")), "alg", json!("ECDH-ES")),
            with(jwk(Some("oaep")), "alg", json!("RSA-OAEP")),
            with(jwk(Some("es512")), "alg", json!("ES512")),
            with(jwk(Some("ops-enc")), "key_ops", json!(["encrypt"])),
            with(jwk(Some("ops-verify")), "key_ops", json!(["verify"])),
            jwk(Some("twice")),
            jwk(Some("twice")),
            42,
        ]});
        let (keys, skipped) = parse_key_set(&document, &validation).unwrap();
        let mut kids: Vec<&str> = keys.keys().map(String::as_str).collect();
        kids.sort_unstable();
        // aws-lc-rs parses an EC point only when it verifies a signature, so
        // the probe cannot tell that `broken` is not on the curve: it is
        // kept, and every token naming it fails its signature check (the
        // token's fault). RustCrypto refuses it up front.
        #[cfg(feature = "jwt-aws-lc")]
        assert_eq!(kids, ["broken", "declared", "good", "ops-verify"]);
        #[cfg(not(feature = "jwt-aws-lc"))]
        assert_eq!(kids, ["declared", "good", "ops-verify"]);
        let skipped: Vec<&str> = skipped.iter().map(|(kid, _)| kid.as_str()).collect();
        assert_eq!(skipped, ["wrong-alg", "ecdh", "oaep", "es512", "twice"]);
        // A P-256 key verifies ES256 only; a declared `alg` is the only one.
        assert_eq!(keys["good"].algorithms, [Algorithm::ES256]);
        assert_eq!(keys["declared"].algorithms, [Algorithm::ES256]);
    }

    #[test]
    fn the_retry_delay_is_the_wait_rounded_up_to_whole_seconds_and_at_least_one() {
        assert_eq!(retry_delay(None), Duration::from_secs(1));
        assert_eq!(retry_delay(Some(Duration::ZERO)), Duration::from_secs(1));
        assert_eq!(
            retry_delay(Some(Duration::from_secs(2))),
            Duration::from_secs(2)
        );
        assert_eq!(
            retry_delay(Some(Duration::from_millis(1500))),
            Duration::from_secs(2)
        );
        assert_eq!(
            retry_delay(Some(Duration::MAX)),
            Duration::from_secs(u64::MAX)
        );
    }

    /// What a failed fetch reports keeps the transport error as its source
    /// (a connection refused on a port nothing listens on).
    #[tokio::test]
    async fn a_shared_provider_error_keeps_its_source() {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let url = url::Url::parse(&format!("http://{}/", listener.local_addr().unwrap())).unwrap();
        drop(listener);
        let err = client::Client::new()
            .unwrap()
            .get_json::<Value>(&url)
            .await
            .err()
            .expect("nothing listens");
        assert!(matches!(err, ProviderError::Request(_)), "{err:?}");
        let shared = SharedError(Arc::new(err));
        assert!(std::error::Error::source(&shared).is_some());
    }

    /// An HMAC key in a remote key set shorter than RFC 7518 §3.2 allows
    /// is skipped with its reason (logged once), never used.
    #[test]
    fn a_short_hmac_key_in_a_key_set_is_skipped_with_its_reason() {
        let validation = Validation::new(Algorithm::HS256);
        let long = "QUJDREVGR0hJSktMTU5PUFFSU1RVVldYWVphYmNkZWY"; // 32 bytes
        let document = json!({"keys": [
            {"kty": "oct", "kid": "empty", "k": ""},
            {"kty": "oct", "kid": "short", "k": "YWJj"},
            {"kty": "oct", "kid": "long", "k": long},
        ]});
        let (keys, skipped) = parse_key_set(&document, &validation).unwrap();
        assert_eq!(keys.keys().collect::<Vec<_>>(), ["long"]);
        let skipped: Vec<&str> = skipped.iter().map(|(kid, _)| kid.as_str()).collect();
        assert_eq!(skipped, ["empty", "short"]);
    }

    /// The back-off after failed fetches: the cooldown, then twice it, four
    /// times, … up to 32 cooldowns; a success resets it. Read from the
    /// state the fetches leave (a provider that refuses connections).
    #[tokio::test]
    async fn the_failure_back_off_doubles_up_to_32_cooldowns() {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let url =
            url::Url::parse(&format!("http://{}/jwks", listener.local_addr().unwrap())).unwrap();
        drop(listener);
        let mut remote = RemoteKeys::new(Source::Jwks(url)).unwrap();
        remote.cooldown = Duration::from_secs(10);
        let validation = Validation::new(Algorithm::ES256);
        let mut waits = Vec::new();
        for _ in 0..8 {
            assert!(remote.fetch(&validation).await.is_err());
            let state = remote.read();
            let wait = state.next_fetch.unwrap() - state.fetched_at.unwrap();
            waits.push(wait.as_secs());
        }
        assert_eq!(waits, [10, 20, 40, 80, 160, 320, 320, 320]);
        assert_eq!(
            back_off(Duration::from_secs(10), u32::MAX),
            Duration::from_secs(320)
        );
    }

    /// The documented key-set defaults: a 30 s cooldown for unknown kids,
    /// a 10 min max age, back-off capped at 32 cooldowns.
    #[test]
    fn the_documented_key_set_defaults() {
        let url = url::Url::parse("https://id.example.com/jwks").unwrap();
        let remote = RemoteKeys::new(Source::Jwks(url)).unwrap();
        assert_eq!(remote.cooldown, Duration::from_secs(30));
        assert_eq!(remote.max_age, Duration::from_secs(600));
        assert_eq!(back_off(remote.cooldown, 100), remote.cooldown * 32);
    }

    #[test]
    fn a_document_without_keys_is_an_error() {
        let validation = Validation::new(Algorithm::ES256);
        for document in [json!({}), json!({"keys": {}}), json!([1, 2])] {
            assert!(matches!(
                parse_key_set(&document, &validation),
                Err(ProviderError::InvalidDocument { .. })
            ));
        }
        let (keys, _) = parse_key_set(&json!({"keys": []}), &validation).unwrap();
        assert!(keys.is_empty());
    }
}
