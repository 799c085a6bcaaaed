// A user's TypeScript against the published package: imported by its name,
// resolved through its package.json "exports" to the shipped declarations
// (dist/*.d.ts), next to the installed peers' own types. Never run, only
// type-checked: scripts/test_companions.sh copies it into each scratch
// project (the lowest and the newest peers) and runs `tsc --noEmit -p
// test/tsconfig.consumer.json` there. A wrong or missing type in dist/ (or
// one the peers' types no longer accept) fails that step.

import { Code, ConnectError } from "@connectrpc/connect";
import { create, fromBinary, toBinary, type Message } from "@bufbuild/protobuf";
import * as pkg from "@auth-error/connect";
import {
  AuthErrorCode,
  CLIENT_ACTIONS,
  CODE_TABLE,
  DOMAIN,
  ErrorInfoSchema,
  HelpSchema,
  LocalizedMessageSchema,
  MAX_DETAILS_LEN,
  RetryInfoSchema,
  VERSION,
  authErrorOf,
  clientActionOf,
  clientActionWithRetryDelayOf,
  codeOfReason,
  descriptionOf,
  encodeStatusDetails,
  fromHttpJson,
  grpcCodeOf,
  httpStatusOf,
  isSecretKey,
  looksLikeCredential,
  toConnectError,
  type AuthError,
  type AuthErrorInit,
  type ClientAction,
  type CodeRow,
  type HelpLink,
} from "@auth-error/connect";

/** Compiles only when `A` and `B` are the same type. */
type Equal<A, B> = (<T>() => T extends A ? 1 : 2) extends <T>() => T extends B ? 1 : 2 ? true : false;
function assertType<T extends true>(_: T): void {}

// --- constants ---------------------------------------------------------------
const version: string = VERSION;
const domain: "auth.error.v1" = DOMAIN;
const maxLen: number = MAX_DETAILS_LEN;
const actions: readonly ClientAction[] = CLIENT_ACTIONS;
// The one version export is VERSION (as in the Python package); the old
// lower-case alias is gone.
// @ts-expect-error -- `version` is not exported
void pkg.version;

// --- the code table ------------------------------------------------------------
const expired: AuthErrorCode = AuthErrorCode.TOKEN_EXPIRED;
const row: CodeRow | undefined = CODE_TABLE.get(expired);
const table: ReadonlyMap<AuthErrorCode, CodeRow> = CODE_TABLE;
const action: ClientAction = clientActionOf(AuthErrorCode.ACCOUNT_LOCKED);
const later: ClientAction = clientActionWithRetryDelayOf(AuthErrorCode.ACCOUNT_LOCKED);
const grpc: Code = grpcCodeOf(expired);
const http: number = httpStatusOf(expired);
const description: string = descriptionOf(expired);
const fromReason: AuthErrorCode | undefined = codeOfReason("TOKEN_EXPIRED");
// @ts-expect-error -- a ClientAction is one of the crate's names, not any string
const notAnAction: ClientAction = "panic";
// @ts-expect-error -- the table is read-only
CODE_TABLE.set(expired, row!);
assertType<Equal<ReturnType<typeof codeOfReason>, AuthErrorCode | undefined>>(true);

// --- reading (the README's client) --------------------------------------------
async function call(getOrder: () => Promise<unknown>, response: Response): Promise<void> {
  try {
    await getOrder();
  } catch (err) {
    const e: AuthError | undefined = authErrorOf(err);
    if (e?.clientAction === "refresh_credentials") {
      /* refresh, retry once */
    }
    if (e !== undefined) {
      const code: AuthErrorCode | undefined = e.code;
      const reason: string = e.reason;
      const message: string = e.message;
      const metadata: Readonly<Record<string, string>> = e.metadata;
      const retryAfterMs: number | undefined = e.retryAfterMs;
      const status: Code = e.grpcCode;
      const links: readonly HelpLink[] = e.helpLinks;
      const localized: { readonly locale: string; readonly message: string } | undefined = e.localizedMessage;
      void [code, reason, message, metadata, retryAfterMs, status, links, localized];
      if (e.grpcCode === Code.Unauthenticated && e.code === AuthErrorCode.TOKEN_EXPIRED) {
        /* refresh */
      }
      // @ts-expect-error -- an AuthError is read-only
      e.reason = "x";
    }
  }
  const rest: AuthError | undefined = fromHttpJson(await response.text());
  const parsed: AuthError | undefined = fromHttpJson({ error: { code: 401 } }, "custom.example.com");
  const fromConnect: AuthError | undefined = authErrorOf(new ConnectError("m", Code.Unauthenticated), DOMAIN);
  void [rest, parsed, fromConnect];
}

// --- sending (connect-node handlers) --------------------------------------------
const init: AuthErrorInit = {
  code: AuthErrorCode.TOKEN_EXPIRED,
  message: "expired",
  domain: DOMAIN,
  metadata: { tenantId: "acme" },
  retryAfterMs: 1500,
  helpLinks: [{ description: "How", url: "https://e.com" }],
  localizedMessage: { locale: "de-CH", message: "Bitte" },
};
const thrown: ConnectError = toConnectError(init);
const minimal: ConnectError = toConnectError({ code: AuthErrorCode.ACCOUNT_LOCKED });
const bytes: Uint8Array | undefined = encodeStatusDetails(init);
// @ts-expect-error -- a code is required
toConnectError({ message: "no code" });
// @ts-expect-error -- metadata values are strings
toConnectError({ code: AuthErrorCode.TOKEN_EXPIRED, metadata: { n: 1 } });

// --- the google.rpc schemas with the installed @bufbuild/protobuf and connect ----
const info = create(ErrorInfoSchema, { reason: "TOKEN_EXPIRED", domain: DOMAIN, metadata: { tenantId: "acme" } });
const infoType: Message<"google.rpc.ErrorInfo"> = info;
const infoReason: string = fromBinary(ErrorInfoSchema, toBinary(ErrorInfoSchema, info)).reason;
const infoMetadata: { [key: string]: string } = info.metadata;
const found: string[] = thrown.findDetails(ErrorInfoSchema).map((d) => d.reason);
const delaySeconds: bigint | undefined = create(RetryInfoSchema).retryDelay?.seconds;
const linkUrls: string[] = create(HelpSchema).links.map((l) => l.url);
const locale: string = create(LocalizedMessageSchema).locale;

// --- the credential rules ---------------------------------------------------------
const secret: boolean = isSecretKey("x-api-key");
const credential: boolean = looksLikeCredential("Bearer abc");

export {
  action,
  actions,
  bytes,
  call,
  credential,
  delaySeconds,
  description,
  domain,
  found,
  fromReason,
  grpc,
  http,
  infoMetadata,
  infoReason,
  infoType,
  later,
  linkUrls,
  locale,
  maxLen,
  minimal,
  notAnAction,
  row,
  secret,
  table,
  version,
};
