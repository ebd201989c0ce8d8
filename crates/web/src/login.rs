//! The login required when the server listens beyond loopback: one passphrase, set beforehand
//! with `dosewise serve --set-login`, stored only as an argon2id hash (PHC string) in the file
//! `web-login` in the home (mode 0600). Sessions are random tokens held in memory: restarting
//! the server logs everyone out.

use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::{Algorithm, Argon2, Block, Params, Version};
use std::path::{Path, PathBuf};

pub use dosewise_app::home::LOGIN_FILE as FILE;

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
        if passphrase.len() > crate::session::MAX_PASSPHRASE {
            return Err(format!(
                "a login passphrase is at most {} bytes",
                crate::session::MAX_PASSPHRASE
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

    /// A stored hash (a PHC string) read back, as the clinic server keeps them in its database.
    pub fn from_phc(phc: &str) -> Result<Login, String> {
        PasswordHash::new(phc).map_err(|e| format!("not a password hash: {e}"))?;
        Ok(Login {
            phc: phc.to_string(),
        })
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

    /// The same check, in `memory` kept by the caller and reused from one check to the next (a
    /// fresh 19 MiB for every check is what made memory grow under many logins).
    pub fn verify_in(&self, passphrase: &str, memory: &mut Vec<Block>) -> bool {
        let mut check = || -> Option<bool> {
            let h = PasswordHash::new(&self.phc).ok()?;
            let algorithm = Algorithm::new(h.algorithm.as_str()).ok()?;
            let version = match h.version {
                Some(v) => Version::try_from(v).ok()?,
                None => Version::default(),
            };
            let params = Params::try_from(&h).ok()?;
            let mut salt = [0u8; 64];
            let salt = h.salt?.decode_b64(&mut salt).ok()?;
            let expected = h.hash?;
            let mut out = vec![0u8; expected.len()];
            memory.resize(params.block_count(), Block::default());
            Argon2::new(algorithm, version, params)
                .hash_password_into_with_memory(
                    passphrase.as_bytes(),
                    salt,
                    &mut out,
                    &mut memory[..],
                )
                .ok()?;
            Some(
                out.len() == expected.len()
                    && out
                        .iter()
                        .zip(expected.as_bytes())
                        .fold(0u8, |acc, (a, b)| acc | (a ^ b))
                        == 0,
            )
        };
        check().unwrap_or(false)
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
        assert!(Login::new(&"long ".repeat(300)).is_err(), "over 1024 bytes");
        // The reusable-memory check agrees with the library's, both ways, and reuses memory.
        let mut memory = Vec::new();
        assert!(l.verify_in("correct horse battery", &mut memory));
        let capacity = memory.capacity();
        assert!(!l.verify_in("correct horse battery ", &mut memory));
        assert!(!l.verify_in("", &mut memory));
        assert_eq!(memory.capacity(), capacity, "no new allocation");
    }
}
