//! [`ReplayCache`]: where the layer records the proofs it accepted, so that
//! each is accepted once; [`MemoryReplayCache`], the default.

use std::collections::HashMap;
use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use crate::BoxError;

/// The future of [`ReplayCache::record`].
pub type ReplayFuture<'a> = Pin<Box<dyn Future<Output = Result<bool, BoxError>> + Send + 'a>>;

/// Remembers the DPoP proofs a resource server accepted, each for as long
/// as it could be accepted (RFC 9449 §11.1), so that a copied proof is
/// refused (`DPOP_PROOF_INVALID`). Several instances of a service behind a
/// load balancer share one (such as `RedisReplayCache`, feature `redis`),
/// or a proof replayed to another instance is accepted there.
///
/// The layer records a proof only after the proof, the token and the
/// binding verified, and the id it records is a SHA-256 of the proof key's
/// thumbprint and the proof's `jti` (32 bytes, whatever the client sent).
pub trait ReplayCache: Send + Sync + 'static {
    /// Records `id` for `ttl`: `Ok(true)` when it was not recorded (the
    /// proof's first use), `Ok(false)` when it was (a replay). Atomic: two
    /// concurrent calls with one id never both get `Ok(true)`. An `Err`
    /// (a store that is down, or full) makes the layer answer
    /// `UNAVAILABLE`: a proof is never accepted unrecorded.
    fn record(&self, id: [u8; 32], ttl: Duration) -> ReplayFuture<'_>;
}

/// One cache shared by several layers (instances of a service in one
/// process, or tests): `Arc<MemoryReplayCache>`.
impl<T: ReplayCache> ReplayCache for std::sync::Arc<T> {
    fn record(&self, id: [u8; 32], ttl: Duration) -> ReplayFuture<'_> {
        (**self).record(id, ttl)
    }
}

/// The in-process [`ReplayCache`]: ids in a map, bounded in entries. When
/// full, it sweeps out the ids whose time has passed (at most once a second,
/// so a flood cannot make every request sweep); if none has, it refuses to
/// record (the layer answers `UNAVAILABLE`) rather than forget an id still
/// inside its window, which would let that proof be replayed.
pub struct MemoryReplayCache {
    capacity: usize,
    state: Mutex<State>,
}

struct State {
    entries: HashMap<[u8; 32], Instant>,
    last_sweep: Option<Instant>,
}

impl MemoryReplayCache {
    /// The default bound: 65,536 proofs (about 4 MiB), a minute's proofs at
    /// over 1,000 requests a second with the default 60 s window.
    pub const DEFAULT_CAPACITY: usize = 65_536;

    /// A cache of at most `capacity` proofs (at least 1).
    pub fn new(capacity: usize) -> Self {
        MemoryReplayCache {
            capacity: capacity.max(1),
            state: Mutex::new(State {
                entries: HashMap::new(),
                last_sweep: None,
            }),
        }
    }

    /// How many proofs are recorded now (expired ones included until swept).
    pub fn len(&self) -> usize {
        self.state.lock().map(|s| s.entries.len()).unwrap_or(0)
    }

    /// Whether no proof is recorded.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    fn record_now(&self, id: [u8; 32], ttl: Duration, now: Instant) -> Result<bool, BoxError> {
        let mut state = self
            .state
            .lock()
            .map_err(|_| "the replay cache's lock is poisoned")?;
        if let Some(until) = state.entries.get(&id) {
            if *until > now {
                return Ok(false);
            }
            state.entries.remove(&id);
        }
        if state.entries.len() >= self.capacity {
            let swept_recently = state
                .last_sweep
                .is_some_and(|at| now.saturating_duration_since(at) < Duration::from_secs(1));
            if !swept_recently {
                state.entries.retain(|_, until| *until > now);
                state.last_sweep = Some(now);
            }
            if state.entries.len() >= self.capacity {
                return Err(
                    "the DPoP replay cache is full of proofs still inside their window".into(),
                );
            }
        }
        let until = now
            .checked_add(ttl)
            .unwrap_or(now + Duration::from_secs(3600));
        state.entries.insert(id, until);
        Ok(true)
    }
}

impl Default for MemoryReplayCache {
    fn default() -> Self {
        MemoryReplayCache::new(Self::DEFAULT_CAPACITY)
    }
}

impl fmt::Debug for MemoryReplayCache {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MemoryReplayCache")
            .field("capacity", &self.capacity)
            .field("len", &self.len())
            .finish()
    }
}

impl ReplayCache for MemoryReplayCache {
    fn record(&self, id: [u8; 32], ttl: Duration) -> ReplayFuture<'_> {
        let recorded = self.record_now(id, ttl, Instant::now());
        Box::pin(std::future::ready(recorded))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_id_is_recorded_once_within_its_window_and_again_after_it() {
        let cache = MemoryReplayCache::new(4);
        let now = Instant::now();
        let ttl = Duration::from_secs(60);
        assert!(cache.record_now([1; 32], ttl, now).unwrap());
        assert!(
            !cache
                .record_now([1; 32], ttl, now + Duration::from_secs(59))
                .unwrap()
        );
        assert!(
            cache
                .record_now([1; 32], ttl, now + Duration::from_secs(61))
                .unwrap()
        );
    }

    #[test]
    fn a_full_cache_refuses_rather_than_forget_a_live_id() {
        let cache = MemoryReplayCache::new(2);
        let now = Instant::now();
        let ttl = Duration::from_secs(60);
        assert!(cache.record_now([1; 32], ttl, now).unwrap());
        assert!(cache.record_now([2; 32], ttl, now).unwrap());
        assert!(cache.record_now([3; 32], ttl, now).is_err());
        // Still refused as replays: nothing was forgotten.
        assert!(!cache.record_now([1; 32], ttl, now).unwrap());
        // Once their window has passed, the sweep makes room.
        let later = now + Duration::from_secs(61);
        assert!(cache.record_now([3; 32], ttl, later).unwrap());
        assert_eq!(cache.len(), 1);
    }
}
