//! Encrypting, decrypting and re-keying a journal file safely: write a new file with
//! `sqlcipher_export`, verify it (integrity check and every table's row count), make it durable,
//! then rename it over the old one. A crash at any point leaves the old file or the new one,
//! never neither and never a half-written one.

use super::sql;
use super::{
    APPLICATION_ID, FileState, JournalMode, SCHEMA_VERSION, connect, file_state, key_error,
};
use crate::Db;
use dosewise_store::{Passphrase, Result, StoreError};
use rusqlite::Connection;
use std::path::{Path, PathBuf};

const TABLES: [&str; 19] = [
    "profile",
    "stock",
    "stock_event",
    "dose",
    "dose_revision",
    "checkin",
    "checkin_revision",
    "assessment",
    "setting",
    "protocol",
    "protocol_event",
    "medication",
    "substance_use",
    "vitals",
    "clearance",
    "trial",
    "trial_event",
    "sqlite_master",
    "sqlite_sequence",
];

/// The temporary file a conversion writes before it replaces the journal.
pub fn temp_path(path: &Path) -> PathBuf {
    let mut s = path.as_os_str().to_owned();
    s.push(".converting");
    PathBuf::from(s)
}

/// Remove what a stopped conversion left beside the journal (its temporary copy, which after a
/// killed `decrypt` is a whole plaintext journal next to the encrypted one). Whether anything
/// was there.
pub fn remove_leftovers(path: &Path) -> bool {
    let tmp = temp_path(path);
    let mut found = false;
    for f in [
        tmp.clone(),
        sidecar(&tmp, "-wal"),
        sidecar(&tmp, "-shm"),
        sidecar(&tmp, "-journal"),
    ] {
        if std::fs::remove_file(&f).is_ok() {
            found = true;
        }
    }
    found
}

fn counts(conn: &Connection, schema: &str) -> Result<Vec<(String, i64)>> {
    let mut out = Vec::new();
    for t in TABLES {
        let exists: i64 = sql::query(&format!(
            "SELECT count(*) FROM {schema}.sqlite_master WHERE name = '{t}'"
        ))
        .scalar(conn)?;
        if exists == 0 && t != "sqlite_master" {
            continue;
        }
        // Table names are the fixed list above, not input.
        let n: i64 = sql::query(&format!("SELECT count(*) FROM {schema}.{t}")).scalar(conn)?;
        out.push((t.to_string(), n));
    }
    Ok(out)
}

fn fsync_dir(dir: &Path) {
    // Best effort: makes the rename durable on Unix; not supported everywhere.
    if let Ok(d) = std::fs::File::open(dir) {
        let _ = d.sync_all();
    }
}

/// Rewrite the journal at `path` from key `from` to key `to` (`None` = plaintext).
pub fn convert(path: &Path, from: Option<&Passphrase>, to: Option<&Passphrase>) -> Result<()> {
    let expected = if from.is_some() {
        FileState::Encrypted
    } else {
        FileState::Plain
    };
    match file_state(path) {
        FileState::Missing => {
            return Err(StoreError::Conversion(format!(
                "no journal at {}",
                path.display()
            )));
        }
        s if s != expected => {
            return Err(StoreError::Conversion(match s {
                FileState::Encrypted => "this journal is already encrypted".into(),
                _ => "this journal is not encrypted".into(),
            }));
        }
        _ => {}
    }
    super::quiet_sqlcipher().db()?;
    let tmp = temp_path(path);
    for stale in [
        tmp.clone(),
        sidecar(&tmp, "-wal"),
        sidecar(&tmp, "-shm"),
        sidecar(&tmp, "-journal"),
    ] {
        let _ = std::fs::remove_file(stale);
    }
    create_private(&tmp)?;

    // 1. Export from the source into the new file.
    let src =
        connect(path, from, JournalMode::Wal, false).map_err(|e| key_error(e, from.is_some()))?;
    let version: i64 = src
        .query_row("PRAGMA user_version", [], |r| r.get(0))
        .map_err(|e| key_error(e, from.is_some()))?;
    if version != SCHEMA_VERSION {
        return Err(StoreError::Conversion(format!(
            "the journal has schema {version}; open it once with this Dosewise (any command) before converting"
        )));
    }
    sql::query("PRAGMA wal_checkpoint(TRUNCATE)").execute(&src)?;
    let before = counts(&src, "main")?;
    let key = to.map_or_else(
        || zeroize::Zeroizing::new("''".to_string()),
        Passphrase::sql_literal,
    );
    let tmp_text = tmp
        .to_str()
        .ok_or_else(|| StoreError::Conversion("the journal path is not valid UTF-8".into()))?;
    // ATTACH takes the key as an expression; both values are quoted by us (path) or escaped.
    let attach = zeroize::Zeroizing::new(format!(
        "ATTACH DATABASE '{}' AS target KEY {}",
        tmp_text.replace('\'', "''"),
        key.as_str()
    ));
    src.execute_batch(attach.as_str()).db()?;
    sql::query("SELECT sqlcipher_export('target')").execute(&src)?;
    let pragmas = format!(
        "PRAGMA target.user_version = {SCHEMA_VERSION}; PRAGMA target.application_id = {APPLICATION_ID}"
    );
    src.execute_batch(&pragmas).db()?;
    src.execute_batch("DETACH DATABASE target").db()?;
    src.close().map_err(|(_, e)| crate::sql_error(e))?;

    // 2. Verify the new file with its own key, without leaving a WAL beside it.
    let check =
        connect(&tmp, to, JournalMode::Delete, false).map_err(|e| key_error(e, to.is_some()))?;
    let ok: String = sql::query("PRAGMA integrity_check").scalar(&check)?;
    let after = counts(&check, "main")?;
    let app: i64 = sql::query("PRAGMA application_id").scalar(&check)?;
    check.close().map_err(|(_, e)| crate::sql_error(e))?;
    if ok != "ok" || after != before || app != APPLICATION_ID {
        let _ = std::fs::remove_file(&tmp);
        return Err(StoreError::Conversion(format!(
            "the converted copy did not verify (integrity: {ok}); the journal was left unchanged"
        )));
    }
    if (to.is_some()) != (file_state(&tmp) == FileState::Encrypted) {
        let _ = std::fs::remove_file(&tmp);
        return Err(StoreError::Conversion(
            "the converted copy has the wrong form; the journal was left unchanged".into(),
        ));
    }

    // 3. Make it durable, then replace atomically. A WAL left by another open connection would
    //    belong to the old file: refuse rather than pair it with the new one.
    if std::fs::metadata(sidecar(path, "-wal")).is_ok_and(|m| m.len() > 0) {
        let _ = std::fs::remove_file(&tmp);
        return Err(StoreError::Conversion(
            "the journal is in use by another Dosewise process (a web server?); stop it and try again".into(),
        ));
    }
    std::fs::File::open(&tmp)
        .and_then(|f| f.sync_all())
        .map_err(io)?;
    std::fs::rename(&tmp, path).map_err(io)?;
    for s in ["-wal", "-shm"] {
        let _ = std::fs::remove_file(sidecar(path, s));
    }
    if let Some(dir) = path.parent() {
        fsync_dir(dir);
    }
    Ok(())
}

fn sidecar(path: &Path, suffix: &str) -> PathBuf {
    let mut s = path.as_os_str().to_owned();
    s.push(suffix);
    PathBuf::from(s)
}

fn io(e: std::io::Error) -> StoreError {
    StoreError::Conversion(format!("file error: {e}"))
}

fn create_private(path: &Path) -> Result<()> {
    let mut o = std::fs::OpenOptions::new();
    o.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        o.mode(0o600);
    }
    o.open(path).map(|_| ()).map_err(io)
}
