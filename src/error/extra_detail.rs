//! The standard extra details, converted to and from `Any` in one place:
//! the getters of [`AuthError`](crate::AuthError), the JSON body and the CLI
//! all go through [`ExtraDetail`], so a new standard detail has one home.

use std::collections::BTreeMap;
use std::time::Duration;

use prost::Message;
use prost_types::Any;
use tonic_types::pb;

use crate::wire::ERROR_INFO_TYPE_URL;

/// A standard detail, decoded. Any other type stays an `Any`.
#[derive(Clone, Debug)]
pub(crate) enum ExtraDetail {
    /// `google.rpc.ErrorInfo` (of another domain, as an extra detail).
    ErrorInfo {
        reason: String,
        domain: String,
        metadata: BTreeMap<String, String>,
    },
    /// `google.rpc.RetryInfo`; `None` when it has no delay.
    RetryInfo(Option<prost_types::Duration>),
    /// `google.rpc.Help`.
    Help(Vec<tonic_types::HelpLink>),
    /// `google.rpc.LocalizedMessage`.
    LocalizedMessage(tonic_types::LocalizedMessage),
}

impl ExtraDetail {
    /// A RetryInfo of `delay`, clamped to `google.protobuf.Duration`'s range.
    pub(crate) fn retry_after(delay: Duration) -> Self {
        let delay = prost_types::Duration::try_from(delay).unwrap_or(prost_types::Duration {
            seconds: i64::MAX,
            nanos: 999_999_999,
        });
        ExtraDetail::RetryInfo(Some(delay))
    }

    /// The standard detail `any` holds, if it is one and decodes.
    #[cfg(feature = "json")]
    pub(crate) fn from_any(any: &Any) -> Option<Self> {
        Self::from_parts(&any.type_url, &any.value)
    }

    /// The standard detail of `type_url` encoded in `value`, if it is one
    /// and decodes.
    pub(crate) fn from_parts(type_url: &str, value: &[u8]) -> Option<Self> {
        Some(match type_url {
            ERROR_INFO_TYPE_URL => {
                let info = pb::ErrorInfo::decode(value).ok()?;
                ExtraDetail::ErrorInfo {
                    reason: info.reason,
                    domain: info.domain,
                    metadata: info.metadata.into_iter().collect(),
                }
            }
            tonic_types::RetryInfo::TYPE_URL => {
                ExtraDetail::RetryInfo(pb::RetryInfo::decode(value).ok()?.retry_delay)
            }
            tonic_types::Help::TYPE_URL => ExtraDetail::Help(
                pb::Help::decode(value)
                    .ok()?
                    .links
                    .into_iter()
                    .map(|l| tonic_types::HelpLink::new(l.description, l.url))
                    .collect(),
            ),
            tonic_types::LocalizedMessage::TYPE_URL => {
                let m = pb::LocalizedMessage::decode(value).ok()?;
                ExtraDetail::LocalizedMessage(tonic_types::LocalizedMessage::new(
                    m.locale, m.message,
                ))
            }
            _ => return None,
        })
    }

    /// The `Any` carrying this detail.
    pub(crate) fn to_any(&self) -> Any {
        let (type_url, value) = match self {
            ExtraDetail::ErrorInfo {
                reason,
                domain,
                metadata,
            } => (
                ERROR_INFO_TYPE_URL,
                pb::ErrorInfo {
                    reason: reason.clone(),
                    domain: domain.clone(),
                    metadata: metadata.clone().into_iter().collect(),
                }
                .encode_to_vec(),
            ),
            ExtraDetail::RetryInfo(delay) => (
                tonic_types::RetryInfo::TYPE_URL,
                pb::RetryInfo {
                    retry_delay: *delay,
                }
                .encode_to_vec(),
            ),
            ExtraDetail::Help(links) => (
                tonic_types::Help::TYPE_URL,
                pb::Help {
                    links: links
                        .iter()
                        .map(|l| pb::help::Link {
                            description: l.description.clone(),
                            url: l.url.clone(),
                        })
                        .collect(),
                }
                .encode_to_vec(),
            ),
            ExtraDetail::LocalizedMessage(m) => (
                tonic_types::LocalizedMessage::TYPE_URL,
                pb::LocalizedMessage {
                    locale: m.locale.clone(),
                    message: m.message.clone(),
                }
                .encode_to_vec(),
            ),
        };
        Any {
            type_url: type_url.to_owned(),
            value,
        }
    }
}

/// A `google.protobuf.Duration` as a non-negative `std::time::Duration`
/// (prost-types' conversion, which normalizes first); `None` if negative.
pub(crate) fn non_negative(delay: prost_types::Duration) -> Option<Duration> {
    Duration::try_from(delay).ok()
}
