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
    // One thread: a short command needs no pool, and the web server's requests take turns on
    // the one journal connection anyway. SQLite's own worker thread is the only other.
    let rt = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
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
