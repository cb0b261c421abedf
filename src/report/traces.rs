//! `agentlock traces`: the summary per agent and per tool, and the checklist items the traces
//! check, as text, JSON (`agentlock.traces/v1`) and Markdown. The findings render as `verify`'s.

use crate::evidence::figures::num;
use crate::load::model::Model;
use crate::pipeline::TracesChecked;
use crate::source::printable;
use crate::traces::summary::{Stats, Summary};
use serde_json::{Value, json};

pub const SCHEMA: &str = "agentlock.traces/v1";

fn pct(v: f64) -> String {
    format!("{:.1}%", v * 100.0)
}

fn opt_ms(v: Option<f64>) -> String {
    v.map_or("-".into(), |v| format!("{} ms", num(v)))
}

/// `tool_failure_rate.max` of deploy.yaml, when it says one.
fn failure_max(model: &Model) -> Option<f64> {
    model
        .deploy_value("kpis.tool_failure_rate.max")
        .and_then(|n| match n.value {
            crate::node::Value::Int(i) => Some(i as f64),
            crate::node::Value::Float(f) => Some(f),
            _ => None,
        })
}

/// One row: name, declared, spans, errors (rate), p50, p95, timeout, tokens, cost.
fn row(name: &str, s: &Stats, failure_max: Option<f64>) -> [String; 9] {
    let over = failure_max.is_some_and(|m| s.error_rate() > m);
    [
        printable(name).into_owned(),
        if s.declared {
            "yes".into()
        } else {
            "NO".into()
        },
        s.spans.to_string(),
        format!(
            "{} ({}){}",
            s.errors,
            pct(s.error_rate()),
            if over { " OVER" } else { "" }
        ),
        opt_ms(s.percentile(50.0)),
        opt_ms(s.percentile(95.0)),
        s.timeout_ms.map_or("-".into(), |t| format!("{t} ms")),
        format!("{}/{}", s.input_tokens, s.output_tokens),
        if s.cost_usd > 0.0 {
            format!("${:.4}", s.cost_usd)
        } else {
            "-".into()
        },
    ]
}

const HEAD: [&str; 9] = [
    "name",
    "declared",
    "spans",
    "errors",
    "p50",
    "p95",
    "timeout",
    "tokens in/out",
    "cost",
];

fn table(rows: &[[String; 9]]) -> String {
    let mut width = HEAD.map(|h| h.chars().count());
    for r in rows {
        for (w, c) in width.iter_mut().zip(r) {
            *w = (*w).max(c.chars().count());
        }
    }
    let line = |cells: &[String]| {
        let mut l = String::new();
        for (i, (c, w)) in cells.iter().zip(width).enumerate() {
            let pad = " ".repeat(w - c.chars().count());
            if i < 2 {
                l.push_str(c);
                l.push_str(&pad);
            } else {
                l.push_str(&pad);
                l.push_str(c);
            }
            l.push_str("  ");
        }
        format!("  {}\n", l.trim_end())
    };
    let mut out = line(&HEAD.map(String::from));
    for r in rows {
        out.push_str(&line(r));
    }
    out
}

pub use crate::checklist::trace_items as checklist;

/// The human summary, after the findings.
pub fn human(t: &TracesChecked) -> String {
    let s = &t.summary;
    let mut out = format!(
        "Traces: {} traces, {} spans from {} files ({} MB); {} spans skipped, {} late\n",
        s.traces,
        s.spans,
        t.files.len(),
        num(t.read.bytes as f64 / 1e6),
        t.read.skipped,
        t.read.late
    );
    if let Some(p95) = s.trace_percentile(95.0) {
        out.push_str(&format!(
            "Request time: p50 {}, p95 {}\n",
            opt_ms(s.trace_percentile(50.0)),
            opt_ms(Some(p95))
        ));
    }
    if !s.agents.is_empty() {
        out.push_str("\nAgents\n");
        out.push_str(&table(
            &s.agents
                .iter()
                .map(|(n, st)| row(n, st, None))
                .collect::<Vec<_>>(),
        ));
    }
    if !s.tools.is_empty() {
        let max = failure_max(&t.model)
            .map(|m| format!(" (tool_failure_rate.max {})", pct(m)))
            .unwrap_or_default();
        out.push_str(&format!("\nTools{max}\n"));
        out.push_str(&table(
            &s.tools
                .iter()
                .map(|(n, st)| row(n, st, failure_max(&t.model)))
                .collect::<Vec<_>>(),
        ));
    }
    if !s.models.is_empty() {
        out.push_str("\nModels that answered\n");
        for (m, n) in &s.models {
            out.push_str(&format!("  {}  {n}\n", printable(m)));
        }
    }
    out.push_str("\nChecklist\n");
    for (id, item, ticked, figures) in checklist(t) {
        out.push_str(&format!(
            "  [{}] {id} {item}: {figures}\n",
            if ticked { "x" } else { " " }
        ));
    }
    out
}

fn stats_json(name: &str, s: &Stats) -> Value {
    json!({
        "name": name,
        "declared": s.declared,
        "spans": s.spans,
        "errors": s.errors,
        "error_rate": s.error_rate(),
        "p50_ms": s.percentile(50.0),
        "p95_ms": s.percentile(95.0),
        "timeout_ms": s.timeout_ms,
        "input_tokens": s.input_tokens,
        "output_tokens": s.output_tokens,
        "cost_usd": s.cost_usd,
    })
}

fn summary_json(s: &Summary, t: &TracesChecked) -> Value {
    json!({
        "traces": s.traces,
        "spans": s.spans,
        "skipped": t.read.skipped,
        "late": t.read.late,
        "bytes": t.read.bytes,
        "agent_spans": s.agent_spans,
        "unnamed_agent_spans": s.unnamed_agents,
        "tool_spans": s.tool_spans,
        "chat_spans": s.chat_spans,
        "error_spans": s.error_spans,
        "orphan_spans": s.orphan_spans,
        "prompt_tagged_spans": s.prompt_tagged,
        "request_p50_ms": s.trace_percentile(50.0),
        "request_p95_ms": s.trace_percentile(95.0),
        "tool_failure_rate_max": failure_max(&t.model),
        "agents": s.agents.iter().map(|(n, st)| stats_json(n, st)).collect::<Vec<_>>(),
        "tools": s.tools.iter().map(|(n, st)| {
            let mut v = stats_json(n, st);
            v["over_failure_rate_max"] = json!(failure_max(&t.model).is_some_and(|m| st.error_rate() > m));
            v
        }).collect::<Vec<_>>(),
        "models": s.models.iter().map(|(m, n)| json!({"id": m, "spans": n})).collect::<Vec<_>>(),
        "releases": s.roots.iter().map(|(r, n)| json!({"root": r, "traces": n})).collect::<Vec<_>>(),
        "cases": s.cases.iter().map(|(c, paths)| json!({
            "case": c,
            "paths": paths.iter().map(|p| json!({"path": p.path, "traces": p.traces})).collect::<Vec<_>>(),
        })).collect::<Vec<_>>(),
    })
}

/// `agentlock.traces/v1`: the files, the summary, the checklist items and the findings (as
/// `verify --format json` writes them).
pub fn json(t: &TracesChecked) -> String {
    let findings: Value = serde_json::from_str(&super::json::render(
        &t.findings,
        t.suppressed,
        &t.model.sources,
    ))
    .map(|v: Value| v["findings"].clone())
    .unwrap_or(Value::Null);
    let formats: std::collections::HashMap<_, _> = t
        .read
        .format
        .iter()
        .map(|(f, k)| (*f, format!("{k:?}")))
        .collect();
    let doc = json!({
        "schema": SCHEMA,
        "files": t.files.iter().map(|(id, path)| json!({
            "path": t.model.sources.get(*id).shown,
            "format": formats.get(id).map(|f| match f.as_str() {
                "OtlpJsonLines" => "otlp-json-lines",
                "OtlpJson" => "otlp-json",
                _ => "langfuse",
            }),
            "given": path,
        })).collect::<Vec<_>>(),
        "summary": summary_json(&t.summary, t),
        "checklist": checklist(t).into_iter().map(|(id, item, ticked, figures)| json!({
            "section": id, "item": item, "status": if ticked { "ticked" } else { "not_ticked" }, "evidence": figures,
        })).collect::<Vec<_>>(),
        "findings": findings,
    });
    let mut s = serde_json::to_string_pretty(&doc).unwrap_or_default();
    s.push('\n');
    s
}

/// A Markdown report: the findings as `verify --format markdown` writes them, then the tables.
pub fn markdown(t: &TracesChecked, prefix: &str) -> String {
    let mut out = super::markdown::render(
        &t.findings,
        t.suppressed,
        &t.model.sources,
        prefix,
        "traces",
    );
    let s = &t.summary;
    out.push_str(&format!(
        "\n### Traces\n\n{} traces, {} spans from {} files.\n",
        s.traces,
        s.spans,
        t.files.len()
    ));
    let max = failure_max(&t.model);
    let md_table =
        |title: &str, map: &std::collections::BTreeMap<String, Stats>, max: Option<f64>| {
            let mut o = format!(
                "\n#### {title}\n\n| {} |\n|{}\n",
                HEAD.join(" | "),
                " --- |".repeat(HEAD.len())
            );
            for (n, st) in map {
                let r = row(n, st, max).map(|c| super::markdown::cell(&c));
                o.push_str(&format!("| {} |\n", r.join(" | ")));
            }
            o
        };
    if !s.agents.is_empty() {
        out.push_str(&md_table("Agents", &s.agents, None));
    }
    if !s.tools.is_empty() {
        out.push_str(&md_table("Tools", &s.tools, max));
    }
    out.push_str("\n#### Checklist\n\n");
    for (id, item, ticked, figures) in checklist(t) {
        out.push_str(&format!(
            "- [{}] {id} {item} — {}\n",
            if ticked { "x" } else { " " },
            super::markdown::cell(&figures)
        ));
    }
    out
}
