//! `dosewise screen`: the health screen — show the answers and when the screen is due, answer
//! it again (every 6 months), or update one answer (pregnancy, whenever it changes).

use crate::context::Ctx;
use crate::error::{CliResult, input};
use crate::output;
use dosewise_core::profile::Profile;
use dosewise_core::safety::Severity;
use dosewise_core::screen::{RECHECK_DAYS, due, question, questions};
use dosewise_store::Store;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Answer the whole screen again: a condition that applies to you (repeat for several;
    /// `dosewise info screen` lists the codes).
    #[arg(long = "condition", value_name = "CODE", conflicts_with_all = ["none", "add", "remove"])]
    conditions: Vec<String>,
    /// Answer the whole screen again: none of its conditions applies to you.
    #[arg(long, conflicts_with_all = ["add", "remove"])]
    none: bool,
    /// One condition now applies (e.g. `--add pregnancy`); the other answers stay.
    #[arg(long, value_name = "CODE", conflicts_with = "remove")]
    add: Option<String>,
    /// One condition no longer applies; the other answers stay.
    #[arg(long, value_name = "CODE")]
    remove: Option<String>,
    /// Ask each question in the terminal.
    #[arg(long, conflicts_with_all = ["conditions", "none", "add", "remove"])]
    ask: bool,
}

/// Ask the screen questions on a terminal; `None` if stdin is not one.
pub fn ask() -> CliResult<Option<Vec<String>>> {
    use std::io::{BufRead, IsTerminal, Write};
    if !std::io::stdin().is_terminal() {
        return Ok(None);
    }
    let mut yes = Vec::new();
    let mut err = std::io::stderr();
    let _ = writeln!(
        err,
        "A short health screen (answers stay on this computer). Answer y or n."
    );
    for q in questions() {
        loop {
            let _ = write!(err, "  {} [y/n] ", q.question);
            let _ = err.flush();
            let mut line = String::new();
            if std::io::stdin().lock().read_line(&mut line)? == 0 {
                return Ok(Some(yes));
            }
            match line.trim().to_ascii_lowercase().as_str() {
                "y" | "yes" => {
                    yes.push(q.code.clone());
                    break;
                }
                "n" | "no" => break,
                _ => {
                    let _ = writeln!(err, "    please answer y or n");
                }
            }
        }
    }
    Ok(Some(yes))
}

/// The answers in a few lines: each yes with its date and what it does to a dose.
pub fn print(p: &Profile, now: dosewise_core::jiff::Timestamp) {
    let tz = dosewise_core::when::zone(&p.zone).unwrap_or(dosewise_core::jiff::tz::TimeZone::UTC);
    match p.screened_at {
        Some(t) => crate::outln!(
            "Health screen last answered on {}{}.",
            t.to_zoned_datetime(tz.clone()).date(),
            if due(Some(t), now) {
                " — due again now"
            } else {
                ""
            }
        ),
        None => crate::outln!(
            "The health screen has not been answered in full yet (`dosewise screen --ask`)."
        ),
    }
    if p.screen.is_empty() {
        crate::outln!("  no condition recorded");
    }
    for a in &p.screen {
        let q = question(&a.code);
        let level = q.map_or("caution", |q| match q.level {
            Severity::Refuse => "refuses doses until a clinician review is recorded",
            Severity::Warning => "a warning on every dose until reviewed",
            _ => "a caution on every dose until reviewed",
        });
        crate::outln!(
            "  {} (since {}): {}",
            a.code,
            a.since.map_or("an unknown date".into(), |t| t
                .to_zoned_datetime(tz.clone())
                .date()
                .to_string()),
            level
        );
    }
    crate::outln!(
        "Asked again every {RECHECK_DAYS} days; update pregnancy whenever it changes (`dosewise screen --add pregnancy`). A clinician review (`dosewise clear screen --note …`) covers the answers given before it."
    );
}

impl Args {
    pub async fn run(self, ctx: &Ctx) -> CliResult {
        let answers = if !self.conditions.is_empty() {
            Some(self.conditions.clone())
        } else if self.none {
            Some(vec![])
        } else if self.ask {
            Some(ask()?.ok_or_else(|| {
                input("--ask needs a terminal; give the answers with --condition CODE or --none")
            })?)
        } else {
            None
        };
        let store = ctx.open().await?;
        let p = match (answers, &self.add, &self.remove) {
            (Some(yes), _, _) => dosewise_app::screen::answer_all(&*store, &yes, ctx.now).await?,
            (None, Some(code), _) => {
                dosewise_app::screen::update(&*store, code, true, ctx.now).await?
            }
            (None, None, Some(code)) => {
                dosewise_app::screen::update(&*store, code, false, ctx.now).await?
            }
            (None, None, None) => store.profile().await?.ok_or_else(|| {
                input("there is no profile yet: create the journal first (`dosewise init`)")
            })?,
        };
        if ctx.json {
            return output::json(&serde_json::json!({
                "screen": p.screen, "screened_at": p.screened_at, "due": due(p.screened_at, ctx.now),
            }));
        }
        print(&p, ctx.now);
        Ok(())
    }
}
