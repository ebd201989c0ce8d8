//! Mapping between SQLite rows and core types. rusqlite types stay in this crate.

use dosewise_core::checkin::{Checkin, NewCheckin, Rating, Ratings};
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
use dosewise_core::units::{Kilograms, Milligrams, Millilitres};
use dosewise_core::vitals::{NewVitals, Vitals, VitalsContext};
use dosewise_store::{Result, StoreError};
use rusqlite::types::FromSql;

/// One result row and its statement's column names, so a column is found by name with a plain
/// comparison over a short list (rusqlite's own by-name lookup asks SQLite for every column's
/// name on every call: a quarter of a dose command's instructions before this).
#[derive(Clone, Copy)]
pub(crate) struct Row<'r, 's> {
    pub(crate) row: &'r rusqlite::Row<'s>,
    pub(crate) names: &'r [String],
}

impl std::fmt::Debug for Row<'_, '_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Row").field("columns", &self.names).finish()
    }
}

/// A column by name or by position.
pub(crate) trait Column: Copy {
    fn index(self, names: &[String]) -> rusqlite::Result<usize>;
}

impl Column for &str {
    fn index(self, names: &[String]) -> rusqlite::Result<usize> {
        names
            .iter()
            .position(|n| n == self)
            .ok_or_else(|| rusqlite::Error::InvalidColumnName(self.to_string()))
    }
}

impl Column for usize {
    fn index(self, _: &[String]) -> rusqlite::Result<usize> {
        Ok(self)
    }
}

impl Row<'_, '_> {
    /// Read a column, converting its type (an error, not a panic, on a mismatch).
    /// A column's value. One that does not convert (a hand-edited row) is reported as a value
    /// Dosewise cannot read, naming the column, never the value.
    pub(crate) fn try_get<T: FromSql, C: Column + Copy + std::fmt::Debug>(
        &self,
        column: C,
    ) -> Result<T> {
        let got = column.index(self.names).and_then(|i| self.row.get(i));
        got.map_err(|e| match e {
            rusqlite::Error::FromSqlConversionFailure(..)
            | rusqlite::Error::InvalidColumnType(..)
            | rusqlite::Error::IntegralValueOutOfRange(..) => {
                corrupt(format!("column {column:?} holds a value of the wrong type"))
            }
            other => crate::sql_error(other),
        })
    }
}

pub(crate) fn corrupt(what: impl std::fmt::Display) -> StoreError {
    StoreError::Corrupt(what.to_string())
}

pub(crate) fn micros(t: Timestamp) -> i64 {
    t.as_microsecond()
}

pub(crate) fn ts(v: i64) -> Result<Timestamp> {
    Timestamp::from_microsecond(v).map_err(|e| corrupt(format!("timestamp {v}: {e}")))
}

fn opt_ts(v: Option<i64>) -> Result<Option<Timestamp>> {
    v.map(ts).transpose()
}

fn date(v: Option<String>) -> Result<Option<Date>> {
    v.map(|s| {
        s.parse::<Date>()
            .map_err(|e| corrupt(format!("date {s:?}: {e}")))
    })
    .transpose()
}

pub(crate) fn date_text(d: Option<Date>) -> Option<String> {
    d.map(|d| d.to_string())
}

fn parse_name<T: serde::de::DeserializeOwned>(what: &str, s: &str) -> Result<T> {
    serde_json::from_value(serde_json::Value::String(s.to_string()))
        .map_err(|_| corrupt(format!("{what} {s:?}")))
}

pub(crate) fn name_of<T: serde::Serialize>(v: &T) -> String {
    match serde_json::to_value(v) {
        Ok(serde_json::Value::String(s)) => s,
        _ => String::new(),
    }
}

pub(crate) fn json<T: serde::Serialize>(v: &T) -> Result<String> {
    serde_json::to_string(v).map_err(|e| corrupt(format!("serialising: {e}")))
}

fn from_json<T: serde::de::DeserializeOwned>(what: &str, s: &str) -> Result<T> {
    serde_json::from_str(s).map_err(|e| corrupt(format!("{what}: {e}")))
}

pub(crate) fn quantity_parts(q: &Quantity) -> (&'static str, f64) {
    match q {
        Quantity::Mg(m) => ("mg", m.value()),
        Quantity::Ml(v) => ("ml", v.value()),
        Quantity::Count { n, unit } => (unit.as_str(), *n),
    }
}

fn quantity(unit: &str, value: f64) -> Result<Quantity> {
    let bad = |e: dosewise_core::units::QuantityError| corrupt(format!("quantity: {e}"));
    Ok(match unit {
        "mg" => Quantity::Mg(Milligrams::positive(value).map_err(bad)?),
        "ml" => Quantity::Ml(Millilitres::positive(value).map_err(bad)?),
        "spray" => Quantity::Count {
            n: value,
            unit: CountUnit::Spray,
        },
        "troche" => Quantity::Count {
            n: value,
            unit: CountUnit::Troche,
        },
        "drop" => Quantity::Count {
            n: value,
            unit: CountUnit::Drop,
        },
        other => return Err(corrupt(format!("quantity unit {other:?}"))),
    })
}

pub(crate) fn profile(r: &Row<'_, '_>) -> Result<Profile> {
    let mut p = Profile {
        name: r.try_get("name")?,
        zone: r.try_get("zone")?,
        screen: from_json("screen", &r.try_get::<String, _>("screen")?)?,
        screened_at: r
            .try_get::<Option<i64>, _>("screened_at")?
            .map(ts)
            .transpose()?,
        crisis_line: r.try_get("crisis_line")?,
        weight_kg: r
            .try_get::<Option<f64>, _>("weight_kg")?
            .map(|w| Kilograms::positive(w).map_err(|e| corrupt(format!("weight: {e}"))))
            .transpose()?,
        created_at: ts(r.try_get("created_at")?)?,
        updated_at: ts(r.try_get("updated_at")?)?,
    };
    // Answers stored before answers were dated take the latest date they can have.
    p.date_screen();
    Ok(p)
}

pub(crate) fn stock(r: &Row<'_, '_>) -> Result<Stock> {
    let prep: String = r.try_get("preparation")?;
    Ok(Stock {
        id: r.try_get("id")?,
        stock: NewStock {
            name: r.try_get("name")?,
            preparation: from_json("preparation", &prep)?,
            default_route: parse_name("route", &r.try_get::<String, _>("default_route")?)?,
            supply_unit: parse_name("supply unit", &r.try_get::<String, _>("supply_unit")?)?,
            dispensed: r.try_get("dispensed")?,
            remaining: r.try_get("remaining")?,
            lot: r.try_get("lot")?,
            expiry: date(r.try_get("expiry")?)?,
            opened: date(r.try_get("opened")?)?,
            note: r.try_get("note")?,
            created_at: ts(r.try_get("created_at")?)?,
        },
        retired_at: opt_ts(r.try_get("retired_at")?)?,
        retire_reason: r.try_get("retire_reason")?,
    })
}

pub(crate) fn stock_event(r: &Row<'_, '_>) -> Result<StockEvent> {
    let kind: String = r.try_get("kind")?;
    Ok(StockEvent {
        id: r.try_get("id")?,
        stock_id: r.try_get("stock_id")?,
        at: ts(r.try_get("at")?)?,
        kind: StockEventKind::parse(&kind)
            .ok_or_else(|| corrupt(format!("stock event kind {kind:?}")))?,
        delta: r.try_get("delta")?,
        remaining_after: r.try_get("remaining_after")?,
        dose_id: r.try_get("dose_id")?,
        reason: r.try_get("reason")?,
    })
}

pub(crate) fn dose(r: &Row<'_, '_>) -> Result<Dose> {
    dose_with(r, true)
}

/// A dose with its stored findings left unread (empty).
pub(crate) fn dose_without_findings(r: &Row<'_, '_>) -> Result<Dose> {
    dose_with(r, false)
}

fn dose_with(r: &Row<'_, '_>, findings: bool) -> Result<Dose> {
    Ok(Dose {
        id: r.try_get("id")?,
        dose: NewDose {
            at: ts(r.try_get("at")?)?,
            zone: r.try_get("zone")?,
            stock_id: r.try_get("stock_id")?,
            protocol_id: r.try_get("protocol_id")?,
            entered: r.try_get("entered")?,
            quantity: quantity(
                &r.try_get::<String, _>("quantity_unit")?,
                r.try_get("quantity_value")?,
            )?,
            dose_mg: r.try_get("dose_mg")?,
            salt: parse_name("salt", &r.try_get::<String, _>("salt")?)?,
            dose_mg_base: r.try_get("dose_mg_base")?,
            substance: parse_name("substance", &r.try_get::<String, _>("substance")?)?,
            route: parse_name("route", &r.try_get::<String, _>("route")?)?,
            bioavailable_mg_min: r.try_get("bioavailable_mg_min")?,
            bioavailable_mg_max: r.try_get("bioavailable_mg_max")?,
            mg_per_kg: r.try_get("mg_per_kg")?,
            supply_used: r.try_get("supply_used")?,
            note: r.try_get("note")?,
            findings: if findings {
                from_json("findings", &r.try_get::<String, _>("findings")?)?
            } else {
                Vec::new()
            },
            override_reason: r.try_get("override_reason")?,
        },
        created_at: ts(r.try_get("created_at")?)?,
        updated_at: opt_ts(r.try_get("updated_at")?)?,
        deleted_at: opt_ts(r.try_get("deleted_at")?)?,
    })
}

pub(crate) fn revision(r: &Row<'_, '_>) -> Result<DoseRevision> {
    let action: String = r.try_get("action")?;
    Ok(DoseRevision {
        id: r.try_get("id")?,
        dose_id: r.try_get("dose_id")?,
        at: ts(r.try_get("at")?)?,
        action: match action.as_str() {
            "edit" => RevisionAction::Edit,
            "delete" => RevisionAction::Delete,
            other => return Err(corrupt(format!("revision action {other:?}"))),
        },
        previous: from_json("previous dose", &r.try_get::<String, _>("previous")?)?,
        reason: r.try_get("reason")?,
    })
}

fn rating(r: &Row<'_, '_>, col: &str) -> Result<Option<Rating>> {
    r.try_get::<Option<i64>, _>(col)?
        .map(|v| Rating::new(v).map_err(|e| corrupt(format!("{col}: {e}"))))
        .transpose()
}

pub(crate) fn checkin(r: &Row<'_, '_>) -> Result<Checkin> {
    Ok(Checkin {
        id: r.try_get("id")?,
        checkin: NewCheckin {
            at: ts(r.try_get("at")?)?,
            zone: r.try_get("zone")?,
            ratings: Ratings {
                mood: rating(r, "mood")?,
                anxiety: rating(r, "anxiety")?,
                energy: rating(r, "energy")?,
                focus: rating(r, "focus")?,
                sleep: rating(r, "sleep")?,
                irritability: rating(r, "irritability")?,
            },
            side_effects: from_json("side effects", &r.try_get::<String, _>("side_effects")?)?,
            craving: rating(r, "craving")?,
            urinary: from_json("urinary symptoms", &r.try_get::<String, _>("urinary")?)?,
            note: r.try_get("note")?,
            tags: from_json("tags", &r.try_get::<String, _>("tags")?)?,
            private: r.try_get::<i64, _>("private")? != 0,
        },
        created_at: ts(r.try_get("created_at")?)?,
    })
}

pub(crate) fn rating_value(r: Option<Rating>) -> Option<i64> {
    r.map(|r| i64::from(r.value()))
}

pub(crate) fn protocol(r: &Row<'_, '_>) -> Result<Protocol> {
    let status: String = r.try_get("status")?;
    Ok(Protocol {
        id: r.try_get("id")?,
        protocol: from_json("protocol", &r.try_get::<String, _>("definition")?)?,
        status: match status.as_str() {
            "active" => Status::Active,
            "paused" => Status::Paused,
            "ended" => Status::Ended,
            other => return Err(corrupt(format!("protocol status {other:?}"))),
        },
        pauses: from_json("pauses", &r.try_get::<String, _>("pauses")?)?,
        created_at: ts(r.try_get("created_at")?)?,
        ended_at: opt_ts(r.try_get("ended_at")?)?,
    })
}

pub(crate) fn protocol_event(r: &Row<'_, '_>) -> Result<ProtocolEvent> {
    let kind: String = r.try_get("kind")?;
    Ok(ProtocolEvent {
        id: r.try_get("id")?,
        protocol_id: r.try_get("protocol_id")?,
        at: ts(r.try_get("at")?)?,
        date: date(Some(r.try_get("date")?))?.ok_or_else(|| corrupt("protocol event date"))?,
        kind: ProtocolEventKind::parse(&kind)
            .ok_or_else(|| corrupt(format!("protocol event kind {kind:?}")))?,
        detail: r.try_get("detail")?,
    })
}

pub(crate) fn medication(r: &Row<'_, '_>) -> Result<Medication> {
    Ok(Medication {
        id: r.try_get("id")?,
        medication: NewMedication {
            name: r.try_get("name")?,
            dose: r.try_get("dose")?,
            since: date(r.try_get("since")?)?,
            clinician_aware: r.try_get::<i64, _>("clinician_aware")? != 0,
            note: r.try_get("note")?,
            added_at: ts(r.try_get("added_at")?)?,
        },
        removed_at: opt_ts(r.try_get("removed_at")?)?,
    })
}

pub(crate) fn substance_use(r: &Row<'_, '_>) -> Result<SubstanceUse> {
    Ok(SubstanceUse {
        id: r.try_get("id")?,
        usage: NewSubstanceUse {
            at: ts(r.try_get("at")?)?,
            zone: r.try_get("zone")?,
            name: r.try_get("name")?,
            amount: r.try_get("amount")?,
            note: r.try_get("note")?,
        },
        created_at: ts(r.try_get("created_at")?)?,
    })
}

fn small(r: &Row<'_, '_>, col: &str) -> Result<Option<u16>> {
    r.try_get::<Option<i64>, _>(col)?
        .map(|v| u16::try_from(v).map_err(|_| corrupt(format!("{col} {v}"))))
        .transpose()
}

pub(crate) fn vitals(r: &Row<'_, '_>) -> Result<Vitals> {
    let context: String = r.try_get("context")?;
    Ok(Vitals {
        id: r.try_get("id")?,
        vitals: NewVitals {
            at: ts(r.try_get("at")?)?,
            zone: r.try_get("zone")?,
            systolic: small(r, "systolic")?,
            diastolic: small(r, "diastolic")?,
            heart_rate: small(r, "heart_rate")?,
            weight_kg: r
                .try_get::<Option<f64>, _>("weight_kg")?
                .map(|w| Kilograms::positive(w).map_err(|e| corrupt(format!("weight: {e}"))))
                .transpose()?,
            context: match context.as_str() {
                "pre_dose" => VitalsContext::PreDose,
                "post_dose" => VitalsContext::PostDose,
                "other" => VitalsContext::Other,
                other => return Err(corrupt(format!("vitals context {other:?}"))),
            },
            note: r.try_get("note")?,
        },
        created_at: ts(r.try_get("created_at")?)?,
    })
}

pub(crate) fn clearance(r: &Row<'_, '_>) -> Result<Clearance> {
    let topic: String = r.try_get("topic")?;
    Ok(Clearance {
        id: r.try_get("id")?,
        at: ts(r.try_get("at")?)?,
        topic: match topic.as_str() {
            "urinary" => ClearanceTopic::Urinary,
            "screen" => ClearanceTopic::Screen,
            other => return Err(corrupt(format!("clearance topic {other:?}"))),
        },
        note: r.try_get("note")?,
    })
}

pub(crate) fn assessment(r: &Row<'_, '_>) -> Result<Assessment> {
    Ok(Assessment {
        id: r.try_get("id")?,
        assessment: NewAssessment {
            at: ts(r.try_get("at")?)?,
            zone: r.try_get("zone")?,
            instrument: r.try_get("instrument")?,
            answers: from_json("answers", &r.try_get::<String, _>("answers")?)?,
            total: u32::try_from(r.try_get::<i64, _>("total")?)
                .map_err(|_| corrupt("assessment total"))?,
            band: r.try_get("band")?,
            note: r.try_get("note")?,
        },
        created_at: ts(r.try_get("created_at")?)?,
    })
}
