//! The whole journal out (JSON, CSV tables, an encrypted backup) and back in (import of a
//! plain or encrypted copy, all or nothing).

use super::more::rejected;
use crate::AppState;
use crate::error::WebError;
use crate::layout::{Nav, csrf, error_box, page};
use crate::security::{CheckedForm, Csrf, check_token};
use axum::Extension;
use axum::extract::{Multipart, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use dosewise_app::backup::{Opening, Sealing};
use dosewise_store::Passphrase;
use dosewise_store::Store;
use maud::{Markup, html};

/// The journal as a FHIR R4 Bundle, private check-ins left out (`export --format fhir`).
pub async fn export_fhir(State(st): State<AppState>) -> Result<Response, WebError> {
    let body = {
        let store = st.store().await;
        dosewise_app::interop::fhir_export(&*store, false, st.now()).await?
    };
    Ok(download(
        body.into_bytes(),
        "application/fhir+json",
        "dosewise-fhir.json",
    ))
}

pub async fn export_json(State(st): State<AppState>) -> Result<Response, WebError> {
    let j = {
        let store = st.store().await;
        store.export().await?
    };
    let body = serde_json::to_vec_pretty(&j).map_err(|e| WebError::Internal(e.to_string()))?;
    Ok(download(body, "application/json", "dosewise-export.json"))
}

/// A download: `body` as `content_type`, saved as `filename`.
fn download(body: Vec<u8>, content_type: &'static str, filename: &str) -> Response {
    let mut r = (StatusCode::OK, body).into_response();
    let h = r.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    if let Ok(v) = HeaderValue::from_str(&format!("attachment; filename=\"{filename}\"")) {
        h.insert(header::CONTENT_DISPOSITION, v);
    }
    r
}

#[derive(Debug, serde::Deserialize)]
pub struct CsvQuery {
    table: Option<dosewise_render::csv::Table>,
}

/// One table as CSV (`dosewise export --format csv --table …`).
pub async fn export_csv(
    State(st): State<AppState>,
    axum::extract::Query(q): axum::extract::Query<CsvQuery>,
) -> Result<Response, WebError> {
    let table = q.table.unwrap_or(dosewise_render::csv::Table::Doses);
    let j = st.store().await.export().await?;
    let csv = dosewise_render::csv::table(&j, table);
    Ok(download(
        csv.into_bytes(),
        "text/csv; charset=utf-8",
        &format!("dosewise-{}.csv", table.as_str()),
    ))
}

/// The passphrase a person typed for a new backup, typed twice alike.
fn new_passphrase(f: &crate::security::FormData) -> Result<Passphrase, String> {
    let p = f.raw("passphrase").unwrap_or_default();
    if f.raw("passphrase_again") != Some(p) {
        return Err("the two passphrases differ; type the same one twice".into());
    }
    Passphrase::new_key(p.to_string()).map_err(|e| e.to_string())
}

/// An encrypted backup of the whole journal (`dosewise backup`), downloaded.
pub async fn backup(
    State(st): State<AppState>,
    Extension(token): Extension<Csrf>,
    CheckedForm(f): CheckedForm,
) -> Result<Response, WebError> {
    let key = match new_passphrase(&f) {
        Ok(k) => k,
        Err(m) => {
            return Ok(
                (StatusCode::BAD_REQUEST, import_page(&token, Some(&m), None)).into_response(),
            );
        }
    };
    let (sealed, _) = {
        let store = st.store().await;
        dosewise_app::backup::backup(&*store, Sealing::Passphrase(&key)).await?
    };
    let day = st
        .now()
        .to_zoned_datetime(dosewise_core::jiff::tz::TimeZone::UTC)
        .date();
    Ok(download(
        sealed,
        "application/octet-stream",
        &format!("dosewise-backup-{day}.age"),
    ))
}

/// What the import page shows after a file: a Dosewise import's result, or another app's
/// preview (with the file kept in the form, to import with one more tap) or result.
enum Imported<'a> {
    Journal(&'a dosewise_store::ImportReport),
    OtherApp {
        r: &'a dosewise_app::interop::OtherAppImport,
        /// The file's text, for the confirm form of a preview.
        content: Option<&'a str>,
        private: bool,
    },
}

fn other_app(
    token: &Csrf,
    r: &dosewise_app::interop::OtherAppImport,
    content: Option<&str>,
    private: bool,
) -> Markup {
    html! {
        section.card #pw-result aria-labelledby="pw-h" {
            @let from = if r.source == dosewise_app::interop::FHIR { "From a FHIR Bundle" } else { "From PsychonautWiki Journal" };
            @if r.dry_run {
                h2 #pw-h { (from) ": nothing saved yet" }
            } @else {
                h2 #pw-h { (from) ": imported" }
            }
            p role="status" { (r.headline()) }
            ul { @for l in r.remarks() { li { (l) } } }
            @if !r.preview.is_empty() {
                details open[r.dry_run] {
                    summary { "The records, as they would be recorded" }
                    ul.plain { @for l in &r.preview { li { (l) } } }
                }
            }
            @if let (true, Some(text)) = (r.dry_run, content) {
                form method="post" action="/import" enctype="multipart/form-data" {
                    (csrf(token))
                    input type="hidden" name="content" value=(text);
                    input type="hidden" name="confirm" value="1";
                    @if private { input type="hidden" name="private" value="1"; }
                    button type="submit" { "Import these records" }
                    " " a href="/import" { "Cancel" }
                }
            }
        }
    }
}

fn import_page(token: &Csrf, error: Option<&str>, done: Option<Imported<'_>>) -> Markup {
    page(
        "Import",
        Nav::More,
        html! {
            h1 { "Import" }
            (error_box(error))
            @match &done {
                Some(Imported::Journal(r)) => {
                    p.ok role="status" { "Imported " (r.doses) " doses, " (r.checkins) " check-ins, " (r.stocks) " stocks, " (r.assessments) " questionnaires, " (r.vitals) " vital-sign readings; " (r.unchanged) " records were already here." }
                }
                Some(Imported::OtherApp { r, content, private }) => { (other_app(token, r, *content, *private)) }
                None => {}
            }
            p { "Adds the records of a JSON export, an encrypted backup or a PsychonautWiki Journal export to this journal, all or nothing: records already here are skipped; a conflicting record stops the import with nothing written. A PsychonautWiki Journal file or a spreadsheet (CSV) is shown first, and saved only when you confirm." }
            form method="post" action="/import" enctype="multipart/form-data" {
                (csrf(token))
                label for="file" { "Export, backup, PsychonautWiki Journal file or spreadsheet (.json, .age or .csv)" }
                input #file type="file" name="file" accept=".json,.age,.csv,application/json,text/csv,application/octet-stream" required;
                label for="import-passphrase" { "Passphrase (only for an encrypted file)" }
                input #import-passphrase type="password" name="passphrase" autocomplete="off" maxlength="1024";
                div.checks { label { input type="checkbox" name="private" value="1"; "Keep notes from another app private (never in a report or shared)" } }
                button type="submit" { "Import" }
            }
            h2 #backup { "Encrypted backup" }
            p { "The whole journal in one file, encrypted with a passphrase of your choice and protected against changes (the age format). Keep the passphrase: without it the backup cannot be opened. To bring it back, import it on this page with its passphrase." }
            form method="post" action="/backup" {
                (csrf(token))
                label for="backup-passphrase" { "New passphrase (at least 8 characters)" }
                input #backup-passphrase type="password" name="passphrase" autocomplete="new-password" required minlength="8" maxlength="1024";
                label for="backup-passphrase-again" { "The same passphrase again" }
                input #backup-passphrase-again type="password" name="passphrase_again" autocomplete="new-password" required minlength="8" maxlength="1024";
                button type="submit" { "Download the encrypted backup" }
            }
            h2 #csv { "Spreadsheet tables (CSV)" }
            p { "Not encrypted: keep the files as carefully as the journal itself." }
            ul.links {
                li { a href="/export.csv?table=doses" download="dosewise-doses.csv" { "Doses (CSV)" } }
                li { a href="/export.csv?table=checkins" download="dosewise-checkins.csv" { "Check-ins (CSV)" } }
                li { a href="/export.csv?table=stock" download="dosewise-stock.csv" { "Stock (CSV)" } }
            }
            h2 #fhir { "For a clinician's system (FHIR)" }
            p { "An HL7 FHIR R4 Bundle: your doses, your plan, PHQ-9 and GAD-7, blood pressure, heart rate and weight, and your check-in ratings — private check-ins left out. Not encrypted; it names you only if your profile has a name." }
            ul.links { li { a href="/export.fhir.json" download="dosewise-fhir.json" { "FHIR R4 Bundle (JSON)" } } }
        },
    )
}

pub async fn import_form(Extension(token): Extension<Csrf>) -> Markup {
    import_page(&token, None, None)
}

/// A PsychonautWiki Journal file: previewed, or imported once confirmed.
async fn import_other_app(
    st: &AppState,
    token: &Csrf,
    app: dosewise_app::interop::OtherApp,
    bytes: Vec<u8>,
    confirm: bool,
    private: bool,
) -> Result<Response, WebError> {
    // The preview carries the file's text back in its confirm form; an import needs no copy.
    let content = (!confirm).then(|| String::from_utf8_lossy(&bytes).into_owned());
    let r = {
        let store = st.store().await;
        let o = dosewise_app::interop::Options {
            zone: st.0.config.zone.as_deref(),
            private,
            dry_run: !confirm,
        };
        dosewise_app::interop::import_other(&*store, app, bytes, "the file", o, st.now()).await
    };
    match r {
        Ok(r) => Ok(import_page(
            token,
            None,
            Some(Imported::OtherApp {
                r: &r,
                content: content.as_deref(),
                private,
            }),
        )
        .into_response()),
        Err(e) => rejected(e, |m| import_page(token, Some(m), None)),
    }
}

/// A file that is neither JSON nor encrypted: a spreadsheet.
fn is_sheet(bytes: &[u8]) -> bool {
    let start = bytes
        .iter()
        .position(|b| !b.is_ascii_whitespace())
        .map_or(&bytes[..0], |k| &bytes[k..]);
    let start = start.strip_prefix(b"\xef\xbb\xbf").unwrap_or(start);
    !start.is_empty() && !matches!(start[0], b'{' | b'[') && !dosewise_app::backup::is_sealed(bytes)
}

/// A spreadsheet: first the columns to map (the header names' guess chosen), then the rows
/// as they would be recorded, then, confirmed, imported.
async fn import_sheet(
    st: &AppState,
    token: &Csrf,
    bytes: Vec<u8>,
    fields: &[(String, String)],
    confirm: bool,
    private: bool,
) -> Result<Response, WebError> {
    use dosewise_core::spreadsheet::Field;
    let get = |k: &str| {
        fields
            .iter()
            .find(|(n, _)| n == k)
            .map(|(_, v)| v.trim().to_string())
            .filter(|v| !v.is_empty())
    };
    let content = String::from_utf8_lossy(&bytes).into_owned();
    let (headers, guess) = match dosewise_app::interop::sheet_columns(&bytes, "the file") {
        Ok(x) => x,
        Err(e) => return rejected(e, |m| import_page(token, Some(m), None)),
    };
    let mapped = get("sheet").is_some();
    let map = if mapped {
        Field::ALL
            .iter()
            .filter_map(|f| get(&format!("map-{}", f.name())).map(|c| format!("{}={c}", f.name())))
            .collect::<Vec<_>>()
            .join(",")
    } else {
        guess
    };
    let chosen: std::collections::HashMap<String, String> = map
        .split(',')
        .filter_map(|p| p.split_once('='))
        .map(|(f, c)| (f.to_string(), c.to_string()))
        .collect();
    let stocks = {
        let store = st.store().await;
        store.stocks(false).await?
    };
    let form = |r: Option<&dosewise_app::interop::OtherAppImport>, error: Option<&str>| {
        sheet_page(
            token,
            &SheetForm {
                content: &content,
                headers: &headers,
                chosen: &chosen,
                date_format: get("date_format"),
                time: get("time"),
                unit: get("unit"),
                stock: get("stock"),
                stocks: &stocks,
                private,
            },
            r,
            error,
        )
    };
    if !mapped {
        return Ok(form(None, None).into_response());
    }
    let r = {
        let store = st.store().await;
        dosewise_app::interop::import_sheet(
            &*store,
            bytes,
            "the file",
            &dosewise_app::interop::SheetRequest {
                map: Some(map.clone()),
                date_format: get("date_format"),
                time: get("time"),
                unit: get("unit"),
                route: None,
                salt: None,
                substance: None,
                stock: get("stock"),
            },
            dosewise_app::interop::Options {
                zone: st.0.config.zone.as_deref(),
                private,
                dry_run: !confirm,
            },
            st.now(),
        )
        .await
    };
    match r {
        Ok(r) if r.dry_run => Ok(form(Some(&r), None).into_response()),
        Ok(r) => Ok(import_page(
            token,
            None,
            Some(Imported::OtherApp {
                r: &r,
                content: None,
                private,
            }),
        )
        .into_response()),
        Err(e) => rejected(e, |m| form(None, Some(m))),
    }
}

/// What the spreadsheet's form shows again on every step.
struct SheetForm<'a> {
    content: &'a str,
    headers: &'a [String],
    chosen: &'a std::collections::HashMap<String, String>,
    date_format: Option<String>,
    time: Option<String>,
    unit: Option<String>,
    stock: Option<String>,
    stocks: &'a [dosewise_core::stock::Stock],
    private: bool,
}

fn sheet_page(
    token: &Csrf,
    f: &SheetForm<'_>,
    preview: Option<&dosewise_app::interop::OtherAppImport>,
    error: Option<&str>,
) -> Markup {
    use dosewise_core::spreadsheet::Field;
    let hidden = html! {
        (csrf(token))
        input type="hidden" name="content" value=(f.content);
        input type="hidden" name="sheet" value="1";
        @if f.private { input type="hidden" name="private" value="1"; }
    };
    page(
        "Import a spreadsheet",
        Nav::More,
        html! {
            h1 { "Import a spreadsheet" }
            (error_box(error))
            @if let Some(r) = preview {
                section.card #pw-result aria-labelledby="sheet-h" {
                    h2 #sheet-h { "Nothing saved yet" }
                    p role="status" { (r.headline()) }
                    ul { @for l in r.remarks() { li { (l) } } }
                    @if !r.preview.is_empty() {
                        details open {
                            summary { "The records, as they would be recorded" }
                            ul.plain { @for l in &r.preview { li { (l) } } }
                        }
                    }
                    form method="post" action="/import" enctype="multipart/form-data" {
                        (hidden)
                        @for (k, v) in f.chosen { input type="hidden" name=(format!("map-{k}")) value=(v); }
                        @for (name, v) in [("date_format", &f.date_format), ("time", &f.time), ("unit", &f.unit), ("stock", &f.stock)] {
                            @if let Some(v) = v { input type="hidden" name=(name) value=(v); }
                        }
                        input type="hidden" name="confirm" value="1";
                        button type="submit" { "Import these records" }
                        " " a href="/import" { "Cancel" }
                    }
                }
            }
            p { "Say which column holds what; then you see the rows as they would be recorded, and nothing is saved until you confirm. Every row must be readable, or nothing is imported." }
            form method="post" action="/import" enctype="multipart/form-data" {
                (hidden)
                fieldset {
                    legend { "Columns" }
                    @for field in Field::ALL {
                        @let id = format!("map-{}", field.name());
                        label for=(id) { (field.name()) ": " (field.question()) }
                        select #(id) name=(id) {
                            option value="" { "(none)" }
                            @for h in f.headers {
                                option value=(h) selected[f.chosen.get(field.name()) == Some(h)] { (h) }
                            }
                        }
                    }
                }
                label for="date_format" { "Date format, if not YYYY-MM-DD (optional)" }
                p.hint #date-format-hint { "For example %d/%m/%Y %H:%M reads 03/04/2026 08:00 as 3 April; %m/%d/%Y %H:%M as 4 March." }
                input #date_format type="text" name="date_format" value=[f.date_format.as_deref()] maxlength="100" aria-describedby="date-format-hint" autocomplete="off";
                label for="time" { "Time for rows without one (optional)" }
                input #time type="time" name="time" value=[f.time.as_deref()];
                label for="unit" { "Unit of amounts written as a bare number" }
                select #unit name="unit" {
                    option value="" { "(they all say their unit)" }
                    @for u in ["mg", "troche", "spray", "mL"] { option value=(u) selected[f.unit.as_deref() == Some(u)] { (u) } }
                }
                label for="stock" { "The stock they came from, for troches, sprays or mL (its supply is not taken)" }
                select #stock name="stock" {
                    option value="" { "(none: the amounts are masses)" }
                    @for s in f.stocks { option value=(s.id) selected[f.stock.as_deref() == Some(s.id.to_string().as_str())] { (s.stock.name) } }
                }
                button type="submit" { "Show the rows" }
            }
        },
    )
}

pub async fn import_submit(
    State(st): State<AppState>,
    Extension(token): Extension<Csrf>,
    mut mp: Multipart,
) -> Result<Response, WebError> {
    let mut submitted = None;
    let mut file = None;
    let mut passphrase = None;
    let (mut confirm, mut private) = (false, false);
    // The spreadsheet's fields: the mapping ("map-date" → a column) and how to read it.
    let mut sheet: Vec<(String, String)> = Vec::new();
    while let Some(field) = mp
        .next_field()
        .await
        .map_err(|e| WebError::Input(format!("could not read the upload: {e}")))?
    {
        match field.name() {
            Some("csrf") => {
                submitted = Some(
                    field
                        .text()
                        .await
                        .map_err(|e| WebError::Input(e.to_string()))?,
                )
            }
            Some("passphrase") => {
                passphrase = Some(zeroize::Zeroizing::new(
                    field
                        .text()
                        .await
                        .map_err(|e| WebError::Input(e.to_string()))?,
                ))
            }
            Some("confirm") => confirm = true,
            Some(name)
                if name.starts_with("map-")
                    || matches!(name, "sheet" | "date_format" | "time" | "unit" | "stock") =>
            {
                let name = name.to_string();
                let value = field
                    .text()
                    .await
                    .map_err(|e| WebError::Input(e.to_string()))?;
                sheet.push((name, value));
            }
            Some("private") => private = true,
            Some("file" | "content") => {
                file = Some(
                    field
                        .bytes()
                        .await
                        .map_err(|e| WebError::Input(format!("could not read the file: {e}")))?
                        .to_vec(),
                )
            }
            _ => {}
        }
    }
    check_token(Some(&token), submitted.as_deref())?;
    let bytes = file.ok_or_else(|| WebError::Input("choose a file to import".into()))?;
    if let Some(app) = dosewise_app::interop::other_app(&bytes) {
        return import_other_app(&st, &token, app, bytes, confirm, private).await;
    }
    if is_sheet(&bytes) {
        return import_sheet(&st, &token, bytes, &sheet, confirm, private).await;
    }
    let r = if dosewise_app::backup::is_sealed(&bytes) {
        match passphrase.filter(|p| !p.is_empty()) {
            None => Err(dosewise_app::input(
                "this file is encrypted: type its passphrase, then import again",
            )),
            Some(p) => match Passphrase::new(p.to_string()) {
                Err(e) => Err(dosewise_app::input(e)),
                Ok(key) => {
                    let store = st.store().await;
                    dosewise_app::backup::import(&*store, &bytes, Opening::Passphrase(&key)).await
                }
            },
        }
    } else {
        match dosewise_app::transfer::parse_export(bytes, "the file") {
            Ok(j) => {
                let store = st.store().await;
                dosewise_app::transfer::import(&*store, &j).await
            }
            Err(e) => Err(e),
        }
    };
    match r {
        Ok(report) => {
            Ok(import_page(&token, None, Some(Imported::Journal(&report))).into_response())
        }
        Err(e) => rejected(e, |m| import_page(&token, Some(m), None)),
    }
}
