//! The Python of the test command's `.venv` (built by `scripts/test.sh` from
//! `tests/interop/requirements.txt`), shared by the tests that drive it.
#![allow(dead_code, unreachable_pub)]

use std::path::PathBuf;

/// The repository root.
pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// `AUTH_ERROR_PYTHON`, or `.venv/bin/python`; fails (never skips) saying
/// what to run when it is missing. `needs` names the packages the caller uses.
pub fn venv_python(needs: &str) -> PathBuf {
    let path = std::env::var_os("AUTH_ERROR_PYTHON")
        .map(PathBuf::from)
        .unwrap_or_else(|| root().join(".venv/bin/python"));
    assert!(
        path.exists(),
        "this test needs {} with {needs}: run `bash scripts/test.sh` (it creates .venv from \
         tests/interop/requirements.txt), or set AUTH_ERROR_PYTHON",
        path.display()
    );
    path
}
