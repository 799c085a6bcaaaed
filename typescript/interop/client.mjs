// connect-node gRPC client: calls a Rust tonic server once per case (the
// `x-case` header) and prints, one JSON object per line, what
// @auth-error/connect decoded. Usage: node client.mjs HOST:PORT CASE...
// The Rust test (tests/it/interop/companions.rs) checks every line.
import { createClient } from "@connectrpc/connect";
import { createGrpcTransport } from "@connectrpc/connect-node";
import { authErrorOf } from "@auth-error/connect";
import { Health } from "./health.mjs";

const [target, ...cases] = process.argv.slice(2);
const client = createClient(Health, createGrpcTransport({ baseUrl: `http://${target}` }));
for (const c of cases) {
  try {
    await client.check({}, { headers: { "x-case": c }, timeoutMs: 10000 });
    console.log(JSON.stringify({ case: c, error: "call succeeded" }));
  } catch (err) {
    const auth = authErrorOf(err);
    if (auth === undefined) {
      console.log(JSON.stringify({ case: c, auth: null, grpc_code: err.code, message: err.rawMessage }));
      continue;
    }
    console.log(JSON.stringify({
      case: c,
      grpc_code: auth.grpcCode,
      code: auth.code ?? null,
      reason: auth.reason,
      message: auth.message,
      domain: auth.domain,
      metadata: auth.metadata,
      retry_after_ms: auth.retryAfterMs ?? null,
      help_links: auth.helpLinks.map((l) => [l.description, l.url]),
      client_action: auth.clientAction ?? null,
    }));
  }
}
