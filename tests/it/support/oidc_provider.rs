//! A real OpenID provider for the tests: node `oidc-provider` 8.8.1 (pinned
//! in `package.json`), run from `tests/oidc/provider.mjs` on 127.0.0.1,
//! issuing ES256 JWT access tokens with the client-credentials grant.
#![allow(dead_code, unreachable_pub)]

use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

pub const RESOURCE: &str = "https://api.example.test";

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// Checks that node and `oidc-provider` are installed; panics saying what to
/// run when they are not. The tests that need them are `#[ignore]`d under a
/// plain `cargo test`; `bash scripts/test.sh` installs both and runs them.
pub fn require_installed() {
    let installed = root()
        .join("node_modules/oidc-provider/package.json")
        .exists()
        && Command::new("node")
            .arg("--version")
            .output()
            .is_ok_and(|o| o.status.success());
    assert!(
        installed,
        "this test needs node and the npm package oidc-provider: run `bash scripts/test.sh` \
         (it runs `npm ci`), or `npm ci` in the repository root"
    );
}

/// A reqwest client for the test's own calls to the provider (plain http on
/// loopback; reqwest without a TLS feature, as another crate in a user's
/// graph would have it: the crate must not change how it builds).
fn http_client() -> reqwest::Client {
    reqwest::Client::new()
}

/// Sends `request` and parses the answer as JSON.
async fn json(request: reqwest::RequestBuilder) -> serde_json::Value {
    let body = request.send().await.unwrap().bytes().await.unwrap();
    serde_json::from_slice(&body).unwrap()
}

/// A running provider; stopped (SIGTERM, then waited for) when dropped.
pub struct Provider {
    child: Child,
    pub port: u16,
    pub issuer: String,
}

impl Provider {
    /// Starts a provider signing with a fresh key named `kid`, tokens living
    /// `ttl` seconds, on `port` (0: any free port).
    pub fn start(kid: &str, ttl: u64, port: u16) -> Provider {
        Provider::start_as(kid, ttl, port, "jwt")
    }

    /// Starts a provider issuing opaque access tokens (checked at its
    /// introspection endpoint), tokens living `ttl` seconds.
    pub fn start_opaque(ttl: u64) -> Provider {
        Provider::start_as("k1", ttl, 0, "opaque")
    }

    /// A provider issuing DPoP-bound JWTs to clients that send a proof;
    /// with `nonce`, its token endpoint requires its DPoP nonce.
    #[allow(dead_code)]
    pub fn start_dpop(nonce: bool) -> Provider {
        Provider::start_with("k1", 300, 0, "jwt", if nonce { "nonce" } else { "on" })
    }

    fn start_as(kid: &str, ttl: u64, port: u16, format: &str) -> Provider {
        Provider::start_with(kid, ttl, port, format, "off")
    }

    fn start_with(kid: &str, ttl: u64, port: u16, format: &str, dpop: &str) -> Provider {
        let mut child = Command::new("node")
            .arg(root().join("tests/oidc/provider.mjs"))
            .env("PORT", port.to_string())
            .env("KID", kid)
            .env("TTL", ttl.to_string())
            .env("RESOURCE", RESOURCE)
            .env("FORMAT", format)
            .env("DPOP", dpop)
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("node runs");
        let stdout = child.stdout.take().unwrap();
        let mut line = String::new();
        BufReader::new(stdout)
            .read_line(&mut line)
            .expect("the provider prints LISTENING <port>");
        let port: u16 = line
            .trim()
            .strip_prefix("LISTENING ")
            .and_then(|p| p.parse().ok())
            .unwrap_or_else(|| panic!("the provider did not start: {line:?}"));
        Provider {
            child,
            port,
            issuer: format!("http://127.0.0.1:{port}"),
        }
    }

    /// Stops this provider and starts another on the same port (so the same
    /// issuer) signing with a new key `kid`: a key rotation.
    pub fn rotate(self, kid: &str, ttl: u64) -> Provider {
        let port = self.port;
        drop(self);
        let deadline = std::time::Instant::now() + Duration::from_secs(30);
        loop {
            // The port may take a moment to be free again.
            let attempt = std::panic::catch_unwind(|| Provider::start(kid, ttl, port));
            match attempt {
                Ok(provider) => return provider,
                Err(_) if std::time::Instant::now() < deadline => {
                    std::thread::sleep(Duration::from_millis(100))
                }
                Err(e) => std::panic::resume_unwind(e),
            }
        }
    }

    /// Requests seen by `/jwks` and `/token` since this provider started.
    pub async fn counts(&self) -> (u64, u64) {
        let counts = json(http_client().get(format!("{}/__counts", self.issuer))).await;
        (
            counts["jwks"].as_u64().unwrap(),
            counts["token"].as_u64().unwrap(),
        )
    }

    /// Requests seen by `/token/introspection` since this provider started.
    pub async fn introspections(&self) -> u64 {
        let counts = json(http_client().get(format!("{}/__counts", self.issuer))).await;
        counts["introspection"].as_u64().unwrap()
    }

    /// Revokes `token` at the revocation endpoint (RFC 7009) as `client`.
    pub async fn revoke(&self, client: (&str, &str), token: &str) {
        let response = http_client()
            .post(format!("{}/token/revocation", self.issuer))
            .basic_auth(client.0, Some(client.1))
            .form(&[("token", token), ("token_type_hint", "access_token")])
            .send()
            .await
            .unwrap();
        assert!(
            response.status().is_success(),
            "revocation: {}",
            response.status()
        );
    }

    /// A token for client `svc-a` with `scope`, straight from the token
    /// endpoint (no crate code involved).
    pub async fn token(&self, client: (&str, &str), scope: &str) -> String {
        let request = http_client()
            .post(format!("{}/token", self.issuer))
            .basic_auth(client.0, Some(client.1))
            .form(&[
                ("grant_type", "client_credentials"),
                ("scope", scope),
                ("resource", RESOURCE),
            ]);
        let response = json(request).await;
        response["access_token"]
            .as_str()
            .unwrap_or_else(|| panic!("no token: {response}"))
            .to_owned()
    }
}

impl Drop for Provider {
    fn drop(&mut self) {
        // SIGTERM to node itself (not a shell), then wait: no orphan.
        let _ = Command::new("kill")
            .arg(self.child.id().to_string())
            .status();
        let _ = self.child.wait();
    }
}
