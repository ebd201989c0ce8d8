//! The compiled-in knowledge base (`data/substances.json`).
//!
//! The file is embedded at build time and parsed once; a test checks that every number in it
//! carries a source and a confidence code, and that ranges are ordered.

use crate::route::{Route, Substance};
use serde::Deserialize;
use std::sync::OnceLock;

/// How much a figure can be trusted (see `data/substances.json`, "about").
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, serde::Serialize)]
pub enum Confidence {
    /// Read in the primary paper or the official label.
    H,
    /// Read only in a secondary source.
    M,
    /// Unverified: may be shown as such, never drives a refusal on its own.
    L,
    /// A Dosewise design choice: a threshold or window no study gives, chosen by Dosewise with
    /// its reasoning and the sources it leans on written down (`data/rules.json`).
    D,
}

impl Confidence {
    /// What the code means, in a few words (shown by `dosewise info` and the docs).
    pub fn meaning(self) -> &'static str {
        match self {
            Confidence::H => "read in the primary paper or the official label",
            Confidence::M => {
                "read only in a secondary source (a review, a summary, a community chart, an animal study)"
            }
            Confidence::L => "unverified: shown as such, never the sole basis of a refusal",
            Confidence::D => {
                "a Dosewise design choice: no study gives this number; the reasoning and the sources it leans on are listed"
            }
        }
    }
    pub const ALL: [Confidence; 4] = [Confidence::H, Confidence::M, Confidence::L, Confidence::D];
}

impl std::fmt::Display for Confidence {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Confidence::H => "H",
            Confidence::M => "M",
            Confidence::L => "L",
            Confidence::D => "D",
        })
    }
}

#[derive(Debug, Clone, Deserialize)]
pub struct Estimate {
    pub value: f64,
    pub source: String,
    pub confidence: Confidence,
    /// How many people (or animals) the figure was measured in, where the source says.
    #[serde(default)]
    pub n: Option<u32>,
    /// The dose and form studied ("25 mg nasal spray"), where the source says.
    #[serde(default)]
    pub dose: Option<String>,
    /// Who was studied ("healthy volunteers", "dogs (animal study)"), where it matters.
    #[serde(default)]
    pub population: Option<String>,
}

impl Estimate {
    /// "n=3, 25 mg nasal spray, healthy volunteers" — what the figure rests on, or "".
    pub fn study(&self) -> String {
        let mut parts = Vec::new();
        if let Some(n) = self.n {
            parts.push(format!("n={n}"));
        }
        parts.extend(self.dose.clone());
        parts.extend(self.population.clone());
        parts.join(", ")
    }
}

/// Sources that disagree by more than this factor get no single typical figure (a rule on
/// the data file, checked by its test).
#[cfg(test)]
pub(crate) const TYPICAL_MAX_SPREAD: f64 = 2.0;

#[derive(Debug, Clone, Copy, Default, Deserialize)]
pub struct PctRange {
    pub min: f64,
    /// Given only where the estimates agree within [`TYPICAL_MAX_SPREAD`]; otherwise every
    /// estimate is shown with its study instead of one figure resting on one study.
    #[serde(default)]
    pub typical: Option<f64>,
    pub max: f64,
}

#[derive(Debug, Clone, Deserialize)]
pub struct RouteFacts {
    pub route: Route,
    /// Absent for a route that borrows another's figures (`same_as`); filled in at load.
    #[serde(default)]
    pub bioavailability_pct: PctRange,
    #[serde(default)]
    pub estimates: Vec<Estimate>,
    #[serde(default)]
    pub note: Option<String>,
    /// How the absorbed fraction changes with the dose, where a source measured it.
    #[serde(default)]
    pub dose_dependence: Option<String>,
    /// What becomes of the dose by this route (norketamine), where it matters.
    #[serde(default)]
    pub metabolite: Option<String>,
    /// Set when the figures are borrowed from another route (buccal uses sublingual).
    #[serde(default)]
    pub same_as: Option<Route>,
    /// When effects peak (and how long they last, where known), with the source.
    #[serde(default)]
    pub timing: Option<Timing>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct Timing {
    pub peak: String,
    pub source: String,
}

/// A risk summary for `dosewise info risks`.
#[derive(Debug, Clone, Deserialize, serde::Serialize)]
pub struct Risk {
    pub id: String,
    pub title: String,
    pub summary: String,
    pub sources: Vec<String>,
}

/// One piece of advice for the hours after a dose, with its sources.
#[derive(Debug, Clone, Deserialize, serde::Serialize)]
pub struct Advice {
    pub id: String,
    pub text: String,
    pub sources: Vec<String>,
}

#[derive(Debug, Clone, Deserialize)]
struct RiskFile {
    risks: Vec<Risk>,
    after_a_refused_dose: Vec<Advice>,
}

fn risk_file() -> &'static RiskFile {
    static R: OnceLock<RiskFile> = OnceLock::new();
    R.get_or_init(|| crate::kb::parse::<RiskFile>(crate::kb::RISKS))
}

/// The risk summaries (`data/risks.json`).
pub fn risks() -> &'static [Risk] {
    &risk_file().risks
}

/// What to do in the next hours when a dose the safety check would have refused was already
/// taken (`data/risks.json`): calm, practical, each line sourced.
pub fn after_a_refused_dose() -> &'static [Advice] {
    &risk_file().after_a_refused_dose
}

#[derive(Debug, Clone, Deserialize)]
pub struct SubstanceFacts {
    pub id: Substance,
    pub name: String,
    pub routes: Vec<RouteFacts>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct SaltFacts {
    pub hcl_per_mg_base: f64,
    pub basis: String,
    pub sources: Vec<String>,
    pub confidence: Confidence,
}

#[derive(Debug, Clone, Deserialize)]
pub struct Knowledge {
    pub version: u32,
    pub salt: SaltFacts,
    pub substances: Vec<SubstanceFacts>,
}

const SUBSTANCES_JSON: &str = crate::kb::SUBSTANCES.1;

/// Parse the file and give a route that borrows another's figures (`same_as`) those figures.
fn load(json: &str) -> Result<Knowledge, serde_json::Error> {
    let mut k: Knowledge = serde_json::from_str(json)?;
    for s in &mut k.substances {
        let routes = s.routes.clone();
        for r in &mut s.routes {
            if let Some(other) = r.same_as
                && let Some(o) = routes.iter().find(|x| x.route == other)
            {
                r.bioavailability_pct = o.bioavailability_pct;
                r.estimates = o.estimates.clone();
                r.dose_dependence = r.dose_dependence.take().or(o.dose_dependence.clone());
                r.metabolite = r.metabolite.take().or(o.metabolite.clone());
            }
        }
    }
    Ok(k)
}

/// The knowledge base. Parsing the embedded file cannot fail at run time: a test parses it.
pub fn knowledge() -> &'static Knowledge {
    static K: OnceLock<Knowledge> = OnceLock::new();
    K.get_or_init(|| match load(SUBSTANCES_JSON) {
        Ok(k) => k,
        // The file is compiled in and checked by `knowledge_base_is_complete`; reaching this
        // means the build itself is broken, so an immediate, loud stop is right.
        Err(e) => panic!("data/substances.json is invalid: {e}"),
    })
}

/// The facts for a route of a substance, if any were found in the literature.
pub fn route_facts(substance: Substance, route: Route) -> Option<&'static RouteFacts> {
    knowledge()
        .substances
        .iter()
        .find(|s| s.id == substance)?
        .routes
        .iter()
        .find(|r| r.route == route)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn knowledge_base_is_complete() {
        let k = load(SUBSTANCES_JSON).unwrap_or_else(|e| panic!("{e}"));
        assert!((k.salt.hcl_per_mg_base - crate::salt::HCL_PER_BASE).abs() < 1e-12);
        assert!(!k.salt.sources.is_empty());
        for s in &k.substances {
            for r in &s.routes {
                let b = r.bioavailability_pct;
                assert!(
                    0.0 < b.min && b.min <= b.max && b.max <= 100.0,
                    "{} {}: range out of order",
                    s.name,
                    r.route
                );
                // The range is exactly the spread of the checked estimates: no end of it may
                // rest on nothing (the old intranasal maximum of 50% matched no estimate).
                let checked: Vec<f64> = r
                    .estimates
                    .iter()
                    .filter(|e| e.confidence != Confidence::L)
                    .map(|e| e.value)
                    .collect();
                let lo = checked.iter().copied().fold(f64::INFINITY, f64::min);
                let hi = checked.iter().copied().fold(f64::NEG_INFINITY, f64::max);
                assert_eq!(
                    (b.min, b.max),
                    (lo, hi),
                    "{} {}: range vs estimates",
                    s.name,
                    r.route
                );
                // One typical figure only where the sources agree within 2x, and then inside.
                match b.typical {
                    Some(t) => assert!(
                        b.max / b.min <= TYPICAL_MAX_SPREAD && b.min <= t && t <= b.max,
                        "{} {}: a typical figure where sources disagree > 2x, or outside the range",
                        s.name,
                        r.route
                    ),
                    None => assert!(
                        b.max / b.min > TYPICAL_MAX_SPREAD,
                        "{} {}: sources agree; give the typical figure",
                        s.name,
                        r.route
                    ),
                }
                assert!(
                    !r.estimates.is_empty(),
                    "{} {}: no estimate",
                    s.name,
                    r.route
                );
                for e in &r.estimates {
                    assert!(
                        !e.source.trim().is_empty(),
                        "{} {}: estimate without source",
                        s.name,
                        r.route
                    );
                    // A figure is a fact from a source, never a Dosewise choice.
                    assert_ne!(e.confidence, Confidence::D, "{} {}", s.name, r.route);
                    // An animal study is at most M: it is not a measurement in people.
                    if e.population
                        .as_deref()
                        .is_some_and(|p| p.contains("animal"))
                    {
                        assert_ne!(e.confidence, Confidence::H, "{} {}", s.name, r.route);
                    }
                }
                // The range must be backed by at least one estimate that is not unverified.
                assert!(
                    r.estimates.iter().any(|e| e.confidence != Confidence::L),
                    "{} {}: only unverified estimates",
                    s.name,
                    r.route
                );
            }
        }
    }

    #[test]
    fn risks_are_sourced() {
        let f: RiskFile =
            serde_json::from_str(crate::kb::RISKS.1).unwrap_or_else(|e| panic!("{e}"));
        assert!(f.risks.len() >= 5);
        assert!(f.after_a_refused_dose.len() >= 4);
        for a in &f.after_a_refused_dose {
            assert!(!a.sources.is_empty() && !a.text.is_empty(), "{}", a.id);
            for s in &a.sources {
                assert!(crate::rules::has_code(s), "{}: {s:?} without a code", a.id);
            }
        }
        for r in &f.risks {
            assert!(!r.sources.is_empty() && !r.summary.is_empty(), "{}", r.id);
            for s in &r.sources {
                assert!(crate::rules::has_code(s), "{}: {s:?} without a code", r.id);
            }
        }
        let text = |id: &str| {
            f.risks
                .iter()
                .find(|r| r.id == id)
                .map(|r| r.summary.clone())
                .unwrap_or_default()
        };
        // The label's figure is "and/or"; the two-year figure is from recreational users; Morgan
        // 2010 measured spatial working and pattern-recognition memory.
        assert!(text("blood_pressure").contains("and/or"));
        assert!(text("bladder").contains("recreational"));
        assert!(text("cognition").contains("spatial working memory"));
        assert!(!text("cognition").contains("episodic"));
    }

    #[test]
    fn racemic_ketamine_covers_every_route() {
        for r in Route::ALL {
            assert!(route_facts(Substance::Ketamine, r).is_some(), "{r}");
        }
        assert_eq!(
            route_facts(Substance::Ketamine, Route::Buccal).and_then(|f| f.same_as),
            Some(Route::Sublingual)
        );
        assert!(route_facts(Substance::Esketamine, Route::Oral).is_none());
        // Buccal carries the sublingual estimates and says why.
        let b = route_facts(Substance::Ketamine, Route::Buccal).unwrap_or_else(|| panic!());
        let s = route_facts(Substance::Ketamine, Route::Sublingual).unwrap_or_else(|| panic!());
        assert_eq!(b.estimates.len(), s.estimates.len());
        assert!(b.note.as_deref().unwrap_or("").contains("54471007"));
    }

    #[test]
    fn intranasal_shows_the_disagreement_instead_of_one_figure() {
        let r = route_facts(Substance::Ketamine, Route::Intranasal).unwrap_or_else(|| panic!());
        assert_eq!(r.bioavailability_pct.typical, None);
        assert_eq!(
            (r.bioavailability_pct.min, r.bioavailability_pct.max),
            (11.0, 45.0)
        );
        assert!(
            r.dose_dependence
                .as_deref()
                .unwrap_or("")
                .contains("falls as the dose rises")
        );
        let small = r
            .estimates
            .iter()
            .find(|e| e.value == 45.0)
            .unwrap_or_else(|| panic!());
        assert_eq!(small.study(), "n=3, 25 mg nasal spray");
        // Agreeing sources keep their typical figure.
        let sl = route_facts(Substance::Ketamine, Route::Sublingual).unwrap_or_else(|| panic!());
        assert_eq!(sl.bioavailability_pct.typical, Some(30.0));
        // The intramuscular dog figure is labelled as an animal study and coded M.
        let im = route_facts(Substance::Ketamine, Route::Intramuscular).unwrap_or_else(|| panic!());
        let dog = im
            .estimates
            .iter()
            .find(|e| e.value == 90.0)
            .unwrap_or_else(|| panic!());
        assert_eq!(dog.confidence, Confidence::M);
        assert!(dog.study().contains("animal study"));
    }
}
