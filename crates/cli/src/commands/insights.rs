//! `dosewise insights`: what the records say, with the caveats.

use crate::context::Ctx;
use crate::error::CliResult;
use crate::output;
use dosewise_core::insights::{Group, Welch, insights};
use dosewise_store::{Store, Window};

#[derive(Debug, clap::Args)]
pub struct Args {
    /// First day, YYYY-MM-DD (default: the first record).
    #[arg(long)]
    from: Option<String>,
    /// Last day, YYYY-MM-DD (default: today).
    #[arg(long)]
    to: Option<String>,
}

fn g(x: &Group) -> String {
    match (x.mean, x.sd) {
        (Some(m), Some(s)) => format!("{:.1} ± {:.1} (n {})", m, s, x.n),
        (Some(m), None) => format!("{:.1} (n {})", m, x.n),
        _ => format!("– (n {})", x.n),
    }
}

fn w(x: &Option<Welch>, min: usize) -> String {
    match x {
        Some(w) => format!(
            "{:+.1} [{:+.1}, {:+.1}]",
            w.difference, w.ci95_low, w.ci95_high
        ),
        None => format!("not enough data (< {min} in a group)"),
    }
}

impl Args {
    pub async fn run(self, ctx: &Ctx) -> CliResult {
        let mut store = ctx.open().await?;
        let tz = ctx.zone_of(&mut store).await?;
        let doses = store.doses(Window::default()).await?;
        let checkins = store.checkins(Window::default()).await?;
        let assessments = store.assessments(Window::default()).await?;
        let today = ctx.now_in(&tz).date();
        let first = doses
            .iter()
            .map(|d| d.dose.at)
            .chain(checkins.iter().map(|c| c.checkin.at))
            // A baseline questionnaire taken before the first dose belongs in the period.
            .chain(assessments.iter().map(|a| a.assessment.at))
            .min()
            .map_or(today, |t| t.to_zoned_datetime(tz.clone()).date());
        let (from, to) = super::period(self.from.as_deref(), self.to.as_deref(), today, |_| {
            Ok(first)
        })?;
        let i = insights(&doses, &checkins, &assessments, from, to);
        if ctx.json {
            return output::json(&i);
        }
        crate::outln!(
            "Insights from {} to {}: {} dose days, {} check-ins on days after, {} on off days.",
            i.from,
            i.to,
            i.dose_days,
            i.days_after,
            i.off_days_with_checkins
        );
        crate::outln!(
            "Ratings by kind of day (mean ± SD), and the difference from off days with a 95% interval:"
        );
        let mut t = output::table(&[
            "rating",
            "dose day",
            "day after",
            "off day",
            "dose − off",
            "after − off",
        ]);
        for r in &i.ratings {
            t.add_row(vec![
                r.rating.to_string(),
                g(&r.dose_day),
                g(&r.day_after),
                g(&r.off_day),
                w(&r.dose_vs_off, i.min_n),
                w(&r.after_vs_off, i.min_n),
            ]);
        }
        crate::outln!("{t}");
        crate::outln!(
            "(For anxiety and irritability, lower is better. An interval that includes 0 means no clear difference.)"
        );
        if i.scales.is_empty() {
            crate::outln!(
                "PHQ-9 / GAD-7: fewer than two scores in the period (`dosewise assess phq9`)."
            );
        }
        for c in &i.scales {
            let name = if c.instrument == "phq9" {
                "PHQ-9"
            } else {
                "GAD-7"
            };
            let mut marks = Vec::new();
            if c.response {
                marks.push("response (≥ 50% drop)");
            }
            if c.remission {
                marks.push("remission (< 5)");
            }
            if c.meaningful {
                marks.push("meaningful change (≥ 5 points)");
            }
            crate::outln!(
                "{name}: {} → {} ({:+}){}",
                c.baseline,
                c.latest,
                c.change,
                if marks.is_empty() {
                    String::new()
                } else {
                    format!(" — {}", marks.join(", "))
                }
            );
        }
        crate::outln!("\n{}", i.caveat);
        Ok(())
    }
}
