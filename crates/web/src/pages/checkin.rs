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
use dosewise_app::checkin::{CheckinEdit, CheckinRequest};
use dosewise_core::checkin::{
    COMMON_SIDE_EFFECTS, Checkin, NewCheckin, SCALES, URINARY_SOURCES, URINARY_WARNING,
};
use dosewise_core::jiff::tz::TimeZone;
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
    // A ticked side effect with its 0-10 chip chosen is "nausea=3", as typed in "Other".
    let mut side_effects: Vec<String> = f
        .all("side_effect")
        .into_iter()
        .map(|s| match f.get(&format!("se-{s}")) {
            Some(v) => format!("{s}={v}"),
            None => s,
        })
        .collect();
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
        guess: match f.get("guess").as_deref() {
            None | Some("") => None,
            Some("active") => Some(dosewise_core::trial::Guess::Active),
            Some("placebo") => Some(dosewise_core::trial::Guess::Placebo),
            Some("dont_know") => Some(dosewise_core::trial::Guess::DontKnow),
            Some(other) => {
                return Err(AppError::Input(format!(
                    "{other:?} is not a guess: active, placebo or dont_know"
                )));
            }
        },
        // How sure goes with a guess; the select always sends one.
        guess_sure: match f.get("guess") {
            Some(g) if !g.is_empty() => f
                .get("guess_sure")
                .map(|v| {
                    v.parse::<u8>()
                        .map_err(|_| AppError::Input(format!("how sure {v:?} is not 1 to 5")))
                })
                .transpose()?,
            _ => None,
        },
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

/// Where the check-in form goes: a new check-in, or the correction of one.
enum Target<'a> {
    /// A new check-in; `true` on a blinded trial's dosing day (the guess is asked).
    New(bool),
    Correct(&'a Checkin, &'a TimeZone, dosewise_core::jiff::Timestamp),
}

fn render(token: &Csrf, f: &FormData, error: Option<&str>, target: Target<'_>) -> Markup {
    let chosen = f.all("side_effect");
    let urinary = f.all("urinary");
    let (title, action, save) = match target {
        Target::New(_) => (
            "Check in".to_string(),
            "/checkin".to_string(),
            "Save check-in",
        ),
        Target::Correct(c, ..) => (
            "Correct this check-in".to_string(),
            format!("/checkins/{}/edit", c.id),
            "Save the correction",
        ),
    };
    let body = html! {
        h1 { (title) }
        (error_box(error))
        @match target {
            Target::New(_) => {
                p.hint { "Tap a number for each rating you want to record; skip any you like. Everything is optional, but give at least one rating, symptom or note." }
            }
            Target::Correct(c, tz, now) => {
                p.hint { "Recorded " (when(c.checkin.at, &c.checkin.zone, tz, now)) ". Change what was wrong and save: a rating left unselected is removed. This version is kept as an earlier version." }
            }
        }
        form method="post" action=(action) {
            (csrf(token))
            @for (name, lo, hi) in SCALES {
                (scale(name, lo, hi, f.get(name)))
            }
            fieldset.checks.side-effects {
                legend { "Side effects" }
                p.hint { "Tick one to rate how strong it was, 0-10 (optional)." }
                @for s in COMMON_SIDE_EFFECTS {
                    @let picked = f.get(&format!("se-{s}"));
                    div.se {
                        input type="checkbox" id=(format!("se-box-{s}")) name="side_effect" value=(s) checked[chosen.iter().any(|c| c == s)];
                        label for=(format!("se-box-{s}")) { (s) }
                        // Shown once the box is ticked (CSS only: works without the script).
                        div.scale.se-scale role="group" aria-label=(format!("how strong: {s}")) {
                            @for v in 0..=10 {
                                label {
                                    input type="radio" name=(format!("se-{s}")) value=(v) checked[picked.as_deref() == Some(v.to_string().as_str())] aria-label=(format!("{s} {v}"));
                                    span { (v) }
                                }
                            }
                        }
                    }
                }
                label for="other_side_effects" { "Other, or with a 0-10 rating" }
                p.hint #other-hint { "Comma-separated: \"headache=3, dry mouth\"." }
                input #other_side_effects type="text" name="other_side_effects" value=[f.get("other_side_effects")] aria-describedby="other-hint";
            }
            @if let Target::New(true) = target {
                fieldset.checks.guess {
                    legend { "Your trial: what do you think you took today?" }
                    p.hint { "A guess is fine. It shows at the end whether the blind held." }
                    @for (v, words) in [("active", "Active"), ("placebo", "Placebo"), ("dont_know", "Don't know")] {
                        label { input type="radio" name="guess" value=(v) checked[f.get("guess").as_deref() == Some(v)]; (words) }
                    }
                    label for="guess_sure" { "How sure?" }
                    select #guess_sure name="guess_sure" {
                        @for (v, words) in [("1", "1 — a pure guess"), ("2", "2"), ("3", "3 — fairly sure"), ("4", "4"), ("5", "5 — certain")] {
                            option value=(v) selected[f.get("guess_sure").as_deref() == Some(v)] { (words) }
                        }
                    }
                }
            }
            label for="note" { "Note (optional)" }
            textarea #note name="note" maxlength="10000" { (f.get("note").unwrap_or_default()) }
            details.more open[!urinary.is_empty() || f.has("tags") || f.has("at") || f.has("private")] {
            summary { "More: urinary symptoms, tags, time, keep private" }
            fieldset.checks {
                legend { "Urinary symptoms" }
                p.hint { "Ketamine can damage the bladder; tell your clinician about any of these." }
                @for (v, text) in URINARY {
                    label { input type="checkbox" name="urinary" value=(v) checked[urinary.iter().any(|u| u == v)]; (text) }
                }
            }
            label for="tags" { "Tags (optional)" }
            p.hint #tags-hint { "Words such as work, exercise, alcohol, poor-sleep; insights compare days with and without each." }
            input #tags type="text" name="tags" value=[f.get("tags")] aria-describedby="tags-hint";
            label for="at" { "When" }
            @if matches!(target, Target::New(_)) {
                p.hint #at-hint { "Empty for now; or \"21:00\", \"yesterday 21:00\", \"-2h\"." }
            } @else {
                p.hint #at-hint { "Empty keeps the recorded time; or \"21:00\", \"yesterday 21:00\", \"2026-11-28 21:00\"." }
            }
            input #at type="text" name="at" value=[f.get("at")] aria-describedby="at-hint";
            div.checks {
                label { input type="checkbox" name="private" value="1" checked[f.has("private")]; "Private: keep it out of the clinician report" }
            }
            }
            @if let Target::Correct(..) = target {
                label for="reason" { "Why it changed (optional, kept with the earlier version)" }
                input #reason type="text" name="reason" value=[f.get("reason")] maxlength="100";
            }
            button type="submit" { (save) }
            @if matches!(target, Target::New(_)) {
                button.secondary type="reset" { "Clear the form" }
            }
        }
    };
    page(&title, Nav::Checkin, body)
}

/// Whether today is a dosing day of a running blinded trial (its check-in asks the guess).
async fn trial_day(st: &AppState) -> Result<bool, WebError> {
    let store = st.store().await;
    Ok(dosewise_app::trial::current(&*store, st.now())
        .await?
        .is_some_and(|c| {
            matches!(
                c.state,
                dosewise_core::trial_record::State::Running { today: Some(_), .. }
            )
        }))
}

pub async fn form(
    State(st): State<AppState>,
    Extension(token): Extension<Csrf>,
) -> Result<Markup, WebError> {
    let trial = trial_day(&st).await?;
    Ok(render(
        &token,
        &FormData::default(),
        None,
        Target::New(trial),
    ))
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
        Err(AppError::Input(m) | AppError::Conflict(m)) => Ok((
            StatusCode::BAD_REQUEST,
            render(&token, &f, Some(&m), Target::New(trial_day(&st).await?)),
        )
            .into_response()),
        Err(e) => Err(e.into()),
    }
}

#[derive(Debug, serde::Deserialize)]
pub struct ShowQuery {
    saved: Option<u8>,
    /// "corrected", "unchanged" or "deleted" after a correction or deletion.
    done: Option<String>,
}

pub async fn show(
    State(st): State<AppState>,
    Extension(token): Extension<Csrf>,
    Path(id): Path<i64>,
    axum::extract::Query(q): axum::extract::Query<ShowQuery>,
) -> Result<Markup, WebError> {
    let store = st.store().await;
    let tz = super::zone(&st, &store).await?;
    let now = st.now();
    let (c, revisions) = dosewise_app::checkin::show(&*store, id).await?;
    let crisis = if c.is_live() && c.checkin.reads_as_self_harm() {
        Some(store.profile().await?)
    } else {
        None
    };
    drop(store);
    let done = match q.done.as_deref() {
        Some("corrected") => Some("Corrected; the earlier version is kept below."),
        Some("unchanged") => Some("Nothing changed: that is what was recorded."),
        Some("deleted") => Some("Deleted; it stays in the record, marked."),
        Some("undone") => Some("Undone: the check-in is marked deleted; it stays in the record."),
        Some("too-late") => {
            Some("It can no longer be undone: correct it, or delete it with a reason, below.")
        }
        _ => q.saved.map(|_| "Saved."),
    };
    let body = html! {
        @if let Some(d) = done { p.ok role="status" { (d) } }
        @if c.is_live() && dosewise_app::dose::undoable(c.created_at, c.updated_at, st.now()) {
            form.undo method="post" action={ "/checkins/" (c.id) "/undo" } {
                (csrf(&token))
                button.secondary type="submit" { "Undo" }
                span.hint { " Saved by mistake, or twice? Undo takes it back (for " (dosewise_app::dose::UNDO_MINUTES) " minutes after saving)." }
            }
        }
        @if let Some(p) = &crisis {
            (crate::layout::support_card(
                p.as_ref().and_then(|p| p.crisis_line.as_deref()),
                p.as_ref().and_then(|p| p.clinician.as_deref()),
            ))
        }
        h1 { "Check-in, " (when(c.checkin.at, &c.checkin.zone, &tz, now)) }
        p { (dosewise_app::checkin::summary(&c)) }
        @if let Some(n) = &c.checkin.note { p { "Note: " (n) } }
        @if c.deleted_at.is_some() {
            p.error { "Deleted: it stays in the record, marked, and is left out of insights, trends, the safety check and the report." }
        } @else if !c.checkin.urinary.is_empty() {
            div.error role="alert" {
                p { (URINARY_WARNING) }
                ul.sources { @for s in URINARY_SOURCES { li { (s) } } }
            }
        }
        @if !revisions.is_empty() {
            h2 { "Earlier versions" }
            ul { @for r in &revisions {
                li {
                    (r.action.as_str()) " " (when(r.at, &c.checkin.zone, &tz, now)) ": was "
                    (dosewise_app::checkin::summary(&Checkin::new(c.id, r.previous.clone(), c.created_at)))
                    ", " (when(r.previous.at, &r.previous.zone, &tz, now))
                    @if let Some(why) = &r.reason { " — " (why) }
                }
            } }
        }
        @if c.is_live() {
            p { a.button href={ "/checkins/" (c.id) "/edit" } { "Correct this check-in" } }
            h2 #delete { "Delete this check-in" }
            (error_box(q.done.as_deref().filter(|d| *d == "unconfirmed").map(|_| "to delete a check-in, tick the box that says it was a mistake, then press Delete check-in")))
            form method="post" action={ "/checkins/" (c.id) "/delete" } {
                (csrf(&token))
                p.hint { "For a check-in entered by mistake. It stays in the record, marked deleted." }
                label for="d-reason" { "Reason (optional)" }
                input #d-reason type="text" name="reason" maxlength="100";
                p { label for="d-confirm" { input #d-confirm type="checkbox" name="confirm" value="yes"; " This check-in was a mistake" } }
                button.secondary type="submit" { "Delete check-in" }
            }
        }
        p { a href="/" { "Today" } " · " a href="/history" { "History" } }
    };
    Ok(page(&format!("Check-in #{id}"), Nav::Checkin, body))
}

/// The form's fields as they were recorded, for a correction to start from.
fn recorded(c: &NewCheckin) -> FormData {
    let mut f = Vec::new();
    for (name, r) in c.ratings.iter().chain([("craving", c.craving)]) {
        if let Some(r) = r {
            f.push((name.to_string(), r.to_string()));
        }
    }
    let mut other = Vec::new();
    for s in &c.side_effects {
        match s.severity {
            None if COMMON_SIDE_EFFECTS.contains(&s.name.as_str()) => {
                f.push(("side_effect".into(), s.name.clone()))
            }
            None => other.push(s.name.clone()),
            Some(v) if COMMON_SIDE_EFFECTS.contains(&s.name.as_str()) => {
                f.push(("side_effect".into(), s.name.clone()));
                f.push((format!("se-{}", s.name), v.to_string()));
            }
            Some(v) => other.push(format!("{}={v}", s.name)),
        }
    }
    f.push(("other_side_effects".into(), other.join(", ")));
    for u in &c.urinary {
        f.push(("urinary".into(), u.as_str().into()));
    }
    f.push(("note".into(), c.note.clone().unwrap_or_default()));
    f.push(("tags".into(), c.tags.join(" ")));
    if c.private {
        f.push(("private".into(), "1".into()));
    }
    FormData(f)
}

/// The submitted correction form as a correction: it shows every field, so what is absent is
/// removed and the rest replaces what was recorded (the time only when one is typed).
fn correction(f: &FormData, zone: Option<&str>) -> dosewise_app::Result<CheckinEdit> {
    let req = request(f, zone)?;
    let mut clear = Vec::new();
    for (name, v) in [
        ("mood", req.mood),
        ("anxiety", req.anxiety),
        ("energy", req.energy),
        ("focus", req.focus),
        ("sleep", req.sleep),
        ("irritability", req.irritability),
        ("craving", req.craving),
    ] {
        if v.is_none() {
            clear.push(name.to_string());
        }
    }
    if req.note.is_none() {
        clear.push("note".into());
    }
    Ok(CheckinEdit {
        mood: req.mood,
        anxiety: req.anxiety,
        energy: req.energy,
        focus: req.focus,
        sleep: req.sleep,
        irritability: req.irritability,
        craving: req.craving,
        side_effects: Some(req.side_effects),
        urinary: Some(req.urinary),
        note: req.note,
        tags: Some(req.tags),
        private: Some(req.private),
        at: req.at,
        zone: req.zone,
        clear,
        reason: f.get("reason"),
    })
}

async fn live_checkin(st: &AppState, id: i64) -> Result<(Checkin, TimeZone), WebError> {
    let store = st.store().await;
    let tz = super::zone(st, &store).await?;
    let (c, _) = dosewise_app::checkin::show(&*store, id).await?;
    if !c.is_live() {
        return Err(WebError::NotFound(format!(
            "check-in #{id} was deleted; record a new check-in instead"
        )));
    }
    Ok((c, tz))
}

/// The correction form, filled in with what was recorded.
pub async fn edit_form(
    State(st): State<AppState>,
    Extension(token): Extension<Csrf>,
    Path(id): Path<i64>,
) -> Result<Markup, WebError> {
    let (c, tz) = live_checkin(&st, id).await?;
    Ok(render(
        &token,
        &recorded(&c.checkin),
        None,
        Target::Correct(&c, &tz, st.now()),
    ))
}

/// Correct a check-in, through the same code as `dosewise checkin edit`.
pub async fn edit(
    State(st): State<AppState>,
    Extension(token): Extension<Csrf>,
    Path(id): Path<i64>,
    CheckedForm(f): CheckedForm,
) -> Result<Response, WebError> {
    let out = async {
        let e = correction(&f, st.0.config.zone.as_deref())?;
        let store = st.store().await;
        dosewise_app::checkin::edit(&*store, id, &e, st.now()).await
    }
    .await;
    match out {
        Ok(done) => {
            let what = if done.changed {
                "corrected"
            } else {
                "unchanged"
            };
            Ok(Redirect::to(&format!("/checkins/{id}?done={what}")).into_response())
        }
        Err(AppError::Input(m)) => {
            let (c, tz) = live_checkin(&st, id).await?;
            let page = render(&token, &f, Some(&m), Target::Correct(&c, &tz, st.now()));
            Ok((StatusCode::BAD_REQUEST, page).into_response())
        }
        Err(e) => Err(e.into()),
    }
}

/// Undo a check-in just saved: deleted, kept in the record, marked.
pub async fn undo(
    State(st): State<AppState>,
    Path(id): Path<i64>,
    CheckedForm(_): CheckedForm,
) -> Result<Response, WebError> {
    let store = st.store().await;
    match dosewise_app::checkin::undo(&*store, id, st.now()).await {
        Ok(_) => Ok(Redirect::to(&format!("/checkins/{id}?done=undone")).into_response()),
        Err(AppError::Conflict(_)) => {
            Ok(Redirect::to(&format!("/checkins/{id}?done=too-late#delete")).into_response())
        }
        Err(e) => Err(e.into()),
    }
}

/// Delete a check-in entered by mistake, through the same code as `dosewise checkin delete`.
pub async fn delete(
    State(st): State<AppState>,
    Path(id): Path<i64>,
    CheckedForm(f): CheckedForm,
) -> Result<Response, WebError> {
    if f.get("confirm").as_deref() != Some("yes") {
        return Ok(
            Redirect::to(&format!("/checkins/{id}?done=unconfirmed#delete")).into_response(),
        );
    }
    let store = st.store().await;
    dosewise_app::checkin::delete(&*store, id, f.get("reason").as_deref(), st.now()).await?;
    Ok(Redirect::to(&format!("/checkins/{id}?done=deleted")).into_response())
}
