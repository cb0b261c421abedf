//! The effective policy: built-in packs, policy files and the project's `[policy]`, merged; then
//! severities, exceptions and inline suppressions applied to what the rules found.

use crate::finding::{Control, Finding, Meta, Severity};
use crate::load::config::{Config, Exception, Limits, SecretAllow};
use crate::load::suppress::Suppression;
use crate::node;
use crate::problem::Problem;
use crate::source::SourceMap;
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
    /// The rule each exception names (`None`: no rule of the catalog).
    exception_rules: Vec<Option<&'static Meta>>,
    /// The rules each suppression names, parallel to `suppressions`.
    suppression_rules: Vec<Vec<&'static Meta>>,
    /// What in the policy names no rule, or a rule it cannot control: CONF001 reports these.
    pub problems: Vec<Problem>,
}

/// Findings after the policy is applied.
#[derive(Debug, Default)]
pub struct Outcome {
    pub findings: Vec<Finding>,
    pub suppressed: usize,
    /// Which exceptions, allowlist entries and suppressions matched a finding (by index).
    pub used: Used,
}

/// Which records of the policy matched a finding, parallel to its lists.
#[derive(Debug, Default)]
pub struct Used {
    pub exceptions: Vec<bool>,
    pub secret_allow: Vec<bool>,
    pub suppressions: Vec<bool>,
}

/// `unknown rule code `X`.` with a did-you-mean over the catalog's codes.
fn unknown_code(catalog: &[&'static Meta], code: &str, what: &str) -> String {
    let hint = crate::suggest::hint(code, catalog.iter().map(|r| r.code));
    format!("unknown rule code `{code}`{what}.{hint}")
}

impl Policy {
    /// The policy of a project: its layers merged over the rules of `catalog`. Codes are checked
    /// here, against the catalog: a severity for an unknown rule is ignored, an exception for
    /// one is kept (it matches nothing), a suppression naming one, or a rule that cannot be
    /// suppressed, is dropped; each is a problem in [`Policy::problems`].
    pub fn new(
        config: &Config,
        suppressions: &[Suppression],
        sources: &SourceMap,
        catalog: &[&'static Meta],
        today: i64,
    ) -> Policy {
        let find = |code: &str| crate::finding::find(catalog, code);
        let problem = |span: crate::source::Span, message: String| {
            Problem::new(span, sources.get(span.file).path.clone(), message)
        };
        let mut problems = Vec::new();
        let mut severity: HashMap<&'static str, Option<Severity>> =
            catalog.iter().map(|r| (r.code, Some(r.severity))).collect();
        let mut overridden = HashSet::new();
        let mut limits = Limits::default();
        let mut exceptions = Vec::new();
        let mut secret_allow = Vec::new();
        for layer in &config.policy.layers {
            secret_allow.extend(layer.secret_allow.iter().cloned());
            for (code, sev) in &layer.severity {
                match find(&code.value) {
                    Some(rule) => {
                        severity.insert(rule.code, *sev);
                        overridden.insert(rule.code);
                    }
                    None => problems.push(
                        problem(code.span, unknown_code(catalog, &code.value, ""))
                            .help("`agentlock rules` lists every code"),
                    ),
                }
            }
            limits.merge(&layer.limits);
            exceptions.extend(layer.exceptions.iter().cloned());
        }
        // A malformed file can never be turned off: nothing else could be checked in it.
        for rule in catalog.iter().filter(|r| r.control == Control::Fixed) {
            severity.insert(rule.code, Some(rule.severity));
        }
        let exception_rules = exceptions
            .iter()
            .map(|e: &Exception| {
                let rule = find(&e.rule.value);
                if rule.is_none() {
                    problems.push(problem(
                        e.rule.span,
                        unknown_code(catalog, &e.rule.value, ""),
                    ));
                }
                rule
            })
            .collect();
        let mut kept = Vec::new();
        let mut suppression_rules = Vec::new();
        'each: for s in suppressions {
            let mut rules = Vec::new();
            for code in &s.codes {
                let why = match find(code) {
                    None => unknown_code(catalog, code, " in a suppression"),
                    Some(rule) if rule.control != Control::Full => {
                        format!("{code} cannot be suppressed: fix the file or the policy instead")
                    }
                    Some(rule) => {
                        rules.push(rule);
                        continue;
                    }
                };
                problems.push(problem(s.span, why).help(crate::load::suppress::FORM));
                continue 'each;
            }
            kept.push(s.clone());
            suppression_rules.push(rules);
        }
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
            suppressions: kept,
            today,
            exception_rules,
            suppression_rules,
            problems,
        }
    }

    /// The rule an exception names, if it is one of the catalog.
    pub fn exception_rule(&self, index: usize) -> Option<&'static Meta> {
        self.exception_rules[index]
    }

    /// The rules a suppression names.
    pub fn suppression_rules(&self, index: usize) -> &[&'static Meta] {
        &self.suppression_rules[index]
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

    /// Applies severities, exceptions, inline suppressions and the secret allowlist, and says
    /// which of those records matched a finding (the POL001 rule reports those that did not).
    /// The findings keep their order; [`sort`] orders a report.
    pub fn apply(&self, findings: Vec<Finding>, sources: &SourceMap) -> Outcome {
        let mut out = Outcome {
            used: Used {
                exceptions: vec![false; self.exceptions.len()],
                secret_allow: vec![false; self.secret_allow.len()],
                suppressions: vec![false; self.suppressions.len()],
            },
            ..Outcome::default()
        };
        for mut f in findings {
            let Some(sev) = self.severity(f.code()) else {
                continue;
            };
            if self.overridden.contains(f.code()) || f.rule.control == Control::Fixed {
                f.severity = sev;
            }
            if f.rule.control == Control::Full {
                let (path, line, _) = sources.locate(f.span);
                let exception = self.exceptions.iter().enumerate().position(|(i, e)| {
                    self.exception_rules[i].is_some_and(|r| r.code == f.code())
                        && (e.subject.value == f.subject || e.subject.value == path)
                        && self.exception_in_force(e)
                });
                let suppression = self.suppressions.iter().enumerate().position(|(i, s)| {
                    s.file == f.span.file
                        && s.line == line
                        && self.suppression_rules[i].iter().any(|r| r.code == f.code())
                });
                if let Some(i) = exception {
                    out.used.exceptions[i] = true;
                }
                if let Some(i) = suppression {
                    out.used.suppressions[i] = true;
                }
                let allowed = f.fingerprint.as_ref().and_then(|fp| {
                    self.secret_allow
                        .iter()
                        .position(|a| &a.fingerprint.value == fp)
                });
                if let Some(i) = allowed {
                    out.used.secret_allow[i] = true;
                }
                if exception.is_some() || suppression.is_some() || allowed.is_some() {
                    out.suppressed += 1;
                    continue;
                }
            }
            out.findings.push(f);
        }
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
            .enumerate()
            .map(|(i, s)| {
                let mut j = String::from("{\"codes\":[");
                let mut codes: Vec<&str> =
                    self.suppression_rules[i].iter().map(|r| r.code).collect();
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

/// Orders findings: those of a rule no policy controls (CONF001: a file agentlock could not
/// read as meant) first, then by path,
/// line, column, code: the order of every report.
pub fn sort(findings: &mut [Finding], sources: &SourceMap) {
    findings.sort_by_cached_key(|f| {
        let (path, line, col) = sources.locate(f.span);
        (
            // What agentlock could not read comes first: it explains findings after it.
            f.rule.control != Control::Fixed,
            path.to_string(),
            line,
            col,
            f.code(),
            f.subject.clone(),
            f.message.clone(),
        )
    });
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::finding::Scope;
    use crate::load::config::{PolicyConfig, PolicyLayer};
    use crate::load::model::Sp;
    use crate::source::Span;

    const fn meta(code: &'static str, name: &'static str, control: Control) -> Meta {
        Meta {
            code,
            name,
            severity: Severity::Warning,
            summary: "",
            checklist: None,
            needs: &[],
            scope: Scope::Files,
            control,
            docs: "",
        }
    }
    static FULL: Meta = meta("XRULE001", "x-full", Control::Full);
    static FIXED: Meta = meta("XRULE002", "x-fixed", Control::Fixed);
    static SEVERITY: Meta = meta("XRULE003", "x-severity", Control::SeverityOnly);
    static CATALOG: &[&Meta] = &[&FULL, &FIXED, &SEVERITY];

    /// A policy over the fake catalog with one layer and these suppressions; the messages of
    /// its problems, and the codes of the suppressions it kept.
    fn policy(layer: PolicyLayer, codes: &[&[&str]]) -> (Policy, Vec<String>) {
        let mut sources = SourceMap::default();
        let file = sources.add("agentlock.toml".into(), Some("x".into()));
        let span = Span::new(file, 0, 1);
        let mut problems = Vec::new();
        let mut config = Config::builtin(&mut sources, &mut problems);
        config.policy = PolicyConfig {
            layers: vec![layer],
        };
        let suppressions: Vec<Suppression> = codes
            .iter()
            .enumerate()
            .map(|(i, c)| Suppression {
                file,
                line: i + 1,
                codes: c.iter().map(|s| s.to_string()).collect(),
                reason: "r".into(),
                span,
            })
            .collect();
        let p = Policy::new(&config, &suppressions, &sources, CATALOG, 0);
        let messages = p.problems.iter().map(|p| p.message.clone()).collect();
        (p, messages)
    }

    fn sp(s: &str) -> Sp<String> {
        Sp::new(s.to_string(), Span::new(crate::source::FileId(0), 0, 1))
    }

    #[test]
    fn suppressions_name_rules_a_suppression_can_hide() {
        let (p, problems) = policy(
            PolicyLayer::default(),
            &[
                &["XRULE001"],
                &["x-full", "xrule001"],
                &["XRULE002"],
                &["XRULE003"],
                &["XRULE01"],
                &["XRULE001", "NOPE"],
            ],
        );
        assert_eq!(p.suppressions.len(), 2);
        assert!(p.suppression_rules(1).iter().all(|r| r.code == "XRULE001"));
        assert_eq!(problems.len(), 4, "{problems:?}");
        assert!(problems[0].starts_with("XRULE002 cannot be suppressed"));
        assert!(problems[1].starts_with("XRULE003 cannot be suppressed"));
        assert!(
            problems[2].starts_with("unknown rule code `XRULE01` in a suppression.")
                && problems[2].contains("XRULE001"),
            "a did-you-mean: {}",
            problems[2]
        );
        assert!(problems[3].starts_with("unknown rule code `NOPE` in a suppression"));
        assert!(
            p.problems
                .iter()
                .all(|p| p.help.as_deref() == Some(crate::load::suppress::FORM))
        );
    }

    #[test]
    fn severities_and_exceptions_name_known_rules() {
        let layer = PolicyLayer {
            origin: "agentlock.toml".into(),
            severity: vec![
                (sp("x-full"), None),
                (sp("XRULE9"), Some(Severity::Error)),
                (sp("XRULE002"), None),
            ],
            exceptions: vec![
                Exception {
                    rule: sp("x-full"),
                    subject: sp("s"),
                    reason: sp("r"),
                    expires: None,
                    span: Span::new(crate::source::FileId(0), 0, 1),
                },
                Exception {
                    rule: sp("BOGUS"),
                    subject: sp("s"),
                    reason: sp("r"),
                    expires: None,
                    span: Span::new(crate::source::FileId(0), 0, 1),
                },
            ],
            ..PolicyLayer::default()
        };
        let (p, problems) = policy(layer, &[]);
        // By name, and off.
        assert!(!p.enabled("XRULE001"));
        // A fixed rule cannot be turned off; the unknown code is ignored.
        assert_eq!(p.severity("XRULE002"), Some(Severity::Warning));
        assert_eq!(p.severity("XRULE003"), Some(Severity::Warning));
        assert_eq!(problems.len(), 2, "{problems:?}");
        assert!(problems[0].starts_with("unknown rule code `XRULE9`."));
        assert!(problems[1].starts_with("unknown rule code `BOGUS`."));
        // The exception by name resolves to its rule; the unknown one is kept, naming none.
        assert_eq!(p.exceptions.len(), 2);
        assert_eq!(p.exception_rule(0).map(|r| r.code), Some("XRULE001"));
        assert!(p.exception_rule(1).is_none());
    }
}
