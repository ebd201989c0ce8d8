//! What every command needs: where the journal lives, the time zone, "now", and the store.

use crate::cli::Global;
use crate::error::{CliError, CliResult, input};
use dosewise_backends::{AnyStore, PgStore, SqliteStore};
use dosewise_core::jiff::tz::TimeZone;
use dosewise_core::jiff::{Timestamp, ZonedDateTime};
use dosewise_core::profile::Profile;
use dosewise_store::Store;
use std::ops::Deref;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

pub use dosewise_app::home::DB_FILE;

#[derive(Debug)]
pub struct Ctx {
    pub home: PathBuf,
    pub json: bool,
    tz_flag: Option<String>,
    pub passphrase_file: Option<PathBuf>,
    /// The current instant, read once per command.
    pub now: Timestamp,
    /// A PostgreSQL database to keep the journal in, instead of the home's file.
    database: Option<String>,
    /// The journal's name in that database.
    journal: String,
    /// Connections handed back by dropped [`Journal`]s, closed by [`Ctx::shutdown`].
    finished: Arc<Mutex<Vec<AnyStore>>>,
}

/// An open journal. When it goes out of scope its connection goes back to the `Ctx`, which
/// closes every connection before the program exits ([`Ctx::shutdown`]). Closing must finish
/// first: a connection still closing on its worker thread while the process exits races with
/// OpenSSL's exit-time cleanup (seen as a rare "double free" with encrypted journals).
#[derive(Debug)]
pub struct Journal {
    store: Option<AnyStore>,
    back: Arc<Mutex<Vec<AnyStore>>>,
}

impl Deref for Journal {
    type Target = AnyStore;
    fn deref(&self) -> &AnyStore {
        // Present from creation until drop or close, which consume it.
        self.store
            .as_ref()
            .unwrap_or_else(|| unreachable!("journal used after close"))
    }
}

impl Drop for Journal {
    fn drop(&mut self) {
        if let (Some(s), Ok(mut v)) = (self.store.take(), self.back.lock()) {
            v.push(s);
        }
    }
}

impl Journal {
    /// The store itself, for a long-lived owner (the web server), which closes it.
    pub fn take(mut self) -> AnyStore {
        self.store
            .take()
            .unwrap_or_else(|| unreachable!("journal used after close"))
    }

    /// Close now (waiting for the connection to finish).
    pub async fn close(mut self) -> CliResult {
        if let Some(s) = self.store.take() {
            s.close().await?;
        }
        Ok(())
    }
}

/// The platform data directory: $XDG_DATA_HOME/dosewise, ~/.local/share/dosewise, or
/// ~/Library/Application Support/dosewise on macOS.
fn default_home() -> CliResult<PathBuf> {
    if let Some(x) = std::env::var_os("XDG_DATA_HOME").filter(|x| !x.is_empty()) {
        return Ok(PathBuf::from(x).join("dosewise"));
    }
    let home = std::env::var_os("HOME")
        .filter(|h| !h.is_empty())
        .ok_or_else(|| {
            input("cannot find your home directory; pass --home DIR or set DOSEWISE_HOME")
        })?;
    let home = PathBuf::from(home);
    Ok(if cfg!(target_os = "macos") {
        home.join("Library/Application Support/dosewise")
    } else {
        home.join(".local/share/dosewise")
    })
}

impl Ctx {
    pub fn new(g: &Global) -> CliResult<Ctx> {
        let home = match &g.home {
            Some(h) => h.clone(),
            None => default_home()?,
        };
        // DOSEWISE_NOW fixes the clock for tests and reproducible demos.
        let now = match std::env::var("DOSEWISE_NOW") {
            Ok(s) if !s.is_empty() => s.parse::<Timestamp>().map_err(|e| {
                input(format!(
                    "DOSEWISE_NOW={s:?} is not an RFC 3339 instant: {e}"
                ))
            })?,
            _ => Timestamp::now(),
        };
        Ok(Ctx {
            home,
            json: g.json,
            tz_flag: g.tz.clone(),
            passphrase_file: g.passphrase_file.clone(),
            database: g.database.clone().filter(|d| !d.is_empty()),
            journal: g.journal.clone(),
            now: dosewise_core::when::to_micros(now),
            finished: Arc::default(),
        })
    }

    /// Close every connection opened during the command.
    pub async fn shutdown(&self) {
        let stores: Vec<AnyStore> = match self.finished.lock() {
            Ok(mut v) => v.drain(..).collect(),
            Err(_) => return,
        };
        for s in stores {
            let _ = s.close().await;
        }
    }

    fn wrap(&self, store: AnyStore) -> Journal {
        Journal {
            store: Some(store),
            back: self.finished.clone(),
        }
    }

    pub fn db_path(&self) -> PathBuf {
        self.home.join(DB_FILE)
    }

    /// Whether the journal is the home's file and that file does not exist yet.
    pub fn no_journal_yet(&self) -> bool {
        self.database.is_none() && !self.db_path().exists()
    }

    /// Refuse what only the embedded journal can do when the journal is on PostgreSQL.
    pub fn embedded_only(&self, what: &str) -> CliResult<()> {
        match self.database {
            Some(_) => Err(input(format!(
                "{what} works on the embedded journal (the file in --home); this journal is in a PostgreSQL database (--database), where the server's own tools do that job"
            ))),
            None => Ok(()),
        }
    }

    /// Open the journal on PostgreSQL (creating it there on first use).
    async fn open_database(&self, url: &str) -> CliResult<Journal> {
        let store = PgStore::open(url, &self.journal)
            .await
            .map_err(|e| match e {
                e @ dosewise_store::StoreError::Backend(_) => CliError::Runtime(
                    anyhow::Error::new(e)
                        .context("could not open the journal in the PostgreSQL database"),
                ),
                other => other.into(),
            })?;
        Ok(self.wrap(AnyStore::Postgres(store)))
    }

    /// Open an existing journal.
    pub async fn open(&self) -> CliResult<Journal> {
        if let Some(url) = &self.database {
            return self.open_database(url).await;
        }
        let path = self.db_path();
        if !path.exists() {
            return Err(input(format!(
                "no journal at {}. Create one with `dosewise init` (or try `dosewise demo`), or point --home at your data directory",
                self.home.display()
            )));
        }
        self.open_existing(&path).await
    }

    /// Open an existing journal, asking for its passphrase when it is encrypted.
    async fn open_existing(&self, path: &Path) -> CliResult<Journal> {
        // A conversion stopped part-way (killed, power cut) leaves its temporary copy; after a
        // `decrypt` that copy is the whole journal in plaintext beside the encrypted one.
        if dosewise_store_sqlite::remove_leftovers(path) {
            eprintln!(
                "Removed the temporary copy an unfinished encrypt/decrypt/rekey left in {} (the journal itself is whole).",
                self.home.display()
            );
        }
        let key = match dosewise_store_sqlite::file_state(path) {
            dosewise_store_sqlite::FileState::Encrypted => Some(crate::secrets::current(
                self.passphrase_file.as_deref(),
                &format!("the journal at {}", self.home.display()),
            )?),
            _ => None,
        };
        Ok(self.wrap(AnyStore::Sqlite(open_at(path, key.as_ref()).await?)))
    }

    /// Create a new encrypted journal with `key` (the home must not hold one yet).
    pub async fn create_encrypted(&self, key: &dosewise_store::Passphrase) -> CliResult<Journal> {
        self.embedded_only("an encrypted journal")?;
        create_private_dir(&self.home)?;
        let path = self.db_path();
        if dosewise_store_sqlite::file_state(&path) != dosewise_store_sqlite::FileState::Missing {
            return Err(input(format!(
                "{} already holds a journal; to encrypt it, run `dosewise encrypt`",
                self.home.display()
            )));
        }
        create_private_file(&path)?;
        Ok(self.wrap(AnyStore::Sqlite(open_at(&path, Some(key)).await?)))
    }

    /// Open the journal, creating the home (mode 0700) and the file (mode 0600) if needed.
    pub async fn open_or_create(&self) -> CliResult<Journal> {
        if let Some(url) = &self.database {
            return self.open_database(url).await;
        }
        create_private_dir(&self.home)?;
        let path = self.db_path();
        create_private_file(&path)?;
        self.open_existing(&path).await
    }

    /// The zone for this command: --tz / DOSEWISE_TZ, else the profile's, else the system's.
    pub fn zone(&self, profile: Option<&Profile>) -> CliResult<TimeZone> {
        Ok(dosewise_app::zone(self.tz_flag.as_deref(), profile)?)
    }

    /// The `--tz` flag, if given.
    pub fn tz_flag(&self) -> Option<&str> {
        self.tz_flag.as_deref()
    }

    pub async fn zone_of(&self, store: &AnyStore) -> CliResult<TimeZone> {
        let p = store.profile().await?;
        self.zone(p.as_ref())
    }

    pub fn now_in(&self, tz: &TimeZone) -> ZonedDateTime {
        self.now.to_zoned_datetime(tz.clone())
    }
}

pub use dosewise_app::system_zone;

async fn open_at(path: &Path, key: Option<&dosewise_store::Passphrase>) -> CliResult<SqliteStore> {
    SqliteStore::open_with(path, key)
        .await
        .map_err(|e| match e {
            e @ dosewise_store::StoreError::Backend(_) => CliError::Runtime(
                anyhow::Error::new(e)
                    .context(format!("could not open the journal at {}", path.display())),
            ),
            other => other.into(),
        })
}

pub fn create_private_dir(dir: &Path) -> CliResult<()> {
    Ok(dosewise_app::files::create_private_dir(dir)?)
}

pub fn create_private_file(path: &Path) -> CliResult<()> {
    if path.exists() {
        return Ok(());
    }
    let mut o = std::fs::OpenOptions::new();
    o.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        o.mode(0o600);
    }
    match o.open(path) {
        Ok(_) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => Ok(()),
        Err(e) => Err(CliError::Runtime(
            anyhow::Error::new(e).context(format!("could not create {}", path.display())),
        )),
    }
}
