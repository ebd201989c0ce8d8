//! Reading a PsychonautWiki Journal export (the Android and iOS apps' one JSON file) into
//! Dosewise records. Pure: the text in, the records out; the app writes them.
//!
//! What becomes what:
//! - a ketamine or esketamine ingestion → a dose, in mg as recorded (custom units resolved:
//!   `dose × unit.dose` in the unit's own original unit), taken as the hydrochloride (PW Journal
//!   does not name the salt; the note says so), its estimate and spread in the note;
//! - any other substance → a logged use, so the interaction checks see it;
//! - an experience's title, text and location name, its ratings and timed notes → check-ins
//!   with a note at their times, tagged `pw-journal`.
//!
//! Every record says where it came from. Ingestions logged for someone else (`consumerName`)
//! are left out. The format's variants are read alike: fields left out when they hold their
//! default (Android), explicit nulls (iOS), the older `estimatedDoseVariance`, files with no
//! `customUnits`. Reference: `../shared/reference/interop.md` and `psychonautwiki_journal.md`.

use crate::checkin::{NewCheckin, Ratings};
use crate::dose::{DoseInput, prepare_dose};
use crate::dose_expr::Quantity;
pub use crate::incoming::{Addition, Converted, addition};
use crate::medication::NewSubstanceUse;
use crate::route::{Route, Substance};
use crate::salt::Salt;
use crate::units::{Kilograms, fmt_num};
use jiff::Timestamp;
use serde::Deserialize;
use std::collections::HashMap;
use thiserror::Error;

/// The tag on every check-in made from the file.
pub const TAG: &str = "pw-journal";
/// The words every imported record's note starts with.
pub const PROVENANCE: &str = "From PsychonautWiki Journal";

#[derive(Debug, Clone, PartialEq, Error)]
pub enum PwError {
    #[error("{0}")]
    Json(String),
    #[error(
        "this is not a PsychonautWiki Journal export: it has no \"experiences\" list{0}. In the app: Settings → Export file"
    )]
    Foreign(&'static str),
    #[error("{at}: {what}")]
    Record { at: String, what: String },
}

/// The file as exported; fields the import does not use are ignored.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PwFile {
    pub experiences: Vec<Experience>,
    #[serde(default)]
    pub custom_units: Option<Vec<CustomUnit>>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Experience {
    #[serde(default)]
    pub title: Option<String>,
    #[serde(default)]
    pub text: Option<String>,
    #[serde(default)]
    pub creation_date: Option<i64>,
    #[serde(default)]
    pub sort_date: Option<i64>,
    #[serde(default)]
    pub ingestions: Option<Vec<Ingestion>>,
    #[serde(default)]
    pub location: Option<Location>,
    #[serde(default)]
    pub ratings: Option<Vec<Rating>>,
    #[serde(default)]
    pub timed_notes: Option<Vec<TimedNote>>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Ingestion {
    pub substance_name: String,
    pub time: i64,
    #[serde(default)]
    pub end_time: Option<i64>,
    pub administration_route: String,
    #[serde(default)]
    pub dose: Option<f64>,
    #[serde(default)]
    pub is_dose_an_estimate: Option<bool>,
    #[serde(default, alias = "estimatedDoseVariance")]
    pub estimated_dose_standard_deviation: Option<f64>,
    #[serde(default)]
    pub units: Option<String>,
    #[serde(default)]
    pub notes: Option<String>,
    #[serde(default)]
    pub stomach_fullness: Option<String>,
    #[serde(default)]
    pub consumer_name: Option<String>,
    #[serde(default)]
    pub custom_unit_id: Option<i64>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CustomUnit {
    pub id: i64,
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default)]
    pub dose: Option<f64>,
    #[serde(default, alias = "estimatedDoseVariance")]
    pub estimated_dose_standard_deviation: Option<f64>,
    #[serde(default)]
    pub is_estimate: Option<bool>,
    #[serde(default)]
    pub unit: Option<String>,
    #[serde(default)]
    pub unit_plural: Option<String>,
    #[serde(default)]
    pub original_unit: Option<String>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Location {
    #[serde(default)]
    pub name: Option<String>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Rating {
    pub option: String,
    #[serde(default)]
    pub time: Option<i64>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TimedNote {
    pub time: i64,
    #[serde(default)]
    pub note: Option<String>,
}

/// Read the file's text. A broken or truncated file is named with its line and column; a JSON
/// file of another kind is named as such.
pub fn parse(text: &str) -> Result<PwFile, PwError> {
    let value: serde_json::Value = serde_json::from_str(text).map_err(|e| {
        PwError::Json(format!(
            "not valid JSON at line {}, column {}: {e}{}",
            e.line(),
            e.column(),
            if e.is_eof() {
                " (the file ends early: was it copied whole?)"
            } else {
                ""
            }
        ))
    })?;
    let Some(obj) = value.as_object() else {
        return Err(PwError::Foreign(" (the file is not a JSON object)"));
    };
    if !obj
        .get("experiences")
        .is_some_and(serde_json::Value::is_array)
    {
        let hint = if obj.contains_key("format") && obj.contains_key("doses") {
            " (it is a Dosewise export: import it without choosing PsychonautWiki Journal)"
        } else {
            ""
        };
        return Err(PwError::Foreign(hint));
    }
    drop(value);
    // Read again as the format, so that a field of the wrong kind is named with its place.
    serde_json::from_str(text).map_err(|e| {
        PwError::Json(format!(
            "not a PsychonautWiki Journal export as expected at line {}, column {}: {e}",
            e.line(),
            e.column()
        ))
    })
}

/// Whether `text` looks like a PsychonautWiki Journal export (a JSON object whose first key is
/// `experiences` or that has one), for surfaces that tell the formats apart by themselves.
pub fn looks_like(text: &str) -> bool {
    let head: String = text
        .chars()
        .take(4096)
        .filter(|c| !c.is_whitespace())
        .collect();
    head.starts_with("{\"experiences\":")
        || (head.starts_with('{')
            && !head.contains("\"format\":\"dosewise")
            && text.contains("\"experiences\"")
            && text.contains("\"ingestions\""))
}

fn instant(ms: i64, at: &str) -> Result<Timestamp, PwError> {
    Timestamp::from_millisecond(ms).map_err(|_| PwError::Record {
        at: at.to_string(),
        what: format!("the time {ms} is not a time (epoch milliseconds)"),
    })
}

fn route(name: &str) -> Option<Route> {
    Some(match name.trim().to_ascii_uppercase().as_str() {
        "ORAL" => Route::Oral,
        "SUBLINGUAL" => Route::Sublingual,
        "BUCCAL" => Route::Buccal,
        "INSUFFLATED" => Route::Intranasal,
        "RECTAL" => Route::Rectal,
        "INTRAMUSCULAR" => Route::Intramuscular,
        "INTRAVENOUS" => Route::Intravenous,
        _ => return None,
    })
}

fn substance(name: &str) -> Option<Substance> {
    match name.trim().to_ascii_lowercase().as_str() {
        "ketamine" => Some(Substance::Ketamine),
        "esketamine" | "s-ketamine" | "s ketamine" => Some(Substance::Esketamine),
        _ => None,
    }
}

/// Milligrams in an amount of `unit` (mg, µg, g), or `None` for a unit that is not a mass.
fn to_mg(amount: f64, unit: &str) -> Option<f64> {
    match unit.trim() {
        "mg" => Some(amount),
        "µg" | "μg" | "ug" | "mcg" => Some(amount / 1000.0),
        "g" => Some(amount * 1000.0),
        _ => None,
    }
}

/// The app's rating options as Shulgin's scale (PiHKAL) words them, in short.
fn rating_text(option: &str) -> Option<&'static str> {
    Some(match option {
        "minus" => "− (no effect)",
        "plusMinus" => "± (a threshold: unsure there was an effect)",
        "plus" => "+ (an effect, its nature not yet clear)",
        "twoPlus" => "++ (the effect and its nature clear)",
        "threePlus" => "+++ (fully active, not to be ignored)",
        "fourPlus" => "++++ (a rare peak experience)",
        _ => return None,
    })
}

/// The longest note one check-in holds; a longer experience text is split into parts.
const PART_CHARS: usize = crate::text::MAX_NOTE_CHARS - 200;

fn parts(text: &str) -> Vec<String> {
    let chars: Vec<char> = text.chars().collect();
    if chars.len() <= PART_CHARS {
        return vec![text.to_string()];
    }
    let mut out = Vec::new();
    let mut start = 0;
    while start < chars.len() {
        let mut end = (start + PART_CHARS).min(chars.len());
        if end < chars.len() {
            // Break at the last whitespace in the part's second half, if there is one.
            if let Some(k) = (start + PART_CHARS / 2..end)
                .rev()
                .find(|&k| chars[k].is_whitespace())
            {
                end = k + 1;
            }
        }
        out.push(chars[start..end].iter().collect());
        start = end;
    }
    out
}

fn note_checkin(at: Timestamp, zone: &str, note: String, private: bool) -> NewCheckin {
    NewCheckin {
        at,
        zone: zone.to_string(),
        ratings: Ratings::default(),
        side_effects: vec![],
        craving: None,
        urinary: vec![],
        note: Some(note),
        tags: vec![TAG.to_string()],
        private,
        guess: None,
    }
}

/// Turn the file into records, in `zone` (the file's times carry none), the doses checked and
/// converted like any dose entered by hand (except that they happened: no safety check here).
/// `private` marks the check-ins made from notes private.
pub fn convert(
    file: &PwFile,
    zone: &str,
    weight: Option<Kilograms>,
    now: Timestamp,
    private: bool,
) -> Result<Converted, PwError> {
    let units: HashMap<i64, &CustomUnit> = file
        .custom_units
        .iter()
        .flatten()
        .map(|u| (u.id, u))
        .collect();
    let mut out = Converted::default();
    for (n, e) in file.experiences.iter().enumerate() {
        let title = e
            .title
            .as_deref()
            .map(str::trim)
            .filter(|t| !t.is_empty())
            .unwrap_or("untitled");
        let here = format!("experience {} (\"{title}\")", n + 1);
        let from = format!("{PROVENANCE}, experience \"{title}\"");
        let ingestions = e.ingestions.as_deref().unwrap_or_default();
        let start = match e.sort_date.or(e.creation_date) {
            Some(ms) => instant(ms, &here)?,
            None => match ingestions.iter().map(|i| i.time).min() {
                Some(ms) => instant(ms, &here)?,
                None => {
                    return Err(PwError::Record {
                        at: here,
                        what: "it has no date and no ingestion to take one from".into(),
                    });
                }
            },
        };
        let mut header = from.clone();
        if let Some(place) = e
            .location
            .as_ref()
            .and_then(|l| l.name.as_deref())
            .map(str::trim)
            .filter(|p| !p.is_empty())
        {
            header.push_str(&format!(" (at {place})"));
        }
        let text = e.text.as_deref().map(str::trim).unwrap_or("");
        let pieces = if text.is_empty() {
            vec![String::new()]
        } else {
            parts(text)
        };
        let total = pieces.len();
        for (k, piece) in pieces.into_iter().enumerate() {
            let part = if total > 1 {
                format!(", part {} of {total}", k + 1)
            } else {
                String::new()
            };
            let note = if piece.is_empty() {
                format!("{header}{part}.")
            } else {
                format!("{header}{part}:\n{piece}")
            };
            out.checkins.push(note_checkin(start, zone, note, private));
        }
        for r in e.ratings.iter().flatten() {
            let words = rating_text(&r.option).ok_or_else(|| PwError::Record {
                at: here.clone(),
                what: format!(
                    "unknown rating {:?} (expected minus, plusMinus, plus, twoPlus, threePlus or fourPlus)",
                    r.option
                ),
            })?;
            let at = match r.time {
                Some(ms) => instant(ms, &here)?,
                None => start,
            };
            out.checkins.push(note_checkin(
                at,
                zone,
                format!("{from}: Shulgin rating {words}."),
                private,
            ));
        }
        for t in e.timed_notes.iter().flatten() {
            let Some(text) = t.note.as_deref().map(str::trim).filter(|t| !t.is_empty()) else {
                continue;
            };
            let at = instant(t.time, &here)?;
            for piece in parts(text) {
                out.checkins.push(note_checkin(
                    at,
                    zone,
                    format!("{from}, timed note:\n{piece}"),
                    private,
                ));
            }
        }
        for (m, i) in ingestions.iter().enumerate() {
            let at_text = format!("{here}, ingestion {} ({})", m + 1, i.substance_name.trim());
            if i.consumer_name
                .as_deref()
                .is_some_and(|c| !c.trim().is_empty())
            {
                out.for_others += 1;
                continue;
            }
            let at = instant(i.time, &at_text)?;
            let unit = i.custom_unit_id.and_then(|id| units.get(&id).copied());
            if i.custom_unit_id.is_some() && unit.is_none() {
                return Err(PwError::Record {
                    at: at_text,
                    what: format!(
                        "it counts custom unit {} that the file does not hold",
                        i.custom_unit_id.unwrap_or_default()
                    ),
                });
            }
            // The amount in a unit of mass, as the app recorded it: the custom unit resolved.
            let (amount, mass_unit, estimate, spread) = match (i.dose, unit) {
                (Some(d), Some(u)) => (
                    u.dose.map(|ud| d * ud),
                    u.original_unit.clone().unwrap_or_default(),
                    i.is_dose_an_estimate.unwrap_or(false) || u.is_estimate.unwrap_or(false),
                    u.estimated_dose_standard_deviation.map(|s| s * d),
                ),
                (d, _) => (
                    d,
                    i.units.clone().unwrap_or_default(),
                    i.is_dose_an_estimate.unwrap_or(false),
                    i.estimated_dose_standard_deviation,
                ),
            };
            let as_counted = match (i.dose, unit) {
                (Some(d), Some(u)) => {
                    let name = if (d - 1.0).abs() < 1e-9 {
                        u.unit.clone()
                    } else {
                        u.unit_plural.clone().or(u.unit.clone())
                    };
                    Some(format!(
                        "{} {} of \"{}\"",
                        fmt_num(d),
                        name.unwrap_or_else(|| "units".into()),
                        u.name.as_deref().unwrap_or("a custom unit")
                    ))
                }
                _ => None,
            };
            let mut details = Vec::new();
            if let Some(c) = &as_counted {
                details.push(format!("recorded as {c}"));
            }
            if estimate {
                details.push(match spread {
                    Some(s) if s > 0.0 => format!("an estimate, ± {} {mass_unit}", fmt_num(s)),
                    _ => "an estimate".into(),
                });
            }
            if let Some(end) = i.end_time {
                let mins = (end - i.time) / 60_000;
                if mins > 0 {
                    details.push(format!("taken over {mins} minutes"));
                }
            }
            if let Some(s) = i
                .stomach_fullness
                .as_deref()
                .filter(|s| !s.trim().is_empty())
            {
                details.push(format!(
                    "stomach: {}",
                    s.to_ascii_lowercase().replace("full", " full").trim()
                ));
            }
            if let Some(n) = i.notes.as_deref().map(str::trim).filter(|n| !n.is_empty()) {
                details.push(format!("note: {n}"));
            }
            match substance(&i.substance_name) {
                Some(s) => {
                    let r = route(&i.administration_route).ok_or_else(|| PwError::Record {
                        at: at_text.clone(),
                        what: format!(
                            "{} by route {:?} has no Dosewise route (oral, sublingual, buccal, insufflated, rectal, intramuscular and intravenous do)",
                            s.as_str(),
                            i.administration_route
                        ),
                    })?;
                    let Some(amount) = amount else {
                        out.without_amount += 1;
                        let mut note = format!(
                            "{from}: {} ({}), amount not recorded",
                            s.as_str(),
                            r.as_str()
                        );
                        for d in &details {
                            note.push_str(&format!("; {d}"));
                        }
                        out.checkins.push(note_checkin(at, zone, note, private));
                        continue;
                    };
                    let mg = to_mg(amount, &mass_unit).ok_or_else(|| PwError::Record {
                        at: at_text.clone(),
                        what: format!(
                            "the amount is in {:?}, not a unit of mass (mg, µg, g): Dosewise cannot tell the milligrams",
                            mass_unit
                        ),
                    })?;
                    let quantity = crate::units::Milligrams::positive(mg)
                        .map(Quantity::Mg)
                        .map_err(|e| PwError::Record {
                            at: at_text.clone(),
                            what: format!("the amount {}: {e}", fmt_num(mg)),
                        })?;
                    let mut note = format!(
                        "{from}. Salt not recorded there; taken as the hydrochloride (HCl)"
                    );
                    for d in &details {
                        note.push_str(&format!("; {d}"));
                    }
                    note.push('.');
                    let dose = prepare_dose(
                        DoseInput {
                            entered: format!("{} mg", fmt_num(mg)),
                            quantity,
                            route: Some(r),
                            at,
                            zone: zone.to_string(),
                            note: Some(note),
                            salt: Some(Salt::Hcl),
                            substance: Some(s),
                            protocol_id: None,
                        },
                        None,
                        weight,
                        now,
                    )
                    .map_err(|e| PwError::Record {
                        at: at_text.clone(),
                        what: e.to_string(),
                    })?;
                    out.doses.push(dose);
                }
                None => {
                    let amount = match (amount, &as_counted) {
                        (Some(a), None) => Some(format!("{} {}", fmt_num(a), mass_unit.trim())),
                        (Some(a), Some(c)) => {
                            Some(format!("{} {} ({c})", fmt_num(a), mass_unit.trim()))
                        }
                        (None, Some(c)) => Some(c.clone()),
                        (None, None) => None,
                    };
                    let mut note = format!(
                        "{from}; route: {}",
                        i.administration_route.trim().to_ascii_lowercase()
                    );
                    for d in &details {
                        note.push_str(&format!("; {d}"));
                    }
                    out.uses.push(NewSubstanceUse {
                        at,
                        zone: zone.to_string(),
                        name: i.substance_name.trim().to_string(),
                        amount: amount
                            .map(|a| a.chars().take(crate::text::MAX_LABEL_CHARS).collect()),
                        note: Some(note),
                    });
                }
            }
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::ts;

    const ANDROID: &str = include_str!("../../../tests/fixtures/pw-journal/android.json");
    const IOS: &str = include_str!("../../../tests/fixtures/pw-journal/ios.json");
    const OLD: &str = include_str!("../../../tests/fixtures/pw-journal/old-variance.json");
    const CUSTOM: &str = include_str!("../../../tests/fixtures/pw-journal/custom-units.json");

    fn convert_text(text: &str) -> Converted {
        let f = parse(text).unwrap_or_else(|e| panic!("{e}"));
        convert(&f, "Europe/Berlin", None, ts("2026-12-01T12:00:00Z"), false)
            .unwrap_or_else(|e| panic!("{e}"))
    }
    fn notes(c: &Converted) -> Vec<&str> {
        c.checkins
            .iter()
            .filter_map(|x| x.note.as_deref())
            .collect()
    }

    #[test]
    fn android_with_defaults_left_out() {
        let c = convert_text(ANDROID);
        assert_eq!((c.doses.len(), c.uses.len(), c.for_others), (2, 1, 1));
        let d = &c.doses[0];
        assert_eq!(d.at, ts("2026-11-01T08:00:00.120Z"));
        assert_eq!(
            (d.route, d.substance, d.salt),
            (Route::Sublingual, Substance::Ketamine, Salt::Hcl)
        );
        assert_eq!(
            (d.dose_mg, d.entered.as_str(), d.zone.as_str()),
            (25.0, "25 mg", "Europe/Berlin")
        );
        assert!((d.dose_mg_base - 21.67).abs() < 0.01, "{}", d.dose_mg_base);
        let note = d.note.as_deref().unwrap_or("");
        assert!(note.starts_with("From PsychonautWiki Journal, experience \"Sunday troche\". Salt not recorded there; taken as the hydrochloride (HCl)."), "{note}");
        let n = &c.doses[1];
        assert_eq!((n.route, n.dose_mg), (Route::Intranasal, 20.0));
        assert!(
            n.note
                .as_deref()
                .unwrap_or("")
                .contains("; stomach: half full; note: two bumps."),
            "{:?}",
            n.note
        );
        let u = &c.uses[0];
        assert_eq!(
            (u.name.as_str(), u.amount.as_deref()),
            ("Alcohol", Some("20 mL EtOH"))
        );
        assert!(
            u.note
                .as_deref()
                .unwrap_or("")
                .contains("route: oral; an estimate"),
            "{:?}",
            u.note
        );
        // The experience's text, its rating at its own time, and the second experience's title.
        assert_eq!(
            notes(&c),
            vec![
                "From PsychonautWiki Journal, experience \"Sunday troche\":\nCalm afternoon, walked after.",
                "From PsychonautWiki Journal, experience \"Sunday troche\": Shulgin rating + (an effect, its nature not yet clear).",
                "From PsychonautWiki Journal, experience \"Nasal, evening\".",
            ]
        );
        assert_eq!(c.checkins[1].at, ts("2026-11-01T09:00:00Z"));
        assert!(
            c.checkins
                .iter()
                .all(|x| x.tags == vec![TAG.to_string()] && !x.private)
        );
    }

    #[test]
    fn ios_with_nulls_and_whole_seconds() {
        let c = convert_text(IOS);
        assert_eq!((c.doses.len(), c.uses.len(), c.checkins.len()), (1, 1, 3));
        let d = &c.doses[0];
        assert_eq!(
            (d.at, d.route, d.dose_mg),
            (ts("2026-11-10T07:30:00Z"), Route::Buccal, 12.5)
        );
        let note = d.note.as_deref().unwrap_or("");
        assert!(
            note.ends_with("; an estimate, ± 2.5 mg; taken over 20 minutes; stomach: empty."),
            "{note}"
        );
        let u = &c.uses[0];
        assert_eq!((u.name.as_str(), u.amount.as_deref()), ("Cannabis", None));
        assert!(
            u.note.as_deref().unwrap_or("").ends_with("; route: smoked"),
            "{:?}",
            u.note
        );
        let all = notes(&c);
        assert!(
            all[0].starts_with(
                "From PsychonautWiki Journal, experience \"Troche with Dr K's plan\" (at Home):"
            ),
            "{all:?}"
        );
        assert!(
            !all.iter().any(|n| n.contains("52.52")),
            "coordinates stay out"
        );
        // A rating without its own time takes the experience's.
        assert_eq!(c.checkins[1].at, ts("2026-11-10T07:30:00Z"));
        assert!(all[1].ends_with("Shulgin rating ++ (the effect and its nature clear)."));
        assert_eq!(c.checkins[2].at, ts("2026-11-10T08:15:00Z"));
        assert!(all[2].ends_with("timed note:\nPeak passed, some dizziness"));
    }

    #[test]
    fn the_older_variance_field_and_no_custom_units() {
        let c = convert_text(OLD);
        let d = &c.doses[0];
        assert_eq!(
            (d.substance, d.route, d.dose_mg),
            (Substance::Esketamine, Route::Intranasal, 28.0)
        );
        assert!(
            d.note
                .as_deref()
                .unwrap_or("")
                .contains("an estimate, ± 4 mg"),
            "{:?}",
            d.note
        );
    }

    #[test]
    fn custom_units_resolve_to_milligrams_and_a_slip_is_flagged() {
        let c = convert_text(CUSTOM);
        let mg: Vec<f64> = c.doses.iter().map(|d| d.dose_mg).collect();
        assert_eq!(mg, vec![12.5, 12.5, 25.0, 20.0, 250.0]);
        assert!(
            c.doses[0]
                .note
                .as_deref()
                .unwrap_or("")
                .contains("recorded as 0.5 troches of \"Troche 25\"")
        );
        assert!(
            c.doses[2]
                .note
                .as_deref()
                .unwrap_or("")
                .contains("recorded as 1 troche of \"Troche 25\"")
        );
        // 2 mL of a unit of 10 000 µg (± 500 µg) each: 20 mg, an estimate of ± 1000 µg.
        let sol = c.doses[3].note.as_deref().unwrap_or("");
        assert!(
            sol.contains("recorded as 2 mL of \"Solution 10 mg/mL\"; an estimate, ± 1000 µg"),
            "{sol}"
        );
        assert_eq!(c.doses[3].route, Route::Oral);
        // The ingestion without an amount is a note, not a dose.
        assert_eq!(c.without_amount, 1);
        assert!(
            notes(&c)
                .iter()
                .any(|n| n.ends_with("ketamine (sublingual), amount not recorded")),
            "{:?}",
            notes(&c)
        );
        // 250 mg after 12.5, 12.5, 25 and 20 (median 16.25): kept, and flagged.
        let a = addition(c, &crate::journal::Journal::empty());
        assert_eq!((a.doses.len(), a.flagged), (5, 1));
        let f = &a.doses[4].findings;
        assert_eq!(f.len(), 1);
        assert_eq!(
            (f[0].code.as_str(), f[0].severity),
            ("unit_plausibility", crate::safety::Severity::Warning)
        );
        assert!(
            f[0].message
                .starts_with("Imported as recorded: 216.7 mg base is"),
            "{}",
            f[0].message
        );
        assert!(a.doses[..4].iter().all(|d| d.findings.is_empty()));
    }

    #[test]
    fn what_the_journal_holds_is_left_out() {
        let c = convert_text(ANDROID);
        let mut j = crate::journal::Journal::empty();
        j.doses.push(crate::dose::Dose {
            id: 1,
            dose: c.doses[0].clone(),
            created_at: ts("2026-11-02T00:00:00Z"),
            updated_at: None,
            deleted_at: None,
        });
        j.checkins.push(crate::checkin::Checkin::new(
            1,
            c.checkins[0].clone(),
            ts("2026-11-02T00:00:00Z"),
        ));
        let a = addition(c, &j);
        assert_eq!(
            (
                a.doses.len(),
                a.checkins.len(),
                a.uses.len(),
                a.already_here
            ),
            (1, 2, 1, 2)
        );
    }

    #[test]
    fn broken_foreign_and_odd_files_are_refused_with_where() {
        let cut = &ANDROID[..ANDROID.len() / 2];
        let e = parse(cut).err().map(|e| e.to_string()).unwrap_or_default();
        assert!(
            e.contains("line ") && e.contains("the file ends early"),
            "{e}"
        );
        let e = parse("{\"format\": \"dosewise-journal\", \"version\": 5, \"doses\": []}")
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default();
        assert!(
            e.contains("not a PsychonautWiki Journal export") && e.contains("Dosewise export"),
            "{e}"
        );
        assert!(matches!(parse("[1, 2]"), Err(PwError::Foreign(_))));
        // A field of the wrong kind is named with its place.
        let wrong = ANDROID.replacen("\"dose\": 25.0", "\"dose\": \"25\"", 1);
        let e = parse(&wrong)
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default();
        assert!(e.contains("line ") && e.contains("column "), "{e}");
        // Ketamine smoked, or in millilitres with no unit to say the milligrams: refused, named.
        let smoked = IOS.replacen("\"BUCCAL\"", "\"SMOKED\"", 1);
        let f = parse(&smoked).unwrap_or_else(|e| panic!("{e}"));
        let e = convert(&f, "UTC", None, ts("2026-12-01T00:00:00Z"), false)
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default();
        assert!(e.starts_with("experience 1 (\"Troche with Dr K's plan\"), ingestion 1 (Ketamine): ketamine by route \"SMOKED\""), "{e}");
        let ml = ANDROID.replacen("\"units\": \"mg\"", "\"units\": \"mL\"", 1);
        let f = parse(&ml).unwrap_or_else(|e| panic!("{e}"));
        let e = convert(&f, "UTC", None, ts("2026-12-01T00:00:00Z"), false)
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default();
        assert!(e.contains("not a unit of mass"), "{e}");
        // A dose in the future is refused like one typed in.
        let f = parse(ANDROID).unwrap_or_else(|e| panic!("{e}"));
        assert!(convert(&f, "UTC", None, ts("2026-10-01T00:00:00Z"), false).is_err());
    }

    #[test]
    fn long_texts_are_split_without_loss() {
        let long = "word ".repeat(5000);
        let p = parts(long.trim());
        assert_eq!(p.len(), 3);
        assert_eq!(p.concat(), long.trim());
        assert!(p.iter().all(|x| x.chars().count() <= PART_CHARS));
    }

    #[test]
    fn the_format_is_told_apart() {
        assert!(looks_like(ANDROID) && looks_like(IOS) && looks_like(CUSTOM));
        assert!(!looks_like(
            "{\"format\":\"dosewise-journal\",\"version\":5,\"doses\":[]}"
        ));
    }
}
