//! The wire form: a `google.rpc.Status` holding one `google.rpc.ErrorInfo`
//! (and any extra details) as `google.protobuf.Any`, written and read
//! directly as protobuf bytes.
//!
//! Writing by hand lets attach size one buffer exactly and fill it once;
//! reading by hand lets [`auth_error_code`](crate::AuthStatusExt::auth_error_code)
//! find the reason without allocating. The bytes are identical to what prost
//! writes for the same messages (metadata in key order); the test vectors and
//! `tests/it/wire/wire_format.rs` hold both to that.

pub(crate) mod decode;
pub(crate) mod encode;

/// Type URL of `google.rpc.ErrorInfo` inside a `google.protobuf.Any`.
pub(crate) const ERROR_INFO_TYPE_URL: &str = "type.googleapis.com/google.rpc.ErrorInfo";
