//! `graph` (Mermaid and DOT snapshots), `init` (a scaffold that passes `verify`, and never
//! overwrites), `completions` and `man`.

mod common;
use common::*;
use std::collections::BTreeMap;
use std::path::Path;

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

/// `agentlock --format OUTPUT graph` on a repository: exit 0, nothing on stderr.
fn graph(dir: &Path, output: &str) -> String {
    let out = run_in(dir, &["--format", output, "graph"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert!(out.stderr.is_empty(), "{}", text(&out.stderr));
    text(&out.stdout)
}

#[test]
fn graph_snapshots() {
    let repos = [
        ("example_repo", root().join("example-repo")),
        ("topo001", fixture("topo001_unbounded_cycle")),
        ("topo004", fixture("topo004_unknown_agent")),
        ("topo005", fixture("topo005_unreachable_agent")),
    ];
    for (name, dir) in &repos {
        assert!(dir.join("agents.yaml").is_file(), "{}", dir.display());
        snap!(format!("graph_{name}.mermaid"), graph(dir, "mermaid"));
        snap!(format!("graph_{name}.dot"), graph(dir, "dot"));
    }
}

#[test]
fn graph_defaults_to_mermaid_and_is_deterministic() {
    let dir = root().join("example-repo");
    let a = run_in(&dir, &["graph"]);
    let b = run_in(&dir, &["--format", "mermaid", "graph"]);
    assert_eq!(a.status.code(), Some(0));
    assert_eq!(a.stdout, b.stdout);
    assert!(text(&a.stdout).starts_with("flowchart TD\n"));
}

#[test]
fn graph_highlights_what_the_topology_rules_report() {
    // TOPO001: the loop's edges red, the bounded edge labelled with its bound.
    let m = graph(&fixture("topo001_unbounded_cycle"), "mermaid");
    assert!(m.contains("agent_reviewer -->|max 3| agent_writer"), "{m}");
    assert!(
        m.contains("class agent_editor,agent_reviewer,agent_writer cycle"),
        "{m}"
    );
    assert!(m.contains("linkStyle "), "{m}");
    let d = graph(&fixture("topo001_unbounded_cycle"), "dot");
    assert!(
        d.contains("agent_writer -> agent_reviewer [label=\"no bound\", color="),
        "{d}"
    );
    // TOPO005: dashed.
    let d = graph(&fixture("topo005_unreachable_agent"), "dot");
    assert!(
        d.contains("unreachable from the entry\", style=\"rounded,dashed\""),
        "{d}"
    );
    // TOPO004: the undefined names drawn as nodes.
    let m = graph(&fixture("topo004_unknown_agent"), "mermaid");
    assert!(
        m.contains("class missing_reviewr,missing_routr missing"),
        "{m}"
    );
}

/// A credential used as an agent's name is redacted in its node identifier as in its label:
/// the identifier writes `-` as `_`, a form of the value the output's redaction also knows.
#[test]
fn a_credential_as_an_agent_name_is_redacted_in_node_identifiers() {
    let token = ["xoxb-", "13721590109-281590139624-9wMxEhh2FDEEtfjgVvVqE1Sk"].concat();
    let dir = copy_to_temp(&fixture("clean"));
    for file in ["agents.yaml", "prompts/writer.prompt"] {
        let path = dir.path().join(file);
        let text = std::fs::read_to_string(&path).unwrap();
        std::fs::write(&path, text.replace("writer", &token)).unwrap();
    }
    let id_form = token.replace('-', "_");
    for format in ["mermaid", "dot"] {
        let out = run_in(dir.path(), &["--format", format, "graph"]);
        let g = text(&out.stdout);
        for part in [&token, &id_form, &id_form[5..30].to_string()] {
            assert!(!g.contains(part.as_str()), "{format}: {part} in\n{g}");
        }
        assert!(g.contains("agent_xoxb__E1Sk"), "{format}:\n{g}");
    }
}

#[test]
fn graph_refuses_a_format_it_does_not_have() {
    let out = run_in(
        &root().join("example-repo"),
        &["graph", "--format", "json", "--color", "never"],
    );
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out.stderr).contains("graph writes mermaid and dot"),
        "{}",
        text(&out.stderr)
    );
}

#[test]
fn graph_without_agents_yaml_exits_2() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("agentlock.toml"),
        "[project]\nname = \"x\"\n",
    )
    .unwrap();
    let out = run_in(dir.path(), &["graph", "--color", "never"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out.stderr).contains("no agent topology"),
        "{}",
        text(&out.stderr)
    );
}

/// Every file under `dir` with its bytes.
fn tree(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    walkdir::WalkDir::new(dir)
        .into_iter()
        .map(|e| e.unwrap())
        .filter(|e| e.file_type().is_file())
        .map(|e| {
            let rel = e.path().strip_prefix(dir).unwrap();
            (
                rel.to_string_lossy().replace('\\', "/"),
                std::fs::read(e.path()).unwrap(),
            )
        })
        .collect()
}

/// The init report with the temporary directory and the (date-dependent) digest masked.
fn masked(out: &str, dir: &Path) -> String {
    let re = regex::Regex::new("sha256:[0-9a-f]{64}").unwrap();
    re.replace_all(&out.replace(dir.to_str().unwrap(), "DIR"), "sha256:…")
        .into_owned()
}

#[test]
fn init_scaffolds_a_repository_that_verify_passes() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("support-bot"); // created by init
    let out = run_in(&dir, &["init"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    snap!("init.stdout", masked(&text(&out.stdout), &dir));

    let files: Vec<String> = tree(&dir).into_keys().collect();
    assert_eq!(
        files,
        [
            ".agentlock/schemas/agentlock.schema.json",
            ".agentlock/schemas/agents.schema.json",
            ".agentlock/schemas/deploy.schema.json",
            ".agentlock/schemas/evidence.schema.json",
            ".agentlock/schemas/lock.schema.json",
            ".agentlock/schemas/models.schema.json",
            ".agentlock/schemas/policy.schema.json",
            ".agentlock/schemas/qa.schema.json",
            ".agentlock/schemas/tool.schema.json",
            "CODEOWNERS",
            "agentlock.lock",
            "agentlock.toml",
            "agents.yaml",
            "datasets/golden_edge_cases.jsonl",
            "datasets/golden_failures.jsonl",
            "datasets/golden_happy_path.jsonl",
            "deploy.yaml",
            "models.yaml",
            "prompts/assistant.prompt",
            "prompts/reviewer.prompt",
            "prompts/router.prompt",
            "tools/kb.yaml",
        ]
    );
    let manifest = std::fs::read_to_string(dir.join("agentlock.toml")).unwrap();
    assert!(manifest.contains("name = \"support-bot\""), "{manifest}");

    assert_passes_and_lock_is_current(&dir);
    // And it draws.
    let m = graph(&dir, "mermaid");
    assert!(
        m.contains("agent_reviewer -->|max 2| agent_assistant"),
        "{m}"
    );
}

#[test]
fn init_twice_refuses_and_changes_nothing() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    assert_eq!(run_in(dir, &["init"]).status.code(), Some(0));
    let before = tree(dir);
    let out = run_in(dir, &["init", "--color", "never"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(out.stdout.is_empty());
    let err = text(&out.stderr);
    assert!(err.contains("nothing was written"), "{err}");
    // The error names the files (the renderer may wrap the list, so compare without spaces).
    let flat: String = err
        .chars()
        .filter(|c| !c.is_whitespace() && *c != '│')
        .collect();
    for f in [
        "agentlock.toml",
        "agents.yaml",
        "tools/kb.yaml",
        "agentlock.lock",
    ] {
        assert!(flat.contains(f), "{f} not named in {err}");
    }
    assert_eq!(tree(dir), before);
}

#[test]
fn init_refuses_when_one_file_exists_and_writes_nothing() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    std::fs::create_dir(dir.join("prompts")).unwrap();
    std::fs::write(dir.join("prompts/router.prompt"), "mine\n").unwrap();
    let out = run_in(dir, &["init", "--color", "never"]);
    assert_eq!(out.status.code(), Some(2));
    snap!("init_conflict.stderr", masked(&text(&out.stderr), dir));
    let files: Vec<String> = tree(dir).into_keys().collect();
    assert_eq!(files, ["prompts/router.prompt"]);
    assert_eq!(
        std::fs::read(dir.join("prompts/router.prompt")).unwrap(),
        b"mine\n"
    );
}

#[test]
fn init_keeps_an_existing_codeowners() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    std::fs::create_dir(dir.join(".github")).unwrap();
    std::fs::write(dir.join(".github/CODEOWNERS"), "* @acme/team\n").unwrap();
    let out = run_in(dir, &["init"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert!(text(&out.stdout).contains("kept the existing .github/CODEOWNERS"));
    assert!(!dir.join("CODEOWNERS").exists());
    assert_eq!(
        std::fs::read(dir.join(".github/CODEOWNERS")).unwrap(),
        b"* @acme/team\n"
    );
    let out = run_in(dir, &["verify"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stdout));
}

#[test]
fn completions_name_the_subcommands() {
    let out = run_bin(&["completions", "bash"]);
    assert_eq!(out.status.code(), Some(0));
    let script = text(&out.stdout);
    assert!(script.contains("complete -F _agentlock"), "{script}");
    for sub in [
        "verify",
        "lock",
        "scan",
        "diff",
        "rollback",
        "explain",
        "rules",
        "graph",
        "init",
        "completions",
        "man",
    ] {
        assert!(script.contains(sub), "bash completion lacks {sub}");
    }
    assert!(
        script.contains("mermaid"),
        "the --format values are completed"
    );
    for shell in ["zsh", "fish", "powershell", "elvish"] {
        let out = run_bin(&["completions", shell]);
        assert_eq!(out.status.code(), Some(0), "{shell}");
        assert!(text(&out.stdout).contains("graph"), "{shell}");
    }
    let out = run_bin(&["completions", "tcsh"]);
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn man_page_is_roff_from_the_clap_definitions() {
    let out = run_bin(&["man"]);
    assert_eq!(out.status.code(), Some(0));
    let page = text(&out.stdout);
    // roff's own preamble defines the apostrophe string; the title is the first macro after it.
    let first = page
        .lines()
        .find(|l| !l.starts_with(".ie ") && !l.starts_with(".el "))
        .unwrap();
    assert!(first.starts_with(".TH agentlock 1 "), "{first}");
    assert!(page.contains(".SH NAME"));
    assert!(page.contains(".SH SUBCOMMANDS"));
    assert!(page.contains("agentlock\\-graph(1)"));
    assert!(!page.contains("agentlock\\-help(1)"));

    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("man1");
    let out = run_bin(&["man", "--out-dir", dir.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    for p in [
        "agentlock.1",
        "agentlock-graph.1",
        "agentlock-init.1",
        "agentlock-verify.1",
    ] {
        let t = std::fs::read_to_string(dir.join(p)).unwrap();
        assert!(t.contains(".TH "), "{p}");
    }
}
