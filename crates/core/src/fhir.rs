//! The journal as an HL7 FHIR R4 (4.0.1) `Bundle` of type `collection`, for clinicians'
//! systems, and read back. Hand-written JSON for the few resources needed (no FHIR crate covers
//! R4 4.0.1 well; `../shared/reference/interop.md`), checked in the test suite by the official
//! R4 JSON schema and by code-system assertions.
//!
//! - `Patient`: pseudonymous (an id only) unless the profile has a name.
//! - `MedicationAdministration` per dose: ketamine (RxNorm 6130) or esketamine (by name),
//!   `dosage.route` in SNOMED CT, `dosage.dose` in UCUM `mg` as labelled, the salt (HCl or base)
//!   and the mg of base in `dosage.text` and in a Dosewise extension.
//! - `MedicationStatement` per protocol: the plan, its status, its dose and route.
//! - PHQ-9 and GAD-7: a `QuestionnaireResponse` (items by their LOINC codes, answers by the
//!   LOINC answer list) and a total-score `Observation` (category survey) derived from it; PHQ-9
//!   item 9 also as its own `Observation`.
//! - Vital signs: the blood-pressure panel with systolic and diastolic components (mm[Hg]),
//!   heart rate (/min), body weight (kg), category vital-signs.
//! - Check-in ratings: survey `Observation`s with Dosewise's local codes.
//!
//! Private check-ins are left out unless asked for. Codes: `data-sources.md`, "FHIR".

use crate::dose::{Dose, NewDose};
use crate::journal::Journal;
use crate::route::{Route, Substance};
use crate::salt::Salt;
use crate::units::fmt_num;
use jiff::Timestamp;
use serde_json::{Value, json};
use thiserror::Error;

pub const LOINC: &str = "http://loinc.org";
pub const SNOMED: &str = "http://snomed.info/sct";
pub const UCUM: &str = "http://unitsofmeasure.org";
pub const RXNORM: &str = "http://www.nlm.nih.gov/research/umls/rxnorm";
pub const OBSERVATION_CATEGORY: &str = "http://terminology.hl7.org/CodeSystem/observation-category";
/// Dosewise's own codes (check-in ratings) and extension (the salt). The `.invalid` domain is
/// reserved: these name Dosewise's meaning, they are not addresses to fetch.
pub const LOCAL_CODES: &str = "https://dosewise.invalid/fhir/CodeSystem/check-in";
pub const SALT_EXTENSION: &str = "https://dosewise.invalid/fhir/StructureDefinition/salt";
/// The base of every entry's `fullUrl`, against which the references resolve.
pub const BASE: &str = "https://dosewise.invalid/fhir/";

/// A route's SNOMED CT code and display.
pub fn route_code(r: Route) -> (&'static str, &'static str) {
    match r {
        Route::Oral => ("26643006", "Oral route"),
        Route::Sublingual => ("37839007", "Sublingual route"),
        Route::Buccal => ("54471007", "Buccal route"),
        Route::Intranasal => ("46713006", "Nasal route"),
        Route::Intramuscular => ("78421000", "Intramuscular route"),
        Route::Intravenous => ("47625008", "Intravenous route"),
        Route::Rectal => ("37161004", "Rectal route"),
    }
}

/// A questionnaire's LOINC panel, total, and item codes (PHQ-9 and GAD-7 only).
pub fn questionnaire_codes(
    id: &str,
) -> Option<(&'static str, &'static str, &'static [&'static str])> {
    match id {
        "phq9" => Some((
            "44249-1",
            "44261-6",
            &[
                "44250-9", "44255-8", "44259-0", "44254-1", "44251-7", "44258-2", "44252-5",
                "44253-3", "44260-8",
            ],
        )),
        "gad7" => Some((
            "69737-5",
            "70274-6",
            &[
                "69725-0", "68509-9", "69733-4", "69734-2", "69735-9", "69689-8", "69736-7",
            ],
        )),
        _ => None,
    }
}

/// The LOINC answers scored 0 to 3 (not at all … nearly every day).
pub const ANSWERS: [(&str, &str); 4] = [
    ("LA6568-5", "Not at all"),
    ("LA6569-3", "Several days"),
    ("LA6570-1", "More than half the days"),
    ("LA6571-9", "Nearly every day"),
];

fn when(t: Timestamp, zone: &str) -> String {
    let tz = crate::when::zone(zone).unwrap_or(jiff::tz::TimeZone::UTC);
    // RFC 3339 with the offset of the zone the entry was made in, fractions of a second kept
    // (so that the same record read back is the same instant).
    t.to_zoned_datetime(tz)
        .strftime("%Y-%m-%dT%H:%M:%S%.f%:z")
        .to_string()
}

fn medication(s: Substance, salt: Salt) -> Value {
    match s {
        Substance::Ketamine => json!({
            "coding": [{ "system": RXNORM, "code": "6130", "display": "ketamine" }],
            "text": format!("ketamine {}", salt.label()),
        }),
        Substance::Esketamine => json!({ "text": format!("esketamine {}", salt.label()) }),
    }
}

fn route(r: Route) -> Value {
    let (code, display) = route_code(r);
    json!({ "coding": [{ "system": SNOMED, "code": code, "display": display }], "text": r.as_str() })
}

fn quantity(value: f64, unit: &str) -> Value {
    json!({ "value": value, "unit": unit, "system": UCUM, "code": unit })
}

fn patient_ref() -> Value {
    json!({ "reference": "Patient/patient" })
}

fn entry(resource: Value) -> Value {
    let url = format!(
        "{BASE}{}/{}",
        resource["resourceType"].as_str().unwrap_or(""),
        resource["id"].as_str().unwrap_or("")
    );
    json!({ "fullUrl": url, "resource": resource })
}

fn administration(d: &Dose) -> Value {
    let x: &NewDose = &d.dose;
    let mut dosage_text = format!(
        "{} mg {} ({} mg base), {}",
        fmt_num(x.dose_mg),
        x.salt.label(),
        fmt_num(x.dose_mg_base),
        x.route.as_str()
    );
    if !x.entered.trim().is_empty() && x.entered.trim() != format!("{} mg", fmt_num(x.dose_mg)) {
        dosage_text.push_str(&format!("; as entered: {}", x.entered.trim()));
    }
    let mut r = json!({
        "resourceType": "MedicationAdministration",
        "id": format!("dose-{}", d.id),
        "status": "completed",
        "medicationCodeableConcept": medication(x.substance, x.salt),
        "subject": patient_ref(),
        "effectiveDateTime": when(x.at, &x.zone),
        "dosage": {
            "extension": [{ "url": SALT_EXTENSION, "valueCode": x.salt.as_str() }],
            "text": dosage_text,
            "route": route(x.route),
            "dose": quantity(x.dose_mg, "mg"),
        },
    });
    if let Some(n) = &x.note {
        r["note"] = json!([{ "text": n }]);
    }
    r
}

fn statement(p: &crate::protocol::Protocol) -> Value {
    let x = &p.protocol;
    let status = match p.status {
        crate::protocol::Status::Active => "active",
        crate::protocol::Status::Paused => "on-hold",
        crate::protocol::Status::Ended => "completed",
    };
    let mut text = format!("{}; {}", x.pattern.describe(), x.dose.entered);
    for l in x.limits.describe() {
        text.push_str(&format!("; {l}"));
    }
    let mut dosage = json!({ "text": text });
    if let Some(r) = x.route {
        dosage["route"] = route(r);
    }
    if let Some(mg) = x.dose.mg {
        dosage["doseAndRate"] = json!([{ "doseQuantity": quantity(mg, "mg") }]);
    }
    let mut period = json!({ "start": x.start.to_string() });
    if let Some(end) = x.end {
        period["end"] = json!(end.to_string());
    }
    json!({
        "resourceType": "MedicationStatement",
        "id": format!("protocol-{}", p.id),
        "status": status,
        "medicationCodeableConcept": medication(x.substance, Salt::Hcl),
        "subject": patient_ref(),
        "effectivePeriod": period,
        "dateAsserted": when(p.created_at, &x.zone),
        "note": [{ "text": format!("Dosewise protocol \"{}\"", x.name) }],
        "dosage": [dosage],
    })
}

fn category(code: &str, display: &str) -> Value {
    json!([{ "coding": [{ "system": OBSERVATION_CATEGORY, "code": code, "display": display }] }])
}

fn loinc(code: &str, display: &str) -> Value {
    json!({ "coding": [{ "system": LOINC, "code": code, "display": display }], "text": display })
}

fn scores(a: &crate::questionnaire::Assessment, out: &mut Vec<Value>) {
    let x = &a.assessment;
    let Some((_, total, items)) = questionnaire_codes(&x.instrument) else {
        return;
    };
    let Some(inst) = crate::questionnaire::instrument(&x.instrument) else {
        return;
    };
    let at = when(x.at, &x.zone);
    let qr_id = format!("{}-{}", x.instrument, a.id);
    let item: Vec<Value> = items
        .iter()
        .zip(&x.answers)
        .zip(&inst.items)
        .map(|((code, answer), question)| {
            let (c, d) = ANSWERS[usize::from(*answer).min(3)];
            json!({
                "linkId": code,
                "text": question,
                "answer": [{ "valueCoding": { "system": LOINC, "code": c, "display": d } }],
            })
        })
        .collect();
    out.push(json!({
        "resourceType": "QuestionnaireResponse",
        "id": qr_id,
        "status": "completed",
        "subject": patient_ref(),
        "authored": at,
        "item": item,
    }));
    let derived = json!([{ "reference": format!("QuestionnaireResponse/{qr_id}") }]);
    out.push(json!({
        "resourceType": "Observation",
        "id": format!("{qr_id}-total"),
        "status": "final",
        "category": category("survey", "Survey"),
        "code": loinc(total, &format!("{} total score", inst.name)),
        "subject": patient_ref(),
        "effectiveDateTime": at,
        "valueQuantity": { "value": x.total, "unit": "{score}", "system": UCUM, "code": "{score}" },
        "interpretation": [{ "text": x.band }],
        "derivedFrom": derived,
    }));
    if x.instrument == "phq9"
        && let Some(item9) = x.answers.get(8)
    {
        out.push(json!({
            "resourceType": "Observation",
            "id": format!("{qr_id}-item9"),
            "status": "final",
            "category": category("survey", "Survey"),
            "code": loinc("44260-8", "Thoughts that you would be better off dead, or of hurting yourself in some way"),
            "subject": patient_ref(),
            "effectiveDateTime": at,
            "valueInteger": item9,
            "derivedFrom": derived,
        }));
    }
}

fn vitals(v: &crate::vitals::Vitals, out: &mut Vec<Value>) {
    let x = &v.vitals;
    let at = when(x.at, &x.zone);
    let base = |id: String, code: Value| {
        json!({
            "resourceType": "Observation",
            "id": id,
            "status": "final",
            "category": category("vital-signs", "Vital Signs"),
            "code": code,
            "subject": patient_ref(),
            "effectiveDateTime": at,
        })
    };
    if let (Some(sys), Some(dia)) = (x.systolic, x.diastolic) {
        let mut o = base(
            format!("vitals-{}-bp", v.id),
            loinc("85354-9", "Blood pressure panel with all children optional"),
        );
        o["component"] = json!([
            { "code": loinc("8480-6", "Systolic blood pressure"), "valueQuantity": quantity(f64::from(sys), "mm[Hg]") },
            { "code": loinc("8462-4", "Diastolic blood pressure"), "valueQuantity": quantity(f64::from(dia), "mm[Hg]") },
        ]);
        o["note"] =
            json!([{ "text": format!("context: {}", x.context.as_str().replace('_', "-")) }]);
        out.push(o);
    }
    if let Some(hr) = x.heart_rate {
        let mut o = base(format!("vitals-{}-hr", v.id), loinc("8867-4", "Heart rate"));
        o["valueQuantity"] = quantity(f64::from(hr), "/min");
        out.push(o);
    }
    if let Some(w) = x.weight_kg {
        let mut o = base(
            format!("vitals-{}-weight", v.id),
            loinc("29463-7", "Body weight"),
        );
        o["valueQuantity"] = quantity(w.value(), "kg");
        out.push(o);
    }
}

fn ratings(c: &crate::checkin::Checkin, out: &mut Vec<Value>) {
    let x = &c.checkin;
    let at = when(x.at, &x.zone);
    let all = x
        .ratings
        .iter()
        .chain(std::iter::once(("craving", x.craving)));
    for (name, r) in all {
        let Some(r) = r else { continue };
        out.push(json!({
            "resourceType": "Observation",
            "id": format!("checkin-{}-{name}", c.id),
            "status": "final",
            "category": category("survey", "Survey"),
            "code": { "coding": [{ "system": LOCAL_CODES, "code": name, "display": format!("{name} (0-10, self-rated)") }], "text": name },
            "subject": patient_ref(),
            "effectiveDateTime": at,
            "valueInteger": r.value(),
        }));
    }
}

/// The journal as a FHIR R4 collection `Bundle`; `private` includes private check-ins.
pub fn bundle(j: &Journal, now: Timestamp, private: bool) -> Value {
    let mut patient = json!({ "resourceType": "Patient", "id": "patient" });
    if let Some(n) = j.profile.as_ref().and_then(|p| p.name.as_deref()) {
        patient["name"] = json!([{ "text": n }]);
    }
    let mut resources = vec![patient];
    resources.extend(j.protocols.iter().map(statement));
    resources.extend(
        j.doses
            .iter()
            .filter(|d| d.deleted_at.is_none())
            .map(administration),
    );
    for a in &j.assessments {
        scores(a, &mut resources);
    }
    for v in &j.vitals {
        vitals(v, &mut resources);
    }
    for c in j
        .checkins
        .iter()
        .filter(|c| c.is_live() && (private || !c.checkin.private))
    {
        ratings(c, &mut resources);
    }
    json!({
        "resourceType": "Bundle",
        "type": "collection",
        "timestamp": now.strftime("%Y-%m-%dT%H:%M:%SZ").to_string(),
        "entry": resources.into_iter().map(entry).collect::<Vec<_>>(),
    })
}

#[derive(Debug, Clone, PartialEq, Error)]
pub enum FhirError {
    #[error("{0}")]
    Json(String),
    #[error("not a FHIR Bundle: {0}")]
    NotABundle(String),
    #[error("{at}: {what}")]
    Resource { at: String, what: String },
}

/// What a FHIR Bundle gives back: doses, questionnaire scores, vital signs.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct FromFhir {
    pub doses: Vec<NewDose>,
    pub assessments: Vec<crate::questionnaire::NewAssessment>,
    pub vitals: Vec<crate::vitals::NewVitals>,
    /// Resources of kinds this import does not read (protocols, ratings, patients).
    pub skipped: usize,
}

fn instant(v: &Value, at: &str) -> Result<Timestamp, FhirError> {
    let s = v.as_str().ok_or_else(|| FhirError::Resource {
        at: at.into(),
        what: "no time".into(),
    })?;
    let t: Timestamp = s.parse().map_err(|e| FhirError::Resource {
        at: at.into(),
        what: format!("the time {s:?} is not a FHIR dateTime with a zone: {e}"),
    })?;
    Ok(t)
}

/// Read a FHIR R4 Bundle (as Dosewise writes it, or any with these resources) back into records
/// in `zone`; doses are checked and converted like any dose entered by hand.
pub fn read(
    text: &str,
    zone: &str,
    weight: Option<crate::units::Kilograms>,
    now: Timestamp,
) -> Result<FromFhir, FhirError> {
    let v: Value = serde_json::from_str(text).map_err(|e| {
        FhirError::Json(format!(
            "not valid JSON at line {}, column {}: {e}",
            e.line(),
            e.column()
        ))
    })?;
    if v["resourceType"] != "Bundle" {
        return Err(FhirError::NotABundle(format!(
            "its resourceType is {}",
            v["resourceType"]
        )));
    }
    let mut out = FromFhir::default();
    let empty = vec![];
    for (k, e) in v["entry"].as_array().unwrap_or(&empty).iter().enumerate() {
        let r = &e["resource"];
        let kind = r["resourceType"].as_str().unwrap_or("");
        let at = format!(
            "entry {} ({kind} {})",
            k + 1,
            r["id"].as_str().unwrap_or("?")
        );
        let bad = |what: String| FhirError::Resource {
            at: at.clone(),
            what,
        };
        match kind {
            "MedicationAdministration" => {
                if r["status"] != "completed" {
                    out.skipped += 1;
                    continue;
                }
                let t = instant(&r["effectiveDateTime"], &at)?;
                let text = r["medicationCodeableConcept"]["text"]
                    .as_str()
                    .unwrap_or("")
                    .to_ascii_lowercase();
                let substance = if text.starts_with("esketamine") {
                    Substance::Esketamine
                } else if r["medicationCodeableConcept"]["coding"][0]["code"] == "6130"
                    || text.starts_with("ketamine")
                {
                    Substance::Ketamine
                } else {
                    out.skipped += 1;
                    continue;
                };
                let dose = &r["dosage"]["dose"];
                if dose["code"] != "mg" {
                    return Err(bad(format!("the dose is in {}, not mg", dose["code"])));
                }
                let mg = dose["value"]
                    .as_f64()
                    .ok_or_else(|| bad("the dose has no value".into()))?;
                let salt = r["dosage"]["extension"]
                    .as_array()
                    .and_then(|x| x.iter().find(|e| e["url"] == SALT_EXTENSION))
                    .and_then(|e| e["valueCode"].as_str())
                    .map_or(Ok(Salt::Hcl), str::parse::<Salt>)
                    .map_err(bad)?;
                let snomed = r["dosage"]["route"]["coding"]
                    .as_array()
                    .and_then(|c| c.iter().find(|c| c["system"] == SNOMED))
                    .and_then(|c| c["code"].as_str());
                let route = match snomed {
                    Some(code) => Route::ALL
                        .into_iter()
                        .find(|r| route_code(*r).0 == code)
                        .ok_or_else(|| {
                            bad(format!(
                                "route SNOMED CT {code} is not one Dosewise records"
                            ))
                        })?,
                    None => Route::Sublingual,
                };
                let quantity = crate::units::Milligrams::positive(mg)
                    .map(crate::dose_expr::Quantity::Mg)
                    .map_err(|e| bad(e.to_string()))?;
                let note = r["note"][0]["text"].as_str().map(String::from);
                let d = crate::dose::prepare_dose(
                    crate::dose::DoseInput {
                        entered: format!("{} mg", fmt_num(mg)),
                        quantity,
                        route: Some(route),
                        at: t,
                        zone: zone.to_string(),
                        note,
                        salt: Some(salt),
                        substance: Some(substance),
                        protocol_id: None,
                    },
                    None,
                    weight,
                    now,
                )
                .map_err(|e| bad(e.to_string()))?;
                out.doses.push(d);
            }
            "QuestionnaireResponse" => {
                // Told apart by its items' LOINC codes (R4 has no code for the response).
                let items = r["item"].as_array().unwrap_or(&empty);
                let first = items
                    .first()
                    .and_then(|i| i["linkId"].as_str())
                    .unwrap_or("");
                let Some((id, codes)) = ["phq9", "gad7"].into_iter().find_map(|id| {
                    questionnaire_codes(id)
                        .filter(|(_, _, codes)| codes.first() == Some(&first))
                        .map(|(_, _, codes)| (id, codes))
                }) else {
                    out.skipped += 1;
                    continue;
                };
                let t = instant(&r["authored"], &at)?;
                let mut answers = Vec::with_capacity(codes.len());
                for code in codes {
                    let item = items
                        .iter()
                        .find(|i| i["linkId"] == *code)
                        .ok_or_else(|| bad(format!("item {code} is missing")))?;
                    let c = item["answer"][0]["valueCoding"]["code"]
                        .as_str()
                        .unwrap_or("");
                    let score = ANSWERS
                        .iter()
                        .position(|(a, _)| *a == c)
                        .ok_or_else(|| bad(format!("item {code}: the answer {c:?} is not one of the LOINC answers LA6568-5 … LA6571-9")))?;
                    answers.push(score as i64);
                }
                out.assessments.push(
                    crate::questionnaire::assess(id, &answers, t, zone, None)
                        .map_err(|e| bad(e.to_string()))?,
                );
            }
            "Observation" => {
                let cat = r["category"][0]["coding"][0]["code"].as_str().unwrap_or("");
                let code = r["code"]["coding"][0]["code"].as_str().unwrap_or("");
                if cat != "vital-signs" {
                    out.skipped += 1;
                    continue;
                }
                let t = instant(&r["effectiveDateTime"], &at)?;
                let mut v = crate::vitals::NewVitals {
                    at: crate::when::to_micros(t),
                    zone: zone.to_string(),
                    systolic: None,
                    diastolic: None,
                    heart_rate: None,
                    weight_kg: None,
                    context: crate::vitals::VitalsContext::Other,
                    note: None,
                };
                let whole = |q: &Value, unit: &str| -> Result<u16, FhirError> {
                    if q["code"] != unit {
                        return Err(bad(format!("expected {unit}, found {}", q["code"])));
                    }
                    q["value"]
                        .as_f64()
                        .filter(|x| x.fract() == 0.0 && *x > 0.0 && *x < 1000.0)
                        .map(|x| x as u16)
                        .ok_or_else(|| bad(format!("{} is not a reading", q["value"])))
                };
                match code {
                    "85354-9" => {
                        for c in r["component"].as_array().unwrap_or(&empty) {
                            match c["code"]["coding"][0]["code"].as_str() {
                                Some("8480-6") => {
                                    v.systolic = Some(whole(&c["valueQuantity"], "mm[Hg]")?)
                                }
                                Some("8462-4") => {
                                    v.diastolic = Some(whole(&c["valueQuantity"], "mm[Hg]")?)
                                }
                                _ => {}
                            }
                        }
                        let context = r["note"][0]["text"].as_str().unwrap_or("");
                        v.context = match context {
                            "context: pre-dose" => crate::vitals::VitalsContext::PreDose,
                            "context: post-dose" => crate::vitals::VitalsContext::PostDose,
                            _ => crate::vitals::VitalsContext::Other,
                        };
                    }
                    "8867-4" => v.heart_rate = Some(whole(&r["valueQuantity"], "/min")?),
                    "29463-7" => {
                        if r["valueQuantity"]["code"] != "kg" {
                            return Err(bad("a body weight not in kg".into()));
                        }
                        let kg = r["valueQuantity"]["value"].as_f64().unwrap_or(0.0);
                        v.weight_kg = Some(
                            crate::units::Kilograms::positive(kg)
                                .map_err(|e| bad(e.to_string()))?,
                        );
                    }
                    _ => {
                        out.skipped += 1;
                        continue;
                    }
                }
                out.vitals
                    .push(v.validated().map_err(|e| bad(e.to_string()))?);
            }
            _ => out.skipped += 1,
        }
    }
    // Readings of one instant (a panel and a heart rate taken together) are one record.
    out.vitals = merge_vitals(std::mem::take(&mut out.vitals));
    Ok(out)
}

fn merge_vitals(v: Vec<crate::vitals::NewVitals>) -> Vec<crate::vitals::NewVitals> {
    let mut out: Vec<crate::vitals::NewVitals> = Vec::new();
    for x in v {
        match out.iter_mut().find(|o| o.at == x.at) {
            Some(o) => {
                o.systolic = o.systolic.or(x.systolic);
                o.diastolic = o.diastolic.or(x.diastolic);
                o.heart_rate = o.heart_rate.or(x.heart_rate);
                o.weight_kg = o.weight_kg.or(x.weight_kg);
                if x.context != crate::vitals::VitalsContext::Other {
                    o.context = x.context;
                }
            }
            None => out.push(x),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::ts;

    #[test]
    fn times_keep_their_offset_and_fractions() {
        assert_eq!(
            when(ts("2026-10-03T06:30:00Z"), "Europe/Berlin"),
            "2026-10-03T08:30:00+02:00"
        );
        assert_eq!(
            when(ts("2026-11-28T10:15:00.123456Z"), "Europe/Berlin"),
            "2026-11-28T11:15:00.123456+01:00"
        );
        assert_eq!(
            when(ts("2026-11-28T10:15:00Z"), ""),
            "2026-11-28T10:15:00+00:00"
        );
        let back: Timestamp = when(ts("2026-11-28T10:15:00.123456Z"), "Europe/Berlin")
            .parse()
            .unwrap_or(Timestamp::UNIX_EPOCH);
        assert_eq!(back, ts("2026-11-28T10:15:00.123456Z"));
    }

    #[test]
    fn every_route_has_its_snomed_code_and_reads_back() {
        let codes: std::collections::HashSet<&str> =
            Route::ALL.iter().map(|r| route_code(*r).0).collect();
        assert_eq!(codes.len(), Route::ALL.len(), "one code per route");
        assert_eq!(route_code(Route::Intranasal).0, "46713006");
        assert_eq!(route_code(Route::Sublingual).0, "37839007");
    }

    #[test]
    fn broken_and_foreign_bundles_are_refused() {
        let now = ts("2026-12-01T00:00:00Z");
        let e = read("{\"resourceType\": \"Patient\"}", "UTC", None, now)
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default();
        assert!(e.starts_with("not a FHIR Bundle"), "{e}");
        let e = read(
            "{\"resourceType\": \"Bundle\", \"entry\": [",
            "UTC",
            None,
            now,
        )
        .err()
        .map(|e| e.to_string())
        .unwrap_or_default();
        assert!(e.contains("line 1"), "{e}");
        let in_grams = r#"{"resourceType":"Bundle","type":"collection","entry":[{"resource":{"resourceType":"MedicationAdministration","id":"x","status":"completed","medicationCodeableConcept":{"coding":[{"system":"http://www.nlm.nih.gov/research/umls/rxnorm","code":"6130"}]},"effectiveDateTime":"2026-11-01T08:00:00+01:00","dosage":{"dose":{"value":0.5,"code":"g"}}}}]}"#;
        let e = read(in_grams, "UTC", None, now)
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default();
        assert!(
            e.contains("entry 1 (MedicationAdministration x): the dose is in \"g\", not mg"),
            "{e}"
        );
        // Other medicines, and doses not given, are not ketamine doses.
        let other = in_grams
            .replace("\"6130\"", "\"1191\"")
            .replace("\"g\"", "\"mg\"");
        assert_eq!(
            read(&other, "UTC", None, now)
                .map(|f| (f.doses.len(), f.skipped))
                .ok(),
            Some((0, 1))
        );
    }
}
