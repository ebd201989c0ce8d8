//! Records from elsewhere, the same way on every surface: a PsychonautWiki Journal export or a
//! spreadsheet is read, converted (`dosewise_core::pw_journal`, `dosewise_core::spreadsheet`),
//! compared with the journal so that importing the same file again adds nothing, and written in
//! one transaction — or, for a preview, only described. Anything wrong refuses the whole file,
//! with nothing written.

use crate::{Result, input};
use dosewise_core::incoming::{Addition, addition};
use dosewise_core::jiff::Timestamp;
use dosewise_core::journal::Journal;
use dosewise_core::pw_journal;
use dosewise_core::units::fmt_num;
use dosewise_core::when;
use dosewise_store::Store;
use serde::Serialize;

/// What an import from another app added (or, in a preview, would add).
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct OtherAppImport {
    /// Where the records came from: "PsychonautWiki Journal", "a spreadsheet".
    pub source: &'static str,
    /// The tag on the check-ins made from it.
    pub tag: &'static str,
    /// Nothing was written: a preview.
    pub dry_run: bool,
    pub doses: usize,
    pub checkins: usize,
    pub substance_uses: usize,
    /// Questionnaires (PHQ-9, GAD-7), from a FHIR Bundle.
    pub assessments: usize,
    /// Vital-signs readings, from a FHIR Bundle.
    pub vitals: usize,
    /// Records of the file the journal already holds (an earlier import), left out.
    pub already_here: usize,
    /// Doses kept as recorded but flagged as far above the doses before them.
    pub flagged: usize,
    /// Ingestions the app logged for someone else, left out.
    pub for_others: usize,
    /// Ketamine ingestions without an amount, kept as check-in notes.
    pub without_amount: usize,
    /// A spreadsheet's blank rows, left out.
    pub empty_rows: usize,
    /// The first records as they would be recorded, one line each.
    pub preview: Vec<String>,
}

impl OtherAppImport {
    /// One sentence on what was (or would be) added.
    pub fn headline(&self) -> String {
        use dosewise_core::text::count;
        let verb = if self.dry_run { "Would add" } else { "Added" };
        if self.source == FHIR {
            return format!(
                "{verb} {}, {} and {} from a FHIR Bundle.",
                count(self.doses, "dose", "doses"),
                count(self.assessments, "questionnaire", "questionnaires"),
                count(self.vitals, "vital-signs reading", "vital-signs readings"),
            );
        }
        let uses = if self.source == PW_JOURNAL {
            format!(
                ", {} of other substances",
                count(self.substance_uses, "use", "uses")
            )
        } else {
            String::new()
        };
        format!(
            "{verb} {}{uses} and {} (tagged {}) from {}.",
            count(self.doses, "dose", "doses"),
            count(self.checkins, "check-in", "check-ins"),
            self.tag,
            self.source,
        )
    }

    /// What else to know, one sentence each: what was left out, what was flagged, the salt.
    pub fn remarks(&self) -> Vec<String> {
        use dosewise_core::text::count;
        let mut out = Vec::new();
        if self.already_here > 0 {
            out.push(format!(
                "{} of the file {} already here (an earlier import) and {} left out.",
                count(self.already_here, "record", "records"),
                if self.already_here == 1 { "is" } else { "are" },
                if self.already_here == 1 { "is" } else { "are" },
            ));
        }
        if self.flagged > 0 {
            out.push(format!(
                "{} far above the doses before {}: kept as recorded, and flagged. Check the unit in PW Journal; a wrong one can be corrected on the dose.",
                if self.flagged == 1 { "1 dose is".to_string() } else { format!("{} doses are", self.flagged) },
                if self.flagged == 1 { "it" } else { "them" },
            ));
        }
        if self.for_others > 0 {
            out.push(format!(
                "{} logged for someone else: left out.",
                count(self.for_others, "ingestion was", "ingestions were")
            ));
        }
        if self.without_amount > 0 {
            out.push(format!(
                "{} no amount: kept as notes, not doses.",
                count(
                    self.without_amount,
                    "ketamine ingestion has",
                    "ketamine ingestions have"
                )
            ));
        }
        if self.empty_rows > 0 {
            out.push(format!(
                "{} with nothing to record: left out.",
                count(self.empty_rows, "row", "rows")
            ));
        }
        if self.doses > 0 && self.source == PW_JOURNAL {
            out.push("Doses are taken as mg of the hydrochloride (HCl): PW Journal does not name the salt. Each dose's note says so, and where it came from.".into());
        }
        out
    }
}

/// The name of the PsychonautWiki Journal source.
pub const PW_JOURNAL: &str = "PsychonautWiki Journal";
/// The name of the FHIR source.
pub const FHIR: &str = "a FHIR Bundle";
/// The name of the spreadsheet source.
pub const SPREADSHEET: &str = "a spreadsheet";

/// How many records a preview lists.
const PREVIEW_LINES: usize = 12;

fn utf8(bytes: Vec<u8>, label: &str) -> Result<String> {
    String::from_utf8(bytes).map_err(|e| {
        input(format!(
            "{label} is not UTF-8 text (first bad byte at offset {}); it is not a PsychonautWiki Journal export. Nothing was imported.",
            e.utf8_error().valid_up_to()
        ))
    })
}

/// A file from another app, told apart by its content.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OtherApp {
    PwJournal,
    Fhir,
}

impl OtherApp {
    /// Its name in the API's answer.
    pub fn key(self) -> &'static str {
        match self {
            OtherApp::PwJournal => "pw_journal",
            OtherApp::Fhir => "fhir",
        }
    }
}

/// Which other app wrote these bytes, if any (`None`: a Dosewise export, or anything else).
/// A FHIR Bundle is recognised first: it is read exactly, a PW Journal file by its look.
pub fn other_app(bytes: &[u8]) -> Option<OtherApp> {
    if is_fhir(bytes) {
        Some(OtherApp::Fhir)
    } else if is_pw_journal(bytes) {
        Some(OtherApp::PwJournal)
    } else {
        None
    }
}

/// Import (or preview) a file of another app, as told apart by [`other_app`].
pub async fn import_other<S: Store>(
    store: &S,
    app: OtherApp,
    bytes: Vec<u8>,
    label: &str,
    o: Options<'_>,
    now: Timestamp,
) -> Result<OtherAppImport> {
    match app {
        OtherApp::PwJournal => import_pw_journal(store, bytes, label, o, now).await,
        OtherApp::Fhir => import_fhir(store, bytes, label, o, now).await,
    }
}

/// Whether a file's bytes are a FHIR Bundle: a JSON object whose `resourceType` is `Bundle`
/// (anywhere in it: JSON keys have no order).
pub fn is_fhir(bytes: &[u8]) -> bool {
    #[derive(serde::Deserialize)]
    struct Top {
        #[serde(rename = "resourceType")]
        resource_type: Option<String>,
    }
    let starts_as_object = bytes
        .iter()
        .find(|b| !b.is_ascii_whitespace())
        .is_some_and(|b| *b == b'{');
    starts_as_object
        && memchr_str(bytes, b"\"resourceType\"")
        && serde_json::from_slice::<Top>(bytes)
            .is_ok_and(|t| t.resource_type.as_deref() == Some("Bundle"))
}

fn memchr_str(hay: &[u8], needle: &[u8]) -> bool {
    hay.windows(needle.len()).any(|w| w == needle)
}

/// Whether a file's bytes look like a PsychonautWiki Journal export rather than a Dosewise one.
pub fn is_pw_journal(bytes: &[u8]) -> bool {
    std::str::from_utf8(&bytes[..bytes.len().min(1 << 20)])
        .or_else(|e| std::str::from_utf8(&bytes[..e.valid_up_to()]))
        .is_ok_and(pw_journal::looks_like)
}

fn line(a: &Addition, tz: &dosewise_core::jiff::tz::TimeZone) -> Vec<String> {
    let at = |t: Timestamp| when::local_text(t, tz);
    let mut lines: Vec<(Timestamp, String)> = Vec::new();
    for d in &a.doses {
        let flag = if d.findings.is_empty() {
            ""
        } else {
            " — flagged: far above the doses before it"
        };
        lines.push((
            d.at,
            format!(
                "{}: dose {} mg {} ({} mg base) {}{flag}",
                at(d.at),
                fmt_num(d.dose_mg),
                d.salt.label(),
                fmt_num(d.dose_mg_base),
                d.route.as_str(),
            ),
        ));
    }
    for u in &a.uses {
        lines.push((
            u.at,
            format!(
                "{}: use of {}{}",
                at(u.at),
                u.name,
                u.amount
                    .as_deref()
                    .map(|x| format!(", {x}"))
                    .unwrap_or_default()
            ),
        ));
    }
    for x in &a.assessments {
        lines.push((
            x.at,
            format!(
                "{}: {} {} ({})",
                at(x.at),
                x.instrument
                    .to_uppercase()
                    .replace("PHQ9", "PHQ-9")
                    .replace("GAD7", "GAD-7"),
                x.total,
                x.band
            ),
        ));
    }
    for v in &a.vitals {
        let mut parts = Vec::new();
        if let (Some(s), Some(d)) = (v.systolic, v.diastolic) {
            parts.push(format!("{s}/{d} mmHg"));
        }
        if let Some(h) = v.heart_rate {
            parts.push(format!("{h}/min"));
        }
        if let Some(w) = v.weight_kg {
            parts.push(format!("{} kg", fmt_num(w.value())));
        }
        lines.push((
            v.at,
            format!("{}: vital signs {}", at(v.at), parts.join(", ")),
        ));
    }
    for c in &a.checkins {
        let note = c.note.as_deref().unwrap_or("");
        let first: String = note.lines().next().unwrap_or("").chars().take(90).collect();
        lines.push((c.at, format!("{}: note \"{first}\"", at(c.at))));
    }
    lines.sort_by_key(|(t, _)| *t);
    lines.into_iter().map(|(_, l)| l).collect()
}

/// How to import a file from another app.
#[derive(Debug, Clone, Copy, Default)]
pub struct Options<'a> {
    /// The zone the file's times are read in (they carry none): this one, else the profile's.
    pub zone: Option<&'a str>,
    /// Mark the notes private (never in a report or shared).
    pub private: bool,
    /// Only say what would be added.
    pub dry_run: bool,
}

/// Import (or with `dry_run`, preview) a PsychonautWiki Journal export; `label` names the file
/// in messages.
pub async fn import_pw_journal<S: Store>(
    store: &S,
    bytes: Vec<u8>,
    label: &str,
    o: Options<'_>,
    now: Timestamp,
) -> Result<OtherAppImport> {
    let Options {
        zone,
        private,
        dry_run,
    } = o;
    let text = utf8(bytes, label)?;
    let file = pw_journal::parse(&text)
        .map_err(|e| input(format!("{label}: {e}. Nothing was imported.")))?;
    let profile = store.profile().await?;
    let tz = crate::zone(zone, profile.as_ref())?;
    let converted = pw_journal::convert(
        &file,
        &when::zone_name(&tz),
        profile.as_ref().and_then(|p| p.weight_kg),
        now,
        private,
    )
    .map_err(|e| input(format!("{label}: {e}. Nothing was imported.")))?;
    let existing = store.export().await?;
    let a = addition(converted, &existing);
    finish(
        store,
        &existing,
        a,
        (PW_JOURNAL, pw_journal::TAG),
        &tz,
        label,
        dry_run,
        now,
    )
    .await
}

/// Preview, or check every record and write them all in one transaction.
#[allow(clippy::too_many_arguments)]
async fn finish<S: Store>(
    store: &S,
    existing: &Journal,
    a: Addition,
    (source, tag): (&'static str, &'static str),
    tz: &dosewise_core::jiff::tz::TimeZone,
    label: &str,
    dry_run: bool,
    now: Timestamp,
) -> Result<OtherAppImport> {
    let mut report = OtherAppImport {
        source,
        tag,
        dry_run,
        doses: a.doses.len(),
        checkins: a.checkins.len(),
        substance_uses: a.uses.len(),
        assessments: a.assessments.len(),
        vitals: a.vitals.len(),
        already_here: a.already_here,
        flagged: a.flagged,
        for_others: a.for_others,
        without_amount: a.without_amount,
        empty_rows: a.empty,
        preview: line(&a, tz),
    };
    let total = report.preview.len();
    if total > PREVIEW_LINES {
        report.preview.truncate(PREVIEW_LINES);
        report
            .preview
            .push(format!("… and {} more", total - PREVIEW_LINES));
    }
    // Every record checked as if entered by hand, before anything is written.
    let mut checkins = Vec::with_capacity(a.checkins.len());
    for c in a.checkins {
        checkins.push(
            c.validated(now)
                .map_err(|e| input(format!("{label}: a note: {e}. Nothing was imported.")))?,
        );
    }
    let mut uses = Vec::with_capacity(a.uses.len());
    for u in a.uses {
        uses.push(u.validated().map_err(|e| {
            input(format!(
                "{label}: a substance use: {e}. Nothing was imported."
            ))
        })?);
    }
    if dry_run {
        return Ok(report);
    }
    // New ids after each table's last; the store refuses the whole import if one is taken.
    fn numbered<T, R>(
        ids: impl Iterator<Item = i64>,
        items: Vec<T>,
        make: impl Fn(i64, T) -> R,
    ) -> Vec<R> {
        let first = ids.max().unwrap_or(0) + 1;
        (first..).zip(items).map(|(id, x)| make(id, x)).collect()
    }
    let mut j = Journal::empty();
    j.doses = numbered(existing.doses.iter().map(|d| d.id), a.doses, |id, dose| {
        dosewise_core::dose::Dose {
            id,
            dose,
            created_at: now,
            updated_at: None,
            deleted_at: None,
        }
    });
    j.checkins = numbered(existing.checkins.iter().map(|c| c.id), checkins, |id, c| {
        dosewise_core::checkin::Checkin::new(id, c, now)
    });
    j.substance_uses = numbered(
        existing.substance_uses.iter().map(|u| u.id),
        uses,
        |id, usage| dosewise_core::medication::SubstanceUse {
            id,
            usage,
            created_at: now,
        },
    );
    j.assessments = numbered(
        existing.assessments.iter().map(|x| x.id),
        a.assessments,
        |id, assessment| dosewise_core::questionnaire::Assessment {
            id,
            assessment,
            created_at: now,
        },
    );
    j.vitals = numbered(
        existing.vitals.iter().map(|x| x.id),
        a.vitals,
        |id, vitals| dosewise_core::vitals::Vitals {
            id,
            vitals,
            created_at: now,
        },
    );
    store
        .import(&j)
        .await
        .map_err(|e| input(format!("{e}. Nothing was imported.")))?;
    Ok(report)
}

/// How to read a spreadsheet, as a person states it (every surface the same).
#[derive(Debug, Clone, Default)]
pub struct SheetRequest {
    /// `date=Date,amount=Dose,…`; `None` is refused with the columns and a suggested mapping.
    pub map: Option<String>,
    /// A strftime format for the date column, e.g. `%d/%m/%Y`.
    pub date_format: Option<String>,
    /// The time of rows whose date has none.
    pub time: Option<String>,
    /// The unit of bare numbers.
    pub unit: Option<String>,
    pub route: Option<dosewise_core::route::Route>,
    /// The salt of masses (default: the hydrochloride).
    pub salt: Option<dosewise_core::salt::Salt>,
    pub substance: Option<dosewise_core::route::Substance>,
    /// The stock the doses came from (name or id), to say the mg of counts and volumes.
    pub stock: Option<String>,
}

/// Read a spreadsheet's header row: its columns and the mapping guessed from their names.
pub fn sheet_columns(bytes: &[u8], label: &str) -> Result<(Vec<String>, String)> {
    let text = std::str::from_utf8(bytes).map_err(|e| {
        input(format!(
            "{label} is not UTF-8 text (first bad byte at offset {}): save it as CSV UTF-8",
            e.valid_up_to()
        ))
    })?;
    let sheet =
        dosewise_core::spreadsheet::read(text).map_err(|e| input(format!("{label}: {e}")))?;
    let guess = dosewise_core::spreadsheet::guess(&sheet.headers).spec(&sheet.headers);
    Ok((sheet.headers, guess))
}

/// Import (or preview) a spreadsheet's rows as doses and check-ins.
pub async fn import_sheet<S: Store>(
    store: &S,
    bytes: Vec<u8>,
    label: &str,
    req: &SheetRequest,
    o: Options<'_>,
    now: Timestamp,
) -> Result<OtherAppImport> {
    use dosewise_core::spreadsheet;
    let nothing = |e: String| input(format!("{label}: {e}\nNothing was imported."));
    let text = String::from_utf8(bytes).map_err(|e| {
        input(format!(
            "{label} is not UTF-8 text (first bad byte at offset {}): save it as CSV UTF-8. Nothing was imported.",
            e.utf8_error().valid_up_to()
        ))
    })?;
    let sheet = spreadsheet::read(&text).map_err(|e| nothing(e.to_string()))?;
    let Some(spec) = req.map.as_deref().filter(|m| !m.trim().is_empty()) else {
        let guess = spreadsheet::guess(&sheet.headers).spec(&sheet.headers);
        return Err(input(format!(
            "say which column holds what, e.g. --map \"{}\". The columns are: {}. Nothing was imported.",
            if guess.is_empty() {
                "date=COLUMN,amount=COLUMN".to_string()
            } else {
                guess
            },
            sheet
                .headers
                .iter()
                .map(|h| format!("{h:?}"))
                .collect::<Vec<_>>()
                .join(", ")
        )));
    };
    let mapping =
        spreadsheet::parse_map(spec, &sheet.headers).map_err(|e| nothing(e.to_string()))?;
    let profile = store.profile().await?;
    let tz = crate::zone(o.zone, profile.as_ref())?;
    let stock = match req.stock.as_deref() {
        Some(k) => Some(crate::dose::find_stock(store, k).await?),
        None => None,
    };
    if stock.is_some() && (req.salt.is_some() || req.substance.is_some()) {
        return Err(input(
            "salt and substance are for doses without a stock; a stock states its own",
        ));
    }
    let converted = spreadsheet::convert(
        &sheet,
        &mapping,
        &spreadsheet::Options {
            tz: tz.clone(),
            date_format: req.date_format.as_deref(),
            time: req.time.as_deref(),
            unit: req.unit.as_deref(),
            route: req.route,
            salt: req.salt.unwrap_or(dosewise_core::salt::Salt::Hcl),
            substance: req
                .substance
                .unwrap_or(dosewise_core::route::Substance::Ketamine),
            stock: stock.as_ref(),
            weight: profile.as_ref().and_then(|p| p.weight_kg),
            now,
        },
    )
    .map_err(|e| nothing(e.to_string()))?;
    let mut converted = converted;
    if o.private {
        for c in &mut converted.checkins {
            c.private = true;
        }
    }
    let existing = store.export().await?;
    let a = addition(converted, &existing);
    finish(
        store,
        &existing,
        a,
        (SPREADSHEET, spreadsheet::TAG),
        &tz,
        label,
        o.dry_run,
        now,
    )
    .await
}

/// The journal as a FHIR R4 Bundle (JSON text); `private` includes private check-ins.
pub async fn fhir_export<S: Store>(store: &S, private: bool, now: Timestamp) -> Result<String> {
    let j = store.export().await?;
    let b = dosewise_core::fhir::bundle(&j, now, private);
    serde_json::to_string_pretty(&b).map_err(|e| crate::AppError::Input(e.to_string()))
}

/// Import (or preview) a FHIR R4 Bundle's doses, PHQ-9/GAD-7 scores and vital signs.
pub async fn import_fhir<S: Store>(
    store: &S,
    bytes: Vec<u8>,
    label: &str,
    o: Options<'_>,
    now: Timestamp,
) -> Result<OtherAppImport> {
    let text = String::from_utf8(bytes).map_err(|e| {
        input(format!(
            "{label} is not UTF-8 text (first bad byte at offset {}); it is not a FHIR Bundle. Nothing was imported.",
            e.utf8_error().valid_up_to()
        ))
    })?;
    let profile = store.profile().await?;
    let tz = crate::zone(o.zone, profile.as_ref())?;
    let f = dosewise_core::fhir::read(
        &text,
        &when::zone_name(&tz),
        profile.as_ref().and_then(|p| p.weight_kg),
        now,
    )
    .map_err(|e| input(format!("{label}: {e}. Nothing was imported.")))?;
    let converted = dosewise_core::incoming::Converted {
        doses: f.doses,
        assessments: f.assessments,
        vitals: f.vitals,
        ..Default::default()
    };
    let existing = store.export().await?;
    let a = addition(converted, &existing);
    finish(
        store,
        &existing,
        a,
        (FHIR, "fhir"),
        &tz,
        label,
        o.dry_run,
        now,
    )
    .await
}
