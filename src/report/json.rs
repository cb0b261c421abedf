//! `--format json`: one object, schema `agentlock.report/v1` (DESIGN §4).

use super::Summary;
use crate::finding::Finding;
use crate::source::SourceMap;
use serde::Serialize;

#[derive(Serialize)]
struct Report<'a> {
    schema: &'static str,
    findings: Vec<JsonFinding<'a>>,
    summary: JsonSummary,
}

#[derive(Serialize)]
struct JsonFinding<'a> {
    code: &'static str,
    name: &'static str,
    severity: &'static str,
    message: &'a str,
    path: &'a str,
    line: usize,
    column: usize,
    subject: &'a str,
    /// Secret findings only: the fingerprint a policy allowlist names.
    #[serde(skip_serializing_if = "Option::is_none")]
    fingerprint: Option<&'a str>,
}

#[derive(Serialize)]
struct JsonSummary {
    error: usize,
    warning: usize,
    info: usize,
    suppressed: usize,
}

pub fn render(findings: &[Finding], suppressed: usize, sources: &SourceMap) -> String {
    let s = Summary::of(findings, suppressed);
    let report = Report {
        schema: "agentlock.report/v1",
        findings: findings
            .iter()
            .map(|f| {
                let (path, line, column) = sources.locate(f.span);
                JsonFinding {
                    code: f.code(),
                    name: f.name(),
                    severity: f.severity.as_str(),
                    message: &f.message,
                    path,
                    line,
                    column,
                    subject: &f.subject,
                    fingerprint: f.fingerprint.as_deref(),
                }
            })
            .collect(),
        summary: JsonSummary {
            error: s.error,
            warning: s.warning,
            info: s.info,
            suppressed: s.suppressed,
        },
    };
    let mut out = serde_json::to_string_pretty(&report).unwrap_or_default();
    out.push('\n');
    out
}
