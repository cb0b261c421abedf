//! POL: the policy's own hygiene. Exceptions and suppressions must stay true.
//!
//! The expiry half is a pure check over the policy; the "matched nothing" half needs the other
//! rules' findings, so it runs after the policy is applied ([`unused`]).

use super::{Context, Rule};
use crate::finding::{Control, Meta, Scope};
use crate::finding::{Finding, Severity};
use crate::policy::{Policy, Used};
use crate::source::SourceMap;

pub static POL001: Rule = Rule {
    meta: Meta {
        code: "POL001",
        name: "expired-exception",
        severity: Severity::Warning,
        summary: "An exception past its expiry date, one without the expiry the policy requires, or an exception or inline suppression that matched nothing.",
        checklist: None,
        needs: &[],
        scope: Scope::Policy,
        control: Control::SeverityOnly,
        docs: r#"
An exception (`[[policy.exceptions]]`) or an inline suppression (`# agentlock: allow CODE -- reason`)
is a decision on record: this finding is accepted, for this reason, until this date. This rule
keeps those records true:

- an exception past its `expires` date no longer applies, and this rule says so, so the
  finding it hid comes back with an explanation rather than by surprise;
- under a policy with `require_exception_expiry = true` (the `regulated` pack), an exception
  without `expires` does not apply;
- an exception or suppression that matches no finding is reported: it is dead policy that would
  silently hide the next finding of that rule on that subject.

CONF001 and POL001 themselves cannot be suppressed.

## Why
Waivers that never expire and never get reviewed are how a release checklist erodes. Every
exception names a rule, a subject, a reason and (ideally) a date; when the date passes or the
problem is gone, the record must go too.

## How to fix
Fix what the original finding reported and delete the exception, or, if it is still accepted,
renew it with a new date and an up-to-date reason in the same review. Delete suppressions and
exceptions that match nothing.

## Example
```toml
[[policy.exceptions]]
rule = "MODEL001"
subject = "researcher"
reason = "A/B test of the preview model, TICKET-123"
expires = 2027-01-31
```
"#,
    },
    check,
};

fn check(ctx: &Context) -> Vec<Finding> {
    let policy = ctx.policy;
    let mut out = Vec::new();
    for e in &policy.exceptions {
        let expiry = e
            .expires
            .as_ref()
            .and_then(|d| crate::date::parse_date(&d.value).map(|day| (d, day)));
        match expiry {
            Some((d, day)) if day < policy.today => out.push(
                Finding::new(
                    &POL001,
                    d.span,
                    e.subject.value.clone(),
                    format!(
                        "the exception for {} on `{}` expired on {}; it no longer applies",
                        e.rule.value, e.subject.value, d.value
                    ),
                )
                .label("expired")
                .help(format!(
                    "fix what {} reports on `{}` and delete the exception, or renew it with a new date and reason (it said: \"{}\")",
                    e.rule.value, e.subject.value, e.reason.value
                )),
            ),
            None if e.expires.is_none() && policy.requires_expiry() => out.push(
                Finding::new(
                    &POL001,
                    e.rule.span,
                    e.subject.value.clone(),
                    format!(
                        "the exception for {} on `{}` has no expiry date, which this policy requires; it does not apply",
                        e.rule.value, e.subject.value
                    ),
                )
                .label("no `expires`")
                .help("add `expires = YYYY-MM-DD`: the date by which the finding is fixed or the exception reviewed again"),
            ),
            _ => {}
        }
    }
    out
}

/// The exceptions, allowlist entries and suppressions that matched no finding, once the policy
/// is applied. `ran` says which rules ran at all (the lockfile rules do not under
/// `--no-lock-check`, `scan` runs only the secret rules): a record for a rule that did not run
/// is not called unused.
pub fn unused(
    policy: &Policy,
    used: &Used,
    sources: &SourceMap,
    ran: impl Fn(&Meta) -> bool,
) -> Vec<Finding> {
    let mut out = Vec::new();
    let Some(sev) = policy.severity(POL001.code) else {
        return out;
    };
    let ran = |meta: &Meta| policy.enabled(meta.code) && ran(meta);
    for (i, e) in policy.exceptions.iter().enumerate() {
        let rule = policy.exception_rule(i);
        if used.exceptions[i] || !policy.exception_in_force(e) || !rule.is_some_and(ran) {
            continue;
        }
        out.push(
            Finding::new(
                &POL001,
                e.rule.span,
                e.subject.value.clone(),
                format!(
                    "the exception for {} on `{}` matched no finding",
                    e.rule.value, e.subject.value
                ),
            )
            .label("matches nothing")
            .help("remove it: an exception that matches nothing would silently hide the next finding of that rule on that subject"),
        );
    }
    let secrets_ran = ran(&super::secrets::SECRET001) || ran(&super::secrets::SECRET002);
    for (a, &used) in policy.secret_allow.iter().zip(&used.secret_allow) {
        if used || !secrets_ran {
            continue;
        }
        out.push(
            Finding::new(
                &POL001,
                a.fingerprint.span,
                a.fingerprint.value.clone(),
                format!(
                    "the secret allowlist entry {} matched no credential",
                    a.fingerprint.value
                ),
            )
            .label("matches nothing")
            .help("remove it: the credential it accepted is gone (or its value changed, and the new one is reported)"),
        );
    }
    for (i, s) in policy.suppressions.iter().enumerate() {
        if used.suppressions[i] || !policy.suppression_rules(i).iter().any(|r| ran(r)) {
            continue;
        }
        let codes: Vec<&str> = s.codes.iter().map(String::as_str).collect();
        out.push(
            Finding::new(
                &POL001,
                s.span,
                sources.get(s.file).path.clone(),
                format!(
                    "the suppression of {} matched no finding on line {}",
                    codes.join(", "),
                    s.line
                ),
            )
            .label("suppresses nothing")
            .help("remove the comment, or move it onto the line of the finding (or the line just above it)"),
        );
    }
    for f in &mut out {
        f.severity = sev;
    }
    out
}
