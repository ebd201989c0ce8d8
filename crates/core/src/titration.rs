//! Titration proposals. Stepping is never automatic: Dosewise only *proposes* a change for the
//! person to discuss with their clinician, names the reason, and shows the data behind it.
//!
//! Rules, in order (all thresholds on the 0–10 check-in scales):
//! 1. **Side effects since the last step** — any side effect rated ≥ [`SIDE_EFFECT_STEP_DOWN`], or
//!    any urinary symptom — propose a step **down** (to the previous rung, never below the start;
//!    at the start, propose holding and talking to the clinician).
//! 2. **Too soon** — fewer than the ladder's minimum days since the last step: hold.
//! 3. **Too little data** — fewer than [`MIN_CHECKINS`] check-ins with a mood rating since the
//!    step, or in the baseline window before it: hold and say so.
//! 4. **Benefit** — mean mood up by ≥ [`BENEFIT_POINTS`] over the baseline, or mean anxiety down
//!    by as much: hold (it is working at this dose).
//! 5. **Side effects present but mild** (any rated ≥ [`SIDE_EFFECT_ANY`]): hold.
//! 6. **At the ceiling**: hold.
//! 7. **Red flags**: any open red flag from the safety check (craving, off-plan doses rising,
//!    blood pressure, PHQ-9 item 9 or self-harm words, urinary symptoms or bladder answers,
//!    an open screen finding): hold, naming them.
//! 8. Otherwise — no benefit, no side effects, no red flag — propose considering one step
//!    **up**, never past the ceiling the person or their clinician set.
//!
//! The thresholds are Dosewise's own (D, `data/rules.json` rule `titration`).

use crate::checkin::Checkin;
use crate::protocol::Titration;
use crate::safety::Finding;
use crate::units::fmt_num;
use jiff::civil::Date;
use serde::Serialize;

pub(crate) const SIDE_EFFECT_STEP_DOWN: u8 = 5;
pub(crate) const SIDE_EFFECT_ANY: u8 = 3;
pub(crate) const MIN_CHECKINS: usize = 3;
pub(crate) const BENEFIT_POINTS: f64 = 1.0;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ProposalKind {
    Hold,
    ConsiderStepUp,
    ConsiderStepDown,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Proposal {
    pub kind: ProposalKind,
    pub current_mg: f64,
    pub proposed_mg: Option<f64>,
    /// One sentence: what and why.
    pub message: String,
    /// The figures the proposal rests on.
    pub data: Vec<String>,
}

fn mean(v: &[f64]) -> Option<f64> {
    (!v.is_empty()).then(|| v.iter().sum::<f64>() / v.len() as f64)
}

fn ratings(cs: &[&Checkin], f: impl Fn(&Checkin) -> Option<u8>) -> Vec<f64> {
    cs.iter().filter_map(|c| f(c).map(f64::from)).collect()
}

/// Propose what to discuss about the dose. `since_step` are the check-ins since the last dose
/// change (or the protocol's start); `baseline` those in the window before it; `red_flags` the
/// open red flags of the safety check ([`crate::safety::is_red_flag`]), which block a step up.
pub fn propose(
    t: &Titration,
    current_mg: f64,
    last_step: Date,
    today: Date,
    since_step: &[Checkin],
    baseline: &[Checkin],
    red_flags: &[Finding],
) -> Proposal {
    let since: Vec<&Checkin> = since_step.iter().collect();
    let base: Vec<&Checkin> = baseline.iter().collect();
    let days = i64::from((today - last_step).get_days());
    let mut data = vec![format!(
        "{days} days at {} mg (ladder: {} days per step)",
        fmt_num(current_mg),
        t.min_days_per_step
    )];
    let hold = |message: String, data: Vec<String>| Proposal {
        kind: ProposalKind::Hold,
        current_mg,
        proposed_mg: None,
        message,
        data,
    };

    // 1. Side effects.
    let strong: Vec<String> = since
        .iter()
        .flat_map(|c| c.checkin.side_effects.iter())
        .filter(|s| {
            s.severity
                .is_some_and(|r| r.value() >= SIDE_EFFECT_STEP_DOWN)
        })
        .map(|s| format!("{} {}", s.name, s.severity.map_or(0, |r| r.value())))
        .collect();
    let urinary = since
        .iter()
        .filter(|c| !c.checkin.urinary.is_empty())
        .count();
    if !strong.is_empty() || urinary > 0 {
        if !strong.is_empty() {
            data.push(format!(
                "side effects rated {SIDE_EFFECT_STEP_DOWN}+ since the step: {}",
                strong.join(", ")
            ));
        }
        if urinary > 0 {
            data.push(format!(
                "urinary symptoms recorded in {urinary} check-in(s)"
            ));
        }
        let lower = (current_mg - t.step_mg).max(t.start_mg);
        if lower < current_mg - 1e-9 {
            return Proposal {
                kind: ProposalKind::ConsiderStepDown,
                current_mg,
                proposed_mg: Some(lower),
                message: format!(
                    "Side effects since the last change: consider discussing a step down from {} mg to {} mg with your clinician.",
                    fmt_num(current_mg),
                    fmt_num(lower)
                ),
                data,
            };
        }
        return hold(
            "Side effects at the starting dose: talk to your clinician before the next dose."
                .into(),
            data,
        );
    }
    // 2. Too soon.
    if days < i64::from(t.min_days_per_step) {
        return hold(
            format!(
                "Too soon to judge: {days} of {} days at this dose.",
                t.min_days_per_step
            ),
            data,
        );
    }
    // 3. Enough check-ins?
    let mood_now = ratings(&since, |c| c.checkin.ratings.mood.map(|r| r.value()));
    let mood_before = ratings(&base, |c| c.checkin.ratings.mood.map(|r| r.value()));
    data.push(format!(
        "{} check-ins with mood since the step, {} in the baseline before it",
        mood_now.len(),
        mood_before.len()
    ));
    if mood_now.len() < MIN_CHECKINS || mood_before.len() < MIN_CHECKINS {
        return hold(
            format!(
                "Not enough check-ins to judge (at least {MIN_CHECKINS} before and {MIN_CHECKINS} since the step)."
            ),
            data,
        );
    }
    // 4. Benefit.
    let mood_change = mean(&mood_now).unwrap_or(0.0) - mean(&mood_before).unwrap_or(0.0);
    let anx_now = ratings(&since, |c| c.checkin.ratings.anxiety.map(|r| r.value()));
    let anx_before = ratings(&base, |c| c.checkin.ratings.anxiety.map(|r| r.value()));
    let anxiety_change = match (mean(&anx_now), mean(&anx_before)) {
        (Some(a), Some(b)) if anx_now.len() >= MIN_CHECKINS && anx_before.len() >= MIN_CHECKINS => {
            Some(a - b)
        }
        _ => None,
    };
    data.push(format!("mean mood {:+.1} vs baseline", mood_change));
    if let Some(a) = anxiety_change {
        data.push(format!("mean anxiety {:+.1} vs baseline", a));
    }
    if mood_change >= BENEFIT_POINTS || anxiety_change.is_some_and(|a| a <= -BENEFIT_POINTS) {
        return hold(
            "Your check-ins show improvement at this dose: no change suggested.".into(),
            data,
        );
    }
    // 5. Mild side effects.
    let mild = since
        .iter()
        .flat_map(|c| c.checkin.side_effects.iter())
        .any(|s| s.severity.is_some_and(|r| r.value() >= SIDE_EFFECT_ANY));
    if mild {
        data.push(format!(
            "side effects rated {SIDE_EFFECT_ANY}-{} since the step",
            SIDE_EFFECT_STEP_DOWN - 1
        ));
        return hold(
            "Some side effects at this dose: no step up suggested.".into(),
            data,
        );
    }
    // 6. Ceiling.
    if current_mg >= t.ceiling_mg - 1e-9 {
        return hold(
            format!(
                "At the ceiling of {} mg set for this protocol: no step up. Discuss with your clinician.",
                fmt_num(t.ceiling_mg)
            ),
            data,
        );
    }
    // 7. Red flags.
    if !red_flags.is_empty() {
        for r in red_flags {
            data.push(format!("red flag: {}", r.message));
        }
        return hold(
            "Open red flags (listed below): no step up. Talk to your clinician about them first."
                .into(),
            data,
        );
    }
    // 8. No benefit, no side effects, no red flag.
    let up = (current_mg + t.step_mg).min(t.ceiling_mg);
    Proposal {
        kind: ProposalKind::ConsiderStepUp,
        current_mg,
        proposed_mg: Some(up),
        message: format!(
            "No clear benefit and no side effects after {days} days: if your clinician agrees, the plan's next step is {} mg (ceiling {} mg).",
            fmt_num(up),
            fmt_num(t.ceiling_mg)
        ),
        data,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::checkin::{NewCheckin, Rating, Ratings, SideEffect, UrinarySymptom};
    use crate::testing::date as d;
    use crate::testing::ts;

    const LADDER: Titration = Titration {
        start_mg: 10.0,
        step_mg: 5.0,
        min_days_per_step: 14,
        ceiling_mg: 25.0,
    };

    fn c(mood: i64, anxiety: i64, side: Option<(&str, i64)>) -> Checkin {
        Checkin {
            id: 0,
            checkin: NewCheckin {
                at: ts("2026-11-01T20:00:00Z"),
                zone: "UTC".into(),
                ratings: Ratings {
                    mood: Rating::new(mood).ok(),
                    anxiety: Rating::new(anxiety).ok(),
                    ..Ratings::default()
                },
                side_effects: side
                    .map(|(n, s)| SideEffect {
                        name: n.into(),
                        severity: Rating::new(s).ok(),
                    })
                    .into_iter()
                    .collect(),
                craving: None,
                urinary: vec![],
                note: None,
                tags: vec![],
                private: false,
                guess: None,
            },
            created_at: ts("2026-11-01T20:00:00Z"),
            updated_at: None,
            deleted_at: None,
        }
    }
    fn no_flags(
        t: &Titration,
        current_mg: f64,
        last_step: Date,
        today: Date,
        since_step: &[Checkin],
        baseline: &[Checkin],
    ) -> Proposal {
        propose(t, current_mg, last_step, today, since_step, baseline, &[])
    }
    fn flat(m: i64) -> Vec<Checkin> {
        (0..5).map(|_| c(m, 5, None)).collect()
    }

    #[test]
    fn no_benefit_no_side_effects_proposes_one_step_up() {
        let p = no_flags(
            &LADDER,
            10.0,
            d("2026-11-01"),
            d("2026-11-20"),
            &flat(4),
            &flat(4),
        );
        assert_eq!(p.kind, ProposalKind::ConsiderStepUp);
        assert_eq!(p.proposed_mg, Some(15.0));
        assert!(
            p.message.contains("if your clinician agrees"),
            "{}",
            p.message
        );
        assert!(
            p.data.iter().any(|d| d.contains("mean mood +0.0")),
            "{:?}",
            p.data
        );
    }

    #[test]
    fn benefit_holds() {
        let p = no_flags(
            &LADDER,
            10.0,
            d("2026-11-01"),
            d("2026-11-20"),
            &flat(6),
            &flat(4),
        );
        assert_eq!(p.kind, ProposalKind::Hold);
        assert!(p.message.contains("improvement"));
        // Anxiety down by a point is benefit too.
        let calmer: Vec<Checkin> = (0..5).map(|_| c(4, 3, None)).collect();
        assert_eq!(
            no_flags(
                &LADDER,
                10.0,
                d("2026-11-01"),
                d("2026-11-20"),
                &calmer,
                &flat(4)
            )
            .kind,
            ProposalKind::Hold
        );
    }

    #[test]
    fn side_effects_propose_step_down_and_never_below_start() {
        let mut since = flat(4);
        since.push(c(4, 5, Some(("dissociation", 6))));
        let p = no_flags(
            &LADDER,
            20.0,
            d("2026-11-01"),
            d("2026-11-05"),
            &since,
            &flat(4),
        );
        assert_eq!(p.kind, ProposalKind::ConsiderStepDown);
        assert_eq!(p.proposed_mg, Some(15.0));
        assert!(p.data.iter().any(|d| d.contains("dissociation 6")));
        let p = no_flags(
            &LADDER,
            10.0,
            d("2026-11-01"),
            d("2026-11-05"),
            &since,
            &flat(4),
        );
        assert_eq!(p.kind, ProposalKind::Hold);
        assert!(p.message.contains("clinician"));
        // Urinary symptoms count as a reason to step down, whatever their rating.
        let mut since = flat(4);
        since[0].checkin.urinary = vec![UrinarySymptom::Urgency];
        assert_eq!(
            no_flags(
                &LADDER,
                15.0,
                d("2026-11-01"),
                d("2026-11-20"),
                &since,
                &flat(4)
            )
            .kind,
            ProposalKind::ConsiderStepDown
        );
    }

    #[test]
    fn holds_when_too_soon_too_little_data_mild_effects_or_at_ceiling() {
        assert!(
            no_flags(
                &LADDER,
                10.0,
                d("2026-11-10"),
                d("2026-11-20"),
                &flat(4),
                &flat(4)
            )
            .message
            .contains("Too soon")
        );
        assert!(
            no_flags(
                &LADDER,
                10.0,
                d("2026-11-01"),
                d("2026-11-20"),
                &flat(4)[..2],
                &flat(4)
            )
            .message
            .contains("Not enough")
        );
        let mut mild = flat(4);
        mild.push(c(4, 5, Some(("nausea", 3))));
        assert_eq!(
            no_flags(
                &LADDER,
                10.0,
                d("2026-11-01"),
                d("2026-11-20"),
                &mild,
                &flat(4)
            )
            .kind,
            ProposalKind::Hold
        );
        let p = no_flags(
            &LADDER,
            25.0,
            d("2026-11-01"),
            d("2026-11-20"),
            &flat(4),
            &flat(4),
        );
        assert_eq!(p.kind, ProposalKind::Hold);
        assert!(p.message.contains("ceiling"));
        // One step below the ceiling steps only to the ceiling.
        let p = no_flags(
            &LADDER,
            22.5,
            d("2026-11-01"),
            d("2026-11-20"),
            &flat(4),
            &flat(4),
        );
        assert_eq!(p.proposed_mg, Some(25.0));
    }

    /// Every red flag blocks a step up, not only side effects in check-ins; and without one the
    /// same data proposes the step.
    #[test]
    fn every_red_flag_blocks_a_step_up() {
        use crate::safety::{Severity, is_red_flag};
        let flag = |code: &str, severity| Finding {
            code: code.into(),
            severity,
            message: format!("{code} message"),
            reason: String::new(),
            action: String::new(),
            sources: vec![],
            step: None,
        };
        for (code, sev) in [
            ("craving", Severity::Warning),
            ("off_plan_rising", Severity::Warning),
            ("bp_elevated", Severity::Warning),
            ("bp_high", Severity::Refuse),
            ("hr_high", Severity::Refuse),
            ("self_harm_thoughts", Severity::Warning),
            ("urinary_symptoms", Severity::Warning),
            ("urine_blood", Severity::Refuse),
            ("coping", Severity::Warning),
            ("screen:pregnancy", Severity::Warning),
            ("screen:mania", Severity::Caution),
        ] {
            assert!(is_red_flag(code), "{code}");
            let p = propose(
                &LADDER,
                10.0,
                d("2026-11-01"),
                d("2026-11-20"),
                &flat(4),
                &flat(4),
                &[flag(code, sev)],
            );
            assert_eq!(p.kind, ProposalKind::Hold, "{code}");
            assert!(
                p.data.iter().any(|x| x.contains(code)),
                "{code}: {:?}",
                p.data
            );
        }
        // Not red flags: an interaction note or a planned-dose finding.
        assert!(!is_red_flag("interaction:ssris") && !is_red_flag("limit_per_dose"));
        assert_eq!(
            no_flags(
                &LADDER,
                10.0,
                d("2026-11-01"),
                d("2026-11-20"),
                &flat(4),
                &flat(4)
            )
            .kind,
            ProposalKind::ConsiderStepUp
        );
        // A step down for side effects is still proposed with red flags present.
        let mut since = flat(4);
        since.push(c(4, 5, Some(("dissociation", 6))));
        let p = propose(
            &LADDER,
            20.0,
            d("2026-11-01"),
            d("2026-11-05"),
            &since,
            &flat(4),
            &[flag("craving", Severity::Warning)],
        );
        assert_eq!(p.kind, ProposalKind::ConsiderStepDown);
    }
}
