//! `dosewise vitals`: blood pressure, heart rate, weight.

use crate::context::Ctx;
use crate::error::CliResult;
use crate::output;
use dosewise_core::vitals::VitalsContext;
use dosewise_store::{Store, Window};

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Blood pressure, systolic/diastolic, e.g. 128/82.
    #[arg(long)]
    bp: Option<String>,
    /// Heart rate, beats per minute.
    #[arg(long)]
    hr: Option<u32>,
    /// Weight, e.g. "70 kg" or "154 lb".
    #[arg(long)]
    weight: Option<String>,
    /// pre-dose, post-dose or other.
    #[arg(long, default_value = "other")]
    context: VitalsContext,
    #[arg(long, allow_hyphen_values = true)]
    at: Option<String>,
    #[arg(long)]
    note: Option<String>,
    /// List recent readings instead of recording one.
    #[arg(long, conflicts_with_all = ["bp", "hr", "weight"])]
    list: bool,
}

impl Args {
    pub async fn run(self, ctx: &Ctx) -> CliResult {
        let store = ctx.open().await?;
        let tz = ctx.zone_of(&store).await?;
        if self.list {
            let v = store.vitals(Window::last_days(ctx.now, 90)).await?;
            if ctx.json {
                return output::json(&v);
            }
            let mut t = output::table(&["when", "BP", "HR", "weight", "context"]);
            for x in &v {
                let y = &x.vitals;
                t.add_row(vec![
                    output::local_in(y.at, &y.zone, &tz),
                    match (y.systolic, y.diastolic) {
                        (Some(s), Some(d)) => format!("{s}/{d}"),
                        _ => "–".into(),
                    },
                    output::or_dash(y.heart_rate),
                    output::or_dash(y.weight_kg),
                    y.context.as_str().replace('_', "-"),
                ]);
            }
            crate::outln!("{t}");
            return Ok(());
        }
        let req = dosewise_app::records::VitalsRequest {
            bp: self.bp,
            heart_rate: self.hr,
            weight: self.weight,
            context: self.context,
            at: self.at,
            note: self.note,
            zone: ctx.tz_flag().map(str::to_string),
        };
        let saved = dosewise_app::records::vitals(&*store, &req, ctx.now).await?;
        if ctx.json {
            return output::json(&saved);
        }
        crate::outln!(
            "Recorded vitals at {}.",
            output::local(saved.vitals.at, &tz)
        );
        for note in dosewise_app::records::vitals_notes(&*store, &saved).await? {
            crate::outln!("  ! {note}");
        }
        Ok(())
    }
}
