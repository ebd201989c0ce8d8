//! The embedded SQLite backend: one file in the person's home, opened with one connection.
//!
//! Opening is cheap on purpose (a short command should feel instant): one connection, WAL
//! journal, a busy timeout so a CLI command and the web server can write at the same time, and
//! a schema check that reads `PRAGMA user_version` instead of a migrations table. Every write
//! that touches more than one row runs in a `BEGIN IMMEDIATE` transaction.

mod cipher;
mod rows;
mod sql;
mod writes;

pub use cipher::{convert, remove_leftovers, temp_path as cipher_temp_path};

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
use dosewise_core::stock::{Adjustment, NewStock, Stock, StockEvent, StockEventKind};
use dosewise_core::vitals::{NewVitals, Vitals};
use rows::micros;
use rusqlite::{Connection, OpenFlags, TransactionBehavior};
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
    include_str!("../../migrations/sqlite/0005_screen_dates.sql"),
    include_str!("../../migrations/sqlite/0006_stock_count.sql"),
];

/// The schema version this build writes.
pub const SCHEMA_VERSION: i64 = MIGRATIONS.len() as i64;

/// Prepared statements kept per connection (more than the store has distinct statements).
const STATEMENT_CACHE: usize = 128;

/// How long a writer waits for another writer before giving up.
pub const BUSY_TIMEOUT: Duration = Duration::from_secs(10);

#[derive(Debug)]
pub struct SqliteStore {
    conn: Connection,
}

impl SqliteStore {
    /// Open (creating if needed) the database at `path` and bring its schema up to date.
    pub async fn open(path: &Path) -> Result<Self> {
        Self::open_sync(path, None)
    }

    /// Open with a passphrase when the journal is encrypted (SQLCipher). A plaintext journal
    /// opened with a key, or an encrypted one opened without, fails with a clear error.
    pub async fn open_with(path: &Path, key: Option<&Passphrase>) -> Result<Self> {
        Self::open_sync(path, key)
    }

    fn open_sync(path: &Path, key: Option<&Passphrase>) -> Result<Self> {
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
        let conn =
            connect(path, key, JournalMode::Wal, true).map_err(|e| key_error(e, key.is_some()))?;
        let mut store = SqliteStore { conn };
        store.migrate(path).map_err(|e| match e {
            StoreError::Database(e) => key_error(e, key.is_some()),
            other => other,
        })?;
        Ok(store)
    }

    /// An in-memory database (tests).
    pub async fn memory() -> Result<Self> {
        let conn = Connection::open_in_memory()?;
        conn.execute_batch("PRAGMA foreign_keys = ON")?;
        let mut store = SqliteStore { conn };
        store.migrate(Path::new(":memory:"))?;
        Ok(store)
    }

    /// The schema version of the open database.
    pub async fn schema_version(&mut self) -> Result<i64> {
        self.version()
    }

    fn version(&self) -> Result<i64> {
        sql::query("PRAGMA user_version").scalar(&self.conn)
    }

    fn migrate(&mut self, path: &Path) -> Result<()> {
        let version = self.version()?;
        if version == SCHEMA_VERSION {
            return Ok(());
        }
        if version > SCHEMA_VERSION {
            return Err(StoreError::NewerSchema {
                found: version,
                known: SCHEMA_VERSION,
            });
        }
        let app: i64 = sql::query("PRAGMA application_id").scalar(&self.conn)?;
        let tables: i64 = sql::query("SELECT count(*) FROM sqlite_master").scalar(&self.conn)?;
        if app != APPLICATION_ID && (tables > 0 || version > 0) {
            return Err(StoreError::NotOurs(path.display().to_string()));
        }
        for (i, migration) in MIGRATIONS
            .iter()
            .enumerate()
            .skip(usize::try_from(version).unwrap_or(0))
        {
            let tx = self
                .conn
                .transaction_with_behavior(TransactionBehavior::Immediate)?;
            tx.execute_batch(migration)?;
            // PRAGMA values cannot be bound; both are integers produced here.
            tx.execute_batch(&format!(
                "PRAGMA application_id = {APPLICATION_ID}; PRAGMA user_version = {}",
                i + 1
            ))?;
            tx.commit()?;
        }
        Ok(())
    }

    /// Run `PRAGMA integrity_check` and return its verdict ("ok" when sound).
    pub async fn integrity_check(&mut self) -> Result<String> {
        sql::query("PRAGMA integrity_check").scalar(&self.conn)
    }

    pub async fn close(self) -> Result<()> {
        self.conn.close().map_err(|(_, e)| StoreError::Database(e))
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

/// How a connection journals its writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum JournalMode {
    /// The journal's own mode: readers and one writer at once (CLI and web server).
    Wal,
    /// For a file being verified before it replaces the journal: leaves no WAL beside it.
    Delete,
}

/// Open one connection the way every open needs it: the key first (SQLCipher needs it before
/// anything else reads the file), then Dosewise's durability settings.
pub(crate) fn connect(
    path: &Path,
    key: Option<&Passphrase>,
    journal: JournalMode,
    create: bool,
) -> std::result::Result<Connection, rusqlite::Error> {
    let mut flags = OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX;
    if create {
        flags |= OpenFlags::SQLITE_OPEN_CREATE;
    }
    if key.is_some() {
        quiet_sqlcipher()?;
    }
    let conn = Connection::open_with_flags(path, flags)?;
    // The web server keeps one connection for its whole life and runs a few dozen distinct
    // statements; keep them all prepared (rusqlite's default keeps 16).
    conn.set_prepared_statement_cache_capacity(STATEMENT_CACHE);
    if let Some(k) = key {
        // The statement text holds the key only until it is dropped (zeroized) here.
        let set = zeroize::Zeroizing::new(format!("PRAGMA key = {}", k.sql_literal().as_str()));
        conn.execute_batch(&set)?;
    }
    conn.busy_timeout(BUSY_TIMEOUT)?;
    // FULL: a dose acknowledged to the person survives a power cut, not only a crash.
    conn.execute_batch(match journal {
        JournalMode::Wal => {
            "PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL; PRAGMA foreign_keys = ON"
        }
        JournalMode::Delete => {
            "PRAGMA journal_mode = DELETE; PRAGMA synchronous = FULL; PRAGMA foreign_keys = ON"
        }
    })?;
    Ok(conn)
}

/// SQLCipher logs decryption failures (a wrong passphrase) to stderr by default. Its log level
/// is process-wide, and a connection's own pragmas run only after the key has been tried, so
/// set it once on a throwaway in-memory connection before any keyed open.
fn quiet_sqlcipher() -> std::result::Result<(), rusqlite::Error> {
    static DONE: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);
    if DONE.load(std::sync::atomic::Ordering::Relaxed) {
        return Ok(());
    }
    Connection::open_in_memory()?.execute_batch("PRAGMA cipher_log_level = NONE")?;
    DONE.store(true, std::sync::atomic::Ordering::Relaxed);
    Ok(())
}

/// "file is not a database" (SQLITE_NOTADB) after a key means the key is wrong.
pub(crate) fn key_error(e: rusqlite::Error, keyed: bool) -> StoreError {
    if e.sqlite_error_code() == Some(rusqlite::ErrorCode::NotADatabase) {
        if keyed {
            StoreError::WrongPassphrase
        } else {
            StoreError::Encrypted
        }
    } else {
        StoreError::Database(e)
    }
}

impl SqliteStore {
    /// Doses in a window, in time order, each read with `map`.
    fn doses_in(
        &self,
        w: Window,
        map: fn(&rows::Row<'_, '_>) -> Result<Dose>,
    ) -> Result<Vec<Dose>> {
        let (from, to) = window_bounds(w);
        sql::query(
            "SELECT * FROM dose WHERE at >= ?1 AND at < ?2 AND (?3 OR deleted_at IS NULL) ORDER BY at, id",
        )
        .bind(from)
        .bind(to)
        .bind(w.include_deleted)
        .fetch_all(&self.conn, map)
    }

    /// Rows of a `SELECT … WHERE at >= ?1 AND at < ?2 …` query over a time window.
    fn windowed<T>(
        &self,
        sql: &'static str,
        w: Window,
        map: fn(&rows::Row<'_, '_>) -> Result<T>,
    ) -> Result<Vec<T>> {
        let (from, to) = window_bounds(w);
        sql::query(sql)
            .bind(from)
            .bind(to)
            .fetch_all(&self.conn, map)
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
        sql::query("SELECT * FROM profile WHERE id = 1").fetch_optional(&self.conn, rows::profile)
    }

    async fn save_profile(&mut self, p: &Profile) -> Result<()> {
        writes::save_profile(&self.conn, p)
    }

    async fn add_stock(&mut self, s: &NewStock) -> Result<Stock> {
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)?;
        let stock = writes::insert_stock(&tx, None, s, None, None)?;
        writes::insert_stock_event(
            &tx,
            &StockEvent {
                id: 0,
                stock_id: stock.id,
                at: s.created_at,
                kind: StockEventKind::Added,
                delta: s.remaining,
                remaining_after: s.remaining,
                dose_id: None,
                reason: None,
            },
            false,
        )?;
        tx.commit()?;
        Ok(stock)
    }

    async fn stock(&mut self, id: i64) -> Result<Option<Stock>> {
        writes::get_stock(&self.conn, id)
    }

    async fn stock_by_name(&mut self, name: &str) -> Result<Option<Stock>> {
        sql::query("SELECT * FROM stock WHERE retired_at IS NULL AND lower(name) = lower(?1)")
            .bind(name.trim())
            .fetch_optional(&self.conn, rows::stock)
    }

    async fn stocks(&mut self, include_retired: bool) -> Result<Vec<Stock>> {
        sql::query("SELECT * FROM stock WHERE ?1 OR retired_at IS NULL ORDER BY id")
            .bind(include_retired)
            .fetch_all(&self.conn, rows::stock)
    }

    async fn stock_events(&mut self, stock_id: i64) -> Result<Vec<StockEvent>> {
        sql::query("SELECT * FROM stock_event WHERE stock_id = ?1 ORDER BY at, id")
            .bind(stock_id)
            .fetch_all(&self.conn, rows::stock_event)
    }

    async fn adjust_stock(
        &mut self,
        id: i64,
        adjustment: Adjustment,
        at: Timestamp,
        reason: Option<&str>,
    ) -> Result<Stock> {
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)?;
        let s = writes::get_stock(&tx, id)?.ok_or(StoreError::NotFound { what: "stock", id })?;
        let (delta, kind) = match adjustment {
            Adjustment::Set(v) => (v - s.stock.remaining, StockEventKind::Count),
            Adjustment::Delta(d) => (d, StockEventKind::Adjust),
        };
        writes::move_supply(&tx, id, delta, at, kind, None, reason)?;
        let s = writes::get_stock(&tx, id)?.ok_or(StoreError::NotFound { what: "stock", id })?;
        tx.commit()?;
        Ok(s)
    }

    async fn update_stock(&mut self, s: &Stock) -> Result<Stock> {
        let n = sql::query("UPDATE stock SET name = ?1, preparation = ?2, default_route = ?3, lot = ?4, expiry = ?5, opened = ?6, note = ?7, dispensed = ?8 WHERE id = ?9")
            .bind(&s.stock.name)
            .bind(rows::json(&s.stock.preparation)?)
            .bind(rows::name_of(&s.stock.default_route))
            .bind(&s.stock.lot)
            .bind(rows::date_text(s.stock.expiry))
            .bind(rows::date_text(s.stock.opened))
            .bind(&s.stock.note)
            .bind(s.stock.dispensed)
            .bind(s.id)
            .execute(&self.conn)
            .map_err(|e| writes::name_conflict(e, &s.stock.name))?;
        if n.rows_affected() == 0 {
            return Err(StoreError::NotFound {
                what: "stock",
                id: s.id,
            });
        }
        writes::get_stock(&self.conn, s.id)?.ok_or(StoreError::NotFound {
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
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)?;
        let s = writes::get_stock(&tx, id)?.ok_or(StoreError::NotFound { what: "stock", id })?;
        if s.is_retired() {
            tx.commit()?;
            return Ok(s);
        }
        sql::query("UPDATE stock SET retired_at = ?1, retire_reason = ?2 WHERE id = ?3")
            .bind(micros(at))
            .bind(reason)
            .bind(id)
            .execute(&tx)?;
        writes::insert_stock_event(
            &tx,
            &StockEvent {
                id: 0,
                stock_id: id,
                at,
                kind: StockEventKind::Retire,
                delta: 0.0,
                remaining_after: s.stock.remaining,
                dose_id: None,
                reason: reason.map(str::to_string),
            },
            false,
        )?;
        let s = writes::get_stock(&tx, id)?.ok_or(StoreError::NotFound { what: "stock", id })?;
        tx.commit()?;
        Ok(s)
    }

    async fn log_dose(&mut self, d: &NewDose, created_at: Timestamp) -> Result<LoggedDose> {
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)?;
        let id = writes::insert_dose(&tx, None, d, created_at, None, None)?;
        let kind = StockEventKind::Dose;
        let stock_remaining = match (d.stock_id, d.supply_used) {
            (Some(sid), Some(used)) => Some(writes::move_supply(
                &tx,
                sid,
                -used,
                d.at,
                kind,
                Some(id),
                None,
            )?),
            _ => None,
        };
        tx.commit()?;
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
        writes::get_dose(&self.conn, id)
    }

    async fn doses(&mut self, w: Window) -> Result<Vec<Dose>> {
        self.doses_in(w, rows::dose)
    }

    async fn dose_history(&mut self, w: Window) -> Result<Vec<Dose>> {
        self.doses_in(w, rows::dose_without_findings)
    }

    async fn recent_doses(&mut self, n: u32) -> Result<Vec<Dose>> {
        sql::query("SELECT * FROM dose WHERE deleted_at IS NULL ORDER BY at DESC, id DESC LIMIT ?1")
            .bind(i64::from(n))
            .fetch_all(&self.conn, rows::dose)
    }

    async fn edit_dose(
        &mut self,
        id: i64,
        new: &NewDose,
        at: Timestamp,
        reason: Option<&str>,
    ) -> Result<Dose> {
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)?;
        let old = writes::revise(&tx, id, at, RevisionAction::Edit, reason)?;
        let kind = StockEventKind::DoseEdit;
        // Return the old supply, then take the new: correct whether or not the stock changed.
        let moved = new.stock_id != old.dose.stock_id || new.supply_used != old.dose.supply_used;
        if let (true, Some(sid), Some(used)) = (moved, old.dose.stock_id, old.dose.supply_used) {
            writes::move_supply(&tx, sid, used, at, kind, Some(id), reason)?;
        }
        if let (true, Some(sid), Some(used)) = (moved, new.stock_id, new.supply_used) {
            writes::move_supply(&tx, sid, -used, at, kind, Some(id), reason)?;
        }
        writes::update_dose(&tx, id, new, at)?;
        let dose = writes::get_dose(&tx, id)?.ok_or(StoreError::NotFound { what: "dose", id })?;
        tx.commit()?;
        Ok(dose)
    }

    async fn delete_dose(&mut self, id: i64, at: Timestamp, reason: Option<&str>) -> Result<Dose> {
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)?;
        let old = writes::revise(&tx, id, at, RevisionAction::Delete, reason)?;
        if let (Some(sid), Some(used)) = (old.dose.stock_id, old.dose.supply_used) {
            writes::move_supply(
                &tx,
                sid,
                used,
                at,
                StockEventKind::DoseDelete,
                Some(id),
                reason,
            )?;
        }
        sql::query("UPDATE dose SET deleted_at = ?1 WHERE id = ?2")
            .bind(micros(at))
            .bind(id)
            .execute(&tx)?;
        let dose = writes::get_dose(&tx, id)?.ok_or(StoreError::NotFound { what: "dose", id })?;
        tx.commit()?;
        Ok(dose)
    }

    async fn dose_revisions(&mut self, dose_id: i64) -> Result<Vec<DoseRevision>> {
        sql::query("SELECT * FROM dose_revision WHERE dose_id = ?1 ORDER BY id")
            .bind(dose_id)
            .fetch_all(&self.conn, rows::revision)
    }

    async fn add_checkin(&mut self, c: &NewCheckin, created_at: Timestamp) -> Result<Checkin> {
        let id = writes::insert_checkin(&self.conn, None, c, created_at)?;
        sql::query("SELECT * FROM checkin WHERE id = ?1")
            .bind(id)
            .fetch_one(&self.conn, rows::checkin)
    }

    async fn checkin(&mut self, id: i64) -> Result<Option<Checkin>> {
        sql::query("SELECT * FROM checkin WHERE id = ?1")
            .bind(id)
            .fetch_optional(&self.conn, rows::checkin)
    }

    async fn checkins(&mut self, w: Window) -> Result<Vec<Checkin>> {
        self.windowed(
            "SELECT * FROM checkin WHERE at >= ?1 AND at < ?2 ORDER BY at, id",
            w,
            rows::checkin,
        )
    }

    async fn last_checkin(&mut self) -> Result<Option<Checkin>> {
        sql::query("SELECT * FROM checkin ORDER BY at DESC, id DESC LIMIT 1")
            .fetch_optional(&self.conn, rows::checkin)
    }

    async fn add_protocol(
        &mut self,
        p: &NewProtocol,
        at: Timestamp,
        date: Date,
    ) -> Result<Protocol> {
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)?;
        let current =
            sql::query("SELECT * FROM protocol WHERE substance = ?1 AND status <> 'ended'")
                .bind(p.substance.as_str())
                .fetch_optional(&tx, rows::protocol)?;
        if let Some(mut old) = current {
            old.status = Status::Ended;
            old.ended_at = Some(at);
            writes::update_protocol(&tx, &old)?;
            let detail = format!("replaced by \"{}\"", p.name);
            let e = ProtocolEvent {
                id: 0,
                protocol_id: old.id,
                at,
                date,
                kind: ProtocolEventKind::Ended,
                detail: Some(detail),
            };
            writes::insert_protocol_event(&tx, &e, false)?;
        }
        let id = writes::insert_protocol(&tx, None, p, Status::Active, &[], at, None)?;
        let e = ProtocolEvent {
            id: 0,
            protocol_id: id,
            at,
            date,
            kind: ProtocolEventKind::Created,
            detail: None,
        };
        writes::insert_protocol_event(&tx, &e, false)?;
        let created = writes::get_protocol(&tx, id)?.ok_or(StoreError::NotFound {
            what: "protocol",
            id,
        })?;
        tx.commit()?;
        Ok(created)
    }

    async fn protocol(&mut self, id: i64) -> Result<Option<Protocol>> {
        writes::get_protocol(&self.conn, id)
    }

    async fn protocols(&mut self, include_ended: bool) -> Result<Vec<Protocol>> {
        sql::query("SELECT * FROM protocol WHERE ?1 OR status <> 'ended' ORDER BY id DESC")
            .bind(include_ended)
            .fetch_all(&self.conn, rows::protocol)
    }

    async fn current_protocol(&mut self, substance: Substance) -> Result<Option<Protocol>> {
        sql::query("SELECT * FROM protocol WHERE substance = ?1 AND status <> 'ended'")
            .bind(substance.as_str())
            .fetch_optional(&self.conn, rows::protocol)
    }

    async fn save_protocol(
        &mut self,
        p: &Protocol,
        kind: ProtocolEventKind,
        detail: Option<&str>,
        at: Timestamp,
        date: Date,
    ) -> Result<Protocol> {
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)?;
        writes::update_protocol(&tx, p)?;
        let e = ProtocolEvent {
            id: 0,
            protocol_id: p.id,
            at,
            date,
            kind,
            detail: detail.map(str::to_string),
        };
        writes::insert_protocol_event(&tx, &e, false)?;
        let saved = writes::get_protocol(&tx, p.id)?.ok_or(StoreError::NotFound {
            what: "protocol",
            id: p.id,
        })?;
        tx.commit()?;
        Ok(saved)
    }

    async fn protocol_events(&mut self, protocol_id: i64) -> Result<Vec<ProtocolEvent>> {
        sql::query("SELECT * FROM protocol_event WHERE protocol_id = ?1 ORDER BY at, id")
            .bind(protocol_id)
            .fetch_all(&self.conn, rows::protocol_event)
    }

    async fn add_medication(&mut self, m: &NewMedication) -> Result<Medication> {
        let mut med = Medication {
            id: 0,
            medication: m.clone(),
            removed_at: None,
        };
        med.id = writes::insert_medication(&self.conn, &med, false)?;
        Ok(med)
    }

    async fn medications(&mut self, include_removed: bool) -> Result<Vec<Medication>> {
        sql::query("SELECT * FROM medication WHERE ?1 OR removed_at IS NULL ORDER BY id")
            .bind(include_removed)
            .fetch_all(&self.conn, rows::medication)
    }

    async fn remove_medication(&mut self, id: i64, at: Timestamp) -> Result<Medication> {
        sql::query(
            "UPDATE medication SET removed_at = coalesce(removed_at, ?1) WHERE id = ?2 RETURNING *",
        )
        .bind(micros(at))
        .bind(id)
        .fetch_optional(&self.conn, rows::medication)?
        .ok_or(StoreError::NotFound {
            what: "medication",
            id,
        })
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
        x.id = writes::insert_use(&self.conn, &x, false)?;
        Ok(x)
    }

    async fn substance_uses(&mut self, w: Window) -> Result<Vec<SubstanceUse>> {
        self.windowed(
            "SELECT * FROM substance_use WHERE at >= ?1 AND at < ?2 ORDER BY at, id",
            w,
            rows::substance_use,
        )
    }

    async fn add_vitals(&mut self, v: &NewVitals, created_at: Timestamp) -> Result<Vitals> {
        let mut x = Vitals {
            id: 0,
            vitals: v.clone(),
            created_at,
        };
        x.id = writes::insert_vitals(&self.conn, &x, false)?;
        Ok(x)
    }

    async fn vitals(&mut self, w: Window) -> Result<Vec<Vitals>> {
        self.windowed(
            "SELECT * FROM vitals WHERE at >= ?1 AND at < ?2 ORDER BY at, id",
            w,
            rows::vitals,
        )
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
        c.id = writes::insert_clearance(&self.conn, &c, false)?;
        Ok(c)
    }

    async fn clearances(&mut self) -> Result<Vec<Clearance>> {
        sql::query("SELECT * FROM clearance ORDER BY at, id").fetch_all(&self.conn, rows::clearance)
    }

    async fn urinary_checkins(&mut self, w: Window) -> Result<Vec<Checkin>> {
        self.windowed(
            "SELECT * FROM checkin WHERE at >= ?1 AND at < ?2 AND urinary <> '[]' ORDER BY at, id",
            w,
            rows::checkin,
        )
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
        x.id = writes::insert_assessment(&self.conn, &x, false)?;
        Ok(x)
    }

    async fn assessments(&mut self, w: Window) -> Result<Vec<Assessment>> {
        self.windowed(
            "SELECT * FROM assessment WHERE at >= ?1 AND at < ?2 ORDER BY at, id",
            w,
            rows::assessment,
        )
    }

    async fn export(&mut self) -> Result<Journal> {
        // One read transaction: a consistent snapshot even while the web server writes.
        let tx = self.conn.transaction()?;
        let all = |table: &str| format!("SELECT * FROM {table} ORDER BY id");
        let j = Journal {
            format: FORMAT.into(),
            version: VERSION,
            profile: sql::query("SELECT * FROM profile WHERE id = 1")
                .fetch_optional(&tx, rows::profile)?,
            stocks: sql::query(&all("stock")).fetch_all(&tx, rows::stock)?,
            stock_events: sql::query(&all("stock_event")).fetch_all(&tx, rows::stock_event)?,
            doses: sql::query(&all("dose")).fetch_all(&tx, rows::dose)?,
            dose_revisions: sql::query(&all("dose_revision")).fetch_all(&tx, rows::revision)?,
            checkins: sql::query(&all("checkin")).fetch_all(&tx, rows::checkin)?,
            protocols: sql::query(&all("protocol")).fetch_all(&tx, rows::protocol)?,
            protocol_events: sql::query(&all("protocol_event"))
                .fetch_all(&tx, rows::protocol_event)?,
            medications: sql::query(&all("medication")).fetch_all(&tx, rows::medication)?,
            substance_uses: sql::query(&all("substance_use"))
                .fetch_all(&tx, rows::substance_use)?,
            vitals: sql::query(&all("vitals")).fetch_all(&tx, rows::vitals)?,
            clearances: sql::query(&all("clearance")).fetch_all(&tx, rows::clearance)?,
            assessments: sql::query(&all("assessment")).fetch_all(&tx, rows::assessment)?,
        };
        tx.commit()?;
        Ok(j)
    }

    async fn import(&mut self, j: &Journal) -> Result<ImportReport> {
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)?;
        let report = writes::import(&tx, j);
        match report {
            Ok(r) => {
                tx.commit()?;
                Ok(r)
            }
            // Dropping the transaction rolls it back: nothing of the import remains.
            Err(e) => Err(e),
        }
    }
}
