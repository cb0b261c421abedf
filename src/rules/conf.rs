//! CONF: files that do not parse or do not fit the format.

use super::{Context, Rule};
use crate::finding::{Finding, Severity};

pub static CONF001: Rule = Rule {
    code: "CONF001",
    name: "invalid-file",
    severity: Severity::Error,
    summary: "A file that does not parse, or breaks the format, at the place it breaks.",
    checklist: None,
    project_only: false,
    docs: r#"
## Why
A file agentlock cannot read is a file no other rule checks: a typo in a key (`timout:`) silently
drops a safeguard, a YAML error can make a whole topology vanish. So every such problem is an error
with its exact location: malformed YAML, JSON or TOML, unknown keys (with a did-you-mean),
values of the wrong type, unparseable durations or rates, binary or non-UTF-8 files, files over
the size limit, YAML alias bombs and excessive nesting, and symlinks that lead outside the
repository (never followed).

## How to fix
Correct the file at the location shown. For an unknown key, use the suggested spelling.

## Example
```yaml
agents:
  planner:
    timout: 30s      # CONF001: unknown key `timout` in agent `planner`; did you mean `timeout`?
```
"#,
    check,
};

fn check(ctx: &Context) -> Vec<Finding> {
    findings(&ctx.model.problems)
}

/// Load problems as CONF001 findings.
pub fn findings(problems: &[crate::problem::Problem]) -> Vec<Finding> {
    problems.iter().map(finding).collect()
}

fn finding(p: &crate::problem::Problem) -> Finding {
    let mut f = Finding::new(&CONF001, p.span, p.subject.clone(), p.message.clone());
    f.label = p.label.clone();
    f.help = p.help.clone();
    for (span, text) in &p.labels {
        f = f.with_label(*span, text.clone());
    }
    f
}
