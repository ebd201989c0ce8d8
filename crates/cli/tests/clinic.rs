//! The clinic server as it runs: the real binary (`dosewise clinic serve`) on a real PostgreSQL
//! database (a fresh one per test, in the cluster scripts/test starts), patients' real journals
//! syncing to it over loopback with `dosewise share connect` and `dosewise sync`, and the
//! database itself probed for what row-level security and the audit log's grants allow.

mod common;

use common::{Run, command, output};
use serde_json::{Value, json};
use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Stdio};
use std::time::Duration;

const NOW: &str = "2026-11-28T11:00:00Z";
const PASSWORD: &str = "correct horse battery staple";

fn base_url() -> String {
    std::env::var("DOSEWISE_TEST_DATABASE_URL").unwrap_or_else(|_| {
        panic!(
            "DOSEWISE_TEST_DATABASE_URL is not set: run the tests with scripts/test, or \
             scripts/with-postgres cargo test -p dosewise --test clinic"
        )
    })
}

fn rt() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap_or_else(|e| panic!("{e}"))
}

/// SQL as the cluster's superuser (the database's owner), on database `db`.
fn sql(db: &str, query: &str) -> Vec<tokio_postgres::Row> {
    rt().block_on(async {
        let (client, conn) = tokio_postgres::connect(db, tokio_postgres::NoTls)
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        tokio::spawn(conn);
        client
            .query(query, &[])
            .await
            .unwrap_or_else(|e| panic!("{query}: {e}"))
    })
}

/// Statements without results (CREATE DATABASE cannot be prepared), as the superuser; the
/// database's own message on failure.
fn exec(db: &str, query: &str) -> Result<(), String> {
    rt().block_on(async {
        let (client, conn) = tokio_postgres::connect(db, tokio_postgres::NoTls)
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        tokio::spawn(conn);
        client.batch_execute(query).await.map_err(|e| {
            e.as_db_error()
                .map_or(e.to_string(), |d| d.message().to_string())
        })
    })
}

/// The error PostgreSQL gives for `query` (run in one transaction after `setup`), if any.
fn sql_error(db: &str, setup: &str, query: &str) -> Option<String> {
    rt().block_on(async {
        let (mut client, conn) = tokio_postgres::connect(db, tokio_postgres::NoTls)
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        tokio::spawn(conn);
        let tx = client.transaction().await.unwrap_or_else(|e| panic!("{e}"));
        tx.batch_execute(setup)
            .await
            .unwrap_or_else(|e| panic!("{setup}: {e}"));
        tx.batch_execute(query).await.err().map(|e| {
            e.as_db_error()
                .map_or(e.to_string(), |d| d.message().to_string())
        })
    })
}

/// A fresh database for one test; its URL.
fn database(name: &str) -> String {
    let base = base_url();
    let db = format!("clinic_{name}_{}", std::process::id());
    exec(&base, &format!("DROP DATABASE IF EXISTS {db}")).unwrap_or_else(|e| panic!("{e}"));
    // Databases are copied from template1, which only one CREATE DATABASE may copy at a time:
    // tests starting together wait their turn.
    for attempt in 0.. {
        match exec(&base, &format!("CREATE DATABASE {db}")) {
            Ok(()) => break,
            Err(e) if e.contains("being accessed by other users") && attempt < 50 => {
                std::thread::sleep(Duration::from_millis(100));
            }
            Err(e) => panic!("CREATE DATABASE {db}: {e}"),
        }
    }
    let (head, _) = base.rsplit_once('/').unwrap_or((&base, ""));
    format!("{head}/{db}")
}

fn run(home: &Path, args: &[&str]) -> Run {
    output(&mut command(home, NOW, args))
}

/// A clinic server process; killed on drop.
struct Clinic {
    child: Child,
    addr: String,
    db: String,
    /// What the server's clock reads.
    now: String,
}

impl Clinic {
    fn start(db: &str, port: u16) -> Clinic {
        Clinic::start_at(db, port, NOW)
    }

    /// A server whose clock reads `now`.
    fn start_at(db: &str, port: u16, now: &str) -> Clinic {
        Clinic::start_with(db, port, now, &[])
    }

    /// … with more arguments to `clinic serve`.
    fn start_with(db: &str, port: u16, now: &str, more: &[&str]) -> Clinic {
        let bind = format!("127.0.0.1:{port}");
        let mut args = vec!["clinic", "serve", "--database", db, "--bind", &bind];
        args.extend_from_slice(more);
        let mut child = command(Path::new("/nonexistent"), now, &args)
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap_or_else(|e| panic!("{e}"));
        let stderr = child.stderr.take().unwrap_or_else(|| panic!("no stderr"));
        let mut lines = BufReader::new(stderr).lines();
        let first = lines.next().and_then(Result::ok).unwrap_or_default();
        // The server's log, shown with a failing test's output.
        std::thread::spawn(move || {
            for l in lines.map_while(Result::ok) {
                eprintln!("server: {l}");
            }
        });
        let addr = first
            .split("http://")
            .nth(1)
            .and_then(|r| r.split('/').next())
            .unwrap_or_else(|| panic!("no address in {first:?}"))
            .to_string();
        Clinic {
            child,
            addr,
            db: db.to_string(),
            now: now.to_string(),
        }
    }

    fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// One request; (status, JSON body).
    fn call(
        &self,
        method: &str,
        path: &str,
        token: Option<&str>,
        body: Option<Value>,
    ) -> (u16, Value) {
        let auth = token.map(|t| format!("Bearer {t}"));
        let headers: Vec<(&str, &str)> =
            auth.iter().map(|a| ("Authorization", a.as_str())).collect();
        let text = body.map(|b| b.to_string());
        let (status, _, out) = common::server::http_full(
            &self.addr,
            &self.addr,
            method,
            path,
            text.as_deref(),
            &headers,
        );
        (status, serde_json::from_str(&out).unwrap_or(Value::Null))
    }

    fn ok(&self, method: &str, path: &str, token: Option<&str>, body: Option<Value>) -> Value {
        let (status, v) = self.call(method, path, token, body);
        assert_eq!(status, 200, "{method} {path}: {v}");
        v
    }

    /// Sign in as staff, with the second factor: set up at the first sign-in (as a new
    /// clinician does), a fresh code after that.
    fn login(&self, email: &str, password: &str) -> String {
        let enrolled = self.secret(email).is_some();
        let code = enrolled.then(|| self.code(email));
        let v = self.ok(
            "POST",
            "/api/v1/login",
            None,
            Some(json!({ "email": email, "password": password, "code": code })),
        );
        assert_eq!(v["second_factor"], json!(enrolled), "{v}");
        let token = v["token"].as_str().unwrap_or_default().to_string();
        if !enrolled {
            let secret = self.ok("POST", "/api/v1/totp/setup", Some(&token), None)["secret"]
                .as_str()
                .unwrap_or_default()
                .to_string();
            let code = totp_code_at(&self.now, &secret, 0);
            self.ok(
                "POST",
                "/api/v1/totp/confirm",
                Some(&token),
                Some(json!({ "code": code })),
            );
        }
        token
    }

    /// The account's confirmed TOTP secret, if any.
    fn secret(&self, email: &str) -> Option<String> {
        sql(
            &self.db,
            &format!("SELECT totp_secret FROM account WHERE email = '{email}'"),
        )
        .first()
        .and_then(|r| r.get(0))
    }

    /// A code the server takes now: the current step's, its use before forgotten (the test
    /// clock stands still, so every sign-in would otherwise reuse one step).
    fn code(&self, email: &str) -> String {
        exec(
            &self.db,
            &format!("UPDATE account SET totp_step = NULL WHERE email = '{email}'"),
        )
        .unwrap_or_else(|e| panic!("{e}"));
        totp_code_at(&self.now, &self.secret(email).unwrap_or_default(), 0)
    }

    /// A new clinic with its admin, and one clinician in it: (admin token, clinician token,
    /// clinician's account id).
    fn clinic(&self, name: &str) -> (String, String, i64) {
        let admin = format!("admin@{name}.example");
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let pw = dir.path().join("pw");
        std::fs::write(&pw, PASSWORD).unwrap_or_else(|e| panic!("{e}"));
        run(
            dir.path(),
            &[
                "clinic",
                "init",
                "--database",
                &self.db,
                "--clinic",
                name,
                "--admin-email",
                &admin,
                "--admin-name",
                "Admin",
                "--password-file",
                &pw.to_string_lossy(),
            ],
        )
        .ok();
        let a = self.login(&admin, PASSWORD);
        let email = format!("dr@{name}.example");
        let id = self.staff(&a, "clinician", &email, &format!("Dr {name}"));
        let c = self.login(&email, PASSWORD);
        (a, c, id)
    }

    /// A new member of staff, invited by `admin` and signed up with the test password; their
    /// account id.
    fn staff(&self, admin: &str, role: &str, email: &str, name: &str) -> i64 {
        let code = self.ok(
            "POST",
            "/api/v1/invites",
            Some(admin),
            Some(json!({ "role": role })),
        )["code"]
            .as_str()
            .unwrap_or_default()
            .to_string();
        self.ok(
            "POST",
            "/api/v1/accept",
            None,
            Some(json!({ "code": code, "email": email, "name": name, "password": PASSWORD })),
        )["account"]
            .as_i64()
            .unwrap_or_default()
    }

    fn patient_invite(&self, clinician: &str) -> String {
        self.ok(
            "POST",
            "/api/v1/invites",
            Some(clinician),
            Some(json!({ "role": "patient" })),
        )["code"]
            .as_str()
            .unwrap_or_default()
            .to_string()
    }

    fn kill(mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for Clinic {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The authenticator app's code for `secret`, `offset` steps from the test clock's.
fn totp_code(secret: &str, offset: i64) -> String {
    totp_code_at(NOW, secret, offset)
}

/// The same when the clock reads `now`.
fn totp_code_at(now: &str, secret: &str, offset: i64) -> String {
    use dosewise_clinic::totp;
    let now: jiff::Timestamp = now.parse().unwrap_or_else(|e| panic!("{e}"));
    let bytes = totp::unbase32(secret).unwrap_or_else(|| panic!("not base32: {secret}"));
    totp::code_at(&bytes, totp::step_of(now.as_second()) + offset)
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .unwrap_or_else(|e| panic!("{e}"))
}

/// A patient: a demo journal connected to the clinic with an invite; its patient id.
fn patient(home: &Path, clinic: &Clinic, code: &str, name: &str) -> i64 {
    patient_of(home, clinic, code, name, 8)
}

/// … with `weeks` of demo history (8: one batch to sync; 52: two).
fn patient_of(home: &Path, clinic: &Clinic, code: &str, name: &str, weeks: u32) -> i64 {
    run(home, &["demo", "--weeks", &weeks.to_string()]).ok();
    let v = run(
        home,
        &[
            "--json",
            "share",
            "connect",
            &clinic.url(),
            "--code",
            code,
            "--name",
            name,
        ],
    )
    .ok()
    .json();
    assert!(
        v["categories"].as_array().is_some_and(|c| c.len() == 8),
        "{v}"
    );
    let c = sql(
        &clinic.db,
        &format!("SELECT id FROM account WHERE name = '{name}'"),
    );
    c[0].get(0)
}

/// A connected journal's device token, where the journal keeps it (never shown).
fn device_token(home: &Path) -> String {
    let conn =
        rusqlite::Connection::open(home.join("dosewise.db")).unwrap_or_else(|e| panic!("{e}"));
    let v: String = conn
        .query_row(
            "SELECT value FROM setting WHERE key = 'clinic_share'",
            [],
            |r| r.get(0),
        )
        .unwrap_or_else(|e| panic!("{e}"));
    serde_json::from_str::<Value>(&v).unwrap_or_default()["device_token"]
        .as_str()
        .unwrap_or_default()
        .to_string()
}

/// Every clinician sees exactly their granted patients and nothing else; every other
/// combination answers 404; private check-ins are on no row of any table; a revoked grant
/// stops the clinician's next request and the next sync.
#[test]
fn clinics_patients_and_grants_are_walled_off() {
    let db = database("walls");
    let clinic = Clinic::start(&db, 0);
    let (admin_a, dr_a, _) = clinic.clinic("north");
    let (_, dr_b, _) = clinic.clinic("south");
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let (home1, home2) = (dir.path().join("p1"), dir.path().join("p2"));
    let p1 = patient(&home1, &clinic, &clinic.patient_invite(&dr_a), "Pat North");
    // The second patient connects and syncs from the local web app's API, not the CLI.
    run(&home2, &["demo"]).ok();
    let web = common::server::Server::start(&home2, &[], &[]).unwrap_or_else(|e| panic!("{e}"));
    let connect = json!({ "server": clinic.url(), "code": clinic.patient_invite(&dr_b), "name": "Pat South" });
    let (status, body) = web.http("POST", "/api/v1/share/connect", Some(&connect.to_string()));
    assert_eq!(status, 201, "{body}");
    let (status, body) = web.http("POST", "/api/v1/sync", Some("{}"));
    assert_eq!(status, 200, "{body}");
    assert!(
        body.contains("\"sent\":") && !body.contains("\"sent\":0"),
        "{body}"
    );
    let (status, body) = web.http("GET", "/api/v1/share", None);
    assert!(status == 200 && body.contains("Dr south"), "{body}");
    assert_eq!(web.stop(), Some(0));
    let p2: i64 = sql(
        &clinic.db,
        "SELECT id FROM account WHERE name = 'Pat South'",
    )[0]
    .get(0);
    // Private entries: a new private check-in, and a shared one made private later.
    run(
        &home1,
        &[
            "checkin",
            "--mood",
            "5",
            "--note",
            "PRIVATE-MARKER one",
            "--private",
        ],
    )
    .ok();
    run(
        &home1,
        &["checkin", "--mood", "6", "--note", "PRIVATE-MARKER two"],
    )
    .ok();
    let synced = run(&home1, &["--json", "sync"]).ok().json();
    assert!(synced["sent"].as_u64().is_some_and(|n| n > 50), "{synced}");
    let id = run(&home1, &["--json", "history", "--kind", "checkin"])
        .ok()
        .json()["checkins"]
        .as_array()
        .and_then(|c| c.last().and_then(|c| c["id"].as_i64()))
        .unwrap_or_default();
    let marked = sql(
        &db,
        "SELECT count(*) FROM record WHERE body::text LIKE '%PRIVATE-MARKER two%'",
    );
    assert_eq!(
        marked[0].get::<_, i64>(0),
        1,
        "the shared check-in is on the server"
    );
    // Made private: its note must leave the server on the next sync.
    run(&home1, &["checkin", "edit", &id.to_string(), "--private"]).ok();
    let again = run(&home1, &["--json", "sync"]).ok().json();
    assert_eq!(again["withdrawn"], 1, "{again}");
    run(&home2, &["sync"]).ok();
    // No table holds a private entry: every row of every table, as text.
    let tables = sql(
        &db,
        "SELECT table_name FROM information_schema.tables WHERE table_schema = 'public'",
    );
    assert!(tables.len() >= 10);
    for t in &tables {
        let t: String = t.get(0);
        let n = sql(
            &db,
            &format!("SELECT count(*) FROM {t} x WHERE x::text LIKE '%PRIVATE-MARKER%'"),
        );
        assert_eq!(n[0].get::<_, i64>(0), 0, "a private entry in table {t}");
    }
    // Each clinician sees their own patient, once.
    let rows = |token: &str| -> Vec<i64> {
        clinic.ok("GET", "/api/v1/patients", Some(token), None)["patients"]
            .as_array()
            .map(|p| p.iter().filter_map(|x| x["patient"].as_i64()).collect())
            .unwrap_or_default()
    };
    assert_eq!(rows(&dr_a), vec![p1]);
    assert_eq!(rows(&dr_b), vec![p2]);
    let seen = clinic.ok("GET", &format!("/api/v1/patients/{p1}"), Some(&dr_a), None);
    assert!(
        seen["journal"]["doses"]
            .as_array()
            .is_some_and(|d| !d.is_empty()),
        "{seen}"
    );
    // Every other combination: 404, as for a patient who does not exist.
    let device1 = sql(
        &db,
        &format!("SELECT count(*) FROM device WHERE patient_id = {p1}"),
    );
    assert_eq!(device1[0].get::<_, i64>(0), 1);
    for (token, path) in [
        (&dr_a, format!("/api/v1/patients/{p2}")),
        (&dr_b, format!("/api/v1/patients/{p1}")),
        (&dr_a, "/api/v1/patients/999999".to_string()),
        (&admin_a, format!("/api/v1/patients/{p1}")),
        (&admin_a, "/api/v1/patients".to_string()),
        (&admin_a, "/api/v1/triage".to_string()),
    ] {
        let (status, v) = clinic.call("GET", &path, Some(token), None);
        assert_eq!(status, 404, "{path}: {v}");
    }
    // Each refusal is in the audit log of the asker's clinic, under their account.
    let refused = sql(
        &db,
        "SELECT a.email, l.what FROM audit l JOIN account a ON a.id = l.actor_id
         WHERE l.action = 'refused' ORDER BY l.id",
    );
    let refused: Vec<(String, String)> = refused.iter().map(|r| (r.get(0), r.get(1))).collect();
    for (who, what) in [
        (
            "dr@north.example",
            format!("GET /api/v1/patients/{p2}: 404"),
        ),
        (
            "dr@south.example",
            format!("GET /api/v1/patients/{p1}: 404"),
        ),
        (
            "dr@north.example",
            "GET /api/v1/patients/999999: 404".to_string(),
        ),
        ("admin@north.example", "GET /api/v1/triage: 404".to_string()),
    ] {
        assert!(
            refused.contains(&(who.to_string(), what.clone())),
            "{who} {what} not in {refused:?}"
        );
    }
    assert_eq!(refused.len(), 6, "{refused:?}");
    let b_items = clinic.ok("GET", "/api/v1/triage", Some(&dr_b), None)["items"].clone();
    for item in b_items.as_array().cloned().unwrap_or_default() {
        let path = format!("/api/v1/triage/{}/ack", item["id"]);
        assert_eq!(
            clinic.call("POST", &path, Some(&dr_a), Some(json!({}))).0,
            404
        );
    }
    // No credentials, or a patient's device token where staff belong: 401.
    assert_eq!(clinic.call("GET", "/api/v1/patients", None, None).0, 401);
    let (status, _) = clinic.call(
        "GET",
        "/api/v1/patients",
        Some("0".repeat(64).as_str()),
        None,
    );
    assert_eq!(status, 401);
    // Revoked: the clinician's next request is refused, the sync sends nothing.
    let before = sql(
        &db,
        &format!("SELECT count(*) FROM record WHERE patient_id = {p2}"),
    )[0]
    .get::<_, i64>(0);
    sql(
        &db,
        &format!("UPDATE share_grant SET revoked_at = 1 WHERE patient_id = {p2}"),
    );
    assert_eq!(
        clinic
            .call("GET", &format!("/api/v1/patients/{p2}"), Some(&dr_b), None)
            .0,
        404
    );
    assert!(rows(&dr_b).is_empty());
    run(&home2, &["checkin", "--mood", "3"]).ok();
    let stopped = run(&home2, &["--json", "sync"]).ok().json();
    assert_eq!(stopped["stopped"], true, "{stopped}");
    assert_eq!(stopped["sent"], 0);
    let after = sql(
        &db,
        &format!("SELECT count(*) FROM record WHERE patient_id = {p2}"),
    )[0]
    .get::<_, i64>(0);
    assert_eq!(after, before);
    // Revoked by the patient: at once, and the journal forgets the connection.
    run(&home1, &["share", "revoke"]).ok();
    assert_eq!(
        clinic
            .call("GET", &format!("/api/v1/patients/{p1}"), Some(&dr_a), None)
            .0,
        404
    );
    run(&home1, &["sync"]).fails("not connected");
}

/// PHQ-9 item 9 above 0 on the patient's device becomes an urgent triage item after sync;
/// acknowledging it is audited and the patient sees it in their log. The audit log cannot be
/// changed by the application's role, and row-level security hides other tenants' rows even
/// from raw SQL under that role.
/// The clinician with the grant reads the patient's shared journal as a FHIR R4 Bundle that the
/// validators accept, named, audited as a read; nobody else gets it.
#[test]
fn the_shared_journal_as_fhir_for_the_clinician_with_the_grant() {
    let db = database("fhir");
    let clinic = Clinic::start(&db, 0);
    let (_, dr, dr_id) = clinic.clinic("east");
    let (_, other, _) = clinic.clinic("west");
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let home = dir.path().join("p");
    let p = patient(&home, &clinic, &clinic.patient_invite(&dr), "Pat Fhir");
    run(&home, &["sync"]).ok();
    let reads = || {
        sql(
            &db,
            &format!("SELECT count(*) FROM audit WHERE action = 'read' AND actor_id = {dr_id}"),
        )[0]
        .get::<_, i64>(0)
    };
    let before = reads();
    let path = format!("/api/v1/patients/{p}/fhir");
    let b = clinic.ok("GET", &path, Some(&dr), None);
    assert_eq!(reads(), before + 1, "the read is audited");
    assert_eq!(b["resourceType"], "Bundle");
    assert_eq!(b["entry"][0]["resource"]["name"][0]["text"], "Pat Fhir");
    let file = dir.path().join("bundle.json");
    std::fs::write(&file, b.to_string()).unwrap_or_else(|e| panic!("{e}"));
    let v = common::validate_fhir(&file);
    assert_eq!(v["error_count"], 0, "{v}");
    let doses = run(&home, &["--json", "history", "--from", "2020-01-01"])
        .ok()
        .json()["doses"]
        .as_array()
        .map_or(0, Vec::len);
    let given = b["entry"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|e| e["resource"]["resourceType"] == "MedicationAdministration")
        .count();
    assert_eq!(given, doses);
    assert_eq!(clinic.call("GET", &path, Some(&other), None).0, 404);
    assert_eq!(clinic.call("GET", &path, None, None).0, 401);
}

#[test]
fn item_9_reaches_the_clinician_and_the_database_enforces_the_walls() {
    let db = database("triage");
    let clinic = Clinic::start(&db, 0);
    let (_, dr, dr_id) = clinic.clinic("east");
    let (_, _, other_id) = clinic.clinic("west");
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let home = dir.path().join("p");
    let p = patient(&home, &clinic, &clinic.patient_invite(&dr), "Pat East");
    run(&home, &["sync"]).ok();
    run(&home, &["assess", "phq9", "--answers", "1,1,1,1,0,0,0,0,2"]).ok();
    run(&home, &["sync"]).ok();
    let items = clinic.ok("GET", "/api/v1/triage", Some(&dr), None)["items"].clone();
    let urgent: Vec<&Value> = items
        .as_array()
        .map(|i| i.iter().filter(|x| x["kind"] == "phq9_item9").collect())
        .unwrap_or_default();
    assert_eq!(urgent.len(), 1, "{items}");
    assert_eq!(urgent[0]["urgent"], true);
    assert_eq!(
        items[0]["kind"], "phq9_item9",
        "urgent items come first: {items}"
    );
    let ack = format!("/api/v1/triage/{}/ack", urgent[0]["id"]);
    let audits = |action: &str| {
        sql(
            &db,
            &format!("SELECT count(*) FROM audit WHERE action = '{action}' AND actor_id = {dr_id}"),
        )[0]
        .get::<_, i64>(0)
    };
    assert_eq!(audits("acknowledge"), 0);
    clinic.ok("POST", &ack, Some(&dr), Some(json!({})));
    assert_eq!(audits("acknowledge"), 1);
    assert_eq!(
        clinic.call("POST", &ack, Some(&dr), Some(json!({}))).0,
        404,
        "acknowledged once"
    );
    let log = run(&home, &["--json", "share", "log"]).ok().json();
    assert!(
        log["log"]
            .as_array()
            .is_some_and(|l| l.iter().any(|x| x["action"] == "acknowledge")),
        "{log}"
    );
    // Every read is audited: the triage list just read was.
    assert!(audits("read") >= 1);
    // The application role cannot change or remove audit rows.
    let as_app = "SET LOCAL ROLE dosewise_clinic_app";
    for q in [
        "UPDATE audit SET what = 'x'",
        "DELETE FROM audit",
        "TRUNCATE audit",
    ] {
        let e = sql_error(&db, as_app, q);
        assert!(
            e.as_deref()
                .is_some_and(|m| m.contains("permission denied")),
            "{q}: {e:?}"
        );
    }
    // Row-level security under the application role, from raw SQL: the other clinic's
    // clinician, no settings at all, or a patient's settings for another patient see nothing.
    let count = |setup: &str| -> i64 {
        rt().block_on(async {
            let (mut client, conn) = tokio_postgres::connect(&db, tokio_postgres::NoTls)
                .await
                .unwrap_or_else(|e| panic!("{e}"));
            tokio::spawn(conn);
            let tx = client.transaction().await.unwrap_or_else(|e| panic!("{e}"));
            tx.batch_execute(setup)
                .await
                .unwrap_or_else(|e| panic!("{e}"));
            tx.query_one(
                &format!("SELECT count(*) FROM record WHERE patient_id = {p}"),
                &[],
            )
            .await
            .map(|r| r.get::<_, i64>(0))
            .unwrap_or_else(|e| panic!("{e}"))
        })
    };
    let clinic_of = |id: i64| {
        sql(
            &db,
            &format!("SELECT clinic_id FROM account WHERE id = {id}"),
        )[0]
        .get::<_, i64>(0)
    };
    let settings = |account: i64, role: &str, patient: &str| {
        format!(
            "{as_app}; SELECT set_config('dosewise.account', '{account}', true), set_config('dosewise.clinic', '{}', true),
             set_config('dosewise.role', '{role}', true), set_config('dosewise.patient', '{patient}', true)",
            clinic_of(account)
        )
    };
    assert!(
        count(&settings(dr_id, "clinician", "")) > 50,
        "the granted clinician sees the records"
    );
    assert_eq!(count(&settings(other_id, "clinician", "")), 0);
    assert_eq!(count(as_app), 0);
    assert_eq!(
        count(&settings(other_id, "patient", &other_id.to_string())),
        0
    );
    assert_eq!(count(&settings(dr_id, "admin", "")), 0);
}

/// `dosewise sync` killed at random moments, and the server killed too, 20 times while the
/// journal changes: after the next sync the server holds every record the grant covers,
/// exactly once, as it is now.
#[test]
fn sync_survives_being_killed() {
    let db = database("kills");
    let port = free_port();
    let mut clinic = Clinic::start(&db, port);
    let (_, dr, _) = clinic.clinic("kill");
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let home = dir.path().join("p");
    let p = patient(&home, &clinic, &clinic.patient_invite(&dr), "Pat Kill");
    let mut seed: u64 = 0x9E37_79B9_7F4A_7C15;
    let mut next = || {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        seed
    };
    let mut killed_mid_sync = 0;
    for round in 0..20 {
        run(
            &home,
            &[
                "checkin",
                "--mood",
                &(round % 11).to_string(),
                "--note",
                &format!("round {round}"),
            ],
        )
        .ok();
        if round % 3 == 0 {
            run(
                &home,
                &["checkin", "edit", "1", "--mood", &(round % 11).to_string()],
            )
            .ok();
        }
        let mut sync = command(&home, NOW, &["sync"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| panic!("{e}"));
        std::thread::sleep(Duration::from_millis(next() % 120));
        if round % 4 == 1 {
            clinic.kill();
            clinic = Clinic::start(&db, port);
        }
        if matches!(sync.try_wait(), Ok(None)) {
            killed_mid_sync += 1;
        }
        let _ = sync.kill();
        let _ = sync.wait();
    }
    assert!(
        killed_mid_sync >= 5,
        "only {killed_mid_sync} syncs were cut short"
    );
    run(&home, &["sync"]).ok();
    let local = server_holds_the_journal(&db, &home, p);
    assert!(
        local
            .iter()
            .any(|(k, _, v)| k == "checkin" && v["note"] == "round 19")
    );
}

/// The disk under the patient's journal fills up during a sync, at every point of it (a
/// filesystem of its own, grown a few kilobytes at a time from no room at all): the sync stops
/// with a clear error, the journal is intact, and the next sync with room sends everything
/// exactly once.
#[test]
fn a_full_disk_during_sync_loses_nothing() {
    let db = database("diskfull");
    let clinic = Clinic::start(&db, 0);
    let (_, dr, _) = clinic.clinic("full");
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let home = dir.path().join("p");
    let mount = dir.path().join("m");
    std::fs::create_dir(&mount).unwrap_or_else(|e| panic!("{e}"));
    // A year of history: more than one batch, so the disk can fill between two of them.
    let p = patient_of(&home, &clinic, &clinic.patient_invite(&dr), "Pat Full", 52);
    let records = |home: &Path| {
        let mut v = run(home, &["export"]).ok().json();
        v.as_object_mut().map(|o| o.remove("settings"));
        v
    };
    let before = records(&home);
    let held = || {
        sql(
            &db,
            &format!("SELECT count(*) FROM record WHERE patient_id = {p}"),
        )[0]
        .get::<_, i64>(0)
    };
    let size = |d: &Path| -> u64 {
        std::fs::read_dir(d)
            .unwrap_or_else(|e| panic!("{e}"))
            .map(|e| e.map_or(0, |e| e.metadata().map_or(0, |m| m.len())))
            .sum()
    };
    // The journal copied onto a filesystem of `kib` KiB of its own (a mount namespace: no root
    // needed), synced there, and copied back as the failed sync left it.
    let script = r#"set -e
src=$1 m=$2 kib=$3 bin=$4
mount -t tmpfs -o size=${kib}k,mode=0700 tmpfs "$m"
cp -a "$src/." "$m/"
set +e
DOSEWISE_HOME=$m "$bin" sync
rc=$?
set -e
find "$src" -mindepth 1 -delete
cp -a "$m/." "$src/"
exit $rc"#;
    let start = size(&home) / 1024;
    let (mut full, mut between, mut tries) = (0, 0, 0);
    for extra in (0..).step_by(4) {
        tries += 1;
        assert!(tries < 200, "the sync never fitted");
        let sent_before = held();
        let o = std::process::Command::new("unshare")
            .args([
                "--user",
                "--map-root-user",
                "--mount",
                "sh",
                "-c",
                script,
                "sh",
            ])
            .arg(&home)
            .arg(&mount)
            .arg((start + extra).to_string())
            .arg(env!("CARGO_BIN_EXE_dosewise"))
            .env("DOSEWISE_NOW", NOW)
            .env("DOSEWISE_TZ", common::ZONE)
            .env_remove("DOSEWISE_PASSPHRASE_FILE")
            .stdin(Stdio::null())
            .output()
            .unwrap_or_else(|e| panic!("unshare: {e}"));
        let stderr = String::from_utf8_lossy(&o.stderr);
        if o.status.success() {
            break;
        }
        assert_eq!(o.status.code(), Some(1), "{stderr}");
        assert!(
            stderr.contains("the disk holding the journal is full")
                && stderr.contains("nothing already there was lost"),
            "at {} KiB: {stderr}",
            start + extra
        );
        // Nothing of the journal is lost or changed.
        assert_eq!(records(&home), before, "at {} KiB", start + extra);
        full += 1;
        if held() > sent_before {
            between += 1;
        }
    }
    assert!(full >= 3, "the disk was full for only {full} tries");
    assert!(
        between >= 1,
        "no try filled the disk after a batch had reached the server ({full} full)"
    );
    eprintln!("{full} syncs met a full disk, {between} of them after a batch had gone");
    // With room again: everything, once.
    run(&home, &["sync"]).ok();
    let shared = server_holds_the_journal(&db, &home, p);
    assert!(
        shared.len() > dosewise_core::share::BATCH,
        "{}",
        shared.len()
    );
    open_counts_agree(&db);
}

/// A PostgreSQL cluster of one test's own, to stop and start under load (the shared one
/// serves every other test): initdb in a temporary folder, on a free loopback port; as root,
/// run as the `postgres` account. Stopped and removed on drop.
struct OwnCluster {
    dir: tempfile::TempDir,
    bin: std::path::PathBuf,
    port: u16,
    root: bool,
}

impl OwnCluster {
    fn new() -> OwnCluster {
        let bin = std::fs::read_dir("/usr/lib/postgresql")
            .unwrap_or_else(|e| panic!("PostgreSQL's programs: {e}"))
            .filter_map(|e| e.ok().map(|e| e.path().join("bin")))
            .filter(|b| b.join("initdb").exists())
            .max()
            .unwrap_or_else(|| panic!("no initdb under /usr/lib/postgresql"));
        let root = std::process::Command::new("id")
            .arg("-u")
            .output()
            .is_ok_and(|o| o.stdout.starts_with(b"0\n"));
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let c = OwnCluster {
            dir,
            bin,
            port: free_port(),
            root,
        };
        if root {
            c.must(
                std::process::Command::new("chown")
                    .arg("postgres:")
                    .arg(c.dir.path()),
            );
        }
        let data = c.dir.path().join("data");
        c.must(c.program("initdb").arg("-D").arg(&data).args([
            "--auth=trust",
            "-U",
            "postgres",
            "-E",
            "UTF8",
            "--locale=C.UTF-8",
        ]));
        c.start();
        exec(&c.url("postgres"), "CREATE DATABASE dosewise").unwrap_or_else(|e| panic!("{e}"));
        c
    }

    fn program(&self, name: &str) -> std::process::Command {
        let path = self.bin.join(name);
        if self.root {
            let mut c = std::process::Command::new("runuser");
            c.args(["-u", "postgres", "--"]).arg(path);
            c
        } else {
            std::process::Command::new(path)
        }
    }

    fn must(&self, c: &mut std::process::Command) {
        let o = c
            .stdin(Stdio::null())
            .output()
            .unwrap_or_else(|e| panic!("{c:?}: {e}"));
        assert!(
            o.status.success(),
            "{c:?}: {}{}",
            String::from_utf8_lossy(&o.stdout),
            String::from_utf8_lossy(&o.stderr)
        );
    }

    fn url(&self, db: &str) -> String {
        format!("postgres://postgres@127.0.0.1:{}/{db}", self.port)
    }

    fn start(&self) {
        let d = self.dir.path();
        let options = format!(
            "-p {} -c listen_addresses=127.0.0.1 -k {} -c fsync=off",
            self.port,
            d.display()
        );
        self.must(
            self.program("pg_ctl")
                .arg("-D")
                .arg(d.join("data"))
                .arg("-l")
                .arg(d.join("server.log"))
                .args(["-w", "-o", &options, "start"]),
        );
    }

    /// `mode`: smart, fast (sessions ended, a clean shutdown) or immediate (as in a crash:
    /// recovery from the WAL at the next start).
    fn stop(&self, mode: &str) {
        self.must(
            self.program("pg_ctl")
                .arg("-D")
                .arg(self.dir.path().join("data"))
                .args(["-m", mode, "-w", "stop"]),
        );
    }
}

impl Drop for OwnCluster {
    fn drop(&mut self) {
        let _ = self
            .program("pg_ctl")
            .arg("-D")
            .arg(self.dir.path().join("data"))
            .args(["-m", "immediate", "stop"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status();
    }
}

/// The database restarted under load — once cleanly, once as in a crash — while four
/// patients' devices log and sync in a loop: while it is away the server answers 503 with
/// Retry-After (never 500), the devices' syncs wait and try again and all succeed, and
/// afterwards the server holds each journal exactly once, its triage counts agreeing.
#[test]
fn the_database_restarts_under_load() {
    use std::sync::Arc;
    use std::sync::atomic::{AtomicBool, Ordering};
    use std::time::Instant;
    let pg = OwnCluster::new();
    let db = pg.url("dosewise");
    let clinic = Clinic::start(&db, 0);
    let (_, dr, _) = clinic.clinic("restart");
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let devices: Vec<(std::path::PathBuf, i64)> = (0..4)
        .map(|i| {
            let home = dir.path().join(format!("p{i}"));
            let p = patient(
                &home,
                &clinic,
                &clinic.patient_invite(&dr),
                &format!("Pat Restart {i}"),
            );
            run(&home, &["sync"]).ok();
            (home, p)
        })
        .collect();
    let stop = Arc::new(AtomicBool::new(false));
    let t0 = Instant::now();
    let loops: Vec<_> = devices
        .iter()
        .enumerate()
        .map(|(i, (home, _))| {
            let (home, stop) = (home.clone(), stop.clone());
            std::thread::spawn(move || {
                // (started, ended, exit code, what it said) of each sync.
                let mut syncs = Vec::new();
                let mut round = 0;
                while !stop.load(Ordering::Relaxed) {
                    run(
                        &home,
                        &[
                            "checkin",
                            "--mood",
                            &(round % 11).to_string(),
                            "--note",
                            &format!("device {i} round {round}"),
                        ],
                    )
                    .ok();
                    let began = t0.elapsed();
                    let r = output(&mut command(&home, NOW, &["sync"]));
                    syncs.push((began, t0.elapsed(), r.code, r.stderr));
                    round += 1;
                }
                syncs
            })
        })
        .collect();
    let token = device_token(&devices[0].0);
    let sync_state = || {
        common::server::http_full(
            &clinic.addr,
            &clinic.addr,
            "GET",
            "/api/v1/sync",
            None,
            &[("Authorization", &format!("Bearer {token}"))],
        )
    };
    let mut outages = Vec::new();
    for mode in ["fast", "immediate"] {
        std::thread::sleep(Duration::from_millis(1500));
        let down = t0.elapsed();
        pg.stop(mode);
        // Away: the server says so, and when to try again; nothing is a server error.
        let (status, head, body) = sync_state();
        assert_eq!(status, 503, "{head}{body}");
        assert!(
            head.to_ascii_lowercase().contains("retry-after: 1"),
            "{head}"
        );
        let v: Value = serde_json::from_str(&body).unwrap_or(Value::Null);
        assert_eq!(v["error"]["kind"], "unavailable", "{body}");
        std::thread::sleep(Duration::from_millis(1000));
        pg.start();
        outages.push((down, t0.elapsed()));
        assert_eq!(sync_state().0, 200, "back after the {mode} restart");
    }
    std::thread::sleep(Duration::from_millis(1500));
    stop.store(true, Ordering::Relaxed);
    let syncs: Vec<_> = loops
        .into_iter()
        .flat_map(|t| {
            t.join()
                .unwrap_or_else(|_| panic!("a device's loop panicked"))
        })
        .collect();
    let failed: Vec<_> = syncs.iter().filter(|s| s.2 != 0).collect();
    assert!(
        failed.is_empty(),
        "{} of {} syncs failed: {failed:?}",
        failed.len(),
        syncs.len()
    );
    // Syncs that were under way while the database was away, and still succeeded.
    let across = syncs
        .iter()
        .filter(|(b, e, _, _)| outages.iter().any(|(d, u)| b < u && e > d))
        .count();
    assert!(
        across >= 2,
        "only {across} syncs met an outage: {outages:?}"
    );
    for (home, p) in &devices {
        run(home, &["sync"]).ok();
        server_holds_the_journal(&db, home, *p);
    }
    open_counts_agree(&db);
    eprintln!(
        "{} syncs, {across} across the two restarts, none failed",
        syncs.len()
    );
}

/// What the server holds of patient `p`, against what the journal at `home` shares now: each
/// record exactly once, as it is now. The journal's shared records.
fn server_holds_the_journal(db: &str, home: &Path, p: i64) -> Vec<(String, i64, Value)> {
    let held = sql(
        db,
        &format!("SELECT kind, record_id, body::text FROM record WHERE patient_id = {p}"),
    );
    let mut server: Vec<(String, i64, Value)> = held
        .iter()
        .map(|r| {
            (
                r.get(0),
                r.get(1),
                serde_json::from_str(r.get::<_, &str>(2)).unwrap_or(Value::Null),
            )
        })
        .collect();
    let export = run(home, &["export"]).ok().stdout;
    let journal = dosewise_core::journal::Journal::parse(&export).unwrap_or_else(|e| panic!("{e}"));
    let cats: Vec<dosewise_core::share::Category> = dosewise_core::share::Category::ALL
        .into_iter()
        .filter(|c| *c != dosewise_core::share::Category::SubstanceUse)
        .collect();
    let mut local: Vec<(String, i64, Value)> = dosewise_core::share::shareable(&journal, &cats)
        .into_iter()
        .map(|(k, id, v)| (k.to_string(), id, v))
        .collect();
    let key = |x: &(String, i64, Value)| (x.0.clone(), x.1);
    server.sort_by_key(key);
    local.sort_by_key(key);
    assert_eq!(server.len(), local.len(), "each record exactly once");
    assert!(
        server == local,
        "the server holds what the journal shares, as it is now"
    );
    local
}

/// Logins back off after repeated failures (429 with Retry-After, the right password too);
/// sessions expire; a cookie-signed request that changes something needs the CSRF token, and a
/// cross-site one is refused.
#[test]
fn logins_sessions_and_forged_requests() {
    let db = database("logins");
    let clinic = Clinic::start(&db, 0);
    let (_, dr, dr_id) = clinic.clinic("gate");
    let email = "dr@gate.example";
    // An unknown email (before any back-off) gets the same answer as a wrong password.
    let (status, v) = clinic.call(
        "POST",
        "/api/v1/login",
        None,
        Some(json!({ "email": "nobody@x.example", "password": "whatever it is" })),
    );
    assert_eq!(
        (status, v["error"]["message"].clone()),
        (400, json!("wrong email or password"))
    );
    exec(&db, "DELETE FROM login_failure").unwrap_or_else(|e| panic!("{e}"));
    for _ in 0..5 {
        let (status, v) = clinic.call(
            "POST",
            "/api/v1/login",
            None,
            Some(json!({ "email": email, "password": "wrong password!" })),
        );
        assert_eq!(status, 400, "{v}");
    }
    // Each of the five was checked and is an audit line of the account's clinic; the unknown
    // email has no clinic and is only counted.
    let refused = sql(
        &db,
        &format!(
            "SELECT count(*) FROM audit WHERE action = 'sign-in refused' AND actor_id = {dr_id} AND what = 'wrong password'"
        ),
    )[0]
    .get::<_, i64>(0);
    assert_eq!(refused, 5);
    let (s, head, _) = common::server::http_full(
        &clinic.addr,
        &clinic.addr,
        "POST",
        "/api/v1/login",
        Some(&json!({ "email": email, "password": PASSWORD }).to_string()),
        &[],
    );
    assert_eq!(s, 429, "the right password waits too");
    // Held off without a check: no further line.
    assert_eq!(
        sql(
            &db,
            &format!(
                "SELECT count(*) FROM audit WHERE action = 'sign-in refused' AND actor_id = {dr_id}"
            )
        )[0]
        .get::<_, i64>(0),
        5
    );
    assert!(head.to_lowercase().contains("retry-after:"), "{head}");
    // The session from before still works; aged past its idle limit, it does not.
    assert_eq!(clinic.call("GET", "/api/v1/me", Some(&dr), None).0, 200);
    // Thirteen hours without a request (the idle limit is twelve).
    exec(
        &db,
        &format!("UPDATE session SET seen = seen - 46800000000 WHERE account_id = {dr_id}"),
    )
    .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(clinic.call("GET", "/api/v1/me", Some(&dr), None).0, 401);
    exec(&db, "DELETE FROM login_failure").unwrap_or_else(|e| panic!("{e}"));
    // Signed in by cookie: a change needs the CSRF token; a cross-site request is refused.
    let code = clinic.code(email);
    let (_, head, body) = common::server::http_full(
        &clinic.addr,
        &clinic.addr,
        "POST",
        "/api/v1/login",
        Some(&json!({ "email": email, "password": PASSWORD, "code": code }).to_string()),
        &[],
    );
    let cookie_line = head
        .lines()
        .find(|l| l.to_lowercase().starts_with("set-cookie:"))
        .unwrap_or_else(|| panic!("no cookie: {head}"));
    assert!(
        cookie_line.contains("HttpOnly") && cookie_line.contains("SameSite=Strict"),
        "{cookie_line}"
    );
    let cookie = cookie_line
        .split_once(':')
        .map(|x| x.1.trim())
        .and_then(|c| c.split(';').next())
        .unwrap_or_default();
    let csrf = serde_json::from_str::<Value>(&body)
        .map(|v| v["csrf"].as_str().unwrap_or_default().to_string())
        .unwrap_or_default();
    let invite = json!({ "role": "patient" }).to_string();
    let send = |extra: &[(&str, &str)]| {
        let mut h = vec![("Cookie", cookie)];
        h.extend_from_slice(extra);
        common::server::http_full(
            &clinic.addr,
            &clinic.addr,
            "POST",
            "/api/v1/invites",
            Some(&invite),
            &h,
        )
        .0
    };
    assert_eq!(send(&[]), 400, "no CSRF token");
    assert_eq!(
        send(&[("X-CSRF-Token", &"0".repeat(64))]),
        400,
        "a wrong one"
    );
    assert_eq!(
        send(&[("X-CSRF-Token", &csrf), ("Sec-Fetch-Site", "cross-site")]),
        400,
        "cross-site"
    );
    assert_eq!(send(&[("X-CSRF-Token", &csrf)]), 200);
    let (s, _, _) = common::server::http_full(
        &clinic.addr,
        &clinic.addr,
        "GET",
        "/api/v1/me",
        None,
        &[("Cookie", cookie), ("Sec-Fetch-Site", "cross-site")],
    );
    assert_eq!(s, 400, "a cross-site read with the cookie is refused too");
    // Invites: a used or unknown code is refused; a patient invite cannot make staff.
    let fresh = clinic.login(email, PASSWORD);
    let code = clinic.patient_invite(&fresh);
    let (s, v) = clinic.call(
        "POST",
        "/api/v1/accept",
        None,
        Some(json!({ "code": code, "email": "x@gate.example", "name": "X", "password": PASSWORD })),
    );
    assert_eq!(s, 400, "{v}");
    // The refused attempt used nothing: the patient connects with it, once.
    let connect = json!({ "code": code, "device": "d", "name": "n", "categories": ["doses"] });
    assert_eq!(
        clinic
            .call("POST", "/api/v1/connect", None, Some(connect.clone()))
            .0,
        200
    );
    let (s, v) = clinic.call("POST", "/api/v1/connect", None, Some(connect));
    assert_eq!(s, 400, "{v}");
    assert!(
        v["error"]["message"]
            .as_str()
            .is_some_and(|m| m.contains("unknown, used or expired"))
    );
}

/// A limit the clinician sets reaches the patient's journal with the next sync, and the safety
/// check refuses a dose above it (exit 3), citing the clinician's prescription; an override is
/// recorded and reaches the clinician's triage. Only a clinician the patient shares with may
/// set it; a nonsense limit is refused.
#[test]
fn the_clinicians_limits_are_enforced_on_the_patients_device() {
    let db = database("rx");
    let clinic = Clinic::start(&db, 0);
    let (_, dr, _) = clinic.clinic("rx");
    let (_, stranger, _) = clinic.clinic("elsewhere");
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let home = dir.path().join("p");
    let p = patient(&home, &clinic, &clinic.patient_invite(&dr), "Pat Rx");
    // Half a troche (12.5 mg) is within the demo protocol's own limits.
    run(&home, &["dose", "1/2", "troche", "--dry-run"]).ok();
    let path = format!("/api/v1/patients/{p}/prescription");
    let rx = json!({ "max_dose": "10mg", "min_interval": "48h", "ceiling": "20mg" });
    assert_eq!(
        clinic
            .call("POST", &path, Some(&stranger), Some(rx.clone()))
            .0,
        404
    );
    let (s, v) = clinic.call(
        "POST",
        &path,
        Some(&dr),
        Some(json!({ "max_dose": "10 g" })),
    );
    assert_eq!(s, 400, "a 10 g limit is a unit slip: {v}");
    let set = clinic.ok("POST", &path, Some(&dr), Some(rx));
    assert_eq!(set["prescription"]["limits"]["max_per_dose_mg"], 10.0);
    assert_eq!(set["prescription"]["set_by"], "Dr rx");
    let synced = run(&home, &["--json", "sync"]).ok().json();
    assert_eq!(synced["prescription"]["ceiling_mg"], 20.0, "{synced}");
    // Refused on the device, citing who set it; nothing logged.
    let before = run(&home, &["--json", "history"]).ok().json()["doses"]
        .as_array()
        .map(Vec::len);
    let refused = run(&home, &["dose", "1/2", "troche"]);
    assert_eq!(refused.code, 3, "{}{}", refused.stdout, refused.stderr);
    assert!(
        refused
            .stdout
            .contains("your clinician's per-dose limit of 10 mg"),
        "{}",
        refused.stdout
    );
    assert!(
        refused.stdout.contains("Prescription set by Dr rx (rx)"),
        "{}",
        refused.stdout
    );
    let after = run(&home, &["--json", "history"]).ok().json()["doses"]
        .as_array()
        .map(Vec::len);
    assert_eq!(before, after);
    let shown = run(&home, &["protocol", "show"]).ok().stdout;
    assert!(
        shown.contains("enforced on every dose") && shown.contains("titration ceiling 20 mg"),
        "{shown}"
    );
    // Overridden with a reason: logged, and the clinician sees it after the next sync.
    run(
        &home,
        &[
            "dose",
            "1/2",
            "troche",
            "--override",
            "agreed by phone with Dr rx",
        ],
    )
    .ok();
    run(&home, &["sync"]).ok();
    let items = clinic.ok("GET", "/api/v1/triage", Some(&dr), None)["items"].clone();
    assert!(
        items
            .as_array()
            .is_some_and(|i| i.iter().any(|x| x["kind"] == "override"
                && x["detail"]
                    .as_str()
                    .is_some_and(|d| d.contains("agreed by phone")))),
        "{items}"
    );
}

/// Clinicians and admins sign in with a TOTP code as well: a new account may do nothing but
/// set it up; a code is taken once; a missing or wrong one counts towards the back-off. An
/// admin resets a password without seeing it, which ends the person's sessions and clears
/// their second factor.
#[test]
fn the_second_factor_and_password_resets() {
    let db = database("totp");
    let clinic = Clinic::start(&db, 0);
    let (admin, dr, _) = clinic.clinic("twofa");
    let (other_admin, _, _) = clinic.clinic("elsewhere");
    let email = "new@twofa.example";
    let id = clinic.staff(&admin, "clinician", email, "Dr New");
    // The first sign-in: no code yet, and nothing but setting one up.
    let first = clinic.ok(
        "POST",
        "/api/v1/login",
        None,
        Some(json!({ "email": email, "password": PASSWORD })),
    );
    assert_eq!(first["second_factor"], json!(false), "{first}");
    let t = first["token"].as_str().unwrap_or_default().to_string();
    for (method, path) in [
        ("GET", "/api/v1/patients"),
        ("GET", "/api/v1/triage"),
        ("POST", "/api/v1/invites"),
    ] {
        let (s, v) = clinic.call(method, path, Some(&t), Some(json!({ "role": "patient" })));
        assert_eq!(
            (s, v["error"]["kind"].clone()),
            (403, json!("second_factor")),
            "{path}: {v}"
        );
    }
    assert_eq!(clinic.call("GET", "/api/v1/me", Some(&t), None).0, 200);
    let (s, v) = clinic.call(
        "POST",
        "/api/v1/totp/confirm",
        Some(&t),
        Some(json!({ "code": "123456" })),
    );
    assert_eq!(s, 400, "nothing to confirm before setup: {v}");
    let setup = clinic.ok("POST", "/api/v1/totp/setup", Some(&t), None);
    let secret = setup["secret"].as_str().unwrap_or_default().to_string();
    assert_eq!(secret.len(), 32, "160 bits in base32: {setup}");
    assert!(
        setup["uri"]
            .as_str()
            .is_some_and(|u| u.starts_with("otpauth://totp/")
                && u.contains(&format!("secret={secret}"))
                && u.contains("new@twofa.example")),
        "{setup}"
    );
    let wrong = format!(
        "{:06}",
        (totp_code(&secret, 0).parse::<u32>().unwrap_or(0) + 1) % 1_000_000
    );
    let (s, v) = clinic.call(
        "POST",
        "/api/v1/totp/confirm",
        Some(&t),
        Some(json!({ "code": wrong })),
    );
    assert_eq!(s, 400, "{v}");
    assert!(
        clinic.secret(email).is_none(),
        "a wrong code confirms nothing"
    );
    clinic.ok(
        "POST",
        "/api/v1/totp/confirm",
        Some(&t),
        Some(json!({ "code": totp_code(&secret, 0) })),
    );
    assert_eq!(clinic.secret(email), Some(secret.clone()));
    assert_eq!(
        clinic.call("GET", "/api/v1/patients", Some(&t), None).0,
        200
    );
    // From now on the code is needed, and each is taken once: the one that confirmed is spent,
    // the next step's (a phone's clock a little ahead) signs in once.
    let login = |code: Option<String>| {
        clinic.call(
            "POST",
            "/api/v1/login",
            None,
            Some(json!({ "email": email, "password": PASSWORD, "code": code })),
        )
    };
    let (s, v) = login(None);
    assert!(
        s == 400
            && v["error"]["message"]
                .as_str()
                .is_some_and(|m| m.contains("6-digit code")),
        "{s} {v}"
    );
    let (s, v) = login(Some(totp_code(&secret, 0)));
    assert!(
        s == 400
            && v["error"]["message"]
                .as_str()
                .is_some_and(|m| m.contains("already used")),
        "a replayed code: {s} {v}"
    );
    let failures = || -> i32 {
        sql(
            &db,
            &format!("SELECT coalesce(sum(failures), 0)::int FROM login_failure WHERE key = 'account:{email}'"),
        )[0]
        .get(0)
    };
    assert_eq!(failures(), 2, "the missing and the replayed code count");
    let (s, v) = login(Some(totp_code(&secret, 1)));
    assert_eq!((s, v["second_factor"].clone()), (200, json!(true)), "{v}");
    assert_eq!(failures(), 0, "a sign-in clears them");
    assert_eq!(login(Some(totp_code(&secret, 1))).0, 400, "once only");
    assert_eq!(login(Some(totp_code(&secret, 3))).0, 400, "too far ahead");
    assert_eq!(failures(), 2, "the reused and the distant code count");
    assert_eq!(
        sql(
            &db,
            &format!(
                "SELECT count(*) FROM audit WHERE action = 'second-factor' AND actor_id = {id}"
            )
        )[0]
        .get::<_, i64>(0),
        1
    );
    // A password reset: the admin sees who has a second factor, never a password.
    let staff = clinic.ok("GET", "/api/v1/accounts", Some(&admin), None);
    let row = staff["accounts"]
        .as_array()
        .and_then(|a| a.iter().find(|r| r["account"] == json!(id)).cloned())
        .unwrap_or_else(|| panic!("{staff}"));
    assert_eq!(row["second_factor"], json!(true));
    assert!(!staff.to_string().contains("argon2"), "{staff}");
    assert_eq!(
        clinic.call("GET", "/api/v1/accounts", Some(&dr), None).0,
        404,
        "admins only"
    );
    let path = format!("/api/v1/accounts/{id}/reset");
    assert_eq!(
        clinic.call("POST", &path, Some(&other_admin), None).0,
        404,
        "another clinic's admin"
    );
    assert_eq!(clinic.call("POST", &path, Some(&dr), None).0, 404);
    let reset = clinic.ok("POST", &path, Some(&admin), None)["code"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    assert_eq!(
        clinic.call("GET", "/api/v1/me", Some(&t), None).0,
        401,
        "their sessions end"
    );
    let (s, v) = clinic.call(
        "POST",
        "/api/v1/reset",
        None,
        Some(json!({ "code": reset, "password": "short" })),
    );
    assert_eq!(s, 400, "{v}");
    let fresh = "a new and long enough password";
    clinic.ok(
        "POST",
        "/api/v1/reset",
        None,
        Some(json!({ "code": reset, "password": fresh })),
    );
    assert_eq!(
        clinic
            .call(
                "POST",
                "/api/v1/reset",
                None,
                Some(json!({ "code": reset, "password": fresh }))
            )
            .0,
        400,
        "a reset code works once"
    );
    exec(&db, "DELETE FROM login_failure").unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(login(None).0, 400, "the old password is gone");
    let v = clinic.ok(
        "POST",
        "/api/v1/login",
        None,
        Some(json!({ "email": email, "password": fresh })),
    );
    assert_eq!(
        v["second_factor"],
        json!(false),
        "set up again after a reset: {v}"
    );
    assert!(clinic.secret(email).is_none());
}

/// The clinician's pages in Debian's Chromium (tests/e2e/clinic.mjs): signing in with the
/// second factor (and setting one up), the caseload, acknowledging an urgent item in triage,
/// the patient view and the prescription editor — then the database says what the browser did.
#[test]
fn the_clinicians_pages_in_a_browser() {
    let e2e = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/e2e");
    assert!(
        e2e.join("node_modules/playwright-core").is_dir(),
        "playwright-core is not installed in tests/e2e: run scripts/test (it installs it), or `npm ci` there"
    );
    let db = database("pages");
    let clinic = Clinic::start(&db, 0);
    let (admin, dr, dr_id) = clinic.clinic("pages");
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let home = dir.path().join("p");
    let name = "Pat Browser";
    let p = patient(&home, &clinic, &clinic.patient_invite(&dr), name);
    run(&home, &["assess", "phq9", "--answers", "2,2,2,1,1,1,1,1,1"]).ok();
    run(&home, &["sync"]).ok();
    // A second clinician, invited but without a second factor yet.
    let new_email = "new@pages.example";
    clinic.staff(&admin, "clinician", new_email, "Dr New");
    let dr_email = "dr@pages.example";
    let shots = std::env::var("DOSEWISE_SCREENSHOTS").ok();
    let mut cmd = std::process::Command::new("node");
    cmd.arg("clinic.mjs")
        .current_dir(&e2e)
        .env("CLINIC_URL", clinic.url())
        .env("CLINIC_NOW", NOW)
        .env("DR_EMAIL", dr_email)
        .env("DR_CODE", clinic.code(dr_email))
        .env("NEW_EMAIL", new_email)
        .env("PASSWORD", PASSWORD)
        .env("PATIENT", name);
    if let Some(s) = &shots {
        cmd.args(["--screenshots", s]);
    }
    let out = cmd.output().unwrap_or_else(|e| panic!("node: {e}"));
    let text = String::from_utf8_lossy(&out.stdout);
    println!("{text}{}", String::from_utf8_lossy(&out.stderr));
    assert!(out.status.success(), "browser test failed:\n{text}");
    assert!(!text.contains("not ok"));
    assert!(text.matches("ok - ").count() >= 11, "{text}");
    // What the browser did, in the database.
    let count = |q: &str| sql(&db, q)[0].get::<_, i64>(0);
    assert_eq!(
        count(&format!(
            "SELECT count(*) FROM audit WHERE action = 'acknowledge' AND actor_id = {dr_id} AND patient_id = {p}"
        )),
        1
    );
    assert_eq!(
        count(&format!(
            "SELECT count(*) FROM triage WHERE patient_id = {p} AND kind = 'phq9_item9' AND acknowledged_by = {dr_id}"
        )),
        1
    );
    let rx: Value = sql(
        &db,
        &format!("SELECT body FROM prescription WHERE patient_id = {p}"),
    )[0]
    .get(0);
    assert_eq!(rx["limits"]["max_per_dose_mg"], json!(10.0), "{rx}");
    assert_eq!(rx["limits"]["max_per_7_days_mg"], json!(60.0), "{rx}");
    assert!(clinic.secret(new_email).is_some(), "set up in the browser");
    // The patient's next sync brings the limit; their safety check refuses a dose above it.
    run(&home, &["sync"]).ok();
    let refused = run(&home, &["dose", "1/2", "troche", "--dry-run"]);
    assert_eq!(refused.code, 3, "{}", refused.stdout);
    // And the note written on the patient's page is on their Today.
    let today = run(&home, &["today"]).ok().stdout;
    assert!(
        today.contains("New limit: <b>10 mg</b> a dose until we talk on Friday."),
        "{today}"
    );
}

/// A note the clinician writes reaches the patient's Today with the next sync, kept apart from
/// their own entries (not in their export, never sent back); only a clinician they share with
/// may write one; an empty or huge note is refused and writes nothing.
#[test]
fn notes_to_the_patient_reach_their_today() {
    let db = database("notes");
    let clinic = Clinic::start(&db, 0);
    let (_, dr, _) = clinic.clinic("notes");
    let (_, stranger, _) = clinic.clinic("strangers");
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let home = dir.path().join("p");
    let p = patient(&home, &clinic, &clinic.patient_invite(&dr), "Pat Notes");
    let path = format!("/api/v1/patients/{p}/notes");
    let text = "Lab results are normal. Keep the Tuesday and Friday plan; see you on the 10th.";
    assert_eq!(
        clinic
            .call(
                "POST",
                &path,
                Some(&stranger),
                Some(json!({ "text": "hello" }))
            )
            .0,
        404
    );
    for bad in [
        json!({ "text": "   " }),
        json!({ "text": "x".repeat(20_000) }),
    ] {
        let (s, v) = clinic.call("POST", &path, Some(&dr), Some(bad));
        assert_eq!(s, 400, "{v}");
    }
    assert_eq!(
        sql(&db, "SELECT count(*) FROM patient_note")[0].get::<_, i64>(0),
        0
    );
    let v = clinic.ok("POST", &path, Some(&dr), Some(json!({ "text": text })));
    assert_eq!(v["note"]["author"], json!("Dr notes, notes"), "{v}");
    let listed = clinic.ok("GET", &path, Some(&dr), None);
    assert_eq!(listed["notes"][0]["text"], json!(text));
    // Not on the device until it syncs; then on Today, in words and in JSON.
    assert!(!run(&home, &["today"]).ok().stdout.contains(text));
    let synced = run(&home, &["--json", "sync"]).ok().json();
    assert_eq!(synced["notes"][0]["text"], json!(text), "{synced}");
    // The caseload's adherence is the patient's own `protocol show` figure, by the same rule.
    let own = run(&home, &["--json", "protocol", "show"]).ok().json()["adherence_28_days"].clone();
    let row = clinic.ok("GET", "/api/v1/patients", Some(&dr), None)["patients"][0].clone();
    assert_eq!(
        row["adherence"]["planned_days"], own["planned_days"],
        "{row}"
    );
    assert_eq!(
        row["adherence"]["planned_days_dosed"],
        own["planned_days_dosed"]
    );
    assert_eq!(
        row["adherence"]["off_plan_doses"],
        json!(own["off_plan_dose_ids"].as_array().map_or(0, Vec::len))
    );
    assert!(
        own["planned_days"].as_u64().is_some_and(|n| n >= 5),
        "{own}"
    );
    let today = run(&home, &["today"]).ok().stdout;
    assert!(
        today.contains("From your clinic (Dr notes, notes, ") && today.contains(text),
        "{today}"
    );
    let t = run(&home, &["--json", "today"]).ok().json();
    assert_eq!(t["clinic_notes"][0]["text"], json!(text));
    // Kept apart from the patient's own journal: not exported, not sent back to the server.
    let export = run(&home, &["export"]).ok().stdout;
    assert!(
        !export.contains("Lab results are normal"),
        "the export carries the clinic's note"
    );
    run(&home, &["sync"]).ok();
    assert_eq!(
        sql(
            &db,
            "SELECT count(*) FROM record WHERE body::text LIKE '%Lab results are normal%'"
        )[0]
        .get::<_, i64>(0),
        0
    );
    // The patient's own device may read its notes but never write one.
    let device = sql(
        &db,
        &format!("SELECT count(*) FROM device WHERE patient_id = {p}"),
    );
    assert_eq!(device[0].get::<_, i64>(0), 1);
    assert!(
        sql_error(
            &db,
            &format!(
                "SET LOCAL ROLE dosewise_clinic_app; SELECT set_config('dosewise.role', 'patient', true); \
                 SELECT set_config('dosewise.patient', '{p}', true)"
            ),
            &format!(
                "INSERT INTO patient_note (clinic_id, patient_id, author_id, body, created_at) \
                 SELECT clinic_id, id, id, 'forged', 0 FROM account WHERE id = {p}"
            ),
        )
        .is_some_and(|e| e.contains("row-level security")),
        "a patient cannot write a note"
    );
}

/// Every operation the OpenAPI document describes is served (without a session: 401, or 400
/// for a missing body — never the router's 404 or 405), and the document itself is public.
#[test]
fn every_described_operation_answers() {
    let db = database("openapi");
    let clinic = Clinic::start(&db, 0);
    let doc = clinic.ok("GET", "/api/v1/openapi.json", None, None);
    assert_eq!(doc["openapi"], json!("3.1.0"));
    let mut n = 0;
    for (method, path) in dosewise_clinic::api::ROUTES {
        if path.ends_with("openapi.json") {
            continue;
        }
        let path = path.replace("{id}", "1");
        let (status, v) = clinic.call(&method.to_uppercase(), &path, None, None);
        assert!(
            matches!(status, 400 | 401) && v["error"]["kind"].is_string(),
            "{method} {path}: {status} {v}"
        );
        n += 1;
    }
    assert_eq!(n, dosewise_clinic::api::ROUTES.len() - 1);
}

/// What else reaches the triage queue: a dose outside the plan, blood pressure above the
/// prescription's tier, a count short of the log, and days without a check-in (raised as time
/// passes, retired by the next check-in); a check-in made private takes its items with it.
#[test]
fn off_plan_doses_blood_pressure_shortfalls_and_silence_reach_triage() {
    let db = database("triage_more");
    let clinic = Clinic::start(&db, 0);
    let (_, dr, _) = clinic.clinic("tri");
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let home = dir.path().join("p");
    let p = patient(&home, &clinic, &clinic.patient_invite(&dr), "Pat Triage");
    clinic.ok(
        "POST",
        &format!("/api/v1/patients/{p}/prescription"),
        Some(&dr),
        Some(json!({ "bp_warn_above": "130/85" })),
    );
    run(&home, &["sync"]).ok();
    fn kinds(clinic: &Clinic, token: &str) -> Vec<(String, String)> {
        clinic.ok("GET", "/api/v1/triage", Some(token), None)["items"]
            .as_array()
            .map(|a| {
                a.iter()
                    .map(|i| {
                        (
                            i["kind"].as_str().unwrap_or("").to_string(),
                            i["detail"].as_str().unwrap_or("").to_string(),
                        )
                    })
                    .collect()
            })
            .unwrap_or_default()
    }
    let before = kinds(&clinic, &dr);
    // (The demo's recent readings above 130/85 are already there: history of the last 14 days
    // counts, older history does not.)
    assert!(
        !before.iter().any(|(k, d)| k == "missed_checkins"
            || k == "supply_shortfall"
            || d.contains("135/80")
            || d.contains("2026-11-28 is an off day")),
        "{before:?}"
    );
    assert!(
        !before.iter().any(|(_, d)| d.contains("140/92")),
        "a reading of 2026-10 is older than 14 days: {before:?}"
    );
    // 2026-11-28 is an off day of the demo plan: logged with a warning, raised for the clinician.
    run(&home, &["dose", "1/4", "troche"]).ok();
    // 135/80 passes the default tiers but not the prescription's 130/85.
    run(&home, &["vitals", "--bp", "135/80"]).ok();
    run(&home, &["stock", "count", "1", "15 troches"]).ok();
    run(
        &home,
        &[
            "checkin",
            "--mood",
            "5",
            "--urinary",
            "frequency",
            "--note",
            "WITHDRAWN-LATER",
        ],
    )
    .ok();
    run(&home, &["sync"]).ok();
    let after = kinds(&clinic, &dr);
    let has = |k: &str, text: &str| after.iter().any(|(kind, d)| kind == k && d.contains(text));
    assert!(has("off_plan", "2026-11-28 is an off day"), "{after:?}");
    assert!(
        has(
            "bp_high",
            "135/80, above the prescription's warning tier of 130/85"
        ),
        "{after:?}"
    );
    assert!(
        has("supply_shortfall", "found 1.75 fewer"),
        "16.75 troches by the log after the quarter, 15 counted: {after:?}"
    );
    let urinary_items = || {
        sql(&db, &format!("SELECT count(*) FROM triage WHERE patient_id = {p} AND kind = 'urinary' AND at > 1795000000000000"))[0]
            .get::<_, i64>(0)
    };
    assert_eq!(urinary_items(), 1);
    // Made private: the check-in and the item it raised leave the server.
    let id = run(&home, &["--json", "history", "--kind", "checkin"])
        .ok()
        .json()["checkins"]
        .as_array()
        .and_then(|c| {
            c.iter()
                .find(|c| c["note"] == "WITHDRAWN-LATER")
                .and_then(|c| c["id"].as_i64())
        })
        .unwrap_or_default();
    run(&home, &["checkin", "edit", &id.to_string(), "--private"]).ok();
    run(&home, &["sync"]).ok();
    assert_eq!(urinary_items(), 0, "the item went with the check-in");
    // Five days later, without a check-in: the queue says so, once.
    // (The same address: the patient's device knows it.)
    let port: u16 = clinic
        .addr
        .rsplit(':')
        .next()
        .and_then(|p| p.parse().ok())
        .unwrap_or_else(|| panic!("{}", clinic.addr));
    drop(clinic);
    let later = "2026-12-03T11:00:00Z";
    let clinic = Clinic::start_at(&db, port, later);
    let token = clinic.login("dr@tri.example", PASSWORD);
    let silent = kinds(&clinic, &token);
    let gaps: Vec<&(String, String)> = silent
        .iter()
        .filter(|(k, _)| k == "missed_checkins")
        .collect();
    assert_eq!(gaps.len(), 1, "{silent:?}");
    assert!(
        gaps[0].1.contains("no check-in shared since 2026-11-2"),
        "{gaps:?}"
    );
    assert_eq!(
        kinds(&clinic, &token)
            .iter()
            .filter(|(k, _)| k == "missed_checkins")
            .count(),
        1,
        "reading again raises nothing new"
    );
    // A check-in answers it.
    output(&mut command(&home, later, &["checkin", "--mood", "6"])).ok();
    output(&mut command(&home, later, &["sync"])).ok();
    let answered = kinds(&clinic, &token);
    assert!(
        !answered.iter().any(|(k, _)| k == "missed_checkins"),
        "{answered:?}"
    );
    // Raised, read, retired: the counts the caseload sorts by kept up with all of it.
    open_counts_agree(&db);
}

/// One HTTPS request to `addr`, trusting only `ca` (PEM): (status line and headers, body).
fn https(addr: &str, ca: &str, request: &str) -> std::io::Result<(String, String)> {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    use tokio_rustls::rustls;
    use tokio_rustls::rustls::pki_types::pem::PemObject;
    rt().block_on(async {
        let mut roots = rustls::RootCertStore::empty();
        for c in rustls::pki_types::CertificateDer::pem_slice_iter(ca.as_bytes()) {
            roots
                .add(c.map_err(std::io::Error::other)?)
                .map_err(std::io::Error::other)?;
        }
        let provider = std::sync::Arc::new(rustls::crypto::ring::default_provider());
        let config = rustls::ClientConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .map_err(std::io::Error::other)?
            .with_root_certificates(roots)
            .with_no_client_auth();
        let connector = tokio_rustls::TlsConnector::from(std::sync::Arc::new(config));
        let tcp = tokio::net::TcpStream::connect(addr).await?;
        let name =
            rustls::pki_types::ServerName::try_from("localhost").map_err(std::io::Error::other)?;
        let mut tls = connector.connect(name, tcp).await?;
        tls.write_all(request.as_bytes()).await?;
        let mut out = Vec::new();
        // The server closes after the response (Connection: close); a TLS close without
        // close_notify is still the end of the answer.
        let _ = tls.read_to_end(&mut out).await;
        let text = String::from_utf8_lossy(&out).to_string();
        let (head, body) = text.split_once("\r\n\r\n").unwrap_or((&text, ""));
        Ok((head.to_string(), body.to_string()))
    })
}

/// `clinic serve --tls-cert --tls-key` serves HTTPS itself: the pages and the API answer over
/// TLS, the session cookie is marked Secure, plain HTTP gets no answer, and a certificate that
/// is not one is refused at start with a message, before anything is served.
#[test]
fn the_server_speaks_https_itself() {
    use rcgen::{CertifiedKey, generate_simple_self_signed};
    let db = database("tls");
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let CertifiedKey { cert, key_pair } =
        generate_simple_self_signed(vec!["localhost".to_string()])
            .unwrap_or_else(|e| panic!("{e}"));
    let (cert_path, key_path) = (dir.path().join("cert.pem"), dir.path().join("key.pem"));
    std::fs::write(&cert_path, cert.pem()).unwrap_or_else(|e| panic!("{e}"));
    std::fs::write(&key_path, key_pair.serialize_pem()).unwrap_or_else(|e| panic!("{e}"));
    // Staff first, over plain HTTP on loopback (the same database).
    let plain = Clinic::start(&db, 0);
    plain.clinic("secure");
    let code = plain.code("admin@secure.example");
    drop(plain);
    let port = free_port();
    let bind = format!("127.0.0.1:{port}");
    let (cert_arg, key_arg) = (cert_path.to_string_lossy(), key_path.to_string_lossy());
    let mut child = command(
        Path::new("/nonexistent"),
        NOW,
        &[
            "clinic",
            "serve",
            "--database",
            &db,
            "--bind",
            &bind,
            "--tls-cert",
            &cert_arg,
            "--tls-key",
            &key_arg,
        ],
    )
    .stdout(Stdio::null())
    .stderr(Stdio::piped())
    .spawn()
    .unwrap_or_else(|e| panic!("{e}"));
    let stderr = child.stderr.take().unwrap_or_else(|| panic!("no stderr"));
    let first = BufReader::new(stderr)
        .lines()
        .next()
        .and_then(Result::ok)
        .unwrap_or_default();
    assert!(first.contains(&format!("https://{bind}/")), "{first}");
    let ca = cert.pem();
    let (head, body) = https(
        &bind,
        &ca,
        &format!("GET /api/v1/openapi.json HTTP/1.1\r\nHost: localhost:{port}\r\nConnection: close\r\n\r\n"),
    )
    .unwrap_or_else(|e| panic!("{e}"));
    assert!(head.starts_with("HTTP/1.1 200"), "{head}");
    assert!(body.contains("Dosewise clinic API"));
    let login =
        json!({ "email": "admin@secure.example", "password": PASSWORD, "code": code }).to_string();
    let (head, _) = https(
        &bind,
        &ca,
        &format!(
            "POST /api/v1/login HTTP/1.1\r\nHost: localhost:{port}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{login}",
            login.len()
        ),
    )
    .unwrap_or_else(|e| panic!("{e}"));
    let cookie = head
        .lines()
        .find(|l| l.to_lowercase().starts_with("set-cookie: dosewise_clinic="))
        .unwrap_or_else(|| panic!("no session cookie: {head}"));
    assert!(
        cookie.contains("; Secure") && cookie.contains("HttpOnly"),
        "{cookie}"
    );
    // Plain HTTP to the TLS port is not answered as HTTP.
    let (status, _, _) =
        common::server::http_full(&bind, &bind, "GET", "/api/v1/openapi.json", None, &[]);
    assert_ne!(status, 200, "plain HTTP was served");
    let _ = child.kill();
    let _ = child.wait();
    // A key that is not one: refused at start, with what is wrong.
    std::fs::write(&key_path, "not a key").unwrap_or_else(|e| panic!("{e}"));
    let r = run(
        dir.path(),
        &[
            "clinic",
            "serve",
            "--database",
            &db,
            "--bind",
            &bind,
            "--tls-cert",
            &cert_arg,
            "--tls-key",
            &key_arg,
        ],
    );
    assert_ne!(r.code, 0);
    assert!(
        r.stderr.contains("cannot read the private key"),
        "{}",
        r.stderr
    );
}

/// The clinic's API keeps its own contract, as the local app's does: schemathesis (pinned in
/// tests/contract/requirements.txt) runs every phase with every check against a real server on
/// a real database — the staff operations with a clinician's session, the device's with a
/// patient's device token — and finds nothing beyond tests/contract/clinic-baseline.json (each
/// entry explained in tests/contract/README.md). `DOSEWISE_CONTRACT_UPDATE=1` records instead.
#[test]
fn the_clinic_api_keeps_its_contract() {
    let db = database("contract");
    let clinic = Clinic::start(&db, 0);
    let (_, dr, _) = clinic.clinic("contract");
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let home = dir.path().join("p");
    patient(&home, &clinic, &clinic.patient_invite(&dr), "Pat Contract");
    run(&home, &["sync"]).ok();
    let device = device_token(&home);
    assert_eq!(device.len(), 64, "a device token");
    // What the database cannot store is refused as input, never a server error.
    let (s, v) = clinic.call(
        "POST",
        "/api/v1/login",
        None,
        Some(json!({ "email": "a\u{0}@b.example", "password": "whatever it is" })),
    );
    assert_eq!(
        (s, v["error"]["message"].clone()),
        (400, json!("wrong email or password"))
    );
    let nul = json!({ "entries": [{ "idx": 999_999, "kind": "vitals", "id": 1,
                                    "body": { "id": 1, "note": "a\u{0}b" } }] });
    let (s, v) = clinic.call("POST", "/api/v1/sync", Some(&device), Some(nul));
    assert!(
        s == 400
            && v["error"]["message"]
                .as_str()
                .is_some_and(|m| m.contains("NUL")),
        "{s} {v}"
    );
    let baseline =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/contract/clinic-baseline.json");
    let update = std::env::var_os("DOSEWISE_CONTRACT_UPDATE").is_some();
    let device_ops = "^/api/v1/(sync|share/)";
    let mut outputs = String::new();
    let mut ok = true;
    for (token, filter) in [
        (
            dr.as_str(),
            vec![
                "--exclude-path-regex",
                device_ops,
                "--exclude-path",
                "/api/v1/logout",
            ],
        ),
        (device.as_str(), vec!["--include-path-regex", device_ops]),
    ] {
        let (passed, text) = common::schemathesis(
            &format!("{}/api/v1/openapi.json", clinic.url()),
            &format!("Authorization: Bearer {token}"),
            &filter,
            &baseline,
            dir.path(),
        );
        ok &= passed;
        outputs.push_str(&text);
    }
    if !update {
        assert!(
            ok,
            "schemathesis found contract failures beyond tests/contract/clinic-baseline.json"
        );
    }
    // Every operation but the document itself was tested, by one run or the other.
    let tested: usize = outputs
        .lines()
        .filter_map(|l| l.trim().strip_prefix("Tested: "))
        .filter_map(|n| n.split_whitespace().next()?.parse::<usize>().ok())
        .sum();
    assert_eq!(tested, dosewise_clinic::api::ROUTES.len() - 2, "{outputs}");
}

/// Who the access matrices try: clinics A and B, each with an admin and a clinician; in A a
/// second clinician and a member of staff to reset; two patients sharing with A's clinician,
/// the first with an urgent triage item (PHQ-9 item 9).
struct Cast {
    clinic: Clinic,
    admin_a: String,
    dr_a: String,
    admin_b: String,
    dr_b: String,
    dr_other: String,
    victim: i64,
    p1: i64,
    item: i64,
    dev1: String,
    dev2: String,
    _dir: tempfile::TempDir,
}

impl Cast {
    fn new(db: &str) -> Cast {
        let clinic = Clinic::start(db, 0);
        let (admin_a, dr_a, _) = clinic.clinic("alpha");
        let (admin_b, dr_b, _) = clinic.clinic("beta");
        clinic.staff(&admin_a, "clinician", "other@alpha.example", "Dr Other");
        let dr_other = clinic.login("other@alpha.example", PASSWORD);
        let victim = clinic.staff(&admin_a, "clinician", "victim@alpha.example", "Dr Victim");
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let (h1, h2) = (dir.path().join("p1"), dir.path().join("p2"));
        let p1 = patient(&h1, &clinic, &clinic.patient_invite(&dr_a), "Pat Matrix");
        patient(&h2, &clinic, &clinic.patient_invite(&dr_a), "Pat Second");
        run(&h1, &["assess", "phq9", "--answers", "1,1,1,1,0,0,0,0,2"]).ok();
        run(&h1, &["sync"]).ok();
        run(&h2, &["sync"]).ok();
        let item = sql(
            db,
            &format!("SELECT id FROM triage WHERE patient_id = {p1} AND kind = 'phq9_item9'"),
        )[0]
        .get::<_, i64>(0);
        let (dev1, dev2) = (device_token(&h1), device_token(&h2));
        Cast {
            clinic,
            admin_a,
            dr_a,
            admin_b,
            dr_b,
            dr_other,
            victim,
            p1,
            item,
            dev1,
            dev2,
            _dir: dir,
        }
    }
}

/// The head of an access matrix: the first column, then a column a caller.
fn matrix_head<'a>(first: &str, roles: impl ExactSizeIterator<Item = &'a str>) -> String {
    let n = roles.len();
    let mut table = format!("| {first} |");
    for r in roles {
        table.push_str(&format!(" {r} |"));
    }
    table.push_str("\n|---|");
    table.push_str(&"---|".repeat(n));
    table.push('\n');
    table
}

/// A document under docs/ that a test generates: rewritten with `DOSEWISE_UPDATE_DOCS=1`,
/// otherwise checked to be what the test found.
fn generated_doc(name: &str, doc: &str) {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../docs")
        .join(name);
    if std::env::var_os("DOSEWISE_UPDATE_DOCS").is_some() {
        std::fs::write(&path, doc).unwrap_or_else(|e| panic!("{e}"));
    }
    let on_disk = std::fs::read_to_string(&path).unwrap_or_default();
    assert_eq!(
        on_disk, doc,
        "docs/{name} is out of date: DOSEWISE_UPDATE_DOCS=1"
    );
}

/// Who may do what: every operation of the API (from its route list, so a new one cannot be
/// forgotten) against every kind of caller — nobody, a patient's device, another patient's
/// device, the clinician the patient shares with, a clinician of the same clinic they do not
/// share with, a clinician of another clinic, the clinic's admin, another clinic's admin — with
/// the status each must get, and no answer carrying the patient's data to anyone it is not
/// shared with. The matrix is docs/access-matrix.md (`DOSEWISE_UPDATE_DOCS=1` rewrites it; the
/// test fails when it differs).
#[test]
fn every_route_against_every_role() {
    let db = database("matrix");
    let Cast {
        clinic,
        admin_a,
        dr_a,
        admin_b,
        dr_b,
        dr_other,
        victim,
        p1,
        item,
        dev1,
        dev2,
        _dir,
    } = Cast::new(&db);
    // The callers, the granted clinician last (what they change — an acknowledgement, a reset
    // by the admin — must not change what the others are checked against).
    let roles: [(&str, Option<&str>); 8] = [
        ("anonymous", None),
        ("patient's device", Some(&dev1)),
        ("other patient's device", Some(&dev2)),
        ("clinician without grant", Some(&dr_other)),
        ("clinician of another clinic", Some(&dr_b)),
        ("admin of another clinic", Some(&admin_b)),
        ("admin", Some(&admin_a)),
        ("clinician with grant", Some(&dr_a)),
    ];
    // What each operation is called with: the patient, the triage item, the staff member.
    let body = |method: &str, path: &str| -> Option<Value> {
        if method == "get" {
            return None;
        }
        Some(match path {
            "/api/v1/login" => {
                json!({ "email": "nobody@alpha.example", "password": "not the password" })
            }
            "/api/v1/totp/confirm" => json!({ "code": "000000" }),
            "/api/v1/reset" => {
                json!({ "code": "0".repeat(64), "password": "long enough password" })
            }
            "/api/v1/invites" => json!({ "role": "patient" }),
            "/api/v1/accept" => {
                json!({ "code": "0".repeat(64), "email": "x@alpha.example", "name": "X", "password": "long enough password" })
            }
            "/api/v1/connect" => {
                json!({ "code": "0".repeat(64), "device": "d", "name": "n", "categories": ["doses"] })
            }
            "/api/v1/sync" => json!({ "entries": [] }),
            "/api/v1/share/revoke" => json!({ "grant": 999_999_999 }),
            p if p.ends_with("/notes") => json!({ "text": "A note from the matrix test." }),
            _ => json!({}),
        })
    };
    let concrete = |path: &str| {
        path.replace("/patients/{id}", &format!("/patients/{p1}"))
            .replace("/triage/{id}", &format!("/triage/{item}"))
            .replace("/accounts/{id}", &format!("/accounts/{victim}"))
    };
    // The expected status: who may, and what everyone else is told.
    let expected = |role: &str, method: &str, path: &str| -> u16 {
        let device = role.ends_with("device");
        let staff = !device && role != "anonymous";
        let clinician = role.starts_with("clinician");
        let admin = role.starts_with("admin");
        match (method, path) {
            ("get", "/api/v1/openapi.json") => 200,
            // Open to anyone, refused for what was sent (a wrong password, an unknown code).
            (_, "/api/v1/login" | "/api/v1/reset" | "/api/v1/accept" | "/api/v1/connect") => 400,
            (_, "/api/v1/sync" | "/api/v1/share/revoke" | "/api/v1/share/log") => {
                if device {
                    200
                } else {
                    401
                }
            }
            _ if !staff => 401,
            (_, "/api/v1/me" | "/api/v1/totp/setup" | "/api/v1/logout") => 200,
            (_, "/api/v1/totp/confirm") => 400,
            ("get", "/api/v1/accounts") => {
                if admin {
                    200
                } else {
                    404
                }
            }
            (_, "/api/v1/accounts/{id}/reset") => {
                if role == "admin" {
                    200
                } else {
                    404
                }
            }
            (_, "/api/v1/invites" | "/api/v1/patients" | "/api/v1/triage") => {
                if clinician {
                    200
                } else {
                    404
                }
            }
            _ => {
                if role == "clinician with grant" {
                    200
                } else {
                    404
                }
            }
        }
    };
    let mut table = matrix_head("operation", roles.iter().map(|r| r.0));
    let mut routes: Vec<(&str, &str)> = dosewise_clinic::api::ROUTES
        .iter()
        .copied()
        .filter(|(_, p)| *p != "/api/v1/logout")
        .collect();
    // Signing out last: it ends the session the other rows use.
    routes.push(("post", "/api/v1/logout"));
    let mut wrong = Vec::new();
    for (method, path) in &routes {
        table.push_str(&format!("| `{} {path}` |", method.to_uppercase()));
        for (role, token) in &roles {
            // (The back-off would answer 429 from the sixth wrong password on: not this table.)
            if *path == "/api/v1/login" {
                exec(&db, "DELETE FROM login_failure").unwrap_or_else(|e| panic!("{e}"));
            }
            let (status, v) = clinic.call(
                &method.to_uppercase(),
                &concrete(path),
                *token,
                body(method, path),
            );
            let want = expected(role, method, path);
            if status != want {
                wrong.push(format!(
                    "{role}: {} {path} answered {status}, not {want}: {v}",
                    method.to_uppercase()
                ));
            }
            // The patient's data reaches nobody it is not shared with.
            let text = v.to_string();
            let theirs = matches!(*role, "clinician with grant" | "patient's device");
            if !theirs && (text.contains("Pat Matrix") || text.contains("PHQ-9 item 9 answered")) {
                wrong.push(format!(
                    "{role}: {method} {path} carried the patient's data: {text}"
                ));
            }
            table.push_str(&format!(" {status} |"));
        }
        table.push('\n');
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
    let doc = format!(
        "# Who may do what on the clinic server\n\n\
         Every operation of `/api/v1` against every kind of caller, as \
         `crates/cli/tests/clinic.rs` (`every_route_against_every_role`) checks it on a real \
         server and database: the patient (Pat) shares with one clinician of clinic A. What is \
         not the caller's answers 404, never 403, so that whether it exists is not told either; \
         401 means no session or device token of the right kind; 400 is a refusal of what was \
         sent (a wrong password, an unknown code). No answer to anyone but the clinician with \
         the grant and the patient's own device carries the patient's data (checked on every \
         cell). Generated from `api::ROUTES`, which the router is built from: a new route \
         cannot be left out. The clinician's pages and forms have their own table, \
         [access-matrix-pages.md](access-matrix-pages.md).\n\n{table}"
    );
    generated_doc("access-matrix.md", &doc);
}

/// The clinician's pages and forms against every kind of caller, signed in by cookie as a
/// browser is: each form sent first without the session's CSRF token (refused, nothing
/// changes) and then with it. What is not the caller's answers 404 and is audited; no answer
/// but the granted clinician's carries the patient's data. Walks `pages::ROUTES`, which the
/// router is built from, and prints the table to `docs/access-matrix-pages.md`.
#[test]
fn every_page_against_every_role() {
    let db = database("pagematrix");
    let Cast {
        clinic,
        admin_a,
        dr_a,
        admin_b,
        dr_b,
        dr_other,
        victim,
        p1,
        item,
        dev1,
        dev2,
        _dir,
    } = Cast::new(&db);
    // A browser's cookie and the session's CSRF token; a device's token tried as a cookie.
    let csrf_of = |token: &str| -> String {
        sql(
            &db,
            &format!(
                "SELECT csrf FROM session WHERE token_hash = '{}'",
                dosewise_clinic::auth::digest(token)
            ),
        )
        .first()
        .map(|r| r.get::<_, String>(0))
        .unwrap_or_default()
    };
    let roles: Vec<(&str, Option<String>, String)> = [
        ("anonymous", None),
        ("patient's device", Some(dev1.as_str())),
        ("other patient's device", Some(dev2.as_str())),
        ("clinician without grant", Some(dr_other.as_str())),
        ("clinician of another clinic", Some(dr_b.as_str())),
        ("admin of another clinic", Some(admin_b.as_str())),
        ("admin", Some(admin_a.as_str())),
        ("clinician with grant", Some(dr_a.as_str())),
    ]
    .into_iter()
    .map(|(r, t)| {
        (
            r,
            t.map(|t| format!("dosewise_clinic={t}")),
            t.map(csrf_of).unwrap_or_default(),
        )
    })
    .collect();
    assert!(
        roles.iter().filter(|(_, _, c)| !c.is_empty()).count() == 5,
        "every member of staff has a session with a CSRF token"
    );
    let concrete = |path: &str| {
        path.replace("/patients/{id}", &format!("/patients/{p1}"))
            .replace("/triage/{id}", &format!("/triage/{item}"))
            .replace("/accounts/{id}", &format!("/accounts/{victim}"))
    };
    // What each form sends besides the token.
    let fields = |path: &str| -> &str {
        match path {
            "/login" => "email=nobody%40alpha.example&password=not+the+password&code=",
            "/second-factor" => "action=setup",
            "/triage/{id}/ack" => "back=%2Ftriage",
            "/patients/{id}/notes" => "text=A+note+from+the+page+matrix.",
            "/patients/{id}/prescription" => "max_dose=50+mg&max_day=100+mg",
            "/accounts/invite" => "role=clinician",
            _ => "",
        }
    };
    // What the forms could change, to see that a refused one changed nothing.
    let state = || -> String {
        let r = &sql(
            &db,
            "SELECT concat_ws(' ',
                (SELECT count(*) FROM invite), (SELECT count(*) FROM patient_note),
                (SELECT count(*) FROM prescription), (SELECT count(*) FROM session),
                (SELECT count(*) FROM password_reset),
                (SELECT count(*) FROM triage WHERE acknowledged_at IS NOT NULL),
                (SELECT count(*) FROM account WHERE totp_pending IS NOT NULL))",
        )[0];
        r.get(0)
    };
    let refusals =
        || -> i64 { sql(&db, "SELECT count(*) FROM audit WHERE action = 'refused'")[0].get(0) };
    // The expected answer: who may, and where everyone else is sent.
    let expected = |role: &str, method: &str, path: &str| -> (u16, &'static str) {
        let staff = !role.ends_with("device") && role != "anonymous";
        let clinician = role.starts_with("clinician");
        let admin = role.starts_with("admin");
        match (method, path) {
            (_, "/static/style.css" | "/static/print.js") | ("get", "/login") => (200, ""),
            // A wrong password: the form again, whoever sends it.
            ("post", "/login") => (400, ""),
            _ if !staff => (303, "/login"),
            ("post", "/logout") => (303, "/login"),
            (_, "/second-factor") => (200, ""),
            ("get", "/") if admin => (303, "/accounts"),
            ("get", "/" | "/triage") | ("post", "/invite") if clinician => match path {
                "/invite" => (303, "/?invite="),
                _ => (200, ""),
            },
            (_, "/accounts" | "/accounts/invite") if admin => match path {
                "/accounts" => (200, ""),
                _ => (303, "/accounts?invite="),
            },
            ("post", "/accounts/{id}/reset") if role == "admin" => (303, "/accounts?reset="),
            (
                "get",
                "/patients/{id}"
                | "/patients/{id}/report"
                | "/patients/{id}/fhir"
                | "/patients/{id}/prescription",
            ) if role == "clinician with grant" => (200, ""),
            ("post", "/triage/{id}/ack") if role == "clinician with grant" => (303, "/triage"),
            ("post", "/patients/{id}/notes") if role == "clinician with grant" => {
                (303, "/patients/")
            }
            ("post", "/patients/{id}/prescription") if role == "clinician with grant" => {
                (303, "/patients/")
            }
            _ => (404, ""),
        }
    };
    let mut table = matrix_head("page or form", roles.iter().map(|r| r.0));
    let mut routes: Vec<(&str, &str)> = dosewise_clinic::pages::ROUTES
        .iter()
        .copied()
        .filter(|(_, p)| *p != "/logout")
        .collect();
    // Signing out last: it ends the session the other rows use.
    routes.push(("post", "/logout"));
    let mut wrong = Vec::new();
    let location = |head: &str| -> String {
        head.lines()
            .find_map(|l| {
                l.to_ascii_lowercase()
                    .starts_with("location:")
                    .then(|| l["location:".len()..].trim().to_string())
            })
            .unwrap_or_default()
    };
    for (method, path) in &routes {
        table.push_str(&format!("| `{} {path}` |", method.to_uppercase()));
        for (role, cookie, csrf) in &roles {
            // (The back-off would answer 429 from the sixth wrong password on: not this table.)
            exec(&db, "DELETE FROM login_failure").unwrap_or_else(|e| panic!("{e}"));
            let target = concrete(path);
            let send = |form: Option<String>, extra: &[(&str, &str)]| {
                let mut headers: Vec<(&str, &str)> = extra.to_vec();
                if let Some(c) = cookie {
                    headers.push(("Cookie", c.as_str()));
                }
                if form.is_some() {
                    headers.push(("Content-Type", "application/x-www-form-urlencoded"));
                }
                common::server::http_full(
                    &clinic.addr,
                    &clinic.addr,
                    &method.to_uppercase(),
                    &target,
                    form.as_deref(),
                    &headers,
                )
            };
            let staff = !csrf.is_empty();
            if *method == "post" {
                // Without the session's token (or the login form's cookie): nothing changes.
                let before = state();
                let (status, head, _) = send(Some(fields(path).to_string()), &[]);
                let refused = if staff || *path == "/login" {
                    status == 400
                } else {
                    status == 303 && location(&head) == "/login"
                };
                if !refused || state() != before {
                    wrong.push(format!(
                        "{role}: {method} {path} without the CSRF token answered {status} or changed something"
                    ));
                }
            }
            let before = refusals();
            let (status, head, body) = if *method == "get" {
                send(None, &[])
            } else if *path == "/login" {
                let form = format!("{}&csrf=matrix", fields(path));
                let both = match cookie {
                    Some(c) => format!("{c}; dosewise_clinic_login=matrix"),
                    None => "dosewise_clinic_login=matrix".to_string(),
                };
                common::server::http_full(
                    &clinic.addr,
                    &clinic.addr,
                    "POST",
                    "/login",
                    Some(&form),
                    &[
                        ("Cookie", both.as_str()),
                        ("Content-Type", "application/x-www-form-urlencoded"),
                    ],
                )
            } else {
                let f = fields(path);
                let sep = if f.is_empty() { "" } else { "&" };
                send(Some(format!("{f}{sep}csrf={csrf}")), &[])
            };
            let to = location(&head);
            let (want, want_to) = expected(role, method, path);
            if status != want || !to.starts_with(want_to) || (want_to.is_empty() && !to.is_empty())
            {
                wrong.push(format!(
                    "{role}: {} {path} answered {status} {to}, not {want} {want_to}",
                    method.to_uppercase()
                ));
            }
            if status == 404 && staff && refusals() <= before {
                wrong.push(format!(
                    "{role}: {method} {path} was refused without an audit line"
                ));
            }
            let theirs = *role == "clinician with grant";
            if !theirs && (body.contains("Pat Matrix") || body.contains("item 9 answered")) {
                wrong.push(format!(
                    "{role}: {method} {path} carried the patient's data"
                ));
            }
            let cell = match status {
                300..=399 => format!(
                    "{status} → `{}`",
                    to.split(['?', '#'])
                        .next()
                        .unwrap_or("")
                        .replace(&format!("/patients/{p1}"), "/patients/{id}")
                ),
                _ => status.to_string(),
            };
            table.push_str(&format!(" {cell} |"));
        }
        table.push('\n');
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
    let doc = format!(
        "# Who may open which page of the clinic server\n\n\
         Every page and form of the clinician's web app against every kind of caller, as \
         `crates/cli/tests/clinic.rs` (`every_page_against_every_role`) checks it on a real \
         server and database, signed in by cookie as a browser is; the JSON API's table is in \
         [access-matrix.md](access-matrix.md). The patient (Pat) shares with one clinician of \
         clinic A. Without a session (or with a device's token, which is not one) every page \
         sends to the sign-in; what is not the caller's answers 404, is audited, and never \
         carries the patient's data. Each form was also sent without the session's CSRF token \
         first: refused with 400 for every member of staff, and nothing in the database \
         changed. Generated from `pages::ROUTES`, which the router is built from.\n\n{table}"
    );
    generated_doc("access-matrix-pages.md", &doc);
}

/// Text a patient syncs — their name, a check-in's note and tags, a dose's note, a stock's
/// name — is shown on the clinician's pages as text, never as markup; the acknowledgement form
/// sends the clinician back only to this server's own pages; a form without the session's CSRF
/// token or from another site changes nothing.
#[test]
fn what_a_patient_syncs_is_text_on_the_clinicians_pages() {
    let db = database("xss");
    let clinic = Clinic::start(&db, 0);
    let (_, dr, _) = clinic.clinic("xss");
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let home = dir.path().join("p");
    let evil = "<script>alert(1)</script><img src=x onerror=alert(2)>";
    let p = patient(&home, &clinic, &clinic.patient_invite(&dr), evil);
    run(
        &home,
        &[
            "checkin",
            "--mood",
            "4",
            "--urinary",
            "frequency",
            "--note",
            evil,
        ],
    )
    .ok();
    run(&home, &["dose", "1/4", "troche", "--note", evil]).ok();
    run(&home, &["sync"]).ok();
    // A device need not be Dosewise: what the CLI would refuse (markup in a tag) can arrive.
    let mut forged: Value = sql(
        &db,
        &format!("SELECT body FROM record WHERE patient_id = {p} AND kind = 'checkin' ORDER BY record_id DESC LIMIT 1"),
    )[0]
    .get(0);
    forged["id"] = json!(999_999);
    forged["tags"] = json!(["x<b>y"]);
    let pushed = clinic.ok(
        "POST",
        "/api/v1/sync",
        Some(&device_token(&home)),
        Some(json!({ "entries": [{ "idx": 1_000_000, "kind": "checkin", "id": 999_999, "body": forged }] })),
    );
    assert_eq!(pushed["applied"], 1, "{pushed}");
    // Signed in by cookie, as a browser is.
    let code = clinic.code("dr@xss.example");
    let signed = clinic.ok(
        "POST",
        "/api/v1/login",
        None,
        Some(json!({ "email": "dr@xss.example", "password": PASSWORD, "code": code })),
    );
    let cookie = format!("dosewise_clinic={}", signed["token"].as_str().unwrap_or(""));
    let csrf = signed["csrf"].as_str().unwrap_or("").to_string();
    let page = |path: &str| {
        let (s, _, body) = common::server::http_full(
            &clinic.addr,
            &clinic.addr,
            "GET",
            path,
            None,
            &[("Cookie", &cookie)],
        );
        assert_eq!(s, 200, "{path}: {body}");
        body
    };
    for path in [
        "/".to_string(),
        "/triage".to_string(),
        format!("/patients/{p}"),
        format!("/patients/{p}/prescription"),
        format!("/patients/{p}/report"),
    ] {
        let body = page(&path);
        assert!(
            !body.contains("<script>alert")
                && !body.contains("<img src=x")
                && !body.contains("x<b>y"),
            "{path} shows the patient's text as markup"
        );
        assert!(
            body.contains("&lt;script&gt;alert(1)"),
            "{path} shows it as text"
        );
    }
    // Acknowledging sends back to this server's pages only.
    let item = sql(
        &db,
        &format!(
            "SELECT id FROM triage WHERE patient_id = {p} AND acknowledged_at IS NULL LIMIT 1"
        ),
    )[0]
    .get::<_, i64>(0);
    let post = |form: String, extra: &[(&str, &str)]| {
        let mut headers = vec![
            ("Cookie", cookie.as_str()),
            ("Content-Type", "application/x-www-form-urlencoded"),
        ];
        headers.extend_from_slice(extra);
        common::server::http_full(
            &clinic.addr,
            &clinic.addr,
            "POST",
            &format!("/triage/{item}/ack"),
            Some(&form),
            &headers,
        )
    };
    let open = |n: i64| {
        sql(
            &db,
            &format!("SELECT count(*) FROM triage WHERE id = {n} AND acknowledged_at IS NULL"),
        )[0]
        .get::<_, i64>(0)
    };
    let (s, _, _) = post("back=%2Ftriage".into(), &[]);
    assert_eq!((s, open(item)), (400, 1), "no CSRF token: nothing changes");
    let (s, _, _) = post(
        format!("csrf={csrf}&back=%2Ftriage"),
        &[("Sec-Fetch-Site", "cross-site")],
    );
    assert_eq!(
        (s, open(item)),
        (400, 1),
        "from another site: nothing changes"
    );
    let (s, head, _) = post(
        format!("csrf={csrf}&back=https%3A%2F%2Fevil.example%2F"),
        &[],
    );
    assert_eq!((s, open(item)), (303, 0), "{head}");
    let location = head
        .lines()
        .find(|l| l.to_lowercase().starts_with("location:"))
        .unwrap_or_default();
    assert!(location.trim_end().ends_with(" /triage"), "{location}");
}

/// Two server processes on one database, no sticky sessions: a session begun on one works on
/// the other and ends on both; the same batch sent through both at once (a retry racing the
/// original) is applied once.
#[test]
fn two_instances_share_everything_through_the_database() {
    let db = database("twins");
    let a = Clinic::start(&db, 0);
    let b = Clinic::start(&db, 0);
    let (_, dr, _) = a.clinic("twins");
    assert_eq!(
        b.ok("GET", "/api/v1/me", Some(&dr), None)["name"],
        json!("Dr twins")
    );
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let home = dir.path().join("p");
    let p = patient(&home, &a, &a.patient_invite(&dr), "Pat Twin");
    run(&home, &["sync"]).ok();
    let device = device_token(&home);
    let template: Value = sql(
        &db,
        &format!("SELECT body FROM record WHERE patient_id = {p} AND kind = 'checkin' LIMIT 1"),
    )[0]
    .get(0);
    let last: i64 = sql(
        &db,
        &format!("SELECT last_idx FROM device WHERE patient_id = {p}"),
    )[0]
    .get(0);
    let mut next = last + 1;
    for round in 0..10 {
        // Twenty new check-ins, sent through both instances at the same moment.
        let entries: Vec<Value> = (0..20)
            .map(|k| {
                let id = 500_000 + round * 100 + k;
                let mut body = template.clone();
                body["id"] = json!(id);
                let e = json!({ "idx": next, "kind": "checkin", "id": id, "body": body });
                next += 1;
                e
            })
            .collect();
        let batch = json!({ "entries": entries });
        let applied: Vec<i64> = std::thread::scope(|s| {
            let ha = s.spawn(|| a.ok("POST", "/api/v1/sync", Some(&device), Some(batch.clone())));
            let hb = s.spawn(|| b.ok("POST", "/api/v1/sync", Some(&device), Some(batch.clone())));
            [ha, hb]
                .into_iter()
                .map(|h| {
                    h.join().unwrap_or_else(|_| panic!("a sync thread"))["applied"]
                        .as_i64()
                        .unwrap_or(-1)
                })
                .collect()
        });
        assert_eq!(
            applied.iter().sum::<i64>(),
            20,
            "round {round}: one applied it, the other skipped it: {applied:?}"
        );
    }
    let n: i64 = sql(
        &db,
        &format!("SELECT count(*) FROM record WHERE patient_id = {p} AND kind = 'checkin' AND record_id >= 500000"),
    )[0]
    .get(0);
    assert_eq!(n, 200, "each record once");
    let idx: i64 = sql(
        &db,
        &format!("SELECT last_idx FROM device WHERE patient_id = {p}"),
    )[0]
    .get(0);
    assert_eq!(idx, next - 1);
    // Signing out on one instance ends the session on both.
    b.ok("POST", "/api/v1/logout", Some(&dr), None);
    assert_eq!(a.call("GET", "/api/v1/me", Some(&dr), None).0, 401);
}

/// SQL in any field is only text: every statement is parameterised, and the answers say so.
#[test]
fn sql_in_any_field_is_only_text() {
    let db = database("sqli");
    let clinic = Clinic::start(&db, 0);
    let (_, dr, _) = clinic.clinic("sqli");
    let (s, v) = clinic.call(
        "POST",
        "/api/v1/login",
        None,
        Some(json!({ "email": "x' OR '1'='1", "password": "' OR '1'='1' --" })),
    );
    assert_eq!(
        (s, v["error"]["message"].clone()),
        (400, json!("wrong email or password"))
    );
    let (s, v) = clinic.call("GET", "/api/v1/patients/1%20OR%201=1", Some(&dr), None);
    assert!(
        s == 400
            && v["error"]["message"]
                .as_str()
                .is_some_and(|m| m.contains("not an id")),
        "{v}"
    );
    let name = "Robert'); DROP TABLE account;--";
    let code = clinic.patient_invite(&dr);
    let connected = clinic.ok(
        "POST",
        "/api/v1/connect",
        None,
        Some(json!({ "code": code, "device": "d'; DELETE FROM audit;--", "name": name, "categories": ["doses"] })),
    );
    let p = connected["patient"].as_i64().unwrap_or_default();
    let text = "'); DROP TABLE record; --";
    clinic.ok(
        "POST",
        &format!("/api/v1/patients/{p}/notes"),
        Some(&dr),
        Some(json!({ "text": text })),
    );
    let stored: String = sql(
        &db,
        &format!("SELECT body FROM patient_note WHERE patient_id = {p}"),
    )[0]
    .get(0);
    assert_eq!(stored, text);
    let named: String = sql(&db, &format!("SELECT name FROM account WHERE id = {p}"))[0].get(0);
    assert_eq!(named, name);
    for table in ["account", "record", "audit"] {
        assert!(
            !sql(&db, &format!("SELECT to_regclass('{table}')::text"))[0]
                .get::<_, Option<String>>(0)
                .unwrap_or_default()
                .is_empty(),
            "{table} is still there"
        );
    }
    assert!(sql(&db, "SELECT count(*) FROM audit")[0].get::<_, i64>(0) > 0);
}

/// The same database on the streaming replica scripts/with-postgres starts.
fn on_replica(db: &str) -> String {
    let replica = std::env::var("DOSEWISE_TEST_REPLICA_URL").unwrap_or_else(|_| {
        panic!("DOSEWISE_TEST_REPLICA_URL is not set: run the tests with scripts/test")
    });
    let (server, _) = replica.rsplit_once('/').unwrap_or((&replica, ""));
    let (_, name) = db.rsplit_once('/').unwrap_or(("", db));
    format!("{server}/{name}")
}

/// With `--read-database` the caseload and patients' journals are read from a streaming replica
/// (real WAL streaming on loopback): what a patient syncs reaches it, a read never sees part of
/// a sync batch (each is one transaction, replayed whole), the reads are still audited — on the
/// primary — and with the replica unreachable the reads go to the primary.
#[test]
fn reads_from_a_streaming_replica() {
    let db = database("replica");
    let replica = on_replica(&db);
    let writer = Clinic::start(&db, 0);
    let (_, dr, _) = writer.clinic("mirror");
    // The replica has the clinic's schema once it has replayed the primary's WAL (a bound, not
    // a speed target: streaming on loopback takes milliseconds).
    let replayed = |q: &str| -> bool {
        rt().block_on(async {
            let Ok((client, conn)) = tokio_postgres::connect(&replica, tokio_postgres::NoTls).await
            else {
                return false;
            };
            tokio::spawn(conn);
            client
                .query_one(q, &[])
                .await
                .is_ok_and(|r| r.get::<_, i64>(0) > 0)
        })
    };
    let wait_for = |q: &str| {
        for _ in 0..300 {
            if replayed(q) {
                return;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        panic!("the replica did not replay {q} within 30 s");
    };
    wait_for("SELECT count(*) FROM account WHERE email = 'dr@mirror.example'");
    let reader = Clinic::start_with(&db, 0, NOW, &["--read-database", &replica]);
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let home = dir.path().join("p");
    let p = patient(&home, &writer, &writer.patient_invite(&dr), "Pat Mirror");
    run(&home, &["sync"]).ok();
    let device = device_token(&home);
    let synced: i64 = sql(
        &db,
        &format!("SELECT count(*) FROM record WHERE patient_id = {p}"),
    )[0]
    .get(0);
    wait_for(&format!(
        "SELECT (count(*) >= {synced})::int::int8 FROM record WHERE patient_id = {p}"
    ));
    let row = reader.ok("GET", "/api/v1/patients", Some(&dr), None)["patients"][0].clone();
    assert_eq!(row["name"], json!("Pat Mirror"), "{row}");
    // Batches of 50 while the replica is read: never part of one.
    let template: Value = sql(
        &db,
        &format!("SELECT body FROM record WHERE patient_id = {p} AND kind = 'checkin' LIMIT 1"),
    )[0]
    .get(0);
    let start: i64 = sql(
        &db,
        &format!("SELECT last_idx FROM device WHERE patient_id = {p}"),
    )[0]
    .get(0);
    let counts = std::thread::scope(|s| {
        let pusher = s.spawn(|| {
            for round in 0..10_i64 {
                let entries: Vec<Value> = (0..50_i64)
                    .map(|k| {
                        let id = 700_000 + round * 50 + k;
                        let mut body = template.clone();
                        body["id"] = json!(id);
                        json!({ "idx": start + 1 + round * 50 + k, "kind": "checkin", "id": id, "body": body })
                    })
                    .collect();
                writer.ok("POST", "/api/v1/sync", Some(&device), Some(json!({ "entries": entries })));
            }
        });
        let mut seen = Vec::new();
        while !pusher.is_finished() {
            let v = reader.ok("GET", &format!("/api/v1/patients/{p}"), Some(&dr), None);
            let n = v["journal"]["checkins"].as_array().map_or(0, |c| {
                c.iter()
                    .filter(|x| x["id"].as_i64().is_some_and(|i| i >= 700_000))
                    .count()
            });
            seen.push(n);
        }
        seen
    });
    assert!(
        counts.len() >= 3,
        "reads while the batches arrived: {counts:?}"
    );
    assert!(
        counts.iter().all(|n| n % 50 == 0),
        "a read saw part of a batch: {counts:?}"
    );
    wait_for(&format!(
        "SELECT (count(*) = 500)::int::int8 FROM record WHERE patient_id = {p} AND record_id >= 700000"
    ));
    let v = reader.ok("GET", &format!("/api/v1/patients/{p}"), Some(&dr), None);
    assert_eq!(
        v["journal"]["checkins"].as_array().map_or(0, |c| c
            .iter()
            .filter(|x| x["id"].as_i64().is_some_and(|i| i >= 700_000))
            .count()),
        500
    );
    // Every read through the replica was audited on the primary.
    let audited: i64 = sql(
        &db,
        &format!("SELECT count(*) FROM audit WHERE action = 'read' AND patient_id = {p} AND what LIKE '%shared records'"),
    )[0]
    .get(0);
    assert_eq!(audited, i64::try_from(counts.len()).unwrap_or(0) + 1);
    // The replica unreachable: the reads go to the primary.
    drop(reader);
    let closed = format!("postgres://postgres@127.0.0.1:{}/nothing", free_port());
    let fallback = Clinic::start_with(&db, 0, NOW, &["--read-database", &closed]);
    let row = fallback.ok("GET", "/api/v1/patients", Some(&dr), None)["patients"][0].clone();
    assert_eq!(row["name"], json!("Pat Mirror"));
}

/// Ten thousand wrong passwords from four clients at once: after the free attempts every one is
/// answered 429 without a password being checked, nothing else is answered, and the right
/// password waits too. (The server's clock stands still here, so the back-off never runs out.)
#[test]
fn ten_thousand_guesses_are_held_off() {
    let db = database("guesses");
    let clinic = Clinic::start(&db, 0);
    clinic.clinic("guess");
    let email = "dr@guess.example";
    let body = json!({ "email": email, "password": "a wrong guess, again" }).to_string();
    let statuses: Vec<u16> = std::thread::scope(|s| {
        let workers: Vec<_> = (0..4)
            .map(|_| {
                s.spawn(|| {
                    (0..2_500)
                        .map(|_| {
                            common::server::http_full(
                                &clinic.addr,
                                &clinic.addr,
                                "POST",
                                "/api/v1/login",
                                Some(&body),
                                &[],
                            )
                            .0
                        })
                        .collect::<Vec<u16>>()
                })
            })
            .collect();
        workers
            .into_iter()
            .flat_map(|w| w.join().unwrap_or_default())
            .collect()
    });
    assert_eq!(statuses.len(), 10_000);
    let checked = statuses.iter().filter(|s| **s == 400).count();
    let held = statuses.iter().filter(|s| **s == 429).count();
    assert_eq!(checked + held, 10_000, "only 400 and 429");
    // Five free attempts; four clients racing the first check may each get one more.
    assert!(
        (5..=8).contains(&checked),
        "{checked} passwords were checked"
    );
    let failures: i32 = sql(
        &db,
        &format!("SELECT failures FROM login_failure WHERE key = 'account:{email}'"),
    )[0]
    .get(0);
    assert_eq!(usize::try_from(failures).unwrap_or(0), checked);
    let code = clinic.code(email);
    let (s, _) = clinic.call(
        "POST",
        "/api/v1/login",
        None,
        Some(json!({ "email": email, "password": PASSWORD, "code": code })),
    );
    assert_eq!(s, 429, "the right password waits too");
}

/// What the caseload shows of a patient is what their records say: its digest (kept at sync)
/// agrees with the same figures worked out from the records in SQL, after doses are added and
/// deleted and questionnaires answered; and a database from before the digest gets every
/// patient's digest when the server brings its schema up to date.
#[test]
fn the_caseload_digest_agrees_with_the_records() {
    // Sums of milligrams, to the microgram: added in another order, floats differ in the last bit.
    fn milli(v: &Value) -> Value {
        json!(v.as_f64().map(|x| (x * 1000.0).round() as i64))
    }
    let db = database("digest");
    let port = free_port();
    let clinic = Clinic::start(&db, port);
    let (_, dr, _) = clinic.clinic("dig");
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let home = dir.path().join("p");
    let p = patient(&home, &clinic, &clinic.patient_invite(&dr), "Pat Digest");
    run(&home, &["sync"]).ok();
    // The figures from the records themselves, as the owner (past row-level security).
    let from_records = |db: &str| -> Value {
        let now = format!("(extract(epoch FROM timestamptz '{NOW}') * 1000000)::bigint");
        let r = sql(
            db,
            &format!(
                "WITH d AS (SELECT at_us, (body->>'dose_mg')::float8 AS mg FROM record
                            WHERE patient_id = {p} AND kind = 'dose' AND NOT deleted),
                      a AS (SELECT body->>'instrument' AS i, (body->>'total')::int AS t, at_us, record_id FROM record
                            WHERE patient_id = {p} AND kind = 'assessment' AND NOT deleted)
                 SELECT
                   (SELECT to_json(to_timestamp(at_us / 1e6)) FROM d ORDER BY at_us DESC LIMIT 1)::text,
                   (SELECT mg FROM d ORDER BY at_us DESC LIMIT 1),
                   (SELECT count(*) FROM d WHERE at_us >= {now} - 7 * 86400000000),
                   (SELECT coalesce(sum(mg), 0) FROM d WHERE at_us >= {now} - 7 * 86400000000),
                   (SELECT coalesce(sum(mg), 0) FROM d WHERE at_us >= {now} - 14 * 86400000000 AND at_us < {now} - 7 * 86400000000),
                   (SELECT max(at_us) FROM record WHERE patient_id = {p} AND kind = 'checkin' AND NOT deleted),
                   (SELECT t FROM a WHERE i = 'phq9' ORDER BY at_us, record_id LIMIT 1),
                   (SELECT t FROM a WHERE i = 'phq9' ORDER BY at_us DESC, record_id DESC LIMIT 1),
                   (SELECT t FROM a WHERE i = 'gad7' ORDER BY at_us DESC, record_id DESC LIMIT 1)"
            ),
        );
        let r = &r[0];
        let last: Option<String> = r.get(0);
        let checkin: Option<i64> = r.get(5);
        json!({
            "last_dose": last.map(|s| s.trim_matches('"').parse::<dosewise_core::jiff::Timestamp>().map(|t| t.to_string()).unwrap_or(s)),
            "last_dose_mg": r.get::<_, Option<f64>>(1),
            "doses_7d": r.get::<_, i64>(2),
            "mg_7d": milli(&json!(r.get::<_, f64>(3))),
            "mg_prev_7d": milli(&json!(r.get::<_, f64>(4))),
            "last_checkin": checkin.and_then(|c| dosewise_core::jiff::Timestamp::from_microsecond(c).ok()).map(|t| t.to_string()),
            "phq9_first": r.get::<_, Option<i32>>(6),
            "latest_phq9": r.get::<_, Option<i32>>(7),
            "gad7_last": r.get::<_, Option<i32>>(8),
        })
    };
    let shown = |clinic: &Clinic| -> Value {
        let v = clinic.ok("GET", "/api/v1/patients?sort=name", Some(&dr), None);
        let r = v["patients"][0].clone();
        assert_eq!(r["patient"], json!(p), "{v}");
        json!({
            "last_dose": r["last_dose"], "last_dose_mg": r["last_dose_mg"],
            "doses_7d": r["doses_7d"], "mg_7d": milli(&r["mg_7d"]), "mg_prev_7d": milli(&r["mg_prev_7d"]),
            "last_checkin": r["last_checkin"], "phq9_first": r["phq9"]["baseline"],
            "latest_phq9": r["latest_phq9"], "gad7_last": r["gad7"]["latest"],
            "adherence": r["adherence"],
        })
    };
    let check = |clinic: &Clinic, when: &str| -> Value {
        let s = shown(clinic);
        let mut want = from_records(&db);
        want["adherence"] = s["adherence"].clone();
        assert_eq!(s, want, "{when}");
        // The demo doses on its plan: figures that could be zero are not.
        assert!(s["doses_7d"].as_i64().is_some_and(|n| n > 0), "{when}: {s}");
        assert!(s["latest_phq9"].is_i64(), "{when}: {s}");
        assert!(
            s["adherence"]["planned_days"]
                .as_u64()
                .is_some_and(|n| n > 0),
            "{when}: {s}"
        );
        s
    };
    let first = check(&clinic, "after the first sync");
    // With a second patient the caseload is one audit line naming both, which each finds in
    // their own log (and no line of anyone else's).
    let home2 = dir.path().join("q");
    let q = patient(&home2, &clinic, &clinic.patient_invite(&dr), "Zed Other");
    clinic.ok("GET", "/api/v1/patients", Some(&dr), None);
    let line = sql(
        &db,
        "SELECT patient_id, patients FROM audit WHERE what = 'caseload rows' ORDER BY id DESC LIMIT 1",
    );
    assert_eq!(line[0].get::<_, Option<i64>>(0), None);
    let mut named: Vec<i64> = line[0].get::<_, Option<Vec<i64>>>(1).unwrap_or_default();
    named.sort_unstable();
    assert_eq!(named, vec![p, q]);
    for h in [&home, &home2] {
        let log = clinic.ok("GET", "/api/v1/share/log", Some(&device_token(h)), None);
        let lines = log["log"].as_array().cloned().unwrap_or_default();
        assert!(lines.iter().any(|x| x["what"] == "caseload rows"), "{log}");
        assert!(
            lines.iter().all(|x| x["action"] != "connect"
                || lines.iter().filter(|y| y["action"] == "connect").count() == 1),
            "{log}"
        );
    }
    // A new dose, the latest one deleted, a questionnaire: each moves a figure.
    run(
        &home,
        &[
            "dose",
            "1/4",
            "troche",
            "--override",
            "agreed in a test run",
        ],
    )
    .ok();
    run(&home, &["assess", "phq9", "--answers", "0,0,0,0,0,0,0,0,0"]).ok();
    run(&home, &["sync"]).ok();
    let second = check(&clinic, "after a dose and a questionnaire");
    assert_ne!(first["doses_7d"], second["doses_7d"]);
    assert_eq!(second["latest_phq9"], json!(0));
    let id: i64 = sql(
        &db,
        &format!("SELECT max(record_id) FROM record WHERE patient_id = {p} AND kind = 'dose'"),
    )[0]
    .get(0);
    run(
        &home,
        &["dose", "delete", &id.to_string(), "--reason", "test"],
    )
    .ok();
    run(&home, &["sync"]).ok();
    let third = check(&clinic, "after the dose was deleted");
    assert_eq!(third["doses_7d"], first["doses_7d"]);
    // A database from before the digest: the server works every digest out on its way up.
    drop(clinic);
    exec(
        &db,
        // Schema 6 as it was: before 0011's triage counts, 0010's sort keys, 0009's audit lines,
        // 0008's keys and 0007's digest.
        "ALTER POLICY audit_patient ON audit
           USING (dosewise_role() = 'patient' AND patient_id = dosewise_setting('dosewise.patient'));
         ALTER TABLE audit DROP COLUMN patients;
         ALTER TABLE record DROP CONSTRAINT record_device_fkey;
         ALTER TABLE device DROP CONSTRAINT device_pkey, ADD PRIMARY KEY (id);
         ALTER TABLE record ADD CONSTRAINT record_device_id_fkey FOREIGN KEY (device_id) REFERENCES device (id);
         ALTER TABLE triage DROP CONSTRAINT triage_pkey, ADD PRIMARY KEY (id);
         DROP INDEX triage_id;
         ALTER TABLE share_grant DROP CONSTRAINT share_grant_pkey, ADD PRIMARY KEY (id);
         ALTER TABLE patient_note DROP CONSTRAINT patient_note_pkey, ADD PRIMARY KEY (id);
         ALTER TABLE audit DROP CONSTRAINT audit_pkey, ADD PRIMARY KEY (id);
         DROP TABLE digest; DROP INDEX triage_open;
         DROP TRIGGER triage_open_count ON triage; DROP FUNCTION dosewise_triage_count();
         DROP TABLE triage_open_count;
         ALTER TABLE device ADD COLUMN token_hash TEXT UNIQUE;
         UPDATE device d SET token_hash = t.token_hash FROM device_token t
           WHERE t.patient_id = d.patient_id AND t.device_id = d.id;
         ALTER TABLE device ALTER COLUMN token_hash SET NOT NULL; DROP TABLE device_token;
         DROP TRIGGER share_grant_counts ON share_grant; DROP FUNCTION dosewise_grant_counts();
         DROP TRIGGER account_grant_name ON account; DROP FUNCTION dosewise_grant_name();
         DROP TRIGGER share_grant_name_key ON share_grant; DROP FUNCTION dosewise_grant_name_key();
         ALTER TABLE share_grant DROP COLUMN open_items, DROP COLUMN urgent_items,
           DROP COLUMN name_key;
         UPDATE dosewise_clinic_schema SET version = 6",
    )
    .unwrap_or_else(|e| panic!("{e}"));
    let clinic = Clinic::start(&db, port);
    assert_eq!(shown(&clinic), third);
    assert_eq!(
        sql(&db, "SELECT version FROM dosewise_clinic_schema")[0].get::<_, i64>(0),
        16
    );
    open_counts_agree(&db);
    // The sort keys worked out with the digests agree with the bodies they sit beside.
    let disagree = sql(
        &db,
        "SELECT category, count(*) FROM digest
         WHERE CASE category
           WHEN 'doses' THEN latest_at IS DISTINCT FROM (body::jsonb->'last'->>0)::bigint
             OR cardinality(recent_at) IS DISTINCT FROM jsonb_array_length(body::jsonb->'recent')
             OR recent_mg IS DISTINCT FROM ARRAY(SELECT (e->>2)::float8 FROM jsonb_array_elements(body::jsonb->'recent') e)
           WHEN 'checkins' THEN latest_at IS DISTINCT FROM (body::jsonb->>'last')::bigint
             OR latest_id IS DISTINCT FROM (body::jsonb->>'id')::bigint
             OR latest_id IS DISTINCT FROM (SELECT r.record_id FROM record r
               WHERE r.patient_id = digest.patient_id AND r.kind = 'checkin' AND NOT r.deleted
               ORDER BY r.at_us DESC, r.record_id DESC LIMIT 1)
           WHEN 'questionnaires' THEN latest_score IS DISTINCT FROM (body::jsonb->'phq9'->>1)::int
           ELSE latest_at IS NOT NULL OR latest_score IS NOT NULL OR recent_at IS NOT NULL END
         GROUP BY category",
    );
    assert!(
        disagree.is_empty(),
        "{:?}",
        disagree
            .iter()
            .map(|r| r.get::<_, String>(0))
            .collect::<Vec<_>>()
    );
    assert_eq!(
        sql(
            &db,
            "SELECT count(*) FROM digest WHERE category = 'doses' AND cardinality(recent_at) > 0"
        )[0]
        .get::<_, i64>(0),
        1
    );
    // The sync still works on the keys the migrations left.
    run(
        &home,
        &[
            "dose",
            "1/4",
            "troche",
            "--override",
            "agreed in a test run",
        ],
    )
    .ok();
    run(&home, &["sync"]).ok();
    check(&clinic, "after the migrations");
}

/// Every table's primary key, against the plan in docs/scaling.md for spreading the clinic
/// over several database nodes: patient data keyed by the patient first (and its foreign keys
/// among patient tables carrying the patient), the audit log by clinic, secrets' lookups by
/// their hash, two small reference tables. A new table fails here until it is placed.
#[test]
fn every_table_is_keyed_for_distribution_by_patient() {
    let db = database("keys");
    let clinic = Clinic::start(&db, 0);
    drop(clinic);
    let rows = sql(
        &db,
        "SELECT c.relname::text,
                coalesce((SELECT array_agg(a.attname::text ORDER BY k.ord)
                          FROM pg_index i, unnest(i.indkey) WITH ORDINALITY k(attnum, ord), pg_attribute a
                          WHERE i.indrelid = c.oid AND i.indisprimary AND a.attrelid = c.oid AND a.attnum = k.attnum),
                         '{}')
         FROM pg_class c WHERE c.relnamespace = 'public'::regnamespace AND c.relkind = 'r' ORDER BY 1",
    );
    let keys: Vec<(String, Vec<String>)> = rows.iter().map(|r| (r.get(0), r.get(1))).collect();
    let placed = |table: &str| -> Option<&str> {
        Some(match table {
            "record" | "digest" | "triage" | "triage_open_count" | "share_grant" | "device"
            | "prescription" | "patient_note" => "patient_id",
            "audit" => "clinic_id",
            "session" | "device_token" => "token_hash",
            "invite" | "password_reset" => "code_hash",
            "login_failure" => "key",
            "clinic" | "account" => "id",
            "dosewise_clinic_schema" => "",
            _ => return None,
        })
    };
    let mut report = String::new();
    for (table, key) in &keys {
        let lead = placed(table).unwrap_or_else(|| {
            panic!("the table {table} (key {key:?}) is not placed in docs/scaling.md's plan")
        });
        report.push_str(&format!("{table}: ({})\n", key.join(", ")));
        assert_eq!(
            key.first().map(String::as_str).unwrap_or(""),
            lead,
            "{table}'s key {key:?} must lead with {lead:?}"
        );
    }
    assert!(keys.len() >= 16, "{report}");
    // Citus enforces a unique constraint only when it holds the distribution column: every
    // unique index of a distributed table does (a device's token was unique on its own once).
    let unique = sql(
        &db,
        "SELECT c.relname::text, i.indexrelid::regclass::text,
                (SELECT array_agg(a.attname::text) FROM unnest(i.indkey) k(attnum)
                 JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum = k.attnum)
         FROM pg_index i JOIN pg_class c ON c.oid = i.indrelid
         WHERE c.relnamespace = 'public'::regnamespace AND i.indisunique",
    );
    for r in &unique {
        let (table, index, cols): (String, String, Vec<String>) = (r.get(0), r.get(1), r.get(2));
        match placed(&table) {
            Some("id" | "") | None => {}
            Some(lead) => assert!(
                cols.iter().any(|c| c == lead),
                "{index} on {table} ({cols:?}) is unique without {lead}"
            ),
        }
    }
    // Foreign keys between two patient tables carry the patient (so they stay on one node).
    let fks = sql(
        &db,
        "SELECT conrelid::regclass::text, confrelid::regclass::text,
                (SELECT array_agg(a.attname::text ORDER BY k.ord) FROM unnest(conkey) WITH ORDINALITY k(attnum, ord)
                 JOIN pg_attribute a ON a.attrelid = conrelid AND a.attnum = k.attnum)
         FROM pg_constraint WHERE contype = 'f' AND connamespace = 'public'::regnamespace",
    );
    let mut between = 0;
    for r in &fks {
        let (from, to, cols): (String, String, Vec<String>) = (r.get(0), r.get(1), r.get(2));
        let patient = |t: &str| placed(t) == Some("patient_id");
        if patient(&from) && patient(&to) {
            between += 1;
            assert_eq!(
                cols.first().map(String::as_str),
                Some("patient_id"),
                "{from} -> {to}: {cols:?}"
            );
        } else {
            // Anything else points at a reference table.
            assert!(
                matches!(to.as_str(), "clinic" | "account"),
                "{from} -> {to}: {cols:?}"
            );
        }
    }
    assert!(between >= 1, "record -> device is one: {fks:?}");
    eprintln!("{report}");
}

/// The caseload and the triage queue come a page at a time, ordered by the server: every
/// order, walked page by page, gives every patient once, in the order of the figures on the
/// rows themselves (ties by name); a name filter finds any part of a name, its wildcards
/// taken as they are; a page past the last is empty with the totals; a query the server cannot
/// mean is refused whole; the audit line names the page's patients only; the page links keep
/// the order and the filter.
#[test]
fn the_caseload_comes_a_page_at_a_time_in_the_order_asked() {
    let db = database("paging");
    let clinic = Clinic::start(&db, 0);
    let (_, dr, _) = clinic.clinic("pg");
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    // Three demo journals synced (one with a dose more), two connected with nothing shared yet.
    let names = ["ada Lovelace", "Bea 100%_off", "Cy Young", "dee Dee", "Eve"];
    let mut ids = Vec::new();
    for (n, name) in names.iter().enumerate() {
        let home = dir.path().join(format!("p{n}"));
        ids.push(patient(&home, &clinic, &clinic.patient_invite(&dr), name));
        if n == 1 {
            run(
                &home,
                &[
                    "dose",
                    "1/4",
                    "troche",
                    "--override",
                    "agreed in a test run",
                ],
            )
            .ok();
        }
        if n < 3 {
            run(&home, &["sync"]).ok();
        }
    }
    ids.sort_unstable();
    let ts = |v: &Value| {
        v.as_str()
            .and_then(|s| s.parse::<jiff::Timestamp>().ok())
            .map(|t| t.as_microsecond() as f64)
    };
    // Each order's key, smallest first, from what a row shows.
    let key = |sort: &str, r: &Value| -> (Vec<f64>, String) {
        let f = |k: &str| r[k].as_f64().unwrap_or(0.0);
        match sort {
            "flags" => (vec![-f("urgent_triage"), -f("open_triage")], String::new()),
            "dose" => match ts(&r["last_dose"]) {
                Some(t) => (vec![0.0, -t], String::new()),
                None => (vec![1.0, 0.0], String::new()),
            },
            "week" => (vec![-f("mg_7d")], String::new()),
            "plan" => match (&r["adherence"], r["adherence"]["ratio"].as_f64()) {
                (Value::Null, _) => (vec![3.0, 0.0], String::new()),
                (a, ratio) => (
                    vec![
                        ratio.unwrap_or(2.0),
                        -a["off_plan_doses"].as_f64().unwrap_or(0.0),
                    ],
                    String::new(),
                ),
            },
            "checkin" => match ts(&r["last_checkin"]) {
                Some(t) => (vec![1.0, t], String::new()),
                None => (vec![0.0, 0.0], String::new()),
            },
            "scores" => match r["latest_phq9"].as_f64() {
                Some(s) => (vec![0.0, -s], String::new()),
                None => (vec![1.0, 0.0], String::new()),
            },
            "refill" => match r["next_refill"].as_str() {
                Some(d) => (vec![0.0], d.to_string()),
                None => (vec![1.0], String::new()),
            },
            _ => (vec![], String::new()),
        }
    };
    let sorts = [
        "name", "flags", "dose", "week", "plan", "checkin", "scores", "refill",
    ];
    for sort in sorts {
        let mut seen: Vec<Value> = Vec::new();
        for page in 1..=3 {
            let v = clinic.ok(
                "GET",
                &format!("/api/v1/patients?sort={sort}&page={page}&per_page=2"),
                Some(&dr),
                None,
            );
            assert_eq!(
                (
                    v["total"].clone(),
                    v["pages"].clone(),
                    v["page"].clone(),
                    v["sort"].clone()
                ),
                (json!(5), json!(3), json!(page), json!(sort)),
                "{v}"
            );
            let rows = v["patients"].as_array().cloned().unwrap_or_default();
            assert_eq!(
                rows.len(),
                if page < 3 { 2 } else { 1 },
                "{sort} {page}: {v}"
            );
            seen.extend(rows);
        }
        let mut got: Vec<i64> = seen.iter().filter_map(|r| r["patient"].as_i64()).collect();
        let order = got.clone();
        got.sort_unstable();
        assert_eq!(got, ids, "{sort}: every patient once");
        for w in seen.windows(2) {
            let (a, b) = (&w[0], &w[1]);
            let whole = |r: &Value| {
                let (k, s) = key(sort, r);
                (
                    k,
                    s,
                    r["name"].as_str().unwrap_or("").to_lowercase(),
                    r["patient"].as_i64(),
                )
            };
            let (x, y) = (whole(a), whole(b));
            let cmp =
                x.0.iter()
                    .zip(&y.0)
                    .map(|(p, q)| p.total_cmp(q))
                    .find(|o| o.is_ne())
                    .unwrap_or(std::cmp::Ordering::Equal)
                    .then(x.1.cmp(&y.1))
                    .then(x.2.cmp(&y.2))
                    .then(x.3.cmp(&y.3));
            assert_ne!(
                cmp,
                std::cmp::Ordering::Greater,
                "{sort}: {order:?}\n{a}\n{b}"
            );
        }
        if sort == "week" || sort == "dose" {
            // The patient with a dose more leads; those who shared nothing come last.
            assert_eq!(seen[0]["name"], "Bea 100%_off", "{sort}");
            assert!(
                seen[3]["last_dose"].is_null() && seen[4]["last_dose"].is_null(),
                "{sort}"
            );
        }
    }
    // The name filter: any part, any case; % and _ are characters, not wildcards.
    let named = |q: &str| -> Vec<String> {
        let v = clinic.ok(
            "GET",
            &format!("/api/v1/patients?sort=name&q={q}"),
            Some(&dr),
            None,
        );
        assert_eq!(
            v["total"].as_u64(),
            v["patients"].as_array().map(|a| a.len() as u64),
            "{v}"
        );
        v["patients"]
            .as_array()
            .map(|a| {
                a.iter()
                    .filter_map(|r| r["name"].as_str().map(String::from))
                    .collect()
            })
            .unwrap_or_default()
    };
    assert_eq!(named("%25_"), ["Bea 100%_off"]);
    assert_eq!(named("DEE"), ["dee Dee"]);
    assert_eq!(
        named("e"),
        ["ada Lovelace", "Bea 100%_off", "dee Dee", "Eve"]
    );
    assert!(named("zz").is_empty());
    assert_eq!(named("%20%20").len(), 5, "blank is no filter");
    // Past the last page: nothing, and the totals.
    let v = clinic.ok("GET", "/api/v1/patients?page=9&per_page=2", Some(&dr), None);
    assert_eq!(
        (
            v["patients"].clone(),
            v["total"].clone(),
            v["pages"].clone()
        ),
        (json!([]), json!(5), json!(3))
    );
    // Refused whole, saying what is wrong.
    for bad in [
        "sort=bogus",
        "page=0",
        "page=-1",
        "per_page=0",
        "per_page=101",
        "per_page=ten",
        "page=1&page=2",
        "colour=red",
        "q=a%01b",
        "q=%09a",
    ] {
        let (status, v) = clinic.call("GET", &format!("/api/v1/patients?{bad}"), Some(&dr), None);
        assert_eq!(status, 400, "{bad}: {v}");
        assert!(
            v["error"]["message"].as_str().is_some_and(|m| m.len() > 10),
            "{bad}: {v}"
        );
    }
    // The audit line names the page's two patients, not the five.
    let v = clinic.ok(
        "GET",
        "/api/v1/patients?sort=name&per_page=2",
        Some(&dr),
        None,
    );
    let mut shown: Vec<i64> = v["patients"]
        .as_array()
        .map(|a| a.iter().filter_map(|r| r["patient"].as_i64()).collect())
        .unwrap_or_default();
    shown.sort_unstable();
    let line = sql(
        &db,
        "SELECT patients FROM audit WHERE what = 'caseload rows' ORDER BY id DESC LIMIT 1",
    );
    let mut named_in_audit: Vec<i64> = line[0].get::<_, Option<Vec<i64>>>(0).unwrap_or_default();
    named_in_audit.sort_unstable();
    assert_eq!((named_in_audit, shown.len()), (shown, 2));
    // The triage queue, page by page: each open item once, urgent first.
    let whole = clinic.ok("GET", "/api/v1/triage", Some(&dr), None);
    let total = whole["total"].as_i64().unwrap_or(0);
    assert!(total > 0, "the demo journals raise triage items: {whole}");
    let mut items: Vec<Value> = Vec::new();
    let pages = (total + 2) / 3;
    for page in 1..=pages {
        let v = clinic.ok(
            "GET",
            &format!("/api/v1/triage?per_page=3&page={page}"),
            Some(&dr),
            None,
        );
        assert_eq!(
            (
                v["total"].as_i64(),
                v["urgent"].clone(),
                v["pages"].as_i64()
            ),
            (Some(total), whole["urgent"].clone(), Some(pages)),
            "{v}"
        );
        items.extend(v["items"].as_array().cloned().unwrap_or_default());
    }
    let mut item_ids: Vec<i64> = items.iter().filter_map(|i| i["id"].as_i64()).collect();
    assert_eq!(
        items,
        whole["items"].as_array().cloned().unwrap_or_default()
    );
    item_ids.dedup();
    assert_eq!(item_ids.len() as i64, total);
    assert!(
        items
            .windows(2)
            .all(|w| w[0]["urgent"].as_bool() >= w[1]["urgent"].as_bool())
    );
    let (status, _) = clinic.call("GET", "/api/v1/triage?per_page=500", Some(&dr), None);
    assert_eq!(status, 400);
    // The page, as a browser has it: its links keep the order and the filter.
    let signed = clinic.ok("GET", "/api/v1/me", Some(&dr), None);
    assert!(signed["role"] == "clinician", "{signed}");
    let cookie = format!("dosewise_clinic={dr}");
    let (status, _, body) = common::server::http_full(
        &clinic.addr,
        &clinic.addr,
        "GET",
        "/?sort=week&q=e",
        None,
        &[("Cookie", &cookie)],
    );
    assert_eq!(status, 200, "{body}");
    assert!(
        body.contains("4 patients named like “e” share with you."),
        "{body}"
    );
    assert!(body.contains("href=\"/?sort=name&amp;q=e\""), "{body}");
    let (status, _, body) = common::server::http_full(
        &clinic.addr,
        &clinic.addr,
        "GET",
        "/?sort=bogus&page=x",
        None,
        &[("Cookie", &cookie)],
    );
    assert_eq!(
        status, 200,
        "a hand-edited address still gets the page: {body}"
    );
    assert!(body.contains("Sorted by open flags."), "{body}");
    open_counts_agree(&db);
    // A page in the middle: where it lies, and links either side that keep the order.
    let (status, _, body) = common::server::http_full(
        &clinic.addr,
        &clinic.addr,
        "GET",
        "/?sort=name&per_page=2&page=2",
        None,
        &[("Cookie", &cookie)],
    );
    assert_eq!(status, 200, "{body}");
    assert!(
        body.contains("5 patients share with you. Showing 3–4, sorted by patient."),
        "{body}"
    );
    assert!(body.contains("Page 2 of 3"), "{body}");
    assert!(
        body.contains("rel=\"prev\" href=\"/?sort=name&amp;per_page=2\""),
        "{body}"
    );
    assert!(
        body.contains("rel=\"next\" href=\"/?sort=name&amp;page=3&amp;per_page=2\""),
        "{body}"
    );
    assert!(
        body.contains(">Cy Young<") && body.contains(">dee Dee<") && !body.contains(">Eve<"),
        "{body}"
    );
    // A patient renamed (by hand, in the database) moves in the name order with the name.
    exec(
        &db,
        &format!(
            "UPDATE account SET name = 'Aaron First' WHERE id = {}",
            ids[4]
        ),
    )
    .unwrap_or_else(|e| panic!("{e}"));
    open_counts_agree(&db);
    let first = clinic.ok(
        "GET",
        "/api/v1/patients?sort=name&per_page=1",
        Some(&dr),
        None,
    );
    assert_eq!(first["patients"][0]["name"], "Aaron First", "{first}");
}

/// A sync batch is written set-wise, and ends as if applied entry by entry in order: a record
/// sent twice ends as its last body with the items every body raised; a withdrawal in between
/// takes away what came before it; a record put and then withdrawn is gone with its items; the
/// same batch again changes nothing.
#[test]
fn a_batch_ends_as_if_applied_entry_by_entry() {
    let db = database("batch");
    let clinic = Clinic::start(&db, 0);
    let (_, dr, _) = clinic.clinic("batch");
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let home = dir.path().join("p");
    let p = patient(&home, &clinic, &clinic.patient_invite(&dr), "Pat Batch");
    run(&home, &["checkin", "--mood", "5", "--urinary", "frequency"]).ok();
    run(&home, &["sync"]).ok();
    let device = device_token(&home);
    let base: Value = sql(
        &db,
        &format!("SELECT body FROM record WHERE patient_id = {p} AND kind = 'checkin' ORDER BY record_id DESC LIMIT 1"),
    )[0]
    .get(0);
    let body = |id: i64, urinary: &[&str], note: &str| {
        let mut b = base.clone();
        b["id"] = json!(id);
        b["urinary"] = json!(urinary);
        b["note"] = json!(note);
        b
    };
    let (x, y, z) = (900_001_i64, 900_002_i64, 900_003_i64);
    let last = clinic.ok("GET", "/api/v1/sync", Some(&device), None)["last_idx"]
        .as_i64()
        .unwrap_or(0);
    let sent = [
        (x, Some(body(x, &["frequency"], "first"))),
        (y, Some(body(y, &["blood"], "first"))),
        (z, Some(body(z, &["frequency"], "first"))),
        (x, Some(body(x, &[], "second"))),
        (y, None),
        (z, None),
        (y, Some(body(y, &[], "second"))),
    ];
    let entries: Vec<Value> = sent
        .iter()
        .enumerate()
        .map(|(n, (id, b))| json!({ "idx": last + 1 + n as i64, "kind": "checkin", "id": id, "body": b }))
        .collect();
    let batch = json!({ "entries": entries });
    let pushed = clinic.ok("POST", "/api/v1/sync", Some(&device), Some(batch.clone()));
    assert_eq!(pushed["applied"], json!(sent.len()), "{pushed}");
    let state = || {
        let records: Vec<(i64, Option<String>, Value)> = sql(
            &db,
            &format!("SELECT record_id, body->>'note', body->'urinary' FROM record WHERE patient_id = {p} AND record_id > 900000 ORDER BY record_id"),
        )
        .iter()
        .map(|r| (r.get(0), r.get(1), r.get(2)))
        .collect();
        let items: Vec<(i64, String, bool)> = sql(
            &db,
            &format!("SELECT source_id, kind, urgent FROM triage WHERE patient_id = {p} AND source_id > 900000 ORDER BY source_id, kind"),
        )
        .iter()
        .map(|r| (r.get(0), r.get(1), r.get(2)))
        .collect();
        (records, items)
    };
    let (records, items) = state();
    assert_eq!(
        records,
        vec![
            (x, Some("second".to_string()), json!([])),
            (y, Some("second".to_string()), json!([])),
        ]
    );
    // x's first body raised an item, its second none: the item stays, as it would one by one;
    // y's urgent item went with its withdrawal; z went with its.
    assert_eq!(items, vec![(x, "urinary".to_string(), false)]);
    let again = clinic.ok("POST", "/api/v1/sync", Some(&device), Some(batch));
    assert_eq!(again["applied"], json!(0), "{again}");
    assert_eq!(state(), (records, items));
    // The open counts the caseload sorts by follow raising, withdrawing and acknowledging.
    open_counts_agree(&db);
    let row = |clinic: &Clinic| {
        let v = clinic.ok("GET", "/api/v1/patients", Some(&dr), None);
        (
            v["patients"][0]["open_triage"].as_i64(),
            v["patients"][0]["urgent_triage"].as_i64(),
        )
    };
    let before = row(&clinic);
    let x_item = sql(
        &db,
        &format!("SELECT id FROM triage WHERE patient_id = {p} AND source_id = {x}"),
    )[0]
    .get::<_, i64>(0);
    clinic.ok(
        "POST",
        &format!("/api/v1/triage/{x_item}/ack"),
        Some(&dr),
        None,
    );
    open_counts_agree(&db);
    assert_eq!(row(&clinic), (before.0.map(|n| n - 1), before.1));
}

/// The open triage counts kept beside `triage` are what counting the open items gives.
fn open_counts_agree(db: &str) {
    let differ = sql(
        db,
        "SELECT patient_id, category FROM (
           SELECT patient_id, category, open, urgent FROM triage_open_count WHERE open > 0
           EXCEPT
           SELECT patient_id, category, count(*)::int, (count(*) FILTER (WHERE urgent))::int
           FROM triage WHERE acknowledged_at IS NULL GROUP BY patient_id, category) x
         UNION ALL
         SELECT patient_id, category FROM (
           SELECT patient_id, category, count(*)::int, (count(*) FILTER (WHERE urgent))::int
           FROM triage WHERE acknowledged_at IS NULL GROUP BY patient_id, category
           EXCEPT
           SELECT patient_id, category, open, urgent FROM triage_open_count) y",
    );
    assert!(differ.is_empty(), "{} counts differ", differ.len());
    let negative = sql(
        db,
        "SELECT count(*) FROM triage_open_count WHERE open < 0 OR urgent < 0 OR urgent > open",
    );
    assert_eq!(negative[0].get::<_, i64>(0), 0);
    // Each grant's counts: the open items of the categories it covers.
    let grants = sql(
        db,
        "SELECT g.id FROM share_grant g CROSS JOIN LATERAL (
           SELECT count(*)::int AS open, (count(*) FILTER (WHERE t.urgent))::int AS urgent
           FROM triage t
           WHERE t.patient_id = g.patient_id AND t.acknowledged_at IS NULL
             AND t.category = ANY (g.categories)) k
         WHERE g.open_items <> k.open OR g.urgent_items <> k.urgent",
    );
    assert!(grants.is_empty(), "{} grants' counts differ", grants.len());
    // … and their name keys, the patient's name as the caseload's order compares it.
    let names = sql(
        db,
        "SELECT count(*) FROM share_grant g JOIN account a ON a.id = g.patient_id
         WHERE g.name_key <> lower(a.name)",
    );
    assert_eq!(names[0].get::<_, i64>(0), 0, "grants' name keys differ");
}
