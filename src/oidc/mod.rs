//! What talks to an identity provider (feature `oidc`): the bounded HTTP
//! client and its URL rule (`http.rs`), the OpenID discovery document
//! (`discovery.rs`), and [`ProviderError`], what goes wrong with either.
//! Used by [`JwtVerifier::from_issuer`](crate::jwt::JwtVerifier::from_issuer)
//! and [`ClientCredentials`](crate::oauth::ClientCredentials).

pub(crate) mod discovery;
mod error;
pub(crate) mod http;

pub use error::{ProviderError, RequestError};
