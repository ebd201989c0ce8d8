//! The conformance suite (`dosewise_store::conformance!`) on the embedded SQLite backend, on a
//! temporary file as in real use, and what only SQLite has: schema checks, migrations, the
//! integrity check.

use dosewise_store::conformance::prelude::*;

async fn sqlite_file() -> (dosewise_store_sqlite::SqliteStore, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let s = dosewise_store_sqlite::SqliteStore::open(&dir.path().join("dosewise.db"))
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    (s, dir)
}

dosewise_store::conformance!(sqlite, sqlite_file());

mod sqlite_specific {
    use super::*;

    #[tokio::test]
    async fn refuses_newer_schema_and_foreign_files() {
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let path = dir.path().join("dosewise.db");
        let s = dosewise_store_sqlite::SqliteStore::open(&path)
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        s.close().await.unwrap_or_else(|e| panic!("{e}"));
        let status = std::process::Command::new("sqlite3")
            .arg(&path)
            .arg("PRAGMA user_version = 99")
            .status();
        if status.map(|s| s.success()).unwrap_or(false) {
            assert!(matches!(
                dosewise_store_sqlite::SqliteStore::open(&path).await,
                Err(StoreError::NewerSchema { found: 99, .. })
            ));
        } else {
            // Without the sqlite3 CLI, set it through a second connection of our own.
            let c = rusqlite::Connection::open(&path).unwrap_or_else(|e| panic!("{e}"));
            c.execute_batch("PRAGMA user_version = 99")
                .unwrap_or_else(|e| panic!("{e}"));
            drop(c);
            assert!(matches!(
                dosewise_store_sqlite::SqliteStore::open(&path).await,
                Err(StoreError::NewerSchema { found: 99, .. })
            ));
        }
        // Some other program's SQLite file.
        let other = dir.path().join("other.db");
        {
            let c = rusqlite::Connection::open(&other).unwrap_or_else(|e| panic!("{e}"));
            c.execute_batch("CREATE TABLE notes (x TEXT)")
                .unwrap_or_else(|e| panic!("{e}"));
        }
        assert!(matches!(
            dosewise_store_sqlite::SqliteStore::open(&other).await,
            Err(StoreError::NotOurs(_))
        ));
    }

    /// A journal of schema 5 stored counts as `adjust` lines whose reason was exactly "count"
    /// or "count: NOTE"; opening it turns those (and only those) into `count` lines, and a
    /// removal noted "counted twice" stays a removal.
    #[tokio::test]
    async fn schema_5_counts_become_count_lines() {
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let path = dir.path().join("dosewise.db");
        let s = dosewise_store_sqlite::SqliteStore::open(&path).await.must();
        let stock = s.add_stock(&troche_stock("T", 30.0)).await.must();
        let c = s
            .add_checkin(&checkin("2026-11-01T20:00:00Z"), ts("2026-11-01T20:00:00Z"))
            .await
            .must();
        s.close().await.must();
        // Put the file back as schema 5 left it: the old CHECK, and the old way of writing;
        // check-ins without the correction columns of schema 7, a profile without schema 9's
        // clinician, nothing of schema 10's trials.
        {
            let c = rusqlite::Connection::open(&path).unwrap_or_else(|e| panic!("{e}"));
            let at = ts("2026-11-02T08:00:00Z").as_microsecond();
            c.execute_batch(&format!(
                "DROP TABLE stock_event;
                 CREATE TABLE stock_event (
                    id INTEGER PRIMARY KEY, stock_id INTEGER NOT NULL REFERENCES stock (id),
                    at INTEGER NOT NULL,
                    kind TEXT NOT NULL CHECK (kind IN ('added', 'dose', 'dose_edit', 'dose_delete', 'adjust', 'retire')),
                    delta REAL NOT NULL, remaining_after REAL NOT NULL,
                    dose_id INTEGER REFERENCES dose (id), reason TEXT);
                 CREATE INDEX stock_event_stock ON stock_event (stock_id, at);
                 INSERT INTO stock_event (stock_id, at, kind, delta, remaining_after, reason) VALUES
                    ({id}, {at}, 'added', 30, 30, NULL),
                    ({id}, {at} + 1, 'adjust', -1, 29, 'count'),
                    ({id}, {at} + 2, 'adjust', -2, 27, 'count: pharmacy'),
                    ({id}, {at} + 3, 'adjust', -1, 26, 'counted twice'),
                    ({id}, {at} + 4, 'adjust', 4, 30, 'refill'),
                    ({id}, {at} + 5, 'adjust', -1, 29, 'Count: by hand');
                 UPDATE stock SET remaining = 29;
                 DROP TABLE checkin_revision;
                 DROP TABLE setting;
                 ALTER TABLE checkin DROP COLUMN updated_at;
                 ALTER TABLE checkin DROP COLUMN deleted_at;
                 ALTER TABLE profile DROP COLUMN clinician;
                 DROP TABLE trial_event;
                 DROP TABLE trial;
                 ALTER TABLE dose DROP COLUMN container;
                 ALTER TABLE checkin DROP COLUMN guess;
                 PRAGMA user_version = 5;",
                id = stock.id
            ))
            .unwrap_or_else(|e| panic!("{e}"));
        }
        let s = dosewise_store_sqlite::SqliteStore::open(&path).await.must();
        assert_eq!(
            s.schema_version().await.must(),
            dosewise_store_sqlite::SCHEMA_VERSION
        );
        // The old check-in reads back as it was, never corrected, and can be corrected now.
        assert_eq!(s.checkin(c.id).await.must(), Some(c.clone()));
        s.delete_checkin(c.id, ts("2026-11-02T08:00:00Z"), None)
            .await
            .must();
        assert_eq!(s.checkin_revisions(c.id).await.must().len(), 1);
        let lines: Vec<_> = s
            .stock_events(stock.id)
            .await
            .must()
            .into_iter()
            .map(|e| (e.kind, e.reason, e.delta))
            .collect();
        let r = |t: &str| Some(t.to_string());
        assert_eq!(
            lines,
            vec![
                (StockEventKind::Added, None, 30.0),
                (StockEventKind::Count, None, -1.0),
                (StockEventKind::Count, r("pharmacy"), -2.0),
                (StockEventKind::Adjust, r("counted twice"), -1.0),
                (StockEventKind::Adjust, r("refill"), 4.0),
                (StockEventKind::Adjust, r("Count: by hand"), -1.0),
            ]
        );
        // The same reading as an import of an old export (core's rule), line by line.
        for (kind, reason) in [("count", None), ("count: pharmacy", Some("pharmacy"))] {
            assert_eq!(
                dosewise_core::stock::legacy_count(StockEventKind::Adjust, Some(kind)),
                Some((StockEventKind::Count, reason.map(str::to_string)))
            );
        }
        assert_eq!(s.integrity_check().await.must(), "ok");
        // A new count is written as one.
        let after = s
            .adjust_stock(
                stock.id,
                Adjustment::Set(28.0),
                ts("2026-11-03T08:00:00Z"),
                None,
            )
            .await
            .must();
        assert_eq!(after.stock.remaining, 28.0);
        let last = s.stock_events(stock.id).await.must().pop();
        assert_eq!(
            last.map(|e| (e.kind, e.delta)),
            Some((StockEventKind::Count, -1.0))
        );
    }

    #[tokio::test]
    async fn integrity_after_work() {
        let (s, _dir) = sqlite_file().await;
        s.add_stock(&troche_stock("T", 3.0))
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(s.integrity_check().await.must(), "ok");
        assert_eq!(
            s.schema_version().await.must(),
            dosewise_store_sqlite::SCHEMA_VERSION
        );
    }
}
