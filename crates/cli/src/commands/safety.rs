//! The safety check as every command runs it: gather what preflight reads, run it, show the
//! verdict the same way everywhere.

use crate::context::Ctx;
use crate::error::CliResult;
use dosewise_core::dose::NewDose;
use dosewise_core::jiff::SignedDuration;
use dosewise_core::jiff::tz::TimeZone;
use dosewise_core::safety::{Finding, Preflight, Severity, Verdict, preflight};
use dosewise_store::{SqliteStore, Store, Window};

/// Run preflight for `dose`. `exclude` is the id of a dose being corrected (left out of history).
pub async fn check(
    ctx: &Ctx,
    store: &mut SqliteStore,
    dose: &NewDose,
    tz: &TimeZone,
    exclude: Option<i64>,
) -> CliResult<Verdict> {
    let since = |days: i64| {
        dose.at
            .min(ctx.now)
            .checked_sub(SignedDuration::from_hours(24 * days))
            .ok()
    };
    let history: Vec<_> = store
        .doses(Window {
            from: since(70),
            to: None,
            include_deleted: false,
        })
        .await?
        .into_iter()
        .filter(|d| Some(d.id) != exclude)
        .collect();
    let checkins = store
        .checkins(Window {
            from: since(100),
            to: None,
            include_deleted: false,
        })
        .await?;
    let meds = store.medications(false).await?;
    let uses = store
        .substance_uses(Window {
            from: since(15),
            to: None,
            include_deleted: false,
        })
        .await?;
    let vitals = store
        .vitals(Window {
            from: since(1),
            to: None,
            include_deleted: false,
        })
        .await?;
    let clearances = store.clearances().await?;
    let profile = store.profile().await?;
    let screen = profile.map(|p| p.screen).unwrap_or_default();
    let protocol = match dose.protocol_id {
        Some(id) => store.protocol(id).await?,
        None => None,
    };
    Ok(preflight(&Preflight {
        dose,
        now: ctx.now,
        tz,
        protocol: protocol.as_ref(),
        history: &history,
        checkins: &checkins,
        meds: &meds,
        uses: &uses,
        vitals: &vitals,
        clearances: &clearances,
        screen: &screen,
    }))
}

fn mark(s: Severity) -> &'static str {
    match s {
        Severity::Refuse => "✖ REFUSE",
        Severity::Warning => "! WARNING",
        Severity::Caution => "~ caution",
        Severity::Info => "· info",
    }
}

/// Print findings for a person. `detail` adds the reason, what to do and the sources.
pub fn print_findings(findings: &[Finding], detail: bool) {
    for f in findings {
        crate::outln!("  {} {}", mark(f.severity), f.message);
        if detail || f.severity >= Severity::Warning {
            crate::outln!("      why: {}", f.reason);
            crate::outln!("      what to do: {}", f.action);
            for s in &f.sources {
                crate::outln!("      source: {s}");
            }
        }
    }
}
