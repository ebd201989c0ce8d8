//! `dosewise check`: standing findings and trends; `check dose AMOUNT` is a dry run of a dose.

use crate::context::Ctx;
use crate::error::CliResult;
use crate::output;
use dosewise_core::safety::{Finding, supply_finding};
use dosewise_core::stock::StockEventKind;
use dosewise_core::trends::trends;
use dosewise_core::units::fmt_num;
use dosewise_store::{Store, Window};

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
        // Ten weeks: more than the eight the trends show.
        let doses = store.doses(Window::last_days(ctx.now, 70)).await?;
        let checkins = store.checkins(Window::last_days(ctx.now, 70)).await?;
        let t = trends(&doses, &checkins, ctx.now);
        // Standing findings: what every dose would carry now, whatever its amount (the one
        // safety check on a nominal dose, in the app layer).
        let protocol = store
            .protocols(false)
            .await?
            .into_iter()
            .find(|p| p.protocol.substance == dosewise_core::route::Substance::Ketamine);
        let mut standing: Vec<Finding> =
            dosewise_app::safety::standing(&*store, ctx.now, &tz, protocol.as_ref()).await?;
        for s in store.stocks(false).await? {
            let events = store.stock_events(s.id).await?;
            let short: f64 = events
                .iter()
                .filter(|e| e.kind == StockEventKind::Count)
                .map(|e| -e.delta)
                .filter(|d| *d > 0.0)
                .sum();
            standing.extend(supply_finding(
                &s.stock.name,
                short,
                s.stock.supply_unit.as_str(),
            ));
        }
        let mut all = standing;
        all.extend(t.findings.clone());
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
