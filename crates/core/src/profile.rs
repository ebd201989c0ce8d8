//! The person's profile: display name, home time zone, body weight (for mg/kg), the health
//! screen's answers (each dated, so a clinician's clearance covers only what existed when it
//! was given), and a crisis line and clinician's number the person chose.

use crate::screen::ScreenAnswer;
use crate::units::Kilograms;
use jiff::Timestamp;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Profile {
    pub name: Option<String>,
    /// IANA zone used for local days unless a command is given another.
    pub zone: String,
    pub weight_kg: Option<Kilograms>,
    /// The contraindication screen questions answered yes (`data/screen.json`), each with
    /// when it was first answered yes. Older journals stored bare codes; they read as answers
    /// of unknown date (see [`Profile::date_screen`]).
    #[serde(default)]
    pub screen: Vec<ScreenAnswer>,
    /// When the whole screen was last answered; it falls due again after
    /// [`crate::screen::RECHECK_DAYS`].
    #[serde(default)]
    pub screened_at: Option<Timestamp>,
    /// A crisis line the person set (a number or a name), shown first in crisis guidance.
    #[serde(default)]
    pub crisis_line: Option<String>,
    /// How to reach the person's clinician (a name and a number, as they wrote it), shown in
    /// crisis guidance beside the crisis line.
    #[serde(default)]
    pub clinician: Option<String>,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
}

impl Profile {
    /// Codes answered yes.
    pub fn screen_codes(&self) -> Vec<&str> {
        self.screen.iter().map(|a| a.code.as_str()).collect()
    }

    /// Give answers of unknown date (from before answers were dated) the latest date they can
    /// have: the profile's last save. A clearance given before that no longer covers them,
    /// which errs towards showing the finding again.
    pub fn date_screen(&mut self) {
        let at = self.updated_at;
        for a in &mut self.screen {
            a.since.get_or_insert(at);
        }
    }
}
