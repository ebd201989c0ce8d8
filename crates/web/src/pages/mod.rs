//! The HTML pages. Each handler locks the store for the duration of one request, calls
//! `dosewise-app` (the code the CLI runs), and renders with maud (which escapes all text).

pub(crate) mod assess;
pub(crate) mod calc;
pub(crate) mod calendar;
pub(crate) mod checkin;
pub(crate) mod dose;
pub(crate) mod history;
pub(crate) mod info;
pub(crate) mod insights;
pub(crate) mod login;
pub(crate) mod meds;
pub(crate) mod more;
pub(crate) mod profile;
pub(crate) mod protocol;
pub(crate) mod review;
pub(crate) mod screen;
pub(crate) mod setup;
pub(crate) mod share;
pub(crate) mod stock;
pub(crate) mod today;
pub(crate) mod transfer;
pub(crate) mod trial;
pub(crate) mod vitals;

use crate::AppState;
use crate::error::WebError;
use axum::Router;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use dosewise_core::jiff::tz::TimeZone;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/", get(today::show))
        .route("/dose", get(dose::form).post(dose::submit))
        .route("/doses/{id}", get(dose::show))
        .route("/doses/{id}/edit", post(dose::edit))
        .route("/doses/{id}/delete", post(dose::delete))
        .route("/doses/{id}/undo", post(dose::undo))
        .route("/checkin", get(checkin::form).post(checkin::submit))
        .route("/checkins/{id}", get(checkin::show))
        .route(
            "/checkins/{id}/edit",
            get(checkin::edit_form).post(checkin::edit),
        )
        .route("/checkins/{id}/delete", post(checkin::delete))
        .route("/checkins/{id}/undo", post(checkin::undo))
        .route("/history", get(history::list))
        .route("/insights", get(insights::view))
        .route("/report", get(insights::report_options))
        .route("/report/view", get(insights::report_view))
        .route("/report.pdf", get(insights::report_pdf))
        .route("/more", get(more::index))
        .route("/share", get(share::index))
        .route("/share/connect", post(share::connect))
        .route("/share/sync", post(share::sync))
        .route("/share/revoke", post(share::revoke))
        .route("/calc", get(calc::calc))
        .route("/info", get(info::info))
        .route("/stock", get(stock::stock).post(stock::change_stock))
        .route("/stock/new", post(stock::add_stock))
        .route("/stock/{id}", get(stock::show))
        .route("/stock/retire", post(stock::retire_stock))
        .route("/stock/drops", post(stock::calibrate_drops))
        .route("/protocol", get(protocol::protocol))
        .route("/protocol/new", post(protocol::start_protocol))
        .route("/protocol/{id}", post(protocol::change_protocol))
        .route("/protocol/{id}/change", post(protocol::change_plan))
        .route("/meds", get(meds::meds).post(meds::add_med))
        .route("/meds/{id}/stop", post(meds::stop_med))
        .route("/uses", post(meds::add_use))
        .route("/vitals", get(vitals::vitals).post(vitals::add_vitals))
        .route("/trial", get(trial::show))
        .route("/trial/plan", post(trial::plan))
        .route("/trial/labels", get(trial::labels))
        .route("/trial/unblind", post(trial::unblind))
        .route("/trial/stop", post(trial::stop))
        .route("/trial/reveal", post(trial::reveal))
        .route("/screen", get(screen::form).post(screen::submit))
        .route("/profile", get(profile::form).post(profile::submit))
        .route("/setup", get(setup::show))
        .route("/setup/skip", post(setup::skip))
        .route("/review", get(review::show).post(review::clear))
        .route("/assess", get(assess::assess_list))
        .route(
            "/assess/{id}",
            get(assess::assess_form).post(assess::assess_submit),
        )
        .route("/export.json", get(transfer::export_json))
        .route("/export.csv", get(transfer::export_csv))
        .route("/export.fhir.json", get(transfer::export_fhir))
        .route("/backup", post(transfer::backup))
        .route("/import", get(transfer::import_form))
        .route("/calendar.ics", get(calendar::calendar))
        .route("/calendar/{file}", get(calendar::calendar_by_link))
        .route("/calendar-link", post(calendar::calendar_link))
        .route("/login", get(login::form).post(login::submit))
        .route("/logout", post(login::logout))
        .route("/static/style.css", get(style))
        .route("/static/app.js", get(script))
        .route("/static/print.js", get(print_script))
        .fallback(not_found)
}

/// Routes that accept large bodies (journal imports).
pub fn import_route() -> Router<AppState> {
    Router::new()
        .route("/import", post(transfer::import_submit))
        .route("/api/v1/import", post(crate::api::import))
        .route("/api/v1/import-csv", post(crate::api::import_csv))
        .route("/api/v1/import-backup", post(crate::api::import_backup))
}

async fn not_found() -> WebError {
    WebError::NotFound("there is no such page".into())
}

/// A file compiled into the binary, revalidated on each use.
pub fn static_file(body: &'static str, mime: &'static str) -> Response {
    let mut r = (StatusCode::OK, body).into_response();
    let h = r.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static(mime));
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    r
}

async fn style() -> Response {
    static_file(crate::STYLE, "text/css; charset=utf-8")
}

async fn script() -> Response {
    static_file(
        include_str!("../../static/app.js"),
        "text/javascript; charset=utf-8",
    )
}

async fn print_script() -> Response {
    static_file(crate::PRINT_JS, "text/javascript; charset=utf-8")
}

/// The zone for a request: the server's `--tz`, else the profile's.
pub async fn zone(
    state: &AppState,
    store: &dosewise_backends::AnyStore,
) -> Result<TimeZone, WebError> {
    use dosewise_store::Store;
    let profile = store.profile().await?;
    Ok(dosewise_app::zone(
        state.0.config.zone.as_deref(),
        profile.as_ref(),
    )?)
}
