//! The AIP-193 HTTP/JSON error body (feature `json`): what a REST edge sends
//! for the same failure, and what a REST client reads back.
//!
//! ```json
//! {"error": {"code": 401, "message": "…", "status": "UNAUTHENTICATED",
//!   "details": [{"@type": "type.googleapis.com/google.rpc.ErrorInfo",
//!                "reason": "TOKEN_EXPIRED", "domain": "auth.error.v1", "metadata": {…}},
//!               {"@type": "type.googleapis.com/google.rpc.RetryInfo", "retryDelay": "30s"}]}}
//! ```
//!
//! The body is typed ([`AuthErrorResponse`]); these functions convert
//! between it and [`AuthError`], applying the same rules as the gRPC exit.
//! Extra details are written in their proto3 JSON form:
//! `ErrorInfo` (of other domains), `RetryInfo`
//! (`retryDelay`), `Help` (`links`) and `LocalizedMessage` (`locale`,
//! `message`). A detail of any other type keeps its bytes as
//! `{"@type": …, "value": "<base64>"}` (the form proto3 JSON uses for values it
//! cannot render), so nothing is lost on the way out and back; a foreign
//! detail without `value` cannot be turned back into bytes without its schema
//! and is left out when parsing.

use std::fmt;

use crate::code::ReasonError;
use crate::grpc_status_name;
use crate::rest::{AuthErrorInfo, AuthErrorResponse, BodyDetail, ErrorBody};
use crate::rules;
use crate::{AuthError, AuthErrorCode, DOMAIN};

/// Why an HTTP error body could not be read as an [`AuthError`].
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum JsonError {
    /// The body is not JSON, or not of the AIP-193 shape (`what` says where).
    #[non_exhaustive]
    Invalid {
        /// What is wrong.
        what: String,
    },
    /// No ErrorInfo of the requested domain in `error.details`.
    NoErrorInfo,
    /// The ErrorInfo's reason is not a known code (perhaps a newer server).
    #[non_exhaustive]
    UnknownReason {
        /// The reason as received (a peer's text: withheld when it looks
        /// like a credential, cut at 256 characters).
        reason: String,
    },
    /// The reason is `NO_AUTH_ERROR`, which is not an error.
    NoAuthError,
}

impl fmt::Display for JsonError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            JsonError::Invalid { what } => write!(f, "not an AIP-193 error body: {what}"),
            JsonError::NoErrorInfo => {
                f.write_str("no ErrorInfo of the requested domain in the error body")
            }
            JsonError::UnknownReason { reason } => {
                write!(f, "unknown auth error reason `{}`", reason.escape_debug())
            }
            JsonError::NoAuthError => {
                f.write_str("the error body carries NO_AUTH_ERROR, which is not an error")
            }
        }
    }
}

impl std::error::Error for JsonError {}

fn invalid(what: impl Into<String>) -> JsonError {
    JsonError::Invalid { what: what.into() }
}

/// A serde_json error in words that never quote the input: the place, not
/// the value (a refused value may be a secret).
fn invalid_json(err: &serde_json::Error) -> JsonError {
    use serde_json::error::Category;
    let what = match err.classify() {
        Category::Io | Category::Syntax => "malformed JSON",
        Category::Eof => "JSON ends too early",
        Category::Data => "a value of the wrong type or shape",
    };
    invalid(format!(
        "{what} at line {} column {}",
        err.line(),
        err.column()
    ))
}

impl AuthError {
    /// The AIP-193 HTTP error body for this error, typed: `code` is the HTTP
    /// status, `status` the canonical gRPC code name, the ErrorInfo first in
    /// `details`, then the extra details.
    ///
    /// The lenient rules apply, as on the gRPC exit: what they refuse never
    /// leaves, and `NO_AUTH_ERROR` fails closed (500, `UNKNOWN`, no
    /// details).
    ///
    /// ```
    /// use auth_error::{AuthError, AuthErrorCode};
    /// let body = AuthError::new(AuthErrorCode::InvalidScope)
    ///     .with_required_scopes(["orders.write"])
    ///     .to_http_body();
    /// assert_eq!(body.error.code, 403);
    /// assert_eq!(body.error.status, "PERMISSION_DENIED");
    /// ```
    pub fn to_http_body(&self) -> AuthErrorResponse {
        if !self.code().is_error() {
            return AuthErrorResponse::fault(500, "UNKNOWN", self.shown_message());
        }
        let mut err = self.clone();
        rules::sanitize(&mut err);
        let domain = err.domain().to_owned();
        // The clone is ours: move its sanitized parts into the body.
        let parts = err.parts_mut();
        let metadata = std::mem::take(parts.metadata)
            .into_entries()
            .into_iter()
            .map(|(k, v)| (k.into_owned(), v))
            .collect();
        let message = std::mem::take(parts.message).into_owned();
        let mut details = Vec::with_capacity(1 + parts.details.len());
        details.push(BodyDetail::AuthErrorInfo(AuthErrorInfo {
            domain,
            metadata,
            reason: self.code(),
        }));
        details.extend(parts.details.iter().map(BodyDetail::from_any));
        AuthErrorResponse {
            error: ErrorBody {
                code: self.http_status().as_u16(),
                details,
                message,
                status: grpc_status_name(self.grpc_code()).to_owned(),
            },
        }
    }

    /// The AIP-193 HTTP error body as JSON bytes: exactly what every HTTP exit
    /// of the crate sends (axum's `IntoResponse`, `BearerAuthLayer`), and what
    /// [`from_http_json`](Self::from_http_json) reads back. For the typed body,
    /// [`to_http_body`](Self::to_http_body).
    ///
    /// ```
    /// use auth_error::{AuthError, AuthErrorCode};
    /// let bytes = AuthError::new(AuthErrorCode::TokenExpired)
    ///     .with_message("expired")
    ///     .with_metadata("tokenType", "access")
    ///     .to_http_json();
    /// let body: serde_json::Value = serde_json::from_slice(&bytes).unwrap();
    /// assert_eq!(body["error"]["code"], 401);
    /// assert_eq!(body["error"]["status"], "UNAUTHENTICATED");
    /// assert_eq!(body["error"]["details"][0]["reason"], "TOKEN_EXPIRED");
    /// let back = AuthError::from_http_json(&bytes).unwrap();
    /// assert_eq!(back.code(), AuthErrorCode::TokenExpired);
    /// assert_eq!(back.metadata().get("tokenType").unwrap(), "access");
    /// ```
    pub fn to_http_json(&self) -> Vec<u8> {
        // Every field serializes (the body holds only strings, numbers and
        // in-range durations); an empty body is unreachable but never a panic.
        serde_json::to_vec(&self.to_http_body()).unwrap_or_default()
    }

    /// Reads an AIP-193 HTTP error body (a REST gateway's answer) for domain
    /// [`DOMAIN`].
    ///
    /// Parsing is bounded by the body (serde_json also refuses nesting deeper
    /// than 128): bound what you read from the network before calling this
    /// (axum's `DefaultBodyLimit`, `http_body_util::Limited`). Errors name the
    /// place in the body, never its content.
    pub fn from_http_json(body: &[u8]) -> Result<AuthError, JsonError> {
        Self::from_http_json_in(body, DOMAIN)
    }

    /// Reads an AIP-193 HTTP error body for `domain`. The first ErrorInfo of
    /// the domain wins; other details come back as extra details.
    pub fn from_http_json_in(body: &[u8], domain: &str) -> Result<AuthError, JsonError> {
        let body: AuthErrorResponse = serde_json::from_slice(body).map_err(|e| invalid_json(&e))?;
        Self::from_http_body_in(&body, domain)
    }

    /// Reads a typed body for domain [`DOMAIN`].
    ///
    /// ```
    /// use auth_error::{AuthError, AuthErrorCode};
    /// let body = AuthError::new(AuthErrorCode::SessionRevoked).to_http_body();
    /// assert_eq!(AuthError::from_http_body(&body).unwrap().code(), AuthErrorCode::SessionRevoked);
    /// ```
    pub fn from_http_body(body: &AuthErrorResponse) -> Result<AuthError, JsonError> {
        Self::from_http_body_in(body, DOMAIN)
    }

    /// Reads a typed body for `domain`: the first ErrorInfo of the domain
    /// gives the code and metadata, `message` the message, every other detail
    /// that can be turned back into bytes an extra detail (a foreign detail
    /// without its bytes cannot, and is left out).
    pub fn from_http_body_in(
        body: &AuthErrorResponse,
        domain: &str,
    ) -> Result<AuthError, JsonError> {
        let (index, info) = body.find_error_info(domain).ok_or(JsonError::NoErrorInfo)?;
        let Some((reason, _, metadata)) = info.error_info_parts() else {
            return Err(invalid(
                "the ErrorInfo of the domain is malformed (reason, domain and metadata values must be strings)",
            ));
        };
        let code = AuthErrorCode::from_peer_reason(reason).map_err(|e| match e {
            ReasonError::NotAnError => JsonError::NoAuthError,
            ReasonError::Unknown => JsonError::UnknownReason {
                reason: crate::secrets::peer_text(reason),
            },
        })?;
        let mut err = AuthError::new(code).with_message(body.error.message.clone());
        if domain != DOMAIN {
            err = err.with_domain(domain);
        }
        for (k, v) in metadata {
            err = err.with_metadata(k.clone(), v.as_str());
        }
        for detail in body
            .error
            .details
            .iter()
            .enumerate()
            .filter(|(i, _)| *i != index)
            .filter_map(|(_, d)| d.to_any())
        {
            err = err.add_detail(detail);
        }
        Ok(err)
    }
}

impl From<&AuthError> for AuthErrorResponse {
    /// Same as [`AuthError::to_http_body`].
    fn from(err: &AuthError) -> Self {
        err.to_http_body()
    }
}

impl TryFrom<&AuthErrorResponse> for AuthError {
    type Error = JsonError;

    /// Same as [`AuthError::from_http_body`] (domain [`DOMAIN`]).
    fn try_from(body: &AuthErrorResponse) -> Result<Self, JsonError> {
        AuthError::from_http_body(body)
    }
}
