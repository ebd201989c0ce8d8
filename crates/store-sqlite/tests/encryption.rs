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
