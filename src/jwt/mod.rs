//! JWT verification on [`jsonwebtoken`] 11 (feature `jwt`): [`JwtVerifier`]
//! plugs into [`BearerAuthLayer`](crate::server::BearerAuthLayer), and
//! [`classify`] maps every jsonwebtoken failure to the right reason, once,
//! for everybody.
//!
#![doc = include_str!("../../docs/jwt-mapping.md")]
//!
//! The context the table names is added by [`JwtVerifier`] (which knows the
//! token and the [`Validation`]); [`classify`] alone gives the code. Nothing
//! else from the token is echoed: no `sub`, no email (personal data), and
//! never the token itself.
//!
//! # Crypto backend
//!
//! Signatures are verified on the crypto library this crate's features
//! choose, called directly: aws-lc-rs with `jwt-aws-lc` (the default; about
//! four times fewer instructions per ES256 verification), the RustCrypto
//! crates with `jwt-rust-crypto` (pure Rust), aws-lc-rs when both are on.
//! jsonwebtoken's own backend features are never turned on and no
//! process-wide `CryptoProvider` is installed, so an application that uses
//! jsonwebtoken itself (with `rust_crypto`, `aws_lc_rs`, or neither) keeps
//! exactly the backend it chose. With plain `jwt` and neither backend
//! feature, the verifier uses jsonwebtoken's process default, which the
//! application chooses; if it has none, jsonwebtoken panics, and the
//! verifier catches that and reports it as a server fault.

use std::collections::HashMap;
use std::fmt;
use std::future::Future;
use std::marker::PhantomData;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
#[cfg(feature = "oidc")]
use std::time::Duration;

pub use jsonwebtoken;
use jsonwebtoken::errors::{Error, ErrorKind};
use jsonwebtoken::jwk::JwkSet;
use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use serde::de::DeserializeOwned;
use serde_json::Value;

use crate::server::{Rejection, Verified};
use crate::{AuthError, AuthErrorCode};

mod backend;
mod claims;
mod decode;
#[cfg(feature = "oidc")]
mod introspection;
#[cfg(feature = "oidc")]
mod issuers;
mod keys;
#[cfg(feature = "oidc")]
mod remote;
mod verify;

use claims::claims_do_not_fit;
#[cfg(feature = "oidc")]
pub(crate) use claims::unverified_issuer;
use keys::tightened;
pub(crate) use keys::{Key, Unusable, short_hmac_key, signature_algorithm, usable_algorithms};

#[cfg(feature = "oidc")]
use crate::oidc::ProviderError;
#[cfg(feature = "oidc")]
pub use introspection::{IntrospectionVerifier, JwtOrIntrospection};
#[cfg(feature = "oidc")]
pub use issuers::Issuers;

/// The result of a failed verification, by [`ErrorKind`] (see the table in
/// the [module docs](self)).
///
/// ```
/// use auth_error::AuthErrorCode;
/// use auth_error::jwt::{classify, jsonwebtoken::errors::ErrorKind};
/// use auth_error::server::Rejection;
/// let expired = classify(&ErrorKind::ExpiredSignature.into());
/// assert!(matches!(expired, Rejection::Auth(e) if e.code() == AuthErrorCode::TokenExpired));
/// assert!(matches!(classify(&ErrorKind::InvalidKeyFormat.into()), Rejection::Fault(_)));
/// ```
pub fn classify(err: &Error) -> Rejection {
    use AuthErrorCode as C;
    let code = match err.kind() {
        ErrorKind::ExpiredSignature => C::TokenExpired,
        ErrorKind::ImmatureSignature => C::TokenNotActive,
        ErrorKind::InvalidAudience => C::AuthFailedInvalidAudience,
        ErrorKind::InvalidIssuer => C::AuthFailedInvalidIssuer,
        ErrorKind::InvalidSubject => C::AuthFailedInvalidSubject,
        ErrorKind::MissingRequiredClaim(claim) => {
            return AuthError::new(C::MissingRequiredClaims)
                .with_missing_claims([claim.as_str()])
                .into();
        }
        ErrorKind::InvalidClaimFormat(claim) => {
            return AuthError::new(C::InvalidClaims)
                .with_invalid_claims([claim.as_str()])
                .into();
        }
        ErrorKind::InvalidToken
        | ErrorKind::InvalidSignature
        | ErrorKind::InvalidAlgorithm
        | ErrorKind::Base64(_)
        | ErrorKind::Json(_)
        | ErrorKind::Utf8(_) => C::AuthFailedInvalidBearerToken,
        ErrorKind::InvalidEcdsaKey
        | ErrorKind::InvalidEddsaKey
        | ErrorKind::InvalidRsaKey(_)
        | ErrorKind::RsaFailedSigning
        | ErrorKind::Signing(_)
        | ErrorKind::InvalidAlgorithmName
        | ErrorKind::UnsupportedAlgorithm
        | ErrorKind::InvalidKeyFormat
        | ErrorKind::MissingAlgorithm
        | ErrorKind::Provider(_) => return Rejection::Fault(Box::new(err.clone())),
        // A kind added later: a token that cannot be verified is refused.
        _ => C::AuthFailedInvalidBearerToken,
    };
    AuthError::new(code).into()
}

type Check<C> =
    Arc<dyn Fn(&C) -> Pin<Box<dyn Future<Output = Result<(), AuthError>> + Send>> + Send + Sync>;

/// A [`TokenVerifier`](crate::server::TokenVerifier) for JWTs (JWS compact), on jsonwebtoken's crypto and validation rules
/// with a [`Validation`], one or more keys (by `kid`), and extra async checks.
///
/// Scopes come from the `scope` claim (space-separated, RFC 9068) or `scp`
/// (a string or an array of strings). The claims in the request's extensions
/// are a `serde_json::Value`, or your type with
/// [`with_claims`](Self::with_claims).
///
/// # What the verifier adds to the [`Validation`]
///
/// jsonwebtoken's defaults accept more than an API server should; the
/// verifier tightens them, whatever `Validation` it is given:
///
/// | jsonwebtoken default | `JwtVerifier` |
/// |---|---|
/// | `nbf` not checked | always checked: a not-yet-valid token is `TOKEN_NOT_ACTIVE` |
/// | `aud` checked only when the token carries one | with [`Validation::set_audience`], a token without `aud` is `MISSING_REQUIRED_CLAIMS` |
/// | `iss` checked only when the token carries one | with [`Validation::set_issuer`], a token without `iss` is `MISSING_REQUIRED_CLAIMS` |
///
/// With no audience set, jsonwebtoken refuses every token that carries an
/// `aud` and accepts one without; with no issuer set, any issuer is
/// accepted. Set both (as below) unless the keys are yours alone.
///
/// # Keys and algorithms
///
/// A key is used only with the algorithms of the validation that it can
/// verify (an ES256 key never for ES384) and, for a JWK that declares an
/// `alg`, only with that one. A token whose `alg` its key cannot verify is
/// the token's fault (`AUTH_FAILED_INVALID_BEARER_TOKEN`). A key that no
/// algorithm of the validation can use, or a validation mixing algorithm
/// families (which jsonwebtoken never accepts), is the server's: every
/// verification is a [`Rejection::Fault`], and
/// [`BearerAuthBuilder::build`](crate::server::BearerAuthBuilder::build)
/// refuses it once, at start-up ([`TokenVerifier::check`](crate::server::TokenVerifier::check)).
///
/// ```
/// use auth_error::jwt::JwtVerifier;
/// use auth_error::server::BearerAuthLayer;
/// use jsonwebtoken::{Algorithm, DecodingKey, Validation};
///
/// let mut validation = Validation::new(Algorithm::HS256);
/// validation.set_audience(&["orders-api"]);
/// validation.set_issuer(&["https://id.example.com"]);
/// let verifier = JwtVerifier::new(DecodingKey::from_secret(b"an-hs256-secret-of-at-least-32-bytes"), validation);
/// let layer = BearerAuthLayer::builder(verifier)
///     .add_required_scopes("orders.v1.Orders", ["orders.read"])
///     .add_public_route("grpc.health.v1.Health")
///     .build()?;
/// # drop(layer);
/// # Ok::<(), auth_error::server::ConfigError>(())
/// ```
pub struct JwtVerifier<C = Value> {
    default_key: Option<Arc<Key>>,
    keys: HashMap<String, Arc<Key>>,
    validation: Validation,
    /// Checks on the JSON claims, added before [`with_claims`](Self::with_claims).
    json_checks: Vec<Check<Value>>,
    checks: Vec<Check<C>>,
    cache: Option<Cache<C>>,
    /// The first misconfiguration found (keys or validation): every
    /// verification is a fault.
    config_error: Option<Arc<str>>,
    /// RFC 9068: only JWT access tokens (`typ: at+jwt`, the profile's
    /// claims).
    access_token_profile: bool,
    /// Keys fetched from an identity provider (feature `oidc`).
    #[cfg(feature = "oidc")]
    remote: Option<Arc<remote::RemoteKeys>>,
    claims: PhantomData<fn() -> C>,
}

/// Tokens longer than this are never cached.
const MAX_CACHED_TOKEN_LEN: usize = 4096;

/// Verified tokens: the signature and the time-independent validation
/// (audience, issuer, subject, required claims) of a token never change, so
/// they are checked once; `exp` and `nbf` are checked again on every hit,
/// and the `add_check` checks always run.
struct Cache<C> {
    capacity: usize,
    entries: Mutex<HashMap<String, Cached<C>>>,
}

struct Cached<C> {
    verified: Verified<C>,
    json: Arc<Value>,
    /// The fetched key that verified it, by kid: the entry is good only
    /// while the key set still holds that key (rotating a stolen key out
    /// stops the tokens forged with it).
    #[cfg(feature = "oidc")]
    remote_key: Option<(String, Arc<Key>)>,
    /// `exp` and `nbf` as RFC 7519 NumericDates: numbers, maybe fractional.
    exp: Option<f64>,
    nbf: Option<f64>,
}

impl<C> fmt::Debug for JwtVerifier<C> {
    /// Shows the key ids and the validation, never key material.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut kids: Vec<&String> = self.keys.keys().collect();
        kids.sort();
        f.debug_struct("JwtVerifier")
            .field("default_key", &self.default_key.is_some())
            .field("kids", &kids)
            .field("algorithms", &self.validation.algorithms)
            .field("checks", &(self.json_checks.len() + self.checks.len()))
            .field("cache", &self.cache.as_ref().map(|c| c.capacity))
            .field("config_error", &self.config_error)
            .finish()
    }
}

impl JwtVerifier<Value> {
    fn empty(validation: Validation) -> Self {
        let mut verifier = JwtVerifier {
            default_key: None,
            keys: HashMap::new(),
            validation: tightened(validation),
            json_checks: Vec::new(),
            checks: Vec::new(),
            cache: None,
            config_error: None,
            access_token_profile: false,
            #[cfg(feature = "oidc")]
            remote: None,
            claims: PhantomData,
        };
        let mut families = verifier.validation.algorithms.iter().map(|a| a.family());
        if let Some(first) = families.next() {
            if families.any(|f| f != first) {
                verifier.misconfigured(
                    "the validation mixes algorithm families, which jsonwebtoken never accepts"
                        .to_owned(),
                );
            }
        } else {
            verifier.misconfigured("the validation allows no algorithm".to_owned());
        }
        verifier
    }

    /// A verifier with one key (used for tokens without a `kid`).
    pub fn new(key: DecodingKey, validation: Validation) -> Self {
        let mut verifier = Self::empty(validation);
        verifier.default_key = verifier.usable(None, key, None).map(Arc::new);
        verifier
    }

    /// A verifier with the keys of a JWKS document (fetched by you), chosen
    /// by `kid`; every key must have a `kid`. Keys for encryption (`use:
    /// enc`, or `key_ops` without `verify`) are left out. Fails on a key
    /// jsonwebtoken cannot use, and on a key whose declared `alg` is not a
    /// signature algorithm this crate verifies (`RSA-OAEP`, `ECDH-ES`:
    /// never used with another algorithm instead).
    pub fn from_jwks(jwks: &JwkSet, validation: Validation) -> Result<Self, Error> {
        let mut verifier = Self::empty(validation);
        for jwk in &jwks.keys {
            let kid = jwk
                .common
                .key_id
                .clone()
                .ok_or_else(|| Error::from(ErrorKind::InvalidKeyFormat))?;
            let declared = match signature_algorithm(jwk) {
                Ok(declared) => declared,
                Err(Unusable::Algorithm) => return Err(ErrorKind::InvalidAlgorithmName.into()),
                Err(Unusable::Mismatch) => return Err(ErrorKind::InvalidAlgorithm.into()),
                Err(Unusable::Encryption(_)) => continue,
            };
            let key = DecodingKey::from_jwk(jwk)?;
            if let Some(key) = verifier.usable(Some(&kid), key, declared) {
                verifier.keys.insert(kid, Arc::new(key));
            }
        }
        Ok(verifier)
    }

    /// A verifier for the tokens of an OpenID provider (feature `oidc`): its
    /// keys come from the `jwks_uri` of `issuer`'s discovery document
    /// (`{issuer}/.well-known/openid-configuration`, whose `issuer` must
    /// equal `issuer` exactly), and `issuer` is added to the validation when
    /// it names none.
    ///
    /// Touches no network: a provider that is down at start-up does not stop
    /// the service. The first verification fetches; see
    /// [`with_jwks_cooldown`](Self::with_jwks_cooldown) and
    /// [`with_jwks_max_age`](Self::with_jwks_max_age) for when it fetches
    /// again. While no key can be had because the provider cannot be
    /// reached, calls are answered `UNAVAILABLE` (HTTP 503 with
    /// `Retry-After`), never with a reason that blames the client's token.
    ///
    /// Fails only on a URL: unparsable, or plaintext `http://` to a host
    /// other than loopback.
    ///
    /// ```
    /// use auth_error::jwt::JwtVerifier;
    /// use jsonwebtoken::{Algorithm, Validation};
    ///
    /// let mut validation = Validation::new(Algorithm::RS256);
    /// validation.set_audience(&["https://orders.example.com"]);
    /// let verifier = JwtVerifier::from_issuer("https://id.example.com", validation)?;
    /// # drop(verifier);
    /// assert!(JwtVerifier::from_issuer("http://id.example.com", Validation::default()).is_err());
    /// # Ok::<(), auth_error::oidc::ProviderError>(())
    /// ```
    #[cfg(feature = "oidc")]
    pub fn from_issuer(issuer: &str, mut validation: Validation) -> Result<Self, ProviderError> {
        crate::oidc::client::checked_url(issuer)?;
        if validation.iss.is_none() {
            validation.set_issuer(&[issuer]);
        }
        let remote = remote::RemoteKeys::new(remote::Source::Issuer(issuer.to_owned()))?;
        let mut verifier = Self::empty(validation);
        verifier.remote = Some(Arc::new(remote));
        Ok(verifier)
    }

    /// A verifier whose keys come from the JWKS document at `url` (feature
    /// `oidc`), without discovery; otherwise as
    /// [`from_issuer`](Self::from_issuer).
    #[cfg(feature = "oidc")]
    pub fn from_jwks_url(url: &str, validation: Validation) -> Result<Self, ProviderError> {
        let url = crate::oidc::client::checked_url(url)?;
        let remote = remote::RemoteKeys::new(remote::Source::Jwks(url))?;
        let mut verifier = Self::empty(validation);
        verifier.remote = Some(Arc::new(remote));
        Ok(verifier)
    }
}

impl<C> JwtVerifier<C>
where
    C: DeserializeOwned + Send + Sync + 'static,
{
    /// Puts the claims in the request's extensions as `T` (deserialized from
    /// the verified payload; a payload that does not fit is
    /// `INVALID_CLAIMS`). The checks added before still run, in the order
    /// they were added and before those added after (on `T`), however many
    /// times the claims type changes.
    #[must_use]
    pub fn with_claims<T>(self) -> JwtVerifier<T> {
        let mut json_checks = self.json_checks;
        json_checks.extend(self.checks.into_iter().map(|check| -> Check<Value> {
            Arc::new(move |json: &Value| match C::deserialize(json) {
                Ok(claims) => check(&claims),
                Err(_) => Box::pin(async { Err(claims_do_not_fit()) }),
            })
        }));
        JwtVerifier {
            default_key: self.default_key,
            keys: self.keys,
            validation: self.validation,
            json_checks,
            checks: Vec::new(),
            cache: self.cache.map(|c| Cache {
                capacity: c.capacity,
                entries: Mutex::new(HashMap::new()),
            }),
            config_error: self.config_error,
            access_token_profile: self.access_token_profile,
            #[cfg(feature = "oidc")]
            remote: self.remote,
            claims: PhantomData,
        }
    }
}

impl<C> JwtVerifier<C> {
    /// Records the first misconfiguration (and logs it once).
    fn misconfigured(&mut self, why: String) {
        if self.config_error.is_none() {
            tracing::error!(error = %why, "auth-error: JwtVerifier is misconfigured; every verification is a server fault");
            self.config_error = Some(why.into());
        }
    }

    /// `key` with the algorithms of the validation it can verify (only
    /// `declared` when the JWK names one), or `None` and a misconfiguration
    /// when there are none.
    fn usable(
        &mut self,
        kid: Option<&str>,
        key: DecodingKey,
        declared: Option<Algorithm>,
    ) -> Option<Key> {
        let name = || {
            kid.map_or_else(
                || "the key".to_owned(),
                |k| format!("the key `{}`", k.escape_debug()),
            )
        };
        if let Some(why) = short_hmac_key(&key, &self.validation.algorithms) {
            self.misconfigured(format!("{}: {why}", name()));
            return None;
        }
        let algorithms = usable_algorithms(&key, &self.validation.algorithms, declared);
        if algorithms.is_empty() {
            let name = name();
            self.misconfigured(format!(
                "{name} ({:?}) cannot verify any algorithm the validation allows ({:?})",
                key.family(),
                self.validation.algorithms
            ));
            return None;
        }
        Some(Key { key, algorithms })
    }

    /// Refetches the provider's key set for an unknown `kid` at most once per
    /// `cooldown`, counted from the last fetch (default 30 s): a key the
    /// provider just rotated in is found at once, while forged `kid`s cannot
    /// make the verifier hammer the provider. Any number of concurrent
    /// requests cause one fetch. No effect without
    /// [`from_issuer`](Self::from_issuer) or
    /// [`from_jwks_url`](Self::from_jwks_url).
    #[cfg(feature = "oidc")]
    #[must_use]
    pub fn with_jwks_cooldown(mut self, cooldown: Duration) -> Self {
        if let Some(remote) = self.remote.as_mut().and_then(Arc::get_mut) {
            remote.cooldown = cooldown;
        }
        self
    }

    /// Refreshes the key set after `max_age` (default 10 min; a shorter
    /// `Cache-Control: max-age` from the provider wins), in the background:
    /// requests go on with the keys held and never wait for it. A failed
    /// refresh keeps the last good keys.
    #[cfg(feature = "oidc")]
    #[must_use]
    pub fn with_jwks_max_age(mut self, max_age: Duration) -> Self {
        if let Some(remote) = self.remote.as_mut().and_then(Arc::get_mut) {
            remote.max_age = max_age;
        }
        self
    }

    /// The issuers this verifier accepts (the validation's `iss`).
    #[cfg(feature = "oidc")]
    pub(crate) fn issuers(&self) -> impl Iterator<Item = &str> {
        self.validation.iss.iter().flatten().map(String::as_str)
    }

    /// Adds a key for tokens whose header says `kid`. A token with a `kid`
    /// this verifier does not know is an invalid token.
    #[must_use]
    pub fn add_key(mut self, kid: impl Into<String>, key: DecodingKey) -> Self {
        let kid = kid.into();
        if let Some(key) = self.usable(Some(&kid), key, None) {
            self.keys.insert(kid, Arc::new(key));
        }
        self
    }

    /// Accepts only JWT access tokens as RFC 9068 profiles them: the header
    /// `typ` is `at+jwt` (or `application/at+jwt`, any case), and `iss`,
    /// `aud`, `exp`, `sub`, `client_id`, `iat` and `jti` are present. An ID
    /// token or any other JWT signed by the same keys is then refused
    /// `AUTH_FAILED_INVALID_BEARER_TOKEN`, its description naming the rule.
    ///
    /// Off by default, `from_issuer` included: many providers still issue
    /// access tokens typed `JWT` (or untyped), and a default that refused
    /// them would lock out working deployments. Turn it on when your
    /// provider follows RFC 9068 (node `oidc-provider`, Keycloak with
    /// `at+jwt`, Okta, Auth0 with the RFC 9068 profile).
    ///
    /// ```
    /// # use auth_error::jwt::JwtVerifier;
    /// # let verifier = JwtVerifier::new(jsonwebtoken::DecodingKey::from_secret(b"an-hs256-secret-of-at-least-32-bytes"), jsonwebtoken::Validation::default());
    /// let verifier = verifier.with_access_token_profile(true);
    /// # drop(verifier);
    /// ```
    #[must_use]
    pub fn with_access_token_profile(mut self, enabled: bool) -> Self {
        self.access_token_profile = enabled;
        self
    }

    /// Remembers up to `capacity` verified tokens (each at most 4 KiB), so a
    /// client that presents the same token call after call pays for the
    /// signature and the JSON once. What depends on time is checked again on
    /// every call (`exp`, `nbf`, with the validation's leeway; fractional
    /// NumericDates included; a token whose `exp` or `nbf` is not a number
    /// is never cached), and every [`add_check`](Self::add_check) runs
    /// every time, so a revoked token is refused at once. Off by default;
    /// `capacity` 0 turns it off. When full, an arbitrary entry makes room
    /// (bounded memory, no bookkeeping).
    #[must_use]
    pub fn with_cache(mut self, capacity: usize) -> Self {
        self.cache = (capacity > 0).then(|| Cache {
            capacity,
            entries: Mutex::new(HashMap::new()),
        });
        self
    }

    /// Adds an async check on verified claims, run after the signature and
    /// the validation: revocation (`TOKEN_REVOKED`), sessions (`SESSION_*`),
    /// account state (`ACCOUNT_*`, `PASSWORD_*`), MFA and device checks. The
    /// first check that fails decides.
    ///
    /// ```
    /// use auth_error::jwt::JwtVerifier;
    /// use auth_error::{AuthError, AuthErrorCode};
    /// # let verifier = JwtVerifier::new(jsonwebtoken::DecodingKey::from_secret(b"an-hs256-secret-of-at-least-32-bytes"), jsonwebtoken::Validation::default());
    /// let verifier = verifier.add_check(|claims: &serde_json::Value| {
    ///     let revoked = claims["jti"] == "revoked-1";
    ///     async move {
    ///         match revoked {
    ///             true => Err(AuthError::new(AuthErrorCode::TokenRevoked)),
    ///             false => Ok(()),
    ///         }
    ///     }
    /// });
    /// # drop(verifier);
    /// ```
    #[must_use]
    pub fn add_check<F, Fut>(mut self, check: F) -> Self
    where
        F: Fn(&C) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Result<(), AuthError>> + Send + 'static,
    {
        self.checks
            .push(Arc::new(move |claims| Box::pin(check(claims))));
        self
    }
}
