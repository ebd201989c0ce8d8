//! `dosewise demo`: a realistic sample journal in an empty home.

use crate::context::{Ctx, system_zone};
use crate::error::{CliResult, input};
use crate::output;
use dosewise_core::demo::demo_journal;
use dosewise_core::when;
use dosewise_store::Store;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// How many weeks of history to create.
    #[arg(long, default_value_t = 8, value_parser = clap::value_parser!(u32).range(1..=520))]
    weeks: u32,
    /// Seed for the sample data (same seed, same journal).
    #[arg(long, default_value_t = 42)]
    seed: u64,
}

impl Args {
    pub async fn run(self, ctx: &Ctx) -> CliResult {
        let tz = match &ctx.zone(None) {
            Ok(tz) => tz.clone(),
            Err(_) => system_zone(),
        };
        let mut store = ctx.open_or_create().await?;
        let existing = store.export().await?;
        if !existing.stocks.is_empty()
            || !existing.doses.is_empty()
            || !existing.checkins.is_empty()
        {
            return Err(input(format!(
                "the journal at {} already has entries; the demo only fills an empty home. Try `dosewise --home /tmp/dosewise-demo demo`",
                ctx.home.display()
            )));
        }
        let journal = demo_journal(&ctx.now_in(&tz), self.weeks * 7, self.seed);
        let report = store.import(&journal).await?;
        if ctx.json {
            return output::json(
                &serde_json::json!({ "home": ctx.home, "zone": when::zone_name(&tz), "imported": report }),
            );
        }
        crate::outln!(
            "Sample journal created at {}: {} weeks, {} doses, {} check-ins ({}).",
            ctx.home.display(),
            self.weeks,
            report.doses,
            report.checkins,
            when::zone_name(&tz)
        );
        crate::outln!(
            "This is made-up data. Look around: `dosewise --home {} today`, `history`, `stock list`.",
            ctx.home.display()
        );
        Ok(())
    }
}
