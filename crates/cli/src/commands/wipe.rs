//! `dosewise wipe`: delete the journal and its home.

use crate::context::{Ctx, DB_FILE};
use crate::error::{CliError, CliResult, input};
use crate::output;
use std::io::{BufRead, IsTerminal, Write};

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Confirm without being asked (for scripts).
    #[arg(long)]
    yes: bool,
}

impl Args {
    pub fn run(self, ctx: &Ctx) -> CliResult {
        ctx.embedded_only("wipe (deleting the journal's files)")?;
        let existing = |names: &[&str]| -> Vec<_> {
            names
                .iter()
                .map(|f| ctx.home.join(f))
                .filter(|p| p.exists())
                .collect()
        };
        let mut files = existing(&[
            DB_FILE,
            "dosewise.db-wal",
            "dosewise.db-shm",
            "dosewise.db-journal",
            "dosewise.db.converting",
        ]);
        if files.is_empty() {
            return Err(input(format!("no journal at {}", ctx.home.display())));
        }
        // The web app's login hash and calendar link go too: a link left behind would open
        // the calendar of whatever journal is served from this home next.
        files.extend(existing(dosewise_web::HOME_FILES));
        if !self.yes {
            if !std::io::stdin().is_terminal() {
                return Err(input(
                    "wiping deletes your whole journal; confirm with --yes",
                ));
            }
            eprint!(
                "This deletes the journal at {} for good. Type \"wipe\" to confirm: ",
                ctx.home.display()
            );
            let _ = std::io::stderr().flush();
            let mut line = String::new();
            std::io::stdin().lock().read_line(&mut line)?;
            if line.trim() != "wipe" {
                return Err(input("not confirmed; nothing was deleted"));
            }
        }
        for f in &files {
            std::fs::remove_file(f).map_err(|e| {
                CliError::Runtime(
                    anyhow::Error::new(e).context(format!("could not delete {}", f.display())),
                )
            })?;
        }
        // Remove the home itself when nothing else is in it.
        let _ = std::fs::remove_dir(&ctx.home);
        if ctx.json {
            return output::json(&serde_json::json!({ "wiped": ctx.home, "files": files }));
        }
        crate::outln!("Deleted the journal at {}.", ctx.home.display());
        crate::outln!(
            "Backups and exports you made elsewhere still exist. On SSDs and copy-on-write file systems deleted data can linger on disk until overwritten; full-disk encryption is the protection against that."
        );
        Ok(())
    }
}
