//! `dosewise share` and `dosewise sync`: share chosen parts of this journal with a clinician.

use crate::context::Ctx;
use crate::error::CliResult;
use crate::output;
use dosewise_app::share::ConnectRequest;
use dosewise_core::share::Category;

#[derive(Debug, clap::Subcommand)]
pub enum Command {
    /// Connect this journal to your clinic with the invite code your clinician gave you.
    #[command(after_help = SHARED)]
    Connect(ConnectArgs),
    /// What is shared, with whom, and when it last synced.
    Status,
    /// Stop sharing at once: your clinician loses access now and nothing more is sent.
    Revoke,
    /// Who at the clinic read or changed what of yours, newest first.
    Log,
}

const SHARED: &str = "Categories: doses, checkins, questionnaires, vitals, stock, safety, medicines, \
substance_use, protocol. Private check-ins are never sent, whatever you share. The clinic keeps a \
readable copy of what you share (so your clinician can read it and be alerted); what it already \
holds when you revoke follows the clinic's retention rules. Nothing is sent until `dosewise sync`.";

#[derive(Debug, clap::Args)]
pub struct ConnectArgs {
    /// The clinic server's address (https://…).
    server: String,
    /// The invite code from your clinician.
    #[arg(long)]
    code: String,
    /// A category to share; repeat or comma-separate. Default: all but substance_use.
    #[arg(long = "category", value_delimiter = ',', value_name = "CATEGORY")]
    categories: Vec<Category>,
    /// Stop sharing by itself on this date (YYYY-MM-DD, your zone).
    #[arg(long, value_name = "DATE")]
    until: Option<dosewise_core::jiff::civil::Date>,
    /// What to call this device in the clinic's list.
    #[arg(long, default_value = "my journal")]
    device: String,
    /// How the clinic will see you (a name or initials).
    #[arg(long)]
    name: String,
}

#[derive(Debug, clap::Args)]
pub struct SyncArgs {}

impl Command {
    pub async fn run(self, ctx: &Ctx) -> CliResult {
        let store = ctx.open().await?;
        match self {
            Command::Connect(a) => {
                let req = ConnectRequest {
                    server: a.server,
                    code: a.code,
                    name: a.name,
                    categories: a.categories,
                    until: a.until,
                    device: Some(a.device),
                };
                let c = dosewise_app::share::connect(&*store, &req, ctx.now).await?;
                if ctx.json {
                    return output::json(&serde_json::json!({
                        "clinic": c.clinic, "clinician": c.clinician, "categories": c.categories, "ends_at": c.ends_at,
                    }));
                }
                crate::outln!("Connected to {} to share with {}:", c.clinic, c.clinician);
                for cat in &c.categories {
                    crate::outln!("  {cat}: {}", cat.describe());
                }
                crate::outln!(
                    "Private check-ins are never sent. Run `dosewise sync` to send, and again after new entries."
                );
                Ok(())
            }
            Command::Status => {
                let c = dosewise_app::share::connection(&*store).await?;
                if ctx.json {
                    return output::json(
                        &serde_json::json!({ "connected": c.as_ref().map(|c| serde_json::json!({
                        "server": c.server, "clinic": c.clinic, "clinician": c.clinician, "categories": c.categories,
                        "ends_at": c.ends_at, "last_sync": c.last_sync, "records_on_server": c.sent.len(),
                    })) }),
                    );
                }
                match c {
                    None => crate::outln!("Not sharing with a clinic."),
                    Some(c) => {
                        crate::outln!(
                            "Sharing with {} at {} ({}).",
                            c.clinician,
                            c.clinic,
                            c.server
                        );
                        let cats: Vec<&str> = c.categories.iter().map(|c| c.as_str()).collect();
                        crate::outln!("  categories: {}", cats.join(", "));
                        crate::outln!("  records on the server: {}", c.sent.len());
                        match c.last_sync {
                            Some(t) => crate::outln!(
                                "  last sync: {}",
                                output::local(t, &ctx.zone_of(&store).await?)
                            ),
                            None => crate::outln!("  not synced yet: run `dosewise sync`"),
                        }
                    }
                }
                Ok(())
            }
            Command::Revoke => {
                let n = dosewise_app::share::revoke(&*store).await?;
                if ctx.json {
                    return output::json(&serde_json::json!({ "revoked": n }));
                }
                crate::outln!(
                    "Sharing stopped: {n} grant(s) revoked; your clinician can no longer read your records, and nothing more is sent. What the clinic already holds follows its retention rules."
                );
                Ok(())
            }
            Command::Log => {
                let Some(log) = dosewise_app::share::log(&*store).await? else {
                    if ctx.json {
                        return output::json(&serde_json::json!({ "connected": false, "log": [] }));
                    }
                    crate::outln!("Not sharing with a clinic.");
                    return Ok(());
                };
                if ctx.json {
                    return output::json(&serde_json::json!({ "connected": true, "log": log }));
                }
                let tz = ctx.zone_of(&store).await?;
                for l in &log {
                    crate::outln!(
                        "{}  {} {}: {} ({})",
                        output::local(l.at, &tz),
                        l.role,
                        l.who.as_deref().unwrap_or("?"),
                        l.action,
                        l.what
                    );
                }
                if log.is_empty() {
                    crate::outln!("Nothing yet.");
                }
                Ok(())
            }
        }
    }
}

impl SyncArgs {
    pub async fn run(self, ctx: &Ctx) -> CliResult {
        let store = ctx.open().await?;
        let s = dosewise_app::share::sync(&*store, ctx.now).await?;
        if ctx.json {
            return output::json(&s);
        }
        if s.stopped {
            crate::outln!(
                "Sharing with {} has stopped (revoked or ended): nothing was sent.",
                s.clinic
            );
        } else {
            crate::outln!(
                "Synced with {}: {} record(s) sent, {} withdrawn.",
                s.clinic,
                s.sent,
                s.withdrawn
            );
        }
        Ok(())
    }
}
