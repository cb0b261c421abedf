//! `--format markdown` for `verify` and `scan`: a pull-request comment with the summary and a
//! table of findings (each with its place, rule and message, and the fix in a details block).

use super::{Place, Summary};
use crate::finding::{Finding, Severity};
use crate::source::SourceMap;
use std::fmt::Write as _;

/// GitHub's comment limit is 65,536 characters; the table stops well before.
const MAX_ROWS: usize = 200;

/// Text for a table cell: pipes, backticks, angle brackets and line breaks cannot break it.
pub fn cell(s: &str) -> String {
    s.replace('\\', "\\\\")
        .replace('|', "\\|")
        .replace('`', "'")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace(['\n', '\r'], " ")
}

fn icon(s: Severity) -> &'static str {
    match s {
        Severity::Error => "❌ error",
        Severity::Warning => "⚠️ warning",
        Severity::Info => "ℹ️ info",
    }
}

pub fn render(
    findings: &[Finding],
    suppressed: usize,
    sources: &SourceMap,
    prefix: &str,
    title: &str,
) -> String {
    let s = Summary::of(findings, suppressed);
    let mut out = String::new();
    let verdict = if s.error > 0 { "failed" } else { "passed" };
    let _ = writeln!(out, "### agentlock {title}: {verdict}\n");
    let plural = |n: usize, w: &str| format!("**{n}** {w}{}", if n == 1 { "" } else { "s" });
    let _ = write!(
        out,
        "{}, {}",
        plural(s.error, "error"),
        plural(s.warning, "warning")
    );
    if s.info > 0 {
        let _ = write!(out, ", **{}** info", s.info);
    }
    if s.suppressed > 0 {
        let _ = write!(out, ", {} suppressed", s.suppressed);
    }
    out.push_str(".\n\n");
    if findings.is_empty() {
        out.push_str("No findings.\n");
        return out;
    }
    out.push_str("| | Rule | Where | Finding |\n|---|---|---|---|\n");
    for f in findings.iter().take(MAX_ROWS) {
        let p = Place::of(f, sources, prefix);
        let _ = writeln!(
            out,
            "| {} | `{}` {} | `{}:{}` | {} |",
            icon(f.severity),
            f.code(),
            f.name(),
            cell(&p.path),
            p.line,
            cell(&f.message)
        );
    }
    if findings.len() > MAX_ROWS {
        let _ = writeln!(
            out,
            "\n… and {} more; run `agentlock {title}` for all of them.",
            findings.len() - MAX_ROWS
        );
    }
    let helped: Vec<&Finding> = findings
        .iter()
        .take(MAX_ROWS)
        .filter(|f| f.help.is_some())
        .collect();
    if !helped.is_empty() {
        out.push_str("\n<details><summary>How to fix</summary>\n\n");
        for f in helped {
            let p = Place::of(f, sources, prefix);
            let _ = writeln!(
                out,
                "- `{}` at `{}:{}`: {}",
                f.code(),
                cell(&p.path),
                p.line,
                cell(f.help.as_deref().unwrap_or_default())
            );
        }
        out.push_str("\n</details>\n");
    }
    out
}
