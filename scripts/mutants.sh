#!/usr/bin/env bash
# Mutation testing of the security-relevant code with cargo-mutants 27.x
# (.cargo/mutants.toml): each area with the test targets that guard it, one
# job at a time, in a copy of the tree with a shared target directory
# (MUTANTS_TARGET, default /tmp/auth-error-mutants-target) so only the first
# build is a full one. Results in mutants.out/ (caught, missed, timeouts).
#
# Usage: bash scripts/mutants.sh [AREA...]
#   AREA: key-set, bearer, routes, credentials, rules (default: all)
# Needs: cargo install --locked cargo-mutants   (27.x)
set -euo pipefail
cd "$(dirname "$0")/.."
command -v cargo-mutants >/dev/null || {
  echo "error: install cargo-mutants: cargo install --locked cargo-mutants" >&2
  exit 1
}
export CARGO_TARGET_DIR=${MUTANTS_TARGET:-/tmp/auth-error-mutants-target}

run() {
  local area=$1 file=$2
  shift 2
  # The integration tests are one binary (tests/it): it runs whole, the
  # modules named after the file are the ones that guard it; a name with
  # no `::` is a test binary of its own (provider_client).
  local tests=(--cargo-test-arg=--test --cargo-test-arg=it)
  for t in "$@"; do
    case $t in *::*) ;; *) tests+=(--cargo-test-arg=--test --cargo-test-arg="$t") ;; esac
  done
  echo "==> $area: $file (tests: $*)"
  mkdir -p "mutants.out/$area"
  cargo mutants -j 1 --no-shuffle --file "$file" --output "mutants.out/$area" \
    --cargo-test-arg=--lib "${tests[@]}" || true
}

areas=("${@:-key-set bearer routes credentials rules}")
for area in ${areas[@]}; do
  case $area in
    key-set) run key-set src/jwt/remote.rs jwt::key_set jwt::oidc provider_client ;;
    bearer) run bearer 'src/server/bearer/*.rs' server::bearer_auth server::bypass server::layer_exits server::step_up server::grpc_web server::dpop ;;
    routes) run routes 'src/jwt/{mod,verify,decode,claims,keys}.rs' jwt::jwt_verifier jwt::key_set server::step_up ;;
    credentials) run credentials 'src/client/credentials/*.rs' client::credentials ;;
    rules) run rules 'src/{rules/*.rs,secrets.rs}' wire::no_leaks wire::attach wire::extract http::exits ;;
    *) echo "error: unknown area $area" >&2; exit 1 ;;
  esac
done
echo
for area in mutants.out/*/; do
  [ -d "$area/mutants.out" ] || continue
  echo "$(basename "$area"): caught $(wc -l < "$area/mutants.out/caught.txt" 2>/dev/null || echo 0)," \
    "missed $(wc -l < "$area/mutants.out/missed.txt" 2>/dev/null || echo 0)," \
    "timeout $(wc -l < "$area/mutants.out/timeout.txt" 2>/dev/null || echo 0)," \
    "unviable $(wc -l < "$area/mutants.out/unviable.txt" 2>/dev/null || echo 0)"
done
