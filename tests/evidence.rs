//! Evidence and the quality gate, end to end, on temporary git repositories: `evidence add`
//! (validation, storage, the index and its behaviour digest), staleness, the baseline read
//! from the last release tag, the EVAL rules, and `agentlock gate` in each format.

mod common;

use common::*;
use std::path::{Path, PathBuf};
use std::process::Output;

/// Cases of the generated happy-path dataset.
const CASES: usize = 30;

struct Repo {
    dir: tempfile::TempDir,
}

impl Repo {
    /// The clean fixture with a 30-case happy-path dataset (ids hp-001…), locked and committed.
    fn new() -> Repo {
        let dir = tempfile::tempdir().unwrap();
        copy_tree(&fixture("clean"), dir.path());
        let mut ds = String::from(
            "{\"_dataset\": {\"name\": \"golden_happy_path\", \"version\": \"2026.11\"}}\n",
        );
        for i in 1..=CASES {
            let critical = if i == 3 { ", \"critical\": true" } else { "" };
            ds.push_str(&format!(
                "{{\"id\": \"hp-{i:03}\", \"input\": \"request {i}\", \"expected\": {{\"route\": \"writer\"}}{critical}}}\n"
            ));
        }
        std::fs::write(dir.path().join("datasets/golden_happy_path.jsonl"), ds).unwrap();
        let repo = Repo { dir };
        repo.git(&["init", "-q"]);
        repo.lock();
        repo.commit("the fixture system");
        repo
    }

    fn root(&self) -> &Path {
        self.dir.path()
    }

    fn git(&self, args: &[&str]) -> String {
        git_in(self.root(), args)
    }

    fn commit(&self, message: &str) {
        self.git(&["add", "-A"]);
        self.git(&["commit", "-q", "--allow-empty", "-m", message]);
    }

    fn tag(&self, name: &str) {
        self.git(&["tag", "-a", name, "-m", name]);
    }

    fn run(&self, args: &[&str]) -> Output {
        let root = self.root().to_str().unwrap().to_string();
        let mut all = vec!["--repo", root.as_str(), "--color", "never"];
        all.extend_from_slice(args);
        let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_agentlock"));
        cmd.args(&all).current_dir(self.root());
        cmd.output().unwrap()
    }

    fn lock(&self) {
        let out = self.run(&["lock"]);
        assert!(out.status.success(), "{}", text(&out));
    }

    fn write(&self, path: &str, body: &str) -> PathBuf {
        let p = self.root().join(path);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(&p, body).unwrap();
        p
    }

    /// Writes results and adds them as evidence; panics unless it worked.
    fn add(&self, name: &str, body: &str) {
        self.write(name, body);
        let out = self.run(&["evidence", "add", name]);
        assert!(out.status.success(), "{}", text(&out));
        std::fs::remove_file(self.root().join(name)).unwrap();
    }

    /// The stored evidence file whose name ends in `.EXT` (the first found).
    fn stored(&self, ext: &str) -> PathBuf {
        std::fs::read_dir(self.root().join("evidence"))
            .unwrap()
            .map(|e| e.unwrap().path())
            .find(|p| p.extension().is_some_and(|x| x == ext))
            .unwrap()
    }

    fn edit(&self, path: &str, f: impl FnOnce(String) -> String) {
        let p = self.root().join(path);
        let t = std::fs::read_to_string(&p).unwrap();
        std::fs::write(&p, f(t)).unwrap();
    }
}

fn text(o: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

/// agentlock.eval/v1 results for every case: `pass(i)` and `score(i)` per case, two metrics.
fn results(pass: impl Fn(usize) -> bool, score: impl Fn(usize) -> f64) -> String {
    let mut out = String::new();
    for i in 1..=CASES {
        out.push_str(&format!(
            "{{\"dataset\": \"golden_happy_path\", \"case\": \"hp-{i:03}\", \"metric\": \"overall\", \"pass\": {}, \"latency_ms\": {}, \"cost_usd\": 0.01}}\n",
            pass(i),
            1000 + i * 10
        ));
        out.push_str(&format!(
            "{{\"dataset\": \"golden_happy_path\", \"case\": \"hp-{i:03}\", \"metric\": \"correctness\", \"score\": {}}}\n",
            score(i)
        ));
    }
    for ds in ["golden_edge_cases", "golden_failures"] {
        out.push_str(&format!(
            "{{\"dataset\": \"{ds}\", \"case\": 1, \"metric\": \"overall\", \"pass\": true}}\n"
        ));
    }
    out
}

fn good() -> String {
    results(|_| true, |i| 4.4 + (i % 3) as f64 * 0.1)
}

/// The findings of a JSON report (verify's or gate's), of one rule or (`""`) all.
fn findings(o: &Output, code: &str) -> Vec<serde_json::Value> {
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| code.is_empty() || f["code"] == code)
        .cloned()
        .collect()
}

/// The codes of a JSON report's findings, in order.
fn codes(o: &Output) -> Vec<String> {
    findings(o, "")
        .iter()
        .map(|f| f["code"].as_str().unwrap().to_string())
        .collect()
}

#[test]
fn evidence_add_stores_the_file_and_binds_it_to_the_lock() {
    let repo = Repo::new();
    repo.add("results.jsonl", &good());
    let index = std::fs::read_to_string(repo.root().join("evidence/index.toml")).unwrap();
    assert!(
        index.starts_with("# This file is generated by `agentlock evidence add`"),
        "{index}"
    );
    assert!(index.contains("harness = \"agentlock.eval/v1\""), "{index}");
    assert!(
        index.contains(
            "datasets = [\"golden_edge_cases\", \"golden_failures\", \"golden_happy_path\"]"
        ),
        "{index}"
    );
    assert!(index.contains(&format!("cases = {}", CASES + 2)), "{index}");
    assert!(index.contains("behaviour = \"sha256:"), "{index}");
    let stored: Vec<_> = std::fs::read_dir(repo.root().join("evidence"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".jsonl"))
        .collect();
    assert_eq!(stored.len(), 1, "{stored:?}");
    assert!(stored[0].starts_with("agentlock-eval-v1-"), "{stored:?}");
    // adding the same results again changes nothing
    let before = index.clone();
    repo.add("results.jsonl", &good());
    assert_eq!(
        std::fs::read_to_string(repo.root().join("evidence/index.toml")).unwrap(),
        before
    );
    // the gate's rules run and find nothing
    let out = repo.run(&["--format", "json", "verify"]);
    let c = codes(&out);
    assert!(
        c.iter().all(|c| !c.starts_with("EVAL") || c == "EVAL002"),
        "{c:?}"
    );
}

/// Results a harness wrote can quote a credential (a model's output that echoes a token). Such
/// a file is not copied into the repository, where it would be committed: SECRET002 at its
/// line, exit 1, nothing written under evidence/, the value never printed.
#[test]
fn results_that_quote_a_credential_are_refused_and_never_copied() {
    const TOKEN: &str = "ghp_R7vX2mQ9kLp4TzW8nYc3HbJ6dFs1Ga5Ke0Uq";
    let repo = Repo::new();
    let mut body = good();
    body.push_str(&format!(
        "{{\"dataset\": \"golden_happy_path\", \"case\": \"hp-001\", \"metric\": \"overall\", \"pass\": true, \"output\": \"use {TOKEN} to open the issue\"}}\n"
    ));
    repo.write("results.jsonl", &body);
    for format in ["human", "json"] {
        let out = repo.run(&["--format", format, "evidence", "add", "results.jsonl"]);
        assert_eq!(out.status.code(), Some(1), "{}", text(&out));
        assert!(!text(&out).contains(TOKEN), "{format}");
        if format == "json" {
            let f = findings(&out, "SECRET002");
            assert_eq!(f.len(), 1, "{}", text(&out));
            assert_eq!(f[0]["path"], "results.jsonl", "{f:?}");
        }
        assert!(!repo.root().join("evidence").exists(), "{format}");
    }
}

#[test]
fn bad_results_get_a_finding_at_their_line_and_nothing_is_stored() {
    let repo = Repo::new();
    let mut body = good();
    body.push_str("{\"dataset\": \"golden_happy_path\", \"case\": \"hp-999\", \"metric\": \"overall\", \"pass\": true}\n");
    body.push_str("{\"dataset\": \"golden_unknown\", \"case\": \"hp-001\", \"metric\": \"overall\", \"pass\": true}\n");
    repo.write("results.jsonl", &body);
    let out = repo.run(&["--format", "json", "evidence", "add", "results.jsonl"]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let f = v["findings"].as_array().unwrap();
    assert_eq!(f.len(), 2, "{f:?}");
    assert_eq!(f[0]["path"], "results.jsonl");
    assert_eq!(f[0]["line"], 2 * CASES as u64 + 3);
    assert!(
        f[0]["message"].as_str().unwrap().contains("case id"),
        "{f:?}"
    );
    assert_eq!(f[1]["line"], 2 * CASES as u64 + 4);
    assert!(f[1]["message"].as_str().unwrap().contains("golden_unknown"));
    assert!(!repo.root().join("evidence").exists());
    // a dataset version other than the locked one
    repo.write(
        "old.jsonl",
        "{\"dataset\": \"golden_happy_path@2026.10\", \"case\": \"hp-001\", \"metric\": \"overall\", \"pass\": true}\n",
    );
    let out = repo.run(&["evidence", "add", "old.jsonl"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(text(&out).contains("2026.10"), "{}", text(&out));
    // a file outside the repository is refused
    let outside = tempfile::NamedTempFile::new().unwrap();
    let out = repo.run(&["evidence", "add", outside.path().to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    assert!(
        text(&out).contains("outside the repository"),
        "{}",
        text(&out)
    );
    assert!(!repo.root().join("evidence").exists());
}

#[test]
fn a_result_that_is_no_item_is_said_once_and_past_five_the_rest_are_counted() {
    let repo = Repo::new();
    // DeepEval: one test case gives three observations (overall and two metrics), at one span.
    let case = |id: &str| {
        format!(
            "{{\"name\": \"test_case_0\", \"input\": \"q\", \"success\": true, \"metricsData\": [{{\"name\": \"a\", \"success\": true, \"score\": 1.0}}, {{\"name\": \"b\", \"success\": true, \"score\": 0.9}}], \"additionalMetadata\": {{\"id\": \"{id}\", \"dataset\": \"golden_happy_path\"}}}}"
        )
    };
    let run = |ids: &[String]| {
        let cases: Vec<String> = ids.iter().map(|i| case(i)).collect();
        format!("{{\"testCases\": [\n{}\n]}}\n", cases.join(",\n"))
    };
    let add = |name: &str, ids: &[String]| {
        repo.write(name, &run(ids));
        let out = repo.run(&[
            "--format",
            "json",
            "evidence",
            "add",
            "--harness",
            "deepeval",
            name,
        ]);
        assert_eq!(out.status.code(), Some(1), "{}", text(&out));
        findings(&out, "CONF001")
    };
    let f = add("one.json", &["hp-001".into(), "zz-1".into()]);
    assert_eq!(f.len(), 1, "{f:?}");
    assert_eq!(f[0]["line"], 3);
    // Twelve cases that are no items: five said, then one finding counts the other seven,
    // at the sixth.
    let ids: Vec<String> = (1..=12).map(|i| format!("zz-{i}")).collect();
    let f = add("many.json", &ids);
    let lines: Vec<u64> = f.iter().map(|f| f["line"].as_u64().unwrap()).collect();
    assert_eq!(lines, [2, 3, 4, 5, 6, 7], "{f:?}");
    assert_eq!(
        f[5]["message"],
        "7 more results of this file are not items of golden_happy_path"
    );
    assert!(!repo.root().join("evidence").exists());
}

#[test]
fn an_empty_run_or_a_link_to_an_uploaded_one_is_no_evidence() {
    // As DeepEval leaves them: a run in which no test case ran, and one uploaded to Confident AI.
    let repo = Repo::new();
    for (name, body, says) in [
        (
            "empty.json",
            r#"{"testCases": [], "conversationalTestCases": [], "metricsScores": [], "runDuration": 0.0}"#,
            "the deepeval file holds no results",
        ),
        (
            "link.json",
            r#"{"testRunLink": "https://app.confident-ai.com/project/p/test-runs/r"}"#,
            "only a link to the run on Confident AI",
        ),
        (
            "empty.xml",
            "<testsuites/>",
            "the junit file holds no results",
        ),
    ] {
        repo.write(name, body);
        let out = repo.run(&[
            "--format",
            "json",
            "evidence",
            "add",
            "--dataset",
            "golden_happy_path",
            name,
        ]);
        assert_eq!(out.status.code(), Some(1), "{}", text(&out));
        let f = findings(&out, "CONF001");
        assert_eq!(f.len(), 1, "{f:?}");
        assert!(f[0]["message"].as_str().unwrap().contains(says), "{f:?}");
        assert_eq!(
            (f[0]["path"].as_str(), f[0]["line"].as_u64()),
            (Some(name), Some(1))
        );
    }
    assert!(!repo.root().join("evidence").exists());
}

#[test]
fn a_prompt_edit_stales_the_evidence_and_a_deploy_edit_does_not() {
    let repo = Repo::new();
    repo.add("results.jsonl", &good());
    repo.edit("deploy.yaml", |t| {
        t.replace("canary_percent: 5", "canary_percent: 10")
    });
    repo.lock();
    let out = repo.run(&["--format", "json", "verify"]);
    assert!(
        !codes(&out).contains(&"EVAL005".to_string()),
        "{}",
        text(&out)
    );
    repo.edit("prompts/writer.prompt", |t| {
        t.replace("a title", "a short title")
    });
    repo.lock();
    let out = repo.run(&["--format", "json", "verify"]);
    let c = codes(&out);
    assert!(c.contains(&"EVAL005".to_string()), "{c:?}");
    // stale evidence is left out: every case is now missing results
    assert!(c.contains(&"EVAL006".to_string()), "{c:?}");
}

/// The codes of a `gate --format json` report's findings.
fn gate_codes(v: &serde_json::Value) -> Vec<&str> {
    v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["code"].as_str().unwrap())
        .collect()
}

/// v1.0.0 with good evidence, then a candidate whose results regress on the same cases.
fn released() -> Repo {
    let repo = Repo::new();
    repo.add("results.jsonl", &good());
    repo.commit("evidence");
    repo.tag("v1.0.0");
    new_writer(&repo);
    repo.lock();
    repo
}

/// A new writer prompt, version bumped (PRM001 would block a reused version).
fn new_writer(repo: &Repo) {
    repo.edit("prompts/writer.prompt", |t| {
        t.replace("a title", "a short title")
            .replace("version: 1.0.0", "version: 1.1.0")
    });
    repo.edit("agents.yaml", |t| t.replace("writer@1.0.0", "writer@1.1.0"));
}

#[test]
fn a_significant_regression_against_the_release_blocks_the_gate() {
    let repo = released();
    // 8 cases go pass→fail; every score drops by 0.5–0.7
    repo.add(
        "results.jsonl",
        &results(
            |i| i > 8,
            |i| 3.9 - (i % 3) as f64 * 0.1 + if i == 3 { -1.5 } else { 0.0 },
        ),
    );
    repo.commit("candidate");
    let out = repo.run(&["gate"]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    let human = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(human.contains("BLOCKED"), "{human}");
    snap!("gate_blocked.human", human);
    let out = repo.run(&["--format", "markdown", "gate"]);
    snap!(
        "gate_blocked.markdown",
        String::from_utf8_lossy(&out.stdout).into_owned()
    );
    let out = repo.run(&["--format", "json", "gate"]);
    assert_eq!(out.status.code(), Some(1));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["schema"], "agentlock.gate/v1");
    assert_eq!(v["verdict"], "blocked");
    assert_eq!(v["base"]["tag"], "v1.0.0");
    let cmp = v["comparisons"].as_array().unwrap();
    let pass = cmp
        .iter()
        .find(|c| {
            c["dataset"] == "golden_happy_path"
                && c["metric"] == "overall"
                && c["measure"] == "pass_rate"
        })
        .unwrap();
    assert_eq!(pass["n"], CASES as u64);
    assert_eq!(pass["verdict"], "regressed");
    assert_eq!(pass["test"], "mcnemar-exact");
    // 8 discordant pairs, all pass→fail: p = 0.5^8
    let p = pass["p_value"].as_f64().unwrap();
    assert!((p - 0.5f64.powi(8)).abs() < 1e-12, "{p}");
    let score = cmp.iter().find(|c| c["metric"] == "correctness").unwrap();
    assert_eq!(score["measure"], "mean_score");
    assert_eq!(score["verdict"], "regressed");
    let ci = score["ci"].as_array().unwrap();
    assert!(ci[1].as_f64().unwrap() < 0.0, "{ci:?}");
    let codes = gate_codes(&v);
    for c in ["EVAL001", "EVAL002", "EVAL003"] {
        assert!(codes.contains(&c), "{c}: {codes:?}");
    }
    snap!(
        "gate_blocked.json",
        String::from_utf8_lossy(&out.stdout)
            .replace(&repo.git(&["rev-parse", "v1.0.0^{commit}"]), "<commit>")
    );
}

#[test]
fn the_same_quality_as_the_release_is_allowed() {
    let repo = released();
    // new results of the same quality: the scores move between cases, none drops overall
    repo.add(
        "results.jsonl",
        &results(|_| true, |i| 4.4 + ((i + 1) % 3) as f64 * 0.1),
    );
    repo.commit("candidate");
    let out = repo.run(&["gate"]);
    let t = text(&out);
    assert_eq!(out.status.code(), Some(0), "{t}");
    assert!(t.contains("ALLOWED"), "{t}");
    assert!(t.contains("rollback target v1.0.0"), "{t}");
    // diff names the evidence that changed since the release: the release's file was stale
    // after the prompt edit and the new results replaced it
    let d = text(&repo.run(&["diff"]));
    assert!(d.contains("Evidence:"), "{d}");
    assert!(d.contains("added evidence/agentlock-eval-v1-"), "{d}");
    assert!(d.contains("removed evidence/agentlock-eval-v1-"), "{d}");
    let v: serde_json::Value =
        serde_json::from_slice(&repo.run(&["--format", "json", "diff"]).stdout).unwrap();
    assert_eq!(v["evidence"].as_array().unwrap().len(), 2, "{v}");
    // the checklist ticks the quality gates with the evidence
    let out = repo.run(&["--format", "json", "checklist"]);
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let items: Vec<&serde_json::Value> = v["sections"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|s| s["items"].as_array().unwrap())
        .collect();
    for text in [
        "All golden tests pass successfully",
        "Results compared against last production baseline",
        "LLM-as-judge evaluation scores within acceptable range",
        "Golden dataset regression checks pass",
        "KPI regression checks pass",
    ] {
        let item = items.iter().find(|i| i["text"] == text).unwrap();
        assert_eq!(item["status"], "ticked", "{text}: {item}");
    }
    // ... and shows the figures it ticked them on
    let figures = |text: &str| -> Vec<String> {
        let item = items.iter().find(|i| i["text"] == text).unwrap();
        item["rules"]
            .as_array()
            .unwrap()
            .iter()
            .flat_map(|r| r["figures"].as_array().cloned().unwrap_or_default())
            .map(|f| f.as_str().unwrap().to_string())
            .collect()
    };
    let golden = figures("All golden tests pass successfully");
    assert!(
        golden
            .iter()
            .any(|f| f.contains("pass rate 100.0% (30 of 30 cases)")),
        "{golden:?}"
    );
    let compared = figures("Results compared against last production baseline");
    assert!(
        compared
            .iter()
            .any(|f| f.contains("against v1.0.0 over 30 cases paired, p = ") && f.ends_with("(ok)")),
        "{compared:?}"
    );
    let md = text(&repo.run(&["--format", "markdown", "checklist"]));
    assert!(
        md.contains("  - EVAL002: golden_happy_path 'correctness': "),
        "{md}"
    );
}

#[test]
fn moving_the_evidence_directory_does_not_hide_the_releases_evidence() {
    // Red team round 4: a pull request renamed evidence/ and set `[paths] evidence`, so the
    // release's evidence was looked for where the candidate keeps its own, was not found, and
    // the gate allowed a regression. The release's own agentlock.toml says where its is.
    // (Before the fix this run compared with nothing: "v1.0.0 holds no evidence"; in the red
    // team's repository the gate then said ALLOWED.)
    let repo = released();
    // The candidate's evidence only (the release's entries leave its index), then moved.
    repo.git(&["rm", "-q", "-r", "evidence"]);
    repo.add(
        "results.jsonl",
        &results(|_| true, |i| 3.9 - (i % 3) as f64 * 0.1),
    );
    repo.git(&["add", "-A"]);
    repo.git(&["mv", "evidence", "evals"]);
    repo.edit("evals/index.toml", |t| t.replace("evidence/", "evals/"));
    repo.edit("agentlock.toml", |t| {
        t.replacen("[project]", "[paths]\nevidence = \"evals\"\n\n[project]", 1)
    });
    repo.lock();
    repo.commit("candidate, evidence moved");
    assert!(!repo.root().join("evidence").exists());
    let out = repo.run(&["--format", "json", "gate"]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["verdict"], "blocked", "{v:#}");
    let codes = gate_codes(&v);
    assert!(codes.contains(&"EVAL002"), "{codes:?}");
    assert!(!codes.contains(&"EVAL001"), "{codes:?}");
    // Compared with the release's evidence, not "the last release holds no evidence".
    let score = v["comparisons"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["metric"] == "correctness")
        .unwrap();
    assert_eq!(score["verdict"], "regressed", "{score:#}");
}

#[test]
fn a_release_whose_evidence_cannot_be_read_blocks_rather_than_comparing_with_nothing() {
    // Red team round 4: a release whose evidence file no longer matched its recorded SHA-256
    // read as "holds no evidence" (info), and the gate allowed whatever the candidate scored.
    let repo = Repo::new();
    repo.add("results.jsonl", &good());
    let stored = repo.stored("jsonl");
    let mut bytes = std::fs::read(&stored).unwrap();
    bytes.extend_from_slice(b"{\"tampered\": true}\n");
    std::fs::write(&stored, bytes).unwrap();
    repo.commit("evidence, then edited");
    repo.tag("v1.0.0");
    new_writer(&repo);
    repo.git(&["rm", "-q", "-r", "evidence"]);
    repo.add("results.jsonl", &good());
    repo.lock();
    repo.commit("candidate");
    let out = repo.run(&["--format", "json", "gate"]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["verdict"], "blocked", "{v:#}");
    let base = findings(&out, "EVAL002");
    assert_eq!(base.len(), 1, "{base:?}");
    assert_eq!(base[0]["severity"], "error", "{base:?}");
    let message = base[0]["message"].as_str().unwrap();
    assert!(message.contains("cannot be read"), "{message}");
    assert!(message.contains("SHA-256"), "{message}");
}

#[test]
fn without_a_release_the_gate_says_so_and_blocks_on_the_rollback_target() {
    let repo = Repo::new();
    repo.add("results.jsonl", &good());
    repo.commit("evidence");
    let out = repo.run(&["--format", "json", "gate"]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    let info = findings(&out, "EVAL002");
    assert_eq!(info.len(), 1, "{info:?}");
    assert_eq!(info[0]["severity"], "info");
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let reasons = v["reasons"].as_array().unwrap();
    assert_eq!(reasons.len(), 1, "{reasons:?}");
    assert!(
        reasons[0].as_str().unwrap().contains("roll back"),
        "{reasons:?}"
    );
}

#[test]
fn an_open_critical_qa_issue_blocks() {
    let repo = Repo::new();
    repo.add("results.jsonl", &good());
    repo.add(
        "qa.yaml",
        "schema: agentlock.qa/v1\nreviewer: dana@example.com\nreviewed: 2026-11-28\nissues:\n  - id: QA-17\n    severity: critical\n    status: open\n    summary: Refund agent promises refunds over the limit\n",
    );
    let out = repo.run(&["--format", "json", "verify"]);
    let f = findings(&out, "EVAL008");
    assert_eq!(f.len(), 1, "{f:?}");
    assert!(f[0]["path"].as_str().unwrap().starts_with("evidence/"));
    assert_eq!(f[0]["line"], 5);
}

#[test]
fn kpis_of_deploy_yaml_are_measured_on_the_evidence() {
    let repo = Repo::new();
    repo.edit("deploy.yaml", |t| {
        t.replace("latency_p95: { sla: 20s }", "latency_p95: { sla: 1200ms }")
    });
    repo.lock();
    repo.add("results.jsonl", &good());
    let out = repo.run(&["--format", "json", "verify"]);
    let f = findings(&out, "EVAL004");
    assert_eq!(f.len(), 1, "{f:?}");
    // p95 of 1010..1300 step 10, linear interpolation: 1285.5
    assert!(
        f[0]["message"].as_str().unwrap().contains("1285.5 ms"),
        "{f:?}"
    );
}

#[test]
fn a_junit_report_with_failures_blocks_with_a_finding_per_failed_test() {
    let repo = Repo::new();
    repo.add("results.jsonl", &good());
    repo.add(
        "report.xml",
        &std::fs::read_to_string(fixture("evidence/junit.xml")).unwrap(),
    );
    let out = repo.run(&["--format", "json", "verify"]);
    let f = findings(&out, "EVAL007");
    // one failure and one error; the skipped test is not a failure
    assert_eq!(f.len(), 2, "{f:?}");
    let m: Vec<&str> = f.iter().map(|f| f["message"].as_str().unwrap()).collect();
    assert!(
        m.iter()
            .any(|m| m.contains("test_handoff_to_billing failed")),
        "{m:?}"
    );
    assert!(m.iter().any(|m| m.contains("errored")), "{m:?}");
    assert!(
        f.iter()
            .all(|f| f["path"].as_str().unwrap().ends_with(".xml"))
    );
}

#[test]
fn promptfoo_results_are_paired_by_their_metadata_id() {
    let repo = Repo::new();
    let results: Vec<String> = (1..=CASES)
        .map(|i| {
            format!(
                r#"{{"promptIdx": 0, "testIdx": {i}, "testCase": {{"vars": {{"request": "request {i}"}}, "metadata": {{"id": "hp-{i:03}"}}}}, "success": {}, "score": 1, "namedScores": {{"correctness": 4.5}}, "latencyMs": 900, "cost": 0.001, "failureReason": 0}}"#,
                i != 7
            )
        })
        .collect();
    let file = format!(
        "{{\"evalId\": \"e\", \"results\": {{\"version\": 3, \"timestamp\": \"2026-12-01\", \"prompts\": [], \"results\": [\n{}\n], \"stats\": {{}}}}, \"config\": {{}}}}\n",
        results.join(",\n")
    );
    repo.write("results.json", &file);
    let out = repo.run(&[
        "evidence",
        "add",
        "--dataset",
        "golden_happy_path",
        "results.json",
    ]);
    let t = text(&out);
    assert!(out.status.success(), "{t}");
    assert!(
        t.contains("promptfoo: 30 cases of golden_happy_path, 60 observations"),
        "{t}"
    );
    let out = repo.run(&["--format", "json", "verify"]);
    let f = findings(&out, "EVAL001");
    assert_eq!(f.len(), 1, "{f:?}");
    assert_eq!(f[0]["line"], 8, "{f:?}");
    assert!(
        f[0]["message"].as_str().unwrap().contains("hp-007"),
        "{f:?}"
    );
}

/// Each rule of the EVAL family fires in one of these tests (tests/rules.rs leaves them here).
#[test]
fn every_evidence_rule_fires_here() {
    let source = include_str!("evidence.rs");
    for rule in agentlock::rules::RULES {
        if rule.needs.contains(&agentlock::finding::Need::Evidence) {
            assert!(
                source.contains(&format!("\"{}\"", rule.code)),
                "{} is asserted by no test here",
                rule.code
            );
        }
    }
}

/// The hex SHA-256 of `bytes`.
fn sha256_hex(bytes: &[u8]) -> String {
    use sha2::{Digest, Sha256};
    Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// `sha256:…` of a file of the repository, as the index records it.
fn sha256_of(repo: &Repo, path: &str) -> String {
    let bytes = std::fs::read(repo.root().join(path)).unwrap();
    format!("sha256:{}", sha256_hex(&bytes))
}

/// An index entry for `path`, recorded against another lock, covering the happy path.
fn stale_entry(path: &str, sha: &str) -> String {
    format!(
        "\n[[evidence]]\npath = \"{path}\"\nsha256 = \"{sha}\"\nharness = \"agentlock.eval/v1\"\nbehaviour = \"sha256:{:064}\"\ndatasets = [\"golden_happy_path\"]\ncases = 30\nobservations = 30\ntests = 0\n",
        1
    )
}

#[test]
fn evidence_add_removes_only_the_committed_evidence_a_stale_entry_recorded() {
    let repo = Repo::new();
    // committed: stale evidence as `evidence add` wrote it (its name is its harness and its
    // SHA-256's first 12 hex digits), and one edited since
    // (not the bytes of the fresh results added below, which would take the same name)
    let stale = format!("{}\n", good());
    let good_hex = &sha256_hex(stale.as_bytes())[..12];
    let old_path = format!("evidence/agentlock-eval-v1-{good_hex}.jsonl");
    let edited_path = format!("evidence/edited-{good_hex}.jsonl");
    let mine_path = format!("evidence/mine-{}.jsonl", &sha256_hex(b"precious\n")[..12]);
    let (old_path, edited_path, mine_path) =
        (old_path.as_str(), edited_path.as_str(), mine_path.as_str());
    repo.write(old_path, &stale);
    repo.write(edited_path, &stale);
    let old = sha256_of(&repo, old_path);
    let mut index = String::from("version = 1\n");
    index.push_str(&stale_entry(old_path, &old));
    index.push_str(&stale_entry(edited_path, &old));
    // an evidence directory's file whose name `evidence add` never gives, true SHA-256 and all
    repo.write("evidence/notes.jsonl", "mine\n");
    index.push_str(&stale_entry(
        "evidence/notes.jsonl",
        &sha256_of(&repo, "evidence/notes.jsonl"),
    ));
    // a hostile index: files outside the evidence directory, with their true SHA-256
    index.push_str(&stale_entry(
        "agentlock.toml",
        &sha256_of(&repo, "agentlock.toml"),
    ));
    repo.write(".env", "SECRET=local-untracked\n");
    index.push_str(&stale_entry(".env", &sha256_of(&repo, ".env")));
    std::fs::remove_file(repo.root().join(".env")).unwrap();
    // an untracked file in the evidence directory, with its true SHA-256
    repo.write(mine_path, "precious\n");
    index.push_str(&stale_entry(mine_path, &sha256_of(&repo, mine_path)));
    std::fs::remove_file(repo.root().join(mine_path)).unwrap();
    repo.write("evidence/index.toml", &index);
    repo.commit("a pull request's index");
    repo.write(".env", "SECRET=local-untracked\n");
    repo.write(mine_path, "precious\n");
    repo.edit(edited_path, |t| t + "\n");

    repo.write("results.jsonl", &good());
    let out = repo.run(&["evidence", "add", "results.jsonl"]);
    let t = text(&out);
    assert!(out.status.success(), "{t}");
    // the stale evidence, committed as recorded, is removed; nothing else is
    assert!(!repo.root().join(old_path).exists(), "{t}");
    assert!(t.contains(&format!("removed {old_path}")), "{t}");
    for (path, body) in [
        ("agentlock.toml", None),
        (".env", Some("SECRET=local-untracked\n")),
        (mine_path, Some("precious\n")),
        (edited_path, None),
        ("evidence/notes.jsonl", Some("mine\n")),
    ] {
        let p = repo.root().join(path);
        assert!(p.is_file(), "{path} was removed: {t}");
        if let Some(body) = body {
            assert_eq!(std::fs::read_to_string(&p).unwrap(), body);
        }
        assert!(!t.contains(&format!("removed {path}")), "{path}: {t}");
    }
    // each file left is said, with why, on a line of its own
    let line = |path: &str| {
        t.lines()
            .find(|l| l.starts_with(&format!("kept {path} (")))
            .unwrap_or_else(|| panic!("no line for {path}: {t}"))
            .to_string()
    };
    assert!(
        line("agentlock.toml").contains("outside the evidence directory"),
        "{t}"
    );
    assert!(
        line(".env").contains("outside the evidence directory"),
        "{t}"
    );
    assert!(line(mine_path).contains("not committed"), "{t}");
    assert!(line(edited_path).contains("SHA-256"), "{t}");
    assert!(
        line("evidence/notes.jsonl").contains("not one `evidence add` gives"),
        "{t}"
    );
    assert!(!t.contains("SECRET"), "{t}");
    // the stale entries left the index all the same
    let index = std::fs::read_to_string(repo.root().join("evidence/index.toml")).unwrap();
    for path in [
        "agentlock.toml",
        ".env",
        mine_path,
        old_path,
        edited_path,
        "notes.jsonl",
    ] {
        assert!(!index.contains(path), "{path}: {index}");
    }
    // untouched in git's view too
    let status = repo.git(&["status", "--porcelain"]);
    assert!(!status.contains("agentlock.toml"), "{status}");
}

#[test]
fn an_index_listing_a_file_many_times_reads_it_once_with_a_finding_for_the_repeats() {
    let repo = Repo::new();
    repo.add("results.jsonl", &good());
    repo.commit("evidence");
    let once = codes(&repo.run(&["--format", "json", "verify"]));
    let path = "evidence/index.toml";
    let index = std::fs::read_to_string(repo.root().join(path)).unwrap();
    let at = index.find("[[evidence]]").unwrap();
    let entry = index[at..].to_string();
    // the same entry 200 times, and once more under another path with the same SHA-256
    let stored = entry
        .lines()
        .find_map(|l| l.strip_prefix("path = \""))
        .unwrap()
        .trim_end_matches('"')
        .to_string();
    std::fs::copy(
        repo.root().join(&stored),
        repo.root().join("evidence/copy.jsonl"),
    )
    .unwrap();
    let mut repeated = index.clone();
    for _ in 0..199 {
        repeated.push('\n');
        repeated.push_str(&entry);
    }
    repeated.push('\n');
    repeated.push_str(&entry.replace(&stored, "evidence/copy.jsonl"));
    repo.write(path, &repeated);
    repo.commit("a repetitive index");
    let out = repo.run(&["--format", "json", "verify"]);
    let conf: Vec<_> = findings(&out, "CONF001")
        .into_iter()
        .filter(|f| f["message"].as_str().unwrap().contains("lists this file"))
        .collect();
    // one finding for all the repeats of the file, at the first repeat, in the index
    assert_eq!(conf.len(), 1, "{}", text(&out));
    let message = conf[0]["message"].as_str().unwrap();
    assert!(message.contains("200 more times"), "{message}");
    assert!(message.contains("read once"), "{message}");
    assert!(
        serde_json::to_string(&conf[0])
            .unwrap()
            .contains("index.toml"),
        "{}",
        conf[0]
    );
    // the results count once: the same findings otherwise
    let mut twice = codes(&out);
    let i = twice.iter().position(|c| c == "CONF001").unwrap();
    twice.remove(i);
    assert_eq!(twice, once);
    // the next `evidence add` writes the index without the repeats
    repo.add("results.jsonl", &good());
    let index = std::fs::read_to_string(repo.root().join(path)).unwrap();
    assert_eq!(index.matches("[[evidence]]").count(), 1, "{index}");
    let out = repo.run(&["--format", "json", "verify"]);
    assert_eq!(codes(&out), once, "{}", text(&out));
}

/// A results file is a file agentlock reads: a credential in it (model output quoting one, a
/// metric named after one) is SECRET002 at its place, and never printed.
#[test]
fn a_credential_in_the_evidence_is_found_and_never_printed() {
    let repo = Repo::new();
    let token = ["ghp_", "R8kWq3ZtY6vB1nM4xC7pL2sD9fG5hJ0aQe3T"].concat();
    // (`evidence add` refuses such results: one put in evidence/ by hand or another tool)
    repo.add("results.jsonl", &good());
    let stored = repo.stored("jsonl");
    let before = std::fs::read_to_string(&stored).unwrap();
    let body = format!(
        "{before}{{\"dataset\": \"golden_failures\", \"case\": 1, \"metric\": \"judge {token}\", \"score\": 1}}\n"
    );
    std::fs::write(&stored, &body).unwrap();
    // edited after it was added: no longer evidence (CONF001), still scanned
    let out = repo.run(&["--format", "json", "verify"]);
    assert!(!text(&out).contains(&token[4..16]), "{}", text(&out));
    let at_it = |code: &str| {
        findings(&out, code)
            .iter()
            .any(|f| f["path"].as_str().unwrap().starts_with("evidence/"))
    };
    assert!(at_it("SECRET002"), "{}", text(&out));
    let index = repo.root().join("evidence/index.toml");
    let listed = std::fs::read_to_string(&index).unwrap();
    let (old, new) = (sha256_hex(before.as_bytes()), sha256_hex(body.as_bytes()));
    std::fs::write(&index, listed.replace(&old, &new)).unwrap();
    let out = repo.run(&["--format", "json", "verify"]);
    assert!(!text(&out).contains(&token[4..16]), "{}", text(&out));
    let secrets = findings(&out, "SECRET002");
    assert_eq!(secrets.len(), 1, "{}", text(&out));
    assert!(
        secrets[0]["path"]
            .as_str()
            .unwrap()
            .starts_with("evidence/"),
        "{secrets:?}"
    );
}
