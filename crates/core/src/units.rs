//! Quantities with units: masses, volumes, concentrations and body weight.
//!
//! A dose is the one number in this program where a silent unit slip can hurt someone, so every
//! amount travels as a newtype (`Milligrams`, `Millilitres`, `MgPerMl`, `Kilograms`), never as a
//! bare `f64`. Constructors refuse NaN, infinities and negative values; arithmetic between the
//! types is limited to the physically meaningful combinations (mg ÷ mg/mL = mL, and so on).

use serde::{Deserialize, Serialize};
use std::fmt;
use std::ops::{Add, Div, Mul, Sub};
use thiserror::Error;

/// Why a number could not become a quantity.
#[derive(Debug, Clone, PartialEq, Error)]
pub enum QuantityError {
    #[error("{what} must be a finite number, got {value}")]
    NotFinite { what: &'static str, value: f64 },
    #[error("{what} must be greater than zero, got {value}")]
    NotPositive { what: &'static str, value: f64 },
    #[error("{what} cannot be negative, got {value}")]
    Negative { what: &'static str, value: f64 },
    #[error("{what} of {value} is above the largest value this program accepts ({max})")]
    TooLarge {
        what: &'static str,
        value: f64,
        max: f64,
    },
}

macro_rules! quantity {
    ($(#[$doc:meta])* $name:ident, $symbol:literal, $what:literal, $max:expr) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, PartialOrd, Serialize, Deserialize)]
        #[serde(try_from = "f64", into = "f64")]
        pub struct $name(f64);

        impl $name {
            /// The unit symbol used when this quantity is printed.
            pub const SYMBOL: &'static str = $symbol;
            /// The largest value accepted anywhere (guards against overflow and absurd input).
            pub const MAX: f64 = $max;

            /// A quantity that may be zero (a remaining supply, say) but not negative.
            pub fn new(value: f64) -> Result<Self, QuantityError> {
                if !value.is_finite() {
                    return Err(QuantityError::NotFinite { what: $what, value });
                }
                if value < 0.0 {
                    return Err(QuantityError::Negative { what: $what, value });
                }
                if value > Self::MAX {
                    return Err(QuantityError::TooLarge { what: $what, value, max: Self::MAX });
                }
                // Normalise -0.0 so that equality and printing behave.
                Ok(Self(if value == 0.0 { 0.0 } else { value }))
            }

            /// A quantity that must be strictly positive (a dose, a strength, a volume).
            pub fn positive(value: f64) -> Result<Self, QuantityError> {
                let q = Self::new(value)?;
                if q.0 == 0.0 {
                    return Err(QuantityError::NotPositive { what: $what, value });
                }
                Ok(q)
            }

            /// Zero of this unit.
            pub const fn zero() -> Self {
                Self(0.0)
            }

            /// The number in this unit. Use it at the edges (printing, storage), not to pass around.
            pub const fn value(self) -> f64 {
                self.0
            }
        }

        impl TryFrom<f64> for $name {
            type Error = QuantityError;
            fn try_from(value: f64) -> Result<Self, Self::Error> {
                Self::new(value)
            }
        }

        impl From<$name> for f64 {
            fn from(q: $name) -> f64 {
                q.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, "{} {}", crate::units::fmt_num(self.0), Self::SYMBOL)
            }
        }
    };
}

quantity!(
    /// A mass in milligrams.
    Milligrams, "mg", "a mass", 1.0e9
);
quantity!(
    /// A volume in millilitres.
    Millilitres, "mL", "a volume", 1.0e7
);
quantity!(
    /// A concentration in milligrams per millilitre. (1 % w/v = 10 mg/mL.)
    MgPerMl, "mg/mL", "a concentration", 1.0e4
);
quantity!(
    /// A body weight in kilograms.
    Kilograms, "kg", "a weight", 1000.0
);

impl Milligrams {
    /// From micrograms.
    pub fn from_micrograms(ug: f64) -> Result<Self, QuantityError> {
        Self::new(ug / 1000.0)
    }
    /// From grams.
    pub fn from_grams(g: f64) -> Result<Self, QuantityError> {
        Self::new(g * 1000.0)
    }
    /// Scale by a dimensionless factor (a fraction, a purity, a bioavailability).
    pub fn scale(self, factor: f64) -> Result<Self, QuantityError> {
        Self::new(self.0 * factor)
    }
}

impl Millilitres {
    /// Scale by a dimensionless factor.
    pub fn scale(self, factor: f64) -> Result<Self, QuantityError> {
        Self::new(self.0 * factor)
    }
}

impl MgPerMl {
    /// From a percent weight-per-volume strength: 1 % w/v is 10 mg/mL.
    pub fn from_percent_wv(percent: f64) -> Result<Self, QuantityError> {
        Self::new(percent * 10.0)
    }
}

// mg / (mg/mL) = mL
impl Div<MgPerMl> for Milligrams {
    type Output = Millilitres;
    fn div(self, rhs: MgPerMl) -> Millilitres {
        Millilitres(self.0 / rhs.0)
    }
}
// mg / mL = mg/mL
impl Div<Millilitres> for Milligrams {
    type Output = MgPerMl;
    fn div(self, rhs: Millilitres) -> MgPerMl {
        MgPerMl(self.0 / rhs.0)
    }
}
// mg/mL × mL = mg
impl Mul<Millilitres> for MgPerMl {
    type Output = Milligrams;
    fn mul(self, rhs: Millilitres) -> Milligrams {
        Milligrams(self.0 * rhs.0)
    }
}
// mg ÷ mg = ratio
impl Div for Milligrams {
    type Output = f64;
    fn div(self, rhs: Milligrams) -> f64 {
        self.0 / rhs.0
    }
}
// mL ÷ mL = ratio
impl Div for Millilitres {
    type Output = f64;
    fn div(self, rhs: Millilitres) -> f64 {
        self.0 / rhs.0
    }
}
impl Add for Milligrams {
    type Output = Milligrams;
    fn add(self, rhs: Self) -> Self {
        Milligrams(self.0 + rhs.0)
    }
}
impl Add for Millilitres {
    type Output = Millilitres;
    fn add(self, rhs: Self) -> Self {
        Millilitres(self.0 + rhs.0)
    }
}
impl Sub for Millilitres {
    type Output = f64;
    /// A difference of volumes may be negative, so it is a plain signed number of mL.
    fn sub(self, rhs: Self) -> f64 {
        self.0 - rhs.0
    }
}

/// Print a number the way a person writes it: no trailing zeros, at most 3 decimals for
/// small values, grouped sensibly. Never rounds a non-zero value to "0".
pub fn fmt_num(v: f64) -> String {
    if v == 0.0 {
        return "0".to_string();
    }
    let abs = v.abs();
    let decimals = if abs >= 100.0 {
        1
    } else if abs >= 1.0 {
        2
    } else if abs >= 0.01 {
        3
    } else {
        // Very small: keep three significant digits.
        let mag = (-abs.log10()).ceil() as usize;
        (mag + 2).min(9)
    };
    let s = format!("{v:.decimals$}");
    let s = if s.contains('.') {
        s.trim_end_matches('0').trim_end_matches('.').to_string()
    } else {
        s
    };
    if s == "0" || s == "-0" {
        format!("{v:e}")
    } else {
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn constructors_refuse_bad_numbers() {
        assert!(matches!(
            Milligrams::new(f64::NAN),
            Err(QuantityError::NotFinite { .. })
        ));
        assert!(matches!(
            Milligrams::new(f64::INFINITY),
            Err(QuantityError::NotFinite { .. })
        ));
        assert!(matches!(
            Milligrams::new(-1.0),
            Err(QuantityError::Negative { .. })
        ));
        assert!(matches!(
            Milligrams::positive(0.0),
            Err(QuantityError::NotPositive { .. })
        ));
        assert!(matches!(
            Kilograms::new(5000.0),
            Err(QuantityError::TooLarge { .. })
        ));
        assert_eq!(
            Milligrams::new(-0.0).map(|m| m.value().is_sign_negative()),
            Ok(false)
        );
        assert_eq!(Milligrams::positive(12.5).map(Milligrams::value), Ok(12.5));
    }

    #[test]
    fn unit_conversions() {
        assert_eq!(
            Milligrams::from_micrograms(250.0).map(|m| m.value()),
            Ok(0.25)
        );
        assert_eq!(Milligrams::from_grams(0.5).map(|m| m.value()), Ok(500.0));
        assert_eq!(MgPerMl::from_percent_wv(10.0).map(|c| c.value()), Ok(100.0));
    }

    #[test]
    fn arithmetic_between_units() {
        let mass = Milligrams::positive(500.0).unwrap_or_else(|e| panic!("{e}"));
        let vol = Millilitres::positive(10.0).unwrap_or_else(|e| panic!("{e}"));
        let c = mass / vol;
        assert_eq!(c.value(), 50.0);
        let dose = Milligrams::positive(12.0).unwrap_or_else(|e| panic!("{e}"));
        assert!(((dose / c).value() - 0.24).abs() < 1e-12);
        assert_eq!((c * vol).value(), 500.0);
    }

    #[test]
    fn serde_refuses_nan_like_and_negative() {
        assert!(serde_json::from_str::<Milligrams>("-3").is_err());
        assert_eq!(
            serde_json::from_str::<Milligrams>("3.5")
                .map(|m| m.value())
                .ok(),
            Some(3.5)
        );
    }

    #[test]
    fn number_formatting() {
        assert_eq!(fmt_num(12.0), "12");
        assert_eq!(fmt_num(12.5), "12.5");
        assert_eq!(fmt_num(0.25), "0.25");
        assert_eq!(fmt_num(1.0 / 3.0), "0.333");
        assert_eq!(fmt_num(0.0042), "0.0042");
        assert_eq!(fmt_num(115.349), "115.3");
        assert_eq!(fmt_num(0.0), "0");
    }
}
