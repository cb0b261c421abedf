//! `--format concise`: one line a finding, `path:line:col: CODE [severity] message`, as
//! compilers and ruff's concise output write them (editors and `grep` read them), then the
//! summary line.

use super::Summary;
use crate::finding::Finding;
use crate::source::SourceMap;

/// Every finding on a line of its own; the summary line after them unless not `summary`.
pub fn render(
    findings: &[Finding],
    suppressed: usize,
    sources: &SourceMap,
    summary: bool,
) -> String {
    let mut out = String::with_capacity(findings.len() * 96);
    for f in findings {
        let (path, line, col) = sources.locate(f.span);
        // A message is one line; a line break in one (a quoted value) would start a line
        // that looks like a finding of its own.
        let message = f.message.replace(['\n', '\r'], " ");
        out.push_str(&format!(
            "{path}:{line}:{col}: {} [{}] {message}\n",
            f.code(),
            f.severity.as_str()
        ));
    }
    if summary {
        out.push_str(&super::human::summary_line(&Summary::of(
            findings, suppressed,
        )));
        out.push('\n');
    }
    out
}
