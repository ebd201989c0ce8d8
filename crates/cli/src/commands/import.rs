//! `dosewise import`: add a JSON export's records to this journal, all or nothing — a Dosewise
//! export, or another app's (`--from pw-journal`).

use crate::context::Ctx;
use crate::error::{CliResult, input};
use crate::output;
use std::io::Read;
use std::path::PathBuf;

/// Larger files are refused rather than read into memory.
const MAX_IMPORT_BYTES: u64 = 512 * 1024 * 1024;

/// Where a file comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum From {
    /// A Dosewise export or backup (`dosewise export`, `dosewise backup`).
    Dosewise,
    /// A PsychonautWiki Journal export (in the app: Settings → Export file).
    PwJournal,
}

#[derive(Debug, clap::Args)]
pub struct Args {
    /// A file written by `dosewise export --format json` (encrypted or not), or by the app
    /// named with --from.
    file: PathBuf,
    /// The app that wrote the file. A PsychonautWiki Journal export's ketamine and esketamine
    /// ingestions become doses, other substances logged uses, its notes and ratings check-in
    /// notes tagged pw-journal; importing it again adds nothing.
    #[arg(long, value_enum, default_value = "dosewise")]
    from: From,
    /// Only say what would be added (with --from pw-journal): nothing is written.
    #[arg(long)]
    dry_run: bool,
    /// Mark the notes made from the file private: never in a report, an export for others or
    /// the clinic (with --from pw-journal).
    #[arg(long)]
    private: bool,
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
        if self.from == From::PwJournal {
            return self.pw_journal(ctx, bytes).await;
        }
        if self.dry_run || self.private {
            return Err(input(
                "--dry-run and --private are for --from pw-journal; a Dosewise export is imported as it is",
            ));
        }
        if dosewise_app::interop::is_pw_journal(&bytes) {
            return Err(input(format!(
                "{} is a PsychonautWiki Journal export: import it with --from pw-journal (add --dry-run to see first what it adds). Nothing was imported.",
                self.file.display()
            )));
        }
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

    async fn pw_journal(&self, ctx: &Ctx, bytes: Vec<u8>) -> CliResult {
        let store = ctx.open_or_create().await?;
        let zone = dosewise_core::when::zone_name(&ctx.zone_of(&store).await?);
        let r = dosewise_app::interop::import_pw_journal(
            &*store,
            bytes,
            &self.file.display().to_string(),
            dosewise_app::interop::Options {
                zone: Some(&zone),
                private: self.private,
                dry_run: self.dry_run,
            },
            ctx.now,
        )
        .await?;
        if ctx.json {
            return output::json(&r);
        }
        crate::outln!("{}", r.headline());
        for l in r.remarks() {
            crate::outln!("{l}");
        }
        if !r.preview.is_empty() {
            crate::outln!("");
            for l in &r.preview {
                crate::outln!("  {l}");
            }
        }
        if r.dry_run {
            crate::outln!("\nNothing was written. Run again without --dry-run to import.");
        }
        Ok(())
    }
}
