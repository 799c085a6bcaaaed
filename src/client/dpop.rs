//! [`DpopKey`]: the client's DPoP key and the proofs it signs (RFC 9449 §4).

use std::fmt;
use std::sync::Arc;
use std::time::{SystemTime, UNIX_EPOCH};

use aws_lc_rs::rand::SystemRandom;
use aws_lc_rs::signature::{ECDSA_P256_SHA256_FIXED_SIGNING, EcdsaKeyPair, KeyPair as _};
use base64::Engine as _;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};

/// Why a [`DpopKey`] could not be made or could not sign. It never holds
/// the key or the PEM.
#[derive(Debug)]
#[non_exhaustive]
pub enum DpopKeyError {
    /// The text is not a PEM `PRIVATE KEY` (PKCS#8) block.
    NotPem,
    /// The PKCS#8 key is not a P-256 ECDSA key, or is malformed.
    NotP256,
    /// The system's random source failed.
    Random,
}

impl fmt::Display for DpopKeyError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            DpopKeyError::NotPem => "not a PEM `PRIVATE KEY` (PKCS#8) block",
            DpopKeyError::NotP256 => "not a P-256 ECDSA PKCS#8 key (DPoP keys are ES256)",
            DpopKeyError::Random => "the system random source failed",
        })
    }
}

impl std::error::Error for DpopKeyError {}

/// A client's DPoP key (ES256, P-256): what
/// [`CredentialsLayer::with_dpop`](crate::client::CredentialsLayer::with_dpop)
/// signs a fresh proof with on every call, and what a DPoP-bound token is
/// bound to (its [`thumbprint`](Self::thumbprint) is the token's
/// `cnf.jkt`). Cloning shares the key. `Debug` shows the thumbprint, never
/// the private key.
///
/// ```
/// use auth_error::client::DpopKey;
/// let key = DpopKey::generate_es256()?;
/// let proof = key.proof("POST", "https://api.example.com/orders.v1.Orders/Get", Some("an-access-token"), None)?;
/// assert_eq!(proof.split('.').count(), 3);
/// assert_eq!(key.thumbprint().len(), 43);
/// # Ok::<(), auth_error::client::DpopKeyError>(())
/// ```
#[derive(Clone)]
pub struct DpopKey {
    inner: Arc<Inner>,
}

struct Inner {
    pair: EcdsaKeyPair,
    /// The public JWK, RFC 7638's canonical form.
    jwk: String,
    /// The proof header, base64url: `{"typ":"dpop+jwt","alg":"ES256","jwk":{…}}`.
    header: String,
    jkt: String,
}

impl DpopKey {
    /// A new random P-256 key (kept in memory only: a restart makes a new
    /// one, and tokens bound to the old one are fetched again).
    pub fn generate_es256() -> Result<Self, DpopKeyError> {
        let pair = EcdsaKeyPair::generate(&ECDSA_P256_SHA256_FIXED_SIGNING)
            .map_err(|_| DpopKeyError::Random)?;
        Ok(Self::of(pair))
    }

    /// A P-256 key from a PEM `-----BEGIN PRIVATE KEY-----` (PKCS#8) block.
    pub fn from_pkcs8_pem(pem: &str) -> Result<Self, DpopKeyError> {
        let body = pem
            .split("-----BEGIN PRIVATE KEY-----")
            .nth(1)
            .and_then(|rest| rest.split("-----END PRIVATE KEY-----").next())
            .ok_or(DpopKeyError::NotPem)?;
        let b64: String = body.chars().filter(|c| !c.is_ascii_whitespace()).collect();
        let der = STANDARD.decode(b64).map_err(|_| DpopKeyError::NotPem)?;
        Self::from_pkcs8_der(&der)
    }

    /// A P-256 key from PKCS#8 DER.
    pub fn from_pkcs8_der(der: &[u8]) -> Result<Self, DpopKeyError> {
        let pair = EcdsaKeyPair::from_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, der)
            .map_err(|_| DpopKeyError::NotP256)?;
        Ok(Self::of(pair))
    }

    fn of(pair: EcdsaKeyPair) -> Self {
        // The uncompressed point: 0x04 ‖ x ‖ y, 32 bytes each.
        let point = pair.public_key().as_ref();
        let (x, y) = point[1..].split_at(32);
        let (x, y) = (URL_SAFE_NO_PAD.encode(x), URL_SAFE_NO_PAD.encode(y));
        let jwk = format!(r#"{{"crv":"P-256","kty":"EC","x":"{x}","y":"{y}"}}"#);
        // RFC 7638: the canonical JWK above is the thumbprint's input.
        let jkt = crate::jose::sha256_b64(jwk.as_bytes());
        let header =
            URL_SAFE_NO_PAD.encode(format!(r#"{{"typ":"dpop+jwt","alg":"ES256","jwk":{jwk}}}"#));
        DpopKey {
            inner: Arc::new(Inner {
                pair,
                jwk,
                header,
                jkt,
            }),
        }
    }

    /// The RFC 7638 thumbprint of the public key (base64url SHA-256): the
    /// `cnf.jkt` of the tokens bound to this key.
    pub fn thumbprint(&self) -> &str {
        &self.inner.jkt
    }

    /// The public key as a JWK (JSON text).
    pub fn public_jwk(&self) -> &str {
        &self.inner.jwk
    }

    /// A proof for one request (RFC 9449 §4.2): `htm` `method`, `htu` `url`
    /// (query and fragment removed), `iat` now, a random `jti`, `ath` the
    /// hash of `access_token` when given (requests to a resource server)
    /// and `nonce` when the server asked for one.
    pub fn proof(
        &self,
        method: &str,
        url: &str,
        access_token: Option<&str>,
        nonce: Option<&str>,
    ) -> Result<String, DpopKeyError> {
        let ath = access_token.map(|t| crate::jose::sha256_b64(t.as_bytes()));
        self.proof_with_ath(method, url, ath.as_deref(), nonce)
    }

    /// [`proof`](Self::proof) with the token's hash already made.
    pub(crate) fn proof_with_ath(
        &self,
        method: &str,
        url: &str,
        ath: Option<&str>,
        nonce: Option<&str>,
    ) -> Result<String, DpopKeyError> {
        let mut jti = [0u8; 16];
        aws_lc_rs::rand::fill(&mut jti).map_err(|_| DpopKeyError::Random)?;
        let iat = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| d.as_secs())
            .unwrap_or(0);
        let htu = url.split(['?', '#']).next().unwrap_or("");
        let mut claims = serde_json::Map::new();
        claims.insert("jti".into(), URL_SAFE_NO_PAD.encode(jti).into());
        claims.insert("htm".into(), method.into());
        claims.insert("htu".into(), htu.into());
        claims.insert("iat".into(), iat.into());
        if let Some(ath) = ath {
            claims.insert("ath".into(), ath.into());
        }
        if let Some(nonce) = nonce {
            claims.insert("nonce".into(), nonce.into());
        }
        let payload = serde_json::to_vec(&claims).map_err(|_| DpopKeyError::Random)?;
        let mut jws = String::with_capacity(self.inner.header.len() + 2 * payload.len() + 90);
        jws.push_str(&self.inner.header);
        jws.push('.');
        URL_SAFE_NO_PAD.encode_string(&payload, &mut jws);
        let signature = self
            .inner
            .pair
            .sign(&SystemRandom::new(), jws.as_bytes())
            .map_err(|_| DpopKeyError::Random)?;
        jws.push('.');
        URL_SAFE_NO_PAD.encode_string(signature.as_ref(), &mut jws);
        Ok(jws)
    }
}

impl fmt::Debug for DpopKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DpopKey")
            .field("alg", &"ES256")
            .field("thumbprint", &self.inner.jkt)
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_and_errors_never_show_the_key() {
        let key = DpopKey::generate_es256().unwrap();
        let shown = format!("{key:?}");
        assert!(shown.contains(key.thumbprint()), "{shown}");
        assert!(!shown.contains("d\""));
        let err =
            DpopKey::from_pkcs8_pem("-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----")
                .unwrap_err();
        assert!(!err.to_string().contains("AAAA"));
        assert!(matches!(
            DpopKey::from_pkcs8_pem("no pem"),
            Err(DpopKeyError::NotPem)
        ));
    }

    #[test]
    fn the_thumbprint_is_the_public_jwks() {
        let key = DpopKey::generate_es256().unwrap();
        let jwk: serde_json::Value = serde_json::from_str(key.public_jwk()).unwrap();
        assert_eq!(
            crate::jose::thumbprint(jwk.as_object().unwrap()).as_deref(),
            Some(key.thumbprint())
        );
    }
}
