//! The person's profile: display name, home time zone, body weight (for mg/kg).

use crate::units::Kilograms;
use jiff::Timestamp;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Profile {
    pub name: Option<String>,
    /// IANA zone used for local days unless a command is given another.
    pub zone: String,
    pub weight_kg: Option<Kilograms>,
    /// Codes of the contraindication screen questions answered yes (`data/screen.json`).
    #[serde(default)]
    pub screen: Vec<String>,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
}
