//! Today: where today sits in the plan, doses and check-ins so far, what is due, alerts.

use crate::AppState;
use crate::error::WebError;
use crate::layout::{Nav, csrf, finding, page, when};
use crate::security::Csrf;
use axum::Extension;
use axum::extract::State;
use dosewise_core::schedule::DayKind;
use dosewise_core::titration::ProposalKind;
use dosewise_core::units::fmt_num;
use maud::{Markup, html};

pub async fn show(
    State(st): State<AppState>,
    Extension(token): Extension<Csrf>,
) -> Result<Markup, WebError> {
    let now = st.now();
    let (tz, t) = st.today().await?;
    let local = now.to_zoned_datetime(tz.clone());
    let dose_day = t.protocols.iter().any(|p| p.day == DayKind::Dose);
    let body = html! {
        h1 { "Today, " (local.strftime("%A %-d %B")) }
        @if t.protocols.is_empty() {
            p.muted { "No protocol recorded. Your plan (which days, what dose, breaks, limits) is set with " code { "dosewise protocol add" } "." }
        }
        @for p in &t.protocols {
            p.card { (p.summary) }
            @if let Some(pr) = p.titration.as_ref().filter(|pr| pr.kind != ProposalKind::Hold) {
                p.card { strong { "Titration: " } (pr.message) }
            }
        }
        @for line in &t.after_dose {
            p.card.warn-note { (line) }
        }
        section aria-labelledby="doses-h" {
            h2 #doses-h { "Doses" }
            @if t.doses_today.is_empty() {
                p { "No dose logged today." }
            } @else {
                p { (t.doses_today.len()) " today, " (fmt_num(t.dose_mg_base_today)) " mg base in total:" }
                ul {
                    @for d in &t.doses_today {
                        li { a href=(format!("/doses/{}", d.id)) { (d.dose.amount_text()) } " " (d.dose.route) " at " (when(d.dose.at, &d.dose.zone, &tz)) }
                    }
                }
            }
            @if dose_day && t.doses_today.is_empty() {
                form method="post" action="/dose" {
                    (csrf(&token))
                    input type="hidden" name="action" value="log";
                    button type="submit" { "Log the planned dose now" }
                    p.hint { "Runs the safety check first; a refused dose is not logged." }
                }
            }
            @if dose_day && t.doses_today.is_empty() {
                a.button.secondary href="/dose" { "Log another amount" }
            } @else {
                a.button href="/dose" { "Log a dose" }
            }
        }
        @if !t.clinic_notes.is_empty() {
            section aria-labelledby="notes-h" {
                h2 #notes-h { "From your clinic" }
                @for n in &t.clinic_notes {
                    div.card {
                        p { (n.text) }
                        p.muted { (n.author) ", " (dosewise_core::when::local_text(n.at, &tz)) }
                    }
                }
            }
        }
        section aria-labelledby="checkin-h" {
            h2 #checkin-h { "Check-in" }
            @match (&t.last_checkin, t.checked_in_today) {
                (Some(c), true) => { p { "Checked in today: " (dosewise_app::checkin::summary(c)) } }
                (Some(c), false) => { p { "No check-in yet today (last: " (when(c.checkin.at, &c.checkin.zone, &tz)) ")." } }
                (None, _) => { p { "No check-ins yet." } }
            }
            a.button href="/checkin" { "Check in" }
        }
        @if t.screen_due {
            section aria-labelledby="screen-h" {
                h2 #screen-h { "Health screen due" }
                p { "A few yes/no questions on conditions that matter with ketamine, asked every 6 months. " a href="/screen" { "Answer the health screen" } }
            }
        }
        @if !t.questionnaires_due.is_empty() {
            section aria-labelledby="due-h" {
                h2 #due-h { "Questionnaires due" }
                ul { @for q in &t.questionnaires_due {
                    li { a href=(format!("/assess/{q}")) { (dosewise_core::questionnaire::instrument(q).map_or(q.as_str(), |i| i.name.as_str())) } }
                } }
            }
        }
        @if !t.findings.is_empty() {
            section aria-labelledby="alerts-h" {
                h2 #alerts-h { "Alerts" }
                ul.findings { @for f in &t.findings { (finding(f)) } }
            }
        }
        @if !t.stock.is_empty() {
            section aria-labelledby="stock-h" {
                h2 #stock-h { "Stock" }
                ul {
                    @for s in &t.stock {
                        li {
                            (s.name) ": " (s.remaining_text)
                            @for m in &s.messages { br; strong.badge.warning { (m) } }
                        }
                    }
                }
            }
        }
    };
    Ok(page("Today", Nav::Today, body))
}
