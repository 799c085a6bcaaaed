//! The current token, shared by every clone of the service: fetched once for
//! any number of concurrent callers (single flight), refreshed ahead of
//! expiry, with back-off after a failed fetch.

use std::sync::{Arc, Mutex};
use std::time::SystemTime;

// tokio's clock (std's outside tests), so tests can pause and advance it.
use tokio::time::Instant;

use http::HeaderValue;

use super::options::Options;
use super::token::{Backoff, CurrentToken, refresh_at};
use crate::BoxError;
use crate::client::{FetchError, TokenSource};
use crate::time::saturating_add;

/// The token cache, shared by every clone of the layer and its services.
pub(super) struct TokenCache<T> {
    pub(super) source: T,
    pub(super) current: Mutex<Option<CurrentToken>>,
    /// Held while fetching: every caller that needs a new token waits here,
    /// so a burst of refusals causes one fetch.
    pub(super) fetching: tokio::sync::Mutex<Backoff>,
    /// The server's last DPoP nonce (RFC 9449 §8), for the next proofs.
    #[cfg_attr(not(feature = "sender-constrained"), allow(dead_code))]
    pub(super) nonce: Mutex<Option<String>>,
}

impl<T: TokenSource> TokenCache<T> {
    /// The token to send: the current one while it is fresh, else a new one.
    pub(super) async fn token(&self, options: &Options) -> Result<CurrentToken, FetchError> {
        if let Some(current) = self.fresh() {
            return Ok(current);
        }
        let mut backoff = self.fetching.lock().await;
        // Someone may have fetched while we waited.
        if let Some(current) = self.fresh() {
            return Ok(current);
        }
        if self.current().is_some() {
            crate::observe::token_refresh(false);
        }
        match self.fetch(&mut backoff, options).await {
            Ok(current) => Ok(current),
            // An early refresh failed: the token in hand is still valid, so
            // the call goes out with it (the next call tries again, backoff
            // permitting).
            Err(error) => self.unexpired().ok_or(error),
        }
    }

    /// A new token after the server refused generation `stale`; one fetch
    /// for any number of calls refused for the same token.
    pub(super) async fn refresh(
        &self,
        stale: u64,
        options: &Options,
    ) -> Result<CurrentToken, FetchError> {
        let mut backoff = self.fetching.lock().await;
        if let Some(current) = self.current()
            && current.generation != stale
        {
            return Ok(current);
        }
        crate::observe::token_refresh(true);
        self.fetch(&mut backoff, options).await
    }

    pub(super) fn current(&self) -> Option<CurrentToken> {
        self.current.lock().ok()?.clone()
    }

    pub(super) fn unexpired(&self) -> Option<CurrentToken> {
        self.current()
            .filter(|c| c.expires_at.is_none_or(|at| Instant::now() < at))
    }

    pub(super) fn fresh(&self) -> Option<CurrentToken> {
        self.current()
            .filter(|c| c.refresh_at.is_none_or(|at| Instant::now() < at))
    }

    /// Records a failed fetch: the next one waits `backoff_min`, doubling.
    pub(super) fn failed(
        &self,
        backoff: &mut Backoff,
        options: &Options,
        error: BoxError,
    ) -> FetchError {
        let error = Arc::new(error);
        backoff.failures = backoff.failures.saturating_add(1);
        let factor = 1u32 << backoff.failures.min(16).saturating_sub(1);
        let delay = options
            .backoff_min
            .saturating_mul(factor)
            .min(options.backoff_max);
        backoff.until = Some(saturating_add(Instant::now(), delay, Instant::checked_add));
        backoff.last_error = Some(error.clone());
        FetchError {
            error,
            backing_off: false,
        }
    }

    async fn fetch(
        &self,
        backoff: &mut Backoff,
        options: &Options,
    ) -> Result<CurrentToken, FetchError> {
        if let (Some(until), Some(error)) = (backoff.until, &backoff.last_error)
            && Instant::now() < until
        {
            return Err(FetchError {
                error: error.clone(),
                backing_off: true,
            });
        }
        let token = match self.source.fetch().await {
            Ok(token) => token,
            Err(error) => {
                crate::observe::token_fetch(false);
                return Err(self.failed(backoff, options, error));
            }
        };
        // A token read from a file often ends in a newline: trimmed. What is
        // still not a b64token counts as a failed fetch (backed off), so a
        // bad token is reported, not fetched again on every call.
        let value = token.value.trim_matches(|c: char| c.is_ascii_whitespace());
        let header = (!value.is_empty()
            && value.bytes().all(|b| {
                b.is_ascii_alphanumeric()
                    || matches!(b, b'-' | b'.' | b'_' | b'~' | b'+' | b'/' | b'=')
            }))
        .then(|| HeaderValue::try_from(format!("{} {value}", options.scheme())).ok())
        .flatten();
        let Some(mut header) = header else {
            let error: BoxError =
                "the token source returned a token that is empty or not a b64token (RFC 6750)"
                    .into();
            return Err(self.failed(backoff, options, error));
        };
        *backoff = Backoff::default();
        crate::observe::token_fetch(true);
        // Never indexed by HPACK (RFC 7541 §7.1.3).
        header.set_sensitive(true);
        let now = Instant::now();
        let left = token
            .expires_at
            .map(|at| at.duration_since(SystemTime::now()).unwrap_or_default());
        let refresh_at = left.map(|left| refresh_at(now, left, options.margin));
        let expires_at = left.map(|left| saturating_add(now, left, Instant::checked_add));
        let mut current = self.current.lock().map_err(|_| FetchError {
            error: Arc::new("token cache poisoned".into()),
            backing_off: false,
        })?;
        let generation = current.as_ref().map_or(1, |c| c.generation + 1);
        let next = CurrentToken {
            header,
            ath: options.dpop_ath(value),
            refresh_at,
            expires_at,
            generation,
        };
        *current = Some(next.clone());
        Ok(next)
    }
}
