//! Dosewise's own thresholds and windows (`data/rules.json`), confidence **D**: numbers no study
//! gives, chosen by Dosewise. Each rule states its threshold, the reasoning, and the sourced facts
//! it leans on, and a finding that uses one cites it as such — never under a paper or label
//! that contains no such number.

use crate::knowledge::Confidence;
use serde::Deserialize;
use std::collections::BTreeMap;
use std::sync::OnceLock;

#[derive(Debug, Clone, Deserialize, serde::Serialize)]
pub struct Rule {
    pub id: String,
    /// The threshold in words.
    pub threshold: String,
    /// The numbers the code uses (checked against the constants by a test).
    #[serde(default)]
    pub values: BTreeMap<String, f64>,
    pub reasoning: String,
    /// Sourced facts the choice leans on, each ending with its own code: "… (H)".
    pub leans_on: Vec<String>,
}

#[derive(Debug, Clone, Deserialize)]
struct File {
    rules: Vec<Rule>,
}

pub fn all() -> &'static [Rule] {
    static R: OnceLock<Vec<Rule>> = OnceLock::new();
    R.get_or_init(|| crate::kb::parse::<File>(crate::kb::RULES).rules)
}

pub fn rule(id: &str) -> Option<&'static Rule> {
    all().iter().find(|r| r.id == id)
}

/// How a finding cites a rule: the choice itself, coded D, then what it leans on.
pub fn cite(id: &str) -> Vec<String> {
    match rule(id) {
        Some(r) => std::iter::once(format!(
            "Dosewise design choice ({}): {}. {}",
            Confidence::D,
            r.threshold,
            r.reasoning
        ))
        .chain(r.leans_on.iter().map(|s| format!("leans on: {s}")))
        .collect(),
        // Every id used in the code is checked by `every_cited_rule_exists`.
        None => vec![format!("Dosewise design choice ({}): {id}", Confidence::D)],
    }
}

/// Whether a source line ends with a confidence code, "(H)" … "(D)" (the data files' tests).
#[cfg(test)]
pub(crate) fn has_code(source: &str) -> bool {
    let s = source.trim_end();
    Confidence::ALL.iter().any(|c| {
        s.ends_with(&format!("({c})"))
            || s.ends_with(&format!(", {c})"))
            || s.ends_with(&format!("; {c})"))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rules_are_reasoned() {
        let f: File = serde_json::from_str(crate::kb::RULES.1).unwrap_or_else(|e| panic!("{e}"));
        let mut seen = std::collections::HashSet::new();
        for r in &f.rules {
            assert!(seen.insert(r.id.clone()), "{} twice", r.id);
            assert!(r.threshold.len() > 10, "{}: no threshold", r.id);
            assert!(
                r.reasoning.len() > 40,
                "{}: the reasoning must be stated",
                r.id
            );
            assert!(!r.leans_on.is_empty(), "{}: the sources it leans on", r.id);
            for s in &r.leans_on {
                assert!(has_code(s), "{}: {s:?} has no confidence code", r.id);
                assert!(
                    !s.ends_with("(L)"),
                    "{}: a rule may not lean on an L fact",
                    r.id
                );
            }
        }
    }

    #[test]
    fn every_cited_rule_exists() {
        for id in [
            "unit_plausibility",
            "max_single_dose",
            "early",
            "repeated_off_plan",
            "off_plan_rising",
            "craving",
            "coping",
            "urinary_lookback",
            "vitals_window",
            "long_stretch",
            "interaction_windows",
            "after_the_fact",
            "override_reason",
            "self_harm_words",
            "screen_recheck",
            "titration",
            "trends",
        ] {
            assert!(rule(id).is_some(), "{id}");
            assert!(
                cite(id)[0].starts_with("Dosewise design choice (D): "),
                "{id}"
            );
        }
    }

    fn value(id: &str, key: &str) -> f64 {
        rule(id)
            .and_then(|r| r.values.get(key).copied())
            .unwrap_or_else(|| panic!("{id}.{key}"))
    }

    #[test]
    fn values_match_the_code() {
        use crate::safety as s;
        assert_eq!(
            value("unit_plausibility", "factor"),
            crate::plausible::FACTOR
        );
        assert_eq!(
            value("unit_plausibility", "lookback_doses"),
            s::PLAUSIBILITY_LOOKBACK as f64
        );
        assert_eq!(
            value("unit_plausibility", "min_doses"),
            s::PLAUSIBILITY_MIN_DOSES as f64
        );
        assert_eq!(
            value("max_single_dose", "max_mg"),
            crate::plausible::MAX_DOSE_MG
        );
        assert_eq!(value("early", "hours"), s::EARLY.as_secs_f64() / 3600.0);
        assert_eq!(
            value("repeated_off_plan", "count"),
            s::OFF_PLAN_REPEAT as f64
        );
        assert_eq!(
            value("repeated_off_plan", "window_days"),
            s::OFF_PLAN_WINDOW_DAYS as f64
        );
        assert_eq!(value("craving", "at_least"), f64::from(s::CRAVING_HIGH));
        assert_eq!(
            value("urinary_lookback", "days"),
            s::URINARY_LOOKBACK_DAYS as f64
        );
        assert_eq!(
            value("vitals_window", "hours"),
            s::VITALS_WINDOW.as_secs_f64() / 3600.0
        );
        assert_eq!(
            value("long_stretch", "stretch_days"),
            s::STRETCH_DAYS as f64
        );
        assert_eq!(value("long_stretch", "gap_days"), s::BREAK_DAYS as f64);
        assert_eq!(
            value("after_the_fact", "minutes"),
            s::AFTER_THE_FACT.as_secs_f64() / 60.0
        );
        assert_eq!(
            value("override_reason", "min_chars"),
            s::OVERRIDE_REASON_MIN_CHARS as f64
        );
        assert_eq!(
            value("override_reason", "min_words"),
            s::OVERRIDE_REASON_MIN_WORDS as f64
        );
        assert_eq!(
            value("self_harm_words", "window_days"),
            s::SELF_HARM_WORDS_DAYS as f64
        );
        assert_eq!(
            value("screen_recheck", "days"),
            crate::screen::RECHECK_DAYS as f64
        );
        use crate::titration as t;
        assert_eq!(
            value("titration", "side_effect_step_down"),
            f64::from(t::SIDE_EFFECT_STEP_DOWN)
        );
        assert_eq!(
            value("titration", "side_effect_any"),
            f64::from(t::SIDE_EFFECT_ANY)
        );
        assert_eq!(value("titration", "min_checkins"), t::MIN_CHECKINS as f64);
        assert_eq!(value("titration", "benefit_points"), t::BENEFIT_POINTS);
        use crate::trends as tr;
        assert_eq!(value("trends", "rise_fraction"), tr::RISE_FRACTION);
        assert_eq!(value("trends", "benefit_points"), tr::BENEFIT_POINTS);
        assert_eq!(value("trends", "frequency_rise"), tr::FREQUENCY_RISE as f64);
        assert_eq!(value("trends", "min_doses"), tr::MIN_DOSES as f64);
    }

    #[test]
    fn codes_are_recognised() {
        assert!(has_code("Winstock 2012 (H)"));
        assert!(has_code("Label summary (M)"));
        assert!(has_code("x (via a summary, M)"));
        assert!(!has_code("Winstock 2012"));
    }
}
