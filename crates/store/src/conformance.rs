//! The behaviour every backend must show, as one suite: `dosewise_store::conformance!(name,
//! open)` instantiates every test for a backend, where `open` is an async expression giving a
//! fresh, empty store and a guard that keeps it alive (a temporary folder, a throwaway
//! journal). Enabled by the `conformance` feature, for backends' tests only.

pub use dosewise_core;
pub use dosewise_fixtures;
pub use serde_json;

/// What the suite's tests use: the core types, the store trait, and the fixtures below.
pub mod prelude {
    pub use super::{Must, checkin, dose_from, protocol, trial, troche_stock};
    pub use crate::{Store, StoreError, Window};
    pub use dosewise_core::checkin::{NewCheckin, Rating, Ratings, SideEffect, UrinarySymptom};
    pub use dosewise_core::dose::{DoseInput, NewDose, prepare_dose};
    pub use dosewise_core::dose_expr::parse_quantity;
    pub use dosewise_core::profile::Profile;
    pub use dosewise_core::protocol::{
        Cycle, DoseTarget, Limits, NewProtocol, Pattern, Pause, ProtocolEventKind, Status,
    };
    pub use dosewise_core::route::Substance;
    pub use dosewise_core::stock::{Adjustment, NewStock, Stock, StockEventKind};
    pub use dosewise_core::testing::ts;
}

use prelude::*;

/// A planned trial of 2 blocks of 2 days (the sealed bytes stand in for age files: the store
/// keeps them as they are).
pub fn trial() -> dosewise_core::trial_record::NewTrial {
    let design = dosewise_core::trial::Design {
        start: "2026-11-02".parse().unwrap_or_else(|e| panic!("{e}")),
        blocks: 2,
        period_days: 2,
        washout_days: 1,
    };
    let mut t = dosewise_core::testing::trial(design, &[true, false], "mood");
    t.smallest_change = 1.5;
    t.key_holder = "Dr Lee 💊".into();
    t.note = Some("with my clinician; <b>".into());
    t
}

pub fn protocol(name: &str) -> NewProtocol {
    NewProtocol {
        name: name.into(),
        substance: Substance::Ketamine,
        pattern: Pattern::EveryNDays { n: 3 },
        start: "2026-11-01".parse().unwrap_or_else(|e| panic!("{e}")),
        end: None,
        time: "08:00".parse().unwrap_or_else(|e| panic!("{e}")),
        zone: "Europe/Berlin".into(),
        dose: DoseTarget {
            entered: "12.5 mg".into(),
            quantity: parse_quantity("12.5 mg").unwrap_or_else(|e| panic!("{e}")),
            mg: Some(12.5),
        },
        stock_id: None,
        route: None,
        cycle: Some(Cycle {
            on_days: 42,
            break_days: 21,
        }),
        titration: None,
        limits: Limits {
            max_per_dose_mg: Some(25.0),
            ..Limits::default()
        },
        checkin_time: None,
        require_bp: false,
        require_sitter: false,
        note: None,
    }
}

/// A troche stock with a lot, an expiry and a hostile note, to prove text round-trips.
pub fn troche_stock(name: &str, count: f64) -> NewStock {
    let mut s = dosewise_core::testing::troche_new_stock(name, count);
    s.lot = Some("L1".into());
    s.expiry = Some("2027-06-01".parse().unwrap_or_else(|e| panic!("{e}")));
    s.note = Some("hostile ' \" <script> 💊".into());
    s.created_at = ts("2026-11-01T08:00:00Z");
    s
}

pub fn dose_from(stock: &Stock, amount: &str, at: &str) -> NewDose {
    prepare_dose(
        DoseInput {
            entered: amount.into(),
            quantity: parse_quantity(amount).unwrap_or_else(|e| panic!("{e}")),
            route: None,
            at: ts(at),
            zone: "Europe/Berlin".into(),
            note: Some("Robert'); DROP TABLE dose;--".into()),
            salt: None,
            substance: None,
            protocol_id: None,
        },
        Some(stock),
        None,
        ts(at),
    )
    .unwrap_or_else(|e| panic!("{e}"))
}

pub fn checkin(at: &str) -> NewCheckin {
    NewCheckin {
        at: ts(at),
        zone: "Europe/Berlin".into(),
        ratings: Ratings {
            mood: Rating::new(6).ok(),
            sleep: Rating::new(0).ok(),
            ..Ratings::default()
        },
        side_effects: vec![SideEffect {
            name: "nausea".into(),
            severity: Rating::new(3).ok(),
        }],
        craving: Rating::new(1).ok(),
        urinary: vec![UrinarySymptom::Frequency],
        note: Some("naïve ☕\nsecond line".into()),
        tags: vec!["work".into()],
        private: true,
        guess: None,
    }
}

/// A store call that must succeed: a store error fails the test, naming it, instead of turning
/// into the empty value a test may be expecting (an `overdraw_writes_nothing` that passed because
/// `doses()` failed).
pub trait Must<T> {
    fn must(self) -> T;
}

impl<T, E: std::fmt::Display> Must<T> for Result<T, E> {
    fn must(self) -> T {
        self.unwrap_or_else(|e| panic!("store error: {e}"))
    }
}

#[macro_export]
macro_rules! conformance {
    ($modname:ident, $open:expr) => {
        mod $modname {
            #[allow(unused_imports)]
            use super::*;
            #[allow(unused_imports)]
            use $crate::conformance::prelude::*;

            /// `changes` differs after every kind of write, and stays put without one.
            #[tokio::test]
            async fn changes_follow_writes() {
                let (s, _dir) = $open.await;
                let mut last = s.changes().await.must();
                assert_eq!(s.changes().await.must(), last, "no write, no change");
                let st = s.add_stock(&troche_stock("T", 10.0)).await.must();
                // A file's modification time may be coarse: wait a little between writes.
                let mut changed = async |what: &str, last: &mut u64| {
                    let now = s.changes().await.must();
                    assert_ne!(now, *last, "after {what}");
                    *last = now;
                    tokio::time::sleep(std::time::Duration::from_millis(5)).await;
                };
                changed("add_stock", &mut last).await;
                s.log_dose(
                    &dose_from(&st, "1/2 troche", "2026-11-02T08:00:00Z"),
                    ts("2026-11-02T08:00:00Z"),
                )
                .await
                .must();
                changed("log_dose", &mut last).await;
                s.add_checkin(&checkin("2026-11-02T20:00:00Z"), ts("2026-11-02T20:00:00Z"))
                    .await
                    .must();
                changed("add_checkin", &mut last).await;
                let mut p = Profile {
                    name: None,
                    zone: "UTC".into(),
                    weight_kg: None,
                    screen: Vec::new(),
                    screened_at: None,
                    crisis_line: None,
                    clinician: None,
                    created_at: ts("2026-11-01T08:00:00Z"),
                    updated_at: ts("2026-11-01T08:00:00Z"),
                };
                s.save_profile(&p).await.must();
                changed("save_profile", &mut last).await;
                p.zone = "Europe/Berlin".into();
                s.save_profile(&p).await.must();
                changed("a second save_profile", &mut last).await;
                let _ = s.export().await.must();
                assert_eq!(s.changes().await.must(), last, "a read is not a change");
            }

            #[tokio::test]
            async fn profile_round_trip() {
                let (s, _dir) = $open.await;
                assert_eq!(s.profile().await.must(), None);
                let p = Profile {
                    name: Some("Alex".into()),
                    zone: "Europe/Berlin".into(),
                    weight_kg: $crate::conformance::dosewise_core::units::Kilograms::positive(70.5)
                        .ok(),
                    screen: vec![$crate::conformance::dosewise_core::screen::ScreenAnswer {
                        code: "psychosis".into(),
                        since: Some(ts("2026-10-01T08:00:00Z")),
                    }],
                    screened_at: Some(ts("2026-10-01T08:00:00Z")),
                    crisis_line: Some("Samaritans 116 123".into()),
                    clinician: Some("Dr Lee, 030 1234567".into()),
                    created_at: ts("2026-11-01T08:00:00Z"),
                    updated_at: ts("2026-11-01T08:00:00Z"),
                };
                s.save_profile(&p).await.unwrap_or_else(|e| panic!("{e}"));
                assert_eq!(s.profile().await.must(), Some(p.clone()));
                // An answer of unknown date (from before answers were dated) reads back with
                // the latest date it can have: the profile's last save.
                let mut undated = p.clone();
                undated.screen[0].since = None;
                undated.screened_at = None;
                undated.crisis_line = None;
                undated.clinician = None;
                s.save_profile(&undated)
                    .await
                    .unwrap_or_else(|e| panic!("{e}"));
                let back = s.profile().await.must().unwrap_or_else(|| panic!());
                assert_eq!(back.screen[0].since, Some(p.updated_at));
                assert_eq!(
                    (back.screened_at, back.crisis_line, back.clinician),
                    (None, None, None)
                );
            }

            #[tokio::test]
            async fn stock_ledger_and_dose_decrement() {
                let (s, _dir) = $open.await;
                let st = s
                    .add_stock(&troche_stock("Troche 25", 10.0))
                    .await
                    .unwrap_or_else(|e| panic!("{e}"));
                assert_eq!(
                    s.stock_by_name("troche 25")
                        .await
                        .ok()
                        .flatten()
                        .map(|x| x.id),
                    Some(st.id)
                );
                let logged = s
                    .log_dose(
                        &dose_from(&st, "1/2 troche", "2026-11-02T08:00:00Z"),
                        ts("2026-11-02T08:00:01Z"),
                    )
                    .await
                    .unwrap_or_else(|e| panic!("{e}"));
                assert_eq!(logged.stock_remaining, Some(9.5));
                // What log_dose returns is exactly what a later read gives.
                let d = s
                    .dose(logged.dose.id)
                    .await
                    .ok()
                    .flatten()
                    .unwrap_or_else(|| panic!("dose not stored"));
                assert_eq!(d, logged.dose);
                assert_eq!(d.dose.note.as_deref(), Some("Robert'); DROP TABLE dose;--"));
                let st = s
                    .stock(st.id)
                    .await
                    .ok()
                    .flatten()
                    .unwrap_or_else(|| panic!("stock gone"));
                assert_eq!(st.stock.remaining, 9.5);
                let ev = s.stock_events(st.id).await.must();
                assert_eq!(
                    ev.iter().map(|e| e.kind).collect::<Vec<_>>(),
                    vec![StockEventKind::Added, StockEventKind::Dose]
                );
                assert_eq!(ev[1].dose_id, Some(d.id));
                assert_eq!(ev[1].remaining_after, 9.5);
                // Adjust and retire are ledgered too.
                let st = s
                    .adjust_stock(
                        st.id,
                        Adjustment::Set(9.0),
                        ts("2026-11-03T08:00:00Z"),
                        Some("counted"),
                    )
                    .await
                    .unwrap_or_else(|e| panic!("{e}"));
                assert_eq!(st.stock.remaining, 9.0);
                // A count is its own kind of line, with the difference and the reason as given.
                let last = s.stock_events(st.id).await.must().pop();
                assert_eq!(
                    last.map(|e| (e.kind, e.delta, e.reason)),
                    Some((StockEventKind::Count, -0.5, Some("counted".to_string())))
                );
                assert!(matches!(
                    s.adjust_stock(
                        st.id,
                        Adjustment::Delta(-20.0),
                        ts("2026-11-03T08:00:00Z"),
                        None
                    )
                    .await,
                    Err(StoreError::InsufficientStock { .. })
                ));
                let st = s
                    .retire_stock(st.id, ts("2026-11-04T08:00:00Z"), Some("expired"))
                    .await
                    .unwrap_or_else(|e| panic!("{e}"));
                assert!(st.is_retired());
                assert_eq!(s.stocks(false).await.must().len(), 0);
                assert_eq!(s.stocks(true).await.must().len(), 1);
                // A retired name can be reused; two active stocks cannot share one.
                s.add_stock(&troche_stock("Troche 25", 5.0))
                    .await
                    .unwrap_or_else(|e| panic!("{e}"));
                assert!(matches!(
                    s.add_stock(&troche_stock("Troche 25", 5.0)).await,
                    Err(StoreError::DuplicateName(_))
                ));
            }

            #[tokio::test]
            async fn overdraw_writes_nothing() {
                let (s, _dir) = $open.await;
                let st = s
                    .add_stock(&troche_stock("T", 1.0))
                    .await
                    .unwrap_or_else(|e| panic!("{e}"));
                let mut d = dose_from(&st, "1 troche", "2026-11-02T08:00:00Z");
                d.supply_used = Some(2.0); // as if another process took supply meanwhile
                assert!(matches!(
                    s.log_dose(&d, ts("2026-11-02T08:00:00Z")).await,
                    Err(StoreError::InsufficientStock { .. })
                ));
                assert_eq!(s.doses(Window::default()).await.must().len(), 0);
                assert_eq!(
                    s.stock(st.id)
                        .await
                        .ok()
                        .flatten()
                        .map(|x| x.stock.remaining),
                    Some(1.0)
                );
            }

            #[tokio::test]
            async fn corrections_keep_history_and_move_supply() {
                let (s, _dir) = $open.await;
                let st = s
                    .add_stock(&troche_stock("T", 10.0))
                    .await
                    .unwrap_or_else(|e| panic!("{e}"));
                let d = s
                    .log_dose(
                        &dose_from(&st, "1 troche", "2026-11-02T08:00:00Z"),
                        ts("2026-11-02T08:00:00Z"),
                    )
                    .await
                    .unwrap_or_else(|e| panic!("{e}"))
                    .dose;
                let st = s
                    .stock(st.id)
                    .await
                    .ok()
                    .flatten()
                    .unwrap_or_else(|| panic!());
                let edited = dose_from(&st, "1/2 troche", "2026-11-02T07:30:00Z");
                let e = s
                    .edit_dose(d.id, &edited, ts("2026-11-02T09:00:00Z"), Some("was half"))
                    .await
                    .unwrap_or_else(|e| panic!("{e}"));
                assert_eq!(e.dose.dose_mg, 12.5);
                assert_eq!(e.updated_at, Some(ts("2026-11-02T09:00:00Z")));
                assert_eq!(
                    s.stock(st.id)
                        .await
                        .ok()
                        .flatten()
                        .map(|x| x.stock.remaining),
                    Some(9.5)
                );
                s.delete_dose(d.id, ts("2026-11-02T10:00:00Z"), Some("duplicate"))
                    .await
                    .unwrap_or_else(|e| panic!("{e}"));
                assert_eq!(
                    s.stock(st.id)
                        .await
                        .ok()
                        .flatten()
                        .map(|x| x.stock.remaining),
                    Some(10.0)
                );
                let revs = s.dose_revisions(d.id).await.must();
                assert_eq!(revs.len(), 2);
                assert_eq!(revs[0].previous.dose_mg, 25.0);
                assert_eq!(revs[1].reason.as_deref(), Some("duplicate"));
                assert_eq!(s.doses(Window::default()).await.must().len(), 0);
                let all = s
                    .doses(Window {
                        include_deleted: true,
                        ..Window::default()
                    })
                    .await
                    .must();
                assert_eq!(all.len(), 1);
                assert!(all[0].deleted_at.is_some());
                assert!(matches!(
                    s.delete_dose(d.id, ts("2026-11-02T11:00:00Z"), None).await,
                    Err(StoreError::Deleted { .. })
                ));
            }

            #[tokio::test]
            async fn checkins_and_windows() {
                let (s, _dir) = $open.await;
                let a = s
                    .add_checkin(&checkin("2026-11-01T20:00:00Z"), ts("2026-11-01T20:00:00Z"))
                    .await
                    .unwrap_or_else(|e| panic!("{e}"));
                s.add_checkin(&checkin("2026-11-03T20:00:00Z"), ts("2026-11-03T20:00:00Z"))
                    .await
                    .unwrap_or_else(|e| panic!("{e}"));
                assert_eq!(a.checkin, checkin("2026-11-01T20:00:00Z"));
                let w = Window {
                    from: Some(ts("2026-11-02T00:00:00Z")),
                    to: None,
                    include_deleted: false,
                };
                assert_eq!(s.checkins(w).await.must().len(), 1);
                assert_eq!(
                    s.last_checkin().await.must().map(|c| c.checkin.at),
                    Some(ts("2026-11-03T20:00:00Z"))
                );
                assert_eq!(s.checkin(a.id).await.must(), Some(a.clone()));
                assert_eq!(s.checkin(a.id + 100).await.must(), None);
            }

            #[tokio::test]
            async fn settings_are_kept_beside_the_journal_and_never_exported() {
                let (s, _dir) = $open.await;
                let before = s.export().await.must();
                assert_eq!(s.setting("share").await.must(), None);
                s.save_setting("share", Some("{\"a\":1}")).await.must();
                s.save_setting("share", Some("naïve ☕")).await.must();
                s.save_setting("other", Some("x")).await.must();
                assert_eq!(s.setting("share").await.must().as_deref(), Some("naïve ☕"));
                assert_eq!(s.export().await.must(), before);
                s.save_setting("share", None).await.must();
                assert_eq!(s.setting("share").await.must(), None);
                assert_eq!(s.setting("other").await.must().as_deref(), Some("x"));
            }

            #[tokio::test]
            async fn checkin_corrections_keep_revisions() {
                let (s, _dir) = $open.await;
                let a = s
                    .add_checkin(&checkin("2026-11-01T20:00:00Z"), ts("2026-11-01T20:00:00Z"))
                    .await
                    .must();
                let b = s
                    .add_checkin(&checkin("2026-11-03T20:00:00Z"), ts("2026-11-03T20:00:00Z"))
                    .await
                    .must();
                let mut fixed = checkin("2026-11-01T21:00:00Z");
                fixed.ratings.mood = Rating::new(3).ok();
                fixed.urinary.clear();
                fixed.private = false;
                let e = s
                    .edit_checkin(a.id, &fixed, ts("2026-11-02T08:00:00Z"), Some("wrong hour"))
                    .await
                    .must();
                assert_eq!(e.checkin, fixed);
                assert_eq!(e.created_at, a.created_at);
                assert_eq!(e.updated_at, Some(ts("2026-11-02T08:00:00Z")));
                // What the store returns is what it holds.
                assert_eq!(s.checkin(a.id).await.must(), Some(e.clone()));
                // No longer among the urinary check-ins the safety check reads.
                assert_eq!(
                    s.urinary_checkins(Window::default())
                        .await
                        .must()
                        .iter()
                        .map(|c| c.id)
                        .collect::<Vec<_>>(),
                    vec![b.id]
                );
                let d = s
                    .delete_checkin(b.id, ts("2026-11-04T08:00:00Z"), Some("duplicate"))
                    .await
                    .must();
                assert_eq!(d.deleted_at, Some(ts("2026-11-04T08:00:00Z")));
                assert_eq!(s.checkin(b.id).await.must(), Some(d.clone()));
                // A deleted check-in is left out of every reading but the record itself.
                assert_eq!(s.checkins(Window::default()).await.must(), vec![e.clone()]);
                assert!(
                    s.urinary_checkins(Window::default())
                        .await
                        .must()
                        .is_empty()
                );
                assert_eq!(s.last_checkin().await.must().map(|c| c.id), Some(a.id));
                let all = s
                    .checkins(Window {
                        include_deleted: true,
                        ..Window::default()
                    })
                    .await
                    .must();
                assert_eq!(all, vec![e, d]);
                let revs = s.checkin_revisions(a.id).await.must();
                assert_eq!(revs.len(), 1);
                assert_eq!(revs[0].previous, a.checkin);
                assert_eq!(revs[0].reason.as_deref(), Some("wrong hour"));
                assert_eq!(
                    revs[0].action,
                    $crate::conformance::dosewise_core::dose::RevisionAction::Edit
                );
                let revs = s.checkin_revisions(b.id).await.must();
                assert_eq!(revs.len(), 1);
                assert_eq!(revs[0].previous, b.checkin);
                // Deleted is final; a missing one is not found; nothing changes either way.
                let before = s.export().await.must();
                assert!(matches!(
                    s.edit_checkin(b.id, &fixed, ts("2026-11-05T08:00:00Z"), None)
                        .await,
                    Err(StoreError::Deleted {
                        what: "check-in",
                        ..
                    })
                ));
                assert!(matches!(
                    s.delete_checkin(b.id, ts("2026-11-05T08:00:00Z"), None)
                        .await,
                    Err(StoreError::Deleted { .. })
                ));
                assert!(matches!(
                    s.edit_checkin(b.id + 100, &fixed, ts("2026-11-05T08:00:00Z"), None)
                        .await,
                    Err(StoreError::NotFound {
                        what: "check-in",
                        ..
                    })
                ));
                assert_eq!(s.export().await.must(), before);
            }

            #[tokio::test]
            async fn protocols_one_current_per_substance_with_history() {
                let (s, _dir) = $open.await;
                let day: $crate::conformance::dosewise_core::jiff::civil::Date =
                    "2026-11-01".parse().unwrap_or_else(|e| panic!("{e}"));
                let a = s
                    .add_protocol(&protocol("A"), ts("2026-11-01T08:00:00Z"), day)
                    .await
                    .unwrap_or_else(|e| panic!("{e}"));
                assert_eq!(a.status, Status::Active);
                let b = s
                    .add_protocol(&protocol("B"), ts("2026-11-02T08:00:00Z"), day)
                    .await
                    .unwrap_or_else(|e| panic!("{e}"));
                let a = s
                    .protocol(a.id)
                    .await
                    .ok()
                    .flatten()
                    .unwrap_or_else(|| panic!("protocol A gone"));
                assert_eq!(a.status, Status::Ended);
                assert_eq!(a.ended_at, Some(ts("2026-11-02T08:00:00Z")));
                assert_eq!(
                    s.current_protocol(Substance::Ketamine)
                        .await
                        .ok()
                        .flatten()
                        .map(|p| p.id),
                    Some(b.id)
                );
                assert_eq!(s.protocols(false).await.must().len(), 1);
                assert_eq!(s.protocols(true).await.must().len(), 2);
                let mut b2 = b.clone();
                b2.status = Status::Paused;
                b2.pauses.push(Pause {
                    from: day,
                    to: None,
                });
                let b2 = s
                    .save_protocol(
                        &b2,
                        ProtocolEventKind::Paused,
                        Some("holiday"),
                        ts("2026-11-03T08:00:00Z"),
                        day,
                    )
                    .await
                    .unwrap_or_else(|e| panic!("{e}"));
                assert_eq!(b2.pauses.len(), 1);
                let kinds: Vec<_> = s
                    .protocol_events(b.id)
                    .await
                    .must()
                    .iter()
                    .map(|e| e.kind)
                    .collect();
                assert_eq!(
                    kinds,
                    vec![ProtocolEventKind::Created, ProtocolEventKind::Paused]
                );
                let kinds: Vec<_> = s
                    .protocol_events(a.id)
                    .await
                    .must()
                    .iter()
                    .map(|e| e.kind)
                    .collect();
                assert_eq!(
                    kinds,
                    vec![ProtocolEventKind::Created, ProtocolEventKind::Ended]
                );
                // Protocols and their history survive export → import.
                let j = s.export().await.unwrap_or_else(|e| panic!("{e}"));
                assert_eq!((j.protocols.len(), j.protocol_events.len()), (2, 4));
                let (other, _d2) = $open.await;
                other.import(&j).await.unwrap_or_else(|e| panic!("{e}"));
                assert_eq!(other.export().await.unwrap_or_else(|e| panic!("{e}")), j);
            }

            #[tokio::test]
            async fn dose_history_is_the_doses_without_their_findings() {
                use $crate::conformance::dosewise_core::safety::{Finding, Severity, Step};
                let (s, _dir) = $open.await;
                let st = s
                    .add_stock(&troche_stock("Troche 25", 10.0))
                    .await
                    .unwrap_or_else(|e| panic!("{e}"));
                let mut refused = dose_from(&st, "1 troche", "2026-11-02T08:00:00Z");
                refused.findings = vec![Finding {
                    code: "max_per_dose".into(),
                    severity: Severity::Refuse,
                    message: "above the plan's limit".into(),
                    reason: "why".into(),
                    action: "what to do".into(),
                    sources: vec!["a source (H)".into()],
                    step: Some(Step::ClearScreen),
                }];
                refused.override_reason = Some("agreed with my clinician".into());
                for d in [
                    dose_from(&st, "1/2 troche", "2026-11-01T08:00:00Z"),
                    refused,
                    dose_from(&st, "1/4 troche", "2026-11-03T08:00:00Z"),
                ] {
                    s.log_dose(&d, ts("2026-11-03T09:00:00Z"))
                        .await
                        .unwrap_or_else(|e| panic!("{e}"));
                }
                let deleted = s.recent_doses(1).await.must()[0].id;
                s.delete_dose(deleted, ts("2026-11-03T10:00:00Z"), Some("typo"))
                    .await
                    .unwrap_or_else(|e| panic!("{e}"));
                for include_deleted in [false, true] {
                    let w = Window {
                        from: Some(ts("2026-11-01T12:00:00Z")),
                        to: None,
                        include_deleted,
                    };
                    let full = s.doses(w).await.unwrap_or_else(|e| panic!("{e}"));
                    let history = s.dose_history(w).await.unwrap_or_else(|e| panic!("{e}"));
                    assert_eq!(full.len(), if include_deleted { 2 } else { 1 });
                    assert_eq!(full[0].dose.findings.len(), 1, "doses() keeps the findings");
                    let stripped: Vec<_> = full
                        .into_iter()
                        .map(|mut d| {
                            d.dose.findings.clear();
                            d
                        })
                        .collect();
                    assert_eq!(history, stripped);
                    assert_eq!(
                        history[0].dose.override_reason.as_deref(),
                        Some("agreed with my clinician")
                    );
                }
            }

            #[tokio::test]
            async fn safety_records_round_trip() {
                use $crate::conformance::dosewise_core::medication::{
                    NewMedication, NewSubstanceUse,
                };
                use $crate::conformance::dosewise_core::safety::ClearanceTopic;
                use $crate::conformance::dosewise_core::vitals::{NewVitals, VitalsContext};
                let (s, _dir) = $open.await;
                let m = s
                    .add_medication(&NewMedication {
                        name: "sertraline".into(),
                        dose: Some("50 mg".into()),
                        since: None,
                        clinician_aware: true,
                        note: None,
                        added_at: ts("2026-11-01T08:00:00Z"),
                    })
                    .await
                    .unwrap_or_else(|e| panic!("{e}"));
                assert_eq!(s.medications(false).await.must().len(), 1);
                s.remove_medication(m.id, ts("2026-11-05T08:00:00Z"))
                    .await
                    .unwrap_or_else(|e| panic!("{e}"));
                assert_eq!(s.medications(false).await.must().len(), 0);
                assert_eq!(
                    s.medications(true).await.must()[0].removed_at,
                    Some(ts("2026-11-05T08:00:00Z"))
                );
                let u = NewSubstanceUse {
                    at: ts("2026-11-02T20:00:00Z"),
                    zone: "Europe/Berlin".into(),
                    name: "wine".into(),
                    amount: Some("2 glasses".into()),
                    note: None,
                };
                s.add_substance_use(&u, ts("2026-11-02T20:00:00Z"))
                    .await
                    .unwrap_or_else(|e| panic!("{e}"));
                let w = Window {
                    from: Some(ts("2026-11-02T00:00:00Z")),
                    to: Some(ts("2026-11-03T00:00:00Z")),
                    include_deleted: false,
                };
                assert_eq!(s.substance_uses(w).await.must()[0].usage, u);
                let v = NewVitals {
                    at: ts("2026-11-02T07:30:00Z"),
                    zone: "Europe/Berlin".into(),
                    systolic: Some(128),
                    diastolic: Some(82),
                    heart_rate: Some(71),
                    weight_kg: $crate::conformance::dosewise_core::units::Kilograms::positive(70.2)
                        .ok(),
                    context: VitalsContext::PreDose,
                    note: None,
                };
                s.add_vitals(&v, ts("2026-11-02T07:30:00Z"))
                    .await
                    .unwrap_or_else(|e| panic!("{e}"));
                assert_eq!(s.vitals(Window::default()).await.must()[0].vitals, v);
                s.add_clearance(
                    ClearanceTopic::Urinary,
                    ts("2026-11-03T10:00:00Z"),
                    Some("seen by GP"),
                )
                .await
                .unwrap_or_else(|e| panic!("{e}"));
                assert_eq!(
                    s.clearances().await.must()[0].topic,
                    ClearanceTopic::Urinary
                );
                let j = s.export().await.unwrap_or_else(|e| panic!("{e}"));
                let (other, _d2) = $open.await;
                let r = other.import(&j).await.unwrap_or_else(|e| panic!("{e}"));
                assert_eq!(
                    (r.medications, r.substance_uses, r.vitals, r.clearances),
                    (1, 1, 1, 1)
                );
                assert_eq!(other.export().await.unwrap_or_else(|e| panic!("{e}")), j);
            }

            #[tokio::test]
            async fn trials_round_trip() {
                use $crate::conformance::dosewise_core::trial::{Condition, Guess};
                use $crate::conformance::dosewise_core::trial_record::{
                    NewTrialEvent, TrialEventKind, TrialGuess,
                };
                let (s, _dir) = $open.await;
                let t = s
                    .add_trial(&trial(), ts("2026-11-01T09:00:00Z"))
                    .await
                    .must();
                assert_eq!(s.trials().await.must(), vec![t.clone()]);
                assert_eq!(t.trial, trial());
                let event = |kind, reason: Option<&str>| NewTrialEvent {
                    trial_id: t.id,
                    at: ts("2026-11-03T09:00:00Z"),
                    kind,
                    reason: reason.map(str::to_string),
                };
                let date = "2026-11-03".parse().unwrap_or_else(|e| panic!("{e}"));
                let e1 = s
                    .add_trial_event(&event(
                        TrialEventKind::Unblinded {
                            date,
                            condition: Condition::Placebo,
                        },
                        Some("felt faint; asked my GP"),
                    ))
                    .await
                    .must();
                let e2 = s
                    .add_trial_event(&event(
                        TrialEventKind::Revealed {
                            orders: vec![true, false],
                        },
                        None,
                    ))
                    .await
                    .must();
                assert_eq!(s.trial_events(t.id).await.must(), vec![e1, e2]);
                assert!(s.trial_events(t.id + 1).await.must().is_empty());
                let unknown = NewTrialEvent {
                    trial_id: t.id + 7,
                    ..event(TrialEventKind::Stopped { last_day: date }, Some("x"))
                };
                assert!(
                    matches!(
                        s.add_trial_event(&unknown).await,
                        Err(StoreError::NotFound { what: "trial", .. })
                    ),
                    "an event for no trial is refused"
                );
                // A dose names its container; a check-in carries the day's guess.
                let st = s.add_stock(&troche_stock("T", 10.0)).await.must();
                let mut d = dose_from(&st, "1/2 troche", "2026-11-02T08:00:00Z");
                d.container = Some("C0000".into());
                let logged = s.log_dose(&d, ts("2026-11-02T08:00:00Z")).await.must();
                assert_eq!(
                    s.dose(logged.dose.id)
                        .await
                        .must()
                        .map(|x| x.dose.container),
                    Some(Some("C0000".into()))
                );
                let mut c = checkin("2026-11-02T20:00:00Z");
                c.guess = TrialGuess::new(Guess::Placebo, 4).ok();
                let added = s.add_checkin(&c, ts("2026-11-02T20:00:00Z")).await.must();
                assert_eq!(
                    s.checkin(added.id)
                        .await
                        .must()
                        .and_then(|x| x.checkin.guess),
                    c.guess
                );
                // Everything exports and imports back; importing again adds nothing.
                let j = s.export().await.must();
                assert_eq!((j.trials.len(), j.trial_events.len()), (1, 2));
                let text = $crate::conformance::serde_json::to_string(&j).must();
                let parsed = $crate::conformance::dosewise_core::journal::Journal::parse(&text)
                    .unwrap_or_else(|e| panic!("{e}"));
                let (other, _d2) = $open.await;
                let r = other.import(&parsed).await.must();
                assert_eq!((r.trials, r.trial_events), (1, 2));
                assert_eq!(other.export().await.must(), j);
                let again = other.import(&parsed).await.must();
                assert_eq!((again.trials, again.trial_events), (0, 0));
            }

            #[tokio::test]
            async fn export_import_round_trip_and_conflicts() {
                let (a, _dir_a) = $open.await;
                let now = ts("2026-11-28T12:00:00Z").to_zoned_datetime(
                    $crate::conformance::dosewise_core::jiff::tz::TimeZone::get("Europe/Berlin")
                        .unwrap_or_else(|e| panic!("{e}")),
                );
                let demo = $crate::conformance::dosewise_fixtures::demo::demo_journal(&now, 30, 7);
                let report = a.import(&demo).await.unwrap_or_else(|e| panic!("{e}"));
                assert_eq!(report.doses, demo.doses.len());
                let st = a.stocks(false).await.must().remove(0);
                let d = a
                    .log_dose(
                        &dose_from(&st, "1/4 troche", "2026-11-28T08:00:00Z"),
                        ts("2026-11-28T08:00:00Z"),
                    )
                    .await
                    .unwrap_or_else(|e| panic!("{e}"))
                    .dose;
                a.delete_dose(d.id, ts("2026-11-28T09:00:00Z"), Some("test"))
                    .await
                    .unwrap_or_else(|e| panic!("{e}"));
                // A corrected check-in and a deleted one travel with their revisions.
                let c = a
                    .add_checkin(&checkin("2026-11-28T10:00:00Z"), ts("2026-11-28T10:00:00Z"))
                    .await
                    .must();
                let mut fixed = c.checkin.clone();
                fixed.note = None;
                a.edit_checkin(c.id, &fixed, ts("2026-11-28T10:30:00Z"), Some("typo"))
                    .await
                    .must();
                let gone = demo.checkins[0].id;
                a.delete_checkin(gone, ts("2026-11-28T10:40:00Z"), None)
                    .await
                    .must();
                let first = a.export().await.unwrap_or_else(|e| panic!("{e}"));
                let text = $crate::conformance::serde_json::to_string_pretty(&first).must();
                let parsed = $crate::conformance::dosewise_core::journal::Journal::parse(&text)
                    .unwrap_or_else(|e| panic!("{e}"));

                let (b, _dir_b) = $open.await;
                b.import(&parsed).await.unwrap_or_else(|e| panic!("{e}"));
                let second = b.export().await.unwrap_or_else(|e| panic!("{e}"));
                assert_eq!(second.checkin_revisions.len(), 2);
                assert!(
                    second
                        .checkins
                        .iter()
                        .any(|c| c.id == gone && c.deleted_at.is_some())
                );
                assert_eq!(
                    $crate::conformance::serde_json::to_string_pretty(&second).must(),
                    text
                );
                // Importing the same file again changes nothing.
                let again = b.import(&parsed).await.unwrap_or_else(|e| panic!("{e}"));
                assert_eq!(again.doses + again.checkins + again.stocks, 0);
                assert!(again.unchanged > 0);
                // A changed record with the same id is a conflict, and nothing is written.
                let mut changed = parsed.clone();
                changed.doses[0].dose.note = Some("different".into());
                let extra_id = changed.checkins.iter().map(|c| c.id).max().unwrap_or(0) + 1;
                let mut extra = changed.checkins[0].clone();
                extra.id = extra_id;
                changed.checkins.push(extra);
                match b.import(&changed).await {
                    Err(StoreError::ImportConflicts(c)) => {
                        assert!(c[0].contains("dose 1"), "{c:?}")
                    }
                    other => panic!("{other:?}"),
                }
                assert_eq!(
                    b.checkins(Window::default()).await.must().len(),
                    parsed.checkins.len() - 1
                );
            }
        }
    };
}
