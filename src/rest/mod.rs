//! The REST contract (feature `json`): the AIP-193 error body as types
//! ([`AuthErrorResponse`], produced by
//! [`AuthError::to_http_body`](crate::AuthError::to_http_body) and read by
//! [`AuthError::from_http_body`](crate::AuthError::from_http_body)), and,
//! with feature `utoipa`, their `utoipa::ToSchema` impls,
//! `utoipa::IntoResponses` for [`AuthError`](crate::AuthError) and
//! `openapi()`, the OpenAPI 3.1 document committed as
//! `openapi/auth-error.yaml`.
//!
//! Deserialization is as tolerant as proto3 JSON: absent fields take
//! their defaults, unknown fields are ignored, and a detail that does not
//! fit its `@type` stays [`BodyDetail::Other`], unchanged.
//!
//! ```
//! use auth_error::rest::{AuthErrorResponse, BodyDetail};
//! use auth_error::{AuthError, AuthErrorCode};
//!
//! let bytes = AuthError::new(AuthErrorCode::AccountLocked)
//!     .with_retry_after(std::time::Duration::from_secs(900))
//!     .to_http_json();
//! let body: AuthErrorResponse = serde_json::from_slice(&bytes).unwrap();
//! assert!(matches!(&body.error.details[1], BodyDetail::RetryInfo(r) if r.retry_delay.unwrap().seconds == 900));
//! ```

mod body;
mod json;
#[cfg(feature = "utoipa")]
mod openapi;

pub use body::{
    AuthErrorInfo, AuthErrorResponse, BodyDetail, ErrorBody, ErrorInfo, Help, HelpLink,
    LocalizedMessage, RetryInfo,
};
pub use json::JsonError;
#[cfg(feature = "utoipa")]
pub use openapi::openapi;
