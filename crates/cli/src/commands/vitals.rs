//! `dosewise vitals`: blood pressure, heart rate, weight.

use crate::context::Ctx;
use crate::error::{CliResult, input};
use crate::output;
use dosewise_core::safety::{BP_REFUSE, BP_WARN, HR_REFUSE};
use dosewise_core::vitals::{NewVitals, VitalsContext, check_heart_rate, parse_bp};
use dosewise_core::when::{self, parse_when};
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
        let mut store = ctx.open().await?;
        let tz = ctx.zone_of(&mut store).await?;
        if self.list {
            let since = ctx
                .now
                .checked_sub(dosewise_core::jiff::SignedDuration::from_hours(24 * 90))
                .ok();
            let v = store
                .vitals(Window {
                    from: since,
                    to: None,
                    include_deleted: false,
                })
                .await?;
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
        let (systolic, diastolic) = match &self.bp {
            Some(b) => parse_bp(b)
                .map(|(s, d)| (Some(s), Some(d)))
                .map_err(input)?,
            None => (None, None),
        };
        let heart_rate = self.hr.map(check_heart_rate).transpose().map_err(input)?;
        let weight_kg = self
            .weight
            .as_deref()
            .map(super::init::parse_weight)
            .transpose()?;
        let at = match &self.at {
            Some(s) => parse_when(s, &ctx.now_in(&tz)).map_err(input)?.instant,
            None => ctx.now,
        };
        let v = NewVitals {
            at,
            zone: when::zone_name(&tz),
            systolic,
            diastolic,
            heart_rate,
            weight_kg,
            context: self.context,
            note: self.note,
        }
        .validated()
        .map_err(input)?;
        if v.at.duration_since(ctx.now) > dosewise_core::dose::MAX_FUTURE {
            return Err(input("that time is in the future"));
        }
        let saved = store.add_vitals(&v, ctx.now).await?;
        if ctx.json {
            return output::json(&saved);
        }
        crate::outln!(
            "Recorded vitals at {}.",
            output::local(saved.vitals.at, &tz)
        );
        if let (Some(s), Some(d)) = (systolic, diastolic) {
            if s > BP_REFUSE.0 || d > BP_REFUSE.1 {
                crate::outln!(
                    "  ! {s}/{d} is above {}/{}: a dose now would be refused. Rest and measure again; contact your clinician if it stays high.",
                    BP_REFUSE.0,
                    BP_REFUSE.1
                );
            } else if s > BP_WARN.0 || d > BP_WARN.1 {
                crate::outln!(
                    "  ! {s}/{d} is above {}/{}, where the esketamine label advises weighing a delay.",
                    BP_WARN.0,
                    BP_WARN.1
                );
            }
        }
        if heart_rate.is_some_and(|h| h > HR_REFUSE) {
            crate::outln!("  ! Heart rate above {HR_REFUSE}: a dose now would be refused.");
        }
        Ok(())
    }
}
