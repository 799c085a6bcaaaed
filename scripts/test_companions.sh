#!/usr/bin/env bash
# Builds, installs like a user and tests the two companion packages:
#   - the generated tables are up to date and the versions in lockstep
#     (scripts/gen_companions.py --check);
#   - python/: sdist and wheel (python -m build), `pip install ./python` into
#     .venv-companion (pinned tools, cached by hash), pytest, mypy --strict;
#   - typescript/: the committed dist/ is what tsc builds, `npm pack`, the
#     tarball installed into .node-companion (a scratch npm project), and
#     `node --test` over the installed package.
# Leaves .venv-companion and .node-companion for tests/companions.rs.
# Usage: bash scripts/test_companions.sh   (from anywhere)
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)
export AUTH_ERROR_REPO="$ROOT"

step() { printf '\n==> %s\n' "$*"; }

for tool in python3 node npm; do
  if ! command -v "$tool" >/dev/null; then
    case $tool in
      python3) echo "error: python3 is required for the Python companion: install Python 3.9+ with venv" >&2 ;;
      *) echo "error: $tool is required for the TypeScript companion: install Node.js 20+ with npm" >&2 ;;
    esac
    exit 1
  fi
done

step "generated tables and versions (scripts/gen_companions.py --check)"
python3 scripts/gen_companions.py --check

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# --- Python ------------------------------------------------------------------
step "python: .venv-companion (pinned, cached by requirements hash)"
VENV=.venv-companion
STAMP=$VENV/.requirements.sha256
want=$(cat python/requirements-dev.txt python/pyproject.toml | sha256sum | cut -d' ' -f1)
if [ ! -x $VENV/bin/python ] || [ "$(cat "$STAMP" 2>/dev/null)" != "$want" ]; then
  rm -rf $VENV
  python3 -m venv $VENV
  $VENV/bin/python -m pip install --quiet --disable-pip-version-check -r python/requirements-dev.txt
  echo "$want" > "$STAMP"
fi
PY=$ROOT/$VENV/bin/python

step "python: sdist and wheel (python -m build, pinned build backend)"
$PY -m build --outdir "$tmp/python-dist" python >"$tmp/build.log" 2>&1 || { cat "$tmp/build.log" >&2; exit 1; }
ls "$tmp/python-dist"
$PY - "$tmp/python-dist" <<'PYEOF'
import sys, tarfile, zipfile, glob
out = sys.argv[1]
wheel = zipfile.ZipFile(glob.glob(f"{out}/*.whl")[0]).namelist()
sdist = tarfile.open(glob.glob(f"{out}/*.tar.gz")[0]).getnames()
for need in ("auth_error/py.typed", "auth_error/_generated.py", "auth_error/__init__.py"):
    assert need in wheel, f"wheel lacks {need}"
    assert any(n.endswith("src/" + need) for n in sdist), f"sdist lacks {need}"
print(f"wheel: {len(wheel)} files, sdist: {len(sdist)} files")
PYEOF

step "python: pip install ./python"
$PY -m pip install --quiet --disable-pip-version-check --force-reinstall --no-deps ./python
$PY -m pip check

step "python: pytest"
(cd python && $PY -m pytest -q -p no:cacheprovider tests)

step "python: mypy --strict"
(cd python && $PY -m mypy --strict --cache-dir "$tmp/mypy-cache")

# --- TypeScript ----------------------------------------------------------------
step "typescript: npm ci (pinned by typescript/package-lock.json)"
NPM_STAMP=typescript/node_modules/.lock.sha256
want=$(sha256sum typescript/package-lock.json | cut -d' ' -f1)
if [ ! -x typescript/node_modules/.bin/tsc ] || [ "$(cat "$NPM_STAMP" 2>/dev/null)" != "$want" ]; then
  (cd typescript && npm ci --no-audit --no-fund --loglevel=error)
  echo "$want" > "$NPM_STAMP"
fi

step "typescript: the committed dist/ is what tsc builds"
(cd typescript && node_modules/.bin/tsc -p tsconfig.json --outDir "$tmp/ts-dist")
if ! diff -r "$tmp/ts-dist" typescript/dist; then
  echo "error: typescript/dist is out of date: run \`npm run build\` in typescript/ and commit dist/" >&2
  exit 1
fi

step "typescript: npm pack, installed into .node-companion"
(cd typescript && npm pack --silent --pack-destination "$tmp") >/dev/null
TARBALL=$(ls "$tmp"/auth-error-connect-*.tgz)
# Listed to a file first: `tar | grep -q` fails under pipefail when grep
# stops reading early (tar gets SIGPIPE).
tar -tzf "$TARBALL" > "$tmp/tarball.list"
grep -q 'package/dist/index.d.ts' "$tmp/tarball.list" || { echo "error: the tarball lacks dist/index.d.ts" >&2; exit 1; }
rm -rf .node-companion && mkdir -p .node-companion
cat > .node-companion/package.json <<'JSON'
{ "name": "auth-error-companion-scratch", "private": true, "type": "module" }
JSON
(cd .node-companion && npm install --no-audit --no-fund --loglevel=error --save-exact \
  "$TARBALL" @connectrpc/connect@2.3.0 @bufbuild/protobuf@2.13.0 @connectrpc/connect-node@2.3.0)
cp -r typescript/test typescript/interop .node-companion/

step "typescript: node --test over the installed package"
node --test .node-companion/test/*.test.mjs

echo
echo "companion packages: all tests passed"
