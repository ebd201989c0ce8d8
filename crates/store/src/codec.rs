//! Records as columns, once for every backend: how each core type is written to a row and read
//! back. Instants are integer microseconds (UTC), dates ISO text, enums their names, nested
//! structures JSON text, flags booleans. A backend maps [`Value`]s to its driver's types and
//! implements [`Row`] for its rows; it never encodes a field itself, so two backends cannot
//! disagree about what a column holds.

use crate::{Result, StoreError};
use dosewise_core::checkin::{Checkin, CheckinRevision, NewCheckin, Rating, Ratings};
use dosewise_core::dose::{Dose, DoseRevision, NewDose, RevisionAction};
use dosewise_core::dose_expr::{CountUnit, Quantity};
use dosewise_core::jiff::Timestamp;
use dosewise_core::jiff::civil::Date;
use dosewise_core::medication::{Medication, NewMedication, NewSubstanceUse, SubstanceUse};
use dosewise_core::profile::Profile;
use dosewise_core::protocol::{Protocol, ProtocolEvent, ProtocolEventKind, Status};
use dosewise_core::questionnaire::{Assessment, NewAssessment};
use dosewise_core::safety::{Clearance, ClearanceTopic};
use dosewise_core::stock::{NewStock, Stock, StockEvent, StockEventKind};
use dosewise_core::trial_record::{NewTrialEvent, Trial, TrialEvent, TrialEventKind};
use dosewise_core::units::{Kilograms, Milligrams, Millilitres};
use dosewise_core::vitals::{NewVitals, Vitals, VitalsContext};

/// One column's value, as every backend can store it.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    Null,
    Int(i64),
    Real(f64),
    Text(String),
    Bool(bool),
}

impl From<i64> for Value {
    fn from(v: i64) -> Self {
        Value::Int(v)
    }
}
impl From<f64> for Value {
    fn from(v: f64) -> Self {
        Value::Real(v)
    }
}
impl From<bool> for Value {
    fn from(v: bool) -> Self {
        Value::Bool(v)
    }
}
impl From<String> for Value {
    fn from(v: String) -> Self {
        Value::Text(v)
    }
}
impl From<&str> for Value {
    fn from(v: &str) -> Self {
        Value::Text(v.to_string())
    }
}
impl From<&String> for Value {
    fn from(v: &String) -> Self {
        Value::Text(v.clone())
    }
}
impl From<Timestamp> for Value {
    fn from(t: Timestamp) -> Self {
        Value::Int(t.as_microsecond())
    }
}
impl From<Date> for Value {
    fn from(d: Date) -> Self {
        Value::Text(d.to_string())
    }
}
impl<T: Into<Value>> From<Option<T>> for Value {
    fn from(v: Option<T>) -> Self {
        v.map_or(Value::Null, Into::into)
    }
}
impl From<&Option<String>> for Value {
    fn from(v: &Option<String>) -> Self {
        v.as_deref().map_or(Value::Null, Value::from)
    }
}

/// A stored row, read by column name. A value of the wrong type is an error (a hand-edited
/// database), never a panic; NULL reads as `None`.
pub trait Row {
    fn int(&self, col: &'static str) -> Result<Option<i64>>;
    fn real(&self, col: &'static str) -> Result<Option<f64>>;
    fn text(&self, col: &'static str) -> Result<Option<String>>;
    fn flag(&self, col: &'static str) -> Result<Option<bool>>;
}

/// A record kept in a table of its own, with an id (per journal) as its key.
pub trait Record: Sized + PartialEq {
    /// Its table.
    const TABLE: &'static str;
    /// What it is called in messages ("stock", "check-in").
    const WHAT: &'static str;
    /// The stored columns besides `id`, in the order of [`Record::values`].
    const COLUMNS: &'static [&'static str];
    fn id(&self) -> i64;
    /// Give a new record the id it was stored under.
    fn set_id(&mut self, id: i64);
    /// The values of [`Record::COLUMNS`].
    fn values(&self) -> Result<Vec<Value>>;
    /// The record from a row holding `id` and [`Record::COLUMNS`].
    fn read(r: &impl Row) -> Result<Self>;
}

/// `id` and `set_id` for a record whose key is its `id` field.
macro_rules! ids {
    () => {
        fn id(&self) -> i64 {
            self.id
        }
        fn set_id(&mut self, id: i64) {
            self.id = id;
        }
    };
}

pub fn corrupt(what: impl std::fmt::Display) -> StoreError {
    StoreError::Corrupt(what.to_string())
}

fn need<T>(col: &str, v: Option<T>) -> Result<T> {
    v.ok_or_else(|| corrupt(format!("column {col} is empty")))
}

fn int(r: &impl Row, col: &'static str) -> Result<i64> {
    need(col, r.int(col)?)
}
fn real(r: &impl Row, col: &'static str) -> Result<f64> {
    need(col, r.real(col)?)
}
fn text(r: &impl Row, col: &'static str) -> Result<String> {
    need(col, r.text(col)?)
}
fn flag(r: &impl Row, col: &'static str) -> Result<bool> {
    need(col, r.flag(col)?)
}

pub fn ts(v: i64) -> Result<Timestamp> {
    Timestamp::from_microsecond(v).map_err(|e| corrupt(format!("timestamp {v}: {e}")))
}
fn at(r: &impl Row, col: &'static str) -> Result<Timestamp> {
    ts(int(r, col)?)
}
fn opt_at(r: &impl Row, col: &'static str) -> Result<Option<Timestamp>> {
    r.int(col)?.map(ts).transpose()
}
fn date(r: &impl Row, col: &'static str) -> Result<Option<Date>> {
    r.text(col)?
        .map(|s| {
            s.parse::<Date>()
                .map_err(|e| corrupt(format!("{col} {s:?}: {e}")))
        })
        .transpose()
}
/// An enum stored by its name ("hcl", "sublingual"), read without a detour through JSON.
fn named<T: serde::de::DeserializeOwned>(r: &impl Row, col: &'static str) -> Result<T> {
    use serde::de::IntoDeserializer;
    let s = text(r, col)?;
    let read: std::result::Result<T, serde::de::value::Error> =
        T::deserialize(s.as_str().into_deserializer());
    read.map_err(|_| corrupt(format!("{col} {s:?}")))
}
/// A value as JSON text.
pub fn json<T: serde::Serialize>(v: &T) -> Result<Value> {
    serde_json::to_string(v)
        .map(Value::Text)
        .map_err(|e| corrupt(format!("serialising: {e}")))
}
fn from_json<T: serde::de::DeserializeOwned>(r: &impl Row, col: &'static str) -> Result<T> {
    serde_json::from_str(&text(r, col)?).map_err(|e| corrupt(format!("{col}: {e}")))
}
fn weight(r: &impl Row, col: &'static str) -> Result<Option<Kilograms>> {
    r.real(col)?
        .map(|w| Kilograms::positive(w).map_err(|e| corrupt(format!("{col}: {e}"))))
        .transpose()
}
fn rating(r: &impl Row, col: &'static str) -> Result<Option<Rating>> {
    r.int(col)?
        .map(|v| Rating::new(v).map_err(|e| corrupt(format!("{col}: {e}"))))
        .transpose()
}
fn rating_value(r: Option<Rating>) -> Value {
    r.map(|r| i64::from(r.value())).into()
}
fn small(r: &impl Row, col: &'static str) -> Result<Option<u16>> {
    r.int(col)?
        .map(|v| u16::try_from(v).map_err(|_| corrupt(format!("{col} {v}"))))
        .transpose()
}

fn quantity_parts(q: &Quantity) -> (&'static str, f64) {
    match q {
        Quantity::Mg(m) => ("mg", m.value()),
        Quantity::Ml(v) => ("ml", v.value()),
        Quantity::Count { n, unit } => (unit.as_str(), *n),
    }
}

fn quantity(unit: &str, value: f64) -> Result<Quantity> {
    let bad = |e: dosewise_core::units::QuantityError| corrupt(format!("quantity: {e}"));
    let count = |unit| Quantity::Count { n: value, unit };
    Ok(match unit {
        "mg" => Quantity::Mg(Milligrams::positive(value).map_err(bad)?),
        "ml" => Quantity::Ml(Millilitres::positive(value).map_err(bad)?),
        "spray" => count(CountUnit::Spray),
        "troche" => count(CountUnit::Troche),
        "drop" => count(CountUnit::Drop),
        other => return Err(corrupt(format!("quantity unit {other:?}"))),
    })
}

/// The profile's columns (one row per journal).
pub const PROFILE_COLUMNS: &[&str] = &[
    "name",
    "zone",
    "weight_kg",
    "screen",
    "created_at",
    "updated_at",
    "screened_at",
    "crisis_line",
    "clinician",
];

pub fn profile_values(p: &Profile) -> Result<Vec<Value>> {
    Ok(vec![
        (&p.name).into(),
        (&p.zone).into(),
        p.weight_kg.map(f64::from).into(),
        json(&p.screen)?,
        p.created_at.into(),
        p.updated_at.into(),
        p.screened_at.into(),
        (&p.crisis_line).into(),
        (&p.clinician).into(),
    ])
}

pub fn profile(r: &impl Row) -> Result<Profile> {
    let mut p = Profile {
        name: r.text("name")?,
        zone: text(r, "zone")?,
        screen: from_json(r, "screen")?,
        screened_at: opt_at(r, "screened_at")?,
        crisis_line: r.text("crisis_line")?,
        clinician: r.text("clinician")?,
        weight_kg: weight(r, "weight_kg")?,
        created_at: at(r, "created_at")?,
        updated_at: at(r, "updated_at")?,
    };
    // Answers stored before answers were dated take the latest date they can have.
    p.date_screen();
    Ok(p)
}

fn form_name(f: &dosewise_core::preparation::Form) -> &'static str {
    use dosewise_core::preparation::Form;
    match f {
        Form::Troche { .. } => "troche",
        Form::NasalSpray { .. } => "nasal_spray",
        Form::Solution { .. } => "solution",
    }
}

impl Record for Stock {
    const TABLE: &'static str = "stock";
    const WHAT: &'static str = "stock";
    const COLUMNS: &'static [&'static str] = &[
        "name",
        "substance",
        "salt",
        "form",
        "preparation",
        "default_route",
        "supply_unit",
        "dispensed",
        "remaining",
        "lot",
        "expiry",
        "opened",
        "note",
        "created_at",
        "retired_at",
        "retire_reason",
    ];
    ids!();
    fn values(&self) -> Result<Vec<Value>> {
        let s = &self.stock;
        Ok(vec![
            (&s.name).into(),
            s.preparation.substance.as_str().into(),
            s.preparation.salt.as_str().into(),
            form_name(&s.preparation.form).into(),
            json(&s.preparation)?,
            s.default_route.as_str().into(),
            s.supply_unit.as_str().into(),
            s.dispensed.into(),
            s.remaining.into(),
            (&s.lot).into(),
            s.expiry.into(),
            s.opened.into(),
            (&s.note).into(),
            s.created_at.into(),
            self.retired_at.into(),
            (&self.retire_reason).into(),
        ])
    }
    fn read(r: &impl Row) -> Result<Self> {
        Ok(Stock {
            id: int(r, "id")?,
            stock: NewStock {
                name: text(r, "name")?,
                preparation: from_json(r, "preparation")?,
                default_route: named(r, "default_route")?,
                supply_unit: named(r, "supply_unit")?,
                dispensed: r.real("dispensed")?,
                remaining: real(r, "remaining")?,
                lot: r.text("lot")?,
                expiry: date(r, "expiry")?,
                opened: date(r, "opened")?,
                note: r.text("note")?,
                created_at: at(r, "created_at")?,
            },
            retired_at: opt_at(r, "retired_at")?,
            retire_reason: r.text("retire_reason")?,
        })
    }
}

impl Record for StockEvent {
    const TABLE: &'static str = "stock_event";
    const WHAT: &'static str = "stock event";
    const COLUMNS: &'static [&'static str] = &[
        "stock_id",
        "at",
        "kind",
        "delta",
        "remaining_after",
        "dose_id",
        "reason",
    ];
    ids!();
    fn values(&self) -> Result<Vec<Value>> {
        Ok(vec![
            self.stock_id.into(),
            self.at.into(),
            self.kind.as_str().into(),
            self.delta.into(),
            self.remaining_after.into(),
            self.dose_id.into(),
            (&self.reason).into(),
        ])
    }
    fn read(r: &impl Row) -> Result<Self> {
        let kind = text(r, "kind")?;
        Ok(StockEvent {
            id: int(r, "id")?,
            stock_id: int(r, "stock_id")?,
            at: at(r, "at")?,
            kind: StockEventKind::parse(&kind)
                .ok_or_else(|| corrupt(format!("stock event kind {kind:?}")))?,
            delta: real(r, "delta")?,
            remaining_after: real(r, "remaining_after")?,
            dose_id: r.int("dose_id")?,
            reason: r.text("reason")?,
        })
    }
}

/// A dose's columns: its own fields (what a correction rewrites), then when it was recorded,
/// corrected and deleted.
const DOSE_COLUMNS: &[&str] = &[
    "at",
    "zone",
    "stock_id",
    "entered",
    "quantity_unit",
    "quantity_value",
    "dose_mg",
    "salt",
    "dose_mg_base",
    "substance",
    "route",
    "bioavailable_mg_min",
    "bioavailable_mg_max",
    "mg_per_kg",
    "supply_used",
    "note",
    "protocol_id",
    "findings",
    "override_reason",
    "container",
    "created_at",
    "updated_at",
    "deleted_at",
];

/// A dose's own columns (what a correction rewrites), in the order of [`dose_values`].
pub const DOSE_FIELDS: &[&str] = DOSE_COLUMNS.split_at(DOSE_COLUMNS.len() - 3).0;

/// The values of [`DOSE_FIELDS`].
pub fn dose_values(d: &NewDose) -> Result<Vec<Value>> {
    let (unit, value) = quantity_parts(&d.quantity);
    Ok(vec![
        d.at.into(),
        (&d.zone).into(),
        d.stock_id.into(),
        (&d.entered).into(),
        unit.into(),
        value.into(),
        d.dose_mg.into(),
        d.salt.as_str().into(),
        d.dose_mg_base.into(),
        d.substance.as_str().into(),
        d.route.as_str().into(),
        d.bioavailable_mg_min.into(),
        d.bioavailable_mg_max.into(),
        d.mg_per_kg.into(),
        d.supply_used.into(),
        (&d.note).into(),
        d.protocol_id.into(),
        json(&d.findings)?,
        (&d.override_reason).into(),
        (&d.container).into(),
    ])
}

impl Record for Dose {
    const TABLE: &'static str = "dose";
    const WHAT: &'static str = "dose";
    const COLUMNS: &'static [&'static str] = DOSE_COLUMNS;
    ids!();
    fn values(&self) -> Result<Vec<Value>> {
        let mut v = dose_values(&self.dose)?;
        v.extend([
            self.created_at.into(),
            self.updated_at.into(),
            self.deleted_at.into(),
        ]);
        Ok(v)
    }
    fn read(r: &impl Row) -> Result<Self> {
        dose_with(r, true)
    }
}

/// A dose with its stored findings left unread (empty): what the safety check reads of the
/// past. The findings are kilobytes of JSON per dose that the check never reads.
pub fn dose_without_findings(r: &impl Row) -> Result<Dose> {
    dose_with(r, false)
}

fn dose_with(r: &impl Row, findings: bool) -> Result<Dose> {
    Ok(Dose {
        id: int(r, "id")?,
        dose: NewDose {
            at: at(r, "at")?,
            zone: text(r, "zone")?,
            stock_id: r.int("stock_id")?,
            protocol_id: r.int("protocol_id")?,
            entered: text(r, "entered")?,
            quantity: quantity(&text(r, "quantity_unit")?, real(r, "quantity_value")?)?,
            dose_mg: real(r, "dose_mg")?,
            salt: named(r, "salt")?,
            dose_mg_base: real(r, "dose_mg_base")?,
            substance: named(r, "substance")?,
            route: named(r, "route")?,
            bioavailable_mg_min: r.real("bioavailable_mg_min")?,
            bioavailable_mg_max: r.real("bioavailable_mg_max")?,
            mg_per_kg: r.real("mg_per_kg")?,
            supply_used: r.real("supply_used")?,
            note: r.text("note")?,
            findings: if findings {
                from_json(r, "findings")?
            } else {
                Vec::new()
            },
            override_reason: r.text("override_reason")?,
            container: r.text("container")?,
        },
        created_at: at(r, "created_at")?,
        updated_at: opt_at(r, "updated_at")?,
        deleted_at: opt_at(r, "deleted_at")?,
    })
}

/// A record a correction or deletion keeps an earlier version of (a dose, a check-in).
pub trait Revised: Record {
    type Revision: Record;
    /// The revision that keeps this record as it is now; `None` once it is deleted.
    fn revision(
        &self,
        at: Timestamp,
        action: RevisionAction,
        reason: Option<&str>,
    ) -> Option<Self::Revision>;
}

impl Revised for Dose {
    type Revision = DoseRevision;
    fn revision(
        &self,
        at: Timestamp,
        action: RevisionAction,
        reason: Option<&str>,
    ) -> Option<DoseRevision> {
        Dose::revision(self, at, action, reason)
    }
}

impl Revised for Checkin {
    type Revision = CheckinRevision;
    fn revision(
        &self,
        at: Timestamp,
        action: RevisionAction,
        reason: Option<&str>,
    ) -> Option<CheckinRevision> {
        Checkin::revision(self, at, action, reason)
    }
}

impl Record for DoseRevision {
    const TABLE: &'static str = "dose_revision";
    const WHAT: &'static str = "dose revision";
    const COLUMNS: &'static [&'static str] = &["dose_id", "at", "action", "previous", "reason"];
    ids!();
    fn values(&self) -> Result<Vec<Value>> {
        Ok(vec![
            self.dose_id.into(),
            self.at.into(),
            self.action.as_str().into(),
            json(&self.previous)?,
            (&self.reason).into(),
        ])
    }
    fn read(r: &impl Row) -> Result<Self> {
        Ok(DoseRevision {
            id: int(r, "id")?,
            dose_id: int(r, "dose_id")?,
            at: at(r, "at")?,
            action: named(r, "action")?,
            previous: from_json(r, "previous")?,
            reason: r.text("reason")?,
        })
    }
}

impl Record for Checkin {
    const TABLE: &'static str = "checkin";
    const WHAT: &'static str = "check-in";
    const COLUMNS: &'static [&'static str] = &[
        "at",
        "zone",
        "mood",
        "anxiety",
        "energy",
        "focus",
        "sleep",
        "irritability",
        "craving",
        "side_effects",
        "urinary",
        "tags",
        "note",
        "private",
        "guess",
        "created_at",
        "updated_at",
        "deleted_at",
    ];
    ids!();
    fn values(&self) -> Result<Vec<Value>> {
        let c = &self.checkin;
        let r = &c.ratings;
        Ok(vec![
            c.at.into(),
            (&c.zone).into(),
            rating_value(r.mood),
            rating_value(r.anxiety),
            rating_value(r.energy),
            rating_value(r.focus),
            rating_value(r.sleep),
            rating_value(r.irritability),
            rating_value(c.craving),
            json(&c.side_effects)?,
            json(&c.urinary)?,
            json(&c.tags)?,
            (&c.note).into(),
            c.private.into(),
            c.guess
                .as_ref()
                .map(json)
                .transpose()?
                .unwrap_or(Value::Null),
            self.created_at.into(),
            self.updated_at.into(),
            self.deleted_at.into(),
        ])
    }
    fn read(r: &impl Row) -> Result<Self> {
        Ok(Checkin {
            id: int(r, "id")?,
            checkin: NewCheckin {
                at: at(r, "at")?,
                zone: text(r, "zone")?,
                ratings: Ratings {
                    mood: rating(r, "mood")?,
                    anxiety: rating(r, "anxiety")?,
                    energy: rating(r, "energy")?,
                    focus: rating(r, "focus")?,
                    sleep: rating(r, "sleep")?,
                    irritability: rating(r, "irritability")?,
                },
                side_effects: from_json(r, "side_effects")?,
                craving: rating(r, "craving")?,
                urinary: from_json(r, "urinary")?,
                note: r.text("note")?,
                tags: from_json(r, "tags")?,
                private: flag(r, "private")?,
                guess: r
                    .text("guess")?
                    .map(|g| serde_json::from_str(&g))
                    .transpose()
                    .map_err(|e| corrupt(format!("guess: {e}")))?,
            },
            created_at: at(r, "created_at")?,
            updated_at: opt_at(r, "updated_at")?,
            deleted_at: opt_at(r, "deleted_at")?,
        })
    }
}

/// A check-in's own columns (what a correction rewrites): all but its three dates.
pub const CHECKIN_FIELDS: &[&str] = Checkin::COLUMNS.split_at(Checkin::COLUMNS.len() - 3).0;

impl Record for CheckinRevision {
    const TABLE: &'static str = "checkin_revision";
    const WHAT: &'static str = "check-in revision";
    const COLUMNS: &'static [&'static str] = &["checkin_id", "at", "action", "previous", "reason"];
    ids!();
    fn values(&self) -> Result<Vec<Value>> {
        Ok(vec![
            self.checkin_id.into(),
            self.at.into(),
            self.action.as_str().into(),
            json(&self.previous)?,
            (&self.reason).into(),
        ])
    }
    fn read(r: &impl Row) -> Result<Self> {
        Ok(CheckinRevision {
            id: int(r, "id")?,
            checkin_id: int(r, "checkin_id")?,
            at: at(r, "at")?,
            action: named(r, "action")?,
            previous: from_json(r, "previous")?,
            reason: r.text("reason")?,
        })
    }
}

impl Record for Protocol {
    const TABLE: &'static str = "protocol";
    const WHAT: &'static str = "protocol";
    const COLUMNS: &'static [&'static str] = &[
        "name",
        "substance",
        "status",
        "definition",
        "pauses",
        "created_at",
        "ended_at",
    ];
    ids!();
    fn values(&self) -> Result<Vec<Value>> {
        Ok(vec![
            (&self.protocol.name).into(),
            self.protocol.substance.as_str().into(),
            self.status.as_str().into(),
            json(&self.protocol)?,
            json(&self.pauses)?,
            self.created_at.into(),
            self.ended_at.into(),
        ])
    }
    fn read(r: &impl Row) -> Result<Self> {
        let status = text(r, "status")?;
        Ok(Protocol {
            id: int(r, "id")?,
            protocol: from_json(r, "definition")?,
            status: match status.as_str() {
                "active" => Status::Active,
                "paused" => Status::Paused,
                "ended" => Status::Ended,
                other => return Err(corrupt(format!("protocol status {other:?}"))),
            },
            pauses: from_json(r, "pauses")?,
            created_at: at(r, "created_at")?,
            ended_at: opt_at(r, "ended_at")?,
        })
    }
}

impl Record for ProtocolEvent {
    const TABLE: &'static str = "protocol_event";
    const WHAT: &'static str = "protocol event";
    const COLUMNS: &'static [&'static str] = &["protocol_id", "at", "date", "kind", "detail"];
    ids!();
    fn values(&self) -> Result<Vec<Value>> {
        Ok(vec![
            self.protocol_id.into(),
            self.at.into(),
            self.date.into(),
            self.kind.as_str().into(),
            (&self.detail).into(),
        ])
    }
    fn read(r: &impl Row) -> Result<Self> {
        let kind = text(r, "kind")?;
        Ok(ProtocolEvent {
            id: int(r, "id")?,
            protocol_id: int(r, "protocol_id")?,
            at: at(r, "at")?,
            date: need("date", date(r, "date")?)?,
            kind: ProtocolEventKind::parse(&kind)
                .ok_or_else(|| corrupt(format!("protocol event kind {kind:?}")))?,
            detail: r.text("detail")?,
        })
    }
}

impl Record for Medication {
    const TABLE: &'static str = "medication";
    const WHAT: &'static str = "medication";
    const COLUMNS: &'static [&'static str] = &[
        "name",
        "dose",
        "since",
        "clinician_aware",
        "note",
        "added_at",
        "removed_at",
    ];
    ids!();
    fn values(&self) -> Result<Vec<Value>> {
        let m = &self.medication;
        Ok(vec![
            (&m.name).into(),
            (&m.dose).into(),
            m.since.into(),
            m.clinician_aware.into(),
            (&m.note).into(),
            m.added_at.into(),
            self.removed_at.into(),
        ])
    }
    fn read(r: &impl Row) -> Result<Self> {
        Ok(Medication {
            id: int(r, "id")?,
            medication: NewMedication {
                name: text(r, "name")?,
                dose: r.text("dose")?,
                since: date(r, "since")?,
                clinician_aware: flag(r, "clinician_aware")?,
                note: r.text("note")?,
                added_at: at(r, "added_at")?,
            },
            removed_at: opt_at(r, "removed_at")?,
        })
    }
}

impl Record for SubstanceUse {
    const TABLE: &'static str = "substance_use";
    const WHAT: &'static str = "substance use";
    const COLUMNS: &'static [&'static str] =
        &["at", "zone", "name", "amount", "note", "created_at"];
    ids!();
    fn values(&self) -> Result<Vec<Value>> {
        let u = &self.usage;
        Ok(vec![
            u.at.into(),
            (&u.zone).into(),
            (&u.name).into(),
            (&u.amount).into(),
            (&u.note).into(),
            self.created_at.into(),
        ])
    }
    fn read(r: &impl Row) -> Result<Self> {
        Ok(SubstanceUse {
            id: int(r, "id")?,
            usage: NewSubstanceUse {
                at: at(r, "at")?,
                zone: text(r, "zone")?,
                name: text(r, "name")?,
                amount: r.text("amount")?,
                note: r.text("note")?,
            },
            created_at: at(r, "created_at")?,
        })
    }
}

impl Record for Vitals {
    const TABLE: &'static str = "vitals";
    const WHAT: &'static str = "vitals";
    const COLUMNS: &'static [&'static str] = &[
        "at",
        "zone",
        "systolic",
        "diastolic",
        "heart_rate",
        "weight_kg",
        "context",
        "note",
        "created_at",
    ];
    ids!();
    fn values(&self) -> Result<Vec<Value>> {
        let v = &self.vitals;
        Ok(vec![
            v.at.into(),
            (&v.zone).into(),
            v.systolic.map(i64::from).into(),
            v.diastolic.map(i64::from).into(),
            v.heart_rate.map(i64::from).into(),
            v.weight_kg.map(f64::from).into(),
            v.context.as_str().into(),
            (&v.note).into(),
            self.created_at.into(),
        ])
    }
    fn read(r: &impl Row) -> Result<Self> {
        let context = text(r, "context")?;
        Ok(Vitals {
            id: int(r, "id")?,
            vitals: NewVitals {
                at: at(r, "at")?,
                zone: text(r, "zone")?,
                systolic: small(r, "systolic")?,
                diastolic: small(r, "diastolic")?,
                heart_rate: small(r, "heart_rate")?,
                weight_kg: weight(r, "weight_kg")?,
                context: match context.as_str() {
                    "pre_dose" => VitalsContext::PreDose,
                    "post_dose" => VitalsContext::PostDose,
                    "other" => VitalsContext::Other,
                    other => return Err(corrupt(format!("vitals context {other:?}"))),
                },
                note: r.text("note")?,
            },
            created_at: at(r, "created_at")?,
        })
    }
}

impl Record for Clearance {
    const TABLE: &'static str = "clearance";
    const WHAT: &'static str = "clearance";
    const COLUMNS: &'static [&'static str] = &["at", "topic", "note"];
    ids!();
    fn values(&self) -> Result<Vec<Value>> {
        Ok(vec![
            self.at.into(),
            self.topic.as_str().into(),
            (&self.note).into(),
        ])
    }
    fn read(r: &impl Row) -> Result<Self> {
        let topic = text(r, "topic")?;
        Ok(Clearance {
            id: int(r, "id")?,
            at: at(r, "at")?,
            topic: match topic.as_str() {
                "urinary" => ClearanceTopic::Urinary,
                "screen" => ClearanceTopic::Screen,
                other => return Err(corrupt(format!("clearance topic {other:?}"))),
            },
            note: r.text("note")?,
        })
    }
}

impl Record for Assessment {
    const TABLE: &'static str = "assessment";
    const WHAT: &'static str = "assessment";
    const COLUMNS: &'static [&'static str] = &[
        "at",
        "zone",
        "instrument",
        "answers",
        "total",
        "band",
        "note",
        "created_at",
    ];
    ids!();
    fn values(&self) -> Result<Vec<Value>> {
        let a = &self.assessment;
        Ok(vec![
            a.at.into(),
            (&a.zone).into(),
            (&a.instrument).into(),
            json(&a.answers)?,
            i64::from(a.total).into(),
            (&a.band).into(),
            (&a.note).into(),
            self.created_at.into(),
        ])
    }
    fn read(r: &impl Row) -> Result<Self> {
        Ok(Assessment {
            id: int(r, "id")?,
            assessment: NewAssessment {
                at: at(r, "at")?,
                zone: text(r, "zone")?,
                instrument: text(r, "instrument")?,
                answers: from_json(r, "answers")?,
                total: u32::try_from(int(r, "total")?).map_err(|_| corrupt("assessment total"))?,
                band: text(r, "band")?,
                note: r.text("note")?,
            },
            created_at: at(r, "created_at")?,
        })
    }
}

impl Record for Trial {
    const TABLE: &'static str = "trial";
    const WHAT: &'static str = "trial";
    const COLUMNS: &'static [&'static str] = &["created_at", "definition"];
    ids!();
    fn values(&self) -> Result<Vec<Value>> {
        Ok(vec![self.created_at.into(), json(&self.trial)?])
    }
    fn read(r: &impl Row) -> Result<Self> {
        Ok(Trial {
            id: int(r, "id")?,
            trial: from_json(r, "definition")?,
            created_at: at(r, "created_at")?,
        })
    }
}

impl Record for TrialEvent {
    const TABLE: &'static str = "trial_event";
    const WHAT: &'static str = "trial event";
    const COLUMNS: &'static [&'static str] = &["trial_id", "at", "kind", "detail", "reason"];
    ids!();
    fn values(&self) -> Result<Vec<Value>> {
        let e = &self.event;
        Ok(vec![
            e.trial_id.into(),
            e.at.into(),
            e.kind.as_str().into(),
            json(&e.kind)?,
            (&e.reason).into(),
        ])
    }
    fn read(r: &impl Row) -> Result<Self> {
        let kind: TrialEventKind = from_json(r, "detail")?;
        if kind.as_str() != text(r, "kind")? {
            return Err(corrupt(format!(
                "trial event {}: its kind and its detail disagree",
                int(r, "id")?
            )));
        }
        Ok(TrialEvent {
            id: int(r, "id")?,
            event: NewTrialEvent {
                trial_id: int(r, "trial_id")?,
                at: at(r, "at")?,
                kind,
                reason: r.text("reason")?,
            },
        })
    }
}
