//! Protocols, the same way on every surface: start one from what a person typed (the pattern,
//! dose, time, cycle, titration ladder, limits), change it, pause, resume or end it. Each change
//! is kept in the protocol's history (with the day it applies from).

use crate::{Result, input};
use dosewise_core::dose_expr::{Quantity, parse_quantity};
use dosewise_core::jiff::Timestamp;
use dosewise_core::jiff::civil::{Date, Time};
use dosewise_core::protocol::{
    Cycle, DoseTarget, Limits, NewProtocol, Pattern, Pause, Protocol, ProtocolEventKind, Status,
    Titration, WeekdayName, parse_days, parse_hours,
};
use dosewise_core::route::{Route, Substance};
use dosewise_core::stock::Stock;
use dosewise_core::{text, when};
use dosewise_store::Store;
use std::collections::BTreeSet;

/// Pause from `from` (a day): no dose is planned until it is resumed.
pub async fn pause<S: Store>(
    store: &S,
    mut p: Protocol,
    from: Date,
    now: Timestamp,
) -> Result<Protocol> {
    if p.status != Status::Active {
        return Err(crate::conflict(format!(
            "protocol {} is {}, not active",
            p.id,
            p.status.as_str()
        )));
    }
    p.status = Status::Paused;
    p.pauses.push(Pause { from, to: None });
    Ok(store
        .save_protocol(&p, ProtocolEventKind::Paused, None, now, from)
        .await?)
}

/// Resume a paused protocol from `today`; the pause ends yesterday (a pause begun today and
/// ended today never took effect, so it is dropped).
pub async fn resume<S: Store>(
    store: &S,
    mut p: Protocol,
    today: Date,
    now: Timestamp,
) -> Result<Protocol> {
    if p.status != Status::Paused {
        return Err(crate::conflict(format!(
            "protocol {} is {}, not paused",
            p.id,
            p.status.as_str()
        )));
    }
    let yesterday = today.yesterday().unwrap_or(today);
    if let Some(last) = p.pauses.last_mut() {
        last.to = Some(yesterday.max(last.from));
        if last.from > yesterday {
            p.pauses.pop();
        }
    }
    p.status = Status::Active;
    Ok(store
        .save_protocol(&p, ProtocolEventKind::Resumed, None, now, today)
        .await?)
}

/// End a protocol today. Its history stays in the journal.
pub async fn end<S: Store>(
    store: &S,
    mut p: Protocol,
    today: Date,
    now: Timestamp,
) -> Result<Protocol> {
    if p.status == Status::Ended {
        return Err(crate::conflict(format!(
            "protocol {} has already ended",
            p.id
        )));
    }
    p.status = Status::Ended;
    p.ended_at = Some(now);
    if let Some(last) = p.pauses.last_mut().filter(|x| x.to.is_none()) {
        last.to = Some(today);
    }
    Ok(store
        .save_protocol(&p, ProtocolEventKind::Ended, None, now, today)
        .await?)
}

/// Limits as a person types them ("25mg", "48h", "140/90"); a field left empty leaves that
/// limit as it is.
#[derive(Debug, Clone, Default, serde::Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct LimitsRequest {
    pub max_dose: Option<String>,
    pub max_day: Option<String>,
    pub max_week: Option<String>,
    pub min_interval: Option<String>,
    /// Supply dispensed under the prescription (troches or mL).
    pub dispensed: Option<f64>,
    /// The next refill, YYYY-MM-DD.
    pub refill: Option<String>,
    pub bp_warn_above: Option<String>,
    pub bp_refuse_from: Option<String>,
}

/// An amount of ketamine typed as a mass ("25mg", "0.025 g").
fn mass(what: &str, s: Option<&str>) -> Result<Option<f64>> {
    s.map(|v| {
        dosewise_core::dose_expr::parse_mass(v)
            .map(|m| m.value())
            .map_err(|e| input(format!("{what}: {e}")))
    })
    .transpose()
}

impl LimitsRequest {
    /// Whether anything is asked to change.
    pub fn any(&self) -> bool {
        self.max_dose.is_some()
            || self.max_day.is_some()
            || self.max_week.is_some()
            || self.min_interval.is_some()
            || self.dispensed.is_some()
            || self.refill.is_some()
            || self.bp_warn_above.is_some()
            || self.bp_refuse_from.is_some()
    }

    /// Apply to `l`; the blood-pressure tiers are checked together (warning below refusal).
    pub fn apply(&self, l: &mut Limits) -> Result<()> {
        if let Some(v) = mass("maximum dose", self.max_dose.as_deref())? {
            l.max_per_dose_mg = Some(v);
        }
        if let Some(v) = mass("maximum a day", self.max_day.as_deref())? {
            l.max_per_day_mg = Some(v);
        }
        if let Some(v) = mass("maximum in 7 days", self.max_week.as_deref())? {
            l.max_per_7_days_mg = Some(v);
        }
        if let Some(s) = &self.min_interval {
            l.min_interval_hours = Some(parse_hours(s).map_err(input)?);
        }
        if let Some(d) = self.dispensed {
            l.supply_dispensed = Some(d);
        }
        if let Some(r) = &self.refill {
            l.refill_date = Some(crate::period::parse_date("refill date", r)?);
        }
        let bp = |what: &str, v: &str| {
            dosewise_core::vitals::parse_bp_limit(v).map_err(|e| input(format!("{what}: {e}")))
        };
        if let Some(v) = &self.bp_warn_above {
            l.bp_warn_above = Some(bp("blood pressure that warns", v)?);
        }
        if let Some(v) = &self.bp_refuse_from {
            l.bp_refuse_from = Some(bp("blood pressure that refuses", v)?);
        }
        let (warn, refuse) = l.bp_tiers();
        dosewise_core::vitals::check_tiers(warn, refuse).map_err(input)?;
        Ok(())
    }
}

/// A titration ladder as typed: all four or none.
#[derive(Debug, Clone, Default, serde::Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct TitrationRequest {
    /// The first rung ("10mg").
    pub start: Option<String>,
    /// The step between rungs ("5mg").
    pub step: Option<String>,
    /// The least time on each rung ("14d").
    pub every: Option<String>,
    /// The ceiling set by the person or their clinician ("30mg").
    pub ceiling: Option<String>,
}

/// A new protocol as a person asks for it, in their words.
#[derive(Debug, Clone, Default, serde::Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ProtocolRequest {
    pub name: Option<String>,
    /// A stock id or name; none picks the only active stock, if there is one.
    pub stock: Option<String>,
    /// For a protocol without stock.
    pub substance: Option<Substance>,
    /// Every N days.
    pub every: Option<u32>,
    /// "4/3": days on, days off.
    pub on_off: Option<String>,
    /// "mon", "thu", …
    pub weekdays: Vec<String>,
    pub daily: bool,
    /// As needed: at most this many doses a week (with `limits.min_interval` between them).
    pub weekly_cap: Option<u32>,
    /// The planned dose ("1/2 troche", "12.5mg").
    pub dose: String,
    /// The local time of a planned dose, HH:MM.
    pub time: String,
    /// First day (default today), last day (none: open).
    pub start: Option<String>,
    pub end: Option<String>,
    pub route: Option<Route>,
    /// A cycle of this long on ("6w") then `break_days` off ("2w").
    pub cycle: Option<String>,
    pub break_days: Option<String>,
    pub titration: TitrationRequest,
    pub limits: LimitsRequest,
    /// A daily check-in reminder, HH:MM.
    pub checkin_time: Option<String>,
    /// Ask for a blood-pressure reading before each dose.
    pub require_bp: bool,
    /// Ask for someone present at each dose.
    pub sitter: bool,
    pub note: Option<String>,
    /// An explicit zone (IANA name); otherwise the profile's.
    pub zone: Option<String>,
}

/// A protocol started, and the one it replaced (a substance has one current protocol).
#[derive(Debug, Clone)]
pub struct Started {
    pub protocol: Protocol,
    pub replaced: Option<Protocol>,
}

fn time_of_day(s: &str) -> Result<Time> {
    s.trim()
        .parse::<Time>()
        .map_err(|e| input(format!("{s:?} is not a time of day (use HH:MM): {e}")))
}

/// The planned dose, resolved through the stock when there is one.
pub(crate) fn dose_target(amount: &str, stock: Option<&Stock>) -> Result<DoseTarget> {
    let quantity = parse_quantity(amount).map_err(input)?;
    let mg = match (stock, &quantity) {
        (Some(s), q) => Some(
            s.stock
                .preparation
                .resolve(q)
                .map_err(input)?
                .mass
                .mg
                .value(),
        ),
        (None, Quantity::Mg(m)) => Some(m.value()),
        (None, q) => {
            return Err(input(format!(
                "{} needs a stock to be converted to mg: name the stock, or give the dose in mg",
                q.class()
            )));
        }
    };
    if mg.is_some_and(|m| m > dosewise_core::plausible::MAX_DOSE_MG) {
        return Err(input(
            "the planned dose is above 1000 mg; that looks like a unit mistake",
        ));
    }
    Ok(DoseTarget {
        entered: amount.trim().to_string(),
        quantity,
        mg,
    })
}

/// Start a protocol; the substance's current one, if any, ends (both keep their history).
pub async fn add<S: Store>(store: &S, req: &ProtocolRequest, now: Timestamp) -> Result<Started> {
    let profile = store.profile().await?;
    let tz = crate::zone(req.zone.as_deref(), profile.as_ref())?;
    let today = now.to_zoned_datetime(tz.clone()).date();
    let stock = match &req.stock {
        Some(k) => Some(crate::dose::find_stock(store, k).await?),
        None => {
            let mut active = store.stocks(false).await?;
            if active.len() == 1 {
                active.pop()
            } else {
                None
            }
        }
    };
    if stock.is_some() && req.substance.is_some() {
        return Err(input(
            "the substance is for protocols without stock; the stock states its own",
        ));
    }
    let pattern = if let Some(n) = req.every {
        Pattern::EveryNDays { n }
    } else if let Some(s) = &req.on_off {
        let (on, off) = s
            .split_once('/')
            .and_then(|(a, b)| Some((a.trim().parse().ok()?, b.trim().parse().ok()?)))
            .ok_or_else(|| {
                input(format!(
                    "days on/off {s:?}: write days on/days off, e.g. 4/3"
                ))
            })?;
        Pattern::OnOff { on, off }
    } else if !req.weekdays.is_empty() {
        let days = req
            .weekdays
            .iter()
            .map(|w| {
                WeekdayName::parse(w)
                    .ok_or_else(|| input(format!("{w:?} is not a weekday (mon, tue, …)")))
            })
            .collect::<Result<BTreeSet<_>>>()?;
        Pattern::Weekdays { days }
    } else if req.daily {
        Pattern::EveryNDays { n: 1 }
    } else {
        let hours = parse_hours(req.limits.min_interval.as_deref().unwrap_or("")).map_err(input)?;
        Pattern::AsNeeded {
            min_interval_hours: hours.ceil() as u32,
            weekly_cap: req.weekly_cap.unwrap_or(0),
        }
    };
    let mut limits = Limits::default();
    req.limits.apply(&mut limits)?;
    let cycle = match (&req.cycle, &req.break_days) {
        (Some(c), Some(b)) => Some(Cycle {
            on_days: parse_days(c).map_err(input)?,
            break_days: parse_days(b).map_err(input)?,
        }),
        _ => None,
    };
    let t = &req.titration;
    let titration = match (
        mass("first titration step", t.start.as_deref())?,
        mass("titration step", t.step.as_deref())?,
        mass("ceiling", t.ceiling.as_deref())?,
    ) {
        (Some(start_mg), Some(step_mg), Some(ceiling_mg)) => Some(Titration {
            start_mg,
            step_mg,
            ceiling_mg,
            min_days_per_step: parse_days(t.every.as_deref().unwrap_or("")).map_err(input)?,
        }),
        (None, None, None) => None,
        _ => {
            return Err(input(
                "a titration ladder needs its first step, its step, its time per step and its ceiling",
            ));
        }
    };
    let new = NewProtocol {
        name: match &req.name {
            Some(n) => text::label("protocol name", n).map_err(input)?,
            None => pattern.describe(),
        },
        substance: stock
            .as_ref()
            .map(|s| s.stock.preparation.substance)
            .or(req.substance)
            .unwrap_or(Substance::Ketamine),
        pattern,
        start: match &req.start {
            Some(s) => crate::period::parse_date("start", s)?,
            None => today,
        },
        end: req
            .end
            .as_deref()
            .map(|e| crate::period::parse_date("end", e))
            .transpose()?,
        time: time_of_day(&req.time)?,
        zone: when::zone_name(&tz),
        dose: dose_target(&req.dose, stock.as_ref())?,
        stock_id: stock.as_ref().map(|s| s.id),
        route: req.route,
        cycle,
        titration,
        limits,
        checkin_time: req.checkin_time.as_deref().map(time_of_day).transpose()?,
        require_bp: req.require_bp,
        require_sitter: req.sitter,
        note: text::note(req.note.as_deref()).map_err(input)?,
    };
    new.validate().map_err(input)?;
    let replaced = store.current_protocol(new.substance).await?;
    let protocol = store.add_protocol(&new, now, today).await?;
    Ok(Started { protocol, replaced })
}

/// A change to a current protocol, as typed; what is not given stays.
#[derive(Debug, Clone, Default, serde::Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ChangeRequest {
    pub dose: Option<String>,
    pub time: Option<String>,
    pub end: Option<String>,
    pub checkin_time: Option<String>,
    pub limits: LimitsRequest,
    /// Why (kept in the history).
    pub reason: Option<String>,
}

/// Change a protocol's dose, time, end, reminder or limits; the change is kept in its history
/// (a dose change as such, which titration reads). Returns the protocol and the history line.
pub async fn change<S: Store>(
    store: &S,
    mut p: Protocol,
    req: &ChangeRequest,
    today: Date,
    now: Timestamp,
) -> Result<(Protocol, String)> {
    if p.status == Status::Ended {
        return Err(input("this protocol has ended; start a new one instead"));
    }
    let reason = text::opt_label("reason", req.reason.as_deref()).map_err(input)?;
    let mut changes = Vec::new();
    let mut kind = ProtocolEventKind::Changed;
    if let Some(d) = &req.dose {
        let stock = match p.protocol.stock_id {
            Some(id) => store.stock(id).await?,
            None => None,
        };
        let target = dose_target(d, stock.as_ref())?;
        changes.push(format!(
            "dose {} → {}",
            p.protocol.dose.entered, target.entered
        ));
        p.protocol.dose = target;
        kind = ProtocolEventKind::DoseChanged;
    }
    if let Some(t) = &req.time {
        p.protocol.time = time_of_day(t)?;
        changes.push(format!("time {}", p.protocol.time.strftime("%H:%M")));
    }
    if let Some(e) = &req.end {
        p.protocol.end = Some(crate::period::parse_date("end", e)?);
        changes.push(format!("end {e}"));
    }
    if let Some(t) = &req.checkin_time {
        p.protocol.checkin_time = Some(time_of_day(t)?);
        changes.push(format!("check-in reminder {t}"));
    }
    if req.limits.any() {
        req.limits.apply(&mut p.protocol.limits)?;
        changes.push(format!(
            "limits: {}",
            p.protocol.limits.describe().join(", ")
        ));
    }
    if changes.is_empty() {
        return Err(input(
            "nothing to change: give a new dose, time, end, check-in time or limit",
        ));
    }
    p.protocol.validate().map_err(input)?;
    let mut detail = changes.join("; ");
    if let Some(r) = reason {
        detail.push_str(&format!(" ({r})"));
    }
    let p = store
        .save_protocol(&p, kind, Some(&detail), now, today)
        .await?;
    Ok((p, detail))
}

/// A planned dose ahead.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Planned {
    /// The local day.
    pub date: Date,
    /// The planned instant on that day (in the protocol's time, moved past a DST gap).
    pub at: Timestamp,
    /// The planned dose as the protocol states it.
    pub dose: String,
}

/// The next `count` planned doses of a protocol from `today` on (`dosewise protocol next`).
pub fn upcoming(
    p: &Protocol,
    today: Date,
    tz: &dosewise_core::jiff::tz::TimeZone,
    count: usize,
) -> Vec<Planned> {
    dosewise_core::schedule::next_planned(p, today, count)
        .into_iter()
        .map(|date| Planned {
            date,
            at: dosewise_core::schedule::slot(p, date, tz),
            dose: p.protocol.dose.entered.clone(),
        })
        .collect()
}
