//! The direction of the crates, checked from their manifests: the domain depends on nothing of
//! ours; the store trait on the domain only; each backend on the trait; the use cases on the
//! trait, never on a backend; only the front ends that open journals (the CLI, and the web
//! server it hands one to) reach the backends. Dev-dependencies are free: tests open backends.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

/// Each crate (by folder) and the workspace crates it may depend on.
const ALLOWED: &[(&str, &[&str])] = &[
    ("core", &[]),
    ("render", &["dosewise-core"]),
    ("fixtures", &["dosewise-core"]),
    (
        "store",
        // The fixtures only with the `conformance` feature: the suite imports the demo journal.
        &["dosewise-core", "dosewise-fixtures"],
    ),
    ("store-sqlite", &["dosewise-core", "dosewise-store"]),
    ("store-postgres", &["dosewise-core", "dosewise-store"]),
    (
        "backends",
        &[
            "dosewise-core",
            "dosewise-store",
            "dosewise-store-sqlite",
            "dosewise-store-postgres",
        ],
    ),
    (
        "app",
        &["dosewise-core", "dosewise-store", "dosewise-render"],
    ),
    (
        "web",
        &[
            "dosewise-core",
            "dosewise-render",
            "dosewise-store",
            "dosewise-app",
            "dosewise-backends",
        ],
    ),
    (
        "clinic",
        // Its own PostgreSQL schema, not a journal store; the login and token code of the web
        // app; the report and insights on the records patients share, run by the app's own use
        // cases on a throwaway in-memory SQLite journal holding them.
        &[
            "dosewise-core",
            "dosewise-render",
            "dosewise-store",
            "dosewise-store-sqlite",
            "dosewise-app",
            "dosewise-web",
        ],
    ),
    (
        "cli",
        &[
            "dosewise-core",
            "dosewise-render",
            // `dosewise demo`.
            "dosewise-fixtures",
            "dosewise-store",
            "dosewise-app",
            "dosewise-web",
            "dosewise-clinic",
            "dosewise-backends",
            // The embedded journal's files: encryption, leftovers of a stopped conversion.
            "dosewise-store-sqlite",
        ],
    ),
];

/// The `dosewise-*` names in a manifest's `[dependencies]` (not dev- or build-dependencies).
fn runtime_deps(manifest: &str) -> BTreeSet<String> {
    let mut inside = false;
    let mut out = BTreeSet::new();
    for line in manifest.lines() {
        let line = line.trim();
        if line.starts_with('[') {
            inside = line == "[dependencies]";
            continue;
        }
        if inside
            && let Some(name) = line.split(['=', '.', ' ']).next()
            && name.starts_with("dosewise")
        {
            out.insert(name.to_string());
        }
    }
    out
}

#[test]
fn crates_depend_only_downwards() {
    let crates = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let allowed: BTreeMap<&str, &[&str]> = ALLOWED.iter().copied().collect();
    let mut seen = Vec::new();
    for entry in std::fs::read_dir(&crates).unwrap_or_else(|e| panic!("{e}")) {
        let dir = entry.unwrap_or_else(|e| panic!("{e}")).path();
        let Ok(manifest) = std::fs::read_to_string(dir.join("Cargo.toml")) else {
            continue;
        };
        let name = dir
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let Some(ok) = allowed.get(name.as_str()) else {
            panic!("crates/{name} is not in the layering table; add it with its allowed arrows");
        };
        for dep in runtime_deps(&manifest) {
            assert!(
                ok.contains(&dep.as_str()),
                "crates/{name} depends on {dep}, which its layer may not"
            );
        }
        seen.push(name);
    }
    assert_eq!(
        seen.len(),
        ALLOWED.len(),
        "every crate in the table exists: {seen:?}"
    );
}

/// The parser reads what it should, so the check above can fail.
#[test]
fn the_manifest_reader_sees_runtime_dependencies_only() {
    let m = "[package]\nname = \"x\"\n[dependencies]\ndosewise-core.workspace = true\n\
             dosewise-store = { path = \"../store\" }\nserde = \"1\"\n\
             [dev-dependencies]\ndosewise-store-sqlite.workspace = true\n";
    assert_eq!(
        runtime_deps(m).into_iter().collect::<Vec<_>>(),
        ["dosewise-core", "dosewise-store"]
    );
}
