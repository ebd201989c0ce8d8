//! The clinic server's JSON API under `/api/v1`.
//!
//! Staff sign in (`POST /login`) and act within their clinic; a patient's device connects with
//! an invite (`POST /connect`) and then syncs (`GET`/`POST /sync`), revokes (`POST
//! /share/revoke`) and reads who looked at what (`GET /share/log`). What is not the caller's to
//! see answers 404, never 403: whether it exists is not told either.

use crate::auth::{COOKIE, Device, Session, cookie_max_age, digest, token};
use crate::{Actor, Clinic, ClinicError, Result, Role, clinician, pg};
use axum::extract::{ConnectInfo, FromRequest, Path, Request, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{MethodRouter, get, post};
use axum::{Json, Router};
use dosewise_core::jiff::Timestamp;
use dosewise_core::prescription::Prescription;
use dosewise_core::share::{self, Category, State as SyncState};
use serde::Deserialize;
use serde_json::{Value, json};
use std::collections::HashMap;
use std::net::SocketAddr;

/// An error in the API's shape: `{"error": {"kind", "status", "message"}}`.
#[derive(Debug)]
pub struct ApiError(pub ClinicError);

impl From<ClinicError> for ApiError {
    fn from(e: ClinicError) -> Self {
        ApiError(e)
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let (status, kind) = status(&self.0);
        let message = told(&self.0);
        let mut r = (
            status,
            Json(
                json!({ "error": { "kind": kind, "status": status.as_u16(), "message": message } }),
            ),
        )
            .into_response();
        let retry = match self.0 {
            ClinicError::TooMany(secs) => Some(secs),
            ClinicError::Unavailable(_) => Some(1),
            _ => None,
        };
        if let Some(secs) = retry
            && let Ok(v) = HeaderValue::from_str(&secs.to_string())
        {
            r.headers_mut().insert(header::RETRY_AFTER, v);
        }
        r
    }
}

/// What the caller is told of an error (the API's message, the pages' alert). The database's
/// own words go to the server's log only.
pub(crate) fn told(e: &ClinicError) -> String {
    match e {
        ClinicError::Db(m) => {
            eprintln!("dosewise clinic: {m}");
            "the server could not complete this request".to_string()
        }
        ClinicError::Unavailable(m) => {
            eprintln!("dosewise clinic: {m}");
            "the server cannot reach its database just now; nothing was done: try again in a moment"
                .to_string()
        }
        e => e.to_string(),
    }
}

/// An error's HTTP status and kind.
pub(crate) fn status(e: &ClinicError) -> (StatusCode, &'static str) {
    match e {
        ClinicError::Input(_) => (StatusCode::BAD_REQUEST, "input"),
        ClinicError::Unauthorized => (StatusCode::UNAUTHORIZED, "unauthorized"),
        ClinicError::NotFound => (StatusCode::NOT_FOUND, "not_found"),
        ClinicError::Conflict(_) => (StatusCode::CONFLICT, "conflict"),
        ClinicError::SecondFactor => (StatusCode::FORBIDDEN, "second_factor"),
        ClinicError::TooMany(_) => (StatusCode::TOO_MANY_REQUESTS, "too_many"),
        ClinicError::Db(_) => (StatusCode::INTERNAL_SERVER_ERROR, "server"),
        ClinicError::Unavailable(_) => (StatusCode::SERVICE_UNAVAILABLE, "unavailable"),
    }
}

/// A JSON object body, with the API's error shape when it is not one.
#[derive(Debug)]
pub struct Body<T>(pub T);

impl<S: Send + Sync, T: serde::de::DeserializeOwned> FromRequest<S> for Body<T> {
    type Rejection = ApiError;
    async fn from_request(req: Request, state: &S) -> Result<Self, ApiError> {
        match Json::<Value>::from_request(req, state).await {
            Ok(Json(mut v)) if v.is_object() => {
                whole_numbers(&mut v);
                serde_json::from_value(v)
                    .map(Body)
                    .map_err(|e| ClinicError::Input(format!("the body does not fit: {e}")).into())
            }
            Ok(_) => Err(ClinicError::Input("send a JSON object".into()).into()),
            Err(e) => Err(ClinicError::Input(e.body_text()).into()),
        }
    }
}

/// `3.0` read as the whole number JSON Schema says it is, everywhere in a body but inside the
/// records a device syncs: those are stored exactly as the journal wrote them.
fn whole_numbers(v: &mut Value) {
    let Some(fields) = v.as_object_mut() else {
        return;
    };
    for (key, value) in fields.iter_mut() {
        match (key.as_str(), value) {
            ("entries", Value::Array(entries)) => {
                for e in entries.iter_mut().filter_map(Value::as_object_mut) {
                    for (k, x) in e.iter_mut() {
                        if k != "body" {
                            dosewise_web::schema::whole_numbers(x);
                        }
                    }
                }
            }
            (_, x) => dosewise_web::schema::whole_numbers(x),
        }
    }
}

/// A record's id in the address, with the API's error shape when it is not a whole number.
#[derive(Debug, Clone, Copy)]
pub struct Id(pub i64);

impl<S: Send + Sync> axum::extract::FromRequestParts<S> for Id {
    type Rejection = ApiError;
    async fn from_request_parts(
        parts: &mut axum::http::request::Parts,
        state: &S,
    ) -> Result<Self, ApiError> {
        let Path(raw) = Path::<String>::from_request_parts(parts, state)
            .await
            .map_err(|_| ClinicError::Input("the address lacks an id".into()))?;
        raw.parse::<i64>().map(Id).map_err(|_| {
            ClinicError::Input(format!("{raw:?} is not an id: ids are whole numbers")).into()
        })
    }
}

/// A query string, with the API's error shape when it does not fit (an unknown or repeated
/// parameter, a value of the wrong kind).
#[derive(Debug)]
pub struct Query<T>(pub T);

impl<S: Send + Sync, T: serde::de::DeserializeOwned> axum::extract::FromRequestParts<S>
    for Query<T>
{
    type Rejection = ApiError;
    async fn from_request_parts(
        parts: &mut axum::http::request::Parts,
        _: &S,
    ) -> Result<Self, ApiError> {
        dosewise_web::schema::query_of(parts)
            .map(Query)
            .map_err(|e| ClinicError::Input(e).into())
    }
}

/// The largest body accepted (a sync batch of [`share::BATCH`] records fits easily).
pub const BODY_LIMIT: usize = 8 * 1024 * 1024;

/// Every operation of the JSON API (method, path), as [`crate::openapi`] describes them.
/// The router is built from this list, so nothing is routed that is not described and tested.
pub const ROUTES: [(&str, &str); 25] = [
    ("get", "/api/v1/openapi.json"),
    ("post", "/api/v1/login"),
    ("post", "/api/v1/logout"),
    ("get", "/api/v1/me"),
    ("post", "/api/v1/totp/setup"),
    ("post", "/api/v1/totp/confirm"),
    ("get", "/api/v1/accounts"),
    ("post", "/api/v1/accounts/{id}/reset"),
    ("post", "/api/v1/reset"),
    ("post", "/api/v1/invites"),
    ("post", "/api/v1/accept"),
    ("post", "/api/v1/connect"),
    ("get", "/api/v1/sync"),
    ("post", "/api/v1/sync"),
    ("post", "/api/v1/share/revoke"),
    ("get", "/api/v1/share/log"),
    ("get", "/api/v1/patients"),
    ("get", "/api/v1/patients/{id}"),
    ("get", "/api/v1/patients/{id}/fhir"),
    ("get", "/api/v1/patients/{id}/prescription"),
    ("post", "/api/v1/patients/{id}/prescription"),
    ("get", "/api/v1/patients/{id}/notes"),
    ("post", "/api/v1/patients/{id}/notes"),
    ("get", "/api/v1/triage"),
    ("post", "/api/v1/triage/{id}/ack"),
];

/// The handler of one entry of [`ROUTES`].
fn handler(method: &str, path: &str) -> MethodRouter<Clinic> {
    match (method, path) {
        ("get", "/api/v1/openapi.json") => get(openapi),
        ("post", "/api/v1/login") => post(login),
        ("post", "/api/v1/logout") => post(logout),
        ("get", "/api/v1/me") => get(me),
        ("post", "/api/v1/totp/setup") => post(totp_setup),
        ("post", "/api/v1/totp/confirm") => post(totp_confirm),
        ("get", "/api/v1/accounts") => get(accounts),
        ("post", "/api/v1/accounts/{id}/reset") => post(reset_password),
        ("post", "/api/v1/reset") => post(use_reset),
        ("post", "/api/v1/invites") => post(invite),
        ("post", "/api/v1/accept") => post(accept),
        ("post", "/api/v1/connect") => post(connect),
        ("get", "/api/v1/sync") => get(sync_state),
        ("post", "/api/v1/sync") => post(push),
        ("post", "/api/v1/share/revoke") => post(revoke),
        ("get", "/api/v1/share/log") => get(share_log),
        ("get", "/api/v1/patients") => get(caseload),
        ("get", "/api/v1/patients/{id}") => get(patient),
        ("get", "/api/v1/patients/{id}/fhir") => get(patient_fhir),
        ("get", "/api/v1/patients/{id}/prescription") => get(prescription),
        ("post", "/api/v1/patients/{id}/prescription") => post(set_prescription),
        ("get", "/api/v1/patients/{id}/notes") => get(patient_notes),
        ("post", "/api/v1/patients/{id}/notes") => post(write_note),
        ("get", "/api/v1/triage") => get(triage_queue),
        ("post", "/api/v1/triage/{id}/ack") => post(acknowledge),
        _ => unreachable!("ROUTES lists {method} {path} but no operation handles it"),
    }
}

/// The pages and the JSON API, both built from their route lists.
pub fn router(clinic: Clinic) -> Router {
    ROUTES
        .iter()
        .fold(crate::pages::routes(), |r, (m, p)| {
            r.route(p, handler(m, p))
        })
        .layer(axum::extract::DefaultBodyLimit::max(BODY_LIMIT))
        .layer(axum::middleware::from_fn_with_state(
            clinic.clone(),
            audit_refusals,
        ))
        .layer(axum::middleware::map_response(harden))
        .with_state(clinic)
}

/// A request refused to someone who holds a token — another clinic's patient, a route not for
/// their role, a forged form, a revoked grant — leaves an audit line in their clinic: who, what
/// they asked for, the answer. A refusal without a token has no clinic to be filed under; failed
/// sign-ins are counted per account and address in `login_failure`.
async fn audit_refusals(
    State(st): State<Clinic>,
    req: Request,
    next: axum::middleware::Next,
) -> Response {
    let token = crate::auth::bearer(req.headers())
        .map(str::to_string)
        .or_else(|| dosewise_web::security::cookie(req.headers(), COOKIE).map(|t| t.to_string()));
    let asked = format!("{} {}", req.method(), req.uri().path());
    let address = crate::auth::address(req.extensions());
    let r = next.run(req).await;
    let status = r.status();
    if matches!(
        status,
        StatusCode::UNAUTHORIZED | StatusCode::FORBIDDEN | StatusCode::NOT_FOUND
    ) && let Some(token) = token
        && let Some(actor) = st.whose(&token, address).await
    {
        let what = format!("{asked}: {}", status.as_u16());
        let written = async {
            let mut c = st.client().await?;
            let tx = st.begin(&mut c, &actor).await?;
            st.audit(&tx, &actor, "refused", None, &what).await?;
            tx.commit().await.map_err(pg)
        };
        if let Err(e) = written.await {
            eprintln!("could not audit a refused request ({what}): {e}");
        }
    }
    r
}

/// The headers every response carries: the local app's (CSP, no framing, no sniffing, no
/// referrer to other sites, no caching).
async fn harden(r: Response) -> Response {
    dosewise_web::security::harden(r)
}

fn micros(t: Timestamp) -> i64 {
    t.as_microsecond()
}

use crate::ts;

// ---- Signing in ----

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct LoginBody {
    email: String,
    password: String,
    /// The authenticator app's code, once the second factor is set up.
    code: Option<String>,
}

async fn login(
    State(st): State<Clinic>,
    ConnectInfo(addr): ConnectInfo<SocketAddr>,
    Body(b): Body<LoginBody>,
) -> Result<Response, ApiError> {
    let s = st
        .login(
            &b.email,
            &b.password,
            b.code.as_deref(),
            &addr.ip().to_string(),
        )
        .await?;
    let mut r = Json(json!({
        "token": s.token, "csrf": s.csrf, "role": s.role.as_str(), "second_factor": s.second_factor,
    }))
    .into_response();
    if let Ok(v) = HeaderValue::from_str(&session_cookie(&st, &s.token)) {
        r.headers_mut().insert(header::SET_COOKIE, v);
    }
    Ok(r)
}

async fn openapi() -> Json<Value> {
    Json(crate::openapi::document())
}

/// The session cookie for `token`: HttpOnly, SameSite=Strict, Secure behind TLS.
pub(crate) fn session_cookie(st: &Clinic, token: &str) -> String {
    format!(
        "{COOKIE}={token}; HttpOnly; SameSite=Strict; Path=/; Max-Age={}{}",
        cookie_max_age(),
        if st.secure { "; Secure" } else { "" }
    )
}

/// Set up the second factor: a new secret for the authenticator app (as text and as an
/// `otpauth://` address), to be confirmed with a code from it.
async fn totp_setup(State(st): State<Clinic>, s: Session) -> Result<Json<Value>, ApiError> {
    let (secret, uri) = st.totp_setup(&s).await?;
    Ok(Json(json!({ "secret": secret, "uri": uri })))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct CodeBody {
    code: String,
}

async fn totp_confirm(
    State(st): State<Clinic>,
    s: Session,
    Body(b): Body<CodeBody>,
) -> Result<Json<Value>, ApiError> {
    st.totp_confirm(&s, &b.code).await?;
    Ok(Json(json!({ "second_factor": true })))
}

/// The clinic's staff, for its admin: who they are and whether their second factor is set up.
async fn accounts(State(st): State<Clinic>, s: Session) -> Result<Json<Value>, ApiError> {
    let staff = st.staff(&s).await?;
    Ok(Json(json!({ "accounts": staff })))
}

/// An admin resets a staff member's password without seeing it (see [`Clinic::reset_password`]).
async fn reset_password(
    State(st): State<Clinic>,
    s: Session,
    Id(id): Id,
) -> Result<Json<Value>, ApiError> {
    let (code, expires) = st.reset_password(&s, id).await?;
    Ok(Json(json!({ "code": code, "expires_at": expires })))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ResetBody {
    code: String,
    password: String,
}

/// A staff member chooses a new password with a reset code. The second factor is cleared (a
/// lost phone is the usual reason) and is set up again at the next sign-in.
async fn use_reset(
    State(st): State<Clinic>,
    ConnectInfo(addr): ConnectInfo<SocketAddr>,
    Body(b): Body<ResetBody>,
) -> Result<Json<Value>, ApiError> {
    let phc = crate::auth::hash_password(&b.password)?;
    let now = micros(st.now());
    let mut c = st.client().await?;
    let tx = c.transaction().await.map_err(pg)?;
    let row = tx
        .query_opt(
            "UPDATE password_reset SET used_at = $2 WHERE code_hash = $1 AND used_at IS NULL AND expires_at > $2
             RETURNING account_id, clinic_id",
            &[&digest(b.code.trim()), &now],
        )
        .await
        .map_err(pg)?
        .ok_or_else(|| {
            ClinicError::Input("this reset code is unknown, used or expired; ask your clinic's admin for a new one".into())
        })?;
    let id: i64 = row.get(0);
    let role: String = tx
        .query_one(
            "UPDATE account SET password = $2, totp_secret = NULL, totp_pending = NULL, totp_step = NULL
             WHERE id = $1 RETURNING role",
            &[&id, &phc],
        )
        .await
        .map_err(pg)?
        .get(0);
    tx.execute("DELETE FROM session WHERE account_id = $1", &[&id])
        .await
        .map_err(pg)?;
    let actor = Actor {
        clinic: row.get(1),
        account: Some(id),
        role: Role::parse(&role).unwrap_or(Role::Clinician),
        patient: None,
        address: addr.ip().to_string(),
    };
    st.audit(&tx, &actor, "reset", None, "new password chosen")
        .await?;
    tx.commit().await.map_err(pg)?;
    Ok(Json(json!({ "account": id, "second_factor": false })))
}

async fn logout(
    State(st): State<Clinic>,
    headers: axum::http::HeaderMap,
    _s: Session,
) -> Result<Response, ApiError> {
    let token = crate::auth::bearer(&headers)
        .or_else(|| dosewise_web::security::cookie(&headers, COOKIE))
        .unwrap_or_default();
    st.logout(token).await?;
    let mut r = Json(json!({ "signed_out": true })).into_response();
    if let Ok(v) = HeaderValue::from_str(&format!(
        "{COOKIE}=; HttpOnly; SameSite=Strict; Path=/; Max-Age=0"
    )) {
        r.headers_mut().insert(header::SET_COOKIE, v);
    }
    Ok(r)
}

async fn me(State(st): State<Clinic>, s: Session) -> Result<Json<Value>, ApiError> {
    let c = st.client().await?;
    let row = c
        .query_one(
            "SELECT a.name, a.email, c.name FROM account a JOIN clinic c ON c.id = a.clinic_id WHERE a.id = $1",
            &[&s.actor.account],
        )
        .await
        .map_err(pg)?;
    Ok(Json(json!({
        "account": s.actor.account, "role": s.actor.role.as_str(), "name": row.get::<_, String>(0),
        "email": row.get::<_, Option<String>>(1), "clinic": row.get::<_, String>(2), "csrf": s.csrf,
    })))
}

// ---- Invites ----

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct InviteBody {
    role: String,
    /// Days until it expires (1 to 30; default 7).
    days: Option<i64>,
}

async fn invite(
    State(st): State<Clinic>,
    s: Session,
    Body(b): Body<InviteBody>,
) -> Result<Json<Value>, ApiError> {
    let role = Role::parse(&b.role)
        .ok_or_else(|| ClinicError::Input("role is patient, clinician or admin".into()))?;
    let (code, expires) = st.invite(&s, role, b.days.unwrap_or(7)).await?;
    Ok(Json(
        json!({ "code": code, "role": role.as_str(), "expires_at": expires }),
    ))
}

/// The invite a code names, if it is unused and unexpired; marks it used.
async fn take_invite(
    tx: &impl deadpool_postgres::GenericClient,
    code: &str,
    now: Timestamp,
) -> Result<(i64, String, Option<i64>)> {
    let row = tx
        .query_opt(
            "UPDATE invite SET used_at = $2 WHERE code_hash = $1 AND used_at IS NULL AND expires_at > $2
             RETURNING clinic_id, role, clinician_id",
            &[&digest(code.trim()), &micros(now)],
        )
        .await
        .map_err(pg)?
        .ok_or_else(|| {
            ClinicError::Input("this invite code is unknown, used or expired; ask for a new one".into())
        })?;
    Ok((row.get(0), row.get(1), row.get(2)))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct AcceptBody {
    code: String,
    email: String,
    name: String,
    password: String,
}

/// A staff member takes up an invite: an account with a password.
async fn accept(
    State(st): State<Clinic>,
    Body(b): Body<AcceptBody>,
) -> Result<Json<Value>, ApiError> {
    let email = crate::auth::email(&b.email)?;
    let name = dosewise_core::text::label("name", &b.name)
        .map_err(|e| ClinicError::Input(e.to_string()))?;
    let phc = crate::auth::hash_password(&b.password)?;
    let now = st.now();
    let mut c = st.client().await?;
    let tx = c.transaction().await.map_err(pg)?;
    let (clinic, role, _) = take_invite(&tx, &b.code, now).await?;
    if role == "patient" {
        return Err(ClinicError::Input(
            "this is a patient's invite: connect with `dosewise share connect`".into(),
        )
        .into());
    }
    let id: i64 = tx
        .query_one(
            "INSERT INTO account (clinic_id, role, email, name, password, created_at)
             VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (email) DO NOTHING RETURNING id",
            &[&clinic, &role, &email, &name, &phc, &micros(now)],
        )
        .await
        .map_err(|_| ClinicError::Conflict("an account with this email exists".into()))?
        .get(0);
    tx.commit().await.map_err(pg)?;
    Ok(Json(json!({ "account": id, "role": role })))
}

// ---- A patient's device ----

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ConnectBody {
    code: String,
    /// What this device is called in the patient's list ("laptop").
    device: String,
    /// How the clinic sees the patient (a name or initials).
    name: String,
    categories: Vec<Category>,
    /// When sharing ends by itself (none: until revoked).
    ends_at: Option<Timestamp>,
}

async fn connect(
    State(st): State<Clinic>,
    ConnectInfo(addr): ConnectInfo<SocketAddr>,
    Body(b): Body<ConnectBody>,
) -> Result<Json<Value>, ApiError> {
    if b.categories.is_empty() {
        return Err(ClinicError::Input("choose at least one category to share".into()).into());
    }
    let device = dosewise_core::text::label("device", &b.device)
        .map_err(|e| ClinicError::Input(e.to_string()))?;
    let name = dosewise_core::text::label("name", &b.name)
        .map_err(|e| ClinicError::Input(e.to_string()))?;
    let now = st.now();
    if b.ends_at.is_some_and(|e| e <= now) {
        return Err(ClinicError::Input("the end of sharing must be in the future".into()).into());
    }
    let mut categories = b.categories.clone();
    categories.sort();
    categories.dedup();
    let cats: Vec<&str> = categories.iter().map(|c| c.as_str()).collect();
    let device_token = token()?;
    let mut c = st.client().await?;
    let tx = c.transaction().await.map_err(pg)?;
    let (clinic, role, clinician) = take_invite(&tx, &b.code, now).await?;
    let clinician = match (role.as_str(), clinician) {
        ("patient", Some(c)) => c,
        _ => {
            return Err(ClinicError::Input(
                "this is a staff invite: staff sign up with POST /api/v1/accept".into(),
            )
            .into());
        }
    };
    let patient: i64 = tx
        .query_one(
            "INSERT INTO account (clinic_id, role, name, created_at) VALUES ($1, 'patient', $2, $3) RETURNING id",
            &[&clinic, &name, &micros(now)],
        )
        .await
        .map_err(pg)?
        .get(0);
    let device_id: i64 = tx
        .query_one(
            "INSERT INTO device (clinic_id, patient_id, name, created_at) VALUES ($1, $2, $3, $4) RETURNING id",
            &[&clinic, &patient, &device, &micros(now)],
        )
        .await
        .map_err(pg)?
        .get(0);
    tx.execute(
        "INSERT INTO device_token (token_hash, patient_id, device_id) VALUES ($1, $2, $3)",
        &[&digest(&device_token), &patient, &device_id],
    )
    .await
    .map_err(pg)?;
    // The grant is written under the row-level security a connecting device has.
    let actor = Actor {
        clinic,
        account: Some(patient),
        role: Role::Connect,
        patient: Some(patient),
        address: addr.ip().to_string(),
    };
    crate::act_as(&tx, &actor).await?;
    let ends = b.ends_at.map(micros);
    tx.execute(
        "INSERT INTO share_grant (clinic_id, patient_id, clinician_id, categories, starts_at, ends_at, created_at)
         VALUES ($1, $2, $3, $4, $5, $6, $5)",
        &[&clinic, &patient, &clinician, &cats, &micros(now), &ends],
    )
    .await
    .map_err(pg)?;
    st.audit(
        &tx,
        &actor,
        "connect",
        Some(patient),
        &format!("shares {} with clinician {clinician}", cats.join(", ")),
    )
    .await?;
    tx.commit().await.map_err(pg)?;
    let c = st.client().await?;
    let names = c
        .query_one(
            "SELECT c.name, a.name FROM clinic c, account a WHERE c.id = $1 AND a.id = $2",
            &[&clinic, &clinician],
        )
        .await
        .map_err(pg)?;
    Ok(Json(json!({
        "device_token": device_token, "device": device_id, "patient": patient,
        "clinic": names.get::<_, String>(0), "clinician": names.get::<_, String>(1),
        "categories": categories, "ends_at": b.ends_at,
    })))
}

/// What the patient's active grants cover now, and whom they name.
async fn active(
    tx: &impl deadpool_postgres::GenericClient,
    now: Timestamp,
) -> Result<(Vec<Category>, Vec<String>)> {
    let rows = tx
        .query(
            "SELECT g.categories, a.name FROM share_grant g JOIN account a ON a.id = g.clinician_id
             WHERE g.revoked_at IS NULL AND g.starts_at <= $1 AND (g.ends_at IS NULL OR g.ends_at > $1)",
            &[&micros(now)],
        )
        .await
        .map_err(pg)?;
    let mut cats = Vec::new();
    let mut names = Vec::new();
    for r in rows {
        for c in r.get::<_, Vec<String>>(0) {
            if let Ok(c) = c.parse::<Category>() {
                cats.push(c);
            }
        }
        names.push(r.get::<_, String>(1));
    }
    cats.sort();
    cats.dedup();
    names.sort();
    names.dedup();
    Ok((cats, names))
}

async fn sync_state(State(st): State<Clinic>, d: Device) -> Result<Json<SyncState>, ApiError> {
    let mut c = st.client().await?;
    let tx = st.begin(&mut c, &d.actor).await?;
    let (categories, clinicians) = active(&tx, st.now()).await?;
    let row = tx
        .query_one(
            "SELECT d.last_idx, c.name FROM device d JOIN clinic c ON c.id = d.clinic_id
             WHERE d.patient_id = $1 AND d.id = $2",
            &[&d.actor.patient, &d.device],
        )
        .await
        .map_err(pg)?;
    let prescription = tx
        .query_opt("SELECT body FROM prescription", &[])
        .await
        .map_err(pg)?
        .map(|r| serde_json::from_value::<Prescription>(r.get(0)))
        .transpose()
        .map_err(crate::db)?;
    let notes = clinician::notes_in(&tx, d.actor.patient.unwrap_or_default()).await?;
    tx.commit().await.map_err(pg)?;
    // Sharing stopped: nothing more comes down either.
    let (prescription, notes) = if categories.is_empty() {
        (None, vec![])
    } else {
        (prescription, notes)
    };
    Ok(Json(SyncState {
        last_idx: u64::try_from(row.get::<_, i64>(0)).unwrap_or(0),
        categories,
        clinic: row.get(1),
        clinicians,
        prescription,
        notes,
    }))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct PushBody {
    entries: Vec<RawEntry>,
}

/// A [`share::Entry`] as it arrives: its body kept as the text sent (a JSON tree of every record
/// of a batch at once is several times its size; each body is read on its own, in turn).
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawEntry {
    idx: u64,
    kind: String,
    id: i64,
    body: Option<Box<serde_json::value::RawValue>>,
}

/// What every shared record holds, read from its text without building the rest.
#[derive(Debug, Deserialize)]
struct Head {
    /// Not a whole number: not the entry's id.
    #[serde(default, deserialize_with = "whole")]
    id: Option<i64>,
    at: Option<Value>,
    deleted_at: Option<serde::de::IgnoredAny>,
}

/// A whole number, or nothing for any other value (a body's id is compared, not trusted).
fn whole<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<i64>, D::Error> {
    Ok(Value::deserialize(d)?.as_i64())
}

/// A record's text, read straight into its type.
struct Text<'a>(&'a str);

impl share::RecordSource for Text<'_> {
    fn read<T: serde::de::DeserializeOwned>(self) -> Result<T, String> {
        serde_json::from_str(self.0).map_err(|e| e.to_string())
    }
}

/// JSON text stored as it is (PostgreSQL checks and normalises it).
#[derive(Debug)]
struct JsonText<'a>(&'a str);

impl tokio_postgres::types::ToSql for JsonText<'_> {
    fn to_sql(
        &self,
        ty: &tokio_postgres::types::Type,
        out: &mut bytes::BytesMut,
    ) -> Result<tokio_postgres::types::IsNull, Box<dyn std::error::Error + Sync + Send>> {
        use bytes::BufMut;
        if *ty == tokio_postgres::types::Type::JSONB {
            out.put_u8(1); // the binary format's version
        }
        out.put_slice(self.0.as_bytes());
        Ok(tokio_postgres::types::IsNull::No)
    }
    fn accepts(ty: &tokio_postgres::types::Type) -> bool {
        matches!(
            *ty,
            tokio_postgres::types::Type::JSON | tokio_postgres::types::Type::JSONB
        )
    }
    tokio_postgres::types::to_sql_checked!();
}

/// What one entry of a sync batch writes.
enum Op<'a> {
    Put {
        e: &'a RawEntry,
        body: JsonText<'a>,
        idx: i64,
        category: &'static str,
        at_us: Option<i64>,
        deleted: bool,
        /// The triage items it raises, each with when (µs).
        items: Vec<(crate::triage::Item, i64)>,
    },
    Withdraw {
        e: &'a RawEntry,
    },
}

/// Write a batch's operations as four set-wise statements, pipelined (sent together, answered
/// in order): the records withdrawn and the triage items they raised deleted, every record's
/// last state upserted, and the items raised inserted. The same as applying the operations one
/// by one in order: a record sent twice (changed twice between syncs) ends as its last body; a
/// withdrawal first deletes what the record and its items were; the items raised are those of
/// every body sent after the record's last withdrawal (the last body alone could drop an item an
/// earlier one raised). One statement a kind of change instead of one a record: most of a
/// single-row statement's cost in the database is the statement, not the row.
async fn write(
    tx: &deadpool_postgres::Transaction<'_>,
    d: &Device,
    patient: i64,
    ops: &[Op<'_>],
    now: Timestamp,
) -> Result<()> {
    fn key<'a>(op: &Op<'a>) -> (&'a str, i64) {
        match op {
            Op::Put { e, .. } | Op::Withdraw { e } => (e.kind.as_str(), e.id),
        }
    }
    // Where each record's last operation and last withdrawal are in the batch.
    let mut last: HashMap<(&str, i64), usize> = HashMap::new();
    let mut withdrawn: HashMap<(&str, i64), usize> = HashMap::new();
    for (n, op) in ops.iter().enumerate() {
        last.insert(key(op), n);
        if matches!(op, Op::Withdraw { .. }) {
            withdrawn.insert(key(op), n);
        }
    }
    let (gone_kinds, gone_ids): (Vec<&str>, Vec<i64>) = withdrawn.keys().copied().unzip();
    // Records: (kind, id, category, body, idx, at, deleted) of each record's last body.
    let (mut kinds, mut ids, mut categories, mut bodies) = (vec![], vec![], vec![], vec![]);
    let (mut idxs, mut ats, mut deleteds) = (vec![], vec![], vec![]);
    // Items: (kind, urgent, detail, category, source kind, source id, at).
    let (mut i_kinds, mut i_urgent, mut i_details, mut i_categories) =
        (vec![], vec![], vec![], vec![]);
    let (mut i_sources, mut i_source_ids, mut i_ats) = (vec![], vec![], vec![]);
    for (n, op) in ops.iter().enumerate() {
        let Op::Put {
            e,
            body,
            idx,
            category,
            at_us,
            deleted,
            items,
        } = op
        else {
            continue;
        };
        let k = key(op);
        if withdrawn.get(&k).is_some_and(|w| *w > n) {
            continue;
        }
        for (item, at) in items {
            i_kinds.push(item.kind);
            i_urgent.push(item.urgent);
            i_details.push(item.detail.as_str());
            i_categories.push(*category);
            i_sources.push(e.kind.as_str());
            i_source_ids.push(e.id);
            i_ats.push(*at);
        }
        if last.get(&k) == Some(&n) {
            kinds.push(e.kind.as_str());
            ids.push(e.id);
            categories.push(*category);
            bodies.push(JsonText(body.0));
            idxs.push(*idx);
            ats.push(*at_us);
            deleteds.push(*deleted);
        }
    }
    let received = micros(now);
    let (unrecord, unraise, put, raise) = futures_util::try_join!(
        tx.prepare_cached(
            "DELETE FROM record r USING unnest($2::text[], $3::bigint[]) AS u(kind, id)
             WHERE r.patient_id = $1 AND r.kind = u.kind AND r.record_id = u.id"
        ),
        tx.prepare_cached(
            "DELETE FROM triage t USING unnest($2::text[], $3::bigint[]) AS u(kind, id)
             WHERE t.patient_id = $1 AND t.source_kind = u.kind AND t.source_id = u.id"
        ),
        tx.prepare_cached(
            "INSERT INTO record (clinic_id, patient_id, kind, record_id, category, body, idx, device_id, received_at, at_us, deleted)
             SELECT $1, $2, u.kind, u.id, u.category, u.body, u.idx, $3, $4, u.at_us, u.deleted
             FROM unnest($5::text[], $6::bigint[], $7::text[], $8::jsonb[], $9::bigint[], $10::bigint[], $11::bool[])
               AS u(kind, id, category, body, idx, at_us, deleted)
             ON CONFLICT (patient_id, kind, record_id) DO UPDATE
             SET body = excluded.body, idx = excluded.idx, device_id = excluded.device_id,
                 received_at = excluded.received_at, category = excluded.category,
                 at_us = excluded.at_us, deleted = excluded.deleted"
        ),
        tx.prepare_cached(
            "INSERT INTO triage (clinic_id, patient_id, kind, urgent, detail, category, source_kind, source_id, at, created_at)
             SELECT $1, $2, u.kind, u.urgent, u.detail, u.category, u.source_kind, u.source_id, u.at, $3
             FROM unnest($4::text[], $5::bool[], $6::text[], $7::text[], $8::text[], $9::bigint[], $10::bigint[])
               AS u(kind, urgent, detail, category, source_kind, source_id, at)
             ON CONFLICT (patient_id, kind, source_kind, source_id) DO NOTHING"
        ),
    )
    .map_err(pg)?;
    let none = gone_ids.is_empty();
    futures_util::try_join!(
        async {
            if none {
                return Ok(0);
            }
            tx.execute(&unrecord, &[&patient, &gone_kinds, &gone_ids])
                .await
        },
        async {
            if none {
                return Ok(0);
            }
            tx.execute(&unraise, &[&patient, &gone_kinds, &gone_ids])
                .await
        },
        async {
            if ids.is_empty() {
                return Ok(0);
            }
            tx.execute(
                &put,
                &[
                    &d.actor.clinic,
                    &patient,
                    &d.device,
                    &received,
                    &kinds,
                    &ids,
                    &categories,
                    &bodies,
                    &idxs,
                    &ats,
                    &deleteds,
                ],
            )
            .await
        },
        async {
            if i_kinds.is_empty() {
                return Ok(0);
            }
            tx.execute(
                &raise,
                &[
                    &d.actor.clinic,
                    &patient,
                    &received,
                    &i_kinds,
                    &i_urgent,
                    &i_details,
                    &i_categories,
                    &i_sources,
                    &i_source_ids,
                    &i_ats,
                ],
            )
            .await
        },
    )
    .map_err(pg)?;
    Ok(())
}

/// Apply a batch from a device, whole or not at all: entries this device already sent (by
/// number) are skipped, so a retry changes nothing; each record replaces the server's copy; a
/// withdrawal removes it (and the triage items it raised).
async fn push(
    State(st): State<Clinic>,
    d: Device,
    Body(b): Body<PushBody>,
) -> Result<Json<Value>, ApiError> {
    if b.entries.len() > share::BATCH {
        return Err(
            ClinicError::Input(format!("send at most {} records at once", share::BATCH)).into(),
        );
    }
    let now = st.now();
    let mut c = st.client().await?;
    let tx = st.begin(&mut c, &d.actor).await?;
    let last: i64 = tx
        .query_one(
            "SELECT last_idx FROM device WHERE patient_id = $1 AND id = $2 FOR UPDATE",
            &[&d.actor.patient, &d.device],
        )
        .await
        .map_err(pg)?
        .get(0);
    let (categories, _) = active(&tx, now).await?;
    // Readings are held to the prescription's blood-pressure tiers.
    let rx: Option<Prescription> = tx
        .query_opt("SELECT body FROM prescription", &[])
        .await
        .map_err(pg)?
        .and_then(|r| serde_json::from_value(r.get(0)).ok());
    // Every entry is checked for shape before any is applied or skipped: a batch is whole.
    /// The largest number JSON carries exactly (2^53 - 1): record ids and log numbers stay in it.
    const MAX_SAFE: i64 = 9_007_199_254_740_991;
    for e in &b.entries {
        if !(1..=MAX_SAFE).contains(&e.id) || e.idx > MAX_SAFE as u64 {
            return Err(ClinicError::Input(format!(
                "{} {} (number {}): record ids run from 1 and numbers to 2^53 - 1",
                e.kind, e.id, e.idx
            ))
            .into());
        }
        if share::category_of(&e.kind).is_none() {
            return Err(ClinicError::Input(format!(
                "{:?} is not a kind of record that is shared",
                e.kind
            ))
            .into());
        }
        // PostgreSQL's JSON cannot hold a NUL character (in JSON text only ever written
        // \u0000); no journal record has one.
        if e.body.as_ref().is_some_and(|b| b.get().contains("\\u0000")) {
            return Err(ClinicError::Input(format!(
                "{} {}: a record holds a NUL character",
                e.kind, e.id
            ))
            .into());
        }
        if e.body
            .as_ref()
            .is_some_and(|b| !b.get().trim_start().starts_with('{'))
        {
            return Err(ClinicError::Input(format!(
                "{} {}: a record is a JSON object (or null to withdraw it)",
                e.kind, e.id
            ))
            .into());
        }
    }
    let mut entries = b.entries;
    entries.sort_by_key(|e| e.idx);
    let mut high = last;
    let mut touched: Vec<Category> = Vec::new();
    let patient = d.actor.patient.unwrap_or_default();
    // First every entry is checked and turned into what it writes (nothing is written yet)...
    let mut ops: Vec<Op> = Vec::new();
    for e in &entries {
        let idx = i64::try_from(e.idx)
            .map_err(|_| ClinicError::Input("a record number is too large".into()))?;
        if idx <= high {
            continue;
        }
        let category = share::category_of(&e.kind).ok_or_else(|| {
            ClinicError::Input(format!(
                "{:?} is not a kind of record that is shared",
                e.kind
            ))
        })?;
        if !categories.contains(&category) {
            return Err(ClinicError::Conflict(format!(
                "{} are not shared with this clinic now; nothing was written",
                category.as_str()
            ))
            .into());
        }
        match &e.body {
            Some(raw) => {
                // Read once, from the text sent, into its type (a journal of one record: the
                // check that it is one, and what the triage rules read), and let go before the
                // next; the fields every record shares read beside it, skipping the rest.
                let invalid = |err: serde_json::Error| {
                    ClinicError::Input(format!("{} {}: {err}", e.kind, e.id))
                };
                let head: Head = serde_json::from_str(raw.get()).map_err(invalid)?;
                let one = share::journal_from([(e.kind.as_str(), Text(raw.get()))])
                    .map_err(ClinicError::Input)?;
                if head.id != Some(e.id) {
                    return Err(ClinicError::Input(format!(
                        "{} {}: the body's id differs",
                        e.kind, e.id
                    ))
                    .into());
                }
                // When it happened and whether it is deleted, as columns the caseload indexes.
                let at_us = head
                    .at
                    .as_ref()
                    .and_then(Value::as_str)
                    .and_then(|a| a.parse::<Timestamp>().ok())
                    .map(micros);
                let deleted = head.deleted_at.is_some();
                let items = crate::triage::items(&one, rx.as_ref(), now)
                    .into_iter()
                    .map(|i| {
                        let at = micros(i.at);
                        (i, at)
                    })
                    .collect();
                ops.push(Op::Put {
                    e,
                    body: JsonText(raw.get()),
                    idx,
                    category: category.as_str(),
                    at_us,
                    deleted,
                    items,
                });
            }
            None => ops.push(Op::Withdraw { e }),
        }
        high = idx;
        if !touched.contains(&category) {
            touched.push(category);
        }
    }
    // ...then written in the order sent, every statement in one pipeline: a batch of 500 is
    // one wait for the database, not 500.
    let applied = ops.len();
    if applied > 0 {
        write(&tx, &d, patient, &ops, now).await?;
    }
    // The caseload's digest follows in the same transaction. Adherence reads protocols against
    // doses, so a protocol's change refreshes the doses' digest too (if doses are shared).
    if touched.contains(&Category::Protocol)
        && categories.contains(&Category::Doses)
        && !touched.contains(&Category::Doses)
    {
        touched.push(Category::Doses);
    }
    crate::digest::refresh(&tx, &d.actor, patient, &touched, now).await?;
    tx.execute(
        "UPDATE device SET last_idx = $2, last_sync = $3 WHERE patient_id = $4 AND id = $1",
        &[&d.device, &high, &micros(now), &patient],
    )
    .await
    .map_err(pg)?;
    if applied > 0 {
        st.audit(
            &tx,
            &d.actor,
            "sync",
            Some(patient),
            &format!("{applied} records"),
        )
        .await?;
    }
    tx.commit().await.map_err(pg)?;
    Ok(Json(json!({ "last_idx": high, "applied": applied })))
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RevokeBody {
    /// One grant; none: every grant.
    grant: Option<i64>,
}

async fn revoke(
    State(st): State<Clinic>,
    d: Device,
    Body(b): Body<RevokeBody>,
) -> Result<Json<Value>, ApiError> {
    let now = micros(st.now());
    let mut c = st.client().await?;
    let tx = st.begin(&mut c, &d.actor).await?;
    let n = tx
        .execute(
            "UPDATE share_grant SET revoked_at = $1
             WHERE patient_id = $3 AND revoked_at IS NULL AND ($2::bigint IS NULL OR id = $2)",
            &[&now, &b.grant, &d.actor.patient],
        )
        .await
        .map_err(pg)?;
    st.audit(
        &tx,
        &d.actor,
        "revoke",
        d.actor.patient,
        &format!("{n} grants revoked"),
    )
    .await?;
    tx.commit().await.map_err(pg)?;
    Ok(Json(json!({ "revoked": n })))
}

/// Who read or changed what of this patient's, newest first.
async fn share_log(State(st): State<Clinic>, d: Device) -> Result<Json<Value>, ApiError> {
    let mut c = st.client().await?;
    let tx = st.begin(&mut c, &d.actor).await?;
    let rows = tx
        .query(
            "SELECT l.at, l.actor_role, a.name, l.action, l.what FROM audit l
             LEFT JOIN account a ON a.id = l.actor_id ORDER BY l.id DESC LIMIT 1000",
            &[],
        )
        .await
        .map_err(pg)?;
    tx.commit().await.map_err(pg)?;
    let log: Vec<Value> = rows
        .iter()
        .map(|r| {
            json!({ "at": ts(r.get(0)), "role": r.get::<_, String>(1), "who": r.get::<_, Option<String>>(2),
                    "action": r.get::<_, String>(3), "what": r.get::<_, String>(4) })
        })
        .collect();
    Ok(Json(json!({ "log": log })))
}

// ---- The clinician's view (computed in [`crate::clinician`]) ----

/// A page of the caseload, written out straight from its rows (no JSON tree in between).
async fn caseload(
    State(st): State<Clinic>,
    s: Session,
    Query(q): Query<clinician::CaseQuery>,
) -> Result<Json<clinician::CasePage>, ApiError> {
    Ok(Json(clinician::caseload(&st, &s, &q).await?))
}

/// A patient's shared journal, for a clinician with an active grant (else 404).
async fn patient(
    State(st): State<Clinic>,
    s: Session,
    Id(id): Id,
) -> Result<Json<clinician::PatientView>, ApiError> {
    // Written out straight from the typed journal: years of records as a JSON tree first would
    // be several times their size in memory.
    Ok(Json(clinician::patient(&st, &s, id).await?))
}

/// The patient's shared journal as an HL7 FHIR R4 Bundle, for a clinician with an active grant.
async fn patient_fhir(
    State(st): State<Clinic>,
    s: Session,
    Id(id): Id,
) -> Result<Response, ApiError> {
    let b = clinician::fhir(&st, &s, id).await?;
    let mut r = Json(b).into_response();
    r.headers_mut().insert(
        axum::http::header::CONTENT_TYPE,
        axum::http::HeaderValue::from_static("application/fhir+json"),
    );
    Ok(r)
}

/// The patient's prescription, for a clinician with an active grant (else 404).
async fn prescription(
    State(st): State<Clinic>,
    s: Session,
    Id(id): Id,
) -> Result<Json<Value>, ApiError> {
    let rx = clinician::prescription(&st, &s, id).await?;
    Ok(Json(json!({ "patient": id, "prescription": rx })))
}

async fn set_prescription(
    State(st): State<Clinic>,
    s: Session,
    Id(id): Id,
    Body(b): Body<clinician::PrescriptionRequest>,
) -> Result<Json<Value>, ApiError> {
    let rx = clinician::set_prescription(&st, &s, id, &b).await?;
    Ok(Json(json!({ "patient": id, "prescription": rx })))
}

async fn patient_notes(
    State(st): State<Clinic>,
    s: Session,
    Id(id): Id,
) -> Result<Json<Value>, ApiError> {
    let notes = clinician::notes(&st, &s, id).await?;
    Ok(Json(json!({ "patient": id, "notes": notes })))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct NoteBody {
    text: String,
}

async fn write_note(
    State(st): State<Clinic>,
    s: Session,
    Id(id): Id,
    Body(b): Body<NoteBody>,
) -> Result<Json<Value>, ApiError> {
    let note = clinician::write_note(&st, &s, id, &b.text).await?;
    Ok(Json(json!({ "patient": id, "note": note })))
}

/// A page of the triage queue, urgent first, oldest first.
async fn triage_queue(
    State(st): State<Clinic>,
    s: Session,
    Query(q): Query<clinician::PageQuery>,
) -> Result<Json<clinician::TriagePage>, ApiError> {
    Ok(Json(clinician::triage(&st, &s, &q).await?))
}

async fn acknowledge(
    State(st): State<Clinic>,
    s: Session,
    Id(id): Id,
) -> Result<Json<Value>, ApiError> {
    let waited = clinician::acknowledge(&st, &s, id).await?;
    Ok(Json(
        json!({ "acknowledged": id, "waited_minutes": waited }),
    ))
}

/// Serve the API on `listener` until the process is stopped.
pub async fn serve(clinic: Clinic, listener: tokio::net::TcpListener) -> std::io::Result<()> {
    axum::serve(
        listener,
        router(clinic).into_make_service_with_connect_info::<SocketAddr>(),
    )
    .await
}
