//! What stands now, whatever the next dose (the web's `dosewise check`): the findings every dose
//! would carry, supply shortfalls, the weekly totals; and recording that a clinician reviewed a
//! standing red flag (the web's `dosewise clear`).

use super::more::{Flash, Notice, notice_text, saved, saved_or_again};
use crate::AppState;
use crate::error::WebError;
use crate::layout::{Nav, csrf, error_box, page};
use crate::security::{CheckedForm, Csrf, FormData};
use axum::Extension;
use axum::extract::{Query, State};
use axum::response::Response;
use dosewise_core::safety::ClearanceTopic;
use dosewise_core::units::fmt_num;
use maud::{Markup, html};

pub async fn show(
    State(st): State<AppState>,
    Extension(token): Extension<Csrf>,
    Query(flash): Query<Flash>,
) -> Result<Markup, WebError> {
    let notice = notice_text(&st, &flash).await?;
    review_page(&st, &token, &FormData::default(), None, notice.as_deref()).await
}

async fn review_page(
    st: &AppState,
    token: &Csrf,
    f: &FormData,
    error: Option<&str>,
    flash: Option<&str>,
) -> Result<Markup, WebError> {
    let store = st.store().await;
    let tz = super::zone(st, &store).await?;
    let r = dosewise_app::review::review(&*store, st.now(), &tz).await?;
    drop(store);
    let topic = f.get("topic");
    let body = html! {
        h1 { "Standing findings" }
        (saved(flash))
        p { "What every dose would carry now, whatever its amount, with supply counted short and how use has moved over the last weeks." }
        @if r.findings.is_empty() {
            p { "No standing findings." }
        } @else {
            ul.findings { @for f in &r.findings { (crate::layout::finding(f)) } }
        }
        h2 { "Weekly totals (ketamine base)" }
        div.table-wrap { table {
            thead { tr { th scope="col" { "Week from" } th scope="col" { "Doses" } th scope="col" { "mg base" } } }
            tbody { @for w in &r.trends.weeks {
                tr { td { (w.from.to_zoned_datetime(tz.clone()).date()) } td { (w.doses) } td { (fmt_num(w.mg_base)) } }
            } }
        } }
        h2 #review { "Record a clinician review" }
        p.hint { "After a clinician has seen a standing red flag: findings from before today stop repeating; anything new shows again." }
        (error_box(error))
        form method="post" action="/review" {
            (csrf(token))
            label for="r-topic" { "What was reviewed" }
            select #r-topic name="topic" {
                option value="urinary" selected[topic.as_deref() != Some("screen")] { "Urinary symptoms" }
                option value="screen" selected[topic.as_deref() == Some("screen")] { "The health screen's answers" }
            }
            label for="r-note" { "Who reviewed it and what they said (required)" }
            input #r-note type="text" name="note" value=[f.get("note")] required maxlength="500";
            button type="submit" { "Record the review" }
        }
    };
    Ok(page("Standing findings", Nav::More, body))
}

/// Record a clinician's review, through the same code as `dosewise clear`.
pub async fn clear(
    State(st): State<AppState>,
    Extension(token): Extension<Csrf>,
    CheckedForm(f): CheckedForm,
) -> Result<Response, WebError> {
    let r: dosewise_app::Result<_> = async {
        let topic = match f.get("topic").as_deref() {
            Some("urinary") => ClearanceTopic::Urinary,
            Some("screen") => ClearanceTopic::Screen,
            _ => return Err(dosewise_app::input("choose what was reviewed")),
        };
        let note = f.get("note").unwrap_or_default();
        let store = st.store().await;
        dosewise_app::records::clear(&*store, topic, &note, st.now()).await
    }
    .await;
    let r = r.map(|c| Notice::Reviewed(c.topic));
    saved_or_again(r, "/review", async |m| {
        review_page(&st, &token, &f, Some(m), None).await
    })
    .await
}
