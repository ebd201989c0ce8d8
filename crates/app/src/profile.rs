//! The profile, the same way on every surface: create it on first use (in the system's zone),
//! or change what was given — zone, weight, name, the health screen's answers, a crisis line.
//! Everything is checked before anything is written.

use crate::{Result, input};
use dosewise_core::jiff::Timestamp;
use dosewise_core::profile::Profile;
use dosewise_core::{text, when};
use dosewise_store::Store;

/// What to set; `None` leaves a field as it is.
#[derive(Debug, Clone, Default)]
pub struct ProfileUpdate {
    /// An IANA zone name.
    pub zone: Option<String>,
    /// "70", "70 kg", "154 lb".
    pub weight: Option<String>,
    pub name: Option<String>,
    /// The screen's conditions that apply (an empty list: none); `None` leaves the answers.
    pub screen: Option<Vec<String>>,
    /// The person's crisis line, shown first in crisis guidance.
    pub crisis_line: Option<String>,
    /// How to reach their clinician (empty removes it), shown in crisis guidance too.
    pub clinician: Option<String>,
}

/// The profile after the update, and whether it was created now.
pub async fn update<S: Store>(
    store: &S,
    u: &ProfileUpdate,
    now: Timestamp,
) -> Result<(Profile, bool)> {
    let zone = u
        .zone
        .as_deref()
        .map(|z| when::zone(z).map_err(input))
        .transpose()?;
    let weight = u
        .weight
        .as_deref()
        .map(crate::records::parse_weight)
        .transpose()?;
    let name = text::opt_label("name", u.name.as_deref()).map_err(input)?;
    let crisis_line = u
        .crisis_line
        .as_deref()
        .map(|l| crate::screen::crisis_line(Some(l)))
        .transpose()?;
    let clinician = u
        .clinician
        .as_deref()
        .map(|c| crate::screen::clinician(Some(c)))
        .transpose()?;
    if let Some(s) = &u.screen {
        dosewise_core::screen::answer(&[], s, now).map_err(input)?;
    }
    let existing = store.profile().await?;
    let created = existing.is_none();
    let mut p = existing.unwrap_or_else(|| Profile {
        name: None,
        zone: when::zone_name(&crate::system_zone()),
        weight_kg: None,
        screen: vec![],
        screened_at: None,
        crisis_line: None,
        clinician: None,
        created_at: now,
        updated_at: now,
    });
    if let Some(z) = zone {
        p.zone = when::zone_name(&z);
    }
    if weight.is_some() {
        p.weight_kg = weight;
    }
    if name.is_some() {
        p.name = name;
    }
    if let Some(s) = &u.screen {
        p.screen = dosewise_core::screen::answer(&p.screen, s, now).map_err(input)?;
        p.screened_at = Some(now);
    }
    if let Some(line) = crisis_line {
        p.crisis_line = line;
    }
    if let Some(c) = clinician {
        p.clinician = c;
    }
    p.updated_at = now;
    store.save_profile(&p).await?;
    Ok((p, created))
}
