//! Sharing with a clinic, without the terminal: connect with the clinician's invite, sync now,
//! see what is shared and who read what, revoke. The same code as `dosewise share` and
//! `dosewise sync`.

use crate::AppState;
use crate::error::WebError;
use crate::layout::{Nav, csrf, error_box, page, when};
use crate::security::{CheckedForm, Csrf, FormData};
use axum::Extension;
use axum::extract::{Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use dosewise_app::AppError;
use dosewise_app::share::{ConnectRequest, DEFAULT};
use dosewise_core::share::Category;
use maud::{Markup, html};

#[derive(Debug, Default, serde::Deserialize)]
pub struct ShareQuery {
    /// "connected", "synced", "stopped" or "revoked": worded here, never taken from the address.
    done: Option<String>,
    sent: Option<u32>,
    withdrawn: Option<u32>,
    /// Show the clinic's log of who read what (asks the clinic server).
    log: Option<u8>,
}

async fn share_page(
    st: &AppState,
    token: &Csrf,
    f: &FormData,
    q: &ShareQuery,
    error: Option<&str>,
) -> Result<Markup, WebError> {
    let store = st.store().await;
    let tz = super::zone(st, &store).await?;
    let now = st.now();
    let conn = dosewise_app::share::connection(&*store).await?;
    let log = match (&conn, q.log) {
        (Some(_), Some(_)) => Some(
            dosewise_app::share::log(&*store)
                .await
                .map(Option::unwrap_or_default),
        ),
        _ => None,
    };
    drop(store);
    let done = match q.done.as_deref() {
        Some("connected") => Some("Connected. Nothing is sent until you sync.".to_string()),
        Some("synced") => Some(format!(
            "Synced: {} record(s) sent, {} withdrawn.",
            q.sent.unwrap_or(0),
            q.withdrawn.unwrap_or(0)
        )),
        Some("stopped") => Some("Sharing has stopped (revoked or ended): nothing was sent.".into()),
        Some("revoked") => Some(
            "Sharing stopped: your clinician can no longer read your records, and nothing more is sent."
                .into(),
        ),
        _ => None,
    };
    let chosen: Vec<String> = f.all("category");
    let checked = |c: Category| {
        if f.0.is_empty() {
            DEFAULT.contains(&c)
        } else {
            chosen.iter().any(|x| x == c.as_str())
        }
    };
    let body = html! {
        h1 { "Share with your clinic" }
        @if let Some(d) = &done { p.ok role="status" { (d) } }
        (error_box(error))
        @match &conn {
            None => {
                p { "With an invite code from your clinician, your journal can send them what you choose: they see it on the clinic's server, and are alerted to what needs attention (for example PHQ-9 item 9). Your journal stays here and stays yours. " strong { "Private check-ins are never sent." } }
                form method="post" action="/share/connect" {
                    (csrf(token))
                    label for="server" { "The clinic server's address" }
                    input #server type="url" name="server" value=[f.get("server")] placeholder="https://clinic.example" required;
                    label for="code" { "Invite code (from your clinician)" }
                    input #code type="text" name="code" value=[f.get("code")] autocomplete="off" required;
                    label for="name" { "How the clinic will see you (a name or initials)" }
                    input #name type="text" name="name" value=[f.get("name")] maxlength="100" required;
                    fieldset.checks {
                        legend { "What to share" }
                        @for c in Category::ALL {
                            label { input type="checkbox" name="category" value=(c.as_str()) checked[checked(c)]; (c.as_str()) ": " (c.describe()) }
                        }
                    }
                    label for="until" { "Stop sharing by itself after (optional)" }
                    input #until type="date" name="until" value=[f.get("until")];
                    p.hint { "The clinic keeps a readable copy of what you share. What it already holds when you stop follows the clinic's retention rules." }
                    button type="submit" { "Connect" }
                }
            }
            Some(c) => {
                p { "Sharing with " strong { (c.clinician) } " at " strong { (c.clinic) } " (" (c.server) ")." }
                ul {
                    @for cat in &c.categories { li { (cat.as_str()) ": " (cat.describe()) } }
                }
                p { (c.sent.len()) " record(s) on the clinic's server. "
                    @match c.last_sync { Some(t) => { "Last sync " (when(t, &dosewise_core::when::zone_name(&tz), &tz, now)) "." } None => { "Not synced yet." } } }
                form method="post" action="/share/sync" {
                    (csrf(token))
                    button type="submit" { "Sync now" }
                }
                h2 { "Who read what" }
                @match &log {
                    None => { p { a href="/share?log=1" { "Ask the clinic for its log of your records" } } }
                    Some(Err(e)) => { p.error { (e.to_string()) } }
                    Some(Ok(lines)) => {
                        @if lines.is_empty() { p.muted { "Nothing yet." } }
                        ul { @for l in lines.iter().take(200) {
                            li { (when(l.at, &dosewise_core::when::zone_name(&tz), &tz, now)) " — " (l.role) " " (l.who.as_deref().unwrap_or("?")) ": " (l.action) " (" (l.what) ")" }
                        } }
                    }
                }
                h2 { "Stop sharing" }
                form method="post" action="/share/revoke" {
                    (csrf(token))
                    p.hint { "Your clinician loses access at once and nothing more is sent. To share again you need a new invite." }
                    p { label for="confirm" { input #confirm type="checkbox" name="confirm" value="yes"; " Stop sharing with " (c.clinic) } }
                    button.secondary type="submit" { "Stop sharing" }
                }
            }
        }
    };
    Ok(page("Share with your clinic", Nav::More, body))
}

pub async fn index(
    State(st): State<AppState>,
    Extension(token): Extension<Csrf>,
    Query(q): Query<ShareQuery>,
) -> Result<Markup, WebError> {
    share_page(&st, &token, &FormData::default(), &q, None).await
}

async fn again(
    st: &AppState,
    token: &Csrf,
    f: &FormData,
    e: AppError,
) -> Result<Response, WebError> {
    let (status, m) = super::more::told(e)?;
    let page = share_page(st, token, f, &ShareQuery::default(), Some(&m)).await?;
    Ok((status, page).into_response())
}

pub async fn connect(
    State(st): State<AppState>,
    Extension(token): Extension<Csrf>,
    CheckedForm(f): CheckedForm,
) -> Result<Response, WebError> {
    let out = async {
        let categories = f
            .all("category")
            .iter()
            .map(|c| c.parse::<Category>().map_err(dosewise_app::input))
            .collect::<dosewise_app::Result<Vec<_>>>()?;
        if categories.is_empty() {
            return Err(dosewise_app::input("choose at least one thing to share"));
        }
        let until = f
            .get("until")
            .map(|d| {
                d.parse()
                    .map_err(|e| dosewise_app::input(format!("until: {e}")))
            })
            .transpose()?;
        let req = ConnectRequest {
            server: f.get("server").unwrap_or_default(),
            code: f.get("code").unwrap_or_default(),
            name: f.get("name").unwrap_or_default(),
            categories,
            until,
            device: Some("web app".into()),
        };
        let store = st.store().await;
        dosewise_app::share::connect(&*store, &req, st.now()).await
    }
    .await;
    match out {
        Ok(_) => Ok(Redirect::to("/share?done=connected").into_response()),
        Err(e) => again(&st, &token, &f, e).await,
    }
}

pub async fn sync(
    State(st): State<AppState>,
    Extension(token): Extension<Csrf>,
    CheckedForm(f): CheckedForm,
) -> Result<Response, WebError> {
    let out = {
        let store = st.store().await;
        dosewise_app::share::sync(&*store, st.now()).await
    };
    match out {
        Ok(s) if s.stopped => Ok(Redirect::to("/share?done=stopped").into_response()),
        Ok(s) => Ok(Redirect::to(&format!(
            "/share?done=synced&sent={}&withdrawn={}",
            s.sent, s.withdrawn
        ))
        .into_response()),
        Err(e) => again(&st, &token, &f, e).await,
    }
}

pub async fn revoke(
    State(st): State<AppState>,
    Extension(token): Extension<Csrf>,
    CheckedForm(f): CheckedForm,
) -> Result<Response, WebError> {
    if f.get("confirm").as_deref() != Some("yes") {
        let e = dosewise_app::input("to stop sharing, tick the box, then press Stop sharing");
        return again(&st, &token, &f, e).await;
    }
    let out = {
        let store = st.store().await;
        dosewise_app::share::revoke(&*store).await
    };
    match out {
        Ok(_) => Ok(Redirect::to("/share?done=revoked").into_response()),
        Err(e) => again(&st, &token, &f, e).await,
    }
}
