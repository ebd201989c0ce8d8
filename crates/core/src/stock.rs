//! Stock: a preparation a person holds, how much of it is left, and the ledger of every change
//! to that amount (dispensed, doses, corrections, adjustments, retirement). The remaining amount
//! is kept in the stock's supply unit (troches, or mL for liquids).

use crate::preparation::{Preparation, SupplyUnit};
use crate::route::Route;
use jiff::Timestamp;
use jiff::civil::Date;
use serde::{Deserialize, Serialize};

/// A stock as entered, before it has an id.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NewStock {
    pub name: String,
    pub preparation: Preparation,
    pub default_route: Route,
    pub supply_unit: SupplyUnit,
    /// Amount dispensed or made, in the supply unit, if known.
    pub dispensed: Option<f64>,
    /// Amount on hand now, in the supply unit.
    pub remaining: f64,
    pub lot: Option<String>,
    pub expiry: Option<Date>,
    pub opened: Option<Date>,
    pub note: Option<String>,
    pub created_at: Timestamp,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Stock {
    pub id: i64,
    #[serde(flatten)]
    pub stock: NewStock,
    pub retired_at: Option<Timestamp>,
    pub retire_reason: Option<String>,
}

impl Stock {
    pub fn is_retired(&self) -> bool {
        self.retired_at.is_some()
    }
    /// "12.5 troches", "4.3 mL (43 sprays)".
    pub fn remaining_text(&self) -> String {
        supply_text(&self.stock.preparation, self.stock.remaining)
    }
}

/// An amount of supply in words, with sprays for a spray bottle.
pub fn supply_text(prep: &Preparation, amount: f64) -> String {
    let unit = prep.supply_unit();
    match (unit, prep.spray_ml()) {
        (SupplyUnit::Ml, Some(v)) => {
            let sprays = (amount / v.value() + 1e-9).floor();
            format!(
                "{} (~{} sprays)",
                unit.fmt(amount),
                crate::units::fmt_num(sprays)
            )
        }
        _ => unit.fmt(amount),
    }
}

/// Why the amount on hand changed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum StockEventKind {
    /// The stock was recorded (initial amount).
    Added,
    /// A dose was logged from it.
    Dose,
    /// A dose was corrected; the difference is returned or taken.
    DoseEdit,
    /// A dose was deleted; its amount is returned.
    DoseDelete,
    /// A manual correction: spilled, primed, refilled, lost.
    Adjust,
    /// A count: what was on hand replaced the ledger's figure; the delta is the difference
    /// (negative: less than the log implied).
    Count,
    /// The stock was retired (used up, expired, discarded).
    Retire,
}

impl StockEventKind {
    pub fn as_str(self) -> &'static str {
        match self {
            StockEventKind::Added => "added",
            StockEventKind::Dose => "dose",
            StockEventKind::DoseEdit => "dose_edit",
            StockEventKind::DoseDelete => "dose_delete",
            StockEventKind::Adjust => "adjust",
            StockEventKind::Count => "count",
            StockEventKind::Retire => "retire",
        }
    }
    pub fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "added" => StockEventKind::Added,
            "dose" => StockEventKind::Dose,
            "dose_edit" => StockEventKind::DoseEdit,
            "dose_delete" => StockEventKind::DoseDelete,
            "adjust" => StockEventKind::Adjust,
            "count" => StockEventKind::Count,
            "retire" => StockEventKind::Retire,
            _ => return None,
        })
    }
}

/// Before journal version 4 (schema 6), a count was stored as an `adjust` whose reason was
/// exactly "count" or "count: NOTE" (the only two forms Dosewise wrote). Such a line is a
/// count, with NOTE (or nothing) as its reason; any other line is left as it is. A manual
/// adjustment whose own reason merely began with "count" (say "counted twice") stays an
/// adjustment: the old reading took it for a count.
pub fn legacy_count(
    kind: StockEventKind,
    reason: Option<&str>,
) -> Option<(StockEventKind, Option<String>)> {
    if kind != StockEventKind::Adjust {
        return None;
    }
    match reason? {
        "count" => Some((StockEventKind::Count, None)),
        r => r
            .strip_prefix("count: ")
            .map(|note| (StockEventKind::Count, Some(note.to_string()))),
    }
}

/// One line of a stock's ledger.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StockEvent {
    pub id: i64,
    pub stock_id: i64,
    pub at: Timestamp,
    pub kind: StockEventKind,
    /// Signed change, in the supply unit.
    pub delta: f64,
    pub remaining_after: f64,
    pub dose_id: Option<i64>,
    pub reason: Option<String>,
}

/// A manual change to a stock.
#[derive(Debug, Clone, PartialEq)]
pub enum Adjustment {
    /// Set the amount on hand to a counted value (recorded as a [`StockEventKind::Count`]).
    Set(f64),
    /// Add (refill) or remove (spilled, primed, lost) an amount.
    Delta(f64),
}

impl Adjustment {
    /// The change this makes to a stock holding `remaining`, and how the ledger records it.
    pub fn delta(&self, remaining: f64) -> (f64, StockEventKind) {
        match *self {
            Adjustment::Set(counted) => (counted - remaining, StockEventKind::Count),
            Adjustment::Delta(d) => (d, StockEventKind::Adjust),
        }
    }
}

/// Supply arithmetic slack: quarters of troches and tenths of mL add up with rounding error.
pub(crate) const SUPPLY_EPS: f64 = 1e-9;

/// What a dose takes from a stock: the stock and the amount, in its supply unit.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Draw {
    pub stock_id: i64,
    pub amount: f64,
}

impl Draw {
    /// A dose's draw, when it came from a stock with a known amount.
    pub fn of(stock_id: Option<i64>, amount: Option<f64>) -> Option<Draw> {
        Some(Draw {
            stock_id: stock_id?,
            amount: amount?,
        })
    }
}

/// A change to one stock's amount on hand (negative takes supply).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Move {
    pub stock_id: i64,
    pub delta: f64,
}

impl Move {
    /// This move's ledger line, once applied: `after` is what it left on hand.
    pub fn line(
        self,
        at: Timestamp,
        kind: StockEventKind,
        after: f64,
        dose_id: Option<i64>,
        reason: Option<&str>,
    ) -> StockEvent {
        StockEvent {
            id: 0,
            stock_id: self.stock_id,
            at,
            kind,
            delta: self.delta,
            remaining_after: after,
            dose_id,
            reason: reason.map(str::to_string),
        }
    }
}

/// The supply moves of a dose's life, the one rule every backend applies: logging takes the
/// draw (`before` none), deleting returns it (`after` none), and a correction returns the old
/// draw and then takes the new one, which is right whether or not the stock changed. A
/// correction that leaves the stock and the amount as they were (a new time or note) moves
/// nothing, so the ledger shows no empty lines.
pub fn supply_moves(before: Option<Draw>, after: Option<Draw>) -> Vec<Move> {
    if before == after {
        return Vec::new();
    }
    let give_back = before.map(|d| Move {
        stock_id: d.stock_id,
        delta: d.amount,
    });
    let take = after.map(|d| Move {
        stock_id: d.stock_id,
        delta: -d.amount,
    });
    give_back.into_iter().chain(take).collect()
}

/// The amount on hand after a move, or `None` when the move would take more than is there.
/// A shortfall within rounding slack ([`SUPPLY_EPS`]) leaves exactly zero rather than a
/// negative amount or a refusal.
pub fn after_move(remaining: f64, delta: f64) -> Option<f64> {
    let after = remaining + delta;
    (after > -SUPPLY_EPS).then_some(after.max(0.0))
}

/// What [`stock_status`] finds worth telling.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct StockStatus {
    pub stock_id: i64,
    pub name: String,
    pub remaining: f64,
    pub remaining_text: String,
    /// Days of supply left at the average use of the last 28 days, if there was use.
    pub days_left: Option<f64>,
    pub low: bool,
    pub expired: bool,
    /// Days until expiry when within 30 days.
    pub expires_in_days: Option<i64>,
    pub messages: Vec<String>,
}

/// How many days a stock must have been held before its use estimates how long it lasts.
pub const MIN_ESTIMATE_DAYS: f64 = 7.0;

/// Below this many days of supply at recent use, a stock is "running low".
pub(crate) const LOW_DAYS: f64 = 7.0;
/// Below this fraction of the dispensed amount, a stock is "running low" whatever the use.
pub(crate) const LOW_FRACTION: f64 = 0.2;

/// Supply status of an active stock: running low, expired, expiring soon.
/// `used_last_28_days` is the supply used by doses in the 28 days before `today`.
pub fn stock_status(stock: &Stock, used_last_28_days: f64, today: Date) -> StockStatus {
    let s = &stock.stock;
    // The rate over the days the stock has been held (at most the last 28); no estimate before
    // it has been held a week: a day-one dose says nothing about how long it lasts.
    let held = s
        .created_at
        .to_zoned_datetime(jiff::tz::TimeZone::UTC)
        .date();
    let observed = ((today - held).get_days() as f64 + 1.0).clamp(1.0, 28.0);
    let per_day = used_last_28_days / observed;
    let days_left = (per_day > 0.0 && observed >= MIN_ESTIMATE_DAYS).then(|| s.remaining / per_day);
    let by_days = days_left.is_some_and(|d| d < LOW_DAYS);
    let by_fraction = s
        .dispensed
        .is_some_and(|d| d > 0.0 && s.remaining < d * LOW_FRACTION);
    let empty = s.remaining <= 1e-9;
    let low = empty || by_days || by_fraction;
    let mut messages = Vec::new();
    if empty {
        messages.push(format!("{} is used up", s.name));
    } else if low {
        let mut m = format!("{} is running low: {} left", s.name, stock.remaining_text());
        if let Some(d) = days_left {
            m.push_str(&format!(", about {} days at your recent use", d.floor()));
        }
        messages.push(m);
    }
    let until = s.expiry.map(|e| (e - today).get_days() as i64);
    let expired = until.is_some_and(|d| d < 0);
    if expired {
        messages.push(format!("{} is past its expiry date", s.name));
    } else if let Some(d) = until.filter(|d| *d <= 30) {
        messages.push(format!("{} expires in {d} days", s.name));
    }
    StockStatus {
        stock_id: stock.id,
        name: s.name.clone(),
        remaining: s.remaining,
        remaining_text: stock.remaining_text(),
        days_left,
        low,
        expired,
        expires_in_days: until.filter(|d| (0..=30).contains(d)),
        messages,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn stock(remaining: f64, dispensed: Option<f64>, expiry: Option<&str>) -> Stock {
        let mut s = crate::testing::troche_stock(1, remaining);
        s.stock.dispensed = dispensed;
        s.stock.expiry = expiry.map(|e| e.parse().unwrap_or_else(|e| panic!("{e}")));
        s
    }
    fn today() -> Date {
        "2026-11-28".parse().unwrap_or_else(|e| panic!("{e}"))
    }

    #[test]
    fn a_dose_takes_its_draw_and_a_deletion_returns_it() {
        let d = Draw::of(Some(3), Some(1.5));
        assert_eq!(
            supply_moves(None, d),
            vec![Move {
                stock_id: 3,
                delta: -1.5
            }]
        );
        assert_eq!(
            supply_moves(d, None),
            vec![Move {
                stock_id: 3,
                delta: 1.5
            }]
        );
        // No stock, or no known amount: nothing to move.
        assert_eq!(Draw::of(None, Some(1.0)), None);
        assert_eq!(Draw::of(Some(3), None), None);
        assert!(supply_moves(None, None).is_empty());
    }

    #[test]
    fn a_correction_returns_the_old_draw_then_takes_the_new() {
        let old = Draw::of(Some(1), Some(2.0));
        // Same stock, same amount (a new time or note): nothing moves.
        assert!(supply_moves(old, old).is_empty());
        // A different amount from the same stock.
        let moves = supply_moves(old, Draw::of(Some(1), Some(0.5)));
        assert_eq!(moves.iter().map(|m| m.delta).sum::<f64>(), 1.5);
        assert_eq!(moves.len(), 2);
        // Another stock: the first gets its 2 back, the second gives 0.5.
        let moves = supply_moves(old, Draw::of(Some(2), Some(0.5)));
        assert_eq!(
            moves,
            vec![
                Move {
                    stock_id: 1,
                    delta: 2.0
                },
                Move {
                    stock_id: 2,
                    delta: -0.5
                }
            ]
        );
    }

    #[test]
    fn a_move_never_leaves_less_than_nothing() {
        assert_eq!(after_move(2.0, -0.5), Some(1.5));
        assert_eq!(after_move(2.0, -2.0), Some(0.0));
        assert_eq!(after_move(2.0, -2.25), None);
        // Three thirds of a troche are one troche, rounding aside.
        let third = 1.0 / 3.0;
        assert_eq!(after_move(third + third + third - 1.0, 0.0), Some(0.0));
        assert_eq!(after_move(1.0, -(third + third + third)), Some(0.0));
        assert_eq!(after_move(0.0, -1e-12), Some(0.0));
        assert_eq!(after_move(0.0, -1e-6), None);
    }

    #[test]
    fn a_count_sets_and_an_adjustment_adds() {
        assert_eq!(
            Adjustment::Set(7.0).delta(10.0),
            (-3.0, StockEventKind::Count)
        );
        assert_eq!(
            Adjustment::Delta(5.0).delta(10.0),
            (5.0, StockEventKind::Adjust)
        );
    }

    #[test]
    fn low_by_recent_use() {
        // 14 troches used in 28 days = 0.5/day; 3 left = 6 days.
        let s = stock_status(&stock(3.0, None, None), 14.0, today());
        assert!(s.low);
        assert_eq!(s.days_left, Some(6.0));
        let s = stock_status(&stock(10.0, None, None), 14.0, today());
        assert!(!s.low);
    }

    /// A stock held for two days has no estimate of how long it lasts (not "644 days" from one
    /// dose); held for ten, the rate is over those ten days, not 28.
    #[test]
    fn no_estimate_until_a_week_of_use() {
        let mut st = stock(20.0, None, None);
        st.stock.created_at = crate::testing::ts("2026-11-27T09:00:00Z");
        let s = stock_status(&st, 0.5, today());
        assert_eq!(s.days_left, None);
        assert!(!s.low && s.messages.is_empty());
        st.stock.created_at = crate::testing::ts("2026-11-19T09:00:00Z");
        // 5 troches in 10 days = 0.5/day; 20 left = 40 days.
        let s = stock_status(&st, 5.0, today());
        assert_eq!(s.days_left, Some(40.0));
    }

    #[test]
    fn low_by_fraction_and_empty() {
        assert!(stock_status(&stock(5.0, Some(30.0), None), 0.0, today()).low);
        assert!(!stock_status(&stock(10.0, Some(30.0), None), 0.0, today()).low);
        let s = stock_status(&stock(0.0, None, None), 0.0, today());
        assert!(s.low && s.messages[0].contains("used up"));
    }

    #[test]
    fn expiry() {
        let s = stock_status(&stock(10.0, None, Some("2026-12-10")), 0.0, today());
        assert_eq!(s.expires_in_days, Some(12));
        assert!(!s.expired);
        let s = stock_status(&stock(10.0, None, Some("2026-11-01")), 0.0, today());
        assert!(s.expired);
        let s = stock_status(&stock(10.0, None, Some("2027-11-01")), 0.0, today());
        assert!(s.messages.is_empty());
    }
}
