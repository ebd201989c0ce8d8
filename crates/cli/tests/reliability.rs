//! Durability and robustness: a writer killed at random moments loses nothing it acknowledged;
//! several writers at once never see "database is locked" and lose nothing; a corpus of hostile
//! inputs is refused with a message and leaves the journal unchanged.

#![cfg(unix)]

use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Duration;
mod common;

const EXE: &str = env!("CARGO_BIN_EXE_dosewise");

fn home() -> (tempfile::TempDir, PathBuf) {
    let d = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let h = d.path().join("home");
    (d, h)
}

const NOW: &str = "2026-11-28T11:00:00Z";

fn run(home: &Path, args: &[&str]) -> (i32, String, String) {
    let r = common::output(&mut common::command(home, NOW, args));
    (r.code, r.stdout, r.stderr)
}

fn setup(home: &Path) {
    assert_eq!(run(home, &["init", "--no-conditions"]).0, 0);
    assert_eq!(
        run(
            home,
            &[
                "stock",
                "add",
                "troche",
                "--name",
                "T",
                "--strength",
                "25mg",
                "--count",
                "100000"
            ]
        )
        .0,
        0
    );
}

fn notes(home: &Path) -> Vec<String> {
    let (_, out, _) = run(home, &["export"]);
    let j: Value = serde_json::from_str(&out).unwrap_or_default();
    j["doses"]
        .as_array()
        .map(|a| {
            a.iter()
                .filter_map(|d| d["note"].as_str().map(String::from))
                .collect()
        })
        .unwrap_or_default()
}

/// A shell loop logging doses, printing "ack N" after each one the program confirmed.
fn writer(home: &Path, tag: &str, count: usize) -> Command {
    let script = format!(
        "i=0; while [ $i -lt {count} ]; do \"$EXE\" dose '1/4 troche' --stock T --note \"{tag}-$i\" >/dev/null 2>>\"$ERR\" && echo \"ack {tag}-$i\"; i=$((i+1)); done"
    );
    let mut c = Command::new("bash");
    c.arg("-c")
        .arg(script)
        .env("EXE", EXE)
        .env("ERR", home.with_extension(format!("{tag}.err")))
        .env("DOSEWISE_HOME", home)
        .env("DOSEWISE_TZ", "Europe/Berlin")
        .env("DOSEWISE_NOW", "2026-11-28T11:00:00Z")
        .stdin(Stdio::null())
        .stdout(Stdio::piped());
    c
}

#[test]
fn acknowledged_doses_survive_sigkill() {
    let (_d, h) = home();
    setup(&h);
    let mut acked: Vec<String> = Vec::new();
    let mut seed: u64 = 0x2545_f491_4f6c_dd1d;
    for round in 0..20 {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        let child = writer(&h, &format!("r{round}"), 1000)
            .spawn()
            .unwrap_or_else(|e| panic!("{e}"));
        let pid = child.id().to_string();
        std::thread::sleep(Duration::from_millis(40 + seed % 160));
        // Freeze the loop, SIGKILL the dose command in flight (its child), then the loop itself.
        let _ = Command::new("kill").args(["-STOP", "--", &pid]).status();
        let _ = Command::new("pkill").args(["-KILL", "-P", &pid]).status();
        let _ = Command::new("kill").args(["-KILL", "--", &pid]).status();
        let out = child.wait_with_output().unwrap_or_else(|e| panic!("{e}"));
        acked.extend(
            String::from_utf8_lossy(&out.stdout)
                .lines()
                .filter_map(|l| l.strip_prefix("ack ").map(String::from)),
        );
        let (code, out, err) = run(&h, &["check", "--integrity"]);
        assert_eq!(code, 0, "round {round}: {out}{err}");
        assert!(out.contains("integrity: ok"));
    }
    let stored = notes(&h);
    let missing: Vec<&String> = acked.iter().filter(|a| !stored.contains(a)).collect();
    assert!(missing.is_empty(), "acknowledged but lost: {missing:?}");
    assert!(
        acked.len() >= 20,
        "the writers made progress: {}",
        acked.len()
    );
    // The stock ledger agrees with the doses that were written.
    let (_, out, _) = run(&h, &["--json", "stock", "show", "T"]);
    let j: Value = serde_json::from_str(&out).unwrap_or_default();
    let remaining = j["stock"]["remaining"].as_f64().unwrap_or(f64::NAN);
    assert!(
        (100000.0 - 0.25 * stored.len() as f64 - remaining).abs() < 1e-6,
        "remaining {remaining} after {} doses",
        stored.len()
    );
}

#[test]
fn concurrent_writers_lose_nothing_and_never_see_locked() {
    let (_d, h) = home();
    setup(&h);
    let children: Vec<_> = (0..4)
        .map(|w| {
            writer(&h, &format!("w{w}"), 15)
                .spawn()
                .unwrap_or_else(|e| panic!("{e}"))
        })
        .collect();
    let mut acked = 0;
    for c in children {
        let out = c.wait_with_output().unwrap_or_else(|e| panic!("{e}"));
        acked += String::from_utf8_lossy(&out.stdout).lines().count();
    }
    for w in 0..4 {
        let err =
            std::fs::read_to_string(h.with_extension(format!("w{w}.err"))).unwrap_or_default();
        assert!(!err.contains("locked"), "writer {w}: {err}");
        assert!(err.is_empty(), "writer {w} failed: {err}");
    }
    assert_eq!(acked, 60);
    assert_eq!(notes(&h).len(), 60);
}

#[test]
fn hostile_inputs_are_refused_and_change_nothing() {
    let (d, h) = home();
    setup(&h);
    assert_eq!(
        run(
            &h,
            &["dose", "1/4 troche", "--stock", "T", "--note", "baseline"]
        )
        .0,
        0
    );
    let before = run(&h, &["export"]).1;
    let mut cases: Vec<Vec<String>> = Vec::new();
    let s = |v: &[&str]| v.iter().map(|x| x.to_string()).collect::<Vec<_>>();
    for amount in [
        "",
        " ",
        "0",
        "0 mg",
        "-1 mg",
        "--5mg",
        "NaN mg",
        "inf mg",
        "-inf mg",
        "1e3 mg",
        "1E3mg",
        "0x10 mg",
        "10",
        "10 kg",
        "10 lb",
        "10 L",
        "10 g",
        "1,5 mg",
        "1.2.3 mg",
        "1/0 troche",
        "0/1 troche",
        "mg",
        "troche",
        "999999999999999999999 mg",
        "10 mg mg",
        "½½ troche",
        "2 sprays",
        "3 drops",
        "1 mL",
        "5000 troches",
        "0.1 troche",
        "🦄 mg",
        "10 мг",
        "10 microgrammes of",
        "1/3 troche",
    ] {
        cases.push(s(&["dose", amount, "--stock", "T"]));
    }
    for at in [
        "2026-02-30 10:00",
        "2026-13-01 10:00",
        "2026-11-31 08:00",
        "24:00",
        "23:60",
        "25:00",
        "-",
        "-h",
        "-2x",
        "+2h",
        "tomorrow 10:00",
        "next week",
        "2026-11-28",
        "yesterday",
        "2026-11-28T12:00:00+99:00",
        "99999-01-01 00:00",
        "-9999999d",
        "2026-11-29 09:00",
        "2026-03-29 02:30",
        "13:00",
    ] {
        cases.push(s(&["dose", "1/4 troche", "--stock", "T", "--at", at]));
    }
    let long = "x".repeat(10_001);
    // (A NUL byte cannot be passed in an argument at all; the OS refuses it before Dosewise runs.)
    for note in [
        long.as_str(),
        "bell\u{7}",
        "esc\u{1b}[2J",
        "\u{8}backspace",
        "del\u{7f}",
    ] {
        cases.push(s(&["dose", "1/4 troche", "--stock", "T", "--note", note]));
        cases.push(s(&["checkin", "--mood", "5", "--note", note]));
    }
    for args in [
        vec!["checkin"],
        vec!["checkin", "--mood", "11"],
        vec!["checkin", "--mood", "-1"],
        vec!["checkin", "--mood", "five"],
        vec!["checkin", "--side-effect", "nausea=11"],
        vec!["checkin", "--side-effect", "two words"],
        vec!["checkin", "--urinary", "purple"],
        vec!["checkin", "--mood", "5", "--tag", "a b"],
        vec![
            "stock",
            "add",
            "troche",
            "--name",
            "T",
            "--strength",
            "25mg",
            "--count",
            "1",
        ],
        vec![
            "stock",
            "add",
            "troche",
            "--name",
            "X",
            "--strength",
            "-25mg",
            "--count",
            "1",
        ],
        vec![
            "stock",
            "add",
            "troche",
            "--name",
            "X",
            "--strength",
            "25mg",
            "--count",
            "0.3",
        ],
        vec![
            "stock", "add", "solution", "--name", "S", "--mass", "500mg", "--volume", "0mL",
        ],
        vec!["stock", "adjust", "T", "--remove", "200000"],
        vec!["stock", "show", "nope"],
        vec!["dose", "edit", "999", "--amount", "1 troche"],
        vec!["dose", "delete", "999"],
        vec!["init", "--zone", "Nowhere/City"],
        vec!["init", "--weight", "0"],
        vec!["init", "--condition", "imaginary"],
        vec!["vitals", "--bp", "10/400"],
        vec!["vitals", "--hr", "0"],
        vec!["assess", "phq9", "--answers", "9,9,9"],
        vec!["protocol", "add", "--every", "0", "--dose", "1/4 troche"],
        vec!["protocol", "add", "--on-off", "1/0", "--dose", "1/4 troche"],
        vec![
            "protocol",
            "add",
            "--every",
            "3",
            "--dose",
            "1/4 troche",
            "--cycle",
            "0d",
            "--break",
            "1w",
        ],
        vec!["history", "--from", "2026-02-30"],
        vec!["calc", "solution", "--mass", "NaN mg", "--volume", "10mL"],
        vec![
            "calc", "dilute", "--from", "10mg/mL", "--to", "20mg/mL", "--volume", "5mL",
        ],
    ] {
        cases.push(args.iter().map(|x| x.to_string()).collect());
    }
    let files: Vec<(&str, Vec<u8>)> = vec![
        ("empty.json", vec![]),
        ("nul.json", vec![0; 64]),
        ("array.json", b"[]".to_vec()),
        ("string.json", b"\"dosewise-journal\"".to_vec()),
        ("nofmt.json", br#"{"version":1}"#.to_vec()),
        ("v0.json", br#"{"format":"dosewise-journal","version":0}"#.to_vec()),
        ("v99.json", br#"{"format":"dosewise-journal","version":99}"#.to_vec()),
        ("trunc.json", br#"{"format":"dosewise-journal","version":2,"stocks":[{"id":1"#.to_vec()),
        ("neg.json", br#"{"format":"dosewise-journal","version":2,"profile":null,"stocks":[],"stock_events":[],"doses":[{"id":1,"at":"2026-01-01T00:00:00Z","zone":"UTC","stock_id":null,"entered":"x","quantity":{"unit":"mg","value":-5},"dose_mg":-5,"salt":"hcl","dose_mg_base":-4,"substance":"ketamine","route":"oral","bioavailable_mg_min":null,"bioavailable_mg_max":null,"mg_per_kg":null,"supply_used":null,"note":null,"created_at":"2026-01-01T00:00:00Z","updated_at":null,"deleted_at":null}],"dose_revisions":[],"checkins":[]}"#.to_vec()),
        ("badzone.json", br#"{"format":"dosewise-journal","version":2,"profile":{"name":null,"zone":"Mars/Base","weight_kg":null,"created_at":"2026-01-01T00:00:00Z","updated_at":"2026-01-01T00:00:00Z"},"stocks":[],"stock_events":[],"doses":[],"dose_revisions":[],"checkins":[]}"#.to_vec()),
        ("dangling.json", br#"{"format":"dosewise-journal","version":2,"profile":null,"stocks":[],"stock_events":[{"id":1,"stock_id":7,"at":"2026-01-01T00:00:00Z","kind":"dose","delta":-1,"remaining_after":0,"dose_id":null,"reason":null}],"doses":[],"dose_revisions":[],"checkins":[]}"#.to_vec()),
        ("rating.json", br#"{"format":"dosewise-journal","version":2,"profile":null,"stocks":[],"stock_events":[],"doses":[],"dose_revisions":[],"checkins":[{"id":1,"at":"2026-01-01T00:00:00Z","zone":"UTC","ratings":{"mood":42},"side_effects":[],"craving":null,"urinary":[],"note":null,"tags":[],"private":false,"created_at":"2026-01-01T00:00:00Z"}]}"#.to_vec()),
        ("dupe.json", br#"{"format":"dosewise-journal","version":2,"profile":null,"stocks":[],"stock_events":[],"doses":[],"dose_revisions":[],"checkins":[{"id":1,"at":"2026-01-01T00:00:00Z","zone":"UTC","ratings":{"mood":4},"side_effects":[],"craving":null,"urinary":[],"note":null,"tags":[],"private":false,"created_at":"2026-01-01T00:00:00Z"},{"id":1,"at":"2026-01-02T00:00:00Z","zone":"UTC","ratings":{"mood":5},"side_effects":[],"craving":null,"urinary":[],"note":null,"tags":[],"private":false,"created_at":"2026-01-01T00:00:00Z"}]}"#.to_vec()),
        ("binary.age", b"age-encryption.org/v1\n-> garbage\n".to_vec()),
        ("latin1.json", vec![0xe9, 0xe8, 0x7b]),
    ];
    for (name, bytes) in &files {
        let p = d.path().join(name);
        std::fs::write(&p, bytes).unwrap_or_else(|e| panic!("{e}"));
        cases.push(vec!["import".into(), p.to_string_lossy().into()]);
    }
    cases.push(vec![
        "import".into(),
        d.path().join("missing.json").to_string_lossy().into(),
    ]);
    assert!(cases.len() >= 100, "{} cases", cases.len());
    for args in &cases {
        let argv: Vec<&str> = args.iter().map(String::as_str).collect();
        let (code, out, err) = run(&h, &argv);
        assert_ne!(code, 0, "{argv:?} was accepted: {out}");
        assert!(code == 1 || code == 2 || code == 3, "{argv:?}: exit {code}");
        assert!(!err.trim().is_empty(), "{argv:?}: no message");
        assert!(!err.contains("panicked"), "{argv:?}: {err}");
    }
    assert_eq!(
        run(&h, &["export"]).1,
        before,
        "a hostile input changed the journal"
    );
}
