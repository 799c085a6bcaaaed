//! The OpenID Provider DiscoveryDocument document (OpenID Connect Discovery 1.0 §3),
//! the fields this crate uses.

use serde::Deserialize;

use super::{ProviderError, client};

/// `/.well-known/openid-configuration`, as far as it is read.
#[derive(Debug, Deserialize)]
pub(crate) struct DiscoveryDocument {
    issuer: String,
    jwks_uri: Option<String>,
    token_endpoint: Option<String>,
    introspection_endpoint: Option<String>,
    /// Whether the document came over `https`: then every endpoint it
    /// names must be `https` too (no downgrade to plaintext loopback).
    #[serde(skip)]
    over_tls: bool,
}

impl DiscoveryDocument {
    /// Fetches the document of `issuer` and checks that it names `issuer`
    /// exactly (§4.3: otherwise another provider's keys could be trusted).
    pub(crate) async fn fetch(
        client: &client::Client,
        issuer: &str,
    ) -> Result<DiscoveryDocument, ProviderError> {
        let url = format!(
            "{}/.well-known/openid-configuration",
            issuer.trim_end_matches('/')
        );
        let url = client::checked_url(&url)?;
        let over_tls = url.scheme() == "https";
        let (mut metadata, _): (DiscoveryDocument, _) = client.get_json(&url).await?;
        metadata.over_tls = over_tls;
        if metadata.issuer != issuer {
            return Err(ProviderError::IssuerMismatch {
                expected: issuer.to_owned(),
                found: metadata.issuer,
            });
        }
        Ok(metadata)
    }

    /// `uri` checked like every provider URL, and `https` when the
    /// document was.
    fn checked(&self, uri: &str) -> Result<url::Url, ProviderError> {
        let url = client::checked_url(uri)?;
        if self.over_tls && url.scheme() != "https" {
            return Err(ProviderError::InsecureUrl { url: uri.into() });
        }
        Ok(url)
    }

    /// `jwks_uri`, checked like every provider URL.
    pub(crate) fn jwks_uri(&self) -> Result<url::Url, ProviderError> {
        let uri = self
            .jwks_uri
            .as_deref()
            .ok_or(ProviderError::MissingEndpoint { field: "jwks_uri" })?;
        self.checked(uri)
    }

    /// `token_endpoint`, checked like every provider URL.
    pub(crate) fn token_endpoint(&self) -> Result<url::Url, ProviderError> {
        let uri = self
            .token_endpoint
            .as_deref()
            .ok_or(ProviderError::MissingEndpoint {
                field: "token_endpoint",
            })?;
        self.checked(uri)
    }

    /// `introspection_endpoint` (RFC 8414 §2), checked like every provider
    /// URL.
    pub(crate) fn introspection_endpoint(&self) -> Result<url::Url, ProviderError> {
        let uri = self
            .introspection_endpoint
            .as_deref()
            .ok_or(ProviderError::MissingEndpoint {
                field: "introspection_endpoint",
            })?;
        self.checked(uri)
    }
}

/// A provider endpoint a client calls (the token endpoint, the
/// introspection endpoint): given as a URL, or read from the issuer's
/// discovery document at first use, so that a provider down at start-up
/// stops nothing. Every URL is checked like every provider URL.
#[derive(Debug)]
pub(crate) enum Endpoint {
    Fixed(url::Url),
    Discover {
        issuer: String,
        found: tokio::sync::OnceCell<url::Url>,
    },
}

impl Endpoint {
    /// `url` itself (`https`, or `http` to loopback).
    pub(crate) fn fixed(url: &str) -> Result<Self, ProviderError> {
        Ok(Endpoint::Fixed(client::checked_url(url)?))
    }

    /// From `issuer`'s discovery document, fetched at first use.
    pub(crate) fn discover(issuer: &str) -> Result<Self, ProviderError> {
        client::checked_url(issuer)?;
        Ok(Endpoint::Discover {
            issuer: issuer.to_owned(),
            found: tokio::sync::OnceCell::new(),
        })
    }

    /// The URL: given, or `field` of the discovery document (fetched once;
    /// a failed fetch is tried again next time).
    pub(crate) async fn url(
        &self,
        client: &client::Client,
        field: fn(&DiscoveryDocument) -> Result<url::Url, ProviderError>,
    ) -> Result<url::Url, ProviderError> {
        match self {
            Endpoint::Fixed(url) => Ok(url.clone()),
            Endpoint::Discover { issuer, found } => found
                .get_or_try_init(|| async {
                    field(&DiscoveryDocument::fetch(client, issuer).await?)
                })
                .await
                .cloned(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn metadata(over_tls: bool, endpoint: &str) -> DiscoveryDocument {
        DiscoveryDocument {
            issuer: "https://id.example.com".into(),
            jwks_uri: Some(endpoint.into()),
            token_endpoint: Some(endpoint.into()),
            introspection_endpoint: None,
            over_tls,
        }
    }

    #[test]
    fn an_https_document_cannot_name_plaintext_endpoints() {
        let downgrade = metadata(true, "http://127.0.0.1:8080/jwks");
        assert!(matches!(
            downgrade.jwks_uri(),
            Err(ProviderError::InsecureUrl { .. })
        ));
        assert!(matches!(
            downgrade.token_endpoint(),
            Err(ProviderError::InsecureUrl { .. })
        ));
        assert!(
            metadata(true, "https://keys.example.com/jwks")
                .jwks_uri()
                .is_ok()
        );
        // A loopback provider over http may name loopback http endpoints.
        assert!(
            metadata(false, "http://127.0.0.1:8080/jwks")
                .jwks_uri()
                .is_ok()
        );
    }
}
