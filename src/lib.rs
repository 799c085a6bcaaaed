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
//! The [README](https://github.com/auth-error/auth-error#readme) is the
//! front page; the guide in `docs/` walks through the server, client,
//! identity-provider, sender-constrained, REST and browser paths (one page
//! each, doctested), and holds the performance figures, the reliability
//! checks and the design notes.
//!
//! # Features
//!
//! | feature | what it adds |
//! |---|---|
//! | `jwt-aws-lc` (default) | `jwt` on aws-lc-rs: about 0.75M instructions per ES256 verification; builds with a C compiler (no cmake, no download) |
//! | `jwt-rust-crypto` | `jwt` on RustCrypto, pure Rust: no C compiler, about 3.2M instructions per ES256 verification; with both backend features, aws-lc-rs is used |
//! | `jwt` | `jwt::JwtVerifier` and `jwt::classify` on jsonwebtoken 11, verifying with jsonwebtoken's process default (your application's choice of its `rust_crypto` or `aws_lc_rs`) |
//! | `oidc` | `JwtVerifier::from_issuer` / `from_jwks_url` (discovery, the key set cache), `jwt::Issuers`, `oauth::ClientCredentials`; HTTP/1.1 by hyper over rustls on aws-lc-rs with its own TLS configuration (no OpenSSL, no ring, nothing process-wide); implies `jwt` |
//! | `sender-constrained` (default) | RFC 9449 DPoP and RFC 8705 mTLS-bound tokens: `server::Dpop` (`BearerAuthBuilder::with_dpop`: proofs, nonces, a replay cache), the thumbprint of a `server::ClientCertificate`, and `client::DpopKey` (`CredentialsLayer::with_dpop`); on aws-lc-rs. Without it a bound token is still refused as a bearer token |
//! | `mtls` | the layer reads the client certificate tonic's own TLS server records (`TlsConnectInfo`), for mTLS-bound tokens with no code of yours; implies `sender-constrained` |
//! | `redis` | `server::RedisReplayCache`: the DPoP replay cache shared by a service's instances, on Redis; implies `sender-constrained` |
//! | `testing` | `testing::TestIssuer`, a loopback identity provider for your tests (discovery, key set, client credentials, introspection, revocation, tokens and faults on demand); implies `oidc` and `jwt-aws-lc`; a dev-dependency |
//! | `metrics` | counters of requests by outcome and refusals by reason, verification time, key-set fetches, cache hits, token fetches, through the `metrics` facade (see docs/observability.md) |
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

/// The guide's pages (`docs/`), each doctested as the README is.
#[cfg(doctest)]
pub mod guide {
    #[doc = include_str!("../docs/server.md")]
    pub struct Server;
    #[doc = include_str!("../docs/client.md")]
    pub struct Client;
    #[doc = include_str!("../docs/identity-providers.md")]
    pub struct IdentityProviders;
    #[doc = include_str!("../docs/sender-constrained.md")]
    pub struct SenderConstrained;
    #[doc = include_str!("../docs/step-up.md")]
    pub struct StepUp;
    #[doc = include_str!("../docs/browsers.md")]
    pub struct Browsers;
    #[doc = include_str!("../docs/rest.md")]
    pub struct Rest;
    #[doc = include_str!("../docs/codes.md")]
    pub struct Codes;
    #[doc = include_str!("../docs/other-languages.md")]
    pub struct OtherLanguages;
    #[doc = include_str!("../docs/observability.md")]
    pub struct Observability;
    #[doc = include_str!("../docs/testing.md")]
    pub struct Testing;
    #[doc = include_str!("../docs/cli.md")]
    pub struct Cli;
    #[doc = include_str!("../docs/connections.md")]
    pub struct Connections;
    #[doc = include_str!("../docs/challenges.md")]
    pub struct Challenges;
}

// The layout, one concept per module; lower layers never import upper ones
// (tests/it/layout.rs ranks them and checks every `crate::` path):
//   wire/, secrets.rs, code/   leaves: protobuf bytes, the credential
//            detector, the code table (one row per code) and its property types
//   error/   the AuthError value, builder, context keys, extra details,
//            AttachError
//   rules/   what may leave the process, applied by every exit
//   status/  the gRPC exit and entry (attach, extract)
//   rest/    the AIP-193 body's types, its JSON and its OpenAPI document
//   http/    the HTTP exits on rest/ (challenge, response, axum)
//   jose.rs  JWK keys and thumbprints for sender-constrained tokens
//   server/  the server's tower layers: bearer/ (verifier contract, routes,
//            answers), dpop/, client certificates, drain, CORS, resource
//            metadata
//   client/  the client's tower layer: credentials, and the DPoP key
//   guard.rs the client's header guard
//   jwt/     JwtVerifier, and the provider's key set cache (feature oidc)
//   oidc/    HTTP to an identity provider (feature oidc); oauth.rs the grant
#[macro_use]
mod macros;
mod observe;

pub mod client;
mod code;
mod error;
pub mod guard;
mod http;
#[cfg(feature = "sender-constrained")]
mod jose;
#[cfg(feature = "jwt")]
pub mod jwt;
#[cfg(feature = "oidc")]
pub mod oauth;
#[cfg(feature = "oidc")]
pub mod oidc;
#[cfg(feature = "json")]
pub mod rest;
mod rules;
mod secrets;
pub mod server;
mod status;
#[cfg(feature = "testing")]
pub mod testing;
mod time;
mod wire;

/// Generated from `proto/auth/error/v1/auth_error.proto` (package
/// `auth.error.v1`) by prost-build.
#[rustfmt::skip]
#[allow(clippy::all, clippy::pedantic, missing_docs, unreachable_pub)]
pub mod pb {
    include!(concat!(env!("OUT_DIR"), "/auth.error.v1.rs"));
}

pub use code::{BearerChallenge, ClientAction, ParseAuthErrorCodeError, grpc_status_name};

/// The error type of the crate's extension points ([`client::TokenSource`],
/// [`server::TokenVerifier::check`]) and of its layers' services: any error,
/// boxed, as tower's and axum's `BoxError`. Defined once here;
/// `auth_error::client::BoxError` names the same type.
pub type BoxError = Box<dyn std::error::Error + Send + Sync>;
pub use error::keys::{keys, split_list};
pub use error::{AttachError, TextField};
pub use error::{AuthError, Detail, Details, Metadata, MetadataIter};
pub use pb::AuthErrorCode;
pub use rules::{MAX_DETAILS_LEN, MAX_DOMAIN_LEN, MAX_METADATA_KEY_LEN};
pub use secrets::{
    SECRET_METADATA_KEY_PREFIXES, SECRET_METADATA_KEY_SEPARATORS, SECRET_METADATA_KEYS,
    is_secret_metadata_key, looks_like_credential,
};
pub use status::{AuthStatusExt, ExtractError};

/// The default `google.rpc.ErrorInfo` domain of this vocabulary (the proto
/// package).
pub const DOMAIN: &str = "auth.error.v1";

mod sealed {
    pub trait Sealed {}
}
