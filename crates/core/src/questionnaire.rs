//! Questionnaires: PHQ-9 and GAD-7 scored by their official rules, and Dosewise's plain bladder
//! and substance-use questions (counted, not scored clinically). `data/instruments.json` holds
//! the items, response options, bands and attribution.
//!
//! PHQ-9 item 9 (thoughts of being better off dead or of self-harm) above 0 always brings the
//! crisis guidance and a finding, whatever the total.

use crate::text::{self, TextError};
use jiff::Timestamp;
use serde::{Deserialize, Serialize};
use std::sync::OnceLock;
use thiserror::Error;

#[derive(Debug, Clone, Deserialize)]
pub struct Instrument {
    pub id: String,
    pub name: String,
    pub title: String,
    pub validated: bool,
    pub stem: String,
    pub responses: Vec<(String, u8)>,
    pub items: Vec<String>,
    /// (lower bound, label), ascending.
    pub bands: Vec<(u32, String)>,
    pub max: u32,
    pub attribution: String,
    pub sources: Vec<String>,
    /// How often it falls due.
    pub cadence_days: u32,
    /// The smallest change in the total that matters, with its source (PHQ-9, GAD-7).
    #[serde(default)]
    pub meaningful_change: Option<MeaningfulChange>,
    /// Shown with the questionnaire (the bladder questions remind about urine and liver tests).
    #[serde(default)]
    pub reminder: Option<String>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct MeaningfulChange {
    pub points: u32,
    pub source: String,
}

#[derive(Debug, Clone, Deserialize)]
struct File {
    instruments: Vec<Instrument>,
}

pub fn instruments() -> &'static [Instrument] {
    static I: OnceLock<Vec<Instrument>> = OnceLock::new();
    I.get_or_init(|| crate::kb::parse::<File>(crate::kb::INSTRUMENTS).instruments)
}

pub fn instrument(id: &str) -> Option<&'static Instrument> {
    let id = id.trim().to_ascii_lowercase().replace(['-', '_'], "");
    instruments().iter().find(|i| i.id == id)
}

/// Crisis guidance, shown whenever PHQ-9 item 9 is above 0 or a check-in reads as thoughts of
/// self-harm: where to find help, the person's own crisis line first when they set one.
pub fn crisis_guidance(crisis_line: Option<&str>, clinician: Option<&str>) -> String {
    let mut s = String::new();
    if let Some(line) = crisis_line.map(str::trim).filter(|l| !l.is_empty()) {
        s.push_str(&format!("Your crisis line: {line}. "));
    }
    if let Some(c) = clinician.map(str::trim).filter(|l| !l.is_empty()) {
        s.push_str(&format!("Your clinician: {c}. "));
    }
    s.push_str(CRISIS_HELP);
    s
}

/// The part of the crisis guidance that is the same for everyone.
pub(crate) const CRISIS_HELP: &str = "Please talk to someone today: your clinician, or a crisis line \
(findahelpline.com lists free, confidential helplines by country). If you might act on these \
thoughts or are in danger now, call your local emergency number (911 in the US and Canada, 999 \
in the UK, 112 across the European Union). Do not take a dose; talk to your clinician or a \
crisis line first.";
pub const CRISIS_SOURCE: &str = "PHQ-9 item 9 above 0 calls for an immediate safety follow-up whatever the total (standard practice; M); helpline directory: findahelpline.com (ThroughLine)";

#[derive(Debug, Clone, PartialEq, Error)]
pub enum AnswerError {
    #[error("unknown questionnaire {0:?}: use phq9, gad7, bladder or substance")]
    Unknown(String),
    #[error("{name} has {expected} questions; {got} answers were given")]
    Count {
        name: String,
        expected: usize,
        got: usize,
    },
    #[error("answer {index} is {value}; answers are whole numbers from 0 to {max}")]
    Range { index: usize, value: i64, max: u8 },
    #[error("answers are comma-separated whole numbers, e.g. 1,2,0,…: {0:?} is not")]
    Format(String),
    #[error(transparent)]
    Text(#[from] TextError),
}

/// A scored questionnaire.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NewAssessment {
    pub at: Timestamp,
    pub zone: String,
    pub instrument: String,
    pub answers: Vec<u8>,
    pub total: u32,
    pub band: String,
    pub note: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Assessment {
    pub id: i64,
    #[serde(flatten)]
    pub assessment: NewAssessment,
    pub created_at: Timestamp,
}

impl Instrument {
    /// The band a total falls in.
    pub fn band(&self, total: u32) -> &str {
        self.bands
            .iter()
            .rev()
            .find(|(lo, _)| total >= *lo)
            .map_or("", |(_, b)| b.as_str())
    }
    fn max_answer(&self) -> u8 {
        self.responses.iter().map(|r| r.1).max().unwrap_or(0)
    }
    /// Check and score a full set of answers.
    pub fn score(&self, answers: &[i64]) -> Result<(Vec<u8>, u32, String), AnswerError> {
        if answers.len() != self.items.len() {
            return Err(AnswerError::Count {
                name: self.name.clone(),
                expected: self.items.len(),
                got: answers.len(),
            });
        }
        let max = self.max_answer();
        let mut out = Vec::with_capacity(answers.len());
        for (i, a) in answers.iter().enumerate() {
            if *a < 0 || *a > i64::from(max) {
                return Err(AnswerError::Range {
                    index: i + 1,
                    value: *a,
                    max,
                });
            }
            out.push(*a as u8);
        }
        let total: u32 = out.iter().map(|a| u32::from(*a)).sum();
        Ok((out, total, self.band(total).to_string()))
    }
}

/// "1,2,0,3" → numbers.
pub fn parse_answers(s: &str) -> Result<Vec<i64>, AnswerError> {
    s.split(',')
        .map(|x| {
            x.trim()
                .parse::<i64>()
                .map_err(|_| AnswerError::Format(s.to_string()))
        })
        .collect()
}

/// Where one questionnaire stands: its latest score, and whether it is due.
#[derive(Debug, Clone, Copy)]
pub struct Due<'a> {
    pub instrument: &'static Instrument,
    /// The latest by when it was taken (not when it was entered).
    pub last: Option<&'a Assessment>,
    /// Never taken, or its cadence (`cadence_days`) has passed since the latest.
    pub due: bool,
}

/// Every instrument's standing at `now`, given the scores in `past`.
pub fn due(past: &[Assessment], now: Timestamp) -> Vec<Due<'_>> {
    instruments()
        .iter()
        .map(|i| {
            let last = past
                .iter()
                .filter(|a| a.assessment.instrument == i.id)
                .max_by_key(|a| a.assessment.at);
            let due = last.is_none_or(|a| {
                now.duration_since(a.assessment.at).as_hours() / 24 >= i64::from(i.cadence_days)
            });
            Due {
                instrument: i,
                last,
                due,
            }
        })
        .collect()
}

/// Score answers into an assessment record.
pub fn assess(
    id: &str,
    answers: &[i64],
    at: Timestamp,
    zone: &str,
    note: Option<&str>,
) -> Result<NewAssessment, AnswerError> {
    let i = instrument(id).ok_or_else(|| AnswerError::Unknown(id.to_string()))?;
    let (answers, total, band) = i.score(answers)?;
    Ok(NewAssessment {
        at: crate::when::to_micros(at),
        zone: zone.to_string(),
        instrument: i.id.clone(),
        answers,
        total,
        band,
        note: text::note(note)?,
    })
}

impl NewAssessment {
    /// PHQ-9 with item 9 above 0.
    pub fn self_harm_flag(&self) -> bool {
        self.instrument == "phq9" && self.answers.get(8).is_some_and(|a| *a > 0)
    }
}

/// Change from a baseline PHQ-9/GAD-7 score, by the usual conventions.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Change {
    pub instrument: String,
    pub baseline: u32,
    pub latest: u32,
    pub change: i64,
    /// A drop of at least 50 % from baseline.
    pub response: bool,
    /// PHQ-9 below 5 (GAD-7 below 5) after a baseline of at least 10.
    pub remission: bool,
    /// A drop of at least the instrument's smallest meaningful change: 5 points for PHQ-9
    /// (Löwe 2004), 4 for GAD-7 (Toussaint 2020).
    pub meaningful: bool,
    /// That threshold, in points, and its source.
    pub meaningful_points: u32,
    pub meaningful_source: String,
}

impl Change {
    /// The instrument's short name ("PHQ-9").
    pub fn name(&self) -> String {
        instrument(&self.instrument).map_or_else(|| self.instrument.clone(), |i| i.name.clone())
    }

    /// What the change amounts to, in words, by the conventions above: "response (≥ 50% drop)",
    /// "remission (< 5)", "meaningful change (≥ 5 points)". Every surface says it this way.
    pub fn marks(&self) -> Vec<String> {
        let mut marks = Vec::new();
        if self.response {
            marks.push("response (≥ 50% drop)".to_string());
        }
        if self.remission {
            marks.push("remission (< 5)".to_string());
        }
        if self.meaningful {
            marks.push(format!(
                "meaningful change (≥ {} points)",
                self.meaningful_points
            ));
        }
        marks
    }
}

pub fn change(instrument: &str, baseline: u32, latest: u32) -> Change {
    let drop = i64::from(baseline) - i64::from(latest);
    let m = self::instrument(instrument).and_then(|i| i.meaningful_change.as_ref());
    let points = m.map_or(5, |m| m.points);
    Change {
        instrument: instrument.to_string(),
        baseline,
        latest,
        change: i64::from(latest) - i64::from(baseline),
        response: baseline > 0 && f64::from(latest) <= f64::from(baseline) * 0.5,
        remission: baseline >= 10 && latest < 5,
        meaningful: drop >= i64::from(points),
        meaningful_points: points,
        meaningful_source: m.map_or(String::new(), |m| m.source.clone()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn phq(total_pattern: &[i64]) -> (u32, String) {
        let i = instrument("phq9").unwrap_or_else(|| panic!());
        let (_, t, b) = i.score(total_pattern).unwrap_or_else(|e| panic!("{e}"));
        (t, b)
    }

    #[test]
    fn instruments_are_valid() {
        let f: File =
            serde_json::from_str(crate::kb::INSTRUMENTS.1).unwrap_or_else(|e| panic!("{e}"));
        for i in &f.instruments {
            let max: u32 = i.items.len() as u32
                * u32::from(i.responses.iter().map(|r| r.1).max().unwrap_or(0));
            assert_eq!(max, i.max, "{}: max", i.id);
            assert!(!i.sources.is_empty() && !i.attribution.is_empty());
            for s in &i.sources {
                assert!(crate::rules::has_code(s), "{}: {s:?} without a code", i.id);
            }
            if i.validated {
                let m = i
                    .meaningful_change
                    .as_ref()
                    .unwrap_or_else(|| panic!("{}", i.id));
                assert!(crate::rules::has_code(&m.source), "{}", i.id);
            }
            assert!(i.bands.windows(2).all(|w| w[0].0 < w[1].0) && i.bands[0].0 == 0);
        }
        assert_eq!(instrument("PHQ-9").map(|i| i.items.len()), Some(9));
        assert_eq!(instrument("gad_7").map(|i| i.items.len()), Some(7));
    }

    #[test]
    fn phq9_bands_at_every_edge() {
        for (total, band) in [
            (0, "minimal"),
            (4, "minimal"),
            (5, "mild"),
            (9, "mild"),
            (10, "moderate"),
            (14, "moderate"),
            (15, "moderately severe"),
            (19, "moderately severe"),
            (20, "severe"),
            (27, "severe"),
        ] {
            // Spread the total over the first items, 3 at most each.
            let mut a = vec![0i64; 9];
            let mut left = total;
            for x in a.iter_mut() {
                let v = left.min(3);
                *x = v;
                left -= v;
            }
            assert_eq!(phq(&a), (total as u32, band.to_string()), "total {total}");
        }
    }

    #[test]
    fn gad7_bands_at_every_edge() {
        let i = instrument("gad7").unwrap_or_else(|| panic!());
        for (total, band) in [
            (0, "minimal"),
            (4, "minimal"),
            (5, "mild"),
            (9, "mild"),
            (10, "moderate"),
            (14, "moderate"),
            (15, "severe"),
            (21, "severe"),
        ] {
            let mut a = vec![0i64; 7];
            let mut left = total;
            for x in a.iter_mut() {
                let v = left.min(3);
                *x = v;
                left -= v;
            }
            assert_eq!(
                i.score(&a).map(|r| (r.1, r.2)),
                Ok((total as u32, band.to_string()))
            );
        }
    }

    #[test]
    fn item_nine_flags_whatever_the_total() {
        let at = crate::testing::ts("2026-11-28T10:00:00Z");
        let a = assess("phq9", &[0, 0, 0, 0, 0, 0, 0, 0, 1], at, "UTC", None)
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(a.total, 1);
        assert_eq!(a.band, "minimal");
        assert!(a.self_harm_flag());
        let b = assess("phq9", &[3, 3, 3, 3, 3, 3, 3, 3, 0], at, "UTC", None)
            .unwrap_or_else(|e| panic!("{e}"));
        assert!(!b.self_harm_flag());
        assert!(
            !assess("gad7", &[3; 7], at, "UTC", None)
                .map(|a| a.self_harm_flag())
                .unwrap_or(true)
        );
    }

    #[test]
    fn bad_answers() {
        let at = crate::testing::ts("2026-11-28T10:00:00Z");
        assert!(matches!(
            assess("phq9", &[1, 2], at, "UTC", None),
            Err(AnswerError::Count { .. })
        ));
        assert!(matches!(
            assess("phq9", &[0, 0, 0, 0, 4, 0, 0, 0, 0], at, "UTC", None),
            Err(AnswerError::Range { index: 5, .. })
        ));
        assert!(matches!(
            assess("phq9", &[-1, 0, 0, 0, 0, 0, 0, 0, 0], at, "UTC", None),
            Err(AnswerError::Range { .. })
        ));
        assert!(matches!(
            assess("beck", &[0], at, "UTC", None),
            Err(AnswerError::Unknown(_))
        ));
        assert!(matches!(
            parse_answers("1,x,2"),
            Err(AnswerError::Format(_))
        ));
        assert_eq!(parse_answers("1, 2,0"), Ok(vec![1, 2, 0]));
    }

    #[test]
    fn response_remission_meaningful_change() {
        let c = change("phq9", 18, 9);
        assert!(c.response && !c.remission && c.meaningful);
        let c = change("phq9", 18, 10);
        assert!(!c.response, "50 % drop needed: 10 > 9");
        let c = change("phq9", 12, 4);
        assert!(c.response && c.remission && c.meaningful);
        let c = change("phq9", 9, 4);
        assert!(!c.remission, "remission needs a baseline of at least 10");
        let c = change("phq9", 8, 4);
        assert!(
            !c.meaningful,
            "4 points is below the 5-point minimal important change"
        );
        assert_eq!(c.change, -4);
        // GAD-7 has its own figure: 4 points (Toussaint 2020), not PHQ-9's 5 borrowed.
        let g = change("gad7", 12, 8);
        assert!(g.meaningful && g.meaningful_points == 4, "{g:?}");
        assert!(g.meaningful_source.contains("Toussaint"));
        assert!(!change("gad7", 12, 9).meaningful, "3 points is below 4");
        assert_eq!(change("phq9", 12, 7).meaningful_points, 5);
    }

    #[test]
    fn crisis_guidance_gives_a_way_to_find_help() {
        let plain = crisis_guidance(None, None);
        assert!(plain.contains("findahelpline.com") && plain.contains("emergency number"));
        assert!(
            plain.contains("Do not take a dose; talk to your clinician or a crisis line first.")
        );
        assert!(!plain.contains("alone"), "company does not make it fine");
        let mine = crisis_guidance(Some("Samaritans 116 123"), None);
        assert!(
            mine.starts_with("Your crisis line: Samaritans 116 123."),
            "{mine}"
        );
        assert_eq!(crisis_guidance(Some("  "), Some(" ")), plain);
        let both = crisis_guidance(Some("Samaritans 116 123"), Some("Dr Lee 030 1234567"));
        assert!(
            both.starts_with(
                "Your crisis line: Samaritans 116 123. Your clinician: Dr Lee 030 1234567. "
            ),
            "{both}"
        );
        assert!(both.ends_with(&plain));
    }
}
