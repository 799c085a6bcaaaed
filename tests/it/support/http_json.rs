//! The HTTP exit's body as a JSON value, to index into (`to_http_json`
//! returns bytes, as the exits send them).

/// Parses an error's AIP-193 body.
pub(crate) trait HttpJsonValue {
    fn http_json_value(&self) -> serde_json::Value;
}

impl HttpJsonValue for auth_error::AuthError {
    fn http_json_value(&self) -> serde_json::Value {
        serde_json::from_slice(&self.to_http_json()).expect("the body is JSON")
    }
}
