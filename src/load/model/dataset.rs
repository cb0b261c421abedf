//! Golden datasets: `datasets/*.jsonl`.

use super::Sp;
use crate::load::read::Reader;
use crate::source::{FileId, Span};

#[derive(Clone, Debug)]
pub struct Dataset {
    pub file: FileId,
    pub path: String,
    pub name: Sp<String>,
    pub version: Option<Sp<String>>,
    /// `_dataset.kind` from the header: `happy_path`, `edge_cases` or `failures`.
    pub kind: Option<Sp<String>>,
    /// Number of items (lines other than the header and blank lines).
    pub items: usize,
    /// SHA-256 of the bytes with CRLF normalized to LF.
    pub sha256: String,
    /// Each item, in order: what evidence is paired with.
    pub cases: Vec<Case>,
}

/// One item of a golden dataset, as evidence names it.
#[derive(Clone, Debug, PartialEq)]
pub struct Case {
    /// The item's `id` (a number as its JSON text: `7`).
    pub id: Option<String>,
    /// The SHA-256 of the canonical JSON of its `input`, for results that carry no id.
    pub input: Option<String>,
    /// `"critical": true`: a case no score may fall below `min_critical` on.
    pub critical: bool,
    /// The line in the dataset file.
    pub span: Span,
}

/// A case id as evidence and datasets write it: a string as itself, a number as its JSON text.
pub fn case_id(v: &serde_json::Value) -> Option<String> {
    match v {
        serde_json::Value::String(s) => Some(s.clone()),
        serde_json::Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

/// The digest an input is paired by: the SHA-256 of its canonical JSON (keys sorted).
pub fn input_digest(v: &serde_json::Value) -> String {
    crate::digest::sha256_hex(v.to_string().as_bytes())
}

/// Reads a JSONL dataset: every line must be a JSON value; the version comes from a first line
/// `{"_dataset": {"name": …, "version": …}}` or from a file name `name@version.jsonl`.
pub fn load(r: &mut Reader, sha256: String) -> Dataset {
    let file_name = r.path.rsplit('/').next().unwrap_or(r.path);
    let stem = file_name.strip_suffix(".jsonl").unwrap_or(file_name);
    let (mut name, mut version) = match stem.split_once('@') {
        Some((n, v)) => (
            Sp::new(n.to_string(), Span::file_start(r.file)),
            Some(Sp::new(v.to_string(), Span::file_start(r.file))),
        ),
        None => (Sp::new(stem.to_string(), Span::file_start(r.file)), None),
    };
    let mut items = 0;
    let mut cases = Vec::new();
    let mut kind = None;
    let mut offset = 0;
    let text = r.text;
    for (i, line) in text.split('\n').enumerate() {
        let start = offset;
        offset += line.len() + 1;
        let trimmed = line.trim();
        if trimmed.is_empty() {
            continue;
        }
        match serde_json::from_str::<serde_json::Value>(trimmed) {
            Ok(v) => {
                if i == 0
                    && let Some(meta) = v.get("_dataset")
                {
                    let span = Span::new(r.file, start, start + line.trim_end().len());
                    // A value's own span when its text can be found after its key.
                    let at = |key: &str| {
                        let value = meta.get(key)?.to_string();
                        let k = line.find(&format!("\"{key}\""))?;
                        let v = k + line[k..].find(&value)?;
                        Some(Span::new(r.file, start + v, start + v + value.len()))
                    };
                    if let Some(n) = meta.get("name").and_then(|n| n.as_str()) {
                        name = Sp::new(n.to_string(), at("name").unwrap_or(span));
                    }
                    if let Some(k) = meta.get("kind").and_then(|k| k.as_str()) {
                        kind = Some(Sp::new(k.to_string(), at("kind").unwrap_or(span)));
                    }
                    let version_span = at("version").unwrap_or(span);
                    match meta.get("version") {
                        Some(serde_json::Value::String(s)) => {
                            version = Some(Sp::new(s.clone(), version_span))
                        }
                        Some(serde_json::Value::Number(n)) => {
                            version = Some(Sp::new(n.to_string(), version_span))
                        }
                        _ => {}
                    }
                    continue;
                }
                items += 1;
                cases.push(Case {
                    id: v.get("id").and_then(case_id),
                    input: v.get("input").map(input_digest),
                    critical: v.get("critical").and_then(|c| c.as_bool()) == Some(true),
                    span: Span::new(r.file, start, start + line.trim_end().len()),
                });
            }
            Err(e) => {
                let col = e.column().saturating_sub(1);
                let lead = line.len() - line.trim_start().len();
                let at = start + lead + col.min(trimmed.len());
                // The message of serde_json names no content, only the position and the kind.
                r.problem(
                    Span::new(r.file, at, at + 1),
                    format!(
                        "line {} is not valid JSON: {}",
                        i + 1,
                        strip_position(&e.to_string())
                    ),
                    None,
                );
            }
        }
    }
    Dataset {
        file: r.file,
        path: r.path.to_string(),
        name,
        version,
        kind,
        items,
        sha256,
        cases,
    }
}

fn strip_position(msg: &str) -> &str {
    msg.split(" at line ").next().unwrap_or(msg)
}
