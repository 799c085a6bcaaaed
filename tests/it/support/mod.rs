//! Helpers shared by the tests (one copy each).
#![allow(dead_code, unreachable_pub)]

pub mod common;
pub mod decode_checks;
pub mod differential;
pub mod http_json;
pub mod jwt_server;
pub mod key_server;
pub mod oidc_provider;
pub mod python;
