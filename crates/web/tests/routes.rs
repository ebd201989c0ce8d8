//! Router-level tests: every route through `Router::oneshot` on a real SQLite journal in a
//! temporary home, including the security guard (Host, CSRF, cross-site, login, body limits)
//! and the escaping of hostile text.

use axum::Router;
use axum::body::Body;
use axum::http::{HeaderMap, Request, StatusCode, header};
use dosewise_core::jiff::Timestamp;
use dosewise_store::Store;
use dosewise_store_sqlite::SqliteStore;
use dosewise_web::{AppState, Clock, Config, Login, router};
use http_body_util::BodyExt;
use serde_json::Value;
use tempfile::TempDir;
use tower::ServiceExt;

const NOW: &str = "2026-11-28T11:00:00Z";
const HOST: &str = "127.0.0.1:8787";
/// The server's access key in these tests.
const KEY: &str = "5e5e5e5e5e5e5e5e5e5e5e5e5e5e5e5e5e5e5e5e5e5e5e5e5e5e5e5e5e5e5e5e";
/// A well-formed token that is no session's and no form's.
const FORGED: &str = "ab12ab12ab12ab12ab12ab12ab12ab12ab12ab12ab12ab12ab12ab12ab12ab12";
/// A name the person allowed for remote use (`--allow-host`), in the login tests.
const LAN: &str = "dosewise.lan:8787";

struct App {
    router: Router,
    _dir: TempDir,
    /// This client's session cookie token and its CSRF token (empty before one is begun).
    session: String,
    csrf: String,
}

async fn app_with(demo: bool, login: Option<Login>) -> App {
    app_with_settings(demo, login, &[]).await
}

/// An app whose journal holds these settings (what a sync with a clinic leaves, say).
async fn app_with_settings(demo: bool, login: Option<Login>, settings: &[(&str, &str)]) -> App {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let store = SqliteStore::open(&dir.path().join("dosewise.db"))
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    for (k, v) in settings {
        store
            .save_setting(k, Some(v))
            .await
            .unwrap_or_else(|e| panic!("{e}"));
    }
    let now: Timestamp = NOW.parse().unwrap_or_else(|e| panic!("{e}"));
    if demo {
        let tz = dosewise_core::when::zone("Europe/Berlin").unwrap_or_else(|e| panic!("{e}"));
        let j = dosewise_fixtures::demo::demo_journal(&now.to_zoned_datetime(tz), 56, 42);
        store.import(&j).await.unwrap_or_else(|e| panic!("{e}"));
    }
    let with_login = login.is_some();
    let mut hosts = vec![HOST.into(), "localhost:8787".into()];
    if with_login {
        hosts.push(LAN.into());
    }
    let config = Config {
        home: dir.path().to_path_buf(),
        clock: Clock::Fixed(now),
        zone: Some("Europe/Berlin".into()),
        hosts,
        login,
        key: KEY.into(),
        chromium: None,
    };
    let mut a = App {
        router: router(AppState::new(
            dosewise_backends::AnyStore::Sqlite(store),
            config,
        )),
        _dir: dir,
        session: String::new(),
        csrf: String::new(),
    };
    if !with_login {
        a.open_with_key().await;
    }
    a
}

/// The value of the `dw_session` cookie a response sets.
fn session_cookie(r: &Res) -> String {
    let set = r.headers[header::SET_COOKIE]
        .to_str()
        .unwrap_or("")
        .to_string();
    assert!(
        set.starts_with("dw_session=")
            && set.contains("HttpOnly")
            && set.contains("SameSite=Strict"),
        "{set}"
    );
    set.trim_start_matches("dw_session=")
        .split(';')
        .next()
        .unwrap_or("")
        .to_string()
}

/// Where a redirect sends the browser.
fn location(r: &Res) -> String {
    r.headers[header::LOCATION]
        .to_str()
        .unwrap_or_else(|e| panic!("{e}"))
        .to_string()
}

/// The CSRF token a page's forms carry.
fn csrf_of(page: &str) -> String {
    page.split("name=\"csrf\" value=\"")
        .nth(1)
        .and_then(|r| r.split('"').next())
        .unwrap_or_else(|| panic!("no CSRF field in the page"))
        .to_string()
}

/// The codes of a list of findings (a verdict's or a stored dose's).
fn codes(findings: &Value) -> Vec<String> {
    findings
        .as_array()
        .map(|f| {
            f.iter()
                .filter_map(|x| x["code"].as_str().map(str::to_string))
                .collect()
        })
        .unwrap_or_default()
}

async fn app() -> App {
    app_with(true, None).await
}

/// The value of a form field a page carries (`name="…" value="…"`).
fn field_of(page: &str, name: &str) -> String {
    page.split(&format!("name=\"{name}\" value=\""))
        .nth(1)
        .and_then(|r| r.split('"').next())
        .unwrap_or_else(|| panic!("no {name} field in the page"))
        .to_string()
}

/// Log a dose through the form as a person does: "Log dose", and when the page shows findings
/// to confirm first, "Save this dose".
async fn log_dose(a: &App, fields: &[(&str, &str)]) -> Res {
    let mut f = fields.to_vec();
    f.push(("action", "log"));
    let r = a.form("/dose", &f).await;
    if r.status != StatusCode::OK || !r.body.contains("Not saved yet") {
        return r;
    }
    let confirmed = field_of(&r.body, "confirmed");
    f.push(("confirmed", &confirmed));
    a.form("/dose", &f).await
}

/// Log a refused dose with the clinician's agreement: the reason and the confirming box.
async fn override_dose(a: &App, fields: &[(&str, &str)], reason: &str) -> Res {
    let mut f = fields.to_vec();
    f.extend([
        ("action", "override"),
        ("override", reason),
        ("override_confirm", "yes"),
    ]);
    a.form("/dose", &f).await
}

struct Res {
    status: StatusCode,
    headers: HeaderMap,
    body: String,
    /// The body as sent (a download may not be text).
    bytes: Vec<u8>,
}

impl Res {
    fn json(&self) -> Value {
        serde_json::from_str(&self.body).unwrap_or_else(|e| panic!("{e}: {}", self.body))
    }
}

impl App {
    /// Open the app as its owner does: the address with the access key, once. The key leaves
    /// the address (a redirect), and a session cookie stands in for it from then on.
    async fn open_with_key(&mut self) {
        let r = self
            .send(
                Request::builder()
                    .uri(format!("/?key={KEY}"))
                    .header(header::HOST, HOST)
                    .body(Body::empty())
                    .unwrap_or_else(|e| panic!("{e}")),
            )
            .await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
        assert_eq!(r.headers[header::LOCATION], "/");
        self.session = session_cookie(&r);
        self.csrf = csrf_of(&self.get("/more").await.body);
    }
    async fn send(&self, req: Request<Body>) -> Res {
        let r = self
            .router
            .clone()
            .oneshot(req)
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        let status = r.status();
        let headers = r.headers().clone();
        let bytes = r
            .into_body()
            .collect()
            .await
            .unwrap_or_else(|e| panic!("{e}"))
            .to_bytes();
        Res {
            status,
            headers,
            body: String::from_utf8_lossy(&bytes).into_owned(),
            bytes: bytes.to_vec(),
        }
    }
    async fn get(&self, path: &str) -> Res {
        self.send(
            self.base("GET", path)
                .body(Body::empty())
                .unwrap_or_else(|e| panic!("{e}")),
        )
        .await
    }
    /// A form post with the session and its CSRF token.
    async fn form(&self, path: &str, fields: &[(&str, &str)]) -> Res {
        let mut all = vec![("csrf", self.csrf.as_str())];
        all.extend_from_slice(fields);
        self.send(form_req(path, &all, Some(&self.session))).await
    }
    /// A request with this client's session.
    fn base(&self, method: &str, path: &str) -> axum::http::request::Builder {
        Request::builder()
            .method(method)
            .uri(path)
            .header(header::HOST, HOST)
            .header(header::COOKIE, format!("dw_session={}", self.session))
    }
    async fn api(&self, method: &str, path: &str, body: Value) -> Res {
        self.send(
            self.base(method, path)
                .header(header::CONTENT_TYPE, "application/json")
                .body(Body::from(body.to_string()))
                .unwrap_or_else(|e| panic!("{e}")),
        )
        .await
    }
    /// Log in with the test login's passphrase (the login form's double-submit CSRF token,
    /// from its own page); the session and its new CSRF token are this client's from then on.
    async fn log_in(&mut self) -> String {
        let page = self
            .send(
                Request::builder()
                    .uri("/login")
                    .header(header::HOST, HOST)
                    .body(Body::empty())
                    .unwrap_or_else(|e| panic!("{e}")),
            )
            .await;
        let pre = csrf_of(&page.body);
        let body = serde_urlencoded::to_string([
            ("csrf", pre.as_str()),
            ("passphrase", "correct horse battery staple"),
        ])
        .unwrap_or_default();
        let r = self
            .send(
                Request::builder()
                    .method("POST")
                    .uri("/login")
                    .header(header::HOST, HOST)
                    .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
                    .header(header::COOKIE, format!("dw_csrf={pre}"))
                    .body(Body::from(body))
                    .unwrap_or_else(|e| panic!("{e}")),
            )
            .await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
        self.session = session_cookie(&r);
        self.csrf = csrf_of(&self.get("/more").await.body);
        assert_ne!(self.csrf, pre, "the CSRF token changes at login");
        self.session.clone()
    }
    async fn count(&self, what: &str) -> usize {
        let r = self
            .get(&format!("/api/v1/{what}?from=2020-01-01&to=2026-12-31"))
            .await;
        r.json()[what].as_array().map_or(0, Vec::len)
    }
}

/// A request with a session, from `host`; a body makes it a form post.
fn with_session(path: &str, session: &str, host: &str, form: Option<&str>) -> Request<Body> {
    let b = Request::builder()
        .uri(path)
        .header(header::HOST, host)
        .header(header::COOKIE, format!("dw_session={session}"));
    match form {
        Some(body) => b
            .method("POST")
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .body(Body::from(body.to_string())),
        None => b.body(Body::empty()),
    }
    .unwrap_or_else(|e| panic!("{e}"))
}

/// A form post with `session` (when given) as its session cookie.
fn form_req(path: &str, fields: &[(&str, &str)], session: Option<&str>) -> Request<Body> {
    let body = serde_urlencoded::to_string(fields).unwrap_or_else(|e| panic!("{e}"));
    let mut b = Request::builder()
        .method("POST")
        .uri(path)
        .header(header::HOST, HOST)
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded");
    if let Some(c) = session {
        b = b.header(header::COOKIE, format!("dw_session={c}"));
    }
    b.body(Body::from(body)).unwrap_or_else(|e| panic!("{e}"))
}

const PAGES: [&str; 31] = [
    "/",
    "/dose",
    "/checkin",
    "/history",
    "/history?kind=doses&from=2026-10-01&to=2026-11-28",
    "/insights",
    "/insights?from=2026-11-01&to=2026-11-28",
    "/report",
    "/report/view",
    "/more",
    "/stock",
    "/protocol",
    "/meds",
    "/vitals",
    "/assess",
    "/assess/phq9",
    "/import",
    "/doses/1",
    "/checkins/1",
    "/review",
    "/screen",
    "/calc",
    "/calc?kind=solution&mass=500mg&volume=10mL&dose=12mg",
    "/info",
    "/info?topic=interactions",
    "/info?topic=interactions&name=xanax",
    "/info?topic=rules",
    "/stock/1",
    "/setup",
    "/profile",
    "/trial",
];

/// The words a page shows, without its markup, scripts or styles.
fn visible_text(page: &str) -> String {
    let mut out = String::new();
    let mut rest = page;
    while let Some(i) = rest.find('<') {
        out.push_str(&rest[..i]);
        rest = &rest[i..];
        let skip_to = if rest.starts_with("<script") {
            "</script>"
        } else if rest.starts_with("<style") {
            "</style>"
        } else {
            ">"
        };
        rest = rest
            .find(skip_to)
            .map_or("", |j| &rest[j + skip_to.len()..]);
        out.push(' ');
    }
    out.push_str(rest);
    out
}

/// No page shows a person terminal syntax: a command ("dosewise …") or a flag ("--note"). The
/// CLI's own words reach the web only through what core and the app say for every surface.
#[tokio::test]
async fn no_page_shows_terminal_syntax() {
    let demo = app().await;
    let empty = app_with(false, None).await;
    let mut seen = Vec::new();
    for (a, pages) in [
        (&demo, &PAGES[..]),
        (
            &empty,
            &[
                "/setup",
                "/setup?kind=spray",
                "/dose",
                "/stock",
                "/protocol",
                "/checkin",
                "/more",
            ][..],
        ),
    ] {
        for p in pages {
            let r = a.get(p).await;
            assert_eq!(r.status, StatusCode::OK, "{p}");
            let text = visible_text(&r.body);
            for (i, _) in text
                .match_indices("dosewise ")
                .chain(text.match_indices("--"))
            {
                let near: String = text[i.saturating_sub(60)..].chars().take(120).collect();
                // An em dash typed as two hyphens between words is punctuation, not a flag.
                if text[i..].starts_with("--")
                    && !text[i + 2..].starts_with(|c: char| c.is_ascii_lowercase())
                {
                    continue;
                }
                seen.push(format!("{p}: …{near}…"));
            }
        }
    }
    assert!(seen.is_empty(), "{seen:#?}");
}

#[tokio::test]
async fn every_page_answers_with_the_security_headers() {
    let a = app().await;
    for p in PAGES {
        let r = a.get(p).await;
        assert_eq!(r.status, StatusCode::OK, "{p}: {}", r.body);
        assert!(
            r.body.starts_with("<!DOCTYPE html>") || r.body.starts_with("<!doctype html>"),
            "{p}"
        );
        let csp = r.headers[header::CONTENT_SECURITY_POLICY]
            .to_str()
            .unwrap_or("");
        assert!(
            csp.contains("script-src 'self'") && !csp.contains("unsafe-inline"),
            "{p}: {csp}"
        );
        assert_eq!(r.headers[header::X_CONTENT_TYPE_OPTIONS], "nosniff");
        assert_eq!(r.headers[header::X_FRAME_OPTIONS], "DENY");
        assert_eq!(r.headers[header::CACHE_CONTROL], "no-store", "{p}");
    }
    // Pages show the journal: the demo's protocol and stock.
    assert!(a.get("/").await.body.contains("One day on, two off"));
    assert!(a.get("/stock").await.body.contains("Ketamine troche 25 mg"));
    // The report view allows its own stylesheet by hash, nothing inline otherwise.
    let r = a.get("/report/view").await;
    let csp = r.headers[header::CONTENT_SECURITY_POLICY]
        .to_str()
        .unwrap_or("");
    assert!(csp.contains("'sha256-") && !csp.contains("unsafe"), "{csp}");
    assert!(r.body.contains("report for a clinician"));
    assert!(
        r.body
            .contains(r#"<script src="/static/print.js" defer></script></body>"#)
    );
    // Downloads and the feed.
    let r = a.get("/calendar.ics").await;
    assert!(r.body.starts_with("BEGIN:VCALENDAR") && r.body.contains("BEGIN:VEVENT"));
    let r = a.get("/export.json").await;
    assert!(
        r.headers[header::CONTENT_DISPOSITION]
            .to_str()
            .unwrap_or("")
            .contains("attachment")
    );
    assert!(r.json()["doses"].as_array().is_some_and(|d| d.len() == 19));
    // Static files and not-found.
    assert!(a.get("/static/style.css").await.body.contains(".scale"));
    assert!(a.get("/static/app.js").await.body.contains("dry_run"));
    assert!(
        a.get("/static/print.js")
            .await
            .body
            .contains("window.print()")
    );
    let r = a.get("/no/such/page").await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    assert!(r.body.contains("Back to today"));
    assert_eq!(a.get("/doses/9999").await.status, StatusCode::NOT_FOUND);
    assert_eq!(a.get("/assess/nope").await.status, StatusCode::NOT_FOUND);
}

/// Every route but the static files needs the access key (once) or a session: what another
/// account on the same computer gets without the key is a page saying how to open it.
#[tokio::test]
async fn without_the_key_or_a_session_nothing_is_given() {
    let a = app().await;
    let bare = |uri: &str| {
        Request::builder()
            .uri(uri)
            .header(header::HOST, HOST)
            .body(Body::empty())
            .unwrap_or_else(|e| panic!("{e}"))
    };
    for p in PAGES.iter().chain(
        [
            "/api/v1/export",
            "/export.json",
            "/calendar.ics",
            "/report.pdf",
        ]
        .iter(),
    ) {
        let r = a.send(bare(p)).await;
        assert_eq!(r.status, StatusCode::UNAUTHORIZED, "{p}");
        assert!(!r.body.contains("Ketamine troche"), "{p}: no data");
        assert!(r.body.contains("web-key"), "{p}: says where the key is");
    }
    // A wrong key, a forged session: the same.
    assert_eq!(
        a.send(bare(&format!("/?key={FORGED}"))).await.status,
        StatusCode::UNAUTHORIZED
    );
    let mut forged = bare("/api/v1/export");
    forged.headers_mut().insert(
        header::COOKIE,
        format!("dw_session={FORGED}; dw_csrf={FORGED}")
            .parse()
            .unwrap_or_else(|e| panic!("{e}")),
    );
    assert_eq!(a.send(forged).await.status, StatusCode::UNAUTHORIZED);
    // Static files need nothing; a script may send the key as a bearer token.
    assert_eq!(
        a.send(bare("/static/style.css")).await.status,
        StatusCode::OK
    );
    let mut script = bare("/api/v1/today");
    script.headers_mut().insert(
        header::AUTHORIZATION,
        format!("Bearer {KEY}")
            .parse()
            .unwrap_or_else(|e| panic!("{e}")),
    );
    assert_eq!(a.send(script).await.status, StatusCode::OK);
    // The key takes the person to where they were going, without the key in the address.
    let r = a
        .send(bare(&format!("/history?kind=doses&key={KEY}")))
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    assert_eq!(r.headers[header::LOCATION], "/history?kind=doses");
    // Each session has its own CSRF token, which its forms carry.
    let page = a.get("/checkin").await.body;
    assert!(page.contains(&format!("name=\"csrf\" value=\"{}\"", a.csrf)));
    let other = session_cookie(&a.send(bare(&format!("/?key={KEY}"))).await);
    let other_page = a
        .send(with_session("/checkin", &other, HOST, None))
        .await
        .body;
    assert_ne!(csrf_of(&other_page), a.csrf);
}

#[tokio::test]
async fn state_changes_without_a_valid_token_or_from_another_site_are_refused() {
    let a = app().await;
    let before = a.count("checkins").await;
    let fields = [("csrf", a.csrf.as_str()), ("mood", "7")];
    // No session at all.
    let r = a.send(form_req("/checkin", &fields, None)).await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED, "{}", r.body);
    // The session, but a token that is not its own — an invented cookie and field pair, the old
    // double submit, is no longer enough.
    let forged = [("csrf", FORGED), ("mood", "7")];
    let mut req = form_req("/checkin", &forged, Some(&a.session));
    req.headers_mut().insert(
        header::COOKIE,
        format!("dw_session={}; dw_csrf={FORGED}", a.session)
            .parse()
            .unwrap_or_else(|e| panic!("{e}")),
    );
    let r = a.send(req).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    assert!(r.body.contains("security token"));
    // No field.
    let r = a
        .send(form_req("/checkin", &[("mood", "7")], Some(&a.session)))
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    // The right token, but sent by another site, or by this host under another scheme.
    for origin in ["http://evil.example", "https://127.0.0.1:8787", "null"] {
        let mut req = form_req("/checkin", &fields, Some(&a.session));
        req.headers_mut().insert(
            header::ORIGIN,
            origin.parse().unwrap_or_else(|e| panic!("{e}")),
        );
        assert_eq!(a.send(req).await.status, StatusCode::FORBIDDEN, "{origin}");
    }
    let mut req = form_req("/checkin", &fields, Some(&a.session));
    req.headers_mut().insert(
        "sec-fetch-site",
        "cross-site".parse().unwrap_or_else(|e| panic!("{e}")),
    );
    assert_eq!(a.send(req).await.status, StatusCode::FORBIDDEN);
    // JSON from another site, and JSON sent as a form type.
    let mut req = a
        .base("POST", "/api/v1/checkins")
        .header(header::CONTENT_TYPE, "application/json")
        .header(header::ORIGIN, "http://evil.example")
        .body(Body::from(r#"{"mood":7}"#))
        .unwrap_or_else(|e| panic!("{e}"));
    let r = a.send(req).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    assert_eq!(r.json()["error"]["kind"], "forbidden");
    req = a
        .base("POST", "/api/v1/checkins")
        .header(header::CONTENT_TYPE, "text/plain")
        .body(Body::from(r#"{"mood":7}"#))
        .unwrap_or_else(|e| panic!("{e}"));
    let r = a.send(req).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert!(
        r.json()["error"]["message"]
            .as_str()
            .unwrap_or("")
            .contains("application/json")
    );
    // A form that is not UTF-8 once decoded is refused, not read with U+FFFD in it.
    let body = format!("csrf={}&mood=7&note=%FF%FEcaf%E9", a.csrf);
    let r = a
        .send(with_session("/checkin", &a.session, HOST, Some(&body)))
        .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert!(r.body.contains("UTF-8"), "{}", r.body);
    assert_eq!(a.count("checkins").await, before, "nothing was written");
    // The same origin with the token is accepted.
    let mut req = form_req("/checkin", &fields, Some(&a.session));
    req.headers_mut().insert(
        header::ORIGIN,
        format!("http://{HOST}")
            .parse()
            .unwrap_or_else(|e| panic!("{e}")),
    );
    assert_eq!(a.send(req).await.status, StatusCode::SEE_OTHER);
    assert_eq!(a.count("checkins").await, before + 1);
}

/// Another site's page cannot make the browser fetch the journal, a report or a download (a
/// cross-site GET carries `Sec-Fetch-Site: cross-site`), even with a session.
#[tokio::test]
async fn cross_site_reads_of_the_journal_are_refused() {
    let a = app().await;
    for p in [
        "/export.json",
        "/report.pdf",
        "/report/view",
        "/api/v1/export",
        "/calendar.ics",
        "/api/v1/today",
    ] {
        for site in ["cross-site", "same-site"] {
            let req = a
                .base("GET", p)
                .header("sec-fetch-site", site)
                .body(Body::empty())
                .unwrap_or_else(|e| panic!("{e}"));
            let r = a.send(req).await;
            assert_eq!(r.status, StatusCode::FORBIDDEN, "{p} {site}");
            assert!(!r.body.contains("\"doses\""), "{p}");
        }
        // This app's own page, or the person's address bar: allowed.
        for site in ["same-origin", "none"] {
            let req = a
                .base("GET", p)
                .header("sec-fetch-site", site)
                .body(Body::empty())
                .unwrap_or_else(|e| panic!("{e}"));
            assert_ne!(
                a.send(req).await.status,
                StatusCode::FORBIDDEN,
                "{p} {site}"
            );
        }
    }
    // A page itself may be opened from a link (it shows, it does not download).
    let req = a
        .base("GET", "/")
        .header("sec-fetch-site", "cross-site")
        .body(Body::empty())
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(a.send(req).await.status, StatusCode::OK);
}

/// The green "saved" box says only what the server words: text in the address is never shown.
#[tokio::test]
async fn notices_are_codes_never_text_from_the_address() {
    let a = app().await;
    let lure = "Your clinician approved raising the dose to 50 mg";
    for p in ["/more", "/stock", "/meds", "/protocol", "/screen"] {
        let q = serde_urlencoded::to_string([("saved", lure)]).unwrap_or_default();
        let r = a.get(&format!("{p}?{q}")).await;
        assert_eq!(r.status, StatusCode::OK, "{p}");
        assert!(
            !r.body.contains("approved raising"),
            "{p} shows attacker text"
        );
        assert!(!r.body.contains("role=\"status\""), "{p}: no notice at all");
    }
    // A real change shows the server's words, with the stock's own name and amount.
    let r = a
        .form(
            "/stock",
            &[("stock", "1"), ("change", "add"), ("amount", "10 troches")],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let loc = location(&r);
    assert_eq!(loc, "/stock?saved=stock&id=1");
    let page = a.get(&loc).await.body;
    assert!(
        page.contains("Saved: Ketamine troche 25 mg now has"),
        "{page}"
    );
}

#[tokio::test]
async fn other_hosts_are_refused_without_a_login() {
    let a = app().await;
    for host in ["evil.example", "127.0.0.1:9999", "attacker.example:8787"] {
        let req = Request::builder()
            .uri("/api/v1/export")
            .header(header::HOST, host)
            .body(Body::empty())
            .unwrap_or_else(|e| panic!("{e}"));
        let r = a.send(req).await;
        assert_eq!(r.status, StatusCode::FORBIDDEN, "{host}");
        assert!(!r.body.contains("doses"), "no data leaks to {host}");
    }
    let req = Request::builder()
        .uri("/")
        .body(Body::empty())
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(a.send(req).await.status, StatusCode::FORBIDDEN, "no Host");
    let req = Request::builder()
        .uri("/")
        .header(header::HOST, "localhost:8787")
        .header(header::COOKIE, format!("dw_session={}", a.session))
        .body(Body::empty())
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(a.send(req).await.status, StatusCode::OK);
}

/// The dose form offers the routes people use at home; an injected or rectal route is offered
/// only to keep the one a form already holds.
#[tokio::test]
async fn the_dose_form_offers_home_routes() {
    let a = app().await;
    let r = a.get("/dose").await;
    assert_eq!(r.status, StatusCode::OK);
    for home in ["sublingual", "buccal", "oral", "intranasal"] {
        assert!(
            r.body.contains(&format!("<option value=\"{home}\"")),
            "{home}"
        );
    }
    for other in ["intravenous", "intramuscular", "rectal"] {
        assert!(
            !r.body.contains(&format!("value=\"{other}\"")),
            "{other} offered"
        );
    }
    // A form sent back with a clinic route keeps it selected rather than dropping it.
    let r = a
        .form(
            "/dose",
            &[
                ("amount", "1/4 troche"),
                ("route", "intramuscular"),
                ("action", "check"),
            ],
        )
        .await;
    assert!(
        r.body.contains("<option value=\"intramuscular\" selected>"),
        "{}",
        r.body
    );
}

/// A refused dose reads "Not saved" and asks whether it was already taken: yes records it as
/// it happened, with its findings, a note, and calm advice for the next hours, its sources
/// behind a fold; Today then puts it under "Needs attention". Nothing on the way suggests
/// overriding.
#[tokio::test]
async fn a_refused_dose_already_taken_is_recorded_with_advice_for_now() {
    let a = app().await;
    let before = a.count("doses").await;
    let r = a
        .form("/dose", &[("amount", "2 troches"), ("action", "log")])
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    // "Not saved" is the first thing on the page, before the question and the dose.
    let main = r.body.split("<main").nth(1).unwrap_or("");
    let at = |needle: &str| main.find(needle).unwrap_or(usize::MAX);
    assert!(
        at("Not saved") < at("Already taken?") && at("Already taken?") < at("This dose"),
        "{main}"
    );
    assert!(r.body.contains("Already taken?") && r.body.contains("value=\"taken\""));
    assert!(!r.body.to_lowercase().contains("log it with an override"));
    assert!(
        !r.body.contains("Log despite the refusal"),
        "no red override button"
    );
    assert_eq!(a.count("doses").await, before);
    let r = a
        .form("/dose", &[("amount", "2 troches"), ("action", "taken")])
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    assert_eq!(a.count("doses").await, before + 1);
    let page = a.get(&location(&r)).await.body;
    assert!(page.contains("Recorded as taken"), "{page}");
    assert!(page.contains("class=\"notice\"") && !page.contains("class=\"ok\""));
    assert!(page.contains("For the next few hours"));
    for advice in dosewise_core::knowledge::after_a_refused_dose() {
        assert!(
            page.contains(&advice.text.replace('\'', "&#39;")) || page.contains(&advice.text),
            "{}",
            advice.id
        );
    }
    assert!(page.contains("<summary>Sources</summary>"));
    let j = a.get("/api/v1/export").await.json();
    let last = j["doses"]
        .as_array()
        .and_then(|d| d.iter().max_by_key(|x| x["id"].as_i64()))
        .cloned()
        .unwrap_or_default();
    let c = codes(&last["findings"]);
    assert!(
        c.contains(&"already_taken".to_string()) && c.contains(&"limit_per_dose".to_string()),
        "{c:?}"
    );
    assert!(last["override_reason"].is_null());
    // Today: the dose is under "Needs attention", above the rest, and logging another is no
    // longer the main button; the advice is there too.
    let today = a.get("/").await.body;
    let attention = today.find("Needs attention").unwrap_or(usize::MAX);
    assert!(
        attention < today.find("id=\"doses-h\"").unwrap_or(0),
        "{today}"
    );
    assert!(
        today.contains("was recorded as taken despite a refusal"),
        "{today}"
    );
    assert!(today.contains("After your last dose") && today.contains("Do not stay alone"));
    assert!(
        !today.contains("class=\"button\" href=\"/dose\""),
        "{today}"
    );
    // The API takes the same answer.
    let api = a
        .api(
            "POST",
            "/api/v1/doses",
            serde_json::json!({ "amount": "2 troches", "already_taken": true }),
        )
        .await;
    assert_eq!(api.status, StatusCode::CREATED, "{}", api.body);
    assert_eq!(api.json()["recorded_after_the_fact"], true);
}

/// A new journal opens the first-run setup, not an empty Today: about you, what you hold, the
/// plan from a preset, the health screen — each the same form and app code as its own page,
/// what does not fit shown again in the step with nothing written — then a first dose and a
/// check-in, with no terminal.
#[tokio::test]
async fn a_new_journal_is_set_up_from_the_browser() {
    let a = app_with(false, None).await;
    let r = a.get("/").await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    assert_eq!(location(&r), "/setup");
    let page = a.get("/setup").await.body;
    assert!(
        page.contains("About you") && page.contains("name=\"zone\""),
        "{page}"
    );
    // What does not fit: the step again, with the message and what was typed; no profile.
    let r = a
        .form(
            "/profile",
            &[
                ("next", "setup"),
                ("step", "you"),
                ("zone", "Mars/Olympus"),
                ("name", "Sam"),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST, "{}", r.body);
    assert!(r.body.contains("Set up Dosewise") && r.body.contains("Mars/Olympus"));
    assert!(a.api("GET", "/api/v1/profile", Value::Null).await.json()["profile"].is_null());
    let r = a
        .form(
            "/profile",
            &[
                ("next", "setup"),
                ("step", "you"),
                ("zone", "Europe/Berlin"),
                ("name", "Sam"),
                ("weight", "70 kg"),
            ],
        )
        .await;
    assert_eq!(location(&r), "/setup");
    let page = a.get("/setup").await.body;
    assert!(
        page.contains("What you hold") && page.contains("Strength of one"),
        "{page}"
    );
    assert!(
        !page.contains("Nasal spray</legend>"),
        "only the chosen form's fields"
    );
    let spray = a.get("/setup?kind=spray").await.body;
    assert!(spray.contains("Concentration") && !spray.contains("Strength of one"));
    let stock = [
        ("next", "setup"),
        ("step", "stock"),
        ("form", "troche"),
        ("name", "Troche 25"),
        ("strength", "25 mg"),
    ];
    let mut bad = stock.to_vec();
    bad.push(("count", "-3"));
    let r = a.form("/stock/new", &bad).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST, "{}", r.body);
    assert!(r.body.contains("What you hold") && r.body.contains("value=\"Troche 25\""));
    let stocks = async |a: &App| {
        a.get("/api/v1/stock").await.json()["stocks"]
            .as_array()
            .map(Vec::len)
    };
    assert_eq!(stocks(&a).await, Some(0));
    let mut good = stock.to_vec();
    good.push(("count", "10"));
    let r = a.form("/stock/new", &good).await;
    assert_eq!(location(&r), "/setup", "{}", r.body);
    assert_eq!(stocks(&a).await, Some(1));
    let page = a.get("/setup").await.body;
    assert!(
        page.contains("Your plan") && page.contains("One day on, two days off"),
        "{page}"
    );
    let r = a
        .form(
            "/protocol/new",
            &[
                ("next", "setup"),
                ("step", "plan"),
                ("preset", "1on2off"),
                ("dose", "1/2 troche"),
                ("time", "08:00"),
                ("start", "2026-11-28"),
                ("max_dose", "25 mg"),
            ],
        )
        .await;
    assert_eq!(location(&r), "/setup", "{}", r.body);
    let plan = a.api("GET", "/api/v1/protocols", Value::Null).await.json();
    assert!(
        plan.to_string().contains("\"every\":3") || plan.to_string().contains("every 3 days"),
        "{plan}"
    );
    let page = a.get("/setup").await.body;
    assert!(
        page.contains("Health screen") && page.contains("Save my answers"),
        "{page}"
    );
    let r = a
        .form(
            "/screen",
            &[
                ("next", "setup"),
                ("step", "screen"),
                ("crisis_line", "Samaritans 116 123"),
            ],
        )
        .await;
    assert_eq!(location(&r), "/setup", "{}", r.body);
    let page = a.get("/setup").await.body;
    assert!(
        page.contains("You're set up") && !page.contains("Skipped for now"),
        "{page}"
    );
    // Today now, with the plan; the first dose and check-in from the browser.
    let today = a.get("/").await;
    assert_eq!(today.status, StatusCode::OK);
    assert!(today.body.contains("Today is a dose day"), "{}", today.body);
    let r = log_dose(&a, &[("amount", "1/2 troche")]).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let r = a.form("/checkin", &[("mood", "6")]).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    assert_eq!((a.count("doses").await, a.count("checkins").await), (1, 1));
    let p = a.api("GET", "/api/v1/profile", Value::Null).await.json();
    assert_eq!(p["profile"]["name"], "Sam");
    assert_eq!(p["profile"]["zone"], "Europe/Berlin");
}

/// A step skipped for now stays skipped and is named at the end; the profile page and the API
/// change the profile, and refuse what does not fit.
#[tokio::test]
async fn a_setup_step_can_be_skipped_and_the_profile_changed() {
    let a = app_with(false, None).await;
    let r = a
        .form(
            "/profile",
            &[
                ("next", "setup"),
                ("step", "you"),
                ("zone", "Europe/Berlin"),
            ],
        )
        .await;
    assert_eq!(location(&r), "/setup");
    for step in ["stock", "plan"] {
        let r = a.form("/setup/skip", &[("step", step)]).await;
        assert_eq!(location(&r), "/setup");
    }
    let page = a.get("/setup").await.body;
    assert!(page.contains("Save my answers"), "{page}");
    assert!(page.contains("(skipped for now)"));
    let r = a.form("/setup/skip", &[("step", "everything")]).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    let r = a.form("/setup/skip", &[("step", "screen")]).await;
    assert_eq!(location(&r), "/setup");
    let page = a.get("/setup").await.body;
    assert!(
        page.contains("You're set up")
            && page.contains("Skipped for now: What you hold, Your plan, Health screen"),
        "{page}"
    );
    // The profile page.
    let r = a
        .form(
            "/profile",
            &[
                ("name", "Sam K"),
                ("weight", "154 lb"),
                ("zone", "Europe/Berlin"),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let page = a.get(&location(&r)).await.body;
    assert!(
        page.contains("Saved.") && page.contains("value=\"Sam K\"") && page.contains("69.85 kg"),
        "{page}"
    );
    let r = a
        .form(
            "/profile",
            &[("weight", "7000 kg"), ("zone", "Europe/Berlin")],
        )
        .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    // The API.
    let r = a
        .api(
            "POST",
            "/api/v1/profile",
            serde_json::json!({ "zone": "Nowhere/Place" }),
        )
        .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST, "{}", r.body);
    let r = a
        .api(
            "POST",
            "/api/v1/profile",
            serde_json::json!({ "name": "S. K." }),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let j = r.json();
    assert_eq!(
        (j["profile"]["name"].as_str(), j["created"].as_bool()),
        (Some("S. K."), Some(false))
    );
}

/// The dose form offers one-tap amounts in the stock's own terms and quick times; a bare
/// number is in the stock's unit; "another time" takes the date-and-time field.
#[tokio::test]
async fn the_dose_form_offers_one_tap_amounts_and_quick_times() {
    let a = app().await;
    let page = a.get("/dose").await.body;
    for quick in ["¼ troche", "½ troche", "¾ troche", "1 troche"] {
        assert!(page.contains(&format!(">{quick}</button>")), "{quick}");
    }
    assert!(page.contains("name=\"amount\" value=\"1/2 troche\""));
    assert!(
        page.contains("type=\"datetime-local\"") && page.contains("max=\"2026-11-28T12:00\""),
        "{page}"
    );
    for (value, words) in [
        ("now", "Now"),
        ("-1h", "An hour ago"),
        ("other", "Another time (below)"),
    ] {
        assert!(
            page.contains(&format!("value=\"{value}\"")) && page.contains(words),
            "{words}"
        );
    }
    // One tap: the amount comes from the button; a bare number from the field is in troches.
    let r = a
        .api(
            "POST",
            "/api/v1/doses",
            serde_json::json!({ "amount": "1/2", "dry_run": true }),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(r.json()["dose"]["entered"], "1/2 troche");
    // "An hour ago" and "another time" set the time; "now" ignores a stale field.
    let times = async |fields: &[(&str, &str)]| {
        let mut f = vec![("amount", "1/4 troche"), ("action", "check")];
        f.extend_from_slice(fields);
        let r = a.form("/dose", &f).await;
        assert_eq!(r.status, StatusCode::OK, "{fields:?}: {}", r.body);
        r.body
    };
    assert!(times(&[("when", "-1h")]).await.contains("Safety check"));
    let other = times(&[("when", "other"), ("at", "2026-11-28T09:30")]).await;
    assert!(
        other.contains("value=\"2026-11-28T09:30\""),
        "the field keeps what was picked"
    );
    let r = a
        .form(
            "/dose",
            &[
                ("amount", "1/4 troche"),
                ("when", "now"),
                ("at", "2026-02-30T09:30"),
                ("action", "check"),
            ],
        )
        .await;
    assert_eq!(
        r.status,
        StatusCode::OK,
        "'now' does not read the field: {}",
        r.body
    );
    let r = a
        .form(
            "/dose",
            &[
                ("amount", "1/4 troche"),
                ("when", "other"),
                ("at", "2026-02-30T09:30"),
                ("action", "check"),
            ],
        )
        .await;
    assert_eq!(
        r.status,
        StatusCode::BAD_REQUEST,
        "an impossible date is refused"
    );
}

/// Today's page is rendered once per change of the journal and shared, but each visitor's
/// forms carry their own token: a second session gets its own, and the form works.
#[tokio::test]
async fn todays_shared_page_carries_each_visitors_own_token() {
    // A plan with a dose planned today, so Today carries the "log the planned dose" form.
    let mut a = app_with(false, None).await;
    for (path, fields) in [
        ("/profile", vec![("zone", "Europe/Berlin")]),
        (
            "/stock/new",
            vec![
                ("form", "troche"),
                ("name", "T"),
                ("strength", "25 mg"),
                ("count", "10"),
            ],
        ),
        (
            "/protocol/new",
            vec![
                ("preset", "1on2off"),
                ("dose", "1/2 troche"),
                ("time", "08:00"),
                ("start", "2026-11-28"),
            ],
        ),
    ] {
        let r = a.form(path, &fields).await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{path}: {}", r.body);
    }
    let first = a.get("/").await.body;
    assert!(first.contains("Log the planned dose now"), "{first}");
    assert!(
        !first.contains("placeholder"),
        "the stand-in never reaches a page"
    );
    let token = a.csrf.clone();
    assert_eq!(csrf_of(&first), token);
    // Another session, the journal unchanged: the same page, its own token.
    a.open_with_key().await;
    let second = a.get("/").await.body;
    assert_ne!(a.csrf, token);
    assert_eq!(csrf_of(&second), a.csrf);
    assert_eq!(first.replace(&token, &a.csrf), second);
}

/// Insights speak first: a sentence per comparison ("no clear difference", "higher, by
/// about …"), the means and intervals folded under "the numbers", and the dose–response caveat
/// beside its result in the same weight.
#[tokio::test]
async fn insights_speak_first_and_fold_the_numbers() {
    let a = app().await;
    let page = a.get("/insights").await.body;
    let text = visible_text(&page);
    assert!(
        text.contains("on dose days,") && text.contains("the day after,"),
        "{text}"
    );
    assert!(
        [
            "no clear difference",
            "higher, by about",
            "lower, by about",
            "too few days to compare"
        ]
        .iter()
        .any(|w| text.contains(w))
    );
    let numbers = page
        .find("<details class=\"numbers\">")
        .unwrap_or(usize::MAX);
    assert!(
        numbers < page.find("Mean ± SD").unwrap_or(0),
        "the numbers are folded"
    );
    assert!(
        page.contains("<table class=\"stack\">"),
        "tables stack on a phone"
    );
    if page.contains("Higher doses (over") {
        assert!(page.contains("<p class=\"caveat\">"), "{page}");
        assert!(page.find("class=\"caveat\"") < page.find("Higher doses (over"));
    }
}

/// A ticked side effect takes its 0-10 chip ("nausea 3"); a chip without the tick is not a side
/// effect; urinary symptoms, tags and the time wait under "More"; a correction starts from the
/// chip chosen.
#[tokio::test]
async fn a_side_effect_is_rated_with_chips() {
    let a = app().await;
    let page = a.get("/checkin").await.body;
    assert!(
        page.contains("name=\"se-nausea\" value=\"10\""),
        "the chips are there for the CSS to show"
    );
    let more = page.find("<details class=\"more\">").unwrap_or(usize::MAX);
    assert!(
        more < page.find("name=\"urinary\"").unwrap_or(0),
        "urinary symptoms are under More"
    );
    let r = a
        .form(
            "/checkin",
            &[
                ("mood", "6"),
                ("side_effect", "nausea"),
                ("se-nausea", "3"),
                ("se-headache", "7"),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let at = location(&r);
    let shown = a.get(&at).await.body;
    assert!(
        shown.contains("nausea 3") && !shown.contains("headache"),
        "{shown}"
    );
    let id = at
        .trim_start_matches("/checkins/")
        .split('?')
        .next()
        .unwrap_or("");
    let edit = a.get(&format!("/checkins/{id}/edit")).await.body;
    assert!(
        edit.contains("name=\"se-nausea\" value=\"3\" checked"),
        "{edit}"
    );
}

/// A dose or check-in just saved offers "Undo": it takes it back (marked deleted, the supply
/// returned), once.
#[tokio::test]
async fn a_record_just_saved_can_be_undone() {
    let a = app().await;
    let n = a.count("doses").await;
    let r = log_dose(&a, &[("amount", "1/4 troche")]).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let at = location(&r);
    let page = a.get(&at).await.body;
    assert!(
        page.contains("value=\"Undo\"") || page.contains(">Undo<"),
        "{page}"
    );
    let path = at.split('?').next().unwrap_or("").to_string();
    let r = a.form(&format!("{path}/undo"), &[]).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let page = a.get(&location(&r)).await.body;
    assert!(
        page.contains("Undone") && !page.contains(">Undo<"),
        "{page}"
    );
    assert_eq!(
        a.count("doses").await,
        n + 1,
        "an undone dose stays in the record"
    );
    let id = path.trim_start_matches("/doses/");
    let one = a.get(&format!("/api/v1/doses/{id}")).await.json();
    assert!(!one["dose"]["deleted_at"].is_null(), "{one}");
    let r = a.form(&format!("{path}/undo"), &[]).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST, "twice is refused");
    assert!(r.body.contains("can no longer be undone"));
    let r = a.form("/checkin", &[("mood", "5")]).await;
    let at = location(&r);
    let path = at.split('?').next().unwrap_or("").to_string();
    assert!(a.get(&at).await.body.contains(">Undo<"));
    let r = a.form(&format!("{path}/undo"), &[]).await;
    assert!(a.get(&location(&r)).await.body.contains("Undone"));
}

/// "Log dose" shows warnings before saving; one tap saves with them. A change that brings a
/// finding not shown asks again.
#[tokio::test]
async fn warnings_are_shown_before_saving() {
    let a = app().await;
    // The demo's plan doses every third day; today is an off day, so a dose now is off the
    // plan (a warning).
    let n = a.count("doses").await;
    let r = a
        .form("/dose", &[("amount", "1/4 troche"), ("action", "log")])
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert!(
        r.body.contains("Not saved yet") && r.body.contains("Save this dose"),
        "{}",
        r.body
    );
    assert_eq!(
        a.count("doses").await,
        n,
        "nothing saved before the confirmation"
    );
    let shown = field_of(&r.body, "confirmed");
    assert!(!shown.is_empty());
    // Confirming findings that were not the ones shown asks again.
    let r = a
        .form(
            "/dose",
            &[
                ("amount", "1/4 troche"),
                ("action", "log"),
                ("confirmed", "early"),
            ],
        )
        .await;
    assert!(r.body.contains("Not saved yet"), "{}", r.body);
    assert_eq!(a.count("doses").await, n);
    let r = a
        .form(
            "/dose",
            &[
                ("amount", "1/4 troche"),
                ("action", "log"),
                ("confirmed", &shown),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    assert_eq!(a.count("doses").await, n + 1);
    let page = a.get(&location(&r)).await.body;
    assert!(
        page.contains("off_plan") || page.contains("off day"),
        "{page}"
    );
}

/// After a PHQ-9 with item 9 above 0, the result and Today show a calm support card: the
/// person's own crisis line and clinician to tap, the helpline directory and emergency numbers,
/// the source behind a fold — not a wall of red.
#[tokio::test]
async fn thoughts_of_self_harm_bring_a_support_card() {
    let a = app().await;
    let r = a
        .form(
            "/screen",
            &[
                ("crisis_line", "Samaritans 116 123"),
                ("clinician", "Dr Lee +49 30 1234-567"),
            ],
        )
        .await;
    assert!(
        r.status.is_redirection() || r.status == StatusCode::OK,
        "{}",
        r.body
    );
    let mut fields: Vec<(String, String)> = (0..9).map(|k| (format!("q{k}"), "0".into())).collect();
    fields[8].1 = "1".into();
    let f: Vec<(&str, &str)> = fields
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    let r = a.form("/assess/phq9", &f).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    for page in [r.body, a.get("/").await.body] {
        assert!(page.contains("Talk to someone today"), "{page}");
        assert!(page.contains("href=\"tel:116123\""), "{page}");
        assert!(
            page.contains(
                "Your clinician: <a href=\"tel:+49301234567\">Dr Lee +49 30 1234-567</a>"
            ),
            "{page}"
        );
        assert!(page.contains("href=\"tel:112\"") && page.contains("findahelpline.com"));
        assert!(page.contains("<summary>Sources</summary>"));
        assert!(!page.contains("class=\"error\""), "no wall of red");
    }
}

#[tokio::test]
async fn hostile_text_is_escaped_everywhere_it_is_shown() {
    let a = app().await;
    let evil = "<script>alert('x')</script><img src=x onerror=alert(1)>";
    let r = a
        .form(
            "/checkin",
            &[("mood", "5"), ("note", evil), ("tags", "work")],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let loc = location(&r);
    let r = log_dose(&a, &[("amount", "1/4 troche"), ("note", evil)]).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let dose_loc = r.headers[header::LOCATION]
        .to_str()
        .unwrap_or("")
        .to_string();
    let r = a.form("/meds", &[("name", evil)]).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    for page in [
        loc.as_str(),
        dose_loc.as_str(),
        "/history",
        "/meds",
        "/report/view?private=1",
    ] {
        let body = a.get(page).await.body;
        assert!(
            !body.contains("<script>alert") && !body.contains("<img src=x"),
            "{page} shows raw markup"
        );
        assert!(
            body.contains("&lt;script&gt;") || body.contains("&lt;img"),
            "{page} shows the escaped text"
        );
    }
}

/// Notes from the clinic (left by a sync) are on Today, as text, newest first; old ones are
/// not.
#[tokio::test]
async fn notes_from_the_clinic_are_on_today_as_text() {
    let notes = serde_json::json!([
        { "id": 2, "at": "2026-11-27T09:00:00Z", "author": "Dr K, North Clinic",
          "text": "Keep to <b>10 mg</b> until Friday." },
        { "id": 1, "at": "2026-09-01T09:00:00Z", "author": "Dr K, North Clinic",
          "text": "An old note from September." },
    ])
    .to_string();
    let a = app_with_settings(true, None, &[("clinic_notes", &notes)]).await;
    let body = a.get("/").await.body;
    assert!(body.contains("From your clinic"), "{body}");
    assert!(body.contains("Keep to &lt;b&gt;10 mg&lt;/b&gt; until Friday."));
    assert!(body.contains("Dr K, North Clinic"));
    assert!(
        !body.contains("An old note from September"),
        "older than 30 days"
    );
    let plain = app().await.get("/").await.body;
    assert!(!plain.contains("From your clinic"), "no notes, no section");
}

#[tokio::test]
async fn a_refused_dose_is_not_logged_until_overridden_with_a_reason() {
    let a = app().await;
    let before = a.count("doses").await;
    // Two 25 mg troches break the protocol's 25 mg limit.
    let r = a
        .form("/dose", &[("amount", "2 troches"), ("action", "log")])
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.body.contains("Not saved") && r.body.contains("refused this dose"));
    assert!(
        r.body.contains("name=\"override\""),
        "the override field appears"
    );
    assert!(r.body.contains("Why") && r.body.contains("Sources"));
    assert_eq!(a.count("doses").await, before);
    // The API gives the same verdict, computed by the same code.
    let api = a
        .api(
            "POST",
            "/api/v1/doses",
            serde_json::json!({ "amount": "2 troches" }),
        )
        .await;
    assert_eq!(api.status, StatusCode::UNPROCESSABLE_ENTITY);
    let j = api.json();
    assert_eq!(j["refused"], true);
    let codes = codes(&j["verdict"]["findings"]);
    assert!(codes.iter().any(|c| c == "limit_per_dose"), "{codes:?}");
    for c in &codes {
        assert!(!c.is_empty());
    }
    assert_eq!(a.count("doses").await, before);
    // An empty reason, a reason that says nothing, or a reason without the confirming box
    // logs nothing; the refusal stays on the page with what is missing.
    for (reason, confirm, expect) in [
        ("  ", "yes", "at least 2 words"),
        ("ok", "yes", "at least 2 words"),
        ("new dose agreed with Dr K", "", "tick the box"),
    ] {
        let r = a
            .form(
                "/dose",
                &[
                    ("amount", "2 troches"),
                    ("action", "override"),
                    ("override", reason),
                    ("override_confirm", confirm),
                ],
            )
            .await;
        assert_eq!(r.status, StatusCode::BAD_REQUEST, "{reason:?}");
        assert!(r.body.contains(expect), "{reason:?}: {}", r.body);
        assert!(r.body.contains("Already taken?"), "the refusal stays shown");
        assert_eq!(a.count("doses").await, before);
    }
    // "Log dose" with a reason is no override: the refusal again.
    let r = a
        .form(
            "/dose",
            &[
                ("amount", "2 troches"),
                ("action", "log"),
                ("override", "new dose agreed with Dr K"),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    // With a reason and the box it is logged; the reason is kept and shown, and the page
    // confirms it in neutral words, not as a plain success.
    let r = override_dose(&a, &[("amount", "2 troches")], "new dose agreed with Dr K").await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    let loc = location(&r);
    let page = a.get(&loc).await.body;
    assert!(
        page.contains("Logged despite a refusal") && page.contains("new dose agreed with Dr K")
    );
    assert!(
        page.contains("class=\"notice\"") && !page.contains("class=\"ok\""),
        "{page}"
    );
    assert!(page.contains("For the next few hours"), "{page}");
    assert!(page.contains("50 mg HCl"), "{page}");
    let doses = a
        .get("/api/v1/doses?from=2026-11-28&to=2026-11-28")
        .await
        .json();
    let last = doses["doses"]
        .as_array()
        .and_then(|d| d.last())
        .cloned()
        .unwrap_or_default();
    assert_eq!(last["override_reason"], "new dose agreed with Dr K");
    assert!(
        last["findings"]
            .as_array()
            .is_some_and(|f| f.iter().any(|x| x["code"] == "limit_per_dose"))
    );
    assert_eq!(a.count("doses").await, before + 1);
    // A dry run ("check first") writes nothing and shows the conversion.
    let r = a
        .form("/dose", &[("amount", "1/4 troche"), ("action", "check")])
        .await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(r.body.contains("6.25 mg HCl"), "{}", r.body);
    assert_eq!(a.count("doses").await, before + 1);
}

#[tokio::test]
async fn bad_input_is_explained_and_changes_nothing() {
    let a = app().await;
    let doses = a.count("doses").await;
    let checkins = a.count("checkins").await;
    for (amount, expect) in [
        ("10 g", "troche"),
        ("-1 troche", "greater than zero"),
        ("NaN mg", "not a number"),
        ("12,5 mg", "uses a comma"),
    ] {
        let r = a
            .form("/dose", &[("amount", amount), ("action", "log")])
            .await;
        assert_eq!(r.status, StatusCode::BAD_REQUEST, "{amount}");
        assert!(r.body.contains("Not saved"), "{amount}");
        assert!(r.body.contains(expect), "{amount}: {}", r.body);
        assert!(
            r.body
                .contains(&format!("value=\"{}\"", amount.replace('&', "&amp;"))),
            "what was typed is kept"
        );
    }
    let r = a
        .form(
            "/dose",
            &[
                ("amount", "1/4 troche"),
                ("at", "2026-02-30 08:00"),
                ("action", "log"),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    for fields in [
        vec![("mood", "11")],
        vec![("mood", "seven")],
        vec![("urinary", "everything")],
        vec![("note", "x")]
            .into_iter()
            .chain([("at", "tomorrow 25:00")])
            .collect(),
    ] {
        let r = a.form("/checkin", &fields).await;
        assert_eq!(r.status, StatusCode::BAD_REQUEST, "{fields:?}: {}", r.body);
    }
    let huge = "x".repeat(20_000);
    let r = a.form("/checkin", &[("mood", "5"), ("note", &huge)]).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    // Beyond the body limit.
    let enormous = "y".repeat(300 * 1024);
    let r = a.form("/checkin", &[("note", &enormous)]).await;
    assert_eq!(r.status, StatusCode::PAYLOAD_TOO_LARGE);
    let r = a
        .api(
            "POST",
            "/api/v1/checkins",
            serde_json::json!({ "mood": 5, "bogus": 1 }),
        )
        .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert_eq!(r.json()["error"]["kind"], "input");
    let r = a
        .api(
            "POST",
            "/api/v1/vitals",
            serde_json::json!({ "bp": "80/120", "context": "pre_dose" }),
        )
        .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST, "{}", r.body);
    let r = a.get("/history?from=2026-12-01&to=2026-11-01").await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert_eq!(a.count("doses").await, doses);
    assert_eq!(a.count("checkins").await, checkins);
}

#[tokio::test]
async fn the_api_is_described_and_every_route_answers() {
    let a = app().await;
    let doc = a.get("/api/v1/openapi.json").await.json();
    assert_eq!(doc["openapi"], "3.1.0");
    let paths = doc["paths"].as_object().cloned().unwrap_or_default();
    for (method, path) in dosewise_web::API_ROUTES {
        let full = format!("/api/v1{path}");
        assert!(
            paths.get(&full).is_some_and(|p| p.get(method).is_some()),
            "{method} {full} is not described"
        );
        // A record's address, with a record that exists in the sample journal.
        let concrete = full.replace("{id}", "1").replace("{topic}", "risks");
        let r = if method == "get" {
            a.get(&concrete).await
        } else {
            a.api("POST", &concrete, serde_json::json!({ "not": "valid" }))
                .await
        };
        assert_ne!(r.status, StatusCode::METHOD_NOT_ALLOWED, "{method} {full}");
        // The sample journal has no blinded trial: its labels and result answer that, from
        // their own handler (not the fallback's "no such API route").
        if method == "get" && ["/trial/labels", "/trial/result"].contains(&path) {
            assert_eq!(r.status, StatusCode::NOT_FOUND, "{full}");
            let m = r.json()["error"]["message"]
                .as_str()
                .unwrap_or_default()
                .to_string();
            assert!(m.contains("no blinded trial"), "{full}: {m}");
            continue;
        }
        assert_ne!(r.status, StatusCode::NOT_FOUND, "{method} {full}");
        if method == "get" {
            assert_eq!(r.status, StatusCode::OK, "{full}: {}", r.body);
        } else {
            assert_eq!(r.status, StatusCode::BAD_REQUEST, "{full}: {}", r.body);
            assert!(r.json()["error"]["message"].is_string());
        }
    }
    let described: usize = paths
        .values()
        .map(|p| p.as_object().map_or(0, |o| o.len()))
        .sum();
    assert_eq!(
        described,
        dosewise_web::API_ROUTES.len(),
        "no described route is missing from the router"
    );
    // Round trips through the API.
    let r = a
        .api(
            "POST",
            "/api/v1/checkins",
            serde_json::json!({ "mood": 6, "urinary": ["blood"] }),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED);
    assert_eq!(r.json()["warnings"][0]["code"], "urinary_symptoms");
    let r = a
        .api(
            "POST",
            "/api/v1/assessments",
            serde_json::json!({ "instrument": "phq9", "answers": [1,1,1,1,1,1,1,1,1] }),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED);
    assert_eq!(r.json()["assessment"]["total"], 9);
    assert!(
        r.json()["crisis"]["message"].is_string(),
        "item 9 above 0 brings crisis guidance"
    );
    let r = a
        .api(
            "POST",
            "/api/v1/vitals",
            serde_json::json!({ "bp": "165/95", "heart_rate": 80, "context": "pre_dose" }),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED);
    assert!(
        r.json()["notes"][0]
            .as_str()
            .unwrap_or("")
            .contains("would be refused")
    );
    let r = a
        .api(
            "POST",
            "/api/v1/substance-uses",
            serde_json::json!({ "name": "beer", "amount": "1 pint", "at": "-1h" }),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED);
    // Blood pressure and alcohol now refuse a dose.
    let r = a
        .api(
            "POST",
            "/api/v1/doses",
            serde_json::json!({ "amount": "1/4 troche", "dry_run": true }),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK);
    let codes = codes(&r.json()["verdict"]["findings"]);
    assert!(
        codes.iter().any(|c| c == "interaction:alcohol"),
        "{codes:?}"
    );
    assert!(codes.iter().any(|c| c.starts_with("bp")), "{codes:?}");
    let i = a.get("/api/v1/insights").await.json();
    assert!(i["caveat"].as_str().unwrap_or("").contains("expectation"));
    let html = a.get("/api/v1/report?sections=scales").await;
    assert!(
        html.headers[header::CONTENT_TYPE]
            .to_str()
            .unwrap_or("")
            .starts_with("text/html")
    );
    assert!(html.body.contains("PHQ-9") && !html.body.contains("<h2>Supply</h2>"));
}

#[tokio::test]
async fn export_then_import_through_the_web_is_lossless() {
    let from = app().await;
    let export = from.get("/api/v1/export").await.body;
    let to = app_with(false, None).await;
    assert_eq!(to.count("doses").await, 0);
    // The page: multipart with the CSRF field.
    let boundary = "XdosewiseX";
    let token = to.csrf.clone();
    let body = format!(
        "--{boundary}\r\nContent-Disposition: form-data; name=\"csrf\"\r\n\r\n{token}\r\n--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"x.json\"\r\nContent-Type: application/json\r\n\r\n{export}\r\n--{boundary}--\r\n"
    );
    let req = to
        .base("POST", "/import")
        .header(
            header::CONTENT_TYPE,
            format!("multipart/form-data; boundary={boundary}"),
        )
        .body(Body::from(body.clone()))
        .unwrap_or_else(|e| panic!("{e}"));
    let r = to.send(req).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert!(r.body.contains("Imported 19 doses"), "{}", r.body);
    let again: Value = serde_json::from_str(&to.get("/api/v1/export").await.body)
        .unwrap_or_else(|e| panic!("not JSON: {e}"));
    let first: Value = serde_json::from_str(&export).unwrap_or_else(|e| panic!("not JSON: {e}"));
    // The whole journal comes back: every table, every field, the profile included.
    assert_eq!(again, first);
    assert!(first["doses"].as_array().is_some_and(|d| d.len() == 19));
    // Without the token: refused. A broken file: refused, nothing written.
    let req = to
        .base("POST", "/import")
        .header(
            header::CONTENT_TYPE,
            format!("multipart/form-data; boundary={boundary}"),
        )
        .body(Body::from(body.replace(&token, "0")))
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(to.send(req).await.status, StatusCode::FORBIDDEN);
    let r = to
        .send(
            to.base("POST", "/api/v1/import")
                .header(header::CONTENT_TYPE, "application/json")
                .body(Body::from(
                    "{\"format\": \"dosewise\", \"version\": 2, \"doses\": [}",
                ))
                .unwrap_or_else(|e| panic!("{e}")),
        )
        .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert!(
        r.json()["error"]["message"]
            .as_str()
            .unwrap_or("")
            .contains("Nothing was imported")
    );
}

#[tokio::test]
async fn with_a_login_everything_but_the_login_page_needs_a_session() {
    let login = Login::new("correct horse battery staple").unwrap_or_else(|e| panic!("{e}"));
    let mut a = app_with(true, Some(login)).await;
    let r = a.get("/").await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    assert_eq!(r.headers[header::LOCATION], "/login");
    let r = a.get("/api/v1/export").await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    assert_eq!(r.json()["error"]["kind"], "unauthorized");
    assert_eq!(a.get("/login").await.status, StatusCode::OK);
    let session = a.log_in().await;
    let with = |path: &str, host: &str| with_session(path, &session, host, None);
    // The allowed names answer with the session…
    for host in [HOST, LAN] {
        assert_eq!(
            a.send(with("/", host)).await.status,
            StatusCode::OK,
            "{host}"
        );
        assert_eq!(
            a.send(with("/api/v1/today", host)).await.status,
            StatusCode::OK
        );
    }
    // …any other name is refused even with it (DNS rebinding inside the LAN).
    for host in [
        "192.168.1.5:8787",
        "evil.example",
        "dosewise.lan.evil.example:8787",
    ] {
        let r = a.send(with("/api/v1/today", host)).await;
        assert_eq!(r.status, StatusCode::FORBIDDEN, "{host}");
    }
    let mut req = with("/", HOST);
    req.headers_mut().insert(
        header::COOKIE,
        format!("dw_session={}", "0".repeat(64))
            .parse()
            .unwrap_or_else(|e| panic!("{e}")),
    );
    assert_eq!(
        a.send(req).await.status,
        StatusCode::SEE_OTHER,
        "an unknown session is no session"
    );
    // Log out everywhere: this session and every other end at once.
    let second = {
        let mut b = App {
            router: a.router.clone(),
            _dir: tempfile::tempdir().unwrap_or_else(|e| panic!("{e}")),
            session: String::new(),
            csrf: String::new(),
        };
        b.log_in().await
    };
    assert_eq!(
        a.send(with_session("/", &second, HOST, None)).await.status,
        StatusCode::OK
    );
    let r = a.form("/logout", &[("everywhere", "1")]).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    for s in [&session, &second] {
        assert_eq!(
            a.send(with_session("/", s, HOST, None)).await.status,
            StatusCode::SEE_OTHER,
            "ended"
        );
    }
}

/// A changed login passphrase (`serve --set-login` while the server runs) takes effect at once
/// and ends every session.
#[tokio::test]
async fn a_new_login_passphrase_ends_every_session_at_once() {
    let login = Login::new("correct horse battery staple").unwrap_or_else(|e| panic!("{e}"));
    let path = |a: &App| dosewise_web::login::path(a._dir.path());
    let mut a = app_with(true, Some(login.clone())).await;
    std::fs::write(path(&a), format!("{}\n", login.phc())).unwrap_or_else(|e| panic!("{e}"));
    // The server noticed the file as it is now; a session begins.
    let _ = a.get("/login").await;
    let session = a.log_in().await;
    assert_eq!(a.get("/").await.status, StatusCode::OK);
    // A different passphrase is written (a later modification time and another length).
    std::thread::sleep(std::time::Duration::from_millis(20));
    let new = Login::new("a completely different passphrase").unwrap_or_else(|e| panic!("{e}"));
    std::fs::write(path(&a), format!("{}\n\n", new.phc())).unwrap_or_else(|e| panic!("{e}"));
    let r = a.send(with_session("/", &session, HOST, None)).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "the old session ended");
    let r = a
        .form("/login", &[("passphrase", "correct horse battery staple")])
        .await;
    assert_ne!(
        r.status,
        StatusCode::SEE_OTHER,
        "the old passphrase no longer works"
    );
}

#[tokio::test]
async fn the_calendar_link_works_without_a_session_and_a_new_one_replaces_it() {
    let login = Login::new("correct horse battery staple").unwrap_or_else(|e| panic!("{e}"));
    let mut a = app_with(true, Some(login)).await;
    let secret = |a: &App| {
        std::fs::read_to_string(a._dir.path().join("web-calendar-link"))
            .map(|s| s.trim().to_string())
            .ok()
    };
    // No link until the person makes one; the plain feed needs a session.
    assert_eq!(secret(&a), None);
    assert_eq!(a.get("/calendar.ics").await.status, StatusCode::SEE_OTHER);
    let guess = format!("/calendar/{}.ics", "0".repeat(64));
    assert_eq!(a.get(&guess).await.status, StatusCode::NOT_FOUND);
    // Making a link is a state change: it needs the session (and the CSRF token).
    let r = a.form("/calendar-link", &[("action", "new")]).await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    assert_eq!(secret(&a), None);
    let session = a.log_in().await;
    let csrf = a.csrf.clone();
    let post = |action: &str| {
        let body = format!("csrf={csrf}&action={action}");
        with_session("/calendar-link", &session, HOST, Some(&body))
    };
    let r = a.send(post("new")).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let first = secret(&a).unwrap_or_else(|| panic!("no link made"));
    assert_eq!(first.len(), 64);
    // The link answers without any cookie, from an allowed name, with the feed.
    let feed = |s: &str| {
        Request::builder()
            .uri(format!("/calendar/{s}.ics"))
            .header(header::HOST, LAN)
            .body(Body::empty())
            .unwrap_or_else(|e| panic!("{e}"))
    };
    let r = a.send(feed(&first)).await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(
        r.headers[header::CONTENT_TYPE]
            .to_str()
            .unwrap_or("")
            .starts_with("text/calendar")
    );
    assert!(r.body.starts_with("BEGIN:VCALENDAR") && r.body.contains("BEGIN:VEVENT"));
    // Only GET: the secret is not a session for anything else.
    let mut put = feed(&first);
    *put.method_mut() = axum::http::Method::POST;
    assert_eq!(a.send(put).await.status, StatusCode::UNAUTHORIZED);
    // The More page shows it to the logged-in person.
    let more = with_session("/more", &session, HOST, None);
    assert!(
        a.send(more)
            .await
            .body
            .contains(&format!("/calendar/{first}.ics"))
    );
    // A new link replaces the old one; removing it ends it.
    assert_eq!(a.send(post("new")).await.status, StatusCode::SEE_OTHER);
    let second = secret(&a).unwrap_or_else(|| panic!("no link"));
    assert_ne!(first, second);
    assert_eq!(a.send(feed(&first)).await.status, StatusCode::NOT_FOUND);
    assert_eq!(a.send(feed(&second)).await.status, StatusCode::OK);
    assert_eq!(a.send(post("bogus")).await.status, StatusCode::BAD_REQUEST);
    assert_eq!(a.send(post("remove")).await.status, StatusCode::SEE_OTHER);
    assert_eq!(secret(&a), None);
    assert_eq!(a.send(feed(&second)).await.status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn the_overview_follows_writes_by_the_server_and_by_other_processes() {
    let a = app().await;
    let note = |r: &Res| {
        r.json()["last_checkin"]["note"]
            .as_str()
            .map(str::to_string)
    };
    let first = a.get("/api/v1/today").await;
    assert_eq!(
        a.get("/api/v1/today").await.body,
        first.body,
        "unchanged journal, same overview"
    );
    // A write through the server.
    let r = a
        .api(
            "POST",
            "/api/v1/checkins",
            serde_json::json!({ "mood": 6, "note": "from the server" }),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED);
    assert_eq!(
        note(&a.get("/api/v1/today").await).as_deref(),
        Some("from the server")
    );
    // A write by another connection to the same file, as the CLI makes.
    let other = SqliteStore::open(&a._dir.path().join("dosewise.db"))
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let now: Timestamp = NOW.parse().unwrap_or_else(|e| panic!("{e}"));
    let c = dosewise_core::checkin::NewCheckin {
        at: now,
        zone: "Europe/Berlin".into(),
        ratings: dosewise_core::checkin::Ratings {
            mood: dosewise_core::checkin::Rating::new(4).ok(),
            ..Default::default()
        },
        side_effects: vec![],
        craving: None,
        urinary: vec![],
        note: Some("from the CLI".into()),
        tags: vec![],
        private: false,
        guess: None,
    };
    other
        .add_checkin(&c, now)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    other.close().await.unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(
        note(&a.get("/api/v1/today").await).as_deref(),
        Some("from the CLI")
    );
    assert!(a.get("/").await.body.contains("Checked in today"));
}

#[tokio::test]
async fn every_form_route_saves_and_explains() {
    let a = app().await;
    // Other substances: saved, then shown; a future time refused.
    let r = a
        .form(
            "/uses",
            &[("use_name", "beer"), ("amount", "1 pint"), ("at", "-1h")],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    assert!(a.get("/meds").await.body.contains("1 pint"));
    let r = a
        .form("/uses", &[("use_name", "beer"), ("at", "2026-12-24 20:00")])
        .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert!(r.body.contains("future"));
    // Vitals: a high reading is saved and explained.
    let r = a
        .form(
            "/vitals",
            &[("bp", "170/95"), ("hr", "72"), ("context", "pre-dose")],
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert!(r.body.contains("would be refused"));
    assert!(r.body.contains("170/95"));
    let r = a
        .form("/vitals", &[("bp", "95/130"), ("context", "pre-dose")])
        .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    // A questionnaire: scored by its rules; item 9 above 0 brings the crisis guidance.
    let mut answers: Vec<(String, String)> =
        (0..9).map(|k| (format!("q{k}"), "1".to_string())).collect();
    let fields: Vec<(&str, &str)> = answers
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    let r = a.form("/assess/phq9", &fields).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert!(
        r.body.contains("9 of 27") && r.body.contains("Talk to someone today"),
        "{}",
        r.body
    );
    answers.pop();
    let fields: Vec<(&str, &str)> = answers
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    let r = a.form("/assess/phq9", &fields).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert!(r.body.contains("question 9 has no answer"));
    // Log out without a login: back home, where the session no longer opens anything.
    let r = a.form("/logout", &[]).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    assert_eq!(r.headers[header::LOCATION], "/");
    assert_eq!(a.get("/").await.status, StatusCode::UNAUTHORIZED);
}

/// The first active stock: its id, what it holds, its unit, and the ledger's length.
async fn stock_state(a: &App) -> (i64, f64, Value, usize) {
    let j = a.get("/api/v1/stock").await.json();
    let s = j["stocks"]
        .as_array()
        .and_then(|v| v.iter().find(|s| s["retired_at"].is_null()).cloned())
        .unwrap_or_else(|| panic!("no active stock: {j}"));
    let export = a.get("/api/v1/export").await.json();
    let ledger = export["stock_events"].as_array().map_or(0, Vec::len);
    (
        s["id"].as_i64().unwrap_or(0),
        s["remaining"].as_f64().unwrap_or(f64::NAN),
        s["supply_unit"].clone(),
        ledger,
    )
}

#[tokio::test]
async fn stock_is_refilled_removed_and_counted_from_the_stock_page() {
    let a = app().await;
    let (id, before, unit, lines) = stock_state(&a).await;
    assert_eq!(unit, "troche", "the demo's current stock is troches");
    let page = a.get("/stock").await;
    assert!(
        page.body.contains("Refill, remove or count") && page.body.contains("for=\"stock-amount\"")
    );
    let sid = id.to_string();
    let change = |kind: &'static str, amount: &'static str| {
        let sid = sid.clone();
        let a = &a;
        async move {
            a.form(
                "/stock",
                &[
                    ("stock", &sid),
                    ("change", kind),
                    ("amount", amount),
                    ("note", "pharmacy"),
                ],
            )
            .await
        }
    };
    // A refill, in the stock's own terms; the page says what it holds now.
    let r = change("add", "10 troches").await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let loc = location(&r);
    assert!(a.get(&loc).await.body.contains(" now has "));
    let (_, after, _, l2) = stock_state(&a).await;
    assert!(
        (after - (before + 10.0)).abs() < 1e-9,
        "{before} + 10 = {after}?"
    );
    assert_eq!(l2, lines + 1, "one ledger line per change");
    // Bad input: a clear message, a 400, and nothing written.
    for (kind, amount, says) in [
        ("add", "2 sprays", "does not fit"),
        ("add", "-3", "from 0 to"),
        ("add", "NaN", "from 0 to"),
        ("add", "99999999", "from 0 to"),
        ("remove", "100000", "only"),
        ("bogus", "1", "not a stock change"),
        ("add", "", "give an amount"),
    ] {
        let r = change(kind, amount).await;
        assert_eq!(
            r.status,
            StatusCode::BAD_REQUEST,
            "{kind} {amount}: {}",
            r.body
        );
        assert!(r.body.contains(says), "{kind} {amount}: {}", r.body);
        assert!(
            r.body.contains(&format!("value=\"{amount}\"")) || amount.is_empty(),
            "the typed amount is kept"
        );
    }
    let r = a
        .form(
            "/stock",
            &[("stock", "999"), ("change", "add"), ("amount", "1")],
        )
        .await;
    // No such stock: "not found", with nothing written.
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    assert!(r.body.contains("no stock 999"));
    assert_eq!(
        stock_state(&a).await.3,
        lines + 1,
        "nothing written by the refusals"
    );
    // A removal and a count.
    assert_eq!(
        change("remove", "1/2 troche").await.status,
        StatusCode::SEE_OTHER
    );
    assert!((stock_state(&a).await.1 - (before + 9.5)).abs() < 1e-9);
    assert_eq!(change("count", "7").await.status, StatusCode::SEE_OTHER);
    let (_, counted, _, l3) = stock_state(&a).await;
    assert!((counted - 7.0).abs() < 1e-9);
    assert_eq!(l3, lines + 3);
    let export = a.get("/api/v1/export").await.json();
    let last = export["stock_events"]
        .as_array()
        .and_then(|v| v.last().cloned())
        .unwrap_or_default();
    assert_eq!(
        (&last["kind"], &last["reason"]),
        (&"count".into(), &"pharmacy".into())
    );
    // Without the form's token nothing changes.
    let r = a
        .send(form_req(
            "/stock",
            &[
                ("stock", &id.to_string()),
                ("change", "add"),
                ("amount", "1"),
            ],
            Some(&a.session),
        ))
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    assert!((stock_state(&a).await.1 - 7.0).abs() < 1e-9);
    // The API does the same, with the same refusals.
    let r = a
        .api(
            "POST",
            "/api/v1/stock",
            serde_json::json!({ "stock": id, "change": "add", "amount": "3 troches" }),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(
        (
            r.json()["before"].as_f64(),
            r.json()["stock"]["remaining"].as_f64()
        ),
        (Some(7.0), Some(10.0))
    );
    let r = a
        .api(
            "POST",
            "/api/v1/stock",
            serde_json::json!({ "stock": id, "change": "add", "amount": "2 sprays" }),
        )
        .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert!(
        r.json()["error"]["message"]
            .as_str()
            .unwrap_or("")
            .contains("does not fit")
    );
    assert!((stock_state(&a).await.1 - 10.0).abs() < 1e-9);
}

/// Every protocol (ended ones too) with its history, as the API lists them.
async fn protocols_json(a: &App) -> Value {
    a.get("/api/v1/protocols").await.json()["protocols"].clone()
}

#[tokio::test]
async fn a_protocol_is_paused_resumed_and_ended_from_its_page() {
    let a = app().await;
    let list = protocols_json(&a).await;
    let p = list
        .as_array()
        .and_then(|v| {
            v.iter()
                .find(|p| p["protocol"]["status"] == "active")
                .cloned()
        })
        .unwrap_or_else(|| panic!("no active protocol: {list}"));
    let id = p["protocol"]["id"].as_i64().unwrap_or(0);
    let path = format!("/protocol/{id}");
    let status = |j: &Value| {
        j.as_array()
            .and_then(|v| v.iter().find(|p| p["protocol"]["id"] == id).cloned())
            .map(|p| {
                (
                    p["protocol"]["status"].clone(),
                    p["events"].as_array().map_or(0, Vec::len),
                )
            })
            .unwrap_or_default()
    };
    let (_, events) = status(&list);
    assert!(a.get("/protocol").await.body.contains("Pause from today"));
    // Pause: planned doses stop, the history says so.
    let r = a.form(&path, &[("action", "pause")]).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let loc = location(&r);
    let page = a.get(&loc).await.body;
    assert!(page.contains("no dose is planned until you resume") && page.contains("Resume today"));
    assert_eq!(
        status(&protocols_json(&a).await),
        (Value::from("paused"), events + 1)
    );
    // Pausing twice is refused (a conflict with the protocol's state), with nothing written.
    let r = a.form(&path, &[("action", "pause")]).await;
    assert_eq!(r.status, StatusCode::CONFLICT);
    assert!(r.body.contains("not active"));
    assert_eq!(status(&protocols_json(&a).await).1, events + 1);
    assert_eq!(
        a.form(&path, &[("action", "resume")]).await.status,
        StatusCode::SEE_OTHER
    );
    assert_eq!(
        status(&protocols_json(&a).await),
        (Value::from("active"), events + 2)
    );
    // Ending needs the confirmation box.
    let r = a.form(&path, &[("action", "end")]).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert!(r.body.contains("tick the box"));
    assert_eq!(status(&protocols_json(&a).await).0, "active");
    for (action, says) in [("bogus", "choose pause, resume or end")] {
        let r = a.form(&path, &[("action", action)]).await;
        assert_eq!(r.status, StatusCode::BAD_REQUEST);
        assert!(r.body.contains(says), "{}", r.body);
    }
    let r = a.form("/protocol/999", &[("action", "pause")]).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert!(r.body.contains("no protocol 999"));
    // Without the form's token nothing changes.
    let r = a
        .send(form_req(
            &path,
            &[("action", "end"), ("confirm_end", "yes")],
            Some(&a.session),
        ))
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    assert_eq!(status(&protocols_json(&a).await).0, "active");
    let r = a
        .form(&path, &[("action", "end"), ("confirm_end", "yes")])
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    // Ended, with its whole history kept.
    assert_eq!(
        status(&protocols_json(&a).await),
        (Value::from("ended"), events + 3)
    );
    assert!(!a.get("/protocol").await.body.contains("Pause from today"));
}

#[tokio::test]
async fn the_report_downloads_as_pdf_when_chromium_is_installed() {
    if dosewise_app::pdf::find_chromium().is_none() {
        // scripts/test installs it; without it the route must say what to do instead.
        let a = app().await;
        let r = a.get("/report.pdf").await;
        assert_eq!(r.status, StatusCode::BAD_REQUEST);
        assert!(r.body.contains("Chromium"));
        return;
    }
    let a = app().await;
    let r = a.get("/report.pdf?sections=scales").await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(r.headers[header::CONTENT_TYPE], "application/pdf");
    assert!(
        r.headers[header::CONTENT_DISPOSITION]
            .to_str()
            .unwrap_or("")
            .contains("dosewise-report-")
    );
    assert!(r.body.starts_with("%PDF"));
    // Nothing of the print is left in the home.
    let left: Vec<_> = std::fs::read_dir(a._dir.path())
        .map(|d| d.filter_map(Result::ok).map(|e| e.file_name()).collect())
        .unwrap_or_default();
    assert!(
        left.iter()
            .all(|n| !n.to_string_lossy().starts_with(".report-")),
        "{left:?}"
    );
    let r = a.get("/report.pdf?sections=nonsense").await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
}

/// A dose already taken is recorded with the findings that would have applied — on the page and
/// through the API alike; the same dose about to be taken is refused.
#[tokio::test]
async fn a_dose_already_taken_is_recorded_with_its_findings() {
    let a = app().await;
    let before = a.count("doses").await;
    let api = a
        .api(
            "POST",
            "/api/v1/doses",
            serde_json::json!({ "amount": "2 troches", "at": "-2h" }),
        )
        .await;
    assert_eq!(api.status, StatusCode::CREATED, "{}", api.body);
    let j = api.json();
    assert_eq!(j["logged"], true);
    assert_eq!(j["refused"], false);
    assert_eq!(j["recorded_after_the_fact"], true);
    assert_eq!(j["dose"]["override_reason"], Value::Null);
    let refusing = j["dose"]["findings"].as_array().is_some_and(|f| {
        f.iter()
            .any(|x| x["severity"] == "refuse" && x["code"] == "limit_per_dose")
    });
    assert!(refusing, "{}", j["dose"]["findings"]);
    assert_eq!(a.count("doses").await, before + 1);
    // The form: recorded, and its page says so.
    let r = log_dose(&a, &[("amount", "2 troches"), ("at", "-3h")]).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let loc = location(&r);
    let page = a.get(&loc).await.body;
    assert!(page.contains("Recorded after the fact"), "{page}");
    assert!(page.contains("limit_per_dose") || page.contains("per-dose limit"));
    // The same amount now is refused and writes nothing.
    let now = a
        .api(
            "POST",
            "/api/v1/doses",
            serde_json::json!({ "amount": "2 troches" }),
        )
        .await;
    assert_eq!(now.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(a.count("doses").await, before + 2);
}

/// The health screen on the web: answers saved dated, a label contraindication refuses doses,
/// bad input changes nothing, and the crisis line comes first in crisis guidance.
#[tokio::test]
async fn the_health_screen_page() {
    let a = app().await;
    let r = a.get("/screen").await;
    assert_eq!(r.status, StatusCode::OK);
    for q in dosewise_core::screen::questions() {
        assert!(
            r.body.contains(&format!("value=\"{}\"", q.code)),
            "{}",
            q.code
        );
    }
    // Unknown code or a control character in the crisis line: 400, nothing saved.
    let bad = a
        .form("/screen", &[("yes", "gills"), ("crisis_line", "988")])
        .await;
    assert_eq!(bad.status, StatusCode::BAD_REQUEST);
    let bad = a
        .form(
            "/screen",
            &[("yes", "aneurysm"), ("crisis_line", "98\u{7}8")],
        )
        .await;
    assert_eq!(bad.status, StatusCode::BAD_REQUEST);
    let dry = a
        .api(
            "POST",
            "/api/v1/doses",
            serde_json::json!({ "amount": "1/2 troche", "dry_run": true, "at": "-1min" }),
        )
        .await
        .json();
    let codes = |j: &Value| codes(&j["verdict"]["findings"]);
    assert!(
        !codes(&dry).iter().any(|c| c.starts_with("screen:")),
        "nothing saved"
    );
    let ok = a
        .form(
            "/screen",
            &[
                ("yes", "aneurysm"),
                ("yes", "pregnancy"),
                ("crisis_line", "Samaritans 116 123"),
            ],
        )
        .await;
    assert_eq!(ok.status, StatusCode::SEE_OTHER);
    let page = a.get("/screen").await.body;
    assert!(page.contains("value=\"aneurysm\" checked"), "ticked again");
    assert!(page.contains("Samaritans 116 123"));
    let dry = a
        .api(
            "POST",
            "/api/v1/doses",
            serde_json::json!({ "amount": "1/2 troche", "dry_run": true, "at": "-1min" }),
        )
        .await
        .json();
    assert!(
        codes(&dry).contains(&"screen:aneurysm".to_string()),
        "{:?}",
        codes(&dry)
    );
    assert_eq!(dry["refused"], true);
    // The follow-up is structured (each surface words it): the API gives the step.
    let aneurysm = dry["verdict"]["findings"]
        .as_array()
        .and_then(|f| f.iter().find(|x| x["code"] == "screen:aneurysm"))
        .cloned()
        .unwrap_or_default();
    assert_eq!(aneurysm["step"], "clear_screen", "{aneurysm}");
    assert!(!aneurysm["action"].as_str().unwrap_or("`").contains('`'));
    // PHQ-9 item 9: the crisis guidance starts with the person's own line.
    let mut fields: Vec<(String, String)> = (0..8).map(|k| (format!("q{k}"), "0".into())).collect();
    fields.push(("q8".into(), "1".into()));
    let f: Vec<(&str, &str)> = fields
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    let r = a.form("/assess/phq9", &f).await;
    assert!(
        r.body
            .contains("Your crisis line: <a href=\"tel:116123\">Samaritans 116 123</a>"),
        "{}",
        r.body
    );
    assert!(r.body.contains("findahelpline.com"));
}

/// A stock added, its drops calibrated and retired from the stock page, through the same
/// code as the CLI: each form, what does not fit refused with the fields kept and nothing
/// written, the notice worded from the journal, and nothing without the form's token.
#[tokio::test]
async fn stocks_are_added_calibrated_and_retired_from_the_page() {
    let a = app_with(false, None).await;
    assert!(a.get("/stock").await.body.contains("Add a stock"));
    let troche = [
        ("name", "Troche 25"),
        ("form", "troche"),
        ("salt", "hcl"),
        ("substance", "ketamine"),
        ("strength", "25 mg"),
        ("count", "29,5"),
        ("expiry", "2027-06-01"),
    ];
    let r = a.form("/stock/new", &troche).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let back = a.get(&location(&r)).await;
    assert!(
        back.body.contains("Added Troche 25: 29.5 troches on hand."),
        "{}",
        back.body
    );
    let list = all_stocks(&a).await;
    assert_eq!(list.len(), 1);
    assert_eq!(list[0]["remaining"], 29.5);
    assert_eq!(list[0]["expiry"], "2027-06-01");
    // Refusals keep what was typed and write nothing.
    for (fields, says) in [
        (
            vec![
                ("name", "G"),
                ("form", "troche"),
                ("strength", "10 g"),
                ("count", "10"),
            ],
            "looks like a unit mistake",
        ),
        (
            vec![
                ("name", "Q"),
                ("form", "troche"),
                ("strength", "25 mg"),
                ("count", "0.3"),
            ],
            "halves and quarters",
        ),
        (
            vec![("name", "N"), ("form", "troche"), ("strength", "25 mg")],
            "how many troches",
        ),
        (
            vec![
                ("name", "S"),
                ("form", "spray"),
                ("concentration", "100 mg/mL"),
                ("bottle", "5 mL"),
            ],
            "volume of one spray",
        ),
        (
            vec![
                ("name", "P"),
                ("form", "spray"),
                ("concentration", "100 mg/mL"),
                ("spray_volume", "0.1 mL"),
                ("bottle", "1 mL"),
                ("priming", "10"),
            ],
            "priming sprays use the whole bottle",
        ),
        (
            vec![
                ("name", "X"),
                ("form", "crystal"),
                ("strength", "25 mg"),
                ("count", "1"),
            ],
            "choose a form",
        ),
        (
            vec![
                ("name", "Troche 25"),
                ("form", "troche"),
                ("strength", "25 mg"),
                ("count", "1"),
            ],
            "already named",
        ),
        (
            vec![
                ("name", "B"),
                ("form", "troche"),
                ("salt", "sulphate"),
                ("strength", "25 mg"),
                ("count", "1"),
            ],
            "not a salt form",
        ),
    ] {
        let r = a.form("/stock/new", &fields).await;
        // A name already taken is a conflict with what is recorded (409); the rest is input.
        let want = if says == "already named" {
            StatusCode::CONFLICT
        } else {
            StatusCode::BAD_REQUEST
        };
        assert_eq!(r.status, want, "{fields:?}: {}", r.body);
        assert!(
            r.body.contains(says),
            "{fields:?} should say {says:?}: {}",
            r.body
        );
        assert!(
            r.body.contains(&format!("value=\"{}\"", fields[0].1)),
            "the name is kept"
        );
    }
    assert_eq!(
        all_stocks(&a).await.len(),
        1,
        "nothing written by the refusals"
    );
    // A solution, its drops calibrated; drops are for solutions only.
    let r = a
        .form(
            "/stock/new",
            &[
                ("name", "Home solution"),
                ("form", "solution"),
                ("mass", "500 mg"),
                ("volume", "10 mL"),
                ("purity", "100"),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let page = a.get("/stock").await.body;
    assert!(page.contains("Calibrate drops") && page.contains("Retire a stock"));
    let r = a
        .form(
            "/stock/drops",
            &[("stock", "2"), ("drop_volume", "0.05 mL")],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let prep = &all_stocks(&a).await[1]["preparation"];
    assert_eq!(prep["drop_ml"], 0.05, "{prep}");
    let r = a
        .form(
            "/stock/drops",
            &[("stock", "1"), ("drop_volume", "0.05 mL")],
        )
        .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert!(r.body.contains("solutions only"));
    // Retired, with the notice; a stock of another journal or none is refused.
    let r = a.form("/stock/retire", &[("stock", "999")]).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    let r = a
        .form("/stock/retire", &[("stock", "1"), ("reason", "used up")])
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    assert!(
        a.get(&location(&r))
            .await
            .body
            .contains("Retired Troche 25.")
    );
    assert!(all_stocks(&a).await[0]["retired_at"].is_string());
    // Without the form's token nothing is added.
    let r = a
        .send(form_req("/stock/new", &troche, Some(&a.session)))
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    assert_eq!(all_stocks(&a).await.len(), 2);
}

async fn all_stocks(a: &App) -> Vec<serde_json::Value> {
    a.get("/api/v1/export").await.json()["stocks"]
        .as_array()
        .cloned()
        .unwrap_or_default()
}

/// A protocol started and changed from the protocol page, through the same code as the CLI:
/// the pattern and dose as typed, refusals that keep the form and write nothing, a change kept
/// in the history with its reason, nothing without the form's token.
#[tokio::test]
async fn a_protocol_is_started_and_changed_from_the_page() {
    let a = app_with(false, None).await;
    let protocols = async |a: &App| {
        a.get("/api/v1/export").await.json()["protocols"]
            .as_array()
            .cloned()
            .unwrap_or_default()
    };
    assert!(a.get("/protocol").await.body.contains("Start a protocol"));
    for (fields, says) in [
        (
            vec![("pattern", "weekdays"), ("dose", "12.5 mg")],
            "tick at least one weekday",
        ),
        (
            vec![("pattern", "every"), ("every", "3"), ("dose", "1/2 troche")],
            "needs a stock",
        ),
        (
            vec![("pattern", "every"), ("every", "0"), ("dose", "12.5 mg")],
            "from 1 to 60 days",
        ),
        (
            vec![
                ("pattern", "every"),
                ("every", "3"),
                ("dose", "12.5 mg"),
                ("titrate_start", "10 mg"),
            ],
            "titration ladder needs",
        ),
        (
            vec![("pattern", "monthly"), ("dose", "12.5 mg")],
            "choose which days",
        ),
        (
            vec![
                ("pattern", "every"),
                ("every", "3"),
                ("dose", "12.5 mg"),
                ("bp_warn_above", "170/100"),
            ],
            "below",
        ),
    ] {
        let r = a.form("/protocol/new", &fields).await;
        assert_eq!(r.status, StatusCode::BAD_REQUEST, "{fields:?}: {}", r.body);
        assert!(
            r.body.contains(says),
            "{fields:?} should say {says:?}: {}",
            r.body
        );
        assert!(
            r.body.contains("value=\"12.5 mg\"") || fields[1].1 != "12.5 mg",
            "the dose is kept"
        );
    }
    assert!(
        protocols(&a).await.is_empty(),
        "nothing written by the refusals"
    );
    let r = a
        .form(
            "/protocol/new",
            &[
                ("name", "Plan A"),
                ("pattern", "weekdays"),
                ("weekdays", "mon"),
                ("weekdays", "thu"),
                ("dose", "12.5 mg"),
                ("time", "09:30"),
                ("max_dose", "25 mg"),
                ("require_bp", "yes"),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    assert!(
        a.get(&location(&r))
            .await
            .body
            .contains("&quot;Plan A&quot; is started.")
    );
    let list = protocols(&a).await;
    assert_eq!(list.len(), 1);
    let p = &list[0];
    assert_eq!(
        p["pattern"],
        serde_json::json!({"kind": "weekdays", "days": ["mon", "thu"]}),
        "{p}"
    );
    assert_eq!(
        (
            &p["time"],
            &p["limits"]["max_per_dose_mg"],
            &p["require_bp"]
        ),
        (&"09:30:00".into(), &25.0.into(), &true.into())
    );
    // A change: nothing to change is refused; a dose change is kept with its reason.
    let r = a.form("/protocol/1/change", &[]).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert!(r.body.contains("nothing to change"));
    let r = a
        .form(
            "/protocol/1/change",
            &[("dose", "15 mg"), ("reason", "review on 20 Nov")],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let page = a.get(&location(&r)).await.body;
    assert!(page.contains("&quot;Plan A&quot; is changed"), "{page}");
    assert!(
        page.contains("dose 12.5 mg → 15 mg (review on 20 Nov)"),
        "{page}"
    );
    // Without the form's token nothing changes.
    let r = a
        .send(form_req(
            "/protocol/1/change",
            &[("dose", "20 mg")],
            Some(&a.session),
        ))
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    assert_eq!(protocols(&a).await[0]["dose"]["mg"], 15.0);
}

/// A dose corrected and deleted from its page, through the same code as the CLI: a correction
/// over the limit is refused with the verdict and written only with a reason; the earlier
/// version is listed; a deletion needs its box ticked and returns the supply.
#[tokio::test]
async fn a_dose_is_corrected_and_deleted_from_its_page() {
    let a = app().await;
    let export = async |a: &App| a.get("/api/v1/export").await.json();
    let dose = |j: &serde_json::Value, id: i64| {
        j["doses"]
            .as_array()
            .and_then(|d| d.iter().find(|x| x["id"] == id).cloned())
            .unwrap_or_default()
    };
    // A dose taken now (a correction of a dose weeks old would be recorded after the fact,
    // never refused).
    let r = log_dose(&a, &[("amount", "1/2 troche")]).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let at = location(&r);
    let id: i64 = at
        .trim_start_matches("/doses/")
        .split('?')
        .next()
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("{at}"));
    let path = |what: &str| format!("/doses/{id}{what}");
    let page = a.get(&path("")).await;
    assert!(page.body.contains("Correct this dose") && page.body.contains("Delete this dose"));
    let before = export(&a).await;
    // Two troches are over the demo's 25 mg limit: refused, the verdict shown, nothing written.
    let r = a
        .form(
            &path("/edit"),
            &[("amount", "2 troches"), ("reason", "misread")],
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    assert!(r.body.contains("Not saved") && r.body.contains("value=\"2 troches\""));
    assert!(
        r.body.contains("Save anyway, with this reason"),
        "the override field is offered"
    );
    assert_eq!(export(&a).await, before);
    // Bad input: a message, nothing written.
    let r = a.form(&path("/edit"), &[("amount", "10 g")]).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert!(
        r.body.contains("does not fit") || r.body.contains("unit"),
        "{}",
        r.body
    );
    assert_eq!(export(&a).await, before);
    // Within the limits: saved, the earlier version listed with why it changed; an override
    // reason given when none is needed is not kept.
    let r = a
        .form(
            &path("/edit"),
            &[
                ("amount", "1/4 troche"),
                ("reason", "misread"),
                ("override", "agreed extra dose"),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let shown = a.get(&location(&r)).await.body;
    assert!(
        shown.contains("Corrected; the previous version is kept below."),
        "{shown}"
    );
    assert!(
        shown.contains("Earlier versions") && shown.contains("— misread"),
        "{shown}"
    );
    let fixed = dose(&export(&a).await, id);
    assert_eq!(fixed["dose_mg"], 6.25);
    assert!(fixed["override_reason"].is_null(), "{fixed}");
    // Deleting needs the box; then the dose is marked and its supply returns.
    let r = a
        .form(&path("/delete"), &[("reason", "did not happen")])
        .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert!(r.body.contains("tick the box"));
    let stock_before = export(&a).await["stocks"][0]["remaining"]
        .as_f64()
        .unwrap_or(0.0);
    let r = a
        .form(
            &path("/delete"),
            &[("confirm", "yes"), ("reason", "did not happen")],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    let after = export(&a).await;
    assert!(dose(&after, id)["deleted_at"].is_string());
    let stock_after = after["stocks"][0]["remaining"].as_f64().unwrap_or(0.0);
    assert!(
        (stock_after - stock_before - 0.25).abs() < 1e-9,
        "{stock_before} → {stock_after}"
    );
    // A deleted dose is not corrected; without the token nothing happens.
    let r = a.form(&path("/edit"), &[("amount", "1/2 troche")]).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert!(r.body.contains("was deleted"), "{}", r.body);
    let r = a
        .send(form_req(
            "/doses/2/delete",
            &[("confirm", "yes")],
            Some(&a.session),
        ))
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    assert!(dose(&export(&a).await, 2)["deleted_at"].is_null());
}

/// The standing findings page (the web's `dosewise check`) and a clinician's review recorded
/// there (the web's `dosewise clear`): a note is required; afterwards the reviewed finding no
/// longer stands.
#[tokio::test]
async fn standing_findings_and_a_clinicians_review() {
    let a = app().await;
    let page = a.get("/review").await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(
        page.body.contains("You recorded urinary symptoms"),
        "{}",
        page.body
    );
    assert!(page.body.contains("Weekly totals"));
    // The finding's follow-up is a link to where it is recorded, not a terminal command.
    assert!(
        page.body
            .contains("<a href=\"/review\">Record the clinician&#39;s review</a>")
            || page
                .body
                .contains("<a href=\"/review\">Record the clinician's review</a>"),
        "{}",
        page.body
    );
    assert!(!page.body.contains("dosewise clear"));
    let r = a
        .form("/review", &[("topic", "urinary"), ("note", "  ")])
        .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    let r = a.form("/review", &[("topic", "ears"), ("note", "x")]).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert!(r.body.contains("choose what was reviewed"));
    let exported = a.get("/api/v1/export").await.json();
    assert_eq!(exported["clearances"].as_array().map(Vec::len), Some(0));
    let r = a
        .form(
            "/review",
            &[("topic", "urinary"), ("note", "Dr K: urinalysis clear")],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    let after = a.get(&location(&r)).await.body;
    assert!(
        after.contains("Recorded the clinician&#39;s review of urinary symptoms")
            || after.contains("Recorded the clinician's review of urinary symptoms"),
        "{after}"
    );
    assert!(!after.contains("You recorded urinary symptoms"), "{after}");
    let exported = a.get("/api/v1/export").await.json();
    assert_eq!(exported["clearances"][0]["note"], "Dr K: urinalysis clear");
}

/// A medicine marked stopped from the medicines page: it leaves the list the safety check
/// reads as current, and stays in the record.
#[tokio::test]
async fn a_medicine_is_stopped_from_its_page() {
    let a = app_with(false, None).await;
    let r = a
        .form("/meds", &[("name", "sertraline"), ("dose", "50 mg")])
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let page = a.get("/meds").await.body;
    assert!(
        page.contains("sertraline") && page.contains("Stopped taking sertraline"),
        "{page}"
    );
    // No such medicine: the address names nothing, so "not found" (the store's NotFound
    // reaches the web as 404 through AppError::NotFound).
    let r = a.form("/meds/999/stop", &[]).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND, "{}", r.body);
    let r = a.form("/meds/1/stop", &[]).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    let page = a.get(&location(&r)).await.body;
    assert!(page.contains("Marked stopped"), "{page}");
    assert!(
        !page.contains("sertraline — 50 mg"),
        "no longer current: {page}"
    );
    let j = a.get("/api/v1/export").await.json();
    assert!(
        j["medications"][0]["removed_at"].is_string(),
        "kept in the record"
    );
}

/// What the stock, protocol, dose, medicine, review, screen and calendar pages do, through the
/// JSON API (the same app use cases): each change is visible afterwards, a refusal or bad input
/// writes nothing, a missing record is 404 and a malformed id 400, both in the API's error shape.
#[tokio::test]
async fn the_api_manages_what_the_pages_manage() {
    let a = app_with(false, None).await;
    let post = |path: &'static str, body: Value| {
        let a = &a;
        async move { a.api("POST", path, body).await }
    };
    // A stock, each form's fields checked.
    let r = post(
        "/api/v1/stock/add",
        serde_json::json!({ "name": "Troche 25", "form": { "kind": "troche", "strength": "25mg", "count": 10 } }),
    )
    .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    assert_eq!(r.json()["stock"]["remaining"], 10.0);
    let r = post(
        "/api/v1/stock/add",
        serde_json::json!({ "name": "Big", "form": { "kind": "troche", "strength": "10 g", "count": 10 } }),
    )
    .await;
    assert_eq!(
        r.status,
        StatusCode::BAD_REQUEST,
        "a 10 g troche is a unit slip"
    );
    assert!(
        r.json()["error"]["message"]
            .as_str()
            .unwrap_or("")
            .contains("unit mistake")
    );
    let r = post(
        "/api/v1/stock/add",
        serde_json::json!({ "name": "Drops", "form": { "kind": "solution", "mass": "500mg", "volume": "10mL", "purity": 100 } }),
    )
    .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    let r = post(
        "/api/v1/stock/2/drops",
        serde_json::json!({ "drop_volume": "0.05mL" }),
    )
    .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(
        r.json()["stock"]["preparation"]["drop_ml"],
        0.05,
        "{}",
        r.body
    );
    let r = post(
        "/api/v1/stock/2/retire",
        serde_json::json!({ "reason": "used up" }),
    )
    .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert!(r.json()["stock"]["retired_at"].is_string());
    // A protocol: refused input writes nothing, then one starts, changes, pauses, resumes.
    let r = post(
        "/api/v1/protocols/start",
        serde_json::json!({ "every": 0, "dose": "1/2 troche", "time": "08:00", "stock": "1" }),
    )
    .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST, "{}", r.body);
    assert_eq!(
        a.get("/api/v1/protocols").await.json()["protocols"],
        serde_json::json!([])
    );
    let r = post(
        "/api/v1/protocols/start",
        serde_json::json!({ "every": 3, "dose": "1/2 troche", "time": "08:00", "stock": "1",
            "limits": { "max_dose": "25mg", "min_interval": "48h" } }),
    )
    .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    let pid = r.json()["protocol"]["id"].as_i64().unwrap_or(0);
    assert_eq!(pid, 1);
    let r = post(
        "/api/v1/protocols/1/change",
        serde_json::json!({ "dose": "1 troche", "reason": "agreed with Dr K" }),
    )
    .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert!(
        r.json()["change"]
            .as_str()
            .unwrap_or("")
            .contains("→ 1 troche"),
        "{}",
        r.body
    );
    assert_eq!(r.json()["protocol"]["dose"]["mg"], 25.0);
    for (path, status) in [
        ("/api/v1/protocols/1/pause", "paused"),
        ("/api/v1/protocols/1/resume", "active"),
    ] {
        let r = a.api("POST", path, serde_json::json!({})).await;
        assert_eq!(r.status, StatusCode::OK, "{path}: {}", r.body);
        assert_eq!(r.json()["protocol"]["status"], status);
    }
    // A dose, corrected (a refusal changes nothing), then deleted with its supply returned.
    let r = post(
        "/api/v1/doses",
        serde_json::json!({ "amount": "1/2 troche", "at": "-1min" }),
    )
    .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    let r = post(
        "/api/v1/doses/1/edit",
        serde_json::json!({ "amount": "4 troches" }),
    )
    .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    let d = a.get("/api/v1/doses/1").await.json();
    assert_eq!(d["dose"]["dose_mg"], 12.5, "the refusal changed nothing");
    assert_eq!(d["revisions"], serde_json::json!([]));
    let r = post(
        "/api/v1/doses/1/edit",
        serde_json::json!({ "note": "under the tongue", "reason": "forgot the note" }),
    )
    .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let d = a.get("/api/v1/doses/1").await.json();
    assert_eq!(d["revisions"].as_array().map(Vec::len), Some(1));
    let r = post(
        "/api/v1/doses/1/delete",
        serde_json::json!({ "reason": "did not happen" }),
    )
    .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert!(r.json()["dose"]["deleted_at"].is_string());
    let stock = a.get("/api/v1/stock").await.json();
    assert_eq!(
        stock["stocks"][0]["remaining"], 10.0,
        "supply returned: {stock}"
    );
    // A medicine stopped.
    let r = post(
        "/api/v1/medications",
        serde_json::json!({ "name": "sertraline" }),
    )
    .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    let r = a
        .api("POST", "/api/v1/medications/1/stop", serde_json::json!({}))
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert!(
        r.json()["medication"]["removed_at"].is_string(),
        "{}",
        r.body
    );
    // The screen, the standing findings and a clinician's review (on a journal with a
    // profile: the sample one).
    let a = app().await;
    let post = |path: &'static str, body: Value| {
        let a = &a;
        async move { a.api("POST", path, body).await }
    };
    let r = post(
        "/api/v1/screen",
        serde_json::json!({ "yes": ["no_such_condition"] }),
    )
    .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST, "{}", r.body);
    let r = post(
        "/api/v1/screen",
        serde_json::json!({ "yes": ["pregnancy"], "crisis_line": "Samaritans 116 123" }),
    )
    .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let s = a.get("/api/v1/screen").await.json();
    assert_eq!(s["crisis_line"], "Samaritans 116 123");
    assert_eq!(s["answers"][0]["code"], "pregnancy");
    let codes_now = |j: &Value| codes(&j["findings"]);
    assert!(
        codes_now(&a.get("/api/v1/review").await.json()).contains(&"screen:pregnancy".to_string())
    );
    let r = post(
        "/api/v1/review",
        serde_json::json!({ "topic": "screen", "note": "  " }),
    )
    .await;
    assert_eq!(
        r.status,
        StatusCode::BAD_REQUEST,
        "a review needs a note: {}",
        r.body
    );
    let r = post(
        "/api/v1/review",
        serde_json::json!({ "topic": "screen", "note": "Dr K: planned" }),
    )
    .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    assert!(
        !codes_now(&a.get("/api/v1/review").await.json()).contains(&"screen:pregnancy".to_string())
    );
    // The calendar's private link.
    assert_eq!(
        a.get("/api/v1/calendar-link").await.json()["link"],
        Value::Null
    );
    let r = post(
        "/api/v1/calendar-link",
        serde_json::json!({ "action": "new" }),
    )
    .await;
    let link = r.json()["link"].as_str().unwrap_or("").to_string();
    assert!(
        link.starts_with("/calendar/") && link.ends_with(".ics"),
        "{}",
        r.body
    );
    assert_eq!(a.get(&link).await.status, StatusCode::OK);
    let r = post(
        "/api/v1/calendar-link",
        serde_json::json!({ "action": "remove" }),
    )
    .await;
    assert_eq!(r.json()["link"], Value::Null);
    assert_eq!(a.get(&link).await.status, StatusCode::NOT_FOUND);
    // Missing records and malformed ids, in the API's error shape.
    for path in [
        "/api/v1/doses/9999/delete",
        "/api/v1/protocols/9999/pause",
        "/api/v1/medications/9999/stop",
        "/api/v1/stock/9999/retire",
    ] {
        let r = a.api("POST", path, serde_json::json!({})).await;
        assert_eq!(r.status, StatusCode::NOT_FOUND, "{path}: {}", r.body);
        assert!(r.json()["error"]["message"].is_string(), "{path}");
    }
    for path in ["/api/v1/doses/x", "/api/v1/doses/0", "/api/v1/doses/-1"] {
        let r = a.get(path).await;
        assert_eq!(r.status, StatusCode::BAD_REQUEST, "{path}: {}", r.body);
        assert!(r.json()["error"]["message"].is_string(), "{path}");
    }
}

/// The whole journal through the API's export.
async fn whole_journal(a: &App) -> Value {
    serde_json::from_str(&a.get("/api/v1/export").await.body).unwrap_or_default()
}

/// An import form's multipart body: the token, optional passphrase, and the file.
fn import_body(token: &str, passphrase: Option<&str>, file: &[u8]) -> (String, Vec<u8>) {
    let boundary = "XdosewiseX";
    let mut b =
        format!("--{boundary}\r\nContent-Disposition: form-data; name=\"csrf\"\r\n\r\n{token}\r\n")
            .into_bytes();
    if let Some(p) = passphrase {
        b.extend_from_slice(
            format!(
                "--{boundary}\r\nContent-Disposition: form-data; name=\"passphrase\"\r\n\r\n{p}\r\n"
            )
            .as_bytes(),
        );
    }
    b.extend_from_slice(
        format!("--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"b.age\"\r\nContent-Type: application/octet-stream\r\n\r\n")
            .as_bytes(),
    );
    b.extend_from_slice(file);
    b.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
    (format!("multipart/form-data; boundary={boundary}"), b)
}

/// The web's encrypted backup (the CLI's `backup`), its import with the passphrase (the CLI's
/// `restore` into a journal), and the CSV tables (`export --format csv`), on the page and in
/// the API: a backup opens only with its passphrase, and restores every record.
#[tokio::test]
async fn encrypted_backup_and_csv_on_the_web_and_the_api() {
    let from = app().await;
    // CSV tables.
    let r = from.get("/export.csv?table=checkins").await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(r.headers[header::CONTENT_TYPE], "text/csv; charset=utf-8");
    assert!(
        r.body.starts_with("id,local_time,utc_time,zone,mood"),
        "{}",
        &r.body[..80.min(r.body.len())]
    );
    let api_csv = from.get("/api/v1/export?format=csv&table=checkins").await;
    assert_eq!(api_csv.body, r.body, "one CSV for both surfaces");
    // One table as JSON.
    let t = from
        .get("/api/v1/export?format=json&table=doses")
        .await
        .json();
    assert_eq!(t.as_object().map(|o| o.len()), Some(1), "{t}");
    assert_eq!(t["doses"].as_array().map(Vec::len), Some(19));
    assert_eq!(
        from.get("/api/v1/export?format=xml").await.status,
        StatusCode::BAD_REQUEST
    );
    // A backup needs the same new passphrase twice, of at least 8 characters.
    for (p, again) in [("long enough one", "long enough two"), ("short", "short")] {
        let r = from
            .form("/backup", &[("passphrase", p), ("passphrase_again", again)])
            .await;
        assert_eq!(r.status, StatusCode::BAD_REQUEST, "{p}");
    }
    let r = from
        .form(
            "/backup",
            &[
                ("passphrase", " spaces count "),
                ("passphrase_again", " spaces count "),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert!(
        r.headers[header::CONTENT_DISPOSITION]
            .to_str()
            .unwrap_or("")
            .contains(".age")
    );
    assert!(r.bytes.starts_with(b"age-encryption.org/"));
    let backup = r.bytes;
    // Imported into an empty journal: no passphrase or a wrong one writes nothing.
    let to = app_with(false, None).await;
    for p in [None, Some("spaces count"), Some("wrong passphrase")] {
        let (ct, body) = import_body(&to.csrf, p, &backup);
        let req = to
            .base("POST", "/import")
            .header(header::CONTENT_TYPE, ct)
            .body(Body::from(body))
            .unwrap_or_else(|e| panic!("{e}"));
        let r = to.send(req).await;
        assert_eq!(r.status, StatusCode::BAD_REQUEST, "{p:?}: {}", r.body);
        assert_eq!(to.count("doses").await, 0);
    }
    let (ct, body) = import_body(&to.csrf, Some(" spaces count "), &backup);
    let req = to
        .base("POST", "/import")
        .header(header::CONTENT_TYPE, ct)
        .body(Body::from(body))
        .unwrap_or_else(|e| panic!("{e}"));
    let r = to.send(req).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert!(r.body.contains("Imported 19 doses"), "{}", r.body);
    assert_eq!(
        whole_journal(&to).await,
        whole_journal(&from).await,
        "every record restored"
    );
    // The API: a backup, and its import elsewhere.
    let r = from
        .api(
            "POST",
            "/api/v1/backup",
            serde_json::json!({ "passphrase": "short" }),
        )
        .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    let r = from
        .api(
            "POST",
            "/api/v1/backup",
            serde_json::json!({ "passphrase": "api passphrase" }),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(r.headers[header::CONTENT_TYPE], "application/octet-stream");
    use base64::Engine;
    let b64 = base64::engine::general_purpose::STANDARD.encode(&r.bytes);
    let third = app_with(false, None).await;
    let bad = third
        .api(
            "POST",
            "/api/v1/import-backup",
            serde_json::json!({ "backup": b64, "passphrase": "not it" }),
        )
        .await;
    assert_eq!(bad.status, StatusCode::BAD_REQUEST, "{}", bad.body);
    assert_eq!(third.count("doses").await, 0);
    let ok = third
        .api(
            "POST",
            "/api/v1/import-backup",
            serde_json::json!({ "backup": b64, "passphrase": "api passphrase" }),
        )
        .await;
    assert_eq!(ok.status, StatusCode::OK, "{}", ok.body);
    assert_eq!(ok.json()["imported"]["doses"], 19);
    assert_eq!(whole_journal(&third).await, whole_journal(&from).await);
}

/// The calculators (`dosewise calc`) as a page and in the API: the same arithmetic, notes and
/// sources; bad input is a clear error on the page (400, the form kept) and in the API.
#[tokio::test]
async fn calculators_on_the_page_and_in_the_api() {
    let a = app().await;
    let page = a.get("/calc").await;
    assert_eq!(page.status, StatusCode::OK);
    for id in ["s-mass", "p-conc", "d-from", "c-dose"] {
        assert!(
            page.body.contains(&format!("for=\"{id}\"")),
            "{id} labelled"
        );
    }
    let r = a
        .get("/calc?kind=solution&mass=500mg&volume=10mL&dose=12.5mg&purity=100&salt=hcl")
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert!(r.body.contains("50 mg/mL HCl"), "{}", r.body);
    assert!(r.body.contains("<strong>0.25 mL</strong>"), "{}", r.body);
    assert!(
        r.body.contains("value=\"500mg\""),
        "the form keeps what was typed"
    );
    let r = a
        .get("/calc?kind=spray&concentration=100mg%2FmL&spray_volume=0.1mL&dose=25mg")
        .await;
    assert!(r.body.contains("10 mg per spray"), "{}", r.body);
    assert!(r.body.contains("cannot be split"), "2.5 sprays: {}", r.body);
    let r = a
        .get("/calc?kind=dilute&from=50mg%2FmL&to=25mg%2FmL&volume=10mL")
        .await;
    assert!(r.body.contains("10 mL distilled water"), "{}", r.body);
    let r = a
        .get("/calc?kind=convert&dose=10mg&from=intranasal&to=sublingual")
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert!(r.body.contains("mg sublingual"), "{}", r.body);
    let r = a
        .get("/calc?kind=convert&dose=10mg&from=intranasal&to=intravenous")
        .await;
    assert_eq!(
        r.status,
        StatusCode::BAD_REQUEST,
        "injected routes are refused"
    );
    assert!(r.body.contains("Cannot calculate"));
    let r = a.get("/calc?kind=solution&mass=ten&volume=10mL").await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert!(r.body.contains("powder mass"), "{}", r.body);
    // The API answers with the same numbers, notes and sources.
    let j = a
        .api(
            "POST",
            "/api/v1/calc/solution",
            serde_json::json!({ "mass": "500mg", "volume": "10mL", "dose": "12.5mg" }),
        )
        .await;
    assert_eq!(j.status, StatusCode::OK, "{}", j.body);
    assert_eq!(j.json()["volume_per_dose_ml"], 0.25);
    assert!(
        j.json()["sources"]
            .as_array()
            .is_some_and(|s| !s.is_empty())
    );
    let j = a
        .api("POST", "/api/v1/calc/spray", serde_json::json!({ "concentration": "100mg/mL", "volume": { "stated": "0.1mL" }, "dose": "25mg" }))
        .await;
    assert_eq!(j.json()["mg_per_spray"], 10.0, "{}", j.body);
    let j = a
        .api(
            "POST",
            "/api/v1/calc/dilute",
            serde_json::json!({ "from": "50mg/mL", "to": "25mg/mL", "volume": "10mL" }),
        )
        .await;
    assert_eq!(j.json()["water_to_add_ml"], 10.0, "{}", j.body);
    let j = a
        .api(
            "POST",
            "/api/v1/calc/convert",
            serde_json::json!({ "dose": "10mg", "from": "intranasal", "to": "sublingual" }),
        )
        .await;
    assert_eq!(j.status, StatusCode::OK, "{}", j.body);
    let j = a
        .api(
            "POST",
            "/api/v1/calc/convert",
            serde_json::json!({ "dose": "10mg", "from": "intranasal", "to": "intravenous" }),
        )
        .await;
    assert_eq!(j.status, StatusCode::BAD_REQUEST, "{}", j.body);
    assert!(
        j.json()["error"]["message"]
            .as_str()
            .unwrap_or("")
            .contains("injected"),
        "{}",
        j.body
    );
}

/// The CLI's reads that the API answers too: one stock's ledger (`stock show`), the plan ahead
/// (`protocol next`), the calendar (`calendar`), the knowledge base (`info`).
#[tokio::test]
async fn the_api_reads_what_the_cli_reads() {
    let a = app().await;
    let s = a.get("/api/v1/stock/1").await;
    assert_eq!(s.status, StatusCode::OK, "{}", s.body);
    assert_eq!(s.json()["ledger"][0]["kind"], "added", "{}", s.body);
    assert_eq!(
        a.get("/api/v1/stock/9999").await.status,
        StatusCode::NOT_FOUND
    );
    let n = a.get("/api/v1/protocols/1/next?count=3").await;
    assert_eq!(n.status, StatusCode::OK, "{}", n.body);
    let planned = n.json()["planned"].as_array().cloned().unwrap_or_default();
    assert_eq!(planned.len(), 3, "{}", n.body);
    assert!(
        planned
            .windows(2)
            .all(|w| w[0]["date"].as_str() < w[1]["date"].as_str())
    );
    for bad in ["count=0", "count=101", "count=x", "days=3"] {
        let r = a.get(&format!("/api/v1/protocols/1/next?{bad}")).await;
        assert_eq!(r.status, StatusCode::BAD_REQUEST, "{bad}: {}", r.body);
        assert!(
            r.json()["error"]["message"].is_string(),
            "{bad}: JSON error shape"
        );
    }
    let c = a.get("/api/v1/calendar").await;
    assert_eq!(
        c.headers[header::CONTENT_TYPE],
        "text/calendar; charset=utf-8"
    );
    assert!(c.body.starts_with("BEGIN:VCALENDAR"));
    assert_eq!(
        c.body,
        a.get("/calendar.ics").await.body,
        "one feed for the page and the API"
    );
    let i = a.get("/api/v1/info/interactions?name=xanax").await;
    assert_eq!(i.json()["id"], "benzodiazepines", "{}", i.body);
    assert_eq!(
        a.get("/api/v1/info/interactions?name=water").await.status,
        StatusCode::BAD_REQUEST
    );
    assert_eq!(
        a.get("/api/v1/info/nope").await.status,
        StatusCode::NOT_FOUND
    );
    assert!(
        a.get("/api/v1/info").await.json()["topics"]
            .as_array()
            .is_some_and(|t| t.len() == 7)
    );
    // A malformed query string (a duplicated parameter) answers in the API's JSON error shape,
    // not the framework's plain text.
    let r = a.get("/api/v1/doses?to=2026-11-01&to=2026-11-02").await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert!(
        r.headers[header::CONTENT_TYPE]
            .to_str()
            .unwrap_or("")
            .starts_with("application/json")
    );
    assert!(
        r.json()["error"]["message"]
            .as_str()
            .unwrap_or("")
            .contains("duplicate"),
        "{}",
        r.body
    );
}

/// The knowledge base as a page (`dosewise info`): each topic, one substance looked up, and an
/// unknown name said to be unknown, not safe.
#[tokio::test]
async fn the_knowledge_page() {
    let a = app().await;
    for (q, has) in [
        ("", "Absorption by route"),
        ("?topic=interactions", "benzodiazepines"),
        ("?topic=interactions&name=Xanax", "What to do"),
        ("?topic=risks", "Bladder"),
        ("?topic=screen", "aneurysm"),
        ("?topic=rules", "unit_plausibility"),
        ("?topic=codes", "primary paper"),
    ] {
        let r = a.get(&format!("/info{q}")).await;
        assert_eq!(r.status, StatusCode::OK, "{q}");
        assert!(r.body.contains(has), "{q}: {has}");
    }
    assert!(
        a.get("/info?topic=interactions")
            .await
            .body
            .contains("CC BY-SA 4.0")
    );
    let r = a.get("/info?topic=interactions&name=water").await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert!(r.body.contains("does not mean it is safe"));
    assert_eq!(
        a.get("/info?topic=nope").await.status,
        StatusCode::NOT_FOUND
    );
}

/// Lists come a page at a time (cursor-based): the pages together are the whole list in time
/// order, without repeats or gaps, even when a record is added between pages; a bad limit or a
/// cursor this API did not give is a 400 in the JSON error shape.
#[tokio::test]
async fn lists_page_by_cursor() {
    let a = app().await;
    let all = a
        .get("/api/v1/checkins?from=2020-01-01&to=2026-12-31")
        .await
        .json();
    let whole: Vec<Value> = all["checkins"].as_array().cloned().unwrap_or_default();
    assert!(whole.len() > 10, "{}", whole.len());
    assert_eq!(
        all["next_cursor"],
        Value::Null,
        "one page holds them all by default"
    );
    let mut got: Vec<Value> = Vec::new();
    let mut cursor: Option<String> = None;
    let mut pages = 0;
    loop {
        let url = match &cursor {
            Some(c) => format!("/api/v1/checkins?from=2020-01-01&to=2026-12-31&limit=7&cursor={c}"),
            None => "/api/v1/checkins?from=2020-01-01&to=2026-12-31&limit=7".into(),
        };
        let j = a.get(&url).await.json();
        let items = j["checkins"].as_array().cloned().unwrap_or_default();
        assert!(items.len() <= 7);
        got.extend(items);
        pages += 1;
        if pages == 1 {
            // A record added after the first page, dated before it, does not shift the rest.
            let r = a
                .api(
                    "POST",
                    "/api/v1/checkins",
                    serde_json::json!({ "mood": 5, "at": "2026-10-01 09:00" }),
                )
                .await;
            assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
        }
        match j["next_cursor"].as_str() {
            Some(c) => cursor = Some(c.to_string()),
            None => break,
        }
        assert!(pages < 100, "paging ends");
    }
    assert_eq!(pages, whole.len().div_ceil(7));
    let ids = |v: &[Value]| {
        v.iter()
            .map(|x| x["id"].as_i64().unwrap_or(0))
            .collect::<Vec<_>>()
    };
    assert_eq!(ids(&got), ids(&whole), "every record once, in order");
    for bad in [
        "limit=0",
        "limit=1001",
        "cursor=abc",
        "cursor=1.x",
        "cursor=99999999999999999999.1",
    ] {
        let r = a.get(&format!("/api/v1/doses?{bad}")).await;
        assert_eq!(r.status, StatusCode::BAD_REQUEST, "{bad}: {}", r.body);
        assert!(r.json()["error"]["message"].is_string(), "{bad}");
    }
}

/// A check-in corrected and deleted from its page and through the API, by the same code as
/// `dosewise checkin edit|delete`: the correction form starts from what was recorded, a rating
/// left unselected is removed, bad input is a message that writes nothing, the earlier version
/// is listed, a deletion needs its box ticked, and a deleted check-in cannot be changed again.
#[tokio::test]
async fn a_checkin_is_corrected_and_deleted_from_its_page_and_the_api() {
    let a = app_with(false, None).await;
    let export = async |a: &App| a.get("/api/v1/export").await.json();
    let r = a
        .form(
            "/checkin",
            &[
                ("mood", "6"),
                ("anxiety", "4"),
                ("side_effect", "nausea"),
                ("other_side_effects", "dry-mouth=2"),
                ("note", "long day"),
                ("tags", "work gym"),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let id: i64 = location(&r)
        .trim_start_matches("/checkins/")
        .split('?')
        .next()
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("{}", location(&r)));
    let path = |what: &str| format!("/checkins/{id}{what}");
    let page = a.get(&path("")).await;
    assert!(
        page.body.contains("Correct this check-in") && page.body.contains("Delete this check-in")
    );
    // The form starts from what was recorded.
    let form = a.get(&path("/edit")).await;
    assert_eq!(form.status, StatusCode::OK);
    for shown in [
        "value=\"6\" checked aria-label=\"mood 6\"",
        "value=\"nausea\" checked",
        "value=\"dry-mouth=2\"",
        "long day</textarea>",
        "value=\"work gym\"",
    ] {
        assert!(form.body.contains(shown), "{shown} in {}", form.body);
    }
    let before = export(&a).await;
    // Bad input: a message, the form kept, nothing written.
    let r = a
        .form(&path("/edit"), &[("mood", "6"), ("at", "2099-01-01 08:00")])
        .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST, "{}", r.body);
    assert!(r.body.contains("in the future"), "{}", r.body);
    assert_eq!(export(&a).await, before);
    // Mood corrected, anxiety left unselected (removed), the note emptied, a reason given.
    let r = a
        .form(
            &path("/edit"),
            &[
                ("mood", "3"),
                ("side_effect", "nausea"),
                ("tags", "work"),
                ("note", ""),
                ("reason", "wrong evening"),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let shown = a.get(&location(&r)).await.body;
    assert!(
        shown.contains("Corrected; the earlier version is kept"),
        "{shown}"
    );
    assert!(
        shown.contains("Earlier versions") && shown.contains("— wrong evening"),
        "{shown}"
    );
    let c = a.get(&format!("/api/v1/checkins/{id}")).await.json();
    assert_eq!(c["checkin"]["ratings"]["mood"], 3);
    assert!(c["checkin"]["ratings"]["anxiety"].is_null(), "{c}");
    assert!(c["checkin"]["note"].is_null(), "{c}");
    assert_eq!(c["checkin"]["tags"], serde_json::json!(["work"]));
    assert_eq!(c["revisions"][0]["previous"]["ratings"]["mood"], 6);
    // The same again: nothing written.
    let n = c["revisions"].as_array().map(Vec::len);
    let r = a
        .form(
            &path("/edit"),
            &[("mood", "3"), ("side_effect", "nausea"), ("tags", "work")],
        )
        .await;
    assert!(location(&r).ends_with("done=unchanged"), "{}", location(&r));
    let c = a.get(&format!("/api/v1/checkins/{id}")).await.json();
    assert_eq!(c["revisions"].as_array().map(Vec::len), n);
    // Through the API: a correction, then the errors in the API's shape.
    let r = a
        .api(
            "POST",
            &format!("/api/v1/checkins/{id}/edit"),
            serde_json::json!({ "urinary": ["pain"], "reason": "forgot" }),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(r.json()["changed"], true);
    assert_eq!(r.json()["warnings"][0]["code"], "urinary_symptoms");
    for (body, status) in [
        (serde_json::json!({}), StatusCode::BAD_REQUEST),
        (
            serde_json::json!({ "mood": 4, "clear": ["mood"] }),
            StatusCode::BAD_REQUEST,
        ),
        (serde_json::json!({ "mood": 11 }), StatusCode::BAD_REQUEST),
        (serde_json::json!({ "weather": 1 }), StatusCode::BAD_REQUEST),
    ] {
        let r = a
            .api("POST", &format!("/api/v1/checkins/{id}/edit"), body.clone())
            .await;
        assert_eq!(r.status, status, "{body}: {}", r.body);
        assert!(r.json()["error"]["message"].is_string(), "{}", r.body);
    }
    let r = a
        .api(
            "POST",
            "/api/v1/checkins/999/edit",
            serde_json::json!({ "mood": 4 }),
        )
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    // Deleting from the page needs the box; then it is marked and final.
    let r = a.form(&path("/delete"), &[("reason", "mistake")]).await;
    assert!(
        location(&r).contains("done=unconfirmed"),
        "{}",
        location(&r)
    );
    assert!(a.get(&location(&r)).await.body.contains("tick the box"));
    assert!(export(&a).await["checkins"][0]["deleted_at"].is_null());
    let r = a
        .form(
            &path("/delete"),
            &[("confirm", "yes"), ("reason", "mistake")],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    let shown = a.get(&location(&r)).await.body;
    assert!(shown.contains("Deleted: it stays in the record"), "{shown}");
    assert!(!shown.contains("Correct this check-in"));
    assert!(export(&a).await["checkins"][0]["deleted_at"].is_string());
    assert_eq!(
        a.get("/api/v1/checkins").await.json()["checkins"],
        serde_json::json!([])
    );
    assert_eq!(a.get(&path("/edit")).await.status, StatusCode::NOT_FOUND);
    let r = a
        .api(
            "POST",
            &format!("/api/v1/checkins/{id}/delete"),
            serde_json::json!({}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CONFLICT, "{}", r.body);
}

/// The share page without the terminal: the connect form with the default categories ticked;
/// a plain-HTTP address to another computer, no category, a sync or a revocation before
/// connecting are each a message that writes nothing.
#[tokio::test]
async fn the_share_page_explains_and_refuses_what_cannot_work() {
    let a = app_with(false, None).await;
    let page = a.get("/share").await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains("Private check-ins are never sent"));
    assert!(page.body.contains("value=\"doses\" checked"));
    assert!(
        !page.body.contains("value=\"substance_use\" checked"),
        "not shared unless chosen"
    );
    assert!(a.get("/more").await.body.contains("href=\"/share\""));
    let form = |server: &str, cats: &[&str]| {
        let mut f = vec![
            ("server", server.to_string()),
            ("code", "abc".into()),
            ("name", "P".into()),
        ];
        f.extend(cats.iter().map(|c| ("category", c.to_string())));
        f
    };
    for (fields, says) in [
        (form("http://clinic.example", &["doses"]), "HTTPS"),
        (form("https://clinic.example", &[]), "choose at least one"),
        (
            form("https://clinic.example", &["everything"]),
            "not a category",
        ),
    ] {
        let f: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (*k, v.as_str())).collect();
        let r = a.form("/share/connect", &f).await;
        assert_eq!(r.status, StatusCode::BAD_REQUEST, "{}", r.body);
        assert!(r.body.contains(says), "{says}: {}", r.body);
    }
    let r = a.form("/share/sync", &[]).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert!(r.body.contains("not connected"), "{}", r.body);
    let r = a.form("/share/revoke", &[("confirm", "yes")]).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    let s = a.get("/api/v1/share").await.json();
    assert!(s["connected"].is_null(), "{s}");
}

/// A multipart form of text fields, the CSRF token first.
fn multipart(token: &str, fields: &[(&str, &str)]) -> (String, String) {
    let boundary = "XdosewiseX";
    let mut b =
        format!("--{boundary}\r\nContent-Disposition: form-data; name=\"csrf\"\r\n\r\n{token}\r\n");
    for (name, value) in fields {
        let file = if *name == "file" {
            "; filename=\"export.json\"\r\nContent-Type: application/json"
        } else {
            ""
        };
        b.push_str(&format!(
            "--{boundary}\r\nContent-Disposition: form-data; name=\"{name}\"{file}\r\n\r\n{value}\r\n"
        ));
    }
    b.push_str(&format!("--{boundary}--\r\n"));
    (format!("multipart/form-data; boundary={boundary}"), b)
}

/// A PsychonautWiki Journal file on the import page is shown first and saved only when
/// confirmed; the API tells it apart too, previews it, and imports it once.
#[tokio::test]
async fn a_pw_journal_file_is_previewed_then_imported_on_the_page_and_in_the_api() {
    let fixtures =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/fixtures/pw-journal");
    let android = std::fs::read_to_string(fixtures.join("android.json")).unwrap_or_default();
    let a = app_with(false, None).await;
    let before = whole_journal(&a).await;
    let post = |fields: Vec<(&'static str, String)>| {
        let fields: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (*k, v.as_str())).collect();
        let (ct, body) = multipart(&a.csrf, &fields);
        a.base("POST", "/import")
            .header(header::CONTENT_TYPE, ct)
            .body(Body::from(body))
            .unwrap_or_else(|e| panic!("{e}"))
    };
    let r = a.send(post(vec![("file", android.clone())])).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert!(
        r.body
            .contains("From PsychonautWiki Journal: nothing saved yet"),
        "{}",
        r.body
    );
    assert!(
        r.body
            .contains("Would add 2 doses, 1 use of other substances")
            && r.body.contains("Import these records"),
        "{}",
        r.body
    );
    assert!(
        r.body.contains("1 ingestion was logged for someone else"),
        "{}",
        r.body
    );
    assert_eq!(
        whole_journal(&a).await,
        before,
        "the preview writes nothing"
    );
    // Confirmed (the form carries the file's text back): imported.
    let r = a
        .send(post(vec![
            ("content", android.clone()),
            ("confirm", "1".into()),
        ]))
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert!(
        r.body.contains("From PsychonautWiki Journal: imported"),
        "{}",
        r.body
    );
    assert_eq!(a.count("doses").await, 2);
    // The API: a preview, then the other file imported once.
    let ios = std::fs::read_to_string(fixtures.join("ios.json")).unwrap_or_default();
    let api = |q: &str| {
        a.base("POST", &format!("/api/v1/import{q}"))
            .header(header::CONTENT_TYPE, "application/json")
            .body(Body::from(ios.clone()))
            .unwrap_or_else(|e| panic!("{e}"))
    };
    let p = a.send(api("?dry_run=true")).await.json();
    assert_eq!(
        (
            p["pw_journal"]["dry_run"].as_bool(),
            p["pw_journal"]["doses"].as_u64()
        ),
        (Some(true), Some(1)),
        "{p}"
    );
    assert_eq!(a.count("doses").await, 2);
    let r = a.send(api("?private=true")).await.json();
    assert_eq!(r["pw_journal"]["doses"], 1, "{r}");
    let again = a.send(api("")).await.json();
    assert_eq!(
        (
            again["pw_journal"]["doses"].as_u64(),
            again["pw_journal"]["already_here"].as_u64()
        ),
        (Some(0), Some(5)),
        "{again}"
    );
    assert_eq!(a.count("doses").await, 3);
    // A broken one: refused, line and column named, nothing written.
    let r = a
        .send(
            a.base("POST", "/api/v1/import")
                .header(header::CONTENT_TYPE, "application/json")
                .body(Body::from(ios[..ios.len() / 2].to_string()))
                .unwrap_or_else(|e| panic!("{e}")),
        )
        .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert!(
        r.body.contains("line ") && r.body.contains("ends early"),
        "{}",
        r.body
    );
    assert_eq!(a.count("doses").await, 3);
}

/// A spreadsheet on the import page: its columns to map (the header names' guess chosen), the
/// rows as they would be recorded, then imported once confirmed; the API reads it by `map`.
#[tokio::test]
async fn a_spreadsheet_is_mapped_previewed_and_imported_on_the_page_and_in_the_api() {
    let csv = "Date;Dose;Mood\n2026-11-03 08:00;12.5 mg;6\n2026-11-05 08:00;15;\n";
    let a = app_with(false, None).await;
    let before = whole_journal(&a).await;
    let post = |fields: Vec<(&'static str, &str)>| {
        let (ct, body) = multipart(&a.csrf, &fields);
        a.base("POST", "/import")
            .header(header::CONTENT_TYPE, ct)
            .body(Body::from(body))
            .unwrap_or_else(|e| panic!("{e}"))
    };
    // 1. The columns, each field's select with the guess chosen.
    let r = a.send(post(vec![("file", csv)])).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert!(
        r.body.contains("<h1>Import a spreadsheet</h1>"),
        "{}",
        r.body
    );
    assert!(
        r.body
            .contains("<option value=\"Dose\" selected>Dose</option>"),
        "{}",
        r.body
    );
    // 2. Mapped: a bare number without a unit is refused, named by its row; nothing written.
    let mapped = vec![
        ("content", csv),
        ("sheet", "1"),
        ("map-date", "Date"),
        ("map-amount", "Dose"),
        ("map-mood", "Mood"),
    ];
    let r = a.send(post(mapped.clone())).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST, "{}", r.body);
    assert!(
        r.body.contains("row 3: &quot;15&quot; has no unit"),
        "{}",
        r.body
    );
    let mut with_unit = mapped.clone();
    with_unit.push(("unit", "mg"));
    let r = a.send(post(with_unit.clone())).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert!(
        r.body
            .contains("Would add 2 doses and 1 check-in (tagged spreadsheet) from a spreadsheet."),
        "{}",
        r.body
    );
    assert!(r.body.contains("Import these records"));
    assert_eq!(
        whole_journal(&a).await,
        before,
        "the preview writes nothing"
    );
    // 3. Confirmed.
    with_unit.push(("confirm", "1"));
    let r = a.send(post(with_unit)).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert!(
        r.body.contains("Added 2 doses and 1 check-in"),
        "{}",
        r.body
    );
    assert_eq!(a.count("doses").await, 2);
    // The API: the mapping in the query; again adds nothing; a refusal writes nothing.
    let api = |q: &str, body: &str| {
        a.base("POST", &format!("/api/v1/import-csv?{q}"))
            .header(header::CONTENT_TYPE, "text/csv")
            .body(Body::from(body.to_string()))
            .unwrap_or_else(|e| panic!("{e}"))
    };
    let again = a
        .send(api(
            "map=date%3DDate%2Camount%3DDose%2Cmood%3DMood&unit=mg",
            csv,
        ))
        .await
        .json();
    assert_eq!(
        (
            again["spreadsheet"]["doses"].as_u64(),
            again["spreadsheet"]["already_here"].as_u64()
        ),
        (Some(0), Some(3)),
        "{again}"
    );
    let more = "Date,Dose\n2026-11-07 08:00,10 mg\n07/11/2026 09:00,10 mg\n";
    let r = a.send(api("map=date%3DDate%2Camount%3DDose", more)).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert!(
        r.body.contains("row 3:") && r.body.contains("--date-format"),
        "{}",
        r.body
    );
    assert_eq!(a.count("doses").await, 2);
    let ok = a
        .send(api(
            "map=date%3DDate%2Camount%3DDose&dry_run=true",
            &more[..more.find("07/11").unwrap_or(0)],
        ))
        .await
        .json();
    assert_eq!(
        (
            ok["spreadsheet"]["dry_run"].as_bool(),
            ok["spreadsheet"]["doses"].as_u64()
        ),
        (Some(true), Some(1)),
        "{ok}"
    );
    assert_eq!(a.count("doses").await, 2);
}

/// The FHIR Bundle from the API and the page's download, read back through the import.
#[tokio::test]
async fn a_fhir_bundle_is_exported_and_read_back() {
    let a = app().await;
    let r = a.get("/api/v1/export?format=fhir").await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(r.headers[header::CONTENT_TYPE], "application/fhir+json");
    let b: Value = serde_json::from_str(&r.body).unwrap_or_default();
    assert_eq!(
        (b["resourceType"].as_str(), b["type"].as_str()),
        (Some("Bundle"), Some("collection"))
    );
    let doses = b["entry"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|e| e["resource"]["resourceType"] == "MedicationAdministration")
        .count();
    assert_eq!(doses, a.count("doses").await);
    let page = a.get("/export.fhir.json").await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(
        page.headers[header::CONTENT_DISPOSITION]
            .to_str()
            .unwrap_or("")
            .contains("dosewise-fhir.json")
    );
    assert_eq!(
        a.get("/api/v1/export?format=json&include_private=true")
            .await
            .status,
        StatusCode::BAD_REQUEST
    );
    // Into an empty journal: a preview, then the doses.
    let to = app_with(false, None).await;
    let import = |q: &str| {
        to.base("POST", &format!("/api/v1/import{q}"))
            .header(header::CONTENT_TYPE, "application/json")
            .body(Body::from(r.body.clone()))
            .unwrap_or_else(|e| panic!("{e}"))
    };
    let p = to.send(import("?dry_run=true")).await.json();
    assert_eq!(
        (p["fhir"]["dry_run"].as_bool(), p["fhir"]["doses"].as_u64()),
        (Some(true), Some(doses as u64)),
        "{p}"
    );
    assert_eq!(to.count("doses").await, 0);
    let done = to.send(import("")).await.json();
    assert_eq!(done["fhir"]["doses"].as_u64(), Some(doses as u64), "{done}");
    assert_eq!(to.count("doses").await, doses);
}

/// The blinded trial through the API and the pages: plan (the fill list and key handed out
/// once), today's container on the Trial, dose and check-in pages, a dose by its code and a
/// guess, an emergency unblinding that needs the right key, a stop, the reveal and the result.
#[tokio::test]
async fn a_blinded_trial_through_the_api_and_the_pages() {
    let a = app().await;
    // Nothing to show yet; the plan form is there.
    let page = a.get("/trial").await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains("Plan a trial") && page.body.contains("prescriber"));
    // A bad plan: a page with the reason, nothing written.
    let r = a
        .form("/trial/plan", &[("smallest_change", ""), ("weeks", "2")])
        .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert!(r.body.contains("smallest improvement"), "{}", r.body);
    let r = a
        .api(
            "POST",
            "/api/v1/trial/plan",
            serde_json::json!({ "smallest_change": 1, "weeks": 2, "recipient": "age1nope" }),
        )
        .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST, "{}", r.body);
    assert!(a.get("/api/v1/trial").await.json()["trial"].is_null());

    let r = a
        .api(
            "POST",
            "/api/v1/trial/plan",
            serde_json::json!({ "smallest_change": 1, "weeks": 2, "start": "2026-11-28", "dose": "1/2 troche", "key_holder": "Dr Lee" }),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    let planned = r.json();
    let key = planned["key"].as_str().unwrap_or_default().to_string();
    assert!(key.starts_with("AGE-SECRET-KEY-1"));
    let fill = planned["fill_list"].as_array().cloned().unwrap_or_default();
    assert_eq!(fill.len(), 4, "2 blocks of one active and one placebo day");
    let contents = |code: &str| {
        fill.iter()
            .find(|f| f["code"] == code)
            .map(|f| f["contents"].as_str().unwrap_or_default().to_string())
            .unwrap_or_default()
    };
    // What the journal keeps tells nothing of the contents.
    let export = a.get("/api/v1/export").await.body;
    assert!(!export.contains("placebo") && !export.contains("AGE-SECRET-KEY"));

    let p = a.get("/api/v1/trial").await.json();
    let code = p["trial"]["state"]["today"]["code"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    assert_eq!(code.len(), 5);
    assert!(a.get("/trial").await.body.contains(&code));
    assert_eq!(field_of(&a.get("/dose").await.body, "container"), code);
    assert!(
        a.get("/checkin")
            .await
            .body
            .contains("what do you think you took today")
    );
    // Today offers the day's container instead of the planned dose, so the dose carries its code.
    let today = a.get("/").await.body;
    assert!(
        today.contains("Your blinded trial, day 1") && today.contains(&code),
        "{today}"
    );
    assert!(
        today.contains("Log today's container now") && !today.contains("Log the planned dose now")
    );
    let labels = a.get("/trial/labels").await;
    assert_eq!(labels.status, StatusCode::OK);
    assert!(labels.body.contains(&code) && !labels.body.contains("placebo"));
    assert!(
        labels.headers[header::CONTENT_SECURITY_POLICY]
            .to_str()
            .unwrap_or_default()
            .contains("sha256-")
    );

    // Today's dose by its code (recorded as taken, whatever the sample's own dose today).
    let r = a
        .api(
            "POST",
            "/api/v1/doses",
            serde_json::json!({ "container": code.to_lowercase(), "already_taken": true }),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    assert_eq!(r.json()["dose"]["container"], code.as_str());
    assert_eq!(r.json()["dose"]["entered"], "1/2 troche");
    assert!(
        a.get("/")
            .await
            .body
            .contains(&format!("Today's container ({code}) is logged."))
    );
    let r = a
        .api(
            "POST",
            "/api/v1/doses",
            serde_json::json!({ "container": "ZZZZZ", "already_taken": true }),
        )
        .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    // The guess, with its checks.
    for bad in [
        serde_json::json!({ "mood": 6, "guess": "active", "guess_sure": 9 }),
        serde_json::json!({ "mood": 6, "guess_sure": 3 }),
        serde_json::json!({ "mood": 6, "guess": "maybe" }),
    ] {
        let r = a.api("POST", "/api/v1/checkins", bad.clone()).await;
        assert_eq!(r.status, StatusCode::BAD_REQUEST, "{bad}: {}", r.body);
    }
    let r = a
        .form(
            "/checkin",
            &[("mood", "6"), ("guess", "placebo"), ("guess_sure", "4")],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let p = a.get("/api/v1/trial").await.json();
    assert_eq!(
        (
            p["trial"]["containers_taken"].as_u64(),
            p["trial"]["guesses"].as_u64()
        ),
        (Some(1), Some(1))
    );

    // An emergency: the wrong key opens nothing and records nothing; the right one opens the day.
    let other = "AGE-SECRET-KEY-1GQ9778VQXMMJVE8SK7J6VT8UJ4HDQAJUVSFCWCM02D8GEWQ72PVQ2Y5J33";
    let r = a
        .api(
            "POST",
            "/api/v1/trial/unblind",
            serde_json::json!({ "date": "2026-11-28", "key": other, "reason": "felt faint" }),
        )
        .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST, "{}", r.body);
    let r = a
        .api(
            "POST",
            "/api/v1/trial/unblind",
            serde_json::json!({ "date": "2026-11-28", "key": key, "reason": "" }),
        )
        .await;
    assert_eq!(
        r.status,
        StatusCode::BAD_REQUEST,
        "a reason is needed: {}",
        r.body
    );
    assert!(
        a.get("/api/v1/export").await.json()["trial_events"]
            .as_array()
            .is_some_and(Vec::is_empty)
    );
    let r = a
        .form(
            "/trial/unblind",
            &[
                ("date", "2026-11-28"),
                ("key", &key),
                ("reason", "felt faint"),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert!(
        r.body
            .contains(&format!("2026-11-28 held {}", contents(&code)))
    );

    // Not over yet: no reveal, no result; then stopped, revealed with the key, and the result.
    let r = a
        .api(
            "POST",
            "/api/v1/trial/reveal",
            serde_json::json!({ "key": key }),
        )
        .await;
    assert_eq!(r.status, StatusCode::CONFLICT, "{}", r.body);
    assert_eq!(
        a.get("/api/v1/trial/result").await.status,
        StatusCode::CONFLICT
    );
    let r = a
        .api(
            "POST",
            "/api/v1/trial/stop",
            serde_json::json!({ "reason": "decided with Dr Lee" }),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let r = a.form("/trial/reveal", &[("key", other)]).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    let r = a.form("/trial/reveal", &[("key", &key)]).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let result = a.get("/api/v1/trial/result").await.json();
    assert_eq!(result["result"]["stopped"], true);
    assert_eq!(result["result"]["observed"]["unblinded"], 1);
    assert!(
        result["result"]["reading"]["headline"]
            .as_str()
            .is_some_and(|h| h.contains("Too few days"))
    );
    let page = a.get("/trial").await.body;
    assert!(page.contains("Is it the drug? The blinded trial") && page.contains("stopped early"));
    assert!(
        page.contains("Plan a trial"),
        "a new trial can be planned once one is revealed"
    );
}
