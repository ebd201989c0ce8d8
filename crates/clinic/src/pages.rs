//! The clinician's pages, rendered on the server with the local app's conventions: the same
//! stylesheet, a strict Content-Security-Policy (no script but the report's print button, no
//! inline style), escaping by the template engine, forms that carry the session's CSRF token,
//! cross-site requests refused, usable at 360 px and by keyboard and screen reader.
//!
//! Signing in: `/login` (email, password and the authenticator code); a new account is sent to
//! `/second-factor` to set one up before it can see anything. A clinician's day: the caseload
//! (`/`), the triage queue (`/triage`), a patient (`/patients/{id}`: timeline, insights, the
//! report) and the prescription editor (`/patients/{id}/prescription`). An admin manages staff
//! at `/accounts`. Everything is read and written through [`crate::clinician`], as the JSON
//! API is, so both show the same thing and audit it the same way.

use crate::auth::{COOKIE, ENROL_PATHS, Session, address};
use crate::clinician::{self, PrescriptionRequest, Sort, TriageItem};
use crate::{Clinic, ClinicError, Result, Role};
use axum::Router;
use axum::body::Bytes;
use axum::extract::{FromRequest, FromRequestParts, Path, Query, Request, State};
use axum::http::header::{self, HeaderMap, HeaderValue};
use axum::http::{StatusCode, request::Parts};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{MethodRouter, get, post};
use dosewise_core::jiff::Timestamp;
use dosewise_core::jiff::tz::TimeZone;
use dosewise_core::prescription::Prescription;
use dosewise_web::security::{parse_form, same};
use maud::{DOCTYPE, Markup, PreEscaped, html};
use serde::Deserialize;

/// The cookie that stands in for a session's CSRF token on the login form.
const LOGIN_CSRF: &str = "dosewise_clinic_login";
/// The largest form accepted.
const FORM_LIMIT: usize = 64 * 1024;

/// Every page and form (method, path). The router is built from this list, so the access-control
/// matrix that walks it (`every_page_against_every_role` in the clinic tests) cannot miss one.
pub const ROUTES: [(&str, &str); 20] = [
    ("get", "/static/style.css"),
    ("get", "/static/print.js"),
    ("get", "/login"),
    ("post", "/login"),
    ("post", "/logout"),
    ("get", "/second-factor"),
    ("post", "/second-factor"),
    ("get", "/"),
    ("get", "/triage"),
    ("post", "/triage/{id}/ack"),
    ("post", "/invite"),
    ("get", "/patients/{id}"),
    ("get", "/patients/{id}/report"),
    ("get", "/patients/{id}/fhir"),
    ("post", "/patients/{id}/notes"),
    ("get", "/patients/{id}/prescription"),
    ("post", "/patients/{id}/prescription"),
    ("get", "/accounts"),
    ("post", "/accounts/invite"),
    ("post", "/accounts/{id}/reset"),
];

/// The handler of one entry of [`ROUTES`].
fn handler(method: &str, path: &str) -> MethodRouter<Clinic> {
    match (method, path) {
        ("get", "/static/style.css") => get(style),
        ("get", "/static/print.js") => get(print_js),
        ("get", "/login") => get(login_page),
        ("post", "/login") => post(login_submit),
        ("post", "/logout") => post(logout),
        ("get", "/second-factor") => get(second_factor),
        ("post", "/second-factor") => post(second_factor_submit),
        ("get", "/") => get(caseload),
        ("get", "/triage") => get(triage),
        ("post", "/triage/{id}/ack") => post(acknowledge),
        ("post", "/invite") => post(invite_patient),
        ("get", "/patients/{id}") => get(patient),
        ("get", "/patients/{id}/report") => get(report),
        ("get", "/patients/{id}/fhir") => get(fhir_download),
        ("post", "/patients/{id}/notes") => post(note_submit),
        ("get", "/patients/{id}/prescription") => get(prescription),
        ("post", "/patients/{id}/prescription") => post(prescription_submit),
        ("get", "/accounts") => get(accounts),
        ("post", "/accounts/invite") => post(invite_staff),
        ("post", "/accounts/{id}/reset") => post(reset),
        _ => unreachable!("ROUTES lists {method} {path} but no page handles it"),
    }
}

pub fn routes() -> Router<Clinic> {
    ROUTES
        .iter()
        .fold(Router::new(), |r, (m, p)| r.route(p, handler(m, p)))
}

async fn style() -> Response {
    dosewise_web::static_file(dosewise_web::STYLE, "text/css; charset=utf-8")
}

async fn print_js() -> Response {
    dosewise_web::static_file(dosewise_web::PRINT_JS, "text/javascript; charset=utf-8")
}

// ---- Layout ----

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Nav {
    Caseload,
    Triage,
    Accounts,
    None,
}

fn head(title: &str) -> Markup {
    html! {
        head {
            meta charset="utf-8";
            meta name="viewport" content="width=device-width, initial-scale=1";
            meta name="referrer" content="same-origin";
            link rel="icon" href="data:,";
            title { (title) " · Dosewise clinic" }
            link rel="stylesheet" href="/static/style.css";
        }
    }
}

/// A page for a signed-in member of staff, with the navigation their role has.
fn page(s: &Session, title: &str, current: Nav, body: Markup) -> Markup {
    let links: &[(Nav, &str, &str)] = match s.actor.role {
        Role::Admin => &[(Nav::Accounts, "/accounts", "Staff")],
        _ => &[
            (Nav::Caseload, "/", "Caseload"),
            (Nav::Triage, "/triage", "Triage"),
        ],
    };
    html! {
        (DOCTYPE)
        html lang="en" {
            (head(title))
            body {
                a.skip href="#main" { "Skip to content" }
                header {
                    nav aria-label="Main" {
                        ul {
                            @if s.second_factor {
                                @for (n, href, label) in links {
                                    li {
                                        @if *n == current {
                                            a href=(href) aria-current="page" { (label) }
                                        } @else {
                                            a href=(href) { (label) }
                                        }
                                    }
                                }
                            }
                            li {
                                form.inline method="post" action="/logout" {
                                    (csrf(s))
                                    button.secondary type="submit" { "Sign out" }
                                }
                            }
                        }
                    }
                }
                main #main { (body) }
                footer {
                    p { "Dosewise clinic. What a patient shares is theirs: they choose what, and can stop at any time. Every read is logged and shown to them." }
                }
            }
        }
    }
}

/// A page without navigation (signing in, errors before a session).
fn bare(title: &str, body: Markup) -> Markup {
    html! {
        (DOCTYPE)
        html lang="en" {
            (head(title))
            body { main #main { (body) } }
        }
    }
}

fn csrf(s: &Session) -> Markup {
    html! { input type="hidden" name="csrf" value=(s.csrf); }
}

fn error_box(msg: Option<&str>) -> Markup {
    html! {
        @if let Some(m) = msg {
            div.error role="alert" { strong { "Not saved: " } (m) }
        }
    }
}

/// A time as the clinic reads it: in the server's zone.
fn when(t: Timestamp) -> String {
    dosewise_core::when::local_text(t, &TimeZone::system())
}

fn mg(v: f64) -> String {
    let s = format!("{v:.2}");
    let s = s.trim_end_matches('0').trim_end_matches('.');
    format!("{s} mg")
}

/// An error as a page, with the API's status codes (404 for what is not the caller's).
struct PageError(ClinicError);

impl From<ClinicError> for PageError {
    fn from(e: ClinicError) -> Self {
        PageError(e)
    }
}

impl IntoResponse for PageError {
    fn into_response(self) -> Response {
        match self.0 {
            ClinicError::Unauthorized => Redirect::to("/login").into_response(),
            ClinicError::SecondFactor => Redirect::to("/second-factor").into_response(),
            e => {
                let (status, _) = crate::api::status(&e);
                let message = match &e {
                    ClinicError::NotFound => "there is nothing here for you".to_string(),
                    e => crate::api::told(e),
                };
                let body = html! {
                    h1 { "Not done" }
                    div.error role="alert" { (message) }
                    p { a href="/" { "Back to the start" } }
                };
                (status, bare("Not done", body)).into_response()
            }
        }
    }
}

type PageResult = std::result::Result<Response, PageError>;

// ---- Who is asking ----

/// A state-changing request from another site: refused (the cookie is SameSite=Strict, and
/// the Origin must be this server).
fn foreign(headers: &HeaderMap) -> bool {
    let cross = headers
        .get("sec-fetch-site")
        .is_some_and(|v| v.as_bytes() == b"cross-site");
    let origin = headers.get(header::ORIGIN).and_then(|o| o.to_str().ok());
    let host = headers
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .unwrap_or("");
    let other = origin.is_some_and(|o| {
        o.strip_prefix("http://")
            .or_else(|| o.strip_prefix("https://"))
            .is_none_or(|o| !o.eq_ignore_ascii_case(host))
    });
    cross || other
}

/// A signed-in member of staff, by the session cookie. No session: to `/login`; no second
/// factor yet: to `/second-factor`.
struct Staff(Session);

impl FromRequestParts<Clinic> for Staff {
    type Rejection = PageError;
    async fn from_request_parts(parts: &mut Parts, st: &Clinic) -> Result<Self, PageError> {
        if parts
            .headers
            .get("sec-fetch-site")
            .is_some_and(|v| v.as_bytes() == b"cross-site")
        {
            return Err(ClinicError::Input("requests from other sites are refused".into()).into());
        }
        let token = dosewise_web::security::cookie(&parts.headers, COOKIE)
            .ok_or(ClinicError::Unauthorized)?
            .to_string();
        let s = st.session(&token, address(&parts.extensions)).await?;
        if s.actor.role == Role::Patient {
            return Err(ClinicError::NotFound.into());
        }
        if !s.second_factor && !ENROL_PATHS.contains(&parts.uri.path()) {
            return Err(ClinicError::SecondFactor.into());
        }
        Ok(Staff(Session {
            by_cookie: true,
            ..s
        }))
    }
}

/// A form posted by a signed-in member of staff: same-site, with the session's CSRF token.
struct StaffForm {
    s: Session,
    form: dosewise_web::security::FormData,
}

async fn form_of(req: Request, st: &Clinic) -> Result<Vec<(String, String)>, PageError> {
    let bytes = Bytes::from_request(req, st)
        .await
        .map_err(|_| ClinicError::Input("the form could not be read".into()))?;
    if bytes.len() > FORM_LIMIT {
        return Err(ClinicError::Input("the form is too large".into()).into());
    }
    parse_form(&bytes).map_err(|e| ClinicError::Input(e).into())
}

impl FromRequest<Clinic> for StaffForm {
    type Rejection = PageError;
    async fn from_request(req: Request, st: &Clinic) -> Result<Self, PageError> {
        if foreign(req.headers()) {
            return Err(ClinicError::Input("requests from other sites are refused".into()).into());
        }
        let (mut parts, body) = req.into_parts();
        let Staff(s) = Staff::from_request_parts(&mut parts, st).await?;
        let form =
            dosewise_web::security::FormData(form_of(Request::from_parts(parts, body), st).await?);
        if !form.raw("csrf").is_some_and(|t| same(t, &s.csrf)) {
            return Err(ClinicError::Input(
                "this form has expired or did not come from this site; reload the page and try again".into(),
            )
            .into());
        }
        Ok(StaffForm { s, form })
    }
}

fn html_response(status: StatusCode, m: Markup) -> Response {
    (status, Html(m.into_string())).into_response()
}

// ---- Signing in ----

#[derive(Debug, Default, Deserialize)]
struct LoginQuery {
    reset: Option<String>,
}

fn login_form(token: &str, email: &str, error: Option<&str>, note: Option<&str>) -> Markup {
    bare(
        "Sign in",
        html! {
            h1 { "Dosewise clinic: sign in" }
            @if let Some(n) = note { p.ok role="status" { (n) } }
            @if let Some(e) = error { div.error role="alert" { (e) } }
            form method="post" action="/login" {
                input type="hidden" name="csrf" value=(token);
                label for="email" { "Email" }
                input #email type="email" name="email" autocomplete="username" required value=(email);
                label for="password" { "Password" }
                input #password type="password" name="password" autocomplete="current-password" required;
                label for="code" { "Code from your authenticator app" }
                p.hint #code-hint { "Six digits. Leave it empty only the first time you sign in, before you have set one up." }
                input #code type="text" name="code" inputmode="numeric" autocomplete="one-time-code" pattern="[0-9 ]*" maxlength="8" aria-describedby="code-hint";
                button type="submit" { "Sign in" }
            }
            p.muted { "Forgot your password or lost your phone? Ask your clinic's admin for a reset code." }
        },
    )
}

fn login_response(status: StatusCode, body: Markup, token: &str) -> Response {
    let mut r = html_response(status, body);
    if let Ok(v) = HeaderValue::from_str(&format!(
        "{LOGIN_CSRF}={token}; HttpOnly; SameSite=Strict; Path=/login"
    )) {
        r.headers_mut().append(header::SET_COOKIE, v);
    }
    r
}

async fn login_page(Query(q): Query<LoginQuery>) -> PageResult {
    let token = crate::auth::token()?;
    let note = q.reset.is_some().then_some(
        "Your new password is set. Sign in with it; you will set up the second factor again.",
    );
    Ok(login_response(
        StatusCode::OK,
        login_form(&token, "", None, note),
        &token,
    ))
}

async fn login_submit(State(st): State<Clinic>, req: Request) -> PageResult {
    if foreign(req.headers()) {
        return Err(ClinicError::Input("requests from other sites are refused".into()).into());
    }
    let address = address(req.extensions());
    let cookie = dosewise_web::security::cookie(req.headers(), LOGIN_CSRF).map(str::to_string);
    let form = dosewise_web::security::FormData(form_of(req, &st).await?);
    let email = form.get("email").unwrap_or_default();
    let fresh = crate::auth::token()?;
    let sent = form.raw("csrf").unwrap_or("");
    if !cookie.is_some_and(|c| same(&c, sent)) {
        return Ok(login_response(
            StatusCode::BAD_REQUEST,
            login_form(
                &fresh,
                &email,
                Some("This form has expired; enter your details again."),
                None,
            ),
            &fresh,
        ));
    }
    // As typed: spaces in a password count (as the API takes it).
    let password = form.raw("password").unwrap_or_default();
    let code = form.get("code").filter(|c| !c.trim().is_empty());
    match st.login(&email, password, code.as_deref(), &address).await {
        Ok(s) => {
            let to = if s.second_factor {
                "/"
            } else {
                "/second-factor"
            };
            let mut r = Redirect::to(to).into_response();
            if let Ok(v) = HeaderValue::from_str(&crate::api::session_cookie(&st, &s.token)) {
                r.headers_mut().append(header::SET_COOKIE, v);
            }
            Ok(r)
        }
        Err(e @ (ClinicError::Input(_) | ClinicError::TooMany(_))) => {
            let status = if matches!(e, ClinicError::TooMany(_)) {
                StatusCode::TOO_MANY_REQUESTS
            } else {
                StatusCode::BAD_REQUEST
            };
            Ok(login_response(
                status,
                login_form(&fresh, &email, Some(&e.to_string()), None),
                &fresh,
            ))
        }
        Err(e) => Err(e.into()),
    }
}

async fn logout(State(st): State<Clinic>, f: StaffForm) -> PageResult {
    st.end_session(&f.s).await?;
    let mut r = Redirect::to("/login").into_response();
    if let Ok(v) = HeaderValue::from_str(&format!(
        "{COOKIE}=; HttpOnly; SameSite=Strict; Path=/; Max-Age=0"
    )) {
        r.headers_mut().insert(header::SET_COOKIE, v);
    }
    Ok(r)
}

/// The secret as a QR code (an inline SVG: no script, no image request).
fn qr(text: &str) -> Markup {
    use qrcodegen::{QrCode, QrCodeEcc};
    let Ok(code) = QrCode::encode_text(text, QrCodeEcc::Medium) else {
        return html! {};
    };
    let n = code.size();
    let mut path = String::new();
    for y in 0..n {
        for x in 0..n {
            if code.get_module(x, y) {
                path.push_str(&format!("M{},{}h1v1h-1z", x + 4, y + 4));
            }
        }
    }
    let side = n + 8;
    html! {
        svg.qr xmlns="http://www.w3.org/2000/svg" viewBox=(format!("0 0 {side} {side}")) width="240" height="240" role="img" aria-label="QR code of the secret for your authenticator app" {
            rect width=(side) height=(side) fill="#fff" {}
            path d=(path) fill="#000" {}
        }
    }
}

async fn second_factor(Staff(s): Staff) -> PageResult {
    let body = html! {
        h1 { "Set up your second factor" }
        @if s.second_factor {
            p.ok role="status" { "Your second factor is set up. Setting it up again replaces it: the old app entry stops working." }
        } @else {
            p { "Before you can see any patient, set up a code app (an authenticator such as FreeOTP, Aegis, Google Authenticator or 1Password). Each time you sign in you will enter the six-digit code it shows." }
        }
        form method="post" action="/second-factor" {
            (csrf(&s))
            input type="hidden" name="action" value="setup";
            button type="submit" { "Show a new secret" }
        }
    };
    Ok(html_response(
        StatusCode::OK,
        page(&s, "Second factor", Nav::None, body),
    ))
}

fn confirm_form(s: &Session, secret: &str, uri: &str, error: Option<&str>) -> Markup {
    html! {
        h1 { "Set up your second factor" }
        ol {
            li { "Scan this code with your authenticator app, or type the secret into it." }
            li { "Enter the six-digit code the app shows, to confirm." }
        }
        (qr(uri))
        p { "Secret: " code { (secret) } }
        @if let Some(e) = error { div.error role="alert" { (e) } }
        form method="post" action="/second-factor" {
            (csrf(s))
            input type="hidden" name="action" value="confirm";
            label for="code" { "Code from the app" }
            input #code type="text" name="code" inputmode="numeric" autocomplete="one-time-code" pattern="[0-9 ]*" maxlength="8" required;
            button type="submit" { "Confirm" }
        }
    }
}

async fn second_factor_submit(State(st): State<Clinic>, f: StaffForm) -> PageResult {
    let s = &f.s;
    match f.form.raw("action") {
        Some("setup") => {
            let (secret, uri) = st.totp_setup(s).await?;
            Ok(html_response(
                StatusCode::OK,
                page(
                    s,
                    "Second factor",
                    Nav::None,
                    confirm_form(s, &secret, &uri, None),
                ),
            ))
        }
        Some("confirm") => {
            let code = f.form.get("code").unwrap_or_default();
            match st.totp_confirm(s, &code).await {
                Ok(()) => Ok(Redirect::to("/").into_response()),
                Err(ClinicError::Input(m)) => {
                    let (secret, uri) = st.totp_pending(s).await?;
                    Ok(html_response(
                        StatusCode::BAD_REQUEST,
                        page(
                            s,
                            "Second factor",
                            Nav::None,
                            confirm_form(s, &secret, &uri, Some(&m)),
                        ),
                    ))
                }
                Err(e) => Err(e.into()),
            }
        }
        _ => Err(ClinicError::Input("unknown action".into()).into()),
    }
}

// ---- The caseload ----

/// The caseload page's address: lenient, since a hand-edited address deserves a page, not an
/// error (a sort it does not know is the default one, a page it cannot read the first).
#[derive(Debug, Default, Deserialize)]
struct CaseloadQuery {
    sort: Option<String>,
    page: Option<String>,
    per_page: Option<String>,
    q: Option<String>,
    invite: Option<String>,
}

/// A column's heading, and whether its order runs upward (A to Z, soonest first).
fn heading(s: Sort) -> (&'static str, bool) {
    match s {
        Sort::Name => ("Patient", true),
        Sort::Flags => ("Open flags", false),
        Sort::Dose => ("Last dose", false),
        Sort::Week => ("Last 7 days", false),
        Sort::Plan => ("Plan, 28 days", true),
        Sort::Checkin => ("Last check-in", false),
        Sort::Scores => ("PHQ-9 / GAD-7", false),
        Sort::Refill => ("Next refill", true),
    }
}

/// A page number from an address: what does not read as one is the first page.
fn page_number(raw: Option<&str>) -> u32 {
    raw.and_then(|p| p.parse().ok())
        .filter(|&p| p > 0)
        .unwrap_or(1)
}

/// Links to the pages either side of `page` of `pages` (nothing when there is one page).
fn pager(label: &str, page: u32, pages: i64, href: impl Fn(u32) -> String) -> Markup {
    html! {
        @if pages > 1 {
            nav.noprint.pages aria-label=(label) {
                @if page > 1 { a rel="prev" href=(href(page - 1)) { "← Previous" } " " }
                span { "Page " (page) " of " (pages) }
                @if i64::from(page) < pages { " " a rel="next" href=(href(page + 1)) { "Next →" } }
            }
        }
    }
}

/// What a page past the last says instead of rows: which page is the last.
fn past_the_last(page: u32, pages: i64, href: impl Fn(u32) -> String) -> Markup {
    html! {
        p { "There is no page " (page) "; the last is " a href=(href(u32::try_from(pages).unwrap_or(1))) { "page " (pages) } "." }
    }
}

/// The caseload's address for a sort, a name filter, a page and its length.
fn caseload_href(sort: Sort, q: Option<&str>, page: u32, per_page: u32) -> String {
    let mut pairs = vec![("sort", sort.key().to_string())];
    if let Some(q) = q {
        pairs.push(("q", q.to_string()));
    }
    if page > 1 {
        pairs.push(("page", page.to_string()));
    }
    if per_page != clinician::PER_PAGE {
        pairs.push(("per_page", per_page.to_string()));
    }
    format!(
        "/?{}",
        serde_urlencoded::to_string(pairs).unwrap_or_default()
    )
}

fn score(c: &Option<dosewise_core::questionnaire::Change>) -> Markup {
    html! {
        @match c {
            Some(c) => {
                (c.latest)
                span.muted { " (from " (c.baseline) ", " (format!("{:+}", c.change)) ")" }
                @if c.remission { " " span.badge { "remission" } }
                @else if c.response { " " span.badge { "response" } }
            }
            None => { span.muted { "–" } }
        }
    }
}

async fn caseload(
    State(st): State<Clinic>,
    Staff(s): Staff,
    Query(q): Query<CaseloadQuery>,
) -> PageResult {
    if s.actor.role == Role::Admin {
        return Ok(Redirect::to("/accounts").into_response());
    }
    let asked = clinician::CaseQuery {
        sort: q
            .sort
            .as_deref()
            .and_then(Sort::from_key)
            .unwrap_or_default(),
        page: Some(page_number(q.page.as_deref())),
        per_page: q
            .per_page
            .as_deref()
            .and_then(|p| p.parse().ok())
            .filter(|p| (1..=clinician::PER_PAGE).contains(p)),
        q: q.q.clone(),
    };
    let v = clinician::caseload(&st, &s, &asked).await?;
    let key = v.sort;
    let rows = &v.patients;
    let filter = v.q.as_deref();
    let first = clinician::offset(v.page, v.per_page) + 1;
    let body = html! {
        h1 { "Caseload" }
        p.muted {
            @match (filter, v.total) {
                (Some(f), 1) => { "1 patient named like “" (f) "” shares with you." }
                (Some(f), n) => { (n) " patients named like “" (f) "” share with you." }
                (None, 1) => { "1 patient shares with you." }
                (None, n) => { (n) " patients share with you." }
            }
            @if v.pages > 1 && !rows.is_empty() {
                " Showing " (first) "–" (first + rows.len() as i64 - 1) ", sorted by " (heading(key).0.to_lowercase()) "."
            } @else {
                " Sorted by " (heading(key).0.to_lowercase()) "."
            }
        }
        @if let Some(code) = &q.invite {
            div.ok role="status" {
                p { strong { "Invite code for a patient: " } code { (code) } }
                p { "Give it to the patient in person or by a channel you trust. On their computer: " code { "dosewise share connect ADDRESS --code CODE" } " (or the Share page of their app). It works once, within 7 days." }
            }
        }
        form.noprint method="get" action="/" {
            label for="q" { "Find a patient" }
            input #q type="search" name="q" value=[filter] maxlength=(dosewise_core::text::MAX_LABEL_CHARS) autocomplete="off";
            label for="sort" { "Sort by" }
            select #sort name="sort" {
                @for k in Sort::ALL { option value=(k.key()) selected[k == key] { (heading(k).0) } }
            }
            " " button.secondary type="submit" { "Show" }
        }
        @if rows.is_empty() && v.total > 0 {
            (past_the_last(v.page, v.pages, |n| caseload_href(key, filter, n, v.per_page)))
        }
        div.table-wrap {
            table.stack {
                thead { tr {
                    @for k in Sort::ALL {
                        th scope="col" aria-sort=[(k == key).then_some(if heading(k).1 { "ascending" } else { "descending" })] {
                            a href=(caseload_href(k, filter, 1, v.per_page)) { (heading(k).0) }
                        }
                    }
                } }
                tbody {
                    @for r in rows {
                        tr {
                            td data-label="Patient" { a href=(format!("/patients/{}", r.patient)) { (r.name) } }
                            td data-label="Open flags" {
                                @if r.urgent_triage > 0 { span.badge.refuse { (r.urgent_triage) " urgent" } " " }
                                @if r.open_triage > 0 { (r.open_triage) " open" } @else { span.muted { "none" } }
                            }
                            td data-label="Last dose" {
                                @match (r.last_dose, r.last_dose_mg) {
                                    (Some(t), Some(m)) => { (mg(m)) ", " (when(t)) }
                                    _ => { span.muted { "none shared" } }
                                }
                            }
                            td data-label="Last 7 days" {
                                (r.doses_7d) " dose" @if r.doses_7d != 1 { "s" } ", " (mg(r.mg_7d))
                                span.muted { " (week before: " (mg(r.mg_prev_7d)) ")" }
                                @if let Some(l) = r.limit_7d_mg {
                                    @if r.mg_7d > l { " " span.badge.refuse { "over the " (mg(l)) " limit" } }
                                    @else { span.muted { "; limit " (mg(l)) } }
                                }
                            }
                            td data-label="Plan, 28 days" {
                                @match r.adherence {
                                    Some(a) => {
                                        @if a.planned_days > 0 {
                                            (a.planned_days_dosed) " of " (a.planned_days) " planned days"
                                        } @else { "as needed" }
                                        @if a.off_plan_doses > 0 { " " span.badge.warning { (a.off_plan_doses) " off-plan" } }
                                    }
                                    None => { span.muted { "no plan shared" } }
                                }
                            }
                            td data-label="Last check-in" {
                                @match r.days_since_checkin {
                                    Some(0) => { "today" }
                                    Some(1) => { "yesterday" }
                                    Some(d) => { @if d >= 3 { span.badge.warning { (d) " days ago" } } @else { (d) " days ago" } }
                                    None => { span.muted { "none shared" } }
                                }
                            }
                            td data-label="PHQ-9 / GAD-7" { "PHQ-9 " (score(&r.phq9)) br; "GAD-7 " (score(&r.gad7)) }
                            td data-label="Next refill" { (r.next_refill.as_deref().unwrap_or("–")) }
                        }
                    }
                }
            }
        }
        (pager("Pages of the caseload", v.page, v.pages, |n| caseload_href(key, filter, n, v.per_page)))
        @if v.total == 0 {
            @if filter.is_some() { p { "No patient sharing with you has a name like that. " a href="/" { "Show everyone" } "." } }
            @else { p { "No patient shares with you yet. Invite one below." } }
        }
        h2 { "Invite a patient" }
        form method="post" action="/invite" {
            (csrf(&s))
            button type="submit" { "Make an invite code" }
        }
        p.muted { "Response: PHQ-9 or GAD-7 at least 50 % below the first score shared; remission: below 5 after a first score of 10 or more (the conventions of Hull 2022)." }
    };
    Ok(html_response(
        StatusCode::OK,
        page(&s, "Caseload", Nav::Caseload, body),
    ))
}

async fn invite_patient(State(st): State<Clinic>, f: StaffForm) -> PageResult {
    clinician::clinician(&f.s)?;
    let (code, _) = st.invite(&f.s, Role::Patient, 7).await?;
    Ok(Redirect::to(&format!("/?invite={code}")).into_response())
}

// ---- Triage ----

fn triage_list(s: &Session, items: &[TriageItem], back: &str) -> Markup {
    html! {
        @if items.is_empty() { p { "Nothing waits for you." } }
        ul.findings {
            @for i in items {
                li class=(if i.urgent { "finding refuse" } else { "finding warning" }) {
                    @if i.urgent { span.badge.refuse { "Urgent" } " " }
                    strong { a href=(format!("/patients/{}", i.patient)) { (i.name) } } ": " (i.detail)
                    p.muted { (kind_label(&i.kind)) " · " (when(i.at)) " · waiting " (waited(i.waiting_minutes)) }
                    form.inline method="post" action=(format!("/triage/{}/ack", i.id)) {
                        (csrf(s))
                        input type="hidden" name="back" value=(back);
                        button.secondary type="submit" aria-label=(format!("Acknowledge: {} — {}", i.name, kind_label(&i.kind))) { "Acknowledge" }
                    }
                }
            }
        }
    }
}

fn kind_label(kind: &str) -> String {
    crate::triage::label(kind).to_string()
}

fn waited(minutes: i64) -> String {
    match minutes {
        m if m < 60 => format!("{m} min"),
        m if m < 48 * 60 => format!("{} h {} min", m / 60, m % 60),
        m => format!("{} days", m / (24 * 60)),
    }
}

#[derive(Debug, Default, Deserialize)]
struct TriageQuery {
    page: Option<String>,
}

async fn triage(
    State(st): State<Clinic>,
    Staff(s): Staff,
    Query(q): Query<TriageQuery>,
) -> PageResult {
    let asked = clinician::PageQuery {
        page: Some(page_number(q.page.as_deref())),
        per_page: None,
    };
    let v = clinician::triage(&st, &s, &asked).await?;
    let here = triage_href(v.page);
    let body = html! {
        h1 { "Triage" }
        p { (v.total) " open, " (v.urgent) " urgent. Urgent items (PHQ-9 item 9 above 0) stay at the top until a clinician acknowledges them; acknowledging records who and when." }
        @if v.items.is_empty() && v.total > 0 {
            (past_the_last(v.page, v.pages, triage_href))
        } @else {
            (triage_list(&s, &v.items, &here))
        }
        (pager("Pages of the triage queue", v.page, v.pages, triage_href))
    };
    Ok(html_response(
        StatusCode::OK,
        page(&s, "Triage", Nav::Triage, body),
    ))
}

/// A page of the triage queue's address.
fn triage_href(page: u32) -> String {
    if page > 1 {
        format!("/triage?page={page}")
    } else {
        "/triage".to_string()
    }
}

/// Where acknowledging an item goes back to: a page of the queue, or a patient's page.
fn back_after_acknowledging(b: &str) -> bool {
    let digits = |s: &str| !s.is_empty() && s.len() <= 10 && s.bytes().all(|c| c.is_ascii_digit());
    b == "/triage"
        || b.strip_prefix("/triage?page=").is_some_and(digits)
        || b.strip_prefix("/patients/").is_some_and(digits)
}

async fn acknowledge(State(st): State<Clinic>, Path(id): Path<i64>, f: StaffForm) -> PageResult {
    clinician::acknowledge(&st, &f.s, id).await?;
    let back = f
        .form
        .raw("back")
        .filter(|b| back_after_acknowledging(b))
        .unwrap_or("/triage");
    Ok(Redirect::to(back).into_response())
}

// ---- A patient ----

#[derive(Debug, Default, Deserialize)]
struct PeriodQuery {
    from: Option<String>,
    to: Option<String>,
    /// A note was just sent.
    note: Option<String>,
}

fn notes_section(
    s: &Session,
    id: i64,
    notes: &[dosewise_core::share::ClinicNote],
    sent: bool,
    error: Option<&str>,
    draft: &str,
) -> Markup {
    html! {
        h2 #notes { "Notes to the patient" }
        @if sent { p.ok role="status" { "Sent. It appears on the patient's Today after their next sync." } }
        (error_box(error))
        form method="post" action=(format!("/patients/{id}/notes")) {
            (csrf(s))
            label for="note-text" { "A note for the patient" }
            p.hint #note-hint { "Shown on their Today, apart from their own entries. Not for emergencies: they may not sync for days." }
            textarea #note-text name="text" maxlength=(dosewise_core::text::MAX_NOTE_CHARS) required aria-describedby="note-hint" { (draft) }
            button type="submit" { "Send the note" }
        }
        @for n in notes.iter().take(5) {
            div.card { p { (n.text) } p.muted { (n.author) ", " (when(n.at)) } }
        }
    }
}

async fn note_submit(State(st): State<Clinic>, Path(id): Path<i64>, f: StaffForm) -> PageResult {
    let text = f.form.get("text").unwrap_or_default();
    match clinician::write_note(&st, &f.s, id, &text).await {
        Ok(_) => Ok(Redirect::to(&format!("/patients/{id}?note=sent#notes")).into_response()),
        Err(ClinicError::Input(m)) => {
            let notes = clinician::notes(&st, &f.s, id).await?;
            let body = notes_section(&f.s, id, &notes, false, Some(&m), &text);
            Ok(html_response(
                StatusCode::BAD_REQUEST,
                page(&f.s, "Notes", Nav::Caseload, body),
            ))
        }
        Err(e) => Err(e.into()),
    }
}

/// The patient's shared journal in a throwaway in-memory journal, so that the local app's own
/// insights and report run on it unchanged.
async fn scratch(
    j: &dosewise_core::journal::Journal,
) -> Result<dosewise_store_sqlite::SqliteStore> {
    use dosewise_store::Store;
    let store = dosewise_store_sqlite::SqliteStore::memory()
        .await
        .map_err(crate::db)?;
    store.import(j).await.map_err(crate::db)?;
    Ok(store)
}

async fn patient(
    State(st): State<Clinic>,
    Staff(s): Staff,
    Path(id): Path<i64>,
    Query(q): Query<PeriodQuery>,
) -> PageResult {
    let v = clinician::patient(&st, &s, id).await?;
    let notes = clinician::notes(&st, &s, id).await?;
    let flags = clinician::triage_of(&st, &s, Some(id), &clinician::PageQuery::default()).await?;
    let now = st.now();
    let tz = TimeZone::system();
    let store = scratch(&v.journal).await?;
    let insights =
        dosewise_app::insights::insights(&store, q.from.as_deref(), q.to.as_deref(), now, &tz)
            .await;
    let j = &v.journal;
    let body = html! {
        h1 { (v.name) }
        p.muted { "Shares: " (v.categories.join(", ")) "." }
        p {
            a.button href=(format!("/patients/{id}/prescription")) { "Prescription" }
            a.button.secondary href=(format!("/patients/{id}/report")) { "Report (last 90 days)" }
            a.button.secondary href=(format!("/patients/{id}/fhir")) download=(format!("patient-{id}-fhir.json")) { "FHIR R4 (for your system)" }
        }
        details {
            summary { "The report for another period" }
            form method="get" action=(format!("/patients/{id}/report")) class="grid2" {
                div { label for="report-from" { "From" } input #report-from type="date" name="from"; }
                div { label for="report-to" { "To" } input #report-to type="date" name="to"; }
                div { button.secondary type="submit" { "Open the report" } }
            }
            p.muted { "It opens with a button to print it or save it as PDF." }
        }
        h2 { "Open flags" }
        (triage_list(&s, &flags.items, &format!("/patients/{id}")))
        @if flags.total > flags.items.len() as i64 {
            p.muted { (flags.items.len()) " of " (flags.total) " open flags shown, urgent first, then oldest; acknowledging them brings the rest." }
        }
        h2 { "Prescription" }
        (prescription_summary(v.prescription.as_ref()))
        (notes_section(&s, id, &notes, q.note.is_some(), None, ""))
        @match &insights {
            Ok(i) => { (insights_section(id, i, j, &tz)) }
            Err(e) => { div.error role="alert" { "Insights: " (e.to_string()) } }
        }
        h2 { "Timeline (last 14 days)" }
        (timeline(j, now, &tz))
    };
    Ok(html_response(
        StatusCode::OK,
        page(&s, &v.name, Nav::Caseload, body),
    ))
}

fn prescription_summary(rx: Option<&Prescription>) -> Markup {
    html! {
        @match rx {
            Some(rx) => {
                ul { @for line in rx.describe() { li { (line) } } }
                p.muted { (rx.source()) }
            }
            None => { p { "No prescription set here: the patient's device uses their own protocol's limits." } }
        }
    }
}

fn insights_section(
    id: i64,
    i: &dosewise_core::insights::Insights,
    j: &dosewise_core::journal::Journal,
    tz: &TimeZone,
) -> Markup {
    let w = dosewise_app::period::window(i.from, i.to, tz, false).ok();
    let (Some(t0), Some(t1)) = (
        w.as_ref().and_then(|w| w.from),
        w.as_ref().and_then(|w| w.to),
    ) else {
        return html! {};
    };
    let charts = dosewise_render::report::insight_charts(j, i.from, i.to, t0, t1, tz);
    let (ratings, scales) = (&charts.ratings, &charts.scales);
    html! {
        h2 { "Insights" }
        form method="get" action=(format!("/patients/{id}")) class="grid2 noprint" {
            div { label for="from" { "From" } input #from type="date" name="from" value=(i.from); }
            div { label for="to" { "To" } input #to type="date" name="to" value=(i.to); }
            div { button type="submit" { "Show" } }
        }
        p { (i.from) " to " (i.to) ": " (i.dose_days) " dose days, " (i.days_after) " check-ins on days after, " (i.off_days_with_checkins) " on off days." }
        p.card { strong { "Read this first. " } (i.caveat) }
        @for c in &i.scales {
            p {
                strong { (c.name()) } ": " (c.baseline) " → " (c.latest) " (" (format!("{:+}", c.change)) ")"
                @for m in c.marks() { " · " (m) }
            }
        }
        @if let Some(svg) = ratings { figure { (PreEscaped(svg)) figcaption.muted { "Mood and anxiety; green ticks mark doses." } } }
        @for svg in scales { figure { (PreEscaped(svg)) } }
    }
}

/// The last 14 days, newest first: doses, check-ins, questionnaires, vitals.
fn timeline(j: &dosewise_core::journal::Journal, now: Timestamp, tz: &TimeZone) -> Markup {
    let since = now - dosewise_core::jiff::SignedDuration::from_hours(14 * 24);
    let mut events: Vec<(Timestamp, &str, String)> = Vec::new();
    for d in j
        .doses
        .iter()
        .filter(|d| d.deleted_at.is_none() && d.dose.at >= since)
    {
        let mut text = format!("{} ({})", mg(d.dose.dose_mg), d.dose.entered);
        if let Some(r) = &d.dose.override_reason {
            text.push_str(&format!(" — taken despite a refusal: {r}"));
        }
        events.push((d.dose.at, "Dose", text));
    }
    for c in j
        .checkins
        .iter()
        .filter(|c| c.is_live() && c.checkin.at >= since)
    {
        let ratings: Vec<String> = c
            .checkin
            .ratings
            .iter()
            .filter_map(|(k, r)| r.map(|r| format!("{k} {}", r.value())))
            .collect();
        let mut text = ratings.join(", ");
        if !c.checkin.urinary.is_empty() {
            text.push_str("; urinary symptoms reported");
        }
        events.push((c.checkin.at, "Check-in", text));
    }
    for a in j.assessments.iter().filter(|a| a.assessment.at >= since) {
        let name = dosewise_core::questionnaire::instrument(&a.assessment.instrument)
            .map_or(a.assessment.instrument.clone(), |i| i.name.clone());
        events.push((
            a.assessment.at,
            "Questionnaire",
            format!("{name}: {} ({})", a.assessment.total, a.assessment.band),
        ));
    }
    for v in j.vitals.iter().filter(|v| v.vitals.at >= since) {
        let mut parts = Vec::new();
        if let (Some(s), Some(d)) = (v.vitals.systolic, v.vitals.diastolic) {
            parts.push(format!("BP {s}/{d}"));
        }
        if let Some(h) = v.vitals.heart_rate {
            parts.push(format!("pulse {h}"));
        }
        events.push((v.vitals.at, "Vitals", parts.join(", ")));
    }
    events.sort_by_key(|e| std::cmp::Reverse(e.0));
    html! {
        @if events.is_empty() { p { "Nothing shared in the last 14 days." } }
        div.table-wrap { table.stack {
            thead { tr { th scope="col" { "When" } th scope="col" { "What" } th scope="col" { "Detail" } } }
            tbody { @for (t, what, text) in &events {
                tr { td data-label="When" { (dosewise_core::when::local_text(*t, tz)) } td data-label="What" { (what) } td data-label="Detail" { (text) } }
            } }
        } }
    }
}

/// The patient's shared journal as a FHIR R4 Bundle, downloaded (audited as a read).
async fn fhir_download(
    State(st): State<Clinic>,
    Staff(s): Staff,
    Path(id): Path<i64>,
) -> PageResult {
    let b = clinician::fhir(&st, &s, id).await?;
    let mut resp = axum::Json(b).into_response();
    let h = resp.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/fhir+json"),
    );
    if let Ok(v) =
        HeaderValue::from_str(&format!("attachment; filename=\"patient-{id}-fhir.json\""))
    {
        h.insert(header::CONTENT_DISPOSITION, v);
    }
    Ok(resp)
}

async fn report(
    State(st): State<Clinic>,
    Staff(s): Staff,
    Path(id): Path<i64>,
    Query(q): Query<PeriodQuery>,
) -> PageResult {
    let v = clinician::patient(&st, &s, id).await?;
    let store = scratch(&v.journal).await?;
    let req = dosewise_app::report::ReportRequest {
        from: q.from.as_deref(),
        to: q.to.as_deref(),
        sections: vec![],
        include_private: false,
    };
    let r = dosewise_app::report::build(&store, &req, st.now(), &TimeZone::system())
        .await
        .map_err(|e| ClinicError::Input(e.to_string()))?;
    let html = r.html.replacen(
        "</body>",
        "<script src=\"/static/print.js\" defer></script></body>",
        1,
    );
    let csp = dosewise_web::style_hashes(&html)
        .map(|h| {
            dosewise_web::security::CSP
                .replace("style-src 'self'", &format!("style-src 'self' {h}"))
        })
        .unwrap_or_else(|| dosewise_web::security::CSP.to_string());
    let mut resp = Html(html).into_response();
    if let Ok(v) = HeaderValue::from_str(&csp) {
        resp.headers_mut()
            .insert(header::CONTENT_SECURITY_POLICY, v);
    }
    Ok(resp)
}

// ---- The prescription editor ----

/// The editor's fields: (name, label, hint).
const RX_FIELDS: [(&str, &str, &str); 9] = [
    ("max_dose", "Most in one dose", "e.g. 25mg"),
    ("max_day", "Most in a day", "e.g. 50mg"),
    ("max_week", "Most in 7 days", "e.g. 100mg"),
    ("min_interval", "Least time between doses", "e.g. 48h"),
    ("dispensed", "Supply dispensed", "troches or mL, a number"),
    ("refill", "Next refill", "YYYY-MM-DD"),
    (
        "bp_warn_above",
        "Blood pressure that warns (above)",
        "e.g. 140/90",
    ),
    (
        "bp_refuse_from",
        "Blood pressure that refuses (from)",
        "e.g. 160/100",
    ),
    ("ceiling", "Titration ceiling", "e.g. 30mg"),
];

fn num(v: f64) -> String {
    let s = format!("{v:.3}");
    s.trim_end_matches('0').trim_end_matches('.').to_string()
}

/// The current prescription as the editor's field values.
fn rx_values(rx: Option<&Prescription>) -> Vec<(String, String)> {
    let Some(rx) = rx else { return vec![] };
    let l = &rx.limits;
    let mut v = Vec::new();
    let mut put = |k: &str, s: Option<String>| {
        if let Some(s) = s {
            v.push((k.to_string(), s));
        }
    };
    put(
        "max_dose",
        l.max_per_dose_mg.map(|m| format!("{}mg", num(m))),
    );
    put("max_day", l.max_per_day_mg.map(|m| format!("{}mg", num(m))));
    put(
        "max_week",
        l.max_per_7_days_mg.map(|m| format!("{}mg", num(m))),
    );
    put(
        "min_interval",
        l.min_interval_hours.map(|h| format!("{}h", num(h))),
    );
    put("dispensed", l.supply_dispensed.map(num));
    put("refill", l.refill_date.map(|d| d.to_string()));
    put("bp_warn_above", l.bp_warn_above.map(|b| b.to_string()));
    put("bp_refuse_from", l.bp_refuse_from.map(|b| b.to_string()));
    put("ceiling", rx.ceiling_mg.map(|m| format!("{}mg", num(m))));
    put("note", rx.note.clone());
    if rx.require_bp {
        put("require_bp", Some("on".into()));
    }
    v
}

fn rx_form(
    s: &Session,
    id: i64,
    name: &str,
    values: &[(String, String)],
    error: Option<&str>,
    saved: bool,
    current: Option<&Prescription>,
) -> Markup {
    let value = |k: &str| {
        values
            .iter()
            .find(|(n, _)| n == k)
            .map(|(_, v)| v.clone())
            .unwrap_or_default()
    };
    html! {
        h1 { "Prescription: " (name) }
        p { a href=(format!("/patients/{id}")) { "Back to " (name) } }
        @if saved { p.ok role="status" { "Saved. It reaches the patient's device at their next sync, and their safety check enforces it from then on." } }
        (error_box(error))
        @if let Some(rx) = current { p.muted { (rx.source()) } }
        p { "What you set here the patient's safety check enforces: a dose above a limit is refused (they can still override with a reason, which is recorded and shared with you). Leave a field empty to remove that limit." }
        form method="post" action=(format!("/patients/{id}/prescription")) {
            (csrf(s))
            div.grid2 {
                @for (k, label, hint) in RX_FIELDS {
                    div {
                        label for=(k) { (label) }
                        p.hint id=(format!("{k}-hint")) { (hint) }
                        input id=(k) type=(if k == "refill" { "date" } else { "text" }) name=(k) value=(value(k)) aria-describedby=(format!("{k}-hint"));
                    }
                }
            }
            div.checks {
                label {
                    input type="checkbox" name="require_bp" value="on" checked[!value("require_bp").is_empty()];
                    " A blood-pressure reading is needed before each dose"
                }
            }
            label for="note" { "Note to the patient with this prescription" }
            textarea #note name="note" maxlength=(dosewise_core::text::MAX_NOTE_CHARS) { (value("note")) }
            button type="submit" { "Save the prescription" }
        }
    }
}

#[derive(Debug, Default, Deserialize)]
struct SavedQuery {
    saved: Option<String>,
}

async fn prescription(
    State(st): State<Clinic>,
    Staff(s): Staff,
    Path(id): Path<i64>,
    Query(q): Query<SavedQuery>,
) -> PageResult {
    let name = clinician::patient_name(&st, &s, id).await?;
    let rx = clinician::prescription(&st, &s, id).await?;
    let body = rx_form(
        &s,
        id,
        &name,
        &rx_values(rx.as_ref()),
        None,
        q.saved.is_some(),
        rx.as_ref(),
    );
    Ok(html_response(
        StatusCode::OK,
        page(&s, "Prescription", Nav::Caseload, body),
    ))
}

/// The form as a change: every field states the whole prescription, so an empty one clears.
fn rx_request(form: &dosewise_web::security::FormData) -> Result<PrescriptionRequest> {
    let mut r = PrescriptionRequest::default();
    let mut clear = Vec::new();
    let mut take = |k: &str| -> Option<String> {
        let v = form
            .get(k)
            .map(|v| v.trim().to_string())
            .filter(|v| !v.is_empty());
        if v.is_none() {
            clear.push(k.to_string());
        }
        v
    };
    r.limits.max_dose = take("max_dose");
    r.limits.max_day = take("max_day");
    r.limits.max_week = take("max_week");
    r.limits.min_interval = take("min_interval");
    let dispensed = take("dispensed");
    r.limits.refill = take("refill");
    r.limits.bp_warn_above = take("bp_warn_above");
    r.limits.bp_refuse_from = take("bp_refuse_from");
    r.ceiling = take("ceiling");
    r.note = take("note");
    r.clear = clear;
    r.require_bp = Some(form.has("require_bp"));
    r.limits.dispensed = dispensed
        .map(|d| {
            d.parse::<f64>().map_err(|_| {
                ClinicError::Input(format!(
                    "supply dispensed: {d:?} is not a number; write how many troches or mL, e.g. 30"
                ))
            })
        })
        .transpose()?;
    Ok(r)
}

async fn prescription_submit(
    State(st): State<Clinic>,
    Path(id): Path<i64>,
    f: StaffForm,
) -> PageResult {
    let s = &f.s;
    let result = match rx_request(&f.form) {
        Ok(r) => clinician::set_prescription(&st, s, id, &r).await,
        Err(e) => Err(e),
    };
    match result {
        Ok(_) => Ok(Redirect::to(&format!("/patients/{id}/prescription?saved=1")).into_response()),
        Err(ClinicError::Input(m)) => {
            let name = clinician::patient_name(&st, s, id).await?;
            let current = clinician::prescription(&st, s, id).await?;
            let values: Vec<(String, String)> = f
                .form
                .0
                .iter()
                .filter(|(k, _)| k != "csrf")
                .cloned()
                .collect();
            let body = rx_form(s, id, &name, &values, Some(&m), false, current.as_ref());
            Ok(html_response(
                StatusCode::BAD_REQUEST,
                page(s, "Prescription", Nav::Caseload, body),
            ))
        }
        Err(e) => Err(e.into()),
    }
}

// ---- Staff (admins) ----

#[derive(Debug, Default, Deserialize)]
struct AccountsQuery {
    invite: Option<String>,
    reset: Option<String>,
    who: Option<String>,
}

async fn accounts(
    State(st): State<Clinic>,
    Staff(s): Staff,
    Query(q): Query<AccountsQuery>,
) -> PageResult {
    let staff = st.staff(&s).await?;
    let body = html! {
        h1 { "Staff" }
        @if let Some(code) = &q.invite {
            div.ok role="status" { p { strong { "Invite code: " } code { (code) } } p { "The new member of staff opens this server's sign-up with it (POST /api/v1/accept) within 7 days, then sets up their second factor at their first sign-in." } }
        }
        @if let (Some(code), Some(who)) = (&q.reset, &q.who) {
            div.ok role="status" { p { strong { "Reset code for " (who) ": " } code { (code) } } p { "Give it to them in person. With it they choose a new password (POST /api/v1/reset) within 24 hours; their sessions have ended and they set up the second factor again. You never see their password." } }
        }
        div.table-wrap { table.stack {
            thead { tr { th scope="col" { "Name" } th scope="col" { "Email" } th scope="col" { "Role" } th scope="col" { "Second factor" } th scope="col" { "Password" } } }
            tbody { @for a in &staff {
                tr {
                    td data-label="Name" { (a.name) }
                    td data-label="Email" { (a.email.as_deref().unwrap_or("")) }
                    td data-label="Role" { (a.role) }
                    td data-label="Second factor" { @if a.second_factor { "set up" } @else { span.badge.warning { "not yet" } } }
                    td data-label="Password" {
                        @if Some(a.account) != s.actor.account {
                            form.inline method="post" action=(format!("/accounts/{}/reset", a.account)) {
                                (csrf(&s))
                                button.secondary type="submit" aria-label=(format!("Reset the password of {}", a.name)) { "Reset" }
                            }
                        }
                    }
                }
            } }
        } }
        h2 { "Invite staff" }
        form method="post" action="/accounts/invite" {
            (csrf(&s))
            label for="role" { "Role" }
            select #role name="role" { option value="clinician" { "Clinician" } option value="admin" { "Admin" } }
            button type="submit" { "Make an invite code" }
        }
    };
    Ok(html_response(
        StatusCode::OK,
        page(&s, "Staff", Nav::Accounts, body),
    ))
}

async fn invite_staff(State(st): State<Clinic>, f: StaffForm) -> PageResult {
    let role = match f.form.raw("role") {
        Some("admin") => Role::Admin,
        _ => Role::Clinician,
    };
    let (code, _) = st.invite(&f.s, role, 7).await?;
    Ok(Redirect::to(&format!("/accounts?invite={code}")).into_response())
}

async fn reset(State(st): State<Clinic>, Path(id): Path<i64>, f: StaffForm) -> PageResult {
    let (code, _) = st.reset_password(&f.s, id).await?;
    let who = st
        .staff(&f.s)
        .await?
        .into_iter()
        .find(|a| a.account == id)
        .map_or_else(String::new, |a| a.name);
    let who: String = who
        .chars()
        .filter(|c| c.is_alphanumeric() || *c == ' ')
        .collect();
    Ok(Redirect::to(&format!(
        "/accounts?reset={code}&who={}",
        who.replace(' ', "+")
    ))
    .into_response())
}
