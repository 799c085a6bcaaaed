//! The same failure over HTTP, the exits: the `WWW-Authenticate` challenge
//! (always), the response of a rejection, and `IntoResponse` (feature
//! `axum`). The AIP-193 body's types and their JSON are `rest/`.

#[cfg(feature = "axum")]
mod axum;
mod challenge;
pub(crate) mod response;
