//! The insights over a period, read from the store (statistics in `dosewise_core::insights`).

use crate::Result;
use dosewise_core::insights::{Insights, insights as compute};
use dosewise_core::jiff::Timestamp;
use dosewise_core::jiff::tz::TimeZone;
use dosewise_store::{Store, Window};

/// Insights from `from` to `to` (text as typed, either may be absent): by default from the
/// first record — a baseline questionnaire taken before the first dose included — to today.
pub async fn insights<S: Store>(
    store: &S,
    from: Option<&str>,
    to: Option<&str>,
    now: Timestamp,
    tz: &TimeZone,
) -> Result<Insights> {
    let doses = store.doses(Window::default()).await?;
    let checkins = store.checkins(Window::default()).await?;
    let assessments = store.assessments(Window::default()).await?;
    let uses = store.substance_uses(Window::default()).await?;
    let today = now.to_zoned_datetime(tz.clone()).date();
    let first = doses
        .iter()
        .map(|d| d.dose.at)
        .chain(checkins.iter().map(|c| c.checkin.at))
        .chain(assessments.iter().map(|a| a.assessment.at))
        .min()
        .map_or(today, |t| t.to_zoned_datetime(tz.clone()).date());
    let (from, to) = crate::period::period(from, to, today, |_| Ok(first))?;
    Ok(compute(&doses, &checkins, &assessments, &uses, from, to))
}
