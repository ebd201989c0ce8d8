//! Today at a glance: where today sits in each protocol, doses and check-ins so far, what to
//! keep in mind after a dose, questionnaires due, trend findings, stock running low.

use crate::Result;
use dosewise_core::checkin::Checkin;
use dosewise_core::dose::Dose;
use dosewise_core::jiff::civil::Date;
use dosewise_core::jiff::tz::TimeZone;
use dosewise_core::jiff::{SignedDuration, Span, Timestamp};
use dosewise_core::knowledge::route_facts;
use dosewise_core::protocol::{Protocol, ProtocolEventKind};
use dosewise_core::safety::Finding;
use dosewise_core::schedule::{
    CyclePosition, DayKind, cycle_position, day_kind, next_planned, slot,
};
use dosewise_core::stock::{StockStatus, stock_status};
use dosewise_core::titration::{Proposal, propose};
use dosewise_core::when::{friendly, friendly_on};
use dosewise_store::{Store, Window};
use serde::Serialize;

/// Where today sits in one current protocol.
#[derive(Debug, Clone, Serialize)]
pub struct ProtocolToday {
    pub id: i64,
    pub name: String,
    pub day: DayKind,
    pub cycle: Option<CyclePosition>,
    pub next: Option<Date>,
    pub titration: Option<Proposal>,
    /// The same in one sentence.
    pub summary: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct Today {
    pub date: Date,
    pub zone: Option<String>,
    pub doses_today: Vec<Dose>,
    pub dose_mg_base_today: f64,
    pub last_dose: Option<Dose>,
    pub last_checkin: Option<Checkin>,
    pub checked_in_today: bool,
    pub stock: Vec<StockStatus>,
    pub protocols: Vec<ProtocolToday>,
    /// What to keep in mind in the hours after the last dose (within 12 h).
    pub after_dose: Vec<String>,
    /// Trend findings (tolerance, frequency creep).
    pub findings: Vec<Finding>,
    /// The days around today: planned, taken, missed.
    pub week: Vec<WeekDay>,
    /// What needs attention now, most severe first: the findings every dose would carry
    /// (interactions, red flags, vitals, the screen, long use — `dosewise check`) and the trends.
    /// Thoughts of self-harm (a PHQ-9 item 9 answer or a check-in's words) are among them
    /// (`self_harm_thoughts`) for as long as the safety check keeps them (30 / 7 days).
    pub attention: Vec<Finding>,
    /// Today's doses saved despite a refusal: overridden with a reason, or recorded as already
    /// taken.
    pub despite_today: Vec<Dose>,
    /// The crisis line the person set, for the support card.
    pub crisis_line: Option<String>,
    /// How to reach the person's clinician (from the profile).
    pub clinician: Option<String>,
    /// The journal has a profile: it has been set up (a new one has not, and opens the setup).
    pub set_up: bool,
    pub questionnaires_due: Vec<String>,
    /// The health screen is due: never answered, or last answered 6 months ago or more.
    pub screen_due: bool,
    /// Notes from the clinic (pulled by sync) of the last [`NOTE_DAYS`] days, newest first, at
    /// most [`NOTES_SHOWN`].
    pub clinic_notes: Vec<dosewise_core::share::ClinicNote>,
    /// A blinded trial running today.
    pub trial: Option<TrialToday>,
}

/// Today in a running blinded trial.
#[derive(Debug, Clone, Serialize)]
pub struct TrialToday {
    /// The trial's day number, from 1.
    pub day: u32,
    /// Today's container code on a dosing day (none on a washout day).
    pub code: Option<String>,
    pub taken_today: bool,
    pub guessed_today: bool,
}

/// One day of the week strip on Today: planned or not, doses taken, and whether it is past.
#[derive(Debug, Clone, Serialize)]
pub struct WeekDay {
    pub date: Date,
    /// A current protocol plans a dose that day.
    pub planned: bool,
    /// A protocol is paused or on a break that day.
    pub resting: bool,
    /// Doses logged that day (deleted ones left out).
    pub taken: usize,
    pub is_today: bool,
    /// Before today.
    pub past: bool,
}

impl WeekDay {
    /// In words, for the strip's cells and screen readers.
    pub fn state(&self) -> &'static str {
        match (self.planned, self.taken) {
            (true, 0) if self.past => "missed",
            (true, 0) if self.is_today => "planned today",
            (true, 0) => "planned",
            (true, _) => "taken",
            (false, 0) if self.resting => "break",
            (false, 0) => "no dose planned",
            (false, _) => "taken, not planned",
        }
    }
}

/// The days Today's strip shows: the last [`WEEK_BACK`] days, today, and the next few.
pub const WEEK_BACK: i64 = 3;
/// See [`WEEK_BACK`].
pub const WEEK_AHEAD: i64 = 3;

/// How far back Today shows notes from the clinic.
pub const NOTE_DAYS: i64 = 30;
/// How many notes from the clinic Today shows.
pub const NOTES_SHOWN: usize = 3;

/// Today in `tz` at `now`.
pub async fn today<S: Store>(store: &S, now: Timestamp, tz: &TimeZone) -> Result<Today> {
    let local = now.to_zoned_datetime(tz.clone());
    let date = local.date();
    let start = local.start_of_day().map_or(now, |z| z.timestamp());
    let doses_today = store.doses(Window::since(Some(start))).await?;
    let last_dose = store.recent_doses(1).await?.into_iter().next();
    let last_checkin = store.last_checkin().await?;
    let recent = store.doses(Window::last_days(now, 28)).await?;
    let stock = store
        .stocks(false)
        .await?
        .iter()
        .map(|s| {
            let used: f64 = recent
                .iter()
                .filter(|d| d.dose.stock_id == Some(s.id))
                .filter_map(|d| d.dose.supply_used)
                .sum();
            stock_status(s, used, date)
        })
        .collect();
    let current = store.protocols(false).await?;
    let mut protocols = Vec::new();
    for p in &current {
        protocols.push(ProtocolToday {
            id: p.id,
            name: p.protocol.name.clone(),
            day: day_kind(p, date),
            cycle: cycle_position(p, date),
            next: next_planned(p, date, 1).first().copied(),
            titration: proposal(store, p, tz, date, now).await?,
            summary: protocol_line(p, date, tz),
        });
    }
    let recent_doses = store.doses(Window::last_days(now, 56)).await?;
    let week = (-WEEK_BACK..=WEEK_AHEAD)
        .filter_map(|k| date.checked_add(Span::new().days(k)).ok())
        .map(|day| WeekDay {
            date: day,
            planned: current.iter().any(|p| day_kind(p, day) == DayKind::Dose),
            resting: current
                .iter()
                .any(|p| matches!(day_kind(p, day), DayKind::Break | DayKind::Paused)),
            taken: recent_doses
                .iter()
                .filter(|d| d.deleted_at.is_none())
                .filter(|d| d.dose.at.to_zoned_datetime(tz.clone()).date() == day)
                .count(),
            is_today: day == date,
            past: day < date,
        })
        .collect();
    let recent_checkins = store.checkins(Window::last_days(now, 56)).await?;
    let findings = dosewise_core::trends::trends(&recent_doses, &recent_checkins, now).findings;
    let past = store.assessments(Window::default()).await?;
    let questionnaires_due = dosewise_core::questionnaire::due(&past, now)
        .into_iter()
        .filter(|d| d.due)
        .map(|d| d.instrument.id.clone())
        .collect();
    let after_dose = last_dose
        .as_ref()
        .filter(|d| now.duration_since(d.dose.at) < SignedDuration::from_hours(12))
        .map(|d| {
            let proto = current.iter().find(|p| Some(p.id) == d.dose.protocol_id);
            post_dose(d, proto, now, tz)
        })
        .unwrap_or_default();
    let profile = store.profile().await?;
    let screen_due = dosewise_core::screen::due(profile.as_ref().and_then(|p| p.screened_at), now);
    let mut attention = crate::safety::standing(store, now, tz, current.first()).await?;
    attention.extend(findings.iter().cloned());
    attention.sort_by_key(|f| std::cmp::Reverse(f.severity));
    let despite_today = doses_today
        .iter()
        .filter(|d| d.saved_despite_refusal())
        .cloned()
        .collect();
    let clinic_notes = crate::share::notes(store)
        .await?
        .into_iter()
        .filter(|n| now.duration_since(n.at) < SignedDuration::from_hours(NOTE_DAYS * 24))
        .take(NOTES_SHOWN)
        .collect();
    let trial = crate::trial::progress(store, now)
        .await?
        .and_then(|p| match p.state {
            dosewise_core::trial_record::State::Running { day, today } => Some(TrialToday {
                day,
                code: today.map(|d| d.code),
                taken_today: p.taken_today,
                guessed_today: p.guessed_today,
            }),
            _ => None,
        });
    Ok(Today {
        trial,
        clinic_notes,
        screen_due,
        date,
        zone: tz.iana_name().map(str::to_string),
        dose_mg_base_today: doses_today.iter().map(|d| d.dose.dose_mg_base).sum(),
        doses_today,
        last_dose,
        checked_in_today: last_checkin.as_ref().is_some_and(|c| c.checkin.at >= start),
        last_checkin,
        stock,
        protocols,
        after_dose,
        findings,
        week,
        attention,
        despite_today,
        set_up: profile.is_some(),
        crisis_line: profile.as_ref().and_then(|p| p.crisis_line.clone()),
        clinician: profile.and_then(|p| p.clinician),
        questionnaires_due,
    })
}

/// The titration proposal for a protocol with a ladder, from the check-ins around its last step
/// and the safety check's open red flags now (any of which blocks a step up).
pub async fn proposal<S: Store>(
    store: &S,
    p: &Protocol,
    tz: &TimeZone,
    today: Date,
    now: Timestamp,
) -> Result<Option<Proposal>> {
    let (Some(t), Some(current)) = (&p.protocol.titration, p.protocol.dose.mg) else {
        return Ok(None);
    };
    let events = store.protocol_events(p.id).await?;
    let last_step = events
        .iter()
        .rev()
        .find(|e| {
            matches!(
                e.kind,
                ProtocolEventKind::DoseChanged | ProtocolEventKind::Created
            )
        })
        .map_or(p.protocol.start, |e| e.date)
        .max(p.protocol.start);
    let day_start = |d: Date| d.to_zoned_datetime(tz.clone()).map(|z| z.timestamp()).ok();
    let base_from = last_step
        .checked_sub(Span::new().days(i64::from(t.min_days_per_step)))
        .ok();
    let since = store.checkins(Window::since(day_start(last_step))).await?;
    let baseline = store
        .checkins(Window {
            from: base_from.and_then(day_start),
            to: day_start(last_step),
            include_deleted: false,
        })
        .await?;
    let red_flags: Vec<Finding> = crate::safety::standing(store, now, tz, Some(p))
        .await?
        .into_iter()
        .filter(|f| dosewise_core::safety::is_red_flag(&f.code))
        .collect();
    Ok(Some(propose(
        t, current, last_step, today, &since, &baseline, &red_flags,
    )))
}

/// One sentence on where today sits in a protocol.
pub fn protocol_line(p: &Protocol, today: Date, tz: &TimeZone) -> String {
    let x = &p.protocol;
    let kind = day_kind(p, today);
    let pattern = x.pattern.describe();
    let mut s = if x.name == pattern {
        format!("Today is {} under \"{}\"", kind.label(), x.name)
    } else {
        format!("Today is {} under \"{}\" ({pattern})", kind.label(), x.name)
    };
    if kind == DayKind::Dose {
        s.push_str(&format!(
            ": planned {} {}",
            x.dose.entered,
            friendly_on(slot(p, today, tz), tz, today)
        ));
    }
    if let Some(c) = cycle_position(p, today) {
        if c.in_break {
            s.push_str(&format!(
                ". Break day {} of {} after cycle {}",
                c.day, c.phase_days, c.cycle
            ));
        } else {
            s.push_str(&format!(
                ". Cycle {}, day {} of {}",
                c.cycle, c.day, c.phase_days
            ));
        }
    }
    if kind != DayKind::Dose
        && let Some(next) = next_planned(p, today, 1).first()
    {
        s.push_str(&format!(
            ". Next planned dose: {}",
            friendly_on(slot(p, *next, tz), tz, today)
        ));
    }
    s.push('.');
    s
}

/// What to keep in mind after a dose: no driving, when effects peak, the protocol's checks.
pub fn post_dose(d: &Dose, proto: Option<&Protocol>, now: Timestamp, tz: &TimeZone) -> Vec<String> {
    let x = &d.dose;
    let since = now.duration_since(x.at);
    let mut out = vec![format!(
        "After your dose {} ({}): do not drive or operate machinery until tomorrow, after a night's sleep [SPRAVATO US label, H].",
        friendly(x.at, &x.zone, now, tz),
        x.route
    )];
    if let Some(t) = route_facts(x.substance, x.route).and_then(|f| f.timing.as_ref()) {
        out.push(format!(
            "Effects by this route: peak {} [{}].",
            t.peak, t.source
        ));
    }
    if let Some(p) = proto {
        if p.protocol.require_bp && since < SignedDuration::from_hours(2) {
            let at =
                x.at.checked_add(SignedDuration::from_mins(40))
                    .unwrap_or(x.at);
            out.push(format!(
                "Your protocol asks for a blood-pressure check about 40 minutes after the dose ({}); record it as a post-dose reading. Blood pressure peaks at about 40 minutes [SPRAVATO US label section 5.6, H].",
                friendly(at, "", now, tz)
            ));
        }
        if p.protocol.require_sitter && since < SignedDuration::from_hours(4) {
            out.push("Sitter checklist, as home-treatment programmes ask: a sober adult stays with you for about 2 hours and helps you to the bathroom; you stay seated or lying down. Severe headache, chest pain or confusion (signs of a blood-pressure crisis): emergency care [Mindbloom, Nue Life and Choose Ketamine programme rules, M; SPRAVATO US label section 5.6, H].".into());
        }
    }
    // Taken despite a refusal (overridden, or recorded as already taken): what to look out for
    // in the hours after it.
    if d.saved_despite_refusal() {
        for a in dosewise_core::knowledge::after_a_refused_dose() {
            out.push(format!("{} [{}]", a.text, a.sources.join("; ")));
        }
    }
    out
}
