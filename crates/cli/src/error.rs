//! Errors at the edge: every failure becomes a message that says what is wrong and how to fix
//! it, and an exit code (1 bad input or runtime error, 2 usage, 3 refused by a safety check).

use dosewise_store::StoreError;
use std::fmt;

#[derive(Debug)]
pub enum CliError {
    /// The input is wrong; nothing was written.
    Input(String),
    /// Refused by a safety check (exit 3); the verdict has been printed.
    Refused(String),
    /// Something failed while running (I/O, database).
    Runtime(anyhow::Error),
}

impl CliError {
    pub fn exit_code(&self) -> u8 {
        match self {
            CliError::Input(_) | CliError::Runtime(_) => 1,
            CliError::Refused(_) => 3,
        }
    }
    fn kind(&self) -> &'static str {
        match self {
            CliError::Input(_) => "input",
            CliError::Refused(_) => "refused",
            CliError::Runtime(_) => "runtime",
        }
    }
}

impl fmt::Display for CliError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CliError::Input(m) | CliError::Refused(m) => f.write_str(m),
            CliError::Runtime(e) => write!(f, "{e:#}"),
        }
    }
}

/// Input errors: anything the person can fix by typing something else.
pub fn input(e: impl fmt::Display) -> CliError {
    CliError::Input(e.to_string())
}

impl From<StoreError> for CliError {
    fn from(e: StoreError) -> Self {
        if e.is_backend() {
            CliError::Runtime(anyhow::Error::new(e))
        } else {
            CliError::Input(e.to_string())
        }
    }
}

impl From<dosewise_app::AppError> for CliError {
    fn from(e: dosewise_app::AppError) -> Self {
        match e {
            dosewise_app::AppError::Input(m)
            | dosewise_app::AppError::NotFound(m)
            | dosewise_app::AppError::Conflict(m) => CliError::Input(m),
            dosewise_app::AppError::Store(e) => e.into(),
            dosewise_app::AppError::Runtime(m) | dosewise_app::AppError::Unavailable(m) => {
                CliError::Runtime(anyhow::anyhow!(m))
            }
        }
    }
}

impl From<anyhow::Error> for CliError {
    fn from(e: anyhow::Error) -> Self {
        CliError::Runtime(e)
    }
}

impl From<std::io::Error> for CliError {
    fn from(e: std::io::Error) -> Self {
        CliError::Runtime(e.into())
    }
}

pub type CliResult<T = ()> = Result<T, CliError>;

/// Print an error: always to stderr; with `--json` also as one JSON document on stdout (a
/// refusal has already printed its verdict there).
pub fn report(e: &CliError, json: bool) {
    eprintln!("error: {e}");
    if json && !matches!(e, CliError::Refused(_)) {
        let doc = serde_json::json!({
            "error": { "kind": e.kind(), "exit_code": e.exit_code(), "message": e.to_string() }
        });
        crate::output::write_out(format_args!("{doc}"), true);
    }
}
