//! One error type for the web layer: a friendly page for people, a JSON body for the API. The
//! detail of an internal failure goes to the server's stderr (never personal data: store errors
//! name tables and constraints, not values); the response says only that something failed.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use dosewise_app::AppError;
use dosewise_store::StoreError;

#[derive(Debug)]
pub enum WebError {
    /// Wrong input; nothing was written.
    Input(String),
    NotFound(String),
    /// A state-changing request without a valid CSRF token, or from another site.
    Forbidden(String),
    /// No session: what to do to get one.
    Unauthorized(String),
    /// Too many wrong logins: wait this many seconds.
    TooMany(u64),
    /// The server is busy with this kind of work (password checks, a PDF print); try again.
    Busy(String),
    TooLarge,
    /// Not possible in the record's present state.
    Conflict(String),
    Internal(String),
}

impl WebError {
    pub fn status(&self) -> StatusCode {
        match self {
            WebError::Input(_) => StatusCode::BAD_REQUEST,
            WebError::NotFound(_) => StatusCode::NOT_FOUND,
            WebError::Forbidden(_) => StatusCode::FORBIDDEN,
            WebError::Unauthorized(_) => StatusCode::UNAUTHORIZED,
            WebError::TooMany(_) => StatusCode::TOO_MANY_REQUESTS,
            WebError::Busy(_) => StatusCode::SERVICE_UNAVAILABLE,
            WebError::TooLarge => StatusCode::PAYLOAD_TOO_LARGE,
            WebError::Conflict(_) => StatusCode::CONFLICT,
            WebError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }
    fn kind(&self) -> &'static str {
        match self {
            WebError::Input(_) => "input",
            WebError::NotFound(_) => "not_found",
            WebError::Forbidden(_) => "forbidden",
            WebError::Unauthorized(_) => "unauthorized",
            WebError::TooMany(_) => "too_many",
            WebError::Busy(_) => "busy",
            WebError::TooLarge => "too_large",
            WebError::Conflict(_) => "conflict",
            WebError::Internal(_) => "internal",
        }
    }
    /// What the person is told.
    pub fn message(&self) -> String {
        match self {
            WebError::Input(m)
            | WebError::NotFound(m)
            | WebError::Forbidden(m)
            | WebError::Unauthorized(m)
            | WebError::Busy(m)
            | WebError::Conflict(m) => m.clone(),
            WebError::TooMany(s) => format!(
                "too many wrong passphrases: wait {s} s before the next try (each wrong try doubles the wait)"
            ),
            WebError::TooLarge => format!(
                "the request is too large (at most {} KB; an import at most {} MB)",
                crate::BODY_LIMIT / 1024,
                crate::IMPORT_LIMIT / 1024 / 1024
            ),
            WebError::Internal(_) => {
                "something went wrong on the server; nothing was changed. Details are in the server's output.".into()
            }
        }
    }
    fn log(&self) {
        if let WebError::Internal(detail) = self {
            eprintln!("dosewise serve: internal error: {detail}");
        }
    }
    /// The JSON form: `{"error": {"kind", "status", "message"}}`.
    pub fn json(self) -> Response {
        self.log();
        let body = serde_json::json!({
            "error": { "kind": self.kind(), "status": self.status().as_u16(), "message": self.message() }
        });
        self.retry_after((self.status(), axum::Json(body)).into_response())
    }
    /// A 429 says when to come back.
    fn retry_after(&self, mut r: Response) -> Response {
        if let WebError::TooMany(s) = self
            && let Ok(v) = axum::http::HeaderValue::from_str(&s.to_string())
        {
            r.headers_mut().insert(axum::http::header::RETRY_AFTER, v);
        }
        r
    }
}

impl IntoResponse for WebError {
    fn into_response(self) -> Response {
        self.log();
        let status = self.status();
        let title = match status {
            StatusCode::NOT_FOUND => "Not found",
            StatusCode::FORBIDDEN => "Refused",
            StatusCode::BAD_REQUEST => "Please check what you entered",
            StatusCode::CONFLICT => "Not possible now",
            StatusCode::UNAUTHORIZED => "Access key needed",
            StatusCode::TOO_MANY_REQUESTS => "Please wait",
            StatusCode::SERVICE_UNAVAILABLE => "Busy",
            _ => "Something went wrong",
        };
        let body = crate::layout::bare(
            title,
            maud::html! {
                h1 { (title) }
                p.error role="alert" { (self.message()) }
                p { a href="/" { "Back to today" } }
            },
        );
        self.retry_after((status, body).into_response())
    }
}

impl From<AppError> for WebError {
    fn from(e: AppError) -> Self {
        match e {
            AppError::Input(m) => WebError::Input(m),
            AppError::Conflict(m) => WebError::Conflict(m),
            AppError::NotFound(m) => WebError::NotFound(m),
            AppError::Store(e) => WebError::Internal(e.to_string()),
            AppError::Runtime(m) => WebError::Internal(m),
            AppError::Unavailable(m) => WebError::Busy(m),
        }
    }
}

impl From<StoreError> for WebError {
    fn from(e: StoreError) -> Self {
        AppError::from(e).into()
    }
}

/// An error from an API route: the same, as JSON.
#[derive(Debug)]
pub struct ApiError(pub WebError);

impl<E: Into<WebError>> From<E> for ApiError {
    fn from(e: E) -> Self {
        ApiError(e.into())
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        self.0.json()
    }
}
