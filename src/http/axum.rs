//! axum integration (feature `axum`): an [`AuthError`] is a response.

use axum::response::{IntoResponse, Response};
use http::{HeaderValue, StatusCode, header};

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
        if !self.code().is_error() {
            let body = serde_json::json!({
                "error": { "code": 500, "message": self.message(), "status": "UNKNOWN" }
            });
            return (StatusCode::INTERNAL_SERVER_ERROR, axum::Json(body)).into_response();
        }
        let mut response = (self.http_status(), axum::Json(self.to_http_json())).into_response();
        let headers = response.headers_mut();
        if let Some(challenge) = self.www_authenticate(None) {
            headers.insert(header::WWW_AUTHENTICATE, challenge);
        }
        if let Some(delay) = self.retry_after() {
            let secs = delay.as_secs() + u64::from(delay.subsec_nanos() > 0);
            headers.insert(header::RETRY_AFTER, HeaderValue::from(secs));
        }
        response
    }
}
