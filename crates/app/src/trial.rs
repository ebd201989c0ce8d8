//! The self-blinded trial's sealed allocation (the analysis is `dosewise_core::trial`).
//!
//! Planning draws each block's order from the system's cryptographic randomness and gives each
//! dosing day a short container code. What the journal may keep is sealed (age, X25519) to a key
//! the person or the clinician holds: every day's condition on its own, so that an emergency
//! unblinding of one day opens that day only, and the whole allocation for the end. The helper
//! who fills the containers gets the fill list (code → active or placebo) on paper; the journal
//! never holds it in the clear, and without the key nothing in it tells the days apart.

use crate::backup::{Opening, Sealing, open, seal};
use crate::{AppError, Result, input};
use dosewise_core::jiff::civil::Date;
use dosewise_core::jiff::tz::TimeZone;
use dosewise_core::jiff::{self as jiff, Timestamp};
use dosewise_core::journal::Journal;
use dosewise_core::text;
use dosewise_core::trial::Guess;
use dosewise_core::trial::{Condition, Design};
use dosewise_core::trial_record::{
    Evaluated, NewTrial, NewTrialEvent, Outcome, SealedDay, State, Trial, TrialEvent,
    TrialEventKind, TrialGuess, evaluate, state, unblinded_days,
};
use dosewise_store::{Store, Window};

/// Container codes: letters and digits that are hard to confuse when read aloud or printed.
const ALPHABET: &[u8] = b"ACDEFHJKMNPRTUVWXY3479";
const CODE_LEN: usize = 5;

/// A planned allocation as the journal keeps it: nothing in it says which days are active.
#[derive(Debug, Clone, PartialEq)]
pub struct SealedPlan {
    pub design: Design,
    /// The age public key everything is sealed to.
    pub recipient: String,
    pub days: Vec<SealedDay>,
    /// The whole allocation (every block's order), for the end of the trial.
    pub allocation: Vec<u8>,
}

/// What planning hands out once, never kept in the journal.
#[derive(Debug, Clone, PartialEq)]
pub struct Handout {
    /// For the helper who fills the containers: each code and what goes in it.
    pub fill_list: Vec<(String, Condition)>,
    /// The secret key, when Dosewise made it (no recipient was given): for the key holder.
    pub identity: Option<String>,
}

fn random_bytes(n: usize) -> Result<Vec<u8>> {
    let mut b = vec![0u8; n];
    getrandom::getrandom(&mut b)
        .map_err(|e| AppError::Input(format!("no randomness from the system: {e}")))?;
    Ok(b)
}

fn code() -> Result<String> {
    // Rejection sampling keeps every symbol equally likely.
    let mut out = String::with_capacity(CODE_LEN);
    while out.len() < CODE_LEN {
        for b in random_bytes(16)? {
            let limit = 256 - 256 % ALPHABET.len();
            if usize::from(b) < limit && out.len() < CODE_LEN {
                out.push(char::from(ALPHABET[usize::from(b) % ALPHABET.len()]));
            }
        }
    }
    Ok(out)
}

fn condition_text(c: Condition) -> &'static [u8] {
    match c {
        Condition::Active => b"active",
        Condition::Placebo => b"placebo",
    }
}

/// Plan a trial: draw the orders and codes, seal them to `recipient` (an age public key; with
/// none, a new key is made and handed out).
pub fn plan(design: &Design, recipient: Option<&str>) -> Result<(SealedPlan, Handout)> {
    design.check().map_err(input)?;
    let (recipient, identity) = match recipient.map(str::trim) {
        Some(r) => {
            r.parse::<age::x25519::Recipient>()
                .map_err(|e| input(format!("{r:?} is not an age public key (age1…): {e}")))?;
            (r.to_string(), None)
        }
        None => {
            let id = age::x25519::Identity::generate();
            (
                id.to_public().to_string(),
                Some(age::secrecy::ExposeSecret::expose_secret(&id.to_string()).to_string()),
            )
        }
    };
    let orders: Vec<bool> = random_bytes(design.blocks as usize)?
        .iter()
        .map(|b| b & 1 == 1)
        .collect();
    seal_orders(design, recipient, identity, &orders)
}

/// Seal given block orders (the sample trial's; a real plan draws them in [`plan`]).
fn seal_orders(
    design: &Design,
    recipient: String,
    identity: Option<String>,
    orders: &[bool],
) -> Result<(SealedPlan, Handout)> {
    let mut days = Vec::new();
    let mut fill_list = Vec::new();
    for d in design.schedule(orders) {
        let Some(c) = d.condition else { continue };
        let mut k = code()?;
        while fill_list.iter().any(|(x, _): &(String, Condition)| *x == k) {
            k = code()?;
        }
        days.push(SealedDay {
            date: d.date,
            block: d.block,
            code: k.clone(),
            sealed: seal(condition_text(c), Sealing::Recipient(&recipient))?,
        });
        fill_list.push((k, c));
    }
    let whole = serde_json::to_vec(orders).map_err(|e| AppError::Input(e.to_string()))?;
    Ok((
        SealedPlan {
            design: design.clone(),
            recipient: recipient.clone(),
            days,
            allocation: seal(&whole, Sealing::Recipient(&recipient))?,
        },
        Handout {
            fill_list,
            identity,
        },
    ))
}

/// Open what was sealed with the key holder's secret key; a clear message for a key that is
/// not one, or not the one the trial was sealed to.
fn open_sealed(bytes: &[u8], identity: &str) -> Result<Vec<u8>> {
    let key = identity
        .lines()
        .map(str::trim)
        .find(|l| l.starts_with("AGE-SECRET-KEY-1"))
        .ok_or_else(|| {
            input("the key is the line starting AGE-SECRET-KEY-1 in the key file the key holder keeps")
        })?;
    key.parse::<age::x25519::Identity>().map_err(|_| {
        input("that is not a whole age secret key: copy the whole line starting AGE-SECRET-KEY-1")
    })?;
    open(bytes, Opening::Identity(key)).map_err(|_| {
        input("this key does not open the trial's allocation: it is not the key the trial was sealed to; nothing was opened")
    })
}

/// Open one day's condition (an emergency unblinding): the rest stays sealed.
pub fn unblind_day(days: &[SealedDay], date: Date, identity: &str) -> Result<Condition> {
    let day = days
        .iter()
        .find(|d| d.date == date)
        .ok_or_else(|| input(format!("{date} is not a dosing day of the trial")))?;
    match open_sealed(&day.sealed, identity)?.as_slice() {
        b"active" => Ok(Condition::Active),
        b"placebo" => Ok(Condition::Placebo),
        _ => Err(input("the sealed day holds neither active nor placebo")),
    }
}

/// Open the whole allocation at the end: each block's order (true: active first).
pub fn unblind(allocation: &[u8], identity: &str) -> Result<Vec<bool>> {
    let bytes = open_sealed(allocation, identity)?;
    serde_json::from_slice(&bytes)
        .map_err(|e| input(format!("the sealed allocation is damaged: {e}")))
}

// ---------------------------------------------------------------------------------------------
// The trial's use cases: plan, take a day's container, unblind a day in an emergency, stop,
// reveal at the end, and the result.

/// A trial as a person asks for it.
#[derive(Debug, Clone, Default, serde::Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct PlanRequest {
    /// The first day ("2026-12-07"); tomorrow when not given.
    pub start: Option<String>,
    /// The trial's length in weeks: as many whole blocks as fit (or give `blocks`).
    pub weeks: Option<u32>,
    pub blocks: Option<u32>,
    /// Days in each period (active or placebo); 1 when not given (one dosing day).
    pub period_days: Option<u32>,
    /// Days without a dose after each period; 2 when not given (one day on, two off).
    pub washout_days: Option<u32>,
    /// "mood" when not given.
    pub outcome: Option<String>,
    /// The smallest improvement that would matter, in the outcome's units (required).
    pub smallest_change: Option<f64>,
    /// The dose every dosing day ("1/2 troche"); the current protocol's when not given.
    pub dose: Option<String>,
    /// The stock the active containers were filled from (id or name).
    pub stock: Option<String>,
    /// Who holds the key ("me" when not given).
    pub key_holder: Option<String>,
    /// An age public key (age1…) to seal to: the key holder's. Without one a new key is made
    /// and handed out once.
    pub recipient: Option<String>,
    pub note: Option<String>,
}

/// A planned trial and what is handed out once.
#[derive(Debug, Clone)]
pub struct Planned {
    pub trial: Trial,
    pub handout: Handout,
}

/// The trial with its events and where it stands.
#[derive(Debug, Clone)]
pub struct Current {
    pub trial: Trial,
    pub events: Vec<TrialEvent>,
    pub state: State,
}

fn today_in(tz: &TimeZone, now: Timestamp) -> Date {
    now.to_zoned_datetime(tz.clone()).date()
}

async fn tz_of<S: Store>(store: &S) -> Result<TimeZone> {
    crate::zone(None, store.profile().await?.as_ref())
}

/// The latest trial, its events and state; `None` when no trial was ever planned.
pub async fn current<S: Store>(store: &S, now: Timestamp) -> Result<Option<Current>> {
    let Some(trial) = store.trials().await?.pop() else {
        return Ok(None);
    };
    let events = store.trial_events(trial.id).await?;
    let today = today_in(&tz_of(store).await?, now);
    let state = state(&trial, &events, today);
    Ok(Some(Current {
        trial,
        events,
        state,
    }))
}

async fn need_current<S: Store>(store: &S, now: Timestamp) -> Result<Current> {
    current(store, now)
        .await?
        .ok_or_else(|| AppError::NotFound("there is no blinded trial: plan one first".into()))
}

/// Where the latest trial stands, with what has been done so far (nothing of the allocation
/// beyond days unblinded early).
#[derive(Debug, Clone, serde::Serialize)]
pub struct Progress {
    pub trial_id: i64,
    pub state: State,
    pub start: Date,
    pub end: Date,
    /// The dosing days' dates and container codes, in order.
    pub days: Vec<(Date, String)>,
    /// Dosing days so far (before today, and today when its container was logged).
    pub days_so_far: usize,
    /// Doses logged from the trial's containers.
    pub containers_taken: usize,
    /// Check-ins with a guess during the trial.
    pub guesses: usize,
    /// Whether today's container is logged (on a dosing day).
    pub taken_today: bool,
    /// Whether today's guess is recorded (on a dosing day).
    pub guessed_today: bool,
    pub unblinded: Vec<Date>,
    pub stopped: bool,
    /// Red flags the safety check raised on trial doses (the day and what it said): a reason
    /// to talk to the clinician, and possibly to stop the trial.
    pub red_flags: Vec<(Date, String)>,
    pub key_holder: String,
    pub outcome: String,
    pub smallest_change: f64,
    pub dose: String,
}

/// The records a trial can read: from the day before its first (a record's local day may be
/// the next one in UTC) to after its last.
fn trial_window(t: &Trial) -> Result<Window> {
    let d = &t.trial.design;
    let at = |date: Date, hours: i64| -> Result<Timestamp> {
        date.to_zoned_datetime(TimeZone::UTC)
            .map_err(input)?
            .timestamp()
            .checked_add(jiff::Span::new().hours(hours))
            .map_err(input)
    };
    Ok(Window {
        from: Some(at(d.start, -24)?),
        to: Some(at(d.end(), 48)?),
        include_deleted: false,
    })
}

/// The latest trial's progress; `None` when no trial was ever planned.
pub async fn progress<S: Store>(store: &S, now: Timestamp) -> Result<Option<Progress>> {
    let Some(c) = current(store, now).await? else {
        return Ok(None);
    };
    let t = &c.trial.trial;
    let today = today_in(&tz_of(store).await?, now);
    // To now: a container logged after the last day still counts as taken.
    let window = Window {
        to: None,
        ..trial_window(&c.trial)?
    };
    let local = dosewise_core::when::local_date;
    // With their findings: a red flag on a trial dose is shown beside the trial.
    let trial_doses: Vec<_> = store
        .doses(window)
        .await?
        .into_iter()
        .filter(|d| {
            d.dose
                .container
                .as_deref()
                .is_some_and(|code| c.trial.day_by_code(code).is_some())
        })
        .collect();
    let taken: Vec<(Date, String)> = trial_doses
        .iter()
        .map(|d| {
            (
                local(d.dose.at, &d.dose.zone),
                d.dose.container.clone().unwrap_or_default(),
            )
        })
        .collect();
    let mut red_flags: Vec<(Date, String)> = trial_doses
        .iter()
        .flat_map(|d| {
            d.dose
                .findings
                .iter()
                .filter(|f| dosewise_core::safety::is_red_flag(&f.code))
                .map(|f| (local(d.dose.at, &d.dose.zone), f.message.clone()))
        })
        .collect();
    red_flags.dedup_by(|a, b| a.1 == b.1);
    let guessed: Vec<Date> = store
        .checkins(window)
        .await?
        .into_iter()
        .filter(|x| x.checkin.guess.is_some())
        .map(|x| local(x.checkin.at, &x.checkin.zone))
        .filter(|d| *d >= t.design.start && *d <= t.design.end())
        .collect();
    let taken_today = taken.iter().any(|(d, _)| *d == today);
    Ok(Some(Progress {
        trial_id: c.trial.id,
        start: t.design.start,
        end: t.design.end(),
        days: t.days.iter().map(|d| (d.date, d.code.clone())).collect(),
        days_so_far: t
            .days
            .iter()
            .filter(|d| d.date < today || (d.date == today && taken_today))
            .count(),
        containers_taken: taken.len(),
        guesses: guessed.len(),
        taken_today,
        guessed_today: guessed.contains(&today),
        unblinded: unblinded_days(&c.events).into_iter().map(|u| u.0).collect(),
        stopped: dosewise_core::trial_record::stopped_on(&c.events).is_some(),
        red_flags,
        key_holder: t.key_holder.clone(),
        outcome: t.outcome.label(),
        smallest_change: t.smallest_change,
        dose: t.dose.clone(),
        state: c.state,
    }))
}

/// The latest trial's container labels (HTML with a print stylesheet): a code and a day each.
pub async fn labels_html<S: Store>(store: &S, now: Timestamp) -> Result<String> {
    let c = need_current(store, now).await?;
    let days: Vec<(Date, &str)> = c
        .trial
        .trial
        .days
        .iter()
        .map(|d| (d.date, d.code.as_str()))
        .collect();
    Ok(dosewise_render::trial::labels(&days))
}

/// Plan a trial: check the request, draw and seal the allocation, store it. Refused while
/// another trial is not yet revealed.
pub async fn plan_trial<S: Store>(store: &S, req: &PlanRequest, now: Timestamp) -> Result<Planned> {
    let tz = tz_of(store).await?;
    if let Some(c) = current(store, now).await?
        && !matches!(c.state, State::Revealed { .. })
    {
        return Err(AppError::Conflict(format!(
            "a trial planned on {} is not finished: one trial at a time (stop it, or reveal it once it is over)",
            c.trial.created_at.to_zoned_datetime(tz).date()
        )));
    }
    let today = today_in(&tz, now);
    let start = match req
        .start
        .as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty())
    {
        Some(s) => s
            .parse::<Date>()
            .map_err(|e| input(format!("{s:?} is not a date (YYYY-MM-DD): {e}")))?,
        None => today.tomorrow().map_err(input)?,
    };
    if start < today {
        return Err(input(format!(
            "a trial cannot start in the past ({start}); the earliest is today, {today}"
        )));
    }
    if start > today.saturating_add(jiff::Span::new().days(366)) {
        return Err(input(format!("{start} is more than a year ahead")));
    }
    let period_days = req.period_days.unwrap_or(1);
    let washout_days = req.washout_days.unwrap_or(2);
    let blocks = match (req.blocks, req.weeks) {
        (Some(_), Some(_)) => {
            return Err(input(
                "give the length in weeks or the number of blocks, not both",
            ));
        }
        (Some(b), None) => b,
        (None, w) => {
            let days = w.unwrap_or(8).min(60) * 7;
            let per_block = 2 * (period_days + washout_days).max(1);
            days / per_block
        }
    };
    let design = Design {
        start,
        blocks,
        period_days,
        washout_days,
    };
    design.check().map_err(input)?;
    let outcome = Outcome::parse(req.outcome.as_deref().unwrap_or("mood")).map_err(input)?;
    let smallest_change = req.smallest_change.ok_or_else(|| {
        input(format!(
            "say the smallest improvement in {} that would matter to you, before the trial starts (e.g. 1 point)",
            outcome.label()
        ))
    })?;
    // The dose must make sense with the stock: prepared as a dry run, nothing written.
    let probe = crate::dose::prepare(
        store,
        &crate::dose::DoseRequest {
            amount: req.dose.clone().unwrap_or_default(),
            stock: req.stock.clone(),
            ..Default::default()
        },
        now,
    )
    .await?;
    // A dosing day in the protocol's planned break would be refused by the safety check on
    // the day: say so now, before anything is sealed or handed out.
    if let Some(p) = &probe.protocol {
        let in_break: Vec<String> = design
            .schedule(&vec![true; design.blocks as usize])
            .iter()
            .filter(|d| d.condition.is_some())
            .filter(|d| {
                dosewise_core::schedule::day_kind(p, d.date)
                    == dosewise_core::schedule::DayKind::Break
            })
            .map(|d| d.date.to_string())
            .collect();
        if !in_break.is_empty() {
            return Err(input(format!(
                "{} of the trial's dosing days fall in the planned break of \"{}\" ({}), when the safety check refuses a dose: start the trial after the break, make it shorter, or change the plan with your clinician",
                in_break.len(),
                p.protocol.name,
                in_break.join(", ")
            )));
        }
    }
    let (sealed, handout) = self::plan(&design, req.recipient.as_deref())?;
    let new = NewTrial {
        design,
        outcome,
        smallest_change,
        dose: probe.new.entered.clone(),
        stock_id: probe.stock.as_ref().map(|s| s.id),
        key_holder: req.key_holder.clone().unwrap_or_else(|| "me".into()),
        recipient: sealed.recipient,
        days: sealed.days,
        allocation: sealed.allocation,
        note: req.note.clone(),
    }
    .validated()
    .map_err(input)?;
    let trial = store.add_trial(&new, now).await?;
    Ok(Planned { trial, handout })
}

/// The trial a container code belongs to, and the code as printed. Refused when there is no
/// trial, the code is not one of its containers, or the trial is over.
pub async fn container<S: Store>(store: &S, code: &str) -> Result<(Trial, String)> {
    let code = code.trim().to_ascii_uppercase();
    let trials = store.trials().await?;
    let Some(trial) = trials.iter().rev().find(|t| t.day_by_code(&code).is_some()) else {
        return Err(input(if trials.is_empty() {
            format!("{code:?} is a trial container code, but there is no blinded trial")
        } else {
            format!(
                "{code:?} is not a container of the trial: the code is the {CODE_LEN} characters printed on the container's label"
            )
        }));
    };
    let events = store.trial_events(trial.id).await?;
    if events
        .iter()
        .any(|e| matches!(e.event.kind, TrialEventKind::Revealed { .. }))
    {
        return Err(AppError::Conflict(
            "that trial is over and revealed: log the dose without a container".into(),
        ));
    }
    Ok((trial.clone(), code))
}

fn reason_given(what: &str, reason: Option<&str>) -> Result<String> {
    let r = reason.map(str::trim).unwrap_or_default();
    if r.len() < 3 {
        return Err(input(format!(
            "{what} needs a reason, kept in the trial's record"
        )));
    }
    text::label("reason", r).map_err(input)
}

/// Open one day's condition early (an emergency: a reaction, a clinician asking). Recorded with
/// its reason; the day is left out of the analysis; every other day stays sealed.
pub async fn emergency_unblind<S: Store>(
    store: &S,
    date: Date,
    identity: &str,
    reason: Option<&str>,
    now: Timestamp,
) -> Result<Condition> {
    let reason = reason_given("unblinding a day", reason)?;
    let c = need_current(store, now).await?;
    if let Some((_, known)) = unblinded_days(&c.events).into_iter().find(|u| u.0 == date) {
        return Ok(known);
    }
    let condition = unblind_day(&c.trial.trial.days, date, identity.trim())?;
    store
        .add_trial_event(&NewTrialEvent {
            trial_id: c.trial.id,
            at: now,
            kind: TrialEventKind::Unblinded { date, condition },
            reason: Some(reason),
        })
        .await?;
    Ok(condition)
}

/// Stop the trial early; days after today are not analysed.
pub async fn stop<S: Store>(store: &S, reason: Option<&str>, now: Timestamp) -> Result<Current> {
    let reason = reason_given("stopping the trial", reason)?;
    let c = need_current(store, now).await?;
    match c.state {
        State::Running { .. } | State::NotStarted => {}
        _ => return Err(AppError::Conflict("the trial is already over".into())),
    }
    let today = today_in(&tz_of(store).await?, now);
    store
        .add_trial_event(&NewTrialEvent {
            trial_id: c.trial.id,
            at: now,
            kind: TrialEventKind::Stopped {
                last_day: today
                    .yesterday()
                    .unwrap_or(today)
                    .max(c.trial.trial.design.start),
            },
            reason: Some(reason),
        })
        .await?;
    need_current(store, now).await
}

/// Open the whole allocation once the trial is over (past its last day, or stopped). The key
/// must open it; the days unblinded early must agree with it.
pub async fn reveal<S: Store>(store: &S, identity: &str, now: Timestamp) -> Result<Current> {
    let c = need_current(store, now).await?;
    match c.state {
        State::AwaitingReveal { .. } => {}
        State::Revealed { .. } => return Ok(c),
        _ => {
            return Err(AppError::Conflict(format!(
                "the trial runs until {}: revealing now would end the blind (stop the trial first if it must end)",
                c.trial.trial.design.end()
            )));
        }
    }
    let orders = unblind(&c.trial.trial.allocation, identity.trim())?;
    if orders.len() != c.trial.trial.design.blocks as usize {
        return Err(input(
            "the sealed allocation does not match the trial's design",
        ));
    }
    let schedule = c.trial.trial.design.schedule(&orders);
    for (date, cond) in unblinded_days(&c.events) {
        if schedule
            .iter()
            .any(|d| d.date == date && d.condition != Some(cond))
        {
            return Err(input(format!(
                "the allocation disagrees with the day unblinded on {date}: the record is damaged"
            )));
        }
    }
    store
        .add_trial_event(&NewTrialEvent {
            trial_id: c.trial.id,
            at: now,
            kind: TrialEventKind::Revealed { orders },
            reason: None,
        })
        .await?;
    need_current(store, now).await
}

/// A revealed trial's result.
#[derive(Debug, Clone, serde::Serialize)]
pub struct TrialResult {
    pub trial: Trial,
    #[serde(flatten)]
    pub evaluated: Evaluated,
}

/// The result of the latest trial once revealed.
pub async fn result<S: Store>(store: &S, now: Timestamp) -> Result<TrialResult> {
    let c = need_current(store, now).await?;
    if !matches!(c.state, State::Revealed { .. }) {
        return Err(AppError::Conflict(
            "the trial is still blinded: its result comes once it is over and revealed with the key".into(),
        ));
    }
    let window = trial_window(&c.trial)?;
    let doses = store.dose_history(window).await?;
    let checkins = store.checkins(window).await?;
    let assessments = store.assessments(window).await?;
    let evaluated = evaluate(&c.trial, &c.events, &doses, &checkins, &assessments)
        .ok_or_else(|| AppError::Conflict("the trial is not revealed".into()))?;
    Ok(TrialResult {
        trial: c.trial,
        evaluated,
    })
}

/// Turn a sample journal's last weeks into a finished, revealed blinded trial (`dosewise demo
/// --trial`): from the first dosing day after its first two weeks (a steady dose), one dosing
/// day on and two off, as many whole blocks as end before `today`. Each of those doses is
/// logged from its container; the evening check-in carries a guess (right about two days in
/// three, as when a blind partly breaks) and a mood that is on average 0.8 lower on placebo
/// days than the sample's. The allocation is sealed to a key made here and not kept, and the
/// trial is revealed two days after its end. Nothing happens when the journal is too short.
pub fn add_sample_trial(j: &mut Journal, today: Date, seed: u64) -> Result<bool> {
    use dosewise_core::checkin::Rating;
    use dosewise_core::random::SplitMix;
    let local = dosewise_core::when::local_date;
    let Some(first) = j.doses.first().map(|d| local(d.dose.at, &d.dose.zone)) else {
        return Ok(false);
    };
    let steady = first.saturating_add(jiff::Span::new().days(14));
    let Some(start) = j
        .doses
        .iter()
        .map(|d| local(d.dose.at, &d.dose.zone))
        .find(|d| *d >= steady)
    else {
        return Ok(false);
    };
    let days_left = (today - start).get_days() - 3;
    let blocks = u32::try_from(days_left / 6)
        .unwrap_or(0)
        .min(MAX_SAMPLE_BLOCKS);
    if blocks < 2 {
        return Ok(false);
    }
    let design = Design {
        start,
        blocks,
        period_days: 1,
        washout_days: 2,
    };
    let mut rng = SplitMix(seed ^ 0x0071_21A1);
    let orders: Vec<bool> = (0..blocks).map(|_| rng.next_u64() & 1 == 1).collect();
    let id = age::x25519::Identity::generate();
    let (sealed, handout) = seal_orders(&design, id.to_public().to_string(), None, &orders)?;
    let condition_of = |code: &str| {
        handout
            .fill_list
            .iter()
            .find(|(c, _)| c == code)
            .map(|x| x.1)
    };
    for day in &sealed.days {
        let Some(active) = condition_of(&day.code).map(|c| c == Condition::Active) else {
            continue;
        };
        if let Some(d) = j
            .doses
            .iter_mut()
            .find(|d| local(d.dose.at, &d.dose.zone) == day.date)
        {
            d.dose.container = Some(day.code.clone());
        }
        if let Some(c) = j
            .checkins
            .iter_mut()
            .find(|c| local(c.checkin.at, &c.checkin.zone) == day.date)
        {
            let right = !rng.next_u64().is_multiple_of(3);
            let guess = match (active, right) {
                (true, true) | (false, false) => Guess::Active,
                _ => Guess::Placebo,
            };
            let sure = 2 + (rng.next_u64() % 3) as u8;
            c.checkin.guess = TrialGuess::new(guess, sure).ok();
            if !active && let Some(m) = c.checkin.ratings.mood {
                let lower = i64::from(m.value()) - 1 + i64::from(rng.next_u64().is_multiple_of(5));
                c.checkin.ratings.mood = Rating::new(lower.clamp(0, 10)).ok();
            }
        }
    }
    let stock_id = j.stocks.first().map(|s| s.id);
    let dose = j
        .doses
        .iter()
        .find(|d| local(d.dose.at, &d.dose.zone) == start)
        .map_or_else(|| "3/4 troche".to_string(), |d| d.dose.entered.clone());
    let created_at = start
        .yesterday()
        .map_err(input)?
        .to_zoned_datetime(TimeZone::UTC)
        .map_err(input)?
        .timestamp();
    let trial = Trial {
        id: j.trials.len() as i64 + 1,
        trial: NewTrial {
            design: design.clone(),
            outcome: Outcome::parse("mood").map_err(input)?,
            smallest_change: 1.0,
            dose,
            stock_id,
            key_holder: "Dr Sample (demo)".into(),
            recipient: sealed.recipient,
            days: sealed.days,
            allocation: sealed.allocation,
            note: Some("Sample trial from the demo journal: made-up data.".into()),
        }
        .validated()
        .map_err(input)?,
        created_at,
    };
    let revealed_at = design
        .end()
        .saturating_add(jiff::Span::new().days(2))
        .to_zoned_datetime(TimeZone::UTC)
        .map_err(input)?
        .timestamp()
        .min(
            today
                .to_zoned_datetime(TimeZone::UTC)
                .map_err(input)?
                .timestamp(),
        );
    j.trial_events.push(TrialEvent {
        id: j.trial_events.len() as i64 + 1,
        event: NewTrialEvent {
            trial_id: trial.id,
            at: revealed_at,
            kind: TrialEventKind::Revealed { orders },
            reason: None,
        },
    });
    j.trials.push(trial);
    Ok(true)
}

/// The sample trial's most blocks (12 weeks).
const MAX_SAMPLE_BLOCKS: u32 = 14;

#[cfg(test)]
mod tests {
    use super::*;

    fn design() -> Design {
        Design {
            start: "2026-12-01".parse().unwrap_or_default(),
            blocks: 4,
            period_days: 3,
            washout_days: 1,
        }
    }

    #[test]
    fn the_allocation_is_sealed_day_by_day_and_opens_only_with_the_key() {
        let (p, h) = plan(&design(), None).unwrap_or_else(|e| panic!("{e}"));
        let identity = h.identity.clone().unwrap_or_default();
        assert!(identity.starts_with("AGE-SECRET-KEY-1"));
        assert_eq!(p.days.len(), 4 * 2 * 3);
        assert_eq!(h.fill_list.len(), p.days.len());
        // Codes: unique, from the alphabet.
        let mut codes: Vec<&str> = p.days.iter().map(|d| d.code.as_str()).collect();
        codes.sort_unstable();
        codes.dedup();
        assert_eq!(codes.len(), p.days.len());
        assert!(
            p.days
                .iter()
                .all(|d| d.code.len() == CODE_LEN && d.code.bytes().all(|b| ALPHABET.contains(&b)))
        );
        // What the journal keeps says nothing of the conditions, and holds no secret key.
        let kept = serde_json::to_string(&(&p.days, &p.recipient)).unwrap_or_default();
        assert!(
            !kept.contains("active")
                && !kept.contains("placebo")
                && !kept.contains("AGE-SECRET-KEY")
        );
        for d in &p.days {
            let text = String::from_utf8_lossy(&d.sealed);
            assert!(!text.contains("active") && !text.contains("placebo"));
        }
        // One day opens to what the fill list says, with the key only.
        let d = &p.days[4];
        let want = h.fill_list.iter().find(|(c, _)| *c == d.code).map(|x| x.1);
        assert_eq!(unblind_day(&p.days, d.date, &identity).ok(), want);
        let other = age::x25519::Identity::generate();
        let other = age::secrecy::ExposeSecret::expose_secret(&other.to_string()).to_string();
        assert!(
            unblind_day(&p.days, d.date, &other).is_err(),
            "another key opens nothing"
        );
        assert!(unblind(&p.allocation, &other).is_err());
        // At the end, the orders agree with every day of the fill list.
        let orders = unblind(&p.allocation, &identity).unwrap_or_else(|e| panic!("{e}"));
        for (day, (code, c)) in design()
            .schedule(&orders)
            .iter()
            .filter(|d| d.condition.is_some())
            .zip(&h.fill_list)
        {
            assert_eq!(day.condition, Some(*c), "{code}");
        }
        // A washout day is not a dosing day.
        assert!(unblind_day(&p.days, "2026-12-04".parse().unwrap_or_default(), &identity).is_err());
    }

    #[test]
    fn a_given_public_key_is_used_and_a_bad_one_refused() {
        let id = age::x25519::Identity::generate();
        let (p, h) =
            plan(&design(), Some(&id.to_public().to_string())).unwrap_or_else(|e| panic!("{e}"));
        assert!(h.identity.is_none(), "the key holder keeps their own key");
        let secret = age::secrecy::ExposeSecret::expose_secret(&id.to_string()).to_string();
        assert!(unblind(&p.allocation, &secret).is_ok());
        assert!(plan(&design(), Some("age1nope")).is_err());
        assert!(
            plan(
                &Design {
                    blocks: 0,
                    ..design()
                },
                None
            )
            .is_err()
        );
    }

    #[test]
    fn orders_vary_between_plans() {
        // 20 plans of 4 blocks: the chance that all draw one same order is 2 × 2^-80.
        let id = age::x25519::Identity::generate();
        let secret = age::secrecy::ExposeSecret::expose_secret(&id.to_string()).to_string();
        let r = id.to_public().to_string();
        let all: Vec<Vec<bool>> = (0..20)
            .map(|_| {
                plan(&design(), Some(&r))
                    .and_then(|(p, _)| unblind(&p.allocation, &secret))
                    .unwrap_or_default()
            })
            .collect();
        assert!(all.iter().any(|o| o != &all[0]), "{all:?}");
    }
}
