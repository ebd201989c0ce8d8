//! The clinician report as PDF, printed by a local headless Chromium: the browser renders the
//! same HTML, CSS and SVG a person sees, with a real print engine and page breaks.

use crate::files::{create_private_dir, write_private};
use crate::{AppError, Result, input};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

/// The longest a print may take before the browser is stopped.
pub const TIMEOUT: Duration = Duration::from_secs(90);

/// A Chromium-family browser on PATH.
pub fn find_chromium() -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    for dir in std::env::split_paths(&path) {
        for name in [
            "chromium",
            "chromium-browser",
            "google-chrome",
            "google-chrome-stable",
        ] {
            let p = dir.join(name);
            if p.is_file() {
                return Some(p);
            }
        }
    }
    None
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
