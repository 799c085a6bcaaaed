//! The metrics the crate reports (feature `metrics`, through the `metrics`
//! facade: the application's recorder decides where they go). One home for
//! every name and label: the table in docs/observability.md
//! is this file's.
//!
//! Every label value comes from a closed set (outcomes, reason names, cache
//! names, causes), never from a request: no path, subject, client id or
//! token. The keys are built once (no allocation per request), and without
//! a recorder each report is a load and a call into the no-op recorder.
//! Without the feature every function here is empty.

use std::time::Duration;

use crate::AuthErrorCode;

/// How a request through `BearerAuthLayer` ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(not(feature = "metrics"), allow(dead_code))]
pub(crate) enum Outcome {
    Accepted,
    Refused,
    Unavailable,
    Fault,
}

/// Which cache a hit or miss is of.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(not(all(feature = "metrics", feature = "jwt")), allow(dead_code))]
pub(crate) enum Cache {
    /// `JwtVerifier::with_cache`.
    VerifiedTokens,
    /// `IntrospectionVerifier::with_cache`.
    #[cfg_attr(not(feature = "oidc"), allow(dead_code))]
    Introspection,
}

#[cfg(feature = "metrics")]
mod imp {
    use metrics::{Key, Label, Level, Metadata};

    use super::*;

    static METADATA: Metadata<'static> =
        Metadata::new(module_path!(), Level::INFO, Some(module_path!()));

    macro_rules! key {
        ($name:literal) => {
            Key::from_static_name($name)
        };
        ($name:literal, $label:literal => $value:literal) => {{
            static LABELS: [Label; 1] = [Label::from_static_parts($label, $value)];
            Key::from_static_parts($name, &LABELS)
        }};
        ($name:literal, $l1:literal => $v1:literal, $l2:literal => $v2:literal) => {{
            static LABELS: [Label; 2] = [
                Label::from_static_parts($l1, $v1),
                Label::from_static_parts($l2, $v2),
            ];
            Key::from_static_parts($name, &LABELS)
        }};
    }

    fn count(key: &Key, n: u64) {
        metrics::with_recorder(|recorder| recorder.register_counter(key, &METADATA).increment(n));
    }

    /// The layer's counters, registered with the recorder in place when
    /// the layer is built (`BearerAuthBuilder::build`): a request then costs
    /// an increment of a held handle (a no-op one without a recorder), with
    /// no lookup. Every reason's series exists from the start, at 0.
    #[derive(Clone)]
    pub(crate) struct LayerMetrics {
        requests: [metrics::Counter; 4],
        refusals: Vec<metrics::Counter>,
        verification: metrics::Histogram,
    }

    impl Default for LayerMetrics {
        /// Not registered (what a builder holds until `build`).
        fn default() -> Self {
            LayerMetrics {
                requests: std::array::from_fn(|_| metrics::Counter::noop()),
                refusals: Vec::new(),
                verification: metrics::Histogram::noop(),
            }
        }
    }

    impl LayerMetrics {
        /// What a builder holds until `build`.
        pub(crate) fn unregistered() -> Self {
            Self::default()
        }

        pub(crate) fn register() -> Self {
            static REQUESTS: [Key; 4] = [
                key!("auth_requests_total", "outcome" => "accepted"),
                key!("auth_requests_total", "outcome" => "refused"),
                key!("auth_requests_total", "outcome" => "unavailable"),
                key!("auth_requests_total", "outcome" => "fault"),
            ];
            static VERIFICATION: Key = key!("auth_verification_seconds");
            metrics::with_recorder(|recorder| LayerMetrics {
                requests: std::array::from_fn(|i| {
                    recorder.register_counter(&REQUESTS[i], &METADATA)
                }),
                refusals: AuthErrorCode::ALL
                    .iter()
                    .map(|code| {
                        let key = Key::from_parts(
                            "auth_refusals_total",
                            vec![Label::from_static_parts("reason", code.as_str_name())],
                        );
                        recorder.register_counter(&key, &METADATA)
                    })
                    .collect(),
                verification: recorder.register_histogram(&VERIFICATION, &METADATA),
            })
        }

        pub(crate) fn request(&self, outcome: Outcome) {
            let i = match outcome {
                Outcome::Accepted => 0,
                Outcome::Refused => 1,
                Outcome::Unavailable => 2,
                Outcome::Fault => 3,
            };
            self.requests[i].increment(1);
        }

        pub(crate) fn refusal(&self, code: AuthErrorCode) {
            self.request(Outcome::Refused);
            if let Some(counter) = self.refusals.get(code.index()) {
                counter.increment(1);
            }
        }

        pub(crate) fn verification(&self, elapsed: Duration) {
            self.verification.record(elapsed.as_secs_f64());
        }
    }

    #[cfg_attr(not(feature = "oidc"), allow(dead_code))]
    pub(crate) fn jwks_fetch(ok: bool, keys: Option<usize>) {
        static SUCCESS: Key = key!("auth_jwks_fetches_total", "outcome" => "success");
        static FAILURE: Key = key!("auth_jwks_fetches_total", "outcome" => "failure");
        static KEYS: Key = key!("auth_jwks_keys");
        count(if ok { &SUCCESS } else { &FAILURE }, 1);
        if let Some(n) = keys {
            metrics::with_recorder(|recorder| {
                recorder.register_gauge(&KEYS, &METADATA).set(n as f64)
            });
        }
    }

    #[cfg_attr(not(feature = "oidc"), allow(dead_code))]
    pub(crate) fn jwks_cooldown_refusal() {
        static KEY: Key = key!("auth_jwks_cooldown_refusals_total");
        count(&KEY, 1);
    }

    #[cfg_attr(not(feature = "jwt"), allow(dead_code))]
    pub(crate) fn cache(cache: Cache, hit: bool) {
        static JWT_HIT: Key =
            key!("auth_cache_requests_total", "cache" => "verified_tokens", "result" => "hit");
        static JWT_MISS: Key =
            key!("auth_cache_requests_total", "cache" => "verified_tokens", "result" => "miss");
        static INTRO_HIT: Key =
            key!("auth_cache_requests_total", "cache" => "introspection", "result" => "hit");
        static INTRO_MISS: Key =
            key!("auth_cache_requests_total", "cache" => "introspection", "result" => "miss");
        count(
            match (cache, hit) {
                (Cache::VerifiedTokens, true) => &JWT_HIT,
                (Cache::VerifiedTokens, false) => &JWT_MISS,
                (Cache::Introspection, true) => &INTRO_HIT,
                (Cache::Introspection, false) => &INTRO_MISS,
            },
            1,
        );
    }

    #[cfg_attr(not(feature = "jwt"), allow(dead_code))]
    pub(crate) fn cache_eviction(cache: Cache) {
        static JWT: Key = key!("auth_cache_evictions_total", "cache" => "verified_tokens");
        static INTRO: Key = key!("auth_cache_evictions_total", "cache" => "introspection");
        count(
            match cache {
                Cache::VerifiedTokens => &JWT,
                Cache::Introspection => &INTRO,
            },
            1,
        );
    }

    pub(crate) fn token_fetch(ok: bool) {
        static SUCCESS: Key = key!("auth_token_fetches_total", "outcome" => "success");
        static FAILURE: Key = key!("auth_token_fetches_total", "outcome" => "failure");
        count(if ok { &SUCCESS } else { &FAILURE }, 1);
    }

    pub(crate) fn token_refresh(expired: bool) {
        static AHEAD: Key = key!("auth_token_refreshes_total", "cause" => "ahead_of_expiry");
        static REFUSED: Key = key!("auth_token_refreshes_total", "cause" => "token_expired");
        count(if expired { &REFUSED } else { &AHEAD }, 1);
    }

    pub(crate) fn drain(drained: bool) {
        static DRAINED: Key = key!("auth_drained_bodies_total", "outcome" => "drained");
        static ABANDONED: Key = key!("auth_drained_bodies_total", "outcome" => "abandoned");
        count(if drained { &DRAINED } else { &ABANDONED }, 1);
    }
}

#[cfg(not(feature = "metrics"))]
#[allow(clippy::missing_const_for_fn)]
mod imp {
    use super::*;

    /// Nothing to count without the feature.
    #[derive(Clone, Default)]
    pub(crate) struct LayerMetrics;

    impl LayerMetrics {
        pub(crate) fn unregistered() -> Self {
            LayerMetrics
        }
        pub(crate) fn register() -> Self {
            LayerMetrics
        }
        pub(crate) fn request(&self, _: Outcome) {}
        pub(crate) fn refusal(&self, _: AuthErrorCode) {}
        pub(crate) fn verification(&self, _: Duration) {}
    }
    #[cfg_attr(not(feature = "oidc"), allow(dead_code))]
    pub(crate) fn jwks_fetch(_: bool, _: Option<usize>) {}
    #[cfg_attr(not(feature = "oidc"), allow(dead_code))]
    pub(crate) fn jwks_cooldown_refusal() {}
    #[cfg_attr(not(feature = "jwt"), allow(dead_code))]
    pub(crate) fn cache(_: Cache, _: bool) {}
    #[cfg_attr(not(feature = "jwt"), allow(dead_code))]
    pub(crate) fn cache_eviction(_: Cache) {}
    pub(crate) fn token_fetch(_: bool) {}
    pub(crate) fn token_refresh(_: bool) {}
    pub(crate) fn drain(_: bool) {}
}

pub(crate) use imp::*;

/// Whether verifications are timed: only with the feature (a clock read
/// costs more than the no-op it would feed).
pub(crate) const TIMED: bool = cfg!(feature = "metrics");
