//! Deterministic cost checks: heap allocations counted by a counting global
//! allocator (per thread, so parallel tests do not disturb each other).

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;

use auth_error::{AuthError, AuthErrorCode, AuthStatusExt};
use tonic::{Code, Status};

struct Counting;

thread_local! {
    static ALLOCATIONS: Cell<usize> = const { Cell::new(0) };
}

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        ALLOCATIONS.with(|c| c.set(c.get() + 1));
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        unsafe { System.dealloc(ptr, layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        ALLOCATIONS.with(|c| c.set(c.get() + 1));
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

fn count<T>(f: impl FnOnce() -> T) -> (usize, T) {
    let before = ALLOCATIONS.with(Cell::get);
    let out = f();
    (ALLOCATIONS.with(Cell::get) - before, out)
}

#[test]
fn plain_status_new_is_two_allocations() {
    // The floor: the message String and tonic's boxed Status.
    let (n, status) = count(|| Status::new(Code::Unauthenticated, "token expired"));
    assert_eq!(n, 2);
    drop(status);
}

#[test]
fn attach_is_one_allocation_more_than_status_new() {
    // The first attach builds the crate's table of the constant ErrorInfo
    // encodings, once per process; steady state is what is counted.
    drop(Status::from(AuthError::new(AuthErrorCode::TokenExpired)));
    for code in AuthErrorCode::ALL.into_iter().filter(|c| c.is_error()) {
        // new + with_message (the String) + into Status (details buffer, Box).
        let (n, status) =
            count(|| Status::from(AuthError::new(code).with_message("token expired")));
        assert_eq!(n, 3, "{code}");
        drop(status);
        // The default message is borrowed until the Status takes ownership.
        let (n, status) = count(|| Status::from(AuthError::new(code)));
        assert_eq!(n, 3, "{code}");
        drop(status);
    }
}

#[test]
fn strict_attach_allocates_the_same_with_metadata() {
    // An owned message: the Status takes it as it is.
    let err = AuthError::new(AuthErrorCode::InvalidScope)
        .with_message(String::from("need orders.write"))
        .with_metadata("requiredScopes", "orders.write")
        .with_metadata("tenantId", "acme")
        .with_metadata("tokenId", "jti-1");
    // Validation and encoding of metadata allocate nothing: one exactly-sized
    // details buffer and the boxed Status.
    let (n, status) = count(|| err.try_into_status().unwrap());
    assert_eq!(n, 2);
    assert_eq!(status.auth_error_code(), Some(AuthErrorCode::InvalidScope));
}

#[test]
fn literal_keys_are_not_copied() {
    // Three entries: one map (capacity 4) and one String per value; a
    // `&'static str` key, documented or not, is stored as it is.
    for keys in [
        ["orgId", "region", "userId"],
        ["tenantId", "tokenId", "tokenType"],
    ] {
        let (n, err) = count(|| {
            keys.into_iter()
                .fold(AuthError::new(AuthErrorCode::InvalidPermissions), |e, k| {
                    e.with_metadata(k, "v")
                })
        });
        assert_eq!(n, 1 + 3, "{keys:?}");
        drop(err);
    }
    // A key built at run time is the caller's String, moved in (map, key,
    // value); the same key as a literal is one allocation less.
    let (n, _) = count(|| {
        AuthError::new(AuthErrorCode::InvalidPermissions).with_metadata(String::from("orgId"), "v")
    });
    assert_eq!(n, 3);
    let (n, _) =
        count(|| AuthError::new(AuthErrorCode::InvalidPermissions).with_metadata("orgId", "v"));
    assert_eq!(n, 2);
}

#[test]
fn auth_error_code_never_allocates() {
    let mut statuses: Vec<Status> = AuthErrorCode::ALL
        .into_iter()
        .filter(|c| c.is_error())
        .map(|c| {
            AuthError::new(c)
                .with_metadata("a", "b")
                .with_retry_after(std::time::Duration::from_secs(1))
                .into()
        })
        .collect();
    statuses.push(Status::with_details(
        Code::Unauthenticated,
        "m",
        vec![0xff; 64].into(),
    ));
    statuses.push(Status::unauthenticated("plain"));
    for status in &statuses {
        let (n, _) = count(|| status.auth_error_code());
        assert_eq!(n, 0);
    }
}

#[test]
fn encoded_size_is_small() {
    // Encoded sizes, deterministic: what a rejection adds to the trailers.
    let status: Status = AuthError::new(AuthErrorCode::TokenExpired)
        .with_message("token expired")
        .into();
    // code 2 + message (2 + 13) + Any (2 + type URL (2 + 40) + ErrorInfo
    // (2 + reason (2 + 13) + domain (2 + 13))) = 93 bytes, 124 in base64.
    assert_eq!(status.details().len(), 93);
}

#[test]
fn a_read_error_is_one_allocation_whatever_it_carries() {
    let status: Status = AuthError::new(AuthErrorCode::TokenExpired)
        .with_message("the access token expired at 12:00 UTC")
        .with_metadata("tenantId", "acme")
        .with_metadata("tokenId", "jti-0001")
        .with_metadata("customKey", "custom value")
        .with_retry_after(std::time::Duration::from_secs(3))
        .add_help_link("docs", "https://docs.example.com")
        .into();
    // One shared copy of the details (up to 512 bytes of details, assembled
    // on the stack first; more costs one allocation more); message, metadata
    // and companions are borrowed from it.
    let (n, err) = count(|| status.auth_error().unwrap());
    assert_eq!(n, 1);
    let (n, ()) = count(|| {
        assert_eq!(err.message(), "the access token expired at 12:00 UTC");
        assert_eq!(err.metadata().get("tokenId"), Some("jti-0001"));
        assert_eq!(err.details().len(), 2);
        assert_eq!(
            err.details().iter().next().unwrap().type_url(),
            "type.googleapis.com/google.rpc.RetryInfo"
        );
    });
    assert_eq!(n, 0, "borrowed views allocate nothing");
    // A status without metadata or companions whose message is the one in
    // its details: the same single copy.
    let plain: Status = AuthError::new(AuthErrorCode::TokenExpired).into();
    let (n, _) = count(|| plain.auth_error().unwrap());
    assert_eq!(n, 1);
}

/// An introspection cache hit through `BearerAuthLayer` is decided at once
/// (`TokenVerifier::verify_now`): `call` allocates only the request's
/// extension map and the `Verified` value in it, and the response future
/// is ready at its first poll, allocating nothing (no boxed future for the
/// verification).
#[cfg(feature = "testing")]
#[test]
fn an_introspection_cache_hit_allocates_no_future() {
    use std::convert::Infallible;
    use std::future::Future;
    use std::task::{Context, Poll, Waker};

    use auth_error::jwt::IntrospectionVerifier;
    use auth_error::server::BearerAuthLayer;
    use auth_error::testing::{Endpoint, TestIssuer};
    use tower::{Layer, Service, ServiceExt};

    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        let issuer = TestIssuer::start().await.unwrap();
        issuer.add_client("api", "api-secret", Vec::<String>::new());
        let token = issuer.token().opaque().unwrap();
        let verifier = IntrospectionVerifier::new(
            &issuer.endpoint_url(Endpoint::Introspection),
            "api",
            "api-secret",
        )
        .unwrap()
        .with_cache(16);
        let layer = BearerAuthLayer::builder(verifier).build().unwrap();
        let ok = tower::service_fn(|_req: http::Request<String>| async {
            Ok::<_, Infallible>(http::Response::new(String::new()))
        });
        let mut service = layer.layer(ok);
        let request = || {
            http::Request::get("/orders")
                .header(http::header::AUTHORIZATION, format!("Bearer {token}"))
                .body(String::new())
                .unwrap()
        };
        // The miss: asks the issuer, fills the cache.
        let response = service
            .ready()
            .await
            .unwrap()
            .call(request())
            .await
            .unwrap();
        assert_eq!(response.status(), http::StatusCode::OK);
        assert_eq!(issuer.requests(Endpoint::Introspection), 1);

        let request = request();
        let service = service.ready().await.unwrap();
        let (n, future) = count(|| service.call(request));
        assert_eq!(n, 3, "the extension map, its table, the Verified value");
        let mut future = std::pin::pin!(future);
        let mut cx = Context::from_waker(Waker::noop());
        let (n, polled) = count(|| future.as_mut().poll(&mut cx));
        assert_eq!(n, 0);
        let Poll::Ready(Ok(response)) = polled else {
            panic!("a hit is ready at once");
        };
        assert_eq!(response.status(), http::StatusCode::OK);
        assert_eq!(issuer.requests(Endpoint::Introspection), 1, "a hit");
    });
}
