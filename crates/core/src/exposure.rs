//! Estimated systemic exposure: how much of a dose reaches the bloodstream by a given route,
//! and what dose by another route would give a similar exposure.
//!
//! These are population estimates from small studies (`data/substances.json`); individual
//! response varies far more than the ranges suggest. Every result carries its sources (with
//! each study's size and dose) and the caveat, so no surface can show the number without them.
//! Where the sources disagree by more than 2×, there is no "typical" figure at all: one number
//! resting on the smallest study would look more certain than the evidence is.

use crate::knowledge::{Confidence, Estimate, RouteFacts, route_facts};
use crate::route::{Route, Substance};
use crate::units::Milligrams;
use serde::Serialize;

/// The caveat shown with every exposure estimate.
pub(crate) const CAVEAT: &str = "Estimates from small studies of average absorption; your own absorption \
can differ a lot (technique, swallowing, device, dose size). This is not a dosing instruction: \
discuss any change of route or dose with your clinician.";

/// Estimated bioavailable milligrams (ketamine base) of one dose.
#[derive(Debug, Clone, Serialize)]
pub struct Exposure {
    pub route: Route,
    pub bioavailability_pct_min: f64,
    /// `None` where the sources disagree by more than 2× (a rule on the data file, checked by its test).
    pub bioavailability_pct_typical: Option<f64>,
    pub bioavailability_pct_max: f64,
    pub bioavailable_mg_min: f64,
    pub bioavailable_mg_typical: Option<f64>,
    pub bioavailable_mg_max: f64,
    /// Set when the figures are borrowed from another route, with the reason.
    pub note: Option<String>,
    /// How the absorbed fraction depends on the dose, where measured.
    pub dose_dependence: Option<String>,
    /// What becomes of the dose (norketamine), where it matters.
    pub metabolite: Option<String>,
    pub sources: Vec<SourceRef>,
}

#[derive(Debug, Clone, Serialize)]
pub struct SourceRef {
    pub value_pct: f64,
    pub source: String,
    pub confidence: Confidence,
    /// What the figure rests on: "n=3, 25 mg nasal spray" (empty when the source does not say).
    pub study: String,
}

fn sources(facts: &RouteFacts) -> Vec<SourceRef> {
    facts
        .estimates
        .iter()
        .map(|e: &Estimate| SourceRef {
            value_pct: e.value,
            source: e.source.clone(),
            confidence: e.confidence,
            study: e.study(),
        })
        .collect()
}

fn note(facts: &RouteFacts) -> Option<String> {
    match (facts.same_as, &facts.note) {
        (Some(other), Some(n)) => Some(format!("uses the {other} figures: {n}")),
        (Some(other), None) => Some(format!("uses the {other} figures")),
        (None, n) => n.clone(),
    }
}

/// Estimated exposure of `base_mg` of ketamine base by `route`; `None` when no figure exists.
pub fn exposure(substance: Substance, route: Route, base_mg: Milligrams) -> Option<Exposure> {
    let f = route_facts(substance, route)?;
    let b = f.bioavailability_pct;
    let mg = base_mg.value();
    Some(Exposure {
        route,
        bioavailability_pct_min: b.min,
        bioavailability_pct_typical: b.typical,
        bioavailability_pct_max: b.max,
        bioavailable_mg_min: mg * b.min / 100.0,
        bioavailable_mg_typical: b.typical.map(|t| mg * t / 100.0),
        bioavailable_mg_max: mg * b.max / 100.0,
        note: note(f),
        dose_dependence: f.dose_dependence.clone(),
        metabolite: f.metabolite.clone(),
        sources: sources(f),
    })
}

/// A dose by one route and the range of doses by another that give a similar estimated exposure.
#[derive(Debug, Clone, Serialize)]
pub struct Equivalent {
    pub substance: Substance,
    pub dose_mg: f64,
    pub from: Exposure,
    pub to: Exposure,
    /// Lowest estimate: least absorbed by the first route, best absorbed by the second.
    pub equivalent_mg_min: f64,
    /// Only where both routes have a typical figure (their sources agree within 2×).
    pub equivalent_mg_typical: Option<f64>,
    pub equivalent_mg_max: f64,
    /// Why there is no single typical figure, when there is none.
    pub no_typical_reason: Option<String>,
    pub caveat: &'static str,
}

/// Why a conversion cannot be given.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ConvertError {
    #[error(
        "Dosewise does not convert to or from injected doses ({route}): injections are given by a clinician, and a home dose is never worked out from one. Convert between oral, sublingual, buccal and intranasal."
    )]
    Injectable { route: Route },
    #[error(
        "Dosewise converts only between the routes used at home: oral, sublingual, buccal and intranasal ({route} is not one of them)."
    )]
    NotHome { route: Route },
    #[error("no bioavailability figure for {substance} by the {route} route in the knowledge base")]
    NoData { substance: Substance, route: Route },
}

fn home(route: Route) -> Result<(), ConvertError> {
    if route.is_injectable() {
        Err(ConvertError::Injectable { route })
    } else if !Route::HOME.contains(&route) {
        Err(ConvertError::NotHome { route })
    } else {
        Ok(())
    }
}

/// The dose by `to` giving roughly the exposure of `dose` by `from`, as a range.
///
/// The amount is in the same salt form as given; bioavailability is a fraction, so the form
/// does not change the ratio. Only the home routes convert ([`Route::HOME`]).
pub fn equivalent(
    substance: Substance,
    dose: Milligrams,
    from: Route,
    to: Route,
) -> Result<Equivalent, ConvertError> {
    home(from)?;
    home(to)?;
    let from_x = exposure(substance, from, dose).ok_or(ConvertError::NoData {
        substance,
        route: from,
    })?;
    let to_x = exposure(substance, to, dose).ok_or(ConvertError::NoData {
        substance,
        route: to,
    })?;
    let mg = dose.value();
    let typical = match (
        from_x.bioavailability_pct_typical,
        to_x.bioavailability_pct_typical,
    ) {
        (Some(a), Some(b)) => Some(mg * a / b),
        _ => None,
    };
    let no_typical_reason = typical.is_none().then(|| {
        let which: Vec<&str> = [&from_x, &to_x]
            .iter()
            .filter(|x| x.bioavailability_pct_typical.is_none())
            .map(|x| x.route.as_str())
            .collect();
        format!(
            "No single typical figure: the studies of the {} route disagree by more than 2×, so only the range and each study are shown.",
            which.join(" and ")
        )
    });
    Ok(Equivalent {
        substance,
        dose_mg: mg,
        equivalent_mg_min: mg * from_x.bioavailability_pct_min / to_x.bioavailability_pct_max,
        equivalent_mg_typical: typical,
        equivalent_mg_max: mg * from_x.bioavailability_pct_max / to_x.bioavailability_pct_min,
        no_typical_reason,
        from: from_x,
        to: to_x,
        caveat: CAVEAT,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::mg;

    #[test]
    fn sublingual_exposure_of_a_troche() {
        let x =
            exposure(Substance::Ketamine, Route::Sublingual, mg(50.0)).unwrap_or_else(|| panic!());
        assert!((x.bioavailable_mg_min - 12.0).abs() < 1e-9);
        assert_eq!(x.bioavailable_mg_typical, Some(15.0));
        assert!((x.bioavailable_mg_max - 16.0).abs() < 1e-9);
        assert!(!x.sources.is_empty());
        assert!(
            x.metabolite
                .as_deref()
                .unwrap_or("")
                .contains("norketamine")
        );
    }

    #[test]
    fn buccal_says_it_borrows_sublingual() {
        let x = exposure(Substance::Ketamine, Route::Buccal, mg(10.0)).unwrap_or_else(|| panic!());
        assert!(x.note.as_deref().unwrap_or("").contains("sublingual"));
        assert_eq!(x.bioavailability_pct_typical, Some(30.0));
    }

    #[test]
    fn intranasal_to_sublingual_is_a_range_without_a_typical_figure() {
        // 10 mg intranasal (11–45 %) ≈ 10×0.11/0.32 … 10×0.45/0.24 mg sublingual. The old
        // "typical 15 mg" rested on one study of 3 people; the dose-ranging study at 10 mg
        // (17 %) gives about 5–7 mg. Both ends are shown with every study instead.
        let e = equivalent(
            Substance::Ketamine,
            mg(10.0),
            Route::Intranasal,
            Route::Sublingual,
        )
        .unwrap_or_else(|e| panic!("{e}"));
        assert!((e.equivalent_mg_min - 10.0 * 11.0 / 32.0).abs() < 1e-9);
        assert!((e.equivalent_mg_max - 10.0 * 45.0 / 24.0).abs() < 1e-9);
        assert_eq!(e.equivalent_mg_typical, None);
        assert!(
            e.no_typical_reason
                .as_deref()
                .unwrap_or("")
                .contains("intranasal route disagree")
        );
        assert!(e.from.dose_dependence.is_some());
        assert!(
            e.from
                .sources
                .iter()
                .any(|s| s.study == "n=3, 25 mg nasal spray")
        );
        // Agreeing routes keep a typical figure: sublingual ↔ oral (24–32 % vs 15–24 %).
        let e = equivalent(
            Substance::Ketamine,
            mg(10.0),
            Route::Sublingual,
            Route::Oral,
        )
        .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(e.equivalent_mg_typical, Some(15.0));
        assert!(e.no_typical_reason.is_none());
    }

    #[test]
    fn same_route_typical_is_identity() {
        let e = equivalent(Substance::Ketamine, mg(20.0), Route::Oral, Route::Oral)
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(e.equivalent_mg_typical, Some(20.0));
    }

    #[test]
    fn only_home_routes_convert() {
        for r in Route::ALL {
            let both = [
                equivalent(Substance::Ketamine, mg(10.0), r, Route::Sublingual),
                equivalent(Substance::Ketamine, mg(10.0), Route::Sublingual, r),
            ];
            for got in both {
                match r {
                    Route::Intravenous | Route::Intramuscular => {
                        let msg = got.err().map(|e| e.to_string()).unwrap_or_default();
                        assert!(
                            msg.contains("does not convert to or from injected"),
                            "{r}: {msg}"
                        );
                    }
                    Route::Rectal => {
                        assert!(matches!(got, Err(ConvertError::NotHome { .. })), "{r}")
                    }
                    _ => assert!(got.is_ok(), "{r}"),
                }
            }
        }
    }

    #[test]
    fn missing_data_is_an_error_not_a_guess() {
        assert!(
            equivalent(
                Substance::Esketamine,
                mg(28.0),
                Route::Intranasal,
                Route::Oral
            )
            .is_err()
        );
    }
}
