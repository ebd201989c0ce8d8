//! The login form (only when the server listens beyond loopback), with the back-off, the
//! passphrase length limit and the bound on concurrent checks (`session`); log out, here or
//! everywhere.

use crate::AppState;
use crate::error::WebError;
use crate::layout::{bare, csrf, error_box};
use crate::security::{CheckedForm, ClientAddr, Csrf, SESSION_COOKIE, SessionToken, set_cookie};
use crate::session::{MAX_PASSPHRASE, MAX_WAIT};
use axum::Extension;
use axum::extract::State;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use maud::{Markup, html};
use std::time::{Duration, Instant};

fn form_page(token: &Csrf, error: Option<&str>) -> Markup {
    bare(
        "Log in",
        html! {
            h1 { "Dosewise" }
            (error_box(error))
            form method="post" action="/login" {
                (csrf(token))
                label for="passphrase" { "Login passphrase" }
                input #passphrase type="password" name="passphrase" autocomplete="current-password" maxlength=(MAX_PASSPHRASE) required;
                button type="submit" { "Log in" }
            }
        },
    )
}

pub async fn form(State(st): State<AppState>, Extension(token): Extension<Csrf>) -> Response {
    if st.login().is_none() {
        return Redirect::to("/").into_response();
    }
    form_page(&token, None).into_response()
}

/// How long to wait for a free password check before answering "busy".
const QUEUE: Duration = Duration::from_secs(10);

pub async fn submit(
    State(st): State<AppState>,
    ClientAddr(addr): ClientAddr,
    Extension(token): Extension<Csrf>,
    CheckedForm(f): CheckedForm,
) -> Result<Response, WebError> {
    let Some(login) = st.login() else {
        return Ok(Redirect::to("/").into_response());
    };
    let throttle = &st.0.throttle;
    if let Some(wait) = throttle.wait(&addr, Instant::now()) {
        return Err(WebError::TooMany(wait.as_secs().max(1)));
    }
    let pass =
        f.0.iter()
            .find(|(k, _)| k == "passphrase")
            .map(|(_, v)| v.clone())
            .unwrap_or_default();
    let wrong = |msg: &str| {
        let (n, wait) = throttle.failed(&addr, Instant::now());
        // The address and the count only: never what was typed.
        eprintln!(
            "dosewise serve: failed login from {addr} ({n} in a row){}",
            wait.map_or(String::new(), |w| format!(
                "; the next try must wait {} s",
                w.as_secs()
            ))
        );
        let msg = match wait {
            Some(w) => format!(
                "{msg}; wait {} s before the next try (up to {} min after many wrong tries)",
                w.as_secs(),
                MAX_WAIT.as_secs() / 60
            ),
            None => msg.to_string(),
        };
        Ok((StatusCode::UNAUTHORIZED, form_page(&token, Some(&msg))).into_response())
    };
    // Checked before hashing: a huge passphrase costs memory and time, and no login has one.
    if pass.len() > MAX_PASSPHRASE {
        return wrong(&format!(
            "wrong passphrase (a login passphrase is at most {MAX_PASSPHRASE} bytes)"
        ));
    }
    // Argon2id uses 19 MiB a check: only a few at once.
    let permit = tokio::time::timeout(QUEUE, st.0.hashing.acquire())
        .await
        .map_err(|_| {
            WebError::Busy("the server is busy checking other logins; try again in a moment".into())
        })?
        .map_err(|e| WebError::Internal(e.to_string()))?;
    let ok =
        st.0.hashers
            .verify(login, pass)
            .await
            .ok_or_else(|| WebError::Internal("the passphrase checker stopped".into()))?;
    drop(permit);
    if !ok {
        return wrong("wrong passphrase");
    }
    throttle.succeeded(&addr);
    // A new session, with a new CSRF token.
    let (session, _) = st.add_session();
    let mut r = Redirect::to("/").into_response();
    r.headers_mut()
        .append(header::SET_COOKIE, set_cookie(SESSION_COOKIE, &session));
    Ok(r)
}

/// Log out of this session, or of every session (`everywhere`).
pub async fn logout(
    State(st): State<AppState>,
    session: Option<Extension<SessionToken>>,
    CheckedForm(f): CheckedForm,
) -> Response {
    if f.get("everywhere").is_some() {
        let n = st.0.sessions.end_all();
        eprintln!("dosewise serve: logged out everywhere ({n} session(s) ended)");
    } else if let Some(Extension(SessionToken(t))) = session {
        st.end_session(&t);
    }
    let to = if st.login().is_some() { "/login" } else { "/" };
    let mut r = Redirect::to(to).into_response();
    r.headers_mut().append(
        header::SET_COOKIE,
        HeaderValue::from_static("dw_session=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0"),
    );
    r
}
