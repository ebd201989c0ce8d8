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
pub const MAX_AMOUNT: f64 = 100_000.0;

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
        .ok_or_else(|| input(format!("there is no stock {stock_id}")))?;
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
        return Err(input(format!(
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
