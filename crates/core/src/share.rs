//! Sharing a journal with a clinician: what a grant covers, what a device sends, and how the
//! clinic puts a patient's shared records back together. The wire format of the clinic server's
//! sync, shared by the client (`dosewise sync`) and the server.
//!
//! The model follows atuin's record store: each device numbers what it sends (`idx`, one more
//! each time, never reused), the server keeps the highest number it has applied per device, and
//! a batch is applied whole or not at all. A retry after a dropped connection sends the same
//! numbers again and the server skips the ones it has, so nothing is lost or doubled. A record
//! that changes (a corrected dose, a deleted check-in) is sent again in full and supersedes the
//! server's copy. Private check-ins never leave the device: one made private after it was shared
//! is withdrawn from the server.

use crate::journal::Journal;
use jiff::Timestamp;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::collections::BTreeMap;
use std::fmt;
use std::str::FromStr;

/// What a patient may share, category by category.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Category {
    /// Doses, their corrections, and the notes on them.
    Doses,
    /// Check-ins (never the private ones) and their corrections.
    Checkins,
    /// PHQ-9, GAD-7 and the other questionnaires.
    Questionnaires,
    /// Blood pressure, heart rate, weight.
    Vitals,
    /// Stocks and every change to them (counts, refills).
    Stock,
    /// The safety check's findings on each dose, overrides with their reasons, and a
    /// clinician's reviews of standing red flags.
    Safety,
    /// Standing medicines.
    Medicines,
    /// Use of alcohol and other substances.
    SubstanceUse,
    /// Protocols and their history.
    Protocol,
}

impl Category {
    pub const ALL: [Category; 9] = [
        Category::Doses,
        Category::Checkins,
        Category::Questionnaires,
        Category::Vitals,
        Category::Stock,
        Category::Safety,
        Category::Medicines,
        Category::SubstanceUse,
        Category::Protocol,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Category::Doses => "doses",
            Category::Checkins => "checkins",
            Category::Questionnaires => "questionnaires",
            Category::Vitals => "vitals",
            Category::Stock => "stock",
            Category::Safety => "safety",
            Category::Medicines => "medicines",
            Category::SubstanceUse => "substance_use",
            Category::Protocol => "protocol",
        }
    }

    /// What it covers, in words for the person choosing.
    pub fn describe(self) -> &'static str {
        match self {
            Category::Doses => "doses, their corrections and the notes on them",
            Category::Checkins => "check-ins (never the ones you mark private)",
            Category::Questionnaires => "PHQ-9, GAD-7 and the other questionnaires",
            Category::Vitals => "blood pressure, heart rate and weight",
            Category::Stock => "stocks, counts and refills",
            Category::Safety => {
                "the safety check's findings, overrides with your reasons, clinician reviews"
            }
            Category::Medicines => "your standing medicines",
            Category::SubstanceUse => "alcohol and other substances you logged",
            Category::Protocol => "your protocols and their history",
        }
    }
}

impl fmt::Display for Category {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Category {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        let s = s.trim().to_ascii_lowercase().replace('-', "_");
        Category::ALL
            .into_iter()
            .find(|c| c.as_str() == s)
            .ok_or_else(|| {
                format!(
                    "{s:?} is not a category: choose from {}",
                    Category::ALL.map(Category::as_str).join(", ")
                )
            })
    }
}

/// Every kind of record that can be shared, with its category.
pub const KINDS: [(&str, Category); 13] = [
    ("stock", Category::Stock),
    ("stock_event", Category::Stock),
    ("protocol", Category::Protocol),
    ("protocol_event", Category::Protocol),
    ("dose", Category::Doses),
    ("dose_revision", Category::Doses),
    ("checkin", Category::Checkins),
    ("checkin_revision", Category::Checkins),
    ("medication", Category::Medicines),
    ("substance_use", Category::SubstanceUse),
    ("vitals", Category::Vitals),
    ("clearance", Category::Safety),
    ("assessment", Category::Questionnaires),
];

/// The category of a kind of record, if it can be shared.
pub fn category_of(kind: &str) -> Option<Category> {
    KINDS.iter().find(|(k, _)| *k == kind).map(|(_, c)| *c)
}

/// One record a device sends: its number in the device's log, what it is, and its content;
/// `None` withdraws the server's copy (a check-in made private after it was shared).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Entry {
    pub idx: u64,
    pub kind: String,
    pub id: i64,
    pub body: Option<Value>,
}

/// What the server tells a device before it sends: how far it has applied this device's log,
/// and what the patient's grants cover now (nothing once every grant is revoked or over).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct State {
    pub last_idx: u64,
    pub categories: Vec<Category>,
    pub clinic: String,
    pub clinicians: Vec<String>,
    /// What the prescribing clinician set, if anything.
    #[serde(default)]
    pub prescription: Option<crate::prescription::Prescription>,
    /// Notes the clinicians wrote to the patient, newest first (at most [`NOTES`]).
    #[serde(default)]
    pub notes: Vec<ClinicNote>,
}

/// The most notes a sync brings down (the newest).
pub const NOTES: usize = 50;

/// A note a clinician wrote to the patient: kept apart from the patient's own entries, never
/// sent back, shown on Today.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ClinicNote {
    pub id: i64,
    pub at: Timestamp,
    /// Who wrote it ("Dr K, North Clinic").
    pub author: String,
    pub text: String,
}

/// The most records a device sends in one batch.
pub const BATCH: usize = 500;

type Shared = (&'static str, i64, Value);

fn push<T: Serialize>(out: &mut Vec<Shared>, kind: &'static str, id: i64, x: &T) {
    if let Ok(v) = serde_json::to_value(x) {
        out.push((kind, id, v));
    }
}

/// The records of a journal that `categories` cover, as (kind, id, content), in the journal's
/// order. Private check-ins are left out, and so are the earlier versions of a check-in that is
/// private now or was private then; without [`Category::Safety`], a dose goes without its
/// findings and override reason.
pub fn shareable(j: &Journal, categories: &[Category]) -> Vec<Shared> {
    let has = |c: Category| categories.contains(&c);
    let mut out = Vec::new();
    if has(Category::Stock) {
        j.stocks
            .iter()
            .for_each(|x| push(&mut out, "stock", x.id, x));
        j.stock_events
            .iter()
            .for_each(|x| push(&mut out, "stock_event", x.id, x));
    }
    if has(Category::Protocol) {
        j.protocols
            .iter()
            .for_each(|x| push(&mut out, "protocol", x.id, x));
        j.protocol_events
            .iter()
            .for_each(|x| push(&mut out, "protocol_event", x.id, x));
    }
    if has(Category::Doses) {
        let safety = has(Category::Safety);
        for d in &j.doses {
            let mut d = d.clone();
            if !safety {
                d.dose.findings.clear();
                d.dose.override_reason = None;
            }
            push(&mut out, "dose", d.id, &d);
        }
        for r in &j.dose_revisions {
            let mut r = r.clone();
            if !safety {
                r.previous.findings.clear();
                r.previous.override_reason = None;
            }
            push(&mut out, "dose_revision", r.id, &r);
        }
    }
    if has(Category::Checkins) {
        let private: std::collections::HashSet<i64> = j
            .checkins
            .iter()
            .filter(|c| c.checkin.private)
            .map(|c| c.id)
            .collect();
        for c in j.checkins.iter().filter(|c| !private.contains(&c.id)) {
            push(&mut out, "checkin", c.id, c);
        }
        for r in &j.checkin_revisions {
            if !private.contains(&r.checkin_id) && !r.previous.private {
                push(&mut out, "checkin_revision", r.id, r);
            }
        }
    }
    if has(Category::Medicines) {
        j.medications
            .iter()
            .for_each(|x| push(&mut out, "medication", x.id, x));
    }
    if has(Category::SubstanceUse) {
        j.substance_uses
            .iter()
            .for_each(|x| push(&mut out, "substance_use", x.id, x));
    }
    if has(Category::Vitals) {
        j.vitals
            .iter()
            .for_each(|x| push(&mut out, "vitals", x.id, x));
    }
    if has(Category::Safety) {
        j.clearances
            .iter()
            .for_each(|x| push(&mut out, "clearance", x.id, x));
    }
    if has(Category::Questionnaires) {
        j.assessments
            .iter()
            .for_each(|x| push(&mut out, "assessment", x.id, x));
    }
    out
}

/// A record's fingerprint: FNV-1a over its kind, id and JSON text. Stable across builds (the
/// device keeps these between runs to know what changed since it last sent).
pub fn fingerprint(kind: &str, id: i64, body: &Value) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    let text = format!("{kind}:{id}:{body}");
    for b in text.bytes() {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    h
}

/// The key a device files a sent record under.
pub fn key(kind: &str, id: i64) -> String {
    format!("{kind}:{id}")
}

/// What to send: every shareable record that is new or changed since `sent` (key → fingerprint
/// of what the server has), and a withdrawal for each sent check-in that is no longer
/// shareable while check-ins are still shared (it was made private, or its earlier version
/// was). Numbered from `next_idx` on. Returns the entries and the fingerprints to remember once
/// the server has them (`None`: forget).
pub fn changes(
    j: &Journal,
    categories: &[Category],
    sent: &BTreeMap<String, u64>,
    next_idx: u64,
) -> Vec<(Entry, Option<u64>)> {
    let now = shareable(j, categories);
    let mut out = Vec::new();
    let mut idx = next_idx;
    let mut present = std::collections::HashSet::new();
    for (kind, id, body) in now {
        let k = key(kind, id);
        let f = fingerprint(kind, id, &body);
        present.insert(k.clone());
        if sent.get(&k) != Some(&f) {
            out.push((
                Entry {
                    idx,
                    kind: kind.to_string(),
                    id,
                    body: Some(body),
                },
                Some(f),
            ));
            idx += 1;
        }
    }
    if categories.contains(&Category::Checkins) {
        for k in sent.keys().filter(|k| !present.contains(*k)) {
            let Some((kind, id)) = k.split_once(':') else {
                continue;
            };
            let Ok(id) = id.parse::<i64>() else {
                continue;
            };
            if category_of(kind) == Some(Category::Checkins) {
                out.push((
                    Entry {
                        idx,
                        kind: kind.to_string(),
                        id,
                        body: None,
                    },
                    None,
                ));
                idx += 1;
            }
        }
    }
    out
}

/// Something one shared record can be read from: a parsed JSON value, or (on the server) the
/// stored bytes, read straight into the record's type without a JSON tree in between.
pub trait RecordSource {
    fn read<T: serde::de::DeserializeOwned>(self) -> Result<T, String>;
}

impl RecordSource for &Value {
    fn read<T: serde::de::DeserializeOwned>(self) -> Result<T, String> {
        T::deserialize(self).map_err(|e| e.to_string())
    }
}

/// A journal from the records a patient shared (the clinic's view of it). Kinds it does not
/// know are skipped; a record that does not read is an error naming it.
pub fn journal_of<'a>(
    records: impl IntoIterator<Item = (&'a str, &'a Value)>,
) -> Result<Journal, String> {
    journal_from(records)
}

/// [`journal_of`] from any [`RecordSource`].
pub fn journal_from<'a, S: RecordSource>(
    records: impl IntoIterator<Item = (&'a str, S)>,
) -> Result<Journal, String> {
    let mut j = Journal::empty();
    for (kind, body) in records {
        add_shared(&mut j, kind, body)?;
    }
    sort_shared(&mut j);
    Ok(j)
}

/// Add one shared record to `j` (records arriving one at a time); [`sort_shared`] once all are
/// in puts each list in the order of its ids, as [`journal_from`] leaves it.
pub fn add_shared<S: RecordSource>(j: &mut Journal, kind: &str, body: S) -> Result<(), String> {
    fn add<T: serde::de::DeserializeOwned, S: RecordSource>(
        v: &mut Vec<T>,
        kind: &str,
        body: S,
    ) -> Result<(), String> {
        body.read::<T>()
            .map(|x| v.push(x))
            .map_err(|e| format!("a shared {kind} does not read: {e}"))
    }
    match kind {
        "stock" => add(&mut j.stocks, kind, body),
        "stock_event" => add(&mut j.stock_events, kind, body),
        "protocol" => add(&mut j.protocols, kind, body),
        "protocol_event" => add(&mut j.protocol_events, kind, body),
        "dose" => add(&mut j.doses, kind, body),
        "dose_revision" => add(&mut j.dose_revisions, kind, body),
        "checkin" => add(&mut j.checkins, kind, body),
        "checkin_revision" => add(&mut j.checkin_revisions, kind, body),
        "medication" => add(&mut j.medications, kind, body),
        "substance_use" => add(&mut j.substance_uses, kind, body),
        "vitals" => add(&mut j.vitals, kind, body),
        "clearance" => add(&mut j.clearances, kind, body),
        "assessment" => add(&mut j.assessments, kind, body),
        _ => Ok(()),
    }
}

/// Each list of a journal built with [`add_shared`] in the order of its ids.
pub fn sort_shared(j: &mut Journal) {
    j.stocks.sort_by_key(|x| x.id);
    j.stock_events.sort_by_key(|x| x.id);
    j.protocols.sort_by_key(|x| x.id);
    j.protocol_events.sort_by_key(|x| x.id);
    j.doses.sort_by_key(|x| x.id);
    j.dose_revisions.sort_by_key(|x| x.id);
    j.checkins.sort_by_key(|x| x.id);
    j.checkin_revisions.sort_by_key(|x| x.id);
    j.medications.sort_by_key(|x| x.id);
    j.substance_uses.sort_by_key(|x| x.id);
    j.vitals.sort_by_key(|x| x.id);
    j.clearances.sort_by_key(|x| x.id);
    j.assessments.sort_by_key(|x| x.id);
}

#[cfg(test)]
mod tests {
    use super::*;

    fn demo() -> Journal {
        use crate::checkin::{Rating, Ratings};
        let mood = |m: i64| Ratings {
            mood: Rating::new(m).ok(),
            ..Ratings::default()
        };
        let mut j = Journal::empty();
        j.checkins = vec![
            crate::testing::checkin(1, crate::testing::ts("2026-11-01T20:00:00Z"), mood(6), &[]),
            crate::testing::checkin(2, crate::testing::ts("2026-11-02T20:00:00Z"), mood(4), &[]),
        ];
        j.checkins[1].checkin.private = true;
        j.doses = vec![crate::testing::dose(
            1,
            crate::testing::ts("2026-11-01T08:00:00Z"),
            10.0,
        )];
        j.doses[0].dose.override_reason = Some("agreed".into());
        j
    }

    #[test]
    fn categories_read_and_cover_every_kind() {
        assert_eq!("substance-use".parse(), Ok(Category::SubstanceUse));
        assert!("everything".parse::<Category>().is_err());
        for c in Category::ALL {
            assert_eq!(c.as_str().parse(), Ok(c));
            assert!(KINDS.iter().any(|(_, k)| *k == c) || c == Category::Safety);
        }
    }

    #[test]
    fn private_check_ins_never_leave_and_safety_is_its_own_category() {
        let j = demo();
        let all = shareable(&j, &Category::ALL);
        assert!(all.iter().any(|(k, id, _)| *k == "checkin" && *id == 1));
        assert!(!all.iter().any(|(k, id, _)| *k == "checkin" && *id == 2));
        let dose = |s: &[Shared]| {
            s.iter()
                .find(|(k, _, _)| *k == "dose")
                .map(|(_, _, v)| v.clone())
                .unwrap_or_default()
        };
        assert_eq!(dose(&all)["override_reason"], "agreed");
        let without = shareable(&j, &[Category::Doses]);
        assert!(dose(&without)["override_reason"].is_null());
        assert!(without.iter().all(|(k, _, _)| *k == "dose"));
    }

    #[test]
    fn only_what_changed_is_sent_and_a_check_in_made_private_is_withdrawn() {
        let mut j = demo();
        let cats = [Category::Doses, Category::Checkins];
        let first = changes(&j, &cats, &BTreeMap::new(), 1);
        assert_eq!(first.iter().map(|(e, _)| e.idx).collect::<Vec<_>>(), [1, 2]);
        let sent: BTreeMap<String, u64> = first
            .iter()
            .filter_map(|(e, f)| f.map(|f| (key(&e.kind, e.id), f)))
            .collect();
        assert!(changes(&j, &cats, &sent, 3).is_empty(), "nothing changed");
        j.checkins[0].checkin.private = true;
        let next = changes(&j, &cats, &sent, 3);
        assert_eq!(next.len(), 1);
        assert_eq!(next[0].0.kind, "checkin");
        assert_eq!((next[0].0.idx, next[0].0.body.is_none()), (3, true));
        // Corrected: sent again in full.
        j.checkins[0].checkin.private = false;
        j.checkins[0].checkin.note = Some("corrected".into());
        let next = changes(&j, &cats, &sent, 3);
        assert_eq!(next.len(), 1);
        assert_eq!(
            next[0].0.body.as_ref().map(|b| b["note"].clone()),
            Some(Value::from("corrected"))
        );
    }

    #[test]
    fn the_clinic_rebuilds_the_journal_it_was_sent() {
        let j = demo();
        let all = shareable(&j, &Category::ALL);
        let back =
            journal_of(all.iter().map(|(k, _, v)| (*k, v))).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(back.doses, j.doses);
        assert_eq!(back.checkins, vec![j.checkins[0].clone()]);
        let bad = serde_json::json!({ "id": "x" });
        assert!(journal_of([("dose", &bad)]).is_err());
    }
}
