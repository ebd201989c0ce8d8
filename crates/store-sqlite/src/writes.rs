//! Row-level reads and writes shared by the [`Store`](crate::Store) methods and by import.
//! Each function runs on whatever connection or transaction it is given.

use super::rows::{self, micros};
use super::sql::{self, Query};
use dosewise_core::checkin::NewCheckin;
use dosewise_core::dose::{Dose, NewDose, RevisionAction};
use dosewise_core::jiff::Timestamp;
use dosewise_core::journal::Journal;
use dosewise_core::medication::{Medication, SubstanceUse};
use dosewise_core::profile::Profile;
use dosewise_core::protocol::{NewProtocol, Pause, Protocol, ProtocolEvent, Status};
use dosewise_core::questionnaire::Assessment;
use dosewise_core::safety::Clearance;
use dosewise_core::stock::{NewStock, Stock, StockEvent, StockEventKind};
use dosewise_core::vitals::Vitals;
use dosewise_store::{ImportReport, Result, StoreError};
use rusqlite::Connection;

/// Tolerance for floating-point supply arithmetic (quarters of troches and tenths of mL).
const EPS: f64 = 1e-9;

/// A constraint failure, with SQLite's message ("UNIQUE constraint failed: stock.name").
fn constraint(e: &StoreError) -> Option<&str> {
    let StoreError::Backend(b) = e else {
        return None;
    };
    match b.downcast_ref::<rusqlite::Error>() {
        Some(rusqlite::Error::SqliteFailure(f, Some(msg)))
            if f.code == rusqlite::ErrorCode::ConstraintViolation =>
        {
            Some(msg)
        }
        _ => None,
    }
}

pub(crate) fn name_conflict(e: StoreError, name: &str) -> StoreError {
    match constraint(&e) {
        Some(m) if m.contains("UNIQUE") && m.contains("stock.name") => {
            StoreError::DuplicateName(name.to_string())
        }
        _ => e,
    }
}

/// A second current protocol for a substance violates the one-current rule.
pub(crate) fn current_conflict(e: StoreError, id: i64) -> StoreError {
    match constraint(&e) {
        Some(m) if m.contains("UNIQUE") => StoreError::ImportConflicts(vec![format!(
            "protocol {id} would be a second current protocol for its substance; end one of them first"
        )]),
        _ => e,
    }
}

pub(crate) fn save_profile(conn: &Connection, p: &Profile) -> Result<()> {
    sql::query(
        "INSERT INTO profile (id, name, zone, weight_kg, screen, created_at, updated_at, screened_at, crisis_line)
         VALUES (1, ?1, ?2, ?3, ?6, ?4, ?5, ?7, ?8)
         ON CONFLICT (id) DO UPDATE SET name = excluded.name, zone = excluded.zone,
           weight_kg = excluded.weight_kg, screen = excluded.screen, updated_at = excluded.updated_at,
           screened_at = excluded.screened_at, crisis_line = excluded.crisis_line",
    )
    .bind(&p.name)
    .bind(&p.zone)
    .bind(p.weight_kg.map(f64::from))
    .bind(micros(p.created_at))
    .bind(micros(p.updated_at))
    .bind(rows::json(&p.screen)?)
    .bind(p.screened_at.map(micros))
    .bind(&p.crisis_line)
    .execute(conn)?;
    Ok(())
}

pub(crate) fn get_stock(conn: &Connection, id: i64) -> Result<Option<Stock>> {
    sql::query("SELECT * FROM stock WHERE id = ?1")
        .bind(id)
        .fetch_optional(conn, rows::stock)
}

pub(crate) fn insert_stock(
    conn: &Connection,
    id: Option<i64>,
    s: &NewStock,
    retired_at: Option<Timestamp>,
    retire_reason: Option<&str>,
) -> Result<Stock> {
    sql::query(
        "INSERT INTO stock (id, name, substance, salt, form, preparation, default_route, supply_unit,
           dispensed, remaining, lot, expiry, opened, note, created_at, retired_at, retire_reason)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17) RETURNING *",
    )
    .bind(id)
    .bind(&s.name)
    .bind(s.preparation.substance.as_str())
    .bind(s.preparation.salt.as_str())
    .bind(form_name(&s.preparation.form))
    .bind(rows::json(&s.preparation)?)
    .bind(s.default_route.as_str())
    .bind(s.supply_unit.as_str())
    .bind(s.dispensed)
    .bind(s.remaining)
    .bind(&s.lot)
    .bind(rows::date_text(s.expiry))
    .bind(rows::date_text(s.opened))
    .bind(&s.note)
    .bind(micros(s.created_at))
    .bind(retired_at.map(micros))
    .bind(retire_reason)
    .fetch_one(conn, rows::stock)
    .map_err(|e| name_conflict(e, &s.name))
}

fn form_name(f: &dosewise_core::preparation::Form) -> &'static str {
    use dosewise_core::preparation::Form;
    match f {
        Form::Troche { .. } => "troche",
        Form::NasalSpray { .. } => "nasal_spray",
        Form::Solution { .. } => "solution",
    }
}

/// Insert a ledger line. With `keep_id` the event's own id is used (import).
pub(crate) fn insert_stock_event(conn: &Connection, e: &StockEvent, keep_id: bool) -> Result<i64> {
    let id: i64 = sql::query(
        "INSERT INTO stock_event (id, stock_id, at, kind, delta, remaining_after, dose_id, reason)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8) RETURNING id",
    )
    .bind(keep_id.then_some(e.id))
    .bind(e.stock_id)
    .bind(micros(e.at))
    .bind(e.kind.as_str())
    .bind(e.delta)
    .bind(e.remaining_after)
    .bind(e.dose_id)
    .bind(&e.reason)
    .scalar(conn)?;
    Ok(id)
}

/// Change a stock's amount by `delta` (negative takes supply) and record why.
pub(crate) fn move_supply(
    conn: &Connection,
    stock_id: i64,
    delta: f64,
    at: Timestamp,
    kind: StockEventKind,
    dose_id: Option<i64>,
    reason: Option<&str>,
) -> Result<f64> {
    let after: Option<f64> = sql::query(
        "UPDATE stock SET remaining = max(0.0, remaining + ?1) WHERE id = ?2 AND remaining + ?1 > ?3 RETURNING remaining",
    )
    .bind(delta)
    .bind(stock_id)
    .bind(-EPS)
    .fetch_optional(conn, |r| r.try_get(0))?;
    let Some(after) = after else {
        return Err(match get_stock(conn, stock_id)? {
            Some(_) => StoreError::InsufficientStock { stock_id },
            None => StoreError::NotFound {
                what: "stock",
                id: stock_id,
            },
        });
    };
    let e = StockEvent {
        id: 0,
        stock_id,
        at,
        kind,
        delta,
        remaining_after: after,
        dose_id,
        reason: reason.map(str::to_string),
    };
    insert_stock_event(conn, &e, false)?;
    Ok(after)
}

pub(crate) fn get_dose(conn: &Connection, id: i64) -> Result<Option<Dose>> {
    sql::query("SELECT * FROM dose WHERE id = ?1")
        .bind(id)
        .fetch_optional(conn, rows::dose)
}

/// The first step of a correction: load the dose (refusing a missing or deleted one) and keep
/// its current version as a revision. Returns the dose as it was.
pub(crate) fn revise(
    conn: &Connection,
    id: i64,
    at: Timestamp,
    action: RevisionAction,
    reason: Option<&str>,
) -> Result<Dose> {
    let old = get_dose(conn, id)?.ok_or(StoreError::NotFound { what: "dose", id })?;
    if old.deleted_at.is_some() {
        return Err(StoreError::Deleted(id));
    }
    insert_revision(conn, None, id, at, action, &old.dose, reason)?;
    Ok(old)
}

/// Bind a dose's 19 stored fields as parameters ?1 to ?19, in the column order of
/// `insert_dose` and `update_dose`.
fn bind_dose<'q>(q: Query<'q>, d: &NewDose) -> Query<'q> {
    let (unit, value) = rows::quantity_parts(&d.quantity);
    q.bind(micros(d.at))
        .bind(&d.zone)
        .bind(d.stock_id)
        .bind(&d.entered)
        .bind(unit)
        .bind(value)
        .bind(d.dose_mg)
        .bind(d.salt.as_str())
        .bind(d.dose_mg_base)
        .bind(d.substance.as_str())
        .bind(d.route.as_str())
        .bind(d.bioavailable_mg_min)
        .bind(d.bioavailable_mg_max)
        .bind(d.mg_per_kg)
        .bind(d.supply_used)
        .bind(&d.note)
        .bind(d.protocol_id)
        .bind(rows::json(&d.findings).unwrap_or_else(|_| "[]".into()))
        .bind(&d.override_reason)
}

pub(crate) fn insert_dose(
    conn: &Connection,
    id: Option<i64>,
    d: &NewDose,
    created_at: Timestamp,
    updated_at: Option<Timestamp>,
    deleted_at: Option<Timestamp>,
) -> Result<i64> {
    let q = sql::query(
        "INSERT INTO dose (at, zone, stock_id, entered, quantity_unit, quantity_value, dose_mg, salt,
           dose_mg_base, substance, route, bioavailable_mg_min, bioavailable_mg_max, mg_per_kg, supply_used,
           note, protocol_id, findings, override_reason, id, created_at, updated_at, deleted_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19, ?20, ?21,
           ?22, ?23)
         RETURNING id",
    );
    bind_dose(q, d)
        .bind(id)
        .bind(micros(created_at))
        .bind(updated_at.map(micros))
        .bind(deleted_at.map(micros))
        .scalar(conn)
}

pub(crate) fn update_dose(conn: &Connection, id: i64, d: &NewDose, at: Timestamp) -> Result<()> {
    let q = sql::query(
        "UPDATE dose SET at = ?1, zone = ?2, stock_id = ?3, entered = ?4, quantity_unit = ?5, quantity_value = ?6,
           dose_mg = ?7, salt = ?8, dose_mg_base = ?9, substance = ?10, route = ?11, bioavailable_mg_min = ?12,
           bioavailable_mg_max = ?13, mg_per_kg = ?14, supply_used = ?15, note = ?16, protocol_id = ?17,
           findings = ?18, override_reason = ?19, updated_at = ?20
         WHERE id = ?21",
    );
    bind_dose(q, d).bind(micros(at)).bind(id).execute(conn)?;
    Ok(())
}

pub(crate) fn insert_revision(
    conn: &Connection,
    id: Option<i64>,
    dose_id: i64,
    at: Timestamp,
    action: RevisionAction,
    previous: &NewDose,
    reason: Option<&str>,
) -> Result<i64> {
    sql::query(
        "INSERT INTO dose_revision (id, dose_id, at, action, previous, reason) VALUES (?1, ?2, ?3, ?4, ?5, ?6) RETURNING id",
    )
    .bind(id)
    .bind(dose_id)
    .bind(micros(at))
    .bind(action.as_str())
    .bind(rows::json(previous)?)
    .bind(reason)
    .scalar(conn)
}

pub(crate) fn insert_checkin(
    conn: &Connection,
    id: Option<i64>,
    c: &NewCheckin,
    created_at: Timestamp,
) -> Result<i64> {
    let r = &c.ratings;
    sql::query(
        "INSERT INTO checkin (id, at, zone, mood, anxiety, energy, focus, sleep, irritability, craving,
           side_effects, urinary, tags, note, private, created_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16) RETURNING id",
    )
    .bind(id)
    .bind(micros(c.at))
    .bind(&c.zone)
    .bind(rows::rating_value(r.mood))
    .bind(rows::rating_value(r.anxiety))
    .bind(rows::rating_value(r.energy))
    .bind(rows::rating_value(r.focus))
    .bind(rows::rating_value(r.sleep))
    .bind(rows::rating_value(r.irritability))
    .bind(rows::rating_value(c.craving))
    .bind(rows::json(&c.side_effects)?)
    .bind(rows::json(&c.urinary)?)
    .bind(rows::json(&c.tags)?)
    .bind(&c.note)
    .bind(c.private)
    .bind(micros(created_at))
    .scalar(conn)
}

pub(crate) fn get_protocol(conn: &Connection, id: i64) -> Result<Option<Protocol>> {
    sql::query("SELECT * FROM protocol WHERE id = ?1")
        .bind(id)
        .fetch_optional(conn, rows::protocol)
}

pub(crate) fn insert_protocol(
    conn: &Connection,
    id: Option<i64>,
    p: &NewProtocol,
    status: Status,
    pauses: &[Pause],
    created_at: Timestamp,
    ended_at: Option<Timestamp>,
) -> Result<i64> {
    let id: i64 = sql::query(
        "INSERT INTO protocol (id, name, substance, status, definition, pauses, created_at, ended_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8) RETURNING id",
    )
    .bind(id)
    .bind(&p.name)
    .bind(p.substance.as_str())
    .bind(status.as_str())
    .bind(rows::json(p)?)
    .bind(rows::json(&pauses)?)
    .bind(micros(created_at))
    .bind(ended_at.map(micros))
    .scalar(conn)?;
    Ok(id)
}

/// Rewrite a protocol's definition, status and pauses.
pub(crate) fn update_protocol(conn: &Connection, p: &Protocol) -> Result<()> {
    let n = sql::query("UPDATE protocol SET name = ?1, definition = ?2, status = ?3, pauses = ?4, ended_at = ?5 WHERE id = ?6")
        .bind(&p.protocol.name)
        .bind(rows::json(&p.protocol)?)
        .bind(p.status.as_str())
        .bind(rows::json(&p.pauses)?)
        .bind(p.ended_at.map(micros))
        .bind(p.id)
        .execute(conn)?;
    if n.rows_affected() == 0 {
        return Err(StoreError::NotFound {
            what: "protocol",
            id: p.id,
        });
    }
    Ok(())
}

/// Insert a protocol history line. With `keep_id` the event's own id is used (import).
pub(crate) fn insert_protocol_event(
    conn: &Connection,
    e: &ProtocolEvent,
    keep_id: bool,
) -> Result<i64> {
    sql::query(
        "INSERT INTO protocol_event (id, protocol_id, at, date, kind, detail) VALUES (?1, ?2, ?3, ?4, ?5, ?6) RETURNING id",
    )
    .bind(keep_id.then_some(e.id))
    .bind(e.protocol_id)
    .bind(micros(e.at))
    .bind(e.date.to_string())
    .bind(e.kind.as_str())
    .bind(&e.detail)
    .scalar(conn)
}

pub(crate) fn insert_medication(conn: &Connection, m: &Medication, keep_id: bool) -> Result<i64> {
    let x = &m.medication;
    sql::query(
        "INSERT INTO medication (id, name, dose, since, clinician_aware, note, added_at, removed_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8) RETURNING id",
    )
    .bind(keep_id.then_some(m.id))
    .bind(&x.name)
    .bind(&x.dose)
    .bind(rows::date_text(x.since))
    .bind(x.clinician_aware)
    .bind(&x.note)
    .bind(micros(x.added_at))
    .bind(m.removed_at.map(micros))
    .scalar(conn)
}

pub(crate) fn insert_use(conn: &Connection, u: &SubstanceUse, keep_id: bool) -> Result<i64> {
    let x = &u.usage;
    sql::query(
        "INSERT INTO substance_use (id, at, zone, name, amount, note, created_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7) RETURNING id",
    )
    .bind(keep_id.then_some(u.id))
    .bind(micros(x.at))
    .bind(&x.zone)
    .bind(&x.name)
    .bind(&x.amount)
    .bind(&x.note)
    .bind(micros(u.created_at))
    .scalar(conn)
}

pub(crate) fn insert_vitals(conn: &Connection, v: &Vitals, keep_id: bool) -> Result<i64> {
    let x = &v.vitals;
    sql::query(
        "INSERT INTO vitals (id, at, zone, systolic, diastolic, heart_rate, weight_kg, context, note, created_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10) RETURNING id",
    )
    .bind(keep_id.then_some(v.id))
    .bind(micros(x.at))
    .bind(&x.zone)
    .bind(x.systolic.map(i64::from))
    .bind(x.diastolic.map(i64::from))
    .bind(x.heart_rate.map(i64::from))
    .bind(x.weight_kg.map(f64::from))
    .bind(x.context.as_str())
    .bind(&x.note)
    .bind(micros(v.created_at))
    .scalar(conn)
}

pub(crate) fn insert_clearance(conn: &Connection, c: &Clearance, keep_id: bool) -> Result<i64> {
    sql::query("INSERT INTO clearance (id, at, topic, note) VALUES (?1, ?2, ?3, ?4) RETURNING id")
        .bind(keep_id.then_some(c.id))
        .bind(micros(c.at))
        .bind(c.topic.as_str())
        .bind(&c.note)
        .scalar(conn)
}

pub(crate) fn insert_assessment(conn: &Connection, a: &Assessment, keep_id: bool) -> Result<i64> {
    let x = &a.assessment;
    sql::query(
        "INSERT INTO assessment (id, at, zone, instrument, answers, total, band, note, created_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9) RETURNING id",
    )
    .bind(keep_id.then_some(a.id))
    .bind(micros(x.at))
    .bind(&x.zone)
    .bind(&x.instrument)
    .bind(rows::json(&x.answers)?)
    .bind(i64::from(x.total))
    .bind(&x.band)
    .bind(&x.note)
    .bind(micros(a.created_at))
    .scalar(conn)
}

/// Records of one kind: compare with what is there, insert what is new, note conflicts.
enum Seen {
    New,
    Same,
    Different,
}

fn seen<T: PartialEq>(existing: Option<T>, incoming: &T) -> Seen {
    match existing {
        None => Seen::New,
        Some(e) if &e == incoming => Seen::Same,
        Some(_) => Seen::Different,
    }
}

/// Import inside the caller's transaction. Returns conflicts as an error (caller rolls back).
pub(crate) fn import(conn: &Connection, j: &Journal) -> Result<ImportReport> {
    let mut report = ImportReport::default();
    let mut conflicts = Vec::new();

    if let Some(p) = &j.profile {
        let found =
            sql::query("SELECT * FROM profile WHERE id = 1").fetch_optional(conn, rows::profile)?;
        match found {
            None => {
                save_profile(conn, p)?;
                report.profile_imported = true;
            }
            Some(existing) if &existing == p => report.unchanged += 1,
            Some(_) => report.profile_kept_existing = true,
        }
    }
    for s in &j.stocks {
        match seen(get_stock(conn, s.id)?, s) {
            Seen::New => {
                insert_stock(
                    conn,
                    Some(s.id),
                    &s.stock,
                    s.retired_at,
                    s.retire_reason.as_deref(),
                )?;
                report.stocks += 1;
            }
            Seen::Same => report.unchanged += 1,
            Seen::Different => conflicts.push(format!("stock {} differs", s.id)),
        }
    }
    for p in &j.protocols {
        match seen(get_protocol(conn, p.id)?, p) {
            Seen::New => {
                insert_protocol(
                    conn,
                    Some(p.id),
                    &p.protocol,
                    p.status,
                    &p.pauses,
                    p.created_at,
                    p.ended_at,
                )
                .map_err(|e| current_conflict(e, p.id))?;
                report.protocols += 1;
            }
            Seen::Same => report.unchanged += 1,
            Seen::Different => conflicts.push(format!("protocol {} differs", p.id)),
        }
    }
    for e in &j.protocol_events {
        let found = sql::query("SELECT * FROM protocol_event WHERE id = ?1")
            .bind(e.id)
            .fetch_optional(conn, rows::protocol_event)?;
        match seen(found, e) {
            Seen::New => {
                insert_protocol_event(conn, e, true)?;
                report.protocol_events += 1;
            }
            Seen::Same => report.unchanged += 1,
            Seen::Different => conflicts.push(format!("protocol event {} differs", e.id)),
        }
    }
    for d in &j.doses {
        match seen(get_dose(conn, d.id)?, d) {
            Seen::New => {
                insert_dose(
                    conn,
                    Some(d.id),
                    &d.dose,
                    d.created_at,
                    d.updated_at,
                    d.deleted_at,
                )?;
                report.doses += 1;
            }
            Seen::Same => report.unchanged += 1,
            Seen::Different => conflicts.push(format!("dose {} differs", d.id)),
        }
    }
    for e in &j.stock_events {
        let found = sql::query("SELECT * FROM stock_event WHERE id = ?1")
            .bind(e.id)
            .fetch_optional(conn, rows::stock_event)?;
        match seen(found, e) {
            Seen::New => {
                insert_stock_event(conn, e, true)?;
                report.stock_events += 1;
            }
            Seen::Same => report.unchanged += 1,
            Seen::Different => conflicts.push(format!("stock event {} differs", e.id)),
        }
    }
    for r in &j.dose_revisions {
        let found = sql::query("SELECT * FROM dose_revision WHERE id = ?1")
            .bind(r.id)
            .fetch_optional(conn, rows::revision)?;
        match seen(found, r) {
            Seen::New => {
                insert_revision(
                    conn,
                    Some(r.id),
                    r.dose_id,
                    r.at,
                    r.action,
                    &r.previous,
                    r.reason.as_deref(),
                )?;
                report.dose_revisions += 1;
            }
            Seen::Same => report.unchanged += 1,
            Seen::Different => conflicts.push(format!("dose revision {} differs", r.id)),
        }
    }
    for c in &j.checkins {
        let found = sql::query("SELECT * FROM checkin WHERE id = ?1")
            .bind(c.id)
            .fetch_optional(conn, rows::checkin)?;
        match seen(found, c) {
            Seen::New => {
                insert_checkin(conn, Some(c.id), &c.checkin, c.created_at)?;
                report.checkins += 1;
            }
            Seen::Same => report.unchanged += 1,
            Seen::Different => conflicts.push(format!("check-in {} differs", c.id)),
        }
    }
    macro_rules! simple {
        ($list:expr, $table:literal, $map:path, $insert:path, $what:literal, $count:ident) => {
            for x in $list {
                let found = sql::query(concat!("SELECT * FROM ", $table, " WHERE id = ?1"))
                    .bind(x.id)
                    .fetch_optional(conn, $map)?;
                match seen(found, x) {
                    Seen::New => {
                        $insert(conn, x, true)?;
                        report.$count += 1;
                    }
                    Seen::Same => report.unchanged += 1,
                    Seen::Different => conflicts.push(format!(concat!($what, " {} differs"), x.id)),
                }
            }
        };
    }
    simple!(
        &j.medications,
        "medication",
        rows::medication,
        insert_medication,
        "medication",
        medications
    );
    simple!(
        &j.substance_uses,
        "substance_use",
        rows::substance_use,
        insert_use,
        "substance use",
        substance_uses
    );
    simple!(
        &j.vitals,
        "vitals",
        rows::vitals,
        insert_vitals,
        "vitals",
        vitals
    );
    simple!(
        &j.clearances,
        "clearance",
        rows::clearance,
        insert_clearance,
        "clearance",
        clearances
    );
    simple!(
        &j.assessments,
        "assessment",
        rows::assessment,
        insert_assessment,
        "assessment",
        assessments
    );
    if !conflicts.is_empty() {
        let total = conflicts.len();
        conflicts.truncate(20);
        if total > 20 {
            conflicts.push(format!("and {} more", total - 20));
        }
        return Err(StoreError::ImportConflicts(conflicts));
    }
    Ok(report)
}
