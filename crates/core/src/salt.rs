//! Ketamine hydrochloride versus ketamine base.
//!
//! Prescriptions and vials state strength either as the hydrochloride salt or as the free base,
//! and the two differ by about 15 %: 1 mg base = 1.1535 mg HCl (molecular weights 274.2 and
//! 237.7 g/mol; DEA/SWGDRUG monograph; the Ketalar label states 10 mg base ≙ 11.53 mg HCl —
//! `data/substances.json`, confidence H). The form is a property of every preparation and is
//! always shown next to an amount, because the difference is silent otherwise.

use crate::units::{Milligrams, QuantityError};
use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

/// Milligrams of ketamine hydrochloride that contain one milligram of ketamine base.
pub(crate) const HCL_PER_BASE: f64 = 1.1535;

/// Which chemical form a stated amount refers to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Salt {
    /// Ketamine hydrochloride, the usual form of powders, troches and compounded sprays.
    Hcl,
    /// Ketamine free base, the form in which the Ketalar vial strength is stated.
    Base,
}

impl Salt {
    /// Stable name used in storage and JSON.
    pub fn as_str(self) -> &'static str {
        match self {
            Salt::Hcl => "hcl",
            Salt::Base => "base",
        }
    }
    /// Human label.
    pub fn label(self) -> &'static str {
        match self {
            Salt::Hcl => "HCl",
            Salt::Base => "base",
        }
    }
}

impl fmt::Display for Salt {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.label())
    }
}

impl FromStr for Salt {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim().to_ascii_lowercase().as_str() {
            "hcl" | "hydrochloride" | "salt" => Ok(Salt::Hcl),
            "base" | "freebase" | "free-base" => Ok(Salt::Base),
            other => Err(format!(
                "unknown salt form {other:?}: use \"hcl\" (hydrochloride) or \"base\""
            )),
        }
    }
}

/// An amount of ketamine together with the form it is stated in.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct KetamineMass {
    pub mg: Milligrams,
    pub salt: Salt,
}

impl KetamineMass {
    pub fn new(mg: Milligrams, salt: Salt) -> Self {
        Self { mg, salt }
    }
    /// The same amount expressed as ketamine base.
    pub fn base(self) -> Milligrams {
        match self.salt {
            Salt::Base => self.mg,
            // Dividing a valid mass by a constant > 1 stays finite and non-negative.
            Salt::Hcl => Milligrams::new(self.mg.value() / HCL_PER_BASE).unwrap_or(self.mg),
        }
    }
    /// The same amount expressed as ketamine hydrochloride.
    pub fn hcl(self) -> Result<Milligrams, QuantityError> {
        match self.salt {
            Salt::Hcl => Ok(self.mg),
            Salt::Base => Milligrams::new(self.mg.value() * HCL_PER_BASE),
        }
    }
    /// Re-express in the requested form.
    pub fn to(self, salt: Salt) -> Result<KetamineMass, QuantityError> {
        let mg = match salt {
            Salt::Base => self.base(),
            Salt::Hcl => self.hcl()?,
        };
        Ok(KetamineMass { mg, salt })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::mg;

    #[test]
    fn ketalar_label_equivalences() {
        // Ketalar label: 10 mg base ≙ 11.53 mg HCl; 50 ≙ 57.67; 100 ≙ 115.33 (to rounding).
        for (base, hcl) in [(10.0, 11.53), (50.0, 57.67), (100.0, 115.33)] {
            let got = KetamineMass::new(mg(base), Salt::Base)
                .hcl()
                .map(Milligrams::value);
            let got = got.unwrap_or(f64::NAN);
            assert!(
                (got - hcl).abs() < 0.02,
                "{base} base -> {got} HCl, label says {hcl}"
            );
        }
    }

    #[test]
    fn hcl_to_base_is_about_0_867() {
        let base = KetamineMass::new(mg(100.0), Salt::Hcl).base().value();
        assert!((base - 86.69).abs() < 0.01, "{base}");
    }

    #[test]
    fn spravato_device_is_consistent() {
        // Spravato label: 32.3 mg esketamine HCl ≙ 28 mg base.
        let base = KetamineMass::new(mg(32.3), Salt::Hcl).base().value();
        assert!((base - 28.0).abs() < 0.05, "{base}");
    }

    #[test]
    fn parse_names() {
        assert_eq!("HCl".parse::<Salt>(), Ok(Salt::Hcl));
        assert_eq!("base".parse::<Salt>(), Ok(Salt::Base));
        assert!("sulfate".parse::<Salt>().is_err());
    }
}

#[cfg(test)]
mod props {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #[test]
        fn hcl_base_round_trip(v in 0.001f64..1.0e6) {
            let m = Milligrams::positive(v).map_err(|e| TestCaseError::fail(e.to_string()))?;
            for salt in [Salt::Hcl, Salt::Base] {
                let x = KetamineMass::new(m, salt);
                let there = x.to(if salt == Salt::Hcl { Salt::Base } else { Salt::Hcl }).map_err(|e| TestCaseError::fail(e.to_string()))?;
                let back = there.to(salt).map_err(|e| TestCaseError::fail(e.to_string()))?;
                prop_assert!(back.mg.value().is_finite());
                prop_assert!((back.mg.value() - v).abs() <= 1e-9 * v);
                // Base is always the smaller number.
                prop_assert!(x.base().value() <= x.hcl().map(Milligrams::value).unwrap_or(f64::NAN));
            }
        }
    }
}
