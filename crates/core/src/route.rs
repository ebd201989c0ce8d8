//! Substances and routes of administration.

use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

/// How a dose enters the body.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Route {
    /// Held under the tongue (troche, lozenge, rapid-dissolve tablet, solution).
    Sublingual,
    /// Held between cheek and gum.
    Buccal,
    /// Swallowed.
    Oral,
    /// Nasal spray.
    Intranasal,
    Intramuscular,
    Intravenous,
    Rectal,
}

impl Route {
    pub const ALL: [Route; 7] = [
        Route::Sublingual,
        Route::Buccal,
        Route::Oral,
        Route::Intranasal,
        Route::Intramuscular,
        Route::Intravenous,
        Route::Rectal,
    ];

    /// The routes people use at home, and the only ones `calc convert` converts between.
    pub const HOME: [Route; 4] = [
        Route::Oral,
        Route::Sublingual,
        Route::Buccal,
        Route::Intranasal,
    ];

    /// Given by injection: Dosewise never converts a dose to or from these.
    pub fn is_injectable(self) -> bool {
        matches!(self, Route::Intravenous | Route::Intramuscular)
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Route::Sublingual => "sublingual",
            Route::Buccal => "buccal",
            Route::Oral => "oral",
            Route::Intranasal => "intranasal",
            Route::Intramuscular => "intramuscular",
            Route::Intravenous => "intravenous",
            Route::Rectal => "rectal",
        }
    }
}

impl fmt::Display for Route {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Route {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Ok(
            match s
                .trim()
                .to_ascii_lowercase()
                .replace(['-', '_', ' '], "")
                .as_str()
            {
                "sublingual" | "sl" | "troche" | "lozenge" => Route::Sublingual,
                "buccal" => Route::Buccal,
                "oral" | "po" | "swallowed" => Route::Oral,
                "intranasal" | "nasal" | "in" | "insufflated" => Route::Intranasal,
                "intramuscular" | "im" => Route::Intramuscular,
                "intravenous" | "iv" => Route::Intravenous,
                "rectal" | "pr" => Route::Rectal,
                _ => {
                    return Err(format!(
                        "unknown route {s:?}: use one of sublingual, buccal, oral, intranasal, intramuscular, intravenous, rectal"
                    ));
                }
            },
        )
    }
}

/// Which molecule a preparation holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Substance {
    /// Racemic ketamine (R and S), the usual compounded troche, spray or solution.
    Ketamine,
    /// Esketamine (S-ketamine), e.g. the Spravato nasal device.
    Esketamine,
}

impl Substance {
    pub fn as_str(self) -> &'static str {
        match self {
            Substance::Ketamine => "ketamine",
            Substance::Esketamine => "esketamine",
        }
    }
}

impl fmt::Display for Substance {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Substance {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim().to_ascii_lowercase().as_str() {
            "ketamine" | "racemic" | "racemic-ketamine" => Ok(Substance::Ketamine),
            "esketamine" | "s-ketamine" | "spravato" => Ok(Substance::Esketamine),
            _ => Err(format!(
                "unknown substance {s:?}: use \"ketamine\" (racemic) or \"esketamine\""
            )),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn route_names_round_trip() {
        for r in Route::ALL {
            assert_eq!(r.as_str().parse::<Route>(), Ok(r));
        }
        assert_eq!("SL".parse::<Route>(), Ok(Route::Sublingual));
        assert_eq!("nasal".parse::<Route>(), Ok(Route::Intranasal));
        assert!("smoked".parse::<Route>().is_err());
    }
}
