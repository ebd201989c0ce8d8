//! The safety check as every command runs it: gather what preflight reads, run it, show the
//! verdict the same way everywhere.

use crate::context::Ctx;
use crate::error::CliResult;
use dosewise_backends::AnyStore;
use dosewise_core::dose::NewDose;
use dosewise_core::jiff::tz::TimeZone;
use dosewise_core::safety::{Finding, Severity, Verdict};

pub use dosewise_app::safety::Known;

/// Run preflight for `dose`. `exclude` is the id of a dose being corrected (left out of history).
pub async fn check(
    ctx: &Ctx,
    store: &AnyStore,
    dose: &NewDose,
    tz: &TimeZone,
    exclude: Option<i64>,
    known: Known<'_>,
) -> CliResult<Verdict> {
    Ok(dosewise_app::safety::check(store, dose, ctx.now, tz, exclude, known).await?)
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
