//! `agentlock checklist`: the deployment checklist filled in from `verify`, as Markdown and JSON.

mod common;
use agentlock::checklist::{Checklist, GitState, NOT_MAPPED};
use agentlock::date::format_date;
use common::*;
use std::path::Path;

fn stdout(o: &std::process::Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

/// The output with the day it ran and the lock root replaced, so snapshots change neither with
/// the clock nor with the lockfile's format (the root is checked on its own).
fn stable(text: String) -> String {
    let text = text.replace(&format_date(agentlock::date::today()), "YYYY-MM-DD");
    regex::Regex::new("sha256:[0-9a-f]{64}")
        .unwrap()
        .replace_all(&text, "sha256:<lock root>")
        .into_owned()
}

fn json(o: &std::process::Output) -> serde_json::Value {
    serde_json::from_slice(&o.stdout).unwrap_or_else(|e| panic!("{e}: {}", stdout(o)))
}

/// The items of a JSON checklist, flattened.
fn items(v: &serde_json::Value) -> Vec<serde_json::Value> {
    v["sections"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|s| s["items"].as_array().unwrap().clone())
        .collect()
}

fn item(v: &serde_json::Value, id: &str) -> serde_json::Value {
    items(v)
        .into_iter()
        .find(|i| i["id"] == id)
        .unwrap_or_else(|| panic!("no item {id}"))
}

/// The checklist of a directory through the library, outside git, on the tests' fixed date.
fn build(dir: &Path) -> Checklist {
    let run = verify(dir, true);
    Checklist::build(&run.verified, &GitState::None, today())
}

#[test]
fn example_repo_is_ticked_where_rules_check_and_open_elsewhere() {
    let repo = root().join("example-repo");
    let md = run_in(&repo, &["checklist"]);
    assert_eq!(md.status.code(), Some(0), "{}", stdout(&md));
    snap!("checklist_example_repo.md", stable(stdout(&md)));
    // Markdown whatever --format says, unless it is json
    let human = run_in(&repo, &["--format", "human", "checklist"]);
    assert_eq!(stdout(&human), stdout(&md));

    let js = run_in(&repo, &["--format", "json", "checklist"]);
    assert_eq!(js.status.code(), Some(0));
    snap!("checklist_example_repo.json", stable(stdout(&js)));
    let v = json(&js);
    assert_eq!(v["schema"], "agentlock.checklist/v1");
    assert_eq!(v["summary"]["failing"], 0);
    assert_eq!(v["summary"]["items"], 81);
    assert_eq!(item(&v, "1.1.1")["status"], "ticked");
    assert_eq!(item(&v, "7.1")["status"], "person");
    // outside git the history rules do not run: nothing is claimed for the rollback targets
    let rollback = item(&v, "6.1.1");
    assert_eq!(rollback["status"], "not_checked");
    assert_eq!(rollback["rules"][0]["status"], "not_run");
    assert_eq!(v["sign_off"]["head"], serde_json::Value::Null);
    assert_eq!(v["sign_off"]["head_note"], "not a git repository");
    assert_eq!(v["sign_off"]["last_release"], serde_json::Value::Null);
    // the version deployed is the lock root `agentlock lock` writes
    let locked = std::fs::read_to_string(repo.join("agentlock.lock")).unwrap();
    let root = v["sign_off"]["lock_root"].as_str().unwrap();
    assert!(locked.contains(root), "{root} is not the committed root");
}

#[test]
fn a_failing_fixture_is_crossed_with_its_evidence_and_exits_1() {
    let dir = fixture("topo001_unbounded_cycle");
    let md = run_in(&dir, &["checklist"]);
    assert_eq!(md.status.code(), Some(1), "an error fails, like verify");
    let text = stable(stdout(&md));
    assert!(text.contains("- [ ] ✗ **No circular or unbounded agent loops** — TOPO001: 1 error\n  - `agents.yaml:18` TOPO001 error (writer): "));
    snap!("checklist_topo001.md", text);

    let js = run_in(&dir, &["--format", "json", "checklist"]);
    assert_eq!(js.status.code(), Some(1));
    snap!("checklist_topo001.json", stable(stdout(&js)));
    let v = json(&js);
    let loops = item(&v, "1.1.3");
    assert_eq!(loops["status"], "failing");
    assert_eq!(loops["severity"], "error");
    let evidence = &loops["rules"][0]["findings"][0];
    assert_eq!(
        (&evidence["code"], &evidence["path"], &evidence["line"]),
        (&"TOPO001".into(), &"agents.yaml".into(), &18.into())
    );
}

#[test]
fn a_warning_crosses_its_item_but_exits_0() {
    let dir = fixture("rel004_missing_rollout_plan");
    let out = run_in(&dir, &["--format", "json", "checklist"]);
    let v = json(&out);
    // REL004's findings go to the 4.2 item each one is about
    let statuses: Vec<_> = ["4.2.1", "4.2.2", "4.2.3"]
        .iter()
        .map(|id| item(&v, id)["status"].as_str().unwrap().to_string())
        .collect();
    assert!(statuses.contains(&"failing".to_string()), "{statuses:?}");
    assert_eq!(v["other_findings"], serde_json::json!([]));
    // only REL001 (fixtures have no lockfile) is an error
    let errors = v["summary"]["error"].as_u64().unwrap();
    assert_eq!(out.status.code(), Some(i32::from(errors > 0)));
}

/// Every finding of a rule the checklist maps lands on an item: the subject and message
/// filters (OBS003's KPIs, DATA001's kinds, REL004's parts) match what the rules report.
#[test]
fn every_finding_of_a_mapped_rule_lands_on_an_item() {
    let mut seen = 0;
    for entry in std::fs::read_dir(root().join("tests/fixtures")).unwrap() {
        let dir = entry.unwrap().path();
        if !common::is_repo_fixture(&dir) {
            continue;
        }
        let dir = fixture(&dir.file_name().unwrap().to_string_lossy());
        let wt = agentlock::snapshot::Worktree::new(&dir).unwrap();
        agentlock::rego::worker::use_executable(env!("CARGO_BIN_EXE_agentlock"));
        let Ok(v) = agentlock::verify(&wt, true, today()) else {
            continue; // a broken manifest: checklist exits 2 like verify
        };
        let list = Checklist::build(&v, &GitState::None, today());
        for f in &list.other_findings {
            assert!(
                NOT_MAPPED.iter().any(|(c, _)| c.code == f.code),
                "{}: {} {}:{} ({}) is on no item: {}",
                dir.display(),
                f.code,
                f.path,
                f.line,
                f.subject,
                f.message
            );
        }
        let s = list.summary;
        assert_eq!(s.items, s.ticked + s.failing + s.not_checked + s.person);
        assert_eq!(
            s.failing > 0,
            v.findings
                .iter()
                .any(|f| f.severity >= agentlock::finding::Severity::Warning
                    && !NOT_MAPPED.iter().any(|(c, _)| c.code == f.code())),
            "{}",
            dir.display()
        );
        seen += 1;
    }
    assert!(seen > 40, "{seen} fixtures");
}

#[test]
fn a_rule_turned_off_leaves_its_item_unchecked_and_suppressions_are_counted() {
    let dir = copy_to_temp(&fixture("topo005_unreachable_agent"));
    let manifest = dir.path().join("agentlock.toml");
    let base = std::fs::read_to_string(&manifest).unwrap();
    let exception = "\n[[policy.exceptions]]\nrule = \"TOPO005\"\nsubject = \"archivist\"\nreason = \"kept for the Q1 migration, TICKET-9\"\nexpires = \"2027-01-31\"\n";
    std::fs::write(
        &manifest,
        format!("{base}\n[policy.severity]\nTOPO001 = \"off\"\n{exception}"),
    )
    .unwrap();
    lock(dir.path());
    let list = build(dir.path());
    let md = agentlock::report::checklist::markdown(&list);
    assert!(
        md.contains("- [ ] No circular or unbounded agent loops — not checked (TOPO001 off)\n"),
        "{md}"
    );
    assert!(
        md.contains("; 1 suppressed by the policy's exceptions"),
        "{md}"
    );
    // the suppressed TOPO005 does not fail the topology item; a person still reviews it
    assert!(md.contains("- [ ] Agent graph/topology reviewed and documented — needs a person"));
    assert_eq!(list.summary.failing, 0, "{md}");
    assert_eq!(list.summary.suppressed, 1);
}

#[test]
fn unreadable_files_are_flagged_and_listed_apart() {
    let list = build(&fixture("conf001_invalid_yaml"));
    let md = agentlock::report::checklist::markdown(&list);
    assert!(
        md.contains("could not be read (CONF001, listed at the end)"),
        "{md}"
    );
    assert!(md.contains("## Findings not on the checklist"));
    assert!(list.other_findings.iter().all(|f| f.code == "CONF001"));
    assert!(md.contains("(partial: some files could not be read)"));
}

#[test]
fn secrets_are_never_printed() {
    let dir = fixture("secret001_secret_in_prompt");
    let secret = "ghp_aB3dE5fG7hI9jK1lM3nO5pQ7rS9tU1vW3xY5";
    let raw = std::fs::read_to_string(dir.join("prompts/writer.prompt")).unwrap();
    assert!(raw.contains(secret), "the fixture holds the secret");
    for format in ["markdown", "json"] {
        let out = run_in(&dir, &["--format", format, "checklist"]);
        let text = stdout(&out);
        assert!(text.contains("SECRET001"), "{text}");
        assert!(!text.contains(secret), "{format} prints the secret");
        assert!(!String::from_utf8_lossy(&out.stderr).contains(secret));
    }
}

fn git(dir: &Path, args: &[&str]) {
    git_in(dir, args);
}

#[test]
fn in_git_the_sign_off_names_the_release_and_head_and_rollback_is_checked() {
    let dir = copy_to_temp(&root().join("example-repo"));
    let d = dir.path();
    git(d, &["init", "-q"]);
    git(d, &["add", "-A"]);
    git(d, &["commit", "-q", "-m", "v1.0.0"]);
    git(d, &["tag", "-a", "v1.0.0", "-m", "v1.0.0"]);
    git(d, &["commit", "-q", "--allow-empty", "-m", "v1.1.0"]);
    git(d, &["tag", "-a", "v1.1.0", "-m", "v1.1.0"]);
    let head = std::process::Command::new("git")
        .args(["rev-parse", "HEAD"])
        .current_dir(d)
        .output()
        .unwrap();
    let head = String::from_utf8(head.stdout).unwrap().trim().to_string();

    let out = run_in(d, &["--format", "json", "checklist"]);
    assert_eq!(out.status.code(), Some(0), "{}", stdout(&out));
    let v = json(&out);
    assert_eq!(v["sign_off"]["last_release"], "v1.1.0");
    assert_eq!(v["sign_off"]["head"], head.as_str());
    for id in ["1.2.4", "6.1.1", "6.1.2", "6.1.3", "6.1.4", "2.1.1"] {
        assert_eq!(item(&v, id)["status"], "ticked", "{id}");
    }
    // Only the items the evidence rules check are left unchecked (this repository keeps none).
    assert_eq!(v["summary"]["not_checked"], 5);

    let md = stdout(&run_in(d, &["checklist"]));
    assert!(
        md.contains(&format!(
            "**Version Deployed:** release `v1.1.0`, commit `{}`, lock `sha256:",
            &head[..12]
        )),
        "{md}"
    );
    assert!(md.contains(&format!("- HEAD commit: `{head}`\n")));
    assert!(md.contains("- [x] Prompt version rollback available — REL003 checked 2 release tags"));
    assert!(md.contains("**Deployment Approved By:** ______________________"));
}

#[test]
fn in_git_without_a_release_the_sign_off_says_none() {
    let dir = copy_to_temp(&root().join("example-repo"));
    let d = dir.path();
    git(d, &["init", "-q"]);
    git(d, &["add", "-A"]);
    git(d, &["commit", "-q", "-m", "first"]);
    let v = json(&run_in(d, &["--format", "json", "checklist"]));
    assert_eq!(v["sign_off"]["last_release"], serde_json::Value::Null);
    assert_eq!(
        v["sign_off"]["last_release_note"],
        "none (no tag matching `v*` in the history of HEAD)"
    );
    // REL003 is a warning: the rollback targets are crossed, the exit code stays 0
    assert_eq!(item(&v, "6.1.1")["status"], "failing");
}
