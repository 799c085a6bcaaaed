//! The code table: names and numbers pinned against the upstream numbering,
//! and every mapping row checked for every value.

use std::collections::HashSet;

use auth_error::{AuthErrorCode, ClientAction};

/// `(name, number)` rows of the table in `tests/data/upstream-numbering.md`
/// (a copy of the seed, which is fixed forever).
fn upstream_table() -> Vec<(String, i32)> {
    let text = include_str!(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/data/upstream-numbering.md"
    ));
    text.lines()
        .filter_map(|line| {
            let cells: Vec<&str> = line.split('|').map(str::trim).collect();
            // | name | number | comment |
            let number = cells.get(2)?.parse::<i32>().ok()?;
            Some((cells[1].to_owned(), number))
        })
        .collect()
}

/// Every value of the seed keeps its name and number, in order; a value
/// added later comes after them with a number of its own.
#[test]
fn names_and_numbers_match_the_upstream_table_exactly() {
    let table = upstream_table();
    assert!(!table.is_empty(), "the seed table has rows");
    let ours: Vec<(String, i32)> = AuthErrorCode::ALL
        .iter()
        .map(|c| (c.as_str_name().to_owned(), i32::from(*c)))
        .collect();
    assert_eq!(ours[..table.len()], table[..]);
    let numbers: HashSet<i32> = ours.iter().map(|(_, n)| *n).collect();
    assert_eq!(numbers.len(), ours.len(), "every number once");
}

/// The checklist for a new code in `docs/development.md`: each of its steps
/// leaves something a test reads, so a forgotten step fails a test. The
/// proto value and the table row fail the build; the docs/codes.md row, the
/// vectors and the OpenAPI document have their own tests
/// (`the_readme_table_states_every_row_exactly`, `tests/it/wire/vectors.rs`,
/// `tests/it/http/openapi.rs`); this one checks the rest: the baseline copy of the
/// proto and the companion packages' generated tables.
#[test]
fn a_new_code_has_every_home() {
    let root = env!("CARGO_MANIFEST_DIR");
    let read = |path: &str| {
        std::fs::read_to_string(format!("{root}/{path}")).unwrap_or_else(|e| panic!("{path}: {e}"))
    };
    let baseline = read("proto-baseline/auth/error/v1/auth_error.proto");
    let python = read("python/src/auth_error/_generated.py");
    let typescript = read("typescript/src/generated.ts");
    let development = read("docs/development.md");
    for code in AuthErrorCode::ALL {
        let (name, number) = (code.as_str_name(), i32::from(code));
        assert!(
            baseline.contains(&format!("  {name} = {number};")),
            "{name}: copy proto/ over proto-baseline/ (docs/development.md, a new code)"
        );
        assert!(
            python.contains(&format!("    {name} = {number}\n"))
                && typescript.contains(&format!("  {name} = {number},\n")),
            "{name}: run `python3 scripts/gen_companions.py` after regenerating the vectors"
        );
    }
    // The checklist names every step this test and the others check.
    for step in [
        "src/code/table.rs",
        "docs/codes.md",
        "AUTH_ERROR_UPDATE_VECTORS=1",
        "AUTH_ERROR_UPDATE_OPENAPI=1",
        "proto-baseline/",
        "scripts/gen_companions.py",
    ] {
        assert!(
            development.contains(step),
            "docs/development.md lacks the step {step}"
        );
    }
}

#[test]
fn seed_model_page_lists_the_same_names_in_the_same_order() {
    let text = include_str!(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/data/AuthErrorCode.md"
    ));
    let names: Vec<&str> = text
        .lines()
        .filter_map(|l| l.strip_prefix("* `")?.split('`').next())
        .collect();
    let ours: Vec<&str> = AuthErrorCode::ALL.iter().map(|c| c.as_str_name()).collect();
    // The seed's 24 keep their names and order; new codes follow them.
    assert_eq!(names.len(), 24);
    assert_eq!(names, ours[..names.len()]);
}

#[test]
fn all_is_complete_sorted_and_agrees_with_try_from() {
    let numbers: Vec<i32> = AuthErrorCode::ALL.iter().map(|c| *c as i32).collect();
    // The seed's 24 are in number order; codes added later follow them in
    // the proto (never renumbered), whatever their block.
    let seed = &numbers[..24];
    assert!(
        seed.windows(2).all(|w| w[0] < w[1]),
        "the seed's codes in number order"
    );
    let mut unique = numbers.clone();
    unique.sort_unstable();
    unique.dedup();
    assert_eq!(unique.len(), numbers.len(), "ALL without duplicates");
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
        assert_eq!(code.to_string(), code.as_str_name());
        assert_eq!(code.as_str_name().parse::<AuthErrorCode>(), Ok(code));
        assert_eq!(AuthErrorCode::from_str_name(code.as_str_name()), Some(code));
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
        &i32::from(AuthErrorCode::TokenExpired).to_string(),
        "TOKEN-EXPIRED",
    ] {
        let err = bad.parse::<AuthErrorCode>().unwrap_err();
        assert_eq!(err.input(), bad);
        assert!(err.to_string().contains(&format!("`{bad}`")), "{err}");
    }
}

/// The code table of docs/codes.md is the second, independent statement of every
/// row (the one a reader checks): each column must say exactly what the
/// accessors say, and the description is the proto comment's first sentence.
#[test]
fn the_readme_table_states_every_row_exactly() {
    use auth_error::grpc_status_name;
    let readme = include_str!(concat!(env!("CARGO_MANIFEST_DIR"), "/docs/codes.md"));
    let mut rows = 0;
    for code in AuthErrorCode::ALL {
        let row = readme
            .lines()
            .find(|l| l.starts_with(&format!("| `{}` |", code.as_str_name())))
            .unwrap_or_else(|| panic!("docs/codes.md has no row for {code}"));
        let cells: Vec<&str> = row.trim_matches('|').split(" | ").map(str::trim).collect();
        assert_eq!(cells.len(), 6, "{row}");
        assert_eq!(cells[1], i32::from(code).to_string(), "{row}");
        assert_eq!(
            cells[2],
            format!("`{}`", grpc_status_name(code.grpc_code())),
            "{row}"
        );
        assert_eq!(cells[3], code.http_status().as_u16().to_string(), "{row}");
        let action = match code.client_action_with_retry_delay() {
            delayed if delayed != code.client_action() => {
                format!("{} ({delayed} with a retry delay)", code.client_action())
            }
            _ => code.client_action().to_string(),
        };
        assert_eq!(cells[4], action, "{row}");
        assert_eq!(cells[5], code.description(), "{row}");
        rows += 1;
    }
    assert_eq!(rows, AuthErrorCode::ALL.len());
    assert_eq!(
        AuthErrorCode::NoAuthError.client_action(),
        ClientAction::None
    );
}

/// The description is the proto comment's first sentence (what prost puts
/// on the variant, and what other languages' generated code shows), as a
/// message: lower-case first letter, no period.
#[test]
fn every_description_is_the_first_sentence_of_its_proto_comment() {
    let generated = include_str!(concat!(env!("OUT_DIR"), "/auth.error.v1.rs"));
    for code in AuthErrorCode::ALL {
        let decl = format!("{code:?} = {},", i32::from(code));
        let at = generated.find(&decl).unwrap();
        // From the end of the previous item to this declaration.
        let before = &generated[..at];
        let start = before.rfind(",\n").max(before.rfind("{\n")).unwrap();
        let doc = &generated[start..at];
        let description = code.description();
        let mut sentence = description[..1].to_ascii_uppercase();
        sentence.push_str(&description[1..]);
        sentence.push('.');
        assert!(
            doc.contains(&format!("/// {sentence}\n")),
            "{code:?}: {doc:?}"
        );
        assert!(!description.ends_with('.'), "{description}");
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
        let decl = format!("{code:?} = {},", i32::from(code));
        let at = generated
            .find(&decl)
            .unwrap_or_else(|| panic!("{decl} in the generated code"));
        let doc = &generated[generated[..at].rfind("**gRPC**").unwrap()..at];
        let challenge = match code.bearer_challenge() {
            None => "none".to_owned(),
            Some(BearerChallenge::Missing) => "`Bearer` (no error attribute)".to_owned(),
            Some(c) => format!("`{} error=\"{}\"`", c.scheme(), c.error().unwrap()),
        };
        let action = match code.client_action_with_retry_delay() {
            delayed if delayed != code.client_action() => {
                format!(
                    "`{}` (`{delayed}` with a retry delay)",
                    code.client_action()
                )
            }
            _ => format!("`{}`", code.client_action()),
        };
        let expected = format!(
            "**gRPC** `{}` · **HTTP** {} · **client action** {action} · **challenge** {challenge}",
            grpc_status_name(code.grpc_code()),
            code.http_status().as_u16(),
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
