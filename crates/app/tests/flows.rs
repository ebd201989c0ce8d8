//! The use cases every surface runs, tested at the app layer on a real SQLite journal: the dose
//! flow (dry run, refusal, override, a dose already taken), a check-in's warnings, the health
//! screen's answers, the standing findings, and the titration proposal's red flags.

use dosewise_app::checkin::CheckinRequest;
use dosewise_app::dose::{DoseRequest, Outcome, log};
use dosewise_core::jiff::civil::Time;
use dosewise_core::profile::Profile;
use dosewise_core::protocol::{DoseTarget, Limits, NewProtocol, Pattern, Titration};
use dosewise_core::route::Substance;
use dosewise_core::testing::date;
use dosewise_core::testing::{troche_new_stock, ts};
use dosewise_core::titration::ProposalKind;
use dosewise_store::{Store, Window};
use dosewise_store_sqlite::SqliteStore;

const NOW: &str = "2026-11-28T11:00:00Z";

async fn journal() -> (SqliteStore, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let s = SqliteStore::open(&dir.path().join("dosewise.db"))
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    s.save_profile(&Profile {
        name: None,
        zone: "Europe/Berlin".into(),
        weight_kg: None,
        screen: vec![],
        screened_at: Some(ts("2026-11-01T08:00:00Z")),
        crisis_line: Some("988".into()),
        clinician: Some("Dr Lee 030 1234567".into()),
        created_at: ts("2026-11-01T08:00:00Z"),
        updated_at: ts("2026-11-01T08:00:00Z"),
    })
    .await
    .unwrap_or_else(|e| panic!("{e}"));
    s.add_stock(&troche_new_stock("T", 30.0))
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    (s, dir)
}

/// Every third day from 1 November at 12:00 Berlin, 1/2 troche, at most 25 mg a dose.
async fn with_protocol(s: &SqliteStore, titration: Option<Titration>) {
    let p = NewProtocol {
        name: "plan".into(),
        substance: Substance::Ketamine,
        pattern: Pattern::EveryNDays { n: 3 },
        start: date("2026-11-01"),
        end: None,
        time: Time::new(12, 0, 0, 0).unwrap_or(Time::midnight()),
        zone: "Europe/Berlin".into(),
        dose: DoseTarget {
            entered: "1/2 troche".into(),
            quantity: dosewise_core::dose_expr::parse_quantity("1/2 troche")
                .unwrap_or_else(|e| panic!("{e}")),
            mg: Some(12.5),
        },
        stock_id: Some(1),
        route: None,
        cycle: None,
        titration,
        limits: Limits {
            max_per_dose_mg: Some(25.0),
            ..Limits::default()
        },
        checkin_time: None,
        require_bp: false,
        require_sitter: false,
        note: None,
    };
    s.add_protocol(&p, ts("2026-11-01T08:00:00Z"), date("2026-11-01"))
        .await
        .unwrap_or_else(|e| panic!("{e}"));
}

fn req(amount: &str, at: Option<&str>) -> DoseRequest {
    DoseRequest {
        amount: amount.into(),
        at: at.map(str::to_string),
        ..DoseRequest::default()
    }
}

async fn count(s: &SqliteStore) -> usize {
    s.doses(Window::default())
        .await
        .unwrap_or_else(|e| panic!("{e}"))
        .len()
}

#[tokio::test]
async fn the_dose_flow_checks_once_and_writes_only_what_it_may() {
    let (s, _d) = journal().await;
    with_protocol(&s, None).await;
    let now = ts(NOW);
    // A dry run checks and writes nothing.
    let o = log(&s, &req("1/2 troche", None), None, true, now)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert!(matches!(o, Outcome::Checked { ref verdict, .. } if !verdict.refused()));
    assert_eq!(count(&s).await, 0);
    // Above the per-dose limit, about to be taken: refused, nothing written.
    let o = log(&s, &req("2 troches", None), None, false, now)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let Outcome::Refused { verdict, .. } = o else {
        panic!("not refused")
    };
    assert!(verdict.codes().contains(&"limit_per_dose"));
    assert_eq!(count(&s).await, 0);
    // An empty reason is no override; a reason is, and it is kept with the findings.
    let o = log(&s, &req("2 troches", None), Some("  "), false, now)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert!(matches!(o, Outcome::Refused { .. }));
    // A reason that says nothing is refused with a message, and nothing is written.
    for short in ["ok", "agreed"] {
        let e = log(&s, &req("2 troches", None), Some(short), false, now)
            .await
            .map(|_| ())
            .expect_err(short);
        assert!(e.to_string().contains("at least 2 words"), "{e}");
    }
    assert_eq!(count(&s).await, 0);
    // A short reason on a dose nothing refuses is not judged (it is not used).
    let o = log(&s, &req("1/2 troche", None), Some("ok"), true, now)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert!(matches!(o, Outcome::Checked { .. }));
    let o = log(
        &s,
        &req("2 troches", None),
        Some("agreed with Dr K"),
        false,
        now,
    )
    .await
    .unwrap_or_else(|e| panic!("{e}"));
    let Outcome::Logged {
        dose, overridden, ..
    } = o
    else {
        panic!("not logged")
    };
    assert!(overridden);
    assert_eq!(
        dose.dose.override_reason.as_deref(),
        Some("agreed with Dr K")
    );
    assert!(
        dose.dose
            .findings
            .iter()
            .any(|f| f.code == "limit_per_dose")
    );
    // The same amount taken three hours ago is recorded as it happened, with its findings and
    // no override.
    let o = log(&s, &req("2 troches", Some("-3h")), None, false, now)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let Outcome::Logged {
        dose,
        overridden,
        verdict,
        ..
    } = o
    else {
        panic!("a dose already taken is recorded")
    };
    assert!(!overridden && verdict.recorded_despite_refusal());
    assert!(dose.recorded_after_the_fact());
    assert_eq!(dose.dose.override_reason, None);
    assert_eq!(count(&s).await, 2);
    // Taken just now, and said to be: recorded as it happened, with the refusal it would have
    // met and the note; the same request not said to be taken is refused.
    let taken = DoseRequest {
        already_taken: true,
        ..req("2 troches", None)
    };
    let o = log(&s, &taken, None, false, now)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let Outcome::Logged {
        dose, overridden, ..
    } = o
    else {
        panic!("a dose said to be taken is recorded")
    };
    assert!(!overridden && dose.recorded_after_the_fact());
    let codes: Vec<&str> = dose.dose.findings.iter().map(|f| f.code.as_str()).collect();
    assert!(
        codes.contains(&"limit_per_dose") && codes.contains(&"already_taken"),
        "{codes:?}"
    );
    assert_eq!(count(&s).await, 3);
    // Bad input is refused before anything is checked or written.
    for bad in ["10 g", "-1 troche", "2 sprays", "1/3 troche"] {
        assert!(
            log(&s, &req(bad, None), None, false, now).await.is_err(),
            "{bad}"
        );
    }
    assert_eq!(count(&s).await, 3);
}

/// A dose or check-in just saved can be undone for ten minutes, once, and not after a change:
/// it is deleted with the reason, kept in the record, its supply returned.
#[tokio::test]
async fn a_record_just_saved_can_be_undone_for_a_few_minutes() {
    let (s, _d) = journal().await;
    with_protocol(&s, None).await;
    let now = ts(NOW);
    let later = |mins: i64| {
        now.checked_add(dosewise_core::jiff::SignedDuration::from_mins(mins))
            .unwrap_or(now)
    };
    let logged = |o: Outcome| match o {
        Outcome::Logged { dose, .. } => dose,
        other => panic!("not logged: {other:?}"),
    };
    let before = s.stocks(false).await.unwrap_or_else(|e| panic!("{e}"))[0]
        .stock
        .remaining;
    let a = logged(
        log(&s, &req("1/4 troche", None), None, false, now)
            .await
            .unwrap_or_else(|e| panic!("{e}")),
    );
    let undone = dosewise_app::dose::undo(&s, a.id, later(10))
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert!(undone.deleted_at.is_some());
    let revisions = s
        .dose_revisions(a.id)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(
        revisions.last().and_then(|r| r.reason.as_deref()),
        Some(dosewise_app::dose::UNDONE)
    );
    let after = s.stocks(false).await.unwrap_or_else(|e| panic!("{e}"))[0]
        .stock
        .remaining;
    assert!(
        (after - before).abs() < 1e-9,
        "the supply is back: {before} → {after}"
    );
    // Twice, or too late: refused with a message, nothing changed.
    assert!(dosewise_app::dose::undo(&s, a.id, later(11)).await.is_err());
    let b = logged(
        log(&s, &req("1/4 troche", Some("-1h")), None, false, now)
            .await
            .unwrap_or_else(|e| panic!("{e}")),
    );
    let e = dosewise_app::dose::undo(&s, b.id, later(11))
        .await
        .map(|_| ())
        .expect_err("eleven minutes on");
    assert!(e.to_string().contains("can no longer be undone"), "{e}");
    assert!(
        s.dose(b.id)
            .await
            .unwrap_or_else(|e| panic!("{e}"))
            .is_some_and(|d| d.deleted_at.is_none())
    );
    // A check-in, the same way.
    let r = CheckinRequest {
        mood: Some(5),
        ..CheckinRequest::default()
    };
    let (c, _) = dosewise_app::checkin::record(&s, &r, now)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert!(
        dosewise_app::checkin::undo(&s, c.id, later(11))
            .await
            .is_err()
    );
    let c2 = dosewise_app::checkin::undo(&s, c.id, later(2))
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert!(c2.deleted_at.is_some());
}

#[tokio::test]
async fn a_checkin_brings_its_warnings_with_the_persons_crisis_line_first() {
    let (s, _d) = journal().await;
    let now = ts(NOW);
    let r = CheckinRequest {
        mood: Some(2),
        urinary: vec!["frequency".into()],
        note: Some("I keep thinking I want to die".into()),
        ..CheckinRequest::default()
    };
    let (saved, warnings) = dosewise_app::checkin::record(&s, &r, now)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(saved.checkin.urinary.len(), 1);
    let codes: Vec<&str> = warnings.iter().map(|w| w.code).collect();
    assert_eq!(
        codes,
        ["self_harm_thoughts", "urinary_symptoms"],
        "the most urgent first"
    );
    assert!(warnings[0].message.starts_with("Your crisis line: 988."));
    assert!(warnings[0].sources[0].contains("(D)"));
    let (_, none) = dosewise_app::checkin::record(
        &s,
        &CheckinRequest {
            mood: Some(7),
            note: Some("dead tired, good day".into()),
            ..CheckinRequest::default()
        },
        now,
    )
    .await
    .unwrap_or_else(|e| panic!("{e}"));
    assert!(none.is_empty());
}

#[tokio::test]
async fn screen_answers_are_dated_and_a_later_one_is_not_covered_by_an_older_review() {
    let (s, _d) = journal().await;
    let t1 = ts("2026-11-10T08:00:00Z");
    let p = dosewise_app::screen::answer_all(&s, &["mania".into()], t1)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(p.screened_at, Some(t1));
    s.add_clearance(
        dosewise_core::safety::ClearanceTopic::Screen,
        ts("2026-11-11T08:00:00Z"),
        Some("seen"),
    )
    .await
    .unwrap_or_else(|e| panic!("{e}"));
    let p = dosewise_app::screen::update(&s, "pregnancy", true, ts("2026-11-20T08:00:00Z"))
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(
        p.screened_at,
        Some(t1),
        "one answer is not the whole screen"
    );
    let tz = dosewise_core::when::zone("Europe/Berlin").unwrap_or_else(|e| panic!("{e}"));
    let standing = dosewise_app::safety::standing(&s, ts(NOW), &tz, None)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let codes: Vec<&str> = standing.iter().map(|f| f.code.as_str()).collect();
    assert!(codes.contains(&"screen:pregnancy"), "{codes:?}");
    assert!(!codes.contains(&"screen:mania"), "{codes:?}");
    assert!(
        dosewise_app::screen::update(&s, "gills", true, ts(NOW))
            .await
            .is_err()
    );
    assert!(dosewise_app::screen::crisis_line(Some("98\u{7}8")).is_err());
}

#[tokio::test]
async fn a_red_flag_turns_a_proposed_step_up_into_a_hold() {
    let (s, _d) = journal().await;
    let ladder = Titration {
        start_mg: 12.5,
        step_mg: 6.25,
        min_days_per_step: 14,
        ceiling_mg: 25.0,
    };
    with_protocol(&s, Some(ladder)).await;
    // Flat mood before and after the start: the ladder would propose a step up.
    for day in 20..=31 {
        let at = format!("2026-10-{day}T19:00:00Z");
        checkin(&s, &at, 4, None).await;
    }
    for day in 1..=27 {
        let at = format!("2026-11-{day:02}T19:00:00Z");
        checkin(&s, &at, 4, None).await;
    }
    let tz = dosewise_core::when::zone("Europe/Berlin").unwrap_or_else(|e| panic!("{e}"));
    let p = s
        .protocols(false)
        .await
        .unwrap_or_else(|e| panic!("{e}"))
        .remove(0);
    let today = date("2026-11-28");
    let before = dosewise_app::today::proposal(&s, &p, &tz, today, ts(NOW))
        .await
        .unwrap_or_else(|e| panic!("{e}"))
        .unwrap_or_else(|| panic!("a ladder proposes"));
    assert_eq!(before.kind, ProposalKind::ConsiderStepUp, "{before:?}");
    // Strong craving yesterday: a red flag, so no step up.
    checkin(&s, "2026-11-27T20:00:00Z", 4, Some(8)).await;
    let after = dosewise_app::today::proposal(&s, &p, &tz, today, ts(NOW))
        .await
        .unwrap_or_else(|e| panic!("{e}"))
        .unwrap_or_else(|| panic!("a ladder proposes"));
    assert_eq!(after.kind, ProposalKind::Hold, "{after:?}");
    assert!(
        after.data.iter().any(|d| d.contains("craving")),
        "{:?}",
        after.data
    );
}

async fn checkin(s: &SqliteStore, at: &str, mood: i64, craving: Option<i64>) {
    let r = CheckinRequest {
        mood: Some(mood),
        craving,
        at: Some(at.into()),
        ..CheckinRequest::default()
    };
    dosewise_app::checkin::record(s, &r, ts(NOW))
        .await
        .unwrap_or_else(|e| panic!("{e}"));
}

/// A correction is checked like a new dose, with the dose itself left out of the history: one
/// over the limit is refused and changes nothing; with a reason it is saved, the old version kept
/// as a revision and the stock's ledger moves only the difference. A deletion returns the
/// supply, once.
#[tokio::test]
async fn a_correction_is_checked_and_kept_and_a_deletion_returns_the_supply() {
    use dosewise_app::dose::{EditRequest, Edited, delete, edit};
    let (s, _d) = journal().await;
    with_protocol(&s, None).await;
    let now = ts(NOW);
    let Outcome::Logged { dose, .. } = log(&s, &req("1/2 troche", None), None, false, now)
        .await
        .unwrap_or_else(|e| panic!("{e}"))
    else {
        panic!("not logged")
    };
    assert_eq!(remaining(&s).await, Some(29.5));
    // Over the 25 mg limit: refused, nothing written.
    let over = EditRequest {
        id: dose.id,
        amount: Some("2 troches".into()),
        reason: Some("misread".into()),
        ..EditRequest::default()
    };
    let out = edit(&s, &over, None, now)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert!(matches!(out, Edited::Refused { .. }), "{out:?}");
    assert_eq!(s.dose_revisions(dose.id).await.unwrap_or_default().len(), 0);
    assert_eq!(remaining(&s).await, Some(29.5));
    // A correction within the limit: the same dose, now 1 troche, previous kept, ledger -0.5.
    let ok = EditRequest {
        amount: Some("1 troche".into()),
        ..over.clone()
    };
    let Edited::Corrected {
        dose: fixed,
        previous,
        overridden,
        ..
    } = edit(&s, &ok, None, now)
        .await
        .unwrap_or_else(|e| panic!("{e}"))
    else {
        panic!("refused")
    };
    assert_eq!(
        (fixed.id, fixed.dose.dose_mg, previous.dose.dose_mg),
        (dose.id, 25.0, 12.5)
    );
    assert!(!overridden);
    let revisions = s.dose_revisions(dose.id).await.unwrap_or_default();
    assert_eq!(revisions.len(), 1);
    assert_eq!(revisions[0].reason.as_deref(), Some("misread"));
    assert_eq!(remaining(&s).await, Some(29.0));
    // Over the limit with a reason: saved, marked overridden, the reason kept with the dose.
    let Edited::Corrected {
        dose: forced,
        overridden,
        ..
    } = edit(&s, &over, Some("agreed with Dr K"), now)
        .await
        .unwrap_or_else(|e| panic!("{e}"))
    else {
        panic!("refused despite a reason")
    };
    assert!(overridden);
    assert_eq!(
        forced.dose.override_reason.as_deref(),
        Some("agreed with Dr K")
    );
    assert_eq!(remaining(&s).await, Some(28.0));
    // A note with a hidden direction mark is refused before anything is read or written.
    let hidden = EditRequest {
        note: Some("fine\u{202e}enif".into()),
        ..ok.clone()
    };
    assert!(edit(&s, &hidden, None, now).await.is_err());
    assert_eq!(s.dose_revisions(dose.id).await.unwrap_or_default().len(), 2);
    // Deleted: the supply comes back; a second deletion or a correction is refused.
    let gone = delete(&s, dose.id, Some("did not happen"), now)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert!(gone.deleted_at.is_some());
    assert_eq!(remaining(&s).await, Some(30.0));
    assert!(delete(&s, dose.id, None, now).await.is_err());
    assert!(edit(&s, &ok, None, now).await.is_err());
    assert_eq!(remaining(&s).await, Some(30.0));
}

/// The report is built once for every surface: by default from the plan's first day (90 days
/// up to today in a journal without one), named sections
/// only, and a clear error for a section that does not exist or a period that ends before it
/// starts.
#[tokio::test]
async fn the_report_is_built_once_with_its_period_and_sections() {
    use dosewise_app::report::{ReportRequest, build};
    let (s, _d) = journal().await;
    let tz = dosewise_core::when::zone("Europe/Berlin").unwrap_or_else(|e| panic!("{e}"));
    let now = ts(NOW);
    let r = build(&s, &ReportRequest::default(), now, &tz)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!((r.from, r.to), (date("2026-08-30"), date("2026-11-28")));
    assert_eq!(r.file_stem(), "dosewise-report-2026-08-30-to-2026-11-28");
    // With a plan, the report covers the plan's time: from its first day.
    {
        let (p, _d2) = journal().await;
        with_protocol(&p, None).await;
        let r = build(&p, &ReportRequest::default(), now, &tz)
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!((r.from, r.to), (date("2026-11-01"), date("2026-11-28")));
        // A PHQ-9 a month before the plan began is its baseline: the period reaches back to it.
        dosewise_app::records::assessment(
            &p,
            "phq9",
            &[2, 2, 2, 2, 1, 2, 2, 1, 0],
            Some("2026-10-05 20:00"),
            None,
            Some("Europe/Berlin"),
            now,
        )
        .await
        .unwrap_or_else(|e| panic!("{e}"));
        let r = build(&p, &ReportRequest::default(), now, &tz)
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(r.from, date("2026-10-05"));
    }
    assert!(
        r.html.contains("<h2>Regimen and actual use</h2>")
            && r.html.contains("<h2>Vital signs</h2>"),
        "all sections"
    );
    let only = ReportRequest {
        sections: vec!["vitals"],
        ..ReportRequest::default()
    };
    let r = build(&s, &only, now, &tz)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert!(
        r.html.contains("<h2>Vital signs</h2>")
            && !r.html.contains("<h2>Regimen and actual use</h2>")
    );
    let bad = ReportRequest {
        sections: vec!["vitals", "horoscope"],
        ..ReportRequest::default()
    };
    let e = build(&s, &bad, now, &tz).await.err().map(|e| e.to_string());
    assert!(
        e.as_deref().is_some_and(|e| e.contains("horoscope")),
        "{e:?}"
    );
    let reversed = ReportRequest {
        from: Some("2026-11-20"),
        to: Some("2026-11-01"),
        ..ReportRequest::default()
    };
    assert!(build(&s, &reversed, now, &tz).await.is_err());
}

async fn remaining(s: &SqliteStore) -> Option<f64> {
    s.stock(1)
        .await
        .unwrap_or_else(|e| panic!("{e}"))
        .map(|x| x.stock.remaining)
}

/// What stands without a dose: urinary symptoms until a clinician review is recorded after
/// them (the review needs a note), and a count below what the ledger implied.
#[tokio::test]
async fn the_review_shows_what_stands_until_a_clinician_clears_it() {
    use dosewise_app::review::review;
    use dosewise_core::safety::ClearanceTopic;
    let (s, _d) = journal().await;
    let tz = dosewise_core::when::zone("Europe/Berlin").unwrap_or_else(|e| panic!("{e}"));
    let codes = |r: &dosewise_app::review::Review| -> Vec<String> {
        r.findings.iter().map(|f| f.code.to_string()).collect()
    };
    let before = review(&s, ts("2026-11-27T11:00:00Z"), &tz)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert!(
        !codes(&before).contains(&"urinary_symptoms".to_string()),
        "{:?}",
        codes(&before)
    );
    let r = CheckinRequest {
        mood: Some(6),
        urinary: vec!["urgency".into()],
        at: Some("2026-11-27T10:00:00Z".into()),
        ..CheckinRequest::default()
    };
    dosewise_app::checkin::record(&s, &r, ts("2026-11-27T11:00:00Z"))
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    // Two troches fewer than the ledger says.
    dosewise_app::stock::adjust(
        &s,
        &s.stock(1)
            .await
            .unwrap_or_else(|e| panic!("{e}"))
            .unwrap_or_else(|| panic!("stock")),
        dosewise_app::stock::Change::Count,
        "28 troches",
        Some("monthly count"),
        ts("2026-11-27T12:00:00Z"),
    )
    .await
    .unwrap_or_else(|e| panic!("{e}"));
    let now = ts(NOW);
    let r = review(&s, now, &tz).await.unwrap_or_else(|e| panic!("{e}"));
    assert!(
        codes(&r).contains(&"urinary_symptoms".to_string()),
        "{:?}",
        codes(&r)
    );
    let short = r.findings.iter().find(|f| f.code == "supply_shortfall");
    assert!(
        short.is_some_and(|f| f.message.contains('2')),
        "{:?}",
        codes(&r)
    );
    // A review without a note is refused and records nothing.
    assert!(
        dosewise_app::records::clear(&s, ClearanceTopic::Urinary, "  ", now)
            .await
            .is_err()
    );
    assert!(s.clearances().await.unwrap_or_default().is_empty());
    dosewise_app::records::clear(
        &s,
        ClearanceTopic::Urinary,
        "seen by Dr K, urinalysis clear",
        now,
    )
    .await
    .unwrap_or_else(|e| panic!("{e}"));
    let r = review(&s, now, &tz).await.unwrap_or_else(|e| panic!("{e}"));
    assert!(
        !codes(&r).contains(&"urinary_symptoms".to_string()),
        "{:?}",
        codes(&r)
    );
    assert!(
        codes(&r).contains(&"supply_shortfall".to_string()),
        "a count is not cleared"
    );
}

/// A protocol from what a person typed: the pattern, the dose through the stock, limits; a
/// second one for the substance replaces the first (both keep their history); a half-given
/// titration ladder is refused; a change is kept in the history as a dose change.
#[tokio::test]
async fn a_protocol_is_started_from_words_and_changed_with_its_history() {
    use dosewise_app::protocol::{
        ChangeRequest, LimitsRequest, ProtocolRequest, TitrationRequest, add, change,
    };
    use dosewise_core::protocol::{Pattern, ProtocolEventKind, Status};
    let (s, _d) = journal().await;
    let now = ts(NOW);
    let req = ProtocolRequest {
        on_off: Some("4/3".into()),
        dose: "1/2 troche".into(),
        time: "09:30".into(),
        limits: LimitsRequest {
            max_dose: Some("25mg".into()),
            min_interval: Some("20h".into()),
            ..LimitsRequest::default()
        },
        ..ProtocolRequest::default()
    };
    let first = add(&s, &req, now).await.unwrap_or_else(|e| panic!("{e}"));
    let p = &first.protocol.protocol;
    assert!(first.replaced.is_none());
    assert_eq!(p.pattern, Pattern::OnOff { on: 4, off: 3 });
    assert_eq!(
        (p.dose.mg, p.stock_id),
        (Some(12.5), Some(1)),
        "through the only stock"
    );
    assert_eq!(p.limits.max_per_dose_mg, Some(25.0));
    assert_eq!(p.start, date("2026-11-28"), "today in Berlin");
    // Refused, writing nothing: half a ladder, an unknown weekday, a dose the stock cannot give.
    for bad in [
        ProtocolRequest {
            titration: TitrationRequest {
                start: Some("10mg".into()),
                ..TitrationRequest::default()
            },
            ..req.clone()
        },
        ProtocolRequest {
            on_off: None,
            weekdays: vec!["mon".into(), "funday".into()],
            ..req.clone()
        },
        ProtocolRequest {
            dose: "2 sprays".into(),
            ..req.clone()
        },
    ] {
        assert!(add(&s, &bad, now).await.is_err(), "{bad:?}");
    }
    assert_eq!(s.protocols(true).await.unwrap_or_default().len(), 1);
    // A second protocol replaces the first.
    let second = add(
        &s,
        &ProtocolRequest {
            on_off: None,
            every: Some(3),
            ..req.clone()
        },
        now,
    )
    .await
    .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(second.replaced.map(|p| p.id), Some(first.protocol.id));
    let ended = s.protocol(first.protocol.id).await.unwrap_or_default();
    assert_eq!(ended.map(|p| p.status), Some(Status::Ended));
    // Nothing to change is an error; a dose change is kept as one.
    let today = date("2026-11-28");
    let none = change(
        &s,
        second.protocol.clone(),
        &ChangeRequest::default(),
        today,
        now,
    )
    .await;
    assert!(none.is_err());
    let (changed, detail) = change(
        &s,
        second.protocol.clone(),
        &ChangeRequest {
            dose: Some("3/4 troche".into()),
            reason: Some("agreed at review".into()),
            ..ChangeRequest::default()
        },
        today,
        now,
    )
    .await
    .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(changed.protocol.dose.mg, Some(18.75));
    assert_eq!(detail, "dose 1/2 troche → 3/4 troche (agreed at review)");
    let events = s.protocol_events(changed.id).await.unwrap_or_default();
    assert_eq!(
        events.last().map(|e| e.kind),
        Some(ProtocolEventKind::DoseChanged)
    );
}

/// A stock from what a person typed, in each form: troches by count, a spray's usable liquid
/// after priming, a solution's volume; what does not fit is refused and writes nothing; drops
/// are calibrated on solutions only; a retired stock keeps its history.
#[tokio::test]
async fn stocks_are_added_by_form_calibrated_and_retired() {
    use dosewise_app::stock::{
        FormRequest, SprayVolumeRequest, StockRequest, add, calibrate_drops, retire,
    };
    use dosewise_core::route::Substance;
    let (s, _d) = journal().await;
    let now = ts(NOW);
    let base = |name: &str, form: FormRequest| StockRequest {
        name: name.into(),
        salt: None,
        substance: Substance::Ketamine,
        route: None,
        lot: Some("L7".into()),
        expiry: Some("2027-03-01".into()),
        opened: None,
        note: None,
        form,
    };
    let troches = add(
        &s,
        &base(
            "Troche 50",
            FormRequest::Troche {
                strength: "50mg".into(),
                count: 12.5,
                dispensed: Some(20.0),
            },
        ),
        now,
    )
    .await
    .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(
        (troches.stock.remaining, troches.stock.dispensed),
        (12.5, Some(20.0))
    );
    let spray = add(
        &s,
        &base(
            "Spray",
            FormRequest::Spray {
                concentration: "100mg/mL".into(),
                volume: SprayVolumeRequest {
                    stated: Some("0.1mL".into()),
                    ..SprayVolumeRequest::default()
                },
                bottle: "5mL".into(),
                priming: 5,
            },
        ),
        now,
    )
    .await
    .unwrap_or_else(|e| panic!("{e}"));
    assert!(
        (spray.stock.remaining - 4.5).abs() < 1e-9,
        "5 mL less 5 priming sprays of 0.1 mL"
    );
    let solution = add(
        &s,
        &base(
            "Solution",
            FormRequest::Solution {
                mass: "500mg".into(),
                volume: "10mL".into(),
                purity: 100.0,
                drop_volume: None,
            },
        ),
        now,
    )
    .await
    .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(solution.stock.remaining, 10.0);
    let before = s.stocks(true).await.unwrap_or_default().len();
    for bad in [
        base(
            "Third troche",
            FormRequest::Troche {
                strength: "25mg".into(),
                count: 0.3,
                dispensed: None,
            },
        ),
        base(
            "Grams",
            FormRequest::Troche {
                strength: "10 g".into(),
                count: 10.0,
                dispensed: None,
            },
        ),
        base(
            "All priming",
            FormRequest::Spray {
                concentration: "100mg/mL".into(),
                volume: SprayVolumeRequest {
                    stated: Some("0.1mL".into()),
                    ..SprayVolumeRequest::default()
                },
                bottle: "1mL".into(),
                priming: 10,
            },
        ),
        base(
            "No spray volume",
            FormRequest::Spray {
                concentration: "100mg/mL".into(),
                volume: SprayVolumeRequest::default(),
                bottle: "5mL".into(),
                priming: 0,
            },
        ),
        base(
            "Troche 50",
            FormRequest::Troche {
                strength: "50mg".into(),
                count: 1.0,
                dispensed: None,
            },
        ),
    ] {
        assert!(add(&s, &bad, now).await.is_err(), "{}", bad.name);
    }
    assert_eq!(s.stocks(true).await.unwrap_or_default().len(), before);
    assert!(
        calibrate_drops(&s, troches.clone(), "0.05mL")
            .await
            .is_err()
    );
    let calibrated = calibrate_drops(&s, solution, "0.05mL")
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert!(format!("{:?}", calibrated.stock.preparation.form).contains("0.05"));
    let gone = retire(&s, &troches, Some("expired"), now)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert!(gone.is_retired());
    assert_eq!(
        s.stock_events(troches.id).await.unwrap_or_default().len(),
        2
    );
}

/// A check-in is corrected as entered (what is given replaces, what is cleared goes, the rest
/// stays), checked like a new one, and kept with its earlier version; a deleted one leaves
/// every reading and cannot be changed again. A refused correction writes nothing.
#[tokio::test]
async fn a_checkin_is_corrected_or_deleted_with_its_history_kept() {
    use dosewise_app::AppError;
    use dosewise_app::checkin::{CheckinEdit, delete, edit, record};
    let (s, _d) = journal().await;
    let now = ts(NOW);
    let (c, _) = record(
        &s,
        &CheckinRequest {
            mood: Some(6),
            anxiety: Some(4),
            side_effects: vec!["nausea=3".into()],
            note: Some("long day".into()),
            tags: vec!["work".into()],
            at: Some("2026-11-28T09:00:00Z".into()),
            ..CheckinRequest::default()
        },
        now,
    )
    .await
    .unwrap_or_else(|e| panic!("{e}"));
    let exported = || async { s.export().await.unwrap_or_else(|e| panic!("{e}")) };
    let before = exported().await;
    // Refused, and nothing written: nothing asked, an unknown field to clear, a value both
    // given and cleared, a rating out of range, a time in the future, everything cleared.
    let refused = [
        CheckinEdit::default(),
        CheckinEdit {
            clear: vec!["weather".into()],
            ..CheckinEdit::default()
        },
        CheckinEdit {
            mood: Some(5),
            clear: vec!["mood".into()],
            ..CheckinEdit::default()
        },
        CheckinEdit {
            mood: Some(11),
            ..CheckinEdit::default()
        },
        CheckinEdit {
            at: Some("2026-11-29T09:00:00Z".into()),
            ..CheckinEdit::default()
        },
        CheckinEdit {
            clear: ["mood", "anxiety", "side_effects", "note"]
                .map(String::from)
                .to_vec(),
            ..CheckinEdit::default()
        },
    ];
    for e in &refused {
        let r = edit(&s, c.id, e, now).await;
        assert!(matches!(r, Err(AppError::Input(_))), "{e:?}: {r:?}");
    }
    assert_eq!(exported().await, before);
    // The same values again: nothing written.
    let same = edit(
        &s,
        c.id,
        &CheckinEdit {
            mood: Some(6),
            ..CheckinEdit::default()
        },
        now,
    )
    .await
    .unwrap_or_else(|e| panic!("{e}"));
    assert!(!same.changed);
    assert_eq!(exported().await, before);
    // A real correction: mood given, note cleared, urinary added (its warning comes back).
    let fixed = edit(
        &s,
        c.id,
        &CheckinEdit {
            mood: Some(3),
            urinary: Some(vec!["pain".into()]),
            clear: vec!["note".into()],
            reason: Some("entered on the wrong day".into()),
            ..CheckinEdit::default()
        },
        now,
    )
    .await
    .unwrap_or_else(|e| panic!("{e}"));
    assert!(fixed.changed);
    let x = &fixed.checkin.checkin;
    assert_eq!(x.ratings.mood.map(|r| r.value()), Some(3));
    assert_eq!(x.ratings.anxiety.map(|r| r.value()), Some(4));
    assert_eq!(x.side_effects, c.checkin.side_effects);
    assert_eq!(x.note, None);
    assert_eq!(x.tags, vec!["work".to_string()]);
    assert_eq!(x.at, c.checkin.at);
    assert_eq!(fixed.warnings[0].code, "urinary_symptoms");
    let revs = s
        .checkin_revisions(c.id)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(revs.len(), 1);
    assert_eq!(revs[0].previous, c.checkin);
    assert_eq!(revs[0].reason.as_deref(), Some("entered on the wrong day"));
    // The urinary symptom now counts for the safety check's standing findings.
    assert_eq!(
        s.urinary_checkins(Window::default())
            .await
            .unwrap_or_default()
            .len(),
        1
    );
    // Deleted: out of every reading, kept in the record, final.
    let gone = delete(&s, c.id, Some("not me"), now)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert!(gone.deleted_at.is_some());
    assert!(
        s.urinary_checkins(Window::default())
            .await
            .unwrap_or_default()
            .is_empty()
    );
    assert!(s.last_checkin().await.unwrap_or_default().is_none());
    assert!(matches!(
        delete(&s, c.id, None, now).await,
        Err(AppError::Conflict(_))
    ));
    assert!(matches!(
        edit(
            &s,
            c.id,
            &CheckinEdit {
                mood: Some(1),
                ..CheckinEdit::default()
            },
            now
        )
        .await,
        Err(AppError::Conflict(_))
    ));
    assert!(matches!(
        delete(&s, c.id + 1, None, now).await,
        Err(AppError::NotFound(_))
    ));
    assert_eq!(s.checkin_revisions(c.id).await.unwrap_or_default().len(), 2);
}
