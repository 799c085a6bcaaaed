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
use std::time::Duration;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use prost::Message;
use serde_json::{Map, Value, json};

use crate::code::ReasonError;
use crate::wire::ERROR_INFO_TYPE_URL;
use crate::{AuthError, AuthErrorCode, DOMAIN, grpc_status_name};

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

/// proto3 JSON for a Duration: seconds with up to nine fractional digits.
fn duration_json(d: &prost_types::Duration) -> String {
    if d.nanos == 0 {
        format!("{}s", d.seconds)
    } else {
        let frac = format!("{:09}", d.nanos.unsigned_abs());
        format!("{}.{}s", d.seconds, frac.trim_end_matches('0'))
    }
}

fn parse_duration_json(s: &str) -> Option<Duration> {
    let number = s.strip_suffix('s')?;
    let (secs, frac) = number.split_once('.').unwrap_or((number, ""));
    if frac.len() > 9 || !frac.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let secs: u64 = secs.parse().ok()?;
    let nanos: u32 = if frac.is_empty() {
        0
    } else {
        format!("{frac:0<9}").parse().ok()?
    };
    Some(Duration::new(secs, nanos))
}

/// One `google.protobuf.Any` detail in proto3 JSON form: `ErrorInfo`,
/// `RetryInfo`, `Help` and `LocalizedMessage` with their fields, any other
/// type (or a value that does not decode) as `{"@type": …, "value": base64}`.
///
/// ```
/// let any = prost_types::Any { type_url: "type.example.com/x.Y".into(), value: vec![1, 2] };
/// assert_eq!(auth_error::detail_json(&any), serde_json::json!({"@type": "type.example.com/x.Y", "value": "AQI="}));
/// ```
pub fn detail_json(any: &prost_types::Any) -> Value {
    let typed = match any.type_url.as_str() {
        ERROR_INFO_TYPE_URL => tonic_types::pb::ErrorInfo::decode(any.value.as_slice())
            .ok()
            .map(|i| {
                let metadata: BTreeMap<_, _> = i.metadata.into_iter().collect();
                json!({ "reason": i.reason, "domain": i.domain, "metadata": metadata })
            }),
        tonic_types::RetryInfo::TYPE_URL => {
            tonic_types::pb::RetryInfo::decode(any.value.as_slice())
                .ok()
                .map(|r| json!({ "retryDelay": r.retry_delay.as_ref().map(duration_json) }))
        }
        tonic_types::Help::TYPE_URL => tonic_types::pb::Help::decode(any.value.as_slice())
            .ok()
            .map(|h| {
                let links: Vec<Value> = h
                    .links
                    .iter()
                    .map(|l| json!({ "description": l.description, "url": l.url }))
                    .collect();
                json!({ "links": links })
            }),
        tonic_types::LocalizedMessage::TYPE_URL => {
            tonic_types::pb::LocalizedMessage::decode(any.value.as_slice())
                .ok()
                .map(|m| json!({ "locale": m.locale, "message": m.message }))
        }
        _ => None,
    };
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
    let type_url = object.get("@type")?.as_str()?;
    let value = match type_url {
        ERROR_INFO_TYPE_URL => {
            let metadata = object
                .get("metadata")
                .and_then(Value::as_object)
                .map(|m| {
                    m.iter()
                        .map(|(k, v)| Some((k.clone(), v.as_str()?.to_owned())))
                        .collect::<Option<std::collections::HashMap<_, _>>>()
                })
                .unwrap_or_else(|| Some(Default::default()))?;
            tonic_types::pb::ErrorInfo {
                reason: object.get("reason")?.as_str()?.to_owned(),
                domain: object.get("domain")?.as_str()?.to_owned(),
                metadata,
            }
            .encode_to_vec()
        }
        tonic_types::RetryInfo::TYPE_URL => {
            let delay = parse_duration_json(object.get("retryDelay")?.as_str()?)?;
            tonic_types::pb::RetryInfo {
                retry_delay: Some(prost_types::Duration {
                    seconds: i64::try_from(delay.as_secs()).ok()?,
                    nanos: delay.subsec_nanos() as i32,
                }),
            }
            .encode_to_vec()
        }
        tonic_types::Help::TYPE_URL => {
            let links = object.get("links")?.as_array()?;
            let links = links
                .iter()
                .map(|l| {
                    Some(tonic_types::pb::help::Link {
                        description: l.get("description")?.as_str()?.to_owned(),
                        url: l.get("url")?.as_str()?.to_owned(),
                    })
                })
                .collect::<Option<Vec<_>>>()?;
            tonic_types::pb::Help { links }.encode_to_vec()
        }
        tonic_types::LocalizedMessage::TYPE_URL => tonic_types::pb::LocalizedMessage {
            locale: object.get("locale")?.as_str()?.to_owned(),
            message: object.get("message")?.as_str()?.to_owned(),
        }
        .encode_to_vec(),
        _ => STANDARD.decode(object.get("value")?.as_str()?).ok()?,
    };
    Some(prost_types::Any {
        type_url: type_url.to_owned(),
        value,
    })
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
        let mut details = vec![json!({
            "@type": ERROR_INFO_TYPE_URL,
            "reason": self.code().reason(),
            "domain": self.domain(),
            "metadata": self.metadata(),
        })];
        details.extend(self.details().iter().map(detail_json));
        json!({
            "error": {
                "code": self.http_status().as_u16(),
                "message": self.message(),
                "status": grpc_status_name(self.grpc_code()),
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
        let mut metadata = BTreeMap::new();
        if let Some(md) = info.get("metadata") {
            let md = md
                .as_object()
                .ok_or_else(|| invalid("ErrorInfo `metadata` is not an object"))?;
            for (k, v) in md {
                let v = v
                    .as_str()
                    .ok_or_else(|| invalid(format!("metadata value of `{k}` is not a string")))?;
                metadata.insert(k.clone(), v.to_owned());
            }
        }
        let companions = details
            .iter()
            .enumerate()
            .filter(|(i, _)| *i != index)
            .filter_map(|(_, d)| d.as_object().and_then(detail_from_json))
            .collect();
        Ok(AuthError::from_parts(
            code,
            message.to_owned(),
            domain,
            metadata,
            companions,
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations() {
        for (secs, nanos, text) in [
            (900, 0, "900s"),
            (1, 500_000_000, "1.5s"),
            (0, 1, "0.000000001s"),
        ] {
            let d = prost_types::Duration {
                seconds: secs,
                nanos,
            };
            assert_eq!(duration_json(&d), text);
            assert_eq!(
                parse_duration_json(text),
                Some(Duration::new(secs as u64, nanos as u32))
            );
        }
        for bad in ["", "s", "1", "-1s", "1.0000000001s", "1.xs"] {
            assert_eq!(parse_duration_json(bad), None, "{bad}");
        }
    }
}
