//! A key set fetched from an identity provider (feature `oidc`): discovery,
//! a cache shared by every request, single-flight refetch on an unknown
//! `kid` at most once per cooldown, refresh in the background past the
//! maximum age, and the last good keys kept when a fetch fails.

use std::collections::{HashMap, HashSet};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, RwLock};
use std::time::Duration;

use jsonwebtoken::jwk::{Jwk, PublicKeyUse};
use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use serde_json::Value;
use tokio::time::Instant;

use super::{Key, usable_algorithms};
use crate::oidc::discovery::Metadata;
use crate::oidc::{ProviderError, http};

type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// Keys by `kid`.
type Keys = HashMap<String, Arc<Key>>;

/// What one fetch brought.
struct Fetched {
    uri: reqwest::Url,
    keys: Keys,
    max_age: Option<Duration>,
    duplicates: Vec<String>,
}

/// Where the keys come from.
#[derive(Debug)]
pub(crate) enum Source {
    /// An issuer: its discovery document names the key set.
    Issuer(String),
    /// A key set URL.
    Jwks(reqwest::Url),
}

/// What a lookup found.
pub(crate) enum Lookup {
    Found(Arc<Key>),
    /// The key set is fresh and reachable, and has no such key.
    Unknown,
    /// No key can be had: the provider cannot be reached (or never was).
    Unavailable(BoxError),
    /// The provider's configuration is wrong (issuer mismatch, insecure
    /// URL): the server's fault.
    Fault(BoxError),
}

struct State {
    keys: Arc<Keys>,
    /// The last fetch attempt.
    fetched_at: Option<Instant>,
    /// When the keys should be refreshed.
    fresh_until: Option<Instant>,
    /// The last attempt's error, if it failed.
    last_error: Option<Arc<ProviderError>>,
    jwks_uri: Option<reqwest::Url>,
    /// Duplicate kids already reported.
    reported: HashSet<String>,
}

/// The remote key set of one verifier.
pub(crate) struct RemoteKeys {
    source: Source,
    http: reqwest::Client,
    pub(crate) cooldown: Duration,
    pub(crate) max_age: Duration,
    state: RwLock<State>,
    /// Held while fetching: one fetch at a time, whoever asks.
    fetching: tokio::sync::Mutex<()>,
    refreshing: AtomicBool,
}

impl std::fmt::Debug for RemoteKeys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let kids = self.state.read().map(|s| {
            let mut kids: Vec<String> = s.keys.keys().cloned().collect();
            kids.sort();
            kids
        });
        f.debug_struct("RemoteKeys")
            .field("source", &self.source)
            .field("kids", &kids.ok())
            .field("cooldown", &self.cooldown)
            .field("max_age", &self.max_age)
            .finish_non_exhaustive()
    }
}

/// A wrapper so an `Arc<ProviderError>` is a `BoxError` with its source.
#[derive(Debug)]
struct Shared(Arc<ProviderError>);

impl std::fmt::Display for Shared {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.0.fmt(f)
    }
}

impl std::error::Error for Shared {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        self.0.source()
    }
}

fn failure(err: &Arc<ProviderError>) -> Lookup {
    let boxed: BoxError = Box::new(Shared(err.clone()));
    match err.is_transient() {
        true => Lookup::Unavailable(boxed),
        false => Lookup::Fault(boxed),
    }
}

impl RemoteKeys {
    pub(crate) fn new(source: Source) -> Result<Self, ProviderError> {
        Ok(RemoteKeys {
            source,
            http: http::client()?,
            cooldown: Duration::from_secs(30),
            max_age: Duration::from_secs(600),
            state: RwLock::new(State {
                keys: Arc::default(),
                fetched_at: None,
                fresh_until: None,
                last_error: None,
                jwks_uri: None,
                reported: HashSet::new(),
            }),
            fetching: tokio::sync::Mutex::new(()),
            refreshing: AtomicBool::new(false),
        })
    }

    /// Whether `kid` is in the keys held now (no fetch).
    pub(crate) fn holds(&self, kid: &str) -> bool {
        self.state.read().is_ok_and(|s| s.keys.contains_key(kid))
    }

    /// The key for `kid`: from the keys held, or after one fetch shared by
    /// every caller, at most once per cooldown.
    pub(crate) async fn key(self: &Arc<Self>, kid: &str, validation: &Validation) -> Lookup {
        let (found, fetched_at, stale, recent_error) = {
            let Ok(state) = self.state.read() else {
                return Lookup::Fault("key set cache poisoned".into());
            };
            let now = Instant::now();
            (
                state.keys.get(kid).cloned(),
                state.fetched_at,
                state.fresh_until.is_some_and(|t| now >= t),
                state.last_error.clone(),
            )
        };
        if let Some(key) = found {
            if stale {
                self.refresh_in_background(validation.clone());
            }
            return Lookup::Found(key);
        }
        let recent = fetched_at.is_some_and(|at| Instant::now() < at + self.cooldown);
        if recent {
            return match recent_error {
                Some(err) => failure(&err),
                None => Lookup::Unknown,
            };
        }
        let _one_fetch = self.fetching.lock().await;
        // Someone may have fetched while this call waited.
        let again = self.state.read().ok().map(|s| {
            (
                s.fetched_at != fetched_at,
                s.keys.get(kid).cloned(),
                s.last_error.clone(),
            )
        });
        match again {
            Some((true, Some(key), _)) => return Lookup::Found(key),
            Some((true, None, Some(err))) => return failure(&err),
            Some((true, None, None)) => return Lookup::Unknown,
            _ => {}
        }
        match self.fetch(validation).await {
            Ok(keys) => keys
                .get(kid)
                .cloned()
                .map_or(Lookup::Unknown, Lookup::Found),
            Err(err) => failure(&err),
        }
    }

    /// Past the maximum age: a fetch in the background, while requests go
    /// on with the keys held.
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
                let still_stale = this
                    .state
                    .read()
                    .is_ok_and(|s| s.fresh_until.is_some_and(|t| Instant::now() >= t));
                if still_stale {
                    // A failure keeps the keys; it is logged by `fetch`.
                    let _ = this.fetch(&validation).await;
                }
            }
            this.refreshing.store(false, Ordering::Release);
        });
    }

    /// One fetch (discovery first, once), recorded either way.
    async fn fetch(&self, validation: &Validation) -> Result<Arc<Keys>, Arc<ProviderError>> {
        let result = self.fetch_keys(validation).await;
        let now = Instant::now();
        let mut state = self.state.write().map_err(|_| {
            Arc::new(ProviderError::InvalidDocument {
                what: "key set cache poisoned".into(),
            })
        })?;
        state.fetched_at = Some(now);
        match result {
            Ok(Fetched {
                uri,
                keys,
                max_age,
                duplicates,
            }) => {
                for kid in duplicates {
                    if state.reported.insert(kid.clone()) {
                        tracing::error!(kid = %kid.escape_debug(), "auth-error: the key set has several keys with this kid; none of them is used");
                    }
                }
                let max_age = max_age.map_or(self.max_age, |m| m.min(self.max_age));
                state.jwks_uri = Some(uri);
                state.keys = Arc::new(keys);
                state.fresh_until = Some(now + max_age);
                state.last_error = None;
                Ok(state.keys.clone())
            }
            Err(err) => {
                tracing::warn!(error = %err, "auth-error: fetching the key set failed; the keys held are kept");
                let err = Arc::new(err);
                state.last_error = Some(err.clone());
                Err(err)
            }
        }
    }

    async fn fetch_keys(&self, validation: &Validation) -> Result<Fetched, ProviderError> {
        let known = self.state.read().ok().and_then(|s| s.jwks_uri.clone());
        let uri = match (known, &self.source) {
            (Some(uri), _) => uri,
            (None, Source::Jwks(uri)) => uri.clone(),
            (None, Source::Issuer(issuer)) => {
                Metadata::fetch(&self.http, issuer).await?.jwks_uri()?
            }
        };
        let (document, response): (Value, _) = http::get_json(&self.http, &uri).await?;
        let (keys, duplicates) = parse_key_set(&document, validation)?;
        Ok(Fetched {
            uri,
            keys,
            max_age: response.max_age(),
            duplicates,
        })
    }
}

/// The usable keys of a JWKS document, by `kid`, and the kids that appear
/// more than once (left out: which one is meant cannot be told). A key
/// without `kid`, for encryption, of a type or with parameters jsonwebtoken
/// cannot use, or that no algorithm of the validation fits, is skipped, not
/// the whole set.
pub(crate) fn parse_key_set(
    document: &Value,
    validation: &Validation,
) -> Result<(Keys, Vec<String>), ProviderError> {
    let entries = document
        .get("keys")
        .and_then(Value::as_array)
        .ok_or_else(|| ProviderError::InvalidDocument {
            what: "no `keys` array".into(),
        })?;
    let mut keys = HashMap::new();
    let mut seen = HashSet::new();
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
        if matches!(jwk.common.public_key_use, Some(PublicKeyUse::Encryption)) {
            continue;
        }
        let Ok(key) = DecodingKey::from_jwk(&jwk) else {
            continue;
        };
        let declared = jwk
            .common
            .key_algorithm
            .and_then(|a| a.to_string().parse::<Algorithm>().ok());
        let algorithms = usable_algorithms(&key, &validation.algorithms, declared);
        if !algorithms.is_empty() {
            keys.insert(kid.to_owned(), Arc::new(Key { key, algorithms }));
        }
    }
    for kid in &duplicates {
        keys.remove(kid);
    }
    duplicates.sort();
    duplicates.dedup();
    Ok((keys, duplicates))
}

#[cfg(all(test, feature = "jwt-rust-crypto"))]
mod tests {
    use super::*;
    use jsonwebtoken::EncodingKey;
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
            jwk(Some("twice")),
            jwk(Some("twice")),
            42,
        ]});
        let (keys, duplicates) = parse_key_set(&document, &validation).unwrap();
        let mut kids: Vec<&str> = keys.keys().map(String::as_str).collect();
        kids.sort_unstable();
        assert_eq!(kids, ["declared", "good"]);
        assert_eq!(duplicates, ["twice"]);
        // A P-256 key verifies ES256 only; a declared `alg` is the only one.
        assert_eq!(keys["good"].algorithms, [Algorithm::ES256]);
        assert_eq!(keys["declared"].algorithms, [Algorithm::ES256]);
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
