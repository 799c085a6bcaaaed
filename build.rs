//! Compiles `proto/` with prost-build through protox (pure Rust), so building
//! this crate never needs a system `protoc`.

use std::process::ExitCode;

const PROTO_DIR: &str = "proto";
const PROTO: &str = "proto/auth/error/v1/auth_error.proto";
const CODE_TABLE: &str = "src/code/table.rs";

/// Reads the rows of the code table (the same file the crate expands into
/// its properties) to write each variant's rustdoc line. Rows are in proto
/// order, so row `i` is the proto's value `i`: no name is re-derived here.
macro_rules! code_table {
    ($(
        $variant:ident => $grpc:ident, $num:literal $http:ident, $action:ident
        $(/ $delayed:ident)?, [$($challenge:ident)?];
    )*) => {
        [$(Row {
            grpc: stringify!($grpc),
            http: $num,
            action: stringify!($action),
            delayed: [$(stringify!($delayed))?].first().copied(),
            challenge: [$(stringify!($challenge))?].first().copied(),
        }),*]
    };
}

struct Row {
    grpc: &'static str,
    http: u16,
    action: &'static str,
    /// The client action when the error carries a retry delay, if other.
    delayed: Option<&'static str>,
    challenge: Option<&'static str>,
}

/// `PermissionDenied` -> `PERMISSION_DENIED`: how the doc line spells gRPC
/// codes and client actions.
fn screaming(camel: &str) -> String {
    let mut out = String::new();
    for (i, c) in camel.chars().enumerate() {
        if c.is_ascii_uppercase() && i > 0 {
            out.push('_');
        }
        out.push(c.to_ascii_uppercase());
    }
    out
}

/// The rustdoc line of a variant: its row, in words. `tests/it/wire/code_table.rs`
/// checks every line against the crate's own accessors.
fn variant_doc(row: &Row) -> String {
    let challenge = match row.challenge {
        Some("Missing") => "`Bearer` (no error attribute)".to_owned(),
        // RFC 9449's errors are challenges of the `DPoP` scheme.
        Some(c) => format!(
            "`{} error=\\\"{}\\\"`",
            if c.contains("Dpop") { "DPoP" } else { "Bearer" },
            screaming(c).to_ascii_lowercase()
        ),
        None => "none".to_owned(),
    };
    let action = match row.delayed {
        Some(delayed) => format!(
            "`{}` (`{}` with a retry delay)",
            screaming(row.action).to_ascii_lowercase(),
            screaming(delayed).to_ascii_lowercase()
        ),
        None => format!("`{}`", screaming(row.action).to_ascii_lowercase()),
    };
    format!(
        "#[doc = \"\\n\\n**gRPC** `{}` · **HTTP** {} · **client action** {} · **challenge** {}\"]",
        screaming(row.grpc),
        row.http,
        action,
        challenge
    )
}

fn main() -> ExitCode {
    // prost-build prints no rerun-if-changed lines of its own.
    println!("cargo:rerun-if-changed={PROTO_DIR}");
    println!("cargo:rerun-if-changed=build.rs");
    println!("cargo:rerun-if-changed={CODE_TABLE}");

    // protox errors are miette diagnostics; `{:?}` renders file:line:col with
    // the offending source line, which is what a proto author needs to see.
    let descriptors = match protox::compile([PROTO], [PROTO_DIR]) {
        Ok(fds) => fds,
        Err(err) => {
            eprintln!("error: cannot compile {PROTO}:\n{}", miette_report(err));
            return ExitCode::FAILURE;
        }
    };
    let values = match write_value_docs(&descriptors) {
        Ok(values) => values,
        Err(err) => {
            eprintln!("error: {PROTO}: AuthErrorCode: {err}");
            return ExitCode::FAILURE;
        }
    };
    let rows = include!("src/code/table.rs");
    if rows.len() != values.len() {
        eprintln!(
            "error: {CODE_TABLE} has {} rows but {PROTO} declares {} AuthErrorCode values",
            rows.len(),
            values.len()
        );
        return ExitCode::FAILURE;
    }
    let mut config = prost_build::Config::new();
    config.enable_type_names();
    // Adding a code must not break downstream `match`es; inside the crate the
    // code table stays exhaustive.
    config.enum_attribute(".auth.error.v1.AuthErrorCode", "#[non_exhaustive]");
    for (row, value) in rows.iter().zip(&values) {
        config.field_attribute(
            format!(".auth.error.v1.AuthErrorCode.{value}"),
            variant_doc(row),
        );
    }
    if let Err(err) = config.compile_fds(descriptors) {
        eprintln!("error: prost-build failed on {PROTO}: {err}");
        return ExitCode::FAILURE;
    }
    ExitCode::SUCCESS
}

/// Writes `$OUT_DIR/auth_error_code_docs.rs` from the proto's comments, the
/// one place a value is described: for every `AuthErrorCode` value in proto
/// order, `(description, comment, group)` — the description is the comment's
/// first paragraph as a status message (`"the bearer token has expired"`),
/// the comment is the whole leading comment on one line, the group is the
/// heading of the block it is declared in (`"Session errors"`; the last
/// detached comment above it). Returns the value names, in order.
fn write_value_docs(fds: &prost_types::FileDescriptorSet) -> Result<Vec<String>, String> {
    // Source paths: 5 = FileDescriptorProto.enum_type, 2 = EnumDescriptorProto.value.
    let file = fds
        .file
        .iter()
        .find(|f| f.name() == "auth/error/v1/auth_error.proto")
        .ok_or("the proto file is missing from the descriptor set")?;
    let (enum_index, values) = file
        .enum_type
        .iter()
        .enumerate()
        .find(|(_, e)| e.name() == "AuthErrorCode")
        .map(|(i, e)| (i as i32, &e.value))
        .ok_or("enum AuthErrorCode is missing")?;
    let info = file
        .source_code_info
        .as_ref()
        .ok_or("protox produced no source info")?;
    let one_line = |c: &str| c.split_whitespace().collect::<Vec<_>>().join(" ");
    let mut rows = Vec::new();
    let mut group = String::new();
    for (index, value) in values.iter().enumerate() {
        let location = info
            .location
            .iter()
            .find(|l| l.path == [5, enum_index, 2, index as i32])
            .ok_or_else(|| format!("{} has no source location", value.name()))?;
        if let Some(heading) = location.leading_detached_comments.last() {
            group = one_line(heading);
        }
        let comment = location.leading_comments();
        let summary = one_line(comment.split("\n\n").next().unwrap_or(""));
        let description = status_message(&summary)
            .map_err(|why| format!("the first paragraph of {}'s comment {why}", value.name()))?;
        rows.push(format!(
            "({description:?}, {:?}, {group:?})",
            one_line(comment)
        ));
    }
    let out = std::env::var("OUT_DIR").map_err(|e| e.to_string())?;
    let text = format!("[{}]\n", rows.join(",\n"));
    std::fs::write(
        std::path::Path::new(&out).join("auth_error_code_docs.rs"),
        text,
    )
    .map_err(|e| e.to_string())?;
    Ok(values.iter().map(|v| v.name().to_owned()).collect())
}

/// `"The bearer token has expired."` -> `"the bearer token has expired"`.
/// The sentence goes on the wire as the default status message, so it must
/// be one plain sentence: capitalised, one final period, no markup.
fn status_message(sentence: &str) -> Result<String, &'static str> {
    let body = sentence
        .strip_suffix('.')
        .ok_or("must be one sentence ending with a period")?;
    if body.contains(". ") || body.contains(['`', '*', '[', '\\']) {
        return Err("must be one sentence without markup (it is the default status message)");
    }
    let mut chars = body.chars();
    match chars.next() {
        Some(first) if first.is_ascii_uppercase() => {
            Ok(first.to_ascii_lowercase().to_string() + chars.as_str())
        }
        _ => Err("must start with a capital letter"),
    }
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
