//! `dosewise clear`: record that a clinician has reviewed a standing red flag.

use crate::context::Ctx;
use crate::error::CliResult;
use crate::output;
use dosewise_core::safety::ClearanceTopic;

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
        let topic = match self.topic {
            Topic::Urinary => ClearanceTopic::Urinary,
            Topic::Screen => ClearanceTopic::Screen,
        };
        let store = ctx.open().await?;
        let c = dosewise_app::records::clear(&*store, topic, &self.note, ctx.now).await?;
        let note = c.note.clone().unwrap_or_default();
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
