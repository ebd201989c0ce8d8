//! PostgreSQL rows and parameters as the store's neutral types (`dosewise_store::codec`), and
//! its errors as the store's. tokio-postgres types stay in this crate.

use bytes::BytesMut;
use dosewise_store::codec::{self, Value};
use dosewise_store::{Result, StoreError};
use tokio_postgres::error::SqlState;
use tokio_postgres::types::{FromSql, IsNull, ToSql, Type, to_sql_checked};

/// A row read by column name.
pub(crate) struct PgRow<'r>(pub(crate) &'r tokio_postgres::Row);

impl PgRow<'_> {
    fn get<'a, T: FromSql<'a>>(&'a self, col: &'static str) -> Result<Option<T>> {
        self.0
            .try_get::<_, Option<T>>(col)
            .map_err(|_| codec::corrupt(format!("column {col} is missing or of the wrong type")))
    }
}

impl codec::Row for PgRow<'_> {
    fn int(&self, col: &'static str) -> Result<Option<i64>> {
        self.get(col)
    }
    fn real(&self, col: &'static str) -> Result<Option<f64>> {
        self.get(col)
    }
    fn text(&self, col: &'static str) -> Result<Option<String>> {
        self.get(col)
    }
    fn flag(&self, col: &'static str) -> Result<Option<bool>> {
        self.get(col)
    }
}

/// A neutral value as a statement parameter, converted to the type the statement expects for
/// it (an integer binds to BIGINT, INTEGER or SMALLINT alike).
#[derive(Debug)]
pub(crate) struct Param<'a>(pub(crate) &'a Value);

impl ToSql for Param<'_> {
    fn to_sql(
        &self,
        ty: &Type,
        out: &mut BytesMut,
    ) -> std::result::Result<IsNull, Box<dyn std::error::Error + Sync + Send>> {
        match self.0 {
            Value::Null => Ok(IsNull::Yes),
            Value::Int(i) => match *ty {
                Type::INT2 => i16::try_from(*i)?.to_sql(ty, out),
                Type::INT4 => i32::try_from(*i)?.to_sql(ty, out),
                Type::FLOAT8 => {
                    // An integral amount bound where a real is stored (there is none today).
                    #[allow(clippy::cast_precision_loss)]
                    let f = *i as f64;
                    f.to_sql(ty, out)
                }
                _ => i.to_sql(ty, out),
            },
            Value::Real(r) => r.to_sql(ty, out),
            Value::Text(t) => t.to_sql(ty, out),
            Value::Bool(b) => b.to_sql(ty, out),
        }
    }

    fn accepts(ty: &Type) -> bool {
        [
            Type::INT2,
            Type::INT4,
            Type::INT8,
            Type::FLOAT8,
            Type::TEXT,
            Type::VARCHAR,
            Type::BOOL,
        ]
        .contains(ty)
    }

    to_sql_checked!();
}

/// PostgreSQL's errors as the store's: a lock or serialisation timeout is [`StoreError::Locked`],
/// a full disk (53100) [`StoreError::Full`]; anything else is the backend's own failure.
pub(crate) fn pg_error(e: tokio_postgres::Error) -> StoreError {
    match e.code() {
        Some(c)
            if *c == SqlState::LOCK_NOT_AVAILABLE
                || *c == SqlState::T_R_SERIALIZATION_FAILURE
                || *c == SqlState::T_R_DEADLOCK_DETECTED =>
        {
            StoreError::Locked
        }
        Some(c) if *c == SqlState::DISK_FULL => StoreError::Full,
        _ => StoreError::Backend(Box::new(PgError(e))),
    }
}

/// tokio-postgres's error, shown with the server's own message (its `Display` says only "db
/// error" for anything the server reports).
#[derive(Debug)]
pub(crate) struct PgError(pub(crate) tokio_postgres::Error);

impl std::fmt::Display for PgError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.0.as_db_error() {
            Some(db) => write!(f, "{} (SQLSTATE {})", db.message(), db.code().code()),
            None => match std::error::Error::source(&self.0) {
                Some(cause) => write!(f, "{}: {cause}", self.0),
                None => write!(f, "{}", self.0),
            },
        }
    }
}

impl std::error::Error for PgError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        Some(&self.0)
    }
}

/// A unique-index violation as the rule it stands for: two active stocks with one name, two
/// current protocols for one substance.
pub(crate) fn constraint_error(e: StoreError, table: &str, values: &[Value]) -> StoreError {
    let StoreError::Backend(b) = &e else {
        return e;
    };
    let Some(db) = b.downcast_ref::<PgError>().and_then(|e| e.0.as_db_error()) else {
        return e;
    };
    if *db.code() != SqlState::UNIQUE_VIOLATION {
        return e;
    }
    match (table, db.constraint()) {
        ("stock", Some("stock_active_name")) => match values.iter().find_map(|v| match v {
            Value::Text(t) => Some(t.clone()),
            _ => None,
        }) {
            Some(name) => StoreError::DuplicateName(name),
            None => e,
        },
        ("protocol", Some("protocol_one_current")) => {
            let id = match values.first() {
                Some(Value::Int(id)) => *id,
                _ => 0,
            };
            StoreError::ImportConflicts(vec![format!(
                "protocol {id} would be a second current protocol for its substance; end one of them first"
            )])
        }
        _ => e,
    }
}
