//! `dosewise calendar`: the plan as an iCalendar (.ics) file for any calendar app.

use super::export::write_private;
use crate::context::Ctx;
use crate::error::{CliResult, input};
use dosewise_app::calendar::{CheckinReminder, FeedOptions, feed};
use dosewise_core::jiff::civil::Time;
use std::path::PathBuf;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Write to this file (owner-only permissions) instead of stdout.
    #[arg(long)]
    out: Option<PathBuf>,
    /// Replace --out if it exists.
    #[arg(long)]
    force: bool,
    /// How many days ahead.
    #[arg(long, default_value_t = 90, value_parser = clap::value_parser!(u32).range(1..=730))]
    days: u32,
    /// Minutes before a planned dose that the reminder fires.
    #[arg(long, default_value_t = 10, value_parser = clap::value_parser!(u32).range(0..=1440))]
    reminder: u32,
    /// Put amounts and protocol names in event titles. Off by default: calendars are often
    /// synced to cloud services or shared with others.
    #[arg(long)]
    detailed: bool,
    /// Daily check-in reminder time (default: the protocol's, else 21:00); "none" for none.
    #[arg(long)]
    checkin_time: Option<String>,
}

impl Args {
    pub async fn run(self, ctx: &Ctx) -> CliResult {
        let checkin = match self.checkin_time.as_deref() {
            Some("none") => CheckinReminder::Off,
            Some(t) => CheckinReminder::At(
                t.parse::<Time>()
                    .map_err(|e| input(format!("--checkin-time {t:?}: {e}")))?,
            ),
            None => CheckinReminder::Plan,
        };
        let o = FeedOptions {
            days: self.days,
            reminder_minutes: self.reminder,
            detailed: self.detailed,
            checkin,
        };
        let store = ctx.open().await?;
        let tz = ctx.zone_of(&store).await?;
        let ics = feed(&*store, ctx.now, tz, &o).await?;
        match &self.out {
            Some(path) => {
                write_private(path, ics.as_bytes(), self.force)?;
                let events = ics.matches("BEGIN:VEVENT").count();
                if ctx.json {
                    return crate::output::json(
                        &serde_json::json!({ "out": path, "events": events }),
                    );
                }
                eprintln!(
                    "Wrote {} ({events} events over {} days). Import it into your calendar app.",
                    path.display(),
                    self.days
                );
            }
            None => {
                crate::output::write_raw(ics.as_bytes());
            }
        }
        Ok(())
    }
}
