//! Insights: honest answers to "is it working?" from the person's own records.
//!
//! - Each check-in rating is grouped by the kind of day it was made on — a **dose day**, the
//!   **day after** a dose day, or an **off day** (local calendar dates, in the zone of each
//!   record) — with n, mean and SD per group, and the difference dose-day − off-day and
//!   day-after − off-day with a 95 % Welch confidence interval. Below [`MIN_N`] in either group
//!   the comparison is "not enough data", never a number.
//! - PHQ-9 and GAD-7: the first score in the period against the latest, with response (a drop
//!   of ≥ 50 %), remission (< 5 after a baseline of ≥ 10) and a clinically meaningful change
//!   (≥ 5 points; Löwe 2004).
//! - Always the caveat: open-label self-observation cannot separate the drug from expectation.

use crate::checkin::Checkin;
use crate::dose::Dose;
use crate::questionnaire::{Assessment, Change, change};
use jiff::civil::Date;
use jiff::tz::TimeZone;
use serde::Serialize;
use statrs::distribution::{ContinuousCDF, StudentsT};
use std::collections::BTreeSet;

/// The fewest observations per group for a comparison.
pub const MIN_N: usize = 5;

pub const CAVEAT: &str = "These are associations in your own records, not proof of an effect. Open-label \
self-observation cannot separate the drug from expectation: in a self-blinding microdosing study, people \
taking placebo improved about as much as those microdosing, and acute effects were explained by guessing \
what they had taken (Szigeti B et al. eLife 2021;10:e62878). Discuss any change with your clinician.";

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Group {
    pub n: usize,
    pub mean: Option<f64>,
    pub sd: Option<f64>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Welch {
    pub difference: f64,
    pub ci95_low: f64,
    pub ci95_high: f64,
    pub df: f64,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RatingInsight {
    pub rating: &'static str,
    pub dose_day: Group,
    pub day_after: Group,
    pub off_day: Group,
    /// `None` means not enough data (fewer than [`MIN_N`] in a group).
    pub dose_vs_off: Option<Welch>,
    pub after_vs_off: Option<Welch>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Insights {
    pub from: Date,
    pub to: Date,
    pub dose_days: usize,
    pub days_after: usize,
    pub off_days_with_checkins: usize,
    pub min_n: usize,
    pub ratings: Vec<RatingInsight>,
    pub scales: Vec<Change>,
    pub caveat: &'static str,
}

fn local(t: jiff::Timestamp, zone: &str) -> Date {
    t.to_zoned_datetime(crate::when::zone(zone).unwrap_or(TimeZone::UTC))
        .date()
}

fn group(v: &[f64]) -> Group {
    let n = v.len();
    let mean = (n > 0).then(|| v.iter().sum::<f64>() / n as f64);
    let sd = match (mean, n > 1) {
        (Some(m), true) => {
            Some((v.iter().map(|x| (x - m).powi(2)).sum::<f64>() / (n - 1) as f64).sqrt())
        }
        _ => None,
    };
    Group { n, mean, sd }
}

/// Welch's two-sample interval for mean(a) − mean(b); `None` below [`MIN_N`] in either.
pub fn welch(a: &[f64], b: &[f64]) -> Option<Welch> {
    if a.len() < MIN_N || b.len() < MIN_N {
        return None;
    }
    let (ga, gb) = (group(a), group(b));
    let (ma, mb) = (ga.mean?, gb.mean?);
    let (va, vb) = (
        ga.sd?.powi(2) / a.len() as f64,
        gb.sd?.powi(2) / b.len() as f64,
    );
    let difference = ma - mb;
    let se = (va + vb).sqrt();
    if se == 0.0 {
        return Some(Welch {
            difference,
            ci95_low: difference,
            ci95_high: difference,
            df: f64::INFINITY,
        });
    }
    let df =
        (va + vb).powi(2) / (va.powi(2) / (a.len() - 1) as f64 + vb.powi(2) / (b.len() - 1) as f64);
    let t = StudentsT::new(0.0, 1.0, df).ok()?.inverse_cdf(0.975);
    Some(Welch {
        difference,
        ci95_low: difference - t * se,
        ci95_high: difference + t * se,
        df,
    })
}

/// Compute the insights for local dates `from` to `to` inclusive.
pub fn insights(
    doses: &[Dose],
    checkins: &[Checkin],
    assessments: &[Assessment],
    from: Date,
    to: Date,
) -> Insights {
    let dose_days: BTreeSet<Date> = doses
        .iter()
        .filter(|d| d.deleted_at.is_none())
        .map(|d| local(d.dose.at, &d.dose.zone))
        .collect();
    let in_range = |d: Date| d >= from && d <= to;
    let kind = |d: Date| -> u8 {
        if dose_days.contains(&d) {
            0
        } else if d.yesterday().is_ok_and(|y| dose_days.contains(&y)) {
            1
        } else {
            2
        }
    };
    let cs: Vec<(u8, &Checkin)> = checkins
        .iter()
        .map(|c| (local(c.checkin.at, &c.checkin.zone), c))
        .filter(|(d, _)| in_range(*d))
        .map(|(d, c)| (kind(d), c))
        .collect();
    let ratings = [
        "mood",
        "anxiety",
        "energy",
        "focus",
        "sleep",
        "irritability",
    ]
    .into_iter()
    .map(|name| {
        let values = |k: u8| -> Vec<f64> {
            cs.iter()
                .filter(|(kk, _)| *kk == k)
                .filter_map(|(_, c)| {
                    c.checkin
                        .ratings
                        .iter()
                        .find(|(n, _)| *n == name)
                        .and_then(|(_, r)| r)
                })
                .map(|r| f64::from(r.value()))
                .collect()
        };
        let (d, a, o) = (values(0), values(1), values(2));
        RatingInsight {
            rating: name,
            dose_day: group(&d),
            day_after: group(&a),
            off_day: group(&o),
            dose_vs_off: welch(&d, &o),
            after_vs_off: welch(&a, &o),
        }
    })
    .collect();
    let mut scales = Vec::new();
    for id in ["phq9", "gad7"] {
        let mut xs: Vec<&Assessment> = assessments
            .iter()
            .filter(|a| {
                a.assessment.instrument == id
                    && in_range(local(a.assessment.at, &a.assessment.zone))
            })
            .collect();
        xs.sort_by_key(|a| a.assessment.at);
        if let (Some(first), Some(last), true) = (xs.first(), xs.last(), xs.len() >= 2) {
            scales.push(change(id, first.assessment.total, last.assessment.total));
        }
    }
    let days_in_range: Vec<Date> = dose_days.iter().copied().filter(|d| in_range(*d)).collect();
    Insights {
        from,
        to,
        dose_days: days_in_range.len(),
        days_after: cs.iter().filter(|(k, _)| *k == 1).count(),
        off_days_with_checkins: cs.iter().filter(|(k, _)| *k == 2).count(),
        min_n: MIN_N,
        ratings,
        scales,
        caveat: CAVEAT,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Reference values from scipy (tests/fixtures/welch.py, run with numpy 2.4 / scipy 1.17).
    #[test]
    fn welch_matches_scipy() {
        let w = welch(
            &[7.0, 6.0, 8.0, 7.0, 6.0, 7.0],
            &[5.0, 6.0, 5.0, 4.0, 6.0, 5.0, 5.0],
        )
        .unwrap_or_else(|| panic!());
        assert!((w.difference - 1.6904761905).abs() < 1e-9);
        assert!((w.df - 10.3305751447).abs() < 1e-8);
        assert!((w.ci95_low - 0.7962434176).abs() < 1e-7, "{}", w.ci95_low);
        assert!((w.ci95_high - 2.5847089633).abs() < 1e-7, "{}", w.ci95_high);
        let w = welch(&[3.0, 9.0, 4.0, 8.0, 5.0, 7.0], &[5.0, 5.0, 6.0, 5.0, 6.0])
            .unwrap_or_else(|| panic!());
        assert!((w.df - 5.6344140600).abs() < 1e-8);
        assert!((w.ci95_low - -1.8776172537).abs() < 1e-7);
        assert!((w.ci95_high - 3.0776172537).abs() < 1e-7);
    }

    #[test]
    fn not_enough_data_is_not_a_number() {
        assert!(welch(&[1.0, 2.0, 3.0, 4.0], &[1.0, 2.0, 3.0, 4.0, 5.0]).is_none());
        let w = welch(&[5.0; 5], &[5.0; 6]).unwrap_or_else(|| panic!());
        assert_eq!((w.difference, w.ci95_low, w.ci95_high), (0.0, 0.0, 0.0));
    }

    #[test]
    fn demo_journal_days_are_classified() {
        let now = crate::testing::ts("2026-11-28T11:00:00Z")
            .to_zoned_datetime(crate::when::zone("Europe/Berlin").unwrap_or(TimeZone::UTC));
        let j = crate::demo::demo_journal(&now, 56, 42);
        let from: Date = "2026-10-03".parse().unwrap_or_else(|e| panic!("{e}"));
        let to: Date = "2026-11-28".parse().unwrap_or_else(|e| panic!("{e}"));
        let i = insights(&j.doses, &j.checkins, &[], from, to);
        assert_eq!(i.dose_days, 19);
        let mood = &i.ratings[0];
        assert_eq!(mood.rating, "mood");
        assert_eq!(
            mood.dose_day.n + mood.day_after.n + mood.off_day.n,
            j.checkins.len()
        );
        let w = mood
            .dose_vs_off
            .as_ref()
            .unwrap_or_else(|| panic!("enough data"));
        let expected =
            mood.dose_day.mean.unwrap_or(f64::NAN) - mood.off_day.mean.unwrap_or(f64::NAN);
        assert!((w.difference - expected).abs() < 1e-12);
        assert!(w.ci95_low < w.difference && w.difference < w.ci95_high);
        assert!(i.caveat.contains("eLife 2021"));
    }
}
