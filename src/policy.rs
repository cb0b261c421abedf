//! The effective policy: severities, limits and exceptions, from agentlock.toml.

use crate::config::{Config, Exception, Limits};
use crate::finding::{Finding, Severity};
use crate::rules;
use std::collections::HashMap;

#[derive(Clone, Debug)]
pub struct Policy {
    severity: HashMap<&'static str, Option<Severity>>,
    pub limits: Limits,
    pub exceptions: Vec<Exception>,
    /// Days since 1970-01-01: exceptions expire against this date.
    pub today: i64,
}

/// Findings after the policy is applied.
#[derive(Debug, Default)]
pub struct Outcome {
    pub findings: Vec<Finding>,
    pub suppressed: usize,
}

impl Policy {
    pub fn from_config(config: &Config, today: i64) -> Policy {
        let mut severity: HashMap<&'static str, Option<Severity>> = rules::RULES
            .iter()
            .map(|r| (r.code, Some(r.severity)))
            .collect();
        for (code, sev) in &config.policy.severity {
            if let Some(rule) = rules::find(&code.value) {
                severity.insert(rule.code, *sev);
            }
        }
        // A malformed file can never be turned off: nothing else could be checked in it.
        severity.insert("CONF001", Some(Severity::Error));
        Policy {
            severity,
            limits: config.policy.limits.clone(),
            exceptions: config.policy.exceptions.clone(),
            today,
        }
    }

    pub fn enabled(&self, code: &str) -> bool {
        self.severity.get(code).is_some_and(Option::is_some)
    }

    /// Applies severities and exceptions; orders findings by path, line, code.
    pub fn apply(&self, findings: Vec<Finding>, sources: &crate::source::SourceMap) -> Outcome {
        let mut out = Outcome::default();
        for mut f in findings {
            let Some(Some(sev)) = self.severity.get(f.code) else {
                continue;
            };
            f.severity = *sev;
            let path = sources.get(f.span.file).path.as_str();
            let excepted = self.exceptions.iter().any(|e| {
                e.rule.value.eq_ignore_ascii_case(f.code)
                    && (e.subject.value == f.subject || e.subject.value == path)
                    && e.expires
                        .as_ref()
                        .and_then(|d| crate::date::parse_date(&d.value))
                        .is_none_or(|d| d >= self.today)
            });
            if excepted {
                out.suppressed += 1;
            } else {
                out.findings.push(f);
            }
        }
        sort(&mut out.findings, sources);
        out
    }
}

/// Orders findings by path, line, column, code: the order of every report.
pub fn sort(findings: &mut [Finding], sources: &crate::source::SourceMap) {
    findings.sort_by_cached_key(|f| {
        let (path, line, col) = sources.locate(f.span);
        (
            path.to_string(),
            line,
            col,
            f.code,
            f.subject.clone(),
            f.message.clone(),
        )
    });
}
