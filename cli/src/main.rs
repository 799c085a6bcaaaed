//! `auth-error`: the AuthErrorCode table, and the `grpc-status-details-bin`
//! header from your logs, made readable. Its own package in the workspace,
//! built on the public API of `auth-error` only.
//!
//! Exit codes: 0 success, 1 bad input (unknown code, garbage details, details
//! the strict reader finds a problem in, an error that cannot be encoded), 2
//! usage error. Text a peer sent is printed with control characters escaped
//! (text and JSON alike), and what the crate's exits would never send is
//! withheld here too: the value under a secret metadata key (its name is
//! shown) and any text that looks like a credential.

use std::process::ExitCode;
use std::time::Duration;

use auth_error::rest::BodyDetail;
use auth_error::{
    AuthError, AuthErrorCode, AuthStatusExt, grpc_status_name, is_secret_metadata_key,
    looks_like_credential,
};
use base64::Engine as _;
use base64::engine::{DecodePaddingMode, GeneralPurpose, GeneralPurposeConfig};
use clap::{Parser, Subcommand};
use prost::Message;
use serde_json::{Value, json};

/// One detail in its proto3 JSON form (the REST body's typed detail), with
/// what the crate's exits would never send withheld ([`withhold`]).
fn detail_json(any: &prost_types::Any) -> Value {
    let mut value = serde_json::to_value(BodyDetail::from_any(any)).unwrap_or(Value::Null);
    withhold(&mut value, None);
    value
}

/// Shown in place of a value under a secret key name.
const WITHHELD_SECRET: &str = "[withheld: secret key]";
/// Shown in place of a text that looks like a credential.
const WITHHELD_CREDENTIAL: &str = "[withheld: looks like a credential]";

/// A peer's text, withheld when it looks like a credential (the crate's
/// text rule), so a header pasted from logs is not re-broadcast in clear.
fn withheld_text(text: &str) -> &str {
    match looks_like_credential(text) {
        true => WITHHELD_CREDENTIAL,
        false => text,
    }
}

/// Withholds, in place, every string of a peer's detail that the crate's
/// exits would not send: a value under a secret key name (any member of any
/// object, ErrorInfo metadata included; the name stays) and any text that
/// looks like a credential.
fn withhold(value: &mut Value, key: Option<&str>) {
    match value {
        Value::String(text) => {
            if key.is_some_and(is_secret_metadata_key) {
                *text = WITHHELD_SECRET.to_owned();
            } else if looks_like_credential(text) {
                *text = WITHHELD_CREDENTIAL.to_owned();
            }
        }
        Value::Array(items) => items.iter_mut().for_each(|item| withhold(item, key)),
        Value::Object(members) => members
            .iter_mut()
            .for_each(|(name, member)| withhold(member, Some(name))),
        Value::Null | Value::Bool(_) | Value::Number(_) => {}
    }
}

/// JSON safe for a terminal: serde_json escapes C0 controls; DEL and the C1
/// controls (U+0080 to U+009F, the 8-bit CSI among them) are escaped here
/// too, as `\u00XX` (they only occur inside JSON strings).
fn json_for_terminal(json: &str) -> String {
    let mut out = String::with_capacity(json.len());
    for c in json.chars() {
        if matches!(c, '\u{7f}'..='\u{9f}') {
            use std::fmt::Write as _;
            let _ = write!(out, "\\u{:04x}", u32::from(c));
        } else {
            out.push(c);
        }
    }
    out
}

/// Explain, decode and encode auth-error codes and gRPC error details.
#[derive(Parser, Debug)]
#[command(name = "auth-error", version, about, long_about = None)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// List every code: name, number, gRPC code, HTTP status, client action.
    Codes {
        /// Print JSON instead of a table.
        #[arg(long)]
        json: bool,
    },
    /// Explain one code (name, case-insensitive, or number).
    Explain {
        /// The code: its name (e.g. TOKEN_EXPIRED, any case) or its number.
        code: String,
    },
    /// Decode a grpc-status-details-bin value (padded or unpadded base64).
    Decode {
        /// The header value; a leading "grpc-status-details-bin:" is ignored.
        value: String,
        /// Print JSON instead of text.
        #[arg(long)]
        json: bool,
        /// The ErrorInfo domain to interpret.
        #[arg(long, default_value = auth_error::DOMAIN)]
        domain: String,
        /// The `dpop-nonce` response metadata (HTTP: the `DPoP-Nonce`
        /// header) that came with the status, shown with a DPoP refusal.
        #[arg(long)]
        dpop_nonce: Option<String>,
    },
    /// Print the grpc-status-details-bin value (unpadded base64) of an error,
    /// for mocks and grpcurl.
    Encode {
        /// The code: its name (e.g. TOKEN_EXPIRED, any case) or its number.
        code: String,
        /// The status message (default: the code's description).
        #[arg(long)]
        message: Option<String>,
        /// A metadata entry, key=value (repeatable).
        #[arg(long = "meta", value_name = "KEY=VALUE")]
        meta: Vec<String>,
        /// The ErrorInfo domain.
        #[arg(long)]
        domain: Option<String>,
        /// Attach a RetryInfo with this many seconds.
        #[arg(long, value_name = "SECONDS")]
        retry_after: Option<u64>,
    },
}

/// Appends a line to the command's output (written once, at the end, so a
/// closed pipe such as `| head` ends the program quietly instead of panicking).
macro_rules! outln {
    ($out:expr, $($arg:tt)*) => {{
        use std::fmt::Write as _;
        let _ = writeln!($out, $($arg)*);
    }};
}

/// Base64 as gRPC peers send it: standard alphabet, padding optional.
const BASE64: GeneralPurpose = GeneralPurpose::new(
    &base64::alphabet::STANDARD,
    GeneralPurposeConfig::new()
        .with_encode_padding(false)
        .with_decode_padding_mode(DecodePaddingMode::Indifferent),
);

fn parse_code(text: &str) -> Result<AuthErrorCode, String> {
    let text = text.trim();
    if let Ok(n) = text.parse::<i32>() {
        return AuthErrorCode::try_from(n)
            .map_err(|_| format!("unknown code number {n}; see `auth-error codes`"));
    }
    AuthErrorCode::from_str_name(&text.to_ascii_uppercase()).ok_or_else(|| {
        format!(
            "unknown code `{}`; see `auth-error codes`",
            text.escape_debug()
        )
    })
}

fn codes(out: &mut String, as_json: bool) {
    if as_json {
        let rows: Vec<Value> = AuthErrorCode::ALL
            .iter()
            .map(|c| {
                json!({
                    "name": c.as_str_name(),
                    "number": i32::from(*c),
                    "grpc_code": grpc_status_name(c.grpc_code()),
                    "http_status": c.http_status().as_u16(),
                    "client_action": c.client_action().as_str(),
                    "description": c.description(),
                })
            })
            .collect();
        outln!(
            out,
            "{}",
            serde_json::to_string_pretty(&rows).unwrap_or_default()
        );
        return;
    }
    outln!(
        out,
        "{:<34} {:>6}  {:<20} {:>4}  CLIENT ACTION",
        "NAME",
        "NUMBER",
        "GRPC CODE",
        "HTTP"
    );
    for c in AuthErrorCode::ALL {
        outln!(
            out,
            "{:<34} {:>6}  {:<20} {:>4}  {}",
            c.as_str_name(),
            i32::from(c),
            grpc_status_name(c.grpc_code()),
            c.http_status().as_u16(),
            c.client_action()
        );
    }
}

fn explain(out: &mut String, code: AuthErrorCode) {
    outln!(out, "{} ({})", code.as_str_name(), i32::from(code));
    outln!(out, "  meaning        {}", code.description());
    outln!(
        out,
        "  gRPC code      {}",
        grpc_status_name(code.grpc_code())
    );
    outln!(out, "  HTTP status    {}", code.http_status());
    outln!(out, "  client action  {}", code.client_action());
    let delayed = code.client_action_with_retry_delay();
    if delayed != code.client_action() {
        outln!(
            out,
            "                 ({delayed} when the error carries a RetryInfo delay)"
        );
    }
    match AuthError::new(code).www_authenticate(None) {
        Some(challenge) => outln!(
            out,
            "  WWW-Authenticate  {}",
            challenge.to_str().unwrap_or_default()
        ),
        None => outln!(
            out,
            "  WWW-Authenticate  (none: a new token would not help)"
        ),
    }
}

/// Text a peer sent, safe for a terminal: control characters (C0, DEL, C1)
/// are escaped, so a log line cannot move the cursor or recolor the screen.
fn safe(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if c.is_control() {
            out.extend(c.escape_default());
        } else {
            out.push(c);
        }
    }
    out
}

/// Decodes and reports; `Ok(false)` when the strict reader found a problem
/// (the report is printed, and the exit code is 1).
fn decode(
    out: &mut String,
    value: &str,
    as_json: bool,
    domain: &str,
    dpop_nonce: Option<&str>,
) -> Result<bool, String> {
    let value = value.trim();
    let value = value
        .strip_prefix("grpc-status-details-bin:")
        .map_or(value, str::trim);
    let bytes = BASE64
        .decode(value)
        .map_err(|e| format!("not base64 (standard alphabet, padding optional): {e}"))?;
    let status = tonic_types::pb::Status::decode(bytes.as_slice())
        .map_err(|e| format!("not a google.rpc.Status: {e}"))?;
    // A code outside 0..=16 is reported as such, not as a mismatch.
    let auth = match (0..=16).contains(&status.code) {
        true => {
            let code = tonic::Code::from_i32(status.code);
            let tonic_status =
                tonic::Status::with_details(code, status.message.clone(), bytes.into());
            tonic_status
                .check_auth_error_in(domain)
                .map_err(|e| e.to_string())
        }
        false => Err(format!(
            "code {} is outside the gRPC range (0 to 16)",
            status.code
        )),
    };
    let status_name = match (0..=16).contains(&status.code) {
        true => grpc_status_name(tonic::Code::from_i32(status.code)),
        false => "(not a gRPC code)",
    };
    if as_json {
        let details: Vec<Value> = status.details.iter().map(detail_json).collect();
        let auth_json = match &auth {
            Ok(Some(err)) => {
                let mut auth = json!({
                    "reason": err.code().as_str_name(),
                    "number": i32::from(err.code()),
                    "client_action": err.client_action().as_str(),
                    "http_status": err.http_status().as_u16(),
                });
                if let Some(step_up) = step_up_json(err) {
                    auth["step_up"] = step_up;
                }
                if let Some(challenge) = err.www_authenticate(None) {
                    auth["challenge"] = json!(challenge.to_str().unwrap_or_default());
                }
                if err.code() == AuthErrorCode::DpopNonceRequired
                    && let Some(nonce) = dpop_nonce
                {
                    auth["dpop_nonce"] = json!(withheld_text(nonce));
                }
                auth
            }
            Ok(None) => Value::Null,
            Err(problem) => json!({ "problem": problem }),
        };
        let report = json!({
            "code": status.code,
            "status": status_name,
            "message": withheld_text(&status.message),
            "details": details,
            "auth_error": auth_json,
        });
        outln!(
            out,
            "{}",
            json_for_terminal(&serde_json::to_string_pretty(&report).map_err(|e| e.to_string())?)
        );
        return Ok(auth.is_ok());
    }
    outln!(out, "status   {} {}", status.code, status_name);
    outln!(out, "message  {}", safe(withheld_text(&status.message)));
    for (i, any) in status.details.iter().enumerate() {
        outln!(out, "detail {i}: {}", safe(&any.type_url));
        match detail_json(any) {
            Value::Object(fields) => {
                for (k, v) in fields.iter().filter(|(k, _)| *k != "@type") {
                    outln!(out, "  {}: {}", safe(k), safe(&v.to_string()));
                }
            }
            other => outln!(out, "  {}", safe(&other.to_string())),
        }
    }
    match &auth {
        Ok(Some(err)) => {
            outln!(
                out,
                "auth error: {} ({}), HTTP {}, client action {}",
                err.code(),
                i32::from(err.code()),
                err.http_status().as_u16(),
                err.client_action()
            );
            if let Some(step_up) = step_up_json(err) {
                let mut ask = Vec::new();
                if let Some(acr) = step_up.get("acr_values").and_then(Value::as_str) {
                    ask.push(format!("acr_values={}", safe(acr)));
                }
                if let Some(max_age) = step_up.get("max_age").and_then(Value::as_u64) {
                    ask.push(format!("max_age={max_age}"));
                }
                outln!(
                    out,
                    "step-up: send the user to the authorization server with {}",
                    ask.join(" ")
                );
            }
            if let Some(challenge) = err.www_authenticate(None) {
                outln!(
                    out,
                    "challenge (HTTP WWW-Authenticate): {}",
                    safe(challenge.to_str().unwrap_or_default())
                );
            }
            if err.code() == AuthErrorCode::DpopNonceRequired {
                match dpop_nonce {
                    Some(nonce) => outln!(
                        out,
                        "dpop: retry once, at once, with a new proof whose nonce is {}",
                        safe(withheld_text(nonce))
                    ),
                    None => outln!(
                        out,
                        "dpop: retry once, at once, with a new proof carrying the nonce of the dpop-nonce response metadata (pass it with --dpop-nonce)"
                    ),
                }
            }
        }
        Ok(None) => outln!(out, "auth error: none in domain {}", safe(domain)),
        Err(problem) => outln!(out, "auth error: problem: {}", safe(problem)),
    }
    Ok(auth.is_ok())
}

/// The RFC 9470 step-up an error asks for (`acr_values`, `max_age`: the
/// parameters of the authorization request), if any.
fn step_up_json(err: &AuthError) -> Option<Value> {
    let acr = err.acr_values();
    let max_age = err.max_age();
    if acr.is_empty() && max_age.is_none() {
        return None;
    }
    let mut step_up = json!({});
    if !acr.is_empty() {
        step_up["acr_values"] = json!(acr.join(" "));
    }
    if let Some(max_age) = max_age {
        step_up["max_age"] = json!(max_age.as_secs());
    }
    Some(step_up)
}

fn encode(
    out: &mut String,
    code: AuthErrorCode,
    message: Option<String>,
    meta: &[String],
    domain: Option<String>,
    retry_after: Option<u64>,
) -> Result<(), String> {
    let mut err = AuthError::new(code);
    if let Some(message) = message {
        err = err.with_message(message);
    }
    if let Some(domain) = domain {
        err = err.with_domain(domain);
    }
    for entry in meta {
        let (k, v) = entry
            .split_once('=')
            .ok_or_else(|| format!("--meta takes KEY=VALUE, got `{}`", entry.escape_debug()))?;
        err = err.with_metadata(k.to_owned(), v);
    }
    if let Some(secs) = retry_after {
        err = err.with_retry_after(Duration::from_secs(secs));
    }
    let bytes = err.encode_details().map_err(|e| e.to_string())?;
    outln!(out, "{}", BASE64.encode(bytes));
    Ok(())
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let mut out = String::new();
    let mut problem = false;
    let result = match cli.command {
        Command::Codes { json } => {
            codes(&mut out, json);
            Ok(())
        }
        Command::Explain { code } => parse_code(&code).map(|code| explain(&mut out, code)),
        Command::Decode {
            value,
            json,
            domain,
            dpop_nonce,
        } => match decode(&mut out, &value, json, &domain, dpop_nonce.as_deref()) {
            Ok(true) => Ok(()),
            // The report is printed; the exit code says a problem was found.
            Ok(false) => {
                problem = true;
                Ok(())
            }
            Err(e) => Err(e),
        },
        Command::Encode {
            code,
            message,
            meta,
            domain,
            retry_after,
        } => parse_code(&code)
            .and_then(|code| encode(&mut out, code, message, &meta, domain, retry_after)),
    };
    if let Err(message) = result {
        eprintln!("error: {message}");
        return ExitCode::FAILURE;
    }
    use std::io::Write as _;
    match std::io::stdout().lock().write_all(out.as_bytes()) {
        Ok(()) if problem => ExitCode::FAILURE,
        Ok(()) => ExitCode::SUCCESS,
        // The reader went away (`| head`): not our failure.
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: cannot write output: {e}");
            ExitCode::FAILURE
        }
    }
}
