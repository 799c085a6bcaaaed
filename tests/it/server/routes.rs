//! `BearerAuthLayer`'s rules: which requests a route covers, and the
//! configurations `build` refuses because they can only be mistakes. Also
//! where the layer goes with axum's `nest` (it sees the stripped path).
#![cfg(any(feature = "jwt-aws-lc", feature = "jwt-rust-crypto"))]

use crate::support::jwt_server;

use auth_error::jwt::JwtVerifier;
use auth_error::server::{BearerAuthLayer, ConfigError, Route};
use auth_error::{AuthErrorCode, AuthStatusExt};
use http::Method;
use jsonwebtoken::{Algorithm, DecodingKey};
use jwt_server::*;

fn verifier() -> JwtVerifier {
    JwtVerifier::new(
        DecodingKey::from_secret(SECRET),
        validation(Algorithm::HS256),
    )
}

#[test]
fn a_service_name_covers_its_methods_however_it_is_written() {
    for rule in [
        "grpc.health.v1.Health",
        "/grpc.health.v1.Health",
        "/grpc.health.v1.Health/",
    ] {
        let route = Route::from(rule);
        assert!(route.covers(&Method::POST, CHECK), "{rule}");
        assert!(
            route.covers(&Method::POST, "/grpc.health.v1.Health/Watch"),
            "{rule}"
        );
        assert!(
            !route.covers(&Method::POST, "/grpc.health.v1.HealthAdmin/Check"),
            "{rule}"
        );
        assert!(
            !route.covers(&Method::POST, "/grpc.health.v2.Health/Check"),
            "{rule}"
        );
    }
    let method = Route::from(CHECK);
    assert!(method.covers(&Method::POST, CHECK));
    assert!(!method.covers(&Method::POST, "/grpc.health.v1.Health/CheckAll"));
    let exact = Route::exact("/orders");
    assert!(exact.covers(&Method::GET, "/orders"));
    assert!(!exact.covers(&Method::GET, "/orders/1"));
    let delete = Route::from("/orders").with_method(Method::DELETE);
    assert!(delete.covers(&Method::DELETE, "/orders/1"));
    assert!(!delete.covers(&Method::GET, "/orders/1"));
}

#[test]
fn mistakes_are_refused_when_the_layer_is_built() {
    let err = BearerAuthLayer::builder(verifier())
        .add_public_route("/")
        .build()
        .unwrap_err();
    assert!(matches!(err, ConfigError::EverythingPublic), "{err:?}");
    let err = BearerAuthLayer::builder(verifier())
        .add_public_route("")
        .build()
        .unwrap_err();
    assert!(matches!(err, ConfigError::EverythingPublic), "{err:?}");
    for bad in ["/orders/*", "/orders?x=1", "/a//b", "/a b"] {
        let err = BearerAuthLayer::builder(verifier())
            .add_required_scopes(bad, ["x"])
            .build()
            .unwrap_err();
        assert!(
            matches!(err, ConfigError::InvalidRoute { .. }),
            "{bad}: {err:?}"
        );
        assert!(!err.to_string().is_empty());
    }
    // Scopes on a path that is public anyway would never be checked.
    let err = BearerAuthLayer::builder(verifier())
        .add_public_route("/api")
        .add_required_scopes("/api/admin", ["admin"])
        .build()
        .unwrap_err();
    assert!(
        matches!(err, ConfigError::ScopesNeverChecked { .. }),
        "{err}"
    );
    // ... but a public GET beside a scoped DELETE is a real configuration.
    assert!(
        BearerAuthLayer::builder(verifier())
            .add_public_route(Route::from("/files").with_method(Method::GET))
            .add_required_scopes(
                Route::from("/files").with_method(Method::DELETE),
                ["files.admin"]
            )
            .add_public_route(Route::exact("/"))
            .build()
            .is_ok()
    );
}

#[tokio::test]
async fn a_service_rule_without_trailing_slash_guards_the_service_over_grpc() {
    // Before, "/grpc.health.v1.Health" was an exact path no method equals,
    // so the scope was never enforced.
    let layer = BearerAuthLayer::builder(verifier())
        .add_required_scopes("/grpc.health.v1.Health", ["health.admin"])
        .build()
        .unwrap();
    let server = start(Some(layer)).await;
    let token = hs256(&good_claims());
    let status = check(server.channel().await, Some(&format!("Bearer {token}")))
        .await
        .unwrap_err();
    let err = status.auth_error().expect("a reason");
    assert_eq!(err.code(), AuthErrorCode::InvalidScope);
    assert_eq!(err.required_scopes(), ["health.admin"]);
    server.shutdown().await;
}

#[cfg(feature = "axum")]
mod axum_nest {
    use super::*;
    use auth_error::AuthError;
    use axum::Router;
    use axum::routing::get;
    use serde_json::json;
    use tower::ServiceExt;

    fn files() -> Router {
        Router::new().route(
            "/files/{id}",
            get(|| async { "file" }).delete(|| async { "deleted" }),
        )
    }

    fn layer() -> BearerAuthLayer<JwtVerifier> {
        BearerAuthLayer::builder(verifier())
            .add_public_route(Route::from("/files").with_method(Method::GET))
            .add_required_scopes(
                Route::from("/files").with_method(Method::DELETE),
                ["files.admin"],
            )
            .build()
            .unwrap()
    }

    fn outer_layer() -> BearerAuthLayer<JwtVerifier> {
        // On the outer router, rules name full paths.
        BearerAuthLayer::builder(verifier())
            .add_public_route(Route::from("/api/files").with_method(Method::GET))
            .add_required_scopes(
                Route::from("/api/files").with_method(Method::DELETE),
                ["files.admin"],
            )
            .build()
            .unwrap()
    }

    async fn status(app: &Router, method: Method, path: &str, scope: Option<&str>) -> u16 {
        let mut req = http::Request::builder().method(method).uri(path);
        if let Some(scope) = scope {
            let mut claims = good_claims();
            claims["scope"] = json!(scope);
            req = req.header("authorization", format!("Bearer {}", hs256(&claims)));
        }
        let req = req.body(axum::body::Body::empty()).unwrap();
        app.clone().oneshot(req).await.unwrap().status().as_u16()
    }

    #[tokio::test]
    async fn inside_the_nest_rules_name_stripped_paths_outside_full_paths() {
        let inside = Router::new().nest("/api", files().layer(layer()));
        let outside = Router::new().nest("/api", files()).layer(outer_layer());
        for app in [inside, outside] {
            assert_eq!(status(&app, Method::GET, "/api/files/1", None).await, 200);
            assert_eq!(
                status(&app, Method::DELETE, "/api/files/1", None).await,
                401
            );
            assert_eq!(
                status(&app, Method::DELETE, "/api/files/1", Some("files.read")).await,
                403
            );
            assert_eq!(
                status(&app, Method::DELETE, "/api/files/1", Some("files.admin")).await,
                200
            );
        }
        // The inside layer's rules on the outer router match nothing public:
        // everything needs a token, nothing is silently opened.
        let misplaced = Router::new().nest("/api", files()).layer(layer());
        assert_eq!(
            status(&misplaced, Method::GET, "/api/files/1", None).await,
            401
        );
        let body_reason = {
            let req = http::Request::delete("/api/files/1")
                .body(axum::body::Body::empty())
                .unwrap();
            let response = misplaced.clone().oneshot(req).await.unwrap();
            use http_body_util::BodyExt;
            let body = response.into_body().collect().await.unwrap().to_bytes();
            AuthError::from_http_json(&body).unwrap().code()
        };
        assert_eq!(body_reason, AuthErrorCode::BearerTokenMissing);
    }
}
