//! [`BearerAuthLayer`]: verifies the bearer token of every request in one
//! async tower layer and rejects with the right reason. One concern a file,
//! in the order they depend on each other (`tests/it/layout.rs` holds it:
//! each file names the siblings it uses, and no two depend on each other):
//!
//! - `verifier.rs`: the contract a verifier implements ([`TokenVerifier`],
//!   [`Verified`], [`Confirmation`], [`Rejection`]);
//! - `route.rs`: which requests a rule covers ([`Route`]);
//! - `protocol.rs`: how a request is answered (gRPC, gRPC-Web, HTTP), the
//!   DPoP header names;
//! - `config.rs`: what a built layer holds (`Config`, its only `impl`
//!   home), and the answers made once;
//! - `decide.rs`: the decision about one request (the token, the proof, the
//!   verifier, the binding, scopes, step-up) and its log event;
//! - `answer.rs`: what a refused request gets, per protocol, and the body;
//! - `layer.rs`: the layer, its builder and the rules `build` refuses
//!   ([`ConfigError`]);
//! - `service.rs`: the service and its future.

mod answer;
mod config;
mod decide;
mod layer;
mod protocol;
mod route;
mod service;
mod verifier;

pub use answer::BearerAuthBody;
pub use layer::{BearerAuthBuilder, BearerAuthLayer, ConfigError};
pub use route::Route;
pub use service::{BearerAuth, BearerAuthFuture};
pub use verifier::{Confirmation, Rejection, TokenVerifier, Verified};

// Each file imports what it uses of its siblings by name (no glob):
// `tests/it/layout.rs` holds the order verifier → route → layer → decide →
// answer → service.
