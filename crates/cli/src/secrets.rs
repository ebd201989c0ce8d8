//! Where passphrases come from: a file (`--passphrase-file`, `DOSEWISE_PASSPHRASE_FILE`) for
//! scripts, or a prompt without echo on a terminal. Never a command-line argument: it would land
//! in the shell history and in `ps`.

use crate::error::{CliError, CliResult, input};
use dosewise_store::Passphrase;
use std::io::IsTerminal;
use std::path::Path;
use zeroize::Zeroizing;

/// Read a passphrase from a file: the whole file, minus one trailing line break.
pub fn from_file(path: &Path, new_key: bool) -> CliResult<Passphrase> {
    let text = Zeroizing::new(std::fs::read_to_string(path).map_err(|e| {
        input(format!(
            "cannot read the passphrase file {}: {e}",
            path.display()
        ))
    })?);
    let trimmed = text
        .strip_suffix('\n')
        .map(|s| s.strip_suffix('\r').unwrap_or(s))
        .unwrap_or(&text);
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        if std::fs::metadata(path).is_ok_and(|m| m.permissions().mode() & 0o077 != 0) {
            eprintln!(
                "warning: {} can be read by other users; `chmod 600` it",
                path.display()
            );
        }
    }
    let p = if new_key {
        Passphrase::new_key(trimmed.to_string())
    } else {
        Passphrase::new(trimmed.to_string())
    };
    p.map_err(input)
}

fn terminal() -> bool {
    std::io::stdin().is_terminal()
        || std::path::Path::new("/dev/tty").exists() && std::io::stderr().is_terminal()
}

fn prompt(text: &str) -> CliResult<Zeroizing<String>> {
    rpassword::prompt_password(text)
        .map(Zeroizing::new)
        .map_err(|e| CliError::Runtime(anyhow::anyhow!("could not read the passphrase: {e}")))
}

/// The passphrase of an existing encrypted journal.
pub fn current(file: Option<&Path>, what: &str) -> CliResult<Passphrase> {
    if let Some(f) = file {
        return from_file(f, false);
    }
    if !terminal() {
        return Err(input(format!(
            "{what} is encrypted: give its passphrase with --passphrase-file FILE or DOSEWISE_PASSPHRASE_FILE (no terminal to ask on)"
        )));
    }
    Passphrase::new(prompt(&format!("Passphrase for {what}: "))?.to_string()).map_err(input)
}

/// A new passphrase: from a file, or asked twice on a terminal.
pub fn new_key(file: Option<&Path>, what: &str) -> CliResult<Passphrase> {
    if let Some(f) = file {
        return from_file(f, true);
    }
    if !terminal() {
        return Err(input(format!(
            "give the new passphrase for {what} in a file (--new-passphrase-file FILE); there is no terminal to ask on"
        )));
    }
    let a = prompt(&format!(
        "New passphrase for {what} (at least {} characters): ",
        dosewise_store::secret::MIN_LEN
    ))?;
    let p = Passphrase::new_key(a.to_string()).map_err(input)?;
    let b = prompt("Again: ")?;
    if b.as_str() != p.expose() {
        return Err(input("the two passphrases differ; nothing was changed"));
    }
    Ok(p)
}
