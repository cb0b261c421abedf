//! Report: findings rendered for people (human) and machines (json).
//!
//! The exit code is computed from the findings ([`exit_code`]), never from a renderer.

pub mod catalog;
pub mod checklist;
pub mod concise;
pub mod gate;
pub mod github;
pub mod graph;
pub mod human;
pub mod json;
pub mod junit;
pub mod lockfile;
pub mod markdown;
pub mod release;
pub mod sarif;
pub mod statistics;
pub mod traces;

use crate::finding::{Finding, Severity};

pub use crate::finding::Summary;

/// 1 when any finding is an error, else 0.
pub fn exit_code(findings: &[Finding]) -> i32 {
    i32::from(findings.iter().any(|f| f.severity == Severity::Error))
}

/// Where a finding is, for the formats that take a region: repository-relative path (with
/// `prefix`, the agentlock root's place in the git work tree, so code scanning and annotations
/// resolve it), start and end (the end column exclusive). `end` is `None` when the file has no
/// text to measure in.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Place {
    pub path: String,
    pub line: usize,
    pub column: usize,
    pub end: Option<(usize, usize)>,
}

impl Place {
    pub fn of(f: &Finding, sources: &crate::source::SourceMap, prefix: &str) -> Place {
        Place::of_span(f.span, sources, prefix)
    }

    pub fn of_span(
        span: crate::source::Span,
        sources: &crate::source::SourceMap,
        prefix: &str,
    ) -> Place {
        let (path, line, column) = sources.locate(span);
        let has_text = sources.get(span.file).text.is_some();
        let end = (has_text && span.end > span.start).then(|| sources.locate_end(span));
        Place {
            path: if prefix.is_empty() {
                path.to_string()
            } else {
                format!("{prefix}/{path}")
            },
            line,
            column,
            end,
        }
    }

    /// Whether the finding sits on one line.
    pub fn one_line(&self) -> bool {
        self.end.is_none_or(|(l, _)| l == self.line)
    }
}
