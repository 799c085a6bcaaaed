#!/usr/bin/env bash
# Builds, installs like a user and tests the two companion packages:
#   - the generated tables are up to date and the versions in lockstep
#     (scripts/gen_companions.py --check);
#   - python/: sdist and wheel (python -m build), `pip install ./python` into
#     .venv-companion (pinned tools, cached by hash), pytest, mypy --strict
#     of the package at requires-python's minimum (python_version = "3.10")
#     and of package and tests at the running interpreter's version;
#   - typescript/: the committed dist/ is what tsc builds, `npm pack`, the
#     tarball linted as the ecosystem does (publint, attw --profile esm-only),
#     then installed into two scratch npm projects, one with the lowest and
#     one with the newest versions of its peer dependencies (PEERS_LOWEST,
#     PEERS_NEWEST below): in each `node --test` over the installed package
#     and `tsc --noEmit` of test/consumer.ts against its installed types.
# Every tool comes pinned from npm (typescript/package-lock.json) or PyPI
# (python/requirements-dev.txt); a missing prerequisite fails with a message.
# Leaves .venv-companion and .node-companion (the newest peers) for
# tests/it/interop/companions.rs.
# Usage: bash scripts/test_companions.sh   (from anywhere)
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)
export AUTH_ERROR_REPO="$ROOT"

step() { printf '\n==> %s\n' "$*"; }

die() { echo "error: $*" >&2; exit 1; }

# The development tools need more than the packages do: Python 3.10+ (pytest
# 9, the pinned grpcio), Node.js 20+ (attw).
for tool in python3 node npm; do
  if ! command -v "$tool" >/dev/null; then
    case $tool in
      python3) die "python3 is required for the Python companion: install Python 3.10+ with venv" ;;
      *) die "$tool is required for the TypeScript companion: install Node.js 20+ with npm" ;;
    esac
  fi
done
python3 -c 'import sys; sys.exit(sys.version_info < (3, 10))' ||
  die "the Python companion's tools (pytest 9, grpcio 1.85) need Python 3.10+, found $(python3 --version 2>&1)"
node -e 'process.exit(Number(process.versions.node.split(".")[0]) < 20 ? 1 : 0)' ||
  die "the TypeScript companion's tools (attw) need Node.js 20+, found $(node --version)"

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

step "python: mypy --strict, the package at requires-python's minimum"
# [tool.mypy] python_version is requires-python's lower bound ...
requires=$(sed -n 's/^requires-python *= *">=\([0-9.]*\)".*/\1/p' python/pyproject.toml)
target=$(sed -n '/^\[tool\.mypy\]/,/^\[/s/^python_version *= *"\([0-9.]*\)".*/\1/p' python/pyproject.toml)
[ -n "$requires" ] && [ "$requires" = "$target" ] ||
  die "python/pyproject.toml: [tool.mypy] python_version (${target:-none}) must be requires-python's minimum (${requires:-none})"
# ... and mypy honours it: a mypy that cannot target it only warns (on
# stderr) and checks the running interpreter's version instead.
(cd python && $PY -m mypy --strict --cache-dir "$tmp/mypy-cache") 2>"$tmp/mypy.err" ||
  { cat "$tmp/mypy.err" >&2; die "mypy --strict (Python $target) failed"; }
if [ -s "$tmp/mypy.err" ]; then
  cat "$tmp/mypy.err" >&2
  die "mypy warned (above): the package was not checked as Python $target sees it"
fi
step "python: mypy --strict, package and tests at the running interpreter's version"
here=$($PY -c 'import sys; print("%d.%d" % sys.version_info[:2])')
(cd python && $PY -m mypy --strict --python-version "$here" --cache-dir "$tmp/mypy-cache" src/auth_error tests)

# --- TypeScript ----------------------------------------------------------------
# Both ends of the peer ranges of typescript/package.json: the lowest must be
# the ranges' floors (checked below); the newest are the latest releases when
# this was written (a newer release is reported, not installed, so that the
# run stays reproducible: raise these then). @connectrpc/connect-node (the
# interop peers of tests/it/interop/companions.rs) must be connect's own version.
PEERS_LOWEST="@connectrpc/connect@2.0.0 @connectrpc/connect-node@2.0.0 @bufbuild/protobuf@2.5.0"
PEERS_NEWEST="@connectrpc/connect@2.3.0 @connectrpc/connect-node@2.3.0 @bufbuild/protobuf@2.17.0"

step "typescript: npm ci (pinned by typescript/package-lock.json: tsc, publint, attw, the build's peers)"
NPM_STAMP=typescript/node_modules/.lock.sha256
want=$(sha256sum typescript/package-lock.json | cut -d' ' -f1)
BIN=typescript/node_modules/.bin
if [ ! -x $BIN/tsc ] || [ ! -x $BIN/publint ] || [ ! -x $BIN/attw ] || [ "$(cat "$NPM_STAMP" 2>/dev/null)" != "$want" ]; then
  (cd typescript && npm ci --no-audit --no-fund --loglevel=error)
  echo "$want" > "$NPM_STAMP"
fi
for tool in tsc publint attw; do
  [ -x $BIN/$tool ] || die "$BIN/$tool is missing after npm ci: typescript/package.json must pin it in devDependencies"
done
BIN=$ROOT/$BIN

step "typescript: the committed dist/ is what tsc builds"
(cd typescript && node_modules/.bin/tsc -p tsconfig.json --outDir "$tmp/ts-dist")
if ! diff -r "$tmp/ts-dist" typescript/dist; then
  echo "error: typescript/dist is out of date: run \`npm run build\` in typescript/ and commit dist/" >&2
  exit 1
fi

step "typescript: npm pack"
(cd typescript && npm pack --silent --pack-destination "$tmp") >/dev/null
TARBALL=$(ls "$tmp"/auth-error-connect-*.tgz)
# Listed to a file first: `tar | grep -q` fails under pipefail when grep
# stops reading early (tar gets SIGPIPE).
tar -tzf "$TARBALL" > "$tmp/tarball.list"
grep -q 'package/dist/index.d.ts' "$tmp/tarball.list" || { echo "error: the tarball lacks dist/index.d.ts" >&2; exit 1; }

step "typescript: publint on the tarball (any message fails, suggestions too)"
rc=0
# Colours off (CI=true turns them on in publint), and any escape stripped.
NO_COLOR=1 FORCE_COLOR=0 "$BIN/publint" run --strict "$TARBALL" > "$tmp/publint.out" 2>&1 || rc=$?
cat "$tmp/publint.out"
[ "$rc" -eq 0 ] && sed 's/\x1b\[[0-9;]*m//g' "$tmp/publint.out" | grep -qx 'All good!' ||
  die "publint reported problems in typescript/package.json (above)"

step "typescript: attw on the tarball (--profile esm-only: the package is ESM only)"
# esm-only leaves out the node10 and node16-from-CommonJS resolutions: a
# CommonJS caller reaches the package with import(), as README.md says.
"$BIN/attw" "$TARBALL" --profile esm-only --no-color --no-emoji --format table-flipped ||
  die "attw found problems in the package's types (above)"

# The floors of the peer ranges are PEERS_LOWEST's versions.
for spec in $PEERS_LOWEST; do
  name=${spec%@*}
  [ "$name" = "@connectrpc/connect-node" ] && continue
  range=$(node -e 'const p = require("./typescript/package.json"); console.log(p.peerDependencies[process.argv[1]] ?? "")' "$name")
  [ "$range" = "^${spec##*@}" ] ||
    die "typescript/package.json: peer $name is '$range', but PEERS_LOWEST in scripts/test_companions.sh tests ${spec##*@}: keep them equal"
done

# A scratch npm project with the packed package and the given peers, exactly
# (no --legacy-peer-deps: npm refuses peers outside the ranges), then the
# tests over the installed package and the type check of test/consumer.ts
# against its installed declarations.
peers_check() {
  local label=$1 dir=$2 peers=$3
  step "typescript: $label peers ($peers): npm install into $(basename "$dir")"
  rm -rf "$dir" && mkdir -p "$dir"
  cat > "$dir/package.json" <<'JSON'
{ "name": "auth-error-companion-scratch", "private": true, "type": "module" }
JSON
  # shellcheck disable=SC2086 # $peers: one word per package
  (cd "$dir" && npm install --no-audit --no-fund --loglevel=error --save-exact "$TARBALL" $peers)
  local spec name got
  for spec in $peers; do
    name=${spec%@*}
    got=$(node -p 'require(process.argv[1]).version' "$dir/node_modules/$name/package.json")
    [ "$got" = "${spec##*@}" ] || die "$dir: $name is $got, not ${spec##*@}"
  done
  cp -r typescript/test typescript/interop "$dir/"
  step "typescript: $label peers: node --test over the installed package"
  node --test "$dir"/test/*.test.mjs
  step "typescript: $label peers: tsc --noEmit of test/consumer.ts (the installed types, as a user sees them)"
  "$BIN/tsc" -p "$dir/test/tsconfig.consumer.json"
}

peers_check lowest "$tmp/node-lowest" "$PEERS_LOWEST"
# Last, so that .node-companion is left with the newest, for tests/it/interop/companions.rs.
peers_check newest "$ROOT/.node-companion" "$PEERS_NEWEST"
for spec in $PEERS_NEWEST; do
  latest=$(npm view "${spec%@*}" dist-tags.latest 2>/dev/null || true)
  if [ -n "$latest" ] && [ "$latest" != "${spec##*@}" ]; then
    echo "note: ${spec%@*} $latest is out, PEERS_NEWEST tests ${spec##*@}: raise it in scripts/test_companions.sh"
  fi
done

echo
echo "companion packages: all tests passed"
