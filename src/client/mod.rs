//! Client side: [`CredentialsLayer`], a tower layer around a tonic
//! `Channel` that attaches the bearer token to every call, fetches a new
//! one ahead of expiry, and — when a call is refused with a rich
//! `TOKEN_EXPIRED` (client action `refresh_credentials`), and only then —
//! fetches a new token once and sends the same request once more.
//!
//! No gRPC stack does this for its users: tonic interceptors are
//! synchronous and `tower::retry` cannot replay tonic requests (their
//! bodies are not `Clone`). This layer keeps a request body that was
//! complete when the call was made and within a bound (64 KiB: every
//! unary call), so it can send it twice; streaming and larger bodies pass
//! through and are never replayed.
//!
//! - **Single flight**: any number of calls refused for the same stale
//!   token cause exactly one fetch; the others reuse its result.
//! - **One retry**: a second refusal is returned as is.
//! - **Nothing else is retried** (an opt-in treats a bare
//!   `UNAUTHENTICATED` without details the same way, for peers that do not
//!   send the reason).
//! - **A failed fetch** ends the call with the server's refusal (or, when
//!   no token could ever be had, `UNAUTHENTICATED` saying so), the fetch
//!   error as its `source`; the next call tries again, after a backoff
//!   (1 s doubling to 60 s) so a down token endpoint is not hammered.
//! - The token is sent as a sensitive header (never indexed by HPACK),
//!   cached and shared by every clone; `Debug` never shows it.
//!
//! Put [`StatusDetailsGuardLayer`](crate::guard::StatusDetailsGuardLayer)
//! outside it (`ServiceBuilder::new().layer(guard).layer(credentials)`):
//! the guard then sees the final response; the credentials layer repairs
//! the refusals it reads itself, so the order is safe either way.
//!
//! ```no_run
//! use auth_error::client::{AccessToken, BoxError, CredentialsLayer, TokenSource};
//! use auth_error::guard::StatusDetailsGuardLayer;
//! use std::time::Duration;
//! use tower::ServiceBuilder;
//!
//! struct Idp;
//! impl TokenSource for Idp {
//!     async fn fetch(&self) -> Result<AccessToken, BoxError> {
//!         // An OAuth client-credentials exchange, a metadata server, …
//!         Ok(AccessToken::new("eyJ…").with_expires_in(Duration::from_secs(3600)))
//!     }
//! }
//! # async fn run() -> Result<(), Box<dyn std::error::Error>> {
//! let endpoint = tonic::transport::Endpoint::from_static("https://orders.example.com");
//! let channel = endpoint.connect().await?;
//! let channel = ServiceBuilder::new()
//!     .layer(StatusDetailsGuardLayer::default())
//!     .layer(CredentialsLayer::new(Idp).with_endpoint(endpoint.uri().clone()))
//!     .service(channel);
//! let mut client = tonic_health::pb::health_client::HealthClient::new(channel);
//! # let _ = &mut client; Ok(()) }
//! ```

mod credentials;
#[cfg(feature = "sender-constrained")]
mod dpop;

pub use credentials::{
    AccessToken, BoxError, Credentials, CredentialsLayer, FetchError, InsecureTransport,
    TokenSource,
};
#[cfg(feature = "sender-constrained")]
pub use dpop::{DpopKey, DpopKeyError};
