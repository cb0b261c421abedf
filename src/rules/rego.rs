//! POL002: the organisation's Rego policies themselves. Their findings are the team's own
//! rules (`crate::rego`); this one reports a policy that cannot say anything.

use super::{Context, Rule};
use crate::finding::{Control, Finding, Meta, Scope, Severity};

pub static POL002: Rule = Rule {
    meta: Meta {
        code: "POL002",
        name: "broken-org-policy",
        severity: Severity::Error,
        summary: "An organisation Rego policy (`[policy] rego`) that does not compile, a rule of it that fails, runs past the time limit or needs more memory than a policy may use, or a result that is not a string or an object with `msg`.",
        checklist: None,
        needs: &[],
        scope: Scope::Policy,
        control: Control::Fixed,
        docs: r#"
agentlock evaluates the Rego files `[policy] rego` names with the repository as `input`
(`agentlock model --format json` prints it): each `deny`, `warn` and `violation` rule (and its
`deny_<name>` forms) is one of the organisation's rules. This rule reports a policy that cannot
say what it was written to say:

- a file that does not parse or compile (a syntax error, an unknown function: the network, time
  and UUID built-ins are not available);
- a rule that fails when evaluated (a division by zero, a conversion that fails, a conflict of
  values), runs longer than the time limit (5 s a rule), or needs more memory than a policy
  may use (4 GiB; rules run in a separate process, so such a rule stops only itself);
- a result that is neither a string nor an object with a string `msg`.

Each points at the policy file and line. The other rules, and the policy's other files, still run.

## Why
A policy that errors finds nothing: without this finding, a broken rule would look like a
passing one, and a release would go out unchecked by it.

## How to fix
Fix the rule at the line shown; `agentlock policy test` runs the policy's `test_` rules.

## Example
```rego
package acme

deny contains msg if {
  some name, a in input.agents
  a.timeout_ms > 60000
  msg := sprintf("agent %s waits more than a minute", [name])
}
```
"#,
    },
    check,
};

fn check(ctx: &Context) -> Vec<Finding> {
    let Some(org) = ctx.org else {
        return Vec::new();
    };
    org.errors
        .iter()
        .map(|e| {
            let subject = ctx.model.sources.get(e.span.file).path.clone();
            let mut f = Finding::new(&POL002.meta, e.span, subject, e.message.clone());
            if let Some(h) = &e.help {
                f = f.help(h.clone());
            }
            f
        })
        .collect()
}
