//! Insights with the SVG charts, and the clinician report (HTML view and PDF download).

use crate::AppState;
use crate::error::WebError;
use crate::layout::{Nav, error_box, page};
use axum::extract::{Query, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use base64::Engine;
use dosewise_core::insights::{Comparison, OUTCOMES, Welch};
use dosewise_core::units::fmt_num;
use dosewise_render::report::{changes_list, insight_charts};
use dosewise_store::Store;
use maud::{Markup, PreEscaped, html};
use sha2::Digest;

#[derive(Debug, Default, serde::Deserialize)]
pub struct Period {
    pub from: Option<String>,
    pub to: Option<String>,
}

fn period_form(action: &str, from: impl std::fmt::Display, to: impl std::fmt::Display) -> Markup {
    html! {
        form method="get" action=(action) class="grid2 noprint" {
            div { label for="from" { "From" } input #from type="date" name="from" value=(from); }
            div { label for="to" { "To" } input #to type="date" name="to" value=(to); }
            div { button type="submit" { "Show" } }
        }
    }
}

pub async fn page_(st: &AppState, q: &Period) -> Result<Response, WebError> {
    let store = st.store().await;
    let tz = super::zone(st, &store).await?;
    let now = st.now();
    let i = match dosewise_app::insights::insights(
        &*store,
        q.from.as_deref(),
        q.to.as_deref(),
        now,
        &tz,
    )
    .await
    {
        Ok(i) => i,
        Err(dosewise_app::AppError::Input(m) | dosewise_app::AppError::Conflict(m)) => {
            let body = html! { h1 { "Insights" } (error_box(Some(&m))) p { a href="/insights" { "All records" } } };
            return Ok((
                StatusCode::BAD_REQUEST,
                page("Insights", Nav::Insights, body),
            )
                .into_response());
        }
        Err(e) => return Err(e.into()),
    };
    let j = store.export().await?;
    drop(store);
    let w = dosewise_app::period::window(i.from, i.to, &tz, false)?;
    let (t0, t1) = (w.from.unwrap_or(now), w.to.unwrap_or(now));
    let charts = insight_charts(&j, i.from, i.to, t0, t1, &tz);
    let (changes, ratings_svg, scale_svgs) = (&charts.changes, &charts.ratings, &charts.scales);
    let dr = &i.dose_response;
    let body = html! {
        h1 { "Insights" }
        (period_form("/insights", i.from, i.to))
        p { (i.from) " to " (i.to) ": " (i.dose_days) " dose days, " (i.days_after) " check-ins on days after, " (i.off_days_with_checkins) " on off days." }
        p.card { strong { "Read this first. " } (i.caveat) }
        @if let Some(svg) = ratings_svg {
            figure { (PreEscaped(svg)) figcaption.muted { "Green ticks mark doses; dashed numbered lines mark protocol changes." } }
            (PreEscaped(changes_list(changes)))
        }
        h2 { "Ratings by kind of day" }
        p { "Compared with off days (for anxiety and irritability, lower is better):" }
        ul.plain {
            @for r in &i.ratings {
                li {
                    strong { (r.rating) } ": on dose days, " (plain(r.dose_vs_off.as_ref()))
                    "; the day after, " (plain(r.after_vs_off.as_ref())) "."
                }
            }
        }
        details.numbers {
            summary { "The numbers: means, spreads and 95% intervals" }
            p.muted { "Mean ± SD, and the difference from off days with a 95% interval (an interval that includes 0 means no clear difference). At least " (i.min_n) " in each group, or no number." }
            div.table-wrap { table.stack {
                thead { tr { th scope="col" { "Rating" } th scope="col" { "Dose day" } th scope="col" { "Day after" } th scope="col" { "Off day" } th scope="col" { "Dose − off" } th scope="col" { "After − off" } } }
                tbody { @for r in &i.ratings {
                    tr {
                        th scope="row" { (r.rating) }
                        td data-label="Dose day" { (r.dose_day.text()) } td data-label="Day after" { (r.day_after.text()) } td data-label="Off day" { (r.off_day.text()) }
                        td data-label="Dose − off" { (r.dose_vs_off.as_ref().map_or("not enough data".into(), Welch::text)) }
                        td data-label="After − off" { (r.after_vs_off.as_ref().map_or("not enough data".into(), Welch::text)) }
                    }
                } }
            } }
        }
        h2 { "PHQ-9 and GAD-7" }
        @if i.scales.is_empty() { p { "Fewer than two scores in the period. " a href="/assess" { "Questionnaires" } } }
        @for c in &i.scales {
            p {
                strong { (c.name()) } ": " (c.baseline) " → " (c.latest) " (" (format!("{:+}", c.change)) ")"
                @for m in c.marks() { " · " (m) }
            }
        }
        @for svg in scale_svgs { figure { (PreEscaped(svg)) } }
        h2 { "Dose–response" }
        @if dr.levels.is_empty() { p { "No dose days in the period." } }
        ul { @for l in &dr.levels {
            li { (fmt_num(l.mg_base)) " mg base: " (l.days) " day" @if l.days != 1 { "s" } ", mood the next day " (l.next_day_mood.map_or("–".to_string(), |m| format!("{m:.1} on average"))) }
        } }
        @if let Some(split) = dr.split_mg_base {
            // The caveat beside the result, in the same weight: a difference here is not a
            // reason to take more.
            p.caveat { (dr.note) }
            p { "Higher doses (over " (fmt_num(split)) " mg base) compared with lower ones:" }
            ul.plain {
                @for (a, b) in dr.same_day.iter().zip(&dr.next_day) {
                    li { strong { (a.rating) } ": after the dose, " (plain(a.difference.as_ref())) "; the next day, " (plain(b.difference.as_ref())) "." }
                }
            }
            details.numbers {
                summary { "The numbers: differences with 95% intervals" }
                div.table-wrap { table.stack {
                    thead { tr { th scope="col" { "Rating" } th scope="col" { "After the dose, same day" } th scope="col" { "Next day" } } }
                    tbody { @for (a, b) in dr.same_day.iter().zip(&dr.next_day) {
                        tr { th scope="row" { (a.rating) } td data-label="Same day" { (a.text()) } td data-label="Next day" { (b.text()) } }
                    } }
                } }
            }
        } @else if !dr.levels.is_empty() { p { "One amount only: nothing to compare doses with." } }
        h2 { "Factors and the ratings that follow them" }
        p { (i.factors_note) }
        @let clear = clear_factors(&i.factors);
        @if clear.is_empty() {
            p { "No clear difference with any factor." }
        } @else {
            p { "Clear differences (with the factor compared with without it):" }
            ul.plain { @for l in &clear { li { (l) } } }
            p { "Every other factor and rating: no clear difference, or too few days." }
        }
        details.numbers {
            summary { "The numbers: every factor and rating" }
            p.muted { "With minus without, 95% interval, at least " (i.min_n) " days each. A poor night's sleep rating describes the night before the check-in, so it is compared with the same day's ratings." }
            div.table-wrap { table.stack {
                thead { tr { th scope="col" { "Factor" } th scope="col" { "Ratings" } th scope="col" { "Days with / without" } @for o in OUTCOMES { th scope="col" { (o) } } } }
                tbody { @for f in &i.factors {
                    tr {
                        th scope="row" { (f.factor) } td data-label="Ratings" { (f.timing) } td data-label="Days with / without" { (f.days_with) " / " (f.days_without) }
                        @for o in OUTCOMES { td data-label=(o) { (f.comparisons.iter().find(|c| c.rating == o).map_or("(same rating)".to_string(), Comparison::text)) } }
                    }
                } }
            } }
        }
    };
    Ok(page("Insights", Nav::Insights, body).into_response())
}

/// The factor comparisons whose interval excludes 0, in words: "alcohol — mood, next day:
/// lower, by about 0.9".
fn clear_factors(factors: &[dosewise_core::insights::Factor]) -> Vec<String> {
    factors
        .iter()
        .flat_map(|f| {
            f.comparisons.iter().filter_map(move |c| {
                let w = c.difference.as_ref()?;
                let (lo, hi) = (w.ci95_low, w.ci95_high);
                (lo > 0.0 || hi < 0.0)
                    .then(|| format!("{} — {}, {}: {}", f.factor, c.rating, f.timing, w.plain()))
            })
        })
        .collect()
}

/// A difference in words, or that there were too few days to say.
fn plain(w: Option<&Welch>) -> String {
    w.map_or_else(|| "too few days to compare".into(), Welch::plain)
}

pub async fn view(
    State(st): State<AppState>,
    Query(q): Query<Period>,
) -> Result<Response, WebError> {
    page_(&st, &q).await
}

#[derive(Debug, Default, serde::Deserialize)]
pub struct ReportQuery {
    pub from: Option<String>,
    pub to: Option<String>,
    /// Comma-separated section names.
    pub sections: Option<String>,
    /// "1" to include private notes.
    pub private: Option<String>,
}

/// The report's HTML for a query, and its file name (without extension).
async fn report(st: &AppState, q: &ReportQuery) -> Result<(String, String), WebError> {
    let req = dosewise_app::report::ReportRequest {
        from: q.from.as_deref(),
        to: q.to.as_deref(),
        sections: q.sections.as_deref().unwrap_or("").split(',').collect(),
        include_private: q.private.as_deref() == Some("1"),
    };
    let store = st.store().await;
    let tz = super::zone(st, &store).await?;
    let report = dosewise_app::report::build(&*store, &req, st.now(), &tz).await?;
    let stem = report.file_stem();
    Ok((report.html, stem))
}

pub async fn report_options() -> Markup {
    let body = html! {
        h1 { "Clinician report" }
        p { "One to three pages for your clinician: regimen against the plan, supply, PHQ-9 and GAD-7, daily ratings, vital signs, side effects and urinary symptoms, red flags, medicines, your shared notes, and which entries were back-filled." }
        form method="get" action="/report/view" {
            div.grid2 {
                div { label for="from" { "From" } p.hint { "Empty: from your plan's first day (at most a year back)." } input #from type="date" name="from"; }
                div { label for="to" { "To" } p.hint { "Empty: today." } input #to type="date" name="to"; }
            }
            div.checks { label { input type="checkbox" name="private" value="1"; "Include notes marked private" } }
            button type="submit" { "View the report" }
            button.secondary type="submit" formaction="/report.pdf" { "Download PDF" }
        }
        p.hint { "The PDF is printed by Chromium, Chrome or Edge on this computer. Any browser can also print the report itself: view it and press \u{201c}Print or save as PDF\u{201d}." }
    };
    page("Report", Nav::Report, body)
}

/// The report as its own page; its stylesheet is allowed by hash, nothing else inline.
pub async fn report_view(
    State(st): State<AppState>,
    Query(q): Query<ReportQuery>,
) -> Result<Response, WebError> {
    let (html, _) = report(&st, &q).await?;
    Ok(printable(html))
}

/// A document of its own with a print stylesheet (the report, the trial's labels): the
/// browser's own print offered by a script (nothing inline; hidden when printing), and its
/// stylesheet allowed by hash, nothing else inline.
pub fn printable(html: String) -> Response {
    let html = html.replacen(
        "</body>",
        "<script src=\"/static/print.js\" defer></script></body>",
        1,
    );
    let csp = style_hashes(&html)
        .map(|h| crate::security::CSP.replace("style-src 'self'", &format!("style-src 'self' {h}")))
        .unwrap_or_else(|| crate::security::CSP.to_string());
    let mut r = axum::response::Html(html).into_response();
    if let Ok(v) = HeaderValue::from_str(&csp) {
        r.headers_mut().insert(header::CONTENT_SECURITY_POLICY, v);
    }
    r
}

/// CSP hashes of every `<style>` element in a document.
pub fn style_hashes(html: &str) -> Option<String> {
    let mut out = Vec::new();
    let mut rest = html;
    while let Some(a) = rest.find("<style>") {
        let after = &rest[a + 7..];
        let b = after.find("</style>")?;
        let digest = sha2::Sha256::digest(&after.as_bytes()[..b]);
        out.push(format!(
            "'sha256-{}'",
            base64::engine::general_purpose::STANDARD.encode(digest)
        ));
        rest = &after[b..];
    }
    (!out.is_empty()).then(|| out.join(" "))
}

pub async fn report_pdf(
    State(st): State<AppState>,
    Query(q): Query<ReportQuery>,
) -> Result<Response, WebError> {
    // One print at a time: each starts a Chromium.
    let _printing = st.0.printing.try_acquire().map_err(|_| {
        WebError::Busy("a report is already being printed; try again in a moment".into())
    })?;
    let (html, name) = report(&st, &q).await?;
    let chromium = st
        .0
        .config
        .chromium
        .clone()
        .or_else(dosewise_app::pdf::find_chromium)
        .ok_or_else(|| WebError::Input("this computer has no Chromium, Chrome or Edge to print the PDF with; press \u{201c}View the report\u{201d} and use its \u{201c}Print or save as PDF\u{201d} button (your browser's own print) instead".into()))?;
    let home = st.0.config.home.clone();
    let pdf =
        tokio::task::spawn_blocking(move || dosewise_app::pdf::print_pdf(&chromium, &home, &html))
            .await
            .map_err(|e| WebError::Internal(format!("the print task failed: {e}")))??;
    let mut r = (StatusCode::OK, pdf).into_response();
    let h = r.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/pdf"),
    );
    if let Ok(v) = HeaderValue::from_str(&format!("attachment; filename=\"{name}.pdf\"")) {
        h.insert(header::CONTENT_DISPOSITION, v);
    }
    Ok(r)
}
