//! What the traces showed, per agent and per tool, accumulated trace by trace: spans, p50/p95
//! durations against the declared timeouts, error rates against `tool_failure_rate.max`, tokens
//! and cost; and the distinct agent paths of each golden case (TRACE012).

use super::shape::Shape;
use super::{Op, SpanRec};
use crate::load::model::Model;
use crate::source::Span;
use std::collections::BTreeMap;

/// How many distinct paths of one golden case are kept (the first is what the others are
/// compared with).
const MAX_PATHS: usize = 8;

/// The figures of one agent or tool.
#[derive(Clone, Debug, Default)]
pub struct Stats {
    pub spans: u64,
    pub errors: u64,
    /// Each span's own time, in ms.
    durations: Vec<f32>,
    pub input_tokens: u64,
    pub output_tokens: u64,
    pub cost_usd: f64,
    /// Whether the name is declared (an agent of agents.yaml, a tool of a manifest).
    pub declared: bool,
    /// The declared timeout, in ms.
    pub timeout_ms: Option<u64>,
}

impl Stats {
    fn add(&mut self, s: &SpanRec) {
        self.spans += 1;
        self.errors += u64::from(s.error);
        self.durations.push(s.duration_ms() as f32);
        self.input_tokens += s.input_tokens.unwrap_or(0);
        self.output_tokens += s.output_tokens.unwrap_or(0);
        self.cost_usd += s.cost_usd.unwrap_or(0.0);
    }

    /// The `q`th percentile of the durations (ms).
    pub fn percentile(&self, q: f64) -> Option<f64> {
        let v: Vec<f64> = self.durations.iter().map(|&d| f64::from(d)).collect();
        crate::evidence::stats::percentile(&v, q)
    }

    pub fn error_rate(&self) -> f64 {
        if self.spans == 0 {
            0.0
        } else {
            self.errors as f64 / self.spans as f64
        }
    }
}

/// One distinct agent path of a golden case.
#[derive(Clone, Debug)]
pub struct CasePath {
    pub path: Vec<String>,
    /// The first agent span of the first trace that took it.
    pub at: Span,
    pub traces: u64,
}

/// Everything the traces showed.
#[derive(Debug, Default)]
pub struct Summary {
    pub traces: u64,
    pub spans: u64,
    pub agent_spans: u64,
    /// Agent spans with no `gen_ai.agent.name`.
    pub unnamed_agents: u64,
    pub tool_spans: u64,
    pub chat_spans: u64,
    pub error_spans: u64,
    pub orphan_spans: u64,
    /// Agent spans that say their prompt (`agentlock.prompt`).
    pub prompt_tagged: u64,
    /// Traces whose spans name the release that produced them (`agentlock.lock.root`).
    pub with_release: u64,
    pub agents: BTreeMap<String, Stats>,
    /// By `server.tool` when the tool resolves, else by the name the span gives.
    pub tools: BTreeMap<String, Stats>,
    /// The models that answered, by id, with how many chat spans.
    pub models: BTreeMap<String, u64>,
    /// The release roots seen, with how many traces.
    pub roots: BTreeMap<String, u64>,
    /// Golden cases (`agentlock.case`) and the distinct paths their traces took.
    pub cases: BTreeMap<String, Vec<CasePath>>,
    /// Traces whose wall time is known, their durations (ms), for the request p95.
    durations: Vec<f32>,
}

impl Summary {
    /// Adds one trace.
    pub fn add(&mut self, model: &Model, shape: &Shape) {
        let t = shape.trace;
        self.traces += 1;
        self.spans += t.spans.len() as u64;
        self.orphan_spans += shape.orphans.len() as u64;
        self.durations.push(shape.duration_ms as f32);
        if let Some((root, _)) = shape.lock_root {
            self.with_release += 1;
            let root = if super::is_digest(root) {
                root
            } else {
                "(not a sha256 digest)"
            };
            *self.roots.entry(root.to_string()).or_default() += 1;
        }
        for s in &t.spans {
            self.error_spans += u64::from(s.error);
            match s.op {
                Op::Agent => {
                    self.agent_spans += 1;
                    self.prompt_tagged += u64::from(s.prompt.is_some());
                    match s.agent.as_deref() {
                        Some(name) => {
                            let st = self.agents.entry(name.to_string()).or_insert_with(|| {
                                let a = model.agent(name);
                                Stats {
                                    declared: a.is_some(),
                                    timeout_ms: a
                                        .and_then(|a| a.timeout.as_ref())
                                        .map(|t| t.value.millis()),
                                    ..Stats::default()
                                }
                            });
                            st.add(s);
                        }
                        None => self.unnamed_agents += 1,
                    }
                }
                Op::Tool => {
                    self.tool_spans += 1;
                    let key = match super::resolve_tool(model, s) {
                        Ok(k) => k,
                        Err(_) => s.tool.as_deref().unwrap_or("(unnamed)").to_string(),
                    };
                    let st = self.tools.entry(key.clone()).or_insert_with(|| {
                        let server = key.split_once('.').and_then(|(srv, tool)| {
                            model
                                .tool_server(srv)
                                .filter(|m| m.tools.iter().any(|d| d.name.value == tool))
                        });
                        Stats {
                            declared: server.is_some(),
                            timeout_ms: server
                                .and_then(|m| m.timeout.as_ref())
                                .map(|t| t.value.millis()),
                            ..Stats::default()
                        }
                    });
                    st.add(s);
                }
                Op::Chat => {
                    self.chat_spans += 1;

                    if let Some(m) = s.response_model.as_deref().or(s.request_model.as_deref()) {
                        *self.models.entry(m.to_string()).or_default() += 1;
                    }
                }
                Op::Workflow | Op::Other => {}
            }
        }
        // A model call's tokens and cost are its agent's (every agent of the trace is counted
        // by now, whatever order the spans came in).
        for (i, s) in t.spans.iter().enumerate().filter(|(_, s)| s.op == Op::Chat) {
            if let Some(st) = shape.owner_name(i).and_then(|n| self.agents.get_mut(n)) {
                st.input_tokens += s.input_tokens.unwrap_or(0);
                st.output_tokens += s.output_tokens.unwrap_or(0);
                st.cost_usd += s.cost_usd.unwrap_or(0.0);
            }
        }
        if let Some(case) = shape.case {
            let paths = self.cases.entry(case.to_string()).or_default();
            let path: Vec<String> = shape.path.iter().map(|p| p.to_string()).collect();
            let full = paths.len() >= MAX_PATHS;
            match paths.iter_mut().find(|p| p.path == path) {
                Some(p) => p.traces += 1,
                None if !full => {
                    let first = shape.agents.first().copied().unwrap_or(0);
                    if let Some(s) = t.spans.get(first) {
                        paths.push(CasePath {
                            path,
                            at: s.at,
                            traces: 1,
                        });
                    }
                }
                None => {}
            }
        }
    }

    /// The `q`th percentile of the traces' wall times (ms).
    pub fn trace_percentile(&self, q: f64) -> Option<f64> {
        let v: Vec<f64> = self.durations.iter().map(|&d| f64::from(d)).collect();
        crate::evidence::stats::percentile(&v, q)
    }
}
