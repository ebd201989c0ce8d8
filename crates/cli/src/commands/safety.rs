//! The safety check as every command runs it: gather what preflight reads, run it, show the
//! verdict the same way everywhere.

use crate::context::Ctx;
use crate::error::CliResult;
use dosewise_core::dose::NewDose;
use dosewise_core::jiff::SignedDuration;
use dosewise_core::jiff::tz::TimeZone;
use dosewise_core::protocol::Protocol;
use dosewise_core::safety::{Finding, Preflight, Severity, Verdict, preflight};
use dosewise_store::{SqliteStore, Store, Window};

/// What the caller already holds, so the check does not read it again.
#[derive(Debug, Clone, Copy)]
pub struct Known<'a> {
    /// The contraindication screen answers (from the profile).
    pub screen: &'a [String],
    /// The dose's protocol, if any.
    pub protocol: Option<&'a Protocol>,
}

/// Run preflight for `dose`. `exclude` is the id of a dose being corrected (left out of history).
pub async fn check(
    ctx: &Ctx,
    store: &mut SqliteStore,
    dose: &NewDose,
    tz: &TimeZone,
    exclude: Option<i64>,
    known: Known<'_>,
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
    // Recent check-ins for craving and coping; urinary ones from further back.
    let mut checkins = store
        .urinary_checkins(Window {
            from: since(100),
            to: since(15),
            include_deleted: false,
        })
        .await?;
    checkins.extend(
        store
            .checkins(Window {
                from: since(15),
                to: None,
                include_deleted: false,
            })
            .await?,
    );
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
    let assessments = store
        .assessments(Window {
            from: since(100),
            to: None,
            include_deleted: false,
        })
        .await?;
    Ok(preflight(&Preflight {
        dose,
        now: ctx.now,
        tz,
        protocol: known.protocol,
        history: &history,
        checkins: &checkins,
        meds: &meds,
        uses: &uses,
        vitals: &vitals,
        clearances: &clearances,
        screen: known.screen,
        assessments: &assessments,
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
