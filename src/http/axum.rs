//! axum integration (feature `axum`): an [`AuthError`] is a response.

use axum::response::{IntoResponse, Response};

use crate::AuthError;

impl IntoResponse for AuthError {
    /// The HTTP form of the error: the code's HTTP status, the RFC 6750
    /// `WWW-Authenticate` challenge (if the code has one), `Retry-After` in
    /// whole seconds (rounded up) when a retry delay is attached, and the
    /// AIP-193 JSON body.
    ///
    /// `NO_AUTH_ERROR` fails closed as 500 with status `UNKNOWN`, as the
    /// gRPC conversion does: a rejection never looks like success.
    ///
    /// ```
    /// use axum::response::IntoResponse;
    /// use auth_error::{AuthError, AuthErrorCode};
    /// let response = AuthError::new(AuthErrorCode::TokenExpired).into_response();
    /// assert_eq!(response.status(), 401);
    /// assert!(response.headers()["www-authenticate"].to_str().unwrap().contains("invalid_token"));
    /// ```
    fn into_response(self) -> Response {
        super::response::rejection(&self, None, None, None).map(axum::body::Body::from)
    }
}
