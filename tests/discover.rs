//! Repositories that keep other tools' formats and no agentlock.toml (or a `[sources]` table):
//! MCP client configs, MCP registry server.json, CrewAI, Prompty and dotprompt. Each fixture
//! under tests/fixtures/discover_* gives exactly its findings, at the right file and line; its
//! rendered findings are snapshot-tested; `lock` pins what it found and `verify` catches drift.

mod common;
use common::*;

const CASES: &[(&str, &[Place])] = &[
    (
        "discover_mcp",
        &[
            ("CONF001", ".vscode/mcp.json", 25),
            // no agentlock.toml: the first file read stands for the repository
            ("REL001", ".codex/config.toml", 1),
            ("SECRET002", ".codex/config.toml", 12),
            ("TOOL001", ".continue/mcpServers/browser.yaml", 8),
            ("TOOL001", ".cursor/mcp.json", 5),
            ("SECRET002", ".cursor/mcp.json", 7),
            ("TOOL001", ".cursor/mcp.json", 12),
            ("TOOL001", ".mcp.json", 5),
            ("TOOL001", ".mcp.json", 16),
            ("TOOL001", ".mcp.json", 20),
            ("TOOL001", ".mcp.json", 28),
            ("SECRET002", ".mcp.json", 38),
            ("TOOL001", ".vscode/mcp.json", 15),
            ("TOOL001", ".windsurf/mcp_config.json", 5),
            ("TOOL001", "claude_desktop_config.json", 5),
            ("TOOL001", "claude_desktop_config.json", 11),
        ],
    ),
    (
        "discover_registry",
        &[
            ("REL001", "server.json", 1),
            ("TOOL001", "server.json", 36),
            ("SECRET002", "server.json", 56),
            ("TOOL001", "servers/alerts/server.json", 10),
        ],
    ),
    (
        "discover_crewai",
        &[
            ("CONF001", "src/research_crew/config/tasks.yaml", 25),
            // the crew's agents write their prompts inline: no PRM005 for the Prompty file
            ("PRM006", "prompts/summary.prompty", 1),
            ("REL001", "prompts/summary.prompty", 1),
            ("RUN004", "src/research_crew/config/agents.yaml", 15),
            ("TOPO002", "src/research_crew/config/agents.yaml", 15),
            ("TOPO003", "src/research_crew/config/agents.yaml", 15),
            ("MODEL001", "src/research_crew/config/agents.yaml", 23),
        ],
    ),
    (
        "discover_prompts",
        &[
            ("REL001", "prompts/_header.prompt", 1),
            ("PRM002", "prompts/ask.prompt", 1),
            ("MODEL001", "prompts/ask.prompt", 2),
            ("MODEL003", "prompts/ask.prompt", 2),
            ("MODEL001", "prompts/summarize.prompty", 10),
            ("SECRET001", "prompts/summarize.prompty", 11),
            ("PRM002", "prompts/support.prompty", 6),
            ("MODEL001", "prompts/support.prompty", 11),
        ],
    ),
    (
        // each class of false error measured on public repositories, shaped as they were
        // there (the repository's own code launched, templates, crews, plain .prompt files),
        // with three true errors for contrast: a wrong client key, a token, a floating package
        "discover_real",
        &[
            ("CONF001", ".cursor/mcp.json", 2),
            ("REL001", ".claude/agents/reviewer.md", 1),
            ("TOOL001", ".continue/mcpServers/new-mcp-server.yaml", 9),
            ("MODEL001", ".github/chatmodes/planner.chatmode.md", 4),
            ("TOOL001", ".mcp.json", 11),
            ("SECRET002", ".mcp.json", 13),
            ("TOOL001", ".mcp.json", 14),
            ("PRM002", "app/prompts/answer.prompt", 2),
            ("MODEL001", "app/prompts/answer.prompt", 3),
            ("TOPO003", "crews/research/config/agents.yaml", 1),
            ("TOPO003", "crews/writing/config/agents.yaml", 1),
            ("MODEL001", "flows/chat.prompty", 7),
            ("MODEL001", "flows/search.prompty", 7),
            ("MODEL001", "opencode.json", 3),
            ("TOOL001", "registry/released/server.json", 9),
            ("TOOL001", "registry/template/server.json", 5),
            ("TOOL001", "registry/template/server.json", 7),
        ],
    ),
    (
        "discover_sources",
        &[
            ("TOOL001", "config/mcp.json", 5),
            ("PRM005", "prompts/support/escalate.prompty", 2),
            ("MODEL001", "prompts/support/escalate.prompty", 5),
            ("PRM005", "prompts/support/faq.prompty", 2),
        ],
    ),
];

/// Verified as a user would first run it: without a lockfile, so REL001 shows where the
/// repository has no agentlock.toml to point at (an agentlock project's fixture is verified
/// without the lock check, as tests/rules.rs does).
fn run(name: &str) -> Run {
    let dir = fixture(name);
    let project = dir.join("agentlock.toml").exists();
    verify(&dir, !project)
}

#[test]
fn every_discover_fixture_gives_exactly_its_findings() {
    assert_cases(CASES, run);
}

#[test]
fn every_discover_fixture_is_listed() {
    assert_listed(CASES, |p| {
        p.file_name()
            .unwrap()
            .to_string_lossy()
            .starts_with("discover_")
    });
}

#[test]
fn snapshots_of_every_discover_fixture() {
    // (the snapshots are written from here: insta files them beside the calling test)
    for (name, _) in CASES {
        let run = run(name);
        snap!(format!("{name}.human"), run.human());
        snap!(format!("{name}.json"), run.json());
    }
}

/// Of the public repositories' classes, only the true errors are errors; the rest are quiet or
/// warnings that say what cannot be told. A repository like it then locks, and stays fresh.
#[test]
fn real_world_shapes_give_no_false_error() {
    let run = run("discover_real");
    let errors: Vec<(String, String, usize)> = run
        .verified
        .findings
        .iter()
        .filter(|f| f.severity == agentlock::finding::Severity::Error)
        .map(|f| {
            let (p, l, _) = run.verified.model.sources.locate(f.span);
            (f.code().to_string(), p.to_string(), l)
        })
        .collect();
    assert_eq!(
        errors,
        [
            ("CONF001".to_string(), ".cursor/mcp.json".to_string(), 2),
            ("REL001".into(), ".claude/agents/reviewer.md".into(), 1),
            ("SECRET002".into(), ".mcp.json".into(), 13),
            ("TOOL001".into(), ".mcp.json".into(), 14),
            // a Genkit prompt with front matter and no version (its `model: {{…}}`, a map to
            // YAML, is read as the expression it is written as: a MODEL001 warning)
            ("PRM002".into(), "app/prompts/answer.prompt".into(), 2),
        ]
    );
    let m = &run.verified.model;
    // Prompty finds its front matter after a blank line
    assert!(
        m.prompts.iter().any(|p| p.name.value == "Rewrite query"),
        "{:?}",
        m.prompts.iter().map(|p| &p.name.value).collect::<Vec<_>>()
    );
    // the first source of a server, by its `PATH#KEY`
    let source_of = |server: &str| {
        m.tools
            .iter()
            .find(|t| t.server.value == server)
            .map(|t| t.sources[0].display())
            .unwrap()
    };
    let src = |name: &str| source_of(&format!(".mcp.json#{name}"));
    // the repository's own code
    for name in [
        "plugin",
        "project-bin",
        "own-module",
        "venv",
        "uv-project",
        "node-modules",
        "crate",
        "compose",
    ] {
        assert!(src(name).starts_with("local:"), "{name}: {}", src(name));
    }
    assert_eq!(src("figma"), "remote:http://127.0.0.1:3845/mcp");
    // `mcp run FILE` runs the repository's own server file
    assert_eq!(source_of(".vscode/mcp.json#docs"), "local:app/server.py");
    // a Gemini CLI extension's own server: `${extensionPath}${/}dist${/}server.js`
    // a folder opened as a project has its own client config, read at any depth
    assert_eq!(
        source_of("frontend/.vscode/mcp.json#playwright"),
        "npm:@playwright/mcp@0.0.41"
    );
    // Claude Code started in backend/ reads backend/.mcp.json, and runs its relative paths
    // from there
    assert_eq!(
        source_of("backend/.mcp.json#api"),
        "local:tools/api-mcp/dist/server.js"
    );
    assert_eq!(
        source_of("backend/.mcp.json#build"),
        "local:backend/dist/server.js"
    );
    // a program's name is no path to read from there
    assert_eq!(
        source_of("backend/.mcp.json#bin"),
        source_of(".mcp.json#node-modules")
    );
    let board = source_of("gemini-extension.json#board");
    assert_eq!(board, "local:${extensionPath}/dist/server.js");
    // two crews, two topologies (`game/config/agents.yaml`, a program's own settings with no
    // agent's `role`, is no crew); a plain template and two flows' prompts of one name
    assert_eq!(m.topologies.len(), 2);
    assert!(
        !m.topologies
            .iter()
            .any(|t| m.sources.get(t.file).path.starts_with("game/")),
        "a file that is not a crew is left alone"
    );
    let names: Vec<&str> = m.prompts.iter().map(|p| p.name.value.as_str()).collect();
    assert!(names.contains(&"system"), "{names:?}");
    assert!(
        names.contains(&"flows/chat.prompty#Chat Prompt"),
        "{names:?}"
    );
    assert!(names.contains(&"reviewer"), "{names:?}");
    // a copy with its one broken file mended locks, and lock --check passes
    let dir = copy_to_temp(&fixture("discover_real"));
    std::fs::write(
        dir.path().join(".cursor/mcp.json"),
        r#"{"mcpServers": {"docs": {"command": "npx", "args": ["-y", "docs-mcp@1.2.0"]}}}"#,
    )
    .unwrap();
    let out = run_in(dir.path(), &["lock"]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    let out = run_in(dir.path(), &["lock", "--check"]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
}

/// What each format maps to in the one model, seen from the JSON a rule reports: the subject
/// names the server as `PATH#KEY`, a prompt by `name@version`, an agent by name.
#[test]
fn subjects_name_what_was_found() {
    let run = run("discover_mcp");
    let subjects: Vec<&str> = run
        .verified
        .findings
        .iter()
        .filter(|f| f.code() == "TOOL001")
        .map(|f| f.subject.as_str())
        .collect();
    assert_eq!(
        subjects,
        [
            ".continue/mcpServers/browser.yaml#Browser search",
            ".cursor/mcp.json#github",
            ".cursor/mcp.json#postgres",
            ".mcp.json#github",
            ".mcp.json#playwright",
            ".mcp.json#fetch",
            ".mcp.json#serena",
            ".vscode/mcp.json#github",
            ".windsurf/mcp_config.json#sqlite",
            "claude_desktop_config.json#weather",
            "claude_desktop_config.json#filesystem",
        ]
    );
    let messages: Vec<&str> = run
        .verified
        .findings
        .iter()
        .filter(|f| f.code() == "TOOL001")
        .map(|f| f.message.as_str())
        .collect();
    for (i, why) in [
        "asks for `latest`",
        "names no tag and no digest",
        "uses the tag `latest`",
        "names no version: npm installs",
        "asks for `latest`",
        "names no version: pip installs",
        "names no ref",
        "names the tag `v0.13.0` but no digest",
        "names no version: npm installs",
        "a placeholder to fill in",
        "names no version: npm installs",
    ]
    .iter()
    .enumerate()
    {
        assert!(
            messages[i].contains(why),
            "{}: {}",
            subjects[i],
            messages[i]
        );
    }
}

#[test]
fn a_crew_is_a_topology_with_bounded_task_edges() {
    let run = run("discover_crewai");
    let topo = run.verified.model.topologies.first().unwrap();
    assert_eq!(topo.entry.as_ref().unwrap().value, "researcher");
    let names: Vec<&str> = topo.agents.iter().map(|a| a.name.value.as_str()).collect();
    assert_eq!(names, ["researcher", "reporting_analyst", "editor"]);
    let edges = topo.edges();
    let edge = |a: &str, b: &str, n: u64| (a.to_string(), b.to_string(), Some(n));
    assert_eq!(
        edges,
        [
            edge("researcher", "reporting_analyst", 1),
            edge("reporting_analyst", "editor", 1),
            // the editor delegates, bounded by its max_iter
            edge("editor", "researcher", 5),
            edge("editor", "reporting_analyst", 5),
        ]
    );
    // each agent's llm (and the prompt's model) became a model entry named after its user
    let models = run.verified.model.models.as_ref().unwrap();
    let aliases: Vec<(&str, &str)> = models
        .aliases
        .iter()
        .map(|m| {
            (
                m.alias.value.as_str(),
                m.id.as_ref().unwrap().value.as_str(),
            )
        })
        .collect();
    assert_eq!(
        aliases,
        [
            ("summary@1.0.0", "gpt-4o-mini-2024-07-18"),
            ("researcher", "openai/gpt-4o-2024-08-06"),
            ("reporting_analyst", "gpt-4o"),
            ("editor", "anthropic/claude-sonnet-4-6"),
        ]
    );
}

#[test]
fn a_prompt_naming_an_alias_of_models_yaml_uses_it() {
    let run = run("discover_sources");
    let m = &run.verified.model;
    let faq = m.prompts.iter().find(|p| p.name.value == "faq").unwrap();
    assert_eq!(faq.model.as_ref().unwrap().value, "fast");
    let escalate = m
        .prompts
        .iter()
        .find(|p| p.name.value == "escalate")
        .unwrap();
    assert_eq!(escalate.model.as_ref().unwrap().value, "escalate@1.1.0");
    // `crewai = []` turned CrewAI off: config/agents.yaml was not read
    assert!(
        m.sources
            .iter()
            .all(|(_, f)| f.path != "config/agents.yaml")
    );
    // and the project's own topology is the one checked
    assert_eq!(m.topologies[0].agents.len(), 3);
}

/// A misspelt `[sources]` key is CONF001 with a suggestion; the formats keep their defaults.
#[test]
fn a_misspelt_sources_key_is_reported() {
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        "agentlock.toml",
        "[project]\nname = \"x\"\n\n[sources]\nmcp_client = [\"config/mcp.json\"]\n",
    );
    write(
        dir.path(),
        ".mcp.json",
        r#"{"mcpServers": {"kb": {"command": "uvx", "args": ["acme-kb"]}}}"#,
    );
    let run = verify(dir.path(), false);
    let conf: Vec<&agentlock::finding::Finding> = run
        .verified
        .findings
        .iter()
        .filter(|f| f.code() == "CONF001")
        .collect();
    assert_eq!(conf.len(), 1, "{}", run.human());
    assert!(
        conf[0]
            .message
            .contains("unknown key `mcp_client` in [sources]")
    );
    assert_eq!(conf[0].help.as_deref(), Some("did you mean `mcp_clients`?"));
    // the default client configs are still read
    assert!(
        run.places()
            .contains(&("TOOL001".into(), ".mcp.json".into(), 1))
    );
}

/// No agentlock.toml: the rules that read what only an agentlock project declares do not run,
/// and say why.
#[test]
fn without_agentlock_toml_the_project_rules_do_not_run() {
    let run = run("discover_prompts");
    for (rule, why) in &run.verified.rules {
        let project_only = rule.needs.contains(&agentlock::finding::Need::Project);
        let expect = project_only.then_some(agentlock::NotRun::NoProject);
        if project_only || *why == Some(agentlock::NotRun::NoProject) {
            assert_eq!(*why, expect, "{}", rule.code);
        }
    }
    let out = run_in(
        &fixture("discover_prompts"),
        &["--format", "junit", "verify"],
    );
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("RUN001") && text.contains("no agentlock.toml"),
        "{text}"
    );
}

/// The checklist does not tick what a client config cannot declare.
#[test]
fn the_checklist_leaves_undeclarable_tool_settings_to_a_person() {
    let out = run_in(&fixture("discover_mcp"), &["checklist"]);
    let text = String::from_utf8_lossy(&out.stdout);
    for item in [
        "- [ ] Tool permissions reviewed",
        "- [ ] Tool timeouts and rate limits configured",
        "- [ ] Tool failure modes defined",
    ] {
        assert!(text.contains(item), "{item} in\n{text}");
    }
    assert!(
        text.contains("TOOL002: 20 servers come from MCP client configs"),
        "{text}"
    );
}

#[test]
fn nothing_to_read_exits_2_with_what_was_looked_for() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "README.md", "# not an agent system\n");
    // a server.json of another tool does not count
    write(dir.path(), "web/server.json", "{\"port\": 80}\n");
    let out = run_in(dir.path(), &["verify"]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("no agentlock.toml"), "{err}");
    assert!(
        err.contains(".mcp.json")
            && err.contains("Prompty")
            && err.contains("Claude Code subagents"),
        "{err}"
    );
    let out = run_in(dir.path(), &["lock"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(!dir.path().join("agentlock.lock").exists());
}

#[test]
fn lock_pins_what_was_found_and_verify_catches_drift() {
    let dir = copy_to_temp(&fixture("discover_mcp"));
    copy_tree(&fixture("discover_prompts"), dir.path());
    // a lockfile is refused while a file is broken (the undefined VS Code input)
    let out = run_in(dir.path(), &["lock"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(!dir.path().join("agentlock.lock").exists());
    let vscode = dir.path().join(".vscode/mcp.json");
    let fixed = std::fs::read_to_string(&vscode)
        .unwrap()
        .replace("${input:perplexity-key}", "${input:github_token}");
    std::fs::write(&vscode, fixed).unwrap();

    let out = run_in(dir.path(), &["lock"]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    let lock = std::fs::read_to_string(dir.path().join("agentlock.lock")).unwrap();
    for line in [
        "server = \".mcp.json#github\"",
        "source = \"npm:@modelcontextprotocol/server-github\"",
        "server = \".cursor/mcp.json#memory\"",
        "server = \".codex/config.toml#context7\"",
        "source = \"remote:https://mcp.sentry.dev/mcp\"",
        "path = \"prompts/triage.prompty\"",
        "name = \"_header\"",
        "alias = \"triage@1.2.0\"",
        "id = \"gpt-4o-mini-2024-07-18\"",
    ] {
        assert!(lock.contains(line), "{line} not in\n{lock}");
    }
    // no credential reaches the lockfile
    for secret in [
        "ghp_Zq8Rk2Wm4Tn6Vp1Xs3Yu5Aw7Cy9Ea0Gc2Ie4",
        "9f8Kq2LmX4vT7pRz1WcN6bYd3HsJ0gAe5uQiOo8t",
    ] {
        assert!(!lock.contains(secret));
    }
    let fresh = run_in(dir.path(), &["--format", "json", "verify"]);
    let codes = codes(&fresh);
    assert!(!codes.iter().any(|c| c.starts_with("REL")), "{codes:?}");

    // Pinning the GitHub server changes its lock entry: REL002 names it, `lock --check` fails.
    let mcp = dir.path().join(".mcp.json");
    let pinned = std::fs::read_to_string(&mcp).unwrap().replace(
        "\"@modelcontextprotocol/server-github\"",
        "\"@modelcontextprotocol/server-github@2025.4.8\"",
    );
    std::fs::write(&mcp, pinned).unwrap();
    let stale = run_in(dir.path(), &["--format", "json", "verify"]);
    let v: serde_json::Value = serde_json::from_slice(&stale.stdout).unwrap();
    let rel002: Vec<&serde_json::Value> = v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["code"] == "REL002")
        .collect();
    assert_eq!(rel002.len(), 1, "{v}");
    assert_eq!(rel002[0]["subject"], ".mcp.json#github");
    assert_eq!(rel002[0]["path"], ".mcp.json");
    assert!(
        rel002[0]["message"]
            .as_str()
            .unwrap()
            .contains("server-github@2025.4.8"),
        "{}",
        rel002[0]["message"]
    );
    let check = run_in(dir.path(), &["lock", "--check"]);
    assert_eq!(check.status.code(), Some(1));

    // A changed prompt body is drift too.
    let p = dir.path().join("prompts/triage.prompty");
    let edited = std::fs::read_to_string(&p).unwrap() + "Be terse.\n";
    std::fs::write(&p, edited).unwrap();
    let stale = run_in(dir.path(), &["--format", "json", "verify"]);
    let text = String::from_utf8_lossy(&stale.stdout);
    assert!(
        text.contains("prompt `triage@1.2.0` differs from the lockfile"),
        "{text}"
    );

    let relock = run_in(dir.path(), &["lock"]);
    assert_eq!(relock.status.code(), Some(0));
    assert_eq!(
        run_in(dir.path(), &["lock", "--check"]).status.code(),
        Some(0)
    );
}

/// Dependency trees, virtual environments and caches are not walked: their server.json and
/// prompt files belong to packages, not to the repository.
#[test]
fn vendored_directories_are_not_read() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    write(
        root,
        ".mcp.json",
        r#"{"mcpServers": {"kb": {"command": "uvx", "args": ["acme-kb==1.0.0"]}}}"#,
    );
    for vendored in [
        "node_modules/@acme/weather/server.json",
        ".venv/lib/python3.12/site-packages/x/prompts/a.prompty",
        "target/debug/build/b.prompty",
        "node_modules/@acme/weather/.vscode/mcp.json",
    ] {
        write(root, vendored, "---\nname: x\n---\nbroken {");
    }
    write(
        root,
        "target/CACHEDIR.TAG",
        "Signature: 8a477f597d28d172789f06886806bc55\n",
    );
    let run = verify(root, false);
    let paths: Vec<&str> = run
        .verified
        .model
        .sources
        .iter()
        .map(|(_, f)| f.path.as_str())
        .filter(|p| !p.starts_with('('))
        .collect();
    assert_eq!(paths, [".mcp.json"], "{}", run.human());
    assert!(run.verified.findings.is_empty(), "{}", run.human());
}

#[test]
fn two_crews_are_two_topologies_each_checked_and_locked() {
    let dir = copy_to_temp(&fixture("discover_crewai"));
    copy_tree(
        &fixture("discover_crewai/src/research_crew"),
        &dir.path().join("src/writing_crew"),
    );
    let run = verify(dir.path(), false);
    let m = &run.verified.model;
    let files: Vec<&str> = m
        .topologies
        .iter()
        .map(|t| m.sources.get(t.file).path.as_str())
        .collect();
    assert_eq!(
        files,
        [
            "src/research_crew/config/agents.yaml",
            "src/writing_crew/config/agents.yaml"
        ]
    );
    let places = run.places();
    assert!(
        !places
            .iter()
            .any(|(c, _, _)| c == "CONF001" && run.human().contains("second agent topology"))
    );
    // the second crew's findings are its own, at its own file
    for crew in ["research_crew", "writing_crew"] {
        assert!(
            places.contains(&(
                "TOPO002".into(),
                format!("src/{crew}/config/agents.yaml"),
                15
            )),
            "{places:?}"
        );
    }
    // each is locked on its own, agents named by their crew's file; lock then check passes
    // (with the fixture's deliberate CONF001, a misspelt context, fixed)
    for crew in ["research_crew", "writing_crew"] {
        let tasks = dir.path().join(format!("src/{crew}/config/tasks.yaml"));
        let text = std::fs::read_to_string(&tasks).unwrap();
        std::fs::write(&tasks, text.replace("research_taks", "research_task")).unwrap();
    }
    let out = run_in(dir.path(), &["lock"]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    let lock = std::fs::read_to_string(dir.path().join("agentlock.lock")).unwrap();
    assert_eq!(lock.matches("[[topology]]").count(), 2, "{lock}");
    assert!(lock.contains("path = \"src/writing_crew/config/agents.yaml\""));
    let out = run_in(dir.path(), &["lock", "--check"]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    // an edit in one crew stales its entries only
    let agents = dir.path().join("src/writing_crew/config/agents.yaml");
    let text = std::fs::read_to_string(&agents).unwrap();
    std::fs::write(&agents, text.replacen("role:", "role: Senior", 1)).unwrap();
    let out = run_in(dir.path(), &["lock", "--check"]);
    let said = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{said}");
    assert!(
        said.contains("src/writing_crew/config/agents.yaml#"),
        "{said}"
    );
    assert!(
        !said.contains("src/research_crew/config/agents.yaml#"),
        "{said}"
    );
}

/// The pre-commit path: `verify --staged` reads discovered files from the git index.
#[test]
fn staged_client_configs_are_read_from_the_index() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    git_in(root, &["init", "-q"]);
    write(
        root,
        ".mcp.json",
        r#"{"mcpServers": {"fetch": {"command": "uvx", "args": ["mcp-server-fetch==2025.4.7"]}}}"#,
    );
    git_in(root, &["add", ".mcp.json"]);
    // the working tree floats; the index is pinned
    write(
        root,
        ".mcp.json",
        r#"{"mcpServers": {"fetch": {"command": "uvx", "args": ["mcp-server-fetch"]}}}"#,
    );
    // (no release tag yet: REL003 in both)
    let staged = run_in(
        root,
        &["--format", "json", "verify", "--staged", "--no-lock-check"],
    );
    assert_eq!(codes(&staged), ["REL003"]);
    let worktree = run_in(root, &["--format", "json", "verify", "--no-lock-check"]);
    assert_eq!(codes(&worktree), ["REL003", "TOOL001"]);
}

/// No output format prints a credential found in a discovered file.
#[test]
fn no_format_prints_a_discovered_secret() {
    let secrets = [
        "ghp_Zq8Rk2Wm4Tn6Vp1Xs3Yu5Aw7Cy9Ea0Gc2Ie4",
        "9f8Kq2LmX4vT7pRz1WcN6bYd3HsJ0gAe5uQiOo8t",
        "figd_Kp3Xw9Rt5Ym2Qv8Ln4Hs7Jc1Bz6Df0Ga",
        "wk_live_8Hq2Zr5Tx9Lm3Vc7Np1Bd4Fs6Gj0Ka",
        "sk-proj-Vx9QmT2pLr7KwZ4nYc8HbD1fJs6GaE3uRi5oPk0tXq2LmN8vB",
    ];
    for name in ["discover_mcp", "discover_registry", "discover_prompts"] {
        for format in ["human", "json", "sarif", "github", "junit", "markdown"] {
            let out = run_in(&fixture(name), &["--format", format, "verify"]);
            let all = [out.stdout, out.stderr].concat();
            let text = String::from_utf8_lossy(&all);
            for s in secrets {
                assert!(!text.contains(s), "{name} {format} printed a secret");
            }
        }
    }
}

/// A release of a repository without agentlock.toml rolls back file by file: the client config,
/// the Prompty file that names the model, the crew's agents.yaml and tasks.yaml.
#[test]
fn rollback_restores_discovered_files() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    copy_tree(&fixture("discover_crewai"), root);
    write(
        root,
        ".mcp.json",
        r#"{"mcpServers": {"fetch": {"command": "uvx", "args": ["mcp-server-fetch==2025.4.7"]}}}"#,
    );
    // (the fixture's misspelt context task would keep `lock` from writing)
    let tasks = root.join("src/research_crew/config/tasks.yaml");
    let fixed = std::fs::read_to_string(&tasks)
        .unwrap()
        .replace("research_taks", "research_task");
    std::fs::write(&tasks, fixed).unwrap();
    git_in(root, &["init", "-q"]);
    assert_eq!(run_in(root, &["lock"]).status.code(), Some(0));
    git_in(root, &["add", "-A"]);
    git_in(root, &["commit", "-qm", "v1"]);
    git_in(root, &["tag", "v1.0.0"]);
    let released = |p: &str| git_in(root, &["show", &format!("v1.0.0:{p}")]);

    let edit = |p: &str, from: &str, to: &str| {
        let f = root.join(p);
        let text = std::fs::read_to_string(&f).unwrap();
        assert!(text.contains(from), "{p}");
        std::fs::write(&f, text.replace(from, to)).unwrap();
    };
    edit(".mcp.json", "==2025.4.7", "==2025.9.1");
    edit(
        "prompts/summary.prompty",
        "gpt-4o-mini-2024-07-18",
        "gpt-4.1-mini-2025-04-14",
    );
    edit(
        "src/research_crew/config/tasks.yaml",
        "10 bullet points",
        "12 bullet points",
    );
    assert_eq!(run_in(root, &["lock"]).status.code(), Some(0));
    git_in(root, &["commit", "-qam", "v2 work"]);

    let plan = run_in(root, &["--format", "json", "rollback"]);
    let v: serde_json::Value = serde_json::from_slice(&plan.stdout).unwrap();
    let files: Vec<String> = v["files"]
        .as_array()
        .unwrap_or_else(|| panic!("{v:#}"))
        .iter()
        .map(|f| f["path"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(
        files,
        [
            ".mcp.json",
            "prompts/summary.prompty",
            "src/research_crew/config/agents.yaml",
            "src/research_crew/config/tasks.yaml",
        ],
        "{v:#}"
    );
    let out = run_in(root, &["rollback", "--apply"]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    for p in [
        ".mcp.json",
        "prompts/summary.prompty",
        "src/research_crew/config/tasks.yaml",
    ] {
        let now = std::fs::read_to_string(root.join(p)).unwrap();
        assert_eq!(now.trim_end(), released(p), "{p}");
    }
    assert_eq!(run_in(root, &["lock", "--check"]).status.code(), Some(0));
}

/// A registry `server.json` or a crew's `config/agents.yaml` that does not parse is CONF001
/// (and scanned for secrets) when its text carries the format's marks (the registry's
/// `$schema`; a `role:` key); another tool's broken file of the same
/// name is still left alone.
#[test]
fn a_broken_file_of_a_discovered_format_is_reported_not_left_alone() {
    let token = ["ghp_", "fkCzJr4i0B3JrTAwR4y9ojfljoQoaF1Llqsa"].concat();
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        "server.json",
        &format!(
            "{{\"$schema\": \"https://static.modelcontextprotocol.io/schemas/2025-07-09/server.schema.json\", \"name\": \"io.x/y\", \"version\": \"1.0.0\", \"remotes\": [{{\"type\": \"sse\", \"url\": \"https://x\", \"headers\": [{{\"name\": \"Authorization\", \"value\": \"token {token}\"}}]}}],}}\n"
        ),
    );
    write(
        dir.path(),
        "crew/config/agents.yaml",
        &format!("researcher:\n  role: Researcher\n  goal: [unclosed\n  backstory: key {token}\n"),
    );
    write(dir.path(), "web/server.json", "{\"port\": 80,}\n");
    write(dir.path(), "other/config/agents.yaml", "pool: [unclosed\n");
    let out = run_in(
        dir.path(),
        &["--format", "json", "verify", "--no-lock-check"],
    );
    let found: Vec<(String, String)> = findings(&out)
        .into_iter()
        .map(|(code, path, _, _)| (code, path))
        .collect();
    for (code, path) in [
        ("CONF001", "server.json"),
        ("CONF001", "crew/config/agents.yaml"),
    ] {
        assert!(
            found.contains(&(code.to_string(), path.to_string())),
            "{code} {path}: {found:?}"
        );
    }
    assert!(
        found
            .iter()
            .any(|(c, p)| c.starts_with("SECRET") && p == "server.json"),
        "{found:?}"
    );
    assert!(
        found
            .iter()
            .all(|(_, p)| p != "web/server.json" && p != "other/config/agents.yaml"),
        "{found:?}"
    );
    assert!(!String::from_utf8_lossy(&out.stdout).contains(&token));
    assert_eq!(out.status.code(), Some(1));
    let scan = run_in(dir.path(), &["scan"]);
    assert_eq!(
        scan.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&scan.stdout)
    );
}
