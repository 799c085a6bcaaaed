//! The JOSE pieces sender-constrained tokens share (feature `dpop`): a
//! public JWK turned into a verification key, its RFC 7638 thumbprint, and
//! base64url SHA-256 (`ath`, `x5t#S256`). The server's proof check
//! (`server/dpop/`), the client's proofs (`client/dpop.rs`) and the test
//! issuer use these, so a thumbprint is computed one way.
//!
//! Everything here runs on input from the network: no panic, bounded work
//! (the caller bounds the proof's length), errors without the input.

use aws_lc_rs::signature::{self as sig, RsaPublicKeyComponents, UnparsedPublicKey};
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde_json::{Map, Value};

/// The proof algorithms this crate can verify (all asymmetric; never
/// `none`, never HMAC).
pub(crate) const ALGORITHMS: &[&str] = &["ES256", "ES384", "EdDSA", "RS256", "PS256"];

/// SHA-256 of `bytes`.
pub(crate) fn sha256(bytes: &[u8]) -> [u8; 32] {
    let digest = aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, bytes);
    let mut out = [0u8; 32];
    out.copy_from_slice(digest.as_ref());
    out
}

/// base64url (unpadded) of SHA-256 of `bytes`: a DPoP `ath` (of the access
/// token), an `x5t#S256` (of a certificate's DER).
pub(crate) fn sha256_b64(bytes: &[u8]) -> String {
    URL_SAFE_NO_PAD.encode(sha256(bytes))
}

/// The members a public JWK of each key type must have, in RFC 7638's
/// lexicographic order (the thumbprint's input).
fn required_members(kty: &str) -> Option<&'static [&'static str]> {
    match kty {
        "EC" => Some(&["crv", "kty", "x", "y"]),
        "RSA" => Some(&["e", "kty", "n"]),
        "OKP" => Some(&["crv", "kty", "x"]),
        _ => None,
    }
}

/// The members that make a JWK private (RFC 7518 §6.2.2, §6.3.2, §6.4.1;
/// RFC 8037 §2): a proof carrying one is refused, whatever else it has.
const PRIVATE_MEMBERS: &[&str] = &["d", "p", "q", "dp", "dq", "qi", "oth", "k"];

/// The RFC 7638 SHA-256 thumbprint (base64url) of a public JWK, or `None`
/// when it is not an EC, RSA or OKP key with its required string members.
pub(crate) fn thumbprint(jwk: &Map<String, Value>) -> Option<String> {
    let kty = jwk.get("kty")?.as_str()?;
    let members = required_members(kty)?;
    // `{"crv":"P-256","kty":"EC","x":"…","y":"…"}`: no whitespace, the
    // required members only, in order; each value JSON-escaped.
    let mut canonical = String::with_capacity(256);
    canonical.push('{');
    for (i, name) in members.iter().enumerate() {
        let value = jwk.get(*name)?.as_str()?;
        if i > 0 {
            canonical.push(',');
        }
        canonical.push('"');
        canonical.push_str(name);
        canonical.push_str("\":");
        canonical.push_str(&serde_json::to_string(value).ok()?);
    }
    canonical.push('}');
    Some(sha256_b64(canonical.as_bytes()))
}

/// Why a JWK cannot verify a proof (static text: never the key).
pub(crate) type KeyError = &'static str;

/// A public key from a proof's `jwk`, for `alg`.
pub(crate) enum PublicKey {
    /// An uncompressed EC point (`0x04 ‖ x ‖ y`) or an Ed25519 key.
    Raw(&'static dyn sig::VerificationAlgorithm, Vec<u8>),
    /// RSA modulus and exponent.
    Rsa(&'static sig::RsaParameters, Vec<u8>, Vec<u8>),
}

fn member<'a>(jwk: &'a Map<String, Value>, name: &str) -> Result<&'a str, KeyError> {
    jwk.get(name)
        .and_then(Value::as_str)
        .ok_or("the proof's `jwk` lacks a member its key type requires")
}

fn decode(value: &str) -> Result<Vec<u8>, KeyError> {
    URL_SAFE_NO_PAD
        .decode(value)
        .map_err(|_| "a member of the proof's `jwk` is not base64url")
}

impl PublicKey {
    /// The public key of `jwk` for `alg`: refused if it has a private
    /// member, or its type or curve does not fit `alg`.
    pub(crate) fn from_jwk(jwk: &Map<String, Value>, alg: &str) -> Result<Self, KeyError> {
        if PRIVATE_MEMBERS.iter().any(|m| jwk.contains_key(*m)) {
            return Err("the proof's `jwk` holds a private key member");
        }
        let kty = member(jwk, "kty")?;
        let ec = |crv: &str, len: usize, alg: &'static dyn sig::VerificationAlgorithm| {
            if kty != "EC" || member(jwk, "crv")? != crv {
                return Err("the proof's `jwk` does not fit its `alg`");
            }
            let (x, y) = (decode(member(jwk, "x")?)?, decode(member(jwk, "y")?)?);
            if x.len() != len || y.len() != len {
                return Err("the proof's `jwk` has coordinates of the wrong length");
            }
            let mut point = Vec::with_capacity(1 + 2 * len);
            point.push(4);
            point.extend_from_slice(&x);
            point.extend_from_slice(&y);
            Ok(PublicKey::Raw(alg, point))
        };
        let rsa = |params: &'static sig::RsaParameters| {
            if kty != "RSA" {
                return Err("the proof's `jwk` does not fit its `alg`");
            }
            Ok(PublicKey::Rsa(
                params,
                decode(member(jwk, "n")?)?,
                decode(member(jwk, "e")?)?,
            ))
        };
        match alg {
            "ES256" => ec("P-256", 32, &sig::ECDSA_P256_SHA256_FIXED),
            "ES384" => ec("P-384", 48, &sig::ECDSA_P384_SHA384_FIXED),
            "EdDSA" => {
                if kty != "OKP" || member(jwk, "crv")? != "Ed25519" {
                    return Err("the proof's `jwk` does not fit its `alg`");
                }
                let x = decode(member(jwk, "x")?)?;
                if x.len() != 32 {
                    return Err("the proof's `jwk` has a key of the wrong length");
                }
                Ok(PublicKey::Raw(&sig::ED25519, x))
            }
            "RS256" => rsa(&sig::RSA_PKCS1_2048_8192_SHA256),
            "PS256" => rsa(&sig::RSA_PSS_2048_8192_SHA256),
            _ => Err("the proof's `alg` is not accepted"),
        }
    }

    /// Whether `signature` signs `message` under this key.
    pub(crate) fn verify(&self, message: &[u8], signature: &[u8]) -> bool {
        match self {
            PublicKey::Raw(alg, key) => UnparsedPublicKey::new(*alg, key)
                .verify(message, signature)
                .is_ok(),
            PublicKey::Rsa(params, n, e) => RsaPublicKeyComponents { n, e }
                .verify(params, message, signature)
                .is_ok(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// RFC 7638 §3.1's example key and thumbprint.
    #[test]
    fn the_rfc_7638_example_thumbprint() {
        let jwk: Value = serde_json::json!({
            "kty": "RSA",
            "n": "0vx7agoebGcQSuuPiLJXZptN9nndrQmbXEps2aiAFbWhM78LhWx4cbbfAAtVT86zwu1RK7aPFFxuhDR1L6tSoc_BJECPebWKRXjBZCiFV4n3oknjhMstn64tZ_2W-5JsGY4Hc5n9yBXArwl93lqt7_RN5w6Cf0h4QyQ5v-65YGjQR0_FDW2QvzqY368QQMicAtaSqzs8KJZgnYb9c7d0zgdAZHzu6qMQvRL5hajrn1n91CbOpbISD08qNLyrdkt-bFTWhAI4vMQFh6WeZu0fM4lFd2NcRwr3XPksINHaQ-G_xBniIqbw0Ls1jF44-csFCur-kEgU8awapJzKnqDKgw",
            "e": "AQAB",
            "alg": "RS256",
            "kid": "2011-04-29"
        });
        assert_eq!(
            thumbprint(jwk.as_object().unwrap()).as_deref(),
            Some("NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs")
        );
    }

    #[test]
    fn a_private_member_or_a_mismatched_key_is_refused() {
        let ec = serde_json::json!({"kty": "EC", "crv": "P-256", "x": "AA", "y": "AA", "d": "AA"});
        assert!(PublicKey::from_jwk(ec.as_object().unwrap(), "ES256").is_err());
        let okp = serde_json::json!({"kty": "OKP", "crv": "Ed25519", "x": "11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"});
        assert!(PublicKey::from_jwk(okp.as_object().unwrap(), "ES256").is_err());
        assert!(PublicKey::from_jwk(okp.as_object().unwrap(), "EdDSA").is_ok());
        assert!(PublicKey::from_jwk(okp.as_object().unwrap(), "HS256").is_err());
        assert!(PublicKey::from_jwk(okp.as_object().unwrap(), "none").is_err());
        assert_eq!(
            thumbprint(
                serde_json::json!({"kty": "oct", "k": "AA"})
                    .as_object()
                    .unwrap()
            ),
            None
        );
    }
}
