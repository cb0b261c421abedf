//! The shape of one trace: which agent span each span belongs to, the handoffs between agents,
//! the attempts of a call, the agent path.
//!
//! Real instrumentations write a handoff in two shapes, and both are read:
//! - nested: the agent handed to is a span under the agent that handed off (a supervisor that
//!   calls its workers, OpenAI Agents' handoff spans, LangGraph subgraphs);
//! - sequential: agent spans side by side under one workflow (or root) span, in time order
//!   (a CrewAI crew, a LangGraph graph whose nodes are agents).
//!
//! A span's agent is its nearest ancestor agent span. A parent chain that loops or runs
//! deeper than [`MAX_DEPTH`] (hostile input) ends there.

use super::{Op, SpanRec, Trace};
use std::collections::HashMap;

/// How far up a parent chain is followed.
pub const MAX_DEPTH: usize = 256;

/// One trace, read for its structure. Indices are into `trace.spans`.
#[derive(Debug)]
pub struct Shape<'t> {
    pub trace: &'t Trace,
    /// For each span: its nearest ancestor agent span (not itself).
    pub owner: Vec<Option<usize>>,
    /// The agent spans, in start-time order.
    pub agents: Vec<usize>,
    /// Handoffs between agent spans (from, to), in the order they happened. Consecutive spans
    /// of the same agent are attempts, not handoffs.
    pub handoffs: Vec<(usize, usize)>,
    /// Runs of attempts of one call, each longer than one: the spans of one agent side by side
    /// whose earlier attempts failed, or tool spans that share a `gen_ai.tool.call.id` (or, with
    /// none, follow a failed call of the same tool under the same agent).
    pub attempts: Vec<Vec<usize>>,
    /// Spans whose parent is not in the trace.
    pub orphans: Vec<usize>,
    /// Spans on a loop of parents (a span its own parent, or its own ancestor), in order.
    pub loops: Vec<usize>,
    /// The agent names in the order they ran (the path TRACE012 compares).
    pub path: Vec<&'t str>,
    /// `agentlock.case`, when some span names the golden case the run was for.
    pub case: Option<&'t str>,
    /// `agentlock.lock.root`, when some span's resource names it, with that span.
    pub lock_root: Option<(&'t str, usize)>,
    /// The trace's wall time: from its first span's start to its last span's end, in ms.
    pub duration_ms: f64,
}

impl<'t> Shape<'t> {
    pub fn of(trace: &'t Trace) -> Shape<'t> {
        let spans = &trace.spans;
        let index: HashMap<u64, usize> = spans.iter().enumerate().map(|(i, s)| (s.id, i)).collect();
        let parent = |i: usize| {
            spans[i]
                .parent
                .and_then(|p| index.get(&p).copied())
                .filter(|&p| p != i)
        };
        let mut owner = vec![None; spans.len()];
        for (i, o) in owner.iter_mut().enumerate() {
            let mut at = parent(i);
            for _ in 0..MAX_DEPTH {
                match at {
                    Some(p) if spans[p].op == Op::Agent => {
                        *o = Some(p);
                        break;
                    }
                    Some(p) => at = parent(p),
                    None => break,
                }
            }
        }
        let orphans = (0..spans.len())
            .filter(|&i| spans[i].parent.is_some_and(|p| !index.contains_key(&p)))
            .collect();
        let loops = on_loops(spans.len(), |i| {
            spans[i].parent.and_then(|p| index.get(&p).copied())
        });
        let by_start =
            |v: &mut Vec<usize>| v.sort_by_key(|&i| (spans[i].start_ns, spans[i].end_ns, i));
        let mut agents: Vec<usize> = (0..spans.len())
            .filter(|&i| spans[i].op == Op::Agent)
            .collect();
        by_start(&mut agents);
        let name = |i: usize| spans[i].agent.as_deref();

        // Agent spans grouped by where they stand: under an agent (nested), or side by side
        // under one non-agent parent (sequential).
        let mut handoffs = Vec::new();
        let mut attempts = Vec::new();
        let mut groups: HashMap<(Option<usize>, Option<usize>), Vec<usize>> = HashMap::new();
        for &a in &agents {
            let key = match owner[a] {
                Some(o) => (Some(o), None),
                None => (None, parent(a)),
            };
            groups.entry(key).or_default().push(a);
        }
        let mut keys: Vec<_> = groups.keys().copied().collect();
        keys.sort_by_key(|k| groups[k].first().map(|&i| (spans[i].start_ns, i)));
        for key in keys {
            let group = &groups[&key];
            // Runs of one agent: attempts when the earlier ones failed.
            let mut run: Vec<usize> = Vec::new();
            let mut previous: Option<usize> = None;
            for &a in group {
                match run.last() {
                    Some(&last) if name(last) == name(a) && spans[last].error => run.push(a),
                    _ => {
                        if run.len() > 1 {
                            attempts.push(std::mem::take(&mut run));
                        }
                        run = vec![a];
                    }
                }
                match key {
                    // nested: each agent span under an agent is handed to by that agent
                    (Some(o), _) => {
                        if name(o) != name(a) {
                            handoffs.push((o, a));
                        }
                    }
                    // sequential: each hands to the next of another agent
                    (None, _) => {
                        if let Some(p) = previous
                            && name(p) != name(a)
                        {
                            handoffs.push((p, a));
                        }
                    }
                }
                previous = Some(a);
            }
            if run.len() > 1 {
                attempts.push(run);
            }
        }
        handoffs.sort_by_key(|&(_, to)| (spans[to].start_ns, to));

        // Tool attempts: one call id, or a failed call of the same tool followed by another.
        let mut tools: Vec<usize> = (0..spans.len())
            .filter(|&i| spans[i].op == Op::Tool)
            .collect();
        by_start(&mut tools);
        let mut by_call: HashMap<(Option<usize>, &str), Vec<usize>> = HashMap::new();
        let mut open: HashMap<(Option<usize>, &str), Vec<usize>> = HashMap::new();
        for &t in &tools {
            let s = &spans[t];
            match (&s.call_id, &s.tool) {
                (Some(id), _) => by_call.entry((owner[t], id)).or_default().push(t),
                (None, Some(tool)) => {
                    let run = open.entry((owner[t], tool)).or_default();
                    if run.last().is_some_and(|&l| !spans[l].error) {
                        if run.len() > 1 {
                            attempts.push(std::mem::take(run));
                        }
                        run.clear();
                    }
                    run.push(t);
                }
                (None, None) => {}
            }
        }
        let mut rest: Vec<Vec<usize>> = by_call
            .into_values()
            .chain(open.into_values())
            .filter(|r| r.len() > 1)
            .collect();
        rest.sort_by_key(|r| (spans[r[0]].start_ns, r[0]));
        attempts.extend(rest);

        let path = agents.iter().filter_map(|&a| name(a)).collect();
        let case = spans.iter().find_map(|s| s.case.as_deref());
        let lock_root = spans
            .iter()
            .enumerate()
            .find_map(|(i, s)| s.lock_root.as_deref().map(|r| (r, i)));
        let start = spans.iter().map(|s| s.start_ns).min().unwrap_or(0);
        let end = spans.iter().map(|s| s.end_ns).max().unwrap_or(0);
        Shape {
            trace,
            owner,
            agents,
            handoffs,
            attempts,
            orphans,
            loops,
            path,
            case,
            lock_root,
            duration_ms: end.saturating_sub(start) as f64 / 1e6,
        }
    }

    pub fn span(&self, i: usize) -> &'t SpanRec {
        &self.trace.spans[i]
    }

    /// The agent name of the agent span a span belongs to.
    pub fn owner_name(&self, i: usize) -> Option<&'t str> {
        self.owner[i].and_then(|o| self.trace.spans[o].agent.as_deref())
    }
}

/// The nodes on a cycle of `parent` (each node has at most one parent), in index order: each
/// node is visited once, so hostile input of any depth costs linear time.
fn on_loops(n: usize, parent: impl Fn(usize) -> Option<usize>) -> Vec<usize> {
    // 0: not seen; 1: on the path being walked; 2: done.
    let mut state = vec![0u8; n];
    let mut on = vec![false; n];
    let mut path = Vec::new();
    for start in 0..n {
        let mut at = Some(start);
        while let Some(i) = at {
            match state[i] {
                0 => {
                    state[i] = 1;
                    path.push(i);
                    at = parent(i);
                }
                1 => {
                    // Back on the path: from `i` on, it is a loop.
                    let from = path.iter().position(|&p| p == i).unwrap_or(path.len());
                    for &p in &path[from..] {
                        on[p] = true;
                    }
                    break;
                }
                _ => break,
            }
        }
        for p in path.drain(..) {
            state[p] = 2;
        }
    }
    (0..n).filter(|&i| on[i]).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::source::{FileId, Span};

    pub(crate) fn span(
        id: u64,
        parent: Option<u64>,
        op: Op,
        name: &str,
        start: u64,
        end: u64,
    ) -> SpanRec {
        SpanRec {
            trace: 1,
            id,
            parent,
            op,
            name: name.into(),
            agent: (op == Op::Agent).then(|| name.into()),
            tool: (op == Op::Tool).then(|| name.into()),
            server: None,
            request_model: None,
            response_model: None,
            provider: None,
            prompt: None,
            case: None,
            lock_root: None,
            call_id: None,
            requested: Vec::new(),
            start_ns: start * 1_000_000,
            end_ns: end * 1_000_000,
            error: false,
            input_tokens: None,
            output_tokens: None,
            cost_usd: None,
            at: Span::new(FileId(0), 0, 1),
        }
    }

    fn names<'a>(s: &Shape<'a>, pairs: &[(usize, usize)]) -> Vec<(&'a str, &'a str)> {
        pairs
            .iter()
            .map(|&(a, b)| {
                (
                    s.span(a).agent.as_deref().unwrap(),
                    s.span(b).agent.as_deref().unwrap(),
                )
            })
            .collect()
    }

    #[test]
    fn nested_handoffs_follow_the_parent() {
        let t = Trace {
            id: 1,
            spans: vec![
                span(3, Some(1), Op::Agent, "writer", 10, 20),
                span(4, Some(3), Op::Tool, "create_issue", 12, 13),
                span(5, Some(1), Op::Agent, "reviewer", 21, 30),
                span(1, None, Op::Agent, "router", 0, 40),
            ],
        };
        let s = Shape::of(&t);
        assert_eq!(
            names(&s, &s.handoffs),
            [("router", "writer"), ("router", "reviewer")]
        );
        assert_eq!(s.owner_name(1), Some("writer"));
        assert_eq!(s.path, ["router", "writer", "reviewer"]);
        assert!(s.orphans.is_empty());
        assert_eq!(s.duration_ms, 40.0);
    }

    #[test]
    fn sibling_agents_under_a_workflow_hand_off_in_time_order() {
        let t = Trace {
            id: 1,
            spans: vec![
                span(4, Some(1), Op::Agent, "reviewer", 21, 30),
                span(2, Some(1), Op::Agent, "router", 0, 5),
                span(3, Some(1), Op::Agent, "writer", 6, 20),
                span(5, Some(1), Op::Agent, "writer", 31, 40),
                span(1, None, Op::Workflow, "crew", 0, 41),
                span(9, Some(77), Op::Other, "lost", 1, 2),
            ],
        };
        let s = Shape::of(&t);
        assert_eq!(
            names(&s, &s.handoffs),
            [
                ("router", "writer"),
                ("writer", "reviewer"),
                ("reviewer", "writer")
            ]
        );
        assert_eq!(s.orphans, [5]);
    }

    #[test]
    fn failed_attempts_of_one_agent_or_call_are_attempts_not_handoffs() {
        let mut a = span(2, Some(1), Op::Agent, "writer", 0, 5);
        a.error = true;
        let mut t1 = span(10, Some(3), Op::Tool, "search", 6, 7);
        t1.error = true;
        let t2 = span(11, Some(3), Op::Tool, "search", 8, 9);
        let mut c1 = span(12, Some(3), Op::Tool, "fetch", 10, 11);
        c1.call_id = Some("c1".into());
        let mut c2 = span(13, Some(3), Op::Tool, "fetch", 12, 13);
        c2.call_id = Some("c1".into());
        let t = Trace {
            id: 1,
            spans: vec![
                span(1, None, Op::Workflow, "w", 0, 20),
                a,
                span(3, Some(1), Op::Agent, "writer", 6, 19),
                t1,
                t2,
                c1,
                c2,
            ],
        };
        let s = Shape::of(&t);
        assert!(s.handoffs.is_empty(), "{:?}", s.handoffs);
        assert_eq!(s.attempts, [vec![1, 2], vec![3, 4], vec![5, 6]]);
    }

    #[test]
    fn a_parent_loop_ends() {
        let t = Trace {
            id: 1,
            spans: vec![
                span(1, Some(2), Op::Other, "a", 0, 1),
                span(2, Some(1), Op::Other, "b", 0, 1),
                // Under the loop, not on it.
                span(3, Some(1), Op::Agent, "c", 0, 1),
                // Its own parent.
                span(4, Some(4), Op::Other, "d", 0, 1),
                span(5, None, Op::Other, "e", 0, 1),
            ],
        };
        let s = Shape::of(&t);
        assert_eq!(s.owner, [None; 5]);
        assert_eq!(s.loops, [0, 1, 3]);
    }

    #[test]
    fn a_loop_longer_than_the_depth_limit_is_found_whole() {
        // 5,000 spans (past MAX_DEPTH), each the parent of the next, the first under the last.
        let n = 5_000u64;
        let spans = (1..=n)
            .map(|i| {
                span(
                    i,
                    Some(if i == 1 { n } else { i - 1 }),
                    Op::Other,
                    "s",
                    0,
                    1,
                )
            })
            .collect();
        let t = Trace { id: 1, spans };
        let s = Shape::of(&t);
        assert_eq!(s.loops.len(), n as usize);
    }
}
