//! The stock page: what is on hand, its ledger, and changes to it (refill, removal, count).

use super::more::{Flash, Notice, notice_text, saved, saved_or_again};
use crate::AppState;
use crate::error::WebError;
use crate::layout::{Nav, csrf, error_box, page};
use crate::security::{CheckedForm, Csrf, FormData};
use axum::Extension;
use axum::extract::{Query, State};
use axum::response::Response;
use dosewise_core::preparation::Form;
use dosewise_core::units::fmt_num;
use dosewise_store::Store;
use maud::{Markup, html};

pub async fn stock(
    State(st): State<AppState>,
    Extension(token): Extension<Csrf>,
    Query(flash): Query<Flash>,
) -> Result<Markup, WebError> {
    let notice = notice_text(&st, &flash).await?;
    stock_page(&st, &token, &FormData::default(), None, notice.as_deref()).await
}

/// One stock: what it is and its ledger (the CLI's `stock show`).
pub async fn show(
    State(st): State<AppState>,
    axum::extract::Path(id): axum::extract::Path<i64>,
) -> Result<Markup, WebError> {
    let store = st.store().await;
    let tz = super::zone(&st, &store).await?;
    let now = st.now();
    let s = store
        .stock(id)
        .await?
        .ok_or_else(|| WebError::NotFound(format!("stock {id} does not exist")))?;
    let events = store.stock_events(id).await?;
    drop(store);
    let x = &s.stock;
    let p = &x.preparation;
    let dash = |v: Option<String>| v.unwrap_or_else(|| "–".into());
    let body = html! {
        h1 { (x.name) @if s.is_retired() { " (retired)" } }
        dl {
            dt { "Preparation" } dd { (p.describe()) }
            dt { "Strength stated as" } dd { (p.salt.label()) ", " (p.substance) }
            @if let Some(c) = p.concentration() { dt { "Concentration" } dd { (fmt_num(c.value())) " mg/mL" } }
            @if let Some(v) = p.spray_ml() { dt { "Per spray" } dd { (fmt_num(v.value())) " mL" } }
            dt { "On hand" } dd { (s.remaining_text()) }
            dt { "Dispensed" } dd { (dash(x.dispensed.map(|d| dosewise_core::stock::supply_text(p, d)))) }
            dt { "Usual route" } dd { (x.default_route) }
            dt { "Lot, expiry, opened" } dd { (dash(x.lot.clone())) " · " (dash(x.expiry.map(|d| d.to_string()))) " · " (dash(x.opened.map(|d| d.to_string()))) }
            @if let Some(n) = &x.note { dt { "Note" } dd { (n) } }
        }
        h2 { "Ledger" }
        div.table-wrap { table {
            thead { tr { th scope="col" { "When" } th scope="col" { "Change" } th scope="col" { "On hand after" } th scope="col" { "Why" } } }
            tbody { @for e in &events {
                tr {
                    td { (crate::layout::when(e.at, "", &tz, now)) }
                    td { @if e.delta > 0.0 { "+" } (fmt_num(e.delta)) }
                    td { (fmt_num(e.remaining_after)) }
                    td {
                        (e.kind.as_str().replace('_', " "))
                        @if let Some(d) = e.dose_id { " (" a href={ "/doses/" (d) } { "the dose" } ")" }
                        @if let Some(r) = &e.reason { ": " (r) }
                    }
                }
            } }
        } }
        p { a href="/stock" { "All stock" } }
    };
    Ok(page(&x.name, Nav::More, body))
}

async fn stock_page(
    st: &AppState,
    token: &Csrf,
    f: &FormData,
    error: Option<&str>,
    flash: Option<&str>,
) -> Result<Markup, WebError> {
    // The stock statuses are part of today's (cached) overview.
    let (_, t) = st.today().await?;
    let stocks = st.store().await.stocks(true).await?;
    let active: Vec<_> = stocks.iter().filter(|s| !s.is_retired()).collect();
    let chosen = f.get("change");
    let body = html! {
        h1 { "Stock" }
        (saved(flash))
        (error_box(error))
        @if stocks.is_empty() { p { "No stock recorded yet: add one below." } }
        div.table-wrap { table {
            thead { tr { th scope="col" { "Stock" } th scope="col" { "On hand" } th scope="col" { "Status" } } }
            tbody { @for s in &stocks {
                tr {
                    th scope="row" { a href={ "/stock/" (s.id) } { (s.stock.name) } @if s.is_retired() { " (retired)" } }
                    td { (s.remaining_text()) }
                    td {
                        @if let Some(x) = t.stock.iter().find(|x| x.stock_id == s.id) {
                            @if let Some(d) = x.days_left { "about " (fmt_num(d.floor())) " days at your recent use. " }
                            @for m in &x.messages { span.badge.warning { (m) } " " }
                        }
                    }
                }
            } }
        } }
        @if !active.is_empty() {
            h2 { "Refill, remove or count" }
            form method="post" action="/stock" {
                (csrf(token))
                label for="stock-id" { "Stock" }
                select #stock-id name="stock" {
                    @for s in &active {
                        option value=(s.id) selected[f.get("stock") == Some(s.id.to_string())] { (s.stock.name) " (" (s.remaining_text()) ")" }
                    }
                }
                label for="stock-change" { "Change" }
                select #stock-change name="change" {
                    option value="add" selected[chosen.as_deref() == Some("add")] { "Refill: add to what is on hand" }
                    option value="remove" selected[chosen.as_deref() == Some("remove")] { "Remove: spilled, primed, lost, given back" }
                    option value="count" selected[chosen.as_deref() == Some("count")] { "Count: what you have now replaces the journal's figure" }
                }
                label for="stock-amount" { "Amount (e.g. 10 troches, 4.2 mL, 30 sprays; a plain number is the stock's unit)" }
                input #stock-amount type="text" name="amount" value=[f.get("amount")] required;
                label for="stock-note" { "Note (optional, kept in the stock's ledger)" }
                input #stock-note type="text" name="note" value=[f.get("note")] maxlength="500";
                button type="submit" { "Save" }
            }
        }
        (add_form(token, f))
        @if !active.is_empty() {
            h2 #retire { "Retire a stock" }
            p.hint { "Used up, expired or discarded. Its history stays in the journal." }
            form method="post" action="/stock/retire" {
                (csrf(token))
                label for="retire-id" { "Stock" }
                select #retire-id name="stock" {
                    @for s in &active { option value=(s.id) { (s.stock.name) } }
                }
                label for="retire-reason" { "Reason (optional)" }
                input #retire-reason type="text" name="reason" maxlength="500";
                button.secondary type="submit" { "Retire" }
            }
        }
        @let solutions: Vec<_> = active.iter().filter(|s| matches!(s.stock.preparation.form, Form::Solution { .. })).collect();
        @if !solutions.is_empty() {
            h2 #drops { "Calibrate drops" }
            p.hint { "Count the drops in 1 mL from your dropper (or weigh them); 1 mL = 20 drops is 0.05 mL a drop." }
            form method="post" action="/stock/drops" {
                (csrf(token))
                label for="drops-id" { "Solution" }
                select #drops-id name="stock" {
                    @for s in &solutions { option value=(s.id) { (s.stock.name) } }
                }
                label for="drop-volume" { "Volume of one drop (e.g. 0.05 mL)" }
                input #drop-volume type="text" name="drop_volume" required;
                button.secondary type="submit" { "Save" }
            }
        }
    };
    Ok(page("Stock", Nav::More, body))
}

/// The form for a new stock: what every stock has, then the fields of its form (troche,
/// spray, solution); only the chosen form's fields are read.
fn add_form(token: &Csrf, f: &FormData) -> Markup {
    html! {
        h2 #add { "Add a stock" }
        (add_fields(token, f, None))
    }
}

/// The new-stock form. With `only` (the first-run setup, which has asked which form it is),
/// just that form's fields, and the form returns to the setup.
pub(crate) fn add_fields(token: &Csrf, f: &FormData, only: Option<&str>) -> Markup {
    let v = |name: &str| f.get(name);
    let kind = only.map(str::to_string).or_else(|| f.get("form"));
    let show = |k: &str| only.is_none_or(|o| o == k);
    html! {
        form method="post" action="/stock/new" {
            (csrf(token))
            @if only.is_some() {
                input type="hidden" name="next" value="setup";
                input type="hidden" name="step" value="stock";
                input type="hidden" name="form" value=[kind.as_deref()];
            }
            label for="new-name" { "Name (how you will refer to it, e.g. Troche 25)" }
            input #new-name type="text" name="name" value=[v("name")] required maxlength="200";
            @if only.is_none() {
                label for="new-form" { "Form" }
                select #new-form name="form" {
                    option value="troche" selected[kind.as_deref() == Some("troche")] { "Troches, lozenges or rapid-dissolve tablets" }
                    option value="spray" selected[kind.as_deref() == Some("spray")] { "Nasal spray" }
                    option value="solution" selected[kind.as_deref() == Some("solution")] { "Solution made from powder" }
                }
            }
            div.grid2 {
                div {
                    label for="new-salt" { "The label states ketamine as" }
                    p.hint { "Check the label: HCl and base differ by 15%." }
                    select #new-salt name="salt" {
                        option value="hcl" selected[v("salt").as_deref() != Some("base")] { "HCl (the usual labelling)" }
                        option value="base" selected[v("salt").as_deref() == Some("base")] { "base" }
                    }
                }
                div {
                    label for="new-substance" { "Substance" }
                    select #new-substance name="substance" {
                        option value="ketamine" selected[v("substance").as_deref() != Some("esketamine")] { "ketamine (racemic)" }
                        option value="esketamine" selected[v("substance").as_deref() == Some("esketamine")] { "esketamine" }
                    }
                }
            }
            @if only.is_none() {
                p.hint { "Then fill in the part below for the form you chose; the others are left empty." }
            }
            @if show("troche") { fieldset {
                legend { "Troches" }
                div.grid2 {
                    div { label for="new-strength" { "Strength of one (e.g. 25 mg)" } input #new-strength type="text" name="strength" value=[v("strength")]; }
                    div { label for="new-count" { "How many you hold (halves and quarters allowed)" } input #new-count type="text" inputmode="decimal" name="count" value=[v("count")]; }
                }
                label for="new-dispensed" { "How many were dispensed (optional; default: the count)" }
                input #new-dispensed type="text" inputmode="decimal" name="dispensed" value=[v("dispensed")];
            } }
            @if show("spray") { fieldset {
                legend { "Nasal spray" }
                div.grid2 {
                    div { label for="new-concentration" { "Concentration (e.g. 100 mg/mL or 10%)" } input #new-concentration type="text" name="concentration" value=[v("concentration")]; }
                    div { label for="new-spray-volume" { "Volume of one spray (e.g. 0.1 mL)" } input #new-spray-volume type="text" name="spray_volume" value=[v("spray_volume")]; }
                }
                div.grid2 {
                    div { label for="new-bottle" { "Liquid in the bottle (e.g. 5 mL)" } input #new-bottle type="text" name="bottle" value=[v("bottle")]; }
                    div { label for="new-priming" { "Sprays used to prime the pump" } input #new-priming type="number" min="0" max="100" name="priming" value=(v("priming").unwrap_or_else(|| "0".into())); }
                }
            } }
            @if show("solution") { fieldset {
                legend { "Solution" }
                div.grid2 {
                    div { label for="new-mass" { "Powder (e.g. 500 mg)" } input #new-mass type="text" name="mass" value=[v("mass")]; }
                    div { label for="new-volume" { "Final volume (e.g. 10 mL)" } input #new-volume type="text" name="volume" value=[v("volume")]; }
                }
                div.grid2 {
                    div { label for="new-purity" { "Purity of the powder, %" } input #new-purity type="text" inputmode="decimal" name="purity" value=(v("purity").unwrap_or_else(|| "100".into())); }
                    div { label for="new-drop" { "Volume of one drop, once measured (optional)" } input #new-drop type="text" name="drop_volume" value=[v("drop_volume")]; }
                }
            } }
            div.grid2 {
                div { label for="new-lot" { "Lot (optional)" } input #new-lot type="text" name="lot" value=[v("lot")] maxlength="200"; }
                div { label for="new-expiry" { "Expiry (optional)" } input #new-expiry type="date" name="expiry" value=[v("expiry")]; }
            }
            label for="new-note" { "Note (optional)" }
            input #new-note type="text" name="note" value=[v("note")] maxlength="10000";
            button type="submit" { @if only.is_some() { "Save and continue" } @else { "Add stock" } }
        }
    }
}

/// A number typed in a form field (a decimal comma is read as a point); `None` when empty.
fn number(f: &FormData, name: &str, what: &str) -> dosewise_app::Result<Option<f64>> {
    f.get(name)
        .map(|v| {
            v.replace(',', ".")
                .parse::<f64>()
                .map_err(|_| dosewise_app::input(format!("{what}: {v:?} is not a number")))
        })
        .transpose()
}

/// A new stock, through the same code as `dosewise stock add`.
pub async fn add_stock(
    State(st): State<AppState>,
    Extension(token): Extension<Csrf>,
    CheckedForm(f): CheckedForm,
) -> Result<Response, WebError> {
    let r: dosewise_app::Result<_> = async {
        use dosewise_app::stock::{FormRequest, SprayVolumeRequest, StockRequest};
        let required = |name: &str, what: &str| {
            f.get(name)
                .ok_or_else(|| dosewise_app::input(format!("give {what}")))
        };
        let form = match f.get("form").as_deref() {
            Some("troche") => FormRequest::Troche {
                strength: required("strength", "the strength of one troche, e.g. 25 mg")?,
                count: number(&f, "count", "how many you hold")?
                    .ok_or_else(|| dosewise_app::input("give how many troches you hold"))?,
                dispensed: number(&f, "dispensed", "how many were dispensed")?,
            },
            Some("spray") => FormRequest::Spray {
                concentration: required("concentration", "the concentration, e.g. 100 mg/mL")?,
                volume: SprayVolumeRequest {
                    stated: f.get("spray_volume"),
                    ..SprayVolumeRequest::default()
                },
                bottle: required("bottle", "the liquid in the bottle, e.g. 5 mL")?,
                priming: f
                    .int("priming")?
                    .map(|n| {
                        u32::try_from(n)
                            .map_err(|_| dosewise_app::input("priming sprays: 0 or more"))
                    })
                    .transpose()?
                    .unwrap_or(0),
            },
            Some("solution") => FormRequest::Solution {
                mass: required("mass", "the mass of powder, e.g. 500 mg")?,
                volume: required("volume", "the final volume, e.g. 10 mL")?,
                purity: number(&f, "purity", "purity")?.unwrap_or(100.0),
                drop_volume: f.get("drop_volume"),
            },
            _ => {
                return Err(dosewise_app::input(
                    "choose a form: troche, spray or solution",
                ));
            }
        };
        let salt = match f.get("salt").as_deref() {
            Some("base") => Some(dosewise_core::salt::Salt::Base),
            Some("hcl") | None => Some(dosewise_core::salt::Salt::Hcl),
            Some(other) => {
                return Err(dosewise_app::input(format!(
                    "{other:?} is not a salt form (hcl or base)"
                )));
            }
        };
        let substance = match f.get("substance").as_deref() {
            Some("esketamine") => dosewise_core::route::Substance::Esketamine,
            Some("ketamine") | None => dosewise_core::route::Substance::Ketamine,
            Some(other) => {
                return Err(dosewise_app::input(format!(
                    "{other:?} is not a substance (ketamine or esketamine)"
                )));
            }
        };
        let req = StockRequest {
            name: f.get("name").unwrap_or_default(),
            salt,
            substance,
            route: None,
            lot: f.get("lot"),
            expiry: f.get("expiry"),
            opened: None,
            note: f.get("note"),
            form,
        };
        let store = st.store().await;
        dosewise_app::stock::add(&*store, &req, st.now()).await
    }
    .await;
    if super::setup::wanted(&f) {
        return super::setup::after(&st, &token, &f, r.map(|_| ())).await;
    }
    let r = r.map(|s| Notice::StockAdded(s.id));
    back_or_again(&st, &token, &f, r).await
}

/// After a stock form: back to the stock page with the notice, or the page again with the form
/// as typed and what was wrong.
async fn back_or_again(
    st: &AppState,
    token: &Csrf,
    f: &FormData,
    r: dosewise_app::Result<Notice>,
) -> Result<Response, WebError> {
    saved_or_again(r, "/stock", async |m| {
        stock_page(st, token, f, Some(m), None).await
    })
    .await
}

/// The stock a form names, if it is one of this journal's.
async fn chosen_stock(
    st: &AppState,
    f: &FormData,
) -> dosewise_app::Result<dosewise_core::stock::Stock> {
    let id = f
        .int("stock")?
        .ok_or_else(|| dosewise_app::input("choose a stock"))?;
    let store = st.store().await;
    store
        .stock(id)
        .await?
        .ok_or_else(|| dosewise_app::input(format!("there is no stock {id}")))
}

/// Retire a stock, through the same code as `dosewise stock retire`.
pub async fn retire_stock(
    State(st): State<AppState>,
    Extension(token): Extension<Csrf>,
    CheckedForm(f): CheckedForm,
) -> Result<Response, WebError> {
    let r: dosewise_app::Result<_> = async {
        let s = chosen_stock(&st, &f).await?;
        let store = st.store().await;
        dosewise_app::stock::retire(&*store, &s, f.get("reason").as_deref(), st.now()).await
    }
    .await;
    let r = r.map(|s| Notice::StockRetired(s.id));
    back_or_again(&st, &token, &f, r).await
}

/// Calibrate a solution's drop, through the same code as `dosewise stock adjust --drop-volume`.
pub async fn calibrate_drops(
    State(st): State<AppState>,
    Extension(token): Extension<Csrf>,
    CheckedForm(f): CheckedForm,
) -> Result<Response, WebError> {
    let r: dosewise_app::Result<_> = async {
        let s = chosen_stock(&st, &f).await?;
        let drop = f
            .get("drop_volume")
            .ok_or_else(|| dosewise_app::input("give the volume of one drop, e.g. 0.05 mL"))?;
        let store = st.store().await;
        dosewise_app::stock::calibrate_drops(&*store, s, &drop).await
    }
    .await;
    let r = r.map(|s| Notice::Stock(s.id));
    back_or_again(&st, &token, &f, r).await
}

/// Refill, remove or count, through the same code as `dosewise stock adjust` / `count`.
pub async fn change_stock(
    State(st): State<AppState>,
    Extension(token): Extension<Csrf>,
    CheckedForm(f): CheckedForm,
) -> Result<Response, WebError> {
    let r: dosewise_app::Result<_> = async {
        let id = f
            .int("stock")?
            .ok_or_else(|| dosewise_app::input("choose a stock"))?;
        let change = dosewise_app::stock::Change::parse(&f.get("change").unwrap_or_default())?;
        let amount = f
            .get("amount")
            .ok_or_else(|| dosewise_app::input("give an amount, e.g. 10 troches or 4.2 mL"))?;
        let store = st.store().await;
        dosewise_app::stock::adjust_id(
            &*store,
            id,
            change,
            &amount,
            f.get("note").as_deref(),
            st.now(),
        )
        .await
    }
    .await;
    let r = r.map(|done| Notice::Stock(done.stock.id));
    back_or_again(&st, &token, &f, r).await
}
