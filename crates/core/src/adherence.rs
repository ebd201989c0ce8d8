//! Plan versus actual: which planned days were dosed, which were missed, which doses were off
//! the plan. A dose counts on the local date of the zone it was logged in.

use crate::dose::Dose;
use crate::protocol::{Pattern, Protocol};
use crate::route::Substance;
use crate::schedule::{is_planned, planned_dates};
use jiff::civil::Date;
use serde::Serialize;
use std::collections::BTreeMap;

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Adherence {
    pub from: Date,
    pub to: Date,
    /// Planned days in the window (today counts only once dosed).
    pub planned_days: usize,
    pub planned_days_dosed: usize,
    /// Planned days dosed ÷ planned days; `None` when nothing was planned.
    pub adherence: Option<f64>,
    pub missed: Vec<Date>,
    /// Doses on days the plan did not plan.
    pub off_plan_dose_ids: Vec<i64>,
    /// Second and later doses on a planned day.
    pub extra_dose_ids: Vec<i64>,
    /// For as-needed plans: the most doses in any 7 days, against the cap.
    pub max_in_7_days: Option<usize>,
}

/// The local date a dose was taken on, in the zone it was logged in.
pub fn local_date(d: &Dose) -> Date {
    crate::when::local_date(d.dose.at, &d.dose.zone)
}

/// The doses a protocol's adherence counts: those taken under it, and those of its substance
/// logged without a protocol since it started (back-filled before it was entered). One rule
/// for the report, `protocol show` and the clinic's caseload.
pub fn doses_for<'a>(p: &Protocol, doses: impl IntoIterator<Item = &'a Dose>) -> Vec<Dose> {
    doses
        .into_iter()
        .filter(|d| counts_toward(p, d.dose.protocol_id, d.dose.substance, local_date(d)))
        .cloned()
        .collect()
}

/// The rule [`doses_for`] applies to one dose, given only what it reads of it: the protocol it
/// was taken under, its substance and its local date (the clinic's caseload keeps just these).
pub fn counts_toward(
    p: &Protocol,
    protocol_id: Option<i64>,
    substance: Substance,
    day: Date,
) -> bool {
    protocol_id == Some(p.id)
        || (protocol_id.is_none() && substance == p.protocol.substance && day >= p.protocol.start)
}

/// Compare a protocol with the (non-deleted) doses from `from` to `to` inclusive. `today` bounds
/// what can be called missed: a planned day today is missed only once it is over.
pub fn adherence(p: &Protocol, doses: &[Dose], from: Date, to: Date, today: Date) -> Adherence {
    adherence_of_days(
        p,
        doses
            .iter()
            .filter(|d| d.deleted_at.is_none())
            .map(|d| (local_date(d), d.id)),
        from,
        to,
        today,
    )
}

/// [`adherence`] from each (non-deleted) dose's local date and id, in the order taken.
pub fn adherence_of_days(
    p: &Protocol,
    doses: impl IntoIterator<Item = (Date, i64)>,
    from: Date,
    to: Date,
    today: Date,
) -> Adherence {
    let mut by_day: BTreeMap<Date, Vec<i64>> = BTreeMap::new();
    for (day, id) in doses {
        if day >= from && day <= to {
            by_day.entry(day).or_default().push(id);
        }
    }
    let mut out = Adherence {
        from,
        to,
        planned_days: 0,
        planned_days_dosed: 0,
        adherence: None,
        missed: vec![],
        off_plan_dose_ids: vec![],
        extra_dose_ids: vec![],
        max_in_7_days: None,
    };
    if let Pattern::AsNeeded { .. } = p.protocol.pattern {
        let days: Vec<Date> = by_day
            .iter()
            .flat_map(|(d, ids)| std::iter::repeat_n(*d, ids.len()))
            .collect();
        let max = days
            .iter()
            .map(|start| {
                days.iter()
                    .filter(|x| **x >= *start && i64::from((**x - *start).get_days()) < 7)
                    .count()
            })
            .max()
            .unwrap_or(0);
        out.max_in_7_days = Some(max);
        return out;
    }
    for day in planned_dates(p, from, to.min(today)) {
        let dosed = by_day.contains_key(&day);
        if day == today && !dosed {
            continue; // still to come
        }
        out.planned_days += 1;
        if dosed {
            out.planned_days_dosed += 1;
        } else {
            out.missed.push(day);
        }
    }
    for (day, ids) in &by_day {
        if is_planned(p, *day) {
            out.extra_dose_ids.extend(ids.iter().skip(1));
        } else {
            out.off_plan_dose_ids.extend(ids.iter());
        }
    }
    out.adherence =
        (out.planned_days > 0).then(|| out.planned_days_dosed as f64 / out.planned_days as f64);
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dose::NewDose;
    use crate::dose_expr::Quantity;
    use crate::protocol::Pattern;
    use crate::route::{Route, Substance};
    use crate::testing::date as d;
    use crate::testing::ts;
    use crate::units::Milligrams;

    fn dose(id: i64, at: &str) -> Dose {
        Dose {
            id,
            dose: NewDose {
                entered: "10 mg".into(),
                quantity: Quantity::Mg(Milligrams::positive(10.0).unwrap_or(Milligrams::zero())),
                dose_mg: 10.0,
                dose_mg_base: 8.67,
                ..NewDose::nominal(
                    ts(at),
                    "Europe/Berlin",
                    Substance::Ketamine,
                    Route::Sublingual,
                    None,
                )
            },
            created_at: ts(at),
            updated_at: None,
            deleted_at: None,
        }
    }

    #[test]
    fn plan_vs_actual() {
        let p =
            crate::schedule::tests::protocol(Pattern::EveryNDays { n: 3 }, d("2026-12-01"), None);
        // Planned: 1, 4, 7, 10. Dosed 1 (twice), 4 at 23:30 local (22:30Z), skipped 7, off-plan on 8.
        let doses = vec![
            dose(1, "2026-12-01T07:00:00Z"),
            dose(2, "2026-12-01T18:00:00Z"),
            dose(3, "2026-12-04T22:30:00Z"),
            dose(4, "2026-12-08T07:00:00Z"),
        ];
        let a = adherence(
            &p,
            &doses,
            d("2026-12-01"),
            d("2026-12-10"),
            d("2026-12-10"),
        );
        assert_eq!(a.planned_days, 3, "today's planned day is not yet missed");
        assert_eq!(a.planned_days_dosed, 2);
        assert_eq!(a.missed, vec![d("2026-12-07")]);
        assert_eq!(a.extra_dose_ids, vec![2]);
        assert_eq!(a.off_plan_dose_ids, vec![4]);
        assert!((a.adherence.unwrap_or(0.0) - 2.0 / 3.0).abs() < 1e-12);
    }

    #[test]
    fn late_evening_dose_counts_on_its_local_day() {
        let p =
            crate::schedule::tests::protocol(Pattern::EveryNDays { n: 1 }, d("2026-12-01"), None);
        // 23:30 in Berlin on 1 December is 22:30Z: still the 1st locally.
        let a = adherence(
            &p,
            &[dose(1, "2026-12-01T22:30:00Z")],
            d("2026-12-01"),
            d("2026-12-01"),
            d("2026-12-02"),
        );
        assert_eq!((a.planned_days, a.planned_days_dosed), (1, 1));
    }

    #[test]
    fn as_needed_reports_the_busiest_week() {
        let p = crate::schedule::tests::protocol(
            Pattern::AsNeeded {
                min_interval_hours: 48,
                weekly_cap: 2,
            },
            d("2026-12-01"),
            None,
        );
        let doses = vec![
            dose(1, "2026-12-01T07:00:00Z"),
            dose(2, "2026-12-03T07:00:00Z"),
            dose(3, "2026-12-06T07:00:00Z"),
            dose(4, "2026-12-20T07:00:00Z"),
        ];
        let a = adherence(
            &p,
            &doses,
            d("2026-12-01"),
            d("2026-12-31"),
            d("2026-12-31"),
        );
        assert_eq!(a.max_in_7_days, Some(3));
        assert_eq!(a.adherence, None);
    }
}
