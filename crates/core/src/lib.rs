//! Dosewise core: the domain of a low-dose ketamine journal as types and pure functions.
//!
//! Nothing here touches a disk, a clock or a network: "now" and the time zone are arguments.
//! The store persists these types; the surfaces (CLI, web) show them. Decisions — how an amount
//! becomes milligrams, whether an entry is plausible, what a stock's status is — are made here,
//! once, so every surface says the same thing.

pub mod adherence;
pub mod checkin;
pub mod deidentify;
pub mod dose;
pub mod dose_expr;
pub mod exposure;
pub mod fhir;
pub mod incoming;
pub mod insights;
pub mod interaction;
pub mod journal;
mod kb;
pub mod knowledge;
pub mod medication;
pub mod plausible;
pub mod preparation;
pub mod prescription;
pub mod profile;
pub mod protocol;
pub mod pw_journal;
pub mod questionnaire;
pub mod random;
pub mod route;
pub mod rules;
pub mod safety;
#[cfg(test)]
mod safety_tests;
pub mod salt;
pub mod schedule;
pub mod screen;
pub mod share;
pub mod spreadsheet;
pub mod stock;
#[cfg(any(test, feature = "testing"))]
pub mod testing;
pub mod text;
pub mod titration;
pub mod trends;
pub mod trial;
pub mod trial_record;
pub mod units;
pub mod vitals;
pub mod volumetric;
pub mod when;

pub use jiff;
