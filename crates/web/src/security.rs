//! The request guard every route sits behind, and the CSRF-checked form extractor.
//!
//! - **Host**: only the names in the allow-list are accepted in the Host header (loopback names;
//!   away from loopback also the bind address and names given with `--allow-host`), so a web
//!   page that rebinds its own name to this server's address (DNS rebinding) gets nothing.
//! - **Sessions** (`session`): every page and API call but the static files, the calendar's
//!   private link and the login form needs a live session cookie (HttpOnly, SameSite=Strict),
//!   begun with the access key (`?key=…` once, or `Authorization: Bearer …` per request) or, away
//!   from loopback, the login passphrase.
//! - **Cross-site requests**: a state-changing request whose `Sec-Fetch-Site` says
//!   `cross-site`, or whose `Origin` is not exactly this server (scheme included), is refused;
//!   so is a cross-site or same-site read of the journal's data, a report or a download.
//! - **CSRF token**: bound to the session (a new session, as at login, gets a new one); every
//!   form must echo it in its hidden `csrf` field. Before a session exists (the login form) a
//!   double-submit cookie stands in. JSON API calls need `Content-Type: application/json`, which
//!   a browser cannot send to another site without a CORS preflight this server never grants.
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
/// The query parameter that carries the access key.
pub const KEY_PARAM: &str = "key";

/// The policy for every page; the report adds the hash of its own stylesheet.
pub const CSP: &str = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

/// This request's CSRF token, for forms to embed.
#[derive(Debug, Clone)]
pub struct Csrf {
    pub token: String,
    /// The token can validate a form: the session's own, or a double-submit cookie that came
    /// with the request (a fresh one cannot validate anything yet).
    valid: bool,
}

impl Csrf {
    /// Stands in for a request's token in a page rendered once and served to many (Today),
    /// replaced by the request's own token before it is sent.
    pub(crate) const PLACEHOLDER: &'static str = "csrf-token-placeholder-not-a-token";

    pub(crate) fn placeholder() -> Csrf {
        Csrf {
            token: Self::PLACEHOLDER.into(),
            valid: false,
        }
    }
}

/// The session cookie's token of this request, when it has a live session.
#[derive(Debug, Clone)]
pub struct SessionToken(pub String);

/// The client's IP address ("unknown" when the server was not told, as in router tests).
#[derive(Debug, Clone)]
pub struct ClientAddr(pub String);

impl<S: Send + Sync> axum::extract::FromRequestParts<S> for ClientAddr {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(
        parts: &mut axum::http::request::Parts,
        _: &S,
    ) -> Result<Self, Self::Rejection> {
        Ok(ClientAddr(
            parts
                .extensions
                .get::<axum::extract::ConnectInfo<std::net::SocketAddr>>()
                .map_or_else(|| "unknown".into(), |c| c.0.ip().to_string()),
        ))
    }
}

/// A new session, CSRF or access token. Without an OS random source no token can be safe, so
/// the server refuses to go on.
pub fn random_token() -> String {
    dosewise_app::token::random().unwrap_or_else(|e| panic!("{e}"))
}

pub use dosewise_app::token::{is_token, same};

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

/// A Set-Cookie value: HttpOnly, SameSite=Strict, whole site.
pub fn set_cookie(name: &str, value: &str) -> HeaderValue {
    HeaderValue::from_str(&format!(
        "{name}={value}; Path=/; HttpOnly; SameSite=Strict"
    ))
    .unwrap_or_else(|_| HeaderValue::from_static("invalid=1"))
}

fn refuse(api: bool, e: WebError) -> Response {
    harden(if api { e.json() } else { e.into_response() })
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

/// The `Origin` is not exactly this server: another host, or another scheme (this server
/// speaks plain HTTP).
fn foreign_origin(headers: &HeaderMap) -> bool {
    match headers.get(header::ORIGIN).and_then(|o| o.to_str().ok()) {
        None => false,
        Some(origin) => {
            let host = headers
                .get(header::HOST)
                .and_then(|h| h.to_str().ok())
                .unwrap_or("");
            origin
                .strip_prefix("http://")
                .is_none_or(|o| !o.eq_ignore_ascii_case(host))
        }
    }
}

/// A state-changing request from another site.
fn cross_site(headers: &HeaderMap) -> bool {
    headers
        .get("sec-fetch-site")
        .is_some_and(|v| v.as_bytes() == b"cross-site")
        || foreign_origin(headers)
}

/// A read from another site's page (a link, an image, a script): not the person's own click
/// or address bar (`none`) nor this app's own pages (`same-origin`).
fn read_from_elsewhere(headers: &HeaderMap) -> bool {
    headers
        .get("sec-fetch-site")
        .is_some_and(|v| matches!(v.as_bytes(), b"cross-site" | b"same-site"))
        || foreign_origin(headers)
}

/// Routes that return the journal's data, start heavy work or download a file.
fn sensitive(path: &str) -> bool {
    path.starts_with("/api/")
        || path.starts_with("/calendar")
        || matches!(
            path,
            "/export.json" | "/export.csv" | "/backup" | "/report.pdf" | "/report/view"
        )
}

/// The value of a query parameter, as sent.
fn query_param<'a>(query: Option<&'a str>, name: &str) -> Option<&'a str> {
    query?
        .split('&')
        .filter_map(|kv| kv.split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v)
}

/// The same address without the access key, to come back to once the session is set.
fn without_key(path: &str, query: Option<&str>) -> String {
    let rest: Vec<&str> = query
        .unwrap_or("")
        .split('&')
        .filter(|kv| !kv.is_empty() && kv.split('=').next() != Some(KEY_PARAM))
        .collect();
    if rest.is_empty() {
        path.to_string()
    } else {
        format!("{path}?{}", rest.join("&"))
    }
}

fn bearer(headers: &HeaderMap) -> Option<&str> {
    headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .map(str::trim)
}

const NEEDS_KEY: &str = "This Dosewise server needs its access key, so that nobody else — another account on this computer included — can open your journal. Open the address `dosewise serve` printed when it started (it ends in ?key=…); the key is also in the file web-key in your Dosewise home, readable only by your account.";

/// The guard around every route (see the module documentation).
pub async fn guard(State(state): State<AppState>, mut req: Request, next: Next) -> Response {
    let path = req.uri().path().to_string();
    let api = path.starts_with("/api/");
    if !host_allowed(&state, req.headers()) {
        return refuse(
            api,
            WebError::Forbidden(if state.login_mode() {
                "this server answers only to its own address and the names it was started with (`--allow-host`)".into()
            } else {
                "this server answers only to its loopback address (127.0.0.1 or localhost); to use it from another device, start it with a login (see `dosewise serve --help`)".into()
            }),
        );
    }
    let unsafe_method = !matches!(*req.method(), Method::GET | Method::HEAD | Method::OPTIONS);
    if unsafe_method && cross_site(req.headers()) {
        return refuse(
            api,
            WebError::Forbidden("requests from other sites are refused".into()),
        );
    }
    if !unsafe_method && sensitive(&path) && read_from_elsewhere(req.headers()) {
        return refuse(
            api,
            WebError::Forbidden(
                "the journal's data, reports and downloads are given only to this app's own pages; open it from Dosewise".into(),
            ),
        );
    }
    // The calendar's private link answers without a session: its secret is the credential
    // (checked by the handler), since calendar apps cannot log in.
    let feed_link = matches!(*req.method(), Method::GET | Method::HEAD)
        && path.starts_with("/calendar/")
        && path.ends_with(".ics");
    let login = state.login().is_some();
    let public = path.starts_with("/static/") || feed_link || (path == "/login" && login);
    let session = cookie(req.headers(), SESSION_COOKIE)
        .and_then(|t| state.session(t).map(|csrf| (t.to_string(), csrf)));
    let csrf = match session {
        Some((token, csrf)) => {
            req.extensions_mut().insert(SessionToken(token));
            Some(Csrf {
                token: csrf,
                valid: true,
            })
        }
        None if public => None,
        None => {
            let query = req.uri().query();
            let get = matches!(*req.method(), Method::GET | Method::HEAD);
            if get && let Some(k) = query_param(query, KEY_PARAM) {
                if same(k, &state.0.config.key) {
                    let (token, _) = state.add_session();
                    let mut r = Redirect::to(&without_key(&path, query)).into_response();
                    r.headers_mut()
                        .append(header::SET_COOKIE, set_cookie(SESSION_COOKIE, &token));
                    return harden(r);
                }
                return refuse(api, WebError::Unauthorized(NEEDS_KEY.into()));
            }
            if !bearer(req.headers()).is_some_and(|b| same(b, &state.0.config.key)) {
                return if login && !api && !unsafe_method {
                    harden(Redirect::to("/login").into_response())
                } else if login {
                    refuse(api, WebError::Unauthorized("log in first".into()))
                } else {
                    refuse(api, WebError::Unauthorized(NEEDS_KEY.into()))
                };
            }
            // A script with the key: authenticated for this request; it has no forms.
            None
        }
    };
    // Before a session exists (the login form), a double-submit cookie stands in.
    let (csrf, fresh) = match csrf {
        Some(c) => (c, None),
        None => match cookie(req.headers(), CSRF_COOKIE).filter(|t| is_token(t)) {
            Some(t) => (
                Csrf {
                    token: t.to_string(),
                    valid: true,
                },
                None,
            ),
            None => {
                let t = random_token();
                (
                    Csrf {
                        token: t.clone(),
                        valid: false,
                    },
                    Some(t),
                )
            }
        },
    };
    req.extensions_mut().insert(csrf);
    let mut res = next.run(req).await;
    if unsafe_method {
        state.wrote();
    }
    // Only pages set the cookie: a page's static files load in parallel, and each setting a
    // token of its own would overwrite the one the page's forms carry.
    let html = res
        .headers()
        .get(header::CONTENT_TYPE)
        .is_some_and(|v| v.as_bytes().starts_with(b"text/html"));
    if let Some(t) = fresh.filter(|_| html) {
        res.headers_mut()
            .append(header::SET_COOKIE, set_cookie(CSRF_COOKIE, &t));
    }
    harden(res)
}

/// The headers every response carries (the clinic server's pages carry them too).
pub fn harden(mut res: Response) -> Response {
    let h = res.headers_mut();
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
    /// The first value of `name` exactly as sent (passphrases: spaces count), if any.
    pub fn raw(&self, name: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
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

/// A urlencoded form's fields. Unlike a lenient parser, which turns bytes that are not UTF-8
/// into U+FFFD and carries on, this refuses them (as the JSON API does), and refuses a broken
/// percent escape.
pub fn parse_form(bytes: &[u8]) -> Result<Vec<(String, String)>, String> {
    fn decode(s: &[u8]) -> Result<String, String> {
        let hex = |b: u8| (b as char).to_digit(16);
        let mut out = Vec::with_capacity(s.len());
        let mut i = 0;
        while i < s.len() {
            match s[i] {
                b'+' => out.push(b' '),
                b'%' => {
                    let (Some(h), Some(l)) = (
                        s.get(i + 1).copied().and_then(hex),
                        s.get(i + 2).copied().and_then(hex),
                    ) else {
                        return Err(
                            "the form has a broken %-escape; send it again from the page".into(),
                        );
                    };
                    out.push((h * 16 + l) as u8);
                    i += 2;
                }
                b => out.push(b),
            }
            i += 1;
        }
        String::from_utf8(out).map_err(|_| {
            "the form is not valid UTF-8 text; send it again from the page (browsers always send UTF-8)".to_string()
        })
    }
    bytes
        .split(|b| *b == b'&')
        .filter(|p| !p.is_empty())
        .map(|pair| {
            let (k, v) = match pair.iter().position(|b| *b == b'=') {
                Some(i) => (&pair[..i], &pair[i + 1..]),
                None => (pair, &b""[..]),
            };
            Ok((decode(k)?, decode(v)?))
        })
        .collect()
}

/// A urlencoded form whose `csrf` field matches the session's CSRF token.
#[derive(Debug)]
pub struct CheckedForm(pub FormData);

/// Check a submitted token against the request's.
pub fn check_token(csrf: Option<&Csrf>, submitted: Option<&str>) -> Result<(), WebError> {
    match (csrf, submitted) {
        (Some(c), Some(s)) if c.valid && same(&c.token, s) => Ok(()),
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
        let pairs = parse_form(&bytes).map_err(WebError::Input)?;
        let form = FormData(pairs);
        check_token(csrf.as_ref(), form.get("csrf").as_deref())?;
        Ok(CheckedForm(form))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn forms_are_strict_utf8() {
        assert_eq!(
            parse_form(b"a=1&note=caf%C3%A9+au+lait&empty=&flag"),
            Ok(vec![
                ("a".into(), "1".into()),
                ("note".into(), "café au lait".into()),
                ("empty".into(), String::new()),
                ("flag".into(), String::new()),
            ])
        );
        assert!(
            parse_form(b"note=%FF%FE").is_err(),
            "not UTF-8 once decoded"
        );
        assert!(
            parse_form(br"note=\xff").is_ok(),
            "a literal backslash is text"
        );
        assert!(
            parse_form(&[b'n', b'=', 0xff]).is_err(),
            "raw bytes that are not UTF-8"
        );
        assert!(parse_form(b"note=%G1").is_err() && parse_form(b"note=%4").is_err());
    }

    #[test]
    fn the_key_is_taken_out_of_the_address() {
        assert_eq!(without_key("/", Some("key=abc")), "/");
        assert_eq!(
            without_key("/history", Some("from=2026-11-01&key=abc&to=x")),
            "/history?from=2026-11-01&to=x"
        );
        assert_eq!(query_param(Some("a=1&key=k"), KEY_PARAM), Some("k"));
        assert_eq!(query_param(None, KEY_PARAM), None);
    }
}
