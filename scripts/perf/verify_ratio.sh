#!/usr/bin/env bash
# Instructions of one ES256 verification with keys from the key set cache
# (`JwtVerifier::from_jwks_url`, keys held) against keys handed over
# (`JwtVerifier::new`), counted by callgrind: (count(n) - count(0)) / n, so
# start-up and the one fetch cancel out. Needs valgrind.
# Usage: bash scripts/perf/verify_ratio.sh [n]
set -euo pipefail
cd "$(dirname "$0")/../.."
command -v valgrind >/dev/null || { echo "error: install valgrind (apt-get install valgrind)" >&2; exit 1; }
n=${1:-200}
. scripts/example_bin.sh
bin=$(example_bin --release --features oidc --example verify_cost)
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
count() {
  valgrind --tool=callgrind --callgrind-out-file="$out/cg" "$bin" "$1" "$2" 2>&1 \
    | sed -n 's/.*Collected : \([0-9]*\).*/\1/p'
}
static=$(( ($(count static "$n") - $(count static 0)) / n ))
remote=$(( ($(count remote "$n") - $(count remote 0)) / n ))
echo "| ES256 verification | instructions |"
echo "|---|---|"
echo "| \`JwtVerifier::new\` (key handed over) | $static |"
echo "| \`JwtVerifier::from_jwks_url\` (keys from the cache) | $remote |"
python3 -c "print(f'| ratio | {$remote / $static:.3f}x |')"
