//! What counts as an implausible amount, judged in one place. An amount beyond these bounds is
//! far more likely a unit or typing slip ("10 g" for 10 mg, mL for sprays) than a decision:
//!
//! - absolute bounds, refused as input errors wherever an amount enters (a dose, a troche's
//!   strength, a protocol's dose and limits, an imported record): [`single_dose`],
//!   [`limit_mg`] and the counts per dose of [`max_count`];
//! - a relative bound the safety check applies to a dose about to be taken: more than
//!   [`FACTOR`] times the person's usual or planned dose ([`far_above`]) is refused unless
//!   confirmed with a reason (`unit_plausibility`, a Dosewise design choice in
//!   `data/rules.json`).

use crate::dose_expr::CountUnit;

/// Largest single dose accepted, in mg as labelled. Well above the highest at-home session
/// doses in the reference (300–450 mg sublingual; `data/substances.json` sources), so an entry
/// above it is far more likely a unit slip than a real dose (`data/rules.json`
/// `max_single_dose`).
pub const MAX_DOSE_MG: f64 = 1000.0;
/// Largest counts per single dose.
pub(crate) const MAX_TROCHES_PER_DOSE: f64 = 8.0;
pub(crate) const MAX_SPRAYS_PER_DOSE: f64 = 20.0;
pub(crate) const MAX_DROPS_PER_DOSE: f64 = 200.0;
pub(crate) const MAX_ML_PER_DOSE: f64 = 50.0;
/// A dose more than this many times the median of the person's last doses, or of the
/// protocol dose, is refused as a likely unit mistake unless confirmed.
pub(crate) const FACTOR: f64 = 3.0;

/// Whether `mg` (as labelled) can be one dose: a number above 0 and at most [`MAX_DOSE_MG`].
pub(crate) fn single_dose(mg: f64) -> bool {
    mg.is_finite() && mg > 0.0 && mg <= MAX_DOSE_MG
}

/// Whether `mg` can be a limit over a day or a week: a number above 0 and at most seven of
/// the largest doses.
pub fn limit_mg(mg: f64) -> bool {
    mg.is_finite() && mg > 0.0 && mg <= 7.0 * MAX_DOSE_MG
}

/// The most of a counted unit one dose can take.
pub(crate) fn max_count(unit: CountUnit) -> f64 {
    match unit {
        CountUnit::Troche => MAX_TROCHES_PER_DOSE,
        CountUnit::Spray => MAX_SPRAYS_PER_DOSE,
        CountUnit::Drop => MAX_DROPS_PER_DOSE,
    }
}

/// Whether `mg` is more than [`FACTOR`] times `usual`.
pub(crate) fn far_above(mg: f64, usual: f64) -> bool {
    mg > FACTOR * usual
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bounds_at_their_edges() {
        assert!(single_dose(1000.0) && !single_dose(1000.5));
        assert!(!single_dose(0.0) && !single_dose(-1.0) && !single_dose(f64::NAN));
        assert!(!single_dose(f64::INFINITY));
        assert!(limit_mg(7000.0) && !limit_mg(7000.5) && !limit_mg(0.0));
        assert!(!far_above(37.5, 12.5) && far_above(38.0, 12.5));
        assert_eq!(max_count(CountUnit::Troche), 8.0);
        assert_eq!(max_count(CountUnit::Spray), 20.0);
        assert_eq!(max_count(CountUnit::Drop), 200.0);
    }
}
