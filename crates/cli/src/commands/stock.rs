//! `dosewise stock`: what a person holds, and how much is left.

use super::find_stock;
use crate::context::Ctx;
use crate::error::{CliResult, input};
use crate::output::{self, or_dash};
use dosewise_app::stock::{Change, FormRequest, StockRequest, supply_amount};
use dosewise_core::preparation::Preparation;
use dosewise_core::route::{Route, Substance};
use dosewise_core::salt::Salt;
use dosewise_core::stock::{Adjustment, stock_status, supply_text};
use dosewise_core::text;
use dosewise_core::units::fmt_num;
use dosewise_store::{Store, Window};

#[derive(Debug, clap::Subcommand)]
pub enum Command {
    /// Record a new stock.
    #[command(subcommand)]
    Add(AddForm),
    /// List active stocks (--all includes retired ones).
    List {
        #[arg(long)]
        all: bool,
    },
    /// Details and the ledger of one stock.
    Show { stock: String },
    /// Correct the amount on hand (counted, refilled, spilled, primed), or calibrate drops.
    Adjust(AdjustArgs),
    /// Record a physical count; the difference from what the log implies is kept for supply
    /// reconciliation (`dosewise check`).
    Count {
        stock: String,
        /// What you counted: "12 troches", "4.2 mL", or a bare number in the stock's unit.
        amount: String,
        #[arg(long)]
        note: Option<String>,
    },
    /// Retire a stock (used up, expired, discarded). Its history stays.
    Retire {
        stock: String,
        #[arg(long)]
        reason: Option<String>,
    },
}

#[derive(Debug, clap::Args)]
pub struct Common {
    /// A name to refer to this stock by, e.g. "Troche 25".
    #[arg(long)]
    name: String,
    /// Whether the label states the strength as ketamine HCl or base. Check the label: they differ by 15%.
    /// Default: hcl, the usual labelling of compounded troches and powders.
    #[arg(long)]
    salt: Option<Salt>,
    /// racemic "ketamine" or "esketamine".
    #[arg(long, default_value = "ketamine")]
    substance: Substance,
    /// Usual route for doses from this stock (default: sublingual for troches, intranasal for sprays, oral for solutions).
    #[arg(long)]
    route: Option<Route>,
    #[arg(long)]
    lot: Option<String>,
    /// Expiry date, YYYY-MM-DD.
    #[arg(long)]
    expiry: Option<String>,
    /// Date opened, YYYY-MM-DD.
    #[arg(long)]
    opened: Option<String>,
    #[arg(long)]
    note: Option<String>,
}

#[derive(Debug, clap::Subcommand)]
pub enum AddForm {
    /// Troches, lozenges or rapid-dissolve tablets.
    Troche {
        #[command(flatten)]
        common: Common,
        /// Strength of one troche, e.g. "25mg".
        #[arg(long)]
        strength: String,
        /// How many you hold (halves and quarters allowed, e.g. 29.5).
        #[arg(long)]
        count: f64,
        /// How many were dispensed (default: the count).
        #[arg(long)]
        dispensed: Option<f64>,
    },
    /// A nasal spray pump.
    Spray {
        #[command(flatten)]
        common: Common,
        /// Concentration, e.g. "100mg/mL" or "10%" (w/v).
        #[arg(long)]
        concentration: String,
        #[command(flatten)]
        volume: super::calc::SprayVolumeArgs,
        /// Liquid in the bottle, e.g. "5mL".
        #[arg(long)]
        bottle: String,
        /// Sprays used to prime the pump (not counted as supply).
        #[arg(long, default_value_t = 0)]
        priming: u32,
    },
    /// A solution made from powder and distilled water.
    Solution {
        #[command(flatten)]
        common: Common,
        /// Powder mass, e.g. "500mg".
        #[arg(long)]
        mass: String,
        /// Final volume, e.g. "10mL".
        #[arg(long)]
        volume: String,
        /// Purity of the powder in percent.
        #[arg(long, default_value_t = 100.0)]
        purity: f64,
        /// Volume of one drop, once measured (e.g. 1 mL = 20 drops → "0.05mL").
        #[arg(long)]
        drop_volume: Option<String>,
    },
}

#[derive(Debug, clap::Args)]
#[command(group(clap::ArgGroup::new("change").required(true).args(["set", "add", "remove", "drop_volume"])))]
pub struct AdjustArgs {
    stock: String,
    /// Set the amount on hand, e.g. "12 troches", "4.2 mL", "30 sprays" (a bare number is the stock's unit).
    #[arg(long)]
    set: Option<String>,
    /// Add (refill), same forms as --set.
    #[arg(long)]
    add: Option<String>,
    /// Remove (spilled, primed, lost), same forms as --set.
    #[arg(long)]
    remove: Option<String>,
    /// Calibrate the drop size of a solution, e.g. "0.05mL".
    #[arg(long)]
    drop_volume: Option<String>,
    #[arg(long)]
    reason: Option<String>,
}

impl AddForm {
    fn salt_given(&self) -> bool {
        match self {
            AddForm::Troche { common, .. }
            | AddForm::Spray { common, .. }
            | AddForm::Solution { common, .. } => common.salt.is_some(),
        }
    }

    /// The flags as the app's request.
    fn request(self) -> StockRequest {
        let (common, form) = match self {
            AddForm::Troche {
                common,
                strength,
                count,
                dispensed,
            } => (
                common,
                FormRequest::Troche {
                    strength,
                    count,
                    dispensed,
                },
            ),
            AddForm::Spray {
                common,
                concentration,
                volume,
                bottle,
                priming,
            } => (
                common,
                FormRequest::Spray {
                    concentration,
                    volume: volume.request(),
                    bottle,
                    priming,
                },
            ),
            AddForm::Solution {
                common,
                mass,
                volume,
                purity,
                drop_volume,
            } => (
                common,
                FormRequest::Solution {
                    mass,
                    volume,
                    purity,
                    drop_volume,
                },
            ),
        };
        StockRequest {
            name: common.name,
            salt: common.salt,
            substance: common.substance,
            route: common.route,
            lot: common.lot,
            expiry: common.expiry,
            opened: common.opened,
            note: common.note,
            form,
        }
    }
}

/// A one-line description of a preparation (`Preparation::describe`).
pub fn describe(p: &Preparation) -> String {
    p.describe()
}

/// Parse an amount of supply for this stock: "12 troches", "4.2 mL", "30 sprays", "25 mg", or a
/// bare number in the stock's supply unit.
impl Command {
    pub async fn run(self, ctx: &Ctx) -> CliResult {
        match self {
            Command::Add(form) => {
                let salt_defaulted = !form.salt_given();
                let req = form.request();
                let store = ctx.open().await?;
                let s = dosewise_app::stock::add(&*store, &req, ctx.now).await?;
                if ctx.json {
                    return output::json(&s);
                }
                crate::outln!(
                    "Added stock {}: {} — {}",
                    s.id,
                    s.stock.name,
                    describe(&s.stock.preparation)
                );
                crate::outln!("  on hand: {}", s.remaining_text());
                crate::outln!("  usual route: {}", s.stock.default_route);
                if salt_defaulted {
                    crate::outln!(
                        "  strength read as ketamine HCl (the usual labelling of compounded troches and powders). If the label says base, run `dosewise stock retire {}` and add it again with --salt base: the two differ by 15%.",
                        s.id
                    );
                }
                Ok(())
            }
            Command::List { all } => {
                let store = ctx.open().await?;
                let tz = ctx.zone_of(&store).await?;
                let today = ctx.now_in(&tz).date();
                let stocks = store.stocks(all).await?;
                let doses = store.doses(Window::last_days(ctx.now, 28)).await?;
                let mut rows = Vec::new();
                for s in &stocks {
                    let used: f64 = doses
                        .iter()
                        .filter(|d| d.dose.stock_id == Some(s.id))
                        .filter_map(|d| d.dose.supply_used)
                        .sum();
                    rows.push((s, stock_status(s, used, today)));
                }
                if ctx.json {
                    let v: Vec<_> = rows
                        .iter()
                        .map(|(s, st)| serde_json::json!({ "stock": s, "status": st }))
                        .collect();
                    return output::json(&v);
                }
                if rows.is_empty() {
                    crate::outln!(
                        "No stock recorded. Add one with `dosewise stock add troche|spray|solution --help`."
                    );
                    return Ok(());
                }
                let mut t =
                    output::table(&["id", "name", "preparation", "on hand", "expiry", "status"]);
                for (s, st) in &rows {
                    let status = if s.is_retired() {
                        "retired".to_string()
                    } else if st.expired {
                        "expired".into()
                    } else if st.low {
                        "running low".into()
                    } else {
                        "ok".into()
                    };
                    t.add_row(vec![
                        s.id.to_string(),
                        s.stock.name.clone(),
                        describe(&s.stock.preparation),
                        s.remaining_text(),
                        or_dash(s.stock.expiry),
                        status,
                    ]);
                }
                crate::outln!("{t}");
                Ok(())
            }
            Command::Show { stock } => {
                let store = ctx.open().await?;
                let tz = ctx.zone_of(&store).await?;
                let s = find_stock(&store, &stock).await?;
                let events = store.stock_events(s.id).await?;
                if ctx.json {
                    return output::json(&serde_json::json!({ "stock": s, "ledger": events }));
                }
                let x = &s.stock;
                crate::outln!(
                    "Stock {}: {}{}",
                    s.id,
                    x.name,
                    if s.is_retired() { " (retired)" } else { "" }
                );
                crate::outln!("  preparation: {}", describe(&x.preparation));
                crate::outln!(
                    "  substance:   {}, strength stated as {}",
                    x.preparation.substance,
                    x.preparation.salt.label()
                );
                if let Some(c) = x.preparation.concentration() {
                    crate::outln!("  concentration: {} mg/mL", fmt_num(c.value()));
                }
                if let Some(v) = x.preparation.spray_ml() {
                    crate::outln!("  per spray:   {} mL", fmt_num(v.value()));
                }
                crate::outln!("  on hand:     {}", s.remaining_text());
                crate::outln!(
                    "  dispensed:   {}",
                    x.dispensed
                        .map_or("–".into(), |d| supply_text(&x.preparation, d))
                );
                crate::outln!("  route:       {}", x.default_route);
                crate::outln!(
                    "  lot: {}   expiry: {}   opened: {}",
                    or_dash(x.lot.as_ref()),
                    or_dash(x.expiry),
                    or_dash(x.opened)
                );
                if let Some(n) = &x.note {
                    crate::outln!("  note: {n}");
                }
                let mut t = output::table(&["when", "change", "on hand after", "why"]);
                for e in &events {
                    t.add_row(vec![
                        output::local(e.at, &tz),
                        format!(
                            "{}{}",
                            if e.delta > 0.0 { "+" } else { "" },
                            fmt_num(e.delta)
                        ),
                        fmt_num(e.remaining_after),
                        format!(
                            "{}{}{}",
                            e.kind.as_str(),
                            e.dose_id.map_or(String::new(), |d| format!(" #{d}")),
                            e.reason
                                .as_ref()
                                .map_or(String::new(), |r| format!(": {r}"))
                        ),
                    ]);
                }
                crate::outln!("{t}");
                Ok(())
            }
            Command::Adjust(a) => {
                let reason = text::opt_label("reason", a.reason.as_deref()).map_err(input)?;
                let store = ctx.open().await?;
                let mut s = find_stock(&store, &a.stock).await?;
                if let Some(dv) = &a.drop_volume {
                    s = dosewise_app::stock::calibrate_drops(&*store, s, dv).await?;
                }
                let change = match (&a.add, &a.remove) {
                    (Some(v), _) => Some((Change::Add, v)),
                    (None, Some(v)) => Some((Change::Remove, v)),
                    (None, None) => None,
                };
                if let Some(v) = &a.set {
                    let set = Adjustment::Set(supply_amount(&s, v)?);
                    s = store
                        .adjust_stock(s.id, set, ctx.now, reason.as_deref())
                        .await?;
                } else if let Some((change, v)) = change {
                    let done = dosewise_app::stock::adjust(
                        &*store,
                        &s,
                        change,
                        v,
                        reason.as_deref(),
                        ctx.now,
                    )
                    .await?;
                    s = done.stock;
                }
                if ctx.json {
                    return output::json(&s);
                }
                crate::outln!(
                    "Stock {} ({}): {} on hand",
                    s.id,
                    s.stock.name,
                    s.remaining_text()
                );
                Ok(())
            }
            Command::Count {
                stock,
                amount,
                note,
            } => {
                let note = text::opt_label("note", note.as_deref()).map_err(input)?;
                let store = ctx.open().await?;
                let s = find_stock(&store, &stock).await?;
                let done = dosewise_app::stock::adjust(
                    &*store,
                    &s,
                    Change::Count,
                    &amount,
                    note.as_deref(),
                    ctx.now,
                )
                .await?;
                let (s, expected) = (done.stock, done.before);
                let counted = s.stock.remaining;
                let diff = counted - expected;
                if ctx.json {
                    return output::json(
                        &serde_json::json!({ "stock": s, "expected": expected, "counted": counted, "difference": diff }),
                    );
                }
                let unit = s.stock.supply_unit;
                if diff.abs() < 1e-9 {
                    crate::outln!("Counted {}: matches the log.", unit.fmt(counted));
                } else {
                    crate::outln!(
                        "Counted {}; the log implied {}. Difference {}{}. Recorded; `dosewise check` reports shortfalls.",
                        unit.fmt(counted),
                        unit.fmt(expected),
                        if diff > 0.0 { "+" } else { "" },
                        unit.fmt(diff)
                    );
                }
                Ok(())
            }
            Command::Retire { stock, reason } => {
                let store = ctx.open().await?;
                let s = find_stock(&store, &stock).await?;
                let s =
                    dosewise_app::stock::retire(&*store, &s, reason.as_deref(), ctx.now).await?;
                if ctx.json {
                    return output::json(&s);
                }
                crate::outln!(
                    "Retired stock {} ({}). Its history stays in the journal.",
                    s.id,
                    s.stock.name
                );
                Ok(())
            }
        }
    }
}
