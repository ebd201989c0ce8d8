//! Vital signs: blood pressure, heart rate, weight, each with the context it was taken in.

use serde::{Deserialize, Serialize};
use std::str::FromStr;
use thiserror::Error;

use crate::text::{self, TextError};
use crate::units::Kilograms;
use jiff::Timestamp;

/// A blood-pressure threshold pair, "140/90".
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct BpLimit {
    pub systolic: u16,
    pub diastolic: u16,
}

impl std::fmt::Display for BpLimit {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}/{}", self.systolic, self.diastolic)
    }
}

/// The default warning tier: a reading **above** 140/90 (SPRAVATO US label §5.6: weigh delaying
/// the dose above 140/90; H).
pub(crate) const BP_WARN_ABOVE: BpLimit = BpLimit {
    systolic: 140,
    diastolic: 90,
};
/// The default refusal tier: a reading **at or above** 160 systolic or 100 diastolic, grade 2
/// hypertension in the 2018 ESC/ESH guidelines (M); the systolic figure is also the
/// Choose Ketamine home-treatment agreement's (no dose above 160/90; M).
pub(crate) const BP_REFUSE_FROM: BpLimit = BpLimit {
    systolic: 160,
    diastolic: 100,
};

/// A threshold a clinician sets for a protocol: "150/95". Tighter or looser than the defaults,
/// but within what a home monitor reads and with the refusal tier above the warning tier.
pub fn parse_bp_limit(s: &str) -> Result<BpLimit, VitalsError> {
    let (systolic, diastolic) = parse_bp(s)?;
    let systolic = ranged("systolic threshold", u32::from(systolic), 100, 220)?;
    let diastolic = ranged("diastolic threshold", u32::from(diastolic), 60, 130)?;
    Ok(BpLimit {
        systolic,
        diastolic,
    })
}

/// The two tiers must be ordered: the refusal tier above the warning tier in both numbers.
pub fn check_tiers(warn_above: BpLimit, refuse_from: BpLimit) -> Result<(), VitalsError> {
    if refuse_from.systolic > warn_above.systolic && refuse_from.diastolic > warn_above.diastolic {
        Ok(())
    } else {
        Err(VitalsError::Tiers {
            warn: warn_above,
            refuse: refuse_from,
        })
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum VitalsContext {
    PreDose,
    PostDose,
    Other,
}

impl VitalsContext {
    pub fn as_str(self) -> &'static str {
        match self {
            VitalsContext::PreDose => "pre_dose",
            VitalsContext::PostDose => "post_dose",
            VitalsContext::Other => "other",
        }
    }
}

impl FromStr for VitalsContext {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim().to_ascii_lowercase().replace('_', "-").as_str() {
            "pre-dose" | "pre" | "before" => Ok(VitalsContext::PreDose),
            "post-dose" | "post" | "after" => Ok(VitalsContext::PostDose),
            "other" => Ok(VitalsContext::Other),
            _ => Err(format!(
                "unknown context {s:?}: use pre-dose, post-dose or other"
            )),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NewVitals {
    pub at: Timestamp,
    pub zone: String,
    pub systolic: Option<u16>,
    pub diastolic: Option<u16>,
    pub heart_rate: Option<u16>,
    pub weight_kg: Option<Kilograms>,
    pub context: VitalsContext,
    pub note: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Vitals {
    pub id: i64,
    #[serde(flatten)]
    pub vitals: NewVitals,
    pub created_at: Timestamp,
}

#[derive(Debug, Clone, PartialEq, Error)]
pub enum VitalsError {
    #[error("blood pressure {0:?} not understood: write systolic/diastolic, e.g. 128/82")]
    BpFormat(String),
    #[error(
        "{what} of {value} is outside the range a home monitor can read ({min}-{max}); check the numbers"
    )]
    OutOfRange {
        what: &'static str,
        value: u32,
        min: u32,
        max: u32,
    },
    #[error("systolic ({0}) must be higher than diastolic ({1})")]
    Inverted(u16, u16),
    #[error("give at least one of blood pressure, heart rate or weight")]
    Empty,
    #[error(
        "the refusal threshold ({refuse}) must be above the warning threshold ({warn}) in both numbers"
    )]
    Tiers { warn: BpLimit, refuse: BpLimit },
    #[error(transparent)]
    Text(#[from] TextError),
}

fn ranged(what: &'static str, v: u32, min: u32, max: u32) -> Result<u16, VitalsError> {
    if (min..=max).contains(&v) {
        Ok(v as u16)
    } else {
        Err(VitalsError::OutOfRange {
            what,
            value: v,
            min,
            max,
        })
    }
}

/// "128/82" → (128, 82), with plausible ranges.
pub fn parse_bp(s: &str) -> Result<(u16, u16), VitalsError> {
    let (a, b) = s
        .split_once('/')
        .ok_or_else(|| VitalsError::BpFormat(s.into()))?;
    let a: u32 = a
        .trim()
        .parse()
        .map_err(|_| VitalsError::BpFormat(s.into()))?;
    let b: u32 = b
        .trim()
        .parse()
        .map_err(|_| VitalsError::BpFormat(s.into()))?;
    let sys = ranged("systolic pressure", a, 50, 300)?;
    let dia = ranged("diastolic pressure", b, 20, 200)?;
    if sys <= dia {
        return Err(VitalsError::Inverted(sys, dia));
    }
    Ok((sys, dia))
}

pub fn check_heart_rate(v: u32) -> Result<u16, VitalsError> {
    ranged("heart rate", v, 20, 250)
}

impl NewVitals {
    pub fn validated(mut self) -> Result<Self, VitalsError> {
        if self.systolic.is_none() && self.heart_rate.is_none() && self.weight_kg.is_none() {
            return Err(VitalsError::Empty);
        }
        self.note = text::note(self.note.as_deref())?;
        self.at = crate::when::to_micros(self.at);
        Ok(self)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blood_pressure() {
        assert_eq!(parse_bp("128/82"), Ok((128, 82)));
        assert_eq!(parse_bp(" 161 / 91 "), Ok((161, 91)));
        assert!(matches!(
            parse_bp("82/128"),
            Err(VitalsError::Inverted(82, 128))
        ));
        assert!(matches!(
            parse_bp("1280/82"),
            Err(VitalsError::OutOfRange { .. })
        ));
        assert!(matches!(parse_bp("128-82"), Err(VitalsError::BpFormat(_))));
        assert!(check_heart_rate(300).is_err() && check_heart_rate(72).is_ok());
    }

    #[test]
    fn thresholds() {
        assert_eq!(
            parse_bp_limit("150/95"),
            Ok(BpLimit {
                systolic: 150,
                diastolic: 95
            })
        );
        assert!(
            parse_bp_limit("90/50").is_err(),
            "below what a threshold can be"
        );
        assert!(parse_bp_limit("260/100").is_err());
        assert!(check_tiers(BP_WARN_ABOVE, BP_REFUSE_FROM).is_ok());
        assert!(check_tiers(BP_REFUSE_FROM, BP_WARN_ABOVE).is_err());
        assert!(
            check_tiers(
                BP_WARN_ABOVE,
                BpLimit {
                    systolic: 170,
                    diastolic: 90
                }
            )
            .is_err(),
            "equal diastolic tiers would leave no warning tier for diastolic"
        );
    }
}
