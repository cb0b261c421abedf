//! DATA: golden datasets.

use super::{Context, Rule};
use crate::finding::{Finding, Severity};
use crate::model::Dataset;

pub static DATA001: Rule = Rule {
    code: "DATA001",
    name: "missing-golden-dataset",
    severity: Severity::Warning,
    summary: "No golden dataset of happy paths, of edge cases, or of failure scenarios.",
    checklist: Some("2.1"),
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
    check,
};

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
