//! The one HTTP client of the `oidc` feature: reqwest over rustls, a timeout
//! on connecting and on the whole request, no redirects, bodies bounded,
//! `https` required except for loopback, and plaintext never through a
//! proxy.

use std::time::Duration;

use super::ProviderError;

/// Bound on any response body read from a provider.
pub(crate) const MAX_BODY: usize = 1024 * 1024;
const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);
const REQUEST_TIMEOUT: Duration = Duration::from_secs(10);

/// The client: no redirects (a redirect could point a key fetch anywhere),
/// timeouts, rustls. Two reqwest clients: `https` requests may go through
/// the system proxy (`HTTPS_PROXY`, `ALL_PROXY`, `NO_PROXY`), which sees only
/// the encrypted stream; plaintext requests (loopback `http://` only) never
/// do, so a client secret in Basic auth cannot be read by a proxy.
/// Building it touches no network.
#[derive(Clone, Debug)]
pub(crate) struct Client {
    tls: reqwest::Client,
    plaintext: reqwest::Client,
}

impl Client {
    pub(crate) fn new() -> Result<Self, ProviderError> {
        let tls = tls_config()?;
        let builder = || {
            reqwest::Client::builder()
                .use_preconfigured_tls(tls.clone())
                .redirect(reqwest::redirect::Policy::none())
                .connect_timeout(CONNECT_TIMEOUT)
                .timeout(REQUEST_TIMEOUT)
        };
        Ok(Client {
            tls: builder().build().map_err(ProviderError::from)?,
            plaintext: builder().no_proxy().build().map_err(ProviderError::from)?,
        })
    }

    /// The reqwest client for `url`: the direct one unless it is `https`.
    fn for_url(&self, url: &reqwest::Url) -> &reqwest::Client {
        match url.scheme() {
            "https" => &self.tls,
            _ => &self.plaintext,
        }
    }

    /// Sends `request`, reading at most [`MAX_BODY`] bytes of the answer.
    pub(crate) async fn send(&self, request: reqwest::Request) -> Result<Response, ProviderError> {
        send(self.for_url(request.url()), request).await
    }

    /// GETs `url` as a JSON document: a 2xx status and a body that parses.
    pub(crate) async fn get_json<T: serde::de::DeserializeOwned>(
        &self,
        url: &reqwest::Url,
    ) -> Result<(T, Response), ProviderError> {
        let request = self
            .plaintext
            .get(url.clone())
            .header(reqwest::header::ACCEPT, "application/json")
            .build()
            .map_err(ProviderError::from)?;
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
    // What reqwest sets itself for HTTP/1.1 (it has no `http2` feature here).
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
pub(crate) fn checked_url(url: &str) -> Result<reqwest::Url, ProviderError> {
    let parsed =
        reqwest::Url::parse(url).map_err(|_| ProviderError::InvalidUrl { url: url.into() })?;
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
    pub(crate) status: reqwest::StatusCode,
    pub(crate) headers: reqwest::header::HeaderMap,
    pub(crate) body: Vec<u8>,
}

impl Response {
    /// `Cache-Control: max-age`, if the response has one.
    pub(crate) fn max_age(&self) -> Option<Duration> {
        let value = self
            .headers
            .get(reqwest::header::CACHE_CONTROL)?
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

/// Sends `request` on `client`, reading at most [`MAX_BODY`] bytes.
async fn send(
    client: &reqwest::Client,
    request: reqwest::Request,
) -> Result<Response, ProviderError> {
    let mut response = client.execute(request).await.map_err(ProviderError::from)?;
    if response
        .content_length()
        .is_some_and(|len| len > MAX_BODY as u64)
    {
        return Err(ProviderError::TooLarge { max: MAX_BODY });
    }
    let mut body = Vec::new();
    while let Some(chunk) = response.chunk().await.map_err(ProviderError::from)? {
        if body.len() + chunk.len() > MAX_BODY {
            return Err(ProviderError::TooLarge { max: MAX_BODY });
        }
        body.extend_from_slice(&chunk);
    }
    Ok(Response {
        status: response.status(),
        headers: std::mem::take(response.headers_mut()),
        body,
    })
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

    #[test]
    fn cache_control_max_age() {
        let response = |value: &str| Response {
            status: reqwest::StatusCode::OK,
            headers: {
                let mut h = reqwest::header::HeaderMap::new();
                h.insert(reqwest::header::CACHE_CONTROL, value.parse().unwrap());
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
