//! The agent graph of a topology, and the one analysis of it every consumer shares: strongly
//! connected components (which loops have no bound), reachability from the entry agent, and
//! the component order worst-case paths are computed over. TOPO001, TOPO005, TOPO007 and
//! `agentlock graph` all read it, so the picture and the findings cannot disagree.

use crate::load::model::{Agent, Topology};
use std::collections::HashMap;

pub struct AgentGraph<'a> {
    pub agents: &'a [Agent],
    /// Agents by name; of a name defined twice, the first.
    pub index: HashMap<&'a str, usize>,
    /// `edges[i]`: (target, index of the handoff in `agents[i].handoffs`), for each handoff to
    /// a defined agent.
    pub edges: Vec<Vec<(usize, usize)>>,
    entry: Option<usize>,
}

impl<'a> AgentGraph<'a> {
    pub fn new(topology: &'a Topology) -> Self {
        let agents = topology.agents.as_slice();
        let mut index: HashMap<&str, usize> = HashMap::with_capacity(agents.len());
        for (i, a) in agents.iter().enumerate() {
            index.entry(a.name.value.as_str()).or_insert(i);
        }
        let edges = agents
            .iter()
            .map(|a| {
                a.handoffs
                    .iter()
                    .enumerate()
                    .filter_map(|(h, hand)| index.get(hand.to.value.as_str()).map(|&t| (t, h)))
                    .collect()
            })
            .collect();
        let entry = topology
            .entry
            .as_ref()
            .and_then(|e| index.get(e.value.as_str()).copied());
        AgentGraph {
            agents,
            index,
            edges,
            entry,
        }
    }

    /// The entry agent, when it is defined.
    pub fn entry(&self) -> Option<usize> {
        self.entry
    }

    /// Whether handoff `h` of agent `v` has no loop bound.
    pub fn unbounded(&self, v: usize, h: usize) -> bool {
        self.agents[v].handoffs[h].max_iterations.is_none()
    }

    /// The strongly connected components over the handoffs `keep` accepts: the component of
    /// each agent. Tarjan's order: an edge between two components always goes from a higher
    /// number to a lower one (sinks first).
    pub fn components(&self, keep: impl Fn(usize, usize) -> bool) -> Vec<usize> {
        scc(self.agents.len(), &self.edges, keep)
    }

    /// The components over the handoffs with no bound, and whether each agent is on a loop no
    /// handoff of which has a bound (a self loop included): what TOPO001 reports, and what the
    /// picture draws red.
    pub fn unbounded_loops(&self) -> (Vec<usize>, Vec<bool>) {
        let comp = self.components(|v, h| self.unbounded(v, h));
        let mut on = vec![false; self.agents.len()];
        for (v, targets) in self.edges.iter().enumerate() {
            for &(t, h) in targets {
                if self.unbounded(v, h) && comp[v] == comp[t] {
                    on[v] = true;
                    on[t] = true;
                }
            }
        }
        (comp, on)
    }

    /// Which agents a path of handoffs reaches from `start` (itself included).
    pub fn reached_from(&self, start: usize) -> Vec<bool> {
        let mut seen = vec![false; self.agents.len()];
        let mut stack = vec![start];
        seen[start] = true;
        while let Some(v) = stack.pop() {
            for &(t, _) in &self.edges[v] {
                if !seen[t] {
                    seen[t] = true;
                    stack.push(t);
                }
            }
        }
        seen
    }
}

/// Tarjan's strongly connected components, iteratively, over the edges `keep` accepts.
/// Returns the component id of each node.
fn scc(n: usize, edges: &[Vec<(usize, usize)>], keep: impl Fn(usize, usize) -> bool) -> Vec<usize> {
    const NONE: usize = usize::MAX;
    let mut index = vec![NONE; n];
    let mut low = vec![0; n];
    let mut on_stack = vec![false; n];
    let mut comp = vec![NONE; n];
    let mut stack = Vec::new();
    let mut next = 0;
    let mut ncomp = 0;
    for root in 0..n {
        if index[root] != NONE {
            continue;
        }
        let mut call: Vec<(usize, usize)> = vec![(root, 0)];
        index[root] = next;
        low[root] = next;
        next += 1;
        stack.push(root);
        on_stack[root] = true;
        while let Some(&mut (v, ref mut i)) = call.last_mut() {
            if let Some(&(w, h)) = edges[v].get(*i) {
                *i += 1;
                if !keep(v, h) {
                    continue;
                }
                if index[w] == NONE {
                    index[w] = next;
                    low[w] = next;
                    next += 1;
                    stack.push(w);
                    on_stack[w] = true;
                    call.push((w, 0));
                } else if on_stack[w] {
                    low[v] = low[v].min(index[w]);
                }
            } else {
                call.pop();
                if let Some(&(parent, _)) = call.last() {
                    low[parent] = low[parent].min(low[v]);
                }
                if low[v] == index[v] {
                    while let Some(w) = stack.pop() {
                        on_stack[w] = false;
                        comp[w] = ncomp;
                        if w == v {
                            break;
                        }
                    }
                    ncomp += 1;
                }
            }
        }
    }
    comp
}

#[cfg(test)]
mod tests {
    use super::scc;

    #[test]
    fn scc_finds_components() {
        // 0 → 1 → 2 → 0, 2 → 3, 3 → 3 (self loop), 4 alone
        let edges = vec![
            vec![(1, 0)],
            vec![(2, 0)],
            vec![(0, 0), (3, 1)],
            vec![(3, 0)],
            vec![],
        ];
        let c = scc(5, &edges, |_, _| true);
        assert_eq!(c[0], c[1]);
        assert_eq!(c[1], c[2]);
        assert_ne!(c[2], c[3]);
        assert_ne!(c[3], c[4]);
        // sinks first: an edge between components goes from a higher number to a lower one
        assert!(c[2] > c[3]);
        // dropping edge 2 → 0 breaks the cycle
        let c = scc(5, &edges, |v, h| !(v == 2 && h == 0));
        assert_ne!(c[0], c[1]);
    }

    #[test]
    fn scc_is_iterative_on_long_chains() {
        let n = 200_000;
        let edges: Vec<Vec<(usize, usize)>> = (0..n).map(|i| vec![((i + 1) % n, 0)]).collect();
        let c = scc(n, &edges, |_, _| true);
        assert!(c.iter().all(|&x| x == c[0]));
    }
}
