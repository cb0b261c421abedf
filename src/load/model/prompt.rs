//! Prompts: `prompts/*.prompt`, YAML front matter and a body (dotprompt-compatible); and,
//! discovered in repositories that keep them, dotprompt files (`*.prompt`, with `_name.prompt`
//! partials) and Prompty files (`*.prompty`). In agentlock's own prompts `model` names an
//! alias of models.yaml; in dotprompt and Prompty files it is the provider's model id, returned
//! as a [`DirectModel`].

use super::{DirectModel, Sp};
use crate::load::fields::{Table, Ty, f};
use crate::load::read::Reader;
use crate::node::{self, Node};
use crate::source::{FileId, Span};

#[derive(Clone, Debug)]
pub struct Prompt {
    pub file: FileId,
    pub path: String,
    /// From the front matter, else the file name.
    pub name: Sp<String>,
    /// As written; whether it is exact semver is PRM002's business.
    pub version: Option<Sp<String>>,
    pub model: Option<Sp<String>>,
    /// SHA-256 of the file bytes with CRLF normalized to LF.
    pub sha256: String,
    /// Byte offset where the body starts.
    pub body_start: usize,
    /// A dotprompt file with no front matter: a partial (`_header.prompt`), a fragment other
    /// prompts include, or a plain-text template. It has no name or version of its own and is
    /// locked like any prompt.
    pub partial: bool,
}

impl Prompt {
    pub fn id(&self) -> String {
        match &self.version {
            Some(v) => format!("{}@{}", self.name.value, v.value),
            None => self.name.value.clone(),
        }
    }
}

/// Keys of the front matter: agentlock's, plus those dotprompt defines. (The front matter
/// has no schema of its own: editors do not apply one to a part of a file.)
const FRONT: Table = Table::new(
    "prompt",
    "A prompt's front matter.",
    &[
        f(
            "name",
            Ty::Str,
            "The prompt's name (default: the file's stem).",
        ),
        f("version", Ty::Str, "The prompt's exact semver version."),
        f(
            "model",
            Ty::Any,
            "The model alias from models.yaml (or a model id).",
        ),
        f(
            "config",
            Ty::Any,
            "Model settings: temperature, max_output_tokens, …",
        ),
        f("description", Ty::Any, "What the prompt is for."),
        f("variant", Ty::Any, "dotprompt: the variant."),
        f("input", Ty::Any, "dotprompt: the input schema."),
        f("output", Ty::Any, "dotprompt: the output schema."),
        f("tools", Ty::Any, "dotprompt: the tools."),
        f("metadata", Ty::Any, "dotprompt: metadata."),
        f("raw", Ty::Any, "dotprompt: the raw front matter."),
        f("template", Ty::Any, "dotprompt: the template."),
        f("ext", Ty::Any, "dotprompt: extension fields."),
    ],
);

/// Parses one of agentlock's prompt files. Returns `None` when there is nothing to index (no
/// front matter at all).
pub fn load(r: &mut Reader, sha256: String) -> Option<Prompt> {
    let (mut prompt, front) = read(r, sha256, ".prompt", true)?;
    prompt.model = match front.get("model") {
        Some(m) if m.as_map().is_some() => None, // dotprompt allows a model object; not an alias
        Some(_) => r.opt_string(&front, "model", "prompt model"),
        None => None,
    };
    Some(prompt)
}

/// A prompt, with the model its file names by id when it does.
pub type WithModel = (Prompt, Option<DirectModel>);

/// Parses a dotprompt file found in the repository: its `model` is a model id
/// (`googleai/gemini-2.5-flash`). Front matter is optional in dotprompt, and many repositories
/// keep plain-text templates as `*.prompt`: a file without it (a partial `_name.prompt` too)
/// is a prompt with no version, locked by its content, that PRM002 does not ask a version of.
pub fn load_dotprompt(r: &mut Reader, sha256: String) -> Option<WithModel> {
    let stem = stem(r.path, ".prompt");
    if split_front_matter(r.text).is_none() {
        return Some((unversioned(r, stem, sha256, 0), None));
    }
    let (prompt, front) = read(r, sha256, ".prompt", false)?;
    let direct = front
        .get("model")
        .filter(|m| m.as_str().is_some())
        .and_then(|_| r.opt_string(&front, "model", "prompt model"))
        .map(|id| DirectModel { id, provider: None });
    Some((prompt, direct))
}

/// Parses an agent written as Markdown: a Claude Code subagent (`.claude/agents/NAME.md`) or a
/// GitHub Copilot custom agent or chat mode (`*.agent.md`, `*.chatmode.md`). The front matter
/// names it and its `model`; the body is its prompt, locked by content. Neither format has a
/// version, so PRM002 does not ask for one. `model: inherit` uses the caller's model: none of
/// its own.
pub fn load_markdown_agent(r: &mut Reader, sha256: String) -> Option<WithModel> {
    let file = r.path.rsplit('/').next().unwrap_or(r.path);
    let suffix = [".agent.md", ".chatmode.md", ".md"]
        .into_iter()
        .find(|s| file.ends_with(s))
        .unwrap_or(".md");
    let stem = stem(r.path, suffix);
    let Some((front, front_start, body_start)) = split_front_matter(r.text) else {
        // A Claude Code subagent is its front matter (`name`, `description` are required): a
        // plain Markdown file beside them (a README of the folder) is no agent Claude Code
        // loads. A Copilot file says what it is by its `.agent.md` or `.chatmode.md` name.
        if suffix == ".md" {
            return None;
        }
        return Some((unversioned(r, stem, sha256, 0), None));
    };
    // Claude Code and Copilot read front matter leniently: a description with an unquoted
    // `Examples: <example>Context: …` is not valid YAML, but works. When it does not parse,
    // each top-level `key: value` line is read as it is written.
    let parsed = match node::parse_yaml(front, r.file) {
        Ok(n) => shift(n, front_start),
        Err(_) => lenient_front_matter(front, front_start, r.file),
    };
    r.map(&parsed, "the front matter")?;
    let name = r
        .opt_string(&parsed, "name", "agent name")
        .unwrap_or_else(|| Sp::new(stem, Span::file_start(r.file)));
    // `model: [a, b]` (Copilot): the first available is used, the others are fallbacks; the
    // first is the agent's model (the file's hash covers the rest)
    let model = parsed.get("model").map(|m| match &m.value {
        node::Value::Seq(items) => items.first().unwrap_or(m),
        _ => m,
    });
    let direct = model
        .filter(|m| {
            m.as_str()
                .is_some_and(|v| !v.trim().eq_ignore_ascii_case("inherit"))
        })
        .and_then(|m| r.string(m, "agent model"))
        .map(|id| {
            // Claude Code's own aliases (`sonnet`, `opus`, `haiku`) are Anthropic's
            let claude = r.path.contains(".claude/agents/")
                && ["sonnet", "opus", "haiku", "opusplan"]
                    .iter()
                    .any(|a| id.value.trim().eq_ignore_ascii_case(a));
            let copilot = r.path.contains(".github/");
            let provider = if claude {
                Some(Sp::new("anthropic".to_string(), id.span))
            } else if copilot {
                Some(Sp::new("copilot".to_string(), id.span))
            } else {
                None
            };
            DirectModel { id, provider }
        });
    let mut prompt = unversioned(r, String::new(), sha256, body_start);
    prompt.name = name;
    Some((prompt, direct))
}

/// A prompt of a format without versions (or a file without front matter), locked by its
/// content: PRM002 does not ask it for a version.
fn unversioned(r: &Reader, name: String, sha256: String, body_start: usize) -> Prompt {
    Prompt {
        file: r.file,
        path: r.path.to_string(),
        name: Sp::new(name, Span::file_start(r.file)),
        version: None,
        model: None,
        sha256,
        body_start,
        partial: true,
    }
}

/// Front matter that is not valid YAML, as `key: value` lines: each line that starts a key at
/// the first column gives a string value, the rest of the line (quotes removed).
fn lenient_front_matter(front: &str, start: usize, file: crate::source::FileId) -> Node {
    let mut entries = Vec::new();
    let mut at = start;
    for line in front.split_inclusive('\n') {
        let text = line.trim_end_matches(['\n', '\r']);
        if let Some((key, value)) = text.split_once(':')
            && !key.is_empty()
            && key
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
        {
            let raw = value.trim();
            let value_start = at + key.len() + 1 + (value.len() - value.trim_start().len());
            let unquoted = raw
                .strip_prefix('"')
                .and_then(|v| v.strip_suffix('"'))
                .or_else(|| raw.strip_prefix('\'').and_then(|v| v.strip_suffix('\'')))
                .unwrap_or(raw);
            entries.push((
                crate::node::Key {
                    name: key.to_string(),
                    span: Span::new(file, at, at + key.len()),
                },
                Node {
                    value: node::Value::Str(unquoted.to_string()),
                    span: Span::new(file, value_start, value_start + raw.len()),
                },
            ));
        }
        at += line.len();
    }
    Node {
        value: node::Value::Map(entries),
        span: Span::new(file, start, start + front.len()),
    }
}

/// Parses a Prompty file. Its model is `model: <id>`, Prompty 2's `model: { id, provider }`,
/// or Prompty 1's `model: { configuration: { type, azure_deployment | name } }`.
pub fn load_prompty(r: &mut Reader, sha256: String) -> Option<WithModel> {
    let (prompt, front) = read(r, sha256, ".prompty", false)?;
    let direct = front.get("model").and_then(|m| prompty_model(r, m));
    Some((prompt, direct))
}

fn prompty_model(r: &mut Reader, m: &Node) -> Option<DirectModel> {
    if m.as_str().is_some() {
        let id = r.string(m, "model")?;
        return Some(DirectModel { id, provider: None });
    }
    m.as_map()?;
    if m.get("id").is_some() {
        let id = r.opt_string(m, "id", "model id")?;
        let provider = r.opt_string(m, "provider", "model provider");
        return Some(DirectModel { id, provider });
    }
    let conf = m.get("configuration")?;
    conf.as_map()?;
    let key = ["azure_deployment", "name", "model", "deployment"]
        .into_iter()
        .find(|k| conf.get(k).is_some())?;
    let id = r.opt_string(conf, key, "model")?;
    // The connection type says whose model it is: Azure OpenAI deployments are pinned (or
    // not) by the deployment, which a deployment name does not show.
    // An `azure_deployment` (or `azure_endpoint`) says it is Azure OpenAI whatever `type` says
    // or when it says nothing: the same fact gets the same finding.
    let azure_key = ["azure_deployment", "azure_endpoint"]
        .into_iter()
        .find_map(|k| crate::load::read::key_span(conf, k));
    let provider = conf.get("type").and_then(|t| {
        let kind = t.as_str()?.to_ascii_lowercase();
        let name = match kind.as_str() {
            "azure_openai" | "azure" => "azure",
            "openai" => "openai",
            "anthropic" => "anthropic",
            _ => return None,
        };
        Some(Sp::new(name.to_string(), t.span))
    });
    let provider = match (provider, azure_key) {
        (None, Some(span)) => Some(Sp::new("azure".to_string(), span)),
        (p, _) => p,
    };
    Some(DirectModel { id, provider })
}

fn stem(path: &str, suffix: &str) -> String {
    let file = path.rsplit('/').next().unwrap_or(path);
    file.strip_suffix(suffix).unwrap_or(file).to_string()
}

/// The front matter and what every prompt format shares: name (else the file name), version
/// (a number is read as written: `version: 1.0`), hash, body. `strict` checks the keys.
fn read(r: &mut Reader, sha256: String, suffix: &str, strict: bool) -> Option<(Prompt, Node)> {
    let text = r.text;
    let file = r.file;
    let stem = stem(r.path, suffix);
    let split = if suffix == ".prompty" {
        split_prompty_front_matter(text)
    } else {
        split_front_matter(text)
    };
    let Some((front, front_start, body_start)) = split else {
        r.problem(
            Span::file_start(file),
            "prompt has no front matter",
            Some("start the file with a `---` line, then `name:`, `version:` and `model:`, then `---` and the prompt text".into()),
        );
        return None;
    };
    // dotprompt's YAML reader takes `model: {{resolvedModelId}}` (a Handlebars expression left
    // unquoted, a map as YAML reads it): read as the expression it is written as.
    let templated = || (!strict && suffix == ".prompt").then(|| unquoted_templates(front, file))?;
    let parsed = match node::parse_yaml(front, file).or_else(|e| templated().ok_or(e)) {
        Ok(n) => shift(n, front_start),
        Err(e) => {
            let offset = match (e.offset, e.line_col) {
                (Some(o), _) => front_start + o,
                (None, Some((line, col))) => {
                    let skipped = text[..front_start].matches('\n').count();
                    let f = crate::source::SourceFile::new(String::new(), Some(text.into()));
                    f.offset_of(line + skipped, col)
                }
                _ => front_start,
            };
            r.problem(
                Span::new(file, offset, offset + 1),
                format!("invalid front matter: {}", e.message),
                None,
            );
            return None;
        }
    };
    r.map(&parsed, "the front matter")?;
    if strict {
        r.check_keys(&parsed, &FRONT, "a prompt's front matter");
    }
    let name = r
        .opt_string(&parsed, "name", "prompt name")
        .unwrap_or_else(|| Sp::new(stem, Span::file_start(file)));
    let version = match parsed.get("version") {
        Some(v) if !strict && matches!(v.value, node::Value::Int(_) | node::Value::Float(_)) => {
            Some(Sp::new(r.raw(v), v.span))
        }
        _ => r.opt_string(&parsed, "version", "prompt version"),
    };
    let prompt = Prompt {
        file,
        path: r.path.to_string(),
        name,
        version,
        model: None,
        sha256,
        body_start,
        partial: false,
    };
    Some((prompt, parsed))
}

/// Splits `---\n<yaml>\n---\n<body>`; returns the YAML, its byte offset and the body offset.
fn split_front_matter(text: &str) -> Option<(&str, usize, usize)> {
    split_front_matter_from(text, 0)
}

/// [`split_front_matter`] for Prompty, which finds its front matter after leading blank
/// lines (its reader matches `^\s*---`).
fn split_prompty_front_matter(text: &str) -> Option<(&str, usize, usize)> {
    let bom = if text.starts_with('\u{feff}') { 3 } else { 0 };
    let blank = text[bom..].len() - text[bom..].trim_start().len();
    // back to the start of the line the first non-blank character is on
    let start = text[..bom + blank].rfind('\n').map_or(bom, |i| i + 1);
    split_front_matter_from(text, start)
}

/// Splits front matter whose opening `---` line starts at byte `at` (after a byte-order mark
/// when `at` is 0).
fn split_front_matter_from(text: &str, at: usize) -> Option<(&str, usize, usize)> {
    let text_start = if at == 0 && text.starts_with('\u{feff}') {
        3
    } else {
        at
    };
    let rest = &text[text_start..];
    let first_end = rest.find('\n')?;
    if rest[..first_end].trim_end() != "---" {
        return None;
    }
    let yaml_start = text_start + first_end + 1;
    let mut pos = yaml_start;
    while pos <= text.len() {
        let line_end = text[pos..].find('\n').map_or(text.len(), |i| pos + i);
        let line = text[pos..line_end].trim_end();
        if line == "---" || line == "..." {
            let body_start = (line_end + 1).min(text.len());
            return Some((&text[yaml_start..pos], yaml_start, body_start));
        }
        if line_end == text.len() {
            break;
        }
        pos = line_end + 1;
    }
    None
}

/// Front matter in which each top-level value written as a bare `{{…}}` (dotprompt's templates) is read
/// as that text: the YAML with each such value quoted in place (`"{…}"`, the same length, so
/// every span stays), then the values set back to what the file says. `None` when there is no
/// such value or the YAML is still not valid.
fn unquoted_templates(front: &str, file: crate::source::FileId) -> Option<Node> {
    let mut patched = front.to_string();
    let mut spans = Vec::new();
    let mut at = 0;
    for line in front.split_inclusive('\n') {
        let text = line.trim_end_matches(['\n', '\r']);
        // top-level keys only: an indented line may be the text of a block scalar
        if let Some(colon) = text.find(": ").filter(|_| !text.starts_with([' ', '\t'])) {
            let value = text[colon + 1..].trim();
            let start =
                at + colon + 1 + (text[colon + 1..].len() - text[colon + 1..].trim_start().len());
            if value.len() > 4
                && value.starts_with("{{")
                && value.ends_with("}}")
                && !value[2..value.len() - 2].contains(['{', '}', '"', '\\'])
            {
                let end = start + value.len();
                patched.replace_range(start..start + 2, "\"{");
                patched.replace_range(end - 2..end, "}\"");
                spans.push((start, end));
            }
        }
        at += line.len();
    }
    if spans.is_empty() {
        return None;
    }
    let mut n = node::parse_yaml(&patched, file).ok()?;
    fn restore(n: &mut Node, front: &str, spans: &[(usize, usize)]) {
        let here = (n.span.start as usize, n.span.end as usize);
        match &mut n.value {
            node::Value::Str(v) if spans.contains(&here) => *v = front[here.0..here.1].to_string(),
            node::Value::Seq(items) => items.iter_mut().for_each(|i| restore(i, front, spans)),
            node::Value::Map(entries) => entries
                .iter_mut()
                .for_each(|(_, v)| restore(v, front, spans)),
            _ => {}
        }
    }
    restore(&mut n, front, &spans);
    Some(n)
}

/// Moves every span of a tree parsed from a slice by `by` bytes, to address the whole file.
fn shift(mut n: Node, by: usize) -> Node {
    fn walk(n: &mut Node, by: u32) {
        n.span.start += by;
        n.span.end += by;
        match &mut n.value {
            node::Value::Seq(items) => items.iter_mut().for_each(|i| walk(i, by)),
            node::Value::Map(entries) => {
                for (k, v) in entries {
                    k.span.start += by;
                    k.span.end += by;
                    walk(v, by);
                }
            }
            _ => {}
        }
    }
    walk(&mut n, by as u32);
    n
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::source::FileId;

    fn parse(
        path: &str,
        text: &str,
        f: fn(&mut Reader, String) -> Option<WithModel>,
    ) -> (Option<WithModel>, usize) {
        let mut problems = Vec::new();
        let mut r = Reader::new(FileId(0), path, text, &mut problems);
        let out = f(&mut r, String::new());
        (out, problems.len())
    }

    #[test]
    fn prompty_models() {
        let v1 = "---\nname: Basic\nversion: 1.0\nmodel:\n  api: chat\n  configuration:\n    type: azure_openai\n    azure_deployment: gpt-4o\n---\nsystem:\nHi\n";
        let (p, n) = parse("a.prompty", v1, load_prompty);
        let (p, m) = p.unwrap();
        assert_eq!(n, 0);
        assert_eq!(p.name.value, "Basic");
        assert_eq!(p.version.unwrap().value, "1.0");
        let m = m.unwrap();
        assert_eq!(
            (m.id.value.as_str(), m.provider.unwrap().value.as_str()),
            ("gpt-4o", "azure")
        );
        let v2 = "---\nmodel:\n  id: gpt-4o-mini\n  provider: openai\n---\nuser: {{q}}\n";
        let (p, m) = parse("dir/chat.prompty", v2, load_prompty).0.unwrap();
        assert_eq!(p.name.value, "chat");
        assert_eq!(m.unwrap().id.value, "gpt-4o-mini");
        let plain = "---\nname: x\nmodel: gpt-4o\nsample: { a: 1 }\n---\nuser: hi\n";
        assert_eq!(
            parse("x.prompty", plain, load_prompty)
                .0
                .unwrap()
                .1
                .unwrap()
                .id
                .value,
            "gpt-4o"
        );
    }

    #[test]
    fn a_markdown_file_without_front_matter_is_no_claude_subagent() {
        let readme = "# Our agents\n\nThe reviewer checks pull requests.\n";
        let (out, n) = parse(".claude/agents/README.md", readme, load_markdown_agent);
        assert!(out.is_none() && n == 0);
        // a Copilot file is one by its name
        let (out, n) = parse(".github/agents/t.agent.md", readme, load_markdown_agent);
        assert_eq!((out.unwrap().0.name.value.as_str(), n), ("t", 0));
        // front matter makes it one, whatever the file is called
        let t = "---\nname: readme\ndescription: docs\n---\nx\n";
        let (out, _) = parse(".claude/agents/README.md", t, load_markdown_agent);
        assert_eq!(out.unwrap().0.name.value, "readme");
    }

    #[test]
    fn a_list_of_models_is_its_first_with_the_others_as_fallbacks() {
        let t = "---\nname: Triage\nmodel:\n  [\"Claude Haiku 4.5 (copilot)\", \"GPT-5.3-Codex\"]\n---\nTriage issues.\n";
        let (out, n) = parse(".github/agents/triage.agent.md", t, load_markdown_agent);
        let (p, m) = out.unwrap();
        assert_eq!((n, p.name.value.as_str()), (0, "Triage"));
        let m = m.unwrap();
        assert_eq!(m.id.value, "Claude Haiku 4.5 (copilot)");
        assert_eq!(m.provider.unwrap().value, "copilot");
        assert_eq!(
            &t[m.id.span.start as usize..m.id.span.end as usize],
            "\"Claude Haiku 4.5 (copilot)\""
        );
        let empty = "---\nname: T\nmodel: []\n---\nx\n";
        let (out, n) = parse(".github/agents/t.agent.md", empty, load_markdown_agent);
        assert!(out.unwrap().1.is_none() && n == 0);
    }

    #[test]
    fn a_bare_handlebars_value_is_read_as_written_in_dotprompt_only() {
        // `{{resolvedModelId}}` unquoted is a map to YAML; dotprompt's reader takes it, and the
        // app picks the model at run time.
        let t = "---\nname: chat\nmodel: {{resolvedModelId}}\ntools:\n  - a\n---\n{{role \"system\"}} hi\n";
        let (out, n) = parse("src/prompts/chat.prompt", t, load_dotprompt);
        let (p, m) = out.unwrap();
        assert_eq!(n, 0);
        assert_eq!(p.name.value, "chat");
        let m = m.unwrap();
        assert_eq!(m.id.value, "{{resolvedModelId}}");
        assert_eq!(
            &t[m.id.span.start as usize..m.id.span.end as usize],
            "{{resolvedModelId}}"
        );
        // Prompty's reader (PyYAML) rejects it, and so does YAML that is broken elsewhere.
        let (out, n) = parse("a.prompty", t, load_prompty);
        assert!(out.is_none() && n == 1);
        let broken = "---\nmodel: {{resolvedModelId}}\nname: [a\n---\nhi\n";
        let (out, n) = parse("b.prompt", broken, load_dotprompt);
        assert!(out.is_none() && n == 1);
    }

    #[test]
    fn dotprompt_models_and_partials() {
        let t = "---\nmodel: googleai/gemini-2.5-flash\ninput: { schema: { q: string } }\nmaxTurns: 3\n---\n{{> header}} {{q}}\n";
        let ((p, m), n) = {
            let (o, n) = parse("prompts/ask.prompt", t, load_dotprompt);
            (o.unwrap(), n)
        };
        assert_eq!(n, 0, "dotprompt keys are not checked");
        assert_eq!(p.name.value, "ask");
        assert_eq!(m.unwrap().id.value, "googleai/gemini-2.5-flash");
        let (partial, n) = parse(
            "prompts/_header.prompt",
            "You are helpful.\n",
            load_dotprompt,
        );
        let (partial, _) = partial.unwrap();
        assert!(partial.partial && n == 0);
        assert_eq!(partial.name.value, "_header");
        // a plain-text template is not CONF001: a prompt without a version, locked by content
        let (plain, n) = parse("prompts/plain.prompt", "no front matter\n", load_dotprompt);
        let (plain, _) = plain.unwrap();
        assert!(plain.partial && n == 0);
        assert_eq!(plain.name.value, "plain");
        // agentlock's own prompts still need front matter
        let (none, n) = parse("prompts/plain.prompt", "no front matter\n", |r, s| {
            load(r, s).map(|p| (p, None))
        });
        assert!(none.is_none() && n == 1);
    }

    #[test]
    fn front_matter_split() {
        let t = "---\nname: a\n---\nbody\n";
        let (y, s, b) = split_front_matter(t).unwrap();
        assert_eq!(y, "name: a\n");
        assert_eq!(s, 4);
        assert_eq!(&t[b..], "body\n");
        assert!(split_front_matter("no front matter").is_none());
        assert!(split_front_matter("---\nname: a\n").is_none());
        let crlf = "---\r\nname: a\r\n---\r\nbody";
        assert_eq!(&crlf[split_front_matter(crlf).unwrap().2..], "body");
        assert!(split_front_matter("---\n---\n").is_some());
        // Prompty reads its front matter after blank lines; the other formats do not
        let blank = "\n  \n---\nname: a\n---\nbody";
        assert!(split_front_matter(blank).is_none());
        let (y, s, b) = split_prompty_front_matter(blank).unwrap();
        assert_eq!(
            (y, &blank[s..s + 7], &blank[b..]),
            ("name: a\n", "name: a", "body")
        );
        assert!(split_prompty_front_matter("\u{feff}\n---\nname: a\n---\n").is_some());
        assert!(split_prompty_front_matter("text\n---\nname: a\n---\n").is_none());
    }
}
