//! The verifier contract: [`TokenVerifier`], what it accepts ([`Verified`])
//! and why it refuses ([`Rejection`]).

use std::fmt;
use std::future::Future;
use std::sync::Arc;

use super::*;
use std::time::{Duration, SystemTime};

use crate::AuthError;

/// What a [`TokenVerifier`] accepted: the verified claims and the scopes the
/// token grants. [`BearerAuthLayer`] puts it in the request's extensions,
/// where a tonic handler reads it:
/// `request.extensions().get::<Verified<MyClaims>>()`.
///
/// Its parts are shared, not copied: a clone (what a verifier's cache hands
/// out on every hit) costs a few reference counts, whatever the claims.
#[derive(Debug)]
pub struct Verified<C> {
    claims: Arc<C>,
    scopes: Arc<[String]>,
    acr: Option<Arc<str>>,
    auth_time: Option<SystemTime>,
    token_id: Option<Arc<str>>,
}

impl<C> Clone for Verified<C> {
    fn clone(&self) -> Self {
        Verified {
            claims: self.claims.clone(),
            scopes: self.scopes.clone(),
            acr: self.acr.clone(),
            auth_time: self.auth_time,
            token_id: self.token_id.clone(),
        }
    }
}

impl<C> Verified<C> {
    /// Verified `claims` granting `scopes`.
    pub fn new(claims: C, scopes: Vec<String>) -> Self {
        Verified {
            claims: Arc::new(claims),
            scopes: scopes.into(),
            acr: None,
            auth_time: None,
            token_id: None,
        }
    }

    /// With the token's id (its `jti` claim): the layer's `auth` span
    /// records a short hash of it (`auth.token_id_hash`), never the id.
    #[must_use]
    pub fn with_token_id(mut self, token_id: impl Into<String>) -> Self {
        self.token_id = Some(token_id.into().into());
        self
    }

    /// The token's id (`jti`), if the verifier read one.
    pub fn token_id(&self) -> Option<&str> {
        self.token_id.as_deref()
    }

    /// With the authentication context class the user authenticated with
    /// (the token's `acr` claim), checked by
    /// [`BearerAuthBuilder::add_required_acr`].
    #[must_use]
    pub fn with_acr(mut self, acr: impl Into<String>) -> Self {
        self.acr = Some(acr.into().into());
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
