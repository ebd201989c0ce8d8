//! Standing medicines and other substances (what the safety check reads for interactions).

use super::more::{Flash, Notice, notice_text, saved, saved_or_again};
use crate::AppState;
use crate::error::WebError;
use crate::layout::{Nav, csrf, error_box, page, when};
use crate::security::{CheckedForm, Csrf, FormData};
use axum::Extension;
use axum::extract::State;
use axum::response::Response;
use dosewise_core::medication::NewMedication;
use dosewise_store::{Store, Window};
use maud::{Markup, html};

async fn meds_page(
    st: &AppState,
    token: &Csrf,
    f: &FormData,
    error: Option<&str>,
    flash: Option<&str>,
) -> Result<Markup, WebError> {
    let store = st.store().await;
    let tz = super::zone(st, &store).await?;
    let now = st.now();
    let meds = store.medications(false).await?;
    let uses = store
        .substance_uses(Window::last_days(st.now(), 30))
        .await?;
    drop(store);
    let level = |name: &str| {
        dosewise_core::interaction::find(name).map(|i| {
            (
                i.name.clone(),
                i.level(dosewise_core::route::Route::Sublingual),
            )
        })
    };
    Ok(page(
        "Medicines and other substances",
        Nav::More,
        html! {
            h1 { "Medicines and other substances" }
            (saved(flash))
            (error_box(error))
            p { "The safety check reads these before every dose. Some combinations are refused (alcohol, opioids, benzodiazepines, GHB…); each finding says why and cites its source." }
            h2 { "Standing medicines" }
            @if meds.is_empty() { p.muted { "None recorded." } }
            ul { @for m in &meds {
                li {
                    (m.medication.name) @if let Some(d) = &m.medication.dose { " — " (d) }
                    @if let Some((name, lvl)) = level(&m.medication.name) { " " span.badge.warning { "interacts: " (name) @if let Some(l) = lvl { " (" (format!("{l:?}").to_lowercase()) ")" } } }
                    form.inline method="post" action={ "/meds/" (m.id) "/stop" } {
                        (csrf(token))
                        button.secondary type="submit" aria-label={ "Stopped taking " (m.medication.name) } { "Stopped" }
                    }
                }
            } }
            form method="post" action="/meds" {
                (csrf(token))
                label for="med-name" { "Add a medicine" }
                input #med-name type="text" name="name" value=[f.get("name")] required;
                label for="med-dose" { "Dose (as you would say it, optional)" }
                input #med-dose type="text" name="dose" value=[f.get("dose")];
                div.checks { label { input type="checkbox" name="clinician_aware" value="1"; "The clinician who prescribes the ketamine knows and has planned for it" } }
                button type="submit" { "Add medicine" }
            }
            h2 { "Other substances, last 30 days" }
            @if uses.is_empty() { p.muted { "None logged." } }
            ul { @for u in uses.iter().rev() {
                li { (when(u.usage.at, &u.usage.zone, &tz, now)) ": " (u.usage.name) @if let Some(a) = &u.usage.amount { ", " (a) } }
            } }
            form method="post" action="/uses" {
                (csrf(token))
                label for="use-name" { "Log a substance (alcohol, cannabis, …)" }
                input #use-name type="text" name="use_name" value=[f.get("use_name")] required;
                label for="use-amount" { "How much (optional)" }
                input #use-amount type="text" name="amount" value=[f.get("amount")];
                label for="use-at" { "When (empty for now; \"21:00\", \"-3h\")" }
                input #use-at type="text" name="at" value=[f.get("at")];
                button type="submit" { "Log use" }
            }
        },
    ))
}

pub async fn meds(
    State(st): State<AppState>,
    Extension(token): Extension<Csrf>,
    axum::extract::Query(q): axum::extract::Query<Flash>,
) -> Result<Markup, WebError> {
    let notice = notice_text(&st, &q).await?;
    meds_page(&st, &token, &FormData::default(), None, notice.as_deref()).await
}

pub async fn add_med(
    State(st): State<AppState>,
    Extension(token): Extension<Csrf>,
    CheckedForm(f): CheckedForm,
) -> Result<Response, WebError> {
    let m = NewMedication {
        name: f.get("name").unwrap_or_default(),
        dose: f.get("dose"),
        since: None,
        clinician_aware: f.has("clinician_aware"),
        note: None,
        added_at: st.now(),
    };
    let r = {
        let store = st.store().await;
        dosewise_app::records::medication(&*store, m).await
    };
    let r = r.map(|_| Notice::MedicineAdded);
    saved_or_again(r, "/meds", async |m| {
        meds_page(&st, &token, &f, Some(m), None).await
    })
    .await
}

pub async fn add_use(
    State(st): State<AppState>,
    Extension(token): Extension<Csrf>,
    CheckedForm(f): CheckedForm,
) -> Result<Response, WebError> {
    let r = {
        let store = st.store().await;
        dosewise_app::records::substance_use(
            &*store,
            &f.get("use_name").unwrap_or_default(),
            f.get("amount").as_deref(),
            f.get("at").as_deref(),
            None,
            st.0.config.zone.as_deref(),
            st.now(),
        )
        .await
    };
    let r = r.map(|_| Notice::UseLogged);
    saved_or_again(r, "/meds", async |m| {
        meds_page(&st, &token, &f, Some(m), None).await
    })
    .await
}

/// A medicine stopped (it stays in the record), through the same code as `dosewise meds remove`.
pub async fn stop_med(
    State(st): State<AppState>,
    Extension(token): Extension<Csrf>,
    axum::extract::Path(id): axum::extract::Path<i64>,
    CheckedForm(f): CheckedForm,
) -> Result<Response, WebError> {
    let r = {
        let store = st.store().await;
        dosewise_app::records::stop_medication(&*store, id, st.now()).await
    };
    let r = r.map(|_| Notice::MedicineStopped);
    saved_or_again(r, "/meds", async |m| {
        meds_page(&st, &token, &f, Some(m), None).await
    })
    .await
}
