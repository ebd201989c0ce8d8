//! `dosewise backup` and `dosewise restore`: the whole journal in an encrypted,
//! integrity-protected file (the age format: scrypt passphrase or an age recipient key).

use crate::context::Ctx;
use crate::error::{CliError, CliResult, input};
use crate::output;
use crate::secrets;
use age::secrecy::SecretString;
use dosewise_core::journal::Journal;
use dosewise_store::{Passphrase, Store};
use std::io::{Read, Write};
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

/// Encrypt `plain` with a passphrase (scrypt) or to an age recipient.
pub fn seal(plain: &[u8], key: Sealing) -> CliResult<Vec<u8>> {
    let enc = match key {
        Sealing::Passphrase(p) => {
            age::Encryptor::with_user_passphrase(SecretString::from(p.expose().to_owned()))
        }
        Sealing::Recipient(r) => {
            let r: age::x25519::Recipient = r
                .trim()
                .parse()
                .map_err(|e| input(format!("--recipient is not an age public key: {e}")))?;
            age::Encryptor::with_recipients(std::iter::once(&r as &dyn age::Recipient))
                .map_err(|e| CliError::Runtime(anyhow::anyhow!("{e}")))?
        }
    };
    let mut out = Vec::new();
    let mut w = enc
        .wrap_output(&mut out)
        .map_err(|e| CliError::Runtime(e.into()))?;
    w.write_all(plain)?;
    w.finish()?;
    Ok(out)
}

pub enum Sealing<'a> {
    Passphrase(&'a Passphrase),
    Recipient(&'a str),
}

pub fn open_sealed(bytes: &[u8], identity: &dyn age::Identity) -> CliResult<Vec<u8>> {
    let bad = |e: &dyn std::fmt::Display| {
        input(format!(
            "cannot open the backup: {e}. It may be damaged or altered, or the passphrase or key is wrong; nothing was restored"
        ))
    };
    let d = age::Decryptor::new_buffered(bytes).map_err(|e| bad(&e))?;
    let mut r = d.decrypt(std::iter::once(identity)).map_err(|e| bad(&e))?;
    let mut out = Vec::new();
    r.read_to_end(&mut out).map_err(|e| bad(&e))?;
    Ok(out)
}

impl BackupArgs {
    pub async fn run(self, ctx: &Ctx) -> CliResult {
        let store = ctx.open().await?;
        let j = store.export().await?;
        let text = serde_json::to_vec(&j).map_err(anyhow::Error::new)?;
        let sealed = match &self.recipient {
            Some(r) => seal(&text, Sealing::Recipient(r))?,
            None => {
                let p = secrets::new_key(self.backup_passphrase_file.as_deref(), "the backup")?;
                seal(&text, Sealing::Passphrase(&p))?
            }
        };
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

pub fn read_identity(path: &Path) -> CliResult<age::x25519::Identity> {
    let text = zeroize::Zeroizing::new(
        std::fs::read_to_string(path)
            .map_err(|e| input(format!("cannot read {}: {e}", path.display())))?,
    );
    let line = text
        .lines()
        .find(|l| l.starts_with("AGE-SECRET-KEY-"))
        .ok_or_else(|| input("the identity file holds no AGE-SECRET-KEY line"))?;
    line.parse()
        .map_err(|e| input(format!("the identity is not valid: {e}")))
}

impl RestoreArgs {
    pub async fn run(self, ctx: &Ctx) -> CliResult {
        let bytes = std::fs::read(&self.file)
            .map_err(|e| input(format!("cannot read {}: {e}", self.file.display())))?;
        let plain = match &self.identity {
            Some(id) => open_sealed(&bytes, &read_identity(id)?)?,
            None => {
                let p = secrets::current(self.backup_passphrase_file.as_deref(), "the backup")?;
                open_sealed(
                    &bytes,
                    &age::scrypt::Identity::new(SecretString::from(p.expose().to_owned())),
                )?
            }
        };
        let text = zeroize::Zeroizing::new(
            String::from_utf8(plain)
                .map_err(|_| input("the backup does not hold a Dosewise journal"))?,
        );
        let journal = Journal::parse(&text)
            .map_err(|e| input(format!("the backup does not hold a valid journal: {e}")))?;
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
