//! The plan as an iCalendar feed, and the private link a calendar app subscribes to.

use crate::Result;
use dosewise_core::jiff::Timestamp;
use dosewise_core::jiff::civil::Time;
use dosewise_core::jiff::tz::TimeZone;
use dosewise_render::calendar::{CalendarOptions, calendar};
use dosewise_store::Store;

/// When the daily check-in reminder fires.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum CheckinReminder {
    /// The protocol's check-in time, else 21:00.
    #[default]
    Plan,
    /// No reminder.
    Off,
    At(Time),
}

/// What the feed holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FeedOptions {
    /// Days ahead from today.
    pub days: u32,
    /// Minutes before a planned dose that its reminder fires.
    pub reminder_minutes: u32,
    /// Amounts and protocol names in titles (off: calendars are often synced or shared).
    pub detailed: bool,
    pub checkin: CheckinReminder,
}

impl Default for FeedOptions {
    /// What the web feed and the calendar link serve: 90 days, discreet titles.
    fn default() -> Self {
        FeedOptions {
            days: 90,
            reminder_minutes: 10,
            detailed: false,
            checkin: CheckinReminder::Plan,
        }
    }
}

/// The feed of the current protocols from today (in `tz`) on.
pub async fn feed<S: Store>(
    store: &S,
    now: Timestamp,
    tz: TimeZone,
    o: &FeedOptions,
) -> Result<String> {
    let protocols = store.protocols(false).await?;
    let checkin_time = match o.checkin {
        CheckinReminder::Off => None,
        CheckinReminder::At(t) => Some(t),
        CheckinReminder::Plan => protocols
            .iter()
            .find_map(|p| p.protocol.checkin_time)
            .or(Time::new(21, 0, 0, 0).ok()),
    };
    let co = CalendarOptions {
        from: now.to_zoned_datetime(tz.clone()).date(),
        days: o.days,
        tz,
        reminder_minutes: o.reminder_minutes,
        detailed: o.detailed,
        checkin_time,
        now,
    };
    Ok(calendar(&protocols, &co))
}

/// The private subscription link. A calendar app cannot log in, so the person can make a link
/// `/calendar/<secret>.ics` that works without a session. The secret is 256 random bits kept
/// in [`crate::home::CALENDAR_LINK_FILE`] (mode 0600), read on every request so a new link or
/// its removal takes effect at once. Anyone holding the link sees the plan's dates (discreet
/// titles), so no link exists until the person asks for one, and a new one replaces the old.
pub mod link {
    use crate::home::CALENDAR_LINK_FILE;
    use crate::token::{is_token as is_secret, same};
    use crate::{AppError, Result};
    use std::path::{Path, PathBuf};

    fn path(home: &Path) -> PathBuf {
        home.join(CALENDAR_LINK_FILE)
    }

    /// The current secret, if a link was made (and the file holds a well-formed one).
    pub fn current(home: &Path) -> Option<String> {
        let s = std::fs::read_to_string(path(home)).ok()?;
        let s = s.trim();
        is_secret(s).then(|| s.to_string())
    }

    /// Whether `file` (the last path segment, `<secret>.ics`) names the current link.
    pub fn matches(home: &Path, file: &str) -> bool {
        let Some(given) = file.strip_suffix(".ics") else {
            return false;
        };
        current(home).is_some_and(|s| is_secret(given) && same(&s, given))
    }

    /// Make a new link (replacing any old one) and return its secret.
    pub fn renew(home: &Path) -> Result<String> {
        let secret = crate::token::random()?;
        crate::files::write_private(&path(home), format!("{secret}\n").as_bytes(), true)?;
        Ok(secret)
    }

    /// Remove the link: the old address stops working.
    pub fn remove(home: &Path) -> Result<()> {
        match std::fs::remove_file(path(home)) {
            Ok(()) => Ok(()),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
            Err(e) => Err(AppError::Runtime(format!(
                "could not remove {}: {e}",
                path(home).display()
            ))),
        }
    }

    #[cfg(test)]
    mod tests {
        use super::*;

        #[test]
        fn a_link_exists_only_once_made_and_a_new_one_replaces_it() {
            let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
            let home = dir.path();
            assert_eq!(current(home), None);
            assert!(!matches(home, &format!("{}.ics", "a".repeat(64))));
            let first = renew(home).unwrap_or_else(|e| panic!("{e}"));
            assert!(is_secret(&first));
            assert!(matches(home, &format!("{first}.ics")));
            assert!(
                !matches(home, &first),
                "the .ics suffix is part of the address"
            );
            assert!(!matches(home, ".ics"));
            assert!(!matches(home, &format!("{}.ics", first.to_uppercase())));
            #[cfg(unix)]
            {
                use std::os::unix::fs::PermissionsExt;
                let mode = std::fs::metadata(path(home))
                    .map(|m| m.permissions().mode() & 0o777)
                    .unwrap_or(0);
                assert_eq!(mode, 0o600);
            }
            let second = renew(home).unwrap_or_else(|e| panic!("{e}"));
            assert_ne!(first, second);
            assert!(!matches(home, &format!("{first}.ics")));
            assert!(matches(home, &format!("{second}.ics")));
            remove(home).unwrap_or_else(|e| panic!("{e}"));
            assert!(!matches(home, &format!("{second}.ics")));
            remove(home).unwrap_or_else(|e| panic!("{e}"));
        }
    }
}
