//! TRACE: exported production traces against the declared topology, tools, models, prompts and
//! limits (checklist 3.2 and 3.3, the deterministic-run check of 2.2, and incident response, 9).
//!
//! Each rule but TRACE012 looks at one trace ([`Context::trace`]); TRACE012 compares the
//! traces of one golden case once all are read ([`Context::traces`]). A finding points at the
//! span in the trace file, with a secondary label on the declaration it breaks.

use super::{Context, Rule};
use crate::finding::{Control, Finding, Meta, Need, Scope, Severity};
use crate::source::{Span, printable};
use crate::traces::{Op, ToolMiss, resolve_tool};

const INSTRUMENT: &str =
    "see the README's \"Instrumenting an agent system\" for the attributes agentlock reads";

fn ms(v: f64) -> String {
    if v >= 1000.0 {
        format!("{:.1} s", v / 1000.0)
    } else {
        format!("{v:.0} ms")
    }
}

fn topology_span(ctx: &Context) -> Option<Span> {
    ctx.model
        .topologies
        .first()
        .map(|t| Span::file_start(t.file))
}

macro_rules! trace_rule {
    ($id:ident, $code:literal, $name:literal, $sev:expr, $checklist:literal, $summary:literal, $docs:literal, $check:ident) => {
        pub static $id: Rule = Rule {
            meta: Meta {
                code: $code,
                name: $name,
                severity: $sev,
                summary: $summary,
                checklist: Some($checklist),
                needs: &[Need::Traces],
                scope: Scope::Traces,
                control: Control::Full,
                docs: $docs,
            },
            check: $check,
        };
    };
}

trace_rule!(
    TRACE001,
    "TRACE001",
    "undeclared-agent",
    Severity::Error,
    "3.2",
    "A trace shows an agent agents.yaml does not declare.",
    r#"
An agent span (`gen_ai.operation.name = invoke_agent`, or a Langfuse AGENT observation) whose
`gen_ai.agent.name` is not an agent of the declared topology.

## Why
What ran in production is not what the release declares: an agent added outside the lock, a
renamed agent, or another system's traces. Nothing agentlock checked (timeouts, tools, loop
bounds) applies to it.

## How to fix
Declare the agent in agents.yaml (and lock), or correct the name the instrumentation gives it.

## Example
```yaml
agents:
  summarizer: { role: executor, prompt: summarizer@1.0.0, model: fast, timeout: 30s, retries: 2 }
```
"#,
    trace001
);

fn trace001(ctx: &Context) -> Vec<Finding> {
    let Some(v) = ctx.trace else {
        return Vec::new();
    };
    let mut out = Vec::new();
    for &a in &v.shape.agents {
        let s = v.shape.span(a);
        let Some(name) = s.agent.as_deref() else {
            continue;
        };
        if ctx.model.agent(name).is_some() || ctx.model.topologies.is_empty() {
            continue;
        }
        let hint = crate::suggest::hint(name, ctx.model.agents().map(|a| a.name.value.as_str()));
        let mut f = Finding::new(
            &TRACE001,
            s.at,
            printable(name).into_owned(),
            format!("a trace shows agent `{}`, which agents.yaml does not declare.{hint}", printable(name)),
        )
        .label("undeclared agent")
        .help("declare the agent in agents.yaml and lock, or correct the name the instrumentation gives it");
        if let Some(t) = topology_span(ctx) {
            f = f.with_label(t, "the declared topology");
        }
        out.push(f);
    }
    out
}

trace_rule!(
    TRACE002,
    "TRACE002",
    "undeclared-handoff",
    Severity::Error,
    "3.2",
    "A handoff between agents that is not a declared edge.",
    r#"
A handoff in a trace, read in either shape real instrumentations write: an agent span under
the agent that handed off, or agent spans side by side under one workflow span in time order.
The edge `from → to` must be one of `from`'s `handoffs` in agents.yaml.

## Why
The topology is what the loop bounds, timeouts and the worst-case latency were checked on
(TOPO001, TOPO007). A path the topology does not have was never checked.

## How to fix
Declare the handoff (with `max_iterations` if it closes a cycle), or fix the routing that took it.

## Example
```yaml
writer:
  handoffs: [reviewer]
```
"#,
    trace002
);

fn trace002(ctx: &Context) -> Vec<Finding> {
    let Some(v) = ctx.trace else {
        return Vec::new();
    };
    let mut out = Vec::new();
    for &(from, to) in &v.shape.handoffs {
        let (Some(a), Some(b)) = (
            v.shape.span(from).agent.as_deref(),
            v.shape.span(to).agent.as_deref(),
        ) else {
            continue;
        };
        let (Some(agent), Some(_)) = (ctx.model.agent(a), ctx.model.agent(b)) else {
            continue; // TRACE001 reports the undeclared one
        };
        if agent.handoffs.iter().any(|h| h.to.value == b) {
            continue;
        }
        out.push(
            Finding::new(
                &TRACE002,
                v.shape.span(to).at,
                format!("{}→{}", printable(a), printable(b)),
                format!(
                    "a trace hands off from `{}` to `{}`, which is not a declared handoff",
                    printable(a),
                    printable(b)
                ),
            )
            .label("undeclared handoff")
            .with_label(
                agent.name.span,
                format!(
                    "`{}` declares no handoff to `{}`",
                    printable(a),
                    printable(b)
                ),
            )
            .help(format!(
                "add `{}` to the handoffs of `{}` in agents.yaml, or fix the routing",
                printable(b),
                printable(a)
            )),
        );
    }
    out
}

trace_rule!(
    TRACE003,
    "TRACE003",
    "loop-bound-exceeded",
    Severity::Error,
    "3.2",
    "A trace passes over a bounded edge more times than its `max_iterations`.",
    r#"
For each handoff with `max_iterations`, the passes over that edge in one trace are counted; more
than the bound means the runtime does not enforce it.

## Why
The bound is what makes a cycle safe (TOPO001). If production exceeds it, an agent loop can run
until the request times out, and cost and latency are unbounded.

## How to fix
Enforce the bound in the orchestration code (a counter on the edge), or raise it in
agents.yaml if the higher number is intended.
## Example
```yaml
reviewer:
  handoffs:
    - to: writer
      max_iterations: 3   # a trace with a 4th reviewer → writer pass breaks this
```
"#,
    trace003
);

fn trace003(ctx: &Context) -> Vec<Finding> {
    let Some(v) = ctx.trace else {
        return Vec::new();
    };
    let mut counts: std::collections::BTreeMap<(&str, &str), Vec<usize>> = Default::default();
    for &(from, to) in &v.shape.handoffs {
        if let (Some(a), Some(b)) = (
            v.shape.span(from).agent.as_deref(),
            v.shape.span(to).agent.as_deref(),
        ) {
            counts.entry((a, b)).or_default().push(to);
        }
    }
    let mut out = Vec::new();
    for ((a, b), passes) in counts {
        let Some(h) = ctx
            .model
            .agent(a)
            .and_then(|ag| ag.handoffs.iter().find(|h| h.to.value == b))
        else {
            continue;
        };
        let Some(bound) = &h.max_iterations else {
            continue;
        };
        if passes.len() as u64 <= bound.value {
            continue;
        }
        let over = passes[bound.value as usize];
        out.push(
            Finding::new(
                &TRACE003,
                v.shape.span(over).at,
                format!("{}→{}", printable(a), printable(b)),
                format!(
                    "trace {} passes {} times over `{}` → `{}`, whose max_iterations is {}",
                    v.shape.trace.hex(),
                    passes.len(),
                    printable(a),
                    printable(b),
                    bound.value
                ),
            )
            .label(format!("pass {} of at most {}", bound.value + 1, bound.value))
            .with_label(bound.span, "the declared bound")
            .help("enforce the bound in the orchestration (a counter on the edge), or raise max_iterations if intended"),
        );
    }
    out
}

trace_rule!(
    TRACE004,
    "TRACE004",
    "undeclared-tool-call",
    Severity::Error,
    "3.2",
    "An agent called a tool its `tools` does not list.",
    r#"
A tool span (`execute_tool`, an MCP `tools/call` span, a Langfuse TOOL observation) under an
agent span: its tool, matched as `server.tool` or, when exactly one manifest declares it, by the
bare name, must be in the agent's `tools`. A tool no manifest declares, or a bare name several
servers declare, is reported too.

## Why
Least privilege (checklist 1.3): an agent that calls tools it was not given can act beyond what
was reviewed, and a tool outside every manifest is not pinned.

## How to fix
Add the tool to the agent's `tools` (and its server's manifest), or remove the call. Give the
span `mcp.server.name` when a bare tool name is ambiguous.
## Example
```yaml
writer:
  tools: [github.create_issue]   # a span `execute_tool search_issues` under writer breaks this
```
"#,
    trace004
);

fn trace004(ctx: &Context) -> Vec<Finding> {
    let Some(v) = ctx.trace else {
        return Vec::new();
    };
    let mut out = Vec::new();
    for (i, s) in v.shape.trace.spans.iter().enumerate() {
        if s.op != Op::Tool {
            continue;
        }
        let Some(agent) = v.shape.owner_name(i).and_then(|n| ctx.model.agent(n)) else {
            continue;
        };
        let an = printable(&agent.name.value).into_owned();
        let tools_at = agent.tools.first().map_or(agent.name.span, |t| t.span);
        let f = match resolve_tool(ctx.model, s) {
            Ok(key) if agent.tools.iter().any(|t| t.value == key) => continue,
            Ok(key) => Finding::new(
                &TRACE004,
                s.at,
                format!("{an}:{}", printable(&key)),
                format!("agent `{an}` called `{}`, which its tools do not list", printable(&key)),
            )
            .label("undeclared tool call")
            .with_label(tools_at, format!("the tools of `{an}`"))
            .help(format!("add `{}` to the tools of `{an}`, or remove the call", printable(&key))),
            Err(ToolMiss::Unnamed) => continue, // TRACE010
            Err(ToolMiss::Unknown(t)) if !ctx.model.incomplete.tools => Finding::new(
                &TRACE004,
                s.at,
                format!("{an}:{}", printable(&t)),
                format!("agent `{an}` called tool `{}`, which no tool manifest declares", printable(&t)),
            )
            .label("unknown tool")
            .with_label(tools_at, format!("the tools of `{an}`"))
            .help("declare the tool in its server's manifest under tools/ and in the agent's tools, or remove the call"),
            Err(ToolMiss::Unknown(_)) => continue,
            Err(ToolMiss::Ambiguous(t, servers)) => Finding::new(
                &TRACE004,
                s.at,
                format!("{an}:{}", printable(&t)),
                format!(
                    "agent `{an}` called tool `{}`, which servers {} all declare, and the span does not say which",
                    printable(&t),
                    servers.iter().map(|s| format!("`{}`", printable(s))).collect::<Vec<_>>().join(", ")
                ),
            )
            .label("ambiguous tool")
            .help("give the tool span `mcp.server.name`, or name the tool `server.tool`"),
        };
        out.push(f);
    }
    out
}

trace_rule!(
    TRACE005,
    "TRACE005",
    "model-drift",
    Severity::Error,
    "9",
    "The model that answered is not the pinned id.",
    r#"
A model call (`chat` span, Langfuse GENERATION) under an agent: the model that answered
(`gen_ai.response.model`, else `gen_ai.request.model`) must be the id the agent's model alias
pins in models.yaml. A provider prefix (`openai/`) is ignored.

## Why
A pinned snapshot is what the release's evals measured (checklist 6.1). A different model
answering (a floating alias resolved anew, a fallback, a gateway's substitution) is a release
nobody evaluated.

## How to fix
Make the application send the pinned id, or pin the id it really uses and evaluate it.
## Example
```yaml
models:
  smart: { provider: anthropic, id: claude-sonnet-4-6 }   # gen_ai.response.model must be this
```
"#,
    trace005
);

fn bare(id: &str) -> String {
    id.rsplit('/').next().unwrap_or(id).to_ascii_lowercase()
}

fn trace005(ctx: &Context) -> Vec<Finding> {
    let Some(v) = ctx.trace else {
        return Vec::new();
    };
    let mut out = Vec::new();
    for (i, s) in v.shape.trace.spans.iter().enumerate() {
        if s.op != Op::Chat {
            continue;
        }
        let Some(answered) = s.response_model.as_deref().or(s.request_model.as_deref()) else {
            continue;
        };
        let Some(agent) = v.shape.owner_name(i).and_then(|n| ctx.model.agent(n)) else {
            continue;
        };
        let Some(alias) = agent
            .model
            .as_ref()
            .and_then(|m| ctx.model.model_alias(&m.value))
        else {
            continue;
        };
        let Some(pinned) = &alias.id else { continue };
        let fallback = alias
            .fallback
            .as_ref()
            .and_then(|f| ctx.model.model_alias(&f.value))
            .and_then(|f| f.id.as_ref())
            .is_some_and(|id| bare(&id.value) == bare(answered));
        if bare(&pinned.value) == bare(answered) || fallback {
            continue;
        }
        out.push(
            Finding::new(
                &TRACE005,
                s.at,
                printable(&agent.name.value).into_owned(),
                format!(
                    "agent `{}` was answered by `{}`, not the pinned `{}` of alias `{}`",
                    printable(&agent.name.value),
                    printable(answered),
                    printable(&pinned.value),
                    printable(&alias.alias.value)
                ),
            )
            .label("the model that answered")
            .with_label(pinned.span, "the pinned id")
            .help(
                "send the pinned id, or pin the model the application really uses and evaluate it",
            ),
        );
    }
    out
}

trace_rule!(
    TRACE006,
    "TRACE006",
    "timeout-exceeded",
    Severity::Warning,
    "3.2",
    "An agent's or tool's own time is over its declared timeout.",
    r#"
An agent span longer than the agent's `timeout` (its own or from `defaults`), or a tool span
longer than its server's `timeout`.

## Why
A declared timeout that production exceeds is not enforced: the worst-case latency checked
against `runtime.request_timeout` (TOPO007) does not hold.

## How to fix
Enforce the timeout where the agent or tool is called (a deadline on the call), or raise it in
the declaration if the longer time is intended.
## Example
```yaml
defaults: { timeout: 30s, retries: 2 }   # an invoke_agent span of 45 s breaks this
```
"#,
    trace006
);

fn trace006(ctx: &Context) -> Vec<Finding> {
    let Some(v) = ctx.trace else {
        return Vec::new();
    };
    let mut out = Vec::new();
    for s in &v.shape.trace.spans {
        let (subject, limit) = match s.op {
            Op::Agent => {
                let Some(a) = s.agent.as_deref().and_then(|n| ctx.model.agent(n)) else {
                    continue;
                };
                let Some(t) = &a.timeout else { continue };
                (
                    format!("agent `{}`", printable(&a.name.value)),
                    (t.value.millis(), t.span),
                )
            }
            Op::Tool => {
                let Ok(key) = resolve_tool(ctx.model, s) else {
                    continue;
                };
                let Some(server) = key
                    .split_once('.')
                    .and_then(|(srv, _)| ctx.model.tool_server(srv))
                else {
                    continue;
                };
                let Some(t) = &server.timeout else { continue };
                (
                    format!("tool `{}`", printable(&key)),
                    (t.value.millis(), t.span),
                )
            }
            _ => continue,
        };
        let took = s.duration_ms();
        if took <= limit.0 as f64 {
            continue;
        }
        out.push(
            Finding::new(
                &TRACE006,
                s.at,
                subject.trim_matches('`').replace('`', ""),
                format!("{subject} ran {} in a trace, over its timeout of {}", ms(took), ms(limit.0 as f64)),
            )
            .label("over its timeout")
            .with_label(limit.1, "the declared timeout")
            .help("enforce the timeout where it is called (a deadline on the call), or raise it if intended"),
        );
    }
    out
}

trace_rule!(
    TRACE007,
    "TRACE007",
    "retry-limit-exceeded",
    Severity::Warning,
    "3.2",
    "More attempts of one call than the agent's retry limit allows.",
    r#"
Attempts are the spans of one agent side by side whose earlier ones failed, or the tool spans
of one call (one `gen_ai.tool.call.id`, or a failed call of a tool followed by another of the
same tool under the same agent). More retries than the agent's `retries` is a limit that is not
enforced.

## Why
Unbounded retries multiply cost and latency and can hammer a failing dependency (checklist 1.1).

## How to fix
Enforce the retry limit in the client or orchestration, or raise `retries` if intended.
## Example
```yaml
defaults: { timeout: 30s, retries: 2 }   # a third retry of one tool call breaks this
```
"#,
    trace007
);

fn trace007(ctx: &Context) -> Vec<Finding> {
    let Some(v) = ctx.trace else {
        return Vec::new();
    };
    let mut out = Vec::new();
    for run in &v.shape.attempts {
        let first = v.shape.span(run[0]);
        let agent_name = match first.op {
            Op::Agent => first.agent.as_deref(),
            _ => v.shape.owner_name(run[0]),
        };
        let Some(agent) = agent_name.and_then(|n| ctx.model.agent(n)) else {
            continue;
        };
        let Some(limit) = &agent.retries else {
            continue;
        };
        let retries = run.len() as u64 - 1;
        if retries <= limit.value {
            continue;
        }
        let what = match first.op {
            Op::Agent => format!("agent `{}`", printable(&agent.name.value)),
            _ => format!(
                "tool `{}` (called by `{}`)",
                printable(first.tool.as_deref().unwrap_or("?")),
                printable(&agent.name.value)
            ),
        };
        out.push(
            Finding::new(
                &TRACE007,
                v.shape.span(run[limit.value as usize + 1]).at,
                printable(&agent.name.value).into_owned(),
                format!("{what} was retried {retries} times in one trace; its retry limit is {}", limit.value),
            )
            .label("a retry over the limit")
            .with_label(limit.span, "the declared retry limit")
            .help("enforce the retry limit in the client or orchestration, or raise `retries` if intended"),
        );
    }
    out
}

trace_rule!(
    TRACE008,
    "TRACE008",
    "prompt-version-mismatch",
    Severity::Error,
    "3.3",
    "A traced prompt version differs from the one the agent declares.",
    r#"
An agent span that says its prompt (`agentlock.prompt = name@version`, or Langfuse's
`promptName`/`promptVersion` on its generation) must name the prompt its agent declares in
agents.yaml. Langfuse's own version numbers (`writer@3`) are not agentlock's: for them the
name must match.

## Why
Checklist 3.3 "prompt version tracking verified": production running another prompt version
than the release locks is a release nobody evaluated, and rollbacks restore the wrong text.

## How to fix
Deploy the locked prompt version, or update agents.yaml (and lock) to the version in use.
## Example
```yaml
writer:
  prompt: writer@1.0.0   # an agent span with agentlock.prompt = writer@0.9.0 breaks this
```
"#,
    trace008
);

fn trace008(ctx: &Context) -> Vec<Finding> {
    let Some(v) = ctx.trace else {
        return Vec::new();
    };
    let mut out = Vec::new();
    for (i, s) in v.shape.trace.spans.iter().enumerate() {
        let Some(traced) = s.prompt.as_deref() else {
            continue;
        };
        let agent_name = match s.op {
            Op::Agent => s.agent.as_deref(),
            _ => v.shape.owner_name(i),
        };
        let Some(agent) = agent_name.and_then(|n| ctx.model.agent(n)) else {
            continue;
        };
        let Some(declared) = &agent.prompt else {
            continue;
        };
        if declared.value == traced {
            continue;
        }
        // Langfuse numbers its prompt versions (`writer@3`), which say nothing of agentlock's:
        // the name must match then.
        let (tn, tv) = traced.split_once('@').unwrap_or((traced, ""));
        let (dn, dv) = declared
            .value
            .split_once('@')
            .unwrap_or((&declared.value, ""));
        let numbered = !tv.is_empty() && tv.bytes().all(|b| b.is_ascii_digit());
        if tn == dn && (tv.is_empty() || tv == dv || numbered) {
            continue;
        }
        out.push(
            Finding::new(
                &TRACE008,
                s.at,
                printable(&agent.name.value).into_owned(),
                format!(
                    "agent `{}` ran prompt `{}` in a trace; it declares `{}`",
                    printable(&agent.name.value),
                    printable(traced),
                    printable(&declared.value)
                ),
            )
            .label("the prompt that ran")
            .with_label(declared.span, "the declared prompt")
            .help("deploy the locked prompt version, or update agents.yaml and lock to the one in use"),
        );
    }
    out
}

trace_rule!(
    TRACE009,
    "TRACE009",
    "unknown-release",
    Severity::Warning,
    "9",
    "A trace names a lock root that is neither the current lock's nor any release tag's.",
    r#"
A trace's resource attribute `agentlock.lock.root` (set by the application from the lockfile's
`root` at deploy time) names the release that produced it. It must be the current lock's root
or the root of a release tag's lock.

## Why
Incident response (checklist 9) starts with "which version was running". A root no release has
means production runs something that was never tagged: a local build, an edited deploy.

## How to fix
Deploy only tagged releases, and set `agentlock.lock.root` from the deployed agentlock.lock.
## Example
```python
root = next(l.split('"')[1] for l in open("agentlock.lock") if l.startswith("root = "))
resource = Resource.create({"service.name": "issue-bot", "agentlock.lock.root": root})
```
"#,
    trace009
);

fn trace009(ctx: &Context) -> Vec<Finding> {
    let Some(v) = ctx.trace else {
        return Vec::new();
    };
    let Some((root, i)) = v.shape.lock_root else {
        return Vec::new();
    };
    if root == v.current_root
        || ctx
            .history
            .is_some_and(|h| h.release_of_root(root).is_some())
    {
        return Vec::new();
    }
    let whose = if ctx.history.is_some() {
        "neither the current lock's nor any release tag's"
    } else {
        "not the current lock's (outside git, release tags cannot be checked)"
    };
    // Only a digest is quoted: the attribute is free text, and could hold anything.
    let (subject, message) = if crate::traces::is_digest(root) {
        (
            root.to_string(),
            format!("a trace was produced by lock root `{root}`, {whose}"),
        )
    } else {
        (
            "agentlock.lock.root".to_string(),
            format!("a trace names a lock root that is not a `sha256:` digest, so {whose}"),
        )
    };
    vec![
        Finding::new(&TRACE009, v.shape.span(i).at, subject, message)
        .label("unknown release")
        .help("deploy only tagged releases, and set `agentlock.lock.root` from the deployed agentlock.lock"),
    ]
}

trace_rule!(
    TRACE010,
    "TRACE010",
    "incomplete-telemetry",
    Severity::Warning,
    "3.2",
    "Agent spans without agent names, tool calls with no tool span, orphan spans, parent loops.",
    r#"
What keeps a trace from being "visible end-to-end" (checklist 3.2): an agent span with no
`gen_ai.agent.name`, a tool span with no `gen_ai.tool.name`, a tool call the model asked for
(a `tool_call` part of a model call's `gen_ai.output.messages`) that no tool span records, a
span whose parent is in no file read (a dropped span, a broken context propagation), or spans
whose parents form a loop (span ids reused).

A requested call is recorded by a tool span with the same `gen_ai.tool.call.id`, or of the same
tool name starting after the model call; a call answered by an agent span (a handoff made as a
tool call, `transfer_to_writer`) counts as recorded. Model calls without captured output are not
checked: content capture is optional.

## Why
The other TRACE rules cannot check what the spans do not say; an orphan span means part of a
request is invisible.

## How to fix
Set the GenAI attributes on every agent and tool span, propagate the trace context across
process and MCP boundaries (`params._meta.traceparent`), and export every span.
## Example
```json
{"key": "gen_ai.agent.name", "value": {"stringValue": "writer"}}
```
"#,
    trace010
);

fn trace010(ctx: &Context) -> Vec<Finding> {
    let Some(v) = ctx.trace else {
        return Vec::new();
    };
    let mut out = Vec::new();
    let file = |i: usize| {
        let s = v.shape.span(i);
        ctx.model.sources.get(s.at.file).shown.clone()
    };
    for (i, s) in v.shape.trace.spans.iter().enumerate() {
        let what = match s.op {
            Op::Agent if s.agent.is_none() => "an agent span has no `gen_ai.agent.name`",
            Op::Tool if s.tool.is_none() => "a tool span has no `gen_ai.tool.name`",
            _ => continue,
        };
        out.push(
            Finding::new(
                &TRACE010,
                s.at,
                file(i),
                format!("{what} (span `{}`)", printable(&s.name)),
            )
            .label("unnamed")
            .help(INSTRUMENT),
        );
    }
    let spans = &v.shape.trace.spans;
    for (i, s) in spans.iter().enumerate() {
        for call in &s.requested {
            if recorded(spans, s, call) {
                continue;
            }
            let id = call
                .id
                .as_deref()
                .map(|id| format!(" (call `{}`)", printable(id)))
                .unwrap_or_default();
            out.push(
                Finding::new(
                    &TRACE010,
                    s.at,
                    file(i),
                    format!(
                        "the model asked for tool `{}`{id} and no tool span records the call",
                        printable(&call.name)
                    ),
                )
                .label("no tool span")
                .help("record every tool execution as an `execute_tool` span with `gen_ai.tool.name` and `gen_ai.tool.call.id`"),
            );
        }
    }
    // What holds for a set of spans of the trace: one finding, at the first of them.
    let mut of_spans = |spans: &[usize], what: String, label: &str, help: &str| {
        if let Some(&i) = spans.first() {
            let message = format!(
                "trace {} has {} spans {what}",
                v.shape.trace.hex(),
                spans.len()
            );
            out.push(
                Finding::new(&TRACE010, v.shape.span(i).at, file(i), message)
                    .label(label)
                    .help(help),
            );
        }
    };
    of_spans(
        &v.shape.orphans,
        "whose parent is in no file read".into(),
        "its parent is missing",
        "propagate the trace context across process and MCP boundaries and export every span",
    );
    if let Some(&i) = v.shape.loops.first() {
        of_spans(
            &v.shape.loops,
            format!(
                "whose parents form a loop (span `{}` is its own ancestor): their agent and place in the trace cannot be told",
                printable(&v.shape.span(i).name)
            ),
            "its parent chain loops",
            "give each span a new span id and its caller's as the parent; a span id reused across spans (a fixed or counter id) makes such loops",
        );
    }
    out
}

/// Whether a tool call a model asked for shows in the trace: a tool span with its call id, or
/// of its name after the model call, or an agent span it handed off to.
fn recorded(
    spans: &[crate::traces::SpanRec],
    chat: &crate::traces::SpanRec,
    call: &crate::traces::Requested,
) -> bool {
    let wanted = tail(&call.name);
    spans.iter().any(|t| match t.op {
        Op::Tool => {
            (call.id.is_some() && t.call_id == call.id)
                || (t.start_ns >= chat.start_ns
                    && t.tool
                        .as_deref()
                        .is_some_and(|n| tail(n).eq_ignore_ascii_case(wanted)))
        }
        Op::Agent => {
            t.start_ns >= chat.start_ns
                && t.agent.as_deref().is_some_and(|a| {
                    !a.is_empty()
                        && call
                            .name
                            .to_ascii_lowercase()
                            .contains(&a.to_ascii_lowercase())
                })
        }
        _ => false,
    })
}

/// A tool's own name, without its server (`server.tool`, `mcp__server__tool`).
fn tail(name: &str) -> &str {
    let name = name.rsplit("__").next().unwrap_or(name);
    name.rsplit('.').next().unwrap_or(name)
}

trace_rule!(
    TRACE011,
    "TRACE011",
    "request-deadline-exceeded",
    Severity::Warning,
    "3.2",
    "A trace took longer than `runtime.request_timeout`.",
    r#"
A trace's wall time (its first span's start to its last span's end) over deploy.yaml's
`runtime.request_timeout`.

## Why
The request deadline is the latency promise the release makes; the topology's worst case was
checked against it (TOPO007). A trace over it is a request that should have been cut off.

## How to fix
Enforce the deadline at the entry point, or find the agent or tool that took the time (the
summary's p95 per agent and tool).
## Example
```yaml
runtime:
  request_timeout: 300s   # a trace of 320 s breaks this
```
"#,
    trace011
);

fn trace011(ctx: &Context) -> Vec<Finding> {
    let Some(v) = ctx.trace else {
        return Vec::new();
    };
    let Some(node) = ctx.model.deploy_value("runtime.request_timeout") else {
        return Vec::new();
    };
    let Some(limit) = node
        .as_str()
        .and_then(|s| crate::units::parse_duration(s).ok())
    else {
        return Vec::new();
    };
    let limit_ms = limit.millis() as f64;
    if v.shape.duration_ms <= limit_ms {
        return Vec::new();
    }
    let first = v
        .shape
        .trace
        .spans
        .iter()
        .min_by_key(|s| s.start_ns)
        .map(|s| s.at);
    let Some(at) = first else { return Vec::new() };
    vec![
        Finding::new(
            &TRACE011,
            at,
            "runtime.request_timeout",
            format!(
                "trace {} took {}, over runtime.request_timeout {}",
                v.shape.trace.hex(),
                ms(v.shape.duration_ms),
                ms(limit_ms)
            ),
        )
        .label("the trace's first span")
        .with_label(node.span, "the request deadline")
        .help("enforce the deadline at the entry point, or find what took the time in the summary"),
    ]
}

trace_rule!(
    TRACE012,
    "TRACE012",
    "path-divergence",
    Severity::Warning,
    "2.2",
    "Two traces of one golden case took different agent paths.",
    r#"
Traces of test runs mark the golden case they ran with the span attribute `agentlock.case`. All
traces of one case must take the same agent path (the agent names in the order they ran):
the deterministic-run check of checklist 2.2.

## Why
A case whose path changes from run to run is routed non-deterministically: its golden results
say little about the next run.

## How to fix
Lower the router's temperature, make routing rules explicit, or mark the case as
non-deterministic in its dataset and compare outcomes instead of paths.
## Example
```json
{"key": "agentlock.case", "value": {"stringValue": "hp-001"}}
```
"#,
    trace012
);

fn traces(n: u64) -> String {
    format!("{n} {}", if n == 1 { "trace" } else { "traces" })
}

fn trace012(ctx: &Context) -> Vec<Finding> {
    let Some(sum) = ctx.traces else {
        return Vec::new();
    };
    let mut out = Vec::new();
    for (case, paths) in &sum.cases {
        let [first, rest @ ..] = paths.as_slice() else {
            continue;
        };
        for other in rest {
            out.push(
                Finding::new(
                    &TRACE012,
                    other.at,
                    printable(case).into_owned(),
                    format!(
                        "golden case `{}` took the path {} in {}, and {} in {}",
                        printable(case),
                        printable(&first.path.join(" → ")),
                        traces(first.traces),
                        printable(&other.path.join(" → ")),
                        traces(other.traces)
                    ),
                )
                .label("another path")
                .with_label(first.at, "the first path")
                .help("make the routing deterministic for this case, or compare its outcomes instead of its paths"),
            );
        }
    }
    out
}
