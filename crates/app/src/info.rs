//! The knowledge base as data (`dosewise info --json`, `GET /api/v1/info/{topic}`, the web's
//! Knowledge page): every figure with its source and confidence code.

use crate::{Result, input};
use dosewise_core::interaction;
use dosewise_core::knowledge::{Confidence, knowledge, risks};
use dosewise_core::route::Route;
use serde_json::{Value, json};

/// A part of the knowledge base.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Topic {
    /// Ketamine and esketamine: salt forms, routes, absorption, timing.
    Ketamine,
    /// Absorption by route, with every estimate and its source.
    Routes,
    /// What other substances and medicines do with ketamine.
    Interactions,
    /// The main risks of repeated use.
    Risks,
    /// The contraindication screen questions.
    Screen,
    /// Dosewise's own thresholds and windows (confidence D).
    Rules,
    /// What the confidence codes mean.
    Codes,
}

/// Every topic, by name.
pub const TOPICS: [&str; 7] = [
    "ketamine",
    "routes",
    "interactions",
    "risks",
    "screen",
    "rules",
    "codes",
];

/// PsychonautWiki's statuses are CC BY-SA 4.0: the notice goes wherever they are shown.
pub const PW_NOTICE: &str = "Interaction statuses marked PsychonautWiki come from PsychonautWiki (https://psychonautwiki.org), CC BY-SA 4.0, via the PsychonautWiki Journal app data; TripSit statuses from TripSit's combos.json.";

/// The topic as data; `name` picks one substance or medicine for interactions.
pub fn topic(t: Topic, name: Option<&str>) -> Result<Value> {
    Ok(match t {
        Topic::Ketamine | Topic::Routes => {
            let k = knowledge();
            json!({
                "hcl_per_mg_base": k.salt.hcl_per_mg_base,
                "substances": k.substances.iter().map(|s| json!({
                    "id": s.id, "name": s.name,
                    "routes": s.routes.iter().map(|r| json!({
                        "route": r.route,
                        "bioavailability_pct": {"min": r.bioavailability_pct.min, "typical": r.bioavailability_pct.typical, "max": r.bioavailability_pct.max},
                        "peak": r.timing.as_ref().map(|t| &t.peak), "note": r.note,
                        "dose_dependence": r.dose_dependence, "metabolite": r.metabolite,
                        "estimates": r.estimates.iter().map(|e| json!({"value_pct": e.value, "source": e.source, "confidence": e.confidence, "n": e.n, "dose": e.dose, "population": e.population})).collect::<Vec<_>>(),
                    })).collect::<Vec<_>>(),
                })).collect::<Vec<_>>(),
            })
        }
        Topic::Interactions => match name.map(str::trim).filter(|n| !n.is_empty()) {
            Some(name) => {
                let i = interaction::find(name).ok_or_else(|| {
                    input(format!("{name:?} is not in Dosewise's interaction list. That does not mean it is safe with ketamine: ask a pharmacist."))
                })?;
                json!({
                    "id": i.id, "name": i.name, "aliases": i.aliases, "window_hours": i.window_hours, "reason": i.reason, "action": i.action,
                    "level_by_route": Route::ALL.iter().map(|r| (r.as_str(), i.level(*r))).collect::<std::collections::BTreeMap<_, _>>(),
                    "sources": i.sources.iter().map(|s| json!({"source": s.source, "confidence": s.confidence, "level": s.level, "status": s.status, "kind": s.kind})).collect::<Vec<_>>(),
                })
            }
            None => json!(interaction::all().iter().map(|i| json!({"id": i.id, "name": i.name, "level_sublingual": i.level(Route::Sublingual), "level_intranasal": i.level(Route::Intranasal), "window_hours": i.window_hours})).collect::<Vec<_>>()),
        },
        Topic::Risks => json!(risks()),
        Topic::Screen => json!(dosewise_core::screen::questions().iter().map(|x| json!({"code": x.code, "question": x.question, "level": x.level, "reason": x.reason, "source": x.source, "confidence": x.confidence})).collect::<Vec<_>>()),
        Topic::Rules => json!(dosewise_core::rules::all()),
        Topic::Codes => json!(Confidence::ALL.iter().map(|c| json!({"code": c, "meaning": c.meaning()})).collect::<Vec<_>>()),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_topic_reads_and_names_are_checked() {
        for t in TOPICS {
            let topic_of: Topic =
                serde_json::from_value(json!(t)).unwrap_or_else(|e| panic!("{t}: {e}"));
            let v = topic(topic_of, None).unwrap_or_else(|e| panic!("{t}: {e}"));
            assert!(
                v.is_object() || v.as_array().is_some_and(|a| !a.is_empty()),
                "{t}"
            );
        }
        let x = topic(Topic::Interactions, Some("Xanax")).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(x["id"], "benzodiazepines", "{x}");
        assert!(topic(Topic::Interactions, Some("water")).is_err());
    }
}
