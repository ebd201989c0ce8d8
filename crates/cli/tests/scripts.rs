//! `scripts/install-test-deps` decides what to install: each missing tool on its own, never a
//! working node or npm (a vendor nodejs bundles npm, and asking apt for Debian's npm beside it
//! made apt refuse everything). Run with a PATH holding only fake tools and a fake apt-get
//! that records what it was asked for and "installs" it.

#![cfg(unix)]

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::Command;

struct Machine {
    dir: tempfile::TempDir,
}

impl Machine {
    /// A machine with these tools on its PATH; `bundled_npm`: installing nodejs brings npm.
    fn with(tools: &[&str], bundled_npm: bool) -> Machine {
        let m = Machine {
            dir: tempfile::tempdir().unwrap_or_else(|e| panic!("{e}")),
        };
        std::fs::create_dir(m.bin()).unwrap_or_else(|e| panic!("{e}"));
        for t in tools {
            if *t == "initdb" {
                // Debian keeps PostgreSQL's programs off the PATH, under its version.
                let bin = m.pg_root().join("15/bin");
                std::fs::create_dir_all(&bin).unwrap_or_else(|e| panic!("{e}"));
                std::fs::write(bin.join("initdb"), "#!/bin/bash\n")
                    .unwrap_or_else(|e| panic!("{e}"));
            } else {
                m.tool(t);
            }
        }
        // apt-get: records its arguments; an install puts the package's program on the PATH.
        let script = format!(
            "#!/bin/bash\necho \"$*\" >> {log}\nif [ \"$1\" = install ]; then\n  for p in \"$@\"; do\n    case $p in\n      chromium) t=chromium ;; poppler-utils) t=pdftoppm ;; nodejs) t=node ;; npm) t=npm ;; python3-venv) t=python3 ;;\n      postgresql) /bin/mkdir -p {pg}/15/bin && printf '#!/bin/bash\\n' > {pg}/15/bin/initdb; continue ;; *) continue ;;\n    esac\n    printf '#!/bin/bash\\n' > {bin}/$t && {chmod} +x {bin}/$t\n    if [ $t = node ] && [ {bundled} = 1 ]; then printf '#!/bin/bash\\n' > {bin}/npm && {chmod} +x {bin}/npm; fi\n  done\nfi\n",
            log = m.log().display(),
            pg = m.pg_root().display(),
            bin = m.bin().display(),
            chmod = "/bin/chmod",
            bundled = u8::from(bundled_npm),
        );
        m.write_exe("apt-get", &script);
        m
    }
    fn bin(&self) -> PathBuf {
        self.dir.path().join("bin")
    }
    fn pg_root(&self) -> PathBuf {
        self.dir.path().join("postgresql")
    }
    fn log(&self) -> PathBuf {
        self.dir.path().join("apt.log")
    }
    fn write_exe(&self, name: &str, body: &str) {
        let p = self.bin().join(name);
        std::fs::write(&p, body).unwrap_or_else(|e| panic!("{e}"));
        std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o755))
            .unwrap_or_else(|e| panic!("{e}"));
    }
    fn tool(&self, name: &str) {
        self.write_exe(name, "#!/bin/bash\n");
    }
    /// Run the script as `uid`; (exit code, stdout, stderr, apt-get calls).
    fn run(&self, uid: u32) -> (i32, String, String, Vec<String>) {
        let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../scripts/install-test-deps");
        let o = Command::new("/bin/bash")
            .arg(script)
            .env_clear()
            .env("PATH", self.bin())
            .env("DOSEWISE_TEST_UID", uid.to_string())
            .env("DOSEWISE_TEST_PG_ROOT", self.pg_root())
            .output()
            .unwrap_or_else(|e| panic!("{e}"));
        let calls = std::fs::read_to_string(self.log())
            .unwrap_or_default()
            .lines()
            .map(str::to_string)
            .collect();
        (
            o.status.code().unwrap_or(-1),
            String::from_utf8_lossy(&o.stdout).into_owned(),
            String::from_utf8_lossy(&o.stderr).into_owned(),
            calls,
        )
    }
}

fn installs(calls: &[String]) -> Vec<String> {
    calls
        .iter()
        .filter_map(|c| c.strip_prefix("install -y -qq "))
        .map(str::to_string)
        .collect()
}

/// The machine the newcomer had: a vendor Node.js with npm, no Chromium, no poppler. Only the
/// two missing packages are asked for, one at a time, and each is explained.
#[test]
fn a_working_node_and_npm_are_never_replaced() {
    let m = Machine::with(&["node", "npm", "initdb", "python3"], false);
    let (code, out, err, calls) = m.run(0);
    assert_eq!(code, 0, "{err}");
    assert_eq!(installs(&calls), ["chromium", "poppler-utils"]);
    assert!(
        out.contains("== installing chromium: chromium (report PDF and browser tests)"),
        "{out}"
    );
    assert!(out.contains("== installing poppler-utils"), "{out}");
    // Nothing left to do the second time: apt is not even updated.
    let before = calls.len();
    let (code, _, _, calls) = m.run(0);
    assert_eq!(code, 0);
    assert_eq!(
        calls.len(),
        before,
        "no apt-get call when nothing is missing"
    );
}

/// Without Node.js: nodejs is installed; npm only when nodejs did not bring it.
#[test]
fn npm_is_asked_for_only_when_nodejs_did_not_bring_it() {
    let m = Machine::with(&["chromium", "pdftoppm", "initdb", "python3"], true);
    let (code, _, err, calls) = m.run(0);
    assert_eq!(code, 0, "{err}");
    assert_eq!(installs(&calls), ["nodejs"], "a nodejs that bundles npm");
    let m = Machine::with(&["chromium", "pdftoppm", "initdb", "python3"], false);
    let (_, _, _, calls) = m.run(0);
    assert_eq!(installs(&calls), ["nodejs", "npm"]);
}

/// Not root: nothing is installed; the message names each missing tool and its package.
#[test]
fn without_root_it_says_what_to_install() {
    let m = Machine::with(&["node", "initdb", "python3"], false);
    let (code, _, err, calls) = m.run(1000);
    assert_eq!(code, 1);
    assert!(calls.is_empty());
    for line in [
        "chromium (report PDF and browser tests) — Debian package chromium",
        "pdftoppm (reads the report PDF back) — Debian package poppler-utils",
        "npm (installs playwright-core) — Debian package npm",
    ] {
        assert!(err.contains(line), "{err}");
    }
    assert!(!err.contains("nodejs"), "node is there: {err}");
}

/// Without PostgreSQL's programs (Debian keeps them under /usr/lib/postgresql/VERSION/bin, off
/// the PATH): postgresql is installed, once; with them, it is not asked for.
#[test]
fn postgresql_is_installed_when_initdb_is_missing() {
    let m = Machine::with(&["chromium", "pdftoppm", "node", "npm", "python3"], false);
    let (code, out, err, calls) = m.run(0);
    assert_eq!(code, 0, "{err}");
    assert_eq!(installs(&calls), ["postgresql"]);
    assert!(
        out.contains("== installing postgresql: initdb and pg_ctl"),
        "{out}"
    );
    let before = calls.len();
    let (_, _, _, calls) = m.run(0);
    assert_eq!(calls.len(), before, "installed: nothing more to do");
    let (code, _, err, _) =
        Machine::with(&["chromium", "pdftoppm", "node", "npm", "python3"], false).run(1000);
    assert_eq!(code, 1);
    assert!(err.contains("Debian package postgresql"), "{err}");
}

/// Without Python (or without its venv module): python3-venv is installed, which brings python3;
/// with both, nothing is asked for.
#[test]
fn python_with_venv_is_installed_when_missing() {
    let m = Machine::with(&["chromium", "pdftoppm", "node", "npm", "initdb"], false);
    let (code, out, err, calls) = m.run(0);
    assert_eq!(code, 0, "{err}");
    assert_eq!(installs(&calls), ["python3-venv"]);
    assert!(
        out.contains("== installing python3-venv: python3 with venv"),
        "{out}"
    );
    let before = calls.len();
    let (_, _, _, calls) = m.run(0);
    assert_eq!(calls.len(), before, "installed: nothing more to do");
}
