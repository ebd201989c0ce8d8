//! What the prescribing clinician set on the clinic server: limits (per dose, per day, per 7
//! days, the least time between doses), the dispensed supply and refill date, blood-pressure
//! thresholds, whether a reading is required before each dose, and the titration ceiling.
//! Pulled by `dosewise sync`, kept beside the journal with who set it and when, and enforced by
//! the safety check on every dose as the protocol's own limits are; the person cannot loosen it
//! (an override is still possible, with a reason, recorded and shared like any other).

use crate::protocol::Limits;
use crate::units::fmt_num;
use jiff::Timestamp;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Prescription {
    pub limits: Limits,
    /// No dose above this, whatever the titration ladder says.
    pub ceiling_mg: Option<f64>,
    /// A blood-pressure reading is needed before each dose.
    pub require_bp: bool,
    pub note: Option<String>,
    /// The clinician who set it, the clinic, and when.
    pub set_by: String,
    pub clinic: String,
    pub set_at: Timestamp,
}

/// The largest limit a prescription may state (mg): beyond it, a unit slip.
const MAX_MG: f64 = 2_000.0;

impl Prescription {
    /// The source every finding from it cites: "Prescription set by Dr K (North Clinic) on
    /// 2026-11-30".
    pub fn source(&self) -> String {
        format!(
            "Prescription set by {} ({}) on {}",
            self.set_by,
            self.clinic,
            self.set_at.strftime("%Y-%m-%d")
        )
    }

    /// Each part in words.
    pub fn describe(&self) -> Vec<String> {
        let mut v = self.limits.describe();
        if let Some(c) = self.ceiling_mg {
            v.push(format!("titration ceiling {} mg", fmt_num(c)));
        }
        if self.require_bp {
            v.push("a blood-pressure reading before each dose".into());
        }
        v
    }

    /// Every amount positive, finite and plausible; the thresholds in order.
    pub fn check(&self) -> Result<(), String> {
        let l = &self.limits;
        for (what, v) in [
            ("the per-dose limit", l.max_per_dose_mg),
            ("the daily limit", l.max_per_day_mg),
            ("the 7-day limit", l.max_per_7_days_mg),
            ("the ceiling", self.ceiling_mg),
        ] {
            if let Some(v) = v
                && !(v.is_finite() && v > 0.0 && v <= MAX_MG)
            {
                return Err(format!(
                    "{what} must be between 0 and {} mg; {v} is not",
                    fmt_num(MAX_MG)
                ));
            }
        }
        if let Some(h) = l.min_interval_hours
            && !(h.is_finite() && h > 0.0 && h <= 24.0 * 90.0)
        {
            return Err(format!(
                "the least time between doses must be up to 90 days; {h} h is not"
            ));
        }
        if let Some(s) = l.supply_dispensed
            && !(s.is_finite() && (0.0..=100_000.0).contains(&s))
        {
            return Err(format!("the dispensed supply {s} is not plausible"));
        }
        let (warn, refuse) = l.bp_tiers();
        crate::vitals::check_tiers(warn, refuse).map_err(|e| e.to_string())?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rx() -> Prescription {
        Prescription {
            limits: Limits {
                max_per_dose_mg: Some(20.0),
                min_interval_hours: Some(48.0),
                ..Limits::default()
            },
            ceiling_mg: Some(30.0),
            require_bp: true,
            note: None,
            set_by: "Dr K".into(),
            clinic: "North Clinic".into(),
            set_at: crate::testing::ts("2026-11-30T10:00:00Z"),
        }
    }

    #[test]
    fn it_names_its_author_and_refuses_absurd_amounts() {
        let r = rx();
        assert_eq!(
            r.source(),
            "Prescription set by Dr K (North Clinic) on 2026-11-30"
        );
        assert!(r.check().is_ok());
        assert!(r.describe().iter().any(|d| d.contains("ceiling 30 mg")));
        let mut bad = rx();
        bad.limits.max_per_dose_mg = Some(f64::NAN);
        assert!(bad.check().is_err());
        let mut bad = rx();
        bad.ceiling_mg = Some(25_000.0);
        assert!(bad.check().is_err());
        let mut bad = rx();
        bad.limits.min_interval_hours = Some(-1.0);
        assert!(bad.check().is_err());
    }
}
