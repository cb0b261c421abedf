//! Policy as code: built-in packs, `extends` chains with policy files in the repository,
//! severities, limits, exceptions, inline suppressions, POL001, and the policy in the lockfile.

mod common;
use agentlock::finding::Severity;
use common::*;

fn with_manifest_tail(fixture_name: &str, tail: &str) -> tempfile::TempDir {
    let dir = copy_to_temp(&fixture(fixture_name));
    let manifest = dir.path().join("agentlock.toml");
    let base = std::fs::read_to_string(&manifest).unwrap();
    std::fs::write(&manifest, format!("{base}{tail}")).unwrap();
    dir
}

fn severities(run: &Run) -> Vec<(&'static str, Severity)> {
    run.verified
        .findings
        .iter()
        .map(|f| (f.code(), f.severity))
        .collect()
}

#[test]
fn the_clean_fixture_passes_every_built_in_pack() {
    for pack in ["default", "strict", "regulated"] {
        let dir = with_manifest_tail("clean", &format!("\n[policy]\nextends = \"{pack}\"\n"));
        let run = verify(dir.path(), false);
        assert!(run.verified.findings.is_empty(), "{pack}:\n{}", run.human());
    }
}

#[test]
fn example_repo_passes_every_built_in_pack() {
    for pack in ["strict", "regulated"] {
        let dir = copy_to_temp(&root().join("example-repo"));
        let manifest = dir.path().join("agentlock.toml");
        let text = std::fs::read_to_string(&manifest).unwrap();
        assert!(text.contains("extends = \"default\""));
        std::fs::write(
            &manifest,
            text.replace("extends = \"default\"", &format!("extends = \"{pack}\"")),
        )
        .unwrap();
        let run = verify(dir.path(), false);
        assert!(run.verified.findings.is_empty(), "{pack}:\n{}", run.human());
    }
}

#[test]
fn strict_promotes_hygiene_rules_to_errors() {
    let run = verify(&fixture("topo005_unreachable_agent"), false);
    assert_eq!(severities(&run), [("TOPO005", Severity::Warning)]);
    let dir = with_manifest_tail(
        "topo005_unreachable_agent",
        "\n[policy]\nextends = \"strict\"\n",
    );
    let run = verify(dir.path(), false);
    assert_eq!(severities(&run), [("TOPO005", Severity::Error)]);
}

#[test]
fn regulated_makes_every_rule_an_error() {
    let dir = with_manifest_tail("clean", "\n[policy]\nextends = \"regulated\"\n");
    let policy = policy_of(dir.path());
    assert_eq!(policy.chain, ["default", "strict", "regulated"]);
    for rule in agentlock::rules::RULES {
        assert_eq!(
            policy.severity(rule.code),
            Some(Severity::Error),
            "{} under regulated",
            rule.code
        );
    }
    // and its limits are the tightest
    assert_eq!(policy.limits.max_iterations.as_ref().unwrap().value, 3);
    assert_eq!(policy.limits.max_canary_percent.as_ref().unwrap().value, 10);
    assert!(policy.requires_expiry());
}

#[test]
fn the_project_overrides_a_pack_limit() {
    // strict allows loop bounds up to 5; the project allows 2, so the clean bound of 3 is over.
    let dir = with_manifest_tail("clean", "\n[policy]\nextends = \"strict\"\n");
    let manifest = dir.path().join("agentlock.toml");
    let text = std::fs::read_to_string(&manifest).unwrap();
    std::fs::write(
        &manifest,
        text.replace("[policy.limits]\n", "[policy.limits]\nmax_iterations = 2\n"),
    )
    .unwrap();
    let run = verify(dir.path(), false);
    assert_eq!(run.places(), [("TOPO001".into(), "agents.yaml".into(), 27)]);
    assert!(
        run.human()
            .contains("over the policy's max_iterations of 2")
    );
}

#[test]
fn a_policy_file_in_the_repository_extends_a_pack() {
    let dir = with_manifest_tail(
        "topo005_unreachable_agent",
        "\n[policy]\nextends = \"policy/platform.toml\"\n",
    );
    write(
        dir.path(),
        "policy/platform.toml",
        "# The platform team's policy, reviewed like code.\nextends = \"strict\"\n\n[severity]\nTOPO005 = \"off\"\n\n[limits]\nmax_canary_percent = 3\n",
    );
    let policy = policy_of(dir.path());
    assert_eq!(policy.chain, ["default", "strict", "policy/platform.toml"]);
    // TOPO005 is off; the canary of 5% is over the team's 3%, at error as strict says.
    let run = verify(dir.path(), false);
    assert_eq!(severities(&run), [("REL004", Severity::Error)]);
    let text = run.human();
    assert!(
        text.contains("the policy's limit: policy/platform.toml:8:22"),
        "{text}"
    );
}

#[test]
fn broken_extends_chains_are_conf001_at_the_extends_value() {
    let cases = [
        (
            "policy/missing.toml",
            None,
            "policy file `policy/missing.toml` does not exist",
        ),
        (
            "../outside.toml",
            None,
            "must be a path inside the repository",
        ),
        (
            "stirct",
            None,
            "unknown policy pack `stirct`. Did you mean `strict`?",
        ),
        (
            "policy/a.toml",
            Some("extends = \"policy/a.toml\"\n"),
            "makes a cycle of policies",
        ),
        (
            "policy/a.toml",
            Some("[limits]\nmax_retries = \"three\"\n"),
            "limits.max_retries",
        ),
    ];
    for (extends, file, message) in cases {
        let dir = with_manifest_tail("clean", &format!("\n[policy]\nextends = \"{extends}\"\n"));
        if let Some(text) = file {
            write(dir.path(), "policy/a.toml", text);
        }
        let run = verify(dir.path(), false);
        let conf: Vec<_> = run
            .verified
            .findings
            .iter()
            .filter(|f| f.code() == "CONF001")
            .collect();
        assert_eq!(conf.len(), 1, "{extends}: {}", run.human());
        assert!(
            conf[0].message.contains(message),
            "{extends}: {}",
            conf[0].message
        );
    }
}

#[test]
fn inline_suppressions_apply_to_their_line_or_the_next() {
    let dir = copy_to_temp(&fixture("topo005_unreachable_agent"));
    let agents = dir.path().join("agents.yaml");
    let text = std::fs::read_to_string(&agents).unwrap();
    // on the line of the finding
    let same = text.replace(
        "  archivist:\n",
        "  archivist:  # agentlock: allow TOPO005 -- kept for the Q1 migration, TICKET-9\n",
    );
    std::fs::write(&agents, &same).unwrap();
    let run = verify(dir.path(), false);
    assert!(run.verified.findings.is_empty(), "{}", run.human());
    assert_eq!(run.verified.suppressed, 1);
    // alone on the line above, by rule name
    let above = text.replace(
        "  archivist:\n",
        "  # agentlock: allow unreachable-agent -- kept for the Q1 migration, TICKET-9\n  archivist:\n",
    );
    std::fs::write(&agents, &above).unwrap();
    assert!(verify(dir.path(), false).verified.findings.is_empty());
    // two lines above: it covers nothing, and says so
    let far = text.replace(
        "  archivist:\n",
        "  # agentlock: allow TOPO005 -- kept for the Q1 migration, TICKET-9\n\n  archivist:\n",
    );
    std::fs::write(&agents, &far).unwrap();
    assert_eq!(
        verify(dir.path(), false).sorted_codes(),
        ["POL001", "TOPO005"]
    );
    // no reason: CONF001, and the finding stays
    let bare = text.replace(
        "  archivist:\n",
        "  archivist:  # agentlock: allow TOPO005\n",
    );
    std::fs::write(&agents, &bare).unwrap();
    let run = verify(dir.path(), false);
    assert_eq!(run.sorted_codes(), ["CONF001", "TOPO005"]);
    snap!("suppression_without_reason.human", run.human());
    // a code no rule has, or a rule no suppression may hide: CONF001 at the comment, the
    // suppression is ignored and the finding stays; the lock cannot be written
    for (comment, why) in [
        (
            "TOPO05",
            "unknown rule code `TOPO05` in a suppression. Did you mean `TOPO005`?",
        ),
        ("CONF001", "CONF001 cannot be suppressed"),
        (
            "TOPO005, expired-exception",
            "expired-exception cannot be suppressed",
        ),
    ] {
        let bad = text.replace(
            "  archivist:\n",
            &format!("  archivist:  # agentlock: allow {comment} -- r\n"),
        );
        std::fs::write(&agents, &bad).unwrap();
        let run = verify(dir.path(), false);
        assert_eq!(run.sorted_codes(), ["CONF001", "TOPO005"], "{comment}");
        let conf = &run.verified.findings[0];
        assert!(conf.message.starts_with(why), "{comment}: {}", conf.message);
        let model = agentlock::load::load_dir(dir.path()).unwrap();
        assert!(
            !agentlock::rules::conf::of_model(&model).is_empty(),
            "{comment}"
        );
    }
}

#[test]
fn prompts_take_html_comment_suppressions() {
    let dir = copy_to_temp(&fixture("prm005_unused_prompt"));
    let prompt = dir.path().join("prompts/writer-old.prompt");
    let text = std::fs::read_to_string(&prompt).unwrap();
    // PRM005 points at the name in the front matter: a YAML comment there …
    let yaml = text.replace(
        "name: writer\n",
        "name: writer  # agentlock: allow PRM005 -- kept for the rollback drill\n",
    );
    std::fs::write(&prompt, &yaml).unwrap();
    assert!(verify(dir.path(), false).verified.findings.is_empty());
    // … and an HTML comment in the body covers the body line it sits on or precedes.
    let body =
        format!("{text}<!-- agentlock: allow PRM005 -- nothing on the next line to suppress -->\n");
    std::fs::write(&prompt, &body).unwrap();
    assert_eq!(
        verify(dir.path(), false).sorted_codes(),
        ["POL001", "PRM005"]
    );
}

#[test]
fn regulated_refuses_exceptions_without_an_expiry() {
    let tail = "\n[policy]\nextends = \"regulated\"\n\n[[policy.exceptions]]\nrule = \"TOPO005\"\nsubject = \"archivist\"\nreason = \"kept for the Q1 migration, TICKET-9\"\n";
    let dir = with_manifest_tail("topo005_unreachable_agent", tail);
    let run = verify(dir.path(), false);
    assert_eq!(
        severities(&run),
        [("POL001", Severity::Error), ("TOPO005", Severity::Error)]
    );
    assert!(
        run.human()
            .contains("has no expiry date, which this policy requires")
    );
    // with a date it applies
    let dir = with_manifest_tail(
        "topo005_unreachable_agent",
        &format!("{tail}expires = 2027-01-31\n"),
    );
    let run = verify(dir.path(), false);
    assert!(run.verified.findings.is_empty(), "{}", run.human());
}

#[test]
fn an_exception_for_the_lock_rules_is_not_unused_when_the_lock_is_not_checked() {
    let tail = "\n[[policy.exceptions]]\nrule = \"REL001\"\nsubject = \"agentlock.lock\"\nreason = \"a fixture\"\nexpires = 2027-01-31\n";
    let dir = with_manifest_tail("clean", tail);
    assert!(verify(dir.path(), false).verified.findings.is_empty());
    let run = verify(dir.path(), true);
    assert!(run.verified.findings.is_empty(), "{}", run.human());
    assert_eq!(run.verified.suppressed, 1);
}

#[test]
fn loosening_the_policy_changes_the_lock() {
    let dir = copy_to_temp(&fixture("clean"));
    let before = lock(dir.path());
    assert!(before.contains("\n[policy]\nchain = \"default\"\nsha256 = "));
    // turn a rule off: the lock is stale, and says it is the policy that changed
    let manifest = dir.path().join("agentlock.toml");
    let base = std::fs::read_to_string(&manifest).unwrap();
    std::fs::write(
        &manifest,
        format!("{base}\n[policy.severity]\nTOPO005 = \"off\"\n"),
    )
    .unwrap();
    let run = verify(dir.path(), true);
    assert_eq!(run.codes(), ["REL002"]);
    assert!(
        run.verified.findings[0]
            .message
            .starts_with("policy differs from the lockfile: sha256"),
        "{}",
        run.verified.findings[0].message
    );
    // an inline suppression is policy too
    std::fs::write(&manifest, &base).unwrap();
    let agents = dir.path().join("agents.yaml");
    let text = std::fs::read_to_string(&agents).unwrap();
    std::fs::write(
        &agents,
        text.replace(
            "  reviewer:\n",
            "  reviewer:  # agentlock: allow RUN004 -- reviewed, TICKET-7\n",
        ),
    )
    .unwrap();
    let after = agentlock::lock::Lock::from_model(
        &agentlock::load::load_dir(dir.path()).unwrap(),
        agentlock::rules::catalog(),
    )
    .to_toml();
    assert_ne!(before, after);
    // a comment that is not a suppression is not
    std::fs::write(
        &agents,
        text.replace("  reviewer:\n", "  reviewer:  # the critic\n"),
    )
    .unwrap();
    let same = agentlock::lock::Lock::from_model(
        &agentlock::load::load_dir(dir.path()).unwrap(),
        agentlock::rules::catalog(),
    )
    .to_toml();
    assert_eq!(before, same);
}

#[test]
fn the_built_in_packs_are_well_formed() {
    for (name, text) in agentlock::load::config::PACKS {
        let dir = with_manifest_tail("clean", &format!("\n[policy]\nextends = \"{name}\"\n"));
        let model = agentlock::load::load_dir(dir.path()).unwrap();
        assert!(model.problems.is_empty(), "{name}: {:?}", model.problems);
        assert!(text.contains("description = "), "{name} has a description");
    }
}

#[test]
fn a_known_secret_is_allowed_by_fingerprint_and_only_that_one() {
    let run = verify(&fixture("secret002_secret_in_config"), false);
    assert_eq!(run.codes(), ["SECRET002", "SECRET002"]);
    let fingerprint = run.verified.findings[0].fingerprint.clone().unwrap();
    let tail = format!(
        "\n[[policy.secrets.allow]]\nfingerprint = \"{fingerprint}\"\nreason = \"a published test token, TICKET-9\"\n\n[[policy.secrets.allow]]\nfingerprint = \"00000000deadbeef\"\nreason = \"rotated in March\"\n"
    );
    let dir = with_manifest_tail("secret002_secret_in_config", &tail);
    let run = verify(dir.path(), false);
    // the allowed one is suppressed, the other still reported, the stale entry is POL001
    assert_eq!(run.codes(), ["POL001", "SECRET002"]);
    assert_eq!(run.verified.suppressed, 1);
    assert!(
        run.verified.findings[0]
            .message
            .contains("00000000deadbeef matched no credential")
    );
    // the allowlist is policy: it changes the lock
    let model = agentlock::load::load_dir(dir.path()).unwrap();
    let plain = agentlock::load::load_dir(&fixture("secret002_secret_in_config")).unwrap();
    assert_ne!(
        agentlock::lock::Lock::from_model(&model, agentlock::rules::catalog()).root(),
        agentlock::lock::Lock::from_model(&plain, agentlock::rules::catalog()).root()
    );
    // a malformed fingerprint is CONF001
    let dir = with_manifest_tail(
        "secret002_secret_in_config",
        "\n[[policy.secrets.allow]]\nfingerprint = \"ghp_\"\nreason = \"x\"\n",
    );
    assert!(verify(dir.path(), false).codes().contains(&"CONF001"));
}

#[test]
fn an_inline_allow_comment_suppresses_a_secret_on_its_line() {
    let dir = copy_to_temp(&fixture("secret002_secret_in_config"));
    let manifest = dir.path().join("tools/github.yaml");
    let text = std::fs::read_to_string(&manifest).unwrap();
    let line = text.lines().find(|l| l.starts_with("env:")).unwrap();
    std::fs::write(
        &manifest,
        text.replace(
            line,
            &format!("{line}  # agentlock: allow SECRET002 -- sandbox token, TICKET-3"),
        ),
    )
    .unwrap();
    let run = verify(dir.path(), false);
    assert_eq!(
        run.places(),
        [(
            "SECRET002".into(),
            "datasets/golden_failures.jsonl".into(),
            3
        )]
    );
    assert_eq!(run.verified.suppressed, 1);
}

/// The effective policy of a repository, over every rule.
fn policy_of(dir: &std::path::Path) -> agentlock::policy::Policy {
    let model = agentlock::load::load_dir(dir).unwrap();
    agentlock::policy::Policy::new(
        &model.config,
        &model.suppressions,
        &model.sources,
        agentlock::rules::catalog(),
        today(),
    )
}
