//! Shared test vectors: `tests/vectors/auth_error_vectors.json` holds, for
//! every code, its number, gRPC code, HTTP status, client action (and the
//! one when the error carries a retry delay) and the
//! exact `grpc-status-details-bin` value of a fixed message and metadata.
//!
//! This test checks the file byte for byte against the crate, and decodes
//! every value back. `tests/vectors/auth_error_rules.json`, the credential
//! rules the companion packages are generated from, is pinned the same way. It never rewrites the file on its own: after a deliberate
//! change, regenerate with
//! `AUTH_ERROR_UPDATE_VECTORS=1 cargo test --test it wire::vectors` and review the diff.
//! `tests/interop/check_vectors.py` checks the same file with Google's
//! Python protobuf runtime.

use auth_error::{AuthError, AuthErrorCode, AuthStatusExt};
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD_NO_PAD;
use serde_json::{Value, json};

const PATH: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/tests/vectors/auth_error_vectors.json"
);
const MESSAGE: &str = "authentication failed — 認証に失敗しました";

fn metadata() -> [(&'static str, &'static str); 3] {
    [
        ("tenantId", "acme"),
        ("tokenId", "jti-0001"),
        ("requiredScopes", "orders.read orders.write"),
    ]
}

fn error(code: AuthErrorCode) -> AuthError {
    metadata()
        .into_iter()
        .fold(AuthError::new(code).with_message(MESSAGE), |e, (k, v)| {
            e.with_metadata(k, v)
        })
}

fn expected() -> Value {
    let vectors: Vec<Value> = AuthErrorCode::ALL
        .into_iter()
        .map(|code| {
            let details = error(code)
                .encode_details()
                .ok()
                .map(|bytes| STANDARD_NO_PAD.encode(bytes));
            json!({
                "name": code.as_str_name(),
                "number": i32::from(code),
                "grpc_code": code.grpc_code() as i32,
                "grpc_status": auth_error::grpc_status_name(code.grpc_code()),
                "http_status": code.http_status().as_u16(),
                "client_action": code.client_action().as_str(),
                "client_action_with_retry_delay": code.client_action_with_retry_delay().as_str(),
                "grpc_status_details_bin": details,
            })
        })
        .collect();
    json!({
        "about": "auth-error wire vectors. For each code: the grpc-status-details-bin value (unpadded base64 of google.rpc.Status) sent with `message`, domain `domain` and `metadata`. NO_AUTH_ERROR is never sent (null).",
        "domain": auth_error::DOMAIN,
        "message": MESSAGE,
        "metadata": metadata().into_iter().collect::<std::collections::BTreeMap<_, _>>(),
        "vectors": vectors,
    })
}

#[test]
fn vectors_file_matches_the_crate_byte_for_byte() {
    let want = expected();
    if std::env::var_os("AUTH_ERROR_UPDATE_VECTORS").is_some() {
        std::fs::write(PATH, serde_json::to_string_pretty(&want).unwrap() + "\n").unwrap();
        eprintln!("wrote {PATH}: review the diff before committing");
    }
    let text = std::fs::read_to_string(PATH).expect("tests/vectors/auth_error_vectors.json");
    let file: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(
        file["vectors"].as_array().unwrap().len(),
        AuthErrorCode::ALL.len()
    );
    for (got, want) in file["vectors"]
        .as_array()
        .unwrap()
        .iter()
        .zip(want["vectors"].as_array().unwrap())
    {
        assert_eq!(
            got, want,
            "vector for {} changed: if deliberate, regenerate (see this file's docs)",
            want["name"]
        );
    }
    // Byte for byte: the same JSON, written the same way.
    let bytes = serde_json::to_string_pretty(&want).unwrap() + "\n";
    assert!(
        text == bytes,
        "tests/vectors/auth_error_vectors.json is not byte for byte what the crate writes; regenerate (see this file's docs)"
    );
}

const RULES_PATH: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/tests/vectors/auth_error_rules.json"
);

/// Inputs of the text rule (`looks_like_credential`); the expected answers
/// are the crate's, through its public strict exit.
const TEXT_CASES: &[&str] = &[
    // Hosts whose first label decodes to `{` then `"` after whitespace: not
    // JOSE headers (no member name and colon follow).
    "https://ewoi.example.com",
    "https://ewaa.example.com/a.b",
    "ewoi.example.com",
    "ICB7.example.com",
    // Pretty-printed and spaced headers, and a compact `{"` prefix: headers.
    "ewogICJhbGciOiAiRVMyNTYiCn0.eyJzdWIiOiJ4In0.c2ln",
    "IHsgInR5cCIgOiAiSldUIn0.eyJzdWIiOiJ4In0.c2ln",
    "eyJA.b.c",
    "Bearer abc",
    "bearer abc",
    "Bearer\tabc",
    "  BEARER   abc",
    "Basic dXNlcjpwYXNz",
    "Digest username=\"a\"",
    "Negotiate YIIGhgYJKoZIhvcSAQICAQBuggZ1MIIGcaADAgEF",
    "token=Bearer s3cr3t-1",
    "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.c2lnbmF0dXJl",
    "token=eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.c2lnbmF0dXJl",
    "aud-1 eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.c2lnbmF0dXJl",
    "see eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.c2lnbmF0dXJl.",
    "eyJhbGciOiJub25lIn0.eyJzdWIiOiIxIn0.",
    "eyJhbGciOiJSU0EtT0FFUCJ9..aXY.Y2lwaGVy.dGFn",
    "token=Basic YWxhZGRpbjpvcGVu",
    "sent Bearer AbcdEfghIjkl",
    "sent Bearer abcdefghijkl",
    "DPoP Kz~8-gH.x_Y/9+=",
    "ewogICJhbGciOiAiSFMyNTYiCn0.eyJzdWIiOiIxIn0.c2ln",
    "bad token ewkiYWxnIjoiSFMyNTYifQ.eyJzdWIiOiIxIn0.c2ln",
    "IHsiYWxnIjoibm9uZSJ9.eyJzdWIiOiIxIn0.",
    "bad token eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.c2lnbmF0dXJl...",
    "bad token eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.c2lnbmF0dXJl..",
    "a.b.eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.c2lnbmF0dXJl",
    "id_eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.c2lnbmF0dXJl",
    "token-eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.c2lnbmF0dXJl.",
    "x.eyJhbGciOiJSU0EtT0FFUCJ9..aXY.Y2lwaGVy.dGFn...",
    "ünïcödé",
    "Beärer x",
    "api.example.com",
    "id.example.com",
    "https://id.example.com/a.b.c",
    "1.2.3",
    "orders.read orders.write",
    "2026-11-25T12:00:00Z",
    "123e4567-e89b-12d3-a456-426614174000",
    "Bearer",
    "Basic authentication failed",
    "the bearer token has expired",
    "eyJ.only-two",
    "hello world. See the docs.",
    "Basic Authentication is disabled",
    "see https://docs.example.com/auth/errors.html#token.expired",
    "pkg.v1.Service.Method",
    "honeyJars.config.path",
    "my-eyJ.a.b",
    "",
];

/// Inputs of the key rule; expected answers from the crate.
const KEY_CASES: &[&str] = &[
    "token",
    "Token",
    "accessToken",
    "access_token",
    "refreshToken",
    "r-e-f-r-e-s-h-t-o-k-e-n",
    "idToken",
    "sessionToken",
    "clientSecret",
    "client.secret",
    "apiKey",
    "API_KEY",
    "x-api-key",
    "X-Auth-Token",
    "x-access-token",
    "x_client_secret",
    "privateKey",
    "PASSWORD",
    "authorization",
    "Proxy-Authorization",
    "cookie",
    "set-cookie",
    "secret",
    "tokenId",
    "tokenType",
    "tokenExpiry",
    "sessionId",
    "secretary",
    "passwordPolicy",
    "cookies2",
    "x",
    "",
    "proxyAuthorizationHeaderValue",
    "x-request-id",
    "x-token-id",
    "xtokenid",
    "xApiKey",
    "xAuthToken",
    "xAccessToken",
    "X.Api.Key",
    "x.client_secret",
    "xTokenId",
    "xRequestId",
    "xsecretary",
    "xx-api-key",
];

fn rules() -> Value {
    use auth_error::AttachError;
    let text_cases: Vec<Value> = TEXT_CASES
        .iter()
        .map(|text| {
            let refused = AuthError::new(AuthErrorCode::TokenExpired)
                .with_message(*text)
                .try_into_status();
            let credential = matches!(refused, Err(AttachError::CredentialInText { .. }));
            json!({"text": text, "credential": credential})
        })
        .collect();
    let key_cases: Vec<Value> = KEY_CASES
        .iter()
        .map(|key| {
            let refused = AuthError::new(AuthErrorCode::TokenExpired)
                .with_metadata(*key, "v")
                .try_into_status();
            let secret = matches!(refused, Err(AttachError::SecretMetadataKey { .. }));
            json!({"key": key, "secret": secret})
        })
        .collect();
    json!({
        "about": "The credential rules every exit of auth-error applies, written by tests/it/wire/vectors.rs from the crate (regenerate with AUTH_ERROR_UPDATE_VECTORS=1 cargo test --test it wire::vectors): secret metadata key names (normalized: ASCII lower case, separators removed; also behind a prefix), and the crate's answers for cases of the text rule and the key rule. The companion packages generate their lists from this file and pass the same cases.",
        "secret_keys": auth_error::SECRET_METADATA_KEYS,
        "secret_key_prefixes": auth_error::SECRET_METADATA_KEY_PREFIXES,
        "key_separators": auth_error::SECRET_METADATA_KEY_SEPARATORS,
        "text_cases": text_cases,
        "key_cases": key_cases,
    })
}

#[test]
fn rules_file_matches_the_crate_byte_for_byte() {
    let bytes = serde_json::to_string_pretty(&rules()).unwrap() + "\n";
    if std::env::var_os("AUTH_ERROR_UPDATE_VECTORS").is_some() {
        std::fs::write(RULES_PATH, &bytes).unwrap();
        eprintln!("wrote {RULES_PATH}: review the diff before committing");
    }
    let text = std::fs::read_to_string(RULES_PATH).expect("tests/vectors/auth_error_rules.json");
    assert!(
        text == bytes,
        "tests/vectors/auth_error_rules.json is not what the crate writes; if deliberate, regenerate (see this file's docs)"
    );
}

#[test]
fn every_vector_decodes_back() {
    let text = std::fs::read_to_string(PATH).unwrap();
    let file: Value = serde_json::from_str(&text).unwrap();
    for v in file["vectors"].as_array().unwrap() {
        let code: AuthErrorCode = v["name"].as_str().unwrap().parse().unwrap();
        let Some(b64) = v["grpc_status_details_bin"].as_str() else {
            assert_eq!(code, AuthErrorCode::NoAuthError);
            continue;
        };
        // Through real headers, as a client receives them.
        let mut headers = http::HeaderMap::new();
        headers.insert("grpc-status", v["grpc_code"].to_string().parse().unwrap());
        headers.insert("grpc-message", percent_encode(MESSAGE).parse().unwrap());
        headers.insert("grpc-status-details-bin", b64.parse().unwrap());
        let status = tonic::Status::from_header_map(&headers).unwrap();
        assert_eq!(status.check_auth_error().unwrap(), Some(error(code)));
    }
}

fn percent_encode(s: &str) -> String {
    s.bytes()
        .map(|b| {
            if (0x20..0x7f).contains(&b) && b != b'%' {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}
