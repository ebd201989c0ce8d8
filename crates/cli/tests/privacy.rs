//! Encryption at rest and privacy hygiene through the real binary: encrypted files hold no
//! plaintext, keys fail cleanly, conversions survive being killed at random moments, backups
//! round-trip and refuse tampering, exports can be encrypted or de-identified, wipe deletes.

use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

mod common;
use common::Run;
use std::time::Duration;

const NOW: &str = "2026-11-28T11:00:00Z";
const MARKER: &str = "MARKER-privacy-c0ffee";

struct Home {
    dir: tempfile::TempDir,
}

fn secret_file(dir: &Path, name: &str, text: &str) -> PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, format!("{text}\n")).unwrap_or_else(|e| panic!("{e}"));
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let _ = std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o600));
    }
    p
}

impl Home {
    fn new() -> Home {
        Home {
            dir: tempfile::tempdir().unwrap_or_else(|e| panic!("{e}")),
        }
    }
    fn home(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }
    fn cmd(&self, home: &str, pass: Option<&Path>, args: &[&str]) -> Command {
        let mut c = common::command(&self.home(home), NOW, args);
        if let Some(p) = pass {
            c.env("DOSEWISE_PASSPHRASE_FILE", p);
        }
        c
    }
    fn run(&self, home: &str, pass: Option<&Path>, args: &[&str]) -> Run {
        common::output(&mut self.cmd(home, pass, args))
    }
    fn export(&self, home: &str, pass: Option<&Path>) -> String {
        self.run(home, pass, &["export"]).ok().stdout
    }
    fn db(&self, home: &str) -> PathBuf {
        self.home(home).join("dosewise.db")
    }
    /// A journal with sample data and a note holding the marker.
    fn with_data(&self, home: &str, weeks: &str) {
        self.run(home, None, &["demo", "--weeks", weeks]).ok();
        self.run(home, None, &["checkin", "--mood", "5", "--note", MARKER])
            .ok();
    }
}

fn contains(bytes: &[u8], needle: &str) -> bool {
    bytes.windows(needle.len()).any(|w| w == needle.as_bytes())
}

#[test]
fn encrypted_journal_holds_no_plaintext_and_keys_fail_cleanly() {
    let h = Home::new();
    let good = secret_file(h.dir.path(), "good", "a long enough passphrase");
    let bad = secret_file(h.dir.path(), "bad", "not the right passphrase");
    let short = secret_file(h.dir.path(), "short", "short");
    h.run(
        "a",
        None,
        &[
            "init",
            "--encrypt",
            "--new-passphrase-file",
            &short.to_string_lossy(),
        ],
    )
    .fails("at least 8 characters");
    h.run(
        "a",
        None,
        &[
            "init",
            "--encrypt",
            "--new-passphrase-file",
            &good.to_string_lossy(),
        ],
    )
    .ok();
    h.run(
        "a",
        Some(&good),
        &["checkin", "--mood", "6", "--note", MARKER],
    )
    .ok();
    let bytes = std::fs::read(h.db("a")).unwrap_or_default();
    assert!(!bytes.starts_with(b"SQLite format 3"));
    assert!(!contains(&bytes, MARKER));
    for side in ["dosewise.db-wal", "dosewise.db-shm"] {
        if let Ok(b) = std::fs::read(h.home("a").join(side)) {
            assert!(!contains(&b, MARKER), "{side} leaks the note");
        }
    }
    let r = h.run("a", None, &["today"]).fails("encrypted");
    assert_eq!(r.stderr.lines().count(), 1, "one clean line: {}", r.stderr);
    let r = h.run("a", Some(&bad), &["today"]).fails("wrong passphrase");
    assert_eq!(
        r.stderr.lines().count(),
        1,
        "no SQLCipher noise: {}",
        r.stderr
    );
    assert!(!r.stderr.contains("sqlcipher") && !r.stderr.contains("panicked"));
    assert!(h.export("a", Some(&good)).contains(MARKER));
}

#[test]
fn encrypt_then_decrypt_keeps_every_row() {
    let h = Home::new();
    h.with_data("a", "6");
    let before = h.export("a", None);
    let key = secret_file(h.dir.path(), "k", "correct horse battery staple");
    let key2 = secret_file(h.dir.path(), "k2", "another correct horse staple");
    h.run(
        "a",
        None,
        &["encrypt", "--new-passphrase-file", &key.to_string_lossy()],
    )
    .ok();
    assert!(!contains(
        &std::fs::read(h.db("a")).unwrap_or_default(),
        MARKER
    ));
    assert_eq!(h.export("a", Some(&key)), before);
    h.run(
        "a",
        Some(&key),
        &["rekey", "--new-passphrase-file", &key2.to_string_lossy()],
    )
    .ok();
    h.run("a", Some(&key), &["today"]).fails("wrong passphrase");
    assert_eq!(h.export("a", Some(&key2)), before);
    h.run("a", Some(&key2), &["decrypt"]).fails("--yes");
    h.run("a", Some(&key2), &["decrypt", "--yes"]).ok();
    assert!(
        std::fs::read(h.db("a"))
            .unwrap_or_default()
            .starts_with(b"SQLite format 3\0")
    );
    assert_eq!(h.export("a", None), before);
    h.run("a", None, &["decrypt", "--yes"])
        .fails("not encrypted");
}

/// Kill `encrypt` / `rekey` / `decrypt` at random moments: the journal is always whole, under
/// either the old key or the new one, with every row.
#[test]
fn conversions_survive_being_killed() {
    let h = Home::new();
    h.with_data("a", "260");
    let expected = h.export("a", None);
    let k1 = secret_file(h.dir.path(), "k1", "first passphrase here");
    let k2 = secret_file(h.dir.path(), "k2", "second passphrase here");
    // How long a full conversion takes on this machine now, so the kills spread over it
    // (a loaded CI machine is several times slower than an idle one).
    let started = std::time::Instant::now();
    h.run(
        "a",
        None,
        &["encrypt", "--new-passphrase-file", &k1.to_string_lossy()],
    )
    .ok();
    h.run("a", Some(&k1), &["decrypt", "--yes"]).ok();
    // Up to about 2.5 times one conversion (rekey derives three keys, encrypt two).
    let mut span_ms = (started.elapsed().as_millis() as u64 / 2).max(50) * 5 / 2;
    assert_eq!(h.export("a", None), expected);
    // The key the journal is under: None = plaintext.
    let mut current: Option<PathBuf> = None;
    let mut seed: u64 = 0x9e37_79b9_7f4a_7c15;
    let mut switched = [0usize; 2];
    // At least 20 kills, and on until both outcomes have been seen (60 at most).
    for i in 0..60 {
        if i >= 20 && switched[0] > 0 && switched[1] > 0 {
            break;
        }
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        let delay = Duration::from_millis(seed % span_ms);
        let (args, next): (Vec<String>, Option<PathBuf>) = match &current {
            None => (
                vec![
                    "encrypt".into(),
                    "--new-passphrase-file".into(),
                    k1.to_string_lossy().into(),
                ],
                Some(k1.clone()),
            ),
            Some(_) if i % 3 == 0 => (vec!["decrypt".into(), "--yes".into()], None),
            Some(k) => {
                let other = if *k == k1 { k2.clone() } else { k1.clone() };
                (
                    vec![
                        "rekey".into(),
                        "--new-passphrase-file".into(),
                        other.to_string_lossy().into(),
                    ],
                    Some(other),
                )
            }
        };
        let argv: Vec<&str> = args.iter().map(String::as_str).collect();
        let mut child = h
            .cmd("a", current.as_deref(), &argv)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| panic!("{e}"));
        std::thread::sleep(delay);
        let _ = child.kill(); // SIGKILL on Unix
        let _ = child.wait();
        // Exactly one of the old and the new key opens it, and it holds every row.
        let plain = std::fs::read(h.db("a"))
            .unwrap_or_default()
            .starts_with(b"SQLite format 3\0");
        let first_errors = std::cell::RefCell::new(Vec::new());
        let opens = |k: &Option<PathBuf>| match k {
            None => plain,
            Some(k) => {
                if plain {
                    return false;
                }
                let r = h.run("a", Some(k), &["stock", "list"]);
                first_errors.borrow_mut().push(r.stderr.clone());
                r.code == 0
            }
        };
        let (old_ok, new_ok) = (opens(&current), opens(&next));
        if !(old_ok ^ new_ok) {
            let files: Vec<String> = std::fs::read_dir(h.home("a"))
                .map(|d| {
                    d.filter_map(|e| e.ok())
                        .map(|e| {
                            format!(
                                "{:?} {}",
                                e.file_name(),
                                e.metadata().map(|m| m.len()).unwrap_or(0)
                            )
                        })
                        .collect()
                })
                .unwrap_or_default();
            let why_old = h.run("a", current.as_deref(), &["stock", "list"]).stderr;
            let why_new = h.run("a", next.as_deref(), &["stock", "list"]).stderr;
            panic!(
                "iteration {i} ({args:?}, killed after {delay:?}): old opens {old_ok}, new opens {new_ok}; plain {plain}; files {files:?}; old: {why_old:?}; new: {why_new:?}; first tries: {:?}",
                first_errors.borrow()
            );
        }
        let now_key = if old_ok {
            current.clone()
        } else {
            next.clone()
        };
        // Once any command has opened it, nothing in the home holds the journal in plaintext
        // while it is encrypted: not the temporary copy a killed decrypt leaves, not a WAL.
        if now_key.is_some() {
            for e in std::fs::read_dir(h.home("a"))
                .map(|d| d.filter_map(Result::ok).collect::<Vec<_>>())
                .unwrap_or_default()
            {
                let bytes = std::fs::read(e.path()).unwrap_or_default();
                assert!(
                    !bytes.starts_with(b"SQLite format 3\0") && !contains(&bytes, MARKER),
                    "iteration {i} ({args:?}): {:?} holds plaintext beside the encrypted journal",
                    e.file_name()
                );
            }
        }
        assert_eq!(
            h.export("a", now_key.as_deref()),
            expected,
            "iteration {i}: rows changed"
        );
        switched[usize::from(new_ok)] += 1;
        current = now_key;
        // One timing run calibrated the span; a machine that slows down or speeds up later
        // would leave every kill on one side of the switch. After 10 kills with only one
        // outcome, stretch or shrink the span until the other one shows.
        if i >= 10 && switched[1] == 0 {
            span_ms = span_ms * 3 / 2;
        } else if i >= 10 && switched[0] == 0 {
            span_ms = (span_ms * 2 / 3).max(10);
        }
    }
    // Both outcomes happened: some kills came before the switch, some after.
    assert!(
        switched[0] > 0 && switched[1] > 0,
        "kills before/after the switch: {switched:?}"
    );
}

#[test]
fn backup_restore_is_lossless_and_tampering_is_refused() {
    let h = Home::new();
    h.with_data("a", "4");
    let before = h.export("a", None);
    let bp = secret_file(h.dir.path(), "bp", "backup passphrase long");
    let out = h.dir.path().join("journal.age");
    h.run(
        "a",
        None,
        &[
            "backup",
            "--out",
            &out.to_string_lossy(),
            "--backup-passphrase-file",
            &bp.to_string_lossy(),
        ],
    )
    .ok();
    let sealed = std::fs::read(&out).unwrap_or_default();
    assert!(sealed.starts_with(b"age-encryption.org/v1"));
    assert!(!contains(&sealed, MARKER));
    h.run(
        "b",
        None,
        &[
            "restore",
            &out.to_string_lossy(),
            "--backup-passphrase-file",
            &bp.to_string_lossy(),
        ],
    )
    .ok();
    assert_eq!(h.export("b", None), before);
    // Restoring over an existing journal is refused.
    h.run(
        "b",
        None,
        &[
            "restore",
            &out.to_string_lossy(),
            "--backup-passphrase-file",
            &bp.to_string_lossy(),
        ],
    )
    .fails("empty home");
    // One flipped bit, or the wrong passphrase: refused, nothing created.
    let mut bad = sealed.clone();
    let n = bad.len();
    bad[n - 10] ^= 0x01;
    let tampered = h.dir.path().join("tampered.age");
    std::fs::write(&tampered, bad).unwrap_or_else(|e| panic!("{e}"));
    h.run(
        "c",
        None,
        &[
            "restore",
            &tampered.to_string_lossy(),
            "--backup-passphrase-file",
            &bp.to_string_lossy(),
        ],
    )
    .fails("cannot open the backup");
    assert!(!h.home("c").exists());
    let wrong = secret_file(h.dir.path(), "wrong", "some other passphrase");
    h.run(
        "c",
        None,
        &[
            "restore",
            &out.to_string_lossy(),
            "--backup-passphrase-file",
            &wrong.to_string_lossy(),
        ],
    )
    .fails("cannot open the backup");
    // Into an encrypted home.
    let jk = secret_file(h.dir.path(), "jk", "journal passphrase long");
    h.run(
        "d",
        None,
        &[
            "restore",
            &out.to_string_lossy(),
            "--backup-passphrase-file",
            &bp.to_string_lossy(),
            "--encrypt",
            "--new-passphrase-file",
            &jk.to_string_lossy(),
        ],
    )
    .ok();
    assert_eq!(h.export("d", Some(&jk)), before);
}

#[test]
fn encrypted_and_deidentified_exports() {
    let h = Home::new();
    h.with_data("a", "3");
    let before = h.export("a", None);
    let ep = secret_file(h.dir.path(), "ep", "export passphrase long");
    let out = h.dir.path().join("export.json.age");
    h.run(
        "a",
        None,
        &[
            "export",
            "--encrypt",
            "--out",
            &out.to_string_lossy(),
            "--encrypt-passphrase-file",
            &ep.to_string_lossy(),
        ],
    )
    .ok();
    assert!(!contains(&std::fs::read(&out).unwrap_or_default(), MARKER));
    h.run(
        "b",
        None,
        &[
            "import",
            &out.to_string_lossy(),
            "--encrypt-passphrase-file",
            &ep.to_string_lossy(),
        ],
    )
    .ok();
    assert_eq!(h.export("b", None), before);
    let plain = h
        .run(
            "a",
            None,
            &[
                "export",
                "--out",
                &h.dir.path().join("p.json").to_string_lossy(),
            ],
        )
        .ok();
    assert!(
        plain.stderr.contains("not encrypted"),
        "a plaintext export warns: {}",
        plain.stderr
    );
    let d = h.dir.path().join("deid.json");
    h.run(
        "a",
        None,
        &["export", "--deidentify", "--out", &d.to_string_lossy()],
    )
    .ok();
    let text = std::fs::read_to_string(&d).unwrap_or_default();
    for secret in [
        MARKER,
        "Europe/Berlin",
        "DEMO-0001",
        "Ketamine troche 25 mg",
    ] {
        assert!(
            !text.contains(secret),
            "{secret} survived de-identification"
        );
    }
    let v: Value = serde_json::from_str(&text).unwrap_or_else(|e| panic!("not JSON: {e}"));
    let orig: Value = serde_json::from_str(&before).unwrap_or_else(|e| panic!("not JSON: {e}"));
    assert_eq!(
        v["doses"].as_array().map(Vec::len),
        orig["doses"].as_array().map(Vec::len)
    );
    assert_ne!(
        v["doses"][0]["at"], orig["doses"][0]["at"],
        "dates are shifted"
    );
    h.run("c", None, &["import", &d.to_string_lossy()]).ok();
}

#[cfg(unix)]
#[test]
fn private_modes_and_wipe() {
    use std::os::unix::fs::PermissionsExt;
    let h = Home::new();
    let k = secret_file(h.dir.path(), "k", "long passphrase one");
    h.run(
        "a",
        None,
        &[
            "init",
            "--encrypt",
            "--new-passphrase-file",
            &k.to_string_lossy(),
        ],
    )
    .ok();
    let mode = |p: &Path| {
        std::fs::metadata(p)
            .map(|m| m.permissions().mode() & 0o777)
            .unwrap_or(0)
    };
    assert_eq!(mode(&h.home("a")), 0o700);
    assert_eq!(mode(&h.db("a")), 0o600);
    // A home opened to others (by hand, or by an older version) is made private again by init.
    std::fs::set_permissions(h.home("a"), std::fs::Permissions::from_mode(0o755))
        .unwrap_or_else(|e| panic!("{e}"));
    let r = h.run("a", Some(&k), &["init"]).ok();
    assert!(r.stderr.contains("now private"), "{}", r.stderr);
    assert_eq!(mode(&h.home("a")), 0o700);
    let out = h.dir.path().join("b.age");
    h.run(
        "a",
        Some(&k),
        &[
            "backup",
            "--out",
            &out.to_string_lossy(),
            "--backup-passphrase-file",
            &k.to_string_lossy(),
        ],
    )
    .ok();
    assert_eq!(mode(&out), 0o600);
    h.run("a", Some(&k), &["wipe"]).fails("--yes");
    assert!(h.db("a").exists());
    // The web app's files go with the journal (a calendar link left behind would open the
    // calendar of the next journal served from this home).
    for f in ["web-login", "web-calendar-link", "web-key"] {
        std::fs::write(h.home("a").join(f), "x").unwrap_or_else(|e| panic!("{e}"));
    }
    h.run("a", Some(&k), &["wipe", "--yes"]).ok();
    assert!(!h.home("a").exists());
}

/// A decrypt stopped after writing its plaintext copy but before the switch: the next command
/// removes the copy and says so, so no plaintext journal stays beside the encrypted one.
#[test]
fn a_plaintext_copy_left_by_a_stopped_decrypt_is_removed_at_the_next_start() {
    let h = Home::new();
    h.with_data("a", "2");
    let plain_copy = std::fs::read(h.db("a")).unwrap_or_default();
    assert!(contains(&plain_copy, MARKER));
    let k = secret_file(h.dir.path(), "k", "long passphrase one");
    h.run(
        "a",
        None,
        &["encrypt", "--new-passphrase-file", &k.to_string_lossy()],
    )
    .ok();
    // What a decrypt killed between its copy and the switch leaves behind.
    let left = h.home("a").join("dosewise.db.converting");
    std::fs::write(&left, &plain_copy).unwrap_or_else(|e| panic!("{e}"));
    std::fs::write(h.home("a").join("dosewise.db.converting-journal"), b"x")
        .unwrap_or_else(|e| panic!("{e}"));
    let r = h.run("a", Some(&k), &["stock", "list"]).ok();
    assert!(
        r.stderr.contains("Removed the temporary copy"),
        "{}",
        r.stderr
    );
    for e in std::fs::read_dir(h.home("a"))
        .map(|d| d.filter_map(Result::ok).collect::<Vec<_>>())
        .unwrap_or_default()
    {
        let bytes = std::fs::read(e.path()).unwrap_or_default();
        assert!(
            !contains(&bytes, MARKER),
            "{:?} still holds plaintext",
            e.file_name()
        );
        assert!(!e.file_name().to_string_lossy().contains("converting"));
    }
    // Nothing to remove the next time: no message.
    let r = h.run("a", Some(&k), &["stock", "list"]).ok();
    assert!(!r.stderr.contains("Removed"), "{}", r.stderr);
}

/// OpenSSL initialises only when a key is used (SQLCipher's start-up hook,
/// crates/store-sqlite/c/sqlcipher_init.c). OpenSSL reads its configuration file as it
/// initialises; here that file is a FIFO nobody writes to, so a process that initialised
/// OpenSSL would wait on it forever. A plain journal's dose finishes without opening it (the
/// build before the hook hung here); an encrypted journal's command opens it, and finishes once
/// the test writes an empty configuration into it.
#[cfg(target_os = "linux")]
#[test]
fn only_a_key_initialises_openssl() {
    use std::os::unix::fs::OpenOptionsExt;
    let h = Home::new();
    let fifo = h.dir.path().join("openssl.cnf");
    let made = Command::new("mkfifo")
        .arg(&fifo)
        .status()
        .unwrap_or_else(|e| panic!("mkfifo: {e}"));
    assert!(made.success());
    // Waits for the child; false if it is still running after a minute (then it is killed).
    let finishes = |child: &mut std::process::Child| {
        for _ in 0..600 {
            if child.try_wait().unwrap_or_else(|e| panic!("{e}")).is_some() {
                return true;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        let _ = child.kill();
        let _ = child.wait();
        false
    };

    let troches = common::troche_stock("Troche 25", "10");
    let troches: Vec<&str> = troches.iter().map(String::as_str).collect();
    h.run("plain", None, &["init", "--no-conditions"]).ok();
    h.run("plain", None, &troches).ok();
    let mut plain = h
        .cmd("plain", None, &["dose", "1/4 troche"])
        .env("OPENSSL_CONF", &fifo)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap_or_else(|e| panic!("{e}"));
    assert!(
        finishes(&mut plain),
        "a plain journal's dose opened OpenSSL's configuration: OpenSSL was initialised"
    );
    assert!(plain.wait().unwrap_or_else(|e| panic!("{e}")).success());

    let good = secret_file(h.dir.path(), "good", "a long enough passphrase");
    let key = good.to_string_lossy();
    h.run(
        "sealed",
        None,
        &[
            "init",
            "--no-conditions",
            "--encrypt",
            "--new-passphrase-file",
            &key,
        ],
    )
    .ok();
    let mut sealed = h
        .cmd("sealed", Some(&good), &["today"])
        .env("OPENSSL_CONF", &fifo)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap_or_else(|e| panic!("{e}"));
    // O_NONBLOCK (Linux's value): opening for writing fails (ENXIO) until a reader has it open.
    let mut opened = false;
    for _ in 0..600 {
        if std::fs::OpenOptions::new()
            .write(true)
            .custom_flags(0o4000)
            .open(&fifo)
            .is_ok()
        {
            opened = true; // dropped at once: the reader sees an empty configuration
            break;
        }
        if sealed
            .try_wait()
            .unwrap_or_else(|e| panic!("{e}"))
            .is_some()
        {
            break;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    assert!(
        opened,
        "an encrypted journal's command never read OpenSSL's configuration: the premise of this test does not hold"
    );
    assert!(
        finishes(&mut sealed),
        "the encrypted journal's command did not finish"
    );
    assert!(sealed.wait().unwrap_or_else(|e| panic!("{e}")).success());
}
