//! `--format sarif`: SARIF 2.1.0, as GitHub code scanning reads it. Every rule of the registry
//! is described (short and full description, help); each finding is a result with its rule,
//! level, message, a repository-relative region and a stable partial fingerprint.

use super::Place;
use crate::finding::{Finding, Severity};
use crate::rules::RULES;
use crate::source::SourceMap;
use serde_json::{Value, json};
use std::collections::HashMap;

fn level(s: Severity) -> &'static str {
    match s {
        Severity::Error => "error",
        Severity::Warning => "warning",
        Severity::Info => "note",
    }
}

fn rule_json(r: &crate::finding::Meta) -> Value {
    let full = match r.checklist {
        Some(c) => format!("{} (deployment checklist {c})", r.summary),
        None => r.summary.to_string(),
    };
    let docs = crate::rules::explain(r);
    json!({
        "id": r.code,
        "name": r.name,
        "shortDescription": {"text": r.summary},
        "fullDescription": {"text": full},
        "help": {"text": docs, "markdown": docs},
        "helpUri": format!("https://example.invalid/agentlock/rules/{}", r.code),
        "defaultConfiguration": {"level": level(r.severity)},
        "properties": {"tags": r.checklist.map_or(vec![], |c| vec![format!("checklist-{c}")])},
    })
}

fn region(p: &Place) -> Value {
    let mut r = json!({"startLine": p.line, "startColumn": p.column});
    if let Some((line, col)) = p.end {
        r["endLine"] = line.into();
        r["endColumn"] = col.into();
    }
    r
}

/// A repository path as the relative URI reference SARIF asks for (RFC 3986): every byte but
/// the unreserved ones, `/` and the sub-delimiters is percent-encoded, so `a#b.prompt` is not
/// a fragment, `%2e%2e` in a name is not `..`, and `a:b` is not a scheme.
fn uri(path: &str) -> String {
    let mut out = String::with_capacity(path.len());
    for &b in path.as_bytes() {
        if b.is_ascii_alphanumeric() || b"-._~/!$&'()*+,;=@".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

fn location(p: &Place, message: Option<&str>) -> Value {
    let mut l = json!({
        "physicalLocation": {
            "artifactLocation": {"uri": uri(&p.path), "uriBaseId": "%SRCROOT%"},
            "region": region(p),
        }
    });
    if let Some(m) = message {
        l["message"] = json!({"text": m});
    }
    l
}

/// `prefix` is the agentlock root's directory in the git work tree (`""` at the top), so the
/// URIs are relative to the repository that code scanning knows.
pub fn render(findings: &[Finding], sources: &SourceMap, prefix: &str) -> String {
    // agentlock's rules, then any organisation rule a finding comes from.
    let mut rules: Vec<&crate::finding::Meta> = RULES.iter().map(|r| &r.meta).collect();
    for f in findings {
        if !rules.iter().any(|m| m.code == f.code()) {
            rules.push(f.rule);
        }
    }
    let index: HashMap<&str, usize> = rules.iter().enumerate().map(|(i, r)| (r.code, i)).collect();
    let prints = crate::finding::fingerprints(findings, sources);
    let results: Vec<Value> = findings
        .iter()
        .zip(&prints)
        .map(|(f, print)| {
            let place = Place::of(f, sources, prefix);
            let mut text = f.message.clone();
            if let Some(h) = &f.help {
                text.push_str("\nHelp: ");
                text.push_str(h);
            }
            let mut r = json!({
                "ruleId": f.code(),
                "level": level(f.severity),
                "message": {"text": text},
                "locations": [location(&place, None)],
                "partialFingerprints": {"agentlock/v1": print},
            });
            if let Some(&i) = index.get(f.code()) {
                r["ruleIndex"] = i.into();
            }
            if !f.labels.is_empty() {
                r["relatedLocations"] = f
                    .labels
                    .iter()
                    .enumerate()
                    .map(|(i, l)| {
                        let mut loc =
                            location(&Place::of_span(l.span, sources, prefix), Some(&l.text));
                        loc["id"] = i.into();
                        loc
                    })
                    .collect();
            }
            r
        })
        .collect();
    let log = json!({
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [{
            "tool": {"driver": {
                "name": "agentlock",
                "version": env!("CARGO_PKG_VERSION"),
                "informationUri": "https://example.invalid/agentlock",
                "rules": rules.iter().map(|r| rule_json(r)).collect::<Vec<_>>(),
            }},
            "columnKind": "unicodeCodePoints",
            "results": results,
        }],
    });
    let mut out = serde_json::to_string_pretty(&log).unwrap_or_default();
    out.push('\n');
    out
}

#[cfg(test)]
mod tests {
    use super::uri;

    #[test]
    fn paths_are_relative_uri_references() {
        assert_eq!(uri("prompts/planner.prompt"), "prompts/planner.prompt");
        assert_eq!(uri("a#b.prompt"), "a%23b.prompt");
        assert_eq!(uri("p/%2e%2e%2fx"), "p/%252e%252e%252fx");
        assert_eq!(uri("my tools/a?.yaml"), "my%20tools/a%3F.yaml");
        assert_eq!(uri("c:x/y"), "c%3Ax/y");
        assert_eq!(uri("prompts/café.prompt"), "prompts/caf%C3%A9.prompt");
    }
}
