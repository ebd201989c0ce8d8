//! The clinic server: a patient shares chosen parts of their journal with their clinician.
//!
//! - **Stateless**: sessions, login failures, devices and everything else live in PostgreSQL, so
//!   any number of instances can run behind a load balancer.
//! - **Tenant isolation in the database**: every row of patient data carries its clinic and
//!   patient; each request runs as the role `dosewise_clinic_app` with its account, clinic, role
//!   and patient set for the transaction, and row-level security decides what it can see (a
//!   handler that asks for another clinic's rows gets none).
//! - **Audit**: every read of patient data and every write, append-only (the application role
//!   has no UPDATE or DELETE on it).
//! - **Sync** (`dosewise share connect`, `dosewise sync`): see [`dosewise_core::share`].

pub mod api;
pub mod auth;
pub mod clinician;
pub mod digest;
pub mod openapi;
pub mod pages;
pub mod staff;
pub mod tls;
pub mod totp;
pub mod triage;

use deadpool_postgres::{Manager, ManagerConfig, Pool, RecyclingMethod};
use dosewise_core::jiff::Timestamp;
use std::sync::Arc;
use thiserror::Error;
use tokio_postgres::types::ToSql;

/// Schema migrations, applied in order; the index + 1 is the schema version.
const MIGRATIONS: &[&str] = &[
    include_str!("../migrations/0001_clinic.sql"),
    include_str!("../migrations/0002_prescription.sql"),
    include_str!("../migrations/0003_second_factor.sql"),
    include_str!("../migrations/0004_notes.sql"),
    include_str!("../migrations/0005_grant_sets.sql"),
    include_str!("../migrations/0006_record_time.sql"),
    include_str!("../migrations/0007_digest.sql"),
    include_str!("../migrations/0008_patient_keys.sql"),
    include_str!("../migrations/0009_audit_many.sql"),
    include_str!("../migrations/0010_caseload_keys.sql"),
    include_str!("../migrations/0011_triage_counts.sql"),
    include_str!("../migrations/0012_policy_lookups.sql"),
    include_str!("../migrations/0013_grant_counts.sql"),
    include_str!("../migrations/0014_device_tokens.sql"),
    include_str!("../migrations/0015_latest_checkin.sql"),
    include_str!("../migrations/0016_caseload_order.sql"),
];

/// The schema version that last changed what the caseload's digest holds (7 added it, 10 its
/// sort keys, 15 the latest check-in's id): a database brought past it has every patient's
/// digest worked out again from the records it holds.
const DIGEST_VERSION: i64 = 15;

/// The advisory lock migrations run under ("CLIN").
const MIGRATION_LOCK: i64 = 0x434C_494E;

/// Passwords checked at once by one instance. Each argon2id check holds 19 MiB for the life of
/// its thread; one thread keeps an instance's memory within 64 MB under load (staff sign in a
/// few times a day; further sign-ins wait their turn; add instances for more).
pub const HASHERS: usize = 1;

/// The role every request runs as (row-level security binds it).
pub const APP_ROLE: &str = "dosewise_clinic_app";

#[derive(Debug, Error)]
pub enum ClinicError {
    #[error("{0}")]
    Input(String),
    #[error("sign in first")]
    Unauthorized,
    /// Not found, or not yours to see: the two are never told apart.
    #[error("not found")]
    NotFound,
    #[error("{0}")]
    Conflict(String),
    /// A clinician or admin who has not set up their second factor yet.
    #[error(
        "set up your second factor first: POST /api/v1/totp/setup, add the secret to an authenticator app, then POST /api/v1/totp/confirm with its 6-digit code"
    )]
    SecondFactor,
    #[error("too many failed attempts; try again in {0} seconds")]
    TooMany(u64),
    #[error("database error: {0}")]
    Db(String),
    /// The database cannot be reached just now (restarting, failing over, out of connections)
    /// or gave up a transaction another one raced: nothing was done, and the same request can
    /// be sent again. Answered 503 with Retry-After.
    #[error("the database is not available just now: {0}")]
    Unavailable(String),
}

pub type Result<T, E = ClinicError> = std::result::Result<T, E>;

pub(crate) fn db(e: impl std::fmt::Display) -> ClinicError {
    ClinicError::Db(e.to_string())
}

/// tokio-postgres's error with the server's own message. A connection that closed under the
/// request, and the SQLSTATEs that mean "the same request may succeed if sent again", are
/// [`ClinicError::Unavailable`]: connection exceptions (class 08), the server shutting down or
/// starting (57P01–57P03), too many connections (53300), and a serialization failure or
/// deadlock that rolled the transaction back (40001, 40P01).
pub(crate) fn pg(e: tokio_postgres::Error) -> ClinicError {
    match e.as_db_error() {
        Some(d) => {
            let code = d.code().code();
            let m = format!("{code}: {}", d.message());
            if code.starts_with("08")
                || matches!(
                    code,
                    "57P01" | "57P02" | "57P03" | "53300" | "40001" | "40P01"
                )
            {
                ClinicError::Unavailable(m)
            } else {
                ClinicError::Db(m)
            }
        }
        None if e.is_closed()
            || std::error::Error::source(&e).is_some_and(|s| s.is::<std::io::Error>()) =>
        {
            ClinicError::Unavailable(e.to_string())
        }
        None => ClinicError::Db(e.to_string()),
    }
}

/// Who a request acts as: what the database's row-level security is keyed on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Actor {
    pub clinic: i64,
    pub account: Option<i64>,
    pub role: Role,
    /// The patient whose data a patient's device or session acts on.
    pub patient: Option<i64>,
    /// Where the request came from (for the audit log).
    pub address: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    Patient,
    Clinician,
    Admin,
    /// A device connecting with an invite, before it has a patient.
    Connect,
}

impl Role {
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Patient => "patient",
            Role::Clinician => "clinician",
            Role::Admin => "admin",
            Role::Connect => "connect",
        }
    }
    pub fn parse(s: &str) -> Option<Role> {
        Some(match s {
            "patient" => Role::Patient,
            "clinician" => Role::Clinician,
            "admin" => Role::Admin,
            _ => return None,
        })
    }
}

/// The server's shared state: the pool and the password-hashing threads.
#[derive(Clone)]
pub struct Clinic {
    pool: Pool,
    /// A streaming replica for the heavy reads (the caseload, a patient's journal), if given.
    read_pool: Option<Pool>,
    hashers: Arc<dosewise_web::session::Hashers>,
    /// Secure cookies (behind TLS).
    pub secure: bool,
    /// A fixed clock for tests; `None` is the system's.
    pub clock: Option<Timestamp>,
}

impl std::fmt::Debug for Clinic {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Clinic").finish_non_exhaustive()
    }
}

impl Clinic {
    /// Connect to the database at `url`, bring its schema up to date (as the connecting role,
    /// which must be able to create tables and the application role), and keep a pool.
    pub async fn open(url: &str) -> Result<Clinic> {
        let pool = pool(url)?;
        let mut c = pool.get().await.map_err(db)?;
        migrate(&mut c).await?;
        Ok(Clinic {
            pool,
            read_pool: None,
            hashers: Arc::new(dosewise_web::session::Hashers::new(HASHERS)),
            secure: false,
            clock: None,
        })
    }

    pub fn now(&self) -> Timestamp {
        self.clock.unwrap_or_else(Timestamp::now)
    }

    /// A connection from the pool; none to be had (the database is down or restarting, or
    /// every connection stayed busy past the wait) is [`ClinicError::Unavailable`].
    pub(crate) async fn client(&self) -> Result<deadpool_postgres::Client> {
        self.pool
            .get()
            .await
            .map_err(|e| ClinicError::Unavailable(e.to_string()))
    }

    /// Read the caseload and patients' journals from a streaming replica of the database
    /// (`--read-database`); everything else, the audit lines of those reads included, goes to
    /// the primary. The replica's schema is the primary's, so it is not migrated here.
    pub fn with_replica(mut self, url: &str) -> Result<Clinic> {
        self.read_pool = Some(pool(url)?);
        Ok(self)
    }

    /// A connection for reads: the replica's when there is one and it answers, else the
    /// primary's (a replica that is down costs nothing but the attempt).
    pub(crate) async fn read_client(&self) -> Result<deadpool_postgres::Client> {
        if let Some(p) = &self.read_pool
            && let Ok(c) = p.get().await
        {
            return Ok(c);
        }
        self.client().await
    }

    /// Create a clinic and its first admin. One database holds any number of clinics, each
    /// walled off from the others by row-level security.
    pub async fn init(&self, clinic: &str, email: &str, name: &str, password: &str) -> Result<i64> {
        let clinic = dosewise_core::text::label("clinic name", clinic)
            .map_err(|e| ClinicError::Input(e.to_string()))?;
        let phc = auth::hash_password(password)?;
        let mut c = self.client().await?;
        let tx = c.transaction().await.map_err(pg)?;
        let email = auth::email(email)?;
        let taken: i64 = tx
            .query_one("SELECT count(*) FROM account WHERE email = $1", &[&email])
            .await
            .map_err(pg)?
            .get(0);
        if taken > 0 {
            return Err(ClinicError::Conflict(format!(
                "an account with {email} exists already"
            )));
        }
        let now = self.now().as_microsecond();
        let id: i64 = tx
            .query_one(
                "INSERT INTO clinic (name, created_at) VALUES ($1, $2) RETURNING id",
                &[&clinic, &now],
            )
            .await
            .map_err(pg)?
            .get(0);
        tx.execute(
            "INSERT INTO account (clinic_id, role, email, name, password, created_at)
             VALUES ($1, 'admin', $2, $3, $4, $5)",
            &[&id, &email, &name.trim(), &phc, &now],
        )
        .await
        .map_err(pg)?;
        tx.commit().await.map_err(pg)?;
        Ok(id)
    }

    /// A transaction as `actor`: the application role, with the settings row-level security
    /// reads. Everything a request does to patient data goes through one of these.
    pub(crate) async fn begin<'a>(
        &self,
        c: &'a mut deadpool_postgres::Client,
        actor: &Actor,
    ) -> Result<deadpool_postgres::Transaction<'a>> {
        let tx = c.transaction().await.map_err(pg)?;
        act_as(&tx, actor).await?;
        Ok(tx)
    }

    /// Write an audit line inside the caller's transaction.
    pub(crate) async fn audit(
        &self,
        tx: &impl deadpool_postgres::GenericClient,
        actor: &Actor,
        action: &str,
        patient: Option<i64>,
        what: &str,
    ) -> Result<()> {
        self.audit_each(tx, actor, action, &[patient], what).await
    }

    /// Audit a read made elsewhere (on the replica), in a transaction of its own on the
    /// primary: what was read is returned only once this has committed.
    pub(crate) async fn audit_read(
        &self,
        actor: &Actor,
        patients: &[Option<i64>],
        what: &str,
    ) -> Result<()> {
        let mut c = self.client().await?;
        let tx = self.begin(&mut c, actor).await?;
        self.audit_each(&tx, actor, "read", patients, what).await?;
        tx.commit().await.map_err(pg)
    }

    /// The audit line for a read or change of `patients`: about one (or none), a line with
    /// its patient; about several (a caseload, a triage queue), one line naming them all.
    pub(crate) async fn audit_each(
        &self,
        tx: &impl deadpool_postgres::GenericClient,
        actor: &Actor,
        action: &str,
        patients: &[Option<i64>],
        what: &str,
    ) -> Result<()> {
        if patients.is_empty() {
            return Ok(());
        }
        let now = self.now().as_microsecond();
        let (one, many): (Option<i64>, Option<Vec<i64>>) = match patients {
            [p] => (*p, None),
            _ => (None, Some(patients.iter().flatten().copied().collect())),
        };
        let params: [&(dyn ToSql + Sync); 9] = [
            &now,
            &actor.clinic,
            &actor.account,
            &actor.role.as_str(),
            &action,
            &one,
            &what,
            &actor.address,
            &many,
        ];
        tx.execute(
            "INSERT INTO audit (at, clinic_id, actor_id, actor_role, action, patient_id, what, address, patients)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
            &params,
        )
        .await
        .map_err(pg)?;
        Ok(())
    }
}

/// A pool of connections to `url`.
fn pool(url: &str) -> Result<Pool> {
    let config: tokio_postgres::Config = url
        .parse()
        .map_err(|e| ClinicError::Input(format!("not a PostgreSQL address: {e}")))?;
    let manager = Manager::from_config(
        config,
        tokio_postgres::NoTls,
        ManagerConfig {
            recycling_method: RecyclingMethod::Fast,
        },
    );
    Pool::builder(manager)
        .max_size(16)
        .wait_timeout(Some(std::time::Duration::from_secs(30)))
        .create_timeout(Some(std::time::Duration::from_secs(5)))
        .runtime(deadpool_postgres::Runtime::Tokio1)
        .build()
        .map_err(db)
}

/// Run the rest of a transaction as the application role, with `actor` in the settings the
/// row-level security policies read.
pub(crate) async fn act_as(tx: &deadpool_postgres::Transaction<'_>, actor: &Actor) -> Result<()> {
    // One round trip: the role (as SET LOCAL ROLE) and the four settings, transaction-local.
    let (clinic, account, patient) = (
        actor.clinic.to_string(),
        actor.account.map(|a| a.to_string()).unwrap_or_default(),
        actor.patient.map(|a| a.to_string()).unwrap_or_default(),
    );
    tx.execute(
        "SELECT set_config('role', $1, true), set_config('dosewise.clinic', $2, true),
                set_config('dosewise.account', $3, true), set_config('dosewise.role', $4, true),
                set_config('dosewise.patient', $5, true)",
        &[&APP_ROLE, &clinic, &account, &actor.role.as_str(), &patient],
    )
    .await
    .map_err(pg)?;
    Ok(())
}

/// A stored time (microseconds since 1970).
pub(crate) fn ts(v: i64) -> Timestamp {
    Timestamp::from_microsecond(v).unwrap_or(Timestamp::UNIX_EPOCH)
}

async fn migrate(c: &mut deadpool_postgres::Client) -> Result<()> {
    let tx = c.transaction().await.map_err(pg)?;
    tx.execute("SELECT pg_advisory_xact_lock($1)", &[&MIGRATION_LOCK])
        .await
        .map_err(pg)?;
    tx.batch_execute("CREATE TABLE IF NOT EXISTS dosewise_clinic_schema (version BIGINT NOT NULL)")
        .await
        .map_err(pg)?;
    let found: i64 = tx
        .query_opt("SELECT version FROM dosewise_clinic_schema", &[])
        .await
        .map_err(pg)?
        .map(|r| r.get(0))
        .unwrap_or(0);
    let known = MIGRATIONS.len() as i64;
    if found > known {
        return Err(ClinicError::Conflict(format!(
            "this database was set up by a newer Dosewise (clinic schema {found}, this version knows {known}); update Dosewise"
        )));
    }
    for m in MIGRATIONS.iter().skip(usize::try_from(found).unwrap_or(0)) {
        tx.batch_execute(m).await.map_err(pg)?;
    }
    if found > 0 && found < DIGEST_VERSION && known >= DIGEST_VERSION {
        digest::rebuild_all(&tx).await?;
    }
    tx.execute("DELETE FROM dosewise_clinic_schema", &[])
        .await
        .map_err(pg)?;
    tx.execute(
        "INSERT INTO dosewise_clinic_schema (version) VALUES ($1)",
        &[&known],
    )
    .await
    .map_err(pg)?;
    tx.commit().await.map_err(pg)
}
