//! Fuzzes everything that reads bytes from a peer: the details readers (as
//! `grpc-status-details-bin` payload) and the client guard's header sanitizer.
//! The checks live in `tests/it/support/decode_checks.rs`, which
//! `tests/it/wire/fuzz_regressions.rs` replays on every test run.
//!
//! Run: `cargo fuzz run decode -- -max_total_time=300` (from the repo root).
#![no_main]

#[path = "../../tests/it/support/decode_checks.rs"]
mod decode_checks;

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    decode_checks::check(data);
});
