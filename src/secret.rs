//! The credential guard: which metadata must never leave the server.

/// Key names that carry secrets. Compared with the whole key, ignoring ASCII
/// case and `-`/`_` separators, so `accessToken`, `access_token` and
/// `ACCESS-TOKEN` are all refused while `tokenId` and `tokenType` (context
/// keys of this crate) stay allowed.
const SECRET_KEYS: [&str; 7] = [
    "token",
    "accesstoken",
    "refreshtoken",
    "password",
    "authorization",
    "cookie",
    "secret",
];

/// Whether a metadata key names a secret.
pub(crate) fn is_secret_key(key: &str) -> bool {
    // Secret names are 5 to 13 letters; with separators a matching key is at
    // most 16 bytes. Anything longer is not a secret name.
    if key.len() < 5 || key.len() > 16 {
        return false;
    }
    // Common case, no separators: compare in place.
    if !key.bytes().any(|b| b == b'_' || b == b'-') {
        return SECRET_KEYS
            .iter()
            .any(|s| s.len() == key.len() && s.eq_ignore_ascii_case(key));
    }
    let mut normalized = [0u8; 16];
    let mut n = 0;
    for b in key.bytes().filter(|b| *b != b'_' && *b != b'-') {
        normalized[n] = b.to_ascii_lowercase();
        n += 1;
    }
    let normalized = &normalized[..n];
    SECRET_KEYS
        .iter()
        .any(|s| s.len() == n && s.as_bytes() == normalized)
}

/// Whether a metadata value looks like a credential: an HTTP `Bearer`
/// credential, or a compact JWS/JWE (three or five base64url segments, the
/// first of which decodes to a JSON object, so begins with `eyJ`).
///
/// Requiring the `eyJ` header keeps ordinary dotted values (`api.example.com`,
/// `1.2.3`) allowed.
pub(crate) fn looks_like_credential(value: &str) -> bool {
    let trimmed = value.trim_ascii();
    let bytes = trimmed.as_bytes();
    // Compared as bytes: slicing the str could split a character.
    if bytes
        .get(..7)
        .is_some_and(|b| b.eq_ignore_ascii_case(b"bearer "))
    {
        return true;
    }
    if !trimmed.starts_with("eyJ") {
        return false;
    }
    let mut segments = 0;
    for (i, segment) in trimmed.split('.').enumerate() {
        segments += 1;
        let is_b64url = segment
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
        // Only the second segment may be empty (JWE's encrypted key, or a
        // JWS with a detached payload).
        if !is_b64url || (segment.is_empty() && i != 1) {
            return false;
        }
    }
    segments == 3 || segments == 5
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secret_keys_match_whole_keys_only() {
        for key in [
            "token",
            "Token",
            "accessToken",
            "access_token",
            "refreshToken",
            "PASSWORD",
            "authorization",
            "cookie",
            "secret",
        ] {
            assert!(is_secret_key(key), "{key}");
        }
        for key in [
            "tokenId",
            "tokenType",
            "secretary",
            "passwordPolicy",
            "cookies2",
            "x",
        ] {
            assert!(!is_secret_key(key), "{key}");
        }
    }

    #[test]
    fn credentials_are_recognized() {
        assert!(looks_like_credential("Bearer abc"));
        assert!(looks_like_credential("bearer abc"));
        assert!(looks_like_credential(
            "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.c2lnbmF0dXJl"
        ));
        assert!(looks_like_credential(
            "eyJhbGciOiJSU0EtT0FFUCJ9..aXY.Y2lwaGVy.dGFn"
        ));
        for ok in [
            "ünïcödé",
            "Beärer x",
            "api.example.com",
            "1.2.3",
            "Bearer",
            "eyJ.only-two",
            "hello world",
            "",
        ] {
            assert!(!looks_like_credential(ok), "{ok}");
        }
    }
}
