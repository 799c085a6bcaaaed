// tests/vectors/auth_error_vectors.json through connect-es' own gRPC trailer
// parsing: every value decodes to the stated fields, and encoding the same
// error gives the same bytes.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { Code, ConnectError } from "@connectrpc/connect";
import { findTrailerError } from "@connectrpc/connect/protocol-grpc";
import {
  AuthErrorCode,
  CODE_TABLE,
  DOMAIN,
  authErrorOf,
  clientActionOf,
  encodeStatusDetails,
  grpcCodeOf,
  httpStatusOf,
  toConnectError,
  VERSION,
} from "@auth-error/connect";
import * as pkg from "@auth-error/connect";
import { ROOT, load, unb64 } from "./repo.mjs";

const vectors = load("tests/vectors/auth_error_vectors.json");

test("VERSION is the package's version, and the only version export (as in the Python package)", () => {
  const manifest = JSON.parse(readFileSync(join(ROOT, "typescript/package.json"), "utf8"));
  assert.equal(VERSION, manifest.version);
  assert.deepEqual(Object.keys(pkg).filter((k) => /version/i.test(k)), ["VERSION"]);
});

test("the enum and the table are the vectors'", () => {
  assert.equal(vectors.domain, DOMAIN);
  const names = Object.keys(AuthErrorCode).filter((k) => Number.isNaN(Number(k)));
  assert.deepEqual(names, vectors.vectors.map((v) => v.name));
  for (const v of vectors.vectors) {
    const code = AuthErrorCode[v.name];
    assert.equal(code, v.number);
    assert.equal(grpcCodeOf(code), v.grpc_code);
    assert.equal(httpStatusOf(code), v.http_status);
    assert.equal(clientActionOf(code), v.client_action);
    assert.equal(CODE_TABLE.get(code).grpcStatus, v.grpc_status);
  }
});

test("every vector decodes through connect's gRPC trailers and encodes to the same bytes", () => {
  let checked = 0;
  for (const v of vectors.vectors) {
    const code = AuthErrorCode[v.name];
    if (v.grpc_status_details_bin === null) {
      assert.equal(encodeStatusDetails({ code }), undefined);
      assert.equal(toConnectError({ code }).code, Code.Unknown);
      continue;
    }
    const trailer = new Headers({
      "grpc-status": String(v.grpc_code),
      "grpc-message": encodeURIComponent(vectors.message),
      "grpc-status-details-bin": v.grpc_status_details_bin,
    });
    const err = findTrailerError(trailer);
    assert.ok(err instanceof ConnectError);
    const auth = authErrorOf(err);
    assert.ok(auth, v.name);
    assert.equal(auth.code, code);
    assert.equal(auth.reason, v.name);
    assert.equal(auth.domain, vectors.domain);
    assert.equal(auth.message, vectors.message);
    assert.deepEqual(auth.metadata, vectors.metadata);
    assert.equal(auth.grpcCode, v.grpc_code);
    assert.equal(auth.clientAction, v.client_action);
    assert.equal(auth.retryAfterMs, undefined);
    const bytes = encodeStatusDetails({ code, message: vectors.message, metadata: vectors.metadata });
    assert.deepEqual(bytes, unb64(v.grpc_status_details_bin), v.name);
    checked++;
  }
  assert.equal(checked, vectors.vectors.length - 1);
});

test("toConnectError round-trips through the gRPC trailers connect writes", async () => {
  const { setTrailerStatus } = await import("@connectrpc/connect/protocol-grpc");
  const sent = toConnectError({
    code: AuthErrorCode.ACCOUNT_LOCKED,
    message: "locked — gesperrt",
    metadata: { tenantId: "acme", password: "hunter2" },
    retryAfterMs: 2500,
    helpLinks: [{ description: "unlock", url: "https://id.example.com/unlock" }],
  });
  const read = authErrorOf(findTrailerError(setTrailerStatus(new Headers(), sent)));
  assert.equal(read.code, AuthErrorCode.ACCOUNT_LOCKED);
  assert.equal(read.grpcCode, Code.PermissionDenied);
  assert.equal(read.message, "locked — gesperrt");
  assert.deepEqual(read.metadata, { tenantId: "acme" });
  assert.equal(read.retryAfterMs, 2500);
  assert.equal(read.clientAction, "retry_later");
  assert.deepEqual(read.helpLinks, [{ description: "unlock", url: "https://id.example.com/unlock" }]);
});
