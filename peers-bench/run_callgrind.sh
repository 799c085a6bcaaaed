#!/usr/bin/env bash
# Instructions per request of auth-error's BearerAuthLayer and of each peer
# on the same axum route (src/lib.rs), counted by valgrind's callgrind
# (deterministic: the same binary gives the same counts on a busy or an idle
# machine). Per (router, case): (count(N) - count(0)) / N, count(0) being the
# same run with the set-up and the warm-up request only. Prints a markdown
# table with the peer/ours ratios (>= 1.00: auth-error runs fewer
# instructions than that peer).
#
# Usage: bash peers-bench/run_callgrind.sh [N]
#   N         requests counted per crypto case (default 1000; ten times as
#             many for the refusal without a token)
#   BACKEND   `rust-crypto` for jsonwebtoken 11 (auth-error,
#             tower-oauth2-resource-server) on RustCrypto instead of the
#             default aws-lc-rs
# Needs valgrind (apt-get install valgrind) and python3.
set -euo pipefail
# A failing count inside $(...) stops the script too.
shopt -s inherit_errexit
cd "$(dirname "$0")"
command -v valgrind >/dev/null || { echo "error: install valgrind (apt-get install valgrind)" >&2; exit 1; }
N=${1:-1000}
features=()
if [ "${BACKEND:-}" = rust-crypto ]; then
  features=(--no-default-features)
fi

# Build, and take the binary's path from cargo (wherever CARGO_TARGET_DIR is).
bin=$(cargo build -q --release --bin cost "${features[@]}" --message-format=json-render-diagnostics | python3 -c '
import json, sys
paths = [m["executable"] for m in map(json.loads, sys.stdin)
         if m.get("reason") == "compiler-artifact" and m.get("executable")
         and m["target"]["name"] == "cost"]
if not paths:
    sys.exit("error: cargo built no cost binary")
print(paths[-1])')

out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT

count() {
  if ! valgrind --tool=callgrind --callgrind-out-file="$out/cg" "$bin" "$@" >/dev/null 2>"$out/log"; then
    echo "error: cost $* failed:" >&2
    cat "$out/log" >&2
    exit 1
  fi
  local n
  n=$(sed -n 's/.*Collected : \([0-9]*\).*/\1/p' "$out/log")
  if [ -z "$n" ]; then
    echo "error: no instruction count for cost $*:" >&2
    cat "$out/log" >&2
    exit 1
  fi
  # aws-lc-rs seeds its random generator once, from CPU jitter: a few
  # hundred million instructions whose count differs from run to run. Taken
  # out (its inclusive count), the difference of two runs is the requests
  # alone, to the instruction.
  local jitter
  jitter=$(callgrind_annotate --auto=no --inclusive=yes --threshold=100 "$out/cg" 2>/dev/null |
    sed -n 's/^ *\([0-9,]*\) .*jitter_initialize_once \[.*/\1/p' | head -1 | tr -d ,) || jitter=0
  echo $(( n - ${jitter:-0} ))
}

# (count(W + n) - count(W)) / n: both runs pay the same set-up and W
# warm requests, so what differs between them is the n requests alone (the
# random generator's jitter seeding taken out by `count`). The refusal
# without a token is a few thousand instructions: 10 N of them.
W=10
per_request() {
  local n=$N
  [ "$2" = no_token ] && n=$(( N * 10 ))
  local low high
  low=$(count "$1" "$2" "$W")
  high=$(count "$1" "$2" $(( W + n )))
  echo $(( (high - low) / n ))
}

peers=(ours jwt_authorizer tower_oauth2 axum_jwt_auth)
cases=(accepted expired bad_signature no_token)
declare -A per
for case in "${cases[@]}"; do
  for peer in "${peers[@]}"; do
    echo "counting $peer $case" >&2
    per[$peer,$case]=$(per_request "$peer" "$case")
  done
done
echo "counting bare accepted" >&2
bare=$(per_request bare accepted)
echo "counting jsonwebtoken's decode alone" >&2
decode=$(per_request decode accepted)
echo "counting an introspection cache hit" >&2
# A few thousand instructions per request, as the refusal without a token:
# ten times as many requests.
low=$(count introspection_hit "$W")
high=$(count introspection_hit $(( W + N * 10 )))
introspection_hit=$(( (high - low) / (N * 10) ))
echo "counting a layer that does nothing" >&2
low=$(count passthrough "$W")
high=$(count passthrough $(( W + N * 10 )))
passthrough=$(( (high - low) / (N * 10) ))
# DPoP: each case signs one proof per request (the client's part, in the
# loop); `proofs` counts the signing alone, subtracted below.
declare -A dpop
for case in bearer accepted bad_signature proofs; do
  echo "counting dpop $case" >&2
  low=$(count dpop "$case" "$W")
  high=$(count dpop "$case" $(( W + N )))
  dpop[$case]=$(( (high - low) / N ))
done

backend=aws-lc-rs
[ "${BACKEND:-}" = rust-crypto ] && backend=RustCrypto

rows=""
for case in "${cases[@]}"; do
  rows+="$case"
  for peer in "${peers[@]}"; do
    rows+=" ${per[$peer,$case]}"
  done
  rows+=$'\n'
done

python3 - "$N" "$bare" "$backend" "$decode" "$introspection_hit" "${dpop[bearer]}" "${dpop[accepted]}" "${dpop[bad_signature]}" "${dpop[proofs]}" "$passthrough" <<EOF
import sys
n, bare, backend, decode = sys.argv[1], int(sys.argv[2]), sys.argv[3], int(sys.argv[4])
introspection_hit = int(sys.argv[5])
dpop_bearer, dpop_accepted, dpop_bad, dpop_proofs = map(int, sys.argv[6:10])
passthrough = int(sys.argv[10])
names = {"accepted": "accepted", "expired": "expired",
         "bad_signature": "bad signature", "no_token": "no token"}
def human(v):
    return f"{v / 1e6:.3f}M" if v >= 1e5 else f"{v / 1e3:.1f}k"
print("| per request | auth-error | jwt-authorizer | tower-oauth2-rs | axum-jwt-auth "
      "| jwt-authorizer / ours | tower-oauth2-rs / ours | axum-jwt-auth / ours |")
print("|---|---|---|---|---|---|---|---|")
for line in """$rows""".strip().splitlines():
    case, *vals = line.split()
    ours, *peers = map(int, vals)
    cells = [human(ours)] + [human(p) for p in peers]
    ratios = [f"{p / ours:.2f}" for p in peers]
    print(f"| {names[case]} | " + " | ".join(cells + ratios) + " |")
print()
print(f"Instructions per request under callgrind, (count(W + n) - count(W)) / n with n = {n} "
      f"(ten times that without a token, for the opaque token and for the do-nothing layer); "
      f"routing and the handler alone (no authentication): {human(bare)}. "
      f"jsonwebtoken 11 (auth-error, tower-oauth2-resource-server) on {backend}; "
      "jwt-authorizer on jsonwebtoken 9 (ring), axum-jwt-auth on jsonwebtoken 10 (RustCrypto).")
ours_accepted = int("""$rows""".split()[1])
print()
print(f"jsonwebtoken 11's own decode of the accepted token, alone: {human(decode)}; "
      f"auth-error's layer on an accepted request, routing taken out: {human(ours_accepted - bare)} "
      f"({ours_accepted - bare - decode:+,} instructions over the bare decode).")
print()
print(f"An opaque token served from IntrospectionVerifier's cache (keyed hash of the token, "
      f"lookup, time checks, the layer): {human(introspection_hit)} per request, "
      f"{introspection_hit / bare:.2f}x the bare router; "
      f"the same route behind a layer that does nothing: {human(passthrough)} "
      f"({passthrough / bare:.2f}x the bare router, what axum charges for any layer).")
print()
accepted_net, bad_net = dpop_accepted - dpop_proofs, dpop_bad - dpop_proofs
print("| DPoP (auth-error's layer, JwtVerifier on the test issuer's ES256 key) | per request | / bearer |")
print("|---|---|---|")
print(f"| bearer request, unbound token | {human(dpop_bearer)} | 1.00 |")
print(f"| DPoP request accepted (proof check, binding, replay record) | {human(accepted_net)} | {accepted_net / dpop_bearer:.2f} |")
print(f"| DPoP proof with a bad signature, refused | {human(bad_net)} | {bad_net / dpop_bearer:.2f} |")
print()
print(f"The client's proof signing ({human(dpop_proofs)} per proof, counted alone) is taken out "
      f"of both DPoP rows; refused / accepted: {bad_net / accepted_net:.2f}.")
EOF
