//! The clinician report as PDF, printed by a local headless Chromium: the browser renders the
//! same HTML, CSS and SVG a person sees, with a real print engine and page breaks.

use crate::files::{create_private_dir, write_private};
use crate::{AppError, Result, input};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

/// The longest a print may take before the browser is stopped.
pub(crate) const TIMEOUT: Duration = Duration::from_secs(90);

/// What to do when no browser can print: the HTML prints from any browser.
pub const NO_BROWSER: &str = "no Chromium-family browser found (looked on PATH for chromium, \
google-chrome and microsoft-edge, and where Chrome, Chromium and Edge install on macOS and Windows); \
install one or pass --chromium PATH. Without one, write the report as HTML (--out report.html), \
open it in any browser and use Print, then \"Save as PDF\"";

/// Program names of Chromium-family browsers looked up on PATH, most specific first.
const NAMES: [&str; 7] = [
    "chromium",
    "chromium-browser",
    "google-chrome",
    "google-chrome-stable",
    "chrome",
    "microsoft-edge",
    "microsoft-edge-stable",
];

/// A Chromium-family browser (Chromium, Chrome or Edge): on PATH first, then where they
/// install on macOS and Windows.
pub fn find_chromium() -> Option<PathBuf> {
    let var = |k: &str| std::env::var_os(k).map(PathBuf::from);
    candidates(
        std::env::var_os("PATH").as_deref(),
        cfg!(windows),
        &Places {
            home: var("HOME"),
            program_files: var("ProgramFiles"),
            program_files_x86: var("ProgramFiles(x86)"),
            local_app_data: var("LOCALAPPDATA"),
        },
    )
    .into_iter()
    .find(|p| p.is_file())
}

/// The folders the well-known install locations hang from.
#[derive(Debug, Default)]
pub struct Places {
    pub home: Option<PathBuf>,
    pub program_files: Option<PathBuf>,
    pub program_files_x86: Option<PathBuf>,
    pub local_app_data: Option<PathBuf>,
}

/// Every path a browser may be at, in the order they are tried.
pub(crate) fn candidates(
    path: Option<&std::ffi::OsStr>,
    windows: bool,
    at: &Places,
) -> Vec<PathBuf> {
    let mut out = Vec::new();
    if let Some(path) = path {
        for dir in std::env::split_paths(path) {
            for name in NAMES {
                out.push(dir.join(if windows {
                    format!("{name}.exe")
                } else {
                    name.to_string()
                }));
            }
            if windows {
                out.push(dir.join("msedge.exe"));
            }
        }
    }
    // macOS application bundles, system-wide and per user.
    let bundles = [
        "Google Chrome.app/Contents/MacOS/Google Chrome",
        "Chromium.app/Contents/MacOS/Chromium",
        "Microsoft Edge.app/Contents/MacOS/Microsoft Edge",
    ];
    for b in bundles {
        out.push(Path::new("/Applications").join(b));
    }
    if let Some(home) = &at.home {
        for b in bundles {
            out.push(home.join("Applications").join(b));
        }
    }
    // Windows: machine-wide installs under Program Files, per-user under LocalAppData.
    for root in [&at.program_files, &at.program_files_x86, &at.local_app_data]
        .into_iter()
        .flatten()
    {
        out.push(root.join(r"Google\Chrome\Application\chrome.exe"));
        out.push(root.join(r"Chromium\Application\chrome.exe"));
        out.push(root.join(r"Microsoft\Edge\Application\msedge.exe"));
    }
    out
}

/// Print `html` with headless Chromium and return the PDF's bytes. The HTML and the browser
/// profile live in a private temporary folder inside `home` (removed afterwards, one per call
/// so prints may run at once), the browser makes no network connections, and it is stopped
/// after [`TIMEOUT`]. Blocking: run it off the async executor.
pub fn print_pdf(chromium: &Path, home: &Path, html: &str) -> Result<Vec<u8>> {
    static N: AtomicU64 = AtomicU64::new(0);
    let work = home.join(format!(
        ".report-{}-{}",
        std::process::id(),
        N.fetch_add(1, Ordering::Relaxed)
    ));
    create_private_dir(&work)?;
    let result = (|| -> Result<Vec<u8>> {
        let page = work.join("report.html");
        write_private(&page, html.as_bytes(), true)?;
        let tmp_pdf = work.join("report.pdf");
        let mut child = std::process::Command::new(chromium)
            .args([
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--disable-quic",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--disable-extensions",
                "--no-pdf-header-footer",
            ])
            .arg(format!(
                "--user-data-dir={}",
                work.join("profile").display()
            ))
            .arg(format!("--print-to-pdf={}", tmp_pdf.display()))
            .arg(format!("file://{}", page.display()))
            .stdin(std::process::Stdio::null())
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .map_err(|e| input(format!("could not start {}: {e}", chromium.display())))?;
        let started = Instant::now();
        loop {
            match child.try_wait() {
                Ok(Some(_)) => break,
                Ok(None) => {}
                Err(e) => return Err(AppError::Runtime(format!("waiting for Chromium: {e}"))),
            }
            if started.elapsed() > TIMEOUT {
                let _ = child.kill();
                let _ = child.wait();
                return Err(input("Chromium did not finish printing within 90 seconds"));
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        let bytes = std::fs::read(&tmp_pdf)
            .map_err(|_| input(format!("{} wrote no PDF", chromium.display())))?;
        if !bytes.starts_with(b"%PDF") {
            return Err(input("the printed file is not a PDF"));
        }
        Ok(bytes)
    })();
    let _ = std::fs::remove_dir_all(&work);
    result
}

#[cfg(test)]
mod tests {
    use super::*;

    fn make(p: &Path) {
        std::fs::create_dir_all(p.parent().unwrap_or_else(|| panic!("{}", p.display())))
            .unwrap_or_else(|e| panic!("{e}"));
        std::fs::write(p, b"").unwrap_or_else(|e| panic!("{e}"));
    }

    fn first(path: Option<&std::ffi::OsStr>, windows: bool, at: &Places) -> Option<PathBuf> {
        candidates(path, windows, at)
            .into_iter()
            .find(|p| p.is_file())
    }

    #[test]
    fn a_browser_on_path_comes_first() {
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let bin = dir.path().join("bin");
        make(&bin.join("microsoft-edge"));
        let home = dir.path().join("home");
        make(&home.join("Applications/Chromium.app/Contents/MacOS/Chromium"));
        let at = Places {
            home: Some(home.clone()),
            ..Places::default()
        };
        let path = std::env::join_paths([&bin]).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(
            first(Some(&path), false, &at),
            Some(bin.join("microsoft-edge"))
        );
        // Without it on PATH, the per-user macOS bundle is found.
        assert_eq!(
            first(None, false, &at),
            Some(home.join("Applications/Chromium.app/Contents/MacOS/Chromium"))
        );
    }

    #[test]
    fn the_macos_and_windows_install_locations_are_searched() {
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let at = Places {
            home: Some(dir.path().join("home")),
            program_files: Some(dir.path().join("pf")),
            program_files_x86: Some(dir.path().join("pf86")),
            local_app_data: Some(dir.path().join("local")),
        };
        let all = candidates(None, true, &at);
        for want in [
            PathBuf::from("/Applications/Google Chrome.app/Contents/MacOS/Google Chrome"),
            PathBuf::from("/Applications/Microsoft Edge.app/Contents/MacOS/Microsoft Edge"),
            dir.path()
                .join("pf")
                .join(r"Google\Chrome\Application\chrome.exe"),
            dir.path()
                .join("pf86")
                .join(r"Microsoft\Edge\Application\msedge.exe"),
            dir.path()
                .join("local")
                .join(r"Chromium\Application\chrome.exe"),
        ] {
            assert!(all.contains(&want), "{} is not searched", want.display());
        }
        // Windows names on PATH carry .exe, and Edge's own name is looked for.
        let path = std::env::join_paths([dir.path()]).unwrap_or_else(|e| panic!("{e}"));
        let on_path = candidates(Some(&path), true, &Places::default());
        assert!(on_path.contains(&dir.path().join("chrome.exe")));
        assert!(on_path.contains(&dir.path().join("msedge.exe")));
        assert!(!on_path.contains(&dir.path().join("chrome")));
        // A file in one of them is found.
        make(
            &dir.path()
                .join("pf86")
                .join(r"Microsoft\Edge\Application\msedge.exe"),
        );
        assert_eq!(
            first(None, true, &at),
            Some(
                dir.path()
                    .join("pf86")
                    .join(r"Microsoft\Edge\Application\msedge.exe")
            )
        );
    }
}
