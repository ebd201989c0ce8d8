//! The journal's tables as CSV for spreadsheets: every value at full precision, local and UTC
//! times side by side, cells that a spreadsheet would run as a formula made inert
//! (`dosewise_core::journal::csv`).

use dosewise_core::journal::{Journal, csv};

/// Which table.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Table {
    Doses,
    Checkins,
    Stock,
}

impl Table {
    pub fn as_str(self) -> &'static str {
        match self {
            Table::Doses => "doses",
            Table::Checkins => "checkins",
            Table::Stock => "stock",
        }
    }
}

fn local_text(ts: dosewise_core::jiff::Timestamp, zone: &str) -> String {
    match dosewise_core::when::zone(zone) {
        Ok(tz) => ts
            .to_zoned_datetime(tz)
            .strftime("%Y-%m-%d %H:%M:%S")
            .to_string(),
        Err(_) => String::new(),
    }
}

fn opt(v: Option<f64>) -> String {
    v.map(fmt_full).unwrap_or_default()
}

/// Full precision for CSV (no display rounding).
fn fmt_full(v: f64) -> String {
    format!("{v}")
}

/// One table of the journal as CSV.
pub fn table(j: &Journal, table: Table) -> String {
    match table {
        Table::Doses => csv(
            &[
                "id",
                "local_time",
                "utc_time",
                "zone",
                "entered",
                "dose_mg",
                "salt",
                "dose_mg_base",
                "dose_mg_hcl",
                "route",
                "substance",
                "stock_id",
                "bioavailable_mg_min",
                "bioavailable_mg_max",
                "mg_per_kg",
                "supply_used",
                "deleted",
                "note",
            ],
            j.doses.iter().map(|d| {
                let x = &d.dose;
                vec![
                    d.id.to_string(),
                    local_text(x.at, &x.zone),
                    x.at.to_string(),
                    x.zone.clone(),
                    x.entered.clone(),
                    fmt_full(x.dose_mg),
                    x.salt.as_str().into(),
                    fmt_full(x.dose_mg_base),
                    fmt_full(x.dose_mg_hcl()),
                    x.route.as_str().into(),
                    x.substance.as_str().into(),
                    x.stock_id.map(|s| s.to_string()).unwrap_or_default(),
                    opt(x.bioavailable_mg_min),
                    opt(x.bioavailable_mg_max),
                    opt(x.mg_per_kg),
                    opt(x.supply_used),
                    d.deleted_at.is_some().to_string(),
                    x.note.clone().unwrap_or_default(),
                ]
            }),
        ),
        Table::Checkins => csv(
            &[
                "id",
                "local_time",
                "utc_time",
                "zone",
                "mood",
                "anxiety",
                "energy",
                "focus",
                "sleep",
                "irritability",
                "craving",
                "side_effects",
                "urinary",
                "tags",
                "private",
                "deleted",
                "note",
            ],
            j.checkins.iter().map(|c| {
                let x = &c.checkin;
                let r = |v: Option<dosewise_core::checkin::Rating>| {
                    v.map(|v| v.to_string()).unwrap_or_default()
                };
                vec![
                    c.id.to_string(),
                    local_text(x.at, &x.zone),
                    x.at.to_string(),
                    x.zone.clone(),
                    r(x.ratings.mood),
                    r(x.ratings.anxiety),
                    r(x.ratings.energy),
                    r(x.ratings.focus),
                    r(x.ratings.sleep),
                    r(x.ratings.irritability),
                    r(x.craving),
                    x.side_effects
                        .iter()
                        .map(|s| {
                            s.severity
                                .map_or(s.name.clone(), |v| format!("{}={v}", s.name))
                        })
                        .collect::<Vec<_>>()
                        .join(";"),
                    x.urinary
                        .iter()
                        .map(|u| u.as_str())
                        .collect::<Vec<_>>()
                        .join(";"),
                    x.tags.join(";"),
                    x.private.to_string(),
                    c.deleted_at.is_some().to_string(),
                    x.note.clone().unwrap_or_default(),
                ]
            }),
        ),
        Table::Stock => csv(
            &[
                "id",
                "name",
                "form",
                "substance",
                "salt",
                "supply_unit",
                "dispensed",
                "remaining",
                "lot",
                "expiry",
                "opened",
                "retired",
                "note",
            ],
            j.stocks.iter().map(|s| {
                let x = &s.stock;
                vec![
                    s.id.to_string(),
                    x.name.clone(),
                    x.preparation.form_name().into(),
                    x.preparation.substance.as_str().into(),
                    x.preparation.salt.as_str().into(),
                    x.supply_unit.as_str().into(),
                    opt(x.dispensed),
                    fmt_full(x.remaining),
                    x.lot.clone().unwrap_or_default(),
                    x.expiry.map(|d| d.to_string()).unwrap_or_default(),
                    x.opened.map(|d| d.to_string()).unwrap_or_default(),
                    s.retired_at.is_some().to_string(),
                    x.note.clone().unwrap_or_default(),
                ]
            }),
        ),
    }
}
