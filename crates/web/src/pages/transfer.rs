//! The whole journal out (JSON) and back in (import, all or nothing).

use super::more::rejected;
use crate::AppState;
use crate::error::WebError;
use crate::layout::{Nav, csrf, error_box, page};
use crate::security::{Csrf, check_token};
use axum::Extension;
use axum::extract::{Multipart, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use dosewise_store::Store;
use maud::{Markup, html};

pub async fn export_json(State(st): State<AppState>) -> Result<Response, WebError> {
    let j = {
        let store = st.store().await;
        store.export().await?
    };
    let body = serde_json::to_vec_pretty(&j).map_err(|e| WebError::Internal(e.to_string()))?;
    let mut r = (StatusCode::OK, body).into_response();
    let h = r.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    h.insert(
        header::CONTENT_DISPOSITION,
        HeaderValue::from_static("attachment; filename=\"dosewise-export.json\""),
    );
    Ok(r)
}

fn import_page(
    token: &Csrf,
    error: Option<&str>,
    report: Option<&dosewise_store::ImportReport>,
) -> Markup {
    page(
        "Import",
        Nav::More,
        html! {
            h1 { "Import" }
            (error_box(error))
            @if let Some(r) = report {
                p.ok role="status" { "Imported " (r.doses) " doses, " (r.checkins) " check-ins, " (r.stocks) " stocks, " (r.assessments) " questionnaires, " (r.vitals) " vital-sign readings; " (r.unchanged) " records were already here." }
            }
            p { "Adds the records of a JSON export (" code { "dosewise export" } ") to this journal, all or nothing: records already here are skipped; a conflicting record stops the import with nothing written. Encrypted exports: " code { "dosewise import FILE" } "." }
            form method="post" action="/import" enctype="multipart/form-data" {
                (csrf(token))
                label for="file" { "Export file (.json)" }
                input #file type="file" name="file" accept=".json,application/json" required;
                button type="submit" { "Import" }
            }
        },
    )
}

pub async fn import_form(Extension(token): Extension<Csrf>) -> Markup {
    import_page(&token, None, None)
}

pub async fn import_submit(
    State(st): State<AppState>,
    Extension(token): Extension<Csrf>,
    mut mp: Multipart,
) -> Result<Response, WebError> {
    let mut submitted = None;
    let mut file = None;
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
            Some("file") => {
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
    let r = match dosewise_app::transfer::parse_export(bytes, "the file") {
        Ok(j) => {
            let store = st.store().await;
            dosewise_app::transfer::import(&*store, &j).await
        }
        Err(e) => Err(e),
    };
    match r {
        Ok(report) => Ok(import_page(&token, None, Some(&report)).into_response()),
        Err(e) => rejected(e, |m| import_page(&token, Some(m), None)),
    }
}
