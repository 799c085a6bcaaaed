#!/usr/bin/env python3
"""Runs the criterion benchmark `attach_extract` several times and prints the
ratio table for the README (Markdown): per operation, the median over runs of
each run's median-based ratio. The machine is shared and noisy, so one run's
ratio is not trusted on its own.

Usage: python3 scripts/perf/bench_ratios.py [--runs N]   (default 3; N=0 reads the last run only)
"""

import json
import os
import statistics
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.join(HERE, "..", "..")
CRITERION = os.path.join(ROOT, "target", "criterion")


def median_ns(group, name):
    path = os.path.join(CRITERION, group, name, "new", "estimates.json")
    try:
        with open(path) as f:
            return json.load(f)["median"]["point_estimate"]
    except FileNotFoundError:
        sys.exit(f"missing {path}: run `cargo bench --bench attach_extract` first")


def one_run():
    """Medians (ns) of the last criterion run, by (group, function)."""
    names = {
        "attach_no_metadata": ["floor_status_new", "floor_status_with_fresh_details", "auth_error", "tonic_types"],
        "attach_3_metadata": ["floor_status_new", "auth_error", "tonic_types"],
        "attach_3_literal_keys": ["floor_status_new", "auth_error", "tonic_types"],
        "extract_code": ["auth_error", "tonic_types"],
        "extract_full": ["auth_error", "tonic_types"],
    }
    return {(g, n): median_ns(g, n) for g, ns in names.items() for n in ns}


def ratios(m):
    g0, g3 = "attach_no_metadata", "attach_3_metadata"
    return {
        "attach0_vs_floor": m[g0, "auth_error"] / m[g0, "floor_status_new"],
        "fresh_floor_vs_floor": m[g0, "floor_status_with_fresh_details"] / m[g0, "floor_status_new"],
        "attach0_speedup": m[g0, "tonic_types"] / m[g0, "auth_error"],
        "attach3_speedup": m[g3, "tonic_types"] / m[g3, "auth_error"],
        "attach3_literal_speedup": m["attach_3_literal_keys", "tonic_types"]
        / m["attach_3_literal_keys", "auth_error"],
        "code_speedup": m["extract_code", "tonic_types"] / m["extract_code", "auth_error"],
        "full_speedup": m["extract_full", "tonic_types"] / m["extract_full", "auth_error"],
    }


def main():
    runs = 3
    if "--runs" in sys.argv:
        runs = int(sys.argv[sys.argv.index("--runs") + 1])
    medians, all_ratios = [], []
    for i in range(max(runs, 1)):
        if runs:
            print(f"run {i + 1}/{runs}: cargo bench --bench attach_extract", file=sys.stderr)
            subprocess.run(["cargo", "bench", "--bench", "attach_extract"], cwd=ROOT, check=True,
                           stdout=subprocess.DEVNULL)
        m = one_run()
        medians.append(m)
        all_ratios.append(ratios(m))
    r = {k: statistics.median(run[k] for run in all_ratios) for k in all_ratios[0]}
    spread = {k: (min(run[k] for run in all_ratios), max(run[k] for run in all_ratios)) for k in all_ratios[0]}

    def cell(key):
        lo, hi = spread[key]
        return f"{r[key]:.2f}x (runs: {lo:.2f}–{hi:.2f})"

    print(f"Time, criterion, {len(all_ratios)} run(s) (ratio = median of the runs' median-based ratios):\n")
    print("| operation | measured | target |")
    print("|---|---|---|")
    print(f"| attach, no metadata, vs plain `Status::new` | {cell('attach0_vs_floor')} `Status::new`; "
          f"any fresh details buffer alone: {cell('fresh_floor_vs_floor')} | at most 1.5x |")
    print(f"| attach, no metadata, vs tonic-types | {cell('attach0_speedup')} faster | 2.5x faster |")
    print(f"| attach, 3 documented keys, vs tonic-types | {cell('attach3_speedup')} faster | 1.5x faster |")
    print(f"| attach, 3 literal keys, vs tonic-types | {cell('attach3_literal_speedup')} faster | 1.5x faster |")
    print(f"| `auth_error_code()` vs tonic-types | {cell('code_speedup')} faster, 0 allocations | 4x faster |")
    print(f"| `auth_error()` vs tonic-types | {cell('full_speedup')} faster | 2x faster |")


if __name__ == "__main__":
    main()
