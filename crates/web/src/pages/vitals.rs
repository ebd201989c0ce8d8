//! Vital signs: blood pressure, heart rate, weight, with what a reading means for the next dose.

use crate::AppState;
use crate::error::WebError;
use crate::layout::{Nav, csrf, error_box, page, when};
use crate::security::{CheckedForm, Csrf, FormData};
use axum::Extension;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use dosewise_app::AppError;
use dosewise_app::records::VitalsRequest;
use dosewise_core::vitals::VitalsContext;
use dosewise_store::{Store, Window};
use maud::{Markup, html};

async fn vitals_page(
    st: &AppState,
    token: &Csrf,
    f: &FormData,
    error: Option<&str>,
    notes: &[String],
) -> Result<Markup, WebError> {
    let store = st.store().await;
    let tz = super::zone(st, &store).await?;
    let now = st.now();
    let mut list = store.vitals(Window::default()).await?;
    drop(store);
    list.sort_by_key(|v| std::cmp::Reverse(v.vitals.at));
    let ctx = f.get("context").unwrap_or_else(|| "pre-dose".into());
    Ok(page(
        "Vital signs",
        Nav::More,
        html! {
            h1 { "Vital signs" }
            (error_box(error))
            @for n in notes { p.error role="alert" { (n) } }
            form method="post" action="/vitals" {
                (csrf(token))
                div.grid2 {
                    div { label for="bp" { "Blood pressure" } p.hint { "Systolic/diastolic, e.g. 128/82" } input #bp type="text" name="bp" inputmode="numeric" value=[f.get("bp")]; }
                    div { label for="hr" { "Heart rate (beats a minute)" } input #hr type="number" name="hr" min="20" max="250" value=[f.get("hr")]; }
                    div { label for="weight" { "Weight" } p.hint { "\"70 kg\" or \"154 lb\"" } input #weight type="text" name="weight" value=[f.get("weight")]; }
                    div {
                        label for="context" { "When measured" }
                        select #context name="context" {
                            @for (v, label) in [("pre-dose", "Before a dose"), ("post-dose", "After a dose"), ("other", "Other")] {
                                option value=(v) selected[ctx == v] { (label) }
                            }
                        }
                    }
                }
                label for="v-at" { "Time (empty for now)" }
                input #v-at type="text" name="at" value=[f.get("at")];
                button type="submit" { "Save reading" }
            }
            h2 { "Readings" }
            div.table-wrap { table {
                thead { tr { th scope="col" { "When" } th scope="col" { "BP" } th scope="col" { "HR" } th scope="col" { "Weight" } th scope="col" { "Context" } } }
                tbody { @for v in list.iter().take(60) {
                    @let x = &v.vitals;
                    tr {
                        td { (when(x.at, &x.zone, &tz, now)) }
                        td { @if let (Some(s), Some(d)) = (x.systolic, x.diastolic) { (s) "/" (d) } }
                        td { @if let Some(h) = x.heart_rate { (h) } }
                        td { @if let Some(w) = x.weight_kg { (w) } }
                        td { (x.context.as_str().replace('_', "-")) }
                    }
                } }
            } }
        },
    ))
}

pub async fn vitals(
    State(st): State<AppState>,
    Extension(token): Extension<Csrf>,
) -> Result<Markup, WebError> {
    vitals_page(&st, &token, &FormData::default(), None, &[]).await
}

pub async fn add_vitals(
    State(st): State<AppState>,
    Extension(token): Extension<Csrf>,
    CheckedForm(f): CheckedForm,
) -> Result<Response, WebError> {
    let parsed = (|| -> Result<VitalsRequest, AppError> {
        let context = f
            .get("context")
            .unwrap_or_else(|| "other".into())
            .parse::<VitalsContext>()
            .map_err(AppError::Input)?;
        let heart_rate = f
            .get("hr")
            .map(|h| {
                h.parse::<u32>()
                    .map_err(|_| AppError::Input(format!("heart rate {h:?} is not a whole number")))
            })
            .transpose()?;
        Ok(VitalsRequest {
            bp: f.get("bp"),
            heart_rate,
            weight: f.get("weight"),
            context,
            at: f.get("at"),
            note: None,
            zone: st.0.config.zone.clone(),
        })
    })();
    let r = async {
        let req = parsed?;
        let store = st.store().await;
        let v = dosewise_app::records::vitals(&*store, &req, st.now()).await?;
        dosewise_app::records::vitals_notes(&*store, &v).await
    }
    .await;
    match r {
        Ok(notes) => Ok(vitals_page(&st, &token, &FormData::default(), None, &notes)
            .await?
            .into_response()),
        Err(AppError::Input(m) | AppError::Conflict(m)) => Ok((
            StatusCode::BAD_REQUEST,
            vitals_page(&st, &token, &f, Some(&m), &[]).await?,
        )
            .into_response()),
        Err(e) => Err(e.into()),
    }
}
