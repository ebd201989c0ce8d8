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
        at: f.get("at"),
        note: f.get("note"),
        salt: None,
        substance: None,
        zone: zone.map(str::to_string),
    })
}

struct View<'a> {
    form: &'a FormData,
    stocks: &'a [Stock],
    planned: Option<String>,
    error: Option<String>,
    checked: Option<(Vec<String>, &'a dosewise_core::safety::Verdict)>,
}

fn render(token: &Csrf, v: View<'_>) -> Markup {
    let f = v.form;
    let sel_stock = f.get("stock");
    let sel_route = f.get("route");
    let refused = v.checked.as_ref().is_some_and(|(_, vd)| vd.refused());
    let body = html! {
        h1 { "Log a dose" }
        (error_box(v.error.as_deref()))
        @if let Some((lines, vd)) = &v.checked {
            section.card aria-labelledby="conv-h" {
                h2 #conv-h { "This dose" }
                ul { @for l in lines { li { (l) } } }
            }
            (verdict(vd))
        }
        form method="post" action="/dose" #dose-form {
            (csrf(token))
            label for="amount" { "Amount" }
            p.hint #amount-hint { "As on the label: \"1/2 troche\", \"12.5 mg\", \"2 sprays\", \"0.3 mL\"." @if let Some(p) = &v.planned { " Empty: the planned dose (" (p) ")." } }
            input #amount type="text" name="amount" value=[f.get("amount")] autocomplete="off" aria-describedby="amount-hint conv-live";
            div.preview #conv-live aria-live="polite" {}
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
                @for r in Route::ALL {
                    option value=(r.as_str()) selected[sel_route.as_deref() == Some(r.as_str())] { (r.as_str()) }
                }
            }
            label for="at" { "When" }
            p.hint #at-hint { "Empty for now; or \"21:00\", \"-2h\", \"yesterday 21:00\", \"2026-11-28 08:00\"." }
            input #at type="text" name="at" value=[f.get("at")] aria-describedby="at-hint" autocomplete="off";
            label for="note" { "Note (optional)" }
            textarea #note name="note" maxlength="10000" { (f.get("note").unwrap_or_default()) }
            @if refused {
                fieldset.override {
                    legend { "Log it anyway?" }
                    p { "Only if this was agreed with your clinician. Your reason is kept with the dose and its findings, and shows in the clinician report." }
                    label for="override" { "Reason" }
                    textarea #override name="override" required maxlength="200" { (f.get("override").unwrap_or_default()) }
                    button.danger type="submit" name="action" value="log" { "Log despite the refusal" }
                }
            }
            div {
                button.secondary type="submit" name="action" value="check" { "Check first" }
                @if !refused {
                    button type="submit" name="action" value="log" { "Log dose" }
                }
            }
        }
    };
    page("Log a dose", Nav::Dose, body)
}

async fn context(st: &AppState) -> Result<(Vec<Stock>, Option<String>), WebError> {
    let store = st.store().await;
    let stocks = store.stocks(false).await?;
    let planned = store
        .protocols(false)
        .await?
        .first()
        .map(|p| p.protocol.dose.entered.clone());
    Ok((stocks, planned))
}

pub async fn form(
    State(st): State<AppState>,
    Extension(token): Extension<Csrf>,
) -> Result<Markup, WebError> {
    let (stocks, planned) = context(&st).await?;
    Ok(render(
        &token,
        View {
            form: &FormData::default(),
            stocks: &stocks,
            planned,
            error: None,
            checked: None,
        },
    ))
}

pub async fn submit(
    State(st): State<AppState>,
    Extension(token): Extension<Csrf>,
    CheckedForm(f): CheckedForm,
) -> Result<Response, WebError> {
    let dry_run = f.get("action").as_deref() == Some("check");
    let outcome = async {
        let req = request(&f, st.0.config.zone.as_deref())?;
        let reason = f.get("override");
        let store = st.store().await;
        dosewise_app::dose::log(&*store, &req, reason.as_deref(), dry_run, st.now()).await
    }
    .await;
    let (stocks, planned) = context(&st).await?;
    let view = |error, checked| View {
        form: &f,
        stocks: &stocks,
        planned: planned.clone(),
        error,
        checked,
    };
    match outcome {
        Ok(Outcome::Logged { dose, .. }) => {
            Ok(Redirect::to(&format!("/doses/{}?logged=1", dose.id)).into_response())
        }
        Ok(Outcome::Checked { prepared, verdict }) => {
            let lines = conversion(&prepared.new, prepared.stock.as_ref());
            Ok(render(&token, view(None, Some((lines, &verdict)))).into_response())
        }
        Ok(Outcome::Refused { prepared, verdict }) => {
            let lines = conversion(&prepared.new, prepared.stock.as_ref());
            let page = render(&token, view(None, Some((lines, &verdict))));
            Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response())
        }
        Err(AppError::Input(m)) => {
            Ok((StatusCode::BAD_REQUEST, render(&token, view(Some(m), None))).into_response())
        }
        Err(e) => Err(e.into()),
    }
}

#[derive(Debug, serde::Deserialize)]
pub struct ShowQuery {
    logged: Option<u8>,
}

pub async fn show(
    State(st): State<AppState>,
    Path(id): Path<i64>,
    axum::extract::Query(q): axum::extract::Query<ShowQuery>,
) -> Result<Markup, WebError> {
    let store = st.store().await;
    let tz = super::zone(&st, &store).await?;
    let d = store
        .dose(id)
        .await?
        .ok_or_else(|| WebError::NotFound(format!("no dose #{id}")))?;
    let stock = match d.dose.stock_id {
        Some(s) => store.stock(s).await?,
        None => None,
    };
    drop(store);
    let x = &d.dose;
    let body = html! {
        @if q.logged.is_some() {
            p.ok role="status" { "Logged." }
        }
        h1 { "Dose #" (d.id) }
        @if d.deleted_at.is_some() { p.error { "Deleted: it stays in the record, marked." } }
        ul {
            @for l in conversion(x, stock.as_ref()) { li { (l) } }
            li { (x.route) " at " (when(x.at, &x.zone, &tz)) }
            @if let Some(n) = &x.note { li { "Note: " (n) } }
            @if let Some(r) = &x.override_reason { li { strong { "Logged despite a refusal. Reason: " } (r) } }
        }
        @if d.recorded_after_the_fact() {
            p.error role="note" { (dosewise_core::safety::AFTER_THE_FACT_NOTE) }
        }
        @if !x.findings.is_empty() {
            h2 { "Safety check at logging" }
            ul.findings { @for f in &x.findings { (crate::layout::finding(f)) } }
        }
        @if let Some(s) = &stock { p { (s.stock.name) ": " (s.remaining_text()) " left." } }
        p { a href="/history" { "History" } " · " a href="/dose" { "Log another" } }
    };
    Ok(page(&format!("Dose #{id}"), Nav::Dose, body))
}
