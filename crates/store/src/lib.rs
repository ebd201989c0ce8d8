//! Dosewise persistence, neutral of any database.
//!
//! One [`Store`] trait describes every read and write the surfaces need; each backend (the
//! embedded SQLite one in `dosewise-store-sqlite`) implements it, and one conformance suite
//! ([`conformance!`], feature `conformance`) proves the same behaviour on each. Methods take
//! `&self` and a store is `Send + Sync`: a backend serialises or pools its connections itself,
//! and runs blocking work where it does not hold up an async runtime.
//! Every method that writes more than one row does so in a single transaction: a failure leaves
//! nothing behind. The store records what it is told; decisions (conversions, plausibility,
//! safety) are made in `dosewise-core` before a write reaches it.

use dosewise_core::checkin::{Checkin, CheckinRevision, NewCheckin};
use dosewise_core::dose::{Dose, DoseRevision, NewDose};
use dosewise_core::jiff::Timestamp;
use dosewise_core::jiff::civil::Date;
use dosewise_core::journal::Journal;
use dosewise_core::medication::{Medication, NewMedication, NewSubstanceUse, SubstanceUse};
use dosewise_core::profile::Profile;
use dosewise_core::protocol::{NewProtocol, Protocol, ProtocolEvent, ProtocolEventKind};
use dosewise_core::questionnaire::{Assessment, NewAssessment};
use dosewise_core::route::Substance;
use dosewise_core::safety::{Clearance, ClearanceTopic};
use dosewise_core::stock::{Adjustment, NewStock, Stock, StockEvent};
use dosewise_core::trial_record::{NewTrial, NewTrialEvent, Trial, TrialEvent};
use dosewise_core::vitals::{NewVitals, Vitals};
use std::future::Future;
use thiserror::Error;

pub mod codec;
#[cfg(feature = "conformance")]
pub mod conformance;
pub mod import;
pub mod secret;
pub use secret::{Passphrase, PassphraseError};

#[derive(Debug, Error)]
pub enum StoreError {
    #[error("{what} {id} does not exist")]
    NotFound { what: &'static str, id: i64 },
    #[error("an active stock is already named {0:?}; choose another name or retire the old stock")]
    DuplicateName(String),
    #[error("not enough left in stock {stock_id} for this change")]
    InsufficientStock { stock_id: i64 },
    #[error("{what} {id} was deleted; a deleted {what} cannot be changed")]
    Deleted { what: &'static str, id: i64 },
    #[error(
        "this journal was written by a newer Dosewise (schema {found}, this version knows up to {known}); update Dosewise to open it"
    )]
    NewerSchema { found: i64, known: i64 },
    #[error("{0} is not a Dosewise database")]
    NotOurs(String),
    #[error(
        "this journal is encrypted: give its passphrase (--passphrase-file FILE, DOSEWISE_PASSPHRASE_FILE, or run in a terminal to be asked)"
    )]
    Encrypted,
    #[error("wrong passphrase, or the journal file is damaged")]
    WrongPassphrase,
    #[error("{0}")]
    Conversion(String),
    #[error("the import conflicts with records already in this journal: {}", .0.join("; "))]
    ImportConflicts(Vec<String>),
    #[error(
        "the database holds a value Dosewise cannot read ({0}); it may have been edited by hand"
    )]
    Corrupt(String),
    /// Another writer held the journal for longer than the backend waits.
    #[error(
        "the journal is busy: another program kept it locked for too long; try again in a moment"
    )]
    Locked,
    /// The disk under the database is full: the change was not written (SQLite and
    /// PostgreSQL roll the whole transaction back), and what was there before is intact.
    #[error(
        "the disk holding the journal is full: this change was not written, and nothing already there was lost; free some space and run it again"
    )]
    Full,
    /// The database itself failed (I/O, a lost connection): not the input's fault.
    #[error("database error: {0}")]
    Backend(Box<dyn std::error::Error + Send + Sync>),
}

impl StoreError {
    /// Whether the fault lies with the database or the machine rather than with what was asked
    /// (front ends report these as errors to investigate, not as input to correct).
    pub fn is_backend(&self) -> bool {
        matches!(
            self,
            StoreError::Backend(_) | StoreError::Corrupt(_) | StoreError::Full
        )
    }
}

pub type Result<T, E = StoreError> = std::result::Result<T, E>;

impl Window {
    /// Everything from `from` on (not deleted); `None`: everything.
    pub fn since(from: Option<Timestamp>) -> Window {
        Window {
            from,
            ..Window::default()
        }
    }

    /// The `days` × 24 hours up to `now` and anything after (not deleted).
    pub fn last_days(now: Timestamp, days: i64) -> Window {
        Window::since(
            now.checked_sub(dosewise_core::jiff::SignedDuration::from_hours(24 * days))
                .ok(),
        )
    }
}

/// Which records to list.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Window {
    /// Inclusive lower bound.
    pub from: Option<Timestamp>,
    /// Exclusive upper bound.
    pub to: Option<Timestamp>,
    /// Include soft-deleted doses and check-ins.
    pub include_deleted: bool,
}

/// What an import did.
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize)]
pub struct ImportReport {
    pub stocks: usize,
    pub stock_events: usize,
    pub doses: usize,
    pub dose_revisions: usize,
    pub checkins: usize,
    pub checkin_revisions: usize,
    pub protocols: usize,
    pub protocol_events: usize,
    pub medications: usize,
    pub substance_uses: usize,
    pub vitals: usize,
    pub clearances: usize,
    pub assessments: usize,
    pub trials: usize,
    pub trial_events: usize,
    /// Records already present with identical content, left as they were.
    pub unchanged: usize,
    pub profile_imported: bool,
    /// True when the file had a profile but the journal already had one, which was kept.
    pub profile_kept_existing: bool,
}

/// A dose just written, with what is left of its stock afterwards.
#[derive(Debug, Clone, PartialEq)]
pub struct LoggedDose {
    pub dose: Dose,
    /// The stock's amount on hand after the dose, when the dose came from a stock.
    pub stock_remaining: Option<f64>,
}

/// Every operation the surfaces need, on any backend.
pub trait Store: Send + Sync {
    fn profile(&self) -> impl Future<Output = Result<Option<Profile>>> + Send;
    fn save_profile(&self, p: &Profile) -> impl Future<Output = Result<()>> + Send;

    /// Record a stock and its initial amount (an `added` ledger line).
    fn add_stock(&self, s: &NewStock) -> impl Future<Output = Result<Stock>> + Send;
    fn stock(&self, id: i64) -> impl Future<Output = Result<Option<Stock>>> + Send;
    /// The active stock with this exact name (case-insensitive), if any.
    fn stock_by_name(&self, name: &str) -> impl Future<Output = Result<Option<Stock>>> + Send;
    fn stocks(&self, include_retired: bool) -> impl Future<Output = Result<Vec<Stock>>> + Send;
    fn stock_events(&self, stock_id: i64) -> impl Future<Output = Result<Vec<StockEvent>>> + Send;
    fn adjust_stock(
        &self,
        id: i64,
        adjustment: Adjustment,
        at: Timestamp,
        reason: Option<&str>,
    ) -> impl Future<Output = Result<Stock>> + Send;
    /// Replace a stock's preparation details (e.g. a drop calibration). Amounts are unchanged.
    fn update_stock(&self, s: &Stock) -> impl Future<Output = Result<Stock>> + Send;
    fn retire_stock(
        &self,
        id: i64,
        at: Timestamp,
        reason: Option<&str>,
    ) -> impl Future<Output = Result<Stock>> + Send;

    /// Write a dose and take its supply from its stock, atomically.
    fn log_dose(
        &self,
        d: &NewDose,
        created_at: Timestamp,
    ) -> impl Future<Output = Result<LoggedDose>> + Send;
    fn dose(&self, id: i64) -> impl Future<Output = Result<Option<Dose>>> + Send;
    /// Doses in time order.
    fn doses(&self, w: Window) -> impl Future<Output = Result<Vec<Dose>>> + Send;
    /// Doses in time order as the safety check reads the past: everything but the findings
    /// stored with each dose, which come back empty. Those are kilobytes of JSON per dose that
    /// the check never reads (it judges what was taken, when and how); decoding them was a
    /// sixth of a dose command's work. Use [`Store::doses`] to show a dose.
    fn dose_history(&self, w: Window) -> impl Future<Output = Result<Vec<Dose>>> + Send;
    /// The most recent `n` doses that are not deleted, newest first.
    fn recent_doses(&self, n: u32) -> impl Future<Output = Result<Vec<Dose>>> + Send;
    /// Replace a dose, keeping the old version as a revision and moving supply accordingly.
    fn edit_dose(
        &self,
        id: i64,
        new: &NewDose,
        at: Timestamp,
        reason: Option<&str>,
    ) -> impl Future<Output = Result<Dose>> + Send;
    /// Mark a dose deleted (kept with a revision) and return its supply to the stock.
    fn delete_dose(
        &self,
        id: i64,
        at: Timestamp,
        reason: Option<&str>,
    ) -> impl Future<Output = Result<Dose>> + Send;
    fn dose_revisions(
        &self,
        dose_id: i64,
    ) -> impl Future<Output = Result<Vec<DoseRevision>>> + Send;

    fn add_checkin(
        &self,
        c: &NewCheckin,
        created_at: Timestamp,
    ) -> impl Future<Output = Result<Checkin>> + Send;
    /// One check-in by id (deleted ones too, marked).
    fn checkin(&self, id: i64) -> impl Future<Output = Result<Option<Checkin>>> + Send;
    /// Check-ins in time order (deleted ones only with `include_deleted`).
    fn checkins(&self, w: Window) -> impl Future<Output = Result<Vec<Checkin>>> + Send;
    /// The latest check-in that is not deleted.
    fn last_checkin(&self) -> impl Future<Output = Result<Option<Checkin>>> + Send;
    /// Replace a check-in's fields, keeping the old version as a revision, atomically.
    fn edit_checkin(
        &self,
        id: i64,
        new: &NewCheckin,
        at: Timestamp,
        reason: Option<&str>,
    ) -> impl Future<Output = Result<Checkin>> + Send;
    /// Mark a check-in deleted (kept, with a revision); a deleted one is never changed again.
    fn delete_checkin(
        &self,
        id: i64,
        at: Timestamp,
        reason: Option<&str>,
    ) -> impl Future<Output = Result<Checkin>> + Send;
    fn checkin_revisions(
        &self,
        checkin_id: i64,
    ) -> impl Future<Output = Result<Vec<CheckinRevision>>> + Send;
    /// Check-ins that recorded urinary symptoms and are not deleted, in time order (the safety
    /// check looks further back for these than for anything else).
    fn urinary_checkins(&self, w: Window) -> impl Future<Output = Result<Vec<Checkin>>> + Send;

    /// Record a protocol as the current one for its substance, ending the previous current one
    /// (both with a history line), atomically.
    fn add_protocol(
        &self,
        p: &NewProtocol,
        at: Timestamp,
        date: Date,
    ) -> impl Future<Output = Result<Protocol>> + Send;
    fn protocol(&self, id: i64) -> impl Future<Output = Result<Option<Protocol>>> + Send;
    /// Protocols, newest first (ended ones only with `include_ended`).
    fn protocols(&self, include_ended: bool) -> impl Future<Output = Result<Vec<Protocol>>> + Send;
    /// The active or paused protocol for a substance.
    fn current_protocol(
        &self,
        substance: Substance,
    ) -> impl Future<Output = Result<Option<Protocol>>> + Send;
    /// Save a changed protocol (definition, status, pauses) with a history line, atomically.
    fn save_protocol(
        &self,
        p: &Protocol,
        kind: ProtocolEventKind,
        detail: Option<&str>,
        at: Timestamp,
        date: Date,
    ) -> impl Future<Output = Result<Protocol>> + Send;
    fn protocol_events(
        &self,
        protocol_id: i64,
    ) -> impl Future<Output = Result<Vec<ProtocolEvent>>> + Send;

    fn add_medication(&self, m: &NewMedication) -> impl Future<Output = Result<Medication>> + Send;
    /// Current medications (and stopped ones with `include_removed`).
    fn medications(
        &self,
        include_removed: bool,
    ) -> impl Future<Output = Result<Vec<Medication>>> + Send;
    /// Mark a medication stopped; it stays in the record.
    fn remove_medication(
        &self,
        id: i64,
        at: Timestamp,
    ) -> impl Future<Output = Result<Medication>> + Send;
    fn add_substance_use(
        &self,
        u: &NewSubstanceUse,
        created_at: Timestamp,
    ) -> impl Future<Output = Result<SubstanceUse>> + Send;
    fn substance_uses(&self, w: Window) -> impl Future<Output = Result<Vec<SubstanceUse>>> + Send;
    fn add_vitals(
        &self,
        v: &NewVitals,
        created_at: Timestamp,
    ) -> impl Future<Output = Result<Vitals>> + Send;
    fn vitals(&self, w: Window) -> impl Future<Output = Result<Vec<Vitals>>> + Send;
    fn add_clearance(
        &self,
        topic: ClearanceTopic,
        at: Timestamp,
        note: Option<&str>,
    ) -> impl Future<Output = Result<Clearance>> + Send;
    fn clearances(&self) -> impl Future<Output = Result<Vec<Clearance>>> + Send;
    fn add_assessment(
        &self,
        a: &NewAssessment,
        created_at: Timestamp,
    ) -> impl Future<Output = Result<Assessment>> + Send;
    /// Questionnaires in time order.
    fn assessments(&self, w: Window) -> impl Future<Output = Result<Vec<Assessment>>> + Send;

    /// Plan a blinded trial (written once; what follows is appended as events).
    fn add_trial(
        &self,
        t: &NewTrial,
        created_at: Timestamp,
    ) -> impl Future<Output = Result<Trial>> + Send;
    /// Every trial, oldest first.
    fn trials(&self) -> impl Future<Output = Result<Vec<Trial>>> + Send;
    /// Append to a trial's record; refused with [`StoreError::NotFound`] for an unknown trial.
    fn add_trial_event(&self, e: &NewTrialEvent)
    -> impl Future<Output = Result<TrialEvent>> + Send;
    /// A trial's events in the order they were recorded.
    fn trial_events(&self, trial_id: i64) -> impl Future<Output = Result<Vec<TrialEvent>>> + Send;

    /// A value this device keeps beside the journal (the clinic connection): never exported,
    /// never imported.
    fn setting(&self, key: &str) -> impl Future<Output = Result<Option<String>>> + Send;
    /// Set (or with `None` remove) a setting.
    fn save_setting(
        &self,
        key: &str,
        value: Option<&str>,
    ) -> impl Future<Output = Result<()>> + Send;

    /// A number that differs whenever the journal has changed since it was last read, whoever
    /// changed it (this program or another one writing the same journal): for caches of what
    /// is computed from the journal. Cheap: no records are read.
    fn changes(&self) -> impl Future<Output = Result<u64>> + Send;

    /// Everything, ordered by id, as one document.
    fn export(&self) -> impl Future<Output = Result<Journal>> + Send;
    /// Add a journal's records, all or nothing. Records already present with the same content
    /// are skipped; an id present with different content is a conflict and nothing is written.
    fn import(&self, j: &Journal) -> impl Future<Output = Result<ImportReport>> + Send;
}
