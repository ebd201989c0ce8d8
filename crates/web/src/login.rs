//! The login required when the server listens beyond loopback: one passphrase, set beforehand
//! with `dosewise serve --set-login`, stored only as an argon2id hash (PHC string) in the file
//! `web-login` in the home (mode 0600). Sessions are random tokens held in memory: restarting
//! the server logs everyone out.

use argon2::Argon2;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use std::path::{Path, PathBuf};

pub const FILE: &str = "web-login";

/// The stored hash of the login passphrase.
#[derive(Clone)]
pub struct Login {
    phc: String,
}

impl std::fmt::Debug for Login {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Login(argon2id hash, redacted)")
    }
}

/// The shortest login passphrase accepted.
pub const MIN_LEN: usize = 12;

pub fn path(home: &Path) -> PathBuf {
    home.join(FILE)
}

impl Login {
    /// Hash a new passphrase (argon2id, default parameters, random salt).
    pub fn new(passphrase: &str) -> Result<Login, String> {
        if passphrase.chars().count() < MIN_LEN {
            return Err(format!(
                "a login passphrase needs at least {MIN_LEN} characters (a few random words work well)"
            ));
        }
        let mut bytes = [0u8; 16];
        getrandom::getrandom(&mut bytes).map_err(|e| format!("no OS random source: {e}"))?;
        let salt = SaltString::encode_b64(&bytes).map_err(|e| format!("salt: {e}"))?;
        Argon2::default()
            .hash_password(passphrase.as_bytes(), &salt)
            .map(|h| Login { phc: h.to_string() })
            .map_err(|e| format!("could not hash the passphrase: {e}"))
    }

    /// Read the stored hash; `Ok(None)` when none was set.
    pub fn load(home: &Path) -> Result<Option<Login>, String> {
        let p = path(home);
        match std::fs::read_to_string(&p) {
            Ok(s) => {
                let phc = s.trim().to_string();
                PasswordHash::new(&phc).map_err(|e| {
                    format!("{} is not a login hash ({e}); set it again", p.display())
                })?;
                Ok(Some(Login { phc }))
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(format!("cannot read {}: {e}", p.display())),
        }
    }

    /// The PHC string to store.
    pub fn phc(&self) -> &str {
        &self.phc
    }

    pub fn verify(&self, passphrase: &str) -> bool {
        PasswordHash::new(&self.phc).is_ok_and(|h| {
            Argon2::default()
                .verify_password(passphrase.as_bytes(), &h)
                .is_ok()
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hash_verifies_only_the_passphrase() {
        let l = Login::new("correct horse battery").unwrap_or_else(|e| panic!("{e}"));
        assert!(l.phc().starts_with("$argon2id$"));
        assert!(l.verify("correct horse battery"));
        assert!(!l.verify("correct horse battery "));
        assert!(!format!("{l:?}").contains("argon2id$"));
        assert!(Login::new("short").is_err());
    }
}
