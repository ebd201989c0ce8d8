//! The calculators (`dosewise calc`, the web's Calculators page, `POST /api/v1/calc/…`):
//! volumetric and route arithmetic from what a person typed. They save nothing and need no
//! journal; every result carries the notes and sources that go with it.

use crate::stock::SprayVolumeRequest;
use crate::{Result, input};
use dosewise_core::dose_expr::{parse_concentration, parse_mass, parse_volume};
use dosewise_core::exposure::{Equivalent, equivalent};
use dosewise_core::route::{Route, Substance};
use dosewise_core::salt::Salt;
use dosewise_core::volumetric::{self, DiluteCalc, SolutionCalc, SprayCalc, SprayVolume};
use serde::{Deserialize, Serialize};

/// A result with its notes and sources (the notes are worded for every surface).
#[derive(Debug, Clone, Serialize)]
pub struct Calculated<T> {
    #[serde(flatten)]
    pub result: T,
    pub notes: Vec<&'static str>,
    pub sources: Vec<&'static str>,
}

/// A solution made from powder.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct SolutionRequest {
    /// Powder mass, "500mg".
    pub mass: String,
    /// Final volume (powder plus distilled water), "10mL".
    pub volume: String,
    /// A dose to measure, in the powder's salt form, "12mg".
    pub dose: Option<String>,
    /// Purity of the powder in percent (default 100).
    pub purity: Option<f64>,
    /// Whether the powder mass is ketamine HCl (default) or base.
    pub salt: Option<Salt>,
}

/// A nasal spray.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct SprayRequest {
    /// "50mg/mL" or "10%" (w/v).
    pub concentration: String,
    pub volume: SprayVolumeRequest,
    /// A dose to deliver, "10mg".
    pub dose: Option<String>,
    pub salt: Option<Salt>,
}

/// Diluting a solution.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct DiluteRequest {
    /// Current concentration, "50mg/mL".
    pub from: String,
    /// Wanted concentration, "25mg/mL".
    pub to: String,
    /// Volume of the current solution, "10mL".
    pub volume: String,
}

/// A dose by another route.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ConvertRequest {
    /// "10mg".
    pub dose: String,
    pub from: Route,
    pub to: Route,
    #[serde(default)]
    pub substance: Option<Substance>,
}

fn mass(what: &str, s: &str) -> Result<dosewise_core::units::Milligrams> {
    parse_mass(s).map_err(|e| input(format!("{what}: {e}")))
}

fn opt_mass(what: &str, s: Option<&str>) -> Result<Option<dosewise_core::units::Milligrams>> {
    s.filter(|s| !s.trim().is_empty())
        .map(|s| mass(what, s))
        .transpose()
}

pub fn solution(r: &SolutionRequest) -> Result<Calculated<SolutionCalc>> {
    let m = mass("powder mass", &r.mass)?;
    let v = parse_volume(&r.volume).map_err(|e| input(format!("final volume: {e}")))?;
    let dose = opt_mass("dose", r.dose.as_deref())?;
    let purity = r.purity.unwrap_or(100.0);
    let result =
        volumetric::solution(m, r.salt.unwrap_or(Salt::Hcl), purity, v, dose).map_err(input)?;
    let mut notes: Vec<&'static str> = volumetric::HOME_SOLUTION_NOTES.to_vec();
    notes.push(volumetric::NASAL_NOTE);
    let mut sources: Vec<&'static str> = volumetric::HOME_SOLUTION_SOURCES.to_vec();
    sources.extend(volumetric::NASAL_SOURCES);
    Ok(Calculated {
        result,
        notes,
        sources,
    })
}

pub fn spray(r: &SprayRequest) -> Result<Calculated<SprayCalc>> {
    let c =
        parse_concentration(&r.concentration).map_err(|e| input(format!("concentration: {e}")))?;
    let vol = SprayVolume::from(r.volume.spec()?);
    let dose = opt_mass("dose", r.dose.as_deref())?;
    let result = volumetric::spray(c, vol, dose).map_err(input)?;
    Ok(Calculated {
        result,
        notes: vec![volumetric::NASAL_NOTE],
        sources: volumetric::NASAL_SOURCES.to_vec(),
    })
}

pub fn dilute(r: &DiluteRequest) -> Result<DiluteCalc> {
    let from =
        parse_concentration(&r.from).map_err(|e| input(format!("current concentration: {e}")))?;
    let to = parse_concentration(&r.to).map_err(|e| input(format!("wanted concentration: {e}")))?;
    let v = parse_volume(&r.volume).map_err(|e| input(format!("volume: {e}")))?;
    volumetric::dilute(from, to, v).map_err(input)
}

pub fn convert(r: &ConvertRequest) -> Result<Equivalent> {
    let dose = mass("dose", &r.dose)?;
    equivalent(
        r.substance.unwrap_or(Substance::Ketamine),
        dose,
        r.from,
        r.to,
    )
    .map_err(input)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_calculator_from_typed_text() {
        let s = solution(&SolutionRequest {
            mass: "500mg".into(),
            volume: "10mL".into(),
            dose: Some("12.5mg".into()),
            ..SolutionRequest::default()
        })
        .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(s.result.concentration_mg_per_ml, 50.0);
        assert_eq!(s.result.volume_per_dose_ml, Some(0.25));
        assert!(s.notes.contains(&volumetric::NASAL_NOTE) && !s.sources.is_empty());
        let v = serde_json::to_value(&s).unwrap_or_default();
        assert_eq!(v["concentration_mg_per_ml"], 50.0, "flattened: {v}");
        let e = solution(&SolutionRequest {
            mass: "ten".into(),
            volume: "10mL".into(),
            ..SolutionRequest::default()
        });
        assert!(matches!(e, Err(crate::AppError::Input(m)) if m.starts_with("powder mass")));
        let sp = spray(&SprayRequest {
            concentration: "100mg/mL".into(),
            volume: SprayVolumeRequest {
                stated: Some("0.1mL".into()),
                ..SprayVolumeRequest::default()
            },
            dose: Some("25mg".into()),
            salt: None,
        })
        .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(sp.result.mg_per_spray, 10.0);
        assert_eq!(sp.result.whole, Some(false), "2.5 sprays");
        let d = dilute(&DiluteRequest {
            from: "50mg/mL".into(),
            to: "25mg/mL".into(),
            volume: "10mL".into(),
        })
        .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(d.water_to_add_ml, 10.0);
        let c = convert(&ConvertRequest {
            dose: "10mg".into(),
            from: Route::Intranasal,
            to: Route::Sublingual,
            substance: None,
        })
        .unwrap_or_else(|e| panic!("{e}"));
        assert!(c.equivalent_mg_min < c.equivalent_mg_max);
        assert!(
            convert(&ConvertRequest {
                dose: "10mg".into(),
                from: Route::Intranasal,
                to: Route::Intravenous,
                substance: None,
            })
            .is_err()
        );
    }
}
