//! The credential detector: which metadata and texts must never leave the
//! process. A leaf: it knows no error type, so the error value (its
//! `Display` and `Debug`) and the rules (every exit) can both use it.
//! Documented in docs/codes.md's "What never leaves" table.
//!
//! Both checks are linear in the input and allocate nothing.

/// Metadata key names that carry secrets and never leave the process,
/// normalized: ASCII lower case, with `-`, `_` and `.` removed (a key is
/// compared after the same normalization, also behind one of
/// [`SECRET_METADATA_KEY_PREFIXES`]). Whole names only, so `tokenId`,
/// `tokenType` and `tokenExpiry` (context keys of this crate) and
/// `sessionId` stay allowed. The companion packages' lists are generated
/// from this one (`tests/vectors/auth_error_rules.json`).
///
/// ```
/// assert!(auth_error::SECRET_METADATA_KEYS.contains(&"clientsecret"));
/// ```
pub const SECRET_METADATA_KEYS: &[&str] = SECRET_KEYS;

/// The conventional header prefixes a secret name may hide behind, as they
/// read after normalization: `x-api-key`, `X-Auth-Token`, `xApiKey` and
/// `X.Api.Key` all normalize to `x` followed by a secret name.
pub const SECRET_METADATA_KEY_PREFIXES: &[&str] = &["x"];

const SECRET_KEYS: &[&str] = &[
    // OAuth 2.0 / OIDC tokens and grants
    "token",
    "accesstoken",
    "refreshtoken",
    "idtoken",
    "sessiontoken",
    "bearertoken",
    "authtoken",
    "apitoken",
    "csrftoken",
    "xsrftoken",
    "jwt",
    "assertion",
    "clientassertion",
    "authcode",
    "authorizationcode",
    "codeverifier",
    "devicecode",
    // client and API secrets
    "secret",
    "clientsecret",
    "apikey",
    "apisecret",
    "secretkey",
    "secretaccesskey",
    "privatekey",
    "signingkey",
    "credential",
    "credentials",
    // passwords and one-time codes
    "password",
    "passwd",
    "pwd",
    "passphrase",
    "otp",
    // HTTP headers that carry credentials
    "authorization",
    "proxyauthorization",
    "cookie",
    "setcookie",
];

/// The separators a metadata key is compared without (`client.secret`,
/// `client_secret`, `client-secret` all name `clientsecret`).
pub const SECRET_METADATA_KEY_SEPARATORS: &str = "-_.";

fn is_separator(b: u8) -> bool {
    SECRET_METADATA_KEY_SEPARATORS.as_bytes().contains(&b)
}

/// Whether a metadata key names a secret. The key is normalized first
/// (ASCII lower case, the separators `-`, `_`, `.` removed), then matched
/// whole against [`SECRET_METADATA_KEYS`], also after one of
/// [`SECRET_METADATA_KEY_PREFIXES`] is stripped: `x-api-key`,
/// `X-Auth-Token`, `xApiKey`, `X.Api.Key` and `client.secret` all name
/// secrets; `tokenId`, `xTokenId` do not.
///
/// Every exit of this crate leaves such an entry out (or refuses it); use
/// it to withhold the same values when you log or print headers yourself.
///
/// ```
/// use auth_error::is_secret_metadata_key;
///
/// assert!(is_secret_metadata_key("X-Api-Key"));
/// assert!(is_secret_metadata_key("xApiKey"));
/// assert!(!is_secret_metadata_key("tokenId"));
/// ```
pub fn is_secret_metadata_key(key: &str) -> bool {
    // Normalized into a stack buffer; a key whose normalized form is longer
    // than every prefixed secret name is not one (no cap on the key itself).
    let mut buf = [0u8; LONGEST_SECRET_KEY + LONGEST_PREFIX];
    let mut n = 0;
    for b in key.bytes().filter(|b| !is_separator(*b)) {
        let Some(slot) = buf.get_mut(n) else {
            return false;
        };
        *slot = b.to_ascii_lowercase();
        n += 1;
    }
    let normalized = &buf[..n];
    is_secret_name(normalized)
        || SECRET_METADATA_KEY_PREFIXES.iter().any(|prefix| {
            normalized
                .strip_prefix(prefix.as_bytes())
                .is_some_and(is_secret_name)
        })
}

/// The longest of [`SECRET_METADATA_KEY_PREFIXES`].
const LONGEST_PREFIX: usize = 1;

/// Whether a normalized key is a secret name.
fn is_secret_name(normalized: &[u8]) -> bool {
    // Cheap filter first: is there a secret name of this length starting
    // with this letter?
    let Some(first) = normalized.first().filter(|b| b.is_ascii_lowercase()) else {
        return false;
    };
    let Some(letters) = FIRST_LETTERS_BY_LEN.get(normalized.len()) else {
        return false;
    };
    if letters & (1 << (first - b'a')) == 0 {
        return false;
    }
    SECRET_KEYS.iter().any(|s| s.as_bytes() == normalized)
}

/// For each length, a bit per first letter of the secret names of that
/// length: most keys are ruled out without comparing a single name.
const FIRST_LETTERS_BY_LEN: [u32; LONGEST_SECRET_KEY + 1] = {
    let mut table = [0u32; LONGEST_SECRET_KEY + 1];
    let mut i = 0;
    while i < SECRET_KEYS.len() {
        let name = SECRET_KEYS[i].as_bytes();
        table[name.len()] |= 1 << (name[0] - b'a');
        i += 1;
    }
    table
};

/// The length of the longest name in [`SECRET_KEYS`] (checked by a test).
const LONGEST_SECRET_KEY: usize = 18;

/// Whether a metadata value (or any text the error carries) looks like a
/// credential:
/// - it is an HTTP authentication scheme, whitespace (any, any amount) and a
///   credential (`Bearer abc`, `basic\tdXNlcjpw`, `Digest username="a", …`);
/// - anywhere in it (after a delimiter), a scheme, whitespace and a
///   credential-shaped word: a token68 of at least 8 characters with a digit,
///   one of `+/=_-.~`, or upper and lower case letters past its first
///   (base64 of letters: `token=Basic YWxhZGRpbjpvcGVu`), so
///   `token=Bearer s3cr3t-1` is caught while `Basic authentication failed`
///   is ordinary text;
/// - anywhere in it, a compact JWS (three base64url segments, the last one
///   possibly empty: an unsecured `alg: none` token) or JWE (five), whose
///   header segment decodes to a JSON object (`{`, after any whitespace: a
///   pretty-printed header starts `ewog`, not `eyJ`): any such window of a
///   longer run of dots and base64url (`{jwt}...`, `a.b.{jwt}`), the header
///   starting the segment or glued to a word by `-` or `_` (`id_{jwt}`).
///
/// Every exit of this crate applies it to the texts and metadata values it
/// sends; use it to withhold the same texts when you log a peer's.
///
/// ```
/// use auth_error::looks_like_credential;
///
/// assert!(looks_like_credential("token=Bearer s3cr3t-1"));
/// assert!(looks_like_credential(
///     "bad token eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.c2ln..."
/// ));
/// assert!(!looks_like_credential("Basic authentication failed"));
/// assert!(!looks_like_credential("https://id.example.com/a.b.c"));
/// ```
pub fn looks_like_credential(value: &str) -> bool {
    let bytes = value.as_bytes();
    // One cheap pass first: a scheme needs whitespace after it, a JWT two
    // dots; most values (ids, names, short words) have neither.
    let (mut space, mut dots) = (false, 0usize);
    for &b in bytes {
        space |= CLASS[usize::from(b)] == SPACE;
        dots += usize::from(b == b'.');
    }
    (space && has_auth_scheme(bytes)) || (dots >= 2 && has_compact_jwt(bytes))
}

/// A credential, not a word: long enough, and with a digit, a token68
/// symbol, or mixed case past the first letter.
fn is_credential_shaped(cred: &[u8]) -> bool {
    cred.len() >= 8
        && (cred.iter().any(|b| {
            b.is_ascii_digit() || matches!(b, b'+' | b'/' | b'=' | b'_' | b'-' | b'.' | b'~')
        }) || (cred[1..].iter().any(u8::is_ascii_uppercase)
            && cred.iter().any(u8::is_ascii_lowercase)))
}

fn is_token68(b: u8) -> bool {
    b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~' | b'+' | b'/' | b'=')
}

/// Whether `word` is one of the HTTP authentication schemes whose
/// credentials a value must not carry (RFC 9110 §11, RFC 6750, RFC 7617,
/// RFC 7616, RFC 4559, RFC 9449), in any case; the first letter rules out
/// most words at once.
fn is_scheme(word: &[u8]) -> bool {
    let candidates: &[&str] = match word.first().map(u8::to_ascii_lowercase) {
        Some(b'b') => &["bearer", "basic"],
        Some(b'd') => &["digest", "dpop"],
        Some(b'n') => &["negotiate", "ntlm"],
        _ => return false,
    };
    candidates
        .iter()
        .any(|s| word.eq_ignore_ascii_case(s.as_bytes()))
}

/// Byte classes for the one-pass scan: ASCII letters and digits, ASCII
/// whitespace.
const ALNUM: u8 = 1;
const SPACE: u8 = 2;
const CLASS: [u8; 256] = {
    let mut table = [0u8; 256];
    let mut b = 0;
    while b < 256 {
        let c = b as u8;
        if c.is_ascii_alphanumeric() {
            table[b] = ALNUM;
        } else if c.is_ascii_whitespace() {
            table[b] = SPACE;
        }
        b += 1;
    }
    table
};

/// A scheme followed by whitespace and a credential, anywhere: only a word
/// of 4 to 9 letters right before whitespace can be a scheme, so one forward
/// pass (a table lookup per byte) finds every candidate.
fn has_auth_scheme(bytes: &[u8]) -> bool {
    let mut word_start = 0;
    let mut in_word = false;
    for (i, &b) in bytes.iter().enumerate() {
        match CLASS[usize::from(b)] {
            ALNUM => {
                if !in_word {
                    word_start = i;
                    in_word = true;
                }
            }
            class => {
                if in_word
                    && class == SPACE
                    && (4..=9).contains(&(i - word_start))
                    && is_scheme(&bytes[word_start..i])
                    && credential_follows(bytes, word_start, i)
                {
                    return true;
                }
                in_word = false;
            }
        }
    }
    false
}

/// After the scheme at `start..word_end` (followed by whitespace): a
/// credential, if the value is just `scheme credential` (or Digest's
/// `scheme param="…", …`), or a credential-shaped word anywhere.
fn credential_follows(bytes: &[u8], start: usize, word_end: usize) -> bool {
    let ws = bytes[word_end..]
        .iter()
        .take_while(|b| b.is_ascii_whitespace())
        .count();
    let cred_start = word_end + ws;
    let cred_len = bytes[cred_start..]
        .iter()
        .take_while(|b| is_token68(**b))
        .count();
    let cred = &bytes[cred_start..cred_start + cred_len];
    if ws == 0 || cred.is_empty() {
        return false;
    }
    let rest = &bytes[cred_start + cred_len..];
    let leading = bytes[..start].iter().all(u8::is_ascii_whitespace)
        && (rest.iter().all(u8::is_ascii_whitespace) || matches!(rest.first(), Some(b'"' | b',')));
    leading || is_credential_shaped(cred)
}

fn is_b64url(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'-' || b == b'_'
}

/// A compact JWS or JWE anywhere: in every run of token characters and dots
/// (`.`, base64url), any window of 3 or 5 dot-separated segments whose first
/// segment holds a JOSE header ([`is_compact_at`]). A token followed or
/// preceded by more dots (`{jwt}...`, `a.b.{jwt}`) or glued to a word by
/// `-` or `_` (`id_{jwt}`) is found; the work is linear in the run.
fn has_compact_jwt(bytes: &[u8]) -> bool {
    bytes
        .split(|b| !is_b64url(*b) && *b != b'.')
        .filter(|run| run.iter().filter(|b| **b == b'.').count() >= 2)
        .any(|run| {
            let mut segments = run.split(|b| *b == b'.');
            while let Some(first) = segments.next() {
                if is_compact_at(first, segments.clone()) {
                    return true;
                }
            }
            false
        })
}

/// Whether `first` and the segments after it start a compact JWS (`h.p.s`,
/// `s` may be empty: an unsecured `alg: none` token) or JWE (`h.k.iv.c.t`,
/// `k` may be empty), with a header in `first` ([`holds_header`]).
fn is_compact_at<'a>(first: &[u8], mut after: impl Iterator<Item = &'a [u8]>) -> bool {
    let (Some(second), Some(third)) = (after.next(), after.next()) else {
        return false;
    };
    let jws = !second.is_empty();
    let jwe = || !third.is_empty() && after.take(2).filter(|s| !s.is_empty()).count() == 2;
    (jws || jwe()) && holds_header(first)
}

/// Whether a segment is, or ends with, a JOSE header: base64url of at least
/// 4 characters decoding to a JSON object, starting at the segment's start
/// or right after a `-` or `_` (a token glued to a word: `id_eyJ…`). Each
/// try decodes at most 64 characters, so the work is linear.
fn holds_header(segment: &[u8]) -> bool {
    let starts = std::iter::once(0).chain(
        segment
            .iter()
            .enumerate()
            .filter(|(_, b)| matches!(b, b'-' | b'_'))
            .map(|(i, _)| i + 1),
    );
    starts.into_iter().any(|start| {
        let header = &segment[start..];
        header.len() >= 4 && decodes_to_json_object(header)
    })
}

/// Whether base64url `segment` decodes to the start of a JOSE header.
///
/// Compact JSON (`{"`, what every JOSE library writes: `eyJ…`) counts at
/// once. JSON with whitespace before the first member (a pretty-printed
/// header) counts only with a whole first member name and its colon
/// (`{\n  "alg":`): three bytes such as `{\n"` are what ordinary words
/// decode to (`ewoi`, a host name in a URL), not evidence of a header.
/// Decodes at most the first 64 characters (48 bytes), without allocating,
/// so each try is bounded.
fn decodes_to_json_object(segment: &[u8]) -> bool {
    fn sextet(b: u8) -> Option<u32> {
        Some(u32::from(match b {
            b'A'..=b'Z' => b - b'A',
            b'a'..=b'z' => b - b'a' + 26,
            b'0'..=b'9' => b - b'0' + 52,
            b'-' => 62,
            b'_' => 63,
            _ => return None,
        }))
    }
    let mut buf = [0u8; 48];
    let mut len = 0;
    'decode: for quad in segment.chunks(4).take(16) {
        if quad.len() < 2 {
            break;
        }
        let mut acc = 0u32;
        for (k, b) in quad.iter().enumerate() {
            let Some(v) = sextet(*b) else {
                break 'decode;
            };
            acc |= v << (18 - 6 * k);
        }
        let decoded = [(acc >> 16) as u8, (acc >> 8) as u8, acc as u8];
        for byte in &decoded[..quad.len() - 1] {
            buf[len] = *byte;
            len += 1;
        }
    }
    let json = &buf[..len];
    let is_space = |b: u8| matches!(b, b' ' | b'\t' | b'\n' | b'\r');
    let mut at = 0;
    let mut spaced = false;
    let mut skip_space = |at: &mut usize| {
        while json.get(*at).copied().is_some_and(is_space) {
            *at += 1;
            spaced = true;
        }
    };
    skip_space(&mut at);
    if json.get(at) != Some(&b'{') {
        return false;
    }
    at += 1;
    skip_space(&mut at);
    if json.get(at) != Some(&b'"') {
        return false;
    }
    if !spaced {
        return true;
    }
    at += 1;
    let name = at;
    while json
        .get(at)
        .is_some_and(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-' | b'.' | b'#' | b'+'))
    {
        at += 1;
    }
    if at == name || json.get(at) != Some(&b'"') {
        return false;
    }
    at += 1;
    while json.get(at).copied().is_some_and(is_space) {
        at += 1;
    }
    json.get(at) == Some(&b':')
}

/// A peer's text as an error may hold it (an unknown reason, a mismatched
/// message): through the text rule — a refused text is withheld, never
/// stored, so no `Display` or `Debug` can print it — and cut at 256
/// characters, so a hostile peer cannot make an error message unbounded.
pub(crate) fn peer_text(text: &str) -> String {
    const MAX_CHARS: usize = 256;
    if looks_like_credential(text) {
        return "[withheld: looks like a credential]".to_owned();
    }
    match text.char_indices().nth(MAX_CHARS) {
        Some((cut, _)) => format!("{}…", &text[..cut]),
        None => text.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `ewoi` is base64url of `{\n"`: a host name is not a JOSE header
    /// (saved as a proptest regression of `no_leaks::ordinary_values_pass`).
    #[test]
    fn a_host_that_decodes_to_an_opening_brace_is_not_a_header() {
        for value in [
            "https://ewoi.example.com",
            "https://ewaa.example.com/a.b",
            "ewoi.example.com",
            "ICB7.example.com",
        ] {
            assert!(!looks_like_credential(value), "{value}");
        }
        use base64::Engine as _;
        let b64 = base64::engine::general_purpose::URL_SAFE_NO_PAD;
        for header in [
            "{\"alg\":\"HS256\"}",
            "{\n  \"alg\": \"ES256\"\n}",
            " { \"typ\" : \"JWT\"}",
        ] {
            let jws = format!("{}.eyJzdWIiOiJ4In0.c2ln", b64.encode(header));
            assert!(looks_like_credential(&jws), "{header:?}");
        }
        assert!(looks_like_credential("eyJA.b.c"));
    }

    #[test]
    fn longest_secret_key_is_right() {
        let longest = SECRET_KEYS.iter().map(|s| s.len()).max();
        assert_eq!(longest, Some(LONGEST_SECRET_KEY));
        let longest = SECRET_METADATA_KEY_PREFIXES.iter().map(|s| s.len()).max();
        assert_eq!(longest, Some(LONGEST_PREFIX));
    }

    #[test]
    fn secret_keys_match_whole_keys_only() {
        for key in [
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
            // The `x` prefix after normalization: AIP-193 spellings too.
            "xApiKey",
            "xAuthToken",
            "xAccessToken",
            "X.Api.Key",
            "x.client_secret",
        ] {
            assert!(is_secret_metadata_key(key), "{key}");
        }
        for key in [
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
            "xTokenId",
            "xRequestId",
            "xsecretary",
            "xx-api-key",
        ] {
            assert!(!is_secret_metadata_key(key), "{key}");
        }
    }

    #[test]
    fn every_scheme_is_one() {
        for scheme in ["bearer", "Basic", "DIGEST", "negotiate", "DPoP", "ntlm"] {
            assert!(is_scheme(scheme.as_bytes()), "{scheme}");
        }
        for word in ["bear", "bearers", "basics", "dpo", "token", ""] {
            assert!(!is_scheme(word.as_bytes()), "{word}");
        }
    }

    #[test]
    fn credentials_are_recognized() {
        let jwt = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.c2lnbmF0dXJl";
        for bad in [
            "Bearer abc".to_owned(),
            "bearer abc".to_owned(),
            "Bearer\tabc".to_owned(),
            "  BEARER   abc".to_owned(),
            "Basic dXNlcjpwYXNz".to_owned(),
            "Digest username=\"a\"".to_owned(),
            "Negotiate YIIGhgYJKoZIhvcSAQICAQBuggZ1MIIGcaADAgEF".to_owned(),
            "token=Bearer s3cr3t-1".to_owned(),
            jwt.to_owned(),
            format!("token={jwt}"),
            format!("aud-1 {jwt}"),
            format!("see {jwt}."),
            "eyJhbGciOiJub25lIn0.eyJzdWIiOiIxIn0.".to_owned(),
            "eyJhbGciOiJSU0EtT0FFUCJ9..aXY.Y2lwaGVy.dGFn".to_owned(),
            "token=Basic YWxhZGRpbjpvcGVu".to_owned(),
            "sent Bearer AbcdEfghIjkl".to_owned(),
            // Headers with JSON whitespace: pretty-printed, tab, leading space.
            "ewogICJhbGciOiAiSFMyNTYiCn0.eyJzdWIiOiIxIn0.c2ln".to_owned(),
            "bad token ewkiYWxnIjoiSFMyNTYifQ.eyJzdWIiOiIxIn0.c2ln".to_owned(),
            "IHsiYWxnIjoibm9uZSJ9.eyJzdWIiOiIxIn0.".to_owned(),
            // More dots or words around it: any 3- or 5-segment window.
            format!("bad token {jwt}..."),
            format!("bad token {jwt}.."),
            format!("a.b.{jwt}"),
            format!("id_{jwt}"),
            format!("token-{jwt}."),
            "x.eyJhbGciOiJSU0EtT0FFUCJ9..aXY.Y2lwaGVy.dGFn...".to_owned(),
        ] {
            assert!(looks_like_credential(&bad), "{bad}");
        }
        for ok in [
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
        ] {
            assert!(!looks_like_credential(ok), "{ok}");
        }
    }
}
