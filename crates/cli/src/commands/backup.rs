//! `dosewise backup` and `dosewise restore`: the whole journal in an encrypted,
//! integrity-protected file (the age format: scrypt passphrase or an age recipient key).

use crate::context::Ctx;
use crate::error::{CliResult, input};
use crate::output;
use crate::secrets;
use dosewise_app::backup::{Opening, Sealing, open_journal};
use dosewise_store::Store;
use std::path::{Path, PathBuf};

#[derive(Debug, clap::Args)]
pub struct BackupArgs {
    /// Where to write the backup.
    #[arg(long)]
    out: PathBuf,
    /// Replace --out if it exists.
    #[arg(long)]
    force: bool,
    /// Encrypt to this age public key (age1…) instead of a passphrase.
    #[arg(long, value_name = "AGE_PUBLIC_KEY")]
    recipient: Option<String>,
    /// File holding the backup's passphrase (otherwise you are asked twice).
    #[arg(long, value_name = "FILE", conflicts_with = "recipient")]
    backup_passphrase_file: Option<PathBuf>,
}

#[derive(Debug, clap::Args)]
pub struct RestoreArgs {
    /// A file written by `dosewise backup`.
    file: PathBuf,
    /// File holding the backup's passphrase (otherwise you are asked).
    #[arg(long, value_name = "FILE", conflicts_with = "identity")]
    backup_passphrase_file: Option<PathBuf>,
    /// An age identity file (AGE-SECRET-KEY-…) for a backup made with --recipient.
    #[arg(long, value_name = "FILE")]
    identity: Option<PathBuf>,
    /// Restore into a new encrypted journal.
    #[arg(long)]
    encrypt: bool,
    /// With --encrypt: file holding the new journal's passphrase (otherwise you are asked twice).
    #[arg(long, value_name = "FILE", requires = "encrypt")]
    new_passphrase_file: Option<PathBuf>,
}

impl BackupArgs {
    pub async fn run(self, ctx: &Ctx) -> CliResult {
        let key;
        let sealing = match &self.recipient {
            Some(r) => Sealing::Recipient(r),
            None => {
                key = secrets::new_key(self.backup_passphrase_file.as_deref(), "the backup")?;
                Sealing::Passphrase(&key)
            }
        };
        let store = ctx.open().await?;
        let (sealed, j) = dosewise_app::backup::backup(&*store, sealing).await?;
        super::export::write_private(&self.out, &sealed, self.force)?;
        if ctx.json {
            return output::json(
                &serde_json::json!({ "out": self.out, "bytes": sealed.len(), "doses": j.doses.len(), "checkins": j.checkins.len() }),
            );
        }
        crate::outln!(
            "Backup written to {} ({} doses, {} check-ins), encrypted and integrity-protected (age format).",
            self.out.display(),
            j.doses.len(),
            j.checkins.len()
        );
        Ok(())
    }
}

/// The text of an age identity file.
pub fn read_identity(path: &Path) -> CliResult<zeroize::Zeroizing<String>> {
    Ok(zeroize::Zeroizing::new(
        std::fs::read_to_string(path)
            .map_err(|e| input(format!("cannot read {}: {e}", path.display())))?,
    ))
}

impl RestoreArgs {
    pub async fn run(self, ctx: &Ctx) -> CliResult {
        let bytes = std::fs::read(&self.file)
            .map_err(|e| input(format!("cannot read {}: {e}", self.file.display())))?;
        let journal = match &self.identity {
            Some(id) => open_journal(&bytes, Opening::Identity(&read_identity(id)?))?,
            None => {
                let p = secrets::current(self.backup_passphrase_file.as_deref(), "the backup")?;
                open_journal(&bytes, Opening::Passphrase(&p))?
            }
        };
        let store = if self.encrypt {
            let key =
                secrets::new_key(self.new_passphrase_file.as_deref(), "the restored journal")?;
            ctx.create_encrypted(&key).await?
        } else {
            ctx.open_or_create().await?
        };
        if !store.export().await?.is_empty() {
            return Err(input(format!(
                "{} already holds a journal; restore into an empty home (--home DIR) so nothing is mixed or lost",
                ctx.home.display()
            )));
        }
        let report = dosewise_app::transfer::import(&*store, &journal).await?;
        if ctx.json {
            return output::json(&report);
        }
        crate::outln!(
            "Restored {} doses and {} check-ins into {}.",
            report.doses,
            report.checkins,
            ctx.home.display()
        );
        Ok(())
    }
}
