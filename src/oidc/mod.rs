//! Talking to an identity provider (feature `oidc`): what goes wrong
//! ([`ProviderError`], [`RequestError`], in `error.rs`), published here;
//! the bounded HTTP client and its URL rule (`client.rs`) and the OpenID
//! discovery document (`discovery.rs`) stay inside the crate. Used by
//! [`JwtVerifier::from_issuer`](crate::jwt::JwtVerifier::from_issuer),
//! [`IntrospectionVerifier`](crate::jwt::IntrospectionVerifier) and
//! [`ClientCredentials`](crate::oauth::ClientCredentials).
//!
//! ```
//! use auth_error::oidc::ProviderError;
//! let err = auth_error::jwt::JwtVerifier::from_issuer("http://id.example.com", jsonwebtoken::Validation::default()).unwrap_err();
//! assert!(matches!(err, ProviderError::InsecureUrl { .. }), "{err}");
//! ```

pub(crate) mod client;
pub(crate) mod discovery;
mod error;

pub use error::{ProviderError, RequestError};
