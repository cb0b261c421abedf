//! Git-native behaviour: staged and revision snapshots, releases, `diff`, `rollback` and the
//! history rules, on temporary repositories built with the `git` CLI (never this project's own
//! history).

mod common;

use common::*;
use std::path::PathBuf;
use std::process::Output;

/// A temporary git repository holding a copy of example-repo (at `sub`, for a monorepo).
struct Repo {
    dir: tempfile::TempDir,
    sub: &'static str,
}

impl Repo {
    /// example-repo, committed on `main` (not tagged).
    fn new() -> Repo {
        Repo::at("")
    }

    /// example-repo in a subdirectory of the git work tree.
    fn at(sub: &'static str) -> Repo {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().join(sub);
        std::fs::create_dir_all(&root).unwrap();
        copy_tree(&common::root().join("example-repo"), &root);
        let repo = Repo { dir, sub };
        repo.git(&["init", "-q"]);
        repo.commit("the support-triage system");
        repo
    }

    /// The agentlock root.
    fn root(&self) -> PathBuf {
        self.dir.path().join(self.sub)
    }

    fn git(&self, args: &[&str]) -> String {
        git_in(self.dir.path(), args)
    }

    fn commit(&self, message: &str) {
        self.git(&["add", "-A"]);
        self.git(&["commit", "-q", "--allow-empty", "-m", message]);
    }

    fn tag(&self, name: &str) {
        self.git(&["tag", "-a", name, "-m", name]);
    }

    fn edit(&self, path: &str, f: impl FnOnce(String) -> String) {
        let p = self.root().join(path);
        let text = std::fs::read_to_string(&p).unwrap();
        std::fs::write(&p, f(text)).unwrap();
    }

    fn read(&self, path: &str) -> String {
        std::fs::read_to_string(self.root().join(path)).unwrap()
    }

    fn run(&self, args: &[&str]) -> Output {
        let root = self.root();
        let mut all = vec!["--repo", root.to_str().unwrap()];
        all.extend_from_slice(args);
        run_bin(&all)
    }

    fn lock(&self) {
        let out = self.run(&["lock"]);
        assert!(out.status.success(), "{}", stdout(&out));
    }

    /// v1.0.0 (example-repo as is), then v1.1.0: planner 2.1.0 → 2.2.0.
    fn with_two_releases() -> Repo {
        let r = Repo::new();
        r.tag("v1.0.0");
        r.bump_planner("2.2.0", "Keep the plan to three steps.");
        r.commit("planner 2.2.0");
        r.tag("v1.1.0");
        r
    }

    fn bump_planner(&self, version: &str, line: &str) {
        let old = self
            .read("prompts/planner.prompt")
            .lines()
            .find_map(|l| l.strip_prefix("version: ").map(str::to_string))
            .unwrap();
        self.edit("prompts/planner.prompt", |t| {
            format!(
                "{}{line}\n",
                t.replace(&format!("version: {old}"), &format!("version: {version}"))
            )
        });
        self.edit("agents.yaml", |t| {
            t.replace(&format!("planner@{old}"), &format!("planner@{version}"))
        });
        self.lock();
    }
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

fn json(o: &Output) -> serde_json::Value {
    serde_json::from_slice(&o.stdout).unwrap_or_else(|e| panic!("{e}: {}", stdout(o)))
}

fn messages(o: &Output) -> Vec<String> {
    json(o)["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["message"].as_str().unwrap().to_string())
        .collect()
}

fn code(o: &Output) -> i32 {
    o.status.code().unwrap()
}

#[test]
fn diff_names_the_last_release_and_every_change() {
    let r = Repo::with_two_releases();
    // After v1.1.0: a minor and a patch bump, a tool surface change with a version bump, a new
    // dataset, a removed tool, a changed model id and a changed deploy setting.
    r.bump_planner("3.0.0", "Plans now carry an owner.");
    r.edit("prompts/critic.prompt", |t| {
        format!(
            "{}Check the tone too.\n",
            t.replace("version: 1.4.0", "version: 1.4.1")
        )
    });
    r.edit("agents.yaml", |t| t.replace("critic@1.4.0", "critic@1.4.1"));
    r.edit("tools/github.yaml", |t| {
        t.replace("version: 0.19.1", "version: 0.20.0").replace(
            "Searches issues and pull requests",
            "Searches issues, discussions and pull requests",
        )
    });
    r.edit("datasets/golden_failures.jsonl", |t| {
        t.replace("\"version\": \"2026.11\"", "\"version\": \"2026.12\"")
    });
    r.edit("deploy.yaml", |t| {
        t.replacen("canary_percent: 5", "canary_percent: 10", 1)
    });
    r.lock();
    r.commit("next release candidate");

    let out = r.run(&["diff"]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let human = stdout(&out);
    assert!(human.starts_with("Changes from v1.1.0 (commit "), "{human}");
    snap!("git_diff_human", human);

    let v = json(&r.run(&["--format", "json", "diff"]));
    assert_eq!(v["schema"], "agentlock.diff/v1");
    assert_eq!(v["base"]["tag"], "v1.1.0");
    assert_eq!(
        v["base"]["commit"],
        r.git(&["rev-parse", "v1.1.0^{commit}"])
    );
    assert_eq!(v["head"]["commit"], r.git(&["rev-parse", "HEAD"]));
    assert_eq!(v["rollback"]["tag"], "v1.1.0");
    let lock_root = |rev: &str| {
        let text = r.git(&["show", &format!("{rev}:agentlock.lock")]);
        text.lines()
            .find_map(|l| {
                l.strip_prefix("root = \"")
                    .map(|s| s.trim_end_matches('"').to_string())
            })
            .unwrap()
    };
    assert_eq!(v["base"]["root"], lock_root("v1.1.0"));
    assert_eq!(v["head"]["root"], lock_root("HEAD"));
    let changes: Vec<(String, String, String, String)> = v["changes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            (
                c["kind"].as_str().unwrap().to_string(),
                c["name"].as_str().unwrap_or("-").to_string(),
                c["change"].as_str().unwrap().to_string(),
                c["bump"].as_str().unwrap_or("").to_string(),
            )
        })
        .collect();
    let expect = |k: &str, n: &str, c: &str, b: &str| (k.into(), n.into(), c.into(), b.into());
    assert_eq!(
        changes,
        vec![
            expect("prompt", "critic", "modified", "patch"),
            expect("prompt", "planner", "modified", "major"),
            expect("tool", "github", "modified", "minor"),
            expect("agent", "critic", "modified", ""),
            expect("agent", "planner", "modified", ""),
            expect("dataset", "golden_failures", "modified", "other"),
            expect("deploy", "-", "modified", ""),
        ]
    );
    let planner = &v["changes"][1];
    assert_eq!(planner["from"]["version"], "2.2.0");
    assert_eq!(planner["to"]["version"], "3.0.0");
    snap!("git_diff_json", serde_json::to_string_pretty(&v).unwrap());

    let md = stdout(&r.run(&["--format", "markdown", "diff"]));
    assert!(
        md.contains("| prompt | `planner` | modified | `2.2.0 ("),
        "{md}"
    );
    assert!(md.contains("**Rollback target:**"), "{md}");
    snap!("git_diff_markdown", md);

    // --base names an older release; --head a revision, read without a checkout.
    let v = json(&r.run(&[
        "--format", "json", "diff", "--base", "v1.0.0", "--head", "v1.1.0",
    ]));
    assert_eq!(v["base"]["tag"], "v1.0.0");
    assert_eq!(v["head"]["rev"], "v1.1.0");
    assert_eq!(v["changes"].as_array().unwrap().len(), 2, "{v:#}"); // the planner prompt and agent
}

#[test]
fn rollback_apply_restores_the_release_and_nothing_else() {
    let r = Repo::with_two_releases();
    // HEAD is v1.1.0: the rollback target is the release before it.
    let v = json(&r.run(&["--format", "json", "rollback"]));
    assert_eq!(v["target"]["tag"], "v1.0.0");
    assert_eq!(v["applied"], false);

    // An unreleased commit on top: now v1.1.0 (what is deployed) is the target.
    r.edit("prompts/executor.prompt", |t| {
        format!(
            "{}Always cite the ticket.\n",
            t.replace("version: 2.0.1", "version: 2.0.2")
        )
    });
    r.edit("agents.yaml", |t| {
        t.replace("executor@2.0.1", "executor@2.0.2")
    });
    std::fs::write(
        r.root().join("prompts/triage_note.prompt"),
        "---\nname: triage_note\nversion: 1.0.0\nmodel: fast\n---\nSummarise the ticket.\n",
    )
    .unwrap();
    r.lock();
    r.commit("executor 2.0.2, a new prompt");
    std::fs::write(r.root().join("NOTES.md"), "not part of the model\n").unwrap();

    let out = r.run(&["rollback"]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    snap!("git_rollback_plan", stdout(&out));
    let v = json(&r.run(&["--format", "json", "rollback"]));
    assert_eq!(v["target"]["tag"], "v1.1.0");
    let files: Vec<(String, String)> = v["files"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            (
                f["path"].as_str().unwrap().into(),
                f["action"].as_str().unwrap().into(),
            )
        })
        .collect();
    let f = |p: &str, a: &str| (p.to_string(), a.to_string());
    assert_eq!(
        files,
        vec![
            f("agents.yaml", "restore"),
            f("prompts/executor.prompt", "restore"),
            f("prompts/triage_note.prompt", "remove"),
        ]
    );

    let out = r.run(&["rollback", "--apply"]);
    assert_eq!(code(&out), 0, "{}{}", stdout(&out), stderr(&out));
    assert!(stdout(&out).contains("matches v1.1.0"), "{}", stdout(&out));
    // Exactly those files (and the lock) changed; the unrelated untracked file is untouched.
    let status = r.git(&["status", "--porcelain"]);
    assert_eq!(
        status.lines().collect::<Vec<_>>(),
        vec![
            " M agentlock.lock",
            " M agents.yaml",
            " M prompts/executor.prompt",
            " D prompts/triage_note.prompt",
            "?? NOTES.md",
        ]
    );
    for path in ["agentlock.lock", "agents.yaml", "prompts/executor.prompt"] {
        assert_eq!(
            r.read(path),
            r.git(&["show", &format!("v1.1.0:{path}")]) + "\n",
            "{path}"
        );
    }
    // The lock is fresh and names the release; the diff is empty.
    assert_eq!(code(&r.run(&["lock", "--check"])), 0);
    let v = json(&r.run(&["--format", "json", "diff", "--base", "v1.1.0"]));
    assert_eq!(v["changes"].as_array().unwrap().len(), 0, "{v:#}");
    // It is an ordinary commit.
    r.commit("Roll back to v1.1.0");
    assert_eq!(code(&r.run(&["verify", "--staged"])), 0);
}

#[test]
fn rollback_refuses_to_overwrite_uncommitted_work() {
    let r = Repo::with_two_releases();
    r.edit("prompts/planner.prompt", |t| {
        t + "An uncommitted thought.\n"
    });
    let out = r.run(&["rollback", "--apply"]);
    assert_eq!(code(&out), 2);
    assert!(
        stderr(&out).contains(
            "uncommitted changes that the rollback would overwrite: prompts/planner.prompt"
        ),
        "{}",
        stderr(&out)
    );
    assert!(
        r.read("prompts/planner.prompt")
            .ends_with("An uncommitted thought.\n")
    );
    // Without --apply it only reports.
    assert_eq!(code(&r.run(&["rollback"])), 0);
}

#[test]
fn a_version_edited_after_release_is_caught() {
    let r = Repo::with_two_releases();
    // Each edit keeps its released version, and the lockfile is regenerated, so only the
    // release history can tell.
    r.edit("prompts/executor.prompt", |t| {
        t + "Never mention refunds.\n"
    });
    r.edit("tools/github.yaml", |t| {
        t.replace(
            "Searches issues and pull requests",
            "Searches issues and merge requests",
        )
    });
    r.edit("datasets/golden_edge_cases.jsonl", |t| {
        let mut lines: Vec<&str> = t.lines().collect();
        lines.pop();
        lines.join("\n") + "\n"
    });
    r.lock();
    r.commit("quiet edits");
    let out = r.run(&["--format", "json", "verify"]);
    assert_eq!(code(&out), 1);
    assert_eq!(codes(&out), vec!["DATA002", "PRM001", "TOOL007"]);
    let messages = messages(&out);
    assert!(
        messages[0].starts_with("dataset `golden_edge_cases@2026.11` differs from release v1.1.0"),
        "{messages:?}"
    );
    assert!(
        messages[1].starts_with("prompt `executor@2.0.1` differs from release v1.0.0"),
        "{messages:?}"
    );
    assert!(
        messages[2].contains("since release v1.1.0, under the same version 0.19.1"),
        "{messages:?}"
    );
    snap!("git_history_rules", stdout(&r.run(&["verify"])));
    // Without git history (outside a repository) these edits pass: the lockfile is fresh.
    let copy = copy_to_temp(&r.root());
    std::fs::remove_dir_all(copy.path().join(".git")).unwrap();
    assert_eq!(code(&run_in(copy.path(), &["verify"])), 0);
}

#[test]
fn editing_the_tag_pattern_does_not_hide_the_releases() {
    // Red team round 3: a pull request edited a released prompt under its version and pointed
    // `[release] tag_pattern` (or `prereleases`) away from the tags, so no release was found and
    // PRM001 went quiet. A tag is a release by the `[release]` its own commit declares, too.
    let r = Repo::with_two_releases();
    r.edit("prompts/executor.prompt", |t| {
        t + "Never mention refunds.\n"
    });
    for release in [
        "[release]\ntag_pattern = \"release-*\"\n",
        "[release]\ntag_pattern = \"nothing-matches-*\"\nprereleases = true\n",
    ] {
        r.edit("agentlock.toml", |t| {
            let cut = t.find("[release]").unwrap();
            let end = t[cut..].find("\n[").map_or(t.len(), |e| cut + e + 1);
            format!("{}{release}{}", &t[..cut], &t[end..])
        });
        r.lock();
        let out = r.run(&["--format", "json", "verify"]);
        assert_eq!(code(&out), 1, "{release}");
        assert!(codes(&out).contains(&"PRM001".to_string()), "{release}");
        let v = json(&r.run(&["--format", "json", "diff"]));
        assert_eq!(v["base"]["tag"], "v1.1.0", "{release}: {v:#}");
    }
    // A tag whose commit holds no agentlock.toml is not an agentlock release by itself.
    let bare = tempfile::tempdir().unwrap();
    git_in(bare.path(), &["init", "-q"]);
    std::fs::write(bare.path().join("README"), "app\n").unwrap();
    git_in(bare.path(), &["add", "-A"]);
    git_in(bare.path(), &["commit", "-q", "-m", "app"]);
    git_in(bare.path(), &["tag", "v3.0.0"]);
    copy_tree(&common::root().join("example-repo"), bare.path());
    std::fs::write(
        bare.path().join("agentlock.toml"),
        std::fs::read_to_string(bare.path().join("agentlock.toml"))
            .unwrap()
            .replace("tag_pattern = \"v*\"", "tag_pattern = \"agents-v*\""),
    )
    .unwrap();
    git_in(bare.path(), &["add", "-A"]);
    git_in(bare.path(), &["commit", "-q", "-m", "agents"]);
    let out = run_in(bare.path(), &["--format", "json", "diff"]);
    assert_eq!(json(&out)["base"], serde_json::Value::Null);
}

#[test]
fn prompt_reuse_is_checked_against_every_release_tag() {
    let r = Repo::with_two_releases();
    // A maintenance branch from v1.0.0 releases v1.0.1 with a changed router@1.2.0 (a violation
    // there); main never reaches it, but the version now names two texts.
    r.git(&["checkout", "-q", "-b", "maint", "v1.0.0"]);
    r.edit("prompts/router.prompt", |t| t + "Prefer email.\n");
    r.lock();
    r.commit("router hotfix");
    r.tag("v1.0.1");
    r.git(&["checkout", "-q", "main"]);
    let out = r.run(&["verify"]);
    assert_eq!(code(&out), 1, "{}", stdout(&out));
    assert!(
        stdout(&out).contains("prompt `router@1.2.0` differs from release v1.0.1"),
        "{}",
        stdout(&out)
    );
}

#[test]
fn staged_checks_exactly_what_the_commit_will_hold() {
    let r = Repo::with_two_releases();
    // A broken edit that is not staged: the commit is fine.
    r.edit("agents.yaml", |t| {
        t.replace("entry: router", "entry: nobody")
    });
    assert_eq!(code(&r.run(&["verify"])), 1);
    assert_eq!(code(&r.run(&["verify", "--staged"])), 0);
    // Staged, it blocks the commit even after the working tree is fixed.
    r.git(&["add", "agents.yaml"]);
    r.edit("agents.yaml", |t| {
        t.replace("entry: nobody", "entry: router")
    });
    assert_eq!(code(&r.run(&["verify"])), 0);
    let out = r.run(&["--format", "json", "verify", "--staged"]);
    assert_eq!(code(&out), 1);
    assert!(
        codes(&out).contains(&"TOPO004".to_string()),
        "{}",
        stdout(&out)
    );
    // An untracked prompt is not in the commit; staged, it is.
    std::fs::write(
        r.root().join("prompts/draft.prompt"),
        "---\nname: draft\nversion: latest\n---\nWIP\n",
    )
    .unwrap();
    r.git(&["reset", "-q", "agents.yaml"]);
    assert!(codes(&r.run(&["--format", "json", "verify"])).contains(&"PRM002".to_string()));
    assert!(
        !codes(&r.run(&["--format", "json", "verify", "--staged"])).contains(&"PRM002".to_string())
    );
    r.git(&["add", "prompts/draft.prompt"]);
    assert!(
        codes(&r.run(&["--format", "json", "verify", "--staged"])).contains(&"PRM002".to_string())
    );
}

#[test]
fn rev_reads_a_revision_without_checkout() {
    let r = Repo::with_two_releases();
    r.edit("agents.yaml", |t| {
        t.replace("entry: router", "entry: nobody")
    });
    r.commit("broken");
    assert_eq!(code(&r.run(&["verify"])), 1);
    assert_eq!(code(&r.run(&["verify", "--rev", "v1.1.0"])), 0);
    assert_eq!(code(&r.run(&["verify", "--rev", "HEAD~1"])), 0);
    assert_eq!(code(&r.run(&["verify", "--rev", "HEAD"])), 1);
    let out = r.run(&["verify", "--rev", "v9.9.9"]);
    assert_eq!(code(&out), 2);
    assert!(
        stderr(&out).contains("`v9.9.9` names no revision"),
        "{}",
        stderr(&out)
    );
    // The working tree was not touched.
    assert!(r.read("agents.yaml").contains("entry: nobody"));
    assert_eq!(code(&r.run(&["verify", "--staged", "--rev", "HEAD"])), 2); // conflicting flags
}

#[test]
fn releases_are_semver_tags_reachable_from_head() {
    let r = Repo::with_two_releases();
    // Lightweight tags count; pre-releases, non-semver tags and other patterns do not.
    r.bump_planner("2.3.0", "Mind the SLA.");
    r.commit("planner 2.3.0");
    r.git(&["tag", "v1.2.0"]); // lightweight
    r.bump_planner("2.4.0", "Draft in the customer's language.");
    r.commit("planner 2.4.0");
    r.git(&["tag", "v2.0.0-rc.1"]);
    r.git(&["tag", "vnext"]);
    r.git(&["tag", "release-9.0.0"]);
    // A newer release on another branch is not reachable from HEAD.
    r.git(&["checkout", "-q", "-b", "other", "v1.0.0"]);
    r.commit("elsewhere");
    r.git(&["tag", "v5.0.0"]);
    r.git(&["checkout", "-q", "main"]);
    let v = json(&r.run(&["--format", "json", "diff"]));
    assert_eq!(v["base"]["tag"], "v1.2.0", "{v:#}");
    assert_eq!(v["rollback"]["tag"], "v1.2.0");
    let out = r.run(&["diff"]);
    assert!(
        stderr(&out).contains("tag `vnext` is not a semver version; skipped"),
        "{}",
        stderr(&out)
    );

    // With pre-releases allowed, the release candidate is the last release.
    r.edit("agentlock.toml", |t| {
        t.replace(
            "tag_pattern = \"v*\"",
            "tag_pattern = \"v*\"\nprereleases = true",
        )
    });
    let v = json(&r.run(&["--format", "json", "diff"]));
    assert_eq!(v["base"]["tag"], "v2.0.0-rc.1");
    // Another pattern: the prefix is stripped before the version is read.
    r.edit("agentlock.toml", |t| {
        t.replace("tag_pattern = \"v*\"", "tag_pattern = \"release-*\"")
    });
    r.git(&["tag", "release-1.0.0", "v1.0.0"]);
    let v = json(&r.run(&["--format", "json", "diff"]));
    assert_eq!(v["base"]["tag"], "release-9.0.0", "{v:#}");
    // The v* tags stay releases: each names `v*` in its own agentlock.toml, so the newest of
    // them before HEAD is the rollback target, not release-1.0.0.
    assert_eq!(v["rollback"]["tag"], "v1.2.0", "{v:#}");
}

#[test]
fn no_release_yet() {
    let r = Repo::new();
    let out = r.run(&["--format", "json", "verify"]);
    assert_eq!(code(&out), 0);
    assert_eq!(codes(&out), vec!["REL003"]);
    let human = stdout(&r.run(&["verify"]));
    assert!(human.contains("no release tag matches `v*`"), "{human}");
    snap!("git_rel003_no_release", human);
    // diff: everything is new; rollback: nothing to go to.
    let v = json(&r.run(&["--format", "json", "diff"]));
    assert_eq!(v["base"], serde_json::Value::Null);
    assert_eq!(v["rollback"], serde_json::Value::Null);
    let changes = v["changes"].as_array().unwrap();
    assert!(!changes.is_empty() && changes.iter().all(|c| c["change"] == "added"));
    let out = r.run(&["rollback"]);
    assert_eq!(code(&out), 2);
    assert!(
        stderr(&out).contains("there is no release to roll back to: no release tag matches `v*`"),
        "{}",
        stderr(&out)
    );
    // The first release is tagged: still nothing earlier.
    r.tag("v1.0.0");
    let human = stdout(&r.run(&["verify"]));
    assert!(
        human.contains("v1.0.0 is this commit and there is no earlier release"),
        "{human}"
    );
    // The second: the first is its rollback target.
    r.bump_planner("2.2.0", "Short plans.");
    r.commit("second");
    assert_eq!(
        codes(&r.run(&["--format", "json", "verify"])),
        Vec::<String>::new()
    );
}

#[test]
fn not_a_git_repository() {
    let dir = copy_to_temp(&common::root().join("example-repo"));
    let run = |args: &[&str]| {
        let mut all = vec!["--repo", dir.path().to_str().unwrap()];
        all.extend_from_slice(args);
        // The temp dir is outside this project: nothing to stop, nothing to find.
        run_bin(&all)
    };
    assert_eq!(code(&run(&["verify"])), 0);
    for args in [
        &["diff"][..],
        &["rollback"],
        &["verify", "--staged"],
        &["verify", "--rev", "HEAD"],
    ] {
        let out = run(args);
        assert_eq!(code(&out), 2, "{args:?}");
        assert!(
            stderr(&out).contains("is not in a git repository"),
            "{args:?}: {}",
            stderr(&out)
        );
    }
}

#[test]
fn no_commits_yet() {
    let dir = copy_to_temp(&common::root().join("example-repo"));
    git_in(dir.path(), &["init", "-q"]);
    let run = |args: &[&str]| {
        let mut all = vec!["--repo", dir.path().to_str().unwrap()];
        all.extend_from_slice(args);
        run_bin(&all)
    };
    let out = run(&["--format", "json", "verify"]);
    assert_eq!(codes(&out), vec!["REL003"]);
    // Nothing staged: the commit would hold no agentlock.toml.
    let out = run(&["verify", "--staged"]);
    assert_eq!(code(&out), 2);
    assert!(stderr(&out).contains("agentlock.toml"), "{}", stderr(&out));
    git_in(dir.path(), &["add", "-A"]);
    assert_eq!(
        codes(&run(&["--format", "json", "verify", "--staged"])),
        vec!["REL003"]
    );
    let v: serde_json::Value =
        serde_json::from_slice(&run(&["--format", "json", "diff"]).stdout).unwrap();
    assert_eq!(v["head"]["commit"], serde_json::Value::Null);
    assert_eq!(code(&run(&["rollback"])), 2);
}

#[test]
fn detached_head_and_odd_tags() {
    let r = Repo::with_two_releases();
    r.git(&["checkout", "-q", "--detach", "v1.0.0"]);
    let v = json(&r.run(&["--format", "json", "diff"]));
    assert_eq!(v["base"]["tag"], "v1.0.0");
    assert_eq!(v["changes"].as_array().unwrap().len(), 0);
    r.git(&["checkout", "-q", "main"]);
    // A tag on a tree and one on a blob are not releases; they are named on stderr.
    let tree = r.git(&["rev-parse", "HEAD^{tree}"]);
    r.git(&["tag", "v7.0.0", &tree]);
    let blob = r.git(&["rev-parse", "HEAD:agents.yaml"]);
    r.git(&["tag", "-a", "v8.0.0", "-m", "blob", &blob]);
    let out = r.run(&["--format", "json", "diff"]);
    assert_eq!(code(&out), 0);
    assert_eq!(json(&out)["base"]["tag"], "v1.1.0");
    assert!(
        stderr(&out).contains("tag `v7.0.0` points at a tree, not a commit; skipped"),
        "{}",
        stderr(&out)
    );
    assert!(
        stderr(&out).contains("tag `v8.0.0` points at a blob, not a commit; skipped"),
        "{}",
        stderr(&out)
    );
    let out = r.run(&["diff", "--base", "v7.0.0"]);
    assert_eq!(code(&out), 2);
    assert!(
        stderr(&out).contains("names a tree, not a commit"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn a_release_without_a_lockfile_is_computed_from_its_tree() {
    let r = Repo::new();
    r.git(&["rm", "-q", "agentlock.lock"]);
    r.commit("no lockfile");
    r.tag("v1.0.0");
    let computed = {
        let dir = copy_to_temp(&r.root());
        std::fs::remove_dir_all(dir.path().join(".git")).unwrap();
        let out = run_in(dir.path(), &["--format", "json", "lock"]);
        json(&out)["root"].as_str().unwrap().to_string()
    };
    r.lock();
    r.commit("locked");
    let v = json(&r.run(&["--format", "json", "diff"]));
    assert_eq!(v["base"]["tag"], "v1.0.0");
    assert_eq!(v["base"]["root"], computed);
    assert_eq!(v["changes"].as_array().unwrap().len(), 0, "{v:#}");
    // The history rules use the computed lock too.
    r.edit("prompts/router.prompt", |t| t + "Be kind.\n");
    r.lock();
    let out = r.run(&["verify"]);
    assert!(
        stdout(&out).contains("prompt `router@1.2.0` differs from release v1.0.0"),
        "{}",
        stdout(&out)
    );
}

#[test]
fn a_thousand_tags() {
    let r = Repo::with_two_releases();
    // 1,000 release tags on the first commit (one `update-ref --stdin`, not 1,000 processes).
    let first = r.git(&["rev-parse", "v1.0.0^{commit}"]);
    let refs: String = (0..1000)
        .map(|i| format!("create refs/tags/v0.{}.{}\0{first}\0", i / 100, i % 100))
        .collect();
    let mut child = std::process::Command::new("git")
        .args(["update-ref", "--stdin", "-z"])
        .current_dir(r.dir.path())
        .stdin(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    use std::io::Write;
    child
        .stdin
        .take()
        .unwrap()
        .write_all(refs.as_bytes())
        .unwrap();
    assert!(child.wait().unwrap().success());
    let v = json(&r.run(&["--format", "json", "diff"]));
    assert_eq!(v["base"]["tag"], "v1.1.0");
    assert_eq!(v["rollback"]["tag"], "v1.0.0");
    let out = r.run(&["--format", "json", "verify"]);
    assert_eq!(codes(&out), Vec::<String>::new(), "{}", stderr(&out));
}

/// A clone of `r` at depth 1, in `c/` of the returned directory; with `tags`, the tags are
/// fetched at depth 1 too (actions/checkout's `fetch-depth: 1` with `fetch-tags: true`).
fn shallow_clone(r: &Repo, tags: bool) -> tempfile::TempDir {
    let clone = tempfile::tempdir().unwrap();
    let url = format!("file://{}", r.dir.path().display());
    git_in(
        clone.path(),
        &["clone", "-q", "--depth", "1", "--no-tags", &url, "c"],
    );
    if tags {
        git_in(
            &clone.path().join("c"),
            &[
                "fetch",
                "-q",
                "--depth",
                "1",
                "origin",
                "refs/tags/*:refs/tags/*",
            ],
        );
    }
    clone
}

#[test]
fn shallow_clone_without_tags() {
    let r = Repo::with_two_releases();
    let clone = shallow_clone(&r, false);
    let root = clone.path().join("c");
    let out = run_in(&root, &["verify"]);
    assert_eq!(code(&out), 0);
    let human = stdout(&out);
    assert!(
        human.contains("this is a shallow clone with no tags"),
        "{human}"
    );
    assert!(human.contains("git fetch --tags --unshallow"), "{human}");
    let out = run_in(&root, &["rollback"]);
    assert_eq!(code(&out), 2);
    assert!(stderr(&out).contains("shallow clone"), "{}", stderr(&out));
}

#[test]
fn shallow_clone_with_tags_says_its_history_ends_before_them() {
    // Red team round 4: `actions/checkout` with `fetch-depth: 1` and `fetch-tags: true` has
    // the tags but not the history between them; `diff` said no tag matched.
    let r = Repo::with_two_releases();
    r.bump_planner("2.3.0", "One more line.");
    r.commit("planner 2.3.0");
    let clone = shallow_clone(&r, true);
    let root = clone.path().join("c");
    let out = run_in(&root, &["--format", "json", "verify"]);
    let rel = findings(&out)
        .into_iter()
        .find(|(c, ..)| c == "REL003")
        .expect("REL003");
    assert!(rel.3.contains("shallow clone ends before"), "{rel:?}");
    let v = json(&run_in(&root, &["--format", "json", "diff"]));
    assert!(v["base"].is_null(), "{v:#}");
    let why = v["no_base"].as_str().unwrap();
    assert!(
        why.contains("shallow clone") && why.contains("2 of the release tags"),
        "{why}"
    );
    let human = stdout(&run_in(&root, &["diff"]));
    assert!(!human.contains("No release tag matches"), "{human}");
    assert!(human.contains("git fetch --tags --unshallow"), "{human}");
    let out = run_in(&root, &["rollback"]);
    assert_eq!(code(&out), 2);
    assert!(
        stderr(&out).contains("shallow clone ends"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn diff_does_not_call_the_entries_of_a_file_that_did_not_load_removed() {
    // Red team round 4: with agents.yaml broken, `diff` (and the PR comment) said every agent
    // and the topology were removed, and nothing said the file did not load.
    let r = Repo::new();
    r.tag("v1.0.0");
    r.edit("agents.yaml", |t| format!("{t}\n  broken: [unclosed\n"));
    let v = json(&r.run(&["--format", "json", "diff"]));
    let changes = v["changes"].as_array().unwrap();
    assert!(
        !changes
            .iter()
            .any(|c| c["kind"] == "agent" || c["kind"] == "topology"),
        "{v:#}"
    );
    assert!(v["not_compared"].as_u64().unwrap() > 0, "{v:#}");
    let human = stdout(&r.run(&["diff"]));
    assert!(
        human.contains("not compared: a file they come from did not load"),
        "{human}"
    );
    let markdown = stdout(&r.run(&["--format", "markdown", "diff"]));
    assert!(markdown.contains("not compared"), "{markdown}");
    assert!(!markdown.contains("| agent |"), "{markdown}");
}

#[test]
fn staged_files_with_a_merge_conflict_or_in_a_sparse_index_are_not_read_as_absent() {
    // Red team round 5: `verify --staged` read a conflicted agents.yaml as missing ("there is
    // no agents.yaml"), and a sparse index's directories as empty (22 false errors, and their
    // files never scanned).
    let r = Repo::new();
    r.git(&["checkout", "-q", "-b", "other"]);
    r.edit("agents.yaml", |t| {
        t.replacen("max_iterations: 3\n", "max_iterations: 4\n", 1)
    });
    r.commit("other");
    r.git(&["checkout", "-q", "-"]);
    r.edit("agents.yaml", |t| {
        t.replacen("max_iterations: 3\n", "max_iterations: 2\n", 1)
    });
    r.commit("main");
    let merge = std::process::Command::new("git")
        .args(["merge", "-q", "other"])
        .current_dir(r.root())
        .output()
        .unwrap();
    assert!(!merge.status.success(), "the merge conflicts");
    let out = r.run(&["--format", "json", "verify", "--staged", "--no-lock-check"]);
    let conflict = findings(&out)
        .into_iter()
        .find(|(c, p, ..)| c == "CONF001" && p == "agents.yaml")
        .unwrap_or_else(|| panic!("{}", stdout(&out)));
    assert!(
        conflict.3.contains("unresolved merge conflict"),
        "{conflict:?}"
    );
    r.git(&["merge", "--abort"]);

    // A sparse index: prompts/ and tools/ are one entry each, their trees. The staged files
    // are what HEAD holds, so `--staged` finds what `--rev HEAD` finds.
    r.git(&["sparse-checkout", "set", "--sparse-index", "datasets"]);
    let sparse = r.git(&["ls-files", "--sparse"]);
    if !sparse.lines().any(|l| l == "prompts/") {
        eprintln!("SKIPPED (sparse index): this git wrote no sparse directory entry");
        return;
    }
    let json = |args: &[&str]| {
        let mut all = vec!["--format", "json", "verify", "--no-lock-check"];
        all.extend_from_slice(args);
        let mut f = findings(&r.run(&all));
        f.sort();
        f
    };
    let committed = json(&["--rev", "HEAD"]);
    let staged = json(&["--staged"]);
    assert_eq!(staged, committed);
    assert!(!staged.iter().any(|(c, ..)| c == "PRM003"), "{staged:?}");
}

#[test]
fn the_agentlock_root_may_be_a_subdirectory() {
    let r = Repo::at("services/triage");
    r.tag("v1.0.0");
    r.bump_planner("2.2.0", "Short plans.");
    r.commit("planner 2.2.0");
    let v = json(&r.run(&["--format", "json", "diff"]));
    assert_eq!(v["base"]["tag"], "v1.0.0");
    assert_eq!(v["changes"].as_array().unwrap().len(), 2, "{v:#}");
    assert_eq!(code(&r.run(&["verify", "--rev", "v1.0.0"])), 0);
    assert_eq!(code(&r.run(&["verify", "--staged"])), 0);
    let out = r.run(&["rollback", "--apply"]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    assert_eq!(
        r.git(&["status", "--porcelain"])
            .lines()
            .collect::<Vec<_>>(),
        vec![
            " M services/triage/agentlock.lock",
            " M services/triage/agents.yaml",
            " M services/triage/prompts/planner.prompt",
        ]
    );
}

#[cfg(unix)]
#[test]
fn symlinks_in_git_do_not_lead_outside() {
    let r = Repo::new();
    std::os::unix::fs::symlink("/etc/passwd", r.root().join("prompts/evil.prompt")).unwrap();
    std::os::unix::fs::symlink("planner.prompt", r.root().join("prompts/alias.prompt")).unwrap();
    r.git(&["add", "-A"]);
    let staged = stdout(&r.run(&["verify", "--staged", "--no-lock-check"]));
    let worktree = stdout(&r.run(&["verify", "--no-lock-check"]));
    assert!(
        staged.contains("symlink leads outside the repository"),
        "{staged}"
    );
    assert!(!staged.contains("root:"), "{staged}");
    // The index and the working tree agree.
    assert_eq!(
        staged.replace("/etc/passwd", "X"),
        worktree.replace("/etc/passwd", "X")
    );
}

/// A dataset kept in Git LFS: the index and the commit hold only its pointer. `git add` put the
/// content in the repository's LFS store, so `--staged` and `--rev` check that content, with
/// the lock the working tree has; without it (or with something else under its name) the
/// pointer is one CONF001 saying what it is.
#[test]
fn an_lfs_tracked_file_is_read_from_the_lfs_store_in_the_index_and_revisions() {
    use sha2::Digest;
    let r = Repo::new();
    let path = "datasets/golden_failures.jsonl";
    let content = std::fs::read(r.root().join(path)).unwrap();
    let oid = format!("{:x}", sha2::Sha256::digest(&content));
    let pointer = format!(
        "version https://git-lfs.github.com/spec/v1\noid sha256:{oid}\nsize {}\n",
        content.len()
    );
    // What git-lfs's clean filter stages: the pointer, as the blob of the path.
    let pointer_file = r.dir.path().join("pointer.txt");
    std::fs::write(&pointer_file, &pointer).unwrap();
    let blob = r.git(&["hash-object", "-w", pointer_file.to_str().unwrap()]);
    std::fs::remove_file(&pointer_file).unwrap();
    r.git(&[
        "update-index",
        "--cacheinfo",
        &format!("100644,{},{path}", blob.trim()),
    ]);
    let staged = |r: &Repo| r.run(&["--format", "json", "verify", "--staged"]);

    // Not in the store: the pointer, said once, at the file.
    let out = staged(&r);
    assert_eq!(code(&out), 1, "{}", stdout(&out));
    let v = json(&out);
    let conf: Vec<&serde_json::Value> = v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["code"] == "CONF001")
        .collect();
    assert_eq!(conf.len(), 1, "{v:#}");
    assert_eq!(conf[0]["path"], path, "{v:#}");
    assert!(
        conf[0]["message"]
            .as_str()
            .unwrap()
            .contains("Git LFS pointer"),
        "{v:#}"
    );
    // Its lock entry is not called removed: the file did not load.
    assert!(
        !v["findings"]
            .as_array()
            .unwrap()
            .iter()
            .any(|f| f["code"] == "REL002" && f["severity"] == "error"),
        "{v:#}"
    );
    let human = stdout(&r.run(&["verify", "--staged"]));
    assert!(human.contains("repository's LFS store"), "{human}");

    // In the store, as `git add` leaves it: the content, checked against the same lock.
    let store = r
        .dir
        .path()
        .join(".git/lfs/objects")
        .join(&oid[..2])
        .join(&oid[2..4]);
    std::fs::create_dir_all(&store).unwrap();
    std::fs::write(store.join(&oid), &content).unwrap();
    let out = staged(&r);
    assert_eq!(code(&out), 0, "{}", stdout(&out));
    r.git(&["commit", "-q", "-m", "the dataset in LFS"]);
    assert_eq!(
        r.git(&["show", &format!("HEAD:{path}")]),
        pointer.trim_end()
    );
    let out = r.run(&["--format", "json", "verify", "--rev", "HEAD"]);
    assert_eq!(code(&out), 0, "{}", stdout(&out));

    // Something else under its name is not taken for it.
    let mut other = content.clone();
    other[0] ^= 1;
    std::fs::write(store.join(&oid), &other).unwrap();
    assert!(codes(&staged(&r)).contains(&"CONF001".to_string()));
}

/// A tree object of `entries` (name, whether a tree, id), written to the repository.
fn write_tree(repo: &gix::Repository, entries: &[(&str, bool, gix::ObjectId)]) -> gix::ObjectId {
    use gix::objs::tree::{Entry, EntryKind};
    let mut tree = gix::objs::Tree::empty();
    for (name, is_tree, oid) in entries {
        let kind = if *is_tree {
            EntryKind::Tree
        } else {
            EntryKind::Blob
        };
        tree.entries.push(Entry {
            mode: kind.into(),
            filename: (*name).into(),
            oid: *oid,
        });
    }
    tree.entries.sort();
    repo.write_object(&tree).unwrap().detach()
}

/// A commit on branch `branch` whose tree is HEAD's with `sub` added to `prompts/` under
/// `name`, built from objects alone (git could not check such a tree out).
fn commit_with_prompt_subtree(dir: &std::path::Path, branch: &str, name: &str, sub: gix::ObjectId) {
    let repo = gix::open(dir).unwrap();
    let head = repo.head_tree().unwrap();
    let mut root: gix::objs::Tree = head.decode().unwrap().into();
    let at = root
        .entries
        .iter()
        .position(|e| e.filename == "prompts")
        .unwrap();
    let prompts = repo.find_tree(root.entries[at].oid).unwrap();
    let mut prompts: gix::objs::Tree = prompts.decode().unwrap().into();
    prompts.entries.push(gix::objs::tree::Entry {
        mode: gix::objs::tree::EntryKind::Tree.into(),
        filename: name.into(),
        oid: sub,
    });
    prompts.entries.sort();
    root.entries[at].oid = repo.write_object(&prompts).unwrap().detach();
    let root = repo.write_object(&root).unwrap().detach().to_string();
    let commit = git_in(dir, &["commit-tree", &root, "-p", "HEAD", "-m", branch]);
    git_in(
        dir,
        &["update-ref", &format!("refs/heads/{branch}"), commit.trim()],
    );
}

/// The clean fixture, committed.
fn clean_repo() -> tempfile::TempDir {
    let dir = copy_to_temp(&fixture("clean"));
    git_in(dir.path(), &["init", "-q"]);
    git_in(dir.path(), &["add", "-A"]);
    git_in(dir.path(), &["commit", "-qm", "clean"]);
    dir
}

#[test]
fn a_revision_that_names_one_subtree_twice_at_every_level_is_refused_quickly() {
    let dir = clean_repo();
    let repo = gix::open(dir.path()).unwrap();
    let blob = repo.write_blob(b"hi\n").unwrap().detach();
    let mut tree = write_tree(&repo, &[("x.prompt", false, blob)]);
    // 2^21 paths (two million) from 23 objects
    for _ in 0..21 {
        tree = write_tree(&repo, &[("a", true, tree), ("b", true, tree)]);
    }
    commit_with_prompt_subtree(dir.path(), "bomb", "zbomb", tree);
    // outside every configured directory the bomb is never walked
    let outside = write_tree(&repo, &[("zbomb", true, tree)]);
    let head = repo.head_tree().unwrap();
    let mut root: gix::objs::Tree = head.decode().unwrap().into();
    root.entries.push(gix::objs::tree::Entry {
        mode: gix::objs::tree::EntryKind::Tree.into(),
        filename: "elsewhere".into(),
        oid: outside,
    });
    root.entries.sort();
    let root = repo.write_object(&root).unwrap().detach().to_string();
    let c = git_in(dir.path(), &["commit-tree", &root, "-p", "HEAD", "-m", "o"]);
    git_in(dir.path(), &["update-ref", "refs/heads/aside", c.trim()]);
    let root = dir.path().to_str().unwrap();
    let out = run_bin(&[
        "--repo",
        root,
        "verify",
        "--rev",
        "aside",
        "--no-lock-check",
    ]);
    assert_eq!(code(&out), 0, "{}{}", stdout(&out), stderr(&out));
    // inside one, the listing stops at the limit with an error that says why
    let out = run_bin(&["--repo", root, "verify", "--rev", "bomb", "--no-lock-check"]);
    assert_eq!(code(&out), 2, "{}{}", stdout(&out), stderr(&out));
    assert!(
        stderr(&out).contains("more than 2000000"),
        "{}",
        stderr(&out)
    );
    // a release tag at it: the history rules read the files they need one by one, without
    // listing the tree (no lockfile, and the tag is HEAD itself: REL001 and REL003 only)
    git_in(dir.path(), &["tag", "v0.9.0", "bomb"]);
    git_in(dir.path(), &["reset", "-q", "--soft", "bomb"]);
    let out = run_bin(&["--repo", root, "--format", "json", "verify"]);
    assert_eq!(
        codes(&out),
        ["REL001", "REL003"],
        "{}{}",
        stdout(&out),
        stderr(&out)
    );
}

#[test]
fn a_revision_nested_deeper_than_git_allows_is_a_finding_at_the_cut() {
    let dir = clean_repo();
    let repo = gix::open(dir.path()).unwrap();
    let blob = repo
        .write_blob(b"---\nname: deep\nversion: 1.0.0\n---\nhi\n")
        .unwrap()
        .detach();
    let mut tree = write_tree(&repo, &[("x.prompt", false, blob)]);
    for _ in 0..2100 {
        tree = write_tree(&repo, &[("d", true, tree)]);
    }
    commit_with_prompt_subtree(dir.path(), "chain", "d", tree);
    let root = dir.path().to_str().unwrap();
    let out = run_bin(&[
        "--repo",
        root,
        "--format",
        "json",
        "verify",
        "--rev",
        "chain",
        "--no-lock-check",
    ]);
    assert_eq!(code(&out), 1, "{}", stderr(&out));
    let v = json(&out);
    let cut = format!("prompts{}", "/d".repeat(2048));
    assert!(
        v["findings"]
            .as_array()
            .unwrap()
            .iter()
            .any(|f| f["code"] == "CONF001"
                && f["path"] == cut.as_str()
                && f["line"] == 1
                && f["message"]
                    .as_str()
                    .unwrap()
                    .contains("2049 directories deep")),
        "{}",
        stdout(&out).chars().take(2000).collect::<String>()
    );
}

#[test]
fn a_credential_in_a_tag_name_is_not_printed_even_when_a_line_wraps() {
    // Red team round 4: human output wrapped a message at the token's hyphens, so no scan of
    // the output saw the whole token; a tag name is in no file the run reads, so the output's
    // scanner is all that redacts it.
    let r = Repo::new();
    let body: String = (0..95)
        .map(|i| (b"Kq7vR2mXz9LpW4nB"[(i * 7 + i / 3) % 16]) as char)
        .collect();
    r.git(&["tag", &format!("v1.0.0+sk-ant-api03-{body}")]);
    r.edit("prompts/planner.prompt", |t| t + "An edit.\n");
    r.commit("edit");
    for format in ["human", "concise", "markdown", "github", "json"] {
        let out = r.run(&["--format", format, "verify", "--no-lock-check"]);
        let text = format!("{}{}", stdout(&out), stderr(&out));
        let pieces = (0..body.len() - 16)
            .filter(|&i| text.contains(&body[i..i + 16]))
            .count();
        assert_eq!(pieces, 0, "{format}: {text}");
    }
}
