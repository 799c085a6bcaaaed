//! [`Options`]: what a `CredentialsLayer` was built with, shared by its
//! services and read by the token cache and the transport rule.

use std::sync::Arc;
use std::time::Duration;

#[derive(Clone, Debug)]
pub(super) struct Options {
    /// The channel's endpoint, for requests whose URI has no scheme (tonic's
    /// `Channel` adds it below this layer).
    pub(super) endpoint: Option<http::Uri>,
    pub(super) allow_plaintext: bool,
    pub(super) margin: Duration,
    pub(super) max_replay: usize,
    pub(super) bare_unauthenticated: bool,
    pub(super) backoff_min: Duration,
    pub(super) backoff_max: Duration,
    /// DPoP: the key every call's proof is signed with.
    #[cfg(feature = "sender-constrained")]
    pub(super) dpop: Option<crate::client::DpopKey>,
}

impl Options {
    /// The authorization scheme: `DPoP` with a DPoP key, else `Bearer`.
    pub(super) fn scheme(&self) -> &'static str {
        #[cfg(feature = "sender-constrained")]
        if self.dpop.is_some() {
            return "DPoP";
        }
        "Bearer"
    }

    /// With a DPoP key, the hash of `token` each proof carries (`ath`).
    pub(super) fn dpop_ath(&self, token: &str) -> Option<Arc<str>> {
        #[cfg(feature = "sender-constrained")]
        if self.dpop.is_some() {
            return Some(crate::jose::sha256_b64(token.as_bytes()).into());
        }
        let _ = token;
        None
    }
}
