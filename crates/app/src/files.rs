//! Private files: the home and everything written into it is readable by its owner only.

use crate::{AppError, Result, input};
use std::io::Write;
use std::path::Path;

/// Create `dir` (and its parents) with mode 0700 if it does not exist.
pub fn create_private_dir(dir: &Path) -> Result<()> {
    if dir.is_dir() {
        return Ok(());
    }
    let mut b = std::fs::DirBuilder::new();
    b.recursive(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::DirBuilderExt;
        b.mode(0o700);
    }
    b.create(dir)
        .map_err(|e| AppError::Runtime(format!("could not create {}: {e}", dir.display())))
}

/// Make an existing folder private (mode 0700) if others can read, enter or write it; the mode
/// it had when it was changed.
pub fn tighten_dir(dir: &Path) -> Result<Option<u32>> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(dir)
            .map_err(|e| AppError::Runtime(format!("cannot read {}: {e}", dir.display())))?
            .permissions()
            .mode()
            & 0o777;
        if mode & 0o077 != 0 {
            std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o700)).map_err(|e| {
                AppError::Runtime(format!("could not make {} private: {e}", dir.display()))
            })?;
            return Ok(Some(mode));
        }
    }
    #[cfg(not(unix))]
    let _ = dir;
    Ok(None)
}

/// Write `contents` to `path` with mode 0600, through a temporary file in the same folder
/// renamed into place (never a half-written file). Refuses to replace a file unless `force`.
pub fn write_private(path: &Path, contents: &[u8], force: bool) -> Result<()> {
    // The new file is renamed over the old one, which would replace a device (`--out
    // /dev/null --force` run as root replaced /dev/null with a plain file) or a pipe.
    if let Ok(m) = std::fs::symlink_metadata(path)
        && !m.file_type().is_file()
        && !m.file_type().is_symlink()
    {
        return Err(input(format!(
            "{} is not a regular file (a device, a folder or a pipe); name a file to write, or leave out --out to write to standard output",
            path.display()
        )));
    }
    if path.exists() && !force {
        return Err(input(format!(
            "{} exists; choose another --out or pass --force to replace it",
            path.display()
        )));
    }
    let dir = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let name = path
        .file_name()
        .ok_or_else(|| input(format!("{} is not a file name", path.display())))?;
    let tmp = dir.join(format!(
        ".{}.tmp-{}",
        name.to_string_lossy(),
        std::process::id()
    ));
    let write = || -> std::io::Result<()> {
        let mut o = std::fs::OpenOptions::new();
        o.write(true).create_new(true);
        #[cfg(unix)]
        {
            use std::os::unix::fs::OpenOptionsExt;
            o.mode(0o600);
        }
        let mut f = o.open(&tmp)?;
        f.write_all(contents)?;
        f.sync_all()?;
        std::fs::rename(&tmp, path)
    };
    write().map_err(|e| {
        let _ = std::fs::remove_file(&tmp);
        AppError::Runtime(format!("could not write {}: {e}", path.display()))
    })
}
