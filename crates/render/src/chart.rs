//! Small SVG charts, drawn here rather than by a plotting library: a time axis, a value axis,
//! lines, point markers, shaded horizontal bands and reference lines. Pure string building, no
//! fonts needed (the viewer renders the text), so the web pages and the report share them.

use dosewise_core::jiff::Timestamp;
use dosewise_core::jiff::tz::TimeZone;
use std::fmt::Write;

/// One series of points.
#[derive(Debug, Clone)]
pub struct Series {
    pub label: String,
    pub colour: &'static str,
    pub points: Vec<(Timestamp, f64)>,
    /// Draw markers only (no line), e.g. doses.
    pub markers_only: bool,
}

/// A shaded band between two values (e.g. a severity band).
#[derive(Debug, Clone)]
pub struct Band {
    pub from: f64,
    pub to: f64,
    pub label: String,
    pub colour: &'static str,
}

/// A horizontal reference line (e.g. a limit).
#[derive(Debug, Clone)]
pub struct Rule {
    pub value: f64,
    pub label: String,
}

#[derive(Debug, Clone)]
pub struct Chart {
    pub title: String,
    pub y_label: String,
    pub y_min: f64,
    pub y_max: f64,
    pub from: Timestamp,
    /// The end (exclusive: the start of the day after the last one shown).
    pub to: Timestamp,
    /// The zone dates on the time axis are shown in.
    pub tz: TimeZone,
    pub series: Vec<Series>,
    pub bands: Vec<Band>,
    pub rules: Vec<Rule>,
    /// Instants marked with a thin vertical tick along the bottom (e.g. doses).
    pub ticks: Vec<Timestamp>,
    /// Changes marked by a dashed vertical line across the plot, numbered 1, 2, … at the top
    /// (e.g. protocol changes); the text (which should carry its local date) goes into the SVG's
    /// description for screen readers, and the page lists the numbers beside the chart.
    pub events: Vec<(Timestamp, String)>,
}

/// The width a chart is drawn at for a wide screen and for paper.
pub const WIDE: f64 = 640.0;
/// The width a chart is drawn at for a phone: about the width of a 390 px screen's content, so
/// its text shows at close to its own size instead of being scaled down to a few pixels.
pub const NARROW: f64 = 360.0;
const H: f64 = 240.0;
const LEFT: f64 = 48.0;
const RIGHT: f64 = 12.0;
const TOP: f64 = 28.0;
const BOTTOM: f64 = 36.0;
/// The height of one more row of legend, when the legend does not fit on one.
const LEGEND_ROW: f64 = 15.0;

/// Escape text for SVG/HTML.
pub fn esc(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
        .replace('\'', "&#39;")
}

fn nice_step(span: f64) -> f64 {
    let raw = span / 5.0;
    let mag = 10f64.powf(raw.abs().log10().floor());
    let n = raw / mag;
    let step = if n < 1.5 {
        1.0
    } else if n < 3.5 {
        2.0
    } else if n < 7.5 {
        5.0
    } else {
        10.0
    };
    step * mag
}

/// Where each series' legend entry goes, wrapping to another row when the next would not fit
/// in `w`: the (x, row) of each entry.
fn legend_layout(labels: &[&str], w: f64) -> Vec<(f64, usize)> {
    let mut at = Vec::with_capacity(labels.len());
    let (mut x, mut row) = (LEFT, 0);
    for l in labels {
        let width = 14.0 + 6.5 * l.chars().count() as f64;
        if x > LEFT && x + width > w - RIGHT {
            x = LEFT;
            row += 1;
        }
        at.push((x, row));
        x += width + 10.0;
    }
    at
}

impl Chart {
    fn date(&self, t: Timestamp, format: &str) -> String {
        t.to_zoned_datetime(self.tz.clone())
            .strftime(format)
            .to_string()
    }
    fn x(&self, t: Timestamp, w: f64) -> f64 {
        let span = self.to.duration_since(self.from).as_secs_f64().max(1.0);
        LEFT + (w - LEFT - RIGHT)
            * (t.duration_since(self.from).as_secs_f64() / span).clamp(0.0, 1.0)
    }
    fn y(&self, v: f64) -> f64 {
        let span = (self.y_max - self.y_min).max(f64::EPSILON);
        TOP + (H - TOP - BOTTOM) * (1.0 - ((v - self.y_min) / span).clamp(0.0, 1.0))
    }

    /// The chart as an SVG document at the wide width (with a title and description for
    /// screen readers).
    pub fn svg(&self) -> String {
        self.svg_at(WIDE)
    }

    /// The chart drawn `w` units wide ([`WIDE`] or [`NARROW`]): the plot, its text and its
    /// marks keep their sizes; a narrower chart has fewer date labels and wraps its legend.
    pub fn svg_at(&self, w: f64) -> String {
        let labels: Vec<&str> = self.series.iter().map(|s| s.label.as_str()).collect();
        let legend = legend_layout(&labels, w);
        let rows = legend.iter().map(|&(_, r)| r).max().unwrap_or(0);
        let h = H + LEGEND_ROW * rows as f64;
        let mut s = String::new();
        // The title and desc elements name and describe the image (no ids: a page holds many).
        let _ = write!(
            s,
            r#"<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {w} {h}" width="100%" role="img" font-family="sans-serif" font-size="11"><title>{}</title><desc>{}</desc>"#,
            esc(&self.title),
            esc(&format!(
                "{} from {} to {}{}",
                self.y_label,
                self.date(self.from, "%Y-%m-%d"),
                self.date(
                    self.to
                        .checked_sub(jiff::SignedDuration::from_secs(1))
                        .unwrap_or(self.to),
                    "%Y-%m-%d"
                ),
                self.events
                    .iter()
                    .enumerate()
                    .map(|(i, (_, what))| format!("; change {}: {what}", i + 1))
                    .collect::<String>()
            ))
        );
        let _ = write!(
            s,
            r#"<text x="{LEFT}" y="16" font-size="13" font-weight="bold">{}</text>"#,
            esc(&self.title)
        );
        for b in &self.bands {
            let (y1, y2) = (self.y(b.to), self.y(b.from));
            let _ = write!(
                s,
                r##"<rect x="{LEFT}" y="{y1:.1}" width="{:.1}" height="{:.1}" fill="{}" opacity="0.18"/><text x="{:.1}" y="{:.1}" text-anchor="end" fill="#555" font-size="10">{}</text>"##,
                w - LEFT - RIGHT,
                (y2 - y1).max(0.0),
                b.colour,
                w - RIGHT - 2.0,
                y1 + 10.0,
                esc(&b.label)
            );
        }
        // Value axis with gridlines.
        let step = nice_step(self.y_max - self.y_min);
        let mut v = (self.y_min / step).ceil() * step;
        while v <= self.y_max + 1e-9 {
            let y = self.y(v);
            let _ = write!(
                s,
                r##"<line x1="{LEFT}" y1="{y:.1}" x2="{:.1}" y2="{y:.1}" stroke="#ddd"/><text x="{:.1}" y="{:.1}" text-anchor="end" fill="#333">{}</text>"##,
                w - RIGHT,
                LEFT - 4.0,
                y + 3.5,
                dosewise_core::units::fmt_num(v)
            );
            v += step;
        }
        let _ = write!(
            s,
            r##"<text x="12" y="{:.1}" transform="rotate(-90 12 {:.1})" text-anchor="middle" fill="#333">{}</text>"##,
            H / 2.0,
            H / 2.0,
            esc(&self.y_label)
        );
        // Time axis: a date label about every 100 units (six on a wide chart, four on a narrow).
        let days = (self.to.duration_since(self.from).as_hours() / 24).max(1);
        let gaps = if w < WIDE { 3 } else { 5 };
        for i in 0..=gaps {
            let t = self
                .from
                .checked_add(jiff::SignedDuration::from_hours(24 * days * i / gaps))
                .unwrap_or(self.from);
            let x = self.x(t, w);
            let anchor = match i {
                0 => "start",
                i if i == gaps => "end",
                _ => "middle",
            };
            let _ = write!(
                s,
                r##"<text x="{x:.1}" y="{:.1}" text-anchor="{anchor}" fill="#333">{}</text>"##,
                H - BOTTOM + 16.0,
                self.date(t, "%d %b")
            );
        }
        let _ = write!(
            s,
            r##"<line x1="{LEFT}" y1="{:.1}" x2="{:.1}" y2="{:.1}" stroke="#333"/>"##,
            H - BOTTOM,
            w - RIGHT,
            H - BOTTOM
        );
        for r in &self.rules {
            let y = self.y(r.value);
            let _ = write!(
                s,
                r##"<line x1="{LEFT}" y1="{y:.1}" x2="{:.1}" y2="{y:.1}" stroke="#b00" stroke-dasharray="5 3"/><text x="{:.1}" y="{:.1}" fill="#b00" font-size="10">{}</text>"##,
                w - RIGHT,
                LEFT + 4.0,
                y - 3.0,
                esc(&r.label)
            );
        }
        // One tick per tenth of a pixel: years of doses on one axis would otherwise repeat the
        // same line thousands of times.
        let mut last_tick = f64::NAN;
        for t in &self.ticks {
            let x = (self.x(*t, w) * 10.0).round() / 10.0;
            if x == last_tick {
                continue;
            }
            last_tick = x;
            let _ = write!(
                s,
                r##"<line x1="{x:.1}" y1="{:.1}" x2="{x:.1}" y2="{:.1}" stroke="#7a3" stroke-width="1.5"/>"##,
                H - BOTTOM - 6.0,
                H - BOTTOM
            );
        }
        for (i, (t, _)) in self.events.iter().enumerate() {
            let x = self.x(*t, w);
            let _ = write!(
                s,
                r##"<line x1="{x:.1}" y1="{TOP}" x2="{x:.1}" y2="{:.1}" stroke="#666" stroke-dasharray="3 3"/><text x="{:.1}" y="{:.1}" fill="#444" font-size="10" font-weight="bold">{}</text>"##,
                H - BOTTOM,
                x + 2.0,
                TOP + 9.0,
                i + 1
            );
        }
        for (se, &(legend_x, row)) in self.series.iter().zip(&legend) {
            if !se.markers_only && se.points.len() > 1 {
                let pts: Vec<String> = se
                    .points
                    .iter()
                    .map(|(t, v)| format!("{:.1},{:.1}", self.x(*t, w), self.y(*v)))
                    .collect();
                let _ = write!(
                    s,
                    r#"<polyline fill="none" stroke="{}" stroke-width="1.6" points="{}"/>"#,
                    se.colour,
                    pts.join(" ")
                );
            }
            // Past this many points a line reads better without a marker on each.
            let markers = se.markers_only || se.points.len() <= 120;
            let mut last = (f64::NAN, f64::NAN);
            for (t, v) in se.points.iter().filter(|_| markers) {
                // A marker exactly on the previous one adds nothing.
                let at = (
                    (self.x(*t, w) * 10.0).round() / 10.0,
                    (self.y(*v) * 10.0).round() / 10.0,
                );
                if at == last {
                    continue;
                }
                last = at;
                let _ = write!(
                    s,
                    r#"<circle cx="{:.1}" cy="{:.1}" r="2.4" fill="{}"/>"#,
                    at.0, at.1, se.colour
                );
            }
            let base = H + LEGEND_ROW * row as f64;
            let _ = write!(
                s,
                r##"<rect x="{legend_x:.1}" y="{:.1}" width="10" height="3" fill="{}"/><text x="{:.1}" y="{:.1}" fill="#333">{}</text>"##,
                base - 8.0,
                se.colour,
                legend_x + 14.0,
                base - 4.0,
                esc(&se.label)
            );
        }
        s.push_str("</svg>");
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use dosewise_core::testing::ts;

    #[test]
    fn svg_is_well_formed_and_escaped() {
        let c = Chart {
            title: "Mood <and> anxiety".into(),
            y_label: "rating".into(),
            y_min: 0.0,
            y_max: 10.0,
            from: ts("2026-11-01T00:00:00Z"),
            to: ts("2026-11-29T00:00:00Z"),
            tz: TimeZone::UTC,
            series: vec![Series {
                label: "mood".into(),
                colour: "#1f77b4",
                points: vec![
                    (ts("2026-11-02T20:00:00Z"), 4.0),
                    (ts("2026-11-20T20:00:00Z"), 7.0),
                ],
                markers_only: false,
            }],
            bands: vec![Band {
                from: 0.0,
                to: 5.0,
                label: "low".into(),
                colour: "#ccc",
            }],
            rules: vec![Rule {
                value: 8.0,
                label: "limit".into(),
            }],
            ticks: vec![ts("2026-11-05T08:00:00Z")],
            events: vec![(ts("2026-11-15T09:00:00Z"), "dose 10 mg → 12 mg".into())],
        };
        let svg = c.svg();
        assert!(svg.starts_with("<svg") && svg.ends_with("</svg>"));
        assert!(svg.contains("Mood &lt;and&gt; anxiety") && !svg.contains("<and>"));
        assert_eq!(svg.matches("<polyline").count(), 1);
        assert!(svg.contains("stroke-dasharray"));
        // Points are placed inside the plot area.
        assert!(svg.contains("<circle"));
        // The change is a dashed line at 14/28 of the time axis, described in words.
        assert!(svg.contains("stroke-dasharray=\"3 3\""));
        let mid = LEFT + (WIDE - LEFT - RIGHT) * (14.0 * 24.0 + 9.0) / (28.0 * 24.0);
        assert!(
            svg.contains(&format!("x1=\"{mid:.1}\" y1=\"{TOP}\"")),
            "{svg}"
        );
        assert!(svg.contains("change 1: dose 10 mg → 12 mg"));
    }

    #[test]
    fn dates_are_local_days() {
        let berlin = dosewise_core::when::zone("Europe/Berlin").unwrap_or(TimeZone::UTC);
        // Local midnight of 1 and of 29 November in Berlin is 23:00 UTC the day before.
        let c = Chart {
            title: "t".into(),
            y_label: "rating".into(),
            y_min: 0.0,
            y_max: 10.0,
            from: ts("2026-10-31T23:00:00Z"),
            to: ts("2026-11-28T23:00:00Z"),
            tz: berlin,
            series: vec![],
            bands: vec![],
            rules: vec![],
            ticks: vec![],
            events: vec![],
        };
        let svg = c.svg();
        assert!(
            svg.contains("rating from 2026-11-01 to 2026-11-28"),
            "{svg}"
        );
        assert!(
            svg.contains(">01 Nov<") && svg.contains(">29 Nov<"),
            "{svg}"
        );
    }

    #[test]
    fn a_narrow_chart_keeps_its_text_size_and_wraps_its_legend() {
        let series = |label: &str| Series {
            label: label.into(),
            colour: "#1f77b4",
            points: vec![(ts("2026-11-02T20:00:00Z"), 4.0)],
            markers_only: false,
        };
        let c = Chart {
            title: "Mood and anxiety".into(),
            y_label: "rating".into(),
            y_min: 0.0,
            y_max: 10.0,
            from: ts("2026-11-01T00:00:00Z"),
            to: ts("2026-11-29T00:00:00Z"),
            tz: TimeZone::UTC,
            series: vec![
                series("mood"),
                series("anxiety"),
                series("energy (weekly mean)"),
                series("sleep (weekly mean)"),
            ],
            bands: vec![],
            rules: vec![],
            ticks: vec![],
            events: vec![],
        };
        let (wide, narrow) = (c.svg(), c.svg_at(NARROW));
        // The wide chart has its legend on one row; the narrow one needs a second, and grows.
        assert!(wide.contains(r#"viewBox="0 0 640 240""#), "{wide}");
        assert!(narrow.contains(r#"viewBox="0 0 360 255""#), "{narrow}");
        // The same font size: the narrow chart is drawn for its width, not scaled down.
        assert!(narrow.contains(r#"font-size="11""#));
        // Six date labels on the wide chart, four on the narrow one.
        let dates = |svg: &str| svg.matches(" Nov<").count();
        assert_eq!((dates(&wide), dates(&narrow)), (6, 4));
        // Every legend entry starts inside the narrow chart and ends before its right edge.
        let labels: Vec<&str> = c.series.iter().map(|s| s.label.as_str()).collect();
        for ((x, _), l) in legend_layout(&labels, NARROW).iter().zip(&labels) {
            assert!(
                *x >= LEFT && x + 14.0 + 6.5 * l.chars().count() as f64 <= NARROW - RIGHT + 0.1
            );
        }
        // No ids that would repeat when a page holds several charts.
        assert!(!narrow.contains(" id=") && !wide.contains(" id="));
    }
}
