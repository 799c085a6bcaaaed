//! In front of any OpenID provider: fetch a token with the client-credentials
//! grant, verify it with `JwtVerifier::from_issuer` behind `BearerAuthLayer`
//! on a local tonic server, and print the reasons of a call without a token
//! and with a forged one.
//!
//! ```text
//! cargo run --example oidc --features oidc -- \
//!     --issuer https://id.example.com --client-id my-client --client-secret s3cr3t \
//!     [--audience https://api.example.com] [--scope "orders.read"] [--alg RS256]
//! ```
//!
//! `--audience` is sent as the RFC 8707 `resource` and checked as `aud`
//! (without it, tokens without `aud` are accepted and tokens with one are
//! refused: jsonwebtoken's rule). `--alg` is the provider's signing
//! algorithm (default RS256; ES256 for oidc-provider's test setup).

use std::collections::HashMap;

use auth_error::AuthStatusExt;
use auth_error::client::CredentialsLayer;
use auth_error::jwt::JwtVerifier;
use auth_error::oauth::ClientCredentials;
use auth_error::server::BearerAuthLayer;
use jsonwebtoken::{Algorithm, Validation};
use tonic_health::pb::HealthCheckRequest;
use tonic_health::pb::health_client::HealthClient;

fn args() -> Result<HashMap<String, String>, String> {
    let mut args = HashMap::new();
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        let name = flag
            .strip_prefix("--")
            .ok_or_else(|| format!("unexpected argument `{flag}`"))?;
        let value = it.next().ok_or_else(|| format!("`{flag}` needs a value"))?;
        args.insert(name.to_owned(), value);
    }
    for required in ["issuer", "client-id", "client-secret"] {
        if !args.contains_key(required) {
            return Err(format!("missing --{required}"));
        }
    }
    Ok(args)
}

fn describe(
    label: &str,
    result: Result<tonic::Response<tonic_health::pb::HealthCheckResponse>, tonic::Status>,
) {
    match result {
        Ok(_) => println!("{label}: served"),
        Err(status) => match status.auth_error() {
            Some(err) => println!(
                "{label}: {:?} {} (client action: {})",
                status.code(),
                err.code(),
                err.client_action()
            ),
            None => println!(
                "{label}: {:?} without a reason: {}",
                status.code(),
                status.message()
            ),
        },
    }
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args = args().map_err(|e| {
        format!("{e}\nusage: oidc --issuer URL --client-id ID --client-secret SECRET [--audience URI] [--scope S] [--alg ALG]")
    })?;
    let issuer = &args["issuer"];
    let alg: Algorithm = args.get("alg").map_or("RS256", String::as_str).parse()?;
    let mut validation = Validation::new(alg);
    if let Some(audience) = args.get("audience") {
        validation.set_audience(&[audience]);
    }

    // The server: keys from the issuer's discovery document, fetched at the
    // first call; an outage of the provider answers UNAVAILABLE, not 401.
    let verifier = JwtVerifier::from_issuer(issuer, validation)?;
    let layer = BearerAuthLayer::builder(verifier).build()?;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let addr = listener.local_addr()?;
    let (_reporter, health) = tonic_health::server::health_reporter();
    tokio::spawn(
        tonic::transport::Server::builder()
            .layer(layer)
            .add_service(health)
            .serve_with_incoming(tonic::transport::server::TcpIncoming::from(listener)),
    );
    let endpoint = tonic::transport::Endpoint::from_shared(format!("http://{addr}"))?;
    let channel = endpoint.connect().await?;

    // The client: tokens from the provider's token endpoint.
    let mut source =
        ClientCredentials::from_issuer(issuer, &args["client-id"], &args["client-secret"])?;
    if let Some(scope) = args.get("scope") {
        source = source.with_scopes(scope.split_whitespace().map(str::to_owned));
    }
    if let Some(audience) = args.get("audience") {
        source = source.with_resource(audience.clone());
    }
    let mut client = HealthClient::new(
        tower::ServiceBuilder::new()
            .layer(CredentialsLayer::new(source).with_endpoint(endpoint.uri().clone()))
            .service(channel.clone()),
    );
    describe(
        "with a token from the provider",
        client.check(HealthCheckRequest::default()).await,
    );

    let mut bare = HealthClient::new(channel);
    describe(
        "without a token",
        bare.check(HealthCheckRequest::default()).await,
    );
    let mut forged = tonic::Request::new(HealthCheckRequest::default());
    forged.metadata_mut().insert(
        "authorization",
        "Bearer eyJhbGciOiJSUzI1NiIsImtpZCI6Im5vYm9keSJ9.eyJzdWIiOiJtYWxsb3J5In0.c2ln".parse()?,
    );
    describe("with a forged token", bare.check(forged).await);
    Ok(())
}
