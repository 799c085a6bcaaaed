//! What talks to an identity provider (feature `oidc`): the bounded HTTP
//! client and its URL rule (`client.rs`), the OpenID discovery document
//! (`discovery.rs`), and [`ProviderError`], what goes wrong with either.
//! Used by [`JwtVerifier::from_issuer`](crate::jwt::JwtVerifier::from_issuer)
//! and [`ClientCredentials`](crate::oauth::ClientCredentials).

pub(crate) mod client;
pub(crate) mod discovery;
mod error;

pub use error::{ProviderError, RequestError};
