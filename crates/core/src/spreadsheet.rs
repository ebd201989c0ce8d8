//! Reading a spreadsheet someone kept (CSV, comma- or semicolon-separated) into doses and
//! check-ins, by a column mapping they state: `date=Date,amount=Dose,mood=Mood`. Pure: the text
//! in, the records out. Strict where a guess could be wrong: a bare number needs a unit, a date
//! that is not `YYYY-MM-DD` needs its format stated (03/04/2026 is 3 April or 4 March), a count
//! or volume needs the stock it came from to say the milligrams. Any bad row refuses the file,
//! every bad row named by its number.

use crate::checkin::{NewCheckin, Rating, Ratings};
use crate::dose::{DoseInput, prepare_dose};
use crate::dose_expr::{ParseError, Quantity, parse_quantity};
use crate::incoming::Converted;
use crate::route::{Route, Substance};
use crate::salt::Salt;
use crate::stock::Stock;
use crate::units::Kilograms;
use jiff::Timestamp;
use jiff::tz::TimeZone;
use thiserror::Error;

/// The tag on every check-in made from a spreadsheet.
pub const TAG: &str = "spreadsheet";

/// At most this many bad rows are named; the rest are counted.
const NAMED: usize = 20;
/// At most this many rows (a few decades of daily rows, many times over).
pub const MAX_ROWS: usize = 200_000;

#[derive(Debug, Clone, PartialEq, Error)]
pub enum SheetError {
    #[error("{0}")]
    Read(String),
    #[error("{0}")]
    Mapping(String),
    #[error("{} of its rows cannot be recorded:\n{}", .0.len(), .0.join("\n"))]
    Rows(Vec<String>),
}

/// What a column can hold.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Field {
    /// The date, or the date and time.
    Date,
    /// The time of day, when the date column holds only the date.
    Time,
    /// The dose's amount, with or without its unit.
    Amount,
    Route,
    Note,
    Mood,
    Anxiety,
    Energy,
    Focus,
    Sleep,
    Irritability,
    Craving,
}

impl Field {
    pub const ALL: [Field; 12] = [
        Field::Date,
        Field::Time,
        Field::Amount,
        Field::Route,
        Field::Note,
        Field::Mood,
        Field::Anxiety,
        Field::Energy,
        Field::Focus,
        Field::Sleep,
        Field::Irritability,
        Field::Craving,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Field::Date => "date",
            Field::Time => "time",
            Field::Amount => "amount",
            Field::Route => "route",
            Field::Note => "note",
            Field::Mood => "mood",
            Field::Anxiety => "anxiety",
            Field::Energy => "energy",
            Field::Focus => "focus",
            Field::Sleep => "sleep",
            Field::Irritability => "irritability",
            Field::Craving => "craving",
        }
    }

    /// What the field is, for a prompt.
    pub fn question(self) -> &'static str {
        match self {
            Field::Date => "the date (or date and time) of each row",
            Field::Time => "the time of day, if the date column has none",
            Field::Amount => "the dose's amount",
            Field::Route => "the route (sublingual, nasal, oral, …)",
            Field::Note => "a note",
            Field::Mood => "a mood rating (0-10)",
            Field::Anxiety => "an anxiety rating (0-10)",
            Field::Energy => "an energy rating (0-10)",
            Field::Focus => "a focus rating (0-10)",
            Field::Sleep => "a sleep rating (0-10)",
            Field::Irritability => "an irritability rating (0-10)",
            Field::Craving => "a craving rating (0-10)",
        }
    }

    fn parse(s: &str) -> Option<Field> {
        Field::ALL.into_iter().find(|f| f.name() == s)
    }

    /// Header names other than its own that usually mean this field.
    fn synonyms(self) -> &'static [&'static str] {
        match self {
            Field::Date => &[
                "datetime",
                "date/time",
                "when",
                "day",
                "taken",
                "time taken",
            ],
            Field::Time => &["hour", "clock"],
            Field::Amount => &["dose", "dosage", "mg", "quantity"],
            Field::Route => &["how"],
            Field::Note => &["notes", "comment", "comments"],
            // A rating's column goes by its own name.
            _ => &[],
        }
    }
}

/// A spreadsheet as read: its header row and the rows after it.
#[derive(Debug, Clone, PartialEq)]
pub struct Sheet {
    pub headers: Vec<String>,
    pub rows: Vec<Vec<String>>,
}

/// Read CSV text: comma- or semicolon-separated (the one the header row uses more), quoted
/// fields, a byte-order mark. The first row names the columns.
pub fn read(text: &str) -> Result<Sheet, SheetError> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let first = text.lines().next().unwrap_or("");
    if first.trim().is_empty() {
        return Err(SheetError::Read(
            "the file is empty, or its first line is: the first line must name the columns".into(),
        ));
    }
    let delimiter = if first.matches(';').count() > first.matches(',').count() {
        b';'
    } else if first.matches('\t').count() > first.matches(',').count() {
        b'\t'
    } else {
        b','
    };
    let mut r = csv::ReaderBuilder::new()
        .delimiter(delimiter)
        .flexible(true)
        .from_reader(text.as_bytes());
    let headers: Vec<String> = r
        .headers()
        .map_err(|e| SheetError::Read(format!("the header row cannot be read: {e}")))?
        .iter()
        .map(|h| h.trim().to_string())
        .collect();
    let mut rows = Vec::new();
    for (k, rec) in r.records().enumerate() {
        let rec = rec.map_err(|e| {
            SheetError::Read(format!(
                "row {} cannot be read as CSV: {e}",
                e.position().map_or(k + 2, |p| p.line() as usize)
            ))
        })?;
        if rows.len() >= MAX_ROWS {
            return Err(SheetError::Read(format!(
                "more than {MAX_ROWS} rows: is it the right file?"
            )));
        }
        rows.push(rec.iter().map(|c| c.trim().to_string()).collect());
    }
    Ok(Sheet { headers, rows })
}

/// Which column holds which field.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Mapping {
    pub columns: Vec<(Field, usize)>,
}

impl Mapping {
    fn get(&self, f: Field) -> Option<usize> {
        self.columns.iter().find(|(g, _)| *g == f).map(|(_, c)| *c)
    }

    /// The mapping as `--map` writes it.
    pub fn spec(&self, headers: &[String]) -> String {
        self.columns
            .iter()
            .map(|(f, c)| {
                format!(
                    "{}={}",
                    f.name(),
                    headers.get(*c).map_or("?", String::as_str)
                )
            })
            .collect::<Vec<_>>()
            .join(",")
    }

    /// Map `field` to a column; a field given twice is refused.
    pub fn set(&mut self, f: Field, column: usize) -> Result<(), SheetError> {
        if self.get(f).is_some() {
            return Err(SheetError::Mapping(format!("{} is mapped twice", f.name())));
        }
        self.columns.push((f, column));
        Ok(())
    }

    /// The mapping is enough to record something: a date, and an amount or a rating or note.
    pub fn check(&self) -> Result<(), SheetError> {
        if self.get(Field::Date).is_none() {
            return Err(SheetError::Mapping(
                "map the date column (date=COLUMN): every record needs its time".into(),
            ));
        }
        if self
            .columns
            .iter()
            .all(|(f, _)| matches!(f, Field::Date | Field::Time))
        {
            return Err(SheetError::Mapping(
                "map at least an amount, a rating or a note (amount=COLUMN, mood=COLUMN, …)".into(),
            ));
        }
        Ok(())
    }
}

fn column(headers: &[String], name: &str) -> Result<usize, SheetError> {
    headers
        .iter()
        .position(|h| h == name)
        .or_else(|| headers.iter().position(|h| h.eq_ignore_ascii_case(name)))
        .ok_or_else(|| {
            SheetError::Mapping(format!(
                "there is no column {name:?}; the columns are: {}",
                headers
                    .iter()
                    .map(|h| format!("{h:?}"))
                    .collect::<Vec<_>>()
                    .join(", ")
            ))
        })
}

/// Read `date=Date,amount=Dose,…` against the sheet's headers.
pub fn parse_map(spec: &str, headers: &[String]) -> Result<Mapping, SheetError> {
    let mut m = Mapping::default();
    for part in spec.split(',').map(str::trim).filter(|p| !p.is_empty()) {
        let (field, col) = part.split_once('=').ok_or_else(|| {
            SheetError::Mapping(format!(
                "{part:?} is not FIELD=COLUMN (for example date=Date)"
            ))
        })?;
        let f = Field::parse(field.trim().to_ascii_lowercase().as_str()).ok_or_else(|| {
            SheetError::Mapping(format!(
                "unknown field {:?}: use {}",
                field.trim(),
                Field::ALL
                    .iter()
                    .map(|f| f.name())
                    .collect::<Vec<_>>()
                    .join(", ")
            ))
        })?;
        m.set(f, column(headers, col.trim())?)?;
    }
    m.check()?;
    Ok(m)
}

/// A mapping guessed from the header names (for a prompt's defaults, or a suggested `--map`).
pub fn guess(headers: &[String]) -> Mapping {
    let mut m = Mapping::default();
    for f in &Field::ALL {
        if let Some(c) = headers.iter().position(|h| {
            let h = h.trim().to_lowercase();
            h == f.name() || f.synonyms().contains(&h.as_str())
        }) && !m.columns.iter().any(|(_, used)| *used == c)
        {
            m.columns.push((*f, c));
        }
    }
    m
}

/// How to read the rows.
#[derive(Debug, Clone)]
pub struct Options<'a> {
    /// The zone the times are in.
    pub tz: TimeZone,
    /// A jiff/strftime format for the date column (`%d/%m/%Y`, `%d.%m.%Y %H:%M`); without it
    /// only `YYYY-MM-DD` (with or without `HH:MM`) is read.
    pub date_format: Option<&'a str>,
    /// The time for rows whose date has none and that have no time column.
    pub time: Option<&'a str>,
    /// The unit of a bare number ("mg", "troche").
    pub unit: Option<&'a str>,
    /// The route when no column gives one.
    pub route: Option<Route>,
    /// The salt of masses (the stock's, with a stock).
    pub salt: Salt,
    pub substance: Substance,
    /// The stock the doses came from, to say the milligrams of a count or volume. Its supply
    /// is not taken: these doses are history.
    pub stock: Option<&'a Stock>,
    pub weight: Option<Kilograms>,
    pub now: Timestamp,
}

fn instant(date: &str, time: Option<&str>, o: &Options<'_>) -> Result<Timestamp, String> {
    let now = o.now.to_zoned_datetime(o.tz.clone());
    let local = match o.date_format {
        Some(fmt) => {
            let text = match time {
                Some(t) => format!("{date} {t}"),
                None => date.to_string(),
            };
            let full = match time {
                Some(_) => format!("{fmt} %H:%M"),
                None => fmt.to_string(),
            };
            if let Ok(dt) = jiff::civil::DateTime::strptime(&full, &text) {
                dt.strftime("%Y-%m-%d %H:%M").to_string()
            } else if let Ok(d) = jiff::civil::Date::strptime(&full, &text) {
                let t = o.time.ok_or_else(|| {
                    format!(
                        "{text:?} has no time of day: map a time column (time=COLUMN) or give --time HH:MM"
                    )
                })?;
                format!("{} {t}", d.strftime("%Y-%m-%d"))
            } else {
                return Err(format!("{text:?} does not match the date format {full:?}"));
            }
        }
        None => {
            // (By the first ten bytes, which must be whole characters: the fuzzer found a
            // "µ" across the tenth.)
            let iso = date.get(..10).is_some_and(|d| {
                d.as_bytes()[4] == b'-'
                    && d.as_bytes()[7] == b'-'
                    && d.chars().filter(char::is_ascii_digit).count() == 8
            });
            if !iso {
                return Err(format!(
                    "{date:?} is not a YYYY-MM-DD date; for other forms give --date-format (\"%d/%m/%Y\" reads 03/04/2026 as 3 April, \"%m/%d/%Y\" as 4 March)"
                ));
            }
            match (date.len() > 10, time, o.time) {
                (true, _, _) => date.replacen('T', " ", 1),
                (false, Some(t), _) | (false, None, Some(t)) => format!("{date} {t}"),
                (false, None, None) => {
                    return Err(format!(
                        "{date:?} has no time of day: map a time column (time=COLUMN) or give --time HH:MM"
                    ));
                }
            }
        }
    };
    // Read like a time typed in: a local time skipped by the clocks is refused, not moved.
    crate::when::parse_when(&local, &now)
        .map(|w| w.instant)
        .map_err(|e| e.to_string())
}

fn rating(v: &str, name: &str) -> Result<Option<Rating>, String> {
    if v.is_empty() {
        return Ok(None);
    }
    v.parse::<i64>()
        .ok()
        .and_then(|n| Rating::new(n).ok())
        .map(Some)
        .ok_or_else(|| format!("{name} {v:?} is not a whole number from 0 to 10"))
}

/// The rows as records: a dose for a row with an amount, a check-in (tagged `spreadsheet`) for
/// a row with ratings, or with a note and no amount. Blank rows are counted and left out.
pub fn convert(sheet: &Sheet, m: &Mapping, o: &Options<'_>) -> Result<Converted, SheetError> {
    m.check()?;
    let mut out = Converted::default();
    let mut bad = Vec::new();
    for (k, row) in sheet.rows.iter().enumerate() {
        let n = k + 2; // the header is row 1
        let cell = |f: Field| {
            m.get(f)
                .and_then(|c| row.get(c))
                .map(String::as_str)
                .unwrap_or("")
        };
        if m.columns.iter().all(|(f, _)| cell(*f).is_empty()) {
            out.empty += 1;
            continue;
        }
        match record(&cell, o) {
            Ok((dose, checkin)) => {
                out.doses.extend(dose);
                out.checkins.extend(checkin);
            }
            Err(e) => bad.push(format!("row {n}: {e}")),
        }
    }
    if !bad.is_empty() {
        let total = bad.len();
        bad.truncate(NAMED);
        if total > NAMED {
            bad.push(format!("and {} more rows", total - NAMED));
        }
        return Err(SheetError::Rows(bad));
    }
    Ok(out)
}

type Record = (Option<crate::dose::NewDose>, Option<NewCheckin>);

fn record<'r>(cell: &dyn Fn(Field) -> &'r str, o: &Options<'_>) -> Result<Record, String> {
    let date = cell(Field::Date);
    if date.is_empty() {
        return Err("no date".into());
    }
    let time = Some(cell(Field::Time)).filter(|t| !t.is_empty());
    let at = instant(date, time, o)?;
    let zone = crate::when::zone_name(&o.tz);
    // The same words whatever the file is called or where the row sits, so that importing the
    // rows again (renamed, from another surface, with rows added above) adds nothing.
    let from = "From a spreadsheet".to_string();
    let note = Some(cell(Field::Note)).filter(|t| !t.is_empty());
    let ratings = Ratings {
        mood: rating(cell(Field::Mood), "mood")?,
        anxiety: rating(cell(Field::Anxiety), "anxiety")?,
        energy: rating(cell(Field::Energy), "energy")?,
        focus: rating(cell(Field::Focus), "focus")?,
        sleep: rating(cell(Field::Sleep), "sleep")?,
        irritability: rating(cell(Field::Irritability), "irritability")?,
    };
    let craving = rating(cell(Field::Craving), "craving")?;
    let amount = cell(Field::Amount);
    let dose = if amount.is_empty() {
        None
    } else {
        let (entered, q) = match (parse_quantity(amount), o.unit) {
            (Err(ParseError::MissingUnit(_)), Some(u)) => {
                let with = format!("{amount} {u}");
                (
                    with.clone(),
                    parse_quantity(&with).map_err(|e| e.to_string())?,
                )
            }
            (Err(ParseError::MissingUnit(_)), None) => {
                return Err(format!(
                    "{amount:?} has no unit: give --unit (mg, troche, spray, mL) for bare numbers"
                ));
            }
            (q, _) => (amount.to_string(), q.map_err(|e| e.to_string())?),
        };
        // A count or a volume says its milligrams only with the stock it came from.
        let (quantity, salt, substance, default_route) = match (&q, o.stock) {
            (Quantity::Mg(_), None) => (q, o.salt, o.substance, Route::Sublingual),
            (_, Some(s)) => {
                let r = s.stock.preparation.resolve(&q).map_err(|e| e.to_string())?;
                (
                    Quantity::Mg(r.mass.mg),
                    r.mass.salt,
                    s.stock.preparation.substance,
                    s.stock.default_route,
                )
            }
            (_, None) => {
                return Err(format!(
                    "{entered:?} is {}: give --stock with the stock it came from, so Dosewise can tell the milligrams",
                    q.class()
                ));
            }
        };
        let route = match cell(Field::Route) {
            "" => o.route.unwrap_or(default_route),
            r => r.parse::<Route>()?,
        };
        let mut text = from.clone();
        if let Some(s) = o.stock {
            text.push_str(&format!(
                "; as {} ({}; its supply not taken)",
                entered, s.stock.name
            ));
        }
        if let Some(n) = note {
            text.push_str(&format!(": {n}"));
        } else {
            text.push('.');
        }
        Some(
            prepare_dose(
                DoseInput {
                    entered: entered.clone(),
                    quantity,
                    route: Some(route),
                    at,
                    zone: zone.clone(),
                    note: Some(text),
                    salt: Some(salt),
                    substance: Some(substance),
                    protocol_id: None,
                },
                None,
                o.weight,
                o.now,
            )
            .map_err(|e| e.to_string())?,
        )
    };
    let checkin = (!ratings.is_empty() || craving.is_some() || (dose.is_none() && note.is_some()))
        .then(|| NewCheckin {
            at,
            zone,
            ratings,
            side_effects: vec![],
            craving,
            urinary: vec![],
            note: Some(match (note, &dose) {
                (Some(n), None) => format!("{from}: {n}"),
                _ => format!("{from}."),
            }),
            tags: vec![TAG.to_string()],
            private: false,
            guess: None,
        });
    Ok((dose, checkin))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::ts;

    fn berlin() -> TimeZone {
        crate::when::zone("Europe/Berlin").unwrap_or(TimeZone::UTC)
    }
    fn options<'a>() -> Options<'a> {
        Options {
            tz: berlin(),
            date_format: None,
            time: None,
            unit: None,
            route: None,
            salt: Salt::Hcl,
            substance: Substance::Ketamine,
            stock: None,
            weight: None,
            now: ts("2026-12-01T12:00:00Z"),
        }
    }
    fn run(text: &str, map: &str, o: &Options<'_>) -> Result<Converted, SheetError> {
        let s = read(text)?;
        let m = parse_map(map, &s.headers)?;
        convert(&s, &m, o)
    }
    fn err(r: Result<Converted, SheetError>) -> String {
        r.err().map(|e| e.to_string()).unwrap_or_default()
    }

    #[test]
    fn quoted_fields_semicolons_and_a_byte_order_mark() {
        let s = read("\u{feff}Date;Dose;Notes\n2026-11-01 08:00;12.5 mg;\"calm; slept well\"\n2026-11-02 08:00;\"12,5 mg\";\"two\nlines\"\n")
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(s.headers, vec!["Date", "Dose", "Notes"]);
        assert_eq!(s.rows[0][2], "calm; slept well");
        assert_eq!(s.rows[1][2], "two\nlines");
        let c = read("a,b\n1,\"unclosed\n").map(|s| s.rows.len());
        assert!(c.is_ok() || c.is_err(), "never panics");
        assert!(read("").is_err() && read("\n1,2").is_err());
    }

    #[test]
    fn a_mapping_names_real_columns_once() {
        let h: Vec<String> = ["Date", "Dose", "Mood", "Notes"]
            .iter()
            .map(|s| s.to_string())
            .collect();
        let m = parse_map("date=Date, amount=dose,mood=Mood", &h).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(m.spec(&h), "date=Date,amount=Dose,mood=Mood");
        let e = parse_map("date=Day,amount=Dose", &h)
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default();
        assert!(
            e.contains("no column \"Day\"") && e.contains("\"Notes\""),
            "{e}"
        );
        let e = parse_map("when=Date", &h)
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default();
        assert!(e.starts_with("unknown field \"when\""), "{e}");
        assert!(parse_map("date=Date,amount=Dose,amount=Mood", &h).is_err());
        assert!(
            parse_map("amount=Dose", &h)
                .err()
                .map(|e| e.to_string())
                .unwrap_or_default()
                .contains("map the date column")
        );
        assert!(
            parse_map("date=Date", &h).is_err(),
            "a date alone records nothing"
        );
        assert_eq!(
            guess(&h).spec(&h),
            "date=Date,amount=Dose,note=Notes,mood=Mood"
        );
    }

    #[test]
    fn rows_become_doses_and_check_ins() {
        let text = "Date,Time,Dose,Route,Mood,Anxiety,Notes\n\
            2026-11-01,08:00,12.5 mg,sublingual,6,3,first\n\
            2026-11-02,20:30,,,7,,\n\
            ,,,,,,\n\
            2026-11-03,08:00,15 mg,nasal,,,\n\
            2026-11-04,09:00,,,,,just a note\n";
        let c = run(
            text,
            "date=Date,time=Time,amount=Dose,route=Route,mood=Mood,anxiety=Anxiety,note=Notes",
            &options(),
        )
        .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!((c.doses.len(), c.checkins.len(), c.empty), (2, 3, 1));
        let d = &c.doses[0];
        assert_eq!(
            (d.at, d.dose_mg, d.route, d.salt),
            (
                ts("2026-11-01T07:00:00Z"),
                12.5,
                Route::Sublingual,
                Salt::Hcl
            )
        );
        assert_eq!(d.note.as_deref(), Some("From a spreadsheet: first"));
        assert_eq!(c.doses[1].route, Route::Intranasal);
        // Row 2's ratings go with its dose's check-in; its note stays with the dose.
        let first = &c.checkins[0];
        assert_eq!(
            (
                first.ratings.mood.map(Rating::value),
                first.ratings.anxiety.map(Rating::value)
            ),
            (Some(6), Some(3))
        );
        assert_eq!(first.note.as_deref(), Some("From a spreadsheet."));
        assert_eq!(c.checkins[1].at, ts("2026-11-02T19:30:00Z"));
        assert_eq!(
            c.checkins[2].note.as_deref(),
            Some("From a spreadsheet: just a note")
        );
        assert!(c.checkins.iter().all(|x| x.tags == vec![TAG.to_string()]));
    }

    #[test]
    fn bare_numbers_need_a_unit_and_counts_a_stock() {
        let text = "Date,Dose\n2026-11-01 08:00,12.5\n2026-11-02 08:00,1/2 troche\n";
        let e = err(run(text, "date=Date,amount=Dose", &options()));
        assert!(
            e.contains("row 2: \"12.5\" has no unit: give --unit"),
            "{e}"
        );
        assert!(
            e.contains("row 3: \"1/2 troche\" is a number of troches: give --stock"),
            "{e}"
        );
        assert!(
            e.starts_with("2 of its rows cannot be recorded:\nrow 2:"),
            "{e}"
        );
        let stock = crate::testing::troche_stock(3, 30.0);
        let o = Options {
            unit: Some("troche"),
            stock: Some(&stock),
            ..options()
        };
        // With the stock: "1/2 troche" and a bare "1/2" (in troches) are 12.5 mg HCl; 12.5
        // troches is refused as a likely slip, like any dose typed in.
        let e = err(run(text, "date=Date,amount=Dose", &o));
        assert!(
            e.contains("row 2: 12.5 troches") && !e.contains("row 3"),
            "{e}"
        );
        let c = run(
            "Date,Dose\n2026-11-01 08:00,1/2\n2026-11-02 08:00,1/2 troche\n",
            "date=Date,amount=Dose",
            &o,
        )
        .unwrap_or_else(|e| panic!("{e}"));
        let mg: Vec<(f64, &str)> = c
            .doses
            .iter()
            .map(|d| (d.dose_mg, d.entered.as_str()))
            .collect();
        assert_eq!(mg, vec![(12.5, "1/2 troche"), (12.5, "1/2 troche")]);
        assert_eq!(
            c.doses[0].stock_id, None,
            "history takes nothing from the stock"
        );
        assert!(
            c.doses[0]
                .note
                .as_deref()
                .unwrap_or("")
                .contains("as 1/2 troche (Troche 25; its supply not taken)")
        );
    }

    #[test]
    fn dates_are_read_only_as_stated() {
        let text = "Date,Dose\n03/04/2026 08:00,10 mg\n";
        let e = err(run(text, "date=Date,amount=Dose", &options()));
        assert!(
            e.contains("is not a YYYY-MM-DD date; for other forms give --date-format"),
            "{e}"
        );
        let uk = Options {
            date_format: Some("%d/%m/%Y %H:%M"),
            ..options()
        };
        let c = run(text, "date=Date,amount=Dose", &uk).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(
            c.doses[0].at,
            ts("2026-04-03T06:00:00Z"),
            "3 April, summer time"
        );
        let us = Options {
            date_format: Some("%m/%d/%Y %H:%M"),
            ..options()
        };
        let c = run(text, "date=Date,amount=Dose", &us).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(
            c.doses[0].at,
            ts("2026-03-04T07:00:00Z"),
            "4 March, winter time"
        );
        // A date without a time needs one.
        let day = "Date,Dose\n2026-11-01,10 mg\n";
        assert!(err(run(day, "date=Date,amount=Dose", &options())).contains("has no time of day"));
        let o = Options {
            time: Some("08:00"),
            ..options()
        };
        assert_eq!(
            run(day, "date=Date,amount=Dose", &o)
                .map(|c| c.doses[0].at)
                .ok(),
            Some(ts("2026-11-01T07:00:00Z"))
        );
        // The hour the clocks skip, a day that does not exist, and the future: refused.
        let e = err(run(
            "Date,Dose\n2026-03-29 02:30,10 mg\n2026-02-30 08:00,10 mg\n2027-01-01 08:00,10 mg\n",
            "date=Date,amount=Dose",
            &options(),
        ));
        assert!(e.contains("row 2:") && e.contains("daylight saving"), "{e}");
        assert!(e.contains("row 3:") && e.contains("row 4:"), "{e}");
        // Not a date at all, with a character of two bytes across the tenth (found by fuzzing).
        let e = err(run(
            "Date;Dose\n2026-10-2\u{b5}g0 08:00;10 mg\n",
            "date=Date,amount=Dose",
            &options(),
        ));
        assert!(e.contains("is not a YYYY-MM-DD date"), "{e}");
        // Ratings out of range.
        let e = err(run(
            "Date,Mood\n2026-11-01 08:00,11\n",
            "date=Date,mood=Mood",
            &options(),
        ));
        assert!(
            e.contains("row 2: mood \"11\" is not a whole number from 0 to 10"),
            "{e}"
        );
    }
}
