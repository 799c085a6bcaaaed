// The repository's contract files: AUTH_ERROR_REPO, or the nearest parent
// directory with tests/vectors.
import { existsSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

function findRoot() {
  if (process.env.AUTH_ERROR_REPO) return process.env.AUTH_ERROR_REPO;
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    if (existsSync(join(dir, "tests/vectors/auth_error_vectors.json"))) return dir;
    const parent = dirname(dir);
    if (parent === dir) throw new Error("cannot find the repository (tests/vectors): set AUTH_ERROR_REPO");
    dir = parent;
  }
}

export const ROOT = findRoot();
export const load = (rel) => JSON.parse(readFileSync(join(ROOT, rel), "utf8"));
export const unb64 = (s) => new Uint8Array(Buffer.from(s, "base64"));
