//! The AIP-193 HTTP error body as types (feature `json`): what
//! [`AuthError::to_http_body`] produces, what
//! [`AuthError::from_http_body`] reads, and what the OpenAPI document
//! (feature `utoipa`) describes.
//!
//! Serialization writes proto3 JSON, keys in sorted order ("@type" first),
//! exactly the bytes of [`AuthError::to_http_json`]. Deserialization is as
//! tolerant as proto3 JSON parsers are: every field may be absent (it then
//! takes its default), unknown fields are ignored, and a detail that does not
//! fit its type is kept as [`BodyDetail::Other`] rather than failing the body.

use std::collections::BTreeMap;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use prost_types::Any;
use serde::de::Error as _;
use serde::ser::{Error as _, SerializeMap};
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use serde_json::{Map, Value};

use crate::AuthErrorCode;
use crate::error::ExtraDetail;
use crate::wire::ERROR_INFO_TYPE_URL;

/// The AIP-193 HTTP error body: `{"error": {"code", "message", "status",
/// "details"}}`.
///
/// ```
/// use auth_error::rest::{AuthErrorResponse, BodyDetail};
/// use auth_error::{AuthError, AuthErrorCode};
///
/// let body: AuthErrorResponse = AuthError::new(AuthErrorCode::TokenExpired).to_http_body();
/// assert_eq!(body.error.code, 401);
/// assert_eq!(body.error.status, "UNAUTHENTICATED");
/// let BodyDetail::AuthErrorInfo(info) = &body.error.details[0] else { panic!() };
/// assert_eq!(info.reason, AuthErrorCode::TokenExpired);
///
/// let text = serde_json::to_string(&body).unwrap();
/// assert_eq!(serde_json::from_str::<AuthErrorResponse>(&text).unwrap(), body);
/// ```
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct AuthErrorResponse {
    /// The error.
    pub error: ErrorBody,
}

/// The `error` object of an [`AuthErrorResponse`] (the JSON form of
/// `google.rpc.Status`, with the HTTP status as `code`).
///
/// Fields are declared in sorted order so the typed body serializes to the
/// same bytes as a `serde_json::Value` of it.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
#[non_exhaustive]
pub struct ErrorBody {
    /// The HTTP status code (401, 403, 400; 500 for a server fault).
    pub code: u16,
    /// The ErrorInfo carrying the [`AuthErrorCode`] first, then the
    /// extra details. Absent from a fault's body.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub details: Vec<BodyDetail>,
    /// The developer-facing message.
    pub message: String,
    /// The canonical gRPC code name (`"UNAUTHENTICATED"`).
    pub status: String,
}

/// One entry of `error.details`: a `google.protobuf.Any` in proto3 JSON form,
/// tagged by `@type`.
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub enum BodyDetail {
    /// A `google.rpc.ErrorInfo` whose reason is an [`AuthErrorCode`] name.
    AuthErrorInfo(AuthErrorInfo),
    /// A `google.rpc.ErrorInfo` whose reason is not an [`AuthErrorCode`]
    /// name (another vocabulary's, or a newer peer's).
    ErrorInfo(ErrorInfo),
    /// A `google.rpc.RetryInfo`.
    RetryInfo(RetryInfo),
    /// A `google.rpc.Help`.
    Help(Help),
    /// A `google.rpc.LocalizedMessage`.
    LocalizedMessage(LocalizedMessage),
    /// Any other detail, kept as it is: a type this crate does not render
    /// (`{"@type": …, "value": "<base64 of its bytes>"}`, the form proto3
    /// JSON uses for values it cannot render), or an object that does not fit
    /// its type.
    Other(Map<String, Value>),
}

/// A `google.rpc.ErrorInfo` carrying an [`AuthErrorCode`].
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub struct AuthErrorInfo {
    /// The vocabulary's domain ([`DOMAIN`](crate::DOMAIN) unless the service chose its own).
    pub domain: String,
    /// Context entries (see [`keys`](crate::keys)).
    pub metadata: BTreeMap<String, String>,
    /// The code.
    pub reason: AuthErrorCode,
}

/// A `google.rpc.ErrorInfo` whose reason is not an [`AuthErrorCode`].
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub struct ErrorInfo {
    /// The domain of the reason's vocabulary.
    pub domain: String,
    /// Context entries.
    pub metadata: BTreeMap<String, String>,
    /// The reason.
    pub reason: String,
}

/// A `google.rpc.RetryInfo`.
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub struct RetryInfo {
    /// How long to wait before retrying; written as proto3 JSON (`"1.5s"`).
    pub retry_delay: Option<prost_types::Duration>,
}

/// A `google.rpc.Help`.
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub struct Help {
    /// The links.
    pub links: Vec<HelpLink>,
}

/// One link of a [`Help`].
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub struct HelpLink {
    /// What the link offers.
    pub description: String,
    /// The URL.
    pub url: String,
}

/// A `google.rpc.LocalizedMessage`.
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub struct LocalizedMessage {
    /// The BCP 47 locale of the message (`"de-CH"`).
    pub locale: String,
    /// The message.
    pub message: String,
}

const RETRY_INFO: &str = tonic_types::RetryInfo::TYPE_URL;
const HELP: &str = tonic_types::Help::TYPE_URL;
const LOCALIZED_MESSAGE: &str = tonic_types::LocalizedMessage::TYPE_URL;

impl BodyDetail {
    /// The detail's `@type`, if it has one.
    pub fn type_url(&self) -> Option<&str> {
        match self {
            BodyDetail::AuthErrorInfo(_) | BodyDetail::ErrorInfo(_) => Some(ERROR_INFO_TYPE_URL),
            BodyDetail::RetryInfo(_) => Some(RETRY_INFO),
            BodyDetail::Help(_) => Some(HELP),
            BodyDetail::LocalizedMessage(_) => Some(LOCALIZED_MESSAGE),
            BodyDetail::Other(object) => object.get("@type").and_then(Value::as_str),
        }
    }

    /// The JSON form of a detail: the standard extra details typed, any other
    /// type (or a standard one whose bytes do not decode, or a delay outside
    /// `google.protobuf.Duration`'s range) as its bytes.
    ///
    /// ```
    /// use auth_error::rest::BodyDetail;
    /// let any = prost_types::Any { type_url: "type.example.com/x.Y".into(), value: vec![1] };
    /// let detail = BodyDetail::from_any(&any);
    /// assert_eq!(detail.type_url(), Some("type.example.com/x.Y"));
    /// ```
    pub fn from_any(any: &Any) -> BodyDetail {
        let typed = ExtraDetail::from_any(any).and_then(|detail| {
            Some(match detail {
                ExtraDetail::ErrorInfo {
                    reason,
                    domain,
                    metadata,
                } => BodyDetail::error_info(reason, domain, metadata),
                ExtraDetail::RetryInfo(delay) => {
                    if delay.as_ref().is_some_and(|d| duration_json(d).is_none()) {
                        return None;
                    }
                    BodyDetail::RetryInfo(RetryInfo { retry_delay: delay })
                }
                ExtraDetail::Help(links) => BodyDetail::Help(Help {
                    links: links
                        .into_iter()
                        .map(|l| HelpLink {
                            description: l.description,
                            url: l.url,
                        })
                        .collect(),
                }),
                ExtraDetail::LocalizedMessage(m) => {
                    BodyDetail::LocalizedMessage(LocalizedMessage {
                        locale: m.locale,
                        message: m.message,
                    })
                }
            })
        });
        typed.unwrap_or_else(|| {
            let mut object = Map::new();
            object.insert("@type".into(), Value::String(any.type_url.clone()));
            object.insert("value".into(), Value::String(STANDARD.encode(&any.value)));
            BodyDetail::Other(object)
        })
    }

    /// The `Any` this detail stands for; `None` for an [`Other`](BodyDetail::Other)
    /// detail without `@type` and base64 `value` (its bytes cannot be known
    /// without its schema).
    pub(crate) fn to_any(&self) -> Option<Any> {
        let detail = match self {
            BodyDetail::AuthErrorInfo(_) | BodyDetail::ErrorInfo(_) => {
                let (reason, domain, metadata) = self.error_info_parts()?;
                ExtraDetail::ErrorInfo {
                    reason: reason.to_owned(),
                    domain: domain.to_owned(),
                    metadata: metadata.clone(),
                }
            }
            BodyDetail::RetryInfo(r) => ExtraDetail::RetryInfo(r.retry_delay),
            BodyDetail::Help(h) => ExtraDetail::Help(
                h.links
                    .iter()
                    .map(|l| tonic_types::HelpLink::new(&l.description, &l.url))
                    .collect(),
            ),
            BodyDetail::LocalizedMessage(m) => ExtraDetail::LocalizedMessage(
                tonic_types::LocalizedMessage::new(&m.locale, &m.message),
            ),
            BodyDetail::Other(object) => {
                return Some(Any {
                    type_url: object.get("@type")?.as_str()?.to_owned(),
                    value: STANDARD.decode(object.get("value")?.as_str()?).ok()?,
                });
            }
        };
        Some(detail.to_any())
    }

    /// Reason, domain and metadata of either ErrorInfo form; `None` for
    /// every other detail.
    pub(crate) fn error_info_parts(&self) -> Option<(&str, &str, &BTreeMap<String, String>)> {
        match self {
            BodyDetail::AuthErrorInfo(i) => Some((i.reason.as_str_name(), &i.domain, &i.metadata)),
            BodyDetail::ErrorInfo(i) => Some((&i.reason, &i.domain, &i.metadata)),
            _ => None,
        }
    }

    /// An ErrorInfo, typed by whether its reason names an [`AuthErrorCode`].
    pub(crate) fn error_info(
        reason: String,
        domain: String,
        metadata: BTreeMap<String, String>,
    ) -> BodyDetail {
        match AuthErrorCode::from_str_name(&reason) {
            Some(reason) => BodyDetail::AuthErrorInfo(AuthErrorInfo {
                domain,
                metadata,
                reason,
            }),
            None => BodyDetail::ErrorInfo(ErrorInfo {
                domain,
                metadata,
                reason,
            }),
        }
    }

    /// Types a detail object; one that does not fit its type stays as it is.
    fn from_object(object: Map<String, Value>) -> BodyDetail {
        // A standard type with `value` is in the bytes form: keep it so.
        if object.contains_key("value") {
            return BodyDetail::Other(object);
        }
        let typed = match object.get("@type").and_then(Value::as_str) {
            Some(ERROR_INFO_TYPE_URL) => (|| {
                Some(BodyDetail::error_info(
                    string(&object, "reason")?,
                    string(&object, "domain")?,
                    string_map(&object, "metadata")?,
                ))
            })(),
            Some(RETRY_INFO) => match object.get("retryDelay") {
                None => Some(BodyDetail::RetryInfo(RetryInfo { retry_delay: None })),
                Some(d) => d.as_str().and_then(|d| d.parse().ok()).map(|d| {
                    BodyDetail::RetryInfo(RetryInfo {
                        retry_delay: Some(d),
                    })
                }),
            },
            Some(HELP) => (|| {
                let links = match object.get("links") {
                    None => Vec::new(),
                    Some(links) => links
                        .as_array()?
                        .iter()
                        .map(|l| {
                            let l = l.as_object()?;
                            Some(HelpLink {
                                description: string(l, "description")?,
                                url: string(l, "url")?,
                            })
                        })
                        .collect::<Option<_>>()?,
                };
                Some(BodyDetail::Help(Help { links }))
            })(),
            Some(LOCALIZED_MESSAGE) => (|| {
                Some(BodyDetail::LocalizedMessage(LocalizedMessage {
                    locale: string(&object, "locale")?,
                    message: string(&object, "message")?,
                }))
            })(),
            _ => None,
        };
        typed.unwrap_or(BodyDetail::Other(object))
    }
}

/// A string field as proto3 JSON reads it: absent means empty; `None` if it
/// is not a string.
fn string(object: &Map<String, Value>, key: &str) -> Option<String> {
    match object.get(key) {
        None => Some(String::new()),
        Some(v) => Some(v.as_str()?.to_owned()),
    }
}

/// A `map<string, string>` field: absent means empty; `None` if it is not an
/// object of strings.
fn string_map(object: &Map<String, Value>, key: &str) -> Option<BTreeMap<String, String>> {
    match object.get(key) {
        None => Some(BTreeMap::new()),
        Some(v) => v
            .as_object()?
            .iter()
            .map(|(k, v)| Some((k.clone(), v.as_str()?.to_owned())))
            .collect(),
    }
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

impl Serialize for BodyDetail {
    /// `"@type"` first, then the fields in sorted order (proto3 JSON names).
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        if let BodyDetail::Other(object) = self {
            return object.serialize(serializer);
        }
        let mut map = serializer.serialize_map(None)?;
        // `type_url` is `Some` for every typed variant.
        map.serialize_entry("@type", self.type_url().unwrap_or_default())?;
        match self {
            BodyDetail::AuthErrorInfo(_) | BodyDetail::ErrorInfo(_) => {
                if let Some((reason, domain, metadata)) = self.error_info_parts() {
                    map.serialize_entry("domain", domain)?;
                    map.serialize_entry("metadata", metadata)?;
                    map.serialize_entry("reason", reason)?;
                }
            }
            BodyDetail::RetryInfo(r) => {
                if let Some(delay) = &r.retry_delay {
                    let text = duration_json(delay).ok_or_else(|| {
                        S::Error::custom("retryDelay outside google.protobuf.Duration's range")
                    })?;
                    map.serialize_entry("retryDelay", &text)?;
                }
            }
            BodyDetail::Help(h) => {
                struct Link<'a>(&'a HelpLink);
                impl Serialize for Link<'_> {
                    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                        let mut map = s.serialize_map(Some(2))?;
                        map.serialize_entry("description", &self.0.description)?;
                        map.serialize_entry("url", &self.0.url)?;
                        map.end()
                    }
                }
                let links: Vec<Link<'_>> = h.links.iter().map(Link).collect();
                map.serialize_entry("links", &links)?;
            }
            BodyDetail::LocalizedMessage(m) => {
                map.serialize_entry("locale", &m.locale)?;
                map.serialize_entry("message", &m.message)?;
            }
            BodyDetail::Other(_) => {}
        }
        map.end()
    }
}

impl<'de> Deserialize<'de> for BodyDetail {
    /// Any JSON object; see [`BodyDetail`] for how it is typed. Not an object is
    /// an error.
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let object = Map::<String, Value>::deserialize(deserializer)
            .map_err(|_| D::Error::custom("a detail is not a JSON object"))?;
        Ok(BodyDetail::from_object(object))
    }
}

impl AuthErrorResponse {
    /// The body of a response that blames no one's credentials (a server
    /// fault): no details.
    pub(crate) fn fault(code: u16, status: &str, message: &str) -> Self {
        AuthErrorResponse {
            error: ErrorBody {
                code,
                details: Vec::new(),
                message: message.to_owned(),
                status: status.to_owned(),
            },
        }
    }

    /// The first ErrorInfo of `domain` in `details`, with its position.
    pub(crate) fn find_error_info(&self, domain: &str) -> Option<(usize, &BodyDetail)> {
        self.error
            .details
            .iter()
            .enumerate()
            .find(|(_, d)| match d {
                BodyDetail::AuthErrorInfo(_) | BodyDetail::ErrorInfo(_) => {
                    d.error_info_parts().is_some_and(|(_, of, _)| of == domain)
                }
                // An ErrorInfo of the domain that does not fit the type.
                BodyDetail::Other(o) => {
                    o.get("@type").and_then(Value::as_str) == Some(ERROR_INFO_TYPE_URL)
                        && o.get("domain").and_then(Value::as_str) == Some(domain)
                }
                _ => false,
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Parses a proto3 JSON Duration (prost-types' parser).
    fn parse_duration_json(s: &str) -> Option<prost_types::Duration> {
        s.parse().ok()
    }

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
