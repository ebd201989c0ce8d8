//! `dosewise info`: the knowledge base in plain language, with sources.

use crate::context::Ctx;
use crate::error::{CliResult, input};
use crate::output;
use dosewise_core::interaction;
use dosewise_core::knowledge::{Confidence, knowledge, risks};
use dosewise_core::route::Route;
use dosewise_core::units::fmt_num;

#[derive(Debug, Clone, Copy, clap::ValueEnum)]
pub enum Topic {
    /// Ketamine and esketamine: salt forms, routes, absorption, timing.
    Ketamine,
    /// Absorption by route, with every estimate and its source.
    Routes,
    /// What other substances and medicines do with ketamine.
    Interactions,
    /// The main risks of repeated use.
    Risks,
    /// The contraindication screen questions.
    Screen,
    /// Dosewise's own thresholds and windows (confidence D), with the reasoning and sources.
    Rules,
    /// What the confidence codes H, M, L and D mean.
    Codes,
}

#[derive(Debug, clap::Args)]
pub struct Args {
    topic: Option<Topic>,
    /// For interactions: one substance or medicine, e.g. "xanax".
    name: Option<String>,
}

use dosewise_app::info::{self, PW_NOTICE};

const DISCLAIMER: &str = "Facts from published sources, for information; not medical advice. Confidence: H = read in the primary paper or label, M = secondary source (incl. community charts, animal studies), L = unverified, D = a Dosewise design choice (`dosewise info rules`).";

impl Args {
    pub fn run(self, ctx: &Ctx) -> CliResult {
        let Some(topic) = self.topic else {
            if ctx.json {
                return output::json(&info::TOPICS);
            }
            crate::outln!(
                "dosewise info ketamine | routes | interactions [NAME] | risks | screen | rules | codes"
            );
            crate::outln!("{DISCLAIMER}");
            return Ok(());
        };
        if ctx.json {
            let t = match topic {
                Topic::Ketamine => info::Topic::Ketamine,
                Topic::Routes => info::Topic::Routes,
                Topic::Interactions => info::Topic::Interactions,
                Topic::Risks => info::Topic::Risks,
                Topic::Screen => info::Topic::Screen,
                Topic::Rules => info::Topic::Rules,
                Topic::Codes => info::Topic::Codes,
            };
            return output::json(&info::topic(t, self.name.as_deref())?);
        }
        match topic {
            Topic::Ketamine | Topic::Routes => {
                let k = knowledge();
                if matches!(topic, Topic::Ketamine) {
                    crate::outln!(
                        "Salt form: 1 mg ketamine base = {} mg ketamine HCl. {} [{:?}: {}]",
                        k.salt.hcl_per_mg_base,
                        k.salt.basis,
                        k.salt.confidence,
                        k.salt.sources.join("; ")
                    );
                    crate::outln!(
                        "Labels state strength as HCl or as base; always check which. Dosewise shows both.\n"
                    );
                }
                for s in &k.substances {
                    crate::outln!("{}:", s.name);
                    for r in &s.routes {
                        let b = r.bioavailability_pct;
                        crate::outln!(
                            "  {:<13} absorbed {}-{}% ({}){}",
                            r.route.as_str(),
                            fmt_num(b.min),
                            fmt_num(b.max),
                            b.typical.map_or(
                                "sources disagree > 2x: no single typical figure".into(),
                                |t| format!("typical {}%", fmt_num(t))
                            ),
                            r.timing.as_ref().map_or(String::new(), |t| format!(
                                "; peak {} [{}]",
                                t.peak, t.source
                            ))
                        );
                        for n in [&r.note, &r.dose_dependence, &r.metabolite]
                            .into_iter()
                            .flatten()
                        {
                            crate::outln!("                {n}");
                        }
                        if matches!(topic, Topic::Routes) {
                            for e in &r.estimates {
                                let study = e.study();
                                crate::outln!(
                                    "                - {}% [{}] {}{}",
                                    fmt_num(e.value),
                                    e.confidence,
                                    e.source,
                                    if study.is_empty() {
                                        String::new()
                                    } else {
                                        format!(" ({study})")
                                    }
                                );
                            }
                        }
                    }
                }
                crate::outln!(
                    "\nAbsorption varies a lot between people; these are averages from small studies."
                );
            }
            Topic::Interactions => match &self.name {
                Some(name) => {
                    let i = interaction::find(name).ok_or_else(|| {
                        input(format!("{name:?} is not in Dosewise's interaction list. That does not mean it is safe with ketamine: ask a pharmacist."))
                    })?;
                    crate::outln!("{} (also: {})", i.name, i.aliases.join(", "));
                    let level = i
                        .level(Route::Sublingual)
                        .or(i.level(Route::Intranasal))
                        .map_or("info", |l| l.as_str());
                    crate::outln!(
                        "  level: {level}; a logged use counts for {} h before a dose (Dosewise's default, D)",
                        i.window_hours
                    );
                    crate::outln!("  why: {}", i.reason);
                    crate::outln!("  what to do: {}", i.action);
                    for s in &i.sources {
                        crate::outln!(
                            "  source: {} — {} [{}, {}]{}",
                            s.source,
                            s.status.as_deref().unwrap_or("-"),
                            s.confidence,
                            s.level.as_str(),
                            s.routes.as_ref().map_or(String::new(), |r| format!(
                                " (routes: {})",
                                r.iter().map(|x| x.as_str()).collect::<Vec<_>>().join(", ")
                            ))
                        );
                    }
                    if i.sources
                        .iter()
                        .any(|s| s.source.contains("PsychonautWiki"))
                    {
                        crate::outln!("  {PW_NOTICE}");
                    }
                }
                None => {
                    let all = interaction::all();
                    let mut t = output::table(&[
                        "substance or medicine",
                        "sublingual/oral",
                        "nasal",
                        "counts for",
                    ]);
                    let mut rows: Vec<_> = all.iter().collect();
                    rows.sort_by_key(|i| std::cmp::Reverse(i.level(Route::Oral)));
                    for i in rows {
                        let lvl = |r: Route| i.level(r).map_or("–", |l| l.as_str());
                        t.add_row(vec![
                            i.name.clone(),
                            lvl(Route::Sublingual).into(),
                            lvl(Route::Intranasal).into(),
                            format!("{} h", i.window_hours),
                        ]);
                    }
                    crate::outln!("{t}");
                    crate::outln!(
                        "`dosewise info interactions NAME` shows the reason and the sources. Not listed does not mean safe."
                    );
                    crate::outln!("{PW_NOTICE}");
                }
            },
            Topic::Risks => {
                for r in risks() {
                    crate::outln!("{}\n  {}", r.title, r.summary);
                    for s in &r.sources {
                        crate::outln!("  source: {s}");
                    }
                    crate::outln!();
                }
            }
            Topic::Screen => {
                let q = dosewise_core::screen::questions();
                for x in q {
                    crate::outln!(
                        "{:<28} {} [{}: {} ({})]",
                        x.code,
                        x.question,
                        x.level.as_str(),
                        x.source,
                        x.confidence
                    );
                }
                crate::outln!(
                    "A yes shows on every dose until a clinician review is recorded (`dosewise clear screen`); refuse-level answers refuse doses until then. Asked again every {} days (`dosewise screen`).",
                    dosewise_core::screen::RECHECK_DAYS
                );
            }
            Topic::Rules => {
                let rules = dosewise_core::rules::all();
                crate::outln!(
                    "Dosewise's own thresholds (confidence D: {}).\n",
                    Confidence::D.meaning()
                );
                for r in rules {
                    crate::outln!("{} [D]: {}", r.id, r.threshold);
                    crate::outln!("  why: {}", r.reasoning);
                    for s in &r.leans_on {
                        crate::outln!("  leans on: {s}");
                    }
                }
            }
            Topic::Codes => {
                for c in Confidence::ALL {
                    crate::outln!("{c}  {}", c.meaning());
                }
                crate::outln!(
                    "An L fact is never the sole basis of a refusal; a D rule never cites a source for a number that source does not contain."
                );
            }
        }
        if !ctx.json {
            crate::outln!("{DISCLAIMER}");
        }
        Ok(())
    }
}
