//! Tests of `auth_error::server` and what it builds on.

mod bearer_auth;
mod bypass;
mod dpop;
mod drain_bounds;
mod drain_rejected;
mod grpc_web;
mod layer_exits;
mod load;
mod loopback;
mod mtls;
mod prometheus;
mod routes;
mod step_up;
mod verify_now;
