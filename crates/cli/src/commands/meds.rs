//! `dosewise meds`: the standing medication list the safety check reads.

use super::parse_date;
use crate::context::Ctx;
use crate::error::{CliResult, input};
use crate::output::{self, or_dash};
use dosewise_core::interaction;
use dosewise_core::medication::NewMedication;
use dosewise_core::route::Route;
use dosewise_store::Store;

#[derive(Debug, clap::Subcommand)]
pub enum Command {
    /// Add a medicine you take regularly (prescribed or not).
    Add {
        name: String,
        /// As you take it, e.g. "50 mg at night".
        #[arg(long)]
        dose: Option<String>,
        /// Since when, YYYY-MM-DD.
        #[arg(long)]
        since: Option<String>,
        /// The prescriber of your ketamine knows about this medicine and has planned for it. A
        /// refusal for the combination becomes a warning (still shown on every dose).
        #[arg(long)]
        clinician_aware: bool,
        #[arg(long)]
        note: Option<String>,
    },
    /// Current medicines (--all includes stopped ones), with what the interaction list says.
    List {
        #[arg(long)]
        all: bool,
    },
    /// Stop a medicine; it stays in the record.
    Remove { id: i64 },
}

fn verdict_for(name: &str) -> String {
    match interaction::find(name) {
        Some(i) => match i.level(Route::Sublingual).or(i.level(Route::Intranasal)) {
            Some(l) => format!("{}: {}", l.as_str(), i.name),
            None => format!("listed ({})", i.name),
        },
        None => "not in the interaction list — ask a pharmacist".into(),
    }
}

impl Command {
    pub async fn run(self, ctx: &Ctx) -> CliResult {
        match self {
            Command::Add {
                name,
                dose,
                since,
                clinician_aware,
                note,
            } => {
                let m = NewMedication {
                    name,
                    dose,
                    since: since
                        .as_deref()
                        .map(|s| parse_date("--since", s))
                        .transpose()?,
                    clinician_aware,
                    note,
                    added_at: ctx.now,
                }
                .validated()
                .map_err(input)?;
                let store = ctx.open().await?;
                let m = dosewise_app::records::medication(&*store, m).await?;
                if ctx.json {
                    return output::json(&m);
                }
                crate::outln!(
                    "Added medicine {}: {} — {}",
                    m.id,
                    m.medication.name,
                    verdict_for(&m.medication.name)
                );
                if let Some(i) = interaction::find(&m.medication.name) {
                    crate::outln!("  why: {}", i.reason);
                    crate::outln!("  what to do: {}", i.action);
                }
                Ok(())
            }
            Command::List { all } => {
                let store = ctx.open().await?;
                let meds = store.medications(all).await?;
                if ctx.json {
                    return output::json(&meds);
                }
                if meds.is_empty() {
                    crate::outln!(
                        "No medicines recorded. Add them with `dosewise meds add NAME`: the safety check reads this list."
                    );
                    return Ok(());
                }
                let mut t = output::table(&[
                    "id",
                    "medicine",
                    "dose",
                    "since",
                    "interaction",
                    "clinician aware",
                    "stopped",
                ]);
                for m in &meds {
                    let x = &m.medication;
                    t.add_row(vec![
                        m.id.to_string(),
                        x.name.clone(),
                        or_dash(x.dose.as_ref()),
                        or_dash(x.since),
                        verdict_for(&x.name),
                        if x.clinician_aware {
                            "yes".into()
                        } else {
                            "–".into()
                        },
                        m.removed_at.map_or("–".into(), |t| t.to_string()),
                    ]);
                }
                crate::outln!("{t}");
                Ok(())
            }
            Command::Remove { id } => {
                let store = ctx.open().await?;
                let m = dosewise_app::records::stop_medication(&*store, id, ctx.now).await?;
                if ctx.json {
                    return output::json(&m);
                }
                crate::outln!("Stopped {} (it stays in the record).", m.medication.name);
                Ok(())
            }
        }
    }
}
