//! Human QA reviews (checklist 2.3): a small YAML format of agentlock's own,
//! `agentlock.qa/v1`, stored as evidence like a harness's results.
//!
//! ```yaml
//! schema: agentlock.qa/v1
//! reviewer: dana@example.com
//! reviewed: 2026-11-28
//! issues:
//!   - id: QA-17
//!     severity: critical      # critical | major | minor
//!     status: open            # open | resolved | accepted
//!     summary: The refund agent promises refunds above the limit
//!     cases: [hp-004]         # optional: the golden cases it was seen on
//! ```
//!
//! An open critical issue blocks the release.

// A review fails with one problem, once per file: its size does not matter.
#![allow(clippy::result_large_err)]

use crate::load::fields::{Table, Ty, f, req};
use crate::node::{self, Node, Value};
use crate::problem::Problem;
use crate::source::{FileId, Span};

pub const SCHEMA: &str = "agentlock.qa/v1";
const SEVERITIES: &[&str] = &["critical", "major", "minor"];
const STATUSES: &[&str] = &["open", "resolved", "accepted"];

/// A QA review file.
pub const FILE: Table = Table::new(
    "qa",
    "A human QA review (agentlock.qa/v1), stored as evidence with `agentlock evidence add`.",
    &[
        f(
            "schema",
            Ty::Enum(&[SCHEMA]),
            "The format: `agentlock.qa/v1`.",
        ),
        f("reviewer", Ty::Text, "Who reviewed."),
        f("reviewed", Ty::Date, "When: YYYY-MM-DD."),
        f("issues", Ty::List(&Ty::Object(&ISSUE)), "The issues found."),
    ],
);
const ISSUE: Table = Table::new(
    "issue",
    "One issue a reviewer found; an open critical one blocks the release.",
    &[
        req(
            "id",
            Ty::OneOf(&[Ty::Text, Ty::Int]),
            "The issue's id (`QA-17`).",
        ),
        req(
            "severity",
            Ty::Enum(SEVERITIES),
            "critical, major or minor.",
        ),
        req("status", Ty::Enum(STATUSES), "open, resolved or accepted."),
        f("summary", Ty::OneOf(&[Ty::Text, Ty::Int]), "What is wrong."),
        f(
            "cases",
            Ty::List(&Ty::OneOf(&[Ty::Text, Ty::Int])),
            "The golden cases it was seen on.",
        ),
    ],
);

/// One QA review file.
#[derive(Clone, Debug)]
pub struct Review {
    pub file: FileId,
    pub reviewer: Option<String>,
    pub issues: Vec<Issue>,
}

/// One issue a reviewer found.
#[derive(Clone, Debug)]
pub struct Issue {
    pub id: String,
    pub severity: String,
    pub status: String,
    pub summary: String,
    /// The issue's entry in the file.
    pub span: Span,
}

impl Issue {
    pub fn blocks(&self) -> bool {
        self.severity == "critical" && self.status == "open"
    }
}

/// Whether a text is a QA review (its `schema` line).
pub fn is_review(text: &str) -> bool {
    text.lines()
        .map(str::trim)
        .find(|l| !l.is_empty() && !l.starts_with('#'))
        .is_some_and(|l| {
            l.strip_prefix("schema:")
                .is_some_and(|v| v.trim().trim_matches(['"', '\'']) == SCHEMA)
        })
}

/// Reads a review; the first thing wrong is the problem (nothing of a bad file is used).
pub fn read(text: &str, file: FileId) -> Result<Review, Problem> {
    let path = "QA review";
    let bad = |span: Span, message: String| {
        Problem::new(span, path, message).help(
            "a QA review is YAML: `schema: agentlock.qa/v1`, `reviewer`, `reviewed`, and \
             `issues` with `id`, `severity` (critical, major, minor), `status` (open, \
             resolved, accepted) and `summary`",
        )
    };
    let root = node::parse_yaml(text, file).map_err(|e| {
        let at = e.offset.unwrap_or(0);
        bad(
            Span::new(file, at, at + 1),
            format!("the QA review is not valid YAML: {}", e.message),
        )
    })?;
    let map = root
        .as_map()
        .ok_or_else(|| bad(root.span, "a QA review is a mapping".into()))?;
    for (k, _) in map {
        if FILE.get(&k.name).is_none() {
            return Err(bad(
                k.span,
                format!("`{}` is not a key of a QA review", k.name),
            ));
        }
    }
    if let Some(n) = root.get("schema")
        && !matches!(n.value, Value::Null)
        && n.as_str() != Some(SCHEMA)
    {
        return Err(bad(n.span, format!("`schema` must be `{SCHEMA}`")));
    }
    let reviewer = match root.get("reviewer") {
        None => None,
        Some(n) => match &n.value {
            Value::Str(s) => Some(s.clone()),
            Value::Null => None,
            _ => return Err(bad(n.span, "`reviewer` must be text".into())),
        },
    };
    if let Some(n) = root.get("reviewed")
        && !matches!(n.value, Value::Null)
        && n.scalar_text()
            .and_then(|t| crate::date::parse_date(&t))
            .is_none()
    {
        return Err(bad(
            n.span,
            "`reviewed` must be a date written YYYY-MM-DD".into(),
        ));
    }
    let mut issues = Vec::new();
    let list: &[Node] = match root.get("issues").map(|n| &n.value) {
        Some(Value::Seq(s)) => s,
        None | Some(Value::Null) => &[],
        Some(_) => {
            let n = root.get("issues").map_or(root.span, |n| n.span);
            return Err(bad(n, "`issues` must be a list".into()));
        }
    };
    for item in list {
        let Some(fields) = item.as_map() else {
            return Err(bad(item.span, "each issue is a mapping".into()));
        };
        for (k, _) in fields {
            if ISSUE.get(&k.name).is_none() {
                return Err(bad(
                    k.span,
                    format!("`{}` is not a key of an issue", k.name),
                ));
            }
        }
        let text_of = |key: &str| -> Result<String, Problem> {
            match item.get(key).map(|n| (&n.value, n.span)) {
                Some((Value::Str(s), _)) => Ok(s.clone()),
                Some((Value::Int(i), _)) => Ok(i.to_string()),
                Some((_, span)) => Err(bad(span, format!("an issue's `{key}` must be text"))),
                None => Err(bad(item.span, format!("an issue has no `{key}`"))),
            }
        };
        let one_of = |key: &str, allowed: &[&str]| -> Result<String, Problem> {
            let v = text_of(key)?;
            if allowed.contains(&v.as_str()) {
                Ok(v)
            } else {
                let span = item.get(key).map_or(item.span, |n| n.span);
                Err(bad(
                    span,
                    format!("an issue's `{key}` must be one of {}", allowed.join(", ")),
                ))
            }
        };
        if let Some(c) = item.get("cases") {
            let ok = match &c.value {
                Value::Seq(items) => items
                    .iter()
                    .all(|i| matches!(i.value, Value::Str(_) | Value::Int(_))),
                Value::Null => true,
                _ => false,
            };
            if !ok {
                return Err(bad(
                    c.span,
                    "an issue's `cases` must be a list of case ids".into(),
                ));
            }
        }
        issues.push(Issue {
            id: text_of("id")?,
            severity: one_of("severity", SEVERITIES)?,
            status: one_of("status", STATUSES)?,
            summary: match item.get("summary") {
                None
                | Some(Node {
                    value: Value::Null, ..
                }) => String::new(),
                Some(_) => text_of("summary")?,
            },
            span: item.span,
        });
    }
    Ok(Review {
        file,
        reviewer,
        issues,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_a_review_and_finds_the_blocker() {
        let text = "schema: agentlock.qa/v1\nreviewer: dana\nissues:\n  - id: QA-1\n    severity: critical\n    status: open\n    summary: refunds\n  - id: QA-2\n    severity: minor\n    status: open\n    summary: tone\n";
        assert!(is_review(text));
        let r = read(text, FileId(0)).unwrap();
        assert_eq!(r.issues.len(), 2);
        assert!(r.issues[0].blocks());
        assert!(!r.issues[1].blocks());
    }

    #[test]
    fn a_bad_review_names_what_is_wrong() {
        let text = "schema: agentlock.qa/v1\nissues:\n  - id: QA-1\n    severity: huge\n    status: open\n";
        let e = read(text, FileId(0)).unwrap_err();
        assert!(e.message.contains("severity"), "{}", e.message);
        let text = "schema: agentlock.qa/v1\nissues:\n  - id: QA-1\n    sevrity: critical\n";
        assert!(
            read(text, FileId(0))
                .unwrap_err()
                .message
                .contains("sevrity")
        );
        assert!(!is_review("schema: other\n"));
    }
}
