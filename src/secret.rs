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
    // Longest secret key is 13 bytes; longer keys cannot match.
    if key.len() > 32 {
        return false;
    }
    let mut normalized = [0u8; 32];
    let mut n = 0;
    for b in key.bytes().filter(|b| *b != b'_' && *b != b'-') {
        normalized[n] = b.to_ascii_lowercase();
        n += 1;
    }
    SECRET_KEYS.iter().any(|s| s.as_bytes() == &normalized[..n])
}

/// Whether a metadata value looks like a credential: an HTTP `Bearer`
/// credential, or a compact JWS/JWE (three or five base64url segments, the
/// first of which decodes to a JSON object, so begins with `eyJ`).
///
/// Requiring the `eyJ` header keeps ordinary dotted values (`api.example.com`,
/// `1.2.3`) allowed.
pub(crate) fn looks_like_credential(value: &str) -> bool {
    let trimmed = value.trim_start();
    // Compared as bytes: slicing the str could split a character.
    if trimmed
        .as_bytes()
        .get(..7)
        .is_some_and(|b| b.eq_ignore_ascii_case(b"bearer "))
    {
        return true;
    }
    let is_b64url = |s: &str| {
        !s.is_empty()
            && s.bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
    };
    let trimmed = trimmed.trim_end();
    let segments = trimmed.split('.').count();
    (segments == 3 || segments == 5)
        && trimmed.starts_with("eyJ")
        // JWE may have an empty encrypted-key segment; JWS may not.
        && trimmed
            .split('.')
            .enumerate()
            .all(|(i, s)| is_b64url(s) || (segments == 5 && i == 1 && s.is_empty()))
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
