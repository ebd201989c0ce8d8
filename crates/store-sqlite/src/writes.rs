//! Row-level reads and writes shared by the [`Store`](crate::Store) methods and by import.
//! Each function runs on whatever connection or transaction it is given.

use super::rows;
use super::sql;
use dosewise_core::dose::{Dose, NewDose, RevisionAction};
use dosewise_core::jiff::Timestamp;
use dosewise_core::journal::Journal;
use dosewise_core::profile::Profile;
use dosewise_core::protocol::Protocol;
use dosewise_core::stock::{self, Move, Stock, StockEvent, StockEventKind};
use dosewise_store::codec::{self, Record, Revised};
use dosewise_store::{ImportReport, Result, StoreError};
use rusqlite::Connection;

/// A constraint failure, with SQLite's message ("UNIQUE constraint failed: stock.name").
fn constraint(e: &StoreError) -> Option<&str> {
    let StoreError::Backend(b) = e else {
        return None;
    };
    match b.downcast_ref::<rusqlite::Error>() {
        Some(rusqlite::Error::SqliteFailure(f, Some(msg)))
            if f.code == rusqlite::ErrorCode::ConstraintViolation =>
        {
            Some(msg)
        }
        _ => None,
    }
}

pub(crate) fn name_conflict(e: StoreError, name: &str) -> StoreError {
    match constraint(&e) {
        Some(m) if m.contains("UNIQUE") && m.contains("stock.name") => {
            StoreError::DuplicateName(name.to_string())
        }
        _ => e,
    }
}

/// A second current protocol for a substance violates the one-current rule.
pub(crate) fn current_conflict(e: StoreError, id: i64) -> StoreError {
    match constraint(&e) {
        Some(m) if m.contains("UNIQUE") => StoreError::ImportConflicts(vec![format!(
            "protocol {id} would be a second current protocol for its substance; end one of them first"
        )]),
        _ => e,
    }
}

pub(crate) fn save_profile(conn: &Connection, p: &Profile) -> Result<()> {
    let cols = codec::PROFILE_COLUMNS;
    let sql = format!(
        "INSERT INTO profile (id, {}) VALUES (1, {}) ON CONFLICT (id) DO UPDATE SET {}",
        cols.join(", "),
        params(1, cols.len()),
        // Everything but the creation time, which stays as first recorded.
        cols.iter()
            .filter(|c| **c != "created_at")
            .map(|c| format!("{c} = excluded.{c}"))
            .collect::<Vec<_>>()
            .join(", ")
    );
    sql::query(&sql)
        .bind_values(codec::profile_values(p)?)
        .execute(conn)?;
    Ok(())
}

/// `?FROM, ?FROM+1, …` for `n` parameters.
fn params(from: usize, n: usize) -> String {
    (from..from + n)
        .map(|i| format!("?{i}"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// Insert a record; with `keep_id` under its own id (import), else under the next one.
/// Returns the id.
pub(crate) fn insert<T: Record>(conn: &Connection, x: &T, keep_id: bool) -> Result<i64> {
    let sql = format!(
        "INSERT INTO {} (id, {}) VALUES (?1, {}) RETURNING id",
        T::TABLE,
        T::COLUMNS.join(", "),
        params(2, T::COLUMNS.len())
    );
    sql::query(&sql)
        .bind(keep_id.then_some(x.id()))
        .bind_values(x.values()?)
        .scalar(conn)
}

/// One record by id.
pub(crate) fn get<T: Record>(conn: &Connection, id: i64) -> Result<Option<T>> {
    let sql = format!("SELECT * FROM {} WHERE id = ?1", T::TABLE);
    sql::query(&sql)
        .bind(id)
        .fetch_optional(conn, rows::read::<T>)
}

/// Every record of a kind, by id.
pub(crate) fn all<T: Record>(conn: &Connection) -> Result<Vec<T>> {
    let sql = format!("SELECT * FROM {} ORDER BY id", T::TABLE);
    sql::query(&sql).fetch_all(conn, rows::read::<T>)
}

pub(crate) fn get_stock(conn: &Connection, id: i64) -> Result<Option<Stock>> {
    get(conn, id)
}

/// Insert a stock (new, or under its own id on import) and return it as stored.
pub(crate) fn insert_stock(conn: &Connection, s: &Stock, keep_id: bool) -> Result<Stock> {
    let id = insert(conn, s, keep_id).map_err(|e| name_conflict(e, &s.stock.name))?;
    get_stock(conn, id)?.ok_or(StoreError::NotFound { what: "stock", id })
}

/// Insert a ledger line. With `keep_id` the event's own id is used (import).
pub(crate) fn insert_stock_event(conn: &Connection, e: &StockEvent, keep_id: bool) -> Result<i64> {
    insert(conn, e, keep_id)
}

/// Apply one supply move (the amount worked out by `dosewise_core::stock`) and record why.
/// Returns the amount left.
pub(crate) fn move_supply(
    conn: &Connection,
    m: Move,
    at: Timestamp,
    kind: StockEventKind,
    dose_id: Option<i64>,
    reason: Option<&str>,
) -> Result<f64> {
    let stock_id = m.stock_id;
    let remaining: f64 = sql::query("SELECT remaining FROM stock WHERE id = ?1")
        .bind(stock_id)
        .fetch_optional(conn, |r| r.try_get(0))?
        .ok_or(StoreError::NotFound {
            what: "stock",
            id: stock_id,
        })?;
    let after =
        stock::after_move(remaining, m.delta).ok_or(StoreError::InsufficientStock { stock_id })?;
    sql::query("UPDATE stock SET remaining = ?1 WHERE id = ?2")
        .bind(after)
        .bind(stock_id)
        .execute(conn)?;
    let e = m.line(at, kind, after, dose_id, reason);
    insert_stock_event(conn, &e, false)?;
    Ok(after)
}

/// Apply a dose's supply moves; the amount left in the last stock moved, if any.
pub(crate) fn move_supplies(
    conn: &Connection,
    moves: Vec<Move>,
    at: Timestamp,
    kind: StockEventKind,
    dose_id: i64,
    reason: Option<&str>,
) -> Result<Option<f64>> {
    let mut left = None;
    for m in moves {
        left = Some(move_supply(conn, m, at, kind, Some(dose_id), reason)?);
    }
    Ok(left)
}

pub(crate) fn get_dose(conn: &Connection, id: i64) -> Result<Option<Dose>> {
    get(conn, id)
}

/// The first step of a correction: load the dose or check-in (refusing a missing or deleted
/// one) and keep its current version as a revision. Returns the record as it was.
pub(crate) fn revise<T: Revised>(
    conn: &Connection,
    id: i64,
    at: Timestamp,
    action: RevisionAction,
    reason: Option<&str>,
) -> Result<T> {
    let what = T::WHAT;
    let old = get::<T>(conn, id)?.ok_or(StoreError::NotFound { what, id })?;
    let revision = old
        .revision(at, action, reason)
        .ok_or(StoreError::Deleted { what, id })?;
    insert(conn, &revision, false)?;
    Ok(old)
}

/// Insert a new dose and return its id.
pub(crate) fn insert_dose(conn: &Connection, d: &NewDose, created_at: Timestamp) -> Result<i64> {
    let dose = Dose {
        id: 0,
        dose: d.clone(),
        created_at,
        updated_at: None,
        deleted_at: None,
    };
    insert(conn, &dose, false)
}

/// Rewrite the columns of a record that `only` names (a correction, a deletion mark, a
/// protocol's new definition).
pub(crate) fn update<T: Record>(
    conn: &Connection,
    x: &T,
    only: impl Fn(&str) -> bool,
) -> Result<()> {
    let mut sets = Vec::new();
    let mut values = Vec::new();
    for (col, v) in T::COLUMNS.iter().zip(x.values()?) {
        if only(col) {
            values.push(v);
            sets.push(format!("{col} = ?{}", values.len()));
        }
    }
    let sql = format!(
        "UPDATE {} SET {} WHERE id = ?{}",
        T::TABLE,
        sets.join(", "),
        values.len() + 1
    );
    let n = sql::query(&sql)
        .bind_values(values)
        .bind(x.id())
        .execute(conn)?;
    if n.rows_affected() == 0 {
        return Err(StoreError::NotFound {
            what: T::WHAT,
            id: x.id(),
        });
    }
    Ok(())
}

pub(crate) fn get_protocol(conn: &Connection, id: i64) -> Result<Option<Protocol>> {
    get(conn, id)
}

/// Rewrite a protocol's definition, status and pauses.
pub(crate) fn update_protocol(conn: &Connection, p: &Protocol) -> Result<()> {
    update(conn, p, |c| c != "created_at")
}

/// Import inside the caller's transaction: the plan is worked out by `dosewise_store::import`
/// against the journal as it is, then its rows are written. Conflicts come back as an error
/// (the caller rolls back).
pub(crate) fn import(conn: &Connection, j: &Journal) -> Result<ImportReport> {
    let existing = super::read_journal(conn)?;
    let plan = dosewise_store::import::plan(&existing, j)?;
    if let Some(p) = &plan.profile {
        save_profile(conn, p)?;
    }
    for table in &plan.tables {
        let sql = format!(
            "INSERT INTO {} (id, {}) VALUES (?1, {})",
            table.name,
            table.columns.join(", "),
            params(2, table.columns.len())
        );
        for (id, values) in &table.rows {
            sql::query(&sql)
                .bind(*id)
                .bind_values(values.clone())
                .execute(conn)
                .map_err(|e| match table.name {
                    "protocol" => current_conflict(e, *id),
                    "stock" => match values.first() {
                        Some(codec::Value::Text(name)) => name_conflict(e, name),
                        _ => e,
                    },
                    _ => e,
                })?;
        }
    }
    Ok(plan.report)
}
