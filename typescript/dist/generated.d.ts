/** The version of the crate this table was generated from (the package's own). */
export declare const VERSION = "0.1.0";
/** The default google.rpc.ErrorInfo domain of the vocabulary (the proto package). */
export declare const DOMAIN = "auth.error.v1";
/** Why an authentication or authorization check failed: the proto's AuthErrorCode, names and numbers. */
export declare enum AuthErrorCode {
    /** No authentication error. */
    NO_AUTH_ERROR = 0,
    /** The bearer token is invalid. */
    AUTH_FAILED_INVALID_BEARER_TOKEN = 1001,
    /** The token subject is not valid. */
    AUTH_FAILED_INVALID_SUBJECT = 1002,
    /** The token audience does not include this service. */
    AUTH_FAILED_INVALID_AUDIENCE = 1003,
    /** The token issuer is not trusted. */
    AUTH_FAILED_INVALID_ISSUER = 1004,
    /** The request carries no bearer token. */
    BEARER_TOKEN_MISSING = 1005,
    /** The bearer token has expired. */
    TOKEN_EXPIRED = 1006,
    /** The bearer token is not valid yet. */
    TOKEN_NOT_ACTIVE = 1007,
    /** The bearer token has been revoked. */
    TOKEN_REVOKED = 1008,
    /** The token has invalid claims. */
    INVALID_CLAIMS = 1100,
    /** The token lacks required claims. */
    MISSING_REQUIRED_CLAIMS = 1101,
    /** The token lacks a required scope. */
    INVALID_SCOPE = 1102,
    /** The caller lacks a required permission. */
    INVALID_PERMISSIONS = 1103,
    /** The session has expired. */
    SESSION_EXPIRED = 1200,
    /** The session is invalid. */
    SESSION_INVALID = 1201,
    /** The session has been revoked. */
    SESSION_REVOKED = 1202,
    /** Authentication failed. */
    UNAUTHENTICATED = 1500,
    /** Multi-factor authentication is required. */
    MULTI_FACTOR_REQUIRED = 1501,
    /** Multi-factor authentication failed. */
    MULTI_FACTOR_FAILED = 1502,
    /** The account is locked after too many failed login attempts. */
    ACCOUNT_LOCKED = 1600,
    /** The account has been disabled by an administrator. */
    ACCOUNT_DISABLED = 1601,
    /** The password has expired and must be changed. */
    PASSWORD_EXPIRED = 1602,
    /** A password reset is required. */
    PASSWORD_RESET_REQUIRED = 1603,
    /** The login comes from an unrecognized device. */
    UNRECOGNIZED_DEVICE = 1604,
    /** The DPoP proof is missing or invalid. */
    DPOP_PROOF_INVALID = 1009,
    /** The server requires its nonce in the DPoP proof. */
    DPOP_NONCE_REQUIRED = 1010,
    /** The token is bound to another key or certificate. */
    TOKEN_BINDING_MISMATCH = 1011
}
/** What a client should do about a failure (the crate's ClientAction names). */
export type ClientAction = "none" | "reauthenticate" | "provide_credentials" | "refresh_credentials" | "retry_later" | "request_access" | "complete_multi_factor" | "contact_administrator" | "change_password" | "verify_device" | "retry_with_nonce";
/** Every client action. */
export declare const CLIENT_ACTIONS: readonly ClientAction[];
/** One row of the code table. */
export interface CodeRow {
    readonly name: string;
    /** The gRPC status code (connect's `Code` has the same numbers). */
    readonly grpcCode: number;
    /** The gRPC status code's canonical name ("UNAUTHENTICATED"). */
    readonly grpcStatus: string;
    readonly httpStatus: number;
    readonly clientAction: ClientAction;
    /** What a client should do when the error also carries a retry delay. */
    readonly clientActionWithRetryDelay: ClientAction;
    /** The one-line meaning (the default status message). */
    readonly description: string;
}
/** The code table, by number. */
export declare const CODE_TABLE: ReadonlyMap<AuthErrorCode, CodeRow>;
/** Metadata key names that carry secrets, normalized (ASCII lower case, separators removed). */
export declare const SECRET_KEYS: ReadonlySet<string>;
export declare const SECRET_KEY_PREFIXES: readonly string[];
export declare const KEY_SEPARATORS = "-_.";
export declare const LONGEST_SECRET_KEY = 18;
