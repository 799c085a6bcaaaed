#!/usr/bin/env node
// Browser test of the gRPC-Web example:
//   node tests/browser/run.mjs <path of the browser example binary>
//
// Starts the example server (page and API on two loopback origins), drives
// Debian's Chromium through playwright-core (no downloaded browser) to the
// page, which calls the API over gRPC-Web and REST, and checks the reason and
// client action the page decoded for each case. Then checks the API's CORS
// preflight answers from Node. Exits 0 when every check passes, 1 otherwise.

import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import http from "node:http";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import { chromium } from "playwright-core";

const CHROMIUM = "/usr/bin/chromium";
/** The bundle the server's page origin serves (built by npm run build:browser). */
const APP_JS = new URL("../../examples/browser/dist/app.js", import.meta.url);
const START_TIMEOUT_MS = 30_000;
const PAGE_TIMEOUT_MS = 60_000;

let passed = 0;
let failed = 0;

/** Records and prints one check. */
function check(name, ok, detail) {
  if (ok) {
    passed++;
    console.log(`ok - ${name}`);
  } else {
    failed++;
    console.log(`FAIL - ${name}${detail === undefined ? "" : `: ${detail}`}`);
  }
}

/** check() for equality, printing both values on failure. */
function checkEq(name, actual, expected) {
  check(
    `${name} = ${JSON.stringify(expected)}`,
    actual === expected,
    `got ${JSON.stringify(actual)}`,
  );
}

/** Starts the server and resolves with its PAGE and API origins. */
function startServer(bin) {
  const child = spawn(bin, [], {
    env: { ...process.env, PAGE_PORT: "0", API_PORT: "0" },
    stdio: ["ignore", "pipe", "inherit"],
  });
  const ready = new Promise((resolve, reject) => {
    const origins = {};
    const timer = setTimeout(
      () => reject(new Error(`${bin} printed no PAGE and API lines within ${START_TIMEOUT_MS / 1000} s`)),
      START_TIMEOUT_MS,
    );
    child.on("error", (e) => {
      clearTimeout(timer);
      reject(new Error(`cannot start ${bin}: ${e.message}`));
    });
    child.on("exit", (code, signal) => {
      clearTimeout(timer);
      reject(new Error(`${bin} exited (code ${code}, signal ${signal}) before printing PAGE and API`));
    });
    const lines = createInterface({ input: child.stdout });
    lines.on("line", (line) => {
      console.log(`server: ${line}`);
      const m = /^(PAGE|API) (http:\/\/127\.0\.0\.1:\d+)$/.exec(line.trim());
      if (m) origins[m[1].toLowerCase()] = m[2];
      if (origins.page && origins.api) {
        clearTimeout(timer);
        resolve(origins);
      }
    });
  });
  return { child, ready };
}

/** SIGTERM, then SIGKILL after 5 s; resolves once the server has exited. */
async function stopServer(child) {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.once("exit", resolve));
  child.kill("SIGTERM");
  const timer = setTimeout(() => child.kill("SIGKILL"), 5_000);
  await exited;
  clearTimeout(timer);
}

/** An OPTIONS preflight from Node (the page's browser cannot fake Origin). */
function preflight(url, origin) {
  return new Promise((resolve, reject) => {
    const req = http.request(
      url,
      {
        method: "OPTIONS",
        headers: {
          Origin: origin,
          "Access-Control-Request-Method": "POST",
          "Access-Control-Request-Headers": "authorization,content-type,x-grpc-web,x-user-agent",
        },
        timeout: 10_000,
      },
      (res) => {
        res.resume();
        res.on("end", () => resolve({ status: res.statusCode, headers: res.headers }));
      },
    );
    req.on("timeout", () => req.destroy(new Error(`OPTIONS ${url}: timed out`)));
    req.on("error", reject);
    req.end();
  });
}

async function browserChecks(page, api) {
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: [
      "--headless",
      "--no-sandbox",
      "--disable-gpu",
      "--disable-quic",
      "--no-first-run",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
    ],
  });
  try {
    const tab = await browser.newPage();
    tab.on("console", (m) => console.log(`page console.${m.type()}: ${m.text()}`));
    tab.on("pageerror", (e) => console.log(`page error: ${e.message}`));
    const url = `${page}/?api=${encodeURIComponent(api)}`;
    console.log(`opening ${url}`);
    await tab.goto(url);
    await tab.waitForSelector('body[data-done="true"]', { timeout: PAGE_TIMEOUT_MS });
    const text = await tab.textContent("#results");
    console.log(`page results:\n${text}`);
    const cases = await tab.$$eval("#cases li", (lis) => lis.map((li) => li.textContent));
    for (const c of cases) console.log(`page case: ${c}`);
    let r;
    try {
      r = JSON.parse(text ?? "");
    } catch (e) {
      check("#results is JSON", false, e.message);
      return;
    }
    check("page finished without a fatal error", r.fatal === undefined, r.fatal);

    checkEq("missing.reason", r.missing?.reason, "BEARER_TOKEN_MISSING");
    checkEq("missing.action", r.missing?.action, "provide_credentials");

    checkEq("expired.reason", r.expired?.reason, "TOKEN_EXPIRED");
    checkEq("expired.action", r.expired?.action, "refresh_credentials");
    checkEq("expired.refreshed (retry with a new token)", r.expired?.refreshed, "SERVING");

    checkEq("noscope.reason", r.noscope?.reason, "INVALID_SCOPE");
    checkEq("noscope.action", r.noscope?.action, "request_access");

    checkEq("rest.status", r.rest?.status, 401);
    check(
      'rest.wwwAuthenticate starts with "Bearer" (exposed by CORS)',
      typeof r.rest?.wwwAuthenticate === "string" && r.rest.wwwAuthenticate.startsWith("Bearer"),
      `got ${JSON.stringify(r.rest?.wwwAuthenticate)}`,
    );
    checkEq("rest.reason", r.rest?.reason, "BEARER_TOKEN_MISSING");
    checkEq("rest.action", r.rest?.action, "provide_credentials");
  } finally {
    await browser.close();
  }
}

async function corsChecks(page, api) {
  const url = `${api}/grpc.health.v1.Health/Check`;

  const evil = await preflight(url, "http://evil.example");
  console.log(`preflight from http://evil.example: ${evil.status} ${JSON.stringify(evil.headers)}`);
  check(
    "preflight from a foreign origin gets no access-control-allow-origin",
    evil.headers["access-control-allow-origin"] === undefined,
    `got ${JSON.stringify(evil.headers["access-control-allow-origin"])}`,
  );

  const own = await preflight(url, page);
  console.log(`preflight from ${page}: ${own.status} ${JSON.stringify(own.headers)}`);
  check(
    "preflight from the page origin: status 200 or 204",
    own.status === 200 || own.status === 204,
    `got ${own.status}`,
  );
  checkEq("preflight from the page origin: access-control-allow-origin", own.headers["access-control-allow-origin"], page);
  const allowed = String(own.headers["access-control-allow-headers"] ?? "")
    .split(",")
    .map((h) => h.trim().toLowerCase());
  check(
    "preflight from the page origin: access-control-allow-headers covers authorization",
    allowed.includes("authorization") || allowed.includes("*"),
    `got ${JSON.stringify(own.headers["access-control-allow-headers"])}`,
  );
}

async function main() {
  const bin = process.argv[2];
  if (!bin) {
    console.error("usage: node tests/browser/run.mjs <path to the browser example binary>");
    return 2;
  }
  if (!existsSync(bin)) {
    console.error(`${bin} not found: build it with cargo build --example browser --features grpc-web,axum`);
    return 1;
  }
  if (!existsSync(APP_JS)) {
    console.error(`FAIL - ${fileURLToPath(APP_JS)} not found: run npm ci && npm run build:browser first`);
    return 1;
  }
  if (!existsSync(CHROMIUM)) {
    console.error(
      `FAIL - ${CHROMIUM} not found: install Debian's chromium (apt-get install chromium); ` +
        "this test drives it with playwright-core and never downloads a browser",
    );
    return 1;
  }
  const { child, ready } = startServer(bin);
  // Interrupted: take the server down with us.
  for (const sig of ["SIGINT", "SIGTERM"]) {
    process.once(sig, () => {
      child.kill("SIGKILL");
      process.exit(1);
    });
  }
  try {
    const { page, api } = await ready;
    await browserChecks(page, api);
    await corsChecks(page, api);
  } catch (e) {
    check("browser test ran to the end", false, e instanceof Error ? e.message : String(e));
  } finally {
    await stopServer(child);
  }
  console.log(`browser: ${passed} passed, ${failed} failed`);
  return failed === 0 && passed > 0 ? 0 : 1;
}

process.exitCode = await main();
