//! What the CLI test files share: running the real binary in a temporary home with a fixed
//! clock and zone, and reading its result.
#![allow(dead_code)]

pub mod server;

// SQLite's start-up calls Dosewise's SQLCipher hook (.cargo/config.toml), compiled by the store's
// crate. A test binary that opens journals with rusqlite directly, and nothing of the store,
// would not link it: loading the crate here links it into every test binary.
extern crate dosewise_store_sqlite;

use serde_json::Value;
use std::path::Path;
use std::process::{Command, Stdio};

/// The zone every test runs in.
pub const ZONE: &str = "Europe/Berlin";

/// One run of the binary.
#[derive(Debug)]
pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl Run {
    /// Stdout as one JSON document.
    pub fn json(&self) -> Value {
        serde_json::from_str(&self.stdout)
            .unwrap_or_else(|e| panic!("stdout is not one JSON document ({e}):\n{}", self.stdout))
    }
    /// Assert success.
    pub fn ok(self) -> Self {
        self.code(0)
    }
    /// Assert the exit code.
    pub fn code(self, code: i32) -> Self {
        assert_eq!(
            self.code, code,
            "expected exit {code}\nstdout: {}\nstderr: {}",
            self.stdout, self.stderr
        );
        self
    }
    /// Assert exit 1 with `needle` in stderr (case-insensitive).
    pub fn fails(self, needle: &str) -> Self {
        self.fails_with(1, needle)
    }
    /// Assert exit `code` with `needle` in stderr (case-insensitive).
    pub fn fails_with(self, code: i32, needle: &str) -> Self {
        let run = self.code(code);
        assert!(
            run.stderr.to_lowercase().contains(&needle.to_lowercase()),
            "stderr should mention {needle:?}:\n{}",
            run.stderr
        );
        run
    }
}

/// The binary in `home` at `now` (RFC 3339), in [`ZONE`], with no terminal and no passphrase.
pub fn command(home: &Path, now: &str, args: &[&str]) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_dosewise"));
    c.args(args)
        .env("DOSEWISE_HOME", home)
        .env("DOSEWISE_NOW", now)
        .env("DOSEWISE_TZ", ZONE)
        .env_remove("DOSEWISE_PASSPHRASE_FILE")
        .stdin(Stdio::null());
    c
}

/// Run a prepared command to completion.
pub fn output(cmd: &mut Command) -> Run {
    let o = cmd
        .output()
        .unwrap_or_else(|e| panic!("could not run dosewise: {e}"));
    Run {
        code: o.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&o.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&o.stderr).into_owned(),
    }
}

/// The arguments that add a stock of `count` 25 mg HCl troches named `name`.
pub fn troche_stock(name: &str, count: &str) -> Vec<String> {
    [
        "stock",
        "add",
        "troche",
        "--name",
        name,
        "--strength",
        "25mg",
        "--count",
        count,
    ]
    .iter()
    .map(|s| s.to_string())
    .collect()
}

/// Schemathesis (pinned in tests/contract/requirements.txt, installed by scripts/test) against
/// the OpenAPI document at `doc`, with `header` on every request and `filters` choosing the
/// operations: every phase, every check, seed 1, 10 examples, deterministic; failures beyond
/// `baseline` fail it, unless `DOSEWISE_CONTRACT_UPDATE` is set (then they are recorded).
/// Returns whether it passed and what it printed; it must never see a 5xx.
pub fn schemathesis(
    doc: &str,
    header: &str,
    filters: &[&str],
    baseline: &Path,
    dir: &Path,
) -> (bool, String) {
    let contract = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/contract");
    let st = contract.join(".venv/bin/st");
    assert!(
        st.is_file(),
        "schemathesis is not installed in tests/contract/.venv: run scripts/test (it installs it)"
    );
    let mut cmd = Command::new(&st);
    cmd.arg("run")
        .arg(doc)
        .args(["-H", header])
        .args(filters)
        .args(["--seed", "1", "--max-examples", "10", "--workers", "1"])
        .args(["--phases", "examples,coverage,fuzzing,stateful"])
        .args(["--checks", "all"])
        // The same cases every run: no example database carried between runs, no randomness
        // beyond the seed.
        .arg("--generation-deterministic")
        .arg("--baseline")
        .arg(baseline)
        .current_dir(dir)
        .env("NO_COLOR", "1")
        .env("SCHEMATHESIS_TELEMETRY", "false");
    if std::env::var_os("DOSEWISE_CONTRACT_UPDATE").is_some() {
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
    assert!(
        !text.contains("Server error") && !text.contains("ST100"),
        "no 5xx"
    );
    (out.status.success(), text)
}

/// Validate a Bundle with tests/fhir/validate.mjs (FHIR.js and HL7's R4 JSON schema).
pub fn validate_fhir(path: &Path) -> serde_json::Value {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/fhir");
    assert!(
        dir.join("node_modules/fhir").is_dir(),
        "the FHIR validators are not installed in tests/fhir: run scripts/test (it installs them), or `npm ci` there"
    );
    let out = std::process::Command::new("node")
        .arg("validate.mjs")
        .arg(path)
        .current_dir(&dir)
        .output()
        .unwrap_or_else(|e| panic!("node: {e}"));
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "validator output is not JSON ({e}): {}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        )
    })
}

/// A blinded trial's fill list as the helper reads it (the HTML `trial plan` writes): each
/// container code and "active" or "placebo".
pub fn fill_list(html: &str) -> std::collections::HashMap<String, String> {
    html.split("<tr><td class=\"code\">")
        .skip(1)
        .map(|row| {
            let code = row.split('<').next().unwrap_or_default().to_string();
            let what = row
                .split("<td>")
                .nth(1)
                .and_then(|x| x.split('<').next())
                .unwrap_or_default()
                .to_string();
            (code, what)
        })
        .collect()
}

/// The latest trial's dosing days (date, container code) from a JSON export.
pub fn trial_days(export: &Value) -> Vec<(String, String)> {
    export["trials"]
        .as_array()
        .and_then(|t| t.last())
        .and_then(|t| t["days"].as_array())
        .map(|a| {
            a.iter()
                .map(|d| {
                    (
                        d["date"].as_str().unwrap_or_default().to_string(),
                        d["code"].as_str().unwrap_or_default().to_string(),
                    )
                })
                .collect()
        })
        .unwrap_or_default()
}
