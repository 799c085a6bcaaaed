//! The token a source hands over, and when to refresh it.

use std::fmt;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

// tokio's clock (std's outside tests), so tests can pause and advance it.
use tokio::time::Instant;

use http::HeaderValue;

use crate::BoxError;
use crate::time::saturating_add;

/// An access token and, if known, when it expires. `Debug` never shows the
/// token.
#[derive(Clone)]
pub struct AccessToken {
    pub(super) value: String,
    pub(super) expires_at: Option<SystemTime>,
}

impl AccessToken {
    /// A token (the credential after `Bearer `).
    pub fn new(value: impl Into<String>) -> Self {
        AccessToken {
            value: value.into(),
            expires_at: None,
        }
    }

    /// When the token expires: the layer fetches a new one ahead of it.
    #[must_use]
    pub fn with_expiry(mut self, at: SystemTime) -> Self {
        self.expires_at = Some(at);
        self
    }

    /// The token expires `lifetime` from now (an OAuth `expires_in`). A
    /// lifetime past what the clock can represent saturates (the token is
    /// then treated as long-lived), never panics.
    #[must_use]
    pub fn with_expires_in(self, lifetime: Duration) -> Self {
        let now = SystemTime::now();
        self.with_expiry(saturating_add(now, lifetime, SystemTime::checked_add))
    }

    /// The token.
    pub fn secret(&self) -> &str {
        &self.value
    }

    /// When it expires, if known.
    pub fn expiry(&self) -> Option<SystemTime> {
        self.expires_at
    }
}

impl fmt::Debug for AccessToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AccessToken")
            .field("value", &"<redacted>")
            .field("expires_at", &self.expires_at)
            .finish()
    }
}

/// The token in use: its header value and its generation (which fetch).
#[derive(Clone)]
pub(super) struct CurrentToken {
    pub(super) header: HeaderValue,
    /// With DPoP: the token's hash, each proof's `ath`.
    #[cfg_attr(not(feature = "sender-constrained"), allow(dead_code))]
    pub(super) ath: Option<std::sync::Arc<str>>,
    /// When to fetch ahead of expiry (see [`refresh_at`]).
    pub(super) refresh_at: Option<Instant>,
    /// When the token expires: until then, a failed early fetch keeps it.
    pub(super) expires_at: Option<Instant>,
    pub(super) generation: u64,
}

/// When to fetch ahead of an expiry `left` from `now`: `margin` before it,
/// but never earlier than half of what is left, so a token whose lifetime is
/// shorter than the margin is not fetched again on every call.
pub(super) fn refresh_at(now: Instant, left: Duration, margin: Duration) -> Instant {
    let ahead = left.saturating_sub(margin).max(left / 2);
    saturating_add(now, ahead, Instant::checked_add)
}

#[derive(Default)]
pub(super) struct Backoff {
    pub(super) failures: u32,
    pub(super) until: Option<Instant>,
    pub(super) last_error: Option<Arc<BoxError>>,
}

/// Why a call ended without reaching the server with a token, or why a
/// refresh failed: the source of the returned `Status`.
#[derive(Debug)]
pub struct FetchError {
    pub(super) error: Arc<BoxError>,
    pub(super) backing_off: bool,
}

impl fmt::Display for FetchError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.backing_off {
            write!(
                f,
                "token fetch failed recently, backing off: {}",
                self.error
            )
        } else {
            write!(f, "token fetch failed: {}", self.error)
        }
    }
}

impl std::error::Error for FetchError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        Some(self.error.as_ref().as_ref())
    }
}
