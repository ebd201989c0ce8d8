//! The JSON API under `/api/v1`: the same operations as the pages, through the same
//! `dosewise-app` calls. Errors are `{"error": {"kind", "status", "message"}}`; a refused dose
//! is 422 with the verdict. Described by `/api/v1/openapi.json`.

use crate::AppState;
use crate::error::{ApiError, WebError};
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use dosewise_app::checkin::CheckinRequest;
use dosewise_app::dose::{DoseRequest, Outcome};
use dosewise_app::records::VitalsRequest;
use dosewise_core::medication::NewMedication;
use dosewise_core::route::Route;
use dosewise_core::vitals::VitalsContext;
use dosewise_store::{Store, Window};
use serde::Deserialize;
use serde_json::{Value, json};

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/openapi.json", get(openapi))
        .route("/today", get(today))
        .route("/doses", get(doses).post(log_dose))
        .route("/checkins", get(checkins).post(add_checkin))
        .route("/insights", get(insights))
        .route("/stock", get(stock).post(change_stock))
        .route("/protocols", get(protocols))
        .route("/vitals", get(vitals).post(add_vitals))
        .route("/assessments", get(assessments).post(add_assessment))
        .route("/medications", get(medications).post(add_medication))
        .route(
            "/substance-uses",
            get(substance_uses).post(add_substance_use),
        )
        .route("/export", get(export))
        .route("/backup", axum::routing::post(backup))
        .route("/report", get(report))
        .fallback(not_found)
}

async fn not_found() -> ApiError {
    ApiError(WebError::NotFound(
        "no such API route; see /api/v1/openapi.json".into(),
    ))
}

/// A query string, with the API's error shape when it does not parse (a duplicated or
/// unknown parameter, a value of the wrong type), not the framework's plain text.
pub struct Query<T>(pub T);

impl<S: Send + Sync, T: serde::de::DeserializeOwned> axum::extract::FromRequestParts<S>
    for Query<T>
{
    type Rejection = ApiError;
    async fn from_request_parts(
        parts: &mut axum::http::request::Parts,
        _: &S,
    ) -> Result<Self, ApiError> {
        query_of(parts)
            .map(Query)
            .map_err(|e| ApiError(WebError::Input(e)))
    }
}

/// A request's query string read into `T`, or what is wrong with it, pointing at the API's
/// description (the clinic server's API reads its queries the same way).
pub fn query_of<T: serde::de::DeserializeOwned>(
    parts: &axum::http::request::Parts,
) -> Result<T, String> {
    serde_urlencoded::from_str(parts.uri.query().unwrap_or(""))
        .map_err(|e| format!("the query string does not fit: {e}; see /api/v1/openapi.json"))
}

/// A JSON body, with the API's error shape when it is not one.
pub struct Body<T>(pub T);

impl<S: Send + Sync, T: serde::de::DeserializeOwned> axum::extract::FromRequest<S> for Body<T> {
    type Rejection = ApiError;
    async fn from_request(req: axum::extract::Request, state: &S) -> Result<Self, ApiError> {
        // Every body is a JSON object: serde would also read a struct from an array.
        match Json::<Value>::from_request(req, state).await {
            Ok(Json(mut v)) if v.is_object() => serde_json::from_value({
                whole_numbers(&mut v);
                v
            })
            .map(Body)
            .map_err(|e| ApiError(WebError::Input(format!("the body does not fit: {e}")))),
            Ok(Json(_)) => Err(ApiError(WebError::Input(
                "send a JSON object (see /api/v1/openapi.json)".into(),
            ))),
            Err(e) => Err(ApiError(match e.status() {
                StatusCode::PAYLOAD_TOO_LARGE => WebError::TooLarge,
                StatusCode::UNSUPPORTED_MEDIA_TYPE => {
                    WebError::Input("send JSON with Content-Type: application/json".into())
                }
                _ => WebError::Input(e.body_text()),
            })),
        }
    }
}

/// JSON Schema counts `3.0` as an integer, as the document's clients will: a number with no
/// fraction is read as the whole number it is, wherever the body holds it (an `f64` field reads
/// it back unchanged). Beyond 2^53 a float no longer says which integer it is, so it is left.
pub fn whole_numbers(v: &mut Value) {
    match v {
        Value::Number(n) if n.is_f64() => {
            if let Some(f) = n.as_f64()
                && f.fract() == 0.0
                && f.abs() <= 9_007_199_254_740_992.0
            {
                *v = Value::from(f as i64);
            }
        }
        Value::Array(items) => items.iter_mut().for_each(whole_numbers),
        Value::Object(fields) => fields.values_mut().for_each(whole_numbers),
        _ => {}
    }
}

async fn openapi() -> Json<Value> {
    Json(crate::openapi::document())
}

async fn today(State(st): State<AppState>) -> Result<Response, ApiError> {
    let (_, t) = st.today().await?;
    // Written straight from the shared overview, without a copy as a JSON tree first.
    Ok(Json(&*t).into_response())
}

#[derive(Debug, Default, Deserialize)]
pub struct Period {
    from: Option<String>,
    to: Option<String>,
    /// At most this many records (1 to [`MAX_PAGE`]; default [`DEFAULT_PAGE`]).
    limit: Option<u32>,
    /// Where the previous page ended: its `next_cursor`.
    cursor: Option<String>,
}

/// Records per page of a list, by default and at most.
pub const DEFAULT_PAGE: u32 = 500;
pub const MAX_PAGE: u32 = 1000;

/// One page of a list in time order: the records after `cursor` (the time and id of the last
/// record of the previous page, "MICROS.ID"), at most `limit`, and the cursor of the next page
/// when more follow. Keyed on (time, id), so records added meanwhile neither repeat nor slip.
fn page<T: serde::Serialize>(
    p: &Period,
    items: Vec<T>,
    key: impl Fn(&T) -> (dosewise_core::jiff::Timestamp, i64),
) -> Result<(Vec<T>, Option<String>), ApiError> {
    let limit = p.limit.unwrap_or(DEFAULT_PAGE);
    if !(1..=MAX_PAGE).contains(&limit) {
        return Err(ApiError(WebError::Input(format!(
            "limit must be from 1 to {MAX_PAGE}, got {limit}"
        ))));
    }
    let after = match p.cursor.as_deref() {
        None => None,
        Some(c) => {
            let bad = || {
                ApiError(WebError::Input(
                    "cursor is not one this API gave: send the next_cursor of the previous page unchanged".into(),
                ))
            };
            let (at, id) = c.split_once('.').ok_or_else(bad)?;
            let at = at
                .parse::<i64>()
                .ok()
                .and_then(|m| dosewise_core::jiff::Timestamp::from_microsecond(m).ok())
                .ok_or_else(bad)?;
            Some((at, id.parse::<i64>().map_err(|_| bad())?))
        }
    };
    let mut rest: Vec<T> = items
        .into_iter()
        .filter(|x| after.is_none_or(|a| key(x) > a))
        .collect();
    let more = rest.len() > limit as usize;
    rest.truncate(limit as usize);
    let next = if more {
        rest.last().map(|x| {
            let (at, id) = key(x);
            format!("{}.{id}", at.as_microsecond())
        })
    } else {
        None
    };
    Ok((rest, next))
}

/// A period's dates, when given, are dates: an empty `from=` is refused, not read as absent.
fn dates_given(from: &Option<String>, to: &Option<String>) -> Result<(), ApiError> {
    for (name, v) in [("from", from), ("to", to)] {
        if v.as_deref().is_some_and(|v| v.trim().is_empty()) {
            return Err(ApiError(WebError::Input(format!(
                "{name} is empty: give a date (YYYY-MM-DD) or leave it out"
            ))));
        }
    }
    Ok(())
}

/// The store window for a period (default: the last 30 days).
async fn period_window(
    st: &AppState,
    store: &dosewise_backends::AnyStore,
    p: &Period,
    include_deleted: bool,
) -> Result<Window, ApiError> {
    dates_given(&p.from, &p.to)?;
    let tz = crate::pages::zone(st, store).await?;
    let today = st.now().to_zoned_datetime(tz.clone()).date();
    let (from, to) =
        dosewise_app::period::period(p.from.as_deref(), p.to.as_deref(), today, |to| {
            dosewise_app::period::days_before(to, 30)
        })?;
    Ok(dosewise_app::period::window(
        from,
        to,
        &tz,
        include_deleted,
    )?)
}

async fn doses(
    State(st): State<AppState>,
    Query(p): Query<Period>,
) -> Result<Json<Value>, ApiError> {
    let store = st.store().await;
    let w = period_window(&st, &store, &p, true).await?;
    let (items, next) = page(&p, store.doses(w).await?, |d| (d.dose.at, d.id))?;
    Ok(Json(json!({ "doses": items, "next_cursor": next })))
}

#[derive(Debug, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct DoseBody {
    amount: Option<String>,
    stock: Option<String>,
    no_stock: bool,
    route: Option<Route>,
    at: Option<String>,
    note: Option<String>,
    zone: Option<String>,
    override_reason: Option<String>,
    already_taken: bool,
    dry_run: bool,
    container: Option<String>,
}

async fn log_dose(
    State(st): State<AppState>,
    Body(b): Body<DoseBody>,
) -> Result<Response, ApiError> {
    let req = DoseRequest {
        amount: b.amount.unwrap_or_default(),
        stock: b.stock,
        no_stock: b.no_stock,
        route: b.route,
        at: b.at,
        note: b.note,
        salt: None,
        substance: None,
        zone: b.zone.or_else(|| st.0.config.zone.clone()),
        already_taken: b.already_taken,
        container: b.container,
    };
    let store = st.store().await;
    let outcome = dosewise_app::dose::log(
        &*store,
        &req,
        b.override_reason.as_deref(),
        b.dry_run,
        st.now(),
    )
    .await?;
    drop(store);
    Ok(match outcome {
        Outcome::Logged { dose, stock, verdict, overridden, .. } => {
            let conversion = crate::pages::dose::conversion(&dose.dose, stock.as_ref());
            (StatusCode::CREATED, Json(json!({
                "logged": true, "dose": dose, "stock": stock, "verdict": verdict,
                "refused": verdict.refused(), "overridden": overridden, "conversion": conversion,
                "recorded_after_the_fact": verdict.recorded_despite_refusal(),
            }))).into_response()
        }
        Outcome::Checked { prepared, verdict } => Json(json!({
            "logged": false, "dry_run": true, "dose": prepared.new, "verdict": verdict,
            "refused": verdict.refused(),
            "conversion": crate::pages::dose::conversion(&prepared.new, prepared.stock.as_ref()),
        })).into_response(),
        Outcome::Refused { prepared, verdict } => (StatusCode::UNPROCESSABLE_ENTITY, Json(json!({
            "logged": false, "refused": true, "dose": prepared.new, "verdict": verdict,
            "conversion": crate::pages::dose::conversion(&prepared.new, prepared.stock.as_ref()),
            "message": "refused by the safety check; nothing was logged. A dose already taken is recorded with already_taken; override_reason (who agreed the dose and when) is for a dose your clinician agreed.",
        }))).into_response(),
    })
}

async fn checkins(
    State(st): State<AppState>,
    Query(p): Query<Period>,
) -> Result<Json<Value>, ApiError> {
    let store = st.store().await;
    let w = period_window(&st, &store, &p, false).await?;
    let (items, next) = page(&p, store.checkins(w).await?, |c| (c.checkin.at, c.id))?;
    Ok(Json(json!({ "checkins": items, "next_cursor": next })))
}

async fn add_checkin(
    State(st): State<AppState>,
    Body(mut req): Body<CheckinRequest>,
) -> Result<Response, ApiError> {
    if req.zone.is_none() {
        req.zone.clone_from(&st.0.config.zone);
    }
    let store = st.store().await;
    let (c, warnings) = dosewise_app::checkin::record(&*store, &req, st.now()).await?;
    Ok((
        StatusCode::CREATED,
        Json(json!({ "checkin": c, "warnings": warnings })),
    )
        .into_response())
}

async fn insights(
    State(st): State<AppState>,
    Query(p): Query<Period>,
) -> Result<Json<Value>, ApiError> {
    dates_given(&p.from, &p.to)?;
    let store = st.store().await;
    let tz = crate::pages::zone(&st, &store).await?;
    let i = dosewise_app::insights::insights(
        &*store,
        p.from.as_deref(),
        p.to.as_deref(),
        st.now(),
        &tz,
    )
    .await?;
    Ok(Json(json!(i)))
}

async fn stock(State(st): State<AppState>) -> Result<Json<Value>, ApiError> {
    let (_, t) = st.today().await?;
    let stocks = st.store().await.stocks(true).await?;
    Ok(Json(json!({ "stocks": stocks, "status": t.stock })))
}

/// How `POST /api/v1/import-csv` reads the spreadsheet: as the CLI's `import --from csv`.
#[derive(Debug, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct SheetQuery {
    map: Option<String>,
    date_format: Option<String>,
    time: Option<String>,
    unit: Option<String>,
    stock: Option<String>,
    route: Option<String>,
    salt: Option<String>,
    substance: Option<String>,
    dry_run: bool,
    private: bool,
}

/// `POST /api/v1/import-csv`: a spreadsheet (CSV, the first row naming the columns) as the
/// body, its rows imported as doses and check-ins by the mapping in `map`, all or nothing.
pub async fn import_csv(
    State(st): State<AppState>,
    Query(q): Query<SheetQuery>,
    body: Bytes,
) -> Result<Response, ApiError> {
    // A field left empty is one not given; a route, salt or substance is read as on the CLI.
    fn read<T: std::str::FromStr<Err = String>>(v: Option<&str>) -> Result<Option<T>, ApiError> {
        v.map(str::trim)
            .filter(|v| !v.is_empty())
            .map(|v| v.parse().map_err(|e: String| ApiError(WebError::Input(e))))
            .transpose()
    }
    let route = read(q.route.as_deref())?;
    let salt = read(q.salt.as_deref())?;
    let substance = read(q.substance.as_deref())?;
    let store = st.store().await;
    let r = dosewise_app::interop::import_sheet(
        &*store,
        body.to_vec(),
        "the body",
        &dosewise_app::interop::SheetRequest {
            map: q.map,
            date_format: q.date_format,
            time: q.time,
            unit: q.unit,
            route,
            salt,
            substance,
            stock: q.stock,
        },
        dosewise_app::interop::Options {
            zone: st.0.config.zone.as_deref(),
            private: q.private,
            dry_run: q.dry_run,
        },
        st.now(),
    )
    .await?;
    Ok(Json(json!({ "spreadsheet": r })).into_response())
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StockChangeBody {
    stock: i64,
    change: String,
    amount: String,
    note: Option<String>,
}

/// Refill, remove or count (the stock page's form and `dosewise stock adjust` / `count`).
async fn change_stock(
    State(st): State<AppState>,
    Body(b): Body<StockChangeBody>,
) -> Result<Json<Value>, ApiError> {
    let change = dosewise_app::stock::Change::parse(&b.change)?;
    let store = st.store().await;
    let done = dosewise_app::stock::adjust_id(
        &*store,
        b.stock,
        change,
        &b.amount,
        b.note.as_deref(),
        st.now(),
    )
    .await?;
    Ok(Json(json!({ "stock": done.stock, "before": done.before })))
}

async fn protocols(State(st): State<AppState>) -> Result<Json<Value>, ApiError> {
    let store = st.store().await;
    let mut out = Vec::new();
    for p in store.protocols(true).await? {
        let events = store.protocol_events(p.id).await?;
        out.push(json!({ "protocol": p, "events": events }));
    }
    Ok(Json(json!({ "protocols": out })))
}

async fn vitals(
    State(st): State<AppState>,
    Query(p): Query<Period>,
) -> Result<Json<Value>, ApiError> {
    let store = st.store().await;
    let w = period_window(&st, &store, &p, false).await?;
    let (items, next) = page(&p, store.vitals(w).await?, |v| (v.vitals.at, v.id))?;
    Ok(Json(json!({ "vitals": items, "next_cursor": next })))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct VitalsBody {
    bp: Option<String>,
    heart_rate: Option<u32>,
    weight: Option<String>,
    context: VitalsContext,
    at: Option<String>,
    note: Option<String>,
    zone: Option<String>,
}

async fn add_vitals(
    State(st): State<AppState>,
    Body(b): Body<VitalsBody>,
) -> Result<Response, ApiError> {
    let req = VitalsRequest {
        bp: b.bp,
        heart_rate: b.heart_rate,
        weight: b.weight,
        context: b.context,
        at: b.at,
        note: b.note,
        zone: b.zone.or_else(|| st.0.config.zone.clone()),
    };
    let store = st.store().await;
    let v = dosewise_app::records::vitals(&*store, &req, st.now()).await?;
    let notes = dosewise_app::records::vitals_notes(&*store, &v).await?;
    Ok((
        StatusCode::CREATED,
        Json(json!({ "vitals": v, "notes": notes })),
    )
        .into_response())
}

async fn assessments(
    State(st): State<AppState>,
    Query(p): Query<Period>,
) -> Result<Json<Value>, ApiError> {
    let store = st.store().await;
    let w = period_window(&st, &store, &p, false).await?;
    let (items, next) = page(&p, store.assessments(w).await?, |a| (a.assessment.at, a.id))?;
    Ok(Json(json!({ "assessments": items, "next_cursor": next })))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AssessmentBody {
    instrument: String,
    answers: Vec<i64>,
    at: Option<String>,
    note: Option<String>,
    zone: Option<String>,
}

async fn add_assessment(
    State(st): State<AppState>,
    Body(b): Body<AssessmentBody>,
) -> Result<Response, ApiError> {
    let zone = b.zone.or_else(|| st.0.config.zone.clone());
    let store = st.store().await;
    let a = dosewise_app::records::assessment(
        &*store,
        &b.instrument,
        &b.answers,
        b.at.as_deref(),
        b.note.as_deref(),
        zone.as_deref(),
        st.now(),
    )
    .await?;
    let crisis = if a.assessment.self_harm_flag() {
        Some(json!({
            "message": dosewise_app::records::crisis(&*store).await?,
            "source": dosewise_core::questionnaire::CRISIS_SOURCE,
        }))
    } else {
        None
    };
    Ok((
        StatusCode::CREATED,
        Json(json!({ "assessment": a, "crisis": crisis })),
    )
        .into_response())
}

async fn medications(State(st): State<AppState>) -> Result<Json<Value>, ApiError> {
    let store = st.store().await;
    Ok(Json(
        json!({ "medications": store.medications(false).await? }),
    ))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MedicationBody {
    name: String,
    dose: Option<String>,
    #[serde(default)]
    clinician_aware: bool,
    note: Option<String>,
}

async fn add_medication(
    State(st): State<AppState>,
    Body(b): Body<MedicationBody>,
) -> Result<Response, ApiError> {
    let m = NewMedication {
        name: b.name,
        dose: b.dose,
        since: None,
        clinician_aware: b.clinician_aware,
        note: b.note,
        added_at: st.now(),
    };
    let store = st.store().await;
    let m = dosewise_app::records::medication(&*store, m).await?;
    Ok((StatusCode::CREATED, Json(json!({ "medication": m }))).into_response())
}

async fn substance_uses(
    State(st): State<AppState>,
    Query(p): Query<Period>,
) -> Result<Json<Value>, ApiError> {
    let store = st.store().await;
    let w = period_window(&st, &store, &p, false).await?;
    let (items, next) = page(&p, store.substance_uses(w).await?, |u| (u.usage.at, u.id))?;
    Ok(Json(
        json!({ "substance_uses": items, "next_cursor": next }),
    ))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UseBody {
    name: String,
    amount: Option<String>,
    at: Option<String>,
    note: Option<String>,
    zone: Option<String>,
}

async fn add_substance_use(
    State(st): State<AppState>,
    Body(b): Body<UseBody>,
) -> Result<Response, ApiError> {
    let zone = b.zone.or_else(|| st.0.config.zone.clone());
    let store = st.store().await;
    let u = dosewise_app::records::substance_use(
        &*store,
        &b.name,
        b.amount.as_deref(),
        b.at.as_deref(),
        b.note.as_deref(),
        zone.as_deref(),
        st.now(),
    )
    .await?;
    Ok((StatusCode::CREATED, Json(json!({ "substance_use": u }))).into_response())
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ExportQuery {
    format: Option<ExportFormat>,
    table: Option<dosewise_render::csv::Table>,
    /// For FHIR: include private check-ins.
    include_private: Option<bool>,
}

#[derive(Debug, Clone, Copy, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ExportFormat {
    Json,
    Csv,
    Fhir,
}

/// The whole journal as JSON (lossless), or one table as CSV.
async fn export(
    State(st): State<AppState>,
    Query(q): Query<ExportQuery>,
) -> Result<Response, ApiError> {
    let format = q.format.unwrap_or(ExportFormat::Json);
    if q.include_private.is_some() && !matches!(format, ExportFormat::Fhir) {
        return Err(ApiError(WebError::Input(
            "include_private is for format=fhir; the JSON export always holds everything".into(),
        )));
    }
    let j = st.store().await.export().await?;
    match (format, q.table) {
        (ExportFormat::Fhir, Some(_)) => Err(ApiError(WebError::Input(
            "table is for format=csv or json; a FHIR Bundle holds every kind".into(),
        ))),
        (ExportFormat::Fhir, None) => {
            let b = dosewise_core::fhir::bundle(&j, st.now(), q.include_private.unwrap_or(false));
            let mut r = Json(b).into_response();
            r.headers_mut().insert(
                header::CONTENT_TYPE,
                HeaderValue::from_static("application/fhir+json"),
            );
            Ok(r)
        }
        (ExportFormat::Json, None) => Ok(Json(json!(j)).into_response()),
        // One table of the export as JSON.
        (ExportFormat::Json, Some(t)) => {
            let v = json!(j);
            Ok(Json(json!({ t.as_str(): v[t.as_str()] })).into_response())
        }
        (ExportFormat::Csv, t) => {
            let csv =
                dosewise_render::csv::table(&j, t.unwrap_or(dosewise_render::csv::Table::Doses));
            let mut r = (StatusCode::OK, csv).into_response();
            r.headers_mut().insert(
                header::CONTENT_TYPE,
                HeaderValue::from_static("text/csv; charset=utf-8"),
            );
            Ok(r)
        }
    }
}

/// How `POST /api/v1/import` treats another app's file.
#[derive(Debug, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ImportQuery {
    /// Only say what a PsychonautWiki Journal file would add.
    dry_run: bool,
    /// Mark the notes made from it private.
    private: bool,
}

/// `POST /api/v1/import`: a JSON export as the body (up to [`crate::IMPORT_LIMIT`]), or a
/// PsychonautWiki Journal export (told apart by its content).
pub async fn import(
    State(st): State<AppState>,
    Query(q): Query<ImportQuery>,
    headers: axum::http::HeaderMap,
    body: Bytes,
) -> Result<Response, ApiError> {
    let json = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/json"));
    if !json {
        return Err(ApiError(WebError::Input(
            "send the export with Content-Type: application/json".into(),
        )));
    }
    if let Some(app) = dosewise_app::interop::other_app(&body) {
        if q.private && app == dosewise_app::interop::OtherApp::Fhir {
            return Err(ApiError(WebError::Input(
                "private is for a PsychonautWiki Journal file or a spreadsheet".into(),
            )));
        }
        let store = st.store().await;
        let r = dosewise_app::interop::import_other(
            &*store,
            app,
            body.to_vec(),
            "the body",
            dosewise_app::interop::Options {
                zone: st.0.config.zone.as_deref(),
                private: q.private,
                dry_run: q.dry_run,
            },
            st.now(),
        )
        .await?;
        return Ok(Json(json!({ app.key(): r })).into_response());
    }
    if q.dry_run || q.private {
        return Err(ApiError(WebError::Input(
            "dry_run and private are for a PsychonautWiki Journal file; a Dosewise export is imported as it is".into(),
        )));
    }
    let j = dosewise_app::transfer::parse_export(body.to_vec(), "the body")?;
    let store = st.store().await;
    let r = dosewise_app::transfer::import(&*store, &j).await?;
    Ok(Json(json!({ "imported": r })).into_response())
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BackupBody {
    /// A new passphrase for the backup (at least 8 characters).
    passphrase: String,
}

/// The API's passphrase: at most 256 characters (the documented contract; the server's own
/// bound is 1 KB), checked like any other.
fn api_passphrase(p: String, new: bool) -> Result<dosewise_store::Passphrase, ApiError> {
    if p.chars().count() > 256 {
        return Err(ApiError(WebError::Input(
            "the passphrase is longer than 256 characters".into(),
        )));
    }
    let key = if new {
        dosewise_store::Passphrase::new_key(p)
    } else {
        dosewise_store::Passphrase::new(p)
    };
    key.map_err(|e| ApiError(WebError::Input(e.to_string())))
}

/// `POST /api/v1/backup`: the whole journal, encrypted (age), as the response body.
async fn backup(
    State(st): State<AppState>,
    Body(b): Body<BackupBody>,
) -> Result<Response, ApiError> {
    let key = api_passphrase(b.passphrase, true)?;
    let store = st.store().await;
    let (sealed, _) =
        dosewise_app::backup::backup(&*store, dosewise_app::backup::Sealing::Passphrase(&key))
            .await?;
    let mut r = (StatusCode::OK, sealed).into_response();
    r.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/octet-stream"),
    );
    Ok(r)
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RestoreBody {
    /// The backup file, base64-encoded.
    backup: String,
    passphrase: String,
}

/// `POST /api/v1/import-backup`: add an encrypted backup's records, all or nothing.
pub async fn import_backup(
    State(st): State<AppState>,
    Body(b): Body<RestoreBody>,
) -> Result<Response, ApiError> {
    use base64::Engine;
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(b.backup.trim())
        .map_err(|e| WebError::Input(format!("backup is not base64: {e}")))?;
    if !dosewise_app::backup::is_sealed(&bytes) {
        return Err(ApiError(WebError::Input(
            "backup is not an encrypted Dosewise backup (age format); send a plain export to /api/v1/import".into(),
        )));
    }
    let key = api_passphrase(b.passphrase, false)?;
    let store = st.store().await;
    let r = dosewise_app::backup::import(
        &*store,
        &bytes,
        dosewise_app::backup::Opening::Passphrase(&key),
    )
    .await?;
    Ok(Json(json!({ "imported": r })).into_response())
}

#[derive(Debug, Default, Deserialize)]
pub struct ReportQuery {
    from: Option<String>,
    to: Option<String>,
    sections: Option<String>,
    private: Option<String>,
}

async fn report(
    State(st): State<AppState>,
    Query(q): Query<ReportQuery>,
) -> Result<Response, ApiError> {
    dates_given(&q.from, &q.to)?;
    if q.private.as_deref().is_some_and(|v| v != "1") {
        return Err(ApiError(WebError::Input(
            "private is 1 (include private notes) or left out".into(),
        )));
    }
    if q.sections.as_deref().is_some_and(|v| v.trim().is_empty()) {
        return Err(ApiError(WebError::Input(
            "sections is empty: name at least one, or leave it out for all".into(),
        )));
    }
    let r = crate::pages::insights::report_view(
        State(st),
        axum::extract::Query(crate::pages::insights::ReportQuery {
            from: q.from,
            to: q.to,
            sections: q.sections,
            private: q.private,
        }),
    )
    .await?;
    let mut r = r;
    r.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/html; charset=utf-8"),
    );
    Ok(r)
}

/// Every API path and method, for the OpenAPI document's test.
pub const ROUTES: [(&str, &str); 68] = [
    ("get", "/openapi.json"),
    ("get", "/today"),
    ("get", "/doses"),
    ("post", "/doses"),
    ("get", "/checkins"),
    ("post", "/checkins"),
    ("get", "/insights"),
    ("get", "/stock"),
    ("post", "/stock"),
    ("get", "/protocols"),
    ("get", "/vitals"),
    ("post", "/vitals"),
    ("get", "/assessments"),
    ("post", "/assessments"),
    ("get", "/medications"),
    ("post", "/medications"),
    ("get", "/substance-uses"),
    ("post", "/substance-uses"),
    ("get", "/export"),
    ("post", "/backup"),
    ("post", "/import-backup"),
    ("post", "/import"),
    ("post", "/import-csv"),
    ("get", "/report"),
    // crate::api_trial
    ("get", "/trial"),
    ("post", "/trial/plan"),
    ("get", "/trial/labels"),
    ("post", "/trial/unblind"),
    ("post", "/trial/stop"),
    ("post", "/trial/reveal"),
    ("get", "/trial/result"),
    // crate::api_manage
    ("post", "/stock/add"),
    ("post", "/stock/{id}/retire"),
    ("post", "/stock/{id}/drops"),
    ("post", "/protocols/start"),
    ("post", "/protocols/{id}/change"),
    ("post", "/protocols/{id}/pause"),
    ("post", "/protocols/{id}/resume"),
    ("post", "/protocols/{id}/end"),
    ("get", "/doses/{id}"),
    ("post", "/doses/{id}/edit"),
    ("post", "/doses/{id}/delete"),
    ("get", "/checkins/{id}"),
    ("post", "/checkins/{id}/edit"),
    ("post", "/checkins/{id}/delete"),
    ("post", "/medications/{id}/stop"),
    ("get", "/share"),
    ("post", "/share/connect"),
    ("post", "/share/revoke"),
    ("get", "/share/log"),
    ("post", "/sync"),
    ("get", "/review"),
    ("post", "/review"),
    ("get", "/screen"),
    ("post", "/screen"),
    ("get", "/profile"),
    ("post", "/profile"),
    ("get", "/calendar-link"),
    ("post", "/calendar-link"),
    ("post", "/calc/solution"),
    ("post", "/calc/spray"),
    ("post", "/calc/dilute"),
    ("post", "/calc/convert"),
    ("get", "/stock/{id}"),
    ("get", "/protocols/{id}/next"),
    ("get", "/calendar"),
    ("get", "/info"),
    ("get", "/info/{topic}"),
];
