//! A load problem: something in a file agentlock could not read as the format means it. Loaders
//! return these (with the place, what it is about and how to fix it); the CONF001 rule turns
//! them into findings, so loading knows nothing of rules.

use crate::source::Span;

#[derive(Clone, Debug)]
pub struct Problem {
    /// Where: the offending value, or its key when the value is missing.
    pub span: Span,
    /// The file (or the item) it is about.
    pub subject: String,
    /// What is wrong, in one sentence.
    pub message: String,
    /// The primary label's text, when not the default.
    pub label: Option<String>,
    /// Other places that explain it.
    pub labels: Vec<(Span, String)>,
    /// How to fix it.
    pub help: Option<String>,
}

impl Problem {
    pub fn new(span: Span, subject: impl Into<String>, message: impl Into<String>) -> Problem {
        Problem {
            span,
            subject: subject.into(),
            message: message.into(),
            label: None,
            labels: Vec::new(),
            help: None,
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
        self.labels.push((span, text.into()));
        self
    }
}
