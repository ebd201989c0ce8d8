//! Records arriving from elsewhere (another app's export, a spreadsheet), worked out once for
//! every format: what a file becomes, and what of it the journal does not hold yet.

use crate::checkin::NewCheckin;
use crate::dose::NewDose;
use crate::medication::NewSubstanceUse;
use crate::route::Substance;
use jiff::Timestamp;

/// What the file becomes.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Converted {
    pub doses: Vec<NewDose>,
    pub checkins: Vec<NewCheckin>,
    pub uses: Vec<NewSubstanceUse>,
    pub assessments: Vec<crate::questionnaire::NewAssessment>,
    pub vitals: Vec<crate::vitals::NewVitals>,
    /// Ingestions logged in the app for someone else, left out.
    pub for_others: usize,
    /// Ketamine ingestions with no amount, kept as check-in notes instead of doses.
    pub without_amount: usize,
    /// Rows with nothing to record (a spreadsheet's blank lines), left out.
    pub empty: usize,
}

/// The records of a converted file that this journal does not hold yet, with the doses that
/// would fail the unit-plausibility check flagged (imported as recorded: they happened).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Addition {
    pub doses: Vec<NewDose>,
    pub checkins: Vec<NewCheckin>,
    pub uses: Vec<NewSubstanceUse>,
    pub assessments: Vec<crate::questionnaire::NewAssessment>,
    pub vitals: Vec<crate::vitals::NewVitals>,
    /// Records of the file already in the journal (an earlier import of it), left out.
    pub already_here: usize,
    /// Doses flagged as far above the doses before them.
    pub flagged: usize,
    pub for_others: usize,
    pub without_amount: usize,
    pub empty: usize,
}

/// Leave out what `existing` already holds — a dose of the same substance at the same instant,
/// a check-in at the same instant with the same note and ratings, a use of the same substance,
/// a questionnaire of the same kind or a vital-signs reading at the same instant — and flag the doses that are more than three times the median of the
/// (up to ten) doses before them, as the safety check would.
pub fn addition(c: Converted, existing: &crate::journal::Journal) -> Addition {
    use std::collections::HashSet;
    let doses: HashSet<(i64, Substance)> = existing
        .doses
        .iter()
        .filter(|d| d.deleted_at.is_none())
        .map(|d| (d.dose.at.as_microsecond(), d.dose.substance))
        .collect();
    let notes: HashSet<(i64, &str, String)> = existing
        .checkins
        .iter()
        .filter(|c| c.is_live())
        .map(|c| {
            (
                c.checkin.at.as_microsecond(),
                c.checkin.note.as_deref().unwrap_or(""),
                format!("{:?}", c.checkin.ratings),
            )
        })
        .collect();
    let uses: HashSet<(i64, String)> = existing
        .substance_uses
        .iter()
        .map(|u| (u.usage.at.as_microsecond(), u.usage.name.to_lowercase()))
        .collect();
    let scores: HashSet<(i64, &str)> = existing
        .assessments
        .iter()
        .map(|a| {
            (
                a.assessment.at.as_microsecond(),
                a.assessment.instrument.as_str(),
            )
        })
        .collect();
    let readings: HashSet<i64> = existing
        .vitals
        .iter()
        .map(|v| v.vitals.at.as_microsecond())
        .collect();
    let mut a = Addition {
        for_others: c.for_others,
        without_amount: c.without_amount,
        empty: c.empty,
        ..Addition::default()
    };
    let micros = |t: Timestamp| crate::when::to_micros(t).as_microsecond();
    for d in c.doses {
        if doses.contains(&(micros(d.at), d.substance)) {
            a.already_here += 1;
        } else {
            a.doses.push(d);
        }
    }
    for x in c.checkins {
        let key = (
            micros(x.at),
            x.note.as_deref().unwrap_or(""),
            format!("{:?}", x.ratings),
        );
        if notes.contains(&key) {
            a.already_here += 1;
        } else {
            a.checkins.push(x);
        }
    }
    for u in c.uses {
        if uses.contains(&(micros(u.at), u.name.to_lowercase())) {
            a.already_here += 1;
        } else {
            a.uses.push(u);
        }
    }
    for x in c.assessments {
        if scores.contains(&(micros(x.at), x.instrument.as_str())) {
            a.already_here += 1;
        } else {
            a.assessments.push(x);
        }
    }
    for x in c.vitals {
        if readings.contains(&micros(x.at)) {
            a.already_here += 1;
        } else {
            a.vitals.push(x);
        }
    }
    // Every dose, kept and new, in time order, for the medians before each new one.
    let mut all: Vec<(Timestamp, f64)> = existing
        .doses
        .iter()
        .filter(|d| d.deleted_at.is_none())
        .map(|d| (d.dose.at, d.dose.dose_mg_base))
        .chain(a.doses.iter().map(|d| (d.at, d.dose_mg_base)))
        .collect();
    all.sort_by(|x, y| x.0.cmp(&y.0).then(x.1.total_cmp(&y.1)));
    for d in &mut a.doses {
        let before: Vec<f64> = all
            .iter()
            .filter(|(t, _)| *t < d.at)
            .rev()
            .take(crate::safety::PLAUSIBILITY_LOOKBACK)
            .map(|(_, mg)| *mg)
            .collect();
        if before.len() < crate::safety::PLAUSIBILITY_MIN_DOSES {
            continue;
        }
        let Some(m) = crate::safety::median(before.clone()) else {
            continue;
        };
        if crate::plausible::far_above(d.dose_mg_base, m) {
            a.flagged += 1;
            d.findings.push(crate::safety::imported_far_above(
                d.dose_mg_base,
                m,
                before.len(),
            ));
        }
    }
    a
}
