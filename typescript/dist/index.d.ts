import { Code, ConnectError } from "@connectrpc/connect";
import { AuthErrorCode, type ClientAction } from "./generated.js";
export { AuthErrorCode, CLIENT_ACTIONS, CODE_TABLE, DOMAIN, VERSION } from "./generated.js";
export type { ClientAction, CodeRow } from "./generated.js";
export { isSecretKey, looksLikeCredential } from "./credentials.js";
export { ErrorInfoSchema, HelpSchema, LocalizedMessageSchema, RetryInfoSchema, } from "./gen/google/rpc/error_details_pb.js";
/** Bound on the encoded google.rpc.Status, as in the crate. */
export declare const MAX_DETAILS_LEN = 4096;
/** One link of a google.rpc.Help extra detail. */
export interface HelpLink {
    readonly description: string;
    readonly url: string;
}
/** An auth error read from a failed call or an HTTP body. */
export interface AuthError {
    /** The code; `undefined` for a reason this version does not know (a newer server): see `reason`. */
    readonly code: AuthErrorCode | undefined;
    /** The ErrorInfo reason as received ("TOKEN_EXPIRED"). */
    readonly reason: string;
    readonly domain: string;
    /** The status message. */
    readonly message: string;
    /** ErrorInfo.metadata, as sent. */
    readonly metadata: Readonly<Record<string, string>>;
    /** The delay of the first RetryInfo extra detail, in milliseconds (none when negative or absent). */
    readonly retryAfterMs: number | undefined;
    /**
     * What the client should do ("refresh_credentials", ...): the code's action,
     * or, when the error carries a retry delay, the code table's refinement
     * (`clientActionWithRetryDelayOf`). `undefined` for an unknown reason: act
     * on the plain status code then.
     */
    readonly clientAction: ClientAction | undefined;
    /** The gRPC status code of the call (connect's `Code`). */
    readonly grpcCode: Code;
    /** The links of every Help extra detail. */
    readonly helpLinks: readonly HelpLink[];
    /** The first LocalizedMessage extra detail. */
    readonly localizedMessage: {
        readonly locale: string;
        readonly message: string;
    } | undefined;
}
/** What a client should do for a code, knowing nothing else. */
export declare function clientActionOf(code: AuthErrorCode): ClientAction;
/** What a client should do for a code when the error also carries a retry delay. */
export declare function clientActionWithRetryDelayOf(code: AuthErrorCode): ClientAction;
/** The gRPC status code a failure of this kind is reported with. */
export declare function grpcCodeOf(code: AuthErrorCode): Code;
/** The HTTP status of the same failure (401, 403, 400; 200 for NO_AUTH_ERROR). */
export declare function httpStatusOf(code: AuthErrorCode): number;
/** The one-line meaning of a code (its default message). */
export declare function descriptionOf(code: AuthErrorCode): string;
/** The code named by a reason, if it is one of this version's. */
export declare function codeOfReason(reason: string): AuthErrorCode | undefined;
/**
 * The auth error carried by a failed connect-es call (gRPC, gRPC-Web or
 * Connect; any value, typically what a call rejected with), or `undefined`
 * when there is none (network failure, no details, no ErrorInfo of `domain`,
 * NO_AUTH_ERROR). Lenient: a reason this version does not know is kept as
 * `reason`, with `code` undefined. Never throws.
 */
export declare function authErrorOf(err: unknown, domain?: string): AuthError | undefined;
/**
 * The auth error in an AIP-193 JSON error body (a string, or the parsed
 * value): `{"error": {"code": 401, "status": "UNAUTHENTICATED", "details":
 * [{"@type": "type.googleapis.com/google.rpc.ErrorInfo", ...}]}}`, or
 * `undefined` when the body is not one or carries none of `domain`. Never throws.
 */
export declare function fromHttpJson(body: unknown, domain?: string): AuthError | undefined;
/** An auth error to send. */
export interface AuthErrorInit {
    readonly code: AuthErrorCode;
    /** Default: the code's description. */
    readonly message?: string;
    /** Default: DOMAIN. */
    readonly domain?: string;
    readonly metadata?: Readonly<Record<string, string>>;
    /** A RetryInfo extra detail, in milliseconds. */
    readonly retryAfterMs?: number;
    /** One Help extra detail per link. */
    readonly helpLinks?: readonly HelpLink[];
    readonly localizedMessage?: {
        readonly locale: string;
        readonly message: string;
    };
}
/**
 * The `grpc-status-details-bin` payload (before base64) the crate would send
 * for the same error: the lenient rules applied, deterministic bytes.
 * Undefined for NO_AUTH_ERROR (never sent).
 */
export declare function encodeStatusDetails(init: AuthErrorInit): Uint8Array | undefined;
/**
 * A ConnectError to throw from a connect-node (or any connect-es) handler:
 * the code's gRPC code, the message, the ErrorInfo first, then the
 * extra details, after the crate's lenient rules (secret keys,
 * credential-looking values and texts, invalid keys and domain are left out;
 * the size bound holds). NO_AUTH_ERROR fails closed: Code.Unknown without
 * details.
 */
export declare function toConnectError(init: AuthErrorInit): ConnectError;
