//! The safety check as every surface runs it: gather what preflight reads, run it.

use crate::Result;
use dosewise_core::dose::NewDose;
use dosewise_core::jiff::tz::TimeZone;
use dosewise_core::jiff::{SignedDuration, Timestamp};
use dosewise_core::protocol::Protocol;
use dosewise_core::route::Route;
use dosewise_core::safety::{Finding, Preflight, Verdict, preflight};
use dosewise_core::screen::ScreenAnswer;
use dosewise_store::{Store, Window};

/// What the caller already holds, so the check does not read it again.
#[derive(Debug, Clone, Copy)]
pub struct Known<'a> {
    /// The contraindication screen answers (from the profile).
    pub screen: &'a [ScreenAnswer],
    /// The dose's protocol, if any.
    pub protocol: Option<&'a Protocol>,
    /// The crisis line the person set (from the profile).
    pub crisis_line: Option<&'a str>,
    /// How to reach the clinician (from the profile).
    pub clinician: Option<&'a str>,
}

/// Run preflight for `dose`. `exclude` is the id of a dose being corrected (left out of history).
pub async fn check<S: Store>(
    store: &S,
    dose: &NewDose,
    now: Timestamp,
    tz: &TimeZone,
    exclude: Option<i64>,
    known: Known<'_>,
) -> Result<Verdict> {
    let since = |days: i64| {
        dose.at
            .min(now)
            .checked_sub(SignedDuration::from_hours(24 * days))
            .ok()
    };
    let window = |from: Option<Timestamp>, to: Option<Timestamp>| Window {
        from,
        to,
        include_deleted: false,
    };
    let history: Vec<_> = store
        .dose_history(window(since(70), None))
        .await?
        .into_iter()
        .filter(|d| Some(d.id) != exclude)
        .collect();
    // Recent check-ins for craving and coping; urinary ones from further back.
    let mut checkins = store
        .urinary_checkins(window(since(100), since(15)))
        .await?;
    checkins.extend(store.checkins(window(since(15), None)).await?);
    let meds = store.medications(false).await?;
    let uses = store.substance_uses(window(since(15), None)).await?;
    let vitals = store.vitals(window(since(1), None)).await?;
    let clearances = store.clearances().await?;
    let assessments = store.assessments(window(since(100), None)).await?;
    let prescription = crate::share::prescription(store).await?;
    Ok(preflight(&Preflight {
        dose,
        now,
        tz,
        protocol: known.protocol,
        history: &history,
        checkins: &checkins,
        meds: &meds,
        uses: &uses,
        vitals: &vitals,
        clearances: &clearances,
        screen: known.screen,
        assessments: &assessments,
        crisis_line: known.crisis_line,
        clinician: known.clinician,
        prescription: prescription.as_ref(),
    }))
}

/// The findings every dose would carry now, whatever its amount: interactions, red flags,
/// vital signs, the screen, long use (for `dosewise check` and the titration proposal). Runs
/// the one safety check on a nominal dose now, by the protocol's (or else the last dose's)
/// route and substance.
pub async fn standing<S: Store>(
    store: &S,
    now: Timestamp,
    tz: &TimeZone,
    protocol: Option<&Protocol>,
) -> Result<Vec<Finding>> {
    let profile = store.profile().await?;
    let last = store.recent_doses(1).await?.into_iter().next();
    let substance = protocol
        .map(|p| p.protocol.substance)
        .or(last.as_ref().map(|d| d.dose.substance))
        .unwrap_or(dosewise_core::route::Substance::Ketamine);
    let route = protocol
        .and_then(|p| p.protocol.route)
        .or(last.as_ref().map(|d| d.dose.route))
        .unwrap_or(Route::Sublingual);
    let zone = dosewise_core::when::zone_name(tz);
    let nominal = NewDose::nominal(now, &zone, substance, route, protocol.map(|p| p.id));
    let screen = profile
        .as_ref()
        .map(|p| p.screen.clone())
        .unwrap_or_default();
    let known = Known {
        screen: &screen,
        protocol,
        crisis_line: profile.as_ref().and_then(|p| p.crisis_line.as_deref()),
        clinician: profile.as_ref().and_then(|p| p.clinician.as_deref()),
    };
    let v = check(store, &nominal, now, tz, None, known).await?;
    Ok(v.standing().cloned().collect())
}
