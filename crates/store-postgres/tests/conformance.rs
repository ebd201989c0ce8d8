//! The conformance suite (`dosewise_store::conformance!`) on PostgreSQL, each test in a journal
//! of its own, and what only the server backend has: many journals side by side, writers of one
//! journal taking turns, the schema check. The database comes from
//! DOSEWISE_TEST_DATABASE_URL: `scripts/test` (or `scripts/with-postgres cargo test …`) starts a
//! throwaway cluster and sets it.

use dosewise_store::conformance::prelude::*;
use dosewise_store_postgres::PgStore;
use std::sync::atomic::{AtomicU64, Ordering};

fn url() -> String {
    std::env::var("DOSEWISE_TEST_DATABASE_URL").unwrap_or_else(|_| {
        panic!(
            "DOSEWISE_TEST_DATABASE_URL is not set: run the tests with scripts/test, or \
             scripts/with-postgres cargo test -p dosewise-store-postgres"
        )
    })
}

/// A journal no other test uses.
fn fresh_name() -> String {
    static N: AtomicU64 = AtomicU64::new(0);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or(0);
    format!(
        "test-{}-{nanos}-{}",
        std::process::id(),
        N.fetch_add(1, Ordering::Relaxed)
    )
}

async fn pg() -> (PgStore, ()) {
    let s = PgStore::open(&url(), &fresh_name()).await.must();
    (s, ())
}

dosewise_store::conformance!(postgres, pg());

mod postgres_specific {
    use super::*;

    /// Two journals in one database never see each other's records, and their ids are their
    /// own (each starts at 1), so an export reads the same as from SQLite.
    #[tokio::test]
    async fn journals_are_apart() {
        let name_a = fresh_name();
        let a = PgStore::open(&url(), &name_a).await.must();
        let (b, ()) = pg().await;
        assert_ne!(a.journal_id(), b.journal_id());
        let sa = a.add_stock(&troche_stock("A", 5.0)).await.must();
        let sb = b.add_stock(&troche_stock("B", 7.0)).await.must();
        assert_eq!((sa.id, sb.id), (1, 1));
        assert_eq!(a.stocks(true).await.must().len(), 1);
        assert_eq!(
            b.stock(1).await.must().map(|s| s.stock.name),
            Some("B".into())
        );
        assert_eq!(a.stock_by_name("B").await.must(), None);
        let ea = a.export().await.must();
        assert_eq!(ea.stocks.len(), 1);
        assert_eq!(ea.stock_events.len(), 1);
        // The same name opens the same journal again, with what it holds.
        let again = PgStore::open(&url(), &name_a).await.must();
        assert_eq!(again.journal_id(), a.journal_id());
        assert_eq!(again.export().await.must(), ea);
    }

    /// Writers of one journal, through separate pools as separate processes would, take turns:
    /// every dose is logged, every supply line follows the one before, nothing is lost.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn concurrent_writers_lose_nothing() {
        let name = fresh_name();
        let first = PgStore::open(&url(), &name).await.must();
        let stock = first.add_stock(&troche_stock("T", 100.0)).await.must();
        let mut tasks = Vec::new();
        for w in 0..4 {
            let name = name.clone();
            let stock = stock.clone();
            tasks.push(tokio::spawn(async move {
                let s = PgStore::open(&url(), &name).await.must();
                for i in 0..10 {
                    let at = format!("2026-11-{:02}T0{}:00:00Z", 2 + i, w);
                    s.log_dose(&dose_from(&stock, "1/2 troche", &at), ts(&at))
                        .await
                        .must();
                }
            }));
        }
        for t in tasks {
            t.await.unwrap_or_else(|e| panic!("{e}"));
        }
        let j = first.export().await.must();
        assert_eq!(j.doses.len(), 40);
        let mut ids: Vec<i64> = j.doses.iter().map(|d| d.id).collect();
        ids.dedup();
        assert_eq!(ids, (1..=40).collect::<Vec<_>>());
        let left = first
            .stock(stock.id)
            .await
            .must()
            .map(|s| s.stock.remaining);
        assert_eq!(left, Some(80.0));
        // The ledger in the order written: each line's remainder is the last one's plus its delta.
        let mut ledger = j.stock_events.clone();
        ledger.sort_by_key(|e| e.id);
        for pair in ledger.windows(2) {
            assert!(
                (pair[0].remaining_after + pair[1].delta - pair[1].remaining_after).abs() < 1e-9,
                "{pair:?}"
            );
        }
    }

    /// A database written by a newer schema is refused with the store's own error.
    #[tokio::test]
    async fn refuses_a_newer_schema() {
        let (s, ()) = pg().await;
        assert_eq!(
            s.schema_version().await.must(),
            dosewise_store_postgres::SCHEMA_VERSION
        );
        // A database of its own for this test, so no other test sees the raised version.
        let db = format!("newer_{}", std::process::id());
        let (client, conn) = tokio_postgres::connect(&url(), tokio_postgres::NoTls)
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        tokio::spawn(conn);
        // One statement each: CREATE DATABASE cannot share a transaction.
        for sql in [
            format!("DROP DATABASE IF EXISTS {db}"),
            format!("CREATE DATABASE {db}"),
        ] {
            client
                .batch_execute(&sql)
                .await
                .unwrap_or_else(|e| panic!("{e:?}"));
        }
        let other = url()
            .rsplit_once('/')
            .map(|(base, _)| format!("{base}/{db}"));
        let other = other.unwrap_or_else(|| panic!("no database in the URL"));
        PgStore::open(&other, "x").await.must();
        let (c2, conn2) = tokio_postgres::connect(&other, tokio_postgres::NoTls)
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        tokio::spawn(conn2);
        c2.batch_execute("UPDATE dosewise_schema SET version = 99")
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        assert!(matches!(
            PgStore::open(&other, "x").await,
            Err(StoreError::NewerSchema { found: 99, .. })
        ));
    }
}
