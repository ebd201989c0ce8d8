//! The first-run setup, for a person who never opens a terminal: about you → what you hold →
//! your plan → the health screen → Today. Each step is the same form (and the same app code) as
//! its own page, returning here; a step can be skipped and done later from its page. A new
//! journal (no profile yet) opens here instead of Today.

use crate::AppState;
use crate::error::WebError;
use crate::layout::{Nav, csrf, error_box, page};
use crate::security::CheckedForm;
use crate::security::{Csrf, FormData};
use axum::Extension;
use axum::extract::{Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use dosewise_app::AppError;
use dosewise_core::profile::Profile;
use dosewise_core::stock::Stock;
use dosewise_store::Store;
use maud::{Markup, html};

/// The steps, in order: (code, title).
const STEPS: [(&str, &str); 4] = [
    ("you", "About you"),
    ("stock", "What you hold"),
    ("plan", "Your plan"),
    ("screen", "Health screen"),
];

/// Whether a form was sent from the setup (it returns here).
pub(crate) fn wanted(f: &FormData) -> bool {
    f.get("next").as_deref() == Some("setup")
}

/// Back to the setup, which shows the next step.
pub(crate) fn next() -> Response {
    Redirect::to("/setup").into_response()
}

/// After a step's form: the next step, or the same step again with what was wrong (nothing
/// written).
pub(crate) async fn after(
    st: &AppState,
    token: &Csrf,
    f: &FormData,
    r: dosewise_app::Result<()>,
) -> Result<Response, WebError> {
    match r {
        Ok(()) => Ok(next()),
        Err(e) => again(st, token, f, e).await,
    }
}

/// The step a form came from, shown again with what was typed and what was wrong.
pub(crate) async fn again(
    st: &AppState,
    token: &Csrf,
    f: &FormData,
    e: AppError,
) -> Result<Response, WebError> {
    let (status, m) = super::more::told(e)?;
    let state = State_::read(st).await?;
    let step = f.get("step").unwrap_or_else(|| "you".into());
    Ok((status, render(token, &state, &step, f, Some(&m))).into_response())
}

/// Where the steps skipped for now are kept (a comma-separated list).
const SKIPPED: &str = "setup_skipped";

/// What the journal already holds.
struct State_ {
    profile: Option<Profile>,
    stocks: Vec<Stock>,
    planned: bool,
    skipped: Vec<String>,
}

impl State_ {
    async fn read(st: &AppState) -> Result<State_, WebError> {
        let store = st.store().await;
        Ok(State_ {
            profile: store.profile().await?,
            stocks: store.stocks(false).await?,
            planned: !store.protocols(false).await?.is_empty(),
            skipped: store
                .setting(SKIPPED)
                .await?
                .unwrap_or_default()
                .split(',')
                .filter(|s| STEPS.iter().any(|(c, _)| c == s))
                .map(str::to_string)
                .collect(),
        })
    }

    fn skipped(&self, step: &str) -> bool {
        self.skipped.iter().any(|s| s == step)
    }

    /// The first step neither done nor skipped; "done" when there is none.
    fn current(&self) -> &'static str {
        STEPS
            .iter()
            .map(|(c, _)| *c)
            .find(|c| !self.done(c) && !self.skipped(c))
            .unwrap_or("done")
    }

    fn done(&self, step: &str) -> bool {
        match step {
            "you" => self.profile.is_some(),
            "stock" => !self.stocks.is_empty(),
            "plan" => self.planned,
            "screen" => self
                .profile
                .as_ref()
                .is_some_and(|p| p.screened_at.is_some()),
            _ => true,
        }
    }
}

#[derive(Debug, Default, serde::Deserialize)]
pub struct SetupQuery {
    /// The stock's form chosen in "What you hold".
    kind: Option<String>,
}

pub async fn show(
    State(st): State<AppState>,
    Extension(token): Extension<Csrf>,
    Query(q): Query<SetupQuery>,
) -> Result<Markup, WebError> {
    let state = State_::read(&st).await?;
    let mut f = FormData::default();
    if let Some(k) = q
        .kind
        .filter(|k| matches!(k.as_str(), "troche" | "spray" | "solution"))
    {
        f.0.push(("form".into(), k));
    }
    Ok(render(&token, &state, state.current(), &f, None))
}

/// Skip a step for now; its own page does it later.
pub async fn skip(
    State(st): State<AppState>,
    CheckedForm(f): CheckedForm,
) -> Result<Response, WebError> {
    let step = f.get("step").unwrap_or_default();
    if !STEPS.iter().any(|(c, _)| *c == step) {
        return Err(WebError::Input(format!("no setup step {step:?}")));
    }
    let mut skipped = State_::read(&st).await?.skipped;
    if !skipped.contains(&step) {
        skipped.push(step);
    }
    let store = st.store().await;
    store
        .save_setting(SKIPPED, Some(&skipped.join(",")))
        .await?;
    Ok(next())
}

fn render(token: &Csrf, state: &State_, step: &str, f: &FormData, error: Option<&str>) -> Markup {
    let skip = |code: &str, words: &str| {
        html! {
            form.skip method="post" action="/setup/skip" {
                (csrf(token))
                input type="hidden" name="step" value=(code);
                button.secondary type="submit" { (words) }
            }
        }
    };
    let body = html! {
        h1 { "Set up Dosewise" }
        p { "A few questions so Dosewise can check each dose against your plan. Everything stays on this device. Each step can be changed later from its own page." }
        ol.steps {
            @for (code, title) in STEPS {
                li aria-current=[(code == step).then_some("step")] {
                    (title)
                    @if state.done(code) { " ✓" span.visually-hidden { " (done)" } }
                    @else if state.skipped(code) { span.muted { " (skipped for now)" } }
                }
            }
        }
        (error_box(error))
        @match step {
            "you" => {
                section.card aria-labelledby="step-h" {
                    h2 #step-h { "About you" }
                    (super::profile::fields(token, f, state.profile.as_ref(), Some("setup"), "Next"))
                }
            }
            "stock" => {
                @let kind = f.get("form").unwrap_or_else(|| "troche".into());
                section.card aria-labelledby="step-h" {
                    h2 #step-h { "What you hold" }
                    p { "What your prescription or preparation is, so a dose like \"½ troche\" or \"2 sprays\" turns into milligrams exactly." }
                    nav.choices aria-label="Which form" {
                        @for (k, label) in [("troche", "Troches or lozenges"), ("spray", "Nasal spray"), ("solution", "A solution")] {
                            a.button.secondary[k != kind] href=(format!("/setup?kind={k}")) aria-current=[(k == kind).then_some("true")] { (label) }
                        }
                    }
                    (super::stock::add_fields(token, f, Some(&kind)))
                    (skip("stock", "I don't have it yet — skip for now"))
                }
            }
            "plan" => {
                section.card aria-labelledby="step-h" {
                    h2 #step-h { "Your plan" }
                    p { "The plan your clinician gave you: which days, what dose, when, and the limits. Every dose is checked against it." }
                    (super::protocol::setup_form(token, f, &state.stocks))
                    (skip("plan", "No plan yet — skip for now"))
                }
            }
            "screen" => {
                section.card aria-labelledby="step-h" {
                    h2 #step-h { "Health screen" }
                    p { "A few yes/no questions on conditions that matter with ketamine. A yes is shown with every dose until your clinician's review is recorded; it is asked again every 6 months." }
                    (super::screen::fields(token, state.profile.as_ref(), (!f.0.is_empty()).then_some(f), true))
                    (skip("screen", "Answer later — skip for now"))
                }
            }
            _ => {
                section.card aria-labelledby="step-h" {
                    h2 #step-h { "You're set up" }
                    @if STEPS.iter().any(|(c, _)| !state.done(c)) {
                        p { "Skipped for now: " (STEPS.iter().filter(|(c, _)| !state.done(c)).map(|(_, t)| *t).collect::<Vec<_>>().join(", ")) ". You can do them any time from More." }
                    }
                    p { "Log a dose when you take it, and check in once a day: that is what makes the insights and your clinician's report useful." }
                    a.button href="/" { "Go to Today" }
                    a.button.secondary href="/dose" { "Log a dose" }
                    a.button.secondary href="/checkin" { "Check in" }
                }
            }
        }
    };
    page("Set up", Nav::Today, body)
}
