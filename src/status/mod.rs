//! The gRPC exit and entry: attach an [`AuthError`](crate::AuthError) to a
//! `tonic::Status` (`attach.rs`, with [`AttachError`](crate::AttachError) from
//! the rules) and extract it again (`extract.rs`, with [`ExtractError`]).

mod attach;
mod extract;

pub use extract::{AuthStatusExt, ExtractError};
