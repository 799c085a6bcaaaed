//! The `auth-error` binary, run as a user would.

use std::process::{Command, Output};

fn run(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_auth-error"))
        .args(args)
        .output()
        .unwrap()
}

fn stdout(o: &Output) -> String {
    String::from_utf8(o.stdout.clone()).unwrap()
}

#[test]
fn codes_lists_every_code() {
    let out = run(&["codes"]);
    assert!(out.status.success());
    let text = stdout(&out);
    for code in auth_error::AuthErrorCode::ALL {
        let line = text
            .lines()
            .find(|l| l.starts_with(&format!("{} ", code.as_str_name())))
            .unwrap();
        assert!(line.contains(&i32::from(code).to_string()), "{line}");
        assert!(line.contains(code.client_action().as_str()), "{line}");
    }
    let json: serde_json::Value =
        serde_json::from_slice(&run(&["codes", "--json"]).stdout).unwrap();
    assert_eq!(
        json.as_array().unwrap().len(),
        auth_error::AuthErrorCode::ALL.len()
    );
    assert_eq!(json[6]["name"], "TOKEN_EXPIRED");
    assert_eq!(json[6]["http_status"], 401);
}

#[test]
fn explain_accepts_names_and_numbers_and_refuses_the_rest() {
    let number = i32::from(auth_error::AuthErrorCode::TokenExpired).to_string();
    for arg in ["TOKEN_EXPIRED", "token_expired", number.as_str()] {
        let out = run(&["explain", arg]);
        assert!(out.status.success(), "{arg}");
        assert!(stdout(&out).contains("refresh_credentials"));
    }
    let out = run(&["explain", "NOPE"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("unknown code `NOPE`"));
}

#[test]
fn encode_then_decode_round_trips() {
    let out = run(&[
        "encode",
        "ACCOUNT_LOCKED",
        "--message",
        "locked — ü",
        "--meta",
        "tenantId=acme",
        "--retry-after",
        "60",
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let value = stdout(&out).trim().to_owned();
    assert!(!value.ends_with('='));
    let padded = format!("{value}{}", "=".repeat((4 - value.len() % 4) % 4));
    for input in [
        value.clone(),
        padded,
        format!("grpc-status-details-bin: {value}"),
    ] {
        let out = run(&["decode", &input, "--json"]);
        assert!(out.status.success());
        let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        assert_eq!(json["status"], "PERMISSION_DENIED");
        assert_eq!(json["message"], "locked — ü");
        assert_eq!(json["auth_error"]["reason"], "ACCOUNT_LOCKED");
        assert_eq!(json["auth_error"]["client_action"], "retry_later");
        assert_eq!(json["details"][0]["metadata"]["tenantId"], "acme");
        assert_eq!(json["details"][1]["retryDelay"], "60s");
    }
    let text = stdout(&run(&["decode", &value]));
    assert!(text.contains("auth error: ACCOUNT_LOCKED (1600)"), "{text}");
}

#[test]
fn decode_shows_the_dpop_challenge_and_nonce() {
    let value = stdout(&run(&["encode", "DPOP_NONCE_REQUIRED"]))
        .trim()
        .to_owned();
    let text = stdout(&run(&["decode", &value, "--dpop-nonce", "n-0123"]));
    assert!(
        text.contains("auth error: DPOP_NONCE_REQUIRED (1010)"),
        "{text}"
    );
    assert!(
        text.contains(r#"challenge (HTTP WWW-Authenticate): DPoP error="use_dpop_nonce""#),
        "{text}"
    );
    assert!(
        text.contains("with a new proof whose nonce is n-0123"),
        "{text}"
    );
    let json: serde_json::Value = serde_json::from_slice(
        &run(&["decode", &value, "--json", "--dpop-nonce", "n-0123"]).stdout,
    )
    .unwrap();
    assert_eq!(json["auth_error"]["dpop_nonce"], "n-0123");
    assert_eq!(json["auth_error"]["client_action"], "retry_with_nonce");
    let invalid = stdout(&run(&["encode", "DPOP_PROOF_INVALID"]))
        .trim()
        .to_owned();
    let text = stdout(&run(&["decode", &invalid]));
    assert!(
        text.contains(r#"DPoP error="invalid_dpop_proof""#),
        "{text}"
    );
    assert!(!text.contains("dpop: retry"), "{text}");
}

#[test]
fn decode_shows_what_a_step_up_asks_for() {
    let out = run(&[
        "encode",
        "MULTI_FACTOR_REQUIRED",
        "--meta",
        "acrValues=urn:example:mfa urn:example:hwk",
        "--meta",
        "maxAge=300",
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let value = stdout(&out).trim().to_owned();
    let text = stdout(&run(&["decode", &value]));
    assert!(
        text.contains(
            "step-up: send the user to the authorization server with acr_values=urn:example:mfa urn:example:hwk max_age=300"
        ),
        "{text}"
    );
    let json: serde_json::Value =
        serde_json::from_slice(&run(&["decode", &value, "--json"]).stdout).unwrap();
    assert_eq!(
        json["auth_error"]["step_up"],
        serde_json::json!({"acr_values": "urn:example:mfa urn:example:hwk", "max_age": 300})
    );
    // No step-up context, no step-up line.
    let plain = stdout(&run(&["encode", "TOKEN_EXPIRED"]));
    assert!(!stdout(&run(&["decode", plain.trim()])).contains("step-up"));
}

#[test]
fn decode_shows_unknown_detail_types() {
    let status = tonic_types::pb::Status {
        code: 16,
        message: "m".into(),
        details: vec![prost_types::Any {
            type_url: "type.example.com/acme.Thing".into(),
            value: vec![1, 2],
        }],
    };
    use base64::Engine as _;
    use prost::Message as _;
    let value = base64::engine::general_purpose::STANDARD.encode(status.encode_to_vec());
    let out = run(&["decode", &value]);
    assert!(out.status.success());
    let text = stdout(&out);
    assert!(text.contains("type.example.com/acme.Thing"), "{text}");
    assert!(text.contains("auth error: none"), "{text}");
}

#[test]
fn garbage_gets_a_message_not_a_panic() {
    for garbage in ["!!!", "AAAA", "/////w"] {
        let out = run(&["decode", garbage]);
        assert_eq!(out.status.code(), Some(1), "{garbage}");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.starts_with("error: "), "{err}");
        assert!(!err.contains("panicked"), "{err}");
    }
    let out = run(&["encode", "TOKEN_EXPIRED", "--meta", "password=x"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("names a secret"));
    let out = run(&["encode", "TOKEN_EXPIRED", "--meta", "novalue"]);
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(run(&["frobnicate"]).status.code(), Some(2));
}

fn details_value(code: i32, message: &str, reason: &str, type_url: &str) -> String {
    details_with_metadata(code, message, reason, type_url, &[])
}

fn details_with_metadata(
    code: i32,
    message: &str,
    reason: &str,
    type_url: &str,
    metadata: &[(&str, &str)],
) -> String {
    use base64::Engine as _;
    use prost::Message;
    let info = tonic_types::pb::ErrorInfo {
        reason: reason.into(),
        domain: auth_error::DOMAIN.into(),
        metadata: metadata
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect(),
    };
    let status = tonic_types::pb::Status {
        code,
        message: message.into(),
        details: vec![
            prost_types::Any {
                type_url: "type.googleapis.com/google.rpc.ErrorInfo".into(),
                value: info.encode_to_vec(),
            },
            prost_types::Any {
                type_url: type_url.into(),
                value: vec![],
            },
        ],
    };
    base64::engine::general_purpose::STANDARD_NO_PAD.encode(status.encode_to_vec())
}

#[test]
fn decode_escapes_control_characters_a_peer_sent() {
    let value = details_value(
        16,
        "\u{1b}[2J\u{1b}[31mowned",
        "TOKEN_EXPIRED",
        "x/\u{7}\u{9b}y",
    );
    let out = run(&["decode", &value]);
    let text = stdout(&out);
    assert!(
        !text.contains('\u{1b}') && !text.contains('\u{7}') && !text.contains('\u{9b}'),
        "{text:?}"
    );
    assert!(text.contains("\\u{1b}[2J"), "{text}");
    // The strict reader finds nothing wrong here: exit 0.
    assert_eq!(out.status.code(), Some(0), "{text}");
}

#[test]
fn decode_json_escapes_del_and_c1_controls_and_keeps_the_text() {
    // DEL, the 8-bit CSI (U+009B) and another C1 control, in the message and
    // in a detail's type URL.
    let message = "a\u{7f}b\u{9b}31mc\u{85}d\u{1b}e";
    let value = details_value(16, message, "TOKEN_EXPIRED", "x/\u{9b}y");
    let out = run(&["decode", "--json", &value]);
    let text = stdout(&out);
    assert!(
        !text.chars().any(|c| c.is_control() && c != '\n'),
        "a raw control character: {text:?}"
    );
    assert!(
        text.contains("\\u009b") && text.contains("\\u007f"),
        "{text}"
    );
    // Escaped, not lost: the JSON still decodes to what the peer sent.
    let json: serde_json::Value = serde_json::from_str(&text).unwrap();
    assert_eq!(json["message"], message);
    assert_eq!(json["details"][1]["@type"], "x/\u{9b}y");
    assert_eq!(out.status.code(), Some(0), "{text}");
}

#[test]
fn decode_withholds_what_the_exits_never_send() {
    const JWT: &str = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.c2lnbmF0dXJl";
    let value = details_with_metadata(
        16,
        &format!("bad token {JWT}..."),
        "TOKEN_EXPIRED",
        "x/y",
        &[
            ("password", "hunter2"),
            ("xApiKey", "k-31337"),
            ("X-Auth-Token", "opaque-0042"),
            ("note", &format!("see {JWT}")),
            ("tenantId", "acme"),
        ],
    );
    for args in [vec!["decode", &value], vec!["decode", "--json", &value]] {
        let out = run(&args);
        let text = stdout(&out);
        for secret in ["hunter2", "k-31337", "opaque-0042", JWT] {
            assert!(!text.contains(secret), "{args:?} printed {secret}: {text}");
        }
        // The names are shown, the values withheld; the rest is kept.
        for shown in [
            "password",
            "xApiKey",
            "X-Auth-Token",
            "[withheld: secret key]",
            "[withheld: looks like a credential]",
            "acme",
        ] {
            assert!(text.contains(shown), "{args:?} lacks {shown}: {text}");
        }
    }
}

#[test]
fn decode_exits_1_when_the_strict_reader_finds_a_problem() {
    for (code, reason, what) in [
        (16, "NOT_A_CODE", "unknown auth error reason"),
        (16, "NO_AUTH_ERROR", "NO_AUTH_ERROR"),
        (99, "TOKEN_EXPIRED", "outside the gRPC range"),
    ] {
        let out = run(&["decode", &details_value(code, "m", reason, "x/y")]);
        assert_eq!(out.status.code(), Some(1), "{reason}");
        assert!(stdout(&out).contains(what), "{}", stdout(&out));
        let json: serde_json::Value = serde_json::from_slice(
            &run(&["decode", "--json", &details_value(code, "m", reason, "x/y")]).stdout,
        )
        .unwrap();
        assert!(
            json["auth_error"]["problem"]
                .as_str()
                .unwrap()
                .contains(what),
            "{json}"
        );
    }
    let out = run(&["decode", &details_value(16, "m", "TOKEN_EXPIRED", "x/y")]);
    assert_eq!(out.status.code(), Some(0));
}
