//! Server side: [`BearerAuthLayer`], which verifies the bearer token of
//! every request in one async layer and rejects with the right reason
//! (with a [`TokenVerifier`] such as
//! `auth_error::jwt::JwtVerifier` under feature `jwt`), and
//! [`DrainRejectedLayer`], which keeps rejections from tearing down HTTP/2
//! connections (`BearerAuthLayer` drains the requests it refuses by itself;
//! this layer is for the refusals of the services behind it).
//!
//! # `BearerAuthLayer`
//!
//! | request | answer |
//! |---|---|
//! | path allowed with `add_public_route` | served, no token needed |
//! | no `authorization` | `BEARER_TOKEN_MISSING` |
//! | not `Bearer <b64token>` (RFC 6750; scheme in any case), or two headers | `AUTH_FAILED_INVALID_BEARER_TOKEN` |
//! | the verifier's [`Rejection::Auth`] | that error |
//! | a token bound to a key or certificate (`cnf`, see [`Confirmation`]) without its DPoP proof or client certificate, or under `Bearer` | `TOKEN_BINDING_MISMATCH` (with or without [`BearerAuthBuilder::with_dpop`]) |
//! | with [`BearerAuthBuilder::with_dpop`]: a missing, invalid, replayed or stale DPoP proof; a proof without the layer's nonce | `DPOP_PROOF_INVALID`; `DPOP_NONCE_REQUIRED` with the nonce in `DPoP-Nonce` (see [`Dpop`]) |
//! | the verifier's [`Rejection::Fault`] | `INTERNAL` / 500, no auth reason; a `tracing` error event and the `with_fault_hook` hook |
//! | a scope required by a matching `add_required_scopes` rule is not granted | `INVALID_SCOPE` with `requiredScopes` and `providedScopes` |
//! | the token's `acr` is none of a matching `add_required_acr` rule's (RFC 9470 step-up) | `MULTI_FACTOR_REQUIRED` with `acrValues` (and `maxAge` when the login is also too old); HTTP 401 `error="insufficient_user_authentication"` |
//! | the token's `auth_time` is older than a matching `add_max_auth_age` rule allows, or missing | `SESSION_EXPIRED` with `maxAge`; HTTP 401 `error="insufficient_user_authentication"` |
//! | otherwise | served; [`Verified`] claims in the request's extensions |
//!
//! gRPC requests (`content-type: application/grpc…`) are refused with a
//! trailers-only response carrying exactly what
//! [`try_into_status`](crate::AuthError::try_into_status) produces (the
//! lenient conversion if the verifier's error breaks a rule); other HTTP
//! requests with the status code, `WWW-Authenticate`, `Retry-After` and,
//! with feature `json`, the AIP-193 body.
//!
//! # `DrainRejectedLayer`: why
//!
//! When a tonic interceptor rejects a call, tonic drops the request body
//! unread; h2 then resets the stream (RST_STREAM NO_ERROR), and request DATA
//! that the client had already sent arrives after the reset. h2 (0.4) charges
//! each such small DATA frame to a per-connection budget and never refunds it,
//! so after a few thousand early rejections on one connection the server
//! sends GOAWAY(ENHANCE_YOUR_CALM, "too_many_data_frames") and every call in
//! flight on it fails, accepted ones included (the figures, and how to
//! reproduce them: `docs/reliability.md` in the repository).
//!
//! The layer keeps a request body that the service drops before its end and
//! reads the rest — at once if the client has already sent it (the usual case
//! for a small unary request), otherwise in a spawned task — so the stream
//! ends normally and no DATA frame arrives on a reset stream. Draining is bounded in bytes, time and
//! concurrency; past a bound the body is dropped as before. The response is
//! never delayed: draining starts when the body is dropped and runs beside it.
//!
//! ```no_run
//! use auth_error::server::DrainRejectedLayer;
//! # async fn run(svc: tonic_health::pb::health_server::HealthServer<impl tonic_health::pb::health_server::Health>) -> Result<(), Box<dyn std::error::Error>> {
//! tonic::transport::Server::builder()
//!     .layer(DrainRejectedLayer::default())
//!     .add_service(svc)
//!     .serve("127.0.0.1:50051".parse()?)
//!     .await?;
//! # Ok(()) }
//! ```

mod bearer;
mod client_certificate;
#[cfg(feature = "grpc-web")]
mod cors;
#[cfg(feature = "sender-constrained")]
pub(crate) mod dpop;
mod drain;
#[cfg(feature = "json")]
mod resource_metadata;

pub use bearer::{
    BearerAuth, BearerAuthBody, BearerAuthBuilder, BearerAuthFuture, BearerAuthLayer, ConfigError,
    Confirmation, Rejection, Route, TokenVerifier, Verified,
};
pub use client_certificate::ClientCertificate;
#[cfg(feature = "grpc-web")]
pub use cors::{GRPC_WEB_CORS_MAX_AGE, grpc_web_cors};
#[cfg(feature = "redis")]
pub use dpop::RedisReplayCache;
#[cfg(feature = "sender-constrained")]
pub use dpop::{Dpop, MemoryReplayCache, ReplayCache, ReplayFuture};
pub use drain::{DrainRejected, DrainRejectedLayer};
#[cfg(feature = "json")]
pub use resource_metadata::ProtectedResourceMetadata;
