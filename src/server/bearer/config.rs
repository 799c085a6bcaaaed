//! [`Config`]: what a built layer holds, shared by its services (the rules,
//! the verifier, the answers made once). Its behaviour lives with each
//! concern, as functions of a `&Config`: the decision in `decide.rs`, the
//! answers in `answer.rs`.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use http::HeaderMap;

use super::protocol::Protocol;
use crate::server::{DrainRejectedLayer, Route};

pub(super) type FaultHook = Arc<dyn Fn(&(dyn std::error::Error + 'static)) + Send + Sync>;

pub(super) struct Config<V> {
    pub(super) verifier: Arc<V>,
    pub(super) scopes: Vec<(Route, Vec<String>)>,
    /// Step-up: the `acr` values any of which satisfies the route.
    pub(super) acr: Vec<(Route, Vec<String>)>,
    /// Step-up: the longest time since the user authenticated.
    pub(super) max_auth_age: Vec<(Route, Duration)>,
    pub(super) public: Vec<Route>,
    pub(super) realm: Option<String>,
    pub(super) resource_metadata: Option<String>,
    pub(super) on_fault: Option<FaultHook>,
    /// The answers to a request without credentials, built by `build`.
    pub(super) missing: Canned,
    /// The bounds within which a refused request's body is drained.
    pub(super) drain: DrainRejectedLayer,
    /// The layer's counters (registered by `build`; feature `metrics`).
    pub(super) metrics: crate::observe::LayerMetrics,
    /// DPoP, checked by `build` (`with_dpop`).
    #[cfg(feature = "sender-constrained")]
    pub(super) dpop: Option<crate::server::dpop::Prepared>,
}

impl<V> fmt::Debug for Config<V> {
    /// The rules and the realm; not the verifier (keys) nor the hook.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Config")
            .field("scopes", &self.scopes)
            .field("acr", &self.acr)
            .field("max_auth_age", &self.max_auth_age)
            .field("public", &self.public)
            .field("realm", &self.realm)
            .field("resource_metadata", &self.resource_metadata)
            .finish_non_exhaustive()
    }
}

impl<V> Config<V> {
    /// The `algs` of a DPoP challenge, when the layer checks DPoP.
    pub(super) fn dpop_algs(&self) -> Option<&str> {
        #[cfg(feature = "sender-constrained")]
        return self.dpop.as_ref().map(|d| d.algs_challenge.as_str());
        #[cfg(not(feature = "sender-constrained"))]
        None
    }

    /// The nonce for the response to a served request: the current one
    /// when the layer issues nonces and the request carried a proof.
    #[inline]
    pub(super) fn dpop_nonce_for(&self, headers: &HeaderMap) -> Option<http::HeaderValue> {
        #[cfg(feature = "sender-constrained")]
        if self.dpop.as_ref().is_some_and(|d| d.issues_nonces())
            && headers.contains_key(super::protocol::DPOP)
        {
            return self.dpop_nonce();
        }
        let _ = headers;
        None
    }

    /// The layer's current DPoP nonce, when it issues nonces.
    pub(super) fn dpop_nonce(&self) -> Option<http::HeaderValue> {
        #[cfg(feature = "sender-constrained")]
        return self
            .dpop
            .as_ref()
            .and_then(|d| d.current_nonce(std::time::SystemTime::now()))
            .and_then(|n| http::HeaderValue::try_from(n).ok());
        #[cfg(not(feature = "sender-constrained"))]
        None
    }
}

/// A response built once and sent many times: the answer to a request
/// without credentials is the same for every request of a protocol (the
/// code, its default message, the realm, the metadata URL), so serializing
/// it (the details, their base64, the JSON body, the challenge) per request
/// would be waste. Each request gets a clone (the body's `Bytes` shared).
#[derive(Default)]
pub(super) struct Canned {
    /// gRPC, gRPC-Web binary, gRPC-Web text, HTTP.
    pub(super) by_protocol: [(http::StatusCode, HeaderMap, Bytes); 4],
}

impl Canned {
    pub(super) fn for_protocol(&self, protocol: Protocol) -> CannedResponse<'_> {
        let i = match protocol {
            Protocol::Grpc => 0,
            Protocol::GrpcWeb { text: false } => 1,
            Protocol::GrpcWeb { text: true } => 2,
            Protocol::Http => 3,
        };
        CannedResponse(&self.by_protocol[i])
    }
}

pub(super) struct CannedResponse<'a>(&'a (http::StatusCode, HeaderMap, Bytes));

impl CannedResponse<'_> {
    #[inline]
    pub(super) fn response(&self) -> http::Response<Bytes> {
        let (status, headers, body) = self.0;
        let mut response = http::Response::new(body.clone());
        *response.status_mut() = *status;
        *response.headers_mut() = headers.clone();
        response
    }
}
