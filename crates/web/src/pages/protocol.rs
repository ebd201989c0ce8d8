//! The protocol page: the current plan, its adherence, and pausing, resuming or ending it.

use super::more::{Flash, Notice, notice_text, saved, saved_or_again};
use crate::AppState;
use crate::error::WebError;
use crate::layout::{Nav, csrf, error_box, page};
use crate::security::{CheckedForm, Csrf};
use axum::Extension;
use axum::extract::{Path, Query, State};
use axum::response::Response;
use dosewise_core::protocol::Status;
use dosewise_core::schedule::{next_planned, slot};
use dosewise_core::when::local_text;
use dosewise_store::Store;
use maud::{Markup, html};

pub async fn protocol(
    State(st): State<AppState>,
    Extension(token): Extension<Csrf>,
    Query(flash): Query<Flash>,
) -> Result<Markup, WebError> {
    let notice = notice_text(&st, &flash).await?;
    protocol_page(&st, &token, None, notice.as_deref()).await
}

async fn protocol_page(
    st: &AppState,
    token: &Csrf,
    error: Option<&str>,
    flash: Option<&str>,
) -> Result<Markup, WebError> {
    let store = st.store().await;
    let tz = super::zone(st, &store).await?;
    let now = st.now();
    let today = now.to_zoned_datetime(tz.clone()).date();
    let protocols = store.protocols(false).await?;
    let from = today
        .checked_sub(dosewise_core::jiff::Span::new().days(28))
        .unwrap_or(today);
    let mut rows = Vec::new();
    for p in &protocols {
        let doses = store
            .doses(dosewise_app::period::window(from, today, &tz, false)?)
            .await?;
        let mine: Vec<_> = doses
            .into_iter()
            .filter(|d| d.dose.protocol_id == Some(p.id))
            .collect();
        let adh =
            dosewise_core::adherence::adherence(p, &mine, from.max(p.protocol.start), today, today);
        let events = store.protocol_events(p.id).await?;
        rows.push((p, adh, events));
    }
    drop(store);
    let body = html! {
        h1 { "Protocol" }
        (saved(flash))
        (error_box(error))
        @if protocols.is_empty() { p { "No current protocol. Plans are set in the terminal: " code { "dosewise protocol add --help" } "." } }
        @for (p, adh, events) in &rows {
            section.card {
                h2 { (p.protocol.name) }
                p { (dosewise_app::today::protocol_line(p, today, &tz)) }
                p { (p.protocol.pattern.describe()) "; planned dose " (p.protocol.dose.entered) "." }
                ul { @for l in p.protocol.limits.describe() { li { (l) } } }
                h3 { "Next planned doses" }
                @let next = next_planned(p, today, 5);
                @if next.is_empty() { p.muted { "None planned" @if p.status == Status::Paused { " while paused" } "." } }
                ul { @for d in next { li { (local_text(slot(p, d, &tz), &tz)) } } }
                h3 { "Last 28 days" }
                p {
                    (adh.planned_days_dosed) " of " (adh.planned_days) " planned days dosed"
                    @if let Some(a) = adh.adherence { " (" (format!("{:.0}", a * 100.0)) "%)" }
                    "; " (adh.off_plan_dose_ids.len()) " off-plan, " (adh.extra_dose_ids.len()) " extra."
                }
                h3 { "History" }
                ul { @for e in events.iter() { li { (e.date) ": " (e.describe()) } } }
                h3 { "Pause, resume or end" }
                form method="post" action={ "/protocol/" (p.id) } {
                    (csrf(token))
                    @if p.status == Status::Active {
                        button.secondary type="submit" name="action" value="pause" { "Pause from today" }
                    } @else if p.status == Status::Paused {
                        button.secondary type="submit" name="action" value="resume" { "Resume today" }
                    }
                    p {
                        label for={ "end-" (p.id) } {
                            input #{ "end-" (p.id) } type="checkbox" name="confirm_end" value="yes";
                            " End this protocol for good (its history stays in the journal)"
                        }
                    }
                    button.secondary type="submit" name="action" value="end" { "End protocol" }
                }
                p.muted { "Changing the dose, time or limits is done in the terminal: " code { "dosewise protocol set --help" } "." }
            }
        }
    };
    Ok(page("Protocol", Nav::More, body))
}

/// Pause, resume or end a protocol (the same code as `dosewise protocol pause|resume|end`).
pub async fn change_protocol(
    State(st): State<AppState>,
    Extension(token): Extension<Csrf>,
    Path(id): Path<i64>,
    CheckedForm(f): CheckedForm,
) -> Result<Response, WebError> {
    let store = st.store().await;
    let now = st.now();
    let today = now
        .to_zoned_datetime(super::zone(&st, &store).await?)
        .date();
    let r: dosewise_app::Result<Notice> = async {
        let p = store
            .protocol(id)
            .await?
            .ok_or_else(|| dosewise_app::input(format!("there is no protocol {id}")))?;
        let pid = p.id;
        Ok(match f.get("action").as_deref() {
            Some("pause") => {
                dosewise_app::protocol::pause(&*store, p, today, now).await?;
                Notice::Paused(pid)
            }
            Some("resume") => {
                dosewise_app::protocol::resume(&*store, p, today, now).await?;
                Notice::Resumed(pid)
            }
            Some("end") => {
                if f.get("confirm_end").as_deref() != Some("yes") {
                    return Err(dosewise_app::input(
                        "to end a protocol, tick the box that confirms it, then press End protocol",
                    ));
                }
                dosewise_app::protocol::end(&*store, p, today, now).await?;
                Notice::Ended(pid)
            }
            _ => return Err(dosewise_app::input("choose pause, resume or end")),
        })
    }
    .await;
    // The page shown again locks the store itself.
    drop(store);
    saved_or_again(r, "/protocol", async |m| {
        protocol_page(&st, &token, Some(m), None).await
    })
    .await
}
