//! The effective policy: built-in packs, policy files and the project's `[policy]`, merged; then
//! severities, exceptions and inline suppressions applied to what the rules found.

use crate::config::{Config, Exception, Limits, SecretAllow};
use crate::finding::{Finding, Severity};
use crate::node;
use crate::rules;
use crate::source::SourceMap;
use crate::suppress::Suppression;
use std::collections::{HashMap, HashSet};

#[derive(Clone, Debug)]
pub struct Policy {
    /// Each rule's severity; `None` when the policy turns it off.
    severity: HashMap<&'static str, Option<Severity>>,
    /// Rules whose severity a pack or the project set: their findings all get that severity.
    /// Other rules keep the severity each finding was given (a rule may grade its findings).
    overridden: HashSet<&'static str>,
    /// The packs and policy files, base first.
    pub chain: Vec<String>,
    pub limits: Limits,
    pub exceptions: Vec<Exception>,
    pub secret_allow: Vec<SecretAllow>,
    pub suppressions: Vec<Suppression>,
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
    pub fn new(config: &Config, suppressions: &[Suppression], today: i64) -> Policy {
        let mut severity: HashMap<&'static str, Option<Severity>> = rules::RULES
            .iter()
            .map(|r| (r.code, Some(r.severity)))
            .collect();
        let mut overridden = HashSet::new();
        let mut limits = Limits::default();
        let mut exceptions = Vec::new();
        let mut secret_allow = Vec::new();
        for layer in &config.policy.layers {
            secret_allow.extend(layer.secret_allow.iter().cloned());
            for (code, sev) in &layer.severity {
                if let Some(rule) = rules::find(&code.value) {
                    severity.insert(rule.code, *sev);
                    overridden.insert(rule.code);
                }
            }
            limits.merge(&layer.limits);
            exceptions.extend(layer.exceptions.iter().cloned());
        }
        // A malformed file can never be turned off: nothing else could be checked in it.
        severity.insert("CONF001", Some(Severity::Error));
        Policy {
            severity,
            overridden,
            chain: config
                .policy
                .chain()
                .into_iter()
                .map(String::from)
                .collect(),
            limits,
            exceptions,
            secret_allow,
            suppressions: suppressions.to_vec(),
            today,
        }
    }

    pub fn enabled(&self, code: &str) -> bool {
        self.severity.get(code).is_some_and(Option::is_some)
    }

    /// The severity a rule runs at, `None` when it is off.
    pub fn severity(&self, code: &str) -> Option<Severity> {
        self.severity.get(code).copied().flatten()
    }

    /// Whether an exception applies at all today: not expired, and dated if the policy says so.
    pub fn exception_in_force(&self, e: &Exception) -> bool {
        let expiry = e
            .expires
            .as_ref()
            .and_then(|d| crate::date::parse_date(&d.value));
        let dated_ok = expiry.is_some() || !self.requires_expiry();
        dated_ok && expiry.is_none_or(|d| d >= self.today)
    }

    pub fn requires_expiry(&self) -> bool {
        self.limits
            .require_exception_expiry
            .as_ref()
            .is_some_and(|b| b.value)
    }

    /// Applies severities, exceptions, inline suppressions and the secret allowlist, reports
    /// exceptions, suppressions and allowlist entries that matched nothing (POL001), and orders
    /// the findings by path, line, code. `ran` says which rules ran at all (the lockfile rules
    /// do not under `--no-lock-check`, `scan` runs only the secret rules), so that a record for
    /// a rule that did not run is not called unused.
    pub fn apply(
        &self,
        findings: Vec<Finding>,
        sources: &SourceMap,
        ran: impl Fn(&str) -> bool,
    ) -> Outcome {
        let mut out = Outcome::default();
        let mut used_exceptions = vec![false; self.exceptions.len()];
        let mut used_suppressions = vec![false; self.suppressions.len()];
        let mut used_allow = vec![false; self.secret_allow.len()];
        for mut f in findings {
            let Some(sev) = self.severity(f.code()) else {
                continue;
            };
            if self.overridden.contains(f.code()) || f.code() == "CONF001" {
                f.severity = sev;
            }
            if f.code() != "CONF001" && f.code() != "POL001" {
                let (path, line, _) = sources.locate(f.span);
                let exception = self.exceptions.iter().position(|e| {
                    e.rule.value.eq_ignore_ascii_case(f.code())
                        && (e.subject.value == f.subject || e.subject.value == path)
                        && self.exception_in_force(e)
                });
                let suppression = self.suppressions.iter().position(|s| {
                    s.file == f.span.file
                        && s.line == line
                        && s.codes
                            .iter()
                            .any(|c| rules::find(c).is_some_and(|r| r.code == f.code()))
                });
                if let Some(i) = exception {
                    used_exceptions[i] = true;
                }
                if let Some(i) = suppression {
                    used_suppressions[i] = true;
                }
                let allowed = f.fingerprint.as_ref().and_then(|fp| {
                    self.secret_allow
                        .iter()
                        .position(|a| &a.fingerprint.value == fp)
                });
                if let Some(i) = allowed {
                    used_allow[i] = true;
                }
                if exception.is_some() || suppression.is_some() || allowed.is_some() {
                    out.suppressed += 1;
                    continue;
                }
            }
            out.findings.push(f);
        }
        if let Some(sev) = self.severity("POL001") {
            let ran = |code: &str| self.enabled(code) && ran(code);
            for (e, used) in self.exceptions.iter().zip(used_exceptions) {
                let code = rules::find(&e.rule.value).map(|r| r.code);
                if used || !self.exception_in_force(e) || !code.is_some_and(ran) {
                    continue;
                }
                let mut f = Finding::new(
                    &rules::policy::POL001,
                    e.rule.span,
                    e.subject.value.clone(),
                    format!(
                        "the exception for {} on `{}` matched no finding",
                        e.rule.value, e.subject.value
                    ),
                )
                .label("matches nothing")
                .help("remove it: an exception that matches nothing would silently hide the next finding of that rule on that subject");
                f.severity = sev;
                out.findings.push(f);
            }
            let secrets_ran = ran("SECRET001") || ran("SECRET002");
            for (a, used) in self.secret_allow.iter().zip(used_allow) {
                if used || !secrets_ran {
                    continue;
                }
                let mut f = Finding::new(
                    &rules::policy::POL001,
                    a.fingerprint.span,
                    a.fingerprint.value.clone(),
                    format!(
                        "the secret allowlist entry {} matched no credential",
                        a.fingerprint.value
                    ),
                )
                .label("matches nothing")
                .help("remove it: the credential it accepted is gone (or its value changed, and the new one is reported)");
                f.severity = sev;
                out.findings.push(f);
            }
            for (s, used) in self.suppressions.iter().zip(used_suppressions) {
                let codes: Vec<&str> = s.codes.iter().map(String::as_str).collect();
                let any_ran = s
                    .codes
                    .iter()
                    .any(|c| rules::find(c).is_some_and(|r| ran(r.code)));
                if used || !any_ran {
                    continue;
                }
                let mut f = Finding::new(
                    &rules::policy::POL001,
                    s.span,
                    sources.get(s.file).path.clone(),
                    format!(
                        "the suppression of {} matched no finding on line {}",
                        codes.join(", "),
                        s.line
                    ),
                )
                .label("suppresses nothing")
                .help("remove the comment, or move it onto the line of the finding (or the line just above it)");
                f.severity = sev;
                out.findings.push(f);
            }
        }
        sort(&mut out.findings, sources);
        out
    }

    /// The effective policy as canonical JSON: the chain, the severities it sets, the limits, the
    /// exceptions and the inline suppressions. Its hash goes into the lockfile, so loosening the
    /// policy shows up in review as a lock change.
    pub fn canonical_json(&self, sources: &SourceMap) -> String {
        let mut out = String::from("{\"chain\":[");
        for (i, c) in self.chain.iter().enumerate() {
            if i > 0 {
                out.push(',');
            }
            node::write_json_str(c, &mut out);
        }
        out.push_str("],\"exceptions\":[");
        let mut ex: Vec<String> = self
            .exceptions
            .iter()
            .map(|e| {
                let mut s = String::from("{\"expires\":");
                match &e.expires {
                    Some(d) => node::write_json_str(&d.value, &mut s),
                    None => s.push_str("null"),
                }
                for (k, v) in [
                    ("reason", &e.reason.value),
                    ("rule", &e.rule.value),
                    ("subject", &e.subject.value),
                ] {
                    s.push_str(&format!(",\"{k}\":"));
                    node::write_json_str(v, &mut s);
                }
                s.push('}');
                s
            })
            .collect();
        ex.sort();
        out.push_str(&ex.join(","));
        out.push_str("],\"limits\":");
        out.push_str(&self.limits.canonical_json());
        out.push_str(",\"secret_allow\":[");
        let mut allow: Vec<String> = self
            .secret_allow
            .iter()
            .map(|a| {
                let mut j = String::from("{\"fingerprint\":");
                node::write_json_str(&a.fingerprint.value, &mut j);
                j.push_str(",\"reason\":");
                node::write_json_str(&a.reason.value, &mut j);
                j.push('}');
                j
            })
            .collect();
        allow.sort();
        out.push_str(&allow.join(","));
        out.push(']');
        out.push_str(",\"severity\":{");
        // Only what a pack or the project sets: a new agentlock release that adds rules at their
        // default severity does not churn every lockfile.
        let mut codes: Vec<&&str> = self.overridden.iter().collect();
        codes.sort();
        for (i, code) in codes.iter().enumerate() {
            if i > 0 {
                out.push(',');
            }
            node::write_json_str(code, &mut out);
            out.push(':');
            let sev = self.severity(code).map_or("off", |s| s.as_str());
            node::write_json_str(sev, &mut out);
        }
        out.push_str("},\"suppressions\":[");
        let mut sup: Vec<String> = self
            .suppressions
            .iter()
            .map(|s| {
                let mut j = String::from("{\"codes\":[");
                let mut codes: Vec<&str> = s
                    .codes
                    .iter()
                    .map(|c| rules::find(c).map_or(c.as_str(), |r| r.code))
                    .collect();
                codes.sort();
                for (i, c) in codes.iter().enumerate() {
                    if i > 0 {
                        j.push(',');
                    }
                    node::write_json_str(c, &mut j);
                }
                j.push_str("],\"path\":");
                node::write_json_str(&sources.get(s.file).path, &mut j);
                j.push_str(",\"reason\":");
                node::write_json_str(&s.reason, &mut j);
                j.push('}');
                j
            })
            .collect();
        sup.sort();
        out.push_str(&sup.join(","));
        out.push_str("]}");
        out
    }
}

/// Orders findings: CONF001 (a file agentlock could not read as meant) first, then by path,
/// line, column, code: the order of every report.
pub fn sort(findings: &mut [Finding], sources: &SourceMap) {
    findings.sort_by_cached_key(|f| {
        let (path, line, col) = sources.locate(f.span);
        (
            // What agentlock could not read comes first: it explains findings after it.
            f.code() != crate::rules::conf::CONF001.code,
            path.to_string(),
            line,
            col,
            f.code(),
            f.subject.clone(),
            f.message.clone(),
        )
    });
}
