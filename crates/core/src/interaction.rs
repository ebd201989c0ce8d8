//! The interaction knowledge base (`data/interactions.json`): what another substance or medicine
//! does with ketamine, by which source, at which level, and for how long a logged use counts.
//!
//! Where sources disagree the stricter level wins, but an unverified (L) source can raise a
//! finding at most to a warning: it never drives a refusal on its own.

use crate::knowledge::Confidence;
use crate::route::Route;
use crate::safety::Severity;
use serde::Deserialize;
use std::sync::OnceLock;

#[derive(Debug, Clone, Deserialize)]
pub struct Source {
    pub source: String,
    pub confidence: Confidence,
    pub level: Severity,
    /// "clinical" (labels, papers) or "harm_reduction" (TripSit, PsychonautWiki).
    pub kind: String,
    /// The source's own status word ("Dangerous", "major").
    #[serde(default)]
    pub status: Option<String>,
    /// When set, the source applies only to doses by these routes.
    #[serde(default)]
    pub routes: Option<Vec<Route>>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct Interaction {
    pub id: String,
    pub name: String,
    pub aliases: Vec<String>,
    /// How long before a dose a logged use still counts (Dosewise's default, not a study's).
    pub window_hours: u32,
    pub reason: String,
    pub action: String,
    pub sources: Vec<Source>,
}

#[derive(Debug, Clone, Deserialize)]
struct File {
    interactions: Vec<Interaction>,
}

const INTERACTIONS_JSON: &str = include_str!("../../../data/interactions.json");

pub fn all() -> &'static [Interaction] {
    static I: OnceLock<Vec<Interaction>> = OnceLock::new();
    I.get_or_init(|| match serde_json::from_str::<File>(INTERACTIONS_JSON) {
        Ok(f) => f.interactions,
        // Compiled in and checked by `knowledge_base_is_valid`: a failure is a broken build.
        Err(e) => panic!("data/interactions.json is invalid: {e}"),
    })
}

fn normalise(s: &str) -> String {
    s.trim()
        .to_lowercase()
        .replace(['’', '\''], "'")
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
}

/// The entry a name refers to ("Xanax" → benzodiazepines), matching whole aliases, or an alias
/// that begins the name ("alprazolam 0.5 mg").
pub fn find(name: &str) -> Option<&'static Interaction> {
    let n = normalise(name);
    if n.is_empty() {
        return None;
    }
    all()
        .iter()
        .find(|i| i.aliases.iter().any(|a| normalise(a) == n))
        .or_else(|| {
            all().iter().find(|i| {
                i.aliases.iter().any(|a| {
                    let a = normalise(a);
                    a.len() >= 4 && n.starts_with(&a) && n[a.len()..].starts_with(' ')
                })
            })
        })
}

impl Interaction {
    /// The level for a dose by `route`: the strictest source that applies, with L sources
    /// capped at a warning. `None` when no source applies to the route.
    pub fn level(&self, route: Route) -> Option<Severity> {
        self.applicable(route)
            .map(|s| {
                if s.confidence == Confidence::L {
                    s.level.min(Severity::Warning)
                } else {
                    s.level
                }
            })
            .max()
    }

    /// Sources that apply to a dose by `route`.
    pub fn applicable(&self, route: Route) -> impl Iterator<Item = &Source> {
        self.sources
            .iter()
            .filter(move |s| s.routes.as_ref().is_none_or(|r| r.contains(&route)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn knowledge_base_is_valid() {
        let f: File = serde_json::from_str(INTERACTIONS_JSON).unwrap_or_else(|e| panic!("{e}"));
        let mut seen = std::collections::HashSet::new();
        for i in &f.interactions {
            assert!(seen.insert(i.id.clone()), "{} twice", i.id);
            assert!(
                !i.sources.is_empty() && !i.reason.is_empty() && !i.action.is_empty(),
                "{}",
                i.id
            );
            assert!(i.window_hours > 0 && i.window_hours <= 24 * 30, "{}", i.id);
            for s in &i.sources {
                assert!(
                    !s.source.trim().is_empty(),
                    "{}: a source without a name",
                    i.id
                );
            }
            // A refusal must rest on at least one source that is not unverified.
            for route in Route::ALL {
                if i.level(route) == Some(Severity::Refuse) {
                    assert!(
                        i.applicable(route)
                            .any(|s| s.level == Severity::Refuse && s.confidence != Confidence::L),
                        "{}: refusal from L sources only",
                        i.id
                    );
                }
            }
        }
        // Every alias points at exactly one entry.
        let mut aliases = std::collections::HashMap::new();
        for i in &f.interactions {
            for a in &i.aliases {
                if let Some(other) = aliases.insert(normalise(a), i.id.clone()) {
                    panic!("alias {a:?} in both {other} and {}", i.id);
                }
            }
        }
    }

    #[test]
    fn aliases_and_levels() {
        assert_eq!(
            find("Xanax").map(|i| i.id.as_str()),
            Some("benzodiazepines")
        );
        assert_eq!(
            find("  alprazolam 0.5 mg ").map(|i| i.id.as_str()),
            Some("benzodiazepines")
        );
        assert_eq!(find("Beer").map(|i| i.id.as_str()), Some("alcohol"));
        assert_eq!(find("wine").map(|i| i.id.as_str()), Some("alcohol"));
        assert_eq!(
            find("St John’s Wort").map(|i| i.id.as_str()),
            Some("inducers")
        );
        assert!(find("unobtainium").is_none());
        assert_eq!(find("g").map(|i| i.id.as_str()), Some("ghb"));
        // "gin" is alcohol; "ginseng" must not match "gin".
        assert!(find("ginseng").is_none());
        let level = |n: &str, r: Route| find(n).and_then(|i| i.level(r));
        assert_eq!(level("alcohol", Route::Sublingual), Some(Severity::Refuse));
        assert_eq!(level("GHB", Route::Intranasal), Some(Severity::Refuse));
        assert_eq!(
            level("diphenhydramine", Route::Oral),
            Some(Severity::Refuse)
        );
        assert_eq!(level("lorazepam", Route::Oral), Some(Severity::Warning));
        // Enzyme interactions matter for swallowed ketamine, not for a nasal dose.
        assert_eq!(
            level("clarithromycin", Route::Oral),
            Some(Severity::Warning)
        );
        assert_eq!(level("clarithromycin", Route::Intranasal), None);
        // An unverified source alone never refuses: gabapentin stays at most a caution here.
        assert_eq!(level("gabapentin", Route::Oral), Some(Severity::Caution));
    }
}
