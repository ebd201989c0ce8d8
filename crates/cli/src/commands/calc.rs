//! `dosewise calc`: volumetric and route arithmetic. Saves nothing and needs no journal.

use crate::context::Ctx;
use crate::error::CliResult;
use crate::output;
use dosewise_core::route::{Route, Substance};
use dosewise_core::salt::Salt;
use dosewise_core::units::fmt_num;
use dosewise_core::volumetric;

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
        let calc = dosewise_app::calc::solution(&dosewise_app::calc::SolutionRequest {
            mass: self.mass.clone(),
            volume: self.volume.clone(),
            dose: self.dose.clone(),
            purity: Some(self.purity),
            salt: Some(self.salt),
        })?;
        if ctx.json {
            return output::json(&calc);
        }
        let r = &calc.result;
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
        for n in &calc.notes {
            crate::outln!("{n}");
        }
        let mut sources = calc.sources.clone();
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
        let calc = dosewise_app::calc::spray(&dosewise_app::calc::SprayRequest {
            concentration: self.concentration.clone(),
            volume: self.volume.request(),
            dose: self.dose.clone(),
            salt: Some(self.salt),
        })?;
        if ctx.json {
            return output::json(&calc);
        }
        let r = &calc.result;
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
        let r = dosewise_app::calc::dilute(&dosewise_app::calc::DiluteRequest {
            from: self.from,
            to: self.to,
            volume: self.volume,
        })?;
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
        let e = dosewise_app::calc::convert(&dosewise_app::calc::ConvertRequest {
            dose: self.dose.clone(),
            from: self.from,
            to: self.to,
            substance: Some(self.substance),
        })?;
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
