//! MCP server manifests: `tools/*.yaml|*.json`, one server per file.

use super::Sp;
use crate::load::fields::{Table, Ty, f, passive, req};
use crate::load::read::Reader;
use crate::node::{Node, Value};
use crate::source::FileId;
use crate::units::{Duration, Rate};

#[derive(Clone, Debug)]
pub struct ToolServer {
    pub file: FileId,
    pub path: String,
    pub server: Sp<String>,
    pub version: Option<Sp<String>>,
    /// Where the server's code comes from. A manifest names one; a registry `server.json`
    /// lists every package and remote it can be started from.
    pub sources: Vec<Source>,
    /// The record only says how the server is started (an MCP client config's entry, a
    /// registry `server.json`): it has no permissions, timeout, rate limit, failure mode or tool
    /// definitions of its own, so the rules about those have nothing to check, and its version
    /// is its package's.
    pub launch_only: bool,
    pub permissions: Vec<Sp<String>>,
    /// Whether the manifest has a `permissions` key at all (`[]` declares that it needs none).
    pub declares_permissions: bool,
    /// `env` entries: name and value node (the value should be a `${VAR}` reference).
    pub env: Vec<(Sp<String>, Node)>,
    pub timeout: Option<Sp<Duration>>,
    pub rate_limit: Option<Sp<Rate>>,
    pub on_failure: Option<Sp<String>>,
    pub fallback: Option<Sp<String>>,
    pub tools: Vec<ToolDef>,
    /// Canonical JSON of the whole manifest.
    pub canonical: String,
}

/// Where the server's code comes from. In a manifest: `npm: "pkg@1.2.3"`, `pypi: "pkg==1.2.3"`,
/// `oci: "image@sha256:…"` or `url: …` (with `sha256:`). Read from a launch command or a
/// registry entry, also: `git` (a repository URL and ref), `go` (a module), `nuget`, `remote`
/// (the URL of a running server), `exec` (a program from the PATH or outside the repository)
/// and `local` (a file inside the repository).
#[derive(Clone, Debug)]
pub struct Source {
    pub kind: Sp<String>,
    pub value: Sp<String>,
    pub sha256: Option<Sp<String>>,
}

impl Source {
    pub fn display(&self) -> String {
        format!("{}:{}", self.kind.value, self.value.value)
    }
}

/// One MCP tool definition, as `tools/list` returns it.
#[derive(Clone, Debug)]
pub struct ToolDef {
    pub name: Sp<String>,
    pub node: Node,
    /// Canonical JSON of the whole definition: name, description, schemas, annotations.
    pub canonical: String,
}

/// A tool manifest: `tools/*.yaml|*.json`.
pub const FILE: Table = Table::new(
    "tool",
    "An MCP server manifest: one server, the tools it offers and how it is run.",
    &[
        req(
            "server",
            Ty::Str,
            "The server's name: agents name its tools `server.tool`.",
        ),
        f(
            "version",
            Ty::Str,
            "The server's exact version (`1.4.2`): not `latest` nor a range.",
        ),
        f(
            "source",
            Ty::OneOf(&[Ty::Pattern("^(npm|pypi|oci|url):"), Ty::Object(&SOURCE)]),
            "Where the server's code comes from: `{ npm: \"pkg@1.2.3\" }`, `{ pypi: \"pkg==1.2.3\" }`, `{ oci: \"image@sha256:…\" }` or `{ url: …, sha256: … }`; or the shorthand `npm:pkg@1.2.3`.",
        )
        .no_null(),
        f(
            "permissions",
            Ty::StrList,
            "The permissions the server holds (`repo:read`); the policy's `allowed_permissions` limits them.",
        ),
        f(
            "env",
            Ty::Map(&Ty::Any),
            "Environment variables the server gets: references such as `${GITHUB_TOKEN}`, never a credential inline.",
        ),
        f(
            "timeout",
            Ty::Duration,
            "How long one tool call may take: `250ms`, `30s`, `2m`.",
        ),
        f(
            "rate_limit",
            Ty::Rate,
            "How often the tools may be called: `N/s`, `N/m` or `N/h`.",
        ),
        f(
            "on_failure",
            Ty::Enum(FAILURE_MODES),
            "What the agent does when a call fails: retry, fallback or abort.",
        ),
        f(
            "fallback",
            Ty::Str,
            "The `server.tool` called instead when `on_failure` is fallback.",
        ),
        f(
            "tools",
            Ty::List(&Ty::Object(&TOOL)),
            "The tool definitions, as the server's `tools/list` returns them.",
        ),
        passive("description", Ty::Str, "What the server does, for people."),
        passive(
            "transport",
            Ty::Any,
            "How the server is reached (stdio, streamable HTTP, …); not checked.",
        ),
    ],
);
pub const SOURCE_KINDS: &[&str] = &["npm", "pypi", "oci", "url"];
const SOURCE: Table = Table {
    exactly_one: SOURCE_KINDS,
    ..Table::new(
        "source",
        "Where the server's code comes from: exactly one package.",
        &[
            f(
                "npm",
                Ty::Str,
                "An npm package with its exact version: `pkg@1.2.3`.",
            )
            .no_null(),
            f(
                "pypi",
                Ty::Str,
                "A PyPI package with its exact version: `pkg==1.2.3`.",
            )
            .no_null(),
            f(
                "oci",
                Ty::Str,
                "A container image pinned by digest: `image@sha256:…`.",
            )
            .no_null(),
            f("url", Ty::Str, "A download URL (with `sha256`).").no_null(),
            f("sha256", Ty::Str, "The SHA-256 of what `url` downloads."),
        ],
    )
};
const TOOL: Table = Table::new(
    "tool_definition",
    "One MCP tool definition, as `tools/list` returns it; its whole surface is hashed into the lock.",
    &[
        req("name", Ty::Str, "The tool's name, unique in the server."),
        passive("title", Ty::Str, "A display name."),
        passive(
            "description",
            Ty::Str,
            "What the tool does, as the model reads it; checked for hidden instructions.",
        ),
        passive(
            "inputSchema",
            Ty::Any,
            "The JSON Schema of the arguments: an object schema.",
        ),
        passive("outputSchema", Ty::Any, "The JSON Schema of the result."),
        passive(
            "annotations",
            Ty::Any,
            "MCP tool annotations: readOnlyHint, destructiveHint, idempotentHint, openWorldHint.",
        ),
        passive("icons", Ty::Any, "Icons for a client to show."),
        passive("_meta", Ty::Any, "MCP metadata."),
    ],
);
pub const FAILURE_MODES: &[&str] = &["retry", "fallback", "abort"];

pub fn load(r: &mut Reader, root: &Node) -> Option<ToolServer> {
    let path = r.path.to_string();
    r.map(root, "a tool manifest")?;
    r.check_keys(root, &FILE, "a tool manifest");
    let Some(server) = r.opt_string(root, "server", "server") else {
        r.problem(
            root.span,
            "tool manifest has no `server` name",
            Some("add `server: <name>`; agents refer to its tools as `<name>.<tool>`".into()),
        );
        return None;
    };
    let version = r.opt_string(root, "version", "server version");
    let sources = root
        .get("source")
        .and_then(|s| read_source(r, s))
        .into_iter()
        .collect();
    let permissions = r.opt_string_list(root, "permissions", "permission");
    let env = match root.get("env") {
        Some(e) => r
            .map(e, "env")
            .unwrap_or_default()
            .iter()
            .map(|(k, v)| (Sp::new(k.name.clone(), k.span), v.clone()))
            .collect(),
        None => Vec::new(),
    };
    let timeout = r.opt_duration(root, "timeout", "timeout");
    let rate_limit = r.opt_rate(root, "rate_limit", "rate_limit");
    let on_failure = r.opt_string(root, "on_failure", "on_failure");
    if let Some(f) = &on_failure
        && !FAILURE_MODES.contains(&f.value.as_str())
    {
        let hint = crate::suggest::hint(&f.value, FAILURE_MODES.iter().copied());
        r.problem(
            f.span,
            format!(
                "on_failure must be retry, fallback or abort, found `{}`.{hint}",
                f.value
            ),
            None,
        );
    }
    let fallback = r.opt_string(root, "fallback", "fallback");
    let mut tools = Vec::new();
    if let Some(list) = root.get("tools") {
        match &list.value {
            Value::Seq(items) => {
                for item in items {
                    if r.map(item, "a tool definition").is_none() {
                        continue;
                    }
                    r.check_keys(item, &TOOL, "a tool definition");
                    let Some(name) = r.opt_string(item, "name", "tool name") else {
                        r.problem(item.span, "tool definition has no `name`", None);
                        continue;
                    };
                    if let Some(first) =
                        tools.iter().find(|t: &&ToolDef| t.name.value == name.value)
                    {
                        let f = crate::problem::Problem::new(name.span,
                            r.path,
                            format!("tool `{}` is defined twice in this server", name.value),
                        )
                        .label("defined again here")
                        .with_label(first.name.span, "first defined here")
                        .help("a server's tool names are unique (MCP): rename or remove one definition");
                        r.problems.push(f);
                        continue;
                    }
                    tools.push(ToolDef {
                        canonical: item.canonical_json(),
                        name,
                        node: item.clone(),
                    });
                }
            }
            Value::Null => {}
            _ => r.problem(
                list.span,
                format!(
                    "tools must be a list of tool definitions, found {}",
                    list.kind()
                ),
                None,
            ),
        }
    }
    Some(ToolServer {
        file: r.file,
        path,
        server,
        version,
        sources,
        launch_only: false,
        permissions,
        declares_permissions: root.get("permissions").is_some(),
        env,
        timeout,
        rate_limit,
        on_failure,
        fallback,
        tools,
        canonical: root.canonical_json(),
    })
}

fn read_source(r: &mut Reader, node: &Node) -> Option<Source> {
    if let Value::Str(s) = &node.value {
        // Shorthand `source: "npm:pkg@1.2.3"`.
        if let Some((kind, value)) = s.split_once(':').filter(|(k, _)| SOURCE_KINDS.contains(k)) {
            return Some(Source {
                kind: Sp::new(kind.to_string(), node.span),
                value: Sp::new(value.to_string(), node.span),
                sha256: None,
            });
        }
        r.problem(
            node.span,
            "source must be a mapping such as `{ npm: \"pkg@1.2.3\" }`",
            None,
        );
        return None;
    }
    r.map(node, "source")?;
    r.check_keys(node, &SOURCE, "source");
    let entries = node.as_map().unwrap_or_default();
    let kinds: Vec<_> = entries
        .iter()
        .filter(|(k, _)| SOURCE_KINDS.contains(&k.name.as_str()))
        .collect();
    match kinds.as_slice() {
        [(k, v)] => {
            let value = r.string(v, "source")?;
            Some(Source {
                kind: Sp::new(k.name.clone(), k.span),
                value,
                sha256: r.opt_string(node, "sha256", "source sha256"),
            })
        }
        [] => {
            r.problem(
                node.span,
                "source names no package: use one of npm, pypi, oci or url",
                None,
            );
            None
        }
        [_, (k2, _), ..] => {
            r.problem(
                k2.span,
                "source names more than one package; a manifest describes one server",
                None,
            );
            None
        }
    }
}
