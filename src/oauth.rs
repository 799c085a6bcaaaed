//! The OAuth 2.0 client-credentials grant (RFC 6749 §4.4) as a
//! [`TokenSource`] for [`CredentialsLayer`](crate::client::CredentialsLayer)
//! (feature `oidc`), on the `oauth2` crate (5.x), over the same bounded,
//! redirect-free, TLS-only HTTP client as the verifier's key fetches.

use std::fmt;
use std::sync::{Arc, Mutex};

use oauth2::basic::BasicClient;
use oauth2::{ClientId, ClientSecret, RequestTokenError, Scope, TokenResponse, TokenUrl};

use crate::client::{AccessToken, BoxError, TokenSource};
use crate::oidc::client;
use crate::oidc::discovery::{DiscoveryDocument, Endpoint};

use crate::oidc::ProviderError;

/// Tokens from an OAuth 2.0 token endpoint with the client-credentials grant
/// (RFC 6749 §4.4), for service-to-service calls.
///
/// A refusal the client cannot fix by waiting (`invalid_client`,
/// `unauthorized_client`, `invalid_scope`, `invalid_grant`,
/// `invalid_request`, `unsupported_grant_type`: RFC 6749 §5.2) is a
/// [`TokenEndpointError`], remembered: every later fetch fails with it at
/// once, without asking the endpoint again (a wrong secret stays wrong).
/// Network errors, timeouts and 5xx are [`ProviderError`]s, transient:
/// [`CredentialsLayer`](crate::client::CredentialsLayer) backs off and
/// tries again.
///
/// ```no_run
/// use auth_error::client::CredentialsLayer;
/// use auth_error::oauth::ClientCredentials;
///
/// # async fn run() -> Result<(), Box<dyn std::error::Error>> {
/// let source = ClientCredentials::from_issuer("https://id.example.com", "orders-client", "s3cr3t")?
///     .with_scopes(["orders.read"])
///     .with_resource("https://orders.example.com");
/// let endpoint = tonic::transport::Endpoint::from_static("https://orders.example.com");
/// let channel = tower::ServiceBuilder::new()
///     .layer(CredentialsLayer::new(source).with_endpoint(endpoint.uri().clone()))
///     .service(endpoint.connect().await?);
/// # drop(channel); Ok(()) }
/// ```
pub struct ClientCredentials {
    client_id: String,
    secret: ClientSecret,
    endpoint: Endpoint,
    scopes: Vec<String>,
    resource: Option<String>,
    http: client::Client,
    refused: Mutex<Option<Arc<TokenEndpointError>>>,
    /// RFC 9449 §5: the key the tokens are bound to, and the token
    /// endpoint's last nonce.
    dpop: Option<crate::client::DpopKey>,
    nonce: Arc<Mutex<Option<String>>>,
}

impl fmt::Debug for ClientCredentials {
    /// Never shows the secret.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ClientCredentials")
            .field("client_id", &self.client_id)
            .field("endpoint", &self.endpoint)
            .field("scopes", &self.scopes)
            .field("resource", &self.resource)
            .field("dpop", &self.dpop)
            .finish_non_exhaustive()
    }
}

impl ClientCredentials {
    /// Tokens from `token_url` for `client_id`, authenticated with
    /// `client_secret` (HTTP Basic, RFC 6749 §2.3.1). Touches no network;
    /// fails on a URL that is not `https` (or `http` to loopback).
    pub fn new(
        token_url: &str,
        client_id: impl Into<String>,
        client_secret: impl Into<String>,
    ) -> Result<Self, ProviderError> {
        Self::with_endpoint(
            Endpoint::fixed(token_url)?,
            client_id.into(),
            client_secret.into(),
        )
    }

    /// Tokens from the `token_endpoint` of `issuer`'s discovery document,
    /// fetched at the first token fetch (so a provider down at start-up
    /// stops nothing). Touches no network. The same verb as
    /// [`JwtVerifier::from_issuer`](crate::jwt::JwtVerifier::from_issuer):
    /// both read the issuer's discovery document.
    pub fn from_issuer(
        issuer: &str,
        client_id: impl Into<String>,
        client_secret: impl Into<String>,
    ) -> Result<Self, ProviderError> {
        Self::with_endpoint(
            Endpoint::discover(issuer)?,
            client_id.into(),
            client_secret.into(),
        )
    }

    fn with_endpoint(
        endpoint: Endpoint,
        client_id: String,
        client_secret: String,
    ) -> Result<Self, ProviderError> {
        Ok(ClientCredentials {
            client_id,
            secret: ClientSecret::new(client_secret),
            endpoint,
            scopes: Vec::new(),
            resource: None,
            http: client::Client::new()?,
            refused: Mutex::new(None),
            dpop: None,
            nonce: Arc::new(Mutex::new(None)),
        })
    }

    /// The scopes to ask for (`scope`, space-separated).
    #[must_use]
    pub fn with_scopes<I, S>(mut self, scopes: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.scopes = scopes.into_iter().map(Into::into).collect();
        self
    }

    /// The resource (API) the token is for (`resource`, RFC 8707): the
    /// token's audience.
    #[must_use]
    pub fn with_resource(mut self, resource: impl Into<String>) -> Self {
        self.resource = Some(resource.into());
        self
    }

    /// Asks for DPoP-bound tokens (RFC 9449 §5): each token request
    /// carries a proof signed with `key`, and the token endpoint must answer
    /// `token_type` `DPoP` (a `Bearer` answer is an error: the provider did
    /// not bind the token, so a DPoP resource would refuse it). A
    /// `use_dpop_nonce` answer is retried once with the endpoint's nonce.
    /// Give the same key to
    /// [`CredentialsLayer::with_dpop`](crate::client::CredentialsLayer::with_dpop).
    ///
    /// ```no_run
    /// use auth_error::client::{CredentialsLayer, DpopKey};
    /// use auth_error::oauth::ClientCredentials;
    /// let key = DpopKey::generate_es256()?;
    /// let source = ClientCredentials::from_issuer("https://id.example.com", "svc", "secret")?
    ///     .with_dpop(key.clone());
    /// let layer = CredentialsLayer::new(source)
    ///     .with_endpoint("https://orders.example.com".parse()?)
    ///     .with_dpop(key);
    /// # drop(layer);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[must_use]
    pub fn with_dpop(mut self, key: crate::client::DpopKey) -> Self {
        self.dpop = Some(key);
        self
    }

    async fn request(&self) -> Result<AccessToken, BoxError> {
        match self.request_once().await {
            // RFC 9449 §8: once, with the nonce the answer carried.
            Err(Attempt::NonceRequired(_)) if self.nonce.lock().is_ok_and(|n| n.is_some()) => {
                self.request_once().await.map_err(Attempt::into_error)
            }
            other => other.map_err(Attempt::into_error),
        }
    }

    async fn request_once(&self) -> Result<AccessToken, Attempt> {
        let url = self
            .endpoint
            .url(&self.http, DiscoveryDocument::token_endpoint)
            .await
            .map_err(|e| Attempt::Failed(Box::new(e)))?;
        let client = BasicClient::new(ClientId::new(self.client_id.clone()))
            .set_client_secret(self.secret.clone())
            .set_token_uri(TokenUrl::from_url(url));
        let mut request = client
            .exchange_client_credentials()
            .add_scopes(self.scopes.iter().cloned().map(Scope::new));
        if let Some(resource) = &self.resource {
            request = request.add_extra_param("resource", resource.clone());
        }
        let http = self.http.clone();
        let (dpop, nonce) = (self.dpop.clone(), self.nonce.clone());
        let send = move |mut req: oauth2::HttpRequest| {
            let http = http.clone();
            let (dpop, nonce) = (dpop.clone(), nonce.clone());
            async move {
                if let Some(key) = &dpop {
                    let last = nonce.lock().ok().and_then(|n| n.clone());
                    let proof = key
                        .proof(
                            req.method().as_str(),
                            &req.uri().to_string(),
                            None,
                            last.as_deref(),
                        )
                        .map_err(|_| ProviderError::InvalidDocument {
                            what: "no DPoP proof could be signed for the token request".into(),
                        })?;
                    if let Ok(value) = ::http::HeaderValue::try_from(proof) {
                        req.headers_mut().insert("dpop", value);
                    }
                }
                let response = send(&http, req).await?;
                if dpop.is_some()
                    && let Some(fresh) = response
                        .headers()
                        .get("dpop-nonce")
                        .and_then(|v| v.to_str().ok())
                        .filter(|v| v.len() <= 1024)
                    && let Ok(mut kept) = nonce.lock()
                {
                    *kept = Some(fresh.to_owned());
                }
                Ok::<_, ProviderError>(response)
            }
        };
        match request.request_async(&send).await {
            Ok(response) => {
                if self.dpop.is_some()
                    && !response.token_type().as_ref().eq_ignore_ascii_case("dpop")
                {
                    return Err(Attempt::Failed(Box::new(ProviderError::InvalidDocument {
                        what: "the token endpoint issued a bearer token, not a DPoP-bound one (is DPoP enabled for this client?)".into(),
                    })));
                }
                let token = AccessToken::new(response.access_token().secret().clone());
                Ok(match response.expires_in() {
                    Some(lifetime) => token.with_expires_in(lifetime),
                    None => token,
                })
            }
            Err(RequestTokenError::ServerResponse(response))
                if self.dpop.is_some() && response.error().as_ref() == "use_dpop_nonce" =>
            {
                Err(Attempt::NonceRequired(TokenEndpointError {
                    code: response.error().as_ref().to_owned(),
                    description: response.error_description().cloned(),
                }))
            }
            Err(RequestTokenError::ServerResponse(response)) => {
                let err = TokenEndpointError {
                    code: response.error().as_ref().to_owned(),
                    description: response.error_description().cloned(),
                };
                if err.is_permanent() {
                    let err = Arc::new(err);
                    if let Ok(mut refused) = self.refused.lock() {
                        *refused = Some(err.clone());
                    }
                    return Err(Attempt::Failed(Box::new(Remembered(err))));
                }
                Err(Attempt::Failed(Box::new(err)))
            }
            Err(RequestTokenError::Request(err)) => Err(Attempt::Failed(Box::new(err))),
            // Only where the response did not fit: serde's message can
            // quote a value of the response (a token).
            Err(RequestTokenError::Parse(err, _)) => {
                Err(Attempt::Failed(Box::new(ProviderError::InvalidDocument {
                    what: format!("the token response does not fit at `{}`", err.path()),
                })))
            }
            Err(RequestTokenError::Other(what)) => {
                Err(Attempt::Failed(Box::new(ProviderError::InvalidDocument {
                    what,
                })))
            }
        }
    }
}

/// One request through the bounded client (what oauth2 calls).
/// One token request's failure: the endpoint's nonce wanted (retried once
/// by `request`), or anything else.
enum Attempt {
    NonceRequired(TokenEndpointError),
    Failed(BoxError),
}

impl Attempt {
    fn into_error(self) -> BoxError {
        match self {
            Attempt::NonceRequired(err) => Box::new(err),
            Attempt::Failed(err) => err,
        }
    }
}

async fn send(
    client: &client::Client,
    request: oauth2::HttpRequest,
) -> Result<oauth2::HttpResponse, ProviderError> {
    let response = client.send(request).await?;
    // 5xx and 429 carry no OAuth error: transient, backed off by the layer.
    if response.status.is_server_error() || response.status.as_u16() == 429 {
        return Err(ProviderError::Status {
            status: response.status.as_u16(),
        });
    }
    let mut out = ::http::Response::new(response.body);
    *out.status_mut() = response.status;
    *out.headers_mut() = response.headers;
    Ok(out)
}

impl TokenSource for ClientCredentials {
    async fn fetch(&self) -> Result<AccessToken, BoxError> {
        let remembered = self.refused.lock().ok().and_then(|r| r.clone());
        if let Some(err) = remembered {
            return Err(Box::new(Remembered(err)));
        }
        self.request().await
    }
}

/// The token endpoint refused the request (RFC 6749 §5.2).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TokenEndpointError {
    code: String,
    description: Option<String>,
}

impl TokenEndpointError {
    /// The OAuth error code (`invalid_client`, `invalid_scope`, …).
    pub fn code(&self) -> &str {
        &self.code
    }

    /// The provider's `error_description`, if any.
    pub fn description(&self) -> Option<&str> {
        self.description.as_deref()
    }

    /// Whether asking again cannot help until the configuration changes
    /// (every RFC 6749 §5.2 code; not an extension code such as
    /// `temporarily_unavailable`).
    pub fn is_permanent(&self) -> bool {
        matches!(
            self.code.as_str(),
            "invalid_request"
                | "invalid_client"
                | "invalid_grant"
                | "unauthorized_client"
                | "unsupported_grant_type"
                | "invalid_scope"
        )
    }
}

impl fmt::Display for TokenEndpointError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "the token endpoint refused the request: {}",
            self.code.escape_debug()
        )?;
        if let Some(description) = &self.description {
            let description: String = description.chars().take(200).collect();
            write!(f, " ({})", description.escape_debug())?;
        }
        Ok(())
    }
}

impl std::error::Error for TokenEndpointError {}

/// A permanent refusal, returned again without asking the endpoint.
#[derive(Debug)]
struct Remembered(Arc<TokenEndpointError>);

impl fmt::Display for Remembered {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("the token endpoint refused this client permanently; not asking again")
    }
}

impl std::error::Error for Remembered {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        Some(self.0.as_ref())
    }
}
