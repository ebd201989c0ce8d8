//! Recording a check-in from what a person entered (typed flags, a form, JSON).

use crate::{Result, input};
use dosewise_core::checkin::{
    Checkin, NewCheckin, Rating, Ratings, SideEffect, URINARY_SOURCES, URINARY_WARNING,
    UrinarySymptom,
};
use dosewise_core::jiff::Timestamp;
use dosewise_core::questionnaire::{CRISIS_SOURCE, crisis_guidance};
use dosewise_core::when;
use dosewise_store::Store;
use serde::{Deserialize, Serialize};

/// A check-in as entered: ratings 0-10, side effects as "nausea" or "dizziness=4", urinary
/// symptoms by name (frequency, urgency, pain, blood, nocturia).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct CheckinRequest {
    pub mood: Option<i64>,
    pub anxiety: Option<i64>,
    pub energy: Option<i64>,
    pub focus: Option<i64>,
    pub sleep: Option<i64>,
    pub irritability: Option<i64>,
    pub craving: Option<i64>,
    pub side_effects: Vec<String>,
    pub urinary: Vec<String>,
    pub note: Option<String>,
    pub tags: Vec<String>,
    /// Kept out of anything shared (the clinician report).
    pub private: bool,
    /// "21:00", "-2h", "yesterday 21:00", RFC 3339; `None` means now.
    pub at: Option<String>,
    /// An explicit zone (IANA name); otherwise the profile's.
    pub zone: Option<String>,
}

/// A warning that goes with a saved check-in: urinary symptoms, or a note or tag that reads as
/// thoughts of self-harm (the crisis guidance, as for PHQ-9 item 9).
#[derive(Debug, Clone, Serialize)]
pub struct Warning {
    pub code: &'static str,
    pub message: String,
    pub sources: Vec<String>,
}

fn rating(v: Option<i64>) -> Result<Option<Rating>> {
    v.map(|v| Rating::new(v).map_err(input)).transpose()
}

/// Validate and save a check-in; nothing is written if any part is wrong. The warnings that go
/// with it come back with it, most urgent first.
pub async fn record<S: Store>(
    store: &S,
    req: &CheckinRequest,
    now: Timestamp,
) -> Result<(Checkin, Vec<Warning>)> {
    let side_effects = req
        .side_effects
        .iter()
        .map(|s| s.parse::<SideEffect>().map_err(input))
        .collect::<Result<Vec<_>>>()?;
    let urinary = req
        .urinary
        .iter()
        .filter(|s| !s.trim().is_empty())
        .map(|s| s.parse::<UrinarySymptom>().map_err(input))
        .collect::<Result<Vec<_>>>()?;
    let profile = store.profile().await?;
    let tz = crate::zone(req.zone.as_deref(), profile.as_ref())?;
    let at = crate::instant(req.at.as_deref(), &tz, now)?;
    let c = NewCheckin {
        at,
        zone: when::zone_name(&tz),
        ratings: Ratings {
            mood: rating(req.mood)?,
            anxiety: rating(req.anxiety)?,
            energy: rating(req.energy)?,
            focus: rating(req.focus)?,
            sleep: rating(req.sleep)?,
            irritability: rating(req.irritability)?,
        },
        side_effects,
        craving: rating(req.craving)?,
        urinary,
        note: req.note.clone(),
        tags: req.tags.clone(),
        private: req.private,
    }
    .validated(now)
    .map_err(input)?;
    let saved = store.add_checkin(&c, now).await?;
    let mut warnings = Vec::new();
    if saved.checkin.reads_as_self_harm() {
        warnings.push(Warning {
            code: "self_harm_thoughts",
            message: crisis_guidance(profile.as_ref().and_then(|p| p.crisis_line.as_deref())),
            sources: dosewise_core::rules::cite("self_harm_words")
                .into_iter()
                .chain([CRISIS_SOURCE.to_string()])
                .collect(),
        });
    }
    if !saved.checkin.urinary.is_empty() {
        warnings.push(Warning {
            code: "urinary_symptoms",
            message: URINARY_WARNING.to_string(),
            sources: URINARY_SOURCES.iter().map(|s| s.to_string()).collect(),
        });
    }
    Ok((saved, warnings))
}

/// A check-in in one line: "mood 6, anxiety 3, nausea 2, #work".
pub fn summary(c: &Checkin) -> String {
    let x = &c.checkin;
    let mut parts: Vec<String> = x
        .ratings
        .iter()
        .filter_map(|(n, r)| r.map(|r| format!("{n} {r}")))
        .collect();
    if let Some(cr) = x.craving {
        parts.push(format!("craving {cr}"));
    }
    for s in &x.side_effects {
        parts.push(match s.severity {
            Some(v) => format!("{} {v}", s.name),
            None => s.name.clone(),
        });
    }
    if !x.urinary.is_empty() {
        parts.push(format!(
            "urinary: {}",
            x.urinary
                .iter()
                .map(|u| u.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        ));
    }
    if !x.tags.is_empty() {
        parts.push(format!("#{}", x.tags.join(" #")));
    }
    if x.private {
        parts.push("(private)".into());
    }
    parts.join(", ")
}
