//! `dosewise encrypt | decrypt | rekey`: change how the journal is stored at rest, safely (a
//! verified copy replaces the original atomically).

use crate::context::Ctx;
use crate::error::{CliResult, input};
use crate::output;
use crate::secrets;
use dosewise_store_sqlite::FileState;
use dosewise_store_sqlite::{convert, file_state};
use std::path::PathBuf;

#[derive(Debug, clap::Args)]
pub struct EncryptArgs {
    /// File holding the new passphrase (otherwise you are asked twice).
    #[arg(long, value_name = "FILE")]
    new_passphrase_file: Option<PathBuf>,
}

#[derive(Debug, clap::Args)]
pub struct DecryptArgs {
    /// Confirm: the journal will be readable by anyone who can read the file.
    #[arg(long)]
    yes: bool,
}

fn done(ctx: &Ctx, what: &str) -> CliResult {
    if ctx.json {
        return output::json(&serde_json::json!({ "home": ctx.home, "done": what }));
    }
    crate::outln!("{what}");
    Ok(())
}

fn existing(ctx: &Ctx) -> CliResult<FileState> {
    ctx.embedded_only("encryption at rest (SQLCipher)")?;
    let s = file_state(&ctx.db_path());
    if s == FileState::Missing {
        return Err(input(format!(
            "no journal at {}; create one with `dosewise init --encrypt`",
            ctx.home.display()
        )));
    }
    Ok(s)
}

impl EncryptArgs {
    pub async fn run(self, ctx: &Ctx) -> CliResult {
        if existing(ctx)? == FileState::Encrypted {
            return Err(input(
                "this journal is already encrypted; change its passphrase with `dosewise rekey`",
            ));
        }
        // Bring the schema up to date first (conversion copies the current schema only).
        ctx.open().await?.close().await?;
        let key = secrets::new_key(self.new_passphrase_file.as_deref(), "the journal")?;
        convert(&ctx.db_path(), None, Some(&key))?;
        done(
            ctx,
            "The journal is now encrypted (SQLCipher, AES-256). Keep the passphrase safe: without it the journal cannot be opened, by you or anyone.",
        )
    }
}

impl DecryptArgs {
    pub async fn run(self, ctx: &Ctx) -> CliResult {
        if existing(ctx)? != FileState::Encrypted {
            return Err(input("this journal is not encrypted"));
        }
        if !self.yes {
            return Err(input(
                "decrypting stores your journal in plain text; confirm with --yes",
            ));
        }
        let key = secrets::current(ctx.passphrase_file.as_deref(), "the journal")?;
        convert(&ctx.db_path(), Some(&key), None)?;
        done(ctx, "The journal is now stored in plain text.")
    }
}

impl EncryptArgs {
    pub async fn rekey(self, ctx: &Ctx) -> CliResult {
        if existing(ctx)? != FileState::Encrypted {
            return Err(input(
                "this journal is not encrypted; encrypt it with `dosewise encrypt`",
            ));
        }
        let old = secrets::current(ctx.passphrase_file.as_deref(), "the journal")?;
        // Check the old passphrase before asking for a new one.
        ctx.open().await?.close().await?;
        let new = secrets::new_key(self.new_passphrase_file.as_deref(), "the journal")?;
        convert(&ctx.db_path(), Some(&old), Some(&new))?;
        done(ctx, "The journal's passphrase was changed.")
    }
}
