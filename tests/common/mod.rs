//! Shared by the loopback tests: a real tonic server on 127.0.0.1 whose
//! interceptor rejects each call with the code named in its `x-reject-with`
//! metadata, protecting the standard health service.
#![allow(dead_code, unreachable_pub)]

use std::net::SocketAddr;

use auth_error::server::DrainRejectedLayer;
use auth_error::{AuthError, AuthErrorCode};
use tokio::net::TcpListener;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;
use tonic::service::interceptor::InterceptedService;
use tonic::transport::server::TcpIncoming;
use tonic::transport::{Channel, Server};
use tonic::{Request, Status};
use tonic_health::pb::HealthCheckRequest;
use tonic_health::pb::health_client::HealthClient;

pub struct TestServer {
    pub addr: SocketAddr,
    stop: Option<oneshot::Sender<()>>,
    handle: Option<JoinHandle<Result<(), tonic::transport::Error>>>,
}

impl TestServer {
    pub async fn shutdown(mut self) {
        self.stop.take().unwrap().send(()).ok();
        self.handle.take().unwrap().await.unwrap().unwrap();
    }

    pub async fn channel(&self) -> Channel {
        Channel::from_shared(format!("http://{}", self.addr))
            .unwrap()
            .connect()
            .await
            .unwrap()
    }
}

/// The error the server sends for `code`: message and metadata derived from
/// the code, so the client can check them.
pub fn error_for(code: AuthErrorCode) -> AuthError {
    AuthError::new(code)
        .with_message(format!("rejected: {} — ünïcödé ✓", code.reason()))
        .with_metadata("number", code.number().to_string())
        .with_metadata("tenantId", "acme")
}

#[allow(clippy::result_large_err)]
fn reject(req: Request<()>) -> Result<Request<()>, Status> {
    let Some(value) = req.metadata().get("x-reject-with") else {
        return Ok(req);
    };
    let code: AuthErrorCode = value
        .to_str()
        .ok()
        .and_then(|v| v.parse().ok())
        .ok_or_else(|| Status::invalid_argument("bad x-reject-with"))?;
    Err(error_for(code).try_into_status().expect("valid error"))
}

pub async fn start(drain: bool) -> TestServer {
    start_with(drain, None).await
}

/// `conn_window`: the server's HTTP/2 connection window (h2's small-DATA
/// budget is max(window / 2, 25,600) units).
pub async fn start_with(drain: bool, conn_window: Option<u32>) -> TestServer {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let (_reporter, health) = tonic_health::server::health_reporter();
    let (tx, rx) = oneshot::channel::<()>();
    let svc = InterceptedService::new(health, reject);
    let shutdown = async {
        rx.await.ok();
    };
    let incoming = TcpIncoming::from(listener).with_nodelay(Some(true));
    let handle = if drain {
        tokio::spawn(
            Server::builder()
                .layer(DrainRejectedLayer::default())
                .add_service(svc)
                .serve_with_incoming_shutdown(incoming, shutdown),
        )
    } else {
        tokio::spawn(
            Server::builder()
                .initial_connection_window_size(conn_window)
                .add_service(svc)
                .serve_with_incoming_shutdown(incoming, shutdown),
        )
    };
    TestServer {
        addr,
        stop: Some(tx),
        handle: Some(handle),
    }
}

/// One call asking to be rejected with `code` (or accepted, for `None`).
pub async fn call(channel: Channel, code: Option<AuthErrorCode>) -> Result<(), Status> {
    let mut client = HealthClient::new(channel);
    let mut req = Request::new(HealthCheckRequest::default());
    if let Some(code) = code {
        req.metadata_mut()
            .insert("x-reject-with", code.reason().parse().unwrap());
    }
    client.check(req).await.map(drop)
}
