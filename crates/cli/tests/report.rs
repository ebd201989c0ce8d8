//! Snapshot of the clinician report's HTML for the demo journal (issue #5). The clock, zone and
//! demo seed are fixed, so the document is the same on every run; any change to the report shows
//! up as a reviewable diff (`cargo insta review`, or compare the `.snap.new` file).

mod common;

const NOW: &str = "2026-11-28T11:00:00Z";

#[test]
fn demo_report_html_snapshot() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let home = dir.path().join("home");
    let run = |args: &[&str]| common::output(&mut common::command(&home, NOW, args)).ok();
    run(&["demo"]);
    // Fill the sections the demo leaves empty, so the snapshot covers every one of them.
    run(&[
        "assess",
        "phq9",
        "--answers",
        "2,2,2,2,1,2,2,1,0",
        "--at",
        "2026-10-05 20:00",
    ]);
    run(&[
        "assess",
        "phq9",
        "--answers",
        "1,1,0,1,0,0,0,0,0",
        "--at",
        "2026-11-27 20:00",
    ]);
    run(&[
        "assess",
        "gad7",
        "--answers",
        "2,2,1,1,1,1,1",
        "--at",
        "2026-10-05 20:05",
    ]);
    run(&[
        "assess",
        "gad7",
        "--answers",
        "1,1,0,0,1,0,0",
        "--at",
        "2026-11-27 20:05",
    ]);
    run(&[
        "vitals",
        "--bp",
        "128/82",
        "--hr",
        "70",
        "--context",
        "pre-dose",
        "--at",
        "2026-11-20 08:00",
    ]);
    run(&[
        "vitals",
        "--bp",
        "165/95",
        "--hr",
        "88",
        "--context",
        "post-dose",
        "--at",
        "2026-11-20 09:00",
    ]);
    run(&["meds", "add", "sertraline", "--dose", "50 mg daily"]);
    run(&[
        "checkin",
        "--mood",
        "6",
        "--note",
        "Slept badly; shared note",
        "--at",
        "2026-11-27 21:00",
    ]);
    let html = run(&["report"]).stdout;
    assert!(
        html.starts_with("<!doctype html>"),
        "{}",
        &html[..html.len().min(200)]
    );
    // What a line-by-line review of the snapshot found, checked on its own so it cannot come
    // back in an accepted snapshot: a protocol change carries one date, the local one (the demo
    // protocol started on 3 October in Berlin, which is 2 October in UTC)…
    assert!(html.contains("<li>2026-10-03: One day on, two off (sample): started</li>"));
    assert!(
        !html.contains("<li>2026-10-02"),
        "a UTC date before the local one"
    );
    // …every ketamine amount says base or HCl (the demo's troches are labelled HCl)…
    assert!(html.contains("(18.75 mg HCl)") && html.contains("25 mg HCl a dose"));
    assert!(!html.contains("unless marked HCl"));
    // …GAD-7's meaningful change is its own 4 points, and "<" is escaped.
    assert!(html.contains("13 → 3 (-10) over 6 scores") && html.contains("(≥ 4 points)"));
    assert!(!html.contains("(< 5)"));
    // One tag per line, so a change shows as a readable line diff.
    insta::assert_snapshot!("demo_report_html", html.replace("><", ">\n<"));
}

#[test]
fn report_sections_are_chosen_by_name_and_bad_names_are_refused() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let home = dir.path().join("home");
    let run = |args: &[&str]| common::output(&mut common::command(&home, NOW, args));
    run(&["demo"]).ok();
    let html = run(&["report", "--sections", "vitals,scales"]).ok().stdout;
    assert!(html.contains("<h2>Vital signs</h2>") && !html.contains("Regimen and actual use"));
    let out = dir.path().join("r.html");
    let out_s = out.to_string_lossy().to_string();
    run(&["report", "--sections", "vitals,bladder", "--out", &out_s])
        .fails("unknown report section \"bladder\"; choose from regimen");
    assert!(!out.exists(), "nothing is written on bad input");
}
