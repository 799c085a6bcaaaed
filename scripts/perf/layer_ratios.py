#!/usr/bin/env python3
"""Runs `cargo bench --bench layers` several times and prints, per group,
each function's throughput relative to the group's baseline (baseline time /
function time, so 0.95 means 95 % of the baseline's calls per second): the
run whose ratio of criterion medians is the median of the runs' (the lower
middle one for an even count), with that run's two medians, so the row's
own figures reproduce its ratio; the other runs' ratios follow.

Usage: python3 scripts/perf/layer_ratios.py [--runs N]   (default 3; 0 reads the last run)
"""

import json
import os
import statistics
import subprocess
import sys

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..")
CRITERION = os.path.join(ROOT, "target", "criterion")
# group -> (baseline, [functions])
GROUPS = {
    "accepted_calls_x64": ("no_verification", ["bearer_hs256", "bearer_hs256_cached"]),
    "client_calls_x64": ("header_by_hand", ["credentials_layer"]),
}


def median_ns(group, name):
    path = os.path.join(CRITERION, group, name, "new", "estimates.json")
    if not os.path.exists(path):
        return None
    with open(path) as f:
        return json.load(f)["median"]["point_estimate"]


def main():
    runs = 3
    if "--runs" in sys.argv:
        runs = int(sys.argv[sys.argv.index("--runs") + 1])
    ratios = {}
    for _ in range(max(runs, 1)):
        if runs:
            subprocess.run(["cargo", "bench", "--bench", "layers"], cwd=ROOT, check=True,
                           stdout=subprocess.DEVNULL)
        for group, (base, names) in GROUPS.items():
            b = median_ns(group, base)
            for name in names:
                t = median_ns(group, name)
                if b and t:
                    ratios.setdefault((group, name), []).append((b / t, b, t))
    print("| group | function | baseline median | function median | throughput ratio (the median run) | every run |")
    print("|---|---|---|---|---|---|")
    for (group, name), rs in ratios.items():
        r, b, t = median_run(rs)
        spread = ", ".join(f"{x[0]:.2f}" for x in rs)
        print(f"| {group} | {name} | {b / 1e6:.3f} ms | {t / 1e6:.3f} ms | {r:.2f}x | {spread} |")


def median_run(runs):
    """The run whose ratio is the median (the lower middle one for an even
    count): its ratio is exactly its baseline median over its function
    median, the two figures printed beside it."""
    ordered = sorted(runs, key=lambda x: x[0])
    return ordered[(len(ordered) - 1) // 2]


def _check():
    # The printed medians reproduce the printed ratio, whatever the runs.
    runs = [(2.0 / 1.0, 2.0, 1.0), (3.0 / 2.5, 3.0, 2.5), (1.0 / 1.1, 1.0, 1.1)]
    r, b, t = median_run(runs)
    assert abs(r - b / t) < 1e-12 and r == 3.0 / 2.5


if __name__ == "__main__":
    _check()
    main()
