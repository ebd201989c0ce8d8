//! What the test audit found untested, through the real binary: the guidance after a dose,
//! CSV cells that start with a tab or a carriage return and cells that need quotes, thresholds at
//! their exact edges (1000 mg, a 10,000-character note, 5 minutes ahead), a backup to an age key, the
//! detailed calendar, and a local time that occurs twice when the clocks go back.

use serde_json::Value;
use std::path::PathBuf;

mod common;
use common::{Run, ZONE};

const NOW: &str = "2026-11-28T11:00:00Z"; // 12:00 in Berlin

struct Home {
    dir: tempfile::TempDir,
}

impl Home {
    fn new() -> Home {
        let h = Home {
            dir: tempfile::tempdir().unwrap_or_else(|e| panic!("{e}")),
        };
        h.run(&[
            "init",
            "--zone",
            ZONE,
            "--weight",
            "70kg",
            "--no-conditions",
        ])
        .ok();
        h
    }
    fn path(&self) -> PathBuf {
        self.dir.path().join("home")
    }
    fn run(&self, args: &[&str]) -> Run {
        common::output(&mut common::command(&self.path(), NOW, args))
    }
    fn troches(&self) {
        let args = common::troche_stock("T", "30");
        let argv: Vec<&str> = args.iter().map(String::as_str).collect();
        self.run(&argv).ok();
    }
    fn doses(&self) -> usize {
        let j: Value = serde_json::from_str(&self.run(&["export"]).ok().stdout)
            .unwrap_or_else(|e| panic!("not JSON: {e}"));
        j["doses"].as_array().map_or(0, Vec::len)
    }
}

/// After a dose, `today` says not to drive until the next day, when effects peak by the route,
/// and — when the protocol asks — the blood-pressure check at about 40 minutes and the sitter
/// checklist; the checklist goes once the hours after the dose have passed.
#[test]
fn post_dose_guidance_through_the_binary() {
    let h = Home::new();
    h.troches();
    h.run(&[
        "protocol",
        "add",
        "--every",
        "3",
        "--dose",
        "1/2 troche",
        "--start",
        "2026-11-01",
        "--time",
        "12:00",
        "--require-bp",
        "--sitter",
    ])
    .ok();
    h.run(&[
        "vitals",
        "--bp",
        "124/80",
        "--context",
        "pre-dose",
        "--at",
        "-10min",
    ])
    .ok();
    h.run(&["dose"]).ok();
    let out = h.run(&["today"]).ok().stdout;
    assert!(
        out.contains("do not drive or operate machinery until tomorrow"),
        "{out}"
    );
    assert!(out.contains("peak about 45 minutes"), "{out}");
    assert!(
        out.contains("about 40 minutes after the dose (today at 12:40)"),
        "{out}"
    );
    assert!(out.contains("Sitter checklist"), "{out}");
    // Five hours later: the no-driving line stays (within 12 h), the sitter list has gone.
    let later = common::output(&mut common::command(
        &h.path(),
        "2026-11-28T16:00:00Z",
        &["today"],
    ))
    .ok()
    .stdout;
    assert!(later.contains("do not drive"), "{later}");
    assert!(
        !later.contains("Sitter checklist") && !later.contains("40 minutes after"),
        "{later}"
    );
    // Without the protocol's flags, neither extra line appears.
    let plain = Home::new();
    plain.troches();
    plain.run(&["dose", "1/2 troche"]).ok();
    let out = plain.run(&["today"]).ok().stdout;
    assert!(out.contains("do not drive"));
    assert!(
        !out.contains("Sitter checklist") && !out.contains("40 minutes after"),
        "{out}"
    );
}

/// CSV cells that a spreadsheet would run (starting with a tab or a carriage return, as with
/// "=") are defused, and cells with commas, quotes or line breaks are quoted per RFC 4180.
#[test]
fn csv_defuses_tab_and_cr_and_quotes_cells() {
    let h = Home::new();
    h.troches();
    for note in [
        "\t=HYPERLINK(\"x\")",
        "\r=1+1",
        "said \"hi\", then left",
        "two\nlines",
    ] {
        h.run(&["dose", "1/4 troche", "--note", note, "--at", "-1h"])
            .ok();
    }
    let csv = h.run(&["export", "--format", "csv"]).ok().stdout;
    assert!(
        csv.contains(",'\t=HYPERLINK(\"\"x\"\")") || csv.contains(",\"'\t=HYPERLINK(\"\"x\"\")\""),
        "{csv:?}"
    );
    assert!(
        csv.contains(",\"'\r=1+1\""),
        "a CR makes the cell quoted and defused: {csv:?}"
    );
    assert!(csv.contains(",\"said \"\"hi\"\", then left\""), "{csv:?}");
    assert!(csv.contains(",\"two\nlines\""), "{csv:?}");
    for line in csv.split("\r\n").chain(csv.split('\n')) {
        assert!(
            !line.contains(",\t=") && !line.contains(",\r="),
            "a live formula: {line:?}"
        );
    }
}

/// Each bound at its edge: the last value accepted and the first refused.
#[test]
fn thresholds_at_their_edges() {
    let h = Home::new();
    // 1000 mg is the largest single dose accepted as input; a hair more is a unit slip.
    h.run(&["dose", "1000 mg", "--no-stock", "--at", "-3h"])
        .ok();
    h.run(&["dose", "1000.01 mg", "--no-stock", "--at", "-2h"])
        .fails("1000");
    assert_eq!(h.doses(), 1);
    // A 10,000-character note is kept whole (here 20,000 bytes: the limit counts characters,
    // as a person and the API document do); 10,001 characters are refused.
    let full = "é".repeat(10_000);
    assert_eq!(full.chars().count(), 10_000);
    h.run(&["checkin", "--mood", "5", "--note", &full]).ok();
    let over = format!("{full}x");
    h.run(&["checkin", "--mood", "5", "--note", &over])
        .fails("10001 characters");
    let j: Value = serde_json::from_str(&h.run(&["export"]).ok().stdout)
        .unwrap_or_else(|e| panic!("not JSON: {e}"));
    assert_eq!(
        j["checkins"][0]["note"].as_str().map(|n| n.chars().count()),
        Some(10_000)
    );
    // Up to 5 minutes ahead is accepted (clocks differ); a second more is refused.
    h.run(&["checkin", "--mood", "6", "--at", "2026-11-28T11:05:00Z"])
        .ok();
    h.run(&["checkin", "--mood", "6", "--at", "2026-11-28T11:05:01Z"])
        .fails("in the future");
}

/// A backup to an age public key restores with the matching identity, and only with it.
#[test]
fn backup_to_an_age_recipient_and_restore_with_the_identity() {
    use age::secrecy::ExposeSecret;
    let h = Home::new();
    h.troches();
    h.run(&["dose", "1/2 troche", "--note", "recipient marker"])
        .ok();
    let key = age::x25519::Identity::generate();
    let recipient = key.to_public().to_string();
    let identity = h.dir.path().join("id.txt");
    std::fs::write(&identity, format!("{}\n", key.to_string().expose_secret()))
        .unwrap_or_else(|e| panic!("{e}"));
    let out = h.dir.path().join("b.age");
    h.run(&[
        "backup",
        "--out",
        &out.to_string_lossy(),
        "--recipient",
        &recipient,
    ])
    .ok();
    let bytes = std::fs::read(&out).unwrap_or_default();
    assert!(bytes.starts_with(b"age-encryption.org/v1"));
    assert!(!bytes.windows(16).any(|w| w == b"recipient marker"));
    let other = age::x25519::Identity::generate();
    let wrong = h.dir.path().join("wrong.txt");
    std::fs::write(&wrong, format!("{}\n", other.to_string().expose_secret()))
        .unwrap_or_else(|e| panic!("{e}"));
    let elsewhere = h.dir.path().join("restored");
    let restore = |id: &PathBuf| {
        common::output(
            common::command(&elsewhere, NOW, &["restore"])
                .arg(&out)
                .arg("--identity")
                .arg(id),
        )
    };
    let r = restore(&wrong);
    assert_eq!(r.code, 1, "{}", r.stderr);
    assert!(
        !elsewhere.join("dosewise.db").exists(),
        "nothing restored with the wrong key"
    );
    restore(&identity).ok();
    let back = common::output(&mut common::command(&elsewhere, NOW, &["export"]))
        .ok()
        .stdout;
    assert_eq!(back, h.run(&["export"]).ok().stdout, "the same journal");
    h.run(&["backup", "--out", "x.age", "--recipient", "age1notakey"])
        .fails("not an age public key");
}

/// The detailed calendar names the amount and the protocol; the default names neither.
#[test]
fn calendar_detailed_and_discreet() {
    let h = Home::new();
    h.troches();
    h.run(&[
        "protocol",
        "add",
        "--name",
        "Morning troche",
        "--every",
        "3",
        "--dose",
        "1/2 troche",
        "--start",
        "2026-11-28",
    ])
    .ok();
    let discreet = h.run(&["calendar"]).ok().stdout;
    assert!(discreet.contains("SUMMARY:Planned dose"), "{discreet}");
    assert!(
        !discreet.contains("troche") && !discreet.contains("Morning"),
        "discreet"
    );
    let detailed = h.run(&["calendar", "--detailed"]).ok().stdout;
    assert!(detailed.contains("1/2 troche"), "{detailed}");
    assert!(detailed.contains("Morning troche"), "{detailed}");
}

/// When the clocks go back, 02:30 happens twice in Berlin: Dosewise takes the first (still
/// summer time, UTC+2), as the README says; a time in the spring gap is refused.
#[test]
fn a_repeated_local_time_takes_the_earlier() {
    let h = Home::new();
    let r = h
        .run(&[
            "--json",
            "checkin",
            "--mood",
            "5",
            "--at",
            "2026-10-25 02:30",
        ])
        .ok()
        .json();
    assert_eq!(r["checkin"]["at"], "2026-10-25T00:30:00Z");
    h.run(&["checkin", "--mood", "5", "--at", "2026-03-29 02:30"])
        .fails("does not exist");
}

/// A reader that stops early (`dosewise calendar | head`) ends the command quietly, exit 0, as
/// other Unix tools do — for every command that prints a document.
#[test]
fn a_closed_pipe_ends_quietly() {
    use std::io::Read;
    use std::process::Stdio;
    let h = Home::new();
    h.troches();
    h.run(&["protocol", "add", "--every", "2", "--dose", "1/4 troche"])
        .ok();
    for args in [
        vec!["calendar", "--days", "730"],
        vec!["report"],
        vec!["export"],
        vec!["info", "interactions"],
    ] {
        let mut child = common::command(&h.path(), NOW, &args)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap_or_else(|e| panic!("{e}"));
        // Read a few bytes, as `head -c` would, then close the pipe.
        let mut first = [0u8; 16];
        let mut out = child.stdout.take().unwrap_or_else(|| panic!("stdout"));
        let _ = out.read(&mut first);
        drop(out);
        let mut err = String::new();
        if let Some(mut e) = child.stderr.take() {
            let _ = e.read_to_string(&mut err);
        }
        let status = child.wait().unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(status.code(), Some(0), "{args:?}: {err}");
        assert!(
            !err.contains("Broken pipe") && !err.contains("error"),
            "{args:?}: {err}"
        );
    }
}

/// With no Chromium, Chrome or Edge anywhere it looks, a PDF is refused with the way out (the
/// HTML, printed from any browser), and no file is written.
#[test]
fn no_browser_says_how_to_print_from_any_browser() {
    let h = Home::new();
    let empty = h.dir.path().join("no-browsers");
    std::fs::create_dir_all(&empty).unwrap_or_else(|e| panic!("{e}"));
    let pdf = h.dir.path().join("report.pdf");
    let r = common::output(
        common::command(&h.path(), NOW, &["report", "--out", &pdf.to_string_lossy()])
            .env("PATH", &empty)
            .env("HOME", &empty)
            .env_remove("ProgramFiles")
            .env_remove("ProgramFiles(x86)")
            .env_remove("LOCALAPPDATA"),
    );
    assert_eq!(r.code, 1, "{}", r.stderr);
    for needle in [
        "no Chromium-family browser",
        "--chromium PATH",
        "--out report.html",
        "Save as PDF",
    ] {
        assert!(r.stderr.contains(needle), "{needle}: {}", r.stderr);
    }
    assert!(!pdf.exists());
    // The HTML is the way out, and it is written.
    let html = h.dir.path().join("report.html");
    let r = common::output(
        common::command(
            &h.path(),
            NOW,
            &["report", "--out", &html.to_string_lossy()],
        )
        .env("PATH", &empty),
    );
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(
        std::fs::read_to_string(&html)
            .unwrap_or_default()
            .contains("<html")
    );
}

/// `check` never writes: `check dose` takes an amount only. (It once took `dose`'s
/// subcommands, and `check dose delete 1` deleted a dose.)
#[test]
fn check_dose_never_edits_or_deletes() {
    let h = Home::new();
    h.troches();
    h.run(&["dose", "1/2", "troche", "--at", "-1h"]).ok();
    let before = h.run(&["export"]).ok().stdout;
    h.run(&["check", "dose", "delete", "1"])
        .fails("not a number");
    h.run(&["check", "dose", "edit", "1", "--amount", "1 troche"])
        .code(2);
    assert_eq!(h.run(&["export"]).ok().stdout, before);
    assert_eq!(h.doses(), 1);
    // The dry run itself still answers, and writes nothing.
    let r = h.run(&["check", "dose", "1/2", "troche"]).ok();
    assert!(r.stdout.contains("12.5 mg"), "{}", r.stdout);
    assert_eq!(h.run(&["export"]).ok().stdout, before);
}

/// Completions and manual pages come from the same definition as the parser: the bash script
/// parses (bash -n) and knows every command; one page per command, and dosewise(1) on stdout.
#[test]
fn completions_and_manual_pages() {
    let h = Home::new();
    let help = h.run(&["--help"]).ok().stdout;
    // The commands, as `--help` lists them (two-space indent, name, spaces, text).
    let commands: Vec<&str> = help
        .lines()
        .skip_while(|l| !l.starts_with("Commands:"))
        .skip(1)
        .take_while(|l| l.starts_with("  "))
        .filter(|l| !l.starts_with("   "))
        .filter_map(|l| l.split_whitespace().next())
        .filter(|c| *c != "help")
        .collect();
    assert!(
        commands.len() > 25 && commands.contains(&"man"),
        "{commands:?}"
    );
    let script = h.dir.path().join("dosewise.bash");
    let bash = h.run(&["completions", "bash"]).ok().stdout;
    std::fs::write(&script, &bash).unwrap_or_else(|e| panic!("{e}"));
    let syntax = std::process::Command::new("bash")
        .arg("-n")
        .arg(&script)
        .output()
        .unwrap_or_else(|e| panic!("bash: {e}"));
    assert!(
        syntax.status.success(),
        "{}",
        String::from_utf8_lossy(&syntax.stderr)
    );
    for c in &commands {
        assert!(
            bash.contains(&format!("dosewise__subcmd__{}", c.replace('-', "__"))),
            "{c}"
        );
    }
    for shell in ["zsh", "fish", "powershell", "elvish"] {
        assert!(
            h.run(&["completions", shell])
                .ok()
                .stdout
                .contains("dosewise")
        );
    }
    h.run(&["completions", "tcsh"]).code(2);
    // Manual pages.
    let page = h.run(&["man"]).ok().stdout;
    assert!(page.contains(".TH dosewise 1") && page.contains("low\\-dose ketamine"));
    let dir = h.dir.path().join("man");
    h.run(&["man", "--out", &dir.to_string_lossy()])
        .fails("create it first");
    std::fs::create_dir(&dir).unwrap_or_else(|e| panic!("{e}"));
    h.run(&["man", "--out", &dir.to_string_lossy()]).ok();
    for c in &commands {
        let p = dir.join(format!("dosewise-{c}.1"));
        let text = std::fs::read_to_string(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display()));
        assert!(
            text.contains(&format!(
                ".TH dosewise-{c} 1  \"dosewise {}\" \"Dosewise manual\"",
                env!("CARGO_PKG_VERSION")
            )),
            "{}",
            &text[..200.min(text.len())]
        );
    }
    assert!(dir.join("dosewise.1").is_file() && dir.join("dosewise-calc-convert.1").is_file());
}

/// `--out` names a file: a device or a pipe is refused and left as it was, even with --force
/// (the file is written beside it and renamed over it, which would replace the device:
/// `--out /dev/null --force` run as root once replaced /dev/null with a plain file).
#[cfg(unix)]
#[test]
fn out_refuses_what_is_not_a_regular_file() {
    use std::os::unix::fs::FileTypeExt;
    let h = Home::new();
    let fifo = h.dir.path().join("pipe");
    let made = std::process::Command::new("mkfifo")
        .arg(&fifo)
        .status()
        .unwrap_or_else(|e| panic!("mkfifo: {e}"));
    assert!(made.success());
    let dir = h.dir.path().join("a-folder");
    std::fs::create_dir(&dir).unwrap_or_else(|e| panic!("{e}"));
    for target in [&fifo, &dir] {
        let t = target.to_string_lossy();
        for args in [
            vec!["report", "--out", &t, "--force"],
            vec!["export", "--out", &t, "--force"],
            vec!["calendar", "--out", &t, "--force"],
        ] {
            h.run(&args).fails("is not a regular file");
        }
    }
    let kind = std::fs::symlink_metadata(&fifo).unwrap_or_else(|e| panic!("{e}"));
    assert!(kind.file_type().is_fifo(), "the pipe is still a pipe");
    assert!(dir.is_dir());
}
