//! `agentlock checklist`: the filled-in deployment checklist as Markdown (a pull-request
//! comment, a release issue, a file) or `agentlock.checklist/v1` JSON.

use crate::checklist::{
    Checklist, Evidence, ItemResult, MAX_LOCATIONS, RuleResult, RuleStatus, Status,
};

/// `--format json`: one object, schema `agentlock.checklist/v1`.
pub fn json(list: &Checklist) -> String {
    let mut out = serde_json::to_string_pretty(list).unwrap_or_default();
    out.push('\n');
    out
}

/// The checklist as Markdown: for a pull-request comment, a release issue or a file.
pub fn markdown(list: &Checklist) -> String {
    let mut out = String::new();
    let s = &list.summary;
    out.push_str(&format!(
        "# Deployment checklist: {}\n\n",
        text(&list.project)
    ));
    out.push_str(&format!(
        "Filled in by `agentlock checklist` on {}: an item its rules pass is ticked, one they fail is crossed (✗) with the evidence, and one only a person can check stays open.\n\n",
        list.sign_off.date
    ));
    out.push_str(&format!(
        "**{} of {} items ticked, {} failing, {} not checked, {} left for a person.**\n\n",
        s.ticked, s.items, s.failing, s.not_checked, s.person
    ));
    out.push_str(&format!(
        "Findings: {}, {}{}; {} suppressed by the policy's exceptions or inline comments.\n",
        plural(s.error, "error", "errors"),
        plural(s.warning, "warning", "warnings"),
        if s.info > 0 {
            format!(", {}", plural(s.info, "note", "notes"))
        } else {
            String::new()
        },
        s.suppressed
    ));
    if s.unreadable > 0 {
        out.push_str(&format!(
            "\n> **Warning:** {} could not be read ({}, listed at the end): the items over {} may be ticked wrongly.\n",
            plural(s.unreadable, "file", "files"),
            crate::rules::conf::CONF001.code,
            if s.unreadable == 1 { "it" } else { "them" }
        ));
    }
    if !list.other_findings.is_empty() {
        out.push_str(&format!(
            "\n{} not on the checklist {} listed before the sign-off.\n",
            plural(list.other_findings.len(), "finding", "findings"),
            if list.other_findings.len() == 1 {
                "is"
            } else {
                "are"
            }
        ));
    }
    for sec in &list.sections {
        if sec.id == "10" {
            continue;
        }
        if sec.id.contains('.') {
            out.push_str(&format!("\n### {} {}\n\n", sec.id, sec.title));
        } else {
            out.push_str(&format!("\n---\n\n## {}. {}\n", sec.id, sec.title));
            if !sec.items.is_empty() {
                out.push('\n');
            }
        }
        for it in &sec.items {
            item_markdown(it, &mut out);
        }
    }
    if !list.organisation_rules.is_empty() {
        out.push_str("\n---\n\n## Organisation rules\n\n");
        out.push_str(
            "The organisation's own rules, from the Rego policies `[policy] rego` names.\n\n",
        );
        for r in &list.organisation_rules {
            let mark = if r.passed { "x" } else { " " };
            out.push_str(&format!(
                "- [{mark}] {} — {}",
                code(r.code),
                text(r.summary)
            ));
            if r.findings.is_empty() {
                out.push_str(": passed\n");
            } else {
                out.push_str(&format!(
                    ": {}\n",
                    crate::checklist::plural(r.findings.len(), "finding", "findings")
                ));
                for e in r.findings.iter().take(MAX_LOCATIONS) {
                    out.push_str(&format!("  - {}\n", evidence_line(e)));
                }
                let more = r.findings.len().saturating_sub(MAX_LOCATIONS);
                if more > 0 {
                    out.push_str(&format!("  - … and {more} more\n"));
                }
            }
        }
    }
    if !list.other_findings.is_empty() {
        out.push_str("\n---\n\n## Findings not on the checklist\n\n");
        out.push_str("These come from rules no checklist item lists; they count towards the exit code like every finding.\n\n");
        for e in list.other_findings.iter().take(MAX_LOCATIONS * 4) {
            out.push_str(&format!("- {}\n", evidence_line(e)));
        }
        let more = list.other_findings.len().saturating_sub(MAX_LOCATIONS * 4);
        if more > 0 {
            out.push_str(&format!(
                "- … and {more} more (`agentlock verify` lists them all)\n"
            ));
        }
    }
    let so = &list.sign_off;
    out.push_str("\n---\n\n## 10. Deployment Sign-Off\n\n");
    let mut version = Vec::new();
    if let Some(t) = &so.last_release {
        version.push(format!("release `{}`", code(t)));
    }
    if let Some(h) = &so.head {
        version.push(format!("commit `{}`", &h[..h.len().min(12)]));
    }
    version.push(format!("lock `{}`", so.lock_root));
    out.push_str(&format!(
        "**Version Deployed:** {}{}\n\n",
        version.join(", "),
        if so.lock_complete {
            ""
        } else {
            " (partial: some files could not be read)"
        }
    ));
    let or_note = |value: &Option<String>, note: &Option<String>| match (value, note) {
        (Some(v), _) => format!("`{}`", code(v)),
        (None, Some(n)) => n.clone(),
        (None, None) => "none".to_string(),
    };
    out.push_str(&format!(
        "- Lock root digest: `{}`\n- Last release tag: {}\n- HEAD commit: {}\n- Checked on: {}\n\n",
        so.lock_root,
        or_note(&so.last_release, &so.last_release_note),
        or_note(&so.head, &so.head_note),
        so.date
    ));
    out.push_str("**Deployment Approved By:** ______________________\n\n");
    out.push_str("**Signature:** ______________________\n\n");
    out.push_str("**Date:** ______________________\n");
    out
}

fn plural(n: usize, one: &str, many: &str) -> String {
    crate::checklist::plural(n, one, many)
}

use super::markdown::cell as text;

use super::markdown::code;

fn evidence_line(e: &Evidence) -> String {
    let subject = if e.subject.is_empty() || e.subject == e.path {
        String::new()
    } else {
        format!(" ({})", text(&e.subject))
    };
    format!(
        "`{}:{}` {} {}{}: {}",
        code(&e.path),
        e.line,
        e.code,
        e.severity,
        subject,
        text(&e.message)
    )
}

fn item_markdown(it: &ItemResult, out: &mut String) {
    let failing: Vec<&RuleResult> = it
        .rules
        .iter()
        .filter(|r| r.status == RuleStatus::Failing)
        .collect();
    // "TOOL003, TOOL004 checked 5 tool servers; TOOL006 checked 13 tools"
    let passed = |rules: &[RuleResult]| -> String {
        let mut groups: Vec<(Vec<String>, &str)> = Vec::new();
        for r in rules.iter().filter(|r| r.status == RuleStatus::Passed) {
            let name = match r.only {
                Some(o) => format!("{} ({o})", r.code),
                None => r.code.to_string(),
            };
            match groups.last_mut() {
                Some((codes, scope)) if *scope == r.scope => codes.push(name),
                _ => groups.push((vec![name], &r.scope)),
            }
        }
        groups
            .iter()
            .map(|(codes, scope)| format!("{} checked {scope}", codes.join(", ")))
            .collect::<Vec<_>>()
            .join("; ")
    };
    let skipped: Vec<&str> = it
        .rules
        .iter()
        .filter_map(|r| r.reason.as_deref())
        .collect();
    let hint = it.hint.map(|h| format!(" ({h})")).unwrap_or_default();
    let line = match it.status {
        Status::Ticked => format!("- [x] {} — {}", it.text, passed(&it.rules)),
        Status::Failing => {
            // Counts by rule (a rule may check an item through several filters).
            let mut counts: Vec<(&str, usize, usize)> = Vec::new();
            for r in &failing {
                let errors = r.findings.iter().filter(|e| e.severity == "error").count();
                let warnings = r
                    .findings
                    .iter()
                    .filter(|e| e.severity == "warning")
                    .count();
                match counts.iter_mut().find(|(c, _, _)| *c == r.code) {
                    Some(c) => {
                        c.1 += errors;
                        c.2 += warnings;
                    }
                    None => counts.push((r.code, errors, warnings)),
                }
            }
            let what: Vec<String> = counts
                .iter()
                .map(|(code, errors, warnings)| {
                    let mut n = Vec::new();
                    if *errors > 0 {
                        n.push(plural(*errors, "error", "errors"));
                    }
                    if *warnings > 0 {
                        n.push(plural(*warnings, "warning", "warnings"));
                    }
                    format!("{code}: {}", n.join(", "))
                })
                .collect();
            format!("- [ ] ✗ **{}** — {}", it.text, what.join("; "))
        }
        Status::NotChecked => {
            let ok = passed(&it.rules);
            format!(
                "- [ ] {} — not checked ({}){}",
                it.text,
                skipped.join("; "),
                if ok.is_empty() {
                    String::new()
                } else {
                    format!("; {ok} and passed")
                }
            )
        }
        Status::Person => {
            let ok = passed(&it.rules);
            let mut notes = Vec::new();
            if !ok.is_empty() {
                notes.push(format!("{ok} and passed"));
            }
            if !skipped.is_empty() {
                notes.push(format!("not checked ({})", skipped.join("; ")));
            }
            let notes = if notes.is_empty() {
                String::new()
            } else {
                format!("; {}", notes.join("; "))
            };
            format!("- [ ] {} — needs a person{hint}{notes}", it.text)
        }
    };
    out.push_str(&line);
    out.push('\n');
    // Evidence: every failing rule's findings (and any notes below warning), up to a few each,
    // each finding once.
    let mut shown: Vec<String> = Vec::new();
    for r in &it.rules {
        // The figures a rule decided on (the gate's), whatever its verdict.
        for f in r.figures.iter().take(MAX_LOCATIONS) {
            let line = format!("{}: {}", r.code, text(f));
            if !shown.contains(&line) {
                out.push_str(&format!("  - {line}\n"));
                shown.push(line);
            }
        }
        if r.figures.len() > MAX_LOCATIONS {
            out.push_str(&format!(
                "  - … and {} more figures of {} (`agentlock gate` shows them all)\n",
                r.figures.len() - MAX_LOCATIONS,
                r.code
            ));
        }
        if r.findings.is_empty() {
            continue;
        }
        for e in r.findings.iter().take(MAX_LOCATIONS) {
            let line = evidence_line(e);
            if !shown.contains(&line) {
                out.push_str(&format!("  - {line}\n"));
                shown.push(line);
            }
        }
        if r.findings.len() > MAX_LOCATIONS {
            out.push_str(&format!(
                "  - … and {} more {} (`agentlock verify` lists them all)\n",
                r.findings.len() - MAX_LOCATIONS,
                r.code
            ));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn markdown_text_is_one_line_without_html() {
        assert_eq!(text("a <b>\nc & d"), "a &lt;b&gt; c &amp; d");
        assert_eq!(code("x`y"), "x'y");
    }
}
