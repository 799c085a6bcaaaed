"""The credential detector: which metadata must never leave the process.

A port of the crate's ``src/secrets.rs``, byte for byte on the
UTF-8 encoding: the secret key names come from the generated table (the same
list the Rust side writes to ``tests/vectors/auth_error_rules.json``), the text
rule is the same algorithm, and ``tests/test_rules.py`` holds both to the cases
of that file.
"""

from __future__ import annotations

from typing import List

from ._generated import KEY_SEPARATORS, LONGEST_SECRET_KEY, SECRET_KEY_PREFIXES, SECRET_KEYS

_SEPARATORS = frozenset(KEY_SEPARATORS.encode("ascii"))
_PREFIXES = tuple(p.lower().encode("ascii") for p in SECRET_KEY_PREFIXES)
_LONGEST_PREFIX = max(len(p) for p in _PREFIXES)


def is_secret_key(key: str) -> bool:
    """Whether a metadata key names a secret. The key is normalized first
    (ASCII lower case, the separators ``-``, ``_``, ``.`` removed), then
    matched whole, also after a prefix (``x``) is stripped: ``x-api-key``,
    ``X-Auth-Token``, ``xApiKey``, ``X.Api.Key`` all name secrets;
    ``tokenId``, ``xTokenId`` do not."""
    normalized = bytearray()
    for b in key.encode("utf-8", "surrogatepass"):
        if b in _SEPARATORS:
            continue
        if len(normalized) == LONGEST_SECRET_KEY + _LONGEST_PREFIX:
            return False
        normalized.append(b + 32 if 0x41 <= b <= 0x5A else b)
    name = bytes(normalized)
    return _is_secret_name(name) or any(
        name.startswith(p) and _is_secret_name(name[len(p) :]) for p in _PREFIXES
    )


def _is_secret_name(normalized: bytes) -> bool:
    if not normalized or not (0x61 <= normalized[0] <= 0x7A) or not normalized.isascii():
        return False
    return normalized.decode("ascii") in SECRET_KEYS


# Byte classes, as in the Rust table: ASCII letters and digits, ASCII whitespace
# (Rust's u8::is_ascii_whitespace: space, \t, \n, \x0c, \r; not \x0b).
_ALNUM = frozenset(b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789")
_SPACE = frozenset(b" \t\n\x0c\r")
_TOKEN68_EXTRA = frozenset(b"-._~+/=")
_SHAPED_EXTRA = frozenset(b"+/=_-.~")
_B64URL = _ALNUM | frozenset(b"-_")
_SCHEMES = {
    ord("b"): (b"bearer", b"basic"),
    ord("d"): (b"digest", b"dpop"),
    ord("n"): (b"negotiate", b"ntlm"),
}


def looks_like_credential(value: str) -> bool:
    """Whether a text looks like a credential: an HTTP authentication scheme
    followed by whitespace and a credential (``Bearer abc``, or a
    credential-shaped word anywhere: ``token=Bearer s3cr3t-1``), or a compact
    JWS/JWE whose header decodes to a JSON object. Ordinary sentences, URLs and
    dotted names pass."""
    data = value.encode("utf-8", "surrogatepass")
    space = any(b in _SPACE for b in data)
    dots = data.count(b".")
    return (space and _has_auth_scheme(data)) or (dots >= 2 and _has_compact_jwt(data))


def _is_credential_shaped(cred: bytes) -> bool:
    if len(cred) < 8:
        return False
    if any((0x30 <= b <= 0x39) or b in _SHAPED_EXTRA for b in cred):
        return True
    return any(0x41 <= b <= 0x5A for b in cred[1:]) and any(0x61 <= b <= 0x7A for b in cred)


def _is_token68(b: int) -> bool:
    return b in _ALNUM or b in _TOKEN68_EXTRA


def _is_scheme(word: bytes) -> bool:
    if not word:
        return False
    first = word[0] + 32 if 0x41 <= word[0] <= 0x5A else word[0]
    candidates = _SCHEMES.get(first)
    if candidates is None:
        return False
    lowered = bytes(b + 32 if 0x41 <= b <= 0x5A else b for b in word)
    return lowered in candidates


def _has_auth_scheme(data: bytes) -> bool:
    word_start = 0
    in_word = False
    for i, b in enumerate(data):
        if b in _ALNUM:
            if not in_word:
                word_start = i
                in_word = True
            continue
        if (
            in_word
            and b in _SPACE
            and 4 <= i - word_start <= 9
            and _is_scheme(data[word_start:i])
            and _credential_follows(data, word_start, i)
        ):
            return True
        in_word = False
    return False


def _credential_follows(data: bytes, start: int, word_end: int) -> bool:
    ws = 0
    while word_end + ws < len(data) and data[word_end + ws] in _SPACE:
        ws += 1
    cred_start = word_end + ws
    cred_len = 0
    while cred_start + cred_len < len(data) and _is_token68(data[cred_start + cred_len]):
        cred_len += 1
    cred = data[cred_start : cred_start + cred_len]
    if ws == 0 or not cred:
        return False
    rest = data[cred_start + cred_len :]
    leading = all(b in _SPACE for b in data[:start]) and (
        all(b in _SPACE for b in rest) or (len(rest) > 0 and rest[0] in (0x22, 0x2C))
    )
    return leading or _is_credential_shaped(cred)


def _has_compact_jwt(data: bytes) -> bool:
    """A compact JWS or JWE anywhere: in every run of base64url characters and
    dots, any window of 3 or 5 dot-separated segments whose first segment
    holds a JOSE header."""
    run_start = 0
    n = len(data)
    for end in range(n + 1):
        if end < n and (data[end] in _B64URL or data[end] == 0x2E):
            continue
        run = data[run_start:end]
        run_start = end + 1
        if run.count(b".") < 2:
            continue
        segments = run.split(b".")
        for i, first in enumerate(segments):
            if _is_compact_at(first, segments[i + 1 : i + 5]):
                return True
    return False


def _is_compact_at(first: bytes, after: List[bytes]) -> bool:
    """A JWS (``h.p.s``, ``s`` may be empty) or JWE (``h.k.iv.c.t``, ``k`` may
    be empty) starting at ``first``, whose header ``first`` holds."""
    if len(after) < 2:
        return False
    jws = len(after[0]) > 0
    jwe = len(after) == 4 and all(len(s) > 0 for s in after[1:])
    return (jws or jwe) and _holds_header(first)


# What a header try decodes at most: 64 base64url characters, 48 bytes.
_HEADER_PREFIX_CHARS = 64
# JSON whitespace (RFC 8259): space, \t, \n, \r.
_JSON_SPACE = frozenset(b" \t\n\r")
# The bytes of a first member name that counts (``alg``, ``typ``, ``x5t#S256``).
_NAME = _ALNUM | frozenset(b"_-.#+")


def _holds_header(segment: bytes) -> bool:
    """Whether a segment is, or ends with, a JOSE header: base64url of at
    least 4 characters decoding to a JSON object, from the segment's start or
    right after a ``-`` or ``_`` (a token glued to a word: ``id_eyJ...``).
    Each try reads (and slices) at most the first 64 characters from its
    start, so the work is linear in the segment."""
    starts = [0] + [i + 1 for i, b in enumerate(segment) if b in (0x2D, 0x5F)]
    return any(
        len(segment) - s >= 4 and _decodes_to_json_object(segment[s : s + _HEADER_PREFIX_CHARS])
        for s in starts
    )


def _sextet(b: int) -> int:
    if 0x41 <= b <= 0x5A:
        return b - 0x41
    if 0x61 <= b <= 0x7A:
        return b - 0x61 + 26
    if 0x30 <= b <= 0x39:
        return b - 0x30 + 52
    if b == 0x2D:
        return 62
    if b == 0x5F:
        return 63
    return -1


def _decodes_to_json_object(segment: bytes) -> bool:
    r"""Whether base64url ``segment`` decodes to the start of a JOSE header.

    Compact JSON (``{"``, what every JOSE library writes: ``eyJ...``) counts
    at once. JSON with whitespace before the first member (a pretty-printed
    header) counts only with a whole first member name and its colon
    (``{\n  "alg":``): three bytes such as ``{\n"`` are what ordinary words
    decode to (``ewoi``, a host name in a URL), not evidence of a header.
    Decodes at most the first 64 characters (48 bytes), so each try is
    bounded."""
    data = bytearray()
    for start in range(0, min(len(segment), _HEADER_PREFIX_CHARS), 4):
        quad = segment[start : start + 4]
        values = [_sextet(b) for b in quad]
        if len(quad) < 2 or min(values) < 0:
            break
        acc = 0
        for k, v in enumerate(values):
            acc |= v << (18 - 6 * k)
        data.extend(((acc >> 16) & 0xFF, (acc >> 8) & 0xFF, acc & 0xFF)[: len(quad) - 1])
    n = len(data)
    at = 0
    while at < n and data[at] in _JSON_SPACE:
        at += 1
    if at == n or data[at] != 0x7B:
        return False
    at += 1
    while at < n and data[at] in _JSON_SPACE:
        at += 1
    if at == n or data[at] != 0x22:
        return False
    if at == 1:
        # ``{"`` at the very start: no whitespace at all, compact JSON.
        return True
    at += 1
    name = at
    while at < n and data[at] in _NAME:
        at += 1
    if at == name or at == n or data[at] != 0x22:
        return False
    at += 1
    while at < n and data[at] in _JSON_SPACE:
        at += 1
    return at < n and data[at] == 0x3A
