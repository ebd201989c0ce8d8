//! `dosewise import`: add a JSON export's records to this journal, all or nothing.

use crate::context::Ctx;
use crate::error::{CliResult, input};
use crate::output;
use std::io::Read;
use std::path::PathBuf;

/// Larger files are refused rather than read into memory.
const MAX_IMPORT_BYTES: u64 = 512 * 1024 * 1024;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// A file written by `dosewise export --format json` (encrypted or not).
    file: PathBuf,
    /// For an encrypted export: file holding its passphrase (otherwise you are asked).
    #[arg(long, value_name = "FILE", conflicts_with = "identity")]
    encrypt_passphrase_file: Option<PathBuf>,
    /// For an export encrypted to a recipient: the age identity file.
    #[arg(long, value_name = "FILE")]
    identity: Option<PathBuf>,
}

impl Args {
    pub async fn run(self, ctx: &Ctx) -> CliResult {
        let f = std::fs::File::open(&self.file)
            .map_err(|e| input(format!("cannot read {}: {e}", self.file.display())))?;
        let size = f.metadata().map(|m| m.len()).unwrap_or(0);
        if size > MAX_IMPORT_BYTES {
            return Err(input(format!(
                "{} is {size} bytes, larger than any journal export; is it the right file?",
                self.file.display()
            )));
        }
        let mut bytes = Vec::with_capacity(usize::try_from(size).unwrap_or(0));
        f.take(MAX_IMPORT_BYTES + 1).read_to_end(&mut bytes)?;
        if dosewise_app::backup::is_sealed(&bytes) {
            use dosewise_app::backup::{Opening, open};
            bytes = match &self.identity {
                Some(id) => open(
                    &bytes,
                    Opening::Identity(&super::backup::read_identity(id)?),
                )?,
                None => {
                    let p = crate::secrets::current(
                        self.encrypt_passphrase_file.as_deref(),
                        "this export (age format)",
                    )?;
                    open(&bytes, Opening::Passphrase(&p))?
                }
            };
        }
        let journal =
            dosewise_app::transfer::parse_export(bytes, &self.file.display().to_string())?;
        let store = ctx.open_or_create().await?;
        let report = dosewise_app::transfer::import(&*store, &journal).await?;
        if ctx.json {
            return output::json(&report);
        }
        crate::outln!(
            "Imported {} doses, {} check-ins, {} stocks, {} stock ledger lines, {} corrections{}.",
            report.doses,
            report.checkins,
            report.stocks,
            report.stock_events,
            report.dose_revisions,
            if report.unchanged > 0 {
                format!("; {} records were already here unchanged", report.unchanged)
            } else {
                String::new()
            }
        );
        if report.profile_kept_existing {
            crate::outln!(
                "The file's profile differs from this journal's; this journal's profile was kept."
            );
        }
        Ok(())
    }
}
