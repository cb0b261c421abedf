//! Typed reading of a spanned tree, with CONF001 findings for what does not fit.
//!
//! Loaders use a [`Reader`] to pull typed fields out of a [`Node`]: every mismatch (wrong type,
//! unknown key, bad duration) becomes a CONF001 finding at the offending key or value, and the
//! loader carries on with what it could read.

use super::fields::{Table, Ty};
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

    /// Reports every key of `node` that is not in `table` (unless the table is open), with a
    /// did-you-mean suggestion, and checks the type of each [passive](Field::passive) field
    /// (the loader reads the others itself).
    pub fn check_keys(&mut self, node: &Node, table: &Table, what: &str) {
        self.check_keys_at(node, table, what, "");
    }

    /// [`Reader::check_keys`], naming a passive field `{prefix}{key}` in its problems.
    fn check_keys_at(&mut self, node: &Node, table: &Table, what: &str, prefix: &str) {
        let Some(entries) = node.as_map() else { return };
        for (key, value) in entries {
            match table.get(&key.name) {
                Some(field) => {
                    if field.passive {
                        self.check_ty(value, &field.ty, &format!("{prefix}{}", key.name));
                    }
                }
                None if table.open => {}
                None => {
                    let allowed = table.names();
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
    }

    /// Checks a value against a type of the field tables: a problem for each mismatch (null is
    /// a value that is not there, and fits any type). Whether it fitted.
    pub fn check_ty(&mut self, node: &Node, ty: &Ty, what: &str) -> bool {
        if matches!(node.value, Value::Null) {
            return true;
        }
        let before = self.problems.len();
        match ty {
            Ty::Str => {
                self.string(node, what);
            }
            Ty::Text | Ty::Pattern(_) => {
                if node.as_str().is_none() {
                    self.problem(
                        node.span,
                        format!("{what} must be a string, found {}", node.kind()),
                        None,
                    );
                }
            }
            Ty::Uint => {
                self.uint(node, what);
            }
            Ty::Int => {
                if !matches!(node.value, Value::Int(_)) {
                    self.problem(
                        node.span,
                        format!("{what} must be a whole number, found {}", node.kind()),
                        None,
                    );
                }
            }
            Ty::Positive => {
                if let Some(n) = self.uint(node, what)
                    && n.value == 0
                {
                    self.problem(n.span, format!("{what} must be at least 1"), None);
                }
            }
            Ty::Number | Ty::Range(..) => {
                let (lo, hi) = match ty {
                    Ty::Range(lo, hi) => (*lo, *hi),
                    _ => (f64::MIN, f64::MAX),
                };
                let v = match &node.value {
                    Value::Int(i) => Some(*i as f64),
                    Value::Float(f) => Some(*f),
                    _ => None,
                };
                match v {
                    Some(_) if matches!(ty, Ty::Number) => {}
                    Some(v) if (lo..=hi).contains(&v) => {}
                    Some(_) => self.problem(
                        node.span,
                        format!("{what} must be a number from {lo} to {hi}"),
                        None,
                    ),
                    None => self.problem(
                        node.span,
                        format!("{what} must be a number, found {}", node.kind()),
                        None,
                    ),
                }
            }
            Ty::Bool => {
                self.bool(node, what);
            }
            Ty::Duration => {
                self.duration(node, what);
            }
            Ty::Rate => {
                self.rate(node, what);
            }
            Ty::Date => {
                let ok = node
                    .scalar_text()
                    .is_some_and(|t| crate::date::parse_date(&t).is_some());
                if !ok {
                    self.problem(
                        node.span,
                        format!("{what} must be a date written YYYY-MM-DD"),
                        None,
                    );
                }
            }
            Ty::Size => {
                if parse_size(node).is_none() {
                    self.problem(
                        node.span,
                        format!("{what} must be a size such as `10MiB` or a number of bytes"),
                        None,
                    );
                }
            }
            Ty::Enum(values) => {
                if let Some(v) = self.string(node, what)
                    && !values.contains(&v.value.as_str())
                {
                    let hint = crate::suggest::hint(&v.value, values.iter().copied());
                    self.problem(
                        v.span,
                        format!(
                            "{what} must be one of {}, found `{}`.{hint}",
                            values.join(", "),
                            v.value
                        ),
                        None,
                    );
                }
            }
            Ty::ConstInt(want) => {
                if !matches!(node.value, Value::Int(i) if i == *want) {
                    self.problem(node.span, format!("{what} must be {want}"), None);
                }
            }
            Ty::List(item) => match &node.value {
                Value::Seq(items) => {
                    for i in items {
                        self.check_ty(i, item, what);
                    }
                }
                _ => self.problem(
                    node.span,
                    format!("{what} must be a list, found {}", node.kind()),
                    None,
                ),
            },
            Ty::StrList => {
                self.string_list(node, what);
            }
            Ty::Object(table) => {
                if self.map(node, what).is_some() {
                    self.check_keys_at(node, table, &format!("`{what}`"), &format!("{what}."));
                    for (key, value) in node.as_map().unwrap_or_default() {
                        if let Some(field) = table.get(&key.name).filter(|f| !f.passive) {
                            self.check_ty(value, &field.ty, &format!("{what}.{}", key.name));
                        }
                    }
                }
            }
            Ty::Map(item) => {
                for (key, value) in self.map(node, what).unwrap_or_default() {
                    self.check_ty(value, item, &format!("{what}.{}", key.name));
                }
            }
            Ty::OneOf(tys) => {
                // The first type that fits; if none does, the first one's problems.
                let mut first = None;
                for t in *tys {
                    let mut scratch = Vec::new();
                    let mut r = Reader::new(self.file, self.path, self.text, &mut scratch);
                    if r.check_ty(node, t, what) {
                        return true;
                    }
                    first.get_or_insert(scratch);
                }
                self.problems.extend(first.unwrap_or_default());
            }
            Ty::Any => {}
        }
        self.problems.len() == before
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
            // A whole number past 64 bits, which the parser keeps as a float.
            Value::Float(f) if f.fract() == 0.0 && *f >= 9.2e18 => {
                self.problem(
                    node.span,
                    format!(
                        "{what} is too large: found {}, at most {}",
                        self.describe(node),
                        i64::MAX
                    ),
                    None,
                );
                None
            }
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

/// A size: a positive number of bytes, or a number with a unit (`10MiB`, `500KB`).
pub fn parse_size(n: &Node) -> Option<u64> {
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_whole_number_past_64_bits_is_too_large_not_a_negative_one() {
        let text = "big: 18446744073709551615\nneg: -1\nok: 3\n";
        let file = crate::source::FileId(0);
        let root = crate::node::parse_yaml(text, file).unwrap();
        let mut problems = Vec::new();
        let mut r = Reader::new(file, "t.yaml", text, &mut problems);
        assert!(r.opt_uint(&root, "big", "retries").is_none());
        assert!(r.opt_uint(&root, "neg", "retries").is_none());
        assert_eq!(r.opt_uint(&root, "ok", "retries").map(|n| n.value), Some(3));
        let said: Vec<&str> = problems.iter().map(|p| p.message.as_str()).collect();
        assert_eq!(
            said,
            [
                "retries is too large: found `18446744073709551615`, at most 9223372036854775807",
                "retries must be a whole number of zero or more, found `-1`",
            ]
        );
    }
}
