//! CrewAI crews: `config/agents.yaml` and the `config/tasks.yaml` beside it, read as one
//! [`Topology`].
//!
//! `crewai create crew` writes both files; agentlock reads them as they are, with no extra
//! syntax. The mapping:
//!
//! - **Agents.** Each top-level key of agents.yaml is an agent, named by the key (with its span).
//!   The file must be a mapping of mappings: an entry that is not a mapping is CONF001 and is
//!   skipped (an entry with no value is an agent with nothing set); an empty file is an empty
//!   topology; a root that is not a mapping is CONF001 and no topology.
//! - **Settings.** `role` → the role, trimmed (a folded `>` scalar ends in a newline);
//!   `llm` → the model id as written (an `llm:` mapping is left as no model);
//!   `max_execution_time` (whole seconds) → the timeout; `max_iter`, the bound of the agent's
//!   reasoning loop, → the retry limit; `max_rpm` → a rate limit of N per minute (`max_rpm: 0`
//!   is CrewAI's "no limit", so no rate limit). Values of the wrong type are CONF001 at the
//!   value. `tools` (Python names, not MCP tools), `max_retry_limit` and every other key are
//!   accepted and ignored: CrewAI has dozens and adds more, so unknown keys are not reported.
//! - **Entry.** The `agent` of the first task in tasks.yaml that names one; none without
//!   tasks.yaml.
//! - **Edges**, in this order, one per (from, to) pair:
//!   1. Task flow. A sequential crew runs each task once, in file order, and each task reads the
//!      previous task's output and the outputs of its `context` tasks. So consecutive tasks done
//!      by agents A then B give A → B, and a `context` item naming a task done by A, in a task
//!      done by B, gives A → B; both with `max_iterations: 1` (each task runs once, which is why
//!      an A → B → A chain of tasks is not an unbounded cycle). The handoff points at the second
//!      task's `agent` value or at the `context` item. An agent doing two tasks in a row is no
//!      handoff; a task with no `agent` (a hierarchical crew's manager assigns it) gives no
//!      edges; a task naming an agent that agents.yaml does not define still gives its edges
//!      into that agent (TOPO004 reports the name). A `context` item naming no task is CONF001.
//!   2. Delegation. An agent with `allow_delegation: true` may hand work to every other agent as
//!      often as its own loop allows: an edge to each of them bounded by its `max_iter`, or
//!      unbounded without one (pointing at the `allow_delegation` value).
//!
//!   When a pair is connected twice, the first edge is kept unless a later one has a looser bound
//!   (none, or a larger one): a delegating agent can hand work to B more often than the one task
//!   flow allows, and the loop check must see that.
//! - **Canonical form** (hashed into the lockfile): the agent's YAML, the YAML of the tasks it is
//!   assigned (file order) and its edges, as canonical JSON. Editing a role, goal, backstory,
//!   task description or expected output changes it; layout and comments do not.

use super::Sp;
use super::agent::{Agent, Handoff, Keys, Topology};
use crate::load::read::Reader;
use crate::node::{Node, Value, write_json_str};
use crate::problem::Problem;
use crate::source::{FileId, Span};
use crate::units::{Duration, Rate, RatePeriod};

/// The keys CrewAI uses for the limits the rules ask for.
pub static CREWAI: Keys = Keys {
    timeout: "max_execution_time: 300",
    retries: "max_iter: 10",
    rate_limit: "max_rpm: 60",
    defaults: false,
    names_prompts: false,
    retries_bound_a_loop: true,
    framework_default: Some(
        "CrewAI's default applies (25 iterations, or 20 in newer CrewAI releases)",
    ),
};

/// One crew file as parsed: its file id, path, text and tree.
pub struct CrewFile<'a> {
    pub file: FileId,
    pub path: &'a str,
    pub text: &'a str,
    pub root: &'a Node,
}

/// An agent as read, before its edges are known.
struct Draft<'a> {
    agent: Agent,
    node: &'a Node,
    /// The span of `allow_delegation: true`, when it is set.
    delegation: Option<Span>,
}

/// A task of tasks.yaml.
struct Task<'a> {
    name: String,
    node: &'a Node,
    agent: Option<Sp<String>>,
    context: Vec<Sp<String>>,
}

/// A crew's agents.yaml and, when there is one, the tasks.yaml beside it, as one Topology.
/// Problems are CONF001 findings pushed to `problems`.
pub fn load(
    agents: CrewFile,
    tasks: Option<CrewFile>,
    problems: &mut Vec<Problem>,
) -> Option<Topology> {
    let mut drafts = read_agents(&agents, problems)?;
    let tasks_file = tasks.as_ref().map(|t| t.file);
    let tasks = tasks.map(|t| read_tasks(&t, problems)).unwrap_or_default();
    let entry = tasks.iter().find_map(|t| t.agent.clone());

    // 1. Task flow: consecutive tasks, then context.
    let mut edges: Vec<(String, Handoff)> = Vec::new();
    for pair in tasks.windows(2) {
        if let (Some(a), Some(b)) = (&pair[0].agent, &pair[1].agent)
            && a.value != b.value
        {
            edges.push((a.value.clone(), once(b.value.clone(), b.span)));
        }
    }
    for task in &tasks {
        let Some(b) = &task.agent else { continue };
        for item in &task.context {
            let Some(a) = tasks
                .iter()
                .find(|t| t.name == item.value)
                .and_then(|t| t.agent.as_ref())
            else {
                continue;
            };
            if a.value != b.value {
                edges.push((a.value.clone(), once(b.value.clone(), item.span)));
            }
        }
    }
    for (from, handoff) in edges {
        if let Some(d) = drafts.iter_mut().find(|d| d.agent.name.value == from) {
            add(&mut d.agent.handoffs, handoff);
        }
    }

    // 2. Delegation.
    let names: Vec<String> = drafts.iter().map(|d| d.agent.name.value.clone()).collect();
    for d in &mut drafts {
        let Some(span) = d.delegation else { continue };
        for name in &names {
            if *name != d.agent.name.value {
                let handoff = Handoff {
                    to: Sp::new(name.clone(), span),
                    max_iterations: d.agent.retries.clone(),
                };
                add(&mut d.agent.handoffs, handoff);
            }
        }
    }

    let agents_out = drafts
        .into_iter()
        .map(|d| {
            let own: Vec<&Node> = tasks
                .iter()
                .filter(|t| {
                    t.agent
                        .as_ref()
                        .is_some_and(|a| a.value == d.agent.name.value)
                })
                .map(|t| t.node)
                .collect();
            Agent {
                canonical: canonical(d.node, &own, &d.agent.handoffs),
                ..d.agent
            }
        })
        .collect();
    Some(Topology {
        file: agents.file,
        entry,
        agents: agents_out,
        defaults: None,
        keys: &CREWAI,
        tasks: tasks_file,
    })
}

/// A handoff bounded to one round: a task runs once.
fn once(to: String, span: Span) -> Handoff {
    Handoff {
        to: Sp::new(to, span),
        max_iterations: Some(Sp::new(1, span)),
    }
}

/// Adds an edge, one per target: a later edge to the same agent replaces the kept one only when
/// its bound is looser.
fn add(handoffs: &mut Vec<Handoff>, h: Handoff) {
    match handoffs.iter_mut().find(|k| k.to.value == h.to.value) {
        None => handoffs.push(h),
        Some(kept) => {
            let looser = match (&h.max_iterations, &kept.max_iterations) {
                (None, Some(_)) => true,
                (Some(new), Some(old)) => new.value > old.value,
                _ => false,
            };
            if looser {
                *kept = h;
            }
        }
    }
}

fn read_agents<'a>(f: &CrewFile<'a>, problems: &mut Vec<Problem>) -> Option<Vec<Draft<'a>>> {
    let mut r = Reader::new(f.file, f.path, f.text, problems);
    let entries = r.map(f.root, f.path)?;
    let mut out = Vec::new();
    for (key, node) in entries {
        if r.map(node, &format!("agent `{}`", key.name)).is_none() {
            continue;
        }
        let role = r
            .opt_string(node, "role", "role")
            .map(|s| Sp::new(s.value.trim().to_string(), s.span));
        let model = match node.get("llm") {
            Some(n) if !matches!(n.value, Value::Map(_) | Value::Null) => r.string(n, "llm"),
            _ => None,
        };
        let timeout = r
            .opt_uint(node, "max_execution_time", "max_execution_time")
            .map(|s| Sp::new(Duration(s.value.saturating_mul(1000)), s.span));
        let retries = r.opt_uint(node, "max_iter", "max_iter");
        let rate_limit = r
            .opt_uint(node, "max_rpm", "max_rpm")
            .filter(|s| s.value > 0)
            .map(|s| {
                let rate = Rate {
                    count: s.value,
                    per: RatePeriod::Minute,
                };
                Sp::new(rate, s.span)
            });
        let delegation = node
            .get("allow_delegation")
            .filter(|n| !matches!(n.value, Value::Null))
            .and_then(|n| r.bool(n, "allow_delegation"))
            .filter(|b| b.value)
            .map(|b| b.span);
        out.push(Draft {
            agent: Agent {
                name: Sp::new(key.name.clone(), key.span),
                role,
                prompt: None,
                model,
                timeout,
                timeout_inherited: false,
                retries,
                rate_limit,
                max_tokens: None,
                tools: Vec::new(),
                handoffs: Vec::new(),
                canonical: String::new(),
            },
            node,
            delegation,
        });
    }
    Some(out)
}

fn read_tasks<'a>(f: &CrewFile<'a>, problems: &mut Vec<Problem>) -> Vec<Task<'a>> {
    let mut r = Reader::new(f.file, f.path, f.text, problems);
    let Some(entries) = r.map(f.root, f.path) else {
        return Vec::new();
    };
    let mut tasks = Vec::new();
    for (key, node) in entries {
        let (agent, context) = if r.map(node, &format!("task `{}`", key.name)).is_some() {
            (
                r.opt_string(node, "agent", "agent"),
                read_context(&mut r, node),
            )
        } else {
            (None, Vec::new())
        };
        tasks.push(Task {
            name: key.name.clone(),
            node,
            agent,
            context,
        });
    }
    let names: Vec<&str> = tasks.iter().map(|t| t.name.as_str()).collect();
    for task in &tasks {
        for item in &task.context {
            if names.contains(&item.value.as_str()) {
                continue;
            }
            let hint = crate::suggest::hint(&item.value, names.iter().copied());
            r.problem(
                item.span,
                format!(
                    "task `{}` reads context from `{}`, which tasks.yaml does not define.{hint}",
                    task.name, item.value
                ),
                Some(format!("the tasks are: {}", names.join(", "))),
            );
        }
    }
    tasks
}

/// `context:`, a list of task names.
fn read_context(r: &mut Reader, task: &Node) -> Vec<Sp<String>> {
    let Some(node) = task.get("context") else {
        return Vec::new();
    };
    match &node.value {
        Value::Null => Vec::new(),
        Value::Seq(items) => items
            .iter()
            .filter_map(|i| r.string(i, "a context item"))
            .collect(),
        _ => {
            r.problem(
                node.span,
                format!(
                    "context must be a list of task names, found {}",
                    node.kind()
                ),
                Some("write `context: [task_name, …]`".into()),
            );
            Vec::new()
        }
    }
}

/// `{"agent":…,"handoffs":[…],"tasks":[…]}`: keys sorted, handoffs as in agents.yaml's form.
fn canonical(agent: &Node, tasks: &[&Node], handoffs: &[Handoff]) -> String {
    let mut out = String::from("{\"agent\":");
    out.push_str(&agent.canonical_json());
    out.push_str(",\"handoffs\":[");
    for (i, h) in handoffs.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        match &h.max_iterations {
            Some(m) => out.push_str(&format!("{{\"max_iterations\":{},\"to\":", m.value)),
            None => out.push_str("{\"to\":"),
        }
        write_json_str(&h.to.value, &mut out);
        out.push('}');
    }
    out.push_str("],\"tasks\":[");
    for (i, t) in tasks.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        out.push_str(&t.canonical_json());
    }
    out.push_str("]}");
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::node::parse_yaml;

    const AGENTS: &str = "\
researcher:
  role: >
    {topic} Senior Data Researcher
  goal: >
    Uncover cutting-edge developments in {topic}
  backstory: >
    You're a seasoned researcher.
  llm: openai/gpt-4o
  max_iter: 15
  max_execution_time: 300
  max_rpm: 10
  max_retry_limit: 2
  allow_delegation: false
  verbose: true
  tools: [SerperDevTool]
reporting_analyst:
  role: >
    {topic} Reporting Analyst
  goal: Create detailed reports
  backstory: You're meticulous.
";

    const TASKS: &str = "\
research_task:
  description: >
    Conduct a thorough research about {topic}
  expected_output: >
    A list with 10 bullet points
  agent: researcher
reporting_task:
  description: Review the context you got
  expected_output: A fully fledged report
  agent: reporting_analyst
  context: [research_task]
  output_file: report.md
";

    fn run(agents: &str, tasks: Option<&str>) -> (Option<Topology>, Vec<Problem>) {
        let a = parse_yaml(agents, FileId(1)).unwrap();
        let t = tasks.map(|t| parse_yaml(t, FileId(2)).unwrap());
        let mut problems = Vec::new();
        let topo = load(
            CrewFile {
                file: FileId(1),
                path: "config/agents.yaml",
                text: agents,
                root: &a,
            },
            tasks.zip(t.as_ref()).map(|(text, root)| CrewFile {
                file: FileId(2),
                path: "config/tasks.yaml",
                text,
                root,
            }),
            &mut problems,
        );
        (topo, problems)
    }

    fn at(text: &str, span: Span) -> &str {
        &text[span.start as usize..span.end as usize]
    }

    fn agent<'t>(t: &'t Topology, name: &str) -> &'t Agent {
        t.agents.iter().find(|a| a.name.value == name).unwrap()
    }

    /// Each handoff as (to, bound).
    fn edges(a: &Agent) -> Vec<(&str, Option<u64>)> {
        a.handoffs
            .iter()
            .map(|h| {
                (
                    h.to.value.as_str(),
                    h.max_iterations.as_ref().map(|m| m.value),
                )
            })
            .collect()
    }

    #[test]
    fn example_crew() {
        let (topo, problems) = run(AGENTS, Some(TASKS));
        assert!(problems.is_empty(), "{problems:?}");
        let t = topo.unwrap();
        assert_eq!(t.file, FileId(1));
        assert!(t.defaults.is_none());
        assert_eq!(t.keys.timeout, "max_execution_time: 300");
        let entry = t.entry.as_ref().unwrap();
        assert_eq!(entry.value, "researcher");
        assert_eq!(entry.span.file, FileId(2));
        assert_eq!(at(TASKS, entry.span), "researcher");

        let names: Vec<&str> = t.agents.iter().map(|a| a.name.value.as_str()).collect();
        assert_eq!(names, ["researcher", "reporting_analyst"]);
        let r = agent(&t, "researcher");
        assert_eq!(at(AGENTS, r.name.span), "researcher");
        assert_eq!(
            r.role.as_ref().unwrap().value,
            "{topic} Senior Data Researcher"
        );
        assert_eq!(r.model.as_ref().unwrap().value, "openai/gpt-4o");
        let timeout = r.timeout.as_ref().unwrap();
        assert_eq!(timeout.value.millis(), 300_000);
        assert_eq!(at(AGENTS, timeout.span), "300");
        let retries = r.retries.as_ref().unwrap();
        assert_eq!(retries.value, 15);
        assert_eq!(at(AGENTS, retries.span), "15");
        let rate = r.rate_limit.as_ref().unwrap();
        assert_eq!(rate.value.to_string(), "10/m");
        assert_eq!(at(AGENTS, rate.span), "10");
        assert!(r.tools.is_empty() && r.prompt.is_none() && r.max_tokens.is_none());

        // research_task → reporting_task, and reporting_task's context: one edge, bound 1,
        // at the second task's `agent`.
        assert_eq!(edges(r), [("reporting_analyst", Some(1))]);
        let h = &r.handoffs[0];
        assert_eq!(h.to.span.file, FileId(2));
        assert_eq!(at(TASKS, h.to.span), "reporting_analyst");
        assert_eq!(h.max_iterations.as_ref().unwrap().span, h.to.span);

        let a = agent(&t, "reporting_analyst");
        assert_eq!(a.role.as_ref().unwrap().value, "{topic} Reporting Analyst");
        assert!(a.model.is_none() && a.timeout.is_none() && a.retries.is_none());
        assert!(a.rate_limit.is_none());
        assert!(a.handoffs.is_empty());
    }

    #[test]
    fn context_edges() {
        let agents = "a: {role: A}\nb: {role: B}\nc: {role: C}\n";
        let tasks = "\
t1: {agent: a}
t2: {agent: b}
t3:
  agent: c
  context:
    - t1
    - t2
";
        let (topo, problems) = run(agents, Some(tasks));
        assert!(problems.is_empty(), "{problems:?}");
        let t = topo.unwrap();
        assert_eq!(edges(agent(&t, "a")), [("b", Some(1)), ("c", Some(1))]);
        assert_eq!(edges(agent(&t, "b")), [("c", Some(1))]);
        assert!(agent(&t, "c").handoffs.is_empty());
        // a → c comes from t3's context item `t1`; b → c from the task flow, kept first.
        let ac = &agent(&t, "a").handoffs[1];
        assert_eq!(at(tasks, ac.to.span), "t1");
        assert_eq!(ac.max_iterations.as_ref().unwrap().span, ac.to.span);
        let bc = &agent(&t, "b").handoffs[0];
        assert_eq!(at(tasks, bc.to.span), "c");
    }

    #[test]
    fn a_task_chain_back_and_forth_is_bounded() {
        let agents = "a: {role: A}\nb: {role: B}\n";
        let tasks = "t1: {agent: a}\nt2: {agent: b}\nt3: {agent: a}\n";
        let t = run(agents, Some(tasks)).0.unwrap();
        assert_eq!(edges(agent(&t, "a")), [("b", Some(1))]);
        assert_eq!(edges(agent(&t, "b")), [("a", Some(1))]);
    }

    #[test]
    fn same_agent_consecutive_tasks_give_no_edge() {
        let agents = "a: {role: A}\nb: {role: B}\n";
        let tasks = "t1: {agent: a}\nt2: {agent: a, context: [t1]}\nt3: {description: x}\n";
        let (topo, problems) = run(agents, Some(tasks));
        assert!(problems.is_empty(), "{problems:?}");
        let t = topo.unwrap();
        assert!(t.agents.iter().all(|a| a.handoffs.is_empty()));
        assert_eq!(t.entry.unwrap().value, "a");
    }

    #[test]
    fn an_unknown_task_agent_still_gets_its_edges() {
        let agents = "a: {role: A}\n";
        let tasks = "t1: {agent: a}\nt2: {agent: writer}\n";
        let t = run(agents, Some(tasks)).0.unwrap();
        let h = &agent(&t, "a").handoffs[0];
        assert_eq!(h.to.value, "writer");
        assert_eq!(at(tasks, h.to.span), "writer");
    }

    #[test]
    fn the_entry_is_the_first_task_with_an_agent() {
        let agents = "a: {role: A}\nb: {role: B}\n";
        let tasks = "t0: {description: managed}\nt1: {agent: b}\nt2: {agent: a}\n";
        let t = run(agents, Some(tasks)).0.unwrap();
        let e = t.entry.unwrap();
        assert_eq!(e.value, "b");
        assert_eq!(at(tasks, e.span), "b");
        let t = run(agents, Some("t0: {description: managed}\n")).0.unwrap();
        assert!(t.entry.is_none());
    }

    #[test]
    fn delegation_edges() {
        let agents = "\
lead:
  role: Lead
  allow_delegation: true
  max_iter: 5
helper:
  role: Helper
  allow_delegation: true
quiet:
  role: Quiet
  allow_delegation: false
";
        let (topo, problems) = run(agents, None);
        assert!(problems.is_empty(), "{problems:?}");
        let t = topo.unwrap();
        let lead = agent(&t, "lead");
        assert_eq!(edges(lead), [("helper", Some(5)), ("quiet", Some(5))]);
        assert_eq!(at(agents, lead.handoffs[0].to.span), "true");
        assert_eq!(
            at(
                agents,
                lead.handoffs[0].max_iterations.as_ref().unwrap().span
            ),
            "5"
        );
        let helper = agent(&t, "helper");
        assert_eq!(edges(helper), [("lead", None), ("quiet", None)]);
        assert_eq!(at(agents, helper.handoffs[1].to.span), "true");
        assert!(agent(&t, "quiet").handoffs.is_empty());
    }

    #[test]
    fn delegation_loosens_a_task_edge() {
        // Both delegate without max_iter: a ⇄ b is an unbounded loop even though a task of a
        // precedes one of b.
        let agents = "a: {allow_delegation: true}\nb: {allow_delegation: true}\n";
        let tasks = "t1: {agent: a}\nt2: {agent: b}\n";
        let t = run(agents, Some(tasks)).0.unwrap();
        assert_eq!(edges(agent(&t, "a")), [("b", None)]);
        assert_eq!(edges(agent(&t, "b")), [("a", None)]);
        // A tighter delegation bound keeps the task edge.
        let agents = "a: {allow_delegation: true, max_iter: 1}\nb: {}\n";
        let t = run(agents, Some(tasks)).0.unwrap();
        let h = &agent(&t, "a").handoffs;
        assert_eq!(edges(agent(&t, "a")), [("b", Some(1))]);
        assert_eq!(h[0].to.span.file, FileId(2));
    }

    #[test]
    fn unknown_context_task() {
        let agents = "a: {role: A}\nb: {role: B}\n";
        let tasks = "research: {agent: a}\nreport: {agent: b, context: [reserch]}\n";
        let (topo, problems) = run(agents, Some(tasks));
        assert_eq!(problems.len(), 1, "{problems:?}");
        let p = &problems[0];
        assert_eq!(at(tasks, p.span), "reserch");
        assert!(
            p.message
                .contains("task `report` reads context from `reserch`"),
            "{}",
            p.message
        );
        assert!(
            p.message.contains("Did you mean `research`?"),
            "{}",
            p.message
        );
        assert_eq!(edges(agent(&topo.unwrap(), "a")), [("b", Some(1))]);
    }

    #[test]
    fn context_must_be_a_list() {
        let tasks = "t1: {agent: a}\nt2: {agent: b, context: t1}\n";
        let (topo, problems) = run("a: {}\nb: {}\n", Some(tasks));
        assert_eq!(problems.len(), 1, "{problems:?}");
        assert_eq!(at(tasks, problems[0].span), "t1");
        assert!(topo.is_some());
    }

    #[test]
    fn bad_values_are_conf001_at_the_value() {
        let agents = "\
a:
  role: A
  max_iter: lots
  max_execution_time: -5
  allow_delegation: maybe
  max_rpm: 0
  llm: {model: gpt-4o, temperature: 0.2}
";
        let (topo, problems) = run(agents, None);
        let found: Vec<&str> = problems.iter().map(|p| at(agents, p.span)).collect();
        assert_eq!(found, ["-5", "lots", "maybe"]);
        let a = &topo.unwrap().agents[0];
        assert!(a.retries.is_none() && a.timeout.is_none() && a.model.is_none());
        assert!(a.rate_limit.is_none() && a.handoffs.is_empty());
    }

    #[test]
    fn no_tasks_file() {
        let t = run(AGENTS, None).0.unwrap();
        assert!(t.entry.is_none());
        assert_eq!(t.agents.len(), 2);
        assert!(t.agents.iter().all(|a| a.handoffs.is_empty()));
    }

    #[test]
    fn empty_and_malformed_agents_files() {
        let (topo, problems) = run("", Some(TASKS));
        assert!(problems.is_empty());
        let t = topo.unwrap();
        assert!(t.agents.is_empty());
        assert_eq!(t.entry.unwrap().value, "researcher");

        let (topo, problems) = run("- researcher\n- writer\n", None);
        assert!(topo.is_none());
        assert_eq!(problems.len(), 1);

        let agents = "a: just a string\nb: {role: B}\nc:\n";
        let (topo, problems) = run(agents, None);
        assert_eq!(problems.len(), 1, "{problems:?}");
        assert_eq!(at(agents, problems[0].span), "just a string");
        let names: Vec<String> = topo
            .unwrap()
            .agents
            .into_iter()
            .map(|a| a.name.value)
            .collect();
        assert_eq!(names, ["b", "c"]);
    }

    #[test]
    fn canonical_follows_meaning_not_layout() {
        let base = run(AGENTS, Some(TASKS)).0.unwrap();
        let r = &agent(&base, "researcher").canonical;
        assert!(r.starts_with("{\"agent\":{"), "{r}");
        assert!(
            r.contains("\"handoffs\":[{\"max_iterations\":1,\"to\":\"reporting_analyst\"}]"),
            "{r}"
        );
        assert!(r.contains("Conduct a thorough research"), "{r}");
        assert!(!r.contains("A fully fledged report"), "{r}");

        // Same meaning, other layout, comments and key order.
        let relaid = "\
# the crew
research_task:   # first
  agent: researcher
  expected_output: \"A list with 10 bullet points\\n\"
  description: >
    Conduct a thorough
    research about {topic}
reporting_task: {description: Review the context you got, expected_output: A fully fledged report, agent: reporting_analyst, context: [research_task], output_file: report.md}
";
        let same = run(AGENTS, Some(relaid)).0.unwrap();
        for (a, b) in base.agents.iter().zip(&same.agents) {
            assert_eq!(a.canonical, b.canonical);
        }

        let edited = TASKS.replace("thorough research", "quick research");
        let changed = run(AGENTS, Some(&edited)).0.unwrap();
        assert_ne!(agent(&changed, "researcher").canonical, *r);
        assert_eq!(
            agent(&changed, "reporting_analyst").canonical,
            agent(&base, "reporting_analyst").canonical
        );

        let backstory = AGENTS.replace("seasoned", "junior");
        let changed = run(&backstory, Some(TASKS)).0.unwrap();
        assert_ne!(agent(&changed, "researcher").canonical, *r);

        // Dropping the task flow changes the edges, and so the hash.
        let alone = run(AGENTS, None).0.unwrap();
        assert_ne!(agent(&alone, "researcher").canonical, *r);
    }
}
