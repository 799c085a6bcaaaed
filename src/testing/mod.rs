//! A test identity provider in the box (feature `testing`; a
//! dev-dependency): [`TestIssuer`] serves, on `127.0.0.1` and a port of its
//! own, what [`JwtVerifier::from_issuer`](crate::jwt::JwtVerifier::from_issuer)
//! and [`ClientCredentials`](crate::oauth::ClientCredentials) talk to —
//! discovery, a key set, a client-credentials token endpoint, an
//! introspection endpoint for the opaque tokens it issues, a revocation
//! endpoint — mints tokens with the claims a test wants, and fails on
//! demand: rotated keys, an outage, an error status, a slow answer.
//!
//! Its keys are made in memory at start (ES256, and ES384, RS256, PS256 or
//! EdDSA on first use); no private key is ever printed or returned. It binds
//! loopback only and stops when dropped.
//!
#![doc = include_str!("../../docs/testing.md")]

use std::collections::{HashMap, HashSet};
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use http::StatusCode;
use jsonwebtoken::Algorithm;
use serde_json::{Map, Value};

mod keys;
mod server;
mod token;

use keys::SigningKey;
pub use token::TokenBuilder;

/// An endpoint of the test issuer, to count its requests with
/// [`TestIssuer::requests`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Endpoint {
    /// `/.well-known/openid-configuration`.
    Discovery,
    /// The key set (`/jwks`).
    Jwks,
    /// The token endpoint (`/token`).
    Token,
    /// The introspection endpoint (`/introspect`, RFC 7662).
    Introspection,
    /// The revocation endpoint (`/revoke`, RFC 7009).
    Revocation,
}

impl Endpoint {
    const ALL: [Endpoint; 5] = [
        Endpoint::Discovery,
        Endpoint::Jwks,
        Endpoint::Token,
        Endpoint::Introspection,
        Endpoint::Revocation,
    ];

    fn index(self) -> usize {
        match self {
            Endpoint::Discovery => 0,
            Endpoint::Jwks => 1,
            Endpoint::Token => 2,
            Endpoint::Introspection => 3,
            Endpoint::Revocation => 4,
        }
    }

    /// The endpoint's path.
    pub fn path(self) -> &'static str {
        match self {
            Endpoint::Discovery => "/.well-known/openid-configuration",
            Endpoint::Jwks => "/jwks",
            Endpoint::Token => "/token",
            Endpoint::Introspection => "/introspect",
            Endpoint::Revocation => "/revoke",
        }
    }
}

/// Why the test issuer could not start or mint a token.
#[derive(Debug)]
#[non_exhaustive]
pub enum TestIssuerError {
    /// Binding or re-binding its loopback port failed.
    Io(std::io::Error),
    /// [`TokenBuilder::with_algorithm`] named an algorithm it does not sign
    /// with (HMAC: a shared secret is not a provider's key).
    UnsupportedAlgorithm(Algorithm),
    /// The crypto library failed (key generation, signing, randomness).
    Crypto(&'static str),
}

impl std::fmt::Display for TestIssuerError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            TestIssuerError::Io(err) => write!(f, "the test issuer could not listen: {err}"),
            TestIssuerError::UnsupportedAlgorithm(alg) => write!(
                f,
                "the test issuer does not sign with {alg:?} (ES256, ES384, RS256, PS256, EdDSA)"
            ),
            TestIssuerError::Crypto(what) => write!(f, "the test issuer's crypto failed: {what}"),
        }
    }
}

impl std::error::Error for TestIssuerError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            TestIssuerError::Io(err) => Some(err),
            _ => None,
        }
    }
}

/// A registered client of the token endpoint.
struct Client {
    secret: String,
    scopes: Vec<String>,
}

/// What the issuer holds and how it misbehaves; shared with the server.
struct State {
    /// Per algorithm, the keys published: the current one last, at most the
    /// one before it (a rotation keeps the previous key published).
    keys: Vec<(Algorithm, Vec<SigningKey>)>,
    clients: HashMap<String, Client>,
    /// The opaque tokens issued, with their claims.
    opaque: HashMap<String, Map<String, Value>>,
    revoked: HashSet<String>,
    audience: Option<String>,
    fail_with: Option<StatusCode>,
    delay: Duration,
    max_age: Option<Duration>,
    requests: [u64; 5],
}

/// The state and the issuer's URL, as the server and the handle see them.
struct Shared {
    url: String,
    state: Mutex<State>,
}

impl Shared {
    /// The state; a panic elsewhere never makes it unusable.
    fn state(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// The issuer's current key for `algorithm` (made on first use), given
    /// to `f`.
    pub(super) fn with_key<T>(
        &self,
        algorithm: Algorithm,
        f: impl FnOnce(&SigningKey) -> Result<T, TestIssuerError>,
    ) -> Result<T, TestIssuerError> {
        let mut state = self.state();
        if !state.keys.iter().any(|(alg, _)| *alg == algorithm) {
            if !keys::SUPPORTED.contains(&algorithm) {
                return Err(TestIssuerError::UnsupportedAlgorithm(algorithm));
            }
            let key = SigningKey::generate(algorithm)?;
            state.keys.push((algorithm, vec![key]));
        }
        let key = state
            .keys
            .iter()
            .find(|(alg, _)| *alg == algorithm)
            .and_then(|(_, keys)| keys.last())
            .ok_or(TestIssuerError::UnsupportedAlgorithm(algorithm))?;
        f(key)
    }
}

/// A loopback identity provider for tests. See the [module docs](self).
pub struct TestIssuer {
    addr: SocketAddr,
    shared: Arc<Shared>,
    running: Mutex<Option<server::Running>>,
}

impl std::fmt::Debug for TestIssuer {
    /// The URL and the key ids: never key material.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let state = self.shared.state();
        let kids: Vec<&str> = state
            .keys
            .iter()
            .flat_map(|(_, keys)| keys.iter().map(|k| k.kid.as_str()))
            .collect();
        f.debug_struct("TestIssuer")
            .field("url", &self.shared.url)
            .field("kids", &kids)
            .finish_non_exhaustive()
    }
}

/// Options of a [`TestIssuer`] before it starts.
#[derive(Debug, Default)]
#[must_use]
pub struct TestIssuerBuilder {
    audience: Option<String>,
    max_age: Option<Duration>,
}

impl TestIssuerBuilder {
    /// The `aud` of every token minted (by [`TestIssuer::token`] and the
    /// token endpoint) unless a token sets its own.
    pub fn with_audience(mut self, audience: impl Into<String>) -> Self {
        self.audience = Some(audience.into());
        self
    }

    /// `Cache-Control: max-age` on the key set (none by default).
    pub fn with_max_age(mut self, max_age: Duration) -> Self {
        self.max_age = Some(max_age);
        self
    }

    /// Starts the issuer on `127.0.0.1` and a free port.
    pub async fn start(self) -> Result<TestIssuer, TestIssuerError> {
        let listener = tokio::net::TcpListener::bind(("127.0.0.1", 0))
            .await
            .map_err(TestIssuerError::Io)?;
        let addr = listener.local_addr().map_err(TestIssuerError::Io)?;
        let shared = Arc::new(Shared {
            url: format!("http://{addr}"),
            state: Mutex::new(State {
                keys: vec![(
                    Algorithm::ES256,
                    vec![SigningKey::generate(Algorithm::ES256)?],
                )],
                clients: HashMap::new(),
                opaque: HashMap::new(),
                revoked: HashSet::new(),
                audience: self.audience,
                fail_with: None,
                delay: Duration::ZERO,
                max_age: self.max_age,
                requests: [0; 5],
            }),
        });
        let running = server::Running::serve(listener, shared.clone());
        Ok(TestIssuer {
            addr,
            shared,
            running: Mutex::new(Some(running)),
        })
    }
}

impl TestIssuer {
    /// Starts an issuer with the defaults (no audience, no max-age).
    pub async fn start() -> Result<TestIssuer, TestIssuerError> {
        TestIssuer::builder().start().await
    }

    /// Options before starting: a default audience, the key set's max-age.
    pub fn builder() -> TestIssuerBuilder {
        TestIssuerBuilder::default()
    }

    /// The issuer identifier (`http://127.0.0.1:<port>`): what
    /// [`JwtVerifier::from_issuer`](crate::jwt::JwtVerifier::from_issuer)
    /// and [`ClientCredentials::from_issuer`](crate::oauth::ClientCredentials::from_issuer)
    /// take, and the `iss` of its tokens.
    pub fn url(&self) -> &str {
        &self.shared.url
    }

    /// The key set's URL.
    pub fn jwks_url(&self) -> String {
        self.endpoint_url(Endpoint::Jwks)
    }

    /// The URL of `endpoint`.
    pub fn endpoint_url(&self, endpoint: Endpoint) -> String {
        format!("{}{}", self.shared.url, endpoint.path())
    }

    /// Registers a client of the token endpoint (client credentials, with
    /// `client_secret_basic` or `client_secret_post`) that may ask for
    /// `scopes` (all of them when it asks for none).
    pub fn add_client<I, S>(&self, id: impl Into<String>, secret: impl Into<String>, scopes: I)
    where
        I: IntoIterator<Item = S>,
        S: AsRef<str>,
    {
        let client = Client {
            secret: secret.into(),
            scopes: scopes.into_iter().map(|s| s.as_ref().to_owned()).collect(),
        };
        self.shared.state().clients.insert(id.into(), client);
    }

    /// A token to mint: see [`TokenBuilder`].
    pub fn token(&self) -> TokenBuilder<'_> {
        let builder = TokenBuilder::new(self);
        match self.shared.state().audience.clone() {
            Some(audience) => builder.with_audience(audience),
            None => builder,
        }
    }

    /// Rotates every signing key: new keys (new `kid`s) sign from now on;
    /// the previous ones stay in the key set (as a provider keeps them while
    /// tokens signed with them live), older ones leave it.
    pub fn rotate_keys(&self) -> Result<(), TestIssuerError> {
        let mut state = self.shared.state();
        for (alg, keys) in &mut state.keys {
            let fresh = SigningKey::generate(*alg)?;
            keys.push(fresh);
            if keys.len() > 2 {
                keys.remove(0);
            }
        }
        Ok(())
    }

    /// Stops serving: the port refuses connections and open connections
    /// close, until [`restart`](Self::restart). What the issuer holds (keys,
    /// clients, tokens) is kept.
    pub fn stop(&self) {
        if let Some(running) = self
            .running
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .take()
        {
            running.stop();
        }
    }

    /// Serves again on the same port (after [`stop`](Self::stop)).
    pub async fn restart(&self) -> Result<(), TestIssuerError> {
        self.stop();
        let socket = tokio::net::TcpSocket::new_v4().map_err(TestIssuerError::Io)?;
        socket.set_reuseaddr(true).map_err(TestIssuerError::Io)?;
        socket.bind(self.addr).map_err(TestIssuerError::Io)?;
        let listener = socket.listen(1024).map_err(TestIssuerError::Io)?;
        let running = server::Running::serve(listener, self.shared.clone());
        *self.running.lock().unwrap_or_else(|p| p.into_inner()) = Some(running);
        Ok(())
    }

    /// Every endpoint answers `status` (with an OAuth `server_error` body)
    /// until [`heal`](Self::heal).
    pub fn fail_with(&self, status: StatusCode) {
        self.shared.state().fail_with = Some(status);
    }

    /// Every answer waits `delay` first, until [`heal`](Self::heal).
    pub fn delay(&self, delay: Duration) {
        self.shared.state().delay = delay;
    }

    /// Ends [`fail_with`](Self::fail_with) and [`delay`](Self::delay).
    pub fn heal(&self) {
        let mut state = self.shared.state();
        state.fail_with = None;
        state.delay = Duration::ZERO;
    }

    /// How many requests `endpoint` has received (failed ones included).
    pub fn requests(&self, endpoint: Endpoint) -> u64 {
        self.shared.state().requests[endpoint.index()]
    }

    fn remember_opaque(&self, token: String, claims: Map<String, Value>) {
        self.shared.state().opaque.insert(token, claims);
    }
}

impl Drop for TestIssuer {
    fn drop(&mut self) {
        self.stop();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn endpoints_have_distinct_indices() {
        let mut seen: Vec<usize> = Endpoint::ALL.iter().map(|e| e.index()).collect();
        seen.dedup();
        assert_eq!(seen, [0, 1, 2, 3, 4]);
    }
}
