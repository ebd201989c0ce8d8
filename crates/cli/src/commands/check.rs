//! `dosewise check`: standing findings and trends; `check dose AMOUNT` is a dry run of a dose.

use crate::context::Ctx;
use crate::error::CliResult;
use crate::output;
use dosewise_core::units::fmt_num;

#[derive(Debug, clap::Args)]
#[command(args_conflicts_with_subcommands = true)]
pub struct Args {
    #[command(subcommand)]
    what: Option<What>,
    /// Check the journal file itself (SQLite integrity check) and print "ok" or the problems.
    #[arg(long)]
    integrity: bool,
}

#[derive(Debug, clap::Subcommand)]
pub enum What {
    /// Show the verdict for a dose without logging it (same as `dose … --dry-run`).
    Dose(super::dose::DryRunArgs),
}

impl Args {
    pub async fn run(self, ctx: &Ctx) -> CliResult {
        if let Some(What::Dose(a)) = self.what {
            return a.run(ctx).await;
        }
        if self.integrity {
            ctx.embedded_only("--integrity (SQLite's integrity check of the journal file)")?;
        }
        let store = ctx.open().await?;
        if let (true, Some(file)) = (self.integrity, store.sqlite()) {
            let verdict = file.integrity_check().await?;
            if ctx.json {
                return output::json(&serde_json::json!({ "integrity": verdict }));
            }
            crate::outln!("integrity: {verdict}");
            return if verdict == "ok" {
                Ok(())
            } else {
                Err(crate::error::input(
                    "the journal file is damaged; restore a backup",
                ))
            };
        }
        let tz = ctx.zone_of(&store).await?;
        let review = dosewise_app::review::review(&*store, ctx.now, &tz).await?;
        let (all, t) = (review.findings, review.trends);
        if ctx.json {
            return output::json(&serde_json::json!({ "findings": all, "trends": t }));
        }
        crate::outln!("Weekly totals (ketamine base), oldest first:");
        for w in &t.weeks {
            crate::outln!(
                "  week from {}: {} doses, {} mg",
                w.from.to_zoned_datetime(tz.clone()).date(),
                w.doses,
                fmt_num(w.mg_base)
            );
        }
        if let (Some(a), Some(b)) = (t.mean_dose_mg_base_recent, t.mean_dose_mg_base_prior) {
            crate::outln!(
                "Mean dose: {} mg base in the last 4 weeks, {} mg in the 4 before.",
                fmt_num(a),
                fmt_num(b)
            );
        }
        if all.is_empty() {
            crate::outln!("No standing findings.");
        } else {
            crate::outln!("Findings:");
            super::safety::print_findings(&all, true);
        }
        Ok(())
    }
}
