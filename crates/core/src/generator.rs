//! A deterministic, realistic multi-year history for benchmarks and load tests (`dosewise demo
//! --years 5`): about 2,000 doses across five protocols (troches, a nasal spray, a home
//! solution), two or three check-ins a day (about 4,000 in five years), PHQ-9/GAD-7 every two weeks,
//! the bladder and use questions monthly, blood pressure around many doses, refills and counts
//! in the stock ledger, some alcohol. The same seed, "now" and zone always give the same journal.

use crate::checkin::{Checkin, NewCheckin, Ratings, SideEffect, UrinarySymptom};
use crate::demo::{Rng, demo_assessment, local_instant, rate};
use crate::dose::{Dose, DoseInput, prepare_dose};
use crate::dose_expr::parse_quantity;
use crate::journal::{FORMAT, Journal, VERSION};
use crate::medication::{NewSubstanceUse, SubstanceUse};
use crate::preparation::{Form, Preparation, SprayVolumeSpec};
use crate::profile::Profile;
use crate::protocol::{
    DoseTarget, Limits, NewProtocol, Pattern, Protocol, ProtocolEvent, ProtocolEventKind, Status,
};
use crate::questionnaire::Assessment;
use crate::route::Substance;
use crate::salt::Salt;
use crate::stock::{NewStock, Stock, StockEvent, StockEventKind};
use crate::units::{Kilograms, MgPerMl, Milligrams, Millilitres};
use crate::vitals::{NewVitals, Vitals, VitalsContext};
use crate::when::zone_name;
use jiff::civil::{Date, Time};
use jiff::{Span, ZonedDateTime};

/// One protocol's stretch of the history.
struct Phase {
    name: &'static str,
    pattern: Pattern,
    /// The planned dose, as typed.
    amount: &'static str,
    /// Chance of a second dose on a dose day (a split dose, later in the day).
    second: f64,
    stock: Preparation,
    /// Supply dispensed at each refill, in the stock's unit.
    refill: f64,
    limit_mg: f64,
}

fn mg(v: f64) -> Milligrams {
    Milligrams::positive(v).unwrap_or(Milligrams::zero())
}

fn ml(v: f64) -> Millilitres {
    Millilitres::positive(v).unwrap_or(Millilitres::zero())
}

fn phases() -> Vec<Phase> {
    let troche = |strength: f64| Preparation {
        substance: Substance::Ketamine,
        salt: Salt::Hcl,
        form: Form::Troche {
            strength_mg: mg(strength),
        },
    };
    let spray = Preparation {
        substance: Substance::Ketamine,
        salt: Salt::Hcl,
        form: Form::NasalSpray {
            concentration_mg_per_ml: MgPerMl::positive(100.0).unwrap_or(MgPerMl::zero()),
            spray_volume: SprayVolumeSpec::Stated { ml: ml(0.1) },
            bottle_ml: Some(ml(10.0)),
            priming_sprays: 0,
        },
    };
    let solution = Preparation {
        substance: Substance::Ketamine,
        salt: Salt::Hcl,
        form: Form::Solution {
            powder_mg: mg(500.0),
            purity_pct: 100.0,
            volume_ml: ml(50.0),
            drop_ml: None,
        },
    };
    vec![
        Phase {
            name: "Daily troche",
            pattern: Pattern::EveryNDays { n: 1 },
            amount: "1/2 troche",
            second: 0.2,
            stock: troche(25.0),
            refill: 60.0,
            limit_mg: 25.0,
        },
        Phase {
            name: "Nasal spray, 4 on / 3 off",
            pattern: Pattern::OnOff { on: 4, off: 3 },
            amount: "1 spray",
            second: 0.95,
            stock: spray,
            refill: 10.0,
            limit_mg: 20.0,
        },
        Phase {
            name: "Oral solution, daily",
            pattern: Pattern::EveryNDays { n: 1 },
            amount: "1.5 mL",
            second: 0.35,
            stock: solution,
            refill: 50.0,
            limit_mg: 30.0,
        },
        Phase {
            name: "Troche, every other day",
            pattern: Pattern::EveryNDays { n: 2 },
            amount: "3/4 troche",
            second: 0.5,
            stock: troche(25.0),
            refill: 30.0,
            limit_mg: 25.0,
        },
        Phase {
            name: "Daily troche, lower strength",
            pattern: Pattern::EveryNDays { n: 1 },
            amount: "1 troche",
            second: 0.15,
            stock: troche(10.0),
            refill: 60.0,
            limit_mg: 20.0,
        },
    ]
}

fn is_dose_day(p: &Pattern, day_in_phase: i64) -> bool {
    match p {
        Pattern::EveryNDays { n } => day_in_phase % i64::from((*n).max(1)) == 0,
        Pattern::OnOff { on, off } => day_in_phase % i64::from(on + off) < i64::from(*on),
        _ => false,
    }
}

/// `years` years of history ending yesterday in `now`'s zone.
pub fn history(now: &ZonedDateTime, years: u32, seed: u64) -> Journal {
    let mut rng = Rng::new(seed);
    let tz = now.time_zone().clone();
    let zone = zone_name(&tz);
    let days = i64::from(years.max(1)) * 365;
    let today = now.date();
    let start = today.checked_sub(Span::new().days(days)).unwrap_or(today);
    let local = |date: Date, h: i8, m: i8| local_instant(&tz, date, h, m);
    let weight = Kilograms::positive(72.0).ok();
    let phases = phases();
    let phase_days = days / phases.len() as i64;
    let (mut stocks, mut events, mut doses, mut checkins) = (vec![], vec![], vec![], vec![]);
    let (mut protocols, mut protocol_events, mut vitals) = (vec![], vec![], vec![]);
    let (mut assessments, mut uses) = (vec![], vec![]);
    let ledger = |events: &mut Vec<StockEvent>,
                  s: &Stock,
                  at,
                  kind,
                  delta,
                  dose_id,
                  reason: Option<&str>| {
        events.push(StockEvent {
            id: events.len() as i64 + 1,
            stock_id: s.id,
            at,
            kind,
            delta,
            remaining_after: s.stock.remaining,
            dose_id,
            reason: reason.map(str::to_string),
        });
    };
    for (k, ph) in phases.iter().enumerate() {
        let first = start
            .checked_add(Span::new().days(k as i64 * phase_days))
            .unwrap_or(start);
        // The last protocol is the current one.
        let current = k + 1 == phases.len();
        let last = if current {
            today
        } else {
            first
                .checked_add(Span::new().days(phase_days - 1))
                .unwrap_or(first)
        };
        let created = local(first, 7, 30);
        let pid = k as i64 + 1;
        let mut stock = Stock {
            id: pid,
            stock: NewStock {
                name: format!("{} stock", ph.name),
                preparation: ph.stock.clone(),
                default_route: ph.stock.default_route(),
                supply_unit: ph.stock.supply_unit(),
                dispensed: Some(ph.refill),
                remaining: ph.refill,
                lot: Some(format!("GEN-{pid:04}")),
                expiry: last.checked_add(Span::new().days(90)).ok(),
                opened: Some(first),
                note: None,
                created_at: created,
            },
            retired_at: None,
            retire_reason: None,
        };
        ledger(
            &mut events,
            &stock,
            created,
            StockEventKind::Added,
            ph.refill,
            None,
            Some("dispensed"),
        );
        let target = parse_quantity(ph.amount).ok();
        let planned_mg = target
            .and_then(|q| {
                crate::dose::prepare_dose(
                    DoseInput {
                        entered: ph.amount.into(),
                        quantity: q,
                        route: None,
                        at: created,
                        zone: zone.clone(),
                        note: None,
                        salt: None,
                        substance: None,
                        protocol_id: None,
                    },
                    Some(&stock),
                    None,
                    created,
                )
                .ok()
            })
            .map(|d| d.dose_mg);
        protocols.push(Protocol {
            id: pid,
            protocol: NewProtocol {
                name: ph.name.into(),
                substance: Substance::Ketamine,
                pattern: ph.pattern.clone(),
                start: first,
                end: (!current).then_some(last),
                time: Time::new(8, 0, 0, 0).unwrap_or(Time::midnight()),
                zone: zone.clone(),
                dose: DoseTarget {
                    entered: ph.amount.into(),
                    quantity: target.unwrap_or(crate::dose_expr::Quantity::Mg(mg(10.0))),
                    mg: planned_mg,
                },
                stock_id: Some(pid),
                route: None,
                cycle: None,
                titration: None,
                limits: Limits {
                    max_per_dose_mg: Some(ph.limit_mg),
                    max_per_day_mg: Some(ph.limit_mg * 2.0),
                    max_per_7_days_mg: None,
                    min_interval_hours: None,
                    supply_dispensed: Some(ph.refill),
                    refill_date: None,
                    ..Limits::default()
                },
                checkin_time: Time::new(21, 0, 0, 0).ok(),
                require_bp: false,
                require_sitter: false,
                note: None,
            },
            status: if current {
                Status::Active
            } else {
                Status::Ended
            },
            pauses: vec![],
            created_at: created,
            ended_at: (!current).then(|| local(last, 22, 0)),
        });
        protocol_events.push(ProtocolEvent {
            id: protocol_events.len() as i64 + 1,
            protocol_id: pid,
            at: created,
            date: first,
            kind: ProtocolEventKind::Created,
            detail: None,
        });
        let span = last
            .since(first)
            .map_or(phase_days, |s| i64::from(s.get_days()) + 1);
        for d in 0..span {
            let date = first.checked_add(Span::new().days(d)).unwrap_or(first);
            if date >= today || !is_dose_day(&ph.pattern, d) || rng.chance(0.04) {
                continue;
            }
            let n = if rng.chance(ph.second) { 2 } else { 1 };
            for i in 0..n {
                let at = local(date, if i == 0 { 8 } else { 15 }, rng.range(0, 50) as i8);
                let Some(q) = target else { continue };
                let input = DoseInput {
                    entered: ph.amount.into(),
                    quantity: q,
                    route: None,
                    at,
                    zone: zone.clone(),
                    note: rng
                        .chance(0.05)
                        .then(|| "Felt it after about twenty minutes.".to_string()),
                    salt: None,
                    substance: None,
                    protocol_id: Some(pid),
                };
                // Refilled when about a sixth is left, as a pharmacy would.
                if stock.stock.remaining < ph.refill * 0.15 {
                    stock.stock.remaining += ph.refill;
                    ledger(
                        &mut events,
                        &stock,
                        local(date, 7, 40),
                        StockEventKind::Adjust,
                        ph.refill,
                        None,
                        Some("refill"),
                    );
                }
                let Ok(dose) = prepare_dose(input, Some(&stock), weight, at) else {
                    continue;
                };
                let used = dose.supply_used.unwrap_or(0.0);
                stock.stock.remaining -= used;
                let id = doses.len() as i64 + 1;
                ledger(
                    &mut events,
                    &stock,
                    at,
                    StockEventKind::Dose,
                    -used,
                    Some(id),
                    None,
                );
                doses.push(Dose {
                    id,
                    dose,
                    created_at: at,
                    updated_at: None,
                    deleted_at: None,
                });
                if i == 0 && rng.chance(0.5) {
                    let sys = 120.0 + rng.noise(6.0);
                    for (t, context, rise) in [
                        (local(date, 7, 55), VitalsContext::PreDose, 0.0),
                        (local(date, 9, 0), VitalsContext::PostDose, 10.0),
                    ] {
                        vitals.push(Vitals {
                            id: vitals.len() as i64 + 1,
                            vitals: NewVitals {
                                at: t,
                                zone: zone.clone(),
                                systolic: Some((sys + rise + rng.noise(3.0)).round() as u16),
                                diastolic: Some((78.0 + rise * 0.5 + rng.noise(3.0)).round() as u16),
                                heart_rate: Some((70.0 + rise * 0.4 + rng.noise(4.0)).round() as u16),
                                weight_kg: None,
                                context,
                                note: None,
                            },
                            created_at: t,
                        });
                    }
                }
            }
        }
        if !current {
            stock.retired_at = Some(local(last, 22, 0));
            stock.retire_reason = Some("protocol ended".into());
        }
        stocks.push(stock);
    }
    // Check-ins twice a day, questionnaires, alcohol now and then, across the whole span.
    let dose_dates: std::collections::BTreeSet<Date> = doses
        .iter()
        .map(|d: &Dose| d.dose.at.to_zoned_datetime(tz.clone()).date())
        .collect();
    for d in 0..days {
        let date = start.checked_add(Span::new().days(d)).unwrap_or(start);
        if date >= today {
            break;
        }
        let years_in = d as f64 / 365.0;
        let lift = if dose_dates.contains(&date) { 0.5 } else { 0.0 };
        let mut tags = vec![];
        for (tag, p) in [
            ("work", 0.6),
            ("exercise", 0.3),
            ("alcohol", 0.04),
            ("poor-sleep", 0.1),
        ] {
            if rng.chance(p) {
                tags.push(tag.to_string());
            }
        }
        if tags.iter().any(|t| t == "alcohol") {
            let at = local(date, 22, 30);
            uses.push(SubstanceUse {
                id: uses.len() as i64 + 1,
                usage: NewSubstanceUse {
                    at,
                    zone: zone.clone(),
                    name: "wine".into(),
                    amount: Some("2 glasses".into()),
                    note: None,
                },
                created_at: at,
            });
        }
        // Morning and evening, and on many dose days a check-in a few hours after the dose.
        for (h, evening) in [(9, false), (11, false), (21, true)] {
            let p = match h {
                11 if lift > 0.0 => 0.6,
                11 => 0.0,
                _ => 0.92,
            };
            if !rng.chance(p) {
                continue;
            }
            let at = local(date, h, rng.range(0, 50) as i8);
            let mood = 4.5 + years_in.min(2.0) * 0.6 + lift + rng.noise(1.0);
            checkins.push(Checkin {
                id: checkins.len() as i64 + 1,
                checkin: NewCheckin {
                    at,
                    zone: zone.clone(),
                    ratings: Ratings {
                        mood: rate(mood),
                        anxiety: rate(5.5 - years_in.min(2.0) * 0.5 - lift * 0.5 + rng.noise(1.0)),
                        energy: rate(5.0 + rng.noise(1.2)),
                        focus: rate(5.0 + rng.noise(1.2)),
                        sleep: if h == 9 {
                            rate(6.0 + rng.noise(1.5))
                        } else {
                            None
                        },
                        irritability: rate(3.5 + rng.noise(1.0)),
                    },
                    side_effects: if lift > 0.0 && evening && rng.chance(0.3) {
                        vec![SideEffect {
                            name: "dissociation".into(),
                            severity: rate(2.0 + rng.noise(1.0)),
                        }]
                    } else {
                        vec![]
                    },
                    craving: rate(0.8 + rng.noise(0.6)),
                    urinary: if rng.chance(0.003) {
                        vec![UrinarySymptom::Frequency]
                    } else {
                        vec![]
                    },
                    note: (evening && rng.chance(0.1))
                        .then(|| "Quiet day; walked in the evening.".to_string()),
                    tags: if evening { tags.clone() } else { vec![] },
                    private: rng.chance(0.03),
                },
                created_at: at,
            });
        }
        let at = local(date, 20, 0);
        let mut assess = |id: &str, base: f64| {
            if let Some(a) = demo_assessment(id, base, at, &zone) {
                assessments.push(Assessment {
                    id: assessments.len() as i64 + 1,
                    assessment: a,
                    created_at: at,
                });
            }
        };
        if d % 14 == 0 {
            assess("phq9", (13.0 - years_in * 2.0).max(3.0) + rng.noise(1.5));
            assess("gad7", (11.0 - years_in * 1.5).max(3.0) + rng.noise(1.5));
        }
        if d % 30 == 0 {
            assess("bladder", rng.noise(0.6).max(0.0));
            assess("substance", rng.noise(0.6).max(0.0));
        }
    }
    let created = local(start, 7, 0);
    Journal {
        format: FORMAT.into(),
        version: VERSION,
        profile: Some(Profile {
            name: None,
            zone,
            weight_kg: weight,
            screen: vec![],
            screened_at: Some(created),
            crisis_line: None,
            created_at: created,
            updated_at: created,
        }),
        stocks,
        stock_events: events,
        doses,
        dose_revisions: vec![],
        checkins,
        protocols,
        protocol_events,
        medications: vec![],
        substance_uses: uses,
        vitals,
        clearances: vec![],
        assessments,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn now() -> ZonedDateTime {
        crate::testing::ts("2026-11-28T11:00:00Z").to_zoned_datetime(
            crate::when::zone("Europe/Berlin").unwrap_or(jiff::tz::TimeZone::UTC),
        )
    }

    #[test]
    fn five_years_have_the_promised_size_and_are_deterministic() {
        let j = history(&now(), 5, 7);
        assert!(
            (1800..=2300).contains(&j.doses.len()),
            "{} doses",
            j.doses.len()
        );
        assert!(
            (3700..=4600).contains(&j.checkins.len()),
            "{} check-ins",
            j.checkins.len()
        );
        assert_eq!(j.protocols.len(), 5);
        assert_eq!(
            j.protocols
                .iter()
                .filter(|p| p.status == Status::Active)
                .count(),
            1,
            "the last protocol is current"
        );
        assert!(j.assessments.len() > 350, "{}", j.assessments.len());
        println!(
            "{} doses, {} check-ins, {} questionnaires, {} vitals, {} stock events",
            j.doses.len(),
            j.checkins.len(),
            j.assessments.len(),
            j.vitals.len(),
            j.stock_events.len()
        );
        assert!(j.vitals.len() > 500);
        assert!(
            j.stock_events
                .iter()
                .any(|e| e.reason.as_deref() == Some("refill"))
        );
        // Every dose's supply went through the ledger, and no stock went below zero.
        let dose_events = j
            .stock_events
            .iter()
            .filter(|e| e.dose_id.is_some())
            .count();
        assert_eq!(dose_events, j.doses.len());
        assert!(j.stock_events.iter().all(|e| e.remaining_after >= -1e-9));
        assert_eq!(history(&now(), 5, 7), j, "same seed, same journal");
        assert_ne!(history(&now(), 5, 8).doses, j.doses);
        // Journal text round-trips, as export/import needs.
        let text = serde_json::to_string(&j).unwrap_or_default();
        assert_eq!(Journal::parse(&text).ok(), Some(j));
    }
}
