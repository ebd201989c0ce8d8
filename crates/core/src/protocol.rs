//! Protocols: the plan a person follows with their clinician — which days, what time, what
//! dose, in cycles with breaks, with a titration ladder and the limits of the prescription.
//!
//! A protocol is data; [`crate::schedule`] turns it into calendar days and instants,
//! [`crate::titration`] reads check-ins against it, and the safety engine enforces its limits.

use crate::dose_expr::Quantity;
use crate::route::{Route, Substance};
use crate::text::{self, TextError};
use crate::units::fmt_num;
use jiff::Timestamp;
use jiff::civil::{Date, Time, Weekday};
use serde::{Deserialize, Serialize};
use std::collections::BTreeSet;
use thiserror::Error;

/// Which days are dose days.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Pattern {
    /// Every n-th day from the start: 1 = daily, 2 = every other day, 3 = one day on, two off.
    EveryNDays { n: u32 },
    /// `on` days in a row, then `off` days, repeating (4 on / 3 off).
    OnOff { on: u32, off: u32 },
    /// Chosen weekdays (Monday and Thursday).
    Weekdays { days: BTreeSet<WeekdayName> },
    /// No planned days: doses when needed, at least `min_interval_hours` apart, at most
    /// `weekly_cap` in any 7 days.
    AsNeeded {
        min_interval_hours: u32,
        weekly_cap: u32,
    },
}

/// A weekday, serialised by name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum WeekdayName {
    Mon,
    Tue,
    Wed,
    Thu,
    Fri,
    Sat,
    Sun,
}

impl WeekdayName {
    pub fn of(d: Date) -> Self {
        match d.weekday() {
            Weekday::Monday => WeekdayName::Mon,
            Weekday::Tuesday => WeekdayName::Tue,
            Weekday::Wednesday => WeekdayName::Wed,
            Weekday::Thursday => WeekdayName::Thu,
            Weekday::Friday => WeekdayName::Fri,
            Weekday::Saturday => WeekdayName::Sat,
            Weekday::Sunday => WeekdayName::Sun,
        }
    }
    pub fn parse(s: &str) -> Option<Self> {
        let s = s.trim().to_ascii_lowercase();
        Some(match s.get(..3)? {
            "mon" => WeekdayName::Mon,
            "tue" => WeekdayName::Tue,
            "wed" => WeekdayName::Wed,
            "thu" => WeekdayName::Thu,
            "fri" => WeekdayName::Fri,
            "sat" => WeekdayName::Sat,
            "sun" => WeekdayName::Sun,
            _ => return None,
        })
    }
    pub fn as_str(self) -> &'static str {
        match self {
            WeekdayName::Mon => "Mon",
            WeekdayName::Tue => "Tue",
            WeekdayName::Wed => "Wed",
            WeekdayName::Thu => "Thu",
            WeekdayName::Fri => "Fri",
            WeekdayName::Sat => "Sat",
            WeekdayName::Sun => "Sun",
        }
    }
}

impl Pattern {
    /// "every 3rd day (1 on / 2 off)", "4 on / 3 off", "Mon, Thu", "as needed".
    pub fn describe(&self) -> String {
        match self {
            Pattern::EveryNDays { n: 1 } => "daily".into(),
            Pattern::EveryNDays { n: 2 } => "every other day".into(),
            Pattern::EveryNDays { n } => {
                format!("every {n} days (1 day on, {} off)", n.saturating_sub(1))
            }
            Pattern::OnOff { on, off } => format!("{on} days on, {off} off"),
            Pattern::Weekdays { days } => days
                .iter()
                .map(|d| d.as_str())
                .collect::<Vec<_>>()
                .join(", "),
            Pattern::AsNeeded {
                min_interval_hours,
                weekly_cap,
            } => {
                format!(
                    "as needed, at least {min_interval_hours} h apart, at most {weekly_cap} in 7 days"
                )
            }
        }
    }
}

/// A cycle of `on_days` on the pattern followed by a planned break of `break_days` (a clinician's
/// choice; Dosewise makes no claim that breaks limit tolerance).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Cycle {
    pub on_days: u32,
    pub break_days: u32,
}

/// A titration ladder. Amounts in mg as labelled (the salt form of the protocol's stock).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Titration {
    pub start_mg: f64,
    pub step_mg: f64,
    pub min_days_per_step: u32,
    pub ceiling_mg: f64,
}

/// Limits from a prescription or set by the person. Enforced by the safety engine.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
pub struct Limits {
    pub max_per_dose_mg: Option<f64>,
    pub max_per_day_mg: Option<f64>,
    pub max_per_7_days_mg: Option<f64>,
    pub min_interval_hours: Option<f64>,
    /// Supply dispensed under the prescription, in the stock's supply unit.
    pub supply_dispensed: Option<f64>,
    pub refill_date: Option<Date>,
    /// A reading above this before a dose warns (default [`crate::vitals::BP_WARN_ABOVE`]).
    #[serde(default)]
    pub bp_warn_above: Option<crate::vitals::BpLimit>,
    /// A reading at or above this before a dose refuses it (default
    /// [`crate::vitals::BP_REFUSE_FROM`]).
    #[serde(default)]
    pub bp_refuse_from: Option<crate::vitals::BpLimit>,
}

impl Limits {
    /// Each limit in words: "at most 25 mg a dose", "48 h between doses", "refill on …".
    pub fn describe(&self) -> Vec<String> {
        let mut v = Vec::new();
        if let Some(x) = self.max_per_dose_mg {
            v.push(format!("at most {} mg a dose", fmt_num(x)));
        }
        if let Some(x) = self.max_per_day_mg {
            v.push(format!("{} mg a day", fmt_num(x)));
        }
        if let Some(x) = self.max_per_7_days_mg {
            v.push(format!("{} mg in any 7 days", fmt_num(x)));
        }
        if let Some(x) = self.min_interval_hours {
            v.push(format!("at least {} h between doses", fmt_num(x)));
        }
        if let Some(x) = self.supply_dispensed {
            v.push(format!("{} dispensed", fmt_num(x)));
        }
        if let Some(x) = self.refill_date {
            v.push(format!("refill on {x}"));
        }
        if let Some(x) = self.bp_warn_above {
            v.push(format!("blood pressure: warn above {x}"));
        }
        if let Some(x) = self.bp_refuse_from {
            v.push(format!("blood pressure: no dose from {x}"));
        }
        v
    }

    /// The blood-pressure tiers in force: the protocol's, else the defaults.
    pub fn bp_tiers(&self) -> (crate::vitals::BpLimit, crate::vitals::BpLimit) {
        (
            self.bp_warn_above.unwrap_or(crate::vitals::BP_WARN_ABOVE),
            self.bp_refuse_from.unwrap_or(crate::vitals::BP_REFUSE_FROM),
        )
    }
}

/// The planned dose.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DoseTarget {
    /// As typed ("1/2 troche").
    pub entered: String,
    pub quantity: Quantity,
    /// Milligrams as labelled, when known (resolved through the stock).
    pub mg: Option<f64>,
}

/// A period when the protocol was paused (inclusive dates; `to` open while paused).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Pause {
    pub from: Date,
    pub to: Option<Date>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    Active,
    Paused,
    Ended,
}

impl Status {
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Active => "active",
            Status::Paused => "paused",
            Status::Ended => "ended",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NewProtocol {
    pub name: String,
    pub substance: Substance,
    pub pattern: Pattern,
    /// First day of the plan (a dose day for every pattern but weekdays and as-needed).
    pub start: Date,
    /// Last day of the plan, inclusive.
    pub end: Option<Date>,
    /// Local time of day of a planned dose.
    pub time: Time,
    /// The home zone the protocol was written in (the calendar feed's reference).
    pub zone: String,
    pub dose: DoseTarget,
    pub stock_id: Option<i64>,
    pub route: Option<Route>,
    pub cycle: Option<Cycle>,
    pub titration: Option<Titration>,
    pub limits: Limits,
    /// Daily check-in reminder time for the calendar feed.
    pub checkin_time: Option<Time>,
    /// Ask for a blood-pressure reading before each dose.
    #[serde(default)]
    pub require_bp: bool,
    /// Doses are taken with a sober sitter or monitor present (today shows a checklist).
    #[serde(default)]
    pub require_sitter: bool,
    pub note: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Protocol {
    pub id: i64,
    #[serde(flatten)]
    pub protocol: NewProtocol,
    pub status: Status,
    pub pauses: Vec<Pause>,
    pub created_at: Timestamp,
    pub ended_at: Option<Timestamp>,
}

/// What happened to a protocol, for its history and for titration ("since the last step").
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ProtocolEvent {
    pub id: i64,
    pub protocol_id: i64,
    pub at: Timestamp,
    /// Local date the change takes effect.
    pub date: Date,
    pub kind: ProtocolEventKind,
    /// What changed, in words ("dose 12.5 mg → 18.75 mg").
    pub detail: Option<String>,
}

impl ProtocolEvent {
    /// A history line (id 0 until stored).
    pub fn new(
        protocol_id: i64,
        at: Timestamp,
        date: Date,
        kind: ProtocolEventKind,
        detail: Option<String>,
    ) -> ProtocolEvent {
        ProtocolEvent {
            id: 0,
            protocol_id,
            at,
            date,
            kind,
            detail,
        }
    }

    /// In words: "started", "dose changed: dose 12.5 mg → 18.75 mg", "paused".
    pub fn describe(&self) -> String {
        let kind = match self.kind {
            ProtocolEventKind::Created => "started".to_string(),
            ProtocolEventKind::Changed => "plan changed".to_string(),
            k => k.as_str().replace('_', " "),
        };
        match &self.detail {
            Some(d) => format!("{kind}: {d}"),
            None => kind,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ProtocolEventKind {
    Created,
    DoseChanged,
    Changed,
    Paused,
    Resumed,
    Ended,
}

impl ProtocolEventKind {
    pub fn as_str(self) -> &'static str {
        match self {
            ProtocolEventKind::Created => "created",
            ProtocolEventKind::DoseChanged => "dose_changed",
            ProtocolEventKind::Changed => "changed",
            ProtocolEventKind::Paused => "paused",
            ProtocolEventKind::Resumed => "resumed",
            ProtocolEventKind::Ended => "ended",
        }
    }
    pub fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "created" => ProtocolEventKind::Created,
            "dose_changed" => ProtocolEventKind::DoseChanged,
            "changed" => ProtocolEventKind::Changed,
            "paused" => ProtocolEventKind::Paused,
            "resumed" => ProtocolEventKind::Resumed,
            "ended" => ProtocolEventKind::Ended,
            _ => return None,
        })
    }
}

/// What starting a protocol does to a journal: at most one protocol is current (active or
/// paused) per substance, so a new one ends the current one, each with a history line.
#[derive(Debug, Clone, PartialEq)]
pub struct Switch {
    /// The protocol that was current, now ended, and its history line.
    pub ended: Option<(Protocol, ProtocolEvent)>,
    /// The new protocol (id 0 until stored), active from `at`.
    pub started: Protocol,
    /// Its "started" history line (protocol id 0 until stored).
    pub created: ProtocolEvent,
}

/// The one rule for starting a protocol, applied by every backend inside its write:
/// `current` is the substance's current protocol as the backend reads it there.
pub fn switch(current: Option<Protocol>, new: &NewProtocol, at: Timestamp, date: Date) -> Switch {
    let line = |protocol_id, kind, detail| ProtocolEvent::new(protocol_id, at, date, kind, detail);
    let ended = current.map(|mut old| {
        old.status = Status::Ended;
        old.ended_at = Some(at);
        let detail = format!("replaced by \"{}\"", new.name);
        let e = line(old.id, ProtocolEventKind::Ended, Some(detail));
        (old, e)
    });
    Switch {
        ended,
        started: Protocol {
            id: 0,
            protocol: new.clone(),
            status: Status::Active,
            pauses: Vec::new(),
            created_at: at,
            ended_at: None,
        },
        created: line(0, ProtocolEventKind::Created, None),
    }
}

/// Bounds that keep a protocol sane (absurd values are typos).
pub(crate) const MAX_EVERY_N: u32 = 60;
pub(crate) const MAX_CYCLE_DAYS: u32 = 366;
pub(crate) const MAX_PLAN_YEARS: i16 = 20;

#[derive(Debug, Clone, PartialEq, Error)]
pub enum ProtocolError {
    #[error("{0}")]
    Invalid(String),
    #[error(transparent)]
    Text(#[from] TextError),
}

fn invalid<T>(msg: impl Into<String>) -> Result<T, ProtocolError> {
    Err(ProtocolError::Invalid(msg.into()))
}

fn positive_mg(what: &str, v: f64) -> Result<(), ProtocolError> {
    if crate::plausible::single_dose(v) {
        Ok(())
    } else {
        invalid(format!(
            "{what} must be above 0 and at most {} mg, got {v}",
            crate::plausible::MAX_DOSE_MG
        ))
    }
}

impl NewProtocol {
    /// Check every field; the first problem is reported with how to fix it.
    pub fn validate(&self) -> Result<(), ProtocolError> {
        text::label("protocol name", &self.name)?;
        text::note(self.note.as_deref())?;
        crate::when::zone(&self.zone).map_err(|e| ProtocolError::Invalid(e.to_string()))?;
        match &self.pattern {
            Pattern::EveryNDays { n } if *n == 0 || *n > MAX_EVERY_N => {
                return invalid(format!(
                    "the interval must be from 1 to {MAX_EVERY_N} days (every 1 = daily), got {n}"
                ));
            }
            Pattern::OnOff { on, off } if *on == 0 || *off == 0 || on + off > MAX_CYCLE_DAYS => {
                return invalid(format!(
                    "on/off needs at least 1 day on and 1 day off (and at most {MAX_CYCLE_DAYS} together), got {on}/{off}"
                ));
            }
            Pattern::Weekdays { days } if days.is_empty() => {
                return invalid("choose at least one weekday");
            }
            Pattern::AsNeeded {
                min_interval_hours,
                weekly_cap,
            } => {
                if *min_interval_hours == 0 || *min_interval_hours > 24 * 60 {
                    return invalid(format!(
                        "an as-needed protocol needs a minimum interval from 1 hour to 60 days, got {min_interval_hours} h"
                    ));
                }
                if *weekly_cap == 0 || *weekly_cap > 50 {
                    return invalid(format!(
                        "the weekly cap must be from 1 to 50 doses, got {weekly_cap}"
                    ));
                }
            }
            _ => {}
        }
        if let Some(end) = self.end {
            if end < self.start {
                return invalid(format!(
                    "the end date {end} is before the start date {}",
                    self.start
                ));
            }
            if end.year() - self.start.year() > MAX_PLAN_YEARS {
                return invalid(format!(
                    "a plan longer than {MAX_PLAN_YEARS} years is not plausible; check the end date"
                ));
            }
        }
        if let Some(c) = self.cycle {
            if c.on_days == 0 || c.on_days > MAX_CYCLE_DAYS {
                return invalid(format!(
                    "a cycle must last from 1 to {MAX_CYCLE_DAYS} days, got {}",
                    c.on_days
                ));
            }
            if c.break_days == 0 || c.break_days > MAX_CYCLE_DAYS {
                return invalid(format!(
                    "a break must last from 1 to {MAX_CYCLE_DAYS} days, got {}",
                    c.break_days
                ));
            }
            if matches!(self.pattern, Pattern::AsNeeded { .. }) {
                return invalid("cycles and breaks apply to scheduled patterns, not to as-needed");
            }
        }
        if let Some(t) = &self.titration {
            positive_mg("the titration start", t.start_mg)?;
            positive_mg("the titration step", t.step_mg)?;
            positive_mg("the ceiling", t.ceiling_mg)?;
            if t.ceiling_mg < t.start_mg {
                return invalid(format!(
                    "the ceiling ({} mg) is below the start dose ({} mg)",
                    crate::units::fmt_num(t.ceiling_mg),
                    crate::units::fmt_num(t.start_mg)
                ));
            }
            if t.min_days_per_step == 0 || t.min_days_per_step > MAX_CYCLE_DAYS {
                return invalid(format!(
                    "days per step must be from 1 to {MAX_CYCLE_DAYS}, got {}",
                    t.min_days_per_step
                ));
            }
        }
        let l = &self.limits;
        for (what, v) in [
            ("the per-dose limit", l.max_per_dose_mg),
            ("the daily limit", l.max_per_day_mg),
            ("the 7-day limit", l.max_per_7_days_mg),
        ] {
            if let Some(v) = v
                && !crate::plausible::limit_mg(v)
            {
                return invalid(format!("{what} must be a positive number of mg, got {v}"));
            }
        }
        if let (Some(d), Some(w)) = (l.max_per_dose_mg, l.max_per_day_mg)
            && w < d
        {
            return invalid("the daily limit is below the per-dose limit");
        }
        if let (Some(d), Some(w)) = (l.max_per_day_mg, l.max_per_7_days_mg)
            && w < d
        {
            return invalid("the 7-day limit is below the daily limit");
        }
        if let Some(h) = l.min_interval_hours
            && !(h.is_finite() && h > 0.0 && h <= 24.0 * 60.0)
        {
            return invalid(format!(
                "the minimum interval must be from 0 to 1440 hours, got {h}"
            ));
        }
        if let Some(s) = l.supply_dispensed
            && !(s.is_finite() && s >= 0.0)
        {
            return invalid("the dispensed supply must be a number ≥ 0");
        }
        if let (Some(mg), Some(max)) = (self.dose.mg, l.max_per_dose_mg)
            && mg > max + 1e-9
        {
            return invalid(format!(
                "the planned dose ({} mg) is above the protocol's own per-dose limit ({} mg)",
                crate::units::fmt_num(mg),
                crate::units::fmt_num(max)
            ));
        }
        if let (Some(mg), Some(t)) = (self.dose.mg, &self.titration)
            && mg > t.ceiling_mg + 1e-9
        {
            return invalid("the planned dose is above the titration ceiling");
        }
        Ok(())
    }
}

/// "6w", "42d", "3 weeks", "1d" → days.
pub fn parse_days(s: &str) -> Result<u32, ProtocolError> {
    let t = s.trim().to_ascii_lowercase();
    let digits = t.bytes().take_while(u8::is_ascii_digit).count();
    let bad = || {
        ProtocolError::Invalid(format!(
            "{s:?} is not a length of time: write e.g. \"6w\" or \"21d\""
        ))
    };
    if digits == 0 || digits > 4 {
        return Err(bad());
    }
    let n: u32 = t[..digits].parse().map_err(|_| bad())?;
    let factor = match t[digits..].trim() {
        "d" | "day" | "days" => 1,
        "w" | "wk" | "week" | "weeks" => 7,
        _ => return Err(bad()),
    };
    Ok(n * factor)
}

/// "48h", "2d", "72 hours" → hours.
pub fn parse_hours(s: &str) -> Result<f64, ProtocolError> {
    let t = s.trim().to_ascii_lowercase();
    let split = t
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(t.len());
    let bad = || {
        ProtocolError::Invalid(format!(
            "{s:?} is not a duration: write e.g. \"48h\" or \"3d\""
        ))
    };
    let n: f64 = t[..split].parse().map_err(|_| bad())?;
    let factor = match t[split..].trim() {
        "h" | "hr" | "hrs" | "hour" | "hours" => 1.0,
        "d" | "day" | "days" => 24.0,
        _ => return Err(bad()),
    };
    let h = n * factor;
    if !(h.is_finite() && h > 0.0) {
        return Err(bad());
    }
    Ok(h)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations() {
        assert_eq!(parse_days("6w").ok(), Some(42));
        assert_eq!(parse_days("21d").ok(), Some(21));
        assert_eq!(parse_days("3 weeks").ok(), Some(21));
        assert!(parse_days("-3d").is_err());
        assert!(parse_days("3").is_err());
        assert_eq!(parse_hours("48h").ok(), Some(48.0));
        assert_eq!(parse_hours("3d").ok(), Some(72.0));
        assert!(parse_hours("0h").is_err());
        assert!(parse_hours("soon").is_err());
    }

    #[test]
    fn starting_a_protocol_ends_the_current_one_with_a_line_each() {
        let date: Date = "2026-11-30".parse().unwrap_or_default();
        let at = Timestamp::from_second(1_790_000_000).unwrap_or_default();
        let current = crate::testing::protocol(Pattern::EveryNDays { n: 1 }, date, None);
        let mut next = current.protocol.clone();
        next.name = "gentler".into();
        let s = switch(Some(current.clone()), &next, at, date);
        let (ended, line) = s.ended.unwrap_or_else(|| panic!("the current one ends"));
        assert_eq!(
            (ended.id, ended.status, ended.ended_at),
            (current.id, Status::Ended, Some(at))
        );
        assert_eq!(ended.protocol, current.protocol);
        assert_eq!(
            (line.protocol_id, line.kind),
            (current.id, ProtocolEventKind::Ended)
        );
        assert_eq!(line.detail.as_deref(), Some("replaced by \"gentler\""));
        assert_eq!(
            (s.started.status, s.started.created_at),
            (Status::Active, at)
        );
        assert_eq!(s.started.protocol.name, "gentler");
        assert!(s.started.pauses.is_empty() && s.started.ended_at.is_none());
        assert_eq!(
            (s.created.kind, s.created.date),
            (ProtocolEventKind::Created, date)
        );
        // The first protocol ends nothing.
        assert!(switch(None, &next, at, date).ended.is_none());
    }

    #[test]
    fn weekday_names() {
        assert_eq!(WeekdayName::parse("Thursday"), Some(WeekdayName::Thu));
        assert_eq!(WeekdayName::parse("mo"), None);
        assert_eq!(
            WeekdayName::of("2026-11-30".parse().unwrap_or_default()),
            WeekdayName::Mon
        );
    }
}
