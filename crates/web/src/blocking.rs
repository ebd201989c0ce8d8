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

impl Store for Locked<'_> {
    async fn profile(&mut self) -> Result<Option<Profile>> {
        blocking(|| now(self.0.profile()))
    }

    async fn save_profile(&mut self, p: &Profile) -> Result<()> {
        blocking(|| now(self.0.save_profile(p)))
    }

    async fn add_stock(&mut self, s: &NewStock) -> Result<Stock> {
        blocking(|| now(self.0.add_stock(s)))
    }

    async fn stock(&mut self, id: i64) -> Result<Option<Stock>> {
        blocking(|| now(self.0.stock(id)))
    }

    async fn stock_by_name(&mut self, name: &str) -> Result<Option<Stock>> {
        blocking(|| now(self.0.stock_by_name(name)))
    }

    async fn stocks(&mut self, include_retired: bool) -> Result<Vec<Stock>> {
        blocking(|| now(self.0.stocks(include_retired)))
    }

    async fn stock_events(&mut self, stock_id: i64) -> Result<Vec<StockEvent>> {
        blocking(|| now(self.0.stock_events(stock_id)))
    }

    async fn adjust_stock(
        &mut self,
        id: i64,
        adjustment: Adjustment,
        at: Timestamp,
        reason: Option<&str>,
    ) -> Result<Stock> {
        blocking(|| now(self.0.adjust_stock(id, adjustment, at, reason)))
    }

    async fn update_stock(&mut self, s: &Stock) -> Result<Stock> {
        blocking(|| now(self.0.update_stock(s)))
    }

    async fn retire_stock(
        &mut self,
        id: i64,
        at: Timestamp,
        reason: Option<&str>,
    ) -> Result<Stock> {
        blocking(|| now(self.0.retire_stock(id, at, reason)))
    }

    async fn log_dose(&mut self, d: &NewDose, created_at: Timestamp) -> Result<LoggedDose> {
        blocking(|| now(self.0.log_dose(d, created_at)))
    }

    async fn dose(&mut self, id: i64) -> Result<Option<Dose>> {
        blocking(|| now(self.0.dose(id)))
    }

    async fn doses(&mut self, w: Window) -> Result<Vec<Dose>> {
        blocking(|| now(self.0.doses(w)))
    }

    async fn dose_history(&mut self, w: Window) -> Result<Vec<Dose>> {
        blocking(|| now(self.0.dose_history(w)))
    }

    async fn recent_doses(&mut self, n: u32) -> Result<Vec<Dose>> {
        blocking(|| now(self.0.recent_doses(n)))
    }

    async fn edit_dose(
        &mut self,
        id: i64,
        new: &NewDose,
        at: Timestamp,
        reason: Option<&str>,
    ) -> Result<Dose> {
        blocking(|| now(self.0.edit_dose(id, new, at, reason)))
    }

    async fn delete_dose(&mut self, id: i64, at: Timestamp, reason: Option<&str>) -> Result<Dose> {
        blocking(|| now(self.0.delete_dose(id, at, reason)))
    }

    async fn dose_revisions(&mut self, dose_id: i64) -> Result<Vec<DoseRevision>> {
        blocking(|| now(self.0.dose_revisions(dose_id)))
    }

    async fn add_checkin(&mut self, c: &NewCheckin, created_at: Timestamp) -> Result<Checkin> {
        blocking(|| now(self.0.add_checkin(c, created_at)))
    }

    async fn checkin(&mut self, id: i64) -> Result<Option<Checkin>> {
        blocking(|| now(self.0.checkin(id)))
    }

    async fn checkins(&mut self, w: Window) -> Result<Vec<Checkin>> {
        blocking(|| now(self.0.checkins(w)))
    }

    async fn last_checkin(&mut self) -> Result<Option<Checkin>> {
        blocking(|| now(self.0.last_checkin()))
    }

    async fn urinary_checkins(&mut self, w: Window) -> Result<Vec<Checkin>> {
        blocking(|| now(self.0.urinary_checkins(w)))
    }

    async fn add_protocol(
        &mut self,
        p: &NewProtocol,
        at: Timestamp,
        date: Date,
    ) -> Result<Protocol> {
        blocking(|| now(self.0.add_protocol(p, at, date)))
    }

    async fn protocol(&mut self, id: i64) -> Result<Option<Protocol>> {
        blocking(|| now(self.0.protocol(id)))
    }

    async fn protocols(&mut self, include_ended: bool) -> Result<Vec<Protocol>> {
        blocking(|| now(self.0.protocols(include_ended)))
    }

    async fn current_protocol(&mut self, substance: Substance) -> Result<Option<Protocol>> {
        blocking(|| now(self.0.current_protocol(substance)))
    }

    async fn save_protocol(
        &mut self,
        p: &Protocol,
        kind: ProtocolEventKind,
        detail: Option<&str>,
        at: Timestamp,
        date: Date,
    ) -> Result<Protocol> {
        blocking(|| now(self.0.save_protocol(p, kind, detail, at, date)))
    }

    async fn protocol_events(&mut self, protocol_id: i64) -> Result<Vec<ProtocolEvent>> {
        blocking(|| now(self.0.protocol_events(protocol_id)))
    }

    async fn add_medication(&mut self, m: &NewMedication) -> Result<Medication> {
        blocking(|| now(self.0.add_medication(m)))
    }

    async fn medications(&mut self, include_removed: bool) -> Result<Vec<Medication>> {
        blocking(|| now(self.0.medications(include_removed)))
    }

    async fn remove_medication(&mut self, id: i64, at: Timestamp) -> Result<Medication> {
        blocking(|| now(self.0.remove_medication(id, at)))
    }

    async fn add_substance_use(
        &mut self,
        u: &NewSubstanceUse,
        created_at: Timestamp,
    ) -> Result<SubstanceUse> {
        blocking(|| now(self.0.add_substance_use(u, created_at)))
    }

    async fn substance_uses(&mut self, w: Window) -> Result<Vec<SubstanceUse>> {
        blocking(|| now(self.0.substance_uses(w)))
    }

    async fn add_vitals(&mut self, v: &NewVitals, created_at: Timestamp) -> Result<Vitals> {
        blocking(|| now(self.0.add_vitals(v, created_at)))
    }

    async fn vitals(&mut self, w: Window) -> Result<Vec<Vitals>> {
        blocking(|| now(self.0.vitals(w)))
    }

    async fn add_clearance(
        &mut self,
        topic: ClearanceTopic,
        at: Timestamp,
        note: Option<&str>,
    ) -> Result<Clearance> {
        blocking(|| now(self.0.add_clearance(topic, at, note)))
    }

    async fn clearances(&mut self) -> Result<Vec<Clearance>> {
        blocking(|| now(self.0.clearances()))
    }

    async fn add_assessment(
        &mut self,
        a: &NewAssessment,
        created_at: Timestamp,
    ) -> Result<Assessment> {
        blocking(|| now(self.0.add_assessment(a, created_at)))
    }

    async fn assessments(&mut self, w: Window) -> Result<Vec<Assessment>> {
        blocking(|| now(self.0.assessments(w)))
    }

    async fn export(&mut self) -> Result<Journal> {
        blocking(|| now(self.0.export()))
    }

    async fn import(&mut self, j: &Journal) -> Result<ImportReport> {
        blocking(|| now(self.0.import(j)))
    }
}
