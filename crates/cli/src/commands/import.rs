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
    /// An HL7 FHIR R4 Bundle (as `dosewise export --format fhir` writes): its doses, PHQ-9 and
    /// GAD-7 scores and vital signs.
    Fhir,
    /// A spreadsheet saved as CSV (comma or semicolon), its first row naming the columns; say
    /// which column holds what with --map (asked for at a terminal).
    Csv,
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
    /// Only say what would be added (with --from pw-journal or csv): nothing is written.
    #[arg(long)]
    dry_run: bool,
    /// Mark the notes made from the file private: never in a report, an export for others or
    /// the clinic (with --from pw-journal or csv).
    #[arg(long)]
    private: bool,
    /// CSV: which column holds what, FIELD=COLUMN separated by commas. Fields: date (the date,
    /// or date and time), time, amount, route, note, and the ratings mood, anxiety, energy,
    /// focus, sleep, irritability, craving (0-10). E.g. "date=Date,amount=Dose,mood=Mood"
    #[arg(long, value_name = "MAP")]
    map: Option<String>,
    /// CSV: the date column's format when it is not YYYY-MM-DD, e.g. "%d/%m/%Y" (3 April for
    /// 03/04/2026) or "%m/%d/%Y %H:%M"
    #[arg(long, value_name = "FORMAT")]
    date_format: Option<String>,
    /// CSV: the time of rows whose date has none (and no time column), e.g. 08:00
    #[arg(long, value_name = "HH:MM")]
    time: Option<String>,
    /// CSV: the unit of amounts written as bare numbers: mg, troche, spray, mL
    #[arg(long, value_name = "UNIT")]
    unit: Option<String>,
    /// CSV: the stock the doses came from, to tell the mg of troches, sprays or mL (its supply
    /// is not taken: these doses are history)
    #[arg(long, value_name = "STOCK")]
    stock: Option<String>,
    /// CSV: the route of rows without a route column
    #[arg(long)]
    route: Option<dosewise_core::route::Route>,
    /// CSV, masses without a stock: ketamine HCl or base? (default hcl)
    #[arg(long)]
    salt: Option<dosewise_core::salt::Salt>,
    /// CSV, masses without a stock: "ketamine" (default) or "esketamine"
    #[arg(long)]
    substance: Option<dosewise_core::route::Substance>,
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
        let for_csv = self.map.is_some()
            || self.date_format.is_some()
            || self.time.is_some()
            || self.unit.is_some()
            || self.stock.is_some()
            || self.route.is_some()
            || self.salt.is_some()
            || self.substance.is_some();
        if for_csv && self.from != From::Csv {
            return Err(input(
                "--map, --date-format, --time, --unit, --stock, --route, --salt and --substance are for --from csv",
            ));
        }
        match self.from {
            From::PwJournal => return self.pw_journal(ctx, bytes).await,
            From::Csv => return self.csv(ctx, bytes).await,
            From::Fhir => return self.fhir(ctx, bytes).await,
            From::Dosewise => {}
        }
        if self.dry_run || self.private {
            return Err(input(
                "--dry-run and --private are for --from pw-journal or csv; a Dosewise export is imported as it is",
            ));
        }
        if let Some(app) = dosewise_app::interop::other_app(&bytes) {
            let (what, from) = match app {
                dosewise_app::interop::OtherApp::Fhir => ("a FHIR Bundle", "fhir"),
                dosewise_app::interop::OtherApp::PwJournal => {
                    ("a PsychonautWiki Journal export", "pw-journal")
                }
            };
            return Err(input(format!(
                "{} is {what}: import it with --from {from} (add --dry-run to see first what it adds). Nothing was imported.",
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

    fn options<'a>(&self, zone: &'a str) -> dosewise_app::interop::Options<'a> {
        dosewise_app::interop::Options {
            zone: Some(zone),
            private: self.private,
            dry_run: self.dry_run,
        }
    }

    async fn fhir(&self, ctx: &Ctx, bytes: Vec<u8>) -> CliResult {
        if self.private {
            return Err(input("--private is for --from pw-journal or csv"));
        }
        let store = ctx.open_or_create().await?;
        let zone = dosewise_core::when::zone_name(&ctx.zone_of(&store).await?);
        let r = dosewise_app::interop::import_fhir(
            &*store,
            bytes,
            &self.file.display().to_string(),
            self.options(&zone),
            ctx.now,
        )
        .await?;
        report(ctx, &r)
    }

    async fn csv(&self, ctx: &Ctx, bytes: Vec<u8>) -> CliResult {
        let label = self.file.display().to_string();
        let map = match &self.map {
            Some(m) => Some(m.clone()),
            None => ask_map(&bytes, &label)?,
        };
        let store = ctx.open_or_create().await?;
        let zone = dosewise_core::when::zone_name(&ctx.zone_of(&store).await?);
        let r = dosewise_app::interop::import_sheet(
            &*store,
            bytes,
            &label,
            &dosewise_app::interop::SheetRequest {
                map,
                date_format: self.date_format.clone(),
                time: self.time.clone(),
                unit: self.unit.clone(),
                route: self.route,
                salt: self.salt,
                substance: self.substance,
                stock: self.stock.clone(),
            },
            self.options(&zone),
            ctx.now,
        )
        .await?;
        report(ctx, &r)
    }

    async fn pw_journal(&self, ctx: &Ctx, bytes: Vec<u8>) -> CliResult {
        let store = ctx.open_or_create().await?;
        let zone = dosewise_core::when::zone_name(&ctx.zone_of(&store).await?);
        let r = dosewise_app::interop::import_pw_journal(
            &*store,
            bytes,
            &self.file.display().to_string(),
            self.options(&zone),
            ctx.now,
        )
        .await?;
        report(ctx, &r)
    }
}

/// What an import from elsewhere added, or would add.
fn report(ctx: &Ctx, r: &dosewise_app::interop::OtherAppImport) -> CliResult {
    if ctx.json {
        return output::json(r);
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

/// At a terminal, ask which column holds what (the guess from the header names as the
/// default); elsewhere, nothing (the app then names the columns and suggests a --map).
fn ask_map(bytes: &[u8], label: &str) -> CliResult<Option<String>> {
    use dosewise_core::spreadsheet::Field;
    use std::io::{BufRead, IsTerminal, Write};
    if !std::io::stdin().is_terminal() {
        return Ok(None);
    }
    let (headers, guess) = dosewise_app::interop::sheet_columns(bytes, label)?;
    let guessed: std::collections::HashMap<&str, &str> =
        guess.split(',').filter_map(|p| p.split_once('=')).collect();
    let mut err = std::io::stderr();
    let _ = writeln!(err, "The columns of {label}:");
    for (k, h) in headers.iter().enumerate() {
        let _ = writeln!(err, "  {}. {h}", k + 1);
    }
    let _ = writeln!(
        err,
        "For each, the column's number (Enter takes the suggestion in brackets; - for none)."
    );
    let mut map = Vec::new();
    for f in Field::ALL {
        let suggested = guessed.get(f.name()).copied();
        let _ = write!(
            err,
            "  {} — {}{}: ",
            f.name(),
            f.question(),
            suggested.map(|s| format!(" [{s}]")).unwrap_or_default()
        );
        let _ = err.flush();
        let mut line = String::new();
        if std::io::stdin().lock().read_line(&mut line)? == 0 {
            break;
        }
        let answer = line.trim();
        let column = match (answer, suggested) {
            ("", Some(s)) => Some(s.to_string()),
            ("" | "-", _) => None,
            (n, _) => Some(
                n.parse::<usize>()
                    .ok()
                    .and_then(|k| headers.get(k.wrapping_sub(1)).cloned())
                    .ok_or_else(|| {
                        input(format!(
                            "{n:?} is not one of the column numbers 1 to {}",
                            headers.len()
                        ))
                    })?,
            ),
        };
        if let Some(c) = column {
            map.push(format!("{}={c}", f.name()));
        }
    }
    let spec = map.join(",");
    let _ = writeln!(err, "Next time: --map \"{spec}\"");
    Ok(Some(spec))
}
