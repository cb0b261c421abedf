//! `agentlock rules`: the rule catalog as a table (human) or `agentlock.rules/v1` (JSON).

use crate::finding::Meta;

/// One line per rule: code, name, default severity, summary.
pub fn human(rules: &[&Meta]) -> String {
    let width = rules.iter().map(|r| r.name.len()).max().unwrap_or(0);
    let mut out = String::new();
    for r in rules {
        out.push_str(&format!(
            "{:<9} {:<width$} {:<8} {}\n",
            r.code,
            r.name,
            r.severity.as_str(),
            r.summary
        ));
    }
    out
}

/// A rule as `rules --format json` and `explain --format json` describe it.
fn entry(r: &Meta) -> serde_json::Value {
    serde_json::json!({"code": r.code, "name": r.name, "severity": r.severity.as_str(), "summary": r.summary, "checklist": r.checklist})
}

pub fn json(rules: &[&Meta]) -> String {
    let list: Vec<_> = rules.iter().map(|r| entry(r)).collect();
    let v = serde_json::json!({"schema": "agentlock.rules/v1", "rules": list});
    serde_json::to_string_pretty(&v).unwrap_or_default() + "\n"
}

/// `explain --format json`: the rule's entry with its documentation (Markdown) and what
/// `explain` prints, as `agentlock.rule/v1`.
pub fn explain_json(r: &Meta, text: &str) -> String {
    let mut v = entry(r);
    v["schema"] = "agentlock.rule/v1".into();
    v["docs"] = r.docs.trim().into();
    v["text"] = text.into();
    serde_json::to_string_pretty(&v).unwrap_or_default() + "\n"
}
