//! `dosewise use`: log use of another substance (alcohol, cannabis, …) so the safety check can
//! see it within each interaction's window.

use crate::context::Ctx;
use crate::error::{CliResult, input};
use crate::output;
use dosewise_core::interaction;
use dosewise_core::medication::NewSubstanceUse;
use dosewise_core::route::Route;
use dosewise_core::when::{self, parse_when};
use dosewise_store::Store;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// What: "alcohol", "beer", "cannabis", "xanax", …
    name: String,
    /// How much, as you would say it: "2 drinks", "1 joint".
    #[arg(num_args = 0..)]
    amount: Vec<String>,
    /// When (default now): "21:00", "-3h", "yesterday 22:00".
    #[arg(long, allow_hyphen_values = true)]
    at: Option<String>,
    #[arg(long)]
    note: Option<String>,
}

impl Args {
    pub async fn run(self, ctx: &Ctx) -> CliResult {
        let mut store = ctx.open().await?;
        let tz = ctx.zone_of(&mut store).await?;
        let at = match &self.at {
            Some(s) => parse_when(s, &ctx.now_in(&tz)).map_err(input)?.instant,
            None => ctx.now,
        };
        if at.duration_since(ctx.now) > dosewise_core::dose::MAX_FUTURE {
            return Err(input(
                "that time is in the future; log use when it has happened",
            ));
        }
        let amount = self.amount.join(" ");
        let u = NewSubstanceUse {
            at,
            zone: when::zone_name(&tz),
            name: self.name,
            amount: (!amount.trim().is_empty()).then_some(amount),
            note: self.note,
        }
        .validated()
        .map_err(input)?;
        let saved = store.add_substance_use(&u, ctx.now).await?;
        let found = interaction::find(&saved.usage.name);
        if ctx.json {
            return output::json(&serde_json::json!({
                "use": saved,
                "interaction": found.map(|i| serde_json::json!({"id": i.id, "name": i.name, "window_hours": i.window_hours, "level_sublingual": i.level(Route::Sublingual)})),
            }));
        }
        crate::outln!(
            "Logged {} at {}.",
            saved.usage.name,
            output::local(saved.usage.at, &tz)
        );
        match found {
            Some(i) => {
                let level = i.level(Route::Sublingual).map_or("info", |l| l.as_str());
                crate::outln!(
                    "  With ketamine: {level} ({}) for {} h after this. {}",
                    i.name,
                    i.window_hours,
                    i.reason
                );
            }
            None => crate::outln!(
                "  Not in Dosewise's interaction list; ask a pharmacist before combining it with ketamine."
            ),
        }
        Ok(())
    }
}
