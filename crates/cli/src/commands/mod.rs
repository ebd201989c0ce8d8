//! One module per subcommand, each with its own arguments and `run`.

pub mod assess;
pub mod backup;
pub mod calc;
pub mod calendar;
pub mod check;
pub mod checkin;
pub mod clear;
pub mod clinic;
pub mod crypt;
pub mod demo;
pub mod docs;
pub mod dose;
pub mod export;
pub mod history;
pub mod import;
pub mod info;
pub mod init;
pub mod insights;
pub mod meds;
pub mod protocol;
pub mod report;
pub mod safety;
pub mod screen;
pub mod serve;
pub mod share;
pub mod stock;
pub mod today;
pub mod trial;
pub mod usage;
pub mod vitals;
pub mod wipe;

use crate::cli::{Cli, Command};
use crate::context::Ctx;
use crate::error::CliResult;
use dosewise_backends::AnyStore;
use dosewise_core::jiff::civil::Date;
use dosewise_core::stock::Stock;

pub async fn run(cli: Cli) -> CliResult {
    let ctx = Ctx::new(&cli.global)?;
    let result = dispatch(&ctx, cli.command).await;
    ctx.shutdown().await;
    result
}

async fn dispatch(ctx: &Ctx, command: Command) -> CliResult {
    match command {
        Command::Init(a) => a.run(ctx).await,
        Command::Trial(c) => c.run(ctx).await,
        Command::Stock(c) => c.run(ctx).await,
        Command::Calc(c) => c.run(ctx),
        Command::Dose(a) => a.run(ctx).await,
        Command::Checkin(a) => a.run(ctx).await,
        Command::Today(a) => a.run(ctx).await,
        Command::History(a) => a.run(ctx).await,
        Command::Export(a) => a.run(ctx).await,
        Command::Import(a) => a.run(ctx).await,
        Command::Demo(a) => a.run(ctx).await,
        Command::Protocol(c) => c.run(ctx).await,
        Command::Calendar(a) => a.run(ctx).await,
        Command::Meds(c) => c.run(ctx).await,
        Command::Use(a) => a.run(ctx).await,
        Command::Vitals(a) => a.run(ctx).await,
        Command::Clear(a) => a.run(ctx).await,
        Command::Screen(a) => a.run(ctx).await,
        Command::Check(a) => a.run(ctx).await,
        Command::Info(a) => a.run(ctx),
        Command::Completions(a) => a.run(),
        Command::Man(a) => a.run(),
        Command::Encrypt(a) => a.run(ctx).await,
        Command::Decrypt(a) => a.run(ctx).await,
        Command::Rekey(a) => a.rekey(ctx).await,
        Command::Backup(a) => a.run(ctx).await,
        Command::Restore(a) => a.run(ctx).await,
        Command::Wipe(a) => a.run(ctx),
        Command::Assess(a) => a.run(ctx).await,
        Command::Insights(a) => a.run(ctx).await,
        Command::Report(a) => a.run(ctx).await,
        Command::Serve(a) => a.run(ctx).await,
        Command::Share(c) => c.run(ctx).await,
        Command::Sync(a) => a.run(ctx).await,
        Command::Clinic(c) => c.run(ctx).await,
    }
}

/// A calendar date "YYYY-MM-DD", refusing impossible ones with a clear message.
pub fn parse_date(what: &str, s: &str) -> CliResult<Date> {
    Ok(dosewise_app::period::parse_date(what, s)?)
}

/// The `--from`/`--to` period of a command: `--to` defaults to `today`, `--from` to
/// `default_from(to)`; a period that ends before it starts is refused.
pub fn period(
    from: Option<&str>,
    to: Option<&str>,
    today: Date,
    default_from: impl FnOnce(Date) -> CliResult<Date>,
) -> CliResult<(Date, Date)> {
    let default_from = |to| default_from(to).map_err(dosewise_app::input);
    Ok(dosewise_app::period::period(from, to, today, default_from)?)
}

/// `days` days before `to`, the default start of a period.
pub fn days_before(to: Date, days: i64) -> CliResult<Date> {
    Ok(dosewise_app::period::days_before(to, days)?)
}

/// A stock by id or by (case-insensitive) name among active stocks.
pub async fn find_stock(store: &AnyStore, key: &str) -> CliResult<Stock> {
    Ok(dosewise_app::dose::find_stock(store, key).await?)
}
