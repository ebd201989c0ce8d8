//! The contraindication and caution screen (`data/screen.json`), asked at `dosewise init` and
//! again every [`RECHECK_DAYS`] days (`dosewise screen`); pregnancy can be updated any time.
//!
//! Each yes is kept with the date it was given: a clinician's clearance (`clear screen`) covers
//! the answers that existed when it was recorded, and a condition added later is a finding
//! again until cleared again.

use crate::knowledge::Confidence;
use crate::safety::Severity;
use jiff::{SignedDuration, Timestamp};
use serde::{Deserialize, Serialize};
use std::sync::OnceLock;

/// The screen is due again this many days after it was last answered (Dosewise's choice, D:
/// `data/rules.json` rule `screen_recheck`).
pub const RECHECK_DAYS: i64 = 182;

#[derive(Debug, Clone, Deserialize)]
pub struct Question {
    pub code: String,
    pub question: String,
    /// What a yes does to a dose until a clinician's clearance: refuse (label
    /// contraindications), warning, or caution (precautions).
    pub level: Severity,
    pub reason: String,
    pub source: String,
    pub confidence: Confidence,
}

/// A question answered yes, and since when.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ScreenAnswer {
    pub code: String,
    /// When it was answered yes; `None` only for answers stored before answers were dated
    /// (the store gives them the profile's last save, [`crate::profile::Profile::date_screen`]).
    pub since: Option<Timestamp>,
}

impl<'de> Deserialize<'de> for ScreenAnswer {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum Raw {
            /// Journals before version 3 stored the bare code.
            Code(String),
            Answer {
                code: String,
                #[serde(default)]
                since: Option<Timestamp>,
            },
        }
        Ok(match Raw::deserialize(d)? {
            Raw::Code(code) => ScreenAnswer { code, since: None },
            Raw::Answer { code, since } => ScreenAnswer { code, since },
        })
    }
}

/// A new set of answers given at `now`: codes already answered yes keep their date, new ones
/// are dated `now`. Unknown codes are refused with the list of known ones.
pub fn answer(
    old: &[ScreenAnswer],
    yes: &[String],
    now: Timestamp,
) -> Result<Vec<ScreenAnswer>, String> {
    let mut out: Vec<ScreenAnswer> = Vec::new();
    for code in yes {
        let code = code.trim().to_ascii_lowercase().replace('-', "_");
        if question(&code).is_none() {
            return Err(format!(
                "unknown condition {code:?}; the codes are: {}",
                questions()
                    .iter()
                    .map(|q| q.code.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            ));
        }
        if out.iter().any(|a| a.code == code) {
            continue;
        }
        let since = old
            .iter()
            .find(|a| a.code == code)
            .map_or(Some(now), |a| a.since.or(Some(now)));
        out.push(ScreenAnswer { code, since });
    }
    Ok(out)
}

/// Whether the screen is due: never answered, or last answered [`RECHECK_DAYS`] or more ago.
pub fn due(screened_at: Option<Timestamp>, now: Timestamp) -> bool {
    screened_at
        .is_none_or(|t| now.duration_since(t) >= SignedDuration::from_hours(24 * RECHECK_DAYS))
}

#[derive(Debug, Clone, Deserialize)]
struct ScreenFile {
    questions: Vec<Question>,
}

pub fn questions() -> &'static [Question] {
    static Q: OnceLock<Vec<Question>> = OnceLock::new();
    Q.get_or_init(|| crate::kb::parse::<ScreenFile>(crate::kb::SCREEN).questions)
}

pub fn question(code: &str) -> Option<&'static Question> {
    questions().iter().find(|q| q.code == code)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn screen_is_valid() {
        let f: ScreenFile =
            serde_json::from_str(crate::kb::SCREEN.1).unwrap_or_else(|e| panic!("{e}"));
        assert!(f.questions.len() >= 10);
        for q in &f.questions {
            assert!(q.level >= Severity::Caution, "{}", q.code);
            assert!(
                !q.source.is_empty() && q.question.ends_with('?'),
                "{}",
                q.code
            );
            assert!(
                matches!(q.confidence, Confidence::H | Confidence::M),
                "{}: a standing finding needs a checked source (H or M), never L or D",
                q.code
            );
        }
        assert!(question("aneurysm").is_some());
        // The label's contraindications refuse until a clinician's clearance; pregnancy and
        // uncontrolled blood pressure at least warn.
        for c in ["aneurysm", "brain_bleed", "recent_heart_event", "allergy"] {
            assert_eq!(question(c).map(|q| q.level), Some(Severity::Refuse), "{c}");
        }
        for c in ["pregnancy", "high_blood_pressure"] {
            assert!(
                question(c).is_some_and(|q| q.level >= Severity::Warning),
                "{c}"
            );
        }
    }

    #[test]
    fn answers_keep_their_dates_and_old_journals_still_read() {
        let t1: Timestamp = "2026-01-01T00:00:00Z"
            .parse()
            .unwrap_or_else(|e| panic!("{e}"));
        let t2: Timestamp = "2026-06-01T00:00:00Z"
            .parse()
            .unwrap_or_else(|e| panic!("{e}"));
        let first = answer(&[], &["mania".into()], t1).unwrap_or_else(|e| panic!("{e}"));
        let second = answer(&first, &["mania".into(), "pregnancy".into()], t2)
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(second[0].since, Some(t1), "kept its first date");
        assert_eq!(second[1].since, Some(t2), "a new yes is dated now");
        assert!(answer(&[], &["nonsense".into()], t1).is_err());
        let old: Vec<ScreenAnswer> = serde_json::from_str(
            r#"["mania", {"code":"pregnancy","since":"2026-06-01T00:00:00Z"}]"#,
        )
        .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(
            old[0],
            ScreenAnswer {
                code: "mania".into(),
                since: None
            }
        );
        assert_eq!(old[1].since, Some(t2));
    }

    #[test]
    fn due_every_six_months() {
        let t: Timestamp = "2026-01-01T00:00:00Z"
            .parse()
            .unwrap_or_else(|e| panic!("{e}"));
        let days = |d: i64| {
            t.checked_add(SignedDuration::from_hours(24 * d))
                .unwrap_or(t)
        };
        assert!(due(None, t));
        assert!(!due(Some(t), days(RECHECK_DAYS - 1)));
        assert!(due(Some(t), days(RECHECK_DAYS)));
    }
}
