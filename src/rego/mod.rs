//! Organisation rules in Rego (`[policy] rego`), evaluated with regorus over the model
//! ([`input`]), with conftest's conventions: `deny`, `warn` and `violation` rules (and their
//! `deny_<name>` forms) give a string or an object with `msg`; `exception` rules exempt rules
//! by name; packages are namespaces.
//!
//! An object result may say `code` (the team's own rule code), `subject`, `at` (a path into
//! the input, mapped to the span of that value) and `help`. Each code becomes a rule of the run's
//! catalog, so severities, exceptions and suppressions in agentlock.toml apply to it as to a
//! built-in rule. Rules run in a worker process ([`worker`]). A policy that does not compile, a
//! rule that fails, runs past the time limit or exhausts the worker's memory, a rule left
//! unfinished when the run's time budget ([`BUDGET`]) is spent, and a result of the wrong shape
//! are POL002 findings at the policy file and line; the rest of the run completes.
//!
//! regorus is built without its network, time, UUID and JSON Schema built-ins (see
//! Cargo.toml): a rule can only read the input.

pub mod input;
mod reads;
pub mod worker;

use crate::finding::{Finding, Meta};
use crate::load::model::Model;
use crate::load::rego::{Kind, OrgRule};
use crate::source::{FileId, Span};
use regorus::Value;
use std::time::Duration;

/// How long one rule may run.
pub const TIME_LIMIT: std::time::Duration = std::time::Duration::from_secs(5);

/// How long all the rules of a run may take together, in the worker (wall time, from the first
/// rule on; the exceptions and the rules they leave share it): once it is spent the rules not
/// finished are not run, each a POL002. [`TIME_LIMIT`] bounds one rule, not how many a pull
/// request adds: 1,000 rules that each loop to it held the check for 1.4 hours. 30 s is six
/// rules at the limit, and about 50 times what the 20 example policies take over the large
/// benchmark's 10,000 prompts (0.3 to 0.6 s): a run that reaches it has rules to fix, and a
/// hostile policy holds a check for 30 s at most.
pub const BUDGET: std::time::Duration = std::time::Duration::from_secs(30);

/// One problem with a policy, at the place in the policy file it is about.
#[derive(Clone, Debug)]
pub struct PolicyError {
    pub span: Span,
    pub message: String,
    pub help: Option<String>,
}

/// What the policies said about a repository.
#[derive(Default)]
pub struct Evaluated {
    /// Every organisation rule declared or reported, for the run's catalog.
    pub rules: Vec<&'static Meta>,
    pub findings: Vec<Finding>,
    pub errors: Vec<PolicyError>,
}

/// A compiled set of policy files.
pub struct Policies {
    /// Each file that compiled, with what it declares and whether it is Rego v0.
    files: Vec<(FileId, crate::load::rego::Declared)>,
    v0: Vec<FileId>,
    pub errors: Vec<PolicyError>,
    /// The codes of agentlock's own rules, which a result may not take.
    reserved: Vec<&'static str>,
}

/// The input document of a model: with its lock and, in git, its last release. `lock` is
/// `None` when no policy reads them ([`reads_lock`]): `input.lock` and `input.release` are
/// then not built, and null.
pub fn document(
    model: &Model,
    lock: Option<&crate::lock::Lock>,
    history: Option<&crate::history::History>,
) -> input::Doc {
    let release = history.and_then(|h| h.last()).and_then(|(r, l)| {
        l.map(|l| input::Release {
            tag: &r.tag,
            root: &l.root,
            lock: &l.lock,
        })
    });
    input::build(model, lock, release)
}

/// Whether the model's policies may read `input.lock` or `input.release` (see [`reads`]).
pub fn reads_lock(model: &Model) -> bool {
    let texts: Vec<&str> = model
        .rego
        .iter()
        .filter_map(|(id, _)| model.sources.get(*id).text.as_deref())
        .collect();
    reads::sections(&texts).is_none_or(|s| s.contains("lock") || s.contains("release"))
}

/// The span a regorus error names (`--> path:line:col`), or the start of the file.
fn error_span(model: &Model, file: FileId, err: &str) -> Span {
    let f = model.sources.get(file);
    let at = err.lines().find_map(|l| {
        let rest = l.trim_start().strip_prefix("--> ")?;
        let mut parts = rest.rsplitn(3, ':');
        let col: usize = parts.next()?.trim().parse().ok()?;
        let line: usize = parts.next()?.trim().parse().ok()?;
        Some((line, col))
    });
    match at {
        Some((line, col)) => {
            let start = f.offset_of(line, col);
            let end = f
                .text
                .as_deref()
                .and_then(|t| t.get(start..))
                .map_or(start, |rest| {
                    start
                        + rest
                            .find(['\n', ' ', ')', '}'])
                            .unwrap_or(rest.len())
                            .max(1)
                });
            Span::new(file, start, end.min(f.text.as_deref().map_or(0, str::len)))
        }
        None => Span::file_start(file),
    }
}

/// The message of a regorus error without its source excerpt (the report shows the line).
fn error_message(err: &str) -> String {
    let msg = err
        .lines()
        .find_map(|l| l.trim().strip_prefix("error: "))
        .unwrap_or_else(|| err.lines().find(|l| !l.trim().is_empty()).unwrap_or(err));
    msg.trim().to_string()
}

/// How compiling one file went.
#[derive(Debug)]
enum Compiled {
    /// It compiled; `true` when as Rego v0.
    Ok(bool),
    Failed(String),
    /// It did not finish within the limit for one file.
    TooSlow,
    /// It was not compiled within the budget for all the files.
    OutOfBudget,
}

/// Compiles one file on `engine`: as Rego v1, else v0 (the v1 error is the one reported).
fn compile_one(engine: &mut regorus::Engine, path: String, text: String) -> Compiled {
    engine.set_rego_v0(false);
    match engine.add_policy(path.clone(), text.clone()) {
        Ok(_) => Compiled::Ok(false),
        Err(e1) => {
            engine.set_rego_v0(true);
            let old = engine.add_policy(path, text);
            engine.set_rego_v0(false);
            match old {
                Ok(_) => Compiled::Ok(true),
                Err(_) => Compiled::Failed(e1.to_string()),
            }
        }
    }
}

/// Compiles `texts` (path, text) in order on a helper thread, waiting at most `limit` for each
/// and `budget` for all. A file past the limit is abandoned with its thread, which stops when
/// the file is done (or when the process exits); the files after it go on a new thread.
fn compile_texts(texts: Vec<(String, String)>, limit: Duration, budget: Duration) -> Vec<Compiled> {
    let deadline = std::time::Instant::now() + budget;
    let mut out: Vec<Compiled> = Vec::with_capacity(texts.len());
    while out.len() < texts.len() {
        let left = deadline.saturating_duration_since(std::time::Instant::now());
        if left.is_zero() {
            out.resize_with(texts.len(), || Compiled::OutOfBudget);
            break;
        }
        let pending = texts[out.len()..].to_vec();
        let (tx, rx) = std::sync::mpsc::channel();
        let spawned = std::thread::Builder::new()
            .name("rego-compile".into())
            // The main thread's stack, on which regorus parsed before: a parse that fits there
            // must not overflow here (an overflow aborts the process).
            .stack_size(8 << 20)
            .spawn(move || {
                let mut engine = new_engine();
                for (path, text) in pending {
                    if tx.send(compile_one(&mut engine, path, text)).is_err() {
                        return; // abandoned: nobody waits for the rest
                    }
                }
            });
        if spawned.is_err() {
            // No thread to spare: compile here, unbounded, rather than not at all.
            let mut engine = new_engine();
            for (path, text) in texts[out.len()..].iter().cloned() {
                out.push(compile_one(&mut engine, path, text));
            }
            break;
        }
        loop {
            let left = deadline.saturating_duration_since(std::time::Instant::now());
            match rx.recv_timeout(limit.min(left)) {
                Ok(c) => {
                    out.push(c);
                    if out.len() == texts.len() {
                        break;
                    }
                }
                Err(std::sync::mpsc::RecvTimeoutError::Timeout) => {
                    out.push(if left < limit {
                        Compiled::OutOfBudget
                    } else {
                        Compiled::TooSlow
                    });
                    break;
                }
                Err(std::sync::mpsc::RecvTimeoutError::Disconnected) => {
                    // The thread died (a panic in the parser): this file failed.
                    out.push(Compiled::Failed("the Rego parser failed on it".into()));
                    break;
                }
            }
        }
    }
    out
}

/// Compiles the model's policy files: Rego v1 (`import rego.v1` syntax), else v0. `builtin`
/// is agentlock's catalog, whose codes a result may not take (its results are then the
/// rule's own code, and POL002 says why).
///
/// Compiling is bounded as evaluating is: regorus's parser takes time exponential in the
/// nesting of some literals (a 71-byte `x := [[[…]]]` took 32 s), so a file gets
/// [`TIME_LIMIT`] and all of them [`BUDGET`]; a file past either is a POL002 and is left out.
pub fn compile(model: &Model, builtin: &[&'static Meta]) -> Policies {
    let (limit, budget) = (TIME_LIMIT, BUDGET);
    let mut files = Vec::new();
    let mut v0 = Vec::new();
    let mut errors = Vec::new();
    // (CONF001 said why a file without text could not be read.)
    let readable: Vec<(FileId, &crate::load::rego::Declared, String, String)> = model
        .rego
        .iter()
        .filter_map(|(id, declared)| {
            let f = model.sources.get(*id);
            Some((
                *id,
                declared,
                f.path.clone(),
                f.text.as_deref()?.to_string(),
            ))
        })
        .collect();
    let texts = readable
        .iter()
        .map(|(_, _, path, text)| (path.clone(), text.clone()))
        .collect();
    let compiled = compile_texts(texts, limit, budget);
    let help = || Some("fix the policy; `agentlock policy test` runs its tests".to_string());
    for ((id, declared, path, _), c) in readable.into_iter().zip(compiled) {
        let at_top = || Span::new(id, 0, 0);
        match c {
            Compiled::Ok(old) => {
                if old {
                    v0.push(id);
                }
                files.push((id, declared.clone()));
            }
            Compiled::Failed(e) => errors.push(PolicyError {
                span: error_span(model, id, &e),
                message: format!("{path} does not compile: {}", error_message(&e)),
                help: help(),
            }),
            Compiled::TooSlow => errors.push(PolicyError {
                span: at_top(),
                message: format!(
                    "{path} did not compile within {}: its rules were not run",
                    seconds(limit)
                ),
                help: Some(
                    "regorus's parser is slow on some shapes, such as array or object literals nested twenty deep; write the value flatter".into(),
                ),
            }),
            Compiled::OutOfBudget => errors.push(PolicyError {
                span: at_top(),
                message: format!(
                    "{path} was not compiled within the {} that all the policy files may take: its rules were not run",
                    seconds(budget)
                ),
                help: Some("find the slow file among the other findings of this rule and fix it".into()),
            }),
        }
    }
    Policies {
        files,
        v0,
        errors,
        reserved: builtin.iter().map(|m| m.code).collect(),
    }
}

/// An engine with agentlock's limits: the time limit, and built-in errors as errors.
fn new_engine() -> regorus::Engine {
    let mut engine = regorus::Engine::new();
    engine.set_execution_timer_config(regorus::utils::limits::ExecutionTimerConfig {
        limit: TIME_LIMIT,
        check_interval: std::num::NonZeroU32::new(64).unwrap_or(std::num::NonZeroU32::MIN),
    });
    engine.set_strict_builtin_errors(true);
    engine
}

/// Whether `text` reads no `data` but its own package's (`data.acme.tools…`): then its
/// package can be evaluated on an engine of its files alone. A mention of `data` anywhere
/// else, in a comment or a string too, keeps the whole set of policies.
fn self_contained(text: &str, package: &str) -> bool {
    let own = format!("data.{package}");
    let ident = |c: char| c.is_ascii_alphanumeric() || c == '_';
    text.match_indices("data").all(|(i, _)| {
        let before = text[..i].chars().next_back();
        let after = text[i + 4..].chars().next();
        if before.is_some_and(ident) || after.is_some_and(ident) {
            return true; // part of another word (`metadata`, `data_x`)
        }
        text[i..].starts_with(&own) && !text[i + own.len()..].chars().next().is_some_and(ident)
    })
}

impl Policies {
    /// The files that compiled, as the worker compiles them again.
    fn worker_files(&self, model: &Model) -> Vec<worker::File> {
        self.files
            .iter()
            .filter_map(|(id, d)| {
                let f = model.sources.get(*id);
                Some(worker::File {
                    path: f.path.clone(),
                    text: f.text.as_deref()?.to_string(),
                    v0: self.v0.contains(id),
                    package: d.package.clone(),
                })
            })
            .collect()
    }
}

/// Evaluates every `deny`, `warn` and `violation` rule of the packages in `namespaces` (all
/// when empty) against `doc`, within [`BUDGET`].
pub fn evaluate(
    model: &Model,
    policies: Policies,
    doc: &input::Doc,
    namespaces: &[String],
) -> Evaluated {
    evaluate_within(model, policies, doc, namespaces, BUDGET)
}

/// [`evaluate`] with a time budget for all the rules together other than [`BUDGET`] (a test's
/// few seconds).
pub fn evaluate_within(
    model: &Model,
    mut policies: Policies,
    doc: &input::Doc,
    namespaces: &[String],
    budget: std::time::Duration,
) -> Evaluated {
    let mut out = Evaluated {
        errors: std::mem::take(&mut policies.errors),
        ..Evaluated::default()
    };
    let mut evaluator =
        worker::Evaluator::new(&policies.worker_files(model), &doc.value).with_budget(budget);
    let all = crate::load::rego::rules(
        &policies.files,
        |f| model.sources.get(f).path.as_str(),
        true,
    );
    let rules: Vec<&OrgRule> = all
        .iter()
        .filter(|r| namespaces.is_empty() || namespaces.iter().any(|n| n == r.package))
        .collect();
    // Declared codes are rules of the catalog even when they find nothing.
    let reserved = std::mem::take(&mut policies.reserved);
    for r in rules.iter().filter(|r| is_finding_rule(r.kind)) {
        for code in r.codes().into_iter().filter(|c| !is_reserved(&reserved, c)) {
            let m = r.meta(&code);
            if !out.rules.iter().any(|x| std::ptr::eq(*x, m)) {
                out.rules.push(m);
            }
        }
    }
    // The exceptions of each package: the rule names they exempt.
    let mut exempt: Vec<(&str, String)> = Vec::new();
    let exceptions: Vec<&OrgRule> = rules
        .iter()
        .copied()
        .filter(|r| r.kind == Kind::Exception)
        .collect();
    for (r, value) in exceptions
        .iter()
        .zip(eval(&mut evaluator, &exceptions, &all))
    {
        match value {
            Ok(sets) => {
                for names in members(&sets) {
                    for n in members(names) {
                        if let Value::String(n) = n {
                            exempt.push((r.package, n.to_string()));
                        }
                    }
                }
            }
            Err(e) => out.errors.push(e),
        }
    }
    let todo: Vec<&OrgRule> = rules
        .iter()
        .copied()
        .filter(|r| is_finding_rule(r.kind))
        .filter(|r| {
            let short = Kind::short(&r.head.name);
            !exempt
                .iter()
                .any(|(p, n)| *p == r.package && (n == short || *n == r.head.name))
        })
        .collect();
    // Packages in parallel in the worker, each on its own engine.
    let values = crate::timing::phase("rego: eval", || eval(&mut evaluator, &todo, &all));
    // Each rule's results as findings, rules in parallel, joined in rule order.
    let each: Vec<(Vec<Finding>, Vec<PolicyError>)> =
        crate::timing::phase("rego: findings", || {
            use rayon::prelude::*;
            values
                .into_par_iter()
                .zip(todo.par_iter())
                .map(|(value, r)| findings_of(model, doc, r, value, &reserved))
                .collect()
        });
    for (findings, errors) in each {
        for f in &findings {
            if !out.rules.iter().any(|x| std::ptr::eq(*x, f.rule)) {
                out.rules.push(f.rule);
            }
        }
        out.findings.extend(findings);
        out.errors.extend(errors);
    }
    out
}

/// The findings of one rule's value (a set of results, or one), and the results that are
/// not of a shape a finding can be made of.
fn findings_of(
    model: &Model,
    doc: &input::Doc,
    r: &OrgRule,
    value: Result<Value, PolicyError>,
    reserved: &[&'static str],
) -> (Vec<Finding>, Vec<PolicyError>) {
    let mut findings = Vec::new();
    let mut errors = Vec::new();
    let value = match value {
        Ok(Value::Undefined | Value::Null | Value::Bool(false)) => return (findings, errors),
        Ok(v) => v,
        Err(e) => {
            errors.push(e);
            return (findings, errors);
        }
    };
    let results: Vec<&Value> = match &value {
        Value::Set(_) | Value::Array(_) => members(&value).collect(),
        other => vec![other],
    };
    let mut metas = Metas::new(r, reserved);
    for result in results {
        match finding(model, doc, &mut metas, result) {
            Ok(f) => findings.push(f),
            Err(message) => errors.push(PolicyError {
                span: r.span(),
                message,
                help: Some("a result is a string, or an object with `msg` (and optionally `code`, `subject`, `at`, `help`)".into()),
            }),
        }
    }
    for code in &metas.taken {
        let why = if crate::load::rego::is_code(code) {
            format!("the code {code}, which is agentlock's own rule's")
        } else {
            "a code that is not one (a letter, then up to 63 letters, digits, `_`, `.` or `-`)"
                .to_string()
        };
        errors.push(PolicyError {
            span: r.span(),
            message: format!(
                "rule `{}` gives results {why}: they are reported as {} instead, so that no policy speaks for a built-in rule or writes into a report",
                r.head.name, metas.default
            ),
            help: Some("give the team's rules codes of their own prefix (`ACME001`)".into()),
        });
    }
    (findings, errors)
}

/// Whether `code` is a built-in rule's, in any case and with any spaces around it (`rel001 `).
fn is_reserved(reserved: &[&'static str], code: &str) -> bool {
    let c = code.trim();
    reserved.iter().any(|r| r.eq_ignore_ascii_case(c))
}

/// The members of a set or a list (nothing for another value).
fn members(v: &Value) -> Box<dyn Iterator<Item = &Value> + '_> {
    match v {
        Value::Set(s) => Box::new(s.iter()),
        Value::Array(a) => Box::new(a.iter()),
        _ => Box::new(std::iter::empty()),
    }
}

fn is_finding_rule(k: Kind) -> bool {
    matches!(k, Kind::Deny | Kind::Warn | Kind::Violation)
}

/// The outcome of each rule, evaluated by the worker.
fn run(evaluator: &mut worker::Evaluator, rules: &[&OrgRule]) -> Vec<worker::Outcome> {
    let jobs: Vec<worker::Job> = rules
        .iter()
        .map(|r| worker::Job {
            package: r.package.to_string(),
            rule: r.head.name.clone(),
        })
        .collect();
    evaluator.run(&jobs)
}

/// The value of each rule, or its POL002 (`all`: every rule of the run, to name them).
fn eval(
    evaluator: &mut worker::Evaluator,
    rules: &[&OrgRule],
    all: &[OrgRule],
) -> Vec<Result<Value, PolicyError>> {
    rules
        .iter()
        .zip(run(evaluator, rules))
        .map(|(r, (value, _))| value.map_err(|f| failed(r, f, all)))
        .collect()
}

/// A job as the report names it: the rule and its file (from `all`, the run's rules).
fn job_name(job: &worker::Job, all: &[OrgRule]) -> String {
    match all
        .iter()
        .find(|r| r.package == job.package && r.head.name == job.rule)
    {
        Some(r) => format!("`{}` of {}", r.head.name, r.path),
        None => format!("`data.{}.{}`", job.package, job.rule),
    }
}

/// Seconds, with a tenth when there is one: `30 s`, `4.9 s`.
fn seconds(d: std::time::Duration) -> String {
    let tenths = (d.as_millis() + 50) / 100;
    match tenths % 10 {
        0 => format!("{} s", tenths / 10),
        t => format!("{}.{t} s", tenths / 10),
    }
}

/// A rule that gave no value, as a POL002 at its head (`all`: the run's rules, to name those
/// that spent its time budget).
fn failed(r: &OrgRule, failure: worker::Failure, all: &[OrgRule]) -> PolicyError {
    use worker::Failure;
    let name = &r.head.name;
    let path = r.path;
    let iterate = "a rule is evaluated once per run over the whole repository: iterate over the input, not over generated ranges";
    let too_long = || {
        (
            format!(
                "rule `{name}` of {path} ran longer than {} s and was stopped",
                TIME_LIMIT.as_secs()
            ),
            iterate.to_string(),
        )
    };
    let (message, help) = match failure {
        Failure::TooLong => too_long(),
        Failure::Error(e) if e.contains("time limit") => too_long(),
        Failure::OutOfMemory(limit) => (
            format!(
                "rule `{name}` of {path} needed more than the {} GiB of memory a policy may use, and was stopped",
                limit >> 30
            ),
            iterate.to_string(),
        ),
        Failure::Crashed(why) => (
            format!("rule `{name}` of {path} could not be evaluated: {why}"),
            "every other rule was evaluated; `agentlock policy test` runs the policy's tests"
                .to_string(),
        ),
        Failure::Error(e) => (
            format!("rule `{name}` of {path} failed: {}", error_message(&e)),
            "fix the rule; `agentlock policy test` runs the policy's tests".to_string(),
        ),
        Failure::OverBudget {
            budget,
            ran,
            slowest,
        } => {
            let what = match ran {
                Some(d) => format!("was stopped unfinished after {}", seconds(d)),
                None => "was not evaluated".to_string(),
            };
            let mut by: Vec<String> = slowest
                .iter()
                .map(|(job, took)| format!("{} ({})", job_name(job, all), seconds(*took)))
                .collect();
            let by = match by.pop() {
                None => String::new(),
                Some(last) if by.is_empty() => format!("; the slowest rule: {last}"),
                Some(last) => format!("; the slowest rules: {} and {last}", by.join(", ")),
            };
            (
                format!(
                    "rule `{name}` of {path} {what}: the run's policy time budget of {} was spent{by}",
                    seconds(budget)
                ),
                format!(
                    "the rules of a run share {}: make the slowest faster ({iterate})",
                    seconds(budget)
                ),
            )
        }
    };
    PolicyError {
        span: r.span(),
        message,
        help: Some(help),
    }
}

/// The declarations of a rule's codes, each made once however many results name it.
struct Metas<'r> {
    rule: &'r OrgRule<'r>,
    default: String,
    by_code: Vec<(String, &'static Meta)>,
    reserved: &'r [&'static str],
    /// The built-in codes results asked for (and did not get).
    taken: Vec<String>,
}

impl<'r> Metas<'r> {
    fn new(rule: &'r OrgRule<'r>, reserved: &'r [&'static str]) -> Self {
        let mut default = rule.default_code();
        let mut taken = Vec::new();
        // (`custom.code: REL001` in its METADATA, or one not of a code's shape: the rule is
        // named by its path instead.)
        if let Some(c) = rule.declared_code()
            && (!crate::load::rego::is_code(c) || is_reserved(reserved, c))
        {
            taken.push(c.to_string());
            default = rule.path_code();
        }
        Metas {
            rule,
            default,
            by_code: Vec::new(),
            reserved,
            taken,
        }
    }

    /// The declaration of `code` (the rule's default code when `None`, or when it is a
    /// built-in rule's).
    fn get(&mut self, code: Option<&str>) -> &'static Meta {
        let code = match code {
            Some(c) if !crate::load::rego::is_code(c) || is_reserved(self.reserved, c) => {
                if !self.taken.iter().any(|t| t == c) {
                    self.taken.push(c.to_string());
                }
                self.default.as_str()
            }
            Some(c) => c,
            None => self.default.as_str(),
        };
        let code = code.to_string();
        let code = code.as_str();
        if let Some((_, m)) = self.by_code.iter().find(|(c, _)| c == code) {
            return m;
        }
        let m = self.rule.meta(code);
        self.by_code.push((code.to_string(), m));
        m
    }
}

/// One result of a rule as a finding.
fn finding(
    model: &Model,
    doc: &input::Doc,
    metas: &mut Metas<'_>,
    result: &Value,
) -> Result<Finding, String> {
    let r = metas.rule;
    let name = r.head.name.as_str();
    let (msg, obj) = match result {
        Value::String(s) => (s.to_string(), None),
        Value::Object(_) => match input::get(result, "msg").and_then(as_str) {
            Some(m) => (m.to_string(), Some(result)),
            None => {
                return Err(format!(
                    "rule `{name}` returned an object without a string `msg`"
                ));
            }
        },
        other => {
            return Err(format!(
                "rule `{name}` returned {}: a result is a string or an object with `msg`",
                kind_of(other)
            ));
        }
    };
    let field = |k: &str| obj.and_then(|o| input::get(o, k));
    let code = field("code")
        .and_then(as_str)
        .filter(|c| !c.trim().is_empty());
    let meta = metas.get(code);
    let at: Option<Vec<String>> = match field("at") {
        Some(Value::String(s)) => Some(doc.resolve(s)),
        Some(Value::Array(parts)) => Some(
            parts
                .iter()
                .map(|p| match p {
                    Value::String(s) => s.to_string(),
                    other => other.to_string(),
                })
                .collect(),
        ),
        _ => None,
    };
    let subject = field("subject").and_then(as_str).map(str::to_string);
    let span = at
        .as_ref()
        .and_then(|p| doc.span_of(p))
        .or_else(|| subject.as_deref().and_then(|s| subject_span(doc, s)))
        .unwrap_or_else(|| r.span());
    let subject = subject
        .or_else(|| at.as_ref().and_then(|p| p.get(1).cloned()))
        .unwrap_or_else(|| name.to_string());
    let mut f = Finding::new(meta, span, subject, msg);
    if span != r.span() {
        f.labels.push(crate::finding::Label {
            span: r.span(),
            text: format!(
                "organisation rule `{name}` ({})",
                model.sources.get(r.file).path
            ),
        });
    }
    if let Some(h) = field("help").and_then(as_str) {
        f = f.help(h);
    }
    Ok(f)
}

/// Where a subject is declared: an agent, prompt, tool server, model alias or dataset of that
/// name, or a path into the input.
fn subject_span(doc: &input::Doc, subject: &str) -> Option<Span> {
    let key = Value::from(subject);
    ["agents", "prompts", "tools", "models", "datasets"]
        .iter()
        .find(|k| match input::get(&doc.value, k) {
            Some(Value::Object(o)) => o.contains_key(&key),
            _ => false,
        })
        .and_then(|k| doc.span_of(&[k, subject]))
        .or_else(|| {
            let p = doc.resolve(subject);
            doc.span_of(&p)
        })
}

/// A string value's text.
fn as_str(v: &Value) -> Option<&str> {
    match v {
        Value::String(s) => Some(s),
        _ => None,
    }
}

fn kind_of(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "a list",
        Value::Set(_) => "a set",
        Value::Object(_) => "an object",
        Value::Undefined => "undefined",
    }
}

/// The result of one `test_` rule.
pub struct TestResult {
    pub file: FileId,
    pub package: String,
    pub name: String,
    pub span: Span,
    /// `None`: passed; else why it failed.
    pub failure: Option<String>,
    pub millis: u128,
}

/// Runs every `test_` rule of the compiled files, as `opa test` does: a test passes when it is
/// defined and true.
pub fn test(model: &Model, policies: &Policies, doc: &input::Doc) -> Vec<TestResult> {
    let mut tests: Vec<OrgRule> = Vec::new();
    for (file, declared) in &policies.files {
        let Some(package) = declared.package.as_deref() else {
            continue;
        };
        for h in declared
            .heads
            .iter()
            .filter(|h| Kind::of(&h.name) == Some(Kind::Test))
        {
            if !tests
                .iter()
                .any(|t| t.package == package && t.head.name == h.name)
            {
                tests.push(OrgRule {
                    file: *file,
                    path: model.sources.get(*file).path.as_str(),
                    package,
                    head: h,
                    kind: Kind::Test,
                });
            }
        }
    }
    let mut evaluator = worker::Evaluator::new(&policies.worker_files(model), &doc.value);
    let outcomes = run(&mut evaluator, &tests.iter().collect::<Vec<_>>());
    tests
        .iter()
        .zip(outcomes)
        .map(|(t, (value, took))| {
            let failure = match value {
                Ok(regorus::Value::Bool(true)) => None,
                Ok(regorus::Value::Undefined) => {
                    Some("undefined: a condition did not hold".to_string())
                }
                Ok(v) => Some(format!(
                    "returned {}",
                    v.to_json_str().unwrap_or_default().trim()
                )),
                Err(worker::Failure::Error(e)) => Some(error_message(&e)),
                Err(f) => Some(failed(t, f, &tests).message),
            };
            TestResult {
                file: t.file,
                package: t.package.to_string(),
                name: t.head.name.clone(),
                span: t.span(),
                failure,
                millis: took.as_millis(),
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::{Compiled, compile_texts, self_contained};
    use std::time::Duration;

    /// `x := [[[…]]]`, `depth` deep: regorus takes time exponential in the depth to parse it
    /// (about half a second at 20).
    fn nested(depth: usize) -> String {
        format!(
            "package deep\nx := {}{}\n",
            "[".repeat(depth),
            "]".repeat(depth)
        )
    }

    #[test]
    fn a_file_that_compiles_too_slowly_is_left_out_and_the_others_still_compile() {
        let good = |p: &str| {
            (
                format!("{p}.rego"),
                format!("package {p}\ndeny contains \"x\" if false\n"),
            )
        };
        let texts = vec![good("a"), ("deep.rego".to_string(), nested(21)), good("b")];
        let out = compile_texts(texts, Duration::from_millis(100), Duration::from_secs(60));
        assert!(
            matches!(
                out[..],
                [Compiled::Ok(false), Compiled::TooSlow, Compiled::Ok(false)]
            ),
            "{out:?}"
        );
        // the budget for all files stops the rest
        let texts = vec![("deep.rego".to_string(), nested(21)), good("a")];
        let out = compile_texts(texts, Duration::from_secs(60), Duration::from_millis(100));
        assert!(
            matches!(out[..], [Compiled::OutOfBudget, Compiled::OutOfBudget]),
            "{out:?}"
        );
        let out = compile_texts(
            vec![("bad.rego".into(), "package x\ndeny[".into())],
            Duration::from_secs(60),
            Duration::from_secs(60),
        );
        assert!(matches!(out[..], [Compiled::Failed(_)]), "{out:?}");
    }

    #[test]
    fn a_package_is_self_contained_when_it_reads_only_its_own_data() {
        assert!(self_contained(
            "package a.b\ndeny contains x if { x := input.y }",
            "a.b"
        ));
        assert!(self_contained(
            "package a.b\np if data.a.b.q\n# METADATA\n",
            "a.b"
        ));
        assert!(self_contained("x := input.metadata.data_x", "a.b"));
        assert!(!self_contained("package a.b\nimport data.lib\n", "a.b"));
        assert!(!self_contained("p if data.a.bc.q", "a.b"));
        assert!(!self_contained("p if data[\"a\"]", "a.b"));
        assert!(!self_contained("# reads data from elsewhere", "a.b"));
    }
}
