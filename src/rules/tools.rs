//! TOOL: MCP servers and the tools agents use.
//!
//! TOOL006 (a definition's contract) lives in `tool_surface.rs`, TOOL008 (its texts) in
//! `tool_descriptions.rs`.

use super::prompts::is_exact_semver;
use super::{Context, Rule};
use crate::finding::{Control, Meta, Scope};
use crate::finding::{Finding, Severity};
use crate::load::model::tool::Source;
use crate::lock::{ChangeKind, Kind, LockStatus};

pub static TOOL001: Rule = Rule {
    meta: Meta {
        code: "TOOL001",
        name: "floating-tool-version",
        severity: Severity::Error,
        summary: "A server or package version that is missing, `latest`, a range, or an image without a digest.",
        checklist: Some("1.3"),
        needs: &[],
        scope: Scope::ToolServers,
        control: Control::Full,
        docs: r#"
Checks each MCP server manifest's `version` (exact semver) and its `source`, by kind:

| source | pinned | floating |
|---|---|---|
| `npm: "pkg@1.2.3"` | an exact version | no version, `latest` or another dist-tag, `^1.2`, `~1.2`, `>=1`, `1.x`, `*` |
| `pypi: "pkg==1.2.3"` | `==` or `===` with a version | no specifier, `>=`, `~=`, `!=`, `==1.*` |
| `oci: "image@sha256:…"` | a digest (64 hex digits) | a tag alone (`:1.2.3`, `:latest`): a tag can be moved to another image |
| `url: …` | with `sha256:` of the download | without a hash |

A manifest with no `source` at all pins nothing either.

## Why
Checklist 1.3: "Tool versions pinned (no floating latest)". A floating version means the code
that runs behind a tool changes without a commit: a new release of the package, a re-pushed
image tag. The lockfile then names a release that cannot be reproduced, and the tool surface
the agents were tested against may change under them.

## How to fix
Pin the exact version the manifest was written for, and for images and downloads the digest.
Find an image's digest with `docker buildx imagetools inspect IMAGE:TAG`.

## Example
```yaml
server: github
version: 1.4.2
source: { npm: "@modelcontextprotocol/server-github@1.4.2" }
# or: source: { oci: "ghcr.io/github/github-mcp-server@sha256:4f1e…" }
```
"#,
    },
    check: check_versions,
};

pub static TOOL002: Rule = Rule {
    meta: Meta {
        code: "TOOL002",
        name: "broad-permission",
        severity: Severity::Error,
        summary: "A server with no declared permissions, a wildcard permission, or one outside the allowed permissions.",
        checklist: Some("1.3"),
        needs: &[],
        scope: Scope::DeclaredToolServers,
        control: Control::Full,
        docs: r#"
Each server lists the permissions its credentials grant (`permissions: [repo:read, issues:write]`).
This rule reports a server that declares none, a wildcard (`*`, `repo:*`) or an all-powerful
scope (`admin`, `all`, `root`), and, when the policy sets `[policy.limits] allowed_permissions`,
any permission outside that list.

## Why
Checklist 1.3: "Tool permissions reviewed (principle of least privilege)". An agent can be
talked into calling any tool it holds; what the tool's credentials allow is the blast radius of
a prompt injection. A declared, reviewed list of scopes is what a reviewer signs off.

## How to fix
List the narrowest scopes the server needs, grant the credential exactly those, and extend
`allowed_permissions` in review when a new scope is genuinely needed.

## Example
```yaml
permissions: [repo:read, issues:write]    # not [repo:*] or [admin]
```
"#,
    },
    check: check_permissions,
};

pub static TOOL003: Rule = Rule {
    meta: Meta {
        code: "TOOL003",
        name: "missing-tool-timeout",
        severity: Severity::Error,
        summary: "A server with no timeout, or one above the policy's `max_timeout`.",
        checklist: Some("1.3"),
        needs: &[],
        scope: Scope::DeclaredToolServers,
        control: Control::Full,
        docs: r#"
## Why
Checklist 1.3: "Tool timeouts and rate limits configured". A tool call with no timeout holds
the agent, and the request, for as long as the remote side takes; a hung server turns into a
hung request and a pile of open connections.

## How to fix
Set `timeout:` in the manifest to what the tool needs at its slowest acceptable response,
within `[policy.limits] max_timeout`.

## Example
```yaml
server: github
timeout: 20s
```
"#,
    },
    check: check_timeouts,
};

pub static TOOL004: Rule = Rule {
    meta: Meta {
        code: "TOOL004",
        name: "missing-tool-rate-limit",
        severity: Severity::Warning,
        summary: "A server with no rate limit.",
        checklist: Some("1.3"),
        needs: &[],
        scope: Scope::DeclaredToolServers,
        control: Control::Full,
        docs: r#"
## Why
Checklist 1.3: "Tool timeouts and rate limits configured". An agent in a loop can call a tool
far faster than a person would: without a rate limit one confused request can exhaust an API
quota, trip the provider's abuse detection, or run up a bill.

## How to fix
Set `rate_limit:` (`N/s`, `N/m` or `N/h`) below the provider's quota, leaving room for other
clients of the same credential.

## Example
```yaml
server: github
rate_limit: 5/s
```
"#,
    },
    check: check_rate_limits,
};

pub static TOOL005: Rule = Rule {
    meta: Meta {
        code: "TOOL005",
        name: "missing-failure-mode",
        severity: Severity::Warning,
        summary: "A server with no `on_failure`, or a fallback that names nothing usable.",
        checklist: Some("1.3"),
        needs: &[],
        scope: Scope::DeclaredToolServers,
        control: Control::Full,
        docs: r#"
`on_failure` says what the agent runtime does when a call fails: `retry`, `fallback` (to the
`server.tool` named in `fallback`) or `abort`. This rule reports a missing `on_failure`, a
`fallback` mode without a fallback, a fallback that no manifest declares or that belongs to the
same server (it fails with it), and a `fallback` set while the mode is not `fallback`.

## Why
Checklist 1.3: "Tool failure modes defined (retry / fallback / abort)". Without a decision on
record, each failure is handled by whatever the framework does by default, which differs by
framework and version and is rarely what the incident review wanted.

## How to fix
Decide per server: `abort` for tools whose failure must stop the request, `retry` for
idempotent reads, `fallback` with a tool of another server for degraded service.

## Example
```yaml
server: kb
on_failure: fallback
fallback: search.web_search
```
"#,
    },
    check: check_failure_modes,
};

pub static TOOL007: Rule = Rule {
    meta: Meta {
        code: "TOOL007",
        name: "tool-changed-without-version-bump",
        severity: Severity::Error,
        summary: "A tool definition's surface changed while the server's version stayed the same as in the lockfile.",
        checklist: Some("1.3"),
        needs: &[],
        scope: Scope::Tools,
        control: Control::Full,
        docs: r#"
Each MCP tool definition is locked by the hash of its whole surface: name, title,
description, input and output schema, annotations. When a definition's hash differs from the
lockfile (or a definition appears or disappears) while the server's `version` is the one that
was locked, the same version now means two different tools. In a git repository the rule also
compares with the last release (the newest tag matching `[release] tag_pattern` that HEAD
reaches), so a surface changed and relocked under the released version is still caught.

## Why
Checklist 1.3: "Tool versions pinned" only means something if a version names one surface.
A tool whose description or schema changes under an unchanged version is a "rug pull": the
agents were evaluated against one contract and run against another, and a description is where
tool-poisoning instructions hide.

## How to fix
If the server really changed, bump `version` (and the pinned package) and re-run
`agentlock lock`. If the manifest was edited by mistake, restore the locked definition.

## Example
```
tool `github` changed definitions.create_issue under the same version 1.4.2
```
"#,
    },
    check: check_surface_changes,
};

pub static TOOL009: Rule = Rule {
    meta: Meta {
        code: "TOOL009",
        name: "unknown-tool",
        severity: Severity::Error,
        summary: "An agent names a `server.tool` that no manifest declares.",
        checklist: Some("1.3"),
        needs: &[],
        scope: Scope::Agents,
        control: Control::Full,
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
    },
    check,
};

fn check(ctx: &Context) -> Vec<Finding> {
    let model = ctx.model;
    let servers = crate::suggest::Index::new(model.tools.iter().map(|s| s.server.value.as_str()));
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
                    let hint = servers.hint(server);
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
                            .help(if names.is_empty() { format!("add the tool's definition to {}", s.path) } else { format!("`{server}` declares: {}", crate::suggest::listing(&names)) }),
                    );
                }
                Some(_) => {}
            }
        }
    }
    out
}

fn check_versions(ctx: &Context) -> Vec<Finding> {
    let mut out = Vec::new();
    for t in &ctx.model.tools {
        let subject = t.server.value.clone();
        match &t.version {
            // A launch record's version is its package's: the source check below covers it.
            None if t.launch_only => {}
            None => out.push(
                Finding::new(
                    &TOOL001,
                    t.server.span,
                    subject.clone(),
                    format!("server `{}` has no version", t.server.value),
                )
                .label("no `version`")
                .help("add `version:` with the exact release of the server, e.g. `version: 1.4.2`"),
            ),
            // `${VERSION}` in a registry template: filled in at release time.
            Some(v) if crate::model_ids::is_expression(&v.value) => out.push(unverifiable(
                t,
                v.span,
                format!("has version `{}`", v.value),
            )),
            Some(v) if !super::prompts::is_exact_semver(&v.value) => out.push(
                Finding::new(
                    &TOOL001,
                    v.span,
                    subject.clone(),
                    format!(
                        "server `{}` has version `{}`, which is {}",
                        t.server.value,
                        v.value,
                        why_floating(&v.value)
                    ),
                )
                .label("not an exact version")
                .help("write the exact release, e.g. `1.4.2`"),
            ),
            Some(_) => {}
        }
        // A registry server.json with neither packages nor remotes installs nothing.
        if t.sources.is_empty() && !t.launch_only {
            out.push(
                Finding::new(&TOOL001, t.server.span, subject.clone(), format!("server `{}` has no `source`: nothing pins the code that runs", t.server.value))
                    .label("no `source`")
                    .help("add `source:` with the pinned package: `{ npm: \"pkg@1.2.3\" }`, `{ pypi: \"pkg==1.2.3\" }`, `{ oci: \"image@sha256:…\" }` or `{ url: …, sha256: … }`"),
            );
        }
        for src in &t.sources {
            if src.kind.value == crate::load::model::launch::SHELL_SCRIPT {
                let mut f = Finding::new(
                    &TOOL001,
                    src.value.span,
                    subject.clone(),
                    format!(
                        "server `{}` is started by a shell script that computes what it runs: agentlock cannot tell what it starts, or whether that is pinned",
                        t.server.value
                    ),
                )
                .label("a script")
                .help("start the server with a plain command (`node ${CLAUDE_PLUGIN_ROOT}/dist/index.js`, `npx -y pkg@1.2.3`) so its source can be checked and locked");
                f.severity = crate::finding::Severity::Warning;
                out.push(f);
                continue;
            }
            // the repository's own code (`${CLAUDE_PLUGIN_ROOT}/…`) and remotes are not pinned
            // by version anyway
            let own = matches!(src.kind.value.as_str(), "local" | "remote");
            if !own && crate::model_ids::is_expression(&src.value.value) {
                let what = format!("is installed from `{}`", src.display());
                out.push(unverifiable(t, src.value.span, what));
                continue;
            }
            // `/path/to/your/server.js` or `npx -y <your-mcp-server>` in a template config: to
            // be filled in, not pinned yet (no package name has `<` or `>` in it)
            let placeholder_package = !own && has_angle_placeholder(&src.value.value);
            if (src.kind.value == "exec" && is_placeholder_path(&src.value.value))
                || placeholder_package
            {
                let (verb, shown) = if placeholder_package {
                    ("installs", src.display())
                } else {
                    ("is started from", src.value.value.clone())
                };
                let what = format!("{verb} `{shown}`, a placeholder");
                let mut f = unverifiable(t, src.value.span, what);
                f.message = format!(
                    "server `{}` {verb} `{shown}`, a placeholder to fill in: what runs cannot be told until it is",
                    t.server.value
                );
                f.label = Some("a placeholder".into());
                f.help = Some(
                    "fill in the path of the server, a file of the repository or a pinned package"
                        .into(),
                );
                out.push(f);
                continue;
            }
            if let Some((why, help)) = source_floats(src) {
                out.push(
                    Finding::new(
                        &TOOL001,
                        src.value.span,
                        subject.clone(),
                        format!(
                            "server `{}` is installed from `{}`, which {why}",
                            t.server.value,
                            src.display()
                        ),
                    )
                    .label("floating")
                    .help(help),
                );
            }
        }
    }
    out
}

/// A version that is an expression (`${VERSION}` in a registry template, filled in at release
/// time): not floating, but not verifiable here either, so a warning, as MODEL001 says of a
/// `${VAR}` model id.
fn unverifiable(
    t: &crate::load::model::ToolServer,
    span: crate::source::Span,
    what: String,
) -> Finding {
    let mut f = Finding::new(
        &TOOL001,
        span,
        t.server.value.clone(),
        format!(
            "server `{}` {what}, an expression filled in at release time: what it pins cannot be verified here",
            t.server.value
        ),
    )
    .label("not a version yet")
    .help("check the released file, or run agentlock on the repository after the version is filled in");
    f.severity = crate::finding::Severity::Warning;
    f
}

/// `<your-mcp-server>`: a name in angle brackets, which no package or image name has (a
/// version range such as `>=2025.1` or `<2,>=1` is not one).
fn has_angle_placeholder(v: &str) -> bool {
    v.match_indices('<').any(|(i, _)| {
        let rest = &v[i + 1..];
        rest.find('>').is_some_and(|j| {
            let inner = &rest[..j];
            inner.chars().any(|c| c.is_ascii_alphabetic())
                && inner
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | ' ' | '.'))
                && !rest[j + 1..].starts_with('=')
        })
    })
}

/// `/Users/…`, `C:/…`, `~/…`: a path of one machine.
fn is_absolute_path(v: &str) -> bool {
    let b = v.as_bytes();
    v.starts_with(['/', '~', '\\']) || (b.len() > 2 && b[0].is_ascii_alphabetic() && b[1] == b':')
}

/// A path a template leaves to fill in: `/path/to/…`, `/ABSOLUTE/PATH/…`, `<path>`, `YOUR_…`.
fn is_placeholder_path(v: &str) -> bool {
    let l = v.to_ascii_lowercase();
    [
        "/path/to",
        "path/to/",
        "absolute/path",
        "absolute_path",
        "/full/path",
        "your_",
        "your-",
        "<",
        "yourusername",
        "/users/you/",
        "/users/username/",
        "/home/username/",
        "...",
        "xxx",
    ]
    .iter()
    .any(|m| l.contains(m))
}

/// Why a version string is not exact.
fn why_floating(v: &str) -> &'static str {
    let l = v.trim().to_ascii_lowercase();
    if l.is_empty() {
        "empty"
    } else if l == "latest" || l.contains("latest") {
        "`latest`: it moves with every release"
    } else if l.contains(['^', '~', '>', '<', '*', '|']) || l.split('.').any(|p| p == "x") {
        "a range: it moves with every matching release"
    } else {
        "not an exact semver version"
    }
}

/// Whether a source floats, with why and how to pin it.
fn source_floats(src: &Source) -> Option<(String, String)> {
    let value = src.value.value.trim();
    match src.kind.value.as_str() {
        "npm" => {
            // `@scope/name@1.2.3` or `name@1.2.3`: the version follows the last `@` after the first character.
            let (name, version) = match value
                .char_indices()
                .skip(1)
                .filter(|(_, c)| *c == '@')
                .last()
            {
                Some((i, _)) => (&value[..i], Some(&value[i + 1..])),
                None => (value, None),
            };
            match version {
                None | Some("") => Some((
                    "names no version: npm installs whatever is newest".into(),
                    format!("pin the exact version: `{name}@1.2.3`"),
                )),
                Some(v) if !is_exact_semver(v) => Some((
                    match why_floating_tag(v) {
                        "`latest`: it moves with every release" => {
                            "asks for `latest`, which moves with every release".to_string()
                        }
                        why => format!("asks for version `{v}`, {why}"),
                    },
                    format!("pin the exact version: `{name}@1.2.3`"),
                )),
                Some(_) => None,
            }
        }
        "pypi" => {
            let exact = value
                .split_once("===")
                .or_else(|| value.split_once("=="))
                .filter(|(_, v)| is_exact_pep440(v.trim()));
            match exact {
                Some(_) => None,
                None => {
                    let name: String = value
                        .chars()
                        .take_while(|c| {
                            c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.' | '[' | ']')
                        })
                        .collect();
                    Some((
                        if name.len() == value.len() {
                            "names no version: pip installs whatever is newest".into()
                        } else if value.to_ascii_lowercase().ends_with("@latest") {
                            "asks for `latest`, which moves with every release".into()
                        } else {
                            "is not pinned with `==` to one exact version".into()
                        },
                        format!("pin the exact version: `{name}==1.2.3`"),
                    ))
                }
            }
        }
        "oci" => {
            let digest = value.split_once("@sha256:").map(|(_, d)| d);
            match digest {
                Some(d) if d.len() == 64 && d.bytes().all(|b| b.is_ascii_hexdigit()) => None,
                Some(_) => Some((
                    "has a malformed digest (expected 64 hex digits after `@sha256:`)".into(),
                    "copy the digest from `docker buildx imagetools inspect IMAGE:TAG`".into(),
                )),
                None => {
                    let last = value.rsplit('/').next().unwrap_or(value);
                    let why = match last.split_once(':') {
                        Some((_, "latest")) => {
                            "uses the tag `latest`, which moves with every push".to_string()
                        }
                        Some((_, tag)) => format!(
                            "names the tag `{tag}` but no digest: a tag can be moved to another image"
                        ),
                        None => "names no tag and no digest: it resolves to `latest`".to_string(),
                    };
                    Some((why, "pin the digest: `image@sha256:<64 hex digits>` (keep the tag in a comment)".into()))
                }
            }
        }
        "nuget" => match value.rsplit_once('@') {
            Some((_, v)) if is_exact_semver(v) || is_exact_dotted(v) => None,
            Some((name, v)) => Some((
                format!("asks for version `{v}`, {}", why_floating(v)),
                format!("pin the exact version: `{name}@1.2.3`"),
            )),
            None => Some((
                "names no version: NuGet installs whatever is newest".into(),
                format!("pin the exact version: `{value}@1.2.3`"),
            )),
        },
        "go" => match value.rsplit_once('@') {
            Some((_, v)) if v.strip_prefix('v').is_some_and(is_exact_semver) => None,
            Some((module, v)) => Some((
                format!("asks for version `{v}`, which is not one exact release"),
                format!("pin the exact version: `{module}@v1.2.3`"),
            )),
            None => Some((
                "names no version".into(),
                format!("pin the exact version: `{value}@v1.2.3`"),
            )),
        },
        "git" => {
            let (repo, reference) = git_ref(value);
            match reference {
                Some(r) if is_commit(r) => None,
                Some(r) => Some((
                    format!("checks out `{r}`, a branch or tag that can be moved to other code"),
                    format!("pin the commit: `{repo}@<40-hex commit id>`"),
                )),
                None => Some((
                    "names no ref: it installs whatever the default branch holds".into(),
                    format!("pin the commit: `{repo}@<40-hex commit id>`"),
                )),
            }
        }
        "exec" if is_absolute_path(value) || value == ".." || value.starts_with("../") => Some((
            "is a path on one machine, outside the repository: other machines have nothing there, or something else".into(),
            "launch it from a file in the repository (`${workspaceFolder}/…`, a relative path) or from a pinned package (`npx -y pkg@1.2.3`, `uvx pkg@1.2.3`)".into(),
        )),
        "exec" => Some((
            "is a program from the PATH: each machine runs whatever version it has installed".into(),
            "launch it from a pinned package (`npx -y pkg@1.2.3`, `uvx pkg@1.2.3`, `docker run image@sha256:…`) or from a file in the repository".into(),
        )),
        // A running server cannot be pinned by version (its URL is locked); a file in the
        // repository is pinned by the repository itself.
        "remote" | "local" => None,
        "url" => match &src.sha256 {
            Some(h) if is_sha256(&h.value) => None,
            Some(_) => Some((
                "has a `sha256` that is not 64 hex digits".into(),
                "record the SHA-256 of the downloaded file: `sha256sum FILE`".into(),
            )),
            None => Some((
                "has no `sha256`: the file behind a URL can change".into(),
                "add `sha256:` with the SHA-256 of the downloaded file".into(),
            )),
        },
        _ => None,
    }
}

/// A NuGet-style four-part version (`1.2.3.4`): numbers only.
fn is_exact_dotted(v: &str) -> bool {
    let parts: Vec<&str> = v.split('.').collect();
    (2..=4).contains(&parts.len())
        && parts
            .iter()
            .all(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()))
}

/// A git source's repository and ref: `git+https://host/org/repo@ref` (pip), `…#ref` (npm).
/// pip's fragment (`#egg=name`, `#subdirectory=dir`, joined with `&`) is not a ref.
fn git_ref(spec: &str) -> (&str, Option<&str>) {
    let spec = match spec.split_once('#') {
        Some((repo, frag))
            if frag
                .split('&')
                .any(|kv| kv.starts_with("egg=") || kv.starts_with("subdirectory=")) =>
        {
            repo
        }
        _ => spec,
    };
    if let Some((repo, r)) = spec.rsplit_once('#') {
        return (repo, Some(r).filter(|r| !r.is_empty()));
    }
    // The ref follows the last `@` after the host: not the `git@` of an SSH address.
    let path_start = spec.find("://").map_or(0, |i| i + 3);
    let path_start = spec[path_start..]
        .find('/')
        .map_or(spec.len(), |i| path_start + i);
    match spec[path_start..].rfind('@') {
        Some(i) => {
            let at = path_start + i;
            (&spec[..at], Some(&spec[at + 1..]).filter(|r| !r.is_empty()))
        }
        None => (spec, None),
    }
}

/// A full commit id (SHA-1 or SHA-256).
fn is_commit(r: &str) -> bool {
    (r.len() == 40 || r.len() == 64) && r.bytes().all(|b| b.is_ascii_hexdigit())
}

fn why_floating_tag(v: &str) -> &'static str {
    match why_floating(v) {
        "not an exact semver version" => "a dist-tag that moves with every release",
        other => other,
    }
}

fn is_sha256(h: &str) -> bool {
    let h = h.strip_prefix("sha256:").unwrap_or(h);
    h.len() == 64 && h.bytes().all(|b| b.is_ascii_hexdigit())
}

/// A PEP 440 version with no wildcard: `1.2.3`, `2024.1`, `1.0rc1`, `1.2.3.post1`.
fn is_exact_pep440(v: &str) -> bool {
    let v = v.strip_prefix('v').unwrap_or(v);
    !v.is_empty()
        && v.starts_with(|c: char| c.is_ascii_digit())
        && v.chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '+' | '!'))
}

/// The servers with runtime settings of their own: TOOL002 to TOOL005 check those. A launch
/// record (see [`crate::load::model::ToolServer::launch_only`]) has none to check.
fn governed(
    model: &crate::load::model::Model,
) -> impl Iterator<Item = &crate::load::model::ToolServer> {
    model.tools.iter().filter(|t| !t.launch_only)
}

/// Permissions that grant everything, whatever the service.
fn is_broad(p: &str) -> bool {
    let l = p.to_ascii_lowercase();
    let last = l.rsplit([':', '.', '/']).next().unwrap_or(&l);
    l.contains('*')
        || matches!(
            last,
            "admin" | "all" | "root" | "superuser" | "full" | "full_access" | "owner"
        )
}

fn check_permissions(ctx: &Context) -> Vec<Finding> {
    let allowed = ctx.policy.limits.allowed_permissions.as_ref();
    let mut out = Vec::new();
    for t in governed(ctx.model) {
        let subject = t.server.value.clone();
        // `permissions: []` declares that a server needs none; a missing key declares nothing.
        if !t.declares_permissions {
            out.push(
                Finding::new(&TOOL002, t.server.span, subject.clone(), format!("server `{}` declares no permissions: what its credentials can do is unreviewed", t.server.value))
                    .label("no `permissions`")
                    .help("list the scopes its credentials grant, e.g. `permissions: [repo:read]`, or `permissions: []` if it needs none"),
            );
            continue;
        }
        for p in &t.permissions {
            if is_broad(&p.value) {
                out.push(
                    Finding::new(
                        &TOOL002,
                        p.span,
                        subject.clone(),
                        format!(
                            "server `{}` holds `{}`, which grants everything in its scope",
                            t.server.value, p.value
                        ),
                    )
                    .label("wildcard or all-powerful scope")
                    .help(
                        "replace it with the narrowest scopes the server needs, e.g. `repo:read`",
                    ),
                );
            } else if let Some(list) = allowed
                && !list.iter().any(|a| a.value == p.value)
            {
                let hint = crate::suggest::hint(&p.value, list.iter().map(|a| a.value.as_str()));
                let names: Vec<&str> = list.iter().map(|a| a.value.as_str()).collect();
                out.push(
                    Finding::new(&TOOL002, p.span, subject.clone(), format!("server `{}` holds `{}`, which the policy does not allow.{hint}", t.server.value, p.value))
                        .label("not in allowed_permissions")
                        .with_label(list.first().map_or(p.span, |a| a.span), "the allowed permissions")
                        .help(format!("allowed: {}; extend `[policy.limits] allowed_permissions` in review if the scope is needed", names.join(", "))),
                );
            }
        }
    }
    out
}

fn check_timeouts(ctx: &Context) -> Vec<Finding> {
    let max = ctx.policy.limits.max_timeout.as_ref();
    let mut out = Vec::new();
    for t in governed(ctx.model) {
        match &t.timeout {
            None => out.push(
                Finding::new(&TOOL003, t.server.span, t.server.value.clone(), format!("server `{}` has no timeout", t.server.value))
                    .label("no `timeout`")
                    .help("add `timeout:` (e.g. `timeout: 20s`): the longest a call may take before it fails"),
            ),
            Some(d) => {
                if let Some(m) = max
                    && d.value > m.value
                {
                    out.push(
                        Finding::new(&TOOL003, d.span, t.server.value.clone(), format!("server `{}` has timeout {}, above the policy's max_timeout of {}", t.server.value, d.value, m.value))
                            .label("above max_timeout")
                            .with_label(m.span, "the limit")
                            .help(format!("lower it to {} or less", m.value)),
                    );
                }
            }
        }
    }
    out
}

fn check_rate_limits(ctx: &Context) -> Vec<Finding> {
    governed(ctx.model)
        .filter(|t| t.rate_limit.is_none())
        .map(|t| {
            Finding::new(
                &TOOL004,
                t.server.span,
                t.server.value.clone(),
                format!("server `{}` has no rate limit", t.server.value),
            )
            .label("no `rate_limit`")
            .help("add `rate_limit:` below the provider's quota, e.g. `rate_limit: 5/s`")
        })
        .collect()
}

fn check_failure_modes(ctx: &Context) -> Vec<Finding> {
    let model = ctx.model;
    let mut out = Vec::new();
    for t in governed(model) {
        let subject = t.server.value.clone();
        let mode = t.on_failure.as_ref();
        match (mode.map(|m| m.value.as_str()), &t.fallback) {
            (None, _) => out.push(
                Finding::new(&TOOL005, t.server.span, subject, format!("server `{}` has no `on_failure`", t.server.value))
                    .label("no failure mode")
                    .help("add `on_failure: retry`, `abort`, or `fallback` with `fallback: server.tool`"),
            ),
            (Some("fallback"), None) => out.push(
                Finding::new(&TOOL005, mode.unwrap().span, subject, format!("server `{}` falls back on failure, but names no `fallback`", t.server.value))
                    .label("fallback to what?")
                    .help("add `fallback: server.tool` naming a tool of another server"),
            ),
            (Some("fallback"), Some(f)) => {
                let (server, tool) = f.value.split_once('.').unwrap_or((f.value.as_str(), ""));
                let target = model.tool_server(server);
                let problem = if server == t.server.value {
                    Some("is a tool of the same server, which fails with it".to_string())
                } else if target.is_none() && !model.incomplete.tools {
                    Some(format!("names server `{server}`, which no manifest declares"))
                } else if target.is_some_and(|s| !s.tools.iter().any(|d| d.name.value == tool)) {
                    Some(format!("names tool `{tool}`, which server `{server}` does not declare"))
                } else {
                    None
                };
                if let Some(problem) = problem {
                    out.push(
                        Finding::new(&TOOL005, f.span, subject, format!("the fallback of server `{}`, `{}`, {problem}", t.server.value, f.value))
                            .label("unusable fallback")
                            .help("name a declared tool of another server as `server.tool`"),
                    );
                }
            }
            (Some(m), Some(f)) if m != "fallback" => out.push(
                Finding::new(&TOOL005, f.span, subject, format!("server `{}` names fallback `{}`, but its on_failure is `{m}`, so the fallback is never used", t.server.value, f.value))
                    .label("never used")
                    .with_label(mode.unwrap().span, "the failure mode")
                    .help("set `on_failure: fallback`, or delete `fallback`"),
            ),
            _ => {}
        }
    }
    out
}

fn check_surface_changes(ctx: &Context) -> Vec<Finding> {
    let mut out = changed_since_release(ctx);
    let Some(LockStatus::Stale { changes, .. }) = ctx.lock else {
        return out;
    };
    let reported: std::collections::HashSet<String> =
        out.iter().map(|f| f.subject.clone()).collect();
    for c in changes {
        if reported.contains(&c.key) {
            continue; // the release half said it, naming the tag
        }
        let (Kind::Tool, ChangeKind::Modified(fields)) = (c.kind, &c.what) else {
            continue;
        };
        if fields.iter().any(|(f, _, _)| f == "version") {
            continue; // the version was bumped: REL002 asks for a new lock, nothing more
        }
        let defs: Vec<&str> = fields
            .iter()
            .filter_map(|(f, _, _)| f.strip_prefix("definitions."))
            .collect();
        let Some(server) = ctx.model.tool_server(&c.key) else {
            continue;
        };
        if defs.is_empty() {
            continue;
        }
        let version = server.version.as_ref();
        let span = version.map_or(server.server.span, |v| v.span);
        let mut f = Finding::new(
            &TOOL007,
            span,
            server.server.value.clone(),
            format!(
                "server `{}` changed the surface of {} since the lockfile, under the same version {}",
                server.server.value,
                defs.iter().map(|d| format!("`{d}`")).collect::<Vec<_>>().join(", "),
                version.map_or("(none)", |v| v.value.as_str())
            ),
        )
        .label("version not bumped");
        for d in &defs {
            if let Some(def) = server.tools.iter().find(|t| t.name.value == *d) {
                f = f.with_label(def.name.span, "changed");
            }
        }
        out.push(f.help("bump `version` (and the pinned package) if the server changed, or restore the locked definition; then run `agentlock lock`"));
    }
    out
}

/// The release half: a server whose version is the one the last release pinned, with
/// definitions that differ from the release's.
fn changed_since_release(ctx: &Context) -> Vec<Finding> {
    let Some((release, Some(lock))) = ctx.history.and_then(|h| h.last()) else {
        return Vec::new();
    };
    let mut out = Vec::new();
    for server in &ctx.model.tools {
        let Some(version) = &server.version else {
            continue;
        };
        let Some(entry) = lock.get(Kind::Tool, &server.server.value) else {
            continue;
        };
        if entry.get("version") != Some(version.value.as_str()) {
            continue;
        }
        let released = entry.table("definitions").cloned().unwrap_or_default();
        let current = crate::lock::definition_digests(server);
        let mut changed: Vec<(&str, &str)> = Vec::new();
        for (name, digest) in &current {
            match released.get(name) {
                None => changed.push((name, "added")),
                Some(d) if d != digest => changed.push((name, "changed")),
                _ => {}
            }
        }
        for name in released.keys() {
            if !current.contains_key(name) {
                changed.push((name, "removed"));
            }
        }
        if changed.is_empty() {
            continue;
        }
        let mut f = Finding::new(
            &TOOL007,
            version.span,
            server.server.value.clone(),
            format!(
                "server `{}` changed the surface of {} since release {}, under the same version {}",
                server.server.value,
                changed
                    .iter()
                    .map(|(d, how)| format!("`{d}` ({how})"))
                    .collect::<Vec<_>>()
                    .join(", "),
                release.tag,
                version.value
            ),
        )
        .label(format!("the version released in {}", release.tag));
        for (d, _) in &changed {
            if let Some(def) = server.tools.iter().find(|t| t.name.value == *d) {
                f = f.with_label(def.name.span, "changed since the release");
            }
        }
        out.push(f.help(format!(
            "a released version names one surface: bump `version` (and the pinned package) if the server changed, or restore the definitions of {}; then run `agentlock lock`",
            release.tag
        )));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::load::model::Sp;
    use crate::source::{FileId, Span};

    #[test]
    fn an_angle_bracketed_name_is_a_placeholder_and_a_version_range_is_not() {
        for v in [
            "<your-mcp-server>",
            "@acme/<server name>",
            "<image>:latest",
            "pkg@<version>",
        ] {
            assert!(has_angle_placeholder(v), "{v}");
        }
        for v in [
            "mcp-server-fetch>=2025.1",
            "pkg<2,>=1",
            "pkg>1.0",
            "pkg<2",
            "a<=1.0",
            "<>",
            "<2.0>",
        ] {
            assert!(!has_angle_placeholder(v), "{v}");
        }
    }

    fn src(kind: &str, value: &str, sha: Option<&str>) -> Source {
        let span = Span::file_start(FileId(0));
        Source {
            kind: Sp::new(kind.into(), span),
            value: Sp::new(value.into(), span),
            sha256: sha.map(|s| Sp::new(s.into(), span)),
        }
    }

    #[test]
    fn sources_by_kind() {
        let digest = "a".repeat(64);
        let pinned = [
            src("npm", "@modelcontextprotocol/server-github@1.4.2", None),
            src("npm", "mcp-notes@0.3.0-beta.1", None),
            src("pypi", "mcp-server-fetch==2025.1.17", None),
            src("pypi", "mcp-server-git===1.0.0", None),
            src("pypi", "mcp-server-time[extra]==0.6.2", None),
            src("oci", &format!("ghcr.io/acme/search@sha256:{digest}"), None),
            src(
                "oci",
                &format!("ghcr.io/acme/search:1.2@sha256:{digest}"),
                None,
            ),
            src("url", "https://x/y.tgz", Some(&digest)),
            src("url", "https://x/y.tgz", Some(&format!("sha256:{digest}"))),
        ];
        for s in &pinned {
            assert_eq!(source_floats(s), None, "{}", s.display());
        }
        let floating = [
            (src("npm", "@scope/pkg", None), "names no version"),
            (src("npm", "pkg", None), "names no version"),
            (src("npm", "pkg@latest", None), "`latest`"),
            (src("npm", "pkg@next", None), "dist-tag"),
            (src("npm", "pkg@^1.2.0", None), "a range"),
            (src("npm", "pkg@~1.2", None), "a range"),
            (src("npm", "pkg@1.x", None), "a range"),
            (src("npm", "pkg@*", None), "a range"),
            (src("npm", "pkg@>=1.0.0", None), "a range"),
            (src("pypi", "mcp-server-fetch", None), "names no version"),
            (
                src("pypi", "mcp-server-fetch>=1.0", None),
                "not pinned with `==`",
            ),
            (
                src("pypi", "mcp-server-fetch~=1.0", None),
                "not pinned with `==`",
            ),
            (
                src("pypi", "mcp-server-fetch==1.*", None),
                "not pinned with `==`",
            ),
            (
                src("oci", "ghcr.io/acme/search", None),
                "no tag and no digest",
            ),
            (src("oci", "ghcr.io/acme/search:latest", None), "`latest`"),
            (
                src("oci", "localhost:5000/search:1.2.3", None),
                "the tag `1.2.3`",
            ),
            (
                src("oci", "ghcr.io/acme/search@sha256:abc", None),
                "malformed digest",
            ),
            (src("url", "https://x/y.tgz", None), "no `sha256`"),
            (src("url", "https://x/y.tgz", Some("abc")), "not 64 hex"),
        ];
        for (s, why) in &floating {
            let got = source_floats(s).map(|(w, _)| w);
            assert!(
                got.as_deref().is_some_and(|w| w.contains(why)),
                "{}: {got:?}",
                s.display()
            );
        }
    }

    #[test]
    fn launch_sources() {
        let commit = "0123456789abcdef0123456789abcdef01234567";
        for s in [
            src(
                "git",
                &format!("git+https://github.com/org/repo@{commit}"),
                None,
            ),
            src("git", &format!("github:org/repo#{commit}"), None),
            src("go", "github.com/org/mcp@v1.2.3", None),
            src("nuget", "Acme.Mcp@1.2.3", None),
            src("nuget", "Acme.Mcp@1.2.3.4", None),
            src("remote", "https://mcp.example.com/mcp", None),
            src("local", "./bin/server", None),
        ] {
            assert_eq!(source_floats(&s), None, "{}", s.display());
        }
        for (s, why) in [
            (
                src("git", "git+https://github.com/org/repo", None),
                "no ref",
            ),
            (
                src("git", "git+ssh://git@github.com/org/repo.git", None),
                "no ref",
            ),
            (
                src("git", "git+https://github.com/org/repo@main", None),
                "`main`",
            ),
            (
                src("git", "git+https://github.com/org/repo@v1.0#egg=x", None),
                "`v1.0`",
            ),
            (src("go", "github.com/org/mcp@latest", None), "`latest`"),
            (src("go", "github.com/org/mcp", None), "no version"),
            (src("nuget", "Acme.Mcp", None), "no version"),
            (src("nuget", "Acme.Mcp@1.*", None), "a range"),
            (src("exec", "github-mcp-server", None), "from the PATH"),
        ] {
            let got = source_floats(&s).map(|(w, _)| w);
            assert!(
                got.as_deref().is_some_and(|w| w.contains(why)),
                "{}: {got:?}",
                s.display()
            );
        }
    }

    #[test]
    fn broad_permissions() {
        for p in [
            "*",
            "repo:*",
            "*:write",
            "admin",
            "org:admin",
            "all",
            "root",
            "drive.full",
        ] {
            assert!(is_broad(p), "{p}");
        }
        for p in [
            "repo:read",
            "issues:write",
            "web:search",
            "tickets:comment",
            "calendar",
        ] {
            assert!(!is_broad(p), "{p}");
        }
    }
}
