// @auth-error/connect: the auth-error crate's AuthErrorCode, carried as a
// google.rpc.ErrorInfo (domain "auth.error.v1"), for connect-es v2 clients in
// browsers and Node (and connect-node servers). The code table and the secret
// key names are generated from the crate's files (src/generated.ts).
import { Code, ConnectError } from "@connectrpc/connect";
import { fromBinary } from "@bufbuild/protobuf";
import { ErrorInfoSchema, HelpSchema, LocalizedMessageSchema, RetryInfoSchema, } from "./gen/google/rpc/error_details_pb.js";
import { AuthErrorCode, CODE_TABLE, DOMAIN } from "./generated.js";
import { isSecretKey, looksLikeCredential } from "./credentials.js";
export { AuthErrorCode, CLIENT_ACTIONS, CODE_TABLE, DOMAIN, VERSION } from "./generated.js";
export { isSecretKey, looksLikeCredential } from "./credentials.js";
export { ErrorInfoSchema, HelpSchema, LocalizedMessageSchema, RetryInfoSchema, } from "./gen/google/rpc/error_details_pb.js";
const TYPE_PREFIX = "type.googleapis.com/";
const ERROR_INFO = "google.rpc.ErrorInfo";
const RETRY_INFO = "google.rpc.RetryInfo";
const HELP = "google.rpc.Help";
const LOCALIZED_MESSAGE = "google.rpc.LocalizedMessage";
/** Bound on the encoded google.rpc.Status, as in the crate. */
export const MAX_DETAILS_LEN = 4096;
const WITHHELD = "[withheld: looks like a credential]";
function row(code) {
    const r = CODE_TABLE.get(code);
    if (r === undefined)
        throw new RangeError(`not an AuthErrorCode: ${String(code)}`);
    return r;
}
/** What a client should do for a code, knowing nothing else. */
export function clientActionOf(code) {
    return row(code).clientAction;
}
/** What a client should do for a code when the error also carries a retry delay. */
export function clientActionWithRetryDelayOf(code) {
    return row(code).clientActionWithRetryDelay;
}
/** The gRPC status code a failure of this kind is reported with. */
export function grpcCodeOf(code) {
    return row(code).grpcCode;
}
/** The HTTP status of the same failure (401, 403, 400; 200 for NO_AUTH_ERROR). */
export function httpStatusOf(code) {
    return row(code).httpStatus;
}
/** The one-line meaning of a code (its default message). */
export function descriptionOf(code) {
    return row(code).description;
}
/** The code named by a reason, if it is one of this version's. */
export function codeOfReason(reason) {
    if (!Object.prototype.hasOwnProperty.call(AuthErrorCode, reason))
        return undefined;
    const value = AuthErrorCode[reason];
    return typeof value === "number" ? value : undefined;
}
/** A peer's text as an error may hold it: withheld when it looks like a credential, cut at 256 characters. */
function peerText(text) {
    if (looksLikeCredential(text))
        return WITHHELD;
    const chars = Array.from(text);
    return chars.length <= 256 ? text : chars.slice(0, 256).join("") + "\u2026";
}
/** prost-types' Duration::normalize, then milliseconds; undefined when negative. */
function delayMs(seconds, nanos) {
    let s = seconds;
    let n = nanos;
    if (n <= -1e9 || n >= 1e9) {
        const carry = Math.trunc(n / 1e9);
        s += BigInt(carry);
        n -= carry * 1e9;
    }
    if (s < 0n && n > 0) {
        s += 1n;
        n -= 1e9;
    }
    else if (s > 0n && n < 0) {
        s -= 1n;
        n += 1e9;
    }
    if (s < 0n || n < 0)
        return undefined;
    return Number(s) * 1000 + n / 1e6;
}
function build(code, reason, domain, message, metadata, grpcCode, retryAfterMs, helpLinks, localizedMessage) {
    const clientAction = code === undefined
        ? undefined
        : retryAfterMs === undefined
            ? clientActionOf(code)
            : clientActionWithRetryDelayOf(code);
    const sorted = {};
    for (const k of Object.keys(metadata).sort())
        sorted[k] = metadata[k];
    return {
        code,
        reason,
        domain,
        message,
        metadata: sorted,
        retryAfterMs,
        clientAction,
        grpcCode,
        helpLinks,
        localizedMessage,
    };
}
/**
 * The auth error carried by a failed connect-es call (gRPC, gRPC-Web or
 * Connect; any value, typically what a call rejected with), or `undefined`
 * when there is none (network failure, no details, no ErrorInfo of `domain`,
 * NO_AUTH_ERROR). Lenient: a reason this version does not know is kept as
 * `reason`, with `code` undefined. Never throws.
 */
export function authErrorOf(err, domain = DOMAIN) {
    const ce = ConnectError.from(err);
    // Our ErrorInfo: the first that decodes and is of the domain.
    const infos = ce.findDetails(ErrorInfoSchema);
    const info = infos.find((d) => d.domain === domain);
    if (info === undefined)
        return undefined;
    let code = codeOfReason(info.reason);
    if (code === AuthErrorCode.NO_AUTH_ERROR)
        return undefined;
    const reason = code === undefined ? peerText(info.reason) : info.reason;
    const retry = ce.findDetails(RetryInfoSchema)[0];
    const retryAfterMs = retry?.retryDelay === undefined ? undefined : delayMs(retry.retryDelay.seconds, retry.retryDelay.nanos);
    const helpLinks = ce
        .findDetails(HelpSchema)
        .flatMap((h) => h.links.map((l) => ({ description: l.description, url: l.url })));
    const lm = ce.findDetails(LocalizedMessageSchema)[0];
    return build(code, reason, domain, ce.rawMessage, { ...info.metadata }, ce.code, retryAfterMs, helpLinks, lm === undefined ? undefined : { locale: lm.locale, message: lm.message });
}
const DURATION = /^(-?)([0-9]+)(?:\.([0-9]+))?s$/;
function parseDurationMs(text) {
    if (typeof text !== "string")
        return null;
    const m = DURATION.exec(text);
    if (m === null)
        return null;
    const frac = m[3] === undefined ? "" : m[3].slice(0, 9);
    const nanos = frac === "" ? 0 : Number(frac.padEnd(9, "0"));
    const sign = m[1] === "-" ? -1n : 1n;
    return delayMs(BigInt(m[2]) * sign, Number(sign) * nanos);
}
const isObject = (v) => typeof v === "object" && v !== null && !Array.isArray(v);
/**
 * The auth error in an AIP-193 JSON error body (a string, or the parsed
 * value): `{"error": {"code": 401, "status": "UNAUTHENTICATED", "details":
 * [{"@type": "type.googleapis.com/google.rpc.ErrorInfo", ...}]}}`, or
 * `undefined` when the body is not one or carries none of `domain`. Never throws.
 */
export function fromHttpJson(body, domain = DOMAIN) {
    let json = body;
    if (typeof body === "string") {
        try {
            json = JSON.parse(body);
        }
        catch {
            return undefined;
        }
    }
    const error = isObject(json) ? json.error : undefined;
    if (!isObject(error))
        return undefined;
    const details = error.details ?? [];
    if (!Array.isArray(details))
        return undefined;
    const message = typeof error.message === "string" ? error.message : "";
    const index = details.findIndex((d) => isObject(d) && d["@type"] === TYPE_PREFIX + ERROR_INFO && d.domain === domain && !("value" in d));
    if (index < 0)
        return undefined;
    const info = details[index];
    const rawReason = info.reason ?? "";
    const rawMetadata = info.metadata ?? {};
    if (typeof rawReason !== "string" || !isObject(rawMetadata))
        return undefined;
    const metadata = {};
    for (const [k, v] of Object.entries(rawMetadata)) {
        if (typeof v !== "string")
            return undefined;
        metadata[k] = v;
    }
    const code = codeOfReason(rawReason);
    if (code === AuthErrorCode.NO_AUTH_ERROR)
        return undefined;
    let retryAfterMs;
    let retrySeen = false;
    const helpLinks = [];
    let localizedMessage;
    details.forEach((d, i) => {
        if (i === index || !isObject(d) || "value" in d)
            return;
        if (d["@type"] === TYPE_PREFIX + RETRY_INFO && !retrySeen) {
            const ms = "retryDelay" in d ? parseDurationMs(d.retryDelay) : undefined;
            if (ms === null)
                return; // does not decode: skipped, as in the crate
            retrySeen = true;
            retryAfterMs = ms;
        }
        else if (d["@type"] === TYPE_PREFIX + HELP && Array.isArray(d.links)) {
            for (const l of d.links) {
                if (isObject(l) && typeof (l.description ?? "") === "string" && typeof (l.url ?? "") === "string") {
                    helpLinks.push({ description: (l.description ?? ""), url: (l.url ?? "") });
                }
            }
        }
        else if (d["@type"] === TYPE_PREFIX + LOCALIZED_MESSAGE && localizedMessage === undefined) {
            if (typeof (d.locale ?? "") === "string" && typeof (d.message ?? "") === "string") {
                localizedMessage = { locale: (d.locale ?? ""), message: (d.message ?? "") };
            }
        }
    });
    const grpcCode = code === undefined ? Code.Unknown : grpcCodeOf(code);
    return build(code, code === undefined ? peerText(rawReason) : rawReason, domain, message, metadata, grpcCode, retryAfterMs, helpLinks, localizedMessage);
}
const utf8 = new TextEncoder();
function varint(value, out) {
    let v = BigInt(value);
    if (v < 0n)
        v += 1n << 64n;
    while (v >= 0x80n) {
        out.push(Number(v & 0x7fn) | 0x80);
        v >>= 7n;
    }
    out.push(Number(v));
}
function field(tag, payload, out) {
    out.push(tag);
    varint(payload.length, out);
    for (const b of payload)
        out.push(b);
}
function strField(tag, text, out) {
    if (text !== "")
        field(tag, utf8.encode(text), out);
}
function errorInfoBytes(reason, domain, metadata) {
    const out = [];
    strField(0x0a, reason, out);
    strField(0x12, domain, out);
    for (const k of Object.keys(metadata).sort()) {
        const entry = [];
        strField(0x0a, k, entry);
        strField(0x12, metadata[k], entry);
        field(0x1a, entry, out);
    }
    return out;
}
function extraDetails(init) {
    const out = [];
    if (init.retryAfterMs !== undefined) {
        if (!(init.retryAfterMs >= 0))
            throw new RangeError("retryAfterMs must not be negative");
        const nanosTotal = BigInt(Math.round(init.retryAfterMs * 1e6));
        const duration = [];
        const seconds = nanosTotal / 1000000000n;
        const nanos = nanosTotal % 1000000000n;
        if (seconds !== 0n) {
            duration.push(0x08);
            varint(seconds, duration);
        }
        if (nanos !== 0n) {
            duration.push(0x10);
            varint(nanos, duration);
        }
        const retry = [];
        field(0x0a, duration, retry);
        out.push([RETRY_INFO, retry]);
    }
    for (const link of init.helpLinks ?? []) {
        const l = [];
        strField(0x0a, link.description, l);
        strField(0x12, link.url, l);
        const help = [];
        field(0x0a, l, help);
        out.push([HELP, help]);
    }
    if (init.localizedMessage !== undefined) {
        const m = [];
        strField(0x0a, init.localizedMessage.locale, m);
        strField(0x12, init.localizedMessage.message, m);
        out.push([LOCALIZED_MESSAGE, m]);
    }
    return out;
}
function encode(p) {
    const out = [];
    if (p.grpcCode !== 0) {
        out.push(0x08);
        varint(p.grpcCode, out);
    }
    strField(0x12, p.message, out);
    const any = [];
    strField(0x0a, TYPE_PREFIX + ERROR_INFO, any);
    const info = errorInfoBytes(p.reason, p.domain, p.metadata);
    if (info.length > 0)
        field(0x12, info, any);
    field(0x1a, any, out);
    for (const [type, value] of p.details) {
        const a = [];
        strField(0x0a, TYPE_PREFIX + type, a);
        if (value.length > 0)
            field(0x12, value, a);
        field(0x1a, a, out);
    }
    return Uint8Array.from(out);
}
function validDomain(domain) {
    return (domain === DOMAIN ||
        (domain !== "" && utf8.encode(domain).length <= 253 && !/[\s\p{Cc}]/u.test(domain)));
}
const validKey = (key) => /^[a-z][a-zA-Z0-9_-]{0,63}$/.test(key);
function extraDetailPasses([type, value]) {
    try {
        if (type === LOCALIZED_MESSAGE) {
            return !looksLikeCredential(fromBinary(LocalizedMessageSchema, Uint8Array.from(value)).message);
        }
        if (type === HELP) {
            return fromBinary(HelpSchema, Uint8Array.from(value)).links.every((l) => !looksLikeCredential(l.description) && !looksLikeCredential(l.url));
        }
    }
    catch {
        return true; // opaque: sent as given
    }
    return true;
}
/** The lenient rules of the crate's exits: what they refuse is left out. */
function sanitize(init) {
    const r = row(init.code);
    const metadata = {};
    for (const k of Object.keys(init.metadata ?? {}).sort()) {
        const v = init.metadata[k];
        if (!isSecretKey(k) && validKey(k) && !looksLikeCredential(v))
            metadata[k] = v;
    }
    const message = init.message ?? r.description;
    const parts = {
        grpcCode: r.grpcCode,
        reason: r.name,
        message: looksLikeCredential(message) ? r.description : message,
        domain: validDomain(init.domain ?? DOMAIN) ? (init.domain ?? DOMAIN) : DOMAIN,
        metadata,
        details: extraDetails(init).filter(extraDetailPasses),
    };
    for (;;) {
        const bytes = encode(parts);
        const over = bytes.length - MAX_DETAILS_LEN;
        if (over <= 0)
            return { parts, bytes };
        if (parts.details.length > 0) {
            parts.details.pop();
            continue;
        }
        const keys = Object.keys(parts.metadata).sort();
        if (keys.length > 0) {
            delete parts.metadata[keys[keys.length - 1]];
            continue;
        }
        const data = utf8.encode(parts.message);
        let end = Math.max(data.length - over, 0);
        while (end > 0 && (data[end] & 0xc0) === 0x80)
            end--;
        parts.message = new TextDecoder().decode(data.subarray(0, end));
    }
}
/**
 * The `grpc-status-details-bin` payload (before base64) the crate would send
 * for the same error: the lenient rules applied, deterministic bytes.
 * Undefined for NO_AUTH_ERROR (never sent).
 */
export function encodeStatusDetails(init) {
    if (init.code === AuthErrorCode.NO_AUTH_ERROR)
        return undefined;
    return sanitize(init).bytes;
}
/**
 * A ConnectError to throw from a connect-node (or any connect-es) handler:
 * the code's gRPC code, the message, the ErrorInfo first, then the
 * extra details, after the crate's lenient rules (secret keys,
 * credential-looking values and texts, invalid keys and domain are left out;
 * the size bound holds). NO_AUTH_ERROR fails closed: Code.Unknown without
 * details.
 */
export function toConnectError(init) {
    const r = row(init.code);
    if (init.code === AuthErrorCode.NO_AUTH_ERROR) {
        const message = init.message ?? r.description;
        return new ConnectError(looksLikeCredential(message) ? r.description : message, Code.Unknown);
    }
    const { parts } = sanitize(init);
    const details = [
        { type: ERROR_INFO, value: Uint8Array.from(errorInfoBytes(parts.reason, parts.domain, parts.metadata)) },
        ...parts.details.map(([type, value]) => ({ type, value: Uint8Array.from(value) })),
    ];
    const error = new ConnectError(parts.message, parts.grpcCode);
    // Raw details, so the bytes are the crate's (the gRPC protocols send each
    // as an Any typed "type.googleapis.com/<type>").
    error.details = details;
    return error;
}
