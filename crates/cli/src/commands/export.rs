//! `dosewise export`: the whole journal as JSON (lossless, re-importable), CSV tables, or an
//! HL7 FHIR R4 Bundle for a clinician's system.

use crate::context::Ctx;
use crate::error::CliResult;
use dosewise_store::Store;
use std::path::{Path, PathBuf};

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    Json,
    Csv,
    /// An HL7 FHIR R4 Bundle: doses, protocols, PHQ-9/GAD-7, vital signs, check-in ratings.
    Fhir,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Table {
    Doses,
    Checkins,
    Stock,
}

impl From<Table> for dosewise_render::csv::Table {
    fn from(t: Table) -> Self {
        match t {
            Table::Doses => dosewise_render::csv::Table::Doses,
            Table::Checkins => dosewise_render::csv::Table::Checkins,
            Table::Stock => dosewise_render::csv::Table::Stock,
        }
    }
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
    /// With --deidentify: include your finished (revealed) blinded trials, for research if you
    /// choose to share them; their dates are shifted the same way, names and reasons removed.
    #[arg(long, requires = "deidentify")]
    with_trials: bool,
    /// For FHIR: include private check-ins (left out unless asked for).
    #[arg(long)]
    include_private: bool,
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

/// Write `contents` to `path` atomically with mode 0600: a temporary file beside it, then rename.
pub fn write_private(path: &Path, contents: &[u8], force: bool) -> CliResult {
    Ok(dosewise_app::files::write_private(path, contents, force)?)
}

impl Args {
    pub async fn run(self, ctx: &Ctx) -> CliResult {
        let store = ctx.open().await?;
        let mut j = store.export().await?;
        if self.deidentify {
            j = if self.with_trials {
                dosewise_core::deidentify::deidentify_with_trials(&j, random_day_offset())
            } else {
                dosewise_core::deidentify::deidentify(&j, random_day_offset())
            };
        }
        let text = match self.format {
            Format::Json => {
                let mut s = serde_json::to_string_pretty(&j).map_err(anyhow::Error::new)?;
                s.push('\n');
                s
            }
            Format::Csv => dosewise_render::csv::table(&j, self.table.into()),
            Format::Fhir => {
                let b = dosewise_core::fhir::bundle(&j, ctx.now, self.include_private);
                let mut s = serde_json::to_string_pretty(&b).map_err(anyhow::Error::new)?;
                s.push('\n');
                s
            }
        };
        if self.include_private && self.format != Format::Fhir {
            return Err(crate::error::input(
                "--include-private is for --format fhir; the JSON export always holds everything",
            ));
        }
        match &self.out {
            Some(path) => {
                let bytes = if self.encrypt {
                    let sealing_key;
                    let sealing = match &self.recipient {
                        Some(r) => dosewise_app::backup::Sealing::Recipient(r),
                        None => {
                            sealing_key = crate::secrets::new_key(
                                self.encrypt_passphrase_file.as_deref(),
                                "the export",
                            )?;
                            dosewise_app::backup::Sealing::Passphrase(&sealing_key)
                        }
                    };
                    dosewise_app::backup::seal(text.as_bytes(), sealing)?
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
