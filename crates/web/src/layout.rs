//! The page shell and the pieces several pages share (the verdict, field errors, times).

use crate::security::Csrf;
use dosewise_core::jiff::Timestamp;
use dosewise_core::jiff::tz::TimeZone;
use dosewise_core::safety::{Finding, Severity, Step, Verdict};
use maud::{DOCTYPE, Markup, html};

/// The main sections, in the navigation's order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Nav {
    Today,
    Dose,
    Checkin,
    History,
    Insights,
    Report,
    More,
}

const NAV: [(Nav, &str, &str); 7] = [
    (Nav::Today, "/", "Today"),
    (Nav::Dose, "/dose", "Log dose"),
    (Nav::Checkin, "/checkin", "Check in"),
    (Nav::History, "/history", "History"),
    (Nav::Insights, "/insights", "Insights"),
    (Nav::Report, "/report", "Report"),
    (Nav::More, "/more", "More"),
];

fn head(title: &str) -> Markup {
    html! {
        head {
            meta charset="utf-8";
            meta name="viewport" content="width=device-width, initial-scale=1";
            meta name="referrer" content="same-origin";
            link rel="icon" href="data:,";
            title { (title) " · Dosewise" }
            link rel="stylesheet" href="/static/style.css";
            script src="/static/app.js" defer {}
        }
    }
}

/// A full page with the navigation.
pub fn page(title: &str, current: Nav, body: Markup) -> Markup {
    html! {
        (DOCTYPE)
        html lang="en" {
            (head(title))
            body {
                a.skip href="#main" { "Skip to content" }
                header {
                    nav aria-label="Main" {
                        ul {
                            @for (n, href, label) in NAV {
                                li {
                                    @if n == current {
                                        a href=(href) aria-current="page" { (label) }
                                    } @else {
                                        a href=(href) { (label) }
                                    }
                                }
                            }
                        }
                    }
                }
                main #main { (body) }
                footer {
                    p { "Dosewise informs; it does not prescribe. Work with your clinician, start low and change slowly. Your journal stays on this computer." }
                }
            }
        }
    }
}

/// A page without the navigation (errors, login).
pub fn bare(title: &str, body: Markup) -> Markup {
    html! {
        (DOCTYPE)
        html lang="en" {
            (head(title))
            body { main #main { (body) } }
        }
    }
}

/// The hidden CSRF field every form carries.
pub fn csrf(c: &Csrf) -> Markup {
    html! { input type="hidden" name="csrf" value=(c.token); }
}

/// An error box for a form that was not accepted.
pub fn error_box(msg: Option<&str>) -> Markup {
    html! {
        @if let Some(m) = msg {
            div.error role="alert" { strong { "Not saved: " } (m) }
        }
    }
}

/// "2026-11-28 08:00 CET" in the zone the entry was recorded in.
pub fn when(t: Timestamp, zone: &str, fallback: &TimeZone) -> String {
    dosewise_core::when::local_text_in(t, zone, fallback)
}

fn severity(s: Severity) -> (&'static str, &'static str) {
    match s {
        Severity::Refuse => ("refuse", "Refused"),
        Severity::Warning => ("warning", "Warning"),
        Severity::Caution => ("caution", "Caution"),
        Severity::Info => ("info", "Note"),
    }
}

/// One finding with why, what to do and its sources — what the CLI prints, as HTML. The
/// reasons fold away (a native `<details>`, no script) unless `open`.
pub fn finding_with(f: &Finding, open: bool) -> Markup {
    let (class, label) = severity(f.severity);
    html! {
        li class=(format!("finding {class}")) {
            strong { (label) ": " } (f.message)
            details open[open] {
                summary { "Why, what to do, sources" }
                dl {
                    dt { "Why" } dd { (f.reason) }
                    dt { "What to do" } dd {
                        (f.action)
                        @if let Some((href, label)) = f.step.map(step_link) {
                            " " a href=(href) { (label) }
                        }
                    }
                    @if !f.sources.is_empty() {
                        dt { "Sources" }
                        dd { ul.sources { @for s in &f.sources { li { (s) } } } }
                    }
                }
            }
        }
    }
}

/// A finding's follow-up, as the page that records it.
pub fn step_link(step: Step) -> (&'static str, &'static str) {
    match step {
        Step::SetProtocol => ("/protocol#start", "Set up a protocol"),
        Step::ChangeProtocol => ("/protocol", "Your protocol"),
        Step::ClearUrinary | Step::ClearScreen => ("/review", "Record the clinician's review"),
        Step::RecordVitals => ("/vitals", "Record blood pressure"),
        Step::LogMissedDose => ("/", "Log a dose"),
    }
}

pub fn finding(f: &Finding) -> Markup {
    finding_with(f, false)
}

/// Findings, most severe first.
fn sorted(v: &Verdict) -> Vec<&Finding> {
    let mut f: Vec<&Finding> = v.findings.iter().collect();
    f.sort_by_key(|f| std::cmp::Reverse(f.severity));
    f
}

/// The safety check's verdict on a dose.
pub fn verdict(v: &Verdict) -> Markup {
    html! {
        section.verdict aria-labelledby="verdict-title" {
            h2 #verdict-title {
                @if v.refused() { "Refused by the safety check" }
                @else if v.findings.is_empty() { "Safety check: no findings" }
                @else { "Safety check" }
            }
            @if v.recorded_despite_refusal() {
                p { "This dose is timed more than 30 minutes ago: it is recorded as taken, with the findings below, which would have applied before it." }
            }
            @if !v.findings.is_empty() {
                // The first (most severe) finding's reasons are shown; the rest fold away.
                ul.findings { @for (k, f) in sorted(v).into_iter().enumerate() { (finding_with(f, k == 0)) } }
            }
        }
    }
}
