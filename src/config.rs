//! `agentlock.toml`: the project manifest. Its presence marks the repository root.

use crate::finding::{Finding, Severity};
use crate::model::Sp;
use crate::model::read::Reader;
use crate::node::{self, Node, Value};
use crate::snapshot::{DEFAULT_MAX_FILE_SIZE, ReadError, Snapshot};
use crate::source::{FileId, SourceMap, Span};
use crate::units::Duration;
use std::sync::Arc;

pub const MANIFEST: &str = "agentlock.toml";

#[derive(Clone, Debug)]
pub struct Config {
    pub file: FileId,
    pub name: Sp<String>,
    pub paths: Paths,
    pub tag_pattern: String,
    pub policy: PolicyConfig,
}

#[derive(Clone, Debug)]
pub struct Paths {
    pub prompts: Vec<String>,
    pub agents: String,
    pub tools: Vec<String>,
    pub models: String,
    pub deploy: String,
    pub datasets: Vec<String>,
    pub max_file_size: u64,
}

impl Default for Paths {
    fn default() -> Self {
        Paths {
            prompts: vec!["prompts/**/*.prompt".into()],
            agents: "agents.yaml".into(),
            tools: vec!["tools/*.yaml".into(), "tools/*.json".into()],
            models: "models.yaml".into(),
            deploy: "deploy.yaml".into(),
            datasets: vec!["datasets/*.jsonl".into()],
            max_file_size: DEFAULT_MAX_FILE_SIZE,
        }
    }
}

#[derive(Clone, Debug, Default)]
pub struct PolicyConfig {
    pub extends: Option<Sp<String>>,
    /// Per-rule severity overrides; `None` turns a rule off.
    pub severity: Vec<(Sp<String>, Option<Severity>)>,
    pub limits: Limits,
    pub exceptions: Vec<Exception>,
}

/// `[policy.limits]`: the numbers and lists the rules measure against. Each is optional; a
/// pack or the project sets it, the later layer winning.
#[derive(Clone, Debug, Default)]
pub struct Limits {
    /// Longest timeout an agent or a tool may have (TOPO002, TOOL003).
    pub max_timeout: Option<Sp<Duration>>,
    /// Most retries an agent may have (TOPO003).
    pub max_retries: Option<Sp<u64>>,
    /// Largest loop bound a handoff may have (TOPO001).
    pub max_iterations: Option<Sp<u64>>,
    /// Roles an agent may have (TOPO006).
    pub allowed_roles: Option<Vec<Sp<String>>>,
    /// Permissions a tool server may hold (TOOL002).
    pub allowed_permissions: Option<Vec<Sp<String>>>,
    /// Longest tool description, in characters (TOOL008).
    pub max_description_length: Option<Sp<u64>>,
    /// Largest canary share of traffic, in percent (REL004).
    pub max_canary_percent: Option<Sp<u64>>,
    /// How many days ago the kill switch may last have been tested (RUN003).
    pub kill_switch_max_age_days: Option<Sp<u64>>,
    /// Every exception must have an expiry date (POL001).
    pub require_exception_expiry: Option<Sp<bool>>,
}

#[derive(Clone, Debug)]
pub struct Exception {
    pub rule: Sp<String>,
    pub subject: Sp<String>,
    pub reason: Sp<String>,
    /// `YYYY-MM-DD`
    pub expires: Option<Sp<String>>,
    pub span: Span,
}

/// Why agentlock cannot run at all on this repository (exit code 2).
#[derive(Debug)]
pub struct ConfigError {
    pub message: String,
    pub help: Option<String>,
    /// The file and span at fault, when there is one.
    pub at: Option<Span>,
}

impl std::fmt::Display for ConfigError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

const TOP_KEYS: &[&str] = &["project", "paths", "release", "policy"];
const PROJECT_KEYS: &[&str] = &["name", "description"];
const PATH_KEYS: &[&str] = &[
    "prompts",
    "agents",
    "tools",
    "models",
    "deploy",
    "datasets",
    "max_file_size",
];
const RELEASE_KEYS: &[&str] = &["tag_pattern"];
const POLICY_KEYS: &[&str] = &["extends", "severity", "limits", "exceptions"];
const LIMIT_KEYS: &[&str] = &[
    "max_timeout",
    "max_retries",
    "max_iterations",
    "allowed_roles",
    "allowed_permissions",
    "max_description_length",
    "max_canary_percent",
    "kill_switch_max_age_days",
    "require_exception_expiry",
];
const EXCEPTION_KEYS: &[&str] = &["rule", "subject", "reason", "expires"];
pub const PACKS: &[&str] = &["default"];

/// Reads and checks `agentlock.toml`. Problems inside a readable manifest are CONF001 findings;
/// a missing or unparseable manifest, or one without a project name, is a [`ConfigError`].
pub fn load(
    snapshot: &dyn Snapshot,
    sources: &mut SourceMap,
    problems: &mut Vec<Finding>,
) -> Result<Config, ConfigError> {
    let bytes = snapshot.read(MANIFEST, DEFAULT_MAX_FILE_SIZE).map_err(|e| match e {
        ReadError::NotFound => ConfigError {
            message: format!("no {MANIFEST} found in the {}", snapshot.describe()),
            help: Some(format!(
                "run agentlock at the root of a repository that has an {MANIFEST}, pass --repo DIR, or create one with `[project] name = \"…\"`"
            )),
            at: None,
        },
        other => ConfigError { message: format!("{MANIFEST}: {other}"), help: None, at: None },
    })?;
    let text: Arc<str> = String::from_utf8(bytes)
        .map_err(|_| ConfigError {
            message: format!("{MANIFEST} is not UTF-8 text"),
            help: None,
            at: None,
        })?
        .into();
    let file = sources.add(MANIFEST.to_string(), Some(text.clone()));
    let root = node::parse_toml(&text, file).map_err(|e| {
        let offset = e.offset.unwrap_or(0);
        ConfigError {
            message: format!("{MANIFEST} is not valid TOML: {}", e.message),
            help: None,
            at: Some(Span::new(file, offset, offset + 1)),
        }
    })?;

    let mut r = Reader::new(file, MANIFEST, &text, problems);
    r.check_keys(&root, TOP_KEYS, MANIFEST);

    let project = root.get("project");
    let name = project
        .and_then(|p| p.get("name"))
        .and_then(|n| n.as_str().map(|s| Sp::new(s.to_string(), n.span)))
        .filter(|n| !n.value.trim().is_empty());
    let Some(name) = name else {
        return Err(ConfigError {
            message: format!("{MANIFEST} has no `[project] name`"),
            help: Some("add:\n[project]\nname = \"my-agents\"".into()),
            at: Some(project.map_or(Span::file_start(file), |p| p.span)),
        });
    };
    if let Some(p) = project {
        r.check_keys(p, PROJECT_KEYS, "[project]");
    }

    let mut paths = Paths::default();
    if let Some(p) = root.get("paths")
        && r.map(p, "[paths]").is_some()
    {
        r.check_keys(p, PATH_KEYS, "[paths]");
        for (key, target) in [
            ("prompts", &mut paths.prompts),
            ("tools", &mut paths.tools),
            ("datasets", &mut paths.datasets),
        ] {
            if let Some(n) = p.get(key) {
                let list = r.string_list(n, &format!("paths.{key}"));
                *target = list.into_iter().map(|s| s.value).collect();
            }
        }
        for (key, target) in [
            ("agents", &mut paths.agents),
            ("models", &mut paths.models),
            ("deploy", &mut paths.deploy),
        ] {
            if let Some(s) = r.opt_string(p, key, &format!("paths.{key}")) {
                *target = s.value;
            }
        }
        if let Some(n) = p.get("max_file_size") {
            match parse_size(n) {
                Some(size) => paths.max_file_size = size,
                None => r.problem(
                    n.span,
                    "paths.max_file_size must be a size such as `10MiB` or a number of bytes",
                    None,
                ),
            }
        }
    }

    let mut tag_pattern = "v*".to_string();
    if let Some(rel) = root.get("release") {
        r.check_keys(rel, RELEASE_KEYS, "[release]");
        if let Some(t) = r.opt_string(rel, "tag_pattern", "release.tag_pattern") {
            tag_pattern = t.value;
        }
    }

    let policy = root
        .get("policy")
        .map(|p| read_policy(&mut r, p))
        .unwrap_or_default();
    Ok(Config {
        file,
        name,
        paths,
        tag_pattern,
        policy,
    })
}

fn read_policy(r: &mut Reader, p: &Node) -> PolicyConfig {
    let mut out = PolicyConfig::default();
    if r.map(p, "[policy]").is_none() {
        return out;
    }
    r.check_keys(p, POLICY_KEYS, "[policy]");
    if let Some(ext) = r.opt_string(p, "extends", "policy.extends") {
        if !PACKS.contains(&ext.value.as_str()) {
            r.problem(
                ext.span,
                format!("unknown policy pack `{}`", ext.value),
                Some(format!("the built-in packs are: {}", PACKS.join(", "))),
            );
        }
        out.extends = Some(ext);
    }
    if let Some(sev) = p.get("severity") {
        for (key, value) in r.map(sev, "[policy.severity]").unwrap_or_default() {
            let code = Sp::new(key.name.clone(), key.span);
            if crate::rules::find(&code.value).is_none() {
                let hint =
                    crate::suggest::hint(&code.value, crate::rules::RULES.iter().map(|r| r.code));
                r.problem(
                    key.span,
                    format!("unknown rule code `{}`.{hint}", code.value),
                    Some("`agentlock rules` lists every code".into()),
                );
                continue;
            }
            match value.as_str().and_then(Severity::parse) {
                Some(s) => out.severity.push((code, s)),
                None => r.problem(
                    value.span,
                    "a severity must be \"error\", \"warning\", \"info\" or \"off\"",
                    None,
                ),
            }
        }
    }
    if let Some(l) = p.get("limits")
        && r.map(l, "[policy.limits]").is_some()
    {
        r.check_keys(l, LIMIT_KEYS, "[policy.limits]");
        out.limits.max_timeout = r.opt_duration(l, "max_timeout", "policy.limits.max_timeout");
        out.limits.max_retries = r.opt_uint(l, "max_retries", "policy.limits.max_retries");
        out.limits.max_iterations = r.opt_uint(l, "max_iterations", "policy.limits.max_iterations");
        out.limits.max_description_length = r.opt_uint(
            l,
            "max_description_length",
            "policy.limits.max_description_length",
        );
        out.limits.max_canary_percent =
            r.opt_uint(l, "max_canary_percent", "policy.limits.max_canary_percent");
        out.limits.kill_switch_max_age_days = r.opt_uint(
            l,
            "kill_switch_max_age_days",
            "policy.limits.kill_switch_max_age_days",
        );
        out.limits.require_exception_expiry = l
            .get("require_exception_expiry")
            .and_then(|n| r.bool(n, "policy.limits.require_exception_expiry"));
        out.limits.allowed_roles = l
            .get("allowed_roles")
            .map(|n| r.string_list(n, "policy.limits.allowed_roles"));
        out.limits.allowed_permissions = l
            .get("allowed_permissions")
            .map(|n| r.string_list(n, "policy.limits.allowed_permissions"));
    }
    if let Some(ex) = p.get("exceptions") {
        let items: &[Node] = match &ex.value {
            Value::Seq(items) => items,
            _ => {
                r.problem(
                    ex.span,
                    "policy.exceptions must be an array of tables ([[policy.exceptions]])",
                    None,
                );
                &[]
            }
        };
        for item in items {
            if r.map(item, "an exception").is_none() {
                continue;
            }
            r.check_keys(item, EXCEPTION_KEYS, "[[policy.exceptions]]");
            let rule = r.opt_string(item, "rule", "exception rule");
            let subject = r.opt_string(item, "subject", "exception subject");
            let reason = r
                .opt_string(item, "reason", "exception reason")
                .filter(|s| !s.value.trim().is_empty());
            let expires = r.opt_string(item, "expires", "exception expiry");
            if let Some(e) = &expires
                && crate::date::parse_date(&e.value).is_none()
            {
                r.problem(
                    e.span,
                    format!("`{}` is not a date; write it as YYYY-MM-DD", e.value),
                    None,
                );
            }
            match (rule, subject, reason) {
                (Some(rule), Some(subject), Some(reason)) => {
                    if crate::rules::find(&rule.value).is_none() {
                        let hint = crate::suggest::hint(
                            &rule.value,
                            crate::rules::RULES.iter().map(|r| r.code),
                        );
                        r.problem(
                            rule.span,
                            format!("unknown rule code `{}`.{hint}", rule.value),
                            None,
                        );
                    }
                    out.exceptions.push(Exception {
                        rule,
                        subject,
                        reason,
                        expires,
                        span: item.span,
                    });
                }
                (rule, subject, reason) => {
                    let missing: Vec<&str> = [
                        ("rule", rule.is_none()),
                        ("subject", subject.is_none()),
                        ("reason", reason.is_none()),
                    ]
                    .iter()
                    .filter(|(_, m)| *m)
                    .map(|(k, _)| *k)
                    .collect();
                    let at = item
                        .as_map()
                        .and_then(|m| m.first())
                        .map_or(item.span, |(k, _)| k.span);
                    r.problem(
                        at,
                        format!("an exception needs {}; it is ignored until then", missing.join(" and ")),
                        Some("every exception names the rule, the subject it applies to and the reason, on record".into()),
                    );
                }
            }
        }
    }
    out
}

fn parse_size(n: &Node) -> Option<u64> {
    match &n.value {
        Value::Int(i) if *i > 0 => Some(*i as u64),
        Value::Str(s) => {
            let s = s.trim();
            let idx = s.find(|c: char| !c.is_ascii_digit()).unwrap_or(s.len());
            let num: u64 = s[..idx].parse().ok()?;
            let mult = match s[idx..].trim() {
                "" | "B" => 1,
                "KB" | "kB" => 1000,
                "KiB" => 1024,
                "MB" => 1_000_000,
                "MiB" => 1024 * 1024,
                "GB" => 1_000_000_000,
                "GiB" => 1024 * 1024 * 1024,
                _ => return None,
            };
            num.checked_mul(mult).filter(|v| *v > 0)
        }
        _ => None,
    }
}
