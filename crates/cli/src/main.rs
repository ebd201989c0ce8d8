//! `dosewise`: the command-line surface. A thin shell over `dosewise-core` (decisions) and
//! `dosewise-store` (persistence): parse arguments, call the core, write through the store,
//! print the result for a person or, with `--json`, for a program.

mod cli;
mod commands;
mod context;
mod error;
mod output;
mod secrets;

use clap::Parser;
use std::process::ExitCode;

fn main() -> ExitCode {
    let cli = match cli::Cli::try_parse() {
        Ok(c) => c,
        Err(e) => {
            // Help and version go to stdout with 0; usage errors to stderr with 2.
            let _ = e.print();
            return ExitCode::from(if e.use_stderr() { 2 } else { 0 });
        }
    };
    let json = cli.global.json;
    // A command runs on one thread: it needs no pool, and SQLite runs on the calling thread.
    // The web server gets two workers: its requests take turns on the one journal connection,
    // but while one waits for SQLite (another process writing, a five-year report) the other
    // keeps serving pages and static files.
    let mut builder = if matches!(
        cli.command,
        cli::Command::Serve(_) | cli::Command::Clinic(commands::clinic::Command::Serve(_))
    ) {
        let mut b = tokio::runtime::Builder::new_multi_thread();
        b.worker_threads(2);
        b
    } else {
        tokio::runtime::Builder::new_current_thread()
    };
    let rt = match builder.enable_all().build() {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("error: could not start: {e}");
            return ExitCode::from(1);
        }
    };
    match rt.block_on(commands::run(cli)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            error::report(&e, json);
            ExitCode::from(e.exit_code())
        }
    }
}
