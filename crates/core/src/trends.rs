//! Trends over recent weeks, for `dosewise check` and `today`: cumulative mg per week, the mean
//! dose rising without matching benefit (a tolerance signal), dosing frequency creeping up.
//!
//! Thresholds: a mean dose (ketamine base) up by [`RISE_FRACTION`] or more over the previous four
//! weeks while mean mood improved by less than [`BENEFIT_POINTS`] is a tolerance signal; more
//! doses in the last four weeks than in the four before, by [`FREQUENCY_RISE`] or more, is
//! frequency creep. Both need at least [`MIN_DOSES`] doses in each period.

use crate::checkin::Checkin;
use crate::dose::Dose;
use crate::safety::{Finding, Severity};
use crate::units::fmt_num;
use jiff::{SignedDuration, Timestamp};
use serde::Serialize;

pub(crate) const RISE_FRACTION: f64 = 0.2;
pub(crate) const BENEFIT_POINTS: f64 = 1.0;
pub(crate) const FREQUENCY_RISE: usize = 2;
pub(crate) const MIN_DOSES: usize = 3;

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Week {
    /// Start of the 7-day period.
    pub from: Timestamp,
    pub doses: usize,
    pub mg_base: f64,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Trends {
    /// The last 8 weeks, oldest first.
    pub weeks: Vec<Week>,
    pub mean_dose_mg_base_recent: Option<f64>,
    pub mean_dose_mg_base_prior: Option<f64>,
    pub mean_mood_recent: Option<f64>,
    pub mean_mood_prior: Option<f64>,
    pub findings: Vec<Finding>,
}

fn mean(v: &[f64]) -> Option<f64> {
    (!v.is_empty()).then(|| v.iter().sum::<f64>() / v.len() as f64)
}

pub fn trends(doses: &[Dose], checkins: &[Checkin], now: Timestamp) -> Trends {
    let ago = |days: i64| {
        now.checked_sub(SignedDuration::from_hours(24 * days))
            .unwrap_or(now)
    };
    let live: Vec<&Dose> = doses
        .iter()
        .filter(|d| d.deleted_at.is_none() && d.dose.at <= now)
        .collect();
    let weeks = (0..8)
        .rev()
        .map(|i| {
            let (from, to) = (ago(7 * (i + 1)), ago(7 * i));
            let w: Vec<&&Dose> = live
                .iter()
                .filter(|d| d.dose.at > from && d.dose.at <= to)
                .collect();
            Week {
                from,
                doses: w.len(),
                mg_base: w.iter().map(|d| d.dose.dose_mg_base).sum(),
            }
        })
        .collect();
    let period = |from: Timestamp, to: Timestamp| -> Vec<f64> {
        live.iter()
            .filter(|d| d.dose.at > from && d.dose.at <= to)
            .map(|d| d.dose.dose_mg_base)
            .collect()
    };
    let moods = |from: Timestamp, to: Timestamp| -> Vec<f64> {
        checkins
            .iter()
            .filter(|c| c.is_live() && c.checkin.at > from && c.checkin.at <= to)
            .filter_map(|c| c.checkin.ratings.mood.map(|m| f64::from(m.value())))
            .collect()
    };
    let (recent, prior) = (period(ago(28), now), period(ago(56), ago(28)));
    let (mood_recent, mood_prior) = (moods(ago(28), now), moods(ago(56), ago(28)));
    let mut t = Trends {
        weeks,
        mean_dose_mg_base_recent: mean(&recent),
        mean_dose_mg_base_prior: mean(&prior),
        mean_mood_recent: mean(&mood_recent),
        mean_mood_prior: mean(&mood_prior),
        findings: vec![],
    };
    let sources = vec![
        "SPRAVATO US label section 9.3: tolerance reported with prolonged use (H)".to_string(),
        "Front Psychiatry 2022;13:1016439: monitor for dose escalation and early refills (H)"
            .to_string(),
    ];
    if recent.len() >= MIN_DOSES && prior.len() >= MIN_DOSES {
        let (a, b) = (mean(&recent).unwrap_or(0.0), mean(&prior).unwrap_or(0.0));
        let benefit = match (mean(&mood_recent), mean(&mood_prior)) {
            (Some(x), Some(y)) => x - y,
            _ => 0.0,
        };
        if b > 0.0 && a >= b * (1.0 + RISE_FRACTION) && benefit < BENEFIT_POINTS {
            t.findings.push(Finding {
                code: "tolerance_signal".into(),
                severity: Severity::Warning,
                message: format!(
                    "Your mean dose rose from {} to {} mg base over the last four weeks, while mean mood changed by {:+.1}.",
                    fmt_num(b),
                    fmt_num(a),
                    benefit
                ),
                reason: "Needing more for the same effect is how tolerance shows; it is also an early sign of dependence.".into(),
                action: "Talk to your clinician before changing the dose further; a planned break may help.".into(),
                sources: sources.clone(),
                step: None,
            });
        }
        if recent.len() >= prior.len() + FREQUENCY_RISE {
            t.findings.push(Finding {
                code: "frequency_creep".into(),
                severity: Severity::Warning,
                message: format!("{} doses in the last four weeks, {} in the four before.", recent.len(), prior.len()),
                reason: "Dosing more often over time is a sign of tolerance and of use drifting from the plan.".into(),
                action: "Compare with your protocol and talk to your clinician.".into(),
                sources,
                step: None,
            });
        }
    }
    t
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::checkin::{Checkin, Rating, Ratings};
    use crate::testing::ts;

    fn dose(mg: f64, days_ago: i64) -> Dose {
        let at = ts("2026-11-28T08:00:00Z")
            .checked_sub(SignedDuration::from_hours(24 * days_ago))
            .unwrap_or(Timestamp::UNIX_EPOCH);
        crate::testing::dose(days_ago, at, mg)
    }
    fn mood(m: i64, days_ago: i64) -> Checkin {
        let at = ts("2026-11-28T20:00:00Z")
            .checked_sub(SignedDuration::from_hours(24 * days_ago))
            .unwrap_or(Timestamp::UNIX_EPOCH);
        let ratings = Ratings {
            mood: Rating::new(m).ok(),
            ..Ratings::default()
        };
        crate::testing::checkin(days_ago, at, ratings, &[])
    }

    #[test]
    fn rising_dose_without_benefit_is_a_tolerance_signal() {
        let now = ts("2026-11-28T12:00:00Z");
        let doses: Vec<Dose> = [
            (10.0, 50),
            (10.0, 44),
            (10.0, 38),
            (12.5, 20),
            (12.5, 14),
            (12.5, 8),
        ]
        .iter()
        .map(|(m, d)| dose(*m, *d))
        .collect();
        let checkins: Vec<Checkin> = [(5, 45), (5, 35), (5, 15), (5, 5)]
            .iter()
            .map(|(m, d)| mood(*m, *d))
            .collect();
        let t = trends(&doses, &checkins, now);
        assert!(
            t.findings.iter().any(|f| f.code == "tolerance_signal"),
            "{:?}",
            t.findings
        );
        assert_eq!(t.weeks.len(), 8);
        assert!((t.weeks.iter().map(|w| w.mg_base).sum::<f64>() - 67.5).abs() < 1e-9);
        // With a mood gain of a point or more, no signal.
        let better: Vec<Checkin> = [(4, 45), (4, 35), (6, 15), (6, 5)]
            .iter()
            .map(|(m, d)| mood(*m, *d))
            .collect();
        assert!(
            trends(&doses, &better, now)
                .findings
                .iter()
                .all(|f| f.code != "tolerance_signal")
        );
        // A 19% rise is below the threshold.
        let doses: Vec<Dose> = [
            (10.0, 50),
            (10.0, 44),
            (10.0, 38),
            (11.9, 20),
            (11.9, 14),
            (11.9, 8),
        ]
        .iter()
        .map(|(m, d)| dose(*m, *d))
        .collect();
        assert!(trends(&doses, &checkins, now).findings.is_empty());
    }

    #[test]
    fn frequency_creep() {
        let now = ts("2026-11-28T12:00:00Z");
        let mut days = vec![50, 43, 36];
        days.extend([25, 22, 19, 15, 10]);
        let doses: Vec<Dose> = days.iter().map(|d| dose(10.0, *d)).collect();
        let t = trends(&doses, &[], now);
        assert!(t.findings.iter().any(|f| f.code == "frequency_creep"));
        let doses: Vec<Dose> = [50, 43, 36, 25, 22, 19, 15]
            .iter()
            .map(|d| dose(10.0, *d))
            .collect();
        assert!(
            trends(&doses, &[], now)
                .findings
                .iter()
                .all(|f| f.code != "frequency_creep"),
            "3 → 4 is below +2"
        );
    }
}
