//! Volumetric dosing math: solutions made from powder, nasal spray pumps, dilution.
//!
//! The equations are plain arithmetic (C = m / V; dose = C × V; sprays = dose / (C × v_spray);
//! C1·V1 = C2·V2) but they are where home-dosing errors happen, so each calculator returns every
//! intermediate figure and states which salt form its numbers refer to.

/// Shown with the home-solution calculator: the arithmetic stays (prescribed solutions exist, and
/// people already make them), with what it cannot know beside it.
pub const HOME_SOLUTION_NOTES: [&str; 2] = [
    "Powder that is not from a pharmacy has unknown purity and may not be ketamine at all (analogues are sold as ketamine); this arithmetic cannot correct for that. A pharmacy-made solution with a stated strength is the safer source. Measure with an oral syringe, not a spoon.",
    "The FDA warned about compounded ketamine in 2022 (nasal sprays: an unknown amount per spray, unsupervised home use, up to 6 sprays 8 times a day) and 2023 (oral ketamine through telehealth: one person's blood level reached about twice an anaesthetic level).",
];
pub const HOME_SOLUTION_SOURCES: [&str; 3] = [
    "FDA alert on compounded ketamine nasal sprays, 16 Feb 2022 (H)",
    "FDA warning on compounded ketamine for psychiatric use, 10 Oct 2023 (H)",
    "Illicit powder: purity unknown, analogues sold as ketamine (Forensic Sci Int 2024, via a listing) (M)",
];
/// Shown where a nasal spray comes up: a spray should be a prescribed product.
pub const NASAL_NOTE: &str = "A nasal spray should be a prescribed product with a stated strength per spray. Do not snort powder or put a home-made solution in a spray: the amount per spray is then unknown, and in recreational users snorting was linked to worse bladder symptoms than other routes.";
pub const NASAL_SOURCES: [&str; 2] = [
    "FDA alert on compounded ketamine nasal sprays, 16 Feb 2022 (H)",
    "Sci Rep 2019;9:7240: severity of urinary symptoms by route, snorting worse (H)",
];
use crate::salt::{KetamineMass, Salt};
use crate::units::{MgPerMl, Milligrams, Millilitres, QuantityError};
use serde::Serialize;
use thiserror::Error;

#[derive(Debug, Clone, PartialEq, Error)]
pub enum CalcError {
    #[error(transparent)]
    Quantity(#[from] QuantityError),
    #[error("purity must be a percentage above 0 and at most 100, got {0}")]
    Purity(f64),
    #[error(
        "the target concentration ({to}) must be lower than the starting one ({from}); water can only dilute"
    )]
    NotADilution { from: MgPerMl, to: MgPerMl },
    #[error("a calibration needs at least one counted spray")]
    NoSprays,
    #[error("{0}")]
    Invalid(String),
}

/// A purity in percent, 0 < p ≤ 100.
pub(crate) fn check_purity(pct: f64) -> Result<f64, CalcError> {
    if pct.is_finite() && pct > 0.0 && pct <= 100.0 {
        Ok(pct)
    } else {
        Err(CalcError::Purity(pct))
    }
}

/// A solution made by dissolving powder in distilled water to a final volume.
#[derive(Debug, Clone, Serialize)]
pub struct SolutionCalc {
    pub salt: Salt,
    pub mass_mg: f64,
    pub purity_pct: f64,
    /// Ketamine actually in the bottle, in the powder's salt form (mass × purity).
    pub active_mg: f64,
    pub volume_ml: f64,
    /// In the powder's salt form.
    pub concentration_mg_per_ml: f64,
    pub concentration_mg_base_per_ml: f64,
    pub concentration_mg_hcl_per_ml: f64,
    pub dose_mg: Option<f64>,
    pub volume_per_dose_ml: Option<f64>,
    pub doses_per_batch: Option<f64>,
}

/// Concentration, volume per dose and doses per batch of a home solution. The dose is taken to
/// be in the same salt form as the powder.
pub fn solution(
    mass: Milligrams,
    salt: Salt,
    purity_pct: f64,
    volume: Millilitres,
    dose: Option<Milligrams>,
) -> Result<SolutionCalc, CalcError> {
    let purity_pct = check_purity(purity_pct)?;
    let mass = Milligrams::positive(mass.value())?;
    let volume = Millilitres::positive(volume.value())?;
    let active = mass.scale(purity_pct / 100.0)?;
    let c = active / volume;
    let c = MgPerMl::positive(c.value())?;
    let per_ml = KetamineMass::new(Milligrams::new(c.value())?, salt);
    let (dose_mg, per_dose, doses) = match dose {
        Some(d) => {
            let d = Milligrams::positive(d.value())?;
            let v = d / c;
            (Some(d.value()), Some(v.value()), Some(active / d))
        }
        None => (None, None, None),
    };
    Ok(SolutionCalc {
        salt,
        mass_mg: mass.value(),
        purity_pct,
        active_mg: active.value(),
        volume_ml: volume.value(),
        concentration_mg_per_ml: c.value(),
        concentration_mg_base_per_ml: per_ml.base().value(),
        concentration_mg_hcl_per_ml: per_ml.hcl()?.value(),
        dose_mg,
        volume_per_dose_ml: per_dose,
        doses_per_batch: doses,
    })
}

/// How the volume of one spray is known.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
#[serde(tag = "method", rename_all = "snake_case")]
pub enum SprayVolume {
    /// As stated by the pump's maker or the pharmacy.
    Stated { ml: Millilitres },
    /// Measured: `filled_ml` of liquid gave `sprays` counted actuations.
    Calibrated { filled_ml: Millilitres, sprays: u32 },
}

impl SprayVolume {
    pub fn per_spray(self) -> Result<Millilitres, CalcError> {
        match self {
            SprayVolume::Stated { ml } => Ok(Millilitres::positive(ml.value())?),
            SprayVolume::Calibrated { filled_ml, sprays } => {
                if sprays == 0 {
                    return Err(CalcError::NoSprays);
                }
                Ok(Millilitres::positive(
                    filled_ml.value() / f64::from(sprays),
                )?)
            }
        }
    }
}

/// A whole number of sprays and what it delivers.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct WholeSprays {
    pub sprays: u32,
    pub dose_mg: f64,
}

#[derive(Debug, Clone, Serialize)]
pub struct SprayCalc {
    pub concentration_mg_per_ml: f64,
    pub spray_volume_ml: f64,
    pub mg_per_spray: f64,
    pub dose_mg: Option<f64>,
    /// Exact number of sprays for the dose (may be fractional).
    pub sprays: Option<f64>,
    /// True when the dose is a whole number of sprays (within 1 %).
    pub whole: Option<bool>,
    /// The nearest whole-spray doses below and above, when the dose is not whole.
    pub nearest: Vec<WholeSprays>,
}

/// The tolerance within which a spray count counts as whole (pumps vary by 10–25 % anyway).
const WHOLE_TOLERANCE: f64 = 0.01;

pub fn spray(
    concentration: MgPerMl,
    volume: SprayVolume,
    dose: Option<Milligrams>,
) -> Result<SprayCalc, CalcError> {
    let c = MgPerMl::positive(concentration.value())?;
    let v = volume.per_spray()?;
    let per = c * v;
    let mut out = SprayCalc {
        concentration_mg_per_ml: c.value(),
        spray_volume_ml: v.value(),
        mg_per_spray: per.value(),
        dose_mg: None,
        sprays: None,
        whole: None,
        nearest: Vec::new(),
    };
    if let Some(d) = dose {
        let d = Milligrams::positive(d.value())?;
        let n = d / per;
        let whole = (n - n.round()).abs() <= WHOLE_TOLERANCE * n.max(1.0) && n.round() >= 1.0;
        out.dose_mg = Some(d.value());
        out.sprays = Some(n);
        out.whole = Some(whole);
        if !whole {
            out.nearest = nearest_whole(n, per.value());
        }
    }
    Ok(out)
}

/// The whole-spray counts on either side of `n` (never zero sprays).
pub(crate) fn nearest_whole(n: f64, mg_per_unit: f64) -> Vec<WholeSprays> {
    let lo = n.floor().max(1.0);
    let hi = n.ceil().max(1.0);
    let mut v: Vec<WholeSprays> = [lo, hi]
        .into_iter()
        .map(|k| WholeSprays {
            sprays: k as u32,
            dose_mg: k * mg_per_unit,
        })
        .collect();
    v.dedup_by_key(|w| w.sprays);
    v
}

#[derive(Debug, Clone, Serialize)]
pub struct DiluteCalc {
    pub from_mg_per_ml: f64,
    pub to_mg_per_ml: f64,
    pub start_volume_ml: f64,
    pub water_to_add_ml: f64,
    pub final_volume_ml: f64,
    pub mg_in_solution: f64,
}

/// Water to add to `volume` of a solution at `from` to reach `to` (C1·V1 = C2·V2).
pub fn dilute(from: MgPerMl, to: MgPerMl, volume: Millilitres) -> Result<DiluteCalc, CalcError> {
    let from = MgPerMl::positive(from.value())?;
    let to = MgPerMl::positive(to.value())?;
    let volume = Millilitres::positive(volume.value())?;
    if to.value() >= from.value() {
        return Err(CalcError::NotADilution { from, to });
    }
    let mass = from * volume;
    let final_v = mass / to;
    Ok(DiluteCalc {
        from_mg_per_ml: from.value(),
        to_mg_per_ml: to.value(),
        start_volume_ml: volume.value(),
        water_to_add_ml: final_v - volume,
        final_volume_ml: final_v.value(),
        mg_in_solution: mass.value(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::{mg, ml};
    use proptest::prelude::*;

    fn c(v: f64) -> MgPerMl {
        MgPerMl::positive(v).unwrap_or_else(|e| panic!("{e}"))
    }

    #[test]
    fn solution_500mg_in_10ml() {
        let s = solution(mg(500.0), Salt::Hcl, 100.0, ml(10.0), Some(mg(12.0)))
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(s.concentration_mg_per_ml, 50.0);
        assert!((s.volume_per_dose_ml.unwrap_or(0.0) - 0.24).abs() < 1e-12);
        assert!((s.doses_per_batch.unwrap_or(0.0) - 500.0 / 12.0).abs() < 1e-9);
        // 50 mg/mL HCl × 237.7 / 274.2 (molecular weights) = 43.345 mg/mL base.
        assert!((s.concentration_mg_base_per_ml - 43.345).abs() < 0.005);
        assert_eq!(s.concentration_mg_hcl_per_ml, 50.0);
    }

    #[test]
    fn purity_scales_the_active_mass() {
        let s = solution(mg(500.0), Salt::Hcl, 90.0, ml(10.0), Some(mg(12.0)))
            .unwrap_or_else(|e| panic!("{e}"));
        assert!((s.active_mg - 450.0).abs() < 1e-9);
        assert!((s.concentration_mg_per_ml - 45.0).abs() < 1e-9);
        assert!((s.volume_per_dose_ml.unwrap_or(0.0) - 12.0 / 45.0).abs() < 1e-12);
        assert!(solution(mg(500.0), Salt::Hcl, 0.0, ml(10.0), None).is_err());
        assert!(solution(mg(500.0), Salt::Hcl, 101.0, ml(10.0), None).is_err());
        assert!(solution(mg(500.0), Salt::Hcl, f64::NAN, ml(10.0), None).is_err());
    }

    #[test]
    fn base_powder_reports_hcl_equivalent() {
        let s = solution(mg(100.0), Salt::Base, 100.0, ml(10.0), None)
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(s.concentration_mg_base_per_ml, 10.0);
        assert!((s.concentration_mg_hcl_per_ml - 11.535).abs() < 1e-9);
    }

    #[test]
    fn lapidus_spray_is_10mg_per_spray() {
        // Lapidus 2014: 100 mg/mL, 0.1 mL per spray → 10 mg per spray.
        let s = spray(
            c(100.0),
            SprayVolume::Stated { ml: ml(0.1) },
            Some(mg(20.0)),
        )
        .unwrap_or_else(|e| panic!("{e}"));
        assert!((s.mg_per_spray - 10.0).abs() < 1e-9);
        assert_eq!(s.whole, Some(true));
        assert!((s.sprays.unwrap_or(0.0) - 2.0).abs() < 1e-9);
        assert!(s.nearest.is_empty());
    }

    #[test]
    fn fractional_sprays_offer_the_nearest_whole_doses() {
        let s = spray(c(50.0), SprayVolume::Stated { ml: ml(0.1) }, Some(mg(12.0)))
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(s.whole, Some(false));
        assert!((s.sprays.unwrap_or(0.0) - 2.4).abs() < 1e-9);
        assert_eq!(
            s.nearest.iter().map(|w| w.sprays).collect::<Vec<_>>(),
            vec![2, 3]
        );
        assert!(
            (s.nearest[0].dose_mg - 10.0).abs() < 1e-9
                && (s.nearest[1].dose_mg - 15.0).abs() < 1e-9
        );
    }

    #[test]
    fn less_than_one_spray_offers_one() {
        let s = spray(c(100.0), SprayVolume::Stated { ml: ml(0.1) }, Some(mg(4.0)))
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(s.whole, Some(false));
        assert_eq!(
            s.nearest.iter().map(|w| w.sprays).collect::<Vec<_>>(),
            vec![1]
        );
    }

    #[test]
    fn calibrated_pump() {
        // 5 mL filled gave 52 counted sprays → 0.0962 mL per spray.
        let v = SprayVolume::Calibrated {
            filled_ml: ml(5.0),
            sprays: 52,
        };
        let s = spray(c(100.0), v, None).unwrap_or_else(|e| panic!("{e}"));
        assert!((s.spray_volume_ml - 5.0 / 52.0).abs() < 1e-12);
        assert!(
            SprayVolume::Calibrated {
                filled_ml: ml(5.0),
                sprays: 0
            }
            .per_spray()
            .is_err()
        );
    }

    #[test]
    fn dilution() {
        let d = dilute(c(50.0), c(25.0), ml(10.0)).unwrap_or_else(|e| panic!("{e}"));
        assert!((d.water_to_add_ml - 10.0).abs() < 1e-9);
        assert!((d.final_volume_ml - 20.0).abs() < 1e-9);
        assert!(dilute(c(25.0), c(50.0), ml(10.0)).is_err());
        assert!(dilute(c(25.0), c(25.0), ml(10.0)).is_err());
    }

    proptest! {
        #[test]
        fn solution_round_trips(mass in 1.0f64..5000.0, vol in 0.5f64..500.0, dose in 0.1f64..500.0, purity in 1.0f64..=100.0) {
            let s = solution(mg(mass), Salt::Hcl, purity, ml(vol), Some(mg(dose))).map_err(|e| TestCaseError::fail(e.to_string()))?;
            let per = s.volume_per_dose_ml.unwrap_or(f64::NAN);
            prop_assert!(per.is_finite() && per > 0.0);
            // Checked against the inputs, not the result's own fields: the powder's active part
            // spread through the final volume, and that many mL of it hold the dose.
            let active = mass * purity / 100.0;
            prop_assert!((s.active_mg - active).abs() <= 1e-9 * active);
            prop_assert!((per * active / vol - dose).abs() <= 1e-9 * dose.max(1.0));
            // The batch holds the active mass: doses × dose.
            prop_assert!((s.doses_per_batch.unwrap_or(f64::NAN) * dose - active).abs() <= 1e-9 * active);
        }

        #[test]
        fn spray_round_trips(conc in 1.0f64..300.0, vol in 0.02f64..0.2, dose in 0.5f64..200.0) {
            let s = spray(c(conc), SprayVolume::Stated { ml: ml(vol) }, Some(mg(dose))).map_err(|e| TestCaseError::fail(e.to_string()))?;
            let n = s.sprays.unwrap_or(f64::NAN);
            prop_assert!(n.is_finite() && n > 0.0);
            // One spray delivers concentration × spray volume (the inputs); n of them the dose.
            prop_assert!((s.mg_per_spray - conc * vol).abs() <= 1e-9 * conc * vol);
            prop_assert!((n * conc * vol - dose).abs() <= 1e-9 * dose.max(1.0));
            for w in &s.nearest {
                prop_assert!(w.sprays >= 1 && (w.dose_mg - f64::from(w.sprays) * conc * vol).abs() <= 1e-9 * w.dose_mg);
            }
        }

        #[test]
        fn dilution_conserves_mass(from in 2.0f64..500.0, frac in 0.01f64..0.99, vol in 0.5f64..500.0) {
            let d = dilute(c(from), c(from * frac), ml(vol)).map_err(|e| TestCaseError::fail(e.to_string()))?;
            prop_assert!(d.water_to_add_ml > 0.0 && d.water_to_add_ml.is_finite());
            // The mass in the starting volume (from the inputs) is all in the final solution, at
            // the target strength: C1·V1 = C2·V2, so the water added is V1·(C1/C2 − 1).
            let mass = from * vol;
            prop_assert!((d.mg_in_solution - mass).abs() <= 1e-9 * mass);
            prop_assert!((d.final_volume_ml * from * frac - mass).abs() <= 1e-9 * mass);
            prop_assert!((d.water_to_add_ml - vol * (1.0 / frac - 1.0)).abs() <= 1e-9 * d.final_volume_ml);
        }
    }
}
