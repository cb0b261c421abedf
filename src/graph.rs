//! `agentlock graph`: the agent topology as a picture: its nodes and edges, which
//! `report::graph` draws in Mermaid or Graphviz DOT.
//!
//! Agents are nodes (name, role, model alias and its id, timeout); handoffs are edges, labelled
//! with their loop bound. The same analysis as TOPO001 and TOPO005 picks out what needs a look:
//! the edges of loops with no bound on any edge (and the agents on them), the agents the entry
//! cannot reach, and handoff targets that are not defined (TOPO004), drawn as dashed nodes.
//!
//! Everything here is a pure function of the [`Model`]; nodes and edges are sorted by name, so
//! the same repository always draws the same text.

use crate::agent_graph::AgentGraph;
use crate::load::model::{Agent, Model, Topology};
use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};

/// The picture's language (`agentlock graph --output`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Output {
    /// A Mermaid flowchart (renders in GitHub and GitLab Markdown)
    Mermaid,
    /// Graphviz DOT (`dot -Tsvg`)
    Dot,
}

/// One node of the picture: an agent, or a name a handoff (or the entry) uses that no agent has.
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct Node {
    /// An identifier safe in both languages (`agent_router`, `missing_planer`).
    pub(crate) id: String,
    /// The label's lines, unescaped (the first is the name).
    pub(crate) lines: Vec<String>,
    pub(crate) entry: bool,
    /// On a loop with no bound on any of its edges.
    pub(crate) cycle: bool,
    pub(crate) unreachable: bool,
    /// Not defined in agents.yaml.
    pub(crate) missing: bool,
}

#[derive(Debug, PartialEq, Eq)]
pub(crate) struct Edge {
    pub(crate) from: usize,
    pub(crate) to: usize,
    pub(crate) bound: Option<u64>,
    /// One of the edges of a loop with no bound on any edge.
    pub(crate) unbounded_cycle: bool,
}

#[derive(Debug, Default)]
pub(crate) struct View {
    /// The project's name, for the picture's title.
    pub(crate) title: String,
    pub(crate) nodes: Vec<Node>,
    pub(crate) edges: Vec<Edge>,
}

/// Builds the picture's nodes and edges, one topology after the other (a repository may hold
/// several crews; each node of one then names its file).
pub(crate) fn view(model: &Model) -> View {
    let mut ids = Ids::default();
    let mut all = View::default();
    let several = model.topologies.len() > 1;
    for topo in &model.topologies {
        let mut v = view_of(model, topo, &mut ids);
        if several {
            let file = &model.sources.get(topo.file).shown;
            for n in &mut v.nodes {
                n.lines.insert(1, format!("in {file}"));
            }
        }
        let offset = all.nodes.len();
        all.edges.extend(v.edges.into_iter().map(|e| Edge {
            from: e.from + offset,
            to: e.to + offset,
            ..e
        }));
        all.nodes.extend(v.nodes);
    }
    // Labels quote names and model ids: what a renderer gets has every credential redacted.
    all.title = model.scrub_text(&model.config.display_name());
    for node in &mut all.nodes {
        for line in &mut node.lines {
            *line = model.scrub_text(line);
        }
    }
    all
}

/// One topology's nodes and edges: agents sorted by name, then the undefined names sorted;
/// edges sorted by source, target and bound.
fn view_of(model: &Model, topo: &Topology, ids: &mut Ids) -> View {
    // Agents by name (the first of a duplicated name wins, as in the rules' lookups).
    let mut agents: Vec<&Agent> = Vec::new();
    let mut seen = HashSet::new();
    for a in &topo.agents {
        if seen.insert(a.name.value.as_str()) {
            agents.push(a);
        }
    }
    agents.sort_by(|a, b| a.name.value.cmp(&b.name.value));
    let index: HashMap<&str, usize> = agents
        .iter()
        .enumerate()
        .map(|(i, a)| (a.name.value.as_str(), i))
        .collect();
    let entry = topo.entry.as_ref().map(|e| e.value.as_str());
    // Names used but not defined.
    let missing: BTreeSet<&str> = agents
        .iter()
        .flat_map(|a| a.handoffs.iter().map(|h| h.to.value.as_str()))
        .chain(entry)
        .filter(|n| !index.contains_key(n))
        .collect();
    let missing_index: BTreeMap<&str, usize> = missing
        .iter()
        .enumerate()
        .map(|(i, &n)| (n, agents.len() + i))
        .collect();
    let node_of = |name: &str| index.get(name).or(missing_index.get(name)).copied();

    let mut edges: Vec<Edge> = agents
        .iter()
        .enumerate()
        .flat_map(|(from, a)| {
            a.handoffs.iter().filter_map(move |h| {
                Some(Edge {
                    from,
                    to: node_of(&h.to.value)?,
                    bound: h.max_iterations.as_ref().map(|m| m.value),
                    unbounded_cycle: false,
                })
            })
        })
        .collect();
    edges.sort_by_key(|e| (e.from, e.to, e.bound));

    // The one analysis of the graph (TOPO001's loops, TOPO005's reachability), read by agent
    // name: the view orders agents by name, the analysis keeps file order.
    let graph = AgentGraph::new(topo);
    let at = |i: usize| graph.index[agents[i].name.value.as_str()];
    let (comp, on_loop) = graph.unbounded_loops();
    for e in &mut edges {
        e.unbounded_cycle =
            e.bound.is_none() && e.to < agents.len() && comp[at(e.from)] == comp[at(e.to)];
    }
    let cycle: Vec<bool> = (0..agents.len()).map(|i| on_loop[at(i)]).collect();
    // Reachability from the entry agent: only when the entry is defined.
    let reached = graph.entry().map(|start| {
        let seen = graph.reached_from(start);
        (0..agents.len())
            .map(|i| seen[at(i)])
            .collect::<Vec<bool>>()
    });

    let mut nodes: Vec<Node> = agents
        .iter()
        .enumerate()
        .map(|(i, a)| Node {
            id: ids.make("agent_", &a.name.value),
            lines: agent_lines(model, topo, a, entry == Some(a.name.value.as_str())),
            entry: entry == Some(a.name.value.as_str()),
            cycle: cycle[i],
            unreachable: reached.as_ref().is_some_and(|r| !r[i]),
            missing: false,
        })
        .collect();
    for &name in &missing {
        let is_entry = entry == Some(name);
        nodes.push(Node {
            id: ids.make("missing_", name),
            lines: vec![
                if is_entry {
                    format!("{name} (entry)")
                } else {
                    name.to_string()
                },
                "not defined".to_string(),
            ],
            entry: is_entry,
            cycle: false,
            unreachable: false,
            missing: true,
        });
    }
    // The last lines of an unreachable agent say so, for a reader who does not see colours.
    for node in nodes.iter_mut().filter(|n| n.unreachable) {
        node.lines.push("unreachable from the entry".to_string());
    }
    View {
        title: String::new(),
        nodes,
        edges,
    }
}

fn agent_lines(model: &Model, topo: &Topology, a: &Agent, entry: bool) -> Vec<String> {
    // A value read from `defaults` sits between the start of that mapping and the next agent's
    // name after it (container spans are not reliable for their end).
    let inherited = |span: crate::source::Span| {
        topo.defaults.is_some_and(|d| {
            let end = topo
                .agents
                .iter()
                .map(|a| a.name.span.start)
                .filter(|&s| s > d.start)
                .min()
                .unwrap_or(u32::MAX);
            d.file == span.file && d.start <= span.start && span.start < end
        })
    };
    let name = if entry {
        format!("{} (entry)", a.name.value)
    } else {
        a.name.value.clone()
    };
    let role = match &a.role {
        Some(r) => format!("role: {}", r.value),
        None => "role: none".to_string(),
    };
    let model_line = match &a.model {
        None => "model: none".to_string(),
        Some(alias) => match model.model_alias(&alias.value) {
            Some(m) => match &m.id {
                Some(id) => format!("model: {} ({})", alias.value, id.value),
                None => format!("model: {}", alias.value),
            },
            None if model.models.is_some() => {
                format!("model: {} (not in models.yaml)", alias.value)
            }
            None => format!("model: {}", alias.value),
        },
    };
    let timeout = match &a.timeout {
        None => "timeout: none".to_string(),
        Some(t) if inherited(t.span) => format!("timeout: {} (defaults)", t.value),
        Some(t) => format!("timeout: {}", t.value),
    };
    vec![name, role, model_line, timeout]
}

/// Node identifiers: a prefix and the name with everything but ASCII letters, digits and `_`
/// replaced by `_`, made unique with a counter. Names are visited in sorted order, so the
/// identifiers are stable.
#[derive(Default)]
struct Ids(HashSet<String>);

/// A name as a node identifier writes it: everything but ASCII letters, digits and `_` as `_`.
/// The output's redaction knows this form of each credential ([`crate::output`]), so a
/// credential used as a name is redacted in its identifier as in its label.
pub fn id_form(name: &str) -> String {
    name.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '_' {
                c
            } else {
                '_'
            }
        })
        .collect()
}

impl Ids {
    fn make(&mut self, prefix: &str, name: &str) -> String {
        let base = format!("{prefix}{}", id_form(name));
        let mut id = base.clone();
        let mut n = 2;
        while self.0.contains(&id) {
            id = format!("{base}_{n}");
            n += 1;
        }
        self.0.insert(id.clone());
        id
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// Loads a model from files written into a temporary directory.
    pub(crate) fn model(agents: &str, models: Option<&str>) -> Model {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(
            dir.path().join("agentlock.toml"),
            "[project]\nname = \"t\"\n",
        )
        .unwrap();
        std::fs::write(dir.path().join("agents.yaml"), agents).unwrap();
        if let Some(m) = models {
            std::fs::write(dir.path().join("models.yaml"), m).unwrap();
        }
        crate::load::load_dir(dir.path()).unwrap()
    }

    #[test]
    fn ids_are_safe_and_unique() {
        let mut ids = Ids::default();
        assert_eq!(ids.make("agent_", "router"), "agent_router");
        assert_eq!(ids.make("agent_", "a-b"), "agent_a_b");
        assert_eq!(ids.make("agent_", "a b"), "agent_a_b_2");
        assert_eq!(ids.make("agent_", "a\"b"), "agent_a_b_3");
        assert_eq!(ids.make("agent_", "end"), "agent_end");
        assert_eq!(ids.make("missing_", "end"), "missing_end");
    }

    pub(crate) const LOOPS: &str = "entry: a
defaults: { timeout: 30s }
agents:
  a: { role: router, model: fast, timeout: 5s, handoffs: [b, ghost] }
  b: { role: executor, handoffs: [c] }
  c:
    role: critic
    handoffs:
      - b
      - to: a
        max_iterations: 2
  d: { handoffs: [d] }
";

    #[test]
    fn view_marks_loops_unreachable_and_missing() {
        let m = model(
            LOOPS,
            Some("models:\n  fast: { provider: openai, id: gpt-4o-mini-2024-07-18 }\n"),
        );
        let v = view(&m);
        let names: Vec<&str> = v.nodes.iter().map(|n| n.lines[0].as_str()).collect();
        assert_eq!(names, ["a (entry)", "b", "c", "d", "ghost"]);
        let flags: Vec<(bool, bool, bool, bool)> = v
            .nodes
            .iter()
            .map(|n| (n.entry, n.cycle, n.unreachable, n.missing))
            .collect();
        assert_eq!(
            flags,
            [
                (true, false, false, false), // a: the bounded loop c → a does not count
                (false, true, false, false), // b ⇄ c: unbounded
                (false, true, false, false),
                (false, true, true, false), // d → d: a self loop, and unreachable
                (false, false, false, true), // ghost: not defined
            ]
        );
        let edges: Vec<(usize, usize, Option<u64>, bool)> = v
            .edges
            .iter()
            .map(|e| (e.from, e.to, e.bound, e.unbounded_cycle))
            .collect();
        assert_eq!(
            edges,
            [
                (0, 1, None, false),
                (0, 4, None, false),
                (1, 2, None, true),
                (2, 0, Some(2), false),
                (2, 1, None, true),
                (3, 3, None, true),
            ]
        );
        assert_eq!(
            v.nodes[0].lines[1..],
            [
                "role: router",
                "model: fast (gpt-4o-mini-2024-07-18)",
                "timeout: 5s"
            ]
        );
        assert_eq!(
            v.nodes[3].lines[1..],
            [
                "role: none",
                "model: none",
                "timeout: 30s (defaults)",
                "unreachable from the entry"
            ]
        );
    }

    #[test]
    fn timeouts_say_when_they_come_from_defaults() {
        let agents = "  a: { timeout: 5s, handoffs: [b] }\n  b:\n    role: critic\n";
        let cases = [
            format!("entry: a\ndefaults: {{ timeout: 30s }}\nagents:\n{agents}"),
            format!("entry: a\ndefaults:\n  retries: 1\n  timeout: 30s\nagents:\n{agents}"),
            format!("entry: a\nagents:\n{agents}defaults:\n  timeout: 30s\n"),
            format!("agents:\n{agents}defaults: {{ timeout: 30s }}\nentry: a\n"),
        ];
        for text in &cases {
            let v = view(&model(text, None));
            assert_eq!(v.nodes[0].lines[3], "timeout: 5s", "{text}");
            assert_eq!(v.nodes[1].lines[3], "timeout: 30s (defaults)", "{text}");
        }
    }

    #[test]
    fn an_undefined_entry_is_drawn_and_nothing_is_unreachable() {
        let m = model(
            "entry: nobody\nagents:\n  a: { role: router, model: gone }\n",
            Some("models: {}\n"),
        );
        let v = view(&m);
        assert_eq!(v.nodes.len(), 2);
        assert!(!v.nodes[0].unreachable);
        assert_eq!(v.nodes[0].lines[2], "model: gone (not in models.yaml)");
        assert_eq!(v.nodes[1].lines, ["nobody (entry)", "not defined"]);
        assert!(v.nodes[1].entry && v.nodes[1].missing);
    }
}
