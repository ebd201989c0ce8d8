//! Log a dose: the form, the safety check before saving, refusal → override with a reason (the
//! same meaning as `dosewise dose --override`), and a logged dose's page.

use crate::AppState;
use crate::error::WebError;
use crate::layout::{Nav, csrf, error_box, page, verdict, when};
use crate::security::{CheckedForm, Csrf, FormData};
use axum::Extension;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use dosewise_app::AppError;
use dosewise_app::dose::{DoseRequest, Outcome};
use dosewise_core::dose::NewDose;
use dosewise_core::route::Route;
use dosewise_core::safety::Severity;
use dosewise_core::stock::Stock;
use dosewise_store::Store;
use maud::{Markup, html};

/// What a dose converts to, line by line (the page and the API's preview show the same).
pub fn conversion(new: &NewDose, stock: Option<&Stock>) -> Vec<String> {
    let (what, lines) = dosewise_app::dose::describe(new, stock);
    let on_hand = stock.map(|s| format!("{} on hand now: {}.", s.stock.name, s.remaining_text()));
    std::iter::once(what).chain(lines).chain(on_hand).collect()
}

/// The form's fields as a request.
pub fn request(f: &FormData, zone: Option<&str>) -> dosewise_app::Result<DoseRequest> {
    let stock = f.get("stock");
    let route = f
        .get("route")
        .map(|r| r.parse::<Route>().map_err(AppError::Input))
        .transpose()?;
    Ok(DoseRequest {
        amount: f.get("amount").unwrap_or_default(),
        no_stock: stock.as_deref() == Some("none"),
        stock: stock.filter(|s| s != "none"),
        route,
        at: when_of(f),
        note: f.get("note"),
        salt: None,
        substance: None,
        zone: zone.map(str::to_string),
        already_taken: false,
        container: f.get("container").filter(|c| !c.trim().is_empty()),
    })
}

/// What the page shows above the form after the safety check ran.
enum Checked<'a> {
    /// "Check first": the verdict, nothing written.
    Preview(&'a dosewise_core::safety::Verdict),
    /// "Log dose" met warnings: shown before saving, one tap to save with them.
    Confirm(&'a dosewise_core::safety::Verdict),
    /// Refused: not saved; already taken, or agreed by the clinician.
    Refused(&'a dosewise_core::safety::Verdict),
}

struct View<'a> {
    form: &'a FormData,
    stocks: &'a [Stock],
    planned: Option<String>,
    error: Option<String>,
    checked: Option<(Vec<String>, Checked<'a>)>,
    /// Now in the person's zone, "YYYY-MM-DDTHH:MM", the latest a dose can be.
    now_local: Option<String>,
    /// Today's blinded-trial container, when today is a dosing day not yet logged.
    trial_code: Option<String>,
}

/// The findings a person confirms by saving despite them: warnings and refusals. A save carries
/// the codes it was shown, so a change of amount that brings a new warning asks again.
fn to_confirm(v: &dosewise_core::safety::Verdict) -> String {
    let mut codes: Vec<&str> = v
        .findings
        .iter()
        .filter(|f| f.severity >= Severity::Warning)
        .map(|f| f.code.as_str())
        .collect();
    codes.sort_unstable();
    codes.dedup();
    codes.join(" ")
}

/// The quick choices of when a dose was taken: (form value, words). "other" reads the
/// date-and-time field.
const WHEN: [(&str, &str); 5] = [
    ("now", "Now"),
    ("-30m", "30 minutes ago"),
    ("-1h", "An hour ago"),
    ("-2h", "Two hours ago"),
    ("other", "Another time (below)"),
];

/// When the dose was taken, from the form: a quick choice, or the date-and-time field (or, from
/// a script, any time the app reads).
fn when_of(f: &FormData) -> Option<String> {
    match f.get("when").as_deref() {
        Some("now") => None,
        Some(w @ ("-30m" | "-1h" | "-2h")) => Some(w.to_string()),
        _ => f.get("at"),
    }
}

/// The one-tap amounts for a stock: a troche's quarters to a whole, one or two sprays.
fn quick_amounts(stock: Option<&Stock>) -> Vec<(String, String)> {
    use dosewise_core::preparation::Form;
    match stock.map(|s| &s.stock.preparation.form) {
        Some(Form::Troche { .. }) => [("1/4", "¼"), ("1/2", "½"), ("3/4", "¾"), ("1", "1")]
            .iter()
            .map(|(n, w)| (format!("{n} troche"), format!("{w} troche")))
            .collect(),
        Some(Form::NasalSpray { .. }) => vec![
            ("1 spray".into(), "1 spray".into()),
            ("2 sprays".into(), "2 sprays".into()),
        ],
        _ => Vec::new(),
    }
}

fn render(token: &Csrf, v: View<'_>) -> Markup {
    let f = v.form;
    let sel_stock = f.get("stock");
    let sel_route = f.get("route");
    // The stock the form is on: the one chosen, else the first (the form's default).
    let stock = sel_stock
        .as_deref()
        .and_then(|id| v.stocks.iter().find(|s| s.id.to_string() == id))
        .or(v.stocks.first());
    let quick = quick_amounts(stock);
    let unit = stock
        .map(|s| s.stock.preparation.count_word())
        .filter(|u| *u != "mL");
    let when_chosen = match f.get("when") {
        Some(w) => w,
        None if f.has("at") => "other".into(),
        None => "now".into(),
    };
    // A typed time the date-and-time field cannot hold ("-3h" from a script) is not put back.
    let at_value = f
        .get("at")
        .filter(|a| a.len() == 16 && a.as_bytes().get(10) == Some(&b'T'));
    let refused = matches!(v.checked, Some((_, Checked::Refused(_))));
    let body = html! {
        h1 { "Log a dose" }
        (error_box(v.error.as_deref()))
        @if let Some((lines, checked)) = &v.checked {
            // The verdict first ("Not saved" is the first thing read), then the dose.
            @match checked {
                Checked::Preview(vd) => { (verdict(vd)) }
                Checked::Confirm(vd) => {
                    (verdict(vd))
                    div.card.attention role="group" aria-labelledby="confirm-h" {
                        h2 #confirm-h { "Not saved yet" }
                        p { "Read the findings above. Save the dose with them, or change it first." }
                        input type="hidden" form="dose-form" name="confirmed" value=(to_confirm(vd));
                        button type="submit" form="dose-form" name="action" value="log" { "Save this dose" }
                        a.button.secondary href="/" { "Don't save" }
                    }
                }
                Checked::Refused(vd) => {
                    (verdict(vd))
                    div.card.attention role="group" aria-labelledby="taken-h" {
                        h2 #taken-h { "Already taken?" }
                        p { "If you have already taken this dose, it belongs in your journal: it is recorded as it happened, with these findings, and you will see what to look out for now." }
                        button type="submit" form="dose-form" name="action" value="taken" { "Yes, I have taken it — record it" }
                        a.button.secondary href="/" { "No, I won't take it now" }
                        p.hint { "Not taken: nothing is saved. Each finding above says what to do instead." }
                    }
                }
            }
            section.card aria-labelledby="conv-h" {
                h2 #conv-h { "This dose" }
                ul { @for l in lines { li { (l) } } }
            }
        }
        form method="post" action="/dose" #dose-form {
            (csrf(token))
            @if !quick.is_empty() && v.checked.is_none() {
                // One tap logs the amount (warnings are still shown first). Before the text
                // field, so the tapped amount is the one read.
                fieldset.quick {
                    legend { "Log in one tap" }
                    @for (amount, words) in &quick {
                        button.secondary type="submit" name="amount" value=(amount) { (words) }
                    }
                }
            }
            label for="amount" { "Amount" }
            p.hint #amount-hint {
                @match unit { Some(u) => { "A number is in " (u) "s of the stock below (\"1/2\" is half a " (u) "); or with a unit, as on the label: \"12.5 mg\", \"0.3 mL\"." } None => { "As on the label: \"1/2 troche\", \"12.5 mg\", \"2 sprays\", \"0.3 mL\"." } }
                @if let Some(p) = &v.planned { " Empty: the planned dose (" (p) ")." }
            }
            input #amount type="text" name="amount" value=[f.get("amount")] autocomplete="off" aria-describedby="amount-hint conv-live";
            div.preview #conv-live aria-live="polite" {}
            @if let Some(code) = f.get("container").or(v.trial_code.clone()) {
                label for="container" { "Trial container" }
                p.hint #container-hint { "The code on today's container label. Empty: not a trial dose. The amount and stock default to the trial's; the safety check runs as for an active dose." }
                input #container type="text" name="container" value=(code) autocomplete="off" aria-describedby="container-hint";
            }
            label for="stock" { "From stock" }
            select #stock name="stock" {
                @for s in v.stocks {
                    option value=(s.id) selected[sel_stock.as_deref() == Some(s.id.to_string().as_str())] { (s.stock.name) " — " (s.remaining_text()) " left" }
                }
                option value="none" selected[sel_stock.as_deref() == Some("none")] { "No recorded stock (amount in mg)" }
            }
            label for="route" { "Route" }
            select #route name="route" {
                option value="" selected[sel_route.is_none()] { "The stock's or plan's usual route" }
                // The routes people use at home; another (a dose given in a clinic) only when it
                // is already the one chosen, as on a correction of such a dose.
                @for r in Route::ALL.into_iter().filter(|r| Route::HOME.contains(r) || sel_route.as_deref() == Some(r.as_str())) {
                    option value=(r.as_str()) selected[sel_route.as_deref() == Some(r.as_str())] { (r.as_str()) }
                }
            }
            fieldset.checks.when {
                legend { "When" }
                @for (code, words) in WHEN {
                    label { input type="radio" name="when" value=(code) checked[when_chosen == code]; (words) }
                }
                label for="at" { "Another time" }
                input #at type="datetime-local" name="at" value=[at_value] max=[v.now_local.as_deref()];
            }
            label for="note" { "Note (optional)" }
            textarea #note name="note" maxlength="10000" { (f.get("note").unwrap_or_default()) }
            div {
                button.secondary type="submit" name="action" value="check" { "Check first" }
                @if !refused {
                    button type="submit" name="action" value="log" { "Log dose" }
                }
            }
            @if refused {
                details.override open[f.has("override")] {
                    summary { "My clinician agreed to this dose" }
                    p { "Only for a dose your clinician agreed to, knowing these limits. Your reason is kept with the dose and its findings, and your clinician sees both in the report." }
                    label for="override" { "Who agreed it, and when" }
                    p.hint #override-hint { "At least two words, for example \"agreed with Dr Kim on 30 Nov\"." }
                    textarea #override name="override" minlength=(dosewise_core::safety::OVERRIDE_REASON_MIN_CHARS) maxlength="200" aria-describedby="override-hint" { (f.get("override").unwrap_or_default()) }
                    div.checks {
                        label for="override-confirm" {
                            input #override-confirm type="checkbox" name="override_confirm" value="yes";
                            "I confirm my clinician agreed to this dose despite the findings above"
                        }
                    }
                    button.secondary type="submit" name="action" value="override" { "Log it with this reason" }
                }
            }
        }
    };
    page("Log a dose", Nav::Dose, body)
}

/// What the form shows besides what was typed.
struct Context {
    stocks: Vec<Stock>,
    planned: Option<String>,
    now_local: Option<String>,
    trial_code: Option<String>,
}

async fn context(st: &AppState) -> Result<Context, WebError> {
    let store = st.store().await;
    let stocks = store.stocks(false).await?;
    let planned = store
        .protocols(false)
        .await?
        .first()
        .map(|p| p.protocol.dose.entered.clone());
    let tz = super::zone(st, &store).await?;
    let now_local = Some(
        st.now()
            .to_zoned_datetime(tz)
            .strftime("%Y-%m-%dT%H:%M")
            .to_string(),
    );
    let trial_code = dosewise_app::trial::progress(&*store, st.now())
        .await?
        .and_then(|p| match p.state {
            dosewise_core::trial_record::State::Running { today: Some(d), .. }
                if !p.taken_today =>
            {
                Some(d.code)
            }
            _ => None,
        });
    Ok(Context {
        stocks,
        planned,
        now_local,
        trial_code,
    })
}

pub async fn form(
    State(st): State<AppState>,
    Extension(token): Extension<Csrf>,
) -> Result<Markup, WebError> {
    let c = context(&st).await?;
    Ok(render(
        &token,
        View {
            form: &FormData::default(),
            stocks: &c.stocks,
            planned: c.planned,
            error: None,
            checked: None,
            now_local: c.now_local,
            trial_code: c.trial_code,
        },
    ))
}

/// What the person asked for with the form's buttons.
#[derive(Clone, Copy, PartialEq)]
enum Action {
    /// Check only.
    Check,
    /// Save: warnings are shown first, unless the save confirms the ones it was shown.
    Log,
    /// Save a refused dose that is already taken.
    Taken,
    /// Save a refused dose with the clinician's agreement as the reason.
    Override,
}

pub async fn submit(
    State(st): State<AppState>,
    Extension(token): Extension<Csrf>,
    CheckedForm(f): CheckedForm,
) -> Result<Response, WebError> {
    let action = match f.get("action").as_deref() {
        Some("check") => Action::Check,
        Some("taken") => Action::Taken,
        Some("override") => Action::Override,
        _ => Action::Log,
    };
    let outcome = async {
        let mut req = request(&f, st.0.config.zone.as_deref())?;
        req.already_taken = action == Action::Taken;
        let reason = match action {
            Action::Override => {
                if f.get("override_confirm").as_deref() != Some("yes") {
                    return Err(AppError::Input("to log a refused dose with your clinician's agreement, write who agreed it and when, tick the box that confirms it, then press \"Log it with this reason\"".into()));
                }
                let reason = f.get("override").unwrap_or_default();
                dosewise_core::safety::override_reason_ok(&reason).map_err(AppError::Input)?;
                Some(reason)
            }
            _ => None,
        };
        let store = st.store().await;
        let now = st.now();
        let check = |dry| dosewise_app::dose::log(&*store, &req, reason.as_deref(), dry, now);
        if action == Action::Log {
            // Warnings are shown before saving: one more tap saves with the ones shown.
            let first = check(true).await?;
            if let Outcome::Checked { verdict, .. } = &first {
                let shown = f.get("confirmed").unwrap_or_default();
                let new = to_confirm(verdict);
                if verdict.refused() || (!new.is_empty() && new != shown) {
                    return Ok((first, true));
                }
            }
        }
        check(action == Action::Check).await.map(|o| (o, false))
    }
    .await;
    let c = context(&st).await?;
    let view = |error, checked| View {
        form: &f,
        stocks: &c.stocks,
        planned: c.planned.clone(),
        error,
        checked,
        now_local: c.now_local.clone(),
        trial_code: c.trial_code.clone(),
    };
    match outcome {
        Ok((Outcome::Logged { dose, .. }, _)) => {
            Ok(Redirect::to(&format!("/doses/{}?logged=1", dose.id)).into_response())
        }
        Ok((Outcome::Checked { prepared, verdict }, asked)) => {
            let lines = conversion(&prepared.new, prepared.stock.as_ref());
            let (status, shown) = match (asked, verdict.refused()) {
                (true, true) => (StatusCode::UNPROCESSABLE_ENTITY, Checked::Refused(&verdict)),
                (true, false) => (StatusCode::OK, Checked::Confirm(&verdict)),
                (false, _) => (StatusCode::OK, Checked::Preview(&verdict)),
            };
            Ok((status, render(&token, view(None, Some((lines, shown))))).into_response())
        }
        Ok((Outcome::Refused { prepared, verdict }, _)) => {
            let lines = conversion(&prepared.new, prepared.stock.as_ref());
            let page = render(
                &token,
                view(None, Some((lines, Checked::Refused(&verdict)))),
            );
            Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response())
        }
        Err(AppError::Input(m) | AppError::Conflict(m)) => {
            // A refusal the person was answering stays on the page with the message.
            let again = async {
                let req = request(&f, st.0.config.zone.as_deref()).ok()?;
                let store = st.store().await;
                dosewise_app::dose::log(&*store, &req, None, true, st.now())
                    .await
                    .ok()
            };
            let shown = match action {
                Action::Override | Action::Taken => again.await,
                _ => None,
            };
            if let Some(Outcome::Checked { prepared, verdict }) = &shown {
                let lines = conversion(&prepared.new, prepared.stock.as_ref());
                let checked = if verdict.refused() {
                    Checked::Refused(verdict)
                } else {
                    Checked::Preview(verdict)
                };
                return Ok((
                    StatusCode::BAD_REQUEST,
                    render(&token, view(Some(m), Some((lines, checked)))),
                )
                    .into_response());
            }
            Ok((StatusCode::BAD_REQUEST, render(&token, view(Some(m), None))).into_response())
        }
        Err(e) => Err(e.into()),
    }
}

#[derive(Debug, serde::Deserialize)]
pub struct ShowQuery {
    logged: Option<u8>,
    /// "corrected" or "deleted" after a change.
    done: Option<String>,
}

pub async fn show(
    State(st): State<AppState>,
    Extension(token): Extension<Csrf>,
    Path(id): Path<i64>,
    axum::extract::Query(q): axum::extract::Query<ShowQuery>,
) -> Result<Response, WebError> {
    let notice = match (q.logged, q.done.as_deref()) {
        (Some(_), _) => Some(LOGGED),
        (_, Some("corrected")) => Some("Corrected; the previous version is kept below."),
        (_, Some("deleted")) => Some("Deleted; it stays in the record, marked."),
        (_, Some("undone")) => Some(
            "Undone: the dose is marked deleted (it stays in the record) and its supply is back in stock.",
        ),
        _ => None,
    };
    dose_page(&st, &token, id, &FormData::default(), None, notice).await
}

const LOGGED: &str = "Logged.";

/// What went wrong with a correction: a message, or the safety check's refusal.
enum Problem<'a> {
    Input(String),
    Refused(&'a dosewise_core::safety::Verdict),
}

async fn dose_page(
    st: &AppState,
    token: &Csrf,
    id: i64,
    f: &FormData,
    problem: Option<Problem<'_>>,
    notice: Option<&str>,
) -> Result<Response, WebError> {
    let store = st.store().await;
    let tz = super::zone(st, &store).await?;
    let now = st.now();
    let d = store
        .dose(id)
        .await?
        .ok_or_else(|| WebError::NotFound(format!("no dose #{id}")))?;
    let stock = match d.dose.stock_id {
        Some(s) => store.stock(s).await?,
        None => None,
    };
    let revisions = store.dose_revisions(id).await?;
    drop(store);
    let x = &d.dose;
    // A dose saved despite a refusal is confirmed in neutral words, never as a plain success;
    // one taken within the last hours comes with what to look out for now.
    let despite = d.saved_despite_refusal();
    let notice = match notice {
        Some(LOGGED) if d.recorded_after_the_fact() => Some(
            "Recorded as taken, with the findings that would have applied. Your clinician sees them with the dose.",
        ),
        Some(LOGGED) if x.override_reason.is_some() => Some(
            "Saved with your reason, despite the refusal. Your clinician sees the reason and the findings with the dose.",
        ),
        n => n,
    };
    let recent = st.now().duration_since(x.at)
        < dosewise_core::jiff::SignedDuration::from_hours(12)
        && st.now() >= x.at;
    let status = match &problem {
        Some(Problem::Input(_)) => StatusCode::BAD_REQUEST,
        Some(Problem::Refused(_)) => StatusCode::UNPROCESSABLE_ENTITY,
        None => StatusCode::OK,
    };
    let v = |n: &str| f.get(n);
    let body = html! {
        @if let Some(n) = notice {
            @if despite { p.notice role="status" { (n) } } @else { p.ok role="status" { (n) } }
        }
        @if d.deleted_at.is_none() && dosewise_app::dose::undoable(d.created_at, d.updated_at, st.now()) {
            form.undo method="post" action={ "/doses/" (d.id) "/undo" } {
                (csrf(token))
                button.secondary type="submit" { "Undo" }
                span.hint { " Saved by mistake, or twice? Undo takes it back (for " (dosewise_app::dose::UNDO_MINUTES) " minutes after saving; after that, correct or delete it below)." }
            }
        }
        h1 { "Dose, " (when(x.at, &x.zone, &tz, now)) }
        @if despite && recent && d.deleted_at.is_none() { (crate::layout::after_a_refused_dose()) }
        @if d.deleted_at.is_some() { p.error { "Deleted: it stays in the record, marked." } }
        ul {
            @for l in conversion(x, stock.as_ref()) { li { (l) } }
            li { "Route: " (x.route) }
            @if let Some(n) = &x.note { li { "Note: " (n) } }
            @if let Some(r) = &x.override_reason { li { strong { "Logged despite a refusal. Reason: " } (r) } }
        }
        @if d.recorded_after_the_fact() {
            p.notice role="note" { (dosewise_core::safety::AFTER_THE_FACT_NOTE) }
        }
        @if !x.findings.is_empty() {
            h2 { "Safety check at logging" }
            ul.findings { @for f in &x.findings { (crate::layout::finding(f)) } }
        }
        @if let Some(s) = &stock { p { (s.stock.name) ": " (s.remaining_text()) " left." } }
        @if !revisions.is_empty() {
            h2 { "Earlier versions" }
            ul { @for r in &revisions {
                li {
                    (r.action.as_str()) " " (when(r.at, &x.zone, &tz, now)) ": was " (r.previous.amount_text())
                    ", " (when(r.previous.at, &r.previous.zone, &tz, now))
                    @if let Some(why) = &r.reason { " — " (why) }
                }
            } }
        }
        @if d.deleted_at.is_none() {
            h2 #correct { "Correct this dose" }
        }
        @match &problem {
            Some(Problem::Input(m)) => { (error_box(Some(m))) }
            Some(Problem::Refused(verdict)) => { (crate::layout::verdict(verdict)) }
            None => {}
        }
        @if d.deleted_at.is_none() {
            form method="post" action={ "/doses/" (d.id) "/edit" } {
                (csrf(token))
                p.hint { "Only what you fill in changes; the corrected dose is checked like a new one, and this version is kept." }
                div.grid2 {
                    div { label for="c-amount" { "Amount" } input #c-amount type="text" name="amount" value=[v("amount")] placeholder=(x.entered); }
                    div { label for="c-at" { "When (e.g. 2026-11-28 08:00, or -2h)" } input #c-at type="text" name="at" value=[v("at")]; }
                }
                label for="c-note" { "Note" }
                input #c-note type="text" name="note" value=[v("note")] maxlength="10000";
                label for="c-reason" { "Why it changed (kept with the correction)" }
                input #c-reason type="text" name="reason" value=[v("reason")] maxlength="500";
                @if matches!(problem, Some(Problem::Refused(_))) {
                    label for="c-override" { "Save anyway, with this reason (agreed with your clinician)" }
                    input #c-override type="text" name="override" value=[v("override")] maxlength="500";
                }
                button type="submit" { "Save the correction" }
            }
            h2 #delete { "Delete this dose" }
            form method="post" action={ "/doses/" (d.id) "/delete" } {
                (csrf(token))
                p.hint { "For a dose that did not happen. It stays in the record, marked deleted, and its supply returns to stock." }
                label for="d-reason" { "Reason (optional)" }
                input #d-reason type="text" name="reason" maxlength="500";
                p { label for="d-confirm" { input #d-confirm type="checkbox" name="confirm" value="yes"; " This dose did not happen" } }
                button.secondary type="submit" { "Delete dose" }
            }
        }
        p { a href="/history" { "History" } " · " a href="/dose" { "Log another" } }
    };
    Ok((status, page("Dose", Nav::Dose, body)).into_response())
}

/// Correct a dose, through the same code as `dosewise dose edit`.
pub async fn edit(
    State(st): State<AppState>,
    Extension(token): Extension<Csrf>,
    Path(id): Path<i64>,
    CheckedForm(f): CheckedForm,
) -> Result<Response, WebError> {
    let req = dosewise_app::dose::EditRequest {
        id,
        amount: f.get("amount"),
        stock: None,
        route: None,
        at: f.get("at"),
        note: f.get("note"),
        reason: f.get("reason"),
        zone: st.0.config.zone.clone(),
    };
    let out = {
        let store = st.store().await;
        dosewise_app::dose::edit(&*store, &req, f.get("override").as_deref(), st.now()).await
    };
    match out {
        Ok(dosewise_app::dose::Edited::Corrected { dose, .. }) => {
            Ok(Redirect::to(&format!("/doses/{}?done=corrected", dose.id)).into_response())
        }
        Ok(dosewise_app::dose::Edited::Refused { verdict, .. }) => {
            dose_page(&st, &token, id, &f, Some(Problem::Refused(&verdict)), None).await
        }
        Err(AppError::Input(m) | AppError::Conflict(m)) => {
            dose_page(&st, &token, id, &f, Some(Problem::Input(m)), None).await
        }
        Err(e) => Err(e.into()),
    }
}

/// Undo a dose just saved (a double tap, the wrong amount): deleted, with the supply back.
pub async fn undo(
    State(st): State<AppState>,
    Extension(token): Extension<Csrf>,
    Path(id): Path<i64>,
    CheckedForm(f): CheckedForm,
) -> Result<Response, WebError> {
    let out = {
        let store = st.store().await;
        dosewise_app::dose::undo(&*store, id, st.now()).await
    };
    match out {
        Ok(d) => Ok(Redirect::to(&format!("/doses/{}?done=undone", d.id)).into_response()),
        Err(AppError::Input(m) | AppError::Conflict(m)) => {
            dose_page(&st, &token, id, &f, Some(Problem::Input(m)), None).await
        }
        Err(e) => Err(e.into()),
    }
}

/// Delete a dose that did not happen, through the same code as `dosewise dose delete`.
pub async fn delete(
    State(st): State<AppState>,
    Extension(token): Extension<Csrf>,
    Path(id): Path<i64>,
    CheckedForm(f): CheckedForm,
) -> Result<Response, WebError> {
    if f.get("confirm").as_deref() != Some("yes") {
        let m =
            "to delete a dose, tick the box that says it did not happen, then press Delete dose";
        return dose_page(&st, &token, id, &f, Some(Problem::Input(m.into())), None).await;
    }
    let out = {
        let store = st.store().await;
        dosewise_app::dose::delete(&*store, id, f.get("reason").as_deref(), st.now()).await
    };
    match out {
        Ok(d) => Ok(Redirect::to(&format!("/doses/{}?done=deleted", d.id)).into_response()),
        Err(AppError::Input(m) | AppError::Conflict(m)) => {
            dose_page(&st, &token, id, &f, Some(Problem::Input(m)), None).await
        }
        Err(e) => Err(e.into()),
    }
}
