//! [`grpc_web_cors`]: a CORS preset for browsers calling gRPC-Web and REST
//! routes behind [`BearerAuthLayer`](crate::server::BearerAuthLayer)
//! (feature `grpc-web`).

use std::time::Duration;

use http::{HeaderName, Method, header};
use tower_http::cors::CorsLayer;

/// The request headers gRPC-Web clients (grpc-web, connect-es) and `fetch`
/// with a bearer token send.
const ALLOWED_HEADERS: [HeaderName; 11] = [
    header::AUTHORIZATION,
    HeaderName::from_static("dpop"),
    header::CONTENT_TYPE,
    header::ACCEPT,
    HeaderName::from_static("x-grpc-web"),
    HeaderName::from_static("x-user-agent"),
    HeaderName::from_static("grpc-timeout"),
    HeaderName::from_static("grpc-accept-encoding"),
    HeaderName::from_static("connect-protocol-version"),
    HeaderName::from_static("connect-timeout-ms"),
    HeaderName::from_static("x-request-id"),
];

/// The response headers a page must read to see the reason.
const EXPOSED_HEADERS: [HeaderName; 6] = [
    HeaderName::from_static("grpc-status"),
    HeaderName::from_static("grpc-message"),
    HeaderName::from_static("grpc-status-details-bin"),
    header::WWW_AUTHENTICATE,
    header::RETRY_AFTER,
    HeaderName::from_static("dpop-nonce"),
];

/// How long a browser may cache a preflight: a day (browsers cap it lower:
/// Chromium at 2 hours, Firefox at 24).
pub const GRPC_WEB_CORS_MAX_AGE: Duration = Duration::from_secs(24 * 60 * 60);

/// A CORS layer for gRPC-Web and REST behind `BearerAuthLayer`, complete
/// except the origins: add them with
/// [`allow_origin`](CorsLayer::allow_origin). Without an origin it allows
/// none. Give the origins as
/// [`AllowOrigin::list`](tower_http::cors::AllowOrigin::list) (or a
/// predicate): then an origin not in it gets no
/// `Access-Control-Allow-Origin` at all, where a single `HeaderValue`
/// (tower-http's "exact") is sent to every origin.
///
/// - methods: `GET`, `HEAD`, `POST`, `PUT`, `PATCH`, `DELETE` (gRPC-Web is
///   `POST`; the rest are for REST routes);
/// - request headers: `authorization`, `dpop` (RFC 9449 proofs),
///   `content-type`, `accept`, and what
///   gRPC-Web and connect-es send (`x-grpc-web`, `x-user-agent`,
///   `grpc-timeout`, `grpc-accept-encoding`, `connect-protocol-version`,
///   `connect-timeout-ms`), and `x-request-id`;
/// - exposed response headers: `grpc-status`, `grpc-message`,
///   `grpc-status-details-bin` (without them a page sees `missing trailer`
///   instead of the reason), `www-authenticate`, `retry-after`,
///   `dpop-nonce` (the nonce a DPoP client must put in its next proof);
/// - preflights cached for [`GRPC_WEB_CORS_MAX_AGE`].
///
/// Credentials (cookies) are not allowed: a bearer token travels in the
/// `authorization` header, which needs no `Access-Control-Allow-Credentials`.
/// Were you to add `allow_credentials(true)`, tower-http refuses a `*`
/// origin with it.
///
/// Layer order: this layer outermost, then `BearerAuthLayer`, then the
/// routes, with `tonic_web::GrpcWebLayer` on the gRPC routes only
/// (`GrpcWebLayer` answers plain HTTP/1.1 requests with 400, so it must not
/// wrap REST routes):
///
/// ```
/// # #[cfg(all(feature = "axum", feature = "jwt"))] {
/// use auth_error::server::{BearerAuthLayer, grpc_web_cors};
/// # use auth_error::jwt::JwtVerifier;
/// # let verifier = JwtVerifier::new(jsonwebtoken::DecodingKey::from_secret(b"an-hs256-secret-of-at-least-32-bytes"), jsonwebtoken::Validation::default());
/// use tower_http::cors::AllowOrigin;
/// let origins = [http::HeaderValue::from_static("https://app.example.com")];
/// let cors = grpc_web_cors().allow_origin(AllowOrigin::list(origins));
/// let auth = BearerAuthLayer::builder(verifier).build()?;
/// let app: axum::Router = axum::Router::new()
///     // .route_service("/pkg.Svc/{*method}", tonic_web::GrpcWebLayer::new().layer(grpc_service))
///     .route("/api/orders", axum::routing::get(|| async { "[]" }))
///     .layer(auth)
///     .layer(cors);
/// # drop(app);
/// # }
/// # Ok::<(), auth_error::server::ConfigError>(())
/// ```
pub fn grpc_web_cors() -> CorsLayer {
    CorsLayer::new()
        .allow_methods([
            Method::GET,
            Method::HEAD,
            Method::POST,
            Method::PUT,
            Method::PATCH,
            Method::DELETE,
        ])
        .allow_headers(ALLOWED_HEADERS)
        .expose_headers(EXPOSED_HEADERS)
        .max_age(GRPC_WEB_CORS_MAX_AGE)
}
