//! MODEL: model aliases and the ids behind them.

use super::{Context, Rule};
use crate::finding::{Control, Meta, Scope};
use crate::finding::{Finding, Severity};
use crate::load::model::{ModelAlias, Sp};
use crate::model_ids::{self, Classification, Family, Pinning, Registry};

pub static MODEL002: Rule = Rule {
    meta: Meta {
        code: "MODEL002",
        name: "unknown-model",
        severity: Severity::Error,
        summary: "An agent, prompt or model fallback names an alias that models.yaml does not define.",
        checklist: Some("6.1"),
        needs: &[],
        scope: Scope::ModelAliases,
        control: Control::Full,
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
    },
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
                format!("the aliases are: {}", crate::suggest::listing(&aliases))
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

pub static MODEL001: Rule = Rule {
    meta: Meta {
        code: "MODEL001",
        name: "floating-model",
        severity: Severity::Error,
        summary: "A model alias whose id is an alias or unstable name, not a pinned snapshot.",
        checklist: Some("6.1"),
        needs: &[],
        scope: Scope::ModelAliases,
        control: Control::Full,
        docs: r#"
## Why
A model id such as `gpt-4o`, `claude-3-5-sonnet-latest` or `gemini-1.5-pro` is an alias: the
provider moves it to a newer snapshot when it likes, and the system's behaviour changes with no
commit, no review and nothing to roll back to. A pinned snapshot (`gpt-4o-2024-08-06`,
`claude-sonnet-4-5-20250929`, `gemini-2.0-flash-001`, or from the Claude 4.6 generation on the
dateless `claude-sonnet-4-6`) names one fixed model, so the lockfile can record it and a release
can roll back to it.

agentlock decides from a curated registry of provider facts (`policy/models.toml`, hashed into
the lockfile) and then from each provider's naming rules: any id with `latest` floats;
experimental ids (`-exp`) float; OpenAI ids are pinned by a `-YYYY-MM-DD` (or legacy `-MMDD`)
suffix; Claude ids before 4.6 by a `-YYYYMMDD` suffix (`@YYYYMMDD` on Vertex AI); Gemini ids by
a `-00N` suffix, bare 1.x and 2.0 names being auto-updated aliases and 2.5+ bare ids stable;
Bedrock ids by their `-vN:M` suffix. An Azure deployment name says nothing about the model
behind it: the alias must record `model_version` and `version_upgrade: NoAutoUpgrade`.

An id that cannot be checked (an expression such as `${MODEL_ID}`, an unknown provider) is
reported as a warning: the model it names is decided outside the repository.

## How to fix
Replace the alias with the snapshot it points to today (the finding names it when the registry
knows). For Azure, add the deployment's `model_version` and `version_upgrade: NoAutoUpgrade`.
Write model ids literally in models.yaml rather than reading them from the environment.

## Example
```yaml
# models.yaml
models:
  reasoning: { provider: anthropic, id: claude-sonnet-4-5-20250929 }   # not claude-sonnet-4-5
  fast: { provider: openai, id: gpt-4o-mini-2024-07-18 }               # not gpt-4o-mini
  chat: { provider: azure, id: prod-gpt4o, model_version: "2024-08-06", version_upgrade: NoAutoUpgrade }
```
"#,
    },
    check: check_floating,
};

pub static MODEL003: Rule = Rule {
    meta: Meta {
        code: "MODEL003",
        name: "retired-model",
        severity: Severity::Error,
        summary: "A model id the provider has retired, or retires within 90 days.",
        checklist: Some("6.1"),
        needs: &[],
        scope: Scope::ModelAliases,
        control: Control::Full,
        docs: r#"
## Why
Providers retire snapshots on announced dates; after that, every request to the id fails. A
pinned id protects against silent change, not against retirement: the system still needs a
current model to run on and a rollback target that exists. agentlock reads retirement dates from
its registry of provider facts (`policy/models.toml`) and compares them with today: a date that
has passed is an error, one within the next 90 days is a warning, so the move can be planned,
evaluated against the golden datasets and released before the date.

## How to fix
Move the alias to a current pinned model from the provider (the provider's deprecation notice,
linked in the help, names a replacement), run the golden datasets against it, and release the
change before the retirement date.

## Example
```yaml
# models.yaml
models:
  legacy: { provider: openai, id: gpt-4-0613 }     # retired on 2026-10-23: MODEL003 error
  fast: { provider: openai, id: gpt-4o-mini-2024-07-18 }
```
"#,
    },
    check: check_retired,
};

/// Days before a retirement date that MODEL003 starts warning.
const RETIREMENT_WARNING_DAYS: i64 = 90;

/// Classifies an alias's id; for Azure, the deployment keys decide.
fn classify_alias<'r>(a: &ModelAlias, id: &str, registry: &'r Registry) -> Classification<'r> {
    let mut c = model_ids::classify(a.provider.as_ref().map(|p| p.value.as_str()), id, registry);
    if c.family == Some(Family::Azure) && !c.expression {
        c.pinning = model_ids::azure_pinning(
            a.model_version.as_ref().map(|v| v.value.as_str()),
            a.version_upgrade.as_ref().map(|v| v.value.as_str()),
        );
    }
    c
}

fn check_floating(ctx: &Context) -> Vec<Finding> {
    let Some(models) = &ctx.model.models else {
        return Vec::new();
    };
    let registry = model_ids::registry();
    let mut out = Vec::new();
    for a in &models.aliases {
        let Some(id) = &a.id else { continue };
        let c = classify_alias(a, &id.value, registry);
        let name = &a.alias.value;
        match &c.pinning {
            Pinning::Pinned => {}
            Pinning::Floating(why) => {
                // For Azure the offending value is the upgrade option, when it is the reason.
                let span = match &a.version_upgrade {
                    Some(v) if c.family == Some(Family::Azure) => v.span,
                    _ => id.span,
                };
                out.push(
                    Finding::new(
                        &MODEL001,
                        span,
                        name.clone(),
                        format!("model `{name}` uses `{}`, a floating id: {why}.", id.value),
                    )
                    .label("floating model id")
                    .help(floating_help(&c, registry, ctx.policy.today)),
                );
            }
            Pinning::Unverifiable(why) => {
                let mut f = Finding::new(
                    &MODEL001,
                    id.span,
                    name.clone(),
                    format!(
                        "model `{name}` uses `{}`, which cannot be verified as pinned: {why}.",
                        id.value
                    ),
                )
                .label("unverifiable model id")
                .help(unverifiable_help(&c));
                f.severity = Severity::Warning;
                out.push(f);
            }
        }
    }
    out
}

fn floating_help(c: &Classification, registry: &Registry, today: i64) -> String {
    if c.family == Some(Family::Azure) {
        return "set `version_upgrade: NoAutoUpgrade` with the deployment's `model_version`, and turn automatic upgrades off on the deployment".into();
    }
    let usable = |e: &model_ids::Entry| {
        e.retired
            .is_none_or(|d| d - today > RETIREMENT_WARNING_DAYS)
    };
    if let Some(target) = c.entry.and_then(|e| e.alias_of.as_deref()) {
        let t = c.provider.and_then(|p| registry.lookup(p, target));
        return match t.and_then(|t| t.retired.zip(t.retired_text.as_deref())) {
            Some((day, date)) if day <= today => format!(
                "`{target}`, the snapshot it points to, was retired on {date}: pin a current snapshot instead"
            ),
            Some((_, date)) => format!(
                "pin the snapshot it points to today, `{target}`, and plan the move off it before it retires on {date}"
            ),
            None => format!("pin the snapshot it points to today: `{target}`"),
        };
    }
    let lower = c.normalized.to_ascii_lowercase();
    let base = lower.strip_suffix("-latest").unwrap_or(&lower);
    if let Some(p) = c.provider
        && let Some(s) = registry
            .snapshots_of(p, base)
            .into_iter()
            .find(|e| usable(e))
    {
        return format!("pin a dated snapshot instead, e.g. `{}`", s.id);
    }
    match c.family {
        Some(Family::OpenAi) => "pin a dated snapshot: the model name followed by `-YYYY-MM-DD`, from OpenAI's model list".into(),
        Some(Family::Claude) => "use a dated snapshot (`…-YYYYMMDD`), or a Claude 4.6+ id, which is pinned without a date".into(),
        Some(Family::Gemini) => "use a numbered stable version (`…-001`) or a Gemini 2.5+ stable id".into(),
        Some(Family::Bedrock) => "use the Bedrock id with its version suffix (`…-v1:0`)".into(),
        _ => "name a pinned snapshot instead".into(),
    }
}

fn unverifiable_help(c: &Classification) -> String {
    if c.expression {
        return "write the model id itself, not an expression, so the lockfile pins it and a change is reviewed; keep secrets, not model choices, in the environment".into();
    }
    match (c.family, c.provider) {
        (Some(Family::Copilot), _) => "Copilot picks the snapshot behind a label; the label itself is locked, so a change of it shows in review".into(),
        (Some(Family::Azure), _) => "record the deployment's `model_version` and `version_upgrade: NoAutoUpgrade` on the alias, and turn automatic upgrades off on the deployment".into(),
        _ if model_ids::is_open_weights(&c.normalized) => "pin what serves it: a host's exact build of the weights (a self-hosted image by digest, or one provider and quantization where the router lets you choose), or record an exception with the reason in agentlock.toml".into(),
        (_, None) if c.normalized.contains('/') => "pin the model by the exact, versioned name its provider publishes (a tag that names the build, not a family), and record an exception with the reason if the provider offers none".into(),
        (_, None) => "set `provider:` on the alias (openai, anthropic, google, vertex, bedrock or azure) and use that provider's pinned snapshot id".into(),
        (_, Some(p)) => format!(
            "use a pinned snapshot id from {}'s model list, or record an exception with the reason in agentlock.toml",
            p.display()
        ),
    }
}

fn check_retired(ctx: &Context) -> Vec<Finding> {
    let Some(models) = &ctx.model.models else {
        return Vec::new();
    };
    let registry = model_ids::registry();
    let today = ctx.policy.today;
    let mut out = Vec::new();
    for a in &models.aliases {
        let Some(id) = &a.id else { continue };
        let c = classify_alias(a, &id.value, registry);
        let Some(e) = c.entry else { continue };
        let (Some(day), Some(date)) = (e.retired, e.retired_text.as_deref()) else {
            continue;
        };
        let name = &a.alias.value;
        let who = e.provider.display();
        let left = day - today;
        if left <= 0 {
            out.push(
                Finding::new(
                    &MODEL003,
                    id.span,
                    name.clone(),
                    format!(
                        "model `{name}` uses `{}`, which {who} retired on {date}: requests to it fail.",
                        id.value
                    ),
                )
                .label(format!("retired on {date}"))
                .help(format!(
                    "move `{name}` to a current pinned model from {who} and run the golden datasets against it; the notice: {}",
                    e.source
                )),
            );
        } else if left <= RETIREMENT_WARNING_DAYS {
            let days = if left == 1 {
                "1 day".to_string()
            } else {
                format!("{left} days")
            };
            let mut f = Finding::new(
                &MODEL003,
                id.span,
                name.clone(),
                format!(
                    "model `{name}` uses `{}`, which retires on {date}, in {days}.",
                    id.value
                ),
            )
            .label(format!("retires in {days}"))
            .help(format!(
                "move `{name}` to a current pinned model from {who} and release it before {date}, after running the golden datasets against it; the notice: {}",
                e.source
            ));
            f.severity = Severity::Warning;
            out.push(f);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::snapshot::MemorySnapshot;

    fn run(models_yaml: &str, rule: &Rule) -> Vec<(String, Severity, String)> {
        let snap = MemorySnapshot::default()
            .with("agentlock.toml", "[project]\nname = \"t\"\n")
            .with(
                "agents.yaml",
                "entry: a\nagents:\n  a: { role: router, timeout: 1s, retries: 1 }\n",
            )
            .with("models.yaml", models_yaml);
        let model = crate::load::load(&snap).expect("loads");
        assert!(model.problems.is_empty(), "{:?}", model.problems);
        let today = crate::date::parse_date("2026-11-25").unwrap();
        let policy = crate::policy::Policy::new(
            &model.config,
            &model.suppressions,
            &model.sources,
            crate::rules::catalog(),
            today,
        );
        let ctx = Context {
            org: None,
            evidence: None,
            trace: None,
            traces: None,
            model: &model,
            policy: &policy,
            lock: None,
            history: None,
        };
        (rule.check)(&ctx)
            .into_iter()
            .map(|f| (f.subject, f.severity, f.message))
            .collect()
    }

    #[test]
    fn floating_unverifiable_and_pinned() {
        let got = run(
            "models:\n  a: { provider: openai, id: gpt-4o }\n  b: { provider: openai, id: \"${MODEL_ID}\" }\n  c: { provider: anthropic, id: claude-sonnet-4-5-20250929 }\n  d: { provider: azure, id: prod-chat, model_version: \"2024-08-06\", version_upgrade: NoAutoUpgrade }\n  e: { provider: azure, id: prod-chat, model_version: \"2024-08-06\", version_upgrade: OnceNewDefaultVersionAvailable }\n  f: { provider: azure, id: prod-chat }\n",
            &MODEL001,
        );
        let brief: Vec<(&str, Severity)> =
            got.iter().map(|(s, sev, _)| (s.as_str(), *sev)).collect();
        assert_eq!(
            brief,
            [
                ("a", Severity::Error),
                ("b", Severity::Warning),
                ("e", Severity::Error),
                ("f", Severity::Warning)
            ],
            "{got:?}"
        );
        assert!(got[0].2.contains("floating"), "{}", got[0].2);
        assert!(got[1].2.contains("cannot be verified"), "{}", got[1].2);
    }

    #[test]
    fn retired_and_retiring() {
        let got = run(
            "models:\n  old: { provider: openai, id: gpt-4-0613 }\n  soon: { provider: openai, id: gpt-5-2025-08-07 }\n  fine: { provider: openai, id: gpt-4o-mini-2024-07-18 }\n  later: { provider: google, id: gemini-2.5-flash }\n",
            &MODEL003,
        );
        assert_eq!(got.len(), 2, "{got:?}");
        assert_eq!((got[0].0.as_str(), got[0].1), ("old", Severity::Error));
        assert!(got[0].2.contains("retired on 2026-10-23"), "{}", got[0].2);
        assert_eq!((got[1].0.as_str(), got[1].1), ("soon", Severity::Warning));
        assert!(
            got[1].2.contains("retires on 2026-12-11, in 16 days"),
            "{}",
            got[1].2
        );
    }
}
