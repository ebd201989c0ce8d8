//! The interaction knowledge base (`data/interactions.json`): what another substance or medicine
//! does with ketamine, by which source, at which level, and for how long a logged use counts.
//!
//! Where sources disagree the stricter level wins, but an unverified (L) source or Dosewise's own
//! reasoning (D) can raise a finding at most to a warning: neither drives a refusal.

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
    /// "clinical" (labels, papers), "harm_reduction" (TripSit, PsychonautWiki) or "dosewise"
    /// (Dosewise's own reasoning where no source gives a status; coded D).
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

pub fn all() -> &'static [Interaction] {
    static I: OnceLock<Vec<Interaction>> = OnceLock::new();
    I.get_or_init(|| crate::kb::parse::<File>(crate::kb::INTERACTIONS).interactions)
}

fn normalise(s: &str) -> String {
    s.trim()
        .to_lowercase()
        .replace(['’', '\''], "'")
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
}

/// Units an amount written after a name may carry ("alprazolam 0.5 mg", "beer 500 ml").
const AMOUNT_UNITS: [&str; 13] = [
    "mg", "g", "mcg", "µg", "ug", "ml", "l", "cl", "oz", "iu", "tablet", "tablets", "pint",
];

/// The name without a trailing amount with a unit: "alprazolam 0.5 mg" → "alprazolam",
/// "beer 500ml" → "beer". A bare number is not an amount: "beer 0.0" stays as it is.
fn without_amount(n: &str) -> &str {
    let words: Vec<&str> = n.split(' ').collect();
    let is_num = |w: &str| {
        !w.is_empty()
            && w.chars()
                .all(|c| c.is_ascii_digit() || c == '.' || c == ',')
    };
    let unit_attached = |w: &str| {
        AMOUNT_UNITS.iter().any(|u| {
            w.strip_suffix(u)
                .is_some_and(|num| is_num(num) && num.chars().any(|c| c.is_ascii_digit()))
        })
    };
    let keep = match words.as_slice() {
        [.., num, unit] if words.len() >= 3 && is_num(num) && AMOUNT_UNITS.contains(unit) => {
            words.len() - 2
        }
        [.., last] if words.len() >= 2 && unit_attached(last) => words.len() - 1,
        _ => return n,
    };
    let cut: usize = words[..keep].iter().map(|w| w.len() + 1).sum::<usize>() - 1;
    &n[..cut]
}

/// The entry a name refers to ("Xanax" → benzodiazepines), matching whole names only, after
/// dropping a trailing amount ("alprazolam 0.5 mg"). Never a prefix: "cider vinegar",
/// "alcohol-free beer", "rum raisin" are not alcohol, and "coke zero" is not cocaine.
pub fn find(name: &str) -> Option<&'static Interaction> {
    let n = normalise(name);
    let n = without_amount(&n);
    if n.is_empty() {
        return None;
    }
    all()
        .iter()
        .find(|i| i.aliases.iter().any(|a| normalise(a) == n))
}

impl Interaction {
    /// The level for a dose by `route`: the strictest source that applies, with L and D sources
    /// capped at a warning. `None` when no source applies to the route.
    pub fn level(&self, route: Route) -> Option<Severity> {
        self.applicable(route)
            .map(|s| {
                if matches!(s.confidence, Confidence::L | Confidence::D) {
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
        let f: File =
            serde_json::from_str(crate::kb::INTERACTIONS.1).unwrap_or_else(|e| panic!("{e}"));
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
            // A refusal must rest on at least one checked source (H or M): never on an
            // unverified fact (L) or on Dosewise's own reasoning (D) alone.
            for route in Route::ALL {
                if i.level(route) == Some(Severity::Refuse) {
                    assert!(
                        i.applicable(route).any(|s| s.level == Severity::Refuse
                            && matches!(s.confidence, Confidence::H | Confidence::M)),
                        "{}: refusal without an H or M source",
                        i.id
                    );
                }
            }
            for s in &i.sources {
                // Community charts are secondary sources by the project's own definition.
                if s.kind == "harm_reduction" {
                    assert_eq!(s.confidence, Confidence::M, "{}: {}", i.id, s.source);
                }
                // Dosewise's own reasoning is coded D and says so.
                if s.kind == "dosewise" {
                    assert_eq!(s.confidence, Confidence::D, "{}", i.id);
                }
                if s.source.contains("PsychonautWiki") {
                    assert!(
                        s.source.contains("CC BY-SA 4.0"),
                        "{}: licence notice",
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
        assert_eq!(find("beer 500 ml").map(|i| i.id.as_str()), Some("alcohol"));
        assert_eq!(
            find("diazepam 5mg").map(|i| i.id.as_str()),
            Some("benzodiazepines")
        );
        let level = |n: &str, r: Route| find(n).and_then(|i| i.level(r));
        assert_eq!(level("alcohol", Route::Sublingual), Some(Severity::Refuse));
        assert_eq!(level("GHB", Route::Intranasal), Some(Severity::Refuse));
        // Sedating antihistamines alike: a warning, not a refusal.
        for n in [
            "diphenhydramine",
            "dimenhydrinate",
            "doxylamine",
            "promethazine",
            "hydroxyzine",
        ] {
            assert_eq!(level(n, Route::Oral), Some(Severity::Warning), "{n}");
        }
        assert_eq!(level("lorazepam", Route::Oral), Some(Severity::Warning));
        // Enzyme interactions matter for swallowed ketamine, not for a nasal dose.
        assert_eq!(
            level("clarithromycin", Route::Oral),
            Some(Severity::Warning)
        );
        assert_eq!(level("clarithromycin", Route::Intranasal), None);
        // Gabapentinoids are sedatives like the others: a warning from the label's class.
        assert_eq!(level("gabapentin", Route::Oral), Some(Severity::Warning));
        // Kratom: no source gives a ketamine-kratom status; Dosewise's own reasoning warns.
        let k = find("kratom").unwrap_or_else(|| panic!());
        assert_eq!(k.level(Route::Sublingual), Some(Severity::Warning));
        assert!(k.sources.iter().all(|s| s.confidence == Confidence::D));
        // Psychedelics and cannabis: "avoid; tell your clinician", never a green light.
        for n in ["lsd", "cannabis"] {
            let i = find(n).unwrap_or_else(|| panic!());
            assert!(i.action.starts_with("Avoid"), "{n}: {}", i.action);
            assert!(!i.action.contains("Expect"), "{n}");
        }
    }

    /// Look-alike names, both ways: whole names match, prefixes and lookalikes do not.
    #[test]
    fn aliases_match_whole_names_only() {
        let id = |n: &str| find(n).map(|i| i.id.as_str());
        for (name, want) in [
            ("beer", Some("alcohol")),
            ("Cider", Some("alcohol")),
            ("rum", Some("alcohol")),
            ("red wine", Some("alcohol")),
            ("coke", Some("cocaine")),
            ("cocaine 0.2 g", Some("cocaine")),
            ("cider vinegar", None),
            ("apple cider vinegar", None),
            ("beer 0.0", None),
            ("alcohol-free beer", None),
            ("non-alcoholic beer", None),
            ("alcohol free wine", None),
            ("rum raisin", None),
            ("rum raisin ice cream", None),
            ("wine gums", None),
            ("ginger ale", None),
            ("ginseng", None),
            ("coke zero", None),
            ("diet coke", None),
            ("coca-cola", None),
            ("speedball", None),
            ("methylphenidate 10 mg", Some("stimulants")),
            ("methadone", Some("opioids")),
            ("xanax 1 mg", Some("benzodiazepines")),
        ] {
            assert_eq!(id(name), want, "{name:?}");
        }
    }

    /// What the clinical review found, fixed in the data: each corrected fact checked.
    #[test]
    fn corrected_facts() {
        let get = |id: &str| {
            all()
                .iter()
                .find(|i| i.id == id)
                .unwrap_or_else(|| panic!("{id}"))
        };
        // Tramadol's seizure warning cites the tramadol label.
        let t = get("tramadol");
        assert!(t.reason.contains("seizures"));
        assert!(
            t.sources
                .iter()
                .any(|s| s.source.contains("ULTRAM") && s.confidence == Confidence::H)
        );
        // No unsourced claim about nasal esketamine and clarithromycin.
        assert!(!get("clarithromycin").reason.contains("changed little"));
        // Kratom is not an opioid alias any more, and its entry says the reasoning is ours.
        assert!(!get("opioids").aliases.iter().any(|a| a == "kratom"));
        assert!(get("kratom").reason.contains("Dosewise's reasoning"));
        // The sedatives the review found missing, each a warning from the label's class.
        for name in [
            "mirtazapine",
            "amitriptyline",
            "nortriptyline",
            "trazodone",
            "gabapentin",
            "pregabalin",
            "baclofen",
            "cyclobenzaprine",
            "carisoprodol",
            "zolpidem",
        ] {
            let i = find(name).unwrap_or_else(|| panic!("{name}"));
            assert_eq!(i.level(Route::Oral), Some(Severity::Warning), "{name}");
            assert!(
                i.sources
                    .iter()
                    .any(|s| s.source.contains("SPRAVATO") && s.confidence == Confidence::H),
                "{name}"
            );
        }
    }
}
