//! The health screen on the web: each question with a yes box (the current answers ticked),
//! the crisis line, one save. Saving answers the whole screen again (dated now; due again in
//! 6 months) through `dosewise_app::screen`, the code `dosewise screen` runs.

use crate::AppState;
use crate::error::WebError;
use crate::layout::{Nav, csrf, error_box, page};
use crate::security::{CheckedForm, Csrf, FormData};
use axum::Extension;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use dosewise_app::AppError;
use dosewise_core::profile::Profile;
use dosewise_core::safety::Severity;
use dosewise_core::screen::{RECHECK_DAYS, due, questions};
use dosewise_store::Store;
use maud::{Markup, html};

fn level(s: Severity) -> &'static str {
    match s {
        Severity::Refuse => {
            "a contraindication: doses are refused until a clinician's review is recorded"
        }
        Severity::Warning => "a warning on every dose until a clinician's review is recorded",
        _ => "a caution on every dose until a clinician's review is recorded",
    }
}

fn render(
    token: &Csrf,
    tz: &dosewise_core::jiff::tz::TimeZone,
    p: Option<&Profile>,
    now: dosewise_core::jiff::Timestamp,
    form: Option<&FormData>,
    error: Option<&str>,
    saved: Option<&str>,
) -> Markup {
    let screened = p.and_then(|p| p.screened_at);
    let body = html! {
        h1 { "Health screen" }
        @if let Some(m) = saved { p.ok role="status" { (m) } }
        (error_box(error))
        p {
            @match screened {
                Some(t) => {
                    "Last answered on " (t.to_zoned_datetime(tz.clone()).date()) "."
                    @if due(Some(t), now) { strong { " It is due again." } }
                }
                None => { "Not answered yet." }
            }
            " Answers stay on this device. Tick what applies to you; the screen is asked again every "
            (RECHECK_DAYS) " days, and you can change an answer (pregnancy, say) at any time."
        }
        (fields(token, p, form, false))
        p.muted { "A clinician's review covers the answers given before it; a condition added later shows again until it is reviewed again." }
    };
    page("Health screen", Nav::More, body)
}

/// The screen's questions and the crisis line, as a form; `setup` returns to the first-run
/// setup after saving.
pub(crate) fn fields(
    token: &Csrf,
    p: Option<&Profile>,
    form: Option<&FormData>,
    setup: bool,
) -> Markup {
    let yes = |code: &str| match form {
        Some(f) => f.all("yes").iter().any(|c| c == code),
        None => p.is_some_and(|p| p.screen.iter().any(|a| a.code == code)),
    };
    let line = match form {
        Some(f) => f.get("crisis_line"),
        None => p.and_then(|p| p.crisis_line.clone()),
    };
    let clinician = match form {
        Some(f) => f.get("clinician"),
        None => p.and_then(|p| p.clinician.clone()),
    };
    html! {
        form method="post" action="/screen" {
            (csrf(token))
            @if setup {
                input type="hidden" name="next" value="setup";
                input type="hidden" name="step" value="screen";
            }
            fieldset.checks {
                legend { "Which of these apply to you?" }
                @for q in questions() {
                    div.screen-q {
                        label { input type="checkbox" name="yes" value=(q.code) checked[yes(&q.code)]; (q.question) }
                        details {
                            summary { "Why it matters" }
                            p.hint { "If yes: " (level(q.level)) ". " (q.reason) " [" (q.source) ", " (q.confidence) "]" }
                        }
                    }
                }
            }
            label for="crisis_line" { "Your crisis line (optional)" }
            p.hint #crisis-hint { "A number or name to show first whenever Dosewise shows crisis guidance, e.g. \"988\" or \"Samaritans 116 123\". findahelpline.com lists lines by country." }
            input #crisis_line type="text" name="crisis_line" value=[line] maxlength="100" aria-describedby="crisis-hint" autocomplete="off";
            label for="clinician" { "Your clinician's name and number (optional)" }
            p.hint #clinician-hint { "Shown beside your crisis line, with a button to call, e.g. \"Dr Lee 030 1234567\"." }
            input #clinician type="text" name="clinician" value=[clinician] maxlength="100" aria-describedby="clinician-hint" autocomplete="off";
            div { button type="submit" { "Save my answers" } }
        }
    }
}

pub async fn form(
    State(st): State<AppState>,
    Extension(token): Extension<Csrf>,
    Query(flash): Query<super::more::Flash>,
) -> Result<Markup, WebError> {
    let notice = super::more::notice_text(&st, &flash).await?;
    let store = st.store().await;
    let tz = super::zone(&st, &store).await?;
    let p = store.profile().await?;
    drop(store);
    Ok(render(
        &token,
        &tz,
        p.as_ref(),
        st.now(),
        None,
        None,
        notice.as_deref(),
    ))
}

pub async fn submit(
    State(st): State<AppState>,
    Extension(token): Extension<Csrf>,
    CheckedForm(f): CheckedForm,
) -> Result<Response, WebError> {
    let now = st.now();
    let r = async {
        // Check both parts before writing either.
        let (line, clinician) = (f.get("crisis_line"), f.get("clinician"));
        dosewise_app::screen::crisis_line(line.as_deref())?;
        dosewise_app::screen::clinician(clinician.as_deref())?;
        dosewise_core::screen::answer(&[], &f.all("yes"), now).map_err(AppError::Input)?;
        let store = st.store().await;
        dosewise_app::screen::answer_all(&*store, &f.all("yes"), now).await?;
        // A field left out of the form (an older page) leaves what was set.
        dosewise_app::screen::set_contacts(&*store, line.as_deref(), clinician.as_deref(), now)
            .await?;
        Ok::<_, AppError>(())
    }
    .await;
    if super::setup::wanted(&f) {
        return super::setup::after(&st, &token, &f, r).await;
    }
    match r {
        Ok(()) => Ok(super::more::back_with(
            "/screen",
            super::more::Notice::ScreenSaved,
            "",
        )),
        Err(AppError::Input(m) | AppError::Conflict(m)) => {
            let store = st.store().await;
            let tz = super::zone(&st, &store).await?;
            let p = store.profile().await?;
            drop(store);
            Ok((
                StatusCode::BAD_REQUEST,
                render(&token, &tz, p.as_ref(), now, Some(&f), Some(&m), None),
            )
                .into_response())
        }
        Err(e) => Err(e.into()),
    }
}
