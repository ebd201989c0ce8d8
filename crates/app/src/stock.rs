//! Changing what is on hand, the same way on every surface: a refill, a removal (spilled,
//! primed, lost) or a count, with the amount typed in the stock's own terms ("3 troches",
//! "4.2 mL", "30 sprays", "50 mg", or a bare number in the stock's unit).

use crate::{Result, input};
use dosewise_core::dose_expr::{CountUnit, Quantity, parse_quantity};
use dosewise_core::jiff::Timestamp;
use dosewise_core::preparation::SupplyUnit;
use dosewise_core::stock::{Adjustment, Stock};
use dosewise_core::text;
use dosewise_core::units::{Millilitres, fmt_num};
use dosewise_store::Store;

/// The largest amount a stock can hold or change by, in its unit (troches or mL).
pub(crate) const MAX_AMOUNT: f64 = 100_000.0;

/// A count or amount within 0 to [`MAX_AMOUNT`]; `what` names it in the message.
pub fn count(what: &str, v: f64) -> Result<f64> {
    if !(v.is_finite() && (0.0..=MAX_AMOUNT).contains(&v)) {
        return Err(input(format!(
            "{what} must be a number from 0 to {}, got {v}",
            fmt_num(MAX_AMOUNT)
        )));
    }
    Ok(v)
}

/// An amount typed for `stock`, in the stock's supply unit (troches, or mL for sprays and
/// solutions). Refuses what does not fit it ("10 g" or "2 sprays" for troches).
pub fn supply_amount(stock: &Stock, s: &str) -> Result<f64> {
    let unit = stock.stock.supply_unit;
    if let Ok(v) = s.trim().parse::<f64>() {
        return count("the amount", v);
    }
    let q = parse_quantity(s).map_err(input)?;
    let prep = &stock.stock.preparation;
    let v = match (q, unit) {
        (
            Quantity::Count {
                n,
                unit: CountUnit::Troche,
            },
            SupplyUnit::Troche,
        ) => n,
        (Quantity::Ml(v), SupplyUnit::Ml) => v.value(),
        (
            Quantity::Count {
                n,
                unit: CountUnit::Spray,
            },
            SupplyUnit::Ml,
        ) if prep.spray_ml().is_some() => n * prep.spray_ml().map_or(0.0, Millilitres::value),
        (Quantity::Mg(m), SupplyUnit::Troche) => m / prep.mg_per_unit().unwrap_or(m),
        (Quantity::Mg(m), SupplyUnit::Ml) => match prep.concentration() {
            Some(c) => (m / c).value(),
            None => return Err(input("cannot convert mg for this stock")),
        },
        (q, _) => {
            return Err(input(format!(
                "{} does not fit a {} stock, which is counted in {}",
                q.class(),
                prep.form_name(),
                if unit == SupplyUnit::Troche {
                    "troches"
                } else {
                    "mL (or sprays)"
                }
            )));
        }
    };
    count("the amount", v)
}

/// What a change does to the amount on hand.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Change {
    /// A refill: adds the amount.
    Add,
    /// Spilled, primed, lost, given back: takes the amount away.
    Remove,
    /// What you counted replaces what the journal implied.
    Count,
}

impl Change {
    pub fn parse(s: &str) -> Result<Change> {
        match s {
            "add" => Ok(Change::Add),
            "remove" => Ok(Change::Remove),
            "count" => Ok(Change::Count),
            other => Err(input(format!(
                "{other:?} is not a stock change; choose add, remove or count"
            ))),
        }
    }
}

/// A change made: the stock afterwards and what it held before.
#[derive(Debug, Clone, PartialEq)]
pub struct Adjusted {
    pub stock: Stock,
    pub before: f64,
}

/// [`adjust`] for the stock with id `stock_id` (the web page's and the API's form of it).
pub async fn adjust_id<S: Store>(
    store: &S,
    stock_id: i64,
    change: Change,
    amount: &str,
    note: Option<&str>,
    now: Timestamp,
) -> Result<Adjusted> {
    let stock = store
        .stock(stock_id)
        .await?
        .ok_or_else(|| crate::AppError::NotFound(format!("there is no stock {stock_id}")))?;
    adjust(store, &stock, change, amount, note, now).await
}

/// Apply `change` of `amount` (typed as for [`supply_amount`]) to `stock`, with an optional
/// note kept in the ledger line. Nothing is written when the input is refused.
pub async fn adjust<S: Store>(
    store: &S,
    stock: &Stock,
    change: Change,
    amount: &str,
    note: Option<&str>,
    now: Timestamp,
) -> Result<Adjusted> {
    if stock.is_retired() {
        return Err(crate::conflict(format!(
            "stock {} ({}) is retired; add a new stock instead",
            stock.id, stock.stock.name
        )));
    }
    let note = text::opt_label("note", note).map_err(input)?;
    let v = supply_amount(stock, amount)?;
    let before = stock.stock.remaining;
    let adjustment = match change {
        Change::Add => {
            count("what it holds after the refill", before + v)?;
            Adjustment::Delta(v)
        }
        Change::Remove => {
            if v > before + 1e-9 {
                return Err(input(format!(
                    "cannot remove {} from {}: only {} on hand",
                    fmt_num(v),
                    stock.stock.name,
                    stock.remaining_text()
                )));
            }
            Adjustment::Delta(-v)
        }
        Change::Count => Adjustment::Set(v),
    };
    // The ledger line's kind says it was a count; the reason is the person's note alone.
    let stock = store
        .adjust_stock(stock.id, adjustment, now, note.as_deref())
        .await?;
    Ok(Adjusted { stock, before })
}

/// A spray pump's volume per spray: stated on the pump, or calibrated by filling and counting.
#[derive(Debug, Clone, Default, serde::Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct SprayVolumeRequest {
    /// As stated, e.g. "0.1mL".
    pub stated: Option<String>,
    /// Calibration: the volume filled, e.g. "5mL"…
    pub filled: Option<String>,
    /// …and the sprays it gave.
    pub sprays_counted: Option<u32>,
}

impl SprayVolumeRequest {
    pub fn spec(&self) -> Result<dosewise_core::preparation::SprayVolumeSpec> {
        use dosewise_core::dose_expr::parse_volume;
        use dosewise_core::preparation::SprayVolumeSpec;
        match (&self.stated, &self.filled, self.sprays_counted) {
            (Some(v), _, _) => Ok(SprayVolumeSpec::Stated {
                ml: parse_volume(v).map_err(input)?,
            }),
            (None, Some(f), Some(n)) => Ok(SprayVolumeSpec::Calibrated {
                filled_ml: parse_volume(f).map_err(input)?,
                sprays: n,
            }),
            _ => Err(input(
                "give the volume of one spray, or the volume filled with the sprays it gave when counted",
            )),
        }
    }
}

/// What a stock is, by form, as typed.
#[derive(Debug, Clone, serde::Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum FormRequest {
    /// Troches, lozenges or rapid-dissolve tablets: the strength of one ("25mg"), how many are
    /// held (halves and quarters allowed), how many were dispensed (default: the count).
    Troche {
        strength: String,
        count: f64,
        #[serde(default)]
        dispensed: Option<f64>,
    },
    /// A nasal spray: concentration ("100mg/mL", "10%"), volume per spray, the bottle's
    /// liquid ("5mL"), sprays used to prime the pump (not supply).
    Spray {
        concentration: String,
        #[serde(default)]
        volume: SprayVolumeRequest,
        bottle: String,
        #[serde(default)]
        priming: u32,
    },
    /// A solution made from powder: its mass ("500mg"), the final volume ("10mL"), the
    /// powder's purity in percent, the volume of one drop once measured ("0.05mL").
    Solution {
        mass: String,
        volume: String,
        purity: f64,
        #[serde(default)]
        drop_volume: Option<String>,
    },
}

/// A new stock as typed.
#[derive(Debug, Clone, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StockRequest {
    pub name: String,
    /// As labelled; default HCl, the usual labelling of compounded troches and powders.
    #[serde(default)]
    pub salt: Option<dosewise_core::salt::Salt>,
    #[serde(default = "ketamine")]
    pub substance: dosewise_core::route::Substance,
    /// The usual route; default by form.
    #[serde(default)]
    pub route: Option<dosewise_core::route::Route>,
    #[serde(default)]
    pub lot: Option<String>,
    /// YYYY-MM-DD.
    #[serde(default)]
    pub expiry: Option<String>,
    /// YYYY-MM-DD.
    #[serde(default)]
    pub opened: Option<String>,
    #[serde(default)]
    pub note: Option<String>,
    pub form: FormRequest,
}

fn ketamine() -> dosewise_core::route::Substance {
    dosewise_core::route::Substance::Ketamine
}

/// Record a stock and its first ledger line.
pub async fn add<S: Store>(store: &S, req: &StockRequest, now: Timestamp) -> Result<Stock> {
    Ok(store.add_stock(&new_stock(req, now)?).await?)
}

/// The stock a request describes, checked; nothing is written.
pub(crate) fn new_stock(
    req: &StockRequest,
    now: Timestamp,
) -> Result<dosewise_core::stock::NewStock> {
    use dosewise_core::dose_expr::{parse_concentration, parse_mass, parse_volume};
    use dosewise_core::preparation::{Form, Preparation};
    let salt = req.salt.unwrap_or(dosewise_core::salt::Salt::Hcl);
    let (form, remaining, dispensed) = match &req.form {
        FormRequest::Troche {
            strength,
            count: n,
            dispensed,
        } => {
            let strength_mg = parse_mass(strength).map_err(input)?;
            let n = count("the count", *n)?;
            if (n * 4.0 - (n * 4.0).round()).abs() > 1e-9 {
                return Err(input(
                    "the count may have halves and quarters only (e.g. 29.5 or 29.75)",
                ));
            }
            let dispensed = count("the number dispensed", dispensed.unwrap_or(n))?;
            (Form::Troche { strength_mg }, n, Some(dispensed))
        }
        FormRequest::Spray {
            concentration,
            volume,
            bottle,
            priming,
        } => {
            let bottle_ml = parse_volume(bottle).map_err(input)?;
            let form = Form::NasalSpray {
                concentration_mg_per_ml: parse_concentration(concentration).map_err(input)?,
                spray_volume: volume.spec()?,
                bottle_ml: Some(bottle_ml),
                priming_sprays: *priming,
            };
            let prep = Preparation {
                substance: req.substance,
                salt,
                form: form.clone(),
            };
            prep.validate().map_err(input)?;
            let usable = prep.usable_ml().unwrap_or(bottle_ml.value());
            if usable <= 0.0 {
                return Err(input(
                    "the priming sprays use the whole bottle; check the bottle's volume and the priming sprays",
                ));
            }
            (form, usable, Some(bottle_ml.value()))
        }
        FormRequest::Solution {
            mass,
            volume,
            purity,
            drop_volume,
        } => {
            let volume_ml = parse_volume(volume).map_err(input)?;
            let v = volume_ml.value();
            let form = Form::Solution {
                powder_mg: parse_mass(mass).map_err(input)?,
                purity_pct: *purity,
                volume_ml,
                drop_ml: drop_volume
                    .as_deref()
                    .map(parse_volume)
                    .transpose()
                    .map_err(input)?,
            };
            (form, v, Some(v))
        }
    };
    let preparation = Preparation {
        substance: req.substance,
        salt,
        form,
    };
    preparation.validate().map_err(input)?;
    Ok(dosewise_core::stock::NewStock {
        name: text::label("stock name", &req.name).map_err(input)?,
        default_route: req.route.unwrap_or_else(|| preparation.default_route()),
        supply_unit: preparation.supply_unit(),
        preparation,
        dispensed,
        remaining,
        lot: text::opt_label("lot", req.lot.as_deref()).map_err(input)?,
        expiry: req
            .expiry
            .as_deref()
            .map(|d| crate::period::parse_date("expiry", d))
            .transpose()?,
        opened: req
            .opened
            .as_deref()
            .map(|d| crate::period::parse_date("opened date", d))
            .transpose()?,
        note: text::note(req.note.as_deref()).map_err(input)?,
        created_at: now,
    })
}

/// Calibrate a solution's drop: the volume of one drop, once measured ("0.05mL").
pub async fn calibrate_drops<S: Store>(store: &S, mut stock: Stock, drop: &str) -> Result<Stock> {
    use dosewise_core::preparation::Form;
    let d = dosewise_core::dose_expr::parse_volume(drop).map_err(input)?;
    match &mut stock.stock.preparation.form {
        Form::Solution { drop_ml, .. } => *drop_ml = Some(d),
        _ => return Err(input("drop calibration applies to solutions only")),
    }
    stock.stock.preparation.validate().map_err(input)?;
    Ok(store.update_stock(&stock).await?)
}

/// Retire a stock (used up, expired, discarded); its history stays.
pub async fn retire<S: Store>(
    store: &S,
    stock: &Stock,
    reason: Option<&str>,
    now: Timestamp,
) -> Result<Stock> {
    let reason = text::opt_label("reason", reason).map_err(input)?;
    Ok(store.retire_stock(stock.id, now, reason.as_deref()).await?)
}
