//! The code table: names and numbers pinned against the upstream numbering,
//! and every mapping row checked for every value.

use std::collections::HashSet;

use auth_error::{AuthErrorCode, ClientAction};
use http::StatusCode;
use tonic::Code;

/// `(name, number)` rows of the table in `tests/data/upstream-numbering.md`
/// (a copy of the seed, which is fixed forever).
fn upstream_table() -> Vec<(String, i32)> {
    let text = include_str!("data/upstream-numbering.md");
    text.lines()
        .filter_map(|line| {
            let cells: Vec<&str> = line.split('|').map(str::trim).collect();
            // | name | number | comment |
            let number = cells.get(2)?.parse::<i32>().ok()?;
            Some((cells[1].to_owned(), number))
        })
        .collect()
}

#[test]
fn names_and_numbers_match_the_upstream_table_exactly() {
    let table = upstream_table();
    assert_eq!(table.len(), 24, "the seed table has 24 rows");
    let ours: Vec<(String, i32)> = AuthErrorCode::ALL
        .iter()
        .map(|c| (c.reason().to_owned(), c.number()))
        .collect();
    assert_eq!(ours, table);
}

#[test]
fn seed_model_page_lists_the_same_names_in_the_same_order() {
    let text = include_str!("data/AuthErrorCode.md");
    let names: Vec<&str> = text
        .lines()
        .filter_map(|l| l.strip_prefix("* `")?.split('`').next())
        .collect();
    let ours: Vec<&str> = AuthErrorCode::ALL.iter().map(|c| c.reason()).collect();
    assert_eq!(names, ours);
}

#[test]
fn all_is_complete_sorted_and_agrees_with_try_from() {
    let numbers: Vec<i32> = AuthErrorCode::ALL.iter().map(|c| *c as i32).collect();
    let mut sorted = numbers.clone();
    sorted.sort_unstable();
    sorted.dedup();
    assert_eq!(numbers, sorted, "ALL is in proto order without duplicates");
    for code in AuthErrorCode::ALL {
        assert_eq!(AuthErrorCode::try_from(code as i32), Ok(code));
    }
    // Every number that is not in ALL is not a value.
    let known: HashSet<i32> = numbers.into_iter().collect();
    for n in -1..2000 {
        assert_eq!(
            AuthErrorCode::try_from(n).is_ok(),
            known.contains(&n),
            "{n}"
        );
    }
}

#[test]
fn reason_display_and_from_str_round_trip_for_every_value() {
    for code in AuthErrorCode::ALL {
        assert_eq!(code.reason(), code.as_str_name());
        assert_eq!(code.to_string(), code.reason());
        assert_eq!(code.reason().parse::<AuthErrorCode>(), Ok(code));
        assert_eq!(AuthErrorCode::from_str_name(code.reason()), Some(code));
        assert!(!code.description().is_empty());
        assert!(!code.description().ends_with('.'));
    }
}

#[test]
fn from_str_is_exact_and_its_error_names_the_input() {
    for bad in [
        "token_expired",
        " TOKEN_EXPIRED",
        "TOKEN_EXPIRED ",
        "",
        "1006",
        "TOKEN-EXPIRED",
    ] {
        let err = bad.parse::<AuthErrorCode>().unwrap_err();
        assert_eq!(err.input(), bad);
        assert!(err.to_string().contains(&format!("`{bad}`")), "{err}");
    }
}

/// The canonical mapping, written out independently of the crate.
fn expected(code: AuthErrorCode) -> (Code, StatusCode) {
    match code.reason() {
        "NO_AUTH_ERROR" => (Code::Ok, StatusCode::OK),
        "INVALID_SCOPE" | "INVALID_PERMISSIONS" | "ACCOUNT_LOCKED" | "ACCOUNT_DISABLED" => {
            (Code::PermissionDenied, StatusCode::FORBIDDEN)
        }
        "PASSWORD_EXPIRED" | "PASSWORD_RESET_REQUIRED" => {
            (Code::FailedPrecondition, StatusCode::BAD_REQUEST)
        }
        _ => (Code::Unauthenticated, StatusCode::UNAUTHORIZED),
    }
}

#[test]
fn grpc_and_http_mapping_for_every_value() {
    for code in AuthErrorCode::ALL {
        let (grpc, http) = expected(code);
        assert_eq!(code.grpc_code(), grpc, "{code}");
        assert_eq!(code.http_status(), http, "{code}");
    }
}

#[test]
fn client_action_for_every_value() {
    use AuthErrorCode as C;
    use ClientAction as A;
    for code in C::ALL {
        let want = match code {
            C::NoAuthError => A::None,
            C::BearerTokenMissing => A::ProvideCredentials,
            C::TokenExpired => A::RefreshCredentials,
            C::TokenNotActive => A::RetryLater,
            C::MultiFactorRequired | C::MultiFactorFailed => A::CompleteMultiFactor,
            C::UnrecognizedDevice => A::VerifyDevice,
            C::PasswordExpired | C::PasswordResetRequired => A::ChangePassword,
            C::InvalidScope | C::InvalidPermissions => A::RequestAccess,
            C::AccountDisabled | C::AccountLocked => A::ContactAdministrator,
            _ => A::Reauthenticate,
        };
        assert_eq!(code.client_action(), want, "{code}");
    }
    assert_eq!(C::Unauthenticated.client_action(), A::Reauthenticate);
    assert_eq!(C::SessionRevoked.client_action(), A::Reauthenticate);
}

#[test]
fn readme_mapping_table_lists_every_code_with_its_mapping() {
    let readme = include_str!("../README.md");
    for code in AuthErrorCode::ALL {
        let row = readme
            .lines()
            .find(|l| l.starts_with(&format!("| `{}` |", code.reason())))
            .unwrap_or_else(|| panic!("README has no mapping row for {code}"));
        let (grpc, http) = expected(code);
        assert!(row.contains(&format!("`{}`", grpc_name(grpc))), "{row}");
        assert!(row.contains(&http.as_u16().to_string()), "{row}");
        assert!(row.contains(code.client_action().as_str()), "{row}");
    }
}

fn grpc_name(code: Code) -> &'static str {
    match code {
        Code::Ok => "OK",
        Code::Unauthenticated => "UNAUTHENTICATED",
        Code::PermissionDenied => "PERMISSION_DENIED",
        Code::FailedPrecondition => "FAILED_PRECONDITION",
        _ => "?",
    }
}

/// The rustdoc line that `build.rs` writes on each variant from the code
/// table says the same as the crate's accessors.
#[test]
fn every_variant_doc_states_its_row() {
    use auth_error::BearerChallenge;
    use auth_error::grpc_status_name;
    let generated = include_str!(concat!(env!("OUT_DIR"), "/auth.error.v1.rs"));
    for code in AuthErrorCode::ALL {
        let decl = format!("{code:?} = {},", code.number());
        let at = generated
            .find(&decl)
            .unwrap_or_else(|| panic!("{decl} in the generated code"));
        let doc = &generated[generated[..at].rfind("**gRPC**").unwrap()..at];
        let challenge = match code.bearer_challenge() {
            None => "none".to_owned(),
            Some(BearerChallenge::Missing) => "`Bearer` (no error attribute)".to_owned(),
            Some(c) => format!("`Bearer error=\"{}\"`", c.error().unwrap()),
        };
        let expected = format!(
            "**gRPC** `{}` · **HTTP** {} · **client action** `{}` · **challenge** {challenge}",
            grpc_status_name(code.grpc_code()),
            code.http_status().as_u16(),
            code.client_action(),
        );
        assert!(doc.starts_with(&expected), "{code:?}: {doc:?}");
    }
}

#[test]
fn the_code_enum_is_non_exhaustive_for_downstream_matches() {
    let generated = include_str!(concat!(env!("OUT_DIR"), "/auth.error.v1.rs"));
    let at = generated.find("pub enum AuthErrorCode").unwrap();
    let attrs = &generated[generated[..at].rfind("///").unwrap()..at];
    assert!(attrs.contains("#[non_exhaustive]"), "{attrs}");
}
