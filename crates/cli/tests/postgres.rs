//! The binary on PostgreSQL (`--database`), end to end: the demo journal exports byte for byte
//! as it does from the home's SQLite file; three CLI processes and `dosewise serve` writing one
//! journal at once lose nothing; what only the embedded journal can do is refused with a
//! message; a database that cannot be reached is a clear error. The database comes from
//! DOSEWISE_TEST_DATABASE_URL (scripts/test starts a throwaway cluster and sets it).

mod common;

use common::{Run, command, output};
use std::path::Path;

const NOW: &str = "2026-11-28T11:00:00Z";

fn url() -> String {
    std::env::var("DOSEWISE_TEST_DATABASE_URL").unwrap_or_else(|_| {
        panic!(
            "DOSEWISE_TEST_DATABASE_URL is not set: run the tests with scripts/test, or \
             scripts/with-postgres cargo test -p dosewise --test postgres"
        )
    })
}

/// A journal name no other test uses.
fn journal(what: &str) -> String {
    format!("cli-{what}-{}", std::process::id())
}

fn run(home: &Path, args: &[&str]) -> Run {
    output(&mut command(home, NOW, args))
}

/// `args` on the named journal in the test database.
fn on_pg(home: &Path, name: &str, args: &[&str]) -> Run {
    let url = url();
    let mut all = vec!["--database", &url, "--journal", name];
    all.extend_from_slice(args);
    run(home, &all)
}

#[test]
fn demo_exports_the_same_from_either_backend() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let file = dir.path().join("sqlite");
    run(&file, &["demo"]).ok();
    let from_sqlite = run(&file, &["export"]).ok().stdout;
    let name = journal("demo");
    let home = dir.path().join("pg");
    on_pg(&home, &name, &["demo"]).ok();
    let from_pg = on_pg(&home, &name, &["export"]).ok().stdout;
    assert!(from_sqlite.len() > 10_000, "{} bytes", from_sqlite.len());
    assert_eq!(from_pg, from_sqlite);
    // Nothing was written to the home's file: the journal is in the database.
    assert!(!home.join("dosewise.db").exists());
    // The same journal, read back by name; another name is another journal.
    let other = on_pg(&home, &journal("empty"), &["--json", "history"])
        .ok()
        .json();
    assert_eq!(other["doses"].as_array().map(Vec::len), Some(0));
    // The safety check reads the PostgreSQL journal as it reads the file: the demo's limit
    // refuses a whole troche on both.
    let refused = on_pg(&home, &name, &["dose", "2", "troches"]);
    assert_eq!(refused.code, 3, "{}", refused.stderr);
    assert_eq!(run(&file, &["dose", "2", "troches"]).code, 3);
}

#[test]
fn cli_and_server_write_at_once_on_postgres() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let name = journal("writers");
    let url = url();
    on_pg(dir.path(), &name, &["demo"]).ok();
    common::server::write_at_once(dir.path(), &["--database", &url, "--journal", &name]);
}

#[test]
fn what_only_the_file_can_do_is_refused() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let name = journal("refusals");
    on_pg(
        dir.path(),
        &name,
        &["init", "--zone", "UTC", "--no-conditions"],
    )
    .ok();
    for args in [
        vec!["encrypt"],
        vec!["decrypt", "--yes"],
        vec!["rekey"],
        vec!["wipe", "--yes"],
        vec!["check", "--integrity"],
    ] {
        on_pg(dir.path(), &name, &args).fails("works on the embedded journal");
    }
    // Unreachable: a clear error, exit 1, and nothing made in the home.
    let r = run(
        dir.path(),
        &["--database", "postgres://nobody@127.0.0.1:1/none", "today"],
    );
    assert_eq!(r.code, 1);
    assert!(
        r.stderr
            .contains("could not open the journal in the PostgreSQL database")
            && r.stderr.contains("Connection refused"),
        "{}",
        r.stderr
    );
    // A URL that is not one.
    run(dir.path(), &["--database", "mysql://x", "today"]).fails("not a PostgreSQL address");
    // The password in a URL is never printed.
    let r = run(
        dir.path(),
        &[
            "--database",
            "postgres://me:s3cret@127.0.0.1:1/none",
            "today",
        ],
    );
    assert!(!r.stderr.contains("s3cret"), "{}", r.stderr);
}
