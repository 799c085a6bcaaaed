//! [`Issuers`]: one [`TokenVerifier`] for several issuers (multi-tenant).

use std::collections::HashMap;
use std::fmt;

use serde::de::DeserializeOwned;

use super::{JwtVerifier, unverified_issuer};
use crate::server::{Rejection, TokenVerifier, Verified};
use crate::{AuthError, AuthErrorCode};

use crate::BoxError;

/// One [`TokenVerifier`] for several issuers: each token goes to the
/// verifier of its (unverified) `iss`, which then verifies it fully; an
/// `iss` none of them accepts is `AUTH_FAILED_INVALID_ISSUER` naming no
/// configured issuer (callers are unauthenticated), and causes no key fetch. Each verifier names its issuers in its validation
/// ([`JwtVerifier::from_issuer`] does).
///
/// ```
/// use auth_error::jwt::{Issuers, JwtVerifier};
/// use jsonwebtoken::{Algorithm, Validation};
///
/// let mut validation = Validation::new(Algorithm::RS256);
/// validation.set_audience(&["https://orders.example.com"]);
/// let tenants = Issuers::new([
///     JwtVerifier::from_issuer("https://id.tenant-a.example", validation.clone())?,
///     JwtVerifier::from_issuer("https://id.tenant-b.example", validation)?,
/// ]);
/// # drop(tenants);
/// # Ok::<(), auth_error::oidc::ProviderError>(())
/// ```
pub struct Issuers<C = serde_json::Value> {
    verifiers: Vec<JwtVerifier<C>>,
    by_issuer: HashMap<String, usize>,
    /// An issuer named by two verifiers, or a verifier naming none.
    config_error: Option<String>,
}

impl<C> fmt::Debug for Issuers<C> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut issuers: Vec<&String> = self.by_issuer.keys().collect();
        issuers.sort();
        f.debug_struct("Issuers")
            .field("issuers", &issuers)
            .field("config_error", &self.config_error)
            .finish_non_exhaustive()
    }
}

impl<C> Issuers<C> {
    /// One verifier per issuer. A verifier that names no issuer, or an
    /// issuer named twice, is a configuration error
    /// ([`check`](TokenVerifier::check) reports it, so
    /// [`BearerAuthBuilder::build`](crate::server::BearerAuthBuilder::build)
    /// refuses it).
    pub fn new(verifiers: impl IntoIterator<Item = JwtVerifier<C>>) -> Self {
        let verifiers: Vec<JwtVerifier<C>> = verifiers.into_iter().collect();
        let mut by_issuer = HashMap::new();
        let mut config_error = None;
        for (i, verifier) in verifiers.iter().enumerate() {
            let mut named = false;
            for iss in verifier.issuers() {
                named = true;
                if by_issuer.insert(iss.to_owned(), i).is_some() {
                    config_error.get_or_insert(format!(
                        "issuer `{}` is named by two verifiers",
                        iss.escape_debug()
                    ));
                }
            }
            if !named {
                config_error.get_or_insert(format!("verifier {i} names no issuer"));
            }
        }
        Issuers {
            verifiers,
            by_issuer,
            config_error,
        }
    }

    /// A foreign or missing `iss`. Names no configured issuer: the list
    /// (tenant ids, organizations, user pools) is nobody else's business.
    fn refuse(&self) -> Rejection {
        AuthError::new(AuthErrorCode::AuthFailedInvalidIssuer).into()
    }
}

impl<C> TokenVerifier for Issuers<C>
where
    C: DeserializeOwned + Clone + Send + Sync + 'static,
{
    type Claims = C;

    async fn verify(&self, token: &str) -> Result<Verified<C>, Rejection> {
        let Some(iss) = unverified_issuer(token) else {
            return Err(self.refuse());
        };
        match self.by_issuer.get(&iss) {
            Some(&i) => self.verifiers[i].verify(token).await,
            None => Err(self.refuse()),
        }
    }

    fn check(&self) -> Result<(), BoxError> {
        if let Some(why) = &self.config_error {
            return Err(why.clone().into());
        }
        self.verifiers.iter().try_for_each(TokenVerifier::check)
    }

    fn token_issuer(&self, token: &str) -> Option<String> {
        unverified_issuer(token)
    }
}
