//! Helpers shared by the integration tests.
#![allow(dead_code)]

pub mod packaging;

use agentlock::report::{human, json};
use std::path::{Path, PathBuf};

/// The date every test runs on, so exception expiry is deterministic.
pub fn today() -> i64 {
    agentlock::date::parse_date("2026-11-25").unwrap()
}

pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// The fixture repository `name` (or a path inside it, `discover_crewai/src/research_crew`).
/// Most fixtures are overlays: their directory holds only the files that differ from the base
/// named in its `overlay.toml` (and the files deleted from it); the whole repository is built
/// once under the target directory, in a directory named after the content, so every test binary
/// and every run with the same files share it and an edit to a fixture makes a new one.
pub fn fixture(name: &str) -> PathBuf {
    let (first, rest) = name.split_once('/').unwrap_or((name, ""));
    let dir = root().join("tests/fixtures").join(first);
    let built = if dir.join(OVERLAY).is_file() {
        materialize(first, &dir)
    } else {
        dir
    };
    if rest.is_empty() {
        built
    } else {
        built.join(rest)
    }
}

/// The file that makes a fixture directory an overlay.
pub const OVERLAY: &str = "overlay.toml";

/// A directory under tests/fixtures that is a repository a rule runs on (a whole one or an
/// overlay), as opposed to a corpus (secrets, sarif).
pub fn is_repo_fixture(dir: &Path) -> bool {
    dir.join("agentlock.toml").is_file() || dir.join(OVERLAY).is_file()
}

#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct Overlay {
    base: String,
    #[serde(default)]
    delete: Vec<String>,
}

/// The files of a tree, by relative path (`/`-separated), sorted.
fn files_of(dir: &Path) -> std::collections::BTreeMap<String, Vec<u8>> {
    walkdir::WalkDir::new(dir)
        .into_iter()
        .map(Result::unwrap)
        .filter(|e| e.file_type().is_file())
        .map(|e| {
            let rel = e.path().strip_prefix(dir).unwrap();
            let rel = rel.to_string_lossy().replace('\\', "/");
            (rel, std::fs::read(e.path()).unwrap())
        })
        .collect()
}

fn materialize(name: &str, dir: &Path) -> PathBuf {
    use sha2::{Digest, Sha256};
    let mut top = files_of(dir);
    let overlay: Overlay =
        toml::from_str(&String::from_utf8(top.remove(OVERLAY).unwrap()).unwrap())
            .unwrap_or_else(|e| panic!("{}: {e}", dir.join(OVERLAY).display()));
    let base = root().join("tests/fixtures").join(&overlay.base);
    assert!(
        !base.join(OVERLAY).exists(),
        "{name}: the base {} is itself an overlay",
        overlay.base
    );
    let mut files = files_of(&base);
    for gone in &overlay.delete {
        assert!(
            files.remove(gone).is_some(),
            "{name}: deletes {gone}, which {} does not have",
            overlay.base
        );
    }
    files.extend(top);
    let mut hash = Sha256::new();
    for (path, bytes) in &files {
        hash.update((path.len() as u64).to_le_bytes());
        hash.update(path.as_bytes());
        hash.update((bytes.len() as u64).to_le_bytes());
        hash.update(bytes);
    }
    let digest: String = hash.finalize()[..8]
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    let out = Path::new(env!("CARGO_TARGET_TMPDIR"))
        .join("fixtures")
        .join(format!("{name}-{digest}"));
    if out.is_dir() {
        return out;
    }
    // Built beside its final place and renamed into it, so a test running at the same time in
    // another binary never sees half a repository.
    let tmp = out.with_extension(format!("tmp{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&tmp);
    for (path, bytes) in &files {
        let target = tmp.join(path);
        std::fs::create_dir_all(target.parent().unwrap()).unwrap();
        std::fs::write(target, bytes).unwrap();
    }
    if std::fs::rename(&tmp, &out).is_err() {
        // another process won the race with the same content
        let _ = std::fs::remove_dir_all(&tmp);
        assert!(out.is_dir(), "{}", out.display());
    }
    out
}

/// Copies a directory tree (regular files only) into a new temporary directory.
pub fn copy_to_temp(src: &Path) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    copy_tree(src, dir.path());
    dir
}

pub fn copy_tree(src: &Path, dst: &Path) {
    for entry in walkdir::WalkDir::new(src) {
        let entry = entry.unwrap();
        let rel = entry.path().strip_prefix(src).unwrap();
        let target = dst.join(rel);
        if entry.file_type().is_dir() {
            std::fs::create_dir_all(&target).unwrap();
        } else if entry.file_type().is_file() {
            std::fs::copy(entry.path(), &target).unwrap();
        }
    }
}

/// Runs the built binary with `args` (NO_COLOR unset, so `--color` decides).
/// A repository inside this project (a fixture, example-repo) is checked as if it were not in
/// git: `GIT_CEILING_DIRECTORIES` set to the repository itself stops discovery before this
/// project's own repository (gix then finds no repository), so no test depends on its history
/// or tags.
pub fn run_bin(args: &[&str]) -> std::process::Output {
    let repo = args
        .iter()
        .position(|a| *a == "--repo")
        .and_then(|i| args.get(i + 1))
        .map_or_else(|| std::env::current_dir().unwrap(), PathBuf::from);
    let repo = repo.canonicalize().unwrap_or(repo);
    let project = root().canonicalize().unwrap();
    let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_agentlock"));
    cmd.args(args).env_remove("NO_COLOR");
    if repo.starts_with(&project) {
        cmd.env("GIT_CEILING_DIRECTORIES", &repo);
    }
    cmd.output().unwrap()
}

/// Writes a file of a test repository, creating its directories.
pub fn write(dir: &Path, path: &str, text: &str) {
    let p = dir.join(path);
    std::fs::create_dir_all(p.parent().unwrap()).unwrap();
    std::fs::write(p, text).unwrap();
}

/// Runs the built binary on a repository: `agentlock --repo DIR args…`.
pub fn run_in(dir: &Path, args: &[&str]) -> std::process::Output {
    let mut all = vec!["--repo", dir.to_str().unwrap()];
    all.extend_from_slice(args);
    run_bin(&all)
}

pub struct Run {
    pub verified: agentlock::Verified,
}

impl Run {
    pub fn human(&self) -> String {
        human::render(
            &self.verified.findings,
            self.verified.suppressed,
            &self.verified.model.sources,
            false,
        )
    }

    pub fn json(&self) -> String {
        json::render(
            &self.verified.findings,
            self.verified.suppressed,
            &self.verified.model.sources,
        )
    }

    /// (code, path, line) of every finding, in report order.
    pub fn places(&self) -> Vec<(String, String, usize)> {
        self.verified
            .findings
            .iter()
            .map(|f| {
                let (p, l, _) = self.verified.model.sources.locate(f.span);
                (f.code().to_string(), p.to_string(), l)
            })
            .collect()
    }

    pub fn codes(&self) -> Vec<&'static str> {
        self.verified.findings.iter().map(|f| f.code()).collect()
    }

    /// The codes, sorted: for a check that does not care about order.
    pub fn sorted_codes(&self) -> Vec<&'static str> {
        let mut codes = self.codes();
        codes.sort();
        codes
    }
}

pub fn verify(dir: &Path, lock_check: bool) -> Run {
    // Rego rules run in a worker, `agentlock` started again: this test binary is not it.
    agentlock::rego::worker::use_executable(env!("CARGO_BIN_EXE_agentlock"));
    let wt = agentlock::snapshot::Worktree::new(dir).unwrap();
    let verified = agentlock::verify(&wt, lock_check, today())
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()));
    Run { verified }
}

/// Runs `agentlock lock` on a directory through the library.
pub fn lock(dir: &Path) -> String {
    let model = agentlock::load::load_dir(dir).unwrap();
    assert!(model.problems.is_empty(), "{:?}", model.problems);
    let text = agentlock::lock::Lock::from_model(&model, agentlock::rules::catalog()).to_toml();
    std::fs::write(dir.join("agentlock.lock"), &text).unwrap();
    text
}

#[macro_export]
macro_rules! snap {
    ($name:expr, $value:expr) => {
        insta::with_settings!({snapshot_path => "../snapshots", prepend_module_to_snapshot => false, omit_expression => true}, {
            insta::assert_snapshot!($name, $value);
        });
    };
}

/// Runs `git` in `dir` with no user or system configuration and fixed names and dates (so
/// commit ids, and the snapshots that show them, are stable); panics when it fails. Returns
/// stdout without the trailing newline.
pub fn git_in(dir: &Path, args: &[&str]) -> String {
    let out = std::process::Command::new("git")
        .args([
            "-c",
            "init.defaultBranch=main",
            "-c",
            "commit.gpgsign=false",
            "-c",
            "tag.gpgsign=false",
        ])
        .args(args)
        .current_dir(dir)
        .env("GIT_CONFIG_GLOBAL", "/dev/null")
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("GIT_AUTHOR_NAME", "Release Bot")
        .env("GIT_AUTHOR_EMAIL", "bot@example.com")
        .env("GIT_AUTHOR_DATE", "2026-11-01T12:00:00Z")
        .env("GIT_COMMITTER_NAME", "Release Bot")
        .env("GIT_COMMITTER_EMAIL", "bot@example.com")
        .env("GIT_COMMITTER_DATE", "2026-11-01T12:00:00Z")
        .env_remove("GIT_DIR")
        .env_remove("GIT_INDEX_FILE")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "git {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout)
        .unwrap()
        .trim_end()
        .to_string()
}

/// The codes of a `--format json` report, in report order.
pub fn codes(o: &std::process::Output) -> Vec<String> {
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap_or_else(|e| {
        panic!(
            "{e}: {}{}",
            String::from_utf8_lossy(&o.stdout),
            String::from_utf8_lossy(&o.stderr)
        )
    });
    v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["code"].as_str().unwrap().to_string())
        .collect()
}

/// (code, path, line) of a finding a fixture must produce.
pub type Place = (&'static str, &'static str, usize);

/// Fails naming every fixture whose findings are not exactly its places, in report order.
pub fn assert_cases(cases: &[(&str, &[Place])], run: impl Fn(&str) -> Run) {
    let mut failures = Vec::new();
    for (name, expected) in cases {
        let got = run(name).places();
        let want: Vec<(String, String, usize)> = expected
            .iter()
            .map(|(c, p, l)| (c.to_string(), p.to_string(), *l))
            .collect();
        if got != want {
            failures.push(format!("{name}:\n  want {want:?}\n  got  {got:?}"));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// The cases name exactly the fixture directories that `wanted` picks.
pub fn assert_listed(cases: &[(&str, &[Place])], wanted: impl Fn(&Path) -> bool) {
    let mut dirs: Vec<String> = std::fs::read_dir(root().join("tests/fixtures"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| wanted(p))
        .map(|p| p.file_name().unwrap().to_string_lossy().into_owned())
        .collect();
    dirs.sort();
    let mut listed: Vec<String> = cases.iter().map(|(n, _)| n.to_string()).collect();
    listed.sort();
    assert_eq!(dirs, listed);
}

/// `verify` passes with no finding at all and `lock --check` finds the lockfile current.
pub fn assert_passes_and_lock_is_current(dir: &Path) {
    let text = |b: &[u8]| String::from_utf8_lossy(b).into_owned();
    let out = run_in(dir, &["verify", "--color", "never"]);
    assert_eq!(
        (out.status.code(), text(&out.stdout)),
        (
            Some(0),
            "agentlock: passed: 0 errors, 0 warnings\n".to_string()
        ),
        "{}",
        text(&out.stderr)
    );
    let out = run_in(dir, &["lock", "--check"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stdout));
}

/// Makes `dir` a git repository whose one commit, holding everything, is tagged `v1.0.0`.
pub fn release_v1(dir: &Path) {
    git_in(dir, &["init", "-q"]);
    git_in(dir, &["add", "-A"]);
    git_in(dir, &["commit", "-qm", "v1"]);
    git_in(dir, &["tag", "v1.0.0"]);
}

/// The findings of a `--format json` run as (code, path, line, message).
pub fn findings(o: &std::process::Output) -> Vec<(String, String, u64, String)> {
    let v: serde_json::Value = serde_json::from_slice(&o.stdout)
        .unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&o.stdout)));
    v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            (
                f["code"].as_str().unwrap().to_string(),
                f["path"].as_str().unwrap().to_string(),
                f["line"].as_u64().unwrap(),
                f["message"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

/// Names `policy/*.rego` in the `[policy]` of a repository copied from the `clean` fixture (its
/// agentlock.toml has `[policy.limits]` and no `[policy]` table), and writes `files` into it.
pub fn with_rego(dir: &Path, files: &[(&str, &str)]) {
    let manifest = std::fs::read_to_string(dir.join("agentlock.toml")).unwrap();
    assert!(
        manifest.contains("[policy.limits]") && !manifest.contains("[policy]\n"),
        "not shaped like the clean fixture's agentlock.toml"
    );
    std::fs::write(
        dir.join("agentlock.toml"),
        manifest.replacen(
            "[policy.limits]",
            "[policy]\nrego = [\"policy/*.rego\"]\n\n[policy.limits]",
            1,
        ),
    )
    .unwrap();
    for (path, text) in files {
        write(dir, path, text);
    }
}
