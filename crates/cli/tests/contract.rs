//! The API keeps its own contract: schemathesis (pinned in tests/contract/requirements.txt,
//! installed by scripts/test) runs every phase — examples, coverage, fuzzing, stateful — with
//! every check against `dosewise serve` on a real journal, with a fixed seed and a bounded number
//! of examples. It must find nothing beyond tests/contract/baseline.json, whose every entry is
//! explained in tests/contract/README.md. `DOSEWISE_CONTRACT_UPDATE=1` records new failures into
//! the baseline instead (then explain them, or better, fix them).

mod common;

use common::server::Server;
use common::{command, output};
use std::path::Path;

const NOW: &str = "2026-11-28T11:00:00Z";

#[test]
fn the_api_keeps_its_contract() {
    let contract = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/contract");
    let st = contract.join(".venv/bin/st");
    assert!(
        st.is_file(),
        "schemathesis is not installed in tests/contract/.venv: run scripts/test (it installs it)"
    );
    let home = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    output(&mut command(home.path(), NOW, &["demo"])).ok();
    let server = Server::start(home.path(), &[], &[]).unwrap_or_else(|e| panic!("{e}"));
    let baseline = contract.join("baseline.json");
    let update = std::env::var_os("DOSEWISE_CONTRACT_UPDATE").is_some();
    let mut cmd = std::process::Command::new(&st);
    cmd.arg("run")
        .arg(format!("{}api/v1/openapi.json", server.url()))
        .args(["-H", &format!("Authorization: Bearer {}", server.key)])
        .args(["--seed", "1", "--max-examples", "10", "--workers", "1"])
        .args(["--phases", "examples,coverage,fuzzing,stateful"])
        .args(["--checks", "all"])
        // The same cases every run: no example database carried between runs, no randomness
        // beyond the seed.
        .arg("--generation-deterministic")
        .arg("--baseline")
        .arg(&baseline)
        .current_dir(home.path())
        .env("NO_COLOR", "1")
        .env("SCHEMATHESIS_TELEMETRY", "false");
    if update {
        cmd.arg("--baseline-update");
    }
    let out = cmd
        .output()
        .unwrap_or_else(|e| panic!("{}: {e}", st.display()));
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    println!("{text}");
    // Every operation but the document itself, which schemathesis reads rather than tests.
    let n = dosewise_web::API_ROUTES.len() - 1;
    assert!(
        text.contains(&format!("Selected: {n}/{n}")) && text.contains(&format!("Tested: {n}")),
        "every operation is tested: {text}"
    );
    assert!(
        !text.contains("Server error") && !text.contains("ST100"),
        "no 5xx"
    );
    if !update {
        assert!(
            out.status.success(),
            "schemathesis found contract failures beyond tests/contract/baseline.json"
        );
    }
    assert_eq!(server.stop(), Some(0));
}
