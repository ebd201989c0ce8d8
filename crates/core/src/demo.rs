//! A realistic sample journal for `dosewise demo`: a one-day-on / two-days-off troche regimen
//! with a titration step, daily evening check-ins, refills and a few side effects. Deterministic
//! for a given seed, "now" and zone, so tests and benchmarks can rely on it.

use crate::checkin::{Checkin, NewCheckin, Rating, Ratings, SideEffect, UrinarySymptom};
use crate::dose::{Dose, DoseInput, prepare_dose};
use crate::dose_expr::parse_quantity;
use crate::journal::{FORMAT, Journal, VERSION};
use crate::preparation::{Form, Preparation, SupplyUnit};
use crate::profile::Profile;
use crate::protocol::{
    Cycle, DoseTarget, Limits, NewProtocol, Pattern, Protocol, ProtocolEvent, ProtocolEventKind,
    Status, Titration,
};
use crate::questionnaire::{Assessment, NewAssessment, instrument};
use crate::route::{Route, Substance};
use crate::salt::Salt;
use crate::stock::{NewStock, Stock, StockEvent, StockEventKind};
use crate::units::{Kilograms, Milligrams};
use crate::vitals::{NewVitals, Vitals, VitalsContext};
use crate::when::{to_micros, zone_name};
use jiff::civil::Time;
use jiff::{Timestamp, ZonedDateTime};

/// splitmix64: tiny, fast, good enough for sample data.
#[derive(Debug, Clone)]
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Self {
        Rng(seed)
    }
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    /// Uniform in [0, 1).
    pub fn unit(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }
    pub fn chance(&mut self, p: f64) -> bool {
        self.unit() < p
    }
    /// Roughly normal noise (sum of uniforms), mean 0, sd ≈ `sd`.
    pub fn noise(&mut self, sd: f64) -> f64 {
        (self.unit() + self.unit() + self.unit() - 1.5) * 2.0 * sd
    }
    pub fn range(&mut self, lo: i64, hi: i64) -> i64 {
        lo + (self.unit() * (hi - lo + 1) as f64) as i64
    }
}

pub(crate) fn rate(v: f64) -> Option<Rating> {
    Rating::new(v.round().clamp(0.0, 10.0) as i64).ok()
}

/// `h:m` on `date` in `tz`, to the microsecond the store keeps (the epoch if the time cannot
/// exist, which the sample's whole hours never hit).
pub(crate) fn local_instant(
    tz: &jiff::tz::TimeZone,
    date: jiff::civil::Date,
    h: i8,
    m: i8,
) -> Timestamp {
    let t = Time::new(h, m, 0, 0).unwrap_or(Time::midnight());
    to_micros(
        date.to_datetime(t)
            .to_zoned_datetime(tz.clone())
            .map(|z| z.timestamp())
            .unwrap_or(Timestamp::UNIX_EPOCH),
    )
}

/// Build the sample journal: `days` days ending yesterday in `now`'s zone.
pub fn demo_journal(now: &ZonedDateTime, days: u32, seed: u64) -> Journal {
    let mut rng = Rng::new(seed);
    let tz = now.time_zone().clone();
    let zone = zone_name(&tz);
    let today = now.date();
    let start = today
        .checked_sub(jiff::Span::new().days(i64::from(days)))
        .unwrap_or(today);
    let local = |date: jiff::civil::Date, h: i8, m: i8| local_instant(&tz, date, h, m);
    let created = local(start, 7, 30);
    let strength = Milligrams::positive(25.0).unwrap_or(Milligrams::zero());
    let mut stock = Stock {
        id: 1,
        stock: NewStock {
            name: "Ketamine troche 25 mg".into(),
            preparation: Preparation {
                substance: Substance::Ketamine,
                salt: Salt::Hcl,
                form: Form::Troche {
                    strength_mg: strength,
                },
            },
            default_route: Route::Sublingual,
            supply_unit: SupplyUnit::Troche,
            dispensed: Some(30.0),
            remaining: 30.0,
            lot: Some("DEMO-0001".into()),
            expiry: today.checked_add(jiff::Span::new().days(180)).ok(),
            opened: Some(start),
            note: Some("Sample data from `dosewise demo`.".into()),
            created_at: created,
        },
        retired_at: None,
        retire_reason: None,
    };
    let mut events = vec![StockEvent {
        id: 1,
        stock_id: 1,
        at: created,
        kind: StockEventKind::Added,
        delta: 30.0,
        remaining_after: 30.0,
        dose_id: None,
        reason: Some("dispensed".into()),
    }];
    let mut doses = Vec::new();
    let mut checkins = Vec::new();
    let mut vitals = Vec::new();
    let mut assessments = Vec::new();
    let weight = Kilograms::positive(70.0).ok();
    for day in 0..days {
        let date = start
            .checked_add(jiff::Span::new().days(i64::from(day)))
            .unwrap_or(start);
        let dose_day = day % 3 == 0;
        let weeks_in = f64::from(day) / 7.0;
        if dose_day {
            // Refill when fewer than two troches are left.
            if stock.stock.remaining < 2.0 {
                let at = local(date, 7, 45);
                stock.stock.remaining += 30.0;
                events.push(StockEvent {
                    id: events.len() as i64 + 1,
                    stock_id: 1,
                    at,
                    kind: StockEventKind::Adjust,
                    delta: 30.0,
                    remaining_after: stock.stock.remaining,
                    dose_id: None,
                    reason: Some("refill".into()),
                });
            }
            let amount = if weeks_in < 2.0 {
                "1/2 troche"
            } else {
                "3/4 troche"
            };
            let at = local(date, 8, rng.range(0, 40) as i8);
            let input = DoseInput {
                entered: amount.into(),
                quantity: parse_quantity(amount)
                    .unwrap_or(crate::dose_expr::Quantity::Mg(strength)),
                route: None,
                at,
                zone: zone.clone(),
                note: rng
                    .chance(0.1)
                    .then(|| "Held under the tongue 15 minutes, then swallowed.".to_string()),
                salt: None,
                substance: None,
                protocol_id: Some(1),
            };
            if let Ok(d) = prepare_dose(input, Some(&stock), weight, at) {
                let id = doses.len() as i64 + 1;
                let used = d.supply_used.unwrap_or(0.0);
                stock.stock.remaining -= used;
                events.push(StockEvent {
                    id: events.len() as i64 + 1,
                    stock_id: 1,
                    at,
                    kind: StockEventKind::Dose,
                    delta: -used,
                    remaining_after: stock.stock.remaining,
                    dose_id: Some(id),
                    reason: None,
                });
                doses.push(Dose {
                    id,
                    dose: d,
                    created_at: at,
                    updated_at: None,
                    deleted_at: None,
                });
            }
        }
        // Blood pressure before and 40 minutes after every other dose.
        if dose_day && day % 6 == 0 {
            let pre = local(date, 7, 50);
            let post = local(date, 8, 50);
            let sys = 122.0 + rng.noise(5.0);
            let dia = 78.0 + rng.noise(3.0);
            for (at, context, rise) in [
                (pre, VitalsContext::PreDose, 0.0),
                (post, VitalsContext::PostDose, 12.0),
            ] {
                vitals.push(Vitals {
                    id: vitals.len() as i64 + 1,
                    vitals: NewVitals {
                        at,
                        zone: zone.clone(),
                        systolic: Some((sys + rise + rng.noise(3.0)).round() as u16),
                        diastolic: Some((dia + rise * 0.5 + rng.noise(2.0)).round() as u16),
                        heart_rate: Some((70.0 + rise * 0.5 + rng.noise(4.0)).round() as u16),
                        weight_kg: None,
                        context,
                        note: None,
                    },
                    created_at: at,
                });
            }
        }
        // PHQ-9 and GAD-7 every two weeks, improving slowly; item 9 always 0.
        if day % 14 == 0 {
            let weeks = f64::from(day) / 7.0;
            for (id, base, at) in [
                ("phq9", 14.0 - weeks * 1.2, local(date, 20, 0)),
                ("gad7", 11.0 - weeks * 0.9, local(date, 20, 5)),
            ] {
                if let Some(a) = demo_assessment(id, base + rng.noise(1.0), at, &zone) {
                    assessments.push(Assessment {
                        id: assessments.len() as i64 + 1,
                        assessment: a,
                        created_at: at,
                    });
                }
            }
        }
        if rng.chance(0.08) {
            continue; // a missed check-in now and then
        }
        let after = day % 3 == 1;
        let trend = (weeks_in * 0.35).min(2.5);
        let lift = if dose_day {
            0.6
        } else if after {
            0.4
        } else {
            0.0
        };
        let mood = 4.0 + trend + lift + rng.noise(1.0);
        let mut side_effects = Vec::new();
        if dose_day && rng.chance(0.5) {
            side_effects.push(SideEffect {
                name: "dissociation".into(),
                severity: rate(2.0 + rng.noise(1.0)),
            });
        }
        if dose_day && rng.chance(0.2) {
            side_effects.push(SideEffect {
                name: "nausea".into(),
                severity: rate(1.5 + rng.noise(1.0)),
            });
        }
        let mut tags = Vec::new();
        for (tag, p) in [
            ("work", 0.6),
            ("exercise", 0.3),
            ("alcohol", 0.05),
            ("poor-sleep", 0.1),
        ] {
            if rng.chance(p) {
                tags.push(tag.to_string());
            }
        }
        let at = local(date, 21, rng.range(0, 50) as i8);
        let c = NewCheckin {
            at,
            zone: zone.clone(),
            ratings: Ratings {
                mood: rate(mood),
                anxiety: rate(6.0 - trend - lift * 0.5 + rng.noise(1.0)),
                energy: rate(4.5 + trend * 0.6 + rng.noise(1.2)),
                focus: rate(4.5 + trend * 0.5 + rng.noise(1.2)),
                sleep: rate(
                    if tags.iter().any(|t| t == "poor-sleep") {
                        3.0
                    } else {
                        6.0
                    } + rng.noise(1.0),
                ),
                irritability: rate(4.0 - trend * 0.5 + rng.noise(1.0)),
            },
            side_effects,
            craving: rate(0.5 + rng.noise(0.5)),
            urinary: if rng.chance(0.01) {
                vec![UrinarySymptom::Frequency]
            } else {
                vec![]
            },
            note: rng
                .chance(0.15)
                .then(|| "Calmer afternoon; walked after work.".to_string()),
            tags,
            private: rng.chance(0.05),
        };
        checkins.push(Checkin {
            id: checkins.len() as i64 + 1,
            checkin: c,
            created_at: at,
        });
    }
    let step = start
        .checked_add(jiff::Span::new().days(14))
        .ok()
        .filter(|d| *d < today)
        .map(|d| (d, local(d, 7, 0)));
    let (protocol, protocol_events) = demo_protocol(start, &zone, created, step);
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
        stocks: vec![stock],
        stock_events: events,
        doses,
        dose_revisions: vec![],
        checkins,
        protocols: vec![protocol],
        protocol_events,
        medications: vec![],
        substance_uses: vec![],
        vitals,
        clearances: vec![],
        assessments,
    }
}

/// The demo's plan, matching the doses it logs: one day on, two off from the first day, 1/2
/// troche, stepped up to 3/4 troche after two weeks (the titration ceiling), with the limits a
/// prescription might set.
fn demo_protocol(
    start: jiff::civil::Date,
    zone: &str,
    created: Timestamp,
    step_day: Option<(jiff::civil::Date, Timestamp)>,
) -> (Protocol, Vec<ProtocolEvent>) {
    let target = |entered: &str, mg: f64| DoseTarget {
        entered: entered.into(),
        quantity: parse_quantity(entered).unwrap_or(crate::dose_expr::Quantity::Mg(
            Milligrams::positive(mg).unwrap_or(Milligrams::zero()),
        )),
        mg: Some(mg),
    };
    let mut events = vec![ProtocolEvent {
        id: 1,
        protocol_id: 1,
        at: created,
        date: start,
        kind: ProtocolEventKind::Created,
        detail: None,
    }];
    let dose = match step_day {
        Some((date, at)) => {
            events.push(ProtocolEvent {
                id: 2,
                protocol_id: 1,
                at,
                date,
                kind: ProtocolEventKind::DoseChanged,
                detail: Some("dose 1/2 troche → 3/4 troche".into()),
            });
            target("3/4 troche", 18.75)
        }
        None => target("1/2 troche", 12.5),
    };
    let protocol = Protocol {
        id: 1,
        protocol: NewProtocol {
            name: "One day on, two off (sample)".into(),
            substance: Substance::Ketamine,
            pattern: Pattern::EveryNDays { n: 3 },
            start,
            end: None,
            time: Time::new(8, 0, 0, 0).unwrap_or(Time::midnight()),
            zone: zone.into(),
            dose,
            stock_id: Some(1),
            route: Some(Route::Sublingual),
            cycle: None::<Cycle>,
            titration: Some(Titration {
                start_mg: 12.5,
                step_mg: 6.25,
                min_days_per_step: 14,
                ceiling_mg: 18.75,
            }),
            limits: Limits {
                max_per_dose_mg: Some(25.0),
                max_per_day_mg: Some(25.0),
                max_per_7_days_mg: Some(50.0),
                min_interval_hours: Some(48.0),
                supply_dispensed: Some(30.0),
                refill_date: None,
                ..Limits::default()
            },
            checkin_time: Time::new(21, 0, 0, 0).ok(),
            require_bp: false,
            require_sitter: false,
            note: Some("Sample data from `dosewise demo`.".into()),
        },
        status: Status::Active,
        pauses: vec![],
        created_at: created,
        ended_at: None,
    };
    (protocol, events)
}

/// A scored questionnaire whose total is near `target`: the points spread over the items in
/// turn (never item 9 of the PHQ-9), scored by the instrument's own rules.
pub(crate) fn demo_assessment(
    id: &str,
    target: f64,
    at: Timestamp,
    zone: &str,
) -> Option<NewAssessment> {
    let inst = instrument(id)?;
    let n = inst.items.len();
    let scored = if id == "phq9" { n - 1 } else { n };
    let mut points = (target.round().max(0.0) as usize).min(scored * 3);
    let mut answers = vec![0i64; n];
    let mut i = 0;
    while points > 0 {
        if answers[i % scored] < 3 {
            answers[i % scored] += 1;
            points -= 1;
        }
        i += 1;
    }
    let (answers, total, band) = inst.score(&answers).ok()?;
    Some(NewAssessment {
        at,
        zone: zone.into(),
        instrument: inst.id.clone(),
        answers,
        total,
        band,
        note: None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn now() -> ZonedDateTime {
        let dt: jiff::civil::DateTime =
            "2026-11-28T12:00".parse().unwrap_or_else(|e| panic!("{e}"));
        dt.to_zoned_datetime(
            jiff::tz::TimeZone::get("Europe/Berlin").unwrap_or_else(|e| panic!("{e}")),
        )
        .unwrap_or_else(|e| panic!("{e}"))
    }

    #[test]
    fn demo_is_valid_deterministic_and_consistent() {
        let a = demo_journal(&now(), 56, 42);
        assert_eq!(a, demo_journal(&now(), 56, 42));
        assert_eq!(a.validate(), Ok(()));
        assert_eq!(a.doses.len(), 19);
        assert!(a.checkins.len() > 40);
        // The ledger adds up to the stock's remaining amount.
        let sum: f64 = a.stock_events.iter().map(|e| e.delta).sum();
        assert!((sum - a.stocks[0].stock.remaining).abs() < 1e-9);
        assert!(a.doses.iter().all(|d| d.dose.at < now().timestamp()));
        // The plan the doses follow, its titration step, and the scales and vitals.
        assert_eq!(a.protocols.len(), 1);
        assert!(a.doses.iter().all(|d| d.dose.protocol_id == Some(1)));
        assert_eq!(a.protocol_events.len(), 2);
        assert_eq!(a.protocols[0].protocol.dose.mg, Some(18.75));
        let phq: Vec<u32> = a
            .assessments
            .iter()
            .filter(|x| x.assessment.instrument == "phq9")
            .map(|x| x.assessment.total)
            .collect();
        assert_eq!(phq.len(), 4);
        assert!(phq[0] > phq[3], "{phq:?}");
        assert!(a.assessments.iter().all(|x| {
            let i = instrument(&x.assessment.instrument);
            i.is_some_and(|i| {
                x.assessment
                    .answers
                    .iter()
                    .map(|v| u32::from(*v))
                    .sum::<u32>()
                    == x.assessment.total
                    && i.band(x.assessment.total) == x.assessment.band
            })
        }));
        assert!(
            a.assessments
                .iter()
                .filter(|x| x.assessment.instrument == "phq9")
                .all(|x| x.assessment.answers[8] == 0)
        );
        assert_eq!(a.vitals.len(), 20);
    }

    #[test]
    fn long_demo_refills() {
        let j = demo_journal(&now(), 365 * 5, 1);
        assert!(j.doses.len() > 600);
        assert!(
            j.stock_events
                .iter()
                .any(|e| e.reason.as_deref() == Some("refill"))
        );
        assert!(j.stocks[0].stock.remaining >= 0.0);
        assert_eq!(j.validate(), Ok(()));
    }
}
