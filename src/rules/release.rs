//! REL: the lockfile and the release.

use super::{Context, Rule};
use crate::finding::{Finding, Severity};
use crate::lock::{ChangeKind, Kind, LOCKFILE, LockStatus};
use crate::model::Model;
use crate::source::Span;

pub static REL001: Rule = Rule {
    code: "REL001",
    name: "missing-lockfile",
    severity: Severity::Error,
    summary: "The repository has no agentlock.lock.",
    checklist: Some("1.2"),
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
    check: check_missing,
};

pub static REL002: Rule = Rule {
    code: "REL002",
    name: "stale-lockfile",
    severity: Severity::Error,
    summary: "The lockfile does not match the repository; each differing entry is named.",
    checklist: Some("1.2"),
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
    check: check_stale,
};

fn check_missing(ctx: &Context) -> Vec<Finding> {
    match ctx.lock {
        Some(LockStatus::Missing) => {
            let cfg = &ctx.model.config;
            vec![
                Finding::new(
                    &REL001,
                    cfg.name.span,
                    LOCKFILE,
                    format!("project `{}` has no {LOCKFILE}", cfg.name.value),
                )
                .label("no lockfile for this project")
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
        Some(LockStatus::Stale {
            changes,
            root_mismatch,
        }) => {
            let mut out: Vec<Finding> = changes
                .iter()
                .map(|c| {
                    let subject = if c.key.is_empty() { c.kind.as_str().to_string() } else { c.key.clone() };
                    let span = match c.what {
                        ChangeKind::Removed => lock_span(model, c.kind, &c.key),
                        _ => item_span(model, c.kind, &c.key),
                    };
                    let label = match c.what {
                        ChangeKind::Added => "not locked",
                        ChangeKind::Removed => "locked, but gone from the repository",
                        ChangeKind::Modified(_) => "changed since the lock was written",
                    };
                    Finding::new(&REL002, span, subject, c.describe())
                        .label(label)
                        .help("if the change is intended, run `agentlock lock` and commit agentlock.lock with it")
                })
                .collect();
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

/// Where an item of the repository is defined.
fn item_span(model: &Model, kind: Kind, key: &str) -> Span {
    let found = match kind {
        Kind::Prompt => model
            .prompts
            .iter()
            .find(|p| p.id() == key)
            .map(|p| p.name.span),
        Kind::Model => model
            .models
            .as_ref()
            .and_then(|m| m.aliases.iter().find(|a| a.alias.value == key))
            .map(|a| a.alias.span),
        Kind::Tool => model.tool_server(key).map(|t| t.server.span),
        Kind::Agent => model.agent(key).map(|a| a.name.span),
        Kind::Topology => model.topology.as_ref().map(|t| {
            t.entry
                .as_ref()
                .map_or(Span::file_start(t.file), |e| e.span)
        }),
        Kind::Dataset => model
            .datasets
            .iter()
            .find(|d| {
                format!(
                    "{}@{}",
                    d.name.value,
                    d.version.as_ref().map_or("", |v| v.value.as_str())
                )
                .trim_end_matches('@')
                    == key
            })
            .map(|d| d.name.span),
        Kind::Deploy => model.deploy.as_ref().map(|d| Span::file_start(d.file)),
    };
    found.unwrap_or_else(|| lock_span(model, kind, key))
}

/// Where an entry sits in the lockfile: its section header followed by its key.
fn lock_span(model: &Model, kind: Kind, key: &str) -> Span {
    let Some(id) = model.sources.find(LOCKFILE) else {
        return Span::file_start(model.config.file);
    };
    let Some(text) = model.sources.get(id).text.clone() else {
        return Span::file_start(id);
    };
    let first = key.split('@').next().unwrap_or(key);
    let headers = [
        format!("[[{}]]", kind.as_str()),
        format!("[{}]", kind.as_str()),
    ];
    let mut offset = 0;
    let mut in_section = false;
    for line in text.split('\n') {
        let t = line.trim();
        if t.starts_with('[') {
            in_section = headers.iter().any(|h| h == t);
            if in_section && key.is_empty() {
                return Span::new(id, offset, offset + line.len());
            }
        } else if in_section && t.ends_with(&format!("= \"{first}\"")) {
            return Span::new(id, offset, offset + line.len());
        }
        offset += line.len() + 1;
    }
    Span::file_start(id)
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
