//! The safety engine through the real binary: refusals exit 3 and write nothing, overrides are
//! recorded with the findings, dry runs never write, and every command that feeds the engine
//! refuses bad input.

use serde_json::Value;
use std::path::PathBuf;
mod common;
use common::Run;

const NOW: &str = "2026-11-28T07:00:00Z"; // 08:00 in Berlin, a planned day

struct Home {
    dir: tempfile::TempDir,
}

impl Home {
    /// A journal with 25 mg troches and an every-3-days protocol from 1 November:
    /// 12.5 mg a dose, at most 25 mg a dose, 48 h apart.
    fn new() -> Home {
        let h = Home {
            dir: tempfile::tempdir().unwrap_or_else(|e| panic!("{e}")),
        };
        h.run(&["init", "--weight", "70kg", "--no-conditions"]).ok();
        h.run(&[
            "stock",
            "add",
            "troche",
            "--name",
            "T",
            "--strength",
            "25mg",
            "--count",
            "30",
        ])
        .ok();
        h.run(&[
            "protocol",
            "add",
            "--every",
            "3",
            "--dose",
            "1/2 troche",
            "--start",
            "2026-11-01",
            "--max-dose",
            "25mg",
            "--min-interval",
            "48h",
        ])
        .ok();
        h
    }
    fn path(&self) -> PathBuf {
        self.dir.path().join("home")
    }
    fn run(&self, args: &[&str]) -> Run {
        self.run_at(NOW, args)
    }
    fn run_at(&self, now: &str, args: &[&str]) -> Run {
        common::output(&mut common::command(&self.path(), now, args))
    }
    fn export(&self) -> Value {
        serde_json::from_str(&self.run(&["export"]).ok().stdout)
            .unwrap_or_else(|e| panic!("not JSON: {e}"))
    }
    fn doses(&self) -> usize {
        self.export()["doses"].as_array().map_or(0, Vec::len)
    }
}

fn codes(v: &Value) -> Vec<String> {
    v["verdict"]["findings"]
        .as_array()
        .map(|a| {
            a.iter()
                .filter_map(|f| f["code"].as_str().map(String::from))
                .collect()
        })
        .unwrap_or_default()
}

#[test]
fn a_broken_limit_is_refused_with_exit_3_and_nothing_written() {
    let h = Home::new();
    let before = h.export();
    let r = h.run(&["dose", "2 troches"]).code(3);
    assert!(
        r.stdout.contains("Refused — nothing was logged"),
        "{}",
        r.stdout
    );
    assert!(r.stdout.contains("above your per-dose limit of 25 mg"));
    assert_eq!(h.export(), before);
    // The same verdict as one JSON document.
    let r = h.run(&["--json", "dose", "2 troches"]).code(3);
    let j = r.json();
    assert_eq!(j["refused"], true);
    assert!(codes(&j).contains(&"limit_per_dose".to_string()));
    assert_eq!(h.export(), before);
}

#[test]
fn an_override_is_recorded_with_the_findings() {
    let h = Home::new();
    let j = h
        .run(&[
            "--json",
            "dose",
            "2 troches",
            "--override",
            "clinician raised the dose today, letter to follow",
        ])
        .ok()
        .json();
    assert_eq!(
        j["dose"]["override_reason"],
        "clinician raised the dose today, letter to follow"
    );
    let stored = &h.export()["doses"][0];
    assert_eq!(
        stored["override_reason"],
        "clinician raised the dose today, letter to follow"
    );
    assert!(stored["findings"].as_array().is_some_and(|f| {
        f.iter()
            .any(|x| x["code"] == "limit_per_dose" && x["severity"] == "refuse")
    }));
    // An override needs a real reason: an empty one is none (refused, exit 3), one that says
    // nothing is an input error that says what would do; neither writes anything.
    let before = h.export();
    h.run(&["dose", "2 troches", "--override", "   "]).code(3);
    let r = h.run(&["dose", "2 troches", "--override", "ok"]).code(1);
    assert!(
        r.stderr.contains("at least 2 words") && r.stderr.contains("who agreed it"),
        "{}",
        r.stderr
    );
    assert_eq!(h.export(), before);
}

/// A refusal's message says how to record a dose already taken; `--taken` records it as it
/// happened, with the refusal it would have met and a note, without an override.
#[test]
fn a_dose_already_taken_is_recorded_with_taken() {
    let h = Home::new();
    let r = h.run(&["dose", "2 troches"]).code(3);
    assert!(r.stderr.contains("--taken"), "{}", r.stderr);
    assert!(
        r.stdout
            .lines()
            .filter(|l| l.contains("what to do:") || l.contains("how:"))
            .all(|l| !l.contains("override")),
        "no finding suggests overriding: {}",
        r.stdout
    );
    let j = h
        .run(&["--json", "dose", "2 troches", "--taken"])
        .ok()
        .json();
    assert!(j["dose"]["override_reason"].is_null());
    let stored = &h.export()["doses"][0];
    let c: Vec<&str> = stored["findings"]
        .as_array()
        .map(|f| f.iter().filter_map(|x| x["code"].as_str()).collect())
        .unwrap_or_default();
    assert!(
        c.contains(&"limit_per_dose") && c.contains(&"already_taken"),
        "{c:?}"
    );
    let shown = h.run(&["dose", "show", "1"]).ok();
    assert!(
        shown.stdout.contains("recorded after the fact"),
        "{}",
        shown.stdout
    );
    // Today lists it under what needs attention, with what to look out for now.
    let today = h.run(&["today"]).ok();
    assert!(
        today.stdout.contains("Needs attention")
            && today.stdout.contains("recorded as taken despite a refusal")
            && today.stdout.contains("Do not stay alone"),
        "{}",
        today.stdout
    );
}

#[test]
fn a_dose_within_the_plan_logs_cleanly_and_a_second_is_refused() {
    let h = Home::new();
    let j = h.run(&["--json", "dose"]).ok().json();
    assert_eq!(j["dose"]["findings"], serde_json::json!([]));
    let r = h
        .run_at("2026-11-28T12:00:00Z", &["--json", "dose"])
        .code(3);
    let c = codes(&r.json());
    assert!(
        c.contains(&"min_interval".to_string()) && c.contains(&"extra_dose".to_string()),
        "{c:?}"
    );
    assert_eq!(h.doses(), 1);
}

#[test]
fn dry_runs_never_write() {
    let h = Home::new();
    let r = h.run(&["dose", "--dry-run"]).ok();
    assert!(r.stdout.contains("nothing was logged"));
    h.run(&["check", "dose", "2 troches"]).code(3);
    let j = h
        .run(&["--json", "check", "dose", "1/2 troche"])
        .ok()
        .json();
    assert_eq!(j["dry_run"], true);
    assert_eq!(h.doses(), 0);
}

#[test]
fn alcohol_within_its_window_refuses_and_outside_it_does_not() {
    let h = Home::new();
    h.run_at("2026-11-27T20:00:00Z", &["use", "beer", "2", "pints"])
        .ok();
    let r = h.run(&["--json", "dose"]).code(3);
    assert!(codes(&r.json()).contains(&"interaction:alcohol".to_string()));
    // 12 h window: the next planned day is fine.
    let j = h
        .run_at("2026-12-01T07:00:00Z", &["--json", "dose"])
        .ok()
        .json();
    assert!(
        j["dose"]["findings"]
            .as_array()
            .is_some_and(|f| f.iter().all(|x| x["code"] != "interaction:alcohol"))
    );
}

#[test]
fn standing_medicines_and_clinician_awareness() {
    let h = Home::new();
    h.run(&["meds", "add", "oxycodone", "--dose", "10 mg twice daily"])
        .ok();
    h.run(&["dose"]).code(3);
    let id = h.run(&["--json", "meds", "list"]).ok().json()[0]["id"]
        .as_i64()
        .unwrap_or(0);
    h.run(&["meds", "remove", &id.to_string()]).ok();
    h.run(&["meds", "add", "oxycodone", "--clinician-aware"])
        .ok();
    let j = h.run(&["--json", "dose"]).ok().json();
    let f = j["dose"]["findings"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    assert!(
        f.iter()
            .any(|x| x["code"] == "interaction:opioids" && x["severity"] == "warning"),
        "{f:?}"
    );
}

#[test]
fn urinary_red_flags_and_clearance() {
    let h = Home::new();
    h.run_at("2026-11-27T20:00:00Z", &["checkin", "--urinary", "blood"])
        .ok();
    let r = h.run(&["dose"]).code(3);
    assert!(r.stdout.contains("blood in your urine"), "{}", r.stdout);
    // The finding's follow-up, worded for the terminal: the command that records it. No
    // finding suggests overriding; the refusal's last line says how to record a dose already
    // taken, or one the clinician agreed.
    assert!(
        r.stdout
            .contains("how: dosewise clear urinary --note \"what the clinician said\""),
        "{}",
        r.stdout
    );
    assert!(!r.stdout.contains("to override"), "{}", r.stdout);
    assert!(r.stderr.contains("--taken"), "{}", r.stderr);
    h.run(&[
        "clear",
        "urinary",
        "--note",
        "seen by Dr K, cystoscopy booked",
    ])
    .ok();
    h.run_at("2026-11-28T07:05:00Z", &["dose"]).ok();
    h.run_at(
        "2026-11-29T20:00:00Z",
        &["checkin", "--urinary", "frequency"],
    )
    .ok();
    let j = h
        .run_at("2026-12-01T07:00:00Z", &["--json", "dose"])
        .ok()
        .json();
    assert!(
        j["dose"]["findings"]
            .as_array()
            .is_some_and(|f| f.iter().any(|x| x["code"] == "urinary_symptoms"))
    );
}

#[test]
fn vitals_gate_the_dose() {
    let h = Home::new();
    h.run_at(
        "2026-11-28T06:30:00Z",
        &[
            "vitals",
            "--bp",
            "162/88",
            "--hr",
            "80",
            "--context",
            "pre-dose",
        ],
    )
    .ok();
    let r = h.run(&["dose"]).code(3);
    assert!(r.stdout.contains("162/88"));
    h.run_at(
        "2026-11-28T06:50:00Z",
        &["vitals", "--bp", "128/80", "--context", "pre-dose"],
    )
    .ok();
    h.run(&["dose"]).ok();
}

#[test]
fn screen_findings_until_reviewed() {
    let h = Home::new();
    h.run(&["init", "--condition", "aneurysm"]).ok();
    // A label contraindication refuses until a clinician's review is recorded.
    let j = h.run(&["--json", "dose", "--dry-run"]).code(3).json();
    assert!(codes(&j).contains(&"screen:aneurysm".to_string()));
    h.run(&["clear", "screen", "--note", "reviewed with cardiologist"])
        .ok();
    let j = h
        .run_at("2026-11-28T07:01:00Z", &["--json", "dose", "--dry-run"])
        .ok()
        .json();
    assert!(!codes(&j).contains(&"screen:aneurysm".to_string()));
    // A condition added after the review is a finding again until reviewed again.
    h.run_at("2026-11-28T07:02:00Z", &["screen", "--add", "pregnancy"])
        .ok();
    let j = h
        .run_at("2026-11-28T07:03:00Z", &["--json", "dose", "--dry-run"])
        .ok()
        .json();
    let c = codes(&j);
    assert!(c.contains(&"screen:pregnancy".to_string()), "{c:?}");
    assert!(!c.contains(&"screen:aneurysm".to_string()), "{c:?}");
    let s = h
        .run_at("2026-11-28T07:03:00Z", &["--json", "screen"])
        .ok()
        .json();
    assert_eq!(s["due"], false);
    assert_eq!(s["screen"][1]["code"], "pregnancy");
    assert_eq!(s["screen"][1]["since"], "2026-11-28T07:02:00Z");
    h.run(&["init", "--condition", "gills"]).code(1);
    h.run(&["screen", "--add", "gills"])
        .fails("unknown condition");
    // Six months later the screen is due again, and shows on today.
    let s = h
        .run_at("2027-05-30T07:00:00Z", &["--json", "screen"])
        .ok()
        .json();
    assert_eq!(s["due"], true);
    let t = h
        .run_at("2027-05-30T07:00:00Z", &["--json", "today"])
        .ok()
        .json();
    assert_eq!(t["screen_due"], true);
}

#[test]
fn corrections_are_checked_too() {
    let h = Home::new();
    h.run(&["dose"]).ok();
    h.run(&["dose", "edit", "1", "--amount", "2 troches"])
        .code(3);
    assert_eq!(h.export()["doses"][0]["dose_mg"], 12.5);
    h.run(&[
        "dose", "edit", "1", "--amount", "1 troche", "--reason", "misread",
    ])
    .ok();
}

#[test]
fn supply_counts_and_trends_in_check() {
    let h = Home::new();
    h.run(&["dose"]).ok();
    // A removal whose note begins with "count" is a removal, not a count: no shortfall.
    // (Until schema 6 any reason beginning "count" was read as a count.)
    h.run(&[
        "stock",
        "adjust",
        "T",
        "--remove",
        "1",
        "--reason",
        "counted twice, one crumbled",
    ])
    .ok();
    let c = h.run(&["--json", "check"]).ok().json();
    assert!(
        !c["findings"]
            .as_array()
            .is_some_and(|f| f.iter().any(|x| x["code"] == "supply_shortfall")),
        "{c}"
    );
    h.run(&["stock", "adjust", "T", "--add", "1"]).ok();
    let j = h
        .run(&[
            "--json",
            "stock",
            "count",
            "T",
            "27 troches",
            "--note",
            "monthly count",
        ])
        .ok()
        .json();
    assert_eq!(j["difference"], -2.5);
    let c = h.run(&["--json", "check"]).ok().json();
    let f = c["findings"].as_array().cloned().unwrap_or_default();
    assert!(
        f.iter().any(|x| x["code"] == "supply_shortfall"
            && x["message"].as_str().unwrap_or("").contains("2.5")),
        "{f:?}"
    );
    assert_eq!(c["trends"]["weeks"].as_array().map(Vec::len), Some(8));
}

#[test]
fn info_shows_sources() {
    let h = Home::new();
    let r = h.run(&["info", "interactions", "Xanax"]).ok();
    assert!(r.stdout.contains("benzodiazepines") && r.stdout.contains("source:"));
    let r = h.run(&["info", "risks"]).ok();
    assert!(r.stdout.contains("Bladder") && r.stdout.contains("Winstock"));
    let r = h.run(&["info", "routes"]).ok();
    assert!(r.stdout.contains("Yanagihara") && r.stdout.contains("[H]"));
    h.run(&["info", "interactions", "unobtainium"]).code(1);
    let j = h
        .run(&["--json", "info", "interactions", "grapefruit"])
        .ok()
        .json();
    assert_eq!(j["level_by_route"]["oral"], "warning");
    // The enzyme effect matters for swallowed doses; the harm-reduction "uncertain" applies to any route.
    assert_eq!(j["level_by_route"]["intranasal"], "caution");
}

#[test]
fn bad_input_to_safety_commands_changes_nothing() {
    let h = Home::new();
    let before = h.export();
    for (args, needle) in [
        (vec!["vitals", "--bp", "82/128"], "higher than diastolic"),
        (vec!["vitals", "--bp", "400/90"], "outside the range"),
        (vec!["vitals", "--bp", "120-80"], "systolic/diastolic"),
        (vec!["vitals", "--hr", "500"], "outside the range"),
        (vec!["vitals"], "at least one"),
        (
            vec!["vitals", "--bp", "120/80", "--at", "2026-11-28 12:00"],
            "future",
        ),
        (vec!["use", "beer", "--at", "2026-11-28 12:00"], "future"),
        (vec!["use", ""], "empty"),
        (vec!["meds", "add", " "], "empty"),
        (vec!["clear", "urinary", "--note", ""], "empty"),
        (vec!["stock", "count", "T", "2 sprays"], "does not fit"),
    ] {
        let r = h.run(&args).code(1);
        assert!(r.stderr.contains(needle), "{args:?}: {}", r.stderr);
    }
    assert_eq!(h.export(), before);
}

/// A dose already taken is recorded with its findings, never refused; the same dose about to be
/// taken is refused. A reading taken after a dose does not judge it.
#[test]
fn a_dose_already_taken_is_recorded_and_readings_after_it_do_not_judge_it() {
    let h = Home::new();
    let r = h.run(&["dose", "2 troches", "--at", "-2h"]).ok();
    assert!(r.stdout.contains("Recorded after the fact"), "{}", r.stdout);
    let d = &h.export()["doses"][0];
    assert_eq!(d["dose_mg"], 50.0);
    assert_eq!(d["override_reason"], Value::Null);
    assert!(d["findings"].as_array().is_some_and(|f| {
        f.iter()
            .any(|x| x["code"] == "limit_per_dose" && x["severity"] == "refuse")
    }));
    let shown = h.run(&["dose", "show", "1"]).ok().stdout;
    assert!(
        shown.contains("recorded after the fact: limit_per_dose"),
        "{shown}"
    );
    // 30 minutes ago is still a dose about to be judged: refused, nothing written.
    h.run(&["dose", "2 troches", "--at", "-30min"]).code(3);
    assert_eq!(h.export()["doses"].as_array().map(Vec::len), Some(1));

    // A 40-minute post-dose reading does not refuse the late logging of the dose it followed.
    let h = Home::new();
    h.run(&[
        "vitals",
        "--bp",
        "176/104",
        "--context",
        "post-dose",
        "--at",
        "-20min",
    ])
    .ok();
    let j = h
        .run(&["--json", "dose", "--at", "-1h", "--dry-run"])
        .ok()
        .json();
    assert!(
        !codes(&j).contains(&"bp_high".to_string()),
        "{:?}",
        codes(&j)
    );
    // The same reading before a dose now refuses it.
    let j = h.run(&["--json", "dose", "--dry-run"]).code(3).json();
    assert!(codes(&j).contains(&"bp_high".to_string()));
    // 148/94 warns and does not refuse.
    let h = Home::new();
    h.run(&["vitals", "--bp", "148/94", "--at", "-10min"]).ok();
    let j = h.run(&["--json", "dose", "--dry-run"]).ok().json();
    let c = codes(&j);
    assert!(c.contains(&"bp_elevated".to_string()) && !c.contains(&"bp_high".to_string()));
}

/// A clinician's blood-pressure tiers for a protocol, checked and used.
#[test]
fn blood_pressure_tiers_set_per_protocol() {
    let h = Home::new();
    h.run(&[
        "protocol",
        "set",
        "--bp-warn-above",
        "130/85",
        "--bp-refuse-from",
        "150/95",
    ])
    .ok();
    h.run(&["vitals", "--bp", "152/80", "--at", "-10min"]).ok();
    let j = h.run(&["--json", "dose", "--dry-run"]).code(3).json();
    assert!(codes(&j).contains(&"bp_high".to_string()));
    // Refusal below warning, or out of range: refused with a message, nothing changed.
    h.run(&["protocol", "set", "--bp-refuse-from", "120/80"])
        .fails("above the warning threshold");
    h.run(&["protocol", "set", "--bp-warn-above", "300/90"])
        .fails("systolic");
    let shown = h.run(&["protocol", "show"]).ok().stdout;
    assert!(shown.contains("no dose from 150/95"), "{shown}");
}

/// A check-in note that reads as self-harm brings the crisis guidance, at once and on doses.
#[test]
fn a_checkin_note_about_self_harm_brings_crisis_guidance() {
    let h = Home::new();
    let set = h
        .run(&[
            "init",
            "--crisis-line",
            "988",
            "--clinician",
            "Dr Lee 030 1234567",
        ])
        .ok()
        .stdout;
    assert!(set.contains("clinician: Dr Lee 030 1234567"), "{set}");
    let out = h
        .run(&[
            "checkin",
            "--mood",
            "2",
            "--note",
            "some days I want to die",
        ])
        .ok()
        .stdout;
    assert!(out.contains("findahelpline.com"), "{out}");
    assert!(
        out.contains("Your crisis line: 988. Your clinician: Dr Lee 030 1234567."),
        "{out}"
    );
    let j = h.run(&["--json", "dose", "--dry-run"]).ok().json();
    assert!(codes(&j).contains(&"self_harm_thoughts".to_string()));
    let action = j["verdict"]["findings"]
        .as_array()
        .into_iter()
        .flatten()
        .find(|f| f["code"] == "self_harm_thoughts")
        .map(|f| f["action"].to_string())
        .unwrap_or_default();
    assert!(action.contains("Your clinician: Dr Lee"), "{j}");
    // Removed with an empty value.
    let cleared = h.run(&["--json", "init", "--clinician", ""]).ok().json();
    assert!(cleared["profile"]["clinician"].is_null(), "{cleared}");
    let plain = Home::new();
    let out = plain
        .run(&["checkin", "--mood", "6", "--note", "dead tired after work"])
        .ok()
        .stdout;
    assert!(!out.contains("findahelpline"), "{out}");
}
