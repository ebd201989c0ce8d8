//! `dosewise today`: what today looks like (computed by `dosewise_app::today`).

use crate::context::Ctx;
use crate::error::CliResult;
use crate::output;
use dosewise_core::jiff::SignedDuration;
use dosewise_core::titration::ProposalKind;

#[derive(Debug, clap::Args)]
pub struct Args {}

impl Args {
    pub async fn run(self, ctx: &Ctx) -> CliResult {
        let store = ctx.open().await?;
        let tz = ctx.zone_of(&store).await?;
        let t = dosewise_app::today::today(&*store, ctx.now, &tz).await?;
        if ctx.json {
            return output::json(&t);
        }
        crate::outln!(
            "Today, {} ({})",
            ctx.now_in(&tz).strftime("%A %-d %B %Y"),
            tz.iana_name().unwrap_or("UTC")
        );
        for p in &t.protocols {
            crate::outln!("  {}", p.summary);
        }
        if let Some(tr) = &t.trial {
            match (&tr.code, tr.taken_today) {
                (Some(code), false) => crate::outln!(
                    "  Blinded trial, day {}: take today's container {code} and log it by its code: dosewise dose --container {code}",
                    tr.day
                ),
                (Some(code), true) => crate::outln!(
                    "  Blinded trial, day {}: today's container ({code}) is logged.{}",
                    tr.day,
                    if tr.guessed_today {
                        ""
                    } else {
                        " In your check-in, say what you think you took (--guess)."
                    }
                ),
                (None, _) => crate::outln!(
                    "  Blinded trial, day {}: a washout day, no trial dose.",
                    tr.day
                ),
            }
        }
        for pr in t
            .protocols
            .iter()
            .filter_map(|p| p.titration.as_ref())
            .filter(|pr| pr.kind != ProposalKind::Hold)
        {
            crate::outln!("  Titration: {}", pr.message);
        }
        for line in &t.after_dose {
            crate::outln!("  {line}");
        }
        if t.doses_today.is_empty() {
            crate::out!("  No dose logged today.");
            if let Some(d) = &t.last_dose {
                let ago = ctx.now.duration_since(d.dose.at);
                crate::out!(
                    " Last dose: {} at {} ({}).",
                    d.dose.amount_text(),
                    output::local_in(d.dose.at, &d.dose.zone, &tz),
                    ago_text(ago)
                );
            }
            crate::outln!();
        } else {
            crate::outln!(
                "  Doses today: {} ({} in total)",
                t.doses_today.len(),
                dosewise_core::dose::total_text(&t.doses_today)
            );
            for d in &t.doses_today {
                crate::outln!(
                    "    #{} {} {} at {}",
                    d.id,
                    d.dose.amount_text(),
                    d.dose.route,
                    output::local_in(d.dose.at, &d.dose.zone, &tz)
                );
            }
        }
        match &t.last_checkin {
            Some(c) if t.checked_in_today => {
                crate::outln!("  Checked in today: {}", super::checkin::summary(c))
            }
            Some(c) => crate::outln!(
                "  No check-in yet today (last: {}, {}). `dosewise checkin` takes a minute.",
                output::local_in(c.checkin.at, &c.checkin.zone, &tz),
                super::checkin::summary(c)
            ),
            None => crate::outln!("  No check-ins yet. `dosewise checkin` takes a minute."),
        }
        if !t.attention.is_empty() || !t.despite_today.is_empty() {
            crate::outln!("  Needs attention (`dosewise check` for details):");
        }
        for d in &t.despite_today {
            let how = if d.dose.override_reason.is_some() {
                "saved despite a refusal"
            } else {
                "recorded as taken despite a refusal"
            };
            crate::outln!(
                "  ! dose #{} at {} was {how}: {}",
                d.id,
                output::local_in(d.dose.at, &d.dose.zone, &tz),
                d.dose
                    .refusals()
                    .map(|f| f.message.as_str())
                    .collect::<Vec<_>>()
                    .join(" ")
            );
        }
        for f in &t.attention {
            crate::outln!("  ! {} {}", f.message, f.reason);
            if f.code == "self_harm_thoughts" {
                crate::outln!("    {}", f.action);
            }
        }
        for n in &t.clinic_notes {
            crate::outln!(
                "  From your clinic ({}, {}): {}",
                n.author,
                dosewise_core::when::local_text(n.at, &tz),
                n.text
            );
        }
        if t.screen_due {
            crate::outln!(
                "  Health screen due: asked every 6 months (`dosewise screen --ask`, or --condition CODE / --none)"
            );
        }
        if !t.questionnaires_due.is_empty() {
            crate::outln!(
                "  Questionnaires due: {} (`dosewise assess NAME`)",
                t.questionnaires_due.join(", ")
            );
        }
        let messages: Vec<&String> = t.stock.iter().flat_map(|s| s.messages.iter()).collect();
        if messages.is_empty() {
            if !t.stock.is_empty() {
                crate::outln!(
                    "  Stock: {}",
                    t.stock
                        .iter()
                        .map(|s| format!("{} {}", s.name, s.remaining_text))
                        .collect::<Vec<_>>()
                        .join("; ")
                );
            }
        } else {
            for m in messages {
                crate::outln!("  ! {m}");
            }
        }
        Ok(())
    }
}

fn ago_text(d: SignedDuration) -> String {
    let h = d.as_secs() / 3600;
    if h < 1 {
        format!("{} min ago", d.as_secs() / 60)
    } else if h < 48 {
        format!("{h} h ago")
    } else {
        format!("{} days ago", h / 24)
    }
}
