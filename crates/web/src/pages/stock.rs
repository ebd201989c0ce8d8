//! The stock page: what is on hand, its ledger, and changes to it (refill, removal, count).

use super::more::{Flash, Notice, notice_text, saved, saved_or_again};
use crate::AppState;
use crate::error::WebError;
use crate::layout::{Nav, csrf, error_box, page};
use crate::security::{CheckedForm, Csrf, FormData};
use axum::Extension;
use axum::extract::{Query, State};
use axum::response::Response;
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
        @if stocks.is_empty() { p { "No stock recorded. Add one with " code { "dosewise stock add" } "." } }
        div.table-wrap { table {
            thead { tr { th scope="col" { "Stock" } th scope="col" { "On hand" } th scope="col" { "Status" } } }
            tbody { @for s in &stocks {
                tr {
                    th scope="row" { (s.stock.name) @if s.is_retired() { " (retired)" } }
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
        p.muted { "Adding a new stock, retiring one and calibrating drops are done in the terminal: " code { "dosewise stock --help" } "." }
    };
    Ok(page("Stock", Nav::More, body))
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
    saved_or_again(r, "/stock", async |m| {
        stock_page(&st, &token, &f, Some(m), None).await
    })
    .await
}
