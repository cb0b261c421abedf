//! SECRET: credentials inline in the model's files. The scanner is `crate::secrets`; loading
//! runs it over every file and masks what it finds, so these rules only report.

use super::{Context, Rule};
use crate::finding::{Control, Meta, Scope};
use crate::finding::{Finding, Severity};
use crate::load::model::{Model, Secret};

pub static SECRET001: Rule = Rule {
    meta: Meta {
        code: "SECRET001",
        name: "secret-in-prompt",
        severity: Severity::Error,
        summary: "A credential in a prompt; the value is never printed.",
        checklist: Some("5.2"),
        needs: &[],
        scope: Scope::Prompts,
        control: Control::Full,
        docs: r#"
agentlock scans every prompt for credentials of more than 60 kinds (OpenAI, Anthropic, AWS,
GitHub, GitLab, Slack, Stripe, Google, Azure, private keys, JWTs, database URLs with a password,
high-entropy `password = "…"` assignments and more; `agentlock scan` lists them with `--help`).
A keyword prefilter decides which detectors run at all, so clean text costs one pass.

A finding shows the detector, the place, a redacted form (`ghp_…a9f2`: a public prefix and at
most the last 4 characters) and a fingerprint (16 hex digits of the value's SHA-256). The value
itself is never printed: not in any output format, not in source excerpts, not in error
messages.

## Why
Checklist 5.2: "Secrets stored securely (vault / KMS)" and "No secrets in prompts or logs". A
prompt is sent to a model provider on every request, copied into traces (Langfuse, logs),
golden datasets and evaluation tools, and can be coaxed out of the model by any user. A
credential in a prompt is a credential published to all of them, and to everyone with read
access to the repository, for as long as its git history exists.

## How to fix
Remove the value, rotate the credential (it is in git history), and give the agent the
capability through a tool whose manifest reads the credential from the environment
(`env: { TOKEN: "${TOKEN}" }`). A documented test credential can be accepted by fingerprint:

```toml
[[policy.secrets.allow]]
fingerprint = "3f9a0c1d2b4e5f60"
reason = "the provider's published test key, see TICKET-9"
```

## Example
```
prompts/support.prompt:12:18  GitHub personal access token (classic) ghp_…a9f2 (fingerprint 3f9a0c1d2b4e5f60)
```
"#,
    },
    check: check_prompts,
};

pub static SECRET002: Rule = Rule {
    meta: Meta {
        code: "SECRET002",
        name: "secret-in-config",
        severity: Severity::Error,
        summary: "A credential inline in any other file of the model (manifests, agents.yaml, models.yaml, deploy.yaml, datasets, agentlock.toml).",
        checklist: Some("5.2"),
        needs: &[],
        scope: Scope::Files,
        control: Control::Full,
        docs: r#"
The same scanner as SECRET001, over every other file agentlock reads: tool manifests (an
`env` value or a URL with a password), agents.yaml, models.yaml, deploy.yaml, golden datasets,
agentlock.toml and policy files. References such as `${GITHUB_TOKEN}`, `{{api_key}}` and
`<your-key>` are not credentials and are not reported.

## Why
Checklist 5.2: "Secrets stored securely (vault / KMS)". A credential in a config file is in
every clone, every CI log that prints the file, every fork, and in git history after it is
removed. Tool manifests are the usual place: an MCP server's `env` block invites pasting a
token.

## How to fix
Replace the value with a reference to the environment or the secret store
(`GITHUB_TOKEN: "${GITHUB_TOKEN}"`), rotate the credential, and accept a documented test value
by fingerprint (`[[policy.secrets.allow]]`) if it is really public.

## Example
```yaml
env: { GITHUB_TOKEN: "${GITHUB_TOKEN}" }   # not the token itself
```
"#,
    },
    check: check_configs,
};

/// Whether a file is a prompt of the model.
fn is_prompt(model: &Model, s: &Secret) -> bool {
    model.prompts.iter().any(|p| p.file == s.span.file)
        || model.sources.get(s.span.file).path.ends_with(".prompt")
}

fn check_prompts(ctx: &Context) -> Vec<Finding> {
    let model = ctx.model;
    model
        .secrets
        .iter()
        .filter(|s| is_prompt(model, s))
        .map(|s| finding(&SECRET001, model, s, "prompt"))
        .collect()
}

fn check_configs(ctx: &Context) -> Vec<Finding> {
    let model = ctx.model;
    model
        .secrets
        .iter()
        .filter(|s| !is_prompt(model, s))
        .map(|s| finding(&SECRET002, model, s, "file"))
        .collect()
}

/// "an Anthropic API key", "a GitHub token": by how the title is said ("an AWS access key",
/// "an xAI API key", "an npm access token").
fn article(title: &str) -> &'static str {
    let lower = title.to_ascii_lowercase();
    if lower.starts_with(['a', 'e', 'i', 'o', 'u', 'x']) || lower.starts_with("npm") {
        "an"
    } else {
        "a"
    }
}

/// The finding for one secret. Only the detector, the redacted form and the fingerprint are
/// in it.
pub fn finding(rule: &'static Rule, model: &Model, s: &Secret, what: &str) -> Finding {
    let path = model.sources.get(s.span.file).path.clone();
    let subject = model
        .prompts
        .iter()
        .find(|p| p.file == s.span.file)
        .map_or(path.clone(), |p| p.id());
    let message = if s.in_name {
        format!(
            "{} {} is in the name of {what} {path}: {} (fingerprint {})",
            article(s.detector.title),
            s.detector.title,
            s.redacted,
            s.fingerprint
        )
    } else {
        format!(
            "{} {} is inline in {what} {path}: {} (fingerprint {})",
            article(s.detector.title),
            s.detector.title,
            s.redacted,
            s.fingerprint
        )
    };
    let mut f = Finding::new(rule, s.span, subject, message)
    .label(format!("{} {}", s.detector.id, s.redacted))
    .help(if s.in_name {
        "rename the file, and rotate the credential (its name is in git history, in every clone and in CI logs that list files)"
    } else if rule.code == "SECRET001" {
        "remove it and rotate the credential (it is in git history); give the agent the capability through a tool that reads it from the environment. A known test value: allow its fingerprint under [[policy.secrets.allow]] with a reason"
    } else {
        "replace it with a reference such as \"${TOKEN}\" and rotate the credential (it is in git history). A known test value: allow its fingerprint under [[policy.secrets.allow]] with a reason"
    });
    f.fingerprint = Some(s.fingerprint.clone());
    f
}
