//! `--statistics`: how many findings each rule has, most first, as ruff's `--statistics`
//! prints them; or the same as JSON (`agentlock.statistics/v1`).

use super::Summary;
use crate::finding::Finding;
use serde_json::json;

/// Rules with their findings, most first (then by code): (code, name, severity, count).
fn counts(findings: &[Finding]) -> Vec<(&'static str, &'static str, &'static str, usize)> {
    let mut by: Vec<(&'static str, &'static str, &'static str, usize)> = Vec::new();
    for f in findings {
        let sev = f.severity.as_str();
        match by
            .iter_mut()
            .find(|(c, _, s, _)| *c == f.code() && *s == sev)
        {
            Some((.., n)) => *n += 1,
            None => by.push((f.code(), f.name(), sev, 1)),
        }
    }
    by.sort_by(|a, b| b.3.cmp(&a.3).then(a.0.cmp(b.0)).then(a.2.cmp(b.2)));
    by
}

/// `   12  PRM004  prompt-too-long  warning`, a line a rule, then the summary line unless not
/// `summary`.
pub fn human(findings: &[Finding], suppressed: usize, summary: bool) -> String {
    let rows = counts(findings);
    let width = rows
        .iter()
        .map(|r| r.3.to_string().len())
        .max()
        .unwrap_or(1);
    let name_width = rows.iter().map(|r| r.1.len()).max().unwrap_or(0);
    let mut out = String::new();
    for (code, name, severity, n) in &rows {
        out.push_str(&format!(
            "{n:>width$}  {code:<9} {name:<name_width$}  {severity}\n"
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

pub fn json(findings: &[Finding]) -> String {
    let rows: Vec<_> = counts(findings)
        .into_iter()
        .map(|(code, name, severity, count)| {
            json!({"code": code, "name": name, "severity": severity, "count": count})
        })
        .collect();
    let mut out = serde_json::to_string_pretty(&json!({
        "schema": "agentlock.statistics/v1",
        "rules": rows,
    }))
    .unwrap_or_default();
    out.push('\n');
    out
}
