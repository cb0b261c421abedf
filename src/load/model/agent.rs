//! The agent topology: `agents.yaml`.

use super::Sp;
use crate::load::fields::{Table, Ty, f, passive, req};
use crate::load::read::Reader;
use crate::node::{Node, Value};
use crate::source::{FileId, Span};
use crate::units::{Duration, Rate};

#[derive(Clone, Debug)]
pub struct Topology {
    pub file: FileId,
    pub entry: Option<Sp<String>>,
    pub agents: Vec<Agent>,
    /// Span of the `defaults` mapping, if any.
    pub defaults: Option<Span>,
    /// How the file names the settings the rules ask for, for their help texts.
    pub keys: &'static Keys,
    /// A second file the topology is read from (a CrewAI crew's tasks.yaml).
    pub tasks: Option<FileId>,
}

impl Topology {
    /// Every handoff as (from, to, bound), in agent and handoff order.
    pub fn edges(&self) -> Vec<(String, String, Option<u64>)> {
        self.agents
            .iter()
            .flat_map(|a| {
                a.handoffs.iter().map(|h| {
                    (
                        a.name.value.clone(),
                        h.to.value.clone(),
                        h.max_iterations.as_ref().map(|m| m.value),
                    )
                })
            })
            .collect()
    }
}

/// How a topology file spells an agent's limits: the key and an example value a finding's help
/// asks the user to write. The rules read only this, never the format itself.
#[derive(Debug)]
pub struct Keys {
    pub timeout: &'static str,
    pub retries: &'static str,
    pub rate_limit: &'static str,
    /// Whether agents inherit settings from a `defaults` mapping.
    pub defaults: bool,
    /// Whether agents name their prompts (agents.yaml's `prompt: name@version`); CrewAI's write
    /// them inline, so which prompt files are used cannot be told (PRM005).
    pub names_prompts: bool,
    /// Whether the retry setting bounds the agent's own loop (CrewAI's `max_iter`) rather than
    /// counting retries: the policy's `max_iterations` limits it then, not `max_retries`.
    pub retries_bound_a_loop: bool,
    /// The bound the framework applies when the agent sets none, and how to say so (CrewAI's
    /// `max_iter` defaults to 25, 20 in newer releases): a missing setting is then a warning,
    /// not an error.
    pub framework_default: Option<&'static str>,
}

impl Keys {
    /// The key alone: `timeout` of `timeout: 30s`.
    pub fn key(setting: &str) -> &str {
        setting.split(':').next().unwrap_or(setting)
    }

    /// `add `timeout: 30s` to the agent, or to `defaults` for every agent`.
    pub fn add(&self, setting: &str) -> String {
        if self.defaults {
            format!("add `{setting}` to the agent, or to `defaults` for every agent")
        } else {
            format!("add `{setting}` to the agent")
        }
    }

    /// `no `retries`, and none in `defaults``.
    pub fn missing(&self, setting: &str) -> String {
        let key = Keys::key(setting);
        if self.defaults {
            format!("no `{key}`, and none in `defaults`")
        } else {
            format!("no `{key}`")
        }
    }
}

/// agentlock's own `agents.yaml`.
pub static AGENTS_YAML: Keys = Keys {
    timeout: "timeout: 30s",
    retries: "retries: 2",
    rate_limit: "rate_limit: 20/s",
    defaults: true,
    names_prompts: true,
    retries_bound_a_loop: false,
    framework_default: None,
};

/// One agent, with the settings it inherits from `defaults` already applied (their spans point
/// at `defaults`, so a finding about an inherited value shows where it came from).
#[derive(Clone, Debug)]
pub struct Agent {
    /// The key under `agents:`.
    pub name: Sp<String>,
    pub role: Option<Sp<String>>,
    pub prompt: Option<Sp<String>>,
    pub model: Option<Sp<String>>,
    pub timeout: Option<Sp<Duration>>,
    /// The timeout is the one `defaults` sets, not the agent's own.
    pub timeout_inherited: bool,
    pub retries: Option<Sp<u64>>,
    pub rate_limit: Option<Sp<Rate>>,
    pub max_tokens: Option<Sp<u64>>,
    pub tools: Vec<Sp<String>>,
    pub handoffs: Vec<Handoff>,
    /// Canonical JSON of the agent's effective settings, for the lockfile.
    pub canonical: String,
}

#[derive(Clone, Debug)]
pub struct Handoff {
    pub to: Sp<String>,
    pub max_iterations: Option<Sp<u64>>,
}

/// agents.yaml.
pub const FILE: Table = Table::new(
    "agents",
    "The agent topology: the agents, the entry agent and the handoffs between them.",
    &[
        req("entry", Ty::Str, "The agent that receives each request."),
        f(
            "defaults",
            Ty::Object(&DEFAULTS),
            "Settings every agent inherits unless it sets its own.",
        ),
        req(
            "agents",
            Ty::Map(&Ty::Object(&AGENT)),
            "The agents, by name: the names handoffs and traces use.",
        )
        .or_null(),
    ],
);

const ROLE: &str = "The agent's role (the policy's `allowed_roles` limits it: planner, executor, critic, router, …).";
const MODEL: &str = "The model alias from models.yaml the agent calls.";
const TIMEOUT: &str = "How long one call of the agent may take: `250ms`, `30s`, `2m`.";
const RETRIES: &str = "How many times a failed call is retried.";
const RATE_LIMIT: &str = "How often the agent may be called: `N/s`, `N/m` or `N/h`.";
const MAX_TOKENS: &str = "The most tokens one request may use.";
const TOOLS: &str = "The MCP tools the agent may call, as `server.tool`.";

const AGENT: Table = Table::new(
    "agent",
    "One agent.",
    &[
        f("role", Ty::Str, ROLE),
        f(
            "prompt",
            Ty::Str,
            "The prompt the agent runs, as `name@version` with an exact version.",
        ),
        f("model", Ty::Str, MODEL),
        f("timeout", Ty::Duration, TIMEOUT),
        f("retries", Ty::Uint, RETRIES),
        f("rate_limit", Ty::Rate, RATE_LIMIT),
        f("max_tokens", Ty::Uint, MAX_TOKENS),
        f("tools", Ty::StrList, TOOLS),
        f(
            "handoffs",
            Ty::List(&Ty::OneOf(&[Ty::Text, Ty::Object(&HANDOFF)])),
            "The agents this one hands off to: a name, or `{ to: agent, max_iterations: N }` to bound a loop.",
        ),
        passive("description", Ty::Str, "What the agent does, for people."),
    ],
);

const DEFAULTS: Table = Table::new(
    "defaults",
    "Settings every agent inherits unless it sets its own.",
    &[
        f("role", Ty::Str, ROLE),
        f("model", Ty::Str, MODEL),
        f("timeout", Ty::Duration, TIMEOUT),
        f("retries", Ty::Uint, RETRIES),
        f("rate_limit", Ty::Rate, RATE_LIMIT),
        f("max_tokens", Ty::Uint, MAX_TOKENS),
        f("tools", Ty::StrList, TOOLS),
    ],
);

const HANDOFF: Table = Table::new(
    "handoff",
    "A handoff with a bound on how often it may be taken in one request.",
    &[
        req("to", Ty::Str, "The agent handed off to."),
        f(
            "max_iterations",
            Ty::Positive,
            "How many times this handoff may be taken in one request (at least 1): a cycle needs a bound on one of its edges.",
        ),
    ],
);

#[derive(Default)]
struct Settings {
    role: Option<Sp<String>>,
    model: Option<Sp<String>>,
    timeout: Option<Sp<Duration>>,
    retries: Option<Sp<u64>>,
    rate_limit: Option<Sp<Rate>>,
    max_tokens: Option<Sp<u64>>,
    tools: Option<Vec<Sp<String>>>,
}

fn read_settings(r: &mut Reader, n: &Node) -> Settings {
    Settings {
        role: r.opt_string(n, "role", "role"),
        model: r.opt_string(n, "model", "model"),
        timeout: r.opt_duration(n, "timeout", "timeout"),
        retries: r.opt_uint(n, "retries", "retries"),
        rate_limit: r.opt_rate(n, "rate_limit", "rate_limit"),
        max_tokens: r.opt_uint(n, "max_tokens", "max_tokens"),
        tools: n.get("tools").map(|t| r.string_list(t, "tools")),
    }
}

pub fn load(r: &mut Reader, root: &Node) -> Option<Topology> {
    r.map(root, r.path.to_string().as_str())?;
    r.check_keys(root, &FILE, r.path.to_string().as_str());
    let entry = r.opt_string(root, "entry", "entry");
    if entry.is_none() && root.get("agents").is_some() {
        r.problem(
            crate::load::read::key_span(root, "agents").unwrap_or(root.span),
            "the topology has no `entry` agent",
            Some("add `entry: <agent>` naming the agent that receives each request".into()),
        );
    }
    let defaults_node = root.get("defaults");
    let defaults = match defaults_node {
        Some(d) if r.map(d, "defaults").is_some() => {
            r.check_keys(d, &DEFAULTS, "defaults");
            read_settings(r, d)
        }
        _ => Settings::default(),
    };
    let mut agents = Vec::new();
    if let Some(list) = root.get("agents") {
        for (key, node) in r.map(list, "agents").unwrap_or_default() {
            if r.map(node, &format!("agent `{}`", key.name)).is_none() {
                continue;
            }
            r.check_keys(node, &AGENT, &format!("agent `{}`", key.name));
            let own = read_settings(r, node);
            let handoffs = node
                .get("handoffs")
                .map(|h| read_handoffs(r, h))
                .unwrap_or_default();
            let agent = Agent {
                name: Sp::new(key.name.clone(), key.span),
                role: own.role.or_else(|| defaults.role.clone()),
                prompt: r.opt_string(node, "prompt", "prompt"),
                model: own.model.or_else(|| defaults.model.clone()),
                timeout_inherited: own.timeout.is_none() && defaults.timeout.is_some(),
                timeout: own.timeout.or(defaults.timeout.clone()),
                retries: own.retries.or(defaults.retries.clone()),
                rate_limit: own.rate_limit.or(defaults.rate_limit.clone()),
                max_tokens: own.max_tokens.or(defaults.max_tokens.clone()),
                tools: own
                    .tools
                    .or_else(|| defaults.tools.clone())
                    .unwrap_or_default(),
                handoffs,
                canonical: String::new(),
            };
            agents.push(Agent {
                canonical: canonical(&agent),
                ..agent
            });
        }
    } else {
        r.problem(root.span, "the topology has no `agents`", None);
    }
    Some(Topology {
        file: r.file,
        entry,
        agents,
        defaults: defaults_node.map(|d| d.span),
        keys: &AGENTS_YAML,
        tasks: None,
    })
}

fn read_handoffs(r: &mut Reader, node: &Node) -> Vec<Handoff> {
    let items: &[Node] = match &node.value {
        Value::Seq(items) => items,
        Value::Null => &[],
        _ => {
            r.problem(
                node.span,
                format!("handoffs must be a list, found {}", node.kind()),
                None,
            );
            return Vec::new();
        }
    };
    let mut out = Vec::new();
    for item in items {
        match &item.value {
            Value::Str(s) => out.push(Handoff {
                to: Sp::new(s.clone(), item.span),
                max_iterations: None,
            }),
            Value::Map(_) => {
                r.check_keys(item, &HANDOFF, "a handoff");
                let Some(to) = r.opt_string(item, "to", "handoff target") else {
                    r.problem(item.span, "a handoff needs `to: <agent>`", None);
                    continue;
                };
                let max_iterations = r.opt_uint(item, "max_iterations", "max_iterations");
                if let Some(m) = &max_iterations
                    && m.value == 0
                {
                    r.problem(m.span, "max_iterations must be at least 1", None);
                }
                out.push(Handoff { to, max_iterations });
            }
            _ => r.problem(
                item.span,
                format!(
                    "a handoff is an agent name or `{{ to: agent, max_iterations: N }}`, found {}",
                    item.kind()
                ),
                None,
            ),
        }
    }
    out
}

/// The agent's effective meaning as canonical JSON: durations in ms, rates normalized.
fn canonical(a: &Agent) -> String {
    use crate::node::write_json_str;
    let mut out = String::from("{");
    let mut field = |k: &str, v: Option<String>| {
        if let Some(v) = v {
            if out.len() > 1 {
                out.push(',');
            }
            write_json_str(k, &mut out);
            out.push(':');
            out.push_str(&v);
        }
    };
    let js = |s: &str| {
        let mut o = String::new();
        write_json_str(s, &mut o);
        o
    };
    // keys in sorted order
    let handoffs: Vec<String> = a
        .handoffs
        .iter()
        .map(|h| match &h.max_iterations {
            Some(m) => format!(
                "{{\"max_iterations\":{},\"to\":{}}}",
                m.value,
                js(&h.to.value)
            ),
            None => format!("{{\"to\":{}}}", js(&h.to.value)),
        })
        .collect();
    field("handoffs", Some(format!("[{}]", handoffs.join(","))));
    field(
        "max_tokens",
        a.max_tokens.as_ref().map(|v| v.value.to_string()),
    );
    field("model", a.model.as_ref().map(|v| js(&v.value)));
    field("prompt", a.prompt.as_ref().map(|v| js(&v.value)));
    field(
        "rate_limit",
        a.rate_limit.as_ref().map(|v| js(&v.value.to_string())),
    );
    field("retries", a.retries.as_ref().map(|v| v.value.to_string()));
    field("role", a.role.as_ref().map(|v| js(&v.value)));
    field(
        "timeout_ms",
        a.timeout.as_ref().map(|v| v.value.millis().to_string()),
    );
    let tools: Vec<String> = a.tools.iter().map(|t| js(&t.value)).collect();
    field("tools", Some(format!("[{}]", tools.join(","))));
    out.push('}');
    out
}
