//! Periods ("--from/--to", a form's from and to): parsing, defaults, refusing reversed ones.

use crate::{Result, input};
use dosewise_core::jiff::civil::Date;
use dosewise_core::jiff::tz::TimeZone;
use dosewise_core::jiff::{Span, Timestamp};
use dosewise_store::Window;

/// A calendar date "YYYY-MM-DD", refusing impossible ones with a clear message.
pub fn parse_date(what: &str, s: &str) -> Result<Date> {
    s.trim().parse::<Date>().map_err(|e| {
        input(format!(
            "{what} {s:?} is not a real date (use YYYY-MM-DD): {e}"
        ))
    })
}

/// A period: `to` defaults to `today`, `from` to `default_from(to)`; empty text counts as not
/// given; a period that ends before it starts is refused.
pub fn period(
    from: Option<&str>,
    to: Option<&str>,
    today: Date,
    default_from: impl FnOnce(Date) -> Result<Date>,
) -> Result<(Date, Date)> {
    let to = match to.filter(|s| !s.trim().is_empty()) {
        Some(s) => parse_date("the end of the period (to)", s)?,
        None => today,
    };
    let from = match from.filter(|s| !s.trim().is_empty()) {
        Some(s) => parse_date("the start of the period (from)", s)?,
        None => default_from(to)?,
    };
    if from > to {
        return Err(input(format!(
            "the period starts ({from}) after it ends ({to}); give the earlier date as the start (from)"
        )));
    }
    Ok((from, to))
}

/// `days` days before `to`, the default start of a period.
pub fn days_before(to: Date, days: i64) -> Result<Date> {
    to.checked_sub(Span::new().days(days)).map_err(input)
}

/// The start of local day `d` in `tz`.
pub fn day_start(d: Date, tz: &TimeZone) -> Result<Timestamp> {
    d.to_zoned_datetime(tz.clone())
        .and_then(|z| z.start_of_day())
        .map(|z| z.timestamp())
        .map_err(|e| input(format!("date {d} out of range: {e}")))
}

/// The store window holding local dates `from` to `to` inclusive.
pub fn window(from: Date, to: Date, tz: &TimeZone, include_deleted: bool) -> Result<Window> {
    let end = to.tomorrow().map_err(input)?;
    Ok(Window {
        from: Some(day_start(from, tz)?),
        to: Some(day_start(end, tz)?),
        include_deleted,
    })
}
