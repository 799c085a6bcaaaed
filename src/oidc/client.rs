//! The one HTTP client of the `oidc` feature: HTTP/1.1 on hyper, TLS by
//! tokio-rustls on aws-lc-rs with the Mozilla roots, a timeout on connecting
//! and on the whole request, no redirects, bodies bounded, `https` required
//! except for loopback, and plaintext never through a proxy.
//!
//! Why not reqwest: reqwest 0.12 chooses its TLS for every client in the
//! process from Cargo features, so turning on its rustls (as this crate
//! did) made any other crate's `reqwest::Client::new()` without a TLS
//! feature of its own build on rustls with no crypto provider and panic.
//! This client touches nothing shared: its TLS configuration is its own,
//! with an explicit provider, and no process-wide provider is installed.

use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use http_body_util::{BodyExt, Full, Limited};
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::client::legacy::connect::proxy::Tunnel;
use hyper_util::client::proxy::matcher::Matcher;
use hyper_util::rt::TokioIo;
use tower_service::Service as _;
use url::Url;

use super::{ProviderError, RequestError};

/// Bound on any response body read from a provider.
pub(crate) const MAX_BODY: usize = 1024 * 1024;
const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);
const REQUEST_TIMEOUT: Duration = Duration::from_secs(10);

/// The client: no redirects (a redirect could point a key fetch anywhere),
/// timeouts, TLS with this crate's own configuration. `https` requests may
/// go through the proxy the environment names (`HTTPS_PROXY`, `ALL_PROXY`,
/// `NO_PROXY`, as curl and reqwest read them), which sees only the
/// encrypted stream (a `CONNECT` tunnel); plaintext requests (loopback
/// `http://` only) never do, so a client secret in Basic auth cannot be
/// read by a proxy. One connection per request (the provider is asked
/// rarely: key sets are cached, tokens refreshed ahead of expiry). Building
/// it touches no network.
#[derive(Clone)]
pub(crate) struct Client {
    tls: tokio_rustls::TlsConnector,
    proxy: Arc<Matcher>,
}

impl std::fmt::Debug for Client {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Client").finish_non_exhaustive()
    }
}

impl Client {
    pub(crate) fn new() -> Result<Self, ProviderError> {
        Ok(Client {
            tls: tokio_rustls::TlsConnector::from(Arc::new(tls_config()?)),
            proxy: Arc::new(Matcher::from_env()),
        })
    }

    /// Sends `request` (its URI absolute), reading at most [`MAX_BODY`]
    /// bytes of the answer; the whole exchange within the request timeout.
    pub(crate) async fn send(
        &self,
        request: ::http::Request<Vec<u8>>,
    ) -> Result<Response, ProviderError> {
        match tokio::time::timeout(REQUEST_TIMEOUT, self.exchange(request)).await {
            Ok(result) => result,
            Err(_) => Err(RequestError::timeout().into()),
        }
    }

    async fn exchange(&self, request: ::http::Request<Vec<u8>>) -> Result<Response, ProviderError> {
        let uri = request.uri().clone();
        let host = uri.host().ok_or_else(|| ProviderError::InvalidUrl {
            url: uri.to_string(),
        })?;
        let (parts, body) = request.into_parts();
        let mut request = ::http::Request::from_parts(parts, Full::new(Bytes::from(body)));
        // HTTP/1.1 sends the path and a Host header, not the absolute URI.
        let authority = uri
            .authority()
            .map(|a| a.as_str().to_owned())
            .unwrap_or_default();
        if !request.headers().contains_key(::http::header::HOST) {
            let value = ::http::HeaderValue::from_str(&authority).map_err(|_| {
                ProviderError::InvalidUrl {
                    url: uri.to_string(),
                }
            })?;
            request.headers_mut().insert(::http::header::HOST, value);
        }
        *request.uri_mut() = uri
            .path_and_query()
            .map_or_else(|| "/".parse(), |p| p.as_str().parse())
            .map_err(|_| ProviderError::InvalidUrl {
                url: uri.to_string(),
            })?;
        let response = match uri.scheme_str() {
            Some("https") => {
                let tcp = tokio::time::timeout(CONNECT_TIMEOUT, self.connect_tls_tcp(&uri))
                    .await
                    .map_err(|_| RequestError::timeout())??;
                let name = rustls::pki_types::ServerName::try_from(
                    host.trim_start_matches('[')
                        .trim_end_matches(']')
                        .to_owned(),
                )
                .map_err(|_| ProviderError::InvalidUrl {
                    url: uri.to_string(),
                })?;
                let tls = tokio::time::timeout(CONNECT_TIMEOUT, self.tls.connect(name, tcp))
                    .await
                    .map_err(|_| RequestError::timeout())?
                    .map_err(RequestError::tls)?;
                exchange(TokioIo::new(tls), request).await?
            }
            _ => {
                let mut connector = HttpConnector::new();
                connector.set_connect_timeout(Some(CONNECT_TIMEOUT));
                let tcp = connector
                    .call(uri.clone())
                    .await
                    .map_err(RequestError::connect)?;
                exchange(tcp, request).await?
            }
        };
        Ok(response)
    }

    /// A TCP stream to `uri`'s host, directly or through the environment's
    /// proxy (an HTTP `CONNECT` tunnel).
    async fn connect_tls_tcp(
        &self,
        uri: &::http::Uri,
    ) -> Result<tokio::net::TcpStream, ProviderError> {
        let mut connector = HttpConnector::new();
        connector.enforce_http(false);
        connector.set_connect_timeout(Some(CONNECT_TIMEOUT));
        let io = match self.proxy.intercept(uri) {
            Some(intercept) => {
                let mut tunnel = Tunnel::new(intercept.uri().clone(), connector);
                if let Some(auth) = intercept.basic_auth() {
                    tunnel = tunnel.with_auth(auth.clone());
                }
                tunnel
                    .call(uri.clone())
                    .await
                    .map_err(RequestError::connect)?
            }
            None => connector
                .call(uri.clone())
                .await
                .map_err(RequestError::connect)?,
        };
        Ok(io.into_inner())
    }

    /// GETs `url` as a JSON document: a 2xx status and a body that parses.
    pub(crate) async fn get_json<T: serde::de::DeserializeOwned>(
        &self,
        url: &Url,
    ) -> Result<(T, Response), ProviderError> {
        let request = ::http::Request::get(url.as_str())
            .header(::http::header::ACCEPT, "application/json")
            .body(Vec::new())
            .map_err(|_| ProviderError::InvalidUrl {
                url: url.to_string(),
            })?;
        let response = self.send(request).await?;
        if !response.status.is_success() {
            return Err(ProviderError::Status {
                status: response.status.as_u16(),
            });
        }
        let document =
            serde_json::from_slice(&response.body).map_err(|e| ProviderError::InvalidDocument {
                what: format!(
                    "{:?} error at line {}, column {}",
                    e.classify(),
                    e.line(),
                    e.column()
                ),
            })?;
        Ok((document, response))
    }
}

/// One HTTP/1.1 exchange on `io`: the request, then the response's head and
/// at most [`MAX_BODY`] bytes of its body. Redirects are answers like any
/// other (never followed).
async fn exchange<I>(
    io: I,
    request: ::http::Request<Full<Bytes>>,
) -> Result<Response, ProviderError>
where
    I: hyper::rt::Read + hyper::rt::Write + Unpin + Send + 'static,
{
    let (mut sender, connection) = hyper::client::conn::http1::handshake(io)
        .await
        .map_err(RequestError::protocol)?;
    let driver = tokio::spawn(async move {
        let _ = connection.await;
    });
    let response = sender
        .send_request(request)
        .await
        .map_err(RequestError::protocol);
    let response = match response {
        Ok(response) => response,
        Err(err) => {
            driver.abort();
            return Err(err.into());
        }
    };
    let (parts, body) = response.into_parts();
    // A declared length past the bound is refused before reading.
    if ::http_body::Body::size_hint(&body).lower() > MAX_BODY as u64 {
        driver.abort();
        return Err(ProviderError::TooLarge { max: MAX_BODY });
    }
    let body = Limited::new(body, MAX_BODY).collect().await;
    driver.abort();
    let body = match body {
        Ok(collected) => collected.to_bytes().to_vec(),
        Err(err) if err.is::<http_body_util::LengthLimitError>() => {
            return Err(ProviderError::TooLarge { max: MAX_BODY });
        }
        Err(err) => return Err(RequestError::body(err).into()),
    };
    Ok(Response {
        status: parts.status,
        headers: parts.headers,
        body,
    })
}

/// rustls on aws-lc-rs (the crypto library the JWTs use too), with the
/// Mozilla roots of `webpki-roots`: no process-wide provider is installed
/// or required (an application's own stays its own), and nothing depends
/// on the machine's certificate store.
fn tls_config() -> Result<rustls::ClientConfig, ProviderError> {
    let provider = rustls::crypto::CryptoProvider::get_default()
        .cloned()
        .unwrap_or_else(|| std::sync::Arc::new(rustls::crypto::aws_lc_rs::default_provider()));
    let roots = rustls::RootCertStore {
        roots: webpki_roots::TLS_SERVER_ROOTS.to_vec(),
    };
    let mut config = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| ProviderError::InvalidDocument {
            what: format!("TLS configuration: {e}"),
        })?
        .with_root_certificates(roots)
        .with_no_client_auth();
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok(config)
}

/// Whether `host` (as in a URL, IPv6 in brackets) is a loopback address.
pub(crate) fn is_loopback(host: &str) -> bool {
    let host = host.trim_start_matches('[').trim_end_matches(']');
    host.eq_ignore_ascii_case("localhost")
        || host
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback())
}

/// `url`, if it is `https`, or `http` to a loopback address.
pub(crate) fn checked_url(url: &str) -> Result<Url, ProviderError> {
    let parsed = Url::parse(url).map_err(|_| ProviderError::InvalidUrl { url: url.into() })?;
    let host = parsed
        .host_str()
        .ok_or_else(|| ProviderError::InvalidUrl { url: url.into() })?;
    match parsed.scheme() {
        "https" => Ok(parsed),
        "http" if is_loopback(host) => Ok(parsed),
        "http" => Err(ProviderError::InsecureUrl { url: url.into() }),
        _ => Err(ProviderError::InvalidUrl { url: url.into() }),
    }
}

/// A response: status, `Cache-Control: max-age`, and the body (at most
/// [`MAX_BODY`] bytes).
pub(crate) struct Response {
    pub(crate) status: ::http::StatusCode,
    pub(crate) headers: ::http::HeaderMap,
    pub(crate) body: Vec<u8>,
}

impl Response {
    /// `Cache-Control: max-age`, if the response has one.
    pub(crate) fn max_age(&self) -> Option<Duration> {
        let value = self
            .headers
            .get(::http::header::CACHE_CONTROL)?
            .to_str()
            .ok()?;
        value.split(',').find_map(|directive| {
            let (name, secs) = directive.trim().split_once('=')?;
            name.eq_ignore_ascii_case("max-age")
                .then(|| secs.trim().parse().ok())
                .flatten()
                .map(Duration::from_secs)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_https_or_loopback_http() {
        for ok in [
            "https://id.example.com",
            "https://id.example.com/realms/a",
            "http://127.0.0.1:8080",
            "http://127.1.2.3",
            "http://[::1]:80/x",
            "http://localhost:3000",
        ] {
            assert!(checked_url(ok).is_ok(), "{ok}");
        }
        for insecure in ["http://id.example.com", "http://10.0.0.1", "http://[::2]"] {
            assert!(
                matches!(
                    checked_url(insecure),
                    Err(ProviderError::InsecureUrl { .. })
                ),
                "{insecure}"
            );
        }
        for invalid in ["", "id.example.com", "ftp://id.example.com", "https://"] {
            assert!(
                matches!(checked_url(invalid), Err(ProviderError::InvalidUrl { .. })),
                "{invalid}"
            );
        }
    }

    /// An `https` request goes through the proxy as a `CONNECT` tunnel (the
    /// proxy sees the host and port, never the request); a refused tunnel
    /// is a connection error, not an answer.
    #[tokio::test]
    async fn https_goes_through_the_proxy_as_a_connect_tunnel() {
        use tokio::io::{AsyncReadExt, AsyncWriteExt};
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let proxy = format!("http://{}", listener.local_addr().unwrap());
        let seen = tokio::spawn(async move {
            let (mut stream, _) = listener.accept().await.unwrap();
            let mut head = vec![0u8; 1024];
            let n = stream.read(&mut head).await.unwrap();
            stream
                .write_all(b"HTTP/1.1 403 Forbidden\r\ncontent-length: 0\r\n\r\n")
                .await
                .unwrap();
            String::from_utf8_lossy(&head[..n]).into_owned()
        });
        let mut client = Client::new().unwrap();
        client.proxy = Arc::new(Matcher::builder().https(proxy).build());
        let url = checked_url("https://id.example.com/.well-known/jwks.json").unwrap();
        let Err(err) = client.get_json::<serde_json::Value>(&url).await else {
            panic!("the proxy refused the tunnel");
        };
        assert!(
            matches!(&err, ProviderError::Request(e) if e.is_connect()),
            "{err:?}"
        );
        let head = seen.await.unwrap();
        assert!(
            head.starts_with("CONNECT id.example.com:443 HTTP/1.1\r\n"),
            "{head:?}"
        );
        assert!(
            !head.contains("jwks"),
            "the proxy never sees the path: {head:?}"
        );
    }

    #[test]
    fn cache_control_max_age() {
        let response = |value: &str| Response {
            status: ::http::StatusCode::OK,
            headers: {
                let mut h = ::http::HeaderMap::new();
                h.insert(::http::header::CACHE_CONTROL, value.parse().unwrap());
                h
            },
            body: Vec::new(),
        };
        assert_eq!(
            response("public, max-age=300, must-revalidate").max_age(),
            Some(Duration::from_secs(300))
        );
        assert_eq!(response("MAX-AGE = 7").max_age(), None);
        assert_eq!(
            response("max-age=7").max_age(),
            Some(Duration::from_secs(7))
        );
        assert_eq!(response("no-store").max_age(), None);
        assert_eq!(response("max-age=-1").max_age(), None);
    }
}
