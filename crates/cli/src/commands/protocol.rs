//! `dosewise protocol`: the plan — pattern, cycles and breaks, titration ladder, limits — and how
//! the journal compares with it.

use super::parse_date;
use crate::context::Ctx;
use crate::error::{CliResult, input};
use crate::output::{self, or_dash};
use dosewise_backends::AnyStore;
use dosewise_core::adherence::adherence;
use dosewise_core::jiff::civil::Date;
use dosewise_core::jiff::tz::TimeZone;
use dosewise_core::protocol::Protocol;
use dosewise_core::route::{Route, Substance};
use dosewise_core::schedule::{cycle_position, day_kind, next_planned, slot};
use dosewise_core::titration::Proposal;
use dosewise_core::units::fmt_num;
use dosewise_store::{Store, Window};

const EXAMPLES: &str = "Examples:
  one day on, two off (every third day), 6 weeks on then a 3-week break:
    dosewise protocol add --every 3 --dose \"1/2 troche\" --time 08:00 --cycle 6w --break 3w
  four days on, three off:
    dosewise protocol add --on-off 4/3 --dose 10mg --stock \"Troche 25\"
  Mondays and Thursdays, with a prescription's limits:
    dosewise protocol add --weekdays mon,thu --dose \"2 sprays\" --max-dose 20mg --max-week 40mg --min-interval 48h
  as needed, at least 72 hours apart, at most 2 in any 7 days:
    dosewise protocol add --as-needed --min-interval 72h --weekly-cap 2 --dose 25mg
  a titration ladder from 10 mg in 5 mg steps, at least 14 days a step, ceiling 30 mg:
    dosewise protocol add --every 3 --dose 10mg --titrate-start 10mg --titrate-step 5mg --titrate-every 14d --ceiling 30mg";

#[derive(Debug, clap::Subcommand)]
pub enum Command {
    /// Start a protocol (it replaces the current one for the same substance).
    #[command(after_help = EXAMPLES)]
    Add(Box<AddArgs>),
    /// The current protocol (or one by id): today, cycle, next doses, adherence, titration, history.
    Show { id: Option<i64> },
    /// All protocols, newest first.
    List {
        /// Include ended protocols.
        #[arg(long)]
        all: bool,
    },
    /// Change the current protocol (or one by id): dose, time, end date, limits.
    Set(Box<SetArgs>),
    /// Pause: no dose is planned until you resume.
    Pause {
        id: Option<i64>,
        /// First paused day (default today).
        #[arg(long)]
        from: Option<String>,
    },
    /// Resume a paused protocol.
    Resume { id: Option<i64> },
    /// End a protocol. Its history stays.
    End { id: Option<i64> },
    /// The next planned doses.
    Next {
        id: Option<i64>,
        #[arg(long, default_value_t = 10, value_parser = clap::value_parser!(u32).range(1..=366))]
        count: u32,
    },
}

#[derive(Debug, clap::Args)]
#[command(group(clap::ArgGroup::new("pattern").required(true).args(["every", "on_off", "weekdays", "daily", "as_needed"])))]
pub struct AddArgs {
    /// A name (default: the pattern in words).
    #[arg(long)]
    name: Option<String>,
    /// Every N days: 3 = one day on, two days off; 2 = every other day.
    #[arg(long, value_name = "N")]
    every: Option<u32>,
    /// K days on, M days off, e.g. 4/3.
    #[arg(long, value_name = "K/M")]
    on_off: Option<String>,
    /// Chosen weekdays, e.g. mon,thu.
    #[arg(long, value_delimiter = ',')]
    weekdays: Vec<String>,
    #[arg(long)]
    daily: bool,
    /// No planned days; needs --min-interval and --weekly-cap.
    #[arg(long, requires_all = ["weekly_cap", "min_interval"])]
    as_needed: bool,
    /// As needed: most doses in any 7 days.
    #[arg(long)]
    weekly_cap: Option<u32>,
    /// The planned dose: "1/2 troche", "10mg", "2 sprays".
    #[arg(long)]
    dose: String,
    /// Stock the doses come from (id or name). Default: your only active stock.
    #[arg(long)]
    stock: Option<String>,
    #[arg(long)]
    route: Option<Route>,
    /// For a protocol without stock: "ketamine" (default) or "esketamine".
    #[arg(long)]
    substance: Option<Substance>,
    /// First day, YYYY-MM-DD (default today).
    #[arg(long)]
    start: Option<String>,
    /// Last day, YYYY-MM-DD.
    #[arg(long)]
    end: Option<String>,
    /// Local time of a planned dose (default 08:00).
    #[arg(long, default_value = "08:00")]
    time: String,
    /// Cycle length, e.g. 6w; needs --break.
    #[arg(long, requires = "break_", allow_hyphen_values = true)]
    cycle: Option<String>,
    /// A break after each cycle, if your clinician plans one, e.g. 3w.
    #[arg(
        long = "break",
        id = "break_",
        requires = "cycle",
        allow_hyphen_values = true
    )]
    break_: Option<String>,
    #[command(flatten)]
    titration: TitrationArgs,
    #[command(flatten)]
    limits: LimitArgs,
    /// Daily check-in reminder time for the calendar feed, e.g. 21:00.
    #[arg(long)]
    checkin_time: Option<String>,
    /// Ask for a blood-pressure reading before each dose (a warning when there is none), and
    /// remind about one about 40 minutes after.
    #[arg(long)]
    require_bp: bool,
    /// Doses are taken with a sober sitter present: `today` shows a checklist after a dose.
    #[arg(long)]
    sitter: bool,
    #[arg(long)]
    note: Option<String>,
}

#[derive(Debug, clap::Args)]
pub struct TitrationArgs {
    /// Titration: first rung, e.g. 10mg.
    #[arg(long, requires_all = ["titrate_step", "titrate_every", "ceiling"])]
    titrate_start: Option<String>,
    /// Titration: step between rungs, e.g. 5mg.
    #[arg(long, requires = "titrate_start")]
    titrate_step: Option<String>,
    /// Titration: minimum time on each rung, e.g. 14d.
    #[arg(long, requires = "titrate_start", allow_hyphen_values = true)]
    titrate_every: Option<String>,
    /// Titration: the ceiling set by you or your clinician, e.g. 30mg.
    #[arg(long, requires = "titrate_start")]
    ceiling: Option<String>,
}

#[derive(Debug, clap::Args)]
pub struct LimitArgs {
    /// Most mg in one dose (as labelled).
    #[arg(long)]
    max_dose: Option<String>,
    /// Most mg in one calendar day.
    #[arg(long)]
    max_day: Option<String>,
    /// Most mg in any 7 days.
    #[arg(long)]
    max_week: Option<String>,
    /// Least time between doses, e.g. 48h.
    #[arg(long, allow_hyphen_values = true)]
    min_interval: Option<String>,
    /// Supply dispensed under the prescription (troches or mL).
    #[arg(long)]
    dispensed: Option<f64>,
    /// Next refill date, YYYY-MM-DD.
    #[arg(long)]
    refill: Option<String>,
    /// Blood pressure before a dose that warns when exceeded, as set by the clinician (default
    /// 140/90, the esketamine label's).
    #[arg(long, value_name = "SYS/DIA")]
    bp_warn_above: Option<String>,
    /// Blood pressure before a dose at or above which it is refused, as set by the clinician
    /// (default 160/100, grade 2 hypertension in the ESC/ESH guidelines).
    #[arg(long, value_name = "SYS/DIA")]
    bp_refuse_from: Option<String>,
}

#[derive(Debug, clap::Args)]
pub struct SetArgs {
    id: Option<i64>,
    /// New planned dose.
    #[arg(long)]
    dose: Option<String>,
    /// New local time.
    #[arg(long)]
    time: Option<String>,
    /// New last day.
    #[arg(long)]
    end: Option<String>,
    #[command(flatten)]
    limits: LimitArgs,
    /// New check-in reminder time.
    #[arg(long)]
    checkin_time: Option<String>,
    /// Why (kept in the history).
    #[arg(long)]
    reason: Option<String>,
}

impl LimitArgs {
    fn request(&self) -> dosewise_app::protocol::LimitsRequest {
        dosewise_app::protocol::LimitsRequest {
            max_dose: self.max_dose.clone(),
            max_day: self.max_day.clone(),
            max_week: self.max_week.clone(),
            min_interval: self.min_interval.clone(),
            dispensed: self.dispensed,
            refill: self.refill.clone(),
            bp_warn_above: self.bp_warn_above.clone(),
            bp_refuse_from: self.bp_refuse_from.clone(),
        }
    }
}

/// The protocol by id, or the only current one.
pub async fn pick(store: &AnyStore, id: Option<i64>) -> CliResult<Protocol> {
    if let Some(id) = id {
        return store.protocol(id).await?.ok_or_else(|| {
            input(format!(
                "no protocol {id}; see `dosewise protocol list --all`"
            ))
        });
    }
    let mut current = store.protocols(false).await?;
    match current.len() {
        0 => Err(input(
            "no current protocol; start one with `dosewise protocol add --help`",
        )),
        1 => Ok(current.remove(0)),
        _ => Err(input(format!(
            "several current protocols; give an id ({})",
            current
                .iter()
                .map(|p| format!("{} = {}", p.id, p.protocol.name))
                .collect::<Vec<_>>()
                .join(", ")
        ))),
    }
}

/// The titration proposal for a protocol with a ladder, from the check-ins around its last step.
pub async fn proposal(
    store: &AnyStore,
    p: &Protocol,
    tz: &TimeZone,
    today: Date,
    now: dosewise_core::jiff::Timestamp,
) -> CliResult<Option<Proposal>> {
    Ok(dosewise_app::today::proposal(store, p, tz, today, now).await?)
}

pub use dosewise_app::today::protocol_line as today_line;

impl AddArgs {
    async fn run(self, ctx: &Ctx) -> CliResult {
        let store = ctx.open().await?;
        let t = &self.titration;
        let req = dosewise_app::protocol::ProtocolRequest {
            name: self.name.clone(),
            stock: self.stock.clone(),
            substance: self.substance,
            every: self.every,
            on_off: self.on_off.clone(),
            weekdays: self.weekdays.clone(),
            daily: self.daily,
            weekly_cap: self.weekly_cap,
            dose: self.dose.clone(),
            time: self.time.clone(),
            start: self.start.clone(),
            end: self.end.clone(),
            route: self.route,
            cycle: self.cycle.clone(),
            break_days: self.break_.clone(),
            titration: dosewise_app::protocol::TitrationRequest {
                start: t.titrate_start.clone(),
                step: t.titrate_step.clone(),
                every: t.titrate_every.clone(),
                ceiling: t.ceiling.clone(),
            },
            limits: self.limits.request(),
            checkin_time: self.checkin_time.clone(),
            require_bp: self.require_bp,
            sitter: self.sitter,
            note: self.note.clone(),
            zone: ctx.tz_flag().map(str::to_string),
        };
        let started = dosewise_app::protocol::add(&*store, &req, ctx.now).await?;
        let (p, replaced) = (started.protocol, started.replaced);
        let tz = ctx.zone_of(&store).await?;
        let today = ctx.now_in(&tz).date();
        if ctx.json {
            return output::json(&p);
        }
        if let Some(old) = replaced {
            crate::outln!(
                "Ended protocol {} (\"{}\"); its history stays.",
                old.id,
                old.protocol.name
            );
        }
        crate::outln!(
            "Started protocol {}: \"{}\" — {}",
            p.id,
            p.protocol.name,
            p.protocol.pattern.describe()
        );
        print_summary(&p, &tz, today);
        Ok(())
    }
}

fn print_summary(p: &Protocol, tz: &TimeZone, today: Date) {
    let x = &p.protocol;
    crate::outln!(
        "  dose {}{} at {} ({}), from {}{}",
        x.dose.entered,
        x.dose
            .mg
            .map_or(String::new(), |m| format!(" = {} mg", fmt_num(m))),
        x.time.strftime("%H:%M"),
        x.zone,
        x.start,
        x.end.map_or(String::new(), |e| format!(" to {e}"))
    );
    if let Some(c) = x.cycle {
        crate::outln!(
            "  cycles of {} days, then a {}-day break",
            c.on_days,
            c.break_days
        );
    }
    if let Some(t) = x.titration {
        crate::outln!(
            "  titration: {} mg in steps of {} mg, at least {} days a step, ceiling {} mg (steps are proposed, never automatic)",
            fmt_num(t.start_mg),
            fmt_num(t.step_mg),
            t.min_days_per_step,
            fmt_num(t.ceiling_mg)
        );
    }
    let limits = x.limits.describe();
    if !limits.is_empty() {
        crate::outln!("  limits: {}", limits.join(", "));
    }
    crate::outln!("  {}", today_line(p, today, tz));
}

impl Command {
    pub async fn run(self, ctx: &Ctx) -> CliResult {
        if let Command::Add(a) = self {
            return a.run(ctx).await;
        }
        let store = ctx.open().await?;
        let profile = store.profile().await?;
        let tz = ctx.zone(profile.as_ref())?;
        let today = ctx.now_in(&tz).date();
        match self {
            Command::Add(_) => Ok(()),
            Command::List { all } => {
                let ps = store.protocols(all).await?;
                if ctx.json {
                    return output::json(&ps);
                }
                if ps.is_empty() {
                    crate::outln!(
                        "No protocol yet. Start one with `dosewise protocol add --help`."
                    );
                    return Ok(());
                }
                let mut t =
                    output::table(&["id", "name", "pattern", "dose", "from", "to", "status"]);
                for p in &ps {
                    let x = &p.protocol;
                    t.add_row(vec![
                        p.id.to_string(),
                        x.name.clone(),
                        x.pattern.describe(),
                        x.dose.entered.clone(),
                        x.start.to_string(),
                        or_dash(x.end),
                        p.status.as_str().to_string(),
                    ]);
                }
                crate::outln!("{t}");
                Ok(())
            }
            Command::Show { id } => {
                let p = pick(&store, id).await?;
                let events = store.protocol_events(p.id).await?;
                let from = today
                    .checked_sub(dosewise_core::jiff::Span::new().days(27))
                    .unwrap_or(today)
                    .max(p.protocol.start);
                let doses =
                    dosewise_core::adherence::doses_for(&p, &store.doses(Window::default()).await?);
                let adh = adherence(&p, &doses, from, today, today);
                let prop = proposal(&store, &p, &tz, today, ctx.now).await?;
                let rx = dosewise_app::share::prescription(&*store).await?;
                let next: Vec<String> = next_planned(&p, today, 5)
                    .iter()
                    .map(|d| output::local(slot(&p, *d, &tz), &tz))
                    .collect();
                if ctx.json {
                    return output::json(&serde_json::json!({
                        "protocol": p, "today": day_kind(&p, today), "cycle": cycle_position(&p, today),
                        "next": next_planned(&p, today, 5), "adherence_28_days": adh, "titration": prop, "history": events,
                        "prescription": rx,
                    }));
                }
                crate::outln!(
                    "Protocol {}: \"{}\" ({}) — {}",
                    p.id,
                    p.protocol.name,
                    p.status.as_str(),
                    p.protocol.pattern.describe()
                );
                print_summary(&p, &tz, today);
                if let Some(rx) = &rx {
                    crate::outln!("  {} — enforced on every dose:", rx.source());
                    for l in rx.describe() {
                        crate::outln!("    {l}");
                    }
                    if let Some(n) = &rx.note {
                        crate::outln!("    note: {n}");
                    }
                }
                if !next.is_empty() {
                    crate::outln!("  next: {}", next.join("; "));
                }
                match adh.adherence {
                    Some(a) => crate::outln!(
                        "  since {from}: {} of {} planned days dosed ({:.0}%), {} missed, {} off-plan and {} extra doses",
                        adh.planned_days_dosed,
                        adh.planned_days,
                        a * 100.0,
                        adh.missed.len(),
                        adh.off_plan_dose_ids.len(),
                        adh.extra_dose_ids.len()
                    ),
                    None => match adh.max_in_7_days {
                        Some(m) => crate::outln!("  since {from}: at most {m} doses in any 7 days"),
                        None => crate::outln!("  since {from}: no planned days yet"),
                    },
                }
                if let Some(pr) = prop {
                    crate::outln!("  titration: {}", pr.message);
                    for d in &pr.data {
                        crate::outln!("    - {d}");
                    }
                }
                crate::outln!("  history:");
                for e in &events {
                    crate::outln!("    {} {}", e.date, e.describe());
                }
                Ok(())
            }
            Command::Next { id, count } => {
                let p = pick(&store, id).await?;
                let planned = dosewise_app::protocol::upcoming(&p, today, &tz, count as usize);
                if ctx.json {
                    return output::json(&planned);
                }
                if planned.is_empty() {
                    crate::outln!("No planned doses ahead ({}).", day_kind(&p, today).label());
                }
                for x in planned {
                    crate::outln!("{}  {}", output::local(x.at, &tz), x.dose);
                }
                Ok(())
            }
            Command::Set(a) => {
                let p = pick(&store, a.id).await?;
                let req = dosewise_app::protocol::ChangeRequest {
                    dose: a.dose.clone(),
                    time: a.time.clone(),
                    end: a.end.clone(),
                    checkin_time: a.checkin_time.clone(),
                    limits: a.limits.request(),
                    reason: a.reason.clone(),
                };
                let (p, detail) =
                    dosewise_app::protocol::change(&*store, p, &req, today, ctx.now).await?;
                if ctx.json {
                    return output::json(&p);
                }
                crate::outln!("Protocol {} changed: {detail}", p.id);
                Ok(())
            }
            Command::Pause { id, from } => {
                let p = pick(&store, id).await?;
                let from = match from {
                    Some(f) => parse_date("--from", &f)?,
                    None => today,
                };
                let p = dosewise_app::protocol::pause(&*store, p, from, ctx.now).await?;
                if ctx.json {
                    return output::json(&p);
                }
                crate::outln!(
                    "Paused protocol {} from {from}. No dose is planned until `dosewise protocol resume`.",
                    p.id
                );
                Ok(())
            }
            Command::Resume { id } => {
                let p = pick(&store, id).await?;
                let p = dosewise_app::protocol::resume(&*store, p, today, ctx.now).await?;
                if ctx.json {
                    return output::json(&p);
                }
                crate::outln!("Resumed protocol {}. {}", p.id, today_line(&p, today, &tz));
                Ok(())
            }
            Command::End { id } => {
                let p = pick(&store, id).await?;
                let p = dosewise_app::protocol::end(&*store, p, today, ctx.now).await?;
                if ctx.json {
                    return output::json(&p);
                }
                crate::outln!(
                    "Ended protocol {} (\"{}\"). Its history stays in the journal.",
                    p.id,
                    p.protocol.name
                );
                Ok(())
            }
        }
    }
}
