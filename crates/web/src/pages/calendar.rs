//! The plan as an iCalendar feed: a download, and a private link for calendar apps.

use super::more::{Notice, back_with};
use crate::AppState;
use crate::error::WebError;
use crate::security::CheckedForm;
use axum::extract::{Path, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use dosewise_core::jiff::civil::Time;
use dosewise_store::Store;

/// The feed through the private link: the secret must match, or the answer is "not found".
pub async fn calendar_by_link(
    State(st): State<AppState>,
    Path(file): Path<String>,
) -> Result<Response, WebError> {
    if !crate::feed::matches(&st.0.config.home, &file) {
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
        Some("new") => crate::feed::renew(home).map(|_| Notice::LinkMade),
        Some("remove") => crate::feed::remove(home).map(|()| Notice::LinkRemoved),
        _ => {
            return Err(WebError::Input(
                "choose to make a new link or to remove it".into(),
            ));
        }
    }
    .map_err(WebError::Internal)?;
    Ok(back_with("/more", done, "#calendar-link"))
}

pub async fn calendar(State(st): State<AppState>) -> Result<Response, WebError> {
    let store = st.store().await;
    let tz = super::zone(&st, &store).await?;
    let protocols = store.protocols(false).await?;
    drop(store);
    let now = st.now();
    let o = dosewise_render::calendar::CalendarOptions {
        from: now.to_zoned_datetime(tz.clone()).date(),
        days: 90,
        tz,
        reminder_minutes: 10,
        detailed: false,
        checkin_time: protocols
            .iter()
            .find_map(|p| p.protocol.checkin_time)
            .or(Time::new(21, 0, 0, 0).ok()),
        now,
    };
    let ics = dosewise_render::calendar::calendar(&protocols, &o);
    let mut r = (StatusCode::OK, ics).into_response();
    r.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/calendar; charset=utf-8"),
    );
    Ok(r)
}
