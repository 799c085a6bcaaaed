//! The verifier contract: [`TokenVerifier`], what it accepts ([`Verified`](crate::server::Verified))
//! and why it refuses ([`Rejection`]).

use std::fmt;
use std::future::Future;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use crate::{AuthError, BoxError};

/// What a [`TokenVerifier`] accepted: the verified claims and the scopes the
/// token grants. [`BearerAuthLayer`](crate::server::BearerAuthLayer) puts it in the request's extensions,
/// where a tonic handler reads it:
/// `request.extensions().get::<Verified<MyClaims>>()`.
///
/// Its parts are shared, not copied: a clone (what a verifier's cache hands
/// out on every hit) costs one reference count, whatever the claims.
#[derive(Debug)]
pub struct Verified<C> {
    parts: Arc<Parts<C>>,
}

/// The parts of a [`Verified`], each shared again so that a `with_…` on a
/// clone copies a few pointers, never the claims.
#[derive(Debug)]
struct Parts<C> {
    claims: Arc<C>,
    scopes: Arc<[String]>,
    acr: Option<Arc<str>>,
    auth_time: Option<SystemTime>,
    token_id: Option<Arc<str>>,
    confirmation: Option<Arc<Confirmation>>,
}

impl<C> Clone for Parts<C> {
    fn clone(&self) -> Self {
        Parts {
            claims: self.claims.clone(),
            scopes: self.scopes.clone(),
            acr: self.acr.clone(),
            auth_time: self.auth_time,
            token_id: self.token_id.clone(),
            confirmation: self.confirmation.clone(),
        }
    }
}

impl<C> Clone for Verified<C> {
    fn clone(&self) -> Self {
        Verified {
            parts: self.parts.clone(),
        }
    }
}

impl<C> Verified<C> {
    /// Verified `claims` granting `scopes`.
    pub fn new(claims: C, scopes: Vec<String>) -> Self {
        Verified {
            parts: Arc::new(Parts {
                claims: Arc::new(claims),
                scopes: scopes.into(),
                acr: None,
                auth_time: None,
                token_id: None,
                confirmation: None,
            }),
        }
    }

    /// The parts, to change: copied first if a clone shares them.
    fn parts_mut(&mut self) -> &mut Parts<C> {
        Arc::make_mut(&mut self.parts)
    }

    /// With the key or certificate the token is bound to (its `cnf` claim,
    /// RFC 7800): [`BearerAuthLayer`](crate::server::BearerAuthLayer) then serves the request only with a
    /// DPoP proof made with that key, or over a TLS connection with that
    /// client certificate, whatever its configuration (see
    /// [`Confirmation`]).
    #[must_use]
    pub fn with_confirmation(mut self, confirmation: Confirmation) -> Self {
        self.parts_mut().confirmation = Some(Arc::new(confirmation));
        self
    }

    /// What the token is bound to (its `cnf` claim), if anything.
    pub fn confirmation(&self) -> Option<&Confirmation> {
        self.parts.confirmation.as_deref()
    }

    /// With the token's id (its `jti` claim): the layer's `auth` span
    /// records a short hash of it (`auth.token_id_hash`), never the id.
    #[must_use]
    pub fn with_token_id(mut self, token_id: impl Into<String>) -> Self {
        self.parts_mut().token_id = Some(token_id.into().into());
        self
    }

    /// The token's id (`jti`), if the verifier read one.
    pub fn token_id(&self) -> Option<&str> {
        self.parts.token_id.as_deref()
    }

    /// With the authentication context class the user authenticated with
    /// (the token's `acr` claim), checked by
    /// [`BearerAuthBuilder::add_required_acr`](crate::server::BearerAuthBuilder::add_required_acr).
    #[must_use]
    pub fn with_acr(mut self, acr: impl Into<String>) -> Self {
        self.parts_mut().acr = Some(acr.into().into());
        self
    }

    /// With when the user authenticated (the token's `auth_time` claim),
    /// checked by [`BearerAuthBuilder::add_max_auth_age`](crate::server::BearerAuthBuilder::add_max_auth_age).
    #[must_use]
    pub fn with_auth_time(mut self, auth_time: SystemTime) -> Self {
        self.parts_mut().auth_time = Some(auth_time);
        self
    }

    /// The verified claims.
    pub fn claims(&self) -> &C {
        &self.parts.claims
    }

    /// The scopes the token grants.
    pub fn scopes(&self) -> &[String] {
        &self.parts.scopes
    }

    /// Whether the token grants `scope`.
    pub fn has_scope(&self, scope: &str) -> bool {
        self.parts.scopes.iter().any(|s| s == scope)
    }

    /// The token's `acr` (authentication context class reference), if any.
    pub fn acr(&self) -> Option<&str> {
        self.parts.acr.as_deref()
    }

    /// The token's `auth_time` (when the user authenticated), if any.
    pub fn auth_time(&self) -> Option<SystemTime> {
        self.parts.auth_time
    }
}

/// What a sender-constrained token is bound to: its `cnf` (confirmation)
/// claim, RFC 7800. A token with a confirmation is never served as a plain
/// bearer token: [`BearerAuthLayer`](crate::server::BearerAuthLayer) requires a DPoP proof made with the
/// key whose RFC 7638 thumbprint is [`jkt`](Self::jkt) (RFC 9449, see
/// [`Dpop`](crate::server::Dpop)), and a TLS client certificate whose
/// SHA-256 is [`x5t_s256`](Self::x5t_s256) (RFC 8705, see
/// [`ClientCertificate`](crate::server::ClientCertificate)), and refuses a
/// confirmation method it does not know (`TOKEN_BINDING_MISMATCH`: a
/// binding it cannot check is never ignored).
///
/// ```
/// use auth_error::server::Confirmation;
/// let cnf = Confirmation::from_json(&serde_json::json!({"jkt": "0ZcOCORZNYy-DWpqq30jZyJGHTN0d2HglBV3uiguA4I"}));
/// assert_eq!(cnf.jkt(), Some("0ZcOCORZNYy-DWpqq30jZyJGHTN0d2HglBV3uiguA4I"));
/// assert!(!cnf.has_unknown_method());
/// ```
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Confirmation {
    jkt: Option<String>,
    x5t_s256: Option<String>,
    unknown_method: bool,
}

impl Confirmation {
    /// Bound to the DPoP key whose RFC 7638 SHA-256 thumbprint (base64url)
    /// is `jkt`.
    pub fn jkt(&self) -> Option<&str> {
        self.jkt.as_deref()
    }

    /// Bound to the TLS client certificate whose SHA-256 (base64url, of
    /// its DER) is `x5t#S256`.
    pub fn x5t_s256(&self) -> Option<&str> {
        self.x5t_s256.as_deref()
    }

    /// Whether the claim names a confirmation method other than `jkt` and
    /// `x5t#S256` (such as `jwk`), or is not an object of strings: the
    /// layer refuses such a token, since it cannot check the binding.
    pub fn has_unknown_method(&self) -> bool {
        self.unknown_method
    }

    /// A token bound to the DPoP key of thumbprint `jkt`.
    #[must_use]
    pub fn with_jkt(mut self, jkt: impl Into<String>) -> Self {
        self.jkt = Some(jkt.into());
        self
    }

    /// A token bound to the client certificate of SHA-256 thumbprint
    /// `x5t_s256` (base64url).
    #[must_use]
    pub fn with_x5t_s256(mut self, x5t_s256: impl Into<String>) -> Self {
        self.x5t_s256 = Some(x5t_s256.into());
        self
    }

    /// A token bound by a method the layer cannot check (so refused).
    #[must_use]
    pub fn with_unknown_method(mut self) -> Self {
        self.unknown_method = true;
        self
    }

    /// The confirmation of a `cnf` claim's JSON value: `jkt` and
    /// `x5t#S256` read as strings; any other member, a member of another
    /// type, or a value that is not an object is an unknown method (the
    /// token is refused rather than its binding ignored).
    #[cfg(any(feature = "json", feature = "jwt", feature = "sender-constrained"))]
    pub fn from_json(cnf: &serde_json::Value) -> Self {
        let mut confirmation = Confirmation::default();
        let Some(members) = cnf.as_object() else {
            confirmation.unknown_method = true;
            return confirmation;
        };
        for (name, value) in members {
            match (name.as_str(), value.as_str()) {
                ("jkt", Some(jkt)) => confirmation.jkt = Some(jkt.to_owned()),
                ("x5t#S256", Some(x5t)) => confirmation.x5t_s256 = Some(x5t.to_owned()),
                _ => confirmation.unknown_method = true,
            }
        }
        if members.is_empty() {
            confirmation.unknown_method = true;
        }
        confirmation
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
pub(super) struct RetryAfter {
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

pub(super) fn retry_after_of(
    err: &(dyn std::error::Error + Send + Sync + 'static),
) -> Option<Duration> {
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

    /// The verdict on `token` when it is known without waiting (a cache
    /// hit, say), or `None` when only [`verify`](TokenVerifier::verify) can
    /// tell. `None` by default.
    ///
    /// [`BearerAuthLayer`](crate::server::BearerAuthLayer) asks this first,
    /// and serves a request it answers without allocating a future for the
    /// verification (the verdict still goes through every route rule). A
    /// `Some` must be what `verify` would answer at that moment: this is a
    /// shortcut, never a second opinion.
    ///
    /// ```
    /// use auth_error::server::{Rejection, TokenVerifier, Verified};
    /// use auth_error::{AuthError, AuthErrorCode};
    ///
    /// struct Static;
    /// impl TokenVerifier for Static {
    ///     type Claims = String;
    ///     async fn verify(&self, token: &str) -> Result<Verified<String>, Rejection> {
    ///         self.verify_now(token).expect("always known")
    ///     }
    ///     fn verify_now(&self, token: &str) -> Option<Result<Verified<String>, Rejection>> {
    ///         Some(match token {
    ///             "good" => Ok(Verified::new("alice".into(), vec![])),
    ///             _ => Err(AuthError::new(AuthErrorCode::AuthFailedInvalidBearerToken).into()),
    ///         })
    ///     }
    /// }
    /// ```
    fn verify_now(&self, token: &str) -> Option<Result<Verified<Self::Claims>, Rejection>> {
        let _ = token;
        None
    }

    /// A configuration error that would make every verification a server
    /// fault (a key no allowed algorithm can use): checked once by
    /// [`BearerAuthBuilder::build`](crate::server::BearerAuthBuilder::build), so a broken server refuses to start
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
