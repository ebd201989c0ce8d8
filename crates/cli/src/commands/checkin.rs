//! `dosewise checkin`: ratings, side effects, urinary symptoms, craving, note, tags.

use crate::context::Ctx;
use crate::error::CliResult;
use crate::output;
use dosewise_app::checkin::{CheckinEdit, CheckinRequest};
use dosewise_core::checkin::{Checkin, SCALES};
use std::io::{BufRead, IsTerminal, Write};

const RATING_HELP: &str = "Ratings are 0-10. Anchors: mood 0 = worst imaginable, 10 = best imaginable; \
anxiety 0 = none, 10 = worst you have felt; energy 0 = exhausted, 10 = full of energy; focus 0 = cannot \
concentrate, 10 = sharp; sleep (last night) 0 = none/terrible, 10 = excellent; irritability 0 = none, \
10 = extreme; craving 0 = no wish to take more ketamine, 10 = overwhelming urge.";

#[derive(Debug, clap::Args)]
#[command(
    after_help = RATING_HELP,
    args_conflicts_with_subcommands = true,
    subcommand_negates_reqs = true
)]
pub struct Args {
    #[command(subcommand)]
    action: Option<Action>,
    /// 0 = worst imaginable, 10 = best imaginable.
    #[arg(long, allow_negative_numbers = true)]
    mood: Option<i64>,
    /// 0 = none, 10 = the worst you have felt.
    #[arg(long, allow_negative_numbers = true)]
    anxiety: Option<i64>,
    /// 0 = exhausted, 10 = full of energy.
    #[arg(long, allow_negative_numbers = true)]
    energy: Option<i64>,
    /// 0 = cannot concentrate at all, 10 = sharp and clear.
    #[arg(long, allow_negative_numbers = true)]
    focus: Option<i64>,
    /// Last night's sleep: 0 = none or terrible, 10 = excellent.
    #[arg(long, allow_negative_numbers = true)]
    sleep: Option<i64>,
    /// 0 = none, 10 = extreme.
    #[arg(long, allow_negative_numbers = true)]
    irritability: Option<i64>,
    /// 0 = no wish to take more ketamine, 10 = overwhelming urge.
    #[arg(long, allow_negative_numbers = true)]
    craving: Option<i64>,
    /// A side effect, optionally rated 0-10: "nausea", "dizziness=4". Repeat for several.
    #[arg(long = "side-effect", value_name = "NAME[=0-10]")]
    side_effects: Vec<String>,
    /// Urinary symptoms, comma-separated: frequency, urgency, pain, blood (not from a period),
    /// nocturia.
    #[arg(long, value_delimiter = ',')]
    urinary: Vec<String>,
    #[arg(long)]
    note: Option<String>,
    /// A tag such as "work" or "poor-sleep". Repeat for several.
    #[arg(long = "tag")]
    tags: Vec<String>,
    /// Keep this check-in out of anything shared (reports for a clinician).
    #[arg(long)]
    private: bool,
    /// When: "now" (default), "21:00", "yesterday 21:00", "-2h".
    #[arg(long, allow_hyphen_values = true)]
    at: Option<String>,
    /// During a blinded trial: what you think you took today.
    #[arg(long, value_enum)]
    guess: Option<GuessArg>,
    /// How sure of the guess: 1 (a pure guess) to 5 (certain).
    #[arg(long, requires = "guess")]
    sure: Option<u8>,
}

#[derive(Debug, Clone, Copy, clap::ValueEnum)]
pub enum GuessArg {
    Active,
    Placebo,
    DontKnow,
}

impl From<GuessArg> for dosewise_core::trial::Guess {
    fn from(g: GuessArg) -> Self {
        match g {
            GuessArg::Active => dosewise_core::trial::Guess::Active,
            GuessArg::Placebo => dosewise_core::trial::Guess::Placebo,
            GuessArg::DontKnow => dosewise_core::trial::Guess::DontKnow,
        }
    }
}

#[derive(Debug, clap::Subcommand)]
pub enum Action {
    /// Correct a check-in: what you give replaces what was recorded, --clear removes, the rest
    /// stays. The earlier version is kept.
    #[command(after_help = RATING_HELP)]
    Edit(Box<EditArgs>),
    /// Delete a check-in that was a mistake; it stays in the record, marked deleted, and leaves
    /// insights, trends, the safety check and the report.
    Delete {
        id: i64,
        #[arg(long)]
        reason: Option<String>,
    },
    /// Show one check-in with its corrections.
    Show { id: i64 },
}

#[derive(Debug, clap::Args)]
pub struct EditArgs {
    /// The check-in's number (as `dosewise history` shows it).
    id: i64,
    #[arg(long, allow_negative_numbers = true)]
    mood: Option<i64>,
    #[arg(long, allow_negative_numbers = true)]
    anxiety: Option<i64>,
    #[arg(long, allow_negative_numbers = true)]
    energy: Option<i64>,
    #[arg(long, allow_negative_numbers = true)]
    focus: Option<i64>,
    #[arg(long, allow_negative_numbers = true)]
    sleep: Option<i64>,
    #[arg(long, allow_negative_numbers = true)]
    irritability: Option<i64>,
    #[arg(long, allow_negative_numbers = true)]
    craving: Option<i64>,
    /// Replaces the side effects: "nausea", "dizziness=4". Repeat for several.
    #[arg(long = "side-effect", value_name = "NAME[=0-10]")]
    side_effects: Vec<String>,
    /// Replaces the urinary symptoms, comma-separated.
    #[arg(long, value_delimiter = ',')]
    urinary: Vec<String>,
    #[arg(long)]
    note: Option<String>,
    /// Replaces the tags. Repeat for several.
    #[arg(long = "tag")]
    tags: Vec<String>,
    /// Keep it out of anything shared.
    #[arg(long, conflicts_with = "shared")]
    private: bool,
    /// Let it into what is shared (the clinician report) again.
    #[arg(long)]
    shared: bool,
    /// A new time: "21:00", "yesterday 21:00", RFC 3339.
    #[arg(long, allow_hyphen_values = true)]
    at: Option<String>,
    /// Remove: mood, anxiety, energy, focus, sleep, irritability, craving, side_effects,
    /// urinary, note, tags (comma-separated or repeated).
    #[arg(long, value_delimiter = ',', value_name = "FIELD")]
    clear: Vec<String>,
    /// Why it changed (kept with the earlier version).
    #[arg(long)]
    reason: Option<String>,
}

impl Action {
    async fn run(self, ctx: &Ctx) -> CliResult {
        let store = ctx.open().await?;
        let tz = ctx.zone_of(&store).await?;
        match self {
            Action::Show { id } => {
                let (c, revisions) = dosewise_app::checkin::show(&*store, id).await?;
                if ctx.json {
                    return output::json(
                        &serde_json::json!({ "checkin": c, "revisions": revisions }),
                    );
                }
                print_checkin(&c, &tz);
                for r in &revisions {
                    let was = Checkin::new(c.id, r.previous.clone(), c.created_at);
                    crate::outln!(
                        "  {} at {}: was {} at {}{}",
                        r.action.as_str(),
                        output::local(r.at, &tz),
                        summary(&was),
                        output::local_in(r.previous.at, &r.previous.zone, &tz),
                        r.reason
                            .as_ref()
                            .map_or(String::new(), |x| format!(" — {x}"))
                    );
                }
                Ok(())
            }
            Action::Delete { id, reason } => {
                let c =
                    dosewise_app::checkin::delete(&*store, id, reason.as_deref(), ctx.now).await?;
                if ctx.json {
                    return output::json(&serde_json::json!({ "checkin": c }));
                }
                crate::outln!(
                    "Deleted check-in #{id} ({}); it stays in the record as deleted.",
                    summary(&c)
                );
                Ok(())
            }
            Action::Edit(args) => {
                let EditArgs {
                    id,
                    mood,
                    anxiety,
                    energy,
                    focus,
                    sleep,
                    irritability,
                    craving,
                    side_effects,
                    urinary,
                    note,
                    tags,
                    private,
                    shared,
                    at,
                    clear,
                    reason,
                } = *args;
                let some = |v: Vec<String>| (!v.is_empty()).then_some(v);
                let e = CheckinEdit {
                    mood,
                    anxiety,
                    energy,
                    focus,
                    sleep,
                    irritability,
                    craving,
                    side_effects: some(side_effects),
                    urinary: some(urinary),
                    note,
                    tags: some(tags),
                    private: (private || shared).then_some(private),
                    at,
                    zone: ctx.tz_flag().map(str::to_string),
                    // "side-effects" as the flag is spelled.
                    clear: clear.into_iter().map(|c| c.replace('-', "_")).collect(),
                    reason,
                };
                let done = dosewise_app::checkin::edit(&*store, id, &e, ctx.now).await?;
                if ctx.json {
                    return output::json(&done);
                }
                if done.changed {
                    crate::outln!("Corrected; the earlier version is kept.");
                } else {
                    crate::outln!("Nothing changed: that is what was recorded.");
                }
                print_checkin(&done.checkin, &tz);
                print_warnings(done.warnings);
                Ok(())
            }
        }
    }
}

fn print_warnings(warnings: Vec<dosewise_app::checkin::Warning>) {
    for w in warnings {
        crate::outln!("\n! {}", w.message);
        for s in w.sources {
            crate::outln!("  source: {s}");
        }
    }
}

fn prompt_ratings(args: &mut Args) -> CliResult {
    let stdin = std::io::stdin();
    let mut out = std::io::stderr();
    let _ = writeln!(out, "Check-in: rate 0-10, or press Enter to skip.");
    for (name, lo, hi) in SCALES {
        loop {
            let _ = write!(out, "  {name} ({lo}; {hi}): ");
            let _ = out.flush();
            let mut line = String::new();
            if stdin.lock().read_line(&mut line)? == 0 {
                return Ok(());
            }
            let t = line.trim();
            if t.is_empty() {
                break;
            }
            match t.parse::<i64>() {
                Ok(v) if (0..=10).contains(&v) => {
                    let slot = match name {
                        "mood" => &mut args.mood,
                        "anxiety" => &mut args.anxiety,
                        "energy" => &mut args.energy,
                        "focus" => &mut args.focus,
                        "sleep" => &mut args.sleep,
                        "irritability" => &mut args.irritability,
                        _ => &mut args.craving,
                    };
                    *slot = Some(v);
                    break;
                }
                _ => {
                    let _ = writeln!(
                        out,
                        "    please type a whole number from 0 to 10, or press Enter to skip"
                    );
                }
            }
        }
    }
    let _ = write!(out, "  note (optional): ");
    let _ = out.flush();
    let mut line = String::new();
    stdin.lock().read_line(&mut line)?;
    if !line.trim().is_empty() {
        args.note = Some(line.trim_end().to_string());
    }
    Ok(())
}

impl Args {
    fn nothing_given(&self) -> bool {
        [
            self.mood,
            self.anxiety,
            self.energy,
            self.focus,
            self.sleep,
            self.irritability,
            self.craving,
        ]
        .iter()
        .all(Option::is_none)
            && self.side_effects.is_empty()
            && self.urinary.is_empty()
            && self.note.is_none()
            && self.guess.is_none()
    }

    pub async fn run(mut self, ctx: &Ctx) -> CliResult {
        if let Some(a) = self.action.take() {
            return a.run(ctx).await;
        }
        if self.nothing_given() && std::io::stdin().is_terminal() && !ctx.json {
            prompt_ratings(&mut self)?;
        }
        let req = CheckinRequest {
            mood: self.mood,
            anxiety: self.anxiety,
            energy: self.energy,
            focus: self.focus,
            sleep: self.sleep,
            irritability: self.irritability,
            craving: self.craving,
            side_effects: self.side_effects,
            urinary: self.urinary,
            note: self.note,
            tags: self.tags,
            private: self.private,
            at: self.at,
            zone: ctx.tz_flag().map(str::to_string),
            guess: self.guess.map(Into::into),
            guess_sure: self.sure,
        };
        let store = ctx.open().await?;
        let (saved, warnings) = dosewise_app::checkin::record(&*store, &req, ctx.now).await?;
        if ctx.json {
            return output::json(&serde_json::json!({ "checkin": saved, "warnings": warnings }));
        }
        let tz = ctx.zone_of(&store).await?;
        print_checkin(&saved, &tz);
        print_warnings(warnings);
        Ok(())
    }
}

pub use dosewise_app::checkin::summary;

fn print_checkin(c: &Checkin, tz: &dosewise_core::jiff::tz::TimeZone) {
    crate::outln!(
        "Check-in #{} at {}: {}",
        c.id,
        output::local_in(c.checkin.at, &c.checkin.zone, tz),
        summary(c)
    );
    if let Some(n) = &c.checkin.note {
        crate::outln!("  note: {n}");
    }
    if let Some(t) = c.deleted_at {
        crate::outln!(
            "  deleted {}: it stays in the record, left out of every reading",
            output::local(t, tz)
        );
    }
}
