//! `dosewise init`: create the journal and set the profile.

use crate::context::Ctx;
use crate::error::{CliResult, input};
use crate::output;
use dosewise_core::text;
use dosewise_core::units::{Kilograms, fmt_num};
use dosewise_core::when;
use dosewise_store::Store;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Your home time zone (IANA name). Default: the system's.
    #[arg(long, value_name = "ZONE")]
    zone: Option<String>,
    /// Body weight, for mg/kg: "70 kg", "154 lb" (a bare number is kg).
    #[arg(long, value_name = "WEIGHT")]
    weight: Option<String>,
    /// A name to show on reports (optional).
    #[arg(long)]
    name: Option<String>,
    /// Screen: a condition that applies to you (see `dosewise info screen`); repeat for several.
    #[arg(long = "condition", value_name = "CODE")]
    conditions: Vec<String>,
    /// Screen: none of the screen's conditions applies to you.
    #[arg(long, conflicts_with = "conditions")]
    no_conditions: bool,
    /// A crisis line to show first whenever Dosewise shows crisis guidance (a number or a name,
    /// e.g. "988" or "Samaritans 116 123"); "" removes it.
    #[arg(long, value_name = "LINE")]
    crisis_line: Option<String>,
    /// How to reach your clinician, shown beside the crisis line in crisis guidance (a name and
    /// a number, e.g. "Dr Lee 030 1234567"); "" removes it.
    #[arg(long, value_name = "CONTACT")]
    clinician: Option<String>,
    /// Create the journal encrypted (SQLCipher). Every command then needs the passphrase.
    #[arg(long)]
    encrypt: bool,
    /// With --encrypt: file holding the new passphrase (otherwise you are asked twice).
    #[arg(long, value_name = "FILE", requires = "encrypt")]
    new_passphrase_file: Option<std::path::PathBuf>,
}

/// "70", "70kg", "70.5 kg", "154 lb".
pub fn parse_weight(s: &str) -> CliResult<Kilograms> {
    Ok(dosewise_app::records::parse_weight(s)?)
}

impl Args {
    pub async fn run(self, ctx: &Ctx) -> CliResult {
        // Check everything before touching the disk (the app checks again before writing).
        let mut update = dosewise_app::profile::ProfileUpdate {
            zone: self.zone.clone(),
            weight: self.weight.clone(),
            name: self.name.clone(),
            screen: None,
            crisis_line: self.crisis_line.clone(),
            clinician: self.clinician.clone(),
        };
        if let Some(z) = &update.zone {
            when::zone(z).map_err(input)?;
        }
        update.weight.as_deref().map(parse_weight).transpose()?;
        text::opt_label("name", update.name.as_deref()).map_err(input)?;
        dosewise_core::screen::answer(&[], &self.conditions, ctx.now).map_err(input)?;
        update
            .crisis_line
            .as_deref()
            .map(|l| dosewise_app::screen::crisis_line(Some(l)))
            .transpose()?;
        update
            .clinician
            .as_deref()
            .map(|c| dosewise_app::screen::clinician(Some(c)))
            .transpose()?;

        let store = if self.encrypt {
            let key =
                crate::secrets::new_key(self.new_passphrase_file.as_deref(), "the new journal")?;
            ctx.create_encrypted(&key).await?
        } else {
            ctx.open_or_create().await?
        };
        // A home made by hand (or by an older version) may be open to other accounts.
        if let Some(was) = dosewise_app::files::tighten_dir(&ctx.home)? {
            eprintln!(
                "{} was readable by other accounts (mode {was:o}); it is now private (700).",
                ctx.home.display()
            );
        }
        let first = store.profile().await?.is_none();
        update.screen = if !self.conditions.is_empty() {
            Some(self.conditions.clone())
        } else if self.no_conditions {
            Some(vec![])
        } else if first && !ctx.json {
            super::screen::ask()?
        } else {
            None
        };
        let (p, created) = dosewise_app::profile::update(&*store, &update, ctx.now).await?;
        if ctx.json {
            return output::json(&serde_json::json!({
                "home": ctx.home, "database": ctx.db_path(), "created": created, "profile": p,
            }));
        }
        crate::outln!(
            "{} journal at {}",
            if created { "Created a" } else { "Updated the" },
            ctx.home.display()
        );
        crate::outln!("  zone:   {}", p.zone);
        crate::outln!(
            "  weight: {}",
            p.weight_kg
                .map_or("not set (needed for mg/kg)".into(), |w| format!(
                    "{} kg",
                    fmt_num(w.value())
                ))
        );
        if let Some(n) = &p.name {
            crate::outln!("  name:   {n}");
        }
        if p.screened_at.is_none() {
            crate::outln!(
                "  screen: not answered yet (`dosewise screen --ask`, or --condition CODE / --none; `dosewise info screen` lists them)"
            );
        } else if p.screen.is_empty() {
            crate::outln!("  screen: no condition recorded");
        } else {
            crate::outln!(
                "  screen: {} — shown with every dose until a clinician review is recorded (`dosewise clear screen`)",
                p.screen_codes().join(", ")
            );
        }
        if let Some(l) = &p.crisis_line {
            crate::outln!("  crisis line: {l} (shown first in crisis guidance)");
        }
        if let Some(c) = &p.clinician {
            crate::outln!("  clinician: {c} (shown in crisis guidance)");
        }
        if created {
            crate::outln!(
                "\nNext: record what you hold with `dosewise stock add troche --name \"Troche 25\" --strength 25mg --count 30`."
            );
            crate::outln!("Dosewise informs; it does not prescribe. Work with your clinician.");
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn weights() {
        assert_eq!(parse_weight("70").ok().map(|w| w.value()), Some(70.0));
        assert_eq!(parse_weight("70 kg").ok().map(|w| w.value()), Some(70.0));
        assert!((parse_weight("154 lb").map(|w| w.value()).unwrap_or(0.0) - 69.85).abs() < 0.01);
        assert!(parse_weight("7000").is_err());
        assert!(parse_weight("NaN").is_err());
        assert!(parse_weight("-70").is_err());
        assert!(parse_weight("seventy").is_err());
    }
}
