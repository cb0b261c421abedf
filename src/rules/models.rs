//! MODEL: model aliases and the ids behind them.

use super::{Context, Rule};
use crate::finding::{Finding, Severity};
use crate::model::Sp;

pub static MODEL002: Rule = Rule {
    code: "MODEL002",
    name: "unknown-model",
    severity: Severity::Error,
    summary: "An agent, prompt or model fallback names an alias that models.yaml does not define.",
    checklist: Some("6.1"),
    docs: r#"
## Why
Agents and prompts name models by alias (`reasoning`, `fast`) so that the pinned id lives in one
place, models.yaml, where it is locked and can be rolled back. An alias that is not defined there
falls through to whatever the runtime does with an unknown name, usually an error in production
or a provider default that nobody pinned.

## How to fix
Define the alias in models.yaml, or use one that exists (the finding suggests the closest).

## Example
```yaml
# models.yaml
models:
  reasoning: { provider: anthropic, id: claude-sonnet-4-5-20250929 }
  fast: { provider: openai, id: gpt-4o-mini-2024-07-18, fallback: reasoning }
```
"#,
    check,
};

fn check(ctx: &Context) -> Vec<Finding> {
    let model = ctx.model;
    if model.incomplete.models {
        return Vec::new(); // models.yaml failed to load: CONF001 says so
    }
    let aliases: Vec<&str> = model
        .models
        .as_ref()
        .map(|m| m.aliases.iter().map(|a| a.alias.value.as_str()).collect())
        .unwrap_or_default();
    let mut refs: Vec<(&Sp<String>, String, String)> = Vec::new();
    for a in model.agents() {
        if let Some(m) = &a.model {
            refs.push((m, a.name.value.clone(), format!("agent `{}`", a.name.value)));
        }
    }
    for p in &model.prompts {
        if let Some(m) = &p.model {
            refs.push((m, p.id(), format!("prompt `{}`", p.id())));
        }
    }
    if let Some(ms) = &model.models {
        for a in &ms.aliases {
            if let Some(f) = &a.fallback {
                refs.push((
                    f,
                    a.alias.value.clone(),
                    format!("the fallback of model `{}`", a.alias.value),
                ));
            }
        }
    }
    refs.into_iter()
        .filter(|(m, _, _)| !aliases.contains(&m.value.as_str()))
        .map(|(m, subject, who)| {
            let hint = crate::suggest::hint(&m.value, aliases.iter().copied());
            let help = if model.models.is_none() {
                format!(
                    "create {} and define `{}` under `models:`",
                    model.config.paths.models, m.value
                )
            } else if aliases.is_empty() {
                format!(
                    "define `{}` under `models:` in {}",
                    m.value, model.config.paths.models
                )
            } else {
                format!("the aliases are: {}", aliases.join(", "))
            };
            Finding::new(
                &MODEL002,
                m.span,
                subject,
                format!(
                    "{who} uses model `{}`, which models.yaml does not define.{hint}",
                    m.value
                ),
            )
            .label("unknown model alias")
            .help(help)
        })
        .collect()
}
