//! MCP client configs and MCP registry `server.json` files: the servers they start, as launch
//! records of the one Model (see [`ToolServer::launch_only`]).
//!
//! - Client configs: `.mcp.json`, `.cursor/mcp.json` and `claude_desktop_config.json` keep their
//!   servers under `mcpServers`; `.vscode/mcp.json` under `servers` (with `inputs`); Codex's
//!   `config.toml` under `[mcp_servers.NAME]`. Each entry has a `command` with `args`, or a
//!   `url` (also `httpUrl`, `serverUrl`), and `env` and `headers` (`http_headers` in Codex).
//!   A server is named `PATH#KEY` (`.mcp.json#github`): the same key in two clients' configs is
//!   two launches, each pinned on its own.
//! - Registry `server.json`: `name`, `version`, `packages[]` (`registryType`, `identifier`,
//!   `version`, `fileSha256`, `environmentVariables[]`) and `remotes[]` (`url`, `headers[]`).
//!
//! Keys these loaders do not read are not reported: the clients add keys often, and every key
//! is part of the entry's hash in the lockfile all the same.

use super::Sp;
use super::tool::{Source, ToolServer};
use crate::load::read::Reader;
use crate::node::{Node, Value};

/// What a loader made of a file.
pub enum Read<T> {
    /// The file is not of this format (a `server.json` of another tool, a Codex config
    /// without MCP servers): it is left alone.
    Other,
    /// It is, but could not be read; CONF001 says why.
    Failed,
    Found(T),
}

/// The keys a client config keeps its servers under.
const SERVER_TABLES: &[&str] = &["mcpServers", "servers", "mcp_servers"];
const URL_KEYS: &[&str] = &["url", "httpUrl", "serverUrl"];
const HEADER_KEYS: &[&str] = &["headers", "http_headers"];

/// What a client config declares: its servers, and the models it names by id (Continue's
/// `models`, opencode's `model`), each under the name it is adopted by.
pub struct Client {
    pub servers: Vec<ToolServer>,
    pub models: Vec<(String, super::DirectModel)>,
}

/// The servers of an MCP client config.
pub fn load_client(r: &mut Reader, root: &Node) -> Read<Client> {
    let opencode = is_opencode(r.path);
    let table_keys: &[&str] = if opencode { &["mcp"] } else { SERVER_TABLES };
    let found = table_keys.iter().find_map(|k| root.get(k).map(|t| (*k, t)));
    let models = config_models(r, root);
    let listed: Vec<(crate::node::Key, Node)>;
    let entries: &[(crate::node::Key, Node)] = match found {
        // a plugin's `mcpServers` may name a file instead (`"./.mcp.json"`): that file is
        // read where it is found
        Some((_, table)) if table.as_str().is_some() => {
            return found_or_other(Vec::new(), models);
        }
        // Continue's list form: `mcpServers: [{ name, command, args }]`
        Some((
            table_key,
            Node {
                value: Value::Seq(items),
                ..
            },
        )) => {
            listed = items
                .iter()
                .filter_map(|item| {
                    let name = item.get("name")?;
                    let key = crate::node::Key {
                        name: name.as_str()?.to_string(),
                        span: name.span,
                    };
                    Some((key, item.clone()))
                })
                .collect();
            if listed.is_empty() && !items.is_empty() {
                r.problem(
                    found.map_or(root.span, |(_, t)| t.span),
                    format!("{table_key} lists servers without a `name`"),
                    None,
                );
            }
            &listed
        }
        Some((table_key, table)) => {
            wrong_table(r, root, table_key);
            match r.map(table, table_key) {
                Some(e) => e,
                None => return Read::Failed,
            }
        }
        None if !models.is_empty() => return found_or_other(Vec::new(), models),
        // `{"github": {"command": …}}` with no table: no client reads these servers.
        None if is_flat(root) => {
            // a file of a client that reads a table: it starts none of these; a file of no
            // known client (a root `mcp.json`) may be read flat by its tool
            if let Some(key) = expected_table(r.path) {
                r.problem(
                    root.span,
                    format!("the servers are not under `{key}`: the client reads `{key}` and starts none of them"),
                    Some(format!("wrap the entries: {{ \"{key}\": {{ … }} }}")),
                );
            }
            root.as_map().unwrap_or_default()
        }
        None => return Read::Other,
    };
    let inputs = input_ids(root);
    let mut servers = Vec::new();
    for (key, entry) in entries {
        let what = format!("server `{}`", key.name);
        if r.map(entry, &what).is_none() {
            continue;
        }
        // opencode writes the whole command line as a list: `"command": ["npx", "-y", "pkg"]`
        let (command, args) = match entry.get("command") {
            Some(Node {
                value: Value::Seq(_),
                ..
            }) => {
                let mut words = r.string_list(entry.get("command").expect("matched"), "command");
                if words.is_empty() {
                    (None, Vec::new())
                } else {
                    let first = words.remove(0);
                    (Some(first), words)
                }
            }
            _ => (
                r.opt_string(entry, "command", "command"),
                entry
                    .get("args")
                    .map(|a| r.string_list(a, "args"))
                    .unwrap_or_default(),
            ),
        };
        let mut sources = Vec::new();
        if let Some(c) = &command {
            sources.push(super::launch::source(c, &args));
        }
        // `url` on the entry, or in a `transport` table (`{ "type": "http", "url": … }`).
        let transport = entry.get("transport").filter(|t| t.as_map().is_some());
        let url = URL_KEYS
            .iter()
            .find_map(|k| r.opt_string(entry, k, "url"))
            .or_else(|| {
                transport.and_then(|t| URL_KEYS.iter().find_map(|k| r.opt_string(t, k, "url")))
            });
        if let Some(url) = url {
            sources.push(remote(url));
        }
        // `enabled = false` (Codex) or `disabled: true` turns off a server declared elsewhere
        // (a global one): an entry with nothing else says nothing about what runs.
        let off = matches!(
            entry.get("enabled").map(|n| &n.value),
            Some(Value::Bool(false))
        ) || matches!(
            entry.get("disabled").map(|n| &n.value),
            Some(Value::Bool(true))
        );
        if sources.is_empty() && off {
            continue;
        }
        if sources.is_empty() {
            r.problem(
                key.span,
                format!("{what} has neither a `command` nor a `url`: nothing says what runs"),
                Some(
                    "give it `command` and `args` to start it, or the `url` of a running server"
                        .into(),
                ),
            );
            continue;
        }
        if let Some(ids) = &inputs {
            check_inputs(r, entry, ids);
        }
        let mut env = pairs(r, entry.get("env"), "env");
        env.extend(pairs(r, entry.get("environment"), "environment"));
        for k in HEADER_KEYS {
            env.extend(pairs(r, entry.get(k), k));
        }
        env.extend(credential_args(entry.get("args")));
        servers.push(launch_record(
            r,
            Sp::new(format!("{}#{}", r.path, key.name), key.span),
            None,
            sources,
            env,
            entry,
        ));
    }
    Read::Found(Client { servers, models })
}

fn found_or_other(
    servers: Vec<ToolServer>,
    models: Vec<(String, super::DirectModel)>,
) -> Read<Client> {
    if servers.is_empty() && models.is_empty() {
        Read::Other
    } else {
        Read::Found(Client { servers, models })
    }
}

fn is_opencode(path: &str) -> bool {
    let name = path.rsplit('/').next().unwrap_or(path);
    name == "opencode.json" || name == "opencode.jsonc"
}

/// The models a client config names by id: Continue's `models: [{ name, provider, model }]`,
/// opencode's `model` and `small_model` (`provider/id`).
fn config_models(r: &mut Reader, root: &Node) -> Vec<(String, super::DirectModel)> {
    let mut out = Vec::new();
    if r.path.ends_with(".continue/config.yaml") {
        if let Some(Node {
            value: Value::Seq(items),
            ..
        }) = root.get("models")
        {
            for item in items {
                let Some(id) = item.get("model").filter(|m| m.as_str().is_some()) else {
                    continue;
                };
                let Some(id) = r.string(id, "model") else {
                    continue;
                };
                let name = item
                    .get("name")
                    .and_then(Node::as_str)
                    .unwrap_or(&id.value)
                    .to_string();
                let provider = r.opt_string(item, "provider", "provider");
                out.push((name, super::DirectModel { id, provider }));
            }
        }
    } else if is_opencode(r.path) {
        for key in ["model", "small_model"] {
            if let Some(id) = r.opt_string(root, key, key) {
                out.push((key.to_string(), super::DirectModel { id, provider: None }));
            }
        }
    }
    out
}

/// A `smithery.yaml`: how Smithery starts a server of the repository. `startCommand` is
/// `stdio` with a `commandFunction` (JavaScript returning `{ command, args }`), or `http`
/// for a server it hosts; either way the repository's own code runs (a `local` source, locked
/// by the repository's content) unless the function launches a package.
pub fn load_smithery(r: &mut Reader, root: &Node) -> Read<ToolServer> {
    let Some(start) = root.get("startCommand") else {
        return Read::Other;
    };
    if r.map(start, "startCommand").is_none() {
        return Read::Failed;
    }
    let dir = r.path.rsplit_once('/').map_or("", |(d, _)| d);
    let name = Sp::new(
        format!("{}#{}", r.path, if dir.is_empty() { "server" } else { dir }),
        crate::load::read::key_span(root, "startCommand").unwrap_or(start.span),
    );
    let launched = start
        .get("commandFunction")
        .and_then(|f| f.as_str().map(|t| (t, f.span)))
        .and_then(|(text, span)| smithery_command(text, span))
        .map(|(command, args)| super::launch::source(&command, &args));
    let source = match launched {
        Some(s) if s.kind.value != "exec" => s,
        _ => Source {
            kind: Sp::new("local".into(), name.span),
            value: Sp::new(".".into(), name.span),
            sha256: None,
        },
    };
    Read::Found(launch_record(r, name, None, vec![source], Vec::new(), root))
}

/// `command: 'node', args: ['dist/index.js']` out of a `commandFunction`'s JavaScript.
fn smithery_command(
    text: &str,
    span: crate::source::Span,
) -> Option<(Sp<String>, Vec<Sp<String>>)> {
    let quoted = |s: &str| -> Option<String> {
        let s = s.trim_start();
        let q = s.chars().next().filter(|c| matches!(c, '\'' | '"' | '`'))?;
        let rest = &s[1..];
        Some(rest[..rest.find(q)?].to_string())
    };
    let at = text.find("command")?;
    let after = text[at + "command".len()..]
        .trim_start()
        .strip_prefix(':')?;
    let command = quoted(after)?;
    let mut args = Vec::new();
    if let Some(a) = text.find("args") {
        let after = text[a + 4..].trim_start().strip_prefix(':')?.trim_start();
        if let Some(list) = after.strip_prefix('[') {
            let list = &list[..list.find(']')?];
            for item in list.split(',') {
                if let Some(q) = quoted(item) {
                    args.push(Sp::new(q, span));
                } else if !item.trim().is_empty() {
                    return None; // a computed argument: not readable
                }
            }
        }
    }
    Some((Sp::new(command, span), args))
}

/// The key a client reads its servers from, by the file's name.
fn expected_table(path: &str) -> Option<&'static str> {
    let name = path.rsplit('/').next().unwrap_or(path);
    if path.ends_with(".vscode/mcp.json") {
        Some("servers")
    } else if path.ends_with(".codex/config.toml") {
        Some("mcp_servers")
    } else if name == ".mcp.json"
        || name == "claude_desktop_config.json"
        || name == "gemini-extension.json"
        || [
            ".cursor/mcp.json",
            ".kiro/settings/mcp.json",
            ".roo/mcp.json",
            ".amazonq/mcp.json",
            ".gemini/settings.json",
            ".claude-plugin/plugin.json",
            ".windsurf/mcp_config.json",
        ]
        .iter()
        .any(|p| path == *p || path.ends_with(&format!("/{p}")))
    {
        Some("mcpServers")
    } else {
        None
    }
}

/// A client config whose servers are under another client's key (`servers`, VS Code's, in
/// `.cursor/mcp.json`): the client it is for loads none of them. The servers are still read.
fn wrong_table(r: &mut Reader, root: &Node, used: &str) {
    let Some(want) = expected_table(r.path) else {
        return;
    };
    if used == want {
        return;
    }
    let span = crate::load::read::key_span(root, used).unwrap_or(root.span);
    let p = r.path;
    let client = if want == "servers" {
        "VS Code"
    } else if want == "mcp_servers" {
        "Codex"
    } else if p.ends_with(".cursor/mcp.json") {
        "Cursor"
    } else if p.ends_with("claude_desktop_config.json") {
        "Claude Desktop"
    } else if p.ends_with(".gemini/settings.json") || p.ends_with("gemini-extension.json") {
        "Gemini CLI"
    } else if p.ends_with(".kiro/settings/mcp.json") {
        "Kiro"
    } else if p.ends_with(".roo/mcp.json") {
        "Roo Code"
    } else if p.ends_with(".amazonq/mcp.json") {
        "Amazon Q"
    } else if p.ends_with(".windsurf/mcp_config.json") {
        "Windsurf"
    } else {
        "Claude Code"
    };
    r.problem(
        span,
        format!("{client} reads servers from `{want}`, not `{used}`: it starts none of these"),
        Some(format!("rename `{used}` to `{want}`")),
    );
}

/// Whether a document with no server table is one anyway: a mapping of names to entries
/// that each have a `command` or a `url`.
fn is_flat(root: &Node) -> bool {
    match root.as_map() {
        Some(entries) if !entries.is_empty() => entries.iter().all(|(_, v)| {
            v.as_map().is_some()
                && (v.get("command").is_some() || URL_KEYS.iter().any(|k| v.get(k).is_some()))
        }),
        _ => false,
    }
}

/// Arguments that pass a credential after a flag naming one (`--access-token VALUE`,
/// `--api-key=VALUE`), as name/value pairs: checked like `env`, so a token of a format no
/// detector knows is still found there.
fn credential_args(args: Option<&Node>) -> Vec<(Sp<String>, Node)> {
    let Some(Node {
        value: Value::Seq(items),
        ..
    }) = args
    else {
        return Vec::new();
    };
    let mut out = Vec::new();
    for (i, item) in items.iter().enumerate() {
        let Some(arg) = item.as_str() else { continue };
        if !arg.starts_with('-') {
            continue;
        }
        let (flag, inline) = match arg.split_once('=') {
            Some((f, v)) => (f, Some(v)),
            None => (arg, None),
        };
        if !crate::secrets::is_credential_name(flag.trim_start_matches('-')) {
            continue;
        }
        let name = Sp::new(flag.to_string(), item.span);
        match inline {
            Some(v) => out.push((
                name,
                Node {
                    value: Value::Str(v.to_string()),
                    span: item.span,
                },
            )),
            None => {
                if let Some(next) = items.get(i + 1)
                    && next.as_str().is_some_and(|v| !v.starts_with('-'))
                {
                    out.push((name, next.clone()));
                }
            }
        }
    }
    out
}

/// The server of a registry `server.json`.
pub fn load_registry(r: &mut Reader, root: &Node) -> Read<ToolServer> {
    let schema = root
        .get("$schema")
        .and_then(Node::as_str)
        .is_some_and(|s| s.contains("modelcontextprotocol") || s.contains("server.schema"));
    let shaped = root.get("name").is_some()
        && (root.get("packages").is_some() || root.get("remotes").is_some());
    if !schema && !shaped {
        return Read::Other;
    }
    let Some(name) = r.opt_string(root, "name", "server name") else {
        r.problem(
            root.span,
            "server.json has no `name`",
            Some(
                "add the server's name in reverse-DNS form, e.g. `io.github.owner/weather`".into(),
            ),
        );
        return Read::Failed;
    };
    let version = scalar(r, root, "version");
    let mut sources = Vec::new();
    let mut env = Vec::new();
    for pkg in items(r, root, "packages") {
        if r.map(pkg, "a package").is_none() {
            continue;
        }
        if let Some(s) = package_source(r, pkg) {
            sources.push(s);
        }
        for var in items(r, pkg, "environmentVariables")
            .into_iter()
            .chain(items(r, pkg, "environment_variables"))
        {
            env.extend(named_value(r, var));
        }
    }
    for remote_node in items(r, root, "remotes") {
        if r.map(remote_node, "a remote").is_none() {
            continue;
        }
        if let Some(url) = r.opt_string(remote_node, "url", "remote url") {
            sources.push(remote(url));
        }
        for header in items(r, remote_node, "headers") {
            env.extend(named_value(r, header));
        }
    }
    // A template whose packages' versions are filled in at release (`"version": "$VERSION"`)
    // gets the server's version then too: TOOL001 says its sources cannot be verified yet.
    let template = sources
        .iter()
        .any(|s| crate::model_ids::is_expression(&s.value.value));
    if version.is_none() && !template {
        r.problem(
            name.span,
            format!("server `{}` has no `version`", name.value),
            Some(
                "the registry requires the server's exact version, e.g. `\"version\": \"1.0.2\"`"
                    .into(),
            ),
        );
    }
    Read::Found(launch_record(r, name, version, sources, env, root))
}

fn launch_record(
    r: &Reader,
    server: Sp<String>,
    version: Option<Sp<String>>,
    sources: Vec<Source>,
    env: Vec<(Sp<String>, Node)>,
    node: &Node,
) -> ToolServer {
    ToolServer {
        file: r.file,
        path: r.path.to_string(),
        server,
        version,
        sources,
        launch_only: true,
        permissions: Vec::new(),
        declares_permissions: false,
        env,
        timeout: None,
        rate_limit: None,
        on_failure: None,
        fallback: None,
        tools: Vec::new(),
        canonical: node.canonical_json(),
    }
}

fn remote(url: Sp<String>) -> Source {
    Source {
        kind: Sp::new("remote".into(), url.span),
        value: url,
        sha256: None,
    }
}

/// One registry package as a source: its version joined to its identifier the way the
/// package manager writes it, pointing at the version (or the identifier when there is none).
fn package_source(r: &mut Reader, pkg: &Node) -> Option<Source> {
    let kind = first_string(r, pkg, &["registryType", "registry_type"], "registryType")?;
    let Some(id) = first_string(r, pkg, &["identifier", "name"], "identifier") else {
        r.problem(pkg.span, "a package has no `identifier`", None);
        return None;
    };
    let version = scalar(r, pkg, "version");
    let at = version.as_ref().map_or(id.span, |v| v.span);
    let (source_kind, value) = match (kind.value.as_str(), &version) {
        ("npm", Some(v)) => ("npm", format!("{}@{}", id.value, v.value)),
        ("pypi", Some(v)) => ("pypi", format!("{}=={}", id.value, v.value)),
        ("nuget", Some(v)) => ("nuget", format!("{}@{}", id.value, v.value)),
        ("oci" | "docker", Some(v)) if !has_tag_or_digest(&id.value) => {
            ("oci", format!("{}:{}", id.value, v.value))
        }
        ("npm" | "pypi" | "nuget", None) => (kind.value.as_str(), id.value.clone()),
        ("oci" | "docker", _) => ("oci", id.value.clone()),
        ("mcpb", _) => {
            let sha256 = first_string(r, pkg, &["fileSha256", "file_sha256"], "fileSha256");
            return Some(Source {
                kind: Sp::new("url".into(), kind.span),
                value: Sp::new(id.value, id.span),
                sha256,
            });
        }
        (other, _) => {
            let known = ["npm", "pypi", "nuget", "oci", "mcpb"];
            let hint = crate::suggest::hint(other, known.iter().copied());
            r.problem(
                kind.span,
                format!("unknown registryType `{other}`.{hint}"),
                Some("the registry's package types are npm, pypi, nuget, oci and mcpb".into()),
            );
            return None;
        }
    };
    Some(Source {
        kind: Sp::new(source_kind.to_string(), kind.span),
        value: Sp::new(value, at),
        sha256: None,
    })
}

/// Whether an image reference already names a tag or a digest.
fn has_tag_or_digest(image: &str) -> bool {
    image.contains('@')
        || image
            .rsplit('/')
            .next()
            .is_some_and(|last| last.contains(':'))
}

/// The items of a list under `key`; nothing when it is absent, CONF001 when it is not a list.
fn items<'n>(r: &mut Reader, node: &'n Node, key: &str) -> Vec<&'n Node> {
    match node.get(key).map(|n| (&n.value, n)) {
        None | Some((Value::Null, _)) => Vec::new(),
        Some((Value::Seq(items), _)) => items.iter().collect(),
        Some((_, n)) => {
            r.problem(
                n.span,
                format!("`{key}` must be a list, found {}", n.kind()),
                None,
            );
            Vec::new()
        }
    }
}

/// A scalar written as a string or a number (`version: 1.0`), as text.
fn scalar(r: &mut Reader, node: &Node, key: &str) -> Option<Sp<String>> {
    let n = node.get(key)?;
    match n.value {
        Value::Str(_) | Value::Int(_) | Value::Float(_) => Some(Sp::new(r.raw(n), n.span)),
        _ => r.opt_string(node, key, key),
    }
}

fn first_string(r: &mut Reader, node: &Node, keys: &[&str], what: &str) -> Option<Sp<String>> {
    keys.iter()
        .find(|k| node.get(k).is_some())
        .and_then(|k| r.opt_string(node, k, what))
}

/// `{ name, value }` (or `default`) of a registry variable or header.
fn named_value(r: &mut Reader, node: &Node) -> Option<(Sp<String>, Node)> {
    let name = r.opt_string(node, "name", "name")?;
    let value = node.get("value").or_else(|| node.get("default"))?;
    Some((name, value.clone()))
}

/// The entries of an `env` or `headers` mapping.
fn pairs(r: &mut Reader, node: Option<&Node>, what: &str) -> Vec<(Sp<String>, Node)> {
    let Some(node) = node else {
        return Vec::new();
    };
    r.map(node, what)
        .unwrap_or_default()
        .iter()
        .map(|(k, v)| (Sp::new(k.name.clone(), k.span), v.clone()))
        .collect()
}

/// The ids of a VS Code config's `inputs`, when it has them.
fn input_ids(root: &Node) -> Option<Vec<String>> {
    let Value::Seq(items) = &root.get("inputs")?.value else {
        return Some(Vec::new());
    };
    Some(
        items
            .iter()
            .filter_map(|i| i.get("id").and_then(Node::as_str).map(str::to_string))
            .collect(),
    )
}

/// Every `${input:ID}` in a server's strings names an input the config defines.
fn check_inputs(r: &mut Reader, node: &Node, ids: &[String]) {
    match &node.value {
        Value::Str(s) => {
            let mut rest = s.as_str();
            while let Some(at) = rest.find("${input:") {
                let after = &rest[at + 8..];
                let Some(end) = after.find('}') else { break };
                let id = &after[..end];
                if !ids.iter().any(|i| i == id) {
                    let hint = crate::suggest::hint(id, ids.iter().map(String::as_str));
                    r.problem(
                        node.span,
                        format!("`${{input:{id}}}` names an input that `inputs` does not define.{hint}"),
                        Some(format!(
                            "add `{{ \"type\": \"promptString\", \"id\": \"{id}\", \"password\": true }}` to `inputs`"
                        )),
                    );
                }
                rest = &after[end..];
            }
        }
        Value::Seq(items) => items.iter().for_each(|i| check_inputs(r, i, ids)),
        Value::Map(entries) => entries.iter().for_each(|(_, v)| check_inputs(r, v, ids)),
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::source::FileId;

    fn client(path: &str, text: &str) -> (Vec<ToolServer>, Vec<crate::problem::Problem>) {
        let (c, problems) = client_config(path, text);
        (c.servers, problems)
    }

    fn client_config(path: &str, text: &str) -> (Client, Vec<crate::problem::Problem>) {
        let root = if path.ends_with(".toml") {
            crate::node::parse_toml(text, FileId(0)).unwrap()
        } else if path.ends_with(".yaml") {
            crate::node::parse_yaml(text, FileId(0)).unwrap()
        } else {
            crate::node::parse_jsonc(text, FileId(0)).unwrap()
        };
        let mut problems = Vec::new();
        let mut r = Reader::new(FileId(0), path, text, &mut problems);
        let c = match load_client(&mut r, &root) {
            Read::Found(c) => c,
            Read::Other => panic!("not a client config"),
            Read::Failed => Client {
                servers: Vec::new(),
                models: Vec::new(),
            },
        };
        (c, problems)
    }

    fn kinds(servers: &[ToolServer]) -> Vec<String> {
        servers
            .iter()
            .flat_map(|s| s.sources.iter().map(Source::display))
            .collect()
    }

    #[test]
    fn opencode_continue_and_other_clients() {
        // opencode: `mcp`, the command as a list, `environment`, its `model`
        let (c, p) = client_config(
            "opencode.json",
            r#"{"model": "anthropic/claude-sonnet-4-5", "mcp": {"gh": {"type": "local", "command": ["npx", "-y", "pkg@1.0.0"], "environment": {"T": "${T}"}}, "r": {"type": "remote", "url": "https://x.example/mcp"}}}"#,
        );
        assert!(p.is_empty(), "{p:?}");
        assert_eq!(
            kinds(&c.servers),
            ["npm:pkg@1.0.0", "remote:https://x.example/mcp"]
        );
        assert_eq!(c.servers[0].env.len(), 1);
        assert_eq!(c.models[0].0, "model");
        // Continue: a list of servers with names, and its models
        let (c, p) = client_config(
            ".continue/config.yaml",
            "models:\n  - name: Claude\n    provider: anthropic\n    model: claude-3-5-sonnet-latest\nmcpServers:\n  - name: fs\n    command: npx\n    args: ['-y', '@mcp/fs']\n",
        );
        assert!(p.is_empty(), "{p:?}");
        assert_eq!(c.servers[0].server.value, ".continue/config.yaml#fs");
        assert_eq!(kinds(&c.servers), ["npm:@mcp/fs"]);
        assert_eq!(c.models[0].1.id.value, "claude-3-5-sonnet-latest");
        // a plugin naming its servers' file: nothing here
        let root =
            crate::node::parse_json(r#"{"name": "p", "mcpServers": "./.mcp.json"}"#, FileId(0))
                .unwrap();
        let mut problems = Vec::new();
        let mut r = Reader::new(FileId(0), ".claude-plugin/plugin.json", "", &mut problems);
        assert!(matches!(load_client(&mut r, &root), Read::Other));
        // Gemini, Kiro: mcpServers as Claude's
        let (s, p) = client(
            ".gemini/settings.json",
            r#"{"theme": "x", "mcpServers": {"a": {"command": "uvx", "args": ["pkg==1.0"]}}}"#,
        );
        assert!(p.is_empty());
        assert_eq!(kinds(&s), ["pypi:pkg==1.0"]);
    }

    #[test]
    fn a_client_config_under_another_clients_key_or_flat() {
        let (s, p) = client(
            ".cursor/mcp.json",
            r#"{"servers": {"a": {"command": "npx", "args": ["-y", "a@1.0.0"]}}}"#,
        );
        assert_eq!(s.len(), 1, "the servers are still read");
        assert!(
            p[0].message
                .contains("Cursor reads servers from `mcpServers`"),
            "{p:?}"
        );
        let (s, p) = client(
            ".mcp.json",
            r#"{"a": {"type": "http", "url": "https://x.example"}}"#,
        );
        assert_eq!(s.len(), 1);
        assert!(p[0].message.contains("not under `mcpServers`"), "{p:?}");
        // a root mcp.json of no known client is read flat without a finding
        let (s, p) = client(
            "mcp.json",
            r#"{"a": {"type": "http", "url": "https://x.example"}}"#,
        );
        assert_eq!((s.len(), p.len()), (1, 0));
        // a disabled entry with nothing else is not a broken one; a nested transport url is read
        let (s, p) = client(
            ".codex/config.toml",
            "[mcp_servers.notion]\nenabled = false\n",
        );
        assert!(s.is_empty() && p.is_empty(), "{p:?}");
        let (s, p) = client(
            ".cursor/mcp.json",
            r#"{"mcpServers": {"f": {"transport": {"type": "http", "url": "http://127.0.0.1:3845/mcp"}}}}"#,
        );
        assert!(p.is_empty());
        assert_eq!(kinds(&s), ["remote:http://127.0.0.1:3845/mcp"]);
    }

    #[test]
    fn credentials_after_a_flag_are_checked_like_env() {
        let (s, _) = client(
            ".mcp.json",
            r#"{"mcpServers": {"s": {"command": "npx", "args": ["-y", "p@1.0.0", "--access-token", "abc123", "--api-key=xyz789", "--max-tokens", "4000", "--verbose"]}}}"#,
        );
        let names: Vec<&str> = s[0].env.iter().map(|(n, _)| n.value.as_str()).collect();
        assert_eq!(names, ["--access-token", "--api-key", "--max-tokens"]);
        assert_eq!(s[0].env[0].1.as_str(), Some("abc123"));
        assert_eq!(s[0].env[1].1.as_str(), Some("xyz789"));
    }

    #[test]
    fn smithery_starts_the_repositorys_server() {
        let parse = |text: &str| {
            let root = crate::node::parse_yaml(text, FileId(0)).unwrap();
            let mut problems = Vec::new();
            let mut r = Reader::new(FileId(0), "smithery.yaml", text, &mut problems);
            match load_smithery(&mut r, &root) {
                Read::Found(t) => Some(kinds(std::slice::from_ref(&t))),
                _ => None,
            }
        };
        assert_eq!(
            parse("startCommand:\n  type: stdio\n  commandFunction: |-\n    (config) => ({ command: 'node', args: ['dist/index.js'] })\n").unwrap(),
            ["local:dist/index.js"]
        );
        assert_eq!(
            parse("startCommand:\n  type: stdio\n  commandFunction: |-\n    (c) => ({ command: 'npx', args: ['-y', 'pkg'] })\n").unwrap(),
            ["npm:pkg"]
        );
        assert_eq!(parse("startCommand:\n  type: http\n").unwrap(), ["local:."]);
        assert!(parse("runtime: typescript\n").is_none());
    }

    fn at<'t>(text: &'t str, s: &crate::source::Span) -> &'t str {
        &text[s.start as usize..s.end as usize]
    }

    #[test]
    fn claude_code_servers() {
        let text = r#"{
  "mcpServers": {
    "github": { "command": "npx", "args": ["-y", "@modelcontextprotocol/server-github"],
                "env": { "GITHUB_PERSONAL_ACCESS_TOKEN": "${GITHUB_TOKEN}" } },
    "docs": { "type": "http", "url": "https://mcp.example.com/mcp", "headers": { "Authorization": "Bearer ${DOCS_TOKEN}" } }
  }
}"#;
        let (servers, problems) = client(".mcp.json", text);
        assert!(problems.is_empty());
        assert_eq!(servers.len(), 2);
        let gh = &servers[0];
        assert_eq!(gh.server.value, ".mcp.json#github");
        assert_eq!(at(text, &gh.server.span), "\"github\"");
        assert!(gh.launch_only && gh.version.is_none());
        assert_eq!(
            gh.sources[0].display(),
            "npm:@modelcontextprotocol/server-github"
        );
        assert_eq!(gh.env.len(), 1);
        let docs = &servers[1];
        assert_eq!(
            docs.sources[0].display(),
            "remote:https://mcp.example.com/mcp"
        );
        assert_eq!(docs.env[0].0.value, "Authorization");
    }

    #[test]
    fn vscode_servers_and_inputs() {
        let text = r#"{
  // VS Code's mcp.json allows comments and trailing commas
  "inputs": [{ "type": "promptString", "id": "gh-token", "password": true },],
  "servers": {
    "github": { "type": "stdio", "command": "docker",
      "args": ["run", "-i", "--rm", "-e", "GITHUB_PERSONAL_ACCESS_TOKEN", "ghcr.io/github/github-mcp-server"],
      "env": { "GITHUB_PERSONAL_ACCESS_TOKEN": "${input:gh-tokn}" } },
  }
}"#;
        let (servers, problems) = client(".vscode/mcp.json", text);
        assert_eq!(
            servers[0].sources[0].display(),
            "oci:ghcr.io/github/github-mcp-server"
        );
        assert_eq!(problems.len(), 1, "{problems:?}");
        assert!(problems[0].message.contains("gh-tokn"));
    }

    #[test]
    fn codex_servers() {
        let text = "model = \"o3\"\n\n[mcp_servers.fetch]\ncommand = \"uvx\"\nargs = [\"mcp-server-fetch@2025.4.7\"]\nenv = { API_KEY = \"${API_KEY}\" }\n";
        let (servers, problems) = client(".codex/config.toml", text);
        assert!(problems.is_empty(), "{problems:?}");
        assert_eq!(servers[0].server.value, ".codex/config.toml#fetch");
        assert_eq!(
            servers[0].sources[0].display(),
            "pypi:mcp-server-fetch==2025.4.7"
        );
    }

    #[test]
    fn not_a_client_config() {
        let root = crate::node::parse_toml("model = \"o3\"\n", FileId(0)).unwrap();
        let mut problems = Vec::new();
        let mut r = Reader::new(FileId(0), ".codex/config.toml", "", &mut problems);
        assert!(matches!(load_client(&mut r, &root), Read::Other));
    }

    #[test]
    fn a_server_with_nothing_to_run() {
        let (servers, problems) = client(".mcp.json", r#"{"mcpServers": {"x": {"env": {}}}}"#);
        assert!(servers.is_empty());
        assert_eq!(problems.len(), 1);
    }

    fn registry(text: &str) -> (Option<ToolServer>, Vec<crate::problem::Problem>) {
        let root = crate::node::parse_json(text, FileId(0)).unwrap();
        let mut problems = Vec::new();
        let mut r = Reader::new(FileId(0), "server.json", text, &mut problems);
        let s = match load_registry(&mut r, &root) {
            Read::Found(s) => Some(s),
            _ => None,
        };
        (s, problems)
    }

    #[test]
    fn registry_packages_and_remotes() {
        let text = r#"{
  "$schema": "https://static.modelcontextprotocol.io/schemas/2025-09-29/server.schema.json",
  "name": "io.github.acme/weather",
  "version": "1.0.2",
  "packages": [
    { "registryType": "npm", "identifier": "@acme/weather-mcp", "version": "1.0.2",
      "transport": { "type": "stdio" },
      "environmentVariables": [{ "name": "WEATHER_API_KEY", "isSecret": true }] },
    { "registryType": "pypi", "identifier": "acme-weather-mcp", "version": "latest" },
    { "registryType": "oci", "identifier": "docker.io/acme/weather", "version": "1.0.2" },
    { "registryType": "mcpb", "identifier": "https://example.com/w.mcpb", "fileSha256": "abc" }
  ],
  "remotes": [{ "type": "streamable-http", "url": "https://weather.acme.dev/mcp",
                "headers": [{ "name": "X-API-Key", "value": "{api_key}", "isSecret": true }] }]
}"#;
        let (s, problems) = registry(text);
        assert!(problems.is_empty(), "{problems:?}");
        let s = s.unwrap();
        assert_eq!(s.server.value, "io.github.acme/weather");
        assert_eq!(s.version.as_ref().unwrap().value, "1.0.2");
        let shown: Vec<String> = s.sources.iter().map(Source::display).collect();
        assert_eq!(
            shown,
            [
                "npm:@acme/weather-mcp@1.0.2",
                "pypi:acme-weather-mcp==latest",
                "oci:docker.io/acme/weather:1.0.2",
                "url:https://example.com/w.mcpb",
                "remote:https://weather.acme.dev/mcp",
            ]
        );
        assert_eq!(at(text, &s.sources[1].value.span), "\"latest\"");
        assert_eq!(s.sources[3].sha256.as_ref().unwrap().value, "abc");
        assert_eq!(
            s.env.len(),
            1,
            "the header with a value; the variable has none"
        );
    }

    #[test]
    fn a_template_filled_in_at_release_may_leave_the_version_out() {
        // grafana/mcp-grafana's shape: the release job writes both versions.
        let (s, problems) = registry(
            r#"{"name": "io.github.a/b", "packages": [{"registryType": "oci", "identifier": "docker.io/a/b", "version": "$VERSION"}]}"#,
        );
        assert!(problems.is_empty(), "{problems:?}");
        assert_eq!(s.unwrap().sources[0].value.value, "docker.io/a/b:$VERSION");
        // Without an expression anywhere, a missing version is still said.
        let (_, problems) = registry(
            r#"{"name": "io.github.a/b", "packages": [{"registryType": "oci", "identifier": "docker.io/a/b", "version": "1.0.0"}]}"#,
        );
        assert_eq!(problems.len(), 1, "{problems:?}");
    }

    #[test]
    fn other_server_json_files_are_left_alone() {
        assert!(
            registry(r#"{"port": 8080, "host": "localhost"}"#)
                .0
                .is_none()
        );
        let (s, problems) = registry(
            r#"{"name": "x/y", "packages": [{"registryType": "cargo", "identifier": "y"}]}"#,
        );
        assert!(s.unwrap().sources.is_empty());
        assert_eq!(
            problems.len(),
            2,
            "no version, unknown registryType: {problems:?}"
        );
    }
}
