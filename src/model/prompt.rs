//! Prompts: `prompts/*.prompt`, YAML front matter and a body (dotprompt-compatible).

use super::Sp;
use super::read::Reader;
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
}

impl Prompt {
    pub fn id(&self) -> String {
        match &self.version {
            Some(v) => format!("{}@{}", self.name.value, v.value),
            None => self.name.value.clone(),
        }
    }
}

/// Keys of the front matter: agentlock's, plus those dotprompt defines.
const FRONT_KEYS: &[&str] = &[
    "name",
    "version",
    "model",
    "config",
    "description",
    "variant",
    "input",
    "output",
    "tools",
    "metadata",
    "raw",
    "template",
    "ext",
];

/// Parses a prompt file. Returns `None` when there is nothing to index (no front matter at all).
pub fn load(r: &mut Reader, sha256: String) -> Option<Prompt> {
    let text = r.text;
    let file = r.file;
    let stem = r.path.rsplit('/').next().unwrap_or(r.path);
    let stem = stem.strip_suffix(".prompt").unwrap_or(stem).to_string();
    let Some((front, front_start, body_start)) = split_front_matter(text) else {
        r.problem(
            Span::file_start(file),
            "prompt has no front matter",
            Some("start the file with a `---` line, then `name:`, `version:` and `model:`, then `---` and the prompt text".into()),
        );
        return None;
    };
    let parsed = match node::parse_yaml(front, file) {
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
    r.check_keys(&parsed, FRONT_KEYS, "a prompt's front matter");
    let name = r
        .opt_string(&parsed, "name", "prompt name")
        .unwrap_or_else(|| Sp::new(stem, Span::file_start(file)));
    let version = r.opt_string(&parsed, "version", "prompt version");
    let model = match parsed.get("model") {
        Some(m) if m.as_map().is_some() => None, // dotprompt allows a model object; not an alias
        Some(_) => r.opt_string(&parsed, "model", "prompt model"),
        None => None,
    };
    Some(Prompt {
        file,
        path: r.path.to_string(),
        name,
        version,
        model,
        sha256,
        body_start,
    })
}

/// Splits `---\n<yaml>\n---\n<body>`; returns the YAML, its byte offset and the body offset.
fn split_front_matter(text: &str) -> Option<(&str, usize, usize)> {
    let text_start = if text.starts_with('\u{feff}') { 3 } else { 0 };
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
    }
}
