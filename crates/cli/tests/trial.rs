//! The self-blinded trial through the real binary: plan (sealed allocation, the fill list, the
//! labels printed to PDF and read back with poppler), eight scripted weeks of doses by
//! container code and check-ins with guesses, an emergency unblinding of one day, the reveal,
//! and the result checked against the fill list computed independently here.

mod common;

use common::{Run, command, fill_list, output, trial_days, troche_stock};
use serde_json::Value;
use std::path::Path;
use std::process::Command;

fn run(home: &Path, now: &str, args: &[&str]) -> Run {
    output(&mut command(home, now, args))
}

/// A new journal in `home` with a stock of 60 troches of 25 mg.
fn journal(home: &Path, now: &str) {
    run(home, now, &["init", "--weight", "70"]).ok();
    let stock = troche_stock("T25", "60");
    let stock: Vec<&str> = stock.iter().map(String::as_str).collect();
    run(home, now, &stock).ok();
}

/// The trial result of an export imported into a new journal beside `dir`'s.
fn result_elsewhere(dir: &Path, now: &str, file: &Path) -> Value {
    let other = dir.join("other");
    run(&other, now, &["init"]).ok();
    run(&other, now, &["import", file.to_str().unwrap_or_default()]).ok();
    run(&other, now, &["--json", "trial", "result"]).ok().json()
}

fn mean(v: &[f64]) -> f64 {
    v.iter().sum::<f64>() / v.len() as f64
}

#[test]
fn plan_take_guess_unblind_reveal_and_the_result() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let home = dir.path().join("home");
    let files = dir.path();
    let t0 = "2026-11-30T09:00:00Z";
    journal(&home, t0);

    // Planning refuses what it cannot use, and writes nothing.
    let fill = files.join("fill.html");
    let labels = files.join("labels.pdf");
    let key = files.join("key.txt");
    let base = [
        "trial",
        "plan",
        "--start",
        "2026-12-01",
        "--weeks",
        "8",
        "--fill-list",
    ];
    let plan = |extra: &[&str]| {
        let mut a: Vec<&str> = base.to_vec();
        a.push(fill.to_str().unwrap_or_default());
        if !extra.contains(&"--dose") {
            a.extend(["--dose", "1/2 troche"]);
        }
        a.extend_from_slice(extra);
        run(&home, t0, &a)
    };
    let key_s = key.to_str().unwrap_or_default();
    plan(&["--smallest-change", "1"]).fails("--recipient");
    plan(&["--smallest-change", "-1", "--key-out", key_s]).fails("smallest change");
    plan(&[
        "--smallest-change",
        "1",
        "--key-out",
        key_s,
        "--outcome",
        "happiness",
    ])
    .fails("not an outcome");
    plan(&[
        "--smallest-change",
        "1",
        "--key-out",
        key_s,
        "--dose",
        "10 g",
    ])
    .fails("unit mistake");
    assert!(
        !fill.exists() && !key.exists(),
        "a refused plan writes nothing"
    );
    let export = || run(&home, t0, &["--json", "export"]).ok().stdout;
    assert!(export().contains("\"trials\": []"));

    let labels_s = labels.to_str().unwrap_or_default();
    // The smallest change that matters: half a point (the scripted effect is about 2).
    plan(&[
        "--smallest-change",
        "0.5",
        "--key-out",
        key_s,
        "--labels",
        labels_s,
        "--key-holder",
        "Dr Lee",
    ])
    .ok();
    // One trial at a time.
    let fill2 = files.join("fill2.html");
    let key2 = files.join("key2.txt");
    run(
        &home,
        t0,
        &[
            "trial",
            "plan",
            "--smallest-change",
            "1",
            "--dose",
            "1/2 troche",
            "--fill-list",
            fill2.to_str().unwrap_or_default(),
            "--key-out",
            key2.to_str().unwrap_or_default(),
        ],
    )
    .fails("one trial at a time");
    assert!(!fill2.exists() && !key2.exists());

    let contents = fill_list(&std::fs::read_to_string(&fill).unwrap_or_default());
    let j: Value = serde_json::from_str(&export()).unwrap_or_else(|e| panic!("{e}"));
    let days = trial_days(&j);
    // 8 weeks of one day on, two off: 9 blocks of an active and a placebo day.
    assert_eq!(days.len(), 18);
    assert_eq!(contents.len(), 18);
    assert_eq!(
        contents.values().filter(|c| *c == "active").count(),
        9,
        "each block holds one active and one placebo day"
    );
    assert!(days.iter().all(|(_, c)| contents.contains_key(c)));

    // The labels, printed to PDF, read back: every code and day, nothing of the contents.
    let text = Command::new("pdftotext")
        .arg(&labels)
        .arg("-")
        .output()
        .unwrap_or_else(|e| panic!("pdftotext (poppler-utils): {e}"));
    let text = String::from_utf8_lossy(&text.stdout);
    for (_, code) in &days {
        assert!(text.contains(code.as_str()), "{code} is not on the labels");
    }
    assert!(text.contains("Tue 1 Dec 2026"));
    assert!(!text.contains("active") && !text.contains("placebo"));

    // Sealed: the journal file and its export hold nothing that tells the days apart.
    let sealed_export = export();
    assert!(!sealed_export.contains("placebo") && !sealed_export.contains("\"condition\""));
    let db = std::fs::read(home.join("dosewise.db")).unwrap_or_default();
    assert!(!db.is_empty());
    assert!(
        !String::from_utf8_lossy(&db).contains("placebo"),
        "the journal file holds no condition in the clear"
    );
    // Another key opens nothing and records nothing.
    let wrong = files.join("wrong.txt");
    std::fs::write(
        &wrong,
        "AGE-SECRET-KEY-1GQ9778VQXMMJVE8SK7J6VT8UJ4HDQAJUVSFCWCM02D8GEWQ72PVQ2Y5J33\n",
    )
    .unwrap_or_else(|e| panic!("{e}"));
    let d3 = &days[2];
    run(
        &home,
        "2026-12-07T09:00:00Z",
        &[
            "trial",
            "unblind",
            &d3.0,
            "--key-file",
            wrong.to_str().unwrap_or_default(),
            "--reason",
            "testing a wrong key",
        ],
    )
    .fails("");
    assert_eq!(export(), sealed_export);

    // Eight weeks: each dosing day the day's container, and an evening check-in with a guess.
    // Mood is 6 on placebo and 8 on active days, with a wobble from block to block; the guesses are right
    // two days in three.
    let mut moods: Vec<(String, bool, f64)> = Vec::new();
    let mut right = 0;
    let mut guessed = 0;
    for (k, (date, code)) in days.iter().enumerate() {
        let morning = format!("{date}T07:30:00Z");
        let st = run(&home, &morning, &["--json", "trial", "status"])
            .ok()
            .json();
        assert_eq!(st["state"]["today"]["code"], code.as_str(), "{date}");
        let logged = run(&home, &morning, &["--json", "dose", "--container", code])
            .ok()
            .json();
        assert_eq!(logged["dose"]["container"], code.as_str());
        assert_eq!(logged["dose"]["entered"], "1/2 troche");
        let active = contents[code] == "active";
        // Both days of a block share its wobble, so the difference is 2 whatever the order.
        let mood: f64 = if active { 8.0 } else { 6.0 } + [1.0, -1.0, 0.0][(k / 2) % 3];
        let guess = match (k % 3, active) {
            (2, true) => "placebo",
            (2, false) => "active",
            (_, true) => "active",
            (_, false) => "placebo",
        };
        guessed += 1;
        if k % 3 != 2 {
            right += 1;
        }
        let evening = format!("{date}T19:00:00Z");
        run(
            &home,
            &evening,
            &[
                "checkin",
                "--mood",
                &format!("{mood}"),
                "--guess",
                guess,
                "--sure",
                "3",
            ],
        )
        .ok();
        moods.push((date.clone(), active, mood));
        if k == 2 {
            // An emergency on the third dosing day: that day is opened, the rest stay sealed.
            let out = run(
                &home,
                &format!("{date}T20:00:00Z"),
                &[
                    "trial",
                    "unblind",
                    date,
                    "--key-file",
                    key_s,
                    "--reason",
                    "felt faint, my GP asked",
                ],
            )
            .ok();
            assert!(
                out.stdout
                    .contains(if active { "active" } else { "placebo" })
            );
            let e = export();
            assert_eq!(e.matches("\"condition\"").count(), 1, "one day is opened");
            run(&home, &format!("{date}T20:00:00Z"), &["trial", "result"]).fails("still blinded");
            run(
                &home,
                &format!("{date}T20:00:00Z"),
                &["trial", "reveal", "--key-file", key_s],
            )
            .fails("runs until");
        }
    }
    // Bad input changes nothing.
    let late = "2027-01-27T09:00:00Z";
    run(&home, late, &["dose", "--container", "ZZZZZ"]).fails("not a container");
    run(
        &home,
        late,
        &["checkin", "--mood", "5", "--guess", "active", "--sure", "9"],
    )
    .fails("1 (a pure guess) to 5");

    // The end: reveal with the key, and the result against what was done here.
    let r = run(
        &home,
        late,
        &["--json", "trial", "reveal", "--key-file", key_s],
    )
    .ok()
    .json();
    let kept: Vec<&(String, bool, f64)> = moods
        .iter()
        .enumerate()
        .filter(|(k, _)| *k != 2)
        .map(|x| x.1)
        .collect();
    let act: Vec<f64> = kept.iter().filter(|m| m.1).map(|m| m.2).collect();
    let pla: Vec<f64> = kept.iter().filter(|m| !m.1).map(|m| m.2).collect();
    let a = &r["analysis"];
    assert_eq!(a["active_days"], act.len());
    assert_eq!(a["placebo_days"], pla.len());
    let effect = a["effect"].as_f64().unwrap_or(f64::NAN);
    assert!(
        (effect - (mean(&act) - mean(&pla))).abs() < 1e-9,
        "{effect}"
    );
    assert_eq!(a["exact"], true);
    assert_eq!(a["allocations"], 512, "2^9 block orders");
    assert!(a["p_value"].as_f64().unwrap_or(1.0) < 0.05, "{a}");
    // The unblinded third day (a wrong guess) is left out.
    let (g, c) = (guessed - 1, right);
    assert_eq!(a["blinding"]["guessed"], g);
    assert_eq!(a["blinding"]["correct"], c);
    assert_eq!(r["observed"]["unblinded"], 1);
    // The order is the system's randomness, so the figures vary a little between runs; these
    // hold for any order of these days (an effect of about 2 against a wobble of ±1).
    let b = &r["bayes"];
    assert!(b["p_meaningful"].as_f64().unwrap_or(0.0) > 0.8, "{b}");
    assert!(
        b["low"].as_f64().unwrap_or(9.0) < effect && effect < b["high"].as_f64().unwrap_or(0.0),
        "{b}"
    );
    let plain = run(&home, late, &["trial", "result"]).ok().stdout;
    assert!(plain.contains("better on active days"), "{plain}");
    assert!(plain.contains("discuss it with your clinician"));
    assert!(plain.contains("1 unblinded early"));

    // The records export and import back without loss: the same result elsewhere.
    let full = files.join("journal.json");
    run(
        &home,
        late,
        &["export", "--out", full.to_str().unwrap_or_default()],
    )
    .ok();
    let again = result_elsewhere(dir.path(), late, &full);
    assert_eq!(again["analysis"], r["analysis"]);
    assert_eq!(again["reading"], r["reading"]);
}

/// `demo --trial` makes a finished sample trial; a de-identified export carries it only when
/// asked, with its dates shifted and names and reasons gone, and the same result read back.
#[test]
fn the_sample_trial_and_the_deidentified_export() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let home = dir.path().join("home");
    let now = "2026-11-28T11:00:00Z";
    run(&home, now, &["demo", "--trial"]).ok();
    let r = run(&home, now, &["--json", "trial", "result"]).ok().json();
    assert!(
        r["analysis"]["active_days"].as_u64().unwrap_or(0) >= 4,
        "{r}"
    );
    assert_eq!(r["trial"]["key_holder"], "Dr Sample (demo)");
    // Too short a sample for a trial.
    let short = dir.path().join("short");
    run(&short, now, &["demo", "--trial", "--weeks", "2"]).fails("at least 4 weeks");

    let plain = dir.path().join("plain.json");
    let with = dir.path().join("with.json");
    run(
        &home,
        now,
        &[
            "export",
            "--deidentify",
            "--out",
            plain.to_str().unwrap_or_default(),
        ],
    )
    .ok();
    run(
        &home,
        now,
        &[
            "export",
            "--deidentify",
            "--with-trials",
            "--out",
            with.to_str().unwrap_or_default(),
        ],
    )
    .ok();
    let read = |p: &Path| -> Value {
        serde_json::from_str(&std::fs::read_to_string(p).unwrap_or_default())
            .unwrap_or_else(|e| panic!("{e}"))
    };
    assert_eq!(read(&plain)["trials"], serde_json::json!([]));
    let w = read(&with);
    let text = std::fs::read_to_string(&with).unwrap_or_default();
    assert!(!text.contains("Dr Sample") && !text.contains("Sample trial from the demo"));
    assert!(w["trials"][0]["design"]["start"].is_string());
    assert_ne!(
        w["trials"][0]["design"]["start"], r["trial"]["design"]["start"],
        "dates are shifted"
    );
    let again = result_elsewhere(dir.path(), now, &with);
    assert_eq!(again["analysis"], r["analysis"]);
    assert_eq!(again["bayes"], r["bayes"]);
}

/// A red flag on a trial dose is shown beside the trial while it runs, with the way to stop it;
/// the safety check refuses a trial dose as any other (exit 3).
#[test]
fn a_red_flag_during_the_trial_is_shown_with_the_stop() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let home = dir.path().join("home");
    let now = "2026-12-01T08:00:00Z";
    journal(&home, now);
    let fill = dir.path().join("fill.html");
    let key = dir.path().join("key.txt");
    run(
        &home,
        now,
        &[
            "trial",
            "plan",
            "--start",
            "2026-12-01",
            "--blocks",
            "2",
            "--smallest-change",
            "1",
            "--dose",
            "1/2 troche",
            "--fill-list",
            fill.to_str().unwrap_or_default(),
            "--key-out",
            key.to_str().unwrap_or_default(),
        ],
    )
    .ok();
    let st = run(&home, now, &["--json", "trial", "status"]).ok().json();
    let code = st["state"]["today"]["code"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    let today = run(&home, now, &["today"]).ok().stdout;
    assert!(
        today.contains(&format!(
            "Blinded trial, day 1: take today's container {code}"
        )),
        "{today}"
    );
    run(
        &home,
        "2026-12-01T07:00:00Z",
        &["checkin", "--urinary", "blood"],
    )
    .ok();
    // Refused as any dose would be: nothing logged.
    run(&home, now, &["dose", "--container", &code]).code(3);
    let st = run(&home, now, &["--json", "trial", "status"]).ok().json();
    assert_eq!(st["containers_taken"], 0);
    // Already taken: recorded with the finding, and the trial shows the red flag.
    run(&home, now, &["dose", "--container", &code, "--taken"]).ok();
    let text = run(&home, now, &["trial", "status"]).ok().stdout;
    assert!(text.contains("A red flag on 2026-12-01"), "{text}");
    assert!(text.contains("trial stop"), "{text}");
}

/// Dosing days in the protocol's planned break would be refused on the day: the plan says so
/// and is not made; after the break it is.
#[test]
fn a_trial_across_the_protocols_break_is_not_planned() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let home = dir.path().join("home");
    let now = "2026-11-30T08:00:00Z";
    journal(&home, now);
    // Two weeks on from 23 Nov, then a week's break: 7–13 Dec.
    run(
        &home,
        now,
        &[
            "protocol",
            "add",
            "--every",
            "3",
            "--dose",
            "1/2 troche",
            "--start",
            "2026-11-23",
            "--time",
            "08:00",
            "--cycle",
            "2w",
            "--break",
            "1w",
        ],
    )
    .ok();
    let fill = dir.path().join("fill.html");
    let key = dir.path().join("key.txt");
    let plan = |start: &str| {
        run(
            &home,
            now,
            &[
                "trial",
                "plan",
                "--start",
                start,
                "--blocks",
                "2",
                "--smallest-change",
                "1",
                "--fill-list",
                fill.to_str().unwrap_or_default(),
                "--key-out",
                key.to_str().unwrap_or_default(),
            ],
        )
    };
    let refused = plan("2026-12-01").fails("planned break");
    assert!(refused.stderr.contains("2026-12-07"), "{}", refused.stderr);
    assert!(!fill.exists() && !key.exists());
    assert!(
        run(&home, now, &["--json", "export"]).ok().json()["trials"]
            .as_array()
            .is_some_and(Vec::is_empty)
    );
    plan("2026-12-14").ok();
}
