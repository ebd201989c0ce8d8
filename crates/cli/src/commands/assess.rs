//! `dosewise assess`: PHQ-9, GAD-7 and the plain bladder and use questions.

use crate::context::Ctx;
use crate::error::{CliResult, input};
use crate::output;
use dosewise_core::questionnaire::{CRISIS_SOURCE, Instrument, due, instrument, parse_answers};
use dosewise_store::{Store, Window};
use std::io::{BufRead, IsTerminal, Write};

#[derive(Debug, clap::Args)]
#[command(
    after_help = "PHQ-9 and GAD-7 are free to use (Pfizer, 2010). The bladder and use questions are plain questions, not validated scales."
)]
pub struct Args {
    /// phq9, gad7, bladder or substance; omit to list them with when each is due.
    which: Option<String>,
    /// All answers at once, comma-separated, e.g. 1,2,0,1,0,0,1,0,0 (otherwise you are asked).
    #[arg(long)]
    answers: Option<String>,
    #[arg(long, allow_hyphen_values = true)]
    at: Option<String>,
    #[arg(long)]
    note: Option<String>,
}

fn ask(i: &Instrument) -> CliResult<Vec<i64>> {
    let mut err = std::io::stderr();
    let _ = writeln!(err, "{} — {}\n{}", i.name, i.title, i.stem);
    for (label, v) in &i.responses {
        let _ = writeln!(err, "  {v} = {label}");
    }
    let mut out = Vec::new();
    for (n, item) in i.items.iter().enumerate() {
        loop {
            let _ = write!(err, "{}. {item}: ", n + 1);
            let _ = err.flush();
            let mut line = String::new();
            if std::io::stdin().lock().read_line(&mut line)? == 0 {
                return Err(input(
                    "the questionnaire was not finished; nothing was saved",
                ));
            }
            match line.trim().parse::<i64>() {
                Ok(v) if i.responses.iter().any(|r| i64::from(r.1) == v) => {
                    out.push(v);
                    break;
                }
                _ => {
                    let _ = writeln!(err, "   please type one of the numbers above");
                }
            }
        }
    }
    Ok(out)
}

impl Args {
    pub async fn run(self, ctx: &Ctx) -> CliResult {
        let store = ctx.open().await?;
        let tz = ctx.zone_of(&store).await?;
        let Some(which) = self.which else {
            let past = store.assessments(Window::default()).await?;
            let standing: Vec<_> = due(&past, ctx.now)
                .into_iter()
                .map(|d| (d.instrument, d.last, d.due))
                .collect();
            if ctx.json {
                return output::json(&standing.iter().map(|(i, last, d)| serde_json::json!({
                    "id": i.id, "name": i.name, "every_days": i.cadence_days, "due": d,
                    "last": last.map(|a| serde_json::json!({"at": a.assessment.at, "total": a.assessment.total, "band": a.assessment.band})),
                })).collect::<Vec<_>>());
            }
            for (i, last, is_due) in standing {
                crate::outln!(
                    "{:<10} {:<70} every {} days; {}{}",
                    i.id,
                    i.title,
                    i.cadence_days,
                    last.map_or("never taken".to_string(), |a| format!(
                        "last {} ({} {})",
                        output::local_in(a.assessment.at, &a.assessment.zone, &tz),
                        a.assessment.total,
                        a.assessment.band
                    )),
                    if is_due { " — due" } else { "" }
                );
            }
            return Ok(());
        };
        let i = instrument(&which).ok_or_else(|| {
            input(format!(
                "unknown questionnaire {which:?}: use phq9, gad7, bladder or substance"
            ))
        })?;
        let answers = match &self.answers {
            Some(a) => parse_answers(a).map_err(input)?,
            None if std::io::stdin().is_terminal() && !ctx.json => ask(i)?,
            None => {
                return Err(input(format!(
                    "give the {} answers with --answers 0,1,…",
                    i.items.len()
                )));
            }
        };
        let saved = dosewise_app::records::assessment(
            &*store,
            &i.id,
            &answers,
            self.at.as_deref(),
            self.note.as_deref(),
            ctx.tz_flag(),
            ctx.now,
        )
        .await?;
        let flag = saved.assessment.self_harm_flag();
        let crisis = dosewise_app::records::crisis(&*store).await?;
        if ctx.json {
            return output::json(&serde_json::json!({
                "assessment": saved, "max": i.max, "validated": i.validated,
                "crisis": flag.then_some(serde_json::json!({"message": crisis, "source": CRISIS_SOURCE})),
                "reminder": i.reminder,
            }));
        }
        if flag {
            crate::outln!("! {crisis}\n  [{CRISIS_SOURCE}]\n");
        }
        crate::outln!(
            "{}: {} of {} — {}",
            i.name,
            saved.assessment.total,
            i.max,
            saved.assessment.band
        );
        if !i.validated {
            crate::outln!(
                "  (plain questions, not a validated scale: anything above 0 is worth telling your clinician)"
            );
        }
        crate::outln!("  {}", i.attribution);
        if let Some(r) = &i.reminder {
            crate::outln!("  {r}");
        }
        Ok(())
    }
}
