//! The knowledge base's data files, compiled into the binary, and the one loader they share.
//! Each file is parsed once, on first use; each has a test that parses and checks it, so a
//! file that does not parse is a broken build and stops loudly.

use serde::de::DeserializeOwned;

/// Routes, absorption estimates, salt forms.
pub(crate) const SUBSTANCES: (&str, &str) =
    ("substances.json", include_str!("../data/substances.json"));
/// What other substances and medicines do with ketamine.
pub(crate) const INTERACTIONS: (&str, &str) = (
    "interactions.json",
    include_str!("../data/interactions.json"),
);
/// The main risks of repeated use.
pub(crate) const RISKS: (&str, &str) = ("risks.json", include_str!("../data/risks.json"));
/// PHQ-9, GAD-7 and the other questionnaires.
pub(crate) const INSTRUMENTS: (&str, &str) =
    ("instruments.json", include_str!("../data/instruments.json"));
/// Dosewise's own thresholds (confidence D).
pub(crate) const RULES: (&str, &str) = ("rules.json", include_str!("../data/rules.json"));
/// The contraindication screen.
pub(crate) const SCREEN: (&str, &str) = ("screen.json", include_str!("../data/screen.json"));

/// Parse a compiled-in data file.
pub(crate) fn parse<T: DeserializeOwned>((name, text): (&str, &str)) -> T {
    match serde_json::from_str(text) {
        Ok(v) => v,
        Err(e) => panic!("data/{name} is invalid: {e}"),
    }
}
