//! `check` without a dose: what stands now, whatever the next dose — the findings every dose
//! would carry (from the one safety check, on a nominal dose), supply shortfalls found by
//! counting, and the trends of the last weeks.

use crate::Result;
use dosewise_core::jiff::Timestamp;
use dosewise_core::jiff::tz::TimeZone;
use dosewise_core::route::Substance;
use dosewise_core::safety::{Finding, supply_finding};
use dosewise_core::stock::StockEventKind;
use dosewise_core::trends::{Trends, trends};
use dosewise_store::{Store, Window};

/// The standing findings (safety, then supply, then trends) and the trends they came from.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Review {
    pub findings: Vec<Finding>,
    pub trends: Trends,
}

/// The days of doses and check-ins the trends read: more than the eight weeks they show.
pub(crate) const TREND_DAYS: i64 = 70;

pub async fn review<S: Store>(store: &S, now: Timestamp, tz: &TimeZone) -> Result<Review> {
    let doses = store.doses(Window::last_days(now, TREND_DAYS)).await?;
    let checkins = store.checkins(Window::last_days(now, TREND_DAYS)).await?;
    let t = trends(&doses, &checkins, now);
    let protocol = store
        .protocols(false)
        .await?
        .into_iter()
        .find(|p| p.protocol.substance == Substance::Ketamine);
    let mut findings = crate::safety::standing(store, now, tz, protocol.as_ref()).await?;
    // A count below what the ledger implied: supply unaccounted for.
    for s in store.stocks(false).await? {
        let short: f64 = store
            .stock_events(s.id)
            .await?
            .iter()
            .filter(|e| e.kind == StockEventKind::Count)
            .map(|e| -e.delta)
            .filter(|d| *d > 0.0)
            .sum();
        findings.extend(supply_finding(
            &s.stock.name,
            short,
            s.stock.supply_unit.as_str(),
        ));
    }
    findings.extend(t.findings.clone());
    Ok(Review {
        findings,
        trends: t,
    })
}
