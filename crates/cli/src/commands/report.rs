//! `dosewise report`: the clinician report as HTML (print it, or save it as PDF from a browser).

use super::parse_date;
use crate::context::Ctx;
use crate::error::{CliResult, input};
use crate::output;
use dosewise_core::report::{ReportOptions, report_html};
use dosewise_store::Store;
use std::io::Write;
use std::path::PathBuf;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// First day, YYYY-MM-DD (default: 90 days ago).
    #[arg(long)]
    from: Option<String>,
    /// Last day, YYYY-MM-DD (default: today).
    #[arg(long)]
    to: Option<String>,
    /// Write to this file (owner-only permissions) instead of stdout.
    #[arg(long)]
    out: Option<PathBuf>,
    /// Replace --out if it exists.
    #[arg(long)]
    force: bool,
    /// Include check-in notes you marked private.
    #[arg(long)]
    include_private: bool,
}

impl Args {
    pub async fn run(self, ctx: &Ctx) -> CliResult {
        let mut store = ctx.open().await?;
        let tz = ctx.zone_of(&mut store).await?;
        let today = ctx.now_in(&tz).date();
        let to = match &self.to {
            Some(s) => parse_date("--to", s)?,
            None => today,
        };
        let from = match &self.from {
            Some(s) => parse_date("--from", s)?,
            None => to
                .checked_sub(dosewise_core::jiff::Span::new().days(90))
                .map_err(input)?,
        };
        if from > to {
            return Err(input(format!("--from {from} is after --to {to}")));
        }
        let j = store.export().await?;
        let html = report_html(
            &j,
            &ReportOptions {
                from,
                to,
                tz,
                generated: ctx.now,
                include_private: self.include_private,
            },
        );
        match &self.out {
            Some(p) => {
                super::export::write_private(p, html.as_bytes(), self.force)?;
                if ctx.json {
                    return output::json(
                        &serde_json::json!({ "out": p, "from": from, "to": to, "bytes": html.len() }),
                    );
                }
                eprintln!(
                    "Wrote the report for {from} to {to} to {}. Open it in a browser to read, print or save as PDF.",
                    p.display()
                );
            }
            None => {
                let mut o = std::io::stdout().lock();
                o.write_all(html.as_bytes())?;
                o.flush()?;
            }
        }
        Ok(())
    }
}
