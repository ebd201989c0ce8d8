//! Durability and robustness: a writer killed at random moments loses nothing it acknowledged;
//! several writers at once never see "database is locked" and lose nothing; a corpus of hostile
//! inputs is refused with a message and leaves the journal unchanged.

#![cfg(unix)]

use serde_json::Value;
use std::io::BufRead;
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
    let j: Value = serde_json::from_str(&out).unwrap_or_else(|e| panic!("not JSON: {e}"));
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
        let mut child = writer(&h, &format!("r{round}"), 1000)
            .spawn()
            .unwrap_or_else(|e| panic!("{e}"));
        let pid = child.id().to_string();
        // Read the acknowledgements as they come, and kill only once this round's writer has
        // had at least one dose acknowledged, after a random further delay of up to about one
        // dose's time: the kill then lands at a random point of a dose in flight however slow
        // the machine is (fixed windows found no dose at all on a loaded machine).
        let stdout = child.stdout.take().unwrap_or_else(|| panic!("stdout"));
        let (tx, rx) = std::sync::mpsc::channel::<(String, std::time::Instant)>();
        let reader = std::thread::spawn(move || {
            for l in std::io::BufReader::new(stdout)
                .lines()
                .map_while(Result::ok)
            {
                if let Some(a) = l.strip_prefix("ack ") {
                    let _ = tx.send((a.to_string(), std::time::Instant::now()));
                }
            }
        });
        let started = std::time::Instant::now();
        let (first, at) = rx
            .recv_timeout(Duration::from_secs(60))
            .unwrap_or_else(|e| panic!("round {round}: no dose acknowledged in 60 s: {e}"));
        acked.push(first);
        let one_dose = at.duration_since(started).max(Duration::from_millis(5));
        let extra = one_dose.as_millis() as u64 * (seed % 100) / 100;
        std::thread::sleep(Duration::from_millis(extra));
        // Freeze the loop, SIGKILL the dose command in flight (its child), then the loop itself.
        let _ = Command::new("kill").args(["-STOP", "--", &pid]).status();
        let _ = Command::new("pkill").args(["-KILL", "-P", &pid]).status();
        let _ = Command::new("kill").args(["-KILL", "--", &pid]).status();
        let _ = child.wait();
        let _ = reader.join();
        acked.extend(rx.try_iter().map(|(a, _)| a));
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
    let j: Value = serde_json::from_str(&out).unwrap_or_else(|e| panic!("not JSON: {e}"));
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
    // Not only 60 rows: each writer's 15 doses, each exactly once.
    let mut stored = notes(&h);
    stored.sort();
    let mut expected: Vec<String> = (0..4)
        .flat_map(|w| (0..15).map(move |i| format!("w{w}-{i}")))
        .collect();
    expected.sort();
    assert_eq!(stored, expected);
    // And the stock's ledger took a quarter troche for each.
    let (_, out, _) = run(&h, &["--json", "stock", "show", "T"]);
    let j: Value = serde_json::from_str(&out).unwrap_or_else(|e| panic!("not JSON: {e}"));
    assert_eq!(
        j["stock"]["remaining"].as_f64(),
        Some(100000.0 - 0.25 * 60.0)
    );
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
    // Each case: the arguments, the exit code (1 input, 2 usage), and what the message must say
    // (the words that name what is wrong). Read once by a person against the real output.
    let mut cases: Vec<(Vec<String>, i32, String)> = Vec::new();
    let s = |v: &[&str]| v.iter().map(|x| x.to_string()).collect::<Vec<_>>();
    for (amount, code, says) in [
        ("", 1, "give an amount, e.g"),
        (" ", 1, "give an amount, e.g"),
        ("0", 1, "\"0\" without a unit is read in the stock's unit"),
        ("0 mg", 1, "amounts must be greater than zero"),
        ("-1 mg", 2, "unexpected argument '-1' found"),
        ("--5mg", 2, "unexpected argument '--5mg' found"),
        ("NaN mg", 1, "\"NaN\" is not a number"),
        ("inf mg", 1, "\"inf\" is not a number"),
        ("-inf mg", 2, "unexpected argument '-i' found"),
        ("1e3 mg", 1, "\"1e3\" is not a number"),
        ("1E3mg", 1, "\"1E3\" is not a number"),
        ("0x10 mg", 1, "\"0x10\" is not a number"),
        (
            "10",
            1,
            "\"10\" without a unit is read in the stock's unit, as \"10 troche\"",
        ),
        ("10 kg", 1, "\"kg\" is not a unit Dosewise knows"),
        ("10 lb", 1, "\"lb\" is not a unit Dosewise knows"),
        ("10 L", 1, "\"L\" is not a unit Dosewise knows"),
        (
            "10 g",
            1,
            "10000 mg would be 400 troches of this stock (25 mg HCl",
        ),
        ("1,5 mg", 1, "\"1,5\" uses a comma"),
        ("1.2.3 mg", 1, "\"1.2.3\" is not a number"),
        ("1/0 troche", 1, "a fraction cannot divide by zero"),
        ("0/1 troche", 1, "amounts must be greater than zero"),
        ("mg", 1, "\"mg\" is not a number"),
        ("troche", 1, "\"troche\" is not a number"),
        (
            "999999999999999999999 mg",
            1,
            "a mass of 1000000000000000000000 is above the largest",
        ),
        ("10 mg mg", 1, "\"10 mg\" is not a number"),
        ("½½ troche", 1, "\"½\" is not a number"),
        (
            "2 sprays",
            1,
            "a number of sprays does not fit this troche stock",
        ),
        (
            "3 drops",
            1,
            "a number of drops does not fit this troche stock",
        ),
        ("1 mL", 1, "a volume does not fit this troche stock"),
        (
            "5000 troches",
            1,
            "a count of 5000 is above the largest value this program",
        ),
        ("0.1 troche", 1, "0.1 troche is 0.1 troches of 25 mg"),
        ("🦄 mg", 1, "\"🦄\" is not a number"),
        ("10 мг", 1, "\"мг\" is not a unit Dosewise knows"),
        (
            "10 microgrammes of",
            1,
            "\"10 microgrammes\" is not a number",
        ),
        ("1/3 troche", 1, "0.333 troche is 0.333 troches of 25 mg"),
    ] {
        cases.push((s(&["dose", amount, "--stock", "T"]), code, says.into()));
    }
    for (at, code, says) in [
        (
            "2026-02-30 10:00",
            1,
            "\"2026-02-30 10:00\" is not a real date or time",
        ),
        (
            "2026-13-01 10:00",
            1,
            "\"2026-13-01 10:00\" is not a real date or time",
        ),
        (
            "2026-11-31 08:00",
            1,
            "\"2026-11-31 08:00\" is not a real date or time",
        ),
        ("24:00", 1, "\"24:00\" is not a real date or time"),
        ("23:60", 1, "\"23:60\" is not a real date or time"),
        ("25:00", 1, "\"25:00\" is not a real date or time"),
        ("-", 1, "could not read the time \"-\""),
        ("-h", 1, "could not read the time \"-h\""),
        ("-2x", 1, "could not read the time \"-2x\""),
        ("+2h", 1, "could not read the time \"+2h\""),
        (
            "tomorrow 10:00",
            1,
            "could not read the time \"tomorrow 10:00\"",
        ),
        ("next week", 1, "could not read the time \"next week\""),
        ("2026-11-28", 1, "\"2026-11-28\" names a day but no time"),
        ("yesterday", 1, "\"yesterday\" names a day but no time"),
        (
            "2026-11-28T12:00:00+99:00",
            1,
            "\"2026-11-28T12:00:00+99:00\" is not a real date or time:",
        ),
        (
            "2026-01-01T08:00:00+25:00",
            1,
            "offsets run from -23:59 to +23:59",
        ),
        (
            "99999-01-01 00:00",
            1,
            "could not read the time \"99999-01-01 00:00\"",
        ),
        ("-9999999d", 1, "could not read the time \"-9999999d\""),
        (
            "2026-11-29 09:00",
            1,
            "the dose is timed 21 hours in the future",
        ),
        (
            "2026-03-29 02:30",
            1,
            "\"2026-03-29 02:30\" does not exist in Europe/Berlin",
        ),
        ("13:00", 1, "the dose is timed 60 minutes in the future"),
    ] {
        cases.push((
            s(&["dose", "1/4 troche", "--stock", "T", "--at", at]),
            code,
            says.into(),
        ));
    }
    let long = "x".repeat(10_001);
    // (A NUL byte cannot be passed in an argument at all; the OS refuses it before Dosewise runs.)
    for (note, says) in [
        (
            long.as_str(),
            "the note is 10001 characters; the limit is 10000",
        ),
        (
            "bell\u{7}",
            "the note contains a control character (code 0x07)",
        ),
        (
            "esc\u{1b}[2J",
            "the note contains a control character (code 0x1b)",
        ),
        (
            "\u{8}backspace",
            "the note contains a control character (code 0x08)",
        ),
        (
            "del\u{7f}",
            "the note contains a control character (code 0x7f)",
        ),
        (
            "dose 10\u{202E}05 mg",
            "invisible or direction-changing character (U+202E)",
        ),
    ] {
        cases.push((
            s(&["dose", "1/4 troche", "--stock", "T", "--note", note]),
            1,
            says.into(),
        ));
        cases.push((
            s(&["checkin", "--mood", "5", "--note", note]),
            1,
            says.into(),
        ));
    }
    for (args, code, says) in [
        (vec!["checkin"], 1, "the check-in is empty"),
        (
            vec!["checkin", "--mood", "11"],
            1,
            "ratings are whole numbers from 0 to 10",
        ),
        (
            vec!["checkin", "--mood", "-1"],
            1,
            "ratings are whole numbers from 0 to 10",
        ),
        (
            vec!["checkin", "--mood", "five"],
            2,
            "invalid value 'five' for '--mood <MOOD>'",
        ),
        (
            vec!["checkin", "--side-effect", "nausea=11"],
            1,
            "ratings are whole numbers from 0 to 10",
        ),
        (
            vec!["checkin", "--side-effect", "two words"],
            1,
            "side effect \"two words\" not understood",
        ),
        (
            vec!["checkin", "--urinary", "purple"],
            1,
            "urinary symptom \"purple\" not understood",
        ),
        (
            vec!["checkin", "--mood", "5", "--tag", "a b"],
            1,
            "the tag \"a b\" is not valid",
        ),
        (
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
            1,
            "an active stock is already named \"T\"",
        ),
        (
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
            2,
            "unexpected argument '-2' found",
        ),
        (
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
            1,
            "the count may have halves and quarters only (e.g",
        ),
        (
            vec![
                "stock",
                "add",
                "troche",
                "--name",
                "G",
                "--strength",
                "10 g",
                "--count",
                "10",
            ],
            1,
            "a troche of 10000 mg is above 1000 mg, more than any single dose; that looks like a unit mistake",
        ),
        (
            vec![
                "stock", "add", "solution", "--name", "S", "--mass", "500mg", "--volume", "0mL",
            ],
            1,
            "amounts must be greater than zero",
        ),
        (
            vec!["stock", "adjust", "T", "--remove", "200000"],
            1,
            "the amount must be a number from 0 to 100000, got 200000",
        ),
        (vec!["stock", "show", "nope"], 1, "no stock \"nope\""),
        (
            vec!["dose", "edit", "999", "--amount", "1 troche"],
            1,
            "no dose #999",
        ),
        (vec!["dose", "delete", "999"], 1, "dose 999 does not exist"),
        (
            vec!["init", "--zone", "Nowhere/City"],
            1,
            "unknown time zone \"Nowhere/City\"",
        ),
        (
            vec!["init", "--weight", "0"],
            1,
            "a weight of 0 is outside 20-400 kg",
        ),
        (
            vec!["init", "--condition", "imaginary"],
            1,
            "unknown condition \"imaginary\"",
        ),
        (
            vec!["vitals", "--bp", "10/400"],
            1,
            "systolic pressure of 10 is outside the range a home",
        ),
        (
            vec!["vitals", "--hr", "0"],
            1,
            "heart rate of 0 is outside the range a home monitor can",
        ),
        (
            vec!["assess", "phq9", "--answers", "9,9,9"],
            1,
            "PHQ-9 has 9 questions",
        ),
        (
            vec!["protocol", "add", "--every", "0", "--dose", "1/4 troche"],
            1,
            "the interval must be from 1 to 60 days (every 1 = daily), got 0",
        ),
        (
            vec!["protocol", "add", "--on-off", "1/0", "--dose", "1/4 troche"],
            1,
            "on/off needs at least 1 day on and 1 day off (and at",
        ),
        (
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
            1,
            "a cycle must last from 1 to 366 days, got 0",
        ),
        (
            vec!["history", "--from", "2026-02-30"],
            1,
            "the start of the period (from) \"2026-02-30\" is not a real date (use",
        ),
        (
            vec!["calc", "solution", "--mass", "NaN mg", "--volume", "10mL"],
            1,
            "\"NaN\" is not a number",
        ),
        (
            vec![
                "calc", "dilute", "--from", "10mg/mL", "--to", "20mg/mL", "--volume", "5mL",
            ],
            1,
            "the target concentration (20 mg/mL) must be lower than",
        ),
    ] {
        cases.push((
            args.iter().map(|x| x.to_string()).collect(),
            code,
            says.into(),
        ));
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
    let import_says: Vec<(&str, i32, &str)> = vec![
        (
            "empty.json",
            1,
            "the file is not valid JSON (line 1, column",
        ),
        ("nul.json", 1, "the file is not valid JSON (line 1, column"),
        (
            "array.json",
            1,
            "the file is not valid JSON (line 1, column",
        ),
        (
            "string.json",
            1,
            "the file is not valid JSON (line 1, column",
        ),
        ("nofmt.json", 1, "this is not a Dosewise journal export (no"),
        ("v0.json", 1, "this export has format version 0"),
        ("v99.json", 1, "this export has format version 99"),
        (
            "trunc.json",
            1,
            "the file is not valid JSON (line 1, column",
        ),
        ("neg.json", 1, "a mass cannot be negative"),
        ("badzone.json", 1, "unknown time zone \"Mars/Base\""),
        (
            "dangling.json",
            1,
            "refers to stock 7, which is not in the file",
        ),
        (
            "rating.json",
            1,
            "ratings are whole numbers from 0 to 10; 42 is not",
        ),
        ("dupe.json", 1, "the id appears twice"),
        (
            "binary.age",
            1,
            "this export (age format) is encrypted: give its passphrase",
        ),
        (
            "latin1.json",
            1,
            "is not UTF-8 text (first bad byte at offset 0)",
        ),
        ("missing.json", 1, "No such file or directory"),
    ];
    for (name, bytes) in &files {
        let p = d.path().join(name);
        std::fs::write(&p, bytes).unwrap_or_else(|e| panic!("{e}"));
    }
    for (name, code, says) in import_says {
        let p = d.path().join(name);
        cases.push((
            vec!["import".into(), p.to_string_lossy().into()],
            code,
            says.into(),
        ));
    }
    assert!(cases.len() >= 100, "{} cases", cases.len());
    for (args, code, says) in &cases {
        let argv: Vec<&str> = args.iter().map(String::as_str).collect();
        let (got, out, err) = run(&h, &argv);
        assert_eq!(
            got, *code,
            "{argv:?}: exit {got}, stdout {out}, stderr {err}"
        );
        assert!(
            err.contains(says.as_str()),
            "{argv:?} should say {says:?}: {err}"
        );
        assert!(!err.contains("panicked"), "{argv:?}: {err}");
        // An input error says what is wrong in one short message, not a trace.
        if *code == 1 {
            assert!(err.starts_with("error: "), "{argv:?}: {err}");
            assert!(err.trim().lines().count() <= 2, "{argv:?}: {err}");
        }
        // What was imported, or not: "nothing" is said where a file was read.
        if argv[0] == "import"
            && argv[1].ends_with(".json")
            && std::path::Path::new(argv[1]).exists()
        {
            assert!(err.contains("Nothing was imported"), "{argv:?}: {err}");
        }
    }
    assert_eq!(
        run(&h, &["export"]).1,
        before,
        "a hostile input changed the journal"
    );
}
