//! `dosewise insights`: what the records say, with the caveats.

use crate::context::Ctx;
use crate::error::CliResult;
use crate::output;
use dosewise_core::insights::{Comparison, OUTCOMES, Welch};
use dosewise_core::units::fmt_num;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// First day, YYYY-MM-DD (default: the first record).
    #[arg(long)]
    from: Option<String>,
    /// Last day, YYYY-MM-DD (default: today).
    #[arg(long)]
    to: Option<String>,
}

/// A difference from off days, or why there is none.
fn w(x: &Option<Welch>, min: usize) -> String {
    x.as_ref().map_or_else(
        || format!("not enough data (< {min} in a group)"),
        Welch::text,
    )
}

impl Args {
    pub async fn run(self, ctx: &Ctx) -> CliResult {
        let store = ctx.open().await?;
        let tz = ctx.zone_of(&store).await?;
        let i = dosewise_app::insights::insights(
            &*store,
            self.from.as_deref(),
            self.to.as_deref(),
            ctx.now,
            &tz,
        )
        .await?;
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
                r.dose_day.text(),
                r.day_after.text(),
                r.off_day.text(),
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
            let name = c.name();
            let marks = c.marks();
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
        let dr = &i.dose_response;
        crate::outln!("\nDose–response (a dose day's total in mg ketamine base):");
        if dr.levels.is_empty() {
            crate::outln!("  no dose days in the period.");
        }
        for l in &dr.levels {
            crate::outln!(
                "  {} mg base: {} day{}, mood the next day {}",
                fmt_num(l.mg_base),
                l.days,
                if l.days == 1 { "" } else { "s" },
                l.next_day_mood
                    .map_or("–".to_string(), |m| format!("{m:.1} on average"))
            );
        }
        match dr.split_mg_base {
            None if !dr.levels.is_empty() => {
                crate::outln!("  One amount only: nothing to compare doses with.")
            }
            None => {}
            Some(split) => {
                let s = fmt_num(split);
                crate::outln!(
                    "Higher (> {s} mg base) minus lower (≤ {s} mg base) doses, with a 95% interval (n days higher/lower when too few):"
                );
                let mut t = output::table(&["rating", "after the dose, same day", "next day"]);
                for (a, b) in dr.same_day.iter().zip(&dr.next_day) {
                    t.add_row(vec![a.rating.to_string(), a.text(), b.text()]);
                }
                crate::outln!("{t}");
                crate::outln!("{}", dr.note);
            }
        }
        crate::outln!(
            "\nFactors and the ratings that follow them: with minus without, 95% interval (minimum {} days each):",
            i.min_n
        );
        let mut header = vec!["factor", "ratings", "days with / without"];
        header.extend(OUTCOMES);
        let mut t = output::table(&header);
        for f in &i.factors {
            let mut row = vec![
                f.factor.clone(),
                f.timing.to_string(),
                format!("{} / {}", f.days_with, f.days_without),
            ];
            for name in OUTCOMES {
                row.push(
                    f.comparisons
                        .iter()
                        .find(|c| c.rating == name)
                        .map_or("(same rating)".to_string(), Comparison::text),
                );
            }
            t.add_row(row);
        }
        crate::outln!("{t}");
        crate::outln!(
            "(A poor night's sleep rating describes the night before the check-in, so it is compared with the same day's ratings.) {}",
            i.factors_note
        );
        crate::outln!("\n{}", i.caveat);
        Ok(())
    }
}
