//! The login form (only when the server listens beyond loopback).

use crate::AppState;
use crate::error::WebError;
use crate::layout::{bare, csrf, error_box};
use crate::security::{CheckedForm, Csrf, SESSION_COOKIE, cookie, set_cookie};
use axum::Extension;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use maud::{Markup, html};

fn form_page(token: &Csrf, error: Option<&str>) -> Markup {
    bare(
        "Log in",
        html! {
            h1 { "Dosewise" }
            (error_box(error))
            form method="post" action="/login" {
                (csrf(token))
                label for="passphrase" { "Login passphrase" }
                input #passphrase type="password" name="passphrase" autocomplete="current-password" required;
                button type="submit" { "Log in" }
            }
        },
    )
}

pub async fn form(State(st): State<AppState>, Extension(token): Extension<Csrf>) -> Response {
    if st.0.config.login.is_none() {
        return Redirect::to("/").into_response();
    }
    form_page(&token, None).into_response()
}

pub async fn submit(
    State(st): State<AppState>,
    Extension(token): Extension<Csrf>,
    CheckedForm(f): CheckedForm,
) -> Result<Response, WebError> {
    let Some(login) = st.0.config.login.clone() else {
        return Ok(Redirect::to("/").into_response());
    };
    let pass =
        f.0.iter()
            .find(|(k, _)| k == "passphrase")
            .map(|(_, v)| v.clone())
            .unwrap_or_default();
    // Hashing is deliberately slow: off the async executor.
    let ok = tokio::task::spawn_blocking(move || login.verify(&pass))
        .await
        .map_err(|e| WebError::Internal(e.to_string()))?;
    if !ok {
        return Ok((
            StatusCode::UNAUTHORIZED,
            form_page(&token, Some("wrong passphrase")),
        )
            .into_response());
    }
    let session = st.add_session();
    let mut r = Redirect::to("/").into_response();
    r.headers_mut()
        .append(header::SET_COOKIE, set_cookie(SESSION_COOKIE, &session));
    Ok(r)
}

pub async fn logout(
    State(st): State<AppState>,
    headers: HeaderMap,
    CheckedForm(_): CheckedForm,
) -> Response {
    if let Some(t) = cookie(&headers, SESSION_COOKIE) {
        st.end_session(t);
    }
    let mut r = Redirect::to("/login").into_response();
    r.headers_mut().append(
        header::SET_COOKIE,
        HeaderValue::from_static("dw_session=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0"),
    );
    r
}
