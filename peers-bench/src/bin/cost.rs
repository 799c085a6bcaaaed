//! Sends N requests of one case through one router, for counting
//! instructions with callgrind: instructions per request =
//! (count(N) - count(0)) / N, where count(0) runs the same set-up (tokens
//! signed, router built, one warm-up request whose status is checked) and
//! no counted request. `run_callgrind.sh` does that for every pair.
//!
//! Usage: `cost ROUTER CASE N`, ROUTER one of `ours`, `jwt_authorizer`,
//! `tower_oauth2`, `axum_jwt_auth`, `bare`, or `decode` (jsonwebtoken's
//! own `decode` of the case's token, no router); CASE one of `accepted`,
//! `expired`, `bad_signature`, `no_token`.

use peers_bench::{Case, Peer, Requests, call, router};

fn main() {
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
