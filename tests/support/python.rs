//! The Python of the test command's `.venv` (built by `scripts/test.sh` from
//! `tests/interop/requirements.txt`), shared by the tests that drive it.
#![allow(dead_code, unreachable_pub)]

use std::path::PathBuf;

/// The repository root.
pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// `AUTH_ERROR_PYTHON`, or `.venv/bin/python`.
fn python_path() -> PathBuf {
    std::env::var_os("AUTH_ERROR_PYTHON")
        .map(PathBuf::from)
        .unwrap_or_else(|| root().join(".venv/bin/python"))
}

/// Whether the Python environment (and `also`, a file it generates) is
/// there. When it is not: under `AUTH_ERROR_REQUIRE_INTEROP=1` (what the
/// test command sets, so CI never skips) the test fails saying what to run;
/// under a plain `cargo test` it prints that it was skipped and why, and the
/// caller returns. `needs` names the packages the caller uses.
pub fn interop_ready(needs: &str, also: Option<&str>) -> bool {
    let path = python_path();
    let missing = if !path.exists() {
        Some(format!("{} with {needs}", path.display()))
    } else {
        also.filter(|f| !root().join(f).exists()).map(str::to_owned)
    };
    let Some(missing) = missing else {
        return true;
    };
    let what = format!(
        "this test needs {missing}: run `bash scripts/test.sh` (it creates .venv from \
         tests/interop/requirements.txt and generates the Python code), or set AUTH_ERROR_PYTHON"
    );
    if std::env::var_os("AUTH_ERROR_REQUIRE_INTEROP").is_some() {
        panic!("{what}");
    }
    eprintln!("skipped: {what}");
    false
}

/// The venv's Python; call [`interop_ready`] first.
pub fn venv_python(needs: &str) -> PathBuf {
    let path = python_path();
    assert!(path.exists(), "{} with {needs} is missing", path.display());
    path
}
