//! Today: where today sits in the plan, doses and check-ins so far, what is due, alerts.

use crate::AppState;
use crate::error::WebError;
use crate::layout::{Nav, csrf, finding, page, when};
use crate::security::Csrf;
use axum::Extension;
use axum::extract::State;
use dosewise_core::schedule::DayKind;
use dosewise_core::titration::ProposalKind;
use maud::html;

pub async fn show(
    State(st): State<AppState>,
    Extension(token): Extension<Csrf>,
) -> Result<axum::response::Response, WebError> {
    use axum::response::IntoResponse;
    let now = st.now();
    let (key, tz, t) = st.today_keyed().await?;
    // A new journal, not set up yet: the first-run setup, not an empty Today.
    if !t.set_up {
        return Ok(axum::response::Redirect::to("/setup").into_response());
    }
    // Rendered once per overview, with a placeholder where this request's form token goes.
    let rendered = st.today_page(&key, || render(&tz, &t, now).into_string());
    let html = rendered.replace(Csrf::PLACEHOLDER, &token.token);
    Ok(axum::response::Html(html).into_response())
}

fn render(
    tz: &dosewise_core::jiff::tz::TimeZone,
    t: &dosewise_app::today::Today,
    now: dosewise_core::jiff::Timestamp,
) -> maud::Markup {
    let token = Csrf::placeholder();
    let tz = tz.clone();
    let local = now.to_zoned_datetime(tz.clone());
    let dose_day = t.protocols.iter().any(|p| p.day == DayKind::Dose);
    let support = t.attention.iter().any(|f| f.code == "self_harm_thoughts");
    let attention: Vec<_> = t
        .attention
        .iter()
        .filter(|f| f.code != "self_harm_thoughts")
        .collect();
    // With something that needs attention, logging a dose is no longer the page's main action.
    let calm = attention.is_empty() && !support && t.despite_today.is_empty();
    let body = html! {
        h1 { "Today, " (local.strftime("%A %-d %B")) }
        @if support { (crate::layout::support_card(t.crisis_line.as_deref(), t.clinician.as_deref())) }
        @if !attention.is_empty() || !t.despite_today.is_empty() {
            section.card.attention #attention aria-labelledby="attention-h" {
                h2 #attention-h { "Needs attention" }
                @if !t.despite_today.is_empty() {
                    ul {
                        @for d in &t.despite_today {
                            li {
                                a href=(format!("/doses/{}", d.id)) { "The dose " (when(d.dose.at, &d.dose.zone, &tz, now)) }
                                @if d.dose.override_reason.is_some() { " was saved despite a refusal: " } @else { " was recorded as taken despite a refusal: " }
                                (d.dose.refusals().map(|f| f.message.as_str()).collect::<Vec<_>>().join(" "))
                            }
                        }
                    }
                }
                @if !attention.is_empty() {
                    ul.findings { @for f in &attention { (finding(f)) } }
                }
                p.hint { "These stay until what causes them changes; every dose's check shows them too. " a href="/review" { "All standing findings" } }
            }
        }
        @if t.protocols.is_empty() {
            p.muted { "No protocol recorded yet. Your plan — which days, what dose, breaks and limits, as agreed with your clinician — goes on the " a href="/protocol#start" { "Protocol page" } "." }
        }
        @if !t.protocols.is_empty() {
            ol.week aria-label="This week" {
                @for d in &t.week {
                    @let state = d.state();
                    li class=(format!("day {}", state.replace([' ', ','], "-").replace("--", "-"))) aria-current=[d.is_today.then_some("date")] {
                        span.dname { (d.date.strftime("%a")) }
                        span.dnum { (d.date.day()) }
                        span.mark aria-hidden="true" {
                            @match state {
                                "taken" | "taken, not planned" => { "✓" }
                                "missed" => { "✗" }
                                "planned" | "planned today" => { "○" }
                                "break" => { "–" }
                                _ => { "·" }
                            }
                        }
                        span.visually-hidden { ": " (state) }
                    }
                }
            }
        }
        @for p in &t.protocols {
            p.card { (p.summary) }
            @if let Some(pr) = p.titration.as_ref().filter(|pr| pr.kind != ProposalKind::Hold) {
                p.card { strong { "Titration: " } (pr.message) }
            }
        }
        @if !t.after_dose.is_empty() {
            section.card aria-labelledby="after-h" {
                h2 #after-h { "After your last dose" }
                ul.advice { @for line in &t.after_dose { li { (crate::layout::cited(line)) } } }
            }
        }
        section aria-labelledby="doses-h" {
            h2 #doses-h { "Doses" }
            @if t.doses_today.is_empty() {
                p { "No dose logged today." }
            } @else {
                p { (t.doses_today.len()) " today, " (dosewise_core::dose::total_text(&t.doses_today)) " in total:" }
                ul {
                    @for d in &t.doses_today {
                        li { a href=(format!("/doses/{}", d.id)) { (d.dose.amount_text()) } " " (d.dose.route) ", " (when(d.dose.at, &d.dose.zone, &tz, now)) }
                    }
                }
            }
            @if let Some(tr) = &t.trial {
                div.card role="group" aria-labelledby="trial-h" {
                    h2 #trial-h { "Your blinded trial, day " (tr.day) }
                    @match (&tr.code, tr.taken_today) {
                        (Some(code), false) => {
                            p { "Today's container: " strong.code { (code) } ". Take that one, and log it by its code." }
                            form method="post" action="/dose" {
                                (csrf(&token))
                                input type="hidden" name="container" value=(code);
                                input type="hidden" name="action" value="log";
                                button.secondary[!calm] type="submit" { "Log today's container now" }
                            }
                        }
                        (Some(code), true) => {
                            p { "Today's container (" (code) ") is logged."
                                @if !tr.guessed_today { " In your check-in, say what you think you took." } }
                        }
                        (None, _) => { p { "A washout day: no trial dose today." } }
                    }
                    p.hint { a href="/trial" { "The trial" } }
                }
            }
            // During a trial's dosing day the container is the dose: the planned-dose button
            // would log it without its code, so the trial's button stands instead.
            @if dose_day && t.doses_today.is_empty() && t.trial.as_ref().is_none_or(|tr| tr.code.is_none()) {
                form method="post" action="/dose" {
                    (csrf(&token))
                    input type="hidden" name="action" value="log";
                    button.secondary[!calm] type="submit" { "Log the planned dose now" }
                    p.hint { "Runs the safety check first: warnings are shown before saving, and a refused dose is not saved." }
                }
            }
            @if dose_day && t.doses_today.is_empty() {
                a.button.secondary href="/dose" { "Log another amount" }
            } @else {
                a.button.secondary[!calm] href="/dose" { "Log a dose" }
            }
        }
        @if !t.clinic_notes.is_empty() {
            section aria-labelledby="notes-h" {
                h2 #notes-h { "From your clinic" }
                @for n in &t.clinic_notes {
                    div.card {
                        p { (n.text) }
                        p.muted { (n.author) ", " (when(n.at, "", &tz, now)) }
                    }
                }
            }
        }
        section aria-labelledby="checkin-h" {
            h2 #checkin-h { "Check-in" }
            @match (&t.last_checkin, t.checked_in_today) {
                (Some(c), true) => { p { "Checked in today: " (dosewise_app::checkin::summary(c)) } }
                (Some(c), false) => { p { "No check-in yet today (last: " (when(c.checkin.at, &c.checkin.zone, &tz, now)) ")." } }
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
    page("Today", Nav::Today, body)
}
