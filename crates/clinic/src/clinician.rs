//! What a clinician reads and changes — the caseload, the triage queue, a patient's shared
//! journal, the prescription — computed once for both the JSON API and the pages. Every read
//! of patient data is audited here, in the transaction that reads it.

use crate::auth::Session;
use crate::{Clinic, ClinicError, Result, Role, pg, ts};
use dosewise_core::jiff::Timestamp;
use dosewise_core::journal::Journal;
use dosewise_core::prescription::Prescription;
use dosewise_core::questionnaire::{Change, change};
use dosewise_core::share::{self, ClinicNote};
use dosewise_core::text::MAX_LABEL_CHARS;
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use tokio_postgres::types::ToSql;

pub(crate) const DAY_US: i64 = 86_400_000_000;

pub(crate) fn micros(t: Timestamp) -> i64 {
    t.as_microsecond()
}

/// A stored record's body, read from the row's bytes into whatever type it is.
pub(crate) struct Stored<'a>(pub &'a tokio_postgres::Row, pub usize);

impl share::RecordSource for Stored<'_> {
    fn read<T: serde::de::DeserializeOwned>(self) -> Result<T, String> {
        self.0
            .try_get::<_, tokio_postgres::types::Json<T>>(self.1)
            .map(|j| j.0)
            .map_err(|e| e.to_string())
    }
}

/// Only a clinician reads patients; anyone else is told there is nothing.
pub(crate) fn clinician(s: &Session) -> Result<()> {
    if s.actor.role == Role::Clinician {
        Ok(())
    } else {
        Err(ClinicError::NotFound)
    }
}

/// One patient's row in the caseload.
#[derive(Debug, Clone, Serialize)]
pub struct CaseRow {
    pub patient: i64,
    pub name: String,
    pub categories: Vec<String>,
    pub sharing_since: Timestamp,
    pub last_dose: Option<Timestamp>,
    pub last_dose_mg: Option<f64>,
    pub doses_7d: i64,
    /// Milligrams taken in the last 7 days and in the 7 days before (the trend).
    pub mg_7d: f64,
    pub mg_prev_7d: f64,
    /// The prescription's 7-day limit, to read the trend against.
    pub limit_7d_mg: Option<f64>,
    pub last_checkin: Option<Timestamp>,
    pub days_since_checkin: Option<i64>,
    pub latest_phq9: Option<i32>,
    /// PHQ-9 and GAD-7: first score shared (baseline) against the latest, with response
    /// (≥ 50 % drop) and remission (< 5 after ≥ 10).
    pub phq9: Option<Change>,
    pub gad7: Option<Change>,
    pub open_triage: i64,
    pub urgent_triage: i64,
    pub next_refill: Option<String>,
    /// The plan against what was taken over the last [`ADHERENCE_DAYS`] days (none without an
    /// active protocol shared).
    pub adherence: Option<CaseAdherence>,
}

/// The days the caseload's adherence looks back over.
pub const ADHERENCE_DAYS: i64 = 28;

/// Planned days dosed across a patient's active protocols, and doses off the plan.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct CaseAdherence {
    pub days: i64,
    pub planned_days: usize,
    pub planned_days_dosed: usize,
    /// Planned days dosed ÷ planned days; none when nothing was planned (as-needed plans).
    pub ratio: Option<f64>,
    pub off_plan_doses: usize,
}

/// Adherence over the last [`ADHERENCE_DAYS`] of a patient's active protocols, from the doses
/// of their digest, by the same rule as the patient's own report ([`dosewise_core::adherence`]).
fn adherence_from(
    protocols: &crate::digest::Protocols,
    doses: &crate::digest::Doses,
    now: Timestamp,
) -> Option<CaseAdherence> {
    use dosewise_core::adherence::{adherence_of_days, counts_toward};
    let mut total: Option<CaseAdherence> = None;
    for p in &protocols.active {
        let x = &p.protocol;
        let tz =
            dosewise_core::when::zone(&x.zone).unwrap_or(dosewise_core::jiff::tz::TimeZone::UTC);
        let today = now.to_zoned_datetime(tz).date();
        let from = today
            .checked_sub(dosewise_core::jiff::Span::new().days(ADHERENCE_DAYS - 1))
            .unwrap_or(today)
            .max(x.start);
        if from > today {
            continue;
        }
        let days = doses
            .recent
            .iter()
            .filter(|d| counts_toward(p, d.3, d.4, d.5))
            .map(|d| (d.5, d.0));
        let a = adherence_of_days(p, days, from, today, today);
        let t = total.get_or_insert(CaseAdherence {
            days: ADHERENCE_DAYS,
            planned_days: 0,
            planned_days_dosed: 0,
            ratio: None,
            off_plan_doses: 0,
        });
        t.planned_days += a.planned_days;
        t.planned_days_dosed += a.planned_days_dosed;
        t.off_plan_doses += a.off_plan_dose_ids.len();
    }
    total.map(|mut t| {
        t.ratio = (t.planned_days > 0).then(|| t.planned_days_dosed as f64 / t.planned_days as f64);
        t
    })
}

/// A questionnaire's change from its first shared total to its latest (none for a total below 0).
fn score_change(instrument: &str, (first, last): (i32, i32)) -> Option<Change> {
    let (b, l) = (u32::try_from(first).ok()?, u32::try_from(last).ok()?);
    Some(change(instrument, b, l))
}

/// A caseload row's figures from the patient's digest: the latest dose, the last 7 days against
/// the 7 before, the latest check-in, the scores, and adherence.
fn fill(row: &mut CaseRow, d: &crate::digest::Digest, now: Timestamp, week: i64, fortnight: i64) {
    if let Some(x) = &d.doses {
        for r in &x.recent {
            if r.1 >= week {
                row.doses_7d += 1;
                row.mg_7d += r.2;
            } else if r.1 >= fortnight {
                row.mg_prev_7d += r.2;
            }
        }
        row.last_dose = x.last.map(|l| ts(l.0));
        row.last_dose_mg = x.last.map(|l| l.1);
    }
    row.last_checkin = d.checkins.as_ref().and_then(|c| c.last).map(ts);
    row.days_since_checkin = row
        .last_checkin
        .map(|t| now.duration_since(t).as_secs() / 86_400);
    if let Some(s) = &d.scores {
        row.latest_phq9 = s.phq9.map(|s| s.1);
        row.phq9 = s.phq9.and_then(|pair| score_change("phq9", pair));
        row.gad7 = s.gad7.and_then(|pair| score_change("gad7", pair));
    }
    row.adherence = d
        .protocols
        .as_ref()
        .zip(d.doses.as_ref())
        .and_then(|(p, x)| adherence_from(p, x, now));
}

/// How the caseload is ordered; patients alike in it by name, then by account.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Sort {
    /// Alphabetical.
    Name,
    /// Urgent triage items first, then open ones.
    #[default]
    Flags,
    /// The latest dose first; none shared last.
    Dose,
    /// The most milligrams in the last 7 days first.
    Week,
    /// The least of the plan kept over the last [`ADHERENCE_DAYS`] first; off-plan doses break
    /// ties; as-needed plans next, no plan shared last.
    Plan,
    /// The longest silence first; never checked in first of all.
    Checkin,
    /// The highest latest PHQ-9 first; none shared last.
    Scores,
    /// The nearest refill first; none set last.
    Refill,
}

impl Sort {
    /// Every order, as the caseload's columns are laid out.
    pub const ALL: [Sort; 8] = [
        Sort::Name,
        Sort::Flags,
        Sort::Dose,
        Sort::Week,
        Sort::Plan,
        Sort::Checkin,
        Sort::Scores,
        Sort::Refill,
    ];

    /// Its name in an address (`?sort=week`).
    pub fn key(self) -> &'static str {
        match self {
            Sort::Name => "name",
            Sort::Flags => "flags",
            Sort::Dose => "dose",
            Sort::Week => "week",
            Sort::Plan => "plan",
            Sort::Checkin => "checkin",
            Sort::Scores => "scores",
            Sort::Refill => "refill",
        }
    }

    pub fn from_key(key: &str) -> Option<Sort> {
        Sort::ALL.into_iter().find(|s| s.key() == key)
    }

    /// The digest the order reads (joined only then), and the order's leading SQL terms;
    /// `None` for the plan, which is worked out from protocols, not sorted in SQL.
    fn sql(self) -> Option<(Option<&'static str>, &'static str)> {
        Some(match self {
            Sort::Name => (None, ""),
            Sort::Flags => (None, "pat.urgent_items DESC, pat.open_items DESC,"),
            Sort::Dose => (Some("doses"), "d.latest_at DESC NULLS LAST,"),
            Sort::Week => (
                Some("doses"),
                "(SELECT coalesce(sum(u.mg), 0) FROM unnest(d.recent_at, d.recent_mg) AS u(at, mg) WHERE u.at >= $6) DESC,",
            ),
            Sort::Checkin => (Some("checkins"), "d.latest_at ASC NULLS FIRST,"),
            Sort::Scores => (Some("questionnaires"), "d.latest_score DESC NULLS LAST,"),
            Sort::Refill => (None, "x.body->'limits'->>'refill_date' ASC NULLS LAST,"),
            Sort::Plan => return None,
        })
    }
}

/// The most rows a caseload or triage page holds (and how many unless asked for fewer).
pub const PER_PAGE: u32 = 100;

/// The rows before page `page` (from 1) of `per_page` rows.
pub(crate) fn offset(page: u32, per_page: u32) -> i64 {
    i64::from(page.saturating_sub(1)) * i64::from(per_page)
}

/// The pages `total` rows fill, `per_page` to a page.
fn page_count(total: i64, per_page: u32) -> i64 {
    (total + i64::from(per_page) - 1) / i64::from(per_page)
}

/// Which page of the caseload, in which order, of whom.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CaseQuery {
    #[serde(default)]
    pub sort: Sort,
    /// From 1.
    pub page: Option<u32>,
    /// 1 to [`PER_PAGE`].
    pub per_page: Option<u32>,
    /// Only patients whose name holds this (any case).
    pub q: Option<String>,
}

/// A page of the caseload and where it lies in the whole.
#[derive(Debug, Clone, Serialize)]
pub struct CasePage {
    pub patients: Vec<CaseRow>,
    pub sort: Sort,
    pub q: Option<String>,
    pub page: u32,
    pub per_page: u32,
    /// Rows in the whole caseload (with `q`, those that match), and pages of them.
    pub total: i64,
    pub pages: i64,
}

impl CaseQuery {
    /// The page, rows per page and name filter asked for, or what is wrong with them.
    fn checked(&self) -> Result<(u32, u32, Option<String>)> {
        let (page, per_page) = PageQuery {
            page: self.page,
            per_page: self.per_page,
        }
        .checked()?;
        // Checked as sent (the OpenAPI document's rule), then trimmed: blank is no filter.
        let what = "q, the name to look for";
        let q = match self.q.as_deref() {
            Some(q) if q.chars().count() > MAX_LABEL_CHARS => {
                return Err(ClinicError::Input(format!(
                    "{what}: at most {MAX_LABEL_CHARS} characters"
                )));
            }
            Some(q) if q.chars().any(char::is_control) => {
                return Err(ClinicError::Input(format!(
                    "{what}: holds a control character"
                )));
            }
            q => dosewise_core::text::opt_label(what, q)
                .map_err(|e| ClinicError::Input(e.to_string()))?,
        };
        Ok((page, per_page, q))
    }
}

/// A name filter as an `ILIKE` pattern: the name anywhere, its `%`, `_` and `\` taken as they are.
fn contains(q: &str) -> String {
    let mut p = String::from("%");
    for c in q.chars() {
        if matches!(c, '%' | '_' | '\\') {
            p.push('\\');
        }
        p.push(c);
    }
    p.push('%');
    p
}

/// A caseload row as the grant, triage and prescription give it; [`fill`] adds the digest's.
fn bare_row(r: &tokio_postgres::Row) -> CaseRow {
    CaseRow {
        patient: r.get(0),
        name: r.get(1),
        categories: r.get(2),
        sharing_since: ts(r.get(3)),
        last_dose: None,
        last_dose_mg: None,
        doses_7d: 0,
        mg_7d: 0.0,
        mg_prev_7d: 0.0,
        last_checkin: None,
        days_since_checkin: None,
        latest_phq9: None,
        phq9: None,
        gad7: None,
        open_triage: r.get(4),
        urgent_triage: r.get(5),
        limit_7d_mg: r.get(6),
        next_refill: r.get(7),
        adherence: None,
    }
}

/// One page of the patients with an active grant to this clinician, one row a grant, ordered
/// by the database from each patient's digest: the page's cost follows its rows and the
/// sort's keys, never the years of records behind them. Only the page's patients are read in
/// full, and only they are named in the audit line.
pub async fn caseload(st: &Clinic, s: &Session, q: &CaseQuery) -> Result<CasePage> {
    clinician(s)?;
    let (page, per_page, name) = q.checked()?;
    let now = st.now();
    // Read from the replica when there is one (one snapshot: a sync batch is there whole or
    // not at all); the audit lines go to the primary before anything is returned.
    let mut c = st.read_client().await?;
    let tx = st.begin(&mut c, &s.actor).await?;
    let (week, fortnight) = (micros(now) - 7 * DAY_US, micros(now) - 14 * DAY_US);
    let (digest, order) = q.sort.sql().unwrap_or((None, ""));
    // The grants carry what the default order and the name order compare (their open and
    // urgent counts, kept by the triage trigger over the categories each covers, and the
    // patient's name in lower case: migrations 0013, 0016), so those orders walk an index of
    // the clinician's grants to the page and stop. The name shown, the prescription and, for
    // the other orders, the digest are looked up by key one patient at a time: row-level
    // security hides from the planner how many grants come, and guessing a few it would
    // otherwise match every patient against every other's rows.
    let active = "g.clinician_id = $1 AND g.revoked_at IS NULL AND g.starts_at <= $2
                  AND (g.ends_at IS NULL OR g.ends_at > $2) AND ($3::text IS NULL OR g.name_key ILIKE $3)";
    let statement = format!(
        "WITH pat AS (
           SELECT g.patient_id AS id, g.name_key, g.categories, g.starts_at, g.open_items, g.urgent_items
           FROM share_grant g WHERE {active})
         SELECT pat.id, n.name, pat.categories, pat.starts_at,
           pat.open_items::bigint, pat.urgent_items::bigint,
           (x.body->'limits'->>'max_per_7_days_mg')::float8, x.body->'limits'->>'refill_date'
         FROM pat
         LEFT JOIN LATERAL (SELECT a.name FROM account a WHERE a.id = pat.id) n ON true
         LEFT JOIN LATERAL (
           SELECT rx.body FROM prescription rx WHERE rx.patient_id = pat.id LIMIT 1) x ON true
         {}
         ORDER BY {order} pat.name_key, pat.id
         LIMIT $4 OFFSET $5",
        digest.map_or(String::new(), |c| format!(
            "LEFT JOIN digest d ON d.patient_id = pat.id AND d.category = '{c}'"
        )),
    );
    let pattern = name.as_deref().map(contains);
    let plan = q.sort == Sort::Plan;
    // The plan's order is worked out here from every row; the others' by the database.
    let (limit, skip) = if plan {
        (None, 0)
    } else {
        (Some(i64::from(per_page)), offset(page, per_page))
    };
    let at = micros(now);
    // The grants are this clinician's, as row-level security also holds them to: said here too,
    // so the planner knows how many rows come (it cannot see through the policy's settings, and
    // guessing one row it joined every patient to every other) and can use the grants' index.
    let me = s.actor.account;
    let mut params: Vec<&(dyn ToSql + Sync)> = vec![&me, &at, &pattern, &limit, &skip];
    if q.sort == Sort::Week {
        params.push(&week);
    }
    // Row-level security hides from the planner how many grants come: guessing a handful, it
    // would scan and sort them all rather than walk the index in the default or the name order
    // and stop at the page. With sorting off for this statement, the index is its way there.
    let indexed = matches!(q.sort, Sort::Flags | Sort::Name);
    if indexed {
        tx.batch_execute("SET LOCAL enable_sort = off")
            .await
            .map_err(pg)?;
    }
    let rows = tx.query(&statement, &params).await.map_err(pg)?;
    if indexed {
        tx.batch_execute("SET LOCAL enable_sort = on")
            .await
            .map_err(pg)?;
    }
    let mut out: Vec<CaseRow> = rows.iter().map(bare_row).collect();
    drop(rows);
    // The plan's order read every row already; the others count theirs.
    let total = if plan {
        out.len() as i64
    } else {
        tx.query_one(
            &format!("SELECT count(*) FROM share_grant g WHERE {active}"),
            &params[..3],
        )
        .await
        .map_err(pg)?
        .get::<_, i64>(0)
    };
    if plan {
        let mut keys: HashMap<i64, (f64, f64)> = HashMap::new();
        let ids: Vec<i64> = out.iter().map(|r| r.patient).collect();
        crate::digest::each(&tx, &ids, |patient, d| {
            let a = d
                .protocols
                .as_ref()
                .zip(d.doses.as_ref())
                .and_then(|(p, x)| adherence_from(p, x, now));
            if let Some(a) = a {
                keys.insert(
                    patient,
                    (a.ratio.unwrap_or(2.0), -(a.off_plan_doses as f64)),
                );
            }
        })
        .await?;
        let key = |r: &CaseRow| keys.get(&r.patient).copied().unwrap_or((3.0, 0.0));
        out.sort_by(|a, b| {
            let (x, y) = (key(a), key(b));
            x.0.total_cmp(&y.0).then(x.1.total_cmp(&y.1))
        });
        let from = usize::try_from(offset(page, per_page)).unwrap_or(usize::MAX);
        out = out.into_iter().skip(from).take(per_page as usize).collect();
    }
    // Where each patient's row is (a patient with two grants has two).
    let mut rows_of: HashMap<i64, Vec<usize>> = HashMap::new();
    let mut ids = Vec::new();
    for (n, r) in out.iter().enumerate() {
        let at = rows_of.entry(r.patient).or_default();
        if at.is_empty() {
            ids.push(r.patient);
        }
        at.push(n);
    }
    crate::digest::each(&tx, &ids, |patient, d| {
        for &n in rows_of.get(&patient).map(Vec::as_slice).unwrap_or_default() {
            fill(&mut out[n], d, now, week, fortnight);
        }
    })
    .await?;
    tx.commit().await.map_err(pg)?;
    let read: Vec<Option<i64>> = ids.into_iter().map(Some).collect();
    st.audit_read(&s.actor, &read, "caseload rows").await?;
    Ok(CasePage {
        patients: out,
        sort: q.sort,
        q: name,
        page,
        per_page,
        pages: page_count(total, per_page),
        total,
    })
}

/// An open item in the triage queue.
#[derive(Debug, Clone, Serialize)]
pub struct TriageItem {
    pub id: i64,
    pub patient: i64,
    pub name: String,
    pub kind: String,
    pub urgent: bool,
    pub detail: String,
    pub at: Timestamp,
    pub waiting_minutes: i64,
}

/// Raise a `missed_checkins` item for each patient sharing check-ins who has shared none for
/// [`crate::triage::MISSED_CHECKIN_DAYS`] (since their last one, or since sharing began), and
/// retire the open ones a newer check-in has answered. Time passing raises these, not a record
/// arriving, so they are worked out when the queue is read, from each patient's check-ins
/// digest (its latest check-in, kept by every sync) rather than from their records.
async fn missed_checkins(
    tx: &impl deadpool_postgres::GenericClient,
    clinician: Option<i64>,
    now: Timestamp,
) -> Result<()> {
    let gap = crate::triage::MISSED_CHECKIN_DAYS * DAY_US;
    let rows = tx
        .query(
            "SELECT g.patient_id, g.clinic_id, g.starts_at, d.latest_id, d.latest_at
             FROM share_grant g
             LEFT JOIN digest d ON d.patient_id = g.patient_id AND d.category = 'checkins'
             WHERE g.clinician_id = $2
               AND g.revoked_at IS NULL AND g.starts_at <= $1 AND (g.ends_at IS NULL OR g.ends_at > $1)
               AND 'checkins' = ANY (g.categories)",
            &[&micros(now), &clinician],
        )
        .await
        .map_err(pg)?;
    // Each patient's latest check-in (0: none); the silent ones, with what to say.
    let (mut patients, mut latest) = (Vec::new(), Vec::new());
    let (mut clinics, mut silent, mut sources, mut since, mut details) =
        (Vec::new(), Vec::new(), Vec::new(), Vec::new(), Vec::new());
    for r in &rows {
        let patient: i64 = r.get(0);
        let last_id = r.get::<_, Option<i64>>(3).unwrap_or(0);
        let last_at: Option<i64> = r.get(4);
        patients.push(patient);
        latest.push(last_id);
        let from = last_at.unwrap_or_else(|| r.get(2));
        if micros(now) - from < gap {
            continue;
        }
        let day = ts(from).strftime("%Y-%m-%d").to_string();
        details.push(match last_at {
            Some(_) => format!("no check-in shared since {day}"),
            None => format!("no check-in shared since sharing began on {day}"),
        });
        clinics.push(r.get::<_, i64>(1));
        silent.push(patient);
        sources.push(last_id);
        since.push(from);
    }
    // Retire the open ones a newer check-in has answered, then raise the new ones.
    tx.execute(
        "DELETE FROM triage t USING unnest($1::bigint[], $2::bigint[]) AS u(patient, latest)
         WHERE t.patient_id = u.patient AND t.kind = 'missed_checkins'
           AND t.acknowledged_at IS NULL AND t.source_id <> u.latest",
        &[&patients, &latest],
    )
    .await
    .map_err(pg)?;
    tx.execute(
        "INSERT INTO triage (clinic_id, patient_id, kind, urgent, detail, category, source_kind, source_id, at, created_at)
         SELECT u.clinic, u.patient, 'missed_checkins', false, u.detail, 'checkins', 'checkin_gap', u.source, u.since, $6
         FROM unnest($1::bigint[], $2::bigint[], $3::text[], $4::bigint[], $5::bigint[]) AS u(clinic, patient, detail, source, since)
         ON CONFLICT (patient_id, kind, source_kind, source_id) DO NOTHING",
        &[&clinics, &silent, &details, &sources, &since, &micros(now)],
    )
    .await
    .map_err(pg)?;
    Ok(())
}

/// Which page of a list (the triage queue; the caseload's own query adds its order and filter).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PageQuery {
    /// From 1.
    pub page: Option<u32>,
    /// 1 to [`PER_PAGE`].
    pub per_page: Option<u32>,
}

impl PageQuery {
    /// The page and rows per page asked for, or what is wrong with them.
    fn checked(&self) -> Result<(u32, u32)> {
        let page = self.page.unwrap_or(1);
        if page == 0 {
            return Err(ClinicError::Input("page: pages count from 1".into()));
        }
        let per_page = self.per_page.unwrap_or(PER_PAGE);
        if !(1..=PER_PAGE).contains(&per_page) {
            return Err(ClinicError::Input(format!(
                "per_page: {per_page} rows is not a page size; ask for 1 to {PER_PAGE}"
            )));
        }
        Ok((page, per_page))
    }
}

/// A page of the triage queue and the whole queue's size.
#[derive(Debug, Clone, Serialize)]
pub struct TriagePage {
    pub items: Vec<TriageItem>,
    pub page: u32,
    pub per_page: u32,
    /// Open items in the whole queue, how many of them are urgent, and pages of them.
    pub total: i64,
    pub urgent: i64,
    pub pages: i64,
}

/// A page of the open triage items of this clinician's patients, urgent first, oldest first.
pub async fn triage(st: &Clinic, s: &Session, q: &PageQuery) -> Result<TriagePage> {
    triage_of(st, s, None, q).await
}

/// The same for one patient (the patient's page): only their items are read and audited.
pub async fn triage_of(
    st: &Clinic,
    s: &Session,
    patient: Option<i64>,
    q: &PageQuery,
) -> Result<TriagePage> {
    clinician(s)?;
    let (page, per_page) = q.checked()?;
    let now = st.now();
    let mut c = st.client().await?;
    let tx = st.begin(&mut c, &s.actor).await?;
    missed_checkins(&tx, s.actor.account, now).await?;
    // The open counts kept beside the items (migration 0011), not a count of every item;
    // read under the same rule as the items, so they are the counts of what this page lists.
    let counts = tx
        .query_one(
            "SELECT coalesce(sum(c.open), 0)::bigint, coalesce(sum(c.urgent), 0)::bigint
             FROM triage_open_count c WHERE $1::bigint IS NULL OR c.patient_id = $1",
            &[&patient],
        )
        .await
        .map_err(pg)?;
    let (total, urgent): (i64, i64) = (counts.get(0), counts.get(1));
    let rows = tx
        .query(
            "SELECT t.id, t.patient_id, p.name, t.kind, t.urgent, t.detail, t.at, t.created_at
             FROM triage t JOIN account p ON p.id = t.patient_id
             WHERE t.acknowledged_at IS NULL AND ($1::bigint IS NULL OR t.patient_id = $1)
             ORDER BY t.urgent DESC, t.created_at, t.id
             LIMIT $2 OFFSET $3",
            &[&patient, &i64::from(per_page), &offset(page, per_page)],
        )
        .await
        .map_err(pg)?;
    let items: Vec<TriageItem> = rows
        .iter()
        .map(|r| TriageItem {
            id: r.get(0),
            patient: r.get(1),
            name: r.get(2),
            kind: r.get(3),
            urgent: r.get(4),
            detail: r.get(5),
            at: ts(r.get(6)),
            waiting_minutes: now.duration_since(ts(r.get(7))).as_secs() / 60,
        })
        .collect();
    let mut read: Vec<Option<i64>> = Vec::new();
    for i in &items {
        if !read.contains(&Some(i.patient)) {
            read.push(Some(i.patient));
        }
    }
    st.audit_each(&tx, &s.actor, "read", &read, "triage items")
        .await?;
    tx.commit().await.map_err(pg)?;
    Ok(TriagePage {
        items,
        page,
        per_page,
        total,
        urgent,
        pages: page_count(total, per_page),
    })
}

/// Acknowledge an open triage item: who and when, audited. Returns the minutes it waited.
pub async fn acknowledge(st: &Clinic, s: &Session, id: i64) -> Result<i64> {
    clinician(s)?;
    let now = st.now();
    let mut c = st.client().await?;
    let tx = st.begin(&mut c, &s.actor).await?;
    let row = tx
        .query_opt(
            "UPDATE triage SET acknowledged_by = $2, acknowledged_at = $3
             WHERE id = $1 AND acknowledged_at IS NULL RETURNING patient_id, kind, created_at",
            &[&id, &s.actor.account, &micros(now)],
        )
        .await
        .map_err(pg)?
        .ok_or(ClinicError::NotFound)?;
    let patient: i64 = row.get(0);
    let waited = now.duration_since(ts(row.get(2))).as_secs() / 60;
    st.audit(
        &tx,
        &s.actor,
        "acknowledge",
        Some(patient),
        &format!("triage {} after {waited} min", row.get::<_, String>(1)),
    )
    .await?;
    tx.commit().await.map_err(pg)?;
    Ok(waited)
}

/// A patient's shared journal, as a clinician with an active grant sees it.
#[derive(Debug, Clone, Serialize)]
pub struct PatientView {
    pub patient: i64,
    pub name: String,
    pub categories: Vec<String>,
    pub journal: Journal,
    pub prescription: Option<Prescription>,
}

/// A patient's shared journal (404 without an active grant).
pub async fn patient(st: &Clinic, s: &Session, id: i64) -> Result<PatientView> {
    clinician(s)?;
    let now = st.now();
    let mut c = st.read_client().await?;
    let tx = st.begin(&mut c, &s.actor).await?;
    let grant = tx
        .query_opt(
            "SELECT g.categories, p.name FROM share_grant g JOIN account p ON p.id = g.patient_id
             WHERE g.patient_id = $1 AND g.revoked_at IS NULL AND g.starts_at <= $2
               AND (g.ends_at IS NULL OR g.ends_at > $2)",
            &[&id, &micros(now)],
        )
        .await
        .map_err(pg)?
        .ok_or(ClinicError::NotFound)?;
    // Row by row, each body read from its stored bytes straight into its type: years of
    // records are never held as rows and as JSON trees at once.
    let rows = tx
        .query_raw(
            "SELECT kind, body FROM record WHERE patient_id = $1 ORDER BY kind, record_id",
            [&id],
        )
        .await
        .map_err(pg)?;
    let mut rows = std::pin::pin!(rows);
    let mut journal = Journal::empty();
    let mut count = 0usize;
    while let Some(r) = futures_util::TryStreamExt::try_next(&mut rows)
        .await
        .map_err(pg)?
    {
        share::add_shared(&mut journal, r.get::<_, &str>(0), Stored(&r, 1))
            .map_err(ClinicError::Db)?;
        count += 1;
    }
    share::sort_shared(&mut journal);
    let prescription = read_prescription(&tx, id).await?;
    tx.commit().await.map_err(pg)?;
    st.audit_read(&s.actor, &[Some(id)], &format!("{count} shared records"))
        .await?;
    Ok(PatientView {
        patient: id,
        name: grant.get(1),
        categories: grant.get(0),
        journal,
        prescription,
    })
}

/// A patient's shared journal as an HL7 FHIR R4 Bundle, named (404 without an active grant;
/// the read is audited as the journal's is). Private entries never reached the server.
pub async fn fhir(st: &Clinic, s: &Session, id: i64) -> Result<serde_json::Value> {
    let v = patient(st, s, id).await?;
    let mut b = dosewise_core::fhir::bundle(&v.journal, st.now(), false);
    if let Some(p) = b["entry"][0]["resource"].as_object_mut() {
        p.insert("name".into(), serde_json::json!([{ "text": v.name }]));
    }
    Ok(b)
}

async fn read_prescription(
    tx: &impl deadpool_postgres::GenericClient,
    patient: i64,
) -> Result<Option<Prescription>> {
    tx.query_opt(
        "SELECT body FROM prescription WHERE patient_id = $1",
        &[&patient],
    )
    .await
    .map_err(pg)?
    .map(|r| serde_json::from_value(r.get(0)))
    .transpose()
    .map_err(crate::db)
}

/// An active grant from this patient to the signed-in clinician, or 404.
async fn granted(
    tx: &impl deadpool_postgres::GenericClient,
    patient: i64,
    now: Timestamp,
) -> Result<String> {
    tx.query_opt(
        "SELECT p.name FROM share_grant g JOIN account p ON p.id = g.patient_id
         WHERE g.patient_id = $1 AND g.revoked_at IS NULL AND g.starts_at <= $2
           AND (g.ends_at IS NULL OR g.ends_at > $2)
         LIMIT 1",
        &[&patient, &micros(now)],
    )
    .await
    .map_err(pg)?
    .map(|r| r.get(0))
    .ok_or(ClinicError::NotFound)
}

/// A patient's name, for a clinician with an active grant (404 otherwise).
pub(crate) async fn patient_name(st: &Clinic, s: &Session, id: i64) -> Result<String> {
    clinician(s)?;
    let mut c = st.client().await?;
    let tx = st.begin(&mut c, &s.actor).await?;
    let name = granted(&tx, id, st.now()).await?;
    tx.commit().await.map_err(pg)?;
    Ok(name)
}

/// The patient's prescription (404 without an active grant); audited.
pub async fn prescription(st: &Clinic, s: &Session, id: i64) -> Result<Option<Prescription>> {
    clinician(s)?;
    let mut c = st.client().await?;
    let tx = st.begin(&mut c, &s.actor).await?;
    granted(&tx, id, st.now()).await?;
    let rx = read_prescription(&tx, id).await?;
    st.audit(&tx, &s.actor, "read", Some(id), "prescription")
        .await?;
    tx.commit().await.map_err(pg)?;
    Ok(rx)
}

/// What a prescription change may clear, by the request's field names.
pub const CLEARABLE: &[&str] = &[
    "max_dose",
    "max_day",
    "max_week",
    "min_interval",
    "dispensed",
    "refill",
    "bp_warn_above",
    "bp_refuse_from",
    "ceiling",
    "note",
];

/// A change to the prescription, as the clinician types it: limits ("25mg", "48h", "150/95"),
/// the ceiling ("30mg"), whether blood pressure is required; what is left out stays as it was,
/// and what `clear` names is removed.
#[derive(Debug, Default, Clone, serde::Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct PrescriptionRequest {
    #[serde(flatten)]
    pub limits: dosewise_app::protocol::LimitsRequest,
    pub ceiling: Option<String>,
    pub require_bp: Option<bool>,
    pub note: Option<String>,
    /// Limits to remove (see [`CLEARABLE`]).
    pub clear: Vec<String>,
}

/// Change the prescription (404 without an active grant); checked whole, audited with what it
/// now says. It reaches the patient's device with their next sync.
pub async fn set_prescription(
    st: &Clinic,
    s: &Session,
    id: i64,
    b: &PrescriptionRequest,
) -> Result<Prescription> {
    clinician(s)?;
    if let Some(bad) = b.clear.iter().find(|c| !CLEARABLE.contains(&c.as_str())) {
        return Err(ClinicError::Input(format!(
            "clear: {bad:?} is not a limit; these are: {}",
            CLEARABLE.join(", ")
        )));
    }
    let cleared = |name: &str| b.clear.iter().any(|c| c == name);
    let now = st.now();
    let mut c = st.client().await?;
    let tx = st.begin(&mut c, &s.actor).await?;
    granted(&tx, id, now).await?;
    let old = read_prescription(&tx, id).await?;
    let mut limits = old.as_ref().map(|o| o.limits).unwrap_or_default();
    for (name, clear) in [
        ("max_dose", &mut limits.max_per_dose_mg as &mut dyn ClearOpt),
        ("max_day", &mut limits.max_per_day_mg),
        ("max_week", &mut limits.max_per_7_days_mg),
        ("min_interval", &mut limits.min_interval_hours),
        ("dispensed", &mut limits.supply_dispensed),
        ("refill", &mut limits.refill_date),
        ("bp_warn_above", &mut limits.bp_warn_above),
        ("bp_refuse_from", &mut limits.bp_refuse_from),
    ] {
        if cleared(name) {
            clear.clear();
        }
    }
    b.limits
        .apply(&mut limits)
        .map_err(|e| ClinicError::Input(e.to_string()))?;
    let ceiling_mg = match &b.ceiling {
        Some(c) => Some(
            dosewise_core::dose_expr::parse_mass(c)
                .map(|m| m.value())
                .map_err(|e| ClinicError::Input(format!("ceiling: {e}")))?,
        ),
        None if cleared("ceiling") => None,
        None => old.as_ref().and_then(|o| o.ceiling_mg),
    };
    let names = tx
        .query_one(
            "SELECT a.name, c.name FROM account a JOIN clinic c ON c.id = a.clinic_id WHERE a.id = $1",
            &[&s.actor.account],
        )
        .await
        .map_err(pg)?;
    let note = match &b.note {
        Some(n) => {
            dosewise_core::text::note(Some(n)).map_err(|e| ClinicError::Input(e.to_string()))?
        }
        None if cleared("note") => None,
        None => old.as_ref().and_then(|o| o.note.clone()),
    };
    let rx = Prescription {
        limits,
        ceiling_mg,
        require_bp: b
            .require_bp
            .or(old.as_ref().map(|o| o.require_bp))
            .unwrap_or(false),
        note,
        set_by: names.get(0),
        clinic: names.get(1),
        set_at: now,
    };
    rx.check().map_err(ClinicError::Input)?;
    let body = serde_json::to_value(&rx).map_err(crate::db)?;
    tx.execute(
        "INSERT INTO prescription (patient_id, clinic_id, body, set_by, set_at) VALUES ($1, $2, $3, $4, $5)
         ON CONFLICT (patient_id) DO UPDATE SET body = excluded.body, set_by = excluded.set_by, set_at = excluded.set_at",
        &[&id, &s.actor.clinic, &body, &s.actor.account, &micros(now)],
    )
    .await
    .map_err(pg)?;
    st.audit(
        &tx,
        &s.actor,
        "write",
        Some(id),
        &format!("prescription: {}", rx.describe().join("; ")),
    )
    .await?;
    tx.commit().await.map_err(pg)?;
    Ok(rx)
}

/// An optional limit that a prescription change can remove.
trait ClearOpt {
    fn clear(&mut self);
}

impl<T> ClearOpt for Option<T> {
    fn clear(&mut self) {
        *self = None;
    }
}

/// The notes to a patient, newest first (at most [`share::NOTES`]), read inside `tx` under
/// whoever's row-level security it runs.
pub(crate) async fn notes_in(
    tx: &impl deadpool_postgres::GenericClient,
    patient: i64,
) -> Result<Vec<ClinicNote>> {
    let rows = tx
        .query(
            "SELECT n.id, n.created_at, a.name, c.name, n.body FROM patient_note n
             JOIN account a ON a.id = n.author_id JOIN clinic c ON c.id = n.clinic_id
             WHERE n.patient_id = $1 ORDER BY n.created_at DESC, n.id DESC LIMIT $2",
            &[&patient, &(share::NOTES as i64)],
        )
        .await
        .map_err(pg)?;
    Ok(rows
        .iter()
        .map(|r| ClinicNote {
            id: r.get(0),
            at: ts(r.get(1)),
            author: format!("{}, {}", r.get::<_, String>(2), r.get::<_, String>(3)),
            text: r.get(4),
        })
        .collect())
}

/// The notes to a patient (404 without an active grant); audited.
pub async fn notes(st: &Clinic, s: &Session, id: i64) -> Result<Vec<ClinicNote>> {
    clinician(s)?;
    let mut c = st.client().await?;
    let tx = st.begin(&mut c, &s.actor).await?;
    granted(&tx, id, st.now()).await?;
    let notes = notes_in(&tx, id).await?;
    st.audit(&tx, &s.actor, "read", Some(id), "notes to the patient")
        .await?;
    tx.commit().await.map_err(pg)?;
    Ok(notes)
}

/// Write a note to the patient (404 without an active grant); it reaches their Today with
/// their next sync. Audited.
pub async fn write_note(st: &Clinic, s: &Session, id: i64, text: &str) -> Result<ClinicNote> {
    clinician(s)?;
    let text = dosewise_core::text::note(Some(text))
        .map_err(|e| ClinicError::Input(e.to_string()))?
        .ok_or_else(|| ClinicError::Input("write the note first: it is empty".into()))?;
    let now = st.now();
    let mut c = st.client().await?;
    let tx = st.begin(&mut c, &s.actor).await?;
    granted(&tx, id, now).await?;
    let row = tx
        .query_one(
            "INSERT INTO patient_note (clinic_id, patient_id, author_id, body, created_at)
             VALUES ($1, $2, $3, $4, $5) RETURNING id",
            &[&s.actor.clinic, &id, &s.actor.account, &text, &micros(now)],
        )
        .await
        .map_err(pg)?;
    st.audit(&tx, &s.actor, "write", Some(id), "a note to the patient")
        .await?;
    let note_id: i64 = row.get(0);
    let note = notes_in(&tx, id)
        .await?
        .into_iter()
        .find(|n| n.id == note_id)
        .ok_or_else(|| ClinicError::Db("the note just written is not there".into()))?;
    tx.commit().await.map_err(pg)?;
    Ok(note)
}
