//! `dosewise demo`: a realistic sample journal in an empty home.

use crate::context::{Ctx, system_zone};
use crate::error::{CliResult, input};
use crate::output;
use dosewise_core::when;
use dosewise_fixtures::demo::demo_journal;
use dosewise_store::Store;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// How many weeks of history to create.
    #[arg(long, default_value_t = 8, value_parser = clap::value_parser!(u32).range(1..=520))]
    weeks: u32,
    /// Instead: a multi-year history for benchmarks — about 400 doses and 840 check-ins a year
    /// across five protocols (troches, a nasal spray, a home solution), questionnaires, vitals,
    /// refills.
    #[arg(long, conflicts_with = "weeks", value_parser = clap::value_parser!(u32).range(1..=20))]
    years: Option<u32>,
    /// Seed for the sample data (same seed, same journal; a trial's sealed allocation and
    /// container codes differ each time).
    #[arg(long, default_value_t = 42)]
    seed: u64,
    /// Make the last weeks a finished, revealed blinded trial (one day on, two off, mood as the
    /// outcome): see `dosewise trial result`. Needs at least 4 weeks.
    #[arg(long, conflicts_with = "years")]
    trial: bool,
}

impl Args {
    pub async fn run(self, ctx: &Ctx) -> CliResult {
        let tz = match &ctx.zone(None) {
            Ok(tz) => tz.clone(),
            Err(_) => system_zone(),
        };
        let store = ctx.open_or_create().await?;
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
        let mut journal = match self.years {
            Some(y) => dosewise_fixtures::generator::history(&ctx.now_in(&tz), y, self.seed),
            None => demo_journal(&ctx.now_in(&tz), self.weeks * 7, self.seed),
        };
        if self.trial
            && !dosewise_app::trial::add_sample_trial(
                &mut journal,
                ctx.now_in(&tz).date(),
                self.seed,
            )?
        {
            return Err(input(
                "a sample trial needs at least 4 weeks of history: --weeks 4 or more",
            ));
        }
        let report = dosewise_app::transfer::import(&*store, &journal).await?;
        if ctx.json {
            return output::json(
                &serde_json::json!({ "home": ctx.home, "zone": when::zone_name(&tz), "imported": report }),
            );
        }
        crate::outln!(
            "Sample journal created at {}: {}, {} doses, {} check-ins ({}).",
            ctx.home.display(),
            self.years
                .map_or(format!("{} weeks", self.weeks), |y| format!("{y} years")),
            report.doses,
            report.checkins,
            when::zone_name(&tz)
        );
        if self.trial {
            crate::outln!(
                "It ends with a finished blinded trial ({} dosing days): `dosewise --home {} trial result`.",
                journal.trials.first().map_or(0, |t| t.trial.days.len()),
                ctx.home.display()
            );
        }
        crate::outln!(
            "This is made-up data. Look around: `dosewise --home {} today`, `history`, `stock list`.",
            ctx.home.display()
        );
        Ok(())
    }
}
