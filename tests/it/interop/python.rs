//! Interop with Google's own gRPC stack (Python grpcio, grpcio-status,
//! googleapis-common-protos), in both directions.
//!
//! Needs the `.venv` and the Python code generated from the proto that
//! `bash scripts/test.sh` creates (or a Python with those packages in
//! `AUTH_ERROR_PYTHON`), so every test is `#[ignore]`d: a plain `cargo test`
//! reports them as ignored, the test command runs them
//! (`--include-ignored`), and run without that environment they fail saying
//! what to run.

use crate::support::common;
#[cfg(any(feature = "jwt-aws-lc", feature = "jwt-rust-crypto"))]
use crate::support::jwt_server;
use crate::support::python;

use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::time::Duration;

use auth_error::{AuthErrorCode, AuthStatusExt, ExtractError};
use python::{root, venv_python};
use tonic::Code;
use tonic::transport::Channel;
use tonic_health::pb::HealthCheckRequest;
use tonic_health::pb::health_client::HealthClient;

const NEEDS: &str = "grpcio, grpcio-status and googleapis-common-protos";

/// The Python code `bash scripts/test.sh` generates from the proto.
const GENERATED: &str = "tests/interop/gen/auth/error/v1/auth_error_pb2.py";

/// The venv's Python; panics saying what to run when the interop environment
/// is missing (see `python::venv_python`).
fn python() -> PathBuf {
    venv_python(NEEDS, &[GENERATED])
}

/// Runs a Python client script from `tests/interop/` with `args` (off the
/// async runtime) and parses its JSON lines; fails with its output if it fails.
async fn run_python_client(script: &'static str, args: Vec<String>) -> Vec<serde_json::Value> {
    let python = python();
    let output = tokio::task::spawn_blocking(move || {
        Command::new(python)
            .arg(root().join("tests/interop").join(script))
            .args(args)
            .output()
            .unwrap_or_else(|e| panic!("run {script}: {e}"))
    })
    .await
    .unwrap();
    let stdout = String::from_utf8(output.stdout).unwrap();
    assert!(
        output.status.success(),
        "{script} failed:\n{stdout}\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    stdout
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs .venv (grpcio, grpcio-status, googleapis-common-protos) and the generated Python code; run bash scripts/test.sh"]
async fn rust_server_to_python_client_every_code() {
    python(); // the environment is there, or the test fails saying what to run
    let server = common::start(true).await;
    let lines = run_python_client("py_client.py", vec![server.addr.to_string()]).await;
    server.shutdown().await;
    let codes: Vec<AuthErrorCode> = AuthErrorCode::ALL
        .into_iter()
        .filter(|c| c.is_error())
        .collect();
    assert_eq!(lines.len(), codes.len());
    for (code, got) in codes.iter().zip(&lines) {
        let want = common::error_for(*code);
        assert_eq!(got["asked"], code.as_str_name());
        assert!(got.get("error").is_none(), "{got}");
        assert_eq!(got["grpc_code"], code.grpc_code() as i32, "{got}");
        assert_eq!(got["details_code"], code.grpc_code() as i32, "{got}");
        assert_eq!(
            got["message"],
            want.message(),
            "non-ASCII message survives: {got}"
        );
        assert_eq!(got["details_message"], want.message());
        assert_eq!(got["reason"], code.as_str_name());
        assert_eq!(got["domain"], auth_error::DOMAIN);
        assert_eq!(
            got["number"],
            i32::from(*code),
            "Python's AuthErrorCode.Value(reason)"
        );
        let metadata: std::collections::BTreeMap<String, String> =
            serde_json::from_value(got["metadata"].clone()).unwrap();
        assert_eq!(metadata, want.metadata().to_btree_map());
    }
}

struct PyServer {
    child: std::process::Child,
    port: u16,
}

impl PyServer {
    /// A tonic channel to the Python server.
    async fn channel(&self) -> Channel {
        Channel::from_shared(format!("http://127.0.0.1:{}", self.port))
            .unwrap()
            .connect()
            .await
            .unwrap()
    }

    fn start() -> Self {
        let mut child = Command::new(python())
            .arg(root().join("tests/interop/py_server.py"))
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("start py_server.py");
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut line)
            .unwrap();
        let port = line
            .trim()
            .parse()
            .unwrap_or_else(|_| panic!("py_server.py printed {line:?}"));
        PyServer { child, port }
    }
}

impl Drop for PyServer {
    fn drop(&mut self) {
        drop(self.child.stdin.take()); // closes stdin: the server stops
        let _ = self.child.wait();
    }
}

async fn ask(channel: Channel, case: &str) -> tonic::Status {
    let mut client = HealthClient::new(channel);
    let mut req = tonic::Request::new(HealthCheckRequest::default());
    req.metadata_mut().insert("x-case", case.parse().unwrap());
    req.set_timeout(Duration::from_secs(10));
    client.check(req).await.unwrap_err()
}

#[tokio::test]
#[ignore = "needs .venv (grpcio, grpcio-status, googleapis-common-protos) and the generated Python code; run bash scripts/test.sh"]
async fn python_server_to_rust_client_case_by_case() {
    python(); // the environment is there, or the test fails saying what to run
    let server = PyServer::start();
    let channel = server.channel().await;

    for code in AuthErrorCode::ALL.into_iter().filter(|c| c.is_error()) {
        let status = ask(channel.clone(), code.as_str_name()).await;
        assert_eq!(status.code(), code.grpc_code(), "{code}");
        assert_eq!(status.auth_error_code(), Some(code));
        let err = status.check_auth_error().unwrap().unwrap();
        assert_eq!(err.code(), code);
        assert_eq!(
            err.message(),
            format!("python says {} — ünïcödé", code.as_str_name())
        );
        assert_eq!(err.domain(), auth_error::DOMAIN);
        assert_eq!(
            err.metadata().get("number").unwrap(),
            i32::from(code).to_string()
        );
        assert_eq!(err.metadata().get("lang").unwrap(), "python");
        // Extra details: RetryInfo decoded, the unknown type kept byte for byte.
        assert_eq!(err.retry_after(), Some(Duration::from_millis(2500)));
        assert_eq!(err.details().len(), 2);
        assert_eq!(
            err.details().to_vec()[1].type_url,
            "type.example.com/acme.v1.Unknown"
        );
        assert_eq!(err.details().to_vec()[1].value, vec![0x08, 0x2a]);
        if code == AuthErrorCode::AccountLocked {
            assert_eq!(err.client_action(), auth_error::ClientAction::RetryLater);
        }
    }

    let status = ask(channel.clone(), "unknown-reason").await;
    assert_eq!(status.auth_error(), None);
    let err = status.check_auth_error().unwrap_err();
    assert!(
        matches!(&err, ExtractError::UnknownReason { reason, .. } if reason == "TOKEN_FROM_THE_FUTURE"),
        "{err:?}"
    );

    let status = ask(channel.clone(), "foreign-domain").await;
    assert_eq!(status.auth_error(), None);
    assert_eq!(status.check_auth_error(), Ok(None));
    let theirs = status.auth_error_in("billing.example.com").unwrap();
    assert_eq!(theirs.code(), AuthErrorCode::TokenExpired);

    let status = ask(channel.clone(), "two-domains").await;
    let err = status.auth_error().unwrap();
    assert_eq!(err.code(), AuthErrorCode::SessionExpired);
    assert_eq!(
        err.details().len(),
        1,
        "the foreign ErrorInfo stays as a detail"
    );

    let status = ask(channel.clone(), "garbage-info").await;
    assert_eq!(status.auth_error(), None);
    let err = status.check_auth_error().unwrap_err();
    assert!(
        matches!(err, ExtractError::InvalidErrorInfo { index: 0, .. }),
        "{err:?}"
    );

    let status = ask(channel, "no-details").await;
    assert_eq!(status.code(), Code::Unauthenticated);
    assert_eq!(status.message(), "plain, no details");
    assert_eq!(status.auth_error(), None);
    assert_eq!(status.check_auth_error(), Ok(None));
}

/// A Python grpcio client against the Rust server behind `BearerAuthLayer`
/// and `JwtVerifier`: reasons and metadata decoded by `rpc_status.from_call`.
#[cfg(any(feature = "jwt-aws-lc", feature = "jwt-rust-crypto"))]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs .venv (grpcio, grpcio-status, googleapis-common-protos) and the generated Python code; run bash scripts/test.sh"]
async fn python_client_against_the_bearer_auth_layer() {
    python(); // the environment is there, or the test fails saying what to run
    use auth_error::jwt::JwtVerifier;
    use auth_error::server::BearerAuthLayer;
    use jsonwebtoken::{Algorithm, DecodingKey};
    use jwt_server::*;
    use serde_json::json;

    let layer = BearerAuthLayer::builder(JwtVerifier::new(
        DecodingKey::from_secret(SECRET),
        validation(Algorithm::HS256),
    ))
    .add_required_scopes(CHECK, ["orders.read"])
    .build()
    .unwrap();
    let server = start(Some(layer)).await;
    let good = good_claims();
    let mut expired = good.clone();
    expired["exp"] = json!(now() - 60);
    expired["jti"] = json!("jti-old");
    let mut no_scope = good.clone();
    no_scope["scope"] = json!("profile");
    let bearer = |c: &serde_json::Value| Some(format!("Bearer {}", hs256(c)));
    let cases = json!([
        ["good", bearer(&good)],
        ["missing", null],
        ["malformed", "Bearer not-a-jwt"],
        ["expired", bearer(&expired)],
        ["scope", bearer(&no_scope)],
    ]);
    let args = vec![server.addr.to_string(), cases.to_string()];
    let lines = run_python_client("py_bearer_client.py", args).await;
    server.shutdown().await;
    assert_eq!(lines.len(), 5, "{lines:?}");
    assert_eq!(lines[0]["ok"], true);
    assert_eq!(lines[0]["subject"], "alice");
    let expect = |line: &serde_json::Value, code: AuthErrorCode| {
        assert_eq!(line["reason"], code.as_str_name(), "{line}");
        assert_eq!(line["number"], i32::from(code), "{line}");
        assert_eq!(line["grpc_code"], code.grpc_code() as i32, "{line}");
        assert_eq!(line["domain"], auth_error::DOMAIN, "{line}");
    };
    expect(&lines[1], AuthErrorCode::BearerTokenMissing);
    expect(&lines[2], AuthErrorCode::AuthFailedInvalidBearerToken);
    expect(&lines[3], AuthErrorCode::TokenExpired);
    assert_eq!(lines[3]["metadata"]["tokenId"], "jti-old");
    assert!(
        lines[3]["metadata"]["tokenExpiry"]
            .as_str()
            .unwrap()
            .ends_with('Z')
    );
    expect(&lines[4], AuthErrorCode::InvalidScope);
    assert_eq!(lines[4]["metadata"]["requiredScopes"], "orders.read");
    assert_eq!(lines[4]["metadata"]["providedScopes"], "profile");
}

/// A Python grpcio server refusing with `TOKEN_EXPIRED` through
/// `rpc_status.to_status`: `CredentialsLayer` refreshes once and the call
/// succeeds.
#[tokio::test]
#[ignore = "needs .venv (grpcio, grpcio-status, googleapis-common-protos) and the generated Python code; run bash scripts/test.sh"]
async fn credentials_layer_refreshes_against_a_python_server() {
    python(); // the environment is there, or the test fails saying what to run
    use auth_error::client::{AccessToken, BoxError, CredentialsLayer, TokenSource};
    use std::sync::Arc;
    use std::sync::atomic::{AtomicUsize, Ordering};

    struct StaleThenFresh(Arc<AtomicUsize>);
    impl TokenSource for StaleThenFresh {
        async fn fetch(&self) -> Result<AccessToken, BoxError> {
            let n = self.0.fetch_add(1, Ordering::SeqCst);
            Ok(AccessToken::new(if n == 0 { "stale" } else { "fresh" }))
        }
    }

    let server = PyServer::start();
    let channel = server.channel().await;
    let fetches = Arc::new(AtomicUsize::new(0));
    let channel = tower::ServiceBuilder::new()
        .layer(
            CredentialsLayer::new(StaleThenFresh(fetches.clone()))
                .with_endpoint(format!("http://127.0.0.1:{}", server.port).parse().unwrap()),
        )
        .service(channel);
    let mut client = HealthClient::new(channel);
    let mut req = tonic::Request::new(HealthCheckRequest::default());
    req.metadata_mut()
        .insert("x-case", "bearer".parse().unwrap());
    let response = client.check(req).await.expect("refreshed and retried");
    assert_eq!(response.into_inner().status, 1);
    assert_eq!(
        fetches.load(Ordering::SeqCst),
        2,
        "the stale token, then one refresh"
    );
}
