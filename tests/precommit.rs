//! The real pre-commit tool runs agentlock's hooks, of each kind, in a temporary repository:
//! one commit passes, one is blocked, and the token it stages is never printed.
//! - `language: rust` (`.pre-commit-hooks.yaml`): see the shim below.
//! - `language: python` (`pre-commit/`, the agentlock-pre-commit repository): pre-commit installs
//!   the wheel built from this checkout with no network (`PIP_NO_INDEX`, `PIP_FIND_LINKS`);
//!   skipped, visibly, when maturin is missing.
//! - `language: system` (the `*-system` hooks): the agentlock on PATH.
//!
//! pre-commit is taken from `PRE_COMMIT` (a path to the executable), else installed from PyPI
//! into a temporary virtualenv. When neither works (no network), the test says on the terminal
//! that it was skipped and passes: the rest of the suite needs no network. Its `language: rust` hooks install agentlock with
//! `cargo install --path`; a `cargo` shim placed first on PATH copies the binary this test suite
//! built instead of compiling the crate a second time, so everything else pre-commit does (clone
//! the hook repository at a rev, read the manifest, stash unstaged changes, pass filenames,
//! report) is the real thing.

mod common;

use common::*;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn run(cmd: &mut Command) -> Output {
    cmd.output().unwrap()
}

fn ok(what: &str, out: Output) -> String {
    assert!(
        out.status.success(),
        "{what}: {}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn git(dir: &Path) -> Command {
    let mut c = Command::new("git");
    c.current_dir(dir)
        .args([
            "-c",
            "init.defaultBranch=main",
            "-c",
            "commit.gpgsign=false",
        ])
        .env("GIT_CONFIG_GLOBAL", "/dev/null")
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("GIT_AUTHOR_NAME", "Dev")
        .env("GIT_AUTHOR_EMAIL", "dev@example.com")
        .env("GIT_COMMITTER_NAME", "Dev")
        .env("GIT_COMMITTER_EMAIL", "dev@example.com")
        .env_remove("GIT_DIR")
        .env_remove("GIT_INDEX_FILE");
    c
}

/// Says, past the test harness's capture, that the test did not run.
fn skipped(why: &str) {
    common::packaging::skipped(
        "the pre-commit hook tests",
        &format!("{why}; set PRE_COMMIT=/path/to/pre-commit to run them offline"),
    );
}

/// The pre-commit executable: `PRE_COMMIT`, or a fresh install from PyPI; `None` (said on the
/// terminal) when there is none.
fn find_pre_commit(t: &Path) -> Option<std::path::PathBuf> {
    if let Some(p) = std::env::var_os("PRE_COMMIT") {
        return Some(p.into());
    }
    let venv = run(Command::new("python3")
        .args(["-m", "venv"])
        .arg(t.join("venv")));
    if !venv.status.success() {
        skipped("python3 -m venv failed");
        return None;
    }
    let pip = run(Command::new(t.join("venv/bin/python")).args([
        "-m",
        "pip",
        "install",
        "--quiet",
        "--disable-pip-version-check",
        "--timeout",
        "20",
        "pre-commit",
    ]));
    if !pip.status.success() {
        let err = String::from_utf8_lossy(&pip.stderr);
        let last = err
            .lines()
            .rev()
            .find(|l| !l.trim().is_empty())
            .unwrap_or("");
        skipped(&format!(
            "pre-commit could not be installed from PyPI ({last})"
        ));
        return None;
    }
    Some(t.join("venv/bin/pre-commit"))
}

/// A hook repository made of `files` (destination, source), committed; its path and commit.
fn hook_repo(t: &Path, name: &str, files: &[(&str, PathBuf)]) -> (PathBuf, String) {
    let hooks = t.join(name);
    std::fs::create_dir_all(&hooks).unwrap();
    for (dest, src) in files {
        std::fs::copy(src, hooks.join(dest)).unwrap();
    }
    ok("git init hooks", run(git(&hooks).args(["init", "-q"])));
    ok("git add", run(git(&hooks).args(["add", "-A"])));
    ok(
        "git commit",
        run(git(&hooks).args(["commit", "-qm", "hooks"])),
    );
    let rev = ok("rev-parse", run(git(&hooks).args(["rev-parse", "HEAD"])))
        .trim()
        .to_string();
    (hooks, rev)
}

/// The user's repository (example-repo) with the three hooks `ids` of the hook repository
/// installed; a clean commit passes, a commit staging a token and a broken topology is blocked
/// without printing the token. `env` is given to pre-commit and git (and so to the hooks).
/// Returns how long installing the hooks' environment and the clean commit took.
fn scenario(
    t: &Path,
    kind: &str,
    pre_commit_bin: &Path,
    (hooks, rev): (PathBuf, String),
    ids: [&str; 3],
    env: &[(&str, String)],
) -> (std::time::Duration, std::time::Duration) {
    let repo = t.join(format!("repo-{kind}"));
    copy_tree(&root().join("example-repo"), &repo);
    let listed: String = ids.iter().map(|id| format!("      - id: {id}\n")).collect();
    std::fs::write(
        repo.join(".pre-commit-config.yaml"),
        format!(
            "repos:\n  - repo: {}\n    rev: {rev}\n    hooks:\n{listed}",
            hooks.display()
        ),
    )
    .unwrap();
    ok("git init", run(git(&repo).args(["init", "-q"])));
    ok("git add", run(git(&repo).args(["add", "-A"])));
    ok(
        "git commit",
        run(git(&repo).args(["commit", "-qm", "start"])),
    );
    let cache = t.join(format!("cache-{kind}"));
    let with_env = |c: &mut Command| {
        c.env("PRE_COMMIT_HOME", &cache)
            .env("GIT_CONFIG_GLOBAL", "/dev/null")
            .env("GIT_AUTHOR_NAME", "Dev")
            .env("GIT_AUTHOR_EMAIL", "dev@example.com")
            .env("GIT_COMMITTER_NAME", "Dev")
            .env("GIT_COMMITTER_EMAIL", "dev@example.com");
        for (k, v) in env {
            c.env(k, v);
        }
    };
    let pre_commit = |args: &[&str]| {
        let mut c = Command::new(pre_commit_bin);
        c.args(args).current_dir(&repo);
        with_env(&mut c);
        run(&mut c)
    };
    ok(
        &format!("{kind}: pre-commit install"),
        pre_commit(&["install"]),
    );
    let started = std::time::Instant::now();
    ok(
        &format!("{kind}: pre-commit install-hooks"),
        pre_commit(&["install-hooks"]),
    );
    let installed = started.elapsed();
    let commit = |message: &str| {
        let mut c = git(&repo);
        c.args(["commit", "-m", message]);
        with_env(&mut c);
        run(&mut c)
    };
    let head = || ok("rev-parse", run(git(&repo).args(["rev-parse", "HEAD"])));

    // A clean change passes all three hooks.
    std::fs::write(repo.join("NOTES.md"), "On-call notes.\n").unwrap();
    ok("git add", run(git(&repo).args(["add", "NOTES.md"])));
    let before = head();
    let started = std::time::Instant::now();
    let out = commit("notes");
    let clean = started.elapsed();
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(out.status.success(), "{kind}: {text}");
    for name in [
        "agentlock verify (staged)",
        "agentlock scan",
        "agentlock lock --check",
    ] {
        assert!(
            text.contains(name) && !text.contains(&format!("{name}....Failed")),
            "{kind}: {name}: {text}"
        );
    }
    assert_ne!(head(), before);

    // A staged credential and a broken topology: blocked, nothing committed.
    let token = format!("ghp_{}", "Zq7Rk2Lm9Xw4Tb8Vn1Hc5Jd3Fs6Gp0Ay2Ue4I");
    std::fs::write(
        repo.join("NOTES.md"),
        format!("On-call notes.\ntoken: {token}\n"),
    )
    .unwrap();
    let agents = std::fs::read_to_string(repo.join("agents.yaml")).unwrap();
    std::fs::write(
        repo.join("agents.yaml"),
        agents.replacen("entry: router", "entry: nobody", 1),
    )
    .unwrap();
    ok("git add", run(git(&repo).args(["add", "-A"])));
    let before = head();
    let out = commit("leak");
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(!out.status.success(), "{kind}: {text}");
    assert_eq!(head(), before, "{kind}: the commit was blocked");
    assert!(text.contains("SECRET002"), "{kind}: {text}");
    assert!(text.contains("TOPO004"), "{kind}: {text}");
    assert!(
        !text.contains(&token),
        "{kind}: the token is never printed: {text}"
    );
    (installed, clean)
}

/// PATH with `first` before the test process's own.
fn path_with(first: &[&Path]) -> String {
    let mut parts: Vec<String> = first.iter().map(|p| p.display().to_string()).collect();
    parts.push(std::env::var("PATH").unwrap());
    parts.join(":")
}

/// PATH without a directory that holds an `agentlock`: the python hooks must run the wheel's.
fn path_without_agentlock() -> String {
    std::env::var("PATH")
        .unwrap()
        .split(':')
        .filter(|d| !Path::new(d).join("agentlock").exists())
        .collect::<Vec<_>>()
        .join(":")
}

#[test]
fn pre_commit_runs_the_rust_hooks() {
    let tmp = tempfile::tempdir().unwrap();
    let t = tmp.path();
    let Some(pre_commit_bin) = find_pre_commit(t) else {
        return;
    };
    // The shim: `cargo --version` answers, `cargo install --root DIR …` copies the binary.
    let shim = t.join("shim");
    std::fs::create_dir_all(&shim).unwrap();
    let bin = env!("CARGO_BIN_EXE_agentlock");
    std::fs::write(
        shim.join("cargo"),
        format!(
            "#!/bin/sh\nif [ \"$1\" = --version ]; then echo 'cargo 1.0.0 (agentlock test shim)'; exit 0; fi\n\
             if [ \"$1\" = install ]; then\n  while [ $# -gt 0 ]; do if [ \"$1\" = --root ]; then root=$2; fi; shift; done\n  \
             mkdir -p \"$root/bin\" && cp '{bin}' \"$root/bin/agentlock\"; exit $?\nfi\necho \"unexpected: cargo $*\" >&2; exit 1\n"
        ),
    )
    .unwrap();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(shim.join("cargo"), std::fs::Permissions::from_mode(0o755))
            .unwrap();
    }
    let path = path_with(&[&shim, &t.join("venv/bin")]);
    let hooks = hook_repo(
        t,
        "hooks",
        &[
            (
                ".pre-commit-hooks.yaml",
                root().join(".pre-commit-hooks.yaml"),
            ),
            ("Cargo.toml", root().join("Cargo.toml")),
        ],
    );
    scenario(
        t,
        "rust",
        &pre_commit_bin,
        hooks,
        ["agentlock-verify", "agentlock-scan", "agentlock-lock-check"],
        &[("PATH", path)],
    );
}

#[test]
fn pre_commit_runs_the_system_hooks() {
    let tmp = tempfile::tempdir().unwrap();
    let t = tmp.path();
    let Some(pre_commit_bin) = find_pre_commit(t) else {
        return;
    };
    let bin = Path::new(env!("CARGO_BIN_EXE_agentlock")).parent().unwrap();
    let hooks = hook_repo(
        t,
        "hooks",
        &[(
            ".pre-commit-hooks.yaml",
            root().join(".pre-commit-hooks.yaml"),
        )],
    );
    scenario(
        t,
        "system",
        &pre_commit_bin,
        hooks,
        [
            "agentlock-verify-system",
            "agentlock-scan-system",
            "agentlock-lock-check-system",
        ],
        &[("PATH", path_with(&[bin]))],
    );
}

/// The directory of the wheels virtualenv seeds new environments with (setuptools among them),
/// in the Python that runs pre-commit: the build backend of the agentlock-pre-commit package,
/// with no network.
fn seed_wheels(pre_commit_bin: &Path) -> Option<PathBuf> {
    let script = std::fs::read_to_string(pre_commit_bin).ok()?;
    let python = script
        .lines()
        .next()?
        .strip_prefix("#!")?
        .trim()
        .to_string();
    let o = run(Command::new(python).args([
        "-c",
        "import os, virtualenv.seed.wheels.embed as e; print(os.path.dirname(e.__file__))",
    ]));
    let dir = PathBuf::from(String::from_utf8_lossy(&o.stdout).trim());
    let has_setuptools = std::fs::read_dir(&dir)
        .ok()?
        .any(|e| e.is_ok_and(|e| e.file_name().to_string_lossy().starts_with("setuptools-")));
    (o.status.success() && has_setuptools).then_some(dir)
}

#[test]
fn pre_commit_runs_the_python_hooks_with_no_network() {
    let tmp = tempfile::tempdir().unwrap();
    let t = tmp.path();
    let Some(pre_commit_bin) = find_pre_commit(t) else {
        return;
    };
    let wheels = match common::packaging::wheel_dir() {
        Ok(d) => d,
        Err(why) => return skipped(&why),
    };
    let Some(seed) = seed_wheels(&pre_commit_bin) else {
        return skipped("virtualenv's seed wheels (setuptools) were not found");
    };
    let mirror = root().join("pre-commit");
    let hooks = hook_repo(
        t,
        "agentlock-pre-commit",
        &[
            (
                ".pre-commit-hooks.yaml",
                mirror.join(".pre-commit-hooks.yaml"),
            ),
            ("pyproject.toml", mirror.join("pyproject.toml")),
        ],
    );
    let (installed, clean) = scenario(
        t,
        "python",
        &pre_commit_bin,
        hooks,
        ["agentlock-verify", "agentlock-scan", "agentlock-lock-check"],
        &[
            ("PATH", path_without_agentlock()),
            ("PIP_NO_INDEX", "1".into()),
            (
                "PIP_FIND_LINKS",
                format!("{} {}", wheels.display(), seed.display()),
            ),
            ("PIP_CONFIG_FILE", "/dev/null".into()),
        ],
    );
    // The hooks ran the wheel's binary, installed in pre-commit's environment for them.
    let installed_bin = walkdir::WalkDir::new(t.join("cache-python"))
        .into_iter()
        .filter_map(Result::ok)
        .any(|e| e.path().ends_with("bin/agentlock"));
    assert!(
        installed_bin,
        "the wheel is installed in the hooks' environment"
    );
    eprintln!(
        "python hooks: environment installed with no network in {:.2} s; the clean commit's three hooks on example-repo in {:.2} s",
        installed.as_secs_f64(),
        clean.as_secs_f64()
    );
}

/// One hook of a manifest, without the keys that tell how it is installed.
fn hooks_of(path: &Path) -> Vec<serde_json::Value> {
    let text = std::fs::read_to_string(path).unwrap();
    let v: serde_json::Value = serde_saphyr::from_str(&text).unwrap();
    v.as_array().unwrap().clone()
}

#[test]
fn the_three_kinds_of_hook_run_the_same_commands() {
    let root_hooks = hooks_of(&root().join(".pre-commit-hooks.yaml"));
    let mirror = hooks_of(&root().join("pre-commit/.pre-commit-hooks.yaml"));
    let of = |language: &str, hooks: &[serde_json::Value]| -> Vec<serde_json::Value> {
        hooks
            .iter()
            .filter(|h| h["language"] == language)
            .map(|h| {
                let mut h = h.clone();
                let o = h.as_object_mut().unwrap();
                o.remove("language");
                let id = o["id"]
                    .as_str()
                    .unwrap()
                    .trim_end_matches("-system")
                    .to_string();
                o.insert("id".into(), id.into());
                h
            })
            .collect()
    };
    let rust = of("rust", &root_hooks);
    assert_eq!(rust.len(), 3);
    assert_eq!(
        of("system", &root_hooks),
        rust,
        "the system hooks are the rust ones"
    );
    assert_eq!(
        of("python", &mirror),
        rust,
        "the python hooks are the rust ones"
    );
    assert_eq!(mirror.len(), 3);
    // The mirror's version is agentlock's, and it pins that wheel.
    let py: toml::Value =
        toml::from_str(&std::fs::read_to_string(root().join("pre-commit/pyproject.toml")).unwrap())
            .unwrap();
    let version = env!("CARGO_PKG_VERSION");
    assert_eq!(py["project"]["version"].as_str(), Some(version));
    let deps: Vec<&str> = py["project"]["dependencies"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d.as_str().unwrap())
        .collect();
    assert_eq!(deps, [format!("agentlock=={version}")]);
}
