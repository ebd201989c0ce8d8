//! The schedule engine: which calendar days a protocol plans a dose on, and at what instant.
//!
//! Guarantees (property-tested in this module):
//! - Planning is by **calendar date**, never by 24-hour periods: day *i* of a plan is the start
//!   date plus *i* days, so DST changes and zone changes cannot add, drop or double a dose day.
//! - The planned instant of a dose day is its local time **in the zone the person is in that
//!   day** ("the plan follows the calendar day where you are"): 08:00 stays 08:00 local across
//!   DST and after travel.
//! - A planned local time that does not exist (skipped by a DST change) moves **forward by the
//!   length of the gap** (02:30 in a 02:00→03:00 gap becomes 03:30), as RFC 5545 prescribes for
//!   calendars; a time that occurs twice takes the **earlier** instant. Either way the slot stays
//!   on its own local date.
//! - Cycles restart the pattern: each cycle's first day is a dose day (for day-based patterns),
//!   and no dose is planned during a break, a pause, before the start or after the end.

use crate::protocol::{Pattern, Protocol, WeekdayName};
use jiff::Timestamp;
use jiff::civil::Date;
use jiff::tz::TimeZone;
use serde::Serialize;

/// What kind of day a date is under a protocol.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum DayKind {
    BeforeStart,
    /// A planned dose day.
    Dose,
    /// The day after a dose day (after-effects can linger; a common journaling distinction).
    Transition,
    /// Neither.
    Off,
    /// A planned break between cycles.
    Break,
    Paused,
    Ended,
    /// An as-needed protocol plans no days.
    AsNeeded,
}

impl DayKind {
    pub fn label(self) -> &'static str {
        match self {
            DayKind::BeforeStart => "before the plan starts",
            DayKind::Dose => "a dose day",
            DayKind::Transition => "a transition day (the day after a dose day)",
            DayKind::Off => "an off day",
            DayKind::Break => "a break day",
            DayKind::Paused => "paused",
            DayKind::Ended => "after the plan ended",
            DayKind::AsNeeded => "an as-needed plan (no fixed dose days)",
        }
    }
}

/// Where a date sits in the cycle/break rhythm.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct CyclePosition {
    /// 1-based cycle number.
    pub cycle: u32,
    pub in_break: bool,
    /// 1-based day within the current phase (cycle days or break days).
    pub day: u32,
    /// Length of the current phase.
    pub phase_days: u32,
}

/// Days from the start to `date` (negative before the start).
pub(crate) fn day_index(p: &Protocol, date: Date) -> i64 {
    i64::from((date - p.protocol.start).get_days())
}

fn paused_on(p: &Protocol, date: Date) -> bool {
    p.pauses
        .iter()
        .any(|x| date >= x.from && x.to.is_none_or(|to| date <= to))
}

fn ended_by(p: &Protocol, date: Date) -> bool {
    p.protocol.end.is_some_and(|e| date > e)
}

/// The cycle position of `date`, when the protocol has cycles and the date is in the plan.
pub fn cycle_position(p: &Protocol, date: Date) -> Option<CyclePosition> {
    let c = p.protocol.cycle?;
    let i = day_index(p, date);
    if i < 0 {
        return None;
    }
    let period = i64::from(c.on_days + c.break_days);
    let pos = i.rem_euclid(period);
    let cycle = u32::try_from(i / period + 1).unwrap_or(u32::MAX);
    let on = i64::from(c.on_days);
    Some(if pos < on {
        CyclePosition {
            cycle,
            in_break: false,
            day: (pos + 1) as u32,
            phase_days: c.on_days,
        }
    } else {
        CyclePosition {
            cycle,
            in_break: true,
            day: (pos - on + 1) as u32,
            phase_days: c.break_days,
        }
    })
}

/// True when the pattern (ignoring pauses, start and end) plans a dose on `date`.
fn pattern_plans(p: &Protocol, date: Date) -> bool {
    let i = day_index(p, date);
    if i < 0 {
        return false;
    }
    // Within a cycle the pattern counts from the cycle's first day.
    let phase_index = match p.protocol.cycle {
        Some(c) => {
            let pos = i.rem_euclid(i64::from(c.on_days + c.break_days));
            if pos >= i64::from(c.on_days) {
                return false;
            }
            pos
        }
        None => i,
    };
    match &p.protocol.pattern {
        Pattern::EveryNDays { n } => phase_index.rem_euclid(i64::from(*n)) == 0,
        Pattern::OnOff { on, off } => phase_index.rem_euclid(i64::from(on + off)) < i64::from(*on),
        Pattern::Weekdays { days } => days.contains(&WeekdayName::of(date)),
        Pattern::AsNeeded { .. } => false,
    }
}

/// True when the protocol plans a dose on `date` (local calendar date).
pub fn is_planned(p: &Protocol, date: Date) -> bool {
    date >= p.protocol.start && !ended_by(p, date) && !paused_on(p, date) && pattern_plans(p, date)
}

/// The kind of day `date` is.
pub fn day_kind(p: &Protocol, date: Date) -> DayKind {
    if matches!(p.protocol.pattern, Pattern::AsNeeded { .. }) {
        return if ended_by(p, date) {
            DayKind::Ended
        } else {
            DayKind::AsNeeded
        };
    }
    if date < p.protocol.start {
        return DayKind::BeforeStart;
    }
    if ended_by(p, date) {
        return DayKind::Ended;
    }
    if paused_on(p, date) {
        return DayKind::Paused;
    }
    if cycle_position(p, date).is_some_and(|c| c.in_break) {
        return DayKind::Break;
    }
    if is_planned(p, date) {
        return DayKind::Dose;
    }
    match date.yesterday() {
        Ok(y) if is_planned(p, y) => DayKind::Transition,
        _ => DayKind::Off,
    }
}

/// Planned dose dates from `from` to `to`, inclusive, in order.
pub fn planned_dates(p: &Protocol, from: Date, to: Date) -> Vec<Date> {
    let mut out = Vec::new();
    let mut d = from.max(p.protocol.start);
    let last = match p.protocol.end {
        Some(e) => to.min(e),
        None => to,
    };
    while d <= last {
        if is_planned(p, d) {
            out.push(d);
        }
        match d.tomorrow() {
            Ok(n) => d = n,
            Err(_) => break,
        }
    }
    out
}

/// The next `n` planned dates on or after `from` (looking at most ten years ahead).
pub fn next_planned(p: &Protocol, from: Date, n: usize) -> Vec<Date> {
    let mut out = Vec::new();
    let mut d = from.max(p.protocol.start);
    for _ in 0..3660 {
        if out.len() >= n || ended_by(p, d) {
            break;
        }
        if is_planned(p, d) {
            out.push(d);
        }
        match d.tomorrow() {
            Ok(x) => d = x,
            Err(_) => break,
        }
    }
    out
}

/// The instant of the planned dose on `date`, at the protocol's local time in `tz` (the zone
/// the person is in that day). Gaps move forward by their length; folds take the earlier time.
pub fn slot(p: &Protocol, date: Date, tz: &TimeZone) -> Timestamp {
    let dt = date.to_datetime(p.protocol.time);
    // `compatible` is exactly the documented rule; it only fails beyond jiff's supported range.
    tz.to_ambiguous_timestamp(dt)
        .compatible()
        .unwrap_or(Timestamp::MAX)
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::testing::date as d;

    use crate::protocol::{Cycle, Pause};

    use jiff::civil::Time;
    use proptest::prelude::*;

    pub(crate) use crate::testing::protocol;

    fn days(p: &Protocol, from: &str, n: i64) -> Vec<String> {
        let from = d(from);
        let to = from
            .checked_add(jiff::Span::new().days(n - 1))
            .unwrap_or(from);
        planned_dates(p, from, to)
            .iter()
            .map(|x| x.to_string())
            .collect()
    }

    #[test]
    fn one_on_two_off() {
        let p = protocol(Pattern::EveryNDays { n: 3 }, d("2026-12-01"), None);
        assert_eq!(
            days(&p, "2026-12-01", 9),
            vec!["2026-12-01", "2026-12-04", "2026-12-07"]
        );
        assert_eq!(day_kind(&p, d("2026-12-01")), DayKind::Dose);
        assert_eq!(day_kind(&p, d("2026-12-02")), DayKind::Transition);
        assert_eq!(day_kind(&p, d("2026-12-03")), DayKind::Off);
        assert_eq!(day_kind(&p, d("2026-11-30")), DayKind::BeforeStart);
    }

    #[test]
    fn four_on_three_off_and_weekdays() {
        let p = protocol(Pattern::OnOff { on: 4, off: 3 }, d("2026-12-01"), None);
        assert_eq!(
            days(&p, "2026-12-01", 8),
            vec![
                "2026-12-01",
                "2026-12-02",
                "2026-12-03",
                "2026-12-04",
                "2026-12-08"
            ]
        );
        let days_set = [WeekdayName::Mon, WeekdayName::Thu].into_iter().collect();
        let p = protocol(Pattern::Weekdays { days: days_set }, d("2026-12-01"), None);
        // 2026-12-01 is a Tuesday.
        assert_eq!(days(&p, "2026-12-01", 8), vec!["2026-12-03", "2026-12-07"]);
    }

    #[test]
    fn cycles_with_breaks_restart_the_pattern() {
        // 1 on / 2 off, 7-day cycle (days 1, 4, 7), then a 3-day break, then again.
        let p = protocol(
            Pattern::EveryNDays { n: 3 },
            d("2026-12-01"),
            Some(Cycle {
                on_days: 7,
                break_days: 3,
            }),
        );
        assert_eq!(
            days(&p, "2026-12-01", 14),
            vec![
                "2026-12-01",
                "2026-12-04",
                "2026-12-07",
                "2026-12-11",
                "2026-12-14"
            ]
        );
        assert_eq!(day_kind(&p, d("2026-12-08")), DayKind::Break);
        let pos = cycle_position(&p, d("2026-12-09")).unwrap_or_else(|| panic!());
        assert_eq!(
            (pos.cycle, pos.in_break, pos.day, pos.phase_days),
            (1, true, 2, 3)
        );
        let pos = cycle_position(&p, d("2026-12-11")).unwrap_or_else(|| panic!());
        assert_eq!((pos.cycle, pos.in_break, pos.day), (2, false, 1));
    }

    #[test]
    fn pauses_and_end() {
        let mut p = protocol(Pattern::EveryNDays { n: 1 }, d("2026-12-01"), None);
        p.pauses.push(Pause {
            from: d("2026-12-03"),
            to: Some(d("2026-12-04")),
        });
        p.protocol.end = Some(d("2026-12-06"));
        assert_eq!(
            days(&p, "2026-12-01", 10),
            vec!["2026-12-01", "2026-12-02", "2026-12-05", "2026-12-06"]
        );
        assert_eq!(day_kind(&p, d("2026-12-03")), DayKind::Paused);
        assert_eq!(day_kind(&p, d("2026-12-07")), DayKind::Ended);
        assert_eq!(
            next_planned(&p, d("2026-12-02"), 5),
            vec![d("2026-12-02"), d("2026-12-05"), d("2026-12-06")]
        );
    }

    #[test]
    fn dst_gap_moves_forward_and_fold_takes_earlier() {
        let berlin = crate::when::zone("Europe/Berlin").unwrap_or_else(|e| panic!("{e}"));
        let mut p = protocol(Pattern::EveryNDays { n: 1 }, d("2026-03-01"), None);
        p.protocol.time = Time::new(2, 30, 0, 0).unwrap_or(Time::midnight());
        // 29 March 2026: 02:00 → 03:00 in Berlin. 02:30 does not exist → 03:30 CEST = 01:30Z.
        assert_eq!(
            slot(&p, d("2026-03-29"), &berlin).to_string(),
            "2026-03-29T01:30:00Z"
        );
        // 25 October 2026: 03:00 → 02:00. 02:30 happens twice → the earlier, 02:30 CEST = 00:30Z.
        assert_eq!(
            slot(&p, d("2026-10-25"), &berlin).to_string(),
            "2026-10-25T00:30:00Z"
        );
        // 08:00 stays 08:00 local either side of the change.
        p.protocol.time = Time::new(8, 0, 0, 0).unwrap_or(Time::midnight());
        assert_eq!(
            slot(&p, d("2026-03-28"), &berlin).to_string(),
            "2026-03-28T07:00:00Z"
        );
        assert_eq!(
            slot(&p, d("2026-03-30"), &berlin).to_string(),
            "2026-03-30T06:00:00Z"
        );
    }

    const ZONES: &[&str] = &[
        "Europe/Berlin",
        "Europe/London",
        "Europe/Dublin",
        "America/New_York",
        "America/Los_Angeles",
        "America/Santiago", // DST changes at midnight
        "America/Havana",   // DST changes at midnight
        "America/Asuncion",
        "Australia/Lord_Howe", // 30-minute DST shift
        "Pacific/Apia",        // skipped a whole day in 2011
        "Asia/Beirut",         // DST at midnight
        "Asia/Kolkata",
        "UTC",
    ];

    fn pattern_strategy() -> impl Strategy<Value = Pattern> {
        prop_oneof![
            (1u32..=10).prop_map(|n| Pattern::EveryNDays { n }),
            (1u32..=6, 1u32..=6).prop_map(|(on, off)| Pattern::OnOff { on, off }),
            prop::collection::btree_set(
                prop::sample::select(vec![
                    WeekdayName::Mon,
                    WeekdayName::Tue,
                    WeekdayName::Wed,
                    WeekdayName::Thu,
                    WeekdayName::Fri,
                    WeekdayName::Sat,
                    WeekdayName::Sun,
                ]),
                1..=7
            )
            .prop_map(|days| Pattern::Weekdays { days }),
        ]
    }

    /// Expected number of dose days in the first `len` days of a plan, by arithmetic.
    fn expected_count(p: &Protocol, len: i64) -> i64 {
        let per_phase = |phase_len: i64| -> i64 {
            match &p.protocol.pattern {
                Pattern::EveryNDays { n } => (phase_len + i64::from(*n) - 1) / i64::from(*n),
                Pattern::OnOff { on, off } => {
                    let period = i64::from(on + off);
                    (phase_len / period) * i64::from(*on) + (phase_len % period).min(i64::from(*on))
                }
                _ => 0,
            }
        };
        match p.protocol.cycle {
            None => per_phase(len),
            Some(c) => {
                let period = i64::from(c.on_days + c.break_days);
                let full = len / period;
                let rest = (len % period).min(i64::from(c.on_days));
                full * per_phase(i64::from(c.on_days)) + per_phase(rest)
            }
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 300, ..ProptestConfig::default() })]

        /// Counts match the arithmetic; every slot lands on its own local date, in order, at the
        /// planned time or moved forward by a DST gap of at most an hour.
        #[test]
        fn schedule_holds_in_every_zone(
            start_days in 0i64..(365 * 12),
            len in 1i64..400,
            pattern in pattern_strategy(),
            cycle in prop::option::of((1u32..=60, 1u32..=30)),
            zone_ix in 0usize..ZONES.len(),
            hour in 0i8..24,
            minute in prop::sample::select(vec![0i8, 15, 30, 45]),
        ) {
            let start = d("2020-01-01").checked_add(jiff::Span::new().days(start_days)).unwrap_or(d("2020-01-01"));
            let mut p = protocol(pattern, start, cycle.map(|(on_days, break_days)| Cycle { on_days, break_days }));
            p.protocol.time = Time::new(hour, minute, 0, 0).unwrap_or(Time::midnight());
            let tz = crate::when::zone(ZONES[zone_ix]).map_err(|e| TestCaseError::fail(e.to_string()))?;
            let to = start.checked_add(jiff::Span::new().days(len - 1)).unwrap_or(start);
            let dates = planned_dates(&p, start, to);

            if !matches!(p.protocol.pattern, Pattern::Weekdays { .. }) {
                prop_assert_eq!(dates.len() as i64, expected_count(&p, len));
            } else {
                // Weekdays: brute force against the weekday set (and the cycle's on-phase).
                let Pattern::Weekdays { days } = &p.protocol.pattern else { unreachable!() };
                let n = (0..len)
                    .filter_map(|i| start.checked_add(jiff::Span::new().days(i)).ok())
                    .filter(|x| cycle_position(&p, *x).is_none_or(|c| !c.in_break) && days.contains(&WeekdayName::of(*x)))
                    .count();
                prop_assert_eq!(dates.len(), n);
            }

            let mut last: Option<Timestamp> = None;
            for date in &dates {
                let s = slot(&p, *date, &tz);
                let local = s.to_zoned_datetime(tz.clone());
                // On its own local date: never moved to another day, so never two on one day.
                prop_assert_eq!(local.date(), *date, "slot left its date in {}", ZONES[zone_ix]);
                // At the planned time, or pushed forward by a gap of at most one hour.
                let planned = date.to_datetime(p.protocol.time);
                let shift = local.datetime().duration_since(planned);
                prop_assert!(shift >= jiff::SignedDuration::ZERO && shift <= jiff::SignedDuration::from_hours(1),
                    "{} planned {} got {}", ZONES[zone_ix], planned, local);
                if let Some(prev) = last { prop_assert!(s > prev); }
                last = Some(s);
            }
        }

        /// Travel: whichever zone the person is in each day, each planned day keeps exactly one
        /// slot on that local date, and the set of planned days does not change.
        #[test]
        fn schedule_follows_the_traveller(
            start_days in 0i64..(365 * 8),
            pattern in pattern_strategy(),
            zones in prop::collection::vec(0usize..ZONES.len(), 60),
        ) {
            let start = d("2022-01-01").checked_add(jiff::Span::new().days(start_days)).unwrap_or(d("2022-01-01"));
            let p = protocol(pattern, start, None);
            let to = start.checked_add(jiff::Span::new().days(59)).unwrap_or(start);
            let dates = planned_dates(&p, start, to);
            for date in &dates {
                let i = usize::try_from(day_index(&p, *date)).unwrap_or(0);
                let tz = crate::when::zone(ZONES[zones[i]]).map_err(|e| TestCaseError::fail(e.to_string()))?;
                let local = slot(&p, *date, &tz).to_zoned_datetime(tz.clone());
                prop_assert_eq!(local.date(), *date);
                prop_assert_eq!(local.time().hour(), 8);
            }
            // Which days are planned does not depend on the zones: the count is the pattern's
            // arithmetic (or, for chosen weekdays, the weekdays in the 60 days), worked out
            // without the schedule code, and no day is planned twice.
            let expected = match &p.protocol.pattern {
                Pattern::Weekdays { days } => (0..60)
                    .filter_map(|i| start.checked_add(jiff::Span::new().days(i)).ok())
                    .filter(|x| days.contains(&WeekdayName::of(*x)))
                    .count() as i64,
                _ => expected_count(&p, 60),
            };
            prop_assert_eq!(dates.len() as i64, expected);
            let mut unique = dates.clone();
            unique.dedup();
            prop_assert_eq!(unique.len(), dates.len());
        }
    }
}
