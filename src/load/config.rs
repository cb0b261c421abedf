//! `agentlock.toml`: the project manifest. Its presence marks the repository root.

use crate::finding::Severity;
use crate::load::fields::{Table, Ty, f, passive, req};
use crate::load::read::{Reader, parse_size};
use crate::node::{self, Node, Value};
use crate::problem::Problem;
use crate::snapshot::{DEFAULT_MAX_FILE_SIZE, ReadError, ReadExt, Snapshot};
use crate::source::Sp;
use crate::source::{FileId, SourceMap, Span};
use crate::units::Duration;

pub const MANIFEST: &str = "agentlock.toml";

#[derive(Clone, Debug)]
pub struct Config {
    pub file: FileId,
    pub name: Sp<String>,
    /// Whether the repository has an agentlock.toml: an agentlock project. Without one,
    /// agentlock reads only the formats it discovers ([`Sources`]), and the rules about what
    /// only an agentlock project declares (deploy.yaml, golden datasets) do not run.
    pub project: bool,
    pub paths: Paths,
    /// `[sources]`: the formats of other tools to discover; `None` when the project reads only
    /// its own files.
    pub sources: Option<Sources>,
    pub release: ReleaseConfig,
    pub policy: PolicyConfig,
    /// The globs agentlock.toml sets in `[paths]` and `[sources]`, where it sets them (those
    /// of `[policy] rego` are their layer's [`PolicyLayer::globs`]).
    pub globs: Vec<SetGlob>,
}

/// A glob a manifest or policy file sets, as agentlock matches it (a leading `./` dropped),
/// at its value: one that matches no file is CONF002.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SetGlob {
    /// Its key, as a finding names it: `paths.prompts`, `sources.crewai`, `policy.rego`.
    pub key: String,
    pub pattern: String,
    pub span: Span,
}

impl Config {
    /// Every glob set in agentlock.toml and in the policy files it extends, in that order.
    pub fn set_globs(&self) -> impl Iterator<Item = &SetGlob> {
        self.globs
            .iter()
            .chain(self.policy.layers.iter().flat_map(|l| &l.globs))
    }
}

/// `[release]`: which tags are releases.
#[derive(Clone, Debug)]
pub struct ReleaseConfig {
    /// A glob over tag names (`v*`); the text before the first wildcard is stripped before the
    /// rest is read as a semver version (and then a `v`).
    pub tag_pattern: String,
    /// Where `tag_pattern` is set, if it is.
    pub span: Option<Span>,
    /// Whether pre-release versions (`v1.3.0-rc.1`) count as releases.
    pub prereleases: bool,
}

impl Default for ReleaseConfig {
    fn default() -> Self {
        ReleaseConfig {
            tag_pattern: "v*".into(),
            span: None,
            prereleases: false,
        }
    }
}

/// The largest `[paths] max_file_size` may be: a pull request edits agentlock.toml too, and
/// a file agentlock reads is held in memory whole (a 2 MB git object inflates to 2 GB).
pub const MAX_FILE_SIZE_CEILING: u64 = 256 * 1024 * 1024;

#[derive(Clone, Debug)]
pub struct Paths {
    pub prompts: Vec<String>,
    pub agents: String,
    pub tools: Vec<String>,
    pub models: String,
    pub deploy: String,
    pub datasets: Vec<String>,
    /// Where `evidence add` stores results files and their index (`evidence/`).
    pub evidence: String,
    pub max_file_size: u64,
    /// Where agentlock.toml sets `agents`, `models` or `deploy`: a file named there that does
    /// not exist is a mistake (CONF001 at the value), where a missing default may be fine.
    pub configured: Vec<(&'static str, Span)>,
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
            evidence: "evidence".into(),
            max_file_size: DEFAULT_MAX_FILE_SIZE,
            configured: Vec::new(),
        }
    }
}

/// `[sources]`: where agentlock looks for the files other tools keep, by format. Each is a list
/// of globs from the root; `[]` turns a format off. A key that is not set takes its default.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Sources {
    /// MCP client configs: `.mcp.json`, `.cursor/mcp.json` and `.vscode/mcp.json` (at any depth:
    /// a folder opened as a project, as a monorepo's parts are, has its own),
    /// `claude_desktop_config.json`, Codex `config.toml`.
    pub mcp_clients: Vec<String>,
    /// MCP registry `server.json` files.
    pub mcp_registry: Vec<String>,
    /// CrewAI `config/agents.yaml`; the `tasks.yaml` beside each is read with it.
    pub crewai: Vec<String>,
    /// Prompty files.
    pub prompty: Vec<String>,
    /// dotprompt files.
    pub dotprompt: Vec<String>,
    /// Agents written as Markdown with front matter: Claude Code subagents
    /// (`.claude/agents/*.md`), GitHub Copilot custom agents and chat modes.
    pub markdown_agents: Vec<String>,
    /// Smithery's `smithery.yaml`: how a server in the repository is started.
    pub smithery: Vec<String>,
}

impl Default for Sources {
    fn default() -> Self {
        let v = |l: &[&str]| l.iter().map(|s| s.to_string()).collect();
        Sources {
            mcp_clients: v(&[
                "**/.mcp.json",
                "mcp.json",
                "**/.cursor/mcp.json",
                "**/.vscode/mcp.json",
                "claude_desktop_config.json",
                ".codex/config.toml",
                ".gemini/settings.json",
                "gemini-extension.json",
                ".kiro/settings/mcp.json",
                ".roo/mcp.json",
                ".amazonq/mcp.json",
                ".claude-plugin/plugin.json",
                "opencode.json",
                "opencode.jsonc",
                ".continue/config.yaml",
                ".continue/mcpServers/*.yaml",
                ".windsurf/mcp_config.json",
            ]),
            mcp_registry: v(&["**/server.json"]),
            crewai: v(&["**/config/agents.yaml"]),
            prompty: v(&["**/*.prompty"]),
            dotprompt: v(&["**/*.prompt"]),
            markdown_agents: v(&[
                ".claude/agents/**/*.md",
                ".github/agents/*.agent.md",
                ".github/chatmodes/*.chatmode.md",
            ]),
            smithery: v(&["**/smithery.yaml"]),
        }
    }
}

impl Sources {
    /// Each format's key in `[sources]` with its globs.
    pub fn by_key(&mut self) -> [(&'static str, &mut Vec<String>); 7] {
        [
            ("mcp_clients", &mut self.mcp_clients),
            ("mcp_registry", &mut self.mcp_registry),
            ("crewai", &mut self.crewai),
            ("prompty", &mut self.prompty),
            ("dotprompt", &mut self.dotprompt),
            ("markdown_agents", &mut self.markdown_agents),
            ("smithery", &mut self.smithery),
        ]
    }
}

/// The policy as written: layers, base first. The first layer is a built-in pack (`default`
/// unless the project extends another); then any policy files the chain names; the project's own
/// `[policy]` table last. Later layers win: [`crate::policy::Policy`] merges them.
#[derive(Clone, Debug, Default)]
pub struct PolicyConfig {
    pub layers: Vec<PolicyLayer>,
}

impl PolicyConfig {
    /// The Rego policy globs of every layer, in layer order, each once.
    pub fn rego(&self) -> Vec<String> {
        let mut out: Vec<String> = Vec::new();
        for g in self.layers.iter().flat_map(|l| &l.rego) {
            if !out.contains(g) {
                out.push(g.clone());
            }
        }
        out
    }

    /// The chain of packs and files, base first: `["default", "strict", "policy/acme.toml"]`.
    pub fn chain(&self) -> Vec<&str> {
        self.layers
            .iter()
            .filter(|l| l.origin != MANIFEST)
            .map(|l| l.origin.as_str())
            .collect()
    }
}

/// One policy table: a built-in pack, a policy file in the repository, or agentlock.toml's `[policy]`.
#[derive(Clone, Debug, Default)]
pub struct PolicyLayer {
    /// The pack name (`strict`), the policy file's path, or `agentlock.toml`.
    pub origin: String,
    pub extends: Option<Sp<String>>,
    /// Per-rule severity overrides; `None` turns a rule off.
    pub severity: Vec<(Sp<String>, Option<Severity>)>,
    pub limits: Limits,
    pub exceptions: Vec<Exception>,
    /// `[[policy.secrets.allow]]`: credentials accepted by fingerprint.
    pub secret_allow: Vec<SecretAllow>,
    /// `rego`: the organisation's Rego policies, as globs from the repository root.
    pub rego: Vec<String>,
    /// Where `rego`'s globs are set.
    pub globs: Vec<SetGlob>,
}

/// A known credential accepted on record (a provider's published test key, say), by the
/// fingerprint SECRET001/SECRET002 print. The next credential is still reported.
#[derive(Clone, Debug)]
pub struct SecretAllow {
    pub fingerprint: Sp<String>,
    pub reason: Sp<String>,
}

/// `[policy.limits]`: the numbers and lists the rules measure against. Each is optional; a
/// pack or the project sets it, the later layer winning.
#[derive(Clone, Debug, Default)]
pub struct Limits {
    /// Longest timeout an agent or a tool may have.
    pub max_timeout: Option<Sp<Duration>>,
    /// Most retries an agent may have.
    pub max_retries: Option<Sp<u64>>,
    /// Largest loop bound a handoff may have.
    pub max_iterations: Option<Sp<u64>>,
    /// Roles an agent may have.
    pub allowed_roles: Option<Vec<Sp<String>>>,
    /// Permissions a tool server may hold.
    pub allowed_permissions: Option<Vec<Sp<String>>>,
    /// Longest tool description, in characters.
    pub max_description_length: Option<Sp<u64>>,
    /// Largest canary share of traffic, in percent.
    pub max_canary_percent: Option<Sp<u64>>,
    /// How many days ago the kill switch may last have been tested.
    pub kill_switch_max_age_days: Option<Sp<u64>>,
    /// Every exception must have an expiry date.
    pub require_exception_expiry: Option<Sp<bool>>,
    /// The share of a golden dataset's cases that must pass, 0 to 1 (default 1).
    pub min_pass_rate: Option<Sp<f64>>,
    /// The significance level of the regression tests (default 0.05).
    pub alpha: Option<Sp<f64>>,
    /// The drop in a mean score tolerated before a significant one blocks (default 0).
    pub max_score_drop: Option<Sp<f64>>,
}

impl Limits {
    /// Takes every limit that `later` sets.
    pub fn merge(&mut self, later: &Limits) {
        macro_rules! take {
            ($($f:ident),*) => {$(if later.$f.is_some() { self.$f = later.$f.clone(); })*};
        }
        take!(
            max_timeout,
            max_retries,
            max_iterations,
            allowed_roles,
            allowed_permissions,
            max_description_length,
            max_canary_percent,
            kill_switch_max_age_days,
            require_exception_expiry,
            min_pass_rate,
            alpha,
            max_score_drop
        );
    }

    /// The limits that are set, as canonical JSON (sorted keys; durations in ms).
    pub fn canonical_json(&self) -> String {
        let mut fields: Vec<(&str, String)> = Vec::new();
        let float = |v: &Sp<f64>| {
            let mut o = String::new();
            node::write_float(v.value, &mut o);
            o
        };
        if let Some(v) = &self.alpha {
            fields.push(("alpha", float(v)));
        }
        let list = |l: &Vec<Sp<String>>| {
            let mut v: Vec<String> = l
                .iter()
                .map(|s| {
                    let mut o = String::new();
                    node::write_json_str(&s.value, &mut o);
                    o
                })
                .collect();
            v.sort();
            format!("[{}]", v.join(","))
        };
        if let Some(v) = &self.allowed_permissions {
            fields.push(("allowed_permissions", list(v)));
        }
        if let Some(v) = &self.allowed_roles {
            fields.push(("allowed_roles", list(v)));
        }
        if let Some(v) = &self.kill_switch_max_age_days {
            fields.push(("kill_switch_max_age_days", v.value.to_string()));
        }
        if let Some(v) = &self.max_canary_percent {
            fields.push(("max_canary_percent", v.value.to_string()));
        }
        if let Some(v) = &self.max_description_length {
            fields.push(("max_description_length", v.value.to_string()));
        }
        if let Some(v) = &self.max_iterations {
            fields.push(("max_iterations", v.value.to_string()));
        }
        if let Some(v) = &self.max_retries {
            fields.push(("max_retries", v.value.to_string()));
        }
        if let Some(v) = &self.max_score_drop {
            fields.push(("max_score_drop", float(v)));
        }
        if let Some(v) = &self.max_timeout {
            fields.push(("max_timeout_ms", v.value.millis().to_string()));
        }
        if let Some(v) = &self.min_pass_rate {
            fields.push(("min_pass_rate", float(v)));
        }
        if let Some(v) = &self.require_exception_expiry {
            fields.push(("require_exception_expiry", v.value.to_string()));
        }
        let body: Vec<String> = fields
            .into_iter()
            .map(|(k, v)| format!("\"{k}\":{v}"))
            .collect();
        format!("{{{}}}", body.join(","))
    }
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

/// agentlock.toml.
pub const FILE: Table = Table::new(
    "agentlock",
    "The project manifest of an agentlock repository; its presence marks the root.",
    &[
        req("project", Ty::Object(&PROJECT), "The project."),
        f(
            "paths",
            Ty::Object(&PATHS),
            "Where the project's files are, from the repository root.",
        ),
        f(
            "sources",
            Ty::Object(&SOURCES),
            "The files of other tools to discover, by format: lists of globs from the root; `[]` turns a format off.",
        ),
        f("release", Ty::Object(&RELEASE), "Which tags are releases."),
        f(
            "policy",
            Ty::Object(&POLICY),
            "The policy: a built-in pack or policy file it extends, severities, limits, exceptions.",
        ),
    ],
);
const PROJECT: Table = Table::new(
    "project",
    "The project.",
    &[
        req("name", Ty::Text, "The project's name."),
        passive("description", Ty::Str, "What the project is, for people."),
    ],
);
const PATHS: Table = Table::new(
    "paths",
    "Where the project's files are, from the repository root (paths stay inside the repository).",
    &[
        f(
            "prompts",
            Ty::StrList,
            "Globs of the prompt files (default `prompts/**/*.prompt`).",
        ),
        f(
            "agents",
            Ty::Str,
            "The agent topology (default `agents.yaml`).",
        ),
        f(
            "tools",
            Ty::StrList,
            "Globs of the MCP server manifests (default `tools/*.yaml`, `tools/*.json`).",
        ),
        f(
            "models",
            Ty::Str,
            "The model aliases (default `models.yaml`).",
        ),
        f(
            "deploy",
            Ty::Str,
            "The runtime safeguards (default `deploy.yaml`).",
        ),
        f(
            "datasets",
            Ty::StrList,
            "Globs of the golden datasets (default `datasets/*.jsonl`).",
        ),
        f(
            "evidence",
            Ty::Str,
            "Where `evidence add` stores results and their index (default `evidence`).",
        ),
        f(
            "max_file_size",
            Ty::Size,
            "The largest file read: a number of bytes or a size such as `10MiB`.",
        ),
    ],
);
const SOURCES: Table = Table::new(
    "sources",
    "The files of other tools to discover, by format: lists of globs from the root; `[]` turns a format off, a key not set takes its default.",
    &[
        f(
            "mcp_clients",
            Ty::StrList,
            "MCP client configs: `.mcp.json`, `.cursor/mcp.json`, `.vscode/mcp.json`, `claude_desktop_config.json`, Codex `config.toml`, …",
        ),
        f(
            "mcp_registry",
            Ty::StrList,
            "MCP registry `server.json` files.",
        ),
        f(
            "crewai",
            Ty::StrList,
            "CrewAI `config/agents.yaml` (the `tasks.yaml` beside each is read with it).",
        ),
        f("prompty", Ty::StrList, "Prompty files."),
        f("dotprompt", Ty::StrList, "dotprompt files."),
        f(
            "markdown_agents",
            Ty::StrList,
            "Agents written as Markdown with front matter: Claude Code subagents, GitHub Copilot custom agents and chat modes.",
        ),
        f("smithery", Ty::StrList, "Smithery's `smithery.yaml`."),
    ],
);
const RELEASE: Table = Table::new(
    "release",
    "Which tags are releases.",
    &[
        f(
            "tag_pattern",
            Ty::Str,
            "A glob over tag names (default `v*`); the newest by semver reachable from HEAD is the last release.",
        ),
        f(
            "prereleases",
            Ty::Bool,
            "Whether pre-release versions (`v1.3.0-rc.1`) count as releases.",
        ),
    ],
);
const EXTENDS: &str = "The built-in pack (default, strict, regulated) or the policy file (a path from the root, ending in .toml) this policy builds on.";
const SEVERITY: &str = "Severities by rule code: \"error\", \"warning\", \"info\" or \"off\".";
const LIMITS_DOC: &str = "The numbers and lists the rules measure against.";
const EXCEPTIONS: &str =
    "Findings accepted on record: each names the rule, the subject and the reason, and may expire.";
/// The severities a policy may give a rule.
pub const SEVERITIES: &[&str] = &["error", "warning", "warn", "info", "off"];
const POLICY: Table = Table::new(
    "policy",
    "The policy.",
    &[
        f("extends", Ty::Str, EXTENDS),
        f("severity", Ty::Map(&Ty::Enum(SEVERITIES)), SEVERITY),
        f("limits", Ty::Object(&LIMITS), LIMITS_DOC),
        f("exceptions", Ty::List(&Ty::Object(&EXCEPTION)), EXCEPTIONS),
        f("rego", Ty::StrList, REGO),
        f(
            "secrets",
            Ty::Object(&SECRETS),
            "Known credentials accepted by fingerprint.",
        ),
    ],
);
const SECRETS: Table = Table::new(
    "secrets",
    "Known credentials accepted by fingerprint.",
    &[f(
        "allow",
        Ty::List(&Ty::Object(&SECRET_ALLOW)),
        "The credentials accepted, each by the fingerprint a SECRET finding prints.",
    )],
);
const SECRET_ALLOW: Table = Table::new(
    "secret_allow",
    "A credential accepted on record.",
    &[
        req(
            "fingerprint",
            Ty::Pattern("^[0-9a-fA-F]{16}$"),
            "The 16 hex digits a SECRET finding prints.",
        ),
        req("reason", Ty::Str, "Why it is accepted."),
    ],
);
const REGO: &str = "The organisation's own rules: Rego policy files (conftest's `deny`, `warn`, `violation`), as globs from the repository root, such as `[\"policy/*.rego\"]`.";

/// A policy pack or a policy file that `extends` names.
pub const PACK: Table = Table::new(
    "policy_file",
    "A policy file: a policy that agentlock.toml's `[policy] extends` names (or that another policy file extends).",
    &[
        f("extends", Ty::Str, EXTENDS),
        passive(
            "description",
            Ty::Str,
            "What the policy is for, for people.",
        ),
        f("severity", Ty::Map(&Ty::Enum(SEVERITIES)), SEVERITY),
        f("limits", Ty::Object(&LIMITS), LIMITS_DOC),
        f("exceptions", Ty::List(&Ty::Object(&EXCEPTION)), EXCEPTIONS),
        f("rego", Ty::StrList, REGO),
    ],
);
const LIMITS: Table = Table::new(
    "limits",
    LIMITS_DOC,
    &[
        f(
            "max_timeout",
            Ty::Duration,
            "The longest timeout an agent or a tool may have.",
        ),
        f(
            "max_retries",
            Ty::Uint,
            "The most retries an agent may have.",
        ),
        f(
            "max_iterations",
            Ty::Uint,
            "The largest loop bound a handoff may have.",
        ),
        f("allowed_roles", Ty::StrList, "The roles an agent may have."),
        f(
            "allowed_permissions",
            Ty::StrList,
            "The permissions a tool server may hold.",
        ),
        f(
            "max_description_length",
            Ty::Uint,
            "The longest tool description, in characters.",
        ),
        f(
            "max_canary_percent",
            Ty::Uint,
            "The largest canary share of traffic, in percent.",
        ),
        f(
            "kill_switch_max_age_days",
            Ty::Uint,
            "How many days ago the kill switch may last have been tested.",
        ),
        f(
            "require_exception_expiry",
            Ty::Bool,
            "Every exception must have an expiry date.",
        ),
        f(
            "min_pass_rate",
            Ty::Range(0.0, 1.0),
            "The share of a golden dataset's cases that must pass, 0 to 1 (default 1).",
        ),
        f(
            "alpha",
            Ty::Range(0.0, 0.5),
            "The significance level of the regression tests (default 0.05).",
        ),
        f(
            "max_score_drop",
            Ty::Range(0.0, f64::MAX),
            "The drop in a mean score tolerated before a significant one blocks (default 0).",
        ),
    ],
);
const EXCEPTION: Table = Table::new(
    "exception",
    "A finding accepted on record.",
    &[
        req(
            "rule",
            Ty::Str,
            "The rule's code, as `agentlock rules` lists them.",
        ),
        req(
            "subject",
            Ty::Str,
            "The agent, prompt, tool, model or path the finding names.",
        ),
        req(
            "reason",
            Ty::Str,
            "Why it is accepted: a ticket, a decision.",
        ),
        f(
            "expires",
            Ty::Date,
            "After this date (YYYY-MM-DD) the exception no longer applies, and says so.",
        ),
    ],
);
/// The built-in policy packs, embedded from `policy/`.
pub const PACKS: &[(&str, &str)] = &[
    ("default", include_str!("../../policy/default.toml")),
    ("strict", include_str!("../../policy/strict.toml")),
    ("regulated", include_str!("../../policy/regulated.toml")),
];
/// How long a chain of `extends` may be.
const MAX_EXTENDS: usize = 8;

impl Config {
    /// The project's name, or `repository` when there is no agentlock.toml to give one.
    pub fn display_name(&self) -> String {
        if self.name.value.is_empty() {
            "repository".to_string()
        } else {
            self.name.value.clone()
        }
    }

    /// The configuration of a repository with no agentlock.toml (for `scan FILE…`): the
    /// default paths and the default pack.
    pub fn builtin(sources: &mut SourceMap, problems: &mut Vec<Problem>) -> Config {
        let file = sources.add(format!("(no {MANIFEST})"), Some("".into()));
        let own = PolicyLayer {
            origin: MANIFEST.into(),
            ..PolicyLayer::default()
        };
        let layers = vec![pack_layer("default", sources, problems), own];
        Config {
            file,
            name: Sp::new(String::new(), Span::file_start(file)),
            project: false,
            paths: Paths::default(),
            sources: None,
            release: ReleaseConfig::default(),
            policy: PolicyConfig { layers },
            globs: Vec::new(),
        }
    }
}

/// `[release]` of a manifest; what is not right in it is a problem, and the default stands.
fn read_release(r: &mut Reader, root: &Node) -> ReleaseConfig {
    let mut release = ReleaseConfig::default();
    if let Some(rel) = root.get("release")
        && r.map(rel, "[release]").is_some()
    {
        r.check_keys(rel, &RELEASE, "[release]");
        if let Some(t) = r.opt_string(rel, "tag_pattern", "release.tag_pattern") {
            match globset::Glob::new(&t.value) {
                Ok(_) if !t.value.is_empty() => {
                    release.tag_pattern = t.value;
                    release.span = Some(t.span);
                }
                _ => r.problem(
                    t.span,
                    "release.tag_pattern must be a glob over tag names, such as `v*`",
                    None,
                ),
            }
        }
        match rel.get("prereleases").map(|n| (&n.value, n.span)) {
            None => {}
            Some((Value::Bool(b), _)) => release.prereleases = *b,
            Some((_, span)) => r.problem(span, "release.prereleases must be true or false", None),
        }
    }
    release
}

/// The evidence directory a manifest's text names (an earlier release's agentlock.toml): where
/// that release's evidence is. `None` when the text is not a TOML manifest.
pub fn evidence_of(text: &str) -> Option<String> {
    let root = node::parse_toml(text, FileId(u32::MAX)).ok()?;
    let named = root.get("paths").and_then(|p| p.get("evidence"));
    Some(match named.map(|n| &n.value) {
        Some(Value::Str(dir)) => dir.clone(),
        _ => Paths::default().evidence,
    })
}

/// The `[release]` a manifest's text declares (an earlier release's agentlock.toml): which tags
/// that release called releases. `None` when the text is not a TOML manifest.
pub fn release_of(text: &str) -> Option<ReleaseConfig> {
    let file = FileId(u32::MAX);
    let root = node::parse_toml(text, file).ok()?;
    let mut problems = Vec::new();
    let mut r = Reader::new(file, MANIFEST, text, &mut problems);
    Some(read_release(&mut r, &root))
}

/// Reads `agentlock.toml`, or when there is none, the configuration of a repository that is
/// not an agentlock project: the default pack, and every format of [`Sources`] discovered.
pub fn load_or_discover(
    snapshot: &dyn Snapshot,
    sources: &mut SourceMap,
    problems: &mut Vec<Problem>,
) -> Result<Config, ConfigError> {
    match snapshot.read_str(MANIFEST, DEFAULT_MAX_FILE_SIZE) {
        Err(ReadError::NotFound) => {
            let mut config = Config::builtin(sources, problems);
            config.sources = Some(Sources::default());
            Ok(config)
        }
        _ => load(snapshot, sources, problems),
    }
}

/// Reads and checks `agentlock.toml`. Problems inside a readable manifest are CONF001 findings;
/// a missing or unparseable manifest, or one without a project name, is a [`ConfigError`].
pub fn load(
    snapshot: &dyn Snapshot,
    sources: &mut SourceMap,
    problems: &mut Vec<Problem>,
) -> Result<Config, ConfigError> {
    let bytes = snapshot.read_str(MANIFEST, DEFAULT_MAX_FILE_SIZE).map_err(|e| match e {
        ReadError::NotFound => ConfigError {
            message: format!("no {MANIFEST} found in the {}", snapshot.describe()),
            help: Some(format!(
                "run agentlock at the root of a repository that has an {MANIFEST}, pass --repo DIR, or create one with `[project] name = \"…\"`"
            )),
            at: None,
        },
        other => ConfigError { message: format!("{MANIFEST}: {other}"), help: None, at: None },
    })?;
    let text: crate::source::Text = String::from_utf8(bytes)
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
    r.check_keys(&root, &FILE, MANIFEST);

    let project = root.get("project");
    let name_node = project.and_then(|p| p.get("name"));
    if let Some(n) = name_node
        && n.as_str().is_none()
    {
        return Err(ConfigError {
            message: format!(
                "`[project] name` in {MANIFEST} must be a string, found {}",
                n.kind()
            ),
            help: Some("write it in quotes: name = \"my-agents\"".into()),
            at: Some(n.span),
        });
    }
    let name = name_node
        .and_then(|n| n.as_str().map(|s| Sp::new(s.to_string(), n.span)))
        .filter(|n| !n.value.trim().is_empty());
    let Some(name) = name else {
        return Err(ConfigError {
            message: format!("{MANIFEST} has no `[project] name`"),
            help: Some("add:\n[project]\nname = \"my-agents\"".into()),
            at: Some(
                name_node
                    .or(project)
                    .map_or(Span::file_start(file), |p| p.span),
            ),
        });
    };
    if let Some(p) = project {
        r.check_keys(p, &PROJECT, "[project]");
    }

    let mut set_globs = Vec::new();
    let mut paths = Paths::default();
    if let Some(p) = root.get("paths")
        && r.map(p, "[paths]").is_some()
    {
        r.check_keys(p, &PATHS, "[paths]");
        for (key, target) in [
            ("prompts", &mut paths.prompts),
            ("tools", &mut paths.tools),
            ("datasets", &mut paths.datasets),
        ] {
            if let Some(n) = p.get(key) {
                *target = globs(&mut r, n, &format!("paths.{key}"), &mut set_globs);
            }
        }
        for (key, target) in [
            ("agents", &mut paths.agents),
            ("models", &mut paths.models),
            ("deploy", &mut paths.deploy),
            ("evidence", &mut paths.evidence),
        ] {
            if let Some(s) = r.opt_string(p, key, &format!("paths.{key}")) {
                // A path that would leave the repository is reported here, at the value, and
                // kept as written: the snapshot refuses to read it (it cannot name a place
                // outside), so nothing is read in its place.
                *target = match crate::snapshot::RepoPath::parse(&s.value) {
                    Err(e) => {
                        r.problem(
                            s.span,
                            format!("paths.{key} `{}` {e}", s.value),
                            Some(OUTSIDE_HELP.into()),
                        );
                        s.value
                    }
                    // `.` or `./`: the root, a directory; nothing to read as the file.
                    Ok(path) if path.is_root() => {
                        if key != "evidence" {
                            r.problem(
                                s.span,
                                format!(
                                    "paths.{key} `{}` is the repository root, not a file",
                                    s.value
                                ),
                                Some(format!("name the file from the root, e.g. `{key}.yaml`")),
                            );
                        }
                        s.value
                    }
                    // The path it names (`./agents.yaml` is `agents.yaml`): it is compared
                    // with the paths of the files read, and the lock records it.
                    Ok(path) => path.to_string(),
                };
                paths.configured.push((key, s.span));
            }
        }
        if let Some(n) = p.get("max_file_size") {
            match parse_size(n) {
                Some(size) if size > MAX_FILE_SIZE_CEILING => {
                    paths.max_file_size = MAX_FILE_SIZE_CEILING;
                    r.problem(
                        n.span,
                        format!(
                            "paths.max_file_size is at most {} MiB (files over it are refused unread); this run uses {} MiB",
                            MAX_FILE_SIZE_CEILING >> 20,
                            MAX_FILE_SIZE_CEILING >> 20
                        ),
                        Some("agentlock reads the model's files, not bulk data: keep large files outside the configured paths".into()),
                    );
                }
                Some(size) => paths.max_file_size = size,
                None => r.problem(
                    n.span,
                    "paths.max_file_size must be a size such as `10MiB` or a number of bytes",
                    None,
                ),
            }
        }
    }

    let mut discover = None;
    if let Some(p) = root.get("sources")
        && r.map(p, "[sources]").is_some()
    {
        r.check_keys(p, &SOURCES, "[sources]");
        let mut found = Sources::default();
        for (key, target) in found.by_key() {
            if let Some(n) = p.get(key) {
                *target = globs(&mut r, n, &format!("sources.{key}"), &mut set_globs);
            }
        }
        discover = Some(found);
    }

    let release = read_release(&mut r, &root);

    let own = match root.get("policy") {
        Some(p) if r.map(p, "[policy]").is_some() => {
            r.check_keys(p, &POLICY, "[policy]");
            read_policy(&mut r, p, MANIFEST, "policy.")
        }
        _ => PolicyLayer {
            origin: MANIFEST.into(),
            ..PolicyLayer::default()
        },
    };
    let policy = resolve_policy(snapshot, sources, problems, own);
    Ok(Config {
        file,
        name,
        project: true,
        paths,
        sources: discover,
        release,
        policy,
        globs: set_globs,
    })
}

const OUTSIDE_HELP: &str = "paths in agentlock.toml are relative to the repository root and stay inside it: no leading `/`, no `..`";

/// A list of globs: each must stay inside the repository and parse as a glob; one that does
/// not is CONF001 at its value and left out. Each is matched as a path from the root, so a
/// leading `./` (and a `./` or `//` between components) is dropped: `./prompts/*.prompt`
/// matched nothing before. Each one kept joins `set`, at its value.
fn globs(r: &mut Reader, node: &Node, what: &str, set: &mut Vec<SetGlob>) -> Vec<String> {
    let mut out = Vec::new();
    for s in r.string_list(node, what) {
        if let Err(e) = crate::snapshot::path::check_glob(&s.value) {
            r.problem(
                s.span,
                format!("{what} `{}` {e}", s.value),
                Some(OUTSIDE_HELP.into()),
            );
            continue;
        }
        let pattern = from_root(&s.value);
        if let Err(e) = globset::Glob::new(&pattern) {
            r.problem(
                s.span,
                format!("{what} `{}` is not a valid glob: {}", s.value, e.kind()),
                None,
            );
            continue;
        }
        set.push(SetGlob {
            key: what.to_string(),
            pattern: pattern.clone(),
            span: s.span,
        });
        out.push(pattern);
    }
    out
}

/// A glob as a path from the root: without `./` components or empty ones between two others
/// (`./a//b/./*.x` is `a/b/*.x`). A pattern that is nothing else (`./`) stays as written, and
/// matches nothing, as one ending in `/` does.
fn from_root(pattern: &str) -> String {
    let all: Vec<&str> = pattern.split('/').collect();
    let last = all.len() - 1;
    let parts: Vec<&str> = all
        .iter()
        .enumerate()
        .filter(|&(i, p)| !(*p == "." || (p.is_empty() && i > 0 && i < last)))
        .map(|(_, p)| *p)
        .collect();
    let joined = parts.join("/");
    if joined.is_empty() {
        pattern.to_string()
    } else {
        joined
    }
}

/// Follows `extends` from the project's policy down to a built-in pack; returns the layers base
/// first. Problems (an unknown pack, a missing file, a cycle) are CONF001 at the `extends` value.
fn resolve_policy(
    snapshot: &dyn Snapshot,
    sources: &mut SourceMap,
    problems: &mut Vec<Problem>,
    own: PolicyLayer,
) -> PolicyConfig {
    let mut next = own.extends.clone();
    let mut layers = vec![own];
    loop {
        let Some(name) = next.take() else {
            // The chain ends at a pack; with no `extends` at all, the default pack applies.
            if !layers
                .iter()
                .any(|l| PACKS.iter().any(|(p, _)| *p == l.origin))
            {
                layers.push(pack_layer("default", sources, problems));
            }
            break;
        };
        let at = sources.get(name.span.file).path.clone();
        let fail = |problems: &mut Vec<Problem>, message: String, help: Option<String>| {
            let mut f = Problem::new(name.span, &at, message);
            f.help = help;
            problems.push(f);
        };
        if layers.iter().any(|l| l.origin == name.value) {
            fail(
                problems,
                format!("`extends = \"{}\"` makes a cycle of policies", name.value),
                Some("a policy may extend a pack or a file only once in its chain".into()),
            );
            break;
        }
        if layers.len() > MAX_EXTENDS {
            fail(
                problems,
                format!("the chain of `extends` is longer than {MAX_EXTENDS}"),
                None,
            );
            break;
        }
        let layer = if PACKS.iter().any(|(p, _)| *p == name.value) {
            pack_layer(&name.value, sources, problems)
        } else if name.value.ends_with(".toml") {
            match policy_file(snapshot, sources, problems, &name.value) {
                Ok(l) => l,
                Err(why) => {
                    fail(problems, why, Some("`extends` names a built-in pack (default, strict, regulated) or a policy file in the repository, by its path from the root".into()));
                    break;
                }
            }
        } else {
            let hint = crate::suggest::hint(&name.value, PACKS.iter().map(|(p, _)| *p));
            fail(
                problems,
                format!("unknown policy pack `{}`.{hint}", name.value),
                Some("the built-in packs are default, strict and regulated; a policy file in the repository is named by its path, ending in .toml".into()),
            );
            break;
        };
        next = layer.extends.clone();
        layers.push(layer);
    }
    layers.reverse();
    PolicyConfig { layers }
}

/// A built-in pack, added to the sources as `(built-in)/NAME.toml` so that a limit can be shown
/// where it was set.
fn pack_layer(name: &str, sources: &mut SourceMap, problems: &mut Vec<Problem>) -> PolicyLayer {
    let text = PACKS
        .iter()
        .find(|(p, _)| *p == name)
        .map_or("", |(_, t)| *t);
    let path = format!("(built-in)/{name}.toml");
    let file = sources.add(path.clone(), Some(text.into()));
    let root = node::parse_toml(text, file).expect("built-in policy packs are valid TOML");
    let mut r = Reader::new(file, &path, text, problems);
    r.check_keys(&root, &PACK, "a policy pack");
    let mut layer = read_policy(&mut r, &root, name, "");
    layer.origin = name.to_string();
    layer
}

/// A policy file in the repository: the same keys as a pack.
fn policy_file(
    snapshot: &dyn Snapshot,
    sources: &mut SourceMap,
    problems: &mut Vec<Problem>,
    path: &str,
) -> Result<PolicyLayer, String> {
    if let Err(e) = crate::snapshot::RepoPath::parse(path) {
        return Err(format!(
            "policy file `{path}` {e}; it must be a path inside the repository, from its root"
        ));
    }
    let bytes = snapshot
        .read_str(path, DEFAULT_MAX_FILE_SIZE)
        .map_err(|e| match e {
            ReadError::NotFound => format!("policy file `{path}` does not exist"),
            other => format!("policy file `{path}`: {other}"),
        })?;
    let text: crate::source::Text = String::from_utf8(bytes)
        .map_err(|_| format!("policy file `{path}` is not UTF-8 text"))?
        .into();
    let file = sources.add(path.to_string(), Some(text.clone()));
    let root = match node::parse_toml(&text, file) {
        Ok(root) => root,
        Err(e) => {
            let offset = e.offset.unwrap_or(0);
            let mut f = Problem::new(
                Span::new(file, offset, offset + 1),
                path,
                format!("{path} is not valid TOML: {}", e.message),
            );
            f.help = None;
            problems.push(f);
            return Ok(PolicyLayer {
                origin: path.to_string(),
                ..PolicyLayer::default()
            });
        }
    };
    let mut r = Reader::new(file, path, &text, problems);
    if r.map(&root, path).is_none() {
        return Ok(PolicyLayer::default());
    }
    r.check_keys(&root, &PACK, "a policy file");
    Ok(read_policy(&mut r, &root, path, ""))
}

/// Reads one policy table. `prefix` is how its keys are named in messages (`policy.` in
/// agentlock.toml, nothing in a pack or policy file).
fn read_policy(r: &mut Reader, p: &Node, origin: &str, prefix: &str) -> PolicyLayer {
    let mut out = PolicyLayer {
        origin: origin.to_string(),
        extends: r.opt_string(p, "extends", &format!("{prefix}extends")),
        ..PolicyLayer::default()
    };
    if let Some(sev) = p.get("severity") {
        for (key, value) in r
            .map(sev, &format!("[{prefix}severity]"))
            .unwrap_or_default()
        {
            // The policy checks the code against the rules.
            let code = Sp::new(key.name.clone(), key.span);
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
        && r.map(l, &format!("[{prefix}limits]")).is_some()
    {
        r.check_keys(l, &LIMITS, &format!("[{prefix}limits]"));
        let name = |key: &str| format!("{prefix}limits.{key}");
        out.limits.max_timeout = r.opt_duration(l, "max_timeout", &name("max_timeout"));
        for (key, slot) in [
            ("max_retries", &mut out.limits.max_retries),
            ("max_iterations", &mut out.limits.max_iterations),
            (
                "max_description_length",
                &mut out.limits.max_description_length,
            ),
            ("max_canary_percent", &mut out.limits.max_canary_percent),
            (
                "kill_switch_max_age_days",
                &mut out.limits.kill_switch_max_age_days,
            ),
        ] {
            *slot = r.opt_uint(l, key, &name(key));
        }
        out.limits.require_exception_expiry = l
            .get("require_exception_expiry")
            .and_then(|n| r.bool(n, &name("require_exception_expiry")));
        for (key, slot, range) in [
            ("min_pass_rate", &mut out.limits.min_pass_rate, (0.0, 1.0)),
            ("alpha", &mut out.limits.alpha, (0.0, 0.5)),
            (
                "max_score_drop",
                &mut out.limits.max_score_drop,
                (0.0, f64::MAX),
            ),
        ] {
            *slot = r.opt_number(l, key, &name(key), range);
        }
        out.limits.allowed_roles = l
            .get("allowed_roles")
            .map(|n| r.string_list(n, &name("allowed_roles")));
        out.limits.allowed_permissions = l
            .get("allowed_permissions")
            .map(|n| r.string_list(n, &name("allowed_permissions")));
    }
    if let Some(sec) = p.get("secrets") {
        out.secret_allow = read_secret_allow(r, sec, prefix);
    }
    if let Some(ex) = p.get("exceptions") {
        out.exceptions = read_exceptions(r, ex, prefix);
    }
    if let Some(n) = p.get("rego") {
        out.rego = globs(r, n, &format!("{prefix}rego"), &mut out.globs);
    }
    out
}

/// `[policy.secrets]`: the allowlist of credentials accepted by fingerprint.
fn read_secret_allow(r: &mut Reader, sec: &Node, prefix: &str) -> Vec<SecretAllow> {
    let mut out = Vec::new();
    if r.map(sec, &format!("[{prefix}secrets]")).is_some() {
        r.check_keys(sec, &SECRETS, &format!("[{prefix}secrets]"));
        let items: &[Node] = match sec.get("allow").map(|a| &a.value) {
            Some(Value::Seq(items)) => items,
            Some(_) => {
                r.problem(
                    sec.span,
                    format!("{prefix}secrets.allow must be an array of tables ([[{prefix}secrets.allow]])"),
                    None,
                );
                &[]
            }
            None => &[],
        };
        for item in items {
            if r.map(item, "a secret allowlist entry").is_none() {
                continue;
            }
            r.check_keys(item, &SECRET_ALLOW, &format!("[[{prefix}secrets.allow]]"));
            let fingerprint = r.opt_string(item, "fingerprint", "fingerprint");
            let reason = r
                .opt_string(item, "reason", "reason")
                .filter(|s| !s.value.trim().is_empty());
            match (fingerprint, reason) {
                (Some(f), Some(reason)) => {
                    if f.value.len() != 16 || !f.value.bytes().all(|b| b.is_ascii_hexdigit()) {
                        r.problem(
                            f.span,
                            "a secret fingerprint is the 16 hex digits a SECRET finding prints",
                            None,
                        );
                        continue;
                    }
                    out.push(SecretAllow {
                        fingerprint: Sp::new(f.value.to_ascii_lowercase(), f.span),
                        reason,
                    });
                }
                _ => r.problem(
                    item.span,
                    "a secret allowlist entry needs a `fingerprint` and a `reason`; it is ignored until then",
                    None,
                ),
            }
        }
    }
    out
}

/// `[[policy.exceptions]]`: findings accepted on record, each with its rule, subject and reason.
fn read_exceptions(r: &mut Reader, ex: &Node, prefix: &str) -> Vec<Exception> {
    let mut out = Vec::new();
    let items: &[Node] = match &ex.value {
        Value::Seq(items) => items,
        _ => {
            r.problem(
                ex.span,
                format!("{prefix}exceptions must be an array of tables ([[{prefix}exceptions]])"),
                None,
            );
            &[]
        }
    };
    for item in items {
        if r.map(item, "an exception").is_none() {
            continue;
        }
        r.check_keys(item, &EXCEPTION, &format!("[[{prefix}exceptions]]"));
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
                out.push(Exception {
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
    out
}

#[cfg(test)]
mod glob_tests {
    use super::from_root;

    #[test]
    fn a_glob_is_read_as_a_path_from_the_root() {
        assert_eq!(from_root("./prompts/*.prompt"), "prompts/*.prompt");
        assert_eq!(from_root("././a//b/./*.x"), "a/b/*.x");
        assert_eq!(from_root("prompts/**/*.prompt"), "prompts/**/*.prompt");
        // A directory stays one (CONF002 says a glob names files), and `./` alone stays.
        assert_eq!(from_root("prompts/"), "prompts/");
        assert_eq!(from_root("./"), "./");
        assert_eq!(from_root("**"), "**");
    }
}
