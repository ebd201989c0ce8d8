//! SQLCipher at rest: the encrypted file holds no SQLite header and no plaintext; wrong or
//! missing keys fail cleanly; encrypt → rekey → decrypt keeps every record.

use dosewise_core::testing::ts;
use dosewise_store::{Passphrase, Store, StoreError};
use dosewise_store_sqlite::FileState;
use dosewise_store_sqlite::SqliteStore;
use dosewise_store_sqlite::convert;

const MARKER: &str = "MARKER-7f3a-plaintext-must-not-appear";

fn pass(s: &str) -> Passphrase {
    Passphrase::new(s.into()).unwrap_or_else(|e| panic!("{e}"))
}

#[tokio::test]
async fn encrypt_rekey_decrypt_round_trip() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let path = dir.path().join("dosewise.db");
    {
        let s = SqliteStore::open(&path)
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        let mut stock = dosewise_core::testing::troche_new_stock("T", 10.0);
        stock.note = Some(MARKER.into());
        s.add_stock(&stock).await.unwrap_or_else(|e| panic!("{e}"));
        s.close().await.unwrap_or_else(|e| panic!("{e}"));
    }
    let plain = std::fs::read(&path).unwrap_or_default();
    assert!(plain.starts_with(b"SQLite format 3\0"));
    let before = {
        let s = SqliteStore::open(&path)
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        s.export().await.unwrap_or_else(|e| panic!("{e}"))
    };

    let a = pass("correct horse battery staple");
    convert(&path, None, Some(&a)).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(
        dosewise_store_sqlite::file_state(&path),
        FileState::Encrypted
    );
    let bytes = std::fs::read(&path).unwrap_or_default();
    assert!(!bytes.starts_with(b"SQLite format 3"), "no SQLite header");
    assert!(
        !bytes.windows(MARKER.len()).any(|w| w == MARKER.as_bytes()),
        "no plaintext marker"
    );
    assert!(
        !bytes.windows(6).any(|w| w == b"CREATE"),
        "no plaintext schema"
    );
    for side in ["-wal", "-shm"] {
        let p = dir.path().join(format!("dosewise.db{side}"));
        if let Ok(b) = std::fs::read(&p) {
            assert!(
                !b.windows(MARKER.len()).any(|w| w == MARKER.as_bytes()),
                "{side} leaks plaintext"
            );
        }
    }
    assert!(matches!(
        SqliteStore::open(&path).await,
        Err(StoreError::Encrypted)
    ));
    assert!(matches!(
        SqliteStore::open_with(&path, Some(&pass("wrong passphrase"))).await,
        Err(StoreError::WrongPassphrase)
    ));
    let s = SqliteStore::open_with(&path, Some(&a))
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(s.export().await.unwrap_or_else(|e| panic!("{e}")), before);
    // It keeps working as a journal: a write, then reopen.
    s.add_clearance(
        dosewise_core::safety::ClearanceTopic::Screen,
        ts("2026-11-02T10:00:00Z"),
        Some("x"),
    )
    .await
    .unwrap_or_else(|e| panic!("{e}"));
    s.close().await.unwrap_or_else(|e| panic!("{e}"));
    let with_clearance = {
        let s = SqliteStore::open_with(&path, Some(&a))
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        let j = s.export().await.unwrap_or_else(|e| panic!("{e}"));
        s.close().await.unwrap_or_else(|e| panic!("{e}"));
        j
    };
    assert_eq!(with_clearance.clearances.len(), 1);

    let b = pass("a different long passphrase");
    convert(&path, Some(&a), Some(&b)).unwrap_or_else(|e| panic!("{e}"));
    assert!(matches!(
        SqliteStore::open_with(&path, Some(&a)).await,
        Err(StoreError::WrongPassphrase)
    ));
    assert!(matches!(
        convert(&path, Some(&a), None),
        Err(StoreError::WrongPassphrase)
    ));
    convert(&path, Some(&b), None).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(dosewise_store_sqlite::file_state(&path), FileState::Plain);
    let s = SqliteStore::open(&path)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(
        s.export().await.unwrap_or_else(|e| panic!("{e}")),
        with_clearance
    );
    assert_eq!(s.integrity_check().await.unwrap_or_default(), "ok");
    assert!(!dosewise_store_sqlite::cipher_temp_path(&path).exists());
}

#[tokio::test]
async fn new_encrypted_journal() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let path = dir.path().join("dosewise.db");
    let k = pass("another good passphrase");
    let s = SqliteStore::open_with(&path, Some(&k))
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    s.add_stock(&dosewise_core::testing::troche_new_stock(MARKER, 3.0))
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    s.close().await.unwrap_or_else(|e| panic!("{e}"));
    let bytes = std::fs::read(&path).unwrap_or_default();
    assert!(!bytes.windows(MARKER.len()).any(|w| w == MARKER.as_bytes()));
    assert!(
        matches!(
            convert(&path, None, Some(&k)),
            Err(StoreError::Conversion(_))
        ),
        "already encrypted"
    );
}

/// A journal made, encrypted, by the build before the start-up hook (SQLCipher 4.10 drawing its
/// random bytes from OpenSSL): `dosewise init --encrypt`, a stock, two doses and a check-in,
/// then `dosewise export` of it beside. The hook changes only where SQLCipher's random bytes
/// come from, so every such journal must still open, keep working, rekey and decrypt.
#[tokio::test]
async fn a_journal_encrypted_by_the_earlier_build_still_opens() {
    const FIXTURE: &str = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/encrypted-sqlcipher-4.10-openssl"
    );
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let path = dir.path().join("dosewise.db");
    std::fs::copy(format!("{FIXTURE}.db"), &path).unwrap_or_else(|e| panic!("{e}"));
    // Read as an import reads it: brought to the current format version.
    let expected = dosewise_core::journal::Journal::parse(
        &std::fs::read_to_string(format!("{FIXTURE}.json")).unwrap_or_else(|e| panic!("{e}")),
    )
    .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(expected.doses.len(), 2, "the fixture's own export");
    let key = pass("fixture passphrase of 2026-12-02");

    assert_eq!(
        dosewise_store_sqlite::file_state(&path),
        FileState::Encrypted
    );
    assert!(matches!(
        SqliteStore::open_with(&path, Some(&pass("fixture passphrase of 2026-12-03"))).await,
        Err(StoreError::WrongPassphrase)
    ));
    let s = SqliteStore::open_with(&path, Some(&key))
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(s.export().await.unwrap_or_else(|e| panic!("{e}")), expected);
    // A write with this build's random bytes (new page IVs), then reopened.
    s.add_clearance(
        dosewise_core::safety::ClearanceTopic::Screen,
        ts("2026-12-02T10:00:00Z"),
        Some("written by the new build"),
    )
    .await
    .unwrap_or_else(|e| panic!("{e}"));
    s.close().await.unwrap_or_else(|e| panic!("{e}"));
    let s = SqliteStore::open_with(&path, Some(&key))
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let after = s.export().await.unwrap_or_else(|e| panic!("{e}"));
    s.close().await.unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(after.clearances.len(), 1);
    assert_eq!(after.doses, expected.doses);

    let rekeyed = pass("a passphrase chosen after the update");
    convert(&path, Some(&key), Some(&rekeyed)).unwrap_or_else(|e| panic!("{e}"));
    let s = SqliteStore::open_with(&path, Some(&rekeyed))
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(s.export().await.unwrap_or_else(|e| panic!("{e}")), after);
    s.close().await.unwrap_or_else(|e| panic!("{e}"));
    convert(&path, Some(&rekeyed), None).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(dosewise_store_sqlite::file_state(&path), FileState::Plain);
    let s = SqliteStore::open(&path)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(s.export().await.unwrap_or_else(|e| panic!("{e}")), after);
}

/// The start-up hook (c/sqlcipher_init.c) declares SQLCipher's provider structure as SQLCipher
/// 4.10 lays it out. A different SQLCipher must be checked against it before it ships: this
/// fails first. Its provider is still SQLCipher's OpenSSL one (the hook changes only `random`).
#[test]
fn sqlcipher_is_the_version_the_start_up_hook_was_written_for() {
    let c = rusqlite::Connection::open_in_memory().unwrap_or_else(|e| panic!("{e}"));
    c.execute_batch("PRAGMA key = 'x'")
        .unwrap_or_else(|e| panic!("{e}"));
    let version: String = c
        .query_row("PRAGMA cipher_version", [], |r| r.get(0))
        .unwrap_or_else(|e| panic!("{e}"));
    assert!(version.starts_with("4.10."), "{version}");
    let provider: String = c
        .query_row("PRAGMA cipher_provider", [], |r| r.get(0))
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(provider, "openssl");
}
