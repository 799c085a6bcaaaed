//! Compiles `proto/` with prost-build through protox (pure Rust), so building
//! this crate never needs a system `protoc`.

use std::process::ExitCode;

const PROTO_DIR: &str = "proto";
const PROTO: &str = "proto/auth/error/v1/auth_error.proto";

fn main() -> ExitCode {
    // prost-build prints no rerun-if-changed lines of its own.
    println!("cargo:rerun-if-changed={PROTO_DIR}");
    println!("cargo:rerun-if-changed=build.rs");

    // protox errors are miette diagnostics; `{:?}` renders file:line:col with
    // the offending source line, which is what a proto author needs to see.
    let descriptors = match protox::compile([PROTO], [PROTO_DIR]) {
        Ok(fds) => fds,
        Err(err) => {
            eprintln!("error: cannot compile {PROTO}:\n{}", miette_report(err));
            return ExitCode::FAILURE;
        }
    };
    let mut config = prost_build::Config::new();
    config.enable_type_names();
    if let Err(err) = config.compile_fds(descriptors) {
        eprintln!("error: prost-build failed on {PROTO}: {err}");
        return ExitCode::FAILURE;
    }
    ExitCode::SUCCESS
}

/// Renders a protox error as `path:line:col: message` for every labelled span,
/// so that a mistake in the proto points at its place like a compiler would.
fn miette_report(err: protox::Error) -> String {
    use miette::Diagnostic;
    let mut out = String::new();
    let file = err.file().map(str::to_owned);
    let source = file
        .as_deref()
        .and_then(|f| std::fs::read_to_string(std::path::Path::new(PROTO_DIR).join(f)).ok());
    if let (Some(file), Some(source), Some(labels)) = (&file, &source, err.labels()) {
        for label in labels {
            let offset = label.offset().min(source.len());
            let before = &source[..offset];
            let line = before.matches('\n').count() + 1;
            let col = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
            let what = label.label().unwrap_or("here");
            out.push_str(&format!("{PROTO_DIR}/{file}:{line}:{col}: {err}: {what}\n"));
        }
    }
    if out.is_empty() {
        out = err.to_string();
    }
    out
}
