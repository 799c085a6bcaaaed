//! [`TokenBuilder`]: the claims of a token the test issuer mints, signed
//! (a JWT) or opaque (for its introspection endpoint).

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jsonwebtoken::Algorithm;
use serde_json::{Map, Value, json};

use super::keys::random_b64;
use super::{Shared, TestIssuer, TestIssuerError};

/// A token to mint, from [`TestIssuer::token`]: `iss` is the issuer's URL,
/// `sub` `"test-user"`, `iat` now, `exp` five minutes from now, a random
/// `jti`; the header `typ` is `at+jwt` (RFC 9068) and the algorithm ES256
/// unless [`with_algorithm`](Self::with_algorithm) says otherwise.
///
/// ```no_run
/// # async fn doc() -> Result<(), auth_error::testing::TestIssuerError> {
/// use std::time::Duration;
/// use auth_error::testing::TestIssuer;
/// let issuer = TestIssuer::start().await?;
/// let token = issuer
///     .token()
///     .with_subject("alice")
///     .with_audience("orders-api")
///     .with_scopes(["orders.read"])
///     .with_expires_in(Duration::from_secs(60))
///     .sign()?;
/// # drop(token);
/// # Ok(())
/// # }
/// ```
#[derive(Debug)]
#[must_use]
pub struct TokenBuilder<'a> {
    issuer: &'a TestIssuer,
    algorithm: Algorithm,
    claims: Map<String, Value>,
    expires_in: Option<Duration>,
    expired: bool,
}

/// Seconds since the epoch, with the fraction dropped.
fn epoch(at: SystemTime) -> u64 {
    at.duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs())
}

impl<'a> TokenBuilder<'a> {
    pub(super) fn new(issuer: &'a TestIssuer) -> Self {
        let mut claims = Map::new();
        claims.insert("iss".into(), json!(issuer.url()));
        claims.insert("sub".into(), json!("test-user"));
        TokenBuilder {
            issuer,
            algorithm: Algorithm::ES256,
            claims,
            expires_in: None,
            expired: false,
        }
    }

    /// The `sub` claim.
    pub fn with_subject(mut self, subject: impl Into<String>) -> Self {
        self.claims.insert("sub".into(), json!(subject.into()));
        self
    }

    /// The `aud` claim (one audience; [`with_claim`](Self::with_claim) for
    /// a list).
    pub fn with_audience(mut self, audience: impl Into<String>) -> Self {
        self.claims.insert("aud".into(), json!(audience.into()));
        self
    }

    /// The `scope` claim: the scopes, space-separated (RFC 9068 §2.2.3).
    pub fn with_scopes<I, S>(mut self, scopes: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: AsRef<str>,
    {
        let scopes: Vec<String> = scopes.into_iter().map(|s| s.as_ref().to_owned()).collect();
        self.claims.insert("scope".into(), json!(scopes.join(" ")));
        self
    }

    /// The `acr` claim (the authentication context class, RFC 9470).
    pub fn with_acr(mut self, acr: impl Into<String>) -> Self {
        self.claims.insert("acr".into(), json!(acr.into()));
        self
    }

    /// The `auth_time` claim: when the user logged in.
    pub fn with_auth_time(mut self, at: SystemTime) -> Self {
        self.claims.insert("auth_time".into(), json!(epoch(at)));
        self
    }

    /// `exp` this long after now (default five minutes).
    pub fn with_expires_in(mut self, expires_in: Duration) -> Self {
        self.expires_in = Some(expires_in);
        self.expired = false;
        self
    }

    /// `exp` an hour ago (and `iat` two hours ago): a token any verifier
    /// refuses as `TOKEN_EXPIRED`, whatever its leeway up to an hour.
    pub fn expired(mut self) -> Self {
        self.expired = true;
        self
    }

    /// A DPoP-bound token (RFC 9449 §6): `cnf.jkt` is `key`'s thumbprint,
    /// so the layer serves it only with a proof signed by `key`.
    pub fn bound_to(mut self, key: &crate::client::DpopKey) -> Self {
        self.confirm("jkt", key.thumbprint());
        self
    }

    /// A certificate-bound token (RFC 8705 §3): `cnf["x5t#S256"]` is the
    /// thumbprint of `certificate`, so the layer serves it only over a
    /// connection with that client certificate.
    pub fn bound_to_certificate(mut self, certificate: &crate::server::ClientCertificate) -> Self {
        self.confirm("x5t#S256", &certificate.thumbprint());
        self
    }

    fn confirm(&mut self, method: &str, value: &str) {
        let cnf = self
            .claims
            .entry("cnf")
            .or_insert_with(|| Value::Object(Map::new()));
        if let Value::Object(cnf) = cnf {
            cnf.insert(method.into(), json!(value));
        }
    }

    /// Any claim, set last: it overrides what the other methods set.
    pub fn with_claim(mut self, name: impl Into<String>, value: impl Into<Value>) -> Self {
        self.claims.insert(name.into(), value.into());
        self
    }

    /// The signing algorithm: ES256 (the default), ES384, RS256, PS256 or
    /// EdDSA. The issuer makes a key for it on first use and publishes it in
    /// its key set; another algorithm makes [`sign`](Self::sign) fail with
    /// [`TestIssuerError::UnsupportedAlgorithm`].
    pub fn with_algorithm(mut self, algorithm: Algorithm) -> Self {
        self.algorithm = algorithm;
        self
    }

    /// The claims as they will be minted: the defaults, then what was set.
    fn claims(&self) -> Result<Map<String, Value>, TestIssuerError> {
        let now = SystemTime::now();
        let (iat, exp) = match (self.expired, self.expires_in) {
            (true, _) => (
                now.checked_sub(Duration::from_secs(7200))
                    .unwrap_or(UNIX_EPOCH),
                now.checked_sub(Duration::from_secs(3600))
                    .unwrap_or(UNIX_EPOCH),
            ),
            (false, expires_in) => (
                now,
                now.checked_add(expires_in.unwrap_or(Duration::from_secs(300)))
                    .unwrap_or(now),
            ),
        };
        let mut claims = Map::new();
        claims.insert("iat".into(), json!(epoch(iat)));
        claims.insert("exp".into(), json!(epoch(exp)));
        claims.insert("jti".into(), json!(random_b64(12)?));
        for (name, value) in &self.claims {
            claims.insert(name.clone(), value.clone());
        }
        Ok(claims)
    }

    /// The token, signed: a compact JWS with the issuer's current key for the
    /// algorithm (its `kid` in the header).
    pub fn sign(self) -> Result<String, TestIssuerError> {
        let claims = self.claims()?;
        sign_claims(&self.issuer.shared, self.algorithm, &Value::Object(claims))
    }

    /// An opaque token (random, 32 bytes) that the issuer's introspection
    /// endpoint answers for with these claims (`active: true` until `exp`
    /// or until revoked).
    pub fn opaque(self) -> Result<String, TestIssuerError> {
        let claims = self.claims()?;
        let token = random_b64(32)?;
        self.issuer.remember_opaque(token.clone(), claims);
        Ok(token)
    }
}

/// A compact JWS of `claims` under the issuer's current key for `algorithm`.
pub(super) fn sign_claims(
    issuer: &Shared,
    algorithm: Algorithm,
    claims: &Value,
) -> Result<String, TestIssuerError> {
    issuer.with_key(algorithm, |key| {
        let header = json!({ "alg": format!("{algorithm:?}"), "typ": "at+jwt", "kid": key.kid });
        let message = format!(
            "{}.{}",
            URL_SAFE_NO_PAD.encode(header.to_string()),
            URL_SAFE_NO_PAD.encode(claims.to_string())
        );
        let signature = key.sign(message.as_bytes())?;
        Ok(format!("{message}.{signature}"))
    })
}
