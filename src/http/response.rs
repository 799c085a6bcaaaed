//! The HTTP response of a rejection, built once for every HTTP exit (axum's
//! `IntoResponse`, `BearerAuthLayer` on non-gRPC requests): status code,
//! `WWW-Authenticate`, `Retry-After`, and (feature `json`) the AIP-193 body.

use bytes::Bytes;
use http::{HeaderValue, StatusCode, header};

use crate::AuthError;

/// Status, headers and body of the HTTP rejection for `err`. `NO_AUTH_ERROR`
/// fails closed as 500 with status `UNKNOWN`: a rejection never looks like
/// success.
/// The RFC 9728 `resource_metadata` URL, if given, goes into the challenge
/// of a 401.
pub(crate) fn rejection(
    err: &AuthError,
    realm: Option<&str>,
    resource_metadata: Option<&str>,
    dpop_algs: Option<&str>,
) -> http::Response<Bytes> {
    if !err.code().is_error() {
        return fault(
            StatusCode::INTERNAL_SERVER_ERROR,
            "UNKNOWN",
            err.shown_message(),
        );
    }
    let mut response = http::Response::new(body(err));
    *response.status_mut() = err.http_status();
    let headers = response.headers_mut();
    if cfg!(feature = "json") {
        headers.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/json"),
        );
    }
    let resource_metadata =
        resource_metadata.filter(|_| err.http_status() == StatusCode::UNAUTHORIZED);
    if let Some(challenge) = err.challenge(realm, resource_metadata, dpop_algs) {
        headers.insert(header::WWW_AUTHENTICATE, challenge);
    }
    if let Some(delay) = err.retry_after() {
        let secs = delay.as_secs() + u64::from(delay.subsec_nanos() > 0);
        headers.insert(header::RETRY_AFTER, HeaderValue::from(secs));
    }
    response
}

/// A response that blames no one's credentials: `status` with, under
/// feature `json`, `{"error": {"code", "message", "status"}}`.
pub(crate) fn fault(status: StatusCode, name: &str, message: &str) -> http::Response<Bytes> {
    #[cfg(feature = "json")]
    let body = to_bytes(&crate::rest::AuthErrorResponse::fault(
        status.as_u16(),
        name,
        message,
    ));
    #[cfg(not(feature = "json"))]
    let body = {
        let _ = (name, message);
        Bytes::new()
    };
    let mut response = http::Response::new(body);
    *response.status_mut() = status;
    if cfg!(feature = "json") {
        response.headers_mut().insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/json"),
        );
    }
    response
}

#[cfg(feature = "json")]
fn body(err: &AuthError) -> Bytes {
    to_bytes(&err.to_http_body())
}

/// The body's JSON bytes. Serializing it cannot fail (strings, numbers and
/// in-range durations only); were it to, the body would be empty, not a panic.
#[cfg(feature = "json")]
fn to_bytes(body: &crate::rest::AuthErrorResponse) -> Bytes {
    serde_json::to_vec(body).unwrap_or_default().into()
}

#[cfg(not(feature = "json"))]
fn body(_: &AuthError) -> Bytes {
    Bytes::new()
}
