//! Is it the drug? The self-blinded trial, as pages: what it takes and the plan form; while it
//! runs, today's container and the emergency unblinding and stop; at the end, the reveal and
//! the result with its plots. The same use cases as `dosewise trial` and `/api/v1/trial`.

use crate::AppState;
use crate::error::WebError;
use crate::layout::{Nav, csrf, error_box, page};
use crate::security::{CheckedForm, Csrf, FormData};
use axum::Extension;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use base64::Engine;
use dosewise_app::AppError;
use dosewise_app::trial::{PlanRequest, Planned, Progress};
use dosewise_core::trial::Condition;
use dosewise_core::trial_record::State as TrialState;
use dosewise_store::Store;
use maud::{Markup, PreEscaped, html};

const OUTCOMES: [(&str, &str); 9] = [
    ("mood", "Mood (0-10, higher is better)"),
    ("anxiety", "Anxiety (0-10, lower is better)"),
    ("energy", "Energy (0-10)"),
    ("focus", "Focus (0-10)"),
    ("sleep", "Sleep (0-10)"),
    ("irritability", "Irritability (0-10, lower is better)"),
    ("craving", "Craving (0-10, lower is better)"),
    ("phq9", "PHQ-9 total (take it at the end of each period)"),
    ("gad7", "GAD-7 total (take it at the end of each period)"),
];

fn intro() -> Markup {
    html! {
        p { "Am I better because of the drug, or because I expect to be? In a self-blinded trial you take identical-looking active and placebo doses in a random order you do not know, rate how you feel each day, and only then open the order. In the largest such study of microdosing (Szigeti et al., eLife 2021), placebo did about as well as the drug, and the differences people felt were explained by guessing what they had taken." }
        h2 { "What it takes" }
        ul {
            li { strong { "Your clinician." } " Plan it with them. The placebo troches or saline spray must look and taste like your medicine, and come from your prescriber's pharmacy. Dosewise does not suggest making or getting anything." }
            li { strong { "A helper" } " (the pharmacy, a friend, your clinician) who fills numbered containers from the fill list Dosewise writes. You never see the fill list." }
            li { strong { "A key holder." } " The order is sealed to a key. Your clinician can hold it, so nobody can peek. Whoever holds it can open a single day in an emergency." }
            li { strong { "Every day:" } " take that day's container and log it by its code. The safety check runs on every dose as if it were active. In the evening check-in, rate how you feel and say what you think you took." }
        }
    }
}

fn plan_form(token: &Csrf, f: &FormData, error: Option<&str>, stocks: &[(i64, String)]) -> Markup {
    let outcome = f.get("outcome").unwrap_or_else(|| "mood".into());
    html! {
        h2 #plan-h { "Plan a trial" }
        (error_box(error))
        form method="post" action="/trial/plan" aria-labelledby="plan-h" {
            (csrf(token))
            div.grid2 {
                div { label for="t-start" { "First day" } p.hint { "Empty: tomorrow." } input #t-start type="date" name="start" value=[f.get("start")]; }
                div { label for="t-weeks" { "Length in weeks" } input #t-weeks type="number" name="weeks" min="1" max="60" value=(f.get("weeks").unwrap_or_else(|| "8".into())); }
                div { label for="t-period" { "Dosing days in each period" } p.hint { "1: one dose, then the washout." } input #t-period type="number" name="period_days" min="1" max="14" value=(f.get("period_days").unwrap_or_else(|| "1".into())); }
                div { label for="t-washout" { "Days without a dose after each period" } p.hint { "2: one day on, two off." } input #t-washout type="number" name="washout_days" min="0" max="14" value=(f.get("washout_days").unwrap_or_else(|| "2".into())); }
            }
            label for="t-outcome" { "What to measure" }
            select #t-outcome name="outcome" {
                @for (v, words) in OUTCOMES { option value=(v) selected[outcome == v] { (words) } }
            }
            label for="t-smallest" { "The smallest improvement that would matter to you" }
            p.hint #t-smallest-hint { "In the outcome's points, decided now, before you start: for example 1 point of mood." }
            input #t-smallest type="number" name="smallest_change" step="0.5" min="0.5" max="30" required value=[f.get("smallest_change")] aria-describedby="t-smallest-hint";
            label for="t-dose" { "The dose every dosing day" }
            p.hint #t-dose-hint { "Empty: your protocol's dose. Placebo containers hold the same amount of placebo." }
            input #t-dose type="text" name="dose" value=[f.get("dose")] aria-describedby="t-dose-hint";
            label for="t-stock" { "Active containers filled from" }
            select #t-stock name="stock" {
                @for (id, name) in stocks { option value=(id) selected[f.get("stock").as_deref() == Some(id.to_string().as_str())] { (name) } }
            }
            label for="t-holder" { "Who holds the key" }
            input #t-holder type="text" name="key_holder" maxlength="100" value=(f.get("key_holder").unwrap_or_else(|| "me".into()));
            label for="t-recipient" { "The key holder's public key (optional)" }
            p.hint #t-recipient-hint { "An age public key (age1…) from your clinician. Empty: Dosewise makes a key now and offers it once, for you to hand over." }
            input #t-recipient type="text" name="recipient" autocomplete="off" value=[f.get("recipient")] aria-describedby="t-recipient-hint";
            button type="submit" { "Plan the trial" }
        }
    }
}

fn data_link(mime: &str, body: &str) -> String {
    format!(
        "data:{mime};base64,{}",
        base64::engine::general_purpose::STANDARD.encode(body)
    )
}

fn planned_page(p: &Planned, dose: &str) -> Markup {
    let t = &p.trial.trial;
    let fill: Vec<(&str, Condition)> = p
        .handout
        .fill_list
        .iter()
        .map(|(c, k)| (c.as_str(), *k))
        .collect();
    let fill_html = dosewise_render::trial::fill_list(&fill, dose);
    page(
        "Trial planned",
        Nav::More,
        html! {
            h1 { "Trial planned" }
            p { (t.design.start) " to " (t.design.end()) ": " (t.design.blocks) " blocks, " (t.days.len()) " dosing days. The order is sealed to the key held by " (t.key_holder) "." }
            div.card.attention role="group" aria-labelledby="once-h" {
                h2 #once-h { "Save these now: they are shown only once" }
                ol {
                    li { a.button download="trial-fill-list.html" href=(data_link("text/html", &fill_html)) { "Download the fill list for your helper" } " Do not open it yourself: it is the blind. Give it to the person filling the containers, then delete it." }
                    @if let Some(key) = &p.handout.identity {
                        li { a.button download="trial-key.txt" href=(data_link("text/plain", &format!("# Dosewise trial key: it opens the trial's allocation. Give it to the key holder.\n# public key: {}\n{key}\n", t.recipient))) { "Download the key" } " For the key holder (" (t.key_holder) "). Without it the order can never be opened." }
                    }
                    li { a href="/trial/labels" target="_blank" { "Print the container labels" } " — a code and a day each, nothing of the contents." }
                }
            }
            p { a href="/trial" { "Back to the trial" } }
        },
    )
}

fn progress_section(token: &Csrf, p: &Progress, error: Option<&str>) -> Markup {
    html! {
        (error_box(error))
        @match &p.state {
            TrialState::NotStarted => { p { "Your trial starts on " (p.start) " and runs to " (p.end) "." } }
            TrialState::Running { day, today } => {
                p { "Day " (day) " of your trial (" (p.start) " to " (p.end) ")." }
                @match today {
                    Some(d) if !p.taken_today => {
                        div.card role="group" aria-labelledby="today-h" {
                            h2 #today-h { "Today's container: " span.code { (d.code) } }
                            form method="post" action="/dose" {
                                (csrf(token))
                                input type="hidden" name="container" value=(d.code);
                                input type="hidden" name="when" value="now";
                                button type="submit" name="action" value="log" { "Log today's container now" }
                            }
                            p.hint { "The safety check runs as for an active dose. In the evening check-in, say what you think you took." }
                        }
                    }
                    Some(d) => { p { "Today's container (" (d.code) ") is logged." @if !p.guessed_today { " " a href="/checkin" { "Check in" } " and say what you think you took." } } }
                    None => { p { "Today is a washout day: no trial dose." } }
                }
            }
            TrialState::AwaitingReveal { stopped } => {
                div.card role="group" aria-labelledby="reveal-h" {
                    h2 #reveal-h { "The trial is " (if *stopped { "stopped" } else { "over" }) ": open the order" }
                    form method="post" action="/trial/reveal" {
                        (csrf(token))
                        label for="r-key" { "The key (AGE-SECRET-KEY-1…), from " (p.key_holder) }
                        textarea #r-key name="key" required autocomplete="off" spellcheck="false" {}
                        button type="submit" { "Reveal and see the result" }
                    }
                }
            }
            TrialState::Revealed { .. } => {}
        }
        p { "Containers logged: " (p.containers_taken) " of " (p.days_so_far) " dosing days so far (" (p.days.len()) " in all); guesses recorded: " (p.guesses) ". Outcome: " (p.outcome) "; the smallest change that matters to you: " (p.smallest_change) "." }
        @for (date, what) in &p.red_flags {
            @if matches!(p.state, TrialState::Running { .. }) {
                div.card.attention role="group" aria-label="A red flag during the trial" {
                    p { strong { "A red flag on " (date) ": " } (what) }
                    p { "Talk to your clinician. A red flag can be a reason to stop the trial (below)." }
                }
            }
        }
        @for d in &p.unblinded { p { "Unblinded early, left out of the analysis: " (d) "." } }
        @if p.stopped { p { "Stopped early." } }
        @if matches!(p.state, TrialState::Running { .. } | TrialState::NotStarted) {
            p { a href="/trial/labels" target="_blank" { "Print the container labels again" } }
            details {
                summary { "Emergency: open one day" }
                p { "For a reaction, or when a clinician needs to know what you took. Only that day is opened and it leaves the analysis; every other day stays sealed." }
                form method="post" action="/trial/unblind" {
                    (csrf(token))
                    label for="u-date" { "Day" }
                    select #u-date name="date" {
                        @for (date, code) in p.days.iter().filter(|(d, _)| !p.unblinded.contains(d)) { option value=(date) { (date) " — " (code) } }
                    }
                    label for="u-key" { "The key (AGE-SECRET-KEY-1…)" }
                    textarea #u-key name="key" required autocomplete="off" spellcheck="false" {}
                    label for="u-reason" { "Why" }
                    input #u-reason type="text" name="reason" required minlength="3" maxlength="100";
                    button.secondary type="submit" { "Open this day" }
                }
            }
            details {
                summary { "Stop the trial" }
                p { "A red flag, or a decision with your clinician. The days so far are analysed once the order is opened." }
                form method="post" action="/trial/stop" {
                    (csrf(token))
                    label for="s-reason" { "Why" }
                    input #s-reason type="text" name="reason" required minlength="3" maxlength="100";
                    button.secondary type="submit" { "Stop the trial" }
                }
            }
        }
    }
}

async fn show_page(
    st: &AppState,
    token: &Csrf,
    f: &FormData,
    error: Option<&str>,
    note: Option<&str>,
) -> Result<Markup, WebError> {
    let store = st.store().await;
    let now = st.now();
    let progress = dosewise_app::trial::progress(&*store, now).await?;
    let result = match &progress {
        Some(p) if matches!(p.state, TrialState::Revealed { .. }) => {
            Some(dosewise_app::trial::result(&*store, now).await?)
        }
        _ => None,
    };
    let stocks: Vec<(i64, String)> = store
        .stocks(false)
        .await?
        .into_iter()
        .map(|s| (s.id, s.stock.name))
        .collect();
    let tz = super::zone(st, &store).await?;
    drop(store);
    let planning = progress
        .as_ref()
        .is_none_or(|p| matches!(p.state, TrialState::Revealed { .. }));
    Ok(page(
        "Is it the drug?",
        Nav::More,
        html! {
            h1 { "Is it the drug? A blinded trial" }
            @if let Some(n) = note { p.notice role="status" { (n) } }
            @if let Some(p) = &progress { (progress_section(token, p, if planning { None } else { error })) }
            @if let Some(r) = &result {
                (PreEscaped(dosewise_render::trial::result_html(&dosewise_render::trial::ResultView {
                    trial: &r.trial,
                    e: &r.evaluated,
                    tz: &tz,
                    voice: dosewise_core::trial_record::Voice::Person,
                }, 2, false)))
            }
            @if planning && result.is_some() {
                details open[error.is_some()] {
                    summary { "Plan another trial" }
                    (intro())
                    (plan_form(token, f, error, &stocks))
                }
            } @else if planning {
                (intro())
                (plan_form(token, f, error, &stocks))
            }
        },
    ))
}

pub async fn show(
    State(st): State<AppState>,
    Extension(token): Extension<Csrf>,
) -> Result<Markup, WebError> {
    show_page(&st, &token, &FormData::default(), None, None).await
}

/// A refusal on the page itself (400), anything else as the error page.
async fn refused(
    st: &AppState,
    token: &Csrf,
    f: &FormData,
    e: AppError,
) -> Result<Response, WebError> {
    match e {
        AppError::Input(m) | AppError::Conflict(m) => Ok((
            StatusCode::BAD_REQUEST,
            show_page(st, token, f, Some(&m), None).await?,
        )
            .into_response()),
        e => Err(e.into()),
    }
}

fn number<T: std::str::FromStr>(
    f: &FormData,
    name: &str,
    what: &str,
) -> dosewise_app::Result<Option<T>> {
    f.get(name)
        .filter(|v| !v.trim().is_empty())
        .map(|v| {
            v.trim()
                .parse::<T>()
                .map_err(|_| AppError::Input(format!("{what} {v:?} is not a number")))
        })
        .transpose()
}

pub async fn plan(
    State(st): State<AppState>,
    Extension(token): Extension<Csrf>,
    CheckedForm(f): CheckedForm,
) -> Result<Response, WebError> {
    let r = async {
        let req = PlanRequest {
            start: f.get("start"),
            weeks: number(&f, "weeks", "the length in weeks")?,
            blocks: None,
            period_days: number(&f, "period_days", "dosing days a period")?,
            washout_days: number(&f, "washout_days", "washout days")?,
            outcome: f.get("outcome"),
            smallest_change: number(&f, "smallest_change", "the smallest change")?,
            dose: f.get("dose"),
            stock: f.get("stock"),
            key_holder: f.get("key_holder"),
            recipient: f.get("recipient").filter(|r| !r.trim().is_empty()),
            note: None,
        };
        let store = st.store().await;
        let planned = dosewise_app::trial::plan_trial(&*store, &req, st.now()).await?;
        let stock = match planned.trial.trial.stock_id {
            Some(id) => store.stock(id).await?.map(|s| s.stock.name),
            None => None,
        };
        let dose = match stock {
            Some(s) => format!("{} of {s}", planned.trial.trial.dose),
            None => planned.trial.trial.dose.clone(),
        };
        Ok::<_, AppError>((planned, dose))
    }
    .await;
    match r {
        Ok((planned, dose)) => Ok(planned_page(&planned, &dose).into_response()),
        Err(e) => refused(&st, &token, &f, e).await,
    }
}

pub async fn labels(State(st): State<AppState>) -> Result<Response, WebError> {
    let store = st.store().await;
    let html = dosewise_app::trial::labels_html(&*store, st.now()).await?;
    Ok(super::insights::printable(html))
}

pub async fn unblind(
    State(st): State<AppState>,
    Extension(token): Extension<Csrf>,
    CheckedForm(f): CheckedForm,
) -> Result<Response, WebError> {
    let r = async {
        let date = f
            .get("date")
            .unwrap_or_default()
            .parse()
            .map_err(|e| AppError::Input(format!("choose the day to open: {e}")))?;
        let store = st.store().await;
        let c = dosewise_app::trial::emergency_unblind(
            &*store,
            date,
            &f.get("key").unwrap_or_default(),
            f.get("reason").as_deref(),
            st.now(),
        )
        .await?;
        Ok::<_, AppError>((date, c))
    }
    .await;
    match r {
        Ok((date, c)) => {
            let what = match c {
                Condition::Active => "active",
                Condition::Placebo => "placebo",
            };
            let note = format!(
                "{date} held {what}. This is recorded with your reason; that day leaves the analysis and every other day stays sealed."
            );
            Ok(
                show_page(&st, &token, &FormData::default(), None, Some(&note))
                    .await?
                    .into_response(),
            )
        }
        Err(e) => refused(&st, &token, &f, e).await,
    }
}

pub async fn stop(
    State(st): State<AppState>,
    Extension(token): Extension<Csrf>,
    CheckedForm(f): CheckedForm,
) -> Result<Response, WebError> {
    let store = st.store().await;
    let r = dosewise_app::trial::stop(&*store, f.get("reason").as_deref(), st.now()).await;
    drop(store);
    match r {
        Ok(_) => Ok(Redirect::to("/trial").into_response()),
        Err(e) => refused(&st, &token, &f, e).await,
    }
}

pub async fn reveal(
    State(st): State<AppState>,
    Extension(token): Extension<Csrf>,
    CheckedForm(f): CheckedForm,
) -> Result<Response, WebError> {
    let store = st.store().await;
    let r = dosewise_app::trial::reveal(&*store, &f.get("key").unwrap_or_default(), st.now()).await;
    drop(store);
    match r {
        Ok(_) => Ok(Redirect::to("/trial").into_response()),
        Err(e) => refused(&st, &token, &FormData::default(), e).await,
    }
}
