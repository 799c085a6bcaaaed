//! The test issuer's signing keys: generated in memory on aws-lc-rs, one per
//! algorithm in use, published as public JWKs; the private halves never
//! leave this file (no `Debug` shows them, no accessor returns them).

use aws_lc_rs::rand::SystemRandom;
use aws_lc_rs::signature::{self as sig, KeyPair as _};
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jsonwebtoken::Algorithm;
use serde_json::{Value, json};

use super::TestIssuerError;

/// The algorithms the test issuer signs with.
pub(super) const SUPPORTED: [Algorithm; 5] = [
    Algorithm::ES256,
    Algorithm::ES384,
    Algorithm::RS256,
    Algorithm::PS256,
    Algorithm::EdDSA,
];

enum Pair {
    Ecdsa(sig::EcdsaKeyPair),
    Rsa(sig::RsaKeyPair),
    Ed25519(sig::Ed25519KeyPair),
}

/// One signing key: its `kid`, its algorithm, the key pair.
pub(super) struct SigningKey {
    pub(super) kid: String,
    pub(super) alg: Algorithm,
    pair: Pair,
}

impl std::fmt::Debug for SigningKey {
    /// The key id and algorithm only: never key material.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SigningKey")
            .field("kid", &self.kid)
            .field("alg", &self.alg)
            .finish_non_exhaustive()
    }
}

/// `n` random bytes, base64url.
pub(super) fn random_b64(n: usize) -> Result<String, TestIssuerError> {
    use aws_lc_rs::rand::SecureRandom as _;
    let mut bytes = vec![0u8; n];
    SystemRandom::new()
        .fill(&mut bytes)
        .map_err(|_| TestIssuerError::Crypto("the random generator failed"))?;
    Ok(URL_SAFE_NO_PAD.encode(bytes))
}

impl SigningKey {
    /// A fresh key for `alg`, with a random `kid`.
    pub(super) fn generate(alg: Algorithm) -> Result<Self, TestIssuerError> {
        let failed = || TestIssuerError::Crypto("key generation failed");
        let pair = match alg {
            Algorithm::ES256 => Pair::Ecdsa(
                sig::EcdsaKeyPair::generate(&sig::ECDSA_P256_SHA256_FIXED_SIGNING)
                    .map_err(|_| failed())?,
            ),
            Algorithm::ES384 => Pair::Ecdsa(
                sig::EcdsaKeyPair::generate(&sig::ECDSA_P384_SHA384_FIXED_SIGNING)
                    .map_err(|_| failed())?,
            ),
            Algorithm::RS256 | Algorithm::PS256 => Pair::Rsa(
                sig::RsaKeyPair::generate(aws_lc_rs::rsa::KeySize::Rsa2048)
                    .map_err(|_| failed())?,
            ),
            Algorithm::EdDSA => {
                Pair::Ed25519(sig::Ed25519KeyPair::generate().map_err(|_| failed())?)
            }
            other => return Err(TestIssuerError::UnsupportedAlgorithm(other)),
        };
        Ok(SigningKey {
            kid: random_b64(9)?,
            alg,
            pair,
        })
    }

    /// The signature of `message`, base64url.
    pub(super) fn sign(&self, message: &[u8]) -> Result<String, TestIssuerError> {
        let failed = || TestIssuerError::Crypto("signing failed");
        let rng = SystemRandom::new();
        let signature = match &self.pair {
            Pair::Ecdsa(pair) => pair
                .sign(&rng, message)
                .map_err(|_| failed())?
                .as_ref()
                .to_vec(),
            Pair::Ed25519(pair) => pair.sign(message).as_ref().to_vec(),
            Pair::Rsa(pair) => {
                let padding: &'static dyn sig::RsaEncoding = match self.alg {
                    Algorithm::PS256 => &sig::RSA_PSS_SHA256,
                    _ => &sig::RSA_PKCS1_SHA256,
                };
                let mut out = vec![0u8; pair.public_modulus_len()];
                pair.sign(padding, &rng, message, &mut out)
                    .map_err(|_| failed())?;
                out
            }
        };
        Ok(URL_SAFE_NO_PAD.encode(signature))
    }

    /// The public JWK (RFC 7517), with `kid`, `alg` and `use: sig`.
    pub(super) fn public_jwk(&self) -> Value {
        let b64 = |bytes: &[u8]| URL_SAFE_NO_PAD.encode(bytes);
        let alg = format!("{:?}", self.alg);
        let mut jwk = match &self.pair {
            Pair::Ecdsa(pair) => {
                let point = pair.public_key().as_ref();
                let (crv, len) = match self.alg {
                    Algorithm::ES384 => ("P-384", 48),
                    _ => ("P-256", 32),
                };
                // An uncompressed point: 0x04, x, y.
                let (x, y) = point
                    .get(1..)
                    .unwrap_or_default()
                    .split_at(len.min(point.len().saturating_sub(1)));
                json!({ "kty": "EC", "crv": crv, "x": b64(x), "y": b64(y) })
            }
            Pair::Rsa(pair) => {
                let components = sig::RsaPublicKeyComponents::<Vec<u8>>::from(pair.public_key());
                json!({ "kty": "RSA", "n": b64(&components.n), "e": b64(&components.e) })
            }
            Pair::Ed25519(pair) => {
                json!({ "kty": "OKP", "crv": "Ed25519", "x": b64(pair.public_key().as_ref()) })
            }
        };
        jwk["kid"] = json!(self.kid);
        jwk["alg"] = json!(alg);
        jwk["use"] = json!("sig");
        jwk
    }
}
