//! The module graph, as `src/lib.rs` and `docs/development.md` state it:
//! lower layers never import upper ones, so there is no cycle. Each
//! top-level module of `src/` has a rank; a module may name (`crate::…`)
//! only modules of a lower rank. The crate root's re-exports are mapped to
//! the module that defines them. A new module must be given a rank here,
//! which is the point: its place in the layering is a decision.

use std::collections::BTreeMap;
use std::path::Path;

/// The layers, bottom up.
const RANKS: &[(&str, u8)] = &[
    // Leaves: bytes, the credential detector, the code table.
    ("wire", 0),
    ("secrets", 0),
    ("time", 0),
    ("code", 0),
    // JOSE for sender-constrained tokens: JWK keys and thumbprints.
    ("jose", 0),
    // The error value; the metrics the layers report (names and labels).
    ("error", 1),
    ("observe", 1),
    // What may leave the process.
    ("rules", 2),
    // The gRPC exit and entry; the AIP-193 body's types and JSON.
    ("status", 3),
    ("rest", 3),
    // The HTTP exits (challenge, response, axum), on the body.
    ("http", 4),
    // What is built on the exits.
    ("guard", 5),
    ("server", 5),
    ("oidc", 5),
    ("client", 6),
    ("jwt", 6),
    ("oauth", 7),
    // The test identity provider: a user of everything, used by nothing.
    ("testing", 8),
];

/// The crate root's names, by the module that defines them.
const ROOT_NAMES: &[(&str, &str)] = &[
    ("AuthError", "error"),
    ("AttachError", "error"),
    ("TextField", "error"),
    ("Detail", "error"),
    ("Details", "error"),
    ("Metadata", "error"),
    ("MetadataIter", "error"),
    ("keys", "error"),
    ("split_list", "error"),
    // The generated enum (`pb`, included by lib.rs) and its table are one
    // layer.
    ("pb", "code"),
    ("AuthErrorCode", "code"),
    ("ClientAction", "code"),
    ("BearerChallenge", "code"),
    ("ParseAuthErrorCodeError", "code"),
    ("AuthStatusExt", "status"),
    ("ExtractError", "status"),
    ("sealed", "status"),
    ("MAX_DETAILS_LEN", "rules"),
    ("MAX_DOMAIN_LEN", "rules"),
    ("MAX_METADATA_KEY_LEN", "rules"),
    ("SECRET_METADATA_KEYS", "secrets"),
    ("is_secret_metadata_key", "secrets"),
    ("looks_like_credential", "secrets"),
    ("SECRET_METADATA_KEY_PREFIXES", "secrets"),
    ("SECRET_METADATA_KEY_SEPARATORS", "secrets"),
    ("grpc_status_name", "code"),
    // Constants and types of the crate root itself: below everything.
    ("DOMAIN", "wire"),
    ("BoxError", "wire"),
];

fn rank(module: &str) -> Option<u8> {
    RANKS.iter().find(|(m, _)| *m == module).map(|(_, r)| *r)
}

/// The source without comments (doc comments name upper modules in links).
fn code_of(text: &str) -> String {
    text.lines()
        .map(|line| match line.find("//") {
            Some(at) => &line[..at],
            None => line,
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// Every `crate::name` and every name of a `crate::{…}` group.
fn crate_refs(code: &str) -> Vec<String> {
    let mut refs = Vec::new();
    let mut rest = code;
    while let Some(at) = rest.find("crate::") {
        rest = &rest[at + "crate::".len()..];
        if let Some(group) = rest.strip_prefix('{') {
            let end = group.find('}').unwrap_or(group.len());
            for item in group[..end].split(',') {
                let name: String = item
                    .trim()
                    .chars()
                    .take_while(|c| c.is_alphanumeric() || *c == '_')
                    .collect();
                if !name.is_empty() {
                    refs.push(name);
                }
            }
        } else {
            let name: String = rest
                .chars()
                .take_while(|c| c.is_alphanumeric() || *c == '_')
                .collect();
            refs.push(name);
        }
    }
    refs
}

fn sources(dir: &Path, out: &mut Vec<std::path::PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            sources(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

#[test]
fn lower_layers_never_import_upper_ones() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    sources(&src, &mut files);
    let mut violations = BTreeMap::new();
    for file in files {
        let rel = file.strip_prefix(&src).unwrap();
        let top = rel
            .components()
            .next()
            .unwrap()
            .as_os_str()
            .to_string_lossy()
            .trim_end_matches(".rs")
            .to_owned();
        if top == "lib" || top == "macros" {
            continue;
        }
        let own = rank(&top).unwrap_or_else(|| {
            panic!("src/{top} has no rank in tests/it/layout.rs: give it its place in the layering")
        });
        let code = code_of(&std::fs::read_to_string(&file).unwrap());
        for name in crate_refs(&code) {
            let module = ROOT_NAMES
                .iter()
                .find(|(n, _)| *n == name)
                .map_or(name.as_str(), |(_, m)| m);
            if module == top {
                continue;
            }
            let Some(other) = rank(module) else {
                panic!(
                    "{} names crate::{name}: add it to ROOT_NAMES or RANKS",
                    rel.display()
                );
            };
            if other >= own {
                violations
                    .entry(format!("{} ({top}, rank {own})", rel.display()))
                    .or_insert_with(Vec::new)
                    .push(format!("{module} (rank {other})"));
            }
        }
    }
    assert!(
        violations.is_empty(),
        "modules importing their own or an upper layer: {violations:#?}"
    );
}

#[test]
fn the_reference_scanner_sees_groups_and_paths() {
    let refs =
        crate_refs("use crate::{AuthError, wire::encode::Parts};\nlet x = crate::rules::check(e);");
    assert_eq!(refs, ["AuthError", "wire", "rules"]);
    assert_eq!(code_of("a // crate::rules\nb"), "a \nb");
}

/// A file's code without its `#[cfg(test)] mod tests { … }` (unit tests may
/// import their parent wholesale).
fn without_tests(code: &str) -> &str {
    match code.find("#[cfg(test)]\nmod tests") {
        Some(at) => &code[..at],
        None => code,
    }
}

/// Inside a folder module, the files name their siblings explicitly (no
/// `use super::*` outside unit tests), and the sibling imports form no
/// cycle: a reader (and this test) sees which file depends on which, as
/// `lower_layers_never_import_upper_ones` does for the top-level modules.
#[test]
fn sibling_files_import_each_other_by_name_without_a_cycle() {
    let mut files = Vec::new();
    sources(Path::new("src"), &mut files);
    // folder -> (file stem -> siblings it names)
    let mut folders: BTreeMap<std::path::PathBuf, BTreeMap<String, Vec<String>>> = BTreeMap::new();
    for file in &files {
        let Some(dir) = file.parent() else { continue };
        if !dir.join("mod.rs").exists() || dir == Path::new("src") {
            continue;
        }
        let stem = file.file_stem().unwrap().to_string_lossy().into_owned();
        if stem == "mod" {
            continue;
        }
        let text = std::fs::read_to_string(file).unwrap();
        let code = code_of(&text);
        let code = without_tests(&code);
        assert!(
            !code
                .lines()
                .any(|l| l.trim() == "use super::*;" && !l.starts_with(' ')),
            "{} imports its siblings wholesale (`use super::*`): name them",
            file.display()
        );
        let siblings: Vec<String> = std::fs::read_dir(dir)
            .unwrap()
            .filter_map(|e| {
                let p = e.ok()?.path();
                let s = p.file_stem()?.to_string_lossy().into_owned();
                (p.extension().is_some_and(|x| x == "rs") || p.is_dir()).then_some(s)
            })
            .filter(|s| s != "mod" && *s != stem)
            .collect();
        let named: Vec<String> = siblings
            .into_iter()
            .filter(|s| {
                code.contains(&format!("super::{s}::")) || code.contains(&format!("super::{s};"))
            })
            .collect();
        folders
            .entry(dir.to_path_buf())
            .or_default()
            .insert(stem, named);
    }
    assert!(
        folders.contains_key(Path::new("src/server/bearer")),
        "{folders:?}"
    );
    for (dir, graph) in &folders {
        // Repeatedly take a file whose siblings are all taken: all taken
        // means no cycle.
        let mut taken: Vec<&str> = Vec::new();
        while taken.len() < graph.len() {
            let next = graph.iter().find(|(f, deps)| {
                !taken.contains(&f.as_str())
                    && deps
                        .iter()
                        .all(|d| taken.contains(&d.as_str()) || !graph.contains_key(d))
            });
            match next {
                Some((f, _)) => taken.push(f),
                None => panic!(
                    "{}: the sibling imports form a cycle among {:?}",
                    dir.display(),
                    graph
                        .iter()
                        .filter(|(f, _)| !taken.contains(&f.as_str()))
                        .collect::<Vec<_>>()
                ),
            }
        }
    }
}
