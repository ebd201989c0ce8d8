//! Insights: honest answers to "is it working?" from the person's own records.
//!
//! - Each check-in rating is grouped by the kind of day it was made on — a **dose day**, the
//!   **day after** a dose day, or an **off day** (local calendar dates, in the zone of each
//!   record) — with n, mean and SD per group, and the difference dose-day − off-day and
//!   day-after − off-day with a 95 % Welch confidence interval. Below [`MIN_N`] in either group
//!   the comparison is "not enough data", never a number.
//! - PHQ-9 and GAD-7: the first score in the period against the latest, with response (a drop
//!   of ≥ 50 %), remission (< 5 after a baseline of ≥ 10) and a clinically meaningful change
//!   (≥ 5 points for PHQ-9, Löwe 2004; ≥ 4 for GAD-7, Toussaint 2020).
//! - **Dose–response within the person**: each dose day's total (mg ketamine base) against the
//!   ratings made after the dose that day and on the next day. Dose days are split at the amount
//!   that divides them most evenly into lower and higher doses, and the two are compared with a
//!   Welch interval; one amount only means no comparison.
//! - **Factors** against the ratings that follow them: alcohol (logged as another substance or
//!   tagged) and each tag on day D against the ratings on day D+1; a poor night (sleep rated
//!   ≤ [`POOR_SLEEP`] — the rating describes the night before the check-in) against the other
//!   ratings of that same day.
//! - The unit for dose–response and factors is a **day**: several check-ins on one day are
//!   averaged first, so a busy day does not count several times. Every comparison needs
//!   [`MIN_N`] days on each side, otherwise it says "not enough data".
//! - Always the caveat: open-label self-observation cannot separate the drug from expectation.

use crate::checkin::Checkin;
use crate::dose::Dose;
use crate::medication::SubstanceUse;
use crate::questionnaire::{Assessment, Change, change};
use crate::when::local_date as local;
use jiff::Timestamp;
use jiff::civil::Date;
use serde::Serialize;
use statrs::distribution::{ContinuousCDF, StudentsT};
use std::collections::{BTreeMap, BTreeSet};

/// The fewest observations per group for a comparison.
pub(crate) const MIN_N: usize = 5;

pub(crate) const CAVEAT: &str = "These are associations in your own records, not proof of an effect. Open-label \
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

/// The ratings dose–response and factors are measured on.
pub const OUTCOMES: [&str; 3] = ["mood", "anxiety", "sleep"];

/// A sleep rating at or below this is a poor night (0 = no sleep / terrible, 10 = excellent).
pub(crate) const POOR_SLEEP: f64 = 4.0;

/// At most this many tags are analysed (the most used), to limit chance findings.
pub(crate) const MAX_TAGS: usize = 8;

pub(crate) const DOSE_RESPONSE_NOTE: &str = "Doses usually change over a protocol while other things change too, \
and a dose is often changed because of how you felt: a difference between higher and lower doses can \
reflect time, expectation or those decisions rather than the amount.";

pub(crate) const FACTORS_NOTE: &str = "Each row compares days with and without one factor; other factors are not \
held constant. With many comparisons, about one interval in twenty excludes 0 by chance alone.";

/// One rating compared between two sets of days.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Comparison {
    pub rating: &'static str,
    pub with: Group,
    pub without: Group,
    /// mean(with) − mean(without); `None` below [`MIN_N`] days in either.
    pub difference: Option<Welch>,
}

/// A factor (alcohol, a poor night, a tag) against the ratings that follow it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Factor {
    pub factor: String,
    /// Which ratings are compared: "next day" or "same day".
    pub timing: &'static str,
    /// Days with the factor that have a rating to compare (the largest n over the outcomes).
    pub days_with: usize,
    pub days_without: usize,
    pub comparisons: Vec<Comparison>,
}

/// One dose amount (a day's total, mg base) and how many dose days had it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DoseLevel {
    pub mg_base: f64,
    pub days: usize,
    /// Mean mood on the next day (days with a rating only).
    pub next_day_mood: Option<f64>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DoseResponse {
    pub levels: Vec<DoseLevel>,
    /// Lower doses are ≤ this many mg base, higher doses above; `None` with one amount only.
    pub split_mg_base: Option<f64>,
    /// Higher ("with") vs lower ("without") doses: ratings on the dose day after the dose.
    pub same_day: Vec<Comparison>,
    /// Higher vs lower doses: ratings on the next day.
    pub next_day: Vec<Comparison>,
    pub note: &'static str,
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
    pub dose_response: DoseResponse,
    pub factors: Vec<Factor>,
    pub factors_note: &'static str,
    pub caveat: &'static str,
}

/// A signed number to one decimal, without a "-0.0".
fn signed(x: f64) -> String {
    let s = format!("{x:+.1}");
    if s == "-0.0" { "+0.0".into() } else { s }
}

impl Group {
    /// "5.7 ± 1.1 (n 18)", "6.0 (n 1)", "– (n 0)".
    pub fn text(&self) -> String {
        match (self.mean, self.sd) {
            (Some(m), Some(s)) => format!("{m:.1} ± {s:.1} (n {})", self.n),
            (Some(m), None) => format!("{m:.1} (n {})", self.n),
            _ => format!("– (n {})", self.n),
        }
    }
}

impl Welch {
    /// In words, for a person: "no clear difference" when the 95% interval includes 0,
    /// otherwise "higher, by about 0.8" or "lower, by about 0.6" (the point estimate, one
    /// decimal). The interval itself is for "details".
    pub fn plain(&self) -> String {
        if self.ci95_low <= 0.0 && self.ci95_high >= 0.0 {
            "no clear difference".into()
        } else {
            format!(
                "{}, by about {:.1}",
                if self.difference > 0.0 {
                    "higher"
                } else {
                    "lower"
                },
                self.difference.abs()
            )
        }
    }

    /// "+0.4 [-0.5, +1.4]".
    pub fn text(&self) -> String {
        format!(
            "{} [{}, {}]",
            signed(self.difference),
            signed(self.ci95_low),
            signed(self.ci95_high)
        )
    }
}

impl Comparison {
    /// The difference with its interval, or "not enough data (n with/without)".
    pub fn text(&self) -> String {
        self.difference.as_ref().map_or_else(
            || format!("not enough data (n {}/{})", self.with.n, self.without.n),
            Welch::text,
        )
    }
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
pub(crate) fn welch(a: &[f64], b: &[f64]) -> Option<Welch> {
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

/// What one local day holds, for the day-level analyses.
#[derive(Debug, Default)]
struct Day {
    /// Per outcome ([`OUTCOMES`] order): every rating that day, and those made at or after the
    /// day's first dose.
    all: [Vec<f64>; 3],
    after_dose: [Vec<f64>; 3],
    dose_mg_base: f64,
    first_dose: Option<Timestamp>,
    checked_in: bool,
    alcohol: bool,
    tags: BTreeSet<String>,
}

fn mean(v: &[f64]) -> Option<f64> {
    (!v.is_empty()).then(|| v.iter().sum::<f64>() / v.len() as f64)
}

fn is_alcohol(name: &str) -> bool {
    crate::interaction::find(name).is_some_and(|i| i.id == "alcohol")
}

fn days(doses: &[Dose], checkins: &[Checkin], uses: &[SubstanceUse]) -> BTreeMap<Date, Day> {
    let mut days: BTreeMap<Date, Day> = BTreeMap::new();
    // A few distinct tags over thousands of check-ins: look each up in the knowledge base once.
    let mut alcohol: std::collections::HashMap<&str, bool> = std::collections::HashMap::new();
    for d in doses.iter().filter(|d| d.deleted_at.is_none()) {
        let day = days.entry(local(d.dose.at, &d.dose.zone)).or_default();
        day.dose_mg_base += d.dose.dose_mg_base;
        day.first_dose = Some(day.first_dose.map_or(d.dose.at, |f| f.min(d.dose.at)));
    }
    for c in checkins.iter().filter(|c| c.is_live()) {
        let day = days
            .entry(local(c.checkin.at, &c.checkin.zone))
            .or_default();
        day.checked_in = true;
        for (i, name) in OUTCOMES.iter().enumerate() {
            let r = c.checkin.ratings.iter().find(|(n, _)| n == name);
            if let Some((_, Some(r))) = r {
                let v = f64::from(r.value());
                day.all[i].push(v);
                if day.first_dose.is_some_and(|f| c.checkin.at >= f) {
                    day.after_dose[i].push(v);
                }
            }
        }
        for t in &c.checkin.tags {
            if *alcohol.entry(t.as_str()).or_insert_with(|| is_alcohol(t)) {
                day.alcohol = true;
            } else {
                day.tags.insert(t.clone());
            }
        }
    }
    for u in uses.iter().filter(|u| is_alcohol(&u.usage.name)) {
        days.entry(local(u.usage.at, &u.usage.zone))
            .or_default()
            .alcohol = true;
    }
    days
}

/// The days from `r.0` to `r.1` inclusive (none when the range is reversed).
fn span(days: &BTreeMap<Date, Day>, r: (Date, Date)) -> impl Iterator<Item = (&Date, &Day)> {
    days.iter().filter(move |(d, _)| **d >= r.0 && **d <= r.1)
}

fn compare(rating: &'static str, with: &[f64], without: &[f64]) -> Comparison {
    Comparison {
        rating,
        with: group(with),
        without: group(without),
        difference: welch(with, without),
    }
}

/// Days in range where `has` answers, split by its answer; the outcome is taken from the same
/// day or the next one.
fn factor(
    days: &BTreeMap<Date, Day>,
    range: (Date, Date),
    name: String,
    next_day: bool,
    outcomes: &[usize],
    has: impl Fn(&Day) -> Option<bool>,
) -> Factor {
    let comparisons: Vec<Comparison> = outcomes
        .iter()
        .map(|&i| {
            let (mut with, mut without) = (Vec::new(), Vec::new());
            for (d, day) in span(days, range) {
                let Some(h) = has(day) else { continue };
                let target = if next_day {
                    d.tomorrow().ok().and_then(|t| days.get(&t))
                } else {
                    Some(day)
                };
                if let Some(v) = target.and_then(|t| mean(&t.all[i])) {
                    if h { with.push(v) } else { without.push(v) }
                }
            }
            compare(OUTCOMES[i], &with, &without)
        })
        .collect();
    Factor {
        factor: name,
        timing: if next_day { "next day" } else { "same day" },
        days_with: comparisons.iter().map(|c| c.with.n).max().unwrap_or(0),
        days_without: comparisons.iter().map(|c| c.without.n).max().unwrap_or(0),
        comparisons,
    }
}

fn factors(days: &BTreeMap<Date, Day>, range: (Date, Date)) -> Vec<Factor> {
    let mut out = vec![
        factor(days, range, "alcohol".into(), true, &[0, 1, 2], |d| {
            (d.alcohol || d.checked_in).then_some(d.alcohol)
        }),
        factor(
            days,
            range,
            format!("poor night (sleep ≤ {POOR_SLEEP})"),
            false,
            &[0, 1],
            |d| mean(&d.all[2]).map(|s| s <= POOR_SLEEP),
        ),
    ];
    let mut used: BTreeMap<&str, usize> = BTreeMap::new();
    for day in span(days, range).map(|(_, d)| d) {
        for t in &day.tags {
            *used.entry(t).or_default() += 1;
        }
    }
    let mut tags: Vec<(&str, usize)> = used.into_iter().collect();
    tags.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(b.0)));
    for (tag, _) in tags.into_iter().take(MAX_TAGS) {
        out.push(factor(
            days,
            range,
            format!("tag: {tag}"),
            true,
            &[0, 1, 2],
            |d| d.checked_in.then(|| d.tags.contains(tag)),
        ));
    }
    out
}

fn dose_response(days: &BTreeMap<Date, Day>, range: (Date, Date)) -> DoseResponse {
    // Amounts to the hundredth of a mg, so 12.5 and 12.499999 are one level.
    let key = |mg: f64| (mg * 100.0).round() as i64;
    let dose_days: Vec<(Date, &Day)> = span(days, range)
        .filter(|(_, d)| d.dose_mg_base > 0.0)
        .map(|(d, day)| (*d, day))
        .collect();
    let next = |d: Date| d.tomorrow().ok().and_then(|t| days.get(&t));
    let mut by_level: BTreeMap<i64, (usize, Vec<f64>)> = BTreeMap::new();
    for (d, day) in &dose_days {
        let e = by_level.entry(key(day.dose_mg_base)).or_default();
        e.0 += 1;
        if let Some(m) = next(*d).and_then(|n| mean(&n.all[0])) {
            e.1.push(m);
        }
    }
    let levels: Vec<DoseLevel> = by_level
        .iter()
        .map(|(k, (n, moods))| DoseLevel {
            mg_base: *k as f64 / 100.0,
            days: *n,
            next_day_mood: mean(moods),
        })
        .collect();
    // The split that divides the dose days most evenly.
    let total = dose_days.len() as i64;
    let mut cum = 0i64;
    let mut split: Option<(i64, i64)> = None;
    for (k, (n, _)) in by_level.iter().take(by_level.len().saturating_sub(1)) {
        cum += *n as i64;
        let imbalance = (2 * cum - total).abs();
        if split.is_none_or(|(_, best)| imbalance < best) {
            split = Some((*k, imbalance));
        }
    }
    let split = split.map(|(k, _)| k);
    let sides = |value: &dyn Fn(Date, &Day) -> Option<f64>| -> (Vec<f64>, Vec<f64>) {
        let (mut hi, mut lo) = (Vec::new(), Vec::new());
        if let Some(s) = split {
            for (d, day) in &dose_days {
                if let Some(v) = value(*d, day) {
                    if key(day.dose_mg_base) > s {
                        hi.push(v)
                    } else {
                        lo.push(v)
                    }
                }
            }
        }
        (hi, lo)
    };
    let (mut same_day, mut next_day) = (Vec::new(), Vec::new());
    for (i, name) in OUTCOMES.iter().enumerate() {
        let (hi, lo) = sides(&|_, day| mean(&day.after_dose[i]));
        same_day.push(compare(name, &hi, &lo));
        let (hi, lo) = sides(&|d, _| next(d).and_then(|n| mean(&n.all[i])));
        next_day.push(compare(name, &hi, &lo));
    }
    DoseResponse {
        levels,
        split_mg_base: split.map(|k| k as f64 / 100.0),
        same_day,
        next_day,
        note: DOSE_RESPONSE_NOTE,
    }
}

/// Compute the insights for local dates `from` to `to` inclusive.
pub fn insights(
    doses: &[Dose],
    checkins: &[Checkin],
    assessments: &[Assessment],
    substance_uses: &[SubstanceUse],
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
        .filter(|c| c.is_live())
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
    let by_day = days(doses, checkins, substance_uses);
    Insights {
        from,
        to,
        dose_days: days_in_range.len(),
        days_after: cs.iter().filter(|(k, _)| *k == 1).count(),
        off_days_with_checkins: cs.iter().filter(|(k, _)| *k == 2).count(),
        min_n: MIN_N,
        ratings,
        scales,
        dose_response: dose_response(&by_day, (from, to)),
        factors: factors(&by_day, (from, to)),
        factors_note: FACTORS_NOTE,
        caveat: CAVEAT,
    }
}

#[cfg(test)]
mod plain_tests {
    use super::Welch;

    #[test]
    fn a_difference_in_words_follows_its_interval() {
        let w = |d, lo, hi| Welch {
            difference: d,
            ci95_low: lo,
            ci95_high: hi,
            df: 10.0,
        };
        assert_eq!(w(0.1, -0.8, 0.9).plain(), "no clear difference");
        assert_eq!(w(0.84, 0.2, 1.4).plain(), "higher, by about 0.8");
        assert_eq!(w(-0.56, -1.0, -0.1).plain(), "lower, by about 0.6");
        assert_eq!(
            w(0.5, 0.0, 1.0).plain(),
            "no clear difference",
            "an interval touching 0"
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::date;

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

    fn day(n: i64, hour: i64) -> Timestamp {
        crate::testing::ts("2026-03-01T00:00:00Z")
            .checked_add(jiff::SignedDuration::from_hours(24 * (n - 1) + hour))
            .unwrap_or_else(|e| panic!("{e}"))
    }
    fn rated(mood: i64, sleep: Option<i64>) -> crate::checkin::Ratings {
        crate::checkin::Ratings {
            mood: crate::checkin::Rating::new(mood).ok(),
            sleep: sleep.and_then(|s| crate::checkin::Rating::new(s).ok()),
            ..Default::default()
        }
    }
    fn close(w: &Option<Welch>, lo: f64, hi: f64) {
        let w = w.as_ref().unwrap_or_else(|| panic!("enough data"));
        assert!((w.ci95_low - lo).abs() < 1e-7, "{} vs {lo}", w.ci95_low);
        assert!((w.ci95_high - hi).abs() < 1e-7, "{} vs {hi}", w.ci95_high);
    }

    /// 10 mg base on days 1, 3, 5, 7, 9 and 20 mg on days 11 … 19 at 08:00; a check-in every
    /// evening. Reference interval from scipy (fixtures/welch.py, "dose_response_next_day").
    #[test]
    fn dose_response_by_day() {
        use crate::testing::{checkin, dose};
        let mut doses = Vec::new();
        for n in [1, 3, 5, 7, 9] {
            doses.push(dose(n, day(n, 8), 10.0));
        }
        for n in [11, 13, 15, 17, 19] {
            // Two doses on one day count as the day's total: 12 + 8 = 20.
            doses.push(dose(n, day(n, 8), 12.0));
            doses.push(dose(100 + n, day(n, 9), 8.0));
        }
        // A deleted dose is not a dose.
        let mut deleted = dose(999, day(3, 10), 50.0);
        deleted.deleted_at = Some(day(3, 11));
        doses.push(deleted);
        // Evening moods: dose days 5 or 6 (same for both doses), days after as in welch.py.
        let after = [(2, 4), (4, 5), (6, 4), (8, 5), (10, 6)]
            .into_iter()
            .chain([(12, 6), (14, 7), (16, 6), (18, 7), (20, 8)]);
        let same = [1, 3, 5, 7, 9, 11, 13, 15, 17, 19]
            .into_iter()
            .map(|n| (n, if n % 4 == 1 { 5 } else { 6 }));
        let mut cs: Vec<Checkin> = after
            .chain(same)
            .map(|(n, m)| checkin(n, day(n, 20), rated(m, None), &[]))
            .collect();
        // Day 2 has a second check-in: the day counts once, as the mean of 4 and 6.
        cs.push(checkin(50, day(2, 9), rated(6, None), &[]));
        // A check-in before the morning dose is not "after the dose".
        cs.push(checkin(51, day(11, 7), rated(0, None), &[]));
        // A deleted check-in is not a rating: it would pull day 12 down.
        let mut gone = checkin(52, day(12, 21), rated(0, None), &[]);
        gone.deleted_at = Some(day(13, 8));
        cs.push(gone);
        let i = insights(
            &doses,
            &cs,
            &[],
            &[],
            date("2026-03-01"),
            date("2026-03-31"),
        );
        let dr = &i.dose_response;
        assert_eq!(dr.split_mg_base, Some(10.0));
        assert_eq!(
            dr.levels
                .iter()
                .map(|l| (l.mg_base, l.days))
                .collect::<Vec<_>>(),
            vec![(10.0, 5), (20.0, 5)]
        );
        assert_eq!(dr.levels[0].next_day_mood, Some(5.0));
        assert!((dr.levels[1].next_day_mood.unwrap_or(0.0) - 6.8).abs() < 1e-12);
        let next = &dr.next_day[0];
        assert_eq!((next.rating, next.with.n, next.without.n), ("mood", 5, 5));
        close(&next.difference, 0.6648076843, 2.9351923157);
        // Same day after the dose: 5,6,5,6,5 vs 6,5,6,5,6 — the 07:00 zero is left out.
        let same = &dr.same_day[0];
        assert_eq!(same.with.mean, Some(5.6));
        assert_eq!(same.without.mean, Some(5.4));
        // No anxiety was rated: nothing to compare, no number.
        assert_eq!(dr.next_day[1].rating, "anxiety");
        assert!(dr.next_day[1].difference.is_none());
        // One amount only: no split, no comparison.
        let one: Vec<Dose> = doses.iter().take(5).cloned().collect();
        let i = insights(&one, &cs, &[], &[], date("2026-03-01"), date("2026-03-31"));
        assert_eq!(i.dose_response.split_mg_base, None);
        assert!(
            i.dose_response
                .next_day
                .iter()
                .all(|c| c.difference.is_none())
        );
    }

    /// Twelve days of evening check-ins. Alcohol: beer logged on days 1, 3, 5, 7, 9 and a
    /// "wine" tag on day 11. Reference interval: fixtures/welch.py, "alcohol_next_day".
    #[test]
    fn factors_by_day() {
        use crate::medication::{NewSubstanceUse, SubstanceUse};
        use crate::testing::checkin;
        let moods = [6, 4, 7, 5, 6, 4, 7, 5, 8, 6, 7, 4];
        let cs: Vec<Checkin> = moods
            .iter()
            .enumerate()
            .map(|(k, m)| {
                let n = k as i64 + 1;
                // Poor sleep on days 1-3 only: too few for a comparison.
                let sleep = if n <= 3 { 3 } else { 7 };
                let mut tags = vec![];
                if n == 11 {
                    tags.push("wine");
                }
                if n % 2 == 0 {
                    tags.push("exercise");
                }
                checkin(n, day(n, 20), rated(*m, Some(sleep)), &tags)
            })
            .collect();
        let uses: Vec<SubstanceUse> = [1, 3, 5, 7, 9]
            .into_iter()
            .map(|n| SubstanceUse {
                id: n,
                usage: NewSubstanceUse {
                    at: day(n, 22),
                    zone: "UTC".into(),
                    name: "Beer".into(),
                    amount: None,
                    note: None,
                },
                created_at: day(n, 22),
            })
            .collect();
        let i = insights(&[], &cs, &[], &uses, date("2026-03-01"), date("2026-03-31"));
        let alcohol = &i.factors[0];
        assert_eq!(
            (alcohol.factor.as_str(), alcohol.timing),
            ("alcohol", "next day")
        );
        assert_eq!((alcohol.days_with, alcohol.days_without), (6, 5));
        let mood = &alcohol.comparisons[0];
        assert!((mood.with.mean.unwrap_or(0.0) - 14.0 / 3.0).abs() < 1e-12);
        assert_eq!(mood.without.mean, Some(7.0));
        close(&mood.difference, -3.3732716938, -1.2933949728);
        let sleep = &i.factors[1];
        assert_eq!(
            (sleep.timing, sleep.days_with, sleep.days_without),
            ("same day", 3, 9)
        );
        assert!(sleep.comparisons.iter().all(|c| c.difference.is_none()));
        assert!(sleep.comparisons.iter().all(|c| c.rating != "sleep"));
        // The alcohol tag is counted as alcohol, not as a tag of its own.
        let names: Vec<&str> = i.factors.iter().map(|f| f.factor.as_str()).collect();
        assert_eq!(
            names,
            ["alcohol", "poor night (sleep ≤ 4)", "tag: exercise"]
        );
        // Exercise on even days → the odd day after: with = 7,6,7,8,7 (day 12 has no next day).
        let ex = &i.factors[2].comparisons[0];
        assert_eq!((ex.with.n, ex.without.n), (5, 6));
        assert_eq!(ex.with.mean, Some(7.0));
        // A reversed period is empty, not a panic.
        let i = insights(&[], &cs, &[], &uses, date("2026-03-31"), date("2026-03-01"));
        assert_eq!(i.factors[0].days_with, 0);
    }
}
