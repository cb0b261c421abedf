//! Organisation rules in Rego: every result shape, the span of each kind of `at`, the policy's
//! severities, exceptions and suppressions on them, `policy test`, `model`, bad policies, the
//! lock, and the shipped examples.

mod common;
use common::*;
use std::path::Path;

/// The clean fixture with `[policy] rego` naming `policy/*.rego` and these files.
fn repo(files: &[(&str, &str)]) -> tempfile::TempDir {
    let dir = copy_to_temp(&fixture("clean"));
    with_rego(dir.path(), files);
    dir
}

/// (code, severity, path, line, message) of every finding, in report order.
fn found(dir: &Path) -> Vec<(String, String, String, usize, String)> {
    let run = verify(dir, false);
    run.verified
        .findings
        .iter()
        .map(|f| {
            let (p, l, _) = run.verified.model.sources.locate(f.span);
            (
                f.code().to_string(),
                f.severity.as_str().to_string(),
                p.to_string(),
                l,
                f.message.clone(),
            )
        })
        .collect()
}

fn line_of(dir: &Path, path: &str, needle: &str) -> usize {
    let text = std::fs::read_to_string(dir.join(path)).unwrap();
    1 + text
        .lines()
        .position(|l| l.contains(needle))
        .unwrap_or_else(|| panic!("{needle} in {path}"))
}

const SHAPES: &str = r#"package acme.shapes

import rego.v1

# A string result: at the rule head.
deny contains "a string result" if { true }

# An object with msg and code, at a dotted path.
deny_timeout contains {"msg": "writer's timeout", "code": "ACME001", "at": "agents.writer.rate_limit"} if { true }

# An array path, into a tool definition.
warn_tool contains {"msg": "a tool", "code": "ACME002", "at": ["tools", "github", "tools", "create_issue", "description"]} if { true }

# A subject and no path: at the subject's declaration.
violation contains {"msg": "the reviewer", "subject": "reviewer"} if { true }

# A key that holds a dot (a model alias named `v1.5`) is one segment.
deny_dotted contains {"msg": "dotted", "code": "ACME003", "at": "models.v1.5.id"} if { true }

# A path to nothing declared: at its nearest declared ancestor.
deny_missing contains {"msg": "missing", "code": "ACME004", "at": "agents.router.no_such_key"} if { true }
"#;

#[test]
fn each_result_shape_points_at_its_place() {
    let dir = repo(&[("policy/shapes.rego", SHAPES)]);
    // A model alias whose name holds a dot.
    let models = std::fs::read_to_string(dir.path().join("models.yaml")).unwrap();
    std::fs::write(
        dir.path().join("models.yaml"),
        format!("{models}  v1.5:\n    provider: anthropic\n    id: claude-opus-4-7\n"),
    )
    .unwrap();
    let d = dir.path();
    let got = found(d);
    let head = |rule: &str| line_of(d, "policy/shapes.rego", &format!("{rule} contains"));
    let want = [
        (
            "acme.shapes.deny",
            "error",
            "policy/shapes.rego".to_string(),
            head("deny"),
            "a string result",
        ),
        (
            "ACME001",
            "error",
            "agents.yaml".into(),
            line_of(d, "agents.yaml", "writer:") + 4,
            "writer's timeout",
        ),
        (
            "ACME002",
            "warning",
            "tools/github.yaml".into(),
            line_of(d, "tools/github.yaml", "description:"),
            "a tool",
        ),
        (
            "acme.shapes.violation",
            "error",
            "agents.yaml".into(),
            line_of(d, "agents.yaml", "reviewer:"),
            "the reviewer",
        ),
        (
            "ACME003",
            "error",
            "models.yaml".into(),
            line_of(d, "models.yaml", "v1.5:") + 2,
            "dotted",
        ),
        (
            "ACME004",
            "error",
            "agents.yaml".into(),
            line_of(d, "agents.yaml", "router:"),
            "missing",
        ),
    ];
    for (code, sev, path, line, msg) in want {
        assert!(
            got.iter().any(|g| g.0 == code
                && g.1 == sev
                && g.2 == path
                && g.3 == line
                && g.4 == msg),
            "{code} {sev} {path}:{line} {msg} not in {got:#?}"
        );
    }
    assert_eq!(got.len(), 6, "{got:#?}");
}

const EXEMPT: &str = r#"package acme.ex

import rego.v1

# METADATA
# title: Agents have a max_tokens under 3000
# custom:
#   code: ACME010
deny_tokens contains {"msg": sprintf("agent %s may use %d tokens", [name, a.max_tokens]), "at": sprintf("agents.%s.max_tokens", [name])} if {
  some name, a in input.agents
  a.max_tokens > 3000
}

deny_always contains "always" if { true }

exception contains rules if { rules := ["always"] }
"#;

#[test]
fn exception_rules_severities_exceptions_and_suppressions_apply() {
    let dir = repo(&[("policy/ex.rego", EXEMPT)]);
    let d = dir.path();
    // The Rego `exception` exempts deny_always; deny_tokens finds the writer.
    let got = found(d);
    assert_eq!(
        got.iter().map(|g| g.0.as_str()).collect::<Vec<_>>(),
        ["ACME010"],
        "{got:#?}"
    );
    assert_eq!(got[0].3, line_of(d, "agents.yaml", "max_tokens: 4000"));
    // A severity in agentlock.toml.
    let manifest = std::fs::read_to_string(d.join("agentlock.toml")).unwrap();
    std::fs::write(
        d.join("agentlock.toml"),
        format!("{manifest}\n[policy.severity]\nACME010 = \"info\"\n"),
    )
    .unwrap();
    assert_eq!(found(d)[0].1, "info");
    // An exception in agentlock.toml.
    std::fs::write(
        d.join("agentlock.toml"),
        format!("{manifest}\n[[policy.exceptions]]\nrule = \"ACME010\"\nsubject = \"writer\"\nreason = \"TICKET-7\"\n"),
    )
    .unwrap();
    let run = verify(d, false);
    assert!(run.codes().is_empty(), "{:?}", run.places());
    assert_eq!(run.verified.suppressed, 1);
    // An inline suppression at the finding's line.
    std::fs::write(d.join("agentlock.toml"), &manifest).unwrap();
    let agents = std::fs::read_to_string(d.join("agents.yaml")).unwrap();
    std::fs::write(
        d.join("agents.yaml"),
        agents.replace(
            "max_tokens: 4000",
            "max_tokens: 4000 # agentlock: allow ACME010 -- the writer drafts long issues",
        ),
    )
    .unwrap();
    let run = verify(d, false);
    assert!(run.codes().is_empty(), "{:?}", run.places());
    assert_eq!(run.verified.suppressed, 1);
    // A suppression naming a code no rule declares is still reported.
    std::fs::write(
        d.join("agentlock.toml"),
        format!("{manifest}\n[policy.severity]\nACME999 = \"info\"\n"),
    )
    .unwrap();
    let model = agentlock::load::load_dir(d).unwrap();
    let policy = agentlock::policy::Policy::new(
        &model.config,
        &model.suppressions,
        &model.sources,
        &model.catalog(agentlock::rules::catalog()),
        today(),
    );
    assert!(
        policy
            .problems
            .iter()
            .any(|p| p.message.contains("ACME999")),
        "{:?}",
        policy
            .problems
            .iter()
            .map(|p| &p.message)
            .collect::<Vec<_>>()
    );
}

#[test]
fn bad_policies_are_pol002_at_their_line_and_the_run_completes() {
    let dir = repo(&[
        (
            "policy/a_syntax.rego",
            "package bad.syntax\n\nimport rego.v1\n\ndeny contains msg if {\n  msg := \n}\n",
        ),
        (
            "policy/b_eval.rego",
            "package bad.eval\n\nimport rego.v1\n\ndeny contains x if { x := 1 / 0 }\n",
        ),
        (
            "policy/c_builtin.rego",
            "package bad.builtin\n\nimport rego.v1\n\ndeny contains x if { x := http.send({\"url\": \"http://example.com\"}) }\n",
        ),
        (
            "policy/d_shape.rego",
            "package bad.shape\n\nimport rego.v1\n\ndeny contains 42 if { true }\n\nwarn contains {\"no\": \"msg\"} if { true }\n",
        ),
        (
            "policy/e_good.rego",
            "package good\n\nimport rego.v1\n\ndeny contains \"still evaluated\" if { true }\n",
        ),
    ]);
    let got = found(dir.path());
    let pol: Vec<(&str, usize)> = got
        .iter()
        .filter(|g| g.0 == "POL002")
        .map(|g| (g.2.as_str(), g.3))
        .collect();
    assert_eq!(
        pol,
        [
            ("policy/a_syntax.rego", 6),
            ("policy/b_eval.rego", 5),
            ("policy/c_builtin.rego", 5),
            ("policy/d_shape.rego", 5),
            ("policy/d_shape.rego", 7),
        ],
        "{got:#?}"
    );
    assert!(
        got.iter()
            .any(|g| g.4.contains("could not find function http.send")),
        "{got:#?}"
    );
    assert!(
        got.iter()
            .any(|g| g.0 == "good.deny" && g.4 == "still evaluated"),
        "{got:#?}"
    );
}

#[test]
fn a_rule_that_runs_too_long_is_stopped() {
    let dir = repo(&[(
        "policy/slow.rego",
        "package slow\n\nimport rego.v1\n\nn := numbers.range(1, 4000)\n\ndeny contains \"never\" if {\n  some i in n\n  some j in n\n  some k in n\n  i + j + k < 0\n}\n",
    )]);
    let start = std::time::Instant::now();
    let got = found(dir.path());
    assert_eq!(got.len(), 1, "{got:#?}");
    assert_eq!(got[0].0, "POL002");
    assert!(got[0].4.contains("ran longer than"), "{got:#?}");
    assert_eq!(got[0].3, 7);
    // (The limit is 5 s; the run ends soon after it, not after the 64e9 iterations.)
    assert!(start.elapsed().as_secs() < 120);
}

#[test]
fn a_rule_that_exhausts_memory_is_stopped_and_every_other_rule_is_evaluated() {
    // numbers.range allocates what its argument says at once (96 GB here): in agentlock's own
    // process the failed allocation aborted the run, or the system granted it and the range
    // filled memory for minutes. Rules run in a worker with a memory cap; the worker's death
    // names its rule. `grow` runs beside it (packages are evaluated in parallel), so the rule
    // to blame is found by running the rest again one at a time.
    let dir = repo(&[
        (
            "policy/bomb.rego",
            "package bomb\n\nimport rego.v1\n\ndeny contains \"never\" if {\n  xs := numbers.range(1, 4000000000)\n  count(xs) < 0\n}\n",
        ),
        (
            "policy/good.rego",
            "package good\n\nimport rego.v1\n\ndeny contains \"still evaluated\" if { true }\n\nwarn contains \"and this\" if { count(numbers.range(1, 20000)) > 0 }\n",
        ),
        (
            "policy/wide.rego",
            "package wide\n\nimport rego.v1\n\n# sprintf pads to the width it is given: 1e12 bytes.\nwarn contains x if { x := sprintf(\"%01000000000000d\", [1]) }\n",
        ),
    ]);
    let start = std::time::Instant::now();
    let got = found(dir.path());
    let pol: Vec<(&str, usize, &str)> = got
        .iter()
        .filter(|g| g.0 == "POL002")
        .map(|g| (g.2.as_str(), g.3, g.4.as_str()))
        .collect();
    assert_eq!(pol.len(), 2, "{got:#?}");
    assert_eq!((pol[0].0, pol[0].1), ("policy/bomb.rego", 5), "{got:#?}");
    assert!(
        pol[0]
            .2
            .contains("needed more than the 4 GiB of memory a policy may use"),
        "{got:#?}"
    );
    assert_eq!((pol[1].0, pol[1].1), ("policy/wide.rego", 6), "{got:#?}");
    // (A release build asks for the memory; a debug build's overflow check catches the width
    // first, and regorus's panic is caught in the worker and is the rule's error.)
    assert!(
        pol[1].2.contains("memory a policy may use")
            || pol[1].2.contains("the Rego interpreter failed on it (a bug in regorus): attempt to multiply with overflow"),
        "{got:#?}"
    );
    for (code, msg) in [("good.deny", "still evaluated"), ("good.warn", "and this")] {
        assert!(
            got.iter().any(|g| g.0 == code && g.4 == msg),
            "{code}: {got:#?}"
        );
    }
    // Stopped when the allocation failed, not after filling memory.
    assert!(start.elapsed().as_secs() < 60);
    // `policy test` runs its tests in a worker too: the bomb fails its test and is named.
    write(
        dir.path(),
        "policy/bomb_test.rego",
        "package bomb\n\nimport rego.v1\n\ntest_bomb if { count(deny) == 0 }\n",
    );
    std::fs::remove_file(dir.path().join("policy/wide.rego")).unwrap();
    let out = run_in(dir.path(), &["policy", "test"]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{stdout}");
    assert!(stdout.contains("FAIL  data.bomb.test_bomb"), "{stdout}");
    assert!(stdout.contains("memory a policy may use"), "{stdout}");
}

#[test]
fn the_lock_pins_each_policy_file_and_its_codes_are_rules_of_the_catalog() {
    let dir = repo(&[("policy/ex.rego", EXEMPT)]);
    let text = lock(dir.path());
    assert!(
        text.contains("rego = { \"policy/ex.rego\" = \"sha256:"),
        "{text}"
    );
    write(
        dir.path(),
        "policy/ex.rego",
        &EXEMPT.replace("3000", "3500"),
    );
    let model = agentlock::load::load_dir(dir.path()).unwrap();
    let again = agentlock::lock::Lock::from_model(&model, agentlock::rules::catalog()).to_toml();
    assert_ne!(text, again, "a changed policy changes the lock");
    let codes: Vec<&str> = model
        .catalog(agentlock::rules::catalog())
        .iter()
        .map(|m| m.code)
        .collect();
    assert!(codes.contains(&"ACME010") && codes.contains(&"acme.ex.deny_always"));
}

#[test]
fn no_rego_means_no_org_rules_and_no_evaluation() {
    let dir = copy_to_temp(&fixture("clean"));
    let out = run_in(dir.path(), &["--verbose", "verify", "--no-lock-check"]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!stderr.contains("rego"), "{stderr}");
    let model = agentlock::load::load_dir(dir.path()).unwrap();
    assert_eq!(
        model.catalog(agentlock::rules::catalog()).len(),
        agentlock::rules::RULES.len()
    );
}

#[test]
fn model_prints_every_key_of_the_schema() {
    let out = run_in(&root().join("example-repo"), &["--format", "json", "model"]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["schema"], "agentlock.model/v1");
    for key in [
        "project", "agents", "prompts", "tools", "models", "deploy", "datasets", "lock", "release",
    ] {
        assert!(v.get(key).is_some(), "{key}");
    }
    let agent_keys = [
        "file",
        "role",
        "prompt",
        "model",
        "model_id",
        "timeout_ms",
        "timeout_inherited",
        "retries",
        "rate_limit",
        "max_tokens",
        "tools",
        "handoffs",
    ];
    for (name, a) in v["agents"].as_object().unwrap() {
        for k in agent_keys {
            assert!(a.get(k).is_some(), "agents.{name}.{k}");
        }
        for h in a["handoffs"].as_array().unwrap() {
            assert!(h.get("to").is_some() && h.get("max_iterations").is_some());
        }
    }
    for (name, t) in v["tools"].as_object().unwrap() {
        for k in [
            "file",
            "version",
            "sources",
            "permissions",
            "timeout_ms",
            "rate_limit",
            "on_failure",
            "fallback",
            "tools",
        ] {
            assert!(t.get(k).is_some(), "tools.{name}.{k}");
        }
        for (tool, d) in t["tools"].as_object().unwrap() {
            for k in ["description", "inputSchema", "outputSchema", "annotations"] {
                assert!(d.get(k).is_some(), "tools.{name}.tools.{tool}.{k}");
            }
        }
    }
    for (name, m) in v["models"].as_object().unwrap() {
        for k in ["provider", "id", "fallback", "pinning", "retired"] {
            assert!(m.get(k).is_some(), "models.{name}.{k}");
        }
    }
    for (name, p) in v["prompts"].as_object().unwrap() {
        for k in ["version", "model", "path", "sha256", "owners"] {
            assert!(p.get(k).is_some(), "prompts.{name}.{k}");
        }
    }
    assert!(v["lock"]["root"].as_str().unwrap().starts_with("sha256:"));
    assert!(v["release"].is_null(), "example-repo is not in git here");
    // The agent whose timeout comes from `defaults` says so.
    assert!(
        v["agents"]
            .as_object()
            .unwrap()
            .values()
            .any(|a| a["timeout_inherited"] == true)
    );
}

/// Locks and tags the repository v1.0.0, then changes the writer's prompt.
fn released_then_changed(d: &Path) {
    lock(d);
    release_v1(d);
    let prompt = std::fs::read_to_string(d.join("prompts/writer.prompt")).unwrap();
    std::fs::write(
        d.join("prompts/writer.prompt"),
        format!("{prompt}\nOne more line.\n"),
    )
    .unwrap();
}

#[test]
fn in_git_the_release_says_what_changed_since_the_last_tag() {
    let dir = repo(&[]);
    let d = dir.path();
    released_then_changed(d);
    let out = run_in(d, &["model"]);
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["release"]["tag"], "v1.0.0", "{v:#}");
    let changed = v["release"]["changed"].as_array().unwrap();
    assert!(
        changed
            .iter()
            .any(|c| c["kind"] == "prompt" && c["change"] == "modified"),
        "{changed:?}"
    );
}

/// The worker is sent the sections of the input the policies read, and the lock and release
/// are built only when one reads them: a policy that does sees them whole, in `verify`.
#[test]
fn a_policy_that_reads_the_lock_and_the_release_sees_them_in_verify() {
    let policy = r#"package acme.release

import rego.v1

deny_changed contains {"msg": sprintf("%s since %s: %s", [c.key, input.release.tag, c.change]), "code": "ACME010"} if {
	some c in input["release"].changed
}

deny_root contains {"msg": sprintf("root %s", [substring(input.lock.root, 0, 7)]), "code": "ACME011"} if { true }
"#;
    let dir = repo(&[("policy/release.rego", policy)]);
    let d = dir.path();
    released_then_changed(d);
    let out = run_in(d, &["--format", "json", "verify"]);
    let found = findings(&out);
    let messages: Vec<&str> = found
        .iter()
        .filter(|f| f.0.starts_with("ACME"))
        .map(|f| f.3.as_str())
        .collect();
    assert!(
        messages.contains(&"writer@1.0.0 since v1.0.0: modified"),
        "{found:?}"
    );
    assert!(messages.contains(&"root sha256:"), "{found:?}");
}

/// A policy cannot speak for a built-in rule: a result that takes one of agentlock's codes is
/// reported under the rule's own, and POL002 says so; nothing is lost.
#[test]
fn a_result_with_a_built_in_code_keeps_the_rule_s_own_and_is_pol002() {
    let policy = r#"package acme.forged

import rego.v1

deny_secret contains {"msg": "forged one", "code": "SECRET002"} if { true }

# METADATA
# custom:
#   code: REL001
deny_lock contains "forged two" if { true }

deny_case contains {"msg": "forged three", "code": "rel001 "} if { true }

# METADATA
# title: "fast\n\n## 10. Deployment Sign-Off\n\n- [x] passed"
# custom:
#   code: "ORG1` <img src=x> @acme/admins |"
deny_shape contains {"msg": "forged four"} if { true }

deny_line contains {"msg": "forged five", "code": "Z\nagentlock: passed: 0 errors"} if { true }
"#;
    let dir = repo(&[("policy/forged.rego", policy)]);
    let found = found(dir.path());
    let codes = |m: &str| -> Vec<&str> {
        found
            .iter()
            .filter(|f| f.4.contains(m))
            .map(|f| f.0.as_str())
            .collect()
    };
    assert_eq!(
        codes("forged one"),
        ["acme.forged.deny_secret"],
        "{found:?}"
    );
    assert_eq!(codes("forged two"), ["acme.forged.deny_lock"], "{found:?}");
    assert_eq!(
        codes("forged three"),
        ["acme.forged.deny_case"],
        "{found:?}"
    );
    // A code that is not of a code's shape could write into any report: it is not taken.
    assert_eq!(
        codes("forged four"),
        ["acme.forged.deny_shape"],
        "{found:?}"
    );
    assert_eq!(codes("forged five"), ["acme.forged.deny_line"], "{found:?}");
    let pol: Vec<&str> = found
        .iter()
        .filter(|f| f.0 == "POL002")
        .map(|f| f.4.as_str())
        .collect();
    assert_eq!(pol.len(), 5, "{found:?}");
    assert!(
        pol.iter()
            .all(|m| !m.contains('\n') && !m.contains("<img") && !m.contains("agentlock: passed")),
        "{pol:?}"
    );
    // A title is one line in every report.
    let dir2 = dir.path();
    let out = run_in(dir2, &["--format", "markdown", "checklist"]);
    let md = String::from_utf8_lossy(&out.stdout);
    assert_eq!(
        md.lines()
            .filter(|l| l.starts_with("## 10. Deployment Sign-Off"))
            .count(),
        1,
        "{md}"
    );
    assert!(
        md.contains("acme.forged.deny_shape — fast ## 10. Deployment Sign-Off - \\[x\\] passed"),
        "{md}"
    );
    assert!(
        pol.iter()
            .any(|m| m.contains("the code SECRET002, which is agentlock's own rule's")),
        "{pol:?}"
    );
    assert!(pol.iter().any(|m| m.contains("the code REL001")), "{pol:?}");
}

/// An organisation rule is a test case of the JUnit report: its error fails the suite, as the
/// exit code does (JUnit listed only the registry's rules, so a failing policy showed green).
#[test]
fn junit_fails_on_an_organisation_rule_s_error() {
    let policy = "package acme.j\n\nimport rego.v1\n\ndeny contains {\"msg\": \"no\", \"code\": \"ACME042\"} if { true }\n";
    let dir = repo(&[("policy/j.rego", policy)]);
    lock(dir.path());
    let out = run_in(dir.path(), &["--format", "junit", "verify"]);
    assert_eq!(out.status.code(), Some(1));
    let xml = String::from_utf8_lossy(&out.stdout);
    assert!(xml.contains("failures=\"1\""), "{xml}");
    assert!(
        xml.contains("<testcase classname=\"agentlock.organisation\" name=\"ACME042 deny\">"),
        "{xml}"
    );
}

#[test]
fn policy_test_reports_each_test_and_exits_1_on_a_failure() {
    let passing = "package t\n\nimport rego.v1\n\ndeny contains \"x\" if { input.agents.a.timeout_ms > 10 }\n\ntest_found if { count(deny) == 1 with input as {\"agents\": {\"a\": {\"timeout_ms\": 20}}} }\n\ntest_not_found if { count(deny) == 0 with input as {\"agents\": {\"a\": {\"timeout_ms\": 5}}} }\n";
    let dir = repo(&[("policy/t.rego", passing)]);
    let out = run_in(dir.path(), &["policy", "test"]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{stdout}");
    assert!(stdout.contains("PASS  data.t.test_found"), "{stdout}");
    assert!(stdout.contains("PASS: 2 passed, 0 failed"), "{stdout}");
    write(
        dir.path(),
        "policy/t.rego",
        &format!("{passing}\ntest_wrong if {{ count(deny) == 3 }}\n"),
    );
    let out = run_in(dir.path(), &["--format", "json", "policy", "test"]);
    assert_eq!(out.status.code(), Some(1));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["schema"], "agentlock.policy-test/v1");
    assert_eq!(
        (v["passed"].as_u64(), v["failed"].as_u64()),
        (Some(2), Some(1))
    );
    let failed = v["tests"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["passed"] == false)
        .unwrap();
    assert_eq!(
        (failed["name"].as_str(), failed["line"].as_u64()),
        (Some("test_wrong"), Some(11))
    );
    // A policy that does not compile fails the run, at its line.
    write(
        dir.path(),
        "policy/u.rego",
        "package u\n\ndeny contains if {\n",
    );
    let out = run_in(dir.path(), &["policy", "test"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        String::from_utf8_lossy(&out.stdout).contains("ERROR policy/u.rego:"),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    // No policies at all: exit 2, with how to name them.
    let none = copy_to_temp(&fixture("clean"));
    let out = run_in(none.path(), &["policy", "test"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("[policy] rego"));
}

/// The shipped examples: their own tests pass, and on example-repo each finds what it is for.
#[test]
fn the_shipped_examples_pass_their_tests_and_find_what_they_are_for() {
    let dir = copy_to_temp(&root().join("example-repo"));
    let d = dir.path();
    for e in std::fs::read_dir(root().join("policy/examples")).unwrap() {
        let p = e.unwrap().path();
        std::fs::create_dir_all(d.join("policy")).unwrap();
        std::fs::copy(&p, d.join("policy").join(p.file_name().unwrap())).unwrap();
    }
    let manifest = std::fs::read_to_string(d.join("agentlock.toml")).unwrap();
    std::fs::write(
        d.join("agentlock.toml"),
        manifest.replacen("[policy]\n", "[policy]\nrego = [\"policy/*.rego\"]\n", 1),
    )
    .unwrap();
    let out = run_in(d, &["policy", "test"]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{stdout}");
    assert!(stdout.contains("10 passed, 0 failed"), "{stdout}");
    let got = found(d);
    let codes: std::collections::BTreeSet<&str> = got.iter().map(|g| g.0.as_str()).collect();
    // example-repo's summarizer holds a tool that comments on tickets; its servers come from
    // public registries.
    assert!(
        codes.contains("ORG001") && codes.contains("ORG005"),
        "{got:#?}"
    );
    // Each example's code is a rule of the catalog (for explain, severities, exceptions).
    let model = agentlock::load::load_dir(d).unwrap();
    let catalog = model.catalog(agentlock::rules::catalog());
    for code in ["ORG001", "ORG002", "ORG003", "ORG004", "ORG005", "ORG006"] {
        assert!(catalog.iter().any(|m| m.code == code), "{code}");
    }
}

#[test]
fn namespace_evaluates_only_the_packages_named() {
    let dir = repo(&[
        (
            "policy/a.rego",
            "package team.a\n\nimport rego.v1\n\ndeny contains \"from a\" if { true }\n",
        ),
        (
            "policy/b.rego",
            "package team.b\n\nimport rego.v1\n\ndeny contains \"from b\" if { true }\n",
        ),
    ]);
    let all = run_in(
        dir.path(),
        &["--format", "json", "verify", "--no-lock-check"],
    );
    assert_eq!(codes(&all), ["team.a.deny", "team.b.deny"]);
    let one = run_in(
        dir.path(),
        &[
            "--namespace",
            "team.b",
            "--format",
            "json",
            "verify",
            "--no-lock-check",
        ],
    );
    assert_eq!(codes(&one), ["team.b.deny"]);
    // explain knows the repository's own rules.
    let out = run_in(dir.path(), &["explain", "team.a.deny"]);
    assert_eq!(out.status.code(), Some(0));
    assert!(String::from_utf8_lossy(&out.stdout).contains("package `team.a` of policy/a.rego"));
}

#[test]
fn sarif_describes_the_organisation_rules_its_results_name() {
    let dir = repo(&[("policy/ex.rego", EXEMPT)]);
    let out = run_in(
        dir.path(),
        &["--format", "sarif", "verify", "--no-lock-check"],
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let run = &v["runs"][0];
    let results = run["results"].as_array().unwrap();
    assert!(
        results.iter().any(|r| r["ruleId"] == "ACME010"),
        "{results:?}"
    );
    for r in results {
        let i = r["ruleIndex"].as_u64().unwrap() as usize;
        assert_eq!(run["tool"]["driver"]["rules"][i]["id"], r["ruleId"]);
    }
}

#[test]
fn a_policy_glob_outside_the_repository_is_conf001_and_nothing_is_read() {
    let outer = tempfile::tempdir().unwrap();
    write(
        outer.path(),
        "evil.rego",
        "package evil\n\ndeny contains \"read from outside\" if { true }\n",
    );
    let dir = outer.path().join("repo");
    copy_tree(&fixture("clean"), &dir);
    let manifest = std::fs::read_to_string(dir.join("agentlock.toml")).unwrap();
    std::fs::write(
        dir.join("agentlock.toml"),
        manifest.replacen(
            "[policy.limits]",
            "[policy]\nrego = [\"../*.rego\", \"/tmp/*.rego\"]\n\n[policy.limits]",
            1,
        ),
    )
    .unwrap();
    let got = found(&dir);
    assert!(got.iter().all(|g| g.4 != "read from outside"), "{got:#?}");
    let conf: Vec<_> = got.iter().filter(|g| g.0 == "CONF001").collect();
    assert_eq!(conf.len(), 2, "{got:#?}");
    assert!(conf.iter().all(|g| g.2 == "agentlock.toml"));
}

#[test]
fn a_package_that_reads_another_sees_it_and_v0_and_v1_packages_mix() {
    // Packages that read only themselves are evaluated each on an engine of its own files;
    // one that reads another package (`data.lib…`, an import) on the engine of every file.
    let dir = repo(&[
        (
            "policy/lib.rego",
            "package lib\n\nimport rego.v1\n\nroles := {\"writer\", \"reviewer\"}\n",
        ),
        (
            "policy/team.rego",
            "package team\n\nimport rego.v1\n\ndeny contains sprintf(\"role %s is in the library\", [r]) if {\n  some r in data.lib.roles\n  r == \"writer\"\n}\n",
        ),
        (
            "policy/imported.rego",
            "package imported\n\nimport rego.v1\nimport data.lib\n\ndeny contains \"imported the library\" if { lib.roles[\"reviewer\"] }\n",
        ),
        (
            "policy/old.rego",
            "package old\n\ndeny[msg] { msg := \"v0 still evaluated\" }\n",
        ),
        (
            "policy/own.rego",
            "package own\n\nimport rego.v1\n\nok := true\n\ndeny contains \"reads only itself\" if { data.own.ok }\n",
        ),
        // `data.own.sub.flag` reads as its own data, but is the package below it.
        (
            "policy/own_sub.rego",
            "package own.sub\n\nimport rego.v1\n\nflag := true\n",
        ),
        (
            "policy/own_reads_sub.rego",
            "package own\n\nimport rego.v1\n\ndeny contains \"read the package below\" if { data.own.sub.flag }\n",
        ),
    ]);
    let got = found(dir.path());
    let messages: Vec<&str> = got.iter().map(|g| g.4.as_str()).collect();
    for m in [
        "role writer is in the library",
        "imported the library",
        "v0 still evaluated",
        "reads only itself",
        "read the package below",
    ] {
        assert!(messages.contains(&m), "{m}: {got:#?}");
    }
    assert!(!got.iter().any(|g| g.0 == "POL002"), "{got:#?}");
}

/// A policy is code a pull request can add: it sees every credential the secret scan found in
/// its redacted form, as `agentlock model` prints it, never the value, so it cannot print the
/// value in a form the output's redaction does not know (reversed, upper case, base64).
#[test]
fn a_policy_sees_credentials_only_redacted() {
    let token = ["ghp_", "fkCzJr4i0B3JrTAwR4y9ojfljoQoaF1Llqsa"].concat();
    let dir = repo(&[(
        "policy/leak.rego",
        r#"package leak

import rego.v1

deny contains msg if {
    some server in input.tools
    some t in server.tools
    msg := sprintf("rev=%s up=%s b64=%s", [strings.reverse(t.description), upper(t.description), base64.encode(t.description)])
}

deny contains {"msg": "keys seen", "at": "tools.github.version"} if {
    some name, _ in input.tools
    name == "github"
}
"#,
    )]);
    let tool = dir.path().join("tools/github.yaml");
    let text = std::fs::read_to_string(&tool).unwrap().replace(
        "description: Create a GitHub issue.",
        &format!("description: Create a GitHub issue with {token} please"),
    );
    std::fs::write(&tool, text).unwrap();
    let found = found(dir.path());
    let leak: Vec<&String> = found
        .iter()
        .filter(|f| f.0 == "leak.deny" && f.4.starts_with("rev="))
        .map(|f| &f.4)
        .collect();
    assert_eq!(leak.len(), 1, "{found:?}");
    let forms = [
        token.clone(),
        token.chars().rev().collect::<String>(),
        token.to_uppercase(),
        token[4..20].to_string(),
        token[4..20].chars().rev().collect::<String>(),
    ];
    for f in &found {
        for form in &forms {
            assert!(!f.4.contains(form.as_str()), "{form} in {f:?}");
        }
    }
    // The redacted form is what the rule saw (`ghp_…lqsa` reversed).
    assert!(leak[0].contains("asql…_phg"), "{}", leak[0]);
    // A path into the document still maps to its line.
    let line = line_of(dir.path(), "tools/github.yaml", "version:");
    assert!(
        found
            .iter()
            .any(|f| f.4 == "keys seen" && f.2 == "tools/github.yaml" && f.3 == line),
        "{found:?}"
    );
    // And `model` prints the same document.
    let out = run_in(dir.path(), &["--format", "json", "model"]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        !text.contains(&token) && text.contains("ghp_…lqsa"),
        "{text}"
    );
}

#[test]
fn the_rules_of_a_run_share_a_time_budget_and_those_left_out_are_pol002() {
    // Each rule loops to its own 5 s limit, and rules of one package run one after another:
    // without a budget for the run as a whole these four took 20 s (1,000 of them, 1.4 h).
    // With a budget of 3 s (the run's is 30 s) the first is stopped when it is spent, the
    // rest are not run, each a POL002 at its head; the other package is evaluated.
    let slow = |n: usize| {
        format!(
            "deny_r{n} contains msg if {{\n  n := count([1 | some i in numbers.range(1, 20000); some j in numbers.range(1, 20000)])\n  msg := sprintf(\"n=%d\", [n])\n}}\n"
        )
    };
    let text = format!(
        "package slow\n\nimport rego.v1\n\n{}",
        (1..=4).map(slow).collect::<Vec<_>>().join("\n")
    );
    let dir = repo(&[
        ("policy/slow.rego", &text),
        (
            "policy/good.rego",
            "package good\n\nimport rego.v1\n\ndeny contains \"still evaluated\" if { true }\n",
        ),
    ]);
    agentlock::rego::worker::use_executable(env!("CARGO_BIN_EXE_agentlock"));
    let model = agentlock::load::load_dir(dir.path()).unwrap();
    let lock = agentlock::lock::Lock::from_model(&model, agentlock::rules::catalog());
    let doc = agentlock::rego::document(&model, Some(&lock), None);
    let policies = agentlock::rego::compile(&model, agentlock::rules::catalog());
    let budget = std::time::Duration::from_secs(3);
    // The run ends at the budget (the rules left are "not evaluated", below), not after 4 × 5 s.
    let evaluated = agentlock::rego::evaluate_within(&model, policies, &doc, &[], budget);
    let errors: Vec<(&str, usize, &str)> = evaluated
        .errors
        .iter()
        .map(|e| {
            let (path, line, _) = model.sources.locate(e.span);
            (path, line, e.message.as_str())
        })
        .collect();
    let head = |n: usize| {
        line_of(
            dir.path(),
            "policy/slow.rego",
            &format!("deny_r{n} contains"),
        )
    };
    assert_eq!(
        errors.iter().map(|e| (e.0, e.1)).collect::<Vec<_>>(),
        (1..=4)
            .map(|n| ("policy/slow.rego", head(n)))
            .collect::<Vec<_>>(),
        "{errors:#?}"
    );
    assert!(
        errors[0]
            .2
            .starts_with("rule `deny_r1` of policy/slow.rego was stopped unfinished after"),
        "{errors:#?}"
    );
    for (n, e) in (2..=4).zip(&errors[1..]) {
        let want = format!(
            "rule `deny_r{n}` of policy/slow.rego was not evaluated: the run's policy time budget of 3 s was spent; the slowest rule: `deny_r1` of policy/slow.rego ("
        );
        assert!(e.2.starts_with(&want), "{want}\n{errors:#?}");
    }
    assert!(
        evaluated
            .findings
            .iter()
            .any(|f| f.code() == "good.deny" && f.message == "still evaluated"),
        "{:#?}",
        evaluated.findings
    );
}

#[test]
fn a_rego_glob_that_matches_no_file_is_conf002_at_its_value() {
    let dir = repo(&[]);
    let got = found(dir.path());
    let conf: Vec<_> = got.iter().filter(|g| g.0 == "CONF002").collect();
    assert_eq!(conf.len(), 1, "{got:#?}");
    assert_eq!(
        (conf[0].2.as_str(), conf[0].1.as_str()),
        ("agentlock.toml", "warning")
    );
    assert!(
        conf[0].4.contains("policy.rego `policy/*.rego`"),
        "{got:#?}"
    );
    // With a policy file there, it matches.
    write(dir.path(), "policy/a.rego", "package a\n\nimport rego.v1\n");
    assert!(!found(dir.path()).iter().any(|g| g.0 == "CONF002"));
}
