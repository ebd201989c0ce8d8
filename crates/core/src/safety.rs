//! The safety engine: `preflight` checks a proposed dose against the protocol's limits, the
//! plan, the person's own history, other substances and medicines, red flags from check-ins,
//! vital signs, the length of the dosing stretch and the contraindication screen — before
//! anything is written. It is pure: the caller gathers the records and passes "now".
//!
//! Each finding has a code, a severity, a plain message, the reason, what to do, and its
//! sources. A `refuse` finding stops a dose about to be taken unless the person overrides it
//! with a reason (which is stored with the dose). A dose already taken — timed more than
//! [`AFTER_THE_FACT`] before now — is recorded whatever the findings, which are stored and shown
//! with it: refusing to record what happened only teaches people to leave doses out.
//!
//! The thresholds are constants below. Those taken from a label, paper or agreement cite it;
//! those Dosewise chose cite themselves as a design choice (D, `data/rules.json`), never a
//! source that contains no such number. `docs/safety.md` lists them all.

use crate::adherence::local_date;
use crate::checkin::{Checkin, UrinarySymptom};
use crate::dose::{Dose, NewDose};
use crate::interaction;
use crate::medication::{Medication, SubstanceUse};
use crate::plausible;
use crate::protocol::{Limits, Pattern, Protocol, Status};
use crate::rules::cite;
use crate::schedule::{DayKind, day_kind, is_planned, slot};
use crate::screen::ScreenAnswer;
use crate::units::fmt_num;
use crate::vitals::{BpLimit, Vitals};
use jiff::tz::TimeZone;
use jiff::{SignedDuration, Timestamp};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Severity {
    Info,
    Caution,
    Warning,
    Refuse,
}

impl Severity {
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Info => "info",
            Severity::Caution => "caution",
            Severity::Warning => "warning",
            Severity::Refuse => "refuse",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Finding {
    pub code: String,
    pub severity: Severity,
    pub message: String,
    pub reason: String,
    /// What to do, in words that fit every surface (no command or page names).
    pub action: String,
    pub sources: Vec<String>,
    /// The follow-up a surface can offer for the action: each words it its own way (the CLI
    /// names its command, the web app links its page).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub step: Option<Step>,
}

/// A follow-up to a finding that Dosewise itself can record.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Step {
    /// Set up a protocol (the plan agreed with a clinician).
    SetProtocol,
    /// Change the protocol (for instance to plan breaks).
    ChangeProtocol,
    /// Record a clinician's review of urinary symptoms.
    ClearUrinary,
    /// Record a clinician's review of health-screen answers.
    ClearScreen,
    /// Record a blood-pressure reading.
    RecordVitals,
    /// Log a dose that was taken but not logged.
    LogMissedDose,
}

impl Step {
    pub fn as_str(self) -> &'static str {
        match self {
            Step::SetProtocol => "set_protocol",
            Step::ChangeProtocol => "change_protocol",
            Step::ClearUrinary => "clear_urinary",
            Step::ClearScreen => "clear_screen",
            Step::RecordVitals => "record_vitals",
            Step::LogMissedDose => "log_missed_dose",
        }
    }
}

impl Finding {
    /// The same finding, offering a follow-up.
    pub fn with_step(mut self, step: Step) -> Finding {
        self.step = Some(step);
        self
    }
}

/// The outcome of a preflight: every finding, most severe first.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Verdict {
    pub findings: Vec<Finding>,
    /// The dose was taken more than [`AFTER_THE_FACT`] before the check: it is recorded whatever
    /// the findings, which then say what would have applied.
    #[serde(default)]
    pub after_the_fact: bool,
}

impl Verdict {
    /// Whether the dose is refused: a refusing finding on a dose about to be taken.
    pub fn refused(&self) -> bool {
        self.would_refuse() && !self.after_the_fact
    }
    /// Whether any finding refuses, whether or not the dose is already taken.
    pub fn would_refuse(&self) -> bool {
        self.findings.iter().any(|f| f.severity == Severity::Refuse)
    }
    /// A dose recorded after the fact that a refusal would have stopped.
    pub fn recorded_despite_refusal(&self) -> bool {
        self.would_refuse() && self.after_the_fact
    }
    /// The verdict on a dose the person says they have already taken, however recently: it is
    /// recorded as it happened (the [`AFTER_THE_FACT`] rule's reasoning), carrying a note that
    /// says so, so the record and the clinician see it was taken before it was checked.
    pub fn already_taken(mut self) -> Verdict {
        if !self.after_the_fact && !self.findings.iter().any(|f| f.code == ALREADY_TAKEN) {
            self.findings.push(with_rule(
                finding(
                    ALREADY_TAKEN,
                    Severity::Info,
                    "You said this dose was already taken when it was checked: it is recorded as it happened.".into(),
                    "A check can only prevent a dose not yet taken; a dose already taken belongs in the record, with what the check would have said before it.",
                    "Nothing to do now but look after yourself; your clinician sees the findings with the dose.",
                    &[],
                ),
                "after_the_fact",
            ));
        }
        self.after_the_fact = true;
        self
    }
    pub fn worst(&self) -> Option<Severity> {
        self.findings.iter().map(|f| f.severity).max()
    }
    pub fn codes(&self) -> Vec<&str> {
        self.findings.iter().map(|f| f.code.as_str()).collect()
    }
    /// The findings that do not depend on the amount or the plan: what every dose would carry
    /// now (interactions, red flags, vital signs, the screen, long use).
    pub fn standing(&self) -> impl Iterator<Item = &Finding> {
        self.findings.iter().filter(|f| is_standing(&f.code))
    }
}

/// The code of the note on a dose recorded because the person said it was already taken.
pub const ALREADY_TAKEN: &str = "already_taken";

/// What an override's reason must hold at least (Dosewise's `override_reason` rule): a reason
/// someone else can read, such as who agreed the dose and when, rather than "ok".
pub const OVERRIDE_REASON_MIN_CHARS: usize = 10;
/// See [`OVERRIDE_REASON_MIN_CHARS`].
pub const OVERRIDE_REASON_MIN_WORDS: usize = 2;

/// Whether a reason to override a refusal says enough; the message says what is missing.
pub fn override_reason_ok(reason: &str) -> Result<(), String> {
    let r = reason.trim();
    let chars = r.chars().filter(|c| !c.is_whitespace()).count();
    let words = r
        .split_whitespace()
        .filter(|w| w.chars().any(char::is_alphanumeric))
        .count();
    if chars < OVERRIDE_REASON_MIN_CHARS || words < OVERRIDE_REASON_MIN_WORDS {
        return Err(format!(
            "a reason to log a refused dose must say why, in at least {OVERRIDE_REASON_MIN_WORDS} words and {OVERRIDE_REASON_MIN_CHARS} letters (for example who agreed it and when: \"agreed with Dr Kim on 30 Nov\"); {r:?} is too short"
        ));
    }
    Ok(())
}

/// What is said with a dose recorded after the fact whose findings include a refusal.
pub const AFTER_THE_FACT_NOTE: &str = "Recorded after the fact: this dose was already taken, so it is recorded as it happened. These checks would have applied before it:";

/// Codes (or code prefixes) of findings that do not depend on the dose's amount or plan.
pub(crate) const STANDING: [&str; 13] = [
    "self_harm_thoughts",
    "interaction",
    "urinary_symptoms",
    "urine_blood",
    "craving",
    "coping",
    "off_plan_rising",
    "bp_high",
    "bp_elevated",
    "hr_high",
    "long_stretch",
    "screen",
    "bp_missing",
];

/// Standing findings that are not red flags: an interaction, long use, a missing reading.
const NOT_RED_FLAGS: [&str; 3] = ["interaction", "long_stretch", "bp_missing"];

pub(crate) fn is_standing(code: &str) -> bool {
    STANDING.iter().any(|c| code.starts_with(c))
}

/// Red flags: the standing findings that block any titration step up (craving, coping,
/// off-plan doses rising, blood pressure and heart rate, self-harm, urinary symptoms, the screen).
pub fn is_red_flag(code: &str) -> bool {
    is_standing(code) && !NOT_RED_FLAGS.iter().any(|c| code.starts_with(c))
}

/// What a clinician has seen and cleared, so a standing red flag stops repeating.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ClearanceTopic {
    /// Urinary symptoms reviewed by a clinician.
    Urinary,
    /// The contraindication screen reviewed by a clinician.
    Screen,
}

impl ClearanceTopic {
    pub fn as_str(self) -> &'static str {
        match self {
            ClearanceTopic::Urinary => "urinary",
            ClearanceTopic::Screen => "screen",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Clearance {
    pub id: i64,
    pub at: Timestamp,
    pub topic: ClearanceTopic,
    pub note: Option<String>,
}

// ---- Thresholds (see docs/safety.md) ----

/// How many recent doses the median uses, and the fewest needed.
pub(crate) const PLAUSIBILITY_LOOKBACK: usize = 10;
pub(crate) const PLAUSIBILITY_MIN_DOSES: usize = 3;
/// A planned-day dose more than this before the planned time is early.
pub(crate) const EARLY: SignedDuration = SignedDuration::from_hours(3);
/// Off-plan doses within this many days (this one included) that turn a warning into a refusal.
pub(crate) const OFF_PLAN_REPEAT: usize = 3;
pub(crate) const OFF_PLAN_WINDOW_DAYS: i64 = 14;
/// Urinary symptoms in check-ins this recent raise a flag until a clinician clearance.
pub(crate) const URINARY_LOOKBACK_DAYS: i64 = 90;
/// Craving at or above this in the last 7 days is a dependence warning.
pub(crate) const CRAVING_HIGH: u8 = 7;
/// Blood pressure and heart rate: readings within this long before the dose count; readings
/// after the dose time never judge it.
pub(crate) const VITALS_WINDOW: SignedDuration = SignedDuration::from_hours(2);
/// Refuse above this heart rate (home-treatment agreement; user_needs reference, M). The blood
/// pressure tiers are in [`crate::vitals`] and can be set per protocol.
pub const HR_REFUSE: u16 = 100;
/// A dosing stretch longer than this without a gap of at least `BREAK_DAYS` prompts a review.
pub(crate) const STRETCH_DAYS: i64 = 56;
pub(crate) const BREAK_DAYS: i64 = 14;
/// A dose timed more than this before now was already taken: recorded, never refused.
pub(crate) const AFTER_THE_FACT: SignedDuration = SignedDuration::from_mins(30);
/// Check-in notes and tags this recent that read as self-harm bring the crisis guidance.
pub(crate) const SELF_HARM_WORDS_DAYS: i64 = 7;

const SRC_PROTOCOL: &str = "Your protocol, as set by you or your clinician";
const SRC_TOLERANCE: &str =
    "SPRAVATO US label section 9.3: tolerance reported with prolonged use of ketamine (H)";
const SRC_ESCALATION: &str =
    "Front Psychiatry 2022;13:1016439: monitor for dose escalation and early refills (H)";
const SRC_DEPENDENCE: &str = "SPRAVATO US label section 9 (abuse and dependence) (H); Winstock AR et al. BJU Int 2012: dependence in 17% of past-year recreational users (H)";
const SRC_BP_LABEL: &str = "SPRAVATO US label section 5.6: weigh delaying treatment when blood pressure is above 140/90 (H)";
const SRC_BP_AGREEMENT: &str = "Home-treatment agreement (Choose Ketamine remote treatment agreement): no dose above 160/90 or heart rate above 100 (M)";
const SRC_BP_GUIDELINE: &str = "2018 ESC/ESH hypertension guidelines (Williams B, Mancia G et al. Eur Heart J 2018;39:3021-3104): grade 2 hypertension is 160-179 systolic or 100-109 diastolic; read in summaries of the guideline (M)";
const SRC_BP_PROTOCOL: &str =
    "Blood-pressure thresholds set in your protocol by you or your clinician";
const SRC_BP_META: &str = "Vankawala J et al. Front Psychiatry 2021;12:549080: mean rise +12.6/+8.5 mmHg after sub-anaesthetic doses (H)";

/// Everything preflight reads. The caller passes recent records (at least the last 60 days of
/// doses and 90 of check-ins), excluding the dose being corrected when editing.
#[derive(Debug, Clone, Copy)]
pub struct Preflight<'a> {
    pub dose: &'a NewDose,
    pub now: Timestamp,
    /// The zone the person is in (local days).
    pub tz: &'a TimeZone,
    pub protocol: Option<&'a Protocol>,
    pub history: &'a [Dose],
    pub checkins: &'a [Checkin],
    pub meds: &'a [Medication],
    pub uses: &'a [SubstanceUse],
    pub vitals: &'a [Vitals],
    pub clearances: &'a [Clearance],
    /// The screen questions answered yes, with when.
    pub screen: &'a [ScreenAnswer],
    /// Recent questionnaires (PHQ-9 item 9; the bladder questions).
    pub assessments: &'a [crate::questionnaire::Assessment],
    /// The crisis line the person set, shown first in crisis guidance.
    pub crisis_line: Option<&'a str>,
    /// How to reach the person's clinician, shown beside the crisis line.
    pub clinician: Option<&'a str>,
    /// What the prescribing clinician set on the clinic server (pulled by sync).
    pub prescription: Option<&'a crate::prescription::Prescription>,
}

fn finding(
    code: &str,
    severity: Severity,
    message: String,
    reason: &str,
    action: &str,
    sources: &[&str],
) -> Finding {
    Finding {
        code: code.into(),
        severity,
        message,
        reason: reason.into(),
        action: action.into(),
        sources: sources.iter().map(|s| s.to_string()).collect(),
        step: None,
    }
}

/// The same finding, citing one of Dosewise's own rules (D) before its other sources.
fn with_rule(mut f: Finding, rule: &str) -> Finding {
    let mut sources = cite(rule);
    sources.append(&mut f.sources);
    f.sources = sources;
    f
}

// What to do about a refusal. None of them suggests overriding: a surface offers that on its
// own terms (a reason, a confirmation), never as advice.
const OVER_LIMIT: &str = "Do not take this dose now. If the limit no longer fits you, talk to your clinician; a change they agree goes into the plan first.";
const OFF_PLAN_AGAIN: &str = "Stay with the plan: do not take this dose now, and talk to your clinician about what is making the extra doses feel needed.";
const CHECK_AMOUNT: &str = "Check the amount and its unit against the label; do not take it until they are right. A planned change of dose goes into the plan first, with your clinician.";

/// Run every rule.
pub fn preflight(p: &Preflight<'_>) -> Verdict {
    let history: Vec<&Dose> = p
        .history
        .iter()
        .filter(|d| d.deleted_at.is_none())
        .collect();
    let mut f = Vec::new();
    limits(p, &history, &mut f);
    plan(p, &history, &mut f);
    plausibility(p, &history, &mut f);
    interactions(p, &mut f);
    red_flags(p, &history, &mut f);
    vitals(p, &mut f);
    stretch(p, &history, &mut f);
    screen(p, &mut f);
    f.sort_by_key(|x| std::cmp::Reverse(x.severity));
    Verdict {
        findings: f,
        after_the_fact: p.now.duration_since(p.dose.at) > AFTER_THE_FACT,
    }
}

/// "35 min", "2.5 h", "3 days".
fn hours(d: SignedDuration) -> String {
    let h = d.as_secs_f64() / 3600.0;
    if h < 1.0 {
        format!("{} min", (h * 60.0).round())
    } else if h < 72.0 {
        format!("{} h", fmt_num((h * 10.0).round() / 10.0))
    } else {
        format!("{} days", fmt_num((h / 24.0 * 10.0).round() / 10.0))
    }
}

fn limits(p: &Preflight<'_>, history: &[&Dose], f: &mut Vec<Finding>) {
    if let Some(proto) = p.protocol.filter(|x| x.status != Status::Ended) {
        let as_needed = match proto.protocol.pattern {
            Pattern::AsNeeded {
                min_interval_hours,
                weekly_cap,
            } => Some((f64::from(min_interval_hours), weekly_cap)),
            _ => None,
        };
        let whose = Whose {
            prefix: "",
            your: "your",
            source: SRC_PROTOCOL.to_string(),
        };
        limits_of(p, &proto.protocol.limits, as_needed, &whose, history, f);
    }
    if let Some(rx) = p.prescription {
        let whose = Whose {
            prefix: "rx_",
            your: "your clinician's",
            source: rx.source(),
        };
        limits_of(p, &rx.limits, None, &whose, history, f);
        if let Some(max) = rx.ceiling_mg.filter(|m| p.dose.dose_mg > m + 1e-9) {
            f.push(Finding {
                sources: vec![whose.source.clone()],
                ..finding(
                    "rx_ceiling",
                    Severity::Refuse,
                    format!(
                        "{} mg is above the ceiling of {} mg your clinician set.",
                        fmt_num(p.dose.dose_mg),
                        fmt_num(max)
                    ),
                    "A titration ceiling is the highest dose agreed with the prescriber; above it, the risks rise without an agreed reason.",
                    OVER_LIMIT,
                    &[],
                )
            });
        }
    }
}

/// Whose limits a check applies: the protocol's, or the clinician's prescription.
struct Whose {
    /// Before each finding's code ("rx_" for the prescription).
    prefix: &'static str,
    your: &'static str,
    source: String,
}

fn limits_of(
    p: &Preflight<'_>,
    l: &Limits,
    as_needed: Option<(f64, u32)>,
    whose: &Whose,
    history: &[&Dose],
    f: &mut Vec<Finding>,
) {
    let d = p.dose;
    let mg = d.dose_mg;
    let day = d.at.to_zoned_datetime(p.tz.clone()).date();
    let why = "Limits from a prescription or a plan are the agreed maximum; exceeding them raises the risks of side effects, bladder damage and dependence.";
    let your = whose.your;
    let mut push = |code: &str, message: String| {
        f.push(Finding {
            sources: vec![whose.source.clone()],
            ..finding(
                &format!("{}{code}", whose.prefix),
                Severity::Refuse,
                message,
                why,
                OVER_LIMIT,
                &[],
            )
        });
    };
    if let Some(max) = l.max_per_dose_mg.filter(|m| mg > m + 1e-9) {
        push(
            "limit_per_dose",
            format!(
                "{} mg is above {your} per-dose limit of {} mg.",
                fmt_num(mg),
                fmt_num(max)
            ),
        );
    }
    if let Some(max) = l.max_per_day_mg {
        let today: f64 = history
            .iter()
            .filter(|h| h.dose.at.to_zoned_datetime(p.tz.clone()).date() == day)
            .map(|h| h.dose.dose_mg)
            .sum();
        if today + mg > max + 1e-9 {
            push(
                "limit_per_day",
                format!(
                    "With this dose, {day} would total {} mg, above {your} daily limit of {} mg ({} mg already).",
                    fmt_num(today + mg),
                    fmt_num(max),
                    fmt_num(today)
                ),
            );
        }
    }
    let week_start =
        d.at.checked_sub(SignedDuration::from_hours(24 * 7))
            .unwrap_or(d.at);
    let in_week: Vec<&&Dose> = history
        .iter()
        .filter(|h| h.dose.at > week_start && h.dose.at <= d.at)
        .collect();
    if let Some(max) = l.max_per_7_days_mg {
        let week: f64 = in_week.iter().map(|h| h.dose.dose_mg).sum();
        if week + mg > max + 1e-9 {
            push(
                "limit_7_days",
                format!(
                    "With this dose, the last 7 days would total {} mg, above {your} limit of {} mg.",
                    fmt_num(week + mg),
                    fmt_num(max)
                ),
            );
        }
    }
    let (min_interval, cap) = match as_needed {
        Some((min_h, cap)) => (
            Some(l.min_interval_hours.unwrap_or(0.0).max(min_h)),
            Some(cap),
        ),
        None => (l.min_interval_hours, None),
    };
    if let Some(min_h) = min_interval {
        let nearest = history
            .iter()
            .map(|h| (d.at.duration_since(h.dose.at)).abs())
            .min();
        if let Some(gap) = nearest.filter(|g| g.as_secs_f64() < min_h * 3600.0) {
            let asks = if whose.prefix.is_empty() {
                "your protocol asks"
            } else {
                "your clinician's prescription asks"
            };
            push(
                "min_interval",
                format!(
                    "Only {} since your nearest other dose; {asks} for at least {} h.",
                    hours(gap),
                    fmt_num(min_h)
                ),
            );
        }
    }
    if let Some(cap) = cap.filter(|c| in_week.len() + 1 > *c as usize) {
        push(
            "weekly_cap",
            format!(
                "This would be dose {} in 7 days; your as-needed plan allows {cap}.",
                in_week.len() + 1
            ),
        );
    }
}

/// Whether a dose (by local date) was off the plan: not a planned day, or an extra one.
fn off_plan_dates(proto: &Protocol, doses: &[&Dose]) -> Vec<Timestamp> {
    let mut seen = std::collections::HashSet::new();
    let mut sorted: Vec<&&Dose> = doses.iter().collect();
    sorted.sort_by_key(|d| d.dose.at);
    let mut out = Vec::new();
    for d in sorted {
        let day = local_date(d);
        if !is_planned(proto, day) || !seen.insert(day) {
            out.push(d.dose.at);
        }
    }
    out
}

fn plan(p: &Preflight<'_>, history: &[&Dose], f: &mut Vec<Finding>) {
    let Some(proto) = p.protocol.filter(|x| x.status != Status::Ended) else {
        f.push(finding(
            "no_protocol",
            Severity::Info,
            "No protocol is set, so no limits or plan are checked.".into(),
            "A plan agreed with a clinician, with limits, is the basis of the checks Dosewise can make.",
            "Set up a protocol with the plan agreed with your clinician.",
            &[],
        )
        .with_step(Step::SetProtocol));
        return;
    };
    if matches!(proto.protocol.pattern, Pattern::AsNeeded { .. }) {
        return;
    }
    let d = p.dose;
    let day = d.at.to_zoned_datetime(p.tz.clone()).date();
    let kind = day_kind(proto, day);
    let name = &proto.protocol.name;
    let recent_start =
        d.at.checked_sub(SignedDuration::from_hours(24 * OFF_PLAN_WINDOW_DAYS))
            .unwrap_or(d.at);
    let recent: Vec<&Dose> = history
        .iter()
        .copied()
        .filter(|h| h.dose.at > recent_start && h.dose.at <= d.at)
        .collect();
    let same_day = history
        .iter()
        .any(|h| h.dose.at.to_zoned_datetime(p.tz.clone()).date() == day);
    let off = match kind {
        DayKind::Dose if same_day => Some((
            "extra_dose",
            format!("You already took a dose on {day}; the plan has one."),
        )),
        DayKind::Dose => {
            let planned = slot(proto, day, p.tz);
            if planned.duration_since(d.at) > EARLY {
                f.push(with_rule(
                    finding(
                        "early",
                        Severity::Warning,
                        format!(
                            "This is {} before the planned time.",
                            hours(planned.duration_since(d.at))
                        ),
                        "Doses drifting earlier can be an early sign of rising use.",
                        "Wait for the planned time if you can.",
                        &[SRC_PROTOCOL, SRC_ESCALATION],
                    ),
                    "early",
                ));
            }
            None
        }
        DayKind::Break => Some(("break_day", format!("{day} is a break day of \"{name}\"."))),
        DayKind::Paused => Some(("paused", format!("\"{name}\" is paused."))),
        DayKind::BeforeStart => Some((
            "off_plan",
            format!("\"{name}\" starts on {}.", proto.protocol.start),
        )),
        DayKind::Ended | DayKind::AsNeeded => None,
        DayKind::Transition | DayKind::Off => Some((
            "off_plan",
            format!("{day} is {} under \"{name}\".", kind.label()),
        )),
    };
    let Some((code, message)) = off else { return };
    let mut all = recent.clone();
    let this = Dose {
        id: 0,
        dose: d.clone(),
        created_at: p.now,
        updated_at: None,
        deleted_at: None,
    };
    all.push(&this);
    let count = off_plan_dates(proto, &all).len();
    // No claim that breaks limit tolerance: no study has shown it for low prescribed doses.
    // A break is part of the plan agreed with the clinician, and that is the reason given.
    let reason = if code == "break_day" {
        "A break is part of the plan you and your clinician agreed; a dose during it departs from that plan."
    } else {
        "Doses outside the plan are the first sign of use drifting beyond what was agreed."
    };
    if count >= OFF_PLAN_REPEAT {
        f.push(with_rule(
            finding(
                "repeated_off_plan",
                Severity::Refuse,
                format!("{message} This would be off-plan dose {count} in {OFF_PLAN_WINDOW_DAYS} days."),
                "Repeated doses outside the plan are a recognised warning sign of escalating use and dependence.",
                OFF_PLAN_AGAIN,
                &[SRC_PROTOCOL, SRC_ESCALATION, SRC_DEPENDENCE],
            ),
            "repeated_off_plan",
        ));
    } else {
        f.push(finding(
            code,
            Severity::Warning,
            message,
            reason,
            "Stay with the plan if you can, and mention it to your clinician.",
            &[SRC_PROTOCOL, SRC_ESCALATION],
        ));
    }
}

pub(crate) fn median(mut v: Vec<f64>) -> Option<f64> {
    if v.is_empty() {
        return None;
    }
    v.sort_by(f64::total_cmp);
    let n = v.len();
    Some(if n % 2 == 1 {
        v[n / 2]
    } else {
        (v[n / 2 - 1] + v[n / 2]) / 2.0
    })
}

/// The flag on an imported dose far above the doses before it: kept as recorded (it happened),
/// with the same rule the check before a dose applies, as a warning.
pub(crate) fn imported_far_above(mg_base: f64, median: f64, n: usize) -> Finding {
    with_rule(
        finding(
            "unit_plausibility",
            Severity::Warning,
            format!(
                "Imported as recorded: {} mg base is {}× the median of the {n} doses before it ({} mg base).",
                fmt_num(mg_base),
                fmt_num(mg_base / median),
                fmt_num(median)
            ),
            "An amount far above the usual is more often a unit or typing slip than a decision; an imported record keeps what the other app held.",
            "Check the amount and its unit in the other app; if it was wrong, correct this dose (the imported version is kept).",
            &[],
        ),
        "unit_plausibility",
    )
}

fn plausibility(p: &Preflight<'_>, history: &[&Dose], f: &mut Vec<Finding>) {
    let d = p.dose;
    let mut before: Vec<&&Dose> = history.iter().filter(|h| h.dose.at <= d.at).collect();
    before.sort_by_key(|h| std::cmp::Reverse(h.dose.at));
    let last: Vec<f64> = before
        .iter()
        .take(PLAUSIBILITY_LOOKBACK)
        .map(|h| h.dose.dose_mg_base)
        .collect();
    let why = "An amount far above your usual is more often a unit or typing slip (mg for µg, mL for sprays) than a decision; it is the classic overdose error.";
    if last.len() >= PLAUSIBILITY_MIN_DOSES
        && let Some(m) = median(last.clone()).filter(|m| plausible::far_above(d.dose_mg_base, *m))
    {
        f.push(with_rule(
            finding(
                "unit_plausibility",
                Severity::Refuse,
                format!(
                    "{} mg base is {}× the median of your last {} doses ({} mg base).",
                    fmt_num(d.dose_mg_base),
                    fmt_num(d.dose_mg_base / m),
                    last.len(),
                    fmt_num(m)
                ),
                why,
                CHECK_AMOUNT,
                &[],
            ),
            "unit_plausibility",
        ));
        return;
    }
    if let Some(planned) = p
        .protocol
        .filter(|x| x.status != Status::Ended)
        .and_then(|x| x.protocol.dose.mg)
        && plausible::far_above(d.dose_mg, planned)
    {
        f.push(with_rule(
            finding(
                "unit_plausibility",
                Severity::Refuse,
                format!(
                    "{} mg is {}× your protocol's dose of {} mg.",
                    fmt_num(d.dose_mg),
                    fmt_num(d.dose_mg / planned),
                    fmt_num(planned)
                ),
                why,
                CHECK_AMOUNT,
                &[SRC_PROTOCOL],
            ),
            "unit_plausibility",
        ));
    }
}

fn interactions(p: &Preflight<'_>, f: &mut Vec<Finding>) {
    let route = p.dose.route;
    let mut best: std::collections::HashMap<String, Finding> = std::collections::HashMap::new();
    let mut add = |fi: Finding| match best.get(&fi.code) {
        Some(old) if old.severity >= fi.severity => {}
        _ => {
            best.insert(fi.code.clone(), fi);
        }
    };
    let sources = |i: &interaction::Interaction| -> Vec<String> {
        i.applicable(route)
            .map(|s| match &s.status {
                Some(st) => format!("{} — {st} ({})", s.source, s.confidence),
                None => format!("{} ({})", s.source, s.confidence),
            })
            .collect()
    };
    for m in p.meds.iter().filter(|m| m.removed_at.is_none()) {
        let name = &m.medication.name;
        match interaction::find(name) {
            Some(i) => {
                let Some(mut sev) = i.level(route) else {
                    continue;
                };
                let mut message = format!(
                    "You take {name} (standing medication): {} with ketamine.",
                    i.name
                );
                if m.medication.clinician_aware && sev == Severity::Refuse {
                    sev = Severity::Warning;
                    message.push_str(" Recorded as known to and planned for by your clinician.");
                }
                add(Finding {
                    code: format!("interaction:{}", i.id),
                    severity: sev,
                    message,
                    reason: i.reason.clone(),
                    action: i.action.clone(),
                    sources: sources(i),
                    step: None,
                });
            }
            None => add(unknown(name)),
        }
    }
    for u in p.uses {
        let name = &u.usage.name;
        let ago = p.dose.at.duration_since(u.usage.at);
        if ago < SignedDuration::ZERO {
            continue;
        }
        match interaction::find(name) {
            Some(i) => {
                if ago > SignedDuration::from_hours(i64::from(i.window_hours)) {
                    continue;
                }
                let Some(sev) = i.level(route) else { continue };
                let amount = u
                    .usage
                    .amount
                    .as_ref()
                    .map_or(String::new(), |a| format!(" ({a})"));
                add(with_rule(
                    Finding {
                        code: format!("interaction:{}", i.id),
                        severity: sev,
                        message: format!(
                            "You logged {name}{amount} {} before this dose: {} with ketamine (Dosewise counts a use for {} h).",
                            hours(ago),
                            i.name,
                            i.window_hours
                        ),
                        reason: i.reason.clone(),
                        action: i.action.clone(),
                        sources: sources(i),
                        step: None,
                    },
                    "interaction_windows",
                ));
            }
            None if ago <= SignedDuration::from_hours(24) => add(unknown(name)),
            None => {}
        }
    }
    f.extend(best.into_values());
}

fn unknown(name: &str) -> Finding {
    finding(
        &format!("interaction_unknown:{}", name.to_lowercase()),
        Severity::Info,
        format!("{name} is not in Dosewise's interaction list."),
        "Not being listed does not mean a combination is safe.",
        "Ask a pharmacist about combining it with ketamine.",
        &[],
    )
}

fn latest_clearance(p: &Preflight<'_>, topic: ClearanceTopic) -> Option<Timestamp> {
    p.clearances
        .iter()
        .filter(|c| c.topic == topic && c.at <= p.now)
        .map(|c| c.at)
        .max()
}

fn red_flags(p: &Preflight<'_>, history: &[&Dose], f: &mut Vec<Finding>) {
    let now = p.dose.at.max(p.now);
    let since = now
        .checked_sub(SignedDuration::from_hours(24 * URINARY_LOOKBACK_DAYS))
        .unwrap_or(now);
    let cleared = latest_clearance(p, ClearanceTopic::Urinary);
    // The bladder questions count like urinary symptoms in a check-in.
    let bladder: Vec<&crate::questionnaire::Assessment> = p
        .assessments
        .iter()
        .filter(|a| {
            a.assessment.instrument == "bladder"
                && a.assessment.at >= since
                && cleared.is_none_or(|t| a.assessment.at > t)
        })
        .filter(|a| a.assessment.total > 0)
        .collect();
    let bladder_blood = bladder
        .iter()
        .any(|a| a.assessment.answers.get(3).is_some_and(|x| *x > 0));
    let urinary: Vec<&Checkin> = p
        .checkins
        .iter()
        .filter(|c| {
            !c.checkin.urinary.is_empty()
                && c.checkin.at >= since
                && cleared.is_none_or(|t| c.checkin.at > t)
        })
        .collect();
    let src = [
        "Ketalar US label section 6 (dysuria, frequency, urgency, haematuria) (H)",
        "Winstock AR et al. BJU Int 2012;110:1762-1766: symptoms related to dose and frequency; 51% improved on stopping (H)",
    ];
    if bladder_blood
        || urinary
            .iter()
            .any(|c| c.checkin.urinary.contains(&UrinarySymptom::Blood))
    {
        f.push(with_rule(
            finding(
                "urine_blood",
                Severity::Refuse,
                "You recorded blood in your urine (not from a period).".into(),
                "Blood in the urine can be a sign of ketamine-related bladder damage, which can progress while use continues.",
                "Stop and see a clinician before any further dose. Once seen, record the clinician's review.",
                &src,
            )
            .with_step(Step::ClearUrinary),
            "urinary_lookback",
        ));
    } else if let Some(c) = urinary.last() {
        let names: Vec<&str> = c.checkin.urinary.iter().map(|u| u.as_str()).collect();
        f.push(with_rule(
            finding(
                "urinary_symptoms",
                Severity::Warning,
                format!("You recorded urinary symptoms ({}) on {}.", names.join(", "), local_checkin_date(c)),
                "Frequency, urgency, pain and night-time urination are the early signs of ketamine-related bladder damage; many improve after stopping.",
                "Stop and see a clinician. Once seen, record the clinician's review.",
                &src,
            )
            .with_step(Step::ClearUrinary),
            "urinary_lookback",
        ));
    }
    if urinary.is_empty() && !bladder.is_empty() && !bladder_blood {
        f.push(with_rule(
            finding(
                "urinary_symptoms",
                Severity::Warning,
                "Your bladder questions reported urinary symptoms.".into(),
                "Frequency, urgency, pain and night-time urination are the early signs of ketamine-related bladder damage; many improve after stopping.",
                "Stop and see a clinician. Once seen, record the clinician's review.",
                &src,
            )
            .with_step(Step::ClearUrinary),
            "urinary_lookback",
        ));
    }
    let month = now
        .checked_sub(SignedDuration::from_hours(24 * 30))
        .unwrap_or(now);
    let last_phq = p
        .assessments
        .iter()
        .filter(|a| a.assessment.instrument == "phq9" && a.assessment.at >= month)
        .max_by_key(|a| a.assessment.at);
    let crisis = crate::questionnaire::crisis_guidance(p.crisis_line, p.clinician);
    let words_since = now
        .checked_sub(SignedDuration::from_hours(24 * SELF_HARM_WORDS_DAYS))
        .unwrap_or(now);
    let written = p
        .checkins
        .iter()
        .filter(|c| c.checkin.at >= words_since && c.checkin.at <= now)
        .any(|c| c.checkin.reads_as_self_harm());
    if last_phq.is_some_and(|a| a.assessment.self_harm_flag()) {
        f.push(finding(
            "self_harm_thoughts",
            Severity::Warning,
            "Your latest PHQ-9 reported thoughts of being better off dead or of hurting yourself.".into(),
            "This needs a conversation with someone today, whatever the rest of the score; ketamine can change mood for hours to days.",
            &crisis,
            &[crate::questionnaire::CRISIS_SOURCE],
        ));
    } else if written {
        f.push(with_rule(
            finding(
                "self_harm_thoughts",
                Severity::Warning,
                "A recent check-in note or tag reads as thoughts of suicide or of hurting yourself.".into(),
                "This needs a conversation with someone today; ketamine can change mood for hours to days. (Dosewise matches words and cannot tell what you meant: if it misread you, nothing else changes.)",
                &crisis,
                &[crate::questionnaire::CRISIS_SOURCE],
            ),
            "self_harm_words",
        ));
    }
    let week = now
        .checked_sub(SignedDuration::from_hours(24 * 7))
        .unwrap_or(now);
    if let Some(c) = p
        .checkins
        .iter()
        .filter(|c| c.checkin.at >= week)
        .filter_map(|c| c.checkin.craving)
        .max()
        .filter(|c| c.value() >= CRAVING_HIGH)
    {
        f.push(with_rule(
            finding(
                "craving",
                Severity::Warning,
                format!("You rated craving {c}/10 in the last 7 days."),
                "Strong craving is a sign of developing dependence.",
                "Talk to your clinician about it before your next dose.",
                &[SRC_DEPENDENCE],
            ),
            "craving",
        ));
    }
    let two_weeks = now
        .checked_sub(SignedDuration::from_hours(24 * 14))
        .unwrap_or(now);
    let coping_words = ["cope", "numb", "escape"];
    let tagged = p
        .checkins
        .iter()
        .filter(|c| c.checkin.at >= two_weeks)
        .any(|c| {
            c.checkin
                .tags
                .iter()
                .any(|t| coping_words.iter().any(|w| t.contains(w)))
        });
    let noted = history
        .iter()
        .filter(|h| h.dose.at >= two_weeks)
        .map(|h| &h.dose.note)
        .chain(std::iter::once(&p.dose.note))
        .flatten()
        .any(|n| {
            let n = n.to_lowercase();
            n.contains("to cope") || n.contains("to numb") || n.contains("to escape")
        });
    if tagged || noted {
        f.push(with_rule(
            finding(
                "coping",
                Severity::Warning,
                "Recent doses or check-ins mention taking ketamine to cope, numb or escape.".into(),
                "Using a drug to cope with feelings, rather than as planned treatment, is a recognised path to dependence.",
                "Talk to your clinician about it.",
                &[SRC_DEPENDENCE],
            ),
            "coping",
        ));
    }
    if let Some(proto) = p.protocol.filter(|x| {
        x.status != Status::Ended && !matches!(x.protocol.pattern, Pattern::AsNeeded { .. })
    }) {
        let four = now
            .checked_sub(SignedDuration::from_hours(24 * 28))
            .unwrap_or(now);
        let recent: Vec<&Dose> = history
            .iter()
            .copied()
            .filter(|h| h.dose.at > two_weeks)
            .collect();
        let earlier: Vec<&Dose> = history
            .iter()
            .copied()
            .filter(|h| h.dose.at > four && h.dose.at <= two_weeks)
            .collect();
        let (a, b) = (
            off_plan_dates(proto, &recent).len(),
            off_plan_dates(proto, &earlier).len(),
        );
        if a >= 2 && a > b {
            f.push(with_rule(
                finding(
                    "off_plan_rising",
                    Severity::Warning,
                    format!("{a} off-plan doses in the last 14 days, {b} in the 14 before."),
                    "Dosing more often than planned, and more often over time, is an early sign of tolerance and dependence.",
                    "Talk to your clinician about how often you are dosing.",
                    &[SRC_ESCALATION, SRC_DEPENDENCE],
                ),
                "off_plan_rising",
            ));
        }
    }
}

fn local_checkin_date(c: &Checkin) -> String {
    crate::when::local_date(c.checkin.at, &c.checkin.zone).to_string()
}

fn vitals(p: &Preflight<'_>, f: &mut Vec<Finding>) {
    let at = p.dose.at;
    // Only readings taken at or before the dose time judge it: a reading after a dose (the
    // label expects one at about 40 minutes, when the rise peaks) describes its effect.
    let recent: Vec<&Vitals> = p
        .vitals
        .iter()
        .filter(|v| v.vitals.at <= at && at.duration_since(v.vitals.at) <= VITALS_WINDOW)
        .collect();
    let bp = recent
        .iter()
        .filter(|v| v.vitals.systolic.is_some())
        .max_by_key(|v| v.vitals.at);
    let hr = recent
        .iter()
        .filter_map(|v| v.vitals.heart_rate.map(|h| (v.vitals.at, h)))
        .max_by_key(|x| x.0);
    let bp_reason = "Ketamine raises blood pressure for a few hours after a dose (on average by about 13/8 mmHg, much more in some people).";
    let limits = p
        .protocol
        .filter(|x| x.status != Status::Ended)
        .map(|x| x.protocol.limits);
    let (mut warn, mut refuse) = limits.unwrap_or_default().bp_tiers();
    let own = limits.is_some_and(|l| l.bp_warn_above.is_some() || l.bp_refuse_from.is_some());
    // The clinician's thresholds, where stricter.
    let rx_bp = p
        .prescription
        .filter(|r| r.limits.bp_warn_above.is_some() || r.limits.bp_refuse_from.is_some());
    let rx_source = p.prescription.map(|r| r.source());
    if let Some(r) = rx_bp {
        let (w, rf) = r.limits.bp_tiers();
        let stricter = |a: BpLimit, b: BpLimit| BpLimit {
            systolic: a.systolic.min(b.systolic),
            diastolic: a.diastolic.min(b.diastolic),
        };
        warn = stricter(warn, w);
        refuse = stricter(refuse, rf);
    }
    if let Some(v) = bp {
        let (s, d) = (
            v.vitals.systolic.unwrap_or(0),
            v.vitals.diastolic.unwrap_or(0),
        );
        let reading = BpLimit {
            systolic: s,
            diastolic: d,
        };
        if let Some(tier) = bp_tier(reading, warn, refuse) {
            let (code, severity, message, action, mut src): (_, _, _, _, Vec<&str>) = match tier {
                Severity::Refuse => (
                    "bp_high",
                    Severity::Refuse,
                    format!(
                        "Your blood pressure was {s}/{d}: at or above {refuse} (systolic {} or diastolic {}), where no dose is taken.",
                        refuse.systolic, refuse.diastolic
                    ),
                    "Do not dose now. Rest and measure again; if it stays high, contact your clinician. Severe headache, chest pain or confusion: emergency care.",
                    vec![
                        SRC_BP_GUIDELINE,
                        SRC_BP_AGREEMENT,
                        SRC_BP_LABEL,
                        SRC_BP_META,
                    ],
                ),
                _ => (
                    "bp_elevated",
                    Severity::Warning,
                    format!("Your blood pressure was {s}/{d}, above {warn}."),
                    "Consider waiting and measuring again; tell your clinician.",
                    vec![SRC_BP_LABEL, SRC_BP_META],
                ),
            };
            if own {
                src.insert(0, SRC_BP_PROTOCOL);
            }
            if let (Some(_), Some(s)) = (rx_bp, rx_source.as_deref()) {
                src.insert(0, s);
            }
            f.push(with_rule(
                finding(code, severity, message, bp_reason, action, &src),
                "vitals_window",
            ));
        }
    } else if let Some(s) = rx_source
        .as_deref()
        .filter(|_| p.prescription.is_some_and(|r| r.require_bp))
    {
        f.push(finding(
            "rx_bp_missing",
            Severity::Refuse,
            "Your clinician's prescription asks for a blood-pressure reading before each dose, and there is none from the 2 hours before it.".into(),
            bp_reason,
            "Measure your blood pressure and record it before the dose.",
            &[s, SRC_BP_LABEL],
        )
        .with_step(Step::RecordVitals));
    } else if p.protocol.is_some_and(|x| x.protocol.require_bp) {
        f.push(finding(
            "bp_missing",
            Severity::Warning,
            "Your protocol asks for a blood-pressure reading before each dose, and there is none from the 2 hours before it.".into(),
            bp_reason,
            "Measure your blood pressure and record it before the dose.",
            &[SRC_PROTOCOL, SRC_BP_LABEL],
        )
        .with_step(Step::RecordVitals));
    }
    if let Some((_, h)) = hr.filter(|(_, h)| *h > HR_REFUSE) {
        f.push(with_rule(
            finding(
                "hr_high",
                Severity::Refuse,
                format!("Your heart rate was {h}, above {HR_REFUSE}."),
                "Ketamine raises heart rate as well as blood pressure.",
                "Do not dose now; rest and measure again, and contact your clinician if it stays high.",
                &[SRC_BP_AGREEMENT, SRC_BP_META],
            ),
            "vitals_window",
        ));
    }
}

/// The tier a reading falls in: refuse at or above `refuse` in either number, warn above
/// `warn` in either number, else none.
pub fn bp_tier(reading: BpLimit, warn: BpLimit, refuse: BpLimit) -> Option<Severity> {
    if reading.systolic >= refuse.systolic || reading.diastolic >= refuse.diastolic {
        Some(Severity::Refuse)
    } else if reading.systolic > warn.systolic || reading.diastolic > warn.diastolic {
        Some(Severity::Warning)
    } else {
        None
    }
}

fn stretch(p: &Preflight<'_>, history: &[&Dose], f: &mut Vec<Finding>) {
    if p.protocol
        .is_some_and(|x| x.protocol.cycle.is_some() && x.status != Status::Ended)
    {
        return; // breaks are planned; dosing through one is reported by the plan rule
    }
    let mut times: Vec<Timestamp> = history
        .iter()
        .map(|h| h.dose.at)
        .filter(|t| *t <= p.dose.at)
        .collect();
    times.sort();
    let mut start = p.dose.at;
    for t in times.iter().rev() {
        if start.duration_since(*t) >= SignedDuration::from_hours(24 * BREAK_DAYS) {
            break;
        }
        start = *t;
    }
    let days = p.dose.at.duration_since(start).as_hours() / 24;
    if days > STRETCH_DAYS {
        f.push(with_rule(
            finding(
                "long_stretch",
                Severity::Caution,
                format!("You have dosed for {days} days without a gap of {BREAK_DAYS} days or more."),
                "Tolerance has been reported with prolonged use of ketamine. No study has measured when it develops at low prescribed doses, or shown that breaks prevent it; long continuous use is worth reviewing with your clinician.",
                "Review continued use with your clinician. If they plan breaks, a protocol can include them (a cycle of weeks on, then weeks off).",
                &[SRC_TOLERANCE],
            )
            .with_step(Step::ChangeProtocol),
            "long_stretch",
        ));
    }
}

fn screen(p: &Preflight<'_>, f: &mut Vec<Finding>) {
    // A clearance covers the answers that existed when it was recorded; a condition answered
    // yes later (or of unknown date) is a finding again until cleared again.
    let cleared = latest_clearance(p, ClearanceTopic::Screen);
    for a in p.screen {
        if cleared.is_some_and(|c| a.since.is_some_and(|since| since <= c)) {
            continue;
        }
        let Some(q) = crate::screen::question(&a.code) else {
            continue;
        };
        let (message, action) = if q.level == Severity::Refuse {
            (
                format!(
                    "Screen: you answered yes to \"{}\" — a contraindication in the label.",
                    q.question
                ),
                "Do not dose until a clinician has reviewed this; once reviewed, record their review.".to_string(),
            )
        } else {
            (
                format!("Screen: you answered yes to \"{}\"", q.question),
                "Review this with your clinician before continuing; once reviewed, record their review.".to_string(),
            )
        };
        f.push(
            finding(
                &format!("screen:{}", a.code),
                q.level,
                message,
                &q.reason,
                &action,
                &[&format!("{} ({})", q.source, q.confidence)],
            )
            .with_step(Step::ClearScreen),
        );
    }
}

/// Supply reconciliation: counted amounts versus what the log implies, reported neutrally.
/// `counted_shortfall` is the sum of amounts found missing at counts (`stock count`).
pub fn supply_finding(stock_name: &str, counted_shortfall: f64, unit: &str) -> Option<Finding> {
    (counted_shortfall > 1e-9).then(|| {
        finding(
            "supply_shortfall",
            Severity::Info,
            format!("Counts of {stock_name} found {} {unit} fewer than the log implies.", fmt_num(counted_shortfall)),
            "Differences come from unlogged doses, spills, priming or miscounts; a clinician reconciling supply will ask.",
            "Log any dose you missed, with the time it was taken, or note the reason with the count.",
            &[SRC_ESCALATION],
        )
        .with_step(Step::LogMissedDose)
    })
}
