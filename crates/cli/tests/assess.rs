//! Questionnaires through the binary: scoring, item 9, due dates, bad answers.

use serde_json::Value;
mod common;
use std::process::Command;

struct Home(tempfile::TempDir);

impl Home {
    fn new() -> Home {
        let h = Home(tempfile::tempdir().unwrap_or_else(|e| panic!("{e}")));
        assert_eq!(h.run(&["init", "--no-conditions"]).0, 0);
        h
    }
    fn run(&self, args: &[&str]) -> (i32, String, String) {
        let home = self.0.path().join("home");
        let r = common::output(&mut common::command(&home, "2026-11-28T11:00:00Z", args));
        (r.code, r.stdout, r.stderr)
    }
    fn json(&self, args: &[&str]) -> Value {
        let (code, out, err) = self.run(args);
        assert_eq!(code, 0, "{out}{err}");
        serde_json::from_str(&out).unwrap_or_else(|e| panic!("{e}: {out}"))
    }
}

#[test]
fn phq9_and_gad7_are_scored_and_banded() {
    let h = Home::new();
    let j = h.json(&["--json", "assess", "phq9", "--answers", "1,2,1,1,0,1,1,0,0"]);
    assert_eq!(j["assessment"]["total"], 7);
    assert_eq!(j["assessment"]["band"], "mild");
    assert_eq!(j["crisis"], Value::Null);
    let j = h.json(&["--json", "assess", "gad7", "--answers", "3,3,3,3,3,0,0"]);
    assert_eq!(j["assessment"]["total"], 15);
    assert_eq!(j["assessment"]["band"], "severe");
}

#[test]
fn item_nine_brings_crisis_guidance_and_a_finding() {
    let h = Home::new();
    let (code, out, _) = h.run(&["assess", "phq9", "--answers", "0,0,0,0,0,0,0,0,1"]);
    assert_eq!(code, 0);
    assert!(out.contains("talk to someone today"), "{out}");
    assert!(
        out.contains("findahelpline.com"),
        "a way to find help: {out}"
    );
    assert!(out.contains("Do not take a dose; talk to your clinician or a crisis line first."));
    // The standing check shows it even before any dose is logged.
    let j = h.json(&["--json", "check"]);
    let standing: Vec<&str> = j["findings"]
        .as_array()
        .map(|f| f.iter().filter_map(|x| x["code"].as_str()).collect())
        .unwrap_or_default();
    assert!(standing.contains(&"self_harm_thoughts"), "{standing:?}");
    // A crisis line set at init is shown first.
    h.run(&["init", "--crisis-line", "Samaritans 116 123"]);
    let (_, out, _) = h.run(&["assess", "phq9", "--answers", "0,0,0,0,0,0,0,0,2"]);
    assert!(
        out.contains("! Your crisis line: Samaritans 116 123."),
        "{out}"
    );
    h.run(&[
        "stock",
        "add",
        "troche",
        "--name",
        "T",
        "--strength",
        "25mg",
        "--count",
        "10",
    ]);
    let j = h.json(&["--json", "dose", "1/2 troche", "--dry-run"]);
    let codes: Vec<&str> = j["verdict"]["findings"]
        .as_array()
        .map(|f| f.iter().filter_map(|x| x["code"].as_str()).collect())
        .unwrap_or_default();
    assert!(codes.contains(&"self_harm_thoughts"), "{codes:?}");
}

#[test]
fn due_list_and_bad_answers() {
    let h = Home::new();
    let due = h.json(&["--json", "assess"]);
    assert!(
        due.as_array()
            .is_some_and(|a| a.len() == 4 && a.iter().all(|x| x["due"] == true))
    );
    h.json(&["--json", "assess", "phq9", "--answers", "0,0,0,0,0,0,0,0,0"]);
    let due = h.json(&["--json", "assess"]);
    assert_eq!(due[0]["due"], false);
    let before = h.run(&["export"]).1;
    for (args, needle) in [
        (vec!["assess", "phq9", "--answers", "1,2"], "9 questions"),
        (
            vec!["assess", "phq9", "--answers", "0,0,0,0,4,0,0,0,0"],
            "answer 5 is 4",
        ),
        (
            vec!["assess", "phq9", "--answers", "a,b"],
            "comma-separated",
        ),
        (
            vec!["assess", "beck", "--answers", "1"],
            "unknown questionnaire",
        ),
        (vec!["assess", "gad7"], "--answers"),
    ] {
        let (code, _, err) = h.run(&args);
        assert_eq!(code, 1, "{args:?}");
        assert!(err.contains(needle), "{args:?}: {err}");
    }
    assert_eq!(h.run(&["export"]).1, before);
    let (_, out, _) = h.run(&["today"]);
    assert!(
        out.contains("Questionnaires due: gad7, bladder, substance"),
        "{out}"
    );
}

#[test]
fn insights_report_ratings_and_scale_change() {
    let h = Home(tempfile::tempdir().unwrap_or_else(|e| panic!("{e}")));
    assert_eq!(h.run(&["demo"]).0, 0);
    h.json(&[
        "--json",
        "assess",
        "phq9",
        "--answers",
        "2,2,2,2,1,2,2,1,0",
        "--at",
        "2026-09-01 20:00",
    ]);
    h.json(&[
        "--json",
        "assess",
        "phq9",
        "--answers",
        "1,1,0,1,0,0,0,0,0",
        "--at",
        "2026-11-27 20:00",
    ]);
    let i = h.json(&["--json", "insights"]);
    assert_eq!(i["ratings"].as_array().map(Vec::len), Some(6));
    let mood = &i["ratings"][0];
    let n = mood["dose_day"]["n"].as_u64().unwrap_or(0)
        + mood["day_after"]["n"].as_u64().unwrap_or(0)
        + mood["off_day"]["n"].as_u64().unwrap_or(0);
    assert!(n >= 50, "every check-in is counted once: {n}");
    let phq = &i["scales"][0];
    assert_eq!(
        (phq["baseline"].as_u64(), phq["latest"].as_u64()),
        (Some(14), Some(3))
    );
    assert_eq!(
        (
            phq["response"].as_bool(),
            phq["remission"].as_bool(),
            phq["meaningful"].as_bool()
        ),
        (Some(true), Some(true), Some(true))
    );
    assert!(
        i["caveat"]
            .as_str()
            .unwrap_or("")
            .contains("cannot separate the drug from expectation")
    );
    // Dose–response: the demo's two amounts (12.5 and 18.75 mg HCl as labelled, in base).
    let levels: Vec<(f64, u64)> = i["dose_response"]["levels"]
        .as_array()
        .map(|a| {
            a.iter()
                .map(|l| {
                    (
                        l["mg_base"].as_f64().unwrap_or(0.0),
                        l["days"].as_u64().unwrap_or(0),
                    )
                })
                .collect()
        })
        .unwrap_or_default();
    assert_eq!(levels.len(), 2, "{levels:?}");
    assert!((levels[0].0 - 10.84).abs() < 0.01 && (levels[1].0 - 16.25).abs() < 0.01);
    assert_eq!(
        i["dose_response"]["split_mg_base"].as_f64(),
        Some(levels[0].0)
    );
    let alcohol_days = |i: &Value| i["factors"][0]["days_with"].as_u64().unwrap_or(99);
    assert_eq!(i["factors"][0]["factor"], "alcohol");
    let before = alcohol_days(&i);
    // Beer logged with `use` counts as alcohol on its day (the next day's ratings are compared).
    for day in ["2026-11-10", "2026-11-12"] {
        let (code, _, err) = h.run(&["use", "beer", "2 pints", "--at", &format!("{day} 22:00")]);
        assert_eq!(code, 0, "{err}");
    }
    // Each counts once it has a next day with ratings and was not an alcohol day already.
    let i = h.json(&["--json", "insights"]);
    let after = alcohol_days(&i);
    assert!(after > before && after <= before + 2, "{before} → {after}");
    let (_, text, _) = h.run(&["insights"]);
    assert!(
        text.contains("Dose–response") && text.contains("poor night"),
        "{text}"
    );
    // A short window has too little data for a comparison, and says so.
    let i = h.json(&[
        "--json",
        "insights",
        "--from",
        "2026-11-20",
        "--to",
        "2026-11-28",
    ]);
    assert_eq!(i["ratings"][0]["dose_vs_off"], Value::Null);
    let (code, _, err) = h.run(&["insights", "--from", "2026-12-01", "--to", "2026-11-01"]);
    assert_eq!(code, 1);
    assert!(err.contains("after"));
}

#[test]
fn report_has_its_sections_and_keeps_private_notes_out() {
    let h = Home(tempfile::tempdir().unwrap_or_else(|e| panic!("{e}")));
    assert_eq!(h.run(&["demo"]).0, 0);
    assert_eq!(
        h.run(&[
            "checkin",
            "--mood",
            "5",
            "--note",
            "SECRET-private-thought",
            "--private"
        ])
        .0,
        0
    );
    assert_eq!(
        h.run(&[
            "checkin",
            "--mood",
            "6",
            "--note",
            "shared with <b>clinician</b>"
        ])
        .0,
        0
    );
    assert_eq!(
        h.run(&["vitals", "--bp", "165/95", "--context", "pre-dose"])
            .0,
        0
    );
    let out = h.0.path().join("report.html");
    let (code, _, err) = h.run(&["report", "--out", &out.to_string_lossy()]);
    assert_eq!(code, 0, "{err}");
    let html = std::fs::read_to_string(&out).unwrap_or_default();
    for s in [
        "Regimen and actual use",
        "Supply",
        "PHQ-9 and GAD-7",
        "Vital signs",
        "Side effects, bladder and red flags",
        "Medicines",
        "Notes",
        "About these data",
    ] {
        assert!(html.contains(s), "missing {s}");
    }
    assert!(html.contains("<svg") && html.contains("@media print"));
    assert!(
        html.contains("class=\"flag\">165/95"),
        "high blood pressure is flagged"
    );
    assert!(!html.contains("SECRET-private-thought"));
    assert!(html.contains("shared with &lt;b&gt;clinician&lt;/b&gt;"));
    let (_, with_private, _) = h.run(&["report", "--include-private"]);
    assert!(with_private.contains("SECRET-private-thought"));
    let (code, _, _) = h.run(&["report", "--from", "2026-12-01", "--to", "2026-11-01"]);
    assert_eq!(code, 1);
}

/// The report printed to PDF by headless Chromium, then read back by poppler: the pages exist
/// and hold the sections. (scripts/test installs chromium and poppler-utils.)
#[test]
fn report_pdf_has_pages_and_sections() {
    let h = Home(tempfile::tempdir().unwrap_or_else(|e| panic!("{e}")));
    assert_eq!(h.run(&["demo"]).0, 0);
    assert_eq!(
        h.run(&[
            "assess",
            "phq9",
            "--answers",
            "2,2,2,2,1,2,2,1,0",
            "--at",
            "2026-09-01 20:00"
        ])
        .0,
        0
    );
    assert_eq!(
        h.run(&["assess", "phq9", "--answers", "1,1,0,1,0,0,0,0,0"])
            .0,
        0
    );
    // A file named .pdf gets a PDF, with or without --pdf (HTML in a .pdf file opens as a broken
    // PDF); --pdf with an .html name is refused and writes nothing.
    let pdf = h.0.path().join("report.pdf");
    let (code, _, err) = h.run(&["report", "--out", &pdf.to_string_lossy()]);
    assert_eq!(code, 0, "needs chromium (scripts/test installs it): {err}");
    let bytes = std::fs::read(&pdf).unwrap_or_default();
    assert!(
        bytes.starts_with(b"%PDF"),
        "{:?}",
        &bytes[..bytes.len().min(16)]
    );
    let html = h.0.path().join("report.html");
    let (code, _, err) = h.run(&["report", "--pdf", "--out", &html.to_string_lossy()]);
    assert_eq!(code, 1);
    assert!(err.contains("ends in .html"), "{err}");
    assert!(!html.exists());
    std::fs::remove_file(&pdf).unwrap_or_else(|e| panic!("{e}"));
    let (code, _, err) = h.run(&["report", "--pdf", "--out", &pdf.to_string_lossy()]);
    assert_eq!(code, 0, "{err}");
    let bytes = std::fs::read(&pdf).unwrap_or_default();
    assert!(bytes.starts_with(b"%PDF"));
    // No temporary HTML or browser profile is left in the home.
    let leftovers: Vec<_> = std::fs::read_dir(h.0.path().join("home"))
        .map(|d| {
            d.filter_map(|e| e.ok())
                .map(|e| e.file_name().to_string_lossy().to_string())
                .filter(|n| n.starts_with(".report"))
                .collect()
        })
        .unwrap_or_default();
    assert!(leftovers.is_empty(), "{leftovers:?}");
    let prefix = h.0.path().join("page");
    let st = Command::new("pdftoppm")
        .args(["-r", "40", "-png"])
        .arg(&pdf)
        .arg(&prefix)
        .status()
        .unwrap_or_else(|e| panic!("pdftoppm (poppler-utils): {e}"));
    assert!(st.success());
    let pages = std::fs::read_dir(h.0.path())
        .map(|d| {
            d.filter_map(|e| e.ok())
                .filter(|e| e.file_name().to_string_lossy().starts_with("page"))
                .count()
        })
        .unwrap_or(0);
    // Issue #5: one to three pages.
    assert!((1..=3).contains(&pages), "{pages} pages");
    let text = Command::new("pdftotext")
        .arg(&pdf)
        .arg("-")
        .output()
        .unwrap_or_else(|e| panic!("pdftotext: {e}"));
    let text = String::from_utf8_lossy(&text.stdout);
    for s in [
        "report for a clinician",
        "Regimen and actual use",
        "Supply",
        "PHQ-9 and GAD-7",
        "Vital signs",
        "Medicines",
        "About these data",
    ] {
        assert!(text.contains(s), "the PDF lacks {s:?}");
    }
    assert!(text.contains("14 → 3"), "the PHQ-9 change is printed");
}
