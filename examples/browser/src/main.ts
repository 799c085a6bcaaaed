// The browser example: calls the auth-error example server over gRPC-Web
// (connect-es) and REST from another origin, and shows which client action
// each rejection asks for, decoded by the @auth-error/connect package
// (typescript/ in this repository). tests/browser/run.mjs reads #results.

import { createClient, type CallOptions } from "@connectrpc/connect";
import { createGrpcWebTransport } from "@connectrpc/connect-web";
import {
  Health,
  HealthCheckResponse_ServingStatus,
} from "./gen/grpc/health/v1/health_pb";
import { authErrorOf, fromHttpJson } from "@auth-error/connect";

type Case = Record<string, unknown>;

const api = new URLSearchParams(location.search).get("api");
const health = createClient(
  Health,
  createGrpcWebTransport({ baseUrl: api ?? location.origin }),
);

/** Call options sending `Authorization: Bearer <token>` (none without a token). */
function bearer(token?: string): CallOptions {
  return token === undefined
    ? {}
    : { headers: { Authorization: `Bearer ${token}` } };
}

/** A token from the example server's public token endpoint. */
async function token(kind: "good" | "expired" | "noscope"): Promise<string> {
  const res = await fetch(`${api}/token?kind=${kind}`, { method: "POST" });
  if (!res.ok) throw new Error(`POST /token?kind=${kind}: HTTP ${res.status}`);
  const body = (await res.json()) as { access_token?: unknown };
  if (typeof body.access_token !== "string") {
    throw new Error(`POST /token?kind=${kind}: no access_token`);
  }
  return body.access_token;
}

/**
 * Health.Check with an optional token: the serving status name on success,
 * or the auth error ({reason, action}) it was rejected with.
 */
async function check(
  tok?: string,
): Promise<{ status: string } | { reason: string; action: string } | { error: string }> {
  try {
    const res = await health.check({ service: "" }, bearer(tok));
    return { status: HealthCheckResponse_ServingStatus[res.status] };
  } catch (err) {
    const auth = authErrorOf(err);
    if (auth === undefined) return { error: String(err) };
    // clientAction is undefined only for a reason this version does not know.
    return { reason: auth.reason, action: auth.clientAction ?? "unknown" };
  }
}

async function missing(): Promise<Case> {
  return check();
}

async function expired(): Promise<Case> {
  const first = await check(await token("expired"));
  const result: Case = { ...first };
  // What a client does with refresh_credentials: get a new token, retry once.
  if ("action" in first && first.action === "refresh_credentials") {
    const retry = await check(await token("good"));
    result.refreshed =
      "status" in retry ? retry.status : JSON.stringify(retry);
  }
  return result;
}

async function noscope(): Promise<Case> {
  return check(await token("noscope"));
}

async function rest(): Promise<Case> {
  const res = await fetch(`${api}/api/orders`);
  const body: unknown = await res.json().catch(() => undefined);
  const auth = fromHttpJson(body);
  return {
    status: res.status,
    wwwAuthenticate: res.headers.get("www-authenticate"),
    reason: auth?.reason,
    action: auth?.clientAction,
  };
}

const CASES: Array<[string, () => Promise<Case>]> = [
  ["missing", missing],
  ["expired", expired],
  ["noscope", noscope],
  ["rest", rest],
];

function show(name: string, c: Case): void {
  const li = document.createElement("li");
  const text =
    c.reason !== undefined
      ? `${name}: ${String(c.reason)} \u2192 ${String(c.action)}`
      : `${name}: ${JSON.stringify(c)}`;
  li.textContent =
    c.refreshed !== undefined ? `${text} (after refresh: ${String(c.refreshed)})` : text;
  document.getElementById("cases")?.appendChild(li);
}

async function run(): Promise<void> {
  const results: Record<string, unknown> = {};
  const pre = document.getElementById("results");
  try {
    if (!api) throw new Error("missing ?api=<API origin> in the page URL");
    for (const [name, fn] of CASES) {
      results[name] = await fn();
      show(name, results[name] as Case);
    }
    if (pre) pre.textContent = JSON.stringify(results, null, 2);
  } catch (err) {
    if (pre) {
      pre.textContent = JSON.stringify(
        { fatal: err instanceof Error ? err.message : String(err), results },
        null,
        2,
      );
    }
  } finally {
    document.body.dataset.done = "true";
  }
}

void run();
