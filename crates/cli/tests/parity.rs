//! Every capability on every surface: each CLI command (listed from the binary's own manual
//! pages, so a new command cannot be missed) maps to the JSON API operations and the web pages
//! that do the same, and each API operation is reached from some command. The test fails when a
//! capability exists on one surface only, unless it is in an exception list that says why.

mod common;

use common::server::Server;
use common::{command, output};
use std::collections::BTreeSet;

const NOW: &str = "2026-11-28T11:00:00Z";

/// CLI command (as in `dosewise-stock-add-troche.1`) → (API operations, web pages).
/// An API operation is "METHOD /path" under /api/v1, as the router and OpenAPI document list it.
const MAP: &[(&str, &[&str], &[&str])] = &[
    (
        "assess",
        &["post /assessments", "get /assessments"],
        &["/assess", "/assess/phq9"],
    ),
    ("backup", &["post /backup"], &["/import"]),
    (
        "calc-convert",
        &["post /calc/convert"],
        &["/calc?kind=convert&dose=10mg&from=intranasal&to=sublingual"],
    ),
    (
        "calc-dilute",
        &["post /calc/dilute"],
        &["/calc?kind=dilute&from=50mg%2FmL&to=25mg%2FmL&volume=10mL"],
    ),
    (
        "calc-solution",
        &["post /calc/solution"],
        &["/calc?kind=solution&mass=500mg&volume=10mL"],
    ),
    (
        "calc-spray",
        &["post /calc/spray"],
        &["/calc?kind=spray&concentration=100mg%2FmL&spray_volume=0.1mL"],
    ),
    ("calendar", &["get /calendar"], &["/calendar.ics"]),
    ("check", &["get /review"], &["/review"]),
    ("check-dose", &["post /doses"], &["/dose"]),
    (
        "checkin",
        &["post /checkins", "get /checkins"],
        &["/checkin"],
    ),
    (
        "checkin-delete",
        &["post /checkins/{id}/delete"],
        &["/checkins/1"],
    ),
    (
        "checkin-edit",
        &["post /checkins/{id}/edit"],
        &["/checkins/1/edit"],
    ),
    ("checkin-show", &["get /checkins/{id}"], &["/checkins/1"]),
    ("clear", &["post /review"], &["/review"]),
    ("dose", &["post /doses"], &["/dose"]),
    ("dose-delete", &["post /doses/{id}/delete"], &["/doses/1"]),
    ("dose-edit", &["post /doses/{id}/edit"], &["/doses/1"]),
    ("dose-show", &["get /doses/{id}"], &["/doses/1"]),
    (
        "export",
        &["get /export"],
        &["/export.json", "/export.csv?table=doses"],
    ),
    (
        "history",
        &[
            "get /doses",
            "get /checkins",
            "get /vitals",
            "get /assessments",
            "get /substance-uses",
        ],
        &["/history"],
    ),
    (
        "import",
        &["post /import", "post /import-backup", "post /import-csv"],
        &["/import"],
    ),
    (
        "info",
        &["get /info", "get /info/{topic}"],
        &["/info", "/info?topic=interactions&name=xanax"],
    ),
    (
        "init",
        &["post /profile", "get /profile"],
        &["/setup", "/profile"],
    ),
    ("insights", &["get /insights"], &["/insights"]),
    ("meds-add", &["post /medications"], &["/meds"]),
    ("meds-list", &["get /medications"], &["/meds"]),
    ("meds-remove", &["post /medications/{id}/stop"], &["/meds"]),
    ("protocol-add", &["post /protocols/start"], &["/protocol"]),
    (
        "protocol-end",
        &["post /protocols/{id}/end"],
        &["/protocol"],
    ),
    ("protocol-list", &["get /protocols"], &["/protocol"]),
    (
        "protocol-next",
        &["get /protocols/{id}/next"],
        &["/protocol"],
    ),
    (
        "protocol-pause",
        &["post /protocols/{id}/pause"],
        &["/protocol"],
    ),
    (
        "protocol-resume",
        &["post /protocols/{id}/resume"],
        &["/protocol"],
    ),
    (
        "protocol-set",
        &["post /protocols/{id}/change"],
        &["/protocol"],
    ),
    ("protocol-show", &["get /protocols"], &["/protocol"]),
    ("report", &["get /report"], &["/report", "/report/view"]),
    ("restore", &["post /import-backup"], &["/import"]),
    ("screen", &["get /screen", "post /screen"], &["/screen"]),
    ("stock-add-solution", &["post /stock/add"], &["/stock"]),
    ("stock-add-spray", &["post /stock/add"], &["/stock"]),
    ("stock-add-troche", &["post /stock/add"], &["/stock"]),
    (
        "stock-adjust",
        &["post /stock", "post /stock/{id}/drops"],
        &["/stock"],
    ),
    ("stock-count", &["post /stock"], &["/stock"]),
    ("stock-list", &["get /stock"], &["/stock"]),
    ("stock-retire", &["post /stock/{id}/retire"], &["/stock"]),
    ("stock-show", &["get /stock/{id}"], &["/stock/1"]),
    ("share-connect", &["post /share/connect"], &["/share"]),
    ("share-log", &["get /share/log"], &["/share"]),
    ("share-revoke", &["post /share/revoke"], &["/share"]),
    ("share-status", &["get /share"], &["/share"]),
    ("sync", &["post /sync"], &["/share"]),
    ("today", &["get /today"], &["/"]),
    ("trial-labels", &["get /trial/labels"], &["/trial/labels"]),
    ("trial-plan", &["post /trial/plan"], &["/trial"]),
    ("trial-result", &["get /trial/result"], &["/trial"]),
    ("trial-reveal", &["post /trial/reveal"], &["/trial"]),
    ("trial-status", &["get /trial"], &["/trial"]),
    ("trial-stop", &["post /trial/stop"], &["/trial"]),
    ("trial-unblind", &["post /trial/unblind"], &["/trial"]),
    (
        "use",
        &["post /substance-uses", "get /substance-uses"],
        &["/meds"],
    ),
    ("vitals", &["post /vitals", "get /vitals"], &["/vitals"]),
];

/// Commands that only group others (`dosewise stock` does nothing by itself).
const GROUPS: &[&str] = &[
    "",
    "calc",
    "clinic",
    "meds",
    "protocol",
    "share",
    "stock",
    "stock-add",
    "trial",
];

/// Commands with no web or API counterpart, and why.
const CLI_ONLY: &[(&str, &str)] = &[
    (
        "encrypt",
        "converts the journal file at rest, which the running server holds open; run it with the server stopped",
    ),
    (
        "decrypt",
        "converts the encrypted journal back to a plain file, with the server stopped (as encrypt)",
    ),
    (
        "rekey",
        "changes the key of the journal file at rest, with the server stopped (as encrypt)",
    ),
    (
        "wipe",
        "deletes the home and its files; a page must not be able to do that (the issue allows it CLI-only)",
    ),
    ("serve", "starts the web app and the API themselves"),
    (
        "clinic-init",
        "sets up a clinic server's PostgreSQL database: the clinic's operator runs it, not a patient's journal",
    ),
    (
        "clinic-serve",
        "starts the clinic server, a different server with its own API (crates/clinic)",
    ),
    (
        "demo",
        "writes a sample journal into a new, empty home for trying Dosewise; a server serves one journal",
    ),
    (
        "completions",
        "shell integration of the command line itself",
    ),
    ("man", "the command line's own manual"),
];

/// API operations no CLI command has, and why.
const API_ONLY: &[(&str, &str)] = &[
    ("get /openapi.json", "the API's description of itself"),
    (
        "get /calendar-link",
        "a private link for calendar apps, which only a server can answer (the CLI writes the .ics file instead)",
    ),
    ("post /calendar-link", "as get /calendar-link"),
];

#[test]
fn every_capability_is_on_every_surface() {
    // The CLI's commands, from its own manual pages.
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let man = dir.path().join("man");
    std::fs::create_dir(&man).unwrap_or_else(|e| panic!("{e}"));
    let m = man.to_string_lossy().to_string();
    output(&mut command(dir.path(), NOW, &["man", "--out", &m])).ok();
    let commands: BTreeSet<String> = std::fs::read_dir(&man)
        .unwrap_or_else(|e| panic!("{e}"))
        .filter_map(|e| {
            let name = e.ok()?.file_name().to_string_lossy().to_string();
            let name = name.strip_suffix(".1")?;
            Some(
                name.strip_prefix("dosewise-")
                    .unwrap_or(if name == "dosewise" { "" } else { name })
                    .to_string(),
            )
        })
        .collect();
    assert!(commands.len() > 50, "{commands:?}");
    let accounted: BTreeSet<String> = MAP
        .iter()
        .map(|(c, _, _)| *c)
        .chain(GROUPS.iter().copied())
        .chain(CLI_ONLY.iter().map(|(c, _)| *c))
        .map(str::to_string)
        .collect();
    let missing: Vec<_> = commands.difference(&accounted).collect();
    assert!(
        missing.is_empty(),
        "CLI commands with no web page or API operation (map them, or say why in CLI_ONLY): {missing:?}"
    );
    let stale: Vec<_> = accounted.difference(&commands).collect();
    assert!(stale.is_empty(), "listed but no such command: {stale:?}");
    for (c, why) in CLI_ONLY {
        assert!(why.len() > 10, "{c}: say why");
    }

    // Every mapped API operation exists, and every operation is reached.
    let routes: BTreeSet<String> = dosewise_web::API_ROUTES
        .iter()
        .map(|(m, p)| format!("{m} {p}"))
        .collect();
    let mut reached = BTreeSet::new();
    for (c, api, web) in MAP {
        assert!(!api.is_empty() && !web.is_empty(), "{c}: both surfaces");
        for op in *api {
            assert!(routes.contains(*op), "{c}: no API operation {op}");
            reached.insert(op.to_string());
        }
    }
    for (op, _) in API_ONLY {
        assert!(
            routes.contains(*op),
            "API_ONLY lists {op}, which does not exist"
        );
        reached.insert(op.to_string());
    }
    let unreached: Vec<_> = routes.difference(&reached).collect();
    assert!(
        unreached.is_empty(),
        "API operations no command maps to (map them, or say why in API_ONLY): {unreached:?}"
    );

    // Every mapped page answers, on a real server over a real journal (with a finished trial,
    // whose labels and result are pages and reads too).
    output(&mut command(dir.path(), NOW, &["demo", "--trial"])).ok();
    let server = Server::start(dir.path(), &[], &[]).unwrap_or_else(|e| panic!("{e}"));
    let pages: BTreeSet<&str> = MAP.iter().flat_map(|(_, _, w)| w.iter().copied()).collect();
    for p in &pages {
        let (status, body) = server.http("GET", p, None);
        assert_eq!(status, 200, "{p}: {}", &body[..body.len().min(300)]);
    }
    // And every API read answers (the writes are exercised by the router tests).
    for op in &routes {
        if let Some(path) = op.strip_prefix("get ") {
            let path = format!(
                "/api/v1{}",
                path.replace("{id}", "1").replace("{topic}", "risks")
            );
            let (status, body) = server.http("GET", &path, None);
            assert_eq!(status, 200, "{path}: {}", &body[..body.len().min(300)]);
        }
    }
    assert_eq!(server.stop(), Some(0));
}
