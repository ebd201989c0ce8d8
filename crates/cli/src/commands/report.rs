//! `dosewise report`: the clinician report as HTML (print it, or save it as PDF from a browser).

use crate::context::Ctx;
use crate::error::{CliResult, input};
use crate::output;
use std::path::PathBuf;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// First day, YYYY-MM-DD (default: the current plan's first day, or the first record, at
    /// most a year ago; 90 days ago in an empty journal).
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
    /// Only these sections, comma-separated: regimen, supply, scales, ratings, trial, vitals,
    /// side-effects, medicines, notes (default: all). "About these data" is always included.
    #[arg(long, value_delimiter = ',', value_name = "NAMES")]
    sections: Vec<String>,
    /// Write a PDF instead of HTML (needs --out), printed by a local headless Chromium. An --out
    /// ending in .pdf writes a PDF without it.
    #[arg(long, requires = "out")]
    pdf: bool,
    /// The Chromium, Chrome or Edge program to print with; default: found on PATH or where they
    /// install on macOS and Windows.
    #[arg(long, env = "DOSEWISE_CHROMIUM", value_name = "PATH")]
    chromium: Option<PathBuf>,
}

/// Print HTML to a PDF at `path` with a local Chromium (`chromium`, or one found), owner-only;
/// an existing file only with `force`.
pub fn write_pdf(
    ctx: &Ctx,
    path: &std::path::Path,
    html: &str,
    chromium: Option<&std::path::Path>,
    force: bool,
) -> CliResult {
    if path.exists() && !force {
        return Err(input(format!(
            "{} exists; choose another --out or pass --force",
            path.display()
        )));
    }
    let chromium = chromium
        .map(std::path::Path::to_path_buf)
        .or_else(dosewise_app::pdf::find_chromium)
        .ok_or_else(|| {
            input(format!(
                "the PDF cannot be printed: {}",
                dosewise_app::pdf::NO_BROWSER
            ))
        })?;
    let pdf = dosewise_app::pdf::print_pdf(&chromium, &ctx.home, html)?;
    super::export::write_private(path, &pdf, true)
}

impl Args {
    pub async fn run(self, ctx: &Ctx) -> CliResult {
        let store = ctx.open().await?;
        let tz = ctx.zone_of(&store).await?;
        let req = dosewise_app::report::ReportRequest {
            from: self.from.as_deref(),
            to: self.to.as_deref(),
            sections: self.sections.iter().map(String::as_str).collect(),
            include_private: self.include_private,
        };
        let report = dosewise_app::report::build(&*store, &req, ctx.now, &tz).await?;
        let (html, from, to) = (report.html, report.from, report.to);
        // The file's name decides too: a report.pdf holding HTML opens as a broken PDF.
        let ext = self
            .out
            .as_ref()
            .and_then(|p| p.extension())
            .map(|e| e.to_string_lossy().to_ascii_lowercase());
        let pdf = match (self.pdf, ext.as_deref()) {
            (true, Some("html" | "htm")) => {
                return Err(input(
                    "--pdf writes a PDF, but --out ends in .html: name the file .pdf, or leave out --pdf for HTML",
                ));
            }
            (true, _) | (false, Some("pdf")) => true,
            _ => false,
        };
        match &self.out {
            Some(p) if pdf => {
                write_pdf(ctx, p, &html, self.chromium.as_deref(), self.force)?;
                if ctx.json {
                    return output::json(
                        &serde_json::json!({ "out": p, "from": from, "to": to, "format": "pdf" }),
                    );
                }
                eprintln!(
                    "Wrote the report for {from} to {to} to {} (PDF).",
                    p.display()
                );
            }
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
                crate::output::write_raw(html.as_bytes());
            }
        }
        Ok(())
    }
}
