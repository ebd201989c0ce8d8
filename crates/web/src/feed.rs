//! The calendar feed's private subscription link. A calendar app cannot log in, so with a login
//! set (`serve --allow-remote`) `/calendar.ics` is out of its reach; instead the person can make
//! a link `/calendar/<secret>.ics` that works without a session. The secret is 256 random bits
//! kept in the file `web-calendar-link` in the home (mode 0600), read on every request so that
//! making a new link or removing it takes effect at once. Anyone holding the link sees the plan's
//! dates (discreet titles), so no link exists until the person asks for one, and a new one
//! replaces the old.

use crate::security::{is_token, random_token, same};
use std::path::{Path, PathBuf};

pub const FILE: &str = "web-calendar-link";

fn path(home: &Path) -> PathBuf {
    home.join(FILE)
}

/// The current secret, if a link was made (and the file holds a well-formed one).
pub fn current(home: &Path) -> Option<String> {
    let s = std::fs::read_to_string(path(home)).ok()?;
    let s = s.trim();
    is_token(s).then(|| s.to_string())
}

/// Whether `file` (the last path segment, `<secret>.ics`) names the current link.
pub fn matches(home: &Path, file: &str) -> bool {
    let Some(given) = file.strip_suffix(".ics") else {
        return false;
    };
    current(home).is_some_and(|s| is_token(given) && same(&s, given))
}

/// Make a new link (replacing any old one) and return its secret.
pub fn renew(home: &Path) -> Result<String, String> {
    let secret = random_token();
    dosewise_app::files::write_private(&path(home), format!("{secret}\n").as_bytes(), true)
        .map_err(|e| e.to_string())?;
    Ok(secret)
}

/// Remove the link: the old address stops working.
pub fn remove(home: &Path) -> Result<(), String> {
    match std::fs::remove_file(path(home)) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
        Err(e) => Err(format!("could not remove {}: {e}", path(home).display())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_link_exists_only_once_made_and_a_new_one_replaces_it() {
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let home = dir.path();
        assert_eq!(current(home), None);
        assert!(!matches(home, &format!("{}.ics", "a".repeat(64))));
        let first = renew(home).unwrap_or_else(|e| panic!("{e}"));
        assert!(matches(home, &format!("{first}.ics")));
        assert!(
            !matches(home, &first),
            "the .ics suffix is part of the address"
        );
        assert!(!matches(home, ".ics"));
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(path(home))
                .map(|m| m.permissions().mode() & 0o777)
                .unwrap_or(0);
            assert_eq!(mode, 0o600);
        }
        let second = renew(home).unwrap_or_else(|e| panic!("{e}"));
        assert_ne!(first, second);
        assert!(!matches(home, &format!("{first}.ics")));
        assert!(matches(home, &format!("{second}.ics")));
        remove(home).unwrap_or_else(|e| panic!("{e}"));
        assert!(!matches(home, &format!("{second}.ics")));
        remove(home).unwrap_or_else(|e| panic!("{e}"));
    }
}
