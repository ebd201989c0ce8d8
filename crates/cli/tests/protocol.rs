//! Protocols through the real binary: plan vs actual, pause/resume, titration, bad input, and
//! the calendar feed checked by an independent iCalendar parser.

use serde_json::Value;
use std::path::PathBuf;
mod common;
use common::Run;

struct Home {
    dir: tempfile::TempDir,
}

impl Home {
    fn new() -> Home {
        let h = Home {
            dir: tempfile::tempdir().unwrap_or_else(|e| panic!("{e}")),
        };
        h.at("2026-11-01T11:00:00Z", &["init", "--weight", "70kg"])
            .ok();
        h.at(
            "2026-11-01T11:00:00Z",
            &[
                "stock",
                "add",
                "troche",
                "--name",
                "Troche 25",
                "--strength",
                "25mg",
                "--count",
                "60",
            ],
        )
        .ok();
        h
    }
    fn path(&self) -> PathBuf {
        self.dir.path().join("home")
    }
    /// Run at a given instant.
    fn at(&self, now: &str, args: &[&str]) -> Run {
        common::output(&mut common::command(&self.path(), now, args))
    }
    fn export(&self) -> String {
        self.at("2026-12-31T12:00:00Z", &["export"]).ok().stdout
    }
}

const NOV1: &str = "2026-11-01T11:00:00Z";

#[test]
fn one_on_two_off_plan_vs_actual() {
    let h = Home::new();
    let p = h
        .at(
            NOV1,
            &[
                "--json",
                "protocol",
                "add",
                "--every",
                "3",
                "--dose",
                "1/2 troche",
                "--start",
                "2026-11-02",
                "--time",
                "08:00",
                "--max-dose",
                "25mg",
            ],
        )
        .ok()
        .json();
    assert_eq!(p["pattern"]["kind"], "every_n_days");
    assert_eq!(p["dose"]["mg"], 12.5);
    // Planned 2, 5, 8, 11. Dose on 2 and 5 (plain `dose` logs the planned dose), skip 8, extra on 9.
    h.at("2026-11-02T07:05:00Z", &["dose"]).ok();
    h.at("2026-11-05T07:10:00Z", &["dose"]).ok();
    let r = h.at("2026-11-09T07:00:00Z", &["dose", "1/4 troche"]).ok();
    assert!(r.stdout.contains("off plan"), "{}", r.stdout);
    let s = h
        .at("2026-11-11T12:00:00Z", &["--json", "protocol", "show"])
        .ok()
        .json();
    let a = &s["adherence_28_days"];
    // The 11th is today and not yet over: not missed (yet).
    assert_eq!(a["planned_days"], 3);
    assert_eq!(a["planned_days_dosed"], 2);
    assert_eq!(a["missed"], serde_json::json!(["2026-11-08"]));
    assert_eq!(a["off_plan_dose_ids"], serde_json::json!([3]));
    assert_eq!(s["today"], "dose");
    // Every dose knows its protocol.
    let j: Value = serde_json::from_str(&h.export()).unwrap_or_else(|e| panic!("not JSON: {e}"));
    assert!(
        j["doses"]
            .as_array()
            .map(|d| d.iter().all(|d| d["protocol_id"] == p["id"]))
            .unwrap_or(false)
    );
    // Next planned doses are at 08:00 local, across the DST-free winter.
    let next = h
        .at(
            "2026-11-11T12:00:00Z",
            &["--json", "protocol", "next", "--count", "3"],
        )
        .ok()
        .json();
    // Today's planned dose is still pending, so it comes first.
    assert_eq!(next[0]["date"], "2026-11-11");
    assert_eq!(next[1]["date"], "2026-11-14");
    assert_eq!(next[1]["at"], "2026-11-14T07:00:00Z");
}

#[test]
fn today_reports_cycle_and_break() {
    let h = Home::new();
    h.at(
        NOV1,
        &[
            "protocol",
            "add",
            "--every",
            "3",
            "--dose",
            "12.5mg",
            "--start",
            "2026-11-01",
            "--cycle",
            "1w",
            "--break",
            "1w",
        ],
    )
    .ok();
    let t = h
        .at("2026-11-03T12:00:00Z", &["--json", "today"])
        .ok()
        .json();
    assert_eq!(t["protocols"][0]["day"], "off");
    assert_eq!(t["protocols"][0]["cycle"]["day"], 3);
    let t = h
        .at("2026-11-02T12:00:00Z", &["--json", "today"])
        .ok()
        .json();
    assert_eq!(t["protocols"][0]["day"], "transition");
    let t = h.at("2026-11-10T12:00:00Z", &["today"]).ok().stdout;
    assert!(
        t.contains("a break day") && t.contains("Break day 3 of 7 after cycle 1"),
        "{t}"
    );
    assert!(t.contains("Next planned dose: Sun 15 Nov at 08:00"), "{t}");
}

#[test]
fn pause_resume_end_and_replacement_keep_history() {
    let h = Home::new();
    h.at(
        NOV1,
        &[
            "protocol",
            "add",
            "--daily",
            "--dose",
            "6.25mg",
            "--start",
            "2026-11-01",
        ],
    )
    .ok();
    h.at("2026-11-03T12:00:00Z", &["protocol", "pause"]).ok();
    let t = h
        .at("2026-11-04T12:00:00Z", &["--json", "today"])
        .ok()
        .json();
    assert_eq!(t["protocols"][0]["day"], "paused");
    h.at("2026-11-06T12:00:00Z", &["protocol", "resume"]).ok();
    let s = h
        .at("2026-11-06T12:00:00Z", &["--json", "protocol", "show"])
        .ok()
        .json();
    assert_eq!(
        s["protocol"]["pauses"],
        serde_json::json!([{ "from": "2026-11-03", "to": "2026-11-05" }])
    );
    // Paused days are not missed days: planned 1, 2 and 6 (today, not yet due).
    assert_eq!(s["adherence_28_days"]["planned_days"], 2);
    // A new protocol for the same substance ends the old one.
    h.at(
        "2026-11-07T12:00:00Z",
        &["protocol", "add", "--every", "2", "--dose", "12.5mg"],
    )
    .ok();
    let list = h
        .at(
            "2026-11-07T12:00:00Z",
            &["--json", "protocol", "list", "--all"],
        )
        .ok()
        .json();
    assert_eq!(list[0]["status"], "active");
    assert_eq!(list[1]["status"], "ended");
    let old = h
        .at(
            "2026-11-07T12:00:00Z",
            &["--json", "protocol", "show", &list[1]["id"].to_string()],
        )
        .ok()
        .json();
    let kinds: Vec<&str> = old["history"]
        .as_array()
        .map(|a| a.iter().filter_map(|e| e["kind"].as_str()).collect())
        .unwrap_or_default();
    assert_eq!(kinds, vec!["created", "paused", "resumed", "ended"]);
    h.at("2026-11-08T12:00:00Z", &["protocol", "end"]).ok();
    h.at("2026-11-08T12:00:00Z", &["protocol", "end"])
        .fails("no current protocol");
}

#[test]
fn titration_is_proposed_never_applied() {
    let h = Home::new();
    let start = "2026-11-01";
    // A mistyped flag is a usage error (exit 2) and adds no protocol.
    let r = h.at(
        NOV1,
        &[
            "protocol",
            "add",
            "--every",
            "3",
            "--dose",
            "10mg",
            "--no-such-flag",
        ],
    );
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert!(r.stderr.contains("--no-such-flag"), "{}", r.stderr);
    let none = h.at(NOV1, &["--json", "protocol", "list"]).ok().json();
    assert_eq!(none.as_array().map(Vec::len), Some(0), "{none}");
    h.at(
        NOV1,
        &[
            "protocol",
            "add",
            "--every",
            "3",
            "--dose",
            "1/2 troche",
            "--start",
            start,
            "--titrate-start",
            "12.5mg",
            "--titrate-step",
            "6.25mg",
            "--titrate-every",
            "14d",
            "--ceiling",
            "25mg",
        ],
    )
    .ok();
    // Baseline (before the start) and since the start: flat mood, no side effects.
    for day in 25..=31 {
        h.at(
            &format!("2026-10-{day}T19:00:00Z"),
            &["checkin", "--mood", "4", "--anxiety", "5"],
        )
        .ok();
    }
    for day in 1..=20 {
        h.at(
            &format!("2026-11-{day:02}T19:00:00Z"),
            &["checkin", "--mood", "4", "--anxiety", "5"],
        )
        .ok();
    }
    let s = h
        .at("2026-11-20T20:00:00Z", &["--json", "protocol", "show"])
        .ok()
        .json();
    assert_eq!(s["titration"]["kind"], "consider_step_up");
    assert_eq!(s["titration"]["proposed_mg"], 18.75);
    // Nothing changed by itself.
    assert_eq!(s["protocol"]["dose"]["mg"], 12.5);
    // A strong side effect turns it into a step-down proposal... at the start rung, a hold.
    h.at(
        "2026-11-20T20:30:00Z",
        &["checkin", "--side-effect", "dissociation=7"],
    )
    .ok();
    let s = h
        .at("2026-11-20T21:00:00Z", &["--json", "protocol", "show"])
        .ok()
        .json();
    assert_eq!(s["titration"]["kind"], "hold");
    assert!(
        s["titration"]["message"]
            .as_str()
            .unwrap_or("")
            .contains("clinician")
    );
    // The person changes the dose; the ladder counts from that day.
    h.at(
        "2026-11-21T12:00:00Z",
        &[
            "protocol",
            "set",
            "--dose",
            "3/4 troche",
            "--reason",
            "clinician agreed",
        ],
    )
    .ok();
    let s = h
        .at("2026-11-22T12:00:00Z", &["--json", "protocol", "show"])
        .ok()
        .json();
    assert_eq!(s["protocol"]["dose"]["mg"], 18.75);
    assert!(
        s["titration"]["message"]
            .as_str()
            .unwrap_or("")
            .contains("Too soon"),
        "{}",
        s["titration"]
    );
    h.at(
        "2026-11-22T12:00:00Z",
        &["protocol", "set", "--dose", "2 troches"],
    )
    .fails("above the titration ceiling");
}

#[test]
fn bad_protocols_change_nothing() {
    let h = Home::new();
    let before = h.export();
    let cases: &[(&[&str], &str)] = &[
        (&["--every", "0", "--dose", "12.5mg"], "from 1 to 60"),
        (
            &["--on-off", "4/0", "--dose", "12.5mg"],
            "at least 1 day on and 1 day off",
        ),
        (&["--on-off", "four", "--dose", "12.5mg"], "4/3"),
        (
            &["--weekdays", "funday", "--dose", "12.5mg"],
            "not a weekday",
        ),
        (
            &[
                "--every",
                "3",
                "--dose",
                "12.5mg",
                "--start",
                "2026-12-01",
                "--end",
                "2026-11-01",
            ],
            "before the start",
        ),
        (
            &["--every", "3", "--dose", "12.5mg", "--start", "2026-02-30"],
            "not a real date",
        ),
        (
            &[
                "--every", "3", "--dose", "12.5mg", "--cycle", "500w", "--break", "1w",
            ],
            "from 1 to 366",
        ),
        (
            &[
                "--every", "3", "--dose", "12.5mg", "--cycle", "0w", "--break", "1w",
            ],
            "from 1 to 366",
        ),
        (
            &[
                "--every",
                "3",
                "--dose",
                "12.5mg",
                "--cycle",
                "six weeks",
                "--break",
                "1w",
            ],
            "length of time",
        ),
        (
            &["--every", "3", "--dose", "12.5mg", "--time", "25:00"],
            "time of day",
        ),
        (&["--every", "3", "--dose", "10mg"], "halves or quarters"),
        (
            &["--every", "3", "--dose", "12.5mg", "--max-dose", "10mg"],
            "above the protocol's own per-dose limit",
        ),
        (
            &[
                "--every",
                "3",
                "--dose",
                "12.5mg",
                "--max-dose",
                "20mg",
                "--max-day",
                "10mg",
            ],
            "daily limit is below",
        ),
        (
            &[
                "--as-needed",
                "--min-interval",
                "0h",
                "--weekly-cap",
                "2",
                "--dose",
                "12.5mg",
            ],
            "not a duration",
        ),
        (
            &[
                "--every",
                "3",
                "--dose",
                "12.5mg",
                "--titrate-start",
                "20mg",
                "--titrate-step",
                "5mg",
                "--titrate-every",
                "14d",
                "--ceiling",
                "10mg",
            ],
            "ceiling (10 mg) is below the start dose (20 mg)",
        ),
        (
            &[
                "--every",
                "3",
                "--dose",
                "12.5mg",
                "--titrate-start",
                "10mg",
                "--titrate-step",
                "5mg",
                "--titrate-every",
                "0d",
                "--ceiling",
                "20mg",
            ],
            "days per step",
        ),
    ];
    for (args, needle) in cases {
        let mut all = vec!["protocol", "add"];
        all.extend_from_slice(args);
        h.at(NOV1, &all).fails(needle);
    }
    h.at(
        NOV1,
        &[
            "--tz",
            "Mars/Olympus",
            "protocol",
            "add",
            "--every",
            "3",
            "--dose",
            "12.5mg",
        ],
    )
    .fails("unknown time zone");
    assert_eq!(h.export(), before, "a refused protocol wrote something");
}

#[test]
fn calendar_feed_parses_and_every_event_is_on_its_local_date() {
    let h = Home::new();
    // 1 on / 2 off at 02:30 local across the March DST change, with a break.
    h.at(
        "2026-03-02T11:00:00Z",
        &[
            "protocol",
            "add",
            "--every",
            "3",
            "--dose",
            "1/2 troche",
            "--start",
            "2026-03-02",
            "--time",
            "02:30",
            "--cycle",
            "4w",
            "--break",
            "2w",
            "--checkin-time",
            "21:00",
        ],
    )
    .ok();
    let out = h.dir.path().join("plan.ics");
    h.at(
        "2026-03-02T11:00:00Z",
        &["calendar", "--out", &out.to_string_lossy(), "--days", "60"],
    )
    .ok();
    let text = std::fs::read_to_string(&out).unwrap_or_default();
    let unfolded = icalendar::parser::unfold(&text);
    let cal = icalendar::parser::read_calendar(&unfolded)
        .unwrap_or_else(|e| panic!("not valid iCalendar: {e}"));
    let berlin = dosewise_core::when::zone("Europe/Berlin").unwrap_or_else(|e| panic!("{e}"));
    let mut doses = 0;
    let mut breaks = 0;
    let mut checkins = 0;
    let mut assess = 0;
    for c in &cal.components {
        if c.name != "VEVENT" {
            continue;
        }
        let prop = |n: &str| {
            c.properties
                .iter()
                .find(|p| p.name == n)
                .map(|p| p.val.to_string())
                .unwrap_or_default()
        };
        let uid = prop("UID");
        let start = prop("DTSTART");
        if uid.starts_with("dose-") {
            doses += 1;
            let intended = &uid.split('-').nth(2).unwrap_or("")[..8];
            assert!(start.ends_with('Z'), "instants are written in UTC: {start}");
            let ts = dosewise_core::jiff::fmt::strtime::parse(
                "%Y%m%dT%H%M%S",
                start.trim_end_matches('Z'),
            )
            .and_then(|t| t.to_datetime())
            .and_then(|dt| dt.to_zoned_datetime(dosewise_core::jiff::tz::TimeZone::UTC))
            .map(|z| z.timestamp())
            .unwrap_or_else(|e| panic!("{start}: {e}"));
            let local = ts.to_zoned_datetime(berlin.clone());
            assert_eq!(
                local.strftime("%Y%m%d").to_string(),
                intended,
                "{uid} at {local}"
            );
            assert!(
                c.components.iter().any(|a| a.name == "VALARM"),
                "{uid} has no reminder"
            );
        } else if uid.starts_with("break-") {
            breaks += 1;
            assert_eq!(start.len(), 8, "breaks are all-day: {start}");
        } else if uid.starts_with("checkin-") {
            checkins += 1;
        } else if uid.starts_with("assess-") {
            assess += 1;
        }
    }
    // 28 on-days (2–29 March) → 10 doses, a 14-day break, then 18 more days → 6 doses;
    // 60 check-in reminders.
    assert_eq!((doses, breaks, checkins), (16, 1, 60));
    // Weekly PHQ-9 and GAD-7 (days 1, 8, …, 57: 9 each), monthly bladder and use (days 1 and 31).
    assert_eq!(assess, 9 + 9 + 2 + 2);
    // 29 March: 02:30 does not exist in Berlin; the reminder moves to 03:30, still on the 29th.
    assert!(text.contains("DTSTART:20260329T013000Z"), "gap rule");
    assert!(
        !text.contains("troche"),
        "titles are discreet unless --detailed"
    );
}
