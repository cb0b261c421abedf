//! The CI formats of `verify` and `scan`: SARIF (validated against the SARIF 2.1.0 schema),
//! GitHub annotations (with escaping), JUnit and Markdown, snapshot-tested.

mod common;

use common::*;

fn out(dir: &std::path::Path, args: &[&str]) -> (i32, String) {
    let o = run_in(dir, args);
    (
        o.status.code().unwrap(),
        String::from_utf8(o.stdout).unwrap(),
    )
}

const LATENCY: &str = "topo007_latency_budget_exceeded";

#[test]
fn sarif_is_valid_sarif_2_1_0() {
    let schema: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(root().join("tests/fixtures/sarif/sarif-schema-2.1.0.json"))
            .unwrap(),
    )
    .unwrap();
    let validator = jsonschema::validator_for(&schema).unwrap();
    for (name, args) in [
        (
            LATENCY,
            vec!["--format", "sarif", "verify", "--no-lock-check"],
        ),
        (
            "topo001_unbounded_cycle",
            vec!["--format", "sarif", "verify", "--no-lock-check"],
        ),
        (
            "secret002_secret_in_config",
            vec!["--format", "sarif", "scan"],
        ),
        (
            "clean",
            vec!["--format", "sarif", "verify", "--no-lock-check"],
        ),
    ] {
        let (_, text) = out(&fixture(name), &args);
        let log: serde_json::Value = serde_json::from_str(&text).unwrap();
        let errors: Vec<String> = validator
            .iter_errors(&log)
            .map(|e| format!("{e} at {}", e.instance_path()))
            .collect();
        assert!(errors.is_empty(), "{name}: {errors:#?}");
        let run = &log["runs"][0];
        let rules = run["tool"]["driver"]["rules"].as_array().unwrap();
        assert_eq!(rules.len(), agentlock::rules::RULES.len());
        for r in rules {
            for key in ["shortDescription", "fullDescription", "help"] {
                assert!(
                    !r[key]["text"].as_str().unwrap().is_empty(),
                    "{name}: {} {key}",
                    r["id"]
                );
            }
        }
        for result in run["results"].as_array().unwrap() {
            let i = result["ruleIndex"].as_u64().unwrap() as usize;
            assert_eq!(rules[i]["id"], result["ruleId"]);
            let uri = result["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
                .as_str()
                .unwrap();
            assert!(!uri.starts_with('/') && !uri.contains('\\'), "{uri}");
            assert!(result["partialFingerprints"]["agentlock/v1"].is_string());
        }
    }
}

#[test]
fn sarif_fingerprints_survive_a_moved_line() {
    let dir = copy_to_temp(&fixture("topo001_unbounded_cycle"));
    let fp = |dir: &std::path::Path| {
        let (_, text) = out(dir, &["--format", "sarif", "verify", "--no-lock-check"]);
        let log: serde_json::Value = serde_json::from_str(&text).unwrap();
        let r = &log["runs"][0]["results"][0];
        (
            r["partialFingerprints"]["agentlock/v1"]
                .as_str()
                .unwrap()
                .to_string(),
            r["locations"][0]["physicalLocation"]["region"]["startLine"]
                .as_u64()
                .unwrap(),
        )
    };
    let before = fp(dir.path());
    let agents = std::fs::read_to_string(dir.path().join("agents.yaml")).unwrap();
    std::fs::write(
        dir.path().join("agents.yaml"),
        format!("# a comment\n\n{agents}"),
    )
    .unwrap();
    let after = fp(dir.path());
    assert_eq!(before.0, after.0);
    assert_eq!(before.1 + 2, after.1);
}

#[test]
fn snapshot_of_each_format() {
    for format in ["sarif", "github", "junit", "markdown"] {
        let (code, text) = out(
            &fixture(LATENCY),
            &["--format", format, "verify", "--no-lock-check"],
        );
        assert_eq!(code, 1, "{format}");
        snap!(format!("format_{format}"), text);
    }
    let (code, text) = out(
        &fixture("clean"),
        &["--format", "markdown", "verify", "--no-lock-check"],
    );
    assert_eq!(code, 0);
    snap!("format_markdown_clean", text);
    let (code, text) = out(
        &fixture("secret001_secret_in_prompt"),
        &["--format", "github", "scan"],
    );
    assert_eq!(code, 1);
    snap!("format_github_scan", text);
}

#[test]
fn github_annotations_escape_paths_and_messages() {
    let dir = copy_to_temp(&fixture("clean"));
    // A file name with the characters a property must escape, and a finding on it.
    std::fs::write(
        dir.path().join("prompts/odd,name:50%.prompt"),
        "---\nname: odd\nversion: latest\nmodel: fast\n---\nHi.\n",
    )
    .unwrap();
    let (_, text) = out(
        dir.path(),
        &["--format", "github", "verify", "--no-lock-check"],
    );
    let line = text
        .lines()
        .find(|l| l.starts_with("::error ") && l.contains("PRM002"))
        .unwrap_or_else(|| panic!("{text}"));
    assert!(line.starts_with("::error file=prompts/odd%2Cname%3A50%25.prompt,line=3,endLine=3,col=10,endColumn=16,title=PRM002 invalid-prompt-version::"), "{line}");
    // The message keeps `:` and `,`, escapes `%` and line breaks, and stays on one line.
    let message = line.split_once("::").unwrap().1.split_once("::").unwrap().1;
    assert!(!message.contains('\n'));
    assert!(message.contains("%0A"), "{message}");
    // A finding spanning lines has no columns.
    let (_, text) = out(
        &fixture(LATENCY),
        &["--format", "github", "verify", "--no-lock-check"],
    );
    for l in text.lines().filter(|l| l.starts_with("::")) {
        let props = l.split("::").nth(1).unwrap();
        let line = props
            .split("line=")
            .nth(1)
            .unwrap()
            .split(',')
            .next()
            .unwrap();
        let end = props
            .split("endLine=")
            .nth(1)
            .map(|s| s.split(',').next().unwrap());
        if end.is_some_and(|e| e != line) {
            assert!(!props.contains(",col="), "{l}");
        }
    }
    // The full list follows the annotations.
    assert!(text.contains("agents.yaml:1:8: error TOPO007:"), "{text}");
}

#[test]
fn junit_has_a_case_per_rule() {
    let (_, text) = out(
        &fixture(LATENCY),
        &["--format", "junit", "verify", "--no-lock-check"],
    );
    assert!(text.starts_with("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites"));
    assert_eq!(
        text.matches("<testcase ").count(),
        agentlock::rules::RULES.len()
    );
    assert_eq!(text.matches("<failure ").count(), 1);
    // REL001/REL002 (no lock check), the history rules (no git), the eight EVAL rules (no
    // evidence) and the twelve TRACE rules (`traces` runs them) did not run.
    assert_eq!(text.matches("<skipped ").count(), 24);
    let open = text
        .lines()
        .filter(|l| l.trim_start().starts_with("<testcase"))
        .count();
    let closed = text
        .lines()
        .filter(|l| l.trim_start().starts_with("<testcase") && l.ends_with("/>"))
        .count()
        + text.matches("</testcase>").count();
    assert_eq!(open, closed, "{text}");
}

#[test]
fn unsupported_formats_exit_2() {
    let dir = copy_to_temp(&fixture("clean"));
    for (format, cmd) in [
        ("sarif", "lock"),
        ("junit", "rules"),
        ("github", "diff"),
        ("markdown", "rules"),
        ("sarif", "rollback"),
        ("github", "checklist"),
    ] {
        let o = run_in(dir.path(), &["--format", format, cmd]);
        assert_eq!(o.status.code(), Some(2), "{format} {cmd}");
        assert!(
            String::from_utf8_lossy(&o.stderr)
                .contains(&format!("`--format {format}` is not available for `{cmd}`"))
        );
    }
    // Refused before anything was written.
    assert!(!dir.path().join("agentlock.lock").exists());
}

/// Past the Markdown table's 200 rows, errors are shown before warnings: warnings a pull
/// request plants in front cannot push an error out of the comment.
#[test]
fn past_the_markdown_row_limit_errors_come_first() {
    use agentlock::finding::{Finding, Severity};
    let mut sources = agentlock::source::SourceMap::default();
    let file = sources.add("agents.yaml".into(), None);
    let span = agentlock::source::Span::new(file, 0, 0);
    let meta = agentlock::rules::catalog()[0];
    let mut findings: Vec<Finding> = (0..210)
        .map(|i| {
            let mut f = Finding::new(meta, span, "s", format!("planted {i}"));
            f.severity = Severity::Warning;
            f
        })
        .collect();
    let mut real = Finding::new(meta, span, "s", "the real error");
    real.severity = Severity::Error;
    findings.push(real);
    let md = agentlock::report::markdown::render(&findings, 0, &sources, "", "verify");
    assert!(md.contains("the real error"), "{md}");
    assert!(!md.contains("planted 209"), "{md}");
}
