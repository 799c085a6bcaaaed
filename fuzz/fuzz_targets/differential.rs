//! Differential fuzzing: for any details bytes, this crate's readers succeed
//! only where prost decodes the same `google.rpc.Status`, and read the same
//! code, reason, domain, metadata and details (the oracle of
//! `tests/it/wire/differential.rs`).
//!
//! Run: `cargo fuzz run differential --sanitizer none -- -max_total_time=300`
//! (from the repo root). Its corpus is kept in `fuzz/regressions/` and
//! replayed by `tests/it/wire/fuzz_regressions.rs`.
#![no_main]

#[path = "../../tests/it/support/differential.rs"]
mod differential;

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Some((&selector, bytes)) = data.split_first() else {
        return;
    };
    differential::check(selector, bytes);
});
