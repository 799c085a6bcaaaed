#!/usr/bin/env python3
"""Prints the ratio table of the last `cargo bench --bench attach_extract` run
from criterion's estimates (medians), as Markdown for the README."""

import json
import os
import sys

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "target", "criterion")


def median_ns(group, name):
    path = os.path.join(ROOT, group, name, "new", "estimates.json")
    try:
        with open(path) as f:
            return json.load(f)["median"]["point_estimate"]
    except FileNotFoundError:
        sys.exit(f"missing {path}: run `cargo bench --bench attach_extract` first")


def main():
    rows = []
    g = "attach_no_metadata"
    floor = median_ns(g, "floor_status_new")
    fresh = median_ns(g, "floor_status_with_fresh_details")
    ours = median_ns(g, "auth_error")
    theirs = median_ns(g, "tonic_types")
    rows.append(("attach, no metadata", ours, theirs,
                 f"{ours / floor:.2f}x `Status::new` (floor with a fresh details buffer: {fresh / floor:.2f}x); "
                 f"{theirs / ours:.2f}x faster than tonic-types (target 1.5x floor, 2.5x faster)"))
    g = "attach_3_metadata"
    floor3 = median_ns(g, "floor_status_new")
    ours = median_ns(g, "auth_error")
    theirs = median_ns(g, "tonic_types")
    rows.append(("attach, 3 metadata", ours, theirs,
                 f"{ours / floor3:.2f}x `Status::new`; {theirs / ours:.2f}x faster than tonic-types (target 1.5x faster)"))
    for g, label, target in (("extract_code", "`auth_error_code()`", "4x"), ("extract_full", "`auth_error()`", "2x")):
        ours = median_ns(g, "auth_error")
        theirs = median_ns(g, "tonic_types")
        rows.append((label, ours, theirs, f"{theirs / ours:.2f}x faster than tonic-types (target {target})"))
    print("| operation | auth-error (median) | tonic-types (median) | ratio |")
    print("|---|---|---|---|")
    for label, ours, theirs, ratio in rows:
        print(f"| {label} | {ours:.0f} ns | {theirs:.0f} ns | {ratio} |")


if __name__ == "__main__":
    main()
