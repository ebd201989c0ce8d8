//! The triage queue: what a shared record asks a clinician to look at. Worked out when a record
//! arrives, so an item exists whether or not anyone has the page open.

use dosewise_core::checkin::UrinarySymptom;
use dosewise_core::jiff::Timestamp;
use dosewise_core::journal::Journal;
use dosewise_core::prescription::Prescription;
use dosewise_core::safety::Severity;
use dosewise_core::stock::StockEventKind;

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
        "off_plan" => "Dose outside the plan",
        "bp_high" => "Blood pressure above the limit",
        "supply_shortfall" => "Supply shortfall at a count",
        "missed_checkins" => "No check-in for days",
        other => other,
    }
}

/// PHQ-9 item 9 (thoughts of being better off dead or of self-harm) is the ninth answer.
const ITEM_9: usize = 8;

/// The safety check's findings that mean a dose departed from the plan (taken without an
/// override: one with an override raises `override` instead).
const OFF_PLAN: [&str; 6] = [
    "extra_dose",
    "break_day",
    "paused",
    "off_plan",
    "repeated_off_plan",
    "off_plan_rising",
];

/// Days without a check-in after which a patient appears in the triage queue.
pub const MISSED_CHECKIN_DAYS: i64 = 3;

/// Readings, counts and off-plan doses older than this when they arrive (a first sync brings
/// the whole history) raise nothing: they are in the patient's view, not news for the queue.
pub const RECENT_DAYS: i64 = 14;

/// The items the records of `j` raise (none for most: a sync reads each record into a journal
/// of one); `rx` is the patient's prescription, whose blood-pressure tiers a reading is held to
/// (the safety check's defaults without one).
pub fn items(j: &Journal, rx: Option<&Prescription>, now: Timestamp) -> Vec<Item> {
    let mut out = raised(j, rx);
    let recent = |at: Timestamp| now.duration_since(at).as_hours() < RECENT_DAYS * 24;
    out.retain(|i| !matches!(i.kind, "bp_high" | "off_plan" | "supply_shortfall") || recent(i.at));
    out
}

fn raised(j: &Journal, rx: Option<&Prescription>) -> Vec<Item> {
    let mut out = Vec::new();
    for a in &j.assessments {
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
    for c in &j.checkins {
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
    for d in &j.doses {
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
                        .filter(|f| f.severity == Severity::Refuse)
                        .map(|f| f.code.as_str())
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
                at: d.dose.at,
            });
        }
        let off: Vec<&str> = d
            .dose
            .findings
            .iter()
            .filter(|f| OFF_PLAN.contains(&f.code.as_str()))
            .map(|f| f.message.as_str())
            .collect();
        if d.deleted_at.is_none() && d.dose.override_reason.is_none() && !off.is_empty() {
            out.push(Item {
                kind: "off_plan",
                urgent: false,
                detail: format!(
                    "{} outside the plan: {}",
                    d.dose.amount_text(),
                    off.join(" ")
                ),
                at: d.dose.at,
            });
        }
    }
    for v in &j.vitals {
        let (Some(sys), Some(dia)) = (v.vitals.systolic, v.vitals.diastolic) else {
            continue;
        };
        let limits = rx.map(|r| r.limits).unwrap_or_default();
        let (warn, refuse) = limits.bp_tiers();
        let whose = if rx.is_some() {
            "the prescription's"
        } else {
            "the safety check's default"
        };
        let tier = if sys >= refuse.systolic || dia >= refuse.diastolic {
            Some(format!("at or above {whose} refusal tier of {refuse}"))
        } else if sys > warn.systolic || dia > warn.diastolic {
            Some(format!("above {whose} warning tier of {warn}"))
        } else {
            None
        };
        if let Some(tier) = tier {
            out.push(Item {
                kind: "bp_high",
                urgent: false,
                detail: format!("blood pressure {sys}/{dia}, {tier}"),
                at: v.vitals.at,
            });
        }
    }
    for e in &j.stock_events {
        if e.kind == StockEventKind::Count && e.delta < -1e-9 {
            let n = (-e.delta * 100.0).round() / 100.0;
            out.push(Item {
                kind: "supply_shortfall",
                urgent: false,
                detail: format!(
                    "a count found {n} fewer (troches or mL) than the log implies{}",
                    e.reason
                        .as_deref()
                        .map(|r| format!("; noted: {r}"))
                        .unwrap_or_default()
                ),
                at: e.at,
            });
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use dosewise_core::testing::ts;
    use serde_json::Value;

    /// The items a record raises, read as a sync reads it: into a journal of that one record.
    fn items(kind: &str, v: &Value, rx: Option<&Prescription>, now: Timestamp) -> Vec<Item> {
        let j = dosewise_core::share::journal_of([(kind, v)]).unwrap_or_else(|e| panic!("{e}"));
        super::items(&j, rx, now)
    }

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
        assert!(
            items(
                "assessment",
                &phq9([1, 1, 1, 1, 1, 1, 1, 1, 0]),
                None,
                ts("2026-11-28T11:00:00Z")
            )
            .is_empty()
        );
        let i = items(
            "assessment",
            &phq9([0, 0, 0, 0, 0, 0, 0, 0, 1]),
            None,
            ts("2026-11-28T11:00:00Z"),
        );
        assert_eq!(i.len(), 1);
        assert!(i[0].urgent && i[0].kind == "phq9_item9");
        let i = items(
            "assessment",
            &phq9([3, 3, 3, 3, 3, 3, 2, 0, 0]),
            None,
            ts("2026-11-28T11:00:00Z"),
        );
        assert_eq!(
            i.iter().map(|x| x.kind).collect::<Vec<_>>(),
            ["phq9_severe"]
        );
        assert!(items("nonsense", &Value::Null, None, ts("2026-11-28T11:00:00Z")).is_empty());
    }

    fn vitals(sys: u16, dia: u16) -> Value {
        serde_json::json!({
            "id": 3, "at": ts("2026-11-28T08:00:00Z"), "zone": "UTC", "systolic": sys, "diastolic": dia,
            "heart_rate": null, "weight_kg": null, "context": "pre_dose", "note": null,
            "created_at": ts("2026-11-28T08:00:00Z"),
        })
    }

    #[test]
    fn blood_pressure_is_held_to_the_prescriptions_tiers() {
        assert!(items("vitals", &vitals(138, 88), None, ts("2026-11-28T11:00:00Z")).is_empty());
        let i = items("vitals", &vitals(150, 85), None, ts("2026-11-28T11:00:00Z"));
        assert_eq!(i.len(), 1, "{i:?}");
        assert!(
            i[0].detail.contains("default warning tier of 140/90"),
            "{}",
            i[0].detail
        );
        let i = items("vitals", &vitals(165, 85), None, ts("2026-11-28T11:00:00Z"));
        assert!(
            i[0].detail.contains("refusal tier of 160/100"),
            "{}",
            i[0].detail
        );
        // A prescription with a lower warning tier flags what the default lets pass.
        let mut rx = Prescription {
            limits: Default::default(),
            ceiling_mg: None,
            require_bp: true,
            note: None,
            set_by: "Dr K".into(),
            clinic: "North".into(),
            set_at: ts("2026-11-01T00:00:00Z"),
        };
        rx.limits.bp_warn_above = Some(dosewise_core::vitals::BpLimit {
            systolic: 130,
            diastolic: 85,
        });
        let i = items(
            "vitals",
            &vitals(135, 80),
            Some(&rx),
            ts("2026-11-28T11:00:00Z"),
        );
        assert_eq!(i.len(), 1);
        assert!(
            i[0].detail
                .contains("the prescription's warning tier of 130/85"),
            "{}",
            i[0].detail
        );
        assert!(!i[0].urgent);
        // History arriving with a first sync is not news for the queue.
        let weeks_later = ts("2026-12-20T08:00:00Z");
        assert!(items("vitals", &vitals(165, 85), None, weeks_later).is_empty());
    }

    #[test]
    fn a_count_short_of_the_log_is_flagged() {
        let e = |delta: f64| {
            serde_json::json!({ "id": 9, "stock_id": 1, "at": ts("2026-11-20T10:00:00Z"), "kind": "count",
                                "delta": delta, "remaining_after": 4.0, "dose_id": null, "reason": null })
        };
        assert!(
            items("stock_event", &e(1.0), None, ts("2026-11-28T11:00:00Z")).is_empty(),
            "more than expected is not a shortfall"
        );
        assert!(items("stock_event", &e(0.0), None, ts("2026-11-28T11:00:00Z")).is_empty());
        let i = items("stock_event", &e(-2.0), None, ts("2026-11-28T11:00:00Z"));
        assert_eq!(i.len(), 1);
        assert!(
            i[0].kind == "supply_shortfall" && i[0].detail.contains("found 2 fewer"),
            "{i:?}"
        );
    }
}
