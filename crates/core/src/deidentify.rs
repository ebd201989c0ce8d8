//! De-identified export for research or sharing: the same journal format, with names and free
//! text removed, every date and time shifted by one random whole-day offset, zones set to UTC and
//! ids renumbered. What it does **not** hide: the pattern and amounts of use, ratings, vital
//! signs, the shape of the timeline and the time of day (in UTC). See `docs/privacy.md`.

use crate::checkin::{COMMON_SIDE_EFFECTS, NewCheckin};
use crate::dose::NewDose;
use crate::interaction;
use crate::journal::Journal;
use crate::safety::Finding;
use crate::units::Kilograms;
use jiff::civil::Date;
use jiff::{SignedDuration, Timestamp};
use std::collections::HashMap;

struct Shift(i64);

impl Shift {
    fn ts(&self, t: Timestamp) -> Timestamp {
        t.checked_add(SignedDuration::from_hours(24 * self.0))
            .unwrap_or(t)
    }
    fn date(&self, d: Date) -> Date {
        d.checked_add(jiff::Span::new().days(self.0)).unwrap_or(d)
    }
}

fn class_of(name: &str) -> String {
    interaction::find(name).map_or_else(|| "other".to_string(), |i| i.id.clone())
}

fn map_ids<T>(items: &[T], id: impl Fn(&T) -> i64) -> HashMap<i64, i64> {
    items
        .iter()
        .enumerate()
        .map(|(i, x)| (id(x), i as i64 + 1))
        .collect()
}

fn clean_findings(f: &[Finding]) -> Vec<Finding> {
    f.iter()
        .map(|x| Finding {
            code: x.code.split(':').next().unwrap_or("").to_string(),
            severity: x.severity,
            message: String::new(),
            reason: String::new(),
            action: String::new(),
            sources: vec![],
            step: x.step,
        })
        .collect()
}

/// A check-in without its free text (note, tags, side effects not on the common list), in UTC
/// on the shifted clock.
fn clean_checkin(c: &NewCheckin, s: &Shift) -> NewCheckin {
    let mut x = c.clone();
    x.at = s.ts(x.at);
    x.zone = "UTC".into();
    x.note = None;
    x.tags.clear();
    for se in &mut x.side_effects {
        if !COMMON_SIDE_EFFECTS.contains(&se.name.as_str()) {
            se.name = "other".into();
        }
    }
    x
}

fn clean_dose(
    d: &NewDose,
    s: &Shift,
    stocks: &HashMap<i64, i64>,
    protocols: &HashMap<i64, i64>,
) -> NewDose {
    let mut d = d.clone();
    d.at = s.ts(d.at);
    d.zone = "UTC".into();
    d.stock_id = d.stock_id.and_then(|i| stocks.get(&i).copied());
    d.protocol_id = d.protocol_id.and_then(|i| protocols.get(&i).copied());
    d.note = None;
    d.findings = clean_findings(&d.findings);
    d.override_reason = d.override_reason.map(|_| "[removed]".into());
    d
}

/// De-identify a journal with its finished blinded trials, for research when the person
/// chooses: as [`deidentify`], plus each revealed trial with its dates shifted the same way,
/// its key holder, note, public key and sealed bytes removed (the revealed order says what
/// each day held), and its events without their reasons. Trials not yet revealed stay out:
/// their allocation is still the blind.
pub fn deidentify_with_trials(j: &Journal, day_offset: i64) -> Journal {
    use crate::trial_record::{TrialEvent, TrialEventKind};
    let s = Shift(day_offset);
    let mut out = deidentify(j, day_offset);
    let revealed: Vec<_> = j
        .trials
        .iter()
        .filter(|t| {
            j.trial_events.iter().any(|e| {
                e.event.trial_id == t.id && matches!(e.event.kind, TrialEventKind::Revealed { .. })
            })
        })
        .collect();
    let stocks = map_ids(&j.stocks, |x| x.id);
    for (i, t) in revealed.into_iter().enumerate() {
        let id = i as i64 + 1;
        let mut n = t.clone();
        n.id = id;
        n.created_at = s.ts(n.created_at);
        n.trial.design.start = s.date(n.trial.design.start);
        n.trial.key_holder = "[removed]".into();
        n.trial.note = None;
        n.trial.recipient = "age1removed".into();
        n.trial.allocation = Vec::new();
        n.trial.stock_id = n.trial.stock_id.and_then(|x| stocks.get(&x).copied());
        for d in &mut n.trial.days {
            d.date = s.date(d.date);
            d.sealed = Vec::new();
        }
        for e in j.trial_events.iter().filter(|e| e.event.trial_id == t.id) {
            let mut e: TrialEvent = e.clone();
            e.id = out.trial_events.len() as i64 + 1;
            e.event.trial_id = id;
            e.event.at = s.ts(e.event.at);
            e.event.reason = e.event.reason.map(|_| "[removed]".into());
            e.event.kind = match e.event.kind {
                TrialEventKind::Unblinded { date, condition } => TrialEventKind::Unblinded {
                    date: s.date(date),
                    condition,
                },
                TrialEventKind::Stopped { last_day } => TrialEventKind::Stopped {
                    last_day: s.date(last_day),
                },
                k @ TrialEventKind::Revealed { .. } => k,
            };
            out.trial_events.push(e);
        }
        out.trials.push(n);
    }
    out
}

/// De-identify a journal, shifting every instant and date by `day_offset` days. Blinded trials
/// are left out (see [`deidentify_with_trials`]); a dose's container code and a check-in's
/// guess stay, as they say nothing of the person.
pub fn deidentify(j: &Journal, day_offset: i64) -> Journal {
    let s = Shift(day_offset);
    let stocks = map_ids(&j.stocks, |x| x.id);
    let doses = map_ids(&j.doses, |x| x.id);
    let checkins = map_ids(&j.checkins, |x| x.id);
    let protocols = map_ids(&j.protocols, |x| x.id);
    let mut out = Journal::empty();
    out.profile = j.profile.as_ref().map(|p| {
        let mut p = p.clone();
        p.name = None;
        p.zone = "UTC".into();
        // Weight to the nearest 5 kg: enough for mg/kg, less identifying.
        p.weight_kg = p
            .weight_kg
            .and_then(|w| Kilograms::positive((w.value() / 5.0).round().max(1.0) * 5.0).ok());
        p.created_at = s.ts(p.created_at);
        p.updated_at = s.ts(p.updated_at);
        p
    });
    out.stocks = j
        .stocks
        .iter()
        .enumerate()
        .map(|(i, x)| {
            let mut x = x.clone();
            x.id = i as i64 + 1;
            x.stock.name = format!("Stock {}", x.id);
            x.stock.lot = None;
            x.stock.note = None;
            x.stock.expiry = x.stock.expiry.map(|d| s.date(d));
            x.stock.opened = x.stock.opened.map(|d| s.date(d));
            x.stock.created_at = s.ts(x.stock.created_at);
            x.retired_at = x.retired_at.map(|t| s.ts(t));
            x.retire_reason = None;
            x
        })
        .collect();
    out.stock_events = j
        .stock_events
        .iter()
        .enumerate()
        .map(|(i, e)| {
            let mut e = e.clone();
            e.id = i as i64 + 1;
            e.stock_id = stocks.get(&e.stock_id).copied().unwrap_or(0);
            e.dose_id = e.dose_id.and_then(|d| doses.get(&d).copied());
            e.at = s.ts(e.at);
            e.reason = None;
            e
        })
        .collect();
    out.protocols = j
        .protocols
        .iter()
        .enumerate()
        .map(|(i, p)| {
            let mut p = p.clone();
            p.id = i as i64 + 1;
            let x = &mut p.protocol;
            x.name = format!("Protocol {}", p.id);
            x.note = None;
            x.zone = "UTC".into();
            x.start = s.date(x.start);
            x.end = x.end.map(|d| s.date(d));
            x.stock_id = x.stock_id.and_then(|i| stocks.get(&i).copied());
            x.limits.refill_date = x.limits.refill_date.map(|d| s.date(d));
            for pause in &mut p.pauses {
                pause.from = s.date(pause.from);
                pause.to = pause.to.map(|d| s.date(d));
            }
            p.created_at = s.ts(p.created_at);
            p.ended_at = p.ended_at.map(|t| s.ts(t));
            p
        })
        .collect();
    out.protocol_events = j
        .protocol_events
        .iter()
        .enumerate()
        .map(|(i, e)| {
            let mut e = e.clone();
            e.id = i as i64 + 1;
            e.protocol_id = protocols.get(&e.protocol_id).copied().unwrap_or(0);
            e.at = s.ts(e.at);
            e.date = s.date(e.date);
            e.detail = None;
            e
        })
        .collect();
    out.doses = j
        .doses
        .iter()
        .enumerate()
        .map(|(i, d)| {
            let mut d = d.clone();
            d.id = i as i64 + 1;
            d.dose = clean_dose(&d.dose, &s, &stocks, &protocols);
            d.created_at = s.ts(d.created_at);
            d.updated_at = d.updated_at.map(|t| s.ts(t));
            d.deleted_at = d.deleted_at.map(|t| s.ts(t));
            d
        })
        .collect();
    out.dose_revisions = j
        .dose_revisions
        .iter()
        .enumerate()
        .map(|(i, r)| {
            let mut r = r.clone();
            r.id = i as i64 + 1;
            r.dose_id = doses.get(&r.dose_id).copied().unwrap_or(0);
            r.at = s.ts(r.at);
            r.previous = clean_dose(&r.previous, &s, &stocks, &protocols);
            r.reason = None;
            r
        })
        .collect();
    out.checkins = j
        .checkins
        .iter()
        .enumerate()
        .map(|(i, c)| {
            let mut c = c.clone();
            c.id = i as i64 + 1;
            c.checkin = clean_checkin(&c.checkin, &s);
            c.created_at = s.ts(c.created_at);
            c.updated_at = c.updated_at.map(|t| s.ts(t));
            c.deleted_at = c.deleted_at.map(|t| s.ts(t));
            c
        })
        .collect();
    out.checkin_revisions = j
        .checkin_revisions
        .iter()
        .enumerate()
        .map(|(i, r)| {
            let mut r = r.clone();
            r.id = i as i64 + 1;
            r.checkin_id = checkins.get(&r.checkin_id).copied().unwrap_or(0);
            r.at = s.ts(r.at);
            r.previous = clean_checkin(&r.previous, &s);
            r.reason = None;
            r
        })
        .collect();
    out.medications = j
        .medications
        .iter()
        .enumerate()
        .map(|(i, m)| {
            let mut m = m.clone();
            m.id = i as i64 + 1;
            m.medication.name = class_of(&m.medication.name);
            m.medication.dose = None;
            m.medication.note = None;
            m.medication.since = m.medication.since.map(|d| s.date(d));
            m.medication.added_at = s.ts(m.medication.added_at);
            m.removed_at = m.removed_at.map(|t| s.ts(t));
            m
        })
        .collect();
    out.substance_uses = j
        .substance_uses
        .iter()
        .enumerate()
        .map(|(i, u)| {
            let mut u = u.clone();
            u.id = i as i64 + 1;
            u.usage.name = class_of(&u.usage.name);
            u.usage.amount = None;
            u.usage.note = None;
            u.usage.zone = "UTC".into();
            u.usage.at = s.ts(u.usage.at);
            u.created_at = s.ts(u.created_at);
            u
        })
        .collect();
    out.vitals = j
        .vitals
        .iter()
        .enumerate()
        .map(|(i, v)| {
            let mut v = v.clone();
            v.id = i as i64 + 1;
            v.vitals.note = None;
            v.vitals.zone = "UTC".into();
            v.vitals.at = s.ts(v.vitals.at);
            v.created_at = s.ts(v.created_at);
            v
        })
        .collect();
    out.assessments = j
        .assessments
        .iter()
        .enumerate()
        .map(|(i, a)| {
            let mut a = a.clone();
            a.id = i as i64 + 1;
            a.assessment.at = s.ts(a.assessment.at);
            a.assessment.zone = "UTC".into();
            a.assessment.note = None;
            a.created_at = s.ts(a.created_at);
            a
        })
        .collect();
    out.clearances = j
        .clearances
        .iter()
        .enumerate()
        .map(|(i, c)| {
            let mut c = c.clone();
            c.id = i as i64 + 1;
            c.at = s.ts(c.at);
            c.note = None;
            c
        })
        .collect();
    out
}
