//! `TokenVerifier::verify_now`: a verdict the verifier knows at once (an
//! introspection cache hit) is served without a future for the
//! verification, and still goes through every rule of the route (scopes,
//! step-up, the binding, DPoP required) and reaches the handler with its
//! claims; a `None` falls back to `verify`.

use std::convert::Infallible;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use auth_error::server::{
    BearerAuthLayer, Confirmation, Rejection, Route, TokenVerifier, Verified,
};
use auth_error::{AuthError, AuthErrorCode, AuthStatusExt};
use http::header;
use tower::{Layer, ServiceExt};

const LIST: &str = "/orders.v1.Orders/List";
const DELETE: &str = "/orders.v1.Orders/Delete";
const TRANSFER: &str = "/payments.v1.Payments/Transfer";

/// Answers `verify_now` for the tokens it knows; `verify` (counted) is a
/// server fault, so a request that reached it shows as `INTERNAL`.
struct AtOnce {
    slow: Arc<AtomicUsize>,
}

impl TokenVerifier for AtOnce {
    type Claims = String;

    async fn verify(&self, _token: &str) -> Result<Verified<String>, Rejection> {
        self.slow.fetch_add(1, Ordering::SeqCst);
        Err(Rejection::Fault("verify was asked".into()))
    }

    fn verify_now(&self, token: &str) -> Option<Result<Verified<String>, Rejection>> {
        match token {
            "reader" => Some(Ok(Verified::new(
                "alice".to_owned(),
                vec!["orders.read".to_owned()],
            ))),
            "bound" => Some(Ok(Verified::new("bob".to_owned(), vec![])
                .with_confirmation(Confirmation::default().with_jkt("thumbprint")))),
            "expired" => Some(Err(AuthError::new(AuthErrorCode::TokenExpired).into())),
            _ => None,
        }
    }
}

/// What the handler saw of the request: the verified subject.
type Seen = Arc<std::sync::Mutex<Vec<String>>>;

/// Sends one gRPC request with `Bearer <token>` to `path`: the auth error
/// of the answer (`None`: served), and the gRPC status code.
async fn call(
    layer: &BearerAuthLayer<AtOnce>,
    seen: &Seen,
    path: &str,
    token: &str,
) -> (Option<AuthErrorCode>, tonic::Code) {
    let seen = seen.clone();
    let handler = tower::service_fn(move |req: http::Request<tonic::body::Body>| {
        let seen = seen.clone();
        async move {
            if let Some(verified) = req.extensions().get::<Verified<String>>() {
                seen.lock().unwrap().push(verified.claims().clone());
            }
            Ok::<_, Infallible>(http::Response::new(tonic::body::Body::empty()))
        }
    });
    let request = http::Request::post(path)
        .header(header::CONTENT_TYPE, "application/grpc")
        .header(header::AUTHORIZATION, format!("Bearer {token}"))
        .body(tonic::body::Body::empty())
        .unwrap();
    let response = layer.layer(handler).oneshot(request).await.unwrap();
    match tonic::Status::from_header_map(response.headers()) {
        None => (None, tonic::Code::Ok),
        Some(status) => (status.auth_error().map(|e| e.code()), status.code()),
    }
}

/// The layer, and the count of `verify` calls.
fn layer() -> (BearerAuthLayer<AtOnce>, Arc<AtomicUsize>) {
    let slow = Arc::new(AtomicUsize::new(0));
    let layer = BearerAuthLayer::builder(AtOnce { slow: slow.clone() })
        .add_required_scopes(Route::exact(LIST), ["orders.read"])
        .add_required_scopes(Route::exact(DELETE), ["orders.admin"])
        .add_required_acr(TRANSFER, ["urn:example:mfa"])
        .build()
        .unwrap();
    (layer, slow)
}

#[tokio::test]
async fn a_verdict_known_at_once_goes_through_every_rule_of_the_route() {
    let (layer, slow) = layer();
    let seen = Seen::default();
    assert_eq!(
        call(&layer, &seen, LIST, "reader").await,
        (None, tonic::Code::Ok)
    );
    assert_eq!(
        *seen.lock().unwrap(),
        ["alice"],
        "the handler has the claims"
    );
    assert_eq!(
        call(&layer, &seen, DELETE, "reader").await.0,
        Some(AuthErrorCode::InvalidScope)
    );
    assert_eq!(
        call(&layer, &seen, TRANSFER, "reader").await.0,
        Some(AuthErrorCode::MultiFactorRequired)
    );
    // A token bound to a DPoP key, sent as a plain bearer token.
    assert_eq!(
        call(&layer, &seen, "/other.v1.Other/Get", "bound").await.0,
        Some(AuthErrorCode::TokenBindingMismatch)
    );
    assert_eq!(
        call(&layer, &seen, LIST, "expired").await.0,
        Some(AuthErrorCode::TokenExpired)
    );
    assert_eq!(
        seen.lock().unwrap().len(),
        1,
        "no refused request reached it"
    );
    assert_eq!(
        slow.load(Ordering::SeqCst),
        0,
        "every verdict above was known at once"
    );
}

#[tokio::test]
async fn a_verifier_that_cannot_tell_at_once_is_asked_to_verify() {
    let (layer, slow) = layer();
    let seen = Seen::default();
    assert_eq!(
        call(&layer, &seen, LIST, "unknown").await,
        (None, tonic::Code::Internal),
        "verify's fault"
    );
    assert_eq!(slow.load(Ordering::SeqCst), 1);
    assert!(seen.lock().unwrap().is_empty());
}

/// A malformed header is refused at once too, whatever the verifier.
#[tokio::test]
async fn a_malformed_header_is_refused_without_asking_the_verifier() {
    let (layer, slow) = layer();
    let seen = Seen::default();
    assert_eq!(
        call(&layer, &seen, LIST, "not a b64token!").await.0,
        Some(AuthErrorCode::AuthFailedInvalidBearerToken)
    );
    assert_eq!(slow.load(Ordering::SeqCst), 0);
}
