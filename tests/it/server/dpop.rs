//! Sender-constrained tokens on `BearerAuthLayer` (RFC 9449 DPoP, RFC 8705
//! mTLS), through the public API: tokens minted by `TestIssuer`, proofs
//! signed by the client's `DpopKey` or by hand (for the proofs a client
//! would never make), requests through the layer as HTTP (each refusal's
//! reason, challenge and nonce header read from the answer) and, at the
//! end, gRPC from a `CredentialsLayer` with a DPoP key to a tonic server on
//! loopback.
#![cfg(feature = "testing")]

use std::convert::Infallible;
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use auth_error::client::DpopKey;
use auth_error::jwt::JwtVerifier;
use auth_error::server::{
    BearerAuthLayer, ClientCertificate, ConfigError, Dpop, MemoryReplayCache,
};
use auth_error::testing::TestIssuer;
use aws_lc_rs::signature::{ECDSA_P256_SHA256_FIXED_SIGNING, EcdsaKeyPair, KeyPair as _};
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use bytes::Bytes;
use http_body_util::{BodyExt as _, Full};
use jsonwebtoken::{Algorithm, Validation};
use serde_json::{Value, json};
use tower::ServiceExt as _;

const AUDIENCE: &str = "orders-api";
const URL: &str = "http://api.test/orders.v1.Orders/Get";

fn validation() -> Validation {
    let mut validation = Validation::new(Algorithm::ES256);
    validation.set_audience(&[AUDIENCE]);
    validation
}

async fn issuer() -> TestIssuer {
    TestIssuer::builder()
        .with_audience(AUDIENCE)
        .start()
        .await
        .unwrap()
}

/// The layer's answer: status, headers, body text.
struct Answer {
    status: u16,
    headers: http::HeaderMap,
    body: String,
}

impl Answer {
    fn reason(&self) -> Option<String> {
        let body: Value = serde_json::from_str(&self.body).ok()?;
        body["error"]["details"]
            .as_array()?
            .iter()
            .find_map(|d| d["reason"].as_str().map(str::to_owned))
    }

    #[track_caller]
    fn assert_refused(&self, reason: &str) {
        assert_eq!(self.reason().as_deref(), Some(reason), "{}", self.body);
        assert_eq!(self.status, 401, "{}", self.body);
    }

    #[track_caller]
    fn assert_served(&self) {
        assert_eq!((self.status, self.body.as_str()), (200, "served"));
    }
}

/// One HTTP request through `layer` to a service answering "served".
async fn send(
    layer: &BearerAuthLayer<JwtVerifier>,
    method: &str,
    authorization: Option<String>,
    proofs: &[&str],
    certificate: Option<ClientCertificate>,
) -> Answer {
    let inner = tower::service_fn(|_req: http::Request<Full<Bytes>>| async {
        Ok::<_, Infallible>(http::Response::new(Full::new(Bytes::from("served"))))
    });
    let mut req = http::Request::builder().method(method).uri(URL);
    if let Some(authorization) = authorization {
        req = req.header("authorization", authorization);
    }
    for proof in proofs {
        req = req.header("dpop", *proof);
    }
    let mut req = req.body(Full::new(Bytes::new())).unwrap();
    if let Some(certificate) = certificate {
        req.extensions_mut().insert(certificate);
    }
    let response = tower::Layer::layer(layer, inner)
        .oneshot(req)
        .await
        .unwrap();
    let (parts, body) = response.into_parts();
    let body = body.collect().await.unwrap().to_bytes();
    Answer {
        status: parts.status.as_u16(),
        headers: parts.headers,
        body: String::from_utf8_lossy(&body).into_owned(),
    }
}

fn layer(issuer: &TestIssuer, dpop: Option<Dpop>) -> BearerAuthLayer<JwtVerifier> {
    let verifier = JwtVerifier::from_issuer(issuer.url(), validation()).unwrap();
    let builder = BearerAuthLayer::builder(verifier);
    match dpop {
        Some(dpop) => builder.with_dpop(dpop),
        None => builder,
    }
    .build()
    .unwrap()
}

/// A P-256 key usable both by `DpopKey` and for proofs signed by hand.
struct HandKey {
    pair: EcdsaKeyPair,
    dpop: DpopKey,
}

impl HandKey {
    fn new() -> Self {
        let pkcs8 = EcdsaKeyPair::generate_pkcs8(
            &ECDSA_P256_SHA256_FIXED_SIGNING,
            &aws_lc_rs::rand::SystemRandom::new(),
        )
        .unwrap();
        let pair =
            EcdsaKeyPair::from_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, pkcs8.as_ref()).unwrap();
        let dpop = DpopKey::from_pkcs8_der(pkcs8.as_ref()).unwrap();
        HandKey { pair, dpop }
    }

    fn jwk(&self) -> Value {
        let point = self.pair.public_key().as_ref();
        json!({
            "kty": "EC", "crv": "P-256",
            "x": URL_SAFE_NO_PAD.encode(&point[1..33]),
            "y": URL_SAFE_NO_PAD.encode(&point[33..]),
        })
    }

    /// A proof of `header` and `claims`, signed with this key.
    fn sign(&self, header: &Value, claims: &Value) -> String {
        let mut jws = format!(
            "{}.{}",
            URL_SAFE_NO_PAD.encode(header.to_string()),
            URL_SAFE_NO_PAD.encode(claims.to_string())
        );
        let sig = self
            .pair
            .sign(&aws_lc_rs::rand::SystemRandom::new(), jws.as_bytes())
            .unwrap();
        jws.push('.');
        jws.push_str(&URL_SAFE_NO_PAD.encode(sig.as_ref()));
        jws
    }

    fn header(&self) -> Value {
        json!({"typ": "dpop+jwt", "alg": "ES256", "jwk": self.jwk()})
    }

    fn claims(&self, token: &str) -> Value {
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap()
            .as_secs();
        let ath = URL_SAFE_NO_PAD.encode(aws_lc_rs::digest::digest(
            &aws_lc_rs::digest::SHA256,
            token.as_bytes(),
        ));
        json!({"jti": format!("{:x}", rand_u64()), "htm": "POST", "htu": URL, "iat": now, "ath": ath})
    }
}

fn rand_u64() -> u64 {
    let mut b = [0u8; 8];
    aws_lc_rs::rand::fill(&mut b).unwrap();
    u64::from_le_bytes(b)
}

#[tokio::test]
async fn a_bound_token_with_its_proof_is_served_once_per_proof() {
    let issuer = issuer().await;
    let layer = layer(&issuer, Some(Dpop::required()));
    let key = DpopKey::generate_es256().unwrap();
    let token = issuer.token().bound_to(&key).sign().unwrap();
    let proof = key.proof("POST", URL, Some(&token), None).unwrap();
    let auth = Some(format!("DPoP {token}"));
    send(&layer, "POST", auth.clone(), &[&proof], None)
        .await
        .assert_served();
    // The same proof again: a copy.
    let replayed = send(&layer, "POST", auth.clone(), &[&proof], None).await;
    replayed.assert_refused("DPOP_PROOF_INVALID");
    let challenge = replayed.headers["www-authenticate"].to_str().unwrap();
    assert!(
        challenge.starts_with(
            r#"DPoP algs="ES256 ES384 EdDSA RS256 PS256", error="invalid_dpop_proof""#
        ),
        "{challenge}"
    );
    // A new proof of the same key: served.
    let fresh = key.proof("POST", URL, Some(&token), None).unwrap();
    send(&layer, "POST", auth, &[&fresh], None)
        .await
        .assert_served();
}

#[tokio::test]
async fn a_bound_token_is_never_a_bearer_token_whatever_the_configuration() {
    let issuer = issuer().await;
    let key = DpopKey::generate_es256().unwrap();
    let bound = issuer.token().bound_to(&key).sign().unwrap();
    for dpop in [None, Some(Dpop::optional())] {
        let layer = layer(&issuer, dpop);
        send(&layer, "POST", Some(format!("Bearer {bound}")), &[], None)
            .await
            .assert_refused("TOKEN_BINDING_MISMATCH");
    }
    // A binding the layer cannot check (RFC 7800 `cnf.jwk`) is refused, not
    // ignored.
    let layer = layer(&issuer, None);
    let jwk_bound = issuer
        .token()
        .with_claim("cnf", json!({"jwk": {"kty": "EC"}}))
        .sign()
        .unwrap();
    send(
        &layer,
        "POST",
        Some(format!("Bearer {jwk_bound}")),
        &[],
        None,
    )
    .await
    .assert_refused("TOKEN_BINDING_MISMATCH");
    // Without `with_dpop`, the DPoP scheme is not accepted at all.
    let proof = key.proof("POST", URL, Some(&bound), None).unwrap();
    send(
        &layer,
        "POST",
        Some(format!("DPoP {bound}")),
        &[&proof],
        None,
    )
    .await
    .assert_refused("AUTH_FAILED_INVALID_BEARER_TOKEN");
}

#[tokio::test]
async fn optional_serves_unbound_bearer_tokens_and_required_does_not() {
    let issuer = issuer().await;
    let unbound = issuer.token().sign().unwrap();
    let optional = layer(&issuer, Some(Dpop::optional()));
    send(
        &optional,
        "POST",
        Some(format!("Bearer {unbound}")),
        &[],
        None,
    )
    .await
    .assert_served();
    let required = layer(&issuer, Some(Dpop::required()));
    send(
        &required,
        "POST",
        Some(format!("Bearer {unbound}")),
        &[],
        None,
    )
    .await
    .assert_refused("DPOP_PROOF_INVALID");
    // An unbound token under DPoP: the client thinks it is bound.
    let key = DpopKey::generate_es256().unwrap();
    let proof = key.proof("POST", URL, Some(&unbound), None).unwrap();
    send(
        &required,
        "POST",
        Some(format!("DPoP {unbound}")),
        &[&proof],
        None,
    )
    .await
    .assert_refused("TOKEN_BINDING_MISMATCH");
    // No authorization at all: a Bearer and a DPoP challenge.
    let missing = send(&required, "POST", None, &[], None).await;
    missing.assert_refused("BEARER_TOKEN_MISSING");
    let challenges: Vec<&str> = missing
        .headers
        .get_all("www-authenticate")
        .iter()
        .map(|v| v.to_str().unwrap())
        .collect();
    assert_eq!(
        challenges,
        ["Bearer", r#"DPoP algs="ES256 ES384 EdDSA RS256 PS256""#]
    );
}

#[tokio::test]
async fn a_stolen_token_with_another_key_or_a_copied_proof_is_refused() {
    let issuer = issuer().await;
    let layer = layer(&issuer, Some(Dpop::required()));
    let owner = DpopKey::generate_es256().unwrap();
    let thief = DpopKey::generate_es256().unwrap();
    let token = issuer.token().bound_to(&owner).sign().unwrap();
    let auth = Some(format!("DPoP {token}"));
    let thiefs = thief.proof("POST", URL, Some(&token), None).unwrap();
    send(&layer, "POST", auth.clone(), &[&thiefs], None)
        .await
        .assert_refused("TOKEN_BINDING_MISMATCH");
    // The owner's proof for another token, another method, another URL.
    let other_token = owner
        .proof("POST", URL, Some("another-token"), None)
        .unwrap();
    let other_method = owner.proof("GET", URL, Some(&token), None).unwrap();
    let other_url = owner
        .proof(
            "POST",
            "http://api.test/orders.v1.Orders/Delete",
            Some(&token),
            None,
        )
        .unwrap();
    let other_host = owner
        .proof(
            "POST",
            "http://evil.test/orders.v1.Orders/Get",
            Some(&token),
            None,
        )
        .unwrap();
    for proof in [&other_token, &other_method, &other_url, &other_host] {
        send(&layer, "POST", auth.clone(), &[proof.as_str()], None)
            .await
            .assert_refused("DPOP_PROOF_INVALID");
    }
    // The owner's proofs are still good: the refused ones were not spent.
    // Query and default port and case do not matter (RFC 9449 §4.3).
    let same = owner
        .proof(
            "POST",
            "HTTP://API.test:80/orders.v1.Orders/Get?x=1",
            Some(&token),
            None,
        )
        .unwrap();
    send(&layer, "POST", auth.clone(), &[&same], None)
        .await
        .assert_served();
    // No proof, two proofs.
    send(&layer, "POST", auth.clone(), &[], None)
        .await
        .assert_refused("DPOP_PROOF_INVALID");
    let a = owner.proof("POST", URL, Some(&token), None).unwrap();
    let b = owner.proof("POST", URL, Some(&token), None).unwrap();
    send(&layer, "POST", auth, &[&a, &b], None)
        .await
        .assert_refused("DPOP_PROOF_INVALID");
}

#[tokio::test]
async fn every_malformed_proof_is_invalid_never_served() {
    let issuer = issuer().await;
    let layer = layer(
        &issuer,
        Some(Dpop::required().with_max_age(Duration::from_secs(60))),
    );
    let key = HandKey::new();
    let token = issuer.token().bound_to(&key.dpop).sign().unwrap();
    let auth = Some(format!("DPoP {token}"));
    // The hand-made proof itself is good.
    let good = key.sign(&key.header(), &key.claims(&token));
    send(&layer, "POST", auth.clone(), &[&good], None)
        .await
        .assert_served();
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs();
    let mut cases: Vec<(&str, String)> = Vec::new();
    let with_header = |f: &dyn Fn(&mut Value)| {
        let mut h = key.header();
        f(&mut h);
        key.sign(&h, &key.claims(&token))
    };
    let with_claims = |f: &dyn Fn(&mut Value)| {
        let mut c = key.claims(&token);
        f(&mut c);
        key.sign(&key.header(), &c)
    };
    cases.push(("typ JWT", with_header(&|h| h["typ"] = json!("JWT"))));
    cases.push((
        "no typ",
        with_header(&|h| drop(h.as_object_mut().unwrap().remove("typ"))),
    ));
    cases.push(("alg none", with_header(&|h| h["alg"] = json!("none"))));
    cases.push(("alg HS256", with_header(&|h| h["alg"] = json!("HS256"))));
    cases.push((
        "alg ES384 on P-256",
        with_header(&|h| h["alg"] = json!("ES384")),
    ));
    cases.push((
        "private jwk",
        with_header(&|h| h["jwk"]["d"] = json!("AAAA")),
    ));
    cases.push((
        "no jwk",
        with_header(&|h| drop(h.as_object_mut().unwrap().remove("jwk"))),
    ));
    cases.push(("crit", with_header(&|h| h["crit"] = json!(["exp"]))));
    cases.push(("old", with_claims(&|c| c["iat"] = json!(now - 61))));
    cases.push(("future", with_claims(&|c| c["iat"] = json!(now + 30))));
    cases.push((
        "no iat",
        with_claims(&|c| drop(c.as_object_mut().unwrap().remove("iat"))),
    ));
    cases.push((
        "no jti",
        with_claims(&|c| drop(c.as_object_mut().unwrap().remove("jti"))),
    ));
    cases.push((
        "no ath",
        with_claims(&|c| drop(c.as_object_mut().unwrap().remove("ath"))),
    ));
    cases.push((
        "no htu",
        with_claims(&|c| drop(c.as_object_mut().unwrap().remove("htu"))),
    ));
    cases.push(("htm lower case", with_claims(&|c| c["htm"] = json!("post"))));
    // Signed by another key than the one in the header.
    let other = HandKey::new();
    cases.push((
        "wrong signer",
        other.sign(&key.header(), &key.claims(&token)),
    ));
    // Bytes that are not a JWS at all.
    cases.push(("garbage", "not-a-jwt".to_owned()));
    cases.push(("four parts", format!("{good}.x")));
    cases.push(("too long", format!("{}.{}.x", "A".repeat(9000), "B")));
    for (what, proof) in &cases {
        let answer = send(&layer, "POST", auth.clone(), &[proof.as_str()], None).await;
        assert_eq!(
            answer.reason().as_deref(),
            Some("DPOP_PROOF_INVALID"),
            "{what}: {}",
            answer.body
        );
        // Nothing of the proof is echoed.
        assert!(
            !answer.body.contains(&proof[..20.min(proof.len())]),
            "{what}"
        );
    }
}

#[tokio::test]
async fn nonces_are_required_issued_and_refreshed() {
    let issuer = issuer().await;
    let layer = layer(&issuer, Some(Dpop::required().with_nonces()));
    let key = DpopKey::generate_es256().unwrap();
    let token = issuer.token().bound_to(&key).sign().unwrap();
    let auth = Some(format!("DPoP {token}"));
    let without = key.proof("POST", URL, Some(&token), None).unwrap();
    let answer = send(&layer, "POST", auth.clone(), &[&without], None).await;
    answer.assert_refused("DPOP_NONCE_REQUIRED");
    let challenge = answer.headers["www-authenticate"].to_str().unwrap();
    assert!(
        challenge.contains(r#"error="use_dpop_nonce""#),
        "{challenge}"
    );
    let nonce = answer.headers["dpop-nonce"].to_str().unwrap().to_owned();
    // A made-up nonce is refused the same way.
    let made_up = key
        .proof(
            "POST",
            URL,
            Some(&token),
            Some("AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"),
        )
        .unwrap();
    send(&layer, "POST", auth.clone(), &[&made_up], None)
        .await
        .assert_refused("DPOP_NONCE_REQUIRED");
    let with = key.proof("POST", URL, Some(&token), Some(&nonce)).unwrap();
    let served = send(&layer, "POST", auth, &[&with], None).await;
    served.assert_served();
    // A served DPoP request learns the current nonce too.
    assert_eq!(served.headers["dpop-nonce"], nonce.as_str());
    // Another layer instance with its own random secret does not accept it;
    // two sharing a secret do.
    let secret = [9u8; 32];
    let a = self::layer(&issuer, Some(Dpop::required().with_nonce_secret(secret)));
    let b = self::layer(&issuer, Some(Dpop::required().with_nonce_secret(secret)));
    let from_a = send(
        &a,
        "POST",
        Some(format!("DPoP {token}")),
        &[&key.proof("POST", URL, Some(&token), None).unwrap()],
        None,
    )
    .await
    .headers["dpop-nonce"]
        .to_str()
        .unwrap()
        .to_owned();
    let proof = key.proof("POST", URL, Some(&token), Some(&from_a)).unwrap();
    send(&b, "POST", Some(format!("DPoP {token}")), &[&proof], None)
        .await
        .assert_served();
}

#[tokio::test]
async fn a_proof_is_spent_across_instances_sharing_a_replay_cache_and_a_full_cache_is_unavailable()
{
    let issuer = issuer().await;
    let shared = Arc::new(MemoryReplayCache::new(2));
    let a = layer(
        &issuer,
        Some(Dpop::required().with_replay_cache(shared.clone())),
    );
    let b = layer(
        &issuer,
        Some(Dpop::required().with_replay_cache(shared.clone())),
    );
    let key = DpopKey::generate_es256().unwrap();
    let token = issuer.token().bound_to(&key).sign().unwrap();
    let auth = Some(format!("DPoP {token}"));
    let proof = key.proof("POST", URL, Some(&token), None).unwrap();
    send(&a, "POST", auth.clone(), &[&proof], None)
        .await
        .assert_served();
    send(&b, "POST", auth.clone(), &[&proof], None)
        .await
        .assert_refused("DPOP_PROOF_INVALID");
    let second = key.proof("POST", URL, Some(&token), None).unwrap();
    send(&b, "POST", auth.clone(), &[&second], None)
        .await
        .assert_served();
    assert_eq!(shared.len(), 2);
    // Full of proofs still inside their window: never accepted unrecorded.
    let third = key.proof("POST", URL, Some(&token), None).unwrap();
    let answer = send(&a, "POST", auth, &[&third], None).await;
    assert_eq!(answer.status, 503, "{}", answer.body);
    assert_eq!(answer.reason(), None);
}

#[tokio::test]
async fn a_certificate_bound_token_needs_its_certificate() {
    let issuer = issuer().await;
    let layer = layer(&issuer, None);
    let certificate = ClientCertificate::new(b"0\x82 the client's DER".to_vec());
    let other = ClientCertificate::new(b"0\x82 another DER".to_vec());
    let token = issuer
        .token()
        .bound_to_certificate(&certificate)
        .sign()
        .unwrap();
    let auth = Some(format!("Bearer {token}"));
    send(&layer, "POST", auth.clone(), &[], Some(certificate))
        .await
        .assert_served();
    send(&layer, "POST", auth.clone(), &[], Some(other))
        .await
        .assert_refused("TOKEN_BINDING_MISMATCH");
    send(&layer, "POST", auth, &[], None)
        .await
        .assert_refused("TOKEN_BINDING_MISMATCH");
}

#[tokio::test]
async fn dpop_settings_that_can_only_be_mistakes_are_refused_at_build() {
    let issuer = issuer().await;
    let verifier = || JwtVerifier::from_issuer(issuer.url(), validation()).unwrap();
    for dpop in [
        Dpop::required().with_algorithms(["HS256"]),
        Dpop::required().with_algorithms(["none"]),
        Dpop::required().with_algorithms(Vec::<String>::new()),
        Dpop::required().with_max_age(Duration::ZERO),
        Dpop::required().with_max_age(Duration::from_secs(7200)),
        Dpop::required().with_nonce_secret(b"short"),
        Dpop::required().with_public_url("ftp://api.example.com"),
        Dpop::required().with_public_url("https://api.example.com/?q"),
    ] {
        let shown = format!("{dpop:?}");
        let err = BearerAuthLayer::builder(verifier())
            .with_dpop(dpop)
            .build()
            .unwrap_err();
        assert!(matches!(err, ConfigError::Dpop { .. }), "{shown}: {err}");
        // The secret is never shown.
        assert!(!err.to_string().contains("short"), "{err}");
        assert!(!shown.contains("short"), "{shown}");
    }
}

#[tokio::test]
async fn behind_a_proxy_the_public_url_is_what_proofs_name() {
    let issuer = issuer().await;
    let layer = layer(
        &issuer,
        Some(Dpop::required().with_public_url("https://public.example.com/api/")),
    );
    let key = DpopKey::generate_es256().unwrap();
    let token = issuer.token().bound_to(&key).sign().unwrap();
    let auth = Some(format!("DPoP {token}"));
    let public = key
        .proof(
            "POST",
            "https://public.example.com/api/orders.v1.Orders/Get",
            Some(&token),
            None,
        )
        .unwrap();
    send(&layer, "POST", auth.clone(), &[&public], None)
        .await
        .assert_served();
    let internal = key.proof("POST", URL, Some(&token), None).unwrap();
    send(&layer, "POST", auth, &[&internal], None)
        .await
        .assert_refused("DPOP_PROOF_INVALID");
}

/// A token source handing out one token.
struct Fixed(String);

impl auth_error::client::TokenSource for Fixed {
    async fn fetch(&self) -> Result<auth_error::client::AccessToken, auth_error::BoxError> {
        Ok(auth_error::client::AccessToken::new(self.0.clone()))
    }
}

/// Counts the requests that reach the layer (so the nonce round trip shows).
#[derive(Clone, Default)]
struct Count(Arc<std::sync::atomic::AtomicUsize>);

impl Count {
    fn get(&self) -> usize {
        self.0.load(std::sync::atomic::Ordering::SeqCst)
    }
}

#[tokio::test]
async fn a_grpc_client_with_a_dpop_key_is_served_and_a_thief_is_told_why() {
    use auth_error::AuthStatusExt as _;
    use auth_error::client::CredentialsLayer;
    use tonic_health::pb::HealthCheckRequest;
    use tonic_health::pb::health_client::HealthClient;

    let issuer = issuer().await;
    let verifier = JwtVerifier::from_issuer(issuer.url(), validation()).unwrap();
    let layer = BearerAuthLayer::builder(verifier)
        .with_dpop(Dpop::required().with_nonces())
        .build()
        .unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let (_reporter, health) = tonic_health::server::health_reporter();
    let count = Count::default();
    tokio::spawn(
        tonic::transport::Server::builder()
            .layer(tonic::service::InterceptorLayer::new({
                let count = count.0.clone();
                move |req| {
                    count.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                    Ok(req)
                }
            }))
            .layer(layer)
            .add_service(health)
            .serve_with_incoming(tokio_stream::wrappers::TcpListenerStream::new(listener)),
    );
    let uri: http::Uri = format!("http://{addr}").parse().unwrap();
    let channel = tonic::transport::Endpoint::from(uri.clone())
        .connect()
        .await
        .unwrap();
    let key = DpopKey::generate_es256().unwrap();
    let token = issuer.token().bound_to(&key).sign().unwrap();
    let client = tower::ServiceBuilder::new()
        .layer(
            CredentialsLayer::new(Fixed(token.clone()))
                .with_endpoint(uri)
                .with_dpop(key),
        )
        .service(channel.clone());
    let mut client = HealthClient::new(client);
    // The first call learns the nonce (one retry), the next ones reuse it.
    client.check(HealthCheckRequest::default()).await.unwrap();
    assert_eq!(count.get(), 2);
    client.check(HealthCheckRequest::default()).await.unwrap();
    client.check(HealthCheckRequest::default()).await.unwrap();
    assert_eq!(count.get(), 4);
    // The token stolen, sent as a bearer token: the reason says why.
    let mut request = tonic::Request::new(HealthCheckRequest::default());
    request
        .metadata_mut()
        .insert("authorization", format!("Bearer {token}").parse().unwrap());
    let status = HealthClient::new(channel.clone())
        .check(request)
        .await
        .unwrap_err();
    assert_eq!(
        status.auth_error().map(|e| e.code()),
        Some(auth_error::AuthErrorCode::TokenBindingMismatch)
    );
    // Under DPoP without a proof: invalid proof.
    let mut request = tonic::Request::new(HealthCheckRequest::default());
    request
        .metadata_mut()
        .insert("authorization", format!("DPoP {token}").parse().unwrap());
    let status = HealthClient::new(channel).check(request).await.unwrap_err();
    assert_eq!(
        status.auth_error().map(|e| e.code()),
        Some(auth_error::AuthErrorCode::DpopProofInvalid)
    );
}

#[tokio::test]
async fn client_credentials_with_a_dpop_key_get_bound_tokens_and_use_them() {
    use auth_error::client::CredentialsLayer;
    use auth_error::oauth::ClientCredentials;
    use tonic_health::pb::HealthCheckRequest;
    use tonic_health::pb::health_client::HealthClient;

    let issuer = issuer().await;
    issuer.add_client("svc", "svc-secret", ["health.read"]);
    let verifier = JwtVerifier::from_issuer(issuer.url(), validation()).unwrap();
    let layer = BearerAuthLayer::builder(verifier)
        .with_dpop(Dpop::required())
        .build()
        .unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let (_reporter, health) = tonic_health::server::health_reporter();
    tokio::spawn(
        tonic::transport::Server::builder()
            .layer(layer)
            .add_service(health)
            .serve_with_incoming(tokio_stream::wrappers::TcpListenerStream::new(listener)),
    );
    let uri: http::Uri = format!("http://{addr}").parse().unwrap();
    let channel = tonic::transport::Endpoint::from(uri.clone())
        .connect()
        .await
        .unwrap();
    let key = DpopKey::generate_es256().unwrap();
    let source = ClientCredentials::from_issuer(issuer.url(), "svc", "svc-secret")
        .unwrap()
        .with_resource(AUDIENCE)
        .with_dpop(key.clone());
    let client = tower::ServiceBuilder::new()
        .layer(
            CredentialsLayer::new(source)
                .with_endpoint(uri)
                .with_dpop(key),
        )
        .service(channel);
    let mut client = HealthClient::new(client);
    client.check(HealthCheckRequest::default()).await.unwrap();
    client.check(HealthCheckRequest::default()).await.unwrap();
    assert_eq!(issuer.requests(auth_error::testing::Endpoint::Token), 1);
    // Without a key of its own, the same client's token is a bearer token:
    // a DPoP-only resource refuses it, saying DPoP is needed.
    let plain = ClientCredentials::from_issuer(issuer.url(), "svc", "svc-secret")
        .unwrap()
        .with_resource(AUDIENCE);
    let token = auth_error::client::TokenSource::fetch(&plain)
        .await
        .unwrap();
    let mut request = tonic::Request::new(HealthCheckRequest::default());
    request.metadata_mut().insert(
        "authorization",
        format!("Bearer {}", token.secret()).parse().unwrap(),
    );
    let channel =
        tonic::transport::Endpoint::from(format!("http://{addr}").parse::<http::Uri>().unwrap())
            .connect()
            .await
            .unwrap();
    let status = HealthClient::new(channel).check(request).await.unwrap_err();
    use auth_error::AuthStatusExt as _;
    assert_eq!(
        status.auth_error().map(|e| e.code()),
        Some(auth_error::AuthErrorCode::DpopProofInvalid)
    );
}

/// Debian's `redis-server` on a free loopback port, stopped on drop.
#[cfg(feature = "redis")]
struct Redis {
    child: std::process::Child,
    url: String,
}

#[cfg(feature = "redis")]
impl Redis {
    fn start() -> Redis {
        let bin = "/usr/bin/redis-server";
        assert!(
            std::path::Path::new(bin).exists(),
            "{bin} is missing: install Debian's redis-server (apt-get install redis-server), or run bash scripts/test.sh"
        );
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let child = std::process::Command::new(bin)
            .args(["--bind", "127.0.0.1", "--port", &port.to_string()])
            .args([
                "--save",
                "",
                "--appendonly",
                "no",
                "--protected-mode",
                "yes",
            ])
            .stdout(std::process::Stdio::null())
            .spawn()
            .expect("redis-server starts");
        let deadline = std::time::Instant::now() + Duration::from_secs(10);
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(
                std::time::Instant::now() < deadline,
                "redis-server did not listen"
            );
            std::thread::sleep(Duration::from_millis(20));
        }
        Redis {
            child,
            url: format!("redis://127.0.0.1:{port}/"),
        }
    }
}

#[cfg(feature = "redis")]
impl Drop for Redis {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[cfg(feature = "redis")]
#[tokio::test]
#[ignore = "needs Debian's redis-server; run bash scripts/test.sh"]
async fn two_instances_sharing_redis_serve_a_proof_once_and_redis_down_is_unavailable() {
    use auth_error::server::RedisReplayCache;
    let redis = Redis::start();
    let issuer = issuer().await;
    let instance = || {
        layer(
            &issuer,
            Some(Dpop::required().with_replay_cache(RedisReplayCache::new(&redis.url).unwrap())),
        )
    };
    let (a, b) = (instance(), instance());
    let key = DpopKey::generate_es256().unwrap();
    let token = issuer.token().bound_to(&key).sign().unwrap();
    let auth = Some(format!("DPoP {token}"));
    let proof = key.proof("POST", URL, Some(&token), None).unwrap();
    send(&a, "POST", auth.clone(), &[&proof], None)
        .await
        .assert_served();
    send(&b, "POST", auth.clone(), &[&proof], None)
        .await
        .assert_refused("DPOP_PROOF_INVALID");
    send(&a, "POST", auth.clone(), &[&proof], None)
        .await
        .assert_refused("DPOP_PROOF_INVALID");
    // Concurrent copies of one fresh proof: exactly one is served.
    let fresh = key.proof("POST", URL, Some(&token), None).unwrap();
    let proofs = [fresh.as_str()];
    let answers = futures_like_join(
        (0..8)
            .map(|i| {
                let layer = if i % 2 == 0 { &a } else { &b };
                send(layer, "POST", auth.clone(), &proofs, None)
            })
            .collect(),
    )
    .await;
    assert_eq!(answers.iter().filter(|a| a.status == 200).count(), 1);
    // Redis gone: never served unrecorded.
    drop(redis);
    let another = key.proof("POST", URL, Some(&token), None).unwrap();
    let answer = send(&a, "POST", auth, &[&another], None).await;
    assert_eq!(answer.status, 503, "{}", answer.body);
    assert_eq!(answer.reason(), None);
}

/// Runs the futures concurrently on this task, in order of their answers.
#[cfg(feature = "redis")]
async fn futures_like_join<F: std::future::Future>(futures: Vec<F>) -> Vec<F::Output> {
    let mut set = Vec::new();
    let pinned: Vec<_> = futures.into_iter().map(Box::pin).collect();
    let mut pending: Vec<_> = pinned.into_iter().map(Some).collect();
    std::future::poll_fn(|cx| {
        for slot in pending.iter_mut() {
            if let Some(f) = slot
                && let std::task::Poll::Ready(out) = f.as_mut().poll(cx)
            {
                set.push(out);
                *slot = None;
            }
        }
        if pending.iter().all(Option::is_none) {
            std::task::Poll::Ready(())
        } else {
            std::task::Poll::Pending
        }
    })
    .await;
    set
}
