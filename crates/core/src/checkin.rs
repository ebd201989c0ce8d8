//! The daily check-in: 0–10 ratings, side effects, urinary symptoms, craving, a note and tags.
//!
//! Each rating has written anchors so that "6" means the same thing every day; `--help` and the
//! web form show them. A check-in with nothing in it is refused.

use crate::dose::RevisionAction;
use crate::text::{self, TextError};
use jiff::Timestamp;
use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;
use thiserror::Error;

/// A 0–10 rating.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "u8", into = "u8")]
pub struct Rating(u8);

impl Rating {
    pub fn new(v: i64) -> Result<Self, CheckinError> {
        u8::try_from(v)
            .ok()
            .filter(|v| *v <= 10)
            .map(Rating)
            .ok_or(CheckinError::Rating(v))
    }
    pub fn value(self) -> u8 {
        self.0
    }
}
impl TryFrom<u8> for Rating {
    type Error = CheckinError;
    fn try_from(v: u8) -> Result<Self, Self::Error> {
        Rating::new(i64::from(v))
    }
}
impl From<Rating> for u8 {
    fn from(r: Rating) -> u8 {
        r.0
    }
}
impl fmt::Display for Rating {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

/// The rated dimensions, with their anchors (what 0 and 10 mean).
pub const SCALES: [(&str, &str, &str); 7] = [
    (
        "mood",
        "0 = the worst you can imagine",
        "10 = the best you can imagine",
    ),
    ("anxiety", "0 = none", "10 = the worst you have felt"),
    ("energy", "0 = exhausted", "10 = full of energy"),
    (
        "focus",
        "0 = cannot concentrate at all",
        "10 = sharp and clear",
    ),
    (
        "sleep",
        "0 = no sleep / terrible (last night)",
        "10 = excellent",
    ),
    ("irritability", "0 = none", "10 = extreme"),
    (
        "craving",
        "0 = no wish to take more ketamine",
        "10 = overwhelming urge",
    ),
];

#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
pub struct Ratings {
    pub mood: Option<Rating>,
    pub anxiety: Option<Rating>,
    pub energy: Option<Rating>,
    pub focus: Option<Rating>,
    pub sleep: Option<Rating>,
    pub irritability: Option<Rating>,
}

impl Ratings {
    pub fn is_empty(&self) -> bool {
        self.iter().all(|(_, r)| r.is_none())
    }
    pub fn iter(&self) -> impl Iterator<Item = (&'static str, Option<Rating>)> {
        [
            ("mood", self.mood),
            ("anxiety", self.anxiety),
            ("energy", self.energy),
            ("focus", self.focus),
            ("sleep", self.sleep),
            ("irritability", self.irritability),
        ]
        .into_iter()
    }
}

/// Side effects offered by name; others may be typed.
pub const COMMON_SIDE_EFFECTS: [&str; 8] = [
    "nausea",
    "dizziness",
    "dissociation",
    "headache",
    "sedation",
    "vomiting",
    "blurred-vision",
    "numbness",
];

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SideEffect {
    pub name: String,
    /// 0–10 when rated; `None` when only noted as present.
    pub severity: Option<Rating>,
}

impl FromStr for SideEffect {
    type Err = CheckinError;
    /// "nausea" or "nausea=4".
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let (name, sev) = match s.split_once('=') {
            Some((n, v)) => {
                let v: i64 = v
                    .trim()
                    .parse()
                    .map_err(|_| CheckinError::SideEffect(s.to_string()))?;
                (n, Some(Rating::new(v)?))
            }
            None => (s, None),
        };
        let name = text::tags(&[name]).map_err(|_| CheckinError::SideEffect(s.to_string()))?;
        let name = name
            .into_iter()
            .next()
            .ok_or_else(|| CheckinError::SideEffect(s.to_string()))?;
        Ok(SideEffect {
            name,
            severity: sev,
        })
    }
}

/// Urinary symptoms worth tracking on ketamine (early signs of ketamine uropathy).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum UrinarySymptom {
    /// Needing to pass urine more often than usual.
    Frequency,
    /// Sudden, hard-to-delay need.
    Urgency,
    /// Pain or burning on passing urine, or bladder pain.
    Pain,
    /// Blood in the urine (not from a period).
    Blood,
    /// Waking at night to pass urine.
    Nocturia,
}

impl UrinarySymptom {
    pub fn as_str(self) -> &'static str {
        match self {
            UrinarySymptom::Frequency => "frequency",
            UrinarySymptom::Urgency => "urgency",
            UrinarySymptom::Pain => "pain",
            UrinarySymptom::Blood => "blood",
            UrinarySymptom::Nocturia => "nocturia",
        }
    }
}

impl FromStr for UrinarySymptom {
    type Err = CheckinError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Ok(match s.trim().to_ascii_lowercase().as_str() {
            "frequency" => UrinarySymptom::Frequency,
            "urgency" => UrinarySymptom::Urgency,
            "pain" | "dysuria" => UrinarySymptom::Pain,
            "blood" | "haematuria" | "hematuria" => UrinarySymptom::Blood,
            "nocturia" | "night" => UrinarySymptom::Nocturia,
            other => return Err(CheckinError::Urinary(other.to_string())),
        })
    }
}

/// Shown whenever urinary symptoms are recorded.
pub const URINARY_WARNING: &str = "Urinary frequency, urgency, pain and blood in the urine are the \
early signs of ketamine-related bladder damage, which was linked to both dose and frequency of use \
and improved in about half of people after stopping. Tell your clinician; blood in the urine or \
severe pain needs prompt medical attention.";
pub const URINARY_SOURCES: [&str; 3] = [
    "Ketalar (ketamine HCl) US label, section 6: dysuria, frequency, urgency, urge incontinence, haematuria",
    "Winstock AR et al. BJU Int 2012;110:1762-1766: symptoms related to dose and frequency; 51% improved on stopping",
    "Chan EOT et al. Hong Kong Med J 2022;28:466-474: frequency 77%, urgency 70%, pain 60% in ketamine uropathy",
];

#[derive(Debug, Clone, PartialEq, Error)]
pub enum CheckinError {
    #[error("ratings are whole numbers from 0 to 10; {0} is not")]
    Rating(i64),
    #[error(
        "side effect {0:?} not understood: write a name, optionally with a 0-10 rating, e.g. \"nausea=3\""
    )]
    SideEffect(String),
    #[error(
        "urinary symptom {0:?} not understood: use frequency, urgency, pain, blood or nocturia"
    )]
    Urinary(String),
    #[error(
        "the check-in is empty: give at least one rating, side effect, symptom, craving or note"
    )]
    Empty,
    #[error("the check-in is timed {0} minutes in the future")]
    InFuture(i64),
    #[error(transparent)]
    Text(#[from] TextError),
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NewCheckin {
    pub at: Timestamp,
    pub zone: String,
    pub ratings: Ratings,
    pub side_effects: Vec<SideEffect>,
    pub craving: Option<Rating>,
    pub urinary: Vec<UrinarySymptom>,
    pub note: Option<String>,
    pub tags: Vec<String>,
    /// Private entries never leave the journal in a shared report.
    pub private: bool,
    /// During a blinded trial: what the person thinks they took that day, and how sure.
    #[serde(default)]
    pub guess: Option<crate::trial_record::TrialGuess>,
}

impl NewCheckin {
    /// Whether the note or a tag reads as thoughts of suicide or self-harm: the crisis guidance
    /// is shown, as for PHQ-9 item 9.
    pub fn reads_as_self_harm(&self) -> bool {
        self.note.as_deref().is_some_and(text::reads_as_self_harm)
            || self.tags.iter().any(|t| text::reads_as_self_harm(t))
    }

    /// Check and normalise: refuse an empty check-in, validate note and tags, sort symptoms.
    pub fn validated(mut self, now: Timestamp) -> Result<Self, CheckinError> {
        self.note = text::note(self.note.as_deref())?;
        self.tags = text::tags(&self.tags)?;
        self.urinary.sort();
        self.urinary.dedup();
        if self.side_effects.len() > 30 {
            return Err(CheckinError::SideEffect(
                "too many side effects (at most 30)".into(),
            ));
        }
        let ahead = self.at.duration_since(now);
        if ahead > crate::dose::MAX_FUTURE {
            return Err(CheckinError::InFuture(ahead.as_secs() / 60));
        }
        if self.ratings.is_empty()
            && self.side_effects.is_empty()
            && self.craving.is_none()
            && self.urinary.is_empty()
            && self.note.is_none()
            && self.guess.is_none()
        {
            return Err(CheckinError::Empty);
        }
        self.at = crate::when::to_micros(self.at);
        Ok(self)
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Checkin {
    pub id: i64,
    #[serde(flatten)]
    pub checkin: NewCheckin,
    pub created_at: Timestamp,
    /// When it was last corrected (the earlier versions are kept as revisions). Files written
    /// before check-ins could be corrected have neither field.
    #[serde(default)]
    pub updated_at: Option<Timestamp>,
    /// When it was deleted: it stays in the record, marked, and is left out of everything that
    /// reads check-ins (insights, trends, the safety check, the report).
    #[serde(default)]
    pub deleted_at: Option<Timestamp>,
}

impl Checkin {
    /// A new check-in as stored before any correction.
    pub fn new(id: i64, checkin: NewCheckin, created_at: Timestamp) -> Self {
        Checkin {
            id,
            checkin,
            created_at,
            updated_at: None,
            deleted_at: None,
        }
    }

    /// Not deleted.
    pub fn is_live(&self) -> bool {
        self.deleted_at.is_none()
    }

    /// The revision a correction or deletion keeps of this check-in as it is now; `None` for a
    /// deleted check-in, which is never changed again. The rule both backends apply.
    pub fn revision(
        &self,
        at: Timestamp,
        action: RevisionAction,
        reason: Option<&str>,
    ) -> Option<CheckinRevision> {
        self.is_live().then(|| CheckinRevision {
            id: 0,
            checkin_id: self.id,
            at,
            action,
            previous: self.checkin.clone(),
            reason: reason.map(str::to_string),
        })
    }
}

/// What a check-in looked like before a correction or deletion, and why it changed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CheckinRevision {
    pub id: i64,
    pub checkin_id: i64,
    pub at: Timestamp,
    pub action: RevisionAction,
    pub previous: NewCheckin,
    pub reason: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::ts;

    fn empty() -> NewCheckin {
        NewCheckin {
            at: ts("2026-11-28T12:00:00Z"),
            zone: "UTC".into(),
            ratings: Ratings::default(),
            side_effects: vec![],
            craving: None,
            urinary: vec![],
            note: None,
            tags: vec![],
            private: false,
            guess: None,
        }
    }

    #[test]
    fn ratings_are_bounded() {
        assert!(Rating::new(0).is_ok() && Rating::new(10).is_ok());
        assert!(Rating::new(11).is_err() && Rating::new(-1).is_err());
        assert!(serde_json::from_str::<Rating>("11").is_err());
    }

    #[test]
    fn side_effect_syntax() {
        assert_eq!(
            "nausea=3"
                .parse::<SideEffect>()
                .ok()
                .map(|s| (s.name, s.severity.map(Rating::value))),
            Some(("nausea".into(), Some(3)))
        );
        assert_eq!(
            "Headache"
                .parse::<SideEffect>()
                .ok()
                .map(|s| (s.name, s.severity)),
            Some(("headache".into(), None))
        );
        assert!("nausea=12".parse::<SideEffect>().is_err());
        assert!("nausea=x".parse::<SideEffect>().is_err());
        assert!("bad name".parse::<SideEffect>().is_err());
    }

    #[test]
    fn empty_checkin_is_refused() {
        let now = ts("2026-11-28T12:00:00Z");
        assert_eq!(empty().validated(now), Err(CheckinError::Empty));
        let mut c = empty();
        c.urinary = vec![
            UrinarySymptom::Pain,
            UrinarySymptom::Frequency,
            UrinarySymptom::Pain,
        ];
        let c = c.validated(now).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(
            c.urinary,
            vec![UrinarySymptom::Frequency, UrinarySymptom::Pain]
        );
        let mut c = empty();
        c.ratings.mood = Rating::new(6).ok();
        c.at = ts("2026-11-28T13:00:00Z");
        assert!(matches!(c.validated(now), Err(CheckinError::InFuture(60))));
    }
}
