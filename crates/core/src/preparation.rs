//! Preparations: what a person holds — troches, a nasal spray, a home solution — and how a dose
//! expression ("2 sprays", "1/2 troche", "12 mg", "0.3 mL") becomes milligrams and a decrement
//! of supply through it.
//!
//! Supply is counted in troches for troches and in millilitres for liquids; sprays are shown as
//! millilitres ÷ volume per spray. The scale checks here catch the classic unit slip ("10 g"
//! against 25 mg troches) before anything is written.

use crate::dose_expr::{CountUnit, Quantity};
use crate::route::{Route, Substance};
use crate::salt::{KetamineMass, Salt};
use crate::units::{MgPerMl, Milligrams, Millilitres, QuantityError, fmt_num};
use crate::volumetric::{CalcError, SprayVolume, WholeSprays, check_purity, nearest_whole};
use serde::{Deserialize, Serialize};
use thiserror::Error;

/// The physical form of a stock and the numbers that define it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "form", rename_all = "snake_case")]
pub enum Form {
    /// Troches, lozenges or rapid-dissolve tablets of a fixed strength each.
    Troche { strength_mg: Milligrams },
    /// A nasal spray pump.
    NasalSpray {
        concentration_mg_per_ml: MgPerMl,
        spray_volume: SprayVolumeSpec,
        /// Fill volume of the bottle, if known.
        bottle_ml: Option<Millilitres>,
        /// Actuations used to prime the pump; they leave the bottle but are not doses.
        priming_sprays: u32,
    },
    /// A solution made from powder and distilled water.
    Solution {
        powder_mg: Milligrams,
        purity_pct: f64,
        volume_ml: Millilitres,
        /// Volume of one drop, once measured (e.g. 1 mL counted as 20 drops → 0.05 mL).
        drop_ml: Option<Millilitres>,
    },
}

/// How the volume of one spray is known (serialisable twin of [`SprayVolume`]).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(tag = "method", rename_all = "snake_case")]
pub enum SprayVolumeSpec {
    Stated { ml: Millilitres },
    Calibrated { filled_ml: Millilitres, sprays: u32 },
}

impl From<SprayVolumeSpec> for SprayVolume {
    fn from(s: SprayVolumeSpec) -> Self {
        match s {
            SprayVolumeSpec::Stated { ml } => SprayVolume::Stated { ml },
            SprayVolumeSpec::Calibrated { filled_ml, sprays } => {
                SprayVolume::Calibrated { filled_ml, sprays }
            }
        }
    }
}

/// The unit in which a stock's supply is counted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SupplyUnit {
    Troche,
    Ml,
}

impl SupplyUnit {
    pub fn as_str(self) -> &'static str {
        match self {
            SupplyUnit::Troche => "troche",
            SupplyUnit::Ml => "ml",
        }
    }
    /// "3 troches", "12.5 mL".
    pub fn fmt(self, v: f64) -> String {
        match self {
            SupplyUnit::Troche => format!("{} {}", fmt_num(v), CountUnit::Troche.name(v)),
            SupplyUnit::Ml => format!("{} mL", fmt_num(v)),
        }
    }
}

/// A preparation: the molecule, the salt form its strength is stated in, and its form.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Preparation {
    pub substance: Substance,
    pub salt: Salt,
    #[serde(flatten)]
    pub form: Form,
}

use crate::plausible::{self, MAX_DOSE_MG, MAX_ML_PER_DOSE};

#[derive(Debug, Clone, PartialEq, Error)]
pub enum ResolveError {
    #[error("{given} does not fit this {form} stock: give {accepted}")]
    ClassMismatch {
        given: &'static str,
        form: &'static str,
        accepted: &'static str,
    },
    #[error(
        "{amount} is {n} sprays of this pump ({per} mg each); a spray cannot be split. Nearest whole-spray doses: {options}"
    )]
    NotWholeSprays {
        amount: String,
        n: String,
        per: String,
        options: String,
        nearest: Vec<WholeSprays>,
    },
    #[error(
        "{amount} is {n} troches of {strength} mg; troches can be split into halves or quarters only. Nearest: {options}"
    )]
    TrocheFraction {
        amount: String,
        n: String,
        strength: String,
        options: String,
    },
    #[error(
        "this solution has no measured drop size; calibrate the stock's drops first (the mL one drop measures) or give the amount in mL or mg"
    )]
    DropsNotCalibrated,
    #[error(
        "{amount} would be {units} of this stock ({per} each). That looks like a unit mistake{hint}; nothing was saved"
    )]
    ImplausibleScale {
        amount: String,
        units: String,
        per: String,
        hint: String,
    },
    #[error(transparent)]
    Quantity(#[from] QuantityError),
    #[error(transparent)]
    Calc(#[from] CalcError),
}

/// A dose expression resolved through a preparation.
#[derive(Debug, Clone, PartialEq)]
pub struct Resolved {
    /// The amount of ketamine, in the preparation's salt form.
    pub mass: KetamineMass,
    /// Supply used, in the stock's [`SupplyUnit`].
    pub supply_used: f64,
    /// The count of units, when the form has countable units (troches or sprays).
    pub units: Option<(f64, CountUnit)>,
}

fn close_to_multiple(x: f64, step: f64) -> Option<f64> {
    let k = (x / step).round();
    ((x - k * step).abs() <= 1e-6 * x.max(1.0)).then_some(k * step)
}

impl Preparation {
    /// A one-line description of a preparation: "troche 25 mg HCl", "spray 100 mg/mL HCl, 10 mg/spray".
    /// In one line: "troche 25 mg HCl", "nasal spray 100 mg/mL HCl, 10 mg/spray".
    pub fn describe(&self) -> String {
        let p = self;
        let s = p.salt.label();
        let sub = if p.substance == Substance::Esketamine {
            " esketamine"
        } else {
            ""
        };
        match &p.form {
            Form::Troche { strength_mg } => {
                format!("troche {} mg {s}{sub}", fmt_num(strength_mg.value()))
            }
            Form::NasalSpray {
                concentration_mg_per_ml,
                ..
            } => format!(
                "nasal spray {} mg/mL {s}{sub}, {} mg/spray",
                fmt_num(concentration_mg_per_ml.value()),
                fmt_num(p.mg_per_unit().map_or(0.0, |m| m.value()))
            ),
            Form::Solution { .. } => {
                format!(
                    "solution {} mg/mL {s}{sub}",
                    fmt_num(p.concentration().map_or(0.0, |c| c.value()))
                )
            }
        }
    }

    pub fn validate(&self) -> Result<(), CalcError> {
        match &self.form {
            Form::Troche { strength_mg } => {
                Milligrams::positive(strength_mg.value())?;
                // One troche is at least one dose: above the largest dose accepted, the
                // strength is a unit slip ("10 g" for 10 mg), not a troche.
                if !plausible::single_dose(strength_mg.value()) {
                    return Err(CalcError::Invalid(format!(
                        "a troche of {} mg is above {} mg, more than any single dose; that looks like a unit mistake (mg, not g?)",
                        crate::units::fmt_num(strength_mg.value()),
                        crate::units::fmt_num(MAX_DOSE_MG)
                    )));
                }
            }
            Form::NasalSpray {
                concentration_mg_per_ml,
                spray_volume,
                bottle_ml,
                ..
            } => {
                MgPerMl::positive(concentration_mg_per_ml.value())?;
                SprayVolume::from(*spray_volume).per_spray()?;
                if let Some(b) = bottle_ml {
                    Millilitres::positive(b.value())?;
                }
            }
            Form::Solution {
                powder_mg,
                purity_pct,
                volume_ml,
                drop_ml,
            } => {
                Milligrams::positive(powder_mg.value())?;
                check_purity(*purity_pct)?;
                Millilitres::positive(volume_ml.value())?;
                if let Some(d) = drop_ml {
                    Millilitres::positive(d.value())?;
                }
            }
        }
        Ok(())
    }

    pub fn form_name(&self) -> &'static str {
        match self.form {
            Form::Troche { .. } => "troche",
            Form::NasalSpray { .. } => "nasal spray",
            Form::Solution { .. } => "solution",
        }
    }

    pub fn supply_unit(&self) -> SupplyUnit {
        match self.form {
            Form::Troche { .. } => SupplyUnit::Troche,
            _ => SupplyUnit::Ml,
        }
    }

    /// What a bare number in a dose means for this form ("1/2" of troches is "1/2 troche"):
    /// troches and sprays are counted, a solution is measured in mL.
    pub fn count_word(&self) -> &'static str {
        match self.form {
            Form::Troche { .. } => "troche",
            Form::NasalSpray { .. } => "spray",
            Form::Solution { .. } => "mL",
        }
    }

    /// The route a dose of this form takes unless the person says otherwise.
    pub fn default_route(&self) -> Route {
        match self.form {
            Form::Troche { .. } => Route::Sublingual,
            Form::NasalSpray { .. } => Route::Intranasal,
            Form::Solution { .. } => Route::Oral,
        }
    }

    /// Concentration of a liquid, in the preparation's salt form.
    pub fn concentration(&self) -> Option<MgPerMl> {
        match &self.form {
            Form::Troche { .. } => None,
            Form::NasalSpray {
                concentration_mg_per_ml,
                ..
            } => Some(*concentration_mg_per_ml),
            Form::Solution {
                powder_mg,
                purity_pct,
                volume_ml,
                ..
            } => MgPerMl::new(powder_mg.value() * purity_pct / 100.0 / volume_ml.value()).ok(),
        }
    }

    /// Volume of one spray (sprays only).
    pub fn spray_ml(&self) -> Option<Millilitres> {
        match &self.form {
            Form::NasalSpray { spray_volume, .. } => {
                SprayVolume::from(*spray_volume).per_spray().ok()
            }
            _ => None,
        }
    }

    /// Milligrams in one countable unit (a troche or a spray).
    pub fn mg_per_unit(&self) -> Option<Milligrams> {
        match &self.form {
            Form::Troche { strength_mg } => Some(*strength_mg),
            Form::NasalSpray { .. } => Some(self.concentration()? * self.spray_ml()?),
            Form::Solution { .. } => None,
        }
    }

    /// The initial usable supply: troches counted, or millilitres minus the priming sprays.
    pub fn usable_ml(&self) -> Option<f64> {
        match &self.form {
            Form::NasalSpray {
                bottle_ml: Some(b),
                priming_sprays,
                ..
            } => {
                let prime = self
                    .spray_ml()
                    .map_or(0.0, |v| v.value() * f64::from(*priming_sprays));
                Some((b.value() - prime).max(0.0))
            }
            Form::Solution { volume_ml, .. } => Some(volume_ml.value()),
            _ => None,
        }
    }

    /// Turn a dose expression into milligrams and a supply decrement, refusing mismatched
    /// unit classes, split sprays, odd troche fractions and implausible scales.
    pub fn resolve(&self, q: &Quantity) -> Result<Resolved, ResolveError> {
        let entered = q.to_string();
        let salt = self.salt;
        match &self.form {
            Form::Troche { strength_mg } => {
                let n = match q {
                    Quantity::Count {
                        n,
                        unit: CountUnit::Troche,
                    } => *n,
                    Quantity::Mg(m) => *m / *strength_mg,
                    _ => {
                        return Err(ResolveError::ClassMismatch {
                            given: q.class(),
                            form: "troche",
                            accepted: "a number of troches (\"1/2 troche\") or a mass (\"12.5 mg\")",
                        });
                    }
                };
                self.check_scale(q, n, CountUnit::Troche)?;
                let Some(n) = close_to_multiple(n, 0.25) else {
                    let lo = (n * 4.0).floor() / 4.0;
                    let hi = (n * 4.0).ceil() / 4.0;
                    let options = [lo, hi]
                        .iter()
                        .filter(|v| **v > 0.0)
                        .map(|v| {
                            format!(
                                "{} troche = {} mg",
                                fmt_num(*v),
                                fmt_num(v * strength_mg.value())
                            )
                        })
                        .collect::<Vec<_>>()
                        .join(", ");
                    return Err(ResolveError::TrocheFraction {
                        amount: entered,
                        n: fmt_num(n),
                        strength: fmt_num(strength_mg.value()),
                        options,
                    });
                };
                if n <= 0.0 {
                    return Err(ResolveError::TrocheFraction {
                        amount: entered,
                        n: fmt_num(n),
                        strength: fmt_num(strength_mg.value()),
                        options: format!("1/4 troche = {} mg", fmt_num(strength_mg.value() / 4.0)),
                    });
                }
                Ok(Resolved {
                    mass: KetamineMass::new(strength_mg.scale(n)?, salt),
                    supply_used: n,
                    units: Some((n, CountUnit::Troche)),
                })
            }
            Form::NasalSpray { .. } => {
                let per = self.mg_per_unit().ok_or(QuantityError::NotPositive {
                    what: "a spray",
                    value: 0.0,
                })?;
                let v = self.spray_ml().ok_or(QuantityError::NotPositive {
                    what: "a spray volume",
                    value: 0.0,
                })?;
                let n = match q {
                    Quantity::Count {
                        n,
                        unit: CountUnit::Spray,
                    } => *n,
                    Quantity::Mg(m) => *m / per,
                    Quantity::Ml(ml) => *ml / v,
                    _ => {
                        return Err(ResolveError::ClassMismatch {
                            given: q.class(),
                            form: "nasal spray",
                            accepted: "a number of sprays (\"2 sprays\"), a mass (\"10 mg\") or a volume (\"0.2 mL\")",
                        });
                    }
                };
                self.check_scale(q, n, CountUnit::Spray)?;
                let whole = n.round();
                if whole < 1.0 || (n - whole).abs() > 0.01 * n.max(1.0) {
                    let nearest = nearest_whole(n, per.value());
                    let options = nearest
                        .iter()
                        .map(|w| {
                            format!(
                                "{} {} = {} mg",
                                w.sprays,
                                CountUnit::Spray.name(f64::from(w.sprays)),
                                fmt_num(w.dose_mg)
                            )
                        })
                        .collect::<Vec<_>>()
                        .join(", ");
                    return Err(ResolveError::NotWholeSprays {
                        amount: entered,
                        n: fmt_num(n),
                        per: fmt_num(per.value()),
                        options,
                        nearest,
                    });
                }
                Ok(Resolved {
                    mass: KetamineMass::new(per.scale(whole)?, salt),
                    supply_used: v.value() * whole,
                    units: Some((whole, CountUnit::Spray)),
                })
            }
            Form::Solution { drop_ml, .. } => {
                let c = self.concentration().ok_or(QuantityError::NotPositive {
                    what: "a concentration",
                    value: 0.0,
                })?;
                let ml = match q {
                    Quantity::Ml(ml) => *ml,
                    Quantity::Mg(m) => *m / c,
                    Quantity::Count {
                        n,
                        unit: CountUnit::Drop,
                    } => {
                        let d = drop_ml.ok_or(ResolveError::DropsNotCalibrated)?;
                        if *n > plausible::max_count(CountUnit::Drop) {
                            return Err(self.implausible(q, *n, "drops", d.value() * c.value()));
                        }
                        d.scale(*n)?
                    }
                    _ => {
                        return Err(ResolveError::ClassMismatch {
                            given: q.class(),
                            form: "solution",
                            accepted: "a volume (\"0.25 mL\"), a mass (\"12 mg\") or, once calibrated, drops",
                        });
                    }
                };
                if ml.value() > MAX_ML_PER_DOSE {
                    return Err(self.implausible(q, ml.value(), "mL", c.value()));
                }
                Ok(Resolved {
                    mass: KetamineMass::new(c * ml, salt),
                    supply_used: ml.value(),
                    units: None,
                })
            }
        }
    }

    fn check_scale(&self, q: &Quantity, n: f64, unit: CountUnit) -> Result<(), ResolveError> {
        // A hair of tolerance: an amount typed in mg can land a rounding error above a whole count.
        if n > plausible::max_count(unit) * (1.0 + 1e-9) {
            let per = self.mg_per_unit().map_or(0.0, Milligrams::value);
            return Err(self.implausible(q, n, unit.name(n), per));
        }
        Ok(())
    }

    fn implausible(&self, q: &Quantity, n: f64, unit: &str, per_mg: f64) -> ResolveError {
        // If the amount was a mass, suggest the reading a factor of 1000 smaller (g → mg).
        let hint = match q {
            Quantity::Mg(m) if m.value() >= 1000.0 => {
                format!(
                    " (did you mean {} mg rather than {} g?)",
                    fmt_num(m.value() / 1000.0),
                    fmt_num(m.value() / 1000.0)
                )
            }
            _ => String::new(),
        };
        ResolveError::ImplausibleScale {
            amount: q.to_string(),
            units: format!("{} {unit}", fmt_num(n)),
            per: format!("{} mg {}", fmt_num(per_mg), self.salt),
            hint,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dose_expr::parse_quantity;
    use crate::testing::{mg, ml};

    fn q(s: &str) -> Quantity {
        parse_quantity(s).unwrap_or_else(|e| panic!("{e}"))
    }
    fn troche(strength: f64) -> Preparation {
        Preparation {
            substance: Substance::Ketamine,
            salt: Salt::Hcl,
            form: Form::Troche {
                strength_mg: mg(strength),
            },
        }
    }
    fn spray() -> Preparation {
        Preparation {
            substance: Substance::Ketamine,
            salt: Salt::Hcl,
            form: Form::NasalSpray {
                concentration_mg_per_ml: MgPerMl::positive(100.0).unwrap_or_else(|e| panic!("{e}")),
                spray_volume: SprayVolumeSpec::Stated { ml: ml(0.1) },
                bottle_ml: Some(ml(5.0)),
                priming_sprays: 5,
            },
        }
    }
    fn solution(drop: Option<f64>) -> Preparation {
        Preparation {
            substance: Substance::Ketamine,
            salt: Salt::Hcl,
            form: Form::Solution {
                powder_mg: mg(500.0),
                purity_pct: 100.0,
                volume_ml: ml(10.0),
                drop_ml: drop.map(ml),
            },
        }
    }

    #[test]
    fn troche_halves_and_masses() {
        let r = troche(25.0)
            .resolve(&q("1/2 troche"))
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(r.mass.mg.value(), 12.5);
        assert_eq!(r.supply_used, 0.5);
        let r = troche(25.0)
            .resolve(&q("12.5 mg"))
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(r.supply_used, 0.5);
        let r = troche(25.0)
            .resolve(&q("6.25mg"))
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(r.supply_used, 0.25);
    }

    #[test]
    fn troche_odd_fraction_is_refused_with_options() {
        let e = troche(25.0)
            .resolve(&q("10 mg"))
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default();
        assert!(
            e.contains("0.25 troche = 6.25 mg") && e.contains("0.5 troche = 12.5 mg"),
            "{e}"
        );
    }

    #[test]
    fn ten_grams_of_troches_is_a_unit_mistake() {
        let e = troche(25.0).resolve(&q("10 g")).err();
        assert!(
            matches!(e, Some(ResolveError::ImplausibleScale { .. })),
            "{e:?}"
        );
        let msg = e.map(|e| e.to_string()).unwrap_or_default();
        assert!(
            msg.contains("400 troches") && msg.contains("did you mean 10 mg"),
            "{msg}"
        );
    }

    #[test]
    fn unit_class_mismatch() {
        assert!(matches!(
            troche(25.0).resolve(&q("2 sprays")),
            Err(ResolveError::ClassMismatch { .. })
        ));
        assert!(matches!(
            troche(25.0).resolve(&q("1 mL")),
            Err(ResolveError::ClassMismatch { .. })
        ));
        assert!(matches!(
            spray().resolve(&q("1 troche")),
            Err(ResolveError::ClassMismatch { .. })
        ));
        assert!(matches!(
            solution(None).resolve(&q("2 sprays")),
            Err(ResolveError::ClassMismatch { .. })
        ));
    }

    #[test]
    fn sprays_must_be_whole() {
        let r = spray()
            .resolve(&q("2 sprays"))
            .unwrap_or_else(|e| panic!("{e}"));
        assert!((r.mass.mg.value() - 20.0).abs() < 1e-9);
        assert!((r.supply_used - 0.2).abs() < 1e-12);
        let r = spray()
            .resolve(&q("20 mg"))
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(r.units, Some((2.0, CountUnit::Spray)));
        match spray().resolve(&q("15 mg")) {
            Err(ResolveError::NotWholeSprays { nearest, .. }) => {
                assert_eq!(
                    nearest.iter().map(|w| w.sprays).collect::<Vec<_>>(),
                    vec![1, 2]
                );
            }
            other => panic!("{other:?}"),
        }
        assert!(matches!(
            spray().resolve(&q("1.5 sprays")),
            Err(ResolveError::NotWholeSprays { .. })
        ));
    }

    #[test]
    fn priming_is_not_supply() {
        assert!((spray().usable_ml().unwrap_or(0.0) - 4.5).abs() < 1e-12);
    }

    #[test]
    fn solution_by_volume_mass_and_drops() {
        let r = solution(None)
            .resolve(&q("0.24 mL"))
            .unwrap_or_else(|e| panic!("{e}"));
        assert!((r.mass.mg.value() - 12.0).abs() < 1e-9);
        let r = solution(None)
            .resolve(&q("12 mg"))
            .unwrap_or_else(|e| panic!("{e}"));
        assert!((r.supply_used - 0.24).abs() < 1e-12);
        assert!(matches!(
            solution(None).resolve(&q("3 drops")),
            Err(ResolveError::DropsNotCalibrated)
        ));
        let r = solution(Some(0.05))
            .resolve(&q("4 drops"))
            .unwrap_or_else(|e| panic!("{e}"));
        assert!((r.mass.mg.value() - 10.0).abs() < 1e-9);
        assert!(matches!(
            solution(None).resolve(&q("5 g")),
            Err(ResolveError::ImplausibleScale { .. })
        ));
    }

    #[test]
    fn serde_shape_is_flat_and_tagged() {
        let j = serde_json::to_value(troche(25.0)).unwrap_or_default();
        assert_eq!(j["form"], "troche");
        assert_eq!(j["strength_mg"], 25.0);
        assert_eq!(j["salt"], "hcl");
        let back: Preparation = serde_json::from_value(j).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(back, troche(25.0));
    }
}

#[cfg(test)]
mod props {
    use super::*;
    use crate::dose_expr::CountUnit;
    use proptest::prelude::*;

    proptest! {
        /// Through any troche strength, quarters resolve to an exact mass and supply, never NaN.
        #[test]
        fn troche_quarters(strength in 1.0f64..500.0, quarters in 1u32..=32) {
            let prep = Preparation {
                substance: Substance::Ketamine,
                salt: Salt::Hcl,
                form: Form::Troche { strength_mg: Milligrams::positive(strength).map_err(|e| TestCaseError::fail(e.to_string()))? },
            };
            let n = f64::from(quarters) / 4.0;
            let r = prep.resolve(&Quantity::Count { n, unit: CountUnit::Troche }).map_err(|e| TestCaseError::fail(e.to_string()))?;
            prop_assert_eq!(r.supply_used, n);
            prop_assert!((r.mass.mg.value() - n * strength).abs() <= 1e-9 * strength);
            // The same mass typed in mg resolves to the same supply.
            let back = prep.resolve(&Quantity::Mg(r.mass.mg)).map_err(|e| TestCaseError::fail(e.to_string()))?;
            prop_assert!((back.supply_used - n).abs() < 1e-9);
        }

        /// Whole sprays by count and by their mass agree.
        #[test]
        fn spray_counts(conc in 1.0f64..300.0, vol in 0.03f64..0.2, n in 1u32..=20) {
            let prep = Preparation {
                substance: Substance::Ketamine,
                salt: Salt::Hcl,
                form: Form::NasalSpray {
                    concentration_mg_per_ml: MgPerMl::positive(conc).map_err(|e| TestCaseError::fail(e.to_string()))?,
                    spray_volume: SprayVolumeSpec::Stated { ml: Millilitres::positive(vol).map_err(|e| TestCaseError::fail(e.to_string()))? },
                    bottle_ml: None,
                    priming_sprays: 0,
                },
            };
            let r = prep.resolve(&Quantity::Count { n: f64::from(n), unit: CountUnit::Spray }).map_err(|e| TestCaseError::fail(e.to_string()))?;
            let back = prep.resolve(&Quantity::Mg(r.mass.mg)).map_err(|e| TestCaseError::fail(e.to_string()))?;
            prop_assert_eq!(back.units, Some((f64::from(n), CountUnit::Spray)));
            prop_assert!((back.supply_used - r.supply_used).abs() < 1e-12);
        }
    }
}
