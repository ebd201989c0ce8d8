//! The calendar feed: an RFC 5545 iCalendar document of planned doses (each with a reminder
//! alarm), cycle breaks and daily check-in reminders, so any calendar app becomes the reminder
//! system.
//!
//! Instants are written in UTC (`DTSTART:20261201T070000Z`), each computed for its own local
//! date by [`dosewise_core::schedule::slot`], so every event sits on its intended local day whatever
//! the DST rules; breaks are all-day events (`VALUE=DATE`). By default event titles are
//! discreet ("Planned dose") because calendars are often synced to cloud services or shared;
//! `detailed` adds the amount and the protocol's name.

use dosewise_core::jiff::Timestamp;
use dosewise_core::jiff::civil::{Date, Time};
use dosewise_core::jiff::tz::TimeZone;
use dosewise_core::protocol::{Pattern, Protocol};
use dosewise_core::schedule::{cycle_position, planned_dates, slot};

#[derive(Debug, Clone)]
pub struct CalendarOptions {
    /// First day of the feed.
    pub from: Date,
    /// Number of days covered.
    pub days: u32,
    /// Zone in which local times are placed (where the person is).
    pub tz: TimeZone,
    /// Minutes before a planned dose that the reminder fires.
    pub reminder_minutes: u32,
    /// Include amounts and protocol names in titles.
    pub detailed: bool,
    /// Daily check-in reminder time, if wanted; questionnaire reminders use the same time.
    pub checkin_time: Option<Time>,
    /// Creation stamp (DTSTAMP).
    pub now: Timestamp,
}

/// Escape a TEXT value (RFC 5545 §3.3.11).
fn text(s: &str) -> String {
    s.replace('\\', "\\\\")
        .replace(';', "\\;")
        .replace(',', "\\,")
        .replace('\n', "\\n")
        .replace('\r', "")
}

/// Fold a content line at 75 octets (RFC 5545 §3.1), never inside a UTF-8 sequence.
fn fold(line: &str, out: &mut String) {
    let mut width = 0;
    for ch in line.chars() {
        let n = ch.len_utf8();
        if width + n > 75 {
            out.push_str("\r\n ");
            width = 1;
        }
        out.push(ch);
        width += n;
    }
    out.push_str("\r\n");
}

fn utc(ts: Timestamp) -> String {
    ts.strftime("%Y%m%dT%H%M%SZ").to_string()
}

fn date_value(d: Date) -> String {
    d.strftime("%Y%m%d").to_string()
}

/// Build the iCalendar document.
pub fn calendar(protocols: &[Protocol], o: &CalendarOptions) -> String {
    let mut lines: Vec<String> = vec![
        "BEGIN:VCALENDAR".into(),
        "VERSION:2.0".into(),
        "PRODID:-//Dosewise//Dosewise calendar feed//EN".into(),
        "CALSCALE:GREGORIAN".into(),
        "METHOD:PUBLISH".into(),
        "X-WR-CALNAME:Dosewise plan".into(),
    ];
    let stamp = utc(o.now);
    let to = o
        .from
        .checked_add(jiff::Span::new().days(i64::from(o.days.max(1)) - 1))
        .unwrap_or(o.from);
    for p in protocols {
        let x = &p.protocol;
        if matches!(x.pattern, Pattern::AsNeeded { .. }) {
            continue;
        }
        for day in planned_dates(p, o.from, to) {
            let start = slot(p, day, &o.tz);
            let title = if o.detailed {
                format!("Planned dose: {} ({})", x.dose.entered, x.name)
            } else {
                "Planned dose".to_string()
            };
            lines.extend([
                "BEGIN:VEVENT".into(),
                format!("UID:dose-{}-{}@dosewise", p.id, date_value(day)),
                format!("DTSTAMP:{stamp}"),
                format!("DTSTART:{}", utc(start)),
                "DURATION:PT15M".into(),
                format!("SUMMARY:{}", text(&title)),
                "DESCRIPTION:Planned in Dosewise. Log it in Dosewise when taken. Not a reason to take a dose you do not need; skip it if unsure and talk to your clinician.".to_string(),
                "CATEGORIES:Dosewise".into(),
                "TRANSP:TRANSPARENT".into(),
                "BEGIN:VALARM".into(),
                "ACTION:DISPLAY".into(),
                format!("TRIGGER:-PT{}M", o.reminder_minutes),
                format!("DESCRIPTION:{}", text(&title)),
                "END:VALARM".into(),
                "END:VEVENT".into(),
            ]);
        }
        // Breaks: one all-day event per break period overlapping the window.
        if x.cycle.is_some() {
            let mut d = o.from;
            while d <= to {
                if let Some(c) = cycle_position(p, d).filter(|c| c.in_break) {
                    let first = d
                        .checked_sub(jiff::Span::new().days(i64::from(c.day) - 1))
                        .unwrap_or(d);
                    let end = first
                        .checked_add(jiff::Span::new().days(i64::from(c.phase_days)))
                        .unwrap_or(d);
                    lines.extend([
                        "BEGIN:VEVENT".into(),
                        format!("UID:break-{}-{}@dosewise", p.id, date_value(first)),
                        format!("DTSTAMP:{stamp}"),
                        format!("DTSTART;VALUE=DATE:{}", date_value(first)),
                        format!("DTEND;VALUE=DATE:{}", date_value(end)),
                        format!(
                            "SUMMARY:{}",
                            text(&if o.detailed {
                                format!("Break: no planned doses ({})", x.name)
                            } else {
                                "Break: no planned doses".into()
                            })
                        ),
                        "TRANSP:TRANSPARENT".into(),
                        "END:VEVENT".into(),
                    ]);
                    d = end;
                    continue;
                }
                match d.tomorrow() {
                    Ok(n) => d = n,
                    Err(_) => break,
                }
            }
        }
    }
    if let Some(t) = o.checkin_time {
        let mut d = o.from;
        while d <= to {
            let at =
                o.tz.to_ambiguous_timestamp(d.to_datetime(t))
                    .compatible()
                    .unwrap_or(o.now);
            lines.extend([
                "BEGIN:VEVENT".into(),
                format!("UID:checkin-{}@dosewise", date_value(d)),
                format!("DTSTAMP:{stamp}"),
                format!("DTSTART:{}", utc(at)),
                "DURATION:PT5M".into(),
                "SUMMARY:Check-in".into(),
                "DESCRIPTION:How was today? A Dosewise check-in takes a minute.".into(),
                "TRANSP:TRANSPARENT".into(),
                "BEGIN:VALARM".into(),
                "ACTION:DISPLAY".into(),
                "TRIGGER:PT0M".into(),
                "DESCRIPTION:Check-in".into(),
                "END:VALARM".into(),
                "END:VEVENT".into(),
            ]);
            match d.tomorrow() {
                Ok(n) => d = n,
                Err(_) => break,
            }
        }
    }
    // Questionnaire reminders on their cadence (weekly PHQ-9 and GAD-7, monthly bladder and
    // use questions), starting on the first day of the feed.
    if let Some(t) = o.checkin_time {
        for (k, i) in dosewise_core::questionnaire::instruments()
            .iter()
            .enumerate()
        {
            let mut d = o.from;
            while d <= to {
                let at =
                    o.tz.to_ambiguous_timestamp(d.to_datetime(t))
                        .compatible()
                        .unwrap_or(o.now);
                lines.extend([
                    "BEGIN:VEVENT".into(),
                    // The UID names no instrument either (calendar files are often shared).
                    format!("UID:assess-{k}-{}@dosewise", date_value(d)),
                    format!("DTSTAMP:{stamp}"),
                    format!("DTSTART:{}", utc(at)),
                    "DURATION:PT10M".into(),
                    // Discreet by default, like the titles: no instrument's name or subject.
                    if o.detailed {
                        format!("SUMMARY:{}", text(&format!("Questionnaire: {}", i.name)))
                    } else {
                        "SUMMARY:Questionnaire".into()
                    },
                    if o.detailed {
                        format!(
                            "DESCRIPTION:{}",
                            text(&format!("Dosewise questionnaire {} ({})", i.id, i.title))
                        )
                    } else {
                        "DESCRIPTION:A short questionnaire is due in Dosewise.".into()
                    },
                    "TRANSP:TRANSPARENT".into(),
                    "END:VEVENT".into(),
                ]);
                match d.checked_add(jiff::Span::new().days(i64::from(i.cadence_days))) {
                    Ok(n) => d = n,
                    Err(_) => break,
                }
            }
        }
    }
    lines.push("END:VCALENDAR".into());
    let mut out = String::new();
    for l in &lines {
        fold(l, &mut out);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use dosewise_core::protocol::Cycle;

    #[test]
    fn folding_and_escaping() {
        let mut out = String::new();
        fold(&"é".repeat(60), &mut out);
        for line in out.split("\r\n").filter(|l| !l.is_empty()) {
            assert!(line.len() <= 75, "{} octets", line.len());
        }
        assert_eq!(text("a,b;c\\d\ne"), "a\\,b\\;c\\\\d\\ne");
    }

    #[test]
    fn events_for_doses_breaks_and_checkins() {
        let p = dosewise_core::testing::protocol(
            Pattern::EveryNDays { n: 3 },
            "2026-12-01".parse().unwrap_or_default(),
            Some(Cycle {
                on_days: 7,
                break_days: 3,
            }),
        );
        let o = CalendarOptions {
            from: "2026-12-01".parse().unwrap_or_default(),
            days: 14,
            tz: dosewise_core::when::zone("Europe/Berlin").unwrap_or(TimeZone::UTC),
            reminder_minutes: 10,
            detailed: false,
            checkin_time: Time::new(21, 0, 0, 0).ok(),
            now: dosewise_core::testing::ts("2026-11-28T12:00:00Z"),
        };
        let ics = calendar(&[p], &o);
        // 5 doses, 1 break, 14 check-ins, and questionnaires: PHQ-9 and GAD-7 on days 1 and 8,
        // bladder and use questions on day 1.
        assert_eq!(
            ics.matches("BEGIN:VEVENT").count(),
            5 + 1 + 14 + 2 + 2 + 1 + 1
        );
        assert!(ics.contains("DTSTART:20261201T070000Z"));
        assert!(ics.contains("DTSTART;VALUE=DATE:20261208\r\nDTEND;VALUE=DATE:20261211"));
        assert!(ics.contains("TRIGGER:-PT10M"));
        assert!(!ics.contains("12.5"), "discreet titles by default");
        // Descriptions are as discreet as titles: nothing says what is taken or measured.
        for word in [
            "etamine",
            "depression",
            "anxiety",
            "substance",
            "PHQ",
            "GAD",
            "bladder",
        ] {
            assert!(!ics.contains(word), "discreet feed mentions {word:?}");
        }
        let detailed = calendar(
            &[dosewise_core::testing::protocol(
                dosewise_core::protocol::Pattern::EveryNDays { n: 3 },
                "2026-12-01".parse().unwrap_or_default(),
                None,
            )],
            &CalendarOptions {
                detailed: true,
                ..o
            },
        );
        assert!(
            detailed.contains("Questionnaire: PHQ-9"),
            "the detailed feed names them"
        );
        assert!(ics.ends_with("END:VCALENDAR\r\n"));
    }
}
