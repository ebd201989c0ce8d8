//! The clinician report, built once for every surface: the period (default: from the current
//! plan's first day, or the first record, at most a year; 90 days in an empty journal — up to
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
    /// First day, YYYY-MM-DD (default: the current plan's first day, or the first record, at
    /// most a year before the last; 90 days in an empty journal).
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

/// The days a report covers by default when the journal has no plan or records to start from.
pub(crate) const DEFAULT_DAYS: i64 = 90;
/// The longest period a report covers by default (a plan started years ago).
pub(crate) const MAX_DEFAULT_DAYS: i64 = 365;

/// Where a report starts by default: the current plan's first day — or its baseline, the last
/// questionnaire in the [`DEFAULT_DAYS`] before it — else the first dose or check-in: the time
/// the clinician is asked about, at most [`MAX_DEFAULT_DAYS`] before the end;
/// [`DEFAULT_DAYS`] before the end in a journal with neither.
fn default_from(j: &dosewise_core::journal::Journal, tz: &TimeZone, to: Date) -> Result<Date> {
    use dosewise_core::protocol::Status;
    let plan = j
        .protocols
        .iter()
        .filter(|p| p.status != Status::Ended)
        .map(|p| p.protocol.start)
        .min();
    let day = |t: Timestamp| t.to_zoned_datetime(tz.clone()).date();
    let first = j
        .doses
        .iter()
        .filter(|d| d.deleted_at.is_none())
        .map(|d| day(d.dose.at))
        .chain(
            j.checkins
                .iter()
                .filter(|c| c.is_live())
                .map(|c| day(c.checkin.at)),
        )
        .min();
    // The baseline: the last questionnaire in the 90 days before the plan began is part of
    // its story (PHQ-9 14 before, 3 now), so the period reaches back to it.
    let baseline = plan.and_then(|start| {
        let since = period::days_before(start, DEFAULT_DAYS).ok()?;
        j.assessments
            .iter()
            .map(|a| day(a.assessment.at))
            .filter(|d| *d < start && *d >= since)
            .max()
    });
    Ok(match baseline.or(plan).or(first).filter(|a| *a <= to) {
        Some(a) => a.max(period::days_before(to, MAX_DEFAULT_DAYS)?),
        None => period::days_before(to, DEFAULT_DAYS)?,
    })
}

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
    let journal = store.export().await?;
    let (from, to) = period::period(req.from, req.to, today, |to| default_from(&journal, tz, to))?;
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
