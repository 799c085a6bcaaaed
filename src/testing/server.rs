//! The test issuer's HTTP/1.1 server (hyper): one task accepts, one task per
//! connection; stopping ends them all.

use std::convert::Infallible;
use std::sync::Arc;
use std::time::{SystemTime, UNIX_EPOCH};

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use bytes::Bytes;
use http::{Method, Request, Response, StatusCode, header};
use http_body_util::{BodyExt, Full, Limited};
use hyper_util::rt::TokioIo;
use serde_json::{Map, Value, json};

use super::token::sign_claims;
use super::{Endpoint, Shared};

/// A serving issuer: the accept task and the signal that ends connections.
pub(super) struct Running {
    accept: tokio::task::JoinHandle<()>,
    stop: tokio::sync::watch::Sender<bool>,
}

impl Running {
    pub(super) fn serve(listener: tokio::net::TcpListener, shared: Arc<Shared>) -> Running {
        let (stop, stopped) = tokio::sync::watch::channel(false);
        let accept = tokio::spawn(accept(listener, shared, stopped));
        Running { accept, stop }
    }

    pub(super) fn stop(self) {
        let _ = self.stop.send(true);
        self.accept.abort();
    }
}

async fn accept(
    listener: tokio::net::TcpListener,
    shared: Arc<Shared>,
    stopped: tokio::sync::watch::Receiver<bool>,
) {
    loop {
        let Ok((stream, _)) = listener.accept().await else {
            continue;
        };
        let shared = shared.clone();
        let mut stopped = stopped.clone();
        tokio::spawn(async move {
            let service = hyper::service::service_fn(move |request| {
                let shared = shared.clone();
                async move { Ok::<_, Infallible>(handle(&shared, request).await) }
            });
            let connection = hyper::server::conn::http1::Builder::new()
                .serve_connection(TokioIo::new(stream), service);
            tokio::select! {
                _ = connection => {}
                _ = stopped.changed() => {}
            }
        });
    }
}

/// Bound on a request body (forms are small).
const MAX_BODY: usize = 64 * 1024;

fn json_response(status: StatusCode, body: &Value) -> Response<Full<Bytes>> {
    let mut response = Response::new(Full::new(Bytes::from(body.to_string())));
    *response.status_mut() = status;
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        header::HeaderValue::from_static("application/json"),
    );
    response.headers_mut().insert(
        header::CACHE_CONTROL,
        header::HeaderValue::from_static("no-store"),
    );
    response
}

fn oauth_error(status: StatusCode, error: &str) -> Response<Full<Bytes>> {
    json_response(status, &json!({ "error": error }))
}

async fn handle(shared: &Shared, request: Request<hyper::body::Incoming>) -> Response<Full<Bytes>> {
    let endpoint = Endpoint::ALL
        .into_iter()
        .find(|e| e.path() == request.uri().path());
    let (delay, fail_with) = {
        let mut state = shared.state();
        if let Some(endpoint) = endpoint {
            state.requests[endpoint.index()] += 1;
        }
        (state.delay, state.fail_with)
    };
    if !delay.is_zero() {
        tokio::time::sleep(delay).await;
    }
    if let Some(status) = fail_with {
        return oauth_error(status, "server_error");
    }
    let Some(endpoint) = endpoint else {
        return oauth_error(StatusCode::NOT_FOUND, "not_found");
    };
    let (parts, body) = request.into_parts();
    let body = match Limited::new(body, MAX_BODY).collect().await {
        Ok(body) => body.to_bytes(),
        Err(_) => return oauth_error(StatusCode::BAD_REQUEST, "invalid_request"),
    };
    match (endpoint, parts.method) {
        (Endpoint::Discovery, Method::GET) => discovery(shared),
        (Endpoint::Jwks, Method::GET) => jwks(shared),
        (Endpoint::Token, Method::POST) => token(shared, &parts.headers, &body),
        (Endpoint::Introspection, Method::POST) => introspect(shared, &parts.headers, &body),
        (Endpoint::Revocation, Method::POST) => revoke(shared, &parts.headers, &body),
        _ => oauth_error(StatusCode::METHOD_NOT_ALLOWED, "invalid_request"),
    }
}

fn discovery(shared: &Shared) -> Response<Full<Bytes>> {
    let url = &shared.url;
    json_response(
        StatusCode::OK,
        &json!({
            "issuer": url,
            "jwks_uri": format!("{url}{}", Endpoint::Jwks.path()),
            "token_endpoint": format!("{url}{}", Endpoint::Token.path()),
            "introspection_endpoint": format!("{url}{}", Endpoint::Introspection.path()),
            "revocation_endpoint": format!("{url}{}", Endpoint::Revocation.path()),
            "grant_types_supported": ["client_credentials"],
            "token_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post"],
            "response_types_supported": ["token"],
            "subject_types_supported": ["public"],
            "id_token_signing_alg_values_supported": ["ES256"],
        }),
    )
}

fn jwks(shared: &Shared) -> Response<Full<Bytes>> {
    let state = shared.state();
    let keys: Vec<Value> = state
        .keys
        .iter()
        .flat_map(|(_, keys)| keys.iter().map(|k| k.public_jwk()))
        .collect();
    let mut response = json_response(StatusCode::OK, &json!({ "keys": keys }));
    if let Some(max_age) = state.max_age
        && let Ok(value) = header::HeaderValue::from_str(&format!("max-age={}", max_age.as_secs()))
    {
        response.headers_mut().insert(header::CACHE_CONTROL, value);
    }
    response
}

/// The form's fields (`application/x-www-form-urlencoded`).
fn form(body: &[u8]) -> Map<String, Value> {
    url::form_urlencoded::parse(body)
        .map(|(k, v)| (k.into_owned(), Value::String(v.into_owned())))
        .collect()
}

/// The client that authenticated, by `client_secret_basic` (RFC 6749
/// §2.3.1: the id and secret form-encoded, then Basic) or
/// `client_secret_post`; `None` when it did not.
fn client(shared: &Shared, headers: &http::HeaderMap, form: &Map<String, Value>) -> Option<String> {
    let decode = |s: &str| -> String {
        url::form_urlencoded::parse(format!("v={s}").as_bytes())
            .next()
            .map(|(_, v)| v.into_owned())
            .unwrap_or_default()
    };
    let basic = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Basic "))
        .and_then(|b| STANDARD.decode(b.trim()).ok())
        .and_then(|b| String::from_utf8(b).ok())
        .and_then(|pair| {
            pair.split_once(':')
                .map(|(id, secret)| (decode(id), decode(secret)))
        });
    let post = || {
        Some((
            form.get("client_id")?.as_str()?.to_owned(),
            form.get("client_secret")?.as_str()?.to_owned(),
        ))
    };
    let (id, secret) = basic.or_else(post)?;
    let state = shared.state();
    let known = state.clients.get(&id)?;
    // Not constant time: a test provider, on loopback.
    (known.secret == secret).then_some(id)
}

fn now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

fn token(shared: &Shared, headers: &http::HeaderMap, body: &[u8]) -> Response<Full<Bytes>> {
    let form = form(body);
    let Some(client_id) = client(shared, headers, &form) else {
        let mut response = oauth_error(StatusCode::UNAUTHORIZED, "invalid_client");
        response.headers_mut().insert(
            header::WWW_AUTHENTICATE,
            header::HeaderValue::from_static("Basic realm=\"test-issuer\""),
        );
        return response;
    };
    if form.get("grant_type").and_then(Value::as_str) != Some("client_credentials") {
        return oauth_error(StatusCode::BAD_REQUEST, "unsupported_grant_type");
    }
    let (allowed, audience) = {
        let state = shared.state();
        let allowed = state
            .clients
            .get(&client_id)
            .map(|c| c.scopes.clone())
            .unwrap_or_default();
        (allowed, state.audience.clone())
    };
    let scopes: Vec<String> = match form.get("scope").and_then(Value::as_str) {
        Some(asked) => asked
            .split(' ')
            .filter(|s| !s.is_empty())
            .map(str::to_owned)
            .collect(),
        None => allowed.clone(),
    };
    if scopes.iter().any(|s| !allowed.contains(s)) {
        return oauth_error(StatusCode::BAD_REQUEST, "invalid_scope");
    }
    let now = now();
    let mut claims = json!({
        "iss": shared.url,
        "sub": client_id,
        "client_id": client_id,
        "iat": now,
        "exp": now + 300,
        "scope": scopes.join(" "),
    });
    match super::keys::random_b64(12) {
        Ok(jti) => claims["jti"] = json!(jti),
        Err(_) => return oauth_error(StatusCode::INTERNAL_SERVER_ERROR, "server_error"),
    }
    let audience = form
        .get("resource")
        .or_else(|| form.get("audience"))
        .and_then(Value::as_str)
        .map(str::to_owned)
        .or(audience);
    if let Some(audience) = audience {
        claims["aud"] = json!(audience);
    }
    // RFC 9449 §5: a proof on the token request binds the token to its key.
    let mut token_type = "Bearer";
    if let Some(proof) = headers.get("dpop") {
        match dpop_key(shared, headers, proof) {
            Some(jkt) => {
                claims["cnf"] = json!({ "jkt": jkt });
                token_type = "DPoP";
            }
            None => return oauth_error(StatusCode::BAD_REQUEST, "invalid_dpop_proof"),
        }
    }
    let signed = sign_claims(shared, jsonwebtoken::Algorithm::ES256, &claims);
    match signed {
        Ok(access_token) => json_response(
            StatusCode::OK,
            &json!({
                "access_token": access_token,
                "token_type": token_type,
                "expires_in": 300,
                "scope": scopes.join(" "),
            }),
        ),
        Err(_) => oauth_error(StatusCode::INTERNAL_SERVER_ERROR, "server_error"),
    }
}

/// The thumbprint of a token request's DPoP proof, checked as a resource
/// server checks one (RFC 9449 §4.3, without `ath`), for `POST` on the
/// token endpoint; `None` if it is not valid.
fn dpop_key(
    shared: &Shared,
    headers: &http::HeaderMap,
    proof: &header::HeaderValue,
) -> Option<String> {
    let uri: http::Uri = format!("{}{}", shared.url, Endpoint::Token.path())
        .parse()
        .ok()?;
    let check = crate::server::Dpop::required().prepare().ok()?;
    check
        .check_proof(proof, &Method::POST, &uri, headers, None, SystemTime::now())
        .ok()
        .map(|checked| checked.jkt)
}

fn introspect(shared: &Shared, headers: &http::HeaderMap, body: &[u8]) -> Response<Full<Bytes>> {
    let form = form(body);
    if client(shared, headers, &form).is_none() {
        return oauth_error(StatusCode::UNAUTHORIZED, "invalid_client");
    }
    let token = form
        .get("token")
        .and_then(Value::as_str)
        .unwrap_or_default();
    let state = shared.state();
    let claims = state
        .opaque
        .get(token)
        .filter(|_| !state.revoked.contains(token))
        .filter(|claims| {
            claims
                .get("exp")
                .and_then(Value::as_u64)
                .is_none_or(|exp| exp > now())
        });
    let answer = match claims {
        Some(claims) => {
            let mut answer = claims.clone();
            answer.insert("active".into(), json!(true));
            answer.insert("token_type".into(), json!("Bearer"));
            Value::Object(answer)
        }
        None => json!({ "active": false }),
    };
    json_response(StatusCode::OK, &answer)
}

fn revoke(shared: &Shared, headers: &http::HeaderMap, body: &[u8]) -> Response<Full<Bytes>> {
    let form = form(body);
    if client(shared, headers, &form).is_none() {
        return oauth_error(StatusCode::UNAUTHORIZED, "invalid_client");
    }
    if let Some(token) = form.get("token").and_then(Value::as_str) {
        shared.state().revoked.insert(token.to_owned());
    }
    // RFC 7009 §2.2: 200 whether or not the token was known.
    Response::new(Full::new(Bytes::new()))
}
