//! TOPO: the agent graph — loops, timeouts, retries, references, reachability, roles.

use super::{Context, Rule};
use crate::agent_graph::AgentGraph as Graph;
use crate::finding::{Control, Meta, Need, Scope};
use crate::finding::{Finding, Severity};
use crate::load::model::{Agent, Topology};
use crate::source::Span;
use std::collections::HashMap;

pub static TOPO001: Rule = Rule {
    meta: Meta {
        code: "TOPO001",
        name: "unbounded-cycle",
        severity: Severity::Error,
        summary: "A cycle in the agent graph with no iteration bound on any of its edges, or a bound over the policy's `max_iterations`.",
        checklist: Some("1.1"),
        needs: &[],
        scope: Scope::Agents,
        control: Control::Full,
        docs: r#"
## Why
Agents that hand work back and forth with no bound can loop until a timeout, a rate limit or the
cost ceiling stops them: every round costs tokens and latency, and the user waits. The checklist
asks for "no circular or unbounded agent loops". A loop is fine when at least one handoff in it
carries `max_iterations`: the runtime stops the loop after that many rounds.

agentlock finds cycles in linear time: it drops every bounded handoff and computes the strongly
connected components of what is left. Any component with a cycle is a loop with no bound on any
of its edges, and the finding prints one such cycle.

A bound above the policy's `max_iterations` (25 in the default pack, 5 in strict, 3 in
regulated) is reported too: a loop allowed a thousand rounds is unbounded in practice.

## How to fix
Give one handoff of the cycle a bound, in the long form of a handoff.

## Example
```yaml
agents:
  writer:   { role: executor, handoffs: [reviewer] }
  reviewer:
    role: critic
    handoffs:
      - to: writer
        max_iterations: 3      # bounds writer → reviewer → writer
```
"#,
    },
    check: check_cycles,
};

pub static TOPO002: Rule = Rule {
    meta: Meta {
        code: "TOPO002",
        name: "missing-timeout",
        severity: Severity::Error,
        summary: "An agent with no timeout, its own or inherited from `defaults`, or one over the policy's `max_timeout`.",
        checklist: Some("1.1"),
        needs: &[],
        scope: Scope::Agents,
        control: Control::Full,
        docs: r#"
## Why
An agent with no timeout waits as long as its model or tools do: one slow provider stalls the
whole request and holds its resources. The checklist asks for agent timeouts everywhere; when
`[policy.limits] max_timeout` is set, a timeout above it is reported too.

## How to fix
Set `timeout` on the agent, or once in `defaults` for all agents.

## Example
```yaml
defaults: { timeout: 30s, retries: 2 }
agents:
  planner: { role: planner, prompt: planner@1.3.0, timeout: 60s }
```
"#,
    },
    check: check_timeouts,
};

pub static TOPO003: Rule = Rule {
    meta: Meta {
        code: "TOPO003",
        name: "missing-retry-limit",
        severity: Severity::Error,
        summary: "An agent with no retry limit, its own or inherited from `defaults`, or one over the policy's `max_retries`.",
        checklist: Some("1.1"),
        needs: &[],
        scope: Scope::Agents,
        control: Control::Full,
        docs: r#"
## Why
Without an explicit retry limit, the framework default decides how often a failing agent is
retried, and a transient failure becomes a retry storm against a provider that is already
struggling. The checklist asks for retry limits per agent. `retries: 0` is a limit. A limit
above the policy's `max_retries` (10 in the default pack, 3 in strict and regulated) is
reported too: every retry multiplies the worst-case latency (TOPO007) and the cost of a failure.

## How to fix
Set `retries` on the agent, or once in `defaults`.

## Example
```yaml
defaults: { timeout: 30s, retries: 2 }
```
"#,
    },
    check: check_retries,
};

pub static TOPO004: Rule = Rule {
    meta: Meta {
        code: "TOPO004",
        name: "unknown-agent",
        severity: Severity::Error,
        summary: "The entry or a handoff names an agent that does not exist.",
        checklist: None,
        needs: &[],
        scope: Scope::Agents,
        control: Control::Full,
        docs: r#"
## Why
A handoff to an agent that is not defined fails at run time, on the path that needed it, often
an error path that tests rarely take.

## How to fix
Correct the name (the finding suggests the closest one) or define the agent.

## Example
```yaml
entry: router
agents:
  router: { role: router, handoffs: [planer] }   # TOPO004: did you mean `planner`?
  planner: { role: planner }
```
"#,
    },
    check: check_unknown,
};

pub static TOPO005: Rule = Rule {
    meta: Meta {
        code: "TOPO005",
        name: "unreachable-agent",
        severity: Severity::Warning,
        summary: "An agent that cannot be reached from the entry agent.",
        checklist: None,
        needs: &[],
        scope: Scope::Agents,
        control: Control::Full,
        docs: r#"
## Why
An agent no path reaches is dead configuration: it is reviewed, locked and versioned, yet never
runs, and it often means a handoff was dropped by mistake.

## How to fix
Add the missing handoff, or remove the agent.

## Example
```yaml
entry: router
agents:
  router: { role: router, handoffs: [planner] }
  planner: { role: planner }
  archivist: { role: executor }    # TOPO005: no handoff leads here
```
"#,
    },
    check: check_reachable,
};

pub static TOPO006: Rule = Rule {
    meta: Meta {
        code: "TOPO006",
        name: "missing-role",
        severity: Severity::Error,
        summary: "An agent with no role, or a role outside the policy's `allowed_roles`.",
        checklist: Some("1.1"),
        needs: &[],
        scope: Scope::Agents,
        control: Control::Full,
        docs: r#"
## Why
The checklist asks for clearly defined agent roles (planner, executor, critic, router, …). A
role says what an agent may do and what reviewers should expect of it; a policy can restrict
roles to a known set with `[policy.limits] allowed_roles`.

## How to fix
Give the agent a `role`, one of the allowed roles when the policy lists them.

## Example
```yaml
agents:
  planner: { role: planner, prompt: planner@1.3.0 }
```
"#,
    },
    check: check_roles,
};

pub static TOPO007: Rule = Rule {
    meta: Meta {
        code: "TOPO007",
        name: "latency-budget-exceeded",
        severity: Severity::Error,
        summary: "The worst-case latency of a request over the topology exceeds `runtime.request_timeout`.",
        checklist: Some("3.1"),
        needs: &[Need::Project],
        scope: Scope::Agents,
        control: Control::Full,
        docs: r#"
agentlock computes the worst case of one request: from the entry agent along every handoff,
each agent costs its timeout times its attempts (`retries + 1`), and a loop costs its agents
once plus once more for every iteration its bounds allow (a loop whose handoff carries
`max_iterations: 3` runs its agents up to four times). The most expensive path is compared with
`runtime.request_timeout` in deploy.yaml, and the finding names that path and each agent's share.

The figure is an upper bound: every agent on the path times out on every attempt. Agents with
no timeout (TOPO002) are counted as zero.

## Why
Checklist 3.1: "Latency SLAs defined". A deadline that the topology cannot meet in its worst
case is not a deadline: the request is cut off while agents are still working (wasting their
tokens), or the agents' own timeouts never fire because the request timed out first. Either
way the retries and loop bounds that were configured never get their chance.

## How to fix
Lower the timeouts, retries or loop bounds on the reported path (the biggest shares first), or
raise `runtime.request_timeout` if the product can really wait that long.

## Example
```yaml
# deploy.yaml
runtime:
  request_timeout: 300s    # router 10s×2 + (planner 30s×3 + critic 30s×3)×4 = 740s: too long
```
"#,
    },
    check: check_latency,
};

/// The agent graph: indices into `model.agents()`, and each edge's handoff.
/// A rule over each topology of the model (a repository may hold several crews).
fn each(ctx: &Context, check: fn(&Context, &Topology) -> Vec<Finding>) -> Vec<Finding> {
    ctx.model
        .topologies
        .iter()
        .flat_map(|t| check(ctx, t))
        .collect()
}

fn check_cycles(ctx: &Context) -> Vec<Finding> {
    each(ctx, cycles)
}

fn cycles(ctx: &Context, topology: &Topology) -> Vec<Finding> {
    let g = Graph::new(topology);
    let unbounded = |v: usize, h: usize| g.unbounded(v, h);
    let comp = g.components(unbounded);
    let mut members: HashMap<usize, Vec<usize>> = HashMap::new();
    for (v, &c) in comp.iter().enumerate() {
        members.entry(c).or_default().push(v);
    }
    let mut findings = Vec::new();
    let mut comps: Vec<&Vec<usize>> = members.values().collect();
    comps.sort_by_key(|m| m.iter().map(|&v| g.agents[v].name.span.start).min());
    for nodes in comps {
        let c = comp[nodes[0]];
        let self_loop = nodes.len() == 1
            && g.edges[nodes[0]]
                .iter()
                .any(|&(t, h)| t == nodes[0] && unbounded(nodes[0], h));
        if nodes.len() < 2 && !self_loop {
            continue;
        }
        // One concrete cycle: from the first agent in file order, the shortest way back to it.
        let start = *nodes
            .iter()
            .min_by_key(|&&v| g.agents[v].name.span.start)
            .unwrap_or(&nodes[0]);
        let cycle = shortest_cycle(&g, start, |v, t, h| {
            comp[t] == c && comp[v] == c && unbounded(v, h)
        });
        let Some(cycle) = cycle else { continue };
        let names: Vec<&str> = cycle
            .iter()
            .map(|&(v, _)| g.agents[v].name.value.as_str())
            .chain([g.agents[start].name.value.as_str()])
            .collect();
        let path = names.join(" → ");
        let (first_v, first_h) = cycle[0];
        let first_span = g.agents[first_v].handoffs[first_h].to.span;
        let mut f = Finding::new(&TOPO001, first_span, g.agents[start].name.value.clone(), format!("unbounded agent loop: {path}"))
            .label("this handoff starts the loop")
            .help("add `max_iterations: N` to one handoff of the loop, in the form `- to: agent` / `max_iterations: 3`");
        for &(v, h) in cycle.iter().skip(1) {
            let to = &g.agents[v].handoffs[h].to;
            f = f.with_label(
                to.span,
                format!("{} → {}", g.agents[v].name.value, to.value),
            );
        }
        findings.push(f);
    }
    if let Some(max) = &ctx.policy.limits.max_iterations {
        for a in g.agents {
            for h in &a.handoffs {
                if let Some(b) = h.max_iterations.as_ref().filter(|b| b.value > max.value) {
                    findings.push(
                        Finding::new(&TOPO001, b.span, a.name.value.clone(), format!("the loop bound of {} → {} is {}, over the policy's max_iterations of {}: in practice no bound", a.name.value, h.to.value, b.value, max.value))
                            .label(format!("over {}", max.value))
                            .with_label(max.span, "the policy's limit")
                            .help(format!("lower `max_iterations` to {} or less", max.value)),
                    );
                }
            }
        }
    }
    findings
}

/// Breadth-first search from `start` back to itself; returns the edges (agent, handoff) taken.
fn shortest_cycle(
    g: &Graph,
    start: usize,
    ok: impl Fn(usize, usize, usize) -> bool,
) -> Option<Vec<(usize, usize)>> {
    let n = g.agents.len();
    let mut prev: Vec<Option<(usize, usize)>> = vec![None; n];
    let mut queue = std::collections::VecDeque::from([start]);
    let mut seen = vec![false; n];
    seen[start] = true;
    while let Some(v) = queue.pop_front() {
        for &(t, h) in &g.edges[v] {
            if !ok(v, t, h) {
                continue;
            }
            if t == start {
                let mut path = vec![(v, h)];
                let mut cur = v;
                while let Some((p, ph)) = prev[cur] {
                    path.push((p, ph));
                    cur = p;
                }
                path.reverse();
                return Some(path);
            }
            if !seen[t] {
                seen[t] = true;
                prev[t] = Some((v, h));
                queue.push_back(t);
            }
        }
    }
    None
}

fn check_timeouts(ctx: &Context) -> Vec<Finding> {
    each(ctx, timeouts)
}

fn timeouts(ctx: &Context, topology: &Topology) -> Vec<Finding> {
    let max = ctx.policy.limits.max_timeout.as_ref();
    let mut out = Vec::new();
    let keys = topology.keys;
    for a in &topology.agents {
        match &a.timeout {
            None => out.push(
                Finding::new(
                    &TOPO002,
                    a.name.span,
                    a.name.value.clone(),
                    format!("agent `{}` has no timeout", a.name.value),
                )
                .label(keys.missing(keys.timeout))
                .help(keys.add(keys.timeout)),
            ),
            Some(t) => {
                if let Some(m) = max.filter(|m| t.value > m.value) {
                    out.push(
                        Finding::new(
                            &TOPO002,
                            t.span,
                            a.name.value.clone(),
                            format!("agent `{}` has a timeout of {}, over the policy's max_timeout of {}", a.name.value, t.value, m.value),
                        )
                        .label(format!("over {}", m.value))
                        .with_label(m.span, "the policy's limit")
                        .help(format!("lower the timeout to {} or less", m.value)),
                    );
                }
            }
        }
    }
    out
}

fn check_retries(ctx: &Context) -> Vec<Finding> {
    each(ctx, retries)
}

fn retries(ctx: &Context, topology: &Topology) -> Vec<Finding> {
    let mut out = Vec::new();
    let keys = topology.keys;
    let limits = &ctx.policy.limits;
    let (max, limit_name, times) = if keys.retries_bound_a_loop {
        (limits.max_iterations.as_ref(), "max_iterations", "may loop")
    } else {
        (limits.max_retries.as_ref(), "max_retries", "retries")
    };
    let key = crate::load::model::agent::Keys::key(keys.retries);
    for a in &topology.agents {
        match &a.retries {
            None => {
                let mut f = Finding::new(
                    &TOPO003,
                    a.name.span,
                    a.name.value.clone(),
                    format!("agent `{}` has no retry limit", a.name.value),
                )
                .label(keys.missing(keys.retries))
                .help(keys.add(keys.retries));
                // The framework bounds it: a warning that the bound is implicit.
                if let Some(default) = keys.framework_default {
                    f.message = format!("agent `{}` sets no `{key}`: {default}", a.name.value);
                    f.help = Some(format!(
                        "{} to pin the bound you mean",
                        keys.add(keys.retries)
                    ));
                    f.severity = crate::finding::Severity::Warning;
                }
                out.push(f);
            }
            Some(r) => {
                if let Some(m) = max.filter(|m| r.value > m.value) {
                    out.push(
                        Finding::new(
                            &TOPO003,
                            r.span,
                            a.name.value.clone(),
                            format!(
                                "agent `{}` {times} {} times, over the policy's {limit_name} of {}",
                                a.name.value, r.value, m.value
                            ),
                        )
                        .label(format!("over {}", m.value))
                        .with_label(m.span, "the policy's limit")
                        .help(format!("lower `{key}` to {} or less", m.value)),
                    );
                }
            }
        }
    }
    out
}

/// One agent's worst case: its timeout times its attempts (0 with no timeout).
fn agent_cost(a: &Agent) -> u64 {
    let timeout = a.timeout.as_ref().map_or(0, |t| t.value.millis());
    let attempts = a.retries.as_ref().map_or(1, |r| r.value.saturating_add(1));
    timeout.saturating_mul(attempts)
}

fn check_latency(ctx: &Context) -> Vec<Finding> {
    let model = ctx.model;
    let Some(budget_node) = model
        .deploy
        .as_ref()
        .and_then(|d| d.get("runtime.request_timeout"))
    else {
        return Vec::new();
    };
    let Some(budget) = budget_node
        .scalar_text()
        .and_then(|t| crate::units::parse_duration(&t).ok())
    else {
        return Vec::new(); // CONF001 reports a malformed duration
    };
    let mut out = Vec::new();
    for topo in &model.topologies {
        out.extend(latency(topo, budget, budget_node));
    }
    out
}

fn latency(
    topo: &Topology,
    budget: crate::units::Duration,
    budget_node: &crate::node::Node,
) -> Vec<Finding> {
    let g = Graph::new(topo);
    let Some(entry_name) = &topo.entry else {
        return Vec::new();
    };
    let Some(&entry) = g.index.get(entry_name.value.as_str()) else {
        return Vec::new(); // TOPO004
    };
    let n = g.agents.len();
    // A loop with no bound on any edge has no worst case: TOPO001 reports it, and this rule
    // stays quiet rather than print a finite figure for it.
    if g.unbounded_loops().1.into_iter().any(|on| on) {
        return Vec::new();
    }
    // Components over every handoff. Tarjan numbers them in reverse topological order: an edge
    // between two components always goes from a higher number to a lower one.
    let comp = g.components(|_, _| true);
    let ncomp = comp.iter().copied().max().map_or(0, |m| m + 1);
    let mut members: Vec<Vec<usize>> = vec![Vec::new(); ncomp];
    for (v, &c) in comp.iter().enumerate() {
        members[c].push(v);
    }
    // A component's passes: once, plus once per iteration any of its internal bounds allows.
    let mut passes = vec![1u64; ncomp];
    let mut looped = vec![false; ncomp];
    for v in 0..n {
        for &(t, h) in &g.edges[v] {
            if comp[t] == comp[v] {
                looped[comp[v]] = true;
                let bound = g.agents[v].handoffs[h].max_iterations.as_ref();
                passes[comp[v]] = passes[comp[v]].saturating_add(bound.map_or(0, |b| b.value));
            }
        }
    }
    let weight: Vec<u64> = (0..ncomp)
        .map(|c| {
            members[c]
                .iter()
                .map(|&v| agent_cost(&g.agents[v]))
                .fold(0u64, u64::saturating_add)
                .saturating_mul(passes[c])
        })
        .collect();
    // Longest path over the component DAG, sinks first.
    let mut best = vec![0u64; ncomp];
    let mut next: Vec<Option<usize>> = vec![None; ncomp];
    for c in 0..ncomp {
        let mut tail = 0;
        for &v in &members[c] {
            for &(t, _) in &g.edges[v] {
                let d = comp[t];
                if d != c && (best[d] > tail || (best[d] == tail && next[c].is_none())) {
                    tail = best[d];
                    next[c] = Some(d);
                }
            }
        }
        best[c] = weight[c].saturating_add(tail);
    }
    let start = comp[entry];
    let total = best[start];
    if total <= budget.millis() {
        return Vec::new();
    }
    // The path, component by component, in file order within a loop.
    let mut steps = Vec::new();
    let mut labels = Vec::new();
    let mut cur = Some(start);
    while let Some(c) = cur {
        let mut names: Vec<usize> = members[c].clone();
        names.sort_by_key(|&v| g.agents[v].name.span.start);
        let list: Vec<&str> = names
            .iter()
            .map(|&v| g.agents[v].name.value.as_str())
            .collect();
        if looped[c] {
            steps.push(format!("({}) ×{}", list.join(" ⇄ "), passes[c]));
        } else {
            steps.push(list.join(""));
        }
        for &v in &names {
            let a = &g.agents[v];
            let attempts = a.retries.as_ref().map_or(1, |r| r.value + 1);
            let timeout = a
                .timeout
                .as_ref()
                .map_or("no timeout".to_string(), |t| t.value.to_string());
            let cost = agent_cost(a).saturating_mul(passes[c]);
            let text = if looped[c] {
                format!(
                    "{timeout} × {attempts} attempts × {} passes = {}",
                    passes[c],
                    crate::units::Duration(cost)
                )
            } else {
                format!(
                    "{timeout} × {attempts} attempts = {}",
                    crate::units::Duration(cost)
                )
            };
            labels.push((a.name.span, text));
        }
        cur = next[c];
    }
    let path = steps.join(" → ");
    let mut f = Finding::new(
        &TOPO007,
        entry_name.span,
        entry_name.value.clone(),
        format!(
            "the worst-case latency of a request is {}, over runtime.request_timeout of {budget}: {path}",
            crate::units::Duration(total)
        ),
    )
    .label(format!("worst case {} from here", crate::units::Duration(total)));
    for (span, text) in labels {
        f = f.with_label(span, text);
    }
    vec![f.with_label(budget_node.span, "the request deadline").help(format!(
        "lower the timeouts, retries or loop bounds on this path (largest shares first), or raise runtime.request_timeout to at least {}",
        crate::units::Duration(total)
    ))]
}

fn check_unknown(ctx: &Context) -> Vec<Finding> {
    each(ctx, unknown_agents)
}

fn unknown_agents(_ctx: &Context, topo: &Topology) -> Vec<Finding> {
    let names: Vec<&str> = topo.agents.iter().map(|a| a.name.value.as_str()).collect();
    // (a set: every handoff is looked up, and a topology may have thousands of agents)
    let defined: std::collections::HashSet<&str> = names.iter().copied().collect();
    let index = crate::suggest::Index::new(names.iter().copied());
    let unknown = |name: &str, span: Span, subject: &str, what: String| {
        let hint = index.hint(name);
        Finding::new(
            &TOPO004,
            span,
            subject,
            format!("{what} `{name}`, which is not defined.{hint}"),
        )
        .label("no such agent")
        .help(format!(
            "the agents are: {}",
            crate::suggest::listing(&names)
        ))
    };
    let mut out = Vec::new();
    if let Some(e) = &topo.entry
        && !defined.contains(e.value.as_str())
    {
        out.push(unknown(
            &e.value,
            e.span,
            &e.value,
            "the entry names agent".into(),
        ));
    }
    for a in &topo.agents {
        for h in &a.handoffs {
            if !defined.contains(h.to.value.as_str()) {
                out.push(unknown(
                    &h.to.value,
                    h.to.span,
                    &a.name.value,
                    format!("agent `{}` hands off to", a.name.value),
                ));
            }
        }
    }
    out
}

fn check_reachable(ctx: &Context) -> Vec<Finding> {
    each(ctx, reachable)
}

fn reachable(_ctx: &Context, topo: &Topology) -> Vec<Finding> {
    let g = Graph::new(topo);
    let Some(entry) = g.entry() else {
        return Vec::new();
    };
    let seen = g.reached_from(entry);
    let entry_name = &g.agents[entry].name.value;
    g.agents
        .iter()
        .zip(seen)
        .filter(|(_, s)| !s)
        .map(|(a, _)| {
            Finding::new(
                &TOPO005,
                a.name.span,
                a.name.value.clone(),
                format!(
                    "agent `{}` is not reachable from the entry agent `{entry_name}`",
                    a.name.value
                ),
            )
            .label("no chain of handoffs leads here")
            .help("add a handoff to this agent from one that is reachable, or remove it")
        })
        .collect()
}

fn check_roles(ctx: &Context) -> Vec<Finding> {
    let allowed = ctx.policy.limits.allowed_roles.as_ref();
    let mut out = Vec::new();
    for a in ctx.model.agents() {
        match &a.role {
            None => out.push(
                Finding::new(
                    &TOPO006,
                    a.name.span,
                    a.name.value.clone(),
                    format!("agent `{}` has no role", a.name.value),
                )
                .label("no `role`")
                .help(match allowed {
                    Some(list) => format!(
                        "add `role:`, one of: {}",
                        list.iter()
                            .map(|r| r.value.as_str())
                            .collect::<Vec<_>>()
                            .join(", ")
                    ),
                    None => "add `role:` (planner, executor, critic, router, …)".to_string(),
                }),
            ),
            Some(role) => {
                let Some(list) = allowed else { continue };
                if list.iter().any(|r| r.value == role.value) {
                    continue;
                }
                let names: Vec<&str> = list.iter().map(|r| r.value.as_str()).collect();
                let hint = crate::suggest::hint(&role.value, names.iter().copied());
                out.push(
                    Finding::new(
                        &TOPO006,
                        role.span,
                        a.name.value.clone(),
                        format!(
                            "agent `{}` has role `{}`, which the policy does not allow.{hint}",
                            a.name.value, role.value
                        ),
                    )
                    .label("not an allowed role")
                    .help(format!(
                        "use one of: {} — or add the role to `[policy.limits] allowed_roles`",
                        names.join(", ")
                    )),
                );
            }
        }
    }
    out
}
