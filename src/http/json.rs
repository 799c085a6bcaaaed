//! The AIP-193 HTTP/JSON error body (feature `json`): what a REST edge sends
//! for the same failure, and what a REST client reads back.
//!
//! ```json
//! {"error": {"code": 401, "message": "…", "status": "UNAUTHENTICATED",
//!   "details": [{"@type": "type.googleapis.com/google.rpc.ErrorInfo",
//!                "reason": "TOKEN_EXPIRED", "domain": "auth.error.v1", "metadata": {…}},
//!               {"@type": "type.googleapis.com/google.rpc.RetryInfo", "retryDelay": "30s"}]}}
//! ```
//!
//! Companions are written in their proto3 JSON form ([`detail_json`](crate::detail_json)):
//! `ErrorInfo` (of other domains), `RetryInfo`
//! (`retryDelay`), `Help` (`links`) and `LocalizedMessage` (`locale`,
//! `message`). A detail of any other type keeps its bytes as
//! `{"@type": …, "value": "<base64>"}` (the form proto3 JSON uses for values it
//! cannot render), so nothing is lost on the way out and back; a foreign
//! detail without `value` cannot be turned back into bytes without its schema
//! and is left out when parsing.

use std::collections::BTreeMap;
use std::fmt;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use serde_json::{Map, Value, json};

use crate::code::ReasonError;
use crate::error::Companion;
use crate::http::grpc_status_name;
use crate::rules;
use crate::wire::ERROR_INFO_TYPE_URL;
use crate::{AuthError, AuthErrorCode, DOMAIN};

/// Why an HTTP error body could not be read as an [`AuthError`].
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum JsonError {
    /// The body is not JSON, or not of the AIP-193 shape (`what` says where).
    Invalid {
        /// What is wrong.
        what: String,
    },
    /// No ErrorInfo of the requested domain in `error.details`.
    NoErrorInfo,
    /// The ErrorInfo's reason is not a known code (perhaps a newer server).
    UnknownReason {
        /// The reason as received.
        reason: String,
    },
    /// The reason is `NO_AUTH_ERROR`, which is not an error.
    NoAuthError,
}

impl fmt::Display for JsonError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            JsonError::Invalid { what } => write!(f, "not an AIP-193 error body: {what}"),
            JsonError::NoErrorInfo => {
                f.write_str("no ErrorInfo of the requested domain in the error body")
            }
            JsonError::UnknownReason { reason } => {
                write!(f, "unknown auth error reason `{}`", reason.escape_debug())
            }
            JsonError::NoAuthError => {
                f.write_str("the error body carries NO_AUTH_ERROR, which is not an error")
            }
        }
    }
}

impl std::error::Error for JsonError {}

fn invalid(what: impl Into<String>) -> JsonError {
    JsonError::Invalid { what: what.into() }
}

/// proto3 JSON for a Duration (`"1.5s"`, `"-0.25s"`): normalized by
/// prost-types first, so unnormalized values render as the duration they
/// mean; `None` outside `google.protobuf.Duration`'s range (±10,000 years).
pub(crate) fn duration_json(d: &prost_types::Duration) -> Option<String> {
    const MAX_SECONDS: i64 = 315_576_000_000;
    let d = d.normalized();
    if d.seconds.abs() > MAX_SECONDS {
        return None;
    }
    let sign = if d.seconds < 0 || d.nanos < 0 {
        "-"
    } else {
        ""
    };
    let (secs, nanos) = (d.seconds.unsigned_abs(), d.nanos.unsigned_abs());
    Some(if nanos == 0 {
        format!("{sign}{secs}s")
    } else {
        let frac = format!("{nanos:09}");
        format!("{sign}{secs}.{}s", frac.trim_end_matches('0'))
    })
}

/// Parses a proto3 JSON Duration (prost-types' parser).
fn parse_duration_json(s: &str) -> Option<prost_types::Duration> {
    s.parse().ok()
}

/// One `google.protobuf.Any` detail in proto3 JSON form: the standard
/// companions ([`Companion`]) with their fields, any other type (or a value
/// that does not decode) as `{"@type": …, "value": base64}`.
pub(crate) fn detail_json(any: &prost_types::Any) -> Value {
    let typed = Companion::from_any(any).and_then(|c| match c {
        Companion::ErrorInfo {
            reason,
            domain,
            metadata,
        } => Some(json!({ "reason": reason, "domain": domain, "metadata": metadata })),
        Companion::RetryInfo(delay) => match delay {
            None => Some(json!({})),
            Some(d) => duration_json(&d).map(|d| json!({ "retryDelay": d })),
        },
        Companion::Help(links) => {
            let links: Vec<Value> = links
                .iter()
                .map(|l| json!({ "description": l.description, "url": l.url }))
                .collect();
            Some(json!({ "links": links }))
        }
        Companion::LocalizedMessage(m) => Some(json!({ "locale": m.locale, "message": m.message })),
    });
    let mut object = match typed {
        Some(Value::Object(object)) => object,
        _ => {
            let mut object = Map::new();
            object.insert("value".into(), Value::String(STANDARD.encode(&any.value)));
            object
        }
    };
    object.insert("@type".into(), Value::String(any.type_url.clone()));
    Value::Object(object)
}

fn detail_from_json(object: &Map<String, Value>) -> Option<prost_types::Any> {
    let str_of = |key: &str| Some(object.get(key)?.as_str()?.to_owned());
    let type_url = object.get("@type")?.as_str()?;
    let companion = match type_url {
        ERROR_INFO_TYPE_URL => Companion::ErrorInfo {
            reason: str_of("reason")?,
            domain: str_of("domain")?,
            metadata: match object.get("metadata") {
                None => BTreeMap::new(),
                Some(m) => m
                    .as_object()?
                    .iter()
                    .map(|(k, v)| Some((k.clone(), v.as_str()?.to_owned())))
                    .collect::<Option<_>>()?,
            },
        },
        tonic_types::RetryInfo::TYPE_URL => Companion::RetryInfo(Some(parse_duration_json(
            object.get("retryDelay")?.as_str()?,
        )?)),
        tonic_types::Help::TYPE_URL => Companion::Help(
            object
                .get("links")?
                .as_array()?
                .iter()
                .map(|l| {
                    Some(tonic_types::HelpLink::new(
                        l.get("description")?.as_str()?,
                        l.get("url")?.as_str()?,
                    ))
                })
                .collect::<Option<_>>()?,
        ),
        tonic_types::LocalizedMessage::TYPE_URL => Companion::LocalizedMessage(
            tonic_types::LocalizedMessage::new(str_of("locale")?, str_of("message")?),
        ),
        _ => {
            return Some(prost_types::Any {
                type_url: type_url.to_owned(),
                value: STANDARD.decode(object.get("value")?.as_str()?).ok()?,
            });
        }
    };
    Some(companion.to_any())
}

impl AuthError {
    /// The AIP-193 HTTP error body for this error: `code` is the HTTP status,
    /// `status` the canonical gRPC code name, the ErrorInfo first in
    /// `details`, then the companions.
    ///
    /// ```
    /// use auth_error::{AuthError, AuthErrorCode};
    /// let body = AuthError::new(AuthErrorCode::TokenExpired)
    ///     .with_message("expired")
    ///     .with_metadata("tokenType", "access")
    ///     .to_http_json();
    /// assert_eq!(body["error"]["code"], 401);
    /// assert_eq!(body["error"]["status"], "UNAUTHENTICATED");
    /// assert_eq!(body["error"]["details"][0]["reason"], "TOKEN_EXPIRED");
    /// let back = AuthError::from_http_json(body.to_string().as_bytes()).unwrap();
    /// assert_eq!(back.code(), AuthErrorCode::TokenExpired);
    /// assert_eq!(back.metadata()["tokenType"], "access");
    /// ```
    pub fn to_http_json(&self) -> Value {
        // The lenient rules, as on the gRPC exit: what they refuse never
        // leaves, and NO_AUTH_ERROR fails closed (500, UNKNOWN, no details).
        if !self.code().is_error() {
            return json!({
                "error": { "code": 500, "message": self.message(), "status": "UNKNOWN" }
            });
        }
        let mut err = self.clone();
        rules::sanitize(&mut err);
        let mut details = vec![json!({
            "@type": ERROR_INFO_TYPE_URL,
            "reason": err.code().reason(),
            "domain": err.domain(),
            "metadata": err.metadata(),
        })];
        details.extend(err.details().iter().map(detail_json));
        json!({
            "error": {
                "code": err.http_status().as_u16(),
                "message": err.message(),
                "status": grpc_status_name(err.grpc_code()),
                "details": details,
            }
        })
    }

    /// Reads an AIP-193 HTTP error body (a REST gateway's answer) for domain
    /// [`DOMAIN`].
    pub fn from_http_json(body: &[u8]) -> Result<AuthError, JsonError> {
        Self::from_http_json_in(body, DOMAIN)
    }

    /// Reads an AIP-193 HTTP error body for `domain`. The first ErrorInfo of
    /// the domain wins; other details come back as companions.
    pub fn from_http_json_in(body: &[u8], domain: &str) -> Result<AuthError, JsonError> {
        let value: Value = serde_json::from_slice(body).map_err(|e| invalid(e.to_string()))?;
        let error = value
            .get("error")
            .and_then(Value::as_object)
            .ok_or_else(|| invalid("no `error` object"))?;
        let message = match error.get("message") {
            None => "",
            Some(m) => m
                .as_str()
                .ok_or_else(|| invalid("`error.message` is not a string"))?,
        };
        let details = match error.get("details") {
            None => &Vec::new(),
            Some(d) => d
                .as_array()
                .ok_or_else(|| invalid("`error.details` is not an array"))?,
        };
        let mut found: Option<(usize, &Map<String, Value>)> = None;
        for (i, detail) in details.iter().enumerate() {
            let object = detail
                .as_object()
                .ok_or_else(|| invalid(format!("detail {i} is not an object")))?;
            let is_ours = object.get("@type").and_then(Value::as_str) == Some(ERROR_INFO_TYPE_URL)
                && object.get("domain").and_then(Value::as_str) == Some(domain);
            if is_ours {
                found = Some((i, object));
                break;
            }
        }
        let (index, info) = found.ok_or(JsonError::NoErrorInfo)?;
        let reason = info
            .get("reason")
            .and_then(Value::as_str)
            .ok_or_else(|| invalid("ErrorInfo has no string `reason`"))?;
        let code = AuthErrorCode::from_peer_reason(reason).map_err(|e| match e {
            ReasonError::NotAnError => JsonError::NoAuthError,
            ReasonError::Unknown => JsonError::UnknownReason {
                reason: reason.to_owned(),
            },
        })?;
        let mut err = AuthError::new(code).with_message(message);
        if domain != DOMAIN {
            err = err.with_domain(domain);
        }
        if let Some(md) = info.get("metadata") {
            let md = md
                .as_object()
                .ok_or_else(|| invalid("ErrorInfo `metadata` is not an object"))?;
            for (k, v) in md {
                let v = v
                    .as_str()
                    .ok_or_else(|| invalid(format!("metadata value of `{k}` is not a string")))?;
                err = err.with_metadata(k.clone(), v);
            }
        }
        for detail in details
            .iter()
            .enumerate()
            .filter(|(i, _)| *i != index)
            .filter_map(|(_, d)| d.as_object().and_then(detail_from_json))
        {
            err = err.with_detail(detail);
        }
        Ok(err)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(seconds: i64, nanos: i32) -> prost_types::Duration {
        prost_types::Duration { seconds, nanos }
    }

    #[test]
    fn durations_round_trip() {
        for (secs, nanos, text) in [
            (900, 0, "900s"),
            (1, 500_000_000, "1.5s"),
            (0, 1, "0.000000001s"),
            (-1, -500_000_000, "-1.5s"),
            (0, -250_000_000, "-0.25s"),
        ] {
            assert_eq!(duration_json(&d(secs, nanos)).as_deref(), Some(text));
            assert_eq!(parse_duration_json(text), Some(d(secs, nanos)));
        }
        for bad in ["", "s", "1", "1.xs", "x1s"] {
            assert_eq!(parse_duration_json(bad), None, "{bad}");
        }
    }

    #[test]
    fn unnormalized_and_out_of_range_durations() {
        // Sign of a negative nanos is kept; nanos past a second carry over.
        assert_eq!(duration_json(&d(0, -1)).as_deref(), Some("-0.000000001s"));
        assert_eq!(duration_json(&d(1, 1_500_000_000)).as_deref(), Some("2.5s"));
        assert_eq!(duration_json(&d(2, -500_000_000)).as_deref(), Some("1.5s"));
        assert_eq!(duration_json(&d(-2, 500_000_000)).as_deref(), Some("-1.5s"));
        assert_eq!(duration_json(&d(i64::MAX, 0)), None);
    }
}
