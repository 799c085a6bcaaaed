//! Certificate-bound tokens (RFC 8705 §3) on a tonic server over TLS on
//! loopback: a CA, the server's and two clients' certificates made by the
//! test (rcgen); the layer reads the client certificate tonic's TLS server
//! records (feature `mtls`). The token bound to one client's certificate is
//! served to that client only.
#![cfg(all(feature = "mtls", feature = "testing"))]

use auth_error::jwt::JwtVerifier;
use auth_error::server::{BearerAuthLayer, ClientCertificate};
use auth_error::testing::TestIssuer;
use auth_error::{AuthErrorCode, AuthStatusExt as _};
use jsonwebtoken::{Algorithm, Validation};
use rcgen::{BasicConstraints, CertificateParams, IsCa, Issuer, KeyPair};
use tonic::transport::{Certificate, ClientTlsConfig, Identity, ServerTlsConfig};
use tonic_health::pb::HealthCheckRequest;
use tonic_health::pb::health_client::HealthClient;

struct Pki {
    ca_pem: String,
    server: (String, String),
    clients: Vec<(String, String, Vec<u8>)>,
}

fn pki() -> Pki {
    let mut ca_params = CertificateParams::new(Vec::<String>::new()).unwrap();
    ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    let ca_key = KeyPair::generate().unwrap();
    let ca = ca_params.self_signed(&ca_key).unwrap();
    let issuer = Issuer::new(ca_params, ca_key);
    let leaf = |name: &str| {
        let key = KeyPair::generate().unwrap();
        let cert = CertificateParams::new(vec![name.to_owned()])
            .unwrap()
            .signed_by(&key, &issuer)
            .unwrap();
        (cert.pem(), key.serialize_pem(), cert.der().to_vec())
    };
    let (server_cert, server_key, _) = leaf("localhost");
    Pki {
        ca_pem: ca.pem(),
        server: (server_cert, server_key),
        clients: vec![leaf("client-a"), leaf("client-b")],
    }
}

#[tokio::test]
async fn a_certificate_bound_token_is_served_to_its_certificate_only() {
    let pki = pki();
    let issuer = TestIssuer::builder()
        .with_audience("orders-api")
        .start()
        .await
        .unwrap();
    let mut validation = Validation::new(Algorithm::ES256);
    validation.set_audience(&["orders-api"]);
    let layer =
        BearerAuthLayer::builder(JwtVerifier::from_issuer(issuer.url(), validation).unwrap())
            .build()
            .unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let (_reporter, health) = tonic_health::server::health_reporter();
    let tls = ServerTlsConfig::new()
        .identity(Identity::from_pem(&pki.server.0, &pki.server.1))
        .client_ca_root(Certificate::from_pem(&pki.ca_pem))
        .client_auth_optional(true);
    tokio::spawn(
        tonic::transport::Server::builder()
            .tls_config(tls)
            .unwrap()
            .layer(layer)
            .add_service(health)
            .serve_with_incoming(tokio_stream::wrappers::TcpListenerStream::new(listener)),
    );
    let channel = |client: Option<&(String, String, Vec<u8>)>| {
        let mut tls = ClientTlsConfig::new()
            .ca_certificate(Certificate::from_pem(&pki.ca_pem))
            .domain_name("localhost");
        if let Some((cert, key, _)) = client {
            tls = tls.identity(Identity::from_pem(cert, key));
        }
        tonic::transport::Endpoint::from_shared(format!("https://localhost:{}", addr.port()))
            .unwrap()
            .tls_config(tls)
            .unwrap()
            .connect_with_connector_lazy(tower::service_fn(move |_: http::Uri| async move {
                let stream = tokio::net::TcpStream::connect(addr).await?;
                Ok::<_, std::io::Error>(hyper_util::rt::TokioIo::new(stream))
            }))
    };
    let a = &pki.clients[0];
    let token = issuer
        .token()
        .bound_to_certificate(&ClientCertificate::new(a.2.clone()))
        .sign()
        .unwrap();
    let call = |channel: tonic::transport::Channel, token: String| async move {
        let mut request = tonic::Request::new(HealthCheckRequest::default());
        request
            .metadata_mut()
            .insert("authorization", format!("Bearer {token}").parse().unwrap());
        HealthClient::new(channel).check(request).await.map(drop)
    };
    call(channel(Some(a)), token.clone())
        .await
        .expect("the certificate's own client is served");
    for (who, client) in [
        ("another certificate", Some(&pki.clients[1])),
        ("no certificate", None),
    ] {
        let status = call(channel(client), token.clone()).await.unwrap_err();
        assert_eq!(
            status.auth_error().map(|e| e.code()),
            Some(AuthErrorCode::TokenBindingMismatch),
            "{who}: {status:?}"
        );
    }
}
