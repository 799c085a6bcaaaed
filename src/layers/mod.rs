//! The tower layers. Each file is one layer; `lib.rs` publishes them under
//! the side they run on: [`crate::server`] (drain) and [`crate::guard`] (the
//! client's header guard).

pub(crate) mod bearer;
#[cfg(feature = "grpc-web")]
pub(crate) mod cors;
pub(crate) mod credentials;
pub(crate) mod details_guard;
pub(crate) mod drain;
