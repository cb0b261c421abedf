//! OBS: tracing, LLM observability and KPI baselines in deploy.yaml.

use super::runtime::{deploy_checkable, deploy_finding};
use super::{Context, Rule};
use crate::finding::{Control, Meta, Need, Scope};
use crate::finding::{Finding, Severity};
use crate::load::model::deploy::TRACE_STORES;
use crate::node::Value;

pub static OBS001: Rule = Rule {
    meta: Meta {
        code: "OBS001",
        name: "tracing-disabled",
        severity: Severity::Warning,
        summary: "OpenTelemetry tracing is not enabled (`telemetry.opentelemetry.enabled`).",
        checklist: Some("3.2"),
        needs: &[Need::Project],
        scope: Scope::Deploy,
        control: Control::Full,
        docs: r#"
## Why
Checklist 3.2: "OpenTelemetry tracing enabled". A request through several agents and tools is
a distributed transaction; without spans per agent and per tool call, an error or a timeout
cannot be traced to the hop that caused it, and latency cannot be attributed.

## How to fix
Enable OpenTelemetry in deploy.yaml (and in the runtime), with the exporter endpoint and
service name your collector expects.

## Example
```yaml
telemetry:
  opentelemetry: { enabled: true, service_name: support-triage }
```
"#,
    },
    check: check_tracing,
};

pub static OBS002: Rule = Rule {
    meta: Meta {
        code: "OBS002",
        name: "llm-observability-disabled",
        severity: Severity::Warning,
        summary: "No LLM trace store (Langfuse, LangSmith, Phoenix, Helicone, Braintrust) is enabled.",
        checklist: Some("3.3"),
        needs: &[Need::Project],
        scope: Scope::Deploy,
        control: Control::Full,
        docs: r#"
## Why
Checklist 3.3: "Langfuse traces enabled", "Prompt version tracking verified", "Token and cost
tracking enabled". Generic tracing records that a model was called; an LLM trace store records
which prompt version, which input and output, how many tokens and what it cost, and is where
evaluations and golden datasets come from.

## How to fix
Enable one trace store under `telemetry:` (`langfuse`, `langsmith`, `phoenix`, `helicone` or
`braintrust`) with `enabled: true`.

## Example
```yaml
telemetry:
  langfuse: { enabled: true, environment: production }
```
"#,
    },
    check: check_llm_observability,
};

pub static OBS003: Rule = Rule {
    meta: Meta {
        code: "OBS003",
        name: "missing-kpi-baseline",
        severity: Severity::Warning,
        summary: "A KPI of checklist 3.1 with no baseline or threshold in deploy.yaml.",
        checklist: Some("3.1"),
        needs: &[Need::Project],
        scope: Scope::Deploy,
        control: Control::Full,
        docs: r#"
The KPIs of checklist 3.1, each under `kpis:` with at least one of `baseline`, `sla`, `max`,
`min`, `min_mean`, `min_critical`:

| KPI | checklist item |
|---|---|
| `task_success_rate` | task success rate baseline recorded |
| `latency_p95` | latency SLAs defined |
| `cost_per_request_usd` | cost per request baseline recorded |
| `tool_failure_rate` | tool failure rate thresholds defined |
| `quality_score` | quality score baseline defined |

## Why
A release is judged against its baseline: the canary's auto-rollback, the first 72 hours'
KPI comparison and the incident decision (rollback or hotfix) all need a number recorded before
the release. A KPI with no baseline makes every later comparison a matter of opinion.

## How to fix
Record the current production value (or the SLA) of each KPI in deploy.yaml.

## Example
```yaml
kpis:
  task_success_rate: { baseline: 0.92 }
  latency_p95: { sla: 8s }
  cost_per_request_usd: { baseline: 0.04 }
  tool_failure_rate: { max: 0.02 }
  quality_score: { baseline: 4.3, min_mean: 4.2 }
```
"#,
    },
    check: check_kpis,
};

/// The KPIs of checklist 3.1, with what each one should record.
pub const KPIS: &[(&str, &str)] = &[
    ("task_success_rate", "baseline: 0.92"),
    ("latency_p95", "sla: 8s"),
    ("cost_per_request_usd", "baseline: 0.04"),
    ("tool_failure_rate", "max: 0.02"),
    ("quality_score", "baseline: 4.3"),
];
const THRESHOLDS: &[&str] = &["baseline", "sla", "max", "min", "min_mean", "min_critical"];

fn enabled(model: &crate::load::model::Model, path: &str) -> bool {
    model
        .deploy_value(path)
        .is_some_and(|n| matches!(n.value, Value::Bool(true)))
}

fn check_tracing(ctx: &Context) -> Vec<Finding> {
    let model = ctx.model;
    if !deploy_checkable(model) || enabled(model, "telemetry.opentelemetry.enabled") {
        return Vec::new();
    }
    let off = model
        .deploy_value("telemetry.opentelemetry.enabled")
        .is_some();
    vec![
        deploy_finding(
            &OBS001,
            model,
            "telemetry.opentelemetry.enabled",
            if off {
                "OpenTelemetry tracing is turned off".into()
            } else {
                "OpenTelemetry tracing is not configured".into()
            },
        )
        .label(if off { "disabled" } else { "no opentelemetry" })
        .help("set `opentelemetry: { enabled: true }` under `telemetry:` in deploy.yaml"),
    ]
}

fn check_llm_observability(ctx: &Context) -> Vec<Finding> {
    let model = ctx.model;
    if !deploy_checkable(model)
        || TRACE_STORES
            .iter()
            .any(|s| enabled(model, &format!("telemetry.{s}.enabled")))
    {
        return Vec::new();
    }
    // Point at a store that is configured but off, if there is one.
    let off = TRACE_STORES
        .iter()
        .find(|s| model.deploy_value(&format!("telemetry.{s}")).is_some());
    let path = off.map_or("telemetry.langfuse".to_string(), |s| {
        format!("telemetry.{s}.enabled")
    });
    vec![
        deploy_finding(
            &OBS002,
            model,
            &path,
            match off {
                Some(s) => format!("the LLM trace store `{s}` is not enabled"),
                None => "no LLM trace store (Langfuse or the like) is configured".into(),
            },
        )
        .label("no LLM traces")
        .help("enable one under `telemetry:`, e.g. `langfuse: { enabled: true, environment: production }`"),
    ]
}

fn check_kpis(ctx: &Context) -> Vec<Finding> {
    let model = ctx.model;
    if !deploy_checkable(model) {
        return Vec::new();
    }
    let mut out = Vec::new();
    for (kpi, example) in KPIS {
        let path = format!("kpis.{kpi}");
        let node = model.deploy_value(&path);
        let recorded = node.is_some_and(|n| {
            THRESHOLDS
                .iter()
                .any(|t| n.get(t).is_some_and(|v| !matches!(v.value, Value::Null)))
        });
        if recorded {
            continue;
        }
        let mut f = deploy_finding(
            &OBS003,
            model,
            &path,
            if node.is_some() {
                format!("KPI `{kpi}` has no baseline or threshold")
            } else {
                format!("KPI `{kpi}` is not defined")
            },
        )
        .label(format!("no {kpi} baseline"))
        .help(format!(
            "record it in deploy.yaml: `kpis: {{ {kpi}: {{ {example} }} }}`"
        ));
        f.subject = kpi.to_string();
        out.push(f);
    }
    out
}
