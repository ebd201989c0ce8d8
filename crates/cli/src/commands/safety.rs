//! How the CLI shows a verdict (computed once, by `dosewise_app`): one mark per severity, and
//! for what matters, why, what to do and the sources.

use dosewise_core::safety::{Finding, Severity};

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
