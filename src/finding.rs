//! A finding: one thing a rule found, at one place.

use crate::rules::Rule;
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

/// A secondary place a finding points at, with what it is.
#[derive(Clone, Debug)]
pub struct Label {
    pub span: Span,
    pub text: String,
}

#[derive(Clone, Debug)]
pub struct Finding {
    pub code: &'static str,
    pub name: &'static str,
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
        rule: &Rule,
        span: Span,
        subject: impl Into<String>,
        message: impl Into<String>,
    ) -> Self {
        Finding {
            code: rule.code,
            name: rule.name,
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
