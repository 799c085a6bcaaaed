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
        .with_message(format!("rejected: {} — ünïcödé ✓", code.as_str_name()))
        .with_metadata("number", i32::from(code).to_string())
        .with_metadata("tenantId", "acme")
}

/// How the test server is set up.
#[derive(Clone, Copy, Debug, Default)]
pub struct Opts {
    /// Put `DrainRejectedLayer` in front of the service.
    pub drain: bool,
    /// The server's HTTP/2 connection window (h2's small-DATA budget is
    /// max(window / 2, 25,600) units); `None` for hyper's 1 MiB.
    pub conn_window: Option<u32>,
    /// Reject with a plain `Status` (no details) instead of an `AuthError`.
    pub plain: bool,
    /// Reject with `AuthError::new(code)` alone (same message as `plain`)
    /// instead of [`error_for`]: for comparing like with like.
    pub minimal: bool,
}

#[allow(clippy::result_large_err)]
fn reject(req: Request<()>, opts: Opts) -> Result<Request<()>, Status> {
    let Some(value) = req.metadata().get("x-reject-with") else {
        return Ok(req);
    };
    let code: AuthErrorCode = value
        .to_str()
        .ok()
        .and_then(|v| v.parse().ok())
        .ok_or_else(|| Status::invalid_argument("bad x-reject-with"))?;
    if opts.plain {
        return Err(Status::new(code.grpc_code(), code.description()));
    }
    if opts.minimal {
        return Err(AuthError::new(code).into());
    }
    Err(error_for(code).try_into_status().expect("valid error"))
}

pub async fn start(drain: bool) -> TestServer {
    start_opts(Opts {
        drain,
        ..Opts::default()
    })
    .await
}

pub async fn start_with(drain: bool, conn_window: Option<u32>) -> TestServer {
    start_opts(Opts {
        drain,
        conn_window,
        ..Opts::default()
    })
    .await
}

pub async fn start_opts(opts: Opts) -> TestServer {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let (_reporter, health) = tonic_health::server::health_reporter();
    let (tx, rx) = oneshot::channel::<()>();
    let svc = InterceptedService::new(health, move |req| reject(req, opts));
    let shutdown = async {
        rx.await.ok();
    };
    let incoming = TcpIncoming::from(listener).with_nodelay(Some(true));
    let mut builder = Server::builder().initial_connection_window_size(opts.conn_window);
    let handle = if opts.drain {
        tokio::spawn(
            builder
                .layer(DrainRejectedLayer::default())
                .add_service(svc)
                .serve_with_incoming_shutdown(incoming, shutdown),
        )
    } else {
        tokio::spawn(
            builder
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
            .insert("x-reject-with", code.as_str_name().parse().unwrap());
    }
    client.check(req).await.map(drop)
}

/// What a load run saw.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct LoadReport {
    /// Calls made.
    pub calls: u64,
    /// Answers that were exactly what the call asked for (the requested
    /// rejection, or success).
    pub correct: u64,
    /// Answers that were a different code or reason than asked for.
    pub mixed_up: u64,
    /// Calls that failed in transport (connection closed, GOAWAY, reset).
    pub lost: u64,
}

/// `calls` calls over `channels` connections, `concurrency` in flight at once;
/// call `i` asks for code `i % 23` (every 16th call is accepted instead).
/// Checks each answer against its request. `plain`: the server sends plain
/// statuses, so only the gRPC code can be checked.
pub async fn load(
    addr: SocketAddr,
    channels: usize,
    concurrency: usize,
    calls: u64,
    plain: bool,
) -> LoadReport {
    use auth_error::AuthStatusExt;
    use std::sync::Arc;
    use std::sync::atomic::{AtomicU64, Ordering};

    let mut chans = Vec::new();
    for _ in 0..channels {
        chans.push(
            Channel::from_shared(format!("http://{addr}"))
                .unwrap()
                .connect()
                .await
                .unwrap(),
        );
    }
    let codes: Vec<AuthErrorCode> = AuthErrorCode::ALL
        .into_iter()
        .filter(|c| c.is_error())
        .collect();
    let next = Arc::new(AtomicU64::new(0));
    let mut tasks = Vec::new();
    for t in 0..concurrency {
        let channel = chans[t % chans.len()].clone();
        let next = next.clone();
        let codes = codes.clone();
        tasks.push(tokio::spawn(async move {
            let mut report = LoadReport::default();
            loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                if i >= calls {
                    return report;
                }
                report.calls += 1;
                let want = (i % 16 != 15).then(|| codes[(i % 23) as usize]);
                match (call(channel.clone(), want).await, want) {
                    (Ok(()), None) => report.correct += 1,
                    (Err(status), Some(code))
                        if !plain && status.auth_error_code() == Some(code) =>
                    {
                        report.correct += 1
                    }
                    (Err(status), Some(code))
                        if plain
                            && status.code() == code.grpc_code()
                            && status.message() == code.description() =>
                    {
                        report.correct += 1
                    }
                    (Err(status), _) if is_transport_failure(&status) => report.lost += 1,
                    _ => report.mixed_up += 1,
                }
            }
        }));
    }
    let mut total = LoadReport::default();
    for task in tasks {
        let r = task.await.expect("no client task panics");
        total.calls += r.calls;
        total.correct += r.correct;
        total.mixed_up += r.mixed_up;
        total.lost += r.lost;
    }
    total
}

/// A failure that is not an answer of the server's interceptor: the call was
/// lost in transport (GOAWAY, reset, closed connection).
fn is_transport_failure(status: &Status) -> bool {
    use auth_error::AuthStatusExt;
    status.auth_error_code().is_none()
        && !matches!(
            status.code(),
            tonic::Code::Unauthenticated
                | tonic::Code::PermissionDenied
                | tonic::Code::FailedPrecondition
        )
}
