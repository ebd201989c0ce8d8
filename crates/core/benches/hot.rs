//! Criterion micro-benchmarks of the pure functions on the hot paths, on the deterministic
//! 5-year history (`generator::history`): the safety check every dose runs (`preflight`, with
//! the 70 days of history the CLI and web app give it), the dose-expression parser, and the
//! insights over five years. `cargo bench -p dosewise-core`; results in docs/BENCHMARKS.md.

use criterion::{Criterion, criterion_group, criterion_main};
use dosewise_core::dose::{DoseInput, prepare_dose};
use dosewise_core::dose_expr::parse_quantity;
use dosewise_core::jiff::{SignedDuration, Timestamp};
use dosewise_core::safety::{Preflight, preflight};
use std::hint::black_box;

fn benches(c: &mut Criterion) {
    let tz = dosewise_core::when::zone("Europe/Berlin")
        .unwrap_or(dosewise_core::jiff::tz::TimeZone::UTC);
    let now: Timestamp = "2026-11-28T11:00:00Z"
        .parse()
        .unwrap_or(Timestamp::UNIX_EPOCH);
    let j = dosewise_core::generator::history(&now.to_zoned_datetime(tz.clone()), 5, 42);
    let since = |days: i64| {
        now.checked_sub(SignedDuration::from_hours(24 * days))
            .unwrap_or(now)
    };
    let history: Vec<_> = j
        .doses
        .iter()
        .filter(|d| d.dose.at >= since(70))
        .cloned()
        .collect();
    let checkins: Vec<_> = j
        .checkins
        .iter()
        .filter(|c| c.checkin.at >= since(100))
        .cloned()
        .collect();
    let vitals: Vec<_> = j
        .vitals
        .iter()
        .filter(|v| v.vitals.at >= since(1))
        .cloned()
        .collect();
    let assessments: Vec<_> = j
        .assessments
        .iter()
        .filter(|a| a.assessment.at >= since(100))
        .cloned()
        .collect();
    let protocol = j.protocols.last();
    let stock = j.stocks.last();
    let dose = parse_quantity("1 troche").ok().and_then(|q| {
        prepare_dose(
            DoseInput {
                entered: "1 troche".into(),
                quantity: q,
                route: None,
                at: now,
                zone: "Europe/Berlin".into(),
                note: None,
                salt: None,
                substance: None,
                protocol_id: protocol.map(|p| p.id),
            },
            stock,
            None,
            now,
        )
        .ok()
    });
    let Some(dose) = dose else {
        panic!("the benchmark dose could not be prepared");
    };
    c.bench_function("preflight (70 days of history)", |b| {
        b.iter(|| {
            preflight(black_box(&Preflight {
                dose: &dose,
                now,
                tz: &tz,
                protocol,
                history: &history,
                checkins: &checkins,
                meds: &[],
                uses: &j.substance_uses,
                vitals: &vitals,
                clearances: &[],
                screen: &[],
                assessments: &assessments,
                crisis_line: None,
            }))
        })
    });
    c.bench_function("parse_quantity", |b| {
        b.iter(|| parse_quantity(black_box("1 1/2 troches")))
    });
    let from = "2021-11-28"
        .parse()
        .unwrap_or(now.to_zoned_datetime(tz.clone()).date());
    let to = now.to_zoned_datetime(tz.clone()).date();
    c.bench_function("insights (5 years)", |b| {
        b.iter(|| {
            dosewise_core::insights::insights(
                black_box(&j.doses),
                &j.checkins,
                &j.assessments,
                &j.substance_uses,
                from,
                to,
            )
        })
    });
}

criterion_group!(hot, benches);
criterion_main!(hot);
