//! The plan as an iCalendar feed: a download, and a private link for calendar apps.

use super::more::{Notice, back_with};
use crate::AppState;
use crate::error::WebError;
use crate::security::CheckedForm;
use axum::extract::{Path, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use dosewise_app::calendar::{FeedOptions, feed, link};

/// The feed through the private link: the secret must match, or the answer is "not found".
pub async fn calendar_by_link(
    State(st): State<AppState>,
    Path(file): Path<String>,
) -> Result<Response, WebError> {
    if !dosewise_app::calendar::link::matches(&st.0.config.home, &file) {
        return Err(WebError::NotFound("no such calendar link".into()));
    }
    calendar(State(st)).await
}

/// Make a new private link, or remove it.
pub async fn calendar_link(
    State(st): State<AppState>,
    CheckedForm(f): CheckedForm,
) -> Result<Response, WebError> {
    let home = &st.0.config.home;
    let done = match f.get("action").as_deref() {
        Some("new") => link::renew(home).map(|_| Notice::LinkMade),
        Some("remove") => link::remove(home).map(|()| Notice::LinkRemoved),
        _ => {
            return Err(WebError::Input(
                "choose to make a new link or to remove it".into(),
            ));
        }
    }?;
    Ok(back_with("/more", done, "#calendar-link"))
}

pub async fn calendar(State(st): State<AppState>) -> Result<Response, WebError> {
    let store = st.store().await;
    let tz = super::zone(&st, &store).await?;
    let ics = feed(&*store, st.now(), tz, &FeedOptions::default()).await?;
    drop(store);
    let mut r = (StatusCode::OK, ics).into_response();
    r.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/calendar; charset=utf-8"),
    );
    Ok(r)
}
