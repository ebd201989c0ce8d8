//! Recording a check-in from what a person entered (typed flags, a form, JSON).

use crate::{Result, input};
use dosewise_core::checkin::{
    Checkin, CheckinRevision, NewCheckin, Rating, Ratings, SideEffect, URINARY_SOURCES,
    URINARY_WARNING, UrinarySymptom,
};
use dosewise_core::jiff::Timestamp;
use dosewise_core::questionnaire::{CRISIS_SOURCE, crisis_guidance};
use dosewise_core::text;
use dosewise_core::trial::Guess;
use dosewise_core::trial_record::TrialGuess;
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
    /// During a blinded trial: what the person thinks they took today.
    pub guess: Option<Guess>,
    /// How sure of the guess: 1 (a pure guess) to 5 (certain); 1 when not given.
    pub guess_sure: Option<u8>,
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
    let profile = store.profile().await?;
    let tz = crate::zone(req.zone.as_deref(), profile.as_ref())?;
    let at = crate::instant(req.at.as_deref(), &tz, now)?;
    let c = assemble(req, at, when::zone_name(&tz), now)?;
    let saved = store.add_checkin(&c, now).await?;
    let warnings = warnings(&saved.checkin, profile.as_ref());
    Ok((saved, warnings))
}

/// The check-in a request describes, at a given time, checked and normalised.
fn assemble(
    req: &CheckinRequest,
    at: Timestamp,
    zone: String,
    now: Timestamp,
) -> Result<NewCheckin> {
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
    NewCheckin {
        at,
        zone,
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
        guess: match (req.guess, req.guess_sure) {
            (Some(g), sure) => Some(TrialGuess::new(g, sure.unwrap_or(1)).map_err(input)?),
            (None, Some(_)) => {
                return Err(input(
                    "how sure goes with a guess: say what you think you took (active, placebo or dont_know)",
                ));
            }
            (None, None) => None,
        },
    }
    .validated(now)
    .map_err(input)
}

/// The warnings that go with a check-in, most urgent first.
fn warnings(c: &NewCheckin, profile: Option<&dosewise_core::profile::Profile>) -> Vec<Warning> {
    let mut warnings = Vec::new();
    if c.reads_as_self_harm() {
        warnings.push(Warning {
            code: "self_harm_thoughts",
            message: crisis_guidance(
                profile.and_then(|p| p.crisis_line.as_deref()),
                profile.and_then(|p| p.clinician.as_deref()),
            ),
            sources: dosewise_core::rules::cite("self_harm_words")
                .into_iter()
                .chain([CRISIS_SOURCE.to_string()])
                .collect(),
        });
    }
    if !c.urinary.is_empty() {
        warnings.push(Warning {
            code: "urinary_symptoms",
            message: URINARY_WARNING.to_string(),
            sources: URINARY_SOURCES.iter().map(|s| s.to_string()).collect(),
        });
    }
    warnings
}

/// What can be removed from a check-in by name in [`CheckinEdit::clear`].
pub const CLEARABLE: [&str; 11] = [
    "mood",
    "anxiety",
    "energy",
    "focus",
    "sleep",
    "irritability",
    "craving",
    "side_effects",
    "urinary",
    "note",
    "tags",
];

/// A correction to a check-in: what is given replaces what was recorded, what `clear` names is
/// removed, and everything else stays as it was.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct CheckinEdit {
    pub mood: Option<i64>,
    pub anxiety: Option<i64>,
    pub energy: Option<i64>,
    pub focus: Option<i64>,
    pub sleep: Option<i64>,
    pub irritability: Option<i64>,
    pub craving: Option<i64>,
    pub side_effects: Option<Vec<String>>,
    pub urinary: Option<Vec<String>>,
    pub note: Option<String>,
    pub tags: Option<Vec<String>>,
    pub private: Option<bool>,
    /// A new time ("21:00", "yesterday 21:00", RFC 3339), in `zone` or the profile's zone.
    pub at: Option<String>,
    pub zone: Option<String>,
    /// Remove these: a rating by name, "craving", "side_effects", "urinary", "note", "tags".
    pub clear: Vec<String>,
    /// Why it changed, kept with the earlier version.
    pub reason: Option<String>,
}

/// What a correction did.
#[derive(Debug, Clone, Serialize)]
pub struct CheckinEdited {
    pub checkin: Checkin,
    pub previous: Checkin,
    /// False when the correction asked for what was already recorded: nothing was written.
    pub changed: bool,
    pub warnings: Vec<Warning>,
}

impl CheckinEdit {
    /// The request as it was recorded, with this correction applied.
    fn apply(&self, old: &NewCheckin) -> Result<CheckinRequest> {
        let r = &old.ratings;
        let value = |v: Option<Rating>| v.map(|v| i64::from(v.value()));
        let mut req = CheckinRequest {
            mood: self.mood.or(value(r.mood)),
            anxiety: self.anxiety.or(value(r.anxiety)),
            energy: self.energy.or(value(r.energy)),
            focus: self.focus.or(value(r.focus)),
            sleep: self.sleep.or(value(r.sleep)),
            irritability: self.irritability.or(value(r.irritability)),
            craving: self.craving.or(value(old.craving)),
            side_effects: self.side_effects.clone().unwrap_or_else(|| {
                old.side_effects
                    .iter()
                    .map(|s| match s.severity {
                        Some(v) => format!("{}={v}", s.name),
                        None => s.name.clone(),
                    })
                    .collect()
            }),
            urinary: self
                .urinary
                .clone()
                .unwrap_or_else(|| old.urinary.iter().map(|u| u.as_str().to_string()).collect()),
            note: self.note.clone().or_else(|| old.note.clone()),
            tags: self.tags.clone().unwrap_or_else(|| old.tags.clone()),
            private: self.private.unwrap_or(old.private),
            at: None,
            zone: None,
            // A correction keeps the day's guess as it was made.
            guess: old.guess.map(|g| g.guess),
            guess_sure: old.guess.map(|g| g.sure),
        };
        for name in &self.clear {
            let given = match name.as_str() {
                "mood" => {
                    req.mood = None;
                    self.mood.is_some()
                }
                "anxiety" => {
                    req.anxiety = None;
                    self.anxiety.is_some()
                }
                "energy" => {
                    req.energy = None;
                    self.energy.is_some()
                }
                "focus" => {
                    req.focus = None;
                    self.focus.is_some()
                }
                "sleep" => {
                    req.sleep = None;
                    self.sleep.is_some()
                }
                "irritability" => {
                    req.irritability = None;
                    self.irritability.is_some()
                }
                "craving" => {
                    req.craving = None;
                    self.craving.is_some()
                }
                "side_effects" => {
                    req.side_effects.clear();
                    self.side_effects.is_some()
                }
                "urinary" => {
                    req.urinary.clear();
                    self.urinary.is_some()
                }
                "note" => {
                    req.note = None;
                    self.note.is_some()
                }
                "tags" => {
                    req.tags.clear();
                    self.tags.is_some()
                }
                other => {
                    return Err(input(format!(
                        "cannot clear {other:?}: choose from {}",
                        CLEARABLE.join(", ")
                    )));
                }
            };
            if given {
                return Err(input(format!(
                    "{name} is both given and cleared; give a new value or clear it, not both"
                )));
            }
        }
        Ok(req)
    }

    fn is_empty(&self) -> bool {
        [
            self.mood,
            self.anxiety,
            self.energy,
            self.focus,
            self.sleep,
            self.irritability,
            self.craving,
        ]
        .iter()
        .all(Option::is_none)
            && self.side_effects.is_none()
            && self.urinary.is_none()
            && self.note.is_none()
            && self.tags.is_none()
            && self.private.is_none()
            && self.at.is_none()
            && self.zone.is_none()
            && self.clear.is_empty()
    }
}

/// Correct a check-in; the earlier version is kept as a revision. The corrected check-in is
/// checked like a new one, and nothing is written if any part is wrong (or nothing changed).
pub async fn edit<S: Store>(
    store: &S,
    id: i64,
    e: &CheckinEdit,
    now: Timestamp,
) -> Result<CheckinEdited> {
    if e.is_empty() {
        return Err(input(format!(
            "say what to change: a rating, side effects, urinary symptoms, the note, tags, \
             private, the time, or what to clear ({})",
            CLEARABLE.join(", ")
        )));
    }
    let reason = text::opt_label("reason", e.reason.as_deref()).map_err(input)?;
    let previous = find(store, id).await?;
    let old = &previous.checkin;
    let profile = store.profile().await?;
    let (at, zone) = match (&e.at, &e.zone) {
        (Some(_), _) => {
            let tz = crate::zone(e.zone.as_deref(), profile.as_ref())?;
            (
                crate::instant(e.at.as_deref(), &tz, now)?,
                when::zone_name(&tz),
            )
        }
        (None, Some(z)) => (old.at, when::zone_name(&crate::zone(Some(z), None)?)),
        (None, None) => (old.at, old.zone.clone()),
    };
    let new = assemble(&e.apply(old)?, at, zone, now)?;
    let warnings = warnings(&new, profile.as_ref());
    if new == *old {
        return Ok(CheckinEdited {
            checkin: previous.clone(),
            previous,
            changed: false,
            warnings,
        });
    }
    let checkin = store.edit_checkin(id, &new, now, reason.as_deref()).await?;
    Ok(CheckinEdited {
        checkin,
        previous,
        changed: true,
        warnings,
    })
}

/// A check-in that can still be changed: present and not deleted.
async fn find<S: Store>(store: &S, id: i64) -> Result<Checkin> {
    let c = store
        .checkin(id)
        .await?
        .ok_or_else(|| crate::AppError::NotFound(format!("no check-in #{id}")))?;
    if !c.is_live() {
        return Err(crate::conflict(format!(
            "check-in #{id} was deleted; record a new check-in instead"
        )));
    }
    Ok(c)
}

/// Delete a check-in that was a mistake: it stays in the record, marked deleted with a revision,
/// and is left out of insights, trends, the safety check and the report.
pub async fn delete<S: Store>(
    store: &S,
    id: i64,
    reason: Option<&str>,
    now: Timestamp,
) -> Result<Checkin> {
    let reason = text::opt_label("reason", reason).map_err(input)?;
    find(store, id).await?;
    Ok(store.delete_checkin(id, now, reason.as_deref()).await?)
}

/// Undo a check-in just saved (see [`crate::dose::undo`]): deleted with the same reason,
/// within the same window.
pub async fn undo<S: Store>(store: &S, id: i64, now: Timestamp) -> Result<Checkin> {
    let c = find(store, id).await?;
    if c.deleted_at.is_some() || !crate::dose::undoable(c.created_at, c.updated_at, now) {
        return Err(crate::dose::too_late_to_undo(&format!("check-in #{id}")));
    }
    delete(store, id, Some(crate::dose::UNDONE), now).await
}

/// A check-in with its earlier versions, oldest first.
pub async fn show<S: Store>(store: &S, id: i64) -> Result<(Checkin, Vec<CheckinRevision>)> {
    let c = store
        .checkin(id)
        .await?
        .ok_or_else(|| crate::AppError::NotFound(format!("no check-in #{id}")))?;
    let revisions = store.checkin_revisions(id).await?;
    Ok((c, revisions))
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
