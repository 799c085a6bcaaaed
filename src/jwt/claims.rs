//! What the verifier reads from verified claims (scopes, times, the RFC 9068
//! profile) and from an unverified token (its issuer, to choose or refuse).

use std::time::{SystemTime, UNIX_EPOCH};

use serde::de::DeserializeOwned;
use serde_json::Value;

use crate::server::Rejection;
use crate::{AuthError, AuthErrorCode};

/// The claims as `C`, from the owned JSON: moved when `C` is `Value` (the
/// default), deserialized by value otherwise (strings moved, not copied).
pub(super) fn claims_from<C: DeserializeOwned + 'static>(json: Value) -> Result<C, Rejection> {
    let any: Box<dyn std::any::Any> = Box::new(json);
    match any.downcast::<C>() {
        Ok(claims) => Ok(*claims),
        Err(any) => match any.downcast::<Value>() {
            Ok(json) => C::deserialize(*json).map_err(|_| Rejection::Auth(claims_do_not_fit())),
            // `any` holds the `Value` boxed above.
            Err(_) => Err(Rejection::Auth(claims_do_not_fit())),
        },
    }
}

pub(super) fn claims_do_not_fit() -> AuthError {
    AuthError::new(AuthErrorCode::InvalidClaims)
        .with_message("the token's claims do not have the expected shape")
}

/// An RFC 7519 NumericDate: a JSON number, possibly with a fraction.
pub(super) fn numeric_date(value: &Value) -> Option<f64> {
    value.as_f64().filter(|n| n.is_finite())
}

/// Scopes from `scope` or `scp`, as RFC 6749 §3.3 writes them: a string is
/// split on the space character (U+0020) only, never on other whitespace
/// (`"read\u{a0}admin"` is one scope, not `admin`); each item of an `scp`
/// array is one scope, whole, and an item with a space in it (which no
/// scope may contain) grants nothing.
pub(super) fn scopes(claims: &Value) -> Vec<String> {
    let split = |s: &str| -> Vec<String> {
        s.split(' ')
            .filter(|scope| !scope.is_empty())
            .map(str::to_owned)
            .collect()
    };
    match (claims.get("scope"), claims.get("scp")) {
        (Some(Value::String(s)), _) => split(s),
        (_, Some(Value::String(s))) => split(s),
        (_, Some(Value::Array(items))) => items
            .iter()
            .filter_map(Value::as_str)
            .filter(|scope| !scope.is_empty() && !scope.contains(' '))
            .map(str::to_owned)
            .collect(),
        _ => Vec::new(),
    }
}

/// RFC 9068 §4: the header `typ` of an access token, compared ignoring
/// ASCII case (RFC 7515 §4.1.9), with or without `application/`.
pub(super) fn is_access_token_type(typ: Option<&str>) -> bool {
    typ.is_some_and(|t| {
        t.eq_ignore_ascii_case("at+jwt") || t.eq_ignore_ascii_case("application/at+jwt")
    })
}

/// RFC 9068 §2.2: the claims an access token must carry; the first missing.
pub(super) fn missing_access_token_claim(claims: &Value) -> Option<&'static str> {
    const REQUIRED: [(&str, &str); 7] = [
        (
            "iss",
            "not an RFC 9068 access token: the claim `iss` is missing",
        ),
        (
            "aud",
            "not an RFC 9068 access token: the claim `aud` is missing",
        ),
        (
            "exp",
            "not an RFC 9068 access token: the claim `exp` is missing",
        ),
        (
            "sub",
            "not an RFC 9068 access token: the claim `sub` is missing",
        ),
        (
            "client_id",
            "not an RFC 9068 access token: the claim `client_id` is missing",
        ),
        (
            "iat",
            "not an RFC 9068 access token: the claim `iat` is missing",
        ),
        (
            "jti",
            "not an RFC 9068 access token: the claim `jti` is missing",
        ),
    ];
    REQUIRED
        .iter()
        .find(|(name, _)| claims.get(name).is_none_or(Value::is_null))
        .map(|(_, why)| *why)
}

/// The `iss` of a token's payload, unverified (to choose a verifier or to
/// refuse a foreign token early, never to trust it).
pub(crate) fn unverified_issuer(token: &str) -> Option<String> {
    #[derive(serde::Deserialize)]
    struct Iss {
        iss: Option<String>,
    }
    jsonwebtoken::dangerous::insecure_decode_claims::<Iss>(token)
        .ok()?
        .iss
}

/// Now, in seconds since the epoch, with the fraction.
pub(super) fn now() -> f64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0.0, |d| d.as_secs_f64())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn scopes_split_on_the_space_character_only() {
        assert_eq!(scopes(&json!({ "scope": "a  b c" })), ["a", "b", "c"]);
        for other in ["\u{a0}", "\u{3000}", "\u{2028}", "\t", "\n"] {
            let scope = format!("orders.read{other}admin");
            let whole = vec![scope.clone()];
            assert_eq!(
                scopes(&json!({ "scope": scope.clone() })),
                whole,
                "{other:?} is not a separator"
            );
            assert_eq!(scopes(&json!({ "scp": scope })), whole);
        }
    }

    #[test]
    fn each_scp_item_is_one_scope() {
        assert_eq!(
            scopes(&json!({ "scp": ["orders.read", "orders.read admin", "", "b"] })),
            ["orders.read", "b"]
        );
    }
}
