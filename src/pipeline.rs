//! The pipeline, end to end: load a snapshot, compare the lockfile, run the rules a run can
//! run, apply the policy. Every command that checks a repository goes through here.

use crate::finding::Finding;
use crate::load::config::ConfigError;
use crate::load::model::Model;
use crate::load::{config, suppress};
use crate::snapshot::{ReadExt, Snapshot};
use crate::{evidence, finding, history, load, lock, policy, problem, rules, snapshot, source};

/// The result of `verify`: the model (with its sources, for rendering) and what the rules found.
pub struct Verified {
    pub model: Model,
    pub findings: Vec<Finding>,
    pub suppressed: usize,
    /// Each rule that was considered, with why it did not run (`None`: it ran).
    pub rules: Vec<(&'static rules::Rule, Option<NotRun>)>,
    /// The evidence gate, when the repository keeps evidence.
    pub gate: Option<evidence::Gate>,
    /// What the traces showed, when traces were read with the run (`checklist --traces`).
    pub traces: Option<TracesSeen>,
}

/// What traces read with a run showed, for the checklist's notes.
pub struct TracesSeen {
    pub summary: crate::traces::summary::Summary,
    /// Trace files read.
    pub files: usize,
}

impl Verified {
    /// This run with exported traces checked too, as `traces` checks them: their findings are
    /// added (the trace files join the source map) and the TRACE rules count as run, or as
    /// turned off by the policy.
    pub fn with_traces(
        self,
        history: Option<&history::History>,
        inputs: Vec<TraceInput>,
        today: i64,
    ) -> Verified {
        let Verified {
            model,
            mut findings,
            suppressed,
            mut rules,
            gate,
            ..
        } = self;
        let t = traces(model, history, inputs, today);
        findings.extend(t.findings);
        for (rule, not) in &mut rules {
            if let Some((_, ran)) = t.rules.iter().find(|(r, _)| r.code == rule.code) {
                *not = *ran;
            }
        }
        policy::sort(&mut findings, &t.model.sources);
        Verified {
            model: t.model,
            findings,
            suppressed: suppressed + t.suppressed,
            rules,
            gate,
            traces: Some(TracesSeen {
                files: t.files.len(),
                summary: t.summary,
            }),
        }
    }
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
    /// The repository keeps no evidence (no `evidence/index.toml`): EVAL001–EVAL008.
    NoEvidence,
    /// No traces were read (`agentlock traces FILE…` checks them): TRACE001–TRACE012.
    NoTraces,
}

impl NotRun {
    pub fn as_str(self) -> &'static str {
        match self {
            NotRun::Off => "turned off by the policy",
            NotRun::NoLockCheck => "--no-lock-check",
            NotRun::NoHistory => "no git release history",
            NotRun::NoProject => "no agentlock.toml",
            NotRun::NoEvidence => "no evidence (evidence/index.toml)",
            NotRun::NoTraces => "no traces (`agentlock traces FILE…` checks them)",
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
    with_evidence: bool,
) -> Option<NotRun> {
    use finding::Need;
    if !policy.enabled(rule.code) {
        Some(NotRun::Off)
    } else if rule.needs.contains(&Need::Project) && !project {
        Some(NotRun::NoProject)
    } else if rule.needs.contains(&Need::Lock) && !lock_check {
        Some(NotRun::NoLockCheck)
    } else if rule.needs.contains(&Need::Traces) {
        // `check` never has traces: `traces` runs these rules itself.
        Some(NotRun::NoTraces)
    } else if rule.needs.contains(&Need::Evidence) && !with_evidence {
        Some(NotRun::NoEvidence)
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
    Ok(check(model, snapshot, lock_check, None, None, &[], today))
}

/// The rules over a loaded model: the lockfile (read from the same snapshot) unless
/// `lock_check` is off, and the release history when there is one (without it the history
/// rules, REL003 and DATA002 and the release halves of PRM001 and TOOL007, do not run).
pub fn check(
    mut model: Model,
    snapshot: &dyn Snapshot,
    lock_check: bool,
    history: Option<&history::History>,
    baseline: Option<evidence::Baseline>,
    namespaces: &[String],
    today: i64,
) -> Verified {
    // The lock of the repository, and the lockfile read and parsed beside it.
    let limit = model.config.paths.max_file_size;
    let next_id = model.sources.next_id();
    let ((current, written), read) = crate::timing::phase("lockfile", || {
        rayon::join(
            || {
                let current = lock::Lock::from_model(&model, rules::catalog());
                let written = lock_check.then(|| current.to_toml());
                (current, written)
            },
            || lock_check.then(|| lock::read(snapshot, next_id, limit)),
        )
    });
    let status = read.zip(written).map(|(read, written)| {
        crate::timing::phase("lockfile", || {
            read.against(&current, &written, &mut model.sources)
        })
    });
    // The evidence of this snapshot, against the last release's.
    let first_evidence = model.sources.iter().count() as u32;
    let candidate = crate::timing::phase("evidence", || {
        evidence::store::load(
            snapshot,
            &model.config.paths.evidence,
            &snapshot.describe(),
            &mut model.sources,
            true,
        )
    });
    // Its index and results files (model output among them) are files agentlock reads: scanned
    // as every other is (SECRET002), and masked wherever they are quoted.
    let evidence_files: Vec<source::FileId> = model
        .sources
        .iter()
        .filter(|(id, _)| id.0 >= first_evidence)
        .map(|(id, _)| id)
        .collect();
    load::scan_files(&mut model, &evidence_files);
    // The organisation's Rego policies, over the model, its lock and the last release.
    let mut org = (!model.rego.is_empty()).then(|| {
        crate::timing::phase("rego", || {
            let doc = crate::timing::phase("rego: input", || {
                let lock = crate::rego::reads_lock(&model).then_some(&current);
                crate::rego::document(&model, lock, history)
            });
            let compiled = crate::timing::phase("rego: compile", || {
                crate::rego::compile(&model, rules::catalog())
            });
            let evaluated = crate::rego::evaluate(&model, compiled, &doc, namespaces);
            // A large document takes a while to free: off the critical path.
            rayon::spawn(move || drop(doc));
            evaluated
        })
    });
    // The policy knows every organisation rule, those only a result named included.
    let mut catalog = model.catalog(rules::catalog());
    for &m in org.iter().flat_map(|o| &o.rules) {
        if !catalog.iter().any(|c| c.code == m.code) {
            catalog.push(m);
        }
    }
    let policy = policy::Policy::new(
        &model.config,
        &model.suppressions,
        &model.sources,
        &catalog,
        today,
    );
    // The organisation rules' findings join the others'; POL002 reads the rest of `org`.
    let org_findings = org
        .as_mut()
        .map(|o| std::mem::take(&mut o.findings))
        .unwrap_or_default();
    let gate = crate::timing::phase("evidence", || {
        candidate.map(|c| evidence::compare(&model, &policy, &current, c, baseline))
    });
    let ctx = rules::Context {
        model: &model,
        policy: &policy,
        lock: status.as_ref(),
        history,
        evidence: gate.as_ref(),
        trace: None,
        traces: None,
        org: org.as_ref(),
    };
    let with_history = history.is_some();
    let with_evidence = gate.is_some();
    let project = model.config.project;
    // Whether each rule runs, decided once: for running it, for POL001 and for the report.
    let rules: Vec<(&'static rules::Rule, Option<NotRun>)> = rules::RULES
        .iter()
        .map(|&r| {
            let not = not_run(&policy, r, project, lock_check, with_history, with_evidence);
            (r, not)
        })
        .collect();
    // Rules are pure functions of the context: they run in parallel, and their findings are
    // joined in catalog order, so the report does not depend on scheduling.
    let found: Vec<Finding> = crate::timing::phase("rules", || {
        use rayon::prelude::*;
        let each: Vec<Vec<Finding>> = rules
            .par_iter()
            .filter(|(_, not)| not.is_none())
            .map(|(r, _)| (r.check)(&ctx))
            .collect();
        let mut all: Vec<Finding> = each.into_iter().flatten().collect();
        // The organisation rules' findings, as if from rules of the catalog.
        all.extend(org_findings);
        all
    });
    let mut outcome = policy.apply(found, &model.sources);
    let ran = |m: &finding::Meta| {
        rules
            .iter()
            .any(|(r, not)| r.code == m.code && not.is_none())
            || (org.is_some() && load::rego::is_org_rule(m))
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
        gate,
        traces: None,
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
        &model.catalog(rules::catalog()),
        today,
    )
}

/// The secret rules alone, and the policy, over a loaded model; and what in the policy named
/// no rule it can control.
fn secrets_only(model: Model, today: i64, unread: bool) -> (Verified, Vec<problem::Problem>) {
    let policy = new_policy(&model, today);
    let ctx = alone(&model, &policy);
    let secret_rules = [&rules::secrets::SECRET001, &rules::secrets::SECRET002];
    let mut found: Vec<Finding> = secret_rules
        .iter()
        .filter(|r| policy.enabled(r.code))
        .flat_map(|r| (r.check)(&ctx))
        .collect();
    // A file whose text was never read (a symlink out of the repository, a name that is not
    // UTF-8, a directory that could not be listed, a file too large) was not scanned either:
    // said, never passed silently. A file that was read but does not parse was scanned.
    let not_read: Vec<problem::Problem> = model
        .problems
        .iter()
        .filter(|p| unread && model.sources.get(p.span.file).text.is_none())
        .cloned()
        .collect();
    found.extend(rules::conf::findings(&not_read));
    let mut outcome = policy.apply(found, &model.sources);
    let unused = rules::policy::unused(&policy, &outcome.used, &model.sources, |r| {
        secret_rules.iter().any(|s| s.code == r.code)
    });
    outcome.findings.extend(unused);
    policy::sort(&mut outcome.findings, &model.sources);
    redact(&model, &mut outcome.findings);
    let rules = secret_rules
        .into_iter()
        .chain(unread.then_some(&rules::conf::CONF001))
        .map(|r| (r, not_run(&policy, r, true, true, true, true)))
        .collect();
    let verified = Verified {
        model,
        findings: outcome.findings,
        suppressed: outcome.suppressed,
        rules,
        gate: None,
        traces: None,
    };
    (verified, policy.problems)
}

/// The context of rules over a model and its policy alone: no lock, history, evidence, traces
/// or organisation rules.
fn alone<'a>(model: &'a Model, policy: &'a policy::Policy) -> rules::Context<'a> {
    rules::Context {
        model,
        policy,
        lock: None,
        history: None,
        evidence: None,
        trace: None,
        traces: None,
        org: None,
    }
}

/// The secret rules' findings in `files` alone, as the policy leaves them.
fn secrets_in(model: &Model, files: &[source::FileId], today: i64) -> Vec<Finding> {
    let policy = new_policy(model, today);
    let ctx = alone(model, &policy);
    let found: Vec<Finding> = [&rules::secrets::SECRET001, &rules::secrets::SECRET002]
        .iter()
        .filter(|r| policy.enabled(r.code))
        .flat_map(|r| (r.check)(&ctx))
        .filter(|f| files.contains(&f.span.file))
        .collect();
    policy.apply(found, &model.sources).findings
}

/// `agentlock scan` with no files: every file of the model, the secret rules only.
pub fn scan_model(snapshot: &dyn Snapshot, today: i64) -> Result<Verified, ConfigError> {
    let model = load::load(snapshot)?;
    Ok(secrets_only(model, today, true).0)
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
pub(crate) fn repo_path_of(
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

/// Whether `path`, a file or directory the user named, lies inside the repository as written
/// while a symlink on the way leads out of it. The repository's rule then holds, as for its
/// own files: the link is not followed (a user who means the target can name it).
pub(crate) fn leaves_through_a_link(worktree: &snapshot::Worktree, path: &std::path::Path) -> bool {
    if repo_path_of(worktree, path).is_none() {
        return false;
    }
    !worktree.resolves_inside(path)
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
        // A name that is nothing on disk is a typo, wherever it points: it fails the run
        // rather than pass it unscanned.
        if !snapshot::stream::exists_named(file) {
            missing.push(source::shown_path(&file.to_string_lossy()).into_owned());
            continue;
        }
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
    let (mut verified, policy_problems) = secrets_only(model, today, false);
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
        if let std::borrow::Cow::Owned(s) = crate::secrets::known::scrub(text) {
            *text = s;
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

/// What `evidence add` stored.
pub struct Added {
    /// Each file written under the evidence directory, with what it holds.
    pub entries: Vec<evidence::store::NewEntry>,
    /// The behaviour digest they are bound to.
    pub behaviour: String,
    /// Stale files they superseded, removed from the index and the tree.
    pub replaced: Vec<String>,
    /// The files of superseded entries left in the tree (their entries left the index), each
    /// with why: not in the evidence directory, not the evidence recorded, not committed, or
    /// the removal failed. The reason holds no path.
    pub left: Vec<(String, String)>,
}

/// Why `evidence add` stored nothing: the problems of the files as findings (ordered,
/// redacted), and the model they point into.
pub struct NotAdded {
    pub model: Model,
    pub findings: Vec<Finding>,
}

/// `agentlock evidence add FILE…`: reads each results file through the working tree (a file
/// outside the repository is refused), checks it against the golden datasets, and when every
/// file is good stores each under the evidence directory, named by its harness and digest, and
/// records it in the index, bound to the behaviour digest of the current lock. On any problem
/// nothing is written.
pub fn add_evidence(
    worktree: &snapshot::Worktree,
    mut model: Model,
    files: &[std::path::PathBuf],
    dataset: Option<&str>,
    harness: Option<evidence::results::Harness>,
    today: i64,
) -> Result<Result<Added, NotAdded>, String> {
    use evidence::{qa, read, store};
    let unloadable = unlockable(&model);
    if !unloadable.is_empty() {
        return Ok(Err(NotAdded {
            model,
            findings: unloadable,
        }));
    }
    let lock = lock::Lock::from_model(&model, rules::catalog());
    let behaviour = store::behaviour_digest(&lock);
    let dir = model
        .config
        .paths
        .evidence
        .trim_end_matches('/')
        .to_string();
    let mut problems = Vec::new();
    let mut planned: Vec<(snapshot::RepoPath, Vec<u8>, store::NewEntry)> = Vec::new();
    let mut read_ids = Vec::new();
    for file in files {
        let shown = source::shown_path(&file.to_string_lossy()).into_owned();
        let path = repo_path_of(worktree, file)
            .ok_or_else(|| format!("{shown} is outside the repository"))?;
        let bytes = worktree
            .read(&path, store::MAX_EVIDENCE_SIZE)
            .map_err(|e| format!("cannot read {shown}: {e}"))?;
        let sha = format!("sha256:{}", crate::digest::sha256_hex(&bytes));
        let rel = path.as_str().to_string();
        if read::is_zip(&bytes) {
            let id = model.sources.add(rel.clone(), None);
            problems.push(
                problem::Problem::new(source::Span::file_start(id), rel, "this is an Inspect `.eval` log (a ZIP archive), not JSON")
                    .help("convert it: `inspect log convert --to json LOG`, or run with `--log-format=json`"),
            );
            continue;
        }
        let Ok(text) = String::from_utf8(bytes.clone()) else {
            let id = model.sources.add(rel.clone(), None);
            problems.push(problem::Problem::new(
                source::Span::file_start(id),
                rel,
                "the results file is not UTF-8 text",
            ));
            continue;
        };
        crate::secrets::remember_all(&text);
        let id = model.sources.add(rel.clone(), Some(text.into()));
        read_ids.push(id);
        let text = model.sources.get(id).text.clone().unwrap_or_default();
        let (kind, ext, results) = if harness.is_none() && qa::is_review(&text) {
            match qa::read(&text, id) {
                Ok(_) => (qa::SCHEMA.to_string(), "yaml", None),
                Err(p) => {
                    problems.push(p);
                    continue;
                }
            }
        } else {
            match store::read_results(&text, harness, dataset, id, &rel) {
                Ok(r) if r.observations.is_empty() && r.tests.is_empty() => {
                    // An empty run (DeepEval writes one when no test case ran): no evidence.
                    problems.push(
                        problem::Problem::new(
                            source::Span::file_start(id),
                            &rel,
                            format!(
                                "the {} file holds no results: not one case or test",
                                r.harness.as_str()
                            ),
                        )
                        .help(
                            "run the harness on the golden datasets, then add the file it writes",
                        ),
                    );
                    continue;
                }
                Ok(r) => {
                    let ext = match r.harness {
                        evidence::results::Harness::Junit => "xml",
                        evidence::results::Harness::Agentlock => "jsonl",
                        _ => "json",
                    };
                    (r.harness.as_str().to_string(), ext, Some(r))
                }
                Err(p) => {
                    problems.push(p);
                    continue;
                }
            }
        };
        let found = results
            .as_ref()
            .map(|r| store::validate(&model, r, id, &rel))
            .unwrap_or_default();
        if !found.is_empty() {
            problems.extend(found);
            continue;
        }
        let (datasets, cases, observations, tests) = match &results {
            Some(r) => {
                let index = evidence::compare::CaseIndex::of(&model);
                let mut ds = std::collections::BTreeSet::new();
                let mut cs = std::collections::BTreeSet::new();
                for o in &r.observations {
                    if let Some(d) = index.dataset(o) {
                        ds.insert(model.datasets[d].name.value.clone());
                        if let Some(c) = index.find(&model.datasets[d], o) {
                            cs.insert((d, c));
                        }
                    }
                }
                // (named as the lock names them: a credential in a dataset's name redacted)
                let ds = ds
                    .iter()
                    .map(|d| crate::secrets::redact_found(d).into_owned());
                (ds.collect(), cs.len(), r.observations.len(), r.tests.len())
            }
            None => (Vec::new(), 0, 0, 0),
        };
        let hex = sha.trim_start_matches("sha256:");
        let stem = kind.replace(['.', '/'], "-");
        let target_text = if rel.starts_with(&format!("{dir}/")) {
            rel.clone()
        } else {
            format!("{dir}/{stem}-{}.{ext}", &hex[..12])
        };
        let target = snapshot::RepoPath::parse(&target_text)
            .map_err(|e| format!("the evidence directory `{dir}` {e}"))?;
        planned.push((
            target,
            bytes,
            store::NewEntry {
                path: target_text,
                sha256: sha,
                harness: kind,
                behaviour: behaviour.clone(),
                dataset: dataset.map(str::to_string),
                datasets,
                cases,
                observations,
                tests,
            },
        ));
    }
    // A results file holding a credential (model output that quotes a token) is not copied
    // into the repository: SECRET002 at it, and nothing is added.
    load::scan_files(&mut model, &read_ids);
    let secrets = secrets_in(&model, &read_ids, today);
    if !problems.is_empty() || !secrets.is_empty() {
        let mut findings = rules::conf::findings(&problems);
        findings.extend(secrets);
        policy::sort(&mut findings, &model.sources);
        redact(&model, &mut findings);
        return Ok(Err(NotAdded { model, findings }));
    }
    let index_path = snapshot::RepoPath::parse(&format!("{dir}/{}", store::INDEX))
        .map_err(|e| format!("the evidence directory `{dir}` {e}"))?;
    let old = match worktree.read(&index_path, snapshot::DEFAULT_MAX_FILE_SIZE) {
        Ok(b) => store::index_entries(&String::from_utf8_lossy(&b)).ok_or_else(|| {
            format!(
                "{} cannot be read as an evidence index; it was not rewritten",
                index_path.as_str()
            )
        })?,
        Err(snapshot::ReadError::NotFound) => Vec::new(),
        Err(e) => return Err(format!("cannot read {}: {e}", index_path.as_str())),
    };
    let mut entries = Vec::new();
    for (target, bytes, entry) in planned {
        worktree
            .write_atomic(&target, &bytes, true)
            .map_err(|e| format!("cannot write {}: {e}", target.as_str()))?;
        entries.push(entry);
    }
    // Stale evidence the new files supersede (the same datasets, or for a test report or a QA
    // review the same kind) leaves the index and the tree: the release's copy stays in git.
    let covered: std::collections::BTreeSet<&str> = entries
        .iter()
        .flat_map(|e| e.datasets.iter().map(String::as_str))
        .collect();
    let (kept, replaced): (Vec<_>, Vec<_>) = old.into_iter().partition(|e| {
        let superseded = if e.datasets.is_empty() {
            entries
                .iter()
                .any(|n| n.harness == e.harness && n.datasets.is_empty())
        } else {
            e.datasets.iter().all(|d| covered.contains(d.as_str()))
        };
        e.behaviour == behaviour || !superseded || entries.iter().any(|n| n.path == e.path)
    });
    // The index is anyone's commit: a file is removed only when it is exactly the evidence an
    // entry recorded, in the evidence directory, and (in a git repository) committed as it is.
    let git = if replaced.is_empty() {
        None
    } else {
        crate::git::Git::discover(worktree.root()).ok()
    };
    let head = git.as_ref().map(|g| (g, g.head().ok().flatten()));
    let evidence_dir = snapshot::RepoPath::parse(&dir).ok();
    let (mut removed, mut left) = (Vec::new(), Vec::new());
    let mut seen = std::collections::HashSet::new();
    for e in &replaced {
        if !seen.insert(e.path.as_str()) {
            continue;
        }
        match remove_superseded(worktree, e, evidence_dir.as_ref(), &index_path, head) {
            Ok(true) => removed.push(e.path.clone()),
            Ok(false) => {}
            Err(why) => left.push((e.path.clone(), why)),
        }
    }
    let text = store::index_text(kept, entries.clone());
    worktree
        .write_atomic(&index_path, text.as_bytes(), true)
        .map_err(|e| format!("cannot write {}: {e}", index_path.as_str()))?;
    Ok(Ok(Added {
        entries,
        behaviour,
        replaced: removed,
        left,
    }))
}

/// Whether `path`'s file name is one `evidence add` gives the file whose SHA-256 is `sha`:
/// `<harness>-<its first 12 hex digits>.<ext>`. Only such a file is ever removed: an index a
/// pull request wrote can name any file (a prompt, a workflow) as superseded evidence.
fn named_by_evidence_add(path: &snapshot::RepoPath, sha: &str) -> bool {
    let hex = sha.trim_start_matches("sha256:");
    let name = path.as_str().rsplit('/').next().unwrap_or("");
    let stem = name.rsplit_once('.').map_or(name, |(stem, _)| stem);
    hex.len() >= 12
        && hex.is_ascii()
        && stem
            .rsplit_once('-')
            .is_some_and(|(harness, prefix)| !harness.is_empty() && prefix == &hex[..12])
}

/// Removes the file of a superseded index entry of `evidence add` when it is the evidence the
/// entry recorded: a regular file inside the evidence directory `dir` (not the index, reached
/// through no symlink), whose SHA-256 is the entry's, and, in a git repository (`git`, with its
/// HEAD), committed with that content at HEAD, so that git keeps a copy. `Ok(true)` when it was
/// removed, `Ok(false)` when nothing is there; otherwise why it was left in place (no path in
/// it: the caller shows the path).
fn remove_superseded(
    worktree: &snapshot::Worktree,
    entry: &evidence::store::NewEntry,
    dir: Option<&snapshot::RepoPath>,
    index: &snapshot::RepoPath,
    git: Option<(&crate::git::Git, Option<crate::git::Commit>)>,
) -> Result<bool, String> {
    use snapshot::worktree::Kind;
    let left = |why: &str| format!("left in place: {why}");
    let path = snapshot::RepoPath::parse(&entry.path)
        .map_err(|_| left("its index entry names no path inside the repository"))?;
    let inside = dir.is_some_and(|d| !d.is_root() && path.starts_with(d) && path != *d);
    if !inside || path == *index {
        return Err(left(
            "it is not an evidence file (outside the evidence directory)",
        ));
    }
    if !named_by_evidence_add(&path, &entry.sha256) {
        return Err(left(
            "its name is not one `evidence add` gives (`<harness>-<first 12 hex digits of its SHA-256>.<ext>`)",
        ));
    }
    if worktree.writable(&path).is_err() {
        return Err(left("a directory above it is a symlink or a file"));
    }
    match worktree.kind_of(&path) {
        Ok(None) => return Ok(false),
        Ok(Some(Kind::File)) => {}
        Ok(Some(Kind::Link)) => return Err(left("it is a symlink, not the evidence file")),
        Ok(Some(Kind::Dir)) => return Err(left("it is a directory, not the evidence file")),
        Ok(Some(Kind::Special(what))) => {
            return Err(left(&format!("it is {what}, not the evidence file")));
        }
        Err(_) => return Err(left("it cannot be examined")),
    }
    let bytes = worktree
        .read(&path, evidence::store::MAX_EVIDENCE_SIZE)
        .map_err(|_| left("it cannot be read to check its SHA-256"))?;
    if format!("sha256:{}", crate::digest::sha256_hex(&bytes)) != entry.sha256 {
        return Err(left(
            "its SHA-256 is not the one its index entry recorded: it is not that evidence",
        ));
    }
    if let Some((git, head)) = git {
        let blob = head.map(|c| git.blob_at(c, path.as_str()));
        match blob {
            Some(Ok(Some(id))) => {
                let same = gix::objs::compute_hash(id.kind(), gix::objs::Kind::Blob, &bytes)
                    .is_ok_and(|h| h == id);
                if !same {
                    return Err(left(
                        "it is not committed as it is, and removing it would lose its content",
                    ));
                }
            }
            Some(Ok(None)) | None => {
                return Err(left(
                    "it is not committed, and removing it would lose its only copy",
                ));
            }
            Some(Err(_)) => return Err(left("git cannot tell whether it is committed")),
        }
    }
    worktree.remove(&path).map(|()| true).map_err(|e| {
        format!(
            "removing it failed ({}); its entry left the index",
            e.kind()
        )
    })
}

/// A trace file to read: its name as shown, and its bytes.
pub type TraceInput = (String, Box<dyn std::io::Read + Send>);

/// What `agentlock traces` found: the TRACE findings (and CONF001 for trace files that could
/// not be read), with the summary of what the traces showed.
pub struct TracesChecked {
    pub model: Model,
    pub findings: Vec<Finding>,
    pub suppressed: usize,
    pub rules: Vec<(&'static rules::Rule, Option<NotRun>)>,
    pub summary: crate::traces::summary::Summary,
    pub read: crate::traces::read::Outcome,
    /// The files read, as shown, with their ids.
    pub files: Vec<(source::FileId, String)>,
}

/// One finding per rule, subject and label however many spans repeat it: the first, with how
/// many times it was seen.
#[derive(Default)]
struct Repeated {
    first: std::collections::HashMap<(&'static str, String, Option<String>), usize>,
    findings: Vec<(Finding, u64)>,
}

impl Repeated {
    fn add(&mut self, f: Finding) {
        let key = (f.code(), f.subject.clone(), f.label.clone());
        match self.first.get(&key) {
            Some(&i) => self.findings[i].1 += 1,
            None => {
                self.first.insert(key, self.findings.len());
                self.findings.push((f, 1));
            }
        }
    }

    fn into_findings(self) -> Vec<Finding> {
        self.findings
            .into_iter()
            .map(|(mut f, n)| {
                if n > 1 {
                    f.message
                        .push_str(&format!(" (seen {n} times; the first is shown)"));
                }
                f
            })
            .collect()
    }
}

/// Checks exported traces against a loaded model: each trace by the TRACE rules as it is read
/// (memory stays bounded by the traces still open), then the rules across traces. `history`
/// gives the release roots TRACE009 accepts.
pub fn traces(
    mut model: Model,
    history: Option<&history::History>,
    inputs: Vec<TraceInput>,
    today: i64,
) -> TracesChecked {
    use crate::traces::{View, read, shape::Shape, summary::Summary};
    let policy = new_policy(&model, today);
    let current_root = lock::Lock::from_model(&model, rules::catalog()).root();
    let mut files = Vec::new();
    let inputs: Vec<read::Input> = inputs
        .into_iter()
        .map(|(path, reader)| {
            let file = model.sources.add(path.clone(), None);
            files.push((file, path.clone()));
            read::Input { file, path, reader }
        })
        .collect();
    let rules: Vec<(&'static rules::Rule, Option<NotRun>)> = rules::RULES
        .iter()
        .filter(|r| r.needs.contains(&finding::Need::Traces))
        .map(|&r| (r, (!policy.enabled(r.code)).then_some(NotRun::Off)))
        .collect();
    let running: Vec<&rules::Rule> = rules
        .iter()
        .filter(|(_, n)| n.is_none())
        .map(|(r, _)| *r)
        .collect();
    let mut summary = Summary::default();
    let mut repeated = Repeated::default();
    let outcome = {
        let model = &model;
        let mut on_trace = |trace: crate::traces::Trace| {
            let shape = Shape::of(&trace);
            summary.add(model, &shape);
            let view = View {
                shape,
                current_root: &current_root,
            };
            let ctx = rules::Context {
                model,
                policy: &policy,
                lock: None,
                history,
                evidence: None,
                trace: Some(&view),
                traces: None,
                org: None,
            };
            for r in &running {
                for f in (r.check)(&ctx) {
                    repeated.add(f);
                }
            }
        };
        crate::timing::phase("traces", || read::read(inputs, &mut on_trace))
    };
    let mut outcome = outcome;
    for (file, lines) in std::mem::take(&mut outcome.lines) {
        model.sources.set_lines(file, lines);
    }
    let ctx = rules::Context {
        model: &model,
        policy: &policy,
        lock: None,
        history,
        evidence: None,
        trace: None,
        traces: Some(&summary),
        org: None,
    };
    for r in &running {
        for f in (r.check)(&ctx) {
            repeated.add(f);
        }
    }
    let mut found = repeated.into_findings();
    found.extend(rules::conf::findings(&outcome.problems));
    // Trace files hold what users typed and models wrote: whatever a finding quotes from them
    // is scanned, so the output knows every credential in it.
    for f in &found {
        crate::secrets::remember_all(&f.message);
        crate::secrets::remember_all(&f.subject);
    }
    for name in summary
        .agents
        .keys()
        .chain(summary.tools.keys())
        .chain(summary.models.keys())
        .chain(summary.cases.keys())
    {
        crate::secrets::remember_all(name);
    }
    let mut applied = policy.apply(found, &model.sources);
    policy::sort(&mut applied.findings, &model.sources);
    redact(&model, &mut applied.findings);
    TracesChecked {
        model,
        findings: applied.findings,
        suppressed: applied.suppressed,
        rules,
        summary,
        read: outcome,
        files,
    }
}
