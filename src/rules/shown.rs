//! What an error shows: `Debug` prints what the lenient exit would send,
//! through that exit's own code path ([`sanitize`](super::sanitize) applied
//! to a copy), so no second list of rules can drift from the first.

use std::fmt;

use crate::AuthError;
use crate::error::Metadata;

impl fmt::Debug for AuthError {
    /// What the lenient exit would send: an invalid domain shows as
    /// [`DOMAIN`](crate::DOMAIN), a refused message as the code's
    /// description, and metadata entries or extra details the rules leave out
    /// (secret keys, invalid keys, credential-looking values and texts, what
    /// does not fit the size bound) are counted, never printed. A refused
    /// builder input is named by its key only.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        struct Shown<'a>(Metadata<'a>);
        impl fmt::Debug for Shown<'_> {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.debug_map().entries(self.0.iter()).finish()
            }
        }
        let mut shown = self.clone();
        super::sanitize(&mut shown);
        let left_out = |all: usize, kept: usize| all.saturating_sub(kept);
        let redacted_metadata = left_out(self.metadata().len(), shown.metadata().len());
        let redacted_details = left_out(self.details().len(), shown.details().len());
        let mut s = f.debug_struct("AuthError");
        s.field("code", &shown.code())
            .field("message", &shown.message())
            .field("domain", &shown.domain())
            .field("metadata", &Shown(shown.metadata()));
        if redacted_metadata > 0 {
            s.field("redacted_metadata", &redacted_metadata);
        }
        s.field("details", &shown.details().len());
        if redacted_details > 0 {
            s.field("redacted_details", &redacted_details);
        }
        if let Some(pending) = self.pending() {
            s.field("pending", pending);
        }
        s.finish()
    }
}
