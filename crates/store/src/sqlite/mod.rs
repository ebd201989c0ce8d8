//! The embedded SQLite backend: one file in the person's home, opened with one connection.
//!
//! Opening is cheap on purpose (a short command should feel instant): one connection, WAL
//! journal, a busy timeout so a CLI command and the web server can write at the same time, and
//! a schema check that reads `PRAGMA user_version` instead of a migrations table. Every write
//! that touches more than one row runs in a `BEGIN IMMEDIATE` transaction.

mod cipher;
mod rows;
mod writes;

pub use cipher::{convert, temp_path as cipher_temp_path};

use crate::{ImportReport, LoggedDose, Passphrase, Result, Store, StoreError, Window};
use dosewise_core::checkin::{Checkin, NewCheckin};
use dosewise_core::dose::{Dose, DoseRevision, NewDose, RevisionAction};
use dosewise_core::jiff::Timestamp;
use dosewise_core::jiff::civil::Date;
use dosewise_core::journal::{FORMAT, Journal, VERSION};
use dosewise_core::medication::{Medication, NewMedication, NewSubstanceUse, SubstanceUse};
use dosewise_core::profile::Profile;
use dosewise_core::protocol::{NewProtocol, Protocol, ProtocolEvent, ProtocolEventKind, Status};
use dosewise_core::questionnaire::{Assessment, NewAssessment};
use dosewise_core::route::Substance;
use dosewise_core::safety::{Clearance, ClearanceTopic};
use dosewise_core::stock::{Adjustment, NewStock, Stock, StockEvent};
use dosewise_core::vitals::{NewVitals, Vitals};
use rows::micros;
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqliteRow, SqliteSynchronous};
use sqlx::{ConnectOptions, Connection, SqliteConnection};
use std::path::Path;
use std::time::Duration;

/// Marks a database file as Dosewise's (`PRAGMA application_id`; "DOSE" in ASCII).
pub const APPLICATION_ID: i64 = 0x444F_5345;

/// Schema migrations, applied in order; the index + 1 is the schema version.
const MIGRATIONS: &[&str] = &[
    include_str!("../../migrations/sqlite/0001_init.sql"),
    include_str!("../../migrations/sqlite/0002_protocols.sql"),
    include_str!("../../migrations/sqlite/0003_safety.sql"),
    include_str!("../../migrations/sqlite/0004_assessments.sql"),
];

/// The schema version this build writes.
pub const SCHEMA_VERSION: i64 = MIGRATIONS.len() as i64;

/// How long a writer waits for another writer before giving up.
pub const BUSY_TIMEOUT: Duration = Duration::from_secs(10);

#[derive(Debug)]
pub struct SqliteStore {
    conn: SqliteConnection,
}

impl SqliteStore {
    /// Open (creating if needed) the database at `path` and bring its schema up to date.
    pub async fn open(path: &Path) -> Result<Self> {
        Self::open_with(path, None).await
    }

    /// Open with a passphrase when the journal is encrypted (SQLCipher). A plaintext journal
    /// opened with a key, or an encrypted one opened without, fails with a clear error.
    pub async fn open_with(path: &Path, key: Option<&Passphrase>) -> Result<Self> {
        let state = file_state(path);
        match (state, key) {
            (FileState::Encrypted, None) => return Err(StoreError::Encrypted),
            (FileState::Plain, Some(_)) => {
                return Err(StoreError::Conversion(
                    "this journal is not encrypted; encrypt it with `dosewise encrypt`".into(),
                ));
            }
            _ => {}
        }
        if key.is_some() {
            quiet_sqlcipher().await?;
        }
        let opts = connect_options(path, key, SqliteJournalMode::Wal).create_if_missing(true);
        let conn = opts
            .connect()
            .await
            .map_err(|e| key_error(e, key.is_some()))?;
        let mut store = SqliteStore { conn };
        store.migrate(path).await.map_err(|e| match e {
            StoreError::Database(e) => key_error(e, key.is_some()),
            other => other,
        })?;
        Ok(store)
    }

    /// An in-memory database (tests).
    pub async fn memory() -> Result<Self> {
        let opts = SqliteConnectOptions::new()
            .in_memory(true)
            .foreign_keys(true)
            .disable_statement_logging();
        let conn = opts.connect().await?;
        let mut store = SqliteStore { conn };
        store.migrate(Path::new(":memory:")).await?;
        Ok(store)
    }

    /// The schema version of the open database.
    pub async fn schema_version(&mut self) -> Result<i64> {
        Ok(sqlx::query_scalar("PRAGMA user_version")
            .fetch_one(&mut self.conn)
            .await?)
    }

    async fn migrate(&mut self, path: &Path) -> Result<()> {
        let version = self.schema_version().await?;
        if version == SCHEMA_VERSION {
            return Ok(());
        }
        if version > SCHEMA_VERSION {
            return Err(StoreError::NewerSchema {
                found: version,
                known: SCHEMA_VERSION,
            });
        }
        let app: i64 = sqlx::query_scalar("PRAGMA application_id")
            .fetch_one(&mut self.conn)
            .await?;
        let tables: i64 = sqlx::query_scalar("SELECT count(*) FROM sqlite_master")
            .fetch_one(&mut self.conn)
            .await?;
        if app != APPLICATION_ID && (tables > 0 || version > 0) {
            return Err(StoreError::NotOurs(path.display().to_string()));
        }
        for (i, sql) in MIGRATIONS
            .iter()
            .enumerate()
            .skip(usize::try_from(version).unwrap_or(0))
        {
            let mut tx = self.conn.begin_with("BEGIN IMMEDIATE").await?;
            sqlx::raw_sql(sqlx::AssertSqlSafe(*sql))
                .execute(&mut *tx)
                .await?;
            // PRAGMA values cannot be bound; both are integers produced here.
            let set = format!(
                "PRAGMA application_id = {APPLICATION_ID}; PRAGMA user_version = {}",
                i + 1
            );
            sqlx::raw_sql(sqlx::AssertSqlSafe(set))
                .execute(&mut *tx)
                .await?;
            tx.commit().await?;
        }
        Ok(())
    }

    /// Run `PRAGMA integrity_check` and return its verdict ("ok" when sound).
    pub async fn integrity_check(&mut self) -> Result<String> {
        Ok(sqlx::query_scalar("PRAGMA integrity_check")
            .fetch_one(&mut self.conn)
            .await?)
    }

    pub async fn close(self) -> Result<()> {
        Ok(self.conn.close().await?)
    }
}

/// Whether a journal file is missing, plaintext SQLite, or (anything else) encrypted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FileState {
    Missing,
    Plain,
    Encrypted,
}

/// Read the first 16 bytes: plaintext SQLite files start with "SQLite format 3\0"; SQLCipher
/// files look like random bytes from the first byte on.
pub fn file_state(path: &Path) -> FileState {
    use std::io::Read;
    let Ok(mut f) = std::fs::File::open(path) else {
        return FileState::Missing;
    };
    let mut head = [0u8; 16];
    match f.read(&mut head) {
        Ok(0) | Err(_) => FileState::Missing,
        Ok(n) if n == 16 && &head == b"SQLite format 3\0" => FileState::Plain,
        Ok(_) => FileState::Encrypted,
    }
}

/// Connection options shared by every open: key first (SQLCipher needs it before anything
/// else; sqlx orders it so), quiet SQLCipher logging, and Dosewise's durability settings.
pub(crate) fn connect_options(
    path: &Path,
    key: Option<&Passphrase>,
    journal: SqliteJournalMode,
) -> SqliteConnectOptions {
    let mut opts = SqliteConnectOptions::new();
    if let Some(k) = key {
        // The literal lives in the options only until they are dropped after connecting.
        opts = opts.pragma("key", k.sql_literal().to_string());
    }
    opts.pragma("cipher_log_level", "NONE")
        .filename(path)
        .journal_mode(journal)
        // FULL: a dose acknowledged to the person survives a power cut, not only a crash.
        .synchronous(SqliteSynchronous::Full)
        .busy_timeout(BUSY_TIMEOUT)
        .foreign_keys(true)
        .disable_statement_logging()
}

/// SQLCipher logs decryption failures (a wrong passphrase) to stderr by default. Its log level
/// is process-wide, and a connection's own pragmas run only after the key has been tried, so
/// set it once on a throwaway in-memory connection before any keyed open.
pub(crate) async fn quiet_sqlcipher() -> Result<()> {
    static DONE: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);
    if DONE.load(std::sync::atomic::Ordering::Relaxed) {
        return Ok(());
    }
    let mut c = SqliteConnectOptions::new()
        .in_memory(true)
        .disable_statement_logging()
        .connect()
        .await?;
    sqlx::query("PRAGMA cipher_log_level = NONE")
        .execute(&mut c)
        .await?;
    c.close().await?;
    DONE.store(true, std::sync::atomic::Ordering::Relaxed);
    Ok(())
}

/// "file is not a database" (SQLITE_NOTADB) after a key means the key is wrong.
pub(crate) fn key_error(e: sqlx::Error, keyed: bool) -> StoreError {
    match &e {
        sqlx::Error::Database(db)
            if db.code().as_deref() == Some("26") || db.message().contains("not a database") =>
        {
            if keyed {
                StoreError::WrongPassphrase
            } else {
                StoreError::Encrypted
            }
        }
        _ => StoreError::Database(e),
    }
}

impl SqliteStore {
    /// Rows of a `SELECT … WHERE at >= ?1 AND at < ?2 …` query over a time window.
    async fn windowed<T>(
        &mut self,
        sql: &'static str,
        w: Window,
        map: fn(&SqliteRow) -> Result<T>,
    ) -> Result<Vec<T>> {
        let (from, to) = window_bounds(w);
        let rows = sqlx::query(sql)
            .bind(from)
            .bind(to)
            .fetch_all(&mut self.conn)
            .await?;
        rows.iter().map(map).collect()
    }
}

fn window_bounds(w: Window) -> (i64, i64) {
    (
        w.from.map_or(i64::MIN, micros),
        w.to.map_or(i64::MAX, micros),
    )
}

impl Store for SqliteStore {
    async fn profile(&mut self) -> Result<Option<Profile>> {
        let row = sqlx::query("SELECT * FROM profile WHERE id = 1")
            .fetch_optional(&mut self.conn)
            .await?;
        row.as_ref().map(rows::profile).transpose()
    }

    async fn save_profile(&mut self, p: &Profile) -> Result<()> {
        writes::save_profile(&mut self.conn, p).await
    }

    async fn add_stock(&mut self, s: &NewStock) -> Result<Stock> {
        let mut tx = self.conn.begin_with("BEGIN IMMEDIATE").await?;
        let stock = writes::insert_stock(&mut tx, None, s, None, None).await?;
        writes::insert_stock_event(
            &mut tx,
            &StockEvent {
                id: 0,
                stock_id: stock.id,
                at: s.created_at,
                kind: dosewise_core::stock::StockEventKind::Added,
                delta: s.remaining,
                remaining_after: s.remaining,
                dose_id: None,
                reason: None,
            },
            false,
        )
        .await?;
        tx.commit().await?;
        Ok(stock)
    }

    async fn stock(&mut self, id: i64) -> Result<Option<Stock>> {
        writes::get_stock(&mut self.conn, id).await
    }

    async fn stock_by_name(&mut self, name: &str) -> Result<Option<Stock>> {
        let row =
            sqlx::query("SELECT * FROM stock WHERE retired_at IS NULL AND lower(name) = lower(?1)")
                .bind(name.trim())
                .fetch_optional(&mut self.conn)
                .await?;
        row.as_ref().map(rows::stock).transpose()
    }

    async fn stocks(&mut self, include_retired: bool) -> Result<Vec<Stock>> {
        let rows = sqlx::query("SELECT * FROM stock WHERE ?1 OR retired_at IS NULL ORDER BY id")
            .bind(include_retired)
            .fetch_all(&mut self.conn)
            .await?;
        rows.iter().map(rows::stock).collect()
    }

    async fn stock_events(&mut self, stock_id: i64) -> Result<Vec<StockEvent>> {
        let rows = sqlx::query("SELECT * FROM stock_event WHERE stock_id = ?1 ORDER BY at, id")
            .bind(stock_id)
            .fetch_all(&mut self.conn)
            .await?;
        rows.iter().map(rows::stock_event).collect()
    }

    async fn adjust_stock(
        &mut self,
        id: i64,
        adjustment: Adjustment,
        at: Timestamp,
        reason: Option<&str>,
    ) -> Result<Stock> {
        let mut tx = self.conn.begin_with("BEGIN IMMEDIATE").await?;
        let s = writes::get_stock(&mut tx, id)
            .await?
            .ok_or(StoreError::NotFound { what: "stock", id })?;
        let delta = match adjustment {
            Adjustment::Set(v) => v - s.stock.remaining,
            Adjustment::Delta(d) => d,
        };
        writes::move_supply(
            &mut tx,
            id,
            delta,
            at,
            dosewise_core::stock::StockEventKind::Adjust,
            None,
            reason,
        )
        .await?;
        let s = writes::get_stock(&mut tx, id)
            .await?
            .ok_or(StoreError::NotFound { what: "stock", id })?;
        tx.commit().await?;
        Ok(s)
    }

    async fn update_stock(&mut self, s: &Stock) -> Result<Stock> {
        let n = sqlx::query("UPDATE stock SET name = ?1, preparation = ?2, default_route = ?3, lot = ?4, expiry = ?5, opened = ?6, note = ?7, dispensed = ?8 WHERE id = ?9")
            .bind(&s.stock.name)
            .bind(rows::json(&s.stock.preparation)?)
            .bind(rows::name_of(&s.stock.default_route))
            .bind(&s.stock.lot)
            .bind(rows::date_text(s.stock.expiry))
            .bind(rows::date_text(s.stock.opened))
            .bind(&s.stock.note)
            .bind(s.stock.dispensed)
            .bind(s.id)
            .execute(&mut self.conn)
            .await
            .map_err(|e| writes::name_conflict(e, &s.stock.name))?;
        if n.rows_affected() == 0 {
            return Err(StoreError::NotFound {
                what: "stock",
                id: s.id,
            });
        }
        writes::get_stock(&mut self.conn, s.id)
            .await?
            .ok_or(StoreError::NotFound {
                what: "stock",
                id: s.id,
            })
    }

    async fn retire_stock(
        &mut self,
        id: i64,
        at: Timestamp,
        reason: Option<&str>,
    ) -> Result<Stock> {
        let mut tx = self.conn.begin_with("BEGIN IMMEDIATE").await?;
        let s = writes::get_stock(&mut tx, id)
            .await?
            .ok_or(StoreError::NotFound { what: "stock", id })?;
        if s.is_retired() {
            tx.commit().await?;
            return Ok(s);
        }
        sqlx::query("UPDATE stock SET retired_at = ?1, retire_reason = ?2 WHERE id = ?3")
            .bind(micros(at))
            .bind(reason)
            .bind(id)
            .execute(&mut *tx)
            .await?;
        writes::insert_stock_event(
            &mut tx,
            &StockEvent {
                id: 0,
                stock_id: id,
                at,
                kind: dosewise_core::stock::StockEventKind::Retire,
                delta: 0.0,
                remaining_after: s.stock.remaining,
                dose_id: None,
                reason: reason.map(str::to_string),
            },
            false,
        )
        .await?;
        let s = writes::get_stock(&mut tx, id)
            .await?
            .ok_or(StoreError::NotFound { what: "stock", id })?;
        tx.commit().await?;
        Ok(s)
    }

    async fn log_dose(&mut self, d: &NewDose, created_at: Timestamp) -> Result<LoggedDose> {
        let mut tx = self.conn.begin_with("BEGIN IMMEDIATE").await?;
        let id = writes::insert_dose(&mut tx, None, d, created_at, None, None).await?;
        let kind = dosewise_core::stock::StockEventKind::Dose;
        let stock_remaining = match (d.stock_id, d.supply_used) {
            (Some(sid), Some(used)) => {
                Some(writes::move_supply(&mut tx, sid, -used, d.at, kind, Some(id), None).await?)
            }
            _ => None,
        };
        tx.commit().await?;
        // Stored exactly as given, so no read-back is needed (the conformance suite checks this).
        let dose = Dose {
            id,
            dose: d.clone(),
            created_at,
            updated_at: None,
            deleted_at: None,
        };
        Ok(LoggedDose {
            dose,
            stock_remaining,
        })
    }

    async fn dose(&mut self, id: i64) -> Result<Option<Dose>> {
        writes::get_dose(&mut self.conn, id).await
    }

    async fn doses(&mut self, w: Window) -> Result<Vec<Dose>> {
        let (from, to) = window_bounds(w);
        let rows = sqlx::query("SELECT * FROM dose WHERE at >= ?1 AND at < ?2 AND (?3 OR deleted_at IS NULL) ORDER BY at, id")
            .bind(from)
            .bind(to)
            .bind(w.include_deleted)
            .fetch_all(&mut self.conn)
            .await?;
        rows.iter().map(rows::dose).collect()
    }

    async fn recent_doses(&mut self, n: u32) -> Result<Vec<Dose>> {
        let rows = sqlx::query(
            "SELECT * FROM dose WHERE deleted_at IS NULL ORDER BY at DESC, id DESC LIMIT ?1",
        )
        .bind(i64::from(n))
        .fetch_all(&mut self.conn)
        .await?;
        rows.iter().map(rows::dose).collect()
    }

    async fn edit_dose(
        &mut self,
        id: i64,
        new: &NewDose,
        at: Timestamp,
        reason: Option<&str>,
    ) -> Result<Dose> {
        let mut tx = self.conn.begin_with("BEGIN IMMEDIATE").await?;
        let old = writes::revise(&mut tx, id, at, RevisionAction::Edit, reason).await?;
        let kind = dosewise_core::stock::StockEventKind::DoseEdit;
        // Return the old supply, then take the new: correct whether or not the stock changed.
        let moved = new.stock_id != old.dose.stock_id || new.supply_used != old.dose.supply_used;
        if let (true, Some(sid), Some(used)) = (moved, old.dose.stock_id, old.dose.supply_used) {
            writes::move_supply(&mut tx, sid, used, at, kind, Some(id), reason).await?;
        }
        if let (true, Some(sid), Some(used)) = (moved, new.stock_id, new.supply_used) {
            writes::move_supply(&mut tx, sid, -used, at, kind, Some(id), reason).await?;
        }
        writes::update_dose(&mut tx, id, new, at).await?;
        let dose = writes::get_dose(&mut tx, id)
            .await?
            .ok_or(StoreError::NotFound { what: "dose", id })?;
        tx.commit().await?;
        Ok(dose)
    }

    async fn delete_dose(&mut self, id: i64, at: Timestamp, reason: Option<&str>) -> Result<Dose> {
        let mut tx = self.conn.begin_with("BEGIN IMMEDIATE").await?;
        let old = writes::revise(&mut tx, id, at, RevisionAction::Delete, reason).await?;
        if let (Some(sid), Some(used)) = (old.dose.stock_id, old.dose.supply_used) {
            writes::move_supply(
                &mut tx,
                sid,
                used,
                at,
                dosewise_core::stock::StockEventKind::DoseDelete,
                Some(id),
                reason,
            )
            .await?;
        }
        sqlx::query("UPDATE dose SET deleted_at = ?1 WHERE id = ?2")
            .bind(micros(at))
            .bind(id)
            .execute(&mut *tx)
            .await?;
        let dose = writes::get_dose(&mut tx, id)
            .await?
            .ok_or(StoreError::NotFound { what: "dose", id })?;
        tx.commit().await?;
        Ok(dose)
    }

    async fn dose_revisions(&mut self, dose_id: i64) -> Result<Vec<DoseRevision>> {
        let rows = sqlx::query("SELECT * FROM dose_revision WHERE dose_id = ?1 ORDER BY id")
            .bind(dose_id)
            .fetch_all(&mut self.conn)
            .await?;
        rows.iter().map(rows::revision).collect()
    }

    async fn add_checkin(&mut self, c: &NewCheckin, created_at: Timestamp) -> Result<Checkin> {
        let id = writes::insert_checkin(&mut self.conn, None, c, created_at).await?;
        let row = sqlx::query("SELECT * FROM checkin WHERE id = ?1")
            .bind(id)
            .fetch_one(&mut self.conn)
            .await?;
        rows::checkin(&row)
    }

    async fn checkins(&mut self, w: Window) -> Result<Vec<Checkin>> {
        self.windowed(
            "SELECT * FROM checkin WHERE at >= ?1 AND at < ?2 ORDER BY at, id",
            w,
            rows::checkin,
        )
        .await
    }

    async fn last_checkin(&mut self) -> Result<Option<Checkin>> {
        let row = sqlx::query("SELECT * FROM checkin ORDER BY at DESC, id DESC LIMIT 1")
            .fetch_optional(&mut self.conn)
            .await?;
        row.as_ref().map(rows::checkin).transpose()
    }

    async fn add_protocol(
        &mut self,
        p: &NewProtocol,
        at: Timestamp,
        date: Date,
    ) -> Result<Protocol> {
        let mut tx = self.conn.begin_with("BEGIN IMMEDIATE").await?;
        let current =
            sqlx::query("SELECT * FROM protocol WHERE substance = ?1 AND status <> 'ended'")
                .bind(p.substance.as_str())
                .fetch_optional(&mut *tx)
                .await?;
        if let Some(row) = current {
            let mut old = rows::protocol(&row)?;
            old.status = Status::Ended;
            old.ended_at = Some(at);
            writes::update_protocol(&mut tx, &old).await?;
            let detail = format!("replaced by \"{}\"", p.name);
            let e = ProtocolEvent {
                id: 0,
                protocol_id: old.id,
                at,
                date,
                kind: ProtocolEventKind::Ended,
                detail: Some(detail),
            };
            writes::insert_protocol_event(&mut tx, &e, false).await?;
        }
        let id = writes::insert_protocol(&mut tx, None, p, Status::Active, &[], at, None).await?;
        let e = ProtocolEvent {
            id: 0,
            protocol_id: id,
            at,
            date,
            kind: ProtocolEventKind::Created,
            detail: None,
        };
        writes::insert_protocol_event(&mut tx, &e, false).await?;
        let created = writes::get_protocol(&mut tx, id)
            .await?
            .ok_or(StoreError::NotFound {
                what: "protocol",
                id,
            })?;
        tx.commit().await?;
        Ok(created)
    }

    async fn protocol(&mut self, id: i64) -> Result<Option<Protocol>> {
        writes::get_protocol(&mut self.conn, id).await
    }

    async fn protocols(&mut self, include_ended: bool) -> Result<Vec<Protocol>> {
        let rows =
            sqlx::query("SELECT * FROM protocol WHERE ?1 OR status <> 'ended' ORDER BY id DESC")
                .bind(include_ended)
                .fetch_all(&mut self.conn)
                .await?;
        rows.iter().map(rows::protocol).collect()
    }

    async fn current_protocol(&mut self, substance: Substance) -> Result<Option<Protocol>> {
        let row = sqlx::query("SELECT * FROM protocol WHERE substance = ?1 AND status <> 'ended'")
            .bind(substance.as_str())
            .fetch_optional(&mut self.conn)
            .await?;
        row.as_ref().map(rows::protocol).transpose()
    }

    async fn save_protocol(
        &mut self,
        p: &Protocol,
        kind: ProtocolEventKind,
        detail: Option<&str>,
        at: Timestamp,
        date: Date,
    ) -> Result<Protocol> {
        let mut tx = self.conn.begin_with("BEGIN IMMEDIATE").await?;
        writes::update_protocol(&mut tx, p).await?;
        let e = ProtocolEvent {
            id: 0,
            protocol_id: p.id,
            at,
            date,
            kind,
            detail: detail.map(str::to_string),
        };
        writes::insert_protocol_event(&mut tx, &e, false).await?;
        let saved = writes::get_protocol(&mut tx, p.id)
            .await?
            .ok_or(StoreError::NotFound {
                what: "protocol",
                id: p.id,
            })?;
        tx.commit().await?;
        Ok(saved)
    }

    async fn protocol_events(&mut self, protocol_id: i64) -> Result<Vec<ProtocolEvent>> {
        let rows =
            sqlx::query("SELECT * FROM protocol_event WHERE protocol_id = ?1 ORDER BY at, id")
                .bind(protocol_id)
                .fetch_all(&mut self.conn)
                .await?;
        rows.iter().map(rows::protocol_event).collect()
    }

    async fn add_medication(&mut self, m: &NewMedication) -> Result<Medication> {
        let mut med = Medication {
            id: 0,
            medication: m.clone(),
            removed_at: None,
        };
        med.id = writes::insert_medication(&mut self.conn, &med, false).await?;
        Ok(med)
    }

    async fn medications(&mut self, include_removed: bool) -> Result<Vec<Medication>> {
        let rows =
            sqlx::query("SELECT * FROM medication WHERE ?1 OR removed_at IS NULL ORDER BY id")
                .bind(include_removed)
                .fetch_all(&mut self.conn)
                .await?;
        rows.iter().map(rows::medication).collect()
    }

    async fn remove_medication(&mut self, id: i64, at: Timestamp) -> Result<Medication> {
        let row = sqlx::query(
            "UPDATE medication SET removed_at = coalesce(removed_at, ?1) WHERE id = ?2 RETURNING *",
        )
        .bind(micros(at))
        .bind(id)
        .fetch_optional(&mut self.conn)
        .await?
        .ok_or(StoreError::NotFound {
            what: "medication",
            id,
        })?;
        rows::medication(&row)
    }

    async fn add_substance_use(
        &mut self,
        u: &NewSubstanceUse,
        created_at: Timestamp,
    ) -> Result<SubstanceUse> {
        let mut x = SubstanceUse {
            id: 0,
            usage: u.clone(),
            created_at,
        };
        x.id = writes::insert_use(&mut self.conn, &x, false).await?;
        Ok(x)
    }

    async fn substance_uses(&mut self, w: Window) -> Result<Vec<SubstanceUse>> {
        self.windowed(
            "SELECT * FROM substance_use WHERE at >= ?1 AND at < ?2 ORDER BY at, id",
            w,
            rows::substance_use,
        )
        .await
    }

    async fn add_vitals(&mut self, v: &NewVitals, created_at: Timestamp) -> Result<Vitals> {
        let mut x = Vitals {
            id: 0,
            vitals: v.clone(),
            created_at,
        };
        x.id = writes::insert_vitals(&mut self.conn, &x, false).await?;
        Ok(x)
    }

    async fn vitals(&mut self, w: Window) -> Result<Vec<Vitals>> {
        self.windowed(
            "SELECT * FROM vitals WHERE at >= ?1 AND at < ?2 ORDER BY at, id",
            w,
            rows::vitals,
        )
        .await
    }

    async fn add_clearance(
        &mut self,
        topic: ClearanceTopic,
        at: Timestamp,
        note: Option<&str>,
    ) -> Result<Clearance> {
        let mut c = Clearance {
            id: 0,
            at,
            topic,
            note: note.map(str::to_string),
        };
        c.id = writes::insert_clearance(&mut self.conn, &c, false).await?;
        Ok(c)
    }

    async fn clearances(&mut self) -> Result<Vec<Clearance>> {
        let rows = sqlx::query("SELECT * FROM clearance ORDER BY at, id")
            .fetch_all(&mut self.conn)
            .await?;
        rows.iter().map(rows::clearance).collect()
    }

    async fn urinary_checkins(&mut self, w: Window) -> Result<Vec<Checkin>> {
        self.windowed(
            "SELECT * FROM checkin WHERE at >= ?1 AND at < ?2 AND urinary <> '[]' ORDER BY at, id",
            w,
            rows::checkin,
        )
        .await
    }

    async fn add_assessment(
        &mut self,
        a: &NewAssessment,
        created_at: Timestamp,
    ) -> Result<Assessment> {
        let mut x = Assessment {
            id: 0,
            assessment: a.clone(),
            created_at,
        };
        x.id = writes::insert_assessment(&mut self.conn, &x, false).await?;
        Ok(x)
    }

    async fn assessments(&mut self, w: Window) -> Result<Vec<Assessment>> {
        self.windowed(
            "SELECT * FROM assessment WHERE at >= ?1 AND at < ?2 ORDER BY at, id",
            w,
            rows::assessment,
        )
        .await
    }

    async fn export(&mut self) -> Result<Journal> {
        let mut tx = self.conn.begin().await?;
        let profile = sqlx::query("SELECT * FROM profile WHERE id = 1")
            .fetch_optional(&mut *tx)
            .await?;
        let stocks = sqlx::query("SELECT * FROM stock ORDER BY id")
            .fetch_all(&mut *tx)
            .await?;
        let events = sqlx::query("SELECT * FROM stock_event ORDER BY id")
            .fetch_all(&mut *tx)
            .await?;
        let doses = sqlx::query("SELECT * FROM dose ORDER BY id")
            .fetch_all(&mut *tx)
            .await?;
        let revisions = sqlx::query("SELECT * FROM dose_revision ORDER BY id")
            .fetch_all(&mut *tx)
            .await?;
        let checkins = sqlx::query("SELECT * FROM checkin ORDER BY id")
            .fetch_all(&mut *tx)
            .await?;
        let protocols = sqlx::query("SELECT * FROM protocol ORDER BY id")
            .fetch_all(&mut *tx)
            .await?;
        let protocol_events = sqlx::query("SELECT * FROM protocol_event ORDER BY id")
            .fetch_all(&mut *tx)
            .await?;
        let medications = sqlx::query("SELECT * FROM medication ORDER BY id")
            .fetch_all(&mut *tx)
            .await?;
        let uses = sqlx::query("SELECT * FROM substance_use ORDER BY id")
            .fetch_all(&mut *tx)
            .await?;
        let vitals = sqlx::query("SELECT * FROM vitals ORDER BY id")
            .fetch_all(&mut *tx)
            .await?;
        let assessments = sqlx::query("SELECT * FROM assessment ORDER BY id")
            .fetch_all(&mut *tx)
            .await?;
        let clearances = sqlx::query("SELECT * FROM clearance ORDER BY id")
            .fetch_all(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(Journal {
            format: FORMAT.into(),
            version: VERSION,
            profile: profile.as_ref().map(rows::profile).transpose()?,
            stocks: stocks.iter().map(rows::stock).collect::<Result<_>>()?,
            stock_events: events
                .iter()
                .map(rows::stock_event)
                .collect::<Result<_>>()?,
            doses: doses.iter().map(rows::dose).collect::<Result<_>>()?,
            dose_revisions: revisions
                .iter()
                .map(rows::revision)
                .collect::<Result<_>>()?,
            checkins: checkins.iter().map(rows::checkin).collect::<Result<_>>()?,
            protocols: protocols
                .iter()
                .map(rows::protocol)
                .collect::<Result<_>>()?,
            protocol_events: protocol_events
                .iter()
                .map(rows::protocol_event)
                .collect::<Result<_>>()?,
            medications: medications
                .iter()
                .map(rows::medication)
                .collect::<Result<_>>()?,
            substance_uses: uses
                .iter()
                .map(rows::substance_use)
                .collect::<Result<_>>()?,
            vitals: vitals.iter().map(rows::vitals).collect::<Result<_>>()?,
            clearances: clearances
                .iter()
                .map(rows::clearance)
                .collect::<Result<_>>()?,
            assessments: assessments
                .iter()
                .map(rows::assessment)
                .collect::<Result<_>>()?,
        })
    }

    async fn import(&mut self, j: &Journal) -> Result<ImportReport> {
        let mut tx = self.conn.begin_with("BEGIN IMMEDIATE").await?;
        let report = writes::import(&mut tx, j).await;
        match report {
            Ok(r) => {
                tx.commit().await?;
                Ok(r)
            }
            // Dropping the transaction rolls it back: nothing of the import remains.
            Err(e) => Err(e),
        }
    }
}
