//! RUN: runtime safeguards in deploy.yaml — cost ceiling, token limits, kill switch, rate limits.

use super::{Context, Rule};
use crate::finding::{Control, Meta, Need, Scope};
use crate::finding::{Finding, Severity};
use crate::load::model::Model;
use crate::node::{Node, Value};

pub static RUN001: Rule = Rule {
    meta: Meta {
        code: "RUN001",
        name: "missing-cost-ceiling",
        severity: Severity::Error,
        summary: "deploy.yaml sets no global cost ceiling (`runtime.cost_ceiling_usd`).",
        checklist: Some("5.1"),
        needs: &[Need::Project],
        scope: Scope::Deploy,
        control: Control::Full,
        docs: r#"
## Why
Checklist 5.1: "Global cost ceiling configured". Agents spend money on every token and every
paid tool call, and a loop, a retry storm or a traffic spike multiplies that spend without
anybody deciding it. A ceiling per hour, day or month is the circuit breaker that turns a
runaway bill into an alert.

## How to fix
Set at least one of `per_hour`, `per_day` or `per_month` (US dollars, above zero) under
`runtime.cost_ceiling_usd`, and make the runtime enforce it.

## Example
```yaml
runtime:
  cost_ceiling_usd: { per_day: 500 }
```
"#,
    },
    check: check_cost,
};

pub static RUN002: Rule = Rule {
    meta: Meta {
        code: "RUN002",
        name: "missing-token-limit",
        severity: Severity::Warning,
        summary: "No per-request token limit: neither `runtime.max_tokens_per_request` nor `max_tokens` on every agent.",
        checklist: Some("5.1"),
        needs: &[Need::Project],
        scope: Scope::Deploy,
        control: Control::Full,
        docs: r#"
## Why
Checklist 5.1: "Per-request token limits enforced". One request that pulls a huge document
into context, or an agent that keeps elaborating, costs as much as thousands of ordinary ones
and can exceed the model's context window mid-conversation.

## How to fix
Set `runtime.max_tokens_per_request` in deploy.yaml, or `max_tokens` on every agent (in
`defaults` for all of them).

## Example
```yaml
runtime:
  max_tokens_per_request: 8000
```
"#,
    },
    check: check_tokens,
};

pub static RUN003: Rule = Rule {
    meta: Meta {
        code: "RUN003",
        name: "missing-kill-switch",
        severity: Severity::Error,
        summary: "No kill switch (`runtime.kill_switch.flag`), or none tested recently enough.",
        checklist: Some("5.1"),
        needs: &[Need::Project],
        scope: Scope::Deploy,
        control: Control::Full,
        docs: r#"
The kill switch is a flag the runtime reads to stop all agents at once. deploy.yaml records the
flag and the date it was last tested (`tested_on`); the policy's `kill_switch_max_age_days`
(180 in the default pack, 90 in strict, 30 in regulated) says how old that test may be.

## Why
Checklist 5.1: "Emergency kill switch tested". When agents misbehave in production (a prompt
injection spreading, a loop burning budget, a tool deleting data), the first action is to stop
them, in seconds, without a deploy. A switch that was never tried may not work when it is
needed.

## How to fix
Name the flag, test it (flip it in staging and watch the agents stop), and record the date.

## Example
```yaml
runtime:
  kill_switch: { flag: AGENTS_DISABLED, tested_on: 2026-11-01 }
```
"#,
    },
    check: check_kill_switch,
};

pub static RUN004: Rule = Rule {
    meta: Meta {
        code: "RUN004",
        name: "missing-agent-rate-limit",
        severity: Severity::Warning,
        summary: "An agent with no rate limit, own or inherited.",
        checklist: Some("5.1"),
        needs: &[],
        scope: Scope::Agents,
        control: Control::Full,
        docs: r#"
## Why
Checklist 5.1: "Rate limits enforced per agent". A rate limit per agent keeps one hot path (or
one abusive client) from using the whole model quota, so that the other agents keep working,
and it bounds how fast a misbehaving agent can act on the world.

## How to fix
Add `rate_limit:` (`N/s`, `N/m` or `N/h`) to the agent, or to `defaults` for every agent.

## Example
```yaml
defaults: { timeout: 30s, retries: 2, rate_limit: 20/s }
```
"#,
    },
    check: check_agent_rates,
};

/// A finding at a deploy.yaml setting; when there is no deploy.yaml at all, at the project.
pub(crate) fn deploy_finding(
    rule: &'static Rule,
    model: &Model,
    path: &str,
    message: String,
) -> Finding {
    let mut message = message;
    if model.deploy.is_none() {
        message = format!(
            "{message}: the repository has no {}",
            model.config.paths.deploy
        );
    }
    Finding::new(
        rule,
        model.deploy_span(path),
        model.config.paths.deploy.clone(),
        message,
    )
}

/// Whether rules about deploy.yaml can run: it exists, or it is absent rather than broken
/// (CONF001 reports a broken one).
pub(crate) fn deploy_checkable(model: &Model) -> bool {
    model.deploy.is_some() || !model.incomplete.deploy
}

pub(crate) fn number(n: &Node) -> Option<f64> {
    match n.value {
        Value::Int(i) => Some(i as f64),
        Value::Float(f) => Some(f),
        _ => None,
    }
}

fn check_cost(ctx: &Context) -> Vec<Finding> {
    let model = ctx.model;
    if !deploy_checkable(model) {
        return Vec::new();
    }
    let ceiling = model.deploy_value("runtime.cost_ceiling_usd");
    let set = ceiling.is_some_and(|c| {
        ["per_hour", "per_day", "per_month"]
            .iter()
            .any(|k| c.get(k).and_then(number).is_some_and(|v| v > 0.0))
    });
    if set {
        return Vec::new();
    }
    let message = if ceiling.is_some() {
        "the cost ceiling sets no positive per_hour, per_day or per_month amount".to_string()
    } else {
        "no global cost ceiling is configured".to_string()
    };
    vec![
        deploy_finding(&RUN001, model, "runtime.cost_ceiling_usd", message)
            .label("no cost ceiling")
            .help("add `cost_ceiling_usd: { per_day: 500 }` under `runtime:` in deploy.yaml"),
    ]
}

fn check_tokens(ctx: &Context) -> Vec<Finding> {
    let model = ctx.model;
    if !deploy_checkable(model) {
        return Vec::new();
    }
    let global = model
        .deploy_value("runtime.max_tokens_per_request")
        .and_then(number)
        .is_some_and(|v| v > 0.0);
    let agents: Vec<&crate::load::model::Agent> = model.agents().collect();
    let per_agent = !agents.is_empty() && agents.iter().all(|a| a.max_tokens.is_some());
    if global || per_agent {
        return Vec::new();
    }
    let without: Vec<&str> = agents
        .iter()
        .filter(|a| a.max_tokens.is_none())
        .map(|a| a.name.value.as_str())
        .collect();
    let mut f = deploy_finding(
        &RUN002,
        model,
        "runtime.max_tokens_per_request",
        "no per-request token limit is configured".into(),
    )
    .label("no max_tokens_per_request")
    .help("add `max_tokens_per_request: 8000` under `runtime:` in deploy.yaml, or `max_tokens` to every agent");
    if !without.is_empty() {
        f.message = format!(
            "{}; agents without `max_tokens`: {}",
            f.message,
            without.join(", ")
        );
    }
    vec![f]
}

fn check_kill_switch(ctx: &Context) -> Vec<Finding> {
    let model = ctx.model;
    if !deploy_checkable(model) {
        return Vec::new();
    }
    let flag = model
        .deploy_value("runtime.kill_switch.flag")
        .and_then(|f| f.as_str())
        .filter(|f| !f.trim().is_empty());
    if flag.is_none() {
        return vec![
            deploy_finding(&RUN003, model, "runtime.kill_switch.flag", "no kill switch is configured".into())
                .label("no kill switch flag")
                .help("add `kill_switch: { flag: AGENTS_DISABLED, tested_on: YYYY-MM-DD }` under `runtime:`, naming the flag that stops every agent"),
        ];
    }
    let tested = model.deploy_value("runtime.kill_switch.tested_on");
    let day = tested
        .and_then(|t| t.scalar_text())
        .and_then(|t| crate::date::parse_date(&t));
    match (tested, day) {
        (None, _) => vec![
            deploy_finding(&RUN003, model, "runtime.kill_switch.tested_on", "the kill switch has no record of being tested".into())
                .label("no `tested_on`")
                .help("test the switch (flip it in staging and watch the agents stop), then record `tested_on: YYYY-MM-DD`"),
        ],
        (Some(_), None) => Vec::new(), // CONF001: not a date
        (Some(t), Some(day)) => {
            let age = ctx.policy.today - day;
            match &ctx.policy.limits.kill_switch_max_age_days {
                Some(max) if age > max.value as i64 => vec![
                    Finding::new(&RUN003, t.span, model.config.paths.deploy.clone(), format!("the kill switch was last tested {age} days ago, more than the policy's {} days", max.value))
                        .label(format!("{age} days ago"))
                        .with_label(max.span, "the policy's limit")
                        .help("test it again (flip it in staging and watch the agents stop) and record the new date"),
                ],
                _ => Vec::new(),
            }
        }
    }
}

fn check_agent_rates(ctx: &Context) -> Vec<Finding> {
    let mut out = Vec::new();
    for topology in &ctx.model.topologies {
        let keys = topology.keys;
        out.extend(
            topology
                .agents
                .iter()
                .filter(|a| a.rate_limit.is_none())
                .map(|a| {
                    Finding::new(
                        &RUN004,
                        a.name.span,
                        a.name.value.clone(),
                        format!("agent `{}` has no rate limit", a.name.value),
                    )
                    .label(keys.missing(keys.rate_limit))
                    .help(keys.add(keys.rate_limit))
                }),
        );
    }
    out
}
