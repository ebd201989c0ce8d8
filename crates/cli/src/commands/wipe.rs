//! `dosewise wipe`: delete the journal and its home.

use crate::context::Ctx;
use crate::error::{CliResult, input};
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
        // The journal, its side files and the web server's (login, key, calendar link).
        dosewise_app::home::wipe_list(&ctx.home)?;
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
        let files = dosewise_app::home::wipe(&ctx.home)?;
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
