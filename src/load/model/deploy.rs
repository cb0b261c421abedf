//! Runtime safeguards, rollout, telemetry and KPIs: `deploy.yaml`.
//!
//! The file is checked against its schema here (unknown keys, wrong types); the rules of the
//! runtime family read the tree through [`Deploy::get`].

use crate::load::fields::{Table, Ty, f};
use crate::load::read::Reader;
use crate::node::Node;
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

const KPI: Table = Table::new(
    "kpi",
    "A KPI's baseline and thresholds.",
    &[
        f(
            "baseline",
            Ty::Number,
            "The value the last release measured.",
        ),
        f("sla", Ty::Duration, "The latency promised: `8s`."),
        f("max", Ty::Number, "The largest value allowed."),
        f("min", Ty::Number, "The smallest value allowed."),
        f(
            "min_mean",
            Ty::Number,
            "The smallest mean judge score allowed.",
        ),
        f(
            "min_critical",
            Ty::Number,
            "The smallest judge score a critical case may have.",
        ),
    ],
);

/// An LLM trace store (Langfuse and the like): OBS002 wants one enabled.
const TRACE_STORE: Table = Table::new(
    "trace_store",
    "An LLM trace store: one should be enabled.",
    &[
        f("enabled", Ty::Bool, "Whether traces are sent to it."),
        f(
            "environment",
            Ty::Str,
            "The environment the traces are filed under.",
        ),
        f("host", Ty::Str, "The store's URL."),
        f(
            "project",
            Ty::Str,
            "The project the traces are filed under.",
        ),
    ],
);

/// The trace stores deploy.yaml knows, under `telemetry`.
pub const TRACE_STORES: &[&str] = &["langfuse", "langsmith", "phoenix", "helicone", "braintrust"];

/// deploy.yaml: checked against this table here; the runtime rules read the tree.
pub const FILE: Table = Table::new(
    "deploy",
    "Runtime safeguards, rollout, telemetry and KPI baselines.",
    &[
        f("runtime", Ty::Object(&RUNTIME), "Runtime safeguards."),
        f(
            "rollout",
            Ty::Object(&ROLLOUT),
            "How a release is rolled out.",
        ),
        f(
            "telemetry",
            Ty::Object(&TELEMETRY),
            "Tracing and LLM observability.",
        ),
        f(
            "kpis",
            Ty::Map(&Ty::Object(&KPI)),
            "KPI baselines and thresholds, by name: task_success_rate, latency_p95, cost_per_request_usd, tool_failure_rate, quality_score, …",
        ),
    ],
);

const RUNTIME: Table = Table::new(
    "runtime",
    "Runtime safeguards.",
    &[
        f(
            "request_timeout",
            Ty::Duration,
            "The end-to-end deadline of one request.",
        ),
        f(
            "cost_ceiling_usd",
            Ty::Object(&COST),
            "Spending limits in US dollars.",
        ),
        f(
            "max_tokens_per_request",
            Ty::Number,
            "The most tokens one request may use.",
        ),
        f(
            "kill_switch",
            Ty::Object(&KILL_SWITCH),
            "The flag that turns the agents off, and when it was last tested.",
        ),
    ],
);

const COST: Table = Table::new(
    "cost_ceiling",
    "Spending limits in US dollars.",
    &[
        f("per_day", Ty::Number, "The most spent in a day."),
        f("per_hour", Ty::Number, "The most spent in an hour."),
        f("per_month", Ty::Number, "The most spent in a month."),
    ],
);

const KILL_SWITCH: Table = Table::new(
    "kill_switch",
    "The flag that turns the agents off.",
    &[
        f("flag", Ty::Str, "The feature flag or environment variable."),
        f(
            "tested_on",
            Ty::Date,
            "When it was last tested: YYYY-MM-DD.",
        ),
    ],
);

const ROLLOUT: Table = Table::new(
    "rollout",
    "How a release is rolled out.",
    &[
        f("strategy", Ty::Str, "canary or blue-green."),
        f(
            "canary_percent",
            Ty::Number,
            "The share of traffic the canary gets, in percent.",
        ),
        f(
            "auto_rollback",
            Ty::Object(&AUTO_ROLLBACK),
            "When the rollout is rolled back on its own.",
        ),
    ],
);

const AUTO_ROLLBACK: Table = Table::new(
    "auto_rollback",
    "When the rollout is rolled back on its own.",
    &[
        f(
            "error_rate_above",
            Ty::Number,
            "An error rate (0 to 1) above which it rolls back.",
        ),
        f(
            "score_drop_above",
            Ty::Number,
            "A drop of the quality score above which it rolls back.",
        ),
        f(
            "latency_p95_above",
            Ty::Duration,
            "A p95 latency above which it rolls back.",
        ),
    ],
);

const TELEMETRY: Table = Table::new(
    "telemetry",
    "Tracing and LLM observability.",
    &[
        f(
            "opentelemetry",
            Ty::Object(&OPENTELEMETRY),
            "OpenTelemetry tracing.",
        ),
        f("langfuse", Ty::Object(&TRACE_STORE), "Langfuse."),
        f("langsmith", Ty::Object(&TRACE_STORE), "LangSmith."),
        f("phoenix", Ty::Object(&TRACE_STORE), "Arize Phoenix."),
        f("helicone", Ty::Object(&TRACE_STORE), "Helicone."),
        f("braintrust", Ty::Object(&TRACE_STORE), "Braintrust."),
    ],
);

const OPENTELEMETRY: Table = Table::new(
    "opentelemetry",
    "OpenTelemetry tracing.",
    &[
        f("enabled", Ty::Bool, "Whether spans are exported."),
        f("endpoint", Ty::Str, "The OTLP endpoint."),
        f("service_name", Ty::Str, "The service name spans carry."),
    ],
);

pub fn load(r: &mut Reader, root: &Node) -> Option<Deploy> {
    r.map(root, "deploy.yaml")?;
    r.check_keys(root, &FILE, "`deploy.yaml`");
    for (key, value) in root.as_map().unwrap_or_default() {
        if let Some(field) = FILE.get(&key.name) {
            r.check_ty(value, &field.ty, &key.name);
        }
    }
    Some(Deploy {
        file: r.file,
        root: root.clone(),
        canonical: root.canonical_json(),
    })
}
