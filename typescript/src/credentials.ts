// The credential detector: which metadata must never leave the process. A
// port of the crate's src/secrets.rs, byte for byte on the UTF-8
// encoding: the secret key names come from the generated table (the list the
// Rust side writes to tests/vectors/auth_error_rules.json), the text rule is
// the same algorithm; test/rules.test.mjs holds both to that file's cases.

import { KEY_SEPARATORS, LONGEST_SECRET_KEY, SECRET_KEY_PREFIXES, SECRET_KEYS } from "./generated.js";

const utf8 = new TextEncoder();
const SEPARATORS = new Set(Array.from(KEY_SEPARATORS, (c) => c.charCodeAt(0)));
const PREFIXES = SECRET_KEY_PREFIXES.map((p) => p.toLowerCase());
const LONGEST_PREFIX = Math.max(...PREFIXES.map((p) => p.length));

const isUpper = (b: number): boolean => b >= 0x41 && b <= 0x5a;
const isLower = (b: number): boolean => b >= 0x61 && b <= 0x7a;
const isDigit = (b: number): boolean => b >= 0x30 && b <= 0x39;
const isAlnum = (b: number): boolean => isUpper(b) || isLower(b) || isDigit(b);
// Rust's u8::is_ascii_whitespace: space, \t, \n, \x0c, \r (not \x0b).
const isSpace = (b: number): boolean => b === 0x20 || b === 0x09 || b === 0x0a || b === 0x0c || b === 0x0d;
const lower = (b: number): number => (isUpper(b) ? b + 32 : b);

/**
 * Whether a metadata key names a secret. The key is normalized first (ASCII
 * lower case, the separators `-`, `_`, `.` removed), then matched whole, also
 * after a prefix (`x`) is stripped: `x-api-key`, `X-Auth-Token`, `xApiKey`,
 * `X.Api.Key` all name secrets; `tokenId`, `xTokenId` do not.
 */
export function isSecretKey(key: string): boolean {
  const normalized: number[] = [];
  for (const b of utf8.encode(key)) {
    if (SEPARATORS.has(b)) continue;
    if (normalized.length === LONGEST_SECRET_KEY + LONGEST_PREFIX) return false;
    normalized.push(lower(b));
  }
  const name = String.fromCharCode(...normalized);
  return isSecretName(normalized, name) || PREFIXES.some((p) => name.startsWith(p) && isSecretName(normalized.slice(p.length), name.slice(p.length)));
}

function isSecretName(normalized: number[], name: string): boolean {
  if (normalized.length === 0 || !isLower(normalized[0]!)) return false;
  if (normalized.some((b) => b >= 0x80)) return false;
  return SECRET_KEYS.has(name);
}

const SHAPED = new Set(Array.from("+/=_-.~", (c) => c.charCodeAt(0)));
const TOKEN68 = new Set(Array.from("-._~+/=", (c) => c.charCodeAt(0)));
const SCHEMES: Record<number, string[]> = {
  0x62: ["bearer", "basic"],
  0x64: ["digest", "dpop"],
  0x6e: ["negotiate", "ntlm"],
};

/**
 * Whether a text looks like a credential: an HTTP authentication scheme,
 * whitespace and a credential (`Bearer abc`; anywhere, a credential-shaped
 * word: `token=Bearer s3cr3t-1`), or a compact JWS/JWE whose header decodes
 * to a JSON object. Ordinary sentences, URLs and dotted names pass.
 */
export function looksLikeCredential(value: string): boolean {
  const bytes = utf8.encode(value);
  let space = false;
  let dots = 0;
  for (const b of bytes) {
    if (isSpace(b)) space = true;
    if (b === 0x2e) dots++;
  }
  return (space && hasAuthScheme(bytes)) || (dots >= 2 && hasCompactJwt(bytes));
}

function isCredentialShaped(cred: Uint8Array): boolean {
  if (cred.length < 8) return false;
  if (cred.some((b) => isDigit(b) || SHAPED.has(b))) return true;
  return cred.subarray(1).some(isUpper) && cred.some(isLower);
}

const isToken68 = (b: number): boolean => isAlnum(b) || TOKEN68.has(b);

function isScheme(word: Uint8Array): boolean {
  if (word.length === 0) return false;
  const candidates = SCHEMES[lower(word[0]!)];
  if (candidates === undefined) return false;
  const lowered = String.fromCharCode(...Array.from(word, lower));
  return candidates.includes(lowered);
}

function hasAuthScheme(bytes: Uint8Array): boolean {
  let wordStart = 0;
  let inWord = false;
  for (let i = 0; i < bytes.length; i++) {
    const b = bytes[i]!;
    if (isAlnum(b)) {
      if (!inWord) {
        wordStart = i;
        inWord = true;
      }
      continue;
    }
    if (
      inWord &&
      isSpace(b) &&
      i - wordStart >= 4 &&
      i - wordStart <= 9 &&
      isScheme(bytes.subarray(wordStart, i)) &&
      credentialFollows(bytes, wordStart, i)
    ) {
      return true;
    }
    inWord = false;
  }
  return false;
}

function credentialFollows(bytes: Uint8Array, start: number, wordEnd: number): boolean {
  let ws = 0;
  while (wordEnd + ws < bytes.length && isSpace(bytes[wordEnd + ws]!)) ws++;
  const credStart = wordEnd + ws;
  let credLen = 0;
  while (credStart + credLen < bytes.length && isToken68(bytes[credStart + credLen]!)) credLen++;
  const cred = bytes.subarray(credStart, credStart + credLen);
  if (ws === 0 || cred.length === 0) return false;
  const rest = bytes.subarray(credStart + credLen);
  const leading =
    bytes.subarray(0, start).every(isSpace) &&
    (rest.every(isSpace) || rest[0] === 0x22 || rest[0] === 0x2c);
  return leading || isCredentialShaped(cred);
}

const isB64url = (b: number): boolean => isAlnum(b) || b === 0x2d || b === 0x5f;

/**
 * A compact JWS or JWE anywhere: in every run of base64url characters and
 * dots, any window of 3 or 5 dot-separated segments whose first segment holds
 * a JOSE header.
 */
function hasCompactJwt(bytes: Uint8Array): boolean {
  let runStart = 0;
  for (let end = 0; end <= bytes.length; end++) {
    if (end < bytes.length && (isB64url(bytes[end]!) || bytes[end] === 0x2e)) continue;
    const run = bytes.subarray(runStart, end);
    runStart = end + 1;
    if (run.filter((b) => b === 0x2e).length < 2) continue;
    const segments = split(run);
    for (let i = 0; i < segments.length; i++) {
      if (isCompactAt(segments[i]!, segments.slice(i + 1, i + 5))) return true;
    }
  }
  return false;
}

function split(token: Uint8Array): Uint8Array[] {
  const parts: Uint8Array[] = [];
  let start = 0;
  for (let i = 0; i <= token.length; i++) {
    if (i === token.length || token[i] === 0x2e) {
      parts.push(token.subarray(start, i));
      start = i + 1;
    }
  }
  return parts;
}

/** A JWS (`h.p.s`, `s` may be empty) or JWE (`h.k.iv.c.t`, `k` may be empty) starting at `first`, whose header `first` holds. */
function isCompactAt(first: Uint8Array, after: Uint8Array[]): boolean {
  if (after.length < 2) return false;
  const jws = after[0]!.length > 0;
  const jwe = after.length === 4 && after.slice(1).every((s) => s.length > 0);
  return (jws || jwe) && holdsHeader(first);
}

// What a header try decodes at most: 64 base64url characters, 48 bytes.
const HEADER_PREFIX_CHARS = 64;
// JSON whitespace (RFC 8259): space, \t, \n, \r.
const isJsonSpace = (b: number): boolean => b === 0x20 || b === 0x09 || b === 0x0a || b === 0x0d;
// The bytes of a first member name that counts (`alg`, `typ`, `x5t#S256`).
const isNameByte = (b: number): boolean =>
  isAlnum(b) || b === 0x5f || b === 0x2d || b === 0x2e || b === 0x23 || b === 0x2b;

/**
 * Whether a segment is, or ends with, a JOSE header: base64url of at least 4
 * characters decoding to a JSON object, from the segment's start or right
 * after a `-` or `_` (a token glued to a word: `id_eyJ…`). Each try reads at
 * most the first 64 characters from its start (a view, not a copy), so the
 * work is linear in the segment.
 */
function holdsHeader(segment: Uint8Array): boolean {
  for (let s = 0; s <= segment.length; s++) {
    if (s > 0 && segment[s - 1] !== 0x2d && segment[s - 1] !== 0x5f) continue;
    if (segment.length - s >= 4 && decodesToJsonObject(segment.subarray(s, s + HEADER_PREFIX_CHARS))) return true;
  }
  return false;
}

function sextet(b: number): number {
  if (isUpper(b)) return b - 0x41;
  if (isLower(b)) return b - 0x61 + 26;
  if (isDigit(b)) return b - 0x30 + 52;
  if (b === 0x2d) return 62;
  if (b === 0x5f) return 63;
  return -1;
}

/**
 * Whether base64url `segment` decodes to the start of a JOSE header.
 *
 * Compact JSON (`{"`, what every JOSE library writes: `eyJ…`) counts at once.
 * JSON with whitespace before the first member (a pretty-printed header)
 * counts only with a whole first member name and its colon (`{\n  "alg":`):
 * three bytes such as `{\n"` are what ordinary words decode to (`ewoi`, a host
 * name in a URL), not evidence of a header. Decodes at most the first 64
 * characters (48 bytes), so each try is bounded.
 */
function decodesToJsonObject(segment: Uint8Array): boolean {
  const json = new Uint8Array((HEADER_PREFIX_CHARS / 4) * 3);
  let len = 0;
  const end = Math.min(segment.length, HEADER_PREFIX_CHARS);
  decode: for (let start = 0; start < end; start += 4) {
    const quad = segment.subarray(start, start + 4);
    if (quad.length < 2) break;
    let acc = 0;
    for (let k = 0; k < quad.length; k++) {
      const v = sextet(quad[k]!);
      if (v < 0) break decode;
      acc |= v << (18 - 6 * k);
    }
    for (let k = 0; k < quad.length - 1; k++) json[len++] = (acc >> (16 - 8 * k)) & 0xff;
  }
  const at = (i: number): number => (i < len ? json[i]! : -1);
  let i = 0;
  while (isJsonSpace(at(i))) i++;
  if (at(i) !== 0x7b) return false;
  i++;
  while (isJsonSpace(at(i))) i++;
  if (at(i) !== 0x22) return false;
  // `{"` at the very start: no whitespace at all, compact JSON.
  if (i === 1) return true;
  i++;
  const name = i;
  while (isNameByte(at(i))) i++;
  if (i === name || at(i) !== 0x22) return false;
  i++;
  while (isJsonSpace(at(i))) i++;
  return at(i) === 0x3a;
}
