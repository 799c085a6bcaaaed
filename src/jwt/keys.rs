//! The verification keys: which algorithms a key can verify (from its type,
//! its curve and its JWK `alg`, `use` and `key_ops`), and the crypto backend
//! jsonwebtoken uses.

use jsonwebtoken::{Algorithm, DecodingKey, Validation};

/// A key and the algorithms of the validation it can verify.
pub(crate) struct Key {
    pub(super) key: DecodingKey,
    pub(super) algorithms: Vec<Algorithm>,
}

/// What [`JwtVerifier`] adds to a validation (see its docs).
pub(super) fn tightened(mut validation: Validation) -> Validation {
    validation.validate_nbf = true;
    if validation.aud.is_some() {
        validation.required_spec_claims.insert("aud".to_owned());
    }
    if validation.iss.is_some() {
        validation.required_spec_claims.insert("iss".to_owned());
    }
    // A pinned subject is required too: jsonwebtoken checks `sub` only
    // when the token carries one.
    if validation.sub.is_some() {
        validation.required_spec_claims.insert("sub".to_owned());
    }
    validation
}

/// RFC 7518 §3.2: an HMAC key must be at least as long as the hash output.
fn min_hmac_key_len(alg: Algorithm) -> Option<usize> {
    match alg {
        Algorithm::HS256 => Some(32),
        Algorithm::HS384 => Some(48),
        Algorithm::HS512 => Some(64),
        _ => None,
    }
}

/// Why `key` must not be used with `allowed`: an HMAC secret shorter than
/// RFC 7518 §3.2 requires for one of the HMAC algorithms allowed (32 bytes
/// for HS256, 48 for HS384, 64 for HS512). An empty or short secret (a
/// missing variable that defaulted to `""`) would let anyone mint tokens.
/// The reason names the rule and the key's length, never the key.
pub(crate) fn short_hmac_key(key: &DecodingKey, allowed: &[Algorithm]) -> Option<String> {
    if key.family() != jsonwebtoken::AlgorithmFamily::Hmac {
        return None;
    }
    let len = key.try_get_as_bytes().map_or(0, <[u8]>::len);
    let (alg, min) = allowed
        .iter()
        .filter_map(|alg| min_hmac_key_len(*alg).map(|min| (*alg, min)))
        .filter(|(_, min)| len < *min)
        .max_by_key(|(_, min)| *min)?;
    Some(format!(
        "an HMAC key of {len} bytes is too short for {alg:?}: RFC 7518 §3.2 requires at least {min} bytes (32 for HS256, 48 for HS384, 64 for HS512)"
    ))
}

/// Whether the crypto backend can make a verifier of `alg` from `key`
/// (`None`: no backend installed, so nothing can be told yet).
pub(super) fn can_verify(alg: Algorithm, key: &DecodingKey) -> Option<bool> {
    std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        // An empty signature never verifies; an error means the backend could
        // not make a verifier of `alg` from `key` at all.
        super::backend::verify("", b"", key, alg).is_ok()
    }))
    .ok()
}

/// The algorithms of `allowed` that `key` can verify (only `declared`, when
/// its JWK names one).
pub(crate) fn usable_algorithms(
    key: &DecodingKey,
    allowed: &[Algorithm],
    declared: Option<Algorithm>,
) -> Vec<Algorithm> {
    allowed
        .iter()
        .copied()
        .filter(|alg| alg.family() == key.family() && declared.is_none_or(|d| d == *alg))
        // Without a backend nothing can be probed; verification then
        // reports the missing backend as a fault.
        .filter(|alg| can_verify(*alg, key) != Some(false))
        .collect()
}

/// Why a JWK is not used to verify signatures.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Unusable {
    /// A key for encryption (`use: enc`, `key_ops` without `verify`): a key
    /// set may well publish those; they are left out.
    Encryption(&'static str),
    /// Its declared `alg` is not a signature algorithm this crate verifies
    /// (`RSA-OAEP`, `ECDH-ES`, `ES512`…): never used with another instead.
    Algorithm,
    /// Its declared `alg` contradicts its curve (`RS256` on a P-256 key).
    Mismatch,
}

impl Unusable {
    #[cfg(feature = "oidc")]
    pub(crate) fn why(self) -> &'static str {
        match self {
            Unusable::Encryption(why) => why,
            Unusable::Algorithm => {
                "its declared `alg` is not a signature algorithm this crate verifies"
            }
            Unusable::Mismatch => "its declared `alg` does not fit its curve",
        }
    }
}

/// Whether a JWK is meant for verifying signatures, and with which
/// algorithm (`Ok(None)`: it declares none, so every algorithm of the
/// validation the key fits).
pub(crate) fn signature_algorithm(
    jwk: &jsonwebtoken::jwk::Jwk,
) -> Result<Option<Algorithm>, Unusable> {
    use jsonwebtoken::jwk::{KeyOperations, PublicKeyUse};
    if matches!(jwk.common.public_key_use, Some(PublicKeyUse::Encryption)) {
        return Err(Unusable::Encryption("its `use` is `enc`"));
    }
    if let Some(ops) = &jwk.common.key_operations
        && !ops.iter().any(|op| matches!(op, KeyOperations::Verify))
    {
        return Err(Unusable::Encryption(
            "its `key_ops` do not include `verify`",
        ));
    }
    let declared = match jwk.common.key_algorithm {
        None => None,
        Some(declared) => Some(
            declared
                .to_string()
                .parse::<Algorithm>()
                .map_err(|_| Unusable::Algorithm)?,
        ),
    };
    // An EC key's curve names its one algorithm (RFC 7518 §3.4): told by the
    // key itself, not by probing a backend (aws-lc-rs accepts a P-256 key
    // for ES384 until it verifies a signature).
    let curve = match &jwk.algorithm {
        jsonwebtoken::jwk::AlgorithmParameters::EllipticCurve(ec) => match ec.curve {
            jsonwebtoken::jwk::EllipticCurve::P256 => Some(Algorithm::ES256),
            jsonwebtoken::jwk::EllipticCurve::P384 => Some(Algorithm::ES384),
            _ => None,
        },
        _ => None,
    };
    match (declared, curve) {
        (Some(declared), Some(curve)) if declared != curve => Err(Unusable::Mismatch),
        (declared, curve) => Ok(declared.or(curve)),
    }
}
