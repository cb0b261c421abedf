//! PRM: prompt versions and references.

use super::{Context, Rule};
use crate::finding::{Control, Meta, Scope};
use crate::finding::{Finding, Severity};
use crate::load::codeowners::Ownership;
use crate::load::model::Prompt;
use crate::lock::{ChangeKind, Kind, LockStatus};
use std::collections::{HashMap, HashSet};

pub static PRM001: Rule = Rule {
    meta: Meta {
        code: "PRM001",
        name: "prompt-version-reused",
        severity: Severity::Error,
        summary: "A prompt name@version whose content differs from the lockfile (or, with git, from a release).",
        checklist: Some("1.2"),
        needs: &[],
        scope: Scope::Prompts,
        control: Control::Full,
        docs: r#"
A prompt's `name@version` is immutable once it is locked: the lockfile records its SHA-256
(bytes with LF line endings). When the file's content changes and the version does not, this
rule reports it at the version. In a git repository the rule also checks every release tag
(`[release] tag_pattern`): a version that a release holds with other content is reported with
the tag that holds the original, even when the lockfile was regenerated after the edit.

## Why
Checklist 1.2: "Prompt versions are immutable and tagged" and "Previous stable prompt version
recorded (rollback target)". Agents, evaluations, traces and rollbacks all name a prompt by
version. If `planner@1.3.0` means one text in production and another in the repository, a
rollback to 1.3.0 restores the wrong prompt, the golden-dataset scores of 1.3.0 no longer
describe it, and traces cannot be compared across the change.

## How to fix
Bump the prompt's `version` (patch for wording, minor for behaviour, major for a new contract),
update the agents that reference it, and run `agentlock lock`. If the edit was a mistake,
restore the locked text.

## Example
```
prompt `planner@1.3.0` differs from release v1.3.0, which holds this version (sha256 4be1a09c2d7e → 91ac77d0f3b2)
```
```yaml
---
name: planner
version: 1.3.1   # was 1.3.0; the text changed
---
```
"#,
    },
    check: check_reused,
};

fn check_reused(ctx: &Context) -> Vec<Finding> {
    let mut out = released_differently(ctx);
    let Some(LockStatus::Stale { changes, .. }) = ctx.lock else {
        return out;
    };
    let reported: HashSet<String> = out.iter().map(|f| f.subject.clone()).collect();
    for c in changes {
        if reported.contains(&c.key) {
            continue; // the release half said it, naming the tag
        }
        let (Kind::Prompt, ChangeKind::Modified(fields)) = (c.kind, &c.what) else {
            continue;
        };
        let Some((_, old, new)) = fields.iter().find(|(f, _, _)| f == "sha256") else {
            continue; // moved or renamed, same content
        };
        for p in ctx.model.prompts_with_id(&c.key) {
            let Some(version) = &p.version else { continue };
            out.push(
                Finding::new(
                    &PRM001,
                    version.span,
                    p.id(),
                    format!(
                        "prompt `{}` changed after it was locked (sha256 {old} → {new}) but kept version {}",
                        p.id(),
                        version.value
                    ),
                )
                .label("same version, different content")
                .help(format!(
                    "bump the version (e.g. {}), update the agents that use it, and run `agentlock lock`; or restore the locked text",
                    next_patch(&version.value)
                )),
            );
        }
    }
    out
}

/// The release half: a prompt name@version that a release holds with other content. The
/// oldest such release is named, since it holds the original.
fn released_differently(ctx: &Context) -> Vec<Finding> {
    let Some(history) = ctx.history else {
        return Vec::new();
    };
    let mut out = Vec::new();
    for p in &ctx.model.prompts {
        let Some(version) = &p.version else { continue };
        let Some(original) = history
            .released_prompt(&p.name.value, &version.value)
            .iter()
            .find(|r| r.sha256 != p.sha256)
        else {
            continue;
        };
        let release = &history.releases.all[original.release];
        let id = p.id();
        out.push(
            Finding::new(
                &PRM001,
                version.span,
                id.clone(),
                format!(
                    "prompt `{id}` differs from release {}, which holds this version (sha256 {} → {})",
                    release.tag,
                    crate::lock::short(&original.sha256),
                    crate::lock::short(&p.sha256)
                ),
            )
            .label(format!("released in {} with other content", release.tag))
            .help(format!(
                "a released version is immutable: bump the version (e.g. {}), update the agents that use it, and run `agentlock lock`; or restore the text released in {} ({} at {})",
                next_patch(&version.value),
                release.tag,
                p.path,
                release.tag
            )),
        );
    }
    out
}

/// `1.3.0` → `1.3.1`; anything else is returned as is.
fn next_patch(v: &str) -> String {
    match semver::Version::parse(v) {
        Ok(mut s) => {
            s.patch += 1;
            s.pre = semver::Prerelease::EMPTY;
            s.to_string()
        }
        Err(_) => v.to_string(),
    }
}

pub static PRM002: Rule = Rule {
    meta: Meta {
        code: "PRM002",
        name: "invalid-prompt-version",
        severity: Severity::Error,
        summary: "A prompt without an exact semver version.",
        checklist: Some("1.2"),
        needs: &[],
        scope: Scope::Prompts,
        control: Control::Full,
        docs: r#"
## Why
A prompt version is how a release, a trace and a rollback name the exact text a model saw. The
checklist asks for immutable, tagged prompt versions; that needs one exact version per prompt
(`1.3.0`), not a range, a label such as `latest`, or nothing.

## How to fix
Write an exact semantic version in the front matter, and bump it whenever the text changes.

## Example
```
---
name: planner
version: 1.3.0
model: reasoning
---
```
"#,
    },
    check: check_versions,
};

pub static PRM003: Rule = Rule {
    meta: Meta {
        code: "PRM003",
        name: "unresolved-prompt",
        severity: Severity::Error,
        summary: "An agent names a prompt@version that does not exist.",
        checklist: Some("1.2"),
        needs: &[],
        scope: Scope::Agents,
        control: Control::Full,
        docs: r#"
## Why
The checklist asks that each prompt version be mapped to its agent. An agent pointing at a
prompt version that is not in the repository either fails at start-up or, worse, picks up
whatever the prompt store serves under that name.

## How to fix
Point the agent at a version that exists (the finding lists them), or add that version.

## Example
```yaml
agents:
  planner: { role: planner, prompt: planner@1.3.0 }   # prompts/planner.prompt has version 1.3.0
```
"#,
    },
    check: check_refs,
};

pub static PRM004: Rule = Rule {
    meta: Meta {
        code: "PRM004",
        name: "floating-prompt-ref",
        severity: Severity::Error,
        summary: "An agent names a prompt with no exact version.",
        checklist: Some("1.2"),
        needs: &[],
        scope: Scope::Agents,
        control: Control::Full,
        docs: r#"
## Why
`prompt: planner` or `planner@latest` follows whatever the newest prompt is: a prompt edit then
changes production behaviour with no change to the agent, and a rollback of the agent does not
roll the prompt back. Label-based references (as Langfuse's `production`) float the same way.

## How to fix
Reference the prompt as `name@exact-version`.

## Example
```yaml
agents:
  planner: { role: planner, prompt: planner@1.3.0 }
```
"#,
    },
    check: check_refs_floating,
};

pub static PRM005: Rule = Rule {
    meta: Meta {
        code: "PRM005",
        name: "unused-prompt",
        severity: Severity::Warning,
        summary: "A prompt that no agent uses.",
        checklist: None,
        needs: &[],
        scope: Scope::Prompts,
        control: Control::Full,
        docs: r#"
## Why
A prompt no agent references is still reviewed, locked and shipped, and it is easy to edit the
wrong copy. Old versions belong in git history and release tags, not beside the current one.

## How to fix
Remove the prompt, or reference it from the agent that should use it.

## Example
```
prompts/planner.prompt      version 1.3.0, used by agent planner
prompts/planner-old.prompt  version 1.2.0, used by nobody → PRM005
```
"#,
    },
    check: check_unused,
};

/// Splits `name@version`.
pub fn split_ref(r: &str) -> (&str, Option<&str>) {
    match r.split_once('@') {
        Some((n, v)) => (n.trim(), Some(v.trim())),
        None => (r.trim(), None),
    }
}

/// Exact semver: `1.2.3`, with optional pre-release and build; no `v`, no ranges.
pub fn is_exact_semver(v: &str) -> bool {
    semver::Version::parse(v).is_ok()
}

fn check_versions(ctx: &Context) -> Vec<Finding> {
    let mut out = Vec::new();
    // A partial has no version of its own: the prompts that include it do.
    for p in ctx.model.prompts.iter().filter(|p| !p.partial) {
        let name = &p.name.value;
        match &p.version {
            None => out.push(
                Finding::new(
                    &PRM002,
                    p.name.span,
                    name.clone(),
                    format!("prompt `{name}` has no version"),
                )
                .label("no `version` in the front matter")
                .help("add `version: 1.0.0` to the front matter"),
            ),
            Some(v) if !is_exact_semver(&v.value) => {
                let suggestion = v.value.trim_start_matches(['v', 'V']);
                let help = if is_exact_semver(suggestion) {
                    format!("write `version: {suggestion}`")
                } else {
                    "write an exact version such as `1.0.0`: three numbers, no range, no label"
                        .to_string()
                };
                out.push(
                    Finding::new(&PRM002, v.span, name.clone(), format!("prompt `{name}` has version `{}`, which is not an exact semver version", v.value))
                        .label("not exact semver")
                        .help(help),
                );
            }
            Some(_) => {}
        }
    }
    out
}

/// Each prompt name with its versions, in file order (an unversioned prompt adds none): built
/// once per rule, so that thousands of references each cost one lookup.
fn versions_by_name(prompts: &[Prompt]) -> HashMap<&str, Vec<&str>> {
    let mut out: HashMap<&str, Vec<&str>> = HashMap::new();
    for p in prompts {
        let versions = out.entry(p.name.value.as_str()).or_default();
        if let Some(v) = &p.version {
            versions.push(v.value.as_str());
        }
    }
    out
}

fn check_refs(ctx: &Context) -> Vec<Finding> {
    let prompts = &ctx.model.prompts;
    if ctx.model.incomplete.prompts {
        return Vec::new(); // a prompt file failed to load: CONF001 says so
    }
    let ids: HashSet<String> = prompts.iter().map(|p| p.id()).collect();
    let by_name = versions_by_name(prompts);
    let names = crate::suggest::Index::new(prompts.iter().map(|p| p.name.value.as_str()));
    let mut out = Vec::new();
    for a in ctx.model.agents() {
        let Some(r) = &a.prompt else { continue };
        let (name, version) = split_ref(&r.value);
        let Some(version) = version.filter(|v| is_exact_semver(v)) else {
            continue;
        };
        if ids.contains(&format!("{name}@{version}")) {
            continue;
        }
        let exists = by_name.contains_key(name);
        let available = by_name.get(name).cloned().unwrap_or_default();
        let (message, help) = if exists && available.is_empty() {
            (
                format!(
                    "agent `{}` uses prompt `{name}@{version}`, but prompt `{name}` has no version",
                    a.name.value
                ),
                format!("give prompt `{name}` the version `{version}` in its front matter"),
            )
        } else if available.is_empty() {
            let hint = names.hint(name);
            (
                format!(
                    "agent `{}` uses prompt `{name}@{version}`, but there is no prompt `{name}`.{hint}",
                    a.name.value
                ),
                "add the prompt under prompts/, or correct the name".to_string(),
            )
        } else {
            (
                format!(
                    "agent `{}` uses prompt `{name}@{version}`, which does not exist",
                    a.name.value
                ),
                format!(
                    "prompt `{name}` exists at: {}",
                    crate::suggest::listing(&available)
                ),
            )
        };
        out.push(
            Finding::new(&PRM003, r.span, a.name.value.clone(), message)
                .label("no such prompt version")
                .help(help),
        );
    }
    out
}

fn check_refs_floating(ctx: &Context) -> Vec<Finding> {
    let by_name = versions_by_name(&ctx.model.prompts);
    let mut out = Vec::new();
    for a in ctx.model.agents() {
        let Some(r) = &a.prompt else { continue };
        let (name, version) = split_ref(&r.value);
        if version.is_some_and(is_exact_semver) {
            continue;
        }
        let available = by_name.get(name).cloned().unwrap_or_default();
        let help = match available.as_slice() {
            [] => format!("write `{name}@<version>`"),
            [v] => format!("write `{name}@{v}`"),
            vs => format!(
                "write `{name}@<version>`, one of: {}",
                crate::suggest::listing(vs)
            ),
        };
        let message = match version {
            None => format!(
                "agent `{}` names prompt `{name}` with no version",
                a.name.value
            ),
            Some(v) => format!(
                "agent `{}` names prompt `{name}@{v}`; `{v}` is not an exact version",
                a.name.value
            ),
        };
        out.push(
            Finding::new(&PRM004, r.span, a.name.value.clone(), message)
                .label("floating reference")
                .help(help),
        );
    }
    out
}

fn check_unused(ctx: &Context) -> Vec<Finding> {
    // Without a topology, or one whose agents do not name their prompts (CrewAI writes them
    // inline), nothing can be said about use.
    if !ctx.model.topologies.iter().any(|t| t.keys.names_prompts) || ctx.model.incomplete.agents {
        return Vec::new();
    }
    let mut used_ids = HashSet::new();
    let mut used_names = HashSet::new();
    for a in ctx.model.agents() {
        let Some(r) = &a.prompt else { continue };
        let (name, version) = split_ref(&r.value);
        match version.filter(|v| is_exact_semver(v)) {
            Some(v) => used_ids.insert(format!("{name}@{v}")),
            None => used_names.insert(name.to_string()), // floating: PRM004 reports it; count every version as used
        };
    }
    ctx.model
        .prompts
        .iter()
        .filter(|p| {
            p.version
                .as_ref()
                .is_some_and(|v| is_exact_semver(&v.value))
        }) // else PRM002
        .filter(|p| !used_ids.contains(&p.id()) && !used_names.contains(&p.name.value))
        .map(|p| {
            Finding::new(
                &PRM005,
                p.name.span,
                p.id(),
                format!("prompt `{}` is not used by any agent", p.id()),
            )
            .label("no agent references this prompt version")
            .help(format!(
                "remove {}, or reference it as `prompt: {}` from an agent",
                crate::source::shown_path(&p.path),
                p.id()
            ))
        })
        .collect()
}

pub static PRM006: Rule = Rule {
    meta: Meta {
        code: "PRM006",
        name: "unowned-prompt",
        severity: Severity::Warning,
        summary: "A prompt that no CODEOWNERS rule covers: changes to it need no owner's review.",
        checklist: Some("1.2"),
        needs: &[],
        scope: Scope::Prompts,
        control: Control::Full,
        docs: r#"
## Why
A prompt change is a behaviour change: the checklist asks that prompt changes be reviewed and
approved. On GitHub that is done by code owners: with branch protection requiring code-owner
review, a pull request that touches a file cannot merge until one of the file's owners approves.
A prompt that no CODEOWNERS rule covers, or whose last matching rule lists no owners, can be
changed with nobody in particular asked to review it.

agentlock reads CODEOWNERS as GitHub does: the first of `.github/CODEOWNERS`, `CODEOWNERS` and
`docs/CODEOWNERS`, gitignore-style patterns, and the last matching line wins. Lines GitHub skips
(`!` negation, `[ ]` ranges, `\#`) match nothing and are reported as CONF001.

## How to fix
Add a rule that gives the prompts an owner, after any broader rule, or give owners to the
ownerless rule that matches them. Then require code-owner review on the release branch.

## Example
```
# .github/CODEOWNERS: the last matching line wins
*            @acme/platform
/prompts/    @acme/prompt-reviewers
```
"#,
    },
    check: check_owned,
};

fn check_owned(ctx: &Context) -> Vec<Finding> {
    let model = ctx.model;
    if model.prompts.is_empty() || model.incomplete.codeowners {
        return Vec::new(); // nothing to own, or the file failed to load: CONF001 says so
    }
    let mut paths: Vec<&str> = model.prompts.iter().map(|p| p.path.as_str()).collect();
    paths.sort_unstable();
    paths.dedup();
    let suggestion = owner_pattern(&paths);
    let Some(co) = &model.codeowners else {
        let n = model.prompts.len();
        let places = crate::load::CODEOWNERS_PATHS.join(", ");
        return vec![
            Finding::new(
                &PRM006,
                model.config.name.span,
                "CODEOWNERS",
                format!(
                    "the repository has no CODEOWNERS file, so {} {n} prompt{} {} no code owner to review changes",
                    if n == 1 { "its" } else { "all" },
                    if n == 1 { "" } else { "s" },
                    if n == 1 { "has" } else { "have" },
                ),
            )
            .label("no CODEOWNERS file")
            .help(format!(
                "GitHub uses the first of {places}; add one with a rule such as `{suggestion} @your-org/prompt-reviewers`"
            )),
        ];
    };
    let mut out = Vec::new();
    for p in &model.prompts {
        let id = p.id();
        match co.ownership(&p.path) {
            Ownership::NoRule => out.push(
                Finding::new(
                    &PRM006,
                    p.name.span,
                    id.clone(),
                    format!(
                        "prompt `{id}` has no code owner: no rule in {} matches {}",
                        co.path, p.path
                    ),
                )
                .label("no code owner")
                .help(format!(
                    "add a rule such as `{suggestion} @your-org/prompt-reviewers` to {}",
                    co.path
                )),
            ),
            Ownership::Rule { rule, earlier } if rule.owners.is_empty() => {
                // `earlier`: the rule that would decide without this one
                let fallback = match earlier {
                    Some(e) if !e.owners.is_empty() => format!(
                        ", or delete it so that line {} (`{} {}`) applies",
                        e.line,
                        e.pattern,
                        e.owners.join(" ")
                    ),
                    _ => String::new(),
                };
                out.push(
                    Finding::new(
                        &PRM006,
                        p.name.span,
                        id.clone(),
                        format!(
                            "prompt `{id}` has no code owner: the last rule in {} that matches {}, `{}` on line {}, lists no owners",
                            co.path, p.path, rule.pattern, rule.line
                        ),
                    )
                    .label("no code owner")
                    .with_label(rule.span, "the last matching rule, with no owners")
                    .help(format!(
                        "give that line owners (`{} @your-org/prompt-reviewers`){fallback}",
                        rule.pattern
                    )),
                );
            }
            // decided by its owners, or not decided (CONF001 at CODEOWNERS says why)
            Ownership::Rule { .. } | Ownership::Unknown => {}
        }
    }
    out
}

/// A CODEOWNERS pattern that covers all these paths: their common top directory, else their
/// common extension, else everything.
fn owner_pattern(paths: &[&str]) -> String {
    let top = |p: &str| p.split_once('/').map(|(d, _)| d.to_string());
    let first = paths.first().and_then(|p| top(p));
    if let Some(dir) = first.filter(|d| paths.iter().all(|p| top(p).as_ref() == Some(d))) {
        return format!("/{dir}/");
    }
    let ext = |p: &str| p.rsplit_once('.').map(|(_, e)| e.to_string());
    let first = paths.first().and_then(|p| ext(p));
    match first.filter(|e| paths.iter().all(|p| ext(p).as_ref() == Some(e))) {
        Some(e) => format!("*.{e}"),
        None => "*".to_string(),
    }
}

#[cfg(test)]
mod prm006_tests {
    use super::owner_pattern;

    #[test]
    fn suggested_owner_pattern() {
        for (paths, want) in [
            (
                &["prompts/a.prompt", "prompts/sub/b.prompt"][..],
                "/prompts/",
            ),
            (&["a/x.prompt", "b/y.prompt"][..], "*.prompt"),
            (&["x.prompt"][..], "*.prompt"),
            (&["a/x.prompt", "b/y.txt"][..], "*"),
        ] {
            assert_eq!(owner_pattern(paths), want, "{paths:?}");
        }
    }
}
