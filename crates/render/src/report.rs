//! The clinician report: one HTML document (with a print stylesheet) that a person brings to
//! their clinician. Built from the journal for a period; private check-in notes are left out
//! unless explicitly asked for. Pure: the caller passes the journal, the period and "now".

use crate::chart::{Band, Chart, Rule, Series, esc};
use dosewise_core::adherence::adherence;
use dosewise_core::checkin::Checkin;
use dosewise_core::dose::Dose;
use dosewise_core::interaction;
use dosewise_core::jiff::Timestamp;
use dosewise_core::jiff::civil::Date;
use dosewise_core::jiff::tz::TimeZone;
use dosewise_core::journal::Journal;
use dosewise_core::questionnaire::{Assessment, Instrument, change, instrument};
use dosewise_core::route::Route;
use dosewise_core::safety::{HR_REFUSE, Severity, bp_tier};
use dosewise_core::units::fmt_num;
use dosewise_core::vitals::BpLimit;
use dosewise_core::vitals::{Vitals, VitalsContext};
use std::fmt::Write;

#[derive(Debug, Clone)]
pub struct ReportOptions {
    pub from: Date,
    pub to: Date,
    pub tz: TimeZone,
    pub generated: Timestamp,
    /// Include check-in notes marked private (never by default).
    pub include_private: bool,
    /// The sections to include, in the report's order; empty means all. "About these data"
    /// (provenance) is always included, so a partial report still says how it was recorded.
    pub sections: Vec<Section>,
}

/// A section of the report, by the name `--sections` takes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Section {
    Regimen,
    Supply,
    Scales,
    Ratings,
    Vitals,
    SideEffects,
    Medicines,
    Notes,
    Trial,
}

impl Section {
    pub const ALL: [Section; 9] = [
        Section::Regimen,
        Section::Supply,
        Section::Scales,
        Section::Ratings,
        Section::Trial,
        Section::Vitals,
        Section::SideEffects,
        Section::Medicines,
        Section::Notes,
    ];
    pub fn name(self) -> &'static str {
        match self {
            Section::Regimen => "regimen",
            Section::Supply => "supply",
            Section::Scales => "scales",
            Section::Ratings => "ratings",
            Section::Vitals => "vitals",
            Section::SideEffects => "side-effects",
            Section::Medicines => "medicines",
            Section::Notes => "notes",
            Section::Trial => "trial",
        }
    }
}

impl std::str::FromStr for Section {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        let key = s.trim().to_ascii_lowercase().replace('_', "-");
        Section::ALL
            .into_iter()
            .find(|x| x.name() == key)
            .ok_or_else(|| {
                format!(
                    "unknown report section {s:?}; choose from {}",
                    Section::ALL.map(Section::name).join(", ")
                )
            })
    }
}

impl ReportOptions {
    fn wants(&self, s: Section) -> bool {
        self.sections.is_empty() || self.sections.contains(&s)
    }
}

const CSS: &str = "body{font-family:system-ui,sans-serif;max-width:52rem;margin:1.5rem auto;padding:0 1rem;color:#111;line-height:1.4}
h1{font-size:1.5rem;margin-bottom:.2rem}.glance{border:2px solid #0b4f8a;border-radius:6px;padding:.1rem .8rem .2rem;margin-top:1rem}.glance h2{border:0;margin:.4rem 0 .2rem}.glance ul{margin:.2rem 0;padding-left:1.1rem}h2{font-size:1.1rem;border-bottom:1px solid #999;margin-top:1.6rem}
table{border-collapse:collapse;width:100%;font-size:.9rem;margin:.4rem 0}th,td{border-bottom:1px solid #ddd;padding:.25rem .4rem;text-align:left;vertical-align:top}
.muted{color:#555;font-size:.85rem}ol.changes{font-size:.85rem;margin:.2rem 0;padding-left:1.4rem}.flag{color:#a00;font-weight:600}.warn{color:#a60}.box{border:1px solid #ccc;padding:.5rem .7rem;border-radius:4px;background:#fafafa}
@page{margin:1.3cm 1.5cm}@media print{body{margin:0;max-width:none;font-size:10pt;line-height:1.3}h1{margin-top:0}h2{break-after:avoid;margin:1rem 0 .3rem}p{margin:.35rem 0}svg{max-height:5.2cm}svg,table,li,p{break-inside:avoid}.noprint{display:none}}";

/// A blood-pressure reading, marked red where the safety check refuses a dose and amber where
/// it warns (the same tiers and the same rule, `safety::bp_tier`).
fn bp_cell(s: u16, d: u16, (warn, refuse): (BpLimit, BpLimit)) -> String {
    let reading = BpLimit {
        systolic: s,
        diastolic: d,
    };
    match bp_tier(reading, warn, refuse) {
        Some(Severity::Refuse) => format!("<span class=\"flag\">{s}/{d}</span>"),
        Some(_) => format!("<span class=\"warn\">{s}/{d}</span>"),
        None => format!("{s}/{d}"),
    }
}

fn in_period(t: Timestamp, zone: &str, o: &ReportOptions) -> bool {
    let d = dosewise_core::when::local_date(t, zone);
    d >= o.from && d <= o.to
}

fn day_start(d: Date, tz: &TimeZone) -> Timestamp {
    d.to_zoned_datetime(tz.clone())
        .map(|z| z.timestamp())
        .unwrap_or(Timestamp::UNIX_EPOCH)
}

fn local(t: Timestamp, tz: &TimeZone) -> String {
    t.to_zoned_datetime(tz.clone())
        .strftime("%Y-%m-%d %H:%M")
        .to_string()
}

/// "HCl" or "base": the form of the stock a protocol doses from ("as labelled" without one).
fn salt_of(j: &Journal, stock: Option<i64>) -> &'static str {
    stock
        .and_then(|id| j.stocks.iter().find(|s| s.id == id))
        .map_or("as labelled", |s| s.stock.preparation.salt.label())
}

/// Protocol changes from `from` to `to` (local dates), placed where they take effect and
/// described "2026-10-16: name: dose changed: …", for the charts.
pub fn protocol_changes(
    j: &Journal,
    from: Date,
    to: Date,
    tz: &TimeZone,
) -> Vec<(Timestamp, String)> {
    let mut changes: Vec<(Timestamp, String)> = j
        .protocol_events
        .iter()
        .filter(|e| e.date >= from && e.date <= to)
        .map(|e| {
            let name = j
                .protocols
                .iter()
                .find(|p| p.id == e.protocol_id)
                .map_or("protocol", |p| p.protocol.name.as_str());
            (
                day_start(e.date, tz),
                format!("{}: {name}: {}", e.date, e.describe()),
            )
        })
        .collect();
    changes.sort_by_key(|a| a.0);
    changes
}

/// A questionnaire's totals over time with its severity bands shaded, doses ticked along the
/// axis and protocol changes marked.
pub fn scale_chart(
    i: &Instrument,
    xs: &[&Assessment],
    doses: &[&Dose],
    changes: &[(Timestamp, String)],
    t0: Timestamp,
    t1: Timestamp,
    tz: &TimeZone,
) -> Chart {
    let colours = ["#eee", "#fd8", "#fb6", "#f84", "#e44"];
    let bands: Vec<Band> = i
        .bands
        .iter()
        .enumerate()
        .map(|(k, (lo, label))| Band {
            from: f64::from(*lo),
            to: i
                .bands
                .get(k + 1)
                .map_or(f64::from(i.max), |b| f64::from(b.0)),
            label: label.clone(),
            colour: colours[k.min(colours.len() - 1)],
        })
        .collect();
    Chart {
        title: format!("{} total", i.name),
        y_label: "score".into(),
        y_min: 0.0,
        y_max: f64::from(i.max),
        from: t0,
        to: t1,
        tz: tz.clone(),
        series: vec![Series {
            label: i.name.clone(),
            colour: "#14a",
            points: xs
                .iter()
                .map(|a| (a.assessment.at, f64::from(a.assessment.total)))
                .collect(),
            markers_only: false,
        }],
        bands,
        rules: vec![],
        ticks: doses.iter().map(|d| d.dose.at).collect(),
        events: changes.to_vec(),
    }
}

/// The insights page's charts for a period (`t0`..`t1`, the local days `from`..`to`): mood and
/// anxiety (none without check-ins), PHQ-9 and GAD-7 (each only with scores), and the protocol
/// changes they mark. One set for the local app's Insights and the clinic's patient view, each
/// chart as [`screen_figure`] draws it.
#[derive(Debug, Clone)]
pub struct InsightCharts {
    pub ratings: Option<String>,
    pub scales: Vec<String>,
    pub changes: Vec<(Timestamp, String)>,
}

/// A chart for a screen: drawn wide and drawn narrow, the stylesheet showing the one that fits
/// (`.chart-narrow` on a phone), so a phone's chart has legible labels instead of a wide
/// chart scaled down to a third of its size.
pub fn screen_figure(c: &Chart) -> String {
    format!(
        r#"<div class="chart-wide">{}</div><div class="chart-narrow">{}</div>"#,
        c.svg(),
        c.svg_at(crate::chart::NARROW)
    )
}

pub fn insight_charts(
    j: &Journal,
    from: Date,
    to: Date,
    t0: Timestamp,
    t1: Timestamp,
    tz: &TimeZone,
) -> InsightCharts {
    let within = |t: Timestamp| t >= t0 && t < t1;
    let doses: Vec<_> = j
        .doses
        .iter()
        .filter(|d| d.deleted_at.is_none() && within(d.dose.at))
        .collect();
    let checkins: Vec<_> = j
        .checkins
        .iter()
        .filter(|c| c.is_live() && within(c.checkin.at))
        .collect();
    let changes = protocol_changes(j, from, to, tz);
    let ratings = (!checkins.is_empty())
        .then(|| screen_figure(&ratings_chart(&checkins, &doses, &changes, t0, t1, tz)));
    let mut scales = Vec::new();
    for id in ["phq9", "gad7"] {
        let Some(inst) = dosewise_core::questionnaire::instrument(id) else {
            continue;
        };
        let mut xs: Vec<_> = j
            .assessments
            .iter()
            .filter(|a| a.assessment.instrument == id && within(a.assessment.at))
            .collect();
        xs.sort_by_key(|a| a.assessment.at);
        if !xs.is_empty() {
            scales.push(screen_figure(&scale_chart(
                inst, &xs, &doses, &changes, t0, t1, tz,
            )));
        }
    }
    InsightCharts {
        ratings,
        scales,
        changes,
    }
}

/// Over more days than this, the ratings chart shows weekly means instead of daily ones.
pub(crate) const WEEKLY_AFTER_DAYS: i64 = 180;

/// Mood and anxiety over time — the mean of each day's check-ins, or of each week's over long
/// periods (a point per check-in over years is unreadable, and slow to draw) — with doses
/// ticked along the axis and protocol changes marked.
pub fn ratings_chart(
    checkins: &[&Checkin],
    doses: &[&Dose],
    changes: &[(Timestamp, String)],
    t0: Timestamp,
    t1: Timestamp,
    tz: &TimeZone,
) -> Chart {
    let weekly = t1.duration_since(t0).as_hours() / 24 > WEEKLY_AFTER_DAYS;
    // Each bucket (a local day, or a Monday-to-Sunday week) is drawn at its middle.
    let bucket = |t: Timestamp| -> Option<(Date, Timestamp)> {
        let d = t.to_zoned_datetime(tz.clone()).date();
        let (first, days) = if weekly {
            let back = i64::from(d.weekday().to_monday_zero_offset());
            (d.checked_sub(jiff::Span::new().days(back)).ok()?, 7)
        } else {
            (d, 1)
        };
        let mid = first
            .to_datetime(jiff::civil::Time::midnight())
            .checked_add(jiff::Span::new().hours(12 * days))
            .ok()?
            .to_zoned_datetime(tz.clone())
            .ok()?
            .timestamp();
        Some((first, mid))
    };
    let series = |name: &'static str, colour: &'static str| {
        let mut sums: std::collections::BTreeMap<Date, (Timestamp, f64, u32)> =
            std::collections::BTreeMap::new();
        for c in checkins {
            let value = c
                .checkin
                .ratings
                .iter()
                .find(|(n, _)| *n == name)
                .and_then(|(_, r)| r);
            if let (Some(r), Some((key, mid))) = (value, bucket(c.checkin.at)) {
                let e = sums.entry(key).or_insert((mid, 0.0, 0));
                e.1 += f64::from(r.value());
                e.2 += 1;
            }
        }
        Series {
            label: format!("{name} ({} mean)", if weekly { "weekly" } else { "daily" }),
            colour,
            points: sums
                .into_values()
                .map(|(t, sum, n)| (t, sum / f64::from(n)))
                .collect(),
            markers_only: false,
        }
    };
    Chart {
        title: "Mood and anxiety (0-10)".into(),
        y_label: "rating".into(),
        y_min: 0.0,
        y_max: 10.0,
        from: t0,
        to: t1,
        tz: tz.clone(),
        series: vec![series("mood", "#14a"), series("anxiety", "#c60")],
        bands: vec![],
        rules: vec![],
        ticks: doses.iter().map(|d| d.dose.at).collect(),
        events: changes.to_vec(),
    }
}

/// The numbered protocol changes drawn on a chart, as a list to read beside it.
pub fn changes_list(changes: &[(Timestamp, String)]) -> String {
    if changes.is_empty() {
        return String::new();
    }
    let mut h = String::from("<ol class=\"changes\">");
    // Each text starts with its local date; the instant (UTC) is only where it is drawn.
    for (_, what) in changes {
        let _ = write!(h, "<li>{}</li>", esc(what));
    }
    h.push_str("</ol>");
    h
}

/// Render the report.
pub fn report_html(j: &Journal, o: &ReportOptions) -> String {
    let tz = &o.tz;
    let (t0, t1) = (
        day_start(o.from, tz),
        day_start(o.to.tomorrow().unwrap_or(o.to), tz),
    );
    let mut doses: Vec<_> = j
        .doses
        .iter()
        .filter(|d| d.deleted_at.is_none() && in_period(d.dose.at, &d.dose.zone, o))
        .collect();
    let mut checkins: Vec<_> = j
        .checkins
        .iter()
        .filter(|c| c.is_live() && in_period(c.checkin.at, &c.checkin.zone, o))
        .collect();
    let mut assessments: Vec<_> = j
        .assessments
        .iter()
        .filter(|a| in_period(a.assessment.at, &a.assessment.zone, o))
        .collect();
    let mut vitals: Vec<_> = j
        .vitals
        .iter()
        .filter(|v| in_period(v.vitals.at, &v.vitals.zone, o))
        .collect();
    // The export is in entry order; a back-filled entry belongs where it happened.
    doses.sort_by_key(|d| d.dose.at);
    checkins.sort_by_key(|c| c.checkin.at);
    assessments.sort_by_key(|a| a.assessment.at);
    vitals.sort_by_key(|v| v.vitals.at);
    let changes = protocol_changes(j, o.from, o.to, tz);
    let r = R {
        j,
        o,
        tz,
        t0,
        t1,
        doses,
        checkins,
        assessments,
        vitals,
        changes,
    };
    let mut h = String::new();
    let name = j
        .profile
        .as_ref()
        .and_then(|p| p.name.clone())
        .unwrap_or_else(|| "(no name recorded)".into());
    let _ = write!(
        h,
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><meta name=\"viewport\" content=\"width=device-width,initial-scale=1\"><title>Dosewise report {} to {}</title><style>{CSS}</style></head><body>",
        o.from, o.to
    );
    let _ = write!(
        h,
        "<header><h1>Ketamine journal: report for a clinician</h1><p><strong>{}</strong> · {} to {} · generated {}</p><p class=\"muted\">Kept by the patient in Dosewise, a self-tracking tool. It records what the patient logged; it is not a medical record and gives no dosing advice. Every ketamine amount says whether it is ketamine base or HCl (1 mg base = 1.1535 mg HCl); a protocol's dose and limits are in its stock's form.</p></header>",
        esc(&name),
        o.from,
        o.to,
        local(o.generated, tz)
    );
    glance(&r, &mut h);
    for (section, write) in SECTIONS {
        if o.wants(section) {
            write(&r, &mut h);
        }
    }
    provenance(&r, &mut h);
    h.push_str("</body></html>\n");
    h
}

/// The sections a report can include, in their order, each with what writes it (the
/// provenance section always closes the report).
/// Writes one section.
type WriteSection = fn(&R<'_>, &mut String);

const SECTIONS: [(Section, WriteSection); 9] = [
    (Section::Regimen, regimen),
    (Section::Supply, supply),
    (Section::Scales, scales),
    (Section::Ratings, ratings),
    (Section::Trial, trial),
    (Section::Vitals, vital_signs),
    (Section::SideEffects, side_effects),
    (Section::Medicines, medicines),
    (Section::Notes, notes),
];

/// What every section of the report reads: the journal, the options, and the period's
/// entries in the order they happened.
struct R<'a> {
    j: &'a Journal,
    o: &'a ReportOptions,
    tz: &'a TimeZone,
    t0: Timestamp,
    t1: Timestamp,
    doses: Vec<&'a Dose>,
    checkins: Vec<&'a Checkin>,
    assessments: Vec<&'a Assessment>,
    vitals: Vec<&'a Vitals>,
    changes: Vec<(Timestamp, String)>,
}

/// Three lines at the top for a clinician with a minute: use against the plan, what the safety
/// check flagged, and the questionnaires' direction. Each line's detail is in its section.
fn glance(r: &R<'_>, h: &mut String) {
    let R {
        j,
        o,
        tz,
        ref doses,
        ref assessments,
        ref checkins,
        ..
    } = *r;
    // Use: doses, the amount, and adherence to the current plan over the period.
    let total: f64 = doses.iter().map(|d| d.dose.dose_mg_base).sum();
    let mut use_line = format!(
        "{} dose{}, {} in all",
        doses.len(),
        if doses.len() == 1 { "" } else { "s" },
        amount(j, total)
    );
    let today = o.to.min(o.generated.to_zoned_datetime(tz.clone()).date());
    if let Some(p) = j
        .protocols
        .iter()
        .filter(|p| p.protocol.start <= o.to && p.ended_at.is_none())
        .max_by_key(|p| p.protocol.start)
    {
        let all = dosewise_core::adherence::doses_for(p, &j.doses);
        let a = adherence(p, &all, o.from.max(p.protocol.start), o.to, today);
        if let Some(v) = a.adherence {
            let _ = write!(
                use_line,
                "; {:.0}% of planned days dosed under \"{}\", {} off-plan",
                v * 100.0,
                esc(&p.protocol.name),
                a.off_plan_dose_ids.len()
            );
        }
    }
    // Safety: doses logged despite a refusal, and the red flags the doses carried.
    let overridden = doses
        .iter()
        .filter(|d| d.dose.override_reason.is_some())
        .count();
    let after = doses.iter().filter(|d| d.recorded_after_the_fact()).count();
    let mut flags: Vec<&str> = doses
        .iter()
        .flat_map(|d| d.dose.findings.iter())
        .filter(|f| dosewise_core::safety::is_red_flag(&f.code))
        .map(|f| f.code.as_str())
        .collect();
    flags.sort_unstable();
    flags.dedup();
    let urinary = checkins
        .iter()
        .filter(|c| !c.checkin.urinary.is_empty())
        .count();
    let safety = format!(
        "{} override{}, {} recorded after the fact despite a refusal; red flags: {}{}",
        overridden,
        if overridden == 1 { "" } else { "s" },
        after,
        if flags.is_empty() {
            "none".to_string()
        } else {
            flags.join(", ")
        },
        if urinary > 0 {
            format!(
                "; urinary symptoms in {urinary} check-in{}",
                if urinary == 1 { "" } else { "s" }
            )
        } else {
            String::new()
        }
    );
    // The questionnaires' first and latest scores in the period.
    let mut scales = Vec::new();
    for id in ["phq9", "gad7"] {
        let xs: Vec<_> = assessments
            .iter()
            .filter(|a| a.assessment.instrument == id)
            .collect();
        if let (Some(first), Some(last), Some(i)) = (xs.first(), xs.last(), instrument(id)) {
            scales.push(if xs.len() > 1 {
                format!(
                    "{} {} → {}",
                    i.name, first.assessment.total, last.assessment.total
                )
            } else {
                format!("{} {} (once)", i.name, first.assessment.total)
            });
        }
    }
    let scales = if scales.is_empty() {
        "no PHQ-9 or GAD-7 in the period".to_string()
    } else {
        scales.join("; ")
    };
    let _ = write!(
        h,
        "<section class=\"glance\" aria-label=\"At a glance\"><h2>At a glance</h2><ul><li><strong>Use:</strong> {use_line}.</li><li><strong>Safety:</strong> {}.</li><li><strong>Scores:</strong> {}.</li></ul></section>",
        esc(&safety),
        esc(&scales)
    );
}

/// An amount of ketamine (given in mg base) in the report's one convention: the form the
/// current plan's stock is labelled in first — HCl for nearly every prescription — and the other
/// in brackets, so a total sits beside the plan's "18.75 mg HCl" in the same unit.
fn amount(j: &Journal, mg_base: f64) -> String {
    use dosewise_core::salt::Salt;
    let form = j
        .protocols
        .iter()
        .filter(|p| p.ended_at.is_none())
        .max_by_key(|p| p.protocol.start)
        .and_then(|p| j.stocks.iter().find(|s| Some(s.id) == p.protocol.stock_id))
        .map_or(Salt::Hcl, |s| s.stock.preparation.salt);
    dosewise_core::dose::mg_text(mg_base, form)
}

/// 1. Regimen versus actual use.
fn regimen(r: &R<'_>, h: &mut String) {
    let R {
        j,
        o,
        tz,
        t0,
        t1,
        ref doses,
        ..
    } = *r;
    h.push_str("<section><h2>Regimen and actual use</h2>");
    let protocols: Vec<_> = j
        .protocols
        .iter()
        .filter(|p| p.protocol.start <= o.to && p.ended_at.is_none_or(|e| e >= t0))
        .collect();
    if protocols.is_empty() {
        h.push_str("<p>No protocol was recorded for this period.</p>");
    }
    for p in &protocols {
        let x = &p.protocol;
        // The form the protocol's dose and limits are written in: its stock's.
        let form = salt_of(j, x.stock_id);
        // Doses taken under this protocol, and doses of its substance logged without one during
        // its span (e.g. back-filled before the protocol was entered).
        let all = dosewise_core::adherence::doses_for(p, &j.doses);
        let a = adherence(
            p,
            &all,
            o.from.max(x.start),
            o.to,
            o.to.min(o.generated.to_zoned_datetime(tz.clone()).date()),
        );
        let _ = write!(
            h,
            "<p><strong>{}</strong> ({}) — {}, planned dose {}{} at {}; started {}{}.</p>",
            esc(&x.name),
            p.status.as_str(),
            esc(&x.pattern.describe()),
            esc(&x.dose.entered),
            x.dose
                .mg
                .map_or(String::new(), |m| format!(" ({} mg {form})", fmt_num(m))),
            x.time.strftime("%H:%M"),
            x.start,
            x.cycle.map_or(String::new(), |c| format!(
                "; cycles of {} days with {}-day breaks",
                c.on_days, c.break_days
            ))
        );
        let l = &x.limits;
        let limits: Vec<String> = [
            l.max_per_dose_mg
                .map(|v| format!("{} mg {form} a dose", fmt_num(v))),
            l.max_per_day_mg
                .map(|v| format!("{} mg {form} a day", fmt_num(v))),
            l.max_per_7_days_mg
                .map(|v| format!("{} mg {form} in 7 days", fmt_num(v))),
            l.min_interval_hours
                .map(|v| format!("{} h apart", fmt_num(v))),
        ]
        .into_iter()
        .flatten()
        .collect();
        if !limits.is_empty() {
            let _ = write!(h, "<p>Limits: {}.</p>", limits.join(", "));
        }
        match a.adherence {
            Some(v) => {
                let _ = write!(
                    h,
                    "<table><tr><th>planned days</th><th>dosed</th><th>missed</th><th>off-plan doses</th><th>extra doses</th><th>adherence</th></tr><tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{:.0}%</td></tr></table>",
                    a.planned_days,
                    a.planned_days_dosed,
                    a.missed.len(),
                    a.off_plan_dose_ids.len(),
                    a.extra_dose_ids.len(),
                    v * 100.0
                );
            }
            None => {
                let _ = write!(
                    h,
                    "<p>As-needed plan: at most {} doses in any 7 days.</p>",
                    a.max_in_7_days.unwrap_or(0)
                );
            }
        }
    }
    let total: f64 = doses.iter().map(|d| d.dose.dose_mg_base).sum();
    let _ = write!(
        h,
        "<p>{} doses logged, {} in total{}.</p>",
        doses.len(),
        amount(j, total),
        if doses.is_empty() {
            String::new()
        } else {
            format!(", {} on average", amount(j, total / doses.len() as f64))
        }
    );
    let overrides: Vec<_> = doses
        .iter()
        .filter(|d| d.dose.override_reason.is_some())
        .collect();
    if !overrides.is_empty() {
        h.push_str("<p class=\"flag\">Doses logged despite a safety refusal (override):</p><table><tr><th>when</th><th>amount</th><th>refused because</th><th>patient's reason</th></tr>");
        for d in overrides {
            let why: Vec<String> = d.dose.refusals().map(|f| esc(&f.message)).collect();
            let _ = write!(
                h,
                "<tr><td>{}</td><td>{} mg</td><td>{}</td><td>{}</td></tr>",
                local(d.dose.at, tz),
                fmt_num(d.dose.dose_mg_base),
                why.join("<br>"),
                esc(d.dose.override_reason.as_deref().unwrap_or(""))
            );
        }
        h.push_str("</table>");
    }
    if !doses.is_empty() {
        let limited = protocols
            .iter()
            .find(|p| p.protocol.limits.max_per_dose_mg.is_some());
        let limit = limited.and_then(|p| p.protocol.limits.max_per_dose_mg);
        let form = limited.map_or("as labelled", |p| salt_of(j, p.protocol.stock_id));
        // As labelled (the stock's salt), the unit protocol limits are written and checked in.
        let max = doses
            .iter()
            .map(|d| d.dose.dose_mg)
            .fold(limit.unwrap_or(0.0), f64::max)
            * 1.2;
        let chart = Chart {
            title: "Doses (mg as labelled, the unit of the limits)".into(),
            y_label: "mg as labelled".into(),
            y_min: 0.0,
            y_max: max.max(1.0),
            from: t0,
            to: t1,
            tz: tz.clone(),
            series: vec![Series {
                label: "dose".into(),
                colour: "#2a6",
                points: doses.iter().map(|d| (d.dose.at, d.dose.dose_mg)).collect(),
                markers_only: true,
            }],
            bands: vec![],
            rules: limit
                .map(|l| Rule {
                    value: l,
                    label: format!("per-dose limit {} mg {form}", fmt_num(l)),
                })
                .into_iter()
                .collect(),
            ticks: vec![],
            events: vec![],
        };
        h.push_str(&chart.svg());
    }
    h.push_str("</section>");
}

/// 2. Supply reconciliation.
fn supply(r: &R<'_>, h: &mut String) {
    let R { j, ref doses, .. } = *r;
    h.push_str("<section><h2>Supply</h2><table><tr><th>stock</th><th>dispensed</th><th>logged doses (period)</th><th>on hand</th><th>count differences</th></tr>");
    for s in &j.stocks {
        let used: f64 = doses
            .iter()
            .filter(|d| d.dose.stock_id == Some(s.id))
            .filter_map(|d| d.dose.supply_used)
            .sum();
        let counted: f64 = j
            .stock_events
            .iter()
            .filter(|e| e.stock_id == s.id && e.kind == dosewise_core::stock::StockEventKind::Count)
            .map(|e| e.delta)
            .sum();
        let unit = s.stock.supply_unit;
        let _ = write!(
            h,
            "<tr><td>{}{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            esc(&s.stock.name),
            if s.retired_at.is_some() {
                " (retired)"
            } else {
                ""
            },
            s.stock.dispensed.map_or("–".into(), |d| unit.fmt(d)),
            unit.fmt(used),
            unit.fmt(s.stock.remaining),
            if counted.abs() < 1e-9 {
                "none".into()
            } else {
                format!("<span class=\"warn\">{}</span>", unit.fmt(counted))
            }
        );
    }
    h.push_str("</table></section>");
}

/// 3. Questionnaires.
fn scales(r: &R<'_>, h: &mut String) {
    let R {
        tz,
        t0,
        t1,
        ref doses,
        ref assessments,
        ref changes,
        ..
    } = *r;
    h.push_str("<section><h2>PHQ-9 and GAD-7</h2>");
    for id in ["phq9", "gad7"] {
        let Some(i) = instrument(id) else { continue };
        let xs: Vec<&Assessment> = assessments
            .iter()
            .copied()
            .filter(|a| a.assessment.instrument == id)
            .collect();
        if xs.is_empty() {
            let _ = write!(h, "<p>{}: no scores in this period.</p>", i.name);
            continue;
        }
        let (first, last) = (xs[0], xs[xs.len() - 1]);
        let c = change(id, first.assessment.total, last.assessment.total);
        let _ = write!(
            h,
            "<p><strong>{}</strong>: {} → {} ({:+}) over {} scores{}{}{}.</p>",
            i.name,
            c.baseline,
            c.latest,
            c.change,
            xs.len(),
            if c.response {
                "; response (≥ 50 % drop)"
            } else {
                ""
            },
            if c.remission {
                "; remission (&lt; 5)"
            } else {
                ""
            },
            if c.meaningful {
                format!(
                    "; clinically meaningful change (≥ {} points)",
                    c.meaningful_points
                )
            } else {
                String::new()
            }
        );
        if id == "phq9" && xs.iter().any(|a| a.assessment.self_harm_flag()) {
            h.push_str("<p class=\"flag\">Item 9 (thoughts of being better off dead or of self-harm) was above 0 at least once in this period.</p>");
        }
        let chart = scale_chart(i, &xs, doses, changes, t0, t1, tz);
        h.push_str(&chart.svg());
    }
    if assessments
        .iter()
        .any(|a| ["phq9", "gad7"].contains(&a.assessment.instrument.as_str()))
    {
        h.push_str(&changes_list(changes));
    }
    h.push_str("<p class=\"muted\">PHQ-9: Kroenke K et al. J Gen Intern Med 2001; GAD-7: Spitzer RL et al. Arch Intern Med 2006 (free to use, Pfizer). Green ticks along the axis mark doses; dashed lines mark protocol changes.</p></section>");
}

/// 4. Ratings over time.
fn ratings(r: &R<'_>, h: &mut String) {
    let R {
        tz,
        t0,
        t1,
        ref doses,
        ref checkins,
        ref changes,
        ..
    } = *r;
    if !checkins.is_empty() {
        h.push_str("<section><h2>Daily ratings</h2>");
        let chart = ratings_chart(checkins, doses, changes, t0, t1, tz);
        h.push_str(&chart.svg());
        h.push_str(&changes_list(changes));
        h.push_str("<p class=\"muted\">Green ticks along the axis mark doses; dashed lines mark protocol changes.</p>");
        h.push_str("</section>");
    }
}

/// 5. Vitals.
fn vital_signs(r: &R<'_>, h: &mut String) {
    let R {
        j,
        tz,
        t0,
        t1,
        ref doses,
        ref vitals,
        ..
    } = *r;
    h.push_str("<section><h2>Vital signs</h2>");
    if vitals.is_empty() {
        h.push_str("<p>No readings in this period.</p>");
    } else {
        // A summary per context, then the readings worth a look: every reading when there are
        // few, otherwise only the flagged ones (all of them are in the export). The tiers are
        // the current protocol's, as the safety check uses them, else the defaults.
        let tiers = j
            .protocols
            .iter()
            .filter(|p| p.status != dosewise_core::protocol::Status::Ended)
            .max_by_key(|p| p.protocol.start)
            .map_or_else(
                || dosewise_core::protocol::Limits::default().bp_tiers(),
                |p| p.protocol.limits.bp_tiers(),
            );
        h.push_str("<table><tr><th>context</th><th>readings</th><th>mean blood pressure</th><th>highest</th><th>mean heart rate</th></tr>");
        for ctx in [
            VitalsContext::PreDose,
            VitalsContext::PostDose,
            VitalsContext::Other,
        ] {
            let of: Vec<_> = vitals.iter().filter(|v| v.vitals.context == ctx).collect();
            if of.is_empty() {
                continue;
            }
            let bp: Vec<(u16, u16)> = of
                .iter()
                .filter_map(|v| v.vitals.systolic.zip(v.vitals.diastolic))
                .collect();
            let mean =
                |xs: &[f64]| (!xs.is_empty()).then(|| xs.iter().sum::<f64>() / xs.len() as f64);
            let ms = mean(&bp.iter().map(|b| f64::from(b.0)).collect::<Vec<_>>());
            let md = mean(&bp.iter().map(|b| f64::from(b.1)).collect::<Vec<_>>());
            let hr = mean(
                &of.iter()
                    .filter_map(|v| v.vitals.heart_rate.map(f64::from))
                    .collect::<Vec<_>>(),
            );
            let _ = write!(
                h,
                "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
                ctx.as_str().replace('_', "-"),
                of.len(),
                ms.zip(md)
                    .map_or("–".into(), |(s, d)| format!("{s:.0}/{d:.0}")),
                bp.iter()
                    .max()
                    .map_or("–".into(), |(s, d)| bp_cell(*s, *d, tiers)),
                hr.map_or("–".into(), |r| format!("{r:.0}")),
            );
        }
        h.push_str("</table>");
        let shown: Vec<_> = if vitals.len() <= 8 {
            vitals.clone()
        } else {
            vitals
                .iter()
                .filter(|v| {
                    let x = &v.vitals;
                    x.systolic.zip(x.diastolic).is_some_and(|(s, d)| {
                        bp_tier(
                            BpLimit {
                                systolic: s,
                                diastolic: d,
                            },
                            tiers.0,
                            tiers.1,
                        )
                        .is_some()
                    }) || x.heart_rate.is_some_and(|r| r > HR_REFUSE)
                })
                .cloned()
                .collect()
        };
        if !shown.is_empty() {
            if vitals.len() > 8 {
                h.push_str("<p>Flagged readings:</p>");
            }
            h.push_str("<table><tr><th>when</th><th>context</th><th>blood pressure</th><th>heart rate</th><th>weight</th></tr>");
            for v in &shown {
                let x = &v.vitals;
                let bp = match (x.systolic, x.diastolic) {
                    (Some(s), Some(d)) => bp_cell(s, d, tiers),
                    _ => "–".into(),
                };
                let hr = match x.heart_rate {
                    Some(r) if r > HR_REFUSE => format!("<span class=\"flag\">{r}</span>"),
                    Some(r) => r.to_string(),
                    None => "–".into(),
                };
                let _ = write!(
                    h,
                    "<tr><td>{}</td><td>{}</td><td>{bp}</td><td>{hr}</td><td>{}</td></tr>",
                    local(x.at, tz),
                    x.context.as_str().replace('_', "-"),
                    x.weight_kg
                        .map_or("–".into(), |w| format!("{} kg", fmt_num(w.value())))
                );
            }
            h.push_str("</table>");
        } else {
            let _ = write!(
                h,
                "<p>None of the {} readings is flagged.</p>",
                vitals.len()
            );
        }
        let _ = write!(
            h,
            "<p class=\"muted\">Flagged: blood pressure from {} systolic or {} diastolic, or heart rate above {HR_REFUSE} (red: no dose); above {} (amber: a warning).</p>",
            tiers.1.systolic, tiers.1.diastolic, tiers.0
        );
        let sys: Vec<_> = vitals
            .iter()
            .filter_map(|v| v.vitals.systolic.map(|s| (v.vitals.at, f64::from(s))))
            .collect();
        if !sys.is_empty() {
            let dia: Vec<_> = vitals
                .iter()
                .filter_map(|v| v.vitals.diastolic.map(|s| (v.vitals.at, f64::from(s))))
                .collect();
            let chart = Chart {
                title: "Blood pressure (mmHg)".into(),
                y_label: "mmHg".into(),
                y_min: 40.0,
                y_max: 200.0,
                from: t0,
                to: t1,
                tz: tz.clone(),
                series: vec![
                    Series {
                        label: "systolic".into(),
                        colour: "#a22",
                        points: sys,
                        markers_only: false,
                    },
                    Series {
                        label: "diastolic".into(),
                        colour: "#26a",
                        points: dia,
                        markers_only: false,
                    },
                ],
                bands: vec![],
                rules: vec![
                    Rule {
                        value: f64::from(tiers.1.systolic),
                        label: tiers.1.systolic.to_string(),
                    },
                    Rule {
                        value: f64::from(tiers.1.diastolic),
                        label: tiers.1.diastolic.to_string(),
                    },
                ],
                ticks: doses.iter().map(|d| d.dose.at).collect(),
                events: vec![],
            };
            h.push_str(&chart.svg());
        }
    }
    h.push_str("</section>");
}

/// 6. Side effects, bladder, red flags.
fn side_effects(r: &R<'_>, h: &mut String) {
    let R {
        tz,
        ref doses,
        ref checkins,
        ..
    } = *r;
    h.push_str("<section><h2>Side effects, bladder and red flags</h2>");
    // Per side effect: check-ins naming it, how many of those rated it, the worst rating given.
    // A side effect ticked without a rating is not a rating of 0 (which would read as "none").
    let mut effects: std::collections::BTreeMap<String, (usize, usize, Option<u8>)> =
        std::collections::BTreeMap::new();
    for c in checkins {
        for se in &c.checkin.side_effects {
            let e = effects.entry(se.name.clone()).or_insert((0, 0, None));
            e.0 += 1;
            if let Some(r) = se.severity {
                e.1 += 1;
                e.2 = e.2.max(Some(r.value()));
            }
        }
    }
    if effects.is_empty() {
        h.push_str("<p>No side effects recorded.</p>");
    } else {
        h.push_str(
            "<table><tr><th>side effect</th><th>check-ins</th><th>worst rating (0–10)</th></tr>",
        );
        for (n, (count, rated, worst)) in &effects {
            let worst = match worst {
                None => "not rated".to_string(),
                Some(w) if rated == count => w.to_string(),
                Some(w) => format!("{w} ({rated} of {count} rated)"),
            };
            let _ = write!(
                h,
                "<tr><td>{}</td><td>{count}</td><td>{worst}</td></tr>",
                esc(n)
            );
        }
        h.push_str("</table>");
    }
    let urinary: Vec<_> = checkins
        .iter()
        .filter(|c| !c.checkin.urinary.is_empty())
        .collect();
    if urinary.is_empty() {
        h.push_str("<p>No urinary symptoms recorded in check-ins.</p>");
    } else {
        let _ = write!(
            h,
            "<p class=\"flag\">Urinary symptoms recorded on {} check-in{}:</p><ul>",
            urinary.len(),
            if urinary.len() == 1 { "" } else { "s" }
        );
        for c in &urinary {
            let names: Vec<&str> = c.checkin.urinary.iter().map(|u| u.as_str()).collect();
            let _ = write!(
                h,
                "<li>{}: {}</li>",
                local(c.checkin.at, tz),
                names.join(", ")
            );
        }
        h.push_str("</ul>");
    }
    let mut flags: Vec<(Timestamp, String)> = Vec::new();
    for d in doses {
        for f in d
            .dose
            .findings
            .iter()
            .filter(|f| f.severity >= Severity::Warning)
        {
            flags.push((
                d.dose.at,
                format!("{} — {}", f.severity.as_str(), f.message),
            ));
        }
    }
    if !flags.is_empty() {
        h.push_str("<p>Safety findings shown when doses were logged (warnings and refusals):</p><table><tr><th>dose time</th><th>finding</th></tr>");
        for (t, m) in flags {
            let _ = write!(h, "<tr><td>{}</td><td>{}</td></tr>", local(t, tz), esc(&m));
        }
        h.push_str("</table>");
    }
    h.push_str("</section>");
}

/// 7. Medicines.
fn medicines(r: &R<'_>, h: &mut String) {
    let R { j, o, t0, .. } = *r;
    h.push_str("<section><h2>Medicines and other substances</h2>");
    let meds: Vec<_> = j
        .medications
        .iter()
        .filter(|m| m.removed_at.is_none_or(|r| r >= t0))
        .collect();
    if meds.is_empty() {
        h.push_str("<p>No standing medicines recorded.</p>");
    } else {
        h.push_str("<table><tr><th>medicine</th><th>dose</th><th>interaction with ketamine</th><th>clinician aware</th></tr>");
        for m in meds {
            let x = &m.medication;
            let level =
                interaction::find(&x.name).map_or("not in Dosewise's list".to_string(), |i| {
                    format!(
                        "{}: {}",
                        i.level(Route::Sublingual).map_or("info", |l| l.as_str()),
                        i.name
                    )
                });
            let _ = write!(
                h,
                "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
                esc(&x.name),
                esc(x.dose.as_deref().unwrap_or("–")),
                esc(&level),
                if x.clinician_aware { "yes" } else { "–" }
            );
        }
        h.push_str("</table>");
    }
    let uses: Vec<_> = j
        .substance_uses
        .iter()
        .filter(|u| in_period(u.usage.at, &u.usage.zone, o))
        .collect();
    if !uses.is_empty() {
        let _ = write!(
            h,
            "<p>Other substances logged: {}.</p>",
            uses.iter()
                .map(|u| esc(&u.usage.name))
                .collect::<Vec<_>>()
                .join(", ")
        );
    }
    h.push_str("</section>");
}

/// 4b. A blinded trial in the period: its result once revealed (the same section as the Trial
/// page), or that one is running with the allocation sealed. Nothing without a trial.
fn trial(r: &R<'_>, h: &mut String) {
    let R { j, o, tz, .. } = *r;
    for t in &j.trials {
        let d = &t.trial.design;
        if d.start > o.to || d.end() < o.from {
            continue;
        }
        let events: Vec<_> = j
            .trial_events
            .iter()
            .filter(|e| e.event.trial_id == t.id)
            .cloned()
            .collect();
        match dosewise_core::trial_record::evaluate(
            t,
            &events,
            &j.doses,
            &j.checkins,
            &j.assessments,
        ) {
            Some(e) => h.push_str(&crate::trial::result_html(
                &crate::trial::ResultView {
                    trial: t,
                    e: &e,
                    tz,
                    voice: dosewise_core::trial_record::Voice::Clinician,
                },
                2,
                true,
            )),
            None => {
                let taken = j
                    .doses
                    .iter()
                    .filter(|x| x.deleted_at.is_none())
                    .filter_map(|x| x.dose.container.as_deref())
                    .filter(|c| t.day_by_code(c).is_some())
                    .count();
                let _ = write!(
                    h,
                    "<section><h2>Blinded trial</h2><p>A self-blinded trial runs from {} to {} ({} dosing days, {} logged from its containers so far); outcome {}, the smallest change that matters to the patient {}. The allocation is sealed to the key held by {}: its result comes once it is revealed.</p></section>",
                    d.start,
                    d.end(),
                    t.trial.days.len(),
                    taken,
                    esc(&t.trial.outcome.label()),
                    t.trial.smallest_change,
                    esc(&t.trial.key_holder)
                );
            }
        }
    }
}

/// 8. Notes the person shared.
fn notes(r: &R<'_>, h: &mut String) {
    let R {
        o,
        tz,
        ref checkins,
        ..
    } = *r;
    h.push_str("<section><h2>Notes</h2>");
    let notes: Vec<_> = checkins
        .iter()
        .filter(|c| c.checkin.note.is_some() && (o.include_private || !c.checkin.private))
        .collect();
    if notes.is_empty() {
        h.push_str("<p>No shared notes.</p>");
    } else {
        h.push_str("<ul>");
        for c in notes {
            let _ = write!(
                h,
                "<li>{}: {}</li>",
                local(c.checkin.at, tz),
                esc(c.checkin.note.as_deref().unwrap_or(""))
            );
        }
        h.push_str("</ul>");
    }
    let _ = write!(
        h,
        "<p class=\"muted\">{}</p></section>",
        if o.include_private {
            "Includes notes the patient marked private, at their request."
        } else {
            "Notes the patient marked private are not included."
        }
    );
}

/// 9. Provenance.
fn provenance(r: &R<'_>, h: &mut String) {
    let R { tz, ref doses, .. } = *r;
    let late: Vec<_> = doses
        .iter()
        .filter(|d| d.created_at.duration_since(d.dose.at) > jiff::SignedDuration::from_hours(24))
        .collect();
    let _ = write!(
        h,
        "<section><h2>About these data</h2><p>{} of {} doses were entered more than a day after they were taken (back-filled){}. Times are shown in {}.</p></section>",
        late.len(),
        doses.len(),
        if late.is_empty() {
            String::new()
        } else {
            format!(
                ": {}",
                late.iter()
                    .map(|d| format!(
                        "{} entered {}",
                        local(d.dose.at, tz),
                        local(d.created_at, tz)
                    ))
                    .collect::<Vec<_>>()
                    .join("; ")
            )
        },
        esc(tz.iana_name().unwrap_or("UTC"))
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    fn demo() -> (Journal, ReportOptions) {
        let tz = dosewise_core::when::zone("Europe/Berlin").unwrap_or(TimeZone::UTC);
        let now = dosewise_core::testing::ts("2026-11-28T11:00:00Z").to_zoned_datetime(tz.clone());
        let j = dosewise_fixtures::demo::demo_journal(&now, 56, 42);
        let o = ReportOptions {
            from: "2026-10-03".parse().unwrap_or_default(),
            to: "2026-11-28".parse().unwrap_or_default(),
            tz,
            generated: dosewise_core::testing::ts("2026-11-28T11:00:00Z"),
            include_private: false,
            sections: vec![],
        };
        (j, o)
    }

    #[test]
    fn sections_and_privacy() {
        let (mut j, o) = demo();
        j.checkins[0].checkin.note = Some("PRIVATE-NOTE <b>".into());
        j.checkins[0].checkin.private = true;
        j.checkins[1].checkin.note = Some("shared <script>alert(1)</script>".into());
        j.checkins[1].checkin.private = false;
        // A deleted check-in is in no section, its note included.
        j.checkins[2].checkin.note = Some("DELETED-NOTE".into());
        j.checkins[2].checkin.private = false;
        j.checkins[2].deleted_at = Some(dosewise_core::testing::ts("2026-11-27T08:00:00Z"));
        let html = report_html(&j, &o);
        assert!(!html.contains("DELETED-NOTE"));
        for section in [
            "Regimen and actual use",
            "Supply",
            "PHQ-9 and GAD-7",
            "Daily ratings",
            "Vital signs",
            "Side effects, bladder and red flags",
            "Medicines",
            "Notes",
            "About these data",
        ] {
            assert!(html.contains(section), "missing section {section}");
        }
        assert!(
            !html.contains("PRIVATE-NOTE"),
            "private notes never appear by default"
        );
        assert!(html.contains("shared &lt;script&gt;") && !html.contains("<script>alert"));
        assert!(html.contains("19 doses logged"));
        let all = report_html(
            &j,
            &ReportOptions {
                include_private: true,
                ..o
            },
        );
        assert!(all.contains("PRIVATE-NOTE &lt;b&gt;"));
    }

    #[test]
    fn back_filled_entries_are_placed_by_time_not_entry_order() {
        let (mut j, o) = demo();
        let first = j
            .assessments
            .iter()
            .filter(|a| a.assessment.instrument == "phq9")
            .map(|a| a.assessment.total)
            .next()
            .unwrap_or_default();
        // A baseline entered last, dated before every other score.
        let mut baseline = j.assessments[0].clone();
        baseline.id = 999;
        baseline.assessment.instrument = "phq9".into();
        baseline.assessment.total = 27;
        baseline.assessment.answers = vec![3; 9];
        baseline.assessment.band = "severe".into();
        baseline.assessment.at = dosewise_core::testing::ts("2026-10-03T06:00:00Z");
        j.assessments.push(baseline);
        let html = report_html(&j, &o);
        assert!(html.contains("27 → "), "baseline first");
        assert!(
            !html.contains(&format!("{first} → ")),
            "not the first entered"
        );
    }

    #[test]
    fn a_side_effect_ticked_without_a_rating_is_not_a_rating_of_zero() {
        use dosewise_core::checkin::{Rating, SideEffect};
        let (mut j, mut o) = demo();
        o.sections = vec![Section::SideEffects];
        for c in &mut j.checkins {
            c.checkin.side_effects.clear();
        }
        let effect = |name: &str, r: Option<i64>| SideEffect {
            name: name.into(),
            severity: r.and_then(|v| Rating::new(v).ok()),
        };
        j.checkins[0].checkin.side_effects =
            vec![effect("nausea", None), effect("headache", Some(3))];
        j.checkins[1].checkin.side_effects =
            vec![effect("nausea", None), effect("headache", Some(5))];
        j.checkins[2].checkin.side_effects =
            vec![effect("dizziness", Some(4)), effect("headache", None)];
        j.checkins[3].checkin.side_effects = vec![effect("dizziness", Some(0))];
        for c in &mut j.checkins[..4] {
            c.checkin.private = false;
            c.deleted_at = None;
        }
        let html = report_html(&j, &o);
        assert!(
            html.contains("<tr><td>nausea</td><td>2</td><td>not rated</td></tr>"),
            "{html}"
        );
        assert!(html.contains("<tr><td>headache</td><td>3</td><td>5 (2 of 3 rated)</td></tr>"));
        // A real rating of 0 stays 0.
        assert!(html.contains("<tr><td>dizziness</td><td>2</td><td>4</td></tr>"));
    }

    #[test]
    fn sections_can_be_chosen_and_provenance_stays() {
        let (j, mut o) = demo();
        o.sections = vec!["vitals".parse().unwrap_or(Section::Notes), Section::Scales];
        let html = report_html(&j, &o);
        assert!(html.contains("<h2>Vital signs</h2>") && html.contains("<h2>PHQ-9 and GAD-7</h2>"));
        for gone in [
            "Regimen and actual use",
            "<h2>Supply",
            "Daily ratings",
            "<h2>Notes",
        ] {
            assert!(!html.contains(gone), "{gone} should be left out");
        }
        assert!(html.contains("About these data") && html.ends_with("</html>\n"));
        let err = "bladder".parse::<Section>().err().unwrap_or_default();
        assert!(err.contains("side-effects"), "{err}");
    }
}

#[cfg(test)]
mod chart_tests {
    use super::*;
    use dosewise_core::checkin::{Rating, Ratings};
    use dosewise_core::testing::{checkin, ts};

    fn mood(id: i64, at: &str, m: i64) -> Checkin {
        let r = Ratings {
            mood: Rating::new(m).ok(),
            ..Ratings::default()
        };
        checkin(id, ts(at), r, &[])
    }

    #[test]
    fn ratings_are_daily_means_and_weekly_over_long_periods() {
        let berlin = dosewise_core::when::zone("Europe/Berlin").unwrap_or(TimeZone::UTC);
        let cs = [
            mood(1, "2026-11-02T07:00:00Z", 4),
            mood(2, "2026-11-02T20:00:00Z", 6),
            mood(3, "2026-11-04T20:00:00Z", 7),
        ];
        let refs: Vec<&Checkin> = cs.iter().collect();
        let c = ratings_chart(
            &refs,
            &[],
            &[],
            ts("2026-10-31T23:00:00Z"),
            ts("2026-11-29T23:00:00Z"),
            &berlin,
        );
        let mood = &c.series[0];
        assert_eq!(mood.label, "mood (daily mean)");
        // Noon in Berlin (CET, UTC+1) is 11:00 UTC.
        assert_eq!(
            mood.points,
            vec![
                (ts("2026-11-02T11:00:00Z"), 5.0),
                (ts("2026-11-04T11:00:00Z"), 7.0)
            ]
        );
        let long = ratings_chart(
            &refs,
            &[],
            &[],
            ts("2026-01-01T00:00:00Z"),
            ts("2026-11-29T23:00:00Z"),
            &berlin,
        );
        let mood = &long.series[0];
        assert_eq!(mood.label, "mood (weekly mean)");
        // Monday 2 to Sunday 8 November is one week, drawn at its middle (Thursday noon).
        assert_eq!(mood.points.len(), 1);
        assert!((mood.points[0].1 - 17.0 / 3.0).abs() < 1e-12);
        assert_eq!(mood.points[0].0, ts("2026-11-05T11:00:00Z"));
    }
}
