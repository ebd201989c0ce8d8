//! A self-blinded trial as the journal keeps it, and the days it observed.
//!
//! The trial record is written once, when it is planned: the design, the outcome, the smallest
//! change that matters (set before the first day), the dose taken every dosing day, and the
//! allocation sealed to a key the person or the clinician holds (each day on its own, and the
//! whole allocation for the end). What happens afterwards is appended as events: a single day
//! unblinded in an emergency, the trial stopped early, the allocation revealed at the end. A
//! dose names the container it was taken from; a check-in carries the day's guess.
//!
//! [`observe`] turns a revealed trial and the journal's doses and check-ins into the days the
//! analysis uses (`crate::trial::analyse`, `crate::trial::bayes`): the condition is the one of
//! the container actually taken (a container from another day counts as what it held), days
//! without a dose or an outcome are left out, and so are days unblinded early.

use crate::checkin::{Checkin, SCALES};
use crate::dose::Dose;
use crate::questionnaire::Assessment;
use crate::text::{self, TextError};
use crate::trial::{Condition, Design, Guess, Observation};
use jiff::Timestamp;
use jiff::civil::Date;
use serde::{Deserialize, Serialize};

/// Bytes as base64 text in the journal file (the sealed allocation is binary age).
mod b64 {
    use base64::Engine;
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(b: &[u8], s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&base64::engine::general_purpose::STANDARD.encode(b))
    }
    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<u8>, D::Error> {
        let t = String::deserialize(d)?;
        base64::engine::general_purpose::STANDARD
            .decode(t.as_bytes())
            .map_err(serde::de::Error::custom)
    }
}

/// One dosing day as the journal keeps it: its date, its container's code, and its condition
/// sealed on its own (so that one day can be unblinded without the others).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SealedDay {
    pub date: Date,
    pub block: usize,
    pub code: String,
    #[serde(with = "b64")]
    pub sealed: Vec<u8>,
}

/// What the trial measures: one of the check-in ratings, or a questionnaire's total.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Outcome(String);

/// The questionnaires a trial can use as its outcome (their totals; higher is worse).
const QUESTIONNAIRES: [&str; 2] = ["phq9", "gad7"];
/// Ratings where a higher number is worse.
const WORSE_WHEN_HIGHER: [&str; 3] = ["anxiety", "irritability", "craving"];

impl Outcome {
    pub fn parse(name: &str) -> Result<Outcome, String> {
        let n = name.trim().to_ascii_lowercase().replace(['-', ' '], "");
        let n = match n.as_str() {
            "phq9" | "gad7" => n,
            _ => name.trim().to_ascii_lowercase(),
        };
        if SCALES.iter().any(|(r, _, _)| *r == n) || QUESTIONNAIRES.contains(&n.as_str()) {
            Ok(Outcome(n))
        } else {
            Err(format!(
                "{name:?} is not an outcome a trial can measure: use one of the check-in ratings ({}) or a questionnaire (phq9, gad7)",
                SCALES
                    .iter()
                    .map(|(r, _, _)| *r)
                    .collect::<Vec<_>>()
                    .join(", ")
            ))
        }
    }
    pub fn name(&self) -> &str {
        &self.0
    }
    /// Whether the outcome is a questionnaire's total (PHQ-9, GAD-7), not a daily rating.
    pub fn is_questionnaire(&self) -> bool {
        QUESTIONNAIRES.contains(&self.0.as_str())
    }
    /// Whether a higher number means feeling better (mood, energy, focus, sleep).
    pub fn higher_is_better(&self) -> bool {
        !self.is_questionnaire() && !WORSE_WHEN_HIGHER.contains(&self.0.as_str())
    }
    /// A value turned so that a larger number is better (an improvement on active shows as a
    /// positive effect, whichever way the outcome runs).
    pub fn improvement(&self, value: f64) -> f64 {
        if self.higher_is_better() {
            value
        } else {
            -value
        }
    }
    /// How people read it: "mood", "PHQ-9 total".
    pub fn label(&self) -> String {
        match self.0.as_str() {
            "phq9" => "PHQ-9 total".into(),
            "gad7" => "GAD-7 total".into(),
            r => r.into(),
        }
    }
    /// The day's value from its check-ins and questionnaires (the mean when there are several).
    fn value(&self, checkins: &[&Checkin], assessments: &[&Assessment]) -> Option<f64> {
        let values: Vec<f64> = if self.is_questionnaire() {
            assessments
                .iter()
                .filter(|a| a.assessment.instrument == self.0)
                .map(|a| f64::from(a.assessment.total))
                .collect()
        } else {
            checkins
                .iter()
                .filter_map(|c| {
                    let c = &c.checkin;
                    if self.0 == "craving" {
                        c.craving
                    } else {
                        c.ratings
                            .iter()
                            .find(|(n, _)| *n == self.0)
                            .and_then(|x| x.1)
                    }
                })
                .map(|r| f64::from(r.value()))
                .collect()
        };
        (!values.is_empty()).then(|| values.iter().sum::<f64>() / values.len() as f64)
    }
}

impl TryFrom<String> for Outcome {
    type Error = String;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        Outcome::parse(&s)
    }
}
impl From<Outcome> for String {
    fn from(o: Outcome) -> String {
        o.0
    }
}

/// The day's guess on a check-in: what the person thinks they took, and how sure they are
/// (1 = a pure guess … 5 = certain).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct TrialGuess {
    pub guess: Guess,
    pub sure: u8,
}

impl TrialGuess {
    pub fn new(guess: Guess, sure: u8) -> Result<TrialGuess, String> {
        if (1..=5).contains(&sure) {
            Ok(TrialGuess { guess, sure })
        } else {
            Err(format!(
                "how sure is 1 (a pure guess) to 5 (certain), not {sure}"
            ))
        }
    }
}

/// A trial as planned.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NewTrial {
    pub design: Design,
    pub outcome: Outcome,
    /// The smallest improvement in the outcome that would matter to the person, in its units,
    /// set before the trial starts.
    pub smallest_change: f64,
    /// The dose taken every dosing day, as typed ("1 troche"), whatever the container holds.
    pub dose: String,
    /// The stock the active doses come from.
    pub stock_id: Option<i64>,
    /// Who holds the key the allocation is sealed to ("me", "Dr Lee").
    pub key_holder: String,
    /// The age public key everything is sealed to.
    pub recipient: String,
    pub days: Vec<SealedDay>,
    /// The whole allocation (every block's order), for the end of the trial.
    #[serde(with = "b64")]
    pub allocation: Vec<u8>,
    pub note: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Trial {
    pub id: i64,
    #[serde(flatten)]
    pub trial: NewTrial,
    pub created_at: Timestamp,
}

#[derive(Debug, thiserror::Error, PartialEq)]
pub enum TrialError {
    #[error("{0}")]
    Invalid(String),
    #[error(transparent)]
    Text(#[from] TextError),
}

/// The most blocks a trial can have, and the longest period: a year's trial at most.
pub const MAX_BLOCKS: u32 = 26;
pub const MAX_PERIOD_DAYS: u32 = 14;
pub const MAX_WASHOUT_DAYS: u32 = 14;

impl Design {
    /// Refuse a design that cannot be analysed or is absurd.
    pub fn check(&self) -> Result<(), TrialError> {
        let bad = |m: String| Err(TrialError::Invalid(m));
        if !(2..=MAX_BLOCKS).contains(&self.blocks) {
            return bad(format!(
                "a trial needs 2 to {MAX_BLOCKS} blocks (each an active and a placebo period), not {}: with fewer the order cannot be told from chance",
                self.blocks
            ));
        }
        if !(1..=MAX_PERIOD_DAYS).contains(&self.period_days) {
            return bad(format!(
                "a period is 1 to {MAX_PERIOD_DAYS} days, not {}",
                self.period_days
            ));
        }
        if self.washout_days > MAX_WASHOUT_DAYS {
            return bad(format!(
                "a washout is at most {MAX_WASHOUT_DAYS} days, not {}",
                self.washout_days
            ));
        }
        Ok(())
    }
    /// The last day of the trial.
    pub fn end(&self) -> Date {
        self.start
            .checked_add(jiff::Span::new().days(i64::from(self.days()) - 1))
            .unwrap_or(self.start)
    }
}

impl NewTrial {
    pub fn validated(mut self) -> Result<NewTrial, TrialError> {
        self.design.check()?;
        let bad = |m: String| Err(TrialError::Invalid(m));
        if !self.smallest_change.is_finite()
            || self.smallest_change <= 0.0
            || self.smallest_change > 30.0
        {
            return bad(format!(
                "the smallest change that matters is a positive number in the outcome's units (e.g. 1 for one point of mood), not {}",
                self.smallest_change
            ));
        }
        self.dose = text::label("dose", &self.dose)?;
        self.key_holder = text::label("key holder", &self.key_holder)?;
        self.note = text::note(self.note.as_deref())?;
        let dosing = self.design.blocks * 2 * self.design.period_days;
        if self.days.len() != dosing as usize {
            return bad(format!(
                "the plan has {} dosing days, the design {dosing}",
                self.days.len()
            ));
        }
        if !self.recipient.starts_with("age1") {
            return bad("the allocation is not sealed to an age key".into());
        }
        let mut codes: Vec<&str> = self.days.iter().map(|d| d.code.as_str()).collect();
        codes.sort_unstable();
        codes.dedup();
        if codes.len() != self.days.len() {
            return bad("two dosing days share a container code".into());
        }
        Ok(self)
    }
}

impl Trial {
    pub fn day_by_code(&self, code: &str) -> Option<&SealedDay> {
        let code = code.trim().to_ascii_uppercase();
        self.trial.days.iter().find(|d| d.code == code)
    }
    pub fn day_on(&self, date: Date) -> Option<&SealedDay> {
        self.trial.days.iter().find(|d| d.date == date)
    }
}

/// What happened to a trial after it was planned.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum TrialEventKind {
    /// One day's condition opened early (an emergency): that day is left out of the analysis.
    Unblinded { date: Date, condition: Condition },
    /// The trial stopped before its end (a red flag, a decision with the clinician); days
    /// after `last_day` are not analysed.
    Stopped { last_day: Date },
    /// The whole allocation opened at the end: each block's order, true when active first.
    Revealed { orders: Vec<bool> },
}

impl TrialEventKind {
    pub fn as_str(&self) -> &'static str {
        match self {
            TrialEventKind::Unblinded { .. } => "unblinded",
            TrialEventKind::Stopped { .. } => "stopped",
            TrialEventKind::Revealed { .. } => "revealed",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NewTrialEvent {
    pub trial_id: i64,
    pub at: Timestamp,
    #[serde(flatten)]
    pub kind: TrialEventKind,
    /// Why (required for an emergency unblinding and a stop).
    pub reason: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TrialEvent {
    pub id: i64,
    #[serde(flatten)]
    pub event: NewTrialEvent,
}

/// Where a trial stands.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "snake_case", tag = "state")]
pub enum State {
    NotStarted,
    /// Running; `today` is today's dosing day (none on a washout day).
    Running {
        day: u32,
        today: Option<SealedDay>,
    },
    /// Past its last day or stopped, the allocation still sealed.
    AwaitingReveal {
        stopped: bool,
    },
    Revealed {
        stopped: bool,
        orders: Vec<bool>,
    },
}

pub fn state(t: &Trial, events: &[TrialEvent], today: Date) -> State {
    let stopped = stopped_on(events).is_some();
    if let Some(orders) = events.iter().find_map(|e| match &e.event.kind {
        TrialEventKind::Revealed { orders } => Some(orders.clone()),
        _ => None,
    }) {
        return State::Revealed { stopped, orders };
    }
    let d = &t.trial.design;
    if stopped || today > d.end() {
        State::AwaitingReveal { stopped }
    } else if today < d.start {
        State::NotStarted
    } else {
        State::Running {
            day: u32::try_from((today - d.start).get_days()).unwrap_or(0) + 1,
            today: t.day_on(today).cloned(),
        }
    }
}

/// The last day counted when the trial was stopped early.
pub fn stopped_on(events: &[TrialEvent]) -> Option<Date> {
    events.iter().find_map(|e| match e.event.kind {
        TrialEventKind::Stopped { last_day } => Some(last_day),
        _ => None,
    })
}

/// The days emergency-unblinded, with what they held.
pub fn unblinded_days(events: &[TrialEvent]) -> Vec<(Date, Condition)> {
    events
        .iter()
        .filter_map(|e| match e.event.kind {
            TrialEventKind::Unblinded { date, condition } => Some((date, condition)),
            _ => None,
        })
        .collect()
}

/// One dosing day of a revealed trial as the analysis and the plots see it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ObservedDay {
    pub date: Date,
    /// Day number from 1 (the trial's first day).
    pub day: u32,
    pub block: usize,
    /// What the container taken held (the day's own, or another day's when that was taken).
    pub condition: Condition,
    /// In the outcome's own units, as recorded.
    pub outcome: f64,
    pub guess: Option<TrialGuess>,
}

/// The revealed trial's days, and what was left out and why.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Observed {
    pub days: Vec<ObservedDay>,
    /// Dosing days without a dose logged from a trial container.
    pub no_dose: usize,
    /// Dosing days with a dose but no outcome recorded.
    pub no_outcome: usize,
    /// Days unblinded early (left out).
    pub unblinded: usize,
    /// Days the container taken was planned for another day (kept, with what it held).
    pub swapped: usize,
    /// Days after the trial stopped.
    pub after_stop: usize,
}

impl Observed {
    /// The days as the analysis takes them: the outcome turned so that a larger number is
    /// better (an improvement on active shows as a positive effect).
    pub fn observations(&self, outcome: &Outcome) -> Vec<Observation> {
        self.days
            .iter()
            .map(|d| Observation {
                block: d.block,
                condition: d.condition,
                outcome: outcome.improvement(d.outcome),
                guess: d.guess.map(|g| g.guess),
            })
            .collect()
    }
    /// The days for the Bayesian fit: (day number, active, outcome turned as above).
    pub fn series(&self, outcome: &Outcome) -> Vec<(f64, bool, f64)> {
        self.days
            .iter()
            .map(|d| {
                (
                    f64::from(d.day),
                    d.condition == Condition::Active,
                    outcome.improvement(d.outcome),
                )
            })
            .collect()
    }
}

/// The revealed trial's observed days. `orders` are the revealed block orders; the journal's
/// doses, check-ins and questionnaires are read by their local date.
pub fn observe(
    t: &Trial,
    events: &[TrialEvent],
    orders: &[bool],
    doses: &[Dose],
    checkins: &[Checkin],
    assessments: &[Assessment],
) -> Observed {
    let d = &t.trial.design;
    let schedule = d.schedule(orders);
    let planned: Vec<(Date, Condition)> = schedule
        .iter()
        .filter_map(|s| s.condition.map(|c| (s.date, c)))
        .collect();
    let condition_of = |date: Date| planned.iter().find(|p| p.0 == date).map(|p| p.1);
    let unblinded = unblinded_days(events);
    let stopped_on = stopped_on(events);
    // Each record's local date, worked out once: the trial's doses (those from one of its
    // containers) and the check-ins and questionnaires on its dosing days.
    let local = |at: Timestamp, zone: &str| crate::when::local_date(at, zone);
    let dosing: std::collections::HashSet<Date> = t.trial.days.iter().map(|x| x.date).collect();
    let mut taken_on: std::collections::HashMap<Date, &SealedDay> = Default::default();
    for x in doses.iter().filter(|x| x.deleted_at.is_none()) {
        let Some(container) = x.dose.container.as_deref().and_then(|c| t.day_by_code(c)) else {
            continue;
        };
        // The first dose of the day from a container counts.
        taken_on
            .entry(local(x.dose.at, &x.dose.zone))
            .or_insert(container);
    }
    let mut checkins_on: std::collections::HashMap<Date, Vec<&Checkin>> = Default::default();
    for c in checkins.iter().filter(|c| c.deleted_at.is_none()) {
        let date = local(c.checkin.at, &c.checkin.zone);
        if dosing.contains(&date) {
            checkins_on.entry(date).or_default().push(c);
        }
    }
    let mut assessments_on: std::collections::HashMap<Date, Vec<&Assessment>> = Default::default();
    for a in assessments {
        let date = local(a.assessment.at, &a.assessment.zone);
        if dosing.contains(&date) {
            assessments_on.entry(date).or_default().push(a);
        }
    }
    let mut out = Observed {
        days: vec![],
        no_dose: 0,
        no_outcome: 0,
        unblinded: 0,
        swapped: 0,
        after_stop: 0,
    };
    for sd in &t.trial.days {
        if stopped_on.is_some_and(|s| sd.date > s) {
            out.after_stop += 1;
            continue;
        }
        if unblinded.iter().any(|u| u.0 == sd.date) {
            out.unblinded += 1;
            continue;
        }
        // The container taken that day: its code names what it held.
        let Some(container) = taken_on.get(&sd.date) else {
            out.no_dose += 1;
            continue;
        };
        let Some(condition) = condition_of(container.date) else {
            out.no_dose += 1;
            continue;
        };
        if container.date != sd.date {
            out.swapped += 1;
        }
        let day_checkins = checkins_on.get(&sd.date).map_or(&[][..], Vec::as_slice);
        let day_assessments = assessments_on.get(&sd.date).map_or(&[][..], Vec::as_slice);
        let Some(outcome) = t.trial.outcome.value(day_checkins, day_assessments) else {
            out.no_outcome += 1;
            continue;
        };
        // The last guess of the day counts.
        let guess = day_checkins.iter().rev().find_map(|c| c.checkin.guess);
        out.days.push(ObservedDay {
            date: sd.date,
            day: u32::try_from((sd.date - d.start).get_days()).unwrap_or(0) + 1,
            block: sd.block,
            condition,
            outcome,
            guess,
        });
    }
    out
}

/// A revealed trial's result: the days analysed and left out, the analysis, the Bayesian
/// estimate and the plain-words reading. Computed once here for every surface (the CLI, the
/// page, the API, the clinician report).
#[derive(Debug, Clone, Serialize)]
pub struct Evaluated {
    pub stopped: bool,
    pub observed: Observed,
    pub analysis: Option<crate::trial::Analysis>,
    pub bayes: Option<crate::trial::Bayes>,
    /// The plain words for the person (the CLI, the page, the API).
    pub reading: Reading,
    /// The same, for the clinician (the report).
    pub clinician_reading: Reading,
}

/// Evaluate a trial from the journal's records; `None` while it is not revealed.
pub fn evaluate(
    t: &Trial,
    events: &[TrialEvent],
    doses: &[Dose],
    checkins: &[Checkin],
    assessments: &[Assessment],
) -> Option<Evaluated> {
    let orders = events.iter().find_map(|e| match &e.event.kind {
        TrialEventKind::Revealed { orders } => Some(orders.clone()),
        _ => None,
    })?;
    let observed = observe(t, events, &orders, doses, checkins, assessments);
    let outcome = &t.trial.outcome;
    // The Monte Carlo sample (beyond 16 blocks) is seeded by the trial, so the result is the
    // same every time it is shown.
    let analysis = crate::trial::analyse(&observed.observations(outcome), 0x5EED ^ t.id as u64);
    let bayes = crate::trial::bayes(&observed.series(outcome), t.trial.smallest_change);
    let reading = |voice| {
        read(
            analysis.as_ref(),
            bayes.as_ref(),
            t.trial.smallest_change,
            outcome,
            voice,
        )
    };
    Some(Evaluated {
        stopped: stopped_on(events).is_some(),
        reading: reading(Voice::Person),
        clinician_reading: reading(Voice::Clinician),
        observed,
        analysis,
        bayes,
    })
}

/// What a result supports, in plain words: a headline and the lines that qualify it. The same
/// words on every surface (the CLI, the page, the clinician report).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Reading {
    pub headline: String,
    pub lines: Vec<String>,
}

/// Who the plain words speak to: the person (the CLI, the page) or their clinician (the
/// report).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Voice {
    Person,
    Clinician,
}

struct Words {
    closing: &'static str,
    who: &'static str,
    who_capital: &'static str,
    who_said: &'static str,
    whom: &'static str,
    guesses: &'static str,
}

impl Voice {
    fn words(self) -> Words {
        match self {
            Voice::Person => Words {
                closing: "This is one person's trial: discuss it with your clinician. It informs a decision; it does not tell you to start, stop or change a dose.",
                who: "you",
                who_capital: "You",
                who_said: "you said",
                whom: "you",
                guesses: "Your guesses",
            },
            Voice::Clinician => Words {
                closing: "This is one person's trial, to discuss with the patient: it informs a decision and does not by itself call for starting, stopping or changing a dose.",
                who: "the patient",
                who_capital: "The patient",
                who_said: "the patient said",
                whom: "the patient",
                guesses: "The patient's guesses",
            },
        }
    }
}

/// Fewer analysed days than this, and the result says only that there were too few.
pub const MIN_DAYS: usize = 6;

/// A figure to two decimals at most, without trailing zeros ("0.47", "2", "-0.64").
pub fn num(x: f64) -> String {
    let r = (x * 100.0).round() / 100.0;
    let s = format!("{r:.2}");
    let s = s.trim_end_matches('0').trim_end_matches('.');
    if s == "-0" { "0".into() } else { s.into() }
}

/// A probability as a percentage: "below 0.1 %", "0.4 %", "38 %", "above 99.9 %".
pub fn pct(p: f64) -> String {
    if p > 0.999 {
        "above 99.9 %".into()
    } else if p > 0.99 {
        format!("{:.1} %", p * 100.0)
    } else if p < 0.001 {
        "below 0.1 %".into()
    } else if p < 0.01 {
        format!("{:.1} %", p * 100.0)
    } else {
        format!("{:.0} %", p * 100.0)
    }
}

/// A p-value after "p": "= 0.375", "< 0.001".
pub fn pval(p: f64) -> String {
    if p < 0.001 {
        "< 0.001".into()
    } else {
        let s = format!("{p:.3}");
        format!("= {}", s.trim_end_matches('0').trim_end_matches('.'))
    }
}

fn points(x: f64) -> String {
    let n = num(x);
    if n == "1" || n == "-1" {
        format!("{n} point")
    } else {
        format!("{n} points")
    }
}

/// Read an analysis: what it supports and what it does not. The effect is "better on active"
/// in the outcome's units (turned for outcomes where lower is better).
pub fn read(
    a: Option<&crate::trial::Analysis>,
    b: Option<&crate::trial::Bayes>,
    smallest: f64,
    outcome: &Outcome,
    voice: Voice,
) -> Reading {
    let w = voice.words();
    let closing = w.closing.to_string();
    let label = outcome.label();
    let better = if outcome.higher_is_better() {
        "higher"
    } else {
        "lower"
    };
    let Some(a) = a.filter(|a| a.active_days + a.placebo_days >= MIN_DAYS) else {
        return Reading {
            headline: format!(
                "Too few days to tell: fewer than {MIN_DAYS} dosing days have both a dose from a trial container and a {label} recorded."
            ),
            lines: vec![closing],
        };
    };
    let mut lines = Vec::new();
    let e = a.effect;
    let direction = if e > 0.0 {
        format!(
            "{label} was {} better on active days than on placebo days",
            points(e)
        )
    } else if e < 0.0 {
        format!(
            "{label} was {} worse on active days than on placebo days",
            points(-e)
        )
    } else {
        format!("{label} was the same on active and placebo days")
    };
    let chance = if a.p_value < 0.05 {
        format!(
            "a difference this large would arise by chance in {} of the possible allocations (p {}), so chance alone is an unlikely explanation",
            pct(a.p_value),
            pval(a.p_value)
        )
    } else {
        format!(
            "a difference this large would arise by chance in {} of the possible allocations (p {}), so it could be chance",
            pct(a.p_value),
            pval(a.p_value)
        )
    };
    let headline = format!(
        "Over {} active and {} placebo days, {direction}; {chance}.",
        a.active_days, a.placebo_days
    );
    if let Some(w) = &a.interval {
        lines.push(format!(
            "95 % interval for the difference: {} to {} points ({better} is better; positive favours active).",
            num(w.ci95_low),
            num(w.ci95_high)
        ));
    }
    if let Some(b) = b {
        let verdict = if b.p_meaningful >= 0.8 {
            "likely larger than"
        } else if b.p_meaningful <= 0.2 {
            "unlikely to reach"
        } else {
            "uncertain against"
        };
        lines.push(format!(
            "Allowing for a drift over time and for one day carrying over to the next, the effect is {} (95 % credible interval {} to {}); the chance it is larger than the {} {} would matter is {}: {verdict} what matters to {}.",
            points(b.effect),
            num(b.low),
            num(b.high),
            points(smallest),
            w.who_said,
            pct(b.p_meaningful),
            w.whom
        ));
    }
    let bl = &a.blinding;
    if bl.guessed > 0 {
        let rate = bl.correct as f64 / bl.guessed as f64;
        let broken = bl.guessed >= MIN_DAYS && bl.p_value < 0.05 && rate > 0.5;
        lines.push(format!(
            "{} were right on {} of {} days ({}; chance is 50 %, p {}){}.",
            w.guesses,
            bl.correct,
            bl.guessed,
            pct(rate),
            pval(bl.p_value),
            if bl.dont_know > 0 {
                format!("; {} days {} did not know", bl.dont_know, w.who)
            } else {
                String::new()
            }
        ));
        if broken {
            lines.push(format!("{} could tell active from placebo more often than chance: the blind was probably broken, so expecting the drug may explain part of the difference (as in the self-blinded microdosing study of Szigeti et al., eLife 2021).", w.who_capital));
        }
        match &bl.effect_when_not_guessed {
            Some(d) => lines.push(format!(
                "On the days {} guessed wrong or did not know, the difference was {} (95 % interval {} to {}): a difference that holds there is less likely to be expectation.",
                w.who,
                points(d.difference),
                num(d.ci95_low),
                num(d.ci95_high)
            )),
            None if broken => lines.push(
                "Too few days were guessed wrong or unknown to see the difference without the guess.".into(),
            ),
            None => {}
        }
    } else {
        lines.push("No guesses were recorded, so whether the blind held cannot be told.".into());
    }
    lines.push(closing);
    Reading { headline, lines }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn outcomes_are_named_ratings_or_questionnaires_with_their_direction() {
        assert!(Outcome::parse("mood").is_ok_and(|o| o.higher_is_better()));
        assert!(Outcome::parse("Anxiety").is_ok_and(|o| !o.higher_is_better()));
        assert!(
            Outcome::parse("PHQ-9").is_ok_and(|o| o.is_questionnaire() && !o.higher_is_better())
        );
        assert!(Outcome::parse("craving").is_ok_and(|o| !o.higher_is_better()));
        let e = Outcome::parse("happiness").err().unwrap_or_default();
        assert!(e.contains("mood") && e.contains("phq9"), "{e}");
        assert!(TrialGuess::new(Guess::Active, 0).is_err());
        assert!(TrialGuess::new(Guess::Active, 6).is_err());
        assert!(TrialGuess::new(Guess::DontKnow, 1).is_ok());
    }

    #[test]
    fn designs_outside_the_limits_are_refused() {
        let ok = Design {
            start: jiff::civil::date(2026, 12, 1),
            blocks: 4,
            period_days: 3,
            washout_days: 1,
        };
        assert!(ok.check().is_ok());
        assert_eq!(ok.end(), jiff::civil::date(2027, 1, 1));
        for bad in [
            Design {
                blocks: 1,
                ..ok.clone()
            },
            Design {
                blocks: 27,
                ..ok.clone()
            },
            Design {
                period_days: 0,
                ..ok.clone()
            },
            Design {
                washout_days: 15,
                ..ok.clone()
            },
        ] {
            assert!(bad.check().is_err(), "{bad:?}");
        }
    }

    /// A 2-block trial of 2-day periods and 1 washout day from 2026-12-01, active first in
    /// block 0 and placebo first in block 1, measuring anxiety.
    fn small_trial() -> Trial {
        let design = Design {
            start: jiff::civil::date(2026, 12, 1),
            blocks: 2,
            period_days: 2,
            washout_days: 1,
        };
        Trial {
            id: 1,
            trial: crate::testing::trial(design, &[true, false], "anxiety"),
            created_at: crate::testing::ts("2026-11-30T08:00:00Z"),
        }
    }

    #[test]
    fn observed_days_follow_the_container_taken_and_leave_out_what_cannot_count() {
        use crate::checkin::{Rating, Ratings};
        use crate::testing::{checkin, dose, ts};
        let t = small_trial();
        // Dosing days: 1, 2 (active), 4, 5 (placebo) | 7, 8 (placebo), 10, 11 (active) Dec.
        // Left out: 2 Dec (no dose), 5 Dec (no anxiety), 7 Dec (unblinded), 11 Dec (after the
        // stop on the 10th).
        let dates: Vec<Date> = t.trial.days.iter().map(|d| d.date).collect();
        assert_eq!(dates[0], jiff::civil::date(2026, 12, 1));
        assert_eq!(dates[2], jiff::civil::date(2026, 12, 4));
        let mut doses = Vec::new();
        let mut checkins = Vec::new();
        for (k, d) in t.trial.days.iter().enumerate() {
            let at = |h: i8| {
                d.date
                    .at(h, 0, 0, 0)
                    .to_zoned_datetime(jiff::tz::TimeZone::UTC)
                    .map(|z| z.timestamp())
                    .unwrap_or_else(|e| panic!("{e}"))
            };
            // Day 2 has no dose; day 3 took day 6's container (a placebo day's: swapped).
            if k != 1 {
                let mut x = dose(k as i64 + 1, at(8), 12.5);
                x.dose.container = Some(if k == 2 {
                    t.trial.days[5].code.to_lowercase()
                } else {
                    d.code.clone()
                });
                doses.push(x);
            }
            // Day 4 has no anxiety rating.
            let ratings = Ratings {
                anxiety: if k == 3 {
                    None
                } else {
                    Rating::new(k as i64).ok()
                },
                mood: Rating::new(5).ok(),
                ..Ratings::default()
            };
            let mut c = checkin(k as i64 + 1, at(20), ratings, &[]);
            c.checkin.guess = TrialGuess::new(Guess::Active, 2).ok();
            checkins.push(c);
        }
        let events = vec![
            TrialEvent {
                id: 1,
                event: NewTrialEvent {
                    trial_id: 1,
                    at: ts("2026-12-06T10:00:00Z"),
                    kind: TrialEventKind::Unblinded {
                        date: dates[4],
                        condition: Condition::Placebo,
                    },
                    reason: Some("reaction".into()),
                },
            },
            TrialEvent {
                id: 2,
                event: NewTrialEvent {
                    trial_id: 1,
                    at: ts("2026-12-10T10:00:00Z"),
                    kind: TrialEventKind::Stopped { last_day: dates[6] },
                    reason: Some("decided".into()),
                },
            },
        ];
        let o = observe(&t, &events, &[true, false], &doses, &checkins, &[]);
        assert_eq!(
            (
                o.no_dose,
                o.no_outcome,
                o.unblinded,
                o.after_stop,
                o.swapped
            ),
            (1, 1, 1, 1, 1)
        );
        let got: Vec<(u32, Condition, f64)> = o
            .days
            .iter()
            .map(|d| (d.day, d.condition, d.outcome))
            .collect();
        assert_eq!(
            got,
            vec![
                (1, Condition::Active, 0.0),
                // 4 Dec took the container of 8 Dec (placebo: block 1 starts with placebo).
                (4, Condition::Placebo, 2.0),
                (8, Condition::Placebo, 5.0),
                (10, Condition::Active, 6.0),
            ]
        );
        // Anxiety: lower is better, so the analysis sees it turned.
        assert_eq!(o.observations(&t.trial.outcome)[1].outcome, -2.0);
        assert_eq!(o.series(&t.trial.outcome)[3], (10.0, true, -6.0));
        // Not revealed: no result; the state follows the events.
        assert!(evaluate(&t, &events, &doses, &checkins, &[]).is_none());
        assert_eq!(
            state(&t, &events, jiff::civil::date(2026, 12, 9)),
            State::AwaitingReveal { stopped: true }
        );
        assert!(matches!(
            state(&t, &[], jiff::civil::date(2026, 12, 3)),
            State::Running {
                day: 3,
                today: None
            }
        ));
        assert_eq!(
            state(&t, &[], jiff::civil::date(2026, 11, 30)),
            State::NotStarted
        );
    }

    #[test]
    fn the_reading_says_too_few_days_and_a_broken_blind_plainly() {
        use crate::trial::{Observation, analyse};
        let mood = Outcome::parse("mood").unwrap_or_else(|e| panic!("{e}"));
        let few = read(None, None, 1.0, &mood, Voice::Person);
        assert!(few.headline.starts_with("Too few days"), "{}", few.headline);
        assert!(
            few.lines
                .iter()
                .any(|l| l.contains("discuss it with your clinician"))
        );
        // Twelve blocks of one day each; the guess always right; active 2 points better.
        let obs: Vec<Observation> = (0..12)
            .flat_map(|b| {
                [Condition::Active, Condition::Placebo].map(|c| Observation {
                    block: b,
                    condition: c,
                    outcome: if c == Condition::Active { 7.0 } else { 5.0 } + (b % 3) as f64 * 0.1,
                    guess: Some(if c == Condition::Active {
                        Guess::Active
                    } else {
                        Guess::Placebo
                    }),
                })
            })
            .collect();
        let a = analyse(&obs, 1).unwrap_or_else(|| panic!("analysable"));
        let r = read(Some(&a), None, 1.0, &mood, Voice::Person);
        assert!(
            r.headline.contains("2 points better on active days"),
            "{}",
            r.headline
        );
        assert!(
            r.headline
                .contains("chance alone is an unlikely explanation"),
            "{}",
            r.headline
        );
        assert!(
            r.lines.iter().any(|l| l.contains("right on 24 of 24 days")),
            "{:?}",
            r.lines
        );
        assert!(
            r.lines
                .iter()
                .any(|l| l.contains("the blind was probably broken")),
            "{:?}",
            r.lines
        );
        let c = read(Some(&a), None, 1.0, &mood, Voice::Clinician);
        assert_eq!(c.headline, r.headline, "the same finding");
        assert!(
            c.lines
                .iter()
                .any(|l| l.starts_with("The patient's guesses were right on 24 of 24"))
                && c.lines
                    .iter()
                    .any(|l| l.starts_with("The patient could tell"))
                && !c
                    .lines
                    .iter()
                    .any(|l| l.contains("your clinician") || l.contains(" you ")),
            "{:?}",
            c.lines
        );
        assert!(
            r.lines
                .iter()
                .any(|l| l.contains("Too few days were guessed wrong")),
            "{:?}",
            r.lines
        );
    }
}
