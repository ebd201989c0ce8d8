//! `dosewise clear`: record that a clinician has reviewed a standing red flag.

use crate::context::Ctx;
use crate::error::{CliResult, input};
use crate::output;
use dosewise_core::safety::ClearanceTopic;
use dosewise_core::text;
use dosewise_store::Store;

#[derive(Debug, Clone, Copy, clap::ValueEnum)]
pub enum Topic {
    /// Urinary symptoms were reviewed by a clinician.
    Urinary,
    /// The contraindication screen was reviewed by a clinician.
    Screen,
}

#[derive(Debug, clap::Args)]
pub struct Args {
    topic: Topic,
    /// Who reviewed it and what they said (kept in the record).
    #[arg(long)]
    note: String,
}

impl Args {
    pub async fn run(self, ctx: &Ctx) -> CliResult {
        let note = text::label("note", &self.note).map_err(input)?;
        let topic = match self.topic {
            Topic::Urinary => ClearanceTopic::Urinary,
            Topic::Screen => ClearanceTopic::Screen,
        };
        let store = ctx.open().await?;
        let c = store.add_clearance(topic, ctx.now, Some(&note)).await?;
        if ctx.json {
            return output::json(&c);
        }
        crate::outln!(
            "Recorded a clinician review of {} ({note}).",
            topic.as_str()
        );
        crate::outln!(
            "Earlier {} findings stop repeating; new ones after today will show again.",
            topic.as_str()
        );
        Ok(())
    }
}
