//! A dose: what was taken, when, how, from which stock — and how an entry becomes one.
//!
//! [`prepare_dose`] is the single place where a typed amount turns into a stored dose: it
//! resolves the amount through the stock's preparation, converts to ketamine base, estimates the
//! bioavailable range for the route, computes mg/kg, checks the time and the supply, and refuses
//! anything implausible. It is pure: the caller passes "now".

use crate::dose_expr::{CountUnit, Quantity};
use crate::exposure::exposure;
use crate::preparation::ResolveError;
use crate::route::{Route, Substance};
use crate::salt::{KetamineMass, Salt};
use crate::stock::Stock;
use crate::text::{self, TextError};
use crate::units::{Kilograms, Milligrams, QuantityError, fmt_num};
use jiff::{SignedDuration, Timestamp};
use serde::{Deserialize, Serialize};
use thiserror::Error;

pub use crate::plausible::MAX_DOSE_MG;
/// How far in the future a dose may be timed (clock skew, typing ahead).
pub const MAX_FUTURE: SignedDuration = SignedDuration::from_mins(5);

/// A dose as it will be stored.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NewDose {
    pub at: Timestamp,
    /// IANA zone the dose was taken in.
    pub zone: String,
    pub stock_id: Option<i64>,
    /// The protocol the dose was taken under, if one was current for its substance.
    #[serde(default)]
    pub protocol_id: Option<i64>,
    /// The amount exactly as typed.
    pub entered: String,
    pub quantity: Quantity,
    /// Milligrams in the salt form named by `salt`.
    pub dose_mg: f64,
    pub salt: Salt,
    pub dose_mg_base: f64,
    pub substance: Substance,
    pub route: Route,
    pub bioavailable_mg_min: Option<f64>,
    pub bioavailable_mg_max: Option<f64>,
    pub mg_per_kg: Option<f64>,
    /// Supply taken from the stock, in its supply unit.
    pub supply_used: Option<f64>,
    pub note: Option<String>,
    /// What the safety check said when the dose was logged.
    #[serde(default)]
    pub findings: Vec<crate::safety::Finding>,
    /// Why the person logged it despite a refusal.
    #[serde(default)]
    pub override_reason: Option<String>,
    /// The blinded trial's container it was taken from (its code), when it was a trial dose.
    #[serde(default)]
    pub container: Option<String>,
}

impl NewDose {
    /// A dose of nothing at `at`, for the checks that do not depend on the amount (the standing
    /// findings of `dosewise check`, the red flags that block a titration step up).
    pub fn nominal(
        at: Timestamp,
        zone: &str,
        substance: Substance,
        route: Route,
        protocol_id: Option<i64>,
    ) -> NewDose {
        NewDose {
            at,
            zone: zone.to_string(),
            stock_id: None,
            protocol_id,
            entered: String::new(),
            quantity: Quantity::Mg(Milligrams::zero()),
            dose_mg: 0.0,
            salt: Salt::Hcl,
            dose_mg_base: 0.0,
            substance,
            route,
            bioavailable_mg_min: None,
            bioavailable_mg_max: None,
            mg_per_kg: None,
            supply_used: None,
            note: None,
            findings: vec![],
            override_reason: None,
            container: None,
        }
    }
    /// The amount in HCl terms (for display beside base).
    pub fn dose_mg_hcl(&self) -> f64 {
        match self.salt {
            Salt::Hcl => self.dose_mg,
            Salt::Base => self.dose_mg_base * crate::salt::HCL_PER_BASE,
        }
    }
    /// The findings that refused this dose (one logged anyway: overridden, or already taken).
    pub fn refusals(&self) -> impl Iterator<Item = &crate::safety::Finding> {
        self.findings
            .iter()
            .filter(|f| f.severity == crate::safety::Severity::Refuse)
    }
    /// "12.5 mg HCl (10.84 mg base)".
    pub fn amount_text(&self) -> String {
        match self.salt {
            Salt::Hcl => format!(
                "{} mg HCl ({} mg base)",
                fmt_num(self.dose_mg),
                fmt_num(self.dose_mg_base)
            ),
            Salt::Base => format!(
                "{} mg base ({} mg HCl)",
                fmt_num(self.dose_mg),
                fmt_num(self.dose_mg_hcl())
            ),
        }
    }
}

/// An amount given in mg base, in `first`'s form with the other in brackets: "37.49 mg HCl
/// (32.5 mg base)" or "32.5 mg base (37.49 mg HCl)" (totals and averages; a single dose says
/// its recorded figures, [`NewDose::amount_text`]).
pub fn mg_text(mg_base: f64, first: Salt) -> String {
    let hcl = mg_base * crate::salt::HCL_PER_BASE;
    match first {
        Salt::Hcl => format!("{} mg HCl ({} mg base)", fmt_num(hcl), fmt_num(mg_base)),
        Salt::Base => format!("{} mg base ({} mg HCl)", fmt_num(mg_base), fmt_num(hcl)),
    }
}

/// A total of doses in one convention, the way their labels put it: HCl first when every dose
/// was labelled HCl, base first otherwise.
pub fn total_text(doses: &[Dose]) -> String {
    let base: f64 = doses.iter().map(|d| d.dose.dose_mg_base).sum();
    let all_hcl = !doses.is_empty() && doses.iter().all(|d| d.dose.salt == Salt::Hcl);
    mg_text(base, if all_hcl { Salt::Hcl } else { Salt::Base })
}

/// A stored dose.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Dose {
    pub id: i64,
    #[serde(flatten)]
    pub dose: NewDose,
    pub created_at: Timestamp,
    pub updated_at: Option<Timestamp>,
    pub deleted_at: Option<Timestamp>,
}

impl Dose {
    /// The revision a correction or deletion keeps of this dose as it is now; `None` for a
    /// deleted dose, which is never changed again. The rule both backends apply.
    pub fn revision(
        &self,
        at: Timestamp,
        action: RevisionAction,
        reason: Option<&str>,
    ) -> Option<DoseRevision> {
        self.deleted_at.is_none().then(|| DoseRevision {
            id: 0,
            dose_id: self.id,
            at,
            action,
            previous: self.dose.clone(),
            reason: reason.map(str::to_string),
        })
    }

    /// Recorded after the fact with findings that would have refused it before it was taken
    /// (see [`crate::safety::AFTER_THE_FACT`]): shown with [`crate::safety::AFTER_THE_FACT_NOTE`].
    pub fn recorded_after_the_fact(&self) -> bool {
        let written = self.updated_at.unwrap_or(self.created_at);
        self.dose.override_reason.is_none()
            && self.dose.refusals().next().is_some()
            && (written.duration_since(self.dose.at) > crate::safety::AFTER_THE_FACT
                || self
                    .dose
                    .findings
                    .iter()
                    .any(|f| f.code == crate::safety::ALREADY_TAKEN))
    }

    /// Saved although the safety check refused it: overridden with a reason, or recorded as
    /// already taken.
    pub fn saved_despite_refusal(&self) -> bool {
        self.dose.override_reason.is_some() || self.recorded_after_the_fact()
    }
}

/// What happened to a dose after it was logged.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RevisionAction {
    Edit,
    Delete,
}

impl RevisionAction {
    pub fn as_str(self) -> &'static str {
        match self {
            RevisionAction::Edit => "edit",
            RevisionAction::Delete => "delete",
        }
    }
}

/// The record a correction leaves: what the dose looked like before, and why it changed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DoseRevision {
    pub id: i64,
    pub dose_id: i64,
    pub at: Timestamp,
    pub action: RevisionAction,
    pub previous: NewDose,
    pub reason: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Error)]
pub enum DoseError {
    #[error(transparent)]
    Resolve(#[from] ResolveError),
    #[error(transparent)]
    Quantity(#[from] QuantityError),
    #[error(transparent)]
    Text(#[from] TextError),
    #[error(
        "{0} needs a stock to be converted to mg: add the stock and choose it, or give the amount in mg"
    )]
    NeedsStock(String),
    #[error("the stock \"{0}\" is retired; choose an active stock")]
    StockRetired(String),
    #[error(
        "this dose needs {needed} but \"{name}\" has only {left} left. If your count is off, record a new count of the stock first"
    )]
    NotEnoughSupply {
        name: String,
        needed: String,
        left: String,
    },
    #[error(
        "{mg} mg is more than {max} mg in one dose, far above any dose in the reference data; this looks like a unit mistake. Nothing was saved"
    )]
    Implausible { mg: String, max: String },
    #[error("the dose is timed {0} in the future; doses can be logged up to 5 minutes ahead")]
    InFuture(String),
}

/// What a person entered for a dose.
#[derive(Debug, Clone)]
pub struct DoseInput {
    pub entered: String,
    pub quantity: Quantity,
    pub route: Option<Route>,
    pub at: Timestamp,
    pub zone: String,
    pub note: Option<String>,
    /// Only for doses without a stock; a stock's preparation names its own salt form.
    pub salt: Option<Salt>,
    /// Only for doses without a stock.
    pub substance: Option<Substance>,
    /// The current protocol for the dose's substance, if any.
    pub protocol_id: Option<i64>,
}

/// Turn an entry into a dose, refusing anything implausible. `stock` is the chosen stock (if
/// any); `weight` the person's weight; `now` the current instant.
pub fn prepare_dose(
    input: DoseInput,
    stock: Option<&Stock>,
    weight: Option<Kilograms>,
    now: Timestamp,
) -> Result<NewDose, DoseError> {
    let note = text::note(input.note.as_deref())?;
    let ahead = input.at.duration_since(now);
    if ahead > MAX_FUTURE {
        let mins = ahead.as_secs() / 60;
        return Err(DoseError::InFuture(if mins >= 120 {
            format!("{} hours", mins / 60)
        } else {
            format!("{mins} minutes")
        }));
    }
    let (mass, supply_used, substance, default_route, stock_id) = match stock {
        Some(s) => {
            if s.is_retired() {
                return Err(DoseError::StockRetired(s.stock.name.clone()));
            }
            let r = s.stock.preparation.resolve(&input.quantity)?;
            if r.supply_used > s.stock.remaining + 1e-9 {
                let unit = s.stock.preparation.supply_unit();
                return Err(DoseError::NotEnoughSupply {
                    name: s.stock.name.clone(),
                    needed: unit.fmt(r.supply_used),
                    left: s.remaining_text(),
                });
            }
            (
                r.mass,
                Some(r.supply_used),
                s.stock.preparation.substance,
                s.stock.default_route,
                Some(s.id),
            )
        }
        None => match input.quantity {
            Quantity::Mg(m) => (
                KetamineMass::new(m, input.salt.unwrap_or(Salt::Hcl)),
                None,
                input.substance.unwrap_or(Substance::Ketamine),
                Route::Sublingual,
                None,
            ),
            q => return Err(DoseError::NeedsStock(q.to_string())),
        },
    };
    if mass.mg.value() > MAX_DOSE_MG {
        return Err(DoseError::Implausible {
            mg: fmt_num(mass.mg.value()),
            max: fmt_num(MAX_DOSE_MG),
        });
    }
    let dose_mg = Milligrams::positive(mass.mg.value())?;
    let base = mass.base();
    let route = input.route.unwrap_or(default_route);
    let x = exposure(substance, route, base);
    let mg_per_kg = weight
        .filter(|w| w.value() > 0.0)
        .map(|w| base.value() / w.value());
    Ok(NewDose {
        at: crate::when::to_micros(input.at),
        zone: input.zone,
        stock_id,
        protocol_id: input.protocol_id,
        entered: input.entered,
        quantity: input.quantity,
        dose_mg: dose_mg.value(),
        salt: mass.salt,
        dose_mg_base: base.value(),
        substance,
        route,
        bioavailable_mg_min: x.as_ref().map(|x| x.bioavailable_mg_min),
        bioavailable_mg_max: x.as_ref().map(|x| x.bioavailable_mg_max),
        mg_per_kg,
        supply_used,
        note,
        findings: vec![],
        override_reason: None,
        container: None,
    })
}

/// Units of a dose in words, e.g. "2 sprays", "½ troche" — `None` for a plain mass or volume.
pub fn units_text(q: &Quantity) -> Option<String> {
    match q {
        Quantity::Count {
            n,
            unit: CountUnit::Troche,
        } if (*n - 0.5).abs() < 1e-9 => Some("½ troche".into()),
        Quantity::Count {
            n,
            unit: CountUnit::Troche,
        } if (*n - 0.25).abs() < 1e-9 => Some("¼ troche".into()),
        Quantity::Count {
            n,
            unit: CountUnit::Troche,
        } if (*n - 0.75).abs() < 1e-9 => Some("¾ troche".into()),
        Quantity::Count { n, unit } => Some(format!("{} {}", fmt_num(*n), unit.name(*n))),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dose_expr::parse_quantity;
    use crate::testing::ts;

    fn troche_stock(remaining: f64) -> Stock {
        let mut s = crate::testing::troche_stock(7, 30.0);
        s.stock.remaining = remaining;
        s
    }
    fn input(amount: &str, at: &str) -> DoseInput {
        DoseInput {
            entered: amount.into(),
            quantity: parse_quantity(amount).unwrap_or_else(|e| panic!("{e}")),
            route: None,
            at: ts(at),
            zone: "Europe/Berlin".into(),
            note: None,
            salt: None,
            substance: None,
            protocol_id: None,
        }
    }
    const NOW: &str = "2026-11-28T12:00:00Z";

    #[test]
    fn half_troche_becomes_a_full_record() {
        let weight = Kilograms::positive(70.0).ok();
        let d = prepare_dose(
            input("1/2 troche", NOW),
            Some(&troche_stock(10.0)),
            weight,
            ts(NOW),
        )
        .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(d.dose_mg, 12.5);
        assert_eq!(d.salt, Salt::Hcl);
        // By hand: 12.5 mg HCl × 237.7 / 274.2 (molecular weights) = 10.84 mg base; absorbed
        // 24–32 % sublingually (Chong 2009, Chong 2006) = 2.60–3.47 mg; 10.84 / 70 = 0.155 mg/kg.
        assert!((d.dose_mg_base - 10.84).abs() < 0.005);
        assert_eq!(d.route, Route::Sublingual);
        assert_eq!(d.supply_used, Some(0.5));
        assert!((d.bioavailable_mg_min.unwrap_or(0.0) - 2.60).abs() < 0.005);
        assert!((d.bioavailable_mg_max.unwrap_or(0.0) - 3.47).abs() < 0.005);
        assert!((d.mg_per_kg.unwrap_or(0.0) - 0.155).abs() < 0.0005);
        assert_eq!(d.stock_id, Some(7));
        assert!(d.amount_text().contains("12.5 mg HCl"));
    }

    #[test]
    fn refusals() {
        let s = troche_stock(0.25);
        assert!(matches!(
            prepare_dose(input("1 troche", NOW), Some(&s), None, ts(NOW)),
            Err(DoseError::NotEnoughSupply { .. })
        ));
        assert!(matches!(
            prepare_dose(input("2 sprays", NOW), Some(&s), None, ts(NOW)),
            Err(DoseError::Resolve(_))
        ));
        assert!(matches!(
            prepare_dose(
                input("10 g", NOW),
                Some(&troche_stock(1000.0)),
                None,
                ts(NOW)
            ),
            Err(DoseError::Resolve(_))
        ));
        assert!(matches!(
            prepare_dose(input("2 g", NOW), None, None, ts(NOW)),
            Err(DoseError::Implausible { .. })
        ));
        assert!(matches!(
            prepare_dose(input("2 sprays", NOW), None, None, ts(NOW)),
            Err(DoseError::NeedsStock(_))
        ));
        assert!(matches!(
            prepare_dose(input("10 mg", "2026-11-28T12:10:00Z"), None, None, ts(NOW)),
            Err(DoseError::InFuture(_))
        ));
        // Four minutes ahead is fine (clock skew).
        assert!(prepare_dose(input("10 mg", "2026-11-28T12:04:00Z"), None, None, ts(NOW)).is_ok());
        let mut retired = troche_stock(10.0);
        retired.retired_at = Some(ts(NOW));
        assert!(matches!(
            prepare_dose(input("1 troche", NOW), Some(&retired), None, ts(NOW)),
            Err(DoseError::StockRetired(_))
        ));
        let mut long = input("10 mg", NOW);
        long.note = Some("x".repeat(20_000));
        assert!(matches!(
            prepare_dose(long, None, None, ts(NOW)),
            Err(DoseError::Text(_))
        ));
    }

    #[test]
    fn stockless_base_dose() {
        let mut i = input("10 mg", NOW);
        i.salt = Some(Salt::Base);
        i.route = Some(Route::Intranasal);
        let d = prepare_dose(i, None, None, ts(NOW)).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(d.dose_mg_base, 10.0);
        assert!((d.dose_mg_hcl() - 11.535).abs() < 1e-9);
        assert!((d.bioavailable_mg_min.unwrap_or(0.0) - 1.1).abs() < 1e-9);
        // 11-45 %: the highest intranasal estimate (Yanagihara 2003), not an unsourced 50 %.
        assert!((d.bioavailable_mg_max.unwrap_or(0.0) - 4.5).abs() < 1e-9);
        assert_eq!(d.mg_per_kg, None);
    }
}

#[cfg(test)]
mod total_tests {
    use super::*;

    fn stored(base: f64, salt: Salt) -> Dose {
        let mut d = NewDose::nominal(
            crate::testing::ts("2026-11-28T08:00:00Z"),
            "Europe/Berlin",
            crate::route::Substance::Ketamine,
            crate::route::Route::Sublingual,
            None,
        );
        d.dose_mg_base = base;
        d.salt = salt;
        Dose {
            id: 1,
            dose: d,
            created_at: crate::testing::ts("2026-11-28T08:00:00Z"),
            updated_at: None,
            deleted_at: None,
        }
    }

    /// A total is said the way the doses were labelled: HCl first when all were HCl, so it sits
    /// beside "18.75 mg HCl" in the same unit; base first when any was labelled base.
    #[test]
    fn a_total_is_in_the_labels_unit_with_the_other_in_brackets() {
        let hcl = [stored(16.25, Salt::Hcl), stored(16.25, Salt::Hcl)];
        assert_eq!(total_text(&hcl), "37.49 mg HCl (32.5 mg base)");
        let mixed = [stored(16.25, Salt::Hcl), stored(10.0, Salt::Base)];
        assert_eq!(total_text(&mixed), "26.25 mg base (30.28 mg HCl)");
    }
}
