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
}

#[derive(Debug, Clone, Deserialize)]
pub struct Estimate {
    pub value: f64,
    pub source: String,
    pub confidence: Confidence,
}

#[derive(Debug, Clone, Copy, Deserialize)]
pub struct PctRange {
    pub min: f64,
    pub typical: f64,
    pub max: f64,
}

#[derive(Debug, Clone, Deserialize)]
pub struct RouteFacts {
    pub route: Route,
    pub bioavailability_pct: PctRange,
    pub estimates: Vec<Estimate>,
    #[serde(default)]
    pub note: Option<String>,
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

#[derive(Debug, Clone, Deserialize)]
struct RiskFile {
    risks: Vec<Risk>,
}

const RISKS_JSON: &str = include_str!("../../../data/risks.json");

/// The risk summaries (`data/risks.json`).
pub fn risks() -> &'static [Risk] {
    static R: OnceLock<Vec<Risk>> = OnceLock::new();
    R.get_or_init(|| match serde_json::from_str::<RiskFile>(RISKS_JSON) {
        Ok(f) => f.risks,
        // Compiled in and checked by `risks_are_sourced`: a failure is a broken build.
        Err(e) => panic!("data/risks.json is invalid: {e}"),
    })
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

const SUBSTANCES_JSON: &str = include_str!("../../../data/substances.json");

/// The knowledge base. Parsing the embedded file cannot fail at run time: a test parses it.
pub fn knowledge() -> &'static Knowledge {
    static K: OnceLock<Knowledge> = OnceLock::new();
    K.get_or_init(|| match serde_json::from_str(SUBSTANCES_JSON) {
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
        let k: Knowledge = serde_json::from_str(SUBSTANCES_JSON).unwrap_or_else(|e| panic!("{e}"));
        assert!((k.salt.hcl_per_mg_base - crate::salt::HCL_PER_BASE).abs() < 1e-12);
        assert!(!k.salt.sources.is_empty());
        for s in &k.substances {
            for r in &s.routes {
                let b = r.bioavailability_pct;
                assert!(
                    0.0 < b.min && b.min <= b.typical && b.typical <= b.max && b.max <= 100.0,
                    "{} {}: range out of order",
                    s.name,
                    r.route
                );
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
        let f: RiskFile = serde_json::from_str(RISKS_JSON).unwrap_or_else(|e| panic!("{e}"));
        assert!(f.risks.len() >= 5);
        for r in &f.risks {
            assert!(!r.sources.is_empty() && !r.summary.is_empty(), "{}", r.id);
        }
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
    }
}
