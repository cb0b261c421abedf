//! REL: the lockfile and the release.

use super::{Context, Rule};
use crate::finding::{Control, Meta, Need, Scope};
use crate::finding::{Finding, Severity};
use crate::load::model::Model;
use crate::lock::{ChangeKind, Kind, LOCKFILE, LockStatus};
use crate::source::Span;
use std::collections::HashMap;

pub static REL001: Rule = Rule {
    meta: Meta {
        code: "REL001",
        name: "missing-lockfile",
        severity: Severity::Error,
        summary: "The repository has no agentlock.lock.",
        checklist: Some("1.2"),
        needs: &[Need::Lock],
        scope: Scope::Lockfile,
        control: Control::Full,
        docs: r#"
## Why
The lockfile pins every prompt, tool definition, model, agent and dataset by content hash, and
its root digest names the release. Without it there is no record of what was released, no way
to notice a prompt edited under an unchanged version, and nothing to roll back to.

## How to fix
Run `agentlock lock` and commit agentlock.lock with the change.

## Example
```
$ agentlock lock
wrote agentlock.lock (27 entries, root sha256:3f1c…)
$ git add agentlock.lock
```
"#,
    },
    check: check_missing,
};

pub static REL002: Rule = Rule {
    meta: Meta {
        code: "REL002",
        name: "stale-lockfile",
        severity: Severity::Error,
        summary: "The lockfile does not match the repository; each differing entry is named.",
        checklist: Some("1.2"),
        needs: &[Need::Lock],
        scope: Scope::Lockfile,
        control: Control::Full,
        docs: r#"
## Why
A lockfile that no longer matches the repository pins a release that is not what will be
deployed: a prompt, a tool surface, a model id or a dataset changed after the lock was written.
Each finding names the entry and how it differs (which field, the locked and the current value).

## How to fix
Review the change; if it is intended, run `agentlock lock` and commit the new lockfile with it.
`agentlock lock --check` fails in CI when the lockfile would change.

## Example
```
prompt `planner@1.3.0` differs from the lockfile: sha256 4be1a09c2d7e → 91ac77d0f3b2
```
"#,
    },
    check: check_stale,
};

pub static REL003: Rule = Rule {
    meta: Meta {
        code: "REL003",
        name: "no-rollback-target",
        severity: Severity::Warning,
        summary: "No earlier release tag to roll back to.",
        checklist: Some("6.1"),
        needs: &[Need::History],
        scope: Scope::ReleaseTags,
        control: Control::Full,
        docs: r#"
The rollback target is the newest release tag (matching `[release] tag_pattern`, a semver
version, pre-releases only when `[release] prereleases = true`) that HEAD reaches and that is
not HEAD itself. A tag that the agentlock.toml of its own commit calls a release is one too, so
an edited `tag_pattern` never hides the earlier releases. `agentlock rollback` restores the
target. This rule runs only in a git repository; in a shallow clone with no tags it says so,
since the releases may exist but were not fetched.

## Why
Checklist 6.1: "Previous stable version identified", "Rollback procedure documented". A release
with nothing to roll back to turns a bad deploy into a fix-forward under pressure. The first
release of a system has no target by nature: the warning is the reminder to tag it once it is
out, so the second release has one.

## How to fix
Tag each release when it ships (`git tag v1.0.0 && git push --tags`). If releases are tagged
another way, set `[release] tag_pattern`. In CI, fetch the tags: `git fetch --tags`, or
`fetch-depth: 0` for `actions/checkout`.

## Example
```
no release tag matches `v*`: there is no earlier release to roll back to
```
"#,
    },
    check: check_rollback_target,
};

fn check_rollback_target(ctx: &Context) -> Vec<Finding> {
    let Some(history) = ctx.history else {
        return Vec::new();
    };
    let releases = &history.releases;
    if releases.rollback_target().is_some() {
        return Vec::new();
    }
    let config = &ctx.model.config;
    let span = config.release.span.unwrap_or(config.name.span);
    let pattern = &releases.pattern;
    let fetch =
        "fetch the tags: `git fetch --tags --unshallow` (with actions/checkout, `fetch-depth: 0`)";
    let (message, help) = if releases.shallow && releases.tags == 0 {
        (
            "this is a shallow clone with no tags: agentlock cannot see the earlier releases"
                .to_string(),
            fetch.to_string(),
        )
    } else if releases.all.is_empty() {
        (
            format!(
                "no release tag matches `{pattern}`: there is no earlier release to roll back to"
            ),
            format!(
                "tag this release once it ships (`git tag v1.0.0`) so the next one has a rollback target; if releases are tagged another way, set `[release] tag_pattern`{}",
                if releases.shallow {
                    format!("; this is a shallow clone: {fetch}")
                } else {
                    String::new()
                }
            ),
        )
    } else if releases.cut_off {
        (
            format!(
                "the history of this shallow clone ends before it reaches {} of the release tags matching `{pattern}`: the last release cannot be seen, so nothing is compared with it",
                releases.all.iter().filter(|r| !r.reachable).count()
            ),
            fetch.to_string(),
        )
    } else if let Some(last) = releases.last() {
        (
            format!(
                "{} is this commit and there is no earlier release to roll back to",
                last.tag
            ),
            "this is the first release: tag the next one, and this one becomes its rollback target"
                .to_string(),
        )
    } else {
        (
            format!(
                "none of the {} release tags matching `{pattern}` is in the history of this commit: there is no release to roll back to",
                releases.all.len()
            ),
            if releases.shallow {
                format!("this is a shallow clone: {fetch}")
            } else {
                "release tags on other branches are not rollback targets for this one; merge the release branch or tag a release here".to_string()
            },
        )
    };
    vec![
        Finding::new(&REL003, span, config.display_name(), message)
            .label(if config.release.span.is_some() {
                "the release tags"
            } else {
                "this project"
            })
            .help(help),
    ]
}

pub static REL004: Rule = Rule {
    meta: Meta {
        code: "REL004",
        name: "missing-rollout-plan",
        severity: Severity::Warning,
        summary: "No canary or blue-green strategy, no canary percentage, or no auto-rollback conditions.",
        checklist: Some("4.2"),
        needs: &[Need::Project],
        scope: Scope::Deploy,
        control: Control::Full,
        docs: r#"
deploy.yaml's `rollout:` says how a release reaches users: `strategy: canary` (with
`canary_percent`, above zero and at most the policy's `max_canary_percent`) or
`strategy: blue-green`, and `auto_rollback` with at least one condition
(`error_rate_above`, `score_drop_above`, `latency_p95_above`).

## Why
Checklist 4.2: "Deployment strategy selected (canary / blue-green)", "Canary percentage
defined", "Auto-rollback conditions configured". Agents fail in ways no pre-release test
catches; a canary limits how many users see a bad release, and automatic rollback conditions
decide, before the incident, what "bad" means.

## How to fix
Choose a strategy, a canary share and the conditions that roll back without a person.

## Example
```yaml
rollout:
  strategy: canary
  canary_percent: 5
  auto_rollback: { error_rate_above: 0.05, score_drop_above: 0.3 }
```
"#,
    },
    check: check_rollout,
};

const STRATEGIES: &[&str] = &["canary", "blue-green"];
const ROLLBACK_CONDITIONS: &[&str] = &["error_rate_above", "score_drop_above", "latency_p95_above"];

fn check_rollout(ctx: &Context) -> Vec<Finding> {
    use super::runtime::{deploy_checkable, deploy_finding, number};
    let model = ctx.model;
    if !deploy_checkable(model) {
        return Vec::new();
    }
    let mut out = Vec::new();
    let strategy = model
        .deploy_value("rollout.strategy")
        .and_then(|s| s.as_str());
    match strategy {
        None => out.push(
            deploy_finding(&REL004, model, "rollout.strategy", "no rollout strategy is configured".into())
                .label("no strategy")
                .help("add `rollout: { strategy: canary, canary_percent: 5, auto_rollback: { error_rate_above: 0.05 } }` to deploy.yaml"),
        ),
        Some(s) if !STRATEGIES.contains(&s) => {
            let hint = crate::suggest::hint(s, STRATEGIES.iter().copied());
            out.push(
                deploy_finding(&REL004, model, "rollout.strategy", format!("rollout strategy `{s}` is neither canary nor blue-green.{hint}"))
                    .label("not a staged rollout")
                    .help("use `canary` (with `canary_percent`) or `blue-green`"),
            );
        }
        Some("canary") => {
            let pct = model.deploy_value("rollout.canary_percent");
            let max = ctx.policy.limits.max_canary_percent.as_ref();
            match pct.and_then(number) {
                None => out.push(
                    deploy_finding(&REL004, model, "rollout.canary_percent", "the canary rollout has no `canary_percent`".into())
                        .label("how much traffic?")
                        .help("add `canary_percent: 5`: the share of traffic the new release gets first"),
                ),
                Some(p) if p <= 0.0 || p > 100.0 => out.push(
                    deploy_finding(&REL004, model, "rollout.canary_percent", format!("canary_percent {p} is not a share of traffic between 0 and 100"))
                        .label("out of range")
                        .help("use a small share such as 5"),
                ),
                Some(p) => {
                    if let Some(m) = max.filter(|m| p > m.value as f64) {
                        out.push(
                            deploy_finding(&REL004, model, "rollout.canary_percent", format!("canary_percent {p} is over the policy's max_canary_percent of {}", m.value))
                                .label(format!("over {}%", m.value))
                                .with_label(m.span, "the policy's limit")
                                .help(format!("lower it to {} or less", m.value)),
                        );
                    }
                }
            }
        }
        Some(_) => {}
    }
    let conditions = model.deploy_value("rollout.auto_rollback");
    let any = conditions.is_some_and(|c| {
        ROLLBACK_CONDITIONS
            .iter()
            .any(|k| c.get(k).and_then(number).is_some())
    });
    if !any {
        out.push(
            deploy_finding(&REL004, model, "rollout.auto_rollback", "no auto-rollback conditions are configured".into())
                .label("no auto_rollback")
                .help("add `auto_rollback: { error_rate_above: 0.05, score_drop_above: 0.3 }` under `rollout:`"),
        );
    }
    out
}

fn check_missing(ctx: &Context) -> Vec<Finding> {
    match ctx.lock {
        Some(LockStatus::Missing) => {
            let cfg = &ctx.model.config;
            vec![
                Finding::new(
                    &REL001,
                    cfg.name.span,
                    LOCKFILE,
                    if cfg.project {
                        format!("project `{}` has no {LOCKFILE}", cfg.name.value)
                    } else {
                        format!("this repository has no {LOCKFILE}: nothing pins its prompts, servers and models")
                    },
                )
                .label("no lockfile")
                .help("run `agentlock lock` and commit agentlock.lock"),
            ]
        }
        _ => Vec::new(),
    }
}

fn check_stale(ctx: &Context) -> Vec<Finding> {
    let model = ctx.model;
    match ctx.lock {
        Some(LockStatus::Unreadable(reason, span)) => vec![
            Finding::new(
                &REL002,
                *span,
                LOCKFILE,
                format!("{LOCKFILE} cannot be read: {reason}"),
            )
            .help("regenerate it with `agentlock lock`"),
        ],
        Some(LockStatus::Newer(reason, span)) => vec![
            Finding::new(
                &REL002,
                *span,
                LOCKFILE,
                format!("{LOCKFILE} cannot be checked: {reason}"),
            )
            .help("upgrade agentlock to the version the project uses; `agentlock lock` will not rewrite it"),
        ],
        Some(LockStatus::Stale {
            changes,
            root_mismatch,
        }) => {
            // A file that failed to load makes its entries look removed: CONF001 says why,
            // so those echoes are held back and counted.
            let inc = &model.incomplete;
            let echo = |c: &&crate::lock::Change| {
                crate::lock::echoes_a_failed_load(inc, c.kind, c.what == ChangeKind::Removed)
            };
            let echoes = changes.iter().filter(echo).count();
            let places = Places::new(model);
            let mut out: Vec<Finding> = changes
                .iter()
                .filter(|c| !echo(c))
                .map(|c| {
                    let subject = if c.key.is_empty() {
                        c.kind.as_str().to_string()
                    } else {
                        c.key.clone()
                    };
                    let span = match c.what {
                        ChangeKind::Removed => places.entry(c.kind, &c.key),
                        _ => places.item(c.kind, &c.key),
                    };
                    let label = match c.what {
                        ChangeKind::Added => "not locked",
                        ChangeKind::Removed => "locked, but gone from the repository",
                        ChangeKind::Modified(_) => "changed since the lock was written",
                    };
                    Finding::new(&REL002, span, subject, c.describe())
                        .label(label)
                        .help(relock_help(c))
                })
                .collect();
            if echoes > 0 {
                let mut f = Finding::new(
                    &REL002,
                    Span::file_start(model.sources.find(LOCKFILE).unwrap_or(model.config.file)),
                    LOCKFILE,
                    format!(
                        "{echoes} {} not compared with the repository: {} did not load (CONF001)",
                        if echoes == 1 { "lockfile entry was" } else { "lockfile entries were" },
                        if echoes == 1 { "the file it comes from" } else { "the files they come from" },
                    ),
                )
                .help("fix the files CONF001 reports, then check the lockfile again");
                f.severity = crate::finding::Severity::Info;
                out.push(f);
            }
            if *root_mismatch && changes.is_empty() {
                let span = lock_line(model, "root = ");
                out.push(
                    Finding::new(&REL002, span, LOCKFILE, "the lockfile's root digest does not match its entries: it was edited by hand")
                        .help("regenerate it with `agentlock lock`"),
                );
            }
            out
        }
        _ => Vec::new(),
    }
}

/// How to bring the lock up to date. A content change under an unchanged version needs a new
/// version first (PRM001, TOOL007): relocking alone would bless a reused version.
fn relock_help(c: &crate::lock::Change) -> &'static str {
    let ChangeKind::Modified(fields) = &c.what else {
        return "if the change is intended, run `agentlock lock` and commit agentlock.lock with it";
    };
    let bumped = fields.iter().any(|(f, _, _)| f == "version");
    match c.kind {
        Kind::Prompt if fields.iter().any(|(f, _, _)| f == "sha256") => {
            "the prompt's text changed under the same version: bump `version` (PRM001), then run `agentlock lock`"
        }
        Kind::Tool if !bumped && fields.iter().any(|(f, _, _)| f.starts_with("definitions.")) => {
            "a tool's surface changed under the same server version: bump `version` (TOOL007), then run `agentlock lock`"
        }
        _ => "if the change is intended, run `agentlock lock` and commit agentlock.lock with it",
    }
}

/// Where the items of the repository and the entries of the lockfile are, each index built the
/// first time it is asked and once per run: a lock with thousands of changed entries places
/// each with one lookup, not a walk of the model or of the lockfile per entry.
struct Places<'m> {
    model: &'m Model,
    lock: std::cell::OnceCell<LockLines>,
    agents: std::cell::OnceCell<HashMap<String, Span>>,
    datasets: std::cell::OnceCell<HashMap<String, Span>>,
}

impl<'m> Places<'m> {
    fn new(model: &'m Model) -> Self {
        Places {
            model,
            lock: Default::default(),
            agents: Default::default(),
            datasets: Default::default(),
        }
    }

    /// Where an item of the repository is defined, else its entry in the lockfile.
    fn item(&self, kind: Kind, key: &str) -> Span {
        let model = self.model;
        let first = |m: &mut HashMap<String, Span>, k: String, s: Span| {
            m.entry(k).or_insert(s);
        };
        let found = match kind {
            Kind::Prompt => model.prompts_with_id(key).next().map(|p| p.name.span),
            Kind::Model => model
                .models
                .as_ref()
                .and_then(|m| m.aliases.iter().find(|a| a.alias.value == key))
                .map(|a| a.alias.span),
            Kind::Tool => model.tool_server(key).map(|t| t.server.span),
            // a crew's agent is `PATH#NAME`
            Kind::Agent => self
                .agents
                .get_or_init(|| {
                    let mut m = HashMap::new();
                    for t in &model.topologies {
                        let path = &model.sources.get(t.file).path;
                        for a in &t.agents {
                            first(&mut m, a.name.value.clone(), a.name.span);
                            first(&mut m, format!("{path}#{}", a.name.value), a.name.span);
                        }
                    }
                    m
                })
                .get(key)
                .copied(),
            Kind::Topology => model
                .topologies
                .iter()
                .find(|t| key.is_empty() || model.sources.get(t.file).path == key)
                .map(|t| {
                    t.entry
                        .as_ref()
                        .map_or(Span::file_start(t.file), |e| e.span)
                }),
            Kind::Dataset => self
                .datasets
                .get_or_init(|| {
                    let mut m = HashMap::new();
                    for d in &model.datasets {
                        let v = d.version.as_ref().map_or("", |v| v.value.as_str());
                        let k = format!("{}@{v}", d.name.value)
                            .trim_end_matches('@')
                            .to_string();
                        first(&mut m, k, d.name.span);
                    }
                    m
                })
                .get(key)
                .copied(),
            Kind::Deploy => model.deploy.as_ref().map(|d| Span::file_start(d.file)),
            Kind::Policy => Some(
                model
                    .config
                    .policy
                    .layers
                    .last()
                    .and_then(|l| l.extends.as_ref())
                    .map_or(model.config.name.span, |e| e.span),
            ),
        };
        found.unwrap_or_else(|| self.entry(kind, key))
    }

    /// Where an entry sits in the lockfile: the first line of its kind's section that gives
    /// its key's name as a value (`name = "summarize"` for `summarize@1.2.0`); the section's
    /// header for an entry with no key.
    fn entry(&self, kind: Kind, key: &str) -> Span {
        let lines = self.lock.get_or_init(|| LockLines::new(self.model));
        let Some(id) = lines.file else {
            return Span::file_start(self.model.config.file);
        };
        let found = if key.is_empty() {
            lines.headers.get(kind.as_str())
        } else {
            let first = key.split('@').next().unwrap_or(key);
            lines
                .values
                .get(&(kind.as_str().to_string(), first.to_string()))
        };
        found.copied().unwrap_or_else(|| Span::file_start(id))
    }
}

/// The lines of the lockfile, by section: each section's first header line, and the first
/// line of each section that ends in `= "VALUE"`, by (section, VALUE).
#[derive(Default)]
struct LockLines {
    file: Option<crate::source::FileId>,
    headers: HashMap<String, Span>,
    values: HashMap<(String, String), Span>,
}

impl LockLines {
    fn new(model: &Model) -> Self {
        let Some(id) = model.sources.find(LOCKFILE) else {
            return LockLines::default();
        };
        let mut out = LockLines {
            file: Some(id),
            ..LockLines::default()
        };
        let Some(text) = model.sources.get(id).text.clone() else {
            return out;
        };
        let mut offset = 0;
        let mut section: Option<String> = None;
        for line in text.split('\n') {
            let t = line.trim();
            let span = Span::new(id, offset, offset + line.len());
            offset += line.len() + 1;
            if t.starts_with('[') {
                // `[[prompt]]` and `[prompt]` are both the prompt section.
                let name = t
                    .strip_prefix("[[")
                    .and_then(|r| r.strip_suffix("]]"))
                    .or_else(|| t.strip_prefix('[').and_then(|r| r.strip_suffix(']')))
                    .filter(|n| !n.contains(['[', ']']));
                section = name.map(str::to_string);
                if let Some(n) = &section {
                    out.headers.entry(n.clone()).or_insert(span);
                }
                continue;
            }
            let Some(section) = &section else { continue };
            let Some(body) = t.strip_suffix('"') else {
                continue;
            };
            // Every `= "` the line ends after: `a = "b = "c"` gives both `b = "c` and `c`.
            for (i, _) in body.match_indices("= \"") {
                let value = &body[i + 3..];
                out.values
                    .entry((section.clone(), value.to_string()))
                    .or_insert(span);
            }
        }
        out
    }
}

fn lock_line(model: &Model, prefix: &str) -> Span {
    let Some(id) = model.sources.find(LOCKFILE) else {
        return Span::file_start(model.config.file);
    };
    let Some(text) = model.sources.get(id).text.clone() else {
        return Span::file_start(id);
    };
    let mut offset = 0;
    for line in text.split('\n') {
        if line.starts_with(prefix) {
            return Span::new(id, offset, offset + line.len());
        }
        offset += line.len() + 1;
    }
    Span::file_start(id)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::snapshot::MemorySnapshot;

    const LOCK: &str = "version = 1\nroot = \"sha256:00\"\n\n[[prompt]]\nname = \"summarize\"\nversion = \"1.2.0\"\n\n[[prompt]]\nname = \"triage\"\n\n[[agent]]\nname = \"summarize\"\n\n[deploy]\nsha256 = \"ab\"\n";

    fn model() -> Model {
        let snapshot = MemorySnapshot::default()
            .with("agentlock.toml", "[project]\nname = \"p\"\n")
            .with(LOCKFILE, LOCK);
        let mut model = crate::load::load(&snapshot).expect("loads");
        // As `lock::check` adds it when it reads the lockfile.
        model
            .sources
            .add(LOCKFILE.into(), Some(LOCK.to_string().into()));
        model
    }

    fn line_of(span: Span) -> usize {
        LOCK[..span.start as usize].matches('\n').count() + 1
    }

    #[test]
    fn an_entry_is_the_first_line_of_its_section_naming_it() {
        let model = model();
        let places = Places::new(&model);
        assert_eq!(line_of(places.entry(Kind::Prompt, "summarize@1.2.0")), 5);
        assert_eq!(line_of(places.entry(Kind::Prompt, "triage")), 9);
        // The same name in another section is that section's line.
        assert_eq!(line_of(places.entry(Kind::Agent, "summarize")), 12);
        // An entry with no key is its section's header.
        assert_eq!(line_of(places.entry(Kind::Deploy, "")), 14);
        // Nothing in the section: the start of the lockfile.
        assert_eq!(places.entry(Kind::Tool, "gh").start, 0);
        // An item gone from the repository falls back to its lock entry.
        assert_eq!(line_of(places.item(Kind::Prompt, "triage")), 9);
    }
}
