//! Sends N requests of one case through one router, for counting
//! instructions with callgrind: instructions per request =
//! (count(N) - count(0)) / N, where count(0) runs the same set-up (tokens
//! signed, router built, one warm-up request whose status is checked) and
//! no counted request. `run_callgrind.sh` does that for every pair.
//!
//! Usage: `cost ROUTER CASE N`, ROUTER one of `ours`, `jwt_authorizer`,
//! `tower_oauth2`, `axum_jwt_auth`, `bare`, or `decode` (jsonwebtoken's
//! own `decode` of the case's token, no router); CASE one of `accepted`,
//! `expired`, `bad_signature`, `no_token`. `cost introspection_hit N`:
//! auth-error's layer with an `IntrospectionVerifier` whose cache holds the
//! token (the warm-up request asked the loopback test issuer), N accepted
//! requests served from the cache. `cost passthrough N`: the same route
//! and request behind a layer that does nothing (tower's `MapRequest` with
//! the identity), what axum charges for any layer at all. `cost dpop CASE N`, CASE one of
//! `bearer` (an unbound ES256 token, no DPoP), `accepted` (a bound token
//! and a fresh proof per request, `Dpop::required()`), `bad_signature` (the
//! same with the proof's signature broken), `proofs` (the N proofs signed,
//! no request: what the client's signing adds to the two DPoP cases).

use peers_bench::{Case, Peer, Requests, call, router};

fn main() {
    // With feature `metrics` and AUTH_ERROR_BENCH_RECORDER=1: Prometheus'
    // recorder installed before any layer is built, as an application does.
    #[cfg(feature = "metrics")]
    if std::env::var_os("AUTH_ERROR_BENCH_RECORDER").is_some() {
        let recorder = metrics_exporter_prometheus::PrometheusBuilder::new().build_recorder();
        metrics::set_global_recorder(recorder).expect("the only recorder");
    }
    let mut args = std::env::args().skip(1);
    let usage = "usage: cost ROUTER CASE N";
    let peer = args.next().expect(usage);
    if peer == "decode" {
        let case = args.next().expect(usage);
        let case = Case::from_name(&case).unwrap_or_else(|| panic!("unknown case {case}"));
        let n: usize = args.next().and_then(|n| n.parse().ok()).expect(usage);
        let requests = Requests::new();
        let token = requests.token(case).expect("a case with a token");
        let accepted = peers_bench::bare_decode(token);
        assert_eq!(
            accepted,
            case == Case::Accepted,
            "decode of {}",
            case.name()
        );
        for _ in 0..n {
            std::hint::black_box(peers_bench::bare_decode(std::hint::black_box(token)));
        }
        return;
    }
    if peer == "introspection_hit" {
        let n: usize = args.next().and_then(|n| n.parse().ok()).expect(usage);
        return introspection_hit(n);
    }
    if peer == "passthrough" {
        let n: usize = args.next().and_then(|n| n.parse().ok()).expect(usage);
        return passthrough(n);
    }
    if peer == "dpop" {
        let case = args.next().expect(usage);
        let n: usize = args.next().and_then(|n| n.parse().ok()).expect(usage);
        return dpop(&case, n);
    }
    let peer = Peer::from_name(&peer).unwrap_or_else(|| panic!("unknown router {peer}"));
    let case = args.next().expect(usage);
    let case = Case::from_name(&case).unwrap_or_else(|| panic!("unknown case {case}"));
    let n: usize = args.next().and_then(|n| n.parse().ok()).expect(usage);

    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a runtime");
    let requests = Requests::new();
    rt.block_on(async {
        let app = router(peer).await;
        // Warm-up, in the count(0) run too: first-use initialisation (the
        // crypto provider, lazily built state) is not counted per request.
        let status = call(&app, requests.request(case)).await;
        assert_eq!(
            status,
            peer.expected(case),
            "{} answers {} with {status}",
            peer.name(),
            case.name()
        );
        for _ in 0..n {
            // The request is built inside the loop, as for every router.
            std::hint::black_box(call(&app, requests.request(case)).await);
        }
    });
}

/// N accepted requests through auth-error's layer with an
/// `IntrospectionVerifier`, every one a cache hit (the warm-up request,
/// counted in count(0) too, asked the test issuer).
fn introspection_hit(n: usize) {
    use auth_error::jwt::IntrospectionVerifier;
    use auth_error::server::BearerAuthLayer;
    use auth_error::testing::{Endpoint, TestIssuer};
    use axum::routing::get;
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a runtime");
    rt.block_on(async {
        let issuer = TestIssuer::start().await.expect("the test issuer");
        issuer.add_client("api", "api-secret", Vec::<String>::new());
        let token = issuer.token().opaque().expect("an opaque token");
        let verifier = IntrospectionVerifier::new(
            &issuer.endpoint_url(Endpoint::Introspection),
            "api",
            "api-secret",
        )
        .expect("a verifier")
        .with_cache(16)
        .with_cache_max_age(std::time::Duration::from_secs(3600));
        let layer = BearerAuthLayer::builder(verifier).build().expect("a layer");
        let app = axum::Router::new()
            .route(peers_bench::PATH, get(|| async { "ok" }))
            .layer(layer);
        bearer_requests(&app, &token, n).await;
        assert_eq!(
            issuer.requests(Endpoint::Introspection),
            1,
            "every counted request was a hit"
        );
    });
}

/// N requests of a DPoP case through auth-error's layer on the same axum
/// route as the other routers, the token verified by a `JwtVerifier` on the
/// test issuer's key set (fetched by the warm-up request). Every DPoP case
/// signs one proof per request (the client's cost, in the loop): `proofs`
/// counts that alone, so the layer's cost is the difference.
fn dpop(case: &str, n: usize) {
    use auth_error::client::DpopKey;
    use auth_error::jwt::JwtVerifier;
    use auth_error::server::{BearerAuthLayer, Dpop};
    use auth_error::testing::TestIssuer;
    use axum::routing::get;
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a runtime");
    rt.block_on(async {
        let issuer = TestIssuer::builder()
            .with_audience("bench")
            .start()
            .await
            .expect("the test issuer");
        let key = DpopKey::generate_es256().expect("a key");
        let mut validation = jsonwebtoken::Validation::new(jsonwebtoken::Algorithm::ES256);
        validation.set_audience(&["bench"]);
        let verifier = JwtVerifier::from_issuer(issuer.url(), validation).expect("a verifier");
        let (builder, token, scheme) = match case {
            "bearer" => (
                BearerAuthLayer::builder(verifier),
                issuer.token().sign().expect("a token"),
                "Bearer",
            ),
            "accepted" | "bad_signature" | "proofs" => (
                BearerAuthLayer::builder(verifier).with_dpop(Dpop::required()),
                issuer.token().bound_to(&key).sign().expect("a token"),
                "DPoP",
            ),
            other => panic!("unknown dpop case {other}"),
        };
        let app = axum::Router::new()
            .route(peers_bench::PATH, get(|| async { "ok" }))
            .layer(builder.build().expect("a layer"));
        let authorization =
            http::HeaderValue::from_str(&format!("{scheme} {token}")).expect("a header value");
        let htu = format!("http://bench.test{}", peers_bench::PATH);
        let proof = || {
            let mut proof = key.proof("GET", &htu, Some(&token), None).expect("a proof");
            if case == "bad_signature" {
                // The signature's first character changed: still base64url,
                // no longer the signature.
                let at = proof.rfind('.').expect("a JWS") + 1;
                let flipped = if proof.as_bytes()[at] == b'A' {
                    "B"
                } else {
                    "A"
                };
                proof.replace_range(at..at + 1, flipped);
            }
            proof
        };
        let request = |proof: Option<String>| {
            let mut request = http::Request::get(peers_bench::PATH)
                .header(http::header::HOST, "bench.test")
                .header(http::header::AUTHORIZATION, authorization.clone());
            if let Some(proof) = proof {
                request = request.header("dpop", proof);
            }
            request.body(axum::body::Body::empty()).expect("a request")
        };
        let dpop = case != "bearer";
        let expected = match case {
            "bad_signature" => http::StatusCode::UNAUTHORIZED,
            _ => http::StatusCode::OK,
        };
        let status = call(&app, request(dpop.then(proof))).await;
        assert_eq!(status, expected, "the warm-up of dpop {case}");
        for _ in 0..n {
            if case == "proofs" {
                std::hint::black_box(proof());
                continue;
            }
            let status = call(&app, request(dpop.then(proof))).await;
            assert_eq!(std::hint::black_box(status), expected);
        }
    });
}

/// N requests, shaped as `introspection_hit`'s, through the same route
/// behind a layer that does nothing: the floor under any layer's cost.
fn passthrough(n: usize) {
    use axum::routing::get;
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a runtime");
    rt.block_on(async {
        let identity = |request: http::Request<axum::body::Body>| request;
        let app = axum::Router::new()
            .route(peers_bench::PATH, get(|| async { "ok" }))
            .layer(tower::util::MapRequestLayer::new(identity));
        // A token of the test issuer's opaque tokens' length (43 characters).
        bearer_requests(&app, &"t".repeat(43), n).await;
    });
}

/// A warm-up request with `Bearer token`, which must be served, then N
/// more, uncounted by the caller's checks. The header value is built once
/// and cloned per request, as the other routers' requests.
async fn bearer_requests(app: &axum::Router, token: &str, n: usize) {
    let authorization =
        http::HeaderValue::from_str(&format!("Bearer {token}")).expect("a header value");
    let request = || {
        http::Request::get(peers_bench::PATH)
            .header(http::header::AUTHORIZATION, authorization.clone())
            .body(axum::body::Body::empty())
            .expect("a request")
    };
    let status = call(app, request()).await;
    assert_eq!(status, http::StatusCode::OK, "the warm-up is served");
    for _ in 0..n {
        std::hint::black_box(call(app, request()).await);
    }
}
