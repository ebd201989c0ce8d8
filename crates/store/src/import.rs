//! Import, worked out once for every backend: compare a journal file with what the journal
//! holds, record by record, and say what to add. A record whose id is already there with the
//! same content is left as it is; the same id with different content is a conflict, and any
//! conflict refuses the whole import. A backend writes the plan's rows in one transaction.

use crate::codec::{Record, Value, profile_values};
use crate::{ImportReport, Result, StoreError};
use dosewise_core::journal::Journal;
use dosewise_core::profile::Profile;
use std::collections::HashMap;

/// The records of one table to add, each as its id and the values of the table's columns.
#[derive(Debug, Clone, PartialEq)]
pub struct Table {
    pub name: &'static str,
    pub columns: &'static [&'static str],
    pub rows: Vec<(i64, Vec<Value>)>,
}

/// What an import adds: the profile (when the journal has none), then the tables in an order
/// in which every reference points at a row already written.
#[derive(Debug, Clone, PartialEq)]
pub struct Plan {
    pub profile: Option<Profile>,
    pub tables: Vec<Table>,
    pub report: ImportReport,
}

/// At most this many conflicts are named; the rest are counted.
const NAMED: usize = 20;

/// Compare `incoming` with `existing` (the journal as it is) and plan the import.
pub fn plan(existing: &Journal, incoming: &Journal) -> Result<Plan> {
    let mut report = ImportReport::default();
    let mut conflicts = Vec::new();
    let mut profile = None;
    if let Some(p) = &incoming.profile {
        match &existing.profile {
            None => {
                profile_values(p)?;
                profile = Some(p.clone());
                report.profile_imported = true;
            }
            Some(e) if e == p => report.unchanged += 1,
            Some(_) => report.profile_kept_existing = true,
        }
    }
    let mut tables = Vec::new();
    // In an order in which every reference points at a row already written.
    macro_rules! tables {
        ($($field:ident),*) => {$(
            let table = compare(&existing.$field, &incoming.$field, &mut conflicts, &mut report)?;
            report.$field = table.rows.len();
            tables.push(table);
        )*};
    }
    tables!(
        stocks,
        protocols,
        protocol_events,
        doses,
        stock_events,
        dose_revisions,
        checkins,
        checkin_revisions,
        medications,
        substance_uses,
        vitals,
        clearances,
        assessments,
        trials,
        trial_events
    );
    if !conflicts.is_empty() {
        let total = conflicts.len();
        conflicts.truncate(NAMED);
        if total > NAMED {
            conflicts.push(format!("and {} more", total - NAMED));
        }
        return Err(StoreError::ImportConflicts(conflicts));
    }
    Ok(Plan {
        profile,
        tables,
        report,
    })
}

/// The records of `incoming` that `have` lacks, as a table; same-id records that differ are
/// named in `conflicts`, identical ones counted as unchanged.
fn compare<T: Record>(
    have: &[T],
    incoming: &[T],
    conflicts: &mut Vec<String>,
    report: &mut ImportReport,
) -> Result<Table> {
    let by_id: HashMap<i64, &T> = have.iter().map(|x| (x.id(), x)).collect();
    let mut rows = Vec::new();
    for x in incoming {
        match by_id.get(&x.id()) {
            None => rows.push((x.id(), x.values()?)),
            Some(e) if *e == x => report.unchanged += 1,
            Some(_) => conflicts.push(format!("{} {} differs", T::WHAT, x.id())),
        }
    }
    Ok(Table {
        name: T::TABLE,
        columns: T::COLUMNS,
        rows,
    })
}
