//! A finding: one thing a rule found, at one place, and what every rule declares about itself.
//!
//! [`Meta`] lives here, below the rules, so that a finding can point at its rule and the
//! policy, the checklist and the reports can read a rule's declaration without depending on
//! the checks themselves.

use crate::source::Span;
use serde::Serialize;

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Info,
    Warning,
    Error,
}

impl Severity {
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Error => "error",
            Severity::Warning => "warning",
            Severity::Info => "info",
        }
    }

    pub fn parse(s: &str) -> Option<Option<Severity>> {
        match s {
            "error" => Some(Some(Severity::Error)),
            "warning" | "warn" => Some(Some(Severity::Warning)),
            "info" => Some(Some(Severity::Info)),
            "off" => Some(None),
            _ => None,
        }
    }
}

/// Everything a rule declares about itself, apart from its check.
#[derive(Debug)]
pub struct Meta {
    pub code: &'static str,
    pub name: &'static str,
    pub severity: Severity,
    /// One line: what the rule checks.
    pub summary: &'static str,
    /// The deployment checklist section it automates (`1.1`), if any.
    pub checklist: Option<&'static str>,
    /// What it needs to run; without one of these it is reported as not run, with the reason.
    pub needs: &'static [Need],
    /// What it looks at: what the checklist counts on an item the rule ticks.
    pub scope: Scope,
    /// How far a policy may change what it reports.
    pub control: Control,
    /// Why it matters, how to fix it, and an example (Markdown).
    pub docs: &'static str,
}

/// Something a rule needs beyond the repository's files.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Need {
    /// An agentlock project (agentlock.toml): it checks what only a project declares
    /// (deploy.yaml, golden datasets).
    Project,
    /// The lockfile comparison (off with `--no-lock-check`).
    Lock,
    /// The git release history.
    History,
    /// Evidence kept in the repository (`evidence/index.toml`).
    Evidence,
    /// Exported traces (`agentlock traces FILE…`).
    Traces,
}

/// How far a policy may change what a rule reports.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Control {
    /// Its severity (or off), exceptions and inline suppressions.
    Full,
    /// Its severity only: its findings are about the policy's own records, which an exception
    /// or a suppression would only hide.
    SeverityOnly,
    /// Nothing: always an error (a file that could not be read hides everything in it).
    Fixed,
}

/// The rule a code (any case) or a name stands for, in a catalog.
pub fn find(catalog: &[&'static Meta], code: &str) -> Option<&'static Meta> {
    catalog
        .iter()
        .copied()
        .find(|r| r.code.eq_ignore_ascii_case(code) || r.name == code)
}

/// What a rule looks at.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Scope {
    Agents,
    Prompts,
    /// Every tool server.
    ToolServers,
    /// The tool servers whose manifest can declare settings (not those only launched from an
    /// MCP client config or a registry server.json).
    DeclaredToolServers,
    Tools,
    ModelAliases,
    Datasets,
    /// Every file read.
    Files,
    Lockfile,
    ReleaseTags,
    /// The deployment file (deploy.yaml).
    Deploy,
    /// The policy itself (exceptions, suppressions).
    Policy,
    /// The traces `agentlock traces` reads.
    Traces,
}

/// A secondary place a finding points at, with what it is.
#[derive(Clone, Debug)]
pub struct Label {
    pub span: Span,
    pub text: String,
}

#[derive(Clone, Debug)]
pub struct Finding {
    /// The rule that found it.
    pub rule: &'static Meta,
    pub severity: Severity,
    /// What is wrong, in one sentence.
    pub message: String,
    /// Where: the offending value, or its key when the value is missing.
    pub span: Span,
    /// The text of the primary label (defaults to a short form of the message).
    pub label: Option<String>,
    /// The agent, prompt, tool, model alias, dataset or file this is about.
    pub subject: String,
    /// Other places that explain the finding (the rest of a cycle, the definition it clashes with).
    pub labels: Vec<Label>,
    /// How to fix it.
    pub help: Option<String>,
    /// For a credential: the fingerprint of its value (a truncated SHA-256), by which a policy
    /// allows a known one; never the value itself.
    pub fingerprint: Option<String>,
}

impl Finding {
    pub fn new(
        rule: &'static Meta,
        span: Span,
        subject: impl Into<String>,
        message: impl Into<String>,
    ) -> Self {
        Finding {
            rule,
            severity: rule.severity,
            message: message.into(),
            span,
            label: None,
            subject: subject.into(),
            labels: Vec::new(),
            help: None,
            fingerprint: None,
        }
    }

    pub fn code(&self) -> &'static str {
        self.rule.code
    }

    pub fn name(&self) -> &'static str {
        self.rule.name
    }

    pub fn help(mut self, help: impl Into<String>) -> Self {
        self.help = Some(help.into());
        self
    }

    pub fn label(mut self, text: impl Into<String>) -> Self {
        self.label = Some(text.into());
        self
    }

    pub fn with_label(mut self, span: Span, text: impl Into<String>) -> Self {
        self.labels.push(Label {
            span,
            text: text.into(),
        });
        self
    }
}

/// How many findings of each severity, and how many the policy suppressed.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Summary {
    pub error: usize,
    pub warning: usize,
    pub info: usize,
    pub suppressed: usize,
}

impl Summary {
    pub fn of(findings: &[Finding], suppressed: usize) -> Summary {
        let count = |s| findings.iter().filter(|f| f.severity == s).count();
        Summary {
            error: count(Severity::Error),
            warning: count(Severity::Warning),
            info: count(Severity::Info),
            suppressed,
        }
    }
}

/// Each finding's fingerprint, as SARIF's `partialFingerprints` carry it and `--new-since`
/// matches findings across revisions: the rule, the file, the subject and the message, not
/// the line (so edits elsewhere in the file keep it); repeats get an occurrence number.
pub fn fingerprints(findings: &[Finding], sources: &crate::source::SourceMap) -> Vec<String> {
    let mut seen: std::collections::HashMap<String, usize> = std::collections::HashMap::new();
    findings
        .iter()
        .map(|f| {
            let (path, _, _) = sources.locate(f.span);
            let key = format!("{}\0{path}\0{}\0{}", f.code(), f.subject, f.message);
            let hex = crate::digest::sha256_hex(key.as_bytes());
            let n = seen.entry(hex.clone()).or_insert(0);
            *n += 1;
            format!("{}:{}", &hex[..32], n)
        })
        .collect()
}
