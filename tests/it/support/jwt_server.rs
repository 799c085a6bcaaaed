//! A real tonic server behind `BearerAuthLayer` + `JwtVerifier` on
//! 127.0.0.1, and tokens signed by jsonwebtoken, for the server-side tests.
#![allow(dead_code, unreachable_pub)]

use std::net::SocketAddr;
use std::pin::Pin;
use std::time::{SystemTime, UNIX_EPOCH};

use auth_error::server::{BearerAuthLayer, TokenVerifier, Verified};
use jsonwebtoken::{Algorithm, EncodingKey, Header, Validation};
use serde_json::{Value, json};
use tokio::sync::oneshot;
use tokio_stream::Stream;
use tonic::{Request, Response, Status};
use tonic_health::pb::health_server::{Health, HealthServer};
use tonic_health::pb::{HealthCheckRequest, HealthCheckResponse};

pub const SECRET: &[u8] = b"test-secret-of-the-bearer-auth-tests";
pub const AUDIENCE: &str = "orders-api";
pub const ISSUER: &str = "https://id.example.com/";
pub const CHECK: &str = "/grpc.health.v1.Health/Check";

pub fn now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

/// Claims of a good token: alice, an hour left, `orders.read`.
pub fn good_claims() -> Value {
    json!({
        "sub": "alice",
        "aud": AUDIENCE,
        "iss": ISSUER,
        "exp": now() + 3600,
        "jti": "jti-good",
        "scope": "orders.read profile",
    })
}

/// Makes jsonwebtoken's backend the one the crate uses before a test signs
/// anything: with both backend features on (`--all-features`), jsonwebtoken
/// chooses none by itself (the crate installs aws-lc-rs when it builds a
/// verifier, which may come after the test's first signature).
pub fn backend() {
    #[cfg(feature = "jwt-aws-lc")]
    let _ = jsonwebtoken::crypto::CryptoProvider::install_default(
        &jsonwebtoken::crypto::aws_lc::DEFAULT_PROVIDER,
    );
}

pub fn hs256(claims: &Value) -> String {
    backend();
    jsonwebtoken::encode(
        &Header::new(Algorithm::HS256),
        claims,
        &EncodingKey::from_secret(SECRET),
    )
    .unwrap()
}

pub fn es256(claims: &Value, pem: &[u8], kid: &str) -> String {
    backend();
    let mut header = Header::new(Algorithm::ES256);
    header.kid = Some(kid.into());
    jsonwebtoken::encode(&header, claims, &EncodingKey::from_ec_pem(pem).unwrap()).unwrap()
}

/// A compact JWS with `header` and `claims` and a signature of nobody: what
/// an attacker can send.
pub fn forged(header: &Value, claims: &Value) -> String {
    use base64::Engine as _;
    let b64 = base64::engine::general_purpose::URL_SAFE_NO_PAD;
    format!(
        "{}.{}.{}",
        b64.encode(header.to_string()),
        b64.encode(claims.to_string()),
        b64.encode([7u8; 96])
    )
}

pub fn validation(alg: Algorithm) -> Validation {
    let mut v = Validation::new(alg);
    v.set_audience(&[AUDIENCE]);
    v.set_issuer(&[ISSUER]);
    v.set_required_spec_claims(&["exp", "aud", "iss"]);
    v.validate_nbf = true;
    v.leeway = 0;
    v
}

/// The health service, whose `Check` answers with the verified subject in
/// the `x-subject` response header (read from the request's extensions, as
/// any tonic handler would) and whose `Watch` is unimplemented.
#[derive(Clone, Default)]
pub struct WhoAmI;

#[tonic::async_trait]
impl Health for WhoAmI {
    async fn check(
        &self,
        request: Request<HealthCheckRequest>,
    ) -> Result<Response<HealthCheckResponse>, Status> {
        let subject = request
            .extensions()
            .get::<Verified<Value>>()
            .and_then(|v| v.claims()["sub"].as_str().map(str::to_owned))
            .unwrap_or_else(|| "-".into());
        let mut response = Response::new(HealthCheckResponse { status: 1 });
        response
            .metadata_mut()
            .insert("x-subject", subject.parse().unwrap());
        Ok(response)
    }

    type WatchStream =
        Pin<Box<dyn Stream<Item = Result<HealthCheckResponse, Status>> + Send + 'static>>;

    async fn watch(
        &self,
        _request: Request<HealthCheckRequest>,
    ) -> Result<Response<Self::WatchStream>, Status> {
        Err(Status::unimplemented("watch is not served here"))
    }
}

pub struct Server {
    pub addr: SocketAddr,
    stop: Option<oneshot::Sender<()>>,
    task: tokio::task::JoinHandle<()>,
}

impl Server {
    /// The endpoint the channel connects to.
    pub fn uri(&self) -> http::Uri {
        format!("http://{}", self.addr).parse().unwrap()
    }

    pub async fn channel(&self) -> tonic::transport::Channel {
        tonic::transport::Channel::from_shared(format!("http://{}", self.addr))
            .unwrap()
            .connect()
            .await
            .unwrap()
    }

    pub async fn shutdown(mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        // A panic in the server task (a failed assertion in a handler, a
        // serve error) fails the test that started it.
        if let Err(err) = self.task.await
            && err.is_panic()
        {
            std::panic::resume_unwind(err.into_panic());
        }
    }
}

/// Serves `WhoAmI` behind `layer`, or with no layer at all.
pub async fn start<V: TokenVerifier<Claims = Value>>(layer: Option<BearerAuthLayer<V>>) -> Server {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let incoming = tonic::transport::server::TcpIncoming::from(listener).with_nodelay(Some(true));
    let (stop, stopped) = oneshot::channel::<()>();
    let shutdown = async {
        let _ = stopped.await;
    };
    let task = match layer {
        Some(layer) => tokio::spawn(async move {
            tonic::transport::Server::builder()
                .layer(layer)
                .add_service(HealthServer::new(WhoAmI))
                .serve_with_incoming_shutdown(incoming, shutdown)
                .await
                .unwrap();
        }),
        None => tokio::spawn(async move {
            tonic::transport::Server::builder()
                .add_service(HealthServer::new(WhoAmI))
                .serve_with_incoming_shutdown(incoming, shutdown)
                .await
                .unwrap();
        }),
    };
    Server {
        addr,
        stop: Some(stop),
        task,
    }
}

/// Calls `Check` with `authorization` (if any); the subject on success.
pub async fn check(
    channel: tonic::transport::Channel,
    authorization: Option<&str>,
) -> Result<String, Status> {
    let mut client = tonic_health::pb::health_client::HealthClient::new(channel);
    let mut request = Request::new(HealthCheckRequest::default());
    if let Some(value) = authorization {
        request
            .metadata_mut()
            .insert("authorization", value.parse().unwrap());
    }
    let response = client.check(request).await?;
    Ok(response
        .metadata()
        .get("x-subject")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned())
}
