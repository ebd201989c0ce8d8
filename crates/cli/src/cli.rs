//! The command line: global options and one subcommand per job.

use crate::commands;
use clap::{Parser, Subcommand};
use std::path::PathBuf;

#[derive(Debug, Parser)]
#[command(
    name = "dosewise",
    version,
    about = "A private journal and protocol tracker for low-dose ketamine.",
    long_about = "Dosewise records what you hold, what you take and how you feel, does the \
        dose arithmetic exactly, and keeps everything on this computer. It informs; it does not \
        prescribe: work with your clinician, start low and change slowly.",
    after_help = "Exit codes: 0 ok, 1 bad input or error (nothing was written), 2 usage, 3 refused by a safety check.\n\
        Data: --home DIR or DOSEWISE_HOME; by default the platform data directory."
)]
pub struct Cli {
    #[command(flatten)]
    pub global: Global,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, clap::Args)]
pub struct Global {
    /// Data directory (holds dosewise.db).
    #[arg(long, global = true, env = "DOSEWISE_HOME", value_name = "DIR")]
    pub home: Option<PathBuf>,
    /// Print one JSON document on stdout instead of text.
    #[arg(long, global = true)]
    pub json: bool,
    /// Time zone for this command (IANA name, e.g. Europe/Berlin); default: your profile's.
    #[arg(long = "tz", global = true, env = "DOSEWISE_TZ", value_name = "ZONE")]
    pub tz: Option<String>,
    /// File holding the passphrase of an encrypted journal (otherwise you are asked).
    #[arg(
        long,
        global = true,
        env = "DOSEWISE_PASSPHRASE_FILE",
        value_name = "FILE"
    )]
    pub passphrase_file: Option<PathBuf>,
    /// Keep the journal in a PostgreSQL database instead of the home's file
    /// (postgres://user@host:port/database). Encryption at rest, wipe and the file integrity
    /// check are the embedded journal's; on PostgreSQL the server's own tools do those jobs.
    #[arg(
        long,
        global = true,
        env = "DOSEWISE_DATABASE_URL",
        value_name = "URL",
        hide_env_values = true
    )]
    pub database: Option<String>,
    /// With --database: which journal in it (one database holds many). Created on first use.
    #[arg(
        long,
        global = true,
        env = "DOSEWISE_JOURNAL",
        value_name = "NAME",
        default_value = dosewise_backends::DEFAULT_JOURNAL
    )]
    pub journal: String,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Create your journal, or update your profile (zone, weight, name).
    Init(commands::init::Args),
    /// Record and manage what you hold: troches, nasal sprays, home solutions.
    #[command(subcommand)]
    Stock(commands::stock::Command),
    /// Your plan: which days, what dose, cycles and breaks, titration, limits.
    #[command(subcommand)]
    Protocol(commands::protocol::Command),
    /// The plan as an iCalendar (.ics) file: dose reminders, breaks, check-in reminders.
    Calendar(commands::calendar::Args),
    /// Your standing medicines, which the safety check reads.
    #[command(subcommand)]
    Meds(commands::meds::Command),
    /// Log use of another substance (alcohol, cannabis, …) for the interaction check.
    Use(commands::usage::Args),
    /// Record blood pressure, heart rate or weight (or --list them).
    Vitals(commands::vitals::Args),
    /// Record that a clinician reviewed a standing red flag (urinary symptoms, the screen).
    Clear(commands::clear::Args),
    /// The health screen: see your answers, answer it again (every 6 months), or update one
    /// (`--add pregnancy`).
    Screen(commands::screen::Args),
    /// Standing findings and trends; `check dose AMOUNT` shows a dose's verdict without logging.
    Check(commands::check::Args),
    /// The knowledge base in plain language, with sources.
    Info(commands::info::Args),
    /// Dose arithmetic that saves nothing: solutions, sprays, dilution, route conversion.
    #[command(subcommand)]
    Calc(commands::calc::Command),
    /// Log a dose ("dosewise dose 1/2 troche"), or edit, delete or show one.
    Dose(commands::dose::Args),
    /// Record how you feel: 0-10 ratings, side effects, urinary symptoms, a note.
    Checkin(commands::checkin::Args),
    /// Questionnaires: PHQ-9 (depression), GAD-7 (anxiety), bladder and use questions.
    Assess(commands::assess::Args),
    /// Is it the drug? A self-blinded trial with your clinician: plan, status, unblind a day,
    /// stop, reveal, result.
    #[command(subcommand)]
    Trial(commands::trial::Command),
    /// Is it working? Ratings by kind of day, PHQ-9/GAD-7 change, with the caveats.
    Insights(commands::insights::Args),
    /// The clinician report (HTML with a print stylesheet): regimen vs actual, supply, scores,
    /// vitals, side effects, red flags, medicines, shared notes.
    Report(commands::report::Args),
    /// Today at a glance: doses taken, last check-in, stock running low.
    Today(commands::today::Args),
    /// The web app on this computer (http://127.0.0.1:8787), at the same time as the CLI.
    Serve(commands::serve::Args),
    /// Share chosen parts of this journal with your clinician: connect, status, revoke, log.
    #[command(subcommand)]
    Share(commands::share::Command),
    /// Send your clinic what is new or changed since the last sync (what you share only).
    Sync(commands::share::SyncArgs),
    /// Run a clinic server on PostgreSQL (for clinics, not patients): init, serve.
    #[command(subcommand)]
    Clinic(commands::clinic::Command),
    /// List doses and check-ins.
    History(commands::history::Args),
    /// Write the whole journal to JSON (lossless) or CSV (for spreadsheets).
    Export(commands::export::Args),
    /// Add the records of a JSON export to this journal (all or nothing).
    Import(commands::import::Args),
    /// Encrypt the journal at rest (SQLCipher): a verified copy replaces it atomically.
    Encrypt(commands::crypt::EncryptArgs),
    /// Store the journal in plain text again (asks for --yes).
    Decrypt(commands::crypt::DecryptArgs),
    /// Change the passphrase of an encrypted journal.
    Rekey(commands::crypt::EncryptArgs),
    /// Write an encrypted, integrity-protected backup (age format).
    Backup(commands::backup::BackupArgs),
    /// Restore a backup into an empty home.
    Restore(commands::backup::RestoreArgs),
    /// Delete the journal for good (asks for confirmation).
    Wipe(commands::wipe::Args),
    /// Fill an empty journal with a realistic sample (8 weeks of a one-on/two-off regimen).
    Demo(commands::demo::Args),
    /// Tab completion for your shell ("dosewise completions bash > ~/.local/share/bash-completion/completions/dosewise").
    Completions(commands::docs::CompletionsArgs),
    /// Manual pages: dosewise(1) on stdout, or one page per command with --out DIR.
    Man(commands::docs::ManArgs),
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn cli_definition_is_consistent() {
        Cli::command().debug_assert();
    }
}
