//! The check of one DPoP proof, RFC 9449 §4.3, step by step. The proof is
//! a JWT from the network: its length is bounded before anything is
//! decoded, every step's error is a fixed sentence (never the proof's
//! content), and nothing here panics.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use http::{HeaderMap, HeaderValue, Method, Uri};
use serde_json::{Map, Value};

use super::Prepared;
use crate::jose;

/// The longest proof read (an RSA-4096 key in the header is under 1 KiB).
pub(super) const MAX_PROOF_LEN: usize = 8 * 1024;

/// How far in the future a proof's `iat` may be (clock skew).
pub(super) const CLOCK_ALLOWANCE: Duration = Duration::from_secs(5);

/// Why a proof was refused: `Invalid` is `DPOP_PROOF_INVALID`,
/// `NonceRequired` is `DPOP_NONCE_REQUIRED`.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum ProofError {
    Invalid(&'static str),
    NonceRequired(&'static str),
}

/// A proof that passed every check but the binding and the replay record.
pub(crate) struct Checked {
    /// The RFC 7638 thumbprint of the proof's key.
    pub(crate) jkt: String,
    /// What the replay cache records: SHA-256 of `jkt`, `.`, `jti`.
    pub(crate) replay_id: [u8; 32],
    /// How long the proof could still be accepted.
    pub(crate) ttl: Duration,
}

#[derive(serde::Deserialize)]
struct Header {
    typ: Option<String>,
    alg: Option<String>,
    jwk: Option<Map<String, Value>>,
    crit: Option<Value>,
}

#[derive(serde::Deserialize)]
struct Claims {
    jti: Option<String>,
    htm: Option<String>,
    htu: Option<String>,
    iat: Option<f64>,
    ath: Option<String>,
    nonce: Option<String>,
}

fn json<T: serde::de::DeserializeOwned>(part: &str, what: &'static str) -> Result<T, ProofError> {
    let bytes = URL_SAFE_NO_PAD
        .decode(part)
        .map_err(|_| ProofError::Invalid(what))?;
    serde_json::from_slice(&bytes).map_err(|_| ProofError::Invalid(what))
}

/// `scheme://authority/path` with the scheme and host in lower case and a
/// default port removed (RFC 3986 §6.2.2–6.2.3), without query or fragment.
pub(super) fn normalize_url(scheme: &str, authority: &str, path: &str) -> Option<String> {
    let scheme = scheme.to_ascii_lowercase();
    let authority: http::uri::Authority = authority.parse().ok()?;
    let host = authority.host().to_ascii_lowercase();
    let port = match (scheme.as_str(), authority.port_u16()) {
        ("https", Some(443)) | ("http", Some(80)) | (_, None) => String::new(),
        (_, Some(port)) => format!(":{port}"),
    };
    let path = if path.is_empty() { "/" } else { path };
    Some(format!("{scheme}://{host}{port}{path}"))
}

impl Prepared {
    /// Checks `proof` (the `dpop` header's value) for a request of
    /// `method` on `uri`, carrying `token` (`None` at a token endpoint,
    /// where a proof has no `ath`), at `now`.
    pub(crate) fn check_proof(
        &self,
        proof: &HeaderValue,
        method: &Method,
        uri: &Uri,
        headers: &HeaderMap,
        token: Option<&str>,
        now: SystemTime,
    ) -> Result<Checked, ProofError> {
        use ProofError::Invalid;
        if proof.len() > MAX_PROOF_LEN {
            return Err(Invalid("the DPoP proof is too long"));
        }
        let proof = proof
            .to_str()
            .map_err(|_| Invalid("the DPoP proof is not a JWT"))?;
        let mut parts = proof.split('.');
        let (Some(header), Some(payload), Some(signature), None) =
            (parts.next(), parts.next(), parts.next(), parts.next())
        else {
            return Err(Invalid("the DPoP proof is not a compact JWS"));
        };
        // §4.3 steps 4–7: the header.
        let header: Header = json(header, "the DPoP proof's header is not a JSON object")?;
        if !header
            .typ
            .as_deref()
            .is_some_and(|t| t.eq_ignore_ascii_case("dpop+jwt"))
        {
            return Err(Invalid("the DPoP proof's `typ` is not `dpop+jwt`"));
        }
        if header.crit.is_some() {
            return Err(Invalid(
                "the DPoP proof lists critical extensions (`crit`), which this server does not understand",
            ));
        }
        let Some(alg) = header
            .alg
            .as_deref()
            .filter(|a| self.algorithms.iter().any(|x| x == a))
        else {
            return Err(Invalid(
                "the DPoP proof's `alg` is not one this server accepts",
            ));
        };
        let Some(jwk) = &header.jwk else {
            return Err(Invalid("the DPoP proof has no `jwk`"));
        };
        let key = jose::PublicKey::from_jwk(jwk, alg).map_err(Invalid)?;
        let jkt =
            jose::thumbprint(jwk).ok_or(Invalid("the DPoP proof's `jwk` has no thumbprint"))?;
        // Step 8: the signature, before any claim is trusted.
        let signature = URL_SAFE_NO_PAD
            .decode(signature)
            .map_err(|_| Invalid("the DPoP proof's signature is not base64url"))?;
        // What the signature signs: `header.payload`, before the last dot.
        let signed = &proof.as_bytes()[..proof.rfind('.').unwrap_or(0)];
        if !key.verify(signed, &signature) {
            return Err(Invalid("the DPoP proof's signature does not verify"));
        }
        let claims: Claims = json(payload, "the DPoP proof's claims are not a JSON object")?;
        let Some(jti) = claims.jti.filter(|j| !j.is_empty()) else {
            return Err(Invalid("the DPoP proof has no `jti`"));
        };
        // Step 9: the method.
        if claims.htm.as_deref() != Some(method.as_str()) {
            return Err(Invalid("the DPoP proof was made for another HTTP method"));
        }
        // Step 10: the URL, without query and fragment.
        let htu = claims
            .htu
            .as_deref()
            .ok_or(Invalid("the DPoP proof has no `htu`"))?;
        if !self.htu_matches(htu, uri, headers) {
            return Err(Invalid("the DPoP proof was made for another URL"));
        }
        // Step 11 (nonce) comes after the times: a stale proof is invalid
        // whatever its nonce.
        let iat = claims
            .iat
            .filter(|iat| iat.is_finite() && *iat >= 0.0)
            .ok_or(Invalid("the DPoP proof has no numeric `iat`"))?;
        let now_secs = now
            .duration_since(UNIX_EPOCH)
            .unwrap_or(Duration::ZERO)
            .as_secs_f64();
        if iat > now_secs + CLOCK_ALLOWANCE.as_secs_f64() {
            return Err(Invalid("the DPoP proof was issued in the future"));
        }
        let age = (now_secs - iat).max(0.0);
        if age > self.max_age.as_secs_f64() {
            return Err(Invalid("the DPoP proof is too old"));
        }
        // Step 12: the access token's hash.
        if let Some(token) = token
            && claims.ath.as_deref() != Some(jose::sha256_b64(token.as_bytes()).as_str())
        {
            return Err(Invalid("the DPoP proof was made for another access token"));
        }
        if let Some(nonces) = &self.nonces {
            match claims.nonce.as_deref() {
                None => {
                    return Err(ProofError::NonceRequired(
                        "the server requires its nonce in the DPoP proof",
                    ));
                }
                Some(nonce) if !nonces.accepts(nonce, now) => {
                    return Err(ProofError::NonceRequired(
                        "the DPoP proof's nonce is not the server's current one",
                    ));
                }
                Some(_) => {}
            }
        }
        let mut id_input = Vec::with_capacity(jkt.len() + 1 + jti.len());
        id_input.extend_from_slice(jkt.as_bytes());
        id_input.push(b'.');
        id_input.extend_from_slice(jti.as_bytes());
        // Recorded until the proof is too old to be accepted, and a second
        // longer (the fraction of `iat`).
        let left = self.max_age.as_secs_f64() - age + CLOCK_ALLOWANCE.as_secs_f64() + 1.0;
        Ok(Checked {
            jkt,
            replay_id: jose::sha256(&id_input),
            ttl: Duration::try_from_secs_f64(left).unwrap_or(self.max_age),
        })
    }

    /// RFC 9449 §4.3 step 10: `htu` names this request's URL. With a public
    /// URL, that is the public URL's origin (and path prefix) and the
    /// request's path; otherwise the request's own scheme and authority
    /// (the `Host` header on HTTP/1.1). Over HTTP/1.1 the request does not
    /// say whether it came over TLS: then `http` and `https` are both taken
    /// from `htu`, the authority and path still compared (a proxy that
    /// terminates TLS hides it anyway; `with_public_url` pins it).
    fn htu_matches(&self, htu: &str, uri: &Uri, headers: &HeaderMap) -> bool {
        let htu = htu.split(['?', '#']).next().unwrap_or("");
        let Ok(claimed) = htu.parse::<Uri>() else {
            return false;
        };
        let (Some(scheme), Some(authority)) = (claimed.scheme_str(), claimed.authority()) else {
            return false;
        };
        let Some(claimed) = normalize_url(scheme, authority.as_str(), claimed.path()) else {
            return false;
        };
        let expected = match &self.public_url {
            Some((origin, prefix)) => format!("{origin}{prefix}{}", uri.path()),
            None => {
                let authority = match uri.authority() {
                    Some(a) => a.as_str(),
                    None => match headers
                        .get(http::header::HOST)
                        .and_then(|h| h.to_str().ok())
                    {
                        Some(host) => host,
                        None => return false,
                    },
                };
                let scheme = match uri.scheme_str() {
                    Some(s) => s,
                    None if scheme.eq_ignore_ascii_case("https") => "https",
                    None => "http",
                };
                match normalize_url(scheme, authority, uri.path()) {
                    Some(expected) => expected,
                    None => return false,
                }
            }
        };
        claimed == expected
    }
}
