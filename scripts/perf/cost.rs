//! Runs one attach/extract operation 10,000 times, for counting instructions
//! with callgrind (deterministic, unlike time on a shared machine):
//! `bash scripts/perf/instruction_ratios.sh`. `none` runs the same setup and no
//! operation, so its count is subtracted.
//!
//! Usage: `cost OPERATION`, an operation of `benches/support/workload.rs`
//! (`floor`, `floor_fresh`, `attach0`, `tt_attach0`, `attach3`, `tt_attach3`,
//! `attach3_literal`, `tt_attach3_literal`, `code`, `tt_code`, `full`,
//! `tt_full`) or `none`.

#[path = "../../benches/support/workload.rs"]
#[allow(dead_code, unreachable_pub)]
mod workload;

fn main() {
    let name = std::env::args().nth(1).expect("usage: cost OPERATION");
    let inputs = workload::Inputs::new();
    if name == "none" {
        return;
    }
    let ops = inputs.ops();
    let (_, op) = ops
        .iter()
        .find(|(n, _)| *n == name)
        .unwrap_or_else(|| panic!("unknown operation {name}"));
    for _ in 0..10_000 {
        op();
    }
}
