//! Tests of `auth_error::wire` and what it builds on.

mod attach;
mod code_table;
mod context;
mod differential;
mod extract;
mod fuzz_regressions;
mod no_leaks;
mod properties;
mod vectors;
mod wire_format;
