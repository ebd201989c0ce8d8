//! SQLite rows as the store's neutral [`codec::Row`]: the encoding of every record lives in
//! `dosewise_store::codec`, shared with every backend; rusqlite types stay in this crate.

use dosewise_core::dose::Dose;
use dosewise_core::jiff::Timestamp;
use dosewise_core::profile::Profile;
use dosewise_store::Result;
use dosewise_store::codec::{self, Record, Value, corrupt};
use rusqlite::types::FromSql;

/// One result row and its statement's column names, so a column is found by name with a plain
/// comparison over a short list (rusqlite's own by-name lookup asks SQLite for every column's
/// name on every call: a quarter of a dose command's instructions before this).
#[derive(Clone, Copy)]
pub(crate) struct Row<'r, 's> {
    pub(crate) row: &'r rusqlite::Row<'s>,
    pub(crate) names: &'r [String],
}

impl std::fmt::Debug for Row<'_, '_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Row").field("columns", &self.names).finish()
    }
}

/// A column by name or by position.
pub(crate) trait Column: Copy {
    fn index(self, names: &[String]) -> rusqlite::Result<usize>;
}

impl Column for &str {
    fn index(self, names: &[String]) -> rusqlite::Result<usize> {
        names
            .iter()
            .position(|n| n == self)
            .ok_or_else(|| rusqlite::Error::InvalidColumnName(self.to_string()))
    }
}

impl Column for usize {
    fn index(self, _: &[String]) -> rusqlite::Result<usize> {
        Ok(self)
    }
}

impl Row<'_, '_> {
    /// Read a column, converting its type (an error, not a panic, on a mismatch).
    /// A column's value. One that does not convert (a hand-edited row) is reported as a value
    /// Dosewise cannot read, naming the column, never the value.
    pub(crate) fn try_get<T: FromSql, C: Column + Copy + std::fmt::Debug>(
        &self,
        column: C,
    ) -> Result<T> {
        let got = column.index(self.names).and_then(|i| self.row.get(i));
        got.map_err(|e| match e {
            rusqlite::Error::FromSqlConversionFailure(..)
            | rusqlite::Error::InvalidColumnType(..)
            | rusqlite::Error::IntegralValueOutOfRange(..) => {
                corrupt(format!("column {column:?} holds a value of the wrong type"))
            }
            other => crate::sql_error(other),
        })
    }
}

impl codec::Row for Row<'_, '_> {
    fn int(&self, col: &'static str) -> Result<Option<i64>> {
        self.try_get(col)
    }
    fn real(&self, col: &'static str) -> Result<Option<f64>> {
        self.try_get(col)
    }
    fn text(&self, col: &'static str) -> Result<Option<String>> {
        self.try_get(col)
    }
    /// SQLite has no boolean type: flags are integers 0 and 1.
    fn flag(&self, col: &'static str) -> Result<Option<bool>> {
        Ok(self.try_get::<Option<i64>, _>(col)?.map(|v| v != 0))
    }
}

/// A record from a row (`fetch_all(conn, rows::read::<Stock>)`).
pub(crate) fn read<T: Record>(r: &Row<'_, '_>) -> Result<T> {
    T::read(r)
}

pub(crate) fn profile(r: &Row<'_, '_>) -> Result<Profile> {
    codec::profile(r)
}

/// A dose with its stored findings left unread (empty).
pub(crate) fn dose_without_findings(r: &Row<'_, '_>) -> Result<Dose> {
    codec::dose_without_findings(r)
}

pub(crate) fn micros(t: Timestamp) -> i64 {
    t.as_microsecond()
}

/// A neutral value as SQLite stores it (flags as 0 and 1).
pub(crate) fn sql_value(v: Value) -> rusqlite::types::Value {
    use rusqlite::types::Value as V;
    match v {
        Value::Null => V::Null,
        Value::Int(i) => V::Integer(i),
        Value::Real(r) => V::Real(r),
        Value::Text(t) => V::Text(t),
        Value::Bool(b) => V::Integer(i64::from(b)),
    }
}
