//! How the CLI shows a verdict (computed once, by `dosewise_app`): one mark per severity, and
//! for what matters, why, what to do and the sources.

use dosewise_core::safety::{Finding, Severity, Step};

fn mark(s: Severity) -> &'static str {
    match s {
        Severity::Refuse => "✖ REFUSE",
        Severity::Warning => "! WARNING",
        Severity::Caution => "~ caution",
        Severity::Info => "· info",
    }
}

/// A finding's follow-up, as the command that records it.
pub fn how(step: Step) -> &'static str {
    match step {
        Step::SetProtocol => {
            "dosewise protocol add (see dosewise protocol add --help for examples)"
        }
        Step::ChangeProtocol => {
            "dosewise protocol add with --cycle and --break (for instance --cycle 6w --break 3w)"
        }
        Step::ClearUrinary => "dosewise clear urinary --note \"what the clinician said\"",
        Step::ClearScreen => "dosewise clear screen --note \"what the clinician said\"",
        Step::RecordVitals => "dosewise vitals --bp 125/80 --context pre-dose",
        Step::LogMissedDose => "dosewise dose AMOUNT --at \"WHEN IT WAS TAKEN\"",
    }
}

/// Print findings for a person. `detail` adds the reason, what to do and the sources.
pub fn print_findings(findings: &[Finding], detail: bool) {
    for f in findings {
        crate::outln!("  {} {}", mark(f.severity), f.message);
        if detail || f.severity >= Severity::Warning {
            crate::outln!("      why: {}", f.reason);
            crate::outln!("      what to do: {}", f.action);
            if let Some(step) = f.step {
                crate::outln!("      how: {}", how(step));
            }
            for s in &f.sources {
                crate::outln!("      source: {s}");
            }
        }
    }
}
