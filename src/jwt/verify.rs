//! Verifying a token: the verified-token cache, the key for a `kid`, one
//! read of the token (`decode`), and the refusal with its context.

use std::sync::Arc;
use std::time::{Duration, UNIX_EPOCH};

use jsonwebtoken::errors::{Error, ErrorKind};
use serde::de::DeserializeOwned;
use serde_json::Value;

use super::claims::{
    claims_do_not_fit, claims_from, is_access_token_type, missing_access_token_claim, now,
    numeric_date, scopes, unverified_issuer,
};
#[cfg(feature = "oidc")]
use super::remote;
use super::{Cached, JwtVerifier, Key, MAX_CACHED_TOKEN_LEN, classify, decode};
use crate::server::{Confirmation, Rejection, TokenVerifier, Verified};
use crate::{AuthError, AuthErrorCode};

impl<C> JwtVerifier<C> {
    /// The refusal for `err`, with the context a client can act on; the
    /// expiry and token id from `claims` (verified: the signature was
    /// checked before the expiry) for an expired token.
    fn reject(&self, err: &Error, claims: Option<&Value>) -> Rejection {
        let Rejection::Auth(mut auth) = classify(err) else {
            return classify(err);
        };
        match err.kind() {
            ErrorKind::ExpiredSignature => {
                if let Some(exp) = claims
                    .and_then(|c| c.get("exp"))
                    .and_then(Value::as_f64)
                    .filter(|e| e.is_finite())
                {
                    let exp = Duration::try_from_secs_f64(exp).unwrap_or_default();
                    auth =
                        auth.with_token_expiry(UNIX_EPOCH.checked_add(exp).unwrap_or(UNIX_EPOCH));
                }
                if let Some(jti) = claims.and_then(|c| c.get("jti")).and_then(Value::as_str) {
                    auth = auth.with_token_id(jti);
                }
            }
            ErrorKind::InvalidAudience => {
                if let Some(aud) = &self.validation.aud {
                    let mut accepted: Vec<&str> = aud.iter().map(String::as_str).collect();
                    accepted.sort_unstable();
                    auth = auth.with_audiences(accepted);
                }
            }
            // One issuer may be named (it is what the client should have
            // asked for); a list would tell anyone every tenant.
            ErrorKind::InvalidIssuer => {
                if let Some(iss) = &self.validation.iss
                    && let [only] = iss.iter().collect::<Vec<_>>()[..]
                {
                    auth = auth.with_issuer(only.as_str());
                }
            }
            _ => {}
        }
        Rejection::Auth(auth)
    }
}

impl<C> JwtVerifier<C> {
    /// `AUTH_FAILED_INVALID_ISSUER` for a token whose unverified `iss` is
    /// not one this verifier accepts.
    #[cfg(feature = "oidc")]
    fn refuse_foreign_issuer(&self, token: &str) -> Result<(), Rejection> {
        let Some(accepted) = &self.validation.iss else {
            return Ok(());
        };
        match unverified_issuer(token) {
            Some(iss) if accepted.contains(&iss) => Ok(()),
            Some(_) => Err(self.reject(&ErrorKind::InvalidIssuer.into(), None)),
            None => Err(self.reject(&ErrorKind::MissingRequiredClaim("iss".into()).into(), None)),
        }
    }
}

fn invalid(message: &'static str) -> Rejection {
    AuthError::new(AuthErrorCode::AuthFailedInvalidBearerToken)
        .with_message(message)
        .into()
}

impl<C> TokenVerifier for JwtVerifier<C>
where
    C: DeserializeOwned + Clone + Send + Sync + 'static,
{
    type Claims = C;

    async fn verify(&self, token: &str) -> Result<Verified<C>, Rejection> {
        if let Some(why) = &self.config_error {
            return Err(Rejection::Fault(why.to_string().into()));
        }
        let cached = self.cached(token);
        if self.cache.is_some() {
            crate::observe::cache(crate::observe::Cache::VerifiedTokens, cached.is_some());
        }
        let (verified, json) = match cached {
            Some((verified, json)) => (verified, Some(json)),
            None => self.verify_uncached(token).await?,
        };
        // Kept whenever there are checks on it (see `verify_uncached`).
        if let Some(json) = &json {
            for check in &self.json_checks {
                check(json).await?;
            }
        }
        for check in &self.checks {
            check(verified.claims()).await?;
        }
        Ok(verified)
    }

    fn check(&self) -> Result<(), BoxError> {
        match &self.config_error {
            Some(why) => Err(why.to_string().into()),
            None => Ok(()),
        }
    }

    fn token_issuer(&self, token: &str) -> Option<String> {
        unverified_issuer(token)
    }
}

use crate::BoxError;

impl<C> JwtVerifier<C>
where
    C: DeserializeOwned + Clone + Send + Sync + 'static,
{
    /// A cached verification still valid now, if any.
    fn cached(&self, token: &str) -> Option<(Verified<C>, Arc<Value>)> {
        let cache = self.cache.as_ref()?;
        let entries = cache.entries.lock().ok()?;
        let hit = entries.get(token)?;
        let v = &self.validation;
        let now = now();
        let (leeway, early_reject) = (
            v.leeway as f64,
            v.reject_tokens_expiring_in_less_than as f64,
        );
        let expired = v.validate_exp
            && hit
                .exp
                .is_some_and(|exp| exp - early_reject <= now - leeway);
        let early = v.validate_nbf && hit.nbf.is_some_and(|nbf| nbf > now + leeway);
        #[cfg(feature = "oidc")]
        let key_held = match (&hit.remote_key, &self.remote) {
            (Some((kid, key)), Some(remote)) => remote.still_holds(kid, key),
            _ => true,
        };
        #[cfg(not(feature = "oidc"))]
        let key_held = true;
        // A stale entry is verified again, which gives the right rejection.
        (!expired && !early && key_held).then(|| (hit.verified.clone(), hit.json.clone()))
    }

    /// The key for a token with header `kid`, and whether it was fetched
    /// (the cache must then check that it is still held).
    async fn key(&self, token: &str, kid: Option<&str>) -> Result<(Arc<Key>, bool), Rejection> {
        let unknown = || invalid("the token's key id is not known");
        #[cfg(feature = "oidc")]
        if let Some(remote) = &self.remote {
            let kid = kid.ok_or_else(|| invalid("the token has no key id"))?;
            if let Some(key) = remote.held(kid, &self.validation) {
                return Ok((key, true));
            }
            // A key not held may cost a fetch: a foreign token must not.
            self.refuse_foreign_issuer(token)?;
            return match remote.key(kid, &self.validation).await {
                remote::Lookup::Found(key) => Ok((key, true)),
                remote::Lookup::Unknown => Err(unknown()),
                remote::Lookup::CoolingDown(wait) => Err({
                    crate::observe::jwks_cooldown_refusal();
                    Rejection::unavailable_for(
                        "the token's key id is not in the keys held, and the key set was fetched too recently to fetch it again",
                        wait,
                    )
                }),
                remote::Lookup::Unavailable(err, wait) => {
                    Err(Rejection::unavailable_for(err, wait))
                }
                remote::Lookup::Fault(err) => Err(Rejection::Fault(err)),
            };
        }
        let _ = token;
        let key = match kid {
            Some(kid) => self.keys.get(kid),
            None => self.default_key.as_ref(),
        };
        key.cloned().map(|key| (key, false)).ok_or_else(unknown)
    }

    /// The verified token, and its JSON claims when a check or the cache
    /// needs them (otherwise the claims are moved into `C`, not copied).
    async fn verify_uncached(
        &self,
        token: &str,
    ) -> Result<(Verified<C>, Option<Arc<Value>>), Rejection> {
        // The header's three fields that choose the key (`alg`, `kid`,
        // `typ`), then the signature, then the claims, each read once (see
        // `decode`).
        let malformed =
            || invalid("the token is not a compact JWS with a header this verifier reads");
        let parts = decode::Parts::of(token).ok_or_else(malformed)?;
        let mut buf = decode::HeaderBuf::new();
        let header = decode::peek_header(parts.header, &mut buf).ok_or_else(malformed)?;
        if !self.validation.algorithms.contains(&header.alg) {
            return Err(invalid("the token's algorithm is not accepted"));
        }
        if header.crit {
            return Err(invalid(
                "the token's header lists critical extensions (`crit`), which this verifier does not understand",
            ));
        }
        if self.access_token_profile && !is_access_token_type(header.typ.as_deref()) {
            return Err(invalid(
                "not an RFC 9068 access token: the header `typ` is not `at+jwt`",
            ));
        }
        #[cfg_attr(not(feature = "oidc"), allow(unused_variables))]
        let (key, fetched) = self.key(token, header.kid.as_deref()).await?;
        // An `alg` its key cannot verify (ES384 on a P-256 key) would make
        // jsonwebtoken report a key error: the token's fault, not the server's.
        if !key.algorithms.contains(&header.alg) {
            return Err(invalid("the token's algorithm does not match its key"));
        }
        // jsonwebtoken panics when no crypto backend is configured: that is
        // the server's fault, and must not take the server task down.
        std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            decode::verify_signature(&parts, header.alg, &key.key, &self.validation)
        }))
        .map_err(|_| {
            Rejection::Fault(
                "jsonwebtoken has no crypto backend: enable `jwt-rust-crypto`, or a jsonwebtoken backend feature"
                    .into(),
            )
        })?
        .map_err(|e| self.reject(&e, None))?;
        let claims = decode::claims(&parts).map_err(|e| self.reject(&e, None))?;
        decode::validate(&claims, &self.validation).map_err(|e| self.reject(&e, Some(&claims)))?;
        let scopes = scopes(&claims);
        // Present but not a number: verified (jsonwebtoken's rules) but never
        // cached, since the cache could not check it again.
        let read = |name: &str| match claims.get(name) {
            None => Some(None),
            Some(value) => numeric_date(value).map(Some),
        };
        let times = self
            .cache
            .is_some()
            .then(|| read("exp").zip(read("nbf")))
            .flatten();
        if self.access_token_profile
            && let Some(why) = missing_access_token_claim(&claims)
        {
            return Err(invalid(why));
        }
        let acr = claims.get("acr").and_then(Value::as_str).map(str::to_owned);
        let jti = claims.get("jti").and_then(Value::as_str).map(str::to_owned);
        // A sender-constrained token (RFC 7800 `cnf`): the layer checks the
        // binding on every request, cached or not.
        let confirmation = claims.get("cnf").map(Confirmation::from_json);
        let auth_time = claims.get("auth_time").and_then(numeric_date);
        // A login cannot happen later than now, give or take the
        // validation's leeway: a later `auth_time` would make every
        // `add_max_auth_age` rule see a fresh login for years.
        if auth_time.is_some_and(|at| at > now() + self.validation.leeway as f64) {
            return Err(AuthError::new(AuthErrorCode::InvalidClaims)
                .with_message("the token's `auth_time` is in the future")
                .with_invalid_claims(["auth_time"])
                .into());
        }
        let auth_time = auth_time
            .and_then(|secs| Duration::try_from_secs_f64(secs).ok())
            .and_then(|since| UNIX_EPOCH.checked_add(since));
        let keep_json = !self.json_checks.is_empty() || self.cache.is_some();
        let (claims, json): (C, _) = match keep_json {
            true => {
                let json = Arc::new(claims);
                let claims = C::deserialize(json.as_ref())
                    .map_err(|_| Rejection::Auth(claims_do_not_fit()))?;
                (claims, Some(json))
            }
            false => (claims_from(claims)?, None),
        };
        let mut verified = Verified::new(claims, scopes);
        if let Some(acr) = acr {
            verified = verified.with_acr(acr);
        }
        if let Some(at) = auth_time {
            verified = verified.with_auth_time(at);
        }
        if let Some(jti) = jti {
            verified = verified.with_token_id(jti);
        }
        if let Some(confirmation) = confirmation {
            verified = verified.with_confirmation(confirmation);
        }
        if let Some(cache) = &self.cache
            && let Some(json) = &json
            && let Some((exp, nbf)) = times
            && token.len() <= MAX_CACHED_TOKEN_LEN
            && let Ok(mut entries) = cache.entries.lock()
        {
            if entries.len() >= cache.capacity
                && let Some(victim) = entries.keys().next().cloned()
            {
                entries.remove(&victim);
                crate::observe::cache_eviction(crate::observe::Cache::VerifiedTokens);
            }
            let cached = Cached {
                verified: verified.clone(),
                json: json.clone(),
                #[cfg(feature = "oidc")]
                remote_key: header
                    .kid
                    .as_deref()
                    .filter(|_| fetched)
                    .map(|kid| (kid.to_owned(), key.clone())),
                exp,
                nbf,
            };
            entries.insert(token.to_owned(), cached);
        }
        Ok((verified, json))
    }
}
