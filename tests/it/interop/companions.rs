//! The companion packages against the crate, on loopback, both directions:
//!
//! - a tonic server rejects with every code (metadata, RetryInfo, a help
//!   link), an unknown reason, a foreign domain and no details, and the
//!   Python package's grpcio client (`python/tests/interop/client.py`) and
//!   the TypeScript package's connect-node client
//!   (`typescript/interop/client.mjs`) decode each;
//! - a grpcio server (sync and `grpc.aio`) and a connect-node server built
//!   with the packages reject with every code, and the crate decodes each,
//!   strictly, to the very bytes it would have sent itself.
//!
//! Needs the scratch environments that `bash scripts/test_companions.sh`
//! creates: `.venv-companion` (the package installed from `python/`) and
//! `.node-companion` (the packed `@auth-error/connect`, connect-node, and a
//! copy of `typescript/interop/`); or `AUTH_ERROR_COMPANION_PYTHON` and
//! `AUTH_ERROR_COMPANION_NODE_DIR`. So every test is `#[ignore]`d: a plain
//! `cargo test` reports them as ignored, `bash scripts/test.sh` (which runs
//! `scripts/test_companions.sh` first) runs them, and run without those
//! environments they fail saying what to run.

use crate::support::python;

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::time::Duration;

use auth_error::{AuthError, AuthErrorCode, AuthStatusExt, DOMAIN};
use python::root;
use serde_json::{Value, json};
use tokio::net::TcpListener;
use tokio::sync::oneshot;
use tonic::service::interceptor::InterceptedService;
use tonic::transport::server::TcpIncoming;
use tonic::transport::{Channel, Server};
use tonic::{Code, Request, Status};
use tonic_health::pb::HealthCheckRequest;
use tonic_health::pb::health_client::HealthClient;

// --- the environments ------------------------------------------------------

/// The extra detail venv's Python (the package installed from `python/`).
fn companion_python() -> PathBuf {
    std::env::var_os("AUTH_ERROR_COMPANION_PYTHON")
        .map(PathBuf::from)
        .unwrap_or_else(|| root().join(".venv-companion/bin/python"))
}

/// The scratch npm project with the packed `@auth-error/connect`,
/// connect-node and `interop/`.
fn companion_node_dir() -> PathBuf {
    std::env::var_os("AUTH_ERROR_COMPANION_NODE_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| root().join(".node-companion"))
}

/// Checks that both environments are there; panics saying what to run when
/// they are not.
fn require_environments() {
    let node_client = companion_node_dir().join("interop/client.mjs");
    let missing: Vec<String> = [companion_python(), node_client]
        .into_iter()
        .filter(|p| !p.exists())
        .map(|p| p.display().to_string())
        .collect();
    assert!(
        missing.is_empty(),
        "this test needs {}: run `bash scripts/test_companions.sh` (it builds and installs both \
         packages into .venv-companion and .node-companion), or set AUTH_ERROR_COMPANION_PYTHON \
         and AUTH_ERROR_COMPANION_NODE_DIR",
        missing.join(" and ")
    );
}

/// Runs a client (off the async runtime) and parses its JSON lines; fails
/// with its output if it fails.
async fn run_client(mut command: Command) -> Vec<Value> {
    let shown = format!("{command:?}");
    let output = tokio::task::spawn_blocking(move || command.output())
        .await
        .unwrap()
        .unwrap_or_else(|e| panic!("run {shown}: {e}"));
    let stdout = String::from_utf8(output.stdout).unwrap();
    assert!(
        output.status.success(),
        "{shown} failed:\n{stdout}\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    stdout
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{l}: {e}")))
        .collect()
}

// --- the tonic server ------------------------------------------------------

const HELP_URL: &str = "https://docs.example.com/auth";

fn error_codes() -> Vec<AuthErrorCode> {
    AuthErrorCode::ALL
        .into_iter()
        .filter(|c| c.is_error())
        .collect()
}

/// What the tonic server sends for `code`.
fn rust_error(code: AuthErrorCode) -> AuthError {
    AuthError::new(code)
        .with_message(format!("rust says {} — ünïcödé ✓", code.as_str_name()))
        .with_metadata("number", i32::from(code).to_string())
        .with_tenant_id("acme")
        .with_retry_after(Duration::from_millis(2500))
        .add_help_link("docs", HELP_URL)
}

/// The status for a case: a code name, `unknown-reason` (a newer server's
/// reason), `foreign-domain`, or anything else (no details).
fn status_for(case: &str) -> Status {
    if let Ok(code) = case.parse::<AuthErrorCode>()
        && code.is_error()
    {
        return rust_error(code).try_into_status().expect("a valid error");
    }
    match case {
        "unknown-reason" => {
            use prost::Message;
            let info = tonic_types::pb::ErrorInfo {
                reason: "TOKEN_FROM_THE_FUTURE".into(),
                domain: DOMAIN.into(),
                metadata: Default::default(),
            };
            let status = tonic_types::pb::Status {
                code: Code::Unauthenticated as i32,
                message: "newer server".into(),
                details: vec![prost_types::Any {
                    type_url: "type.googleapis.com/google.rpc.ErrorInfo".into(),
                    value: info.encode_to_vec(),
                }],
            };
            Status::with_details(
                Code::Unauthenticated,
                "newer server",
                status.encode_to_vec().into(),
            )
        }
        "foreign-domain" => AuthError::new(AuthErrorCode::TokenExpired)
            .with_domain("billing.example.com")
            .try_into_status()
            .expect("a valid error"),
        _ => Status::unauthenticated("plain, no details"),
    }
}

#[allow(clippy::result_large_err)]
fn reject(req: Request<()>) -> Result<Request<()>, Status> {
    match req.metadata().get("x-case").and_then(|v| v.to_str().ok()) {
        Some(case) => Err(status_for(case)),
        None => Ok(req),
    }
}

struct RustServer {
    addr: SocketAddr,
    stop: oneshot::Sender<()>,
    handle: tokio::task::JoinHandle<Result<(), tonic::transport::Error>>,
}

impl RustServer {
    async fn start() -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let (_reporter, health) = tonic_health::server::health_reporter();
        let (stop, rx) = oneshot::channel::<()>();
        let incoming = TcpIncoming::from(listener).with_nodelay(Some(true));
        let handle = tokio::spawn(
            Server::builder()
                .add_service(InterceptedService::new(health, reject))
                .serve_with_incoming_shutdown(incoming, async {
                    rx.await.ok();
                }),
        );
        RustServer { addr, stop, handle }
    }

    async fn shutdown(self) {
        self.stop.send(()).ok();
        self.handle.await.unwrap().unwrap();
    }
}

fn cases() -> Vec<String> {
    error_codes()
        .into_iter()
        .map(|c| c.as_str_name().to_owned())
        .chain(["unknown-reason", "foreign-domain", "no-details"].map(str::to_owned))
        .collect()
}

/// Checks the lines a package's client printed for [`cases`].
fn check_client_lines(lang: &str, lines: &[Value]) {
    let codes = error_codes();
    assert_eq!(lines.len(), codes.len() + 3, "{lang}: {lines:?}");
    for (code, got) in codes.iter().zip(lines) {
        let name = code.as_str_name();
        assert_eq!(got["case"], name, "{lang}: {got}");
        assert_eq!(got["grpc_code"], code.grpc_code() as i32, "{lang}: {got}");
        assert_eq!(got["code"], i32::from(*code), "{lang}: {got}");
        assert_eq!(got["reason"], name, "{lang}: {got}");
        assert_eq!(
            got["message"],
            format!("rust says {name} — ünïcödé ✓"),
            "{lang}: {got}"
        );
        assert_eq!(got["domain"], DOMAIN, "{lang}: {got}");
        let metadata: BTreeMap<String, String> =
            serde_json::from_value(got["metadata"].clone()).unwrap();
        assert_eq!(
            metadata,
            rust_error(*code).metadata().to_btree_map(),
            "{lang}: {got}"
        );
        assert_eq!(got["retry_after_ms"], 2500, "{lang}: {got}");
        assert_eq!(
            got["help_links"],
            json!([["docs", HELP_URL]]),
            "{lang}: {got}"
        );
        // Every error here carries a RetryInfo: the table's action for that.
        let action = code.client_action_with_retry_delay();
        assert_eq!(got["client_action"], action.as_str(), "{lang}: {got}");
        if lang == "python" {
            assert_eq!(got["strict"], "ok", "{got}");
            assert_eq!(got["details"], 2, "RetryInfo and Help: {got}");
        }
    }
    let [unknown, foreign, plain] = &lines[codes.len()..] else {
        unreachable!()
    };
    // A newer server's reason: kept (lenient), with no code and no action.
    assert_eq!(unknown["case"], "unknown-reason");
    assert_eq!(
        unknown["reason"], "TOKEN_FROM_THE_FUTURE",
        "{lang}: {unknown}"
    );
    assert_eq!(unknown["code"], Value::Null, "{lang}: {unknown}");
    assert_eq!(unknown["client_action"], Value::Null, "{lang}: {unknown}");
    assert_eq!(unknown["message"], "newer server", "{lang}: {unknown}");
    // Another domain's ErrorInfo, and no details: not an auth error of ours.
    for (line, case) in [(foreign, "foreign-domain"), (plain, "no-details")] {
        assert_eq!(line["case"], case);
        assert_eq!(line["auth"], Value::Null, "{lang}: {line}");
        assert_eq!(
            line["grpc_code"],
            Code::Unauthenticated as i32,
            "{lang}: {line}"
        );
    }
    assert_eq!(plain["message"], "plain, no details");
    if lang == "python" {
        assert_eq!(unknown["strict"], "unknown_reason", "{unknown}");
        assert_eq!(foreign["strict"], "none", "{foreign}");
        assert_eq!(plain["strict"], "none", "{plain}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs .venv-companion and .node-companion (scripts/test_companions.sh); run bash scripts/test.sh"]
async fn rust_server_to_the_python_package() {
    require_environments();
    let server = RustServer::start().await;
    let mut command = Command::new(companion_python());
    command
        .arg(root().join("python/tests/interop/client.py"))
        .arg(server.addr.to_string())
        .args(cases());
    let lines = run_client(command).await;
    server.shutdown().await;
    check_client_lines("python", &lines);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs .venv-companion and .node-companion (scripts/test_companions.sh); run bash scripts/test.sh"]
async fn rust_server_to_the_typescript_package() {
    require_environments();
    let server = RustServer::start().await;
    let dir = companion_node_dir();
    let mut command = Command::new(std::env::var_os("AUTH_ERROR_NODE").unwrap_or("node".into()));
    command
        .current_dir(&dir)
        .arg(dir.join("interop/client.mjs"))
        .arg(server.addr.to_string())
        .args(cases());
    let lines = run_client(command).await;
    server.shutdown().await;
    check_client_lines("typescript", &lines);
}

// --- the packages' servers -----------------------------------------------------

/// A server process of a package: prints its port on the first line, serves
/// until its stdin closes.
struct Peer {
    child: std::process::Child,
    port: u16,
}

impl Peer {
    fn start(mut command: Command) -> Self {
        let shown = format!("{command:?}");
        let mut child = command
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .unwrap_or_else(|e| panic!("start {shown}: {e}"));
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut line)
            .unwrap();
        let port = line
            .trim()
            .parse()
            .unwrap_or_else(|_| panic!("{shown} printed {line:?}"));
        Peer { child, port }
    }

    async fn channel(&self) -> Channel {
        Channel::from_shared(format!("http://127.0.0.1:{}", self.port))
            .unwrap()
            .connect()
            .await
            .unwrap()
    }
}

impl Drop for Peer {
    fn drop(&mut self) {
        drop(self.child.stdin.take()); // closes stdin: the server stops
        let _ = self.child.wait();
    }
}

async fn ask(channel: Channel, case: &str) -> Status {
    let mut client = HealthClient::new(channel);
    let mut req = Request::new(HealthCheckRequest::default());
    req.metadata_mut().insert("x-case", case.parse().unwrap());
    req.set_timeout(Duration::from_secs(10));
    client.check(req).await.unwrap_err()
}

/// Every code from a package's server, decoded strictly by the crate; the
/// details are byte for byte what the crate itself sends for the same error.
async fn check_server(lang: &str, peer: &Peer) {
    let channel = peer.channel().await;
    for code in error_codes() {
        let name = code.as_str_name();
        let status = ask(channel.clone(), name).await;
        assert_eq!(status.code(), code.grpc_code(), "{lang} {name}");
        assert_eq!(status.auth_error_code(), Some(code), "{lang} {name}");
        let err = status
            .check_auth_error()
            .unwrap_or_else(|e| panic!("{lang} {name}: {e}"))
            .unwrap_or_else(|| panic!("{lang} {name}: no auth error"));
        assert_eq!(err.code(), code);
        assert_eq!(err.message(), format!("{lang} says {name} — ünïcödé"));
        assert_eq!(err.domain(), DOMAIN);
        let want: BTreeMap<String, String> = [
            ("lang".to_owned(), lang.to_owned()),
            ("number".to_owned(), i32::from(code).to_string()),
        ]
        .into();
        assert_eq!(err.metadata().to_btree_map(), want, "{lang} {name}");
        assert_eq!(
            err.retry_after(),
            Some(Duration::from_millis(2500)),
            "{lang} {name}"
        );
        let links = err.help_links();
        assert_eq!(links.len(), 1, "{lang} {name}");
        assert_eq!(
            (links[0].description.as_str(), links[0].url.as_str()),
            ("docs", HELP_URL)
        );
        assert_eq!(err.details().len(), 2, "RetryInfo and Help: {lang} {name}");
        // Every error here carries a RetryInfo: the table's action for that.
        let action = code.client_action_with_retry_delay();
        assert_eq!(err.client_action(), action, "{lang} {name}");
        // The same error built here encodes to the same bytes.
        let ours = AuthError::new(code)
            .with_message(format!("{lang} says {name} — ünïcödé"))
            .with_metadata("number", i32::from(code).to_string())
            .with_metadata("lang", lang)
            .with_retry_after(Duration::from_millis(2500))
            .add_help_link("docs", HELP_URL);
        assert_eq!(
            status.details(),
            ours.encode_details().unwrap().as_slice(),
            "{lang} {name}: the package's bytes differ from the crate's"
        );
    }
    let status = ask(channel, "no-details").await;
    assert_eq!(status.code(), Code::Unauthenticated, "{lang}");
    assert_eq!(status.message(), "plain, no details", "{lang}");
    assert_eq!(status.auth_error(), None, "{lang}");
    assert_eq!(status.check_auth_error(), Ok(None), "{lang}");
}

fn python_server(aio: bool) -> Peer {
    let mut command = Command::new(companion_python());
    command.arg(root().join("python/tests/interop/server.py"));
    if aio {
        command.arg("--aio");
    }
    Peer::start(command)
}

#[tokio::test]
#[ignore = "needs .venv-companion and .node-companion (scripts/test_companions.sh); run bash scripts/test.sh"]
async fn the_python_package_grpcio_server_to_rust() {
    require_environments();
    check_server("python", &python_server(false)).await;
}

#[tokio::test]
#[ignore = "needs .venv-companion and .node-companion (scripts/test_companions.sh); run bash scripts/test.sh"]
async fn the_python_package_grpc_aio_server_to_rust() {
    require_environments();
    check_server("python", &python_server(true)).await;
}

#[tokio::test]
#[ignore = "needs .venv-companion and .node-companion (scripts/test_companions.sh); run bash scripts/test.sh"]
async fn the_typescript_package_connect_node_server_to_rust() {
    require_environments();
    let dir = companion_node_dir();
    let mut command = Command::new(std::env::var_os("AUTH_ERROR_NODE").unwrap_or("node".into()));
    command
        .current_dir(&dir)
        .arg(dir.join("interop/server.mjs"));
    check_server("typescript", &Peer::start(command)).await;
}
