//! The calculators (`dosewise calc`): a solution from powder, a nasal spray, diluting, and a
//! dose by another route. They change nothing, so each form is a GET and its result shows
//! below it, with the notes and sources.

use crate::layout::{Nav, page};
use axum::extract::Query;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use dosewise_app::calc::{
    ConvertRequest, DiluteRequest, SolutionRequest, SprayRequest, convert, dilute, solution, spray,
};
use dosewise_app::stock::SprayVolumeRequest;
use dosewise_core::route::Route;
use dosewise_core::salt::Salt;
use dosewise_core::units::fmt_num;
use maud::{Markup, html};
use std::collections::HashMap;

/// A calculator's answer, or why there is none.
fn problem(m: &str) -> Markup {
    html! { div.error role="alert" { strong { "Cannot calculate: " } (m) } }
}

fn notes(notes: &[&str], sources: &[&str]) -> Markup {
    let mut sources = sources.to_vec();
    sources.sort_unstable();
    sources.dedup();
    html! {
        @for n in notes { p.hint { (n) } }
        details { summary { "Sources" } ul.sources { @for s in &sources { li { (s) } } } }
    }
}

fn salt_of(q: &HashMap<String, String>) -> Option<Salt> {
    match q.get("salt").map(String::as_str) {
        Some("base") => Some(Salt::Base),
        _ => Some(Salt::Hcl),
    }
}

fn text(q: &HashMap<String, String>, k: &str) -> Option<String> {
    q.get(k)
        .map(|v| v.trim().to_string())
        .filter(|v| !v.is_empty())
}

fn solution_result(q: &HashMap<String, String>) -> Result<Markup, String> {
    let purity = match text(q, "purity") {
        Some(p) => Some(
            p.parse::<f64>()
                .map_err(|_| format!("purity {p:?} is not a number of percent"))?,
        ),
        None => None,
    };
    let c = solution(&SolutionRequest {
        mass: text(q, "mass").unwrap_or_default(),
        volume: text(q, "volume").unwrap_or_default(),
        dose: text(q, "dose"),
        purity,
        salt: salt_of(q),
    })
    .map_err(|e| e.to_string())?;
    let r = &c.result;
    let s = salt_of(q).unwrap_or(Salt::Hcl).label();
    Ok(html! {
        output.result for="s-mass s-volume s-dose" {
            p { "Concentration: " strong { (fmt_num(r.concentration_mg_per_ml)) " mg/mL " (s) } " (" (fmt_num(r.concentration_mg_base_per_ml)) " mg/mL base, " (fmt_num(r.concentration_mg_hcl_per_ml)) " mg/mL HCl); " (fmt_num(r.active_mg)) " mg " (s) " in the bottle." }
            @if let (Some(d), Some(v), Some(n)) = (r.dose_mg, r.volume_per_dose_ml, r.doses_per_batch) {
                p { (fmt_num(d)) " mg " (s) " per dose: " strong { (fmt_num(v)) " mL" } "; " (fmt_num(n.floor())) " doses in the batch." }
                @if v < 0.1 { p.hint { "Under 0.1 mL is hard to measure accurately; a weaker solution makes each dose a larger, more measurable volume." } }
            }
        }
        (notes(&c.notes, &c.sources))
    })
}

fn spray_result(q: &HashMap<String, String>) -> Result<Markup, String> {
    let counted = match text(q, "sprays_counted") {
        Some(n) => Some(
            n.parse::<u32>()
                .map_err(|_| format!("sprays counted {n:?} is not a whole number"))?,
        ),
        None => None,
    };
    let c = spray(&SprayRequest {
        concentration: text(q, "concentration").unwrap_or_default(),
        volume: SprayVolumeRequest {
            stated: text(q, "spray_volume"),
            filled: text(q, "filled"),
            sprays_counted: counted,
        },
        dose: text(q, "dose"),
        salt: salt_of(q),
    })
    .map_err(|e| e.to_string())?;
    let r = &c.result;
    Ok(html! {
        output.result {
            p { strong { (fmt_num(r.mg_per_spray)) " mg per spray" } " (" (fmt_num(r.concentration_mg_per_ml)) " mg/mL, " (fmt_num(r.spray_volume_ml)) " mL a spray)." }
            @if let (Some(d), Some(n)) = (r.dose_mg, r.sprays) {
                @if r.whole == Some(true) {
                    p { (fmt_num(d)) " mg = " strong { (fmt_num(n.round())) " sprays" } }
                } @else {
                    p { (fmt_num(d)) " mg would be " (fmt_num(n)) " sprays — a spray cannot be split. Nearest whole-spray doses:" }
                    ul { @for w in &r.nearest { li { (w.sprays) (if w.sprays == 1 { " spray = " } else { " sprays = " }) (fmt_num(w.dose_mg)) " mg" } } }
                }
            }
            p.hint { "Pumps deliver within about 10–25% of their stated volume; calibrating yours (fill a known volume, count the sprays) gives a better figure." }
        }
        (notes(&c.notes, &c.sources))
    })
}

fn dilute_result(q: &HashMap<String, String>) -> Result<Markup, String> {
    let r = dilute(&DiluteRequest {
        from: text(q, "from").unwrap_or_default(),
        to: text(q, "to").unwrap_or_default(),
        volume: text(q, "volume").unwrap_or_default(),
    })
    .map_err(|e| e.to_string())?;
    Ok(html! {
        output.result {
            p { "Add " strong { (fmt_num(r.water_to_add_ml)) " mL distilled water" } " to " (fmt_num(r.start_volume_ml)) " mL at " (fmt_num(r.from_mg_per_ml)) " mg/mL → " (fmt_num(r.final_volume_ml)) " mL at " (fmt_num(r.to_mg_per_ml)) " mg/mL (" (fmt_num(r.mg_in_solution)) " mg in total)." }
        }
    })
}

fn route(q: &HashMap<String, String>, k: &str) -> Result<Route, String> {
    text(q, k)
        .ok_or_else(|| {
            format!(
                "choose the route {}",
                if k == "from" {
                    "you know"
                } else {
                    "to estimate for"
                }
            )
        })?
        .parse::<Route>()
}

fn convert_result(q: &HashMap<String, String>) -> Result<Markup, String> {
    let e = convert(&ConvertRequest {
        dose: text(q, "dose").unwrap_or_default(),
        from: route(q, "from")?,
        to: route(q, "to")?,
        substance: None,
    })
    .map_err(|e| e.to_string())?;
    Ok(html! {
        output.result {
            p { (fmt_num(e.dose_mg)) " mg " (e.from.route) " ≈ " strong { (fmt_num(e.equivalent_mg_min)) "–" (fmt_num(e.equivalent_mg_max)) " mg " (e.to.route) }
                @if let Some(t) = e.equivalent_mg_typical { " (typical estimate " (fmt_num(t)) " mg)" } }
            @if let Some(why) = &e.no_typical_reason { p.hint { (why) } }
            @for x in [&e.from, &e.to] {
                p { (x.route) ": absorbed " (fmt_num(x.bioavailability_pct_min)) "–" (fmt_num(x.bioavailability_pct_max)) "% of the dose" }
                ul.sources { @for s in &x.sources { li { (fmt_num(s.value_pct)) "% [" (s.confidence) "] " (s.source) @if !s.study.is_empty() { " (" (s.study) ")" } } } }
            }
            p.hint { (e.caveat) }
        }
    })
}

/// The four calculators; `?kind=` names the one being answered.
pub async fn calc(Query(q): Query<HashMap<String, String>>) -> Response {
    let kind = q.get("kind").map(String::as_str);
    let answer = |k: &str, f: fn(&HashMap<String, String>) -> Result<Markup, String>| {
        (kind == Some(k)).then(|| f(&q))
    };
    let results = [
        answer("solution", solution_result),
        answer("spray", spray_result),
        answer("dilute", dilute_result),
        answer("convert", convert_result),
    ];
    let failed = results.iter().any(|r| matches!(r, Some(Err(_))));
    let shown = |r: &Option<Result<Markup, String>>| -> Markup {
        match r {
            Some(Ok(m)) => m.clone(),
            Some(Err(e)) => problem(e),
            None => html! {},
        }
    };
    // What was typed into `form`'s field `k`, to show it again under that form only.
    let v = |form: &str, k: &str| text(&q, k).filter(|_| kind == Some(form));
    let routes = ["sublingual", "buccal", "oral", "intranasal"];
    let body = html! {
        h1 { "Calculators" }
        p { "Arithmetic only: nothing is saved. Check every result against your prescription and your clinician's advice." }
        section.card #solution {
            h2 { "A solution from powder" }
            form method="get" action="/calc#solution" {
                input type="hidden" name="kind" value="solution";
                div.grid2 {
                    div { label for="s-mass" { "Powder mass" } p.hint { "\"500mg\"" } input #s-mass type="text" name="mass" required value=[v("solution", "mass")]; }
                    div { label for="s-volume" { "Final volume" } p.hint { "Powder plus distilled water, \"10mL\"" } input #s-volume type="text" name="volume" required value=[v("solution", "volume")]; }
                    div { label for="s-dose" { "Dose to measure (optional)" } p.hint { "In the powder's form, \"12mg\"" } input #s-dose type="text" name="dose" value=[v("solution", "dose")]; }
                    div { label for="s-purity" { "Purity in percent" } input #s-purity type="number" name="purity" min="1" max="100" step="any" value=(v("solution", "purity").unwrap_or_else(|| "100".into())); }
                    div { label for="s-salt" { "The mass is ketamine" } select #s-salt name="salt" { option value="hcl" { "HCl (the usual powder)" } option value="base" selected[q.get("salt").map(String::as_str) == Some("base") && kind == Some("solution")] { "base" } } }
                }
                button type="submit" { "Calculate" }
            }
            (shown(&results[0]))
        }
        section.card #spray {
            h2 { "A nasal spray" }
            form method="get" action="/calc#spray" {
                input type="hidden" name="kind" value="spray";
                div.grid2 {
                    div { label for="p-conc" { "Concentration" } p.hint { "\"100mg/mL\" or \"10%\"" } input #p-conc type="text" name="concentration" required value=[v("spray", "concentration")]; }
                    div { label for="p-vol" { "Volume of one spray" } p.hint { "As stated, \"0.1mL\"" } input #p-vol type="text" name="spray_volume" value=[v("spray", "spray_volume")]; }
                    div { label for="p-filled" { "Or: volume filled" } p.hint { "When you counted, \"5mL\"" } input #p-filled type="text" name="filled" value=[v("spray", "filled")]; }
                    div { label for="p-count" { "…and the sprays it gave" } input #p-count type="number" name="sprays_counted" min="1" value=[v("spray", "sprays_counted")]; }
                    div { label for="p-dose" { "Dose to deliver (optional)" } p.hint { "\"10mg\"" } input #p-dose type="text" name="dose" value=[v("spray", "dose")]; }
                }
                button type="submit" { "Calculate" }
            }
            (shown(&results[1]))
        }
        section.card #dilute {
            h2 { "Diluting a solution" }
            form method="get" action="/calc#dilute" {
                input type="hidden" name="kind" value="dilute";
                div.grid2 {
                    div { label for="d-from" { "Current concentration" } p.hint { "\"50mg/mL\"" } input #d-from type="text" name="from" required value=[v("dilute", "from")]; }
                    div { label for="d-to" { "Wanted concentration" } p.hint { "\"25mg/mL\"" } input #d-to type="text" name="to" required value=[v("dilute", "to")]; }
                    div { label for="d-volume" { "Volume you have" } p.hint { "\"10mL\"" } input #d-volume type="text" name="volume" required value=[v("dilute", "volume")]; }
                }
                button type="submit" { "Calculate" }
            }
            (shown(&results[2]))
        }
        section.card #convert {
            h2 { "A dose by another route" }
            p.hint { "An estimate of similar exposure from published absorption figures, as a range; not a dosing instruction." }
            form method="get" action="/calc#convert" {
                input type="hidden" name="kind" value="convert";
                div.grid2 {
                    div { label for="c-dose" { "Dose" } p.hint { "\"10mg\"" } input #c-dose type="text" name="dose" required value=[v("convert", "dose")]; }
                    div { label for="c-from" { "Route you know" } select #c-from name="from" { @for r in routes { option value=(r) selected[q.get("from").map(String::as_str) == Some(r)] { (r) } } } }
                    div { label for="c-to" { "Route to estimate for" } select #c-to name="to" { @for r in routes { option value=(r) selected[q.get("to").map(String::as_str) == Some(r) || (!q.contains_key("to") && r == "sublingual")] { (r) } } } }
                }
                button type="submit" { "Calculate" }
            }
            (shown(&results[3]))
        }
    };
    let status = if failed {
        StatusCode::BAD_REQUEST
    } else {
        StatusCode::OK
    };
    (status, page("Calculators", Nav::More, body)).into_response()
}
