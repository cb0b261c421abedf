//! Every rule fires on its fixture repository, at the right file and line, and nothing else
//! fires there; the clean fixture and example-repo give no finding at all.
//! Rendered human and JSON output of each fixture is snapshot-tested (snapshots/).

mod common;
use common::*;

/// fixture → every (code, path, line) it must produce, and nothing more.
const CASES: &[(&str, &[Place])] = &[
    ("clean", &[]),
    ("conf001_alias_bomb", &[("CONF001", "tools/bomb.yaml", 5)]),
    (
        "conf001_bad_values",
        &[
            // CONF001 first: `rate_limit: fast` does not parse, so the writer has no rate
            // limit either (RUN004)
            ("CONF001", "agents.yaml", 15),
            ("CONF001", "agents.yaml", 16),
            ("CONF001", "agents.yaml", 17),
            ("RUN004", "agents.yaml", 11),
        ],
    ),
    (
        "conf001_binary_prompt",
        &[
            ("CONF001", "prompts/latin1.prompt", 1),
            ("CONF001", "prompts/logo.prompt", 1),
        ],
    ),
    (
        "conf001_dataset_line",
        &[("CONF001", "datasets/golden_failures.jsonl", 3)],
    ),
    ("conf001_deep_nesting", &[("CONF001", "tools/deep.json", 1)]),
    (
        "conf001_lfs_pointer",
        &[("CONF001", "datasets/golden_failures.jsonl", 1)],
    ),
    (
        "conf001_duplicate_prompt",
        &[("CONF001", "prompts/writer.prompt", 2)],
    ),
    (
        "conf001_duplicate_tool",
        &[("CONF001", "tools/github.yaml", 18)],
    ),
    ("conf001_invalid_json", &[("CONF001", "tools/jira.json", 5)]),
    ("conf001_invalid_yaml", &[("CONF001", "agents.yaml", 11)]),
    (
        "conf001_manifest_keys",
        &[
            ("CONF001", "agentlock.toml", 5),
            ("CONF001", "agentlock.toml", 8),
            ("CONF001", "agentlock.toml", 9),
            ("CONF001", "agentlock.toml", 12),
        ],
    ),
    (
        "conf001_no_front_matter",
        &[("CONF001", "prompts/notes.prompt", 1)],
    ),
    (
        "conf001_too_large",
        &[("CONF001", "prompts/writer.prompt", 1)],
    ),
    ("conf001_unknown_key", &[("CONF001", "agents.yaml", 13)]),
    (
        "conf002_unmatched_glob",
        &[("CONF002", "agentlock.toml", 11)],
    ),
    ("topo001_unbounded_cycle", &[("TOPO001", "agents.yaml", 18)]),
    ("topo001_self_loop", &[("TOPO001", "agents.yaml", 10)]),
    (
        "topo002_missing_timeout",
        &[
            ("TOPO002", "agents.yaml", 12),
            ("TOPO002", "agents.yaml", 22),
        ],
    ),
    (
        "topo003_missing_retry_limit",
        &[
            ("TOPO003", "agents.yaml", 12),
            ("TOPO003", "agents.yaml", 20),
        ],
    ),
    (
        "topo004_unknown_agent",
        &[
            ("TOPO004", "agents.yaml", 1),
            ("TOPO004", "agents.yaml", 18),
        ],
    ),
    (
        "topo005_unreachable_agent",
        &[("TOPO005", "agents.yaml", 28)],
    ),
    (
        "topo006_missing_role",
        &[
            ("TOPO006", "agents.yaml", 4),
            ("TOPO006", "agents.yaml", 19),
        ],
    ),
    (
        "prm002_invalid_prompt_version",
        &[
            ("PRM003", "agents.yaml", 13),
            ("PRM003", "agents.yaml", 21),
            ("PRM002", "prompts/reviewer.prompt", 2),
            ("PRM002", "prompts/writer.prompt", 3),
        ],
    ),
    (
        "prm003_unresolved_prompt",
        &[
            ("PRM003", "agents.yaml", 13),
            ("PRM003", "agents.yaml", 21),
            ("PRM005", "prompts/reviewer.prompt", 2),
            ("PRM005", "prompts/writer.prompt", 2),
        ],
    ),
    (
        "prm004_floating_prompt_ref",
        &[("PRM004", "agents.yaml", 13), ("PRM004", "agents.yaml", 21)],
    ),
    (
        "prm005_unused_prompt",
        &[("PRM005", "prompts/writer-old.prompt", 2)],
    ),
    (
        "tool009_unknown_tool",
        &[
            ("TOOL009", "agents.yaml", 17),
            ("TOOL009", "agents.yaml", 17),
            ("TOOL009", "agents.yaml", 17),
        ],
    ),
    (
        "tool006_invalid_tool_contract",
        &[
            ("TOOL006", "tools/jira.yaml", 9),
            ("TOOL006", "tools/jira.yaml", 17),
            ("TOOL006", "tools/jira.yaml", 22),
            ("TOOL006", "tools/jira.yaml", 25),
            ("TOOL006", "tools/jira.yaml", 35),
        ],
    ),
    (
        "tool008_suspicious_tool_description",
        &[
            ("TOOL008", "tools/notes.yaml", 10),
            ("TOOL008", "tools/notes.yaml", 16),
            ("TOOL008", "tools/notes.yaml", 20),
            ("TOOL008", "tools/notes.yaml", 24),
            ("TOOL008", "tools/notes.yaml", 28),
        ],
    ),
    (
        "model002_unknown_model",
        &[
            ("MODEL002", "agents.yaml", 7),
            ("MODEL002", "models.yaml", 3),
            ("MODEL002", "prompts/reviewer.prompt", 4),
        ],
    ),
    (
        "topo001_bound_over_limit",
        &[("TOPO001", "agents.yaml", 27)],
    ),
    (
        "topo003_retries_over_limit",
        &[("TOPO003", "agents.yaml", 21)],
    ),
    (
        "topo007_latency_budget_exceeded",
        &[("TOPO007", "agents.yaml", 1)],
    ),
    (
        "prm001_prompt_version_reused",
        &[
            ("REL002", "prompts/writer.prompt", 2),
            ("PRM001", "prompts/writer.prompt", 3),
        ],
    ),
    (
        "tool001_floating_tool_version",
        &[
            ("TOOL001", "tools/latest.yaml", 2),
            ("TOOL001", "tools/nosource.yaml", 1),
            ("TOOL001", "tools/npm-bare.yaml", 3),
            ("TOOL001", "tools/npm-range.yaml", 3),
            ("TOOL001", "tools/oci-tag.yaml", 3),
            ("TOOL001", "tools/pypi.yaml", 3),
            ("TOOL001", "tools/url.yaml", 3),
        ],
    ),
    (
        "tool002_broad_permission",
        &[
            ("TOOL002", "tools/github.yaml", 4),
            ("TOOL002", "tools/github.yaml", 4),
            ("TOOL002", "tools/github.yaml", 4),
            ("TOOL002", "tools/kb.yaml", 1),
        ],
    ),
    (
        "tool003_missing_tool_timeout",
        &[
            ("TOOL003", "tools/github.yaml", 6),
            ("TOOL003", "tools/kb.yaml", 1),
        ],
    ),
    (
        "tool004_missing_tool_rate_limit",
        &[("TOOL004", "tools/github.yaml", 1)],
    ),
    (
        "tool005_missing_failure_mode",
        &[
            ("TOOL005", "tools/ghost.yaml", 9),
            ("TOOL005", "tools/github.yaml", 1),
            ("TOOL005", "tools/kb.yaml", 8),
            ("TOOL005", "tools/self.yaml", 9),
            ("TOOL005", "tools/unused.yaml", 9),
        ],
    ),
    (
        "tool007_tool_changed_without_version_bump",
        &[
            ("REL002", "tools/github.yaml", 1),
            ("TOOL007", "tools/github.yaml", 2),
        ],
    ),
    (
        "run001_missing_cost_ceiling",
        &[("RUN001", "deploy.yaml", 1)],
    ),
    (
        "run001_no_deploy_file",
        &[
            ("OBS001", "agentlock.toml", 2),
            ("OBS002", "agentlock.toml", 2),
            ("OBS003", "agentlock.toml", 2),
            ("OBS003", "agentlock.toml", 2),
            ("OBS003", "agentlock.toml", 2),
            ("OBS003", "agentlock.toml", 2),
            ("OBS003", "agentlock.toml", 2),
            ("REL004", "agentlock.toml", 2),
            ("REL004", "agentlock.toml", 2),
            ("RUN001", "agentlock.toml", 2),
            ("RUN003", "agentlock.toml", 2),
        ],
    ),
    (
        "run002_missing_token_limit",
        &[("RUN002", "deploy.yaml", 1)],
    ),
    (
        "run003_missing_kill_switch",
        &[("RUN003", "deploy.yaml", 5)],
    ),
    ("run003_no_kill_switch", &[("RUN003", "deploy.yaml", 1)]),
    (
        "run004_missing_agent_rate_limit",
        &[("RUN004", "agents.yaml", 4), ("RUN004", "agents.yaml", 10)],
    ),
    ("obs001_tracing_disabled", &[("OBS001", "deploy.yaml", 11)]),
    (
        "obs002_llm_observability_disabled",
        &[("OBS002", "deploy.yaml", 12)],
    ),
    (
        "obs003_missing_kpi_baseline",
        &[("OBS003", "deploy.yaml", 13), ("OBS003", "deploy.yaml", 16)],
    ),
    (
        "rel004_missing_rollout_plan",
        &[("REL004", "deploy.yaml", 6), ("REL004", "deploy.yaml", 8)],
    ),
    ("rel004_unknown_strategy", &[("REL004", "deploy.yaml", 7)]),
    (
        "data001_missing_golden_dataset",
        &[
            ("DATA001", "agentlock.toml", 2),
            ("DATA001", "datasets/golden_edge_cases.jsonl", 1),
        ],
    ),
    (
        "pol002_broken_org_policy",
        &[
            ("POL002", "policy/rules.rego", 9),
            ("POL002", "policy/rules.rego", 12),
            ("POL002", "policy/syntax.rego", 6),
            ("ACME001", "agents.yaml", 16),
        ],
    ),
    (
        "pol001_expired_exception",
        &[
            ("POL001", "agentlock.toml", 13),
            ("POL001", "agentlock.toml", 16),
            ("POL001", "agents.yaml", 16),
            ("TOPO005", "agents.yaml", 28),
        ],
    ),
    (
        "prm006_unowned_prompt",
        &[
            ("PRM006", "prompts/reviewer.prompt", 2),
            ("PRM006", "prompts/writer.prompt", 2),
        ],
    ),
    ("prm006_no_codeowners", &[("PRM006", "agentlock.toml", 2)]),
    (
        "prm006_github_codeowners_first",
        &[
            ("PRM006", "prompts/reviewer.prompt", 2),
            ("PRM006", "prompts/writer.prompt", 2),
        ],
    ),
    (
        "conf001_codeowners_syntax",
        &[
            ("CONF001", "CODEOWNERS", 2),
            ("CONF001", "CODEOWNERS", 3),
            ("CONF001", "CODEOWNERS", 4),
            ("CONF001", "CODEOWNERS", 5),
        ],
    ),
    (
        "model001_floating_model",
        &[
            ("MODEL001", "models.yaml", 2),
            ("MODEL001", "models.yaml", 3),
            ("MODEL001", "models.yaml", 4),
        ],
    ),
    (
        "model003_retired_model",
        &[
            ("MODEL003", "models.yaml", 4),
            ("MODEL003", "models.yaml", 5),
        ],
    ),
    (
        "secret001_secret_in_prompt",
        &[("SECRET001", "prompts/writer.prompt", 8)],
    ),
    (
        "secret002_secret_in_config",
        &[
            ("SECRET002", "datasets/golden_failures.jsonl", 3),
            ("SECRET002", "tools/github.yaml", 5),
        ],
    ),
];

#[test]
fn every_fixture_gives_exactly_its_findings() {
    assert_cases(CASES, verify_fixture);
}

/// A fixture with a lockfile is verified against it (PRM001, TOOL007, REL002); the others are
/// verified without the lock check, so that each shows only its own rule.
fn verify_fixture(name: &str) -> Run {
    let dir = fixture(name);
    let locked = dir.join("agentlock.lock").exists();
    verify(&dir, locked)
}

/// An overlay holds only what differs from its base: a file that is the same as the base's
/// would hide which edit makes the rule fire.
#[test]
fn every_overlay_holds_only_what_differs() {
    let fixtures = root().join("tests/fixtures");
    let mut overlays = 0;
    for entry in std::fs::read_dir(&fixtures).unwrap() {
        let dir = entry.unwrap().path();
        if !dir.join(OVERLAY).is_file() {
            continue;
        }
        overlays += 1;
        for file in walkdir::WalkDir::new(&dir) {
            let file = file.unwrap();
            let rel = file.path().strip_prefix(&dir).unwrap();
            if !file.file_type().is_file() || rel == std::path::Path::new(OVERLAY) {
                continue;
            }
            let base = fixtures.join("clean").join(rel);
            assert!(
                std::fs::read(&base).ok() != Some(std::fs::read(file.path()).unwrap()),
                "{}: the same as clean's",
                file.path().display()
            );
        }
    }
    assert!(overlays > 40, "{overlays} overlays");
}

#[test]
fn every_fixture_directory_is_listed() {
    // tests/discover.rs lists the discover_* fixtures
    assert_listed(CASES, |p| {
        is_repo_fixture(p)
            && !p
                .file_name()
                .unwrap()
                .to_string_lossy()
                .starts_with("discover_")
    });
}

/// Every rule in the registry fires on a fixture named after it. The rules that need the
/// lockfile comparison are exercised by tests/lock.rs, which writes and edits lockfiles; those
/// that need release history (and the release halves of PRM001 and TOOL007) by tests/git.rs,
/// which builds repositories with release tags; those that need evidence by tests/evidence.rs;
/// the TRACE rules by tests/traces.rs, on a trace fixture per rule.
#[test]
fn every_rule_has_a_fixture_that_fires_it() {
    for rule in agentlock::rules::RULES {
        let code = rule.code;
        use agentlock::finding::Need;
        if rule.needs.iter().any(|n| {
            matches!(
                n,
                Need::Lock | Need::History | Need::Evidence | Need::Traces
            )
        }) {
            continue;
        }
        let prefix = code.to_ascii_lowercase();
        assert!(
            CASES
                .iter()
                .any(|(n, exp)| n.starts_with(&prefix) && exp.iter().any(|(c, _, _)| *c == code)),
            "no fixture fires {code}"
        );
    }
}

#[test]
fn snapshots_of_every_fixture() {
    // (the snapshots are written from here: insta files them beside the calling test)
    for (name, _) in CASES {
        let run = verify_fixture(name);
        snap!(format!("{name}.human"), run.human());
        snap!(format!("{name}.json"), run.json());
    }
}

#[test]
fn example_repo_passes_with_no_finding_at_all() {
    let run = verify(&root().join("example-repo"), true);
    assert!(run.verified.findings.is_empty(), "{}", run.human());
}

#[test]
fn json_report_has_the_design_shape() {
    let run = verify(&fixture("topo001_unbounded_cycle"), false);
    let v: serde_json::Value = serde_json::from_str(&run.json()).unwrap();
    assert_eq!(v["schema"], "agentlock.report/v1");
    let f = &v["findings"][0];
    let mut keys: Vec<&str> = f.as_object().unwrap().keys().map(String::as_str).collect();
    keys.sort();
    assert_eq!(
        keys,
        [
            "code", "column", "line", "message", "name", "path", "severity", "subject"
        ]
    );
    // and in the order DESIGN §4 writes them
    let text = run.json();
    let order: Vec<usize> = [
        "\"code\"",
        "\"name\"",
        "\"severity\"",
        "\"message\"",
        "\"path\"",
        "\"line\"",
        "\"column\"",
        "\"subject\"",
    ]
    .iter()
    .map(|k| text.find(k).unwrap())
    .collect();
    assert!(order.windows(2).all(|w| w[0] < w[1]), "{text}");
    assert_eq!(f["code"], "TOPO001");
    assert_eq!(f["name"], "unbounded-cycle");
    assert_eq!(f["subject"], "writer");
    assert_eq!(
        (f["line"].as_u64(), f["column"].as_u64()),
        (Some(18), Some(16))
    );
    assert_eq!(
        v["summary"],
        serde_json::json!({"error": 1, "warning": 0, "info": 0, "suppressed": 0})
    );
}

#[test]
fn a_bounded_cycle_is_accepted_and_the_cycle_is_printed() {
    // clean has writer → reviewer → writer with max_iterations on the back edge.
    assert!(
        verify(&fixture("clean"), false)
            .verified
            .findings
            .is_empty()
    );
    let run = verify(&fixture("topo001_unbounded_cycle"), false);
    assert_eq!(
        run.verified.findings[0].message,
        "unbounded agent loop: writer → reviewer → editor → writer"
    );
}

#[cfg(unix)]
#[test]
fn a_symlink_out_of_the_repository_is_refused_not_followed() {
    let outside = tempfile::tempdir().unwrap();
    std::fs::write(
        outside.path().join("stolen.prompt"),
        "---\nname: stolen\nversion: 1.0.0\n---\nSECRET-CONTENT\n",
    )
    .unwrap();
    let dir = copy_to_temp(&fixture("clean"));
    std::os::unix::fs::symlink(
        outside.path().join("stolen.prompt"),
        dir.path().join("prompts/stolen.prompt"),
    )
    .unwrap();
    std::os::unix::fs::symlink(
        outside.path().join("stolen.prompt"),
        dir.path().join("models.yaml.real"),
    )
    .unwrap();
    std::fs::remove_file(dir.path().join("models.yaml")).unwrap();
    std::os::unix::fs::symlink(
        outside.path().join("stolen.prompt"),
        dir.path().join("models.yaml"),
    )
    .unwrap();
    let run = verify(dir.path(), false);
    let places = run.places();
    assert!(
        places.contains(&("CONF001".into(), "prompts/stolen.prompt".into(), 1)),
        "{places:?}"
    );
    assert!(
        places.contains(&("CONF001".into(), "models.yaml".into(), 1)),
        "{places:?}"
    );
    assert!(!run.human().contains("SECRET-CONTENT"));
    assert!(
        !run.human().contains(&outside.path().display().to_string()),
        "the target path is not printed"
    );
    snap!("symlink_outside.human", run.human());
}

#[test]
fn severity_overrides_and_exceptions_apply() {
    let dir = copy_to_temp(&fixture("topo005_unreachable_agent"));
    let manifest = dir.path().join("agentlock.toml");
    let base = std::fs::read_to_string(&manifest).unwrap();
    std::fs::write(
        &manifest,
        format!("{base}\n[policy.severity]\nTOPO005 = \"off\"\n"),
    )
    .unwrap();
    assert!(verify(dir.path(), false).verified.findings.is_empty());

    std::fs::write(
        &manifest,
        format!("{base}\n[policy.severity]\nTOPO005 = \"error\"\n"),
    )
    .unwrap();
    let run = verify(dir.path(), false);
    assert_eq!(
        run.verified.findings[0].severity,
        agentlock::finding::Severity::Error
    );

    let exception = "\n[[policy.exceptions]]\nrule = \"TOPO005\"\nsubject = \"archivist\"\nreason = \"kept for the Q1 migration, TICKET-9\"\nexpires = \"2027-01-31\"\n";
    std::fs::write(&manifest, format!("{base}{exception}")).unwrap();
    let run = verify(dir.path(), false);
    assert!(run.verified.findings.is_empty());
    assert_eq!(run.verified.suppressed, 1);
    assert!(run.human().contains("1 suppressed"));

    // expired: the finding is back, and POL001 says why
    std::fs::write(
        &manifest,
        format!("{base}{}", exception.replace("2027-01-31", "2026-01-31")),
    )
    .unwrap();
    assert_eq!(verify(dir.path(), false).codes(), ["POL001", "TOPO005"]);

    // no reason: CONF001, and the exception does not apply
    std::fs::write(
        &manifest,
        format!(
            "{base}{}",
            exception.replace("reason = \"kept for the Q1 migration, TICKET-9\"\n", "")
        ),
    )
    .unwrap();
    assert_eq!(
        verify(dir.path(), false).sorted_codes(),
        ["CONF001", "TOPO005"]
    );
}

#[test]
fn codeowners_is_read_from_github_places_in_github_order() {
    // .github/ before the root (fixture prm006_github_codeowners_first), the root before docs/.
    let dir = copy_to_temp(&fixture("clean"));
    std::fs::create_dir_all(dir.path().join("docs")).unwrap();
    std::fs::write(
        dir.path().join("docs/CODEOWNERS"),
        "/docs/ @fixture/writers\n",
    )
    .unwrap();
    assert!(verify(dir.path(), false).verified.findings.is_empty());

    std::fs::remove_file(dir.path().join("CODEOWNERS")).unwrap();
    let run = verify(dir.path(), false);
    assert_eq!(run.codes(), ["PRM006", "PRM006", "PRM006"]);
    assert!(
        run.verified.findings[0]
            .message
            .contains("no rule in docs/CODEOWNERS matches"),
        "{}",
        run.human()
    );
}
