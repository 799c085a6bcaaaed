#!/usr/bin/env bash
# Runs every test of the project, installing what the tests need first:
#   - Rust: unit, integration and doc tests, with the default features (what
#     most users build), with all features and with none;
#   - the companion packages (python/, typescript/): generated tables checked,
#     built, installed like a user's into scratch environments, tested
#     (scripts/test_companions.sh), and against the crate on loopback;
#   - Python interop (grpcio, grpcio-status, googleapis-common-protos) and
#     the OpenAPI validators (openapi-spec-validator, jsonschema,
#     datamodel-code-generator + pydantic) in a local .venv with pinned
#     versions;
#   - buf lint and buf breaking (npm package @bufbuild/buf, pinned);
#   - the OpenID provider of the oidc tests (npm oidc-provider, pinned);
#   - the browser example page in Debian's chromium (installed with apt-get
#     when missing) driven by playwright-core (npm, pinned);
#   - the quickstart, which must exit 0.
#
# Usage: bash scripts/test.sh            every step, in order
#        bash scripts/test.sh STEP...    those steps alone (each installs
#                                        what it needs first)
#        bash scripts/test.sh --list     the steps, one per line
#
# Each step is a function below, `step_<name>`; read them top to bottom.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)

# An exported update variable would turn the pinned-file tests into
# self-comparisons.
unset AUTH_ERROR_UPDATE_VECTORS AUTH_ERROR_UPDATE_OPENAPI

step() { printf '\n==> %s\n' "$*"; }

# Debian's package $1, installed with apt-get when /usr/bin/$1 is missing
# (which needs root; otherwise it fails saying what to install).
debian_package() {
  if [ ! -x "/usr/bin/$1" ]; then
    if [ "$(id -u)" != 0 ]; then
      echo "error: /usr/bin/$1 is missing: install Debian's $1 (apt-get install $1) as root" >&2
      exit 1
    fi
    DEBIAN_FRONTEND=noninteractive apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$1" >/dev/null
  fi
}

# --- What steps need (each idempotent: done once per run) ------------------

# The pinned Python virtual environment (.venv), cached by requirements hash.
need_venv() {
  [ -n "${AUTH_ERROR_PYTHON:-}" ] && return
  if ! command -v python3 >/dev/null; then
    echo "error: python3 is required for the interop tests: install Python 3.10+ with venv" >&2
    exit 1
  fi
  local req=tests/interop/requirements.txt stamp=.venv/.requirements.sha256 want
  want=$(sha256sum "$req" | cut -d' ' -f1)
  if [ ! -x .venv/bin/python ] || [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
    rm -rf .venv
    python3 -m venv .venv
    .venv/bin/python -m pip install --quiet --disable-pip-version-check -r "$req"
    echo "$want" > "$stamp"
  fi
  export AUTH_ERROR_PYTHON="$ROOT/.venv/bin/python"
}

# Python code generated from the proto by Google's protoc (grpcio-tools).
need_python_codegen() {
  [ -n "${PYTHON_CODEGEN_DONE:-}" ] && return
  need_venv
  rm -rf tests/interop/gen && mkdir -p tests/interop/gen
  "$AUTH_ERROR_PYTHON" -m grpc_tools.protoc -Iproto --python_out=tests/interop/gen \
    proto/auth/error/v1/auth_error.proto
  PYTHON_CODEGEN_DONE=1
}

# The root npm packages (buf, oidc-provider, playwright-core, esbuild),
# pinned by package-lock.json.
need_npm() {
  [ -n "${NPM_DONE:-}" ] && return
  if ! command -v npm >/dev/null; then
    echo "error: npm is required: install Node.js 20+ with npm" >&2
    exit 1
  fi
  local stamp=node_modules/.lock.sha256 want
  want=$(sha256sum package-lock.json | cut -d' ' -f1)
  if [ ! -x node_modules/.bin/buf ] || [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
    npm ci --no-audit --no-fund --loglevel=error
    echo "$want" > "$stamp"
  fi
  NPM_DONE=1
}

# The companion packages installed like a user's (.venv-companion,
# .node-companion), for the tests that call them.
need_companions() {
  [ -n "${COMPANIONS_DONE:-}" ] && return
  bash scripts/test_companions.sh
  COMPANIONS_DONE=1
}

# The metrics example, built, for tests/it/server/prometheus.rs.
need_metrics_example() {
  [ -n "${AUTH_ERROR_METRICS_EXAMPLE:-}" ] && return
  . scripts/example_bin.sh
  AUTH_ERROR_METRICS_EXAMPLE="$(example_bin --example metrics --all-features)"
  export AUTH_ERROR_METRICS_EXAMPLE
}

# Everything the #[ignore]d tests need. They are ignored so that a plain
# `cargo test` reports them as ignored, never as passed; the steps that run
# them use --include-ignored (no test is #[ignore]d for any other reason),
# and a missing environment fails them.
need_test_environments() {
  need_venv
  need_python_codegen
  need_npm
  need_companions
  debian_package redis-server
  debian_package prometheus
  need_metrics_example
}

# --- The steps ------------------------------------------------------------

step_buf() {
  step "buf lint and breaking (npm @bufbuild/buf)"
  need_npm
  node_modules/.bin/buf lint
  node_modules/.bin/buf breaking --against proto-baseline
  # The guard itself must bite, for the right reason: buf exits 100 when it
  # finds a breaking change (any other exit is a failure to run). A
  # renumbered and a renamed value each must give 100; the unchanged proto,
  # copied the same way, must pass (positive control).
  local tmp edit rc want
  tmp=$(mktemp -d)
  # The copy is a workspace like the repository's: its buf.yaml (the same
  # lint and breaking rules) and the proto under proto/.
  for edit in 's/TOKEN_EXPIRED = 1006;/TOKEN_EXPIRED = 1066;/' 's/TOKEN_EXPIRED = 1006;/TOKEN_HAS_EXPIRED = 1006;/' ''; do
    rm -rf "$tmp/ws" && mkdir -p "$tmp/ws/proto/auth/error/v1"
    cp buf.yaml "$tmp/ws/buf.yaml"
    sed "$edit" proto/auth/error/v1/auth_error.proto > "$tmp/ws/proto/auth/error/v1/auth_error.proto"
    rc=0
    (cd "$tmp/ws" && "$ROOT/node_modules/.bin/buf" breaking --against "$ROOT/proto-baseline") >"$tmp/out" 2>&1 || rc=$?
    want=100
    [ -z "$edit" ] && want=0
    if [ "$rc" -ne "$want" ]; then
      echo "error: buf breaking exited $rc for edit '${edit:-none}', expected $want:" >&2
      cat "$tmp/out" >&2
      rm -rf "$tmp"
      exit 1
    fi
  done
  rm -rf "$tmp"
  echo "buf breaking: exit 100 for renumbering and renaming, 0 for the unchanged proto"
}

step_companions() {
  step "companion packages: generate --check, build, install like a user, pytest, mypy, node --test"
  COMPANIONS_DONE=
  need_companions
}

step_test_default() {
  step "cargo test (default features, the default members: the crate and the CLI; the environment-needing tests reported as ignored)"
  cargo test
}

step_test_all() {
  step "cargo test --workspace --all-features -- --include-ignored (unit, integration, interop, doc tests; the CLI package)"
  need_test_environments
  cargo test --workspace --all-features -- --include-ignored
}

step_test_rust_crypto() {
  step "cargo test with the pure-Rust backend alone (jwt-rust-crypto instead of the default aws-lc-rs), ignored tests included"
  need_test_environments
  cargo test --no-default-features --features jwt-rust-crypto,oidc,axum,grpc-web --lib --tests -- --include-ignored
}

step_test_no_default() {
  step "cargo test --no-default-features --lib --tests -- --include-ignored"
  need_test_environments
  cargo test --no-default-features --lib --tests -- --include-ignored
}

step_features() {
  step "every feature alone, defaults off, builds (cargo hack --each-feature; cargo-hack from crates.io)"
  if ! command -v cargo-hack >/dev/null; then
    cargo install --quiet --locked cargo-hack@0.6.46 || {
      echo "error: cargo-hack is needed: cargo install --locked cargo-hack" >&2
      exit 1
    }
  fi
  cargo hack check --quiet --each-feature --no-dev-deps --lib -p auth-error
  step "feature combinations built at least once: jwt without a crypto backend, the layers without json"
  cargo build -q --no-default-features --features jwt --lib --tests
  cargo build -q --no-default-features --features jwt,serde --lib
}

step_good_citizen() {
  step "a good citizen: an application's own jsonwebtoken (rust_crypto, aws_lc_rs, none) and reqwest (absent, no TLS, rustls) beside auth-error"
  # tests/good-citizen/: its own workspace and target directory; each run
  # exits non-zero if auth-error changed the application's jsonwebtoken
  # backend, installed a process-wide provider, or failed to verify.
  local backend order out http
  for backend in rust_crypto aws_lc_rs ""; do
    for order in app-first auth-error-first; do
      out=$(cd tests/good-citizen && RUST_BACKTRACE=0 CARGO_TARGET_DIR="$ROOT/target/good-citizen" \
        cargo run -q --features "$backend" -- "$order" 2>&1) || {
        echo "error: good-citizen app (jsonwebtoken backend '${backend:-none}', $order) failed:" >&2
        echo "$out" >&2
        exit 1
      }
      echo "good-citizen: jsonwebtoken backend '${backend:-none}', $order: ok"
    done
  done
  # Another crate's reqwest 0.12 beside auth-error's `oidc`: absent, without a
  # TLS feature (jwt-authorizer 0.15's way), with rustls.
  for http in oidc oidc,reqwest oidc,reqwest-rustls; do
    out=$(cd tests/good-citizen && RUST_BACKTRACE=0 CARGO_TARGET_DIR="$ROOT/target/good-citizen" \
      cargo run -q --features "$http" -- http-clients 2>&1) || {
      echo "error: good-citizen app (features $http, http-clients) failed:" >&2
      echo "$out" >&2
      exit 1
    }
    echo "good-citizen: features $http, http-clients: ok"
  done
}

step_workspaces() {
  step "fuzz targets compile (a separate workspace, so they cannot rot unseen)"
  cargo check -q --manifest-path fuzz/Cargo.toml --bins
  step "the benchmark against the Rust peers compiles (peers-bench/, its own workspace)"
  cargo check -q --manifest-path peers-bench/Cargo.toml --bins --benches
}

step_package() {
  step "cargo package: the packaged crate (proto included, build.rs on its own) builds"
  cargo package -q --allow-dirty -p auth-error
}

step_pinned() {
  step "pinned files unchanged by the tests"
  git diff --exit-code -- tests/data tests/vectors openapi \
    python/src/auth_error/_generated.py typescript/src/generated.ts typescript/dist || {
    echo "error: the tests changed pinned files (an update variable was set?)" >&2
    exit 1
  }
}

step_browser() {
  step "browser: build the page (protoc-gen-es through buf, esbuild)"
  need_npm
  npm run --silent build:browser
  step "browser: Debian chromium (installed with apt-get when missing)"
  debian_package chromium
  /usr/bin/chromium --version
  step "browser: the page against the example server, on two origins (playwright-core)"
  . scripts/example_bin.sh
  node tests/browser/run.mjs "$(example_bin --example browser --features grpc-web,axum)"
}

step_quickstart() {
  step "cargo run --example quickstart (the README's main command exits 0)"
  cargo run -q --example quickstart > /dev/null
}

step_python_vectors() {
  step "python: test vectors with Google's protobuf runtime"
  need_venv
  "$AUTH_ERROR_PYTHON" tests/interop/check_vectors.py
}

# --- The list, in order ---------------------------------------------------
STEPS=(buf companions test_default test_all test_rust_crypto test_no_default
  features good_citizen workspaces package pinned browser quickstart python_vectors)

if [ "${1:-}" = --list ]; then
  printf '%s\n' "${STEPS[@]}"
  exit 0
fi
chosen=("${@:-${STEPS[@]}}")
for name in "${chosen[@]}"; do
  if ! declare -F "step_$name" >/dev/null; then
    echo "error: no step '$name'; the steps are: ${STEPS[*]}" >&2
    exit 1
  fi
done
for name in "${chosen[@]}"; do
  "step_$name"
done

echo
if [ $# -eq 0 ]; then
  echo "all tests passed"
else
  echo "steps passed: ${chosen[*]}"
fi
