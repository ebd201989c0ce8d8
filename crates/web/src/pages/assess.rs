//! Questionnaires: which are due, and each one's form and score.

use super::more::rejected;
use crate::AppState;
use crate::error::WebError;
use crate::layout::{Nav, csrf, error_box, page, when};
use crate::security::{CheckedForm, Csrf, FormData};
use axum::Extension;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Response};
use dosewise_app::AppError;
use dosewise_core::questionnaire::{due, instrument};
use dosewise_store::{Store, Window};
use maud::{Markup, html};

pub async fn assess_list(State(st): State<AppState>) -> Result<Markup, WebError> {
    let store = st.store().await;
    let tz = super::zone(&st, &store).await?;
    let past = store.assessments(Window::default()).await?;
    drop(store);
    let now = st.now();
    Ok(page(
        "Questionnaires",
        Nav::More,
        html! {
            h1 { "Questionnaires" }
            ul { @for d in due(&past, now) {
                @let (i, last) = (d.instrument, d.last);
                li {
                    a href=(format!("/assess/{}", i.id)) { (i.name) } " — " (i.title)
                    @if !i.validated { " (plain questions, not a validated scale)" }
                    br;
                    span.muted {
                        @match last { Some(a) => { "Last: " (a.assessment.total) " (" (a.assessment.band) ") on " (when(a.assessment.at, &a.assessment.zone, &tz, now)) ". " } None => { "Never taken. " } }
                        "Every " (i.cadence_days) " days."
                    }
                    @if d.due { " " span.badge.warning { "due" } }
                }
            } }
        },
    ))
}

fn assess_page(
    token: &Csrf,
    id: &str,
    f: &FormData,
    error: Option<&str>,
) -> Result<Markup, WebError> {
    let i = instrument(id).ok_or_else(|| WebError::NotFound(format!("no questionnaire {id:?}")))?;
    Ok(page(
        &i.name,
        Nav::More,
        html! {
            h1 { (i.name) }
            p { (i.title) }
            (error_box(error))
            form method="post" action=(format!("/assess/{}", i.id)) {
                (csrf(token))
                p { strong { (i.stem) } }
                @for (k, item) in i.items.iter().enumerate() {
                    @let name = format!("q{k}");
                    @let chosen = f.get(&name);
                    fieldset.checks {
                        legend { (k + 1) ". " (item) }
                        @for (label, v) in &i.responses {
                            label { input type="radio" name=(name) value=(v) required checked[chosen.as_deref() == Some(v.to_string().as_str())]; (label) }
                        }
                    }
                }
                button type="submit" { "Score and save" }
            }
            p.muted { (i.attribution) }
            @if let Some(r) = &i.reminder { p { (r) } }
        },
    ))
}

pub async fn assess_form(
    Path(id): Path<String>,
    Extension(token): Extension<Csrf>,
) -> Result<Markup, WebError> {
    assess_page(&token, &id, &FormData::default(), None)
}

pub async fn assess_submit(
    State(st): State<AppState>,
    Path(id): Path<String>,
    Extension(token): Extension<Csrf>,
    CheckedForm(f): CheckedForm,
) -> Result<Response, WebError> {
    let i =
        instrument(&id).ok_or_else(|| WebError::NotFound(format!("no questionnaire {id:?}")))?;
    let answers: Result<Vec<i64>, AppError> = (0..i.items.len())
        .map(|k| {
            f.get(&format!("q{k}"))
                .ok_or_else(|| AppError::Input(format!("question {} has no answer", k + 1)))?
                .parse::<i64>()
                .map_err(|_| AppError::Input(format!("question {}: not an answer", k + 1)))
        })
        .collect();
    let r = async {
        let a = answers?;
        let store = st.store().await;
        let zone = st.0.config.zone.as_deref();
        let a = dosewise_app::records::assessment(&*store, &i.id, &a, None, None, zone, st.now())
            .await?;
        let crisis = store.profile().await?;
        Ok((a, crisis))
    }
    .await;
    match r {
        Ok((a, crisis)) => Ok(page(
            &i.name,
            Nav::More,
            html! {
                h1 { (i.name) ": " (a.assessment.total) " of " (i.max) }
                p { "Band: " strong { (a.assessment.band) } }
                @if a.assessment.self_harm_flag() {
                    (crate::layout::support_card(
                        crisis.as_ref().and_then(|p| p.crisis_line.as_deref()),
                        crisis.as_ref().and_then(|p| p.clinician.as_deref()),
                    ))
                }
                p { a href="/assess" { "Questionnaires" } " · " a href="/insights" { "Insights" } }
            },
        )
        .into_response()),
        Err(e) => rejected(e, |m| {
            assess_page(&token, &id, &f, Some(m)).unwrap_or_else(|e| html! { p { (e.message()) } })
        }),
    }
}
