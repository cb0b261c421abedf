//! The rule registry: every rule with its code, name, default severity, docs and check.
//!
//! A rule is a pure function over the [`Context`]; one module per family. Codes are stable:
//! rules are added, never renumbered.

pub mod conf;
pub mod datasets;
pub mod evals;
pub mod models;
pub mod observability;
pub mod policy;
pub mod prompts;
pub mod rego;
pub mod release;
pub mod runtime;
pub mod secrets;
pub mod tool_descriptions;
pub mod tool_surface;
pub mod tools;
pub mod topology;
pub mod traces;

use crate::finding::{Finding, Meta, Need};
use crate::load::model::Model;
use crate::lock::LockStatus;
use crate::policy::Policy;

/// Everything a rule may look at.
pub struct Context<'a> {
    pub model: &'a Model,
    pub policy: &'a Policy,
    /// The lockfile comparison, unless lock checks are off (`--no-lock-check`).
    pub lock: Option<&'a LockStatus>,
    /// The releases and what each pinned, when the repository is in git (the history rules).
    pub history: Option<&'a crate::history::History>,
    /// The release's evidence against the last release's, when the repository keeps evidence.
    pub evidence: Option<&'a crate::evidence::Gate>,
    /// One trace, when `agentlock traces` checks it (the TRACE rules of one trace).
    pub trace: Option<&'a crate::traces::View<'a>>,
    /// Every trace read, summed up, once they all are (the TRACE rules across traces).
    pub traces: Option<&'a crate::traces::summary::Summary>,
    /// What the organisation's Rego policies said, when the repository has some.
    pub org: Option<&'a crate::rego::Evaluated>,
}

/// A rule: its declaration and its check.
pub struct Rule {
    pub meta: Meta,
    pub check: fn(&Context) -> Vec<Finding>,
}

impl std::ops::Deref for Rule {
    type Target = Meta;

    fn deref(&self) -> &Meta {
        &self.meta
    }
}

/// Every rule, in catalog order.
pub static RULES: &[&Rule] = &[
    &conf::CONF001,
    &conf::CONF002,
    &topology::TOPO001,
    &topology::TOPO002,
    &topology::TOPO003,
    &topology::TOPO004,
    &topology::TOPO005,
    &topology::TOPO006,
    &topology::TOPO007,
    &prompts::PRM001,
    &prompts::PRM002,
    &prompts::PRM003,
    &prompts::PRM004,
    &prompts::PRM005,
    &prompts::PRM006,
    &tools::TOOL001,
    &tools::TOOL002,
    &tools::TOOL003,
    &tools::TOOL004,
    &tools::TOOL005,
    &tool_surface::TOOL006,
    &tools::TOOL007,
    &tool_descriptions::TOOL008,
    &tools::TOOL009,
    &models::MODEL001,
    &models::MODEL002,
    &models::MODEL003,
    &secrets::SECRET001,
    &secrets::SECRET002,
    &runtime::RUN001,
    &runtime::RUN002,
    &runtime::RUN003,
    &runtime::RUN004,
    &observability::OBS001,
    &observability::OBS002,
    &observability::OBS003,
    &release::REL001,
    &release::REL002,
    &release::REL003,
    &release::REL004,
    &datasets::DATA001,
    &datasets::DATA002,
    &evals::EVAL001,
    &evals::EVAL002,
    &evals::EVAL003,
    &evals::EVAL004,
    &evals::EVAL005,
    &evals::EVAL006,
    &evals::EVAL007,
    &evals::EVAL008,
    &traces::TRACE001,
    &traces::TRACE002,
    &traces::TRACE003,
    &traces::TRACE004,
    &traces::TRACE005,
    &traces::TRACE006,
    &traces::TRACE007,
    &traces::TRACE008,
    &traces::TRACE009,
    &traces::TRACE010,
    &traces::TRACE011,
    &traces::TRACE012,
    &policy::POL001,
    &rego::POL002,
];

/// Every rule's declaration, in catalog order: what the policy validates codes against.
pub fn catalog() -> &'static [&'static Meta] {
    static CATALOG: std::sync::LazyLock<Vec<&'static Meta>> =
        std::sync::LazyLock::new(|| RULES.iter().map(|r| &r.meta).collect());
    &CATALOG
}

pub fn find(code: &str) -> Option<&'static Rule> {
    RULES
        .iter()
        .copied()
        .find(|r| r.code.eq_ignore_ascii_case(code) || r.name == code)
}

/// The text `agentlock explain CODE` prints.
pub fn explain(rule: &Meta) -> String {
    let mut out = format!(
        "{} {} ({} by default)\n\n{}\n",
        rule.code,
        rule.name,
        rule.severity.as_str(),
        rule.summary
    );
    if let Some(c) = rule.checklist {
        out.push_str(&format!("\nDeployment checklist: section {c}.\n"));
    }
    if rule.needs.contains(&Need::Project) {
        out.push_str("\nRuns in agentlock projects only: a repository without agentlock.toml has no deploy.yaml or golden datasets for it to read.\n");
    }
    out.push('\n');
    out.push_str(rule.docs.trim());
    out.push('\n');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn registry_is_well_formed() {
        let mut codes = std::collections::HashSet::new();
        for r in RULES {
            assert!(codes.insert(r.code), "duplicate code {}", r.code);
            assert!(
                r.name.chars().all(|c| c.is_ascii_lowercase() || c == '-'),
                "{} is not kebab-case",
                r.name
            );
            for section in ["## Why", "## How to fix", "## Example"] {
                assert!(r.docs.contains(section), "{} docs lack {section}", r.code);
            }
            assert!(!r.summary.is_empty());
        }
    }
}
