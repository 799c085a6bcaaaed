//! [`RedisReplayCache`]: the replay cache shared by every instance of a
//! service, on Redis (feature `redis`).

use std::fmt;
use std::time::Duration;

use redis::aio::{ConnectionManager, ConnectionManagerConfig};

use super::replay::{ReplayCache, ReplayFuture};
use crate::BoxError;

/// A [`ReplayCache`] on Redis, for a service whose instances sit behind one
/// load balancer: a proof accepted by one instance is refused by all.
/// Each record is one atomic `SET <prefix><id> 1 NX PX <ttl>` (set if absent,
/// with the proof's window as its expiry): no read-then-write race, and
/// Redis forgets a proof when it could no longer be accepted anyway.
///
/// Redis unreachable, slow (past [`with_timeout`](Self::with_timeout),
/// 1 s by default) or answering an error: the layer answers `UNAVAILABLE`,
/// never serves a proof it could not record. The connection is made at
/// first use and re-made after a failure.
///
/// ```no_run
/// use auth_error::server::{Dpop, RedisReplayCache};
/// let dpop = Dpop::required().with_replay_cache(RedisReplayCache::new("redis://10.0.0.5:6379/")?);
/// # drop(dpop);
/// # Ok::<(), auth_error::BoxError>(())
/// ```
pub struct RedisReplayCache {
    client: redis::Client,
    prefix: String,
    timeout: Duration,
    connection: tokio::sync::Mutex<Option<ConnectionManager>>,
}

impl RedisReplayCache {
    /// The default key prefix.
    pub const DEFAULT_PREFIX: &'static str = "auth-error:dpop:";

    /// The default time a record may take: 1 s.
    pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(1);

    /// A cache on the Redis server at `url` (`redis://host:port/db`, or
    /// `rediss://` over TLS); nothing is connected yet. An error when the
    /// URL cannot be parsed (it is not shown: it may hold a password).
    pub fn new(url: &str) -> Result<Self, BoxError> {
        let client = redis::Client::open(url)
            .map_err(|_| -> BoxError { "the Redis URL of the replay cache is not valid".into() })?;
        Ok(RedisReplayCache {
            client,
            prefix: Self::DEFAULT_PREFIX.to_owned(),
            timeout: Self::DEFAULT_TIMEOUT,
            connection: tokio::sync::Mutex::new(None),
        })
    }

    /// The prefix of the keys (default [`DEFAULT_PREFIX`](Self::DEFAULT_PREFIX)):
    /// services sharing a Redis but not their proofs use their own.
    #[must_use]
    pub fn with_prefix(mut self, prefix: impl Into<String>) -> Self {
        self.prefix = prefix.into();
        self
    }

    /// How long connecting and one record may take before the request is
    /// answered `UNAVAILABLE` (default [`DEFAULT_TIMEOUT`](Self::DEFAULT_TIMEOUT)).
    #[must_use]
    pub fn with_timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    async fn connection(&self) -> Result<ConnectionManager, BoxError> {
        let mut held = self.connection.lock().await;
        if let Some(connection) = held.as_ref() {
            return Ok(connection.clone());
        }
        let config = ConnectionManagerConfig::new()
            .set_connection_timeout(self.timeout)
            .set_response_timeout(self.timeout)
            .set_number_of_retries(1);
        let connection = self
            .client
            .get_connection_manager_with_config(config)
            .await
            .map_err(|e| -> BoxError {
                format!(
                    "the replay cache's Redis cannot be reached: {}",
                    e.kind_label()
                )
                .into()
            })?;
        *held = Some(connection.clone());
        Ok(connection)
    }

    async fn record_id(&self, id: [u8; 32], ttl: Duration) -> Result<bool, BoxError> {
        let mut key = String::with_capacity(self.prefix.len() + 64);
        key.push_str(&self.prefix);
        for b in id {
            use std::fmt::Write as _;
            let _ = write!(key, "{b:02x}");
        }
        let millis = u64::try_from(ttl.as_millis()).unwrap_or(u64::MAX).max(1);
        let attempt = async {
            let mut connection = self.connection().await?;
            let set: Option<String> = redis::cmd("SET")
                .arg(&key)
                .arg(1)
                .arg("NX")
                .arg("PX")
                .arg(millis)
                .query_async(&mut connection)
                .await
                .map_err(|e| -> BoxError {
                    format!("the replay cache's Redis failed: {}", e.kind_label()).into()
                })?;
            Ok::<_, BoxError>(set.is_some())
        };
        match tokio::time::timeout(self.timeout, attempt).await {
            Ok(Ok(fresh)) => Ok(fresh),
            Ok(Err(err)) => {
                // A new connection next time.
                *self.connection.lock().await = None;
                Err(err)
            }
            Err(_) => {
                *self.connection.lock().await = None;
                Err("the replay cache's Redis did not answer in time".into())
            }
        }
    }
}

/// The kind of a Redis error, without its text (which may quote a URL).
trait KindLabel {
    fn kind_label(&self) -> String;
}

impl KindLabel for redis::RedisError {
    fn kind_label(&self) -> String {
        format!("{:?}", self.kind())
    }
}

impl ReplayCache for RedisReplayCache {
    fn record(&self, id: [u8; 32], ttl: Duration) -> ReplayFuture<'_> {
        Box::pin(self.record_id(id, ttl))
    }
}

impl fmt::Debug for RedisReplayCache {
    /// The prefix and timeout; never the URL (it may hold a password).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RedisReplayCache")
            .field("prefix", &self.prefix)
            .field("timeout", &self.timeout)
            .finish_non_exhaustive()
    }
}
