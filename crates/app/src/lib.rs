//! The operations every surface runs the same way — the CLI prints their results, the web app
//! renders them — so a verdict, a conversion or today's overview is computed once:
//!
//! - [`dose`]: turn what a person typed into a prepared dose (stock, protocol, route, time),
//!   run the safety check, and log it or refuse it (an override needs a reason, kept with the
//!   dose);
//! - [`safety`]: gather what the preflight check reads from the store and run it;
//! - [`checkin`]: ratings, side effects, urinary symptoms, note, tags;
//! - [`today`]: the day at a glance.
//!
//! Generic over [`dosewise_store::Store`]; no printing, no clock (the caller passes "now").

pub mod backup;
pub mod calc;
pub mod calendar;
pub mod checkin;
pub mod dose;
pub mod files;
pub mod home;
pub mod info;
pub mod insights;
pub mod interop;
pub mod pdf;
pub mod period;
pub mod profile;
pub mod protocol;
pub mod records;
pub mod report;
pub mod review;
pub mod safety;
pub mod screen;
pub mod share;
pub mod stock;
pub mod today;
pub mod token;
pub mod transfer;
pub mod trial;

use dosewise_core::jiff::tz::TimeZone;
use dosewise_core::profile::Profile;
use dosewise_core::when;
use dosewise_store::StoreError;
use std::fmt;

/// What went wrong, split the way every surface reports it.
#[derive(Debug, thiserror::Error)]
pub enum AppError {
    /// The person can fix it by entering something else; nothing was written.
    #[error("{0}")]
    Input(String),
    /// What was asked for does not exist (a dose, stock or protocol id): the web answers 404.
    #[error("{0}")]
    NotFound(String),
    /// Not possible in the record's present state (a deleted dose, an ended protocol, a name
    /// taken, not enough in stock): the web answers 409.
    #[error("{0}")]
    Conflict(String),
    /// The store failed (I/O, database).
    #[error("{0}")]
    Store(StoreError),
    /// Something else failed while running (a file, a program).
    #[error("{0}")]
    Runtime(String),
    /// Another server this depends on (the clinic's) cannot be reached now; try again later.
    #[error("{0}")]
    Unavailable(String),
}

impl From<StoreError> for AppError {
    fn from(e: StoreError) -> Self {
        match e {
            e if e.is_backend() => AppError::Store(e),
            e @ StoreError::NotFound { .. } => AppError::NotFound(e.to_string()),
            e @ (StoreError::Deleted { .. }
            | StoreError::DuplicateName(_)
            | StoreError::InsufficientStock { .. }
            | StoreError::ImportConflicts(_)) => AppError::Conflict(e.to_string()),
            e => AppError::Input(e.to_string()),
        }
    }
}

/// A conflict with the record's present state, from anything displayable.
pub fn conflict(e: impl fmt::Display) -> AppError {
    AppError::Conflict(e.to_string())
}

/// An input error from anything displayable.
pub fn input(e: impl fmt::Display) -> AppError {
    AppError::Input(e.to_string())
}

pub type Result<T, E = AppError> = std::result::Result<T, E>;

/// The zone to use: an explicit one (a flag, a form field), else the profile's, else the
/// system's (UTC when the system's has no IANA name).
pub fn zone(explicit: Option<&str>, profile: Option<&Profile>) -> Result<TimeZone> {
    if let Some(z) = explicit {
        return when::zone(z).map_err(input);
    }
    if let Some(p) = profile {
        return when::zone(&p.zone).map_err(input);
    }
    Ok(system_zone())
}

/// A time as typed ("21:00", "-2h", "yesterday 21:00", RFC 3339), read in `tz` relative to
/// `now`; absent or empty means now.
pub fn instant(
    at: Option<&str>,
    tz: &TimeZone,
    now: dosewise_core::jiff::Timestamp,
) -> Result<dosewise_core::jiff::Timestamp> {
    match at.map(str::trim).filter(|s| !s.is_empty()) {
        Some(s) => Ok(when::parse_when(s, &now.to_zoned_datetime(tz.clone()))
            .map_err(input)?
            .instant),
        None => Ok(now),
    }
}

/// The system zone if it has an IANA name, otherwise UTC.
pub fn system_zone() -> TimeZone {
    let tz = TimeZone::system();
    if tz.iana_name().is_some() {
        tz
    } else {
        TimeZone::UTC
    }
}
