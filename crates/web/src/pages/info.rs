//! The knowledge base (`dosewise info`): routes and absorption, interactions, risks, the health
//! screen's questions, Dosewise's own rules and the confidence codes, each with its sources.

use crate::error::WebError;
use crate::layout::{Nav, page};
use axum::extract::Query;
use dosewise_core::interaction;
use dosewise_core::knowledge::{Confidence, knowledge, risks};
use dosewise_core::route::Route;
use dosewise_core::units::fmt_num;
use maud::{Markup, html};
use std::collections::HashMap;

const TOPICS: [(&str, &str); 6] = [
    ("routes", "Absorption by route"),
    ("interactions", "Interactions"),
    ("risks", "Risks of repeated use"),
    ("screen", "The health screen"),
    ("rules", "Dosewise's own rules"),
    ("codes", "Confidence codes"),
];

fn level(l: Option<dosewise_core::safety::Severity>) -> &'static str {
    l.map_or("–", |s| s.as_str())
}

fn routes() -> Markup {
    let k = knowledge();
    html! {
        p { "1 mg ketamine base = " (fmt_num(k.salt.hcl_per_mg_base)) " mg ketamine HCl. Labels state strength as HCl or as base; Dosewise shows both." }
        @for s in &k.substances {
            h3 { (s.name) }
            div.table-wrap { table {
                thead { tr { th scope="col" { "Route" } th scope="col" { "Absorbed (% of the dose)" } th scope="col" { "Estimates and sources" } } }
                tbody { @for r in &s.routes {
                    tr {
                        td { (r.route) }
                        td { (fmt_num(r.bioavailability_pct.min)) "–" (fmt_num(r.bioavailability_pct.max)) @if let Some(t) = r.bioavailability_pct.typical { " (typical " (fmt_num(t)) ")" } }
                        td {
                            ul.sources { @for e in &r.estimates { li { (fmt_num(e.value)) "% [" (e.confidence) "] " (e.source) } } }
                            @for n in [&r.dose_dependence, &r.note, &r.metabolite].into_iter().flatten() { p.hint { (n) } }
                        }
                    }
                } }
            } }
        }
    }
}

fn interactions(name: Option<&str>) -> Result<Markup, WebError> {
    if let Some(name) = name {
        let i = interaction::find(name).ok_or_else(|| {
            WebError::Input(format!("{name:?} is not in Dosewise's interaction list. That does not mean it is safe with ketamine: ask a pharmacist."))
        })?;
        return Ok(html! {
            h3 { (i.name) }
            p.hint { "Also: " (i.aliases.join(", ")) }
            p { strong { "Sublingual or oral: " } (level(i.level(Route::Sublingual))) " · " strong { "Nasal: " } (level(i.level(Route::Intranasal))) " · a logged use counts for " (i.window_hours) " h" }
            p { strong { "Why: " } (i.reason) }
            p { strong { "What to do: " } (i.action) }
            ul.sources { @for s in &i.sources { li { (s.source) " [" (s.confidence) "]: " (s.level.as_str()) @if let Some(st) = &s.status { " (" (st) ")" } } } }
            p { a href="/info?topic=interactions" { "All interactions" } }
        });
    }
    Ok(html! {
        form method="get" action="/info" {
            input type="hidden" name="topic" value="interactions";
            label for="i-name" { "Look up a substance or medicine" }
            input #i-name type="text" name="name" required;
            button type="submit" { "Look up" }
        }
        div.table-wrap { table {
            thead { tr { th scope="col" { "Substance or medicine" } th scope="col" { "Sublingual/oral" } th scope="col" { "Nasal" } th scope="col" { "Counts for" } } }
            tbody { @for i in interaction::all() {
                tr {
                    td { a href={ "/info?topic=interactions&name=" (i.id) } { (i.name) } }
                    td { (level(i.level(Route::Sublingual))) }
                    td { (level(i.level(Route::Intranasal))) }
                    td { (i.window_hours) " h" }
                }
            } }
        } }
    })
}

fn risk_list() -> Markup {
    html! {
        @for r in risks() {
            h3 { (r.title) }
            p { (r.summary) }
            ul.sources { @for s in &r.sources { li { (s) } } }
        }
    }
}

fn screen() -> Markup {
    html! {
        p { "Asked when the journal is set up and every 6 months (" a href="/screen" { "your answers" } ")." }
        @for q in dosewise_core::screen::questions() {
            h3 { (q.question) }
            p { strong { (q.level.as_str()) ": " } (q.reason) }
            ul.sources { li { (q.source) " (" (q.confidence) ")" } }
        }
    }
}

fn rules() -> Markup {
    html! {
        p { "Confidence D: " (Confidence::D.meaning()) "." }
        @for r in dosewise_core::rules::all() {
            h3 { (r.id) }
            p { (r.threshold) }
            p.hint { "Why: " (r.reasoning) }
            ul.sources { @for s in &r.leans_on { li { "Leans on: " (s) } } }
        }
    }
}

fn codes() -> Markup {
    html! {
        dl { @for c in Confidence::ALL { dt { (c) } dd { (c.meaning()) } } }
        p { "An L fact is never the sole basis of a refusal; a D rule never cites a source for a number that source does not contain." }
    }
}

pub async fn info(Query(q): Query<HashMap<String, String>>) -> Result<Markup, WebError> {
    let topic = q.get("topic").map_or("routes", String::as_str);
    let name = q.get("name").map(|n| n.trim()).filter(|n| !n.is_empty());
    let title = TOPICS
        .iter()
        .find(|(k, _)| *k == topic)
        .map(|(_, t)| *t)
        .ok_or_else(|| WebError::NotFound(format!("no topic {topic:?}")))?;
    let content = match topic {
        "interactions" => interactions(name)?,
        "risks" => risk_list(),
        "screen" => screen(),
        "rules" => rules(),
        "codes" => codes(),
        _ => routes(),
    };
    Ok(page(
        "Knowledge",
        Nav::More,
        html! {
            h1 { "What Dosewise knows" }
            p.hint { "Facts from published sources, for information; not medical advice. Confidence: H = read in the primary paper or label, M = secondary source (including community charts and animal studies), L = unverified, D = a Dosewise design choice." }
            nav aria-label="Topics" { ul.links { @for (k, t) in TOPICS {
                li { @if k == topic { strong aria-current="page" { (t) } } @else { a href={ "/info?topic=" (k) } { (t) } } }
            } } }
            h2 { (title) }
            (content)
            @if topic == "interactions" { p.hint { (dosewise_app::info::PW_NOTICE) } }
        },
    ))
}
