//! A thin layer over rusqlite in the shape the store's code reads best: build a statement,
//! bind its parameters in order, then run it once. Statements are prepared once per
//! connection (rusqlite's cache) and rows are mapped straight from SQLite's buffers, on the
//! caller's thread.

use super::rows::Row;
use crate::Db;
use dosewise_store::Result;
use rusqlite::types::{FromSql, ToSql, ToSqlOutput, Value};
use rusqlite::{Connection, params_from_iter};

/// One statement with its parameters (`?1`, `?2`, … in the order they are bound).
pub(crate) struct Query<'q> {
    sql: &'q str,
    params: Vec<Value>,
    error: Option<rusqlite::Error>,
}

/// The statement and how many parameters it has, never their values (personal data).
impl std::fmt::Debug for Query<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Query")
            .field("sql", &self.sql)
            .field("params", &self.params.len())
            .finish()
    }
}

/// Start a statement.
pub(crate) fn query(sql: &str) -> Query<'_> {
    Query {
        sql,
        params: Vec::new(),
        error: None,
    }
}

/// What a statement that returns no rows did.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Done {
    rows_affected: u64,
}

impl Done {
    pub(crate) fn rows_affected(self) -> u64 {
        self.rows_affected
    }
}

impl<'q> Query<'q> {
    /// Bind the next parameter. A value that cannot be converted is reported when the
    /// statement runs.
    pub(crate) fn bind<T: ToSql>(mut self, v: T) -> Self {
        match v.to_sql() {
            Ok(ToSqlOutput::Borrowed(r)) => match Value::try_from(r) {
                Ok(v) => self.params.push(v),
                Err(e) => {
                    self.error
                        .get_or_insert(rusqlite::Error::ToSqlConversionFailure(Box::new(e)));
                }
            },
            Ok(ToSqlOutput::Owned(v)) => self.params.push(v),
            Ok(_) => {
                self.error
                    .get_or_insert(rusqlite::Error::ToSqlConversionFailure(
                        "unsupported parameter kind".into(),
                    ));
            }
            Err(e) => {
                self.error.get_or_insert(e);
            }
        }
        self
    }

    /// Bind a neutral value (`dosewise_store::codec`).
    pub(crate) fn bind_value(mut self, v: dosewise_store::codec::Value) -> Self {
        self.params.push(super::rows::sql_value(v));
        self
    }

    /// Bind several neutral values in order.
    pub(crate) fn bind_values(self, vs: Vec<dosewise_store::codec::Value>) -> Self {
        vs.into_iter().fold(self, Query::bind_value)
    }

    /// Run the statement and map each row, stopping after `limit` rows.
    fn rows<T>(
        self,
        conn: &Connection,
        limit: usize,
        mut map: impl FnMut(&Row<'_, '_>) -> Result<T>,
    ) -> Result<Vec<T>> {
        if let Some(e) = self.error {
            return Err(crate::sql_error(e));
        }
        let mut st = conn.prepare_cached(self.sql).db()?;
        let names: Vec<String> = st.column_names().into_iter().map(String::from).collect();
        let mut rows = st.query(params_from_iter(self.params.iter())).db()?;
        let mut out = Vec::new();
        while out.len() < limit {
            match rows.next().db()? {
                Some(row) => out.push(map(&Row { row, names: &names })?),
                None => break,
            }
        }
        Ok(out)
    }

    /// Every row, mapped.
    pub(crate) fn fetch_all<T>(
        self,
        conn: &Connection,
        map: impl FnMut(&Row<'_, '_>) -> Result<T>,
    ) -> Result<Vec<T>> {
        self.rows(conn, usize::MAX, map)
    }

    /// The first row, if there is one.
    pub(crate) fn fetch_optional<T>(
        self,
        conn: &Connection,
        map: impl FnMut(&Row<'_, '_>) -> Result<T>,
    ) -> Result<Option<T>> {
        Ok(self.rows(conn, 1, map)?.pop())
    }

    /// The first row; none is an error.
    pub(crate) fn fetch_one<T>(
        self,
        conn: &Connection,
        map: impl FnMut(&Row<'_, '_>) -> Result<T>,
    ) -> Result<T> {
        self.fetch_optional(conn, map)?
            .ok_or_else(|| crate::sql_error(rusqlite::Error::QueryReturnedNoRows))
    }

    /// The first column of the first row.
    pub(crate) fn scalar<T: FromSql>(self, conn: &Connection) -> Result<T> {
        self.fetch_one(conn, |r| r.try_get(0))
    }

    /// Run to completion (any rows it returns are read and dropped).
    pub(crate) fn execute(self, conn: &Connection) -> Result<Done> {
        self.rows(conn, usize::MAX, |_| Ok(()))?;
        Ok(Done {
            rows_affected: conn.changes(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_never_shows_the_values() {
        let q = query("SELECT ?1").bind("my private note");
        let shown = format!("{q:?}");
        assert!(
            shown.contains("SELECT ?1") && shown.contains("params: 1"),
            "{shown}"
        );
        assert!(!shown.contains("private"), "{shown}");
        let conn = Connection::open_in_memory().unwrap_or_else(|e| panic!("{e}"));
        let v: String = q.scalar(&conn).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(v, "my private note");
    }
}
