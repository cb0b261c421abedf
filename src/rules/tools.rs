//! TOOL: MCP servers and the tools agents use.

use super::{Context, Rule};
use crate::finding::{Finding, Severity};

pub static TOOL009: Rule = Rule {
    code: "TOOL009",
    name: "unknown-tool",
    severity: Severity::Error,
    summary: "An agent names a `server.tool` that no manifest declares.",
    checklist: Some("1.3"),
    docs: r#"
## Why
Every tool an agent can call must be declared in a manifest under tools/, or it escapes the
checks of that manifest: its version pin, permissions, timeout, rate limit and contract. A tool
that is not declared also fails at run time, when the agent first tries to call it.

## How to fix
Correct the reference (`server.tool`, the finding suggests the closest one), or add the tool's
definition to the server's manifest.

## Example
```yaml
agents:
  executor: { role: executor, tools: [github.create_issue] }   # tools/github.yaml declares create_issue
```
"#,
    check,
};

fn check(ctx: &Context) -> Vec<Finding> {
    let model = ctx.model;
    let mut out = Vec::new();
    for a in model.agents() {
        for t in &a.tools {
            let Some((server, tool)) = t.value.split_once('.') else {
                out.push(
                    Finding::new(&TOOL009, t.span, a.name.value.clone(), format!("agent `{}` names tool `{}`, which is not of the form `server.tool`", a.name.value, t.value))
                        .label("expected `server.tool`")
                        .help("write the server's name, a dot, and the tool's name, e.g. `github.create_issue`"),
                );
                continue;
            };
            match model.tool_server(server) {
                None if model.incomplete.tools => {} // a manifest failed to load: CONF001 says so
                None => {
                    let hint = crate::suggest::hint(
                        server,
                        model.tools.iter().map(|s| s.server.value.as_str()),
                    );
                    out.push(
                        Finding::new(&TOOL009, t.span, a.name.value.clone(), format!("agent `{}` uses `{}`, but no manifest declares server `{server}`.{hint}", a.name.value, t.value))
                            .label("unknown server")
                            .help(format!("add tools/{server}.yaml with the server's manifest, or correct the name")),
                    );
                }
                Some(s) if !s.tools.iter().any(|d| d.name.value == tool) => {
                    let names: Vec<&str> = s.tools.iter().map(|d| d.name.value.as_str()).collect();
                    let hint = crate::suggest::hint(tool, names.iter().copied());
                    out.push(
                        Finding::new(&TOOL009, t.span, a.name.value.clone(), format!("agent `{}` uses `{}`, but server `{server}` declares no tool `{tool}`.{hint}", a.name.value, t.value))
                            .label("unknown tool")
                            .with_label(s.server.span, "the server's manifest")
                            .help(if names.is_empty() { format!("add the tool's definition to {}", s.path) } else { format!("`{server}` declares: {}", names.join(", ")) }),
                    );
                }
                Some(_) => {}
            }
        }
    }
    out
}
