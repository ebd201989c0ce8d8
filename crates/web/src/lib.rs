//! `dosewise serve`: the local web app over the same journal as the CLI.
//!
//! Server-rendered pages (maud) that work without JavaScript, a small script for live dose
//! conversion, and a JSON API under `/api/v1` described by `/api/v1/openapi.json`. Every
//! operation goes through `dosewise-app`, the same code the CLI runs, so a dose's verdict is
//! computed once and shown the same way everywhere.
//!
//! Security, even on loopback (see `security` and `session`): every route but the static files
//! needs a session, begun with the access key that only the journal's owner can read (or, away
//! from loopback, the login passphrase, with back-off); a CSRF token bound to the session on every
//! form; cross-site requests refused, and cross-site downloads too; the Host checked (DNS
//! rebinding) against an allow-list; a strict Content-Security-Policy; HttpOnly SameSite=Strict
//! cookies; body limits; all user text escaped by maud.

mod api;
mod api_manage;
mod api_trial;
mod error;
mod layout;
pub mod login;
mod openapi;
mod pages;
pub mod security;
pub mod session;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use dosewise_app::today::Today;
use dosewise_backends::AnyStore;
use dosewise_core::jiff::Timestamp;
use dosewise_core::jiff::tz::TimeZone;
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

pub use api::ROUTES as API_ROUTES;
pub use pages::insights::style_hashes;
pub use pages::static_file;

/// What an API built beside this one (the clinic server's) shares with it: the text patterns
/// its OpenAPI document states, and reading `3.0` as the whole number JSON Schema says it is.
pub mod schema {
    pub use crate::api::{query_of, whole_numbers};
    pub use crate::openapi::{LABEL, NOTE, NOTE_VISIBLE, TEXT, body, err, ok};
}

/// The stylesheet every page uses (the clinic server's pages too).
pub const STYLE: &str = include_str!("../static/style.css");
/// The report page's print button.
pub const PRINT_JS: &str = include_str!("../static/print.js");
pub use login::Login;

/// Where "now" comes from: the system clock, or a fixed instant (tests, reproducible demos).
#[derive(Debug, Clone, Copy)]
pub enum Clock {
    System,
    Fixed(Timestamp),
}

impl Clock {
    pub fn now(self) -> Timestamp {
        match self {
            Clock::System => dosewise_core::when::to_micros(Timestamp::now()),
            Clock::Fixed(t) => t,
        }
    }
}

/// How the app is set up.
#[derive(Debug)]
pub struct Config {
    /// The journal's home (for temporary print folders).
    pub home: PathBuf,
    pub clock: Clock,
    /// A zone for every request (like `--tz`); otherwise the profile's.
    pub zone: Option<String>,
    /// Host header values accepted (loopback names with the port; away from loopback also the
    /// bind address and the names allowed with `--allow-host`).
    pub hosts: Vec<String>,
    /// Required away from loopback. Re-read from `web-login` when the file changes, which ends
    /// every session.
    pub login: Option<Login>,
    /// This run's access key (`session`): a visit with `?key=` or a `Bearer` header with it
    /// starts a session.
    pub key: String,
    /// The Chromium used to print PDF reports, if any.
    pub chromium: Option<PathBuf>,
}

#[derive(Debug)]
pub struct Inner {
    pub store: AnyStore,
    /// Requests take turns with the store: a use case reads, checks and writes as one step.
    turn: tokio::sync::Mutex<()>,
    pub config: Config,
    /// Sessions (every request but static files needs one).
    pub(crate) sessions: session::Sessions,
    /// Wrong logins, for the back-off.
    pub(crate) throttle: session::Throttle,
    /// At most [`session::HASHING`] passphrase checks at once (waiting or running)…
    pub(crate) hashing: tokio::sync::Semaphore,
    /// …on as many threads of their own.
    pub(crate) hashers: session::Hashers,
    /// At most one PDF print at a time.
    pub(crate) printing: tokio::sync::Semaphore,
    /// The login in force, and the `web-login` file's size and time it was read from.
    login: Mutex<(Option<Login>, FileKey)>,
    /// State-changing requests served so far (part of the dashboard cache's key).
    writes: AtomicU64,
    /// The last computed overview, and what it was computed from.
    today: Mutex<Option<(DataKey, TimeZone, Arc<Today>)>>,
    /// Today's page as last rendered from that overview, with a placeholder for the form
    /// token (`security::Csrf::PLACEHOLDER`): escaping the findings' sources is most of a
    /// render, and the page changes only when the overview does.
    today_page: Mutex<Option<(DataKey, Arc<String>)>>,
}

/// What the overview depends on: the journal's changes as the store counts them (a write by the
/// CLI or any other program changes it), the server's own writes, and the current minute.
#[derive(Debug, Clone, PartialEq, Eq)]
struct DataKey {
    journal: u64,
    writes: u64,
    minute: i64,
}

/// A file's size and modification time, to notice it changed.
type FileKey = (u64, Option<std::time::SystemTime>);

fn file_key(p: &std::path::Path) -> FileKey {
    std::fs::metadata(p).map_or((0, None), |m| (m.len(), m.modified().ok()))
}

/// The state every handler shares.
#[derive(Debug, Clone)]
pub struct AppState(pub Arc<Inner>);

impl AppState {
    pub fn new(store: AnyStore, config: Config) -> AppState {
        let login = (config.login.clone(), file_key(&login::path(&config.home)));
        AppState(Arc::new(Inner {
            store,
            turn: tokio::sync::Mutex::new(()),
            sessions: session::Sessions::default(),
            throttle: session::Throttle::default(),
            hashing: tokio::sync::Semaphore::new(session::HASHING),
            hashers: session::Hashers::new(session::HASHING),
            printing: tokio::sync::Semaphore::new(1),
            login: Mutex::new(login),
            config,
            writes: AtomicU64::new(0),
            today: Mutex::default(),
            today_page: Mutex::default(),
        }))
    }

    /// Whether the server was started with a login (away from loopback).
    fn login_mode(&self) -> bool {
        self.0.config.login.is_some()
    }

    /// The login in force. When `web-login` changed (`dosewise serve --set-login` while the
    /// server runs), the new passphrase takes effect at once and every session ends.
    pub(crate) fn login(&self) -> Option<Login> {
        if !self.login_mode() {
            return None;
        }
        let path = login::path(&self.0.config.home);
        let now_key = file_key(&path);
        let mut cur = self.0.login.lock().ok()?;
        if cur.1 != now_key {
            let fresh = Login::load(&self.0.config.home).ok().flatten();
            let ended = self.0.sessions.end_all();
            eprintln!(
                "dosewise serve: the login passphrase changed; it takes effect now and {ended} session(s) were ended"
            );
            *cur = (fresh, now_key);
        }
        cur.0.clone()
    }

    async fn data_key(&self) -> Result<DataKey, error::WebError> {
        Ok(DataKey {
            journal: dosewise_store::Store::changes(&self.0.store).await?,
            writes: self.0.writes.load(Ordering::Acquire),
            minute: self.now().as_second().div_euclid(60),
        })
    }

    /// Today's overview and the zone it is in. Computed once per change of the journal (by
    /// anyone) or of the minute, and shared by the dashboard and `/api/v1/today`: asking the
    /// store whether the journal changed costs microseconds, the overview a dozen queries.
    async fn today(&self) -> Result<(TimeZone, Arc<Today>), error::WebError> {
        let (_, tz, t) = self.today_keyed().await?;
        Ok((tz, t))
    }

    /// The overview with the key it was computed for.
    async fn today_keyed(&self) -> Result<(DataKey, TimeZone, Arc<Today>), error::WebError> {
        let key = self.data_key().await?;
        if let Ok(c) = self.0.today.lock()
            && let Some((k, tz, t)) = c.as_ref()
            && *k == key
        {
            return Ok((key, tz.clone(), t.clone()));
        }
        let store = self.store().await;
        let tz = pages::zone(self, &store).await?;
        let t = Arc::new(dosewise_app::today::today(&*store, self.now(), &tz).await?);
        drop(store);
        if let Ok(mut c) = self.0.today.lock() {
            *c = Some((key.clone(), tz.clone(), t.clone()));
        }
        Ok((key, tz, t))
    }

    /// Today's page for this overview: rendered once per overview (with the token placeholder),
    /// then reused.
    fn today_page(&self, key: &DataKey, render: impl FnOnce() -> String) -> Arc<String> {
        if let Ok(c) = self.0.today_page.lock()
            && let Some((k, p)) = c.as_ref()
            && k == key
        {
            return p.clone();
        }
        let p = Arc::new(render());
        if let Ok(mut c) = self.0.today_page.lock() {
            *c = Some((key.clone(), p.clone()));
        }
        p
    }

    /// Count a state-changing request (after it ran).
    fn wrote(&self) {
        self.0.writes.fetch_add(1, Ordering::AcqRel);
    }
    fn now(&self) -> Timestamp {
        self.0.config.clock.now()
    }
    /// The store, for one request at a time (SQLite has one writer anyway). The backend runs
    /// its blocking work where it does not hold up the runtime.
    async fn store(&self) -> Turn<'_> {
        Turn {
            _turn: self.0.turn.lock().await,
            store: &self.0.store,
        }
    }
    /// The CSRF token of a live session.
    fn session(&self, token: &str) -> Option<String> {
        self.0.sessions.check(token, self.now())
    }
    /// A new session: its cookie token and its CSRF token.
    fn add_session(&self) -> (String, String) {
        self.0.sessions.create(self.now())
    }
    fn end_session(&self, token: &str) {
        self.0.sessions.end(token);
    }
    /// Hand the store back (to close it) once the server has stopped.
    pub fn into_store(self) -> Option<AnyStore> {
        Arc::into_inner(self.0).map(|i| i.store)
    }
}

/// The store during one request's turn.
#[derive(Debug)]
pub struct Turn<'a> {
    _turn: tokio::sync::MutexGuard<'a, ()>,
    store: &'a AnyStore,
}

impl std::ops::Deref for Turn<'_> {
    type Target = AnyStore;
    fn deref(&self) -> &AnyStore {
        self.store
    }
}

/// Request bodies larger than this are refused (an import may be larger: [`IMPORT_LIMIT`]).
pub const BODY_LIMIT: usize = 256 * 1024;

/// The largest journal file accepted by import.
pub const IMPORT_LIMIT: usize = 64 * 1024 * 1024;

/// The whole app: pages, API, static files, with the security layers.
pub fn router(state: AppState) -> Router {
    Router::new()
        .merge(pages::routes())
        .nest(
            "/api/v1",
            api::routes()
                .merge(api_manage::routes())
                .merge(api_trial::routes()),
        )
        .merge(pages::import_route().layer(DefaultBodyLimit::max(IMPORT_LIMIT)))
        .layer(DefaultBodyLimit::max(BODY_LIMIT))
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            security::guard,
        ))
        .with_state(state)
}

/// Serve until `shutdown` resolves.
pub async fn serve(
    listener: tokio::net::TcpListener,
    state: AppState,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    axum::serve(
        listener,
        router(state).into_make_service_with_connect_info::<std::net::SocketAddr>(),
    )
    .with_graceful_shutdown(shutdown)
    .await
}
