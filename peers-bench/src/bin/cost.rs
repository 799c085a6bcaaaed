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
//! requests served from the cache.

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
        // Built once, cloned per request: as the other routers' requests.
        let authorization =
            http::HeaderValue::from_str(&format!("Bearer {token}")).expect("a header value");
        let request = || {
            http::Request::get(peers_bench::PATH)
                .header(http::header::AUTHORIZATION, authorization.clone())
                .body(axum::body::Body::empty())
                .expect("a request")
        };
        let status = call(&app, request()).await;
        assert_eq!(status, http::StatusCode::OK, "the warm-up is served");
        for _ in 0..n {
            std::hint::black_box(call(&app, request()).await);
        }
        assert_eq!(
            issuer.requests(Endpoint::Introspection),
            1,
            "every counted request was a hit"
        );
    });
}
