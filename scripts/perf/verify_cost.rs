//! Instructions of one ES256 verification by `JwtVerifier`, with the key
//! handed over (`JwtVerifier::new`) and with the key from a fetched key set
//! (`JwtVerifier::from_jwks_url`, keys already held), for
//! `scripts/perf/verify_ratio.sh` (callgrind). Usage:
//! `verify_cost <static|remote> <n>`: n verifications after one warm-up.

use std::time::{SystemTime, UNIX_EPOCH};

use auth_error::jwt::JwtVerifier;
use auth_error::server::TokenVerifier;
use jsonwebtoken::jwk::Jwk;
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

const PEM: &[u8] = include_bytes!("../../tests/data/keys/es256-a.pem");
const PUB: &[u8] = include_bytes!("../../tests/data/keys/es256-a.pub.pem");

/// Serves `body` as JSON to every connection (a key set endpoint).
async fn serve(body: String) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        while let Ok((mut socket, _)) = listener.accept().await {
            let body = body.clone();
            tokio::spawn(async move {
                let mut buf = [0u8; 4096];
                let _ = socket.read(&mut buf).await;
                let response = format!(
                    "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
                    body.len()
                );
                let _ = socket.write_all(response.as_bytes()).await;
            });
        }
    });
    format!("http://{addr}/jwks")
}

fn main() {
    let mut args = std::env::args().skip(1);
    let mode = args.next().unwrap_or_else(|| "static".into());
    let n: usize = args.next().and_then(|n| n.parse().ok()).unwrap_or(1000);
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let mut validation = Validation::new(Algorithm::ES256);
    validation.set_audience(&["orders-api"]);
    validation.set_issuer(&["https://id.example.com"]);
    let exp = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs()
        + 3600;
    let claims = serde_json::json!({
        "sub": "alice", "aud": "orders-api", "iss": "https://id.example.com",
        "exp": exp, "scope": "orders.read",
    });
    let mut header = Header::new(Algorithm::ES256);
    header.kid = Some("a".into());
    let token =
        jsonwebtoken::encode(&header, &claims, &EncodingKey::from_ec_pem(PEM).unwrap()).unwrap();
    rt.block_on(async {
        let verifier = match mode.as_str() {
            "remote" => {
                let mut jwk = Jwk::from_encoding_key(
                    &EncodingKey::from_ec_pem(PEM).unwrap(),
                    Algorithm::ES256,
                )
                .unwrap();
                jwk.common.key_id = Some("a".into());
                let url = serve(serde_json::json!({ "keys": [jwk] }).to_string()).await;
                JwtVerifier::from_jwks_url(&url, validation).unwrap()
            }
            _ => JwtVerifier::new(DecodingKey::from_ec_pem(PUB).unwrap(), validation)
                .add_key("a", DecodingKey::from_ec_pem(PUB).unwrap()),
        };
        // Warm-up: the remote verifier fetches its keys here.
        verifier.verify(&token).await.expect("verified");
        for _ in 0..n {
            std::hint::black_box(verifier.verify(std::hint::black_box(&token)).await.unwrap());
        }
    });
}
