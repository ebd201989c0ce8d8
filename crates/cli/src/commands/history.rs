//! `dosewise history`: doses and check-ins over a period.

use crate::context::Ctx;
use crate::error::CliResult;
use crate::output;
use dosewise_core::jiff::Timestamp;
use dosewise_store::Store;

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Kind {
    Dose,
    Checkin,
}

#[derive(Debug, clap::Args)]
pub struct Args {
    /// First day, YYYY-MM-DD (default: 30 days ago).
    #[arg(long)]
    from: Option<String>,
    /// Last day, YYYY-MM-DD, inclusive (default: today).
    #[arg(long)]
    to: Option<String>,
    /// Only doses or only check-ins.
    #[arg(long)]
    kind: Option<Kind>,
    /// Include deleted doses.
    #[arg(long)]
    deleted: bool,
}

impl Args {
    pub async fn run(self, ctx: &Ctx) -> CliResult {
        let store = ctx.open().await?;
        let tz = ctx.zone_of(&store).await?;
        let today = ctx.now_in(&tz).date();
        let (from, to) = super::period(self.from.as_deref(), self.to.as_deref(), today, |to| {
            super::days_before(to, 30)
        })?;
        let w = dosewise_app::period::window(from, to, &tz, self.deleted)?;
        let doses = if self.kind != Some(Kind::Checkin) {
            store.doses(w).await?
        } else {
            vec![]
        };
        let checkins = if self.kind != Some(Kind::Dose) {
            store.checkins(w).await?
        } else {
            vec![]
        };
        if ctx.json {
            return output::json(
                &serde_json::json!({ "from": from, "to": to, "doses": doses, "checkins": checkins }),
            );
        }
        let mut rows: Vec<(Timestamp, Vec<String>)> = Vec::new();
        for d in &doses {
            let x = &d.dose;
            rows.push((
                x.at,
                vec![
                    output::local_in(x.at, &x.zone, &tz),
                    format!(
                        "dose #{}{}",
                        d.id,
                        if d.deleted_at.is_some() {
                            " (deleted)"
                        } else {
                            ""
                        }
                    ),
                    format!("{} — {}, {}", x.entered, x.amount_text(), x.route),
                    x.note.clone().unwrap_or_default(),
                ],
            ));
        }
        for c in &checkins {
            rows.push((
                c.checkin.at,
                vec![
                    output::local_in(c.checkin.at, &c.checkin.zone, &tz),
                    format!("check-in #{}", c.id),
                    super::checkin::summary(c),
                    c.checkin.note.clone().unwrap_or_default(),
                ],
            ));
        }
        rows.sort_by_key(|r| r.0);
        if rows.is_empty() {
            crate::outln!("Nothing recorded from {from} to {to}.");
            return Ok(());
        }
        let mut t = output::table(&["when", "entry", "details", "note"]);
        for (_, r) in rows {
            t.add_row(r);
        }
        crate::outln!("{t}");
        crate::outln!(
            "{} doses, {} check-ins from {from} to {to}",
            doses.len(),
            checkins.len()
        );
        Ok(())
    }
}
