//! The API's management operations: what the stock, protocol, dose, medicine, review, screen
//! and calendar pages do, as JSON, through the same `dosewise-app` use cases as the pages and
//! the CLI. Every state change is a POST with a JSON body (the guard's rule for the API).

use crate::AppState;
use crate::api::Body;
use crate::error::{ApiError, WebError};
use axum::extract::{FromRequestParts, State};
use axum::http::StatusCode;
use axum::http::request::Parts;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use dosewise_app::calendar::link;
use dosewise_app::checkin::CheckinEdit;
use dosewise_app::dose::{EditRequest, Edited};
use dosewise_app::protocol::{ChangeRequest, ProtocolRequest};
use dosewise_app::stock::StockRequest;
use dosewise_core::jiff::civil::Date;
use dosewise_core::route::Route;
use dosewise_core::safety::ClearanceTopic;
use dosewise_store::Store;
use serde::Deserialize;
use serde_json::{Value, json};

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/stock/add", post(add_stock))
        .route("/stock/{id}/retire", post(retire_stock))
        .route("/stock/{id}/drops", post(calibrate_drops))
        .route("/protocols/start", post(start_protocol))
        .route("/protocols/{id}/change", post(change_protocol))
        .route("/protocols/{id}/pause", post(protocol_status))
        .route("/protocols/{id}/resume", post(protocol_status))
        .route("/protocols/{id}/end", post(protocol_status))
        .route("/doses/{id}", get(dose))
        .route("/doses/{id}/edit", post(edit_dose))
        .route("/doses/{id}/delete", post(delete_dose))
        .route("/checkins/{id}", get(checkin))
        .route("/checkins/{id}/edit", post(edit_checkin))
        .route("/checkins/{id}/delete", post(delete_checkin))
        .route("/medications/{id}/stop", post(stop_medication))
        .route("/share", get(share_status))
        .route("/share/connect", post(share_connect))
        .route("/share/revoke", post(share_revoke))
        .route("/share/log", get(share_log))
        .route("/sync", post(sync))
        .route("/calc/solution", post(calc_solution))
        .route("/calc/spray", post(calc_spray))
        .route("/calc/dilute", post(calc_dilute))
        .route("/calc/convert", post(calc_convert))
        .route("/stock/{id}", get(stock_one))
        .route("/protocols/{id}/next", get(protocol_next))
        .route("/calendar", get(calendar))
        .route("/info", get(info_topics))
        .route("/info/{topic}", get(info_topic))
        .route("/review", get(review).post(clear))
        .route("/screen", get(screen).post(answer_screen))
        .route("/profile", get(profile).post(set_profile))
        .route(
            "/calendar-link",
            get(calendar_link).post(change_calendar_link),
        )
}

/// A record's id from the path: a positive whole number, or the API's error shape.
pub struct Id(pub i64);

impl<S: Send + Sync> FromRequestParts<S> for Id {
    type Rejection = ApiError;
    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, ApiError> {
        match axum::extract::Path::<i64>::from_request_parts(parts, state).await {
            Ok(axum::extract::Path(id)) if id > 0 => Ok(Id(id)),
            _ => Err(ApiError(WebError::Input(
                "the id in the address must be a positive whole number".into(),
            ))),
        }
    }
}

/// A record the address names does not exist.
fn missing(what: &str, id: i64) -> WebError {
    WebError::NotFound(format!("{what} {id} does not exist"))
}

/// Today's date in the journal's zone.
async fn today(st: &AppState, store: &dosewise_backends::AnyStore) -> Result<Date, ApiError> {
    let tz = crate::pages::zone(st, store).await?;
    Ok(st.now().to_zoned_datetime(tz).date())
}

fn created(v: Value) -> Response {
    (StatusCode::CREATED, Json(v)).into_response()
}

// ---- Stock ----

async fn add_stock(
    State(st): State<AppState>,
    Body(req): Body<StockRequest>,
) -> Result<Response, ApiError> {
    let store = st.store().await;
    let stock = dosewise_app::stock::add(&*store, &req, st.now()).await?;
    Ok(created(json!({ "stock": stock })))
}

#[derive(Debug, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ReasonBody {
    reason: Option<String>,
}

async fn retire_stock(
    State(st): State<AppState>,
    Id(id): Id,
    Body(b): Body<ReasonBody>,
) -> Result<Json<Value>, ApiError> {
    let store = st.store().await;
    let stock = store.stock(id).await?.ok_or_else(|| missing("stock", id))?;
    let stock = dosewise_app::stock::retire(&*store, &stock, b.reason.as_deref(), st.now()).await?;
    Ok(Json(json!({ "stock": stock })))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DropsBody {
    /// The volume of one drop ("0.05mL").
    drop_volume: String,
}

async fn calibrate_drops(
    State(st): State<AppState>,
    Id(id): Id,
    Body(b): Body<DropsBody>,
) -> Result<Json<Value>, ApiError> {
    let store = st.store().await;
    let stock = store.stock(id).await?.ok_or_else(|| missing("stock", id))?;
    let stock = dosewise_app::stock::calibrate_drops(&*store, stock, &b.drop_volume).await?;
    Ok(Json(json!({ "stock": stock })))
}

// ---- Protocols ----

async fn start_protocol(
    State(st): State<AppState>,
    Body(mut req): Body<ProtocolRequest>,
) -> Result<Response, ApiError> {
    if req.zone.is_none() {
        req.zone.clone_from(&st.0.config.zone);
    }
    let store = st.store().await;
    let started = dosewise_app::protocol::add(&*store, &req, st.now()).await?;
    Ok(created(json!({
        "protocol": started.protocol,
        "replaced": started.replaced,
    })))
}

async fn protocol_or_404(
    store: &dosewise_backends::AnyStore,
    id: i64,
) -> Result<dosewise_core::protocol::Protocol, ApiError> {
    store
        .protocol(id)
        .await?
        .ok_or_else(|| ApiError(missing("protocol", id)))
}

async fn change_protocol(
    State(st): State<AppState>,
    Id(id): Id,
    Body(req): Body<ChangeRequest>,
) -> Result<Json<Value>, ApiError> {
    let store = st.store().await;
    let p = protocol_or_404(&store, id).await?;
    let today = today(&st, &store).await?;
    let (p, line) = dosewise_app::protocol::change(&*store, p, &req, today, st.now()).await?;
    Ok(Json(json!({ "protocol": p, "change": line })))
}

/// The body of a request that needs none but must still be JSON (`{}`).
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Empty {}

/// Pause, resume or end: the last segment of the address names the use case.
async fn protocol_status(
    State(st): State<AppState>,
    Id(id): Id,
    uri: axum::http::Uri,
    Body(Empty {}): Body<Empty>,
) -> Result<Json<Value>, ApiError> {
    let store = st.store().await;
    let p = protocol_or_404(&store, id).await?;
    let (today, now) = (today(&st, &store).await?, st.now());
    let p = match uri.path().rsplit('/').next() {
        Some("pause") => dosewise_app::protocol::pause(&*store, p, today, now).await?,
        Some("resume") => dosewise_app::protocol::resume(&*store, p, today, now).await?,
        _ => dosewise_app::protocol::end(&*store, p, today, now).await?,
    };
    Ok(Json(json!({ "protocol": p })))
}

// ---- Doses ----

async fn dose(State(st): State<AppState>, Id(id): Id) -> Result<Json<Value>, ApiError> {
    let store = st.store().await;
    let d = store.dose(id).await?.ok_or_else(|| missing("dose", id))?;
    let revisions = store.dose_revisions(id).await?;
    Ok(Json(json!({ "dose": d, "revisions": revisions })))
}

#[derive(Debug, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct EditBody {
    amount: Option<String>,
    stock: Option<String>,
    route: Option<Route>,
    at: Option<String>,
    note: Option<String>,
    reason: Option<String>,
    zone: Option<String>,
    override_reason: Option<String>,
}

async fn edit_dose(
    State(st): State<AppState>,
    Id(id): Id,
    Body(b): Body<EditBody>,
) -> Result<Response, ApiError> {
    let req = EditRequest {
        id,
        amount: b.amount,
        stock: b.stock,
        route: b.route,
        at: b.at,
        note: b.note,
        reason: b.reason,
        zone: b.zone.or_else(|| st.0.config.zone.clone()),
    };
    let store = st.store().await;
    let out =
        dosewise_app::dose::edit(&*store, &req, b.override_reason.as_deref(), st.now()).await?;
    Ok(match out {
        Edited::Corrected {
            dose,
            previous,
            stock,
            verdict,
            overridden,
        } => Json(json!({
            "dose": dose, "previous": previous, "stock": stock, "verdict": verdict,
            "overridden": overridden,
        }))
        .into_response(),
        Edited::Refused { prepared, verdict } => (
            StatusCode::UNPROCESSABLE_ENTITY,
            Json(json!({
                "refused": true, "dose": prepared.new, "verdict": verdict,
                "message": "refused by the safety check; nothing was changed. Send override_reason only if this is agreed with your clinician.",
            })),
        )
            .into_response(),
    })
}

async fn delete_dose(
    State(st): State<AppState>,
    Id(id): Id,
    Body(b): Body<ReasonBody>,
) -> Result<Json<Value>, ApiError> {
    let store = st.store().await;
    let d = dosewise_app::dose::delete(&*store, id, b.reason.as_deref(), st.now()).await?;
    Ok(Json(json!({ "dose": d })))
}

// ---- Check-ins ----

async fn checkin(State(st): State<AppState>, Id(id): Id) -> Result<Json<Value>, ApiError> {
    let store = st.store().await;
    let (c, revisions) = dosewise_app::checkin::show(&*store, id).await?;
    Ok(Json(json!({ "checkin": c, "revisions": revisions })))
}

async fn edit_checkin(
    State(st): State<AppState>,
    Id(id): Id,
    Body(mut e): Body<CheckinEdit>,
) -> Result<Json<Value>, ApiError> {
    // The configured zone reads a new time; it is not a change of its own.
    if e.at.is_some() {
        e.zone = e.zone.or_else(|| st.0.config.zone.clone());
    }
    let store = st.store().await;
    let done = dosewise_app::checkin::edit(&*store, id, &e, st.now()).await?;
    Ok(Json(json!(done)))
}

async fn delete_checkin(
    State(st): State<AppState>,
    Id(id): Id,
    Body(b): Body<ReasonBody>,
) -> Result<Json<Value>, ApiError> {
    let store = st.store().await;
    let c = dosewise_app::checkin::delete(&*store, id, b.reason.as_deref(), st.now()).await?;
    Ok(Json(json!({ "checkin": c })))
}

// ---- Sharing with a clinic ----

async fn share_status(State(st): State<AppState>) -> Result<Json<Value>, ApiError> {
    let store = st.store().await;
    let c = dosewise_app::share::connection(&*store).await?;
    Ok(Json(json!({ "connected": c.map(|c| json!({
        "server": c.server, "clinic": c.clinic, "clinician": c.clinician, "categories": c.categories,
        "ends_at": c.ends_at, "last_sync": c.last_sync, "records_on_server": c.sent.len(),
    })) })))
}

async fn share_connect(
    State(st): State<AppState>,
    Body(req): Body<dosewise_app::share::ConnectRequest>,
) -> Result<Response, ApiError> {
    let store = st.store().await;
    let c = dosewise_app::share::connect(&*store, &req, st.now()).await?;
    Ok((
        StatusCode::CREATED,
        Json(json!({ "clinic": c.clinic, "clinician": c.clinician, "categories": c.categories, "ends_at": c.ends_at })),
    )
        .into_response())
}

async fn sync(
    State(st): State<AppState>,
    Body(Empty {}): Body<Empty>,
) -> Result<Json<Value>, ApiError> {
    let store = st.store().await;
    let s = dosewise_app::share::sync(&*store, st.now()).await?;
    Ok(Json(json!(s)))
}

async fn share_revoke(
    State(st): State<AppState>,
    Body(Empty {}): Body<Empty>,
) -> Result<Json<Value>, ApiError> {
    let store = st.store().await;
    let n = dosewise_app::share::revoke(&*store).await?;
    Ok(Json(json!({ "revoked": n })))
}

async fn share_log(State(st): State<AppState>) -> Result<Json<Value>, ApiError> {
    let store = st.store().await;
    let log = dosewise_app::share::log(&*store).await?;
    Ok(Json(
        json!({ "connected": log.is_some(), "log": log.unwrap_or_default() }),
    ))
}

// ---- Medicines ----

async fn stop_medication(
    State(st): State<AppState>,
    Id(id): Id,
    Body(Empty {}): Body<Empty>,
) -> Result<Json<Value>, ApiError> {
    let store = st.store().await;
    let m = dosewise_app::records::stop_medication(&*store, id, st.now()).await?;
    Ok(Json(json!({ "medication": m })))
}

// ---- Standing findings and a clinician's review ----

async fn review(State(st): State<AppState>) -> Result<Json<Value>, ApiError> {
    let store = st.store().await;
    let tz = crate::pages::zone(&st, &store).await?;
    let r = dosewise_app::review::review(&*store, st.now(), &tz).await?;
    Ok(Json(json!(r)))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ClearBody {
    topic: ClearanceTopic,
    /// Who reviewed it and what they said (required).
    note: String,
}

async fn clear(State(st): State<AppState>, Body(b): Body<ClearBody>) -> Result<Response, ApiError> {
    let store = st.store().await;
    let c = dosewise_app::records::clear(&*store, b.topic, &b.note, st.now()).await?;
    Ok(created(json!({ "clearance": c })))
}

// ---- The health screen ----

async fn screen(State(st): State<AppState>) -> Result<Json<Value>, ApiError> {
    let store = st.store().await;
    let p = store.profile().await?;
    let questions: Vec<Value> = dosewise_core::screen::questions()
        .iter()
        .map(|q| json!({ "code": q.code, "question": q.question, "level": q.level }))
        .collect();
    Ok(Json(json!({
        "questions": questions,
        "answers": p.as_ref().map(|p| &p.screen),
        "screened_at": p.as_ref().and_then(|p| p.screened_at),
        "due": dosewise_core::screen::due(p.as_ref().and_then(|p| p.screened_at), st.now()),
        "crisis_line": p.as_ref().and_then(|p| p.crisis_line.clone()),
        "clinician": p.as_ref().and_then(|p| p.clinician.clone()),
    })))
}

#[derive(Debug, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ScreenBody {
    /// The codes of the conditions that apply (empty: none does).
    yes: Vec<String>,
    /// The person's own crisis line; empty removes it; absent leaves it.
    crisis_line: Option<String>,
    /// How to reach their clinician; empty removes it; absent leaves it.
    clinician: Option<String>,
}

async fn answer_screen(
    State(st): State<AppState>,
    Body(b): Body<ScreenBody>,
) -> Result<Json<Value>, ApiError> {
    let store = st.store().await;
    let now = st.now();
    // Check both before writing either.
    dosewise_core::screen::answer(&[], &b.yes, now).map_err(WebError::Input)?;
    dosewise_app::screen::crisis_line(b.crisis_line.as_deref())?;
    dosewise_app::screen::clinician(b.clinician.as_deref())?;
    let mut p = dosewise_app::screen::answer_all(&*store, &b.yes, now).await?;
    if b.crisis_line.is_some() || b.clinician.is_some() {
        p = dosewise_app::screen::set_contacts(
            &*store,
            b.crisis_line.as_deref(),
            b.clinician.as_deref(),
            now,
        )
        .await?;
    }
    Ok(Json(
        json!({ "answers": p.screen, "crisis_line": p.crisis_line, "clinician": p.clinician }),
    ))
}

// ---- The profile ----

fn profile_json(p: Option<&dosewise_core::profile::Profile>) -> Value {
    json!({
        "profile": p.map(|p| json!({
            "name": p.name, "zone": p.zone, "weight_kg": p.weight_kg,
            "screened_at": p.screened_at, "crisis_line": p.crisis_line, "clinician": p.clinician,
            "created_at": p.created_at, "updated_at": p.updated_at,
        })),
    })
}

async fn profile(State(st): State<AppState>) -> Result<Json<Value>, ApiError> {
    let store = st.store().await;
    let p = store.profile().await?;
    Ok(Json(profile_json(p.as_ref())))
}

#[derive(Debug, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ProfileBody {
    name: Option<String>,
    /// "70", "70 kg", "154 lb".
    weight: Option<String>,
    /// An IANA zone name.
    zone: Option<String>,
}

/// Create the profile (the CLI's `init` on a new journal) or change what is given.
async fn set_profile(
    State(st): State<AppState>,
    Body(b): Body<ProfileBody>,
) -> Result<Json<Value>, ApiError> {
    let store = st.store().await;
    // An empty field is one not given (the stored value stays), as on the page.
    let given = |v: Option<String>| v.filter(|v| !v.trim().is_empty());
    let u = dosewise_app::profile::ProfileUpdate {
        zone: given(b.zone),
        weight: given(b.weight),
        name: given(b.name),
        screen: None,
        crisis_line: None,
        clinician: None,
    };
    let (p, created) = dosewise_app::profile::update(&*store, &u, st.now()).await?;
    let mut j = profile_json(Some(&p));
    j["created"] = json!(created);
    Ok(Json(j))
}

// ---- The calendar's private link ----

fn link_json(secret: Option<String>) -> Value {
    json!({ "link": secret.map(|s| format!("/calendar/{s}.ics")) })
}

async fn calendar_link(State(st): State<AppState>) -> Json<Value> {
    Json(link_json(link::current(&st.0.config.home)))
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LinkAction {
    New,
    Remove,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LinkBody {
    action: LinkAction,
}

async fn change_calendar_link(
    State(st): State<AppState>,
    Body(b): Body<LinkBody>,
) -> Result<Json<Value>, ApiError> {
    let home = &st.0.config.home;
    Ok(Json(match b.action {
        LinkAction::New => link_json(Some(link::renew(home)?)),
        LinkAction::Remove => {
            link::remove(home)?;
            link_json(None)
        }
    }))
}

// ---- Calculators (nothing is saved) ----

async fn calc_solution(
    Body(r): Body<dosewise_app::calc::SolutionRequest>,
) -> Result<Json<Value>, ApiError> {
    Ok(Json(json!(dosewise_app::calc::solution(&r)?)))
}

async fn calc_spray(
    Body(r): Body<dosewise_app::calc::SprayRequest>,
) -> Result<Json<Value>, ApiError> {
    Ok(Json(json!(dosewise_app::calc::spray(&r)?)))
}

async fn calc_dilute(
    Body(r): Body<dosewise_app::calc::DiluteRequest>,
) -> Result<Json<Value>, ApiError> {
    Ok(Json(json!(dosewise_app::calc::dilute(&r)?)))
}

async fn calc_convert(
    Body(r): Body<dosewise_app::calc::ConvertRequest>,
) -> Result<Json<Value>, ApiError> {
    Ok(Json(json!(dosewise_app::calc::convert(&r)?)))
}

// ---- Reading one stock, the plan ahead, the calendar, the knowledge base ----

async fn stock_one(State(st): State<AppState>, Id(id): Id) -> Result<Json<Value>, ApiError> {
    let store = st.store().await;
    let s = store.stock(id).await?.ok_or_else(|| missing("stock", id))?;
    let ledger = store.stock_events(id).await?;
    Ok(Json(json!({ "stock": s, "ledger": ledger })))
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NextQuery {
    count: Option<u32>,
}

async fn protocol_next(
    State(st): State<AppState>,
    Id(id): Id,
    crate::api::Query(q): crate::api::Query<NextQuery>,
) -> Result<Json<Value>, ApiError> {
    let count = q.count.unwrap_or(5);
    if !(1..=100).contains(&count) {
        return Err(ApiError(WebError::Input(
            "count must be from 1 to 100".into(),
        )));
    }
    let store = st.store().await;
    let p = protocol_or_404(&store, id).await?;
    let tz = crate::pages::zone(&st, &store).await?;
    let today = st.now().to_zoned_datetime(tz.clone()).date();
    let planned = dosewise_app::protocol::upcoming(&p, today, &tz, count as usize);
    Ok(Json(json!({ "planned": planned })))
}

/// The plan as iCalendar, 90 days ahead, discreet titles (`dosewise calendar`).
async fn calendar(State(st): State<AppState>) -> Result<Response, ApiError> {
    let store = st.store().await;
    let tz = crate::pages::zone(&st, &store).await?;
    let ics = dosewise_app::calendar::feed(
        &*store,
        st.now(),
        tz,
        &dosewise_app::calendar::FeedOptions::default(),
    )
    .await?;
    let mut r = (StatusCode::OK, ics).into_response();
    r.headers_mut().insert(
        axum::http::header::CONTENT_TYPE,
        axum::http::HeaderValue::from_static("text/calendar; charset=utf-8"),
    );
    Ok(r)
}

async fn info_topics() -> Json<Value> {
    Json(json!({ "topics": dosewise_app::info::TOPICS, "notice": dosewise_app::info::PW_NOTICE }))
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct InfoQuery {
    name: Option<String>,
}

async fn info_topic(
    axum::extract::Path(topic): axum::extract::Path<String>,
    crate::api::Query(q): crate::api::Query<InfoQuery>,
) -> Result<Json<Value>, ApiError> {
    let t: dosewise_app::info::Topic = serde_json::from_value(json!(topic)).map_err(|_| {
        WebError::NotFound(format!(
            "no topic {topic:?}; topics: {}",
            dosewise_app::info::TOPICS.join(", ")
        ))
    })?;
    Ok(Json(dosewise_app::info::topic(t, q.name.as_deref())?))
}
