//! `dosewise serve` as a test starts it: the real binary on a loopback port, spoken to over
//! plain HTTP/1.1 with this run's access key; and the writing-at-once check every backend runs.

use super::{Run, command, output};
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::Path;
use std::process::{Child, Stdio};
use std::time::{Duration, Instant};

const NOW: &str = "2026-11-28T11:00:00Z";

fn run(home: &Path, args: &[&str]) -> Run {
    output(&mut command(home, NOW, args))
}

/// A running server; stopped (SIGTERM) on drop.
pub struct Server {
    pub child: Child,
    pub addr: String,
    /// This run's access key (from `web-key` in the home).
    pub key: String,
}

impl Server {
    /// Start `dosewise serve` with `extra` arguments and wait for its address.
    pub fn start(home: &Path, extra: &[&str], env: &[(&str, &Path)]) -> Result<Server, String> {
        let mut args = vec!["serve", "--bind", "127.0.0.1:0"];
        args.extend_from_slice(extra);
        let mut cmd = command(home, NOW, &args);
        for (k, v) in env {
            cmd.env(k, v);
        }
        let mut child = cmd
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .map_err(|e| e.to_string())?;
        let stderr = child.stderr.take().ok_or("no stderr")?;
        let mut lines = BufReader::new(stderr).lines();
        let first = lines
            .next()
            .ok_or("the server said nothing")?
            .map_err(|e| e.to_string())?;
        // Keep draining so the server never blocks on a full pipe.
        std::thread::spawn(move || for _ in lines {});
        let addr = first
            .split("http://")
            .nth(1)
            .and_then(|r| r.split('/').next())
            .ok_or_else(|| {
                let _ = child.kill();
                format!("no address in {first:?}")
            })?
            .to_string();
        let key = std::fs::read_to_string(home.join("web-key"))
            .map(|k| k.trim().to_string())
            .map_err(|e| format!("no web-key in the home: {e}"))?;
        assert!(
            first.contains(&format!("?key={key}")),
            "the address carries the key: {first}"
        );
        Ok(Server { child, addr, key })
    }

    pub fn url(&self) -> String {
        format!("http://{}/", self.addr)
    }

    /// One HTTP/1.1 request with the access key; (status, body).
    pub fn http(&self, method: &str, path: &str, json: Option<&str>) -> (u16, String) {
        let auth = format!("Bearer {}", self.key);
        let r = http_full(
            &self.addr,
            &self.addr,
            method,
            path,
            json,
            &[("Authorization", &auth)],
        );
        (r.0, r.2)
    }

    /// SIGTERM, then the exit status and whether it stopped in time.
    /// SIGTERM is sent again every second until the server exits (sending it runs `kill`,
    /// which a machine loaded by the other tests can fail to start), for at most 30 s.
    pub fn stop(mut self) -> Option<i32> {
        let start = Instant::now();
        let mut last_signal: Option<Instant> = None;
        while start.elapsed() < Duration::from_secs(30) {
            if last_signal.is_none_or(|t| t.elapsed() >= Duration::from_secs(1)) {
                let _ = std::process::Command::new("kill")
                    .args(["-TERM", &self.child.id().to_string()])
                    .status();
                last_signal = Some(Instant::now());
            }
            if let Ok(Some(s)) = self.child.try_wait() {
                return s.code();
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        None
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// One HTTP/1.1 request without credentials; (status, body).
pub fn http(addr: &str, host: &str, method: &str, path: &str, json: Option<&str>) -> (u16, String) {
    let r = http_full(addr, host, method, path, json, &[]);
    (r.0, r.2)
}

/// One HTTP/1.1 request with extra headers; a body is JSON unless a Content-Type is given.
/// (status, response headers, body).
pub fn http_full(
    addr: &str,
    host: &str,
    method: &str,
    path: &str,
    body: Option<&str>,
    headers: &[(&str, &str)],
) -> (u16, String, String) {
    let mut s = TcpStream::connect(addr).unwrap_or_else(|e| panic!("connect {addr}: {e}"));
    let json = body;
    let body = json.unwrap_or("");
    let mut req = format!("{method} {path} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n");
    for (k, v) in headers {
        req.push_str(&format!("{k}: {v}\r\n"));
    }
    if json.is_some() {
        if !headers
            .iter()
            .any(|(k, _)| k.eq_ignore_ascii_case("content-type"))
        {
            req.push_str("Content-Type: application/json\r\n");
        }
        req.push_str(&format!("Content-Length: {}\r\n", body.len()));
    }
    req.push_str("\r\n");
    req.push_str(body);
    s.write_all(req.as_bytes())
        .unwrap_or_else(|e| panic!("{e}"));
    let mut out = String::new();
    s.read_to_string(&mut out).unwrap_or_else(|e| panic!("{e}"));
    let status = out
        .split_whitespace()
        .nth(1)
        .and_then(|c| c.parse().ok())
        .unwrap_or(0);
    let (head, body) = out.split_once("\r\n\r\n").unwrap_or((&out, ""));
    (status, head.to_string(), body.to_string())
}

/// Three CLI processes and the server write check-ins into one journal at once (`db`: the
/// arguments that choose the backend, none for the home's file): every write is acknowledged,
/// none meets a lock, and each is there exactly once.
pub fn write_at_once(home: &Path, db: &[&str]) {
    let mut history = db.to_vec();
    history.extend(["--json", "history", "--from", "2020-01-01"]);
    let before = run(home, &history).ok().json()["checkins"]
        .as_array()
        .map_or(0, Vec::len);
    let server = Server::start(home, db, &[]).unwrap_or_else(|e| panic!("{e}"));
    let addr = server.addr.clone();
    let auth = format!("Bearer {}", server.key);
    const PER_WRITER: usize = 15;
    let web = std::thread::spawn(move || {
        (0..PER_WRITER * 2)
            .map(|i| {
                let body = format!(r#"{{"mood": 5, "note": "web {i}"}}"#);
                let r = http_full(
                    &addr,
                    &addr,
                    "POST",
                    "/api/v1/checkins",
                    Some(&body),
                    &[("Authorization", &auth)],
                );
                (r.0, r.2)
            })
            .collect::<Vec<_>>()
    });
    let cli: Vec<_> = (0..3)
        .map(|w| {
            let home = home.to_path_buf();
            let db: Vec<String> = db.iter().map(|a| a.to_string()).collect();
            std::thread::spawn(move || {
                (0..PER_WRITER)
                    .map(|i| {
                        let note = format!("cli {w}-{i}");
                        let mut args: Vec<&str> = db.iter().map(String::as_str).collect();
                        args.extend(["checkin", "--mood", "6", "--note", &note]);
                        run(&home, &args)
                    })
                    .collect::<Vec<_>>()
            })
        })
        .collect();
    for r in web.join().unwrap_or_else(|_| panic!("web writer")) {
        assert_eq!(r.0, 201, "{}", r.1);
    }
    for t in cli {
        for r in t.join().unwrap_or_else(|_| panic!("cli writer")) {
            assert_eq!(r.code, 0, "{}", r.stderr);
            assert!(!r.stderr.contains("locked"), "{}", r.stderr);
        }
    }
    let (status, body) = server.http("GET", "/api/v1/checkins?from=2020-01-01", None);
    assert_eq!(status, 200);
    let seen: serde_json::Value =
        serde_json::from_str(&body).unwrap_or_else(|e| panic!("not JSON: {e}"));
    let n = seen["checkins"].as_array().map_or(0, Vec::len);
    assert_eq!(n, before + PER_WRITER * 2 + 3 * PER_WRITER, "nothing lost");
    // Not only the count: every write, each exactly once.
    let mut notes: Vec<String> = seen["checkins"]
        .as_array()
        .map(|a| {
            a.iter()
                .filter_map(|c| c["note"].as_str())
                .filter(|n| n.starts_with("web ") || n.starts_with("cli "))
                .map(String::from)
                .collect()
        })
        .unwrap_or_default();
    notes.sort();
    let mut expected: Vec<String> = (0..PER_WRITER * 2)
        .map(|i| format!("web {i}"))
        .chain((0..3).flat_map(|w| (0..PER_WRITER).map(move |i| format!("cli {w}-{i}"))))
        .collect();
    expected.sort();
    assert_eq!(notes, expected);
    assert_eq!(server.stop(), Some(0));
}
