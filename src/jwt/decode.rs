//! A compact JWS, read once: the header's three fields that choose the key,
//! the signature checked by the crate's crypto backend (`backend`), the claims
//! decoded once into JSON, and RFC 7519's checks applied to that JSON with
//! jsonwebtoken's [`Validation`] and its exact rules.
//!
//! Why not `jsonwebtoken::decode`: it parses the header twice and the
//! claims twice (once into the caller's type, once into its own
//! validation struct), and the verifier needed a third header read to choose
//! the key; on an ES256 token that was about a third of everything the
//! layer does besides the signature. The rules below are jsonwebtoken
//! 11's `validate`, clause for clause (its tests' cases are this module's),
//! and errors are jsonwebtoken's own [`ErrorKind`]s, so a refusal is the one
//! `decode` gave (a property test compares the two on generated claims and
//! validations). Four deliberate differences, none accepting a token that
//! jsonwebtoken refuses: the header's other members (`jwk`, `x5c`, …) are
//! not parsed (nothing reads them) but a `crit` member refuses the token
//! (RFC 7515 §4.1.11: this verifier understands no extension); `exp` and
//! `nbf` are compared exactly, fraction included, as well as by
//! jsonwebtoken's whole-second rule (a token is expired *at* `exp` plus the
//! leeway, not 1.5 s later); a claim name given
//! twice counts once, the last one (RFC 7519 §4 allows exactly that;
//! jsonwebtoken refused the token); an array or object as `exp`, `nbf` or
//! `sub` is a malformed claim like any other value of the wrong type, where
//! jsonwebtoken's parser stopped mid-value and refused the token even when
//! the claim was not checked.

use std::borrow::Cow;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jsonwebtoken::errors::{Error, ErrorKind};
use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use serde::Deserialize as _;
use serde_json::Value;

/// The parts of a compact JWS, split as jsonwebtoken splits them (the
/// signature after the last `.`, the payload after the one before it).
pub(super) struct Parts<'t> {
    pub(super) header: &'t str,
    pub(super) payload: &'t str,
    /// `header.payload`, what the signature signs.
    pub(super) message: &'t str,
    pub(super) signature: &'t str,
}

impl<'t> Parts<'t> {
    pub(super) fn of(token: &'t str) -> Option<Self> {
        let (message, signature) = token.rsplit_once('.')?;
        let (header, payload) = message.rsplit_once('.')?;
        Some(Parts {
            header,
            payload,
            message,
            signature,
        })
    }
}

/// The header fields a verifier needs before it has a key.
#[derive(serde::Deserialize)]
pub(super) struct Peeked<'a> {
    pub(super) alg: Algorithm,
    #[serde(borrow, default)]
    pub(super) kid: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    pub(super) typ: Option<Cow<'a, str>>,
    /// Whether the header has a `crit` member, whatever its value: this
    /// verifier understands no JWS extension, so RFC 7515 §4.1.11 makes it
    /// refuse every token that lists one (`b64: false` included).
    #[serde(default, deserialize_with = "present")]
    pub(super) crit: bool,
}

/// `true` for a member that is present, whatever its value.
fn present<'de, D: serde::Deserializer<'de>>(d: D) -> Result<bool, D::Error> {
    serde::de::IgnoredAny::deserialize(d).map(|_| true)
}

/// Where [`peek_header`] decodes a header: on the stack up to 512 bytes.
pub(super) struct HeaderBuf {
    stack: [u8; 512],
    heap: Vec<u8>,
}

impl HeaderBuf {
    pub(super) fn new() -> Self {
        HeaderBuf {
            stack: [0; 512],
            heap: Vec::new(),
        }
    }
}

/// Reads `alg`, `kid` and `typ` from a JWS header segment: base64url into
/// `buf`, then a borrowing JSON read of three fields (unknown ones
/// skipped). `None` for anything that is not base64url of a JSON object
/// with a known `alg`.
pub(super) fn peek_header<'b>(encoded: &str, buf: &'b mut HeaderBuf) -> Option<Peeked<'b>> {
    let json: &[u8] = match URL_SAFE_NO_PAD.decode_slice(encoded, &mut buf.stack) {
        Ok(n) => &buf.stack[..n],
        Err(base64::DecodeSliceError::OutputSliceTooSmall) => {
            buf.heap = URL_SAFE_NO_PAD.decode(encoded).ok()?;
            &buf.heap
        }
        Err(_) => return None,
    };
    serde_json::from_slice(json).ok()
}

/// The signature of `parts` under `key` with `alg`, as `decode` checks it:
/// every algorithm `validation` accepts must be of `alg`'s family (the
/// guard against using a public key as an HMAC secret), then the crate's
/// crypto backend verifies.
pub(super) fn verify_signature(
    parts: &Parts<'_>,
    alg: Algorithm,
    key: &DecodingKey,
    validation: &Validation,
) -> Result<(), Error> {
    if validation.algorithms.is_empty() {
        return Err(ErrorKind::MissingAlgorithm.into());
    }
    if validation
        .algorithms
        .iter()
        .any(|accepted| accepted.family() != alg.family())
    {
        return Err(ErrorKind::InvalidAlgorithm.into());
    }
    if !validation.algorithms.contains(&alg) {
        return Err(ErrorKind::InvalidAlgorithm.into());
    }
    match super::backend::verify(parts.signature, parts.message.as_bytes(), key, alg)? {
        true => Ok(()),
        false => Err(ErrorKind::InvalidSignature.into()),
    }
}

/// The claims: base64url, then one JSON object.
pub(super) fn claims(parts: &Parts<'_>) -> Result<Value, Error> {
    let json = URL_SAFE_NO_PAD.decode(parts.payload)?;
    let claims: Value = serde_json::from_slice(&json)?;
    match claims.is_object() {
        true => Ok(claims),
        false => Err(ErrorKind::InvalidToken.into()),
    }
}

/// jsonwebtoken's reading of one claim: present and of the right type,
/// present but not, or absent.
enum Claim<T> {
    Parsed(T),
    Failed,
    Absent,
}

/// A NumericDate as jsonwebtoken reads it (`rounded`, whole seconds) and
/// as it is written (`exact`, with its fraction).
#[derive(Clone, Copy)]
struct Time {
    rounded: u64,
    exact: f64,
}

/// `exp` and `nbf`: a JSON number that is a `u64`, or a finite
/// non-negative float below `u64::MAX` (rounded by jsonwebtoken, kept
/// exact here too); `null`, a negative integer or any other type failed;
/// absent.
fn numeric(claims: &Value, name: &str) -> Claim<Time> {
    match claims.get(name) {
        None => Claim::Absent,
        Some(Value::Number(n)) => match (n.as_u64(), n.is_f64(), n.as_f64()) {
            (Some(secs), _, _) => Claim::Parsed(Time {
                rounded: secs,
                exact: secs as f64,
            }),
            (None, true, Some(f)) if f.is_finite() && f >= 0.0 && f < u64::MAX as f64 => {
                Claim::Parsed(Time {
                    rounded: f.round() as u64,
                    exact: f,
                })
            }
            _ => Claim::Failed,
        },
        Some(_) => Claim::Failed,
    }
}

/// `sub`: a string; `null` is absent; any other type failed.
fn string<'a>(claims: &'a Value, name: &str) -> Claim<&'a str> {
    match claims.get(name) {
        None | Some(Value::Null) => Claim::Absent,
        Some(Value::String(s)) => Claim::Parsed(s),
        Some(_) => Claim::Failed,
    }
}

/// `iss` and `aud`: one string or an array of strings (possibly empty);
/// `null` is absent; anything else failed.
enum OneOrMany<'a> {
    One(&'a str),
    Many(&'a [Value]),
}

fn one_or_many<'a>(claims: &'a Value, name: &str) -> Claim<OneOrMany<'a>> {
    match claims.get(name) {
        None | Some(Value::Null) => Claim::Absent,
        Some(Value::String(s)) => Claim::Parsed(OneOrMany::One(s)),
        Some(Value::Array(items)) if items.iter().all(Value::is_string) => {
            Claim::Parsed(OneOrMany::Many(items))
        }
        Some(_) => Claim::Failed,
    }
}

/// Whether `accepted` and `given` share a value.
fn intersects(accepted: &std::collections::HashSet<String>, given: &[Value]) -> bool {
    given
        .iter()
        .filter_map(Value::as_str)
        .any(|g| accepted.contains(g))
}

/// jsonwebtoken 11's `validate`, on the claims as JSON: required claims,
/// `exp` and `nbf` with the leeway (and the early rejection window), `sub`,
/// `iss`, `aud`. Arithmetic saturates where jsonwebtoken's would overflow
/// (a leeway past the current time).
///
/// Times are compared exactly, with their fractions, against the clock
/// with its fraction (RFC 7519 §4.1.4: a token is refused *on or after*
/// `exp` plus the leeway; §4.1.5: before `nbf` minus the leeway), and also
/// by jsonwebtoken's whole-second rule, so that nothing jsonwebtoken
/// refuses is accepted. jsonwebtoken alone rounds a fractional `exp` and
/// compares it with the truncated clock, which accepted a token up to
/// 1.5 s after its `exp` with no leeway.
pub(super) fn validate(claims: &Value, options: &Validation) -> Result<(), Error> {
    validate_at(claims, options, super::claims::now())
}

/// [`validate`] at the time `now` (seconds since the epoch, with the
/// fraction).
fn validate_at(claims: &Value, options: &Validation, now: f64) -> Result<(), Error> {
    let (exp, nbf) = (numeric(claims, "exp"), numeric(claims, "nbf"));
    let (sub, iss, aud) = (
        string(claims, "sub"),
        one_or_many(claims, "iss"),
        one_or_many(claims, "aud"),
    );
    for required in &options.required_spec_claims {
        let present = match required.as_str() {
            "exp" => matches!(exp, Claim::Parsed(_)),
            "sub" => matches!(sub, Claim::Parsed(_)),
            "iss" => matches!(iss, Claim::Parsed(_)),
            "aud" => matches!(aud, Claim::Parsed(_)),
            "nbf" => matches!(nbf, Claim::Parsed(_)),
            _ => continue,
        };
        if !present {
            return Err(ErrorKind::MissingRequiredClaim(required.clone()).into());
        }
    }
    if options.validate_exp || options.validate_nbf {
        // jsonwebtoken's clock: whole seconds, truncated.
        let whole = now as u64;
        let leeway = options.leeway as f64;
        if options.validate_exp && matches!(exp, Claim::Failed) {
            return Err(ErrorKind::InvalidClaimFormat("exp".to_owned()).into());
        }
        if options.validate_nbf && matches!(nbf, Claim::Failed) {
            return Err(ErrorKind::InvalidClaimFormat("nbf".to_owned()).into());
        }
        let early = options.reject_tokens_expiring_in_less_than;
        if let Claim::Parsed(exp) = exp {
            if exp.rounded < early {
                return Err(ErrorKind::InvalidToken.into());
            }
            // Exact: expired on or after `exp` (less the early window)
            // plus the leeway. This also refuses all that jsonwebtoken's
            // whole-second rule refuses (`rounded - early < whole -
            // leeway` implies `exact - early < now - leeway`).
            if options.validate_exp && exp.exact - early as f64 <= now - leeway {
                return Err(ErrorKind::ExpiredSignature.into());
            }
        }
        if let Claim::Parsed(nbf) = nbf
            && options.validate_nbf
            && (nbf.exact > now + leeway || nbf.rounded > whole.saturating_add(options.leeway))
        {
            return Err(ErrorKind::ImmatureSignature.into());
        }
    }
    if let (Claim::Parsed(sub), Some(correct)) = (&sub, options.sub.as_deref())
        && *sub != correct
    {
        return Err(ErrorKind::InvalidSubject.into());
    }
    if let (Claim::Parsed(iss), Some(accepted)) = (&iss, &options.iss) {
        let ok = match iss {
            OneOrMany::One(one) => accepted.contains(*one),
            OneOrMany::Many(many) => intersects(accepted, many),
        };
        if !ok {
            return Err(ErrorKind::InvalidIssuer.into());
        }
    }
    if !options.validate_aud {
        return Ok(());
    }
    match (&aud, &options.aud) {
        (Claim::Parsed(OneOrMany::Many(given)), None) if !given.is_empty() => {
            Err(ErrorKind::InvalidAudience.into())
        }
        (Claim::Parsed(_), None) => Err(ErrorKind::InvalidAudience.into()),
        (Claim::Parsed(OneOrMany::One(one)), Some(accepted)) if !accepted.contains(*one) => {
            Err(ErrorKind::InvalidAudience.into())
        }
        (Claim::Parsed(OneOrMany::Many(given)), Some(accepted)) if !intersects(accepted, given) => {
            Err(ErrorKind::InvalidAudience.into())
        }
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    //! jsonwebtoken 11's own `validate` tests, on this module's `validate`.
    use super::*;
    use jsonwebtoken::get_current_timestamp as now;
    use serde_json::json;

    fn kind(claims: Value, validation: &Validation) -> Option<ErrorKind> {
        validate(&claims, validation).err().map(|e| e.into_kind())
    }

    fn hs256() -> Validation {
        let mut v = Validation::new(Algorithm::HS256);
        v.validate_aud = false;
        v
    }

    #[test]
    fn exp_and_nbf_as_jsonwebtoken() {
        let v = hs256();
        assert!(kind(json!({ "exp": now() + 10000 }), &v).is_none());
        assert!(kind(json!({ "exp": (now() + 10000) as f64 + 0.4 }), &v).is_none());
        assert!(matches!(
            kind(json!({ "exp": now() - 100_000 }), &v),
            Some(ErrorKind::ExpiredSignature)
        ));
        // Within the default leeway of 60 s.
        assert!(kind(json!({ "exp": now() - 30 }), &v).is_none());
        // Not a NumericDate: missing as a required claim (checked first),
        // malformed otherwise.
        let mut optional = hs256();
        optional.required_spec_claims.clear();
        for bad in [
            json!("soon"),
            json!(-5),
            json!(null),
            json!(-1.5),
            json!([1]),
        ] {
            assert!(
                matches!(kind(json!({ "exp": bad.clone() }), &v), Some(ErrorKind::MissingRequiredClaim(c)) if c == "exp"),
                "{bad}"
            );
            assert!(
                matches!(kind(json!({ "exp": bad.clone() }), &optional), Some(ErrorKind::InvalidClaimFormat(c)) if c == "exp"),
                "{bad}"
            );
        }
        assert!(matches!(
            kind(json!({}), &v),
            Some(ErrorKind::MissingRequiredClaim(c)) if c == "exp"
        ));
        let mut early = hs256();
        early.leeway = 0;
        early.reject_tokens_expiring_in_less_than = 501;
        assert!(kind(json!({ "exp": now() + 500 }), &early).is_some());
        assert!(matches!(
            kind(json!({ "exp": 100 }), &early),
            Some(ErrorKind::InvalidToken)
        ));
        let mut nbf = hs256();
        nbf.validate_nbf = true;
        let exp = now() + 10000;
        assert!(kind(json!({ "exp": exp, "nbf": now() - 10 }), &nbf).is_none());
        assert!(matches!(
            kind(json!({ "exp": exp, "nbf": now() + 10000 }), &nbf),
            Some(ErrorKind::ImmatureSignature)
        ));
        assert!(matches!(
            kind(json!({ "exp": exp, "nbf": "x" }), &nbf),
            Some(ErrorKind::InvalidClaimFormat(c)) if c == "nbf"
        ));
        // A huge leeway saturates instead of overflowing.
        let mut lax = hs256();
        lax.leeway = u64::MAX;
        assert!(kind(json!({ "exp": 1 }), &lax).is_none());
    }

    fn kind_at(claims: Value, validation: &Validation, now: f64) -> Option<ErrorKind> {
        validate_at(&claims, validation, now)
            .err()
            .map(|e| e.into_kind())
    }

    /// RFC 7519 §4.1.4: refused on or after `exp` (plus the leeway): the
    /// boundary itself is expired, a moment before it is not.
    #[test]
    fn the_exp_boundary_is_pinned_on_both_sides() {
        let now = 1_900_000_000.25;
        for leeway in [0u64, 60] {
            let mut v = hs256();
            v.leeway = leeway;
            let boundary = now - leeway as f64;
            assert!(
                matches!(
                    kind_at(json!({ "exp": boundary }), &v, now),
                    Some(ErrorKind::ExpiredSignature)
                ),
                "exp == now - leeway ({leeway}) is expired"
            );
            assert!(
                kind_at(json!({ "exp": boundary + 0.125 }), &v, now).is_none(),
                "exp just after now - leeway ({leeway}) is not expired"
            );
            assert!(matches!(
                kind_at(json!({ "exp": boundary - 0.125 }), &v, now),
                Some(ErrorKind::ExpiredSignature)
            ));
        }
    }

    /// A fractional `exp` is not rounded up into acceptance: jsonwebtoken
    /// rounded `now - 0.4` to `now` and accepted it against its truncated
    /// clock (up to 1.5 s late with leeway 0).
    #[test]
    fn fractional_times_are_compared_exactly() {
        let mut v = hs256();
        v.leeway = 0;
        v.validate_nbf = true;
        let now = 1_900_000_000.9;
        for late in [0.1, 0.4, 0.6, 1.4] {
            assert!(
                matches!(
                    kind_at(json!({ "exp": now - late }), &v, now),
                    Some(ErrorKind::ExpiredSignature)
                ),
                "exp {late} s ago"
            );
        }
        assert!(kind_at(json!({ "exp": now + 0.05 }), &v, now).is_none());
        // `nbf`: refused before it, exactly; and by jsonwebtoken's rule.
        let now = 1_900_000_000.2;
        let exp = now + 1000.0;
        assert!(matches!(
            kind_at(json!({ "exp": exp, "nbf": now + 0.05 }), &v, now),
            Some(ErrorKind::ImmatureSignature)
        ));
        assert!(kind_at(json!({ "exp": exp, "nbf": now }), &v, now).is_none());
        assert!(kind_at(json!({ "exp": exp, "nbf": now - 0.5 }), &v, now).is_none());
        // Whole-second rule: 1_900_000_001.5 rounds to ..002 > ..000.
        assert!(matches!(
            kind_at(
                json!({ "exp": exp, "nbf": 1_900_000_001.5 }),
                &v,
                1_900_000_000.0
            ),
            Some(ErrorKind::ImmatureSignature)
        ));
    }

    /// A pinned `sub` (through the verifier's tightening) makes `sub`
    /// required: absent or `null` is a missing claim, not a pass.
    #[test]
    fn a_pinned_subject_is_required() {
        let mut v = hs256();
        v.sub = Some("alice".into());
        let v = super::super::keys::tightened(v);
        let exp = now() + 10000;
        for claims in [json!({ "exp": exp }), json!({ "exp": exp, "sub": null })] {
            assert!(
                matches!(kind(claims.clone(), &v), Some(ErrorKind::MissingRequiredClaim(c)) if c == "sub"),
                "{claims}"
            );
        }
        assert!(kind(json!({ "exp": exp, "sub": "alice" }), &v).is_none());
        assert!(matches!(
            kind(json!({ "exp": exp, "sub": "bob" }), &v),
            Some(ErrorKind::InvalidSubject)
        ));
    }

    /// The one difference in what is refused: an array or object as `exp`,
    /// `nbf` or `sub` is a malformed claim like any other value of the
    /// wrong type (refused when checked), where jsonwebtoken's parser
    /// stopped with a JSON error and refused the token whatever the
    /// validation.
    #[test]
    fn containers_in_exp_and_nbf() {
        let mut v = hs256();
        v.validate_nbf = true;
        let exp = now() + 10000;
        assert!(matches!(
            kind(json!({ "exp": exp, "nbf": ["a"] }), &v),
            Some(ErrorKind::InvalidClaimFormat(c)) if c == "nbf"
        ));
        v.validate_nbf = false;
        assert!(kind(json!({ "exp": exp, "nbf": { "a": 1 } }), &v).is_none());
        v.set_required_spec_claims(&["exp", "sub"]);
        assert!(matches!(
            kind(json!({ "exp": exp, "sub": [] }), &v),
            Some(ErrorKind::MissingRequiredClaim(c)) if c == "sub"
        ));
    }

    #[test]
    fn sub_iss_and_aud_as_jsonwebtoken() {
        let exp = now() + 10000;
        let mut v = hs256();
        v.sub = Some("alice".into());
        assert!(kind(json!({ "exp": exp, "sub": "alice" }), &v).is_none());
        assert!(matches!(
            kind(json!({ "exp": exp, "sub": "bob" }), &v),
            Some(ErrorKind::InvalidSubject)
        ));
        let mut v = hs256();
        v.set_issuer(&["a", "b"]);
        assert!(kind(json!({ "exp": exp, "iss": "a" }), &v).is_none());
        assert!(kind(json!({ "exp": exp, "iss": ["c", "b"] }), &v).is_none());
        assert!(matches!(
            kind(json!({ "exp": exp, "iss": "c" }), &v),
            Some(ErrorKind::InvalidIssuer)
        ));
        assert!(matches!(
            kind(json!({ "exp": exp, "iss": [] }), &v),
            Some(ErrorKind::InvalidIssuer)
        ));
        // Not a string nor a list of them: not checked, as jsonwebtoken.
        assert!(kind(json!({ "exp": exp, "iss": 5 }), &v).is_none());
        v.set_required_spec_claims(&["exp", "iss"]);
        assert!(matches!(
            kind(json!({ "exp": exp, "iss": 5 }), &v),
            Some(ErrorKind::MissingRequiredClaim(c)) if c == "iss"
        ));
        let mut v = Validation::new(Algorithm::HS256);
        v.set_audience(&["api"]);
        assert!(kind(json!({ "exp": exp, "aud": "api" }), &v).is_none());
        assert!(kind(json!({ "exp": exp, "aud": ["x", "api"] }), &v).is_none());
        assert!(kind(json!({ "exp": exp }), &v).is_none());
        for bad in [json!("x"), json!(["x"]), json!([])] {
            assert!(
                matches!(
                    kind(json!({ "exp": exp, "aud": bad.clone() }), &v),
                    Some(ErrorKind::InvalidAudience)
                ),
                "{bad}"
            );
        }
        // An audience in the token and none configured.
        let v = Validation::new(Algorithm::HS256);
        assert!(matches!(
            kind(json!({ "exp": exp, "aud": "api" }), &v),
            Some(ErrorKind::InvalidAudience)
        ));
        assert!(matches!(
            kind(json!({ "exp": exp, "aud": [] }), &v),
            Some(ErrorKind::InvalidAudience)
        ));
    }

    #[test]
    fn parts_split_as_jsonwebtoken() {
        let parts = Parts::of("h.p.s").unwrap();
        assert_eq!(
            (parts.header, parts.payload, parts.message, parts.signature),
            ("h", "p", "h.p", "s")
        );
        // A fourth segment lands in the header, whose base64 then fails.
        let parts = Parts::of("a.b.c.d").unwrap();
        assert_eq!(parts.header, "a.b");
        assert!(peek_header(parts.header, &mut HeaderBuf::new()).is_none());
        assert!(Parts::of("a.b").is_none());
    }

    mod differential {
        //! For any claims and any `Validation`, this module refuses exactly
        //! when `jsonwebtoken::decode` does, with the same `ErrorKind`.
        use super::*;
        use proptest::prelude::*;

        const SECRET: &[u8] = b"differential";

        fn backend() {
            #[cfg(feature = "jwt-aws-lc")]
            let _ = jsonwebtoken::crypto::CryptoProvider::install_default(
                &jsonwebtoken::crypto::aws_lc::DEFAULT_PROVIDER,
            );
        }

        /// A claim value as issuers (and broken issuers) write them, times
        /// well away from any boundary (the two sides read the clock apart).
        /// Without arrays and objects for `exp`, `nbf` and `sub` (`numeric`):
        /// there jsonwebtoken's parser stops mid-value with a JSON error
        /// (see the module docs and `containers_in_exp_and_nbf`).
        fn value(numeric: bool) -> impl Strategy<Value = Option<Value>> {
            let t = now() as i64;
            let any = prop_oneof![
                Just(None),
                prop::sample::select(vec![-100_000i64, -100, -30, 30, 100_000])
                    .prop_map(move |d| Some(json!(t + d))),
                prop::sample::select(vec![-100_000.4f64, 30.6, 100_000.5])
                    .prop_map(move |d| Some(json!(t as f64 + d))),
                Just(Some(json!(-5))),
                Just(Some(json!(-1.5))),
                Just(Some(json!(null))),
                Just(Some(json!(true))),
                prop::sample::select(vec!["a", "b", "api", "alice", ""])
                    .prop_map(|s| Some(json!(s))),
                prop::collection::vec(prop::sample::select(vec!["a", "b", "api"]), 0..3)
                    .prop_map(|v| Some(json!(v))),
                Just(Some(json!(["a", 1]))),
                Just(Some(json!({ "a": 1 }))),
            ];
            any.prop_filter("a container in a numeric claim", move |v| {
                !(numeric && matches!(v, Some(Value::Array(_) | Value::Object(_))))
            })
        }

        fn names() -> impl Strategy<Value = Vec<&'static str>> {
            prop::sample::subsequence(vec!["exp", "nbf", "sub", "iss", "aud", "jti"], 0..=6)
        }

        fn set() -> impl Strategy<Value = Option<Vec<&'static str>>> {
            prop::option::of(prop::collection::vec(
                prop::sample::select(vec!["a", "b", "api"]),
                0..3,
            ))
        }

        proptest! {
            #![proptest_config(ProptestConfig::with_cases(512))]

            #[test]
            fn refuses_exactly_when_jsonwebtoken_does(
                exp in value(true), nbf in value(true),
                sub in value(true), iss in value(false), aud in value(false),
                required in names(),
                leeway in prop::sample::select(vec![0u64, 60]),
                early in prop::sample::select(vec![0u64, 500]),
                flags in any::<(bool, bool, bool)>(),
                want_sub in prop::option::of(prop::sample::select(vec!["alice", "bob"])),
                want_iss in set(),
                want_aud in set(),
            ) {
                backend();
                let mut claims = serde_json::Map::new();
                for (name, v) in [("exp", exp), ("nbf", nbf), ("sub", sub), ("iss", iss), ("aud", aud)] {
                    if let Some(v) = v {
                        claims.insert(name.to_owned(), v);
                    }
                }
                let mut v = Validation::new(Algorithm::HS256);
                v.set_required_spec_claims(&required);
                v.leeway = leeway;
                v.reject_tokens_expiring_in_less_than = early;
                (v.validate_exp, v.validate_nbf, v.validate_aud) = flags;
                v.sub = want_sub.map(str::to_owned);
                if let Some(iss) = want_iss {
                    v.set_issuer(&iss);
                }
                if let Some(aud) = want_aud {
                    v.set_audience(&aud);
                }
                let token = jsonwebtoken::encode(
                    &jsonwebtoken::Header::new(Algorithm::HS256),
                    &Value::Object(claims),
                    &jsonwebtoken::EncodingKey::from_secret(SECRET),
                )
                .unwrap();
                let key = DecodingKey::from_secret(SECRET);
                let theirs = jsonwebtoken::decode::<Value>(&token, &key, &v)
                    .err()
                    .map(|e| format!("{:?}", e.into_kind()));
                let parts = Parts::of(&token).unwrap();
                let ours = verify_signature(&parts, Algorithm::HS256, &key, &v)
                    .and_then(|()| super::super::claims(&parts))
                    .and_then(|c| validate(&c, &v))
                    .err()
                    .map(|e| format!("{:?}", e.into_kind()));
                prop_assert_eq!(ours, theirs, "{}", token);
            }
        }
    }
}
