//! The other pages: stock, protocol, medicines and other substances, vital signs,
//! questionnaires, export and import, the calendar feed.

use crate::AppState;
use crate::error::WebError;
use crate::layout::{Nav, csrf, error_box, page, when};
use crate::security::{CheckedForm, Csrf, FormData, check_token};
use axum::Extension;
use axum::extract::{Multipart, Path, Query, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use dosewise_app::AppError;
use dosewise_app::records::VitalsRequest;
use dosewise_core::jiff::civil::Time;
use dosewise_core::medication::NewMedication;
use dosewise_core::protocol::Status;
use dosewise_core::questionnaire::{CRISIS_SOURCE, due, instrument};
use dosewise_core::schedule::{next_planned, slot};
use dosewise_core::units::fmt_num;
use dosewise_core::vitals::VitalsContext;
use dosewise_core::when::local_text;
use dosewise_store::{Store, Window};
use maud::{Markup, html};

/// A page that shows a form again with what went wrong (400), or the store's failure.
fn rejected(e: AppError, render: impl FnOnce(&str) -> Markup) -> Result<Response, WebError> {
    match e {
        AppError::Input(m) => Ok((StatusCode::BAD_REQUEST, render(&m)).into_response()),
        other => Err(other.into()),
    }
}

/// After a form that changes something: back to `path` with the notice shown (303), or the
/// form's page again with what was wrong (400, nothing written), or the store's failure.
async fn saved_or_again(
    r: dosewise_app::Result<Notice>,
    path: &str,
    again: impl AsyncFnOnce(&str) -> Result<Markup, WebError>,
) -> Result<Response, WebError> {
    match r {
        Ok(n) => Ok(back_with(path, n, "")),
        Err(AppError::Input(m)) => Ok((StatusCode::BAD_REQUEST, again(&m).await?).into_response()),
        Err(e) => Err(e.into()),
    }
}

/// What a page says after a change. Only a code (and the id of what changed) travels in the
/// address; the words are the server's, so a link from anywhere cannot put its own text in the
/// green "saved" box ("your clinician approved raising the dose…").
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Notice {
    Stock(i64),
    Paused(i64),
    Resumed(i64),
    Ended(i64),
    MedicineAdded,
    UseLogged,
    LinkMade,
    LinkRemoved,
    ScreenSaved,
}

impl Notice {
    fn query(self) -> String {
        let (code, id) = match self {
            Notice::Stock(id) => ("stock", Some(id)),
            Notice::Paused(id) => ("paused", Some(id)),
            Notice::Resumed(id) => ("resumed", Some(id)),
            Notice::Ended(id) => ("ended", Some(id)),
            Notice::MedicineAdded => ("medicine", None),
            Notice::UseLogged => ("use", None),
            Notice::LinkMade => ("link", None),
            Notice::LinkRemoved => ("unlinked", None),
            Notice::ScreenSaved => ("screen", None),
        };
        match id {
            Some(id) => format!("saved={code}&id={id}"),
            None => format!("saved={code}"),
        }
    }

    fn parse(f: &Flash) -> Option<Notice> {
        let id = f.id;
        Some(match (f.saved.as_deref()?, id) {
            ("stock", Some(id)) => Notice::Stock(id),
            ("paused", Some(id)) => Notice::Paused(id),
            ("resumed", Some(id)) => Notice::Resumed(id),
            ("ended", Some(id)) => Notice::Ended(id),
            ("medicine", _) => Notice::MedicineAdded,
            ("use", _) => Notice::UseLogged,
            ("link", _) => Notice::LinkMade,
            ("unlinked", _) => Notice::LinkRemoved,
            ("screen", _) => Notice::ScreenSaved,
            _ => return None,
        })
    }
}

/// The words for a notice in the address, from the journal; nothing for an unknown code.
pub(crate) async fn notice_text(st: &AppState, f: &Flash) -> Result<Option<String>, WebError> {
    let Some(n) = Notice::parse(f) else {
        return Ok(None);
    };
    let store = st.store().await;
    let protocol = async |store: &dosewise_backends::AnyStore, id| -> Result<String, WebError> {
        Ok(store.protocol(id).await?.map_or_else(
            || "The protocol".into(),
            |p| format!("\"{}\"", p.protocol.name),
        ))
    };
    Ok(Some(match n {
        Notice::Stock(id) => match store.stock(id).await? {
            Some(s) => format!(
                "Saved: {} now has {} on hand.",
                s.stock.name,
                s.remaining_text()
            ),
            None => return Ok(None),
        },
        Notice::Paused(id) => format!(
            "{} is paused: no dose is planned until you resume it.",
            protocol(&*store, id).await?
        ),
        Notice::Resumed(id) => format!("{} is resumed.", protocol(&*store, id).await?),
        Notice::Ended(id) => format!(
            "{} has ended. Its history stays in the journal.",
            protocol(&*store, id).await?
        ),
        Notice::MedicineAdded => "Medicine added.".into(),
        Notice::UseLogged => "Use logged.".into(),
        Notice::LinkMade => {
            "A new private calendar link was made; any older one no longer works.".into()
        }
        Notice::LinkRemoved => "The private calendar link was removed.".into(),
        Notice::ScreenSaved => "Saved.".into(),
    }))
}

/// A redirect (303) to `path`, which shows the notice, at `#fragment` when one is given.
pub(crate) fn back_with(path: &str, n: Notice, fragment: &str) -> Response {
    Redirect::to(&format!("{path}?{}{fragment}", n.query())).into_response()
}

fn saved(msg: Option<&str>) -> Markup {
    html! { @if let Some(m) = msg { p.ok role="status" { (m) } } }
}

/// The notice in the address: a code and an id, never text.
#[derive(Debug, Default, serde::Deserialize)]
pub struct Flash {
    saved: Option<String>,
    id: Option<i64>,
}

pub async fn index(
    State(st): State<AppState>,
    Extension(token): Extension<Csrf>,
    Query(flash): Query<Flash>,
) -> Result<Markup, WebError> {
    let notice = notice_text(&st, &flash).await?;
    let link = crate::feed::current(&st.0.config.home);
    let body = html! {
        h1 { "More" }
        (saved(notice.as_deref()))
        ul.links {
            li { a href="/stock" { "Stock" } " — what you hold and how long it lasts" }
            li { a href="/protocol" { "Protocol" } " — your plan, the next planned doses, limits" }
            li { a href="/assess" { "Questionnaires" } " — PHQ-9, GAD-7, bladder and use questions" }
            li { a href="/screen" { "Health screen" } " — conditions that matter with ketamine, and your crisis line" }
            li { a href="/vitals" { "Vital signs" } " — blood pressure, heart rate, weight" }
            li { a href="/meds" { "Medicines and other substances" } " — for the interaction check" }
            li { a href="/export.json" download="dosewise-export.json" { "Export the whole journal (JSON)" } " — unencrypted: keep the file safe" }
            li { a href="/import" { "Import" } " — add records from a JSON export" }
            li { a href="/calendar.ics" { "Calendar feed (.ics)" } " — planned doses, breaks and check-in reminders, discreet titles" }
        }
        section #calendar-link {
            h2 { "Subscribe from a calendar app" }
            p { "A calendar app cannot log in, so it needs a private link. Anyone who has the link can see your plan's dates and times (the titles are discreet), so keep it to yourself and your own devices." }
            @if let Some(secret) = &link {
                p { "Your private link (copy the link's address into your calendar app): " a href={ "/calendar/" (secret) ".ics" } { "private calendar feed (.ics)" } }
                form method="post" action="/calendar-link" {
                    (csrf(&token))
                    button.secondary type="submit" name="action" value="new" { "Make a new link (the old one stops working)" }
                    " "
                    button.secondary type="submit" name="action" value="remove" { "Remove the link" }
                }
            } @else {
                form method="post" action="/calendar-link" {
                    (csrf(&token))
                    button.secondary type="submit" name="action" value="new" { "Make a private link" }
                }
            }
        }
        section #sessions {
            h2 { "Sessions" }
            p { "Each browser that opened Dosewise keeps a session for 12 hours after its last use (a week at most). Log out here, or everywhere — say, if you opened it on a device that is not yours." }
            form method="post" action="/logout" {
                (csrf(&token))
                button.secondary type="submit" { "Log out" }
                " "
                button.secondary type="submit" name="everywhere" value="1" { "Log out everywhere" }
            }
        }
    };
    Ok(page("More", Nav::More, body))
}

pub async fn stock(
    State(st): State<AppState>,
    Extension(token): Extension<Csrf>,
    Query(flash): Query<Flash>,
) -> Result<Markup, WebError> {
    let notice = notice_text(&st, &flash).await?;
    stock_page(&st, &token, &FormData::default(), None, notice.as_deref()).await
}

async fn stock_page(
    st: &AppState,
    token: &Csrf,
    f: &FormData,
    error: Option<&str>,
    flash: Option<&str>,
) -> Result<Markup, WebError> {
    // The stock statuses are part of today's (cached) overview.
    let (_, t) = st.today().await?;
    let stocks = st.store().await.stocks(true).await?;
    let active: Vec<_> = stocks.iter().filter(|s| !s.is_retired()).collect();
    let chosen = f.get("change");
    let body = html! {
        h1 { "Stock" }
        (saved(flash))
        (error_box(error))
        @if stocks.is_empty() { p { "No stock recorded. Add one with " code { "dosewise stock add" } "." } }
        div.table-wrap { table {
            thead { tr { th scope="col" { "Stock" } th scope="col" { "On hand" } th scope="col" { "Status" } } }
            tbody { @for s in &stocks {
                tr {
                    th scope="row" { (s.stock.name) @if s.is_retired() { " (retired)" } }
                    td { (s.remaining_text()) }
                    td {
                        @if let Some(x) = t.stock.iter().find(|x| x.stock_id == s.id) {
                            @if let Some(d) = x.days_left { "about " (fmt_num(d.floor())) " days at your recent use. " }
                            @for m in &x.messages { span.badge.warning { (m) } " " }
                        }
                    }
                }
            } }
        } }
        @if !active.is_empty() {
            h2 { "Refill, remove or count" }
            form method="post" action="/stock" {
                (csrf(token))
                label for="stock-id" { "Stock" }
                select #stock-id name="stock" {
                    @for s in &active {
                        option value=(s.id) selected[f.get("stock") == Some(s.id.to_string())] { (s.stock.name) " (" (s.remaining_text()) ")" }
                    }
                }
                label for="stock-change" { "Change" }
                select #stock-change name="change" {
                    option value="add" selected[chosen.as_deref() == Some("add")] { "Refill: add to what is on hand" }
                    option value="remove" selected[chosen.as_deref() == Some("remove")] { "Remove: spilled, primed, lost, given back" }
                    option value="count" selected[chosen.as_deref() == Some("count")] { "Count: what you have now replaces the journal's figure" }
                }
                label for="stock-amount" { "Amount (e.g. 10 troches, 4.2 mL, 30 sprays; a plain number is the stock's unit)" }
                input #stock-amount type="text" name="amount" value=[f.get("amount")] required;
                label for="stock-note" { "Note (optional, kept in the stock's ledger)" }
                input #stock-note type="text" name="note" value=[f.get("note")] maxlength="500";
                button type="submit" { "Save" }
            }
        }
        p.muted { "Adding a new stock, retiring one and calibrating drops are done in the terminal: " code { "dosewise stock --help" } "." }
    };
    Ok(page("Stock", Nav::More, body))
}

/// Refill, remove or count, through the same code as `dosewise stock adjust` / `count`.
pub async fn change_stock(
    State(st): State<AppState>,
    Extension(token): Extension<Csrf>,
    CheckedForm(f): CheckedForm,
) -> Result<Response, WebError> {
    let r: dosewise_app::Result<_> = async {
        let id = f
            .int("stock")?
            .ok_or_else(|| dosewise_app::input("choose a stock"))?;
        let change = dosewise_app::stock::Change::parse(&f.get("change").unwrap_or_default())?;
        let amount = f
            .get("amount")
            .ok_or_else(|| dosewise_app::input("give an amount, e.g. 10 troches or 4.2 mL"))?;
        let store = st.store().await;
        dosewise_app::stock::adjust_id(
            &*store,
            id,
            change,
            &amount,
            f.get("note").as_deref(),
            st.now(),
        )
        .await
    }
    .await;
    let r = r.map(|done| Notice::Stock(done.stock.id));
    saved_or_again(r, "/stock", async |m| {
        stock_page(&st, &token, &f, Some(m), None).await
    })
    .await
}

pub async fn protocol(
    State(st): State<AppState>,
    Extension(token): Extension<Csrf>,
    Query(flash): Query<Flash>,
) -> Result<Markup, WebError> {
    let notice = notice_text(&st, &flash).await?;
    protocol_page(&st, &token, None, notice.as_deref()).await
}

async fn protocol_page(
    st: &AppState,
    token: &Csrf,
    error: Option<&str>,
    flash: Option<&str>,
) -> Result<Markup, WebError> {
    let store = st.store().await;
    let tz = super::zone(st, &store).await?;
    let now = st.now();
    let today = now.to_zoned_datetime(tz.clone()).date();
    let protocols = store.protocols(false).await?;
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
        @if protocols.is_empty() { p { "No current protocol. Plans are set in the terminal: " code { "dosewise protocol add --help" } "." } }
        @for (p, adh, events) in &rows {
            section.card {
                h2 { (p.protocol.name) }
                p { (dosewise_app::today::protocol_line(p, today, &tz)) }
                p { (p.protocol.pattern.describe()) "; planned dose " (p.protocol.dose.entered) "." }
                ul { @for l in p.protocol.limits.describe() { li { (l) } } }
                h3 { "Next planned doses" }
                @let next = next_planned(p, today, 5);
                @if next.is_empty() { p.muted { "None planned" @if p.status == Status::Paused { " while paused" } "." } }
                ul { @for d in next { li { (local_text(slot(p, d, &tz), &tz)) } } }
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
                p.muted { "Changing the dose, time or limits is done in the terminal: " code { "dosewise protocol set --help" } "." }
            }
        }
    };
    Ok(page("Protocol", Nav::More, body))
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
        protocol_page(&st, &token, Some(m), None).await
    })
    .await
}

async fn meds_page(
    st: &AppState,
    token: &Csrf,
    f: &FormData,
    error: Option<&str>,
    flash: Option<&str>,
) -> Result<Markup, WebError> {
    let store = st.store().await;
    let tz = super::zone(st, &store).await?;
    let meds = store.medications(false).await?;
    let uses = store
        .substance_uses(Window::last_days(st.now(), 30))
        .await?;
    drop(store);
    let level = |name: &str| {
        dosewise_core::interaction::find(name).map(|i| {
            (
                i.name.clone(),
                i.level(dosewise_core::route::Route::Sublingual),
            )
        })
    };
    Ok(page(
        "Medicines and other substances",
        Nav::More,
        html! {
            h1 { "Medicines and other substances" }
            (saved(flash))
            (error_box(error))
            p { "The safety check reads these before every dose. Some combinations are refused (alcohol, opioids, benzodiazepines, GHB…); each finding says why and cites its source." }
            h2 { "Standing medicines" }
            @if meds.is_empty() { p.muted { "None recorded." } }
            ul { @for m in &meds {
                li {
                    (m.medication.name) @if let Some(d) = &m.medication.dose { " — " (d) }
                    @if let Some((name, lvl)) = level(&m.medication.name) { " " span.badge.warning { "interacts: " (name) @if let Some(l) = lvl { " (" (format!("{l:?}").to_lowercase()) ")" } } }
                }
            } }
            form method="post" action="/meds" {
                (csrf(token))
                label for="med-name" { "Add a medicine" }
                input #med-name type="text" name="name" value=[f.get("name")] required;
                label for="med-dose" { "Dose (as you would say it, optional)" }
                input #med-dose type="text" name="dose" value=[f.get("dose")];
                div.checks { label { input type="checkbox" name="clinician_aware" value="1"; "The clinician who prescribes the ketamine knows and has planned for it" } }
                button type="submit" { "Add medicine" }
            }
            h2 { "Other substances, last 30 days" }
            @if uses.is_empty() { p.muted { "None logged." } }
            ul { @for u in uses.iter().rev() {
                li { (when(u.usage.at, &u.usage.zone, &tz)) ": " (u.usage.name) @if let Some(a) = &u.usage.amount { ", " (a) } }
            } }
            form method="post" action="/uses" {
                (csrf(token))
                label for="use-name" { "Log a substance (alcohol, cannabis, …)" }
                input #use-name type="text" name="use_name" value=[f.get("use_name")] required;
                label for="use-amount" { "How much (optional)" }
                input #use-amount type="text" name="amount" value=[f.get("amount")];
                label for="use-at" { "When (empty for now; \"21:00\", \"-3h\")" }
                input #use-at type="text" name="at" value=[f.get("at")];
                button type="submit" { "Log use" }
            }
        },
    ))
}

pub async fn meds(
    State(st): State<AppState>,
    Extension(token): Extension<Csrf>,
    axum::extract::Query(q): axum::extract::Query<Flash>,
) -> Result<Markup, WebError> {
    let notice = notice_text(&st, &q).await?;
    meds_page(&st, &token, &FormData::default(), None, notice.as_deref()).await
}

pub async fn add_med(
    State(st): State<AppState>,
    Extension(token): Extension<Csrf>,
    CheckedForm(f): CheckedForm,
) -> Result<Response, WebError> {
    let m = NewMedication {
        name: f.get("name").unwrap_or_default(),
        dose: f.get("dose"),
        since: None,
        clinician_aware: f.has("clinician_aware"),
        note: None,
        added_at: st.now(),
    };
    let r = {
        let store = st.store().await;
        dosewise_app::records::medication(&*store, m).await
    };
    let r = r.map(|_| Notice::MedicineAdded);
    saved_or_again(r, "/meds", async |m| {
        meds_page(&st, &token, &f, Some(m), None).await
    })
    .await
}

pub async fn add_use(
    State(st): State<AppState>,
    Extension(token): Extension<Csrf>,
    CheckedForm(f): CheckedForm,
) -> Result<Response, WebError> {
    let r = {
        let store = st.store().await;
        dosewise_app::records::substance_use(
            &*store,
            &f.get("use_name").unwrap_or_default(),
            f.get("amount").as_deref(),
            f.get("at").as_deref(),
            None,
            st.0.config.zone.as_deref(),
            st.now(),
        )
        .await
    };
    let r = r.map(|_| Notice::UseLogged);
    saved_or_again(r, "/meds", async |m| {
        meds_page(&st, &token, &f, Some(m), None).await
    })
    .await
}

async fn vitals_page(
    st: &AppState,
    token: &Csrf,
    f: &FormData,
    error: Option<&str>,
    notes: &[String],
) -> Result<Markup, WebError> {
    let store = st.store().await;
    let tz = super::zone(st, &store).await?;
    let mut list = store.vitals(Window::default()).await?;
    drop(store);
    list.sort_by_key(|v| std::cmp::Reverse(v.vitals.at));
    let ctx = f.get("context").unwrap_or_else(|| "pre-dose".into());
    Ok(page(
        "Vital signs",
        Nav::More,
        html! {
            h1 { "Vital signs" }
            (error_box(error))
            @for n in notes { p.error role="alert" { (n) } }
            form method="post" action="/vitals" {
                (csrf(token))
                div.grid2 {
                    div { label for="bp" { "Blood pressure" } p.hint { "Systolic/diastolic, e.g. 128/82" } input #bp type="text" name="bp" inputmode="numeric" value=[f.get("bp")]; }
                    div { label for="hr" { "Heart rate (beats a minute)" } input #hr type="number" name="hr" min="20" max="250" value=[f.get("hr")]; }
                    div { label for="weight" { "Weight" } p.hint { "\"70 kg\" or \"154 lb\"" } input #weight type="text" name="weight" value=[f.get("weight")]; }
                    div {
                        label for="context" { "When measured" }
                        select #context name="context" {
                            @for (v, label) in [("pre-dose", "Before a dose"), ("post-dose", "After a dose"), ("other", "Other")] {
                                option value=(v) selected[ctx == v] { (label) }
                            }
                        }
                    }
                }
                label for="v-at" { "Time (empty for now)" }
                input #v-at type="text" name="at" value=[f.get("at")];
                button type="submit" { "Save reading" }
            }
            h2 { "Readings" }
            div.table-wrap { table {
                thead { tr { th scope="col" { "When" } th scope="col" { "BP" } th scope="col" { "HR" } th scope="col" { "Weight" } th scope="col" { "Context" } } }
                tbody { @for v in list.iter().take(60) {
                    @let x = &v.vitals;
                    tr {
                        td { (when(x.at, &x.zone, &tz)) }
                        td { @if let (Some(s), Some(d)) = (x.systolic, x.diastolic) { (s) "/" (d) } }
                        td { @if let Some(h) = x.heart_rate { (h) } }
                        td { @if let Some(w) = x.weight_kg { (w) } }
                        td { (x.context.as_str().replace('_', "-")) }
                    }
                } }
            } }
        },
    ))
}

pub async fn vitals(
    State(st): State<AppState>,
    Extension(token): Extension<Csrf>,
) -> Result<Markup, WebError> {
    vitals_page(&st, &token, &FormData::default(), None, &[]).await
}

pub async fn add_vitals(
    State(st): State<AppState>,
    Extension(token): Extension<Csrf>,
    CheckedForm(f): CheckedForm,
) -> Result<Response, WebError> {
    let parsed = (|| -> Result<VitalsRequest, AppError> {
        let context = f
            .get("context")
            .unwrap_or_else(|| "other".into())
            .parse::<VitalsContext>()
            .map_err(AppError::Input)?;
        let heart_rate = f
            .get("hr")
            .map(|h| {
                h.parse::<u32>()
                    .map_err(|_| AppError::Input(format!("heart rate {h:?} is not a whole number")))
            })
            .transpose()?;
        Ok(VitalsRequest {
            bp: f.get("bp"),
            heart_rate,
            weight: f.get("weight"),
            context,
            at: f.get("at"),
            note: None,
            zone: st.0.config.zone.clone(),
        })
    })();
    let r = async {
        let req = parsed?;
        let store = st.store().await;
        let v = dosewise_app::records::vitals(&*store, &req, st.now()).await?;
        dosewise_app::records::vitals_notes(&*store, &v).await
    }
    .await;
    match r {
        Ok(notes) => Ok(vitals_page(&st, &token, &FormData::default(), None, &notes)
            .await?
            .into_response()),
        Err(AppError::Input(m)) => Ok((
            StatusCode::BAD_REQUEST,
            vitals_page(&st, &token, &f, Some(&m), &[]).await?,
        )
            .into_response()),
        Err(e) => Err(e.into()),
    }
}

pub async fn assess_list(State(st): State<AppState>) -> Result<Markup, WebError> {
    let store = st.store().await;
    let tz = super::zone(&st, &store).await?;
    let past = store.assessments(Window::default()).await?;
    drop(store);
    let now = st.now();
    Ok(page(
        "Questionnaires",
        Nav::More,
        html! {
            h1 { "Questionnaires" }
            ul { @for d in due(&past, now) {
                @let (i, last) = (d.instrument, d.last);
                li {
                    a href=(format!("/assess/{}", i.id)) { (i.name) } " — " (i.title)
                    @if !i.validated { " (plain questions, not a validated scale)" }
                    br;
                    span.muted {
                        @match last { Some(a) => { "Last: " (a.assessment.total) " (" (a.assessment.band) ") on " (when(a.assessment.at, &a.assessment.zone, &tz)) ". " } None => { "Never taken. " } }
                        "Every " (i.cadence_days) " days."
                    }
                    @if d.due { " " span.badge.warning { "due" } }
                }
            } }
        },
    ))
}

fn assess_page(
    token: &Csrf,
    id: &str,
    f: &FormData,
    error: Option<&str>,
) -> Result<Markup, WebError> {
    let i = instrument(id).ok_or_else(|| WebError::NotFound(format!("no questionnaire {id:?}")))?;
    Ok(page(
        &i.name,
        Nav::More,
        html! {
            h1 { (i.name) }
            p { (i.title) }
            (error_box(error))
            form method="post" action=(format!("/assess/{}", i.id)) {
                (csrf(token))
                p { strong { (i.stem) } }
                @for (k, item) in i.items.iter().enumerate() {
                    @let name = format!("q{k}");
                    @let chosen = f.get(&name);
                    fieldset.checks {
                        legend { (k + 1) ". " (item) }
                        @for (label, v) in &i.responses {
                            label { input type="radio" name=(name) value=(v) required checked[chosen.as_deref() == Some(v.to_string().as_str())]; (label) }
                        }
                    }
                }
                button type="submit" { "Score and save" }
            }
            p.muted { (i.attribution) }
            @if let Some(r) = &i.reminder { p { (r) } }
        },
    ))
}

pub async fn assess_form(
    Path(id): Path<String>,
    Extension(token): Extension<Csrf>,
) -> Result<Markup, WebError> {
    assess_page(&token, &id, &FormData::default(), None)
}

pub async fn assess_submit(
    State(st): State<AppState>,
    Path(id): Path<String>,
    Extension(token): Extension<Csrf>,
    CheckedForm(f): CheckedForm,
) -> Result<Response, WebError> {
    let i =
        instrument(&id).ok_or_else(|| WebError::NotFound(format!("no questionnaire {id:?}")))?;
    let answers: Result<Vec<i64>, AppError> = (0..i.items.len())
        .map(|k| {
            f.get(&format!("q{k}"))
                .ok_or_else(|| AppError::Input(format!("question {} has no answer", k + 1)))?
                .parse::<i64>()
                .map_err(|_| AppError::Input(format!("question {}: not an answer", k + 1)))
        })
        .collect();
    let r = async {
        let a = answers?;
        let store = st.store().await;
        let zone = st.0.config.zone.as_deref();
        let a = dosewise_app::records::assessment(&*store, &i.id, &a, None, None, zone, st.now())
            .await?;
        let crisis = dosewise_app::records::crisis(&*store).await?;
        Ok((a, crisis))
    }
    .await;
    match r {
        Ok((a, crisis)) => Ok(page(
            &i.name,
            Nav::More,
            html! {
                h1 { (i.name) ": " (a.assessment.total) " of " (i.max) }
                p { "Band: " strong { (a.assessment.band) } }
                @if a.assessment.self_harm_flag() {
                    div.error role="alert" { p { strong { (crisis) } } p.muted { (CRISIS_SOURCE) } }
                }
                p { a href="/assess" { "Questionnaires" } " · " a href="/insights" { "Insights" } }
            },
        )
        .into_response()),
        Err(e) => rejected(e, |m| {
            assess_page(&token, &id, &f, Some(m)).unwrap_or_else(|e| html! { p { (e.message()) } })
        }),
    }
}

pub async fn export_json(State(st): State<AppState>) -> Result<Response, WebError> {
    let j = {
        let store = st.store().await;
        store.export().await?
    };
    let body = serde_json::to_vec_pretty(&j).map_err(|e| WebError::Internal(e.to_string()))?;
    let mut r = (StatusCode::OK, body).into_response();
    let h = r.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    h.insert(
        header::CONTENT_DISPOSITION,
        HeaderValue::from_static("attachment; filename=\"dosewise-export.json\""),
    );
    Ok(r)
}

fn import_page(
    token: &Csrf,
    error: Option<&str>,
    report: Option<&dosewise_store::ImportReport>,
) -> Markup {
    page(
        "Import",
        Nav::More,
        html! {
            h1 { "Import" }
            (error_box(error))
            @if let Some(r) = report {
                p.ok role="status" { "Imported " (r.doses) " doses, " (r.checkins) " check-ins, " (r.stocks) " stocks, " (r.assessments) " questionnaires, " (r.vitals) " vital-sign readings; " (r.unchanged) " records were already here." }
            }
            p { "Adds the records of a JSON export (" code { "dosewise export" } ") to this journal, all or nothing: records already here are skipped; a conflicting record stops the import with nothing written. Encrypted exports: " code { "dosewise import FILE" } "." }
            form method="post" action="/import" enctype="multipart/form-data" {
                (csrf(token))
                label for="file" { "Export file (.json)" }
                input #file type="file" name="file" accept=".json,application/json" required;
                button type="submit" { "Import" }
            }
        },
    )
}

pub async fn import_form(Extension(token): Extension<Csrf>) -> Markup {
    import_page(&token, None, None)
}

pub async fn import_submit(
    State(st): State<AppState>,
    Extension(token): Extension<Csrf>,
    mut mp: Multipart,
) -> Result<Response, WebError> {
    let mut submitted = None;
    let mut file = None;
    while let Some(field) = mp
        .next_field()
        .await
        .map_err(|e| WebError::Input(format!("could not read the upload: {e}")))?
    {
        match field.name() {
            Some("csrf") => {
                submitted = Some(
                    field
                        .text()
                        .await
                        .map_err(|e| WebError::Input(e.to_string()))?,
                )
            }
            Some("file") => {
                file = Some(
                    field
                        .bytes()
                        .await
                        .map_err(|e| WebError::Input(format!("could not read the file: {e}")))?
                        .to_vec(),
                )
            }
            _ => {}
        }
    }
    check_token(Some(&token), submitted.as_deref())?;
    let bytes = file.ok_or_else(|| WebError::Input("choose a file to import".into()))?;
    let r = match dosewise_app::transfer::parse_export(bytes, "the file") {
        Ok(j) => {
            let store = st.store().await;
            dosewise_app::transfer::import(&*store, &j).await
        }
        Err(e) => Err(e),
    };
    match r {
        Ok(report) => Ok(import_page(&token, None, Some(&report)).into_response()),
        Err(e) => rejected(e, |m| import_page(&token, Some(m), None)),
    }
}

/// The feed through the private link: the secret must match, or the answer is "not found".
pub async fn calendar_by_link(
    State(st): State<AppState>,
    Path(file): Path<String>,
) -> Result<Response, WebError> {
    if !crate::feed::matches(&st.0.config.home, &file) {
        return Err(WebError::NotFound("no such calendar link".into()));
    }
    calendar(State(st)).await
}

/// Make a new private link, or remove it.
pub async fn calendar_link(
    State(st): State<AppState>,
    CheckedForm(f): CheckedForm,
) -> Result<Response, WebError> {
    let home = &st.0.config.home;
    let done = match f.get("action").as_deref() {
        Some("new") => crate::feed::renew(home).map(|_| Notice::LinkMade),
        Some("remove") => crate::feed::remove(home).map(|()| Notice::LinkRemoved),
        _ => {
            return Err(WebError::Input(
                "choose to make a new link or to remove it".into(),
            ));
        }
    }
    .map_err(WebError::Internal)?;
    Ok(back_with("/more", done, "#calendar-link"))
}

pub async fn calendar(State(st): State<AppState>) -> Result<Response, WebError> {
    let store = st.store().await;
    let tz = super::zone(&st, &store).await?;
    let protocols = store.protocols(false).await?;
    drop(store);
    let now = st.now();
    let o = dosewise_render::calendar::CalendarOptions {
        from: now.to_zoned_datetime(tz.clone()).date(),
        days: 90,
        tz,
        reminder_minutes: 10,
        detailed: false,
        checkin_time: protocols
            .iter()
            .find_map(|p| p.protocol.checkin_time)
            .or(Time::new(21, 0, 0, 0).ok()),
        now,
    };
    let ics = dosewise_render::calendar::calendar(&protocols, &o);
    let mut r = (StatusCode::OK, ics).into_response();
    r.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/calendar; charset=utf-8"),
    );
    Ok(r)
}
