//! The caseload's digest: what the caseload shows of each patient, kept per category as their
//! records arrive (in the sync's own transaction, so a digest never disagrees with the records
//! it sums up). The caseload then reads a handful of small rows per patient, whatever the years
//! of history behind them; a patient's own page still reads their records.

use crate::clinician::{DAY_US, Stored, micros};
use crate::{Actor, Result, pg};
use dosewise_core::jiff::Timestamp;
use dosewise_core::jiff::civil::Date;
use dosewise_core::protocol::{Protocol, Status};
use dosewise_core::route::Substance;
use dosewise_core::share::{self, Category};
use serde::{Deserialize, Serialize};

/// How far back the dose digest keeps every dose: the caseload's windows (7 and 14 days, and
/// 28 days of adherence) measured from any later moment fall inside the five weeks before the
/// last sync, since nothing newer than that sync is on the server.
pub const RECENT_DAYS: i64 = 35;

/// The categories the caseload reads a digest of.
pub const DIGESTED: [Category; 4] = [
    Category::Doses,
    Category::Checkins,
    Category::Questionnaires,
    Category::Protocol,
];

/// One recent dose: its id, when (µs), how much (mg), under which protocol, of what, and the
/// local date it counts on (in the zone it was logged in).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RecentDose(
    pub i64,
    pub i64,
    pub f64,
    pub Option<i64>,
    pub Substance,
    pub Date,
);

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Doses {
    /// The latest dose (µs, mg).
    pub last: Option<(i64, f64)>,
    /// Every dose of the [`RECENT_DAYS`] before the digest was made, oldest first.
    pub recent: Vec<RecentDose>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Checkins {
    /// The latest check-in (µs).
    pub last: Option<i64>,
    /// Its id (the latest by time, then by id).
    #[serde(default)]
    pub id: Option<i64>,
}

/// The first and latest total of each questionnaire the caseload follows.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Scores {
    pub phq9: Option<(i32, i32)>,
    pub gad7: Option<(i32, i32)>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Protocols {
    pub active: Vec<Protocol>,
}

/// A patient's digests, as the caseload reads them (each only if its category is shared).
#[derive(Debug, Clone, Default)]
pub struct Digest {
    pub doses: Option<Doses>,
    pub checkins: Option<Checkins>,
    pub scores: Option<Scores>,
    pub protocols: Option<Protocols>,
}

/// Work out again the digests of `categories` for the patient `actor` syncs for, from the
/// records on the server, and store them.
pub(crate) async fn refresh(
    tx: &impl deadpool_postgres::GenericClient,
    actor: &Actor,
    patient: i64,
    categories: &[Category],
    now: Timestamp,
) -> Result<()> {
    for c in DIGESTED.iter().filter(|c| categories.contains(c)) {
        // The body, and the figures the caseload sorts by (see migration 0010).
        let mut keys = Keys::default();
        let body = match c {
            Category::Doses => {
                let d = doses(tx, patient, now).await?;
                keys.latest_at = d.last.map(|l| l.0);
                keys.recent_at = Some(d.recent.iter().map(|r| r.1).collect());
                keys.recent_mg = Some(d.recent.iter().map(|r| r.2).collect());
                serde_json::to_string(&d)
            }
            Category::Checkins => {
                let d = checkins(tx, patient).await?;
                keys.latest_at = d.last;
                keys.latest_id = d.id;
                serde_json::to_string(&d)
            }
            Category::Questionnaires => {
                let d = scores(tx, patient).await?;
                keys.latest_score = d.phq9.map(|s| s.1);
                serde_json::to_string(&d)
            }
            _ => serde_json::to_string(&protocols(tx, patient).await?),
        }
        .map_err(crate::db)?;
        tx.execute(
            "INSERT INTO digest (patient_id, category, clinic_id, body, updated_at, latest_at, latest_score, recent_at, recent_mg, latest_id)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)
             ON CONFLICT (patient_id, category) DO UPDATE SET body = excluded.body, updated_at = excluded.updated_at,
               latest_at = excluded.latest_at, latest_score = excluded.latest_score,
               recent_at = excluded.recent_at, recent_mg = excluded.recent_mg, latest_id = excluded.latest_id",
            &[
                &patient,
                &c.as_str(),
                &actor.clinic,
                &body,
                &micros(now),
                &keys.latest_at,
                &keys.latest_score,
                &keys.recent_at,
                &keys.recent_mg,
                &keys.latest_id,
            ],
        )
        .await
        .map_err(pg)?;
    }
    Ok(())
}

/// A digest row's sort keys: what of its category the caseload orders patients by.
#[derive(Default)]
struct Keys {
    latest_at: Option<i64>,
    /// checkins: the latest check-in's id (the missed-check-ins item's source).
    latest_id: Option<i64>,
    latest_score: Option<i32>,
    recent_at: Option<Vec<i64>>,
    recent_mg: Option<Vec<f64>>,
}

async fn doses(
    tx: &impl deadpool_postgres::GenericClient,
    patient: i64,
    now: Timestamp,
) -> Result<Doses> {
    let last = tx
        .query_opt(
            "SELECT at_us, (body->>'dose_mg')::float8 FROM record
             WHERE patient_id = $1 AND kind = 'dose' AND NOT deleted AND at_us IS NOT NULL
             ORDER BY at_us DESC, record_id DESC LIMIT 1",
            &[&patient],
        )
        .await
        .map_err(pg)?
        .map(|r| {
            (
                r.get::<_, i64>(0),
                r.get::<_, Option<f64>>(1).unwrap_or(0.0),
            )
        });
    let rows = tx
        .query(
            "SELECT body FROM record
             WHERE patient_id = $1 AND kind = 'dose' AND NOT deleted AND at_us >= $2
             ORDER BY at_us, record_id",
            &[&patient, &(micros(now) - RECENT_DAYS * DAY_US)],
        )
        .await
        .map_err(pg)?;
    let j = share::journal_from(rows.iter().map(|r| ("dose", Stored(r, 0)))).map_err(crate::db)?;
    let recent = j
        .doses
        .iter()
        .filter(|d| d.deleted_at.is_none())
        .map(|d| {
            RecentDose(
                d.id,
                micros(d.dose.at),
                d.dose.dose_mg,
                d.dose.protocol_id,
                d.dose.substance,
                dosewise_core::adherence::local_date(d),
            )
        })
        .collect();
    Ok(Doses { last, recent })
}

async fn checkins(tx: &impl deadpool_postgres::GenericClient, patient: i64) -> Result<Checkins> {
    let latest = tx
        .query_opt(
            "SELECT at_us, record_id FROM record WHERE patient_id = $1 AND kind = 'checkin' AND NOT deleted
             ORDER BY at_us DESC, record_id DESC LIMIT 1",
            &[&patient],
        )
        .await
        .map_err(pg)?;
    Ok(Checkins {
        last: latest.as_ref().map(|r| r.get(0)),
        id: latest.as_ref().map(|r| r.get(1)),
    })
}

async fn scores(tx: &impl deadpool_postgres::GenericClient, patient: i64) -> Result<Scores> {
    let pick = |order: &str, instrument: &str| {
        format!(
            "(SELECT (body->>'total')::int FROM record
              WHERE patient_id = $1 AND kind = 'assessment' AND NOT deleted AND body->>'instrument' = '{instrument}'
              ORDER BY at_us {order}, record_id {order} LIMIT 1)"
        )
    };
    let r = tx
        .query_one(
            &format!(
                "SELECT {}, {}, {}, {}",
                pick("ASC", "phq9"),
                pick("DESC", "phq9"),
                pick("ASC", "gad7"),
                pick("DESC", "gad7")
            ),
            &[&patient],
        )
        .await
        .map_err(pg)?;
    let pair = |a: Option<i32>, b: Option<i32>| a.zip(b);
    Ok(Scores {
        phq9: pair(r.get(0), r.get(1)),
        gad7: pair(r.get(2), r.get(3)),
    })
}

async fn protocols(tx: &impl deadpool_postgres::GenericClient, patient: i64) -> Result<Protocols> {
    let rows = tx
        .query(
            "SELECT kind, body FROM record
             WHERE patient_id = $1 AND kind IN ('protocol', 'protocol_event') AND NOT deleted
             ORDER BY kind, record_id",
            &[&patient],
        )
        .await
        .map_err(pg)?;
    let j = share::journal_from(rows.iter().map(|r| (r.get::<_, &str>(0), Stored(r, 1))))
        .map_err(crate::db)?;
    Ok(Protocols {
        active: j
            .protocols
            .into_iter()
            .filter(|p| p.status == Status::Active)
            .collect(),
    })
}

/// Each of `patients`' digests this clinician may read (row-level security leaves out the
/// categories a patient does not share with them), handed to `each` one patient at a time as
/// the rows arrive: one query, and never more than one patient's digests in memory.
pub(crate) async fn each(
    tx: &impl deadpool_postgres::GenericClient,
    patients: &[i64],
    mut each: impl FnMut(i64, &Digest),
) -> Result<()> {
    let rows = tx
        .query_raw(
            "SELECT patient_id, category, body FROM digest WHERE patient_id = ANY ($1)
             ORDER BY patient_id",
            [&patients],
        )
        .await
        .map_err(pg)?;
    let mut rows = std::pin::pin!(rows);
    let mut current: Option<(i64, Digest)> = None;
    while let Some(r) = futures_util::TryStreamExt::try_next(&mut rows)
        .await
        .map_err(pg)?
    {
        let patient: i64 = r.get(0);
        if current.as_ref().is_some_and(|(p, _)| *p != patient)
            && let Some((p, d)) = current.take()
        {
            each(p, &d);
        }
        let d = &mut current
            .get_or_insert_with(|| (patient, Digest::default()))
            .1;
        let (category, body): (&str, &str) = (r.get(1), r.get(2));
        // A digest this version cannot read (written by a newer one) is left out, not fatal.
        match category {
            "doses" => d.doses = serde_json::from_str(body).ok(),
            "checkins" => d.checkins = serde_json::from_str(body).ok(),
            "questionnaires" => d.scores = serde_json::from_str(body).ok(),
            "protocol" => d.protocols = serde_json::from_str(body).ok(),
            _ => {}
        }
    }
    if let Some((p, d)) = current {
        each(p, &d);
    }
    Ok(())
}

/// Work out every patient's digests (the migration that adds them, on a database with records
/// already): as the owner, past row-level security.
pub(crate) async fn rebuild_all(tx: &deadpool_postgres::Transaction<'_>) -> Result<()> {
    let now = Timestamp::now();
    let rows = tx
        .query(
            "SELECT DISTINCT r.patient_id, a.clinic_id FROM record r JOIN account a ON a.id = r.patient_id",
            &[],
        )
        .await
        .map_err(pg)?;
    for r in rows {
        let actor = Actor {
            clinic: r.get(1),
            account: None,
            role: crate::Role::Patient,
            patient: Some(r.get(0)),
            address: String::new(),
        };
        refresh(tx, &actor, r.get(0), &DIGESTED, now).await?;
    }
    Ok(())
}
