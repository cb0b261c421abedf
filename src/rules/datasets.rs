//! DATA: golden datasets.

use super::{Context, Rule};
use crate::finding::{Control, Meta, Need, Scope};
use crate::finding::{Finding, Severity};
use crate::load::model::Dataset;

pub static DATA001: Rule = Rule {
    meta: Meta {
        code: "DATA001",
        name: "missing-golden-dataset",
        severity: Severity::Warning,
        summary: "No golden dataset of happy paths, of edge cases, or of failure scenarios.",
        checklist: Some("2.1"),
        needs: &[Need::Project],
        scope: Scope::Datasets,
        control: Control::Full,
        docs: r#"
A golden dataset's kind comes from `"kind"` in its header line
(`{"_dataset": {"name": …, "version": …, "kind": "edge_cases"}}`: `happy_path`, `edge_cases`
or `failures`), else from its name (`happy`, `edge`, `fail`/`error`/`fault`/`adversarial`).
A dataset with no items covers nothing.

## Why
Checklist 2.1: "Golden dataset updated and frozen", "Edge cases and failure scenarios
included". A release evaluated on happy paths alone says nothing about the requests that cause
incidents: empty or hostile input, a tool that is down, a question out of scope. Each kind needs
its own frozen, versioned set so that scores compare across releases.

## How to fix
Add the missing kind under datasets/, from real (anonymised) production traces where possible,
with a version in its header or file name.

## Example
```
datasets/golden_happy_path.jsonl
datasets/golden_edge_cases.jsonl
datasets/golden_failures.jsonl     # {"_dataset": {"name": "golden_failures", "version": "2026.11", "kind": "failures"}}
```
"#,
    },
    check,
};

pub static DATA002: Rule = Rule {
    meta: Meta {
        code: "DATA002",
        name: "dataset-changed-after-freeze",
        severity: Severity::Error,
        summary: "A dataset name@version whose content differs from the last release's.",
        checklist: Some("2.1"),
        needs: &[Need::History],
        scope: Scope::Datasets,
        control: Control::Full,
        docs: r#"
A dataset version is frozen by the release that ships it: the lock of the last release (the
newest tag matching `[release] tag_pattern` that HEAD reaches; its agentlock.lock, or the lock
computed from its tree) records the SHA-256 of each `name@version`. When the file under the same
name and version now hashes differently, this rule reports it at the version. It runs only in a
git repository.

## Why
Checklist 2.1: "Golden dataset updated and frozen". Scores are only comparable across releases
when each version of the golden set names one set of cases. Editing a frozen version (adding a
case the new prompt passes, dropping one it fails) silently moves the bar the release is judged
against, and the previous release's scores stop meaning anything.

## How to fix
Give the changed data a new version (in its header or file name) and run `agentlock lock`; or
restore the released file.

## Example
```
dataset `golden_edge_cases@2026.01` differs from release v1.2.0, which froze this version (sha256 5d2c… → 0b7e…)
```
"#,
    },
    check: check_frozen,
};

fn check_frozen(ctx: &Context) -> Vec<Finding> {
    let Some((release, Some(lock))) = ctx.history.and_then(|h| h.last()) else {
        return Vec::new();
    };
    let mut out = Vec::new();
    for d in &ctx.model.datasets {
        let Some(version) = &d.version else { continue };
        let key = format!("{}@{}", d.name.value, version.value);
        let Some(sha) = lock
            .get(crate::lock::Kind::Dataset, &key)
            .and_then(|e| e.get("sha256"))
        else {
            continue;
        };
        if sha == d.sha256 {
            continue;
        }
        out.push(
            Finding::new(
                &DATA002,
                version.span,
                key.clone(),
                format!(
                    "dataset `{key}` differs from release {}, which froze this version (sha256 {} → {})",
                    release.tag,
                    crate::lock::short(sha),
                    crate::lock::short(&d.sha256)
                ),
            )
            .label(format!("frozen in {}", release.tag))
            .help(format!(
                "give the changed data a new version and run `agentlock lock`, or restore {} as released in {}",
                d.path, release.tag
            )),
        );
    }
    out
}

/// The kinds of golden dataset a release needs, with the words that name each.
const KINDS: &[(&str, &str, &[&str])] = &[
    ("happy_path", "happy paths", &["happy"]),
    ("edge_cases", "edge cases", &["edge"]),
    (
        "failures",
        "failure scenarios",
        &["fail", "error", "fault", "adversarial"],
    ),
];

/// Which kind a dataset is: its header's `kind`, else a word in its name.
pub fn kind_of(d: &Dataset) -> Option<&'static str> {
    if let Some(k) = &d.kind {
        return KINDS
            .iter()
            .find(|(id, _, _)| *id == k.value.replace('-', "_"))
            .map(|(id, _, _)| *id);
    }
    let name = d.name.value.to_ascii_lowercase();
    KINDS
        .iter()
        .find(|(_, _, words)| words.iter().any(|w| name.contains(w)))
        .map(|(id, _, _)| *id)
}

fn check(ctx: &Context) -> Vec<Finding> {
    let model = ctx.model;
    let mut out = Vec::new();
    if model.incomplete.datasets {
        return out; // a dataset file failed to load (CONF001 says why): it may be the missing kind
    }
    for (id, what, _) in KINDS {
        let covered = model
            .datasets
            .iter()
            .any(|d| d.items > 0 && kind_of(d) == Some(*id));
        if covered {
            continue;
        }
        let globs = model.config.paths.datasets.join(", ");
        let empty = model
            .datasets
            .iter()
            .find(|d| d.items == 0 && kind_of(d) == Some(*id));
        let f = match empty {
            Some(d) => Finding::new(
                &DATA001,
                d.name.span,
                *id,
                format!("golden dataset `{}` ({what}) has no items", d.name.value),
            )
            .label("empty"),
            None => Finding::new(
                &DATA001,
                model.config.name.span,
                *id,
                format!("no golden dataset of {what} (looked in {globs})"),
            )
            .label(format!("no {} dataset", id.replace('_', "-"))),
        };
        out.push(f.help(format!(
            "add datasets/golden_{id}.jsonl with a header line {{\"_dataset\": {{\"name\": \"golden_{id}\", \"version\": \"2026.11\", \"kind\": \"{id}\"}}}} and one JSON case per line"
        )));
    }
    out
}
