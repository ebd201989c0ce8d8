//! `dosewise completions` and `dosewise man`: generated from the same definition that parses the
//! command line, so they never drift from it. Neither touches the journal.

use crate::cli::Cli;
use crate::error::{CliResult, input};
use crate::output;
use clap::CommandFactory;
use std::path::PathBuf;

#[derive(Debug, clap::Args)]
pub struct CompletionsArgs {
    /// The shell to complete in.
    #[arg(value_enum)]
    pub shell: clap_complete::Shell,
}

impl CompletionsArgs {
    pub fn run(self) -> CliResult {
        let mut cmd = Cli::command();
        let mut buf = Vec::new();
        clap_complete::generate(self.shell, &mut cmd, "dosewise", &mut buf);
        output::write_raw(&buf);
        Ok(())
    }
}

#[derive(Debug, clap::Args)]
pub struct ManArgs {
    /// Write dosewise.1 and one page per command (dosewise-dose.1, …) into this folder, which
    /// must exist; without it, dosewise(1) goes to stdout ("dosewise man | man -l -").
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,
}

impl ManArgs {
    pub fn run(self) -> CliResult {
        let cmd = Cli::command();
        match self.out {
            Some(dir) => {
                if !dir.is_dir() {
                    return Err(input(format!(
                        "{} is not a folder; create it first (mkdir -p {})",
                        dir.display(),
                        dir.display()
                    )));
                }
                let mut cmd = cmd.disable_help_subcommand(true);
                cmd.build();
                write_pages(&cmd, &dir).map_err(|e| {
                    input(format!(
                        "could not write the pages to {}: {e}",
                        dir.display()
                    ))
                })?;
                eprintln!(
                    "Wrote the manual pages to {} (read one with: man -l {}).",
                    dir.display(),
                    dir.join("dosewise.1").display()
                );
                Ok(())
            }
            None => {
                let mut buf = Vec::new();
                page(cmd).render(&mut buf)?;
                output::write_raw(&buf);
                Ok(())
            }
        }
    }
}

/// One page, titled with the version of the program it documents.
fn page(cmd: clap::Command) -> clap_mangen::Man {
    clap_mangen::Man::new(cmd)
        .source(format!("dosewise {}", env!("CARGO_PKG_VERSION")))
        .manual("Dosewise manual")
}

/// A page for `cmd` and for each of its commands, recursively.
fn write_pages(cmd: &clap::Command, dir: &std::path::Path) -> std::io::Result<()> {
    for sub in cmd.get_subcommands().filter(|s| !s.is_hide_set()) {
        write_pages(sub, dir)?;
    }
    page(cmd.clone()).generate_to(dir).map(drop)
}
