//! The layer's own DPoP nonces (RFC 9449 §8), stateless: a nonce is a time
//! step and a MAC over it, so checking one needs no memory of the nonces
//! handed out, and instances sharing the secret accept each other's.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use aws_lc_rs::hmac;
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;

/// The MAC bytes kept in a nonce (128 bits).
const TAG_LEN: usize = 16;

pub(super) struct Nonces {
    key: hmac::Key,
    /// How long one nonce is issued for; a nonce is accepted in its own
    /// step and the next one.
    period: Duration,
}

impl Nonces {
    pub(super) fn new(secret: &[u8], period: Duration) -> Self {
        Nonces {
            key: hmac::Key::new(hmac::HMAC_SHA256, secret),
            period: period.max(Duration::from_secs(1)),
        }
    }

    fn step(&self, now: SystemTime) -> u64 {
        let secs = now
            .duration_since(UNIX_EPOCH)
            .unwrap_or(Duration::ZERO)
            .as_secs();
        secs / self.period.as_secs().max(1)
    }

    fn tag(&self, step: u64) -> [u8; TAG_LEN] {
        let mac = hmac::sign(&self.key, &step.to_be_bytes());
        let mut tag = [0u8; TAG_LEN];
        tag.copy_from_slice(&mac.as_ref()[..TAG_LEN]);
        tag
    }

    /// The nonce to hand out at `now`: base64url of the step and its MAC.
    pub(super) fn current(&self, now: SystemTime) -> String {
        let step = self.step(now);
        let mut bytes = [0u8; 8 + TAG_LEN];
        bytes[..8].copy_from_slice(&step.to_be_bytes());
        bytes[8..].copy_from_slice(&self.tag(step));
        URL_SAFE_NO_PAD.encode(bytes)
    }

    /// Whether `nonce` was handed out by this secret in the current step
    /// or the one before (compared in constant time).
    pub(super) fn accepts(&self, nonce: &str, now: SystemTime) -> bool {
        let mut bytes = [0u8; 8 + TAG_LEN];
        match URL_SAFE_NO_PAD.decode_slice(nonce.as_bytes(), &mut bytes) {
            Ok(n) if n == bytes.len() && nonce.len() == 32 => {}
            _ => return false,
        }
        let mut step_bytes = [0u8; 8];
        step_bytes.copy_from_slice(&bytes[..8]);
        let step = u64::from_be_bytes(step_bytes);
        let current = self.step(now);
        if step != current && step.checked_add(1) != Some(current) {
            return false;
        }
        aws_lc_rs::constant_time::verify_slices_are_equal(&bytes[8..], &self.tag(step)).is_ok()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_nonce_lives_two_steps_and_only_under_its_secret() {
        let nonces = Nonces::new(&[7; 32], Duration::from_secs(60));
        let t0 = UNIX_EPOCH + Duration::from_secs(6_000);
        let nonce = nonces.current(t0);
        assert_eq!(nonce.len(), 32);
        assert!(nonces.accepts(&nonce, t0));
        assert!(nonces.accepts(&nonce, t0 + Duration::from_secs(60)));
        assert!(!nonces.accepts(&nonce, t0 + Duration::from_secs(120)));
        assert!(!nonces.accepts(&nonce, t0 - Duration::from_secs(60)));
        let other = Nonces::new(&[8; 32], Duration::from_secs(60));
        assert!(!other.accepts(&nonce, t0));
        assert!(!nonces.accepts("", t0));
        assert!(!nonces.accepts(&"A".repeat(10_000), t0));
        let mut forged = nonce.into_bytes();
        forged[31] = if forged[31] == b'A' { b'B' } else { b'A' };
        assert!(!nonces.accepts(std::str::from_utf8(&forged).unwrap(), t0));
    }
}
