#![doc = include_str!("../README.md")]
#![cfg_attr(docsrs, feature(doc_cfg))]

mod action;
#[cfg(feature = "axum")]
mod axum_impl;
mod code;
mod context;
mod error;
mod errors;
pub mod guard;
#[cfg(feature = "json")]
mod json;
mod rest;
mod secret;
#[cfg(feature = "serde")]
mod serde_impl;
pub mod server;
mod status_ext;
mod wire;

/// Generated from `proto/auth/error/v1/auth_error.proto` (package
/// `auth.error.v1`) by prost-build.
#[rustfmt::skip]
#[allow(clippy::all, clippy::pedantic, missing_docs, unreachable_pub)]
pub mod pb {
    include!(concat!(env!("OUT_DIR"), "/auth.error.v1.rs"));
}

pub use action::ClientAction;
pub use code::ParseAuthErrorCodeError;
pub use context::{keys, split_list};
pub use error::{AuthError, MAX_DETAILS_LEN, MAX_DOMAIN_LEN, MAX_METADATA_KEY_LEN};
pub use errors::{AttachError, ExtractError};
#[cfg(feature = "json")]
pub use json::{JsonError, detail_json};
pub use pb::AuthErrorCode;
pub use rest::{BearerChallenge, grpc_status_name};
pub use status_ext::AuthStatusExt;

/// The default `google.rpc.ErrorInfo` domain of this vocabulary (the proto
/// package).
pub const DOMAIN: &str = "auth.error.v1";

mod sealed {
    pub trait Sealed {}
}
