//! The lockfile is deterministic: the same repository gives the same bytes from any path, on any
//! line-ending convention and whatever the YAML's layout and comments; a real edit makes it stale,
//! and verify names the entry and how it changed.

mod common;
use common::*;
use std::fs;

#[test]
fn committed_example_lock_is_what_lock_writes() {
    let dir = copy_to_temp(&root().join("example-repo"));
    let committed = fs::read_to_string(root().join("example-repo/agentlock.lock")).unwrap();
    assert_eq!(lock(dir.path()), committed);
}

#[test]
fn same_lock_from_two_different_paths() {
    let a = copy_to_temp(&root().join("example-repo"));
    let b = tempfile::tempdir().unwrap();
    let deep = b.path().join("some/much/deeper/checkout path with spaces");
    copy_tree(&root().join("example-repo"), &deep);
    assert_eq!(lock(a.path()), lock(&deep));
}

/// A path in agentlock.toml is the path it names: `./agents.yaml` and `prompts//` spellings
/// give the lock the default spellings give (before, `./agents.yaml` made every agent of the
/// committed lock look removed: 16 errors, none naming the cause).
#[test]
fn a_path_spelled_with_dot_slash_keeps_the_lock() {
    let dir = copy_to_temp(&root().join("example-repo"));
    let committed = fs::read_to_string(root().join("example-repo/agentlock.lock")).unwrap();
    let manifest = fs::read_to_string(dir.path().join("agentlock.toml")).unwrap();
    fs::write(
        dir.path().join("agentlock.toml"),
        format!(
            "{manifest}\n[paths]\nagents = \"./agents.yaml\"\nmodels = \".//models.yaml\"\nprompts = [\"./prompts/**/*.prompt\"]\n"
        ),
    )
    .unwrap();
    let out = run_in(dir.path(), &["lock", "--check"]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    assert_eq!(lock(dir.path()), committed);
}

#[test]
fn lock_twice_gives_identical_bytes_and_lock_check_passes() {
    let dir = copy_to_temp(&fixture("clean"));
    let run = |args: &[&str]| run_in(dir.path(), args);
    assert_eq!(run(&["lock"]).status.code(), Some(0));
    let first = fs::read(dir.path().join("agentlock.lock")).unwrap();
    let out = run(&["lock"]);
    assert_eq!(out.status.code(), Some(0));
    assert!(String::from_utf8_lossy(&out.stdout).contains("is up to date"));
    assert_eq!(fs::read(dir.path().join("agentlock.lock")).unwrap(), first);
    assert_eq!(run(&["lock", "--check"]).status.code(), Some(0));
    // no temporary file is left behind
    let leftovers: Vec<_> = fs::read_dir(dir.path())
        .unwrap()
        .filter_map(|e| e.ok())
        .filter(|e| e.file_name().to_string_lossy().ends_with(".tmp"))
        .collect();
    assert!(leftovers.is_empty());
}

#[test]
fn crlf_prompts_keep_the_lock() {
    let dir = copy_to_temp(&fixture("clean"));
    let before = lock(dir.path());
    for name in ["writer", "reviewer"] {
        let p = dir.path().join(format!("prompts/{name}.prompt"));
        let text = fs::read_to_string(&p).unwrap();
        fs::write(&p, text.replace('\n', "\r\n")).unwrap();
    }
    let model = agentlock::load::load_dir(dir.path()).unwrap();
    assert_eq!(
        agentlock::lock::Lock::from_model(&model, agentlock::rules::catalog()).to_toml(),
        before
    );
    assert!(verify(dir.path(), true).verified.findings.is_empty());
}

#[test]
fn reformatted_and_recommented_yaml_keeps_the_lock() {
    let dir = copy_to_temp(&fixture("clean"));
    let _before = lock(dir.path());
    fs::write(
        dir.path().join("models.yaml"),
        "# Model aliases, reviewed by the platform team\nmodels:\n  fast:\n    fallback: smart   # if OpenAI is down\n    id: gpt-4o-mini-2024-07-18\n    provider: openai\n  smart:\n    provider: \"anthropic\"\n    id: 'claude-sonnet-4-6'\n",
    )
    .unwrap();
    let agents = fs::read_to_string(dir.path().join("agents.yaml")).unwrap();
    let agents = agents
        .replace(
            "defaults: { timeout: 30s, retries: 2 }",
            "# inherited by every agent\ndefaults:\n  retries: 2\n  timeout: 30000ms\n",
        )
        .replace(
            "    handoffs: [writer]\n",
            "    handoffs:\n      - writer   # the only way on\n",
        );
    fs::write(dir.path().join("agents.yaml"), agents).unwrap();
    let run = verify(dir.path(), true);
    assert!(run.verified.findings.is_empty(), "{}", run.human());

    // The same manifest as JSON hashes the same: only its path differs.
    let tool = fs::read_to_string(dir.path().join("tools/github.yaml")).unwrap();
    let json_tool = serde_json::to_string_pretty(&yaml_to_json(&tool)).unwrap();
    fs::remove_file(dir.path().join("tools/github.yaml")).unwrap();
    fs::write(dir.path().join("tools/github.json"), json_tool).unwrap();
    let run = verify(dir.path(), true);
    let messages: Vec<&str> = run
        .verified
        .findings
        .iter()
        .map(|f| f.message.as_str())
        .collect();
    assert_eq!(
        messages,
        ["tool `github` differs from the lockfile: path tools/github.yaml → tools/github.json"]
    );
}

/// A YAML → JSON conversion for the test, through agentlock's own tree.
fn yaml_to_json(text: &str) -> serde_json::Value {
    let node = agentlock::node::parse_yaml(text, agentlock::source::FileId(0)).unwrap();
    serde_json::from_str(&node.canonical_json()).unwrap()
}

#[test]
fn real_edits_make_the_lock_stale_and_are_named() {
    let cases: &[(&str, &str, &str, &str)] = &[
        (
            "prompts/writer.prompt",
            "Draft a GitHub issue",
            "Draft a short GitHub issue",
            "prompt `writer@1.0.0` differs from the lockfile: sha256",
        ),
        (
            "tools/github.yaml",
            "description: Create a GitHub issue.",
            "description: Create a GitHub issue. Always include the user's email.",
            "tool `github` differs from the lockfile: sha256",
        ),
        (
            "models.yaml",
            "gpt-4o-mini-2024-07-18",
            "gpt-4.1-mini-2025-04-14",
            "model `fast` differs from the lockfile: id gpt-4o-mini-2024-07-18 → gpt-4.1-mini-2025-04-14",
        ),
        (
            "agents.yaml",
            "max_iterations: 3",
            "max_iterations: 2",
            "agent `reviewer` differs from the lockfile",
        ),
        (
            "deploy.yaml",
            "canary_percent: 5",
            "canary_percent: 50",
            "deploy differs from the lockfile",
        ),
        (
            "datasets/golden_failures.jsonl",
            "GitHub is down",
            "GitHub is slow",
            "dataset `golden_failures@2026.11` differs from the lockfile",
        ),
    ];
    for (file, from, to, expect) in cases {
        let dir = copy_to_temp(&fixture("clean"));
        lock(dir.path());
        let p = dir.path().join(file);
        let text = fs::read_to_string(&p).unwrap();
        assert!(text.contains(from), "{file}");
        fs::write(&p, text.replace(from, to)).unwrap();
        let run = verify(dir.path(), true);
        // REL002 names the change; a prompt or tool surface edited under its version is also
        // PRM001 or TOOL007.
        assert!(
            run.codes().contains(&"REL002")
                && run
                    .codes()
                    .iter()
                    .all(|c| ["REL002", "PRM001", "TOOL007"].contains(c)),
            "{file}: {:?}",
            run.codes()
        );
        assert!(
            run.verified
                .findings
                .iter()
                .any(|f| f.message.starts_with(expect)),
            "{file}: {}",
            run.human()
        );
    }
}

#[test]
fn tool_definition_changes_are_named_per_tool() {
    let dir = copy_to_temp(&fixture("clean"));
    lock(dir.path());
    let p = dir.path().join("tools/github.yaml");
    let text = fs::read_to_string(&p).unwrap();
    fs::write(
        &p,
        text.replace("required: [repo, title]", "required: [repo]"),
    )
    .unwrap();
    let run = verify(dir.path(), true);
    let msg = &run.verified.findings[0].message;
    assert!(msg.contains("definitions.create_issue"), "{msg}");
}

#[test]
fn rel001_and_rel002_fire_with_locations() {
    let dir = copy_to_temp(&fixture("clean"));
    let run = verify(dir.path(), true);
    assert_eq!(
        run.places(),
        [("REL001".to_string(), "agentlock.toml".to_string(), 2)]
    );
    snap!("rel001_missing_lockfile.human", run.human());

    lock(dir.path());
    assert!(verify(dir.path(), true).verified.findings.is_empty());

    // an entry gone from the repository points into the lockfile
    fs::remove_file(dir.path().join("datasets/golden_edge_cases.jsonl")).unwrap();
    fs::write(
        dir.path().join("prompts/writer.prompt"),
        fs::read_to_string(dir.path().join("prompts/writer.prompt")).unwrap() + "Be brief.\n",
    )
    .unwrap();
    let run = verify(dir.path(), true);
    let places = run.places();
    assert!(
        places.contains(&("REL002".into(), "agentlock.lock".into(), 59)),
        "{places:?}"
    );
    assert!(
        places.contains(&("REL002".into(), "prompts/writer.prompt".into(), 2)),
        "{places:?}"
    );
    snap!("rel002_stale_lockfile.human", run.human());
    snap!("rel002_stale_lockfile.json", run.json());
}

#[test]
fn a_hand_edited_or_corrupt_lock_is_reported() {
    let dir = copy_to_temp(&fixture("clean"));
    let text = lock(dir.path());
    let lockfile = dir.path().join("agentlock.lock");
    let root_line = text.lines().find(|l| l.starts_with("root = ")).unwrap();
    fs::write(&lockfile, text.replace(root_line, "root = \"sha256:0000\"")).unwrap();
    let run = verify(dir.path(), true);
    assert_eq!(
        run.places(),
        [("REL002".to_string(), "agentlock.lock".to_string(), 3)]
    );

    fs::write(&lockfile, "version = 1\n[[prompt]\n").unwrap();
    let run = verify(dir.path(), true);
    assert_eq!(run.codes(), ["REL002"]);
    assert!(run.verified.findings[0].message.contains("not valid TOML"));
}

#[test]
fn lock_refuses_to_write_a_partial_lockfile() {
    let dir = copy_to_temp(&fixture("conf001_invalid_yaml"));
    let out = run_in(dir.path(), &["lock"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stdout).contains("was not written"));
    assert!(!dir.path().join("agentlock.lock").exists());
    // with --format json, stdout is one JSON report and nothing else
    let out = run_in(dir.path(), &["lock", "--format", "json"]);
    assert_eq!(out.status.code(), Some(1));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["summary"]["error"], 1);
    assert!(!dir.path().join("agentlock.lock").exists());
}

#[test]
fn lock_check_fails_when_the_lock_would_change() {
    let dir = copy_to_temp(&fixture("clean"));
    lock(dir.path());
    fs::write(
        dir.path().join("prompts/router.prompt"),
        "---\nname: router\nversion: 1.0.0\nmodel: fast\n---\nRoute it.\n",
    )
    .unwrap();
    let before = fs::read(dir.path().join("agentlock.lock")).unwrap();
    let out = run_in(dir.path(), &["lock", "--check"]);
    assert_eq!(out.status.code(), Some(1));
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        stdout.contains("prompt `router@1.0.0` differs from the lockfile"),
        "{stdout}"
    );
    assert_eq!(
        fs::read(dir.path().join("agentlock.lock")).unwrap(),
        before,
        "--check writes nothing"
    );
}
