//! CONF: files that do not parse or do not fit the format.

use super::{Context, Rule};
use crate::finding::{Control, Meta, Scope};
use crate::finding::{Finding, Severity};
use crate::load::model::Model;

pub static CONF001: Rule = Rule {
    meta: Meta {
        code: "CONF001",
        name: "invalid-file",
        severity: Severity::Error,
        summary: "A file that does not parse, or breaks the format, at the place it breaks.",
        checklist: None,
        needs: &[],
        scope: Scope::Files,
        control: Control::Fixed,
        docs: r#"
## Why
A file agentlock cannot read is a file no other rule checks: a typo in a key (`timout:`) silently
drops a safeguard, a YAML error can make a whole topology vanish. So every such problem is an error
with its exact location: malformed YAML, JSON or TOML, unknown keys (with a did-you-mean),
values of the wrong type, unparseable durations or rates, binary or non-UTF-8 files, files over
the size limit, YAML alias bombs and excessive nesting, and symlinks that lead outside the
repository (never followed).

## How to fix
Correct the file at the location shown. For an unknown key, use the suggested spelling.

## Example
```yaml
agents:
  planner:
    timout: 30s      # CONF001: unknown key `timout` in agent `planner`; did you mean `timeout`?
```
"#,
    },
    check,
};

pub static CONF002: Rule = Rule {
    meta: Meta {
        code: "CONF002",
        name: "unmatched-glob",
        severity: Severity::Warning,
        summary: "A glob set in agentlock.toml or a policy file it extends (`[paths]`, `[sources]`, `[policy] rego`) that matches no file of the repository.",
        checklist: None,
        needs: &[],
        scope: Scope::Policy,
        control: Control::Full,
        docs: r#"
## Why
A pattern that matches nothing checks and locks nothing, and says nothing about it: the prompts it
was meant to find are never reviewed, versioned or pinned, and what refers to them fails with
findings that do not name the cause. Paths are matched from the repository root and are
case-sensitive, and a glob names files, not a directory (`prompts/` matches nothing).

## How to fix
Correct the pattern (the directory, the case, the extension), or remove the key to use its
default. Where nothing is meant to match yet, turn the rule off for the project
(`[policy.severity] CONF002 = "off"`).

## Example
```toml
[paths]
prompts = ["Prompts/**/*.prompt"]   # CONF002: nothing is below Prompts/ (the directory is prompts/)
```
"#,
    },
    check: check_unmatched,
};

fn check_unmatched(ctx: &Context) -> Vec<Finding> {
    ctx.model
        .unmatched
        .iter()
        .map(|u| {
            let g = &u.glob;
            let help = if g.pattern.ends_with('/') {
                format!(
                    "a glob names files, not a directory: `{}**` is every file below it",
                    g.pattern
                )
            } else if let Some(dir) = &u.empty_start {
                format!(
                    "nothing in the repository is below `{dir}/` (paths are from the root, and case-sensitive); correct the directory, or remove the pattern"
                )
            } else {
                "no file's name fits the rest of the pattern; check the names and extensions, or remove the pattern".to_string()
            };
            Finding::new(
                &CONF002,
                g.span,
                g.key.clone(),
                format!("{} `{}` matches no file in the repository", g.key, g.pattern),
            )
            .label("matches nothing")
            .help(help)
        })
        .collect()
}

fn check(ctx: &Context) -> Vec<Finding> {
    let mut out = findings(&ctx.model.problems);
    out.extend(findings(&ctx.policy.problems));
    if let Some(gate) = ctx.evidence {
        out.extend(findings(&gate.candidate.problems));
    }
    out.extend(duplicates(ctx.model));
    out
}

/// What makes a model one that cannot be locked: what did not load, what in its policy names
/// no rule it can control, and what is defined twice.
pub fn of_model(model: &Model) -> Vec<Finding> {
    let policy = crate::policy::Policy::new(
        &model.config,
        &model.suppressions,
        &model.sources,
        &model.catalog(super::catalog()),
        0,
    );
    check(&Context {
        org: None,
        evidence: None,
        trace: None,
        traces: None,
        model,
        policy: &policy,
        lock: None,
        history: None,
    })
}

/// Two definitions of one prompt name@version, one server or one dataset version: which one
/// counts cannot be told.
fn duplicates(model: &Model) -> Vec<Finding> {
    let mut problems = Vec::new();
    let mut seen = std::collections::HashMap::new();
    for p in &model.prompts {
        if let Some(first) = seen.insert(p.id(), p) {
            problems.push(
                crate::problem::Problem::new(
                    p.name.span,
                    p.id(),
                    format!("prompt `{}` is defined twice", p.id()),
                )
                .with_label(first.name.span, "first defined here")
                .help("give one of them a new version, or remove it"),
            );
        }
    }
    let mut seen = std::collections::HashMap::new();
    for t in &model.tools {
        // Templates (`<<McpRepositoryName>>`) share their placeholder name.
        if crate::model_ids::is_expression(&t.server.value) {
            continue;
        }
        if let Some(first) = seen.insert(t.server.value.clone(), t) {
            problems.push(
                crate::problem::Problem::new(
                    t.server.span,
                    t.server.value.clone(),
                    format!("server `{}` is declared by two manifests", t.server.value),
                )
                .with_label(first.server.span, "first declared here")
                .help("one manifest per server: merge them or rename one"),
            );
        }
    }
    let mut seen = std::collections::HashMap::new();
    for d in &model.datasets {
        let key = format!(
            "{}@{}",
            d.name.value,
            d.version.as_ref().map_or("", |v| v.value.as_str())
        );
        if let Some(first) = seen.insert(key.clone(), d) {
            problems.push(
                crate::problem::Problem::new(
                    d.name.span,
                    d.name.value.clone(),
                    format!("dataset `{key}` is defined twice"),
                )
                .with_label(first.name.span, "first defined here"),
            );
        }
    }
    findings(&problems)
}

/// Load problems as CONF001 findings.
pub fn findings(problems: &[crate::problem::Problem]) -> Vec<Finding> {
    problems.iter().map(finding).collect()
}

fn finding(p: &crate::problem::Problem) -> Finding {
    let mut f = Finding::new(&CONF001, p.span, p.subject.clone(), p.message.clone());
    f.label = p.label.clone();
    f.help = p.help.clone();
    for (span, text) in &p.labels {
        f = f.with_label(*span, text.clone());
    }
    f
}
