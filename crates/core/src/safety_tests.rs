//! The safety engine's scenario suite: every rule, both sides of every threshold, windows at
//! their edges, aliases; and the property that more history never lifts a limit refusal.

use crate::checkin::{Checkin, NewCheckin, Rating, Ratings, UrinarySymptom};
use crate::dose::{Dose, NewDose};
use crate::dose_expr::Quantity;
use crate::medication::{Medication, NewMedication, NewSubstanceUse, SubstanceUse};
use crate::protocol::{Cycle, Limits, Pattern, Pause, Protocol, Status};
use crate::route::{Route, Substance};
use crate::safety::*;
use crate::testing::date as d;
use crate::testing::ts;
use crate::units::Milligrams;
use crate::vitals::{NewVitals, Vitals, VitalsContext};
use jiff::tz::TimeZone;
use jiff::{SignedDuration, Timestamp};
use proptest::prelude::*;

const DAY0: &str = "2026-11-01";
/// 2026-11-28 is day 27 of an every-3-days plan from 1 November: a planned day. 08:00 CET.
const AT: &str = "2026-11-28T07:00:00Z";

fn berlin() -> TimeZone {
    crate::when::zone("Europe/Berlin").unwrap_or(TimeZone::UTC)
}
fn shift(t: &str, hours: f64) -> Timestamp {
    ts(t)
        .checked_add(SignedDuration::from_secs_f64(hours * 3600.0))
        .unwrap_or_else(|e| panic!("{e}"))
}

fn new_dose(mg: f64, at: Timestamp) -> NewDose {
    NewDose {
        entered: format!("{mg} mg"),
        quantity: Quantity::Mg(Milligrams::positive(mg).unwrap_or(Milligrams::zero())),
        dose_mg: mg,
        dose_mg_base: mg / 1.1535,
        ..NewDose::nominal(
            at,
            "Europe/Berlin",
            Substance::Ketamine,
            Route::Sublingual,
            Some(1),
        )
    }
}

struct S {
    protocol: Option<Protocol>,
    history: Vec<Dose>,
    checkins: Vec<Checkin>,
    meds: Vec<Medication>,
    uses: Vec<SubstanceUse>,
    vitals: Vec<Vitals>,
    clearances: Vec<Clearance>,
    screen: Vec<crate::screen::ScreenAnswer>,
    assessments: Vec<crate::questionnaire::Assessment>,
    dose: NewDose,
    /// When the check runs; the dose's own time unless set (a dose logged after the fact).
    now: Option<Timestamp>,
    crisis_line: Option<String>,
    clinician: Option<String>,
    prescription: Option<crate::prescription::Prescription>,
}

impl S {
    /// Every third day from 1 November at 08:00, limits 25 mg a dose, 25 a day, 50 a week, 48 h apart.
    fn base() -> S {
        let mut p = crate::schedule::tests::protocol(Pattern::EveryNDays { n: 3 }, d(DAY0), None);
        p.protocol.limits = Limits {
            max_per_dose_mg: Some(25.0),
            max_per_day_mg: Some(25.0),
            max_per_7_days_mg: Some(50.0),
            min_interval_hours: Some(48.0),
            ..Limits::default()
        };
        S {
            protocol: Some(p),
            history: vec![],
            checkins: vec![],
            meds: vec![],
            uses: vec![],
            vitals: vec![],
            clearances: vec![],
            screen: vec![],
            assessments: vec![],
            dose: new_dose(12.5, ts(AT)),
            now: None,
            crisis_line: None,
            clinician: None,
            prescription: None,
        }
    }
    /// Answer screen question `code` yes, `hours_before` the dose.
    fn screened(mut self, code: &str, hours_before: f64) -> S {
        self.screen.push(crate::screen::ScreenAnswer {
            code: code.into(),
            since: Some(shift(AT, -hours_before)),
        });
        self
    }
    fn cleared(mut self, topic: ClearanceTopic, hours_before: f64) -> S {
        self.clearances.push(Clearance {
            id: self.clearances.len() as i64 + 1,
            at: shift(AT, -hours_before),
            topic,
            note: Some("seen".into()),
        });
        self
    }
    /// Run the check `minutes` after the dose's time (the dose is being recorded late).
    fn checked_later(mut self, minutes: f64) -> S {
        self.now = Some(shift(AT, minutes / 60.0));
        self
    }
    fn limits(mut self, f: impl FnOnce(&mut Limits)) -> S {
        if let Some(p) = self.protocol.as_mut() {
            f(&mut p.protocol.limits);
        }
        self
    }
    fn past(mut self, mg: f64, hours_before: f64) -> S {
        let id = self.history.len() as i64 + 1;
        let at = shift(AT, -hours_before);
        self.history.push(Dose {
            id,
            dose: new_dose(mg, at),
            created_at: at,
            updated_at: None,
            deleted_at: None,
        });
        self
    }
    fn checkin(mut self, hours_before: f64, f: impl FnOnce(&mut NewCheckin)) -> S {
        let at = shift(AT, -hours_before);
        let mut c = NewCheckin {
            at,
            zone: "Europe/Berlin".into(),
            ratings: Ratings::default(),
            side_effects: vec![],
            craving: None,
            urinary: vec![],
            note: None,
            tags: vec![],
            private: false,
            guess: None,
        };
        f(&mut c);
        self.checkins.push(Checkin {
            id: self.checkins.len() as i64 + 1,
            checkin: c,
            created_at: at,
            updated_at: None,
            deleted_at: None,
        });
        self
    }
    fn med(mut self, name: &str, aware: bool) -> S {
        self.meds.push(Medication {
            id: self.meds.len() as i64 + 1,
            medication: NewMedication {
                name: name.into(),
                dose: None,
                since: None,
                clinician_aware: aware,
                note: None,
                added_at: ts(DAY0
                    .to_owned()
                    .as_str()
                    .replace(DAY0, "2026-11-01T00:00:00Z")
                    .as_str()),
            },
            removed_at: None,
        });
        self
    }
    fn used(mut self, name: &str, hours_before: f64) -> S {
        let at = shift(AT, -hours_before);
        self.uses.push(SubstanceUse {
            id: self.uses.len() as i64 + 1,
            usage: NewSubstanceUse {
                at,
                zone: "Europe/Berlin".into(),
                name: name.into(),
                amount: Some("2".into()),
                note: None,
            },
            created_at: at,
        });
        self
    }
    fn bp(mut self, sys: u16, dia: u16, hr: Option<u16>, minutes_before: f64) -> S {
        let at = shift(AT, -minutes_before / 60.0);
        self.vitals.push(Vitals {
            id: self.vitals.len() as i64 + 1,
            vitals: NewVitals {
                at,
                zone: "Europe/Berlin".into(),
                systolic: Some(sys),
                diastolic: Some(dia),
                heart_rate: hr,
                weight_kg: None,
                context: VitalsContext::PreDose,
                note: None,
            },
            created_at: at,
        });
        self
    }
    fn run(&self) -> Verdict {
        let tz = berlin();
        preflight(&Preflight {
            dose: &self.dose,
            now: self.now.unwrap_or(self.dose.at),
            tz: &tz,
            protocol: self.protocol.as_ref(),
            history: &self.history,
            checkins: &self.checkins,
            meds: &self.meds,
            uses: &self.uses,
            vitals: &self.vitals,
            clearances: &self.clearances,
            screen: &self.screen,
            assessments: &self.assessments,
            crisis_line: self.crisis_line.as_deref(),
            clinician: self.clinician.as_deref(),
            prescription: self.prescription.as_ref(),
        })
    }
}

/// The finding with `code`; the test fails, naming the codes there are, when it is missing.
fn found<'a>(v: &'a Verdict, code: &str) -> &'a Finding {
    v.findings
        .iter()
        .find(|f| f.code == code)
        .unwrap_or_else(|| panic!("no {code} among {:?}", v.codes()))
}

/// The severity of the finding with `code`, if any.
fn sev(v: &Verdict, code: &str) -> Option<Severity> {
    v.findings
        .iter()
        .find(|f| f.code == code)
        .map(|f| f.severity)
}

#[test]
fn a_planned_dose_within_limits_is_clean() {
    let v = S::base().run();
    assert!(v.findings.is_empty(), "{:?}", v.codes());
}

#[test]
fn limit_per_dose() {
    let mut s = S::base();
    s.dose = new_dose(25.0, ts(AT));
    assert_eq!(sev(&s.run(), "limit_per_dose"), None);
    s.dose = new_dose(25.25, ts(AT));
    assert_eq!(sev(&s.run(), "limit_per_dose"), Some(Severity::Refuse));
}

#[test]
fn limit_per_day_counts_the_local_day() {
    let s = S::base()
        .limits(|l| l.min_interval_hours = None)
        .past(12.5, 6.0);
    assert_eq!(
        sev(&s.run(), "limit_per_day"),
        None,
        "12.5 + 12.5 = 25 is at the limit"
    );
    let mut s = s;
    s.dose = new_dose(13.0, ts(AT));
    assert_eq!(sev(&s.run(), "limit_per_day"), Some(Severity::Refuse));
    // 23:30 the evening before (local) is another day, even though it is 8.5 h earlier.
    let mut s = S::base()
        .limits(|l| l.min_interval_hours = None)
        .past(12.5, 8.5);
    s.dose = new_dose(13.0, ts(AT));
    assert_eq!(sev(&s.run(), "limit_per_day"), None);
}

#[test]
fn limit_over_rolling_7_days_with_its_edge() {
    let s = S::base()
        .past(12.5, 72.0)
        .past(12.5, 144.0)
        .past(12.5, 167.9);
    assert_eq!(
        sev(&s.run(), "limit_7_days"),
        None,
        "37.5 + 12.5 = 50 is at the limit"
    );
    let s = s.past(0.5, 120.0);
    assert_eq!(sev(&s.run(), "limit_7_days"), Some(Severity::Refuse));
    // A dose exactly 7 days before no longer counts.
    let s = S::base()
        .past(12.5, 72.0)
        .past(12.5, 144.0)
        .past(12.5, 168.0)
        .past(12.5, 100.0);
    assert_eq!(sev(&s.run(), "limit_7_days"), None, "{:?}", s.run().codes());
}

#[test]
fn minimum_interval_both_sides() {
    assert_eq!(sev(&S::base().past(12.5, 48.0).run(), "min_interval"), None);
    assert_eq!(
        sev(&S::base().past(12.5, 47.9).run(), "min_interval"),
        Some(Severity::Refuse)
    );
    // A dose logged later but timed after this one counts too.
    assert_eq!(
        sev(&S::base().past(12.5, -1.0).run(), "min_interval"),
        Some(Severity::Refuse)
    );
}

#[test]
fn off_plan_transition_break_pause_extra_and_repeat() {
    let mut s = S::base();
    s.dose = new_dose(12.5, shift(AT, 24.0));
    assert_eq!(
        sev(&s.run(), "off_plan"),
        Some(Severity::Warning),
        "the day after a dose day"
    );
    let mut p = S::base();
    if let Some(x) = p.protocol.as_mut() {
        x.protocol.cycle = Some(Cycle {
            on_days: 21,
            break_days: 14,
        });
    }
    assert_eq!(
        sev(&p.run(), "break_day"),
        Some(Severity::Warning),
        "day 27 is in the break"
    );
    let mut p = S::base();
    if let Some(x) = p.protocol.as_mut() {
        x.status = Status::Paused;
        x.pauses.push(Pause {
            from: d("2026-11-20"),
            to: None,
        });
    }
    assert_eq!(sev(&p.run(), "paused"), Some(Severity::Warning));
    let s = S::base().limits(|l| {
        l.min_interval_hours = None;
        l.max_per_day_mg = None;
    });
    assert_eq!(
        sev(&s.past(12.5, 1.0).run(), "extra_dose"),
        Some(Severity::Warning)
    );
    // Two off-plan doses in the last 14 days plus this one: refused.
    let mut s = S::base()
        .limits(|l| l.max_per_7_days_mg = None)
        .past(12.5, 24.0 * 5.0 - 24.0)
        .past(12.5, 24.0 * 8.0 - 24.0);
    s.dose = new_dose(12.5, shift(AT, 24.0));
    let v = s.run();
    assert_eq!(
        sev(&v, "repeated_off_plan"),
        Some(Severity::Refuse),
        "{:?}",
        v.codes()
    );
    // One earlier off-plan dose: still a warning.
    let mut s = S::base().past(12.5, 24.0 * 5.0 - 24.0);
    s.dose = new_dose(12.5, shift(AT, 24.0));
    assert_eq!(sev(&s.run(), "off_plan"), Some(Severity::Warning));
    assert_eq!(sev(&s.run(), "repeated_off_plan"), None);
}

#[test]
fn early_dose_on_a_planned_day() {
    let mut s = S::base();
    s.dose = new_dose(12.5, shift(AT, -3.0));
    assert_eq!(sev(&s.run(), "early"), None);
    s.dose = new_dose(12.5, shift(AT, -3.1));
    assert_eq!(sev(&s.run(), "early"), Some(Severity::Warning));
}

#[test]
fn unit_plausibility_against_history_and_protocol() {
    let mut s = S::base().limits(|l| *l = Limits::default());
    if let Some(p) = s.protocol.as_mut() {
        p.protocol.dose.mg = None;
    }
    for i in 0..10 {
        s = s.past(12.5, 72.0 * f64::from(i + 1));
    }
    s.dose = new_dose(37.5, ts(AT));
    assert_eq!(sev(&s.run(), "unit_plausibility"), None, "3× is the edge");
    s.dose = new_dose(38.0, ts(AT));
    assert_eq!(sev(&s.run(), "unit_plausibility"), Some(Severity::Refuse));
    // Fewer than 3 past doses: the protocol dose is the yardstick.
    let mut s = S::base()
        .limits(|l| *l = Limits::default())
        .past(12.5, 72.0);
    s.dose = new_dose(37.5, ts(AT));
    assert_eq!(sev(&s.run(), "unit_plausibility"), None);
    s.dose = new_dose(125.0, ts(AT));
    let v = s.run();
    assert_eq!(sev(&v, "unit_plausibility"), Some(Severity::Refuse));
    // What to do is to check the amount; no finding suggests overriding.
    assert!(
        v.findings[0]
            .action
            .contains("Check the amount and its unit")
    );
    assert!(
        v.findings
            .iter()
            .all(|f| !f.action.to_lowercase().contains("override")),
        "{:?}",
        v.findings
    );
}

/// What to do is worded for every surface: no command, flag or page in the text; the follow-up
/// Dosewise can record comes as a structured step that each surface words (a command, a link).
#[test]
fn actions_name_no_surface_and_follow_ups_are_steps() {
    let mut no_plan = S::base();
    no_plan.protocol = None;
    let mut bp = S::base();
    if let Some(p) = bp.protocol.as_mut() {
        p.protocol.require_bp = true;
    }
    let cases = [
        (no_plan.run(), "no_protocol", Some(Step::SetProtocol)),
        (bp.run(), "bp_missing", Some(Step::RecordVitals)),
        (
            S::base()
                .checkin(48.0, |c| c.urinary = vec![UrinarySymptom::Blood])
                .run(),
            "urine_blood",
            Some(Step::ClearUrinary),
        ),
        (
            S::base()
                .checkin(48.0, |c| c.urinary = vec![UrinarySymptom::Frequency])
                .run(),
            "urinary_symptoms",
            Some(Step::ClearUrinary),
        ),
        (
            S::base().screened("aneurysm", 240.0).run(),
            "screen:aneurysm",
            Some(Step::ClearScreen),
        ),
        (
            S::base().screened("pregnancy", 240.0).run(),
            "screen:pregnancy",
            Some(Step::ClearScreen),
        ),
        (
            S::base().used("Beer", 2.0).run(),
            "interaction:alcohol",
            None,
        ),
    ];
    for (v, code, step) in cases {
        assert_eq!(found(&v, code).step, step, "{code}");
        for f in &v.findings {
            for bad in ["`", "--", "dosewise ", "web page", "terminal"] {
                assert!(
                    !f.action.contains(bad),
                    "{}: {:?} names a surface",
                    f.code,
                    f.action
                );
            }
        }
    }
    let f = crate::safety::supply_finding("Troche 25", 2.0, "troches")
        .unwrap_or_else(|| panic!("a shortfall is a finding"));
    assert_eq!(f.step, Some(Step::LogMissedDose));
    assert!(!f.action.contains('`'));
}

#[test]
fn interactions_windows_aliases_routes_and_clinician_awareness() {
    assert_eq!(
        sev(&S::base().used("Beer", 11.9).run(), "interaction:alcohol"),
        Some(Severity::Refuse)
    );
    assert_eq!(
        sev(&S::base().used("wine", 12.0).run(), "interaction:alcohol"),
        Some(Severity::Refuse),
        "the window edge counts"
    );
    assert_eq!(
        sev(&S::base().used("wine", 12.1).run(), "interaction:alcohol"),
        None
    );
    assert_eq!(
        sev(&S::base().used("GHB", 20.0).run(), "interaction:ghb"),
        Some(Severity::Refuse)
    );
    assert_eq!(
        sev(
            &S::base().used("tramadol", 23.0).run(),
            "interaction:tramadol"
        ),
        Some(Severity::Refuse)
    );
    // Sedating antihistamines are a warning (additive sedation), like the other sedatives.
    assert_eq!(
        sev(
            &S::base().used("Benadryl", 2.0).run(),
            "interaction:sedating_antihistamines"
        ),
        Some(Severity::Warning)
    );
    assert_eq!(
        sev(
            &S::base().used("Benadryl", 12.1).run(),
            "interaction:sedating_antihistamines"
        ),
        None
    );
    // Non-alcoholic drinks and look-alike names are not alcohol.
    for name in [
        "alcohol-free beer",
        "cider vinegar",
        "beer 0.0",
        "rum raisin",
    ] {
        assert_eq!(
            sev(&S::base().used(name, 1.0).run(), "interaction:alcohol"),
            None,
            "{name}"
        );
    }
    assert_eq!(
        sev(
            &S::base().used("coke zero", 1.0).run(),
            "interaction:cocaine"
        ),
        None
    );
    assert_eq!(
        sev(
            &S::base().med("Xanax", false).run(),
            "interaction:benzodiazepines"
        ),
        Some(Severity::Warning)
    );
    assert_eq!(
        sev(
            &S::base().med("oxycodone", false).run(),
            "interaction:opioids"
        ),
        Some(Severity::Refuse)
    );
    let v = S::base().med("oxycodone", true).run();
    assert_eq!(sev(&v, "interaction:opioids"), Some(Severity::Warning));
    assert!(
        v.findings
            .iter()
            .any(|f| f.message.contains("known to and planned for"))
    );
    assert_eq!(
        sev(
            &S::base().med("clarithromycin", false).run(),
            "interaction:clarithromycin"
        ),
        Some(Severity::Warning)
    );
    let mut nasal = S::base().med("clarithromycin", false);
    nasal.dose.route = Route::Intranasal;
    assert_eq!(sev(&nasal.run(), "interaction:clarithromycin"), None);
    assert_eq!(
        sev(
            &S::base().med("Frobnizol", false).run(),
            "interaction_unknown:frobnizol"
        ),
        Some(Severity::Info)
    );
    // Two entries for the same interaction: the stricter one is kept, once.
    let v = S::base()
        .med("diazepam", false)
        .used("alprazolam", 3.0)
        .run();
    assert_eq!(
        v.findings
            .iter()
            .filter(|f| f.code == "interaction:benzodiazepines")
            .count(),
        1
    );
    // Sources are listed with their confidence.
    let v = S::base().used("vodka", 1.0).run();
    let f = found(&v, "interaction:alcohol");
    assert!(
        f.sources.iter().any(|s| s.contains("TripSit"))
            && f.sources.iter().any(|s| s.contains("SPRAVATO"))
    );
}

#[test]
fn urinary_red_flags_until_cleared() {
    let s = S::base().checkin(48.0, |c| c.urinary = vec![UrinarySymptom::Frequency]);
    assert_eq!(sev(&s.run(), "urinary_symptoms"), Some(Severity::Warning));
    let s = S::base().checkin(48.0, |c| c.urinary = vec![UrinarySymptom::Blood]);
    assert_eq!(sev(&s.run(), "urine_blood"), Some(Severity::Refuse));
    let mut s = s;
    s.clearances.push(Clearance {
        id: 1,
        at: shift(AT, -24.0),
        topic: ClearanceTopic::Urinary,
        note: None,
    });
    assert_eq!(
        sev(&s.run(), "urine_blood"),
        None,
        "cleared after the check-in"
    );
    let s = S::base().checkin(24.0 * 91.0, |c| c.urinary = vec![UrinarySymptom::Urgency]);
    assert_eq!(
        sev(&s.run(), "urinary_symptoms"),
        None,
        "older than 90 days"
    );
}

fn assessed(mut s: S, id: &str, answers: &[i64], hours_before: f64) -> S {
    let a = crate::questionnaire::assess(id, answers, shift(AT, -hours_before), "UTC", None)
        .unwrap_or_else(|e| panic!("{e}"));
    s.assessments.push(crate::questionnaire::Assessment {
        id: s.assessments.len() as i64 + 1,
        assessment: a,
        created_at: shift(AT, -hours_before),
    });
    s
}

#[test]
fn questionnaires_feed_the_red_flags() {
    let s = assessed(S::base(), "phq9", &[0, 0, 0, 0, 0, 0, 0, 0, 1], 24.0);
    assert_eq!(sev(&s.run(), "self_harm_thoughts"), Some(Severity::Warning));
    // A later PHQ-9 with item 9 at 0 replaces it.
    let s = assessed(s, "phq9", &[1, 1, 0, 0, 0, 0, 0, 0, 0], 2.0);
    assert_eq!(sev(&s.run(), "self_harm_thoughts"), None);
    assert_eq!(
        sev(
            &assessed(S::base(), "bladder", &[1, 0, 0, 0, 0], 24.0).run(),
            "urinary_symptoms"
        ),
        Some(Severity::Warning)
    );
    assert_eq!(
        sev(
            &assessed(S::base(), "bladder", &[0, 0, 0, 1, 0], 24.0).run(),
            "urine_blood"
        ),
        Some(Severity::Refuse)
    );
    assert!(
        assessed(S::base(), "bladder", &[0, 0, 0, 0, 0], 24.0)
            .run()
            .findings
            .is_empty()
    );
}

#[test]
fn dependence_signals() {
    assert_eq!(
        sev(
            &S::base()
                .checkin(24.0, |c| c.craving = Rating::new(6).ok())
                .run(),
            "craving"
        ),
        None
    );
    assert_eq!(
        sev(
            &S::base()
                .checkin(24.0, |c| c.craving = Rating::new(7).ok())
                .run(),
            "craving"
        ),
        Some(Severity::Warning)
    );
    assert_eq!(
        sev(
            &S::base()
                .checkin(24.0 * 8.0, |c| c.craving = Rating::new(9).ok())
                .run(),
            "craving"
        ),
        None
    );
    assert_eq!(
        sev(
            &S::base()
                .checkin(24.0, |c| c.tags = vec!["to-cope".into()])
                .run(),
            "coping"
        ),
        Some(Severity::Warning)
    );
    let mut s = S::base();
    s.dose.note = Some("Taking it to numb the day".into());
    assert_eq!(sev(&s.run(), "coping"), Some(Severity::Warning));
    let _ = Ratings::default();
}

#[test]
fn off_plan_frequency_rising() {
    // Off days: two in the last 14 days, none in the 14 before.
    let s = S::base()
        .limits(|l| *l = Limits::default())
        .past(12.5, 24.0 * 2.0)
        .past(12.5, 24.0 * 5.0);
    assert_eq!(sev(&s.run(), "off_plan_rising"), Some(Severity::Warning));
    let s = S::base()
        .limits(|l| *l = Limits::default())
        .past(12.5, 24.0 * 2.0)
        .past(12.5, 24.0 * 20.0)
        .past(12.5, 24.0 * 23.0);
    assert_eq!(
        sev(&s.run(), "off_plan_rising"),
        None,
        "one recent off-plan dose, two before"
    );
}

/// Blood pressure: two tiers, both sourced, both numbers. Warn above 140/90 (label); refuse
/// from 160 systolic or 100 diastolic (ESC/ESH grade 2). Each edge from both sides.
#[test]
fn vital_signs_thresholds_and_window() {
    let bp = |sys: u16, dia: u16| {
        let v = S::base().bp(sys, dia, None, 30.0).run();
        (sev(&v, "bp_elevated"), sev(&v, "bp_high"))
    };
    let w = Some(Severity::Warning);
    let r = Some(Severity::Refuse);
    for (sys, dia, want) in [
        (140, 90, (None, None)),
        (141, 90, (w, None)),
        (140, 91, (w, None)),
        (148, 94, (w, None)),
        (150, 91, (w, None)),
        (159, 99, (w, None)),
        (160, 99, (None, r)),
        (159, 100, (None, r)),
        (161, 85, (None, r)),
        (135, 101, (None, r)),
    ] {
        assert_eq!(bp(sys, dia), want, "{sys}/{dia}");
    }
    // The refusal cites the guideline it rests on, not only sources without the number.
    let v = S::base().bp(165, 95, None, 30.0).run();
    let f = found(&v, "bp_high");
    assert!(
        f.sources
            .iter()
            .any(|s| s.contains("ESC/ESH") && s.contains("160-179"))
    );
    assert!(
        S::base()
            .bp(140, 90, Some(100), 30.0)
            .run()
            .findings
            .is_empty()
    );
    assert_eq!(
        sev(&S::base().bp(120, 80, Some(101), 30.0).run(), "hr_high"),
        Some(Severity::Refuse)
    );
    assert_eq!(
        sev(&S::base().bp(170, 95, Some(120), 121.0).run(), "bp_high"),
        None,
        "older than 2 h"
    );
    let mut s = S::base();
    if let Some(p) = s.protocol.as_mut() {
        p.protocol.require_bp = true;
    }
    assert_eq!(sev(&s.run(), "bp_missing"), Some(Severity::Warning));
    assert_eq!(sev(&s.bp(120, 80, None, 119.0).run(), "bp_missing"), None);
}

/// A clinician can set other tiers for a protocol; the check uses them and says so.
#[test]
fn blood_pressure_tiers_per_protocol() {
    use crate::vitals::BpLimit;
    let tight = |s: S| {
        s.limits(|l| {
            l.bp_warn_above = Some(BpLimit {
                systolic: 130,
                diastolic: 85,
            });
            l.bp_refuse_from = Some(BpLimit {
                systolic: 150,
                diastolic: 95,
            });
        })
    };
    let v = tight(S::base().bp(150, 80, None, 30.0)).run();
    assert_eq!(sev(&v, "bp_high"), Some(Severity::Refuse));
    assert!(
        v.findings[0]
            .sources
            .iter()
            .any(|s| s.contains("your protocol"))
    );
    assert_eq!(
        sev(
            &tight(S::base().bp(149, 94, None, 30.0)).run(),
            "bp_elevated"
        ),
        Some(Severity::Warning)
    );
    assert!(
        tight(S::base().bp(130, 85, None, 30.0))
            .run()
            .findings
            .is_empty()
    );
    // Without its own tiers, the protocol uses the defaults: 150/80 only warns.
    assert_eq!(
        sev(&S::base().bp(150, 80, None, 30.0).run(), "bp_elevated"),
        Some(Severity::Warning)
    );
}

/// A reading taken after the dose time never judges that dose: the label expects a high
/// reading about 40 minutes after a dose.
#[test]
fn readings_after_the_dose_do_not_judge_it() {
    // A 40-minute post-dose reading of 175/105 and a dose logged an hour after it was taken.
    let s = S::base().bp(175, 105, None, -40.0).checked_later(60.0);
    let v = s.run();
    assert_eq!(sev(&v, "bp_high"), None, "{:?}", v.codes());
    // The same reading 40 minutes before the dose refuses it.
    assert_eq!(
        sev(&S::base().bp(175, 105, None, 40.0).run(), "bp_high"),
        Some(Severity::Refuse)
    );
    // At the dose's own minute it still counts.
    assert_eq!(
        sev(&S::base().bp(175, 105, None, 0.0).run(), "bp_high"),
        Some(Severity::Refuse)
    );
}

/// A dose already taken (more than 30 minutes ago) is recorded with its findings; a dose about
/// to be taken is refused.
#[test]
fn a_dose_already_taken_is_recorded_not_refused() {
    let s = S::base().limits(|l| l.max_per_dose_mg = Some(10.0));
    let now = s.run();
    assert!(now.refused() && !now.after_the_fact);
    let v = S::base()
        .limits(|l| l.max_per_dose_mg = Some(10.0))
        .checked_later(31.0)
        .run();
    assert!(v.after_the_fact && !v.refused() && v.would_refuse());
    assert!(v.recorded_despite_refusal());
    assert_eq!(sev(&v, "limit_per_dose"), Some(Severity::Refuse));
    // 30 minutes is still "about to be taken".
    let v = S::base()
        .limits(|l| l.max_per_dose_mg = Some(10.0))
        .checked_later(30.0)
        .run();
    assert!(v.refused() && !v.after_the_fact);
}
/// A dose the person says is already taken, a minute after it: recorded as taken, with the
/// refusal it would have met and a note saying why; the note is added once, and a dose already
/// recorded after the fact gains no note.
#[test]
fn a_dose_said_to_be_taken_is_recorded_with_a_note() {
    let v = S::base()
        .limits(|l| l.max_per_dose_mg = Some(10.0))
        .checked_later(1.0)
        .run();
    assert!(v.refused());
    let taken = v.clone().already_taken();
    assert!(!taken.refused() && taken.recorded_despite_refusal());
    assert_eq!(sev(&taken, ALREADY_TAKEN), Some(Severity::Info));
    assert_eq!(sev(&taken, "limit_per_dose"), Some(Severity::Refuse));
    assert!(found(&taken, ALREADY_TAKEN).sources[0].starts_with("Dosewise design choice (D)"));
    let twice = taken.clone().already_taken();
    assert_eq!(twice.findings.len(), taken.findings.len());
    let late = S::base()
        .limits(|l| l.max_per_dose_mg = Some(10.0))
        .checked_later(31.0)
        .run();
    assert_eq!(late.clone().already_taken(), late);
    // Stored, the note marks it as recorded after the fact though it was written a minute on.
    let mut d = new_dose(12.5, ts(AT));
    d.findings = taken.findings.clone();
    let stored = Dose {
        id: 1,
        dose: d,
        created_at: shift(AT, 1.0 / 60.0),
        updated_at: None,
        deleted_at: None,
    };
    assert!(stored.recorded_after_the_fact());
    let mut plain = stored.clone();
    plain.dose.findings = v.findings.clone();
    assert!(
        !plain.recorded_after_the_fact(),
        "a minute late is not after the fact"
    );
}

/// An override needs a reason that says something: "ok", one long word or a few letters are
/// refused with a message that says what would do.
#[test]
fn an_override_reason_must_say_something() {
    for bad in [
        "ok",
        "  ",
        "agreed",
        "aaaaaaaaaaaaaaa",
        "ok ok",
        "- - - - - - - -",
    ] {
        let e = override_reason_ok(bad).expect_err(bad);
        assert!(
            e.contains("at least 2 words") && e.contains("who agreed"),
            "{e}"
        );
    }
    for good in [
        "agreed with Dr K",
        "new dose agreed with Dr K",
        "benchmark run",
    ] {
        assert_eq!(override_reason_ok(good), Ok(()), "{good}");
    }
}

#[test]
fn long_stretch_without_a_break() {
    let mut s = S::base().limits(|l| *l = Limits::default());
    for i in 1..=18 {
        s = s.past(12.5, 72.0 * f64::from(i));
    }
    assert_eq!(
        sev(&s.run(), "long_stretch"),
        None,
        "54 days of dosing is within 56"
    );
    let s = s.past(12.5, 72.0 * 19.0);
    let v = s.run();
    assert_eq!(sev(&v, "long_stretch"), Some(Severity::Caution));
    // It prompts a review and claims nothing about breaks limiting tolerance.
    let f = found(&v, "long_stretch");
    assert!(!f.reason.contains("common practice") && !f.reason.contains("limit tolerance"));
    assert!(
        f.sources
            .iter()
            .any(|s| s.starts_with("Dosewise design choice (D)"))
    );
    assert!(!f.sources.iter().any(|s| s.contains("Fadiman")));
    // A 14-day gap resets the stretch.
    let mut s = S::base().limits(|l| *l = Limits::default());
    for i in 1..=5 {
        s = s.past(12.5, 72.0 * f64::from(i));
    }
    for i in 0..10 {
        s = s.past(12.5, 24.0 * (15.0 + 14.0) + 72.0 * f64::from(i));
    }
    assert_eq!(sev(&s.run(), "long_stretch"), None);
}

#[test]
fn contraindication_screen_until_reviewed() {
    let s = S::base()
        .screened("aneurysm", 240.0)
        .screened("psychosis", 240.0)
        .screened("pregnancy", 240.0)
        .screened("high_blood_pressure", 240.0);
    let v = s.run();
    // Label contraindications refuse until a clinician's clearance; pregnancy and uncontrolled
    // blood pressure warn; precautions are cautions.
    assert_eq!(sev(&v, "screen:aneurysm"), Some(Severity::Refuse));
    assert_eq!(sev(&v, "screen:pregnancy"), Some(Severity::Warning));
    assert_eq!(
        sev(&v, "screen:high_blood_pressure"),
        Some(Severity::Warning)
    );
    assert_eq!(sev(&v, "screen:psychosis"), Some(Severity::Caution));
    assert!(v.refused());
    let s = s.cleared(ClearanceTopic::Screen, 1.0);
    assert!(s.run().findings.is_empty());
    for c in ["brain_bleed", "recent_heart_event", "allergy"] {
        assert_eq!(
            sev(&S::base().screened(c, 48.0).run(), &format!("screen:{c}")),
            Some(Severity::Refuse),
            "{c}"
        );
    }
}

/// A clearance covers the answers that existed when it was given: a condition added later is
/// a finding again until cleared again.
#[test]
fn screen_clearance_is_dated() {
    let s = S::base()
        .screened("mania", 24.0 * 30.0)
        .cleared(ClearanceTopic::Screen, 24.0 * 20.0)
        .screened("pregnancy", 24.0 * 2.0);
    let v = s.run();
    assert_eq!(
        sev(&v, "screen:mania"),
        None,
        "cleared after it was answered"
    );
    assert_eq!(
        sev(&v, "screen:pregnancy"),
        Some(Severity::Warning),
        "added after the clearance"
    );
    let s = s.cleared(ClearanceTopic::Screen, 1.0);
    assert_eq!(sev(&s.run(), "screen:pregnancy"), None, "cleared again");
    // An answer of unknown date is never covered by an old clearance.
    let mut s = S::base().cleared(ClearanceTopic::Screen, 1.0);
    s.screen.push(crate::screen::ScreenAnswer {
        code: "lungs".into(),
        since: None,
    });
    assert_eq!(sev(&s.run(), "screen:lungs"), Some(Severity::Caution));
    // A clearance given at the very moment of the answer covers it.
    let s = S::base()
        .screened("thyroid", 24.0)
        .cleared(ClearanceTopic::Screen, 24.0);
    assert_eq!(sev(&s.run(), "screen:thyroid"), None);
}

/// Words in a check-in that read as self-harm bring the same crisis guidance as PHQ-9 item 9,
/// with the person's own crisis line first.
#[test]
fn self_harm_words_in_a_checkin_bring_crisis_guidance() {
    let mut s = S::base().checkin(24.0, |c| {
        c.note = Some("I keep thinking I want to die".into())
    });
    s.crisis_line = Some("988".into());
    let v = s.run();
    let f = found(&v, "self_harm_thoughts");
    assert_eq!(f.severity, Severity::Warning, "guidance, not a refusal");
    assert!(
        f.action.starts_with("Your crisis line: 988."),
        "{}",
        f.action
    );
    assert!(f.action.contains("findahelpline.com"));
    let tagged = S::base().checkin(24.0, |c| c.tags = vec!["self-harm".into()]);
    assert_eq!(
        sev(&tagged.run(), "self_harm_thoughts"),
        Some(Severity::Warning)
    );
    // Older than 7 days, or ordinary words: nothing.
    let old = S::base().checkin(24.0 * 8.0, |c| c.note = Some("suicidal".into()));
    assert_eq!(sev(&old.run(), "self_harm_thoughts"), None);
    let plain = S::base().checkin(24.0, |c| c.note = Some("dead tired, hurt my knee".into()));
    assert_eq!(sev(&plain.run(), "self_harm_thoughts"), None);
}

/// Dosewise's own thresholds cite themselves (D), never an H source that has no such number.
#[test]
fn own_thresholds_are_cited_as_design_choices() {
    let v = S::base().past(5.0, 72.0).past(5.0, 144.0).past(5.0, 216.0);
    let mut v = v;
    v.dose = new_dose(20.0, ts(AT));
    let v = v.run();
    let f = found(&v, "unit_plausibility");
    assert!(f.sources[0].starts_with("Dosewise design choice (D): a dose more than 3x"));
    assert!(
        f.sources
            .iter()
            .skip(1)
            .all(|s| s.starts_with("leans on: "))
    );
    let v = S::base()
        .checkin(24.0, |c| c.craving = Rating::new(8).ok())
        .run();
    let f = found(&v, "craving");
    assert!(f.sources[0].contains("(D)"));
    let v = S::base().used("beer", 3.0).run();
    let f = found(&v, "interaction:alcohol");
    assert!(
        f.sources
            .iter()
            .any(|s| s.starts_with("Dosewise design choice (D): a logged use counts"))
    );
}

#[test]
fn no_protocol_and_as_needed() {
    let mut s = S::base();
    s.protocol = None;
    assert_eq!(sev(&s.run(), "no_protocol"), Some(Severity::Info));
    let mut s = S::base();
    s.protocol = Some(crate::schedule::tests::protocol(
        Pattern::AsNeeded {
            min_interval_hours: 72,
            weekly_cap: 2,
        },
        d(DAY0),
        None,
    ));
    assert!(s.run().findings.is_empty());
    assert_eq!(
        sev(&s.past(12.5, 71.0).run(), "min_interval"),
        Some(Severity::Refuse)
    );
    let s = S::base();
    let mut s2 = S {
        protocol: Some(crate::schedule::tests::protocol(
            Pattern::AsNeeded {
                min_interval_hours: 24,
                weekly_cap: 2,
            },
            d(DAY0),
            None,
        )),
        ..s
    };
    s2 = s2.past(12.5, 30.0).past(12.5, 100.0);
    assert_eq!(sev(&s2.run(), "weekly_cap"), Some(Severity::Refuse));
}

#[test]
fn findings_are_sorted_most_severe_first_and_refusal_is_reported() {
    let v = S::base()
        .used("beer", 1.0)
        .checkin(10.0, |c| c.craving = Rating::new(8).ok())
        .run();
    assert!(v.refused());
    assert_eq!(v.worst(), Some(Severity::Refuse));
    assert_eq!(v.findings[0].severity, Severity::Refuse);
    assert!(
        v.findings
            .iter()
            .all(|f| !f.message.is_empty() && !f.reason.is_empty() && !f.action.is_empty())
    );
}

proptest! {
    /// Adding history never turns a refusal for a broken limit into an allow.
    #[test]
    fn more_history_never_lifts_a_limit_refusal(
        which in 0usize..4,
        extra in prop::collection::vec((0.5f64..40.0, -200.0f64..400.0), 0..12),
    ) {
        let mut s = S::base();
        match which {
            0 => s.dose = new_dose(30.0, ts(AT)),
            1 => s = s.limits(|l| l.min_interval_hours = None).past(20.0, 2.0),
            2 => s = s.past(20.0, 60.0).past(20.0, 120.0),
            _ => s = s.past(5.0, 10.0),
        }
        let codes = ["limit_per_dose", "limit_per_day", "limit_7_days", "min_interval"];
        let before = s.run();
        let broken: Vec<&str> = codes.iter().copied().filter(|c| sev(&before, c) == Some(Severity::Refuse)).collect();
        prop_assert!(!broken.is_empty(), "scenario {which} must start refused: {:?}", before.codes());
        for (mg, h) in extra {
            s = s.past(mg, h);
        }
        let after = s.run();
        prop_assert!(after.refused());
        for c in broken {
            prop_assert_eq!(sev(&after, c), Some(Severity::Refuse), "{} lifted", c);
        }
    }
}

/// `docs/safety.md` has a row for every finding code the check can raise, and mentions the
/// self-harm rule and that the bladder questions feed the urinary rule.
#[test]
fn the_safety_doc_lists_every_rule() {
    let doc = include_str!("../../../docs/safety.md");
    for code in [
        "limit_per_dose",
        "limit_per_day",
        "limit_7_days",
        "min_interval",
        "weekly_cap",
        "off_plan",
        "break_day",
        "paused",
        "extra_dose",
        "early",
        "repeated_off_plan",
        "unit_plausibility",
        "interaction:<id>",
        "interaction_unknown:<name>",
        "urine_blood",
        "urinary_symptoms",
        "self_harm_thoughts",
        "craving",
        "coping",
        "off_plan_rising",
        "bp_high",
        "bp_elevated",
        "hr_high",
        "bp_missing",
        "long_stretch",
        "screen:<code>",
        "supply_shortfall",
        "tolerance_signal",
        "frequency_creep",
        "no_protocol",
    ] {
        assert!(
            doc.contains(&format!("| `{code}`"))
                || doc.contains(&format!("`{code}` /"))
                || doc.contains(&format!("/ `{code}`")),
            "{code}"
        );
    }
    assert!(doc.contains("bladder questions feed this rule"));
    for rule in crate::rules::all() {
        assert!(
            doc.contains(&format!("D `{}`", rule.id))
                || rule.id == "max_single_dose"
                || rule.id == "after_the_fact",
            "{}",
            rule.id
        );
    }
    let sources = include_str!("../../../docs/data-sources.md");
    for file in [
        "substances",
        "interactions",
        "screen",
        "risks",
        "instruments",
        "rules",
    ] {
        assert!(
            sources.contains(&format!("`crates/core/data/{file}.json`")),
            "{file}"
        );
    }
    assert!(sources.contains("CC BY-SA 4.0") && sources.contains("https://psychonautwiki.org"));
}

/// The clinician's prescription is enforced like the protocol's limits, each finding citing who
/// set it; it refuses on its own (no protocol at all), above its ceiling, and without the blood
/// pressure it requires; its blood-pressure thresholds apply where stricter.
#[test]
fn the_clinicians_prescription_is_enforced_and_cited() {
    let rx = crate::prescription::Prescription {
        limits: Limits {
            max_per_dose_mg: Some(10.0),
            min_interval_hours: Some(72.0),
            bp_refuse_from: Some(crate::vitals::BpLimit {
                systolic: 150,
                diastolic: 95,
            }),
            bp_warn_above: Some(crate::vitals::BpLimit {
                systolic: 135,
                diastolic: 85,
            }),
            ..Limits::default()
        },
        ceiling_mg: Some(11.0),
        require_bp: true,
        note: None,
        set_by: "Dr K".into(),
        clinic: "North Clinic".into(),
        set_at: ts("2026-11-30T10:00:00Z"),
    };
    let mut s = S::base();
    s.protocol = None;
    s.prescription = Some(rx.clone());
    let v = s.run();
    assert!(v.refused());
    for code in ["rx_limit_per_dose", "rx_ceiling", "rx_bp_missing"] {
        let f = found(&v, code);
        assert_eq!(f.severity, Severity::Refuse, "{code}");
        assert!(
            f.sources[0].contains("Prescription set by Dr K (North Clinic) on 2026-11-30"),
            "{code}: {:?}",
            f.sources
        );
    }
    assert!(
        found(&v, "rx_limit_per_dose")
            .message
            .contains("your clinician's per-dose limit of 10 mg")
    );
    // Within it, with a reading: nothing from the prescription.
    let mut ok = S::base().bp(128, 80, None, 30.0);
    ok.dose = new_dose(10.0, ts(AT));
    ok.prescription = Some(rx.clone());
    let v = ok.run();
    assert!(
        !v.codes().iter().any(|c| c.starts_with("rx_")),
        "{:?}",
        v.codes()
    );
    // 152/90 is under the default refusal but at the clinician's: refused, citing them.
    let mut high = S::base().bp(152, 90, None, 30.0);
    high.dose = new_dose(10.0, ts(AT));
    high.prescription = Some(rx);
    let f = found(&high.run(), "bp_high").clone();
    assert_eq!(f.severity, Severity::Refuse);
    assert!(
        f.sources
            .iter()
            .any(|s| s.starts_with("Prescription set by Dr K")),
        "{:?}",
        f.sources
    );
}
