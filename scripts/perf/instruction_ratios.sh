#!/usr/bin/env bash
# Instructions per operation, counted by valgrind's callgrind (deterministic:
# the same binary gives the same counts on a busy or an idle machine), for the
# operations of benches/attach_extract.rs. Needs valgrind.
# Usage: bash scripts/perf/instruction_ratios.sh
set -euo pipefail
cd "$(dirname "$0")/../.."
command -v valgrind >/dev/null || { echo "error: install valgrind (apt-get install valgrind)" >&2; exit 1; }
. scripts/example_bin.sh
bin=$(example_bin --release --example cost)
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
count() {
  valgrind --tool=callgrind --callgrind-out-file="$out/cg" "$bin" "$1" 2>&1 \
    | sed -n 's/.*Collected : \([0-9]*\).*/\1/p'
}
base=$(count none)
declare -A per
for op in floor floor_fresh attach0 tt_attach0 attach3 tt_attach3 attach3_literal tt_attach3_literal code tt_code full tt_full; do
  per[$op]=$(( ($(count "$op") - base) / 10000 ))
done
ratio() { python3 -c "print(f'{$1 / $2:.2f}')"; }
echo "| operation | auth-error | tonic-types | ratio |"
echo "|---|---|---|---|"
echo "| attach, no metadata (\`Status::new\`: ${per[floor]}; fresh details floor: ${per[floor_fresh]}) | ${per[attach0]} | ${per[tt_attach0]} | $(ratio "${per[attach0]}" "${per[floor_fresh]}")x the fresh details floor; $(ratio "${per[tt_attach0]}" "${per[attach0]}")x fewer than tonic-types |"
echo "| attach, 3 metadata, documented keys (\`keys::TENANT_ID\`…) | ${per[attach3]} | ${per[tt_attach3]} | $(ratio "${per[tt_attach3]}" "${per[attach3]}")x fewer |"
echo "| attach, 3 metadata, literal keys (\`\"userId\"\`…) | ${per[attach3_literal]} | ${per[tt_attach3_literal]} | $(ratio "${per[tt_attach3_literal]}" "${per[attach3_literal]}")x fewer |"
echo "| \`auth_error_code()\` | ${per[code]} | ${per[tt_code]} | $(ratio "${per[tt_code]}" "${per[code]}")x fewer |"
echo "| \`auth_error()\` | ${per[full]} | ${per[tt_full]} | $(ratio "${per[tt_full]}" "${per[full]}")x fewer |"
