//! Inputs the fuzzers (`fuzz/`: `decode` and `differential`) found
//! interesting or crashing, replayed on every test run through both
//! targets' checks (the same functions the targets call). Each file in
//! `fuzz/regressions/` is one input: first byte selects the status code, the
//! rest are the details bytes.

use crate::support::decode_checks;
use crate::support::differential;

#[test]
fn every_regression_input_passes_both_targets_checks() {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/fuzz/regressions");
    let mut count = 0;
    for entry in std::fs::read_dir(dir).expect("fuzz/regressions exists") {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|e| e == "md") {
            continue;
        }
        let data = std::fs::read(&path).unwrap();
        let outcome = std::panic::catch_unwind(|| {
            decode_checks::check(&data);
            if let Some((&selector, bytes)) = data.split_first() {
                differential::check(selector, bytes);
            }
        });
        if outcome.is_err() {
            panic!("{} fails a fuzz target's check", path.display());
        }
        count += 1;
    }
    assert!(
        count > 600,
        "fuzz/regressions holds the corpus ({count} inputs)"
    );
}
