//! Fixtures shared by the test suites of every crate (enabled by the `testing` feature).
//! Not part of the program: nothing outside tests calls these.
#![allow(clippy::missing_panics_doc)]

use crate::preparation::{Form, Preparation, SupplyUnit};
use crate::route::{Route, Substance};
use crate::salt::Salt;
use crate::stock::{NewStock, Stock};
use crate::units::Milligrams;
use jiff::Timestamp;

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
        },
        created_at: at,
    }
}
