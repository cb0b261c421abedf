//! `agentlock checklist`: the deployment checklist (sections 1 to 10), filled in from what
//! `verify` found.
//!
//! Each item of the checklist is listed once in [`ITEMS`] with the rules that check it. An item
//! whose rules found nothing at warning or error severity is ticked; one they found something in
//! is crossed, with the findings as evidence; an item no rule can check stays open for a person.
//! Some items are partly automated (`person: true`): their rules can fail them, but passing
//! them leaves the item open, since the rest of it is a judgement a person makes.

use crate::evidence::figures::Figures;
use crate::finding::{Finding, Meta, Scope, Severity};
use crate::history::History;
use crate::load::model::Model;
use crate::rules::Rule;
use crate::rules::conf::{CONF001, CONF002};
use crate::rules::datasets::{DATA001, DATA002};
use crate::rules::evals::{EVAL001, EVAL002, EVAL003, EVAL004, EVAL005, EVAL006, EVAL007, EVAL008};
use crate::rules::models::{MODEL001, MODEL002, MODEL003};
use crate::rules::observability::{OBS001, OBS002, OBS003};
use crate::rules::policy::POL001;
use crate::rules::prompts::{PRM001, PRM002, PRM003, PRM004, PRM005, PRM006};
use crate::rules::rego::POL002;
use crate::rules::release::{REL001, REL002, REL003, REL004};
use crate::rules::runtime::{RUN001, RUN002, RUN003, RUN004};
use crate::rules::secrets::{SECRET001, SECRET002};
use crate::rules::tool_descriptions::TOOL008;
use crate::rules::tool_surface::TOOL006;
use crate::rules::tools::{TOOL001, TOOL002, TOOL003, TOOL004, TOOL005, TOOL007, TOOL009};
use crate::rules::topology::{TOPO001, TOPO002, TOPO003, TOPO004, TOPO005, TOPO006, TOPO007};
use crate::rules::traces::{
    TRACE001, TRACE002, TRACE003, TRACE004, TRACE005, TRACE006, TRACE007, TRACE008, TRACE009,
    TRACE010, TRACE011, TRACE012,
};
use crate::source::SourceMap;
use serde::Serialize;

pub const SCHEMA: &str = "agentlock.checklist/v1";

/// How many findings of one rule an item shows in Markdown (JSON lists all of them).
pub const MAX_LOCATIONS: usize = 5;

/// Which findings of a rule bear on an item.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Only {
    /// Every finding of the rule.
    All,
    /// The findings about one subject (a KPI, a kind of golden dataset).
    Subject(&'static str),
    /// The findings whose message mentions a word (REL004 reports the strategy, the canary
    /// percentage and the auto-rollback conditions separately).
    Mentions(&'static str),
}

/// One rule that checks an item, and which of its findings count.
#[derive(Clone, Copy, Debug)]
pub struct Check {
    pub rule: &'static Meta,
    pub only: Only,
}

impl Check {
    pub fn matches(&self, f: &Finding) -> bool {
        f.code() == self.rule.code
            && match self.only {
                Only::All => true,
                Only::Subject(s) => f.subject == s,
                Only::Mentions(w) => f.message.contains(w),
            }
    }
}

const fn all(rule: &'static Rule) -> Check {
    Check {
        rule: &rule.meta,
        only: Only::All,
    }
}

const fn about(rule: &'static Rule, subject: &'static str) -> Check {
    Check {
        rule: &rule.meta,
        only: Only::Subject(subject),
    }
}

const fn mentioning(rule: &'static Rule, word: &'static str) -> Check {
    Check {
        rule: &rule.meta,
        only: Only::Mentions(word),
    }
}

/// One line of the checklist.
#[derive(Debug)]
pub struct Item {
    /// The section it is listed in: `1.1`, or `7` for a section without subsections.
    pub section: &'static str,
    /// The item's text, as the checklist words it.
    pub text: &'static str,
    /// The rules that check it; empty when only a person can.
    pub checks: &'static [Check],
    /// Whether a person must still check it when its rules pass: the rules check a part.
    pub person: bool,
    /// What helps the person, if agentlock has something (a command).
    pub hint: Option<&'static str>,
}

const fn item(section: &'static str, text: &'static str, checks: &'static [Check]) -> Item {
    Item {
        section,
        text,
        checks,
        person: false,
        hint: None,
    }
}

/// An item only a person can check.
const fn person(section: &'static str, text: &'static str) -> Item {
    Item {
        section,
        text,
        checks: &[],
        person: true,
        hint: None,
    }
}

/// An item that rules check in part: they can fail it, a person ticks it.
const fn partly(section: &'static str, text: &'static str, checks: &'static [Check]) -> Item {
    Item {
        section,
        text,
        checks,
        person: true,
        hint: None,
    }
}

impl Item {
    const fn hint(self, hint: &'static str) -> Item {
        Item {
            hint: Some(hint),
            ..self
        }
    }
}

/// The headings of sections 1 to 10, in order.
pub static SECTIONS: &[(&str, &str)] = &[
    ("1", "Pre-Deployment Readiness (MANDATORY)"),
    ("1.1", "Agent Configuration"),
    ("1.2", "Prompt & Agent Versioning"),
    ("1.3", "MCP Tooling"),
    ("2", "Testing & Quality Gates"),
    ("2.1", "Golden Dataset Validation"),
    ("2.2", "Automated Testing"),
    ("2.3", "QA / Staging Validation"),
    ("3", "Observability & Monitoring"),
    ("3.1", "KPIs Defined"),
    ("3.2", "Telemetry"),
    ("3.3", "LLM Observability"),
    ("4", "CI/CD Readiness"),
    ("4.1", "CI Pipeline"),
    ("4.2", "CD Pipeline"),
    ("5", "Production Safeguards"),
    ("5.1", "Runtime Controls"),
    ("5.2", "Security & Compliance"),
    ("6", "Rollback Preparedness (CRITICAL)"),
    ("6.1", "Rollback Targets Identified"),
    ("6.2", "Rollback Execution"),
    ("7", "Go-Live Checklist"),
    ("8", "Post-Deployment Validation (First 24–72 Hours)"),
    ("9", "Incident Response (If KPIs Degrade)"),
    ("10", "Deployment Sign-Off"),
];

/// Every item of sections 1 to 9, in checklist order, with the rules that check it. Section 10
/// is the sign-off block.
pub static ITEMS: &[Item] = &[
    // 1.1 Agent Configuration
    item(
        "1.1",
        "Agent roles clearly defined (planner, executor, critic, router, etc.)",
        &[all(&TOPO006)],
    ),
    partly(
        "1.1",
        "Agent graph/topology reviewed and documented",
        &[all(&TOPO004), all(&TOPO005)],
    )
    .hint("`agentlock graph` draws the topology"),
    item(
        "1.1",
        "No circular or unbounded agent loops",
        &[all(&TOPO001)],
    ),
    item("1.1", "Agent timeouts configured", &[all(&TOPO002)]),
    item("1.1", "Retry limits configured per agent", &[all(&TOPO003)]),
    // 1.2 Prompt & Agent Versioning
    item(
        "1.2",
        "Prompt versions are immutable and tagged",
        &[all(&PRM001), all(&PRM002), all(&REL001), all(&REL002)],
    ),
    partly(
        "1.2",
        "Prompt changes reviewed and approved",
        &[all(&PRM006)],
    ),
    item(
        "1.2",
        "Prompt version mapped to agent name",
        &[all(&PRM003), all(&PRM004)],
    ),
    item(
        "1.2",
        "Previous stable prompt version recorded (rollback target)",
        &[all(&REL003)],
    ),
    // 1.3 MCP Tooling
    item(
        "1.3",
        "Tool versions pinned (no floating latest)",
        &[all(&TOOL001), all(&TOOL007)],
    ),
    item(
        "1.3",
        "Tool permissions reviewed (principle of least privilege)",
        &[all(&TOOL002)],
    ),
    item(
        "1.3",
        "Tool timeouts and rate limits configured",
        &[all(&TOOL003), all(&TOOL004)],
    ),
    item(
        "1.3",
        "Tool failure modes defined (retry / fallback / abort)",
        &[all(&TOOL005)],
    ),
    item(
        "1.3",
        "Tool contracts validated (input/output schema)",
        &[all(&TOOL006), all(&TOOL009)],
    ),
    // 2.1 Golden Dataset Validation
    item(
        "2.1",
        "Golden dataset updated and frozen",
        &[about(&DATA001, "happy_path"), all(&DATA002)],
    ),
    person("2.1", "Dataset represents real production traffic"),
    item(
        "2.1",
        "Edge cases and failure scenarios included",
        &[about(&DATA001, "edge_cases"), about(&DATA001, "failures")],
    ),
    item(
        "2.1",
        "All golden tests pass successfully",
        &[all(&EVAL001), all(&EVAL005), all(&EVAL006)],
    )
    .hint("agentlock gate"),
    item(
        "2.1",
        "Results compared against last production baseline",
        &[all(&EVAL002)],
    )
    .hint("agentlock gate"),
    // 2.2 Automated Testing
    partly("2.2", "Unit tests for MCP tools pass", &[all(&EVAL007)]),
    partly("2.2", "Agent-level tests pass", &[all(&EVAL007)]),
    partly(
        "2.2",
        "Deterministic runs verified (where applicable)",
        &[all(&TRACE012)],
    ),
    item(
        "2.2",
        "LLM-as-judge evaluation scores within acceptable range",
        &[all(&EVAL003)],
    ),
    // 2.3 QA / Staging Validation
    person("2.3", "Deployment tested in staging environment"),
    person("2.3", "Shadow traffic validated (if enabled)"),
    person("2.3", "Canary agent tested successfully"),
    partly(
        "2.3",
        "Human QA review completed (sampled outputs)",
        &[all(&EVAL008)],
    ),
    // 3.1 KPIs Defined
    item(
        "3.1",
        "Task success rate baseline recorded",
        &[about(&OBS003, "task_success_rate")],
    ),
    item(
        "3.1",
        "Latency SLAs defined",
        &[about(&OBS003, "latency_p95"), all(&TOPO007)],
    ),
    item(
        "3.1",
        "Cost per request baseline recorded",
        &[about(&OBS003, "cost_per_request_usd")],
    ),
    item(
        "3.1",
        "Tool failure rate thresholds defined",
        &[about(&OBS003, "tool_failure_rate")],
    ),
    item(
        "3.1",
        "Quality score baseline defined",
        &[about(&OBS003, "quality_score")],
    ),
    // 3.2 Telemetry
    item("3.2", "OpenTelemetry tracing enabled", &[all(&OBS001)]),
    partly(
        "3.2",
        "Agent-level spans verified",
        &[all(&TRACE001), all(&TRACE002), all(&TRACE003)],
    ),
    partly("3.2", "Tool call spans verified", &[all(&TRACE004)]),
    partly(
        "3.2",
        "Error and timeout traces visible end-to-end",
        &[
            all(&TRACE006),
            all(&TRACE007),
            all(&TRACE010),
            all(&TRACE011),
        ],
    ),
    // 3.3 LLM Observability
    item("3.3", "Langfuse traces enabled", &[all(&OBS002)]),
    partly("3.3", "Prompt version tracking verified", &[all(&TRACE008)]),
    person("3.3", "Token and cost tracking enabled"),
    person("3.3", "Evaluation hooks configured"),
    // 4.1 CI Pipeline
    item(
        "4.1",
        "Prompt linting checks pass",
        &[all(&PRM002), all(&PRM003), all(&PRM004), all(&PRM005)],
    ),
    item(
        "4.1",
        "Golden dataset regression checks pass",
        &[all(&EVAL001), all(&EVAL002)],
    ),
    item("4.1", "KPI regression checks pass", &[all(&EVAL004)]),
    item(
        "4.1",
        "Security scans completed",
        &[all(&SECRET001), all(&SECRET002), all(&TOOL008)],
    ),
    item(
        "4.1",
        "Build artifacts versioned and stored",
        &[all(&REL001), all(&REL002)],
    ),
    // 4.2 CD Pipeline
    item(
        "4.2",
        "Deployment strategy selected (canary / blue-green)",
        &[mentioning(&REL004, "strategy")],
    ),
    // No canary percentage can be right without a canary strategy.
    item(
        "4.2",
        "Canary percentage defined",
        &[
            mentioning(&REL004, "strategy"),
            mentioning(&REL004, "canary_percent"),
        ],
    ),
    item(
        "4.2",
        "Auto-rollback conditions configured",
        &[mentioning(&REL004, "auto-rollback")],
    ),
    person("4.2", "Deployment approvals completed"),
    // 5.1 Runtime Controls
    item("5.1", "Rate limits enforced per agent", &[all(&RUN004)]),
    item("5.1", "Global cost ceiling configured", &[all(&RUN001)]),
    item("5.1", "Per-request token limits enforced", &[all(&RUN002)]),
    item("5.1", "Emergency kill switch tested", &[all(&RUN003)]),
    // 5.2 Security & Compliance
    partly(
        "5.2",
        "Secrets stored securely (vault / KMS)",
        &[all(&SECRET002)],
    ),
    partly("5.2", "No secrets in prompts or logs", &[all(&SECRET001)]),
    partly("5.2", "Tool access audited", &[all(&TOOL002)]),
    person("5.2", "Data retention policy enforced"),
    // 6.1 Rollback Targets Identified
    item("6.1", "Prompt version rollback available", &[all(&REL003)])
        .hint("`agentlock rollback` names the target"),
    item("6.1", "Tool version rollback available", &[all(&REL003)]),
    item(
        "6.1",
        "Model version rollback available",
        &[all(&REL003), all(&MODEL001), all(&MODEL002), all(&MODEL003)],
    ),
    item("6.1", "Agent topology rollback available", &[all(&REL003)]),
    // 6.2 Rollback Execution
    person("6.2", "Rollback tested in staging")
        .hint("`agentlock rollback --apply` restores the target's files"),
    person("6.2", "Rollback does not require redeploying infra"),
    person("6.2", "Rollback time < defined SLA"),
    person("6.2", "Ownership assigned for rollback decision"),
    // 7 Go-Live Checklist
    person("7", "Deployment window approved"),
    person("7", "On-call owner assigned"),
    person("7", "Alerts enabled and tested"),
    person("7", "Dashboards open and monitored"),
    person("7", "Canary metrics stable for defined duration"),
    person("7", "Full traffic enabled"),
    // 8 Post-Deployment Validation
    person("8", "KPI comparison vs baseline"),
    person("8", "Cost anomaly check"),
    person("8", "Error and timeout review"),
    person("8", "Human review sample completed"),
    person("8", "No sustained KPI degradation observed"),
    // 9 Incident Response
    person("9", "Identify affected agent(s)"),
    partly(
        "9",
        "Identify prompt/tool/model version change",
        &[all(&TRACE005), all(&TRACE009)],
    )
    .hint("`agentlock diff` lists every change since the last release"),
    person("9", "Compare against historical traces")
        .hint("`agentlock traces FILE…` checks exported traces and counts them per release (`agentlock.lock.root`)"),
    person("9", "Decide: rollback vs hotfix")
        .hint("`agentlock rollback` shows what a rollback restores"),
    person("9", "Document incident and resolution"),
];

/// Rules that check no checklist item, and why; their findings are listed apart.
pub static NOT_MAPPED: &[(&Rule, &str)] = &[
    (
        &CONF001,
        "a file agentlock cannot read: the items over that file cannot be trusted, so the summary warns",
    ),
    (
        &CONF002,
        "the configuration itself (a glob that finds nothing): the rules over what it was meant to find say what is missing",
    ),
    (
        &POL001,
        "the policy's own hygiene (stale exceptions and suppressions), not a deployment item",
    ),
    (
        &POL002,
        "the organisation's Rego policies themselves: their rules are listed as organisation rules",
    ),
];

/// Where an item stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    /// Its rules ran and found nothing at warning or error severity.
    Ticked,
    /// A rule found something at warning or error severity.
    Failing,
    /// A rule did not run (turned off, or it needs the git history): nothing is claimed.
    NotChecked,
    /// Only a person can tick it (its rules, if any, passed).
    Person,
}

/// Where one rule of an item stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum RuleStatus {
    Passed,
    Failing,
    /// The policy turned it off.
    Off,
    /// It did not run here (the history rules outside git).
    NotRun,
}

/// One organisation rule and what it found: it passes with no finding at warning or above.
#[derive(Clone, Debug, Serialize)]
pub struct OrgRuleResult {
    pub code: &'static str,
    pub name: &'static str,
    pub summary: &'static str,
    pub passed: bool,
    pub findings: Vec<Evidence>,
}

/// One finding as evidence: where, what, how bad. Texts are as `verify` reports them
/// (credentials already scrubbed).
#[derive(Clone, Debug, Serialize)]
pub struct Evidence {
    pub code: &'static str,
    pub severity: &'static str,
    pub path: String,
    pub line: usize,
    pub column: usize,
    pub subject: String,
    pub message: String,
}

#[derive(Clone, Debug, Serialize)]
pub struct RuleResult {
    pub code: &'static str,
    pub name: &'static str,
    pub status: RuleStatus,
    /// Why it did not run, when it did not.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// The subject (KPI, dataset kind) or word its findings are restricted to for this item.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub only: Option<&'static str>,
    /// What it looked at: `7 agents`, `deploy.yaml`.
    pub scope: String,
    /// Findings at warning or error severity.
    pub failures: usize,
    pub findings: Vec<Evidence>,
    /// The figures it decided on (the gate's pass rates, p-values, KPIs), a line each.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub figures: Vec<String>,
}

#[derive(Clone, Debug, Serialize)]
pub struct ItemResult {
    /// `1.1.3`: the section and the item's place in it.
    pub id: String,
    pub text: &'static str,
    pub status: Status,
    /// The worst severity among its findings.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub severity: Option<&'static str>,
    /// A person must check it (in whole, or beyond what its rules check).
    pub needs_person: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub hint: Option<&'static str>,
    pub rules: Vec<RuleResult>,
}

#[derive(Clone, Debug, Serialize)]
pub struct SectionResult {
    pub id: &'static str,
    pub title: &'static str,
    pub items: Vec<ItemResult>,
}

#[derive(Clone, Copy, Debug, Default, Serialize)]
pub struct Summary {
    pub items: usize,
    pub ticked: usize,
    pub failing: usize,
    pub not_checked: usize,
    pub person: usize,
    /// Every finding of `verify`, on the checklist or not.
    pub error: usize,
    pub warning: usize,
    pub info: usize,
    pub suppressed: usize,
    /// Files that could not be read (CONF001): items over them may be ticked wrongly.
    pub unreadable: usize,
}

/// The version deployed, for the sign-off block.
#[derive(Clone, Debug, Serialize)]
pub struct SignOff {
    /// The lock root digest of the working tree (`Lock::from_model(..).root()`).
    pub lock_root: String,
    /// Whether every file of the model was read (otherwise the digest covers part of it).
    pub lock_complete: bool,
    /// The newest release tag HEAD reaches; `None` when there is none (or no git).
    pub last_release: Option<String>,
    /// Why there is no release tag: `none`, `not a git repository`, …
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_release_note: Option<String>,
    /// The HEAD commit; `None` outside git or before the first commit.
    pub head: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub head_note: Option<String>,
    /// The day the checklist was made, `YYYY-MM-DD`.
    pub date: String,
}

/// The git side of a checklist.
pub enum GitState<'a> {
    /// Not in a git repository.
    None,
    /// In git: HEAD (none before the first commit), and the release history unless it could
    /// not be read.
    Repo {
        head: Option<crate::git::Commit>,
        history: Option<&'a History>,
    },
}

/// The filled-in checklist.
#[derive(Clone, Debug, Serialize)]
pub struct Checklist {
    pub schema: &'static str,
    pub project: String,
    pub summary: Summary,
    pub sections: Vec<SectionResult>,
    /// The organisation's own rules (`[policy] rego`), each with what it found.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub organisation_rules: Vec<OrgRuleResult>,
    /// Findings of rules no item lists (and any a filter let through): they still count.
    pub other_findings: Vec<Evidence>,
    pub sign_off: SignOff,
}

fn evidence(f: &Finding, sources: &SourceMap) -> Evidence {
    let (path, line, column) = sources.locate(f.span);
    Evidence {
        code: f.code(),
        severity: f.severity.as_str(),
        path: path.to_string(),
        line,
        column,
        subject: f.subject.clone(),
        message: f.message.clone(),
    }
}

pub(crate) fn plural(n: usize, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

/// Why a rule that passed still leaves its item open: servers started from MCP client configs
/// or a registry server.json cannot declare the settings the rules over declared servers check.
fn undeclared(rule: &Meta, model: &Model) -> Option<String> {
    if rule.scope != Scope::DeclaredToolServers {
        return None;
    }
    let launched = model.tools.iter().filter(|s| s.launch_only).count();
    (launched > 0).then(|| {
        format!(
            "{}: {} from MCP client configs or server.json, which cannot declare it",
            rule.code,
            plural(launched, "server comes", "servers come")
        )
    })
}

/// Why a TRACE rule that passed proves nothing yet: the traces read did not show what it
/// checks (no trace at all, no tool span, no golden case run twice).
fn unseen(rule: &Meta, seen: Option<Seen<'_>>) -> Option<String> {
    let s = seen?.0;
    let code = rule.code;
    let missing = if s.traces == 0 {
        "the trace files held no trace"
    } else if [TRACE001.code, TRACE002.code, TRACE003.code].contains(&code) && s.agent_spans == 0 {
        "no agent span (`gen_ai.operation.name` = `invoke_agent`) was seen"
    } else if code == TRACE004.code && s.tool_spans == 0 {
        "no tool span (`execute_tool`, MCP `tools/call`) was seen"
    } else if code == TRACE005.code && s.models.is_empty() {
        "no span said which model answered (`gen_ai.response.model`)"
    } else if code == TRACE008.code && s.prompt_tagged == 0 {
        "no agent span says its prompt (`agentlock.prompt`)"
    } else if code == TRACE009.code && s.with_release == 0 {
        "no trace names its release (`agentlock.lock.root`)"
    } else if code == TRACE012.code && !s.cases.values().any(|paths| runs(paths) > 1) {
        "no golden case (`agentlock.case`) was seen in two traces"
    } else {
        return None;
    };
    Some(missing.to_string())
}

/// How many traces ran a golden case, over all the paths they took.
fn runs(paths: &[crate::traces::summary::CasePath]) -> u64 {
    paths.iter().map(|p| p.traces).sum()
}

/// What the traces read showed, counted for the rule: the note on a ticked item.
fn traces_scope(rule: &Meta, (s, files): Seen<'_>) -> String {
    let code = rule.code;
    let what = if code == TRACE004.code {
        plural(s.tool_spans as usize, "tool span", "tool spans")
    } else if code == TRACE005.code {
        plural(s.chat_spans as usize, "model call", "model calls")
    } else if code == TRACE008.code {
        plural(
            s.prompt_tagged as usize,
            "agent span with its prompt",
            "agent spans with their prompt",
        )
    } else if code == TRACE009.code {
        return format!(
            "{} of {} name their release, from {}",
            s.with_release,
            plural(s.traces as usize, "trace", "traces"),
            plural(files, "file", "files")
        );
    } else if code == TRACE012.code {
        let repeated: Vec<_> = s.cases.values().filter(|p| runs(p) > 1).collect();
        let traces: u64 = repeated.iter().map(|p| runs(p)).sum();
        return format!(
            "{} run in {}, of {} from {}",
            plural(repeated.len(), "golden case", "golden cases"),
            traces,
            plural(s.traces as usize, "trace", "traces"),
            plural(files, "file", "files")
        );
    } else if [TRACE001.code, TRACE002.code, TRACE003.code].contains(&code) {
        plural(s.agent_spans as usize, "agent span", "agent spans")
    } else {
        plural(s.spans as usize, "span", "spans")
    };
    format!(
        "{what} in {} from {}",
        plural(s.traces as usize, "trace", "traces"),
        plural(files, "file", "files")
    )
}

/// What traces showed, and from how many files.
type Seen<'a> = (&'a crate::traces::summary::Summary, usize);

fn seen(v: &crate::pipeline::Verified) -> Option<Seen<'_>> {
    v.traces.as_ref().map(|t| (&t.summary, t.files))
}

/// The checklist items the TRACE rules check, as `agentlock traces` shows them under its
/// summary: section, text, whether the traces read tick it, and what was seen (or why not).
/// The same items, rules and notes as the full checklist's.
pub fn trace_items(
    t: &crate::pipeline::TracesChecked,
) -> Vec<(&'static str, &'static str, bool, String)> {
    let seen = (&t.summary, t.files.len());
    ITEMS
        .iter()
        .filter(|it| it.checks.iter().any(|c| c.rule.scope == Scope::Traces))
        .map(|it| {
            let mut ticked = true;
            // rules with the same note share it: `TRACE001, TRACE002: 8 agent spans …`
            let mut notes: Vec<(Vec<&str>, String)> = Vec::new();
            let mut note_on =
                |code: &'static str, note: String| match notes.iter_mut().find(|(_, n)| *n == note)
                {
                    Some((codes, _)) => codes.push(code),
                    None => notes.push((vec![code], note)),
                };
            for c in it.checks.iter().filter(|c| c.rule.scope == Scope::Traces) {
                let rule = c.rule;
                let failures = t
                    .findings
                    .iter()
                    .filter(|f| c.matches(f) && f.severity >= Severity::Warning)
                    .count();
                let off = t
                    .rules
                    .iter()
                    .any(|(r, n)| r.code == rule.code && n.is_some());
                let note = if failures > 0 {
                    plural(failures, "finding", "findings")
                } else if off {
                    "off".to_string()
                } else if let Some(why) = unseen(rule, Some(seen)) {
                    why
                } else {
                    note_on(rule.code, traces_scope(rule, seen));
                    continue;
                };
                ticked = false;
                note_on(rule.code, note);
            }
            let notes: Vec<String> = notes
                .into_iter()
                .map(|(codes, note)| format!("{}: {note}", codes.join(", ")))
                .collect();
            (it.section, it.text, ticked, notes.join("; "))
        })
        .collect()
}

/// The gate's figures an EVAL rule decides on, shown under the items it checks.
fn figures_of(rule: &Meta) -> Option<Figures> {
    let of = [
        (&EVAL001, Figures::PassRates),
        (&EVAL002, Figures::Comparisons),
        (&EVAL003, Figures::JudgeScores),
        (&EVAL004, Figures::Kpis),
        (&EVAL005, Figures::Freshness),
        (&EVAL006, Figures::Coverage),
        (&EVAL007, Figures::Tests),
        (&EVAL008, Figures::Reviews),
    ];
    of.iter()
        .find(|(r, _)| r.code == rule.code)
        .map(|(_, f)| *f)
}

/// What a rule looks at, counted: the note on a ticked item.
fn scope(
    rule: &Meta,
    model: &Model,
    history: Option<&History>,
    traces: Option<Seen<'_>>,
) -> String {
    match rule.scope {
        Scope::Agents => plural(model.agents().count(), "agent", "agents"),
        Scope::Prompts => plural(model.prompts.len(), "prompt", "prompts"),
        Scope::ToolServers => plural(model.tools.len(), "tool server", "tool servers"),
        Scope::DeclaredToolServers => {
            let governed = model.tools.iter().filter(|s| !s.launch_only).count();
            plural(governed, "tool server", "tool servers")
        }
        Scope::Tools => {
            let n = model.tools.iter().map(|s| s.tools.len()).sum();
            plural(n, "tool", "tools")
        }
        Scope::ModelAliases => plural(
            model.models.as_ref().map_or(0, |m| m.aliases.len()),
            "model alias",
            "model aliases",
        ),
        Scope::Datasets => plural(model.datasets.len(), "dataset", "datasets"),
        Scope::Files => plural(model.sources.iter().count(), "file", "files"),
        Scope::Lockfile => crate::lock::LOCKFILE.to_string(),
        Scope::ReleaseTags => plural(
            history.map_or(0, |h| h.releases.all.len()),
            "release tag",
            "release tags",
        ),
        Scope::Deploy | Scope::Policy => model.config.paths.deploy.clone(),
        Scope::Traces => match traces {
            Some(seen) => traces_scope(rule, seen),
            None => "the traces `agentlock traces` reads".to_string(),
        },
    }
}

impl Checklist {
    /// Fills in the checklist from what `verify` found. `today` is the day `verify` ran with.
    pub fn build(v: &crate::pipeline::Verified, git: &GitState, today: i64) -> Checklist {
        let model = &v.model;
        let history = match git {
            GitState::Repo { history, .. } => *history,
            GitState::None => None,
        };
        // Why a rule did not run, as `verify` decided it.
        let not_run = |rule: &Meta| -> Option<(RuleStatus, String)> {
            let code = rule.code;
            let why = v.rules.iter().find(|(r, _)| r.code == code)?.1?;
            Some(match why {
                crate::pipeline::NotRun::Off => (RuleStatus::Off, format!("{code} off")),
                crate::pipeline::NotRun::NoHistory => {
                    let why = match git {
                        GitState::None => "not a git repository",
                        GitState::Repo { .. } => "the release history could not be read",
                    };
                    (
                        RuleStatus::NotRun,
                        format!("{code} needs the release history: {why}"),
                    )
                }
                crate::pipeline::NotRun::NoTraces => (
                    RuleStatus::NotRun,
                    format!("{code} reads traces: `agentlock checklist --traces FILE`"),
                ),
                crate::pipeline::NotRun::NoEvidence => (
                    RuleStatus::NotRun,
                    format!("{code}: no evidence kept (`agentlock evidence add`)"),
                ),
                crate::pipeline::NotRun::NoLockCheck | crate::pipeline::NotRun::NoProject => (
                    RuleStatus::NotRun,
                    format!("{code} not run: {}", why.as_str()),
                ),
            })
        };
        let mut used = vec![false; v.findings.len()];
        let mut sections = Vec::new();
        let mut summary = Summary::default();
        for &(id, title) in SECTIONS {
            let mut items = Vec::new();
            for it in ITEMS.iter().filter(|i| i.section == id) {
                let mut rules = Vec::new();
                for c in it.checks {
                    let rule = c.rule;
                    let mut findings = Vec::new();
                    for (i, f) in v.findings.iter().enumerate() {
                        if c.matches(f) {
                            used[i] = true;
                            findings.push(evidence(f, &model.sources));
                        }
                    }
                    let failures = v
                        .findings
                        .iter()
                        .filter(|f| c.matches(f) && f.severity >= Severity::Warning)
                        .count();
                    let (status, reason) = if failures > 0 {
                        (RuleStatus::Failing, None)
                    } else if let Some((s, why)) = not_run(rule) {
                        (s, Some(why))
                    } else if let Some(why) = undeclared(rule, model) {
                        (RuleStatus::NotRun, Some(why))
                    } else if let Some(why) = unseen(rule, seen(v)) {
                        (RuleStatus::NotRun, Some(format!("{}: {why}", rule.code)))
                    } else {
                        (RuleStatus::Passed, None)
                    };
                    rules.push(RuleResult {
                        code: rule.code,
                        name: rule.name,
                        status,
                        reason,
                        only: match c.only {
                            Only::All => None,
                            Only::Subject(s) | Only::Mentions(s) => Some(s),
                        },
                        scope: scope(rule, model, history, seen(v)),
                        failures,
                        findings,
                        figures: match (&v.gate, figures_of(rule)) {
                            (Some(g), Some(which)) => g.figures(model, which),
                            _ => Vec::new(),
                        },
                    });
                }
                let worst = rules
                    .iter()
                    .flat_map(|r| &r.findings)
                    .map(|e| e.severity)
                    .max_by_key(|s| match *s {
                        "error" => 2,
                        "warning" => 1,
                        _ => 0,
                    });
                let status = if rules.iter().any(|r| r.status == RuleStatus::Failing) {
                    Status::Failing
                } else if it.person {
                    Status::Person
                } else if rules.iter().any(|r| r.status != RuleStatus::Passed) {
                    Status::NotChecked
                } else {
                    Status::Ticked
                };
                match status {
                    Status::Ticked => summary.ticked += 1,
                    Status::Failing => summary.failing += 1,
                    Status::NotChecked => summary.not_checked += 1,
                    Status::Person => summary.person += 1,
                }
                summary.items += 1;
                let n = items.len() + 1;
                items.push(ItemResult {
                    id: format!("{id}.{n}"),
                    text: it.text,
                    status,
                    severity: worst,
                    needs_person: it.person,
                    hint: it.hint,
                    rules,
                });
            }
            sections.push(SectionResult { id, title, items });
        }
        let counts = crate::finding::Summary::of(&v.findings, v.suppressed);
        summary.error = counts.error;
        summary.warning = counts.warning;
        summary.info = counts.info;
        summary.suppressed = counts.suppressed;
        summary.unreadable = v
            .findings
            .iter()
            .filter(|f| f.code() == CONF001.code)
            .count();
        // The organisation's rules: those its policies declare, and any a result named.
        let mut org: Vec<&'static Meta> = model
            .catalog(&[])
            .into_iter()
            .chain(v.findings.iter().map(|f| f.rule))
            .filter(|m| crate::load::rego::is_org_rule(m))
            .collect();
        org.dedup_by(|a, b| a.code == b.code);
        let mut organisation_rules = Vec::new();
        for m in org {
            if organisation_rules
                .iter()
                .any(|r: &OrgRuleResult| r.code == m.code)
            {
                continue;
            }
            let mut findings = Vec::new();
            let mut passed = true;
            for (i, f) in v.findings.iter().enumerate() {
                if f.rule.code == m.code && !used[i] {
                    used[i] = true;
                    passed &= f.severity < Severity::Warning;
                    findings.push(evidence(f, &model.sources));
                }
            }
            organisation_rules.push(OrgRuleResult {
                code: m.code,
                name: m.name,
                summary: m.summary,
                passed,
                findings,
            });
        }
        let other_findings = v
            .findings
            .iter()
            .zip(&used)
            .filter(|(_, used)| !**used)
            .map(|(f, _)| evidence(f, &model.sources))
            .collect();
        Checklist {
            schema: SCHEMA,
            project: model.config.display_name(),
            summary,
            sections,
            organisation_rules,
            other_findings,
            sign_off: sign_off(model, git, today),
        }
    }
}

/// The version a checklist signs off: the lock root, the last release tag and HEAD, each with
/// why it is missing when it is.
fn sign_off(model: &Model, git: &GitState, today: i64) -> SignOff {
    let (last_release, last_release_note, head, head_note) = match git {
        GitState::None => (
            None,
            Some("none (not a git repository)".to_string()),
            None,
            Some("not a git repository".to_string()),
        ),
        GitState::Repo { head, history } => {
            let (tag, note) = match history {
                Some(h) => match h.releases.last() {
                    Some(r) => (Some(r.tag.clone()), None),
                    None => (
                        None,
                        Some(format!(
                            "none (no tag matching `{}` in the history of HEAD)",
                            h.releases.pattern
                        )),
                    ),
                },
                None => (
                    None,
                    Some("unknown (the release history could not be read)".to_string()),
                ),
            };
            let (h, hn) = match head {
                Some(c) => (Some(c.hex()), None),
                None => (None, Some("no commit yet".to_string())),
            };
            (tag, note, h, hn)
        }
    };
    SignOff {
        lock_root: crate::lock::Lock::from_model(model, crate::rules::catalog()).root(),
        lock_complete: crate::rules::conf::of_model(model).is_empty(),
        last_release,
        last_release_note,
        head,
        head_note,
        date: crate::date::format_date(today),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::RULES;

    #[test]
    fn every_mapped_code_is_a_rule() {
        for it in ITEMS {
            for c in it.checks {
                assert!(
                    RULES.iter().any(|r| r.code == c.rule.code),
                    "`{}` maps {} which is no rule",
                    it.text,
                    c.rule.code
                );
            }
        }
        for (rule, _) in NOT_MAPPED {
            assert!(
                RULES.iter().any(|r| r.code == rule.code),
                "{} is no rule",
                rule.code
            );
        }
    }

    #[test]
    fn every_rule_is_mapped_or_deliberately_not() {
        for r in RULES {
            let mapped = ITEMS
                .iter()
                .any(|it| it.checks.iter().any(|c| c.rule.code == r.code));
            let excluded = NOT_MAPPED.iter().any(|(c, _)| c.code == r.code);
            assert!(
                mapped != excluded,
                "{}: mapped {mapped}, listed as not mapped {excluded}",
                r.code
            );
        }
    }

    #[test]
    fn a_rule_checks_an_item_of_its_own_section() {
        for r in RULES {
            let Some(section) = r.checklist else { continue };
            assert!(
                ITEMS
                    .iter()
                    .filter(|it| it.section == section)
                    .any(|it| it.checks.iter().any(|c| c.rule.code == r.code)),
                "{} is documented under checklist {section} but checks no item there",
                r.code
            );
        }
    }

    #[test]
    fn every_item_sits_in_a_known_section_and_sections_are_in_order() {
        for it in ITEMS {
            assert!(
                SECTIONS.iter().any(|(id, _)| *id == it.section),
                "{}",
                it.text
            );
            // Items with subsections sit in a subsection.
            if !it.section.contains('.') {
                assert!(
                    !SECTIONS
                        .iter()
                        .any(|(id, _)| id.starts_with(&format!("{}.", it.section))),
                    "{} belongs in a subsection of {}",
                    it.text,
                    it.section
                );
            }
        }
        let order: Vec<usize> = ITEMS
            .iter()
            .map(|it| {
                SECTIONS
                    .iter()
                    .position(|(id, _)| *id == it.section)
                    .unwrap()
            })
            .collect();
        assert!(order.windows(2).all(|w| w[0] <= w[1]), "ITEMS out of order");
        // The seed has 81 items in sections 1 to 9.
        assert_eq!(ITEMS.len(), 81);
    }

    #[test]
    fn every_kpi_has_its_item() {
        for (kpi, _) in crate::rules::observability::KPIS {
            assert!(
                ITEMS.iter().any(|it| it
                    .checks
                    .iter()
                    .any(|c| c.rule.code == OBS003.code && c.only == Only::Subject(kpi))),
                "KPI {kpi} has no checklist item"
            );
        }
    }

    #[test]
    fn filters() {
        use crate::source::{FileId, Span};
        let mut f = Finding::new(
            &crate::rules::release::REL004,
            Span::file_start(FileId(0)),
            "deploy.yaml",
            "the canary rollout has no `canary_percent`",
        );
        let cases: &[(Check, bool)] = &[
            (all(&REL004), true),
            (all(&REL001), false),
            (mentioning(&REL004, "canary_percent"), true),
            (mentioning(&REL004, "strategy"), false),
            (about(&REL004, "deploy.yaml"), true),
            (about(&REL004, "kpis"), false),
        ];
        for (c, want) in cases {
            assert_eq!(c.matches(&f), *want, "{c:?}");
        }
        f.message = "no auto-rollback conditions are configured".into();
        assert!(mentioning(&REL004, "auto-rollback").matches(&f));
    }

    #[test]
    fn dates() {
        for d in [
            "1970-01-01",
            "2000-02-29",
            "2026-11-25",
            "2027-01-31",
            "1969-12-31",
        ] {
            assert_eq!(
                crate::date::format_date(crate::date::parse_date(d).unwrap()),
                d
            );
        }
    }
}
