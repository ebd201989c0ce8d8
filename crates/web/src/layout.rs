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

/// The tabs a phone's bottom bar keeps (History and the Report are under More there).
fn on_phone(n: Nav) -> bool {
    !matches!(n, Nav::History | Nav::Report)
}

/// A small line icon for a tab (24×24, drawn in the text colour, hidden from screen readers).
fn icon(n: Nav) -> Markup {
    let path = match n {
        // A calendar page.
        Nav::Today => "M4 6h16v14H4z M4 10h16 M8 3v5 M16 3v5",
        // A capsule.
        Nav::Dose => "M8.5 15.5l7-7a3.5 3.5 0 0 1 5 5l-7 7a3.5 3.5 0 0 1-5-5z M12 12l3.5 3.5",
        // A tick in a circle.
        Nav::Checkin => "M12 3a9 9 0 1 0 0.01 0z M8 12.5l3 3 5-6",
        // A clock.
        Nav::History => "M12 3a9 9 0 1 0 0.01 0z M12 7v5l3 2",
        // Bars.
        Nav::Insights => "M5 20V11 M10 20V6 M15 20v-7 M20 20V9",
        // A page with lines.
        Nav::Report => "M6 3h9l3 3v15H6z M9 10h6 M9 14h6 M9 18h4",
        // Three dots.
        Nav::More => "M6 12h.01 M12 12h.01 M18 12h.01",
    };
    html! {
        svg.icon viewBox="0 0 24 24" width="24" height="24" aria-hidden="true" focusable="false" {
            path d=(path) fill="none" stroke="currentColor" stroke-width="2" stroke-linecap="round" stroke-linejoin="round" {}
        }
    }
}

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
                                li.wide-only[!on_phone(n)] {
                                    @if n == current {
                                        a href=(href) aria-current="page" { (icon(n)) span { (label) } }
                                    } @else {
                                        a href=(href) { (icon(n)) span { (label) } }
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

/// "today at 08:00", "Fri 27 Nov at 21:30": an entry's time as running text reads it, in the
/// zone it was recorded in (named only when that is not the person's zone now).
pub fn when(t: Timestamp, zone: &str, current: &TimeZone, now: Timestamp) -> String {
    dosewise_core::when::friendly(t, zone, now, current)
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

/// A `tel:` address for a phone number written in a line of text ("Samaritans 116 123" →
/// "tel:116123"): the first run of digits, spaces, dashes and brackets holding at least three
/// digits, with a leading "+" kept.
pub fn tel_of(line: &str) -> Option<String> {
    let start = line.find(|c: char| c.is_ascii_digit() || c == '+')?;
    let run: String = line[start..]
        .chars()
        .take_while(|c| c.is_ascii_digit() || matches!(c, '+' | ' ' | '-' | '(' | ')' | '.'))
        .collect();
    let digits: String = run.chars().filter(char::is_ascii_digit).collect();
    (digits.len() >= 3).then(|| {
        let plus = if run.trim_start().starts_with('+') {
            "+"
        } else {
            ""
        };
        format!("tel:{plus}{digits}")
    })
}

/// Support after thoughts of self-harm (PHQ-9 item 9, or a check-in's words): calm, with the
/// person's own crisis line and clinician to tap, the helpline directory and the emergency
/// numbers; the source behind a fold.
pub fn support_card(crisis_line: Option<&str>, clinician: Option<&str>) -> Markup {
    let line = crisis_line.map(str::trim).filter(|l| !l.is_empty());
    let clinician = clinician.map(str::trim).filter(|l| !l.is_empty());
    html! {
        section.card.support aria-labelledby="support-h" {
            h2 #support-h { "Talk to someone today" }
            p { "You mentioned thoughts of being better off dead or of hurting yourself. That deserves a conversation today — with your clinician, someone you trust, or a crisis line. Please don't take a dose before you have talked to someone." }
            ul.contacts {
                @if let Some(l) = line {
                    li { "Your crisis line: "
                        @if let Some(tel) = tel_of(l) { a href=(tel) { (l) } } @else { strong { (l) } }
                    }
                }
                @if let Some(c) = clinician {
                    li { "Your clinician: "
                        @if let Some(tel) = tel_of(c) { a href=(tel) { (c) } } @else { strong { (c) } }
                    }
                }
                li { "Free, confidential helplines in your country: " a href="https://findahelpline.com" rel="noreferrer" { "findahelpline.com" } }
                li { "In danger now: call your emergency number — "
                    a href="tel:112" { "112" } " (European Union), "
                    a href="tel:999" { "999" } " (UK), "
                    a href="tel:911" { "911" } " (US, Canada)." }
            }
            @if line.is_none() || clinician.is_none() {
                p.hint { "You can add your own crisis line and your clinician's number on the " a href="/screen" { "health screen" } " page." }
            }
            details.sources {
                summary { "Sources" }
                ul.sources { li { (dosewise_core::questionnaire::CRISIS_SOURCE) } }
            }
        }
    }
}

/// A line of advice that ends with its sources in brackets ("… [SPRAVATO US label, H]"): the
/// text, with the sources behind a fold.
pub fn cited(line: &str) -> Markup {
    // "… [sources]" or "… [sources]." (a sentence ending after its citation).
    let bare = line.strip_suffix('.').unwrap_or(line);
    let (text, sources) = match bare.strip_suffix(']').and_then(|l| l.rsplit_once(" [")) {
        Some((t, s)) => (t, Some(s)),
        None => (line, None),
    };
    html! {
        (text)
        @if let Some(s) = sources {
            details.sources {
                summary { "Sources" }
                ul.sources { @for x in s.split("; ") { li { (x) } } }
            }
        }
    }
}

/// What to look out for in the next hours after a dose taken despite a refusal: calm, each
/// line with its sources behind a fold.
pub fn after_a_refused_dose() -> Markup {
    html! {
        section.card.attention aria-labelledby="now-h" {
            h2 #now-h { "For the next few hours" }
            ul.advice {
                @for a in dosewise_core::knowledge::after_a_refused_dose() {
                    li {
                        (a.text)
                        details.sources {
                            summary { "Sources" }
                            ul.sources { @for s in &a.sources { li { (s) } } }
                        }
                    }
                }
            }
        }
    }
}

/// The safety check's verdict on a dose.
pub fn verdict(v: &Verdict) -> Markup {
    html! {
        section.verdict.refused[v.refused()] aria-labelledby="verdict-title" {
            h2 #verdict-title {
                @if v.refused() { "Not saved" }
                @else if v.findings.is_empty() { "Safety check: no findings" }
                @else { "Safety check" }
            }
            @if v.refused() {
                p.lead { "The safety check refused this dose, so nothing was written." }
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_phone_number_in_a_crisis_line_becomes_a_tel_link() {
        assert_eq!(tel_of("Samaritans 116 123").as_deref(), Some("tel:116123"));
        assert_eq!(
            tel_of("call +44 (0)20 7946 0958 any time").as_deref(),
            Some("tel:+4402079460958")
        );
        assert_eq!(tel_of("988").as_deref(), Some("tel:988"));
        assert_eq!(tel_of("my sister Ana"), None);
        assert_eq!(tel_of("text 12"), None);
    }

    #[test]
    fn a_cited_line_keeps_its_sources_behind_a_fold() {
        let m = cited("Do not drive until tomorrow [SPRAVATO US label, H; Other, M]").into_string();
        assert!(m.starts_with("Do not drive until tomorrow<details"), "{m}");
        assert!(
            m.contains("<li>SPRAVATO US label, H</li><li>Other, M</li>"),
            "{m}"
        );
        assert_eq!(cited("No sources here").into_string(), "No sources here");
        let m = cited("Peak about 45 minutes [Rolan P et al., H].").into_string();
        assert!(m.starts_with("Peak about 45 minutes<details"), "{m}");
    }
}
