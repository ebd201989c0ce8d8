//! Secrets for addresses and sessions: 256 random bits from the OS, as 64 hex digits, and a
//! comparison whose time does not depend on where two secrets differ.

use crate::{AppError, Result};

/// A new secret: 32 bytes from the OS random source, as 64 lowercase hex digits.
pub fn random() -> Result<String> {
    let mut b = [0u8; 32];
    getrandom::getrandom(&mut b)
        .map_err(|e| AppError::Runtime(format!("no OS random source for a secret: {e}")))?;
    Ok(b.iter().map(|x| format!("{x:02x}")).collect())
}

/// Whether `s` has a secret's form (64 hex digits).
pub fn is_token(s: &str) -> bool {
    s.len() == 64 && s.bytes().all(|b| b.is_ascii_hexdigit())
}

/// Compare without an early exit (the time does not depend on where they differ).
pub fn same(a: &str, b: &str) -> bool {
    a.len() == b.len()
        && a.bytes()
            .zip(b.bytes())
            .fold(0u8, |acc, (x, y)| acc | (x ^ y))
            == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_are_fresh_and_well_formed() {
        let a = random().unwrap_or_else(|e| panic!("{e}"));
        let b = random().unwrap_or_else(|e| panic!("{e}"));
        assert!(is_token(&a) && is_token(&b));
        assert_ne!(a, b);
        assert!(same(&a, &a.clone()));
        assert!(!same(&a, &b));
        assert!(!same(&a, &a[..63]));
        assert!(!is_token("xyz") && !is_token(&"g".repeat(64)));
    }
}
