//! `agentlock traces`, end to end: hand-written OTLP/JSON and Langfuse traces (from the OTLP
//! and GenAI specifications) against the clean fixture system. Conforming traces give no
//! finding, in either handoff shape; each TRACE rule has a fixture that fires it and only it.

mod common;

use common::*;
use std::path::{Path, PathBuf};
use std::process::Output;

struct Repo {
    dir: tempfile::TempDir,
    /// The current lock's root, which the fixtures' `sha256:CURRENT` stands for.
    root: String,
}

impl Repo {
    fn new() -> Repo {
        let dir = tempfile::tempdir().unwrap();
        copy_tree(&fixture("clean"), dir.path());
        git_in(dir.path(), &["init", "-q"]);
        let mut repo = Repo {
            dir,
            root: String::new(),
        };
        let out = repo.run(&["lock"]);
        assert!(out.status.success(), "{}", text(&out));
        let lock = std::fs::read_to_string(repo.path().join("agentlock.lock")).unwrap();
        repo.root = lock
            .lines()
            .find_map(|l| l.strip_prefix("root = \""))
            .unwrap()
            .trim_end_matches('"')
            .to_string();
        git_in(repo.path(), &["add", "-A"]);
        git_in(repo.path(), &["commit", "-q", "-m", "the fixture system"]);
        repo
    }

    fn path(&self) -> &Path {
        self.dir.path()
    }

    /// A fixture of tests/fixtures/traces/rules, copied under `traces/` with the current root.
    fn traces(&self, name: &str) -> PathBuf {
        let src = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/fixtures/traces/rules")
            .join(name);
        let body = std::fs::read_to_string(src)
            .unwrap()
            .replace("sha256:CURRENT", &self.root);
        let to = self.path().join("traces").join(name);
        std::fs::create_dir_all(to.parent().unwrap()).unwrap();
        std::fs::write(&to, body).unwrap();
        to
    }

    fn run(&self, args: &[&str]) -> Output {
        let root = self.path().to_str().unwrap().to_string();
        let mut all = vec!["--repo", root.as_str(), "--color", "never"];
        all.extend_from_slice(args);
        std::process::Command::new(env!("CARGO_BIN_EXE_agentlock"))
            .args(&all)
            .current_dir(self.path())
            .output()
            .unwrap()
    }

    fn json(&self, files: &[&str]) -> serde_json::Value {
        let paths: Vec<String> = files
            .iter()
            .map(|f| self.traces(f).to_str().unwrap().to_string())
            .collect();
        let mut args = vec!["--format", "json", "traces"];
        args.extend(paths.iter().map(String::as_str));
        let out = self.run(&args);
        assert!(out.status.code().is_some_and(|c| c < 2), "{}", text(&out));
        serde_json::from_slice(&out.stdout).unwrap_or_else(|e| panic!("{e}: {}", text(&out)))
    }
}

fn text(o: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

fn codes(v: &serde_json::Value) -> Vec<String> {
    v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["code"].as_str().unwrap().to_string())
        .collect()
}

#[test]
fn conforming_traces_give_no_finding_in_either_shape_and_either_format() {
    let repo = Repo::new();
    for f in ["clean.jsonl", "clean_nested.jsonl", "clean_langfuse.json"] {
        let v = repo.json(&[f]);
        assert_eq!(codes(&v), Vec::<String>::new(), "{f}: {v:#}");
        let s = &v["summary"];
        assert_eq!(s["traces"], 1, "{f}: {s}");
        assert!(s["agent_spans"].as_u64().unwrap() >= 3, "{f}: {s}");
        let agents: Vec<&str> = s["agents"]
            .as_array()
            .unwrap()
            .iter()
            .map(|a| a["name"].as_str().unwrap())
            .collect();
        assert!(
            agents.contains(&"writer") && agents.contains(&"router"),
            "{f}: {agents:?}"
        );
        assert!(
            s["agents"]
                .as_array()
                .unwrap()
                .iter()
                .all(|a| a["declared"] == true),
            "{f}: {s}"
        );
        let tools = s["tools"].as_array().unwrap();
        assert_eq!(tools[0]["name"], "github.create_issue", "{f}: {s}");
        assert_eq!(tools[0]["timeout_ms"], 20000, "{f}: {s}");
    }
    // all three files at once: three traces
    let v = repo.json(&["clean.jsonl", "clean_nested.jsonl", "clean_langfuse.json"]);
    assert_eq!(v["summary"]["traces"], 3, "{v:#}");
    assert_eq!(v["schema"], "agentlock.traces/v1");
}

#[test]
fn each_rule_fires_on_its_fixture_and_only_there() {
    let repo = Repo::new();
    let cases = [
        ("trace001_undeclared_agent.jsonl", "TRACE001"),
        ("trace002_undeclared_handoff.jsonl", "TRACE002"),
        ("trace003_loop_bound_exceeded.jsonl", "TRACE003"),
        ("trace004_undeclared_tool_call.jsonl", "TRACE004"),
        ("trace005_model_drift.jsonl", "TRACE005"),
        ("trace006_timeout_exceeded.jsonl", "TRACE006"),
        ("trace007_retry_limit_exceeded.jsonl", "TRACE007"),
        ("trace008_prompt_version_mismatch.jsonl", "TRACE008"),
        ("trace009_unknown_release.jsonl", "TRACE009"),
        ("trace010_incomplete_telemetry.jsonl", "TRACE010"),
        ("trace011_request_deadline_exceeded.jsonl", "TRACE011"),
        ("trace012_path_divergence.jsonl", "TRACE012"),
    ];
    for (file, code) in cases {
        let v = repo.json(&[file]);
        let got = codes(&v);
        assert!(
            !got.is_empty() && got.iter().all(|c| c == code),
            "{file}: {got:?}\n{v:#}"
        );
        // every finding points at the trace file, at a line, with a declaration label where
        // the rule breaks one
        for f in v["findings"].as_array().unwrap() {
            assert!(f["path"].as_str().unwrap().ends_with(file), "{f}");
            assert!(f["line"].as_u64().unwrap() >= 1, "{f}");
        }
    }
}

#[test]
fn a_finding_points_at_the_span_line_with_the_declaration_beside_it() {
    let repo = Repo::new();
    let path = repo.traces("trace008_prompt_version_mismatch.jsonl");
    let out = repo.run(&["traces", path.to_str().unwrap()]);
    let t = text(&out);
    assert_eq!(out.status.code(), Some(1), "{t}");
    assert!(t.contains("TRACE008"), "{t}");
    assert!(
        t.contains(
            "agent `writer` ran prompt `writer@0.9.0` in a trace; it declares `writer@1.0.0`"
        ),
        "{t}"
    );
    assert!(t.contains("agents.yaml"), "the declaration's label: {t}");
    assert!(
        t.contains("trace008_prompt_version_mismatch.jsonl:1:"),
        "the span is on line 1: {t}"
    );
    // the summary follows the findings
    assert!(t.contains("Agents") && t.contains("writer"), "{t}");
    assert!(
        t.contains("[ ] 3.3 Prompt version tracking verified"),
        "{t}"
    );
    // SARIF carries the finding too
    let out = repo.run(&["--format", "sarif", "traces", path.to_str().unwrap()]);
    let sarif: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(
        sarif["runs"][0]["results"][0]["ruleId"], "TRACE008",
        "{sarif}"
    );
}

#[test]
fn repeated_findings_are_one_with_a_count_and_the_checklist_is_ticked_on_clean_traces() {
    let repo = Repo::new();
    // the same undeclared agent in two files: one finding, seen twice
    let a = repo.traces("trace001_undeclared_agent.jsonl");
    let b = repo.path().join("traces/copy.jsonl");
    std::fs::write(
        &b,
        std::fs::read_to_string(&a)
            .unwrap()
            .replace("5b8efff7", "5b8efff8"),
    )
    .unwrap();
    let out = repo.run(&[
        "--format",
        "json",
        "traces",
        a.to_str().unwrap(),
        b.to_str().unwrap(),
    ]);
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let f = v["findings"].as_array().unwrap();
    assert_eq!(f.len(), 1, "{v:#}");
    assert!(
        f[0]["message"]
            .as_str()
            .unwrap()
            .contains("(seen 2 times; the first is shown)"),
        "{v:#}"
    );

    let v = repo.json(&["clean.jsonl"]);
    let items = v["checklist"].as_array().unwrap();
    let status = |item: &str| items.iter().find(|i| i["item"] == item).unwrap()["status"].clone();
    assert_eq!(status("Agent-level spans verified"), "ticked", "{items:?}");
    assert_eq!(status("Tool call spans verified"), "ticked", "{items:?}");
    assert_eq!(
        status("Prompt version tracking verified"),
        "ticked",
        "{items:?}"
    );
    // no golden case was traced: the deterministic-run item is not ticked
    assert_eq!(
        status("Deterministic runs verified (where applicable)"),
        "not_ticked",
        "{items:?}"
    );
}

#[test]
fn a_tool_call_the_model_asked_for_needs_a_tool_span() {
    let repo = Repo::new();
    let v = repo.json(&["trace010_incomplete_telemetry.jsonl"]);
    let messages: Vec<&str> = v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["message"].as_str().unwrap())
        .collect();
    assert!(
        messages.iter().any(|m| m.contains(
            "the model asked for tool `create_issue` (call `toolu_01`) and no tool span records the call"
        )),
        "{messages:#?}"
    );
    // clean.jsonl asks for a tool recorded by call id and for a handoff made as a tool call
    // (`transfer_to_writer`); clean_nested.jsonl asks in OTLP's structured form
    for f in ["clean.jsonl", "clean_nested.jsonl"] {
        assert_eq!(codes(&repo.json(&[f])), Vec::<String>::new(), "{f}");
    }
}

#[test]
fn spans_whose_parents_form_a_loop_are_said_once_per_trace() {
    let repo = Repo::new();
    // The root span under one of its descendants: 1 -> 9 -> 8 -> 1.
    let clean = std::fs::read_to_string(repo.traces("clean.jsonl")).unwrap();
    let looped = clean.replace(
        r#""spanId":"0000000000000001","parentSpanId":"""#,
        r#""spanId":"0000000000000001","parentSpanId":"0000000000000009""#,
    );
    assert_ne!(looped, clean);
    let path = repo.path().join("traces/looped.jsonl");
    std::fs::write(&path, looped).unwrap();
    let out = repo.run(&["--format", "json", "traces", path.to_str().unwrap()]);
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let loops: Vec<&str> = v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["code"] == "TRACE010")
        .map(|f| f["message"].as_str().unwrap())
        .filter(|m| m.contains("form a loop"))
        .collect();
    assert_eq!(loops.len(), 1, "{v:#}");
    assert!(
        loops[0].contains("has 3 spans whose parents form a loop"),
        "{loops:?}"
    );
}

#[test]
fn the_checklist_reads_traces_and_ticks_what_they_show() {
    let repo = Repo::new();
    let item = |v: &serde_json::Value, text: &str| -> serde_json::Value {
        v["sections"]
            .as_array()
            .unwrap()
            .iter()
            .flat_map(|s| s["items"].as_array().unwrap())
            .find(|i| i["text"] == text)
            .unwrap_or_else(|| panic!("{text}: {v:#}"))
            .clone()
    };
    // an item whose first rule did not run, and says why
    let not_run = |item: &serde_json::Value, why: &str| {
        assert_eq!(item["rules"][0]["status"], "not_run", "{item:#}");
        let reason = item["rules"][0]["reason"].as_str().unwrap();
        assert!(reason.contains(why), "{item:#}");
    };
    let checklist = |traces: &[&Path]| -> serde_json::Value {
        let mut args = vec!["--format", "json", "checklist"];
        for t in traces {
            args.extend(["--traces", t.to_str().unwrap()]);
        }
        serde_json::from_slice(&repo.run(&args).stdout).unwrap()
    };
    // without traces: not checked, and it says how
    let v = checklist(&[]);
    not_run(
        &item(&v, "Agent-level spans verified"),
        "checklist --traces FILE",
    );
    // with clean traces: ticked as far as rules go (a person still checks the rest), with
    // what was seen
    let clean = repo.traces("clean.jsonl");
    let v = checklist(&[&clean]);
    let agents = item(&v, "Agent-level spans verified");
    assert_eq!(agents["status"], "person", "{agents:#}");
    let rule = &agents["rules"][0];
    assert_eq!(rule["status"], "passed", "{rule:#}");
    assert_eq!(
        rule["scope"], "3 agent spans in 1 trace from 1 file",
        "{rule:#}"
    );
    // no golden case was seen twice: the deterministic-run item is not ticked, and says why
    not_run(
        &item(&v, "Deterministic runs verified (where applicable)"),
        "no golden case (`agentlock.case`) was seen in two traces",
    );
    // a failing trace fails its item, and the finding is in the checklist's evidence
    let bad = repo.traces("trace008_prompt_version_mismatch.jsonl");
    let v = checklist(&[&clean, &bad]);
    let prompts = item(&v, "Prompt version tracking verified");
    assert_eq!(prompts["status"], "failing", "{prompts:#}");
    assert_eq!(prompts["rules"][0]["findings"][0]["code"], "TRACE008");
    assert!(
        prompts["rules"][0]["findings"][0]["path"]
            .as_str()
            .unwrap()
            .ends_with("trace008_prompt_version_mismatch.jsonl"),
        "{prompts:#}"
    );
    // a trace file that cannot be opened stops the run
    let out = repo.run(&["checklist", "--traces", "no-such.jsonl"]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
}

#[test]
fn a_missing_file_is_an_error_and_bad_lines_are_findings() {
    let repo = Repo::new();
    let out = repo.run(&["traces", "no-such-file.jsonl"]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    assert!(text(&out).contains("error"), "{}", text(&out));
    let good = std::fs::read_to_string(repo.traces("clean.jsonl")).unwrap();
    let bad = repo.path().join("traces/bad.jsonl");
    let cut = &good[..good.len() / 2];
    std::fs::write(&bad, format!("not json\n{good}{cut}")).unwrap();
    let out = repo.run(&["--format", "json", "traces", bad.to_str().unwrap()]);
    let v: serde_json::Value =
        serde_json::from_slice(&out.stdout).unwrap_or_else(|e| panic!("{e}: {}", text(&out)));
    let got = codes(&v);
    assert!(got.iter().any(|c| c == "CONF001"), "{v:#}");
    // the good trace between the bad lines is still read and checked
    assert!(v["summary"]["traces"].as_u64().unwrap() >= 1, "{v:#}");
    let first = &v["findings"].as_array().unwrap()[0];
    assert_eq!(first["line"], 1, "{first}");
}

#[test]
fn explain_knows_every_trace_rule() {
    let repo = Repo::new();
    for i in 1..=12 {
        let code = format!("TRACE{i:03}");
        let out = repo.run(&["explain", &code]);
        assert!(out.status.success(), "{code}: {}", text(&out));
        assert!(
            text(&out).contains("## How to fix") || text(&out).contains("How to fix"),
            "{code}"
        );
    }
}

#[test]
fn the_report_in_each_format() {
    let repo = Repo::new();
    repo.traces("trace007_retry_limit_exceeded.jsonl");
    repo.traces("trace012_path_divergence.jsonl");
    let files = [
        "traces/trace007_retry_limit_exceeded.jsonl",
        "traces/trace012_path_divergence.jsonl",
    ];
    for (format, name) in [
        ("human", "traces.human"),
        ("json", "traces.json"),
        ("markdown", "traces.markdown"),
    ] {
        let mut args = vec!["--format", format, "traces"];
        args.extend(files);
        let out = repo.run(&args);
        assert_eq!(out.status.code(), Some(0), "warnings only: {}", text(&out));
        let shown = String::from_utf8(out.stdout)
            .unwrap()
            .replace(&repo.root, "sha256:CURRENT");
        snap!(name, shown);
    }
}
