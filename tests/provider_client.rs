//! The identity-provider client's limits (feature `oidc`), against loopback
//! servers that misbehave on purpose: the 10 s total timeout (the 5 s
//! connect timeout needs a peer that drops SYNs, which loopback never does), no redirect followed, the 1 MiB body limit (declared and
//! streamed), plaintext never through a proxy, and token-response errors
//! that quote nothing from the response.
#![cfg(all(
    feature = "oidc",
    any(feature = "jwt-aws-lc", feature = "jwt-rust-crypto")
))]

#[path = "it/support/jwt_server.rs"]
mod jwt_server;
#[path = "it/support/key_server.rs"]
mod key_server;

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use auth_error::client::TokenSource;
use auth_error::jwt::JwtVerifier;
use auth_error::oauth::ClientCredentials;
use auth_error::oidc::ProviderError;
use auth_error::server::{Rejection, TokenVerifier};
use jsonwebtoken::{Algorithm, Validation};
use jwt_server::{es256, now};
use key_server::{KEY_A, KeyServer, public_jwk};
use serde_json::json;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

/// A loopback server that answers every connection with `response` (raw
/// HTTP/1.1 bytes, `None`: accepts and never answers), counting
/// connections.
async fn raw_server(response: Option<Vec<u8>>) -> (String, Arc<AtomicUsize>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let connections = Arc::new(AtomicUsize::new(0));
    let seen = connections.clone();
    tokio::spawn(async move {
        loop {
            let Ok((mut stream, _)) = listener.accept().await else {
                return;
            };
            seen.fetch_add(1, Ordering::SeqCst);
            let response = response.clone();
            tokio::spawn(async move {
                let mut buf = [0u8; 4096];
                let _ = stream.read(&mut buf).await;
                match response {
                    Some(bytes) => {
                        let _ = stream.write_all(&bytes).await;
                        let _ = stream.shutdown().await;
                    }
                    None => {
                        // Hold the connection open, silent.
                        tokio::time::sleep(Duration::from_secs(3600)).await;
                        drop(stream);
                    }
                }
            });
        }
    });
    (url, connections)
}

/// The provider error behind a client-credentials fetch.
async fn token_error(url: &str) -> ProviderError {
    let source = ClientCredentials::new(&format!("{url}/token"), "svc", "s3cret-value").unwrap();
    let err = source.fetch().await.unwrap_err();
    match err.downcast::<ProviderError>() {
        Ok(err) => *err,
        Err(other) => panic!("not a provider error: {other:?}"),
    }
}

#[tokio::test(start_paused = true)]
async fn a_provider_that_never_answers_times_out_after_10_s() {
    let (url, _) = raw_server(None).await;
    let started = tokio::time::Instant::now();
    let err = token_error(&url).await;
    let elapsed = started.elapsed();
    assert!(
        matches!(&err, ProviderError::Request(e) if e.is_timeout()),
        "{err:?}"
    );
    // Virtual time: exactly the total timeout, not the connect one.
    assert!(
        (Duration::from_secs(10)..Duration::from_secs(11)).contains(&elapsed),
        "{elapsed:?}"
    );
}

#[tokio::test]
async fn redirects_are_never_followed() {
    let keys = KeyServer::start(vec![public_jwk(KEY_A, "a")]).await;
    let redirect = format!(
        "HTTP/1.1 302 Found\r\nlocation: {}/jwks\r\ncontent-length: 0\r\nconnection: close\r\n\r\n",
        keys.issuer
    );
    let (url, _) = raw_server(Some(redirect.into_bytes())).await;
    let mut validation = Validation::new(Algorithm::ES256);
    validation.set_audience(&["api"]);
    let verifier = JwtVerifier::from_jwks_url(&format!("{url}/jwks"), validation).unwrap();
    let token = es256(&json!({"aud": "api", "exp": now() + 60}), KEY_A, "a");
    let result = verifier.verify(&token).await;
    assert!(
        !matches!(result, Ok(_) | Err(Rejection::Auth(_))),
        "{result:?}"
    );
    assert_eq!(keys.jwks_fetches(), 0, "the redirect was followed");
    let err = token_error(&url).await;
    assert!(
        matches!(
            err,
            ProviderError::InvalidDocument { .. } | ProviderError::Status { .. }
        ),
        "{err:?}"
    );
}

#[tokio::test]
async fn bodies_over_1_mib_are_refused_declared_or_streamed() {
    let declared = b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: 2000000\r\nconnection: close\r\n\r\n{".to_vec();
    let mut streamed = b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ntransfer-encoding: chunked\r\nconnection: close\r\n\r\n".to_vec();
    let chunk = vec![b' '; 64 * 1024];
    for _ in 0..17 {
        streamed.extend_from_slice(format!("{:x}\r\n", chunk.len()).as_bytes());
        streamed.extend_from_slice(&chunk);
        streamed.extend_from_slice(b"\r\n");
    }
    streamed.extend_from_slice(b"0\r\n\r\n");
    for response in [declared, streamed] {
        let (url, _) = raw_server(Some(response)).await;
        let err = token_error(&url).await;
        assert!(
            matches!(err, ProviderError::TooLarge { max: 1_048_576, .. }),
            "{err:?}"
        );
    }
}

#[tokio::test]
async fn plaintext_requests_never_go_through_a_proxy() {
    let (proxy, proxied) = raw_server(Some(
        b"HTTP/1.1 502 Bad Gateway\r\ncontent-length: 0\r\n\r\n".to_vec(),
    ))
    .await;
    // SAFETY: set before any client of this test is built; the other tests
    // of this file expect plaintext loopback requests to go direct anyway.
    unsafe {
        std::env::set_var("HTTP_PROXY", &proxy);
        std::env::set_var("http_proxy", &proxy);
        std::env::set_var("ALL_PROXY", &proxy);
    }
    let keys = KeyServer::start(vec![public_jwk(KEY_A, "a")]).await;
    let mut validation = Validation::new(Algorithm::ES256);
    validation.set_audience(&["api"]);
    let verifier = JwtVerifier::from_issuer(&keys.issuer, validation).unwrap();
    let token = es256(
        &json!({"iss": keys.issuer, "aud": "api", "exp": now() + 60}),
        KEY_A,
        "a",
    );
    assert!(verifier.verify(&token).await.is_ok());
    let source = ClientCredentials::from_issuer(&keys.issuer, "svc", "s3cret-value").unwrap();
    assert_eq!(source.fetch().await.unwrap().secret(), "t-1");
    assert_eq!(
        proxied.load(Ordering::SeqCst),
        0,
        "a plaintext request went through the proxy"
    );
    assert_eq!(keys.counts(), (2, 1, 1));
}

#[tokio::test]
async fn a_token_response_that_does_not_fit_quotes_nothing_from_it() {
    let keys = KeyServer::start(vec![]).await;
    keys.set_token_response(json!({
        "access_token": "at-SECRET-1",
        "token_type": "Bearer",
        "expires_in": "SECRET-not-a-number",
    }));
    let source = ClientCredentials::from_issuer(&keys.issuer, "svc", "s3cret-value").unwrap();
    let err = source.fetch().await.unwrap_err();
    let shown = format!("{err} {err:?}");
    assert!(!shown.contains("SECRET"), "{shown}");
    assert!(shown.contains("expires_in"), "the path is kept: {shown}");
}

#[tokio::test]
async fn client_credentials_send_scope_and_resource() {
    let keys = KeyServer::start(vec![]).await;
    let source = ClientCredentials::from_issuer(&keys.issuer, "svc", "s3cret-value")
        .unwrap()
        .with_scopes(["orders.read", "orders.write"])
        .with_resource("https://api.example.test");
    source.fetch().await.unwrap();
    let forms = keys.token_forms();
    assert_eq!(forms.len(), 1);
    let form: Vec<(String, String)> = url_decode(&forms[0]);
    assert!(
        form.contains(&("grant_type".into(), "client_credentials".into())),
        "{form:?}"
    );
    assert!(
        form.contains(&("scope".into(), "orders.read orders.write".into())),
        "{form:?}"
    );
    assert!(
        form.contains(&("resource".into(), "https://api.example.test".into())),
        "{form:?}"
    );
}

fn url_decode(form: &str) -> Vec<(String, String)> {
    let decode = |s: &str| {
        let s = s.replace('+', " ");
        let mut out = Vec::new();
        let bytes = s.as_bytes();
        let mut i = 0;
        while i < bytes.len() {
            if bytes[i] == b'%' && i + 2 < bytes.len() {
                out.push(u8::from_str_radix(&s[i + 1..i + 3], 16).unwrap());
                i += 3;
            } else {
                out.push(bytes[i]);
                i += 1;
            }
        }
        String::from_utf8(out).unwrap()
    };
    form.split('&')
        .filter_map(|pair| pair.split_once('='))
        .map(|(k, v)| (decode(k), decode(v)))
        .collect()
}
