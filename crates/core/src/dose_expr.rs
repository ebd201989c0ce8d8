//! A small, strict parser for dose expressions: "10mg", "0.25 mL", "2 sprays", "1/2 troche",
//! "250 µg", and for concentrations: "50mg/mL", "10%".
//!
//! Written by hand on purpose. A general units library parsed "15 mcg" and "15 ml" as 15 grams
//! and a bare "15" as 15 kg (see `docs/design.md`); here every accepted spelling is listed,
//! a bare number is refused, a decimal comma is refused rather than guessed, and the result
//! keeps its unit class (mass, volume or a count of a preparation's units) so that a later step
//! can refuse "2 sprays" against a troche.

use crate::units::{MgPerMl, Milligrams, Millilitres, QuantityError};
use serde::{Deserialize, Serialize};
use std::fmt;
use thiserror::Error;

/// A countable unit of a preparation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CountUnit {
    /// One actuation of a nasal spray pump.
    Spray,
    /// One troche / lozenge / rapid-dissolve tablet (may be split into halves or quarters).
    Troche,
    /// One drop of a solution, once its drop volume is calibrated.
    Drop,
}

impl CountUnit {
    pub fn as_str(self) -> &'static str {
        match self {
            CountUnit::Spray => "spray",
            CountUnit::Troche => "troche",
            CountUnit::Drop => "drop",
        }
    }
    /// Singular or plural name for `n` units.
    pub fn name(self, n: f64) -> &'static str {
        let one = (n - 1.0).abs() < 1e-9 || n < 1.0;
        match (self, one) {
            (CountUnit::Spray, true) => "spray",
            (CountUnit::Spray, false) => "sprays",
            (CountUnit::Troche, true) => "troche",
            (CountUnit::Troche, false) => "troches",
            (CountUnit::Drop, true) => "drop",
            (CountUnit::Drop, false) => "drops",
        }
    }
}

/// The amount part of a dose, with its unit class.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(tag = "unit", content = "value", rename_all = "snake_case")]
pub enum Quantity {
    /// A mass, normalised to milligrams.
    Mg(Milligrams),
    /// A volume, normalised to millilitres.
    Ml(Millilitres),
    /// A number of sprays, troches or drops.
    Count { n: f64, unit: CountUnit },
}

impl Quantity {
    /// Short name of the unit class, for messages.
    pub fn class(&self) -> &'static str {
        match self {
            Quantity::Mg(_) => "a mass",
            Quantity::Ml(_) => "a volume",
            Quantity::Count {
                unit: CountUnit::Spray,
                ..
            } => "a number of sprays",
            Quantity::Count {
                unit: CountUnit::Troche,
                ..
            } => "a number of troches",
            Quantity::Count {
                unit: CountUnit::Drop,
                ..
            } => "a number of drops",
        }
    }
}

impl fmt::Display for Quantity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Quantity::Mg(m) => write!(f, "{m}"),
            Quantity::Ml(v) => write!(f, "{v}"),
            Quantity::Count { n, unit } => {
                write!(f, "{} {}", crate::units::fmt_num(*n), unit.name(*n))
            }
        }
    }
}

/// What is wrong with a dose or concentration expression.
#[derive(Debug, Clone, PartialEq, Error)]
pub enum ParseError {
    #[error("the amount is empty: write a number and a unit, for example \"10 mg\"")]
    Empty,
    #[error("\"{0}\" has no unit: write for example \"{0} mg\", \"{0} mL\" or \"{0} sprays\"")]
    MissingUnit(String),
    #[error(
        "\"{0}\" is not a unit Dosewise knows. Use mg, µg (or mcg), g, mL, spray, troche (or lozenge) or drop"
    )]
    UnknownUnit(String),
    #[error(
        "\"{0}\" is not a number. Write digits with a dot for decimals (0.5), or a fraction (1/2)"
    )]
    BadNumber(String),
    #[error(
        "\"{0}\" uses a comma; write the decimal with a dot (\"1.5\"). Dosewise does not guess whether a comma is a decimal or a thousands separator"
    )]
    DecimalComma(String),
    #[error("amounts must be greater than zero; \"{0}\" is not")]
    NotPositive(String),
    #[error("a fraction cannot divide by zero: \"{0}\"")]
    DivideByZero(String),
    #[error("{0}")]
    Quantity(#[from] QuantityError),
    #[error("\"{0}\" is not a concentration. Write for example \"50 mg/mL\" or \"10%\" (w/v)")]
    NotAConcentration(String),
}

/// Largest count of units accepted in one expression (nobody takes 1,000 sprays at once).
pub(crate) const MAX_COUNT: f64 = 1000.0;

enum Unit {
    Mass(f64), // factor to mg
    Volume,    // mL
    Count(CountUnit),
}

fn unit_of(word: &str) -> Option<Unit> {
    let w = word.trim().trim_end_matches('.');
    let lower = w.to_lowercase();
    Some(match lower.as_str() {
        "mg" | "mgs" | "milligram" | "milligrams" | "milligramme" | "milligrammes" => {
            Unit::Mass(1.0)
        }
        // U+00B5 MICRO SIGN and U+03BC GREEK SMALL LETTER MU both occur in the wild.
        "µg" | "μg" | "mcg" | "ug" | "microgram" | "micrograms" | "microgramme"
        | "microgrammes" => Unit::Mass(0.001),
        "g" | "gram" | "grams" | "gramme" | "grammes" => Unit::Mass(1000.0),
        "ml" | "millilitre" | "millilitres" | "milliliter" | "milliliters" | "cc" => Unit::Volume,
        "spray" | "sprays" | "actuation" | "actuations" | "puff" | "puffs" => {
            Unit::Count(CountUnit::Spray)
        }
        "troche" | "troches" | "lozenge" | "lozenges" | "rdt" | "rdts" => {
            Unit::Count(CountUnit::Troche)
        }
        "drop" | "drops" | "gtt" | "gtts" => Unit::Count(CountUnit::Drop),
        _ => return None,
    })
}

/// Parse a non-negative number: "12", "0.25", ".5", "1/2", "1 1/2", "½", "1½".
fn parse_number(s: &str) -> Result<f64, ParseError> {
    let s = s.trim();
    if s.is_empty() {
        return Err(ParseError::Empty);
    }
    if s.starts_with('-') || s.starts_with('−') {
        return Err(ParseError::NotPositive(s.to_string()));
    }
    if s.contains(',') {
        return Err(ParseError::DecimalComma(s.to_string()));
    }
    // Unicode vulgar fractions, alone or after a whole number.
    for (ch, frac) in [
        ('½', 0.5),
        ('¼', 0.25),
        ('¾', 0.75),
        ('⅓', 1.0 / 3.0),
        ('⅔', 2.0 / 3.0),
    ] {
        if let Some(whole) = s.strip_suffix(ch) {
            let whole = whole.trim();
            let w = if whole.is_empty() {
                0.0
            } else {
                parse_decimal(whole)?
            };
            return Ok(w + frac);
        }
    }
    // Mixed number "1 1/2".
    if let Some((whole, frac)) = s.split_once(char::is_whitespace) {
        if frac.contains('/') {
            return Ok(parse_decimal(whole.trim())? + parse_fraction(frac.trim())?);
        }
        return Err(ParseError::BadNumber(s.to_string()));
    }
    if s.contains('/') {
        return parse_fraction(s);
    }
    parse_decimal(s)
}

fn parse_fraction(s: &str) -> Result<f64, ParseError> {
    let (a, b) = s
        .split_once('/')
        .ok_or_else(|| ParseError::BadNumber(s.to_string()))?;
    let a = parse_decimal(a.trim())?;
    let b = parse_decimal(b.trim())?;
    if b == 0.0 {
        return Err(ParseError::DivideByZero(s.to_string()));
    }
    Ok(a / b)
}

/// Plain decimal digits with at most one dot. No exponent, sign, "inf" or "nan".
fn parse_decimal(s: &str) -> Result<f64, ParseError> {
    let ok = !s.is_empty()
        && s.chars().all(|c| c.is_ascii_digit() || c == '.')
        && s.chars().filter(|&c| c == '.').count() <= 1
        && s.chars().any(|c| c.is_ascii_digit())
        && s.len() <= 64;
    if !ok {
        return Err(ParseError::BadNumber(s.to_string()));
    }
    s.parse::<f64>()
        .map_err(|_| ParseError::BadNumber(s.to_string()))
}

/// Split "10mg", "10 mg", "1/2 troche", "1 1/2 troches" into (number, unit word).
fn split_number_unit(s: &str) -> (&str, &str) {
    // The unit is the trailing run of letters (and µ/μ); everything before it is the number.
    let idx = s
        .char_indices()
        .rev()
        .take_while(|(_, c)| c.is_alphabetic() || *c == 'µ' || *c == 'μ' || *c == '.')
        .last()
        .map(|(i, _)| i);
    match idx {
        // A trailing '.' alone ("1.") is part of the number, not a unit.
        Some(i) if s[i..].chars().any(char::is_alphabetic) => (s[..i].trim(), s[i..].trim()),
        _ => (s.trim(), ""),
    }
}

/// Parse a dose expression such as "10 mg", "250 mcg", "0.25 mL", "2 sprays" or "1/2 troche".
pub fn parse_quantity(input: &str) -> Result<Quantity, ParseError> {
    let s = input.trim();
    if s.is_empty() {
        return Err(ParseError::Empty);
    }
    let (num, unit) = split_number_unit(s);
    if num.is_empty() {
        return Err(ParseError::BadNumber(s.to_string()));
    }
    let n = parse_number(num)?;
    if unit.is_empty() {
        return Err(ParseError::MissingUnit(num.to_string()));
    }
    let unit = unit_of(unit).ok_or_else(|| ParseError::UnknownUnit(unit.to_string()))?;
    if n <= 0.0 {
        return Err(ParseError::NotPositive(s.to_string()));
    }
    Ok(match unit {
        Unit::Mass(factor) => Quantity::Mg(Milligrams::positive(n * factor)?),
        Unit::Volume => Quantity::Ml(Millilitres::positive(n)?),
        Unit::Count(unit) => {
            if n > MAX_COUNT {
                return Err(QuantityError::TooLarge {
                    what: "a count",
                    value: n,
                    max: MAX_COUNT,
                }
                .into());
            }
            Quantity::Count { n, unit }
        }
    })
}

/// Parse a mass only ("500mg", "0.5 g").
pub fn parse_mass(input: &str) -> Result<Milligrams, ParseError> {
    match parse_quantity(input)? {
        Quantity::Mg(m) => Ok(m),
        other => Err(ParseError::UnknownUnit(format!(
            "{input} ({} where a mass in mg, µg or g is needed)",
            other.class()
        ))),
    }
}

/// Parse a volume only ("10 mL").
pub fn parse_volume(input: &str) -> Result<Millilitres, ParseError> {
    match parse_quantity(input)? {
        Quantity::Ml(v) => Ok(v),
        other => Err(ParseError::UnknownUnit(format!(
            "{input} ({} where a volume in mL is needed)",
            other.class()
        ))),
    }
}

/// Parse a concentration: "50mg/mL", "50 mg / ml", "500 µg/mL", "1 g/10 mL" or "10%" (w/v).
pub fn parse_concentration(input: &str) -> Result<MgPerMl, ParseError> {
    let s = input.trim();
    if s.is_empty() {
        return Err(ParseError::Empty);
    }
    if let Some(pct) = s.strip_suffix('%') {
        let p = parse_number(pct)?;
        if p <= 0.0 {
            return Err(ParseError::NotPositive(s.to_string()));
        }
        return Ok(MgPerMl::from_percent_wv(p)?);
    }
    let (mass, vol) = s
        .split_once('/')
        .ok_or_else(|| ParseError::NotAConcentration(s.to_string()))?;
    let mass = parse_mass(mass).map_err(|_| ParseError::NotAConcentration(s.to_string()))?;
    let vol = vol.trim();
    // "mg/mL" means per one millilitre; "mg/10 mL" names the volume.
    let per = if unit_of(vol).is_some_and(|u| matches!(u, Unit::Volume)) {
        Millilitres::positive(1.0)?
    } else {
        parse_volume(vol).map_err(|_| ParseError::NotAConcentration(s.to_string()))?
    };
    let c = mass / per;
    Ok(MgPerMl::positive(c.value())?)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn mg(q: Result<Quantity, ParseError>) -> f64 {
        match q {
            Ok(Quantity::Mg(m)) => m.value(),
            other => panic!("expected a mass, got {other:?}"),
        }
    }

    #[test]
    fn masses_in_every_spelling() {
        assert_eq!(mg(parse_quantity("10mg")), 10.0);
        assert_eq!(mg(parse_quantity("10 mg")), 10.0);
        assert_eq!(mg(parse_quantity(" 12.5 MG ")), 12.5);
        assert_eq!(mg(parse_quantity("250 µg")), 0.25);
        assert_eq!(mg(parse_quantity("250 μg")), 0.25);
        assert_eq!(mg(parse_quantity("250 mcg")), 0.25);
        assert_eq!(mg(parse_quantity("250ug")), 0.25);
        assert_eq!(mg(parse_quantity("0.5 g")), 500.0);
        assert_eq!(mg(parse_quantity(".5 mg")), 0.5);
        assert_eq!(mg(parse_quantity("15 milligrams")), 15.0);
    }

    #[test]
    fn the_classic_unit_traps_are_not_grams() {
        // The mistakes a general-purpose unit parser made: mcg, µg and ml as grams.
        assert_eq!(mg(parse_quantity("15 mcg")), 0.015);
        assert_eq!(mg(parse_quantity("15 µg")), 0.015);
        assert!(matches!(parse_quantity("15 ml"), Ok(Quantity::Ml(v)) if v.value() == 15.0));
        assert_eq!(
            parse_quantity("15"),
            Err(ParseError::MissingUnit("15".into()))
        );
        assert!(matches!(
            parse_quantity("1,5 mg"),
            Err(ParseError::DecimalComma(_))
        ));
    }

    #[test]
    fn volumes_and_counts() {
        assert!(matches!(parse_quantity("0.25 mL"), Ok(Quantity::Ml(v)) if v.value() == 0.25));
        assert_eq!(
            parse_quantity("2 sprays"),
            Ok(Quantity::Count {
                n: 2.0,
                unit: CountUnit::Spray
            })
        );
        assert_eq!(
            parse_quantity("1 spray"),
            Ok(Quantity::Count {
                n: 1.0,
                unit: CountUnit::Spray
            })
        );
        assert_eq!(
            parse_quantity("1/2 troche"),
            Ok(Quantity::Count {
                n: 0.5,
                unit: CountUnit::Troche
            })
        );
        assert_eq!(
            parse_quantity("0.5 troche"),
            Ok(Quantity::Count {
                n: 0.5,
                unit: CountUnit::Troche
            })
        );
        assert_eq!(
            parse_quantity("½ lozenge"),
            Ok(Quantity::Count {
                n: 0.5,
                unit: CountUnit::Troche
            })
        );
        assert_eq!(
            parse_quantity("1 1/2 troches"),
            Ok(Quantity::Count {
                n: 1.5,
                unit: CountUnit::Troche
            })
        );
        assert_eq!(
            parse_quantity("1½ troches"),
            Ok(Quantity::Count {
                n: 1.5,
                unit: CountUnit::Troche
            })
        );
        assert_eq!(
            parse_quantity("3 drops"),
            Ok(Quantity::Count {
                n: 3.0,
                unit: CountUnit::Drop
            })
        );
    }

    #[test]
    fn bad_expressions_say_what_is_wrong() {
        assert_eq!(parse_quantity(""), Err(ParseError::Empty));
        assert!(matches!(
            parse_quantity("-5 mg"),
            Err(ParseError::NotPositive(_))
        ));
        assert!(matches!(
            parse_quantity("0 mg"),
            Err(ParseError::NotPositive(_))
        ));
        assert!(matches!(
            parse_quantity("NaN mg"),
            Err(ParseError::BadNumber(_))
        ));
        assert!(matches!(
            parse_quantity("inf mg"),
            Err(ParseError::BadNumber(_))
        ));
        assert!(matches!(
            parse_quantity("1e3 mg"),
            Err(ParseError::BadNumber(_))
        ));
        assert!(matches!(
            parse_quantity("10 kg"),
            Err(ParseError::UnknownUnit(_))
        ));
        assert!(matches!(
            parse_quantity("10 L"),
            Err(ParseError::UnknownUnit(_))
        ));
        assert!(matches!(
            parse_quantity("1/0 troche"),
            Err(ParseError::DivideByZero(_))
        ));
        assert!(matches!(
            parse_quantity("1.2.3 mg"),
            Err(ParseError::BadNumber(_))
        ));
        assert!(matches!(
            parse_quantity("mg"),
            Err(ParseError::BadNumber(_))
        ));
        assert!(matches!(
            parse_quantity("5000 sprays"),
            Err(ParseError::Quantity(_))
        ));
        assert!(matches!(
            parse_quantity("99999999999999999999999 mg"),
            Err(ParseError::BadNumber(_) | ParseError::Quantity(_))
        ));
        let msg = parse_quantity("10 kg")
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default();
        assert!(msg.contains("mg") && msg.contains("troche"), "{msg}");
    }

    #[test]
    fn concentrations() {
        let c = |s| parse_concentration(s).map(MgPerMl::value);
        assert_eq!(c("50mg/mL"), Ok(50.0));
        assert_eq!(c("50 mg / ml"), Ok(50.0));
        assert_eq!(c("10%"), Ok(100.0));
        assert_eq!(c("15 %"), Ok(150.0));
        assert_eq!(c("1 g/10 mL"), Ok(100.0));
        assert_eq!(c("500 µg/mL"), Ok(0.5));
        assert!(c("50 mg").is_err());
        assert!(c("-5%").is_err());
        assert!(c("50 mg/troche").is_err());
    }
}

#[cfg(test)]
mod props {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        /// Any input: an error or a finite, positive quantity — never a panic or a NaN.
        #[test]
        fn never_panics_never_nan(s in "\\PC{0,24}") {
            match parse_quantity(&s) {
                Ok(Quantity::Mg(m)) => prop_assert!(m.value().is_finite() && m.value() > 0.0),
                Ok(Quantity::Ml(v)) => prop_assert!(v.value().is_finite() && v.value() > 0.0),
                Ok(Quantity::Count { n, .. }) => prop_assert!(n.is_finite() && n > 0.0 && n <= MAX_COUNT),
                Err(_) => {}
            }
            if let Ok(c) = parse_concentration(&s) {
                prop_assert!(c.value().is_finite() && c.value() > 0.0);
            }
        }

        /// Printing a parsed mass and parsing it again gives the same value (to display precision).
        #[test]
        fn mass_round_trips(v in 0.001f64..5000.0, unit in prop::sample::select(vec!["mg", "µg", "mcg", "g"])) {
            let text = format!("{v} {unit}");
            let q = parse_quantity(&text).map_err(|e| TestCaseError::fail(e.to_string()))?;
            let factor = match unit { "mg" => 1.0, "g" => 1000.0, _ => 0.001 };
            match q {
                Quantity::Mg(m) => prop_assert!((m.value() - v * factor).abs() <= 1e-12 * (v * factor).max(1.0)),
                other => prop_assert!(false, "{other:?}"),
            }
        }
    }
}
