//! [`ProtectedResourceMetadata`]: the RFC 9728 document that tells a client
//! (an MCP client, for one) which authorization servers issue tokens for
//! this resource and which scopes it knows (published as
//! [`crate::server`], feature `json`).

use serde::{Deserialize, Serialize};

/// RFC 9728 OAuth 2.0 Protected Resource Metadata, the fields a resource
/// server behind [`BearerAuthLayer`](super::bearer::BearerAuthLayer) states.
/// Serve it at [`WELL_KNOWN_PATH`](Self::WELL_KNOWN_PATH) (with feature
/// `axum` it is an `IntoResponse`), and point the layer's challenges at it
/// with
/// [`BearerAuthBuilder::with_resource_metadata`](super::bearer::BearerAuthBuilder::with_resource_metadata).
///
/// ```
/// use auth_error::server::{BearerAuthLayer, ProtectedResourceMetadata};
/// # let verifier = auth_error::jwt::JwtVerifier::new(jsonwebtoken::DecodingKey::from_secret(b"an-hs256-secret-of-at-least-32-bytes"), jsonwebtoken::Validation::default());
/// let layer = BearerAuthLayer::builder(verifier)
///     .add_required_scopes("/orders", ["orders.read"])
///     .with_resource_metadata("https://api.example.com/.well-known/oauth-protected-resource")
///     .build()?;
/// let metadata = layer
///     .resource_metadata("https://api.example.com")
///     .with_authorization_servers(["https://id.example.com"]);
/// assert_eq!(metadata.scopes_supported, ["orders.read"]);
/// assert_eq!(
///     serde_json::to_value(&metadata).unwrap(),
///     serde_json::json!({
///         "resource": "https://api.example.com",
///         "authorization_servers": ["https://id.example.com"],
///         "scopes_supported": ["orders.read"],
///         "bearer_methods_supported": ["header"],
///     })
/// );
/// // axum: .route(ProtectedResourceMetadata::WELL_KNOWN_PATH, get(move || async move { metadata }))
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct ProtectedResourceMetadata {
    /// The resource's identifier (an `https` URL, the tokens' audience).
    pub resource: String,
    /// The issuers of the authorization servers that issue tokens for it.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub authorization_servers: Vec<String>,
    /// The scopes the resource uses in its rules.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub scopes_supported: Vec<String>,
    /// How a bearer token is sent: the `authorization` header only (the
    /// layer reads no other).
    #[serde(default)]
    pub bearer_methods_supported: Vec<String>,
}

impl ProtectedResourceMetadata {
    /// Where RFC 9728 §3 serves the document (for a resource without a
    /// path component).
    pub const WELL_KNOWN_PATH: &'static str = "/.well-known/oauth-protected-resource";

    /// The metadata of `resource`, bearer tokens in the header, no
    /// authorization server or scope yet.
    pub fn new(resource: impl Into<String>) -> Self {
        ProtectedResourceMetadata {
            resource: resource.into(),
            authorization_servers: Vec::new(),
            scopes_supported: Vec::new(),
            bearer_methods_supported: vec!["header".to_owned()],
        }
    }

    /// Sets the authorization servers (their issuer URLs).
    #[must_use]
    pub fn with_authorization_servers<I, S>(mut self, issuers: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.authorization_servers = issuers.into_iter().map(Into::into).collect();
        self
    }

    /// Sets the scopes the resource supports.
    #[must_use]
    pub fn with_scopes_supported<I, S>(mut self, scopes: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.scopes_supported = scopes.into_iter().map(Into::into).collect();
        self
    }
}

#[cfg(feature = "axum")]
impl axum::response::IntoResponse for ProtectedResourceMetadata {
    /// `200 OK`, `application/json`.
    fn into_response(self) -> axum::response::Response {
        axum::Json(self).into_response()
    }
}
