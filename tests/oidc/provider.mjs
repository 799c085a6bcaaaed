// Test-only OpenID provider for the auth-error test suite.
//
// A real OAuth 2.0 / OpenID authorization server (npm `oidc-provider`, pinned
// at 8.8.1 in package.json) that issues ES256-signed JWT access tokens via the
// client_credentials grant, so the crate's tests can check tokens from a
// third-party issuer (discovery, JWKS fetch, key rotation) instead of tokens
// the tests signed themselves. NOT for production: in-memory storage, plain
// http on loopback, fixed client secrets.
//
// Run (from the repository root, after `npm ci`):
//
//   PORT=0 KID=k1 TTL=300 node tests/oidc/provider.mjs
//
// It prints exactly one line to stdout, `LISTENING <port>`, once it accepts
// connections; everything else (oidc-provider notices/warnings) goes to stderr.
// The issuer is `http://127.0.0.1:<port>`. Stop it with SIGTERM (or SIGINT).
//
// Environment:
//   PORT      port on 127.0.0.1 (default 0 = any free port)
//   KID       `kid` of the ES256 (P-256) signing key, generated fresh at each
//             start (default `k1`); restart with another KID to simulate key
//             rotation
//   RESOURCE  resource indicator = `aud` of the access tokens
//             (default `https://api.example.test`)
//   TTL       access token lifetime in seconds (default 300)
//   FORMAT    access token format: `jwt` (default) or `opaque` (checked at
//             the introspection endpoint, RFC 7662)
//   DPOP      `off` (default), `on` (RFC 9449: a token request with a DPoP
//             proof gets a DPoP-bound token, `cnf.jkt`, `token_type` DPoP) or
//             `nonce` (as `on`, and the token endpoint requires its nonce)
//
// Endpoints:
//   GET  /.well-known/openid-configuration   discovery (issuer, jwks_uri, token_endpoint, ...)
//   GET  /jwks                                the public signing key (kid, alg ES256, use sig)
//   POST /token                               client_credentials grant only
//   POST /token/introspection                 RFC 7662 (any registered client)
//   POST /token/revocation                    RFC 7009
//   GET  /__counts                            {"jwks": n, "token": m, "introspection": k}:
//                                             requests seen by /jwks, /token and
//                                             /token/introspection since start (any method,
//                                             any outcome; /__counts itself is not counted)
//
// Clients (both accept client_secret_basic AND client_secret_post: oidc-provider
// 8.x treats those two methods as interchangeable for a client registered with
// either of them):
//   svc-a / secret-a   registered as client_secret_basic
//   svc-b / secret-b   registered as client_secret_post
//
// Scopes: `orders.read orders.write` on the resource. Quirks of oidc-provider 8.x:
//   - `scope` must be requested explicitly; without it (or if none of the
//     requested scopes belongs to the resource) the token has no `scope` claim
//     and the response no `scope` member. Unknown scopes are dropped silently.
//   - `resource` may be omitted: RESOURCE is the default resource. Another
//     value gives 400 invalid_target.
//
// Example:
//   curl -s -u svc-a:secret-a -d grant_type=client_credentials \
//        -d scope=orders.read -d resource=https://api.example.test \
//        http://127.0.0.1:<port>/token
//
// Access token: header {alg: ES256, typ: at+jwt, kid}; payload {jti, sub
// (= client_id), iat, exp, scope, client_id, iss, aud (= RESOURCE)}.

import * as crypto from 'node:crypto';
import * as http from 'node:http';

import Provider, { errors } from 'oidc-provider';

// oidc-provider prints its NOTICEs with console.info (stdout); keep stdout for
// the single LISTENING line only.
console.info = (...args) => console.error(...args); // eslint-disable-line no-console

const HOST = '127.0.0.1';
const PORT = Number.parseInt(process.env.PORT ?? '0', 10);
const KID = process.env.KID || 'k1';
const RESOURCE = process.env.RESOURCE || 'https://api.example.test';
const TTL = Number.parseInt(process.env.TTL ?? '300', 10);
const SCOPES = 'orders.read orders.write';
const FORMAT = process.env.FORMAT || 'jwt';
const DPOP = process.env.DPOP || 'off';
if (!['off', 'on', 'nonce'].includes(DPOP)) {
  throw new Error(`invalid DPOP ${process.env.DPOP}`);
}
if (FORMAT !== 'jwt' && FORMAT !== 'opaque') {
  throw new Error(`invalid FORMAT ${process.env.FORMAT}`);
}

if (!Number.isInteger(PORT) || PORT < 0 || PORT > 65535) {
  throw new Error(`invalid PORT ${process.env.PORT}`);
}
if (!Number.isInteger(TTL) || TTL <= 0) {
  throw new Error(`invalid TTL ${process.env.TTL}`);
}

const { privateKey } = crypto.generateKeyPairSync('ec', { namedCurve: 'P-256' });
const signingKey = {
  ...privateKey.export({ format: 'jwk' }),
  kid: KID,
  alg: 'ES256',
  use: 'sig',
};

const counts = { jwks: 0, token: 0, introspection: 0 };

// Step-up (RFC 9470): the login each client's tokens claim. Client
// credentials have no user login, so the claims come from extraTokenClaims
// (what a provider does after an interactive login): svc-a logged in an
// hour ago with a password, svc-b a few seconds ago with a second factor.
const LOGINS = {
  'svc-a': { acr: 'urn:example:pwd', age: 3600 },
  'svc-b': { acr: 'urn:example:mfa', age: 5 },
};

// The issuer must contain the real port, so listen first and build the
// Provider afterwards; the LISTENING line is printed only once it is mounted.
let callback = (req, res) => {
  res.statusCode = 503;
  res.end();
};

const server = http.createServer((req, res) => {
  const { pathname } = new URL(req.url, `http://${HOST}`);
  if (pathname === '/__counts') {
    res.setHeader('content-type', 'application/json');
    res.setHeader('cache-control', 'no-store');
    res.end(JSON.stringify(counts));
    return;
  }
  if (pathname === '/jwks') counts.jwks += 1;
  if (pathname === '/token') counts.token += 1;
  if (pathname === '/token/introspection') counts.introspection += 1;
  callback(req, res);
});

server.once('error', (err) => {
  console.error(`provider.mjs: ${err.message}`);
  process.exit(1);
});

server.listen(PORT, HOST, () => {
  const { port } = server.address();
  const issuer = `http://${HOST}:${port}`;

  const provider = new Provider(issuer, {
    clients: [
      {
        client_id: 'svc-a',
        client_secret: 'secret-a',
        token_endpoint_auth_method: 'client_secret_basic',
        grant_types: ['client_credentials'],
        response_types: [],
        redirect_uris: [],
      },
      {
        client_id: 'svc-b',
        client_secret: 'secret-b',
        token_endpoint_auth_method: 'client_secret_post',
        grant_types: ['client_credentials'],
        response_types: [],
        redirect_uris: [],
      },
    ],
    clientDefaults: {
      grant_types: ['client_credentials'],
      response_types: [],
      id_token_signed_response_alg: 'ES256',
      token_endpoint_auth_method: 'client_secret_basic',
    },
    clientAuthMethods: ['client_secret_basic', 'client_secret_post'],
    jwks: { keys: [signingKey] },
    acrValues: ['urn:example:pwd', 'urn:example:mfa'],
    extraTokenClaims: (ctx, token) => {
      const login = LOGINS[token.clientId];
      if (!login) return undefined;
      return { acr: login.acr, auth_time: Math.floor(Date.now() / 1000) - login.age };
    },
    cookies: { keys: [crypto.randomBytes(32).toString('base64url')] },
    clientBasedCORS: () => false,
    features: {
      devInteractions: { enabled: false },
      clientCredentials: { enabled: true },
      introspection: { enabled: true },
      revocation: { enabled: true },
      dPoP: {
        enabled: DPOP !== 'off',
        nonceSecret: crypto.randomBytes(32),
        requireNonce: () => DPOP === 'nonce',
      },
      resourceIndicators: {
        enabled: true,
        defaultResource: (ctx, client, oneOf) => (oneOf ? oneOf[0] : RESOURCE),
        useGrantedResource: () => true,
        getResourceServerInfo: (ctx, resourceIndicator) => {
          if (resourceIndicator !== RESOURCE) {
            throw new errors.InvalidTarget();
          }
          return {
            audience: RESOURCE,
            scope: SCOPES,
            accessTokenTTL: TTL,
            accessTokenFormat: FORMAT,
            jwt: { sign: { alg: 'ES256' } },
          };
        },
      },
    },
    ttl: {
      AccessToken: (ctx, token) => token.resourceServer?.accessTokenTTL || TTL,
      ClientCredentials: (ctx, token) => token.resourceServer?.accessTokenTTL || TTL,
    },
  });

  callback = provider.callback();
  process.stdout.write(`LISTENING ${port}\n`);
});

let stopping = false;
function shutdown() {
  if (stopping) return;
  stopping = true;
  server.close(() => process.exit(0));
  server.closeAllConnections();
  setTimeout(() => process.exit(0), 2000).unref();
}
process.on('SIGTERM', shutdown);
process.on('SIGINT', shutdown);
