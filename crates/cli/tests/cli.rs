//! The real binary, driven in a temporary home. Each test fixes the clock (DOSEWISE_NOW) and the
//! zone (DOSEWISE_TZ) so results do not depend on when or where the suite runs.

use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

mod common;
use common::{Run, ZONE};

const NOW: &str = "2026-11-28T11:00:00Z"; // 12:00 in Berlin

struct Home {
    dir: tempfile::TempDir,
}

impl Home {
    fn new() -> Home {
        Home {
            dir: tempfile::tempdir().unwrap_or_else(|e| panic!("{e}")),
        }
    }
    fn path(&self) -> PathBuf {
        self.dir.path().join("home")
    }
    fn cmd(&self, args: &[&str]) -> Command {
        common::command(&self.path(), NOW, args)
    }
    fn run(&self, args: &[&str]) -> Run {
        common::output(&mut self.cmd(args))
    }
    fn export(&self) -> String {
        self.run(&["export"]).ok().stdout
    }
    /// A home with a profile and a 25 mg HCl troche stock of 10.
    fn with_troches() -> Home {
        let h = Home::new();
        h.run(&["init", "--zone", ZONE, "--weight", "70kg"]).ok();
        h.run(&[
            "stock",
            "add",
            "troche",
            "--name",
            "Troche 25",
            "--strength",
            "25mg",
            "--count",
            "10",
        ])
        .ok();
        h
    }
}

fn f(v: &Value) -> f64 {
    v.as_f64().unwrap_or_else(|| panic!("not a number: {v}"))
}

#[test]
fn first_dose_end_to_end() {
    let h = Home::with_troches();
    let r = h
        .run(&["--json", "dose", "1/2", "troche", "--note", "before work"])
        .ok();
    let j = r.json();
    let d = &j["dose"];
    assert_eq!(f(&d["dose_mg"]), 12.5);
    assert_eq!(d["salt"], "hcl");
    // Worked by hand from the cited facts, not the program's constants: base = HCl × 237.7 /
    // 274.2 (the molecular weights, DEA/SWGDRUG) = 12.5 × 0.8669 = 10.84 mg; sublingual
    // absorption 24 % (Chong 2009) to 32 % (Chong 2006): 2.60 to 3.47 mg; per 70 kg: 0.155 mg/kg.
    assert!((f(&d["dose_mg_base"]) - 10.84).abs() < 0.005);
    assert_eq!(d["route"], "sublingual");
    assert!((f(&d["bioavailable_mg_min"]) - 2.60).abs() < 0.005);
    assert!((f(&d["bioavailable_mg_max"]) - 3.47).abs() < 0.005);
    assert!((f(&d["mg_per_kg"]) - 0.155).abs() < 0.0005);
    assert_eq!(d["zone"], ZONE);
    assert_eq!(d["at"], "2026-11-28T11:00:00Z");
    assert_eq!(f(&j["stock"]["remaining"]), 9.5);
    // The human form says the same thing, with HCl and base side by side.
    let r = h.run(&["dose", "12.5mg", "--at", "yesterday 21:00"]).ok();
    assert!(
        r.stdout.contains("12.5 mg HCl (10.84 mg base)"),
        "{}",
        r.stdout
    );
    assert!(r.stdout.contains("2026-11-27 21:00 CET"), "{}", r.stdout);
    assert!(r.stdout.contains("9 troches"), "{}", r.stdout);
}

#[test]
fn every_command_prints_one_json_document() {
    let h = Home::with_troches();
    h.run(&["dose", "1/4 troche"]).ok();
    h.run(&["checkin", "--mood", "6"]).ok();
    for args in [
        vec!["--json", "today"],
        vec!["--json", "history"],
        vec!["--json", "stock", "list"],
        vec!["--json", "stock", "show", "1"],
        vec!["--json", "dose", "show", "1"],
        vec!["--json", "init"],
        vec![
            "--json", "calc", "solution", "--mass", "500mg", "--volume", "10mL",
        ],
    ] {
        let r = h.run(&args).ok();
        let _ = r.json();
    }
    // Errors too: the JSON error document on stdout, the message on stderr.
    let r = h
        .run(&["--json", "dose", "15"])
        .fails_with(1, "without a unit");
    assert_eq!(r.json()["error"]["exit_code"], 1);
}

#[test]
fn calculators_use_unit_named_fields() {
    let h = Home::new();
    let j = h
        .run(&[
            "--json", "calc", "solution", "--mass", "500mg", "--volume", "10mL", "--dose", "12mg",
            "--purity", "90",
        ])
        .ok()
        .json();
    assert!((f(&j["concentration_mg_per_ml"]) - 45.0).abs() < 1e-9);
    assert!((f(&j["volume_per_dose_ml"]) - 12.0 / 45.0).abs() < 1e-12);
    assert!((f(&j["doses_per_batch"]) - 450.0 / 12.0).abs() < 1e-9);
    let j = h
        .run(&[
            "--json",
            "calc",
            "spray",
            "--concentration",
            "50mg/mL",
            "--spray-volume",
            "0.1mL",
            "--dose",
            "10mg",
        ])
        .ok()
        .json();
    assert!((f(&j["mg_per_spray"]) - 5.0).abs() < 1e-12);
    assert!((f(&j["sprays"]) - 2.0).abs() < 1e-12);
    assert_eq!(j["whole"], true);
    let j = h
        .run(&[
            "--json",
            "calc",
            "spray",
            "--concentration",
            "50mg/mL",
            "--spray-volume",
            "0.1mL",
            "--dose",
            "12mg",
        ])
        .ok()
        .json();
    assert_eq!(j["whole"], false);
    assert_eq!(j["nearest"].as_array().map(Vec::len), Some(2));
    let j = h
        .run(&[
            "--json", "calc", "dilute", "--from", "50mg/mL", "--to", "25mg/mL", "--volume", "10mL",
        ])
        .ok()
        .json();
    assert!((f(&j["water_to_add_ml"]) - 10.0).abs() < 1e-9);
    let j = h
        .run(&[
            "--json",
            "calc",
            "convert",
            "10mg",
            "--from",
            "intranasal",
            "--to",
            "sublingual",
        ])
        .ok()
        .json();
    assert!((f(&j["equivalent_mg_min"]) - 10.0 * 11.0 / 32.0).abs() < 1e-9);
    assert!((f(&j["equivalent_mg_max"]) - 10.0 * 45.0 / 24.0).abs() < 1e-9);
    // The sources disagree about 4-fold: no single typical figure, and each study is shown.
    assert!(j["equivalent_mg_typical"].is_null());
    assert!(
        j["no_typical_reason"]
            .as_str()
            .is_some_and(|r| r.contains("more than 2"))
    );
    let studies: Vec<&str> = j["from"]["sources"]
        .as_array()
        .map(|s| s.iter().filter_map(|x| x["study"].as_str()).collect())
        .unwrap_or_default();
    assert!(studies.contains(&"n=3, 25 mg nasal spray"), "{studies:?}");
    assert!(
        j["caveat"]
            .as_str()
            .unwrap_or("")
            .contains("not a dosing instruction")
    );
    assert!(
        !j["to"]["sources"]
            .as_array()
            .map(Vec::is_empty)
            .unwrap_or(true)
    );
    // Injected routes are refused both ways, with a message; buccal converts (sublingual data,
    // said so), and swallowed doses mention norketamine.
    for (from, to) in [("intravenous", "sublingual"), ("oral", "intramuscular")] {
        h.run(&["calc", "convert", "10mg", "--from", from, "--to", to])
            .fails("does not convert to or from injected doses");
    }
    h.run(&[
        "calc", "convert", "10mg", "--from", "rectal", "--to", "oral",
    ])
    .fails("routes used at home");
    let out = h
        .run(&[
            "calc", "convert", "10mg", "--from", "buccal", "--to", "oral",
        ])
        .ok()
        .stdout;
    assert!(
        out.contains("54471007") && out.contains("norketamine"),
        "{out}"
    );
    assert!(out.contains("(typical estimate 15 mg)"), "{out}");
    // The calculators save nothing and need no journal.
    assert!(!h.path().exists());
}

#[test]
fn sprays_and_solutions_through_stock() {
    let h = Home::new();
    h.run(&["init"]).ok();
    let j = h
        .run(&[
            "--json",
            "stock",
            "add",
            "spray",
            "--name",
            "Nasal",
            "--concentration",
            "100mg/mL",
            "--spray-volume",
            "0.1mL",
            "--bottle",
            "5mL",
            "--priming",
            "5",
        ])
        .ok()
        .json();
    assert!(
        (f(&j["remaining"]) - 4.5).abs() < 1e-12,
        "priming sprays are not supply: {j}"
    );
    let j = h
        .run(&["--json", "dose", "2 sprays", "--stock", "Nasal"])
        .ok()
        .json();
    assert!((f(&j["dose"]["dose_mg"]) - 20.0).abs() < 1e-9);
    assert_eq!(j["dose"]["route"], "intranasal");
    assert!((f(&j["stock"]["remaining"]) - 4.3).abs() < 1e-9);
    h.run(&["dose", "15mg", "--stock", "Nasal"]).fails_with(
        1,
        "nearest whole-spray doses: 1 spray = 10 mg, 2 sprays = 20 mg",
    );
    h.run(&[
        "stock",
        "add",
        "solution",
        "--name",
        "Home solution",
        "--mass",
        "500mg",
        "--volume",
        "10mL",
    ])
    .ok();
    h.run(&["dose", "3 drops", "--stock", "Home solution"])
        .fails_with(1, "calibrate");
    h.run(&[
        "stock",
        "adjust",
        "Home solution",
        "--drop-volume",
        "0.05mL",
    ])
    .ok();
    let j = h
        .run(&["--json", "dose", "4 drops", "--stock", "Home solution"])
        .ok()
        .json();
    assert!((f(&j["dose"]["dose_mg"]) - 10.0).abs() < 1e-9);
    assert!((f(&j["stock"]["remaining"]) - 9.8).abs() < 1e-9);
    // With two stocks and no --stock, Dosewise asks rather than guesses.
    h.run(&["dose", "10mg"])
        .fails_with(1, "several active stocks");
}

/// Run `args`, expect exit 1 with `needle` in stderr, and prove nothing changed.
fn refused_without_change(h: &Home, args: &[&str], needle: &str) {
    let before = h.export();
    h.run(args).fails_with(1, needle);
    assert_eq!(h.export(), before, "{args:?} changed the journal");
}

#[test]
fn bad_amounts_change_nothing() {
    let h = Home::with_troches();
    h.run(&["dose", "1/2 troche"]).ok();
    // A bare fraction is in the stock's own unit, and recorded with it.
    let j = h.run(&["--json", "dose", "1/4", "--at", "-1h"]).ok().json();
    assert_eq!(j["dose"]["entered"], "1/4 troche");
    assert_eq!(j["dose"]["dose_mg"], 6.25);
    refused_without_change(&h, &["dose", "--", "-5mg"], "greater than zero");
    refused_without_change(&h, &["dose", "0 mg"], "greater than zero");
    refused_without_change(&h, &["dose", "NaN mg"], "not a number");
    refused_without_change(&h, &["dose", "inf mg"], "not a number");
    refused_without_change(
        &h,
        &["dose", "99999999999999999999999999999 mg"],
        "largest value",
    );
    refused_without_change(&h, &["dose", "10 kg"], "not a unit");
    // A bare number is in the stock's unit: 15 troches is a unit slip, said so; without a
    // stock, a bare number is refused.
    refused_without_change(
        &h,
        &["dose", "15"],
        "\"15\" without a unit is read in the stock's unit, as \"15 troche\"",
    );
    refused_without_change(&h, &["dose", "15", "--no-stock"], "no unit");
    refused_without_change(&h, &["dose", "1,5 mg"], "comma");
    refused_without_change(&h, &["dose", "2 sprays"], "does not fit this troche stock");
    refused_without_change(&h, &["dose", "10 g"], "unit mistake");
    refused_without_change(&h, &["dose", "20 troches"], "unit mistake");
    refused_without_change(&h, &["dose", "10 mg"], "halves or quarters");
    refused_without_change(&h, &["dose", "2 g", "--no-stock"], "unit mistake");
    h.run(&[
        "stock", "adjust", "1", "--set", "0.25", "--reason", "counted",
    ])
    .ok();
    refused_without_change(&h, &["dose", "1 troche"], "has only 0.25 troche left");
}

#[test]
fn bad_times_and_text_change_nothing() {
    let h = Home::with_troches();
    refused_without_change(
        &h,
        &["dose", "1/2 troche", "--at", "2026-02-30 10:00"],
        "not a real date",
    );
    refused_without_change(
        &h,
        &["dose", "1/2 troche", "--at", "25:00"],
        "not a real date",
    );
    refused_without_change(
        &h,
        &["dose", "1/2 troche", "--at", "next week"],
        "could not read the time",
    );
    refused_without_change(
        &h,
        &["dose", "1/2 troche", "--at", "13:00"],
        "in the future",
    );
    refused_without_change(
        &h,
        &["dose", "1/2 troche", "--at", "2026-03-29 02:30"],
        "does not exist",
    );
    let long = "x".repeat(10_001);
    refused_without_change(
        &h,
        &["dose", "1/2 troche", "--note", &long],
        "the limit is 10000",
    );
    refused_without_change(
        &h,
        &["dose", "1/2 troche", "--note", "bell\u{7}"],
        "control character",
    );
    refused_without_change(&h, &["checkin", "--mood", "11"], "0 to 10");
    refused_without_change(&h, &["checkin"], "empty");
    refused_without_change(&h, &["checkin", "--urinary", "itch"], "not understood");
    refused_without_change(&h, &["checkin", "--mood", "5", "--tag", "two words"], "tag");
    refused_without_change(
        &h,
        &[
            "stock",
            "add",
            "troche",
            "--name",
            "X",
            "--strength",
            "25mg",
            "--count",
            "3",
            "--expiry",
            "2027-02-30",
        ],
        "not a real date",
    );
    refused_without_change(
        &h,
        &[
            "stock",
            "add",
            "troche",
            "--name",
            "Troche 25",
            "--strength",
            "25mg",
            "--count",
            "3",
        ],
        "already named",
    );
    refused_without_change(
        &h,
        &[
            "stock", "add", "solution", "--name", "S", "--mass", "500mg", "--volume", "10mL",
            "--purity", "0",
        ],
        "purity",
    );
    refused_without_change(
        &h,
        &["stock", "adjust", "1", "--remove", "50"],
        "only 10 troches on hand",
    );
    refused_without_change(&h, &["init", "--zone", "Mars/Olympus"], "unknown time zone");
    refused_without_change(&h, &["init", "--weight", "7000"], "outside");
}

#[test]
fn text_is_stored_verbatim() {
    let h = Home::with_troches();
    let note =
        "Robert'); DROP TABLE dose;-- <script>alert(1)</script> 💊 naïve ünïcödé\nsecond line";
    h.run(&["dose", "1/2 troche", "--note", note]).ok();
    let j: Value = serde_json::from_str(&h.export()).unwrap_or_else(|e| panic!("not JSON: {e}"));
    assert_eq!(j["doses"][0]["note"], note);
    h.run(&["history"]).ok();
}

#[test]
fn export_import_export_is_identical_and_import_is_all_or_nothing() {
    let h = Home::new();
    h.run(&["demo", "--weeks", "4"]).ok();
    // The demo's protocol refuses a dose a day after the last one; the override is part of
    // what must survive the round trip.
    h.run(&[
        "dose",
        "1/4 troche",
        "--note",
        "=HYPERLINK(\"http://x\")",
        "--override",
        "round-trip test",
    ])
    .ok();
    h.run(&[
        "dose",
        "edit",
        "1",
        "--amount",
        "1/4 troche",
        "--reason",
        "smaller",
    ])
    .ok();
    h.run(&["dose", "delete", "2", "--reason", "never happened"])
        .ok();
    let first = h.export();
    let file = h.dir.path().join("export.json");
    std::fs::write(&file, &first).unwrap_or_else(|e| panic!("{e}"));

    let other = Home::new();
    let file_s = file.to_string_lossy().to_string();
    other.run(&["import", &file_s]).ok();
    assert_eq!(
        other.export(),
        first,
        "export → import → export must be identical"
    );

    // Same file again: nothing new, nothing lost.
    let r = other.run(&["--json", "import", &file_s]).ok().json();
    assert_eq!(r["doses"], 0);
    // A changed record: conflict reported, nothing written (not even the new records in it).
    let mut j: Value = serde_json::from_str(&first).unwrap_or_else(|e| panic!("not JSON: {e}"));
    j["doses"][0]["note"] = Value::String("changed".into());
    if let Some(arr) = j["checkins"].as_array_mut() {
        let mut extra = arr[0].clone();
        extra["id"] = Value::from(99_999);
        arr.push(extra);
    }
    let changed = h.dir.path().join("changed.json");
    std::fs::write(&changed, j.to_string()).unwrap_or_else(|e| panic!("{e}"));
    let before = other.export();
    other
        .run(&["import", &changed.to_string_lossy()])
        .fails_with(1, "dose 1 differs");
    assert_eq!(other.export(), before);
}

#[test]
fn broken_import_files_say_where() {
    let h = Home::with_troches();
    let before = h.export();
    let dir = h.dir.path();
    let cases: [(&str, &[u8], &str); 5] = [
        ("trunc.json", br#"{"format":"dosewise-journal","version":1,"stocks":["#, "line 1"),
        ("foreign.json", br#"{"entries":[{"text":"hello"}]}"#, "not a Dosewise journal"),
        ("newer.json", br#"{"format":"dosewise-journal","version":99}"#, "version"),
        ("binary.json", &[0xff, 0xfe, 0x00, 0x41], "not UTF-8"),
        ("wrongtype.json", b"{\"format\":\"dosewise-journal\",\"version\":1,\n\"profile\":null,\n\"stocks\":\"many\"}", "line 3"),
    ];
    for (name, bytes, needle) in cases {
        let p = dir.join(name);
        std::fs::write(&p, bytes).unwrap_or_else(|e| panic!("{e}"));
        h.run(&["import", &p.to_string_lossy()])
            .fails_with(1, needle);
    }
    h.run(&["import", &dir.join("missing.json").to_string_lossy()])
        .fails_with(1, "cannot read");
    assert_eq!(h.export(), before);
}

#[test]
fn csv_export_defuses_formulas() {
    let h = Home::with_troches();
    h.run(&["dose", "1/2 troche", "--note", "=1+2"]).ok();
    h.run(&["checkin", "--mood", "5", "--note", "@SUM(A1:A9)"])
        .ok();
    let doses = h.run(&["export", "--format", "csv"]).ok().stdout;
    assert!(
        doses.lines().nth(1).unwrap_or("").ends_with(",'=1+2"),
        "{doses}"
    );
    let checkins = h
        .run(&["export", "--format", "csv", "--table", "checkins"])
        .ok()
        .stdout;
    assert!(checkins.contains("'@SUM(A1:A9)"), "{checkins}");
    assert!(
        !checkins
            .lines()
            .any(|l| l.contains(",=") || l.contains(",@"))
    );
}

#[test]
fn corrections_are_recorded_not_silent() {
    let h = Home::with_troches();
    h.run(&["dose", "1 troche"]).ok();
    h.run(&[
        "dose",
        "edit",
        "1",
        "--amount",
        "1/2 troche",
        "--reason",
        "misread",
    ])
    .ok();
    let j = h.run(&["--json", "dose", "show", "1"]).ok().json();
    assert_eq!(f(&j["dose"]["dose_mg"]), 12.5);
    assert_eq!(f(&j["revisions"][0]["previous"]["dose_mg"]), 25.0);
    assert_eq!(j["revisions"][0]["reason"], "misread");
    let s = h.run(&["--json", "stock", "show", "1"]).ok().json();
    assert_eq!(f(&s["stock"]["remaining"]), 9.5);
    h.run(&["dose", "delete", "1", "--reason", "did not take it"])
        .ok();
    let s = h.run(&["--json", "stock", "show", "1"]).ok().json();
    assert_eq!(f(&s["stock"]["remaining"]), 10.0);
    let hist = h.run(&["--json", "history", "--deleted"]).ok().json();
    assert_eq!(hist["doses"].as_array().map(Vec::len), Some(1));
    assert!(hist["doses"][0]["deleted_at"].is_string());
    let hist = h.run(&["--json", "history"]).ok().json();
    assert_eq!(hist["doses"].as_array().map(Vec::len), Some(0));
}

#[test]
fn checkin_with_urinary_symptoms_warns_with_sources() {
    let h = Home::with_troches();
    let j = h
        .run(&[
            "--json",
            "checkin",
            "--mood",
            "4",
            "--side-effect",
            "nausea=3",
            "--urinary",
            "frequency,blood",
            "--tag",
            "work",
            "--private",
        ])
        .ok()
        .json();
    assert_eq!(
        j["checkin"]["urinary"],
        serde_json::json!(["frequency", "blood"])
    );
    assert_eq!(j["checkin"]["private"], true);
    assert_eq!(j["warnings"][0]["code"], "urinary_symptoms");
    assert!(
        j["warnings"][0]["sources"]
            .as_array()
            .map(|a| a.len() >= 2)
            .unwrap_or(false)
    );
}

#[test]
fn today_and_history() {
    let h = Home::with_troches();
    h.run(&["dose", "1/2 troche", "--at", "08:00"]).ok();
    h.run(&["dose", "1/2 troche", "--at", "yesterday 08:00"])
        .ok();
    h.run(&["checkin", "--mood", "7", "--at", "-1h"]).ok();
    let t = h.run(&["--json", "today"]).ok().json();
    assert_eq!(t["doses_today"].as_array().map(Vec::len), Some(1));
    assert_eq!(t["checked_in_today"], true);
    assert!(
        (f(&t["dose_mg_base_today"]) - 10.84).abs() < 0.005,
        "12.5 mg HCl in base"
    );
    let hist = h
        .run(&[
            "--json",
            "history",
            "--kind",
            "dose",
            "--from",
            "2026-11-27",
            "--to",
            "2026-11-27",
        ])
        .ok()
        .json();
    assert_eq!(hist["doses"].as_array().map(Vec::len), Some(1));
    assert_eq!(hist["checkins"].as_array().map(Vec::len), Some(0));
    h.run(&["history", "--from", "2026-11-30", "--to", "2026-11-01"])
        .fails_with(1, "after");
    let text = h.run(&["today"]).ok().stdout;
    assert!(text.contains("Doses today: 1"), "{text}");
}

#[test]
fn low_stock_is_flagged() {
    let h = Home::new();
    h.run(&["init"]).ok();
    h.run(&[
        "stock",
        "add",
        "troche",
        "--name",
        "T",
        "--strength",
        "25mg",
        "--count",
        "3",
        "--dispensed",
        "30",
    ])
    .ok();
    let t = h.run(&["--json", "today"]).ok().json();
    assert_eq!(t["stock"][0]["low"], true);
    assert!(h.run(&["today"]).ok().stdout.contains("running low"));
}

#[test]
fn commands_need_a_journal_but_say_how_to_make_one() {
    let h = Home::new();
    h.run(&["today"]).fails_with(1, "dosewise init");
    assert!(!h.path().join("dosewise.db").exists());
}

#[test]
fn demo_only_fills_an_empty_home() {
    let h = Home::new();
    let j = h.run(&["--json", "demo"]).ok().json();
    assert!(j["imported"]["doses"].as_u64().unwrap_or(0) >= 18);
    h.run(&["demo"]).fails_with(1, "already has entries");
}

#[test]
fn usage_errors_exit_2_and_help_exits_0() {
    let h = Home::new();
    assert_eq!(h.run(&["frobnicate"]).code, 2);
    assert_eq!(h.run(&["dose", "--at"]).code, 2);
    Home::with_troches()
        .run(&["dose"])
        .fails_with(1, "give an amount");
    let r = h.run(&["--help"]).ok();
    assert!(r.stdout.contains("Exit codes"));
    let r = h.run(&["checkin", "--help"]).ok();
    assert!(r.stdout.contains("worst imaginable"));
}

#[cfg(unix)]
#[test]
fn files_are_private() {
    use std::os::unix::fs::PermissionsExt;
    let h = Home::with_troches();
    let mode = |p: &Path| {
        std::fs::metadata(p)
            .map(|m| m.permissions().mode() & 0o777)
            .unwrap_or(0)
    };
    assert_eq!(mode(&h.path()), 0o700);
    assert_eq!(mode(&h.path().join("dosewise.db")), 0o600);
    let out = h.dir.path().join("out.json");
    h.run(&["export", "--out", &out.to_string_lossy()]).ok();
    assert_eq!(mode(&out), 0o600);
    // Never overwrite without --force.
    h.run(&["export", "--out", &out.to_string_lossy()])
        .fails_with(1, "--force");
}

/// With a terminal on stdin and no ratings given, `checkin` asks for each rating. `script`
/// (util-linux) provides a real pseudo-terminal.
#[test]
fn checkin_prompts_on_a_terminal() {
    use std::io::Write;
    let h = Home::with_troches();
    let exe = env!("CARGO_BIN_EXE_dosewise");
    let mut child = Command::new("script")
        .args(["-qec", &format!("{exe} checkin"), "/dev/null"])
        .env("DOSEWISE_HOME", h.path())
        .env("DOSEWISE_NOW", NOW)
        .env("DOSEWISE_TZ", ZONE)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("util-linux `script` is needed for this test: {e}"));
    // mood 6, skip anxiety, energy 12 (refused, asked again) then 4, skip the rest, a note.
    if let Some(mut stdin) = child.stdin.take() {
        stdin
            .write_all(b"6\n\n12\n4\n\n\n\n\nfelt ok\n")
            .unwrap_or_else(|e| panic!("{e}"));
    }
    let out = child.wait_with_output().unwrap_or_else(|e| panic!("{e}"));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{text}");
    assert!(
        text.contains("whole number from 0 to 10"),
        "the bad rating is explained: {text}"
    );
    let j: Value = serde_json::from_str(&h.export()).unwrap_or_else(|e| panic!("not JSON: {e}"));
    let c = &j["checkins"][0];
    assert_eq!(c["ratings"]["mood"], 6);
    assert_eq!(c["ratings"]["anxiety"], Value::Null);
    assert_eq!(c["ratings"]["energy"], 4);
    assert_eq!(c["note"], "felt ok");
}

#[test]
fn today_shows_the_same_trend_findings_as_check() {
    let h = Home::with_troches();
    // Three doses in the four weeks before last, six in the last four: dosing more often.
    for at in ["2026-10-05 08:00", "2026-10-12 08:00", "2026-10-19 08:00"] {
        h.run(&["dose", "1/2 troche", "--at", at]).ok();
    }
    for at in [
        "2026-11-02 08:00",
        "2026-11-06 08:00",
        "2026-11-10 08:00",
        "2026-11-14 08:00",
        "2026-11-18 08:00",
        "2026-11-22 08:00",
    ] {
        h.run(&["dose", "1/2 troche", "--at", at]).ok();
    }
    let codes = |v: &Value| -> Vec<String> {
        v["findings"]
            .as_array()
            .map(|a| {
                a.iter()
                    .filter_map(|f| f["code"].as_str().map(String::from))
                    .filter(|c| c == "frequency_creep" || c == "tolerance_signal")
                    .collect()
            })
            .unwrap_or_default()
    };
    let today = h.run(&["--json", "today"]).ok().json();
    let check = h.run(&["--json", "check"]).ok().json();
    assert_eq!(codes(&today), vec!["frequency_creep".to_string()]);
    assert_eq!(codes(&today), codes(&check));
    assert!(
        today["questionnaires_due"]
            .as_array()
            .is_some_and(|a| a.iter().any(|x| x == "phq9"))
    );
    let text = h.run(&["today"]).ok().stdout;
    assert!(
        text.contains("6 doses in the last four weeks, 3 in the four before"),
        "{text}"
    );
}

/// `info` explains the confidence codes and lists Dosewise's own thresholds as D, with their
/// reasoning; the home-solution and spray calculators carry the FDA alerts and the nasal note.
#[test]
fn info_shows_the_codes_and_the_calculators_their_caveats() {
    let h = Home::new();
    let codes = h.run(&["info", "codes"]).ok().stdout;
    for c in [
        "H  read in the primary paper",
        "M  read only in a secondary",
        "L  unverified",
        "D  a Dosewise design choice",
    ] {
        assert!(codes.contains(c), "{c}: {codes}");
    }
    let rules = h.run(&["--json", "info", "rules"]).ok().json();
    let ids: Vec<&str> = rules
        .as_array()
        .map(|r| r.iter().filter_map(|x| x["id"].as_str()).collect())
        .unwrap_or_default();
    for id in [
        "unit_plausibility",
        "early",
        "craving",
        "interaction_windows",
        "after_the_fact",
    ] {
        assert!(ids.contains(&id), "{id}: {ids:?}");
    }
    let text = h.run(&["info", "rules"]).ok().stdout;
    assert!(text.contains("unit_plausibility [D]: a dose more than 3x the median"));
    let i = h.run(&["info", "interactions", "alcohol"]).ok().stdout;
    assert!(
        i.contains("CC BY-SA 4.0") && i.contains("[M, refuse]"),
        "{i}"
    );
    let s = h
        .run(&[
            "--json", "calc", "solution", "--mass", "500mg", "--volume", "10mL",
        ])
        .ok()
        .json();
    let notes = s["notes"].to_string();
    assert!(
        notes.contains("FDA") && notes.contains("unknown purity") && notes.contains("snort"),
        "{notes}"
    );
    let s = h
        .run(&[
            "calc",
            "spray",
            "--concentration",
            "100mg/mL",
            "--spray-volume",
            "0.1mL",
        ])
        .ok()
        .stdout;
    assert!(s.contains("should be a prescribed product"), "{s}");
}
