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

/// The venv's Python (`.venv/bin/python`, or `AUTH_ERROR_PYTHON`), with
/// `needs` (the packages the caller uses) installed and the files of `also`
/// (paths from the repository root that the test command generates) there.
/// When any is missing it panics saying what to run: the tests that call it
/// are `#[ignore]`d under a plain `cargo test`, and `bash scripts/test.sh`
/// (which builds all of it) runs them.
pub fn venv_python(needs: &str, also: &[&str]) -> PathBuf {
    let path = python_path();
    let missing = if !path.exists() {
        Some(format!("{} with {needs}", path.display()))
    } else {
        also.iter()
            .find(|f| !root().join(f).exists())
            .map(|f| (*f).to_owned())
    };
    if let Some(missing) = missing {
        panic!(
            "this test needs {missing}: run `bash scripts/test.sh` (it creates .venv from \
             tests/interop/requirements.txt and generates the Python code), or set \
             AUTH_ERROR_PYTHON to a Python with {needs}"
        );
    }
    path
}
