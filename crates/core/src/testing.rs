//! Fixtures shared by the test suites of every crate (enabled by the `testing` feature).
//! Not part of the program: nothing outside tests calls these.
#![allow(clippy::missing_panics_doc)]

use crate::dose_expr::Quantity;
use crate::preparation::{Form, Preparation, SupplyUnit};
use crate::protocol::{Cycle, DoseTarget, Limits, NewProtocol, Pattern, Protocol, Status};
use crate::route::{Route, Substance};
use crate::salt::Salt;
use crate::stock::{NewStock, Stock};
use crate::units::{Milligrams, Millilitres};
use jiff::Timestamp;
use jiff::civil::{Date, Time};

/// A calendar date from `YYYY-MM-DD`.
pub fn date(s: &str) -> Date {
    s.parse().unwrap_or_else(|e| panic!("{s}: {e}"))
}

/// A positive amount in mg.
pub fn mg(v: f64) -> Milligrams {
    Milligrams::positive(v).unwrap_or_else(|e| panic!("{v} mg: {e}"))
}

/// A positive volume in mL.
pub fn ml(v: f64) -> Millilitres {
    Millilitres::positive(v).unwrap_or_else(|e| panic!("{v} mL: {e}"))
}

/// An instant from RFC 3339 text.
pub fn ts(s: &str) -> Timestamp {
    s.parse().unwrap_or_else(|e| panic!("{s}: {e}"))
}

/// A stock of 25 mg HCl troches, `count` dispensed and on hand.
pub fn troche_new_stock(name: &str, count: f64) -> NewStock {
    NewStock {
        name: name.into(),
        preparation: Preparation {
            substance: Substance::Ketamine,
            salt: Salt::Hcl,
            form: Form::Troche {
                strength_mg: Milligrams::positive(25.0).unwrap_or_else(|e| panic!("{e}")),
            },
        },
        default_route: Route::Sublingual,
        supply_unit: SupplyUnit::Troche,
        dispensed: Some(count),
        remaining: count,
        lot: None,
        expiry: None,
        opened: None,
        note: None,
        created_at: ts("2026-11-01T00:00:00Z"),
    }
}

/// The same as a stored, active stock with `id`.
pub fn troche_stock(id: i64, count: f64) -> Stock {
    Stock {
        id,
        stock: troche_new_stock("Troche 25", count),
        retired_at: None,
        retire_reason: None,
    }
}

/// A logged dose of `mg` ketamine base (sublingual, UTC), with id `id`.
pub fn dose(id: i64, at: Timestamp, mg: f64) -> crate::dose::Dose {
    crate::dose::Dose {
        id,
        dose: crate::dose::NewDose {
            entered: format!("{mg} mg"),
            quantity: crate::dose_expr::Quantity::Mg(
                Milligrams::positive(mg).unwrap_or_else(|e| panic!("{e}")),
            ),
            dose_mg: mg,
            salt: Salt::Base,
            dose_mg_base: mg,
            ..crate::dose::NewDose::nominal(at, "UTC", Substance::Ketamine, Route::Sublingual, None)
        },
        created_at: at,
        updated_at: None,
        deleted_at: None,
    }
}

/// A check-in (UTC) with the given ratings and tags, with id `id`.
pub fn checkin(
    id: i64,
    at: Timestamp,
    ratings: crate::checkin::Ratings,
    tags: &[&str],
) -> crate::checkin::Checkin {
    crate::checkin::Checkin {
        id,
        checkin: crate::checkin::NewCheckin {
            at,
            zone: "UTC".into(),
            ratings,
            side_effects: vec![],
            craving: None,
            urinary: vec![],
            note: None,
            tags: tags.iter().map(|t| t.to_string()).collect(),
            private: false,
            guess: None,
        },
        created_at: at,
        updated_at: None,
        deleted_at: None,
    }
}

/// A current protocol (id 1) with `pattern` from `start`, 12.5 mg at 08:00 Berlin, no limits.
pub fn protocol(pattern: Pattern, start: Date, cycle: Option<Cycle>) -> Protocol {
    Protocol {
        id: 1,
        protocol: NewProtocol {
            name: "test".into(),
            substance: Substance::Ketamine,
            pattern,
            start,
            end: None,
            time: Time::new(8, 0, 0, 0).unwrap_or(Time::midnight()),
            zone: "Europe/Berlin".into(),
            dose: DoseTarget {
                entered: "12.5 mg".into(),
                quantity: Quantity::Mg(Milligrams::positive(12.5).unwrap_or(Milligrams::zero())),
                mg: Some(12.5),
            },
            stock_id: None,
            route: None,
            cycle,
            titration: None,
            limits: Limits::default(),
            checkin_time: None,
            require_bp: false,
            require_sitter: false,
            note: None,
        },
        status: Status::Active,
        pauses: vec![],
        created_at: Timestamp::UNIX_EPOCH,
        ended_at: None,
    }
}

/// A planned blinded trial over `design` with the given block orders: container codes C0000,
/// C0001, … and each day's sealed bytes standing in for age files (the store keeps them as they
/// are); key holder "me", no stock.
pub fn trial(
    design: crate::trial::Design,
    orders: &[bool],
    outcome: &str,
) -> crate::trial_record::NewTrial {
    use crate::trial_record::{NewTrial, Outcome, SealedDay};
    let days = design
        .schedule(orders)
        .into_iter()
        .filter(|d| d.condition.is_some())
        .enumerate()
        .map(|(i, d)| SealedDay {
            date: d.date,
            block: d.block,
            code: format!("C{i:04}"),
            sealed: vec![0, 255, i as u8, b'\'', b'"'],
        })
        .collect();
    NewTrial {
        design,
        outcome: Outcome::parse(outcome).unwrap_or_else(|e| panic!("{e}")),
        smallest_change: 1.0,
        dose: "1/2 troche".into(),
        stock_id: None,
        key_holder: "me".into(),
        recipient: "age1qqqq".into(),
        days,
        allocation: (0..=255).collect(),
        note: None,
    }
}
