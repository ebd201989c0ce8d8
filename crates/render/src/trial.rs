//! The self-blinded trial's two printouts: the container labels (a code and a date each, nothing
//! about the contents) for the person, and the fill list (each code and what goes in it) for the
//! helper who fills the containers. Pure HTML with a print stylesheet; the app prints it to PDF.

use crate::chart::esc;
use dosewise_core::jiff::civil::Date;
use dosewise_core::trial::Condition;

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
