//! `agentlock gate`: the comparison table and the verdict, as text, JSON and Markdown.

use crate::evidence::Gate;
use crate::evidence::compare::Measure;
use crate::evidence::decision::Decision;
use crate::evidence::figures::{num, p_value as p, shown};
use crate::finding::Finding;
use crate::source::SourceMap;
use serde_json::{Value, json};

/// The rows of the table: dataset, metric, measure, n, baseline, candidate, delta, interval,
/// p-value (Holm-adjusted), verdict.
fn rows(gate: &Gate) -> Vec<[String; 10]> {
    gate.comparisons
        .iter()
        .map(|c| {
            let delta = c.delta.map_or("-".into(), |d| match c.measure {
                Measure::PassRate => format!("{:+.1} pt", d * 100.0),
                Measure::MeanScore => format!("{:+}", num(d)),
            });
            let ci = c.ci.map_or("-".into(), |(lo, hi)| match c.measure {
                Measure::PassRate => format!("[{:+.1}, {:+.1}] pt", lo * 100.0, hi * 100.0),
                Measure::MeanScore => format!("[{}, {}]", num(lo), num(hi)),
            });
            [
                crate::source::printable(&c.dataset).into_owned(),
                crate::source::printable(&c.metric).into_owned(),
                c.measure.as_str().to_string(),
                c.n.max(c.cases).to_string(),
                c.baseline.map_or("-".into(), |b| shown(c, b)),
                shown(c, c.candidate),
                delta,
                ci,
                p(c.p_adjusted),
                c.verdict.as_str().to_string(),
            ]
        })
        .collect()
}

const HEAD: [&str; 10] = [
    "dataset",
    "metric",
    "measure",
    "n",
    "baseline",
    "candidate",
    "delta",
    "95% CI",
    "p (Holm)",
    "verdict",
];

fn base_line(decision: &Decision) -> String {
    match &decision.base {
        Some((tag, commit)) => format!(
            "compared with {} ({})",
            crate::source::printable(tag),
            &commit[..commit.len().min(12)]
        ),
        None => "no baseline: no earlier release holds evidence".into(),
    }
}

/// The human report: the table, the KPIs, and the verdict with its reasons.
pub fn human(decision: &Decision, gate: Option<&Gate>) -> String {
    let mut out = String::new();
    if let Some(gate) = gate {
        out.push_str(&format!("{}\n\n", base_line(decision)));
        let rows = rows(gate);
        let mut width = HEAD.map(|h| h.chars().count());
        for r in &rows {
            for (w, c) in width.iter_mut().zip(r) {
                *w = (*w).max(c.chars().count());
            }
        }
        let line = |cells: &[String]| {
            let mut l = String::new();
            for (i, (c, w)) in cells.iter().zip(width).enumerate() {
                let pad = w - c.chars().count();
                if i == 0 || i == 1 || i == 2 || i == 9 {
                    l.push_str(c);
                    l.push_str(&" ".repeat(pad));
                } else {
                    l.push_str(&" ".repeat(pad));
                    l.push_str(c);
                }
                l.push_str("  ");
            }
            l.trim_end().to_string() + "\n"
        };
        out.push_str(&line(&HEAD.map(String::from)));
        for r in &rows {
            out.push_str(&line(r));
        }
        if rows.is_empty() {
            out.push_str("(no fresh results to compare)\n");
        }
        if !gate.kpis.is_empty() {
            out.push_str("\nKPIs (deploy.yaml)\n");
            for k in &gate.kpis {
                let on = k
                    .metric
                    .as_ref()
                    .map(|m| format!(" ({m})"))
                    .unwrap_or_default();
                out.push_str(&format!(
                    "  {:<6} {}{on}: {} against {}\n",
                    if k.ok { "ok" } else { "FAILED" },
                    k.name,
                    num(k.value),
                    num(k.threshold)
                ));
            }
        }
        out.push('\n');
    }
    if decision.allowed {
        out.push_str("ALLOWED: every gate passes");
        if let Some(r) = &decision.rollback {
            out.push_str(&format!(
                "; rollback target {}",
                crate::source::printable(r)
            ));
        }
        out.push('\n');
    } else {
        out.push_str(&format!("BLOCKED ({} reasons)\n", decision.reasons.len()));
        for r in &decision.reasons {
            out.push_str(&format!("  - {r}\n"));
        }
    }
    out
}

/// `agentlock.gate/v1`.
pub fn json(
    decision: &Decision,
    gate: Option<&Gate>,
    findings: &[Finding],
    sources: &SourceMap,
) -> String {
    let comparisons: Vec<Value> = gate
        .map(|g| {
            g.comparisons
                .iter()
                .map(|c| {
                    json!({
                        "dataset": c.dataset,
                        "metric": c.metric,
                        "measure": c.measure.as_str(),
                        "n": c.n,
                        "cases": c.cases,
                        "baseline": c.baseline,
                        "candidate": c.candidate,
                        "delta": c.delta,
                        "ci": c.ci.map(|(lo, hi)| vec![lo, hi]),
                        "test": c.test,
                        "p_value": c.p_value,
                        "p_adjusted": c.p_adjusted,
                        "verdict": c.verdict.as_str(),
                    })
                })
                .collect()
        })
        .unwrap_or_default();
    let kpis: Vec<Value> = gate
        .map(|g| {
            g.kpis
                .iter()
                .map(|k| {
                    json!({
                        "kpi": k.name,
                        "metric": k.metric,
                        "value": k.value,
                        "threshold": k.threshold,
                        "ok": k.ok,
                    })
                })
                .collect()
        })
        .unwrap_or_default();
    let findings: Vec<Value> = findings
        .iter()
        .map(|f| {
            let (path, line, column) = sources.locate(f.span);
            json!({
                "code": f.code(),
                "name": f.name(),
                "severity": f.severity.as_str(),
                "message": f.message,
                "path": path,
                "line": line,
                "column": column,
                "subject": f.subject,
            })
        })
        .collect();
    let report = json!({
        "schema": "agentlock.gate/v1",
        "verdict": if decision.allowed { "allowed" } else { "blocked" },
        "reasons": decision.reasons,
        "base": decision.base.as_ref().map(|(tag, commit)| json!({"tag": tag, "commit": commit})),
        "rollback_target": decision.rollback,
        "alpha": gate.map(|g| g.alpha),
        "comparisons": comparisons,
        "kpis": kpis,
        "findings": findings,
    });
    let mut out = serde_json::to_string_pretty(&report).unwrap_or_default();
    out.push('\n');
    out
}

/// A pull-request comment: the verdict, the table, the reasons.
pub fn markdown(decision: &Decision, gate: Option<&Gate>) -> String {
    let mut out = String::new();
    if decision.allowed {
        out.push_str("### ✅ agentlock gate: ALLOWED\n\n");
    } else {
        out.push_str("### ⛔ agentlock gate: BLOCKED\n\n");
        for r in &decision.reasons {
            out.push_str(&format!("- {}\n", super::markdown::cell(r)));
        }
        out.push('\n');
    }
    if let Some(gate) = gate {
        out.push_str(&format!("{}.\n\n", base_line(decision)));
        out.push_str(&format!("| {} |\n", HEAD.join(" | ")));
        out.push_str(&format!("|{}\n", "---|".repeat(HEAD.len())));
        for r in rows(gate) {
            let cells: Vec<String> = r.iter().map(|c| super::markdown::cell(c)).collect();
            out.push_str(&format!("| {} |\n", cells.join(" | ")));
        }
        if !gate.kpis.is_empty() {
            out.push_str("\n| KPI | value | threshold | |\n|---|---|---|---|\n");
            for k in &gate.kpis {
                let name = match &k.metric {
                    Some(m) => format!("{} ({})", k.name, super::markdown::cell(m)),
                    None => k.name.clone(),
                };
                out.push_str(&format!(
                    "| {name} | {} | {} | {} |\n",
                    num(k.value),
                    num(k.threshold),
                    if k.ok { "ok" } else { "**failed**" }
                ));
            }
        }
    }
    out
}
