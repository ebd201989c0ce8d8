//! `dosewise use`: log use of another substance (alcohol, cannabis, …) so the safety check can
//! see it within each interaction's window.

use crate::context::Ctx;
use crate::error::CliResult;
use crate::output;
use dosewise_core::interaction;
use dosewise_core::route::Route;

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
        let store = ctx.open().await?;
        let tz = ctx.zone_of(&store).await?;
        let amount = self.amount.join(" ");
        let saved = dosewise_app::records::substance_use(
            &*store,
            &self.name,
            Some(&amount),
            self.at.as_deref(),
            self.note.as_deref(),
            ctx.tz_flag(),
            ctx.now,
        )
        .await?;
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
