//! A journal on either backend, chosen when it is opened: the embedded SQLite file in the
//! person's home (the default, no setup) or a PostgreSQL database (`--database postgres://…`).
//! The front ends that open journals (the CLI, which also hands one to `dosewise serve`) hold an
//! [`AnyStore`]; everything else is written against the `Store` trait.

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
use dosewise_store::{ImportReport, LoggedDose, Result, Store, Window};
pub use dosewise_store_postgres::PgStore;
pub use dosewise_store_sqlite::SqliteStore;

/// The environment variable that names a PostgreSQL database instead of the home's file.
pub const DATABASE_ENV: &str = "DOSEWISE_DATABASE_URL";

/// The journal opened on a PostgreSQL database when none is named.
pub const DEFAULT_JOURNAL: &str = "default";

/// A journal on one of the backends.
#[derive(Debug)]
pub enum AnyStore {
    Sqlite(SqliteStore),
    Postgres(PgStore),
}

impl AnyStore {
    /// The embedded SQLite journal, when that is what this is (encryption, the integrity check
    /// and the file-level commands exist only there).
    pub fn sqlite(&self) -> Option<&SqliteStore> {
        match self {
            AnyStore::Sqlite(s) => Some(s),
            AnyStore::Postgres(_) => None,
        }
    }

    /// "SQLite" or "PostgreSQL", for messages.
    pub fn backend(&self) -> &'static str {
        match self {
            AnyStore::Sqlite(_) => "SQLite",
            AnyStore::Postgres(_) => "PostgreSQL",
        }
    }

    /// Close the connection or the pool, waiting until it is closed.
    pub async fn close(self) -> Result<()> {
        match self {
            AnyStore::Sqlite(s) => s.close().await,
            AnyStore::Postgres(p) => p.close().await,
        }
    }
}

/// `Store` for [`AnyStore`]: each method is the backend's own.
macro_rules! delegate {
    ($(fn $name:ident(&self $(, $arg:ident: $ty:ty)*) -> $ret:ty;)*) => {
        impl Store for AnyStore {
            $(
                async fn $name(&self $(, $arg: $ty)*) -> $ret {
                    match self {
                        AnyStore::Sqlite(s) => s.$name($($arg),*).await,
                        AnyStore::Postgres(p) => p.$name($($arg),*).await,
                    }
                }
            )*
        }
    };
}

delegate! {
    fn profile(&self) -> Result<Option<Profile>>;
    fn save_profile(&self, p: &Profile) -> Result<()>;
    fn add_stock(&self, s: &NewStock) -> Result<Stock>;
    fn stock(&self, id: i64) -> Result<Option<Stock>>;
    fn stock_by_name(&self, name: &str) -> Result<Option<Stock>>;
    fn stocks(&self, include_retired: bool) -> Result<Vec<Stock>>;
    fn stock_events(&self, stock_id: i64) -> Result<Vec<StockEvent>>;
    fn adjust_stock(&self, id: i64, adjustment: Adjustment, at: Timestamp, reason: Option<&str>) -> Result<Stock>;
    fn update_stock(&self, s: &Stock) -> Result<Stock>;
    fn retire_stock(&self, id: i64, at: Timestamp, reason: Option<&str>) -> Result<Stock>;
    fn log_dose(&self, d: &NewDose, created_at: Timestamp) -> Result<LoggedDose>;
    fn dose(&self, id: i64) -> Result<Option<Dose>>;
    fn doses(&self, w: Window) -> Result<Vec<Dose>>;
    fn dose_history(&self, w: Window) -> Result<Vec<Dose>>;
    fn recent_doses(&self, n: u32) -> Result<Vec<Dose>>;
    fn edit_dose(&self, id: i64, new: &NewDose, at: Timestamp, reason: Option<&str>) -> Result<Dose>;
    fn delete_dose(&self, id: i64, at: Timestamp, reason: Option<&str>) -> Result<Dose>;
    fn dose_revisions(&self, dose_id: i64) -> Result<Vec<DoseRevision>>;
    fn add_checkin(&self, c: &NewCheckin, created_at: Timestamp) -> Result<Checkin>;
    fn checkin(&self, id: i64) -> Result<Option<Checkin>>;
    fn checkins(&self, w: Window) -> Result<Vec<Checkin>>;
    fn last_checkin(&self) -> Result<Option<Checkin>>;
    fn setting(&self, key: &str) -> Result<Option<String>>;
    fn save_setting(&self, key: &str, value: Option<&str>) -> Result<()>;
    fn edit_checkin(&self, id: i64, new: &NewCheckin, at: Timestamp, reason: Option<&str>) -> Result<Checkin>;
    fn delete_checkin(&self, id: i64, at: Timestamp, reason: Option<&str>) -> Result<Checkin>;
    fn checkin_revisions(&self, checkin_id: i64) -> Result<Vec<CheckinRevision>>;
    fn urinary_checkins(&self, w: Window) -> Result<Vec<Checkin>>;
    fn add_protocol(&self, p: &NewProtocol, at: Timestamp, date: Date) -> Result<Protocol>;
    fn protocol(&self, id: i64) -> Result<Option<Protocol>>;
    fn protocols(&self, include_ended: bool) -> Result<Vec<Protocol>>;
    fn current_protocol(&self, substance: Substance) -> Result<Option<Protocol>>;
    fn save_protocol(&self, p: &Protocol, kind: ProtocolEventKind, detail: Option<&str>, at: Timestamp, date: Date) -> Result<Protocol>;
    fn protocol_events(&self, protocol_id: i64) -> Result<Vec<ProtocolEvent>>;
    fn add_medication(&self, m: &NewMedication) -> Result<Medication>;
    fn medications(&self, include_removed: bool) -> Result<Vec<Medication>>;
    fn remove_medication(&self, id: i64, at: Timestamp) -> Result<Medication>;
    fn add_substance_use(&self, u: &NewSubstanceUse, created_at: Timestamp) -> Result<SubstanceUse>;
    fn substance_uses(&self, w: Window) -> Result<Vec<SubstanceUse>>;
    fn add_vitals(&self, v: &NewVitals, created_at: Timestamp) -> Result<Vitals>;
    fn vitals(&self, w: Window) -> Result<Vec<Vitals>>;
    fn add_clearance(&self, topic: ClearanceTopic, at: Timestamp, note: Option<&str>) -> Result<Clearance>;
    fn clearances(&self) -> Result<Vec<Clearance>>;
    fn add_trial(&self, t: &NewTrial, created_at: Timestamp) -> Result<Trial>;
    fn trials(&self) -> Result<Vec<Trial>>;
    fn add_trial_event(&self, e: &NewTrialEvent) -> Result<TrialEvent>;
    fn trial_events(&self, trial_id: i64) -> Result<Vec<TrialEvent>>;
    fn add_assessment(&self, a: &NewAssessment, created_at: Timestamp) -> Result<Assessment>;
    fn assessments(&self, w: Window) -> Result<Vec<Assessment>>;
    fn changes(&self) -> Result<u64>;
    fn export(&self) -> Result<Journal>;
    fn import(&self, j: &Journal) -> Result<ImportReport>;
}
