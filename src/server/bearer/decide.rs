//! The decision about one request: the bearer token, the verifier, the
//! scopes and the step-up rules.

use std::time::SystemTime;

use http::header::GetAll;
use http::{HeaderMap, HeaderValue, header};

use super::config::Config;
#[cfg(feature = "sender-constrained")]
use super::protocol::DPOP;
use crate::server::{Rejection, TokenVerifier, Verified};
use crate::{AuthError, AuthErrorCode};

/// How far in the future a verified `auth_time` may be and still count as
/// a fresh login for `add_max_auth_age` (clock skew between the identity
/// provider and this server): jsonwebtoken's default leeway. `JwtVerifier`
/// already refuses an `auth_time` beyond its validation's leeway
/// (`INVALID_CLAIMS`); this bounds what other verifiers hand over.
const AUTH_TIME_CLOCK_ALLOWANCE: std::time::Duration = std::time::Duration::from_secs(60);

/// Whether `b` may appear in a b64token before its padding (RFC 6750
/// §2.1: ALPHA, DIGIT, `-._~+/`). Five comparisons, no table and no branch,
/// so that checking a whole token ([`is_b64token`]) is one vectorized pass:
/// letters folded to lower case, then `-./0123456789` (0x2D to 0x39, one
/// range), then `+`, `_` and `~`.
#[inline(always)]
fn is_b64token_byte(b: u8) -> bool {
    ((b | 0x20).wrapping_sub(b'a') < 26)
        | (b.wrapping_sub(b'-') <= b'9' - b'-')
        | (b == b'+')
        | (b == b'_')
        | (b == b'~')
}

/// Whether every byte of `token` is a b64token byte: 16 bytes per step with
/// no early exit, so the compiler checks each step as one vector (a bearer
/// token is tens to hundreds of bytes, and this runs on every request). The
/// last partial step is the token's last 16 bytes, overlapping the step
/// before; a token under 16 bytes is padded with `A`.
fn is_b64token(token: &[u8]) -> bool {
    let block = |bytes: &[u8; 16]| bytes.iter().fold(true, |ok, b| ok & is_b64token_byte(*b));
    let mut blocks = token.chunks_exact(16);
    let mut ok = true;
    for chunk in blocks.by_ref() {
        ok &= chunk.try_into().is_ok_and(&block);
    }
    let rest = blocks.remainder();
    if rest.is_empty() {
        return ok;
    }
    match token.last_chunk::<16>() {
        Some(last) => ok & block(last),
        None => {
            let mut last = [b'A'; 16];
            last[..rest.len()].copy_from_slice(rest);
            ok & block(&last)
        }
    }
}

/// The authentication scheme of a request.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Scheme {
    Bearer,
    /// RFC 9449 `DPoP`: accepted only when the layer checks DPoP.
    Dpop,
}

/// The token [`credentials`] found at byte `start` of the request's
/// `authorization` value (its syntax checked there, the request unchanged
/// since): `None` only if the value is no longer that one.
pub(super) fn token_at(headers: &HeaderMap, start: usize) -> Option<&str> {
    let value = headers.get(header::AUTHORIZATION)?;
    std::str::from_utf8(value.as_bytes()).ok()?.get(start..)
}

/// The token of an `authorization: Bearer <token>` header (RFC 6750 §2.1:
/// scheme case-insensitive, then spaces, then a b64token), or of
/// `DPoP <token>` when `dpop` (RFC 9449 §7.1, the same token syntax), and
/// the byte where it starts in the value. The caller has answered a request
/// without the header already (canned).
pub(super) fn credentials(
    authorization: GetAll<'_, HeaderValue>,
    dpop: bool,
) -> Result<(Scheme, &str, usize), AuthError> {
    let mut values = authorization.into_iter();
    let Some(value) = values.next() else {
        return Err(AuthError::new(AuthErrorCode::BearerTokenMissing));
    };
    let invalid = |why: &str| {
        AuthError::new(AuthErrorCode::AuthFailedInvalidBearerToken).with_message(format!(
            "the authorization header is not a bearer token: {why}"
        ))
    };
    if values.next().is_some() {
        return Err(invalid("more than one authorization header"));
    }
    let bytes = value.as_bytes();
    // `Bearer ` as almost every client writes it, else any case of either
    // scheme before the first space.
    let (scheme, space) = match bytes.get(..7) {
        Some(b"Bearer ") => (Scheme::Bearer, 6),
        _ => {
            let Some(space) = bytes.iter().position(|b| *b == b' ') else {
                return Err(invalid("no credentials"));
            };
            let scheme = match &bytes[..space] {
                s if s.eq_ignore_ascii_case(b"bearer") => Scheme::Bearer,
                s if dpop && s.eq_ignore_ascii_case(b"dpop") => Scheme::Dpop,
                _ if dpop => return Err(invalid("the scheme is neither Bearer nor DPoP")),
                _ => return Err(invalid("the scheme is not Bearer")),
            };
            (scheme, space)
        }
    };
    let rest = &bytes[space..];
    let token = &rest[rest.iter().take_while(|b| **b == b' ').count()..];
    let padding = token.iter().rev().take_while(|b| **b == b'=').count();
    let b64token = &token[..token.len() - padding];
    if b64token.is_empty() || !is_b64token(b64token) {
        return Err(invalid("the token is empty or not a b64token"));
    }
    // Every byte of the value is ASCII now (the scheme, the spaces and the
    // token checked above), so neither step fails. The whole value is
    // checked rather than the token: it starts where its buffer starts,
    // where std's UTF-8 check goes a word at a time.
    let not_text = || invalid("the token is empty or not a b64token");
    let text = std::str::from_utf8(bytes).map_err(|_| not_text())?;
    let start = bytes.len() - token.len();
    let token = text.get(start..).ok_or_else(not_text)?;
    Ok((scheme, token, start))
}

/// `TOKEN_BINDING_MISMATCH` saying `why`.
fn mismatch(why: &'static str) -> AuthError {
    AuthError::new(AuthErrorCode::TokenBindingMismatch).with_message(why)
}

/// RFC 8705 §3 and RFC 9449 §7: the binding of a verified token, checked
/// on every request (a verifier's cache hit included). A bound token is
/// served only with the proof of its key (`jkt`: the proof's thumbprint,
/// `proof_jkt`) and over a connection with its certificate (`x5t#S256`); a
/// binding of a kind the layer cannot check is refused, never ignored. A
/// DPoP proof with an unbound token is refused too: the client believes the
/// token is bound, so something is wrong.
pub(super) fn check_binding(
    confirmation: Option<&crate::server::Confirmation>,
    proof_jkt: Option<&str>,
    extensions: &http::Extensions,
) -> Option<AuthError> {
    let Some(cnf) = confirmation else {
        return proof_jkt
            .map(|_| mismatch("the token is not bound to a DPoP key: send it as a bearer token"));
    };
    if cnf.has_unknown_method() {
        return Some(mismatch(
            "the token is bound by a confirmation method this server cannot check",
        ));
    }
    match (cnf.jkt(), proof_jkt) {
        (Some(_), None) => {
            return Some(mismatch(
                "the token is bound to a DPoP key: send it with `Authorization: DPoP` and a proof",
            ));
        }
        (Some(jkt), Some(proof)) if jkt != proof => {
            return Some(mismatch(
                "the DPoP proof was made with another key than the token's",
            ));
        }
        (None, Some(_)) => {
            return Some(mismatch(
                "the token is not bound to a DPoP key: send it as a bearer token",
            ));
        }
        _ => {}
    }
    if let Some(x5t) = cnf.x5t_s256() {
        match crate::server::ClientCertificate::thumbprint_of(extensions) {
            None => {
                return Some(mismatch(
                    "the token is bound to a TLS client certificate, and the connection has none",
                ));
            }
            Some(presented) if presented != x5t => {
                return Some(mismatch(
                    "the token is bound to another TLS client certificate than the connection's",
                ));
            }
            Some(_) => {}
        }
    }
    None
}

pub(super) fn is_public<V: TokenVerifier>(
    config: &Config<V>,
    method: &http::Method,
    path: &str,
) -> bool {
    config.public.iter().any(|p| p.covers(method, path))
}

/// Records in `span` the pattern of the first scope rule covering the
/// request (what was configured, never the request's own path).
pub(super) fn record_route<V: TokenVerifier>(
    config: &Config<V>,
    span: &tracing::Span,
    method: &http::Method,
    path: &str,
) {
    if let Some((rule, _)) = config
        .scopes
        .iter()
        .find(|(rule, _)| rule.covers(method, path))
    {
        span.record("auth.route", rule.path.as_str());
    }
}

/// The scopes the request requires that `verified` lacks, as a rejection.
pub(super) fn check_scopes<V: TokenVerifier>(
    config: &Config<V>,
    method: &http::Method,
    path: &str,
    verified: &Verified<V::Claims>,
) -> Option<AuthError> {
    let required: Vec<&str> = config
        .scopes
        .iter()
        .filter(|(rule, _)| rule.covers(method, path))
        .flat_map(|(_, scopes)| scopes.iter().map(String::as_str))
        .collect();
    if required.iter().all(|s| verified.has_scope(s)) {
        return None;
    }
    Some(
        AuthError::new(AuthErrorCode::InvalidScope)
            .with_required_scopes(required)
            .with_provided_scopes(verified.scopes().iter().map(String::as_str)),
    )
}

/// The step-up rules the request's token does not meet, as a rejection:
/// an unmet `acr` is `MULTI_FACTOR_REQUIRED` (with `maxAge` too when the
/// login is also too old), a login too old (or of unknown age)
/// `SESSION_EXPIRED`.
pub(super) fn check_step_up<V: TokenVerifier>(
    config: &Config<V>,
    method: &http::Method,
    path: &str,
    verified: &Verified<V::Claims>,
) -> Option<AuthError> {
    let unmet_acr = config
        .acr
        .iter()
        .filter(|(rule, _)| rule.covers(method, path))
        .map(|(_, values)| values)
        .find(|values| {
            !verified
                .acr()
                .is_some_and(|acr| values.iter().any(|v| v == acr))
        });
    let max_age = config
        .max_auth_age
        .iter()
        .filter(|(rule, _)| rule.covers(method, path))
        .map(|(_, age)| *age)
        .min();
    let too_old = max_age.filter(|max| match verified.auth_time() {
        None => true,
        // A time in the future is a fresh login only within the clock
        // allowance; beyond it, no login can vouch for the session.
        Some(at) => match SystemTime::now().duration_since(at) {
            Ok(age) => age > *max,
            Err(ahead) => ahead.duration() > AUTH_TIME_CLOCK_ALLOWANCE,
        },
    });
    match (unmet_acr, too_old) {
        (None, None) => None,
        (Some(values), too_old) => {
            let err = AuthError::new(AuthErrorCode::MultiFactorRequired)
                .with_acr_values(values.iter().map(String::as_str));
            Some(match too_old {
                Some(max) => err.with_max_age(max),
                None => err,
            })
        }
        (None, Some(max)) => Some(AuthError::new(AuthErrorCode::SessionExpired).with_max_age(max)),
    }
}

/// What [`decide_now`] found.
pub(super) enum Now<C> {
    /// The decision.
    Decided(Result<Verified<C>, Rejection>),
    /// For [`decide`]: the scheme, and the byte where the token starts in
    /// the `authorization` value (its syntax checked).
    Later(Scheme, usize),
}

/// The decision when it needs no waiting: a malformed header, or a bearer
/// token the verifier judges at once ([`TokenVerifier::verify_now`]), with
/// every route rule applied as in [`decide`]. Otherwise what [`decide`]
/// needs (a DPoP proof, whose replay record may wait; a verifier that must
/// wait), so that it does not parse the header again.
pub(super) fn decide_now<V: TokenVerifier>(
    config: &Config<V>,
    authorization: GetAll<'_, HeaderValue>,
    method: &http::Method,
    uri: &http::Uri,
    extensions: &http::Extensions,
) -> Now<V::Claims> {
    #[cfg(feature = "sender-constrained")]
    let dpop = config.dpop.is_some();
    #[cfg(not(feature = "sender-constrained"))]
    let dpop = false;
    let (scheme, token, start) = match credentials(authorization, dpop) {
        Ok(credentials) => credentials,
        Err(err) => {
            refused(&config.metrics, err.code(), method, uri.path(), || None);
            return Now::Decided(Err(Rejection::Auth(err)));
        }
    };
    if scheme != Scheme::Bearer {
        return Now::Later(scheme, start);
    }
    let started = crate::observe::TIMED.then(std::time::Instant::now);
    let Some(verifying) = config.verifier.verify_now(token) else {
        return Now::Later(scheme, start);
    };
    if let Some(started) = started {
        config.metrics.verification(started.elapsed());
    }
    Now::Decided(conclude(
        config, verifying, scheme, None, token, method, uri, extensions,
    ))
}

/// The decision for what [`decide_now`] left: `(scheme, start)` its
/// [`Now::Later`].
pub(super) async fn decide<V: TokenVerifier>(
    config: &Config<V>,
    headers: &HeaderMap,
    method: &http::Method,
    uri: &http::Uri,
    extensions: &http::Extensions,
    (scheme, start): (Scheme, usize),
) -> Result<Verified<V::Claims>, Rejection> {
    let path = uri.path();
    let refuse = |err: AuthError| {
        refused(&config.metrics, err.code(), method, path, || None);
        Rejection::Auth(err)
    };
    #[cfg(feature = "sender-constrained")]
    let dpop = config.dpop.as_ref();
    let token = token_at(headers, start)
        .ok_or_else(|| refuse(AuthError::new(AuthErrorCode::AuthFailedInvalidBearerToken)))?;
    // The proof first (RFC 9449 §7.1): a refused proof costs one
    // signature check, not two.
    #[cfg(feature = "sender-constrained")]
    let proof = match (dpop, scheme) {
        (Some(dpop), Scheme::Dpop) => {
            Some(check_proof(dpop, headers, method, uri, token).map_err(refuse)?)
        }
        _ => None,
    };
    let started = crate::observe::TIMED.then(std::time::Instant::now);
    let verifying = config.verifier.verify(token).await;
    if let Some(started) = started {
        config.metrics.verification(started.elapsed());
    }
    #[cfg(feature = "sender-constrained")]
    let proof_jkt = proof.as_ref().map(|p| p.jkt.as_str());
    #[cfg(not(feature = "sender-constrained"))]
    let proof_jkt: Option<&str> = None;
    let verified = conclude(
        config, verifying, scheme, proof_jkt, token, method, uri, extensions,
    )?;
    // Recorded last: only a proof that got the request served is spent.
    #[cfg(feature = "sender-constrained")]
    if let (Some(dpop), Some(proof)) = (dpop, proof) {
        match dpop.replay.record(proof.replay_id, proof.ttl).await {
            Ok(true) => {}
            Ok(false) => {
                return Err(refuse(
                    AuthError::new(AuthErrorCode::DpopProofInvalid)
                        .with_message("the DPoP proof was already used"),
                ));
            }
            Err(err) => return Err(Rejection::Unavailable(err)),
        }
    }
    Ok(verified)
}

/// The verifier's verdict on `token`, through the binding (`proof_jkt`:
/// the thumbprint of the request's checked DPoP proof), the DPoP
/// requirement, the scopes and the step-up rules of the route.
#[allow(clippy::too_many_arguments)]
#[inline(always)]
fn conclude<V: TokenVerifier>(
    config: &Config<V>,
    verifying: Result<Verified<V::Claims>, Rejection>,
    scheme: Scheme,
    proof_jkt: Option<&str>,
    token: &str,
    method: &http::Method,
    uri: &http::Uri,
    extensions: &http::Extensions,
) -> Result<Verified<V::Claims>, Rejection> {
    let err = match verifying {
        Ok(verified) => {
            match broken_rule(
                config, &verified, scheme, proof_jkt, method, uri, extensions,
            ) {
                None => return Ok(verified),
                Some(err) => err,
            }
        }
        Err(Rejection::Auth(err)) => err,
        Err(other) => return Err(other),
    };
    refused(&config.metrics, err.code(), method, uri.path(), || {
        config.verifier.token_issuer(token)
    });
    Err(Rejection::Auth(err))
}

/// The first rule a verified token breaks on this request, if any: its
/// binding, the DPoP requirement, the route's scopes, its step-up rules.
#[inline(always)]
fn broken_rule<V: TokenVerifier>(
    config: &Config<V>,
    verified: &Verified<V::Claims>,
    scheme: Scheme,
    proof_jkt: Option<&str>,
    method: &http::Method,
    uri: &http::Uri,
    extensions: &http::Extensions,
) -> Option<AuthError> {
    // A bearer token where DPoP is required: refused after it is
    // verified, so that a stolen bound token is told why
    // (`TOKEN_BINDING_MISMATCH`), an unbound one that DPoP is needed.
    #[cfg(feature = "sender-constrained")]
    let bearer_refused =
        scheme == Scheme::Bearer && config.dpop.as_ref().is_some_and(|d| d.required);
    #[cfg(not(feature = "sender-constrained"))]
    let bearer_refused = {
        let _ = scheme;
        false
    };
    // No rule can apply (an unbound token, no DPoP required, a layer that
    // only authenticates): nothing to match.
    let route_rules =
        !(config.scopes.is_empty() && config.acr.is_empty() && config.max_auth_age.is_empty());
    if verified.confirmation().is_none() && proof_jkt.is_none() && !bearer_refused && !route_rules {
        return None;
    }
    check_rules(
        config,
        verified,
        proof_jkt,
        bearer_refused,
        route_rules,
        method,
        uri.path(),
        extensions,
    )
}

/// [`broken_rule`] past its shortcut (out of line: the shortcut is the
/// common case).
#[allow(clippy::too_many_arguments)]
fn check_rules<V: TokenVerifier>(
    config: &Config<V>,
    verified: &Verified<V::Claims>,
    proof_jkt: Option<&str>,
    bearer_refused: bool,
    route_rules: bool,
    method: &http::Method,
    path: &str,
    extensions: &http::Extensions,
) -> Option<AuthError> {
    check_binding(verified.confirmation(), proof_jkt, extensions)
        .or_else(|| {
            bearer_refused.then(|| {
                AuthError::new(AuthErrorCode::DpopProofInvalid).with_message(
                    "this resource requires DPoP: send `Authorization: DPoP` with a proof",
                )
            })
        })
        .or_else(|| {
            route_rules
                .then(|| {
                    check_scopes(config, method, path, verified)
                        .or_else(|| check_step_up(config, method, path, verified))
                })
                .flatten()
        })
}

/// The request's one DPoP proof, checked (RFC 9449 §4.3).
#[cfg(feature = "sender-constrained")]
fn check_proof(
    dpop: &crate::server::dpop::Prepared,
    headers: &HeaderMap,
    method: &http::Method,
    uri: &http::Uri,
    token: &str,
) -> Result<crate::server::dpop::Checked, AuthError> {
    use crate::server::dpop::ProofError;
    let mut proofs = headers.get_all(DPOP).iter();
    let (Some(proof), None) = (proofs.next(), proofs.next()) else {
        return Err(AuthError::new(AuthErrorCode::DpopProofInvalid)
            .with_message("the request must carry exactly one DPoP proof"));
    };
    dpop.check_proof(
        proof,
        method,
        uri,
        headers,
        Some(token),
        std::time::SystemTime::now(),
    )
    .map_err(|err| match err {
        ProofError::Invalid(why) => {
            AuthError::new(AuthErrorCode::DpopProofInvalid).with_message(why)
        }
        ProofError::NonceRequired(why) => {
            AuthError::new(AuthErrorCode::DpopNonceRequired).with_message(why)
        }
    })
}

/// The `tracing` event of every rejection: the reason, where, and the issuer
/// the token claims (escaped, at most 256 bytes; never the token), so
/// operators can count refusals by reason.
/// The issuer is read (a decode of the token's payload) only when the event
/// is enabled.
pub(super) fn refused(
    metrics: &crate::observe::LayerMetrics,
    code: AuthErrorCode,
    method: &http::Method,
    path: &str,
    issuer: impl FnOnce() -> Option<String>,
) {
    metrics.refusal(code);
    // The global level first (a load and a compare), then the callsite's
    // interest: with no subscriber, a refusal costs no more than that.
    if !tracing::level_enabled!(tracing::Level::INFO) || !tracing::enabled!(tracing::Level::INFO) {
        return;
    }
    let issuer = issuer();
    let issuer = issuer.as_deref().map(|iss| {
        let mut end = iss.len().min(256);
        while !iss.is_char_boundary(end) {
            end -= 1;
        }
        &iss[..end]
    });
    tracing::info!(
        reason = code.as_str_name(),
        method = %method,
        path = ?path,
        issuer = ?issuer,
        "auth-error: request refused"
    );
}

#[cfg(test)]
mod tests {
    /// The comparisons say exactly what RFC 6750's grammar says.
    #[test]
    fn b64token_bytes_are_the_rfc_ones() {
        for b in 0..=255u8 {
            let rfc =
                b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~' | b'+' | b'/');
            assert_eq!(super::is_b64token_byte(b), rfc, "{b:#04x}");
        }
    }

    /// Every length around the 16-byte steps, with one bad byte at every
    /// position (the last, padded step included).
    #[test]
    fn a_bad_byte_anywhere_in_a_token_of_any_length_is_found() {
        for len in 0..=50 {
            let good = vec![b'a'; len];
            assert!(super::is_b64token(&good), "{len}");
            for at in 0..len {
                for bad in [b' ', b'=', b'!', 0x80, 0xff, 0] {
                    let mut token = good.clone();
                    token[at] = bad;
                    assert!(!super::is_b64token(&token), "{len} {at} {bad:#04x}");
                }
            }
        }
    }
}
