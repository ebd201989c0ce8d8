//! The files of a person's home folder, named once for every surface: the embedded journal
//! and its SQLite side files, and the local web server's own files (login hash, access key,
//! calendar link). Wiping a home removes exactly these.

use crate::{AppError, Result, input};
use std::path::{Path, PathBuf};

/// The embedded journal (SQLite, or SQLCipher once encrypted).
pub const DB_FILE: &str = "dosewise.db";
/// SQLite's files beside the journal, and the copy an encryption in progress writes.
pub(crate) const DB_SIDE_FILES: &[&str] = &[
    "dosewise.db-wal",
    "dosewise.db-shm",
    "dosewise.db-journal",
    "dosewise.db.converting",
];
/// The web app's login passphrase hash (`serve --set-login`).
pub const LOGIN_FILE: &str = "web-login";
/// The calendar feed's private link secret ([`crate::calendar::link`]).
pub(crate) const CALENDAR_LINK_FILE: &str = "web-calendar-link";
/// The web server's access key, printed in its address at start.
pub const ACCESS_KEY_FILE: &str = "web-key";
/// The web server's files, which go with the journal: a calendar link or login left behind
/// would open whatever journal is served from this home next.
pub(crate) const SERVER_FILES: &[&str] = &[LOGIN_FILE, CALENDAR_LINK_FILE, ACCESS_KEY_FILE];

/// The embedded journal's path in `home`.
pub fn journal(home: &Path) -> PathBuf {
    home.join(DB_FILE)
}

/// What wiping `home` deletes: every file of the list that exists. An error when there is no
/// journal to wipe.
pub fn wipe_list(home: &Path) -> Result<Vec<PathBuf>> {
    let existing = |names: &[&str]| -> Vec<PathBuf> {
        names
            .iter()
            .map(|f| home.join(f))
            .filter(|p| p.exists())
            .collect()
    };
    let mut files = existing(&[DB_FILE]);
    files.extend(existing(DB_SIDE_FILES));
    if files.is_empty() {
        return Err(input(format!("no journal at {}", home.display())));
    }
    files.extend(existing(SERVER_FILES));
    Ok(files)
}

/// Delete the files of [`wipe_list`] and then the home itself when nothing else is in it.
/// The caller has had the person confirm. Returns what was deleted.
pub fn wipe(home: &Path) -> Result<Vec<PathBuf>> {
    let files = wipe_list(home)?;
    for f in &files {
        std::fs::remove_file(f)
            .map_err(|e| AppError::Runtime(format!("could not delete {}: {e}", f.display())))?;
    }
    let _ = std::fs::remove_dir(home);
    Ok(files)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_wipe_takes_the_journal_and_the_server_files_and_nothing_else() {
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let home = dir.path().join("home");
        std::fs::create_dir(&home).unwrap_or_else(|e| panic!("{e}"));
        assert!(matches!(wipe(&home), Err(AppError::Input(m)) if m.starts_with("no journal")));
        for f in [
            DB_FILE,
            "dosewise.db-wal",
            LOGIN_FILE,
            CALENDAR_LINK_FILE,
            "notes.txt",
        ] {
            std::fs::write(home.join(f), b"x").unwrap_or_else(|e| panic!("{e}"));
        }
        let gone = wipe(&home).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(gone.len(), 4);
        // A file of the person's own keeps the home.
        assert!(home.join("notes.txt").exists());
        assert!(!home.join(DB_FILE).exists() && !home.join(LOGIN_FILE).exists());
        std::fs::remove_file(home.join("notes.txt")).unwrap_or_else(|e| panic!("{e}"));
        std::fs::write(home.join(DB_FILE), b"x").unwrap_or_else(|e| panic!("{e}"));
        wipe(&home).unwrap_or_else(|e| panic!("{e}"));
        assert!(!home.exists(), "an empty home goes too");
    }
}
