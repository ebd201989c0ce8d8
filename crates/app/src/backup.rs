//! Encrypted, integrity-protected copies of the whole journal (the age format: a passphrase,
//! stretched with scrypt, or an age recipient key), and reading them back. The CLI's `backup`,
//! `restore` and `export --encrypt`, and the web app's backup download and encrypted import,
//! all go through here.

use crate::{AppError, Result, input};
use age::secrecy::SecretString;
use dosewise_core::journal::Journal;
use dosewise_store::{ImportReport, Passphrase, Store};
use std::io::{Read, Write};

/// What a copy is sealed with.
pub enum Sealing<'a> {
    Passphrase(&'a Passphrase),
    /// An age public key, `age1…`.
    Recipient(&'a str),
}

/// What opens a sealed copy.
pub enum Opening<'a> {
    Passphrase(&'a Passphrase),
    /// The text of an age identity file (a line `AGE-SECRET-KEY-…`).
    Identity(&'a str),
}

impl std::fmt::Debug for Sealing<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Sealing::Passphrase(_) => f.write_str("Sealing::Passphrase(<redacted>)"),
            Sealing::Recipient(r) => write!(f, "Sealing::Recipient({r})"),
        }
    }
}

impl std::fmt::Debug for Opening<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Opening::Passphrase(_) => "Opening::Passphrase(<redacted>)",
            Opening::Identity(_) => "Opening::Identity(<redacted>)",
        })
    }
}

/// Encrypt `plain`.
pub fn seal(plain: &[u8], key: Sealing<'_>) -> Result<Vec<u8>> {
    let enc = match key {
        Sealing::Passphrase(p) => {
            age::Encryptor::with_user_passphrase(SecretString::from(p.expose().to_owned()))
        }
        Sealing::Recipient(r) => {
            let r: age::x25519::Recipient = r
                .trim()
                .parse()
                .map_err(|e| input(format!("the recipient is not an age public key: {e}")))?;
            age::Encryptor::with_recipients(std::iter::once(&r as &dyn age::Recipient))
                .map_err(|e| AppError::Runtime(e.to_string()))?
        }
    };
    let fail = |e: &dyn std::fmt::Display| AppError::Runtime(format!("could not encrypt: {e}"));
    let mut out = Vec::new();
    let mut w = enc.wrap_output(&mut out).map_err(|e| fail(&e))?;
    w.write_all(plain).map_err(|e| fail(&e))?;
    w.finish().map_err(|e| fail(&e))?;
    Ok(out)
}

/// Whether `bytes` look like an age file (binary or armoured).
pub fn is_sealed(bytes: &[u8]) -> bool {
    bytes.starts_with(b"age-encryption.org/") || bytes.starts_with(b"-----BEGIN AGE ENCRYPTED FILE")
}

/// Decrypt and check a sealed copy; a wrong key, damage or tampering is refused.
pub fn open(bytes: &[u8], key: Opening<'_>) -> Result<Vec<u8>> {
    let bad = |e: &dyn std::fmt::Display| {
        input(format!(
            "cannot open the backup: {e}. It may be damaged or altered, or the passphrase or key is wrong; nothing was restored"
        ))
    };
    let scrypt;
    let x25519;
    let identity: &dyn age::Identity = match key {
        Opening::Passphrase(p) => {
            scrypt = age::scrypt::Identity::new(SecretString::from(p.expose().to_owned()));
            &scrypt
        }
        Opening::Identity(text) => {
            let line = text
                .lines()
                .find(|l| l.starts_with("AGE-SECRET-KEY-"))
                .ok_or_else(|| input("the identity file holds no AGE-SECRET-KEY line"))?;
            x25519 = line
                .parse::<age::x25519::Identity>()
                .map_err(|e| input(format!("the identity is not valid: {e}")))?;
            &x25519
        }
    };
    let d = age::Decryptor::new_buffered(bytes).map_err(|e| bad(&e))?;
    let mut r = d.decrypt(std::iter::once(identity)).map_err(|e| bad(&e))?;
    let mut out = Vec::new();
    r.read_to_end(&mut out).map_err(|e| bad(&e))?;
    Ok(out)
}

/// The journal a sealed copy holds.
pub fn open_journal(bytes: &[u8], key: Opening<'_>) -> Result<Journal> {
    let plain = open(bytes, key)?;
    let text = zeroize::Zeroizing::new(
        String::from_utf8(plain)
            .map_err(|_| input("the backup does not hold a Dosewise journal"))?,
    );
    Journal::parse(&text)
        .map_err(|e| input(format!("the backup does not hold a valid journal: {e}")))
}

/// The whole journal, sealed.
pub async fn backup<S: Store>(store: &S, key: Sealing<'_>) -> Result<(Vec<u8>, Journal)> {
    let j = store.export().await?;
    let text = zeroize::Zeroizing::new(
        serde_json::to_vec(&j).map_err(|e| AppError::Runtime(e.to_string()))?,
    );
    Ok((seal(&text, key)?, j))
}

/// Add a sealed copy's records to this journal, all or nothing (as an import).
pub async fn import<S: Store>(store: &S, bytes: &[u8], key: Opening<'_>) -> Result<ImportReport> {
    let j = open_journal(bytes, key)?;
    crate::transfer::import(store, &j).await
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pass(s: &str) -> Passphrase {
        Passphrase::new_key(s.into()).unwrap_or_else(|e| panic!("{e}"))
    }

    #[test]
    fn a_sealed_copy_opens_with_its_key_only_and_refuses_tampering() {
        let p = pass("correct horse battery");
        let sealed =
            seal(b"{\"hello\": 1}", Sealing::Passphrase(&p)).unwrap_or_else(|e| panic!("{e}"));
        assert!(is_sealed(&sealed));
        assert!(!is_sealed(b"{\"format\": \"dosewise\"}"));
        let plain = open(&sealed, Opening::Passphrase(&p)).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(plain, b"{\"hello\": 1}");
        let wrong = open(&sealed, Opening::Passphrase(&pass("wrong horse battery")));
        assert!(matches!(wrong, Err(AppError::Input(m)) if m.contains("nothing was restored")));
        let mut tampered = sealed.clone();
        let last = tampered.len() - 1;
        tampered[last] ^= 1;
        assert!(open(&tampered, Opening::Passphrase(&p)).is_err());
        // A recipient key, opened with its identity.
        let id = age::x25519::Identity::generate();
        let public = id.to_public().to_string();
        let secret = {
            use age::secrecy::ExposeSecret;
            id.to_string().expose_secret().to_string()
        };
        let sealed = seal(b"x", Sealing::Recipient(&public)).unwrap_or_else(|e| panic!("{e}"));
        let text = format!("# created: now\n{secret}\n");
        assert_eq!(
            open(&sealed, Opening::Identity(&text)).unwrap_or_default(),
            b"x"
        );
        assert!(open(&sealed, Opening::Identity("no key here")).is_err());
        assert!(seal(b"x", Sealing::Recipient("age1nope")).is_err());
    }
}
