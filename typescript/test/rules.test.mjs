// The credential rules against tests/vectors/auth_error_rules.json.
import { test } from "node:test";
import assert from "node:assert/strict";
import { AuthErrorCode, authErrorOf, encodeStatusDetails, isSecretKey, looksLikeCredential, toConnectError } from "@auth-error/connect";
import { load } from "./repo.mjs";

const rules = load("tests/vectors/auth_error_rules.json");

test("key cases", () => {
  assert.ok(rules.key_cases.length > 0);
  for (const c of rules.key_cases) assert.equal(isSecretKey(c.key), c.secret, JSON.stringify(c));
});

test("text cases", () => {
  assert.ok(rules.text_cases.length > 0);
  for (const c of rules.text_cases) assert.equal(looksLikeCredential(c.text), c.credential, JSON.stringify(c));
});

test("a host that decodes to an opening brace is not a header", () => {
  // `ewoi` is base64url of `{\n"`: a host name is not a JOSE header (the
  // crate's secrets::tests of the same name).
  for (const value of ["https://ewoi.example.com", "https://ewaa.example.com/a.b", "ewoi.example.com", "ICB7.example.com"]) {
    assert.equal(looksLikeCredential(value), false, value);
  }
  for (const header of ['{"alg":"HS256"}', '{\n  "alg": "ES256"\n}', ' { "typ" : "JWT"}']) {
    const jws = `${Buffer.from(header).toString("base64url")}.eyJzdWIiOiJ4In0.c2ln`;
    assert.equal(looksLikeCredential(jws), true, JSON.stringify({ header, jws }));
  }
  assert.equal(looksLikeCredential("eyJA.b.c"), true);
});

test("every secret key in every spelling", () => {
  for (const key of rules.secret_keys) {
    for (const spelled of [key, key.toUpperCase(), "x-" + key, "X_" + key, key.split("").join("-"), key + "."]) {
      assert.ok(isSecretKey(spelled), spelled);
    }
    assert.ok(!isSecretKey(key + "id"));
  }
});

test("the lenient exit leaves out what the rules refuse", () => {
  const jwt = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.c2lnbmF0dXJl";
  const err = toConnectError({
    code: AuthErrorCode.TOKEN_EXPIRED,
    message: `expired: ${jwt}`,
    domain: "bad domain",
    metadata: { tenantId: "acme", accessToken: "x", note: "Bearer abc", Bad: "x" },
    helpLinks: [{ description: "leak", url: `https://e.com/#${jwt}` }],
  });
  assert.equal(err.rawMessage, "the bearer token has expired");
  const read = authErrorOf(err);
  assert.deepEqual(read.metadata, { tenantId: "acme" });
  assert.equal(read.domain, "auth.error.v1");
  assert.deepEqual(read.helpLinks, []);
  const big = encodeStatusDetails({ code: AuthErrorCode.TOKEN_EXPIRED, message: "é".repeat(3000), metadata: { a: "1".repeat(900) } });
  assert.ok(big.length <= 4096);
});
