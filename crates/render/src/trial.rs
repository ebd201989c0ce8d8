//! The self-blinded trial's two printouts: the container labels (a code and a date each, nothing
//! about the contents) for the person, and the fill list (each code and what goes in it) for the
//! helper who fills the containers. Pure HTML with a print stylesheet; the app prints it to PDF.

use crate::chart::{Chart, Series, esc};
use dosewise_core::jiff::Timestamp;
use dosewise_core::jiff::civil::Date;
use dosewise_core::jiff::tz::TimeZone;
use dosewise_core::trial::Condition;
use dosewise_core::trial_record::{Evaluated, Trial, Voice, num as fmt, pval};

const CSS: &str = "body{font-family:sans-serif;margin:1.5cm;color:#111}h1{font-size:1.2rem}\
.labels{display:grid;grid-template-columns:repeat(3,1fr);gap:.4cm}\
.label{border:1px dashed #555;padding:.4cm;text-align:center;break-inside:avoid}\
.code{font:bold 1.6rem monospace;letter-spacing:.15em}.date{font-size:.85rem;color:#333}\
table{border-collapse:collapse}td,th{border:1px solid #999;padding:.2cm .4cm;text-align:left}\
.warn{border:2px solid #111;padding:.3cm;font-weight:bold}@page{size:A4;margin:1cm}";

fn page(title: &str, body: &str) -> String {
    format!(
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>{}</title><style>{CSS}</style></head><body>{body}</body></html>",
        esc(title)
    )
}

/// The labels, one per dosing day: the container's code and the day to take it. Nothing on them
/// tells the contents.
pub fn labels(days: &[(Date, &str)]) -> String {
    let mut b = String::from(
        "<h1>Trial containers: one label each</h1><p>Stick each label on its container. Take the container of the day; log the dose by its code.</p><div class=\"labels\">",
    );
    for (date, code) in days {
        b.push_str(&format!(
            "<div class=\"label\"><div class=\"code\">{}</div><div class=\"date\">{}</div></div>",
            esc(code),
            date.strftime("%a %-d %b %Y")
        ));
    }
    b.push_str("</div>");
    page("Trial labels", &b)
}

/// The fill list for the helper: each code and what goes into its container (`dose`: what an
/// active container holds, "1/2 troche of Troche 25 mg").
pub fn fill_list(list: &[(&str, Condition)], dose: &str) -> String {
    let mut b = format!(
        "<h1>Trial fill list</h1><p class=\"warn\">For the person filling the containers only. Do not show it to the person taking them, and keep it out of their reach until the trial ends: it is the blind.</p><p>Fill each container with what its code says: the active medicine or the identical placebo, both from the prescriber's pharmacy. An active container holds {dose}; a placebo container the same amount of placebo.</p><table><thead><tr><th scope=\"col\">Code</th><th scope=\"col\">Contents</th></tr></thead><tbody>",
        dose = esc(dose)
    );
    for (code, c) in list {
        b.push_str(&format!(
            "<tr><td class=\"code\">{}</td><td>{}</td></tr>",
            esc(code),
            match c {
                Condition::Active => "active",
                Condition::Placebo => "placebo",
            }
        ));
    }
    b.push_str("</tbody></table>");
    page("Trial fill list", &b)
}

/// What a revealed trial's result shows, gathered by the caller.
#[derive(Debug)]
pub struct ResultView<'a> {
    pub trial: &'a Trial,
    pub e: &'a Evaluated,
    pub tz: &'a TimeZone,
    /// Whose words: the person's page, or the clinician's report.
    pub voice: Voice,
}

/// Colour-blind-safe (Okabe–Ito): vermilion for active, blue for placebo.
const ACTIVE: &str = "#d55e00";
const PLACEBO: &str = "#0072b2";

fn noon(d: Date, tz: &TimeZone) -> Timestamp {
    d.at(12, 0, 0, 0)
        .to_zoned_datetime(tz.clone())
        .map(|z| z.timestamp())
        .unwrap_or_default()
}

/// The outcome on each analysed day, coloured by what the container held (after unblinding).
pub fn outcome_chart(v: &ResultView<'_>) -> Chart {
    let t = &v.trial.trial;
    let max = match t.outcome.name() {
        "phq9" => 27.0,
        "gad7" => 21.0,
        _ => 10.0,
    };
    let series = |c: Condition, label: &str, colour: &'static str| Series {
        label: label.into(),
        colour,
        points: v
            .e
            .observed
            .days
            .iter()
            .filter(|d| d.condition == c)
            .map(|d| (noon(d.date, v.tz), d.outcome))
            .collect(),
        markers_only: true,
    };
    let from = noon(t.design.start, v.tz)
        .checked_sub(dosewise_core::jiff::Span::new().hours(12))
        .unwrap_or_default();
    let to = noon(t.design.end(), v.tz)
        .checked_add(dosewise_core::jiff::Span::new().hours(12))
        .unwrap_or_default();
    Chart {
        title: format!("{} by day, after unblinding", t.outcome.label()),
        y_label: t.outcome.label(),
        y_min: 0.0,
        y_max: max,
        from,
        to,
        tz: v.tz.clone(),
        series: vec![
            series(Condition::Active, "active", ACTIVE),
            series(Condition::Placebo, "placebo", PLACEBO),
        ],
        bands: vec![],
        rules: vec![],
        ticks: vec![],
        events: vec![],
    }
}

/// The guesses as a bar: right, wrong, don't know, against the half that chance gets right.
pub fn guess_bar(correct: usize, guessed: usize, dont_know: usize) -> String {
    let wrong = guessed.saturating_sub(correct);
    let total = (guessed + dont_know).max(1) as f64;
    let w = 320.0;
    let part = |n: usize| w * n as f64 / total;
    let (a, b) = (part(correct), part(wrong));
    let c = part(dont_know);
    let chance = if guessed > 0 {
        w * guessed as f64 / total / 2.0
    } else {
        0.0
    };
    format!(
        "<svg class=\"guess-bar\" viewBox=\"0 0 {w} 40\" width=\"{w}\" role=\"img\" aria-label=\"Guesses: {correct} right, {wrong} wrong, {dont_know} did not know\">\
<title>Guesses: {correct} right, {wrong} wrong, {dont_know} did not know</title>\
<rect x=\"0\" y=\"8\" width=\"{a:.1}\" height=\"24\" fill=\"#1b7f3b\"/>\
<rect x=\"{a:.1}\" y=\"8\" width=\"{b:.1}\" height=\"24\" fill=\"#b3261e\"/>\
<rect x=\"{ab:.1}\" y=\"8\" width=\"{c:.1}\" height=\"24\" fill=\"#777\"/>\
<line x1=\"{chance:.1}\" x2=\"{chance:.1}\" y1=\"2\" y2=\"38\" stroke=\"currentColor\" stroke-width=\"2\" stroke-dasharray=\"3 2\"/></svg>\
<figcaption>Green: guessed right ({correct}); red: guessed wrong ({wrong}); grey: did not know ({dont_know}). The dashed line is where chance alone would put the right guesses.</figcaption>",
        ab = a + b,
    )
}

/// The result as an HTML fragment (a section of the web page and of the clinician report):
/// the reading, the figures, and the two plots. `h` is the heading level of its title; on
/// `paper` the chart is drawn once, at the width of the page.
pub fn result_html(v: &ResultView<'_>, h: u8, paper: bool) -> String {
    let t = &v.trial.trial;
    let reading = match v.voice {
        Voice::Person => &v.e.reading,
        Voice::Clinician => &v.e.clinician_reading,
    };
    let (h, h2) = (h.clamp(1, 5), h.clamp(1, 5) + 1);
    let mut b = format!(
        "<section class=\"trial-result\"><h{h}>Is it the drug? The blinded trial, {} to {}{}</h{h}>",
        t.design.start,
        t.design.end(),
        if v.e.stopped { " (stopped early)" } else { "" }
    );
    b.push_str(&format!(
        "<p>Outcome: {}; the smallest change that mattered, set before the start: {}. Dose every dosing day: {}. {} blocks of {} active and {} placebo day(s) in a random order, {} washout day(s) after each period; the allocation was sealed to the key held by {}.</p>",
        esc(&t.outcome.label()),
        fmt(t.smallest_change),
        esc(&t.dose),
        t.design.blocks,
        t.design.period_days,
        t.design.period_days,
        t.design.washout_days,
        esc(&t.key_holder)
    ));
    b.push_str(&format!(
        "<p class=\"trial-headline\"><strong>{}</strong></p><ul>",
        esc(&reading.headline)
    ));
    for l in &reading.lines {
        b.push_str(&format!("<li>{}</li>", esc(l)));
    }
    b.push_str("</ul>");
    if let Some(a) = &v.e.analysis {
        let mut rows: Vec<(String, String)> = vec![
            (
                "Days analysed (active / placebo)".into(),
                format!("{} / {}", a.active_days, a.placebo_days),
            ),
            (
                "Difference, active − placebo (improvement)".into(),
                match &a.interval {
                    Some(w) => format!(
                        "{} (95 % interval {} to {})",
                        fmt(a.effect),
                        fmt(w.ci95_low),
                        fmt(w.ci95_high)
                    ),
                    None => fmt(a.effect),
                },
            ),
            (
                "Randomisation test".into(),
                format!(
                    "p {} ({} {} block orders)",
                    pval(a.p_value),
                    if a.exact {
                        "exact over all"
                    } else {
                        "a sample of"
                    },
                    a.allocations
                ),
            ),
        ];
        if let Some(bz) = &v.e.bayes {
            rows.push((
                "Bayesian estimate (AR(1) and trend)".into(),
                format!(
                    "{} (95 % credible interval {} to {}); P(effect > {}): {}",
                    fmt(bz.effect),
                    fmt(bz.low),
                    fmt(bz.high),
                    fmt(t.smallest_change),
                    dosewise_core::trial_record::pct(bz.p_meaningful)
                ),
            ));
        }
        let bl = &a.blinding;
        rows.push((
            "Guesses right".into(),
            format!(
                "{} of {} (binomial p {}); did not know: {}",
                bl.correct,
                bl.guessed,
                pval(bl.p_value),
                bl.dont_know
            ),
        ));
        if let Some(w) = &bl.effect_when_not_guessed {
            rows.push((
                "Difference on days guessed wrong or unknown".into(),
                format!(
                    "{} (95 % interval {} to {})",
                    fmt(w.difference),
                    fmt(w.ci95_low),
                    fmt(w.ci95_high)
                ),
            ));
        }
        b.push_str("<table class=\"trial-figures\"><tbody>");
        for (k, val) in rows {
            b.push_str(&format!(
                "<tr><th scope=\"row\">{}</th><td>{}</td></tr>",
                esc(&k),
                esc(&val)
            ));
        }
        b.push_str("</tbody></table>");
        b.push_str(&format!(
            "<h{h2}>{} by day</h{h2}><figure>{}</figure>",
            esc(&t.outcome.label()),
            if paper {
                outcome_chart(v).svg()
            } else {
                crate::report::screen_figure(&outcome_chart(v))
            }
        ));
        b.push_str(&format!(
            "<h{h2}>Guesses</h{h2}><figure>{}</figure>",
            guess_bar(bl.correct, bl.guessed, bl.dont_know)
        ));
    }
    let o = &v.e.observed;
    b.push_str(&format!(
        "<p class=\"hint\">Left out of the analysis: {} dosing day(s) without a dose from a trial container, {} without a {} recorded, {} unblinded early, {} after the stop.{} Washout days are never analysed.</p></section>",
        o.no_dose,
        o.no_outcome,
        esc(&t.outcome.label()),
        o.unblinded,
        o.after_stop,
        if o.swapped > 0 { format!(" {} day(s) took another day's container and count as what it held.", o.swapped) } else { String::new() }
    ));
    b
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels_carry_codes_and_days_only_and_the_fill_list_the_contents() {
        let d: Date = "2026-12-01".parse().unwrap_or_default();
        let e: Date = "2026-12-02".parse().unwrap_or_default();
        let l = labels(&[(d, "K7QF3"), (e, "<X&Y>")]);
        assert!(
            l.contains(">K7QF3<") && l.contains("Tue 1 Dec 2026") && l.contains("Wed 2 Dec 2026")
        );
        assert!(
            l.contains("&lt;X&amp;Y&gt;") && !l.contains("<X&Y>"),
            "codes are escaped"
        );
        assert!(
            !l.contains("active") && !l.contains("placebo"),
            "a label tells nothing of its contents"
        );
        let f = fill_list(
            &[("K7QF3", Condition::Active), ("M3PRT", Condition::Placebo)],
            "1/2 troche <of> T",
        );
        assert!(f.contains("An active container holds 1/2 troche &lt;of&gt; T"));
        assert!(f.contains("<td class=\"code\">K7QF3</td><td>active</td>"));
        assert!(f.contains("<td class=\"code\">M3PRT</td><td>placebo</td>"));
        assert!(f.contains("For the person filling the containers only"));
    }
}
