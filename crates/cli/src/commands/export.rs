//! `dosewise export`: the whole journal as JSON (lossless, re-importable) or CSV tables.

use crate::context::Ctx;
use crate::error::CliResult;
use dosewise_core::journal::{Journal, csv};
use dosewise_store::Store;
use std::path::{Path, PathBuf};

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    Json,
    Csv,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Table {
    Doses,
    Checkins,
    Stock,
}

#[derive(Debug, clap::Args)]
pub struct Args {
    #[arg(long, default_value = "json")]
    format: Format,
    /// Write to this file (created with owner-only permissions) instead of stdout.
    #[arg(long)]
    out: Option<PathBuf>,
    /// Replace --out if it exists.
    #[arg(long)]
    force: bool,
    /// For CSV: which table.
    #[arg(long, default_value = "doses")]
    table: Table,
    /// Encrypt the export (age format) with a passphrase, or to --recipient. Needs --out.
    #[arg(long, requires = "out")]
    encrypt: bool,
    /// With --encrypt: file holding the passphrase (otherwise you are asked twice).
    #[arg(
        long,
        value_name = "FILE",
        requires = "encrypt",
        conflicts_with = "recipient"
    )]
    encrypt_passphrase_file: Option<PathBuf>,
    /// With --encrypt: an age public key (age1…) to encrypt to.
    #[arg(long, value_name = "AGE_PUBLIC_KEY", requires = "encrypt")]
    recipient: Option<String>,
    /// Remove names and free text, shift all dates by one random offset, renumber ids
    /// (see docs/privacy.md for what this does and does not protect).
    #[arg(long)]
    deidentify: bool,
}

/// A random whole-day offset of 180 to 730 days, either direction, from the OS's randomness
/// (the standard library seeds `RandomState` from it).
fn random_day_offset() -> i64 {
    use std::hash::{BuildHasher, Hasher};
    let mut h = std::collections::hash_map::RandomState::new().build_hasher();
    h.write_u64(std::process::id().into());
    let r = h.finish();
    let days = 180 + (r % 551) as i64;
    if r & (1 << 40) == 0 { days } else { -days }
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

pub fn csv_table(j: &Journal, table: Table) -> String {
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

/// Write `contents` to `path` atomically with mode 0600: a temporary file beside it, then rename.
pub fn write_private(path: &Path, contents: &[u8], force: bool) -> CliResult {
    Ok(dosewise_app::files::write_private(path, contents, force)?)
}

impl Args {
    pub async fn run(self, ctx: &Ctx) -> CliResult {
        let store = ctx.open().await?;
        let mut j = store.export().await?;
        if self.deidentify {
            j = dosewise_core::deidentify::deidentify(&j, random_day_offset());
        }
        let text = match self.format {
            Format::Json => {
                let mut s = serde_json::to_string_pretty(&j).map_err(anyhow::Error::new)?;
                s.push('\n');
                s
            }
            Format::Csv => csv_table(&j, self.table),
        };
        match &self.out {
            Some(path) => {
                let bytes = if self.encrypt {
                    let sealing_key;
                    let sealing = match &self.recipient {
                        Some(r) => super::backup::Sealing::Recipient(r),
                        None => {
                            sealing_key = crate::secrets::new_key(
                                self.encrypt_passphrase_file.as_deref(),
                                "the export",
                            )?;
                            super::backup::Sealing::Passphrase(&sealing_key)
                        }
                    };
                    super::backup::seal(text.as_bytes(), sealing)?
                } else {
                    text.as_bytes().to_vec()
                };
                write_private(path, &bytes, self.force)?;
                let what = match (self.encrypt, self.deidentify) {
                    (true, _) => "Encrypted and integrity-protected (age format).",
                    (false, true) => "De-identified, but not encrypted.",
                    (false, false) => {
                        "The file is not encrypted: it holds your full journal, so store it as carefully as the journal itself (or use --encrypt)."
                    }
                };
                eprintln!(
                    "Wrote {} ({} doses, {} check-ins). {what}",
                    path.display(),
                    j.doses.len(),
                    j.checkins.len()
                );
                if ctx.json {
                    crate::output::json(
                        &serde_json::json!({ "out": path, "doses": j.doses.len(), "checkins": j.checkins.len(), "encrypted": self.encrypt, "deidentified": self.deidentify }),
                    )?;
                }
            }
            None => {
                crate::output::write_raw(text.as_bytes());
            }
        }
        Ok(())
    }
}
