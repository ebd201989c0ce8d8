//! The web server's access to the store. SQLite runs on the calling thread, so a query, or a
//! write waiting for another process's lock (up to the busy timeout), would otherwise hold a
//! runtime worker, and with it the I/O of every other request: a worker blocked in a task can
//! leave the runtime's I/O driver unpolled. Each store call therefore runs inside
//! `tokio::task::block_in_place`, which hands the worker's other duties to another thread first.

use dosewise_core::checkin::{Checkin, NewCheckin};
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
use dosewise_core::vitals::{NewVitals, Vitals};
use dosewise_store::{ImportReport, LoggedDose, Result, SqliteStore, Store, Window};
use std::future::Future;
use std::pin::pin;
use std::task::{Context, Poll, Waker};
use tokio::runtime::{Handle, RuntimeFlavor};
use tokio::sync::MutexGuard;

/// The store, locked for one request. It implements [`Store`] itself (and deliberately does
/// not dereference to the SQLite store), so every call goes through [`blocking`].
#[derive(Debug)]
pub struct Locked<'a>(pub(crate) MutexGuard<'a, SqliteStore>);

/// Run `f` where blocking is allowed: inside `block_in_place` on the server's multi-thread
/// runtime; directly elsewhere (a single-threaded runtime, as in the router tests, has nothing
/// else to keep going).
fn blocking<T>(f: impl FnOnce() -> T) -> T {
    match Handle::try_current().map(|h| h.runtime_flavor()) {
        Ok(RuntimeFlavor::MultiThread) => tokio::task::block_in_place(f),
        _ => f(),
    }
}

/// The SQLite store's futures do all their work when first polled (nothing in them waits on
/// the runtime), so they are driven to completion here, synchronously.
fn now<F: Future>(f: F) -> F::Output {
    let mut f = pin!(f);
    match f.as_mut().poll(&mut Context::from_waker(Waker::noop())) {
        Poll::Ready(v) => v,
        Poll::Pending => unreachable!("the SQLite store never waits on the runtime"),
    }
}

/// `Store` for [`Locked`]: each method calls the SQLite store's, inside [`blocking`].
macro_rules! delegate {
    ($(fn $name:ident(&mut self $(, $arg:ident: $ty:ty)*) -> $ret:ty;)*) => {
        impl Store for Locked<'_> {
            $(
                async fn $name(&mut self $(, $arg: $ty)*) -> $ret {
                    blocking(|| now(self.0.$name($($arg),*)))
                }
            )*
        }
    };
}

delegate! {
    fn profile(&mut self) -> Result<Option<Profile>>;
    fn save_profile(&mut self, p: &Profile) -> Result<()>;
    fn add_stock(&mut self, s: &NewStock) -> Result<Stock>;
    fn stock(&mut self, id: i64) -> Result<Option<Stock>>;
    fn stock_by_name(&mut self, name: &str) -> Result<Option<Stock>>;
    fn stocks(&mut self, include_retired: bool) -> Result<Vec<Stock>>;
    fn stock_events(&mut self, stock_id: i64) -> Result<Vec<StockEvent>>;
    fn adjust_stock(&mut self, id: i64, adjustment: Adjustment, at: Timestamp, reason: Option<&str>) -> Result<Stock>;
    fn update_stock(&mut self, s: &Stock) -> Result<Stock>;
    fn retire_stock(&mut self, id: i64, at: Timestamp, reason: Option<&str>) -> Result<Stock>;
    fn log_dose(&mut self, d: &NewDose, created_at: Timestamp) -> Result<LoggedDose>;
    fn dose(&mut self, id: i64) -> Result<Option<Dose>>;
    fn doses(&mut self, w: Window) -> Result<Vec<Dose>>;
    fn dose_history(&mut self, w: Window) -> Result<Vec<Dose>>;
    fn recent_doses(&mut self, n: u32) -> Result<Vec<Dose>>;
    fn edit_dose(&mut self, id: i64, new: &NewDose, at: Timestamp, reason: Option<&str>) -> Result<Dose>;
    fn delete_dose(&mut self, id: i64, at: Timestamp, reason: Option<&str>) -> Result<Dose>;
    fn dose_revisions(&mut self, dose_id: i64) -> Result<Vec<DoseRevision>>;
    fn add_checkin(&mut self, c: &NewCheckin, created_at: Timestamp) -> Result<Checkin>;
    fn checkin(&mut self, id: i64) -> Result<Option<Checkin>>;
    fn checkins(&mut self, w: Window) -> Result<Vec<Checkin>>;
    fn last_checkin(&mut self) -> Result<Option<Checkin>>;
    fn urinary_checkins(&mut self, w: Window) -> Result<Vec<Checkin>>;
    fn add_protocol(&mut self, p: &NewProtocol, at: Timestamp, date: Date) -> Result<Protocol>;
    fn protocol(&mut self, id: i64) -> Result<Option<Protocol>>;
    fn protocols(&mut self, include_ended: bool) -> Result<Vec<Protocol>>;
    fn current_protocol(&mut self, substance: Substance) -> Result<Option<Protocol>>;
    fn save_protocol(&mut self, p: &Protocol, kind: ProtocolEventKind, detail: Option<&str>, at: Timestamp, date: Date) -> Result<Protocol>;
    fn protocol_events(&mut self, protocol_id: i64) -> Result<Vec<ProtocolEvent>>;
    fn add_medication(&mut self, m: &NewMedication) -> Result<Medication>;
    fn medications(&mut self, include_removed: bool) -> Result<Vec<Medication>>;
    fn remove_medication(&mut self, id: i64, at: Timestamp) -> Result<Medication>;
    fn add_substance_use(&mut self, u: &NewSubstanceUse, created_at: Timestamp) -> Result<SubstanceUse>;
    fn substance_uses(&mut self, w: Window) -> Result<Vec<SubstanceUse>>;
    fn add_vitals(&mut self, v: &NewVitals, created_at: Timestamp) -> Result<Vitals>;
    fn vitals(&mut self, w: Window) -> Result<Vec<Vitals>>;
    fn add_clearance(&mut self, topic: ClearanceTopic, at: Timestamp, note: Option<&str>) -> Result<Clearance>;
    fn clearances(&mut self) -> Result<Vec<Clearance>>;
    fn add_assessment(&mut self, a: &NewAssessment, created_at: Timestamp) -> Result<Assessment>;
    fn assessments(&mut self, w: Window) -> Result<Vec<Assessment>>;
    fn export(&mut self) -> Result<Journal>;
    fn import(&mut self, j: &Journal) -> Result<ImportReport>;
}
