//! `dosewise dose`: log a dose, and correct or delete one with a record of the change.

use crate::context::Ctx;
use crate::error::{CliError, CliResult, input};
use crate::output;
use dosewise_app::dose::{DoseRequest, Outcome};
use dosewise_core::dose::{Dose, NewDose};
use dosewise_core::jiff::tz::TimeZone;
use dosewise_core::route::{Route, Substance};
use dosewise_core::safety::Verdict;
use dosewise_core::salt::Salt;
use dosewise_core::stock::Stock;
use dosewise_store::Store;

#[derive(Debug, clap::Args)]
#[command(args_conflicts_with_subcommands = true, subcommand_negates_reqs = true)]
pub struct Args {
    #[command(subcommand)]
    action: Option<Action>,
    /// The amount: "1/2 troche", "12.5mg", "2 sprays", "0.3 mL", "250 µg". Default: the
    /// current protocol's planned dose.
    #[arg(num_args = 0.., value_name = "AMOUNT")]
    amount: Vec<String>,
    #[command(flatten)]
    opts: DoseOpts,
}

#[derive(Debug, clap::Args)]
pub struct DoseOpts {
    /// Log despite a refusal, giving the reason: who agreed the dose and when, at least two
    /// words (kept with the dose, with the findings).
    #[arg(long = "override", value_name = "REASON")]
    override_reason: Option<String>,
    /// The dose is already taken: record it as it happened, with the findings that would have
    /// applied (a refusal cannot undo it).
    #[arg(long)]
    taken: bool,
    /// Run the safety check and show the verdict; write nothing.
    #[arg(long)]
    dry_run: bool,
    /// Stock to take it from (id or name). Default: your only active stock, if you have one.
    #[arg(long, conflicts_with = "no_stock")]
    stock: Option<String>,
    /// Log a dose that is not from any recorded stock (the amount must then be a mass).
    #[arg(long)]
    no_stock: bool,
    /// Route, if not the stock's usual one.
    #[arg(long)]
    route: Option<Route>,
    /// When: "now" (default), "21:00", "yesterday 21:00", "-2h", "2026-11-28 08:00", RFC 3339.
    #[arg(long, allow_hyphen_values = true)]
    at: Option<String>,
    #[arg(long)]
    note: Option<String>,
    /// For a dose without stock: is the amount ketamine HCl or base? (default hcl)
    #[arg(long)]
    salt: Option<Salt>,
    /// For a dose without stock: "ketamine" (racemic, default) or "esketamine".
    #[arg(long)]
    substance: Option<Substance>,
    /// A blinded trial's container: its code from the label. The amount and stock default to
    /// the trial's; the safety check runs as for an active dose.
    #[arg(long, value_name = "CODE")]
    container: Option<String>,
}

#[derive(Debug, clap::Subcommand)]
pub enum Action {
    /// Correct a dose; the previous version is kept.
    Edit {
        id: i64,
        /// New amount.
        #[arg(long)]
        amount: Option<String>,
        /// New stock (id or name).
        #[arg(long)]
        stock: Option<String>,
        #[arg(long)]
        route: Option<Route>,
        #[arg(long, allow_hyphen_values = true)]
        at: Option<String>,
        #[arg(long)]
        note: Option<String>,
        /// Why it changed (kept with the correction).
        #[arg(long)]
        reason: Option<String>,
        /// Save the correction despite a refusal, giving the reason.
        #[arg(long = "override", value_name = "REASON")]
        override_reason: Option<String>,
    },
    /// Delete a dose that did not happen; it stays in the record as deleted, and its supply returns to stock.
    Delete {
        id: i64,
        #[arg(long)]
        reason: Option<String>,
    },
    /// Show one dose with its corrections.
    Show { id: i64 },
}

/// Show the verdict on a dose that was not logged (a dry run or a refusal); a refusal is an
/// error (exit 3).
fn show_unlogged(ctx: &Ctx, new: &NewDose, verdict: &Verdict, dry_run: bool) -> CliResult {
    let refused = verdict.refused();
    if ctx.json {
        output::json(&serde_json::json!({
            "dry_run": dry_run, "refused": refused, "verdict": verdict, "dose": new,
        }))?;
    } else {
        let head = match (refused, dry_run) {
            (true, false) => "Refused — nothing was logged:",
            (true, true) => "This dose would be refused:",
            (false, _) => "Safety check (nothing was logged):",
        };
        crate::outln!("{head} {}", new.amount_text());
        if verdict.recorded_despite_refusal() {
            crate::outln!(
                "  This dose is timed more than 30 minutes ago, so it would be recorded as taken, with these findings."
            );
        }
        super::safety::print_findings(&verdict.findings, dry_run);
        if verdict.findings.is_empty() {
            crate::outln!("  no findings");
        }
    }
    if refused {
        return Err(CliError::Refused(
            "refused by the safety check; nothing was logged. If you have already taken it, record it with --taken; a dose your clinician agreed takes --override \"who agreed it and when\"".into(),
        ));
    }
    Ok(())
}

/// Show the findings of a dose that is being written (with the reason when it overrides).
fn show_logged(ctx: &Ctx, verdict: &Verdict, override_reason: Option<&str>) {
    if ctx.json || verdict.findings.is_empty() {
        return;
    }
    if verdict.recorded_despite_refusal() {
        crate::outln!("{}", dosewise_core::safety::AFTER_THE_FACT_NOTE);
        if let Some(r) = override_reason {
            crate::outln!("  your reason: {r}");
        }
    } else if verdict.refused() {
        crate::outln!(
            "Logged despite a refusal, with your reason: {}",
            override_reason.unwrap_or("")
        );
    }
    super::safety::print_findings(&verdict.findings, false);
}

fn print_dose(d: &Dose, stock: Option<&Stock>, tz: &TimeZone, verb: &str) {
    let x = &d.dose;
    let (what, lines) = dosewise_app::dose::describe(x, stock);
    crate::outln!("{verb} dose #{}: {what}", d.id);
    crate::outln!("  {} at {}", x.route, output::local_in(x.at, &x.zone, tz));
    for l in lines {
        crate::outln!("  {l}");
    }
    if let Some(n) = &x.note {
        crate::outln!("  note: {n}");
    }
    if d.recorded_after_the_fact() {
        crate::outln!(
            "  recorded after the fact: {}",
            x.refusals()
                .map(|f| f.code.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        );
    }
    if let Some(s) = stock {
        crate::outln!("  {} left: {}", s.stock.name, s.remaining_text());
    }
}

/// `dosewise check dose AMOUNT`: a dose's verdict without logging it. Only the amount and the
/// dose's options: `check` never edits or deletes (it once took `dose`'s subcommands too, so
/// `check dose delete 1` deleted a dose).
#[derive(Debug, clap::Args)]
pub struct DryRunArgs {
    /// The amount, as for `dosewise dose`. Default: the current protocol's planned dose.
    #[arg(num_args = 0.., value_name = "AMOUNT")]
    amount: Vec<String>,
    #[command(flatten)]
    opts: DoseOpts,
}

impl DryRunArgs {
    pub async fn run(mut self, ctx: &Ctx) -> CliResult {
        self.opts.dry_run = true;
        Args {
            action: None,
            amount: self.amount,
            opts: self.opts,
        }
        .run(ctx)
        .await
    }
}

impl Args {
    pub async fn run(self, ctx: &Ctx) -> CliResult {
        match self.action {
            Some(a) => a.run(ctx).await,
            None => log(ctx, &self.amount.join(" "), self.opts).await,
        }
    }
}

async fn log(ctx: &Ctx, amount: &str, opts: DoseOpts) -> CliResult {
    let store = ctx.open().await?;
    let req = DoseRequest {
        amount: amount.to_string(),
        stock: opts.stock,
        no_stock: opts.no_stock,
        route: opts.route,
        at: opts.at,
        note: opts.note,
        salt: opts.salt,
        substance: opts.substance,
        zone: ctx.tz_flag().map(str::to_string),
        already_taken: opts.taken,
        container: opts.container,
    };
    let reason = opts.override_reason.as_deref();
    let outcome = dosewise_app::dose::log(&*store, &req, reason, opts.dry_run, ctx.now).await?;
    let (dose, stock, protocol, verdict, tz) = match outcome {
        Outcome::Checked { prepared, verdict } => {
            return show_unlogged(ctx, &prepared.new, &verdict, true);
        }
        Outcome::Refused { prepared, verdict } => {
            return show_unlogged(ctx, &prepared.new, &verdict, false);
        }
        Outcome::Logged {
            dose,
            stock,
            protocol,
            verdict,
            tz,
            ..
        } => (dose, stock, protocol, verdict, tz),
    };
    if ctx.json {
        return output::json(&serde_json::json!({ "dose": dose, "stock": stock }));
    }
    show_logged(ctx, &verdict, dose.dose.override_reason.as_deref());
    print_dose(&dose, stock.as_ref(), &tz, "Logged");
    if let Some(p) = &protocol {
        let day = dosewise_core::adherence::local_date(&dose);
        if dosewise_core::schedule::is_planned(p, day) {
            crate::outln!("  on plan: a planned dose day of \"{}\"", p.protocol.name);
        } else {
            crate::outln!(
                "  off plan: {day} is {} under \"{}\"",
                dosewise_core::schedule::day_kind(p, day).label(),
                p.protocol.name
            );
        }
    }
    Ok(())
}

impl Action {
    async fn run(self, ctx: &Ctx) -> CliResult {
        let store = ctx.open().await?;
        let profile = store.profile().await?;
        let tz = ctx.zone(profile.as_ref())?;
        match self {
            Action::Show { id } => {
                let d = store
                    .dose(id)
                    .await?
                    .ok_or_else(|| input(format!("no dose #{id}")))?;
                let revisions = store.dose_revisions(id).await?;
                let stock = match d.dose.stock_id {
                    Some(s) => store.stock(s).await?,
                    None => None,
                };
                if ctx.json {
                    return output::json(&serde_json::json!({ "dose": d, "revisions": revisions }));
                }
                print_dose(
                    &d,
                    stock.as_ref(),
                    &tz,
                    if d.deleted_at.is_some() {
                        "Deleted"
                    } else {
                        "Logged"
                    },
                );
                for r in &revisions {
                    crate::outln!(
                        "  {} at {}: was {} at {}{}",
                        r.action.as_str(),
                        output::local(r.at, &tz),
                        r.previous.amount_text(),
                        output::local_in(r.previous.at, &r.previous.zone, &tz),
                        r.reason
                            .as_ref()
                            .map_or(String::new(), |x| format!(" — {x}"))
                    );
                }
                Ok(())
            }
            Action::Delete { id, reason } => {
                let d = dosewise_app::dose::delete(&*store, id, reason.as_deref(), ctx.now).await?;
                if ctx.json {
                    return output::json(&d);
                }
                crate::outln!(
                    "Deleted dose #{id} ({}); it stays in the record as deleted.",
                    d.dose.amount_text()
                );
                if d.dose.supply_used.is_some() {
                    crate::outln!("Its supply was returned to stock.");
                }
                Ok(())
            }
            Action::Edit {
                id,
                amount,
                stock,
                route,
                at,
                note,
                reason,
                override_reason,
            } => {
                let req = dosewise_app::dose::EditRequest {
                    id,
                    amount,
                    stock,
                    route,
                    at,
                    note,
                    reason,
                    zone: ctx.tz_flag().map(str::to_string),
                };
                let outcome =
                    dosewise_app::dose::edit(&*store, &req, override_reason.as_deref(), ctx.now)
                        .await?;
                match outcome {
                    dosewise_app::dose::Edited::Refused { prepared, verdict } => {
                        show_unlogged(ctx, &prepared.new, &verdict, false)
                    }
                    dosewise_app::dose::Edited::Corrected {
                        dose,
                        previous,
                        stock,
                        verdict,
                        ..
                    } => {
                        show_logged(ctx, &verdict, dose.dose.override_reason.as_deref());
                        if ctx.json {
                            return output::json(
                                &serde_json::json!({ "dose": dose, "previous": previous.dose }),
                            );
                        }
                        print_dose(&dose, stock.as_ref(), &tz, "Corrected");
                        crate::outln!(
                            "  was: {} at {}",
                            previous.dose.amount_text(),
                            output::local_in(previous.dose.at, &previous.dose.zone, &tz)
                        );
                        Ok(())
                    }
                }
            }
        }
    }
}
