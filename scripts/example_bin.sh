# Sourced by the scripts that run an example binary: builds it and prints
# its path as cargo reports it, so the scripts work wherever cargo puts its
# output (CARGO_TARGET_DIR, a shared target directory, --release).
# Usage: bin=$(example_bin --example NAME [cargo build flags...])
example_bin() {
  cargo build -q "$@" --message-format=json-render-diagnostics | python3 -c '
import json, sys
paths = [m["executable"] for m in map(json.loads, sys.stdin)
         if m.get("reason") == "compiler-artifact" and m.get("executable")
         and "example" in m["target"]["kind"]]
if not paths:
    sys.exit("error: cargo built no example binary")
print(paths[-1])'
}
