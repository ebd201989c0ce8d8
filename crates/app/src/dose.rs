//! Logging a dose: from what a person typed to a dose in the journal, through the safety check.
//!
//! [`log`] is the whole flow every surface runs: [`prepare`] (amount, stock, protocol, route,
//! time, the exact conversion), [`crate::safety::check`], then [`apply`] — a refusal writes
//! nothing unless overridden with a reason, which is kept with the dose and its findings.

use crate::safety::{Known, check};
use crate::{Result, input};
use dosewise_core::dose::{Dose, DoseInput, NewDose, prepare_dose};
use dosewise_core::dose_expr::parse_quantity;
use dosewise_core::jiff::Timestamp;
use dosewise_core::jiff::tz::TimeZone;
use dosewise_core::protocol::Protocol;
use dosewise_core::route::{Route, Substance};
use dosewise_core::safety::Verdict;
use dosewise_core::salt::Salt;
use dosewise_core::stock::Stock;
use dosewise_core::text;
use dosewise_core::when;
use dosewise_store::Store;

/// A dose as a person asks for it, in their words.
#[derive(Debug, Clone, Default)]
pub struct DoseRequest {
    /// "1/2 troche", "12.5mg", "2 sprays"; empty means the current protocol's planned dose.
    pub amount: String,
    /// A stock id or name; `None` picks the protocol's stock or the only active one.
    pub stock: Option<String>,
    /// A dose from no recorded stock (the amount must then be a mass).
    pub no_stock: bool,
    pub route: Option<Route>,
    /// "21:00", "-2h", "2026-11-28 08:00", RFC 3339; `None` means now.
    pub at: Option<String>,
    pub note: Option<String>,
    /// For a dose without stock.
    pub salt: Option<Salt>,
    /// For a dose without stock.
    pub substance: Option<Substance>,
    /// An explicit zone (IANA name); otherwise the profile's.
    pub zone: Option<String>,
    /// The person says the dose is already taken: it is recorded as it happened, with the
    /// findings that would have applied, however recently ([`Verdict::already_taken`]).
    pub already_taken: bool,
    /// A blinded trial's container code: the dose is the trial's (its amount and stock when
    /// none are given), checked as if active whatever the container holds, and takes nothing
    /// from the stock (the containers were filled beforehand).
    pub container: Option<String>,
}

/// A dose ready for the safety check, with what it was prepared from.
#[derive(Debug, Clone)]
pub struct Prepared {
    pub new: NewDose,
    pub stock: Option<Stock>,
    pub protocol: Option<Protocol>,
    /// The contraindication screen answers from the profile.
    pub screen: Vec<dosewise_core::screen::ScreenAnswer>,
    /// The crisis line the person set.
    pub crisis_line: Option<String>,
    /// How to reach the person's clinician.
    pub clinician: Option<String>,
    pub tz: TimeZone,
}

/// What became of a request.
#[derive(Debug, Clone)]
pub enum Outcome {
    /// A dry run: checked, nothing written.
    Checked {
        prepared: Prepared,
        verdict: Verdict,
    },
    /// Refused and not overridden: nothing written.
    Refused {
        prepared: Prepared,
        verdict: Verdict,
    },
    /// Written; `overridden` when the verdict refused and a reason was given. A dose already
    /// taken is written whatever its findings (`verdict.after_the_fact`): it is recorded as it
    /// happened, with the findings that would have applied.
    Logged {
        dose: Dose,
        stock: Option<Stock>,
        protocol: Option<Protocol>,
        verdict: Verdict,
        overridden: bool,
        /// The zone the dose was prepared in (for showing it).
        tz: TimeZone,
    },
}

/// A stock by id or by (case-insensitive) name among active stocks.
pub async fn find_stock<S: Store>(store: &S, key: &str) -> Result<Stock> {
    let key = key.trim();
    if let Ok(id) = key.parse::<i64>()
        && let Some(s) = store.stock(id).await?
    {
        return Ok(s);
    }
    if let Some(s) = store.stock_by_name(key).await? {
        return Ok(s);
    }
    let names: Vec<String> = store
        .stocks(false)
        .await?
        .iter()
        .map(|s| format!("{} ({})", s.id, s.stock.name))
        .collect();
    Err(input(if names.is_empty() {
        format!("no stock {key:?}: you have no active stock yet; add one first")
    } else {
        format!("no stock {key:?}; active stocks: {}", names.join(", "))
    }))
}

/// The current protocol a new dose belongs to: the one for the stock's (or the given)
/// substance; without either, the only current protocol, or the racemic ketamine one.
async fn choose_protocol<S: Store>(
    store: &S,
    req: &DoseRequest,
    named: Option<&Stock>,
) -> Result<Option<Protocol>> {
    let mut current = store.protocols(false).await?;
    let substance = match named {
        Some(s) => Some(s.stock.preparation.substance),
        None => req.substance,
    };
    Ok(match substance {
        Some(sub) => current.into_iter().find(|p| p.protocol.substance == sub),
        None if current.len() == 1 => current.pop(),
        None => current
            .into_iter()
            .find(|p| p.protocol.substance == Substance::Ketamine),
    })
}

/// Which stock a new dose comes from: the named one, else the protocol's, else the only one.
async fn choose_stock<S: Store>(
    store: &S,
    req: &DoseRequest,
    named: Option<Stock>,
    protocol: Option<&Protocol>,
) -> Result<Option<Stock>> {
    if req.no_stock {
        return Ok(None);
    }
    if named.is_some() {
        return Ok(named);
    }
    if let Some(id) = protocol.and_then(|p| p.protocol.stock_id)
        && let Some(s) = store.stock(id).await?.filter(|s| !s.is_retired())
    {
        return Ok(Some(s));
    }
    let mut active = store.stocks(false).await?;
    match active.len() {
        0 => Ok(None),
        1 => Ok(active.pop()),
        _ => Err(input(format!(
            "you have several active stocks; say which with --stock ({}), or --no-stock",
            active
                .iter()
                .map(|s| format!("{} = {}", s.id, s.stock.name))
                .collect::<Vec<_>>()
                .join(", ")
        ))),
    }
}

/// Turn a request into a dose: nothing is written.
pub async fn prepare<S: Store>(store: &S, req: &DoseRequest, now: Timestamp) -> Result<Prepared> {
    if let Some(code) = &req.container {
        let (trial, code) = crate::trial::container(store, code).await?;
        let mut req = DoseRequest {
            container: None,
            ..req.clone()
        };
        if req.amount.trim().is_empty() {
            req.amount = trial.trial.dose.clone();
        }
        if req.stock.is_none() && !req.no_stock {
            req.stock = trial.trial.stock_id.map(|id| id.to_string());
        }
        let mut p = Box::pin(prepare(store, &req, now)).await?;
        p.new.container = Some(code);
        p.new.supply_used = None;
        return Ok(p);
    }
    let note = text::note(req.note.as_deref()).map_err(input)?;
    // The stock named in the request, looked up once.
    let named = match (&req.stock, req.no_stock) {
        (Some(key), false) => Some(find_stock(store, key).await?),
        _ => None,
    };
    let protocol = choose_protocol(store, req, named.as_ref()).await?;
    let amount = match (req.amount.trim(), &protocol) {
        ("", Some(p)) => p.protocol.dose.entered.clone(),
        ("", None) => {
            return Err(input(
                "give an amount, e.g. \"1/2 troche\" (with a protocol, an empty amount logs the planned dose)",
            ));
        }
        (a, _) => a.to_string(),
    };
    let profile = store.profile().await?;
    let tz = crate::zone(req.zone.as_deref(), profile.as_ref())?;
    let at = crate::instant(req.at.as_deref(), &tz, now)?;
    let stock = choose_stock(store, req, named, protocol.as_ref()).await?;
    // A bare number ("1/2", "2") is in the chosen stock's own unit, and recorded with it; with
    // no stock it stays refused (15 what?).
    let mut bare = None;
    let (amount, quantity) = match (parse_quantity(&amount), &stock) {
        (Err(dosewise_core::dose_expr::ParseError::MissingUnit(_)), Some(s)) => {
            let with_unit = format!("{} {}", amount.trim(), s.stock.preparation.count_word());
            // What the number was read as leads any message about it.
            let read = format!(
                "\"{}\" without a unit is read in the stock's unit, as \"{with_unit}\"",
                amount.trim()
            );
            let q = parse_quantity(&with_unit).map_err(|e| input(format!("{read}: {e}")))?;
            bare = Some(read);
            (with_unit, q)
        }
        (q, _) => (amount, q.map_err(input)?),
    };
    // A stock of another substance than the protocol's does not belong to it.
    let protocol = protocol.filter(|p| {
        stock
            .as_ref()
            .is_none_or(|s| s.stock.preparation.substance == p.protocol.substance)
    });
    if stock.is_some() && (req.salt.is_some() || req.substance.is_some()) {
        return Err(input(
            "salt and substance are for doses without stock; a stock states its own",
        ));
    }
    let new = prepare_dose(
        DoseInput {
            entered: amount.trim().to_string(),
            quantity,
            route: req
                .route
                .or(protocol.as_ref().and_then(|p| p.protocol.route)),
            at,
            zone: when::zone_name(&tz),
            note,
            salt: req.salt,
            substance: req.substance,
            protocol_id: protocol.as_ref().map(|p| p.id),
        },
        stock.as_ref(),
        profile.as_ref().and_then(|p| p.weight_kg),
        now,
    )
    .map_err(|e| match &bare {
        Some(read) => input(format!("{read}: {e}")),
        None => input(e),
    })?;
    Ok(Prepared {
        new,
        stock,
        protocol,
        screen: profile
            .as_ref()
            .map(|p| p.screen.clone())
            .unwrap_or_default(),
        crisis_line: profile.as_ref().and_then(|p| p.crisis_line.clone()),
        clinician: profile.and_then(|p| p.clinician),
        tz,
    })
}

/// The override reason as given, checked like any label (empty means none).
pub fn override_reason(reason: Option<&str>) -> Result<Option<String>> {
    text::opt_label("override reason", reason.filter(|r| !r.trim().is_empty())).map_err(input)
}

/// The override reason when it is used to override a refusal: it must say something
/// ([`dosewise_core::safety::override_reason_ok`]). A reason given where nothing is refused is
/// not used, so it is not judged.
fn overriding(verdict: &Verdict, reason: Option<String>) -> Result<Option<String>> {
    if verdict.refused()
        && let Some(r) = &reason
    {
        dosewise_core::safety::override_reason_ok(r).map_err(input)?;
    }
    Ok(reason)
}

/// What the verdict means for a dose: `None` when it is refused and not overridden; otherwise
/// the dose carrying the findings, and the reason when it overrides a refusal. A dose already
/// taken is never refused (`Verdict::refused` is false for it); a reason given for one is kept.
pub fn apply(mut new: NewDose, verdict: &Verdict, reason: Option<String>) -> Option<NewDose> {
    if verdict.refused() && reason.is_none() {
        return None;
    }
    new.override_reason = if verdict.would_refuse() { reason } else { None };
    new.findings = verdict.findings.clone();
    Some(new)
}

/// Prepare, check and — unless refused or a dry run — log a dose.
pub async fn log<S: Store>(
    store: &S,
    req: &DoseRequest,
    override_reason: Option<&str>,
    dry_run: bool,
    now: Timestamp,
) -> Result<Outcome> {
    let reason = self::override_reason(override_reason)?;
    let prepared = prepare(store, req, now).await?;
    let known = Known {
        screen: &prepared.screen,
        protocol: prepared.protocol.as_ref(),
        crisis_line: prepared.crisis_line.as_deref(),
        clinician: prepared.clinician.as_deref(),
    };
    let mut verdict = check(store, &prepared.new, now, &prepared.tz, None, known).await?;
    if req.already_taken {
        verdict = verdict.already_taken();
    }
    if dry_run {
        return Ok(Outcome::Checked { prepared, verdict });
    }
    let reason = overriding(&verdict, reason)?;
    let overridden = verdict.refused() && reason.is_some();
    let Some(new) = apply(prepared.new.clone(), &verdict, reason) else {
        return Ok(Outcome::Refused { prepared, verdict });
    };
    let logged = store.log_dose(&new, now).await?;
    let stock = prepared.stock.map(|mut s| {
        if let Some(r) = logged.stock_remaining {
            s.stock.remaining = r;
        }
        s
    });
    Ok(Outcome::Logged {
        dose: logged.dose,
        stock,
        protocol: prepared.protocol,
        verdict,
        overridden,
        tz: prepared.tz,
    })
}

/// A correction as a person asks for it: the dose and only what changes.
#[derive(Debug, Clone, Default)]
pub struct EditRequest {
    pub id: i64,
    /// A new amount ("1/4 troche").
    pub amount: Option<String>,
    /// Another stock (id or name).
    pub stock: Option<String>,
    pub route: Option<Route>,
    /// A new time, in the person's zone.
    pub at: Option<String>,
    pub note: Option<String>,
    /// Why it changed (kept with the correction).
    pub reason: Option<String>,
    /// An explicit zone (IANA name); otherwise the profile's.
    pub zone: Option<String>,
}

/// What became of a correction.
#[derive(Debug, Clone)]
pub enum Edited {
    /// Refused by the safety check and not overridden: nothing written.
    Refused {
        prepared: Prepared,
        verdict: Verdict,
    },
    /// Saved; the previous version is kept as a revision.
    Corrected {
        dose: Dose,
        previous: Dose,
        stock: Option<Stock>,
        verdict: Verdict,
        overridden: bool,
    },
}

/// Correct a dose: what is not given stays as it was; the corrected dose is checked like a new
/// one (with the dose itself left out of the history it is checked against), and a refusal
/// writes nothing unless overridden with a reason. The old version is kept as a revision, and
/// the stock's ledger moves the difference.
pub async fn edit<S: Store>(
    store: &S,
    req: &EditRequest,
    override_reason: Option<&str>,
    now: Timestamp,
) -> Result<Edited> {
    let id = req.id;
    let reason = text::opt_label("reason", req.reason.as_deref()).map_err(input)?;
    let overriding = self::override_reason(override_reason)?;
    let note = match &req.note {
        Some(n) => text::note(Some(n)).map_err(input)?,
        None => None,
    };
    let previous = store
        .dose(id)
        .await?
        .ok_or_else(|| crate::AppError::NotFound(format!("no dose #{id}")))?;
    if previous.deleted_at.is_some() {
        return Err(crate::conflict(format!(
            "dose #{id} was deleted; log a new dose instead"
        )));
    }
    let o = &previous.dose;
    let profile = store.profile().await?;
    let tz = crate::zone(req.zone.as_deref(), profile.as_ref())?;
    let (entered, quantity) = match &req.amount {
        Some(a) => (a.trim().to_string(), parse_quantity(a).map_err(input)?),
        None => (o.entered.clone(), o.quantity),
    };
    let at = match &req.at {
        Some(s) => crate::instant(Some(s), &tz, now)?,
        None => o.at,
    };
    let mut stock = match (&req.stock, o.stock_id) {
        (Some(key), _) => Some(find_stock(store, key).await?),
        (None, Some(sid)) => store.stock(sid).await?,
        (None, None) => None,
    };
    // The old dose's supply is available again to the corrected dose.
    if let (Some(s), Some(used)) = (stock.as_mut(), o.supply_used)
        && Some(s.id) == o.stock_id
    {
        s.stock.remaining += used;
        // A correction to a dose from a since-retired stock stays allowed.
        s.retired_at = None;
    }
    let new = prepare_dose(
        DoseInput {
            entered,
            quantity,
            route: req.route.or(Some(o.route)),
            at,
            zone: if req.at.is_some() {
                when::zone_name(&tz)
            } else {
                o.zone.clone()
            },
            note: if req.note.is_some() {
                note
            } else {
                o.note.clone()
            },
            salt: Some(o.salt),
            substance: Some(o.substance),
            protocol_id: o.protocol_id,
        },
        stock.as_ref(),
        profile.as_ref().and_then(|p| p.weight_kg),
        now,
    )
    .map_err(input)?;
    let protocol = match new.protocol_id {
        Some(pid) => store.protocol(pid).await?,
        None => None,
    };
    let prepared = Prepared {
        new,
        stock,
        protocol,
        screen: profile
            .as_ref()
            .map(|p| p.screen.clone())
            .unwrap_or_default(),
        crisis_line: profile.as_ref().and_then(|p| p.crisis_line.clone()),
        clinician: profile.and_then(|p| p.clinician),
        tz,
    };
    let known = Known {
        screen: &prepared.screen,
        protocol: prepared.protocol.as_ref(),
        crisis_line: prepared.crisis_line.as_deref(),
        clinician: prepared.clinician.as_deref(),
    };
    let verdict = check(store, &prepared.new, now, &prepared.tz, Some(id), known).await?;
    let overriding = self::overriding(&verdict, overriding)?;
    let overridden = verdict.refused() && overriding.is_some();
    let Some(new) = apply(prepared.new.clone(), &verdict, overriding) else {
        return Ok(Edited::Refused { prepared, verdict });
    };
    let dose = store.edit_dose(id, &new, now, reason.as_deref()).await?;
    let stock = match dose.dose.stock_id {
        Some(s) => store.stock(s).await?,
        None => None,
    };
    Ok(Edited::Corrected {
        dose,
        previous,
        stock,
        verdict,
        overridden,
    })
}

/// How long after saving a dose or check-in can be undone with one tap (a double tap, the
/// wrong button): after that it is corrected or deleted with a reason.
pub const UNDO_MINUTES: i64 = 10;

/// The reason an undone record carries.
pub const UNDONE: &str = "undone right after saving";

/// Whether a record saved at `created` (and never changed since) can still be undone at `now`.
pub fn undoable(created: Timestamp, changed: Option<Timestamp>, now: Timestamp) -> bool {
    changed.is_none()
        && now >= created
        && now.duration_since(created)
            <= dosewise_core::jiff::SignedDuration::from_mins(UNDO_MINUTES)
}

/// What is said when a record can no longer be undone ("dose #3", "check-in #4").
pub(crate) fn too_late_to_undo(what: &str) -> crate::AppError {
    crate::conflict(format!(
        "{what} can no longer be undone (that is only for the first {UNDO_MINUTES} minutes after saving); correct it, or delete it with a reason"
    ))
}

/// Undo a dose just saved: deleted as [`delete`] does (kept, marked, its supply returned),
/// with [`UNDONE`] as the reason; refused once the window has passed or the dose was changed.
pub async fn undo<S: Store>(store: &S, id: i64, now: Timestamp) -> Result<Dose> {
    let d = store
        .dose(id)
        .await?
        .ok_or_else(|| crate::AppError::NotFound(format!("no dose #{id}")))?;
    if d.deleted_at.is_some() || !undoable(d.created_at, d.updated_at, now) {
        return Err(too_late_to_undo(&format!("dose #{id}")));
    }
    delete(store, id, Some(UNDONE), now).await
}

/// Delete a dose that did not happen: it stays in the record, marked deleted with a revision,
/// and its supply returns to its stock.
pub async fn delete<S: Store>(
    store: &S,
    id: i64,
    reason: Option<&str>,
    now: Timestamp,
) -> Result<Dose> {
    let reason = text::opt_label("reason", reason).map_err(input)?;
    Ok(store.delete_dose(id, now, reason.as_deref()).await?)
}

/// A dose in words, the same on every surface: what it is ("½ troche of Troche 25 = 12.5 mg
/// HCl (10.84 mg base)"), then the lines that go with it — the supply it takes, the estimated
/// bioavailable amount by its route (or that there is none), what the route's figures mean for
/// this form, and the dose per kilogram.
pub fn describe(new: &NewDose, stock: Option<&Stock>) -> (String, Vec<String>) {
    use dosewise_core::dose::units_text;
    use dosewise_core::preparation::Form;
    use dosewise_core::stock::supply_text;
    use dosewise_core::units::fmt_num;
    let mass = new.amount_text();
    let what = match (units_text(&new.quantity), stock) {
        (Some(u), Some(s)) => format!("{u} of {} = {mass}", s.stock.name),
        (None, Some(s)) => format!("{} of {} = {mass}", new.entered, s.stock.name),
        (_, None) => mass,
    };
    let mut lines = Vec::new();
    if let (Some(used), Some(s)) = (new.supply_used, stock) {
        lines.push(format!(
            "Takes {} from {}.",
            supply_text(&s.stock.preparation, used),
            s.stock.name
        ));
    }
    lines.push(match (new.bioavailable_mg_min, new.bioavailable_mg_max) {
        (Some(lo), Some(hi)) => format!(
            "Estimated bioavailable by the {} route: {}–{} mg base (an average from small studies; yours may differ).",
            new.route,
            fmt_num(lo),
            fmt_num(hi)
        ),
        _ => format!(
            "No bioavailability estimate for {} by the {} route.",
            new.substance, new.route
        ),
    });
    let troche = stock.is_some_and(|s| matches!(s.stock.preparation.form, Form::Troche { .. }));
    match new.route {
        Route::Sublingual if troche => lines.push(
            "A troche held in the mouth uses the sublingual range; whatever is swallowed behaves like an oral dose.".into(),
        ),
        Route::Buccal => lines.push(
            "Buccal uses the sublingual figures: no separate buccal measurement was found.".into(),
        ),
        _ => {}
    }
    if let Some(k) = new.mg_per_kg {
        lines.push(format!("{} mg/kg (base).", fmt_num(k)));
    }
    (what, lines)
}
