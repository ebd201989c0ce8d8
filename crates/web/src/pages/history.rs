//! History: doses and check-ins over a period, filterable by kind.

use crate::AppState;
use crate::error::WebError;
use crate::layout::{Nav, error_box, page, when};
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use dosewise_store::Store;
use maud::html;

#[derive(Debug, Default, serde::Deserialize)]
pub struct Filter {
    pub from: Option<String>,
    pub to: Option<String>,
    /// "all" (default), "doses" or "checkins".
    pub kind: Option<String>,
}

pub async fn list(
    State(st): State<AppState>,
    Query(q): Query<Filter>,
) -> Result<Response, WebError> {
    let store = st.store().await;
    let tz = super::zone(&st, &store).await?;
    let now = st.now();
    let today = st.now().to_zoned_datetime(tz.clone()).date();
    let period = dosewise_app::period::period(q.from.as_deref(), q.to.as_deref(), today, |to| {
        dosewise_app::period::days_before(to, 30)
    });
    let (from, to) = match period {
        Ok(p) => p,
        Err(e) => {
            drop(store);
            let body = html! { h1 { "History" } (error_box(Some(&e.to_string()))) p { a href="/history" { "The last 30 days" } } };
            return Ok(
                (StatusCode::BAD_REQUEST, page("History", Nav::History, body)).into_response(),
            );
        }
    };
    let kind = q.kind.as_deref().unwrap_or("all");
    let w = dosewise_app::period::window(from, to, &tz, true)?;
    let doses = if kind == "checkins" {
        vec![]
    } else {
        store.doses(w).await?
    };
    let checkins = if kind == "doses" {
        vec![]
    } else {
        store.checkins(w).await?
    };
    drop(store);
    let body = html! {
        h1 { "History" }
        form method="get" action="/history" class="grid2" {
            div { label for="from" { "From" } input #from type="date" name="from" value=(from); }
            div { label for="to" { "To" } input #to type="date" name="to" value=(to); }
            div {
                label for="kind" { "Show" }
                select #kind name="kind" {
                    option value="all" selected[kind == "all"] { "Doses and check-ins" }
                    option value="doses" selected[kind == "doses"] { "Doses" }
                    option value="checkins" selected[kind == "checkins"] { "Check-ins" }
                }
            }
            div { button type="submit" { "Show" } }
        }
        @if kind != "checkins" {
            h2 { "Doses (" (doses.len()) ")" }
            @if doses.is_empty() { p.muted { "No doses in this period." } } @else {
                div.table-wrap { table.stack {
                    thead { tr { th scope="col" { "When" } th scope="col" { "Amount" } th scope="col" { "Route" } th scope="col" { "Safety" } } }
                    tbody { @for d in doses.iter().rev() {
                        tr {
                            td { a href=(format!("/doses/{}", d.id)) { (when(d.dose.at, &d.dose.zone, &tz, now)) } }
                            td data-label="Amount" { (d.dose.amount_text()) @if d.deleted_at.is_some() { " " span.badge.refuse { "deleted" } } }
                            td data-label="Route" { (d.dose.route) }
                            td data-label="Safety" {
                                @if d.dose.override_reason.is_some() { span.badge.refuse { "overridden" } " " }
                                @let n = d.dose.findings.len();
                                @if n > 0 { (n) " finding" @if n > 1 { "s" } }
                            }
                        }
                    } }
                } }
            }
        }
        @if kind != "doses" {
            h2 { "Check-ins (" (checkins.len()) ")" }
            @if checkins.is_empty() { p.muted { "No check-ins in this period." } } @else {
                div.table-wrap { table.stack {
                    thead { tr { th scope="col" { "When" } th scope="col" { "Ratings and more" } th scope="col" { "Note" } } }
                    tbody { @for c in checkins.iter().rev() {
                        tr {
                            td { a href=(format!("/checkins/{}", c.id)) { (when(c.checkin.at, &c.checkin.zone, &tz, now)) } }
                            td { (dosewise_app::checkin::summary(c)) }
                            @if let Some(n) = &c.checkin.note { td data-label="Note" { (n) } } @else { td {} }
                        }
                    } }
                } }
            }
        }
    };
    Ok(page("History", Nav::History, body).into_response())
}
