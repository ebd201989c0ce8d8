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

use dosewise_core::checkin::{Checkin, CheckinRevision, NewCheckin};
use dosewise_core::dose::{Dose, DoseRevision, NewDose, RevisionAction};
use dosewise_core::jiff::Timestamp;
use dosewise_core::jiff::civil::Date;
use dosewise_core::journal::{FORMAT, Journal, VERSION};
use dosewise_core::medication::{Medication, NewMedication, NewSubstanceUse, SubstanceUse};
use dosewise_core::profile::Profile;
use dosewise_core::protocol::{self, NewProtocol, Protocol, ProtocolEvent, ProtocolEventKind};
use dosewise_core::questionnaire::{Assessment, NewAssessment};
use dosewise_core::route::Substance;
use dosewise_core::safety::{Clearance, ClearanceTopic};
use dosewise_core::stock::{
    self, Adjustment, Draw, Move, NewStock, Stock, StockEvent, StockEventKind,
};
use dosewise_core::trial_record::{NewTrial, NewTrialEvent, Trial, TrialEvent};
use dosewise_core::vitals::{NewVitals, Vitals};
use dosewise_store::codec::{self, Record};
use dosewise_store::{ImportReport, LoggedDose, Passphrase, Result, Store, StoreError, Window};
use rows::micros;
use rusqlite::{Connection, OpenFlags, TransactionBehavior};
use std::path::Path;
use std::sync::{Mutex, PoisonError};
use std::time::Duration;

/// Marks a database file as Dosewise's (`PRAGMA application_id`; "DOSE" in ASCII).
pub const APPLICATION_ID: i64 = 0x444F_5345;

/// Schema migrations, applied in order; the index + 1 is the schema version.
const MIGRATIONS: &[&str] = &[
    include_str!("../migrations/0001_init.sql"),
    include_str!("../migrations/0002_protocols.sql"),
    include_str!("../migrations/0003_safety.sql"),
    include_str!("../migrations/0004_assessments.sql"),
    include_str!("../migrations/0005_screen_dates.sql"),
    include_str!("../migrations/0006_stock_count.sql"),
    include_str!("../migrations/0007_checkin_revisions.sql"),
    include_str!("../migrations/0008_settings.sql"),
    include_str!("../migrations/0009_clinician.sql"),
    include_str!("../migrations/0010_trials.sql"),
];

/// The schema version this build writes.
pub const SCHEMA_VERSION: i64 = MIGRATIONS.len() as i64;

/// Prepared statements kept per connection (more than the store has distinct statements).
const STATEMENT_CACHE: usize = 128;

/// How long a writer waits for another writer before giving up.
pub const BUSY_TIMEOUT: Duration = Duration::from_secs(10);

/// The journal on one SQLite connection. `&self` methods take the connection in turn (a
/// mutex); each runs on the calling thread, inside `block_in_place` on a multi-thread runtime
/// so a query, or a write waiting out another process's lock, never holds up a runtime
/// worker's other tasks.
#[derive(Debug)]
pub struct SqliteStore {
    conn: Mutex<Connection>,
    /// The file, for [`Store::changes`] (none in memory).
    path: Option<std::path::PathBuf>,
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
        let keyed = key.is_some();
        let mut conn =
            connect(path, key, JournalMode::Wal, true).map_err(|e| key_error(e, keyed))?;
        migrate(&mut conn, path).map_err(|e| match e {
            StoreError::Backend(b) => match b.downcast::<rusqlite::Error>() {
                Ok(e) => key_error(*e, keyed),
                Err(b) => StoreError::Backend(b),
            },
            other => other,
        })?;
        Ok(SqliteStore {
            conn: Mutex::new(conn),
            path: Some(path.to_path_buf()),
        })
    }

    /// An in-memory database (tests).
    pub async fn memory() -> Result<Self> {
        let mut conn = Connection::open_in_memory().db()?;
        conn.execute_batch("PRAGMA foreign_keys = ON").db()?;
        migrate(&mut conn, Path::new(":memory:"))?;
        Ok(SqliteStore {
            conn: Mutex::new(conn),
            path: None,
        })
    }

    /// Run `f` on the connection, in turn with other callers, where blocking is allowed.
    fn with<T>(&self, f: impl FnOnce(&mut Connection) -> Result<T>) -> Result<T> {
        let run = || {
            // A panic mid-call leaves no transaction open (rusqlite rolls back on drop), so a
            // poisoned lock still guards a sound connection.
            let mut conn = self.conn.lock().unwrap_or_else(PoisonError::into_inner);
            f(&mut conn)
        };
        match tokio::runtime::Handle::try_current().map(|h| h.runtime_flavor()) {
            Ok(tokio::runtime::RuntimeFlavor::MultiThread) => tokio::task::block_in_place(run),
            _ => run(),
        }
    }

    /// Store a new record; it comes back with its id.
    fn add<T: Record>(&self, mut x: T) -> Result<T> {
        self.with(|conn| {
            x.set_id(writes::insert(conn, &x, false)?);
            Ok(x)
        })
    }

    /// Records of a kind in a time window, in time order; `extra` narrows the rows further.
    fn window<T: Record>(&self, w: Window, extra: &str) -> Result<Vec<T>> {
        let sql = format!(
            "SELECT * FROM {} WHERE at >= ?1 AND at < ?2 {extra} ORDER BY at, id",
            T::TABLE
        );
        self.with(|conn| windowed(conn, &sql, w, rows::read::<T>))
    }

    /// The schema version of the open database.
    pub async fn schema_version(&self) -> Result<i64> {
        self.with(|conn| version(conn))
    }

    /// Run `PRAGMA integrity_check` and return its verdict ("ok" when sound).
    pub async fn integrity_check(&self) -> Result<String> {
        self.with(|conn| sql::query("PRAGMA integrity_check").scalar(conn))
    }

    pub async fn close(self) -> Result<()> {
        self.conn
            .into_inner()
            .unwrap_or_else(PoisonError::into_inner)
            .close()
            .map_err(|(_, e)| sql_error(e))
    }
}

fn version(conn: &Connection) -> Result<i64> {
    sql::query("PRAGMA user_version").scalar(conn)
}

fn migrate(conn: &mut Connection, path: &Path) -> Result<()> {
    let version = version(conn)?;
    if version == SCHEMA_VERSION {
        return Ok(());
    }
    if version > SCHEMA_VERSION {
        return Err(StoreError::NewerSchema {
            found: version,
            known: SCHEMA_VERSION,
        });
    }
    let app: i64 = sql::query("PRAGMA application_id").scalar(conn)?;
    let tables: i64 = sql::query("SELECT count(*) FROM sqlite_master").scalar(conn)?;
    if app != APPLICATION_ID && (tables > 0 || version > 0) {
        return Err(StoreError::NotOurs(path.display().to_string()));
    }
    for (i, migration) in MIGRATIONS
        .iter()
        .enumerate()
        .skip(usize::try_from(version).unwrap_or(0))
    {
        let tx = conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .db()?;
        tx.execute_batch(migration).db()?;
        // PRAGMA values cannot be bound; both are integers produced here.
        tx.execute_batch(&format!(
            "PRAGMA application_id = {APPLICATION_ID}; PRAGMA user_version = {}",
            i + 1
        ))
        .db()?;
        tx.commit().db()?;
    }
    Ok(())
}

/// SQLite's errors as the store's: a lock held past the busy timeout is [`StoreError::Locked`];
/// a full disk (SQLITE_FULL, or the WAL index beside the journal that could not be grown:
/// SQLITE_IOERR_SHMSIZE) is [`StoreError::Full`]; anything else is the backend's own failure.
pub(crate) fn sql_error(e: rusqlite::Error) -> StoreError {
    /// SQLITE_IOERR_SHMSIZE: extending the `-shm` file failed.
    const IOERR_SHMSIZE: std::ffi::c_int = 10 | (19 << 8);
    match &e {
        rusqlite::Error::SqliteFailure(f, _) => match f.code {
            rusqlite::ErrorCode::DatabaseBusy | rusqlite::ErrorCode::DatabaseLocked => {
                StoreError::Locked
            }
            rusqlite::ErrorCode::DiskFull => StoreError::Full,
            rusqlite::ErrorCode::SystemIoFailure if f.extended_code == IOERR_SHMSIZE => {
                StoreError::Full
            }
            _ => StoreError::Backend(Box::new(e)),
        },
        _ => StoreError::Backend(Box::new(e)),
    }
}

/// `.db()?` on a rusqlite result: its error as the store's.
pub(crate) trait Db<T> {
    fn db(self) -> Result<T>;
}

impl<T> Db<T> for rusqlite::Result<T> {
    fn db(self) -> Result<T> {
        self.map_err(sql_error)
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
        sql_error(e)
    }
}

/// The whole journal, each kind by id, read on `conn` (in a transaction, for a snapshot).
pub(crate) fn read_journal(conn: &Connection) -> Result<Journal> {
    use writes::all;
    Ok(Journal {
        format: FORMAT.into(),
        version: VERSION,
        profile: sql::query("SELECT * FROM profile WHERE id = 1")
            .fetch_optional(conn, rows::profile)?,
        stocks: all(conn)?,
        stock_events: all(conn)?,
        doses: all(conn)?,
        dose_revisions: all(conn)?,
        checkins: all(conn)?,
        checkin_revisions: all(conn)?,
        protocols: all(conn)?,
        protocol_events: all(conn)?,
        medications: all(conn)?,
        substance_uses: all(conn)?,
        vitals: all(conn)?,
        clearances: all(conn)?,
        assessments: all(conn)?,
        trials: all(conn)?,
        trial_events: all(conn)?,
    })
}

/// Doses in a window, in time order, each read with `map`.
fn doses_in(
    conn: &Connection,
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
    .fetch_all(conn, map)
}

/// Rows of a `SELECT … WHERE at >= ?1 AND at < ?2 …` query over a time window.
fn windowed<T>(
    conn: &Connection,
    sql: &str,
    w: Window,
    map: fn(&rows::Row<'_, '_>) -> Result<T>,
) -> Result<Vec<T>> {
    let (from, to) = window_bounds(w);
    sql::query(sql).bind(from).bind(to).fetch_all(conn, map)
}

fn window_bounds(w: Window) -> (i64, i64) {
    (
        w.from.map_or(i64::MIN, micros),
        w.to.map_or(i64::MAX, micros),
    )
}

impl Store for SqliteStore {
    async fn profile(&self) -> Result<Option<Profile>> {
        self.with(|conn| {
            sql::query("SELECT * FROM profile WHERE id = 1").fetch_optional(conn, rows::profile)
        })
    }

    async fn save_profile(&self, p: &Profile) -> Result<()> {
        self.with(|conn| writes::save_profile(conn, p))
    }

    async fn add_stock(&self, s: &NewStock) -> Result<Stock> {
        self.with(|conn| {
            let tx = conn
                .transaction_with_behavior(TransactionBehavior::Immediate)
                .db()?;
            let new = Stock {
                id: 0,
                stock: s.clone(),
                retired_at: None,
                retire_reason: None,
            };
            let stock = writes::insert_stock(&tx, &new, false)?;
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
            tx.commit().db()?;
            Ok(stock)
        })
    }

    async fn stock(&self, id: i64) -> Result<Option<Stock>> {
        self.with(|conn| writes::get_stock(conn, id))
    }

    async fn stock_by_name(&self, name: &str) -> Result<Option<Stock>> {
        self.with(|conn| {
            sql::query("SELECT * FROM stock WHERE retired_at IS NULL AND lower(name) = lower(?1)")
                .bind(name.trim())
                .fetch_optional(conn, rows::read::<Stock>)
        })
    }

    async fn stocks(&self, include_retired: bool) -> Result<Vec<Stock>> {
        self.with(|conn| {
            sql::query("SELECT * FROM stock WHERE ?1 OR retired_at IS NULL ORDER BY id")
                .bind(include_retired)
                .fetch_all(conn, rows::read::<Stock>)
        })
    }

    async fn stock_events(&self, stock_id: i64) -> Result<Vec<StockEvent>> {
        self.with(|conn| {
            sql::query("SELECT * FROM stock_event WHERE stock_id = ?1 ORDER BY at, id")
                .bind(stock_id)
                .fetch_all(conn, rows::read::<StockEvent>)
        })
    }

    async fn adjust_stock(
        &self,
        id: i64,
        adjustment: Adjustment,
        at: Timestamp,
        reason: Option<&str>,
    ) -> Result<Stock> {
        self.with(|conn| {
            let tx = conn
                .transaction_with_behavior(TransactionBehavior::Immediate)
                .db()?;
            let s =
                writes::get_stock(&tx, id)?.ok_or(StoreError::NotFound { what: "stock", id })?;
            let (delta, kind) = adjustment.delta(s.stock.remaining);
            let m = Move {
                stock_id: id,
                delta,
            };
            writes::move_supply(&tx, m, at, kind, None, reason)?;
            let s =
                writes::get_stock(&tx, id)?.ok_or(StoreError::NotFound { what: "stock", id })?;
            tx.commit().db()?;
            Ok(s)
        })
    }

    async fn update_stock(&self, s: &Stock) -> Result<Stock> {
        self.with(|conn| {
            // The preparation details only: amounts move through the ledger, never here.
            let values = s.values()?;
            let sets: Vec<String> = Stock::COLUMNS
                .iter()
                .enumerate()
                .filter(|(_, c)| {
                    matches!(
                        **c,
                        "name"
                            | "preparation"
                            | "default_route"
                            | "lot"
                            | "expiry"
                            | "opened"
                            | "note"
                            | "dispensed"
                    )
                })
                .map(|(i, c)| format!("{c} = ?{}", i + 1))
                .collect();
            let sql = format!(
                "UPDATE stock SET {} WHERE id = ?{}",
                sets.join(", "),
                values.len() + 1
            );
            let n = sql::query(&sql)
                .bind_values(values)
                .bind(s.id)
                .execute(conn)
                .map_err(|e| writes::name_conflict(e, &s.stock.name))?;
            if n.rows_affected() == 0 {
                return Err(StoreError::NotFound {
                    what: "stock",
                    id: s.id,
                });
            }
            writes::get_stock(conn, s.id)?.ok_or(StoreError::NotFound {
                what: "stock",
                id: s.id,
            })
        })
    }

    async fn retire_stock(&self, id: i64, at: Timestamp, reason: Option<&str>) -> Result<Stock> {
        self.with(|conn| {
            let tx = conn
                .transaction_with_behavior(TransactionBehavior::Immediate)
                .db()?;
            let s =
                writes::get_stock(&tx, id)?.ok_or(StoreError::NotFound { what: "stock", id })?;
            if s.is_retired() {
                tx.commit().db()?;
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
            let s =
                writes::get_stock(&tx, id)?.ok_or(StoreError::NotFound { what: "stock", id })?;
            tx.commit().db()?;
            Ok(s)
        })
    }

    async fn log_dose(&self, d: &NewDose, created_at: Timestamp) -> Result<LoggedDose> {
        self.with(|conn| {
            let tx = conn
                .transaction_with_behavior(TransactionBehavior::Immediate)
                .db()?;
            let id = writes::insert_dose(&tx, d, created_at)?;
            let moves = stock::supply_moves(None, Draw::of(d.stock_id, d.supply_used));
            let kind = StockEventKind::Dose;
            let stock_remaining = writes::move_supplies(&tx, moves, d.at, kind, id, None)?;
            tx.commit().db()?;
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
        })
    }

    async fn dose(&self, id: i64) -> Result<Option<Dose>> {
        self.with(|conn| writes::get_dose(conn, id))
    }

    async fn doses(&self, w: Window) -> Result<Vec<Dose>> {
        self.with(|conn| doses_in(conn, w, rows::read::<Dose>))
    }

    async fn dose_history(&self, w: Window) -> Result<Vec<Dose>> {
        self.with(|conn| doses_in(conn, w, rows::dose_without_findings))
    }

    async fn recent_doses(&self, n: u32) -> Result<Vec<Dose>> {
        self.with(|conn| {
            sql::query(
                "SELECT * FROM dose WHERE deleted_at IS NULL ORDER BY at DESC, id DESC LIMIT ?1",
            )
            .bind(i64::from(n))
            .fetch_all(conn, rows::read::<Dose>)
        })
    }

    async fn edit_dose(
        &self,
        id: i64,
        new: &NewDose,
        at: Timestamp,
        reason: Option<&str>,
    ) -> Result<Dose> {
        self.with(|conn| {
            let tx = conn
                .transaction_with_behavior(TransactionBehavior::Immediate)
                .db()?;
            let old: Dose = writes::revise(&tx, id, at, RevisionAction::Edit, reason)?;
            let moves = stock::supply_moves(
                Draw::of(old.dose.stock_id, old.dose.supply_used),
                Draw::of(new.stock_id, new.supply_used),
            );
            let kind = StockEventKind::DoseEdit;
            writes::move_supplies(&tx, moves, at, kind, id, reason)?;
            let edited = Dose {
                dose: new.clone(),
                updated_at: Some(at),
                ..old
            };
            writes::update(&tx, &edited, |c| {
                codec::DOSE_FIELDS.contains(&c) || c == "updated_at"
            })?;
            let dose =
                writes::get_dose(&tx, id)?.ok_or(StoreError::NotFound { what: "dose", id })?;
            tx.commit().db()?;
            Ok(dose)
        })
    }

    async fn delete_dose(&self, id: i64, at: Timestamp, reason: Option<&str>) -> Result<Dose> {
        self.with(|conn| {
            let tx = conn
                .transaction_with_behavior(TransactionBehavior::Immediate)
                .db()?;
            let old: Dose = writes::revise(&tx, id, at, RevisionAction::Delete, reason)?;
            let moves =
                stock::supply_moves(Draw::of(old.dose.stock_id, old.dose.supply_used), None);
            let kind = StockEventKind::DoseDelete;
            writes::move_supplies(&tx, moves, at, kind, id, reason)?;
            sql::query("UPDATE dose SET deleted_at = ?1 WHERE id = ?2")
                .bind(micros(at))
                .bind(id)
                .execute(&tx)?;
            let dose =
                writes::get_dose(&tx, id)?.ok_or(StoreError::NotFound { what: "dose", id })?;
            tx.commit().db()?;
            Ok(dose)
        })
    }

    async fn dose_revisions(&self, dose_id: i64) -> Result<Vec<DoseRevision>> {
        self.with(|conn| {
            sql::query("SELECT * FROM dose_revision WHERE dose_id = ?1 ORDER BY id")
                .bind(dose_id)
                .fetch_all(conn, rows::read::<DoseRevision>)
        })
    }

    async fn add_checkin(&self, c: &NewCheckin, created_at: Timestamp) -> Result<Checkin> {
        self.add(Checkin {
            id: 0,
            checkin: c.clone(),
            created_at,
            updated_at: None,
            deleted_at: None,
        })
    }

    async fn checkin(&self, id: i64) -> Result<Option<Checkin>> {
        self.with(|conn| {
            sql::query("SELECT * FROM checkin WHERE id = ?1")
                .bind(id)
                .fetch_optional(conn, rows::read::<Checkin>)
        })
    }

    async fn checkins(&self, w: Window) -> Result<Vec<Checkin>> {
        let extra = if w.include_deleted {
            ""
        } else {
            "AND deleted_at IS NULL"
        };
        self.window::<Checkin>(w, extra)
    }

    async fn last_checkin(&self) -> Result<Option<Checkin>> {
        self.with(|conn| {
            sql::query(
                "SELECT * FROM checkin WHERE deleted_at IS NULL ORDER BY at DESC, id DESC LIMIT 1",
            )
            .fetch_optional(conn, rows::read::<Checkin>)
        })
    }

    async fn edit_checkin(
        &self,
        id: i64,
        new: &NewCheckin,
        at: Timestamp,
        reason: Option<&str>,
    ) -> Result<Checkin> {
        self.with(|conn| {
            let tx = conn
                .transaction_with_behavior(TransactionBehavior::Immediate)
                .db()?;
            let old: Checkin = writes::revise(&tx, id, at, RevisionAction::Edit, reason)?;
            let edited = Checkin {
                checkin: new.clone(),
                updated_at: Some(at),
                ..old
            };
            writes::update(&tx, &edited, |c| {
                codec::CHECKIN_FIELDS.contains(&c) || c == "updated_at"
            })?;
            tx.commit().db()?;
            Ok(edited)
        })
    }

    async fn delete_checkin(
        &self,
        id: i64,
        at: Timestamp,
        reason: Option<&str>,
    ) -> Result<Checkin> {
        self.with(|conn| {
            let tx = conn
                .transaction_with_behavior(TransactionBehavior::Immediate)
                .db()?;
            let old: Checkin = writes::revise(&tx, id, at, RevisionAction::Delete, reason)?;
            let deleted = Checkin {
                deleted_at: Some(at),
                ..old
            };
            writes::update(&tx, &deleted, |c| c == "deleted_at")?;
            tx.commit().db()?;
            Ok(deleted)
        })
    }

    async fn setting(&self, key: &str) -> Result<Option<String>> {
        self.with(|conn| {
            sql::query("SELECT value FROM setting WHERE key = ?1")
                .bind(key)
                .fetch_optional(conn, |r| r.try_get::<String, _>(0usize))
        })
    }

    async fn save_setting(&self, key: &str, value: Option<&str>) -> Result<()> {
        self.with(|conn| {
            match value {
                Some(v) => sql::query(
                    "INSERT INTO setting (key, value) VALUES (?1, ?2)
                     ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                )
                .bind(key)
                .bind(v)
                .execute(conn)?,
                None => sql::query("DELETE FROM setting WHERE key = ?1")
                    .bind(key)
                    .execute(conn)?,
            };
            Ok(())
        })
    }

    async fn checkin_revisions(&self, checkin_id: i64) -> Result<Vec<CheckinRevision>> {
        self.with(|conn| {
            sql::query("SELECT * FROM checkin_revision WHERE checkin_id = ?1 ORDER BY id")
                .bind(checkin_id)
                .fetch_all(conn, rows::read::<CheckinRevision>)
        })
    }

    async fn add_protocol(&self, p: &NewProtocol, at: Timestamp, date: Date) -> Result<Protocol> {
        self.with(|conn| {
            let tx = conn
                .transaction_with_behavior(TransactionBehavior::Immediate)
                .db()?;
            let current =
                sql::query("SELECT * FROM protocol WHERE substance = ?1 AND status <> 'ended'")
                    .bind(p.substance.as_str())
                    .fetch_optional(&tx, rows::read::<Protocol>)?;
            let switch = protocol::switch(current, p, at, date);
            if let Some((old, ended)) = &switch.ended {
                writes::update_protocol(&tx, old)?;
                writes::insert(&tx, ended, false)?;
            }
            let id = writes::insert(&tx, &switch.started, false)?;
            let created = ProtocolEvent {
                protocol_id: id,
                ..switch.created
            };
            writes::insert(&tx, &created, false)?;
            let created = writes::get_protocol(&tx, id)?.ok_or(StoreError::NotFound {
                what: "protocol",
                id,
            })?;
            tx.commit().db()?;
            Ok(created)
        })
    }

    async fn protocol(&self, id: i64) -> Result<Option<Protocol>> {
        self.with(|conn| writes::get_protocol(conn, id))
    }

    async fn protocols(&self, include_ended: bool) -> Result<Vec<Protocol>> {
        self.with(|conn| {
            sql::query("SELECT * FROM protocol WHERE ?1 OR status <> 'ended' ORDER BY id DESC")
                .bind(include_ended)
                .fetch_all(conn, rows::read::<Protocol>)
        })
    }

    async fn current_protocol(&self, substance: Substance) -> Result<Option<Protocol>> {
        self.with(|conn| {
            sql::query("SELECT * FROM protocol WHERE substance = ?1 AND status <> 'ended'")
                .bind(substance.as_str())
                .fetch_optional(conn, rows::read::<Protocol>)
        })
    }

    async fn save_protocol(
        &self,
        p: &Protocol,
        kind: ProtocolEventKind,
        detail: Option<&str>,
        at: Timestamp,
        date: Date,
    ) -> Result<Protocol> {
        self.with(|conn| {
            let tx = conn
                .transaction_with_behavior(TransactionBehavior::Immediate)
                .db()?;
            writes::update_protocol(&tx, p)?;
            let e = ProtocolEvent::new(p.id, at, date, kind, detail.map(str::to_string));
            writes::insert(&tx, &e, false)?;
            let saved = writes::get_protocol(&tx, p.id)?.ok_or(StoreError::NotFound {
                what: "protocol",
                id: p.id,
            })?;
            tx.commit().db()?;
            Ok(saved)
        })
    }

    async fn protocol_events(&self, protocol_id: i64) -> Result<Vec<ProtocolEvent>> {
        self.with(|conn| {
            sql::query("SELECT * FROM protocol_event WHERE protocol_id = ?1 ORDER BY at, id")
                .bind(protocol_id)
                .fetch_all(conn, rows::read::<ProtocolEvent>)
        })
    }

    async fn add_medication(&self, m: &NewMedication) -> Result<Medication> {
        self.add(Medication {
            id: 0,
            medication: m.clone(),
            removed_at: None,
        })
    }

    async fn medications(&self, include_removed: bool) -> Result<Vec<Medication>> {
        self.with(|conn| {
            sql::query("SELECT * FROM medication WHERE ?1 OR removed_at IS NULL ORDER BY id")
                .bind(include_removed)
                .fetch_all(conn, rows::read::<Medication>)
        })
    }

    async fn remove_medication(&self, id: i64, at: Timestamp) -> Result<Medication> {
        self.with(|conn| {
            sql::query(
            "UPDATE medication SET removed_at = coalesce(removed_at, ?1) WHERE id = ?2 RETURNING *",
        )
        .bind(micros(at))
        .bind(id)
        .fetch_optional(conn, rows::read::<Medication>)?
        .ok_or(StoreError::NotFound {
            what: "medication",
            id,
        })
        })
    }

    async fn add_substance_use(
        &self,
        u: &NewSubstanceUse,
        created_at: Timestamp,
    ) -> Result<SubstanceUse> {
        self.add(SubstanceUse {
            id: 0,
            usage: u.clone(),
            created_at,
        })
    }

    async fn substance_uses(&self, w: Window) -> Result<Vec<SubstanceUse>> {
        self.window::<SubstanceUse>(w, "")
    }

    async fn add_vitals(&self, v: &NewVitals, created_at: Timestamp) -> Result<Vitals> {
        self.add(Vitals {
            id: 0,
            vitals: v.clone(),
            created_at,
        })
    }

    async fn vitals(&self, w: Window) -> Result<Vec<Vitals>> {
        self.window::<Vitals>(w, "")
    }

    async fn add_clearance(
        &self,
        topic: ClearanceTopic,
        at: Timestamp,
        note: Option<&str>,
    ) -> Result<Clearance> {
        self.add(Clearance {
            id: 0,
            at,
            topic,
            note: note.map(str::to_string),
        })
    }

    async fn clearances(&self) -> Result<Vec<Clearance>> {
        self.with(|conn| {
            sql::query("SELECT * FROM clearance ORDER BY at, id")
                .fetch_all(conn, rows::read::<Clearance>)
        })
    }

    async fn add_trial(&self, t: &NewTrial, created_at: Timestamp) -> Result<Trial> {
        self.add(Trial {
            id: 0,
            trial: t.clone(),
            created_at,
        })
    }

    async fn trials(&self) -> Result<Vec<Trial>> {
        self.with(|conn| {
            sql::query("SELECT * FROM trial ORDER BY id").fetch_all(conn, rows::read::<Trial>)
        })
    }

    async fn add_trial_event(&self, e: &NewTrialEvent) -> Result<TrialEvent> {
        self.with(|conn| {
            let tx = conn
                .transaction_with_behavior(TransactionBehavior::Immediate)
                .db()?;
            sql::query("SELECT id FROM trial WHERE id = ?1")
                .bind(e.trial_id)
                .fetch_optional(&tx, |_| Ok(()))?
                .ok_or(StoreError::NotFound {
                    what: "trial",
                    id: e.trial_id,
                })?;
            let mut x = TrialEvent {
                id: 0,
                event: e.clone(),
            };
            x.set_id(writes::insert(&tx, &x, false)?);
            tx.commit().db()?;
            Ok(x)
        })
    }

    async fn trial_events(&self, trial_id: i64) -> Result<Vec<TrialEvent>> {
        self.with(|conn| {
            sql::query("SELECT * FROM trial_event WHERE trial_id = ?1 ORDER BY id")
                .bind(trial_id)
                .fetch_all(conn, rows::read::<TrialEvent>)
        })
    }

    async fn urinary_checkins(&self, w: Window) -> Result<Vec<Checkin>> {
        self.window::<Checkin>(w, "AND urinary <> '[]' AND deleted_at IS NULL")
    }

    async fn add_assessment(&self, a: &NewAssessment, created_at: Timestamp) -> Result<Assessment> {
        self.add(Assessment {
            id: 0,
            assessment: a.clone(),
            created_at,
        })
    }

    async fn assessments(&self, w: Window) -> Result<Vec<Assessment>> {
        self.window::<Assessment>(w, "")
    }

    /// The sizes and modification times of the database and its write-ahead log: any commit,
    /// by any process, changes the log (or, after a checkpoint, the database). A few
    /// microseconds, and no wait for the connection, which a long request may hold.
    async fn changes(&self) -> Result<u64> {
        let Some(path) = &self.path else {
            return self.with(|conn| Ok(conn.total_changes()));
        };
        use std::hash::{Hash, Hasher};
        let mut h = std::collections::hash_map::DefaultHasher::new();
        let mut wal = path.clone().into_os_string();
        wal.push("-wal");
        for p in [path.as_os_str(), wal.as_os_str()] {
            let m = std::fs::metadata(p).ok();
            m.as_ref().map(std::fs::Metadata::len).hash(&mut h);
            m.and_then(|m| m.modified().ok()).hash(&mut h);
        }
        Ok(h.finish())
    }

    async fn export(&self) -> Result<Journal> {
        self.with(|conn| {
            // One read transaction: a consistent snapshot even while the web server writes.
            let tx = conn.transaction().db()?;
            let j = read_journal(&tx)?;
            tx.commit().db()?;
            Ok(j)
        })
    }

    async fn import(&self, j: &Journal) -> Result<ImportReport> {
        self.with(|conn| {
            let tx = conn
                .transaction_with_behavior(TransactionBehavior::Immediate)
                .db()?;
            let report = writes::import(&tx, j);
            match report {
                Ok(r) => {
                    tx.commit().db()?;
                    Ok(r)
                }
                // Dropping the transaction rolls it back: nothing of the import remains.
                Err(e) => Err(e),
            }
        })
    }
}
