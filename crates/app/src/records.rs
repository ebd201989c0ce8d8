//! Recording the smaller entries — vital signs, questionnaires, other substances, medicines —
//! the same way from every surface: parse what was typed, validate, refuse future times, write.

use crate::{Result, input};
use dosewise_core::jiff::Timestamp;
use dosewise_core::jiff::tz::TimeZone;
use dosewise_core::medication::{Medication, NewMedication, NewSubstanceUse, SubstanceUse};
use dosewise_core::questionnaire::{Assessment, assess, instrument};
use dosewise_core::units::Kilograms;
use dosewise_core::vitals::BpLimit;
use dosewise_core::vitals::{NewVitals, Vitals, VitalsContext, check_heart_rate, parse_bp};
use dosewise_core::when;
use dosewise_store::Store;

/// A weight as typed: "70 kg", "154 lb", "70" (kg); refused outside 20-400 kg.
pub fn parse_weight(s: &str) -> Result<Kilograms> {
    let t = s.trim().to_ascii_lowercase();
    let (num, factor) = if let Some(n) = t.strip_suffix("kg") {
        (n, 1.0)
    } else if let Some(n) = t.strip_suffix("lbs").or_else(|| t.strip_suffix("lb")) {
        (n, 0.453_592_37)
    } else {
        (t.as_str(), 1.0)
    };
    let v: f64 = num.trim().parse().map_err(|_| {
        input(format!(
            "weight {s:?} not understood: write e.g. \"70 kg\" or \"154 lb\""
        ))
    })?;
    let kg = v * factor;
    if !(kg.is_finite() && (20.0..=400.0).contains(&kg)) {
        return Err(input(format!(
            "a weight of {s} is outside 20-400 kg; check the number and the unit"
        )));
    }
    Kilograms::positive(kg).map_err(input)
}

/// The zone for an entry and its instant: `at` as typed (None or empty = now); a time more
/// than a few minutes ahead is refused with `future`.
async fn zone_and_time<S: Store>(
    store: &S,
    zone: Option<&str>,
    at: Option<&str>,
    now: Timestamp,
    future: &str,
) -> Result<(TimeZone, Timestamp)> {
    let profile = store.profile().await?;
    let tz = crate::zone(zone, profile.as_ref())?;
    let at = crate::instant(at, &tz, now)?;
    if at.duration_since(now) > dosewise_core::dose::MAX_FUTURE {
        return Err(input(future));
    }
    Ok((tz, at))
}

/// Vital signs as entered.
#[derive(Debug, Clone)]
pub struct VitalsRequest {
    /// "128/82".
    pub bp: Option<String>,
    pub heart_rate: Option<u32>,
    /// "70 kg", "154 lb".
    pub weight: Option<String>,
    pub context: VitalsContext,
    pub at: Option<String>,
    pub note: Option<String>,
    pub zone: Option<String>,
}

pub async fn vitals<S: Store>(store: &S, req: &VitalsRequest, now: Timestamp) -> Result<Vitals> {
    let (systolic, diastolic) = match req.bp.as_deref().filter(|b| !b.trim().is_empty()) {
        Some(b) => parse_bp(b)
            .map(|(s, d)| (Some(s), Some(d)))
            .map_err(input)?,
        None => (None, None),
    };
    let heart_rate = req
        .heart_rate
        .map(check_heart_rate)
        .transpose()
        .map_err(input)?;
    let weight_kg = req
        .weight
        .as_deref()
        .filter(|w| !w.trim().is_empty())
        .map(parse_weight)
        .transpose()?;
    let (tz, at) = zone_and_time(
        store,
        req.zone.as_deref(),
        req.at.as_deref(),
        now,
        "that time is in the future",
    )
    .await?;
    let v = NewVitals {
        at,
        zone: when::zone_name(&tz),
        systolic,
        diastolic,
        heart_rate,
        weight_kg,
        context: req.context,
        note: req.note.clone(),
    }
    .validated()
    .map_err(input)?;
    Ok(store.add_vitals(&v, now).await?)
}

/// The blood-pressure tiers the safety check uses now: the current racemic-ketamine protocol's
/// (or the only current one's), else the defaults.
pub async fn bp_tiers<S: Store>(store: &S) -> Result<(BpLimit, BpLimit)> {
    let current = store.protocols(false).await?;
    let p = current
        .iter()
        .find(|p| p.protocol.substance == dosewise_core::route::Substance::Ketamine)
        .or(current.first());
    Ok(p.map_or_else(
        || dosewise_core::protocol::Limits::default().bp_tiers(),
        |p| p.protocol.limits.bp_tiers(),
    ))
}

/// What a reading means for the next dose (the safety check's own tiers and rule).
pub async fn vitals_notes<S: Store>(store: &S, v: &Vitals) -> Result<Vec<String>> {
    use dosewise_core::safety::{HR_REFUSE, Severity, bp_tier};
    let (warn, refuse) = bp_tiers(store).await?;
    let x = &v.vitals;
    let mut out = Vec::new();
    if let (Some(s), Some(d)) = (x.systolic, x.diastolic) {
        let reading = BpLimit {
            systolic: s,
            diastolic: d,
        };
        match bp_tier(reading, warn, refuse) {
            Some(Severity::Refuse) => out.push(format!(
                "{s}/{d} is at or above {} systolic or {} diastolic: a dose within the next 2 hours would be refused. Rest and measure again; contact your clinician if it stays high. Severe headache, chest pain or confusion: emergency care.",
                refuse.systolic, refuse.diastolic
            )),
            Some(_) => out.push(format!(
                "{s}/{d} is above {warn}, where the esketamine label advises weighing a delay."
            )),
            None => {}
        }
        if x.context == dosewise_core::vitals::VitalsContext::PostDose
            && bp_tier(reading, warn, refuse).is_some()
        {
            out.push("After a dose a rise is expected (it peaks at about 40 minutes); the label asks for readings until it falls. This reading does not judge the dose it followed.".into());
        }
    }
    if x.heart_rate.is_some_and(|h| h > HR_REFUSE) {
        out.push(format!(
            "Heart rate above {HR_REFUSE}: a dose within the next 2 hours would be refused."
        ));
    }
    Ok(out)
}

/// The crisis guidance for this person: their own crisis line and clinician first, when set.
pub async fn crisis<S: Store>(store: &S) -> Result<String> {
    let p = store.profile().await?;
    Ok(dosewise_core::questionnaire::crisis_guidance(
        p.as_ref().and_then(|p| p.crisis_line.as_deref()),
        p.as_ref().and_then(|p| p.clinician.as_deref()),
    ))
}

/// Score and save a questionnaire.
pub async fn assessment<S: Store>(
    store: &S,
    id: &str,
    answers: &[i64],
    at: Option<&str>,
    note: Option<&str>,
    zone: Option<&str>,
    now: Timestamp,
) -> Result<Assessment> {
    let i = instrument(id).ok_or_else(|| {
        input(format!(
            "unknown questionnaire {id:?}: use phq9, gad7, bladder or substance"
        ))
    })?;
    let (tz, at) = zone_and_time(store, zone, at, now, "that time is in the future").await?;
    let a = assess(&i.id, answers, at, &when::zone_name(&tz), note).map_err(input)?;
    Ok(store.add_assessment(&a, now).await?)
}

/// Log use of another substance ("beer", "2 pints").
pub async fn substance_use<S: Store>(
    store: &S,
    name: &str,
    amount: Option<&str>,
    at: Option<&str>,
    note: Option<&str>,
    zone: Option<&str>,
    now: Timestamp,
) -> Result<SubstanceUse> {
    let (tz, at) = zone_and_time(
        store,
        zone,
        at,
        now,
        "that time is in the future; log use when it has happened",
    )
    .await?;
    let u = NewSubstanceUse {
        at,
        zone: when::zone_name(&tz),
        name: name.to_string(),
        amount: amount.filter(|a| !a.trim().is_empty()).map(str::to_string),
        note: note.map(str::to_string),
    }
    .validated()
    .map_err(input)?;
    Ok(store.add_substance_use(&u, now).await?)
}

/// Add a standing medicine.
pub async fn medication<S: Store>(store: &S, m: NewMedication) -> Result<Medication> {
    let m = m.validated().map_err(input)?;
    Ok(store.add_medication(&m).await?)
}

/// Record that a clinician reviewed a standing red flag (urinary symptoms, the health screen):
/// findings from before it stop repeating; anything after it shows again. The note says who
/// reviewed it and what they said, and is required.
pub async fn clear<S: Store>(
    store: &S,
    topic: dosewise_core::safety::ClearanceTopic,
    note: &str,
    now: Timestamp,
) -> Result<dosewise_core::safety::Clearance> {
    let note = dosewise_core::text::label("note", note).map_err(input)?;
    Ok(store.add_clearance(topic, now, Some(&note)).await?)
}

/// Mark a medicine stopped; it stays in the record (and in the safety check's history).
pub async fn stop_medication<S: Store>(store: &S, id: i64, now: Timestamp) -> Result<Medication> {
    Ok(store.remove_medication(id, now).await?)
}
