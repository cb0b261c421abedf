//! Runtime safeguards, rollout, telemetry and KPIs: `deploy.yaml`.
//!
//! The file is checked against its schema here (unknown keys, wrong types); the rules of the
//! runtime family read the tree through [`Deploy::get`].

use crate::load::read::Reader;
use crate::node::{Node, Value};
use crate::source::FileId;

#[derive(Clone, Debug)]
pub struct Deploy {
    pub file: FileId,
    pub root: Node,
    pub canonical: String,
}

impl Deploy {
    /// The node at a dotted path such as `runtime.kill_switch.flag`.
    pub fn get(&self, path: &str) -> Option<&Node> {
        path.split('.').try_fold(&self.root, |n, k| n.get(k))
    }
}

/// The shape of deploy.yaml: each key, and the shape below it.
enum Shape {
    Map(&'static [(&'static str, Shape)]),
    Duration,
    Number,
    Bool,
    Str,
    Date,
    /// A mapping of free-form names to this shape (KPIs).
    AnyKeys(&'static Shape),
}

const KPI: Shape = Shape::Map(&[
    ("baseline", Shape::Number),
    ("sla", Shape::Duration),
    ("max", Shape::Number),
    ("min", Shape::Number),
    ("min_mean", Shape::Number),
    ("min_critical", Shape::Number),
]);

/// An LLM trace store (Langfuse and the like): OBS002 wants one enabled.
const TRACE_STORE: Shape = Shape::Map(&[
    ("enabled", Shape::Bool),
    ("environment", Shape::Str),
    ("host", Shape::Str),
    ("project", Shape::Str),
]);

/// The trace stores deploy.yaml knows, under `telemetry`.
pub const TRACE_STORES: &[&str] = &["langfuse", "langsmith", "phoenix", "helicone", "braintrust"];

const SCHEMA: Shape = Shape::Map(&[
    (
        "runtime",
        Shape::Map(&[
            ("request_timeout", Shape::Duration),
            (
                "cost_ceiling_usd",
                Shape::Map(&[
                    ("per_day", Shape::Number),
                    ("per_hour", Shape::Number),
                    ("per_month", Shape::Number),
                ]),
            ),
            ("max_tokens_per_request", Shape::Number),
            (
                "kill_switch",
                Shape::Map(&[("flag", Shape::Str), ("tested_on", Shape::Date)]),
            ),
        ]),
    ),
    (
        "rollout",
        Shape::Map(&[
            ("strategy", Shape::Str),
            ("canary_percent", Shape::Number),
            (
                "auto_rollback",
                Shape::Map(&[
                    ("error_rate_above", Shape::Number),
                    ("score_drop_above", Shape::Number),
                    ("latency_p95_above", Shape::Duration),
                ]),
            ),
        ]),
    ),
    (
        "telemetry",
        Shape::Map(&[
            (
                "opentelemetry",
                Shape::Map(&[
                    ("enabled", Shape::Bool),
                    ("endpoint", Shape::Str),
                    ("service_name", Shape::Str),
                ]),
            ),
            ("langfuse", TRACE_STORE),
            ("langsmith", TRACE_STORE),
            ("phoenix", TRACE_STORE),
            ("helicone", TRACE_STORE),
            ("braintrust", TRACE_STORE),
        ]),
    ),
    ("kpis", Shape::AnyKeys(&KPI)),
]);

pub fn load(r: &mut Reader, root: &Node) -> Option<Deploy> {
    r.map(root, "deploy.yaml")?;
    check(r, root, &SCHEMA, "deploy.yaml");
    Some(Deploy {
        file: r.file,
        root: root.clone(),
        canonical: root.canonical_json(),
    })
}

fn check(r: &mut Reader, node: &Node, shape: &Shape, what: &str) {
    if matches!(node.value, Value::Null) {
        return;
    }
    match shape {
        Shape::Map(fields) => {
            if r.map(node, what).is_none() {
                return;
            }
            let names: Vec<&str> = fields.iter().map(|(k, _)| *k).collect();
            r.check_keys(node, &names, &format!("`{what}`"));
            for (key, value) in node.as_map().unwrap_or_default() {
                if let Some((_, sub)) = fields.iter().find(|(k, _)| *k == key.name) {
                    check(
                        r,
                        value,
                        sub,
                        &format!("{what}.{}", key.name).replace("deploy.yaml.", ""),
                    );
                }
            }
        }
        Shape::AnyKeys(sub) => {
            for (key, value) in r.map(node, what).unwrap_or_default() {
                check(r, value, sub, &format!("{what}.{}", key.name));
            }
        }
        Shape::Duration => {
            r.duration(node, what);
        }
        Shape::Number => {
            if !matches!(node.value, Value::Int(_) | Value::Float(_)) {
                r.problem(
                    node.span,
                    format!("{what} must be a number, found {}", node.kind()),
                    None,
                );
            }
        }
        Shape::Bool => {
            r.bool(node, what);
        }
        Shape::Str => {
            r.string(node, what);
        }
        Shape::Date => {
            let ok = node
                .scalar_text()
                .is_some_and(|t| crate::date::parse_date(&t).is_some());
            if !ok {
                r.problem(
                    node.span,
                    format!("{what} must be a date written YYYY-MM-DD"),
                    None,
                );
            }
        }
    }
}
