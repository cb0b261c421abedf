//! The pipeline, end to end: load a snapshot, compare the lockfile, run the rules a run can
//! run, apply the policy. Every command that checks a repository goes through here.

use crate::finding::Finding;
use crate::load::config::ConfigError;
use crate::load::model::Model;
use crate::load::{config, suppress};
use crate::snapshot::{ReadExt, Snapshot};
use crate::{finding, history, load, lock, policy, problem, rules, snapshot, source};

/// The result of `verify`: the model (with its sources, for rendering) and what the rules found.
pub struct Verified {
    pub model: Model,
    pub findings: Vec<Finding>,
    pub suppressed: usize,
    /// Each rule that was considered, with why it did not run (`None`: it ran).
    pub rules: Vec<(&'static rules::Rule, Option<NotRun>)>,
}

/// Why a rule did not run.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum NotRun {
    /// The policy turned it off.
    Off,
    /// The lockfile was not compared (`--no-lock-check`): REL001, REL002.
    NoLockCheck,
    /// No release history to compare with (not in git): REL003, DATA002.
    NoHistory,
    /// The repository has no agentlock.toml, so nothing declares what the rule checks
    /// (deploy.yaml, golden datasets).
    NoProject,
}

impl NotRun {
    pub fn as_str(self) -> &'static str {
        match self {
            NotRun::Off => "turned off by the policy",
            NotRun::NoLockCheck => "--no-lock-check",
            NotRun::NoHistory => "no git release history",
            NotRun::NoProject => "no agentlock.toml",
        }
    }
}

/// Why a rule does not run; `None` when it runs.
fn not_run(
    policy: &policy::Policy,
    rule: &finding::Meta,
    project: bool,
    lock_check: bool,
    with_history: bool,
) -> Option<NotRun> {
    use finding::Need;
    if !policy.enabled(rule.code) {
        Some(NotRun::Off)
    } else if rule.needs.contains(&Need::Project) && !project {
        Some(NotRun::NoProject)
    } else if rule.needs.contains(&Need::Lock) && !lock_check {
        Some(NotRun::NoLockCheck)
    } else if rule.needs.contains(&Need::History) && !with_history {
        Some(NotRun::NoHistory)
    } else {
        None
    }
}

/// Loads a snapshot, compares the lockfile (unless `lock_check` is off), runs every rule and
/// applies the policy. `today` (days since 1970-01-01) decides which exceptions have expired.
pub fn verify(
    snapshot: &dyn Snapshot,
    lock_check: bool,
    today: i64,
) -> Result<Verified, ConfigError> {
    let model = load::load(snapshot)?;
    Ok(check(model, snapshot, lock_check, None, today))
}

/// The rules over a loaded model: the lockfile (read from the same snapshot) unless
/// `lock_check` is off, and the release history when there is one (without it the history
/// rules, REL003 and DATA002 and the release halves of PRM001 and TOOL007, do not run).
pub fn check(
    mut model: Model,
    snapshot: &dyn Snapshot,
    lock_check: bool,
    history: Option<&history::History>,
    today: i64,
) -> Verified {
    let status = lock_check.then(|| {
        let current = lock::Lock::from_model(&model, rules::catalog());
        let limit = model.config.paths.max_file_size;
        lock::check(snapshot, &current, &mut model.sources, limit)
    });
    let policy = new_policy(&model, today);
    let ctx = rules::Context {
        model: &model,
        policy: &policy,
        lock: status.as_ref(),
        history,
    };
    let with_history = history.is_some();
    let project = model.config.project;
    // Whether each rule runs, decided once: for running it, for POL001 and for the report.
    let rules: Vec<(&'static rules::Rule, Option<NotRun>)> = rules::RULES
        .iter()
        .map(|&r| (r, not_run(&policy, r, project, lock_check, with_history)))
        .collect();
    let found: Vec<Finding> = rules
        .iter()
        .filter(|(_, not)| not.is_none())
        .flat_map(|(r, _)| (r.check)(&ctx))
        .collect();
    let mut outcome = policy.apply(found, &model.sources);
    let ran = |m: &finding::Meta| {
        rules
            .iter()
            .any(|(r, not)| r.code == m.code && not.is_none())
    };
    let unused = rules::policy::unused(&policy, &outcome.used, &model.sources, ran);
    outcome.findings.extend(unused);
    policy::sort(&mut outcome.findings, &model.sources);
    redact(&model, &mut outcome.findings);
    Verified {
        model,
        findings: outcome.findings,
        suppressed: outcome.suppressed,
        rules,
    }
}

/// What stops a model from being locked (a file that did not load, a policy naming no rule, a
/// definition made twice), as findings ready to render: ordered, credentials redacted.
pub fn unlockable(model: &Model) -> Vec<Finding> {
    let mut problems = rules::conf::of_model(model);
    policy::sort(&mut problems, &model.sources);
    redact(model, &mut problems);
    problems
}

/// The policy of a model, over every rule.
fn new_policy(model: &Model, today: i64) -> policy::Policy {
    policy::Policy::new(
        &model.config,
        &model.suppressions,
        &model.sources,
        rules::catalog(),
        today,
    )
}

/// The secret rules alone, and the policy, over a loaded model; and what in the policy named
/// no rule it can control.
fn secrets_only(model: Model, today: i64) -> (Verified, Vec<problem::Problem>) {
    let policy = new_policy(&model, today);
    let ctx = rules::Context {
        model: &model,
        policy: &policy,
        lock: None,
        history: None,
    };
    let secret_rules = [&rules::secrets::SECRET001, &rules::secrets::SECRET002];
    let found: Vec<Finding> = secret_rules
        .iter()
        .filter(|r| policy.enabled(r.code))
        .flat_map(|r| (r.check)(&ctx))
        .collect();
    let mut outcome = policy.apply(found, &model.sources);
    let unused = rules::policy::unused(&policy, &outcome.used, &model.sources, |r| {
        secret_rules.iter().any(|s| s.code == r.code)
    });
    outcome.findings.extend(unused);
    policy::sort(&mut outcome.findings, &model.sources);
    redact(&model, &mut outcome.findings);
    let rules = secret_rules
        .into_iter()
        .map(|r| (r, not_run(&policy, r, true, true, true)))
        .collect();
    let verified = Verified {
        model,
        findings: outcome.findings,
        suppressed: outcome.suppressed,
        rules,
    };
    (verified, policy.problems)
}

/// `agentlock scan` with no files: every file of the model, the secret rules only.
pub fn scan_model(snapshot: &dyn Snapshot, today: i64) -> Result<Verified, ConfigError> {
    let model = load::load(snapshot)?;
    Ok(secrets_only(model, today).0)
}

/// What `scan FILE…` found, and the files it could not scan (with why).
pub struct Scanned {
    pub verified: Verified,
    pub skipped: Vec<String>,
}

/// Why `scan FILE…` cannot run: files that do not exist (a typo must not pass CI).
pub struct Missing(pub Vec<String>);

/// Where a file named on the command line lies in the repository, by its path alone (no
/// symlink is followed here: the snapshot follows them, inside the repository only).
fn repo_path_of(
    worktree: &snapshot::Worktree,
    file: &std::path::Path,
) -> Option<snapshot::RepoPath> {
    let cwd = std::env::current_dir().ok()?;
    let abs = lexical(&cwd.join(file));
    let roots = [
        lexical(&cwd.join(worktree.root())),
        worktree.canonical_root().to_path_buf(),
    ];
    let rel = roots.iter().find_map(|r| abs.strip_prefix(r).ok())?;
    let text = rel.to_str()?.replace(std::path::MAIN_SEPARATOR, "/");
    snapshot::RepoPath::parse(if text.is_empty() { "." } else { &text }).ok()
}

/// `path` with `.` and `..` components resolved as text.
fn lexical(path: &std::path::Path) -> std::path::PathBuf {
    use std::path::Component;
    let mut out = std::path::PathBuf::new();
    for c in path.components() {
        match c {
            Component::ParentDir => {
                out.pop();
            }
            Component::CurDir => {}
            c => out.push(c),
        }
    }
    out
}

/// `agentlock scan FILE…`: the given files, whatever they are, relative to the current
/// directory, read through the repository's working tree like every other file (a file
/// outside the repository, or a symlink leading out of it, is not read). The repository's
/// agentlock.toml, if any, supplies the policy (allowlist, severities); without one the
/// default pack applies.
pub fn scan_files(
    worktree: &snapshot::Worktree,
    files: &[std::path::PathBuf],
    today: i64,
) -> Result<Result<Scanned, Missing>, ConfigError> {
    use snapshot::ReadError;
    let mut sources = source::SourceMap::default();
    let mut problems = Vec::new();
    let config = match worktree.read_str(config::MANIFEST, snapshot::DEFAULT_MAX_FILE_SIZE) {
        Err(snapshot::ReadError::NotFound) => config::Config::builtin(&mut sources, &mut problems),
        _ => config::load(worktree, &mut sources, &mut problems)?,
    };
    let limit = config.paths.max_file_size;
    let mut model = Model::new(sources, config);
    let mut skipped = Vec::new();
    let mut missing = Vec::new();
    let mut ids = Vec::new();
    for file in files {
        let Some(path) = repo_path_of(worktree, file) else {
            skipped.push(format!(
                "{}: outside the repository",
                source::shown_path(&file.to_string_lossy())
            ));
            continue;
        };
        let shown = path.as_str().to_string();
        let bytes = match worktree.read(&path, limit) {
            Ok(b) => b,
            Err(ReadError::NotFound) => {
                missing.push(source::shown_path(&shown).into_owned());
                continue;
            }
            Err(ReadError::TooLarge { size, limit }) => {
                skipped.push(format!(
                    "{shown}: {size} bytes, over the {limit}-byte limit"
                ));
                continue;
            }
            Err(e) => {
                skipped.push(format!("{shown}: {e}"));
                continue;
            }
        };
        let text = match load::decode_for_scan(&bytes) {
            Some(t) => t,
            None => {
                skipped.push(format!("{shown}: binary"));
                continue;
            }
        };
        let id = model.sources.add(shown.clone(), Some(text.clone()));
        model.suppressions.extend(suppress::scan(
            id,
            &shown,
            &text,
            suppress::Syntax::Prompt,
            &mut problems,
        ));
        ids.push(id);
    }
    if !missing.is_empty() {
        return Ok(Err(Missing(missing)));
    }
    load::scan_sources(&mut model, ids);
    let (mut verified, policy_problems) = secrets_only(model, today);
    // A malformed suppression in a scanned file is reported with the secrets.
    problems.extend(policy_problems);
    verified.findings.extend(rules::conf::findings(&problems));
    policy::sort(&mut verified.findings, &verified.model.sources);
    Ok(Ok(Scanned { verified, skipped }))
}

/// Replaces any credential's value in the findings' texts with its redacted form: a value
/// quoted in a message (a malformed duration, a URL) is never printed either.
fn redact(model: &Model, findings: &mut [Finding]) {
    if model.secrets.is_empty() {
        return;
    }
    let scrub = |text: &mut String| {
        if model.secrets.iter().any(|s| s.occurs_in(text)) {
            *text = model.scrub_text(text);
        }
    };
    for f in findings {
        scrub(&mut f.message);
        scrub(&mut f.subject);
        if let Some(l) = &mut f.label {
            scrub(l);
        }
        if let Some(h) = &mut f.help {
            scrub(h);
        }
        for l in &mut f.labels {
            scrub(&mut l.text);
        }
    }
}
