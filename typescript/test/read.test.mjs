// Reading: hostile input, unknown reasons, foreign domains, HTTP bodies.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { Code, ConnectError } from "@connectrpc/connect";
import { findTrailerError } from "@connectrpc/connect/protocol-grpc";
import { AuthErrorCode, authErrorOf, fromHttpJson } from "@auth-error/connect";
import { ROOT } from "./repo.mjs";

test("not an auth error: undefined, never a throw", () => {
  for (const v of [undefined, null, 7, "x", new Error("boom"), new ConnectError("plain", Code.Unauthenticated), {}]) {
    assert.equal(authErrorOf(v), undefined);
  }
  // Garbage raw details typed ErrorInfo: skipped.
  const e = new ConnectError("m", Code.Unauthenticated);
  e.details = [{ type: "google.rpc.ErrorInfo", value: new Uint8Array([0x0a, 0x7f, 0x01]) }];
  assert.equal(authErrorOf(e), undefined);
  // Garbage grpc-status-details-bin: connect refuses it; still no throw here.
  let err;
  try {
    err = findTrailerError(new Headers({ "grpc-status": "16", "grpc-status-details-bin": "////" }));
  } catch (caught) {
    err = caught;
  }
  assert.equal(authErrorOf(err), undefined);
});

function withInfo(reason, domain) {
  const bytes = [];
  const str = (tag, s) => {
    const b = new TextEncoder().encode(s);
    bytes.push(tag, b.length, ...b);
  };
  str(0x0a, reason);
  str(0x12, domain);
  const e = new ConnectError("m", Code.Unauthenticated);
  e.details = [{ type: "google.rpc.ErrorInfo", value: Uint8Array.from(bytes) }];
  return e;
}

test("unknown reason kept, foreign domain and NO_AUTH_ERROR not ours", () => {
  const newer = authErrorOf(withInfo("TOKEN_FROM_THE_FUTURE", "auth.error.v1"));
  assert.equal(newer.code, undefined);
  assert.equal(newer.reason, "TOKEN_FROM_THE_FUTURE");
  assert.equal(newer.clientAction, undefined);
  assert.equal(authErrorOf(withInfo("TOKEN_EXPIRED", "billing.example.com")), undefined);
  assert.equal(authErrorOf(withInfo("TOKEN_EXPIRED", "billing.example.com"), "billing.example.com").code, AuthErrorCode.TOKEN_EXPIRED);
  assert.equal(authErrorOf(withInfo("NO_AUTH_ERROR", "auth.error.v1")), undefined);
  assert.ok(!authErrorOf(withInfo("Bearer s3cr3t-token", "auth.error.v1")).reason.includes("s3cr3t"));
});

test("every body of tests/data/http_bodies.txt (the crate's bytes)", () => {
  const lines = readFileSync(join(ROOT, "tests/data/http_bodies.txt"), "utf8").split("\n").filter(Boolean);
  let read = 0;
  for (const line of lines) {
    const body = JSON.parse(line);
    const domain = body.error.details?.[0]?.domain;
    const auth = fromHttpJson(line, domain);
    if (body.error.code === 500) {
      assert.equal(auth, undefined);
      continue;
    }
    const reason = body.error.details[0].reason;
    assert.equal(auth.code, AuthErrorCode[reason]);
    assert.equal(auth.message, body.error.message);
    assert.deepEqual(auth.metadata, body.error.details[0].metadata);
    if (domain === "custom.example.com") {
      assert.equal(auth.retryAfterMs, 1500);
      assert.deepEqual(auth.helpLinks, [{ description: "How", url: "https://e.com" }]);
      assert.deepEqual(auth.localizedMessage, { locale: "de-CH", message: "Bitte" });
      if (reason === "ACCOUNT_LOCKED") assert.equal(auth.clientAction, "retry_later");
    }
    read++;
  }
  // Two bodies (one rich, one plain) for every code but NO_AUTH_ERROR.
  const errors = Object.values(AuthErrorCode).filter((v) => typeof v === "number" && v !== 0).length;
  assert.equal(read, 2 * errors);
});

test("hostile bodies: undefined", () => {
  for (const b of ["", "[]", "{}", '{"error":1}', '{"error":{"details":"x"}}', "[".repeat(100000),
    '{"error":{"details":[{"@type":"type.googleapis.com/google.rpc.ErrorInfo","domain":"auth.error.v1","reason":7}]}}']) {
    assert.equal(fromHttpJson(b), undefined, b.slice(0, 40));
  }
});
