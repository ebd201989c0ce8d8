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
    let home = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    output(&mut command(home.path(), NOW, &["demo"])).ok();
    let server = Server::start(home.path(), &[], &[]).unwrap_or_else(|e| panic!("{e}"));
    let update = std::env::var_os("DOSEWISE_CONTRACT_UPDATE").is_some();
    let (passed, text) = common::schemathesis(
        &format!("{}api/v1/openapi.json", server.url()),
        &format!("Authorization: Bearer {}", server.key),
        &[],
        &contract.join("baseline.json"),
        home.path(),
    );
    // Every operation but the document itself, which schemathesis reads rather than tests.
    let n = dosewise_web::API_ROUTES.len() - 1;
    assert!(
        text.contains(&format!("Selected: {n}/{n}")) && text.contains(&format!("Tested: {n}")),
        "every operation is tested: {text}"
    );
    if !update {
        assert!(
            passed,
            "schemathesis found contract failures beyond tests/contract/baseline.json"
        );
    }
    assert_eq!(server.stop(), Some(0));
}
