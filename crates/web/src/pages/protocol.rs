//! The protocol page: the current plan, its adherence, and pausing, resuming or ending it.

use super::more::{Flash, Notice, notice_text, saved, saved_or_again};
use crate::AppState;
use crate::error::WebError;
use crate::layout::{Nav, csrf, error_box, page};
use crate::security::{CheckedForm, Csrf, FormData};
use axum::Extension;
use axum::extract::{Path, Query, State};
use axum::response::Response;
use dosewise_core::protocol::Status;
use dosewise_core::schedule::{next_planned, slot};
use dosewise_core::when::friendly_on;
use dosewise_store::Store;
use maud::{Markup, html};

pub async fn protocol(
    State(st): State<AppState>,
    Extension(token): Extension<Csrf>,
    Query(flash): Query<Flash>,
) -> Result<Markup, WebError> {
    let notice = notice_text(&st, &flash).await?;
    protocol_page(&st, &token, &FormData::default(), None, notice.as_deref()).await
}

async fn protocol_page(
    st: &AppState,
    token: &Csrf,
    f: &FormData,
    error: Option<&str>,
    flash: Option<&str>,
) -> Result<Markup, WebError> {
    let store = st.store().await;
    let tz = super::zone(st, &store).await?;
    let now = st.now();
    let today = now.to_zoned_datetime(tz.clone()).date();
    let protocols = store.protocols(false).await?;
    let stocks = store.stocks(false).await?;
    let from = today
        .checked_sub(dosewise_core::jiff::Span::new().days(28))
        .unwrap_or(today);
    let mut rows = Vec::new();
    for p in &protocols {
        let doses = store
            .doses(dosewise_app::period::window(from, today, &tz, false)?)
            .await?;
        let mine: Vec<_> = doses
            .into_iter()
            .filter(|d| d.dose.protocol_id == Some(p.id))
            .collect();
        let adh =
            dosewise_core::adherence::adherence(p, &mine, from.max(p.protocol.start), today, today);
        let events = store.protocol_events(p.id).await?;
        rows.push((p, adh, events));
    }
    drop(store);
    let body = html! {
        h1 { "Protocol" }
        (saved(flash))
        (error_box(error))
        @if protocols.is_empty() { p { "No current protocol yet: start one below, with your clinician's plan." } }
        @for (p, adh, events) in &rows {
            section.card {
                h2 { (p.protocol.name) }
                p { (dosewise_app::today::protocol_line(p, today, &tz)) }
                p { (p.protocol.pattern.describe()) "; planned dose " (p.protocol.dose.entered) "." }
                ul { @for l in p.protocol.limits.describe() { li { (l) } } }
                h3 { "Next planned doses" }
                @let next = next_planned(p, today, 5);
                @if next.is_empty() { p.muted { "None planned" @if p.status == Status::Paused { " while paused" } "." } }
                ul { @for d in next { li { (friendly_on(slot(p, d, &tz), &tz, today)) } } }
                h3 { "Last 28 days" }
                p {
                    (adh.planned_days_dosed) " of " (adh.planned_days) " planned days dosed"
                    @if let Some(a) = adh.adherence { " (" (format!("{:.0}", a * 100.0)) "%)" }
                    "; " (adh.off_plan_dose_ids.len()) " off-plan, " (adh.extra_dose_ids.len()) " extra."
                }
                h3 { "History" }
                ul { @for e in events.iter() { li { (e.date) ": " (e.describe()) } } }
                h3 { "Pause, resume or end" }
                form method="post" action={ "/protocol/" (p.id) } {
                    (csrf(token))
                    @if p.status == Status::Active {
                        button.secondary type="submit" name="action" value="pause" { "Pause from today" }
                    } @else if p.status == Status::Paused {
                        button.secondary type="submit" name="action" value="resume" { "Resume today" }
                    }
                    p {
                        label for={ "end-" (p.id) } {
                            input #{ "end-" (p.id) } type="checkbox" name="confirm_end" value="yes";
                            " End this protocol for good (its history stays in the journal)"
                        }
                    }
                    button.secondary type="submit" name="action" value="end" { "End protocol" }
                }
                h3 { "Change the plan" }
                form method="post" action={ "/protocol/" (p.id) "/change" } {
                    (csrf(token))
                    p.hint { "Only what you fill in changes; the change and your reason go into the history." }
                    div.grid2 {
                        div { label for={ "dose-" (p.id) } { "New planned dose" } input #{ "dose-" (p.id) } type="text" name="dose" placeholder=(p.protocol.dose.entered); }
                        div { label for={ "time-" (p.id) } { "New time" } input #{ "time-" (p.id) } type="time" name="time"; }
                    }
                    (limit_fields(&format!("c{}", p.id), f))
                    label for={ "reason-" (p.id) } { "Why (kept in the history)" }
                    input #{ "reason-" (p.id) } type="text" name="reason" maxlength="500";
                    button.secondary type="submit" { "Save the change" }
                }
            }
        }
        (start_form(token, f, &stocks))
    };
    Ok(page("Protocol", Nav::More, body))
}

/// The limits' fields, ids prefixed with `prefix` (a page can hold several such forms).
fn limit_fields(prefix: &str, f: &FormData) -> Markup {
    let v = |n: &str| f.get(n);
    html! {
        fieldset {
            legend { "Limits (as agreed with your clinician)" }
            div.grid2 {
                div { label for={ (prefix) "-max-dose" } { "Most in one dose (e.g. 25 mg)" } input #{ (prefix) "-max-dose" } type="text" name="max_dose" value=[v("max_dose")]; }
                div { label for={ (prefix) "-max-day" } { "Most in one day" } input #{ (prefix) "-max-day" } type="text" name="max_day" value=[v("max_day")]; }
            }
            div.grid2 {
                div { label for={ (prefix) "-max-week" } { "Most in any 7 days" } input #{ (prefix) "-max-week" } type="text" name="max_week" value=[v("max_week")]; }
                div { label for={ (prefix) "-interval" } { "Least time between doses (e.g. 48h)" } input #{ (prefix) "-interval" } type="text" name="min_interval" value=[v("min_interval")]; }
            }
            div.grid2 {
                div { label for={ (prefix) "-bp-warn" } { "Blood pressure that warns (default 140/90)" } input #{ (prefix) "-bp-warn" } type="text" name="bp_warn_above" value=[v("bp_warn_above")]; }
                div { label for={ (prefix) "-bp-refuse" } { "Blood pressure that refuses (default 160/100)" } input #{ (prefix) "-bp-refuse" } type="text" name="bp_refuse_from" value=[v("bp_refuse_from")]; }
            }
        }
    }
}

fn limits_request(f: &FormData) -> dosewise_app::protocol::LimitsRequest {
    dosewise_app::protocol::LimitsRequest {
        max_dose: f.get("max_dose"),
        max_day: f.get("max_day"),
        max_week: f.get("max_week"),
        min_interval: f.get("min_interval"),
        dispensed: None,
        refill: None,
        bp_warn_above: f.get("bp_warn_above"),
        bp_refuse_from: f.get("bp_refuse_from"),
    }
}

/// The first-run setup's plan: a rhythm from the common presets, the dose and its time, the
/// stock, the first day, the limits; cycles and a titration ladder folded away for those whose
/// clinician gave one. It posts to the same handler as the full form.
pub(crate) fn setup_form(
    token: &Csrf,
    f: &FormData,
    stocks: &[dosewise_core::stock::Stock],
) -> Markup {
    let v = |n: &str| f.get(n);
    let preset = f.get("preset").unwrap_or_else(|| "1on2off".into());
    html! {
        form method="post" action="/protocol/new" {
            (csrf(token))
            input type="hidden" name="next" value="setup";
            input type="hidden" name="step" value="plan";
            fieldset.checks {
                legend { "Which days" }
                @for (code, words, _) in PRESETS {
                    label { input type="radio" name="preset" value=(code) checked[preset == code]; (words) }
                }
            }
            label for="s-cap" { "As needed: most doses in any 7 days" }
            input #s-cap type="number" min="1" max="21" name="weekly_cap" value=[v("weekly_cap")];
            div.grid2 {
                div { label for="s-dose" { "Planned dose (e.g. 1/2 troche, 12.5 mg, 2 sprays)" } input #s-dose type="text" name="dose" value=[v("dose")] required; }
                div { label for="s-time" { "Time of a planned dose" } input #s-time type="time" name="time" value=(v("time").unwrap_or_else(|| "08:00".into())) required; }
            }
            @if stocks.len() > 1 {
                label for="s-stock" { "Stock the doses come from" }
                select #s-stock name="stock" {
                    @for s in stocks { option value=(s.id) selected[v("stock") == Some(s.id.to_string())] { (s.stock.name) } }
                }
            }
            label for="s-start" { "First day (default today)" }
            input #s-start type="date" name="start" value=[v("start")];
            (limit_fields("s", f))
            details {
                summary { "Cycles with breaks, or a titration ladder (only if your clinician gave one)" }
                div.grid2 {
                    div { label for="s-cycle" { "Cycle length (e.g. 6w)" } input #s-cycle type="text" name="cycle" value=[v("cycle")]; }
                    div { label for="s-break" { "Break after each cycle (e.g. 2w)" } input #s-break type="text" name="break" value=[v("break")]; }
                }
                div.grid2 {
                    div { label for="s-t-start" { "First step (e.g. 10 mg)" } input #s-t-start type="text" name="titrate_start" value=[v("titrate_start")]; }
                    div { label for="s-t-step" { "Step (e.g. 5 mg)" } input #s-t-step type="text" name="titrate_step" value=[v("titrate_step")]; }
                }
                div.grid2 {
                    div { label for="s-t-every" { "At least this long on each step (e.g. 14d)" } input #s-t-every type="text" name="titrate_every" value=[v("titrate_every")]; }
                    div { label for="s-t-ceiling" { "Ceiling (e.g. 30 mg)" } input #s-t-ceiling type="text" name="ceiling" value=[v("ceiling")]; }
                }
            }
            button type="submit" { "Save and continue" }
        }
    }
}

/// The form that starts a protocol: the pattern, the dose, the stock, a cycle with breaks and a
/// titration ladder if the clinician plans them, the limits, what to ask before a dose.
fn start_form(token: &Csrf, f: &FormData, stocks: &[dosewise_core::stock::Stock]) -> Markup {
    let v = |n: &str| f.get(n);
    let pattern = f.get("pattern");
    let days = f.all("weekdays");
    html! {
        h2 #start { "Start a protocol" }
        p.hint { "A protocol is your clinician's plan written down; a new one replaces the current one for its substance (which ends, with its history kept)." }
        form method="post" action="/protocol/new" {
            (csrf(token))
            label for="p-name" { "Name (optional; default: the pattern in words)" }
            input #p-name type="text" name="name" value=[v("name")] maxlength="200";
            label for="p-pattern" { "Which days" }
            select #p-pattern name="pattern" {
                option value="every" selected[pattern.as_deref() == Some("every")] { "Every N days (3 = one day on, two off)" }
                option value="on_off" selected[pattern.as_deref() == Some("on_off")] { "Days on, days off (e.g. 4/3)" }
                option value="weekdays" selected[pattern.as_deref() == Some("weekdays")] { "Chosen weekdays" }
                option value="daily" selected[pattern.as_deref() == Some("daily")] { "Every day" }
                option value="as_needed" selected[pattern.as_deref() == Some("as_needed")] { "As needed (with a least interval and a weekly cap)" }
            }
            div.grid2 {
                div { label for="p-every" { "N, for every N days" } input #p-every type="number" min="1" max="60" name="every" value=[v("every")]; }
                div { label for="p-on-off" { "Days on/off (e.g. 4/3)" } input #p-on-off type="text" name="on_off" value=[v("on_off")]; }
            }
            fieldset {
                legend { "Weekdays" }
                div.checks {
                    @for (code, name) in [("mon", "Mon"), ("tue", "Tue"), ("wed", "Wed"), ("thu", "Thu"), ("fri", "Fri"), ("sat", "Sat"), ("sun", "Sun")] {
                        label { input type="checkbox" name="weekdays" value=(code) checked[days.iter().any(|d| d == code)]; " " (name) }
                    }
                }
            }
            label for="p-cap" { "As needed: most doses in any 7 days" }
            input #p-cap type="number" min="1" max="21" name="weekly_cap" value=[v("weekly_cap")];
            div.grid2 {
                div { label for="p-dose" { "Planned dose (e.g. 1/2 troche, 12.5 mg, 2 sprays)" } input #p-dose type="text" name="dose" value=[v("dose")] required; }
                div { label for="p-time" { "Time of a planned dose" } input #p-time type="time" name="time" value=(v("time").unwrap_or_else(|| "08:00".into())) required; }
            }
            label for="p-stock" { "Stock the doses come from" }
            select #p-stock name="stock" {
                @if stocks.len() != 1 { option value="" { "(none: the dose is given in mg)" } }
                @for s in stocks { option value=(s.id) selected[v("stock") == Some(s.id.to_string())] { (s.stock.name) } }
            }
            div.grid2 {
                div { label for="p-start" { "First day (default today)" } input #p-start type="date" name="start" value=[v("start")]; }
                div { label for="p-end" { "Last day (optional)" } input #p-end type="date" name="end" value=[v("end")]; }
            }
            fieldset {
                legend { "Cycles and breaks (only if your clinician plans them)" }
                div.grid2 {
                    div { label for="p-cycle" { "Cycle length (e.g. 6w)" } input #p-cycle type="text" name="cycle" value=[v("cycle")]; }
                    div { label for="p-break" { "Break after each cycle (e.g. 2w)" } input #p-break type="text" name="break" value=[v("break")]; }
                }
            }
            fieldset {
                legend { "Titration (only if your clinician plans one; steps are proposed, never automatic)" }
                div.grid2 {
                    div { label for="p-t-start" { "First step (e.g. 10 mg)" } input #p-t-start type="text" name="titrate_start" value=[v("titrate_start")]; }
                    div { label for="p-t-step" { "Step (e.g. 5 mg)" } input #p-t-step type="text" name="titrate_step" value=[v("titrate_step")]; }
                }
                div.grid2 {
                    div { label for="p-t-every" { "At least this long on each step (e.g. 14d)" } input #p-t-every type="text" name="titrate_every" value=[v("titrate_every")]; }
                    div { label for="p-t-ceiling" { "Ceiling (e.g. 30 mg)" } input #p-t-ceiling type="text" name="ceiling" value=[v("ceiling")]; }
                }
            }
            (limit_fields("p", f))
            label for="p-checkin" { "Daily check-in reminder (optional, for the calendar feed)" }
            input #p-checkin type="time" name="checkin_time" value=[v("checkin_time")];
            div.checks {
                label { input type="checkbox" name="require_bp" value="yes" checked[v("require_bp").is_some()]; " Ask for a blood-pressure reading before each dose" }
                label { input type="checkbox" name="sitter" value="yes" checked[v("sitter").is_some()]; " Doses are taken with a sober sitter present" }
            }
            label for="p-note" { "Note (optional)" }
            input #p-note type="text" name="note" value=[v("note")] maxlength="10000";
            button type="submit" { "Start protocol" }
        }
    }
}

/// A preset: its code, its words, and the pattern fields it stands for.
type Preset = (
    &'static str,
    &'static str,
    &'static [(&'static str, &'static str)],
);

/// The common rhythms, as the first-run setup offers them.
pub(crate) const PRESETS: [Preset; 5] = [
    (
        "1on2off",
        "One day on, two days off",
        &[("pattern", "every"), ("every", "3")],
    ),
    (
        "every_other",
        "Every other day",
        &[("pattern", "every"), ("every", "2")],
    ),
    (
        "4on3off",
        "Four days on, three off",
        &[("pattern", "on_off"), ("on_off", "4/3")],
    ),
    (
        "weekdays",
        "Weekdays (Monday to Friday)",
        &[
            ("pattern", "weekdays"),
            ("weekdays", "mon"),
            ("weekdays", "tue"),
            ("weekdays", "wed"),
            ("weekdays", "thu"),
            ("weekdays", "fri"),
        ],
    ),
    (
        "as_needed",
        "As needed, with a weekly cap",
        &[("pattern", "as_needed")],
    ),
];

/// The form with a chosen preset turned into the pattern fields it stands for.
fn with_preset(f: &FormData) -> dosewise_app::Result<FormData> {
    let Some(code) = f.get("preset") else {
        return Ok(f.clone());
    };
    let (_, _, fields) = PRESETS
        .iter()
        .find(|(c, _, _)| *c == code)
        .ok_or_else(|| dosewise_app::input("choose one of the rhythms offered"))?;
    let mut out: Vec<(String, String)> =
        f.0.iter()
            .filter(|(k, _)| !matches!(k.as_str(), "pattern" | "every" | "on_off" | "weekdays"))
            .cloned()
            .collect();
    out.extend(fields.iter().map(|(k, v)| (k.to_string(), v.to_string())));
    Ok(FormData(out))
}

/// Start a protocol, through the same code as `dosewise protocol add`.
pub async fn start_protocol(
    State(st): State<AppState>,
    Extension(token): Extension<Csrf>,
    CheckedForm(f): CheckedForm,
) -> Result<Response, WebError> {
    let r: dosewise_app::Result<_> = async {
        let f = &with_preset(&f)?;
        let pattern = f.get("pattern").unwrap_or_default();
        let every = match pattern.as_str() {
            "every" => Some(
                f.int("every")?
                    .ok_or_else(|| dosewise_app::input("give N, for every N days"))?,
            ),
            _ => None,
        };
        let every = every
            .map(|n| {
                u32::try_from(n).map_err(|_| dosewise_app::input("every N days: N from 1 to 60"))
            })
            .transpose()?;
        let on_off = match pattern.as_str() {
            "on_off" => Some(
                f.get("on_off")
                    .ok_or_else(|| dosewise_app::input("give days on/off, e.g. 4/3"))?,
            ),
            _ => None,
        };
        let weekdays = if pattern == "weekdays" {
            let d = f.all("weekdays");
            if d.is_empty() {
                return Err(dosewise_app::input("tick at least one weekday"));
            }
            d
        } else {
            Vec::new()
        };
        if !matches!(
            pattern.as_str(),
            "every" | "on_off" | "weekdays" | "daily" | "as_needed"
        ) {
            return Err(dosewise_app::input("choose which days the protocol plans"));
        }
        let weekly_cap = match pattern.as_str() {
            "as_needed" => Some(
                f.int("weekly_cap")?
                    .and_then(|n| u32::try_from(n).ok())
                    .ok_or_else(|| {
                        dosewise_app::input("as needed: give the most doses in any 7 days")
                    })?,
            ),
            _ => None,
        };
        let req = dosewise_app::protocol::ProtocolRequest {
            name: f.get("name"),
            stock: f.get("stock"),
            substance: None,
            every,
            on_off,
            weekdays,
            daily: pattern == "daily",
            weekly_cap,
            dose: f.get("dose").unwrap_or_default(),
            time: f.get("time").unwrap_or_else(|| "08:00".into()),
            start: f.get("start"),
            end: f.get("end"),
            route: None,
            cycle: f.get("cycle"),
            break_days: f.get("break"),
            titration: dosewise_app::protocol::TitrationRequest {
                start: f.get("titrate_start"),
                step: f.get("titrate_step"),
                every: f.get("titrate_every"),
                ceiling: f.get("ceiling"),
            },
            limits: limits_request(f),
            checkin_time: f.get("checkin_time"),
            require_bp: f.get("require_bp").is_some(),
            sitter: f.get("sitter").is_some(),
            note: f.get("note"),
            zone: st.0.config.zone.clone(),
        };
        if req.dose.is_empty() {
            return Err(dosewise_app::input(
                "give the planned dose, e.g. 1/2 troche",
            ));
        }
        let store = st.store().await;
        dosewise_app::protocol::add(&*store, &req, st.now()).await
    }
    .await;
    if super::setup::wanted(&f) {
        return super::setup::after(&st, &token, &f, r.map(|_| ())).await;
    }
    let r = r.map(|s| Notice::Started(s.protocol.id));
    saved_or_again(r, "/protocol", async |m| {
        protocol_page(&st, &token, &f, Some(m), None).await
    })
    .await
}

/// Change a protocol's dose, time or limits, through the same code as `dosewise protocol set`.
pub async fn change_plan(
    State(st): State<AppState>,
    Extension(token): Extension<Csrf>,
    Path(id): Path<i64>,
    CheckedForm(f): CheckedForm,
) -> Result<Response, WebError> {
    let store = st.store().await;
    let today = st
        .now()
        .to_zoned_datetime(super::zone(&st, &store).await?)
        .date();
    let r: dosewise_app::Result<_> = async {
        let p = store
            .protocol(id)
            .await?
            .ok_or_else(|| dosewise_app::input(format!("there is no protocol {id}")))?;
        let req = dosewise_app::protocol::ChangeRequest {
            dose: f.get("dose"),
            time: f.get("time"),
            end: None,
            checkin_time: None,
            limits: limits_request(&f),
            reason: f.get("reason"),
        };
        dosewise_app::protocol::change(&*store, p, &req, today, st.now()).await
    }
    .await;
    let r = r.map(|(p, _)| Notice::Changed(p.id));
    // The page shown again locks the store itself.
    drop(store);
    saved_or_again(r, "/protocol", async |m| {
        protocol_page(&st, &token, &FormData::default(), Some(m), None).await
    })
    .await
}

/// Pause, resume or end a protocol (the same code as `dosewise protocol pause|resume|end`).
pub async fn change_protocol(
    State(st): State<AppState>,
    Extension(token): Extension<Csrf>,
    Path(id): Path<i64>,
    CheckedForm(f): CheckedForm,
) -> Result<Response, WebError> {
    let store = st.store().await;
    let now = st.now();
    let today = now
        .to_zoned_datetime(super::zone(&st, &store).await?)
        .date();
    let r: dosewise_app::Result<Notice> = async {
        let p = store
            .protocol(id)
            .await?
            .ok_or_else(|| dosewise_app::input(format!("there is no protocol {id}")))?;
        let pid = p.id;
        Ok(match f.get("action").as_deref() {
            Some("pause") => {
                dosewise_app::protocol::pause(&*store, p, today, now).await?;
                Notice::Paused(pid)
            }
            Some("resume") => {
                dosewise_app::protocol::resume(&*store, p, today, now).await?;
                Notice::Resumed(pid)
            }
            Some("end") => {
                if f.get("confirm_end").as_deref() != Some("yes") {
                    return Err(dosewise_app::input(
                        "to end a protocol, tick the box that confirms it, then press End protocol",
                    ));
                }
                dosewise_app::protocol::end(&*store, p, today, now).await?;
                Notice::Ended(pid)
            }
            _ => return Err(dosewise_app::input("choose pause, resume or end")),
        })
    }
    .await;
    // The page shown again locks the store itself.
    drop(store);
    saved_or_again(r, "/protocol", async |m| {
        protocol_page(&st, &token, &FormData::default(), Some(m), None).await
    })
    .await
}
