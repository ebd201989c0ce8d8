//! `dosewise serve` as a person runs it: the real binary on a real journal, a real browser
//! (Debian's Chromium driven by playwright-core, tests/e2e/e2e.mjs), the CLI writing at the
//! same time, an encrypted journal unlocked once, and the loopback/login rules.

mod common;

use common::server::{Server, http, http_full};
use common::{Run, command, output};
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Stdio};
use std::time::{Duration, Instant};

const NOW: &str = "2026-11-28T11:00:00Z";

fn run(home: &Path, args: &[&str]) -> Run {
    output(&mut command(home, NOW, args))
}

fn demo_home() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    run(dir.path(), &["demo"]).ok();
    dir
}

fn e2e_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/e2e")
}

/// Run a browser test script (tests/e2e) against `server`; what it printed, once it passed
/// every step.
fn browser(script: &str, server: &Server) -> String {
    let e2e = e2e_dir();
    assert!(
        e2e.join("node_modules/playwright-core").is_dir(),
        "playwright-core is not installed in tests/e2e: run scripts/test (it installs it), or `npm ci` there"
    );
    let out = std::process::Command::new("node")
        .arg(script)
        .current_dir(&e2e)
        .env("DOSEWISE_URL", server.url())
        .env("DOSEWISE_KEY", &server.key)
        .output()
        .unwrap_or_else(|e| panic!("node: {e}"));
    let text = String::from_utf8_lossy(&out.stdout).to_string();
    println!("{text}{}", String::from_utf8_lossy(&out.stderr));
    assert!(
        out.status.success(),
        "browser test {script} failed:\n{text}"
    );
    assert!(!text.contains("not ok"), "{text}");
    text
}

/// A person who never opens a terminal: `serve` on a home with no journal makes one, and the
/// browser sets it up and logs a first dose and check-in (tests/e2e/firstrun.mjs); the CLI then
/// sees what the browser wrote.
#[test]
fn the_first_run_is_done_in_the_browser() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let home = dir.path().join("home");
    let server = Server::start(&home, &[], &[]).unwrap_or_else(|e| panic!("{e}"));
    let text = browser("firstrun.mjs", &server);
    assert_eq!(text.matches("ok - ").count(), 7, "{text}");
    assert_eq!(server.stop(), Some(0));
    let h = run(&home, &["--json", "history"]).ok().json();
    assert_eq!(h["doses"].as_array().map(Vec::len), Some(1), "{h}");
    assert_eq!(h["checkins"].as_array().map(Vec::len), Some(1), "{h}");
    let p = run(&home, &["--json", "protocol", "show"]).ok();
    assert!(p.stdout.contains("1/2 troche"), "{}", p.stdout);
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&home)
            .map(|m| m.permissions().mode() & 0o777)
            .unwrap_or(0);
        assert_eq!(mode, 0o700, "the new home is private");
    }
}

#[test]
fn browser_end_to_end() {
    let home = demo_home();
    let server = Server::start(home.path(), &[], &[]).unwrap_or_else(|e| panic!("{e}"));
    let text = browser("e2e.mjs", &server);
    assert!(
        text.matches("\nok - ").count() + usize::from(text.starts_with("ok - ")) >= 13,
        "{text}"
    );
    // What the browser did is in the journal, seen by the CLI.
    let h = run(home.path(), &["--json", "history", "--from", "2026-11-28"])
        .ok()
        .json();
    let doses = h["doses"].as_array().cloned().unwrap_or_default();
    assert!(
        doses
            .iter()
            .any(|d| d["override_reason"] == "higher dose agreed with Dr K today")
    );
    // The dose logged three hours late was recorded with the screen finding it would have met.
    assert!(doses.iter().any(|d| {
        d["override_reason"].is_null()
            && d["findings"]
                .as_array()
                .is_some_and(|f| f.iter().any(|x| x["code"] == "screen:pregnancy"))
    }));
    let checkins = h["checkins"].as_array().cloned().unwrap_or_default();
    assert!(
        checkins
            .iter()
            .any(|c| c["note"] == "Calmer <b>evening</b> after the walk")
    );
    assert_eq!(server.stop(), Some(0), "SIGTERM stops the server cleanly");
}

#[test]
fn cli_and_server_write_at_once_without_locking_errors() {
    let home = demo_home();
    common::server::write_at_once(home.path(), &[]);
    run(home.path(), &["check", "--integrity"]).ok();
}

#[test]
fn pages_still_answer_while_a_write_waits_for_another_process() {
    let home = demo_home();
    let server = Server::start(home.path(), &[], &[]).unwrap_or_else(|e| panic!("{e}"));
    // Another process takes the write lock and keeps it (as a long import would).
    let lock = rusqlite::Connection::open(home.path().join("dosewise.db"))
        .unwrap_or_else(|e| panic!("{e}"));
    lock.execute_batch("BEGIN IMMEDIATE; UPDATE profile SET name = name;")
        .unwrap_or_else(|e| panic!("{e}"));
    let addr = server.addr.clone();
    let auth = format!("Bearer {}", server.key);
    let writer = std::thread::spawn(move || {
        let body = r#"{"mood": 5, "note": "waited for the lock"}"#;
        let r = http_full(
            &addr,
            &addr,
            "POST",
            "/api/v1/checkins",
            Some(body),
            &[("Authorization", &auth)],
        );
        (r.0, r.2)
    });
    // Give the write time to reach SQLite and start waiting; it cannot finish meanwhile.
    std::thread::sleep(Duration::from_millis(500));
    assert!(!writer.is_finished(), "the write waits for the lock");
    // A page that needs no journal answers while the write waits (before the lock is
    // released: the deadline only keeps a stalled server from hanging the test).
    let addr = server.addr.clone();
    let page = std::thread::spawn(move || http(&addr, &addr, "GET", "/static/style.css", None));
    let deadline = Instant::now() + Duration::from_secs(8);
    while !page.is_finished() && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(10));
    }
    let answered_while_locked = page.is_finished() && !writer.is_finished();
    lock.execute_batch("COMMIT")
        .unwrap_or_else(|e| panic!("{e}"));
    assert!(
        answered_while_locked,
        "the server stalled while one request waited for SQLite"
    );
    let (status, css) = page.join().unwrap_or_else(|_| panic!("page"));
    assert_eq!(status, 200);
    assert!(css.contains("body"));
    // Once the lock is released the write goes through.
    let (status, body) = writer.join().unwrap_or_else(|_| panic!("writer"));
    assert_eq!(status, 201, "{body}");
    assert_eq!(server.stop(), Some(0));
}

#[test]
fn an_encrypted_journal_is_unlocked_once_at_start() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let home = dir.path().join("home");
    let key = dir.path().join("key");
    std::fs::write(&key, "a long enough passphrase\n").unwrap_or_else(|e| panic!("{e}"));
    let wrong = dir.path().join("wrong");
    std::fs::write(&wrong, "not the passphrase at all\n").unwrap_or_else(|e| panic!("{e}"));
    for f in [&key, &wrong] {
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(f, std::fs::Permissions::from_mode(0o600))
                .unwrap_or_else(|e| panic!("{e}"));
        }
    }
    output(command(&home, NOW, &["init", "--encrypt", "--new-passphrase-file"]).arg(&key)).ok();
    output(
        command(
            &home,
            NOW,
            &["checkin", "--mood", "7", "--note", "encrypted marker"],
        )
        .env("DOSEWISE_PASSPHRASE_FILE", &key),
    )
    .ok();
    // Without a passphrase and no terminal: a clear refusal, nothing served.
    let r = run(&home, &["serve", "--bind", "127.0.0.1:0"]);
    let r = r.fails("encrypted");
    assert!(!r.stderr.contains("panicked"));
    // A wrong passphrase: one clean line, exit 1.
    let r = output(
        command(&home, NOW, &["serve", "--bind", "127.0.0.1:0"])
            .env("DOSEWISE_PASSPHRASE_FILE", &wrong),
    );
    let r = r.fails("wrong passphrase");
    assert_eq!(r.stderr.trim().lines().count(), 1, "{}", r.stderr);
    // The right one: unlocked at start, every request served from memory without it.
    let server = Server::start(&home, &[], &[("DOSEWISE_PASSPHRASE_FILE", key.as_path())])
        .unwrap_or_else(|e| panic!("{e}"));
    std::fs::remove_file(&key).unwrap_or_else(|e| panic!("{e}"));
    let (status, body) = server.http("GET", "/api/v1/checkins?from=2026-11-01", None);
    assert_eq!(status, 200);
    assert!(body.contains("encrypted marker"));
    let (status, _) = server.http("POST", "/api/v1/checkins", Some(r#"{"mood": 4}"#));
    assert_eq!(status, 201, "writes work after the key file is gone");
    assert_eq!(server.stop(), Some(0));
    let bytes = std::fs::read(home.join("dosewise.db")).unwrap_or_default();
    assert!(
        !bytes.windows(16).any(|w| w == b"encrypted marker"),
        "still encrypted at rest"
    );
}

#[test]
fn only_loopback_without_a_login() {
    let home = demo_home();
    run(home.path(), &["serve", "--bind", "0.0.0.0:0"]).fails("not a loopback address");
    run(
        home.path(),
        &["serve", "--bind", "0.0.0.0:0", "--allow-remote"],
    )
    .fails("needs a login");
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let short = dir.path().join("short");
    std::fs::write(&short, "short\n").unwrap_or_else(|e| panic!("{e}"));
    output(
        command(
            home.path(),
            NOW,
            &["serve", "--set-login", "--login-passphrase-file"],
        )
        .arg(&short),
    )
    .fails("at least");
    let pass = dir.path().join("pass");
    std::fs::write(&pass, "correct horse battery staple\n").unwrap_or_else(|e| panic!("{e}"));
    output(
        command(
            home.path(),
            NOW,
            &["serve", "--set-login", "--login-passphrase-file"],
        )
        .arg(&pass),
    )
    .ok();
    let stored = std::fs::read_to_string(home.path().join("web-login")).unwrap_or_default();
    assert!(stored.starts_with("$argon2id$") && !stored.contains("horse"));
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(home.path().join("web-login"))
            .map(|m| m.permissions().mode() & 0o777)
            .unwrap_or(0);
        assert_eq!(mode, 0o600);
    }
    // Listening on all interfaces now needs and has a login, and answers only to the names it
    // was given (and loopback).
    let (_child, port, _log) = remote_server(home.path(), &["--allow-host", "192.168.1.20"]);
    let addr = format!("127.0.0.1:{port}");
    let lan = format!("192.168.1.20:{port}");
    let (status, _) = http(&addr, &lan, "GET", "/api/v1/export", None);
    assert_eq!(status, 401, "no data without a session");
    let (status, body) = http(&addr, &lan, "GET", "/login", None);
    assert_eq!(status, 200);
    assert!(body.contains("Login passphrase"));
    // A name it was not given (a DNS-rebinding page inside the LAN): refused, even the login.
    for host in ["evil.example", &format!("attacker.lan:{port}")] {
        let (status, _) = http(&addr, host, "GET", "/login", None);
        assert_eq!(status, 403, "{host}");
    }
}

/// Another account on this computer can reach the port but not the key (web-key is 0600 in a
/// 0700 home), so it gets nothing — tried as the `nobody` account when the test runs as root,
/// and in any case without the key.
#[test]
fn another_account_on_this_computer_gets_nothing() {
    let home = demo_home();
    let server = Server::start(home.path(), &[], &[]).unwrap_or_else(|e| panic!("{e}"));
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(home.path().join("web-key"))
            .map(|m| m.permissions().mode() & 0o777)
            .unwrap_or(0);
        assert_eq!(mode, 0o600, "the key is readable by its owner only");
    }
    for path in [
        "/api/v1/export",
        "/export.json",
        "/",
        "/report/view",
        "/calendar.ics",
    ] {
        let (status, body) = http(&server.addr, &server.addr, "GET", path, None);
        assert_eq!(status, 401, "{path}");
        assert!(!body.contains("Ketamine troche"), "{path}: no data");
    }
    let (status, body) = server.http("GET", "/api/v1/export", None);
    assert_eq!(status, 200, "the owner, with the key");
    assert!(body.contains("Ketamine troche"));
    let as_root = std::process::Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|o| String::from_utf8_lossy(&o.stdout).trim() == "0");
    let tools = ["runuser", "curl"].iter().all(|t| {
        std::process::Command::new("sh")
            .args(["-c", &format!("command -v {t}")])
            .output()
            .is_ok_and(|o| o.status.success())
    });
    if as_root && tools {
        // As the probe did it: another Unix account asks the loopback server for everything.
        let url = format!("http://{}/api/v1/export", server.addr);
        let out = std::process::Command::new("runuser")
            .args([
                "-u",
                "nobody",
                "--",
                "curl",
                "-s",
                "-o",
                "/dev/null",
                "-w",
                "%{http_code}",
                &url,
            ])
            .output()
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(String::from_utf8_lossy(&out.stdout), "401", "as nobody");
        let read = std::process::Command::new("runuser")
            .args(["-u", "nobody", "--", "cat"])
            .arg(home.path().join("web-key"))
            .output()
            .unwrap_or_else(|e| panic!("{e}"));
        assert!(!read.status.success(), "nobody cannot read the key");
    } else {
        println!("not root, or runuser/curl missing: the second-account part was not run");
    }
    assert_eq!(server.stop(), Some(0));
    assert!(
        !home.path().join("web-key").exists(),
        "the key is removed at a clean stop"
    );
}

/// A child process killed when dropped, so a failing test leaves no server behind.
struct Killed(Child);

impl Drop for Killed {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// A server with a login on all interfaces (set here unless the home has one), with `extra`
/// arguments; (child, port, stderr log).
fn remote_server(
    home: &Path,
    extra: &[&str],
) -> (Killed, String, std::sync::Arc<std::sync::Mutex<String>>) {
    if !home.join("web-login").exists() {
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let pass = dir.path().join("pass");
        std::fs::write(&pass, "correct horse battery staple\n").unwrap_or_else(|e| panic!("{e}"));
        output(
            command(
                home,
                NOW,
                &["serve", "--set-login", "--login-passphrase-file"],
            )
            .arg(&pass),
        )
        .ok();
    }
    let mut args = vec!["serve", "--bind", "0.0.0.0:0", "--allow-remote"];
    args.extend_from_slice(extra);
    let mut child = command(home, NOW, &args)
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("{e}"));
    let mut lines = BufReader::new(child.stderr.take().unwrap_or_else(|| panic!("stderr"))).lines();
    let first = lines.next().and_then(Result::ok).unwrap_or_default();
    assert!(first.contains("login required"), "{first}");
    let port = first
        .split(':')
        .nth(2)
        .and_then(|p| p.split('/').next())
        .unwrap_or("")
        .to_string();
    let log = std::sync::Arc::new(std::sync::Mutex::new(String::new()));
    let sink = log.clone();
    std::thread::spawn(move || {
        for l in lines.map_while(Result::ok) {
            if let Ok(mut s) = sink.lock() {
                s.push_str(&l);
                s.push('\n');
            }
        }
    });
    (Killed(child), port, log)
}

/// A login attempt with the login page's own CSRF token; the status.
fn try_login(addr: &str, passphrase: &str) -> u16 {
    let (_, head, page) = http_full(addr, addr, "GET", "/login", None, &[]);
    let csrf = page
        .split("name=\"csrf\" value=\"")
        .nth(1)
        .and_then(|r| r.split('"').next())
        .unwrap_or("")
        .to_string();
    assert!(head.contains(&format!("dw_csrf={csrf}")), "{head}");
    let body = format!("csrf={csrf}&passphrase={}", passphrase.replace(' ', "+"));
    http_full(
        addr,
        addr,
        "POST",
        "/login",
        Some(&body),
        &[
            ("Content-Type", "application/x-www-form-urlencoded"),
            ("Cookie", &format!("dw_csrf={csrf}")),
        ],
    )
    .0
}

/// 200 wrong passphrases: after 5 the server answers 429 without checking, and logs each
/// failure without what was typed; the right passphrase is then also made to wait.
#[test]
fn wrong_logins_back_off_and_are_logged_without_the_attempt() {
    let home = demo_home();
    let (_child, port, log) = remote_server(home.path(), &[]);
    let addr = format!("127.0.0.1:{port}");
    let started = Instant::now();
    let statuses: Vec<u16> = (0..200)
        .map(|i| try_login(&addr, &format!("wrong guess number {i}")))
        .collect();
    let elapsed = started.elapsed();
    let refused = statuses.iter().filter(|s| **s == 401).count();
    let waited = statuses.iter().filter(|s| **s == 429).count();
    assert_eq!(
        &statuses[..6],
        &[401; 6],
        "five free tries, then the sixth sets the wait"
    );
    assert!(
        waited >= 190,
        "401: {refused}, 429: {waited} in {elapsed:?}"
    );
    let text = log.lock().map(|s| s.clone()).unwrap_or_default();
    assert!(text.contains("failed login from 127.0.0.1"), "{text}");
    assert!(
        !text.contains("wrong guess"),
        "the attempt itself is never logged"
    );
    assert_eq!(
        try_login(&addr, "correct horse battery staple"),
        429,
        "even the right one waits"
    );
}

/// 48 logins at once with 200 KB passphrases, then 48 with 1 KB ones: refused before hashing, or
/// hashed at most two at a time; the server's peak memory stays small (the probe saw 992 MiB).
#[test]
fn long_or_concurrent_passphrases_do_not_exhaust_memory() {
    let home = demo_home();
    let (child, port, _log) = remote_server(home.path(), &[]);
    let addr = format!("127.0.0.1:{port}");
    let peak = || {
        std::fs::read_to_string(format!("/proc/{}/status", child.0.id()))
            .unwrap_or_default()
            .lines()
            .find_map(|l| l.strip_prefix("VmHWM:"))
            .and_then(|v| v.split_whitespace().next()?.parse::<u64>().ok())
            .unwrap_or(0)
    };
    let before = peak();
    // The 1 KB burst first, before any failure is counted: all 48 pass the back-off check at
    // once and only the bound on concurrent checks keeps the hashing (19 MiB each) in check.
    for size in [1024, 200 * 1024] {
        let long = "x".repeat(size);
        let threads: Vec<_> = (0..48)
            .map(|_| {
                let (addr, long) = (addr.clone(), long.clone());
                std::thread::spawn(move || try_login(&addr, &long))
            })
            .collect();
        for t in threads {
            let status = t.join().unwrap_or(0);
            assert!([401, 429, 503].contains(&status), "{size}: {status}");
        }
    }
    let after = peak();
    println!("peak RSS {before} KiB before, {after} KiB after");
    assert!(before > 0, "VmHWM readable");
    assert!(
        after < before + 64 * 1024,
        "peak grew from {before} to {after} KiB"
    );
}

/// Another site's page cannot make the browser start a PDF print or download the journal, and
/// a forged notice in the address is not shown.
#[test]
fn cross_site_downloads_and_forged_notices_are_refused() {
    let home = demo_home();
    let server = Server::start(home.path(), &[], &[]).unwrap_or_else(|e| panic!("{e}"));
    let auth = format!("Bearer {}", server.key);
    for path in [
        "/report.pdf",
        "/export.json",
        "/report.pdf?private=1",
        "/api/v1/export",
    ] {
        let (status, _, body) = http_full(
            &server.addr,
            &server.addr,
            "GET",
            path,
            None,
            &[("Authorization", &auth), ("Sec-Fetch-Site", "cross-site")],
        );
        assert_eq!(status, 403, "{path}");
        assert!(
            !body.contains("%PDF") && !body.contains("\"doses\""),
            "{path}"
        );
    }
    let (status, _, body) = http_full(
        &server.addr,
        &server.addr,
        "GET",
        "/more?saved=Saved.+Your+clinician+approved+raising+the+dose+to+50+mg",
        None,
        &[("Authorization", &auth)],
    );
    assert_eq!(status, 200);
    assert!(!body.contains("approved raising"), "{body}");
    assert_eq!(server.stop(), Some(0));
}

/// Run tests/e2e/trial.mjs's `phase` against `server`, with the trial's folder and `extra`
/// variables; what it printed, once every step passed.
fn trial_phase(server: &Server, phase: &str, dir: &Path, extra: &[(&str, &str)]) -> String {
    let out = std::process::Command::new("node")
        .arg("trial.mjs")
        .current_dir(e2e_dir())
        .env("DOSEWISE_URL", server.url())
        .env("DOSEWISE_KEY", &server.key)
        .env("TRIAL_PHASE", phase)
        .env("TRIAL_DIR", dir)
        .envs(extra.iter().copied())
        .output()
        .unwrap_or_else(|e| panic!("node: {e}"));
    let text = String::from_utf8_lossy(&out.stdout).to_string();
    println!("{text}{}", String::from_utf8_lossy(&out.stderr));
    assert!(
        out.status.success() && !text.contains("not ok"),
        "trial.mjs {phase}:\n{text}"
    );
    text
}

/// The blinded trial end to end in the browser, the CLI doing the weeks between: planned in
/// the browser (the fill list and key downloaded, the labels page), the first block's doses by
/// code and guesses in the browser with an emergency unblinding of its first day, the other
/// weeks scripted through the CLI by the downloaded fill list, then the reveal with the key and
/// the result page.
#[test]
fn a_blinded_trial_in_the_browser() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let home = dir.path().join("home");
    let files = dir.path().join("files");
    std::fs::create_dir(&files).unwrap_or_else(|e| panic!("{e}"));
    let at = |now: &str, args: &[&str]| output(&mut command(&home, now, args));
    at("2026-11-30T09:00:00Z", &["init", "--weight", "70"]).ok();
    at(
        "2026-11-30T09:00:00Z",
        &[
            "stock",
            "add",
            "troche",
            "--name",
            "T25",
            "--strength",
            "25mg",
            "--count",
            "60",
        ],
    )
    .ok();
    let serve_at = |now: &str| {
        Server::start(&home, &[], &[("DOSEWISE_NOW", Path::new(now))])
            .unwrap_or_else(|e| panic!("{e}"))
    };
    let s = serve_at("2026-11-30T09:00:00Z");
    trial_phase(&s, "plan", &files, &[]);
    assert_eq!(s.stop(), Some(0));
    let contents = common::fill_list(
        &std::fs::read_to_string(files.join("trial-fill-list.html")).unwrap_or_default(),
    );
    let held = |code: &str| contents.get(code).cloned().unwrap_or_default();
    let export = at("2026-11-30T09:00:00Z", &["--json", "export"])
        .ok()
        .json();
    let days = common::trial_days(&export);
    assert_eq!(days.len(), 18);
    // Mood 7 or 8 on active days, 6 on placebo days; the guesses right.
    let mood = |k: usize, code: &str| if held(code) == "active" { 7 + k % 2 } else { 6 };
    for (k, (date, code)) in days.iter().enumerate() {
        let guess = held(code);
        if k < 2 {
            let s = serve_at(&format!("{date}T19:00:00Z"));
            let mut extra = vec![("DAY", date.as_str()), ("GUESS", guess.as_str())];
            let m = mood(k, code).to_string();
            extra.push(("MOOD", &m));
            if k == 1 {
                extra.push(("UNBLIND", days[0].0.as_str()));
                extra.push(("UNBLIND_CODE", days[0].1.as_str()));
            }
            trial_phase(&s, "day", &files, &extra);
            assert_eq!(s.stop(), Some(0));
            continue;
        }
        at(&format!("{date}T07:30:00Z"), &["dose", "--container", code]).ok();
        at(
            &format!("{date}T19:00:00Z"),
            &[
                "checkin",
                "--mood",
                &mood(k, code).to_string(),
                "--guess",
                &guess.replace('_', "-"),
            ],
        )
        .ok();
    }
    let s = serve_at("2027-01-27T10:00:00Z");
    let text = trial_phase(&s, "result", &files, &[]);
    assert!(text.contains("ok - the result"), "{text}");
    assert_eq!(s.stop(), Some(0));
    // The CLI reads the same result the page showed.
    let r = at("2027-01-27T10:00:00Z", &["--json", "trial", "result"])
        .ok()
        .json();
    assert_eq!(r["observed"]["unblinded"], 1);
    assert_eq!(
        r["analysis"]["active_days"].as_u64().unwrap_or(0)
            + r["analysis"]["placebo_days"].as_u64().unwrap_or(0),
        17
    );
    assert_eq!(
        r["analysis"]["blinding"]["correct"],
        r["analysis"]["blinding"]["guessed"]
    );
}
