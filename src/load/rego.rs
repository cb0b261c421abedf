//! What a Rego policy file declares, read from its text: its package, and each rule head
//! conftest gives a meaning to (`deny`, `warn`, `violation`, their `_name` forms, `exception`,
//! `test_`), with the METADATA comment above it and the codes its results name. regorus
//! evaluates the rules (`crate::rego`); this finds where each one is written and what it says
//! about itself, so that its codes are rules of the catalog before anything is evaluated: a
//! severity or an exception in agentlock.toml may name them, and the lock hashes the policy
//! over them.

use crate::finding::{Control, Meta, Scope, Severity};
use crate::source::{FileId, Span};
use serde_json::Value;
use std::sync::Mutex;

/// A rule head at the start of a line.
#[derive(Clone, Debug)]
pub struct Head {
    /// `deny`, `deny_destructive`, `warn`, `exception`, `test_writer_has_timeout`.
    pub name: String,
    /// Byte range of the name.
    pub start: usize,
    pub end: usize,
    /// The METADATA annotation above it, as JSON (`title`, `description`, `custom`).
    pub metadata: Option<Value>,
    /// The codes written as `"code": "ACME001"` in its body (up to the next rule head).
    pub codes: Vec<String>,
}

/// What a file declares.
#[derive(Clone, Debug, Default)]
pub struct Declared {
    /// `acme.tools` (without `data.`), if the file has a package line.
    pub package: Option<String>,
    pub heads: Vec<Head>,
}

/// Which rules conftest's conventions read.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    Deny,
    Warn,
    Violation,
    Exception,
    Test,
}

impl Kind {
    pub fn of(name: &str) -> Option<Kind> {
        let is = |prefix: &str| name == prefix || name.starts_with(&format!("{prefix}_"));
        if is("deny") {
            Some(Kind::Deny)
        } else if is("warn") {
            Some(Kind::Warn)
        } else if is("violation") {
            Some(Kind::Violation)
        } else if name == "exception" {
            Some(Kind::Exception)
        } else if name.starts_with("test_") {
            Some(Kind::Test)
        } else {
            None
        }
    }

    /// A `deny_writer` rule's name without its kind: what an exception names (`writer`).
    pub fn short(name: &str) -> &str {
        ["deny_", "warn_", "violation_"]
            .iter()
            .find_map(|p| name.strip_prefix(p))
            .unwrap_or(name)
    }
}

fn ident(line: &str) -> &str {
    let end = line
        .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
        .unwrap_or(line.len());
    &line[..end]
}

/// Reads the package and the rule heads of a file.
pub fn read(text: &str) -> Declared {
    let mut out = Declared::default();
    let mut offset = 0;
    let mut comments: Vec<&str> = Vec::new();
    for raw in text.split_inclusive('\n') {
        let line = raw.trim_end_matches(['\n', '\r']);
        let start = offset;
        offset += raw.len();
        if let Some(c) = line.trim_start().strip_prefix('#') {
            comments.push(c);
            continue;
        }
        let block = std::mem::take(&mut comments);
        if let Some(rest) = line.strip_prefix("package ") {
            if out.package.is_none() {
                let pkg = rest.split('#').next().unwrap_or("").trim();
                out.package = Some(pkg.to_string());
            }
            continue;
        }
        let name = ident(line);
        if name.is_empty() || Kind::of(name).is_none() {
            continue;
        }
        let after = line[name.len()..].trim_start();
        let is_head = after.is_empty()
            || ["[", "{", "contains", "if", "=", ":="]
                .iter()
                .any(|t| after.starts_with(t));
        if !is_head {
            continue;
        }
        out.heads.push(Head {
            name: name.to_string(),
            start,
            end: start + name.len(),
            metadata: metadata(&block),
            codes: Vec::new(),
        });
    }
    // The literal codes of each head's body.
    for i in 0..out.heads.len() {
        let from = out.heads[i].end;
        let to = out.heads.get(i + 1).map_or(text.len(), |h| h.start);
        out.heads[i].codes = literal_codes(&text[from..to]);
    }
    out
}

/// Whether a policy's code has a code's shape: a letter, then up to 63 letters, digits, `_`,
/// `.` or `-` (ASCII). A code is printed in every report, in code spans, cells and log lines:
/// one that is not of this shape could break out of them, and is not taken.
pub fn is_code(c: &str) -> bool {
    let b = c.as_bytes();
    !b.is_empty()
        && b.len() <= 64
        && b[0].is_ascii_alphabetic()
        && b.iter()
            .all(|&x| x.is_ascii_alphanumeric() || matches!(x, b'_' | b'.' | b'-'))
}

/// `"code": "ACME001"` (or `code := "ACME001"`) literals.
fn literal_codes(body: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    let bytes = body.as_bytes();
    let mut from = 0;
    while let Some(i) = body[from..].find("code") {
        let at = from + i;
        from = at + 4;
        let ident = |b: u8| b.is_ascii_alphanumeric() || b == b'_';
        if at > 0 && ident(bytes[at - 1]) || bytes.get(at + 4).copied().is_some_and(ident) {
            continue;
        }
        let t = body[at + 4..].trim_start_matches('"').trim_start();
        let Some(t) = t.strip_prefix(":=").or_else(|| t.strip_prefix(':')) else {
            continue;
        };
        let Some(t) = t.trim_start().strip_prefix('"') else {
            continue;
        };
        let Some(end) = t.find('"') else { continue };
        let code = &t[..end];
        if is_code(code) && !out.iter().any(|c| c == code) {
            out.push(code.to_string());
        }
    }
    out
}

/// A file's rule head with its place: what evaluation and the catalog need.
#[derive(Clone, Debug)]
pub struct OrgRule<'a> {
    pub file: FileId,
    pub path: &'a str,
    pub package: &'a str,
    pub head: &'a Head,
    pub kind: Kind,
}

impl OrgRule<'_> {
    pub fn span(&self) -> Span {
        Span::new(self.file, self.head.start, self.head.end)
    }

    /// The code of its results that name none: METADATA's `custom.code`, else
    /// `package.rule`.
    pub fn default_code(&self) -> String {
        self.declared_code()
            .filter(|c| is_code(c))
            .map(str::to_string)
            .unwrap_or_else(|| self.path_code())
    }

    /// METADATA's `custom.code`, as written (see [`is_code`]).
    pub fn declared_code(&self) -> Option<&str> {
        self.head.metadata.as_ref()?["custom"]["code"].as_str()
    }

    /// The code of a rule that declares none: its path, `acme.tools.deny_x`.
    pub fn path_code(&self) -> String {
        format!("{}.{}", self.package, self.head.name)
    }

    pub fn severity(&self) -> Severity {
        let declared = self
            .head
            .metadata
            .as_ref()
            .and_then(|m| m["custom"]["severity"].as_str())
            .and_then(Severity::parse)
            .flatten();
        declared.unwrap_or(match self.kind {
            Kind::Warn => Severity::Warning,
            _ => Severity::Error,
        })
    }

    /// Every code it declares: its default code and the literal codes of its body.
    pub fn codes(&self) -> Vec<String> {
        let mut out = vec![self.default_code()];
        for c in &self.head.codes {
            if !out.contains(c) {
                out.push(c.clone());
            }
        }
        out
    }

    /// The declaration of one of its codes.
    pub fn meta(&self, code: &str) -> &'static Meta {
        let m = self.head.metadata.as_ref();
        let title = m.and_then(|m| m["title"].as_str());
        let description = m.and_then(|m| m["description"].as_str());
        // One line, whatever the policy wrote: a summary heads an item of every report.
        let summary = title
            .or(description)
            .map(|t| {
                t.split(char::is_whitespace)
                    .filter(|w| !w.is_empty())
                    .collect::<Vec<_>>()
                    .join(" ")
            })
            .map(|t| {
                t.chars()
                    .filter(|c| !c.is_control())
                    .take(200)
                    .collect::<String>()
            })
            .unwrap_or_else(|| format!("Organisation rule `{}` of {}.", self.head.name, self.path));
        let mut docs = String::new();
        if let Some(d) = description {
            docs.push_str(d.trim());
            docs.push_str("\n\n");
        }
        docs.push_str(&format!(
            "An organisation rule: `{}` in package `{}` of {}. agentlock evaluates it with the repository as `input` (`agentlock model --format json` prints it).\n",
            self.head.name, self.package, self.path
        ));
        intern(code, &self.head.name, self.severity(), &summary, &docs)
    }
}

/// The rules of `deny`, `warn` and `violation` kind (and, with `all`, exceptions and tests)
/// of the files, each (package, name) once, in file order.
pub fn rules<'a>(
    files: &'a [(FileId, Declared)],
    path: impl Fn(FileId) -> &'a str,
    all: bool,
) -> Vec<OrgRule<'a>> {
    let mut out: Vec<OrgRule<'a>> = Vec::new();
    for (file, declared) in files {
        let Some(package) = declared.package.as_deref() else {
            continue;
        };
        for head in &declared.heads {
            let Some(kind) = Kind::of(&head.name) else {
                continue;
            };
            let findings = matches!(kind, Kind::Deny | Kind::Warn | Kind::Violation);
            if !(findings || all)
                || out
                    .iter()
                    .any(|r| r.package == package && r.head.name == head.name)
            {
                continue;
            }
            out.push(OrgRule {
                file: *file,
                path: path(*file),
                package,
                head,
                kind,
            });
        }
    }
    out
}

/// Every organisation rule made in this process, so each declaration is made once.
static MADE: Mutex<Vec<&'static Meta>> = Mutex::new(Vec::new());

fn leak(s: String) -> &'static str {
    Box::leak(s.into_boxed_str())
}

/// The declaration of an organisation rule. Rules are `&'static`, as the built-in ones are;
/// each distinct declaration is made once per process.
fn intern(code: &str, rule: &str, severity: Severity, summary: &str, docs: &str) -> &'static Meta {
    let mut all = MADE.lock().unwrap_or_else(|e| e.into_inner());
    if let Some(m) = all.iter().find(|m| {
        m.code == code && m.severity == severity && m.summary == summary && m.docs == docs
    }) {
        return m;
    }
    let m: &'static Meta = Box::leak(Box::new(Meta {
        code: leak(code.to_string()),
        name: leak(rule.replace('_', "-")),
        severity,
        summary: leak(summary.to_string()),
        checklist: None,
        needs: &[],
        scope: Scope::Policy,
        control: Control::Full,
        docs: leak(docs.to_string()),
    }));
    all.push(m);
    m
}

/// Whether a rule is an organisation rule (made here), not one of agentlock's own.
pub fn is_org_rule(m: &Meta) -> bool {
    MADE.lock()
        .unwrap_or_else(|e| e.into_inner())
        .iter()
        .any(|x| std::ptr::eq(*x, m))
}

/// The YAML of a `# METADATA` block (the comment lines after it), as JSON.
fn metadata(block: &[&str]) -> Option<Value> {
    let at = block.iter().position(|l| l.trim() == "METADATA")?;
    let yaml: String = block[at + 1..]
        .iter()
        .map(|l| format!("{}\n", l.strip_prefix(' ').unwrap_or(l)))
        .collect();
    serde_saphyr::from_str::<Value>(&yaml).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn heads_packages_and_metadata_are_read() {
        let text = "package acme.tools\n\nimport rego.v1\n\n# METADATA\n# title: No destructive tool without a critic\n# custom:\n#   code: ACME001\ndeny_destructive contains msg if {\n  msg := \"x\"\n}\n\nwarn[msg] {\n  msg := \"y\"\n}\ndenylist := [1]\nexception contains rules if { rules := [\"destructive\"] }\ntest_ok if { true }\n";
        let d = read(text);
        assert_eq!(d.package.as_deref(), Some("acme.tools"));
        let names: Vec<&str> = d.heads.iter().map(|h| h.name.as_str()).collect();
        assert_eq!(names, ["deny_destructive", "warn", "exception", "test_ok"]);
        let m = d.heads[0].metadata.as_ref().unwrap();
        assert_eq!(m["custom"]["code"], "ACME001");
        assert_eq!(&text[d.heads[0].start..d.heads[0].end], "deny_destructive");
        assert!(d.heads[1].metadata.is_none());
        assert_eq!(Kind::short("deny_destructive"), "destructive");
        assert_eq!(Kind::of("denylist"), None);
        assert_eq!(
            literal_codes(
                "{\"msg\": m, \"code\": \"ACME002\"} encode := \"x\" code := \"ACME003\""
            ),
            ["ACME002", "ACME003"]
        );
    }
}
