//! The real pre-commit tool runs this repository's `.pre-commit-hooks.yaml` in a temporary
//! repository: one commit passes, one is blocked.
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
use std::path::Path;
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
    use std::io::Write;
    let _ = writeln!(
        std::io::stderr(),
        "\nSKIPPED pre_commit_runs_the_hooks: {why}; set PRE_COMMIT=/path/to/pre-commit to run it offline\n"
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

#[test]
fn pre_commit_runs_the_hooks() {
    let tmp = tempfile::tempdir().unwrap();
    let t = tmp.path();

    // pre-commit: the one named by PRE_COMMIT, or from PyPI in its own virtualenv.
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
    let path = format!(
        "{}:{}:{}",
        shim.display(),
        t.join("venv/bin").display(),
        std::env::var("PATH").unwrap()
    );

    // The hook repository: this project's manifest, committed.
    let hooks = t.join("hooks");
    std::fs::create_dir_all(&hooks).unwrap();
    for f in [".pre-commit-hooks.yaml", "Cargo.toml"] {
        std::fs::copy(root().join(f), hooks.join(f)).unwrap();
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

    // The user's repository: example-repo with the three hooks installed.
    let repo = t.join("repo");
    copy_tree(&root().join("example-repo"), &repo);
    std::fs::write(
        repo.join(".pre-commit-config.yaml"),
        format!(
            "repos:\n  - repo: {}\n    rev: {rev}\n    hooks:\n      - id: agentlock-verify\n      - id: agentlock-scan\n      - id: agentlock-lock-check\n",
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
    let pre_commit = |args: &[&str]| {
        run(Command::new(&pre_commit_bin)
            .args(args)
            .current_dir(&repo)
            .env("PATH", &path)
            .env("PRE_COMMIT_HOME", t.join("cache"))
            .env("GIT_CONFIG_GLOBAL", "/dev/null")
            .env("GIT_AUTHOR_NAME", "Dev")
            .env("GIT_AUTHOR_EMAIL", "dev@example.com")
            .env("GIT_COMMITTER_NAME", "Dev")
            .env("GIT_COMMITTER_EMAIL", "dev@example.com"))
    };
    ok("pre-commit install", pre_commit(&["install"]));
    ok("pre-commit install-hooks", pre_commit(&["install-hooks"]));
    let commit = |message: &str| {
        run(git(&repo)
            .env("PATH", &path)
            .env("PRE_COMMIT_HOME", t.join("cache"))
            .args(["commit", "-m", message]))
    };
    let head = || ok("rev-parse", run(git(&repo).args(["rev-parse", "HEAD"])));

    // A clean change passes all three hooks.
    std::fs::write(repo.join("NOTES.md"), "On-call notes.\n").unwrap();
    ok("git add", run(git(&repo).args(["add", "NOTES.md"])));
    let before = head();
    let out = commit("notes");
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(out.status.success(), "{text}");
    for name in [
        "agentlock verify (staged)",
        "agentlock scan",
        "agentlock lock --check",
    ] {
        assert!(
            text.contains(name) && !text.contains(&format!("{name}....Failed")),
            "{name}: {text}"
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
    assert!(!out.status.success(), "{text}");
    assert_eq!(head(), before, "the commit was blocked");
    assert!(text.contains("SECRET002"), "{text}");
    assert!(text.contains("TOPO004"), "{text}");
    assert!(!text.contains(&token), "the token is never printed: {text}");
}
