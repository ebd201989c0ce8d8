//! The request guard every route sits behind, and the CSRF-checked form extractor.
//!
//! - **Host**: without a login, only loopback names are accepted in the Host header, so a web
//!   page that rebinds its own name to 127.0.0.1 (DNS rebinding) cannot read or write here.
//! - **Login**: with one, every page but the login form and static files needs the session
//!   cookie (HttpOnly, SameSite=Strict, random 256-bit token kept in memory only).
//! - **Cross-site requests**: a state-changing request whose `Sec-Fetch-Site` says
//!   `cross-site`, or whose `Origin` is not this server, is refused.
//! - **CSRF token** (double submit): a random token in an HttpOnly SameSite=Strict cookie must
//!   match the hidden `csrf` field of every form. JSON API calls need `Content-Type:
//!   application/json`, which a browser cannot send to another site without a CORS preflight this
//!   server never grants.
//! - **Headers**: a strict Content-Security-Policy (scripts and styles from this server only,
//!   no inline script), no framing, no referrer sent to other sites (same-origin: forms keep their Origin header), no caching of pages.

use crate::AppState;
use crate::error::WebError;
use axum::body::Bytes;
use axum::extract::{FromRequest, Request, State};
use axum::http::header::{self, HeaderMap, HeaderValue};
use axum::http::{Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Redirect, Response};

pub const CSRF_COOKIE: &str = "dw_csrf";
pub const SESSION_COOKIE: &str = "dw_session";

/// The policy for every page; the report adds the hash of its own stylesheet.
pub const CSP: &str = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

/// This request's CSRF token, for forms to embed.
#[derive(Debug, Clone)]
pub struct Csrf {
    pub token: String,
    /// The token came with the request (a new one cannot validate a form yet).
    from_cookie: bool,
}

/// 32 random bytes as hex.
pub fn random_token() -> String {
    let mut b = [0u8; 32];
    // The OS random source; without it no token can be safe, so refuse to go on.
    if let Err(e) = getrandom::getrandom(&mut b) {
        panic!("no OS random source for security tokens: {e}");
    }
    b.iter().map(|x| format!("{x:02x}")).collect()
}

/// Compare without an early exit (the time does not depend on where they differ).
pub fn same(a: &str, b: &str) -> bool {
    a.len() == b.len()
        && a.bytes()
            .zip(b.bytes())
            .fold(0u8, |acc, (x, y)| acc | (x ^ y))
            == 0
}

/// A cookie's value from the request headers.
pub fn cookie<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|kv| kv.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v)
}

pub(crate) fn is_token(s: &str) -> bool {
    s.len() == 64 && s.bytes().all(|b| b.is_ascii_hexdigit())
}

/// A Set-Cookie value: HttpOnly, SameSite=Strict, whole site.
pub fn set_cookie(name: &str, value: &str) -> HeaderValue {
    HeaderValue::from_str(&format!(
        "{name}={value}; Path=/; HttpOnly; SameSite=Strict"
    ))
    .unwrap_or_else(|_| HeaderValue::from_static("invalid=1"))
}

fn refuse(api: bool, e: WebError) -> Response {
    if api { e.json() } else { e.into_response() }
}

fn host_allowed(state: &AppState, headers: &HeaderMap) -> bool {
    let Some(host) = headers.get(header::HOST).and_then(|h| h.to_str().ok()) else {
        return false;
    };
    state
        .0
        .config
        .hosts
        .iter()
        .any(|h| h.eq_ignore_ascii_case(host))
}

/// A state-changing request from another site.
fn cross_site(headers: &HeaderMap) -> bool {
    if headers
        .get("sec-fetch-site")
        .is_some_and(|v| v.as_bytes() == b"cross-site")
    {
        return true;
    }
    match headers.get(header::ORIGIN).and_then(|o| o.to_str().ok()) {
        None => false,
        Some(origin) => {
            let host = headers
                .get(header::HOST)
                .and_then(|h| h.to_str().ok())
                .unwrap_or("");
            let origin_host = origin
                .strip_prefix("http://")
                .or_else(|| origin.strip_prefix("https://"));
            origin_host.is_none_or(|o| !o.eq_ignore_ascii_case(host))
        }
    }
}

/// The guard around every route (see the module documentation).
pub async fn guard(State(state): State<AppState>, mut req: Request, next: Next) -> Response {
    let path = req.uri().path().to_string();
    let api = path.starts_with("/api/");
    let login = state.0.config.login.is_some();
    if !login && !host_allowed(&state, req.headers()) {
        return refuse(
            api,
            WebError::Forbidden(
                "this server answers only to its loopback address (127.0.0.1 or localhost); to use it from another device, start it with a login (see `dosewise serve --help`)".into(),
            ),
        );
    }
    let unsafe_method = !matches!(*req.method(), Method::GET | Method::HEAD | Method::OPTIONS);
    if unsafe_method && cross_site(req.headers()) {
        return refuse(
            api,
            WebError::Forbidden("requests from other sites are refused".into()),
        );
    }
    // The calendar's private link answers without a session: its secret is the credential
    // (checked by the handler), since calendar apps cannot log in.
    let feed_link = matches!(*req.method(), Method::GET | Method::HEAD)
        && path.starts_with("/calendar/")
        && path.ends_with(".ics");
    if login && !path.starts_with("/static/") && path != "/login" && !feed_link {
        let ok = cookie(req.headers(), SESSION_COOKIE).is_some_and(|t| state.has_session(t));
        if !ok {
            return if api || unsafe_method {
                refuse(api, WebError::Unauthorized)
            } else {
                Redirect::to("/login").into_response()
            };
        }
    }
    let (token, fresh) = match cookie(req.headers(), CSRF_COOKIE).filter(|t| is_token(t)) {
        Some(t) => (t.to_string(), false),
        None => (random_token(), true),
    };
    req.extensions_mut().insert(Csrf {
        token: token.clone(),
        from_cookie: !fresh,
    });
    let mut res = next.run(req).await;
    if unsafe_method {
        state.wrote();
    }
    let h = res.headers_mut();
    // Only pages set the cookie: a page's static files load in parallel, and each setting a
    // token of its own would overwrite the one the page's forms carry.
    let html = h
        .get(header::CONTENT_TYPE)
        .is_some_and(|v| v.as_bytes().starts_with(b"text/html"));
    if fresh && html {
        h.append(header::SET_COOKIE, set_cookie(CSRF_COOKIE, &token));
    }
    if !h.contains_key(header::CONTENT_SECURITY_POLICY) {
        h.insert(
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static(CSP),
        );
    }
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    h.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("same-origin"),
    );
    h.insert(
        "cross-origin-opener-policy",
        HeaderValue::from_static("same-origin"),
    );
    h.insert(
        "cross-origin-resource-policy",
        HeaderValue::from_static("same-origin"),
    );
    if !h.contains_key(header::CACHE_CONTROL) {
        h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
    res
}

/// A submitted form's fields, in order (repeated names allowed, as checkboxes send them).
#[derive(Debug, Clone, Default)]
pub struct FormData(pub Vec<(String, String)>);

impl FormData {
    /// The first value of `name`, trimmed; `None` when missing or empty.
    pub fn get(&self, name: &str) -> Option<String> {
        self.0
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.trim().to_string())
            .filter(|v| !v.is_empty())
    }
    /// Every non-empty value of `name`.
    pub fn all(&self, name: &str) -> Vec<String> {
        self.0
            .iter()
            .filter(|(k, v)| k == name && !v.trim().is_empty())
            .map(|(_, v)| v.trim().to_string())
            .collect()
    }
    pub fn has(&self, name: &str) -> bool {
        self.get(name).is_some()
    }
    /// A whole number, or a clear error naming the field.
    pub fn int(&self, name: &str) -> dosewise_app::Result<Option<i64>> {
        self.get(name)
            .map(|v| {
                v.parse::<i64>().map_err(|_| {
                    dosewise_app::input(format!("{name}: {v:?} is not a whole number"))
                })
            })
            .transpose()
    }
}

/// A urlencoded form whose `csrf` field matches the request's CSRF cookie.
#[derive(Debug)]
pub struct CheckedForm(pub FormData);

/// Check a submitted token against the request's.
pub fn check_token(csrf: Option<&Csrf>, submitted: Option<&str>) -> Result<(), WebError> {
    match (csrf, submitted) {
        (Some(c), Some(s)) if c.from_cookie && same(&c.token, s) => Ok(()),
        _ => Err(WebError::Forbidden(
            "the form's security token is missing or out of date (cookies must be on); reload the page and try again".into(),
        )),
    }
}

impl<S: Send + Sync> FromRequest<S> for CheckedForm {
    type Rejection = WebError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        let csrf = req.extensions().get::<Csrf>().cloned();
        let urlencoded = req
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.starts_with("application/x-www-form-urlencoded"));
        if !urlencoded {
            return Err(WebError::Input(
                "expected a form (application/x-www-form-urlencoded)".into(),
            ));
        }
        let bytes = Bytes::from_request(req, state).await.map_err(|e| {
            if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
                WebError::TooLarge
            } else {
                WebError::Input(format!("could not read the form: {e}"))
            }
        })?;
        let pairs: Vec<(String, String)> = serde_urlencoded::from_bytes(&bytes)
            .map_err(|e| WebError::Input(format!("could not read the form: {e}")))?;
        let form = FormData(pairs);
        check_token(csrf.as_ref(), form.get("csrf").as_deref())?;
        Ok(CheckedForm(form))
    }
}
