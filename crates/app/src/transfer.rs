//! Reading a JSON export back in: all or nothing, with messages that say what is wrong.

use crate::{Result, input};
use dosewise_core::journal::Journal;
use dosewise_store::{ImportReport, Store};

/// Parse an export's bytes; `label` names the file in messages.
pub fn parse_export(bytes: Vec<u8>, label: &str) -> Result<Journal> {
    if bytes.starts_with(b"age-encryption.org/") {
        return Err(input(format!(
            "{label} is an encrypted export; import it with `dosewise import FILE`, which asks for its passphrase. Nothing was imported."
        )));
    }
    let text = String::from_utf8(bytes).map_err(|e| {
        input(format!(
            "{label} is not UTF-8 text (first bad byte at offset {}); it is not a Dosewise export. Nothing was imported.",
            e.utf8_error().valid_up_to()
        ))
    })?;
    Journal::parse(&text).map_err(|e| input(format!("{label}: {e}. Nothing was imported.")))
}

/// Add the journal's records; nothing is written if any conflicts.
pub async fn import<S: Store>(store: &S, j: &Journal) -> Result<ImportReport> {
    store
        .import(j)
        .await
        .map_err(|e| input(format!("{e}. Nothing was imported.")))
}
