//! The API's blinded-trial operations (`dosewise trial` and the Trial page): plan, progress,
//! labels, an emergency unblinding, stop, reveal and the result, through `dosewise_app::trial`.

use crate::AppState;
use crate::api::Body;
use crate::error::{ApiError, WebError};
use axum::extract::State;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use dosewise_app::trial::PlanRequest;
use dosewise_core::jiff::civil::Date;
use serde::Deserialize;
use serde_json::{Value, json};

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/trial", get(progress))
        .route("/trial/plan", post(plan))
        .route("/trial/labels", get(labels))
        .route("/trial/unblind", post(unblind))
        .route("/trial/stop", post(stop))
        .route("/trial/reveal", post(reveal))
        .route("/trial/result", get(result))
}

async fn progress(State(st): State<AppState>) -> Result<Json<Value>, ApiError> {
    let store = st.store().await;
    let p = dosewise_app::trial::progress(&*store, st.now()).await?;
    Ok(Json(json!({ "trial": p })))
}

/// The fill list as the helper reads it, for the caller to hand over (never kept).
pub fn fill_list_json(h: &dosewise_app::trial::Handout) -> Value {
    Value::Array(
        h.fill_list
            .iter()
            .map(|(code, c)| json!({ "code": code, "contents": c }))
            .collect(),
    )
}

async fn plan(
    State(st): State<AppState>,
    Body(b): Body<PlanRequest>,
) -> Result<Response, ApiError> {
    let store = st.store().await;
    let planned = dosewise_app::trial::plan_trial(&*store, &b, st.now()).await?;
    Ok((
        StatusCode::CREATED,
        Json(json!({
            "trial": planned.trial,
            "fill_list": fill_list_json(&planned.handout),
            "key": planned.handout.identity,
        })),
    )
        .into_response())
}

async fn labels(State(st): State<AppState>) -> Result<Response, ApiError> {
    let store = st.store().await;
    let html = dosewise_app::trial::labels_html(&*store, st.now()).await?;
    Ok((
        [(
            header::CONTENT_TYPE,
            HeaderValue::from_static("text/html; charset=utf-8"),
        )],
        html,
    )
        .into_response())
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UnblindBody {
    date: Date,
    key: String,
    reason: String,
}

async fn unblind(
    State(st): State<AppState>,
    Body(b): Body<UnblindBody>,
) -> Result<Json<Value>, ApiError> {
    let store = st.store().await;
    let c =
        dosewise_app::trial::emergency_unblind(&*store, b.date, &b.key, Some(&b.reason), st.now())
            .await?;
    Ok(Json(json!({ "date": b.date, "condition": c })))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StopBody {
    reason: String,
}

async fn stop(
    State(st): State<AppState>,
    Body(b): Body<StopBody>,
) -> Result<Json<Value>, ApiError> {
    let store = st.store().await;
    dosewise_app::trial::stop(&*store, Some(&b.reason), st.now()).await?;
    let p = dosewise_app::trial::progress(&*store, st.now()).await?;
    Ok(Json(json!({ "trial": p })))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RevealBody {
    key: String,
}

async fn reveal(
    State(st): State<AppState>,
    Body(b): Body<RevealBody>,
) -> Result<Json<Value>, ApiError> {
    let store = st.store().await;
    dosewise_app::trial::reveal(&*store, &b.key, st.now()).await?;
    let r = dosewise_app::trial::result(&*store, st.now()).await?;
    Ok(Json(json!({ "result": r })))
}

async fn result(State(st): State<AppState>) -> Result<Json<Value>, ApiError> {
    let store = st.store().await;
    let r = dosewise_app::trial::result(&*store, st.now())
        .await
        .map_err(|e| ApiError(WebError::from(e)))?;
    Ok(Json(json!({ "result": r })))
}
