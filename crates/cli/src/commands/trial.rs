//! `dosewise trial`: a self-blinded N-of-1 trial, set up with the clinician — plan it (sealed
//! allocation, labels, the helper's fill list), see where it stands, unblind a day in an
//! emergency, stop it, reveal it at the end, and read the result.

use crate::context::Ctx;
use crate::error::{CliResult, input};
use crate::output;
use dosewise_app::trial::{PlanRequest, TrialResult};
use dosewise_core::jiff::civil::Date;
use dosewise_core::trial::Condition;
use dosewise_core::trial_record::State;
use dosewise_store::Store;
use std::path::{Path, PathBuf};

#[derive(Debug, clap::Subcommand)]
pub enum Command {
    /// Plan a trial: blocks of an active and a placebo period in a random order, sealed to a
    /// key you or your clinician hold. Writes the helper's fill list (and the labels).
    Plan(Box<PlanArgs>),
    /// Where the trial stands: today's container, days done, guesses made (nothing of the
    /// allocation).
    Status,
    /// Print the container labels again (a code and a day each; .pdf or .html).
    Labels(DocArgs),
    /// Emergency: open one day's condition (a reaction, a clinician asking). Recorded with the
    /// reason; that day leaves the analysis; every other day stays sealed.
    Unblind {
        /// The day, YYYY-MM-DD.
        date: String,
        /// The file holding the key (AGE-SECRET-KEY-1…).
        #[arg(long, value_name = "FILE")]
        key_file: PathBuf,
        /// Why (kept in the trial's record).
        #[arg(long)]
        reason: String,
    },
    /// Stop the trial early (a red flag, a decision with your clinician).
    Stop {
        /// Why (kept in the trial's record).
        #[arg(long)]
        reason: String,
    },
    /// Open the whole allocation once the trial is over, with the key.
    Reveal {
        /// The file holding the key (AGE-SECRET-KEY-1…).
        #[arg(long, value_name = "FILE")]
        key_file: PathBuf,
    },
    /// The result of the revealed trial: the effect, how sure, and whether the blind held.
    Result,
}

#[derive(Debug, clap::Args)]
pub struct PlanArgs {
    /// The first day, YYYY-MM-DD (default: tomorrow).
    #[arg(long)]
    start: Option<String>,
    /// The length in weeks (default 8): as many whole blocks as fit.
    #[arg(long, conflicts_with = "blocks")]
    weeks: Option<u32>,
    /// The number of blocks instead (each an active and a placebo period).
    #[arg(long)]
    blocks: Option<u32>,
    /// Dosing days in each period (default 1).
    #[arg(long)]
    period_days: Option<u32>,
    /// Days without a dose after each period (default 2: one day on, two off).
    #[arg(long)]
    washout_days: Option<u32>,
    /// What the trial measures: a check-in rating (mood, anxiety, energy, focus, sleep,
    /// irritability, craving) or a questionnaire (phq9, gad7). Default: mood.
    #[arg(long)]
    outcome: Option<String>,
    /// The smallest improvement that would matter to you, in the outcome's units, decided
    /// before the trial starts (e.g. 1 for one point of mood).
    #[arg(long, allow_negative_numbers = true)]
    smallest_change: f64,
    /// The dose every dosing day (default: your protocol's), whatever the container holds.
    #[arg(long)]
    dose: Option<String>,
    /// The stock the active containers are filled from.
    #[arg(long)]
    stock: Option<String>,
    /// Who holds the key: "me" (default) or your clinician's name.
    #[arg(long)]
    key_holder: Option<String>,
    /// Seal to this age public key (age1…), the key holder's. Without it a new key is made and
    /// written to --key-out.
    #[arg(long, conflicts_with = "key_out")]
    recipient: Option<String>,
    /// Where to write the new key (owner-only permissions): give it to the key holder.
    #[arg(long, value_name = "FILE")]
    key_out: Option<PathBuf>,
    /// Where to write the fill list for the helper who fills the containers (.pdf or .html).
    /// It is the blind: it is written once and never kept in the journal.
    #[arg(long, value_name = "FILE")]
    fill_list: PathBuf,
    /// Where to write the container labels (.pdf or .html).
    #[arg(long, value_name = "FILE")]
    labels: Option<PathBuf>,
    #[arg(long)]
    note: Option<String>,
    /// The Chromium, Chrome or Edge program to print PDFs with.
    #[arg(long, env = "DOSEWISE_CHROMIUM", value_name = "PATH")]
    chromium: Option<PathBuf>,
}

#[derive(Debug, clap::Args)]
pub struct DocArgs {
    /// The file to write (.pdf or .html).
    #[arg(long)]
    out: PathBuf,
    /// Replace --out if it exists.
    #[arg(long)]
    force: bool,
    /// The Chromium, Chrome or Edge program to print PDFs with.
    #[arg(long, env = "DOSEWISE_CHROMIUM", value_name = "PATH")]
    chromium: Option<PathBuf>,
}

/// Write an HTML document, printed to PDF when the file's name ends in .pdf.
pub fn write_document(
    ctx: &Ctx,
    path: &Path,
    html: &str,
    chromium: Option<&Path>,
    force: bool,
) -> CliResult {
    let pdf = path
        .extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("pdf"));
    if !pdf {
        return super::export::write_private(path, html.as_bytes(), force);
    }
    super::report::write_pdf(ctx, path, html, chromium, force)
}

fn read_key(path: &Path) -> CliResult<String> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| input(format!("cannot read the key file {}: {e}", path.display())))?;
    text.lines()
        .map(str::trim)
        .find(|l| l.starts_with("AGE-SECRET-KEY-1"))
        .map(str::to_string)
        .ok_or_else(|| {
            input(format!(
                "{} holds no age secret key (a line starting AGE-SECRET-KEY-1)",
                path.display()
            ))
        })
}

fn condition_word(c: Condition) -> &'static str {
    match c {
        Condition::Active => "active",
        Condition::Placebo => "placebo",
    }
}

impl Command {
    pub async fn run(self, ctx: &Ctx) -> CliResult {
        let store = ctx.open().await?;
        let app = &*store;
        match self {
            Command::Plan(a) => plan(ctx, app, *a).await,
            Command::Status => status(ctx, app).await,
            Command::Labels(a) => {
                let html = dosewise_app::trial::labels_html(app, ctx.now).await?;
                write_document(ctx, &a.out, &html, a.chromium.as_deref(), a.force)?;
                eprintln!("Wrote the container labels to {}.", a.out.display());
                Ok(())
            }
            Command::Unblind {
                date,
                key_file,
                reason,
            } => {
                let date: Date = date
                    .trim()
                    .parse()
                    .map_err(|e| input(format!("{date:?} is not a date (YYYY-MM-DD): {e}")))?;
                let key = read_key(&key_file)?;
                let c =
                    dosewise_app::trial::emergency_unblind(app, date, &key, Some(&reason), ctx.now)
                        .await?;
                if ctx.json {
                    return output::json(&serde_json::json!({
                        "date": date, "condition": c,
                    }));
                }
                crate::outln!(
                    "{date}: {}. Recorded with your reason; this day is left out of the analysis and every other day stays sealed.",
                    condition_word(c)
                );
                Ok(())
            }
            Command::Stop { reason } => {
                let c = dosewise_app::trial::stop(app, Some(&reason), ctx.now).await?;
                if ctx.json {
                    return output::json(&c.state);
                }
                crate::outln!(
                    "The trial is stopped (recorded with your reason). The allocation stays sealed until it is revealed with the key (dosewise trial reveal --key-file FILE); the days so far are analysed."
                );
                Ok(())
            }
            Command::Reveal { key_file } => {
                let key = read_key(&key_file)?;
                dosewise_app::trial::reveal(app, &key, ctx.now).await?;
                let r = dosewise_app::trial::result(app, ctx.now).await?;
                show_result(ctx, &r)
            }
            Command::Result => {
                let r = dosewise_app::trial::result(app, ctx.now).await?;
                show_result(ctx, &r)
            }
        }
    }
}

fn need<T>(c: Option<T>) -> CliResult<T> {
    c.ok_or_else(|| input("there is no blinded trial: plan one with `dosewise trial plan`"))
}

async fn plan(ctx: &Ctx, store: &dosewise_backends::AnyStore, a: PlanArgs) -> CliResult {
    if a.recipient.is_none() && a.key_out.is_none() {
        return Err(input(
            "the allocation is sealed to a key: give the key holder's public key (--recipient age1…), or --key-out FILE to make a new key and write it there",
        ));
    }
    for p in [Some(&a.fill_list), a.labels.as_ref(), a.key_out.as_ref()]
        .into_iter()
        .flatten()
    {
        if p.exists() {
            return Err(input(format!(
                "{} exists; choose another file (nothing was planned)",
                p.display()
            )));
        }
    }
    let req = PlanRequest {
        start: a.start,
        weeks: a.weeks,
        blocks: a.blocks,
        period_days: a.period_days,
        washout_days: a.washout_days,
        outcome: a.outcome,
        smallest_change: Some(a.smallest_change),
        dose: a.dose,
        stock: a.stock,
        key_holder: a.key_holder,
        recipient: a.recipient,
        note: a.note,
    };
    let planned = dosewise_app::trial::plan_trial(store, &req, ctx.now).await?;
    let t = &planned.trial.trial;
    // What is handed out once: the key, the fill list. Written before anything is said.
    if let (Some(path), Some(key)) = (&a.key_out, &planned.handout.identity) {
        let text = format!(
            "# Dosewise trial key, made {}: it opens the trial's allocation. Keep it away from the person taking the doses until the trial ends.\n# public key: {}\n{key}\n",
            planned.trial.created_at, t.recipient
        );
        super::export::write_private(path, text.as_bytes(), false)?;
    }
    let stock = match t.stock_id {
        Some(id) => store.stock(id).await?.map(|s| s.stock.name),
        None => None,
    };
    let dose = match &stock {
        Some(s) => format!("{} of {s}", t.dose),
        None => t.dose.clone(),
    };
    let fill: Vec<(&str, Condition)> = planned
        .handout
        .fill_list
        .iter()
        .map(|(c, k)| (c.as_str(), *k))
        .collect();
    write_document(
        ctx,
        &a.fill_list,
        &dosewise_render::trial::fill_list(&fill, &dose),
        a.chromium.as_deref(),
        false,
    )?;
    if let Some(path) = &a.labels {
        let html = dosewise_app::trial::labels_html(store, ctx.now).await?;
        write_document(ctx, path, &html, a.chromium.as_deref(), false)?;
    }
    if ctx.json {
        return output::json(&serde_json::json!({
            "trial": planned.trial,
            "fill_list": a.fill_list,
            "labels": a.labels,
            "key_out": a.key_out,
        }));
    }
    let d = &t.design;
    crate::outln!(
        "Planned a blinded trial: {} to {} ({} days), {} blocks of {} active and {} placebo day{} in a random order, {} washout day{} after each period.",
        d.start,
        d.end(),
        d.days(),
        d.blocks,
        d.period_days,
        d.period_days,
        if d.period_days == 1 { "" } else { "s" },
        d.washout_days,
        if d.washout_days == 1 { "" } else { "s" },
    );
    crate::outln!(
        "Outcome: {}; the smallest change that matters to you: {} point{}. Dose every dosing day: {dose}.",
        t.outcome.label(),
        t.smallest_change,
        if (t.smallest_change - 1.0).abs() < 1e-9 {
            ""
        } else {
            "s"
        }
    );
    crate::outln!(
        "The allocation is sealed to the key held by {}{}.",
        t.key_holder,
        match &a.key_out {
            Some(p) => format!(
                " (written to {}: hand it over, then delete it here)",
                p.display()
            ),
            None => String::new(),
        }
    );
    crate::outln!(
        "Give the fill list ({}) to the helper who fills the containers, and do not read it: it is the blind. Delete it from this computer once it is handed over.",
        a.fill_list.display()
    );
    crate::outln!(
        "Each dosing day: take that day's container and log it with `dosewise dose --container CODE`; the safety check runs as for an active dose. In your check-in, say what you think you took (--guess active|placebo|dont-know --sure 1-5)."
    );
    Ok(())
}

async fn status(ctx: &Ctx, store: &dosewise_backends::AnyStore) -> CliResult {
    let p = need(dosewise_app::trial::progress(store, ctx.now).await?)?;
    if ctx.json {
        return output::json(&p);
    }
    match &p.state {
        State::NotStarted => {
            crate::outln!("The trial starts on {} and runs to {}.", p.start, p.end)
        }
        State::Running { day, today } => {
            crate::outln!("Day {day} of the trial ({} to {}).", p.start, p.end);
            match (today, p.taken_today) {
                (Some(d), false) => crate::outln!(
                    "Today's container: {} (log it with `dosewise dose --container {}`).",
                    d.code,
                    d.code
                ),
                (Some(d), true) => crate::outln!("Today's container ({}) is logged.", d.code),
                (None, _) => crate::outln!("Today is a washout day: no trial dose."),
            }
            if today.is_some() && !p.guessed_today {
                crate::outln!(
                    "In today's check-in, say what you think you took: --guess active|placebo|dont-know --sure 1-5."
                );
            }
        }
        State::AwaitingReveal { stopped } => crate::outln!(
            "The trial is {}. Reveal it with the key: dosewise trial reveal --key-file FILE.",
            if *stopped { "stopped" } else { "over" }
        ),
        State::Revealed { .. } => {
            crate::outln!("The trial is revealed: see `dosewise trial result`.")
        }
    }
    crate::outln!(
        "Containers logged: {} of {} dosing days so far ({} in all); guesses recorded: {}.",
        p.containers_taken,
        p.days_so_far,
        p.days.len(),
        p.guesses
    );
    if matches!(p.state, State::Running { .. }) {
        for (date, what) in &p.red_flags {
            crate::outln!(
                "A red flag on {date}: {what} Talk to your clinician; a red flag can be a reason to stop the trial (dosewise trial stop --reason …)."
            );
        }
    }
    for date in &p.unblinded {
        crate::outln!("Unblinded early (left out of the analysis): {date}.");
    }
    if p.stopped {
        crate::outln!("Stopped early.");
    }
    Ok(())
}

fn show_result(ctx: &Ctx, r: &TrialResult) -> CliResult {
    if ctx.json {
        return output::json(r);
    }
    let t = &r.trial.trial;
    crate::outln!(
        "Blinded trial {} to {}{}: outcome {}.",
        t.design.start,
        t.design.end(),
        if r.evaluated.stopped {
            " (stopped early)"
        } else {
            ""
        },
        t.outcome.label()
    );
    crate::outln!("{}", r.evaluated.reading.headline);
    for l in &r.evaluated.reading.lines {
        crate::outln!("- {l}");
    }
    let o = &r.evaluated.observed;
    crate::outln!(
        "Days analysed: {}; left out: {} without a trial dose, {} without a {}, {} unblinded early, {} after the stop.{}",
        o.days.len(),
        o.no_dose,
        o.no_outcome,
        t.outcome.label(),
        o.unblinded,
        o.after_stop,
        if o.swapped > 0 {
            format!(
                " {} day(s) used another day's container and count as what it held.",
                o.swapped
            )
        } else {
            String::new()
        }
    );
    Ok(())
}
