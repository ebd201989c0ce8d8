//! `dosewise calc`: volumetric and route arithmetic. Saves nothing and needs no journal.

use crate::context::Ctx;
use crate::error::{CliResult, input};
use crate::output;
use dosewise_core::dose_expr::{parse_concentration, parse_mass, parse_volume};
use dosewise_core::exposure::equivalent;
use dosewise_core::preparation::SprayVolumeSpec;
use dosewise_core::route::{Route, Substance};
use dosewise_core::salt::Salt;
use dosewise_core::units::{Millilitres, fmt_num};
use dosewise_core::volumetric::{self, SprayVolume};

#[derive(Debug, clap::Subcommand)]
pub enum Command {
    /// A solution made from powder: concentration, mL per dose, doses per batch.
    Solution(SolutionArgs),
    /// A nasal spray: mg per spray and sprays per dose.
    Spray(SprayArgs),
    /// Water to add to dilute a solution to a lower concentration.
    Dilute(DiluteArgs),
    /// Estimated dose by another route giving a similar exposure (a range, with sources).
    Convert(ConvertArgs),
}

#[derive(Debug, clap::Args)]
pub struct SolutionArgs {
    /// Powder mass, e.g. "500mg" or "0.5 g".
    #[arg(long)]
    mass: String,
    /// Final volume of the solution (powder plus distilled water), e.g. "10mL".
    #[arg(long)]
    volume: String,
    /// Dose to measure, in the same salt form as the powder, e.g. "12mg".
    #[arg(long)]
    dose: Option<String>,
    /// Purity of the powder in percent (default 100).
    #[arg(long, default_value_t = 100.0)]
    purity: f64,
    /// Whether the powder mass is ketamine HCl or base.
    #[arg(long, default_value = "hcl")]
    salt: Salt,
}

#[derive(Debug, clap::Args)]
pub struct SprayArgs {
    /// Concentration, e.g. "50mg/mL" or "10%" (w/v).
    #[arg(long)]
    concentration: String,
    #[command(flatten)]
    volume: SprayVolumeArgs,
    /// Dose to deliver, e.g. "10mg".
    #[arg(long)]
    dose: Option<String>,
    /// Whether the concentration is ketamine HCl or base.
    #[arg(long, default_value = "hcl")]
    salt: Salt,
}

/// How the volume of one spray is known: stated, or calibrated by counting.
#[derive(Debug, clap::Args)]
pub struct SprayVolumeArgs {
    /// Volume of one spray, e.g. "0.1mL" (as stated by the pump or pharmacy).
    #[arg(long, required_unless_present = "filled", conflicts_with_all = ["filled", "sprays_counted"])]
    spray_volume: Option<String>,
    /// Calibration: volume filled into the bottle, e.g. "5mL"...
    #[arg(long, requires = "sprays_counted")]
    filled: Option<String>,
    /// ...and the number of sprays it gave when counted.
    #[arg(long, requires = "filled")]
    sprays_counted: Option<u32>,
}

impl SprayVolumeArgs {
    /// The flags as the app's request.
    pub fn request(&self) -> dosewise_app::stock::SprayVolumeRequest {
        dosewise_app::stock::SprayVolumeRequest {
            stated: self.spray_volume.clone(),
            filled: self.filled.clone(),
            sprays_counted: self.sprays_counted,
        }
    }

    pub fn spec(&self) -> CliResult<SprayVolumeSpec> {
        Ok(self.request().spec()?)
    }
}

#[derive(Debug, clap::Args)]
pub struct DiluteArgs {
    /// Current concentration, e.g. "50mg/mL".
    #[arg(long)]
    from: String,
    /// Wanted concentration, e.g. "25mg/mL".
    #[arg(long)]
    to: String,
    /// Volume of the current solution, e.g. "10mL".
    #[arg(long)]
    volume: String,
}

#[derive(Debug, clap::Args)]
pub struct ConvertArgs {
    /// The dose, e.g. "10mg".
    dose: String,
    /// Route of the dose you know.
    #[arg(long)]
    from: Route,
    /// Route to estimate for.
    #[arg(long)]
    to: Route,
    /// racemic "ketamine" or "esketamine".
    #[arg(long, default_value = "ketamine")]
    substance: Substance,
}

/// A calculator's result with the notes and sources that go with it, as one JSON document.
fn with_notes<'a>(
    r: &impl serde::Serialize,
    notes: impl IntoIterator<Item = &'a &'a str>,
    sources: impl IntoIterator<Item = &'a &'a str>,
) -> serde_json::Value {
    let mut v = serde_json::to_value(r).unwrap_or(serde_json::Value::Null);
    if let Some(o) = v.as_object_mut() {
        o.insert("notes".into(), notes.into_iter().copied().collect());
        o.insert("sources".into(), sources.into_iter().copied().collect());
    }
    v
}

impl Command {
    pub fn run(self, ctx: &Ctx) -> CliResult {
        match self {
            Command::Solution(a) => a.run(ctx),
            Command::Spray(a) => a.run(ctx),
            Command::Dilute(a) => a.run(ctx),
            Command::Convert(a) => a.run(ctx),
        }
    }
}

impl SolutionArgs {
    fn run(self, ctx: &Ctx) -> CliResult {
        let mass = parse_mass(&self.mass).map_err(input)?;
        let volume = parse_volume(&self.volume).map_err(input)?;
        let dose = self
            .dose
            .as_deref()
            .map(parse_mass)
            .transpose()
            .map_err(input)?;
        let r = volumetric::solution(mass, self.salt, self.purity, volume, dose).map_err(input)?;
        if ctx.json {
            return output::json(&with_notes(
                &r,
                volumetric::HOME_SOLUTION_NOTES
                    .iter()
                    .chain([&volumetric::NASAL_NOTE]),
                volumetric::HOME_SOLUTION_SOURCES
                    .iter()
                    .chain(volumetric::NASAL_SOURCES.iter()),
            ));
        }
        let s = self.salt.label();
        crate::outln!(
            "Solution: {} mg {s} powder at {}% purity in {} mL final volume",
            fmt_num(r.mass_mg),
            fmt_num(r.purity_pct),
            fmt_num(r.volume_ml)
        );
        crate::outln!("  ketamine in the bottle: {} mg {s}", fmt_num(r.active_mg));
        crate::outln!(
            "  concentration:          {} mg/mL {s}  (= {} mg/mL base, {} mg/mL HCl)",
            fmt_num(r.concentration_mg_per_ml),
            fmt_num(r.concentration_mg_base_per_ml),
            fmt_num(r.concentration_mg_hcl_per_ml)
        );
        if let (Some(d), Some(v), Some(n)) = (r.dose_mg, r.volume_per_dose_ml, r.doses_per_batch) {
            crate::outln!("  {} mg {s} per dose:      {} mL", fmt_num(d), fmt_num(v));
            crate::outln!("  doses per batch:        {}", fmt_num(n.floor()));
            if v < 0.1 {
                crate::outln!(
                    "  note: under 0.1 mL is hard to measure accurately; a weaker solution makes each dose a larger, more measurable volume."
                );
            }
        }
        for n in volumetric::HOME_SOLUTION_NOTES
            .iter()
            .chain([&volumetric::NASAL_NOTE])
        {
            crate::outln!("{n}");
        }
        let mut sources: Vec<&str> = volumetric::HOME_SOLUTION_SOURCES.to_vec();
        sources.extend(volumetric::NASAL_SOURCES);
        sources.sort_unstable();
        sources.dedup();
        for src in sources {
            crate::outln!("  source: {src}");
        }
        Ok(())
    }
}

impl SprayArgs {
    fn run(self, ctx: &Ctx) -> CliResult {
        let c = parse_concentration(&self.concentration).map_err(input)?;
        let vol = SprayVolume::from(self.volume.spec()?);
        let dose = self
            .dose
            .as_deref()
            .map(parse_mass)
            .transpose()
            .map_err(input)?;
        let r = volumetric::spray(c, vol, dose).map_err(input)?;
        if ctx.json {
            return output::json(&with_notes(
                &r,
                [&volumetric::NASAL_NOTE],
                volumetric::NASAL_SOURCES.iter(),
            ));
        }
        let s = self.salt.label();
        crate::outln!(
            "Spray: {} mg/mL {s}, {} mL per spray → {} mg {s} per spray",
            fmt_num(r.concentration_mg_per_ml),
            fmt_num(r.spray_volume_ml),
            fmt_num(r.mg_per_spray)
        );
        if let (Some(d), Some(n)) = (r.dose_mg, r.sprays) {
            if r.whole == Some(true) {
                crate::outln!("  {} mg = {} sprays", fmt_num(d), fmt_num(n.round()));
            } else {
                crate::outln!(
                    "  {} mg would be {} sprays — not a whole number of sprays; a spray cannot be split.",
                    fmt_num(d),
                    fmt_num(n)
                );
                for w in &r.nearest {
                    crate::outln!(
                        "  nearest: {} {} = {} mg",
                        w.sprays,
                        if w.sprays == 1 { "spray" } else { "sprays" },
                        fmt_num(w.dose_mg)
                    );
                }
            }
        }
        crate::outln!(
            "Pumps deliver within about 10-25% of their stated volume; calibrate yours (fill a known volume, count sprays) for a better figure."
        );
        crate::outln!("{}", volumetric::NASAL_NOTE);
        for src in volumetric::NASAL_SOURCES {
            crate::outln!("  source: {src}");
        }
        Ok(())
    }
}

impl DiluteArgs {
    fn run(self, ctx: &Ctx) -> CliResult {
        let from = parse_concentration(&self.from).map_err(input)?;
        let to = parse_concentration(&self.to).map_err(input)?;
        let v: Millilitres = parse_volume(&self.volume).map_err(input)?;
        let r = volumetric::dilute(from, to, v).map_err(input)?;
        if ctx.json {
            return output::json(&r);
        }
        crate::outln!(
            "Add {} mL distilled water to {} mL at {} mg/mL → {} mL at {} mg/mL ({} mg in total).",
            fmt_num(r.water_to_add_ml),
            fmt_num(r.start_volume_ml),
            fmt_num(r.from_mg_per_ml),
            fmt_num(r.final_volume_ml),
            fmt_num(r.to_mg_per_ml),
            fmt_num(r.mg_in_solution)
        );
        Ok(())
    }
}

impl ConvertArgs {
    fn run(self, ctx: &Ctx) -> CliResult {
        let dose = parse_mass(&self.dose).map_err(input)?;
        let e = equivalent(self.substance, dose, self.from, self.to).map_err(input)?;
        if ctx.json {
            return output::json(&e);
        }
        crate::outln!(
            "{} mg {} ≈ {}–{} mg {}{}",
            fmt_num(e.dose_mg),
            self.from,
            fmt_num(e.equivalent_mg_min),
            fmt_num(e.equivalent_mg_max),
            self.to,
            e.equivalent_mg_typical.map_or(String::new(), |t| format!(
                " (typical estimate {} mg)",
                fmt_num(t)
            ))
        );
        if let Some(why) = &e.no_typical_reason {
            crate::outln!("  {why}");
        }
        for x in [&e.from, &e.to] {
            crate::outln!(
                "  {}: absorbed {}–{}% of the dose{}",
                x.route,
                fmt_num(x.bioavailability_pct_min),
                fmt_num(x.bioavailability_pct_max),
                x.bioavailability_pct_typical
                    .map_or(String::new(), |t| format!(" (typical {}%)", fmt_num(t)))
            );
            for s in &x.sources {
                crate::outln!(
                    "    - {}% [{}] {}{}",
                    fmt_num(s.value_pct),
                    s.confidence,
                    s.source,
                    if s.study.is_empty() {
                        String::new()
                    } else {
                        format!(" ({})", s.study)
                    }
                );
            }
            for n in [&x.dose_dependence, &x.note, &x.metabolite]
                .into_iter()
                .flatten()
            {
                crate::outln!("    {n}");
            }
        }
        crate::outln!("{}", e.caveat);
        Ok(())
    }
}
