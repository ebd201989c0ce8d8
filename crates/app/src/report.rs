//! The clinician report, built once for every surface: the period (default: the 90 days up to
//! today), the sections asked for, the whole journal read in one snapshot, rendered by core.

use crate::{Result, input, period};
use dosewise_core::jiff::Timestamp;
use dosewise_core::jiff::civil::Date;
use dosewise_core::jiff::tz::TimeZone;
use dosewise_render::report::{ReportOptions, Section, report_html};
use dosewise_store::Store;

/// What a person asked for.
#[derive(Debug, Clone, Default)]
pub struct ReportRequest<'a> {
    /// First day, YYYY-MM-DD (default: 90 days before the last).
    pub from: Option<&'a str>,
    /// Last day, YYYY-MM-DD (default: today).
    pub to: Option<&'a str>,
    /// Section names (none: all).
    pub sections: Vec<&'a str>,
    /// Include check-in notes marked private.
    pub include_private: bool,
}

/// A rendered report.
#[derive(Debug, Clone)]
pub struct Report {
    pub html: String,
    pub from: Date,
    pub to: Date,
}

impl Report {
    /// A file name for it, without extension: `dosewise-report-FROM-to-TO`.
    pub fn file_stem(&self) -> String {
        format!("dosewise-report-{}-to-{}", self.from, self.to)
    }
}

/// The days a report covers by default.
pub(crate) const DEFAULT_DAYS: i64 = 90;

/// Build the report for `req` in zone `tz` at `now`.
pub async fn build<S: Store>(
    store: &S,
    req: &ReportRequest<'_>,
    now: Timestamp,
    tz: &TimeZone,
) -> Result<Report> {
    let sections = req
        .sections
        .iter()
        .filter(|s| !s.trim().is_empty())
        .map(|s| s.trim().parse::<Section>().map_err(input))
        .collect::<Result<Vec<_>>>()?;
    let today = now.to_zoned_datetime(tz.clone()).date();
    let (from, to) = period::period(req.from, req.to, today, |to| {
        period::days_before(to, DEFAULT_DAYS)
    })?;
    let journal = store.export().await?;
    let html = report_html(
        &journal,
        &ReportOptions {
            from,
            to,
            tz: tz.clone(),
            generated: now,
            include_private: req.include_private,
            sections,
        },
    );
    Ok(Report { html, from, to })
}
