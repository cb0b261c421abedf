//! Typed reading of a spanned tree, with CONF001 findings for what does not fit.
//!
//! Loaders use a [`Reader`] to pull typed fields out of a [`Node`]: every mismatch (wrong type,
//! unknown key, bad duration) becomes a CONF001 finding at the offending key or value, and the
//! loader carries on with what it could read.

use crate::node::{Key, Node, Value};
use crate::problem::Problem;
use crate::source::Sp;
use crate::source::{FileId, Span};
use crate::units::{self, Duration, Rate};

pub struct Reader<'a> {
    pub file: FileId,
    pub path: &'a str,
    pub text: &'a str,
    pub problems: &'a mut Vec<Problem>,
}

impl<'a> Reader<'a> {
    pub fn new(file: FileId, path: &'a str, text: &'a str, problems: &'a mut Vec<Problem>) -> Self {
        Reader {
            file,
            path,
            text,
            problems,
        }
    }

    pub fn problem(&mut self, span: Span, message: impl Into<String>, help: Option<String>) {
        let mut f = Problem::new(span, self.path, message);
        f.help = help;
        self.problems.push(f);
    }

    /// The source text of a node, without surrounding quotes: what the user wrote.
    pub fn raw(&self, node: &Node) -> String {
        if let Value::Str(s) = &node.value {
            return s.clone();
        }
        let text = self
            .text
            .get(node.span.start as usize..node.span.end as usize)
            .unwrap_or("");
        if text.is_empty() {
            node.scalar_text().unwrap_or_default()
        } else {
            text.to_string()
        }
    }

    pub fn map<'n>(&mut self, node: &'n Node, what: &str) -> Option<&'n [(Key, Node)]> {
        match &node.value {
            Value::Map(m) => Some(m),
            Value::Null => Some(&[]),
            _ => {
                self.problem(
                    node.span,
                    format!("{what} must be a mapping, found {}", node.kind()),
                    None,
                );
                None
            }
        }
    }

    /// Reports every key of `node` that is not in `allowed`, with a did-you-mean suggestion.
    pub fn check_keys(&mut self, node: &Node, allowed: &[&str], what: &str) {
        let Some(entries) = node.as_map() else { return };
        for (key, _) in entries {
            if !allowed.contains(&key.name.as_str()) {
                let hint = crate::suggest::did_you_mean(&key.name, allowed.iter().copied());
                let help = match hint {
                    Some(s) => format!("did you mean `{s}`?"),
                    None => format!("the keys of {what} are: {}", allowed.join(", ")),
                };
                self.problem(
                    key.span,
                    format!("unknown key `{}` in {what}", key.name),
                    Some(help),
                );
            }
        }
    }

    pub fn string(&mut self, node: &Node, what: &str) -> Option<Sp<String>> {
        match &node.value {
            Value::Str(s) => Some(Sp::new(s.clone(), node.span)),
            Value::Int(_) | Value::Float(_) | Value::Bool(_) => {
                Some(Sp::new(self.raw(node), node.span))
            }
            _ => {
                self.problem(
                    node.span,
                    format!("{what} must be a string, found {}", node.kind()),
                    None,
                );
                None
            }
        }
    }

    pub fn opt_string(&mut self, map: &Node, key: &str, what: &str) -> Option<Sp<String>> {
        let node = map.get(key)?;
        if matches!(node.value, Value::Null) {
            return None;
        }
        self.string(node, what)
    }

    pub fn uint(&mut self, node: &Node, what: &str) -> Option<Sp<u64>> {
        match &node.value {
            Value::Int(i) if *i >= 0 => Some(Sp::new(*i as u64, node.span)),
            _ => {
                self.problem(
                    node.span,
                    format!(
                        "{what} must be a whole number of zero or more, found {}",
                        self.describe(node)
                    ),
                    None,
                );
                None
            }
        }
    }

    pub fn opt_uint(&mut self, map: &Node, key: &str, what: &str) -> Option<Sp<u64>> {
        map.get(key)
            .filter(|n| !matches!(n.value, Value::Null))
            .and_then(|n| self.uint(n, what))
    }

    /// A number (whole or not) within `range` (inclusive), or a problem at the value.
    pub fn opt_number(
        &mut self,
        map: &Node,
        key: &str,
        what: &str,
        (lo, hi): (f64, f64),
    ) -> Option<Sp<f64>> {
        let node = map.get(key).filter(|n| !matches!(n.value, Value::Null))?;
        let v = match &node.value {
            Value::Float(f) => Some(*f),
            Value::Int(i) => Some(*i as f64),
            _ => None,
        };
        match v {
            Some(v) if v.is_finite() && (lo..=hi).contains(&v) => Some(Sp::new(v, node.span)),
            _ => {
                let range = if hi == f64::MAX {
                    format!("{lo} or more")
                } else {
                    format!("from {lo} to {hi}")
                };
                self.problem(
                    node.span,
                    format!(
                        "{what} must be a number {range}, found {}",
                        self.describe(node)
                    ),
                    None,
                );
                None
            }
        }
    }

    pub fn bool(&mut self, node: &Node, what: &str) -> Option<Sp<bool>> {
        match &node.value {
            Value::Bool(b) => Some(Sp::new(*b, node.span)),
            _ => {
                self.problem(
                    node.span,
                    format!(
                        "{what} must be true or false, found {}",
                        self.describe(node)
                    ),
                    None,
                );
                None
            }
        }
    }

    pub fn duration(&mut self, node: &Node, what: &str) -> Option<Sp<Duration>> {
        let text = match &node.value {
            Value::Str(s) => s.clone(),
            Value::Int(_) | Value::Float(_) => self.raw(node),
            _ => {
                self.problem(
                    node.span,
                    format!(
                        "{what} must be a duration such as `30s`, found {}",
                        node.kind()
                    ),
                    None,
                );
                return None;
            }
        };
        match units::parse_duration(&text) {
            Ok(d) => Some(Sp::new(d, node.span)),
            Err(e) => {
                self.problem(
                    node.span,
                    format!("invalid {what}: {e}"),
                    Some("durations are written `250ms`, `30s` or `2m`".into()),
                );
                None
            }
        }
    }

    pub fn opt_duration(&mut self, map: &Node, key: &str, what: &str) -> Option<Sp<Duration>> {
        map.get(key)
            .filter(|n| !matches!(n.value, Value::Null))
            .and_then(|n| self.duration(n, what))
    }

    pub fn rate(&mut self, node: &Node, what: &str) -> Option<Sp<Rate>> {
        let Some(text) = node.as_str() else {
            self.problem(
                node.span,
                format!(
                    "{what} must be a rate such as `50/s`, found {}",
                    node.kind()
                ),
                None,
            );
            return None;
        };
        match units::parse_rate(text) {
            Ok(r) => Some(Sp::new(r, node.span)),
            Err(e) => {
                self.problem(
                    node.span,
                    format!("invalid {what}: {e}"),
                    Some("rates are written `N/s`, `N/m` or `N/h`".into()),
                );
                None
            }
        }
    }

    pub fn opt_rate(&mut self, map: &Node, key: &str, what: &str) -> Option<Sp<Rate>> {
        map.get(key)
            .filter(|n| !matches!(n.value, Value::Null))
            .and_then(|n| self.rate(n, what))
    }

    /// A list of strings; a single string is accepted as a list of one.
    pub fn string_list(&mut self, node: &Node, what: &str) -> Vec<Sp<String>> {
        match &node.value {
            Value::Seq(items) => items.iter().filter_map(|i| self.string(i, what)).collect(),
            Value::Str(s) => vec![Sp::new(s.clone(), node.span)],
            Value::Null => Vec::new(),
            _ => {
                self.problem(
                    node.span,
                    format!("{what} must be a list of strings, found {}", node.kind()),
                    None,
                );
                Vec::new()
            }
        }
    }

    pub fn opt_string_list(&mut self, map: &Node, key: &str, what: &str) -> Vec<Sp<String>> {
        map.get(key)
            .map(|n| self.string_list(n, what))
            .unwrap_or_default()
    }
}

impl Reader<'_> {
    /// A value as quoted in a message: a short scalar as written in the file (a number too
    /// large for 64 bits is shown as its digits, not as the float it was read as), else its
    /// kind.
    fn describe(&self, node: &Node) -> String {
        match &node.value {
            Value::Int(_) | Value::Float(_) | Value::Str(_) => {
                let raw = self.raw(node);
                if raw.chars().count() <= 40 {
                    format!("`{raw}`")
                } else {
                    node.kind().to_string()
                }
            }
            _ => node.kind().to_string(),
        }
    }
}

/// The span of a key in a mapping node, if present.
pub fn key_span(map: &Node, key: &str) -> Option<Span> {
    map.as_map()?
        .iter()
        .find(|(k, _)| k.name == key)
        .map(|(k, _)| k.span)
}
