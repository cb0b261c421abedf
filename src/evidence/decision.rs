//! The release decision of checklist 2.4: BLOCKED or ALLOWED, with every reason.

use super::Gate;
use crate::finding::{Finding, Severity};

/// The release decision.
pub struct Decision {
    pub allowed: bool,
    /// Why it is blocked (empty when allowed), each a sentence.
    pub reasons: Vec<String>,
    /// The release the evidence was compared with.
    pub base: Option<(String, String)>,
    /// The rollback target, when there is one.
    pub rollback: Option<String>,
}

/// Blocked on any finding at error severity (the EVAL rules and every other), when the
/// repository keeps no evidence, when there is no release to roll back to, or when an
/// exception of the policy gives no reason.
pub fn decide(
    findings: &[Finding],
    gate: Option<&Gate>,
    rollback: Option<(&str, String)>,
) -> Decision {
    let mut reasons = Vec::new();
    let errors: Vec<&Finding> = findings
        .iter()
        .filter(|f| f.severity == Severity::Error)
        .collect();
    for f in errors.iter().filter(|f| f.code().starts_with("EVAL")) {
        reasons.push(format!("{}: {}", f.code(), f.message));
    }
    let others: Vec<&str> = errors
        .iter()
        .filter(|f| !f.code().starts_with("EVAL"))
        .map(|f| f.code())
        .collect();
    if !others.is_empty() {
        let mut codes = others.clone();
        codes.sort_unstable();
        codes.dedup();
        reasons.push(format!(
            "{} other finding{} at error severity ({}; `agentlock verify` shows them)",
            others.len(),
            if others.len() == 1 { "" } else { "s" },
            codes.join(", ")
        ));
    }
    if gate.is_none() {
        reasons.push(
            "the repository keeps no evidence: run the evals and `agentlock evidence add` the results"
                .into(),
        );
    }
    if rollback.is_none() {
        reasons.push("no release to roll back to (no earlier release tag is reachable)".into());
    }
    for (rule, subject) in gate.map_or(&[][..], |g| &g.unreasoned[..]) {
        reasons.push(format!(
            "the exception for {rule} on {subject} gives no reason"
        ));
    }
    Decision {
        allowed: reasons.is_empty(),
        reasons,
        base: gate
            .and_then(|g| g.baseline.as_ref())
            .map(|b| (b.tag.clone(), b.commit.hex())),
        rollback: rollback.map(|(t, _)| t.to_string()),
    }
}
