//! The profile: the name on reports, the time zone local days are counted in, and the body
//! weight for mg/kg — the web's `dosewise init` on an existing journal, through the same app
//! code.

use crate::AppState;
use crate::error::WebError;
use crate::layout::{Nav, csrf, error_box, page};
use crate::security::{CheckedForm, Csrf, FormData};
use axum::Extension;
use axum::extract::{Query, State};
use axum::response::{IntoResponse, Response};
use dosewise_core::profile::Profile;
use dosewise_core::units::fmt_num;
use dosewise_store::Store;
use maud::{Markup, html};

/// The profile's fields, filled from what was typed or else from the profile. `next` is the
/// page to return to ("setup" during the first-run setup).
pub(crate) fn fields(
    token: &Csrf,
    f: &FormData,
    p: Option<&Profile>,
    next: Option<&str>,
    button: &str,
) -> Markup {
    let name = f.get("name").or_else(|| p.and_then(|p| p.name.clone()));
    let weight = f.get("weight").or_else(|| {
        p.and_then(|p| p.weight_kg)
            .map(|w| format!("{} kg", fmt_num(w.value())))
    });
    let zone = f
        .get("zone")
        .or_else(|| p.map(|p| p.zone.clone()))
        .unwrap_or_else(|| dosewise_core::when::zone_name(&dosewise_app::system_zone()));
    html! {
        form method="post" action="/profile" {
            (csrf(token))
            @if let Some(n) = next { input type="hidden" name="next" value=(n); }
            label for="pr-name" { "Your name (optional)" }
            p.hint #pr-name-hint { "Shown on the clinician report, so they know whose it is." }
            input #pr-name type="text" name="name" value=[name] maxlength="200" autocomplete="name" aria-describedby="pr-name-hint";
            label for="pr-weight" { "Body weight (optional)" }
            p.hint #pr-weight-hint { "For the dose per kilogram, as clinicians prescribe it: \"70 kg\" or \"154 lb\"." }
            input #pr-weight type="text" name="weight" value=[weight] inputmode="decimal" aria-describedby="pr-weight-hint";
            label for="pr-zone" { "Time zone" }
            p.hint #pr-zone-hint { "Days and planned times are counted in it, e.g. Europe/Berlin or America/New_York." }
            input #pr-zone type="text" name="zone" value=(zone) list="zones" required aria-describedby="pr-zone-hint" autocomplete="off";
            datalist #zones {
                @for z in zones() { option value=(z) {} }
            }
            button type="submit" { (button) }
        }
    }
}

/// The time zones the build knows, for the zone field's suggestions.
fn zones() -> Vec<String> {
    let mut z: Vec<String> = dosewise_core::jiff::tz::db()
        .available()
        .map(|n| n.to_string())
        .filter(|n| n.contains('/') && !n.starts_with("Etc/"))
        .collect();
    z.sort();
    z
}

async fn render(
    st: &AppState,
    token: &Csrf,
    f: &FormData,
    error: Option<&str>,
    notice: Option<&str>,
) -> Result<Markup, WebError> {
    let p = st.store().await.profile().await?;
    Ok(page(
        "Your profile",
        Nav::More,
        html! {
            h1 { "Your profile" }
            (super::more::saved(notice))
            (error_box(error))
            (fields(token, f, p.as_ref(), None, "Save"))
            p.muted { "The health screen and your crisis line are on the " a href="/screen" { "health screen" } " page." }
        },
    ))
}

pub async fn form(
    State(st): State<AppState>,
    Extension(token): Extension<Csrf>,
    Query(flash): Query<super::more::Flash>,
) -> Result<Markup, WebError> {
    let notice = super::more::notice_text(&st, &flash).await?;
    render(&st, &token, &FormData::default(), None, notice.as_deref()).await
}

pub async fn submit(
    State(st): State<AppState>,
    Extension(token): Extension<Csrf>,
    CheckedForm(f): CheckedForm,
) -> Result<Response, WebError> {
    let u = dosewise_app::profile::ProfileUpdate {
        zone: f.get("zone"),
        weight: f.get("weight"),
        name: f.get("name"),
        screen: None,
        crisis_line: None,
        clinician: None,
    };
    let r = {
        let store = st.store().await;
        dosewise_app::profile::update(&*store, &u, st.now()).await
    };
    match r {
        Ok(_) if super::setup::wanted(&f) => Ok(super::setup::next()),
        Ok(_) => Ok(super::more::back_with(
            "/profile",
            super::more::Notice::ProfileSaved,
            "",
        )),
        Err(e) if super::setup::wanted(&f) => super::setup::again(&st, &token, &f, e).await,
        Err(dosewise_app::AppError::Input(m) | dosewise_app::AppError::Conflict(m)) => Ok((
            axum::http::StatusCode::BAD_REQUEST,
            render(&st, &token, &f, Some(&m), None).await?,
        )
            .into_response()),
        Err(e) => Err(e.into()),
    }
}
