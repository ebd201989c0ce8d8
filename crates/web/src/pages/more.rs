//! The More page (links to everything else) and what every form shares: showing a form again
//! with what went wrong, and the notice after a change (by code, worded here).

use crate::AppState;
use crate::error::WebError;
use crate::layout::{Nav, csrf, page};
use crate::security::Csrf;
use axum::Extension;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use dosewise_app::AppError;
use dosewise_store::Store;
use maud::{Markup, html};

/// A page that shows a form again with what went wrong (400; 409 when the record's state does
/// not allow it), or the store's failure.
pub(crate) fn rejected(
    e: AppError,
    render: impl FnOnce(&str) -> Markup,
) -> Result<Response, WebError> {
    match e {
        AppError::Input(m) => Ok((StatusCode::BAD_REQUEST, render(&m)).into_response()),
        AppError::Conflict(m) => Ok((StatusCode::CONFLICT, render(&m)).into_response()),
        other => Err(other.into()),
    }
}

/// What a page says about a failed form: the status and the message for what the person can
/// fix (400 input, 409 a record's state, 503 a clinic server away); anything else is the
/// server's failure.
pub(crate) fn told(e: AppError) -> Result<(StatusCode, String), WebError> {
    match e {
        AppError::Input(m) => Ok((StatusCode::BAD_REQUEST, m)),
        AppError::Conflict(m) => Ok((StatusCode::CONFLICT, m)),
        AppError::Unavailable(m) => Ok((StatusCode::SERVICE_UNAVAILABLE, m)),
        other => Err(other.into()),
    }
}

/// After a form that changes something: back to `path` with the notice shown (303), or the
/// form's page again with what was wrong (400, nothing written), or the store's failure.
pub(crate) async fn saved_or_again(
    r: dosewise_app::Result<Notice>,
    path: &str,
    again: impl AsyncFnOnce(&str) -> Result<Markup, WebError>,
) -> Result<Response, WebError> {
    match r {
        Ok(n) => Ok(back_with(path, n, "")),
        Err(AppError::Input(m)) => Ok((StatusCode::BAD_REQUEST, again(&m).await?).into_response()),
        Err(AppError::Conflict(m)) => Ok((StatusCode::CONFLICT, again(&m).await?).into_response()),
        Err(e) => Err(e.into()),
    }
}

/// What a page says after a change. Only a code (and the id of what changed) travels in the
/// address; the words are the server's, so a link from anywhere cannot put its own text in the
/// green "saved" box ("your clinician approved raising the dose…").
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Notice {
    Stock(i64),
    StockAdded(i64),
    StockRetired(i64),
    Paused(i64),
    Started(i64),
    Changed(i64),
    Resumed(i64),
    Ended(i64),
    MedicineAdded,
    MedicineStopped,
    UseLogged,
    LinkMade,
    LinkRemoved,
    ScreenSaved,
    ProfileSaved,
    Reviewed(dosewise_core::safety::ClearanceTopic),
}

impl Notice {
    fn query(self) -> String {
        let (code, id) = match self {
            Notice::Stock(id) => ("stock", Some(id)),
            Notice::StockAdded(id) => ("stock-added", Some(id)),
            Notice::StockRetired(id) => ("stock-retired", Some(id)),
            Notice::Paused(id) => ("paused", Some(id)),
            Notice::Started(id) => ("started", Some(id)),
            Notice::Changed(id) => ("changed", Some(id)),
            Notice::Resumed(id) => ("resumed", Some(id)),
            Notice::Ended(id) => ("ended", Some(id)),
            Notice::MedicineAdded => ("medicine", None),
            Notice::MedicineStopped => ("medicine-stopped", None),
            Notice::UseLogged => ("use", None),
            Notice::LinkMade => ("link", None),
            Notice::LinkRemoved => ("unlinked", None),
            Notice::ScreenSaved => ("screen", None),
            Notice::ProfileSaved => ("profile", None),
            Notice::Reviewed(t) => (
                match t {
                    dosewise_core::safety::ClearanceTopic::Urinary => "reviewed-urinary",
                    dosewise_core::safety::ClearanceTopic::Screen => "reviewed-screen",
                },
                None,
            ),
        };
        match id {
            Some(id) => format!("saved={code}&id={id}"),
            None => format!("saved={code}"),
        }
    }

    fn parse(f: &Flash) -> Option<Notice> {
        let id = f.id;
        Some(match (f.saved.as_deref()?, id) {
            ("stock", Some(id)) => Notice::Stock(id),
            ("stock-added", Some(id)) => Notice::StockAdded(id),
            ("stock-retired", Some(id)) => Notice::StockRetired(id),
            ("paused", Some(id)) => Notice::Paused(id),
            ("started", Some(id)) => Notice::Started(id),
            ("changed", Some(id)) => Notice::Changed(id),
            ("resumed", Some(id)) => Notice::Resumed(id),
            ("ended", Some(id)) => Notice::Ended(id),
            ("medicine", _) => Notice::MedicineAdded,
            ("medicine-stopped", _) => Notice::MedicineStopped,
            ("use", _) => Notice::UseLogged,
            ("link", _) => Notice::LinkMade,
            ("unlinked", _) => Notice::LinkRemoved,
            ("screen", _) => Notice::ScreenSaved,
            ("profile", _) => Notice::ProfileSaved,
            ("reviewed-urinary", _) => {
                Notice::Reviewed(dosewise_core::safety::ClearanceTopic::Urinary)
            }
            ("reviewed-screen", _) => {
                Notice::Reviewed(dosewise_core::safety::ClearanceTopic::Screen)
            }
            _ => return None,
        })
    }
}

/// The words for a notice in the address, from the journal; nothing for an unknown code.
pub(crate) async fn notice_text(st: &AppState, f: &Flash) -> Result<Option<String>, WebError> {
    let Some(n) = Notice::parse(f) else {
        return Ok(None);
    };
    let store = st.store().await;
    let protocol = async |store: &dosewise_backends::AnyStore, id| -> Result<String, WebError> {
        Ok(store.protocol(id).await?.map_or_else(
            || "The protocol".into(),
            |p| format!("\"{}\"", p.protocol.name),
        ))
    };
    Ok(Some(match n {
        Notice::Stock(id) => match store.stock(id).await? {
            Some(s) => format!(
                "Saved: {} now has {} on hand.",
                s.stock.name,
                s.remaining_text()
            ),
            None => return Ok(None),
        },
        Notice::StockAdded(id) => match store.stock(id).await? {
            Some(s) => format!("Added {}: {} on hand.", s.stock.name, s.remaining_text()),
            None => return Ok(None),
        },
        Notice::StockRetired(id) => match store.stock(id).await? {
            Some(s) => format!(
                "Retired {}. Its history stays in the journal.",
                s.stock.name
            ),
            None => return Ok(None),
        },
        Notice::Paused(id) => format!(
            "{} is paused: no dose is planned until you resume it.",
            protocol(&*store, id).await?
        ),
        Notice::Resumed(id) => format!("{} is resumed.", protocol(&*store, id).await?),
        Notice::Started(id) => format!("{} is started.", protocol(&*store, id).await?),
        Notice::Changed(id) => format!(
            "{} is changed; the change is in its history.",
            protocol(&*store, id).await?
        ),
        Notice::Ended(id) => format!(
            "{} has ended. Its history stays in the journal.",
            protocol(&*store, id).await?
        ),
        Notice::MedicineAdded => "Medicine added.".into(),
        Notice::MedicineStopped => "Marked stopped; it stays in the record.".into(),
        Notice::UseLogged => "Use logged.".into(),
        Notice::LinkMade => {
            "A new private calendar link was made; any older one no longer works.".into()
        }
        Notice::LinkRemoved => "The private calendar link was removed.".into(),
        Notice::ScreenSaved | Notice::ProfileSaved => "Saved.".into(),
        Notice::Reviewed(t) => format!(
            "Recorded the clinician's review of {}. Earlier findings stop repeating; new ones show again.",
            match t {
                dosewise_core::safety::ClearanceTopic::Urinary => "urinary symptoms",
                dosewise_core::safety::ClearanceTopic::Screen => "the health screen",
            }
        ),
    }))
}

/// A redirect (303) to `path`, which shows the notice, at `#fragment` when one is given.
pub(crate) fn back_with(path: &str, n: Notice, fragment: &str) -> Response {
    Redirect::to(&format!("{path}?{}{fragment}", n.query())).into_response()
}

pub(crate) fn saved(msg: Option<&str>) -> Markup {
    html! { @if let Some(m) = msg { p.ok role="status" { (m) } } }
}

/// The notice in the address: a code and an id, never text.
#[derive(Debug, Default, serde::Deserialize)]
pub struct Flash {
    saved: Option<String>,
    id: Option<i64>,
}

pub async fn index(
    State(st): State<AppState>,
    Extension(token): Extension<Csrf>,
    Query(flash): Query<Flash>,
) -> Result<Markup, WebError> {
    let notice = notice_text(&st, &flash).await?;
    let link = dosewise_app::calendar::link::current(&st.0.config.home);
    let body = html! {
        h1 { "More" }
        (saved(notice.as_deref()))
        ul.links {
            li { a href="/history" { "History" } " — every dose and check-in, by period" }
            li { a href="/report" { "Report for your clinician" } " — view, print or download as PDF" }
            li { a href="/profile" { "Your profile" } " — your name on reports, time zone, weight" }
            li { a href="/stock" { "Stock" } " — what you hold and how long it lasts" }
            li { a href="/protocol" { "Protocol" } " — your plan, the next planned doses, limits" }
            li { a href="/assess" { "Questionnaires" } " — PHQ-9, GAD-7, bladder and use questions" }
            li { a href="/screen" { "Health screen" } " — conditions that matter with ketamine, and your crisis line" }
            li { a href="/review" { "Standing findings" } " — what every dose would carry now, and recording a clinician's review" }
            li { a href="/vitals" { "Vital signs" } " — blood pressure, heart rate, weight" }
            li { a href="/trial" { "Is it the drug?" } " — a blinded trial with your clinician: active and placebo in an order you do not know" }
            li { a href="/calc" { "Calculators" } " — a solution from powder, a nasal spray, diluting, a dose by another route" }
            li { a href="/info" { "What Dosewise knows" } " — absorption by route, interactions, risks, the screen, its own rules, with sources" }
            li { a href="/meds" { "Medicines and other substances" } " — for the interaction check" }
            li { a href="/share" { "Share with your clinic" } " — connect with your clinician's invite, sync, see who read what, stop sharing" }
            li { a href="/export.json" download="dosewise-export.json" { "Export the whole journal (JSON)" } " — unencrypted: keep the file safe" }
            li { a href="/import" { "Import, encrypted backup, spreadsheet tables" } " — add records from an export or a backup; download an encrypted backup or CSV tables" }
            li { a href="/calendar.ics" { "Calendar feed (.ics)" } " — planned doses, breaks and check-in reminders, discreet titles" }
        }
        section #calendar-link {
            h2 { "Subscribe from a calendar app" }
            p { "A calendar app cannot log in, so it needs a private link. Anyone who has the link can see your plan's dates and times (the titles are discreet), so keep it to yourself and your own devices." }
            @if let Some(secret) = &link {
                p { "Your private link (copy the link's address into your calendar app): " a href={ "/calendar/" (secret) ".ics" } { "private calendar feed (.ics)" } }
                form method="post" action="/calendar-link" {
                    (csrf(&token))
                    button.secondary type="submit" name="action" value="new" { "Make a new link (the old one stops working)" }
                    " "
                    button.secondary type="submit" name="action" value="remove" { "Remove the link" }
                }
            } @else {
                form method="post" action="/calendar-link" {
                    (csrf(&token))
                    button.secondary type="submit" name="action" value="new" { "Make a private link" }
                }
            }
        }
        section #sessions {
            h2 { "Sessions" }
            p { "Each browser that opened Dosewise keeps a session for 12 hours after its last use (a week at most). Log out here, or everywhere — say, if you opened it on a device that is not yours." }
            form method="post" action="/logout" {
                (csrf(&token))
                button.secondary type="submit" { "Log out" }
                " "
                button.secondary type="submit" name="everywhere" value="1" { "Log out everywhere" }
            }
        }
    };
    Ok(page("More", Nav::More, body))
}
