//! Check in: big tap targets for the 0-10 ratings (usable while a little impaired), side
//! effects, urinary symptoms, a note, tags, and the private toggle.

use crate::AppState;
use crate::error::WebError;
use crate::layout::{Nav, csrf, error_box, page, when};
use crate::security::{CheckedForm, Csrf, FormData};
use axum::Extension;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use dosewise_app::AppError;
use dosewise_app::checkin::CheckinRequest;
use dosewise_core::checkin::{COMMON_SIDE_EFFECTS, SCALES, URINARY_SOURCES, URINARY_WARNING};
use dosewise_store::Store;
use maud::{Markup, html};

pub const URINARY: [(&str, &str); 5] = [
    ("frequency", "Needing to pass urine more often than usual"),
    ("urgency", "Sudden, hard-to-delay need to pass urine"),
    ("pain", "Pain or burning passing urine, or bladder pain"),
    ("blood", "Blood in the urine (not from a period)"),
    ("nocturia", "Waking at night to pass urine"),
];

/// The form's fields as a request: tags split on spaces and commas; "other" side effects as
/// typed ("headache=3").
pub fn request(f: &FormData, zone: Option<&str>) -> dosewise_app::Result<CheckinRequest> {
    let r = |name: &str| f.int(name);
    let mut side_effects = f.all("side_effect");
    side_effects.extend(
        f.get("other_side_effects")
            .unwrap_or_default()
            .split(',')
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(str::to_string),
    );
    Ok(CheckinRequest {
        mood: r("mood")?,
        anxiety: r("anxiety")?,
        energy: r("energy")?,
        focus: r("focus")?,
        sleep: r("sleep")?,
        irritability: r("irritability")?,
        craving: r("craving")?,
        side_effects,
        urinary: f.all("urinary"),
        note: f.get("note"),
        tags: f
            .get("tags")
            .unwrap_or_default()
            .split([',', ' '])
            .filter(|t| !t.is_empty())
            .map(str::to_string)
            .collect(),
        private: f.has("private"),
        at: f.get("at"),
        zone: zone.map(str::to_string),
    })
}

fn scale(name: &str, lo: &str, hi: &str, selected: Option<String>) -> Markup {
    html! {
        fieldset {
            legend { (name) }
            p.hint { (lo) "; " (hi) "." }
            div.scale {
                @for v in 0..=10 {
                    label {
                        input type="radio" name=(name) value=(v) checked[selected.as_deref() == Some(v.to_string().as_str())] aria-label=(format!("{name} {v}"));
                        span { (v) }
                    }
                }
            }
        }
    }
}

fn render(token: &Csrf, f: &FormData, error: Option<&str>) -> Markup {
    let chosen = f.all("side_effect");
    let urinary = f.all("urinary");
    let body = html! {
        h1 { "Check in" }
        (error_box(error))
        p.hint { "Tap a number for each rating you want to record; skip any you like. Everything is optional, but give at least one rating, symptom or note." }
        form method="post" action="/checkin" {
            (csrf(token))
            @for (name, lo, hi) in SCALES {
                (scale(name, lo, hi, f.get(name)))
            }
            fieldset.checks {
                legend { "Side effects" }
                @for s in COMMON_SIDE_EFFECTS {
                    label { input type="checkbox" name="side_effect" value=(s) checked[chosen.iter().any(|c| c == s)]; (s) }
                }
                label for="other_side_effects" { "Other, or with a 0-10 rating" }
                p.hint #other-hint { "Comma-separated: \"headache=3, dry mouth\"." }
                input #other_side_effects type="text" name="other_side_effects" value=[f.get("other_side_effects")] aria-describedby="other-hint";
            }
            fieldset.checks {
                legend { "Urinary symptoms" }
                p.hint { "Ketamine can damage the bladder; tell your clinician about any of these." }
                @for (v, text) in URINARY {
                    label { input type="checkbox" name="urinary" value=(v) checked[urinary.iter().any(|u| u == v)]; (text) }
                }
            }
            label for="note" { "Note (optional)" }
            textarea #note name="note" maxlength="10000" { (f.get("note").unwrap_or_default()) }
            label for="tags" { "Tags (optional)" }
            p.hint #tags-hint { "Words such as work, exercise, alcohol, poor-sleep; insights compare days with and without each." }
            input #tags type="text" name="tags" value=[f.get("tags")] aria-describedby="tags-hint";
            label for="at" { "When" }
            p.hint #at-hint { "Empty for now; or \"21:00\", \"yesterday 21:00\", \"-2h\"." }
            input #at type="text" name="at" value=[f.get("at")] aria-describedby="at-hint";
            div.checks {
                label { input type="checkbox" name="private" value="1" checked[f.has("private")]; "Private: keep it out of the clinician report" }
            }
            button type="submit" { "Save check-in" }
            button.secondary type="reset" { "Clear the form" }
        }
    };
    page("Check in", Nav::Checkin, body)
}

pub async fn form(Extension(token): Extension<Csrf>) -> Markup {
    render(&token, &FormData::default(), None)
}

pub async fn submit(
    State(st): State<AppState>,
    Extension(token): Extension<Csrf>,
    CheckedForm(f): CheckedForm,
) -> Result<Response, WebError> {
    let result = async {
        let req = request(&f, st.0.config.zone.as_deref())?;
        let store = st.store().await;
        dosewise_app::checkin::record(&*store, &req, st.now()).await
    }
    .await;
    match result {
        Ok((c, _)) => Ok(Redirect::to(&format!("/checkins/{}?saved=1", c.id)).into_response()),
        Err(AppError::Input(m) | AppError::Conflict(m)) => {
            Ok((StatusCode::BAD_REQUEST, render(&token, &f, Some(&m))).into_response())
        }
        Err(e) => Err(e.into()),
    }
}

#[derive(Debug, serde::Deserialize)]
pub struct ShowQuery {
    saved: Option<u8>,
}

pub async fn show(
    State(st): State<AppState>,
    Path(id): Path<i64>,
    axum::extract::Query(q): axum::extract::Query<ShowQuery>,
) -> Result<Markup, WebError> {
    let store = st.store().await;
    let tz = super::zone(&st, &store).await?;
    let c = store
        .checkin(id)
        .await?
        .ok_or_else(|| WebError::NotFound(format!("no check-in #{id}")))?;
    let crisis = if c.checkin.reads_as_self_harm() {
        Some(dosewise_app::records::crisis(&*store).await?)
    } else {
        None
    };
    drop(store);
    let body = html! {
        @if q.saved.is_some() { p.ok role="status" { "Saved." } }
        @if let Some(text) = &crisis {
            div.error role="alert" {
                p { strong { (text) } }
                p.muted { (dosewise_core::questionnaire::CRISIS_SOURCE) }
            }
        }
        h1 { "Check-in #" (c.id) }
        p { (when(c.checkin.at, &c.checkin.zone, &tz)) }
        p { (dosewise_app::checkin::summary(&c)) }
        @if let Some(n) = &c.checkin.note { p { "Note: " (n) } }
        @if !c.checkin.urinary.is_empty() {
            div.error role="alert" {
                p { (URINARY_WARNING) }
                ul.sources { @for s in URINARY_SOURCES { li { (s) } } }
            }
        }
        p { a href="/" { "Today" } " · " a href="/history" { "History" } }
    };
    Ok(page(&format!("Check-in #{id}"), Nav::Checkin, body))
}
