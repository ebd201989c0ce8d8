//! Sharing with a clinic: connect this journal to a clinic server with an invite, sync what the
//! grant covers, revoke, and read who looked at what. The journal stays here and stays primary;
//! the server gets a readable copy of the granted categories only, never a private check-in.
//!
//! How a sync stays exact through dropped connections and killed processes: before a batch is
//! sent, its numbered entries are saved here as "in flight"; the server applies a batch whole
//! and remembers the highest number it applied for this device; the next sync first asks for
//! that number, so whatever was applied counts as sent and whatever was not is sent again (as
//! the record is now). Nothing is lost, nothing is doubled. See [`dosewise_core::share`].

use crate::{AppError, Result, input};
use dosewise_core::jiff::Timestamp;
use dosewise_core::prescription::Prescription;
use dosewise_core::share::{self, Category, ClinicNote, Entry, State};
use dosewise_store::Store;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use std::collections::BTreeMap;
use std::time::Duration;

/// The setting the connection is kept under (beside the journal, never exported).
pub const SETTING: &str = "clinic_share";
/// The setting the clinician's prescription is kept under, as last pulled by sync.
pub const PRESCRIPTION: &str = "clinic_prescription";
/// The setting the clinicians' notes to the patient are kept under, as last pulled by sync.
pub const NOTES: &str = "clinic_notes";

/// The notes the clinicians wrote to this patient, newest first, as last synced. Kept apart
/// from the patient's own entries: never exported with the journal, never sent back.
pub async fn notes<S: Store>(store: &S) -> Result<Vec<ClinicNote>> {
    Ok(read_setting(store, NOTES, "notes from the clinic")
        .await?
        .unwrap_or_default())
}

/// The prescription the clinician set, as last synced; it stays in force after sharing stops
/// (the prescriber's limits do not lapse with the connection).
pub async fn prescription<S: Store>(store: &S) -> Result<Option<Prescription>> {
    read_setting(store, PRESCRIPTION, "prescription").await
}

/// A setting kept as JSON, if there is one.
async fn read_setting<S: Store, T: serde::de::DeserializeOwned>(
    store: &S,
    key: &str,
    what: &str,
) -> Result<Option<T>> {
    match store.setting(key).await? {
        Some(s) => serde_json::from_str(&s)
            .map(Some)
            .map_err(|e| AppError::Runtime(format!("the saved {what} does not read: {e}"))),
        None => Ok(None),
    }
}

/// Keep `value` as JSON under `key`.
async fn save_setting<S: Store, T: Serialize>(store: &S, key: &str, value: &T) -> Result<()> {
    let text = serde_json::to_string(value).map_err(|e| AppError::Runtime(e.to_string()))?;
    Ok(store.save_setting(key, Some(&text)).await?)
}

/// This journal's connection to a clinic.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Connection {
    pub server: String,
    pub device_token: String,
    pub device: i64,
    pub patient: i64,
    pub clinic: String,
    pub clinician: String,
    /// What the patient chose to share when connecting.
    pub categories: Vec<Category>,
    pub ends_at: Option<Timestamp>,
    pub connected_at: Timestamp,
    /// The number the next entry gets.
    pub next_idx: u64,
    /// What the server holds: key → fingerprint.
    pub sent: BTreeMap<String, u64>,
    /// The batch in flight: its entries' numbers and the fingerprints they carry.
    pub in_flight: Vec<(u64, String, Option<u64>)>,
    pub last_sync: Option<Timestamp>,
}

/// What a sync did.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Synced {
    pub sent: usize,
    pub withdrawn: usize,
    /// What the server's active grants cover (empty: sharing has stopped).
    pub categories: Vec<Category>,
    pub clinic: String,
    pub clinicians: Vec<String>,
    /// True when no grant is active any more: nothing was sent.
    pub stopped: bool,
    /// What the clinician has set, now in force here.
    pub prescription: Option<Prescription>,
    /// Notes from the clinicians, newest first.
    pub notes: Vec<ClinicNote>,
}

/// How long a request may take before it is given up (and retried by the next sync).
const TIMEOUT: Duration = Duration::from_secs(60);

fn agent() -> ureq::Agent {
    ureq::Agent::config_builder()
        .timeout_global(Some(TIMEOUT))
        .timeout_connect(Some(Duration::from_secs(10)))
        .http_status_as_error(false)
        .build()
        .into()
}

/// A server address checked: HTTPS, or plain HTTP to this computer only (a TLS proxy in front
/// of a clinic server on the same host, or a test).
pub fn server_url(s: &str) -> Result<String> {
    let s = s.trim().trim_end_matches('/');
    let rest = s
        .strip_prefix("https://")
        .or_else(|| s.strip_prefix("http://"))
        .ok_or_else(|| input(format!("{s:?} is not a web address: give https://…")))?;
    let host = rest.split(['/', '?', '#']).next().unwrap_or_default();
    let name = match host.rsplit_once(':') {
        Some((h, port)) if port.chars().all(|c| c.is_ascii_digit()) => h,
        _ => host,
    };
    let loopback = matches!(name, "localhost" | "127.0.0.1" | "[::1]");
    if name.is_empty() || rest.contains(char::is_whitespace) {
        return Err(input(format!("{s:?} is not a web address")));
    }
    if s.starts_with("http://") && !loopback {
        return Err(input(
            "a clinic server must be reached over HTTPS (https://…): plain HTTP would send your journal readable to anyone on the way",
        ));
    }
    Ok(s.to_string())
}

/// How many times a sync request is sent in all when the server cannot be reached or answers
/// 503 (its database restarting, say); the waits between add up to about eight seconds.
const TRIES: u32 = 5;

/// One request to the server, off the async runtime; the answer's JSON, or the server's
/// message as an error of the matching kind. Sent once: for what must not be repeated blindly
/// (an invite code is used up by the first try that arrives).
async fn call(
    method: &'static str,
    url: String,
    token: Option<String>,
    body: Option<Value>,
) -> Result<Value> {
    call_with(method, url, token, body, 1).await
}

/// A request that may be sent again (a sync: the server skips what it has applied): tried up
/// to [`TRIES`] times while the server cannot be reached or answers 503, waiting longer each
/// time (half a second, then one, two, four), and at least as long as its Retry-After says.
async fn call_again(
    method: &'static str,
    url: String,
    token: Option<String>,
    body: Option<Value>,
) -> Result<Value> {
    call_with(method, url, token, body, TRIES).await
}

async fn call_with(
    method: &'static str,
    url: String,
    token: Option<String>,
    body: Option<Value>,
    tries: u32,
) -> Result<Value> {
    let shown = url.clone();
    tokio::task::spawn_blocking(move || {
        let agent = agent();
        let auth = token.map(|t| format!("Bearer {t}"));
        let body = body.unwrap_or_else(|| json!({})).to_string();
        let mut attempt = 0;
        loop {
            attempt += 1;
            let backoff = Duration::from_millis(500 << (attempt - 1).min(3));
            let again = attempt < tries;
            let sent = if method == "GET" {
                let mut r = agent.get(&url);
                if let Some(a) = &auth {
                    r = r.header("Authorization", a);
                }
                r.call()
            } else {
                let mut r = agent.post(&url).content_type("application/json");
                if let Some(a) = &auth {
                    r = r.header("Authorization", a);
                }
                r.send(&body)
            };
            let mut resp = match sent {
                Ok(r) => r,
                // Refused or reset before an answer: nothing reached the server's database.
                Err(ureq::Error::Io(_) | ureq::Error::ConnectionFailed) if again => {
                    std::thread::sleep(backoff);
                    continue;
                }
                Err(e) => {
                    return Err(AppError::Unavailable(format!(
                        "cannot reach the clinic server at {shown} ({e}); nothing was lost: try again later"
                    )));
                }
            };
            let status = resp.status().as_u16();
            if status == 503 && again {
                let wait = resp
                    .headers()
                    .get("retry-after")
                    .and_then(|v| v.to_str().ok())
                    .and_then(|v| v.trim().parse::<u64>().ok())
                    .map_or(backoff, |s| Duration::from_secs(s.min(10)).max(backoff));
                std::thread::sleep(wait);
                continue;
            }
            let text = resp.body_mut().read_to_string().map_err(|e| {
                AppError::Unavailable(format!(
                    "the clinic server's answer was cut off ({e}); try again"
                ))
            })?;
            let v: Value = serde_json::from_str(&text).map_err(|_| {
                AppError::Runtime(format!(
                    "{shown} did not answer as a Dosewise clinic server (HTTP {status})"
                ))
            })?;
            if (200..300).contains(&status) {
                return Ok(v);
            }
            let m = v["error"]["message"]
                .as_str()
                .unwrap_or("the clinic server refused the request")
                .to_string();
            return Err(match status {
                400 => AppError::Input(m),
                401 => AppError::Input(format!(
                    "the clinic server does not know this device any more ({m}); connect again with a new invite"
                )),
                404 => AppError::NotFound(m),
                409 => AppError::Conflict(m),
                _ => AppError::Unavailable(format!("the clinic server answered {status}: {m}")),
            });
        }
    })
    .await
    .map_err(|e| AppError::Runtime(format!("the request stopped: {e}")))?
}

/// The connection, if this journal has one.
pub async fn connection<S: Store>(store: &S) -> Result<Option<Connection>> {
    read_setting(store, SETTING, "clinic connection").await
}

async fn save<S: Store>(store: &S, c: &Connection) -> Result<()> {
    save_setting(store, SETTING, c).await
}

/// Shared unless chosen otherwise: everything a clinician supervising a protocol needs, not
/// the log of other substances (chosen on its own).
pub const DEFAULT: [Category; 8] = [
    Category::Doses,
    Category::Checkins,
    Category::Questionnaires,
    Category::Vitals,
    Category::Stock,
    Category::Safety,
    Category::Medicines,
    Category::Protocol,
];

/// What `connect` needs.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ConnectRequest {
    /// The clinic server's address (https://…).
    pub server: String,
    /// The invite code from the clinician.
    pub code: String,
    /// How the clinic will see the patient (a name or initials).
    pub name: String,
    /// What to share; empty: [`DEFAULT`].
    #[serde(default)]
    pub categories: Vec<Category>,
    /// Sharing ends by itself after this day (the patient's zone).
    #[serde(default)]
    pub until: Option<dosewise_core::jiff::civil::Date>,
    /// What the clinic's list calls this device; default "my journal".
    #[serde(default)]
    pub device: Option<String>,
}

/// Connect this journal with an invite from a clinician. Nothing is sent yet: `sync` does that.
pub async fn connect<S: Store>(
    store: &S,
    req: &ConnectRequest,
    now: Timestamp,
) -> Result<Connection> {
    if let Some(c) = connection(store).await? {
        return Err(crate::conflict(format!(
            "this journal already shares with {} ({}); revoke that first (dosewise share revoke)",
            c.clinic, c.clinician
        )));
    }
    let categories = if req.categories.is_empty() {
        DEFAULT.to_vec()
    } else {
        req.categories.clone()
    };
    let server = server_url(&req.server)?;
    let name = dosewise_core::text::label("name", &req.name).map_err(input)?;
    let device = req.device.as_deref().unwrap_or("my journal");
    let device = dosewise_core::text::label("device", device).map_err(input)?;
    let ends_at = match req.until {
        Some(d) => {
            let profile = store.profile().await?;
            let tz = crate::zone(None, profile.as_ref())?;
            let next = d.tomorrow().map_err(|e| input(format!("until: {e}")))?;
            let end = crate::period::day_start(next, &tz)?;
            if end <= now {
                return Err(input("sharing must end after today"));
            }
            Some(end)
        }
        None => None,
    };
    let v = call(
        "POST",
        format!("{server}/api/v1/connect"),
        None,
        Some(json!({
            "code": req.code.trim(), "device": device, "name": name,
            "categories": categories, "ends_at": ends_at,
        })),
    )
    .await
    .map_err(|e| match e {
        // Connecting, an address that does not answer is most likely mistyped.
        AppError::Unavailable(m) | AppError::Runtime(m) => input(format!("{m}; check the address")),
        other => other,
    })?;
    let text = |k: &str| v[k].as_str().unwrap_or_default().to_string();
    let c = Connection {
        server,
        device_token: text("device_token"),
        device: v["device"].as_i64().unwrap_or_default(),
        patient: v["patient"].as_i64().unwrap_or_default(),
        clinic: text("clinic"),
        clinician: text("clinician"),
        categories: serde_json::from_value(v["categories"].clone()).unwrap_or_default(),
        ends_at,
        connected_at: now,
        next_idx: 1,
        sent: BTreeMap::new(),
        in_flight: Vec::new(),
        last_sync: None,
    };
    if !crate::token::is_token(&c.device_token) {
        return Err(AppError::Runtime(
            "the clinic server gave no device token".into(),
        ));
    }
    save(store, &c).await?;
    Ok(c)
}

/// Count what the server applied of the batch in flight as sent.
fn settle(c: &mut Connection, applied_up_to: u64) {
    for (idx, key, f) in std::mem::take(&mut c.in_flight) {
        if idx <= applied_up_to {
            match f {
                Some(f) => c.sent.insert(key, f),
                None => c.sent.remove(&key),
            };
        }
    }
    c.next_idx = c.next_idx.max(applied_up_to + 1);
}

/// Send what is new or changed since the last sync, in batches; withdraw check-ins made private.
pub async fn sync<S: Store>(store: &S, now: Timestamp) -> Result<Synced> {
    let mut c = connection(store).await?.ok_or_else(|| {
        input("this journal is not connected to a clinic: dosewise share connect URL --code CODE")
    })?;
    let url = format!("{}/api/v1/sync", c.server);
    let state: State = serde_json::from_value(
        call_again("GET", url.clone(), Some(c.device_token.clone()), None).await?,
    )
    .map_err(|e| AppError::Runtime(format!("the clinic server's sync state does not read: {e}")))?;
    settle(&mut c, state.last_idx);
    // What the clinician set comes down with every sync, while sharing is active.
    if !state.categories.is_empty() {
        match &state.prescription {
            Some(rx) => {
                rx.check().map_err(|e| {
                    AppError::Runtime(format!(
                        "the clinic sent a prescription that does not check: {e}"
                    ))
                })?;
                save_setting(store, PRESCRIPTION, rx).await?;
            }
            None => store.save_setting(PRESCRIPTION, None).await?,
        }
        let mut notes = state.notes.clone();
        notes.truncate(share::NOTES);
        for n in &notes {
            dosewise_core::text::note(Some(&n.text)).map_err(|e| {
                AppError::Runtime(format!("the clinic sent a note that does not read: {e}"))
            })?;
        }
        save_setting(store, NOTES, &notes).await?;
    }
    let mut out = Synced {
        sent: 0,
        withdrawn: 0,
        categories: state.categories.clone(),
        clinic: state.clinic.clone(),
        clinicians: state.clinicians.clone(),
        stopped: state.categories.is_empty(),
        prescription: state.prescription.clone(),
        notes: state.notes.clone(),
    };
    if out.stopped {
        c.last_sync = Some(now);
        save(store, &c).await?;
        return Ok(out);
    }
    let journal = store.export().await?;
    let todo = share::changes(&journal, &state.categories, &c.sent, c.next_idx);
    for batch in todo.chunks(share::BATCH) {
        c.in_flight = batch
            .iter()
            .map(|(e, f)| (e.idx, share::key(&e.kind, e.id), *f))
            .collect();
        c.next_idx = batch.last().map_or(c.next_idx, |(e, _)| e.idx + 1);
        save(store, &c).await?;
        let entries: Vec<&Entry> = batch.iter().map(|(e, _)| e).collect();
        let v = call_again(
            "POST",
            url.clone(),
            Some(c.device_token.clone()),
            Some(json!({ "entries": entries })),
        )
        .await?;
        let applied = v["last_idx"].as_u64().unwrap_or(0);
        settle(&mut c, applied);
        out.sent += batch.iter().filter(|(e, _)| e.body.is_some()).count();
        out.withdrawn += batch.iter().filter(|(e, _)| e.body.is_none()).count();
        save(store, &c).await?;
    }
    c.last_sync = Some(now);
    save(store, &c).await?;
    Ok(out)
}

/// Stop sharing: every grant of this journal's is revoked on the server at once, and the
/// connection is forgotten here. What the clinic already holds follows its retention rules.
pub async fn revoke<S: Store>(store: &S) -> Result<u64> {
    let c = connection(store)
        .await?
        .ok_or_else(|| input("this journal is not connected to a clinic"))?;
    let v = call(
        "POST",
        format!("{}/api/v1/share/revoke", c.server),
        Some(c.device_token.clone()),
        Some(json!({})),
    )
    .await?;
    store.save_setting(SETTING, None).await?;
    Ok(v["revoked"].as_u64().unwrap_or(0))
}

/// One line of the clinic's log of what was done with this journal's shared records.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LogLine {
    pub at: Timestamp,
    pub role: String,
    pub who: Option<String>,
    pub action: String,
    pub what: String,
}

/// Who read or changed what, newest first; `None` when this journal shares with no clinic.
pub async fn log<S: Store>(store: &S) -> Result<Option<Vec<LogLine>>> {
    let Some(c) = connection(store).await? else {
        return Ok(None);
    };
    let v = call(
        "GET",
        format!("{}/api/v1/share/log", c.server),
        Some(c.device_token.clone()),
        None,
    )
    .await?;
    serde_json::from_value(v["log"].clone())
        .map(Some)
        .map_err(|e| AppError::Runtime(format!("the clinic's log does not read: {e}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn servers_are_reached_over_https_except_on_this_computer() {
        assert_eq!(
            server_url("https://clinic.example/").ok().as_deref(),
            Some("https://clinic.example")
        );
        assert!(server_url("http://127.0.0.1:8080").is_ok());
        assert!(server_url("http://localhost:8080/").is_ok());
        assert!(server_url("http://clinic.example").is_err());
        assert!(server_url("http://127.0.0.1.evil.example").is_err());
        assert!(server_url("ftp://clinic.example").is_err());
        assert!(server_url("clinic.example").is_err());
    }

    #[test]
    fn what_the_server_applied_counts_as_sent_and_the_rest_is_sent_again() {
        let mut c = Connection {
            server: "https://x.example".into(),
            device_token: String::new(),
            device: 1,
            patient: 1,
            clinic: String::new(),
            clinician: String::new(),
            categories: vec![],
            ends_at: None,
            connected_at: Timestamp::UNIX_EPOCH,
            next_idx: 4,
            sent: BTreeMap::from([("checkin:9".to_string(), 7)]),
            in_flight: vec![
                (1, "dose:1".into(), Some(11)),
                (2, "checkin:9".into(), None),
                (3, "dose:2".into(), Some(12)),
            ],
            last_sync: None,
        };
        settle(&mut c, 2);
        assert_eq!(c.sent, BTreeMap::from([("dose:1".to_string(), 11)]));
        assert!(c.in_flight.is_empty());
        assert_eq!(c.next_idx, 4, "numbers are never reused");
    }
}
