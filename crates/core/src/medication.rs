//! The standing medication list and logged use of other substances (alcohol, cannabis, …),
//! which the safety engine checks against the interaction knowledge base.

use crate::text::{self, TextError};
use jiff::Timestamp;
use jiff::civil::Date;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NewMedication {
    pub name: String,
    /// As the person writes it ("50 mg at night").
    pub dose: Option<String>,
    pub since: Option<Date>,
    /// The prescriber of the ketamine knows about this medicine and has planned for it: a
    /// refusal for the combination becomes a warning (the finding is still shown).
    pub clinician_aware: bool,
    pub note: Option<String>,
    pub added_at: Timestamp,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Medication {
    pub id: i64,
    #[serde(flatten)]
    pub medication: NewMedication,
    pub removed_at: Option<Timestamp>,
}

impl NewMedication {
    pub fn validated(mut self) -> Result<Self, TextError> {
        self.name = text::label("medicine name", &self.name)?;
        self.dose = text::opt_label("dose", self.dose.as_deref())?;
        self.note = text::note(self.note.as_deref())?;
        Ok(self)
    }
}

/// One logged use of another substance.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NewSubstanceUse {
    pub at: Timestamp,
    pub zone: String,
    pub name: String,
    /// As typed ("2 drinks").
    pub amount: Option<String>,
    pub note: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SubstanceUse {
    pub id: i64,
    #[serde(flatten)]
    pub usage: NewSubstanceUse,
    pub created_at: Timestamp,
}

impl NewSubstanceUse {
    pub fn validated(mut self) -> Result<Self, TextError> {
        self.name = text::label("substance name", &self.name)?;
        self.amount = text::opt_label("amount", self.amount.as_deref())?;
        self.note = text::note(self.note.as_deref())?;
        self.at = crate::when::to_micros(self.at);
        Ok(self)
    }
}
