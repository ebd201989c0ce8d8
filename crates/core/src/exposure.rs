//! Estimated systemic exposure: how much of a dose reaches the bloodstream by a given route,
//! and what dose by another route would give a similar exposure.
//!
//! These are population estimates from small studies (`data/substances.json`); individual
//! response varies far more than the ranges suggest. Every result carries its sources and the
//! caveat, so no surface can show the number without them.

use crate::knowledge::{Estimate, RouteFacts, route_facts};
use crate::route::{Route, Substance};
use crate::units::Milligrams;
use serde::Serialize;

/// The caveat shown with every exposure estimate.
pub const CAVEAT: &str = "Estimates from small studies of average absorption; your own absorption \
can differ a lot (technique, swallowing, device, dose size). This is not a dosing instruction: \
discuss any change with your clinician.";

/// Estimated bioavailable milligrams (ketamine base) of one dose.
#[derive(Debug, Clone, Serialize)]
pub struct Exposure {
    pub route: Route,
    pub bioavailability_pct_min: f64,
    pub bioavailability_pct_typical: f64,
    pub bioavailability_pct_max: f64,
    pub bioavailable_mg_min: f64,
    pub bioavailable_mg_typical: f64,
    pub bioavailable_mg_max: f64,
    /// Set when the figures are borrowed from another route, with the reason.
    pub note: Option<String>,
    pub sources: Vec<SourceRef>,
}

#[derive(Debug, Clone, Serialize)]
pub struct SourceRef {
    pub value_pct: f64,
    pub source: String,
    pub confidence: crate::knowledge::Confidence,
}

fn sources(facts: &RouteFacts) -> Vec<SourceRef> {
    facts
        .estimates
        .iter()
        .map(|e: &Estimate| SourceRef {
            value_pct: e.value,
            source: e.source.clone(),
            confidence: e.confidence,
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
        bioavailable_mg_typical: mg * b.typical / 100.0,
        bioavailable_mg_max: mg * b.max / 100.0,
        note: note(f),
        sources: sources(f),
    })
}

/// A dose by one route and the range of doses by another that give a similar estimated exposure.
#[derive(Debug, Clone, Serialize)]
pub struct Equivalent {
    pub substance: Substance,
    pub dose_mg: f64,
    pub from: Exposure,
    pub to_route: Route,
    pub to_bioavailability_pct_min: f64,
    pub to_bioavailability_pct_typical: f64,
    pub to_bioavailability_pct_max: f64,
    /// Lowest estimate: least absorbed by the first route, best absorbed by the second.
    pub equivalent_mg_min: f64,
    pub equivalent_mg_typical: f64,
    pub equivalent_mg_max: f64,
    pub to_note: Option<String>,
    pub to_sources: Vec<SourceRef>,
    pub caveat: &'static str,
}

/// Why a conversion cannot be given.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ConvertError {
    #[error("no bioavailability figure for {substance} by the {route} route in the knowledge base")]
    NoData { substance: Substance, route: Route },
}

/// The dose by `to` giving roughly the exposure of `dose` by `from`, as a range.
///
/// The amount is in the same salt form as given; bioavailability is a fraction, so the form
/// does not change the ratio.
pub fn equivalent(
    substance: Substance,
    dose: Milligrams,
    from: Route,
    to: Route,
) -> Result<Equivalent, ConvertError> {
    let from_x = exposure(substance, from, dose).ok_or(ConvertError::NoData {
        substance,
        route: from,
    })?;
    let to_f = route_facts(substance, to).ok_or(ConvertError::NoData {
        substance,
        route: to,
    })?;
    let tb = to_f.bioavailability_pct;
    let mg = dose.value();
    Ok(Equivalent {
        substance,
        dose_mg: mg,
        to_route: to,
        to_bioavailability_pct_min: tb.min,
        to_bioavailability_pct_typical: tb.typical,
        to_bioavailability_pct_max: tb.max,
        equivalent_mg_min: mg * from_x.bioavailability_pct_min / tb.max,
        equivalent_mg_typical: mg * from_x.bioavailability_pct_typical / tb.typical,
        equivalent_mg_max: mg * from_x.bioavailability_pct_max / tb.min,
        from: from_x,
        to_note: note(to_f),
        to_sources: sources(to_f),
        caveat: CAVEAT,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn mg(v: f64) -> Milligrams {
        Milligrams::positive(v).unwrap_or_else(|e| panic!("{e}"))
    }

    #[test]
    fn sublingual_exposure_of_a_troche() {
        let x =
            exposure(Substance::Ketamine, Route::Sublingual, mg(50.0)).unwrap_or_else(|| panic!());
        assert!((x.bioavailable_mg_min - 12.0).abs() < 1e-9);
        assert!((x.bioavailable_mg_typical - 15.0).abs() < 1e-9);
        assert!((x.bioavailable_mg_max - 16.0).abs() < 1e-9);
        assert!(!x.sources.is_empty());
    }

    #[test]
    fn buccal_says_it_borrows_sublingual() {
        let x = exposure(Substance::Ketamine, Route::Buccal, mg(10.0)).unwrap_or_else(|| panic!());
        assert!(x.note.as_deref().unwrap_or("").contains("sublingual"));
    }

    #[test]
    fn intranasal_to_sublingual_range() {
        // 10 mg intranasal (11–50 %) ≈ 10×0.11/0.32 … 10×0.50/0.24 mg sublingual.
        let e = equivalent(
            Substance::Ketamine,
            mg(10.0),
            Route::Intranasal,
            Route::Sublingual,
        )
        .unwrap_or_else(|e| panic!("{e}"));
        assert!((e.equivalent_mg_min - 10.0 * 11.0 / 32.0).abs() < 1e-9);
        assert!((e.equivalent_mg_max - 10.0 * 50.0 / 24.0).abs() < 1e-9);
        assert!((e.equivalent_mg_typical - 15.0).abs() < 1e-9);
        assert!(
            e.equivalent_mg_min <= e.equivalent_mg_typical
                && e.equivalent_mg_typical <= e.equivalent_mg_max
        );
    }

    #[test]
    fn same_route_typical_is_identity() {
        let e = equivalent(Substance::Ketamine, mg(20.0), Route::Oral, Route::Oral)
            .unwrap_or_else(|e| panic!("{e}"));
        assert!((e.equivalent_mg_typical - 20.0).abs() < 1e-9);
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
