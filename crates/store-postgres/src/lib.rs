//! Dosewise on PostgreSQL: many journals in one database, one [`PgStore`] per journal.
//!
//! Every table leads with `journal_id` (primary keys and indexes), record ids are per journal,
//! and values are encoded by `dosewise_store::codec` exactly as in SQLite, so an export reads the
//! same from either backend. Connections come from a pool (deadpool-postgres on tokio-postgres,
//! fully asynchronous: nothing here blocks a runtime worker). Writers of one journal take turns
//! on its `journal` row (`SELECT … FOR UPDATE`), the way SQLite's `BEGIN IMMEDIATE` makes one
//! writer wait for another; ids are allocated under that lock. Migrations are embedded and run
//! at open under an advisory lock, in one transaction each (PostgreSQL's DDL is transactional).

mod rows;

use deadpool_postgres::{GenericClient, Manager, ManagerConfig, Pool, RecyclingMethod};
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
use dosewise_store::codec::{self, Record, Revised, Value};
use dosewise_store::{ImportReport, LoggedDose, Result, Store, StoreError, Window};
use rows::{Param, pg_error};
use tokio_postgres::types::ToSql;

/// Schema migrations, applied in order; the index + 1 is the schema version.
const MIGRATIONS: &[&str] = &[
    include_str!("../migrations/0001_init.sql"),
    include_str!("../migrations/0002_checkin_revisions.sql"),
    include_str!("../migrations/0003_settings.sql"),
    include_str!("../migrations/0004_clinician.sql"),
    include_str!("../migrations/0005_trials.sql"),
];

/// The schema version this build writes.
pub const SCHEMA_VERSION: i64 = MIGRATIONS.len() as i64;

/// The advisory lock migrations run under ("DOSE" in ASCII, as SQLite's application id).
const MIGRATION_LOCK: i64 = 0x444F_5345;

/// Connections a store keeps open at most.
pub const POOL_SIZE: usize = 8;

/// One journal in a PostgreSQL database.
#[derive(Clone)]
pub struct PgStore {
    pool: Pool,
    journal: i64,
}

impl std::fmt::Debug for PgStore {
    /// The journal's number only: the URL may hold a password.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PgStore")
            .field("journal", &self.journal)
            .finish_non_exhaustive()
    }
}

impl PgStore {
    /// Connect to the database at `url` (`postgres://user@host:port/db`), bring its schema up
    /// to date, and open the journal called `journal`, creating it if it does not exist.
    pub async fn open(url: &str, journal: &str) -> Result<PgStore> {
        let config: tokio_postgres::Config = url
            .parse()
            .map_err(|e| StoreError::Conversion(format!("not a PostgreSQL address: {e}")))?;
        let manager = Manager::from_config(
            config,
            tokio_postgres::NoTls,
            ManagerConfig {
                recycling_method: RecyclingMethod::Fast,
            },
        );
        let pool = Pool::builder(manager)
            .max_size(POOL_SIZE)
            .build()
            .map_err(|e| StoreError::Backend(Box::new(e)))?;
        let mut client = get(&pool).await?;
        migrate(&mut client).await?;
        let now = Timestamp::now().as_microsecond();
        let row = client
            .query_one(
                "WITH made AS (
                   INSERT INTO journal (name, created_at) VALUES ($1, $2)
                   ON CONFLICT (name) DO NOTHING RETURNING id)
                 SELECT id FROM made UNION ALL SELECT id FROM journal WHERE name = $1",
                &[&journal, &now],
            )
            .await
            .map_err(pg_error)?;
        let journal = row.try_get(0).map_err(pg_error)?;
        Ok(PgStore { pool, journal })
    }

    /// This journal's number in the database.
    pub fn journal_id(&self) -> i64 {
        self.journal
    }

    /// The schema version of the database.
    pub async fn schema_version(&self) -> Result<i64> {
        let c = get(&self.pool).await?;
        version(&c).await
    }

    /// Close every pooled connection.
    pub async fn close(self) -> Result<()> {
        self.pool.close();
        Ok(())
    }
}

async fn get(pool: &Pool) -> Result<deadpool_postgres::Client> {
    pool.get().await.map_err(|e| match e {
        deadpool_postgres::PoolError::Backend(e) => pg_error(e),
        other => StoreError::Backend(Box::new(other)),
    })
}

async fn version(c: &tokio_postgres::Client) -> Result<i64> {
    let exists: bool = c
        .query_one("SELECT to_regclass('dosewise_schema') IS NOT NULL", &[])
        .await
        .and_then(|r| r.try_get(0))
        .map_err(pg_error)?;
    if !exists {
        return Ok(0);
    }
    c.query_one("SELECT version FROM dosewise_schema", &[])
        .await
        .and_then(|r| r.try_get(0))
        .map_err(pg_error)
}

async fn migrate(client: &mut deadpool_postgres::Client) -> Result<()> {
    let tx = client.transaction().await.map_err(pg_error)?;
    tx.execute("SELECT pg_advisory_xact_lock($1)", &[&MIGRATION_LOCK])
        .await
        .map_err(pg_error)?;
    tx.batch_execute("CREATE TABLE IF NOT EXISTS dosewise_schema (version BIGINT NOT NULL)")
        .await
        .map_err(pg_error)?;
    let found: Option<i64> = tx
        .query_opt("SELECT version FROM dosewise_schema", &[])
        .await
        .map_err(pg_error)?
        .map(|r| r.try_get(0))
        .transpose()
        .map_err(pg_error)?;
    let found = found.unwrap_or(0);
    if found > SCHEMA_VERSION {
        return Err(StoreError::NewerSchema {
            found,
            known: SCHEMA_VERSION,
        });
    }
    for m in MIGRATIONS.iter().skip(usize::try_from(found).unwrap_or(0)) {
        tx.batch_execute(m).await.map_err(pg_error)?;
    }
    tx.execute("DELETE FROM dosewise_schema", &[])
        .await
        .map_err(pg_error)?;
    tx.execute(
        "INSERT INTO dosewise_schema (version) VALUES ($1)",
        &[&SCHEMA_VERSION],
    )
    .await
    .map_err(pg_error)?;
    tx.commit().await.map_err(pg_error)
}

/// `$FROM, $FROM+1, …` for `n` parameters.
fn params(from: usize, n: usize) -> String {
    (from..from + n)
        .map(|i| format!("${i}"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// A window's bounds as microseconds (inclusive, exclusive).
fn bounds(w: Window) -> (i64, i64) {
    (
        w.from.map_or(i64::MIN, |t| t.as_microsecond()),
        w.to.map_or(i64::MAX, |t| t.as_microsecond()),
    )
}

/// Run `sql` with the journal as `$1` and `rest` after it; read each row with `read`.
async fn fetch<T>(
    c: &impl GenericClient,
    sql: &str,
    journal: i64,
    rest: &[Value],
    read: impl Fn(&tokio_postgres::Row) -> Result<T>,
) -> Result<Vec<T>> {
    let stmt = c.prepare_cached(sql).await.map_err(pg_error)?;
    let rest: Vec<Param<'_>> = rest.iter().map(Param).collect();
    let mut all: Vec<&(dyn ToSql + Sync)> = vec![&journal];
    all.extend(rest.iter().map(|p| p as &(dyn ToSql + Sync)));
    let rows = c.query(&stmt, &all).await.map_err(pg_error)?;
    rows.iter().map(read).collect()
}

async fn fetch_opt<T>(
    c: &impl GenericClient,
    sql: &str,
    journal: i64,
    rest: &[Value],
    read: impl Fn(&tokio_postgres::Row) -> Result<T>,
) -> Result<Option<T>> {
    Ok(fetch(c, sql, journal, rest, read).await?.into_iter().next())
}

/// Run a statement that returns no rows, with the journal as `$1`; how many rows it touched.
async fn execute(c: &impl GenericClient, sql: &str, journal: i64, rest: &[Value]) -> Result<u64> {
    let stmt = c.prepare_cached(sql).await.map_err(pg_error)?;
    let rest: Vec<Param<'_>> = rest.iter().map(Param).collect();
    let mut all: Vec<&(dyn ToSql + Sync)> = vec![&journal];
    all.extend(rest.iter().map(|p| p as &(dyn ToSql + Sync)));
    c.execute(&stmt, &all).await.map_err(pg_error)
}

fn read<T: Record>(r: &tokio_postgres::Row) -> Result<T> {
    T::read(&rows::PgRow(r))
}

/// One record by id.
async fn get_one<T: Record>(c: &impl GenericClient, journal: i64, id: i64) -> Result<Option<T>> {
    let sql = format!(
        "SELECT * FROM {} WHERE journal_id = $1 AND id = $2",
        T::TABLE
    );
    fetch_opt(c, &sql, journal, &[Value::Int(id)], read::<T>).await
}

/// Every record of a kind, by id.
async fn all<T: Record>(c: &impl GenericClient, journal: i64) -> Result<Vec<T>> {
    let sql = format!(
        "SELECT * FROM {} WHERE journal_id = $1 ORDER BY id",
        T::TABLE
    );
    fetch(c, &sql, journal, &[], read::<T>).await
}

/// Records of a kind in a time window, in time order; `extra` narrows the rows further.
async fn windowed<T: Record>(
    c: &impl GenericClient,
    journal: i64,
    w: Window,
    extra: &str,
) -> Result<Vec<T>> {
    let (from, to) = bounds(w);
    let sql = format!(
        "SELECT * FROM {} WHERE journal_id = $1 AND at >= $2 AND at < $3 {extra} ORDER BY at, id",
        T::TABLE
    );
    fetch(c, &sql, journal, &[from.into(), to.into()], read::<T>).await
}

/// Take this journal's write turn for the rest of the transaction, and count the change
/// ([`Store::changes`]; undone with the transaction if it fails).
async fn lock(c: &impl GenericClient, journal: i64) -> Result<()> {
    execute(
        c,
        "UPDATE journal SET revision = revision + 1 WHERE id = $1",
        journal,
        &[],
    )
    .await?;
    Ok(())
}

/// Insert a record under `id` (import) or under the journal's next id; returns the id. Call
/// with the journal's write turn taken.
async fn insert<T: Record>(
    c: &impl GenericClient,
    journal: i64,
    x: &T,
    keep_id: bool,
) -> Result<i64> {
    let id = if keep_id {
        x.id()
    } else {
        next_id(c, journal, T::TABLE).await?
    };
    insert_row(c, journal, T::TABLE, T::COLUMNS, id, x.values()?).await?;
    Ok(id)
}

async fn next_id(c: &impl GenericClient, journal: i64, table: &str) -> Result<i64> {
    let sql = format!("SELECT coalesce(max(id), 0) + 1 FROM {table} WHERE journal_id = $1");
    let id = fetch(c, &sql, journal, &[], |r| r.try_get(0).map_err(pg_error)).await?;
    id.into_iter()
        .next()
        .ok_or_else(|| codec::corrupt("no next id"))
}

async fn insert_row(
    c: &impl GenericClient,
    journal: i64,
    table: &str,
    columns: &[&str],
    id: i64,
    mut values: Vec<Value>,
) -> Result<()> {
    let sql = format!(
        "INSERT INTO {table} (journal_id, id, {}) VALUES ($1, $2, {})",
        columns.join(", "),
        params(3, columns.len())
    );
    values.insert(0, Value::Int(id));
    execute(c, &sql, journal, &values)
        .await
        .map_err(|e| rows::constraint_error(e, table, &values))?;
    Ok(())
}

/// Apply one supply move (the amount worked out by `dosewise_core::stock`) and record why.
/// Call with the journal's write turn taken. Returns the amount left.
async fn move_supply(
    c: &impl GenericClient,
    journal: i64,
    m: Move,
    at: Timestamp,
    kind: StockEventKind,
    dose_id: Option<i64>,
    reason: Option<&str>,
) -> Result<f64> {
    let stock_id = m.stock_id;
    let remaining = fetch_opt(
        c,
        "SELECT remaining FROM stock WHERE journal_id = $1 AND id = $2",
        journal,
        &[stock_id.into()],
        |r| r.try_get::<_, f64>(0).map_err(pg_error),
    )
    .await?
    .ok_or(StoreError::NotFound {
        what: "stock",
        id: stock_id,
    })?;
    let after =
        stock::after_move(remaining, m.delta).ok_or(StoreError::InsufficientStock { stock_id })?;
    execute(
        c,
        "UPDATE stock SET remaining = $3 WHERE journal_id = $1 AND id = $2",
        journal,
        &[stock_id.into(), after.into()],
    )
    .await?;
    let e = m.line(at, kind, after, dose_id, reason);
    insert(c, journal, &e, false).await?;
    Ok(after)
}

/// Apply a dose's supply moves; the amount left in the last stock moved, if any.
async fn move_supplies(
    c: &impl GenericClient,
    journal: i64,
    moves: Vec<Move>,
    at: Timestamp,
    kind: StockEventKind,
    dose_id: i64,
    reason: Option<&str>,
) -> Result<Option<f64>> {
    let mut left = None;
    for m in moves {
        left = Some(move_supply(c, journal, m, at, kind, Some(dose_id), reason).await?);
    }
    Ok(left)
}

/// Load a dose or check-in for a correction (refusing a missing or deleted one) and keep its
/// current version as a revision. Returns the record as it was.
async fn revise<T: Revised>(
    c: &impl GenericClient,
    journal: i64,
    id: i64,
    at: Timestamp,
    action: RevisionAction,
    reason: Option<&str>,
) -> Result<T> {
    let what = T::WHAT;
    let old = get_one::<T>(c, journal, id)
        .await?
        .ok_or(StoreError::NotFound { what, id })?;
    let revision = old
        .revision(at, action, reason)
        .ok_or(StoreError::Deleted { what, id })?;
    insert(c, journal, &revision, false).await?;
    Ok(old)
}

/// `UPDATE table SET col = $n, … WHERE journal_id = $1 AND id = $2` for the named columns of a
/// record; how many rows it touched.
async fn update<T: Record>(
    c: &impl GenericClient,
    journal: i64,
    x: &T,
    only: &[&str],
    extra: &[(&str, Value)],
) -> Result<u64> {
    let values = x.values()?;
    let mut sets = Vec::new();
    let mut bound = vec![Value::Int(x.id())];
    for (col, v) in T::COLUMNS.iter().zip(values) {
        if only.contains(col) {
            bound.push(v);
            sets.push(format!("{col} = ${}", bound.len() + 1));
        }
    }
    for (col, v) in extra {
        bound.push(v.clone());
        sets.push(format!("{col} = ${}", bound.len() + 1));
    }
    let sql = format!(
        "UPDATE {} SET {} WHERE journal_id = $1 AND id = $2",
        T::TABLE,
        sets.join(", ")
    );
    execute(c, &sql, journal, &bound)
        .await
        .map_err(|e| rows::constraint_error(e, T::TABLE, &x.values().unwrap_or_default()))
}

async fn read_journal(c: &impl GenericClient, journal: i64) -> Result<Journal> {
    Ok(Journal {
        format: FORMAT.into(),
        version: VERSION,
        profile: fetch_opt(
            c,
            "SELECT * FROM profile WHERE journal_id = $1",
            journal,
            &[],
            |r| codec::profile(&rows::PgRow(r)),
        )
        .await?,
        stocks: all(c, journal).await?,
        stock_events: all(c, journal).await?,
        doses: all(c, journal).await?,
        dose_revisions: all(c, journal).await?,
        checkins: all(c, journal).await?,
        checkin_revisions: all(c, journal).await?,
        protocols: all(c, journal).await?,
        protocol_events: all(c, journal).await?,
        medications: all(c, journal).await?,
        substance_uses: all(c, journal).await?,
        vitals: all(c, journal).await?,
        clearances: all(c, journal).await?,
        assessments: all(c, journal).await?,
        trials: all(c, journal).await?,
        trial_events: all(c, journal).await?,
    })
}

/// The protocols' columns a save rewrites (the creation time stays).
const PROTOCOL_SAVED: &[&str] = &[
    "name",
    "substance",
    "status",
    "definition",
    "pauses",
    "ended_at",
];

/// A stock's preparation details: amounts move through the ledger, never by an update.
const STOCK_DETAILS: &[&str] = &[
    "name",
    "preparation",
    "default_route",
    "lot",
    "expiry",
    "opened",
    "note",
    "dispensed",
];

impl PgStore {
    /// Store a new record; it comes back with its id.
    async fn add<T: Record + Sync>(&self, mut x: T) -> Result<T> {
        let id = self
            .write(async |tx, j| insert(tx, j, &x, false).await)
            .await?;
        x.set_id(id);
        Ok(x)
    }

    async fn client(&self) -> Result<deadpool_postgres::Client> {
        get(&self.pool).await
    }

    /// Run `f` in a transaction holding this journal's write turn; commit if it succeeds.
    async fn write<T>(
        &self,
        f: impl AsyncFnOnce(&deadpool_postgres::Transaction<'_>, i64) -> Result<T>,
    ) -> Result<T> {
        let mut c = self.client().await?;
        let tx = c.transaction().await.map_err(pg_error)?;
        lock(&tx, self.journal).await?;
        let out = f(&tx, self.journal).await?;
        tx.commit().await.map_err(pg_error)?;
        Ok(out)
    }
}

impl Store for PgStore {
    async fn profile(&self) -> Result<Option<Profile>> {
        let c = self.client().await?;
        fetch_opt(
            &c,
            "SELECT * FROM profile WHERE journal_id = $1",
            self.journal,
            &[],
            |r| codec::profile(&rows::PgRow(r)),
        )
        .await
    }

    async fn save_profile(&self, p: &Profile) -> Result<()> {
        let cols = codec::PROFILE_COLUMNS;
        let sql = format!(
            "INSERT INTO profile (journal_id, {}) VALUES ($1, {})
             ON CONFLICT (journal_id) DO UPDATE SET {}",
            cols.join(", "),
            params(2, cols.len()),
            cols.iter()
                .filter(|c| **c != "created_at")
                .map(|c| format!("{c} = excluded.{c}"))
                .collect::<Vec<_>>()
                .join(", ")
        );
        let values = codec::profile_values(p)?;
        self.write(async |tx, j| execute(tx, &sql, j, &values).await)
            .await?;
        Ok(())
    }

    async fn add_stock(&self, s: &NewStock) -> Result<Stock> {
        self.write(async |tx, j| {
            let mut stock = Stock {
                id: 0,
                stock: s.clone(),
                retired_at: None,
                retire_reason: None,
            };
            stock.id = insert(tx, j, &stock, false).await?;
            let e = StockEvent {
                id: 0,
                stock_id: stock.id,
                at: s.created_at,
                kind: StockEventKind::Added,
                delta: s.remaining,
                remaining_after: s.remaining,
                dose_id: None,
                reason: None,
            };
            insert(tx, j, &e, false).await?;
            Ok(stock)
        })
        .await
    }

    async fn stock(&self, id: i64) -> Result<Option<Stock>> {
        get_one(&self.client().await?, self.journal, id).await
    }

    async fn stock_by_name(&self, name: &str) -> Result<Option<Stock>> {
        fetch_opt(
            &self.client().await?,
            "SELECT * FROM stock WHERE journal_id = $1 AND retired_at IS NULL AND lower(name) = lower($2)",
            self.journal,
            &[name.trim().into()],
            read::<Stock>,
        )
        .await
    }

    async fn stocks(&self, include_retired: bool) -> Result<Vec<Stock>> {
        fetch(
            &self.client().await?,
            "SELECT * FROM stock WHERE journal_id = $1 AND ($2 OR retired_at IS NULL) ORDER BY id",
            self.journal,
            &[include_retired.into()],
            read::<Stock>,
        )
        .await
    }

    async fn stock_events(&self, stock_id: i64) -> Result<Vec<StockEvent>> {
        fetch(
            &self.client().await?,
            "SELECT * FROM stock_event WHERE journal_id = $1 AND stock_id = $2 ORDER BY at, id",
            self.journal,
            &[stock_id.into()],
            read::<StockEvent>,
        )
        .await
    }

    async fn adjust_stock(
        &self,
        id: i64,
        adjustment: Adjustment,
        at: Timestamp,
        reason: Option<&str>,
    ) -> Result<Stock> {
        self.write(async |tx, j| {
            let s = get_one::<Stock>(tx, j, id)
                .await?
                .ok_or(StoreError::NotFound { what: "stock", id })?;
            let (delta, kind) = adjustment.delta(s.stock.remaining);
            let m = Move {
                stock_id: id,
                delta,
            };
            move_supply(tx, j, m, at, kind, None, reason).await?;
            get_one::<Stock>(tx, j, id)
                .await?
                .ok_or(StoreError::NotFound { what: "stock", id })
        })
        .await
    }

    async fn update_stock(&self, s: &Stock) -> Result<Stock> {
        self.write(async |tx, j| {
            let n = update(tx, j, s, STOCK_DETAILS, &[]).await?;
            let not_found = StoreError::NotFound {
                what: "stock",
                id: s.id,
            };
            if n == 0 {
                return Err(not_found);
            }
            get_one(tx, j, s.id).await?.ok_or(not_found)
        })
        .await
    }

    async fn retire_stock(&self, id: i64, at: Timestamp, reason: Option<&str>) -> Result<Stock> {
        self.write(async |tx, j| {
            let s = get_one::<Stock>(tx, j, id)
                .await?
                .ok_or(StoreError::NotFound { what: "stock", id })?;
            if s.is_retired() {
                return Ok(s);
            }
            execute(
                tx,
                "UPDATE stock SET retired_at = $3, retire_reason = $4 WHERE journal_id = $1 AND id = $2",
                j,
                &[id.into(), at.into(), reason.into()],
            )
            .await?;
            let e = StockEvent {
                id: 0,
                stock_id: id,
                at,
                kind: StockEventKind::Retire,
                delta: 0.0,
                remaining_after: s.stock.remaining,
                dose_id: None,
                reason: reason.map(str::to_string),
            };
            insert(tx, j, &e, false).await?;
            get_one::<Stock>(tx, j, id)
                .await?
                .ok_or(StoreError::NotFound { what: "stock", id })
        })
        .await
    }

    async fn log_dose(&self, d: &NewDose, created_at: Timestamp) -> Result<LoggedDose> {
        self.write(async |tx, j| {
            let mut dose = Dose {
                id: 0,
                dose: d.clone(),
                created_at,
                updated_at: None,
                deleted_at: None,
            };
            dose.id = insert(tx, j, &dose, false).await?;
            let moves = stock::supply_moves(None, Draw::of(d.stock_id, d.supply_used));
            let kind = StockEventKind::Dose;
            let stock_remaining = move_supplies(tx, j, moves, d.at, kind, dose.id, None).await?;
            Ok(LoggedDose {
                dose,
                stock_remaining,
            })
        })
        .await
    }

    async fn dose(&self, id: i64) -> Result<Option<Dose>> {
        get_one(&self.client().await?, self.journal, id).await
    }

    async fn doses(&self, w: Window) -> Result<Vec<Dose>> {
        let (from, to) = bounds(w);
        fetch(
            &self.client().await?,
            "SELECT * FROM dose WHERE journal_id = $1 AND at >= $2 AND at < $3
               AND ($4 OR deleted_at IS NULL) ORDER BY at, id",
            self.journal,
            &[from.into(), to.into(), w.include_deleted.into()],
            read::<Dose>,
        )
        .await
    }

    async fn dose_history(&self, w: Window) -> Result<Vec<Dose>> {
        let (from, to) = bounds(w);
        // Everything but the stored findings, which the safety check never reads.
        let columns = Dose::COLUMNS
            .iter()
            .filter(|c| **c != "findings")
            .copied()
            .collect::<Vec<_>>()
            .join(", ");
        let sql = format!(
            "SELECT id, {columns} FROM dose WHERE journal_id = $1 AND at >= $2 AND at < $3
               AND ($4 OR deleted_at IS NULL) ORDER BY at, id"
        );
        fetch(
            &self.client().await?,
            &sql,
            self.journal,
            &[from.into(), to.into(), w.include_deleted.into()],
            |r| codec::dose_without_findings(&rows::PgRow(r)),
        )
        .await
    }

    async fn recent_doses(&self, n: u32) -> Result<Vec<Dose>> {
        fetch(
            &self.client().await?,
            "SELECT * FROM dose WHERE journal_id = $1 AND deleted_at IS NULL
             ORDER BY at DESC, id DESC LIMIT $2",
            self.journal,
            &[i64::from(n).into()],
            read::<Dose>,
        )
        .await
    }

    async fn edit_dose(
        &self,
        id: i64,
        new: &NewDose,
        at: Timestamp,
        reason: Option<&str>,
    ) -> Result<Dose> {
        self.write(async |tx, j| {
            let old: Dose = revise(tx, j, id, at, RevisionAction::Edit, reason).await?;
            let moves = stock::supply_moves(
                Draw::of(old.dose.stock_id, old.dose.supply_used),
                Draw::of(new.stock_id, new.supply_used),
            );
            let kind = StockEventKind::DoseEdit;
            move_supplies(tx, j, moves, at, kind, id, reason).await?;
            let edited = Dose {
                id,
                dose: new.clone(),
                created_at: old.created_at,
                updated_at: Some(at),
                deleted_at: None,
            };
            update(
                tx,
                j,
                &edited,
                codec::DOSE_FIELDS,
                &[("updated_at", at.into())],
            )
            .await?;
            get_one::<Dose>(tx, j, id)
                .await?
                .ok_or(StoreError::NotFound { what: "dose", id })
        })
        .await
    }

    async fn delete_dose(&self, id: i64, at: Timestamp, reason: Option<&str>) -> Result<Dose> {
        self.write(async |tx, j| {
            let old: Dose = revise(tx, j, id, at, RevisionAction::Delete, reason).await?;
            let moves =
                stock::supply_moves(Draw::of(old.dose.stock_id, old.dose.supply_used), None);
            let kind = StockEventKind::DoseDelete;
            move_supplies(tx, j, moves, at, kind, id, reason).await?;
            execute(
                tx,
                "UPDATE dose SET deleted_at = $3 WHERE journal_id = $1 AND id = $2",
                j,
                &[id.into(), at.into()],
            )
            .await?;
            get_one::<Dose>(tx, j, id)
                .await?
                .ok_or(StoreError::NotFound { what: "dose", id })
        })
        .await
    }

    async fn dose_revisions(&self, dose_id: i64) -> Result<Vec<DoseRevision>> {
        fetch(
            &self.client().await?,
            "SELECT * FROM dose_revision WHERE journal_id = $1 AND dose_id = $2 ORDER BY id",
            self.journal,
            &[dose_id.into()],
            read::<DoseRevision>,
        )
        .await
    }

    async fn add_checkin(&self, c: &NewCheckin, created_at: Timestamp) -> Result<Checkin> {
        self.add(Checkin {
            id: 0,
            checkin: c.clone(),
            created_at,
            updated_at: None,
            deleted_at: None,
        })
        .await
    }

    async fn checkin(&self, id: i64) -> Result<Option<Checkin>> {
        get_one(&self.client().await?, self.journal, id).await
    }

    async fn checkins(&self, w: Window) -> Result<Vec<Checkin>> {
        let extra = if w.include_deleted {
            ""
        } else {
            "AND deleted_at IS NULL"
        };
        windowed(&self.client().await?, self.journal, w, extra).await
    }

    async fn last_checkin(&self) -> Result<Option<Checkin>> {
        fetch_opt(
            &self.client().await?,
            "SELECT * FROM checkin WHERE journal_id = $1 AND deleted_at IS NULL
             ORDER BY at DESC, id DESC LIMIT 1",
            self.journal,
            &[],
            read::<Checkin>,
        )
        .await
    }

    async fn edit_checkin(
        &self,
        id: i64,
        new: &NewCheckin,
        at: Timestamp,
        reason: Option<&str>,
    ) -> Result<Checkin> {
        self.write(async |tx, j| {
            let old: Checkin = revise(tx, j, id, at, RevisionAction::Edit, reason).await?;
            let edited = Checkin {
                checkin: new.clone(),
                updated_at: Some(at),
                ..old
            };
            let changed = [("updated_at", at.into())];
            update(tx, j, &edited, codec::CHECKIN_FIELDS, &changed).await?;
            Ok(edited)
        })
        .await
    }

    async fn delete_checkin(
        &self,
        id: i64,
        at: Timestamp,
        reason: Option<&str>,
    ) -> Result<Checkin> {
        self.write(async |tx, j| {
            let old: Checkin = revise(tx, j, id, at, RevisionAction::Delete, reason).await?;
            let deleted = Checkin {
                deleted_at: Some(at),
                ..old
            };
            update(tx, j, &deleted, &["deleted_at"], &[]).await?;
            Ok(deleted)
        })
        .await
    }

    async fn setting(&self, key: &str) -> Result<Option<String>> {
        let c = self.client().await?;
        let row = c
            .query_opt(
                "SELECT value FROM setting WHERE journal_id = $1 AND key = $2",
                &[&self.journal, &key],
            )
            .await
            .map_err(pg_error)?;
        row.map(|r| r.try_get(0)).transpose().map_err(pg_error)
    }

    async fn save_setting(&self, key: &str, value: Option<&str>) -> Result<()> {
        let c = self.client().await?;
        match value {
            Some(v) => c
                .execute(
                    "INSERT INTO setting (journal_id, key, value) VALUES ($1, $2, $3)
                     ON CONFLICT (journal_id, key) DO UPDATE SET value = excluded.value",
                    &[&self.journal, &key, &v],
                )
                .await
                .map_err(pg_error)?,
            None => c
                .execute(
                    "DELETE FROM setting WHERE journal_id = $1 AND key = $2",
                    &[&self.journal, &key],
                )
                .await
                .map_err(pg_error)?,
        };
        Ok(())
    }

    async fn checkin_revisions(&self, checkin_id: i64) -> Result<Vec<CheckinRevision>> {
        fetch(
            &self.client().await?,
            "SELECT * FROM checkin_revision WHERE journal_id = $1 AND checkin_id = $2 ORDER BY id",
            self.journal,
            &[checkin_id.into()],
            read::<CheckinRevision>,
        )
        .await
    }

    async fn urinary_checkins(&self, w: Window) -> Result<Vec<Checkin>> {
        windowed(
            &self.client().await?,
            self.journal,
            w,
            "AND urinary <> '[]' AND deleted_at IS NULL",
        )
        .await
    }

    async fn add_protocol(&self, p: &NewProtocol, at: Timestamp, date: Date) -> Result<Protocol> {
        self.write(async |tx, j| {
            let current = fetch_opt(
                tx,
                "SELECT * FROM protocol WHERE journal_id = $1 AND substance = $2 AND status <> 'ended'",
                j,
                &[p.substance.as_str().into()],
                read::<Protocol>,
            )
            .await?;
            let switch = protocol::switch(current, p, at, date);
            if let Some((old, ended)) = &switch.ended {
                update(tx, j, old, PROTOCOL_SAVED, &[]).await?;
                insert(tx, j, ended, false).await?;
            }
            let mut new = switch.started;
            new.id = insert(tx, j, &new, false).await?;
            let created = ProtocolEvent {
                protocol_id: new.id,
                ..switch.created
            };
            insert(tx, j, &created, false).await?;
            Ok(new)
        })
        .await
    }

    async fn protocol(&self, id: i64) -> Result<Option<Protocol>> {
        get_one(&self.client().await?, self.journal, id).await
    }

    async fn protocols(&self, include_ended: bool) -> Result<Vec<Protocol>> {
        fetch(
            &self.client().await?,
            "SELECT * FROM protocol WHERE journal_id = $1 AND ($2 OR status <> 'ended') ORDER BY id DESC",
            self.journal,
            &[include_ended.into()],
            read::<Protocol>,
        )
        .await
    }

    async fn current_protocol(&self, substance: Substance) -> Result<Option<Protocol>> {
        fetch_opt(
            &self.client().await?,
            "SELECT * FROM protocol WHERE journal_id = $1 AND substance = $2 AND status <> 'ended'",
            self.journal,
            &[substance.as_str().into()],
            read::<Protocol>,
        )
        .await
    }

    async fn save_protocol(
        &self,
        p: &Protocol,
        kind: ProtocolEventKind,
        detail: Option<&str>,
        at: Timestamp,
        date: Date,
    ) -> Result<Protocol> {
        self.write(async |tx, j| {
            let n = update(tx, j, p, PROTOCOL_SAVED, &[]).await?;
            let not_found = StoreError::NotFound {
                what: "protocol",
                id: p.id,
            };
            if n == 0 {
                return Err(not_found);
            }
            let e = ProtocolEvent::new(p.id, at, date, kind, detail.map(str::to_string));
            insert(tx, j, &e, false).await?;
            get_one::<Protocol>(tx, j, p.id).await?.ok_or(not_found)
        })
        .await
    }

    async fn protocol_events(&self, protocol_id: i64) -> Result<Vec<ProtocolEvent>> {
        fetch(
            &self.client().await?,
            "SELECT * FROM protocol_event WHERE journal_id = $1 AND protocol_id = $2 ORDER BY at, id",
            self.journal,
            &[protocol_id.into()],
            read::<ProtocolEvent>,
        )
        .await
    }

    async fn add_medication(&self, m: &NewMedication) -> Result<Medication> {
        self.add(Medication {
            id: 0,
            medication: m.clone(),
            removed_at: None,
        })
        .await
    }

    async fn medications(&self, include_removed: bool) -> Result<Vec<Medication>> {
        fetch(
            &self.client().await?,
            "SELECT * FROM medication WHERE journal_id = $1 AND ($2 OR removed_at IS NULL) ORDER BY id",
            self.journal,
            &[include_removed.into()],
            read::<Medication>,
        )
        .await
    }

    async fn remove_medication(&self, id: i64, at: Timestamp) -> Result<Medication> {
        self.write(async |tx, j| {
            fetch_opt(
                tx,
                "UPDATE medication SET removed_at = coalesce(removed_at, $3)
                 WHERE journal_id = $1 AND id = $2 RETURNING *",
                j,
                &[id.into(), at.into()],
                read::<Medication>,
            )
            .await?
            .ok_or(StoreError::NotFound {
                what: "medication",
                id,
            })
        })
        .await
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
        .await
    }

    async fn substance_uses(&self, w: Window) -> Result<Vec<SubstanceUse>> {
        windowed(&self.client().await?, self.journal, w, "").await
    }

    async fn add_vitals(&self, v: &NewVitals, created_at: Timestamp) -> Result<Vitals> {
        self.add(Vitals {
            id: 0,
            vitals: v.clone(),
            created_at,
        })
        .await
    }

    async fn vitals(&self, w: Window) -> Result<Vec<Vitals>> {
        windowed(&self.client().await?, self.journal, w, "").await
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
        .await
    }

    async fn clearances(&self) -> Result<Vec<Clearance>> {
        fetch(
            &self.client().await?,
            "SELECT * FROM clearance WHERE journal_id = $1 ORDER BY at, id",
            self.journal,
            &[],
            read::<Clearance>,
        )
        .await
    }

    async fn add_trial(&self, t: &NewTrial, created_at: Timestamp) -> Result<Trial> {
        self.add(Trial {
            id: 0,
            trial: t.clone(),
            created_at,
        })
        .await
    }

    async fn trials(&self) -> Result<Vec<Trial>> {
        fetch(
            &self.client().await?,
            "SELECT * FROM trial WHERE journal_id = $1 ORDER BY id",
            self.journal,
            &[],
            read::<Trial>,
        )
        .await
    }

    async fn add_trial_event(&self, e: &NewTrialEvent) -> Result<TrialEvent> {
        let mut x = TrialEvent {
            id: 0,
            event: e.clone(),
        };
        let id = self
            .write(async |tx, j| {
                fetch_opt(
                    tx,
                    "SELECT id FROM trial WHERE journal_id = $1 AND id = $2",
                    j,
                    &[e.trial_id.into()],
                    |_| Ok(()),
                )
                .await?
                .ok_or(StoreError::NotFound {
                    what: "trial",
                    id: e.trial_id,
                })?;
                insert(tx, j, &x, false).await
            })
            .await?;
        x.set_id(id);
        Ok(x)
    }

    async fn trial_events(&self, trial_id: i64) -> Result<Vec<TrialEvent>> {
        fetch(
            &self.client().await?,
            "SELECT * FROM trial_event WHERE journal_id = $1 AND trial_id = $2 ORDER BY id",
            self.journal,
            &[trial_id.into()],
            read::<TrialEvent>,
        )
        .await
    }

    async fn add_assessment(&self, a: &NewAssessment, created_at: Timestamp) -> Result<Assessment> {
        self.add(Assessment {
            id: 0,
            assessment: a.clone(),
            created_at,
        })
        .await
    }

    async fn assessments(&self, w: Window) -> Result<Vec<Assessment>> {
        windowed(&self.client().await?, self.journal, w, "").await
    }

    async fn changes(&self) -> Result<u64> {
        let revision = fetch(
            &self.client().await?,
            "SELECT revision FROM journal WHERE id = $1",
            self.journal,
            &[],
            |r| r.try_get::<_, i64>(0).map_err(pg_error),
        )
        .await?;
        Ok(revision.first().map_or(0, |r| r.unsigned_abs()))
    }

    async fn export(&self) -> Result<Journal> {
        let mut c = self.client().await?;
        // One snapshot of the whole journal, however many writers are at work.
        let tx = c
            .build_transaction()
            .isolation_level(tokio_postgres::IsolationLevel::RepeatableRead)
            .read_only(true)
            .start()
            .await
            .map_err(pg_error)?;
        let j = read_journal(&tx, self.journal).await?;
        tx.commit().await.map_err(pg_error)?;
        Ok(j)
    }

    async fn import(&self, incoming: &Journal) -> Result<ImportReport> {
        self.write(async |tx, j| {
            let existing = read_journal(tx, j).await?;
            let plan = dosewise_store::import::plan(&existing, incoming)?;
            if let Some(p) = &plan.profile {
                let cols = codec::PROFILE_COLUMNS;
                let sql = format!(
                    "INSERT INTO profile (journal_id, {}) VALUES ($1, {})",
                    cols.join(", "),
                    params(2, cols.len())
                );
                execute(tx, &sql, j, &codec::profile_values(p)?).await?;
            }
            for table in plan.tables {
                for (id, values) in table.rows {
                    insert_row(tx, j, table.name, table.columns, id, values).await?;
                }
            }
            Ok(plan.report)
        })
        .await
    }
}
