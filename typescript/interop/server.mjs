// connect-node gRPC server (HTTP/2, cleartext): the health service's Check
// rejects with the auth error named by the request's `x-case` header, built
// with @auth-error/connect's toConnectError. Prints its port on the first line
// of stdout and serves until stdin closes. Cases: any AuthErrorCode name
// (message, metadata, RetryInfo 2.5 s, a help link), or "no-details".
import * as http2 from "node:http2";
import { Code, ConnectError } from "@connectrpc/connect";
import { connectNodeAdapter } from "@connectrpc/connect-node";
import { AuthErrorCode, toConnectError } from "@auth-error/connect";
import { Health } from "./health.mjs";

const handler = connectNodeAdapter({
  routes(router) {
    router.service(Health, {
      check(_req, ctx) {
        const name = ctx.requestHeader.get("x-case") ?? "";
        const code = AuthErrorCode[name];
        if (typeof code !== "number" || code === AuthErrorCode.NO_AUTH_ERROR) {
          throw new ConnectError("plain, no details", Code.Unauthenticated);
        }
        throw toConnectError({
          code,
          message: `typescript says ${name} — ünïcödé`,
          metadata: { number: String(code), lang: "typescript" },
          retryAfterMs: 2500,
          helpLinks: [{ description: "docs", url: "https://docs.example.com/auth" }],
        });
      },
    });
  },
});

const server = http2.createServer(handler);
server.listen(0, "127.0.0.1", () => {
  console.log(server.address().port);
});
process.stdin.resume();
process.stdin.on("end", () => {
  server.close();
  process.exit(0);
});
