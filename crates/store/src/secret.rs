//! The passphrase of an encrypted journal: never printed, never serialised, wiped from memory
//! when dropped.

use std::fmt;
use zeroize::Zeroizing;

/// Shortest passphrase accepted for a new key.
pub const MIN_LEN: usize = 8;

#[derive(Clone)]
pub struct Passphrase(Zeroizing<String>);

impl fmt::Debug for Passphrase {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Passphrase(<redacted>)")
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PassphraseError {
    #[error("the passphrase is empty")]
    Empty,
    #[error(
        "a new passphrase needs at least {MIN_LEN} characters; a few unrelated words are easy to remember and hard to guess"
    )]
    TooShort,
    #[error("the passphrase is longer than 1024 bytes")]
    TooLong,
    #[error("the passphrase contains a NUL or line-break character")]
    Control,
}

impl Passphrase {
    /// A passphrase to unlock with (any non-empty text).
    pub fn new(s: String) -> Result<Self, PassphraseError> {
        let s = Zeroizing::new(s);
        if s.is_empty() {
            return Err(PassphraseError::Empty);
        }
        if s.len() > 1024 {
            return Err(PassphraseError::TooLong);
        }
        if s.contains(['\0', '\n', '\r']) {
            return Err(PassphraseError::Control);
        }
        Ok(Passphrase(s))
    }

    /// A passphrase for a new key: at least [`MIN_LEN`] characters.
    pub fn new_key(s: String) -> Result<Self, PassphraseError> {
        let p = Self::new(s)?;
        if p.0.chars().count() < MIN_LEN {
            return Err(PassphraseError::TooShort);
        }
        Ok(p)
    }

    /// The text, for handing to a cipher. Do not log or print it.
    pub fn expose(&self) -> &str {
        &self.0
    }

    /// As an SQL string literal for `PRAGMA key` (single quotes doubled).
    pub fn sql_literal(&self) -> Zeroizing<String> {
        Zeroizing::new(format!("'{}'", self.0.replace('\'', "''")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn never_printed_and_quoted_safely() {
        let p = Passphrase::new("it's a secret".into()).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(format!("{p:?}"), "Passphrase(<redacted>)");
        assert_eq!(p.sql_literal().as_str(), "'it''s a secret'");
        assert_eq!(
            Passphrase::new(String::new()).err(),
            Some(PassphraseError::Empty)
        );
        assert_eq!(
            Passphrase::new_key("short".into()).err(),
            Some(PassphraseError::TooShort)
        );
        assert_eq!(
            Passphrase::new("a\nb".into()).err(),
            Some(PassphraseError::Control)
        );
    }
}
