// Decoding auth-error rejections in a browser: copy this file (and
// client-actions.ts) into your front end.
//
// The server explains every rejection with a google.rpc.ErrorInfo whose
// domain is "auth.error.v1" and whose reason is an AuthErrorCode name
// (BEARER_TOKEN_MISSING, TOKEN_EXPIRED, INVALID_SCOPE, ...):
//   - over gRPC-Web it travels inside the google.rpc.Status of the
//     `grpc-status-details-bin` header, which connect-es decodes for you
//     (ConnectError.findDetails);
//   - over REST it is the first matching entry of `error.details` in the
//     AIP-193 JSON body.
// Branch on the reason (or better, on the action), never on the message text.

import { ConnectError } from "@connectrpc/connect";
import { ErrorInfoSchema } from "./gen/google/rpc/error_details_pb";
import { CLIENT_ACTIONS } from "./client-actions";

/** The ErrorInfo domain of the auth-error crate. */
export const AUTH_ERROR_DOMAIN = "auth.error.v1";

/** The type URL of google.rpc.ErrorInfo in AIP-193 JSON bodies. */
const ERROR_INFO_TYPE = "type.googleapis.com/google.rpc.ErrorInfo";

export interface AuthError {
  /** The AuthErrorCode name, e.g. "TOKEN_EXPIRED". */
  reason: string;
  /**
   * What the client should do: "provide_credentials", "refresh_credentials",
   * "reauthenticate", "request_access", ... or "unknown" for a reason this
   * copy of CLIENT_ACTIONS does not know (a newer server): then fall back on
   * the status code.
   */
  action: string;
  /** ErrorInfo.metadata, as sent. */
  metadata: Record<string, string>;
}

/** The client action for a reason; "unknown" for reasons not in the table. */
function actionOf(reason: string): string {
  // hasOwnProperty: a reason such as "constructor" must not hit Object.prototype.
  return Object.prototype.hasOwnProperty.call(CLIENT_ACTIONS, reason)
    ? CLIENT_ACTIONS[reason]
    : "unknown";
}

/**
 * The auth error carried by a failed connect-es call (gRPC-Web or Connect),
 * or undefined when the error is not an auth-error rejection (network
 * failure, other domains, no details).
 */
export function authErrorOf(err: unknown): AuthError | undefined {
  // ConnectError.from keeps a ConnectError as is and wraps anything else.
  // findDetails decodes the details whose type is ErrorInfo and skips others.
  const info = ConnectError.from(err)
    .findDetails(ErrorInfoSchema)
    .find((d) => d.domain === AUTH_ERROR_DOMAIN);
  if (info === undefined) return undefined;
  return {
    reason: info.reason,
    action: actionOf(info.reason),
    metadata: { ...info.metadata },
  };
}

/**
 * The auth error in an AIP-193 JSON error body
 * (`{"error":{"code":401,"status":"UNAUTHENTICATED","details":[...]}}`),
 * or undefined when the body carries none.
 */
export function authErrorOfBody(json: unknown): AuthError | undefined {
  const details = (json as { error?: { details?: unknown } } | null)?.error
    ?.details;
  if (!Array.isArray(details)) return undefined;
  for (const d of details) {
    if (
      d !== null &&
      typeof d === "object" &&
      d["@type"] === ERROR_INFO_TYPE &&
      d.domain === AUTH_ERROR_DOMAIN &&
      typeof d.reason === "string"
    ) {
      const metadata: Record<string, string> = {};
      for (const [k, v] of Object.entries(d.metadata ?? {})) {
        if (typeof v === "string") metadata[k] = v;
      }
      return { reason: d.reason, action: actionOf(d.reason), metadata };
    }
  }
  return undefined;
}
