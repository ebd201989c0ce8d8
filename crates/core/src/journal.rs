//! The journal as one document: the export/import format (JSON) and the CSV views.
//!
//! Export → import into an empty home → export gives the same JSON, ids included, so the
//! document carries no export timestamp. Import is checked here in full (format marker, every
//! value, every reference between records) before the store writes anything.

use crate::checkin::{Checkin, CheckinRevision};
use crate::dose::{Dose, DoseRevision};
use crate::medication::{Medication, SubstanceUse};
use crate::plausible::MAX_DOSE_MG;
use crate::profile::Profile;
use crate::protocol::{Protocol, ProtocolEvent};
use crate::questionnaire::Assessment;
use crate::safety::Clearance;
use crate::stock::{Stock, StockEvent};
use crate::text;
use crate::trial_record::{Trial, TrialEvent};
use crate::units::fmt_num;
use crate::vitals::Vitals;
use serde::{Deserialize, Serialize};
use std::collections::HashSet;
use thiserror::Error;

pub const FORMAT: &str = "dosewise-journal";
/// Version 2 added protocols (and `protocol_id` on doses); version 3 dated the health screen's
/// answers and added the screen date and crisis line to the profile; version 4 records a stock
/// count as its own ledger kind (`count`) instead of an `adjust` whose reason began "count";
/// version 5 lets check-ins be corrected and deleted (`updated_at`, `deleted_at` and
/// `checkin_revisions`); version 6 adds blinded trials (`trials`, `trial_events`, a dose's
/// `container` and a check-in's `guess`). Older files still import.
pub const VERSION: u32 = 6;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Journal {
    pub format: String,
    pub version: u32,
    pub profile: Option<Profile>,
    pub stocks: Vec<Stock>,
    pub stock_events: Vec<StockEvent>,
    pub doses: Vec<Dose>,
    pub dose_revisions: Vec<DoseRevision>,
    pub checkins: Vec<Checkin>,
    /// Earlier versions of corrected and deleted check-ins (version 5).
    #[serde(default)]
    pub checkin_revisions: Vec<CheckinRevision>,
    #[serde(default)]
    pub protocols: Vec<Protocol>,
    #[serde(default)]
    pub protocol_events: Vec<ProtocolEvent>,
    #[serde(default)]
    pub medications: Vec<Medication>,
    #[serde(default)]
    pub substance_uses: Vec<SubstanceUse>,
    #[serde(default)]
    pub vitals: Vec<Vitals>,
    #[serde(default)]
    pub clearances: Vec<Clearance>,
    #[serde(default)]
    pub assessments: Vec<Assessment>,
    /// Blinded trials (version 6), each with its events.
    #[serde(default)]
    pub trials: Vec<Trial>,
    #[serde(default)]
    pub trial_events: Vec<TrialEvent>,
}

impl Journal {
    pub fn empty() -> Self {
        Journal {
            format: FORMAT.into(),
            version: VERSION,
            profile: None,
            stocks: vec![],
            stock_events: vec![],
            doses: vec![],
            dose_revisions: vec![],
            checkins: vec![],
            checkin_revisions: vec![],
            protocols: vec![],
            protocol_events: vec![],
            medications: vec![],
            substance_uses: vec![],
            vitals: vec![],
            clearances: vec![],
            assessments: vec![],
            trials: vec![],
            trial_events: vec![],
        }
    }

    pub fn is_empty(&self) -> bool {
        self.profile.is_none()
            && self.stocks.is_empty()
            && self.stock_events.is_empty()
            && self.doses.is_empty()
            && self.dose_revisions.is_empty()
            && self.checkins.is_empty()
            && self.checkin_revisions.is_empty()
            && self.protocols.is_empty()
            && self.protocol_events.is_empty()
            && self.medications.is_empty()
            && self.substance_uses.is_empty()
            && self.vitals.is_empty()
            && self.clearances.is_empty()
            && self.assessments.is_empty()
            && self.trials.is_empty()
            && self.trial_events.is_empty()
    }

    /// Parse and fully check an import file.
    pub fn parse(text: &str) -> Result<Journal, ImportError> {
        #[derive(Deserialize)]
        struct Header {
            format: Option<serde_json::Value>,
            version: Option<serde_json::Value>,
        }
        let header: Header = serde_json::from_str(text).map_err(|e| ImportError::NotJson {
            line: e.line(),
            column: e.column(),
            detail: e.to_string(),
        })?;
        if header.format.as_ref().and_then(|f| f.as_str()) != Some(FORMAT) {
            return Err(ImportError::NotOurs);
        }
        let version = header.version.as_ref().and_then(serde_json::Value::as_u64);
        if !matches!(version, Some(v) if (1..=u64::from(VERSION)).contains(&v)) {
            return Err(ImportError::Version(
                header
                    .version
                    .map(|v| v.to_string())
                    .unwrap_or_else(|| "none".into()),
            ));
        }
        let mut j: Journal = serde_json::from_str(text).map_err(|e| ImportError::Invalid {
            line: e.line(),
            column: e.column(),
            detail: e.to_string(),
        })?;
        j.validate()?;
        // Read any older version; from here on it is the current one.
        if j.version < 4 {
            for e in &mut j.stock_events {
                if let Some((kind, reason)) =
                    crate::stock::legacy_count(e.kind, e.reason.as_deref())
                {
                    e.kind = kind;
                    e.reason = reason;
                }
            }
        }
        j.version = VERSION;
        Ok(j)
    }

    /// Check values and references. The first problem found is reported.
    pub fn validate(&self) -> Result<(), ImportError> {
        let bad = |what: String| Err(ImportError::Record(what));
        if let Some(p) = &self.profile {
            crate::when::zone(&p.zone).map_err(|e| ImportError::Record(format!("profile: {e}")))?;
            text::opt_label("name", p.name.as_deref())
                .map_err(|e| ImportError::Record(format!("profile: {e}")))?;
        }
        let mut stock_ids = HashSet::new();
        for s in &self.stocks {
            let at = format!("stock {}", s.id);
            if !stock_ids.insert(s.id) {
                return bad(format!("{at}: the id appears twice"));
            }
            text::label("stock name", &s.stock.name)
                .map_err(|e| ImportError::Record(format!("{at}: {e}")))?;
            s.stock
                .preparation
                .validate()
                .map_err(|e| ImportError::Record(format!("{at}: {e}")))?;
            if s.stock.preparation.supply_unit() != s.stock.supply_unit {
                return bad(format!("{at}: supply unit does not match the form"));
            }
            if !(s.stock.remaining.is_finite() && s.stock.remaining >= 0.0) {
                return bad(format!("{at}: remaining must be a number ≥ 0"));
            }
            if s.stock
                .dispensed
                .is_some_and(|d| !(d.is_finite() && d >= 0.0))
            {
                return bad(format!("{at}: dispensed must be a number ≥ 0"));
            }
            text::note(s.stock.note.as_deref())
                .map_err(|e| ImportError::Record(format!("{at}: {e}")))?;
        }
        let mut protocol_ids = HashSet::new();
        for p in &self.protocols {
            let at = format!("protocol {}", p.id);
            if !protocol_ids.insert(p.id) {
                return bad(format!("{at}: the id appears twice"));
            }
            p.protocol
                .validate()
                .map_err(|e| ImportError::Record(format!("{at}: {e}")))?;
            if let Some(sid) = p.protocol.stock_id.filter(|sid| !stock_ids.contains(sid)) {
                return bad(format!(
                    "{at}: refers to stock {sid}, which is not in the file"
                ));
            }
        }
        let mut ids = HashSet::new();
        for e in &self.protocol_events {
            if !ids.insert(e.id) {
                return bad(format!("protocol event {}: the id appears twice", e.id));
            }
            if !protocol_ids.contains(&e.protocol_id) {
                return bad(format!(
                    "protocol event {}: refers to protocol {}, which is not in the file",
                    e.id, e.protocol_id
                ));
            }
        }
        let mut dose_ids = HashSet::new();
        for d in &self.doses {
            let at = format!("dose {}", d.id);
            if !dose_ids.insert(d.id) {
                return bad(format!("{at}: the id appears twice"));
            }
            let x = &d.dose;
            crate::when::zone(&x.zone).map_err(|e| ImportError::Record(format!("{at}: {e}")))?;
            if let Some(sid) = x.stock_id.filter(|sid| !stock_ids.contains(sid)) {
                return bad(format!(
                    "{at}: refers to stock {sid}, which is not in the file"
                ));
            }
            let mg_ok =
                |v: f64| v.is_finite() && v > 0.0 && v <= MAX_DOSE_MG * crate::salt::HCL_PER_BASE;
            if !mg_ok(x.dose_mg) || !mg_ok(x.dose_mg_base) {
                return bad(format!(
                    "{at}: dose_mg must be above 0 and at most {} mg",
                    fmt_num(MAX_DOSE_MG)
                ));
            }
            for v in [
                x.bioavailable_mg_min,
                x.bioavailable_mg_max,
                x.mg_per_kg,
                x.supply_used,
            ]
            .into_iter()
            .flatten()
            {
                if !(v.is_finite() && v >= 0.0) {
                    return bad(format!("{at}: derived amounts must be numbers ≥ 0"));
                }
            }
            text::note(x.note.as_deref()).map_err(|e| ImportError::Record(format!("{at}: {e}")))?;
        }
        let mut ids = HashSet::new();
        for e in &self.stock_events {
            if !ids.insert(e.id) {
                return bad(format!("stock event {}: the id appears twice", e.id));
            }
            if !stock_ids.contains(&e.stock_id) {
                return bad(format!(
                    "stock event {}: refers to stock {}, which is not in the file",
                    e.id, e.stock_id
                ));
            }
            if let Some(did) = e.dose_id.filter(|d| !dose_ids.contains(d)) {
                return bad(format!(
                    "stock event {}: refers to dose {did}, which is not in the file",
                    e.id
                ));
            }
            if !(e.delta.is_finite() && e.remaining_after.is_finite()) {
                return bad(format!("stock event {}: amounts must be numbers", e.id));
            }
        }
        let mut ids = HashSet::new();
        for r in &self.dose_revisions {
            if !ids.insert(r.id) {
                return bad(format!("dose revision {}: the id appears twice", r.id));
            }
            if !dose_ids.contains(&r.dose_id) {
                return bad(format!(
                    "dose revision {}: refers to dose {}, which is not in the file",
                    r.id, r.dose_id
                ));
            }
        }
        for (what, ids) in [
            (
                "medication",
                self.medications.iter().map(|m| m.id).collect::<Vec<_>>(),
            ),
            (
                "substance use",
                self.substance_uses.iter().map(|m| m.id).collect(),
            ),
            ("vitals", self.vitals.iter().map(|m| m.id).collect()),
            ("clearance", self.clearances.iter().map(|m| m.id).collect()),
            ("trial", self.trials.iter().map(|m| m.id).collect()),
            (
                "trial event",
                self.trial_events.iter().map(|m| m.id).collect(),
            ),
        ] {
            let mut seen = HashSet::new();
            if let Some(id) = ids.iter().find(|id| !seen.insert(**id)) {
                return bad(format!("{what} {id}: the id appears twice"));
            }
        }
        for t in &self.trials {
            t.trial
                .clone()
                .validated()
                .map_err(|e| ImportError::Record(format!("trial {}: {e}", t.id)))?;
        }
        for e in &self.trial_events {
            if !self.trials.iter().any(|t| t.id == e.event.trial_id) {
                return bad(format!(
                    "trial event {}: refers to trial {}, which is not in the file",
                    e.id, e.event.trial_id
                ));
            }
        }
        for m in &self.medications {
            m.medication
                .clone()
                .validated()
                .map_err(|e| ImportError::Record(format!("medication {}: {e}", m.id)))?;
        }
        for u in &self.substance_uses {
            u.usage
                .clone()
                .validated()
                .map_err(|e| ImportError::Record(format!("substance use {}: {e}", u.id)))?;
            crate::when::zone(&u.usage.zone)
                .map_err(|e| ImportError::Record(format!("substance use {}: {e}", u.id)))?;
        }
        for v in &self.vitals {
            v.vitals
                .clone()
                .validated()
                .map_err(|e| ImportError::Record(format!("vitals {}: {e}", v.id)))?;
        }
        let mut ids = HashSet::new();
        for a in &self.assessments {
            if !ids.insert(a.id) {
                return bad(format!("assessment {}: the id appears twice", a.id));
            }
            let i =
                crate::questionnaire::instrument(&a.assessment.instrument).ok_or_else(|| {
                    ImportError::Record(format!("assessment {}: unknown questionnaire", a.id))
                })?;
            let answers: Vec<i64> = a.assessment.answers.iter().map(|x| i64::from(*x)).collect();
            let (_, total, _) = i
                .score(&answers)
                .map_err(|e| ImportError::Record(format!("assessment {}: {e}", a.id)))?;
            if total != a.assessment.total {
                return bad(format!(
                    "assessment {}: the total does not match the answers",
                    a.id
                ));
            }
        }
        let mut ids = HashSet::new();
        for c in &self.checkins {
            let at = format!("check-in {}", c.id);
            if !ids.insert(c.id) {
                return bad(format!("{at}: the id appears twice"));
            }
            crate::when::zone(&c.checkin.zone)
                .map_err(|e| ImportError::Record(format!("{at}: {e}")))?;
            text::note(c.checkin.note.as_deref())
                .map_err(|e| ImportError::Record(format!("{at}: {e}")))?;
            text::tags(&c.checkin.tags).map_err(|e| ImportError::Record(format!("{at}: {e}")))?;
        }
        let mut revision_ids = HashSet::new();
        for r in &self.checkin_revisions {
            if !revision_ids.insert(r.id) {
                return bad(format!("check-in revision {}: the id appears twice", r.id));
            }
            if !ids.contains(&r.checkin_id) {
                return bad(format!(
                    "check-in revision {}: refers to check-in {}, which is not in the file",
                    r.id, r.checkin_id
                ));
            }
        }
        Ok(())
    }
}

#[derive(Debug, Clone, PartialEq, Error)]
pub enum ImportError {
    #[error("the file is not valid JSON (line {line}, column {column}): {detail}")]
    NotJson {
        line: usize,
        column: usize,
        detail: String,
    },
    #[error("this is not a Dosewise journal export (no \"format\": \"dosewise-journal\" marker)")]
    NotOurs,
    #[error(
        "this export has format version {0}; this Dosewise reads versions 1 to 4. Update Dosewise to import it"
    )]
    Version(String),
    #[error("the file does not match the journal format at line {line}, column {column}: {detail}")]
    Invalid {
        line: usize,
        column: usize,
        detail: String,
    },
    #[error("{0}")]
    Record(String),
}

/// Escape one CSV cell: defuse spreadsheet formulas, then quote per RFC 4180 when needed.
pub(crate) fn csv_cell(s: &str) -> String {
    let defused = if s.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{s}")
    } else {
        s.to_string()
    };
    if defused.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", defused.replace('"', "\"\""))
    } else {
        defused
    }
}

/// A CSV document from a header and rows.
pub fn csv(header: &[&str], rows: impl IntoIterator<Item = Vec<String>>) -> String {
    let mut out = header
        .iter()
        .map(|h| csv_cell(h))
        .collect::<Vec<_>>()
        .join(",");
    out.push_str("\r\n");
    for row in rows {
        out.push_str(
            &row.iter()
                .map(|c| csv_cell(c))
                .collect::<Vec<_>>()
                .join(","),
        );
        out.push_str("\r\n");
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_defuses_formulas_and_quotes() {
        assert_eq!(csv_cell("=HYPERLINK(\"x\")"), "\"'=HYPERLINK(\"\"x\"\")\"");
        assert_eq!(csv_cell("+1"), "'+1");
        assert_eq!(csv_cell("-cmd"), "'-cmd");
        assert_eq!(csv_cell("@SUM(A1)"), "'@SUM(A1)");
        assert_eq!(csv_cell("a,b"), "\"a,b\"");
        assert_eq!(csv_cell("line\nbreak"), "\"line\nbreak\"");
        assert_eq!(csv_cell("plain"), "plain");
        assert_eq!(
            csv(&["a", "b"], [vec!["1".into(), "x,y".into()]]),
            "a,b\r\n1,\"x,y\"\r\n"
        );
    }

    #[test]
    fn import_refuses_foreign_and_broken_files() {
        assert!(matches!(
            Journal::parse("not json"),
            Err(ImportError::NotJson { line: 1, .. })
        ));
        assert!(matches!(
            Journal::parse("{\"entries\": []}"),
            Err(ImportError::NotOurs)
        ));
        assert!(matches!(
            Journal::parse("[1,2]"),
            Err(ImportError::NotJson { .. } | ImportError::NotOurs)
        ));
        assert!(matches!(
            Journal::parse("{\"format\":\"dosewise-journal\",\"version\":9}"),
            Err(ImportError::Version(_))
        ));
        let e = Journal::parse(
            "{\"format\":\"dosewise-journal\",\"version\":1,\n\"profile\":null,\n\"stocks\":7}",
        );
        assert!(
            matches!(e, Err(ImportError::Invalid { line: 3, .. })),
            "{e:?}"
        );
        let empty = serde_json::to_string(&Journal::empty()).unwrap_or_default();
        assert_eq!(Journal::parse(&empty), Ok(Journal::empty()));
    }

    #[test]
    fn dangling_references_are_refused() {
        let text = r#"{"format":"dosewise-journal","version":1,"profile":null,"stocks":[],"stock_events":[],
            "doses":[],"dose_revisions":[{"id":1,"dose_id":5,"at":"2026-01-01T00:00:00Z","action":"delete",
            "previous":{"at":"2026-01-01T00:00:00Z","zone":"UTC","stock_id":null,"entered":"10 mg",
            "quantity":{"unit":"mg","value":10.0},"dose_mg":10.0,"salt":"hcl","dose_mg_base":8.6,
            "substance":"ketamine","route":"oral","bioavailable_mg_min":null,"bioavailable_mg_max":null,
            "mg_per_kg":null,"supply_used":null,"note":null},"reason":null}],"checkins":[]}"#;
        let e = Journal::parse(text);
        assert!(
            matches!(&e, Err(ImportError::Record(m)) if m.contains("dose 5")),
            "{e:?}"
        );
    }

    /// A version-4 file (before check-ins could be corrected) imports: its check-ins were never
    /// corrected or deleted. A check-in revision must refer to a check-in in the file.
    #[test]
    fn version_4_check_ins_import_and_revisions_need_their_check_in() {
        let checkin = r#"{"id":3,"at":"2026-01-01T20:00:00Z","zone":"UTC","ratings":{"mood":6,
            "anxiety":null,"energy":null,"focus":null,"sleep":null,"irritability":null},
            "side_effects":[],"craving":null,"urinary":[],"note":"ok","tags":[],"private":false,
            "created_at":"2026-01-01T20:00:00Z"}"#;
        let v4 = format!(
            r#"{{"format":"dosewise-journal","version":4,"profile":null,"stocks":[],
            "stock_events":[],"doses":[],"dose_revisions":[],"checkins":[{checkin}]}}"#
        );
        let j = Journal::parse(&v4).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(j.checkins.len(), 1);
        assert!(j.checkins[0].is_live() && j.checkins[0].updated_at.is_none());
        assert!(j.checkin_revisions.is_empty());
        let revision = |of: i64| {
            format!(
                r#"{{"format":"dosewise-journal","version":5,"profile":null,"stocks":[],
                "stock_events":[],"doses":[],"dose_revisions":[],"checkins":[{checkin}],
                "checkin_revisions":[{{"id":1,"checkin_id":{of},"at":"2026-01-02T00:00:00Z",
                "action":"edit","previous":{{"at":"2026-01-01T20:00:00Z","zone":"UTC",
                "ratings":{{"mood":5}},"side_effects":[],"craving":null,"urinary":[],"note":null,
                "tags":[],"private":false}},"reason":"typo"}}]}}"#
            )
        };
        let j = Journal::parse(&revision(3)).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(j.checkin_revisions[0].reason.as_deref(), Some("typo"));
        let e = Journal::parse(&revision(4));
        assert!(
            matches!(&e, Err(ImportError::Record(m)) if m.contains("check-in 4")),
            "{e:?}"
        );
    }
}
