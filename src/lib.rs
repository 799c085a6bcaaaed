//! Machine-readable authentication and authorization failures for gRPC: an
//! [`AuthErrorCode`] carried as a standard `google.rpc.ErrorInfo` detail on a
//! `tonic::Status` (and as the AIP-193 JSON body over HTTP), so that clients
//! in any language read *why* a call was refused and what to do about it.
//!
//! ```
//! use auth_error::{AuthError, AuthErrorCode, AuthStatusExt, ClientAction};
//!
//! // Server: attach the reason (strictly, with `try_into_status`, or
//! // leniently with `From`).
//! let status: tonic::Status = AuthError::new(AuthErrorCode::TokenExpired)
//!     .with_token_id("jti-1")
//!     .into();
//!
//! // Client: read it back, and act on it.
//! let err = status.auth_error().expect("an auth error");
//! assert_eq!(err.code(), AuthErrorCode::TokenExpired);
//! assert_eq!(err.client_action(), ClientAction::RefreshCredentials);
//! ```
//!
//! Where to start:
//!
//! - [`AuthError`]: the value, its builder and its getters;
//!   [`AuthStatusExt`]: reading one from a `Status`.
//! - [`server`]: `BearerAuthLayer` (verify the bearer token of every call
//!   and refuse with the right reason), the drain layer, and (feature
//!   `grpc-web`) the CORS preset for browsers.
//! - [`client`]: `CredentialsLayer` (attach, refresh and retry).
//! - `jwt` (feature `jwt`): `JwtVerifier`; with feature `oidc`, keys from an
//!   OpenID provider, and `oauth::ClientCredentials`.
//! - `rest` (feature `json`): the AIP-193 body and its OpenAPI document.
//!
//! The [README](https://github.com/auth-error/auth-error#readme) walks
//! through the server, client, REST and browser paths; `docs/` holds the
//! performance figures, the reliability checks and the design notes.
//!
//! # Features
//!
//! | feature | what it adds |
//! |---|---|
//! | `jwt-aws-lc` (default) | `jwt` on aws-lc-rs: about 0.75M instructions per ES256 verification; builds with a C compiler (no cmake, no download) |
//! | `jwt-rust-crypto` | `jwt` on RustCrypto, pure Rust: no C compiler, about 3.2M instructions per ES256 verification; with both backend features, aws-lc-rs is used |
//! | `jwt` | `jwt::JwtVerifier` and `jwt::classify` on jsonwebtoken 11, no crypto backend chosen (pick jsonwebtoken's `rust_crypto` or `aws_lc_rs` yourself) |
//! | `oidc` | `JwtVerifier::from_issuer` / `from_jwks_url` (discovery, the key set cache), `jwt::Issuers`, `oauth::ClientCredentials`; HTTP by reqwest over rustls on aws-lc-rs (no OpenSSL, no ring); implies `jwt` |
//! | `grpc-web` | `server::grpc_web_cors()`, a tower-http CORS preset for pages on other origins |
//! | `serde` | `Serialize`/`Deserialize` for `AuthErrorCode` as its name (`"TOKEN_EXPIRED"`; the number is accepted too) and for `ClientAction` |
//! | `json` | the AIP-193 HTTP error body, typed (`rest::AuthErrorResponse`), to produce (`AuthError::to_http_body()`, `to_http_json()`) and to parse (`from_http_body`, `from_http_json`); `server::ProtectedResourceMetadata`; implies `serde` |
//! | `axum` | `impl IntoResponse for AuthError` (status, `WWW-Authenticate`, `Retry-After`, JSON body) and for `ProtectedResourceMetadata`; implies `json` |
//! | `utoipa` | `utoipa::ToSchema` for `AuthErrorCode` and the body types, `utoipa::IntoResponses` for `AuthError`, and `rest::openapi()`, the OpenAPI 3.1 document of the error; implies `json` |
#![cfg_attr(docsrs, feature(doc_cfg))]

/// The README's examples, compiled and run as doctests.
#[doc = include_str!("../README.md")]
#[cfg(doctest)]
pub struct ReadmeDoctests;

// The layout, one concept per module (lower layers never import upper ones):
//   code/    the code table (one row per code) and its property types
//   error/   the AuthError value, builder, context keys, companion details
//   rules/   what may leave the process, applied by every exit
//   status/  the gRPC exit and entry (attach, extract)
//   http/    the same failure over HTTP (challenge, JSON, axum, serde)
//   wire/    protobuf bytes only
//   layers/  the tower layers, published as `server`, `client` and `guard`
//   jwt/     JwtVerifier, and the provider's key set cache (feature oidc)
//   oidc/    HTTP to an identity provider (feature oidc); oauth.rs the grant
mod code;
mod error;
mod http;
#[cfg(feature = "jwt")]
pub mod jwt;
mod layers;
#[cfg(feature = "oidc")]
pub mod oauth;
#[cfg(feature = "oidc")]
mod oidc;
mod rules;
mod status;
mod wire;

/// Generated from `proto/auth/error/v1/auth_error.proto` (package
/// `auth.error.v1`) by prost-build.
#[rustfmt::skip]
#[allow(clippy::all, clippy::pedantic, missing_docs, unreachable_pub)]
pub mod pb {
    include!(concat!(env!("OUT_DIR"), "/auth.error.v1.rs"));
}

pub use code::{BearerChallenge, ClientAction, ParseAuthErrorCodeError};
pub use error::context::{keys, split_list};
pub use error::{AuthError, Detail, Details, Metadata, MetadataIter};
#[cfg(feature = "json")]
pub use http::JsonError;
pub use http::grpc_status_name;
pub use pb::AuthErrorCode;
pub use rules::{
    AttachError, MAX_DETAILS_LEN, MAX_DOMAIN_LEN, MAX_METADATA_KEY_LEN,
    SECRET_METADATA_KEY_PREFIXES, SECRET_METADATA_KEY_SEPARATORS, SECRET_METADATA_KEYS, TextField,
};
pub use status::{AuthStatusExt, ExtractError};

/// The default `google.rpc.ErrorInfo` domain of this vocabulary (the proto
/// package).
pub const DOMAIN: &str = "auth.error.v1";

pub mod server {
    //! Server side: [`BearerAuthLayer`], which verifies the bearer token of
    //! every request in one async layer and rejects with the right reason
    //! (with a [`TokenVerifier`] such as
    //! `auth_error::jwt::JwtVerifier` under feature `jwt`), and
    //! [`DrainRejectedLayer`], which keeps rejections from tearing down HTTP/2
    //! connections (built into `BearerAuthLayer`).
    //!
    //! # `BearerAuthLayer`
    //!
    //! | request | answer |
    //! |---|---|
    //! | path allowed with `add_public_route` | served, no token needed |
    //! | no `authorization` | `BEARER_TOKEN_MISSING` |
    //! | not `Bearer <b64token>` (RFC 6750; scheme in any case), or two headers | `AUTH_FAILED_INVALID_BEARER_TOKEN` |
    //! | the verifier's [`Rejection::Auth`] | that error |
    //! | the verifier's [`Rejection::Fault`] | `INTERNAL` / 500, no auth reason; a `tracing` error event and the `with_fault_hook` hook |
    //! | a scope required by a matching `add_required_scopes` rule is not granted | `INVALID_SCOPE` with `requiredScopes` and `providedScopes` |
    //! | the token's `acr` is none of a matching `add_required_acr` rule's (RFC 9470 step-up) | `MULTI_FACTOR_REQUIRED` with `acrValues` (and `maxAge` when the login is also too old); HTTP 401 `error="insufficient_user_authentication"` |
    //! | the token's `auth_time` is older than a matching `add_max_auth_age` rule allows, or missing | `SESSION_EXPIRED` with `maxAge`; HTTP 401 `error="insufficient_user_authentication"` |
    //! | otherwise | served; [`Verified`] claims in the request's extensions |
    //!
    //! gRPC requests (`content-type: application/grpc…`) are refused with a
    //! trailers-only response carrying exactly what
    //! [`try_into_status`](crate::AuthError::try_into_status) produces (the
    //! lenient conversion if the verifier's error breaks a rule); other HTTP
    //! requests with the status code, `WWW-Authenticate`, `Retry-After` and,
    //! with feature `json`, the AIP-193 body.
    //!
    //! # `DrainRejectedLayer`: why
    //!
    //! When a tonic interceptor rejects a call, tonic drops the request body
    //! unread; h2 then resets the stream (RST_STREAM NO_ERROR), and request DATA
    //! that the client had already sent arrives after the reset. h2 (0.4) charges
    //! each such small DATA frame to a per-connection budget and never refunds it,
    //! so after a few thousand early rejections on one connection the server
    //! sends GOAWAY(ENHANCE_YOUR_CALM, "too_many_data_frames") and every call in
    //! flight on it fails, accepted ones included (the figures, and how to
    //! reproduce them: `docs/reliability.md` in the repository).
    //!
    //! The layer keeps a request body that the service drops before its end and
    //! reads the rest — at once if the client has already sent it (the usual case
    //! for a small unary request), otherwise in a spawned task — so the stream
    //! ends normally and no DATA frame arrives on a reset stream. Draining is bounded in bytes, time and
    //! concurrency; past a bound the body is dropped as before. The response is
    //! never delayed: draining starts when the body is dropped and runs beside it.
    //!
    //! ```no_run
    //! use auth_error::server::DrainRejectedLayer;
    //! # async fn run(svc: tonic_health::pb::health_server::HealthServer<impl tonic_health::pb::health_server::Health>) -> Result<(), Box<dyn std::error::Error>> {
    //! tonic::transport::Server::builder()
    //!     .layer(DrainRejectedLayer::default())
    //!     .add_service(svc)
    //!     .serve("127.0.0.1:50051".parse()?)
    //!     .await?;
    //! # Ok(()) }
    //! ```

    pub use crate::layers::bearer::{
        BearerAuth, BearerAuthBody, BearerAuthBuilder, BearerAuthFuture, BearerAuthLayer,
        ConfigError, Rejection, Route, TokenVerifier, Verified,
    };
    #[cfg(feature = "grpc-web")]
    pub use crate::layers::cors::{GRPC_WEB_CORS_MAX_AGE, grpc_web_cors};
    pub use crate::layers::drain::{DrainRejected, DrainRejectedLayer};
    #[cfg(feature = "json")]
    pub use crate::layers::resource_metadata::ProtectedResourceMetadata;
}

pub mod client {
    //! Client side: [`CredentialsLayer`], a tower layer around a tonic
    //! `Channel` that attaches the bearer token to every call, fetches a new
    //! one ahead of expiry, and — when a call is refused with a rich
    //! `TOKEN_EXPIRED` (client action `refresh_credentials`), and only then —
    //! fetches a new token once and sends the same request once more.
    //!
    //! No gRPC stack does this for its users: tonic interceptors are
    //! synchronous and `tower::retry` cannot replay tonic requests (their
    //! bodies are not `Clone`). This layer keeps a request body that was
    //! complete when the call was made and within a bound (64 KiB: every
    //! unary call), so it can send it twice; streaming and larger bodies pass
    //! through and are never replayed.
    //!
    //! - **Single flight**: any number of calls refused for the same stale
    //!   token cause exactly one fetch; the others reuse its result.
    //! - **One retry**: a second refusal is returned as is.
    //! - **Nothing else is retried** (an opt-in treats a bare
    //!   `UNAUTHENTICATED` without details the same way, for peers that do not
    //!   send the reason).
    //! - **A failed fetch** ends the call with the server's refusal (or, when
    //!   no token could ever be had, `UNAUTHENTICATED` saying so), the fetch
    //!   error as its `source`; the next call tries again, after a backoff
    //!   (1 s doubling to 60 s) so a down token endpoint is not hammered.
    //! - The token is sent as a sensitive header (never indexed by HPACK),
    //!   cached and shared by every clone; `Debug` never shows it.
    //!
    //! Put [`StatusDetailsGuardLayer`](crate::guard::StatusDetailsGuardLayer)
    //! outside it (`ServiceBuilder::new().layer(guard).layer(credentials)`):
    //! the guard then sees the final response; the credentials layer repairs
    //! the refusals it reads itself, so the order is safe either way.
    //!
    //! ```no_run
    //! use auth_error::client::{AccessToken, BoxError, CredentialsLayer, TokenSource};
    //! use auth_error::guard::StatusDetailsGuardLayer;
    //! use std::time::Duration;
    //! use tower::ServiceBuilder;
    //!
    //! struct Idp;
    //! impl TokenSource for Idp {
    //!     async fn fetch(&self) -> Result<AccessToken, BoxError> {
    //!         // An OAuth client-credentials exchange, a metadata server, …
    //!         Ok(AccessToken::new("eyJ…").with_expires_in(Duration::from_secs(3600)))
    //!     }
    //! }
    //! # async fn run() -> Result<(), Box<dyn std::error::Error>> {
    //! let endpoint = tonic::transport::Endpoint::from_static("https://orders.example.com");
    //! let channel = endpoint.connect().await?;
    //! let channel = ServiceBuilder::new()
    //!     .layer(StatusDetailsGuardLayer::default())
    //!     .layer(CredentialsLayer::new(Idp).with_endpoint(endpoint.uri().clone()))
    //!     .service(channel);
    //! let mut client = tonic_health::pb::health_client::HealthClient::new(channel);
    //! # let _ = &mut client; Ok(()) }
    //! ```

    pub use crate::layers::credentials::{
        AccessToken, BoxError, Credentials, CredentialsLayer, FetchError, InsecureTransport,
        TokenSource,
    };
}

pub mod guard {
    //! Client side: [`StatusDetailsGuardLayer`], which keeps a peer's malformed
    //! `grpc-status-details-bin` from panicking the calling task.
    //!
    //! tonic 0.14's `Status::from_header_map` calls `.expect(..)` on the base64 of
    //! `grpc-status-details-bin`, so a server or proxy that sends an invalid value
    //! panics the client task. This layer sits between tonic and the `Channel`,
    //! inspects response headers (trailers-only responses) and trailers before
    //! tonic parses them, and repairs or drops a malformed value, so the call ends
    //! with the plain code and message instead of a panic.
    //!
    //! | value | what the guard does |
    //! |---|---|
    //! | valid base64 (padded or not) within the bound | left as is |
    //! | several values, or comma-joined values (gRPC HTTP/2 spec), all decoding to the same bytes (empty elements ignored) | keeps one |
    //! | several values that differ (ambiguous: which status is real?) | dropped |
    //! | invalid base64, not ASCII | dropped |
    //! | longer than the bound (default 8 KiB, the usual header limit of gRPC peers; this crate sends at most 5.5 KiB) | dropped |
    //!
    //! ```no_run
    //! use auth_error::guard::StatusDetailsGuardLayer;
    //! use tonic_health::pb::health_client::HealthClient;
    //! use tower::ServiceBuilder;
    //! # async fn run() -> Result<(), Box<dyn std::error::Error>> {
    //! let channel = tonic::transport::Channel::from_static("http://127.0.0.1:50051").connect().await?;
    //! let guarded = ServiceBuilder::new()
    //!     .layer(StatusDetailsGuardLayer::default())
    //!     .service(channel);
    //! let mut client = HealthClient::new(guarded);
    //! # let _ = &mut client; Ok(()) }
    //! ```

    pub use crate::layers::details_guard::{
        DEFAULT_MAX_DETAILS_HEADER_LEN, GuardFuture, GuardedBody, StatusDetailsGuard,
        StatusDetailsGuardLayer, sanitize_details_header,
    };
}

#[cfg(feature = "json")]
pub mod rest {
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
    //! fit its `@type` stays [`Detail::Other`], unchanged.
    //!
    //! ```
    //! use auth_error::rest::{AuthErrorResponse, Detail};
    //! use auth_error::{AuthError, AuthErrorCode};
    //!
    //! let bytes = AuthError::new(AuthErrorCode::AccountLocked)
    //!     .with_retry_after(std::time::Duration::from_secs(900))
    //!     .to_http_json();
    //! let body: AuthErrorResponse = serde_json::from_slice(&bytes).unwrap();
    //! assert!(matches!(&body.error.details[1], Detail::RetryInfo(r) if r.retry_delay.unwrap().seconds == 900));
    //! ```

    pub use crate::http::JsonError;
    pub use crate::http::body::{
        AuthErrorInfo, AuthErrorResponse, Detail, ErrorBody, ErrorInfo, Help, HelpLink,
        LocalizedMessage, RetryInfo,
    };
    #[cfg(feature = "utoipa")]
    pub use crate::http::openapi::openapi;
}

mod sealed {
    pub trait Sealed {}
}
