//! The same failure over HTTP: the `WWW-Authenticate` challenge (always),
//! the AIP-193 JSON body (feature `json`), `IntoResponse` (feature `axum`) and
//! serde for the code (feature `serde`).

#[cfg(feature = "axum")]
mod axum;
#[cfg(feature = "json")]
pub(crate) mod body;
mod challenge;
#[cfg(feature = "json")]
pub(crate) mod json;
#[cfg(feature = "utoipa")]
pub(crate) mod openapi;
pub(crate) mod response;
#[cfg(feature = "serde")]
mod serde;

#[cfg(feature = "json")]
pub use json::JsonError;

/// The canonical name of a gRPC code (`"UNAUTHENTICATED"`), as
/// `google.rpc.Code` spells it and as AIP-193 puts it in the HTTP error
/// body's `status`.
///
/// ```
/// use auth_error::grpc_status_name;
/// assert_eq!(grpc_status_name(tonic::Code::PermissionDenied), "PERMISSION_DENIED");
/// ```
pub fn grpc_status_name(code: tonic::Code) -> &'static str {
    use tonic::Code;
    match code {
        Code::Ok => "OK",
        Code::Cancelled => "CANCELLED",
        Code::Unknown => "UNKNOWN",
        Code::InvalidArgument => "INVALID_ARGUMENT",
        Code::DeadlineExceeded => "DEADLINE_EXCEEDED",
        Code::NotFound => "NOT_FOUND",
        Code::AlreadyExists => "ALREADY_EXISTS",
        Code::PermissionDenied => "PERMISSION_DENIED",
        Code::ResourceExhausted => "RESOURCE_EXHAUSTED",
        Code::FailedPrecondition => "FAILED_PRECONDITION",
        Code::Aborted => "ABORTED",
        Code::OutOfRange => "OUT_OF_RANGE",
        Code::Unimplemented => "UNIMPLEMENTED",
        Code::Internal => "INTERNAL",
        Code::Unavailable => "UNAVAILABLE",
        Code::DataLoss => "DATA_LOSS",
        Code::Unauthenticated => "UNAUTHENTICATED",
    }
}
