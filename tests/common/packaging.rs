//! The Python package of the binary, for the tests that install it: built once per test binary
//! with maturin (`bindings = "bin"`, pyproject.toml) in the dev profile, so it reuses what
//! `cargo test` has just compiled (about a second) instead of a release build (minutes).
//!
//! maturin is taken from `MATURIN` (a path), else `maturin` on PATH, else `python3 -m maturin`.
//! When there is none, the tests that need the wheel say on the terminal that they were skipped
//! (`.ci/run` installs maturin when it can reach PyPI).

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

/// Says, past the test harness's capture, that a test did not run, and why.
pub fn skipped(test: &str, why: &str) {
    use std::io::Write;
    let _ = writeln!(std::io::stderr(), "\nSKIPPED {test}: {why}\n");
}

fn maturin() -> Option<Command> {
    if let Some(p) = std::env::var_os("MATURIN") {
        return Some(Command::new(p));
    }
    let answers = |mut c: Command| {
        c.arg("--version")
            .output()
            .is_ok_and(|o| o.status.success())
    };
    if answers(Command::new("maturin")) {
        return Some(Command::new("maturin"));
    }
    let mut m = Command::new("python3");
    m.args(["-m", "maturin"]);
    let mut probe = Command::new("python3");
    probe.args(["-m", "maturin"]);
    answers(probe).then_some(m)
}

/// The directory holding the agentlock wheel built from this checkout, or why there is none.
pub fn wheel_dir() -> Result<PathBuf, String> {
    static BUILT: OnceLock<Result<PathBuf, String>> = OnceLock::new();
    BUILT.get_or_init(build).clone()
}

fn build() -> Result<PathBuf, String> {
    let Some(mut maturin) = maturin() else {
        return Err("maturin is not installed (pip install maturin, or set MATURIN)".into());
    };
    let out = Path::new(env!("CARGO_TARGET_TMPDIR")).join("wheel");
    let _ = std::fs::remove_dir_all(&out);
    let root = super::root();
    let run = maturin
        .args(["build", "--profile", "dev", "--quiet", "--out"])
        .arg(&out)
        .arg("--manifest-path")
        .arg(root.join("Cargo.toml"))
        .current_dir(&root)
        .output()
        .map_err(|e| format!("maturin did not start: {e}"))?;
    if !run.status.success() {
        // A failed build is a failure of the packaging, not a missing tool.
        panic!(
            "maturin build failed:\n{}{}",
            String::from_utf8_lossy(&run.stdout),
            String::from_utf8_lossy(&run.stderr)
        );
    }
    Ok(out)
}

/// The one wheel in `dir`.
pub fn wheel_file(dir: &Path) -> PathBuf {
    let wheels: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "whl"))
        .collect();
    assert_eq!(
        wheels.len(),
        1,
        "one wheel in {}: {wheels:?}",
        dir.display()
    );
    wheels[0].clone()
}

/// A new virtualenv at `dir`, or why there is none.
pub fn venv(dir: &Path) -> Result<PathBuf, String> {
    let out = Command::new("python3")
        .args(["-m", "venv"])
        .arg(dir)
        .output()
        .map_err(|e| format!("python3 did not start: {e}"))?;
    if !out.status.success() {
        return Err(format!(
            "python3 -m venv failed: {}",
            String::from_utf8_lossy(&out.stderr).trim()
        ));
    }
    Ok(dir.join("bin"))
}

/// `pip install` into the virtualenv whose bin directory is `bin`, with no network: only the
/// wheels in `find_links`.
pub fn pip_install_offline(bin: &Path, find_links: &Path, what: &str) -> std::process::Output {
    Command::new(bin.join("python"))
        .args([
            "-m",
            "pip",
            "install",
            "--quiet",
            "--disable-pip-version-check",
            "--no-index",
            "--find-links",
        ])
        .arg(find_links)
        .arg(what)
        .env("PIP_CONFIG_FILE", "/dev/null")
        .output()
        .unwrap()
}
