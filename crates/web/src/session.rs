//! Who may use the server, and for how long: sessions, the owner's access key, and the login's
//! back-off. Written to be reused by the clinic server.
//!
//! - **Sessions** are random 256-bit tokens in an HttpOnly, SameSite=Strict cookie, held in
//!   memory only (a restart ends them all). Each carries its own CSRF token (forms must echo it;
//!   a new session gets a new one), expires after [`IDLE`] without a request and [`ABSOLUTE`]
//!   after it began, and can be ended alone (log out) or all at once (log out everywhere, or a
//!   changed login passphrase).
//! - **The access key** is the owner's secret for this run of the server: printed in the
//!   address `dosewise serve` shows (`?key=…`, as Jupyter does it) and written to the file
//!   `web-key` in the home (mode 0600, readable only by the account that owns the journal). A
//!   visit with it starts a session; a script may send it as `Authorization: Bearer …`. Another
//!   account on the same computer can reach the port but cannot read the key, so it gets nothing.
//! - **Login back-off**: after [`FREE_ATTEMPTS`] wrong passphrases from one address (or
//!   [`FREE_ATTEMPTS_ACCOUNT`] from anywhere), each further attempt must wait twice as long as
//!   the last, up to [`MAX_WAIT`]; meanwhile the server answers 429 without checking anything.
//!   Failures are logged (address and count, never what was typed). At most [`HASHING`]
//!   passphrases are checked at once (argon2id takes 19 MiB each); a passphrase over
//!   [`MAX_PASSPHRASE`] bytes is refused before hashing.

use crate::security::{random_token, same};
use dosewise_core::jiff::{SignedDuration, Timestamp};
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// A session ends after this long without a request…
pub const IDLE: SignedDuration = SignedDuration::from_hours(12);
/// …and this long after it began, whatever happens.
pub const ABSOLUTE: SignedDuration = SignedDuration::from_hours(24 * 7);

#[derive(Debug, Clone)]
struct Session {
    token: String,
    csrf: String,
    began: Timestamp,
    seen: Timestamp,
}

/// The sessions of one server.
#[derive(Debug, Default)]
pub struct Sessions(Mutex<Vec<Session>>);

impl Sessions {
    /// A new session at `now`: its cookie token and its CSRF token.
    pub fn create(&self, now: Timestamp) -> (String, String) {
        let s = Session {
            token: random_token(),
            csrf: random_token(),
            began: now,
            seen: now,
        };
        let out = (s.token.clone(), s.csrf.clone());
        if let Ok(mut all) = self.0.lock() {
            all.retain(|x| alive(x, now));
            all.push(s);
        }
        out
    }

    /// The CSRF token of a live session (compared in constant time), refreshing its idle time;
    /// an expired one is removed.
    pub fn check(&self, token: &str, now: Timestamp) -> Option<String> {
        let mut all = self.0.lock().ok()?;
        all.retain(|x| alive(x, now));
        let s = all.iter_mut().find(|s| same(&s.token, token))?;
        s.seen = now;
        Some(s.csrf.clone())
    }

    pub fn end(&self, token: &str) {
        if let Ok(mut all) = self.0.lock() {
            all.retain(|s| !same(&s.token, token));
        }
    }

    /// End every session; how many there were.
    pub fn end_all(&self) -> usize {
        self.0.lock().map_or(0, |mut all| {
            let n = all.len();
            all.clear();
            n
        })
    }
}

fn alive(s: &Session, now: Timestamp) -> bool {
    now.duration_since(s.seen) < IDLE && now.duration_since(s.began) < ABSOLUTE
}

/// The file holding this run's access key.
pub use dosewise_app::home::ACCESS_KEY_FILE as KEY_FILE;

pub fn key_path(home: &Path) -> PathBuf {
    home.join(KEY_FILE)
}

/// A new access key: 256 random bits as hex.
pub fn new_key() -> String {
    random_token()
}

/// Wrong passphrases allowed from one address before the back-off starts.
pub const FREE_ATTEMPTS: u32 = 5;
/// Wrong passphrases allowed from all addresses together before the back-off starts.
pub const FREE_ATTEMPTS_ACCOUNT: u32 = 20;
/// The longest wait imposed.
pub const MAX_WAIT: Duration = Duration::from_secs(15 * 60);
/// Passphrases checked at once.
pub const HASHING: usize = 2;
/// The longest passphrase checked (the login's own limit too).
pub const MAX_PASSPHRASE: usize = 1024;

/// The threads that check passphrases: [`HASHING`] of them, for the life of the server. Not the
/// runtime's blocking pool: each new thread there gets its own allocator arena, and each arena
/// keeps the 19 MiB an argon2id check used, so memory grew with the number of threads that ever
/// checked one (380 MiB after 48 logins at once, measured) and never came back.
pub struct Hashers {
    jobs: std::sync::mpsc::Sender<Job>,
}

type Job = Box<dyn FnOnce(&mut Vec<argon2::Block>) + Send>;

impl std::fmt::Debug for Hashers {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Hashers")
    }
}

impl Hashers {
    pub fn new(threads: usize) -> Hashers {
        let (jobs, queue) = std::sync::mpsc::channel::<Job>();
        let queue = std::sync::Arc::new(Mutex::new(queue));
        for k in 0..threads {
            let queue = queue.clone();
            let _ = std::thread::Builder::new()
                .name(format!("dosewise-hash-{k}"))
                .spawn(move || {
                    // Each thread's argon2 memory, allocated once and reused.
                    let mut memory = Vec::new();
                    loop {
                        // The lock is held only to take a job, not while running it.
                        let job = match queue.lock() {
                            Ok(q) => q.recv(),
                            Err(_) => return,
                        };
                        match job {
                            Ok(job) => job(&mut memory),
                            Err(_) => return, // the server is gone
                        }
                    }
                });
        }
        Hashers { jobs }
    }

    /// Check a passphrase on one of the hashing threads; `None` if they are gone.
    pub async fn verify(&self, login: crate::Login, passphrase: String) -> Option<bool> {
        let (tx, rx) = tokio::sync::oneshot::channel();
        self.jobs
            .send(Box::new(move |memory: &mut Vec<argon2::Block>| {
                let _ = tx.send(login.verify_in(&passphrase, memory));
            }))
            .ok()?;
        rx.await.ok()
    }
}

#[derive(Debug, Clone, Copy)]
struct Failures {
    count: u32,
    until: Option<Instant>,
}

/// Wrong logins by address and for the account as a whole.
#[derive(Debug, Default)]
pub struct Throttle(Mutex<HashMap<String, Failures>>);

/// The account-wide key (there is one login).
const ACCOUNT: &str = "*";

impl Throttle {
    /// How long `addr` must still wait before it may try, if at all.
    pub fn wait(&self, addr: &str, now: Instant) -> Option<Duration> {
        let all = self.0.lock().ok()?;
        [addr, ACCOUNT]
            .iter()
            .filter_map(|k| all.get(*k).and_then(|f| f.until))
            .filter(|u| *u > now)
            .map(|u| u - now)
            .max()
    }

    /// Record a wrong passphrase from `addr`; the failures in a row from it, and the wait now
    /// imposed (if any).
    pub fn failed(&self, addr: &str, now: Instant) -> (u32, Option<Duration>) {
        let Ok(mut all) = self.0.lock() else {
            return (0, None);
        };
        let mut bump = |key: &str, free: u32| {
            let f = all.entry(key.to_string()).or_insert(Failures {
                count: 0,
                until: None,
            });
            f.count += 1;
            let wait = (f.count > free).then(|| {
                let doublings = (f.count - free - 1).min(20);
                Duration::from_secs(1u64 << doublings).min(MAX_WAIT)
            });
            f.until = wait.map(|w| now + w);
            (f.count, wait)
        };
        let (n, by_addr) = bump(addr, FREE_ATTEMPTS);
        let (_, by_account) = bump(ACCOUNT, FREE_ATTEMPTS_ACCOUNT);
        (n, by_addr.max(by_account))
    }

    /// A right passphrase: the address and the account start again.
    pub fn succeeded(&self, addr: &str) {
        if let Ok(mut all) = self.0.lock() {
            all.remove(addr);
            all.remove(ACCOUNT);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(s: &str) -> Timestamp {
        s.parse().unwrap_or_else(|e| panic!("{e}"))
    }

    #[test]
    fn sessions_expire_when_idle_and_in_any_case_after_a_week() {
        let s = Sessions::default();
        let (token, csrf) = s.create(t("2026-11-01T08:00:00Z"));
        assert_eq!(
            s.check(&token, t("2026-11-01T19:59:00Z")).as_deref(),
            Some(csrf.as_str())
        );
        // 12 h idle from the last request (19:59), not from the start.
        assert!(s.check(&token, t("2026-11-02T07:58:00Z")).is_some());
        assert!(
            s.check(&token, t("2026-11-02T19:58:01Z")).is_none(),
            "idle 12 h"
        );
        // Used every hour, it still ends a week after it began.
        let (token, _) = s.create(t("2026-11-01T08:00:00Z"));
        let mut now = t("2026-11-01T08:00:00Z");
        for _ in 0..(24 * 7 - 1) {
            now = now
                .checked_add(SignedDuration::from_hours(1))
                .unwrap_or(now);
            assert!(s.check(&token, now).is_some(), "{now}");
        }
        now = now
            .checked_add(SignedDuration::from_hours(1))
            .unwrap_or(now);
        assert!(s.check(&token, now).is_none(), "a week after it began");
        assert!(s.check("not-a-session", now).is_none());
    }

    #[test]
    fn each_session_has_its_own_csrf_token_and_can_be_ended() {
        let s = Sessions::default();
        let now = t("2026-11-01T08:00:00Z");
        let (a, ca) = s.create(now);
        let (b, cb) = s.create(now);
        assert_ne!(ca, cb);
        assert_ne!(a, b);
        s.end(&a);
        assert!(s.check(&a, now).is_none() && s.check(&b, now).is_some());
        s.create(now);
        assert_eq!(s.end_all(), 2);
        assert!(s.check(&b, now).is_none());
    }

    #[test]
    fn the_back_off_doubles_per_address_and_for_the_account() {
        let th = Throttle::default();
        let t0 = Instant::now();
        for k in 1..=FREE_ATTEMPTS {
            assert_eq!(th.failed("10.0.0.1", t0), (k, None), "free attempt {k}");
        }
        assert_eq!(th.failed("10.0.0.1", t0).1, Some(Duration::from_secs(1)));
        assert_eq!(th.failed("10.0.0.1", t0).1, Some(Duration::from_secs(2)));
        assert_eq!(th.failed("10.0.0.1", t0).1, Some(Duration::from_secs(4)));
        assert!(th.wait("10.0.0.1", t0).is_some());
        assert!(th.wait("10.0.0.1", t0 + Duration::from_secs(5)).is_none());
        assert!(th.wait("10.0.0.2", t0).is_none(), "another address may try");
        // Many addresses together trip the account-wide limit.
        for i in 0..FREE_ATTEMPTS_ACCOUNT {
            th.failed(&format!("10.1.0.{i}"), t0);
        }
        assert!(th.wait("10.0.0.99", t0).is_some(), "account-wide back-off");
        th.succeeded("10.0.0.99");
        assert!(th.wait("10.0.0.99", t0).is_none());
        // The wait never exceeds the cap.
        let th = Throttle::default();
        let mut last = None;
        for _ in 0..100 {
            last = th.failed("x", t0).1;
        }
        assert_eq!(last, Some(MAX_WAIT));
    }
}
