//! The triage queue: what a shared record asks a clinician to look at. Worked out when a record
//! arrives, so an item exists whether or not anyone has the page open.

use dosewise_core::checkin::{Checkin, UrinarySymptom};
use dosewise_core::dose::Dose;
use dosewise_core::jiff::Timestamp;
use dosewise_core::questionnaire::Assessment;
use serde_json::Value;

/// One thing for a clinician to look at.
#[derive(Debug, Clone, PartialEq)]
pub struct Item {
    pub kind: &'static str,
    /// Must be acknowledged by a clinician; shown first, with the time it has waited.
    pub urgent: bool,
    pub detail: String,
    /// When what it is about happened.
    pub at: Timestamp,
}

/// What a kind of item is called on the pages.
pub fn label(kind: &str) -> &str {
    match kind {
        "phq9_item9" => "PHQ-9 item 9",
        "phq9_severe" => "PHQ-9 severe",
        "urinary" => "Bladder or urinary symptoms",
        "override" => "Safety check overridden",
        other => other,
    }
}

/// PHQ-9 item 9 (thoughts of being better off dead or of self-harm) is the ninth answer.
const ITEM_9: usize = 8;

/// The items a record raises (none for most).
pub fn items(kind: &str, body: &Value) -> Vec<Item> {
    let mut out = Vec::new();
    match kind {
        "assessment" => {
            let Ok(a) = serde_json::from_value::<Assessment>(body.clone()) else {
                return out;
            };
            let x = &a.assessment;
            if x.instrument == "phq9" {
                if let Some(v) = x.answers.get(ITEM_9).filter(|v| **v > 0) {
                    out.push(Item {
                        kind: "phq9_item9",
                        urgent: true,
                        detail: format!(
                            "PHQ-9 item 9 answered {v} (thoughts of being better off dead or of hurting oneself)"
                        ),
                        at: x.at,
                    });
                }
                // The severe band as the questionnaire's data states it (Kroenke 2001: 20-27).
                let phq9 = dosewise_core::questionnaire::instrument("phq9");
                let severe = phq9.and_then(|i| i.bands.iter().find(|(_, b)| b == "severe"));
                if let Some((from, _)) = severe.filter(|(from, _)| x.total >= *from) {
                    out.push(Item {
                        kind: "phq9_severe",
                        urgent: false,
                        detail: format!("PHQ-9 total {} (severe: {from} or more)", x.total),
                        at: x.at,
                    });
                }
            }
        }
        "checkin" => {
            let Ok(c) = serde_json::from_value::<Checkin>(body.clone()) else {
                return out;
            };
            if c.is_live() && !c.checkin.urinary.is_empty() {
                let blood = c.checkin.urinary.contains(&UrinarySymptom::Blood);
                out.push(Item {
                    kind: "urinary",
                    urgent: blood,
                    detail: format!(
                        "urinary symptoms: {}",
                        c.checkin
                            .urinary
                            .iter()
                            .map(|u| u.as_str())
                            .collect::<Vec<_>>()
                            .join(", ")
                    ),
                    at: c.checkin.at,
                });
            }
        }
        "dose" => {
            let Ok(d) = serde_json::from_value::<Dose>(body.clone()) else {
                return out;
            };
            if d.deleted_at.is_none()
                && let Some(r) = &d.dose.override_reason
            {
                out.push(Item {
                    kind: "override",
                    urgent: false,
                    detail: format!(
                        "{} taken despite a refusal ({}); reason: {r}",
                        d.dose.amount_text(),
                        d.dose
                            .findings
                            .iter()
                            .filter(|f| f.severity == dosewise_core::safety::Severity::Refuse)
                            .map(|f| f.code.as_str())
                            .collect::<Vec<_>>()
                            .join(", ")
                    ),
                    at: d.dose.at,
                });
            }
        }
        _ => {}
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use dosewise_core::testing::ts;

    fn phq9(answers: [u8; 9]) -> Value {
        let total: u32 = answers.iter().map(|a| u32::from(*a)).sum();
        serde_json::json!({
            "id": 1, "at": ts("2026-11-28T09:00:00Z"), "zone": "UTC", "instrument": "phq9",
            "answers": answers, "total": total, "band": "x", "note": null,
            "created_at": ts("2026-11-28T09:00:00Z"),
        })
    }

    #[test]
    fn item_9_is_urgent_and_a_severe_total_is_flagged() {
        assert!(items("assessment", &phq9([1, 1, 1, 1, 1, 1, 1, 1, 0])).is_empty());
        let i = items("assessment", &phq9([0, 0, 0, 0, 0, 0, 0, 0, 1]));
        assert_eq!(i.len(), 1);
        assert!(i[0].urgent && i[0].kind == "phq9_item9");
        let i = items("assessment", &phq9([3, 3, 3, 3, 3, 3, 2, 0, 0]));
        assert_eq!(
            i.iter().map(|x| x.kind).collect::<Vec<_>>(),
            ["phq9_severe"]
        );
        assert!(items("nonsense", &Value::Null).is_empty());
    }
}
