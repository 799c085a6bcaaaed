//! One axum 0.8 route (`GET /orders`, answering `ok`) behind auth-error's
//! `BearerAuthLayer` + `JwtVerifier` and behind each Rust peer at its newest
//! version, configured alike: one ES256 (P-256) key held in memory (the
//! test key `tests/data/keys/es256-a`, `kid` "a"), and the audience, issuer,
//! `exp` and `nbf` checked. Requests go in-process through
//! `tower::ServiceExt::oneshot`, and each response body is read to the end
//! (a refusal's body is part of its cost).
//!
//! The cases: an accepted token, an expired one, one signed by another key
//! (`es256-b`: a well-formed signature that does not verify), and no token.
//! The tokens have fixed timestamps and are signed with RFC 6979
//! (deterministic) signatures, so every run and every peer verifies the
//! same bytes.
//!
//! Each peer as configured, at its defaults otherwise (leeway 60 s for all):
//! - auth-error: `JwtVerifier` (claims as `serde_json::Value`, its default)
//!   with the key under `kid` "a", in `BearerAuthLayer` (default options;
//!   feature `axum`, so refusals carry the JSON reason body).
//! - jwt-authorizer 0.15: `JwtAuthorizer::from_ec_pem_text` (a single key,
//!   used whatever the `kid`), `RegisteredClaims`, `Validation` with `iss`,
//!   `aud`, `nbf`. It is built on axum 0.7: its layer needs the inner
//!   service to answer axum 0.7 responses, so the route's response body is
//!   wrapped into an axum 0.7 body under it (and boxed back into an axum 0.8
//!   body by the router: one allocation more per request than the others).
//! - tower-oauth2-resource-server 0.12: a static tenant
//!   (`TenantConfiguration::static_builder`) whose JWKS holds the same key,
//!   `DefaultClaims`, `ClaimsValidationSpec::recommended` (exp, nbf, iss,
//!   aud), ES256 allowed. It takes keys as a JWKS document only (in memory:
//!   no URL needed), and needs a `kid` in the token.
//! - axum-jwt-auth 0.7: no layer; a `Claims<T>` extractor in the handler
//!   with a `LocalDecoder` (the key, a jsonwebtoken 10 `Validation` with
//!   audience, issuer, `nbf`) as router state. `T` is [`BenchClaims`].
//! - `bare`: the route without authentication (routing and the handler
//!   alone).

use std::sync::Arc;

use axum::Router;
use axum::body::Body;
use axum::routing::get;
use base64::Engine;
use http::header::AUTHORIZATION;
use http::{HeaderValue, Request, StatusCode};
use http_body_util::BodyExt;
use serde::Deserialize;
use tower::ServiceExt;

/// The `aud` every token carries and every verifier requires.
pub const AUDIENCE: &str = "orders-api";
/// The `iss` every token carries and every verifier requires.
pub const ISSUER: &str = "https://id.example.com";
/// The `kid` of the tokens' header and of the key.
pub const KID: &str = "a";
/// The route.
pub const PATH: &str = "/orders";

const PRIVATE: &[u8] = include_bytes!("../../tests/data/keys/es256-a.pem");
const PUBLIC: &str = include_str!("../../tests/data/keys/es256-a.pub.pem");
/// Another P-256 key: what it signs does not verify with `es256-a`.
const OTHER_PRIVATE: &[u8] = include_bytes!("../../tests/data/keys/es256-b.pem");

/// `nbf` and `iat` of every token: 2023-11-14.
const NOT_BEFORE: u64 = 1_700_000_000;
/// `exp` of the accepted and bad-signature tokens: 2096.
const FAR_FUTURE: u64 = 4_000_000_000;
/// `exp` of the expired token: an hour after `NOT_BEFORE`.
const PAST: u64 = NOT_BEFORE + 3600;

/// Chooses jsonwebtoken 11's crypto backend for the process, explicitly:
/// auth-error and tower-oauth2-resource-server share that jsonwebtoken, and
/// when cargo unifies both of its backend features into it (feature
/// `aws-lc` here, or an auth-error whose default is aws-lc-rs beside
/// tower-oauth2-resource-server's `jwt-rust-crypto`), jsonwebtoken picks
/// none by itself and panics on first use. Idempotent; call it before
/// anything signs or verifies (the other functions here do).
pub fn init() {
    #[cfg(feature = "aws-lc")]
    let provider = &jsonwebtoken::crypto::aws_lc::DEFAULT_PROVIDER;
    #[cfg(not(feature = "aws-lc"))]
    let provider = &jsonwebtoken::crypto::rust_crypto::DEFAULT_PROVIDER;
    // Err when already installed: by an earlier call, which chose the same.
    let _ = provider.install_default();
}

/// The backend jsonwebtoken 11 uses here (auth-error and
/// tower-oauth2-resource-server), for labelling results.
pub const JSONWEBTOKEN_11_BACKEND: &str = if cfg!(feature = "aws-lc") {
    "aws-lc-rs"
} else {
    "RustCrypto"
};

/// What a request carries.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Case {
    /// A valid token.
    Accepted,
    /// A token whose `exp` has passed (signature valid).
    Expired,
    /// A token signed by another key.
    BadSignature,
    /// No `Authorization` header.
    NoToken,
}

impl Case {
    /// Every case, in table order.
    pub const ALL: [Case; 4] = [
        Case::Accepted,
        Case::Expired,
        Case::BadSignature,
        Case::NoToken,
    ];

    /// The case's name on command lines and in tables.
    pub fn name(self) -> &'static str {
        match self {
            Case::Accepted => "accepted",
            Case::Expired => "expired",
            Case::BadSignature => "bad_signature",
            Case::NoToken => "no_token",
        }
    }

    /// The case named `name`.
    pub fn from_name(name: &str) -> Option<Case> {
        Case::ALL.into_iter().find(|c| c.name() == name)
    }
}

/// Who guards the route.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Peer {
    /// auth-error.
    Ours,
    /// jwt-authorizer 0.15.
    JwtAuthorizer,
    /// tower-oauth2-resource-server 0.12.
    TowerOauth2,
    /// axum-jwt-auth 0.7.
    AxumJwtAuth,
    /// Nobody: the route alone.
    Bare,
}

impl Peer {
    /// Every router, in table order.
    pub const ALL: [Peer; 5] = [
        Peer::Ours,
        Peer::JwtAuthorizer,
        Peer::TowerOauth2,
        Peer::AxumJwtAuth,
        Peer::Bare,
    ];

    /// The peer's name on command lines and in benchmark ids.
    pub fn name(self) -> &'static str {
        match self {
            Peer::Ours => "ours",
            Peer::JwtAuthorizer => "jwt_authorizer",
            Peer::TowerOauth2 => "tower_oauth2",
            Peer::AxumJwtAuth => "axum_jwt_auth",
            Peer::Bare => "bare",
        }
    }

    /// The peer named `name`.
    pub fn from_name(name: &str) -> Option<Peer> {
        Peer::ALL.into_iter().find(|p| p.name() == name)
    }

    /// The status every peer must answer in `case` (all refuse with 401).
    pub fn expected(self, case: Case) -> StatusCode {
        match (self, case) {
            (Peer::Bare, _) | (_, Case::Accepted) => StatusCode::OK,
            _ => StatusCode::UNAUTHORIZED,
        }
    }
}

/// The router guarded by `peer`, as `axum::serve` runs it: with its
/// state given (`with_state`), so that its handlers are turned into routes,
/// and layers applied to them, once and not per request.
pub async fn router(peer: Peer) -> Router {
    let router = match peer {
        Peer::Ours => ours(),
        Peer::JwtAuthorizer => jwt_authorizer().await,
        Peer::TowerOauth2 => tower_oauth2().await,
        Peer::AxumJwtAuth => axum_jwt_auth(),
        Peer::Bare => bare(),
    };
    router.with_state(())
}

async fn ok() -> &'static str {
    "ok"
}

/// The route alone.
pub fn bare() -> Router {
    Router::new().route(PATH, get(ok))
}

/// jsonwebtoken 11's checks as auth-error and the bare decode run them:
/// ES256, audience, issuer, `exp` and `nbf`.
fn validation() -> jsonwebtoken::Validation {
    let mut validation = jsonwebtoken::Validation::new(jsonwebtoken::Algorithm::ES256);
    validation.set_audience(&[AUDIENCE]);
    validation.set_issuer(&[ISSUER]);
    validation.validate_nbf = true;
    validation
}

/// The test key `es256-a`, public half, for jsonwebtoken 11.
fn public_key() -> jsonwebtoken::DecodingKey {
    jsonwebtoken::DecodingKey::from_ec_pem(PUBLIC.as_bytes()).expect("the test key")
}

/// auth-error: `BearerAuthLayer` + `JwtVerifier`, the key under `kid` "a".
pub fn ours() -> Router {
    use auth_error::jwt::JwtVerifier;
    use auth_error::server::BearerAuthLayer;
    init();
    // As scripts/perf/verify_cost.rs: the key for kid-less tokens and under "a".
    let verifier = JwtVerifier::new(public_key(), validation()).add_key(KID, public_key());
    let layer = BearerAuthLayer::builder(verifier)
        .build()
        .expect("a valid layer");
    Router::new().route(PATH, get(ok)).layer(layer)
}

/// jsonwebtoken 11's own `decode` of `token` into a `serde_json::Value`
/// with the same key and checks as [`ours`]: the backend's bare decode,
/// what a layer built on jsonwebtoken cannot go below.
pub fn bare_decode(token: &str) -> bool {
    use jsonwebtoken::{DecodingKey, Validation};
    use std::sync::OnceLock;
    static KEY: OnceLock<(DecodingKey, Validation)> = OnceLock::new();
    let (key, validation) = KEY.get_or_init(|| {
        init();
        (public_key(), validation())
    });
    jsonwebtoken::decode::<serde_json::Value>(token, key, validation).is_ok()
}

/// The route's axum 0.8 response as an axum 0.7 one (same `http` types, the
/// body boxed into axum 0.7's `Body`), for jwt-authorizer's layer.
fn to_axum07(response: axum::response::Response) -> axum07::response::Response {
    response.map(axum07::body::Body::new)
}

/// jwt-authorizer 0.15: `from_ec_pem_text`, `iss`, `aud`, `nbf` checked.
pub async fn jwt_authorizer() -> Router {
    use jwt_authorizer::{IntoLayer, JwtAuthorizer, RegisteredClaims, Validation};
    let validation = Validation::new().iss(&[ISSUER]).aud(&[AUDIENCE]).nbf(true);
    let authorizer = JwtAuthorizer::<RegisteredClaims>::from_ec_pem_text(PUBLIC)
        .validation(validation)
        .build()
        .await
        .expect("a valid authorizer");
    // One layer (the router boxes each `.layer` back into an axum 0.8
    // route): the authorizer, around the route answering axum 0.7 responses.
    let layer = tower::ServiceBuilder::new()
        .layer(authorizer.into_layer())
        .map_response(to_axum07);
    Router::new().route(PATH, get(ok)).layer(layer)
}

/// The key as a JWKS document (RFC 7517), `kid` "a", `alg` ES256: `x` and
/// `y` read from the public key's SubjectPublicKeyInfo.
pub fn jwks_json() -> String {
    let b64: String = PUBLIC
        .lines()
        .filter(|line| !line.starts_with("-----"))
        .collect();
    let der = base64::engine::general_purpose::STANDARD
        .decode(b64)
        .expect("PEM base64");
    // P-256 SPKI: 26 bytes of algorithm identifiers and BIT STRING header,
    // then the uncompressed point 04 || x || y.
    assert!(der.len() == 91 && der[26] == 4, "a P-256 public key");
    let b64url = |bytes: &[u8]| base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes);
    serde_json::json!({
        "keys": [{
            "kty": "EC",
            "crv": "P-256",
            "x": b64url(&der[27..59]),
            "y": b64url(&der[59..91]),
            "kid": KID,
            "alg": "ES256",
            "use": "sig",
        }]
    })
    .to_string()
}

/// tower-oauth2-resource-server 0.12: a static tenant with the JWKS above,
/// exp, nbf, iss and aud checked, ES256 allowed.
pub async fn tower_oauth2() -> Router {
    use tower_oauth2_resource_server::claims::DefaultClaims;
    use tower_oauth2_resource_server::server::OAuth2ResourceServer;
    use tower_oauth2_resource_server::tenant::TenantConfiguration;
    use tower_oauth2_resource_server::validation::ClaimsValidationSpec;
    init();
    let tenant = TenantConfiguration::static_builder(jwks_json())
        .audiences(&[AUDIENCE])
        .claims_validation(ClaimsValidationSpec::recommended(
            ISSUER,
            &vec![AUDIENCE.to_owned()],
        ))
        .allowed_algorithms(&[jsonwebtoken::Algorithm::ES256])
        .build()
        .expect("a valid tenant");
    let server = OAuth2ResourceServer::<DefaultClaims>::builder()
        .add_tenant(tenant)
        .build()
        .await
        .expect("a valid resource server");
    Router::new()
        .route(PATH, get(ok))
        .layer(server.into_layer::<Body>())
}

/// The claims axum-jwt-auth decodes (it has no default claims type).
#[derive(Clone, Debug, Deserialize)]
pub struct BenchClaims {
    /// `sub`.
    pub sub: String,
    /// `iss`.
    pub iss: String,
    /// `aud` (a string in these tokens).
    pub aud: String,
    /// `exp`.
    pub exp: u64,
    /// `nbf`.
    pub nbf: u64,
}

async fn ok_with_claims(_claims: axum_jwt_auth::Claims<BenchClaims>) -> &'static str {
    "ok"
}

/// axum-jwt-auth 0.7: the `Claims` extractor over a `LocalDecoder`.
pub fn axum_jwt_auth() -> Router {
    use jsonwebtoken10::{Algorithm, DecodingKey, Validation};
    let mut validation = Validation::new(Algorithm::ES256);
    validation.set_audience(&[AUDIENCE]);
    validation.set_issuer(&[ISSUER]);
    validation.validate_nbf = true;
    let decoder = axum_jwt_auth::LocalDecoder::builder()
        .keys(vec![
            DecodingKey::from_ec_pem(PUBLIC.as_bytes()).expect("the test key"),
        ])
        .validation(validation)
        .build()
        .expect("a valid decoder");
    let decoder: axum_jwt_auth::Decoder<BenchClaims> = Arc::new(decoder);
    Router::new()
        .route(PATH, get(ok_with_claims))
        .with_state(decoder)
}

/// The requests of the cases, their tokens signed once.
#[derive(Clone, Debug)]
pub struct Requests {
    accepted: HeaderValue,
    expired: HeaderValue,
    bad_signature: HeaderValue,
}

/// `Bearer` and a token signed by `key` (PKCS#8 PEM) with ES256, by the
/// RustCrypto `p256` crate directly: RFC 6979 signatures are deterministic,
/// so every run, and every peer's process, verifies the very same bytes
/// (the cost of an ECDSA verification varies a little with the signature;
/// aws-lc-rs signs with a random nonce), and no signer's random generator
/// is seeded in the counted process.
fn bearer(key: &[u8], exp: u64) -> HeaderValue {
    use p256::ecdsa::signature::Signer;
    use p256::pkcs8::DecodePrivateKey;
    let b64 = base64::engine::general_purpose::URL_SAFE_NO_PAD;
    let header = serde_json::json!({ "typ": "JWT", "alg": "ES256", "kid": KID });
    let claims = serde_json::json!({
        "sub": "alice",
        "aud": AUDIENCE,
        "iss": ISSUER,
        "iat": NOT_BEFORE,
        "nbf": NOT_BEFORE,
        "exp": exp,
        "scope": "orders.read",
    });
    let signing_input = format!(
        "{}.{}",
        b64.encode(header.to_string()),
        b64.encode(claims.to_string())
    );
    let pem = std::str::from_utf8(key).expect("a PEM key");
    let key = p256::ecdsa::SigningKey::from_pkcs8_pem(pem).expect("the test key");
    let signature: p256::ecdsa::Signature = key.sign(signing_input.as_bytes());
    let token = format!("{signing_input}.{}", b64.encode(signature.to_bytes()));
    HeaderValue::try_from(format!("Bearer {token}")).expect("a header value")
}

impl Requests {
    /// Signs the tokens.
    pub fn new() -> Self {
        init();
        Requests {
            accepted: bearer(PRIVATE, FAR_FUTURE),
            expired: bearer(PRIVATE, PAST),
            bad_signature: bearer(OTHER_PRIVATE, FAR_FUTURE),
        }
    }

    /// `GET /orders` for `case`.
    pub fn request(&self, case: Case) -> Request<Body> {
        let authorization = match case {
            Case::Accepted => Some(&self.accepted),
            Case::Expired => Some(&self.expired),
            Case::BadSignature => Some(&self.bad_signature),
            Case::NoToken => None,
        };
        let mut request = Request::get(PATH);
        if let Some(value) = authorization {
            request = request.header(AUTHORIZATION, value.clone());
        }
        request.body(Body::empty()).expect("a request")
    }

    /// The token of `case` (none without a token).
    pub fn token(&self, case: Case) -> Option<&str> {
        let value = match case {
            Case::Accepted => &self.accepted,
            Case::Expired => &self.expired,
            Case::BadSignature => &self.bad_signature,
            Case::NoToken => return None,
        };
        value.to_str().ok()?.strip_prefix("Bearer ")
    }

    /// With a valid token.
    pub fn accepted(&self) -> Request<Body> {
        self.request(Case::Accepted)
    }

    /// With an expired token.
    pub fn expired(&self) -> Request<Body> {
        self.request(Case::Expired)
    }

    /// With a token signed by another key.
    pub fn bad_signature(&self) -> Request<Body> {
        self.request(Case::BadSignature)
    }

    /// Without a token.
    pub fn no_token(&self) -> Request<Body> {
        self.request(Case::NoToken)
    }
}

impl Default for Requests {
    fn default() -> Self {
        Self::new()
    }
}

/// Sends `request` through `app` with `oneshot`, reads the whole response
/// body, and returns the status.
pub async fn call(app: &Router, request: Request<Body>) -> StatusCode {
    let response = match app.clone().oneshot(request).await {
        Ok(response) => response,
        Err(never) => match never {},
    };
    let status = response.status();
    let body = response.into_body().collect().await.expect("a body");
    std::hint::black_box(body);
    status
}

/// Every router, built once, after checking that each answers every case
/// as expected.
pub async fn all_routers(requests: &Requests) -> Vec<(Peer, Router)> {
    let mut routers = Vec::new();
    for peer in Peer::ALL {
        let app = router(peer).await;
        for case in Case::ALL {
            let status = call(&app, requests.request(case)).await;
            assert_eq!(
                status,
                peer.expected(case),
                "{} answers {} with {status}",
                peer.name(),
                case.name()
            );
        }
        routers.push((peer, app));
    }
    routers
}
