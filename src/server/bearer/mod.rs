//! [`BearerAuthLayer`]: verifies the bearer token of every request in one
//! async tower layer and rejects with the right reason. One concern a file:
//!
//! - `verifier.rs`: the contract a verifier implements ([`TokenVerifier`],
//!   [`Verified`], [`Rejection`]);
//! - `route.rs`: which requests a rule covers ([`Route`]);
//! - `layer.rs`: the layer, its builder and the rules `build` refuses
//!   ([`ConfigError`]);
//! - `decide.rs`: the decision about one request (the token, the verifier,
//!   scopes, step-up) and its log event;
//! - `answer.rs`: what a refused request gets, per protocol, and the body;
//! - `service.rs`: the service and its future.

mod answer;
mod decide;
mod layer;
mod route;
mod service;
mod verifier;

pub use answer::BearerAuthBody;
pub use layer::{BearerAuthBuilder, BearerAuthLayer, ConfigError};
pub use route::Route;
pub use service::{BearerAuth, BearerAuthFuture};
pub use verifier::{Confirmation, Rejection, TokenVerifier, Verified};

// The pieces see each other through this module (`use super::*`).
use answer::*;
use decide::*;
use layer::*;
use verifier::*;

use crate::BoxError;
