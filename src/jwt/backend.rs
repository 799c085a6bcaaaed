//! Signature verification on the crypto library this crate's features chose,
//! called directly: never through jsonwebtoken's process-wide
//! `CryptoProvider`, and without turning on jsonwebtoken's own backend
//! features.
//!
//! Why: Cargo unifies features. Had this crate turned on
//! `jsonwebtoken/aws_lc_rs`, an application using jsonwebtoken with
//! `rust_crypto` for its own tokens would get both backends, and
//! jsonwebtoken, unable to choose, panics in the application's own
//! `encode`/`decode`; installing a process default to fix that would choose
//! the application's backend for it. So the backends are this crate's own
//! dependencies (`aws-lc-rs` with `jwt-aws-lc`, the RustCrypto crates with
//! `jwt-rust-crypto`), used here and nowhere else; jsonwebtoken parses keys
//! and claims, and the application's jsonwebtoken behaves exactly as it
//! would without this crate. With plain `jwt` (no backend feature), the
//! verifier uses jsonwebtoken's process default: the application's choice.
//!
//! The results follow jsonwebtoken's own `crypto::verify`: `Ok(false)` for
//! a signature that does not verify, an error of jsonwebtoken's kinds for a
//! key that cannot verify `alg` at all (a key of another family, an EC key
//! that is not on its curve) or a signature that is not base64url.

#[cfg(any(feature = "jwt-aws-lc", feature = "jwt-rust-crypto"))]
use base64::{Engine as _, engine::general_purpose::URL_SAFE_NO_PAD};
use jsonwebtoken::errors::Error;
use jsonwebtoken::{Algorithm, DecodingKey};
#[cfg(any(feature = "jwt-aws-lc", feature = "jwt-rust-crypto"))]
use jsonwebtoken::{DecodingKeyKind, errors::ErrorKind};

/// Whether `signature` (base64url) signs `message` under `key` with `alg`.
pub(crate) fn verify(
    signature: &str,
    message: &[u8],
    key: &DecodingKey,
    alg: Algorithm,
) -> Result<bool, Error> {
    #[cfg(any(feature = "jwt-aws-lc", feature = "jwt-rust-crypto"))]
    {
        if key.family() != alg.family() {
            return Err(ErrorKind::InvalidKeyFormat.into());
        }
        let signature = URL_SAFE_NO_PAD
            .decode(signature)
            .map_err(|e| Error::from(ErrorKind::Base64(e)))?;
        // With both features (`--all-features`), aws-lc-rs: fewer
        // instructions per verification.
        #[cfg(feature = "jwt-aws-lc")]
        return aws_lc::verify(&signature, message, key, alg);
        #[cfg(not(feature = "jwt-aws-lc"))]
        return rust_crypto::verify(&signature, message, key, alg);
    }
    #[cfg(not(any(feature = "jwt-aws-lc", feature = "jwt-rust-crypto")))]
    {
        jsonwebtoken::crypto::verify(signature, message, key, alg)
    }
}

/// The key's bytes (a secret, a DER or SEC1 public key), or the RSA
/// components.
#[cfg(any(feature = "jwt-aws-lc", feature = "jwt-rust-crypto"))]
fn bytes(key: &DecodingKey) -> Result<&[u8], Error> {
    match key.kind() {
        DecodingKeyKind::SecretOrDer(bytes) => Ok(bytes),
        DecodingKeyKind::RsaModulusExponent { .. } => Err(ErrorKind::InvalidKeyFormat.into()),
    }
}

#[cfg(feature = "jwt-aws-lc")]
mod aws_lc {
    use aws_lc_rs::{hmac, signature as sig};

    use super::*;

    pub(super) fn verify(
        signature: &[u8],
        message: &[u8],
        key: &DecodingKey,
        alg: Algorithm,
    ) -> Result<bool, Error> {
        let hmac = |algorithm| -> Result<bool, Error> {
            let key = hmac::Key::new(algorithm, bytes(key)?);
            Ok(hmac::verify(&key, message, signature).is_ok())
        };
        let public = |algorithm: &'static dyn sig::VerificationAlgorithm| -> Result<bool, Error> {
            Ok(sig::UnparsedPublicKey::new(algorithm, bytes(key)?)
                .verify(message, signature)
                .is_ok())
        };
        let rsa = |algorithm: &'static sig::RsaParameters| -> Result<bool, Error> {
            Ok(match key.kind() {
                DecodingKeyKind::SecretOrDer(der) => sig::UnparsedPublicKey::new(algorithm, der)
                    .verify(message, signature)
                    .is_ok(),
                DecodingKeyKind::RsaModulusExponent { n, e } => {
                    sig::RsaPublicKeyComponents { n, e }
                        .verify(algorithm, message, signature)
                        .is_ok()
                }
            })
        };
        match alg {
            Algorithm::HS256 => hmac(hmac::HMAC_SHA256),
            Algorithm::HS384 => hmac(hmac::HMAC_SHA384),
            Algorithm::HS512 => hmac(hmac::HMAC_SHA512),
            Algorithm::ES256 => public(&sig::ECDSA_P256_SHA256_FIXED),
            Algorithm::ES384 => public(&sig::ECDSA_P384_SHA384_FIXED),
            Algorithm::EdDSA => public(&sig::ED25519),
            Algorithm::RS256 => rsa(&sig::RSA_PKCS1_2048_8192_SHA256),
            Algorithm::RS384 => rsa(&sig::RSA_PKCS1_2048_8192_SHA384),
            Algorithm::RS512 => rsa(&sig::RSA_PKCS1_2048_8192_SHA512),
            Algorithm::PS256 => rsa(&sig::RSA_PSS_2048_8192_SHA256),
            Algorithm::PS384 => rsa(&sig::RSA_PSS_2048_8192_SHA384),
            Algorithm::PS512 => rsa(&sig::RSA_PSS_2048_8192_SHA512),
            // An algorithm added to jsonwebtoken later: not verifiable here.
            _ => Err(ErrorKind::InvalidAlgorithm.into()),
        }
    }
}

#[cfg(all(feature = "jwt-rust-crypto", not(feature = "jwt-aws-lc")))]
mod rust_crypto {
    use hmac::{Hmac, Mac};
    use rsa::{BigUint, Pkcs1v15Sign, Pss, RsaPublicKey, pkcs1::DecodeRsaPublicKey};
    use sha2::{Digest, Sha256, Sha384, Sha512};
    use signature::Verifier as _;

    use super::*;

    pub(super) fn verify(
        signature: &[u8],
        message: &[u8],
        key: &DecodingKey,
        alg: Algorithm,
    ) -> Result<bool, Error> {
        fn hmac<M: Mac + hmac::digest::KeyInit>(
            key: &[u8],
            message: &[u8],
            signature: &[u8],
        ) -> Result<bool, Error> {
            let mut mac = <M as hmac::digest::KeyInit>::new_from_slice(key)
                .map_err(|_| Error::from(ErrorKind::InvalidKeyFormat))?;
            mac.update(message);
            Ok(mac.verify_slice(signature).is_ok())
        }
        let rsa_key = || -> Result<RsaPublicKey, Error> {
            match key.kind() {
                DecodingKeyKind::SecretOrDer(der) => RsaPublicKey::from_pkcs1_der(der)
                    .map_err(|e| ErrorKind::InvalidRsaKey(e.to_string()).into()),
                DecodingKeyKind::RsaModulusExponent { n, e } => {
                    RsaPublicKey::new(BigUint::from_bytes_be(n), BigUint::from_bytes_be(e))
                        .map_err(|e| ErrorKind::InvalidRsaKey(e.to_string()).into())
                }
            }
        };
        // As jsonwebtoken's RustCrypto backend: an RSA key that does not
        // parse fails its signatures (checked when verifying).
        let pkcs1 = |scheme: Pkcs1v15Sign, digest: &[u8]| -> bool {
            rsa_key().is_ok_and(|k| k.verify(scheme, digest, signature).is_ok())
        };
        let pss = |scheme: Pss, digest: &[u8]| -> bool {
            rsa_key().is_ok_and(|k| k.verify(scheme, digest, signature).is_ok())
        };
        Ok(match alg {
            Algorithm::HS256 => return hmac::<Hmac<Sha256>>(bytes(key)?, message, signature),
            Algorithm::HS384 => return hmac::<Hmac<Sha384>>(bytes(key)?, message, signature),
            Algorithm::HS512 => return hmac::<Hmac<Sha512>>(bytes(key)?, message, signature),
            Algorithm::ES256 => {
                let key = p256::ecdsa::VerifyingKey::from_sec1_bytes(bytes(key)?)
                    .map_err(|_| Error::from(ErrorKind::InvalidEcdsaKey))?;
                p256::ecdsa::Signature::from_slice(signature)
                    .is_ok_and(|s| key.verify(message, &s).is_ok())
            }
            Algorithm::ES384 => {
                let key = p384::ecdsa::VerifyingKey::from_sec1_bytes(bytes(key)?)
                    .map_err(|_| Error::from(ErrorKind::InvalidEcdsaKey))?;
                p384::ecdsa::Signature::from_slice(signature)
                    .is_ok_and(|s| key.verify(message, &s).is_ok())
            }
            Algorithm::EdDSA => {
                let raw: &[u8; 32] = bytes(key)?
                    .try_into()
                    .map_err(|_| Error::from(ErrorKind::InvalidEddsaKey))?;
                let key = ed25519_dalek::VerifyingKey::from_bytes(raw)
                    .map_err(|_| Error::from(ErrorKind::InvalidEddsaKey))?;
                ed25519_dalek::Signature::from_slice(signature)
                    .is_ok_and(|s| key.verify(message, &s).is_ok())
            }
            Algorithm::RS256 => pkcs1(Pkcs1v15Sign::new::<Sha256>(), &Sha256::digest(message)),
            Algorithm::RS384 => pkcs1(Pkcs1v15Sign::new::<Sha384>(), &Sha384::digest(message)),
            Algorithm::RS512 => pkcs1(Pkcs1v15Sign::new::<Sha512>(), &Sha512::digest(message)),
            Algorithm::PS256 => pss(Pss::new::<Sha256>(), &Sha256::digest(message)),
            Algorithm::PS384 => pss(Pss::new::<Sha384>(), &Sha384::digest(message)),
            Algorithm::PS512 => pss(Pss::new::<Sha512>(), &Sha512::digest(message)),
            _ => return Err(ErrorKind::InvalidAlgorithm.into()),
        })
    }
}
