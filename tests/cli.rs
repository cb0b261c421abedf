//! The binary: exit codes 0/1/2, fatal errors on stderr, explain and rules, colour control.

mod common;
use common::*;
use std::process::Output;

fn agentlock(args: &[&str]) -> Output {
    run_bin(args)
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

#[test]
fn verify_example_repo_passes() {
    let repo = root().join("example-repo");
    let out = run_in(&repo, &["verify"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stdout));
    assert_eq!(
        text(&out.stdout),
        "agentlock: passed: 0 errors, 0 warnings\n"
    );
    // verify is the default command
    let out = agentlock(&["--repo", repo.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(0));
}

#[test]
fn errors_exit_1_and_warnings_exit_0() {
    let f = fixture("topo001_unbounded_cycle");
    let out = run_in(&f, &["verify", "--no-lock-check"]);
    assert_eq!(out.status.code(), Some(1));
    let f = fixture("topo005_unreachable_agent");
    let out = run_in(&f, &["verify", "--no-lock-check", "--format", "json"]);
    assert_eq!(out.status.code(), Some(0), "a warning alone passes");
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["summary"]["warning"], 1);
}

#[test]
fn no_manifest_exits_2_with_a_clear_message() {
    let dir = tempfile::tempdir().unwrap();
    let out = run_in(dir.path(), &["verify", "--color", "never"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(out.stdout.is_empty());
    snap!("cli_no_manifest.stderr", text(&out.stderr));
}

#[test]
fn files_of_other_tools_that_declare_nothing_are_named_when_nothing_is_left() {
    // opencode's config without `mcp` or `model`, Gemini CLI's settings without
    // `mcpServers`, a `server.json` that is not an MCP registry file: read, left alone, and
    // named, so a user sees agentlock found them and why they gave it nothing to check.
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    std::fs::write(root.join("opencode.json"), "{\"theme\": \"dark\"}\n").unwrap();
    std::fs::create_dir_all(root.join(".gemini")).unwrap();
    std::fs::write(
        root.join(".gemini/settings.json"),
        "{\"theme\": \"GitHub\"}\n",
    )
    .unwrap();
    std::fs::create_dir_all(root.join("api")).unwrap();
    std::fs::write(root.join("api/server.json"), "{\"port\": 8080}\n").unwrap();
    std::fs::write(root.join("server.json"), "{\"host\": \"x\"}\n").unwrap();
    let out = run_in(root, &["verify", "--color", "never"]);
    assert_eq!(out.status.code(), Some(2));
    snap!("cli_no_manifest_files_left_alone.stderr", text(&out.stderr));
    // One such file: named alone, in the singular.
    std::fs::remove_dir_all(root.join(".gemini")).unwrap();
    std::fs::remove_dir_all(root.join("api")).unwrap();
    std::fs::remove_file(root.join("server.json")).unwrap();
    let out = run_in(root, &["verify", "--color", "never"]);
    assert_eq!(out.status.code(), Some(2));
    let err = text(&out.stderr);
    assert!(
        err.contains(
            "declare nothing it checks (no MCP server, model, agent or prompt): opencode.json; without"
        ),
        "{err}"
    );
}

#[test]
fn broken_manifest_exits_2_pointing_at_the_error() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("agentlock.toml"), "[project]\nname = \"x\n").unwrap();
    let out = run_in(dir.path(), &["verify", "--color", "never"]);
    assert_eq!(out.status.code(), Some(2));
    snap!("cli_broken_manifest.stderr", text(&out.stderr));

    std::fs::write(
        dir.path().join("agentlock.toml"),
        "[project]\ndescription = \"no name\"\n",
    )
    .unwrap();
    let out = run_in(dir.path(), &["lock", "--color", "never"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).contains("has no `[project] name`"));
}

#[test]
fn missing_repo_and_bad_flags_exit_2() {
    let out = agentlock(&["--repo", "/nonexistent/agentlock-repo", "verify"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).contains("cannot open repository"));
    assert_eq!(
        agentlock(&["verify", "--no-such-flag"]).status.code(),
        Some(2)
    );
    assert_eq!(
        agentlock(&["--format", "yaml", "verify"]).status.code(),
        Some(2)
    );
}

#[test]
fn explain_prints_the_rule_docs() {
    let out = agentlock(&["explain", "TOPO001"]);
    assert_eq!(out.status.code(), Some(0));
    snap!("cli_explain_topo001", text(&out.stdout));
    assert_eq!(
        text(&agentlock(&["explain", "unbounded-cycle"]).stdout),
        text(&out.stdout)
    );
    let out = agentlock(&["explain", "TOPO01", "--color", "never"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out.stderr).contains("Did you mean `TOPO001`?"),
        "{}",
        text(&out.stderr)
    );
}

#[test]
fn every_rule_has_explain_docs() {
    for rule in agentlock::rules::RULES {
        let out = agentlock(&["explain", rule.code]);
        assert_eq!(out.status.code(), Some(0));
        let t = text(&out.stdout);
        assert!(t.starts_with(&format!("{} {}", rule.code, rule.name)));
        assert!(t.contains("## How to fix"));
    }
}

#[test]
fn rules_lists_the_registry() {
    let out = agentlock(&["rules"]);
    assert_eq!(out.status.code(), Some(0));
    snap!("cli_rules", text(&out.stdout));
    let out = agentlock(&["rules", "--format", "json"]);
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["schema"], "agentlock.rules/v1");
    assert_eq!(
        v["rules"].as_array().unwrap().len(),
        agentlock::rules::RULES.len()
    );
}

#[test]
fn color_is_off_for_pipes_and_on_when_asked() {
    let f = fixture("topo001_unbounded_cycle");
    let plain = run_in(&f, &["verify", "--no-lock-check"]);
    assert!(
        !plain.stdout.contains(&0x1b),
        "not a terminal: no escape codes"
    );
    let colored = run_in(&f, &["verify", "--no-lock-check", "--color", "always"]);
    assert!(colored.stdout.contains(&0x1b));
}

#[test]
fn lock_json_output() {
    let dir = copy_to_temp(&fixture("clean"));
    let out = run_in(dir.path(), &["lock", "--format", "json"]);
    assert_eq!(out.status.code(), Some(0));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["schema"], "agentlock.lock/v1");
    assert_eq!(v["written"], true);
    assert!(v["root"].as_str().unwrap().starts_with("sha256:"));
    let out = run_in(dir.path(), &["lock", "--check", "--format", "json"]);
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(
        (v["up_to_date"].as_bool(), v["written"].as_bool()),
        (Some(true), Some(false))
    );
}

#[test]
fn scan_takes_files_in_any_repository_and_never_prints_the_value() {
    let dir = tempfile::tempdir().unwrap();
    let token = format!("ghp_{}", "Zq8Rk2Wm4Tn6Vp1Xs3Yu5Aw7Cy9Ea0Gc2Ie4");
    std::fs::write(
        dir.path().join("notes.md"),
        format!("deploy with\n  token: {token}\n"),
    )
    .unwrap();
    std::fs::write(
        dir.path().join("clean.md"),
        "nothing here: ${GITHUB_TOKEN}\n",
    )
    .unwrap();
    std::fs::write(dir.path().join("logo.png"), b"\x89PNG\x00\x01").unwrap();
    let files: Vec<String> = ["notes.md", "clean.md", "logo.png"]
        .iter()
        .map(|f| dir.path().join(f).display().to_string())
        .collect();
    let mut args = vec!["--color", "never", "scan"];
    args.extend(files.iter().map(String::as_str));
    // no agentlock.toml: the default policy applies
    let out = run_in(dir.path(), &args);
    assert_eq!(out.status.code(), Some(1));
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!stdout.contains(&token) && !stderr.contains(&token));
    assert!(stdout.contains("notes.md:2:10"), "{stdout}");
    assert!(stdout.contains("ghp_…"), "{stdout}");
    assert!(stderr.contains("logo.png: binary"), "{stderr}");
    snap!("cli_scan_files", stdout.replace('\\', "/"));
    // clean files pass
    let out = run_in(dir.path(), &["scan", &files[1]]);
    assert_eq!(out.status.code(), Some(0));
    // the whole model needs an agentlock.toml
    let out = run_in(dir.path(), &["scan"]);
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn each_subcommand_help_names_the_formats_it_writes() {
    for (cmd, want) in [
        (
            "verify",
            "Formats (--format): human, concise, json, markdown, sarif, github, junit",
        ),
        ("lock", "Formats (--format): human, json"),
        ("diff", "Formats (--format): human, json, markdown"),
        ("graph", "Formats (--format): mermaid, dot"),
    ] {
        let o = run_bin(&[cmd, "--help"]);
        let text = String::from_utf8_lossy(&o.stdout);
        assert!(text.trim_end().ends_with(want), "{cmd}: {text}");
    }
    // The order of the subcommands is clap's, as declared.
    let o = run_bin(&["--help"]);
    let text = String::from_utf8_lossy(&o.stdout);
    let at = |name: &str| text.find(&format!("\n  {name} ")).unwrap_or(usize::MAX);
    assert!(at("verify") < at("lock") && at("lock") < at("scan") && at("init") < at("man"));
}
